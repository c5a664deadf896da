#!/bin/sh
# tracerd against real certificates on loopback: TLS 1.3 only, a client
# certificate required (none, an unknown CA's, a revoked one: refused in the
# handshake), the caller's State and role from its certificate, problem
# documents, SIGHUP and SIGTERM, and every start-up refusal in one line.
set -u
TRACERD="${REG_TEST_BUILDDIR:-.}/tracerd"
REGCTL="${REG_TEST_BUILDDIR:-.}/regctl"
T=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
passes=0
ok() { echo "ok $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@"; fails=$((fails + 1)); }

# ---------------------------------------------------------------- the PKI
cd "$T" || exit 1
. "${REG_TEST_SRCDIR:-.}/tests/testlib.sh"
pki_init || { echo "FAIL pki"; exit 1; }
gen server "/C=NL/O=Registry/CN=localhost" server &&
gen inspector "/C=NL/OU=investigator/CN=Inspector Visser" client &&
gen be "/C=BE/OU=peer/CN=tracing.be.example" client &&
gen norole "/C=NL/OU=visitor/CN=Nobody" client &&
gen revoked "/C=NL/OU=clerk/CN=Former clerk" client &&
gen stranger "/C=NL/OU=investigator/CN=Stranger" client other || { echo "FAIL pki"; exit 1; }
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -revoke revoked.pem >/dev/null 2>&1
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -gencrl -out crl.pem >/dev/null 2>&1 ||
    { echo "FAIL crl"; exit 1; }
openssl genpkey -algorithm ed25519 -out sign.key 2>/dev/null
openssl genpkey -algorithm ed25519 -out be-sign.key 2>/dev/null
openssl pkey -in be-sign.key -pubout -out be-sign.pub.pem 2>/dev/null
chmod 600 server.key sign.key
vkey=$(log_key be.example/log be-log.key)
peer_ini BE https://tracing.be.example:8443 "BE/2026-1 be-sign.pub.pem" "$vkey" > peers.ini
port=$(free_port)
tracerd_ini --state NL --listen 127.0.0.1:$port --cert server --tls-extra "crl = crl.pem" \
    --sign sign.key --kid NL/2026-1 --peers peers.ini > tracerd.ini
cat >> tracerd.ini <<INI
[limits]
header_timeout = 5
INI

# ---------------------------------------------------------------- start-up
out=$("$TRACERD" --help); [ $? -eq 0 ] && printf '%s' "$out" | grep -q "Usage" && ok help || bad help "$out"
out=$("$TRACERD" --config tracerd.ini --check 2>&1)
[ $? -eq 0 ] && printf '%s' "$out" | grep -q "is sound (State NL, 1 peers)" && ok check || bad check "$out"
refused() {	# refused NAME PATTERN: the daemon, started on $T/x.ini, stops with one line
	out=$("$TRACERD" --config x.ini 2>&1 </dev/null)
	st=$?
	n=$(printf '%s\n' "$out" | wc -l)
	if [ "$st" -ne 0 ] && [ "$n" -eq 1 ] && printf '%s' "$out" | grep -q -- "$2"; then
		ok "$1: $out"
	else
		bad "$1" "exit $st, $n lines: $out"
	fi
}
sed 's/^key = server.key/key = open.key/' tracerd.ini > x.ini
cp server.key open.key; chmod 644 open.key
refused key-mode "open to group or others"
sed 's/^key = server.key/key = inspector.key/' tracerd.ini > x.ini
chmod 600 inspector.key
refused key-mismatch "is not the key of certificate"
sed 's/^key = sign.key/key = open-sign.key/' tracerd.ini > x.ini
cp sign.key open-sign.key; chmod 640 open-sign.key
refused signing-key-mode "signing key .* open to group"
sed 's|^kid = NL/2026-1|kid = BE/2026-1|' tracerd.ini > x.ini
refused signing-kid "must start with this State's code"
{ cat peers.ini; echo; cat peers.ini; } > peers2.ini
sed 's/^directory = peers.ini/directory = peers2.ini/' tracerd.ini > x.ini
refused peers-twice "given twice"
sed 's/^header_timeout = 5/header_timeout = soon/' tracerd.ini > x.ini
refused config-value "x.ini:.*header_timeout must be a whole number"
sed 's/^\[tls\]/[tls]\nciphers = all/' tracerd.ini > x.ini
refused config-key "x.ini:.*unknown key 'ciphers'"
sed 's/^header_timeout = 5/header_timeout = 5\nrate.ZZ = 5/' tracerd.ini > x.ini
refused rate-override "x.ini:.*rate.ZZ.*not an ISO 3166-1"
sed 's/^header_timeout = 5/header_timeout = 5\n[deadlines]\nurgent.BE = 0/' tracerd.ini > x.ini
refused deadline-override "x.ini:.*urgent.BE must be a whole number of hours"
grep -v '^client_ca' tracerd.ini > x.ini
refused config-missing "client_ca is required"

