#!/bin/sh
# tracerd under a flood of connections that never authenticate (issue 17,
# findings 4 and 9), on loopback, bounded in count and time: idle TCP
# connections that never start TLS, half-open handshakes (half a
# ClientHello) and TLS connections without a client certificate, while
# authenticated callers keep asking GET /healthz, each on a new connection.
# Every authenticated call must be served (99% at least) with bounded
# latency; every flood connection closed by the handshake deadline; every
# refused handshake logged with its peer and reason, at most
# handshake_log_rate lines a second, the rest counted in a "suppressed" line.
# The flood is tests/tls_flood.py; it stops by itself.
set -u
SRC="${REG_TEST_SRCDIR:-.}"
TRACERD="${REG_TEST_BUILDDIR:-.}/tracerd"
FLOOD="/usr/bin/python3 $SRC/tests/tls_flood.py"
T=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
passes=0
ok() { echo "ok $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@" | head -20; fails=$((fails + 1)); }

# ---------------------------------------------------------------- PKI
cd "$T" || exit 1
. "$SRC/tests/testlib.sh"
pki_init || { echo "FAIL pki"; exit 1; }
gen server "/C=BE/O=Registry/CN=localhost" server &&
gen nl "/C=NL/OU=peer/CN=tracing.nl.example" client &&
gen stranger "/C=NL/OU=peer/CN=Stranger" client other || { echo "FAIL pki"; exit 1; }
# A certificate of the trusted CA that expired years ago.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout expired.key -out expired.csr -subj "/C=NL/OU=peer/CN=Expired" 2>/dev/null &&
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -extensions client \
    -startdate 20200101000000Z -enddate 20200201000000Z -in expired.csr \
    -out expired.pem -notext >/dev/null 2>&1 || { echo "FAIL pki expired"; exit 1; }
openssl genpkey -algorithm ed25519 -out be-sign.key 2>/dev/null
chmod 600 server.key be-sign.key
port=$(free_port)
# At most 50 authenticated connections and 40 handshakes; a handshake has
# 2 seconds.  The other limits are the defaults.
tracerd_ini --state BE --listen 127.0.0.1:$port --cert server \
    --sign be-sign.key --kid BE/1 > tracerd.ini
cat >> tracerd.ini <<INI
[limits]
max_connections = 50
max_handshakes = 40
handshake_timeout = 2
handshake_log_rate = 5
INI
"$TRACERD" --config tracerd.ini 2>> daemon.log &
pid=$!
wait_healthz "https://127.0.0.1:$port" nl && ok "started" ||
    { bad start "$(cat daemon.log)"; exit 1; }

# ---------------------------------------------------------------- each reason
# One refusal of each kind, slowly enough to be logged.
$FLOOD probe "$port" 2 > probe.out 2>&1
while read -r name res detail; do
	if [ "$res" != ok ]; then
		bad "refused: $name" "$detail"
	elif grep -q "event=tls-refused peer=127\.0\.0\.1:[0-9]* reason=$name" daemon.log; then
		ok "refused and logged: $name ($detail)"
	else
		bad "logged: $name" "$(grep -v 'event=request' daemon.log | tail -8)"
	fi
done < probe.out
[ "$(wc -l < probe.out)" -eq 5 ] || bad probes "$(cat probe.out)"

# ---------------------------------------------------------------- all places taken
# max_connections (50) callers keep their connections open: one more is
# served, the connection idle the longest closed for it.
out=$($FLOOD full "$port" 50 2>&1)
case "$out" in
ok*) ok "max_connections: $out" ;;
*) bad "max_connections: a new caller served" "$out" ;;
esac

# ---------------------------------------------------------------- the flood
# 150 idle and 100 half-open connections kept open (each closed one
# replaced) and 10 connections a second without a certificate, for 14
# seconds; 3 callers with the certificate all along.
$FLOOD flood "$port" 14 150 100 10 3 > flood.json 2> flood.err ||
    { bad flood "$(cat flood.err)"; exit 1; }
echo "# $(cat flood.json)"
get() { python3 -c "import json,sys; print(json.load(open('flood.json'))[sys.argv[1]])" "$1"; }
total=$(get auth_total) served=$(get auth_served) p50=$(get auth_p50) p99=$(get auth_p99)
opened=$(get flood_opened)
[ "$opened" -ge 250 ] && ok "flood: $opened idle and half-open connections, $(get nocert) without a certificate" ||
    bad flood-size "$opened opened"
if [ "$total" -ge 100 ] && [ $((served * 100)) -ge $((total * 99)) ]; then
	ok "authenticated calls served: $served of $total (p50 ${p50}s, p99 ${p99}s)"
else
	bad "authenticated calls served: $served of $total" "$(get auth_errors)"
fi
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 2.0 else 1)" "$p99" 2>/dev/null &&
    ok "latency p99 ${p99}s <= 2s" || bad "latency p99 ${p99}s > 2s"
# The handshake deadline (2 s) with a second's slack for a loaded machine;
# the last ones are waited for at most 6 seconds.
left=$(get flood_still_open) lmax=$(get flood_lifetime_max)
[ "$left" = 0 ] && python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 3.0 else 1)" "$lmax" 2>/dev/null &&
    ok "flood connections closed by the deadline (longest ${lmax}s, p50 $(get flood_lifetime_p50)s)" ||
    bad "flood connections closed by the deadline" "$left still open, longest ${lmax}s"
[ "$(get nocert_left_open)" = 0 ] && ok "connections without a certificate closed" ||
    bad nocert-open "$(get nocert_left_open) left open"

# ---------------------------------------------------------------- the log
# At most handshake_log_rate (5) refusal lines in any second, and what was
# left out counted.
worst=$(grep 'event=tls-refused peer=' daemon.log | cut -d' ' -f1 | sort | uniq -c |
    sort -rn | head -1 | awk '{print $1}')
[ -n "$worst" ] && [ "$worst" -le 5 ] && ok "at most 5 refusal lines a second (busiest: $worst)" ||
    bad "refusal lines rate-limited" "busiest second: ${worst:-none}"
sup=$(sed -n 's/.*event=tls-refused suppressed=\([0-9]*\).*/\1/p' daemon.log |
    awk '{s += $1} END {print s + 0}')
[ "$sup" -gt 0 ] && ok "suppressed refusals counted: $sup" ||
    bad "suppressed refusals counted" "$(grep tls-refused daemon.log | tail -3)"
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert ca.pem --cert nl.pem --key nl.key \
    "https://127.0.0.1:$port/healthz")
[ "$st" = 200 ] && ok "serving after the flood" || bad after-flood "HTTP $st"

kill -TERM "$pid"; i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$pid" 2>/dev/null && bad sigterm "still running" || ok "SIGTERM stops it"
pid=""
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
