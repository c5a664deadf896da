/*
 * The search's rows into weapons (search.c's queries): the columns of the
 * detail and candidate queries, and the read model's records (trace_rec,
 * migration 0011) sent as arrays in binary, read without copying what can
 * be pointed at.  Everything is put where the caller's sink says.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "search_int.h"

int
reg__search_fail_pg(reg_error *err, PGconn *conn, const PGresult *res,
    const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
	size_t n;
	int r = reg__fail(err, REG_EDB, "%s: %s", what, msg ? msg : "");

	if (err != NULL && r == err->code) {
		n = strlen(err->message);
		while (n > 0 && (err->message[n - 1] == '\n' || err->message[n - 1] == ' '))
			err->message[--n] = '\0';
		if (state != NULL)
			snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state);
	}
	return r;
}

void
reg__search_uuids(char *out, const char *const *ids, int n)
{
	char *p = out;
	int i;

	*p++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		memcpy(p, ids[i], strlen(ids[i]));
		p += strlen(ids[i]);
	}
	*p++ = '}';
	*p = '\0';
}

/* The n bytes at v and a NUL, in the caller's memory; NULL when out of
 * memory. */
static char *
dcopy(struct reg__sdec *d, const char *v, size_t n)
{
	char *p = reg__salloc(d, n + 1);

	if (p != NULL)
		memcpy(p, v, n);
	return p;
}

/* A new weapon at the end of the caller's list, or NULL. */
static struct reg_search_weapon *
add(struct reg__sdec *d)
{
	struct reg_search_weapon *w = d->sink->add(d->sink->arg);

	if (w == NULL)
		d->failed = 1;
	return w;
}

/*
 * Where values are read from: a result's columns, or the read model's
 * records unpacked into cells (rows of REG__ROW_COLS).
 */
struct src {
	PGresult *res;
	const struct reg__cell *cells;
};

static const char *
get(const struct src *s, int row, int col, int *len)
{
	if (s->cells != NULL) {
		const struct reg__cell *c = &s->cells[(size_t)row * REG__ROW_COLS +
		    (size_t)col];

		*len = c->len;
		return c->v;
	}
	*len = PQgetlength(s->res, row, col);
	return PQgetisnull(s->res, row, col) ? NULL : PQgetvalue(s->res, row, col);
}

