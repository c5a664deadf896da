/*
 * The engine's queries: candidates by search key, by a pattern of readable
 * characters, or within two edits; their markings, components and history
 * with the parties involved; and the manufacturers' aliases.  Every query is
 * parameterised; the exact search and the details of its candidates go in
 * one round trip (libpq's pipeline mode).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "tracer_int.h"

/* A serial's search key in SQL, as migration 0005 indexes it. */
#define KEY(col) "translate(" col ", 'D7', '01')"

#define MATCH(cond_w, cond_c, cond_m) \
	"WITH c AS (SELECT id AS wid, 'serial'::text AS via, serial AS matched " \
	"FROM weapon WHERE " cond_w " " \
	"UNION ALL SELECT weapon_id, 'component ' || kind, serial FROM component " \
	"WHERE " cond_c " " \
	"UNION ALL SELECT weapon_id, 'import', new_serial FROM marking " \
	"WHERE new_serial IS NOT NULL AND " cond_m " LIMIT 200) "

#define MATCH_KEY MATCH(KEY("serial_norm") " = $1", KEY("serial_norm") " = $1", \
	"reg_serial_key(new_serial) = $1") \
	", d AS (SELECT DISTINCT wid FROM c WHERE " \
	"(SELECT count(DISTINCT wid) FROM c) <= 8) "
#define MATCH_IDS "WITH d AS (SELECT DISTINCT unnest($1::uuid[]) AS wid) "
#define MATCH_PATTERN MATCH(KEY("serial_norm") " LIKE $1", \
	KEY("serial_norm") " LIKE $1", "reg_serial_key(new_serial) LIKE $1")
#define NEAR(k) "(" k " LIKE $2 OR " k " LIKE $3 OR " k " LIKE $4 OR " k \
	" LIKE $5) AND levenshtein_less_equal(" k ", $1, 2) <= 2"
#define MATCH_NEAR MATCH(NEAR(KEY("serial_norm")), NEAR(KEY("serial_norm")), \
	NEAR("reg_serial_key(new_serial)"))

#define CAND_BODY \
	"SELECT c.wid::text, c.via, c.matched, w.manufacturer_id::text, m.name, " \
	"w.model, w.type, w.calibre, w.serial, w.country_of_manufacture::text, " \
	"w.year_of_manufacture, (SELECT string_agg(coalesce(mk.country::text, '') " \
	"|| ':' || coalesce(mk.year::text, ''), ',') FROM marking mk " \
	"WHERE mk.weapon_id = w.id AND mk.kind = 'import') " \
	"FROM c JOIN weapon w ON w.id = c.wid " \
	"LEFT JOIN manufacturer m ON m.id = w.manufacturer_id"
#define MARK_BODY \
	"SELECT weapon_id::text, kind, text, location, country::text, year, " \
	"new_serial FROM marking WHERE weapon_id IN (SELECT wid FROM d) " \
	"ORDER BY weapon_id, log_index"
#define COMP_BODY \
	"SELECT weapon_id::text, kind, serial FROM component " \
	"WHERE weapon_id IN (SELECT wid FROM d) ORDER BY weapon_id, log_index"
#define PARTY(p) p ".id::text, " p ".kind, " p ".name, " p ".country::text, " \
	p ".region, " p ".licence, " p ".pii"
#define EVENT_BODY \
	"SELECT e.weapon_id::text, e.id::text, e.seq, e.kind, " \
	"to_char(e.event_date, 'YYYY-MM-DD'), " PARTY("pf") ", " PARTY("pt") ", " \
	"e.licence_number, to_char(e.licence_issued, 'YYYY-MM-DD'), " \
	"to_char(e.licence_expires, 'YYYY-MM-DD'), e.euc_ref, " \
	"e.export_country::text, e.import_country::text, " \
	"array_to_string(e.transit_countries, ','), e.final_recipient, " \
	"e.certificate, e.corrects::text, e.reason, e.note, e.log_index " \
	"FROM event e LEFT JOIN party pf ON pf.id = e.from_party " \
	"LEFT JOIN party pt ON pt.id = e.to_party " \
	"WHERE e.weapon_id IN (SELECT wid FROM d) ORDER BY e.weapon_id, e.seq"

