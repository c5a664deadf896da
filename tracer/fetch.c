/*
 * The engine's queries.  Every query is parameterised.
 *
 * The common case, a serial read whole, is one query: the weapons whose
 * serial has the search key, each with its markings and components (as
 * JSON arrays) and one row per event.  The other searches (unreadable
 * positions, one edit, components' and importers' serials) answer light
 * candidate rows for scoring; the details of the ones to answer follow by
 * id.  Parties are read by id into a cache that lives as long as the engine
 * (party records never change), so a warm engine reads none.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "tracer_int.h"

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
	"WHERE $2::bool AND new_serial IS NOT NULL AND " cm " LIMIT 200) "
#define NEAR(k) "(" k " LIKE $3 OR " k " LIKE $4 OR " k " LIKE $5 OR " k \
	" LIKE $6) AND levenshtein_less_equal(" k ", $1, 2) <= 2"

enum { S_KEY, S_IDS, S_OTHER, S_PARTIES, S_ALIASES, NSTMT };

static const struct {
	const char *name, *sql;
} stmt[NSTMT] = {
	[S_KEY] = { "tr_key", DETAIL_COLS "WHERE " KEY("w.serial_norm") " = $1"
	    DETAIL_ORDER },
	[S_IDS] = { "tr_ids", DETAIL_COLS "WHERE w.id = ANY ($1::uuid[])"
	    DETAIL_ORDER },
	[S_OTHER] = { "tr_other", "WITH c AS (SELECT weapon_id AS wid, "
	    "'component ' || kind AS via, serial AS matched FROM component "
	    "WHERE " KEY("serial_norm") " = $1 "
	    "UNION ALL SELECT weapon_id, 'import', new_serial FROM marking "
	    "WHERE $2::bool AND new_serial IS NOT NULL AND " IMPORT_KEY " = $1 "
	    "LIMIT 200) " CAND_COLS },
	[S_PARTIES] = { "tr_parties", "SELECT id::text, kind, name, country::text, "
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
    "LIMIT 200) " CAND_COLS;
static const char near_sql[] =
    MATCH(NEAR(KEY("serial_norm")), NEAR(KEY("serial_norm")), NEAR(IMPORT_KEY))
    CAND_COLS;

static int
fail_pg(reg_error *err, PGconn *conn, PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
	size_t n;
	int r = tr__fail(err, REG_EDB, "%s: %s", what, msg ? msg : "");

	if (err != NULL && r == err->code) {
		n = strlen(err->message);
		while (n > 0 && (err->message[n - 1] == '\n' || err->message[n - 1] == ' '))
			err->message[--n] = '\0';
		if (state != NULL)
			snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state);
	}
	return r;
}

int
tr__db_prepare(reg_ctx *ctx, reg_error *err)
{
	PGconn *conn = reg_conn(ctx);
	PGresult *res;
	int i, r = 0;

	/* Dates as YYYY-MM-DD without to_char() (which is slow). */
	res = PQexec(conn, "SET datestyle TO ISO");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = fail_pg(err, conn, res, "cannot set the date style");
	PQclear(res);

	for (i = 0; i < NSTMT && r == 0; i++) {
		const char *state;

		res = PQprepare(conn, stmt[i].name, stmt[i].sql, 0, NULL);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		/* Another engine on the same connection prepared them already. */
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    !(state != NULL && strcmp(state, "42P05") == 0))
			r = fail_pg(err, conn, res, "cannot prepare the trace queries "
			    "(is the database migrated? run regctl migrate)");
		PQclear(res);
	}
	return r;
}

static char *
val(struct tr__arena *a, PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL :
	    tr__strdup(a, PQgetvalue(res, row, col));
}

static void
fixed(char *out, size_t outlen, PGresult *res, int row, int col)
{
	snprintf(out, outlen, "%s", PQgetisnull(res, row, col) ? "" :
	    PQgetvalue(res, row, col));
}

