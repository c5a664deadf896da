#!/bin/sh
# Who may call what (proto/README.md 13.3, tracer/tracerd/tracerd_access.c): every
# endpoint against every kind of caller, on loopback with real certificates
# made here.  State BE's daemon; its peers directory lists NL (direct), FR
# (reached through the hub XH) and the hub XH.  The callers: a peer in the
# directory (NL), one through the hub (FR), a peer not in it (DE), the hub,
# a hub not in the directory (XK), BE's own liaison, auditor, investigator
# and clerk, and NL's liaison, auditor and investigator.  Each cell is the
# status and problem type wanted; "200 -" is an answer that is no problem.
set -u
SRC="${REG_TEST_SRCDIR:-.}"
TRACERD="${REG_TEST_BUILDDIR:-.}/tracerd"
REGCTL="${REG_TEST_BUILDDIR:-.}/regctl"
T=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT
. "$SRC/tests/testlib.sh"
ok() { echo "ok $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@" | head -20; fails=$((fails + 1)); }

# ---------------------------------------------------------------- registry
psql -q -c "CREATE DATABASE access" postgres >/dev/null
export REGISTRY_DB=dbname=access
"$REGCTL" migrate >/dev/null || { echo "FAIL migrate"; exit 1; }
(cd "$SRC" && REGCTL="$REGCTL" sh etc/sample-setup.sh >/dev/null) || { echo "FAIL setup"; exit 1; }
cd "$T" || exit 1
vkey=$(log_key be.example/log log.key)
"$REGCTL" log checkpoint --key log.key >/dev/null || { echo "FAIL checkpoint"; exit 1; }

# ---------------------------------------------------------------- PKI, keys
pki_init || { echo "FAIL pki"; exit 1; }
gen server "/C=BE/O=Registry/CN=localhost" server &&
gen peer_dir "/C=NL/OU=peer/CN=tracing.nl.example" client &&
gen peer_via "/C=FR/OU=peer/CN=tracing.fr.example" client &&
gen peer_nodir "/C=DE/OU=peer/CN=tracing.de.example" client &&
gen hub "/C=XH/OU=hub/CN=hub.example" hub &&
gen hub_nodir "/C=XK/OU=hub/CN=other-hub.example" hub &&
gen own_liaison "/C=BE/OU=liaison/CN=BE liaison office" client &&
gen own_auditor "/C=BE/OU=auditor/CN=BE auditor" client &&
gen own_investigator "/C=BE/OU=investigator/CN=BE inspector" client &&
gen own_clerk "/C=BE/OU=clerk/CN=BE clerk" client &&
gen foreign_liaison "/C=NL/OU=liaison/CN=NL liaison office" client &&
gen foreign_auditor "/C=NL/OU=auditor/CN=NL auditor" client &&
gen foreign_investigator "/C=NL/OU=investigator/CN=NL inspector" client ||
    { echo "FAIL pki"; exit 1; }
sign_keys be nl fr xh
chmod 600 server.key be-sign.key log.key
dead=$(free_port)
{
	peer_ini NL https://127.0.0.1:$dead "NL/1 nl-sign.pub" "$vkey"
	peer_ini --hub XH https://127.0.0.1:$dead "XH/1 xh-sign.pub" "$vkey"
	via_peer_ini FR XH "FR/1 fr-sign.pub" "$vkey"
} > peers.ini
port=$(free_port)
tracerd_ini --state BE --listen 127.0.0.1:$port --db dbname=access --cert server \
    --sign be-sign.key --kid BE/1 --peers peers.ini > tracerd.ini
cat >> tracerd.ini <<INI
[limits]
rate = 1000
burst = 1000
[workers]
pool = 2
traces = 1
[log]
key = log.key
checkpoint_interval = 1
INI
"$TRACERD" --config tracerd.ini 2>> daemon.log &
pid=$!
wait_healthz "https://127.0.0.1:$port" own_auditor

# cell WHO METHOD PATH [curl options]: "STATUS TYPE" of the answer, TYPE the
# problem's name (from the signed or plain problem document) or "-".
cell() {
	who=$1 m=$2 path=$3
	shift 3
	st=$(curl -s --cacert ca.pem --cert "$who.pem" --key "$who.key" -X "$m" \
	    -o out.body -w '%{http_code}' "$@" "https://127.0.0.1:$port$path")
	ty=$(python3 - out.body <<'PY'
import base64, json, sys
b = open(sys.argv[1], 'rb').read().strip()
try:
    if b.count(b'.') == 2 and not b.startswith(b'{'):
        p = b.split(b'.')[1]
        b = base64.urlsafe_b64decode(p + b'=' * (-len(p) % 4))
    t = json.loads(b).get('type', '')
    print(t.rsplit(':', 1)[1] if t.startswith('urn:registry:problem:') else '-')
except Exception:
    print('-')
PY
)
	echo "$st $ty"
}

