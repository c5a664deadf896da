# Helpers the shell tests share; sourced.
#
# check NAME EXPECTED_STATUS PATTERN COMMAND... runs the command and counts
# it in passes or fails: its exit status must be the one expected and its
# output (stdout and stderr) must match the grep pattern (when not empty).
#
# The tests that run TLS daemons make their PKI in their own folder with
# pki_init and gen (etc/pki.sh).
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
