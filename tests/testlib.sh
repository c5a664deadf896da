# Helpers the shell tests share; sourced.
#
# check NAME EXPECTED_STATUS PATTERN COMMAND... runs the command and counts
# it in passes or fails: its exit status must be the one expected and its
# output (stdout and stderr) must match the grep pattern (when not empty).
#
# The tests that run TLS daemons make their PKI in their own folder with
# pki_init and gen (etc/pki.sh), their keys and tracerd.ini and peers.ini
# with sign_keys, tracerd_ini and peer_ini (etc/pki.sh too).
fails=0
passes=0
check() {
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

. "${REG_TEST_SRCDIR:-.}/etc/pki.sh"

# The tests' PKI: a CA for 30 days, and another CA that nothing trusts
# (other.pem, other.key).
pki_init() {
	pki_ca 30 "Registry test CA" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	    -keyout other.key -out other.pem -subj "/CN=Another CA" 2>/dev/null
}

# A TCP port on 127.0.0.1 that nothing listens on (now).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until the daemon at URL answers GET /healthz to the caller WHO
# (WHO.pem and WHO.key, the daemon trusted through ca.pem), polling every
# tenth of a second TRIES times at most (default 100); 1 if it never does.
wait_healthz() {
	_wh_n=0
	while ! curl -s -m 2 -o /dev/null --cacert ca.pem --cert "$2.pem" \
	    --key "$2.key" "$1/healthz"; do
		_wh_n=$((_wh_n + 1))
		[ "$_wh_n" -lt "${3:-100}" ] || return 1
		sleep 0.1
	done
}

# log_key NAME KEY [DATABASE]: a new log key NAME (regctl key generate, into
# the file KEY, registering it in DATABASE or REGISTRY_DB); prints the
# verifier key that the peers' log_verifier lines carry.
log_key() {
	"${REGCTL:?}" ${3:+--db "$3"} key generate --name "$1" --key "$2" 2>/dev/null |
	    grep '+' | tail -1
}

# trace_request OUT [PYTHON-STATEMENTS...]: the request of
# proto/examples/trace-request-partly-restored.json (r; json, sys and uuid
# imported), edited by the statements in their order, written to OUT.
trace_request() {
	_tr_out=$1
	shift
	python3 - "${REG_TEST_SRCDIR:-.}/proto/examples/trace-request-partly-restored.json" \
	    "$_tr_out" "$@" <<'PY'
import json, sys, uuid
r = json.load(open(sys.argv[1]))
for stmt in sys.argv[3:]:
    exec(stmt)
open(sys.argv[2], 'w').write(json.dumps(r))
PY
}

# p90_request OUT [PYTHON-STATEMENTS...]: trace_request for the sample
# registry's P90 (etc/sample-setup.sh) asked of BE; then the statements.
p90_request() {
	_pr_out=$1
	shift
	trace_request "$_pr_out" "r['requested_state'] = 'BE'" "w = r['weapon']
w.update(serial='FN039172', serial_condition='legible', manufacturer='FN',
         model='P90', type='submachine_gun', calibre='5.7x28mm', year_of_manufacture=2009)
for k in ('markings', 'importer'):
    w.pop(k, None)" "$@"
}

# reg_in DATABASE NAME REGCTL-ARGS...: regctl on DATABASE, its output
# dropped; a failure is said for the log ("FAIL regctl NAME ARGS"), the
# test's own checks then failing on what is missing.
reg_in() {
	_ri_db=$1 _ri_name=$2
	shift 2
	"${REGCTL:?}" --db "$_ri_db" "$@" >/dev/null || echo "FAIL regctl $_ri_name $*"
}

# weapon_id DATABASE SERIAL: the id of the weapon of that serial.
weapon_id() {
	"${REGCTL:?}" --db "$1" weapon find --serial "$2" --json |
	python3 -c 'import json,sys; d=json.load(sys.stdin); print((d if isinstance(d,list) else d["weapons"])[0]["id"])'
}

# fnp9 DATABASE NAME SERIAL: registers an FN FNP-9 pistol (made in BE in
# 2015, the serial marked on the frame) in DATABASE (NAME in the log) and
# prints its id; the weapon of the tests that trace across States.
fnp9() {
	reg_in "$1" "$2" weapon register --manufacturer "Fabrique Nationale Herstal" --model FNP-9 \
	    --type pistol --calibre 9x19mm --serial "$3" --country BE --year 2015 \
	    --mark "FN HERSTAL BELGIUM $3" --location frame
	weapon_id "$1" "$3"
}

# state_ini STATE LISTEN DATABASE TRACES: the tracerd.ini of STATE (l, its
# code in lower case) in the tests across States, on stdout: it serves with
# l-server.pem and calls with l.pem, signs with l-sign.key (STATE/1), finds
# its peers in l-peers.ini and its policy in l-policy.ini, runs 2 workers,
# TRACES trace workers and 2 outbound, and checkpoints l-log.key each second.
state_ini() {
	_si_l=$(echo "$1" | tr A-Z a-z)
	tracerd_ini --state "$1" --listen "$2" --db "$3" --cert "$_si_l-server" \
	    --client "$_si_l" --sign "$_si_l-sign.key" --kid "$1/1" --peers "$_si_l-peers.ini"
	printf '[policy]\nfile = %s-policy.ini\n[workers]\npool = 2\ntraces = %s\noutbound = 2\n' \
	    "$_si_l" "$4"
	printf '[log]\nkey = %s-log.key\ncheckpoint_interval = 1\n' "$_si_l"
}
