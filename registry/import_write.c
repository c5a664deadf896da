/*
 * The importer's writing, in the batch's transaction: the log's append
 * lock and the indexes it reserves, the queries a batch asks about itself
 * (office references already recorded; for events the weapons, the
 * parties and the weapons' histories), the canonical records of the good
 * rows, streamed to their tables with COPY while their leaves are made
 * (leaf.c), and the leaves appended to the log in one call.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "import_int.h"

/* ------------------------------------------------------------ the database */

/*
 * Runs a query that returns rows.  The batch's lists go to the server as
 * array parameters inside a sub-select, "x = ANY((SELECT $1::text[])::
 * text[])": the planner then does not know a list's length and probes the
 * index, where given thousands of elements it would rather read the whole
 * table, at a cost that grows with the registry.
 */
static int
query(struct imp *im, const char *sql, int n, const char *const *params,
    PGresult **out, const char *what)
{
	*out = PQexecParams(im->ctx->conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(*out) != PGRES_TUPLES_OK) {
		int r = reg__fail_pg(im->err, im->ctx->conn, *out, "cannot %s", what);

		PQclear(*out);
		*out = NULL;
		return r;
	}
	return 0;
}

/* Adds s to an array literal being built (the caller writes the braces). */
static void
array_add(struct cm_buf *b, const char *s)
{
	const char *p;

	if (b->len > 1)
		cm_buf_addc(b, ',');
	cm_buf_addc(b, '"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			cm_buf_addc(b, '\\');
		cm_buf_addc(b, *p);
	}
	cm_buf_addc(b, '"');
}

static void
array_start(struct cm_buf *b)
{
	b->len = 0;
	b->failed = 0;
	cm_buf_addc(b, '{');
}

/* One field of a COPY text row: \N for null, and backslash escapes. */
static void
copy_field(struct cm_buf *b, const char *s)
{
	const char *p, *run;

	if (s == NULL) {
		cm_buf_add(b, "\\N", 2);
		return;
	}
	for (run = p = s; *p != '\0'; p++) {
		const char *esc;

		switch (*p) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		default: continue;
		}
		cm_buf_add(b, run, (size_t)(p - run));
		cm_buf_add(b, esc, 2);
		run = p + 1;
	}
	cm_buf_add(b, run, (size_t)(p - run));
}

/* A COPY text row: the record's columns, then its log index. */
static void
copy_row(struct cm_buf *b, enum reg__rectype type, const char *const *v,
    uint64_t log_index)
{
	const struct reg__recdef *def = &reg__recdefs[type];
	char idx[24];
	int c;

	for (c = 0; c < def->ncols; c++) {
		if (type == REC_EVENT && c == EVENT_TRANSIT_COL) {
			cm_buf_addc(b, '{');
			cm_buf_adds(b, v[c]);
			cm_buf_addc(b, '}');
		} else {
			copy_field(b, v[c]);
		}
		cm_buf_addc(b, '\t');
	}
	snprintf(idx, sizeof(idx), "%" PRIu64 "\n", log_index);
	cm_buf_adds(b, idx);
}

/* Builds "COPY table (columns..., log_index) FROM STDIN". */
static void
copy_sql(char *out, size_t len, enum reg__rectype type)
{
	const struct reg__recdef *def = &reg__recdefs[type];
	size_t o;
	int c;

	o = (size_t)snprintf(out, len, "COPY %s (", def->table);
	for (c = 0; c < def->ncols && o < len; c++)
		o += (size_t)snprintf(out + o, len - o, "%s, ", def->cols[c]);
	if (o < len)
		o += (size_t)snprintf(out + o, len - o, "log_index) FROM STDIN");
	REG_ASSERT(o < len);
}

/*
 * The log's append lock, as log.c takes it, and the log's size under it.
 * Holding the lock (until the transaction ends), the batch knows the
 * indexes its leaves will get before it appends them, so that its rows can
 * go first and the leaves be made while the server takes the rows;
 * reg_log_append_batch() then takes the same lock again and must hand out
 * the indexes reserved here.
 */
