#!/bin/sh
# Callers are their certificates, not their names (issue 17, finding 7), on
# loopback with real certificates made here: FR's daemon takes its
# investigators' requests for BE (whose daemon is down, so that the chains
# stay open).  Two certificates with one subject are two callers: the
# second cannot read the first's chain.  Two names equal in their first
# 127 bytes (the old buffer) are two callers.  A domestic signing key is
# bound to its user's certificate: signed with it over another
# certificate, a request is refused and not stored.  A key line without
# its certificate is refused at start, and a subject with two OUs is no
# identity.
set -u
SRC="${REG_TEST_SRCDIR:-.}"
TRACERD="${REG_TEST_BUILDDIR:-.}/tracerd"
REGCTL="${REG_TEST_BUILDDIR:-.}/regctl"
JWS="/usr/bin/python3 $SRC/tests/jws_tool.py"
T=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT
. "$SRC/tests/testlib.sh"
ok() { echo "ok $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@" | head -20; fails=$((fails + 1)); }

psql -q -c "CREATE DATABASE ident" postgres >/dev/null
"$REGCTL" --db dbname=ident migrate >/dev/null || { echo "FAIL migrate"; exit 1; }
cd "$T" || exit 1
vkey=$(log_key fr.example/log log.key dbname=ident)

# ---------------------------------------------------------------- PKI
pki_init || { echo "FAIL pki"; exit 1; }
# Certificates with the same subject as another: the CA allows it.
echo "unique_subject = no" > index.txt.attr
# gen_utf8 NAME SUBJECT: a client certificate whose subject is UTF-8.
gen_utf8() {
	openssl req -new -utf8 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null &&
	chmod 600 "$1.key" &&
	openssl ca -utf8 -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
	    -extensions client -in "$1.csr" -out "$1.pem" -notext >/dev/null 2>&1
}
# 43 euro signs are 129 bytes in UTF-8: longer than the 127 the old
# buffer kept, and within X.509's 64 characters.
E=$(python3 -c 'print("\u20ac" * 43)')
gen server "/C=FR/O=Registry/CN=localhost" server &&
gen inv_a "/C=FR/OU=investigator/CN=Inspector Martin" client &&
gen inv_b "/C=FR/OU=investigator/CN=Inspector Martin" client &&
gen liaison "/C=FR/OU=liaison/CN=FR liaison office" client &&
gen two_ou "/C=FR/OU=investigator/OU=liaison/CN=Inspector Two" client &&
gen_utf8 long_a "/C=FR/OU=investigator/CN=${E}A" &&
gen_utf8 long_b "/C=FR/OU=investigator/CN=${E}B" || { echo "FAIL pki"; exit 1; }
if [ "$(openssl x509 -in inv_a.pem -noout -subject)" = "$(openssl x509 -in inv_b.pem -noout -subject)" ] &&
    ! cmp -s inv_a.pem inv_b.pem; then
	ok "two certificates with one subject"
else
	bad "two certificates with one subject"
