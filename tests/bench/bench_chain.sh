#!/bin/bash
# The four-State chain, end to end on loopback (issue 7's speed target:
# under 100 ms median): make demo's five daemons (etc/demo/demo.sh: BE, NL,
# DE, FR and the liaison hub XH) in a folder and on ports of their own,
# with a smaller data set, then N traces of weapons made in BE, exported to
# NL and re-exported to DE, each a new request of FR's investigator to FR's
# own daemon with follow_referrals, on a weapon of its own, timed from
# before tracectl submit --follow to its end (the acknowledgement, then the
# assembled chain, every hop's signature and log proofs checked, in one
# command on one connection): FR -> XH -> BE, then NL, then DE, all through
# the hub.
#
# Baselines, measured in the same run on the same weapons:
#   local     tracectl local on BE's database: the trace alone, no network
#   direct    one hop FR -> BE straight to BE's daemon, nothing followed
#             (tracectl submit, then tracectl wait): the ratio's divisor
#   one hop   FR's investigator to FR's daemon with follow_referrals false:
#             one hop through the hub, timed as the chain is
#   chain in two commands
#             the chain again, with tracectl submit, then tracectl chain
#             --wait (two processes, two TLS connections)
# Prints median and 99th percentile of each, the ratio of the chain's
# median to the direct hop's, and where the chain's time goes, from the
# times the daemons signed into it (median of each part), split at the end
# into the time inside the daemons (hop 0 stored to the last answer
# stored) and the rest, spent in tracectl (starting, TLS, signing; reading,
# verifying and printing the chain).  Times include starting tracectl.
#
#   tests/bench/bench_chain.sh [N]      (make bench runs it; N default 50)
#
# BENCH_CHAIN_DIR (default BUILDDIR/var/bench-chain), BENCH_CHAIN_PORT
# (default 8460) and BENCH_CHAIN_SCALE (default 0.05: 1,000 weapons in BE)
# place it; DEMO_POLL, DEMO_CHECKPOINT_INTERVAL and DEMO_WITNESS_INTERVAL
# tune the daemons as in etc/demo/demo.sh.  The daemons and the cluster are
# stopped at the end.
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

# The records are made for N chains: a folder made for fewer is made again.
if [ -f "$DEMO_DIR/data/chains.tsv" ] && [ "$(wc -l < "$DEMO_DIR/data/chains.tsv")" -lt "$N" ]; then
	sh "$DEMO" stop >/dev/null 2>&1 || true
	rm -rf "$DEMO_DIR"
fi

trap 'sh "$DEMO" stop >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
sh "$DEMO" start || { echo "bench_chain: the demo's daemons did not start" >&2; exit 1; }

# The demo's helpers (request, submit_own, submit_follow, chain,
# submit_direct, wait_direct), with the variables they need.
DEMO_LIB=1
. "$DEMO"

# The time in microseconds, read without starting a process (date(1) costs
# a few milliseconds here, which the figures would count).
now_us() { NOW_US=${EPOCHREALTIME/[.,]/}; }

# stats NAME FILE: median and 99th percentile of the milliseconds in FILE
# (the median also on standard error).
stats() {
	sort -n "$2" | awk -v name="$1" '{ v[NR] = $1 } END {
		if (NR == 0) { print name ": no samples"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		i = int(0.99 * NR + 0.999); if (i < 1) i = 1; if (i > NR) i = NR
		printf "%-44s %3d samples, median %7.1f ms, p99 %7.1f ms, min %6.1f ms, max %6.1f ms\n",
		    name ":", NR, m, v[i], v[1], v[NR]
		print m > "/dev/stderr" }'
}

R=$DEMO_DIR/requests
req=$R/bench.json
mkdir -p "$R/chains"
for f in local direct onehop chain chain2; do : > "$R/$f.ms"; done
: > "$R/chain.times"

