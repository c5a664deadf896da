# A test PKI in the current folder, sourced by the daemon's shell tests:
# pki_ca makes the CA (ca.pem, ca.key) and its `openssl ca` configuration;
# gen NAME SUBJECT EXTENSION [CA] issues NAME.pem and NAME.key (P-256),
# EXTENSION "client" or "server" (for 127.0.0.1 and localhost).
pki_ca() {
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
	    -keyout ca.key -out ca.pem -subj "/CN=Registry test CA" 2>/dev/null
}

gen() {	# gen NAME SUBJECT EXT [CA-PREFIX]
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null &&
	openssl ca -batch -config ca.cnf -cert "${4:-ca}.pem" -keyfile "${4:-ca}.key" \
	    -extensions "$3" -in "$1.csr" -out "$1.pem" -notext >/dev/null 2>&1
}

# A free TCP port on the loopback interface.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
