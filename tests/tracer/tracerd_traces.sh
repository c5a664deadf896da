#!/bin/sh
# tracerd end to end, on loopback with real certificates and the sample
# registry of State BE: a peer State's signed trace request acknowledged,
# traced and answered; the same request again; a conflict; who may read
# what; every bad input refused with its problem; the log endpoints against
# regctl; a crash in the middle of a trace recovered at the next start.
# Every signed message is checked with an independent JWS implementation
# (python3-jwcrypto, tests/jws_tool.py) and the answer with tracectl verify.
set -u
SRC="${REG_TEST_SRCDIR:-.}"
TRACERD="${REG_TEST_BUILDDIR:-.}/tracerd"
TRACECTL="${REG_TEST_BUILDDIR:-.}/tracectl"
REGCTL="${REG_TEST_BUILDDIR:-.}/regctl"
JWS="/usr/bin/python3 $SRC/tests/jws_tool.py"
T=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
passes=0
ok() { echo "ok $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@" | head -20; fails=$((fails + 1)); }

# ---------------------------------------------------------------- registry
psql -q -c "CREATE DATABASE traced" postgres >/dev/null
export REGISTRY_DB=dbname=traced
"$REGCTL" migrate >/dev/null || { echo "FAIL migrate"; exit 1; }
(cd "$SRC" && REGCTL="$REGCTL" sh etc/sample-setup.sh >/dev/null) || { echo "FAIL setup"; exit 1; }
"$REGCTL" import "$SRC/etc/sample-weapons.csv" >/dev/null &&
"$REGCTL" import "$SRC/etc/sample-events.csv" >/dev/null || { echo "FAIL import"; exit 1; }
cd "$T" || exit 1
. "$SRC/tests/testlib.sh"
vkey=$(log_key be.example/log log.key)
"$REGCTL" log checkpoint --key log.key >/dev/null || { echo "FAIL checkpoint"; exit 1; }

# ---------------------------------------------------------------- PKI, keys
pki_init || { echo "FAIL pki"; exit 1; }
gen server "/C=BE/O=Registry/CN=localhost" server &&
gen nl "/C=NL/OU=peer/CN=tracing.nl.example" client &&
gen fr "/C=FR/OU=peer/CN=tracing.fr.example" client &&
gen liaison "/C=BE/OU=liaison/CN=Liaison office" client &&
gen auditor "/C=BE/OU=auditor/CN=Auditor" client &&
gen investigator "/C=BE/OU=investigator/CN=Inspector" client &&
gen clerk "/C=BE/OU=clerk/CN=Clerk" client || { echo "FAIL pki"; exit 1; }
sign_keys be nl fr
chmod 600 server.key be-sign.key
{
	peer_ini NL https://tracing.nl.example "NL/1 nl-sign.pub" "$vkey"
	peer_ini FR https://tracing.fr.example "FR/1 fr-sign.pub" "$vkey"
} > peers.ini
# What the requesting State (NL) knows of BE, for tracectl verify.
peer_ini BE https://127.0.0.1 "BE/1 be-sign.pub" "$vkey" > nl-peers.ini
port=$(free_port)
tracerd_ini --state BE --listen 127.0.0.1:$port --db dbname=traced --cert server \
    --sign be-sign.key --kid BE/1 --peers peers.ini > tracerd.ini
cat >> tracerd.ini <<INI
[limits]
header_timeout = 5
body_max = 65536
[workers]
pool = 2
traces = 1
retry = 1
[log]
key = log.key
checkpoint_interval = 1
[deadlines]
urgent.NL = 6
INI

start() {
	"$TRACERD" --config tracerd.ini 2>> daemon.log &
	pid=$!
	wait_healthz "https://127.0.0.1:$port" nl
}
start

