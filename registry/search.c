/*
 * The trace engine's queries (registry.h, "search"), owned here with the
 * schema they read.  Every query is parameterised.
 *
 * The common case, a serial read whole, is one query: the weapons of the
 * trace engine's read model (trace_weapon, migration 0011) under the
 * search key, each one row holding its weapon, marking, component and
 * event records; one probe of one index; with them, in the same statement,
 * the log's leaves of those records, which search_leaves.c holds them
 * against.  Should more records share the key than are read at once, or
 * should they not read back or not be what the log sealed, the same comes
 * from the records themselves: the weapons with the key, each with its
 * markings and components (as JSON arrays) and one row per event, which
 * the candidates of the other searches are also read with by id.  The
 * other searches (unreadable positions, one edit, components' and
 * importers' serials) answer light candidate rows for scoring; the details
 * of the ones to answer follow by id.  Rows become weapons in
 * search_decode.c; parties are read and cached in search_party.c.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "search_int.h"

/* Candidates read per search (REG_SEARCH_MAX) in SQL. */
#define CANDS_STR(n) #n
#define CANDS_OF(n) CANDS_STR(n)
#define CANDS CANDS_OF(REG_SEARCH_MAX)

/* A serial's search key in SQL, as migration 0005 indexes it. */
#define KEY(col) "translate(" col ", 'D7', '01')"
#define IMPORT_KEY "reg_serial_key(new_serial)"

/*
 * Weapons with their details, one row per event (weapon columns repeated;
 * a weapon without events has one row with NULL event columns).  Dates are
 * written by the session's DateStyle, which the engine sets to ISO; the
 * engine names manufacturers from its cache.
 *  0 id, 1 manufacturer_id, 2 (unused), 3 model, 4 type, 5 calibre,
 *  6 serial, 7 country, 8 year, 9 markings (JSON), 10 components (JSON),
 *  11 event id, 12 seq, 13 kind, 14 date, 15 from, 16 to, 17 licence number,
 *  18 issued, 19 expires, 20 end-user certificate, 21 export country,
 *  22 import country, 23 transit, 24 final recipient, 25 certificate,
 *  26 corrects, 27 reason, 28 note, 29 log index.
 */
#define DETAIL_COLS \
	"SELECT w.id::text, w.manufacturer_id::text, NULL, w.model, w.type, " \
	"w.calibre, w.serial, w.country_of_manufacture::text, " \
	"w.year_of_manufacture, mk.j, ck.j, e.id::text, e.seq, e.kind, " \
	"e.event_date::text, e.from_party::text, e.to_party::text, " \
	"e.licence_number, e.licence_issued::text, e.licence_expires::text, e.euc_ref, " \
	"e.export_country::text, e.import_country::text, " \
	"array_to_string(e.transit_countries, ','), e.final_recipient, " \
	"e.certificate, e.corrects::text, e.reason, e.note, e.log_index " \
	"FROM weapon w " \
	"LEFT JOIN LATERAL (SELECT json_agg(json_build_array(kind, text, location, " \
	"country, year, new_serial) ORDER BY log_index) AS j FROM marking " \
	"WHERE weapon_id = w.id) mk ON true " \
	"LEFT JOIN LATERAL (SELECT json_agg(json_build_array(kind, serial) " \
	"ORDER BY log_index) AS j FROM component WHERE weapon_id = w.id) ck ON true " \
	"LEFT JOIN event e ON e.weapon_id = w.id "
#define DETAIL_ORDER " ORDER BY w.id, e.seq LIMIT 5001"

/*
 * Candidates for scoring, from a match c(wid, via, matched):
 *  0 id, 1 via, 2 matched, 3 manufacturer_id, 4 (unused), 5 model,
 *  6 type, 7 calibre, 8 serial, 9 country, 10 year, 11 import markings.
 */
#define CAND_COLS \
	"SELECT w.id::text, c.via, c.matched, w.manufacturer_id::text, NULL, " \
	"w.model, w.type, w.calibre, w.serial, w.country_of_manufacture::text, " \
	"w.year_of_manufacture, (SELECT string_agg(coalesce(mk.country::text, '') " \
	"|| ':' || coalesce(mk.year::text, ''), ',') FROM marking mk " \
	"WHERE mk.weapon_id = w.id AND mk.kind = 'import') " \
	"FROM c JOIN weapon w ON w.id = c.wid"
/* A match on the weapons' own serials (cw), components' (cc) and, when
 * $2 is true, importers' serials (cm). */