/* The value, copied into the caller's memory; NULL for NULL. */
static char *
sval(struct reg__sdec *d, const struct src *s, int row, int col)
{
	int n;
	const char *v = get(s, row, col, &n);

	return v == NULL ? NULL : dcopy(d, v, (size_t)n);
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
val(struct reg__sdec *d, PGresult *res, int row, int col)
{
	const struct src s = { res, NULL };

	return sval(d, &s, row, col);
}

void
reg__search_fixed(char *out, size_t outlen, PGresult *res, int row, int col)
{
	const struct src s = { res, NULL };

	sfixed(out, outlen, &s, row, col);
}

/* A JSON array of arrays of strings, numbers or nulls, as a column.  A
 * value that does not load (out of memory) marks the decoding failed: it must
 * never read as an empty list, which would drop a weapon's markings or
 * components from a signed answer. */
static json_t *
json_col(struct reg__sdec *d, PGresult *res, int row, int col)
{
	json_t *j;

	if (PQgetisnull(res, row, col))
		return NULL;
	if ((j = json_loads(PQgetvalue(res, row, col), 0, NULL)) == NULL)
		d->failed = 1;
	return j;
}

static char *
jstr(struct reg__sdec *d, json_t *arr, size_t i)
{
	json_t *v = json_array_get(arr, i);

	if (json_is_string(v))
		return dcopy(d, json_string_value(v), strlen(json_string_value(v)));
	if (json_is_integer(v)) {
		char b[24];
		int n = snprintf(b, sizeof(b), "%lld",
		    (long long)json_integer_value(v));

		return dcopy(d, b, (size_t)n);
	}
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
import_summary(struct reg__sdec *d, char *imports,
    const struct reg_search_marking *mk)
{
	char one[24], *p;
	size_t n;
	int k;

	if (strcmp(mk->kind, "import") != 0)
		return imports;
	k = snprintf(one, sizeof(one), "%s:%d", mk->country, mk->year);
	if (imports == NULL)
		return dcopy(d, one, (size_t)k);
	n = strlen(imports);
	if ((p = reg__salloc(d, n + 1 + (size_t)k + 1)) != NULL) {
		memcpy(p, imports, n);
		p[n] = ',';
		memcpy(p + n + 1, one, (size_t)k);
	}
	return p;
}

/* Fills c's markings, components and import summary from row's JSON. */
static void
marks(struct reg__sdec *d, struct reg_search_weapon *c, PGresult *res, int row)
{
	json_t *m = json_col(d, res, row, 9), *k = json_col(d, res, row, 10), *x;
	size_t i, n;
	char *imports = NULL;

	n = json_array_size(m);
	c->marks = reg__salloc(d, (n ? n : 1) * sizeof(*c->marks));
	for (i = 0; c->marks != NULL && i < n; i++) {
		struct reg_search_marking *mk = &c->marks[i];

		x = json_array_get(m, i);
		jfixed(mk->kind, sizeof(mk->kind), x, 0);
		mk->text = jstr(d, x, 1);
		jfixed(mk->location, sizeof(mk->location), x, 2);
		jfixed(mk->country, sizeof(mk->country), x, 3);
		mk->year = (int)json_integer_value(json_array_get(x, 4));
		mk->new_serial = jstr(d, x, 5);
		imports = import_summary(d, imports, mk);
	}
	c->nmarks = c->marks ? (int)n : 0;
	c->imports = imports;
	n = json_array_size(k);
	c->comps = reg__salloc(d, (n ? n : 1) * sizeof(*c->comps));
	for (i = 0; c->comps != NULL && i < n; i++) {
		x = json_array_get(k, i);
		jfixed(c->comps[i].kind, sizeof(c->comps[i].kind), x, 0);
		c->comps[i].serial = jstr(d, x, 1);
	}
	c->ncomps = c->comps ? (int)n : 0;
	json_decref(m);
	json_decref(k);
}

/* Reads row's event columns, from column b on in DETAIL_COLS's order (its
 * 11 on), into e (party pointers come later). */
static void
event(struct reg__sdec *d, struct reg_search_event *e, const struct src *s,
    int row, int b)
{
	sfixed(e->id, sizeof(e->id), s, row, b);
	e->seq = (int)sint(s, row, b + 1);
	sfixed(e->kind, sizeof(e->kind), s, row, b + 2);
	sfixed(e->date, sizeof(e->date), s, row, b + 3);
	sfixed(e->from_id, sizeof(e->from_id), s, row, b + 4);
	sfixed(e->to_id, sizeof(e->to_id), s, row, b + 5);
	e->licence_number = sval(d, s, row, b + 6);
	sfixed(e->licence_issued, sizeof(e->licence_issued), s, row, b + 7);
	sfixed(e->licence_expires, sizeof(e->licence_expires), s, row, b + 8);
	e->euc = sval(d, s, row, b + 9);
	sfixed(e->export_country, sizeof(e->export_country), s, row, b + 10);
	sfixed(e->import_country, sizeof(e->import_country), s, row, b + 11);
	e->transit = sval(d, s, row, b + 12);
	if (e->transit != NULL && e->transit[0] == '\0')
		e->transit = NULL;
	e->final_recipient = sval(d, s, row, b + 13);
	e->certificate = sval(d, s, row, b + 14);
	sfixed(e->corrects, sizeof(e->corrects), s, row, b + 15);
	e->reason = sval(d, s, row, b + 16);
	e->note = sval(d, s, row, b + 17);
	e->log_index = sint(s, row, b + 18);
}

/* Reads a weapon found by its serial: its id and manufacturer's from
 * columns id and maker, the rest from columns 3 (model) to 8 (year). */
static void
identity(struct reg__sdec *d, struct reg_search_weapon *c, const struct src *s,
    int row, int id, int maker)
{
	sfixed(c->id, sizeof(c->id), s, row, id);
	snprintf(c->via, sizeof(c->via), "serial");
	c->matched = sval(d, s, row, 6);
	sfixed(c->manufacturer_id, sizeof(c->manufacturer_id), s, row, maker);
	c->model = sval(d, s, row, 3);
	sfixed(c->type, sizeof(c->type), s, row, 4);
	c->calibre = sval(d, s, row, 5);
	c->serial = sval(d, s, row, 6);
	sfixed(c->country, sizeof(c->country), s, row, 7);
	c->year = (int)sint(s, row, 8);
}

int
reg__search_read_details(struct reg__sdec *d, PGresult *res,
    struct reg_search_weapon *const *list, int nlist, reg_error *err)
{
	const struct src src = { res, NULL };
	int i, j, k, rows = PQntuples(res);

	for (i = 0; i < rows; i = j) {
		const char *id = PQgetvalue(res, i, 0);
		struct reg_search_weapon *c = NULL;

		for (j = i; j < rows && strcmp(PQgetvalue(res, j, 0), id) == 0; j++)
			;
		if (list != NULL) {
			for (k = 0; k < nlist; k++)
				if (!list[k]->detailed && strcmp(list[k]->id, id) == 0)
					c = list[k];
			if (c == NULL)
				continue;
		} else {
			if ((c = add(d)) == NULL)
				return reg__fail(err, REG_ENOMEM, "out of memory");
			identity(d, c, &src, i, 0, 1);
		}
		marks(d, c, res, i);
		c->nev = PQgetisnull(res, i, 11) ? 0 : j - i;
		c->ev = reg__salloc(d, (size_t)(c->nev ? c->nev : 1) * sizeof(*c->ev));
		for (k = 0; c->ev != NULL && k < c->nev; k++)
			event(d, &c->ev[k], &src, i + k, 11);
		if (c->ev == NULL)
			c->nev = 0;
		c->detailed = 1;
	}
	return d->failed ? reg__fail(err, REG_ENOMEM, "out of memory") : 0;
}

/* A read-model record, as reg__search_unpack() orders them. */
struct reg__rowref {
	int row;
	const char *weapon;	/* the weapon's id, as it came */
	int wlen;
	int kind;		/* KINDS's index */
	long long order;	/* markings, components: log index; events: seq */
};

static const char KINDS[] = "wmce";

/* Orders two records' weapon ids (as text). */
static int
same_weapon(const struct reg__rowref *p, const struct reg__rowref *q)
{
	int c = memcmp(p->weapon, q->weapon, (size_t)(p->wlen < q->wlen ?
	    p->wlen : q->wlen));

	return c != 0 ? c : p->wlen - q->wlen;
}

static int
row_cmp(const void *x, const void *y)
{
	const struct reg__rowref *p = x, *q = y;
	int c = same_weapon(p, q);

	if (c != 0)
		return c;
	if (p->kind != q->kind)
		return p->kind - q->kind;
	return (p->order > q->order) - (p->order < q->order);
}

/*
 * Orders the unpacked records: by weapon id, each weapon's own record
 * first, then its markings and components in the order they were recorded
 * and its events in sequence.  1 when they are not whole weapons' records
 * (a record without its weapon's, a weapon twice), -1 out of memory.
 */
static int
order_rows(struct reg__sdec *d, struct reg__rows *rows)
{
	const struct src s = { NULL, rows->cells };
	int i, j, w, n = rows->n;
	struct reg__rowref *r = reg__salloc(d, (size_t)(n ? n : 1) * sizeof(*r));

	if (r == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		int len;
		const char *kind = get(&s, i, 0, &len), *at;

		if (kind == NULL || len != 1 || kind[0] == '\0' ||
		    (at = strchr(KINDS, kind[0])) == NULL ||
		    (r[i].weapon = get(&s, i, 1, &r[i].wlen)) == NULL)
			return 1;
		r[i].row = i;
		r[i].kind = (int)(at - KINDS);
		r[i].order = sint(&s, i, r[i].kind == 3 ? REG__ROW_EVENT + 1 :
		    REG__ROW_EVENT + 18);
	}
	qsort(r, (size_t)n, sizeof(*r), row_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i, w = 0; j < n && same_weapon(&r[j], &r[i]) == 0; j++)
			w += r[j].kind == 0;
		if (w != 1)
			return 1;
	}
	rows->refs = r;
	return 0;
}

/* The events of c given their leaves' hashes (l, n of them, sorted). */
static void
seal(struct reg_search_weapon *c, struct reg__leafref *l, int n)
{
	int j;

	for (j = 0; j < c->nev; j++) {
		struct reg__leafref *r = reg__leaf_find(l, n,
		    (uint64_t)c->ev[j].log_index);

		if (r == NULL)
			return;		/* cannot be: each event is a leaf's */
		memcpy(c->ev[j].leaf_hash.b, r->hash, 32);
		c->ev[j].sealed = 1;
	}
	c->sealed = 1;
}

/* The marking or component of record row into c. */
static void
mark_or_comp(struct reg__sdec *d, struct reg_search_weapon *c,
    const struct src *s, int row, int kind, char **imports)
{
	if (kind == 1) {
		struct reg_search_marking *mk = &c->marks[c->nmarks++];

		sfixed(mk->kind, sizeof(mk->kind), s, row, REG__ROW_EVENT + 2);
		mk->text = sval(d, s, row, 9);
		sfixed(mk->location, sizeof(mk->location), s, row, 10);
		sfixed(mk->country, sizeof(mk->country), s, row, 7);
		mk->year = (int)sint(s, row, 8);
		mk->new_serial = sval(d, s, row, 11);
		*imports = import_summary(d, *imports, mk);
	} else {
		struct reg_search_component *cp = &c->comps[c->ncomps++];

		sfixed(cp->kind, sizeof(cp->kind), s, row, REG__ROW_EVENT + 2);
		cp->serial = sval(d, s, row, 6);
	}
}

int
reg__search_read_rows(struct reg__sdec *d, const struct reg__rows *rows,
    struct reg__leafref *leaves, int nleaves, reg_error *err)
{
	const struct src s = { NULL, rows->cells };
	const struct reg__rowref *r = rows->refs;
	int i, j, k, n[4];

	for (i = 0; i < rows->n; i = j) {
		struct reg_search_weapon *c;
		char *imports = NULL;

		memset(n, 0, sizeof(n));
		for (j = i; j < rows->n && same_weapon(&r[j], &r[i]) == 0; j++)
			n[r[j].kind]++;
		if ((c = add(d)) == NULL)
			return reg__fail(err, REG_ENOMEM, "out of memory");
		identity(d, c, &s, r[i].row, 1, 2);
		c->marks = reg__salloc(d, (size_t)(n[1] ? n[1] : 1) * sizeof(*c->marks));
		c->comps = reg__salloc(d, (size_t)(n[2] ? n[2] : 1) * sizeof(*c->comps));
		c->ev = reg__salloc(d, (size_t)(n[3] ? n[3] : 1) * sizeof(*c->ev));
		if (c->marks == NULL || c->comps == NULL || c->ev == NULL)
			return reg__fail(err, REG_ENOMEM, "out of memory");
		for (k = i + 1; k < j; k++) {
			if (r[k].kind == 3)
				event(d, &c->ev[c->nev++], &s, r[k].row, REG__ROW_EVENT);
			else
				mark_or_comp(d, c, &s, r[k].row, r[k].kind, &imports);
		}
		c->imports = imports;
		c->detailed = 1;
		if (leaves != NULL)
			seal(c, leaves, nleaves);
	}
	return d->failed ? reg__fail(err, REG_ENOMEM, "out of memory") : 0;
}

int
reg__search_read_cands(struct reg__sdec *d, PGresult *res, reg_error *err)
{
	struct reg_search_weapon *c;
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		if ((c = add(d)) == NULL)
			return reg__fail(err, REG_ENOMEM, "out of memory");
		reg__search_fixed(c->id, sizeof(c->id), res, i, 0);
		reg__search_fixed(c->via, sizeof(c->via), res, i, 1);
		c->matched = val(d, res, i, 2);
		reg__search_fixed(c->manufacturer_id, sizeof(c->manufacturer_id), res, i, 3);
		c->model = val(d, res, i, 5);
		reg__search_fixed(c->type, sizeof(c->type), res, i, 6);
		c->calibre = val(d, res, i, 7);
		c->serial = val(d, res, i, 8);
		reg__search_fixed(c->country, sizeof(c->country), res, i, 9);
		c->year = PQgetisnull(res, i, 10) ? 0 : atoi(PQgetvalue(res, i, 10));
		c->imports = val(d, res, i, 11);
	}
	return d->failed ? reg__fail(err, REG_ENOMEM, "out of memory") : 0;
}