# call WHO METHOD PATH [curl options]: body in out.body, headers in out.hdr,
# prints the HTTP status.
call() {
	who=$1 m=$2 path=$3
	shift 3
	curl -s --cacert ca.pem --cert "$who.pem" --key "$who.key" -X "$m" \
	    -D out.hdr -o out.body -w '%{http_code}' "$@" "https://127.0.0.1:$port$path"
}
# post WHO FILE [content-type]: POSTs FILE's bytes.
post() {
	call "$1" POST /v1/traces -H "Content-Type: ${3:-application/jose}" \
	    --data-binary "@$2"
}
# signed: out.body verifies with BE's key; its payload goes to out.json and
# "cty kid" to out.cty.
signed() {
	$JWS verify be-sign.pub out.body > out.v 2>&1 &&
	head -n 1 out.v > out.cty && tail -n +2 out.v > out.json
}
# problem NAME STATUS GOT: the answer is BE's signed problem NAME.
problem() {
	if [ "$3" = "$2" ] && signed && grep -q '^problem/1 BE/1' out.cty &&
	    grep -q "\"type\":\"urn:registry:problem:$1\"" out.json; then
		ok "$1 ($2)"
	else
		bad "$1" "HTTP $3, wanted $2" "$(cat out.body)"
	fi
}
field() {	# field JSON-PATH: a member of out.json
	python3 -c "import json,sys; d=json.load(open('out.json'))
for k in sys.argv[1].split('.'): d = d[int(k)] if k.isdigit() else d.get(k)
print(d if d is not None else '')" "$1"
}

# A request from NL for the sample P90, edited with python3.
edit() {	# edit OUT PYTHON-STATEMENTS (r is the request)
	_e=$1
	shift
	p90_request "$_e" "r['id'] = str(uuid.uuid4())" "r['requesting_state'] = 'NL'" "$@"
}

# ---------------------------------------------------------------- a trace
edit found.json
id=$(python3 -c "import json; print(json.load(open('found.json'))['id'])")
$JWS sign nl-sign.key NL/1 trace-request/1 found.json > found.jws
st=$(post nl found.jws)
if [ "$st" = 202 ] && signed && grep -q '^trace-ack/1 BE/1' out.cty &&
    [ "$(field status)" = acknowledged ] && [ "$(field request_id)" = "$id" ] &&
    grep -qi "^Location: /v1/traces/$id" out.hdr; then
	ok "acknowledged (202, signed by BE/1, Location)"
else
	bad acknowledged "HTTP $st" "$(cat out.body out.v 2>/dev/null)"
fi
cp out.body ack1.jws
want=$(python3 -c "import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256(open('found.jws','rb').read()).digest()).decode())")
[ "$(field request_sha256)" = "$want" ] && ok request_sha256 || bad request_sha256 "$(cat out.json)"
ack_index=$(field log_index)
# Urgent from NL: 6 hours by [deadlines] urgent.NL.
python3 -c "import json,datetime as d
a=json.load(open('out.json')); p=lambda s: d.datetime.fromisoformat(s.replace('Z','+00:00'))
assert (p(a['due_by'])-p(a['received_at'])).total_seconds()==6*3600" &&
    ok "due_by (urgent.NL = 6 hours)" || bad due_by "$(cat out.json)"
python3 -c "import json,jsonschema,sys
s=json.load(open(sys.argv[1])); d=json.load(open('out.json'))
jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker()).validate(d)" \
    "$SRC/proto/schemas/trace-ack-1.json" && ok ack-schema || bad ack-schema "$(cat out.json)"

st=$(post nl found.jws)
[ "$st" = 202 ] && cmp -s out.body ack1.jws && ok "same request again: the same acknowledgement" ||
    bad repeat "HTTP $st" "$(cat out.body)"
edit other.json "r['id'] = '$id'" "r['case_reference'] = 'another case'"
$JWS sign nl-sign.key NL/1 trace-request/1 other.json > other.jws
problem conflict 409 "$(post nl other.jws)"

# The answer: poll until the response comes.
i=0
while :; do
	st=$(call nl GET "/v1/traces/$id")
	signed && grep -q '^trace-response/1' out.cty && break
	i=$((i + 1))
	[ $i -ge 100 ] && break
	sleep 0.1
done
if [ "$st" = 200 ] && grep -q '^trace-response/1 BE/1' out.cty && [ "$(field status)" = found ] &&
    [ "$(field id)" = "$id" ]; then
	ok "answered: signed trace-response/1, found"
else
	bad answered "HTTP $st" "$(cat out.body out.v 2>/dev/null)"
fi
cp out.body resp.jws
out=$("$TRACECTL" verify --peers nl-peers.ini resp.jws 2>&1) &&
    printf '%s' "$out" | grep -q "signature by BE/1 good.*checkpoint good" &&
    ok "tracectl verify: $out" || bad tracectl-verify "$out"
