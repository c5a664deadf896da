#!/bin/sh
# One State that stops answering must not stall the traces to the others
# (issue 17, outbound pool), on loopback: FR's daemon, with 2 outbound
# workers, sends requests to NL, whose daemon is stopped (SIGSTOP: the
# kernel still accepts its TCP connections, nothing answers them), and to
# BE, healthy.  The requests to BE must be answered within seconds while
# NL's stay pending; a circuit breaker then pauses calls to NL (shown in
# the metrics) while BE is still served; NL is resumed (SIGCONT) and each
# of its requests ends answered exactly once, across a restart of FR's
# daemon in between.
set -u
SRC="${REG_TEST_SRCDIR:-.}"
B="${REG_TEST_BUILDDIR:-.}"
TRACERD="$B/tracerd"
TRACECTL="$B/tracectl"
REGCTL="$B/regctl"
T=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill -CONT $p 2>/dev/null; kill -9 $p 2>/dev/null; done; rm -rf "$T"' EXIT
. "$SRC/tests/testlib.sh"
cd "$T" || exit 1
ok() { echo "ok $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@" | head -30; fails=$((fails + 1)); }

# ---------------------------------------------------------------- PKI
pki_init || { echo "FAIL pki"; exit 1; }
for s in BE NL FR; do
	l=$(echo $s | tr A-Z a-z)
	gen $l-server "/C=$s/O=Registry/CN=localhost" server &&
	gen $l "/C=$s/OU=peer/CN=tracing.$l.example" client || exit 1
	sign_keys $l || exit 1
	chmod 600 $l-sign.key $l-server.key
done
gen inv "/C=FR/OU=investigator/CN=Inspector Martin" client &&
gen liaison "/C=FR/OU=liaison/CN=FR liaison office" client || exit 1
sign_keys inv || exit 1
chmod 600 inv-sign.key

# ---------------------------------------------------------------- registries
for s in BE NL FR; do
	l=$(echo $s | tr A-Z a-z)
	psql -q -c "CREATE DATABASE reg_$l" postgres >/dev/null
	"$REGCTL" --db dbname=reg_$l migrate >/dev/null || { echo "FAIL migrate $s"; exit 1; }
	vk=$(log_key $l.example/log $l-log.key dbname=reg_$l)
	eval "vkey_$s=\$vk"
done
r() { db=$1; shift; reg_in dbname=reg_$db $db "$@"; }
for db in be nl; do
	r $db manufacturer add --name "Fabrique Nationale Herstal" --country BE
done
r be party add --kind manufacturer --name "FN Herstal SA" --country BE --office-ref FNH
r be party add --kind foreign_importer --name "Wapenhandel Oranje BV" --country NL --office-ref NLIMP
r nl party add --kind foreign_exporter --name "FN Herstal SA" --country BE --office-ref BEEXP
r nl party add --kind dealer --name "Wapenhandel Oranje BV" --country NL --office-ref NLDEAL
weapon() { fnp9 dbname=reg_$1 $1 "$2"; }
w=$(weapon be GKS0873)
r be event add "$w" --kind manufacture --date 2015-03-01 --to FNH
r be event add "$w" --kind export --date 2016-05-10 --from FNH --to NLIMP \
    --licence-number BE-EXP-1 --licence-issued 2016-04-01 --licence-expires 2017-04-01 \
    --euc EUC-NL-1 --export-country BE --import-country NL
w=$(weapon nl GKS0873)
r nl event add "$w" --kind import --date 2016-05-20 --from BEEXP --to NLDEAL \
    --export-country BE --import-country NL --licence-number NL-IMP-1 \
    --licence-issued 2016-04-15 --licence-expires 2017-04-15
for l in be nl fr; do
	"$REGCTL" --db dbname=reg_$l log checkpoint --key $l-log.key >/dev/null ||
	    echo "FAIL checkpoint $l"
done