static int
cands_add(struct tr__cands *cs, struct tr__cand **out)
{
	if (cs->n == cs->cap) {
		int cap = cs->cap ? cs->cap * 2 : 16;
		struct tr__cand *c = realloc(cs->c, (size_t)cap * sizeof(*c));

		if (c == NULL)
			return -1;
		cs->c = c;
		cs->cap = cap;
	}
	*out = &cs->c[cs->n++];
	memset(*out, 0, sizeof(**out));
	(*out)->chain.last_legal = (*out)->chain.finding_event = -1;
	(*out)->chain.export_event = -1;
	return 0;
}

/* A JSON array of arrays of strings, numbers or nulls, as a column. */
static json_t *
json_col(PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return json_loads(PQgetvalue(res, row, col), 0, NULL);
}

static char *
jstr(struct tr__arena *a, json_t *arr, size_t i)
{
	json_t *v = json_array_get(arr, i);

	if (json_is_string(v))
		return tr__strdup(a, json_string_value(v));
	if (json_is_integer(v))
		return tr__printf(a, "%lld", (long long)json_integer_value(v));
	return NULL;
}

static void
jfixed(char *out, size_t outlen, json_t *arr, size_t i)
{
	json_t *v = json_array_get(arr, i);

	snprintf(out, outlen, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* Fills c's markings, components and import summary from row's JSON. */
static void
marks(struct tr__arena *a, struct tr__cand *c, PGresult *res, int row)
{
	json_t *m = json_col(res, row, 9), *k = json_col(res, row, 10), *x;
	size_t i, n;
	char *imports = NULL;

	n = json_array_size(m);
	c->marks = tr__alloc(a, (n ? n : 1) * sizeof(*c->marks));
	for (i = 0; c->marks != NULL && i < n; i++) {
		struct tr__marking *mk = &c->marks[i];

		x = json_array_get(m, i);
		jfixed(mk->kind, sizeof(mk->kind), x, 0);
		mk->text = jstr(a, x, 1);
		jfixed(mk->location, sizeof(mk->location), x, 2);
		jfixed(mk->country, sizeof(mk->country), x, 3);
		mk->year = (int)json_integer_value(json_array_get(x, 4));
		mk->new_serial = jstr(a, x, 5);
		if (strcmp(mk->kind, "import") == 0)
			imports = imports == NULL ?
			    tr__printf(a, "%s:%d", mk->country, mk->year) :
			    tr__printf(a, "%s,%s:%d", imports, mk->country, mk->year);
	}
	c->nmarks = c->marks ? (int)n : 0;
	c->imports = imports;
	n = json_array_size(k);
	c->comps = tr__alloc(a, (n ? n : 1) * sizeof(*c->comps));
	for (i = 0; c->comps != NULL && i < n; i++) {
		x = json_array_get(k, i);
		jfixed(c->comps[i].kind, sizeof(c->comps[i].kind), x, 0);
		c->comps[i].serial = jstr(a, x, 1);
	}
	c->ncomps = c->comps ? (int)n : 0;
	json_decref(m);
	json_decref(k);
}

/* Reads row's event columns into e (party pointers come later). */
static void
event(struct tr__arena *a, struct tr__event *e, PGresult *res, int row)
{
	fixed(e->id, sizeof(e->id), res, row, 11);
	e->seq = atoi(PQgetvalue(res, row, 12));
	fixed(e->kind, sizeof(e->kind), res, row, 13);
	fixed(e->date, sizeof(e->date), res, row, 14);
	fixed(e->from_id, sizeof(e->from_id), res, row, 15);
	fixed(e->to_id, sizeof(e->to_id), res, row, 16);
	e->licence_number = val(a, res, row, 17);
	fixed(e->licence_issued, sizeof(e->licence_issued), res, row, 18);
	fixed(e->licence_expires, sizeof(e->licence_expires), res, row, 19);
	e->euc = val(a, res, row, 20);
	fixed(e->export_country, sizeof(e->export_country), res, row, 21);
	fixed(e->import_country, sizeof(e->import_country), res, row, 22);
	e->transit = val(a, res, row, 23);
	if (e->transit != NULL && e->transit[0] == '\0')
		e->transit = NULL;
	e->final_recipient = val(a, res, row, 24);
	e->certificate = val(a, res, row, 25);
	fixed(e->corrects, sizeof(e->corrects), res, row, 26);
	e->reason = val(a, res, row, 27);
	e->note = val(a, res, row, 28);
	e->log_index = strtoll(PQgetvalue(res, row, 29), NULL, 10);
}

/*
 * Reads detail rows: each weapon's rows into a candidate, the one of list
 * (when given) with its id, else a new one in out.
 */
static int
read_details(struct tr__arena *a, PGresult *res, struct tr__cands *out,
    struct tr__cand **list, int nlist, reg_error *err)
{
	int i, j, k, rows = PQntuples(res);

	for (i = 0; i < rows; i = j) {
		const char *id = PQgetvalue(res, i, 0);
		struct tr__cand *c = NULL;

		for (j = i; j < rows && strcmp(PQgetvalue(res, j, 0), id) == 0; j++)
			;
		if (list != NULL) {
			for (k = 0; k < nlist; k++)
				if (!list[k]->detailed && strcmp(list[k]->id, id) == 0)
					c = list[k];
			if (c == NULL)
				continue;
		} else {
			if (cands_add(out, &c) != 0)
				return tr__fail(err, REG_ENOMEM, "out of memory");
			fixed(c->id, sizeof(c->id), res, i, 0);
			snprintf(c->via, sizeof(c->via), "serial");
			c->matched = val(a, res, i, 6);
			fixed(c->manufacturer_id, sizeof(c->manufacturer_id), res, i, 1);
			c->model = val(a, res, i, 3);
			fixed(c->type, sizeof(c->type), res, i, 4);
			c->calibre = val(a, res, i, 5);
			c->serial = val(a, res, i, 6);
			fixed(c->country, sizeof(c->country), res, i, 7);
			c->year = PQgetisnull(res, i, 8) ? 0 : atoi(PQgetvalue(res, i, 8));
		}
		marks(a, c, res, i);
		c->nev = PQgetisnull(res, i, 11) ? 0 : j - i;
		c->ev = tr__alloc(a, (size_t)(c->nev ? c->nev : 1) * sizeof(*c->ev));
		for (k = 0; c->ev != NULL && k < c->nev; k++)
			event(a, &c->ev[k], res, i + k);
		if (c->ev == NULL)
			c->nev = 0;
		c->detailed = 1;
	}
	return a->failed ? tr__fail(err, REG_ENOMEM, "out of memory") : 0;
}

static int
read_cands(struct tr__arena *a, PGresult *res, struct tr__cands *out,
    reg_error *err)
{
	struct tr__cand *c;
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		if (cands_add(out, &c) != 0)
			return tr__fail(err, REG_ENOMEM, "out of memory");
		fixed(c->id, sizeof(c->id), res, i, 0);
		fixed(c->via, sizeof(c->via), res, i, 1);
		c->matched = val(a, res, i, 2);
		fixed(c->manufacturer_id, sizeof(c->manufacturer_id), res, i, 3);
		c->model = val(a, res, i, 5);
		fixed(c->type, sizeof(c->type), res, i, 6);
		c->calibre = val(a, res, i, 7);
		c->serial = val(a, res, i, 8);
		fixed(c->country, sizeof(c->country), res, i, 9);
		c->year = PQgetisnull(res, i, 10) ? 0 : atoi(PQgetvalue(res, i, 10));
		c->imports = val(a, res, i, 11);
	}
	return a->failed ? tr__fail(err, REG_ENOMEM, "out of memory") : 0;
}

int
tr__db_by_key(reg_ctx *ctx, struct tr__arena *a, const char *key,
    struct tr__cands *out, int *truncated, reg_error *err)
{
	PGconn *conn = reg_conn(ctx);
	const char *params[1] = { key };
	PGresult *res;
	int r;

	res = PQexecPrepared(conn, stmt[S_KEY].name, 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = fail_pg(err, conn, res, "cannot search the registry");
	} else {
		/* Too many weapons share the key: read what came but the last
		 * weapon, whose events may be cut. */
		if (PQntuples(res) > TR__ROWS_MAX)
			*truncated = 1;
		r = read_details(a, res, out, NULL, 0, err);
		if (r == 0 && *truncated && out->n > 0)
			out->n--;
	}
	PQclear(res);
	return r;
}

/*
 * Candidate rows from the prepared statement named stmt_name, or else from
 * sql, not prepared: each pattern is then planned for itself, so that the
 * planner sees which index serves it.
 */
static int
candidates(reg_ctx *ctx, struct tr__arena *a, const char *stmt_name,
    const char *sql, int n, const char *const *params, struct tr__cands *out,
    reg_error *err)
{
	PGconn *conn = reg_conn(ctx);
	PGresult *res;
	int r;

	if (stmt_name != NULL)
		res = PQexecPrepared(conn, stmt_name, n, params, NULL, NULL, 0);
	else
		res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = fail_pg(err, conn, res, "cannot search the registry");
	else
		r = read_cands(a, res, out, err);
	PQclear(res);
	return r;
}

int
tr__db_by_other_serials(reg_ctx *ctx, struct tr__arena *a, const char *key,
    int imports, struct tr__cands *out, reg_error *err)
{
	const char *params[2] = { key, imports ? "true" : "false" };

	return candidates(ctx, a, stmt[S_OTHER].name, NULL, 2, params, out, err);
}

int
tr__db_by_pattern(reg_ctx *ctx, struct tr__arena *a, const char *like,
    int imports, struct tr__cands *out, reg_error *err)
{
	const char *params[2] = { like, imports ? "true" : "false" };

	return candidates(ctx, a, NULL, pattern_sql, 2, params, out, err);
}

int
tr__db_by_pattern_narrowed(reg_ctx *ctx, struct tr__arena *a, const char *like,
    const char *type, const char *makers, int year, struct tr__cands *out,
    reg_error *err)
{
	char y[16];
	const char *params[5] = { like, "false", type, makers, NULL };

	if (year != 0) {
		snprintf(y, sizeof(y), "%d", year);
		params[4] = y;
	}
	return candidates(ctx, a, NULL, narrowed_sql, 5, params, out, err);
}

int
tr__db_near(reg_ctx *ctx, struct tr__arena *a, const char *key, int imports,
    struct tr__cands *out, reg_error *err)
{
	char p[4][TR__SERIAL_MAX + 2];
	const char *params[6];
	size_t n = strlen(key), m = n / 2;

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
	return candidates(ctx, a, NULL, near_sql, 6, params, out, err);
}

/* A uuid[] literal of ids; "" when there are none. */
static char *
uuid_array(struct tr__arena *a, const char *const *ids, int n)
{
	char *arr = tr__alloc(a, (size_t)n * TR__ID + 3), *p;
	int i;

	if (arr == NULL)
		return NULL;
	p = arr;
	*p++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		memcpy(p, ids[i], strlen(ids[i]));
		p += strlen(ids[i]);
	}
	*p++ = '}';
	*p = '\0';
	return arr;
}

