#!/bin/sh
# Witnessed logs, end to end on loopback: State NL's daemon (B) witnesses
# State BE's (A).  B cosigns A's checkpoints as A's log grows, each after
# a consistency proof, and delivers the cosignatures; A serves them with
# its checkpoint, and they verify with an independent implementation
# (tests/cosig.py).  Cosignatures of an unknown witness, over a checkpoint
# A never signed, or with a bad signature are refused.  Then A shows
# another history under the same log key (a fork): B refuses to cosign,
# raises an alarm in its log, /metrics and tracectl witness (exit 4), and
# A's checkpoint gains no cosignature; once A is back on its own history
# and an operator acknowledges the alarm, the fork is no longer shown.
set -u
SRC="${REG_TEST_SRCDIR:-.}"
TRACERD="${REG_TEST_BUILDDIR:-.}/tracerd"
TRACECTL="${REG_TEST_BUILDDIR:-.}/tracectl"
REGCTL="${REG_TEST_BUILDDIR:-.}/regctl"
COSIG="/usr/bin/python3 $SRC/tests/cosig.py"
T=$(mktemp -d)
apid=""
bpid=""
trap '[ -n "$apid" ] && kill -9 "$apid" 2>/dev/null; [ -n "$bpid" ] && kill -9 "$bpid" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
passes=0
ok() { echo "ok $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@" | head -20; fails=$((fails + 1)); }

python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3-cryptography is missing"; exit 77; }
cd "$T" || exit 1
. "$SRC/tests/testlib.sh"

# ---------------------------------------------------------------- registries
for db in wa wa_fork wb; do
	psql -q -c "CREATE DATABASE $db" postgres >/dev/null &&
	"$REGCTL" --db "dbname=$db" migrate >/dev/null || { echo "FAIL migrate $db"; exit 1; }
done
append() {	# append DB N PREFIX: N leaves
	i=0
	while [ $i -lt "$2" ]; do
		printf '%s %s' "$3" "$i" | "$REGCTL" --db "dbname=$1" log append >/dev/null || return 1
		i=$((i + 1))
	done
}
avkey=$(log_key be.example/log alog.key)
bvkey=$(log_key nl.example/log blog.key)
"$REGCTL" key generate --name nl.example/witness --key bwit.key >/dev/null 2>&1 &&
"$REGCTL" key generate --name xx.example/witness --key wother.key >/dev/null 2>&1 || { echo "FAIL keys"; exit 1; }
wvkey=$("$REGCTL" key show --key bwit.key --witness 2>/dev/null | grep '+' | tail -1)
printf '%s\n' "$wvkey" > bwit.vkey
[ -n "$avkey" ] && [ -n "$bvkey" ] && [ -n "$wvkey" ] || { echo "FAIL verifier keys"; exit 1; }
append wa 3 history-a && "$REGCTL" --db dbname=wa log checkpoint --key alog.key >/dev/null ||
    { echo "FAIL log of A"; exit 1; }

# ---------------------------------------------------------------- PKI
pki_init || { echo "FAIL pki"; exit 1; }
# Each daemon's certificate serves TLS and, as a witness, calls its peer.
cat >> ca.cnf <<CNF
[daemon]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
CNF
gen a "/C=BE/OU=peer/CN=localhost" daemon &&
gen b "/C=NL/OU=peer/CN=localhost" daemon &&
gen nlpeer "/C=NL/OU=peer/CN=tracing.nl.example" client &&
gen nlaudit "/C=NL/OU=auditor/CN=Auditor" client &&
gen beaudit "/C=BE/OU=auditor/CN=Auditor" client || { echo "FAIL pki"; exit 1; }
sign_keys be nl || { echo "FAIL keys"; exit 1; }
chmod 600 be-sign.key nl-sign.key
aport=$(free_port)
bport=$(free_port)
peer_ini NL https://127.0.0.1:$bport "NL/1 nl-sign.pub" "$bvkey" > a-peers.ini
peer_ini BE https://127.0.0.1:$aport "BE/1 be-sign.pub" "$avkey" > b-peers.ini
aconf() {	# aconf DB
	tracerd_ini --state BE --listen 127.0.0.1:$aport --db dbname=$1 --cert a \
	    --sign be-sign.key --kid BE/1 --peers a-peers.ini > a.ini
	cat >> a.ini <<INI
[workers]
pool = 2
traces = 1
[log]
key = alog.key
checkpoint_interval = 1
witness = $wvkey
INI
}
tracerd_ini --state NL --listen 127.0.0.1:$bport --db dbname=wb --cert b \
    --sign nl-sign.key --kid NL/1 --peers b-peers.ini > b.ini
