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
fails=0
passes=0

check() {	# check NAME EXPECTED_STATUS PATTERN COMMAND...
	name=$1 want=$2 pat=$3
	shift 3
	out=$("$@" 2>&1)
	st=$?
	if [ "$st" -ne "$want" ]; then
		echo "FAIL $name: exit $st, wanted $want; output:"; echo "$out" | head -20
		fails=$((fails + 1))
		return
	fi
	if [ -n "$pat" ] && ! printf '%s\n' "$out" | grep -q -- "$pat"; then
		echo "FAIL $name: output lacks '$pat':"; echo "$out" | head -20
		fails=$((fails + 1))
		return
	fi
	echo "ok $name"
	passes=$((passes + 1))
}

# A request for the sample registry (etc/), edited with python3.
edit() {	# edit OUT PYTHON-STATEMENTS (r is the request)
	out=$1
	shift
	python3 - "$SRC/proto/examples/trace-request-partly-restored.json" "$out" "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r['requested_state'] = 'BE'
w = r['weapon']
w.update(serial='FN039172', serial_condition='legible', manufacturer='FN',
         model='P90', type='submachine_gun', calibre='5.7x28mm', year_of_manufacture=2009)
for k in ('markings', 'importer'):
    w.pop(k, None)
for stmt in sys.argv[3:]:
    exec(stmt)
open(sys.argv[2], 'w').write(json.dumps(r))
PY
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
