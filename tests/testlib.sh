# Helpers the shell tests share; sourced.
#
# check NAME EXPECTED_STATUS PATTERN COMMAND... runs the command and counts
# it in passes or fails: its exit status must be the one expected and its
# output (stdout and stderr) must match the grep pattern (when not empty).
#
# A test PKI for the tests that run TLS daemons (tracerd_cli.sh,
# tracectl_net.sh), made in the current folder (the test's own):
# pki_init makes a CA (ca.pem, ca.key) and another one that nothing trusts
# (other.pem, other.key), with an openssl ca configuration (ca.cnf) whose
# extensions "client" and "server" make TLS client and server certificates
# (the server's for 127.0.0.1 and localhost).  gen NAME SUBJECT EXT [CA]
# then makes NAME.key and NAME.pem, signed by ca (or by CA).
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

pki_init() {
	cat > ca.cnf <<'CNF'
[ca]
default_ca = test
[test]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
crlnumber = crlnumber
default_md = sha256
default_days = 30
default_crl_days = 30
policy = any
[any]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[client]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = clientAuth
[server]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
CNF
	: > index.txt
	echo 1000 > serial
	echo 1000 > crlnumber
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	    -keyout ca.key -out ca.pem -subj "/CN=Registry test CA" 2>/dev/null &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	    -keyout other.key -out other.pem -subj "/CN=Another CA" 2>/dev/null
}

gen() {	# gen NAME SUBJECT EXT [CA-PREFIX]
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null &&
	openssl ca -batch -config ca.cnf -cert "${4:-ca}.pem" -keyfile "${4:-ca}.key" \
	    -extensions "$3" -in "$1.csr" -out "$1.pem" -notext >/dev/null 2>&1
}

# A TCP port on 127.0.0.1 that nothing listens on (now).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
