/*
 * The engine's queries.  Every query is parameterised.
 *
 * The common case, a serial read whole, is one query: the weapons of the
 * trace engine's read model (trace_weapon, migration 0011) under the
 * search key, each one row holding its weapon, marking, component and
 * event records; one probe of one index.  Should more records share the
 * key than are read at once, or should they not read back, the
 * same comes from the records themselves: the weapons with the key, each
 * with its markings and components (as JSON arrays) and one row per event,
 * which the candidates of the other searches are also read with by id.
 * The other searches (unreadable
 * positions, one edit, components' and importers' serials) answer light
 * candidate rows for scoring; the details of the ones to answer follow by
 * id.  Parties are read by id into a cache that lives as long as the engine
 * (party records never change), so a warm engine reads none.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "common/strmap.h"
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

/*
 * The read model's weapons under a search key (trace_weapon, migration
 * 0011): each one value, its records as an array of trace_rec literals,
 * sent in binary (an array's send format: the elements as they are
 * stored, the server writes nothing out).  unpack() makes them one row per
 * record, the columns of trace_rec:
 *  0 kind (w, m, c, e), 1 weapon id, 2 manufacturer_id, 3 model, 4 type,
 *  5 calibre, 6 serial, 7 country, 8 year, 9 text, 10 location,
 *  11 new serial, 12 event id ... 30 log index: the event's columns in
 *  DETAIL_COLS's order from 12 on (its 13, the event's kind, is every
 *  record's own kind).
 */
#define ROW_EVENT 12
#define ROW_COLS 31
#define ROW_LOG_INDEX 30
/*
 * With each weapon's row come, in the same statement, the log's leaves of
 * the weapon's records as the record tables list them (their log indexes,
 * through the weapon-id indexes), each as one bytea: its index (8 bytes,
 * big-endian), the leaf hash the log stores with it (the first 32 bytes of
 * its nodes, which inclusion proofs start from) and the leaf; and the
 * number of weapons the record table has under the key.  A key without
 * rows still gives one row (recs NULL), for that number.  check_leaves()
 * then holds what is served against the leaves.
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

/*
 * Where values are read from: a result's columns, or the read model's
 * records unpacked into cells (rows of ROW_COLS), each pointing into the
 * result or, unescaped, into the arena; v NULL for NULL.
 */
struct cell {
	const char *v;
	int len;
};
struct src {
	PGresult *res;
	const struct cell *cells;
};

static const char *
get(const struct src *s, int row, int col, int *len)
{
	if (s->cells != NULL) {
		const struct cell *c = &s->cells[(size_t)row * ROW_COLS + (size_t)col];

		*len = c->len;
		return c->v;
	}
	*len = PQgetlength(s->res, row, col);
	return PQgetisnull(s->res, row, col) ? NULL : PQgetvalue(s->res, row, col);
}

/* The value, copied into the arena; NULL for NULL. */
static char *
sval(struct tr__arena *a, const struct src *s, int row, int col)
{
	int n;
	const char *v = get(s, row, col, &n);
	char *p;

	if (v == NULL)
		return NULL;
	if ((p = tr__alloc(a, (size_t)n + 1)) != NULL)
		memcpy(p, v, (size_t)n);
	return p;
}

/* A decimal integer's value; 0 for NULL or for what is not one. */
static long long
sint(const struct src *s, int row, int col)
{
	int n, i = 0, neg;
	const char *v = get(s, row, col, &n);
	unsigned long long x = 0;

	if (v == NULL || n == 0)
		return 0;
	if ((neg = v[0] == '-'))
		i++;
	for (; i < n && v[i] >= '0' && v[i] <= '9' && x < 1000000000000000000ULL; i++)
		x = x * 10 + (unsigned long long)(v[i] - '0');
	return neg ? -(long long)x : (long long)x;
}

