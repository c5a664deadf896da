#!/bin/sh
# make demo: four States (BE, NL, DE, FR) and a liaison hub (XH), each a
# tracerd on its own database of one local PostgreSQL cluster, with
# generated records, certificates and keys; then the trace of a weapon made
# in BE, exported to NL, re-exported to DE, stolen there and recovered in FR,
# which FR's investigator sends to FR's own daemon and FR's daemon follows
# from State to State through the hub; tracectl chain shows the chain, each
# State's signed answer and log proofs verified.  BE, NL and DE peer
# directly and witness each other's logs (their checkpoints carry the
# others' cosignatures); FR reaches them only through the hub.  A daemon
# that refuses its configuration stops the demo with tracerd's line.
#
#   etc/demo/demo.sh start     build what is missing, (re)start, play the trace
#   etc/demo/demo.sh stop      stop the daemons and the cluster (idempotent)
#   etc/demo/demo.sh play      play the trace again on running daemons
#   DEMO_LIB=1 . etc/demo/demo.sh   define the functions only (the benchmark)
#
# Environment (make demo sets the first three):
#   BUILDDIR      the build tree (regctl, tracerd, tracectl)       default .
#   SRCDIR        the source tree (etc/demo, etc/pki.sh)           default .
#   PG_BINDIR     initdb and pg_ctl                                default: found
#   DEMO_DIR      where everything goes                            BUILDDIR/var/demo
#   DEMO_PORT     the hub's port; BE, NL, DE, FR the next four     8450
#   DEMO_SCALE    records, 1 = 20,000 weapons in BE, ~5,000 in each other State
#   DEMO_CHAINS   BE -> NL -> DE weapons generated (the benchmark traces them)
#   DEMO_PLAY     0: start without playing the trace
#   DEMO_POLL     FR's [domestic] poll, seconds a GET for an answer is held   20
#   DEMO_CHECKPOINT_INTERVAL  each log's [log] checkpoint_interval             2
#   DEMO_WITNESS_INTERVAL     seconds between two witness rounds             5
#
# Everything lives under DEMO_DIR: pg/ (the cluster, its socket in that
# folder only; as root it belongs to and runs as "postgres"), pki/ (one CA;
# server certificates for the daemons; client certificates for each
# daemon (C=XX, OU=peer; the hub's OU=hub), FR's investigator and each
# State's liaison office and auditor), XX/ per daemon (log key, witness key
# (BE, NL, DE), JWS signing key, personal-data key, peers.ini, tracerd.ini,
# tracerd.log, tracerd.pid),
# data/ (etc/demo/gen-data.py's files) and requests/.  A second run reuses
# them; rm -rf DEMO_DIR (after make demo-stop) starts afresh.
#
# For a demonstration only: keys are made here, unprotected, and the
# records are fictitious.
set -eu

BUILDDIR=$(cd "${BUILDDIR:-.}" && pwd)
SRCDIR=$(cd "${SRCDIR:-.}" && pwd)
DEMO_DIR=${DEMO_DIR:-$BUILDDIR/var/demo}
DEMO_PORT=${DEMO_PORT:-8450}
DEMO_SCALE=${DEMO_SCALE:-1}
DEMO_CHAINS=${DEMO_CHAINS:-60}
DEMO_PLAY=${DEMO_PLAY:-1}
STATES="BE NL DE FR"
HUB=XH
# The States whose daemons witness each other's logs (they peer directly).
WITNESSES="BE NL DE"

if [ -z "${PG_BINDIR:-}" ]; then
	for d in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin /usr/bin; do
		[ -x "$d/initdb" ] && PG_BINDIR=$d
	done
fi
PGDIR=$DEMO_DIR/pg
PKI=$DEMO_DIR/pki

