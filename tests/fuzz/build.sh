#!/bin/bash
# Builds the libFuzzer harnesses of tests/fuzz with clang, apart from the
# project's own build: the sources each harness needs are compiled here
# with -fsanitize=fuzzer-no-link,address,undefined and linked with
# -fsanitize=fuzzer.  "make fuzz" runs it (then tests/fuzz/run.sh).
#
# Usage: build.sh SRCDIR BUILDDIR OUTDIR
#   SRCDIR    the source tree's top; BUILDDIR the configured build tree's
#   top (for config.h); OUTDIR where objects and harnesses go.
# Environment: CC (default clang), FUZZ_JOBS (default 2), FUZZ_CFLAGS
# (added to the compiler's flags).
set -eu
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
mkdir -p "$3"
out=$(cd "$3" && pwd)
CC=${CC:-clang}
case "$CC" in *gcc*|cc) CC=clang ;; esac
jobs=${FUZZ_JOBS:-2}

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "build.sh: $CC is missing: apt-get install clang libclang-rt-14-dev" >&2
	exit 1
fi
if [ ! -f "$build/config.h" ]; then
	echo "build.sh: no $build/config.h: run ./configure first" >&2
	exit 1
fi

pc() { pkg-config "$@" jansson libcrypto libssl libpq inih libevent libcurl uuid; }
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=c11 -g -O1 $SAN -Wall -Wextra -Wno-unused-parameter -DREG_WHITEBOX \
	-I$build -I$src/registry/include -I$src/registry -I$src/proto/include -I$src/proto \
	-I$src/tracer/include -I$src/tracer -I$src/tracer/net -I$src/tracer/tracerd \
	-I$src/tracer/tracectl -I$src/registry/regctl -I$src/common/include -I$src/tests -I$src/tests/fuzz \
	-DREG_SRCDIR=\"$src\" -DREG_BUILDDIR=\"$build\" -DREG_PKGDATADIR=\"$build\" \
	-DREG_PG_BINDIR_DEFAULT=\"/usr/bin\" -DFUZZ_FIXTURES=\"$src/tests/fuzz/fixtures\" \
	$(pc --cflags) ${FUZZ_CFLAGS:-}"
LIBS="$(pc --libs) -levent_openssl -lcsv -lpthread"

# Every source of the libraries (common, registry with its stores, proto,
# the engine, net) and of tracectl, found by folder so that a file added to
# a library needs no change here; of the daemon, only the parts the
# harnesses reach (its event loop and endpoints are not among them);
# regctl's own files are the program, only its shared CLI helpers are in.
sources() {
	for d in common registry registry/stores proto tracer tracer/net tracer/tracectl; do
		[ -d "$src/$d" ] || continue
		(cd "$src" && ls -- "$d"/*.c 2>/dev/null) || true
	done
	echo registry/regctl/cli.c
	echo registry/regctl/localdb.c
	for f in tracerd_config tracerd_http_read metrics ratelimit; do
		echo "tracer/tracerd/$f.c"
	done
}

mkdir -p "$out/obj"
# One compile: $1 the source, $2 the object, then extra flags.
compile() {
	s=$1 o=$2
	shift 2
	if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find "$src" -name '*.h' -newer "$o" -print -quit)" ]; then
		echo "  CC(fuzz) ${s#"$src"/}"
		# shellcheck disable=SC2086
		$CC $CFLAGS -fsanitize=fuzzer-no-link "$@" -c "$s" -o "$o"
	fi
}
list() {
	for f in $(sources); do
		echo "$src/$f $out/obj/$(echo "${f%.c}" | tr / _).o"
	done
	echo "$src/tests/fuzz/fuzz_common.c $out/obj/fuzz_common.o"
}
# Two at a time (the machine is shared); a failure stops the build.
while read -r s o; do
	extra=""
	case "$s" in */tracectl.c) extra="-Dmain=tracectl_main" ;; esac
	compile "$s" "$o" $extra &
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || exit 1; done
done < <(list)
while [ -n "$(jobs -rp)" ]; do wait -n || exit 1; done
objs=$(list | awk '{print $2}')
for o in $objs; do
	[ -f "$o" ] || { echo "build.sh: $o was not built" >&2; exit 1; }
done
rm -f "$out/obj/libfuzzproj.a"
# shellcheck disable=SC2086
ar rcs "$out/obj/libfuzzproj.a" $objs

# The harnesses: name, source, extra flags.
harness() {
	name=$1 s=$2
	shift 2
	o="$out/obj/fuzz_$name.o"
	compile "$src/tests/fuzz/$s" "$o" "$@"
	if [ ! -f "$out/fuzz_$name" ] || [ "$o" -nt "$out/fuzz_$name" ] ||
	    [ "$out/obj/libfuzzproj.a" -nt "$out/fuzz_$name" ]; then
		echo "  LD(fuzz) fuzz_$name"
		# shellcheck disable=SC2086
		$CC $CFLAGS -fsanitize=fuzzer "$o" "$out/obj/libfuzzproj.a" $LIBS \
			-o "$out/fuzz_$name"
	fi
}
harness request fuzz_proto.c -DFUZZ_DOC=request
harness response fuzz_proto.c -DFUZZ_DOC=response -DFUZZ_DOC_IS_RESPONSE=1
harness ack fuzz_proto.c -DFUZZ_DOC=ack
harness problem fuzz_proto.c -DFUZZ_DOC=problem
harness chain fuzz_chain.c
harness jws fuzz_jws.c
harness note fuzz_note.c
harness cosig fuzz_cosig.c
harness proof fuzz_proof.c
harness import fuzz_import.c
harness peers fuzz_peers.c
harness config fuzz_config.c
harness http fuzz_http.c
echo "build.sh: harnesses in $out"
