#!/bin/sh
# Development certificates, keys and configuration for one tracerd of State
# BE on the local default cluster, under DIR (default var/dev), made once
# and reused:
#
#   DIR/ca.pem                 the development CA (clients and server)
#   DIR/server.pem, .key       tracerd's TLS certificate (127.0.0.1, localhost)
#   DIR/nl.pem, .key           a peer State's daemon (C=NL, OU=peer)
#   DIR/liaison.pem, .key      BE's liaison office; auditor.pem the same
#   DIR/be-sign.key, .pub      BE's JWS signing key (kid BE/dev)
#   DIR/nl-sign.key, .pub      NL's JWS signing key (kid NL/dev)
#   DIR/peers.ini              BE's peers directory (NL)
#   DIR/nl-peers.ini           NL's peers directory (BE), for tracectl
#   DIR/tracerd.ini            tracerd's configuration
#
#   etc/dev-daemon.sh CONNINFO LOG-KEY LOG-VERIFIER PORT [DIR]
#
# For development only: the keys are made here, unprotected.
set -eu
conninfo=$1 logkey=$2 vkey=$3 port=$4 dir=${5:-var/dev}
. "$(dirname "$0")/pki.sh"
mkdir -p "$dir"
cd "$dir"
if [ ! -f ca.pem ]; then
	pki_ca 365 "Registry development CA"
	gen server "/C=BE/O=Registry development/CN=localhost" server
	gen nl "/C=NL/OU=peer/CN=tracing.nl.example" client
	gen liaison "/C=BE/OU=liaison/CN=BE liaison office" client
	gen auditor "/C=BE/OU=auditor/CN=BE auditor" client
	sign_keys be nl
	chmod 600 be-sign.key nl-sign.key
fi
peer_ini --name "Development peer" NL https://127.0.0.1:$port "NL/dev nl-sign.pub" "$vkey" \
    > peers.ini
peer_ini --name "Development registry" BE https://127.0.0.1:$port "BE/dev be-sign.pub" "$vkey" \
    > nl-peers.ini
tracerd_ini --state BE --listen 127.0.0.1:$port --db "$conninfo" --cert server \
    --sign be-sign.key --kid BE/dev --peers peers.ini > tracerd.ini
cat >> tracerd.ini <<INI
[log]
key = $logkey
checkpoint_interval = 10
served = served.note
INI
# A trace request from NL for a weapon of the sample records, misread
# (O for 0, I for 1), with a new id each time.
cat > request.json <<REQ
{
  "schema": "trace-request/1",
  "id": "$(cat /proc/sys/kernel/random/uuid)",
  "requesting_state": "NL",
  "requested_state": "BE",
  "requesting_authority": {
    "name": "Development police",
    "contact": { "name": "Firearms desk", "email": "firearms@police.example.nl" }
  },
  "priority": "urgent",
  "created_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "case_reference": "DEV/1",
  "weapon": {
    "serial": "FNO39I72",
    "serial_condition": "legible",
    "manufacturer": "FN",
    "model": "P90",
    "type": "submachine_gun",
    "calibre": "5.7x28mm"
  },
  "illicit_basis": {
    "grounds": ["illicit_under_national_law"],
    "legal_reference": "Wet wapens en munitie, article 26"
  },
  "found": {
    "date": "$(date -u +%Y-%m-%d)", "place": "Rotterdam", "country": "NL",
    "circumstances": "Seized in a vehicle search."
  },
  "intended_use": "Criminal investigation."
}
REQ