#define LOG_LOCK_SQL REG__LOG_LOCK_SQL

int
reg__imp_log_reserve(struct imp *im, uint64_t *size)
{
	PGresult *res;
	int r = 0;

	res = PQexec(im->ctx->conn, LOG_LOCK_SQL "; "
	    "SELECT coalesce(max(idx) + 1, 0) FROM log_entry");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		r = reg__fail_pg(im->err, im->ctx->conn, res, "cannot lock the log for "
		    "appending");
	else
		*size = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return r;
}

/*
 * Makes a record's leaf (in the batch's pool).  The rows were checked, so
 * only a lack of memory, or a bug, can make it fail, and that ends the
 * batch.
 */
static int
make_leaf(struct imp *im, struct row *rw, int which, enum reg__rectype type)
{
	reg_error e = REG_ERROR_INIT;
	const char *const *v = which == 0 ? rw->v : rw->mv;
	int r;

	if ((r = reg__leaf_encode(&im->leafbuf, &reg__recdefs[type], &im->keys[type],
	    v, &e)) != 0)
		return reg__fail(im->err, r == REG_ENOMEM ? r : REG_EINTERNAL,
		    "line %" PRIu64 ": %s", rw->line, e.message);
	rw->leaf[which] = reg__pool_strndup(&im->pool, im->leafbuf.p, im->leafbuf.len);
	rw->leaflen[which] = im->leafbuf.len;
	if (rw->leaf[which] == NULL)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	return 0;
}

/* Sends what buf holds of a COPY in progress. */
static int
copy_flush(struct imp *im, struct cm_buf *b)
{
	if (b->failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	if (b->len > 0 && PQputCopyData(im->ctx->conn, b->p, (int)b->len) != 1)
		return reg__fail_pg(im->err, im->ctx->conn, NULL, "cannot send rows");
	b->len = 0;
	return 0;
}

/*
 * Writes the batch's records of one type with COPY: the weapon or event
 * (which 0) or the weapon's marking (which 1) of every row to import, with
 * log indexes counted from first, per_row leaves a row.  The rows go in
 * chunks, and each chunk's leaves are made while the server takes it.
 */
static int
copy_stream(struct imp *im, const char *sql, enum reg__rectype type, int which,
    size_t per_row, uint64_t first)
{
	PGconn *conn = im->ctx->conn;
	PGresult *res;
	struct row *rw;
	size_t i, j, start = 0, k = 0;
	int r = 0;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		r = reg__fail_pg(im->err, conn, res, "cannot write %s records",
		    reg__recdefs[type].type);
		PQclear(res);
		return r;
	}
	PQclear(res);
	im->copy1.len = 0;
	im->copy1.failed = 0;
	for (i = 0; i < im->nrows && r == 0; i++) {
		rw = &im->rows[i];
		if (rw->state != ROW_IMPORT)
			continue;
		copy_row(&im->copy1, type, which == 0 ? rw->v : rw->mv,
		    first + k * per_row + (size_t)which);
		k++;
		if (im->copy1.len < 64 * 1024)
			continue;
		if ((r = copy_flush(im, &im->copy1)) != 0)
			break;
		for (j = start; j <= i && r == 0; j++)
			if (im->rows[j].state == ROW_IMPORT)
				r = make_leaf(im, &im->rows[j], which, type);
		start = i + 1;
	}
	if (r == 0)
		r = copy_flush(im, &im->copy1);
	for (j = start; j < im->nrows && r == 0; j++)
		if (im->rows[j].state == ROW_IMPORT)
			r = make_leaf(im, &im->rows[j], which, type);
	if (PQputCopyEnd(conn, r == 0 ? NULL : "the import stopped") != 1 && r == 0)
		r = reg__fail_pg(im->err, conn, NULL, "cannot send rows");
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && r == 0)
			r = reg__fail_pg(im->err, conn, res, "cannot write %s records",
			    reg__recdefs[type].type);
		PQclear(res);
	}
	return r;
}

