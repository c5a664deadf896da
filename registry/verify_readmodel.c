/*
 * The trace engine's read model (trace_weapon, migration 0011) against the
 * records it copies.
 *
 * The read model is written by triggers, not sealed in the log: a
 * superuser can rewrite it without touching a record.  Two checks keep it
 * honest.
 *
 *  - reg__readmodel_verify(), the last step of reg_log_verify(): every
 *    weapon's row is derived again from the records (which the log
 *    verification has just checked against their leaves, in the same
 *    snapshot) and compared with the stored row.  The server compares the
 *    literals (one merge of the four tables' weapon-id indexes, grouped a
 *    weapon at a time) and sends only the weapons that differ; each is
 *    then read here record by record, as the trace engine reads the
 *    literals, to name the record, its leaf and the field.
 *
 *  - reg_weapon_records(), for the trace engine at answer time: every
 *    record of a weapon it is about to answer about, each with its leaf
 *    derived again from its row and compared with the stored leaf and the
 *    stored leaf hash, so that the engine can compare what it serves with
 *    what the log proves.  One query per weapon.
 *
 * Neither trusts a function of the database that a superuser could
 * redefine (reg_trace_rec(), the triggers): the records' literals are
 * written by the server's own row output, and leaves are made here.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "leaf_int.h"
#include "record_int.h"

/* ------------------------------------------------------ the read model */

/* trace_rec's fields, in its order (migration 0011). */
#define RM_COLS 31
#define RM_LOG_INDEX 30
static const char *const rm_field[RM_COLS] = {
	"kind", "weapon_id", "manufacturer_id", "model", "type", "calibre",
	"serial", "country", "year", "text", "location", "new_serial", "id",
	"seq", "what", "event_date", "from_party", "to_party", "licence_number",
	"licence_issued", "licence_expires", "euc_ref", "export_country",
	"import_country", "transit", "final_recipient", "certificate",
	"corrects", "reason", "note", "log_index"
};

#define N2 "NULL, NULL"
#define N5 "NULL, NULL, NULL, NULL, NULL"
#define N15 N5 ", " N5 ", " N5

/*
 * The weapons whose read-model row may differ from their records: the
 * records' literals are written here as migration 0011's reg_trace_rec()
 * writes them (anonymous rows of the same values, so the same text by
 * record_out, with DateStyle ISO, which the caller sets) and the arrays are
 * compared in the order of the log.  The records come as one merge of the
 * four tables' weapon-id indexes, grouped one weapon at a time, so that
 * memory stays bounded; only the weapons that differ are sent, with both
 * arrays (as JSON arrays of strings) for rm_row() to name the difference:
 *  0 weapon id, 1 its serial's key, 2 it has records, 3 their literals,
 *  4 it has a row, 5 the row's key, 6 the row's literals.
 * A row whose records are only in another order is sent too, and found
 * equal.
 */
static const char rm_sql[] =
    "SELECT coalesce(d.wid, t.weapon_id)::text, d.key, d.wid IS NOT NULL, "
    "to_json(d.recs), t.weapon_id IS NOT NULL, t.key, to_json(t.recs) "
    "FROM (SELECT u.wid, max(u.key) AS key, array_agg(u.r ORDER BY u.li) AS recs "
    "FROM (SELECT w.id AS wid, translate(w.serial_norm, 'D7', '01') AS key, "
    "w.log_index AS li, ROW('w', w.id, w.manufacturer_id, w.model, w.type, "
    "w.calibre, w.serial, w.country_of_manufacture::text, w.year_of_manufacture, "
    N5 ", " N15 ", NULL, w.log_index)::text AS r FROM weapon w "
    "UNION ALL SELECT m.weapon_id, NULL, m.log_index, ROW('m', m.weapon_id, "
    N5 ", m.country::text, m.year, m.text, m.location, m.new_serial, " N2 ", "
    "m.kind, " N15 ", m.log_index)::text FROM marking m "
    "UNION ALL SELECT c.weapon_id, NULL, c.log_index, ROW('c', c.weapon_id, "
    "NULL, NULL, NULL, NULL, c.serial, " N5 ", " N2 ", c.kind, " N15 ", "
    "c.log_index)::text FROM component c "
    "UNION ALL SELECT e.weapon_id, NULL, e.log_index, ROW('e', e.weapon_id, "
    N5 ", " N5 ", e.id, e.seq, e.kind, e.event_date, e.from_party, e.to_party, "
    "e.licence_number, e.licence_issued, e.licence_expires, e.euc_ref, "
    "e.export_country::text, e.import_country::text, "
    "array_to_string(e.transit_countries, ','), e.final_recipient, "
    "e.certificate, e.corrects, e.reason, e.note, e.log_index)::text "
    "FROM event e) AS u GROUP BY u.wid) AS d "
    "FULL JOIN trace_weapon t ON t.weapon_id = d.wid "
    "WHERE d.wid IS NULL OR t.weapon_id IS NULL OR t.key IS DISTINCT FROM d.key "
    "OR t.recs IS DISTINCT FROM d.recs";

