# A small PKI in the current folder, for the daemon's tests and for make
# run's development certificates; sourced.
#
# pki_ca DAYS NAME makes a CA (ca.pem, ca.key) valid DAYS days, with an
# `openssl ca` configuration (ca.cnf) whose extensions "client" and
# "server" make TLS client and server certificates (the server's for
# 127.0.0.1 and localhost) valid as long, and a CRL number for
# revocations.  gen NAME SUBJECT EXT [CA] then makes NAME.key (mode 600)
# and NAME.pem, signed by ca (or by the CA of that prefix).
pki_ca() {
	cat > ca.cnf <<CNF
[ca]
default_ca = local
[local]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
crlnumber = crlnumber
default_md = sha256
default_days = $1
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
[hub]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
CNF
	: > index.txt
	echo 1000 > serial
	echo 1000 > crlnumber
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$1" \
	    -keyout ca.key -out ca.pem -subj "/CN=$2" 2>/dev/null
}

gen() {	# gen NAME SUBJECT EXT [CA-PREFIX]
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null &&
	chmod 600 "$1.key" &&
	openssl ca -batch -config ca.cnf -cert "${4:-ca}.pem" -keyfile "${4:-ca}.key" \
	    -extensions "$3" -in "$1.csr" -out "$1.pem" -notext >/dev/null 2>&1
}