/* The value as text into out, cut to fit; "" for NULL. */
static void
sfixed(char *out, size_t outlen, const struct src *s, int row, int col)
{
	int n;
	const char *v = get(s, row, col, &n);

	if (v == NULL)
		n = 0;
	if ((size_t)n >= outlen)
		n = (int)outlen - 1;
	memcpy(out, v != NULL ? v : "", (size_t)n);
	out[n] = '\0';
}

/* The same of a result's column. */
static char *
val(struct tr__arena *a, PGresult *res, int row, int col)
{
	const struct src s = { res, NULL };

	return sval(a, &s, row, col);
}

static void
fixed(char *out, size_t outlen, PGresult *res, int row, int col)
{
	const struct src s = { res, NULL };

	sfixed(out, outlen, &s, row, col);
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

/* A JSON array of arrays of strings, numbers or nulls, as a column.  A
 * value that does not load (out of memory) marks the arena failed: it must
 * never read as an empty list, which would drop a weapon's markings or
 * components from a signed answer. */
static json_t *
json_col(struct tr__arena *a, PGresult *res, int row, int col)
{
	json_t *j;

	if (PQgetisnull(res, row, col))
		return NULL;
	if ((j = json_loads(PQgetvalue(res, row, col), 0, NULL)) == NULL)
		a->failed = 1;
	return j;
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

/* The import summary so far ("CC:YYYY,..."), with mk if it is an import
 * marking. */
static char *
import_summary(struct tr__arena *a, char *imports, const struct tr__marking *mk)
{
	if (strcmp(mk->kind, "import") != 0)
		return imports;
	return imports == NULL ? tr__printf(a, "%s:%d", mk->country, mk->year) :
	    tr__printf(a, "%s,%s:%d", imports, mk->country, mk->year);
}

/* Fills c's markings, components and import summary from row's JSON. */
static void
marks(struct tr__arena *a, struct tr__cand *c, PGresult *res, int row)
{
	json_t *m = json_col(a, res, row, 9), *k = json_col(a, res, row, 10), *x;
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
		imports = import_summary(a, imports, mk);
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

/* Reads row's event columns, from column b on in DETAIL_COLS's order (its
 * 11 on), into e (party pointers come later). */
static void
event(struct tr__arena *a, struct tr__event *e, const struct src *s, int row, int b)
{
	sfixed(e->id, sizeof(e->id), s, row, b);
	e->seq = (int)sint(s, row, b + 1);
	sfixed(e->kind, sizeof(e->kind), s, row, b + 2);
	sfixed(e->date, sizeof(e->date), s, row, b + 3);
	sfixed(e->from_id, sizeof(e->from_id), s, row, b + 4);
	sfixed(e->to_id, sizeof(e->to_id), s, row, b + 5);
	e->licence_number = sval(a, s, row, b + 6);
	sfixed(e->licence_issued, sizeof(e->licence_issued), s, row, b + 7);
	sfixed(e->licence_expires, sizeof(e->licence_expires), s, row, b + 8);
	e->euc = sval(a, s, row, b + 9);
	sfixed(e->export_country, sizeof(e->export_country), s, row, b + 10);
	sfixed(e->import_country, sizeof(e->import_country), s, row, b + 11);
	e->transit = sval(a, s, row, b + 12);
	if (e->transit != NULL && e->transit[0] == '\0')
		e->transit = NULL;
	e->final_recipient = sval(a, s, row, b + 13);
	e->certificate = sval(a, s, row, b + 14);
	sfixed(e->corrects, sizeof(e->corrects), s, row, b + 15);
	e->reason = sval(a, s, row, b + 16);
	e->note = sval(a, s, row, b + 17);
	e->log_index = sint(s, row, b + 18);
}

/* Reads a weapon found by its serial: its id and manufacturer's from
 * columns id and maker, the rest from columns 3 (model) to 8 (year). */
static void
identity(struct tr__arena *a, struct tr__cand *c, const struct src *s, int row,
    int id, int maker)
{
	sfixed(c->id, sizeof(c->id), s, row, id);
	snprintf(c->via, sizeof(c->via), "serial");
	c->matched = sval(a, s, row, 6);
	sfixed(c->manufacturer_id, sizeof(c->manufacturer_id), s, row, maker);
	c->model = sval(a, s, row, 3);
	sfixed(c->type, sizeof(c->type), s, row, 4);
	c->calibre = sval(a, s, row, 5);
	c->serial = sval(a, s, row, 6);
	sfixed(c->country, sizeof(c->country), s, row, 7);
	c->year = (int)sint(s, row, 8);
}

/*
 * Reads detail rows: each weapon's rows into a candidate, the one of list
 * (when given) with its id, else a new one in out.
 */
static int
read_details(struct tr__arena *a, PGresult *res, struct tr__cands *out,
    struct tr__cand **list, int nlist, reg_error *err)
{
	const struct src src = { res, NULL };
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
			identity(a, c, &src, i, 0, 1);
		}
		marks(a, c, res, i);
		c->nev = PQgetisnull(res, i, 11) ? 0 : j - i;
		c->ev = tr__alloc(a, (size_t)(c->nev ? c->nev : 1) * sizeof(*c->ev));
		for (k = 0; c->ev != NULL && k < c->nev; k++)
			event(a, &c->ev[k], &src, i + k, 11);
		if (c->ev == NULL)
			c->nev = 0;
		c->detailed = 1;
	}
	return a->failed ? tr__fail(err, REG_ENOMEM, "out of memory") : 0;
}

/* A read-model row, as read_rows() orders them. */
struct row_ref {
	int row;
	const char *weapon;	/* the weapon's id, as it came */
	int wlen;
	int kind;		/* KINDS's index */
	long long order;	/* markings, components: log index; events: seq */
};

static const char KINDS[] = "wmce";

/* Orders two records' weapon ids (as text). */
static int
same_weapon(const struct row_ref *p, const struct row_ref *q)
{
	int c = memcmp(p->weapon, q->weapon, (size_t)(p->wlen < q->wlen ?
	    p->wlen : q->wlen));

	return c != 0 ? c : p->wlen - q->wlen;
}

static int
row_cmp(const void *x, const void *y)
{
	const struct row_ref *p = x, *q = y;
	int c = same_weapon(p, q);

	if (c != 0)
		return c;
	if (p->kind != q->kind)
		return p->kind - q->kind;
	return (p->order > q->order) - (p->order < q->order);
}

/*
 * Reads the read model's rows: a candidate for each weapon, in the order of
 * their ids, with its markings and components in the order they were
 * recorded and its events in sequence, as read_details() reads the same
 * weapons from DETAIL_COLS.  1 when the rows are not a weapon's whole
 * records (a row without its weapon's, a weapon twice): the caller reads
 * the records themselves.
 */
static int
read_rows(struct tr__arena *a, const struct src *s, int rows,
    struct tr__cands *out, reg_error *err)
{
	int i, j, k, n[4];
	struct row_ref *r = tr__alloc(a, (size_t)(rows ? rows : 1) * sizeof(*r));

	if (r == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	for (i = 0; i < rows; i++) {
		int len;
		const char *kind = get(s, i, 0, &len), *at;

		if (kind == NULL || len != 1 || kind[0] == '\0' ||
		    (at = strchr(KINDS, kind[0])) == NULL ||
		    (r[i].weapon = get(s, i, 1, &r[i].wlen)) == NULL)
			return 1;
		r[i].row = i;
		r[i].kind = (int)(at - KINDS);
		r[i].order = sint(s, i, r[i].kind == 3 ? ROW_EVENT + 1 :
		    ROW_EVENT + 18);
	}
	qsort(r, (size_t)rows, sizeof(*r), row_cmp);
	for (i = 0; i < rows; i = j) {
		struct tr__cand *c;
		int w = r[i].row;
		char *imports = NULL;

		memset(n, 0, sizeof(n));
		for (j = i; j < rows && same_weapon(&r[j], &r[i]) == 0; j++)
			n[r[j].kind]++;
		if (n[0] != 1)
			return 1;
		if (cands_add(out, &c) != 0)
			return tr__fail(err, REG_ENOMEM, "out of memory");
		identity(a, c, s, w, 1, 2);
		c->marks = tr__alloc(a, (size_t)(n[1] ? n[1] : 1) * sizeof(*c->marks));
		c->comps = tr__alloc(a, (size_t)(n[2] ? n[2] : 1) * sizeof(*c->comps));
		c->ev = tr__alloc(a, (size_t)(n[3] ? n[3] : 1) * sizeof(*c->ev));
		if (c->marks == NULL || c->comps == NULL || c->ev == NULL)
			return tr__fail(err, REG_ENOMEM, "out of memory");
		for (k = i + 1; k < j; k++) {
			int row = r[k].row;

			if (r[k].kind == 1) {
				struct tr__marking *mk = &c->marks[c->nmarks++];

				sfixed(mk->kind, sizeof(mk->kind), s, row, ROW_EVENT + 2);
				mk->text = sval(a, s, row, 9);
				sfixed(mk->location, sizeof(mk->location), s, row, 10);
				sfixed(mk->country, sizeof(mk->country), s, row, 7);
				mk->year = (int)sint(s, row, 8);
				mk->new_serial = sval(a, s, row, 11);
				imports = import_summary(a, imports, mk);
			} else if (r[k].kind == 2) {
				struct tr__component *cp = &c->comps[c->ncomps++];

				sfixed(cp->kind, sizeof(cp->kind), s, row, ROW_EVENT + 2);
				cp->serial = sval(a, s, row, 6);
			} else {
				event(a, &c->ev[c->nev++], s, row, ROW_EVENT);
			}
		}
		c->imports = imports;
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

/*
 * Reads a trace_rec literal (record_out's text: "(f,f,...)", a field quoted
 * when it must be, with "" and \ escaping in it; nothing for NULL) of len
 * bytes into ROW_COLS cells: a plain field points into p, a quoted one is
 * copied unescaped into the arena.  1 when it is not one, -1 out of memory.
 */
static int
read_record(struct tr__arena *a, struct cell *cells, const char *p, size_t len)
{
	size_t i = 1, end = len - 1;
	int col = 0;

	if (len < 2 || p[0] != '(' || p[end] != ')')
		return 1;
	for (;;) {
		size_t start = i;
		struct cell *c;

		if (col == ROW_COLS)
			return 1;
		c = &cells[col++];
		while (i < end && p[i] != ',' && p[i] != '"' && p[i] != '\\')
			i++;
		if (i < end && p[i] != ',') {
			char *buf = tr__alloc(a, end - start);
			size_t n = 0;
			int quoted = 0;

			if (buf == NULL)
				return -1;
			for (i = start; i < end && (quoted || p[i] != ','); ) {
				if (p[i] == '"' && quoted && i + 1 < end && p[i + 1] == '"') {
					buf[n++] = '"';
					i += 2;
				} else if (p[i] == '"') {
					quoted = !quoted;
					i++;
				} else if (p[i] == '\\' && i + 1 < end) {
					buf[n++] = p[i + 1];
					i += 2;
				} else {
					buf[n++] = p[i++];
				}
			}
			if (quoted)
				return 1;
			c->v = buf;
			c->len = (int)n;
		} else {
			c->v = i == start ? NULL : p + start;
			c->len = (int)(i - start);
		}
		if (i >= end)
			break;
		i++;				/* the comma */
	}
	return col == ROW_COLS ? 0 : 1;
}

/* A big-endian int32 of an array's send format. */
static int32_t
get32(const unsigned char *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

/* The number of elements of row i's array (one dimension of text, its
 * send format), or -1 when it is not one. */
static int32_t
elements(PGresult *res, int i)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, i, 0);
	int32_t n;

	if (PQgetisnull(res, i, 0) || PQgetlength(res, i, 0) < 20 ||
	    get32(p) != 1 || get32(p + 8) != 25 || (n = get32(p + 12)) < 1)
		return -1;
	return n;
}

/*
 * The read model's weapons (one text[] of trace_rec literals each, in
 * binary) as one row of ROW_COLS cells per record into *cells, *nrecs of
 * them.  0 done, 1 when they are not what the read model writes or more
 * than TR__ROWS_MAX records (the records are then read), -1 out of memory.
 */
static int
unpack(struct tr__arena *a, PGresult *res, struct cell **cells, int *nrecs)
{
	int i, k, total = 0, rec = 0, r;
	struct cell *c;

	for (i = 0; i < PQntuples(res); i++) {
		int32_t n = elements(res, i);

		if (PQgetisnull(res, i, 0) && PQntuples(res) == 1)
			n = 0;			/* no row under the key */
		if (n < 0 || n > TR__ROWS_MAX - total)
			return 1;
		total += n;
	}
	c = tr__alloc(a, (size_t)(total ? total : 1) * ROW_COLS * sizeof(*c));
	if (c == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		const char *p = PQgetvalue(res, i, 0);
		size_t len = (size_t)PQgetlength(res, i, 0), at = 20;
		int32_t n = elements(res, i);

		if (PQgetisnull(res, i, 0))
			continue;
		for (k = 0; k < n; k++) {
			int32_t el;

			if (len - at < 4 ||
			    (el = get32((const unsigned char *)p + at)) < 0 ||
			    (size_t)el > len - at - 4)
				return 1;
			at += 4;
			r = read_record(a, &c[(size_t)rec++ * ROW_COLS], p + at, (size_t)el);
			if (r != 0)
				return r;
			at += (size_t)el;
		}
		if (at != len)
			return 1;
	}
	*cells = c;
	*nrecs = rec;
	return 0;
}

/* ------------------------------------------- the read model's leaves */

/* One leaf that came with the read model's rows. */
struct leafref {
	uint64_t idx;
	const unsigned char *hash;	/* the hash stored with it (32 bytes) */
	const char *leaf;
	size_t len;
	int used;			/* a served record is this leaf's */
};

static int
leaf_cmp(const void *x, const void *y)
{
	const struct leafref *p = x, *q = y;

	return (p->idx > q->idx) - (p->idx < q->idx);
}

static struct leafref *
leaf_find(struct leafref *l, int n, uint64_t idx)
{
	struct leafref k;

	k.idx = idx;
	return bsearch(&k, l, (size_t)n, sizeof(*l), leaf_cmp);
}

/* Which cell of a record is which column of its leaf, by kind. */
struct field {
	int cell;
	const char *col;
};
static const struct field weapon_fields[] = {
	{ 1, "id" }, { 2, "manufacturer_id" }, { 3, "model" }, { 4, "type" },
	{ 5, "calibre" }, { 6, "serial" }, { 7, "country_of_manufacture" },
	{ 8, "year_of_manufacture" }, { -1, NULL }
};
static const struct field marking_fields[] = {
	{ 1, "weapon_id" }, { 14, "kind" }, { 9, "text" }, { 10, "location" },
	{ 7, "country" }, { 8, "year" }, { 11, "new_serial" }, { -1, NULL }
};
static const struct field component_fields[] = {
	{ 1, "weapon_id" }, { 14, "kind" }, { 6, "serial" }, { -1, NULL }
};
static const struct field event_fields[] = {
	{ 1, "weapon_id" }, { 12, "id" }, { 13, "seq" }, { 14, "kind" },
	{ 15, "event_date" }, { 16, "from_party" }, { 17, "to_party" },
	{ 18, "licence_number" }, { 19, "licence_issued" },
	{ 20, "licence_expires" }, { 21, "euc_ref" }, { 22, "export_country" },
	{ 23, "import_country" }, { 24, "transit_countries" },
	{ 25, "final_recipient" }, { 26, "certificate" }, { 27, "corrects" },
	{ 28, "reason" }, { 29, "note" }, { -1, NULL }
};

/* A leaf's value against a cell (NULL against NULL, or the same bytes). */
static int
same_cell(const struct cell *c, const char *v, size_t n)
{
	if (c->v == NULL || v == NULL)
		return c->v == NULL && v == NULL;
	return (size_t)c->len == n && memcmp(c->v, v, n) == 0;
}

/* A cell's unsigned decimal value; -1 when it is not one. */
static long long
cell_index(const struct cell *c)
{
	long long x = 0;
	int i;

	if (c->v == NULL || c->len == 0 || c->len > 18)
		return -1;
	for (i = 0; i < c->len; i++) {
		if (c->v[i] < '0' || c->v[i] > '9')
			return -1;
		x = x * 10 + (c->v[i] - '0');
	}
	return x;
}

/* The leaves of row i (a bytea[] in its send format) into l from *n on;
 * with l NULL only counted.  0, or 1 when they are not what was asked. */
static int
row_leaves(PGresult *res, int i, struct leafref *l, int *n)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, i, 1);
	size_t len = (size_t)PQgetlength(res, i, 1), at;
	int32_t k, cnt;

	if (PQgetisnull(res, i, 1) || len < 12)
		return 1;
	if (get32(p) == 0)
		return 0;			/* empty */
	if (get32(p) != 1 || get32(p + 8) != 17 || len < 20 ||
	    (cnt = get32(p + 12)) < 0)
		return 1;
	at = 20;
	for (k = 0; k < cnt; k++) {
		int32_t el;

		if (len - at < 4 || (el = get32(p + at)) < 40 ||
		    (size_t)el > len - at - 4)
			return 1;
		at += 4;
		if (l != NULL) {
			struct leafref *r = &l[*n];
			uint64_t idx = 0;
			int b;

			for (b = 0; b < 8; b++)
				idx = idx << 8 | p[at + (size_t)b];
			r->idx = idx;
			r->hash = p + at + 8;
			r->leaf = (const char *)p + at + 40;
			r->len = (size_t)el - 40;
			r->used = 0;
		}
		(*n)++;
		at += (size_t)el;
	}
	return at == len ? 0 : 1;
}

/* The number of weapons with the key, as the statement counted them. */
static long long
weapons_under_key(PGresult *res)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, 0, 2);
	uint64_t x = 0;
	int b;

	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 2) ||
	    PQgetlength(res, 0, 2) != 8)
		return -1;
	for (b = 0; b < 8; b++)
		x = x << 8 | p[b];
	return (long long)x;
}

