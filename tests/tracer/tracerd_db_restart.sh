#!/bin/sh
# tracerd while its PostgreSQL restarts and stops underneath it: every
# request gets its answer or 503 with Retry-After, never 500; after the
# restart requests succeed again on the pooled connections (the first
# request on each included); with PostgreSQL stopped /readyz answers 503
# (a problem document) while /healthz, liveness only, answers 200; and
# /readyz is 200 again once PostgreSQL is back.
#
# The test stops and starts the cluster tests/with-pg made for it
# (REG_TEST_PGDATA), as its owner.
set -u
SRC="${REG_TEST_SRCDIR:-.}"
TRACERD="${REG_TEST_BUILDDIR:-.}/tracerd"
REGCTL="${REG_TEST_BUILDDIR:-.}/regctl"
JWS="/usr/bin/python3 $SRC/tests/jws_tool.py"
PG_CTL="${REG_TEST_PG_BINDIR:-$(pg_config --bindir 2>/dev/null)}/pg_ctl"
if [ -z "${REG_TEST_PGDATA:-}" ] || [ ! -x "$PG_CTL" ]; then
	echo "SKIP: needs tests/with-pg's cluster (REG_TEST_PGDATA) and pg_ctl"
	exit 77
fi
T=$(mktemp -d)
mkdir "$T/pg"	# pg_ctl's log, written by the cluster's owner
as=""
if [ "$(id -u)" = 0 ]; then
	as="runuser -u postgres --"
	chmod 755 "$T"
	chown postgres: "$T/pg"
fi
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
passes=0
ok() { echo "ok $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@" | head -20; fails=$((fails + 1)); }

pg() {	# pg start|stop|restart: the test's cluster, waiting until done
	case $1 in
	start)	$as "$PG_CTL" start -w -t 60 -D "$REG_TEST_PGDATA" -l "$T/pg/pg.log" \
		    -o "-c listen_addresses='' -c unix_socket_directories='$PGHOST' -c fsync=off" ;;
	stop)	$as "$PG_CTL" stop -w -t 60 -m fast -D "$REG_TEST_PGDATA" ;;
	restart) $as "$PG_CTL" restart -w -t 60 -m "$2" -D "$REG_TEST_PGDATA" -l "$T/pg/pg.log" ;;
	esac >/dev/null 2>&1
}

# ---------------------------------------------------------------- registry
psql -q -c "CREATE DATABASE restarted" postgres >/dev/null
export REGISTRY_DB=dbname=restarted
"$REGCTL" migrate >/dev/null || { echo "FAIL migrate"; exit 1; }
cd "$T" || exit 1

# ---------------------------------------------------------------- PKI, keys
. "$SRC/tests/testlib.sh"
pki_init || { echo "FAIL pki"; exit 1; }
gen server "/C=BE/O=Registry/CN=localhost" server &&
gen nl "/C=NL/OU=peer/CN=tracing.nl.example" client || { echo "FAIL pki"; exit 1; }
sign_keys be nl
chmod 600 server.key be-sign.key
vkey=$(log_key be.example/log log.key)
peer_ini NL https://tracing.nl.example "NL/1 nl-sign.pub" "$vkey" > peers.ini
port=$(free_port)
tracerd_ini --state BE --listen 127.0.0.1:$port --db dbname=restarted --cert server \
    --sign be-sign.key --kid BE/1 --peers peers.ini > tracerd.ini
cat >> tracerd.ini <<INI
[limits]
header_timeout = 5
[workers]
pool = 3
traces = 1
retry = 1
INI

# Signed trace requests from NL, one per POST (a new id each).
trace_request /dev/null "r['requesting_state'] = 'NL'" "r['requested_state'] = 'BE'" \
    "for i in range(40):
    r['id'] = str(uuid.uuid4())
    open('req%d.json' % i, 'w').write(json.dumps(r))"
i=0
while [ $i -lt 40 ]; do
	$JWS sign nl-sign.key NL/1 trace-request/1 req$i.json > req$i.jws || { echo "FAIL sign"; exit 1; }
	i=$((i + 1))
done

"$TRACERD" --config tracerd.ini 2>> daemon.log &
pid=$!
wait_healthz "https://127.0.0.1:$port" nl

# call METHOD PATH [curl options]: prints the HTTP status; headers in
# out.hdr, body in out.body.
call() {
	m=$1 path=$2
	shift 2
	curl -s --max-time 20 --cacert ca.pem --cert nl.pem --key nl.key -X "$m" \
	    -D out.hdr -o out.body -w '%{http_code}' "$@" "https://127.0.0.1:$port$path"
}
nreq=0
post() {	# post: the next signed request
	st=$(call POST /v1/traces -H "Content-Type: application/jose" \
	    --data-binary "@req$nreq.jws")
	nreq=$((nreq + 1))
	echo "$st"
}
get() {	# get: a trace request nobody sent (404 when the database answers)
	call GET /v1/traces/00000000-0000-4000-8000-000000000000
}
# answered NAME STATUS WANTED...: ok when STATUS is one of WANTED, or 503
# with a Retry-After header (when "503" is among them).
answered() {
	name=$1 st=$2
	shift 2
	for w in "$@"; do
		if [ "$st" = "$w" ]; then
			if [ "$st" = 503 ] && ! grep -qi '^Retry-After: [0-9]' out.hdr; then
				bad "$name" "503 without Retry-After" "$(cat out.hdr)"
				return 1
			fi
			return 0
		fi
	done
	bad "$name" "HTTP $st, wanted one of $*" "$(cat out.body)"
	return 1
}