#define MATCH(cw, cc, cm) \
	"WITH c AS (SELECT id AS wid, 'serial'::text AS via, serial AS matched " \
	"FROM weapon WHERE " cw " " \
	"UNION ALL SELECT weapon_id, 'component ' || kind, serial FROM component " \
	"WHERE " cc " " \
	"UNION ALL SELECT weapon_id, 'import', new_serial FROM marking " \
	"WHERE $2::bool AND new_serial IS NOT NULL AND " cm " LIMIT " CANDS ") "
#define NEAR(k) "(" k " LIKE $3 OR " k " LIKE $4 OR " k " LIKE $5 OR " k \
	" LIKE $6) AND levenshtein_less_equal(" k ", $1, 2) <= 2"

/*
 * With each weapon's row come, in the same statement, the log's leaves of
 * the weapon's records as the record tables list them (their log indexes,
 * through the weapon-id indexes), each as one bytea: its index (8 bytes,
 * big-endian), the leaf hash the log stores with it (the first 32 bytes of
 * its nodes, which inclusion proofs start from) and the leaf; and the
 * number of weapons the record table has under the key.  A key without
 * rows still gives one row (recs NULL), for that number.
 * reg__search_check_leaves() then holds what is served against the leaves.
 */
#define ROWS_SQL \
	"SELECT t.recs, ARRAY(SELECT int8send(l.idx) || substr(l.nodes, 1, 32) " \
	"|| l.leaf FROM (SELECT w.log_index FROM weapon w WHERE w.id = t.weapon_id " \
	"UNION ALL SELECT m.log_index FROM marking m WHERE m.weapon_id = t.weapon_id " \
	"UNION ALL SELECT c.log_index FROM component c WHERE c.weapon_id = t.weapon_id " \
	"UNION ALL SELECT e.log_index FROM event e WHERE e.weapon_id = t.weapon_id) " \
	"AS b (li) JOIN log_entry l ON l.idx = b.li), n.weapons " \
	"FROM (SELECT count(*) AS weapons FROM weapon WHERE " KEY("serial_norm") \
	" = $1) AS n LEFT JOIN trace_weapon t ON t.key = $1 LIMIT 5001"

enum { S_ROWS, S_KEY, S_IDS, S_OTHER, S_PARTIES, S_ALIASES, NSTMT };

static const struct {
	const char *name, *sql;
} stmt[NSTMT] = {
	[S_ROWS] = { "tr_rows", ROWS_SQL },
	[S_KEY] = { "tr_key", DETAIL_COLS "WHERE " KEY("w.serial_norm") " = $1"
	    DETAIL_ORDER },
	[S_IDS] = { "tr_ids", DETAIL_COLS "WHERE w.id = ANY ($1::uuid[])"
	    DETAIL_ORDER },
	[S_OTHER] = { "tr_other", "WITH c AS (SELECT weapon_id AS wid, "
	    "'component ' || kind AS via, serial AS matched FROM component "
	    "WHERE " KEY("serial_norm") " = $1 "
	    "UNION ALL SELECT weapon_id, 'import', new_serial FROM marking "
	    "WHERE $2::bool AND new_serial IS NOT NULL AND " IMPORT_KEY " = $1 "
	    "LIMIT " CANDS ") " CAND_COLS },
	[S_PARTIES] = { REG__PARTIES_STMT,
	    "SELECT id::text, kind, name, country::text, "
	    "region, licence, pii FROM party WHERE id = ANY ($1::uuid[])" },
	[S_ALIASES] = { "tr_aliases", "SELECT a.alias_norm, a.manufacturer_id::text, "
	    "a.kind, upper(a.alias), m.name FROM manufacturer_alias a "
	    "JOIN manufacturer m ON m.id = a.manufacturer_id "
	    "ORDER BY a.manufacturer_id::text COLLATE \"C\"" },
};

static const char pattern_sql[] =
    MATCH(KEY("serial_norm") " LIKE $1", KEY("serial_norm") " LIKE $1",
	IMPORT_KEY " LIKE $1") CAND_COLS;
/* The same on weapons' own serials only, narrowed by what else the request
 * tells: $3 type, $4 manufacturers (uuid[]), $5 year of manufacture (one
 * year either way).  NULL leaves a field open. */