st=$(call nl GET "/v1/traces/$id/status")
[ "$st" = 200 ] && signed && [ "$(field status)" = answered ] && [ -n "$(field responded_at)" ] &&
    ok "status document: answered, responded_at" || bad status "HTTP $st" "$(cat out.json)"

# ---------------------------------------------------------------- who reads
st=$(call liaison GET "/v1/traces/$id"); [ "$st" = 200 ] && ok "liaison reads" || bad liaison "HTTP $st"
st=$(call auditor GET "/v1/traces/$id/status"); [ "$st" = 200 ] && ok "auditor reads" || bad auditor "HTTP $st"
problem not-found 404 "$(call fr GET "/v1/traces/$id")"
problem forbidden 403 "$(call investigator GET "/v1/traces/$id")"
problem forbidden 403 "$(call clerk POST /v1/traces -H 'Content-Type: application/jose' --data-binary @found.jws)"
problem not-found 404 "$(call nl GET /v1/traces/00000000-0000-4000-8000-000000000000)"
problem not-found 404 "$(call nl GET /v1/traces/0000000000000000000000000000000000ab)"
problem not-found 404 "$(call nl GET /v1/nothing)"
problem bad-request 400 "$(call nl GET /v1/traces)"

# ---------------------------------------------------------------- bad input
edit r.json; $JWS sign fr-sign.key FR/1 trace-request/1 r.json > x.jws
problem kid-state-mismatch 403 "$(post nl x.jws)"
$JWS sign nl-sign.key NL/9 trace-request/1 r.json > x.jws
problem unknown-key 403 "$(post nl x.jws)"
$JWS sign fr-sign.key NL/1 trace-request/1 r.json > x.jws
problem bad-signature 403 "$(post nl x.jws)"
$JWS sign nl-sign.key NL/1 trace-request/9 r.json > x.jws
problem schema-version 422 "$(post nl x.jws)"
edit r.json "r['schema'] = 'trace-request/2'"; $JWS sign nl-sign.key NL/1 trace-request/1 r.json > x.jws
problem schema-version 422 "$(post nl x.jws)"
edit r.json "r['found']['country'] = 'XX'"; $JWS sign nl-sign.key NL/1 trace-request/1 r.json > x.jws
st=$(post nl x.jws); problem invalid-document 422 "$st"
[ "$(field field)" = found.country ] && ok "invalid-document names found.country" || bad field "$(cat out.json)"
edit r.json "r['requesting_state'] = 'FR'"; $JWS sign nl-sign.key NL/1 trace-request/1 r.json > x.jws
problem kid-state-mismatch 403 "$(post nl x.jws)"
edit r.json "r['requested_state'] = 'DE'"; $JWS sign nl-sign.key NL/1 trace-request/1 r.json > x.jws
problem wrong-state 422 "$(post nl x.jws)"
problem unsupported-media-type 415 "$(post nl found.jws application/json)"
: > empty; problem bad-request 400 "$(post nl empty)"
printf 'not.a.jws' > x.jws; problem bad-request 400 "$(post nl x.jws)"
head -c 3000 /dev/urandom > x.bin; problem bad-request 400 "$(post nl x.bin)"
head -c 100000 /dev/zero | tr '\0' 'A' > big
# libevent answers 413 and closes while the body may still be coming: the
# client may then see the connection reset before the answer (HTTP 000).
# Asked with Expect: 100-continue, so that the body waits for the verdict,
# and a second time if the reset came first all the same.
for i in 1 2 3; do
	st=$(call nl POST /v1/traces -H "Content-Type: application/jose" \
	    -H "Expect: 100-continue" --data-binary @big)
	[ "$st" = 000 ] || break
done
[ "$st" = 413 ] && ok "body over body_max: 413" || bad too-large "HTTP $st"
edit r.json; $JWS sign nl-sign.key NL/1 trace-request/1 r.json > x.jws
problem bad-request 400 "$(call nl PUT /v1/traces -H 'Content-Type: application/jose' --data-binary @x.jws)"
st=$(call nl GET /healthz); [ "$st" = 200 ] && ok "still serving after the bad input" || bad healthz "HTTP $st"
n=$(psql -At -c "SELECT count(*) FROM trace_request" traced)
[ "$n" = 1 ] && ok "nothing stored from the refused requests" || bad stored "$n requests stored"