# ---------------------------------------------------------------- serving
"$TRACERD" --config tracerd.ini 2> daemon.log &
pid=$!
wait_healthz "https://127.0.0.1:$port" inspector 50
call() {	# call CLIENT PATH [curl options]: prints "HTTP-STATUS body"
	c=$1 path=$2
	shift 2
	# The body with its new lines as spaces, then the HTTP status.
	curl -s --cacert ca.pem ${c:+--cert $c.pem --key $c.key} -w ' %{http_code}' "$@" \
	    "https://127.0.0.1:$port$path" > resp 2>&1
	st=$?
	tr '\n' ' ' < resp
	return $st
}
out=$(call inspector /healthz); [ "$out" = "ok  200" ] && ok healthz-investigator || bad healthz-investigator "$out"
out=$(call be /healthz); [ "$out" = "ok  200" ] && ok healthz-peer || bad healthz-peer "$out"
out=$(call "" /healthz 2>&1); st=$?
[ $st -ne 0 ] && ok "no-certificate refused (curl $st)" || bad no-certificate "$out"
out=$(call revoked /healthz 2>&1); st=$?
[ $st -ne 0 ] && ok "revoked refused (curl $st)" || bad revoked "$out"
out=$(call stranger /healthz 2>&1); st=$?
[ $st -ne 0 ] && ok "unknown-ca refused (curl $st)" || bad unknown-ca "$out"
out=$(call inspector /healthz --tls-max 1.2 2>&1); st=$?
[ $st -ne 0 ] && ok "tls-1.2 refused (curl $st)" || bad tls-1.2 "$out"
out=$(call norole /healthz)
printf '%s' "$out" | grep -q '"type":"urn:registry:problem:forbidden".* 403$' &&
    ok no-role-forbidden || bad no-role-forbidden "$out"
# A known caller's problems are signed with the daemon's key (checked with
# python3-jwcrypto).
openssl pkey -in sign.key -pubout -out sign.pub 2>/dev/null
signed() {	# signed CLIENT PATH [curl options]: "cty kid payload status" on one
	c=$1 path=$2	# line, the payload in payload.json
	shift 2
	st=$(curl -s --cacert ca.pem --cert "$c.pem" --key "$c.key" -o body -w '%{http_code}' \
	    "$@" "https://127.0.0.1:$port$path")
	/usr/bin/python3 "${REG_TEST_SRCDIR:-.}/tests/jws_tool.py" verify sign.pub body > v 2>&1
	tail -n +2 v > payload.json
	printf '%s %s\n' "$(tr '\n' ' ' < v)" "$st"
}
out=$(signed inspector /v1/nothing)
printf '%s' "$out" | grep -q '^problem/1 NL/2026-1' &&
printf '%s' "$out" | grep -q '"status":404.*"type":"urn:registry:problem:not-found".* 404$' &&
    ok not-found-problem || bad not-found-problem "$out"
out=$(signed inspector /healthz -X POST -d x)
printf '%s' "$out" | grep -q '"type":"urn:registry:problem:bad-request".* 400$' &&
    ok healthz-post || bad healthz-post "$out"
# Problem documents are valid problem/1 documents (the protocol's schema).
signed inspector /v1/nothing > /dev/null
cp payload.json problem.json
/usr/bin/python3 -c "import json, sys, jsonschema
s = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker()).validate(d)" \
    "${REG_TEST_SRCDIR:-.}/proto/schemas/problem-1.json" problem.json 2>&1 &&
    ok problem-schema || bad problem-schema "$(cat problem.json)"
grep -q 'method=GET path=/healthz status=200 caller=NL/investigator ms=' daemon.log &&
    ok log-line || bad log-line "$(cat daemon.log)"
kill -HUP "$pid"
sleep 0.5
grep -q 'event=reload result=ok peers=1' daemon.log && ok sighup-reload || bad sighup-reload "$(cat daemon.log)"
out=$(call inspector /healthz); [ "$out" = "ok  200" ] && ok healthz-after-reload || bad healthz-after-reload "$out"
# A reload that fails keeps the daemon and its old configuration.
cp peers2.ini peers.ini
kill -HUP "$pid"
sleep 0.5
grep -q 'event=reload result=refused' daemon.log && ok sighup-refused || bad sighup-refused "$(cat daemon.log)"
out=$(call be /healthz); [ "$out" = "ok  200" ] && ok healthz-after-refused-reload || bad healthz-after-refused-reload "$out"
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
	bad sigterm "still running"
else
	wait "$pid"; st=$?
	[ $st -eq 0 ] && grep -q 'event=stop' daemon.log && ok sigterm || bad sigterm "exit $st"
fi
pid=""
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