enum { S_KEY_CAND, S_KEY_MARK, S_KEY_COMP, S_KEY_EVENT, S_IDS_MARK, S_IDS_COMP,
	S_IDS_EVENT, S_ALIASES, NSTMT };

static const struct {
	const char *name, *sql;
} stmt[NSTMT] = {
	[S_KEY_CAND] = { "tr_key_cand", MATCH_KEY CAND_BODY },
	[S_KEY_MARK] = { "tr_key_mark", MATCH_KEY MARK_BODY },
	[S_KEY_COMP] = { "tr_key_comp", MATCH_KEY COMP_BODY },
	[S_KEY_EVENT] = { "tr_key_event", MATCH_KEY EVENT_BODY },
	[S_IDS_MARK] = { "tr_ids_mark", MATCH_IDS MARK_BODY },
	[S_IDS_COMP] = { "tr_ids_comp", MATCH_IDS COMP_BODY },
	[S_IDS_EVENT] = { "tr_ids_event", MATCH_IDS EVENT_BODY },
	[S_ALIASES] = { "tr_aliases", "SELECT alias_norm, manufacturer_id::text, kind, "
	    "upper(alias) FROM manufacturer_alias" },
};

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

/*
 * Runs prepared statements ids[0..n) with the same parameters in one round
 * trip.  res[] receives their results; on failure none is kept.
 */