# ---------------------------------------------------------------- daemons
for s in BE NL FR; do eval "port_$s=$(free_port)"; done
peers_for() {
	for ps in BE NL FR; do
		[ "$ps" = "$1" ] && continue
		pl=$(echo $ps | tr A-Z a-z)
		eval "pp=\$port_$ps vk=\$vkey_$ps"
		peer_ini $ps https://127.0.0.1:$pp "$ps/1 $pl-sign.pub" "$vk"
	done
}
for s in BE NL FR; do
	l=$(echo $s | tr A-Z a-z)
	eval "p=\$port_$s"
	peers_for $s > $l-peers.ini
	state_ini $s 127.0.0.1:$p dbname=reg_$l 1 > $l.ini
	cat >> $l.ini <<INI
[domestic]
signing_key = FR/inv-1 inv-sign.pub sha256:$(openssl x509 -in inv.pem -noout -fingerprint -sha256 | sed 's/.*=//')
poll = 2
retry_max = 1
INI
	printf '[registry]\nstate = %s\n' $s > $l-policy.ini
done
sed -i '/^signing_key = FR/d' be.ini nl.ini
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
for s in BE NL FR; do start $s; done

request() {	# request FILE STATE
	python3 - "$1" "$2" <<'PY'
import json, sys, uuid
path, to = sys.argv[1:3]
d = {"schema": "trace-request/1", "id": str(uuid.uuid4()),
     "requesting_state": "FR", "requested_state": to,
     "requesting_authority": {"name": "Office central de lutte contre le trafic d'armes",
                              "contact": {"name": "Section armes", "email": "armes@interieur.example.fr"}},
     "priority": "urgent", "created_at": "2026-11-30T09:00:00Z",
     "case_reference": "OCLTA/2026/0042",
     "weapon": {"serial": "GKS0873", "serial_condition": "legible",
                "manufacturer": "FN Herstal", "model": "FNP 9", "type": "pistol",
                "calibre": "9mm", "markings": [{"text": "FN HERSTAL BELGIUM", "location": "slide"}]},
     "illicit_basis": {"grounds": ["illicit_under_national_law"],
                       "legal_reference": "Code de la securite interieure, article L317-8"},
     "found": {"date": "2026-11-28", "place": "Marseille", "country": "FR",
               "circumstances": "Seized during a search."},
     "intended_use": "Criminal investigation."}
json.dump(d, open(path, "w"))
PY
}
FRURL="https://127.0.0.1:$port_FR"
submit() {	# submit FILE
	"$TRACECTL" submit --url "$FRURL" --ca ca.pem --state FR --verify-key FR/1=fr-sign.pub \
	    --cert inv.pem --key inv.key --sign-key inv-sign.key --kid FR/inv-1 --json "$1"
}
chain() {	# chain ID [options]
	id=$1
	shift
	"$TRACECTL" chain --url "$FRURL" --ca ca.pem --state FR --verify-key FR/1=fr-sign.pub \
	    --peers fr-peers.ini --cert inv.pem --key inv.key "$@" "$id"
}
idof() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$1"; }
metrics() {
	curl -s --cacert ca.pem --cert liaison.pem --key liaison.key "$FRURL/metrics"
}
now() { date +%s; }

# 1. NL stops answering; 4 requests to NL, then 3 to BE (all queued at
# once, NL's first).  BE's must be answered within seconds.
kill -STOP $pid_NL
for i in 1 2 3 4; do
	request nl$i.json NL
	submit nl$i.json | grep -q '"status":"acknowledged"' || bad "submit nl$i acknowledged"
done
for i in 1 2 3; do
	request be$i.json BE
	submit be$i.json | grep -q '"status":"acknowledged"' || bad "submit be$i acknowledged"
done
t0=$(now)
for i in 1 2 3; do
	out=$(chain "$(idof be$i.json)" --wait 8 2>&1)
	if printf '%s\n' "$out" | grep -q 'complete: not_followed in BE'; then
		ok "BE request $i answered while NL is stopped ($(($(now) - t0)) s)"
	else
		bad "BE request $i answered within seconds while NL is stopped ($(($(now) - t0)) s)" "$out"
	fi