/* One record: its fields (v NULL for NULL) and log index. */
struct rm_rec {
	const char *v[RM_COLS];
	size_t len[RM_COLS];
	long long li;		/* -1 when it has none that reads */
	char *buf;		/* unescaped fields of a stored literal */
};

static long long
rm_index(const struct rm_rec *r)
{
	const char *v = r->v[RM_LOG_INDEX];
	long long x = 0;
	size_t i;

	if (v == NULL || r->len[RM_LOG_INDEX] == 0 || r->len[RM_LOG_INDEX] > 18)
		return -1;
	for (i = 0; i < r->len[RM_LOG_INDEX]; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

/*
 * Reads a trace_rec literal as the trace engine's search reads it
 * (registry/search_decode.c, read_record()): "(f,f,...)", a field quoted when it must be, "" and \
 * escaping inside; nothing for NULL.  0, or 1 when it is not one.
 */
static int
rm_parse(struct rm_rec *out, const char *p, size_t len)
{
	size_t i = 1, end = len - 1, n = 0;
	int col = 0;

	memset(out, 0, sizeof(*out));
	out->li = -1;
	if (len < 2 || p[0] != '(' || p[end] != ')')
		return 1;
	if ((out->buf = malloc(len)) == NULL)
		return -1;
	for (;;) {
		size_t start = i;

		if (col == RM_COLS)
			return 1;
		while (i < end && p[i] != ',' && p[i] != '"' && p[i] != '\\')
			i++;
		if (i < end && p[i] != ',') {
			int quoted = 0;
			size_t from = n;

			for (i = start; i < end && (quoted || p[i] != ','); ) {
				if (p[i] == '"' && quoted && i + 1 < end && p[i + 1] == '"') {
					out->buf[n++] = '"';
					i += 2;
				} else if (p[i] == '"') {
					quoted = !quoted;
					i++;
				} else if (p[i] == '\\' && i + 1 < end) {
					out->buf[n++] = p[i + 1];
					i += 2;
				} else {
					out->buf[n++] = p[i++];
				}
			}
			if (quoted)
				return 1;
			out->v[col] = out->buf + from;
			out->len[col] = n - from;
		} else {
			out->v[col] = i == start ? NULL : p + start;
			out->len[col] = i - start;
		}
		col++;
		if (i >= end)
			break;
		i++;				/* the comma */
	}
	if (col != RM_COLS)
		return 1;
	out->li = rm_index(out);
	return 0;
}

static int
rm_cmp(const void *x, const void *y)
{
	const struct rm_rec *p = x, *q = y;

	return (p->li > q->li) - (p->li < q->li);
}

/* A record named for a message: "event (seq 3)", "marking (import)". */
static void
rm_name(const struct rm_rec *r, char *out, size_t outlen)
{
	char kind = r->v[0] != NULL && r->len[0] == 1 ? r->v[0][0] : '?';
	int wl = r->v[14] != NULL && r->len[14] < 40 ? (int)r->len[14] : 0;
	int sl = r->v[13] != NULL && r->len[13] < 12 ? (int)r->len[13] : 0;

	if (kind == 'w')
		snprintf(out, outlen, "weapon record");
	else if (kind == 'm')
		snprintf(out, outlen, "marking (%.*s)", wl, wl ? r->v[14] : "");
	else if (kind == 'c')
		snprintf(out, outlen, "component (%.*s)", wl, wl ? r->v[14] : "");
	else if (kind == 'e')
		snprintf(out, outlen, "event (seq %.*s)", sl, sl ? r->v[13] : "?");
	else
		snprintf(out, outlen, "record of kind '%c'", kind);
}

/* A field's value for a message, cut short. */
static void
rm_show(const struct rm_rec *r, int col, char *out, size_t outlen)
{
	if (r->v[col] == NULL)
		snprintf(out, outlen, "NULL");
	else
		snprintf(out, outlen, "'%.*s'%s", r->len[col] > 60 ? 60 :
		    (int)r->len[col], r->v[col], r->len[col] > 60 ? "..." : "");
}

/* What was found so far. */
struct rm_state {
	char first[700];	/* the first difference */
	int64_t first_index;	/* its leaf, or -1 */
	uint64_t differ;	/* weapons that differ */
};

static void
rm_differ(struct rm_state *st, int64_t li, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
rm_differ(struct rm_state *st, int64_t li, const char *fmt, ...)
{
	va_list ap;

	if (st->first[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(st->first, sizeof(st->first), fmt, ap);
	va_end(ap);
	st->first_index = li;
}

/*
 * Compares one weapon's records (want, from the records, nw of them) with
 * its read-model row (have, nh): both sorted by log index here.  1 when
 * they differ (the first difference noted in st), 0 when they agree.
 */
static int
rm_compare(struct rm_state *st, const char *id, struct rm_rec *want, size_t nw,
    struct rm_rec *have, size_t nh)
{
	char what[64], a[80], b[80];
	size_t i = 0, k = 0;
	int c;

	qsort(want, nw, sizeof(*want), rm_cmp);
	qsort(have, nh, sizeof(*have), rm_cmp);
	while (i < nw || k < nh) {
		if (k < nh && have[k].li < 0) {
			rm_differ(st, -1, "read model (trace_weapon), weapon %s: a record "
			    "without a log index that reads, not in the records", id);
			return 1;
		}
		if (k >= nh || (i < nw && want[i].li < have[k].li)) {
			rm_name(&want[i], what, sizeof(what));
			rm_differ(st, want[i].li, "read model (trace_weapon), weapon %s: "
			    "its %s at leaf %lld is missing from the read model", id, what,
			    want[i].li);
			return 1;
		}
		if (i >= nw || have[k].li < want[i].li) {
			rm_name(&have[k], what, sizeof(what));
			rm_differ(st, have[k].li, "read model (trace_weapon), weapon %s: "
			    "it holds a%s %s at leaf %lld that is not in the records", id,
			    k > 0 && have[k - 1].li == have[k].li ? " second" : "", what,
			    have[k].li);
			return 1;
		}
		for (c = 0; c < RM_COLS; c++)
			if ((want[i].v[c] == NULL) != (have[k].v[c] == NULL) ||
			    want[i].len[c] != have[k].len[c] || (want[i].v[c] != NULL &&
			    memcmp(want[i].v[c], have[k].v[c], want[i].len[c]) != 0)) {
				rm_name(&want[i], what, sizeof(what));
				rm_show(&have[k], c, a, sizeof(a));
				rm_show(&want[i], c, b, sizeof(b));
				rm_differ(st, want[i].li, "read model (trace_weapon), weapon "
				    "%s: its %s at leaf %lld differs from the records in %s: "
				    "%s where the records have %s", id, what, want[i].li,
				    rm_field[c], a, b);
				return 1;
			}
		i++;
		k++;
	}
	return 0;
}

/* Parses a JSON array of literals (as rm_sql sends them) into *out, *n
 * of them.  0; 1 when one is not a literal (its number in *bad); -1 out of
 * memory. */
static int
rm_parse_all(json_t *arr, struct rm_rec **out, size_t *n, size_t *bad)
{
	size_t i, cap = json_array_size(arr);
	json_t *x;
	int r;

	*n = 0;
	if ((*out = calloc(cap ? cap : 1, sizeof(**out))) == NULL)
		return -1;
	json_array_foreach(arr, i, x) {
		r = json_is_string(x) ? rm_parse(&(*out)[*n], json_string_value(x),
		    json_string_length(x)) : 1;
		(*n)++;
		if (r != 0) {
			*bad = i + 1;
			return r;
		}
	}
	return 0;
}

static void
rm_free_all(struct rm_rec *r, size_t n)
{
	size_t i;

	for (i = 0; r != NULL && i < n; i++)
		free(r[i].buf);
	free(r);
}

/* Names the difference of one row of rm_sql's result.  0, or REG_ENOMEM. */
static int
rm_row(struct rm_state *st, PGresult *res)
{
	const char *id = PQgetvalue(res, 0, 0);
	json_t *w = NULL, *h = NULL;
	struct rm_rec *want = NULL, *have = NULL;
	size_t nw = 0, nh = 0, bad = 0;
	int r = 0, differ = 0, pr;

	if (strcmp(PQgetvalue(res, 0, 2), "t") != 0) {
		rm_differ(st, -1, "read model (trace_weapon): it has a row for weapon "
		    "%s, which the records do not have", id);
		st->differ++;
		return 0;
	}
	if (strcmp(PQgetvalue(res, 0, 4), "t") != 0) {
		rm_differ(st, -1, "read model (trace_weapon): weapon %s has no row in "
		    "it", id);
		st->differ++;
		return 0;
	}
	if (PQgetisnull(res, 0, 5) ||
	    strcmp(PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 5)) != 0) {
		rm_differ(st, -1, "read model (trace_weapon), weapon %s: its row is "
		    "under search key '%.40s' where its serial's key is '%.40s'", id,
		    PQgetvalue(res, 0, 5), PQgetvalue(res, 0, 1));
		st->differ++;
		return 0;
	}
	w = json_loads(PQgetvalue(res, 0, 3), 0, NULL);
	h = PQgetisnull(res, 0, 6) ? NULL : json_loads(PQgetvalue(res, 0, 6), 0, NULL);
	if (w == NULL || rm_parse_all(w, &want, &nw, &bad) != 0) {
		r = REG_ENOMEM;		/* made here: always literals */
		goto out;
	}
	if (!json_is_array(h)) {
		rm_differ(st, -1, "read model (trace_weapon), weapon %s: its row "
		    "holds no array of records", id);
		differ = 1;
	} else if ((pr = rm_parse_all(h, &have, &nh, &bad)) < 0) {
		r = REG_ENOMEM;
		goto out;
	} else if (pr > 0) {
		rm_differ(st, -1, "read model (trace_weapon), weapon %s: its record "
		    "%zu is not a record literal", id, bad);
		differ = 1;
	} else {
		differ = rm_compare(st, id, want, nw, have, nh);
	}
	if (differ)
		st->differ++;
out:
	rm_free_all(have, nh);
	rm_free_all(want, nw);
	json_decref(w);
	json_decref(h);
	return r;
}

int
reg__readmodel_verify(reg_ctx *ctx, int64_t *bad_index, reg_error *err)
{
	struct rm_state st;
	PGresult *res;
	int r = 0, s;

	memset(&st, 0, sizeof(st));
	st.first_index = -1;
	/* Databases of an older schema have no read model. */
	res = reg__exec(ctx, "SELECT to_regclass('trace_weapon') IS NOT NULL", 0,
	    NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot look up the read model");
		PQclear(res);
		return r;
	}
	s = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!s)
		return 0;
	/* Dates as the triggers write them. */
	if ((r = reg__exec_cmd(ctx, "SET LOCAL DateStyle = 'ISO, YMD'", err)) != 0)
		return r;
	if (PQsendQueryParams(ctx->conn, rm_sql, 0, NULL, NULL, NULL, NULL, 0) != 1)
		return reg__fail_pg(err, ctx->conn, NULL, "cannot read the read model");
	PQsetSingleRowMode(ctx->conn);
	while ((res = PQgetResult(ctx->conn)) != NULL) {
		s = PQresultStatus(res);
		if (s == PGRES_SINGLE_TUPLE && r == 0) {
			if (rm_row(&st, res) != 0)
				r = reg__fail(err, REG_ENOMEM, "out of memory");
		} else if (s != PGRES_TUPLES_OK && s != PGRES_SINGLE_TUPLE && r == 0) {
			r = reg__fail_pg(err, ctx->conn, res, "cannot read the read model");
		}
		PQclear(res);
	}
	if (r == 0 && st.differ > 0) {
		if (st.first_index >= 0)
			*bad_index = st.first_index;
		r = reg__fail(err, REG_EVERIFY, "%s (%" PRIu64 " %s from %s records)",
		    st.first, st.differ, st.differ == 1 ? "weapon differs" :
		    "weapons differ", st.differ == 1 ? "its" : "their");
	}
	return r;
}

/* ------------------------------------------------- a weapon's records */

/* The record types a weapon has, the column naming the weapon in each. */
static const struct {
	enum reg__rectype type;
	const char *weapon_col;
} wr_types[] = {
	{ REC_WEAPON, "r.id" },
	{ REC_MARKING, "r.weapon_id" },
	{ REC_COMPONENT, "r.weapon_id" },
	{ REC_EVENT, "r.weapon_id" },
};
#define WR_NTYPES (sizeof(wr_types) / sizeof(wr_types[0]))
#define WR_COLS 21		/* the most columns of the four (event's) */

/*
 * One query for the four tables, made from their canonical SELECTs
 * (record.c), for one weapon (a scalar parameter: after its first runs
 * the server keeps one generic plan; with an array of weapons it planned
 * every run again, which took four times as long as the run): per record,
 * its type (wr_types' index), the weapon, its
 * columns padded with NULLs to WR_COLS, its log index, the stored leaf and
 * the stored leaf hash, in the order of the log.  Results come in binary:
 * every column is text but the log index, the leaf and its hash.  NULL when out of memory
 * (the caller frees the text).
 */
static char *
wr_sql(void)
{
	static const char tail[] = " , r.log_index, l.leaf FROM ";
	size_t cap = 16384, len = 0, t;
	char *sql = malloc(cap);
	int k;

	if (sql == NULL)
		return NULL;
	sql[0] = '\0';
	for (t = 0; t < WR_NTYPES; t++) {
		const struct reg__recdef *def = &reg__recdefs[wr_types[t].type];
		const char *cols = def->select_sql + strlen("SELECT ");
		const char *end = strstr(cols, tail);
		int n;

		REG_ASSERT(strncmp(def->select_sql, "SELECT ", 7) == 0 && end != NULL &&
		    def->ncols <= WR_COLS);
		n = snprintf(sql + len, cap - len, "%sSELECT '%zu'::text, %s::text, %.*s",
		    t > 0 ? " UNION ALL " : "", t, wr_types[t].weapon_col,
		    (int)(end - cols), cols);
		REG_ASSERT(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
		for (k = def->ncols; k < WR_COLS; k++) {
			n = snprintf(sql + len, cap - len, ", NULL");
			REG_ASSERT(n > 0 && (size_t)n < cap - len);
			len += (size_t)n;
		}
		n = snprintf(sql + len, cap - len, ", r.log_index, l.leaf, "
		    "substring(l.nodes FROM 1 FOR 32) FROM %s r LEFT JOIN log_entry l "
		    "ON l.idx = r.log_index WHERE %s = $1::uuid", def->table,
		    wr_types[t].weapon_col);
		REG_ASSERT(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
	k = snprintf(sql + len, cap - len, " ORDER BY %d", 2 + WR_COLS + 1);
	REG_ASSERT(k > 0 && (size_t)k < cap - len);
	return sql;
}

/* wr_sql()'s text, made once (the first callers may race to make it:
 * one keeps theirs, the others free theirs). */
static _Atomic(char *) wr_sql_text;

static const char *
wr_sql_once(void)
{
	char *sql = atomic_load(&wr_sql_text), *expected = NULL;

	if (sql != NULL)
		return sql;
	if ((sql = wr_sql()) == NULL)
		return NULL;
	if (!atomic_compare_exchange_strong(&wr_sql_text, &expected, sql)) {
		free(sql);
		sql = expected;
	}
	return sql;
}

const char *
reg_weapon_record_value(const struct reg_weapon_record *rec, const char *col)
{
	int i;

	for (i = 0; i < rec->ncols; i++)
		if (strcmp(rec->cols[i], col) == 0)
			return rec->values[i];
	return NULL;
}

int
reg_weapon_records(reg_ctx *ctx, const char *const *ids, size_t n,
    reg_weapon_record_cb cb, void *arg, reg_error *err)
{
	const char *values[WR_COLS], *params[1], *sql;
	struct cm_buf leaf = CM_BUF_INIT;
	char id[REG_UUID_STR];
	PGresult *res = NULL;
	size_t i;
	int r = 0, row, c;

	if (n == 0)
		return 0;
	if (n > 1000 || ids == NULL)
		return reg__fail(err, REG_EINVAL, "at most 1000 weapons at once");
	if ((sql = wr_sql_once()) == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	for (i = 0; i < n && r == 0; i++) {
		reg_uuid u;

		if (reg_uuid_parse(ids[i], &u, NULL) != 0) {
			r = reg__fail(err, REG_EINVAL, "'%.40s' is not a weapon id", ids[i]);
			break;
		}
		reg_uuid_format(&u, id);
		params[0] = id;
		PQclear(res);
		res = reg__exec(ctx, sql, 1, params, NULL, NULL, 1);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			r = reg__fail_pg(err, ctx->conn, res, "cannot read the records of "
			    "weapon %s", id);
			break;
		}
		for (row = 0; row < PQntuples(res) && r == 0; row++) {
			size_t t = (size_t)atoi(PQgetvalue(res, row, 0));
			const struct reg__recdef *def;
			struct reg_weapon_record rec;
			const unsigned char *b = (const unsigned char *)PQgetvalue(res, row,
			    2 + WR_COLS);
			uint64_t idx = 0;
			char li[24];
			int lc = 2 + WR_COLS + 1;

			REG_ASSERT(t < WR_NTYPES && PQgetlength(res, row, 2 + WR_COLS) == 8);
			for (c = 0; c < 8; c++)
				idx = idx << 8 | b[c];
			snprintf(li, sizeof(li), "%" PRIu64, idx);
			def = &reg__recdefs[wr_types[t].type];
			for (c = 0; c < def->ncols; c++)
				values[c] = PQgetisnull(res, row, 2 + c) ? NULL :
				    PQgetvalue(res, row, 2 + c);
			if (PQgetisnull(res, row, lc)) {
				r = reg__fail(err, REG_EVERIFY, "table %s, record %s: its leaf "
				    "%s is not in the log", def->table, values[0], li);
				break;
			}
			/* The leaf made again from the row. */
			if ((r = reg__leaf_encode(&leaf, def, NULL, values, err)) != 0)
				break;
			if ((size_t)PQgetlength(res, row, lc) != leaf.len ||
			    memcmp(PQgetvalue(res, row, lc), leaf.p, leaf.len) != 0) {
				r = reg__fail(err, REG_EVERIFY, "table %s, record %s (leaf %s): "
				    "the row differs from what was sealed: it was altered",
				    def->table, values[0], li);
				break;
			}
			memset(&rec, 0, sizeof(rec));
			if (reg_merkle_leaf_hash_r(leaf.p, leaf.len, &rec.leaf_hash) != 0) {
				r = reg__fail(err, REG_ECRYPTO, "cannot hash leaf %s: out of "
				    "memory", li);
				break;
			}
			if (PQgetlength(res, row, lc + 1) != 32 ||
			    memcmp(PQgetvalue(res, row, lc + 1), rec.leaf_hash.b, 32) != 0) {
				r = reg__fail(err, REG_EVERIFY, "table %s, record %s: leaf %s "
				    "does not have its stored hash", def->table, values[0], li);
				break;
			}
			rec.weapon_id = PQgetvalue(res, row, 1);
			rec.type = def->type;
			rec.log_index = idx;
			rec.ncols = def->ncols;
			rec.cols = def->cols;
			rec.values = values;
			r = cb(arg, &rec);
		}
	}
	PQclear(res);
	cm_buf_free(&leaf);
	return r;
}