# each KIND: runs N traces of that kind, one weapon each.
each() {
	kind=$1
	i=0
	while IFS='	' read -r serial misread mfr model wtype cal year; do
		i=$((i + 1))
		[ $i -le "$N" ] || break
		case $kind in
		local)
			request "$req" "$misread" "$mfr" "$model" "$wtype" "$cal" "$year" 0 >/dev/null
			db=$(conninfo BE)
			now_us; t0=$NOW_US
			$TRACECTL --db "$db" local --request "$req" >/dev/null ||
			    { echo "bench_chain: tracectl local failed" >&2; exit 1; }
			;;
		direct)
			id=$(request "$req" "$misread" "$mfr" "$model" "$wtype" "$cal" "$year" 0)
			now_us; t0=$NOW_US
			submit_direct "$req" >/dev/null || { echo "bench_chain: submit to BE failed" >&2; exit 1; }
			wait_direct "$id" >/dev/null || { echo "bench_chain: no answer from BE" >&2; exit 1; }
			;;
		onehop|chain)
			follow=0
			[ $kind = chain ] && follow=1
			id=$(request "$req" "$misread" "$mfr" "$model" "$wtype" "$cal" "$year" $follow)
			now_us; t0=$NOW_US
			submit_follow "$req" > "$R/chain.out" 2>&1 ||
			    { cat "$R/chain.out" >&2; echo "bench_chain: tracectl submit --follow failed" >&2; exit 1; }
			now_us; t1=$NOW_US
			;;
		chain2)
			id=$(request "$req" "$misread" "$mfr" "$model" "$wtype" "$cal" "$year" 1)
			now_us; t0=$NOW_US
			submit_own "$req" >/dev/null || { echo "bench_chain: submit to FR failed" >&2; exit 1; }
			chain "$id" > "$R/chain.out" 2>&1 ||
			    { cat "$R/chain.out" >&2; echo "bench_chain: tracectl chain failed" >&2; exit 1; }
			now_us; t1=$NOW_US
			;;
		esac
		case $kind in
		local|direct)
			now_us; t1=$NOW_US
			;;
		*)	# the chain shown, complete: 1 hop, or 3 when followed
			want=3
			[ $kind = onehop ] && want=1
			grep -q "^Chain of request $id, asked by FR: $want hops\{0,1\}, complete" "$R/chain.out" ||
			    { cat "$R/chain.out" >&2; echo "bench_chain: not the $want-hop chain expected" >&2; exit 1; }
			;;
		esac
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) / 1000 }' >> "$R/$kind.ms"
		if [ $kind = chain ]; then echo "$id	$t0	$t1" >> "$R/chain.times"; fi
	done < "$DEMO_DIR/data/chains.tsv"
}

echo "== bench_chain: $N traces of each kind, BE $(wc -l < "$DEMO_DIR/data/BE/weapons.csv") weapons (scale $DEMO_SCALE)"
each local
stats "local: tracectl local on BE's database" "$R/local.ms" 2>/dev/null
each direct
stats "direct: one hop FR -> BE, no following" "$R/direct.ms" 2>"$R/direct.median"
each onehop
stats "one hop FR -> XH -> BE, through FR's daemon" "$R/onehop.ms" 2>/dev/null
each chain
stats "chain FR -> XH -> BE -> NL -> DE, verified" "$R/chain.ms" 2>"$R/chain.median"
each chain2
stats "the same chain in two commands" "$R/chain2.ms" 2>/dev/null
awk -v b="$(cat "$R/direct.median")" -v c="$(cat "$R/chain.median")" 'BEGIN {
	if (b > 0) printf "ratio of medians, chain / direct one hop: %.2f (target: chain median under 100 ms: %s)\n",
	    c / b, c < 100 ? "met" : "NOT met" }'

# Where the chain's time goes: the hops' times as FR's daemon signed them
# into the chain document.
while IFS='	' read -r id t0 t1; do
	chain "$id" --json > "$R/chains/$id.json" 2>/dev/null || true
done < "$R/chain.times"
python3 - "$R/chain.times" "$R/chains" <<'PY'
import datetime, json, os, statistics, sys
def ms(s):
    s = s.rstrip("Z")
    return datetime.datetime.fromisoformat(s).replace(tzinfo=datetime.timezone.utc).timestamp() * 1000
parts = {}
def add(k, v):
    parts.setdefault(k, []).append(v)
for line in open(sys.argv[1]):
    id, t0, t1 = line.split()
    t0, t1 = int(t0) / 1000.0, int(t1) / 1000.0
    try:
        d = json.load(open(os.path.join(sys.argv[2], id + ".json")))
    except Exception:
        continue
    hops = d["hops"]
    add("submit -> hop 0 sent (tracectl submit, FR stores)", ms(hops[0]["sent_at"]) - t0)
    for i, h in enumerate(hops):
        st = h["requested_state"]
        add("hop %d %s: sent -> acknowledged (via XH)" % (i, st), ms(h["acknowledged_at"]) - ms(h["sent_at"]))
        add("hop %d %s: acknowledged -> answered" % (i, st), ms(h["answered_at"]) - ms(h["acknowledged_at"]))
        if i + 1 < len(hops):
            add("hop %d -> %d: answered -> next sent (FR)" % (i, i + 1), ms(hops[i + 1]["sent_at"]) - ms(h["answered_at"]))
    add("last answered -> tracectl done", t1 - ms(hops[-1]["answered_at"]))
    add("in the daemons: hop 0 sent -> last answered", ms(hops[-1]["answered_at"]) - ms(hops[0]["sent_at"]))
    add("in tracectl: the rest", (t1 - t0) - (ms(hops[-1]["answered_at"]) - ms(hops[0]["sent_at"])))
print("where the chain's time goes (median ms over %d chains):" % len(parts.get("last answered -> tracectl done", [])))
for k, v in parts.items():
    print("  %-52s %7.1f" % (k, statistics.median(v)))
PY
