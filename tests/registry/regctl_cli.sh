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

# The log's command-line contract.
tmp=$(mktemp -d)
KEY="$tmp/log.key"
export REGISTRY_DB=dbname=cli_a
check key-generate 0 "^test.example/XX+[0-9a-f]\{8\}+A" "$REGCTL" key generate --name test.example/XX --key "$KEY"
check key-mode 0 "^600$" stat -c %a "$KEY"
check key-show 0 "^test.example/XX+" "$REGCTL" key show --key "$KEY"
# As a witness: the same name, another key id, type 0x04 (base64 "B...").
check key-show-witness 0 "^test.example/XX+[0-9a-f]\{8\}+B" "$REGCTL" key show --witness --key "$KEY"
check key-ids-differ 1 "" sh -c "[ \"\$(\"$REGCTL\" key show --key \"$KEY\" | cut -d+ -f2)\" = \"\$(\"$REGCTL\" key show --witness --key \"$KEY\" | cut -d+ -f2)\" ]"
cp "$KEY" "$tmp/key.before"
one_line key-no-overwrite "$REGCTL" key generate --name other --key "$KEY"
check key-same-after 0 "" cmp "$KEY" "$tmp/key.before"
one_line key-bad-name "$REGCTL" key generate --name "has space" --key "$tmp/k2"
one_line key-missing "$REGCTL" key show --key "$tmp/nope.key"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$tmp/rsa.pem" 2>/dev/null
{ echo "Key-Name: test.example/XX"; cat "$tmp/rsa.pem"; } >"$tmp/rsa.key"
one_line key-wrong-type "$REGCTL" log checkpoint --key "$tmp/rsa.key"
printf 'garbage' >"$tmp/garbage.key"
one_line key-garbage "$REGCTL" log checkpoint --key "$tmp/garbage.key"
export REGISTRY_KEY="$KEY"
check append-file 0 "^0$" sh -c "printf 'first leaf' >$tmp/leaf && '$REGCTL' log append --data-file $tmp/leaf"
check append-stdin 0 "^1$" sh -c "printf 'second' | '$REGCTL' log append"
check append-empty 0 "^2$" sh -c "'$REGCTL' log append </dev/null"
head -c 65537 /dev/zero >"$tmp/big"
one_line append-too-big "$REGCTL" log append --data-file "$tmp/big"
one_line append-missing-file "$REGCTL" log append --data-file "$tmp/absent"
check checkpoint 0 "^— test.example/XX " "$REGCTL" log checkpoint
out=$("$REGCTL" log checkpoint)
lines=$(printf '%s\n' "$out" | wc -l)
if [ "$(printf '%s\n' "$out" | head -3 | tr '\n' '|')" = "test.example/XX|3|$(printf '%s\n' "$out" | sed -n 3p)|" ] && [ "$lines" -eq 5 ]; then
	echo "ok checkpoint-form"; passes=$((passes + 1))
else
	echo "FAIL checkpoint-form: $out"; fails=$((fails + 1))
fi
check entries 0 '^{"index": 0, "leaf": "Zmlyc3QgbGVhZg=="}$' "$REGCTL" log entries --start 0 --end 3
check entries-empty-leaf 0 '^{"index": 2, "leaf": ""}$' "$REGCTL" log entries --start 2 --end 3
one_line entries-beyond "$REGCTL" log entries --start 0 --end 4
check entries-bad-number 2 "whole number" "$REGCTL" log entries --start -1 --end 2
check entries-junk-number 2 "whole number" "$REGCTL" log entries --start 1x --end 2
check inclusion 0 '^{"index": 1, "size": 3, "leaf_hash": "[A-Za-z0-9+/=]*", "hashes": \["[A-Za-z0-9+/=]*", "[A-Za-z0-9+/=]*"\]}$' "$REGCTL" log prove-inclusion --index 1
check inclusion-size 0 '"size": 2' "$REGCTL" log prove-inclusion --index 1 --size 2
one_line inclusion-out-of-range "$REGCTL" log prove-inclusion --index 3
one_line inclusion-size-beyond "$REGCTL" log prove-inclusion --index 0 --size 9
check consistency 0 '^{"old_size": 1, "new_size": 3, "hashes": \[' "$REGCTL" log prove-consistency --from 1
one_line consistency-zero "$REGCTL" log prove-consistency --from 0 --to 2
one_line consistency-backwards "$REGCTL" log prove-consistency --from 3 --to 2
check verify 0 "^log verified: 3 entries, 1 checkpoints" "$REGCTL" log verify
check verify-verifier 0 "^log verified" "$REGCTL" log verify --verifier "$("$REGCTL" key show)"
check status-log 0 "log:        3 entries" "$REGCTL" status
"$REGCTL" key generate --name test.example/XX --key "$tmp/other.key" >/dev/null
check verify-other-key 1 "not signed by test.example/XX" "$REGCTL" log verify --key "$tmp/other.key"
psql -q -d cli_a -c "SET session_replication_role = replica; UPDATE log_entry SET leaf = 'forged' WHERE idx = 1"
check verify-tampered 1 "first bad index: 1" "$REGCTL" log verify
# A changed stored hash that the checkpoint's root rests on: no new
# checkpoint is signed over it.
psql -q -d cli_a -c "SET session_replication_role = replica; UPDATE log_entry SET nodes = sha256('x') WHERE idx = 2"
printf 'fourth' | "$REGCTL" log append >/dev/null
one_line checkpoint-refuses-tampered "$REGCTL" log checkpoint
unset REGISTRY_DB REGISTRY_KEY
rm -rf "$tmp"