ID=6f1c3e4a-0b7d-4c2e-9a51-3d2b8e7f9a10
ROLES="peer_dir peer_via peer_nodir hub hub_nodir own_liaison own_auditor own_investigator own_clerk foreign_liaison foreign_auditor foreign_investigator"
F="403 forbidden"
# expect ENDPOINT CELL...: one cell a role, in the order of ROLES.
expect() {
	ep=$1
	shift
	for role in $ROLES; do
		want=$1
		shift
		case $ep in
		checkpoint) got=$(cell $role GET /v1/log/checkpoint) ;;
		inclusion) got=$(cell $role GET '/v1/log/proof/inclusion?index=0') ;;
		consistency) got=$(cell $role GET '/v1/log/proof/consistency?old=1') ;;
		cosignature) got=$(cell $role POST /v1/log/cosignature \
		    -H 'Content-Type: text/plain' --data-binary 'x') ;;
		witness) got=$(cell $role GET /v1/witness) ;;
		metrics) got=$(cell $role GET /metrics) ;;
		healthz) got=$(cell $role GET /healthz) ;;
		readyz) got=$(cell $role GET /readyz) ;;
		post) got=$(cell $role POST /v1/traces -H 'Content-Type: text/plain' \
		    --data-binary 'x') ;;
		get) got=$(cell $role GET /v1/traces/$ID) ;;
		status) got=$(cell $role GET /v1/traces/$ID/status) ;;
		chain) got=$(cell $role GET /v1/traces/$ID/chain) ;;
		esac
		if [ "$got" = "$want" ]; then
			ok "$ep x $role: $got"
		else
			bad "$ep x $role: got $got, wanted $want" "$(head -c 300 out.body)"
		fi
	done
}
A="200 -"
U="415 unsupported-media-type"
N="404 not-found"
W="403 unknown-witness"
#                 peer_dir peer_via peer_nodir hub hub_nodir own_liaison own_auditor own_inv own_clerk for_liaison for_auditor for_inv
# The log: peers of the directory and this State's liaison and auditors.
expect checkpoint  "$A"     "$A"     "$F"       "$F" "$F"     "$A"        "$A"        "$F"    "$F"      "$F"        "$F"        "$F"
expect inclusion   "$A"     "$A"     "$F"       "$F" "$F"     "$A"        "$A"        "$F"    "$F"      "$F"        "$F"        "$F"
expect consistency "$A"     "$A"     "$F"       "$F" "$F"     "$A"        "$A"        "$F"    "$F"      "$F"        "$F"        "$F"
# Cosignatures from witnesses, which are peers of the directory (this log
# takes none: unknown-witness once the caller may deliver).
expect cosignature "$W"     "$W"     "$F"       "$F" "$F"     "$F"        "$F"        "$F"    "$F"      "$F"        "$F"        "$F"
expect witness     "$F"     "$F"     "$F"       "$F" "$F"     "$A"        "$A"        "$F"    "$F"      "$F"        "$F"        "$F"
expect metrics     "$F"     "$F"     "$F"       "$F" "$F"     "$A"        "$A"        "$F"    "$F"      "$F"        "$F"        "$F"
expect healthz     "$A"     "$A"     "$A"       "$A" "$A"     "$A"        "$A"        "$A"    "$A"      "$A"        "$A"        "$A"
expect readyz      "$A"     "$A"     "$A"       "$A" "$A"     "$A"        "$A"        "$A"    "$A"      "$A"        "$A"        "$A"
# Trace requests: from peers and hubs of the directory, and this State's
# investigators and liaison office (to another State); the media type is
# checked once the caller may send.
expect post        "$U"     "$U"     "$F"       "$U" "$F"     "$U"        "$F"        "$U"    "$F"      "$F"        "$F"        "$F"
# A request's answer: peers and hubs of the directory (the one that sent
# it: not-found for the others), this State's liaison and auditors.
expect get         "$N"     "$N"     "$F"       "$N" "$F"     "$N"        "$N"        "$F"    "$F"      "$F"        "$F"        "$F"
expect status      "$N"     "$N"     "$F"       "$N" "$F"     "$N"        "$N"        "$F"    "$F"      "$F"        "$F"        "$F"
# A chain: this State's liaison, auditors and the investigator who asked.
expect chain       "$F"     "$F"     "$F"       "$F" "$F"     "$N"        "$N"        "$N"    "$F"      "$F"        "$F"        "$F"

kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=""
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