/*
 * Reads a trace_rec literal (record_out's text: "(f,f,...)", a field quoted
 * when it must be, with "" and \ escaping in it; nothing for NULL) of len
 * bytes into REG__ROW_COLS cells: a plain field points into p, a quoted one is
 * copied unescaped into the arena.  1 when it is not one, -1 out of memory.
 */
static int
read_record(struct reg__sdec *d, struct reg__cell *cells, const char *p,
    size_t len)
{
	size_t i = 1, end = len - 1;
	int col = 0;

	if (len < 2 || p[0] != '(' || p[end] != ')')
		return 1;
	for (;;) {
		size_t start = i;
		struct reg__cell *c;

		if (col == REG__ROW_COLS)
			return 1;
		c = &cells[col++];
		while (i < end && p[i] != ',' && p[i] != '"' && p[i] != '\\')
			i++;
		if (i < end && p[i] != ',') {
			char *buf = reg__salloc(d, end - start);
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
	return col == REG__ROW_COLS ? 0 : 1;
}

/* The number of elements of row i's array (one dimension of text, its
 * send format), or -1 when it is not one. */
static int32_t
elements(PGresult *res, int i)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, i, 0);
	int32_t n;

	if (PQgetisnull(res, i, 0) || PQgetlength(res, i, 0) < 20 ||
	    reg__get32(p) != 1 || reg__get32(p + 8) != 25 ||
	    (n = reg__get32(p + 12)) < 1)
		return -1;
	return n;
}