# ---------------------------------------------------------------- before
answered "post before the restart" "$(post)" 202 && ok "post (202)"
answered "get before the restart" "$(get)" 404 && ok "get (404)"
st=$(call GET /readyz)
[ "$st" = 200 ] && ok "readyz (200) with the database up" || bad readyz-up "HTTP $st" "$(cat out.body)"

# ---------------------------------------------------------------- restart
# six_ok WHAT: 6 gets and 6 posts in a row all succeed.
six_ok() {
	all=1
	for k in 1 2 3 4 5 6; do
		st=$(get); [ "$st" = 404 ] ||
		    { all=0; bad "$1: get $k" "HTTP $st" "$(cat out.body)"; }
		st=$(post); [ "$st" = 202 ] ||
		    { all=0; bad "$1: post $k" "HTTP $st" "$(cat out.body)"; }
		[ $nreq -ge 30 ] && nreq=10
	done
	[ $all = 1 ] && ok "$1: 6 gets and 6 posts answered"
}
# PostgreSQL restarts while the daemon is idle: the pool's connections are
# stale, and the first request on each of them must still succeed.
pg restart fast || { echo "FAIL pg_ctl restart"; cat "$T/pg/pg.log"; exit 1; }
six_ok "right after a restart while idle"

# Requests while PostgreSQL restarts, shut down cleanly (fast: backends told
# 57P01) and crashed (immediate: connections just drop): answered, or 503
# with Retry-After.  Once it is back (/readyz says so, and the workers had
# a moment to reconnect in the background) every request succeeds.
for mode in fast immediate; do
	pg restart $mode &
	pgpid=$!
	k=0 failed=0
	while kill -0 $pgpid 2>/dev/null && [ $k -lt 200 ]; do
		answered "restart $mode: get $k" "$(get)" 404 503 || { failed=1; break; }
		answered "restart $mode: post $k" "$(post)" 202 503 || { failed=1; break; }
		[ $nreq -ge 30 ] && nreq=10
		k=$((k + 1))
	done
	wait $pgpid || { echo "FAIL pg_ctl restart"; cat "$T/pg/pg.log"; exit 1; }
	[ $failed = 0 ] && ok "restart $mode: $k rounds of requests during it, none 500"
	i=0
	while [ "$(call GET /readyz)" != 200 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
	sleep 1
	six_ok "after restart $mode"
done

# ---------------------------------------------------------------- stopped
pg stop || { echo "FAIL pg_ctl stop"; exit 1; }
st=$(call GET /healthz)
[ "$st" = 200 ] && ok "healthz (200) with the database stopped" || bad healthz-down "HTTP $st"
st=$(call GET /readyz)
if answered "readyz with the database stopped" "$st" 503; then
	if $JWS verify be-sign.pub out.body 2>&1 | grep -q 'urn:registry:problem:unavailable'; then
		ok "readyz (503, Retry-After, signed problem) with the database stopped"
	else
		bad "readyz problem document" "$(cat out.body)"
	fi
fi
answered "get with the database stopped" "$(get)" 503 && ok "get (503, Retry-After)"
answered "post with the database stopped" "$(post)" 503 && ok "post (503, Retry-After)"
st=$(call POST /readyz)
[ "$st" = 400 ] && ok "readyz answers GET and HEAD only" || bad readyz-post "HTTP $st"

pg start || { echo "FAIL pg_ctl start"; cat "$T/pg/pg.log"; exit 1; }
# The workers reconnect every 250 ms; a loaded machine (make distcheck runs
# two tests at once) may take a few seconds more to have them back.
i=0
while [ "$(call GET /readyz)" != 200 ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
st=$(call GET /readyz)
[ "$st" = 200 ] && ok "readyz (200) once the database is back" ||
    bad readyz-back "HTTP $st after $i tries; the daemon's log ends: $(tail -n 8 daemon.log)"
answered "get once the database is back" "$(get)" 404 && ok "get (404) once back"
answered "post once the database is back" "$(post)" 202 && ok "post (202) once back"
if grep -q 'status=500' daemon.log; then
	bad "no 500 in the daemon's log" "$(grep 'status=500' daemon.log | head -5)"
else
	ok "no 500 in the daemon's log"
fi

kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=""
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