cat >> b.ini <<INI
[workers]
pool = 2
traces = 1
[log]
key = blog.key
[witness]
key = bwit.key
peers = BE
interval = 1
INI
up() {	# up PORT: waits for the daemon's /healthz
	wait_healthz "https://127.0.0.1:$1" nlpeer
}
start_a() {
	aconf "$1"
	"$TRACERD" --config a.ini 2>> a.log &
	apid=$!
	up "$aport"
}
stop_a() {
	kill "$apid" 2>/dev/null
	wait "$apid" 2>/dev/null
	apid=""
}
# call WHO PORT METHOD PATH [curl options]: the body in out.body, prints
# the HTTP status.
call() {
	who=$1 port=$2 m=$3 path=$4
	shift 4
	curl -s --cacert ca.pem --cert "$who.pem" --key "$who.key" -X "$m" \
	    -o out.body -w '%{http_code}' "$@" "https://127.0.0.1:$port$path"
}
# is NAME: out.body is a problem document of type NAME (signed by the
# daemon: its payload is read, not verified; tracerd_traces.sh checks the
# signatures of problems).
# The detail of the problem in out.body.
detail() {
	python3 -c "import base64,json
b=open('out.body').read().strip().split('.')[1]
print(json.loads(base64.urlsafe_b64decode(b+'='*(-len(b)%4))).get('detail',''))" 2>/dev/null
}
is() {
	python3 -c "import base64,json,sys
b=open('out.body').read().strip().split('.')[1]
d=json.loads(base64.urlsafe_b64decode(b+'='*(-len(b)%4)))
sys.exit(d['type']!='urn:registry:problem:'+sys.argv[1])" "$1" 2>/dev/null
}
# wait_for SECONDS COMMAND...: until the command succeeds.
wait_for() {
	n=$(($1 * 10))
	shift
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge "$n" ] && return 1
		sleep 0.1
	done
}
# cosigned_at SIZE: A's checkpoint has that size and B's cosignature
# (checked with tests/cosig.py); the note in a.note.
cosigned_at() {
	[ "$(call nlpeer "$aport" GET /v1/log/checkpoint)" = 200 ] &&
	cp out.body a.note && [ "$(sed -n 2p a.note)" = "$1" ] &&
	$COSIG verify bwit.vkey a.note
}

"$TRACERD" --config b.ini --check >/dev/null 2>&1 && ok "B's configuration is sound" ||
    bad "check B" "$("$TRACERD" --config b.ini --check 2>&1)"
start_a wa
"$TRACERD" --config b.ini 2>> b.log &
bpid=$!
up "$bport"

# ---------------------------------------------------------------- cosigned
if wait_for 15 cosigned_at 3; then
	ok "B cosigned A's first checkpoint; A serves it with the cosignature"
else
	bad "first cosignature" "$(cat a.note 2>/dev/null)" "$(tail -5 b.log)"
fi
grep -q 'event=witness state=BE status=cosigned size=3 delivered=yes' b.log &&
    ok "B logs the cosignature" || bad "B's log" "$(grep witness b.log | tail -5)"
"$REGCTL" --db dbname=wa log verify --verifier "$avkey" >/dev/null 2>&1 &&
    ok "A's log still verifies" || bad "A's log"
append wa 2 history-a-more || bad "append"
if wait_for 15 cosigned_at 5; then
	ok "A's log grew to 5: B checked the consistency proof and cosigned again"
