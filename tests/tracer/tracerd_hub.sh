#!/bin/sh
# tracerd in hub mode, on loopback with real certificates: State NL (a
# client with its certificate and signing key) and State BE (a daemon with
# the sample registry) peer only with the liaison hub XH (via = XH).  NL's
# request for BE, posted to the hub, is relayed unaltered: NL gets BE's
# signed acknowledgement byte for byte as BE stored it, and, through the
# hub with ?wait, BE's signed response, which tracectl verify checks with
# BE's key.  The hub's database holds metadata only, sealed in its log
# (regctl log verify), never a body.  A forged relay and an altered body,
# sent with the hub's own certificate, are refused by BE with
# bad-signature and nothing stored; with BE down the hub answers its own
# signed unavailable problem, and the same message goes through once BE is
# back.
set -u
SRC="${REG_TEST_SRCDIR:-.}"
TRACERD="${REG_TEST_BUILDDIR:-.}/tracerd"
TRACECTL="${REG_TEST_BUILDDIR:-.}/tracectl"
REGCTL="${REG_TEST_BUILDDIR:-.}/regctl"
JWS="/usr/bin/python3 $SRC/tests/jws_tool.py"
T=$(mktemp -d)
xpid="" hpid=""
trap '[ -n "$xpid" ] && kill -9 "$xpid" 2>/dev/null; [ -n "$hpid" ] && kill -9 "$hpid" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
passes=0
ok() { echo "ok $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@" | head -20; fails=$((fails + 1)); }

# ---------------------------------------------------------------- databases
psql -q -c "CREATE DATABASE be" postgres >/dev/null &&
psql -q -c "CREATE DATABASE hub" postgres >/dev/null || { echo "FAIL createdb"; exit 1; }
REGISTRY_DB=dbname=be "$REGCTL" migrate >/dev/null &&
REGISTRY_DB=dbname=hub "$REGCTL" migrate >/dev/null || { echo "FAIL migrate"; exit 1; }
(cd "$SRC" && REGISTRY_DB=dbname=be REGCTL="$REGCTL" sh etc/sample-setup.sh >/dev/null) &&
REGISTRY_DB=dbname=be "$REGCTL" import "$SRC/etc/sample-weapons.csv" >/dev/null &&
REGISTRY_DB=dbname=be "$REGCTL" import "$SRC/etc/sample-events.csv" >/dev/null ||
    { echo "FAIL setup"; exit 1; }
cd "$T" || exit 1
. "$SRC/tests/testlib.sh"
bev=$(log_key be.example/log be-log.key dbname=be)
hubv=$(log_key hub.example/log hub-log.key dbname=hub)
REGISTRY_DB=dbname=be "$REGCTL" log checkpoint --key be-log.key >/dev/null ||
    { echo "FAIL checkpoint"; exit 1; }

# ---------------------------------------------------------------- PKI, keys
pki_init || { echo "FAIL pki"; exit 1; }
# The hub's certificate serves and calls: both key purposes (pki.sh's
# "hub" extension).
gen be "/C=BE/O=Registry/CN=localhost" server &&
gen hub "/C=XH/OU=hub/CN=hub.example" hub &&
gen nl "/C=NL/OU=peer/CN=tracing.nl.example" client &&
gen fr "/C=FR/OU=peer/CN=tracing.fr.example" client &&
gen hubaudit "/C=XH/OU=auditor/CN=Hub auditor" client &&
gen fakehub "/C=BE/OU=hub/CN=not a hub" client || { echo "FAIL pki"; exit 1; }
sign_keys be nl fr xh evil
chmod 600 be-sign.key xh-sign.key
bport=$(free_port)
hport=$(free_port)
# The hub reaches NL, FR and BE directly.
{
	peer_ini NL https://127.0.0.1:1 "NL/1 nl-sign.pub" "$bev"
	peer_ini FR https://127.0.0.1:1 "FR/1 fr-sign.pub" "$bev"
	peer_ini BE https://127.0.0.1:$bport "BE/1 be-sign.pub" "$bev"
} > hub-peers.ini
# BE reaches NL through the hub.
{
	peer_ini --name "Liaison hub" --hub XH https://127.0.0.1:$hport "XH/1 xh-sign.pub" "$hubv"
	via_peer_ini NL XH "NL/1 nl-sign.pub" "$hubv"
} > be-peers.ini
# NL reaches BE through the hub (for tracectl).
{
	peer_ini XH https://127.0.0.1:$hport "XH/1 xh-sign.pub" "$hubv"
	via_peer_ini BE XH "BE/1 be-sign.pub" "$bev"
} > nl-peers.ini
tracerd_ini --state BE --listen 127.0.0.1:$bport --db dbname=be --cert be \
    --sign be-sign.key --kid BE/1 --peers be-peers.ini > be.ini