/*
 * Holds the read model's records (cells, nrecs of them) against the leaves
 * that came with them: every leaf is its stored hash's; every record is
 * the leaf at its log index, of its kind and weapon, with every field
 * served as the leaf has it; every leaf is a served record's (none of the
 * weapon's records is left out); a weapon's serial has the key; and the
 * records' weapons are all the weapons with the key.  *leaves (in the
 * arena, pointing into res) gets the leaves by index, for the events'
 * hashes.  0 when all hold, 1 when something differs (the records are then
 * read), -1 out of memory.
 */
static int
check_leaves(struct tr__arena *a, PGresult *res, const struct cell *cells,
    int nrecs, const char *key, struct leafref **leaves, int *nleaves)
{
	struct leafref *l;
	struct tr__leaf lf;
	int i, n = 0, weapons = 0;
	char *buf;

	for (i = 0; i < PQntuples(res); i++)
		if (row_leaves(res, i, NULL, &n) != 0)
			return 1;
	if ((l = tr__alloc(a, (size_t)(n ? n : 1) * sizeof(*l))) == NULL)
		return -1;
	n = 0;
	for (i = 0; i < PQntuples(res); i++)
		(void)row_leaves(res, i, l, &n);
	for (i = 0; i < n; i++) {
		struct reg_hash h;

		if (reg_merkle_leaf_hash_r(l[i].leaf, l[i].len, &h) != 0)
			return -1;
		if (memcmp(h.b, l[i].hash, 32) != 0)
			return 1;
	}
	qsort(l, (size_t)n, sizeof(*l), leaf_cmp);
	for (i = 1; i < n; i++)
		if (l[i].idx == l[i - 1].idx)
			return 1;
	for (i = 0; i < nrecs; i++) {
		const struct cell *c = &cells[(size_t)i * ROW_COLS];
		const struct field *f;
		const char *type, *v;
		long long li = cell_index(&c[ROW_LOG_INDEX]);
		struct leafref *r;
		size_t vl;

		if (li < 0 || (r = leaf_find(l, n, (uint64_t)li)) == NULL || r->used)
			return 1;
		r->used = 1;
		switch (c[0].v != NULL && c[0].len == 1 ? c[0].v[0] : 0) {
		case 'w': type = "weapon"; f = weapon_fields; weapons++; break;
		case 'm': type = "marking"; f = marking_fields; break;
		case 'c': type = "component"; f = component_fields; break;
		case 'e': type = "event"; f = event_fields; break;
		default: return 1;
		}
		if ((buf = tr__alloc(a, r->len ? r->len : 1)) == NULL)
			return -1;
		if (tr__leaf_parse(&lf, r->leaf, r->len, buf) != 0 ||
		    !tr__leaf_get(&lf, "_r", &v, &vl) || v == NULL ||
		    vl != strlen(type) || memcmp(v, type, vl) != 0)
			return 1;
		for (; f->col != NULL; f++)
			if (!tr__leaf_get(&lf, f->col, &v, &vl) ||
			    !same_cell(&c[f->cell], v, vl))
				return 1;
		/* A weapon is served for its own serial's key only. */
		if (type[0] == 'w') {
			size_t k;

			if (!tr__leaf_get(&lf, "serial_norm", &v, &vl) || v == NULL ||
			    vl != strlen(key))
				return 1;
			for (k = 0; k < vl; k++)
				if ((v[k] == 'D' ? '0' : v[k] == '7' ? '1' : v[k]) != key[k])
					return 1;
		}
	}
	for (i = 0; i < n; i++)
		if (!l[i].used)
			return 1;
	if (weapons != weapons_under_key(res))
		return 1;
	*leaves = l;
	*nleaves = n;
	return 0;
}