int
reg__imp_load_reference(struct imp *im)
{
	PGresult *res = NULL;
	const char *c;
	char *k, *v;
	int i, r;

	if ((r = query(im, "SELECT code FROM country", 0, NULL, &res,
	    "read the countries")) != 0)
		return r;
	for (i = 0; i < PQntuples(res); i++) {
		c = PQgetvalue(res, i, 0);
		if (c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z')
			im->countries[c[0] - 'A'][c[1] - 'A'] = 1;
	}
	PQclear(res);
	res = NULL;
	if (im->format != FMT_WEAPONS)
		return 0;
	if ((r = query(im, "SELECT code FROM weapon_type", 0, NULL, &res,
	    "read the weapon types")) != 0)
		return r;
	for (i = 0; i < PQntuples(res); i++) {
		k = reg__pool_strdup(&im->refpool, PQgetvalue(res, i, 0));
		if (k == NULL || cm_strmap_put(&im->types, k, k) != 0)
			goto nomem;
	}
	PQclear(res);
	res = NULL;
	if ((r = query(im, "SELECT a.alias_norm, a.manufacturer_id::text "
	    "FROM manufacturer_alias a", 0, NULL, &res,
	    "read the manufacturers' names and codes")) != 0)
		return r;
	for (i = 0; i < PQntuples(res); i++) {
		k = reg__pool_strdup(&im->refpool, PQgetvalue(res, i, 0));
		v = reg__pool_strdup(&im->refpool, PQgetvalue(res, i, 1));
		if (k == NULL || v == NULL || cm_strmap_put(&im->maker_alias, k, v) != 0)
			goto nomem;
	}
	PQclear(res);
	res = NULL;
	if ((r = query(im, "SELECT id::text FROM manufacturer", 0, NULL, &res,
	    "read the manufacturers")) != 0)
		return r;
	for (i = 0; i < PQntuples(res); i++) {
		k = reg__pool_strdup(&im->refpool, PQgetvalue(res, i, 0));
		if (k == NULL || cm_strmap_put(&im->maker_id, k, k) != 0)
			goto nomem;
	}
	PQclear(res);
	return 0;
nomem:
	PQclear(res);
	return reg__fail(im->err, REG_ENOMEM, "out of memory");
}

/* Marks as taken the office references that the query's first column
 * lists; res must outlive the batch's use of im->seen. */
static int
mark_seen(struct imp *im, PGresult *res)
{
	int i;

	for (i = 0; i < PQntuples(res); i++)
		if (cm_strmap_put(&im->seen, PQgetvalue(res, i, 0), (void *)1) != 0)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
	return 0;
}

/* The weapon's and its marking's canonical values, as reg_weapon_register()
 * makes them. */
static int
weapon_records(struct imp *im, struct row *rw)
{
	const char **f = rw->f;
	const char **v, **mv;
	char *id, *mid, *now;
	reg_uuid u;
	int r;

	v = reg__pool_alloc(&im->pool, 12 * sizeof(*v));
	mv = reg__pool_alloc(&im->pool, 9 * sizeof(*mv));
	id = reg__pool_alloc(&im->pool, REG_UUID_STR);
	mid = reg__pool_alloc(&im->pool, REG_UUID_STR);
	now = reg__pool_alloc(&im->pool, 32);
	if (im->pool.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	if ((r = reg_uuid_v7(&u, im->err)) != 0)
		return r;
	reg_uuid_format(&u, id);
	if ((r = reg_uuid_v7(&u, im->err)) != 0)
		return r;
	reg_uuid_format(&u, mid);
	reg__now_text(now);
	v[0] = id;
	v[1] = f[W_OFFICE_REF];
	v[2] = rw->maker;
	v[3] = *f[W_MODEL] != '\0' ? f[W_MODEL] : NULL;
	v[4] = f[W_TYPE];
	v[5] = *f[W_CALIBRE] != '\0' ? f[W_CALIBRE] : NULL;
	v[6] = rw->calibre_norm;
	v[7] = f[W_SERIAL];
	v[8] = rw->serial_norm;
	v[9] = f[W_COUNTRY];
	v[10] = rw->year;
	v[11] = now;
	mv[0] = mid;
	mv[1] = id;
	mv[2] = rw->mark_kind;
	mv[3] = f[W_MARK_TEXT];
	mv[4] = *f[W_MARK_LOCATION] != '\0' ? f[W_MARK_LOCATION] : NULL;
	mv[5] = f[W_COUNTRY];
	mv[6] = rw->year;
	mv[7] = NULL;
	mv[8] = now;
	rw->v = v;
	rw->mv = mv;
	rw->state = ROW_IMPORT;
	return 0;
}

/*
 * Writes the rows to import (n of them, per_row records each): streams them
 * with COPY, their leaves' indexes counted from the log's size that
 * log_reserve() read, while making their leaves, then appends the leaves
 * with one call.
 */
static int
write_rows(struct imp *im, size_t n, size_t per_row)
{
	struct row *rw;
	uint64_t first = im->log_size, got = 0;
	size_t i, k = 0, w;
	int r;

	if (n == 0)
		return 0;
	for (w = 0; w < per_row; w++)
		if ((r = copy_stream(im, im->copy_sql[w], im->format == FMT_WEAPONS ?
		    (w == 0 ? REC_WEAPON : REC_MARKING) : REC_EVENT, (int)w, per_row,
		    first)) != 0)
			return r;
	for (i = 0; i < im->nrows; i++) {
		rw = &im->rows[i];
		if (rw->state != ROW_IMPORT)
			continue;
		for (w = 0; w < per_row; w++) {
			im->leaves[k].data = rw->leaf[w];
			im->leaves[k].len = rw->leaflen[w];
			k++;
		}
	}
	if ((r = reg_log_append_batch(im->ctx, im->leaves, k, &got, im->err)) != 0)
		return r;
	if (got != first)
		return reg__fail(im->err, REG_EINTERNAL, "the log gave index %" PRIu64
		    " where %" PRIu64 " was reserved: log.c's append lock changed",
		    got, first);
	return 0;
}

int
reg__imp_weapons_write(struct imp *im)
{
	struct row *rw;
	PGresult *res = NULL;
	const char *params[1];
	size_t i, n = 0, want = 0;
	int r = 0;

	cm_strmap_clear(&im->seen);
	array_start(&im->q1);
	for (i = 0; i < im->nrows; i++)
		if (im->rows[i].state == ROW_NEW) {
			array_add(&im->q1, im->rows[i].f[W_OFFICE_REF]);
			want++;
		}
	cm_buf_addc(&im->q1, '}');
	if (im->q1.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	if (want > 0) {
		params[0] = im->q1.p;
		if ((r = query(im, "SELECT office_ref FROM weapon "
		    "WHERE office_ref = ANY((SELECT $1::text[])::text[])", 1, params,
		    &res, "look up the office references")) != 0 ||
		    (r = mark_seen(im, res)) != 0)
			goto out;
	}
	for (i = 0; i < im->nrows; i++) {
		rw = &im->rows[i];
		if (rw->state != ROW_NEW)
			continue;
		if (cm_strmap_get(&im->seen, rw->f[W_OFFICE_REF]) != NULL) {
			rw->state = ROW_SKIP;
			continue;
		}
		if ((r = weapon_records(im, rw)) != 0)
			goto out;
		if (cm_strmap_put(&im->seen, rw->f[W_OFFICE_REF], (void *)1) != 0) {
			r = reg__fail(im->err, REG_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	r = write_rows(im, n, 2);
out:
	PQclear(res);
	return r;
}

/* Adds a reference, once, to the UUID list or the office reference list;
 * refs remembers the ones added. */
static int
ref_add(struct cm_strmap *set, struct cm_buf *ids, struct cm_buf *refs,
    const char *ref)
{
	char uid[REG_UUID_STR];

	if (*ref == '\0' || cm_strmap_get(set, ref) != NULL)
		return 0;
	if (cm_strmap_put(set, ref, (void *)1) != 0)
		return -1;
	if (reg__imp_as_uuid(ref, uid))
		array_add(ids, uid);
	else
		array_add(refs, ref);
	return 0;
}

static void *
ref_find(const struct cm_strmap *by_id, const struct cm_strmap *by_ref,
    const char *ref)
{
	char uid[REG_UUID_STR];

	if (reg__imp_as_uuid(ref, uid))
		return cm_strmap_get(by_id, uid);
	return cm_strmap_get(by_ref, ref);
}

/* Finds the batch's weapons and loads their histories. */
static int
load_weapons(struct imp *im, PGresult **wres, PGresult **hres)
{
	struct wstate *s;
	const char *params[2];
	size_t i;
	int j, a, r;

	array_start(&im->q1);
	array_start(&im->q2);
	cm_strmap_clear(&im->refs);
	for (i = 0; i < im->nrows; i++)
		if (im->rows[i].state == ROW_NEW &&
		    ref_add(&im->refs, &im->q1, &im->q2, im->rows[i].f[E_WEAPON]) != 0)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
	cm_buf_addc(&im->q1, '}');
	cm_buf_addc(&im->q2, '}');
	if (im->q1.failed || im->q2.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	params[0] = im->q1.p;
	params[1] = im->q2.p;
	if ((r = query(im, "SELECT id::text, office_ref FROM weapon "
	    "WHERE id = ANY((SELECT $1::uuid[])::uuid[]) OR "
	    "office_ref = ANY((SELECT $2::text[])::text[])", 2, params, wres,
	    "look up the weapons")) != 0)
		return r;
	if (PQntuples(*wres) == 0)
		return 0;
	array_start(&im->q1);
	for (j = 0; j < PQntuples(*wres); j++) {
		s = reg__imp_wstate_new(im, PQgetvalue(*wres, j, 0));
		if (s == NULL)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		if (cm_strmap_put(&im->weapon_id, reg__imp_wstate_id(s), s) != 0 ||
		    (!PQgetisnull(*wres, j, 1) &&
		    cm_strmap_put(&im->weapon_ref, PQgetvalue(*wres, j, 1), s) != 0))
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		array_add(&im->q1, reg__imp_wstate_id(s));
	}
	cm_buf_addc(&im->q1, '}');
	if (im->q1.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	params[0] = im->q1.p;
	if ((r = query(im, "SELECT e.weapon_id::text, e.id::text, e.kind, "
	    "to_char(e.event_date, 'YYYY-MM-DD'), coalesce(e.to_party::text, ''), "
	    "e.corrects::text, coalesce(p.kind, '') "
	    "FROM event e LEFT JOIN party p ON p.id = e.to_party "
	    "WHERE e.weapon_id = ANY((SELECT $1::uuid[])::uuid[]) "
	    "ORDER BY e.weapon_id, e.seq",
	    1, params, hres, "read the weapons' histories")) != 0)
		return r;
	for (a = 0; a < PQntuples(*hres); a = j) {
		const char *wid = PQgetvalue(*hres, a, 0);

		for (j = a; j < PQntuples(*hres) &&
		    strcmp(PQgetvalue(*hres, j, 0), wid) == 0; j++)
			;
		s = cm_strmap_get(&im->weapon_id, wid);
		if (s != NULL && (r = reg__imp_history_load(im, s, *hres, a, j)) != 0)
			return r;
	}
	return 0;
}

static int
load_parties(struct imp *im, PGresult **pres)
{
	struct party *p;
	const char *params[2];
	size_t i;
	int j, r;

	array_start(&im->q1);
	array_start(&im->q2);
	cm_strmap_clear(&im->refs);
	for (i = 0; i < im->nrows; i++) {
		if (im->rows[i].state != ROW_NEW)
			continue;
		if (ref_add(&im->refs, &im->q1, &im->q2, im->rows[i].f[E_FROM]) != 0 ||
		    ref_add(&im->refs, &im->q1, &im->q2, im->rows[i].f[E_TO]) != 0)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
	}
	cm_buf_addc(&im->q1, '}');
	cm_buf_addc(&im->q2, '}');
	if (im->q1.failed || im->q2.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	params[0] = im->q1.p;
	params[1] = im->q2.p;
	if ((r = query(im, "SELECT id::text, office_ref, kind FROM party "
	    "WHERE id = ANY((SELECT $1::uuid[])::uuid[]) OR "
	    "office_ref = ANY((SELECT $2::text[])::text[])", 2, params,
	    pres, "look up the parties")) != 0)
		return r;
	for (j = 0; j < PQntuples(*pres); j++) {
		p = reg__pool_alloc(&im->pool, sizeof(*p));
		if (p == NULL)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		p->id = PQgetvalue(*pres, j, 0);
		p->kind = PQgetvalue(*pres, j, 2);
		if (cm_strmap_put(&im->party_id, p->id, p) != 0 ||
		    (!PQgetisnull(*pres, j, 1) &&
		    cm_strmap_put(&im->party_ref, PQgetvalue(*pres, j, 1), p) != 0))
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
	}
	return 0;
}

/* The event's canonical values, as event.c's write_event(). */
static int
event_record(struct imp *im, struct row *rw, const struct wstate *s,
    const struct party *from, const struct party *to)
{
	const char **f = rw->f;
	const char **v;
	char *id, *now, *seq;
	reg_uuid u;
	int r;

#define OPT(x) (*(x) != '\0' ? (x) : NULL)
	v = reg__pool_alloc(&im->pool, 21 * sizeof(*v));
	id = reg__pool_alloc(&im->pool, REG_UUID_STR);
	now = reg__pool_alloc(&im->pool, 32);
	seq = reg__pool_alloc(&im->pool, 16);
	if (im->pool.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	if ((r = reg_uuid_v7(&u, im->err)) != 0)
		return r;
	reg_uuid_format(&u, id);
	reg__now_text(now);
	snprintf(seq, 16, "%d", reg__imp_wstate_events(s));
	v[0] = id;
	v[1] = reg__imp_wstate_id(s);
	v[2] = seq;
	v[3] = f[E_KIND];
	v[4] = f[E_DATE];
	v[5] = from != NULL ? from->id : NULL;
	v[6] = to != NULL ? to->id : NULL;
	v[7] = OPT(f[E_LICENCE_NUMBER]);
	v[8] = OPT(f[E_LICENCE_ISSUED]);
	v[9] = OPT(f[E_LICENCE_EXPIRES]);
	v[10] = OPT(f[E_EUC_REF]);
	v[11] = OPT(f[E_EXPORT_COUNTRY]);
	v[12] = OPT(f[E_IMPORT_COUNTRY]);
	v[13] = rw->transit;
	v[14] = OPT(f[E_FINAL_RECIPIENT]);
	v[15] = OPT(f[E_CERTIFICATE]);
	v[16] = NULL;		/* corrects: an import records new events only */
	v[17] = NULL;		/* reason */
	v[18] = OPT(f[E_NOTE]);
	v[19] = f[E_OFFICE_REF];
	v[20] = now;
#undef OPT
	rw->v = v;
	rw->state = ROW_IMPORT;
	return 0;
}

/* Checks the batch's events against the weapons' histories and writes the
 * good ones. */
int
reg__imp_events_write(struct imp *im)
{
	reg_error e;
	struct row *rw;
	struct wstate *s;
	const struct party *from, *to;
	PGresult *wres = NULL, *hres = NULL, *pres = NULL, *eres = NULL;
	const char *params[1];
	size_t i, n = 0, want = 0;
	int r;

	cm_strmap_clear(&im->seen);
	cm_strmap_clear(&im->weapon_id);
	cm_strmap_clear(&im->weapon_ref);
	cm_strmap_clear(&im->party_id);
	cm_strmap_clear(&im->party_ref);
	array_start(&im->q3);
	for (i = 0; i < im->nrows; i++)
		if (im->rows[i].state == ROW_NEW) {
			array_add(&im->q3, im->rows[i].f[E_OFFICE_REF]);
			want++;
		}
	cm_buf_addc(&im->q3, '}');
	if (im->q3.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	if (want == 0)
		return 0;
	params[0] = im->q3.p;
	if ((r = query(im, "SELECT office_ref FROM event "
	    "WHERE office_ref = ANY((SELECT $1::text[])::text[])", 1, params,
	    &eres, "look up the office references")) != 0 ||
	    (r = mark_seen(im, eres)) != 0 ||
	    (r = load_parties(im, &pres)) != 0 ||
	    (r = load_weapons(im, &wres, &hres)) != 0)
		goto out;
	for (i = 0; i < im->nrows; i++) {
		rw = &im->rows[i];
		if (rw->state != ROW_NEW)
			continue;
		if (cm_strmap_get(&im->seen, rw->f[E_OFFICE_REF]) != NULL) {
			rw->state = ROW_SKIP;
			continue;
		}
		reg_error_clear(&e);
		s = ref_find(&im->weapon_id, &im->weapon_ref, rw->f[E_WEAPON]);
		from = *rw->f[E_FROM] != '\0' ?
		    ref_find(&im->party_id, &im->party_ref, rw->f[E_FROM]) : NULL;
		to = *rw->f[E_TO] != '\0' ?
		    ref_find(&im->party_id, &im->party_ref, rw->f[E_TO]) : NULL;
		if (s == NULL)
			reg__fail(&e, REG_ENOTFOUND, "no weapon '%.100s' (office reference "
			    "or UUID)", rw->f[E_WEAPON]);
		else if (*rw->f[E_FROM] != '\0' && from == NULL)
			reg__fail(&e, REG_EINVAL, "from party '%.100s' is not a recorded "
			    "party", rw->f[E_FROM]);
		else if (*rw->f[E_TO] != '\0' && to == NULL)
			reg__fail(&e, REG_EINVAL, "to party '%.100s' is not a recorded "
			    "party", rw->f[E_TO]);
		else	/* moves s on when the event holds */
			(void)reg__imp_event_chain(s, rw->f[E_KIND], rw->f[E_DATE],
			    from != NULL ? from->id : "", to != NULL ? to->id : "",
			    to != NULL ? to->kind : "", &e);
		if (e.code != 0) {
			reg__imp_reject(im, rw, e.message);
			continue;
		}
		if ((r = event_record(im, rw, s, from, to)) != 0)
			goto out;
		if (cm_strmap_put(&im->seen, rw->f[E_OFFICE_REF], (void *)1) != 0) {
			r = reg__fail(im->err, REG_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	r = write_rows(im, n, 1);
out:
	PQclear(eres);
	PQclear(pres);
	PQclear(wres);
	PQclear(hres);
	return r;
}

void
reg__imp_write_open(struct imp *im)
{
	int t;

	for (t = 0; t < REC_NTYPES; t++)
		reg__leaf_keys(&reg__recdefs[t], &im->keys[t]);
	if (im->format == FMT_WEAPONS) {
		copy_sql(im->copy_sql[0], sizeof(im->copy_sql[0]), REC_WEAPON);
		copy_sql(im->copy_sql[1], sizeof(im->copy_sql[1]), REC_MARKING);
	} else {
		copy_sql(im->copy_sql[0], sizeof(im->copy_sql[0]), REC_EVENT);
	}
}