done
for i in 1 2 3 4; do
	st=$(psql -At -c "SELECT count(*) FROM trace_hop_event e JOIN trace_hop h ON h.id = e.hop_id
	    WHERE h.id = '$(idof nl$i.json)'" reg_fr)
	[ "$st" = 0 ] && ok "NL request $i pending" || bad "NL request $i pending" "$st events"
done

# 2. FR's daemon restarted with a breaker after one failure: NL's hops
# resume from the database, the first call to NL times out, and NL is
# paused (the metrics say so) while a new request to BE is still answered.
stop FR
cat >> fr.ini <<INI
[outbound]
per_state_in_flight = 1
breaker_failures = 1
breaker_min = 1
breaker_max = 4
INI
start FR
paused=""
i=0
while [ $i -lt 40 ]; do
	if metrics | grep -q '^tracerd_outbound_paused{state="NL"} 1'; then paused=1; break; fi
	sleep 1
	i=$((i + 1))
done
[ -n "$paused" ] && ok "NL paused by the breaker (metric, after ${i} s)" ||
    bad "NL paused by the breaker" "$(metrics | grep outbound)"
request be4.json BE
submit be4.json >/dev/null
t0=$(now)
check "BE answered while NL is paused" 0 'complete: not_followed in BE' \
    chain "$(idof be4.json)" --wait 8
[ $(($(now) - t0)) -le 8 ] && ok "BE within 8 s while NL is paused" || bad "BE within 8 s"
n=$(psql -At -c "SELECT count(*) FROM trace_hop_event" reg_fr)
m=$(psql -At -c "SELECT count(*) FROM trace_hop_event e JOIN trace_hop h ON h.id = e.hop_id
    WHERE h.requested_state = 'NL'" reg_fr)
[ "$m" = 0 ] && ok "NL's hops still pending while paused" || bad "NL pending while paused" "$m"

# 3. NL resumes: each of its requests ends answered exactly once (NL has
# the import and no export: the chain ends with a gap in NL).
kill -CONT $pid_NL
t0=$(now)
for i in 1 2 3 4; do
	check "NL request $i answered after NL resumed" 0 'complete: diversion in NL' \
	    chain "$(idof nl$i.json)" --wait 60
done
echo "# NL's 4 requests answered $(($(now) - t0)) s after it resumed"
for i in 1 2 3 4; do
	id=$(idof nl$i.json)
	a=$(psql -At -c "SELECT count(*) FROM trace_hop_event WHERE hop_id = '$id' AND kind = 'answered'" reg_fr)
	k=$(psql -At -c "SELECT count(*) FROM trace_hop_event WHERE hop_id = '$id' AND kind = 'acknowledged'" reg_fr)
	h=$(psql -At -c "SELECT count(*) FROM trace_hop WHERE root_id = '$id'" reg_fr)
	q=$(psql -At -c "SELECT count(*) FROM trace_request WHERE id = '$id'" reg_nl)
	[ "$a.$k.$h.$q" = 1.1.1.1 ] && ok "NL request $i: answered once, acknowledged once, one hop, stored once by NL" ||
	    bad "NL request $i exactly once" "answered $a acknowledged $k hops $h at NL $q"
done
i=0
while metrics | grep -q '^tracerd_outbound_paused{state="NL"} 1' && [ $i -lt 10 ]; do
	sleep 1; i=$((i + 1))
done
metrics | grep -q '^tracerd_outbound_paused{state="NL"} 1' && bad "NL no longer paused" ||
    ok "NL no longer paused"
for l in be nl fr; do
	check "log verify $l" 0 "" "$REGCTL" --db dbname=reg_$l log verify --key $l-log.key
done
grep -q 'event=outbound.*state=NL\|NL.*paus' fr.log && ok "the pause is logged" ||
    bad "the pause is logged" "$(tail -20 fr.log)"

for s in BE NL FR; do stop $s; done
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
