# A small PKI in the current folder, for the daemon's tests and for make
# run's development certificates, with the signing keys and the common part
# of tracerd.ini and peers.ini (at the end); sourced.
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

# The daemon's signing keys and the common part of its configuration
# files, for the tests and etc/dev-daemon.sh alike.

# sign_keys NAME...: an Ed25519 signing key NAME-sign.key and its public
# half NAME-sign.pub for each NAME (a path prefix); 1 if openssl fails.
# The modes stay the caller's (tracerd wants its own key mode 600).
sign_keys() {
	for _sk in "$@"; do
		openssl genpkey -algorithm ed25519 -out "$_sk-sign.key" 2>/dev/null &&
		openssl pkey -in "$_sk-sign.key" -pubout -out "$_sk-sign.pub" 2>/dev/null ||
		    return 1
	done
}

# tracerd_ini OPTION VALUE...: a tracerd.ini's [daemon], [tls], [signing]
# and [peers] sections on stdout, the caller appending the sections of its
# own.  --state, --listen, --cert (NAME: NAME.pem, NAME.key), --sign and
# --kid are needed; --mode, --db, --client (NAME: client_certificate and
# client_key), --tls-extra (lines for [tls]) and --peers (the directory)
# are written only when given.  client_ca is always ca.pem.
tracerd_ini() {
	_ti_mode="" _ti_db="" _ti_client="" _ti_extra="" _ti_peers=""
	while [ $# -ge 2 ]; do
		case $1 in
		--state) _ti_state=$2 ;;	--listen) _ti_listen=$2 ;;
		--cert) _ti_cert=$2 ;;		--sign) _ti_sign=$2 ;;
		--kid) _ti_kid=$2 ;;		--mode) _ti_mode=$2 ;;
		--db) _ti_db=$2 ;;		--client) _ti_client=$2 ;;
		--tls-extra) _ti_extra=$2 ;;	--peers) _ti_peers=$2 ;;
		*) echo "tracerd_ini: unknown option $1" >&2; return 2 ;;
		esac
		shift 2
	done
	echo "[daemon]"
	[ -z "$_ti_mode" ] || echo "mode = $_ti_mode"
	printf 'state = %s\nlisten = %s\n' "$_ti_state" "$_ti_listen"
	[ -z "$_ti_db" ] || echo "database = $_ti_db"
	printf '[tls]\ncertificate = %s.pem\nkey = %s.key\nclient_ca = ca.pem\n' \
	    "$_ti_cert" "$_ti_cert"
	[ -z "$_ti_client" ] ||
	    printf 'client_certificate = %s.pem\nclient_key = %s.key\n' "$_ti_client" "$_ti_client"
	[ -z "$_ti_extra" ] || echo "$_ti_extra"
	printf '[signing]\nkey = %s\nkid = %s\n' "$_ti_sign" "$_ti_kid"
	[ -z "$_ti_peers" ] || printf '[peers]\ndirectory = %s\n' "$_ti_peers"
}

# peer_ini [--name TEXT] [--hub] STATE URL SIGNING-KEY LOG-VERIFIER
# [TRUST-LINE]: one [peer.STATE] entry of a peers directory on stdout,
# reached directly at URL (--hub: a liaison hub), trusted through ca.pem
# unless TRUST-LINE says otherwise; SIGNING-KEY is "KID PUBLIC-KEY-FILE".
peer_ini() {
	_pi_opt=""
	while :; do
		case $1 in
		--name) _pi_opt="${_pi_opt}name = $2
"; shift 2 ;;
		--hub) _pi_opt="${_pi_opt}hub = yes
"; shift ;;
		*) break ;;
		esac
	done
	printf '[peer.%s]\n%surl = %s\n%s\nsigning_key = %s\nlog_verifier = %s\n' \
	    "$1" "$_pi_opt" "$2" "${5:-ca_file = ca.pem}" "$3" "$4"
}

# via_peer_ini STATE HUB SIGNING-KEY LOG-VERIFIER: a [peer.STATE] reached
# through the liaison hub HUB.
via_peer_ini() {
	printf '[peer.%s]\nvia = %s\nsigning_key = %s\nlog_verifier = %s\n' "$1" "$2" "$3" "$4"
}
