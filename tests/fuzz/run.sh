#!/bin/bash
# Runs each libFuzzer harness that build.sh made for a set time, from the
# committed seeds (tests/fuzz/corpus/NAME) and seeds taken from the source
# tree (proto/examples, etc/*.csv, the fixtures), and prints one line per
# harness with its executions.  A finding stops the run: the harness's
# output and the input that caused it (crash-*, leak-*, timeout-*) are left
# in OUTDIR/findings/NAME.
#
# Usage: run.sh SRCDIR OUTDIR [NAME...]
# Environment: FUZZ_SECONDS per harness (default 60), FUZZ_KEEP=1 to keep
# the inputs found (OUTDIR/corpus/NAME) from one run to the next.
set -euo pipefail
src=$(cd "$1" && pwd)
out=$(cd "$2" && pwd)
shift 2
secs=${FUZZ_SECONDS:-60}
all="request response ack problem chain jws note cosig proof import peers config http"
names=${*:-$all}

seeds() {
	local name=$1 d=$2
	mkdir -p "$d"
	case $name in
	request|response|ack|problem)
		local pat=$name
		[ "$name" = ack ] && pat=ack
		for f in "$src"/proto/examples/*"$pat"*.json; do
			[ -f "$f" ] && cp "$f" "$d/"
		done ;;
	chain) cp "$src"/proto/examples/trace-chain-*.json "$d/" ;;
	import) cp "$src"/etc/sample-*.csv "$d/" ;;
	peers) cp "$src"/tests/fuzz/fixtures/peers.ini "$d/" ;;
	esac
	return 0
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
total=0
for name in $names; do
	bin="$out/fuzz_$name"
	[ -x "$bin" ] || { echo "run.sh: no $bin: run build.sh first" >&2; exit 1; }
	work="$out/corpus/$name"
	[ "${FUZZ_KEEP:-0}" = 1 ] || rm -rf "$work"
	mkdir -p "$work" "$out/findings/$name"
	rm -rf "$out/seeds/$name"
	seeds "$name" "$out/seeds/$name"
	dirs=("$work" "$out/seeds/$name")
	[ -d "$src/tests/fuzz/corpus/$name" ] && dirs+=("$src/tests/fuzz/corpus/$name")
	log="$out/findings/$name/fuzz.log"
	if ! (cd "$out/findings/$name" && "$bin" -max_total_time="$secs" \
	    -print_final_stats=1 -timeout=20 -rss_limit_mb=2560 -max_len=65536 \
	    "${dirs[@]}") >"$log" 2>&1; then
		echo "fuzz: $name: FINDING (see $log):"
		grep -E "ERROR|check failed|SUMMARY|runtime error|Test unit written" "$log" | head -20
		exit 1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
	echo "fuzz: $name: ${execs:-?} executions in ${secs} s, coverage ${cov:-?} edges, no finding"
	total=$((total + ${execs:-0}))
done
echo "fuzz: $total executions in all"