int
tr__db_details(reg_ctx *ctx, struct tr__arena *a, struct tr__cand **list,
    int n, reg_error *err)
{
	PGconn *conn = reg_conn(ctx);
	const char *params[1], **ids;
	PGresult *res;
	int r, i, k = 0;

	if ((ids = tr__alloc(a, (size_t)(n ? n : 1) * sizeof(*ids))) == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if (!list[i]->detailed)
			ids[k++] = list[i]->id;
	if (k == 0)
		return 0;
	if ((params[0] = uuid_array(a, ids, k)) == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	res = PQexecPrepared(conn, stmt[S_IDS].name, 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = fail_pg(err, conn, res, "cannot read the candidates' records");
	else
		r = read_details(a, res, NULL, list, n, err);
	PQclear(res);
	return r;
}

/* ------------------------------------------------------------ parties */

#define CACHE_MAX (1 << 17)		/* parties kept at most */

struct tr__party_cache {
	struct tr__party **slot;	/* open addressing by id */
	size_t cap, n;
};

struct tr__party_cache *
tr__party_cache_new(void)
{
	return calloc(1, sizeof(struct tr__party_cache));
}

static void
party_free(struct tr__party *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->region);
	free(p->licence);
	free(p->pii);
	free(p);
}

static void
cache_clear(struct tr__party_cache *pc)
{
	size_t i;

	for (i = 0; i < pc->cap; i++)
		party_free(pc->slot[i]);
	free(pc->slot);
	pc->slot = NULL;
	pc->cap = pc->n = 0;
}

void
tr__party_cache_free(struct tr__party_cache *pc)
{
	if (pc == NULL)
		return;
	cache_clear(pc);
	free(pc);
}

void
tr__party_cache_trim(struct tr__party_cache *pc)
{
	if (pc->n >= CACHE_MAX)
		cache_clear(pc);
}

static size_t
hash(const char *id)
{
	size_t h = 1469598103934665603ULL;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return h;
}

static struct tr__party **
cache_slot(struct tr__party_cache *pc, const char *id)
{
	size_t i = hash(id) & (pc->cap - 1);

	while (pc->slot[i] != NULL && strcmp(pc->slot[i]->id, id) != 0)
		i = (i + 1) & (pc->cap - 1);
	return &pc->slot[i];
}

static struct tr__party *
cache_get(struct tr__party_cache *pc, const char *id)
{
	return pc->cap == 0 ? NULL : *cache_slot(pc, id);
}

static int
cache_put(struct tr__party_cache *pc, struct tr__party *p)
{
	struct tr__party **s;

	if ((pc->n + 1) * 2 > pc->cap) {
		struct tr__party_cache big = { NULL, pc->cap ? pc->cap * 2 : 1024, 0 };
		size_t i;

		if ((big.slot = calloc(big.cap, sizeof(*big.slot))) == NULL)
			return -1;
		for (i = 0; i < pc->cap; i++)
			if (pc->slot[i] != NULL) {
				*cache_slot(&big, pc->slot[i]->id) = pc->slot[i];
				big.n++;
			}
		free(pc->slot);
		*pc = big;
	}
	s = cache_slot(pc, p->id);
	if (*s != NULL) {
		party_free(p);
		return 0;
	}
	*s = p;
	pc->n++;
	return 0;
}

static char *
dup_col(PGresult *res, int row, int col, int *failed)
{
	char *s;

	if (PQgetisnull(res, row, col))
		return NULL;
	if ((s = strdup(PQgetvalue(res, row, col))) == NULL)
		*failed = 1;
	return s;
}

/* Reads the parties ids[0..n) into the cache. */
static int
read_parties(reg_ctx *ctx, struct tr__party_cache *pc, const char *arr,
    reg_error *err)
{
	PGconn *conn = reg_conn(ctx);
	const char *params[1] = { arr };
	PGresult *res;
	int i, failed = 0;

	res = PQexecPrepared(conn, stmt[S_PARTIES].name, 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int r = fail_pg(err, conn, res, "cannot read the parties");

		PQclear(res);
		return r;
	}
	for (i = 0; i < PQntuples(res) && !failed; i++) {
		struct tr__party *p = calloc(1, sizeof(*p));

		if (p == NULL) {
			failed = 1;
			break;
		}
		fixed(p->id, sizeof(p->id), res, i, 0);
		fixed(p->kind, sizeof(p->kind), res, i, 1);
		p->name = dup_col(res, i, 2, &failed);
		fixed(p->country, sizeof(p->country), res, i, 3);
		p->region = dup_col(res, i, 4, &failed);
		p->licence = dup_col(res, i, 5, &failed);
		if (!PQgetisnull(res, i, 6)) {
			size_t n = 0;
			unsigned char *b = PQunescapeBytea(
			    (const unsigned char *)PQgetvalue(res, i, 6), &n);

			if (b == NULL || (p->pii = malloc(n ? n : 1)) == NULL)
				failed = 1;
			else
				memcpy(p->pii, b, n);
			p->pii_len = n;
			PQfreemem(b);
		}
		if (failed || cache_put(pc, p) != 0) {
			party_free(p);
			failed = 1;
		}
	}
	PQclear(res);
	return failed ? tr__fail(err, REG_ENOMEM, "out of memory") : 0;
}

int
tr__db_parties(reg_ctx *ctx, struct tr__party_cache *pc, struct tr__cand **list,
    int n, reg_error *err)
{
	struct tr__arena a = { NULL, 0 };
	const char **miss = NULL;
	int i, k, nmiss = 0, cap = 0, r = 0, pass;

	/* Pass 0 collects the parties the cache lacks; pass 1 points at them. */
	for (pass = 0; pass < 2 && r == 0; pass++) {
		for (i = 0; i < n; i++)
			for (k = 0; k < list[i]->nev; k++) {
				struct tr__event *e = &list[i]->ev[k];
				const char *ids[2] = { e->from_id, e->to_id };
				struct tr__party **dst[2] = { &e->from, &e->to };
				int s;

				for (s = 0; s < 2; s++) {
					if (ids[s][0] == '\0')
						continue;
					*dst[s] = cache_get(pc, ids[s]);
					if (pass == 1 || *dst[s] != NULL)
						continue;
					if (nmiss == cap) {
						const char **m;

						cap = cap ? cap * 2 : 32;
						if ((m = realloc(miss, (size_t)cap * sizeof(*m))) == NULL) {
							free(miss);
							return tr__fail(err, REG_ENOMEM, "out of memory");
						}
						miss = m;
					}
					miss[nmiss++] = ids[s];
				}
			}
		if (pass == 0 && nmiss > 0) {
			char *arr = uuid_array(&a, miss, nmiss);

			r = arr == NULL ? tr__fail(err, REG_ENOMEM, "out of memory") :
			    read_parties(ctx, pc, arr, err);
		}
	}
	free(miss);
	tr__arena_free(&a);
	return r;
}

int
tr__db_aliases(reg_ctx *ctx, struct tr__maker_alias **out, int *n,
    reg_error *err)
{
	PGconn *conn = reg_conn(ctx);
	PGresult *res;
	struct tr__maker_alias *al;
	int i, rows;

	*out = NULL;
	*n = 0;
	res = PQexecPrepared(conn, stmt[S_ALIASES].name, 0, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int r = fail_pg(err, conn, res, "cannot read the manufacturers");

		PQclear(res);
		return r;
	}
	rows = PQntuples(res);
	al = calloc(rows ? (size_t)rows : 1, sizeof(*al));
	if (al == NULL) {
		PQclear(res);
		return tr__fail(err, REG_ENOMEM, "out of memory");
	}
	for (i = 0; i < rows; i++) {
		fixed(al[i].norm, sizeof(al[i].norm), res, i, 0);
		fixed(al[i].manufacturer_id, sizeof(al[i].manufacturer_id), res, i, 1);
		fixed(al[i].kind, sizeof(al[i].kind), res, i, 2);
		fixed(al[i].words, sizeof(al[i].words), res, i, 3);
		fixed(al[i].maker, sizeof(al[i].maker), res, i, 4);
	}
	PQclear(res);
	*out = al;
	*n = rows;
	return 0;
}