# ---------------------------------------------------------------- the log
st=$(call nl GET /v1/log/checkpoint)
[ "$st" = 200 ] && grep -qi '^Content-Type: text/plain' out.hdr && head -n 1 out.body | grep -q '^be.example/log$' &&
    ok "checkpoint: a signed note" || bad checkpoint "HTTP $st" "$(cat out.body)"
size=$(sed -n 2p out.body)
[ "$size" -gt "$ack_index" ] && ok "the daemon's checkpoint seals the receipt (size $size)" ||
    bad checkpoint-size "size $size, receipt at $ack_index"
st=$(call nl GET "/v1/log/proof/inclusion?index=$ack_index&size=$size")
want=$("$REGCTL" log prove-inclusion --index "$ack_index" --size "$size")
[ "$st" = 200 ] && [ "$(cat out.body)" = "$want" ] && ok "inclusion proof = regctl's" ||
    bad inclusion "HTTP $st" "$(cat out.body)" "$want"
st=$(call auditor GET "/v1/log/proof/consistency?old=3&new=$size")
want=$("$REGCTL" log prove-consistency --from 3 --to "$size")
[ "$st" = 200 ] && [ "$(cat out.body)" = "$want" ] && ok "consistency proof = regctl's" ||
    bad consistency "HTTP $st" "$(cat out.body)" "$want"
problem bad-request 400 "$(call nl GET '/v1/log/proof/inclusion?index=-1')"
problem bad-request 400 "$(call nl GET '/v1/log/proof/inclusion?index=1&index=2')"
problem bad-request 400 "$(call nl GET '/v1/log/proof/inclusion?size=4')"
problem bad-request 400 "$(call nl GET '/v1/log/proof/inclusion?index=99999999&size=4')"
problem bad-request 400 "$(call nl GET '/v1/log/proof/consistency?old=1&new=1&x=2')"
problem forbidden 403 "$(call investigator GET /v1/log/checkpoint)"

# hold_traces S: traces cannot write their status for S seconds (a lock
# that psql holds on trace_status, in the background as $lockpid).
hold_traces() {
	psql -q -v s="$1" traced > /dev/null 2>&1 <<'SQL' &
BEGIN;
LOCK TABLE trace_status IN EXCLUSIVE MODE;
SELECT pg_sleep(:s);
COMMIT;
SQL
	lockpid=$!
	sleep 0.4
}

# ---------------------------------------------------------------- long poll
# GET ?wait=S holds the question until the answer is written: with the
# trace held on a lock for 3 seconds, ?wait=1 answers the status after a
# second, ?wait=20 the response as soon as the lock goes.
edit held.json
hid=$(python3 -c "import json; print(json.load(open('held.json'))['id'])")
$JWS sign nl-sign.key NL/1 trace-request/1 held.json > held.jws
hold_traces 3
st=$(post nl held.jws)
t0=$(date +%s.%N)
# Held too, each on its own connection: BE's liaison office for the
# response, NL for the status only.
for w in liaison:/v1/traces/$hid nl:/v1/traces/$hid/status; do
	curl -s --cacert ca.pem --cert "${w%%:*}.pem" --key "${w%%:*}.key" \
	    -o "held-${w%%:*}.body" -w '%{http_code}' "https://127.0.0.1:$port${w#*:}?wait=20" \
	    > "held-${w%%:*}.code" &
	heldpids="${heldpids:-} $!"
done
st=$(call nl GET "/v1/traces/$hid?wait=1")
t1=$(date +%s.%N)
signed && grep -q '^trace-ack/1' out.cty && python3 -c "import sys; sys.exit(not 0.8 < $t1 - $t0 < 2.5)" &&
    ok "?wait=1: the status after a second" || bad wait-1 "HTTP $st, $t0 .. $t1" "$(cat out.body)"
st=$(call nl GET "/v1/traces/$hid?wait=20")
t2=$(date +%s.%N)
signed && grep -q '^trace-response/1' out.cty && python3 -c "import sys; sys.exit(not $t2 - $t0 < 6)" &&
    ok "?wait=20: the response once written" || bad wait-20 "HTTP $st, $t0 .. $t2" "$(cat out.body)"
wait "$lockpid"
for p in $heldpids; do wait "$p"; done
printf '%s' "$(psql -At -c "SELECT response FROM trace_status WHERE request_id = '$hid' AND response IS NOT NULL" traced)" > held-stored
cmp -s out.body held-stored && [ "$(cat held-liaison.code)" = 200 ] && cmp -s held-liaison.body held-stored &&
    ok "the held answers: the response as stored, byte for byte" ||
    bad held-bytes "liaison HTTP $(cat held-liaison.code)" "$(head -c 300 held-liaison.body)"
