#!/bin/sh
# regctl's command line against the test cluster: exit codes, one clear
# line per failure, and the migrations it applies.
set -u
REGCTL="${REG_TEST_BUILDDIR:-.}/regctl"
SRC="${REG_TEST_SRCDIR:-.}"
fails=0
passes=0

check() {	# check NAME EXPECTED_STATUS PATTERN COMMAND...
	name=$1 want=$2 pat=$3
	shift 3
	out=$("$@" 2>&1)
	st=$?
	if [ "$st" -ne "$want" ]; then
		echo "FAIL $name: exit $st, wanted $want; output:"; echo "$out"
		fails=$((fails + 1))
		return
	fi
	if [ -n "$pat" ] && ! printf '%s\n' "$out" | grep -q -- "$pat"; then
		echo "FAIL $name: output lacks '$pat':"; echo "$out"
		fails=$((fails + 1))
		return
	fi
	echo "ok $name"
	passes=$((passes + 1))
}

one_line() {	# one_line NAME COMMAND...: fails with exactly one line on stderr
	name=$1
	shift
	err=$("$@" 2>&1 >/dev/null)
	st=$?
	n=$(printf '%s\n' "$err" | wc -l)
	if [ "$st" -eq 0 ] || [ "$n" -ne 1 ]; then
		echo "FAIL $name: exit $st, $n lines:"; echo "$err"
		fails=$((fails + 1))
		return
	fi
	echo "ok $name: $err"
	passes=$((passes + 1))
}

psql -q -c "CREATE DATABASE cli_a" postgres >/dev/null
psql -q -c "CREATE DATABASE cli_b" postgres >/dev/null

check help 0 "Commands:" "$REGCTL" --help
check migrate-help 0 "Usage: regctl migrate" "$REGCTL" migrate --help
check unknown-command 2 "unknown command" "$REGCTL" frobnicate
check no-command 2 "Usage" "$REGCTL"
check bad-option 2 "Try 'regctl migrate --help'" "$REGCTL" migrate --bogus

# --db, then REGISTRY_DB, then PG* variables.
check migrate-db 0 "applied 0001_schema_migrations.sql" "$REGCTL" --db dbname=cli_a migrate
check migrate-again 0 "nothing to apply" "$REGCTL" --db dbname=cli_a migrate
check status-list 0 "applied  0001_schema_migrations.sql" "$REGCTL" --db dbname=cli_a migrate --status
check registry-db 0 "migration" env REGISTRY_DB=dbname=cli_b "$REGCTL" migrate
check pg-vars 0 "nothing to apply" env PGDATABASE=cli_b "$REGCTL" migrate
check option-after 0 "nothing to apply" "$REGCTL" migrate --db dbname=cli_b
check status 0 "schema:" "$REGCTL" --db dbname=cli_a status

# Bad input: one clear line and a non-zero exit each.
one_line unreachable "$REGCTL" --db "host=/nonexistent connect_timeout=2" migrate
one_line no-database "$REGCTL" --db dbname=no_such_database migrate
psql -q -c "DO \$\$BEGIN CREATE ROLE regtest_pw LOGIN PASSWORD 'pw'; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$" postgres
one_line wrong-password "$REGCTL" --db "dbname=postgres user=regtest_pw password=nope" migrate
psql -q -c "CREATE DATABASE cli_c" postgres >/dev/null
one_line gap "$REGCTL" --db dbname=cli_c migrate --dir "$SRC/tests/migrations/gap"
one_line duplicate "$REGCTL" --db dbname=cli_c migrate --dir "$SRC/tests/migrations/dup"
check sql-error 1 "0003_broken.sql failed at line 5" "$REGCTL" --db dbname=cli_c migrate --dir "$SRC/tests/migrations/sqlerror"
check sql-error-partial 0 "pending  0003_broken.sql" "$REGCTL" --db dbname=cli_c migrate --status --dir "$SRC/tests/migrations/sqlerror"

# With no database configured at all, the local default cluster is made.
check local-default 0 "nothing to apply\|migrations applied" env -u PGHOST -u PGDATABASE -u PGUSER -u PGPORT "$REGCTL" migrate
check local-status 0 "running" env -u PGHOST -u PGDATABASE -u PGUSER -u PGPORT "$REGCTL" local status
check local-stop 0 "" env -u PGHOST -u PGDATABASE -u PGUSER -u PGPORT "$REGCTL" local stop

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
