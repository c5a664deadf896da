#!/bin/sh
# The boundaries between the parts, and no cycle between files (issue 18).
#
# 1. Every header of the tree, included alone by a file of each part
#    (common, registry, proto, tracer) with that part's own compiler flags
#    as Makefile.am gives them (LAYOUT_FLAGS_<PART>): what the rules allow
#    compiles, what they forbid stops the compiler with the header's own
#    #error, not by chance (a missing -I).  The rules:
#      - a part's headers outside its include/ folder are its own
#        (internal): no other part includes them;
#      - common is below everything and includes no part;
#      - proto includes common only (never registry, never tracer);
#      - registry includes common and proto, never tracer;
#      - tracer includes them all.
# 2. tests/layout.py over the sources and the objects of the build: no
#    cycle between source files (nm) or between headers.
set -u
SRC=${REG_TEST_SRCDIR:-.}
BUILD=${REG_TEST_BUILDDIR:-.}
CC=${LAYOUT_CC:-cc}
fails=0
n=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

flags() {
	case $1 in
	common) echo "${LAYOUT_FLAGS_COMMON:-}" ;;
	registry) echo "${LAYOUT_FLAGS_REGISTRY:-}" ;;
	proto) echo "${LAYOUT_FLAGS_PROTO:-}" ;;
	tracer) echo "${LAYOUT_FLAGS_TRACER:-}" ;;
	esac
}
for p in common registry proto tracer; do
	if [ -z "$(flags $p)" ]; then
		echo "FAIL: LAYOUT_FLAGS_$(echo $p | tr a-z A-Z) is not set (run me from make check)"
		exit 1
	fi
done

# allowed FROM_PART HEADER_PART PUBLIC(0/1) -> 0 if the rules allow it.
allowed() {
	from=$1 to=$2 public=$3
	[ "$from" = "$to" ] && return 0
	[ "$public" = 1 ] || return 1
	case "$from:$to" in
	registry:common|proto:common|tracer:common) return 0 ;;
	registry:proto|tracer:proto|tracer:registry) return 0 ;;
	esac
	return 1
}

# The compiles run here, in the build tree, where the flags' relative
# folders ($(top_srcdir) is relative in a VPATH build) resolve.
headers=$(cd "$SRC" && find common registry proto tracer -name '*.h' 2>/dev/null | sort)
for h in $headers; do
	part=${h%%/*}
	case "$h" in
	*/include/*) public=1; inc=${h#*/include/} ;;
	*) public=0; inc=$h ;;
	esac
	for from in common registry proto tracer; do
		n=$((n + 1))
		printf '#include "%s"\n' "$inc" > "$TMP/t.c"
		# shellcheck disable=SC2046
		$CC $(flags $from) -I"$SRC/common/include" -I"$SRC/registry/include" \
		    -I"$SRC/proto/include" -I"$SRC/tracer/include" -I"$SRC" \
		    ${LAYOUT_DEPS:-} -fsyntax-only "$TMP/t.c" \
		    > "$TMP/out" 2>&1
		rc=$?
		if allowed "$from" "$part" "$public"; then
			if [ $rc -ne 0 ]; then
				echo "FAIL: $from may include $h, but it does not compile:"
				sed 's/^/    /' "$TMP/out" | head -5
				fails=$((fails + 1))
			fi
		elif [ $rc -eq 0 ]; then
			echo "FAIL: $from includes $h, which the rules forbid, and it compiles"
			fails=$((fails + 1))
		elif ! grep -q '#error' "$TMP/out"; then
			echo "FAIL: $from including $h fails, but not by the header's #error:"
			sed 's/^/    /' "$TMP/out" | head -3
			fails=$((fails + 1))
		fi
	done
done
echo "includes: $n cases, $fails failures"

if ! /usr/bin/python3 "$SRC/tests/layout.py" "$SRC" "$BUILD"; then
	fails=$((fails + 1))
fi
[ $fails -eq 0 ] || exit 1
echo "PASS"