cp held-nl.body out.body
[ "$(cat held-nl.code)" = 200 ] && signed && grep -q '^trace-ack/1' out.cty &&
    [ "$(field status)" = answered ] &&
    ok "a held question for the status only: the status, answered" ||
    bad held-status "HTTP $(cat held-nl.code)" "$(cat out.body)"
problem bad-request 400 "$(call nl GET "/v1/traces/$hid?wait=61")"
problem bad-request 400 "$(call nl GET "/v1/traces/$hid?wait=1&x=2")"

# ---------------------------------------------------------------- a failure
# The database refuses the trace's status write (the privilege revoked):
# the trace fails, stays open, and runs again a second later, once the
# privilege is back.
edit failing.json
fid=$(python3 -c "import json; print(json.load(open('failing.json'))['id'])")
$JWS sign nl-sign.key NL/1 trace-request/1 failing.json > failing.jws
psql -q -c "REVOKE INSERT ON trace_status FROM registry_app" traced
st=$(post nl failing.jws)
sleep 1.5
grep -q "event=trace request=$fid status=error" daemon.log && ok "a trace the database refused is logged" ||
    bad trace-error "$(tail -3 daemon.log)"
psql -q -c "GRANT INSERT ON trace_status TO registry_app" traced
st=$(call nl GET "/v1/traces/$fid?wait=10")
signed && grep -q '^trace-response/1' out.cty && ok "and answered when it is tried again" ||
    bad trace-retry "HTTP $st" "$(cat out.body)"

# ---------------------------------------------------------------- a crash
# The trace worker is held on a lock that psql keeps on trace_status; the
# request is acknowledged; the daemon is killed (-9) with the trace
# unfinished; at the next start the trace runs and the answer comes.
edit crash.json
cid=$(python3 -c "import json; print(json.load(open('crash.json'))['id'])")
$JWS sign nl-sign.key NL/1 trace-request/1 crash.json > crash.jws
hold_traces 4
st=$(post nl crash.jws)
[ "$st" = 202 ] && ok "acknowledged while the trace is held" || bad crash-ack "HTTP $st" "$(cat out.body)"
sleep 0.5
kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=""
wait "$lockpid"
# The in_progress status may stand (its insert went with its COMMIT before
# the kill and ran when the lock went); the answer may not.
st=$(psql -At -c "SELECT count(*) FROM trace_status WHERE request_id = '$cid' AND status <> 'in_progress'" traced)
[ "$st" = 0 ] && ok "killed with the trace unfinished" || bad crash-state "$st answers stored"
start
i=0
while :; do
	st=$(call nl GET "/v1/traces/$cid")
	signed && grep -q '^trace-response/1' out.cty && break
	i=$((i + 1)); [ $i -ge 100 ] && break; sleep 0.1
done
grep -q '^trace-response/1' out.cty 2>/dev/null && [ "$(field status)" = found ] &&
    ok "answered after the restart" || bad restart "HTTP $st" "$(cat out.body)"

# ---------------------------------------------------------------- metrics
st=$(call auditor GET /metrics)
[ "$st" = 200 ] && grep -q '^tracerd_requests_total{endpoint="/v1/traces/{id}",status="200"} [1-9]' out.body &&
    grep -q '^tracerd_traces_completed_total{status="answered"} [1-9]' out.body &&
    grep -q '^tracerd_traces_open 0' out.body && grep -q '^tracerd_database_pool_size 2' out.body &&
    grep -q '^tracerd_request_duration_seconds_bucket{endpoint="/v1/traces/{id}",le="+Inf"}' out.body &&
    ok "metrics: requests, traces, pools" || bad metrics "HTTP $st" "$(cat out.body)"
/usr/bin/python3 -c "import sys
from prometheus_client.parser import text_string_to_metric_families as fams
f = {m.name: m for m in fams(open('out.body').read())}
assert all(m.type != 'untyped' for m in f.values()), 'a sample outside its family'
assert f['tracerd_request_duration_seconds'].type == 'histogram'
assert f['tracerd_traces_overdue'].type == 'gauge'" > metrics.err 2>&1 &&
    ok "metrics parse (prometheus_client)" || bad metrics-parse "$(tail -3 metrics.err)"