static int
pipeline(PGconn *conn, const int *ids, int n, int nparams,
    const char *const *params, PGresult **res, reg_error *err)
{
	PGresult *x;
	int i, r = 0;

	memset(res, 0, (size_t)n * sizeof(*res));
	if (PQenterPipelineMode(conn) != 1)
		return fail_pg(err, conn, NULL, "cannot search the registry");
	for (i = 0; i < n; i++)
		if (PQsendQueryPrepared(conn, stmt[ids[i]].name, nparams, params, NULL,
		    NULL, 0) != 1 && r == 0)
			r = fail_pg(err, conn, NULL, "cannot search the registry");
	if (PQpipelineSync(conn) != 1 && r == 0)
		r = fail_pg(err, conn, NULL, "cannot search the registry");
	for (i = 0; i < n; i++) {
		x = PQgetResult(conn);
		if (x == NULL)
			break;
		if (PQresultStatus(x) != PGRES_TUPLES_OK && r == 0)
			r = fail_pg(err, conn, x, "cannot search the registry");
		res[i] = x;
		while ((x = PQgetResult(conn)) != NULL)
			PQclear(x);
	}
	while ((x = PQgetResult(conn)) != NULL) {
		int st = PQresultStatus(x);

		PQclear(x);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	if (PQexitPipelineMode(conn) != 1 && r == 0)
		r = fail_pg(err, conn, NULL, "cannot search the registry");
	if (r != 0)
		for (i = 0; i < n; i++) {
			PQclear(res[i]);
			res[i] = NULL;
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
	return 0;
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
		c->manufacturer = val(a, res, i, 4);
		c->model = val(a, res, i, 5);
		fixed(c->type, sizeof(c->type), res, i, 6);
		c->calibre = val(a, res, i, 7);
		c->serial = val(a, res, i, 8);
		fixed(c->country, sizeof(c->country), res, i, 9);
		c->year = PQgetisnull(res, i, 10) ? 0 : atoi(PQgetvalue(res, i, 10));
		c->imports = val(a, res, i, 11);
		c->chain.last_legal = c->chain.finding_event = c->chain.export_event = -1;
	}
	return a->failed ? tr__fail(err, REG_ENOMEM, "out of memory") : 0;
}

/* The rows of res whose first column is id: [*first, *first + count). */
static int
rows_of(PGresult *res, const char *id, int *first)
{
	int lo = 0, hi = PQntuples(res), n = 0;

	/* Rows are sorted by weapon id (uuid order is byte order is text
	 * order for lower-case hex). */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (strcmp(PQgetvalue(res, mid, 0), id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo + n < PQntuples(res) && strcmp(PQgetvalue(res, lo + n, 0), id) == 0)
		n++;
	return n;
}

static struct tr__party *
read_party(struct tr__arena *a, PGresult *res, int row, int col)
{
	struct tr__party *p;

	if (PQgetisnull(res, row, col))
		return NULL;
	if ((p = tr__alloc(a, sizeof(*p))) == NULL)
		return NULL;
	fixed(p->id, sizeof(p->id), res, row, col);
	fixed(p->kind, sizeof(p->kind), res, row, col + 1);
	p->name = val(a, res, row, col + 2);
	fixed(p->country, sizeof(p->country), res, row, col + 3);
	p->region = val(a, res, row, col + 4);
	p->licence = val(a, res, row, col + 5);
	if (!PQgetisnull(res, row, col + 6)) {
		size_t n = 0;
		unsigned char *b = PQunescapeBytea(
		    (const unsigned char *)PQgetvalue(res, row, col + 6), &n);

		if (b == NULL) {
			a->failed = 1;
			return p;
		}
		if ((p->pii = tr__alloc(a, n ? n : 1)) != NULL)
			memcpy(p->pii, b, n);
		p->pii_len = n;
		PQfreemem(b);
	}
	return p;
}

/* Attaches markings, components and events to the candidate c. */
static void
attach(struct tr__arena *a, struct tr__cand *c, PGresult *mark, PGresult *comp,
    PGresult *ev)
{
	int first, n, i;

	n = rows_of(mark, c->id, &first);
	c->marks = tr__alloc(a, (size_t)(n ? n : 1) * sizeof(*c->marks));
	for (i = 0; c->marks != NULL && i < n; i++) {
		struct tr__marking *m = &c->marks[i];
		int row = first + i;

		fixed(m->kind, sizeof(m->kind), mark, row, 1);
		m->text = val(a, mark, row, 2);
		fixed(m->location, sizeof(m->location), mark, row, 3);
		fixed(m->country, sizeof(m->country), mark, row, 4);
		m->year = PQgetisnull(mark, row, 5) ? 0 : atoi(PQgetvalue(mark, row, 5));
		m->new_serial = val(a, mark, row, 6);
	}
	c->nmarks = c->marks ? n : 0;
	n = rows_of(comp, c->id, &first);
	c->comps = tr__alloc(a, (size_t)(n ? n : 1) * sizeof(*c->comps));
	for (i = 0; c->comps != NULL && i < n; i++) {
		fixed(c->comps[i].kind, sizeof(c->comps[i].kind), comp, first + i, 1);
		c->comps[i].serial = val(a, comp, first + i, 2);
	}
	c->ncomps = c->comps ? n : 0;
	n = rows_of(ev, c->id, &first);
	c->ev = tr__alloc(a, (size_t)(n ? n : 1) * sizeof(*c->ev));
	for (i = 0; c->ev != NULL && i < n; i++) {
		struct tr__event *e = &c->ev[i];
		int row = first + i;

		fixed(e->id, sizeof(e->id), ev, row, 1);
		e->seq = atoi(PQgetvalue(ev, row, 2));
		fixed(e->kind, sizeof(e->kind), ev, row, 3);
		fixed(e->date, sizeof(e->date), ev, row, 4);
		e->from = read_party(a, ev, row, 5);
		e->to = read_party(a, ev, row, 12);
		e->licence_number = val(a, ev, row, 19);
		fixed(e->licence_issued, sizeof(e->licence_issued), ev, row, 20);
		fixed(e->licence_expires, sizeof(e->licence_expires), ev, row, 21);
		e->euc = val(a, ev, row, 22);
		fixed(e->export_country, sizeof(e->export_country), ev, row, 23);
		fixed(e->import_country, sizeof(e->import_country), ev, row, 24);
		e->transit = val(a, ev, row, 25);
		if (e->transit != NULL && e->transit[0] == '\0')
			e->transit = NULL;
		e->final_recipient = val(a, ev, row, 26);
		e->certificate = val(a, ev, row, 27);
		fixed(e->corrects, sizeof(e->corrects), ev, row, 28);
		e->reason = val(a, ev, row, 29);
		e->note = val(a, ev, row, 30);
		e->log_index = strtoll(PQgetvalue(ev, row, 31), NULL, 10);
	}
	c->nev = c->ev ? n : 0;
	c->detailed = 1;
}

int
tr__db_by_key(reg_ctx *ctx, struct tr__arena *a, const char *key,
    struct tr__cands *out, reg_error *err)
{
	static const int ids[4] = { S_KEY_CAND, S_KEY_MARK, S_KEY_COMP, S_KEY_EVENT };
	const char *params[1] = { key };
	PGresult *res[4];
	int r, first = out->n, i;

	if ((r = pipeline(reg_conn(ctx), ids, 4, 1, params, res, err)) != 0)
		return r;
	r = read_cands(a, res[0], out, err);
	/* The details came along when there were few candidates. */
	for (i = first; r == 0 && i < out->n; i++) {
		int f;

		if (rows_of(res[3], out->c[i].id, &f) > 0)
			attach(a, &out->c[i], res[1], res[2], res[3]);
	}
	for (i = 0; i < 4; i++)
		PQclear(res[i]);
	if (r == 0 && a->failed)
		r = tr__fail(err, REG_ENOMEM, "out of memory");
	return r;
}

static int
by_params(reg_ctx *ctx, struct tr__arena *a, const char *sql, int n,
    const char *const *params, struct tr__cands *out, reg_error *err)
{
	PGconn *conn = reg_conn(ctx);
	PGresult *res;
	int r;

	/* Not prepared: each pattern is planned for itself, so that the
	 * planner sees which index serves it. */
	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = fail_pg(err, conn, res, "cannot search the registry");
	else
		r = read_cands(a, res, out, err);
	PQclear(res);
	return r;
}

int
tr__db_by_pattern(reg_ctx *ctx, struct tr__arena *a, const char *like,
    struct tr__cands *out, reg_error *err)
{
	const char *params[1] = { like };

	return by_params(ctx, a, MATCH_PATTERN CAND_BODY, 1, params, out, err);
}

int
tr__db_near(reg_ctx *ctx, struct tr__arena *a, const char *key,
    struct tr__cands *out, reg_error *err)
{
	char p[4][TR__SERIAL_MAX + 2];
	const char *params[5];
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
	params[1] = p[0];
	params[2] = p[1];
	params[3] = p[2];
	params[4] = p[3];
	return by_params(ctx, a, MATCH_NEAR CAND_BODY, 5, params, out, err);
}

int
tr__db_details(reg_ctx *ctx, struct tr__arena *a, struct tr__cand **list,
    int n, reg_error *err)
{
	static const int ids[3] = { S_IDS_MARK, S_IDS_COMP, S_IDS_EVENT };
	const char *params[1];
	PGresult *res[3];
	char *arr, *p;
	int r, i, any = 0;

	/* A uuid[] literal of the candidates still without details. */
	arr = tr__alloc(a, (size_t)n * TR__ID + 3);
	if (arr == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	p = arr;
	*p++ = '{';
	for (i = 0; i < n; i++) {
		if (list[i]->detailed)
			continue;
		if (any)
			*p++ = ',';
		memcpy(p, list[i]->id, strlen(list[i]->id));
		p += strlen(list[i]->id);
		any = 1;
	}
	*p++ = '}';
	*p = '\0';
	if (!any)
		return 0;
	params[0] = arr;
	if ((r = pipeline(reg_conn(ctx), ids, 3, 1, params, res, err)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if (!list[i]->detailed)
			attach(a, list[i], res[0], res[1], res[2]);
	for (i = 0; i < 3; i++)
		PQclear(res[i]);
	return a->failed ? tr__fail(err, REG_ENOMEM, "out of memory") : 0;
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
	}
	PQclear(res);
	*out = al;
	*n = rows;
	return 0;
}