fi
sign_keys fr be a la lb
chmod 600 server.key fr-sign.key log.key
# fp NAME [colons]: the certificate's SHA-256, plain lower-case hex or as
# openssl writes it.
fp() {
	f=$(openssl x509 -in "$1.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
	if [ "${2:-}" = colons ]; then echo "$f"; else echo "$f" | tr -d : | tr A-F a-f; fi
}
dead=$(free_port)
peer_ini BE https://127.0.0.1:$dead "BE/1 be-sign.pub" "$vkey" > peers.ini
port=$(free_port)
config() {	# config DOMESTIC-KEY-LINES
	tracerd_ini --state FR --listen 127.0.0.1:$port --db dbname=ident --cert server \
	    --sign fr-sign.key --kid FR/1 --peers peers.ini
	cat <<INI
[workers]
pool = 2
traces = 1
outbound = 1
[domestic]
$1
poll = 2
retry_max = 60
INI
}

# A key line that names no certificate: refused before anything starts.
config "signing_key = FR/inv-a a-sign.pub" > unbound.ini
out=$("$TRACERD" --config unbound.ini --check 2>&1)
st=$?
if [ $st -ne 0 ] && printf '%s\n' "$out" | grep -q 'sha256:CERT'; then
	ok "a domestic key without its certificate is refused: $out"
else
	bad "a domestic key without its certificate is refused" "exit $st: $out"
fi
config "signing_key = FR/inv-a a-sign.pub sha256:$(fp inv_a colons)
signing_key = FR/long-a la-sign.pub sha256:$(fp long_a)
signing_key = FR/long-b lb-sign.pub SHA256:$(fp long_b colons)" > tracerd.ini
"$TRACERD" --config tracerd.ini 2>> daemon.log &
pid=$!
wait_healthz "https://127.0.0.1:$port" liaison

# call WHO METHOD PATH [curl options]: prints the HTTP status; body in out.body.
call() {
	who=$1 m=$2 path=$3
	shift 3
	curl -s --cacert ca.pem --cert "$who.pem" --key "$who.key" -X "$m" \
	    -o out.body -w '%{http_code}' "$@" "https://127.0.0.1:$port$path"
}
# is_problem NAME [plain]: out.body is FR's signed problem NAME (with
# plain: the unsigned one).
is_problem() {
	if [ "${2:-}" = plain ]; then
		grep -q "\"type\":\"urn:registry:problem:$1\"" out.body
	else
		$JWS verify fr-sign.pub out.body 2>/dev/null |
		    grep -q "\"type\":\"urn:registry:problem:$1\""
	fi
}
request() {	# request FILE: a request of FR to BE, with a new id
	python3 - "$1" <<'PY'
import json, sys, uuid
d = {"schema": "trace-request/1", "id": str(uuid.uuid4()),
     "requesting_state": "FR", "requested_state": "BE",
     "requesting_authority": {"name": "Office central de lutte contre le trafic d'armes",
                              "contact": {"name": "Section armes", "email": "armes@interieur.example.fr"}},
     "priority": "urgent", "created_at": "2026-11-30T09:00:00Z",
     "case_reference": "OCLTA/2026/0042",
     "weapon": {"serial": "GKS0873", "serial_condition": "legible", "manufacturer": "FN Herstal",
                "model": "FNP 9", "type": "pistol", "calibre": "9mm",
                "markings": [{"text": "FN HERSTAL BELGIUM", "location": "slide"}]},
     "illicit_basis": {"grounds": ["illicit_under_national_law"],
                       "legal_reference": "Code de la securite interieure, article L317-8"},
     "found": {"date": "2026-11-28", "place": "Marseille", "country": "FR",
               "circumstances": "Seized during a search."},
     "intended_use": "Criminal investigation."}
json.dump(d, open(path := sys.argv[1], "w"))
PY
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$1"
}
# submit WHO KEY KID FILE: POSTs FILE signed with KEY as KID; the status.
submit() {
	$JWS sign "$2" "$3" trace-request/1 "$4" > "$4.jws" &&
	call "$1" POST /v1/traces -H 'Content-Type: application/jose' --data-binary "@$4.jws"
}

# 1. The same subject, another certificate: not the submitter.
id1=$(request r1.json)
st=$(submit inv_a a-sign.key FR/inv-a r1.json)
[ "$st" = 202 ] && ok "inv_a submits $id1" || bad "inv_a submits" "HTTP $st" "$(cat out.body)"
st=$(call inv_a GET "/v1/traces/$id1/chain")
[ "$st" = 200 ] && ok "inv_a reads its chain" || bad "inv_a reads its chain" "HTTP $st"
st=$(call inv_b GET "/v1/traces/$id1/chain")
[ "$st" = 404 ] && is_problem not-found &&
    ok "another certificate with the same subject cannot read it (404)" ||
    bad "another certificate with the same subject cannot read it" "HTTP $st"
st=$(call liaison GET "/v1/traces/$id1/chain")
[ "$st" = 200 ] && ok "the liaison office reads it" || bad "liaison reads" "HTTP $st"
sub=$(psql -At -c "SELECT submitted_by FROM trace_hop WHERE id = '$id1'" ident)
[ "$sub" = "FR investigator sha256:$(fp inv_a) Inspector Martin" ] &&
    ok "the submitter stored by certificate: $sub" || bad "submitter stored" "$sub"

# 2. inv_a's key over inv_b's connection: refused, nothing stored.
id2=$(request r2.json)
st=$(submit inv_b a-sign.key FR/inv-a r2.json)
[ "$st" = 403 ] && is_problem forbidden &&
    ok "a domestic key used over another certificate: 403 forbidden" ||
    bad "a domestic key used over another certificate" "HTTP $st" "$(cat out.body)"
n=$(psql -At -c "SELECT count(*) FROM trace_hop WHERE id = '$id2'" ident)
[ "$n" = 0 ] && ok "nothing stored of it" || bad "nothing stored" "$n rows"
st=$(submit long_a a-sign.key FR/inv-a r2.json)
[ "$st" = 403 ] && is_problem forbidden && ok "nor over a third certificate" ||
    bad "nor over a third certificate" "HTTP $st"

# 3. Names equal in their first 127 bytes are two callers.
id3=$(request r3.json)
st=$(submit long_a la-sign.key FR/long-a r3.json)
[ "$st" = 202 ] && ok "long_a submits (a 130-byte name)" || bad "long_a submits" "HTTP $st" "$(cat out.body)"
st=$(call long_a GET "/v1/traces/$id3/chain")
[ "$st" = 200 ] && ok "long_a reads its chain" || bad "long_a reads" "HTTP $st"
st=$(call long_b GET "/v1/traces/$id3/chain")
[ "$st" = 404 ] && is_problem not-found &&
    ok "long_b, equal in the first 129 bytes, cannot read it (404)" ||
    bad "long_b cannot read long_a's chain" "HTTP $st"
st=$(submit long_b la-sign.key FR/long-a r3.json)
[ "$st" = 403 ] && ok "nor sign with long_a's key" || bad "long_b with long_a's key" "HTTP $st"
sub=$(psql -At -c "SELECT submitted_by FROM trace_hop WHERE id = '$id3'" ident)
[ "$sub" = "FR investigator sha256:$(fp long_a) ${E}A" ] &&
    ok "the whole name stored" || bad "the whole name stored" "$sub"

# 4. A subject with two OUs names no role.
st=$(call two_ou GET /healthz)
[ "$st" = 403 ] && is_problem forbidden plain &&
    ok "a subject with two OUs: no identity (403)" || bad "two OUs" "HTTP $st" "$(cat out.body)"

kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=""
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
