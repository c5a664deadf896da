#!/bin/sh
# tracectl submit, status and wait over the network, on loopback: usage and
# file faults; malformed requests (exit 3); a daemon that is not there, one
# whose certificate is not trusted, one that speaks no TLS 1.3 (exit 1); a
# pinned certificate; a stand-in daemon (tests/mock_tracerd.py) that serves
# the protocol's contract, signs its answers and misbehaves on request:
# bad signatures and an acknowledgement of another message (exit 4),
# bodies over the limit, refusals with problem documents, Retry-After, and
# wait's time limit (exit 5); and the real tracerd, through the whole
# submit -> acknowledgement -> wait -> verify path.
set -u
TRACECTL="${REG_TEST_BUILDDIR:-.}/tracectl"
TRACERD="${REG_TEST_BUILDDIR:-.}/tracerd"
REGCTL="${REG_TEST_BUILDDIR:-.}/regctl"
SRC="${REG_TEST_SRCDIR:-.}"
T=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
. "$SRC/tests/testlib.sh"
tc() { "$TRACECTL" "$@"; }

wait_port() {	# wait_port PORT: until something listens there (5 s at most)
	i=0
	while ! python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
	    "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# ---------------------------------------------------------------- set-up
cd "$T" || exit 1
pki_init || { echo "FAIL pki"; exit 1; }
gen server "/C=NL/O=Registry/CN=localhost" server &&
gen be "/C=BE/OU=peer/CN=tracing.be.example" client || { echo "FAIL pki"; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout self.key -out self.pem -subj "/CN=localhost" \
    -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
sign_keys nl be xx
chmod 600 server.key be.key nl-sign.key be-sign.key
vkey=$(log_key nl.example/log nl-log.key)
peers() {	# peers FILE PORT [TRUST-LINE] [NL-KEY-FILE]: the client's directory
	{
		peer_ini NL https://127.0.0.1:$2 "NL/2026-1 ${4:-nl-sign.pub}" "$vkey" "${3:-}"
		peer_ini BE https://127.0.0.1:$2 "BE/2026-1 be-sign.pub" "$vkey"
	} > "$1"
}
# A request from BE to NL; edit OUT [PYTHON-STATEMENTS] (r is the request).
edit() {
	_e=$1
	shift
	trace_request "$_e" "r.update(requesting_state='BE', requested_state='NL')" "$@"
}
ID=0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f30
edit req.json
export TRACER_CERT=be.pem TRACER_KEY=be.key TRACER_SIGN_KEY=be-sign.key TRACER_KID=BE/2026-1
unset TRACER_PEERS

# ---------------------------------------------------------------- usage
closed=$(free_port)
peers closed.ini "$closed"
check main-help 0 "submit .*signed trace request" tc --help
check submit-help 0 "Usage: tracectl submit" tc submit --help
check status-help 0 "Usage: tracectl status" tc status --help
check wait-help 0 "--timeout SECONDS" tc wait --help
check no-daemon 2 "name the daemon: --to XX" tc submit --peers closed.ini req.json
check to-and-url 2 "name the daemon" tc submit --to NL --url https://127.0.0.1:1 --peers closed.ini req.json
check to-no-peers 2 "--to needs the peers directory" tc submit --to NL req.json
check peers-env 1 "cannot connect" env TRACER_PEERS=closed.ini "$TRACECTL" submit --to NL req.json
check no-file-arg 2 "give one request FILE" tc submit --to NL --peers closed.ini
check two-ids 2 "give one request ID" tc status --to NL --peers closed.ini "$ID" "$ID"
check bad-state 2 "XX is not a State's code" tc submit --to XX --peers closed.ini req.json
check unknown-state 2 "has no \[peer.FR\]" tc status --to FR --peers closed.ini "$ID"
check no-cert 2 "TLS certificate and key are required" env TRACER_CERT= "$TRACECTL" submit --to NL --peers closed.ini req.json
check no-sign-key 2 "sent signed: --sign-key FILE --kid KID" env TRACER_KID= "$TRACECTL" submit --to NL --peers closed.ini req.json
check wait-only 2 "--timeout is an option of wait only" tc submit --timeout 3 --to NL --peers closed.ini req.json
check bad-interval 2 "--interval must be" tc wait --interval 0 --to NL --peers closed.ini "$ID"
check bad-timeout 2 "--timeout must be" tc wait --timeout soon --to NL --peers closed.ini "$ID"
check bad-id 2 "is not a request id" tc status --to NL --peers closed.ini ../../etc
check bad-option 2 "Try 'tracectl wait --help'" tc wait --bogus
check url-no-ca 2 "--url needs --ca FILE" tc status --url https://127.0.0.1:1 --state NL "$ID"
check url-no-key 2 "--verify-key KID=FILE, or --peers FILE with \[peer.NL\]" \
    tc status --url https://127.0.0.1:1 --ca ca.pem --state NL "$ID"
check url-http 2 "must be https://HOST\[:PORT\]" tc status --url http://127.0.0.1:1 \
    --ca ca.pem --state NL --verify-key NL/2026-1=nl-sign.pub "$ID"
check verify-key-kid 2 "with a kid of NL" tc status --url https://127.0.0.1:1 \
    --ca ca.pem --state NL --verify-key BE/2026-1=be-sign.pub "$ID"
check ca-with-to 2 "go with --url" tc submit --to NL --ca ca.pem --peers closed.ini req.json

# ---------------------------------------------------------------- input
check no-request-file 1 "cannot open nothere.json" tc submit --to NL --peers closed.ini nothere.json
check no-peers-file 1 "nothere.ini" tc submit --to NL --peers nothere.ini req.json
check no-cert-file 1 "cannot read client certificate nothere.pem" tc submit --to NL --peers closed.ini --cert nothere.pem req.json
check no-sign-file 1 "signing key nothere.key" tc submit --to NL --peers closed.ini --sign-key nothere.key req.json
printf 'not json' > bad1.json
check not-json 3 "bad1.json: malformed trace request" tc submit --to NL --peers closed.ini bad1.json
edit bad2.json "del r['weapon']['serial']"
check missing-serial 3 "malformed trace request: weapon.serial" tc submit --to NL --peers closed.ini bad2.json
check empty-stdin 3 "standard input: malformed trace request" sh -c "\"$TRACECTL\" submit --to NL --peers closed.ini - < /dev/null"
# To a third State's daemon: neither the State asked nor the requesting
# State's own (which would send it on).
edit third.json "r['requesting_state']='FR'"
check wrong-state 2 "the request is for NL (requested_state), not for BE" tc submit --to BE --peers closed.ini --kid FR/1 third.json
check kid-of-other-state 2 "--kid NL/1 is not a key of BE" tc submit --to NL --peers closed.ini --kid NL/1 req.json

# ---------------------------------------------------------------- TLS
check unreachable 1 "cannot connect to https://127.0.0.1:$closed: .*check that the daemon runs" \
    tc submit --to NL --peers closed.ini req.json
port=$(free_port)
openssl s_server -quiet -tls1_3 -www -accept "127.0.0.1:$port" -cert self.pem -key self.key \
    >/dev/null 2>&1 </dev/null &
pids="$pids $!"
wait_port "$port"
peers self.ini "$port"
check untrusted 1 "daemon's certificate is not trusted: .*check the CA file" \
    tc submit --to NL --peers self.ini req.json
# Pinned, the same certificate is accepted: the handshake passes, and the
# status page that openssl serves is not a signed message.
peers pinned.ini "$port" "pinned_cert = self.pem"
check pinned 1 "answered text/html, not a signed message" tc status --to NL --peers pinned.ini "$ID"
peers pinned-other.ini "$port" "pinned_cert = server.pem"
check pinned-other 1 "not trusted\|not the pinned" tc status --to NL --peers pinned-other.ini "$ID"
port12=$(free_port)
openssl s_server -quiet -tls1_2 -www -accept "127.0.0.1:$port12" -cert server.pem -key server.key \
    >/dev/null 2>&1 </dev/null &
pids="$pids $!"
wait_port "$port12"
peers tls12.ini "$port12"
check tls-1.2 1 "TLS handshake with https://127.0.0.1:$port12 failed" tc status --to NL --peers tls12.ini "$ID"

# ---------------------------------------------------------------- the contract
/usr/bin/python3 "$SRC/tests/mock_tracerd.py" server.pem server.key ca.pem nl-sign.key NL/2026-1 \
    "$SRC/proto/examples/trace-response-not-found.json" mock.port 2> mock.log &
pids="$pids $!"
i=0
while [ ! -s mock.port ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
mport=$(cat mock.port 2>/dev/null)
peers mock.ini "$mport"
check submit 0 "request $ID: acknowledged at NL" tc submit --to NL --peers mock.ini req.json
check submit-log-index 0 "log index     7" tc submit --to NL --peers mock.ini req.json
check submit-json 0 '^{"due_by":".*"schema":"trace-ack/1"' tc submit --json --to NL --peers mock.ini req.json
check submit-stdin 0 "acknowledged at NL" sh -c "\"$TRACECTL\" submit --to NL --peers mock.ini - < req.json"
check submit-url 0 "acknowledged at NL" tc submit --url "https://127.0.0.1:$mport" --ca ca.pem \
    --state NL --verify-key NL/2026-1=nl-sign.pub req.json
check submit-url-peers 0 "acknowledged at NL" tc submit --url "https://127.0.0.1:$mport/" --ca ca.pem \
    --state NL --peers mock.ini req.json
check status 0 "request $ID: in_progress at NL" tc status --to NL --peers mock.ini "$ID"
check wait 0 '"status":"not_found"' tc wait --to NL --peers mock.ini --interval 0.2 --save resp.jws "$ID"
check wait-saved-verifies 0 "signature by NL/2026-1 good; response $ID (not_found) of NL" \
    tc verify --peers mock.ini resp.jws
check status-answered 0 "answered by NL at .*: not_found, 0 candidates" tc status --to NL --peers mock.ini "$ID"
check status-answered-json 0 '"schema":"trace-response/1"' tc status --json --to NL --peers mock.ini "$ID"
check wait-pretty 0 '^  "status": "not_found"' tc wait --pretty --to NL --peers mock.ini "$ID"
check unknown-id 1 "the daemon knows no request with this id" \
    tc status --to NL --peers mock.ini 0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f39
peers mock-badkey.ini "$mport" "" xx-sign.pub
check wrong-daemon-key 4 "does not verify: signed by NL/2026-1" tc submit --to NL --peers mock-badkey.ini req.json
check wrong-daemon-key-problem 4 "signed problem that does not verify" \
    tc status --to NL --peers mock-badkey.ini 0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f39
for c in bad-signature wrong-hash other-kid conflict big; do
	edit "req-$c.json" "r['case_reference'] = 'mock:$c'" "r['id'] = r['id'][:-1] + 'a'"
done
check bad-signature 4 "does not verify: signed by NL/2026-1: signature" tc submit --to NL --peers mock.ini req-bad-signature.json
check ack-of-other-message 4 "acknowledgement's request_sha256 is not that of the request sent" \
    tc submit --to NL --peers mock.ini req-wrong-hash.json
check ack-by-other-state 4 "signed by BE/2026-1, not by a key of NL" tc submit --to NL --peers mock.ini req-other-kid.json
check conflict 1 "NL's daemon refused (409 Conflict): mock conflict \[urn:registry:problem:conflict\]" \
    tc submit --to NL --peers mock.ini req-conflict.json
check conflict-advice 1 "give a new request a new id" tc submit --to NL --peers mock.ini req-conflict.json
check body-over-limit 1 "the answer is over 8388608 bytes" tc submit --to NL --peers mock.ini req-big.json
check stream-over-limit 1 "the answer is over 8388608 bytes" tc status --to NL --peers mock.ini 0190a3c2-7b1e-7c3d-9a4f-000000000001
check unavailable 1 "try again later (in 1 seconds, says the daemon)" \
    tc status --to NL --peers mock.ini 0190a3c2-7b1e-7c3d-9a4f-000000000002
check wait-timeout 5 "no answer to 0190a3c2-7b1e-7c3d-9a4f-000000000002 from NL within 2 seconds" \
    tc wait --timeout 2 --to NL --peers mock.ini 0190a3c2-7b1e-7c3d-9a4f-000000000002
check not-jose 1 "answered text/html, not a signed message" tc status --to NL --peers mock.ini 0190a3c2-7b1e-7c3d-9a4f-000000000003
# An answer whose checkpoint NL's log key did not sign: wait refuses it
# (exit 4), as tracectl verify does (tracer/net/verify.c).
edit req-bad-checkpoint.json "r['case_reference'] = 'mock:bad-checkpoint'" "r['id'] = r['id'][:-1] + 'b'"
bid=$(python3 -c 'import json; print(json.load(open("req-bad-checkpoint.json"))["id"])')
check bad-checkpoint-ack 0 "acknowledged at NL" tc submit --to NL --peers mock.ini req-bad-checkpoint.json
check bad-checkpoint 4 "does not verify: checkpoint" tc wait --to NL --peers mock.ini --interval 0.2 "$bid"
# Given a signing key alone (--url --verify-key, no peers entry of NL, so no
# log verifier key), wait checks the signature and nothing more, as it did
# before the one verifier (tracectl(1)): the same answer is shown.
check signature-only-wait 0 "\"id\":\"$bid\"" tc wait --url "https://127.0.0.1:$mport" --ca ca.pem \
    --state NL --verify-key NL/2026-1=nl-sign.pub --interval 0.2 "$bid"
check mock-alive 0 "" test -z "$(grep -v '^$' mock.log)"

# ---------------------------------------------------------------- tracerd
"$REGCTL" migrate >/dev/null 2>&1
dport=$(free_port)
peer_ini BE https://127.0.0.1:1 "BE/2026-1 be-sign.pub" "$vkey" > daemon-peers.ini
tracerd_ini --state NL --listen 127.0.0.1:$dport --cert server --sign nl-sign.key \
    --kid NL/2026-1 --peers daemon-peers.ini > tracerd.ini
"$TRACERD" --config tracerd.ini 2> daemon.log &
dpid=$!
pids="$pids $dpid"
wait_port "$dport"
peers daemon.ini "$dport"

# The whole path against tracerd: submit, the same again, status, wait,
# the saved answer verified, a conflicting request refused.
test_full_flow() {
	edit full.json "r['id'] = '0190a3c2-7b1e-7c3d-9a4f-0000000000f1'"
	check full-submit 0 "acknowledged at NL" tc submit --to NL --peers daemon.ini full.json
	check full-resubmit 0 "request 0190a3c2-7b1e-7c3d-9a4f-0000000000f1: " tc submit --to NL --peers daemon.ini full.json
	check full-status 0 "request 0190a3c2-7b1e-7c3d-9a4f-0000000000f1: " tc status --to NL --peers daemon.ini 0190a3c2-7b1e-7c3d-9a4f-0000000000f1
	check full-wait 0 '"schema":"trace-response/1"' tc wait --timeout 60 --interval 0.5 --to NL \
	    --peers daemon.ini --save full.jws 0190a3c2-7b1e-7c3d-9a4f-0000000000f1
	check full-verify 0 "signature by NL/2026-1 good" tc verify --peers daemon.ini full.jws
	edit full-changed.json "r['id'] = '0190a3c2-7b1e-7c3d-9a4f-0000000000f1'" "r['case_reference'] = 'changed'"
	check full-conflict 1 "refused (409 Conflict)" tc submit --to NL --peers daemon.ini full-changed.json
}

test_full_flow
grep -q "method=POST path=/v1/traces .*caller=BE/peer" daemon.log && ok=1 || ok=0
check tracerd-saw-client-cert 0 "" test "$ok" = 1

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