cat >> be.ini <<INI
[workers]
pool = 2
traces = 1
[log]
key = be-log.key
checkpoint_interval = 1
INI
tracerd_ini --mode hub --state XH --listen 127.0.0.1:$hport --db dbname=hub --cert hub \
    --sign xh-sign.key --kid XH/1 --peers hub-peers.ini > hub.ini
cat >> hub.ini <<INI
[workers]
pool = 2
traces = 2
[log]
key = hub-log.key
checkpoint_interval = 1
INI

# Configurations refused.
sed 's/^state = XH/state = NL/' hub.ini > bad1.ini
out=$("$TRACERD" --config bad1.ini --check 2>&1)
[ $? -ne 0 ] && printf '%s' "$out" | grep -q "user-assigned" &&
    ok "a hub under a State's code is refused" || bad hub-state "$out"
sed 's/^state = BE/state = XH/; s/^kid = BE/kid = XH/' be.ini > bad2.ini
out=$("$TRACERD" --config bad2.ini --check 2>&1)
[ $? -ne 0 ] && printf '%s' "$out" | grep -q "mode = hub" &&
    ok "a State's daemon under a user-assigned code is refused" || bad state-xh "$out"
out=$("$TRACERD" --config hub.ini --check 2>&1) && printf '%s' "$out" | grep -q "hub XH" &&
    ok "hub configuration: $out" || bad hub-check "$out"

wait_up() {	# wait_up PORT
	wait_healthz "https://127.0.0.1:$1" nl
}
start_be() { "$TRACERD" --config be.ini 2>> be.log & xpid=$!; wait_up "$bport"; }
start_be
"$TRACERD" --config hub.ini 2>> hub.log &
hpid=$!
wait_up "$hport"

# call WHO PORT METHOD PATH [curl options]: body in out.body, headers in
# out.hdr, prints the HTTP status.
call() {
	who=$1 port=$2 m=$3 path=$4
	shift 4
	curl -s --cacert ca.pem --cert "$who.pem" --key "$who.key" -X "$m" \
	    -D out.hdr -o out.body -w '%{http_code}' "$@" "https://127.0.0.1:$port$path"
}
post() {	# post WHO PORT FILE
	call "$1" "$2" POST /v1/traces -H "Content-Type: application/jose" \
	    --data-binary "@$3"
}
# signed STATE: out.body verifies with STATE's key; payload in out.json,
# "cty kid" in out.cty.
signed() {
	$JWS verify "$1-sign.pub" out.body > out.v 2>&1 &&
	head -n 1 out.v > out.cty && tail -n +2 out.v > out.json
}
field() {
	python3 -c "import json,sys; d=json.load(open('out.json'))
for k in sys.argv[1].split('.'): d = d[int(k)] if k.isdigit() else d.get(k)
print(d if d is not None else '')" "$1"
}
problem() {	# problem SIGNER NAME STATUS GOT
	if [ "$4" = "$3" ] && signed "$1" && grep -q "^problem/1" out.cty &&
	    grep -q "\"type\":\"urn:registry:problem:$2\"" out.json; then
		ok "$2 ($3, signed by $(cut -d' ' -f2 out.cty))"
	else
		bad "$2" "HTTP $4, wanted $3" "$(cat out.body)"
	fi
}
edit() {	# edit OUT PYTHON-STATEMENTS: a request from NL for BE's sample P90
	_e=$1
	shift
	p90_request "$_e" "r['id'] = str(uuid.uuid4())" "r['requesting_state'] = 'NL'" "$@"
}
jid() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" "$1"; }
becount() { psql -At -c "SELECT count(*) FROM trace_request" be; }

# ---------------------------------------------------------------- relayed
edit found.json
id=$(jid found.json)
$JWS sign nl-sign.key NL/1 trace-request/1 found.json > found.jws
st=$(post nl "$hport" found.jws)
cp out.body ack.jws
if [ "$st" = 202 ] && signed be && grep -q '^trace-ack/1 BE/1' out.cty &&
    [ "$(field status)" = acknowledged ] && [ "$(field request_id)" = "$id" ] &&
    grep -qi "^Location: /v1/traces/$id" out.hdr; then
	ok "relayed: 202 with BE's signed acknowledgement and Location"
else
	bad relayed "HTTP $st" "$(cat out.body out.v 2>/dev/null)"
fi
psql -At -c "SELECT message FROM trace_ack WHERE request_id = '$id'" be > stored-ack.jws
printf '%s' "$(cat stored-ack.jws)" > stored-ack.trim
cmp -s ack.jws stored-ack.trim && ok "the acknowledgement is BE's, byte for byte as stored" ||
    bad ack-bytes "$(cat ack.jws)" "$(cat stored-ack.trim)"
