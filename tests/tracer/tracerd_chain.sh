#!/bin/sh
# Following referrals across borders, on loopback: four tracerd, each State
# with its own registry (a database each in the test's cluster).  A pistol
# made in BE was exported to NL, re-exported to DE and stolen there; FR's
# investigator asks BE through FR's own daemon, which follows the referrals
# BE -> NL -> DE by itself.  Then: a loop in the export records (NL's
# export goes back to BE), a hop that declines, a hop that is down (retried,
# shown overdue, never lost, answered once it is back, also across a restart
# of FR's daemon), and every bad domestic submission refused.  The chain is
# checked with tracectl chain (signatures and inclusion proofs, State by
# State) and with an independent JWS implementation (tests/jws_tool.py).
set -u
SRC="${REG_TEST_SRCDIR:-.}"
B="${REG_TEST_BUILDDIR:-.}"
TRACERD="$B/tracerd"
TRACECTL="$B/tracectl"
REGCTL="$B/regctl"
JWS="/usr/bin/python3 $SRC/tests/jws_tool.py"
T=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$T"' EXIT
. "$SRC/tests/testlib.sh"
cd "$T" || exit 1
ok() { echo "ok $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@" | head -30; fails=$((fails + 1)); }

# ---------------------------------------------------------------- PKI
pki_init || { echo "FAIL pki"; exit 1; }
for s in BE NL DE FR; do
	l=$(echo $s | tr A-Z a-z)
	gen $l-server "/C=$s/O=Registry/CN=localhost" server &&
	gen $l "/C=$s/OU=peer/CN=tracing.$l.example" client || exit 1
	sign_keys $l || exit 1
	chmod 600 $l-sign.key $l-server.key
done
gen inv "/C=FR/OU=investigator/CN=Inspector Martin" client &&
gen inv2 "/C=FR/OU=investigator/CN=Inspector Other" client &&
gen liaison "/C=FR/OU=liaison/CN=FR liaison office" client &&
gen clerk "/C=FR/OU=clerk/CN=FR clerk" client || exit 1
sign_keys inv || exit 1
openssl genpkey -algorithm ed25519 -out rogue-sign.key 2>/dev/null
chmod 600 inv-sign.key rogue-sign.key

# ---------------------------------------------------------------- registries
for s in BE NL DE FR; do
	l=$(echo $s | tr A-Z a-z)
	psql -q -c "CREATE DATABASE reg_$l" postgres >/dev/null
	"$REGCTL" --db dbname=reg_$l migrate >/dev/null || { echo "FAIL migrate $s"; exit 1; }
	vk=$(log_key $l.example/log $l-log.key dbname=reg_$l)
	eval "vkey_$s=\$vk"
done
r() { db=$1; shift; reg_in dbname=reg_$db $db "$@"; }
for db in be nl de; do
	r $db manufacturer add --name "Fabrique Nationale Herstal" --country BE