else
	bad "second cosignature" "$(cat a.note 2>/dev/null)" "$(grep witness b.log | tail -5)"
fi
# The note, as a whole, still verifies with A's log key.
python3 "$SRC/tests/verify_note.py" --help >/dev/null 2>&1
"$REGCTL" --db dbname=wa log verify --verifier "$avkey" >/dev/null 2>&1 &&
    ok "A's log verifies with its cosignatures stored" || bad "A's log verify"
cp a.note good.note

# ---------------------------------------------------------------- refusals
# A cosignature body: A's checkpoint text, a blank line, the line.
body() {	# body NOTE LINE > FILE
	sed '/^$/q' "$1"
	printf '%s\n' "$2"
}
ts=$(date +%s)
line=$($COSIG sign wother.key "$ts" good.note | tail -1)
body good.note "$line" > unknown.txt
st=$(call nlpeer "$aport" POST /v1/log/cosignature -H 'Content-Type: text/plain' --data-binary @unknown.txt)
[ "$st" = 403 ] && is unknown-witness && ok "unknown witness refused (403)" ||
    bad "unknown witness" "HTTP $st" "$(cat out.body)"
# Over a checkpoint A never signed: same origin and size, another root.
{
	sed -n 1,2p good.note
	printf 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n'
} > fake.note
printf '%s\n' "$(sed -n '/^$/,$p' good.note | sed -n 2p)" >> fake.note
line=$($COSIG sign bwit.key "$ts" fake.note | tail -1)
body fake.note "$line" > fake.txt
st=$(call nlpeer "$aport" POST /v1/log/cosignature -H 'Content-Type: text/plain' --data-binary @fake.txt)
[ "$st" = 422 ] && is bad-cosignature && ok "cosignature over another checkpoint refused (422)" ||
    bad "other checkpoint" "HTTP $st" "$(cat out.body)"