want=$(python3 -c "import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256(open('found.jws','rb').read().rstrip(b'\n')).digest()).decode())")
[ "$(field request_sha256)" = "$want" ] &&
    ok "BE received the exact bytes NL sent (request_sha256)" || bad request-sha "$(cat out.json)"
c=$(psql -At -c "SELECT caller FROM trace_request WHERE id = '$id'" be)
[ "$c" = "XH hub hub.example" ] && ok "BE stored the hub as the caller: $c" || bad caller "$c"
st=$(post nl "$hport" found.jws)
[ "$st" = 202 ] && cmp -s out.body ack.jws && ok "the same request again: the same acknowledgement" ||
    bad repeat "HTTP $st" "$(cat out.body)"

# The answer, held until written.
st=$(call nl "$hport" GET "/v1/traces/$id?wait=20")
cp out.body resp.jws
if [ "$st" = 200 ] && signed be && grep -q '^trace-response/1 BE/1' out.cty &&
    [ "$(field status)" = found ]; then
	ok "GET ?wait through the hub: BE's signed response"
else
	bad response "HTTP $st" "$(cat out.body)"
fi
psql -At -c "SELECT response FROM trace_status WHERE request_id = '$id' AND response IS NOT NULL" be > stored-resp
printf '%s' "$(cat stored-resp)" > stored-resp.trim
cmp -s resp.jws stored-resp.trim && ok "the response is BE's, byte for byte as stored" ||
    bad resp-bytes
out=$("$TRACECTL" verify --peers nl-peers.ini resp.jws 2>&1) &&
    printf '%s' "$out" | grep -q "signature by BE/1 good" &&
    ok "tracectl verify with BE's key: $out" || bad tracectl-verify "$out"
st=$(call nl "$hport" GET "/v1/traces/$id/status")
[ "$st" = 200 ] && signed be && [ "$(field status)" = answered ] &&
    ok "status through the hub: answered, signed by BE" || bad status "HTTP $st" "$(cat out.body)"

# Who may read through the hub: the State that sent it only.
st=$(call fr "$hport" GET "/v1/traces/$id")
problem xh not-found 404 "$st"
st=$(call nl "$hport" GET "/v1/traces/$id?wait=99")
problem xh bad-request 400 "$st"
st=$(call nl "$hport" GET "/v1/traces/0190a3c2-0000-7000-8000-000000000000")
problem xh not-found 404 "$st"
# BE lets the hub read what it relayed, and nothing else.
st=$(call hub "$bport" GET "/v1/traces/$id/status")
[ "$st" = 200 ] && signed be && ok "BE answers the hub for a request it relayed" ||
    bad hub-read "HTTP $st" "$(cat out.body)"

# What the hub refuses itself.
edit self.json "r['requested_state'] = 'NL'"
$JWS sign nl-sign.key NL/1 trace-request/1 self.json > self.jws
problem xh wrong-state 422 "$(post nl "$hport" self.jws)"
edit de.json "r['requested_state'] = 'DE'"
$JWS sign nl-sign.key NL/1 trace-request/1 de.json > de.jws
problem xh wrong-state 422 "$(post nl "$hport" de.jws)"
$JWS sign evil-sign.key NL/1 trace-request/1 found.json > evil.jws
problem xh bad-signature 403 "$(post nl "$hport" evil.jws)"
problem xh kid-state-mismatch 403 "$(post fr "$hport" found.jws)"
edit conflict.json "r['id'] = '$id'" "r['case_reference'] = 'another'"
$JWS sign nl-sign.key NL/1 trace-request/1 conflict.json > conflict.jws
problem xh conflict 409 "$(post nl "$hport" conflict.jws)"

# ---------------------------------------------------------------- forged
n0=$(becount)
edit forged.json
$JWS sign evil-sign.key NL/1 trace-request/1 forged.json > forged.jws
problem be bad-signature 403 "$(post hub "$bport" forged.jws)"
# Altered by the hub: NL's signature over another payload.
edit orig.json
$JWS sign nl-sign.key NL/1 trace-request/1 orig.json > orig.jws
python3 - orig.jws altered.jws <<'PY'
import base64, json, sys
h, p, s = open(sys.argv[1]).read().strip().split('.')
d = json.loads(base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)))
d['case_reference'] = 'altered on the way'
p2 = base64.urlsafe_b64encode(json.dumps(d, separators=(',', ':')).encode()).decode().rstrip('=')
open(sys.argv[2], 'w').write('.'.join((h, p2, s)))
PY
problem be bad-signature 403 "$(post hub "$bport" altered.jws)"
# A State's key the directory does not reach through this hub (BE's own).
edit bekey.json "r['requesting_state'] = 'BE'"
$JWS sign be-sign.key BE/1 trace-request/1 bekey.json > bekey.jws
problem be kid-state-mismatch 403 "$(post hub "$bport" bekey.jws)"
# OU=hub under a State's code is no hub.
st=$(post fakehub "$bport" orig.jws)
[ "$st" = 403 ] && grep -q 'forbidden' out.body && ok "OU=hub with C=BE: no identity" ||
    bad fakehub "HTTP $st" "$(cat out.body)"
