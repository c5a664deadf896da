#!/bin/sh
# The files tests/bench/bench_tracerd.c starts tracerd with, written into
# DIR: a test PKI (tests/testlib.sh) with the daemon's certificate (State NL)
# and a peer's (C=BE, OU=peer: peer.pem, peer.key); Ed25519 signing keys
# for NL (the daemon, NL/1) and BE (the peer, BE/1); the log's key with a
# first checkpoint of the registry DATABASE; peers.ini and tracerd.ini.
#
#   tracerd_setup.sh DIR PORT DATABASE POOL TRACES
set -eu
[ $# -eq 5 ] || { echo "usage: tracerd_setup.sh DIR PORT DATABASE POOL TRACES" >&2; exit 2; }
SRC="${REG_TEST_SRCDIR:-.}"
REGCTL="${REG_TEST_BUILDDIR:-.}/regctl"
dir=$1 port=$2 db=$3 pool=$4 traces=$5
cd "$dir"

. "$SRC/tests/testlib.sh"
pki_init || exit 1
gen server "/C=NL/O=Registry/CN=localhost" server
gen peer "/C=BE/OU=peer/CN=tracing.be.example" client
sign_keys nl be
chmod 600 server.key nl-sign.key

REGISTRY_DB=$db "$REGCTL" key generate --name nl.example/log --key log.key \
    > log.out 2>&1 || { cat log.out >&2; exit 1; }
vkey=$(grep '+' log.out | tail -1)
REGISTRY_DB=$db "$REGCTL" log checkpoint --key log.key >/dev/null

peer_ini BE https://tracing.be.example "BE/1 be-sign.pub" "$vkey" > peers.ini
# Timeouts far beyond a run, so that the idle connections of the memory
# figure stay open; no rate limit that a benchmark would meet.
tracerd_ini --state NL --listen 127.0.0.1:$port --db "$db" --cert server \
    --sign nl-sign.key --kid NL/1 --peers peers.ini > tracerd.ini
cat >> tracerd.ini <<INI
[limits]
header_timeout = 600
idle_timeout = 600
max_connections = 4096
rate = 100000
burst = 1000000
[workers]
pool = $pool
traces = $traces
[log]
key = log.key
checkpoint_interval = 60
INI
"${REG_TEST_BUILDDIR:-.}/tracerd" --config tracerd.ini --check >/dev/null