done
r be party add --kind manufacturer --name "FN Herstal SA" --country BE --office-ref FNH
r be party add --kind foreign_importer --name "Wapenhandel Oranje BV" --country NL --office-ref NLIMP
r nl party add --kind foreign_exporter --name "FN Herstal SA" --country BE --office-ref BEEXP
r nl party add --kind dealer --name "Wapenhandel Oranje BV" --country NL --office-ref NLDEAL
r nl party add --kind foreign_importer --name "Waffen Schmidt GmbH" --country DE --office-ref DEIMP
r nl party add --kind foreign_importer --name "Armurerie Liege" --country BE --office-ref BEIMP
r de party add --kind foreign_exporter --name "Wapenhandel Oranje BV" --country NL --office-ref NLEXP
r de party add --kind dealer --name "Waffen Schmidt GmbH" --country DE --office-ref DEDEAL
r de party add --kind dealer --name "Jagd Keller" --country DE --office-ref DEDEAL2
# weapon STATE SERIAL
weapon() { fnp9 dbname=reg_$1 $1 "$2"; }
# BE: made, exported to NL.  NL: imported, exported to DE (or, for the
# loop, back to BE).  DE: imported, sold on, stolen.
chain_weapon() {	# SERIAL LOOP
	w=$(weapon be "$1")
	r be event add "$w" --kind manufacture --date 2015-03-01 --to FNH
	r be event add "$w" --kind export --date 2016-05-10 --from FNH --to NLIMP \
	    --licence-number "BE-EXP-$1" --licence-issued 2016-04-01 --licence-expires 2017-04-01 \
	    --euc "EUC-NL-$1" --export-country BE --import-country NL
	w=$(weapon nl "$1")
	r nl event add "$w" --kind import --date 2016-05-20 --from BEEXP --to NLDEAL \
	    --export-country BE --import-country NL --licence-number "NL-IMP-$1" \
	    --licence-issued 2016-04-15 --licence-expires 2017-04-15
	if [ "$2" = loop ]; then
		r nl event add "$w" --kind export --date 2018-02-01 --from NLDEAL --to BEIMP \
		    --export-country NL --import-country BE --licence-number "NL-EXP-$1" \
		    --licence-issued 2018-01-01 --licence-expires 2019-01-01
		return
	fi
	r nl event add "$w" --kind export --date 2018-02-01 --from NLDEAL --to DEIMP \
	    --export-country NL --import-country DE --licence-number "NL-EXP-$1" \
	    --licence-issued 2018-01-01 --licence-expires 2019-01-01 --euc "EUC-DE-$1"
	w=$(weapon de "$1")
	r de event add "$w" --kind import --date 2018-02-10 --from NLEXP --to DEDEAL \
	    --export-country NL --import-country DE --licence-number "DE-IMP-$1" \
	    --licence-issued 2018-01-10 --licence-expires 2019-01-10
	r de event add "$w" --kind domestic_transfer --date 2019-07-01 --from DEDEAL --to DEDEAL2
	r de event add "$w" --kind theft --date 2021-06-01 --from DEDEAL2 --note "break-in"
}
chain_weapon GKS0873 chain
chain_weapon GKS0999 loop
chain_weapon GKS0555 chain
chain_weapon GKS0321 chain
for l in be nl de fr; do
	"$REGCTL" --db dbname=reg_$l log checkpoint --key $l-log.key >/dev/null ||
	    echo "FAIL checkpoint $l"
done

# ---------------------------------------------------------------- daemons
for s in BE NL DE FR; do eval "port_$s=$(free_port)"; done
# peers_for STATE: every other State, direct.
peers_for() {
	for ps in BE NL DE FR; do
		[ "$ps" = "$1" ] && continue
		pl=$(echo $ps | tr A-Z a-z)
		eval "pp=\$port_$ps vk=\$vkey_$ps"
		peer_ini $ps https://127.0.0.1:$pp "$ps/1 $pl-sign.pub" "$vk"
	done
}
for s in BE NL DE FR; do
	l=$(echo $s | tr A-Z a-z)
	eval "p=\$port_$s"
	peers_for $s > $l-peers.ini
	state_ini $s 127.0.0.1:$p dbname=reg_$l 1 > $l.ini
	cat >> $l.ini <<INI
[domestic]
signing_key = FR/inv-1 inv-sign.pub sha256:$(openssl x509 -in inv.pem -noout -fingerprint -sha256 | sed 's/.*=//')
poll = 2
retry_max = 1
send_due = 3
INI
	printf '[registry]\nstate = %s\n' $s > $l-policy.ini