[ "$(becount)" = "$n0" ] && ok "nothing stored of the refused relays" || bad stored "$(becount) != $n0"

# ---------------------------------------------------------------- BE down
kill -TERM "$xpid"; wait "$xpid" 2>/dev/null; xpid=""
edit later.json
lid=$(jid later.json)
$JWS sign nl-sign.key NL/1 trace-request/1 later.json > later.jws
st=$(post nl "$hport" later.jws)
problem xh unavailable 503 "$st"
grep -qi '^Retry-After: [0-9]' out.hdr && ok "Retry-After from the hub" || bad retry-after "$(cat out.hdr)"
st=$(call nl "$hport" GET "/v1/traces/$id")
problem xh unavailable 503 "$st"
start_be
st=$(post nl "$hport" later.jws)
[ "$st" = 202 ] && signed be && [ "$(field request_id)" = "$lid" ] &&
    ok "sent again once BE is back: acknowledged" || bad later "HTTP $st" "$(cat out.body)"
st=$(call nl "$hport" GET "/v1/traces/$lid?wait=20")
[ "$st" = 200 ] && signed be && grep -q '^trace-response/1' out.cty &&
    ok "and answered" || bad later-answer "HTTP $st"

# ---------------------------------------------------------------- the hub's books
# The hub records a status after relaying the answer: let it.
sleep 0.5
st=$(call hubaudit "$hport" GET /metrics)
if [ "$st" = 200 ] && grep -q 'tracerd_hub_relays{from="NL",to="BE",status="answered"} 2' out.body &&
    grep -q '^tracerd_hub_relays_open 0' out.body && grep -q '^tracerd_hub_relays_overdue 0' out.body; then
	ok "hub metrics: relays by States and status, open and overdue"
else
	bad metrics "HTTP $st" "$(grep hub_relays out.body)"
fi
st=$(call nl "$hport" GET /metrics)
problem xh forbidden 403 "$st"
s=$(psql -At -c "SELECT string_agg(status || ':' || coalesce(http_status::text, '-'), ',' ORDER BY log_index) FROM relay_status WHERE request_id = '$lid'" hub)
[ "$s" = "unavailable:-,acknowledged:202,answered:200" ] && ok "relay statuses: $s" || bad relay-status "$s"
s=$(psql -At -c "SELECT requesting_state || '>' || requested_state || ' ' || caller || ' ' || kid FROM relay WHERE id = '$id'" hub)
[ "$s" = "NL>BE NL peer tracing.nl.example NL/1" ] && ok "relay metadata: $s" || bad relay "$s"
due=$(psql -At -c "SELECT count(*) FROM relay_status WHERE request_id = '$id' AND due_by IS NOT NULL AND responded_at IS NOT NULL" hub)
[ "$due" -ge 1 ] && ok "due_by and responded_at recorded from BE's signed documents" || bad due "$due"
# After a restart the hub knows its relays from its database alone.
kill -TERM "$hpid"; wait "$hpid" 2>/dev/null; hpid=""
"$TRACERD" --config hub.ini 2>> hub.log &
hpid=$!
wait_up "$hport"
st=$(call nl "$hport" GET "/v1/traces/$id")
[ "$st" = 200 ] && cmp -s out.body resp.jws &&
    ok "after the hub's restart: the answer, the relay read from its database" ||
    bad restart-get "HTTP $st" "$(cat out.body)"
st=$(call fr "$hport" GET "/v1/traces/$id")
problem xh not-found 404 "$st"
kill -TERM "$hpid"; wait "$hpid" 2>/dev/null; hpid=""
pg_dump hub > hub.sql
payload=$(cut -d. -f2 found.jws | cut -c1-40)
if grep -q FN039172 hub.sql || grep -q -- "$payload" hub.sql || grep -q -- "$(cut -d. -f3 resp.jws | cut -c1-40)" hub.sql; then
	bad "the hub's database holds a body"
else
	ok "the hub's database holds no message body"
fi
out=$(REGISTRY_DB=dbname=hub "$REGCTL" log verify --key hub-log.key 2>&1) &&
    ok "regctl log verify on the hub's log: $out" || bad hub-log "$out"
n=$(psql -At -c "SELECT count(*) FROM log_entry" hub)
[ "$n" -ge 6 ] && ok "the hub's log has $n metadata leaves" || bad leaves "$n"
kill -TERM "$xpid"; wait "$xpid" 2>/dev/null; xpid=""

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