static const char narrowed_sql[] =
    "WITH c AS (SELECT id AS wid, 'serial'::text AS via, serial AS matched "
    "FROM weapon WHERE " KEY("serial_norm") " LIKE $1 AND NOT $2::bool "
    "AND ($3::text IS NULL OR type = $3) "
    "AND ($4::uuid[] IS NULL OR manufacturer_id = ANY ($4)) "
    "AND ($5::int IS NULL OR year_of_manufacture BETWEEN $5 - 1 AND $5 + 1) "
    "LIMIT " CANDS ") " CAND_COLS;
static const char near_sql[] =
    MATCH(NEAR(KEY("serial_norm")), NEAR(KEY("serial_norm")), NEAR(IMPORT_KEY))
    CAND_COLS;

/* ------------------------------------------------------------ the handle */

int
reg_search_new(reg_ctx *ctx, reg_search **out, reg_error *err)
{
	reg_search *s;
	PGconn *conn;
	PGresult *res;
	int i, r = 0;

	if (out == NULL)
		return reg__fail(err, REG_EINVAL, "no place for the search");
	*out = NULL;
	if (ctx == NULL)
		return reg__fail(err, REG_EINVAL, "a search needs a registry "
		    "connection");
	conn = reg__conn(ctx);
	/* Dates as YYYY-MM-DD without to_char() (which is slow). */
	res = PQexec(conn, "SET datestyle TO ISO");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = reg__search_fail_pg(err, conn, res, "cannot set the date style");
	PQclear(res);
	for (i = 0; i < NSTMT && r == 0; i++) {
		const char *state;

		res = PQprepare(conn, stmt[i].name, stmt[i].sql, 0, NULL);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		/* Another search on the same connection prepared them already. */
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    !(state != NULL && strcmp(state, "42P05") == 0))
			r = reg__search_fail_pg(err, conn, res, "cannot prepare the "
			    "trace queries (is the database migrated? run regctl "
			    "migrate)");
		PQclear(res);
	}
	if (r != 0)
		return r;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	s->ctx = ctx;
	*out = s;
	return 0;
}

void
reg_search_free(reg_search *s)
{
	if (s == NULL)
		return;
	reg__party_cache_clear(&s->parties);
	free(s);
}

/*
 * Refuses what is not a search: no handle, sink or key, a key (or with
 * like a pattern) over REG_SEARCH_KEY_MAX bytes or empty, a key with LIKE's
 * '%' or '_', or either with its escape '\'.
 */
static int
bad_input(reg_search *s, const char *key, int like,
    const struct reg_search_sink *sink, reg_error *err)
{
	size_t n;

	if (s == NULL || key == NULL || sink == NULL || sink->add == NULL ||
	    sink->alloc == NULL)
		return reg__fail(err, REG_EINVAL, "a search needs a handle, a key "
		    "and a sink");
	n = strnlen(key, REG_SEARCH_KEY_MAX + 1);
	if (n > REG_SEARCH_KEY_MAX)
		return reg__fail(err, REG_ETOOBIG, "a search key has at most %d "
		    "bytes", REG_SEARCH_KEY_MAX);
	if (n == 0)
		return reg__fail(err, REG_EINVAL, "an empty search key");
	if (strchr(key, '\\') != NULL || (!like && strpbrk(key, "%_") != NULL))
		return reg__fail(err, REG_EINVAL, "a search key has no '%%', '_' "
		    "or '\\' (a pattern no '\\')");
	return 0;
}

/* ------------------------------------------------------------ by key */

int
reg_search_by_key_records(reg_search *s, const char *key,
    const struct reg_search_sink *sink, int *truncated, reg_error *err)
{
	struct reg__sdec d = { sink, 0 };
	const char *params[1] = { key };
	PGconn *conn;
	PGresult *res;
	int r;

	if ((r = bad_input(s, key, 0, sink, err)) != 0)
		return r;
	conn = reg__conn(s->ctx);
	res = PQexecPrepared(conn, stmt[S_KEY].name, 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__search_fail_pg(err, conn, res, "cannot search the registry");
	} else {
		/* Too many weapons share the key: the last one's events may
		 * be cut. */
		if (PQntuples(res) > REG__ROWS_MAX && truncated != NULL)
			*truncated = 1;
		r = reg__search_read_details(&d, res, NULL, 0, err);
	}
	PQclear(res);
	return r;
}

/* The read model's rows of res into weapons, held against their leaves:
 * 0, 1 when they are not whole (*mismatch 0) or not what the log sealed
 * (*mismatch 1), or an error. */