/* The candidates from first on, read from the read model and held against
 * their leaves: each event gets its leaf's hash. */
static void
seal(struct tr__cands *cs, int first, struct leafref *l, int n)
{
	int i, j;

	for (i = first; i < cs->n; i++) {
		struct tr__cand *c = &cs->c[i];

		for (j = 0; j < c->nev; j++) {
			struct leafref *r = leaf_find(l, n, (uint64_t)c->ev[j].log_index);

			if (r == NULL)
				return;		/* cannot be: each event is a leaf's */
			memcpy(c->ev[j].leaf_hash.b, r->hash, 32);
			c->ev[j].sealed = 1;
		}
		c->sealed = 1;
	}
}

_Atomic long tr__db_rows_fallbacks;

int
tr__db_by_key_records(reg_ctx *ctx, struct tr__arena *a, const char *key,
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

int
tr__db_by_key(reg_ctx *ctx, struct tr__arena *a, const char *key,
    struct tr__cands *out, int *truncated, reg_error *err)
{
	PGconn *conn = reg_conn(ctx);
	const char *params[1] = { key };
	PGresult *res;
	int r = 1, before = out->n, mismatch = 0;

	res = PQexecPrepared(conn, stmt[S_ROWS].name, 1, params, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = fail_pg(err, conn, res, "cannot search the registry");
	} else {
		struct cell *cells = NULL;
		struct leafref *leaves = NULL;
		struct src s = { NULL, NULL };
		int nrecs = 0, nleaves = 0;

		/* Whole rows first (else the records are read: a fallback),
		 * then what they say against the leaves (else the records are
		 * read: a mismatch). */
		if ((r = unpack(a, res, &cells, &nrecs)) == 0) {
			s.cells = cells;
			r = read_rows(a, &s, nrecs, out, err);
		}
		if (r == 0) {
			if ((r = check_leaves(a, res, cells, nrecs, key, &leaves,
			    &nleaves)) == 0)
				seal(out, before, leaves, nleaves);
			else if (r == 1)
				mismatch = 1;
		}
		if (r == -1)
			r = tr__fail(err, REG_ENOMEM, "out of memory");
	}
	PQclear(res);
	if (r != 1)
		return r;
	/* More rows than are read at once, not whole, or not what the log
	 * sealed: from the records (which tr__check_answer() then holds
	 * against their leaves). */
	if (mismatch)
		tr__readmodel_mismatches++;
	else
		tr__db_rows_fallbacks++;
	out->n = before;
	return tr__db_by_key_records(ctx, a, key, out, truncated, err);
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
	struct cm_strmap by_id;		/* id -> struct tr__party (owned) */
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

	for (i = 0; i < pc->by_id.cap; i++)
		if (pc->by_id.t[i].key != NULL)
			party_free(pc->by_id.t[i].val);
	cm_strmap_free(&pc->by_id);
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
	if (pc->by_id.n >= CACHE_MAX)
		cache_clear(pc);
}

static struct tr__party *
cache_get(struct tr__party_cache *pc, const char *id)
{
	return cm_strmap_get(&pc->by_id, id);
}

/* Takes p into the cache (or frees it when its id is there already). */
static int
cache_put(struct tr__party_cache *pc, struct tr__party *p)
{
	if (cm_strmap_get(&pc->by_id, p->id) != NULL) {
		party_free(p);
		return 0;
	}
	return cm_strmap_put(&pc->by_id, p->id, p);
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
	struct miss {
		const char *id;
		struct tr__party **dst;
	} *miss = NULL;
	int i, k, s, nmiss = 0, cap = 0, r = 0;

	/* The parties the cache holds now; the others once read. */
	for (i = 0; i < n; i++)
		for (k = 0; k < list[i]->nev; k++) {
			struct tr__event *e = &list[i]->ev[k];
			const char *ids[2] = { e->from_id, e->to_id };
			struct tr__party **dst[2] = { &e->from, &e->to };

			for (s = 0; s < 2; s++) {
				if (ids[s][0] == '\0' ||
				    (*dst[s] = cache_get(pc, ids[s])) != NULL)
					continue;
				if (nmiss == cap) {
					struct miss *m;

					cap = cap ? cap * 2 : 32;
					if ((m = realloc(miss, (size_t)cap * sizeof(*m))) == NULL) {
						free(miss);
						return tr__fail(err, REG_ENOMEM, "out of memory");
					}
					miss = m;
				}
				miss[nmiss++] = (struct miss){ ids[s], dst[s] };
			}
		}
	if (nmiss > 0) {
		const char **ids = tr__alloc(&a, (size_t)nmiss * sizeof(*ids));
		char *arr = NULL;

		for (i = 0; ids != NULL && i < nmiss; i++)
			ids[i] = miss[i].id;
		if (ids != NULL)
			arr = uuid_array(&a, ids, nmiss);
		r = arr == NULL ? tr__fail(err, REG_ENOMEM, "out of memory") :
		    read_parties(ctx, pc, arr, err);
		for (i = 0; r == 0 && i < nmiss; i++)
			*miss[i].dst = cache_get(pc, miss[i].id);
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