done
sed -i '/^signing_key = FR/d' be.ini nl.ini de.ini
chmod 600 ./*-log.key

start() {	# start STATE
	sl=$(echo $1 | tr A-Z a-z)
	eval "p=\$port_$1"
	"$TRACERD" --config $sl.ini 2>> $sl.log &
	eval "pid_$1=$!"
	pids="$pids $!"
	wait_healthz "https://127.0.0.1:$p" fr
}
stop() {	# stop STATE
	eval "kill \$pid_$1"
	eval "wait \$pid_$1" 2>/dev/null
}
for s in BE NL DE FR; do start $s; done

# ---------------------------------------------------------------- requests
# request FILE SERIAL: FR's investigator's request to BE, misread serial.
request() {	# request FILE SERIAL [FOLLOW [STATE [CASE]]]
	python3 - "$1" "$2" "${3:-true}" "${4:-BE}" "${5:-OCLTA/2026/0042}" <<'PY'
import json, sys, uuid
path, serial, follow, to, case = sys.argv[1:6]
d = {"schema": "trace-request/1", "id": str(uuid.uuid4()),
     "requesting_state": "FR", "requested_state": to,
     "requesting_authority": {"name": "Office central de lutte contre le trafic d'armes",
                              "contact": {"name": "Section armes", "email": "armes@interieur.example.fr"}},
     "priority": "urgent", "created_at": "2026-11-30T09:00:00Z",
     "case_reference": case,
     "weapon": {"serial": serial, "serial_condition": "legible", "manufacturer": "FN Herstal",
                "model": "FNP 9", "type": "pistol", "calibre": "9mm",
                "markings": [{"text": "FN HERSTAL BELGIUM", "location": "slide"}]},
     "illicit_basis": {"grounds": ["illicit_under_national_law"],
                       "legal_reference": "Code de la securite interieure, article L317-8"},
     "found": {"date": "2026-11-28", "place": "Marseille", "country": "FR",
               "circumstances": "Seized during a search."},
     "intended_use": "Criminal investigation."}
if follow == "true":
    d["follow_referrals"] = True
json.dump(d, open(path, "w"))
PY
}
FRURL="https://127.0.0.1:$port_FR"
submit() {	# submit FILE [who] [key] [kid]: prints the acknowledgement
	"$TRACECTL" submit --url "$FRURL" --ca ca.pem --state FR --verify-key FR/1=fr-sign.pub \
	    --cert "${2:-inv}.pem" --key "${2:-inv}.key" --sign-key "${3:-inv-sign.key}" \
	    --kid "${4:-FR/inv-1}" --json "$1"
}
chain() {	# chain ID [who] [options]: tracectl chain
	id=$1 who=${2:-inv}
	shift 2 2>/dev/null || shift $#
	"$TRACECTL" chain --url "$FRURL" --ca ca.pem --state FR --verify-key FR/1=fr-sign.pub \
	    --peers fr-peers.ini --cert "$who.pem" --key "$who.key" "$@" "$id"
}
idof() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$1"; }
# getchain ID: the raw chain document's payload in chain.json (verified with FR's key)
getchain() {
	curl -s --cacert ca.pem --cert liaison.pem --key liaison.key -o chain.jws \
	    "$FRURL/v1/traces/$1/chain${2:-}" &&
	$JWS verify fr-sign.pub chain.jws > chain.v 2>&1 && tail -n +2 chain.v > chain.json
}
jq_() { python3 -c "import json,sys; d=json.load(open('chain.json'))
for k in sys.argv[1].split('.'): d = d[int(k)] if k.lstrip('-').isdigit() else d.get(k)
print(d if d is not None else '')" "$1"; }

# 1. Three hops: BE (found, exported to NL), NL (exported to DE), DE (stolen).
request r1.json GKS0B73
id1=$(idof r1.json)
check "submit to FR's own daemon: acknowledged by FR" 0 '"status":"acknowledged"' submit r1.json
check "the chain, followed BE -> NL -> DE, verified State by State" 0 \
    'complete: diversion in DE' chain "$id1" inv --wait 30
out=$(chain "$id1" inv)
for s in BE NL DE; do
	if printf '%s\n' "$out" | grep -q "^ *[0-9] *$s .*found"; then ok "hop $s answered found"
	else bad "hop $s answered found" "$out"; fi
done
printf '%s\n' "$out" | grep -q 'theft' && ok "the theft in DE shown" || bad "theft shown" "$out"
printf '%s\n' "$out" | grep -q 'signatures: 3 good; inclusion proofs: [1-9][0-9]* good' &&
    ok "signatures and proofs counted" || bad "signatures and proofs" "$out"
if getchain "$id1" && [ "$(jq_ hops.2.requested_state)" = DE ] &&
    [ "$(jq_ hops.1.parent_id)" = "$id1" ] && [ "$(jq_ end.reason)" = diversion ] &&
    [ "$(jq_ complete)" = True ]; then
	ok "chain document: signed by FR, hops linked by parent_id"
	python3 -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open("chain.json")),
json.load(open(sys.argv[1])))' "$SRC/proto/schemas/trace-chain-1.json" &&
	    ok "chain document valid against trace-chain-1.json" || bad "chain schema"
else
	bad "chain document" "$(cat chain.v)"
fi
# Each hop's response verifies with its State's key, independently.
for i in 0 1 2; do
	jq_ hops.$i.response > resp$i.jws
	s=$(jq_ hops.$i.requested_state | tr A-Z a-z)
	if $JWS verify $s-sign.pub resp$i.jws >/dev/null 2>&1 &&
	    "$TRACECTL" verify --peers fr-peers.ini resp$i.jws >/dev/null 2>&1; then
		ok "hop $i's response verifies with $s's key and log"
	else
		bad "hop $i's response verifies"
	fi
done
# The follow-up carries the registered serial and the referral as evidence.
jq_ hops.1.request > req1.jws
$JWS verify fr-sign.pub req1.jws > req1.v 2>&1 &&
    grep -q '"serial":"GKS0873"' req1.v && grep -q 'Referred by BE' req1.v &&
    ! grep -q follow_referrals req1.v && ok "follow-up request: registered serial, referral as evidence" ||
    bad "follow-up request" "$(cat req1.v)"
# Each State stored what it received, and FR what it sent and got back.
for l in be nl de fr; do
	check "log verify $l after the chain" 0 "" "$REGCTL" --db dbname=reg_$l log verify \
	    --key $l-log.key
done
n=$(psql -At -c "SELECT count(*) FROM trace_hop" reg_fr)
[ "$n" = 3 ] && ok "FR stored 3 hops" || bad "FR stored 3 hops" "$n"

# 2. The same submission again: the same acknowledgement, no new chain.
check "repeat: same acknowledgement" 0 '"status":"acknowledged"' submit r1.json
n=$(psql -At -c "SELECT count(*) FROM trace_hop" reg_fr)
[ "$n" = 3 ] && ok "repeat stored nothing" || bad "repeat stored nothing" "$n"

# 3. A loop in the export records: NL's export goes back to BE.
request r2.json GKS0999
id2=$(idof r2.json)
submit r2.json >/dev/null
check "loop: the chain ends when a State would be asked twice" 0 'complete: loop in NL' \
    chain "$id2" inv --wait 30

# 4. Not followed when the submitter did not ask.
request r3.json GKS0873 false
submit r3.json >/dev/null
check "not followed without follow_referrals" 0 'complete: not_followed in BE' \
    chain "$(idof r3.json)" inv --wait 30

# 4b. Submit and follow in one command: the acknowledgement, then the
# chain, checked as chain --wait checks it, on the same connection.
follow() {	# follow OPTIONS FILE: tracectl submit as FR's investigator
	"$TRACECTL" submit --url "$FRURL" --ca ca.pem --state FR --verify-key FR/1=fr-sign.pub \
	    --cert inv.pem --key inv.key --sign-key inv-sign.key --kid FR/inv-1 "$@"
}
request r3b.json GKS0873
check "submit --follow: acknowledged, then the chain, verified" 0 \
    'complete: diversion in DE' follow --peers fr-peers.ini --follow 30 r3b.json
follow --peers fr-peers.ini --follow 30 --json r3b.json > follow.out 2>&1
if [ "$(wc -l < follow.out)" = 2 ] && head -1 follow.out | grep -q '"status":"acknowledged"' &&
    tail -1 follow.out | grep -q '"schema":"trace-chain/1".*"complete":true'; then
	ok "submit --follow --json: the acknowledgement, then the chain"
else
	bad "submit --follow --json" "$(cat follow.out)"
fi
check "submit --follow needs the peers directory" 2 '--peers FILE' follow --follow 30 r3b.json
request r3c.json GKS0873 true BE
check "submit --follow straight to BE: refused, tracectl wait advised" 2 'tracectl wait' \
    "$TRACECTL" submit --url https://127.0.0.1:1 --ca ca.pem --state BE --peers fr-peers.ini \
    --cert inv.pem --key inv.key --sign-key inv-sign.key --kid FR/inv-1 --follow 5 r3c.json
check "chain --follow: refused, --wait advised" 2 'chain waits with --wait' \
    chain "$id1" inv --follow 5

# 5. A hop that declines: DE's policy now declines FR.
printf '[registry]\nstate = DE\n[foreign.FR]\nanswer = no\ndecline_reason = Not without a court order.\n' > de-policy.ini
eval "kill -HUP \$pid_DE"
sleep 0.5
request r4.json GKS0555
submit r4.json >/dev/null
check "a declining hop ends the chain" 0 'complete: declined in DE' chain "$(idof r4.json)" inv --wait 30
printf '[registry]\nstate = DE\n' > de-policy.ini
eval "kill -HUP \$pid_DE"

# 6. A hop that is down: retried, overdue, never lost (FR restarted too),
# answered once DE is back.
stop DE
request r5.json GKS0321
id5=$(idof r5.json)
submit r5.json >/dev/null
sleep 5
check "down hop: overdue, the rest of the chain shown" 5 'overdue' chain "$id5" inv --wait 1
curl -s --cacert ca.pem --cert liaison.pem --key liaison.key "$FRURL/metrics" > m.txt
grep -q '^tracerd_hops_overdue 1' m.txt && ok "overdue hop in /metrics" ||
    bad "overdue hop in /metrics" "$(grep hops m.txt)"
stop FR
start FR
start DE
check "down hop answered once back, after FR restarted" 0 'complete: diversion in DE' \
    chain "$id5" inv --wait 30
grep -q 'event=hop.*status=retry' fr.log && ok "retries logged" || bad "retries logged"

# 7. Through a liaison hub: FR reaches BE, NL and DE only through XH (and
# they reach FR through it); the chain is the same, each answer still
# signed by its State.
gen xh "/C=XH/OU=hub/CN=hub.example" hub || exit 1
sign_keys xh || exit 1
chmod 600 xh-sign.key
psql -q -c "CREATE DATABASE reg_xh" postgres >/dev/null
"$REGCTL" --db dbname=reg_xh migrate >/dev/null || echo "FAIL migrate hub"
vkey_XH=$(log_key hub.example/log xh-log.key dbname=reg_xh)
chmod 600 xh-log.key
port_XH=$(free_port)
peers_for XH > xh-peers.ini
tracerd_ini --mode hub --state XH --listen 127.0.0.1:$port_XH --db dbname=reg_xh --cert xh \
    --sign xh-sign.key --kid XH/1 --peers xh-peers.ini > xh.ini
cat >> xh.ini <<INI
[workers]
pool = 2
traces = 2
[log]
key = xh-log.key
checkpoint_interval = 1
INI
# via_peers STATE: the hub, and FR (or, for FR, every State) through it.
via_peers() {
	peer_ini --hub XH https://127.0.0.1:$port_XH "XH/1 xh-sign.pub" "$vkey_XH"
	for ps in BE NL DE FR; do
		[ "$ps" = "$1" ] && continue
		pl=$(echo $ps | tr A-Z a-z)
		eval "pp=\$port_$ps vk=\$vkey_$ps"
		if [ "$1" = FR ] || [ "$ps" = FR ]; then
			via_peer_ini $ps XH "$ps/1 $pl-sign.pub" "$vk"
		else
			peer_ini $ps https://127.0.0.1:$pp "$ps/1 $pl-sign.pub" "$vk"
		fi
	done
}
start XH
for s in BE NL DE FR; do
	l=$(echo $s | tr A-Z a-z)
	via_peers $s > $l-peers.ini
	eval "kill -HUP \$pid_$s"
done
sleep 1
request r7.json GKS0873
id7=$(idof r7.json)
check "through the hub: submitted" 0 '"status":"acknowledged"' submit r7.json
check "through the hub: the chain BE -> NL -> DE, verified" 0 'complete: diversion in DE' \
    chain "$id7" inv --wait 30
if getchain "$id7" && [ "$(jq_ hops.0.via)" = XH ] && [ "$(jq_ hops.2.via)" = XH ]; then
	ok "every hop went through XH"
else
	bad "hops through XH" "$(cat chain.json)"
fi
n=$(psql -At -c "SELECT count(*) FROM relay" reg_xh)
[ "$n" = 3 ] && ok "the hub recorded 3 relays" || bad "hub relays" "$n"
check "log verify of the hub" 0 "" "$REGCTL" --db dbname=reg_xh log verify --key xh-log.key

# 8. Stopping while another State holds FR's question: FR gives it up at
# once (the hop is carried on at the next start), rather than wait out its
# client's time limit.
gen at-server "/C=AT/O=Registry/CN=localhost" server || exit 1
sign_keys at || exit 1
/usr/bin/python3 "$SRC/tests/mock_tracerd.py" at-server.pem at-server.key ca.pem at-sign.key \
    AT/1 "$SRC/proto/examples/trace-response-not-found.json" at.port 2>> at.log &
pids="$pids $!"
i=0
while [ ! -s at.port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
peer_ini AT "https://127.0.0.1:$(cat at.port)" "AT/1 at-sign.pub" "$vkey_BE" >> fr-peers.ini
kill -HUP "$pid_FR"
sleep 0.5
# An answer whose checkpoint AT's log key did not sign: FR refuses it (the
# one verifier, tracer/net/verify.c) and the chain ends there.
request r9.json GKS0873 true AT mock:bad-checkpoint
submit r9.json >/dev/null
check "an answer whose checkpoint does not verify is refused" 0 'unverified' \
    chain "$(idof r9.json)" inv --wait 30
request r8.json GKS0873 true AT mock:hang
id8=$(idof r8.json)
submit r8.json >/dev/null
i=0
while ! grep -q "event=hop request=$id8 status=acknowledged" fr.log && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 1
t0=$(date +%s%N)
stop FR
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if grep -q "event=hop request=$id8 status=acknowledged" fr.log && [ "$ms" -lt 5000 ]; then
	ok "FR stopped in $ms ms while AT held its question"
else
	bad "FR stops while a question is held" "$ms ms" "$(grep "$id8" fr.log)"
fi
start FR
check "the held hop is carried on after the restart" 5 'acknowledged' chain "$id8" inv --wait 1

# ---------------------------------------------------------------- bad input
post() {	# post WHO FILE: FR daemon's answer status
	curl -s --cacert ca.pem --cert "$1.pem" --key "$1.key" -o out.body -w '%{http_code}' \
	    -H 'Content-Type: application/jose' --data-binary "@$2" "$FRURL/v1/traces"
}
isproblem() {	# isproblem NAME STATUS GOT
	if [ "$3" = "$2" ] && $JWS verify fr-sign.pub out.body 2>/dev/null |
	    grep -q "urn:registry:problem:$1"; then ok "$1 ($2)"
	else bad "$1" "HTTP $3, wanted $2" "$(cat out.body)"; fi
}
request r6.json GKS0873
nhops=$(psql -At -c "SELECT count(*) FROM trace_hop" reg_fr)
$JWS sign rogue-sign.key FR/inv-1 trace-request/1 r6.json > forged.jws
isproblem bad-signature 403 "$(post inv forged.jws)"
$JWS sign rogue-sign.key FR/nobody trace-request/1 r6.json > unknown.jws
isproblem unknown-key 403 "$(post inv unknown.jws)"
$JWS sign inv-sign.key BE/inv-1 trace-request/1 r6.json > otherstate.jws
isproblem kid-state-mismatch 403 "$(post inv otherstate.jws)"
python3 -c 'import json; d=json.load(open("r6.json")); d["requested_state"]="FR"; json.dump(d,open("own.json","w"))'
$JWS sign inv-sign.key FR/inv-1 trace-request/1 own.json > own.jws
isproblem wrong-state 422 "$(post inv own.jws)"
python3 -c 'import json; d=json.load(open("r6.json")); d["requested_state"]="JP"; json.dump(d,open("jp.json","w"))'
$JWS sign inv-sign.key FR/inv-1 trace-request/1 jp.json > jp.jws
isproblem wrong-state 422 "$(post inv jp.jws)"
python3 -c 'import json; d=json.load(open("r6.json")); d["weapon"]["type"]="cannon"; json.dump(d,open("badf.json","w"))'
$JWS sign inv-sign.key FR/inv-1 trace-request/1 badf.json > badf.jws
isproblem invalid-document 422 "$(post inv badf.jws)"
python3 -c 'import json; d=json.load(open("r1.json")); d["case_reference"]="another"; json.dump(d,open("conf.json","w"))'
$JWS sign inv-sign.key FR/inv-1 trace-request/1 conf.json > conf.jws
isproblem conflict 409 "$(post inv conf.jws)"
$JWS sign inv-sign.key FR/inv-1 trace-request/1 r6.json > clerk.jws
isproblem forbidden 403 "$(post clerk clerk.jws)"
head -c 300 /dev/urandom | base64 -w0 > junk.jws
isproblem bad-request 400 "$(post inv junk.jws)"
n=$(psql -At -c "SELECT count(*) FROM trace_hop" reg_fr)
[ "$n" -eq "$nhops" ] && ok "refusals stored nothing" || bad "refusals stored nothing" "$n hops, $nhops before"
# Who reads a chain: the submitter, FR's liaison; not another investigator,
# not a peer State.
check "another investigator: not found" 1 'not-found' chain "$id1" inv2
check "FR's liaison office reads it" 0 'complete' chain "$id1" liaison
st=$(curl -s -o out.body -w '%{http_code}' --cacert ca.pem --cert be.pem --key be.key \
    "$FRURL/v1/traces/$id1/chain")
[ "$st" = 403 ] && ok "a peer State cannot read FR's chain" || bad "peer reads chain" "$st"
st=$(curl -s -o out.body -w '%{http_code}' --cacert ca.pem --cert liaison.pem --key liaison.key \
    "$FRURL/v1/traces/$id1/chain?wait=x")
[ "$st" = 400 ] && ok "bad wait refused" || bad "bad wait refused" "$st"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
