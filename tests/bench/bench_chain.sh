#!/bin/sh
# The four-State chain, end to end on loopback (issue 7's speed target:
# under 100 ms median): make demo's five daemons (etc/demo/demo.sh) in a
# folder and on ports of their own, with a smaller data set, then N traces
# of weapons made in BE, exported to NL and re-exported to DE, each a new
# request of FR's investigator to FR's own daemon with follow_referrals,
# timed from before tracectl submit to the end of tracectl chain --wait
# (the assembled chain, every part's signature and log proofs checked).
# The baseline, measured in the same run: N one-hop traces FR -> BE sent
# straight to BE's daemon without following (submit, then wait for the
# answer).  Prints median and 99th percentile of both and their ratio.
# Times include starting tracectl twice per trace (a few milliseconds).
#
#   tests/bench/bench_chain.sh [N]      (make bench runs it; N default 50)
#
# BENCH_CHAIN_DIR (default BUILDDIR/var/bench-chain) and BENCH_CHAIN_PORT
# (default 8460) place it; the daemons and the cluster are stopped at the
# end.  Without the hub or tracectl chain in this build (DEMO_COMPAT), only
# the baseline is measured, and it says so.
set -eu
N=${1:-${BENCH_CHAIN_N:-50}}
BUILDDIR=$(cd "${REG_TEST_BUILDDIR:-${BUILDDIR:-.}}" && pwd)
SRCDIR=$(cd "${REG_TEST_SRCDIR:-${SRCDIR:-.}}" && pwd)
export BUILDDIR SRCDIR
DEMO_DIR=${BENCH_CHAIN_DIR:-$BUILDDIR/var/bench-chain}
DEMO_PORT=${BENCH_CHAIN_PORT:-8460}
DEMO_SCALE=${BENCH_CHAIN_SCALE:-0.05}
DEMO_CHAINS=$N
DEMO_PLAY=0
export DEMO_DIR DEMO_PORT DEMO_SCALE DEMO_CHAINS DEMO_PLAY
DEMO=$SRCDIR/etc/demo/demo.sh

# Only the unset PG* variables of a caller (make bench runs the other
# benchmarks under tests/with-pg): the demo's cluster is its own.
for v in $(env | sed -n 's/^\(PG[A-Z_]*\)=.*/\1/p'); do
	[ "$v" = PG_BINDIR ] || unset "$v"
done
unset REGISTRY_DB

trap 'sh "$DEMO" stop >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
sh "$DEMO" start || { echo "bench_chain: the demo's daemons did not start" >&2; exit 1; }

# The demo's helpers (request, submit_own, chain, submit_direct,
# wait_direct), with the variables they need.
DEMO_LIB=1
. "$DEMO"
detect_compat

now_ms() { date +%s%3N; }

# stats NAME FILE: median and 99th percentile of the milliseconds in FILE.
stats() {
	sort -n "$2" | awk -v name="$1" '{ v[NR] = $1 } END {
		if (NR == 0) { print name ": no samples"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		i = int(0.99 * NR + 0.999); if (i < 1) i = 1; if (i > NR) i = NR
		printf "%s: %d samples, median %.1f ms, p99 %.1f ms, min %.1f ms, max %.1f ms\n",
		    name, NR, m, v[i], v[1], v[NR]
		print m > "/dev/stderr" }'
}

req=$DEMO_DIR/requests/bench.json
mkdir -p "$DEMO_DIR/requests"
base=$DEMO_DIR/requests/baseline.ms
full=$DEMO_DIR/requests/chain.ms
: > "$base"
: > "$full"

echo "== bench_chain: $N one-hop traces FR -> BE (baseline)"
i=0
while IFS='	' read -r serial misread mfr model wtype cal year; do
	i=$((i + 1))
	[ $i -le "$N" ] || break
	id=$(request "$req" "$misread" "$mfr" "$model" "$wtype" "$cal" "$year" 0)
	t0=$(now_ms)
	submit_direct "$req" >/dev/null || { echo "bench_chain: submit to BE failed" >&2; exit 1; }
	wait_direct "$id" >/dev/null || { echo "bench_chain: no answer from BE" >&2; exit 1; }
	t1=$(now_ms)
	echo $((t1 - t0)) >> "$base"
done < "$DEMO_DIR/data/chains.tsv"
bm=$(stats "one hop FR -> BE" "$base" 2>"$base.median")
echo "$bm"

if [ "$COMPAT" = 1 ] || ! have_chain; then
	echo "bench_chain: this build has no hub mode or no tracectl chain: the four-State chain is not measured"
	exit 0
fi

echo "== bench_chain: $N four-State chains FR -> (hub) BE -> NL -> DE"
i=0
while IFS='	' read -r serial misread mfr model wtype cal year; do
	i=$((i + 1))
	[ $i -le "$N" ] || break
	id=$(request "$req" "$misread" "$mfr" "$model" "$wtype" "$cal" "$year" 1)
	t0=$(now_ms)
	submit_own "$req" >/dev/null || { echo "bench_chain: submit to FR failed" >&2; exit 1; }
	chain "$id" > "$DEMO_DIR/requests/chain.out" 2>&1 ||
	    { cat "$DEMO_DIR/requests/chain.out" >&2; echo "bench_chain: tracectl chain failed" >&2; exit 1; }
	t1=$(now_ms)
	echo $((t1 - t0)) >> "$full"
done < "$DEMO_DIR/data/chains.tsv"
cm=$(stats "four-State chain" "$full" 2>"$full.median")
echo "$cm"
awk -v b="$(cat "$base.median")" -v c="$(cat "$full.median")" 'BEGIN {
	if (b > 0) printf "ratio of medians, chain / one hop: %.2f (target: chain median under 100 ms)\n", c / b }'