/*
 * The read model's weapons (one text[] of trace_rec literals each, in
 * binary) as one row of REG__ROW_COLS cells per record into *cells, *nrecs of
 * them.  0 done, 1 when they are not what the read model writes or more
 * than REG__ROWS_MAX records (the records are then read), -1 out of memory.
 */
int
reg__search_unpack(struct reg__sdec *d, PGresult *res, struct reg__rows *rows)
{
	int i, k, total = 0, rec = 0, r;
	struct reg__cell *c;

	for (i = 0; i < PQntuples(res); i++) {
		int32_t n = elements(res, i);

		if (PQgetisnull(res, i, 0) && PQntuples(res) == 1)
			n = 0;			/* no row under the key */
		if (n < 0 || n > REG__ROWS_MAX - total)
			return 1;
		total += n;
	}
	c = reg__salloc(d, (size_t)(total ? total : 1) * REG__ROW_COLS * sizeof(*c));
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
			    (el = reg__get32((const unsigned char *)p + at)) < 0 ||
			    (size_t)el > len - at - 4)
				return 1;
			at += 4;
			r = read_record(d, &c[(size_t)rec++ * REG__ROW_COLS], p + at, (size_t)el);
			if (r != 0)
				return r;
			at += (size_t)el;
		}
		if (at != len)
			return 1;
	}
	rows->cells = c;
	rows->n = rec;
	return order_rows(d, rows);
}