say() { printf '%s %s\n' "[demo $(date +%H:%M:%S)]" "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# The programs.  Under libtool, ./regctl is a wrapper script that costs a
# shell, a sed and an ls before each run; the data load runs regctl a few
# thousand times and the benchmark times tracectl, so they run the program
# itself, with the wrapper's library path exported once (not an env(1) per
# run: another process to start).
if [ -x "$BUILDDIR/.libs/tracectl" ] && [ -f "$BUILDDIR/tracectl" ] &&
    head -c 2 "$BUILDDIR/tracectl" | grep -q '#!'; then
	LD_LIBRARY_PATH=$BUILDDIR/registry/.libs:$BUILDDIR/proto/.libs:$BUILDDIR/tracer/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
	REGCTL=$BUILDDIR/.libs/regctl
	TRACECTL=$BUILDDIR/.libs/tracectl
else
	REGCTL=$BUILDDIR/regctl
	TRACECTL=$BUILDDIR/tracectl
fi
TRACERD=$BUILDDIR/tracerd

lower() { echo "$1" | tr 'A-Z' 'a-z'; }
port_of() {
	case $1 in
	XH) echo "$DEMO_PORT" ;; BE) echo $((DEMO_PORT + 1)) ;; NL) echo $((DEMO_PORT + 2)) ;;
	DE) echo $((DEMO_PORT + 3)) ;; FR) echo $((DEMO_PORT + 4)) ;;
	esac
}
conninfo() { echo "host=$PGDIR port=5432 user=postgres dbname=$(lower "$1")"; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_q() { psql -X -q -A -t -h "$PGDIR" -U postgres -d "$1" -c "$2"; }

# ------------------------------------------------------------------ cluster
cluster_running() {
	[ -f "$PGDIR/data/PG_VERSION" ] && as_pg "$PG_BINDIR/pg_ctl" status -D "$PGDIR/data" >/dev/null 2>&1
}

cluster_start() {
	[ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ] ||
	    die "PostgreSQL's initdb and pg_ctl are not found (apt-get install postgresql, or set PG_BINDIR)"
	[ ${#PGDIR} -lt 90 ] || die "$PGDIR is too long for a Unix socket path; set DEMO_DIR to a shorter folder"
	if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
		say "creating the PostgreSQL cluster in $PGDIR"
		mkdir -p "$PGDIR"
		chmod 700 "$PGDIR"
		[ "$(id -u)" = 0 ] && chown postgres: "$PGDIR"
		as_pg "$PG_BINDIR/initdb" -D "$PGDIR/data" -A trust -U postgres -E UTF8 \
		    --locale=C >"$PGDIR/initdb.log" 2>&1 ||
		    die "initdb failed; see $PGDIR/initdb.log (as root, postgres must be able to enter every parent folder)"
	fi
	if ! cluster_running; then
		say "starting the PostgreSQL cluster (socket in $PGDIR only)"
		# synchronous_commit off: a crash may lose the last commits, never
		# consistency; the demo's data can be made again.
		as_pg "$PG_BINDIR/pg_ctl" start -w -t 60 -D "$PGDIR/data" -l "$PGDIR/server.log" \
		    -o "-c listen_addresses='' -c unix_socket_directories='$PGDIR' -c synchronous_commit=off -c max_connections=100" \
		    >/dev/null || die "the cluster did not start; see $PGDIR/server.log"
	fi
	for s in $STATES $HUB; do
		db=$(lower $s)
		if [ -z "$(psql_q postgres "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
			psql_q postgres "CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0" >/dev/null
		fi
		$REGCTL --db "$(conninfo $s)" migrate >/dev/null || die "migrating $s's database failed"
	done
}

cluster_stop() {
	if cluster_running; then
		say "stopping the PostgreSQL cluster"
		as_pg "$PG_BINDIR/pg_ctl" stop -w -m fast -D "$PGDIR/data" >/dev/null
	fi
}

# ------------------------------------------------------------------ keys and certificates
make_pki() {
	[ -f "$PKI/done" ] && return 0
	say "making the PKI (one CA; server and client certificates) in $PKI"
	rm -rf "$PKI"
	mkdir -p "$PKI"
	(
		cd "$PKI"
		. "$SRCDIR/etc/pki.sh"
		pki_ca 365 "Registry demo CA"
		for s in $STATES $HUB; do
			l=$(lower $s)
			gen server-$s "/C=$s/O=Registry demo/CN=tracing.$l.demo" server
			if [ $s = $HUB ]; then
				gen client-$s "/C=$s/OU=hub/CN=liaison hub" client
			else
				gen client-$s "/C=$s/OU=peer/CN=tracing.$l.demo" client
				gen liaison-$s "/C=$s/OU=liaison/CN=$s liaison office" client
				gen auditor-$s "/C=$s/OU=auditor/CN=$s auditor" client
			fi
		done
		gen investigator-FR "/C=FR/OU=investigator/CN=FR investigator 1" client
		rm -f ./*.csr
		touch done
	) || die "making the certificates failed"
}

ed25519() {	# FILE: a private key (mode 600) and FILE.pub beside it, once
	[ -f "$1" ] && return 0
	openssl genpkey -algorithm ed25519 -out "$1" 2>/dev/null
	chmod 600 "$1"
	openssl pkey -in "$1" -pubout -out "${1%.key}.pub" 2>/dev/null
}

make_keys() {
	for s in $STATES $HUB; do
		d=$DEMO_DIR/$s
		mkdir -p "$d"
		ed25519 "$d/sign.key"
		if [ ! -f "$d/log.key" ]; then
			$REGCTL --db "$(conninfo $s)" key generate --name "$(lower $s).demo/log" \
			    --key "$d/log.key" >/dev/null
		fi
		$REGCTL key show --key "$d/log.key" | grep + | tail -1 > "$d/log.vkey"
		[ $s = $HUB ] || [ -f "$d/pii.key" ] ||
		    $REGCTL pii-key generate --pii-key "$d/pii.key" >/dev/null
	done
	# The witnesses' keys, apart from the logs' keys.
	for s in $WITNESSES; do
		d=$DEMO_DIR/$s
		[ -f "$d/witness.key" ] ||
		    $REGCTL key generate --name "$(lower $s).demo/witness" --key "$d/witness.key" >/dev/null
		$REGCTL key show --key "$d/witness.key" --witness | grep + | tail -1 > "$d/witness.vkey"
	done
	ed25519 "$DEMO_DIR/FR/investigator-1.key"
}

# ------------------------------------------------------------------ configuration
peer() {	# STATE [via]: one section of a peers directory
	echo "[peer.$1]"
	if [ $# -gt 1 ]; then
		echo "via = $2"
	else
		echo "url = https://127.0.0.1:$(port_of $1)"
		echo "ca_file = ../pki/ca.pem"
	fi
	echo "signing_key = $1/demo ../$1/sign.pub"
	echo "log_verifier = $(cat "$DEMO_DIR/$1/log.vkey")"
	echo
}

is_witness() { case " $WITNESSES " in *" $1 "*) return 0 ;; esac; return 1; }

# The hub peers directly with every State; BE, NL and DE peer directly with
# each other (and witness each other's logs) and reach FR through the hub;
# FR peers only with the hub and reaches every State through it.
write_config() {
	for s in $STATES $HUB; do
		d=$DEMO_DIR/$s
		{
			echo "; Generated by etc/demo/demo.sh: State $s's peers."
			if [ $s = $HUB ]; then
				for p in $STATES; do peer $p; done
			else
				peer $HUB
				for p in $STATES; do
					[ $p = $s ] && continue
					if [ $s = FR ] || [ $p = FR ]; then peer $p $HUB; else peer $p; fi
				done
			fi
		} > "$d/peers.ini"
		{
			echo "; Generated by etc/demo/demo.sh: State $s's tracing daemon."
			echo "[daemon]"
			echo "state = $s"
			[ $s = $HUB ] && echo "mode = hub"
			echo "listen = 127.0.0.1:$(port_of $s)"
			echo "database = $(conninfo $s)"
			echo "[tls]"
			echo "certificate = ../pki/server-$s.pem"
			echo "key = ../pki/server-$s.key"
			echo "client_ca = ../pki/ca.pem"
			# The certificate with which the daemon calls others
			# (relaying, following referrals, witnessing).
			echo "client_certificate = ../pki/client-$s.pem"
			echo "client_key = ../pki/client-$s.key"
			echo "[signing]"
			echo "key = sign.key"
			echo "kid = $s/demo"
			echo "[peers]"
			echo "directory = peers.ini"
			echo "[log]"
			echo "key = log.key"
			echo "checkpoint_interval = ${DEMO_CHECKPOINT_INTERVAL:-2}"
			# The newest checkpoint served, kept outside the database
			# (regctl log verify --served).
			echo "served = served.note"
			if is_witness $s; then
				for w in $WITNESSES; do
					[ $w = $s ] || echo "witness = $(cat "$DEMO_DIR/$w/witness.vkey")"
				done
				echo "[witness]"
				echo "key = witness.key"
				echo "peers = $(echo " $WITNESSES " | sed "s/ $s / /; s/^ //; s/ \$//")"
				echo "interval = ${DEMO_WITNESS_INTERVAL:-5}"
			fi
			echo "[limits]"
			echo "rate = 10000"
			echo "burst = 100000"
			echo "[workers]"
			echo "pool = 2"
			echo "traces = 2"
			echo "retry = 2"
			if [ $s = FR ]; then
				echo "[domestic]"
				# The key signs only over the investigator's own
				# connection: bound to the certificate's SHA-256.
				echo "signing_key = FR/investigator-1 investigator-1.pub sha256:$(openssl x509 \
				    -in "$PKI/investigator-FR.pem" -noout -fingerprint -sha256 | sed 's/.*=//')"
				echo "follow_referrals = yes"
				echo "max_hops = 8"
				echo "poll = ${DEMO_POLL:-20}"
				echo "retry_max = 5"
				echo "send_due = 60"
			fi
		} > "$d/tracerd.ini"
	done
}

# ------------------------------------------------------------------ data
load_state() {	# STATE
	s=$1 d=$DEMO_DIR/$1 data=$DEMO_DIR/data/$1
	[ -f "$d/loaded" ] && return 0
	REGISTRY_DB=$(conninfo $1)
	export REGISTRY_DB
	rc=$REGCTL
	REGCTL="$rc" REGISTRY_PII_KEY=$d/pii.key sh "$data/setup.sh" ||
	    { echo "$s: recording manufacturers and parties failed"; return 1; }
	for f in weapons events; do
		out=$($rc import "$data/$f.csv" --reject-file "$d/$f.rejected" 2>&1) ||
		    { echo "$s: importing $f failed: $out"; return 1; }
		if [ -s "$d/$f.rejected" ]; then
			echo "$s: $f rows were rejected; see $d/$f.rejected"
			return 1
		fi
		echo "$s $f: $(echo "$out" | tail -1)"
	done
	# Import markings, one regctl mark each, for the weapons that carry
	# none yet (so that an interrupted load goes on where it stopped).
	psql_q "$(lower $s)" "SELECT w.office_ref || '	' || w.id FROM weapon w
	    WHERE NOT EXISTS (SELECT 1 FROM marking m WHERE m.weapon_id = w.id AND m.kind = 'import')" \
	    > "$d/unmarked.tsv"
	awk -F'\t' 'NR == FNR { id[$1] = $2; next } ($1 in id) {
	    print id[$1] "\t" $2 "\t" $3 "\t" $4 "\t" $5 }' "$d/unmarked.tsv" "$data/marks.tsv" \
	    > "$d/tomark.tsv"
	n=0
	while IFS='	' read -r id text loc cc year; do
		$rc mark "$id" --kind import --mark "$text" --location "$loc" \
		    --country "$cc" --year "$year" >/dev/null ||
		    { echo "$s: marking weapon $id failed"; return 1; }
		n=$((n + 1))
	done < "$d/tomark.tsv"
	echo "$s import markings: $n"
	$rc log checkpoint --key "$d/log.key" >/dev/null
	touch "$d/loaded"
}

load_data() {
	if [ ! -f "$DEMO_DIR/data/done" ]; then
		say "generating the records (etc/demo/gen-data.py, scale $DEMO_SCALE)"
		rm -rf "$DEMO_DIR/data"
		python3 "$SRCDIR/etc/demo/gen-data.py" "$DEMO_DIR/data" --scale "$DEMO_SCALE" \
		    --chains "$DEMO_CHAINS" || die "gen-data.py failed"
		touch "$DEMO_DIR/data/done"
		sed 's/^/    /' "$DEMO_DIR/data/summary.txt"
	fi
	todo=""
	for s in $STATES; do [ -f "$DEMO_DIR/$s/loaded" ] || todo="$todo $s"; done
	[ -z "$todo" ] && { say "records already loaded"; return 0; }
	say "loading the records of$todo (manufacturers, parties, weapons, histories, import markings; a minute or two)"
	pids=""
	for s in $todo; do
		load_state $s > "$DEMO_DIR/$s/load.log" 2>&1 &
		pids="$pids $!"
	done
	failed=0
	for p in $pids; do wait $p || failed=1; done
	for s in $todo; do sed "s/^/    /" "$DEMO_DIR/$s/load.log"; done
	[ $failed = 0 ] || die "loading the records failed (logs: $DEMO_DIR/XX/load.log)"
	$REGCTL --db "$(conninfo $HUB)" log checkpoint --key "$DEMO_DIR/$HUB/log.key" >/dev/null
}

# ------------------------------------------------------------------ daemons
alive() {	# PIDFILE: the pid when it is a running tracerd
	[ -f "$1" ] || return 1
	p=$(cat "$1")
	[ -n "$p" ] && [ -r "/proc/$p/cmdline" ] &&
	    tr '\0' ' ' < "/proc/$p/cmdline" | grep -q "tracerd --config $(dirname "$1")/tracerd.ini" &&
	    echo "$p"
}

daemons_stop() {	# SIGTERM to all, then wait for each (SIGKILL after 12 s)
	stopping=""
	for s in $HUB $STATES; do
		f=$DEMO_DIR/$s/tracerd.pid
		if p=$(alive "$f"); then
			kill "$p" 2>/dev/null || true
			stopping="$stopping $s:$p"
		fi
		rm -f "$f"
	done
	for sp in $stopping; do
		p=${sp#*:}
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 120 ]; do sleep 0.1; i=$((i + 1)); done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
		say "stopped tracerd ${sp%%:*} (pid $p)"
	done
}

healthy() {	# STATE
	curl -s -o /dev/null -f --cacert "$PKI/ca.pem" --cert "$PKI/client-$1.pem" \
	    --key "$PKI/client-$1.key" "https://127.0.0.1:$(port_of $1)/healthz"
}

daemons_start() {
	daemons_stop
	list="$HUB $STATES"
	# Every configuration is checked before any daemon starts: one that
	# tracerd refuses stops the demo with tracerd's own line.
	for s in $list; do
		out=$($TRACERD --config "$DEMO_DIR/$s/tracerd.ini" --check 2>&1) ||
		    die "tracerd $s refuses its configuration: $out"
	done
	for s in $list; do
		d=$DEMO_DIR/$s
		# Its own session, so that an interrupt of make does not stop it.
		setsid "$TRACERD" --config "$d/tracerd.ini" >> "$d/tracerd.log" 2>&1 < /dev/null &
		echo $! > "$d/tracerd.pid"
	done
	for s in $list; do
		i=0
		until healthy $s; do
			i=$((i + 1))
			if [ $i -gt 100 ] || ! alive "$DEMO_DIR/$s/tracerd.pid" >/dev/null; then
				tail -5 "$DEMO_DIR/$s/tracerd.log" >&2
				daemons_stop >/dev/null
				die "tracerd $s did not start; its log: $DEMO_DIR/$s/tracerd.log (make demo-stop stops the cluster)"
			fi
			sleep 0.1
		done
		say "tracerd $s listens on https://127.0.0.1:$(port_of $s) (pid $(cat "$DEMO_DIR/$s/tracerd.pid"))"
	done
}

# ------------------------------------------------------------------ the play
# request FILE SERIAL MANUFACTURER MODEL TYPE CALIBRE YEAR FOLLOW: FR's
# investigator's trace request to BE, with a new id; prints the id.
request() {
	id=$(cat /proc/sys/kernel/random/uuid)
	follow=""
	[ "$8" = 1 ] && follow=',
  "follow_referrals": true'
	cat > "$1" <<REQ
{
  "schema": "trace-request/1",
  "id": "$id",
  "requesting_state": "FR",
  "requested_state": "BE",
  "requesting_authority": {
    "name": "Police nationale, Office central de lutte contre le crime organisé",
    "contact": { "name": "Firearms tracing desk", "email": "tracage@police.demo.fr",
                 "phone": "+33 1 00 00 00 00" }
  },
  "priority": "urgent",
  "created_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "case_reference": "FR-OCLCO-$(date -u +%Y)-$(echo "$id" | cut -c1-6)",
  "weapon": {
    "serial": "$2",
    "serial_condition": "legible",
    "manufacturer": "$3",
    "model": "$4",
    "type": "$5",
    "calibre": "$6",
    "country_of_manufacture": "BE",
    "year_of_manufacture": $7
  },
  "illicit_basis": {
    "grounds": ["illicit_under_national_law"],
    "legal_reference": "Code de la sécurité intérieure, article L317-8",
    "details": "Possession without authorisation; the weapon is recorded stolen abroad."
  },
  "found": {
    "date": "$(date -u +%Y-%m-%d)",
    "place": "Lille",
    "country": "FR",
    "circumstances": "Recovered in a vehicle search after a robbery; the serial number was read at the scene."
  },
  "intended_use": "Criminal investigation of the robbery and of the weapon's diversion."$follow
}
REQ
	echo "$id"
}

FR_OWN="--url https://127.0.0.1:$(port_of FR) --ca $PKI/ca.pem --state FR --verify-key FR/demo=$DEMO_DIR/FR/sign.pub"

submit_own() {	# FILE: FR's investigator submits to FR's own daemon
	$TRACECTL submit $FR_OWN --cert "$PKI/investigator-FR.pem" --key "$PKI/investigator-FR.key" \
	    --sign-key "$DEMO_DIR/FR/investigator-1.key" --kid FR/investigator-1 "$1"
}

submit_follow() {	# FILE: the same, then the chain, in one command
	$TRACECTL submit $FR_OWN --cert "$PKI/investigator-FR.pem" --key "$PKI/investigator-FR.key" \
	    --sign-key "$DEMO_DIR/FR/investigator-1.key" --kid FR/investigator-1 \
	    --peers "$DEMO_DIR/FR/peers.ini" --follow 60 "$1"
}

chain() {	# ID [OPTIONS]: FR's liaison office asks for the chain
	cid=$1
	shift
	$TRACECTL chain --wait 60 $FR_OWN --peers "$DEMO_DIR/FR/peers.ini" \
	    --cert "$PKI/liaison-FR.pem" --key "$PKI/liaison-FR.key" "$@" "$cid"
}

# The one hop FR -> BE, straight to BE's daemon as FR's daemon would send it.
BE_DIRECT="--url https://127.0.0.1:$(port_of BE) --ca $PKI/ca.pem --state BE --verify-key BE/demo=$DEMO_DIR/BE/sign.pub"
submit_direct() {	# FILE
	$TRACECTL submit $BE_DIRECT --cert "$PKI/client-FR.pem" --key "$PKI/client-FR.key" \
	    --sign-key "$DEMO_DIR/FR/sign.key" --kid FR/demo "$1"
}
wait_direct() {	# ID [--save FILE]
	id=$1
	shift
	$TRACECTL wait $BE_DIRECT --cert "$PKI/client-FR.pem" --key "$PKI/client-FR.key" \
	    --interval 0.2 --timeout 60 "$@" "$id"
}

# witness_line: one line on the witnesses, once BE's served checkpoint
# carries the cosignatures of NL's and DE's witnesses (up to 15 s: a
# witness round comes every DEMO_WITNESS_INTERVAL seconds).
witness_line() {
	f=$DEMO_DIR/requests/be-checkpoint.txt
	i=0
	while :; do
		n=0
		if curl -s -f -o "$f" --cacert "$PKI/ca.pem" --cert "$PKI/auditor-BE.pem" \
		    --key "$PKI/auditor-BE.key" "https://127.0.0.1:$(port_of BE)/v1/log/checkpoint"; then
			n=$(grep -c '/witness ' "$f" || true)
		fi
		[ "$n" -ge 2 ] && break
		i=$((i + 1))
		if [ $i -gt 150 ]; then
			say "witnesses: BE's checkpoint carries $n of the 2 cosignatures so far (NL's, DE's); see $DEMO_DIR/XX/tracerd.log, event=witness"
			return 0
		fi
		sleep 0.1
	done
	say "witnesses: BE's log checkpoint (size $(sed -n 2p "$f")) carries the cosignatures of $(grep '/witness ' "$f" | awk '{ print $2 }' | sort | tr '\n' ' ' | sed 's/ $//; s/ / and /g'); BE, NL and DE witness each other's logs (tracectl witness shows it)"
}

play() {
	mkdir -p "$DEMO_DIR/requests"
	IFS='	' read -r serial misread mfr model wtype cal year < "$DEMO_DIR/data/chains.tsv"
	say "the scripted weapon: $mfr $model ($wtype, $cal), serial $serial, made in BE in $year;"
	say "  exported to NL, re-exported to DE, stolen there, recovered in FR, where the serial is read as $misread"
	req=$DEMO_DIR/requests/scripted.json
	id=$(request "$req" "$misread" "$mfr" "$model" "$wtype" "$cal" "$year" 1)
	say "FR's investigator submits the trace request $id to FR's own daemon ($req):"
	submit_own "$req" || die "tracectl submit failed"
	say "FR's daemon follows the referrals BE -> NL -> DE through the hub; the chain as FR's liaison office sees it:"
	chain "$id" || die "tracectl chain failed (exit $?; 4: a verification failed, 5: not complete in time); the daemons' logs: $DEMO_DIR/XX/tracerd.log"
	PLAYED_ID=$id
	# The last hop's signed answer, for tracectl verify.
	chain "$id" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
h = d["hops"][-1]
open(sys.argv[1], "w").write(h["response"] + "\n")
' "$DEMO_DIR/requests/answer-last-hop.jws" 2>/dev/null ||
	    rm -f "$DEMO_DIR/requests/answer-last-hop.jws"
	witness_line
}

usage() {
	T=$BUILDDIR/tracectl
	echo
	say "the daemons keep running.  Try:"
	echo "* as FR's investigator, another request: copy $DEMO_DIR/requests/scripted.json,"
	echo "  give it a new \"id\" (uuidgen) and another serial (a BE -> NL -> DE weapon: $DEMO_DIR/data/chains.tsv), then"
	echo "    $T submit $FR_OWN \\"
	echo "      --cert $PKI/investigator-FR.pem --key $PKI/investigator-FR.key \\"
	echo "      --sign-key $DEMO_DIR/FR/investigator-1.key --kid FR/investigator-1 REQUEST.json"
	echo "* as FR's liaison office, its chain, every hop's signature and log proofs verified:"
	echo "    $T chain --wait 60 $FR_OWN \\"
	echo "      --peers $DEMO_DIR/FR/peers.ini --cert $PKI/liaison-FR.pem --key $PKI/liaison-FR.key ${PLAYED_ID:-ID}"
	echo "* as NL's auditor, what NL's witness found of BE's and DE's logs:"
	echo "    $T witness --url https://127.0.0.1:$(port_of NL) --ca $PKI/ca.pem --cert $PKI/auditor-NL.pem --key $PKI/auditor-NL.key"
	echo "  and BE's checkpoint with its cosignatures:"
	echo "    curl --cacert $PKI/ca.pem --cert $PKI/auditor-BE.pem --key $PKI/auditor-BE.key https://127.0.0.1:$(port_of BE)/v1/log/checkpoint"
	echo "* the last hop's signed answer (saved from the chain), checked against DE's key and log on its own:"
	echo "    $T verify --peers $DEMO_DIR/FR/peers.ini $DEMO_DIR/requests/answer-last-hop.jws"
	echo "* a State's records (here BE's), without a daemon:"
	echo "    $BUILDDIR/regctl --db '$(conninfo BE)' status"
	echo "    $T --db '$(conninfo BE)' local --pretty --request $DEMO_DIR/requests/scripted.json"
	echo "Ports: hub XH $(port_of XH), BE $(port_of BE), NL $(port_of NL), DE $(port_of DE), FR $(port_of FR); logs: $DEMO_DIR/XX/tracerd.log"
	echo "Stop the daemons and the cluster with: make demo-stop"
}

start() {
	command -v python3 >/dev/null || die "python3 is needed (apt-get install python3)"
	command -v curl >/dev/null || die "curl is needed (apt-get install curl)"
	mkdir -p "$DEMO_DIR"
	cluster_start
	make_pki
	make_keys
	write_config
	load_data
	say "starting the daemons"
	daemons_start
	if [ "$DEMO_PLAY" = 1 ]; then
		play
		usage
	fi
}

# DEMO_LIB=1: only define the functions (tests/bench/bench_chain.sh).
[ "${DEMO_LIB:-0}" = 1 ] && return 0

case ${1:-} in
start) start ;;
play) play ;;
stop)
	daemons_stop
	cluster_stop
	;;
*) echo "usage: etc/demo/demo.sh start|play|stop" >&2; exit 2 ;;
esac