# Records through the command line.
psql -q -c "CREATE DATABASE cli_r" postgres >/dev/null
export REGISTRY_DB=dbname=cli_r
"$REGCTL" migrate >/dev/null
tmp=$(mktemp -d)
export REGISTRY_PII_KEY="$tmp/pii.key"
check pii-key 0 "is now active" "$REGCTL" pii-key generate
check pii-key-mode 0 "^600$" stat -c %a "$tmp/pii.key"
one_line pii-key-no-overwrite "$REGCTL" pii-key generate
check pii-key-rotate 0 "is now active" "$REGCTL" pii-key rotate
check manufacturer 0 "^manufacturer [0-9a-f-]\{36\} log_index 0$" "$REGCTL" manufacturer add --name "Glock Ges.m.b.H." --country AT
check alias 0 "^manufacturer_alias" "$REGCTL" manufacturer alias --manufacturer "glock gesmbh" --alias GLOCK
one_line alias-taken "$REGCTL" manufacturer alias --manufacturer glock --alias "Glock Gesmbh"
one_line bad-country "$REGCTL" manufacturer add --name "Acme" --country ZZ
check party 0 "^party " "$REGCTL" party add --kind manufacturer --name "Glock GmbH" --country AT --office-ref GL
check party-dealer 0 "^party " "$REGCTL" party add --kind dealer --name "Waffen Huber" --country AT --office-ref WH
check party-private 0 '"record": "party"' "$REGCTL" party add --kind private_person --country AT --region Tirol --person-name "Anna Geheim" --address "Gasse 1" --id-document "P123" --birth-date 1990-05-01 --office-ref AG --json
one_line party-private-bad-date "$REGCTL" party add --kind private_person --country AT --person-name "X" --birth-date 1990-02-30
one_line party-bad-kind "$REGCTL" party add --kind pirate --country AT --name X
out=$("$REGCTL" weapon register --manufacturer GLOCK --model 17 --type pistol --calibre 9x19 --serial "ABC 123" --country AT --year 2010 --mark "GLOCK AUSTRIA ABC123" --location slide --office-ref G1)
echo "$out" | grep -q "^marking " && { echo "ok weapon-register"; passes=$((passes + 1)); } || { echo "FAIL weapon-register: $out"; fails=$((fails + 1)); }
WID=$(echo "$out" | sed -n 's/^weapon \([0-9a-f-]*\) .*/\1/p')
one_line weapon-no-mark "$REGCTL" weapon register --serial X1 --type pistol --country AT
one_line weapon-bad-type "$REGCTL" weapon register --serial X1 --type laser --country AT --mark M
check event-manufacture 0 "^event " "$REGCTL" event add "$WID" --kind manufacture --date 2010-01-05 --to GL
check event-transfer 0 "^event " "$REGCTL" event add "$WID" --kind domestic_transfer --date 2010-02-01 --from GL --to WH
one_line event-not-holder "$REGCTL" event add "$WID" --kind domestic_transfer --date 2010-03-01 --from GL --to AG
one_line event-backwards "$REGCTL" event add "$WID" --kind domestic_transfer --date 2009-03-01 --from WH --to AG
one_line event-bad-date "$REGCTL" event add "$WID" --kind theft --date 2010-13-01
check event-sale 0 "^event " "$REGCTL" event add "$WID" --kind domestic_transfer --date 2011-06-01 --from WH --to AG
check show 0 "status     held, held by private person" "$REGCTL" weapon show "$WID"
check show-json 0 '"status": "held"' "$REGCTL" weapon show "$WID" --json
check show-identity 0 '"name": "Anna Geheim"' "$REGCTL" weapon show "$WID" --json --pii-key "$tmp/pii.key"
check find 0 "$WID" "$REGCTL" weapon find --serial abc-123 --manufacturer glock
check find-json 0 '"serial": "ABC 123"' "$REGCTL" weapon find --serial ABCI23 --json
one_line show-bad-id "$REGCTL" weapon show not-a-uuid
one_line show-missing "$REGCTL" weapon show 00000000-0000-7000-8000-000000000000
"$REGCTL" key generate --name test.example/AT --key "$tmp/log.key" >/dev/null
check records-verify 0 "^log verified" "$REGCTL" log verify --key "$tmp/log.key"
psql -q -d cli_r -c "SET session_replication_role = replica; UPDATE party SET region = 'Wien' WHERE office_ref = 'AG'"
check records-tampered 1 "table party, record" "$REGCTL" log verify --key "$tmp/log.key"
unset REGISTRY_DB REGISTRY_PII_KEY
rm -rf "$tmp"

# With no database configured at all, the local default cluster is made.
check local-default 0 "nothing to apply\|migrations applied" env -u PGHOST -u PGDATABASE -u PGUSER -u PGPORT "$REGCTL" migrate
check local-status 0 "running" env -u PGHOST -u PGDATABASE -u PGUSER -u PGPORT "$REGCTL" local status
check local-stop 0 "" env -u PGHOST -u PGDATABASE -u PGUSER -u PGPORT "$REGCTL" local stop

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