static int
from_read_model(struct reg__sdec *d, PGresult *res, const char *key,
    int *mismatch, reg_error *err)
{
	struct reg__rows rows = { NULL, NULL, 0 };
	struct reg__leafref *leaves = NULL;
	int r, nleaves = 0;

	/* Whole rows first (else the records are read: a fallback), then
	 * what they say against the leaves (else the records are read: a
	 * mismatch); only then weapons. */
	if ((r = reg__search_unpack(d, res, &rows)) == 0 &&
	    (r = reg__search_check_leaves(d, res, rows.cells, rows.n, key,
	    &leaves, &nleaves)) == 1)
		*mismatch = 1;
	if (r == 0)
		return reg__search_read_rows(d, &rows, leaves, nleaves, err);
	return r == -1 ? reg__fail(err, REG_ENOMEM, "out of memory") : r;
}

int
reg_search_by_key(reg_search *s, const char *key,
    const struct reg_search_sink *sink, int *truncated, int *source,
    reg_error *err)
{
	struct reg__sdec d = { sink, 0 };
	const char *params[1] = { key };
	PGconn *conn;
	PGresult *res;
	int r, mismatch = 0;

	if (source != NULL)
		*source = REG_SEARCH_READ_MODEL;
	if ((r = bad_input(s, key, 0, sink, err)) != 0)
		return r;
	conn = reg__conn(s->ctx);
	res = PQexecPrepared(conn, stmt[S_ROWS].name, 1, params, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__search_fail_pg(err, conn, res, "cannot search the registry");
	else
		r = from_read_model(&d, res, key, &mismatch, err);
	PQclear(res);
	if (r != 1)
		return r;
	/* More rows than are read at once, not whole, or not what the log
	 * sealed: from the records (which reg_search_verify() then holds
	 * against their leaves). */
	if (source != NULL)
		*source = mismatch ? REG_SEARCH_MISMATCH : REG_SEARCH_FALLBACK;
	return reg_search_by_key_records(s, key, sink, truncated, err);
}

/* ------------------------------------------------------------ candidates */

/*
 * Candidate rows from the prepared statement named stmt_name, or else from
 * sql, not prepared: each pattern is then planned for itself, so that the
 * planner sees which index serves it.
 */
static int
candidates(reg_search *s, const struct reg_search_sink *sink,
    const char *stmt_name, const char *sql, int n, const char *const *params,
    reg_error *err)
{
	struct reg__sdec d = { sink, 0 };
	PGconn *conn = reg__conn(s->ctx);
	PGresult *res;
	int r;

	if (stmt_name != NULL)
		res = PQexecPrepared(conn, stmt_name, n, params, NULL, NULL, 0);
	else
		res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__search_fail_pg(err, conn, res, "cannot search the registry");
	else
		r = reg__search_read_cands(&d, res, err);
	PQclear(res);
	return r;
}

int
reg_search_other_serials(reg_search *s, const char *key, int imports,
    const struct reg_search_sink *sink, reg_error *err)
{
	const char *params[2] = { key, imports ? "true" : "false" };
	int r;

	if ((r = bad_input(s, key, 0, sink, err)) != 0)
		return r;
	return candidates(s, sink, stmt[S_OTHER].name, NULL, 2, params, err);
}

int
reg_search_pattern(reg_search *s, const char *like, int imports,
    const struct reg_search_sink *sink, reg_error *err)
{
	const char *params[2] = { like, imports ? "true" : "false" };
	int r;

	if ((r = bad_input(s, like, 1, sink, err)) != 0)
		return r;
	return candidates(s, sink, NULL, pattern_sql, 2, params, err);
}

int
reg_search_pattern_narrowed(reg_search *s, const char *like,
    const char *type, const char *const *makers, int nmakers, int year,
    const struct reg_search_sink *sink, reg_error *err)
{
	char y[16], *arr = NULL;
	const char *params[5] = { like, "false", type, NULL, NULL };
	int r, i;

	if ((r = bad_input(s, like, 1, sink, err)) != 0)
		return r;
	if (nmakers < 0 || nmakers > REG_SEARCH_MAX || (nmakers > 0 && makers == NULL))
		return reg__fail(err, REG_EINVAL, "bad list of manufacturers");
	for (i = 0; i < nmakers; i++)
		if (makers[i] == NULL || strlen(makers[i]) != REG_SEARCH_ID - 1)
			return reg__fail(err, REG_EINVAL, "a manufacturer's id is a "
			    "UUID");
	if (nmakers > 0) {
		struct reg__sdec d = { sink, 0 };

		if ((arr = reg__salloc(&d, REG__UUIDS_SIZE(nmakers))) == NULL)
			return reg__fail(err, REG_ENOMEM, "out of memory");
		reg__search_uuids(arr, makers, nmakers);
		params[3] = arr;
	}
	if (year != 0) {
		snprintf(y, sizeof(y), "%d", year);
		params[4] = y;
	}
	return candidates(s, sink, NULL, narrowed_sql, 5, params, err);
}

int
reg_search_near(reg_search *s, const char *key, int imports,
    const struct reg_search_sink *sink, reg_error *err)
{
	char p[4][REG_SEARCH_KEY_MAX + 3];
	const char *params[6];
	size_t n, m;
	int r;

	if ((r = bad_input(s, key, 0, sink, err)) != 0)
		return r;
	n = strlen(key);
	m = n / 2;
	/*
	 * One wrong, missing, extra or swapped character leaves intact the
	 * first half or the second, split at m or at m + 1 (a swap across
	 * one split point cannot cross the other).
	 */
	snprintf(p[0], sizeof(p[0]), "%.*s%%", (int)m, key);
	snprintf(p[1], sizeof(p[1]), "%%%s", key + m);
	snprintf(p[2], sizeof(p[2]), "%.*s%%", (int)(m + 1), key);
	snprintf(p[3], sizeof(p[3]), "%%%s", m + 1 <= n ? key + m + 1 : "");
	params[0] = key;
	params[1] = imports ? "true" : "false";
	params[2] = p[0];
	params[3] = p[1];
	params[4] = p[2];
	params[5] = p[3];
	return candidates(s, sink, NULL, near_sql, 6, params, err);
}

/* ------------------------------------------------------------ details */

int
reg_search_details(reg_search *s, struct reg_search_weapon *const *list,
    int n, const struct reg_search_sink *sink, reg_error *err)
{
	struct reg__sdec d = { sink, 0 };
	const char *params[1], **ids;
	PGconn *conn;
	PGresult *res;
	char *arr;
	int r, i, k = 0;

	if (s == NULL || sink == NULL || n < 0 || (list == NULL && n != 0))
		return reg__fail(err, REG_EINVAL, "no search, sink or weapons");
	if ((ids = reg__salloc(&d, (size_t)(n ? n : 1) * sizeof(*ids))) == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if (!list[i]->detailed)
			ids[k++] = list[i]->id;
	if (k == 0)
		return 0;
	if ((arr = reg__salloc(&d, REG__UUIDS_SIZE(k))) == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	reg__search_uuids(arr, ids, k);
	params[0] = arr;
	conn = reg__conn(s->ctx);
	res = PQexecPrepared(conn, stmt[S_IDS].name, 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__search_fail_pg(err, conn, res,
		    "cannot read the candidates' records");
	else
		r = reg__search_read_details(&d, res, list, n, err);
	PQclear(res);
	return r;
}

/* ------------------------------------------------------------ aliases */

int
reg_search_aliases(reg_search *s, struct reg_search_alias **out, int *n,
    reg_error *err)
{
	PGconn *conn;
	PGresult *res;
	struct reg_search_alias *al;
	int i, rows;

	if (out == NULL || n == NULL)
		return reg__fail(err, REG_EINVAL, "no place for the aliases");
	*out = NULL;
	*n = 0;
	if (s == NULL)
		return reg__fail(err, REG_EINVAL, "no search");
	conn = reg__conn(s->ctx);
	res = PQexecPrepared(conn, stmt[S_ALIASES].name, 0, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int r = reg__search_fail_pg(err, conn, res,
		    "cannot read the manufacturers");

		PQclear(res);
		return r;
	}
	rows = PQntuples(res);
	al = calloc(rows ? (size_t)rows : 1, sizeof(*al));
	if (al == NULL) {
		PQclear(res);
		return reg__fail(err, REG_ENOMEM, "out of memory");
	}
	for (i = 0; i < rows; i++) {
		struct reg_search_alias *x = &al[i];

		reg__search_fixed(x->norm, sizeof(x->norm), res, i, 0);
		reg__search_fixed(x->manufacturer_id, sizeof(x->manufacturer_id),
		    res, i, 1);
		reg__search_fixed(x->kind, sizeof(x->kind), res, i, 2);
		reg__search_fixed(x->words, sizeof(x->words), res, i, 3);
		reg__search_fixed(x->maker, sizeof(x->maker), res, i, 4);
	}
	PQclear(res);
	*out = al;
	*n = rows;
	return 0;
}
