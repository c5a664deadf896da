#!/bin/sh
# tracectl's command line against the test cluster: a trace of the sample
# registry, every status answered with exit 0, and malformed, hostile and
# oversized requests refused with exit 3 and the field at fault.
set -u
TRACECTL="${REG_TEST_BUILDDIR:-.}/tracectl"
REGCTL="${REG_TEST_BUILDDIR:-.}/regctl"
SRC="${REG_TEST_SRCDIR:-.}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$SRC/tests/testlib.sh"

# A request for the sample registry (etc/), edited with python3.
edit() {	# edit OUT PYTHON-STATEMENTS (r is the request)
	p90_request "$@"
}

psql -q -c "CREATE DATABASE trace_cli" postgres >/dev/null
export REGISTRY_DB=dbname=trace_cli
"$REGCTL" migrate >/dev/null || { echo "FAIL migrate"; exit 1; }
(cd "$SRC" && REGCTL="$REGCTL" sh etc/sample-setup.sh >/dev/null) || { echo "FAIL setup"; exit 1; }
"$REGCTL" import "$SRC/etc/sample-weapons.csv" >/dev/null || { echo "FAIL import"; exit 1; }
"$REGCTL" import "$SRC/etc/sample-events.csv" >/dev/null || { echo "FAIL import"; exit 1; }

check help 0 "Commands:" "$TRACECTL" --help
check local-help 0 "Exit status" "$TRACECTL" local --help
check unknown-command 2 "unknown command" "$TRACECTL" frobnicate
check bad-option 2 "Try 'tracectl local --help'" "$TRACECTL" local --bogus
check bad-max 2 "2 to 50" "$TRACECTL" local --max-candidates 1

edit "$TMP/found.json"
check found 0 '"status":"found"' "$TRACECTL" local --request "$TMP/found.json"
check found-stdin 0 '"referral"' sh -c "\"$TRACECTL\" local < \"$TMP/found.json\""
check found-pretty 0 '  "status": "found"' "$TRACECTL" local --pretty --request "$TMP/found.json"
check found-proofs 0 '"inclusion_proof"' sh -c "\"$REGCTL\" key generate --name be.example/log --key \"$TMP/log.key\" >/dev/null && REGISTRY_KEY=\"$TMP/log.key\" \"$REGCTL\" log checkpoint --key \"$TMP/log.key\" >/dev/null && \"$TRACECTL\" local --proofs --request \"$TMP/found.json\""
# The response passes the protocol's own schema.
"$TRACECTL" local --request "$TMP/found.json" > "$TMP/resp.json"
check response-schema 0 "" /usr/bin/python3 -c "import json, sys, jsonschema
s = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker()).validate(d)" \
    "$SRC/proto/schemas/trace-response-1.json" "$TMP/resp.json"
edit "$TMP/misread.json" "w['serial'] = 'FNO39I72'"
check misread 0 "look-alike" "$TRACECTL" local --request "$TMP/misread.json"
edit "$TMP/none.json" "w['serial'] = 'QQ999999'"
check not-found 0 '"status":"not_found"' "$TRACECTL" local --request "$TMP/none.json"
edit "$TMP/other.json" "r['requested_state'] = 'FR'"
check declined 0 '"status":"declined"' "$TRACECTL" local --state BE --request "$TMP/other.json"
edit "$TMP/little.json" "w['serial'] = '??1*'" "w['serial_condition'] = 'partly_restored'"
check need-more-info 0 '"status":"need_more_info"' "$TRACECTL" local --request "$TMP/little.json"

# Signed responses and tracectl verify: the signature by the peers
# directory's key for the kid, the checkpoint by the State's log verifier
# key, every inclusion proof against the checkpoint's root.
sign_keys "$TMP/be" "$TMP/nl"
chmod 600 "$TMP/be-sign.key" "$TMP/nl-sign.key"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$TMP/ca.key" -out "$TMP/ca.pem" -subj "/CN=test" 2>/dev/null
vkey=$("$REGCTL" key show --key "$TMP/log.key" | grep '+' | tail -1)
"$REGCTL" key generate --name other.example/log --key "$TMP/other-log.key" >/dev/null
okey=$("$REGCTL" key show --key "$TMP/other-log.key" | grep '+' | tail -1)
peers() {	# peers FILE LOG-VERIFIER
	{
		peer_ini BE https://tracing.be.example "BE/1 be-sign.pub" "$2"
		peer_ini NL https://tracing.nl.example "NL/1 nl-sign.pub" "$2"
	} > "$1"
}
peers "$TMP/peers.ini" "$vkey"
peers "$TMP/peers-other.ini" "$okey"
"$TRACECTL" local --proofs --state BE --sign-key "$TMP/be-sign.key" --kid BE/1 \
    --request "$TMP/found.json" > "$TMP/resp.jws"
check sign 0 "" test -s "$TMP/resp.jws"
check verify 0 "signature by BE/1 good; .* (found) of BE; checkpoint good; 2 inclusion proofs good" \
    "$TRACECTL" verify --peers "$TMP/peers.ini" "$TMP/resp.jws"
check verify-json 0 '"verified":true,"kid":"BE/1"' sh -c "\"$TRACECTL\" verify --json --peers \"$TMP/peers.ini\" < \"$TMP/resp.jws\""
sed 's/\(.\)$/\1A/' "$TMP/resp.jws" > "$TMP/bad.jws"
check verify-extended 3 "not a signed message" "$TRACECTL" verify --peers "$TMP/peers.ini" "$TMP/bad.jws"
/usr/bin/python3 - "$TMP/resp.jws" "$TMP/flip.jws" <<'PY'
import sys
t = open(sys.argv[1]).read().strip()
h, p, s = t.split(".")
s = ("B" if s[10] != "B" else "C").join([s[:10], s[11:]])
open(sys.argv[2], "w").write(".".join([h, p, s]))
PY
check verify-bad-signature 4 "signature: does not verify" "$TRACECTL" verify --peers "$TMP/peers.ini" "$TMP/flip.jws"
"$TRACECTL" local --state BE --sign-key "$TMP/be-sign.key" --kid BE/9 \
    --request "$TMP/found.json" > "$TMP/kid.jws"