# B's key over A's checkpoint, at another time than it signed: the
# signature does not hold.
line=$($COSIG sign bwit.key "$ts" good.note | tail -1)
forged=$(python3 -c "import base64,sys
n,b=sys.argv[1].rsplit(' ',1); r=bytearray(base64.b64decode(b)); r[11]^=1
print(n+' '+base64.b64encode(bytes(r)).decode())" "$line")
body good.note "$forged" > forged.txt
st=$(call nlpeer "$aport" POST /v1/log/cosignature -H 'Content-Type: text/plain' --data-binary @forged.txt)
[ "$st" = 422 ] && is bad-cosignature && ok "cosignature that does not verify refused (422)" ||
    bad "forged" "HTTP $st" "$(cat out.body)"
printf 'not a note' > junk.txt
st=$(call nlpeer "$aport" POST /v1/log/cosignature -H 'Content-Type: text/plain' --data-binary @junk.txt)
[ "$st" = 400 ] && ok "malformed body refused (400)" || bad "junk" "HTTP $st"
st=$(call nlpeer "$aport" POST /v1/log/cosignature -H 'Content-Type: application/jose' --data-binary @unknown.txt)
[ "$st" = 415 ] && ok "other media type refused (415)" || bad "media type" "HTTP $st"
st=$(call beaudit "$aport" POST /v1/log/cosignature -H 'Content-Type: text/plain' --data-binary @unknown.txt)
[ "$st" = 403 ] && is forbidden && ok "only peers deliver cosignatures" || bad "auditor post" "HTTP $st"
# Issue 17, finding 8: B's key, dated ten years ahead or in 1970: refused
# as bad-cosignature (422) naming the clock, and nothing is stored.
n=$(psql -At -c "SELECT count(*) FROM log_cosignature" wa)
for when in "$((ts + 315619200))" 1; do
	line9=$($COSIG sign bwit.key "$when" good.note | tail -1)
	body good.note "$line9" > when.txt
	st=$(call nlpeer "$aport" POST /v1/log/cosignature -H 'Content-Type: text/plain' --data-binary @when.txt)
	[ "$st" = 422 ] && is bad-cosignature && detail | grep -q cosignature_skew &&
	    [ "$(psql -At -c "SELECT count(*) FROM log_cosignature" wa)" = "$n" ] &&
	    ok "a cosignature dated $when is refused (422) and not stored" ||
	    bad "cosignature dated $when" "HTTP $st" "$(detail)"
done
# A valid one from the test's own copy of B's key is taken (204), once.
body good.note "$line" > valid.txt
st=$(call nlpeer "$aport" POST /v1/log/cosignature -H 'Content-Type: text/plain' --data-binary @valid.txt)
[ "$st" = 204 ] && ok "a valid cosignature is taken (204)" || bad "valid" "HTTP $st" "$(cat out.body)"
n=$(psql -At -c "SELECT count(*) FROM log_cosignature" wa)
st=$(call nlpeer "$aport" POST /v1/log/cosignature -H 'Content-Type: text/plain' --data-binary @valid.txt)
[ "$st" = 204 ] && [ "$(psql -At -c "SELECT count(*) FROM log_cosignature" wa)" = "$n" ] &&
    ok "the same cosignature again is stored once" || bad "repeat" "HTTP $st"
psql -q -c "UPDATE log_cosignature SET line = 'x'" wa >/dev/null 2>&1 &&
    bad "log_cosignature changed" || ok "log_cosignature is append-only"

# ---------------------------------------------------------------- status
st=$(call nlaudit "$bport" GET /v1/witness)
[ "$st" = 200 ] && python3 -c "import json; d=json.load(open('out.body')); p=d['peers'][0]
assert p['state']=='BE' and p['forked'] is False and p['cosigned']['size']==5, d" &&
    ok "GET /v1/witness: BE cosigned at 5, not forked" || bad "witness status" "HTTP $st" "$(cat out.body)"
st=$(call nlpeer "$bport" GET /v1/witness)
[ "$st" = 403 ] && ok "GET /v1/witness is for this State's auditors and liaison" || bad "witness forbidden" "HTTP $st"
TW="$TRACECTL witness --url https://127.0.0.1:$bport --ca ca.pem --cert nlaudit.pem --key nlaudit.key"
out=$($TW 2>&1)
st=$?
[ "$st" = 0 ] && printf '%s\n' "$out" | grep -q '^BE ' && ok "tracectl witness: exit 0" ||
    bad "tracectl witness" "exit $st" "$out"

# ---------------------------------------------------------------- a fork
# A again, on another database under the same log key: six leaves of
# another history.
stop_a
append wa_fork 6 history-b && "$REGCTL" --db dbname=wa_fork log checkpoint --key alog.key >/dev/null ||
    bad "forked log"
start_a wa_fork
if wait_for 15 grep -q 'event=witness state=BE status=fork' b.log; then
	ok "B caught the fork"
else
	bad "fork" "$(grep witness b.log | tail -5)"
fi
grep 'status=fork' b.log | head -1 | grep -q 'consistency proof' &&
    ok "the fork's reason: the consistency proof fails" || bad "reason" "$(grep status=fork b.log | head -1)"
st=$(call nlaudit "$bport" GET /metrics)
[ "$st" = 200 ] && grep -q '^tracerd_witness_forked{state="BE"} 1' out.body &&
    grep -q '^tracerd_witness_alarms_total{state="BE"} 1' out.body &&
    ok "/metrics: tracerd_witness_forked{state=\"BE\"} 1, one alarm" ||
    bad "metrics" "HTTP $st" "$(grep witness out.body)"
out=$($TW 2>&1)
st=$?
[ "$st" = 4 ] && printf '%s\n' "$out" | grep -q 'FORK' && ok "tracectl witness: exit 4, FORK shown" ||
    bad "tracectl witness fork" "exit $st" "$out"
$TW --json > w.json 2>/dev/null
python3 -c "import json; d=json.load(open('w.json')); p=d['peers'][0]
assert p['forked'] and p['status']=='fork' and p['cosigned']['size']==5 and p['alarms']==1, d" &&
    ok "tracectl witness --json: forked, still cosigned at 5" || bad "witness json" "$(cat w.json)"
sleep 2
[ "$(psql -At -c "SELECT count(*) FROM witness_alarm" wb)" = 1 ] &&
    ok "one alarm stored, not one a round" || bad "alarms" "$(psql -At -c "SELECT count(*) FROM witness_alarm" wb)"
[ "$(psql -At -c "SELECT seen_size FROM witness_alarm" wb)" = 6 ] &&
    psql -At -c "SELECT cosigned_note FROM witness_alarm" wb | grep -q '^5$' &&
    ok "the alarm keeps both checkpoints" || bad "alarm evidence"
if cosigned_at 6; then
	bad "A's forked checkpoint was cosigned"
else
	[ "$(sed -n 2p a.note)" = 6 ] && ! grep -q 'nl.example/witness' a.note &&
	    ok "A's forked checkpoint carries no cosignature of B" || bad "forked note" "$(cat a.note)"
fi
[ "$(psql -At -c "SELECT max(size) FROM witness_cosigned" wb)" = 5 ] &&
    ok "B cosigned nothing past 5" || bad "cosigned after fork"

# ---------------------------------------------------------------- after
# A back on its own history, and an operator's acknowledgement.
stop_a
start_a wa
sleep 2
$TW >/dev/null 2>&1
[ $? = 4 ] && ok "not acknowledged: still shown as forked" || bad "still forked"
psql -q -c "INSERT INTO witness_alarm_ack (alarm, operator, comment) SELECT seq, 'test', 'BE restored its database' FROM witness_alarm" wb >/dev/null
out=$($TW 2>&1)
st=$?
[ "$st" = 0 ] && ok "acknowledged, and BE back on the history cosigned: exit 0" || bad "after ack" "exit $st" "$out"
append wa 1 history-a-again
if wait_for 15 cosigned_at 6; then
	ok "A's history grows on: cosigned at 6"
else
	bad "cosigned after" "$(grep witness b.log | tail -5)"
fi

# ---------------------------------------------------------------- restart
# B forgets nothing: after a restart it knows the last checkpoint cosigned.
kill "$bpid"; wait "$bpid" 2>/dev/null
"$TRACERD" --config b.ini 2>> b.log &
bpid=$!
up "$bport"
sleep 2
st=$(call nlaudit "$bport" GET /v1/witness)
python3 -c "import json; d=json.load(open('out.body')); p=d['peers'][0]
assert p['cosigned']['size']==6 and p['alarms']==1 and not p['forked'], d" &&
    ok "after B's restart: cosigned at 6, one alarm (acknowledged)" || bad "restart" "$(cat out.body)"

# ---------------------------------------------------------------- issue 17
# Finding 9: A records the newest checkpoint it served outside the
# database ([log] served); a superuser who removes the newest checkpoint
# row is named by 'regctl log verify --served', and A then serves nothing
# of its log (500).  And A refuses to sign over an edited record.
stop_a
aconf wa
printf 'served = a-served.note\n' >> a.ini
"$TRACERD" --config a.ini 2>> a.log &
apid=$!
up "$aport"
st=$(call nlpeer "$aport" GET /v1/log/checkpoint)
[ "$st" = 200 ] && [ "$(sed -n 2p a-served.note)" = "$(sed -n 2p out.body)" ] &&
    ok "A records the checkpoint it served ([log] served)" || bad "served file" "HTTP $st" "$(cat a-served.note)"
"$REGCTL" --db dbname=wa log verify --key alog.key --served a-served.note > v.out 2>&1 &&
    ok "regctl log verify --served: the served checkpoint is stored" || bad "verify served" "$(cat v.out)"
newest=$(psql -At -c "SELECT max(seq) FROM log_checkpoint" wa)
psql -q -c "SET session_replication_role = replica; DELETE FROM log_checkpoint WHERE seq = $newest" wa >/dev/null
"$REGCTL" --db dbname=wa log verify --key alog.key > v.out 2>&1
[ $? = 1 ] && grep -q "checkpoint $newest is missing from log_checkpoint, but witness nl.example/witness" v.out &&
    ok "the removed checkpoint $newest is named by B's stored cosignature" || bad "verify cosigned" "$(cat v.out)"
psql -q -c "SET session_replication_role = replica; DELETE FROM log_cosignature WHERE checkpoint = $newest" wa >/dev/null
"$REGCTL" --db dbname=wa log verify --key alog.key --served a-served.note > v.out 2>&1
[ $? = 1 ] && grep -q "checkpoint of size $(sed -n 2p a-served.note) .* that the daemon served is missing" v.out &&
    ok "and, its cosignatures removed too, by the checkpoint A served" || bad "verify served removed" "$(cat v.out)"
st=$(call nlpeer "$aport" GET /v1/log/checkpoint)
[ "$st" = 500 ] && is internal && grep -q 'event=checkpoint status=refused' a.log &&
    ok "A serves no checkpoint older than the one it served (500, logged)" || bad "serve after removal" "HTTP $st"
stop_a
psql -q -c "CREATE DATABASE wa_edit" postgres >/dev/null && "$REGCTL" --db dbname=wa_edit migrate >/dev/null &&
"$REGCTL" --db dbname=wa_edit manufacturer add --name "Alpha Arms" --country BE >/dev/null &&
"$REGCTL" --db dbname=wa_edit log checkpoint --key alog.key >/dev/null || bad "wa_edit"
aconf wa_edit
"$TRACERD" --config a.ini 2>> a.log &
apid=$!
up "$aport"
psql -q -c "SET session_replication_role = replica; UPDATE manufacturer SET name = 'Forged Arms'" wa_edit >/dev/null
"$REGCTL" --db dbname=wa_edit manufacturer add --name "Beta Guns" --country BE >/dev/null
if wait_for 10 grep -q 'event=checkpoint status=refused what=".*leaf 0: table manufacturer' a.log; then
	ok "A refuses to sign over an edited record, and logs it"
else
	bad "refuse to sign" "$(grep event=checkpoint a.log | tail -3)"
fi
st=$(call nlpeer "$aport" GET /v1/log/checkpoint)
[ "$st" = 500 ] && is internal && [ "$(psql -At -c "SELECT count(*) FROM log_checkpoint" wa_edit)" = 1 ] &&
    ok "nothing signed; the log endpoints answer 500 internal" || bad "after refusal" "HTTP $st"
"$REGCTL" --db dbname=wa_edit log checkpoint --key alog.key > v.out 2>&1
[ $? = 1 ] && grep -q 'no checkpoint was signed' v.out && ok "regctl log checkpoint refuses too" ||
    bad "regctl checkpoint" "$(cat v.out)"

# ---------------------------------------------------------------- config
cp b.ini bad.ini
printf 'peers = FR\n' >> bad.ini
"$TRACERD" --config bad.ini --check > bad.out 2>&1
[ $? -ne 0 ] && grep -q 'peers is given twice' bad.out && ok "[witness] peers twice refused" ||
    bad "config twice" "$(cat bad.out)"
sed 's/^peers = BE$/peers = FR/' b.ini > bad.ini
"$TRACERD" --config bad.ini --check > bad.out 2>&1
[ $? -ne 0 ] && grep -q 'FR, which the peers directory does not list' bad.out &&
    ok "a witnessed State not in the directory refused" || bad "config FR" "$(cat bad.out)"
sed 's/^witness = .*/witness = not-a-key/' a.ini > bad.ini
"$TRACERD" --config bad.ini --check > bad.out 2>&1
[ $? -ne 0 ] && grep -q 'bad.ini:[0-9]*: witness is not a witness verifier key' bad.out &&
    ok "a malformed [log] witness refused with FILE:LINE" || bad "config vkey" "$(cat bad.out)"
sed '/^peers = BE$/d' b.ini > bad.ini
"$TRACERD" --config bad.ini --check > bad.out 2>&1
[ $? -ne 0 ] && grep -q 'needs both key' bad.out && ok "[witness] without peers refused" ||
    bad "config no peers" "$(cat bad.out)"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