problem forbidden 403 "$(call nl GET /metrics)"
problem forbidden 403 "$(call investigator GET /metrics)"

# ---------------------------------------------------------------- limits
# Restarted with tight limits: 1 request a second per caller after a
# burst of 3; connections idle (or sending a request a byte at a time) for
# 2 seconds closed; at most 4 connections.
kill -TERM "$pid"; wait "$pid" 2>/dev/null
sed -e 's/^header_timeout = 5/header_timeout = 5\nrate = 1\nburst = 3\nburst.FR = 20\nidle_timeout = 2\nmax_connections = 4/' \
    tracerd.ini > limits.ini
cp limits.ini tracerd.ini
start
codes=""
rm -f limited.hdr
for i in 1 2 3 4 5 6; do
	c=$(call nl GET "/v1/traces/$id/status")
	codes="$codes $c"
	# The first refusal is the one checked (a slow machine may refill a
	# token before the last call).
	if [ "$c" = 429 ] && [ ! -f limited.hdr ]; then
		cp out.hdr limited.hdr; cp out.body limited.body
	fi
done
[ -f limited.hdr ] && cp limited.hdr out.hdr && cp limited.body out.body
case "$codes" in
*429*) grep -qi '^Retry-After: [1-9]' out.hdr && signed && grep -q 'rate-limited' out.json &&
	ok "rate limited:$codes" || bad rate-limit "$codes" "$(cat out.hdr)" ;;
*) bad rate-limit "$codes" ;;
esac
codes=""
for i in 1 2 3 4 5 6; do codes="$codes $(call fr GET /v1/log/checkpoint)"; done
[ "$codes" = " 200 200 200 200 200 200" ] && ok "FR has a share of its own (burst.FR = 20)" ||
    bad rate-other "$codes"
/usr/bin/python3 - "$port" <<'PY' && ok "slow request and idle connection closed after idle_timeout" || bad slow-client
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile="ca.pem")
ctx.load_cert_chain("nl.pem", "nl.key")
def conn():
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                        server_hostname="localhost")
    s.settimeout(10)
    return s
def closed_within(s, feed, limit):
    t0 = time.time()
    for b in feed:
        try:
            s.send(b)
            s.settimeout(0.9)
            if s.recv(100) == b"":
                break
        except socket.timeout:
            continue
        except (ssl.SSLError, OSError):
            break
    else:
        s.settimeout(limit)
        try:
            if s.recv(100) != b"":
                return False
        except socket.timeout:
            return False
        except (ssl.SSLError, OSError):
            pass
    return time.time() - t0 <= limit
slow = conn()
ok1 = closed_within(slow, [bytes([c]) for c in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaa"], 5)
idle = conn()
ok2 = closed_within(idle, [], 5)
sys.exit(0 if ok1 and ok2 else 1)
PY
/usr/bin/python3 - "$port" <<'PY' && ok "connections over max_connections closed" || bad max-connections
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile="ca.pem")
ctx.load_cert_chain("nl.pem", "nl.key")
socks, served = [], 0
for i in range(7):
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                            server_hostname="localhost")
        socks.append(s)
    except (ssl.SSLError, OSError):
        pass    # closed in the handshake: over the limit
time.sleep(0.3)
for s in socks:
    try:
        s.settimeout(2)
        s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        if b" 200 " in s.recv(200):
            served += 1
    except (ssl.SSLError, OSError):
        pass
sys.exit(0 if 1 <= served <= 4 else 1)
PY
st=$(call fr GET /healthz); [ "$st" = 200 ] && ok "serving after the limits" || bad after-limits "HTTP $st"

# ---------------------------------------------------------------- the end
kill -TERM "$pid"; i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$pid" 2>/dev/null && bad sigterm "still running" || ok "SIGTERM stops it"
pid=""
out=$("$REGCTL" log verify --key log.key 2>&1) && ok "regctl log verify: $out" || bad log-verify "$out"
n=$(psql -At -c "SELECT count(*) FROM trace_status WHERE request_id = '$id'" traced)
[ "$n" = 2 ] && ok "status changes stored (in_progress, answered)" || bad statuses "$n"
grep -q "method=POST path=/v1/traces status=202 caller=NL/peer request=$id note=stored" daemon.log &&
    ok "log line per request" || bad logline "$(tail -5 daemon.log)"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