check verify-unknown-kid 4 "does not have" "$TRACECTL" verify --peers "$TMP/peers.ini" "$TMP/kid.jws"
"$TRACECTL" local --state BE --sign-key "$TMP/nl-sign.key" --kid NL/1 \
    --request "$TMP/found.json" > "$TMP/nl.jws"
check verify-other-state 4 "signed by NL/1 for a response of BE" "$TRACECTL" verify --peers "$TMP/peers.ini" "$TMP/nl.jws"
check verify-other-log 4 "checkpoint" "$TRACECTL" verify --peers "$TMP/peers-other.ini" "$TMP/resp.jws"
# A proof altered and the response signed again with the right key: the
# signature holds, the proof does not.
/usr/bin/python3 - "$TMP/resp.jws" "$TMP/be-sign.key" "$TMP/proof.jws" <<'PY'
import base64, json, sys
from jwcrypto import jwk, jws
t = open(sys.argv[1]).read().strip()
doc = json.loads(base64.urlsafe_b64decode(t.split(".")[1] + "=="))
p = doc["candidates"][0]["history"][0]["inclusion_proof"]
p["leaf_hash"] = base64.b64encode(bytes(32)).decode()
key = jwk.JWK.from_pem(open(sys.argv[2], "rb").read())
s = jws.JWS(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())
s.add_signature(key, alg="EdDSA", protected={"alg": "EdDSA", "kid": "BE/1"})
open(sys.argv[3], "w").write(s.serialize(compact=True))
PY
check verify-bad-proof 4 "history\[0\]: the inclusion proof" "$TRACECTL" verify --peers "$TMP/peers.ini" "$TMP/proof.jws"
check verify-no-peers 2 "--peers" "$TRACECTL" verify "$TMP/resp.jws"
check sign-kid-alone 2 "go together" "$TRACECTL" local --kid BE/1 --request "$TMP/found.json"

# A policy file: its State, and lines it refuses.
printf '[registry]\nstate = BE\n[foreign.NL]\nanswer = no\ndecline_reason = not today\n' > "$TMP/policy.ini"
check policy-decline 0 "not today" "$TRACECTL" local --policy "$TMP/policy.ini" --request "$TMP/found.json"
check policy-env 0 "not today" env TRACER_POLICY="$TMP/policy.ini" "$TRACECTL" local --request "$TMP/found.json"
check policy-state 2 "contradicts" "$TRACECTL" local --policy "$TMP/policy.ini" --state FR --request "$TMP/found.json"
printf '[registry]\nstate = BE\n[foreign]\nprivate_holders = everyone\n' > "$TMP/bad.ini"
check policy-bad 1 "bad.ini:4: private_holders" "$TRACECTL" local --policy "$TMP/bad.ini" --request "$TMP/found.json"
check policy-missing 1 "cannot open policy file" "$TRACECTL" local --policy "$TMP/nothere.ini" --request "$TMP/found.json"

# Malformed, hostile and oversized requests: exit 3, the field named.
printf 'not json' > "$TMP/bad1.json"
check not-json 3 "malformed trace request" "$TRACECTL" local --request "$TMP/bad1.json"
check empty 3 "malformed trace request" sh -c "\"$TRACECTL\" local < /dev/null"
edit "$TMP/bad2.json" "del r['weapon']['serial']"
check missing-serial 3 "weapon.serial" "$TRACECTL" local --request "$TMP/bad2.json"
edit "$TMP/bad3.json" "r['schema'] = 'trace-request/9'"
check schema-version 3 "schema" "$TRACECTL" local --request "$TMP/bad3.json"
edit "$TMP/bad4.json" "r['requested_state'] = 'XX'"
check bad-country 3 "requested_state" "$TRACECTL" local --request "$TMP/bad4.json"
edit "$TMP/bad5.json" "w['serial'] = 'A' * 101"
check long-serial 3 "weapon.serial" "$TRACECTL" local --request "$TMP/bad5.json"
edit "$TMP/bad6.json" "w['serial'] = \"1'; DROP TABLE weapon; --\""
check sql-text 0 '"status"' "$TRACECTL" local --request "$TMP/bad6.json"
edit "$TMP/bad7.json" "r['id'] = 'not-a-uuid'"
check bad-id 3 "id" "$TRACECTL" local --request "$TMP/bad7.json"
python3 -c "import sys; sys.stdout.write('{\"a\":\"' + 'x' * (1024 * 1024 + 10) + '\"}')" > "$TMP/big.json"
check oversized 3 "over 1048576 bytes" "$TRACECTL" local --request "$TMP/big.json"
python3 -c "import sys; sys.stdout.write('[' * 100000)" > "$TMP/deep.json"
check deep 3 "malformed trace request" "$TRACECTL" local --request "$TMP/deep.json"
check no-file 1 "cannot open" "$TRACECTL" local --request "$TMP/nothere.json"
# The registry is untouched by all of this.
check weapons-intact 0 "^20$" psql -X -A -t -c "SELECT count(*) FROM weapon" trace_cli
check unreachable 1 "tracectl local" "$TRACECTL" --db "host=/nonexistent dbname=x" local --request "$TMP/found.json"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
