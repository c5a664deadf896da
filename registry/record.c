/*
 * Records: canonical leaves, writing rows with their leaves, and checking
 * rows against the log.  See record_int.h for the encoding.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "common/utf8.h"
#include "leaf_int.h"
#include "record_int.h"

#define TS(col) REG__SQL_TS(col)
#define DATE(col) "to_char(" col ", 'YYYY-MM-DD')"
#define FROM(t) " , r.log_index, l.leaf FROM " t " r LEFT JOIN log_entry l ON l.idx = r.log_index ORDER BY r.log_index"

static const char *const manufacturer_cols[] = { "id", "name", "country", "recorded_at" };
static const char *const alias_cols[] = {
	"id", "manufacturer_id", "alias", "alias_norm", "kind", "recorded_at"
};
static const char *const party_cols[] = {
	"id", "kind", "name", "country", "region", "licence", "office_ref",
	"pii_commitment", "recorded_at"
};
static const char *const weapon_cols[] = {
	"id", "office_ref", "manufacturer_id", "model", "type", "calibre",
	"calibre_norm", "serial", "serial_norm", "country_of_manufacture",
	"year_of_manufacture", "recorded_at"
};
static const char *const marking_cols[] = {
	"id", "weapon_id", "kind", "text", "location", "country", "year",
	"new_serial", "recorded_at"
};
static const char *const component_cols[] = {
	"id", "weapon_id", "kind", "serial", "serial_norm", "recorded_at"
};
static const char *const event_cols[] = {
	"id", "weapon_id", "seq", "kind", "event_date", "from_party", "to_party",
	"licence_number", "licence_issued", "licence_expires", "euc_ref",
	"export_country", "import_country", "transit_countries", "final_recipient",
	"certificate", "corrects", "reason", "note", "office_ref", "recorded_at"
};
static const char *const trace_request_cols[] = {
	"id", "parent_id", "requesting_state", "requested_state", "caller", "kid",
	"priority", "received_at", "due_by", "message_sha256"
};
static const char *const trace_status_cols[] = {
	"id", "request_id", "status", "at", "reasons", "response_sha256"
};
static const char *const trace_hop_cols[] = {
	"id", "root_id", "parent_id", "hop", "requesting_state", "requested_state",
	"via", "submitted_by", "kid", "priority", "created_at", "due_by",
	"origin_sha256", "message_sha256"
};
static const char *const trace_hop_event_cols[] = {
	"id", "hop_id", "kind", "status", "at", "due_by", "detail", "message_sha256"
};
static const char *const relay_cols[] = {
	"id", "requesting_state", "requested_state", "caller", "kid", "priority",
	"received_at", "request_sha256"
};
static const char *const relay_status_cols[] = {
	"id", "request_id", "status", "at", "http_status", "due_by",
	"responded_at", "document_sha256"
};

const struct reg__recdef reg__recdefs[REC_NTYPES] = {
	[REC_MANUFACTURER] = { "manufacturer", "manufacturer", 4, manufacturer_cols,
	    "INSERT INTO manufacturer (id, name, country, recorded_at, log_index) "
	    "VALUES ($1, $2, $3, $4, $5)", 0,
	    "SELECT r.id::text, r.name, r.country::text, " TS("r.recorded_at")
	    FROM("manufacturer") },
	[REC_ALIAS] = { "manufacturer_alias", "manufacturer_alias", 6, alias_cols,
	    "INSERT INTO manufacturer_alias (id, manufacturer_id, alias, alias_norm, kind, "
	    "recorded_at, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7)", 0,
	    "SELECT r.id::text, r.manufacturer_id::text, r.alias, r.alias_norm, r.kind, "
	    TS("r.recorded_at") FROM("manufacturer_alias") },
	[REC_PARTY] = { "party", "party", 9, party_cols,
	    "INSERT INTO party (id, kind, name, country, region, licence, office_ref, "
	    "pii_commitment, recorded_at, log_index, pii) VALUES ($1, $2, $3, $4, $5, $6, "
	    "$7, decode($8, 'base64'), $9, $10, $11)", 1,
	    "SELECT r.id::text, r.kind, r.name, r.country::text, r.region, r.licence, "
	    "r.office_ref, encode(r.pii_commitment, 'base64'), " TS("r.recorded_at")
	    FROM("party") },
	[REC_WEAPON] = { "weapon", "weapon", 12, weapon_cols,
	    "INSERT INTO weapon (id, office_ref, manufacturer_id, model, type, calibre, "
	    "calibre_norm, serial, serial_norm, country_of_manufacture, year_of_manufacture, "
	    "recorded_at, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
	    "$12, $13)", 0,
	    "SELECT r.id::text, r.office_ref, r.manufacturer_id::text, r.model, r.type, "
	    "r.calibre, r.calibre_norm, r.serial, r.serial_norm, "
	    "r.country_of_manufacture::text, r.year_of_manufacture::text, "
	    TS("r.recorded_at") FROM("weapon") },
	[REC_MARKING] = { "marking", "marking", 9, marking_cols,
	    "INSERT INTO marking (id, weapon_id, kind, text, location, country, year, "
	    "new_serial, recorded_at, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
	    "$9, $10)", 0,
	    "SELECT r.id::text, r.weapon_id::text, r.kind, r.text, r.location, "
	    "r.country::text, r.year::text, r.new_serial, " TS("r.recorded_at")
	    FROM("marking") },
	[REC_COMPONENT] = { "component", "component", 6, component_cols,
	    "INSERT INTO component (id, weapon_id, kind, serial, serial_norm, recorded_at, "
	    "log_index) VALUES ($1, $2, $3, $4, $5, $6, $7)", 0,
	    "SELECT r.id::text, r.weapon_id::text, r.kind, r.serial, r.serial_norm, "
	    TS("r.recorded_at") FROM("component") },
	[REC_EVENT] = { "event", "event", 21, event_cols,
	    "INSERT INTO event (id, weapon_id, seq, kind, event_date, from_party, to_party, "
	    "licence_number, licence_issued, licence_expires, euc_ref, export_country, "
	    "import_country, transit_countries, final_recipient, certificate, corrects, "
	    "reason, note, office_ref, recorded_at, log_index) VALUES ($1, $2, $3, $4, $5, "
	    "$6, $7, $8, $9, $10, $11, $12, $13, string_to_array($14, ',')::char(2)[], $15, "
	    "$16, $17, $18, $19, $20, $21, $22)", 0,
	    "SELECT r.id::text, r.weapon_id::text, r.seq::text, r.kind, " DATE("r.event_date")
	    ", r.from_party::text, r.to_party::text, r.licence_number, "
	    DATE("r.licence_issued") ", " DATE("r.licence_expires") ", r.euc_ref, "
	    "r.export_country::text, r.import_country::text, "
	    "array_to_string(r.transit_countries, ','), r.final_recipient, r.certificate, "
	    "r.corrects::text, r.reason, r.note, r.office_ref, " TS("r.recorded_at")
	    FROM("event") },
	/*
	 * The message is the extra parameter; its digest is stored too (the
	 * table's CHECK ties the two), but the leaf's digest is computed again
	 * from the message as stored, so that an altered message is caught.
	 */
	[REC_TRACE_REQUEST] = { "trace_request", "trace_request", 10, trace_request_cols,
	    "INSERT INTO trace_request (id, parent_id, requesting_state, requested_state, "
	    "caller, kid, priority, received_at, due_by, message_sha256, log_index, "
	    "message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)", 1,
	    "SELECT r.id::text, r.parent_id::text, r.requesting_state::text, "
	    "r.requested_state::text, r.caller, r.kid, r.priority, " TS("r.received_at")
	    ", " TS("r.due_by") ", " REG__SQL_SHA256("r.message") FROM("trace_request") },
	[REC_TRACE_STATUS] = { "trace_status", "trace_status", 6, trace_status_cols,
	    "INSERT INTO trace_status (id, request_id, status, at, reasons, response_sha256, "
	    "log_index, response) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 1,
	    "SELECT r.id::text, r.request_id::text, r.status, " TS("r.at") ", r.reasons, "
	    REG__SQL_SHA256("r.response") FROM("trace_status") },
	/* Two messages for a hop: the submitter's (hop 0) and the one sent. */
	[REC_TRACE_HOP] = { "trace_hop", "trace_hop", 14, trace_hop_cols,
	    "INSERT INTO trace_hop (id, root_id, parent_id, hop, requesting_state, "
	    "requested_state, via, submitted_by, kid, priority, created_at, due_by, "
	    "origin_sha256, message_sha256, log_index, origin, message) VALUES ($1, $2, "
	    "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)", 2,
	    "SELECT r.id::text, r.root_id::text, r.parent_id::text, r.hop::text, "
	    "r.requesting_state::text, r.requested_state::text, r.via::text, "
	    "r.submitted_by, r.kid, r.priority, " TS("r.created_at") ", "
	    TS("r.due_by") ", " REG__SQL_SHA256("r.origin") ", "
	    REG__SQL_SHA256("r.message") FROM("trace_hop") },
	[REC_TRACE_HOP_EVENT] = { "trace_hop_event", "trace_hop_event", 8,
	    trace_hop_event_cols,
	    "INSERT INTO trace_hop_event (id, hop_id, kind, status, at, due_by, detail, "
	    "message_sha256, log_index, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
	    "$9, $10)", 1,
	    "SELECT r.id::text, r.hop_id::text, r.kind, r.status, " TS("r.at") ", "
	    TS("r.due_by") ", r.detail, " REG__SQL_SHA256("r.message")
	    FROM("trace_hop_event") },
	/* A liaison hub's metadata of what it relayed: never a message. */
	[REC_RELAY] = { "relay", "relay", 8, relay_cols,
	    "INSERT INTO relay (id, requesting_state, requested_state, caller, kid, "
	    "priority, received_at, request_sha256, log_index) VALUES ($1, $2, $3, $4, "
	    "$5, $6, $7, $8, $9)", 0,
	    "SELECT r.id::text, r.requesting_state::text, r.requested_state::text, "
	    "r.caller, r.kid, r.priority, " TS("r.received_at") ", r.request_sha256"
	    FROM("relay") },
	[REC_RELAY_STATUS] = { "relay_status", "relay_status", 8, relay_status_cols,
	    "INSERT INTO relay_status (id, request_id, status, at, http_status, due_by, "
	    "responded_at, document_sha256, log_index) VALUES ($1, $2, $3, $4, $5, $6, "
	    "$7, $8, $9)", 0,
	    "SELECT r.id::text, r.request_id::text, r.status, " TS("r.at") ", "
	    "r.http_status::text, " TS("r.due_by") ", " TS("r.responded_at") ", "
	    "r.document_sha256" FROM("relay_status") },
};

int
reg__record_classify(const uint8_t *leaf, size_t len)
{
	static const char prefix[] = "{\"_r\":\"";
	size_t pl = sizeof(prefix) - 1, tl;
	int t;

	if (len < pl || memcmp(leaf, prefix, pl) != 0)
		return -1;
	for (t = 0; t < REC_NTYPES; t++) {
		tl = strlen(reg__recdefs[t].type);
		if (len > pl + tl && memcmp(leaf + pl, reg__recdefs[t].type, tl) == 0 &&
		    leaf[pl + tl] == '"')
			return t;
	}
	return -1;
}

/* A record's INSERT with its parameters, ready to run. */
struct record_stmt {
	const char *params[REC_MAX_COLS + 4];
	int lens[REC_MAX_COLS + 4], fmts[REC_MAX_COLS + 4], n;
	const char *sql;
	char idxs[24], together[2048];
	uint8_t nodes[32 * REG_LOG_NODES_MAX];
	char *leaf;
	uint64_t idx;
};

/*
 * Builds type's INSERT for values.  mode 0: the leaf is appended first, in
 * its own transaction (the caller has none); 1: inside the caller's
 * transaction, the statement inserts the leaf's log_entry row too; 2: the
 * same in a transaction opened here (BEGIN, lock and frontier in one round
 * trip).  Free st->leaf after.
 */
static int
record_stmt(reg_ctx *ctx, const struct reg__recdef *def, const char *const *values,
    const char *const *extra, const int *extralen, int mode,
    struct record_stmt *st, reg_error *err)
{
	size_t len = 0, nodes_len = 0;
	int i, r;

	st->leaf = NULL;
	st->sql = def->insert_sql;
	if ((r = reg__leaf_make(def, values, &st->leaf, &len, err)) != 0)
		return r;
	if (mode == 0)
		r = reg_log_append(ctx, st->leaf, len, &st->idx, err);
	else
		r = reg__log_next_entry(ctx, mode == 2, st->leaf, len, &st->idx,
		    st->nodes, &nodes_len, err);
	if (r != 0)
		return r;
	snprintf(st->idxs, sizeof(st->idxs), "%" PRIu64, st->idx);
	for (i = 0; i < def->ncols; i++) {
		st->params[i] = values[i];
		st->lens[i] = 0;
		st->fmts[i] = 0;
	}
	st->params[i] = st->idxs;
	st->lens[i] = 0;
	st->fmts[i] = 0;
	st->n = def->ncols + 1;
	for (i = 0; i < def->nextra; i++, st->n++) {
		st->params[st->n] = extra[i];
		st->lens[st->n] = extralen[i];
		st->fmts[st->n] = 1;
	}
	if (mode == 0)
		return 0;
	/* The leaf's row, inserted by the record's statement: one round trip
	 * less than appending it on its own. */
	if (snprintf(st->together, sizeof(st->together), "WITH reg_leaf AS (INSERT "
	    "INTO log_entry (idx, leaf, nodes) VALUES ($%d::bigint, $%d::bytea, "
	    "$%d::bytea)) %s", def->ncols + 1, st->n + 1, st->n + 2,
	    def->insert_sql) >= (int)sizeof(st->together))
		return reg__fail(err, REG_EINTERNAL, "the %s's statement is too long",
		    def->type);
	st->sql = st->together;
	st->params[st->n] = st->leaf;
	st->lens[st->n] = (int)len;
	st->fmts[st->n++] = 1;
	st->params[st->n] = (const char *)st->nodes;
	st->lens[st->n] = (int)nodes_len;
	st->fmts[st->n++] = 1;
	return 0;
}

int
reg__record_write(reg_ctx *ctx, enum reg__rectype type,
    const char *const *values, const char *const *extra, const int *extralen,
    uint64_t *log_index, reg_error *err)
{
	const struct reg__recdef *def = &reg__recdefs[type];
	struct record_stmt st;
	PGresult *res = NULL;
	int r;

	if ((r = record_stmt(ctx, def, values, extra, extralen, reg__in_tx(ctx) ? 1 : 0,
	    &st, err)) != 0)
		goto out;
	res = reg__exec(ctx, st.sql, st.n, st.params, st.lens, st.fmts, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot record the %s", def->type);
		goto out;
	}
	if (log_index != NULL)
		*log_index = st.idx;
	r = 0;
out:
	PQclear(res);
	free(st.leaf);
	return r;
}

/*
 * Writes the record with its leaf (record_stmt()'s mode 1 or 2) and
 * commits, in the statement's round trip; the transaction is committed or
 * rolled back.
 */
static int
write_commit(reg_ctx *ctx, enum reg__rectype type, const char *const *values,
    const char *const *extra, const int *extralen, int mode,
    uint64_t *log_index, reg_error *err)
{
	const struct reg__recdef *def = &reg__recdefs[type];
	struct record_stmt st;
	char what[64];
	int r;

	snprintf(what, sizeof(what), "cannot record the %s", def->type);
	r = record_stmt(ctx, def, values, extra, extralen, mode, &st, err);
	if (r == 0)
		r = reg__exec_commit(ctx, st.sql, st.n, st.params, st.lens, st.fmts,
		    what, err);
	else if (reg__in_tx(ctx))
		(void)reg__exec_cmd(ctx, "ROLLBACK", NULL);
	free(st.leaf);
	if (r == 0 && log_index != NULL)
		*log_index = st.idx;
	return r;
}

int
reg__record_write_last(reg_ctx *ctx, struct reg__tx *tx, enum reg__rectype type,
    const char *const *values, const char *const *extra, const int *extralen,
    uint64_t *log_index, reg_error *err)
{
	if (!tx->own)
		return reg__record_write(ctx, type, values, extra, extralen, log_index,
		    err);
	tx->own = 0;	/* committed here, or rolled back */
	return write_commit(ctx, type, values, extra, extralen, 1, log_index, err);
}

int
reg__record_write_alone(reg_ctx *ctx, enum reg__rectype type,
    const char *const *values, const char *const *extra, const int *extralen,
    const char *missing, uint64_t *log_index, reg_error *err)
{
	reg_error e = REG_ERROR_INIT;
	int r;

	if (reg__in_tx(ctx))
		return reg__fail(err, REG_EINTERNAL, "a record written alone needs "
		    "no transaction open");
	if ((r = write_commit(ctx, type, values, extra, extralen, 2, log_index,
	    &e)) == 0)
		return 0;
	/* foreign_key_violation: what the record refers to is not there. */
	if (missing != NULL && strcmp(e.sqlstate, "23503") == 0)
		return reg__fail(err, REG_ENOTFOUND, "%s", missing);
	if (err != NULL && err->code == 0)
		*err = e;
	return r;
}

int
reg__recseen_add(struct reg__recseen *s, int type, uint64_t idx)
{
	uint64_t *p;
	size_t ncap;

	if (s->n[type] == s->cap[type]) {
		ncap = s->cap[type] ? s->cap[type] * 2 : 1024;
		p = realloc(s->idx[type], ncap * sizeof(*p));
		if (p == NULL)
			return -1;
		s->idx[type] = p;
		s->cap[type] = ncap;
	}
	s->idx[type][s->n[type]++] = idx;
	return 0;
}

void
reg__recseen_free(struct reg__recseen *s)
{
	int t;

	for (t = 0; t < REC_NTYPES; t++)
		free(s->idx[t]);
	memset(s, 0, sizeof(*s));
}

static uint64_t
text_u64(const char *s)
{
	return strtoull(s, NULL, 10);
}

/* Checks one table's rows against the record leaves seen of its type. */
static int
verify_table(reg_ctx *ctx, int type, const struct reg__recseen *seen,
    int64_t *bad_index, reg_error *err)
{
	const struct reg__recdef *def = &reg__recdefs[type];
	const char *values[REC_MAX_COLS];
	PGresult *res = NULL;
	size_t k = 0, leaflen = 0;
	char *leaf = NULL;
	int r = 0, st, i;

	if (PQsendQueryParams(ctx->conn, def->select_sql, 0, NULL, NULL, NULL, NULL, 0) != 1)
		return reg__fail_pg(err, ctx->conn, NULL, "cannot read %s records", def->table);
	PQsetSingleRowMode(ctx->conn);
	while ((res = PQgetResult(ctx->conn)) != NULL) {
		st = PQresultStatus(res);
		if (st == PGRES_SINGLE_TUPLE && r == 0) {
			uint64_t li = text_u64(PQgetvalue(res, 0, def->ncols));
			const char *id = PQgetvalue(res, 0, 0);
			const char *stored = PQgetvalue(res, 0, def->ncols + 1);
			size_t slen;

			/* Leaves of this type with no row: removed records. */
			if (k < seen->n[type] && seen->idx[type][k] < li) {
				*bad_index = (int64_t)seen->idx[type][k];
				r = reg__fail(err, REG_EVERIFY, "%s record sealed at leaf %" PRIu64
				    " is missing from table %s: a record was removed",
				    def->type, seen->idx[type][k], def->table);
				goto next;
			}
			if (k >= seen->n[type] || seen->idx[type][k] != li ||
			    PQgetisnull(res, 0, def->ncols + 1)) {
				*bad_index = (int64_t)li;
				r = reg__fail(err, REG_EVERIFY, "table %s, record %s: its leaf %"
				    PRIu64 " is not a sealed %s record: a row was inserted "
				    "outside the registry", def->table, id, li, def->type);
				goto next;
			}
			k++;
			for (i = 0; i < def->ncols; i++)
				values[i] = PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i);
			free(leaf);
			leaf = NULL;
			if (reg__leaf_make(def, values, &leaf, &leaflen, err) != 0) {
				r = REG_EVERIFY;
				*bad_index = (int64_t)li;
				goto next;
			}
			/* The stored leaf arrives as text bytea: \x and hex. */
			slen = strlen(stored);
			{
				size_t blen = 0;
				unsigned char *b = PQunescapeBytea((const unsigned char *)stored,
				    &blen);

				if (b == NULL || blen != leaflen || memcmp(b, leaf, leaflen) != 0) {
					*bad_index = (int64_t)li;
					r = reg__fail(err, REG_EVERIFY, "table %s, record %s (leaf %"
					    PRIu64 "): the row differs from what was sealed: it was "
					    "altered", def->table, id, li);
				}
				PQfreemem(b);
			}
			(void)slen;
		} else if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE && r == 0) {
			r = reg__fail_pg(err, ctx->conn, res, "cannot read %s records", def->table);
		}
next:
		PQclear(res);
	}
	if (r == 0 && k < seen->n[type]) {
		*bad_index = (int64_t)seen->idx[type][k];
		r = reg__fail(err, REG_EVERIFY, "%s record sealed at leaf %" PRIu64
		    " is missing from table %s: a record was removed", def->type,
		    seen->idx[type][k], def->table);
	}
	free(leaf);
	return r;
}

int
reg__records_verify(reg_ctx *ctx, const struct reg__recseen *seen,
    int64_t *bad_index, reg_error *err)
{
	const char *params[1];
	PGresult *res;
	int t, r, have;

	for (t = 0; t < REC_NTYPES; t++) {
		/* Databases of an older schema lack some record tables: they
		 * hold no such records. */
		params[0] = reg__recdefs[t].table;
		res = reg__exec(ctx, "SELECT to_regclass($1) IS NOT NULL", 1,
		    params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			r = reg__fail_pg(err, ctx->conn, res, "cannot look up table %s",
			    reg__recdefs[t].table);
			PQclear(res);
			return r;
		}
		have = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (!have) {
			if (seen->n[t] == 0)
				continue;
			*bad_index = (int64_t)seen->idx[t][0];
			return reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 " seals a %s "
			    "record but the database has no table %s", seen->idx[t][0],
			    reg__recdefs[t].type, reg__recdefs[t].table);
		}
		if ((r = verify_table(ctx, t, seen, bad_index, err)) != 0)
			return r;
	}
	return 0;
}

/* Record leaves checked by one query, at most. */
#define CHECK_CHUNK 10000

/*
 * Checks the rows of type's table sealed at idx[0..n) (ascending): each
 * row is there and re-encodes to its stored leaf.
 */
static int
check_chunk(reg_ctx *ctx, int type, const uint64_t *idx, size_t n,
    int64_t *bad_index, reg_error *err)
{
	static const char order[] = " ORDER BY r.log_index";
	const struct reg__recdef *def = &reg__recdefs[type];
	const char *values[REC_MAX_COLS], *params[1];
	size_t sl = strlen(def->select_sql), ol = sizeof(order) - 1, i, len = 0;
	size_t cap = n * 21 + 3, leaflen, k = 0;
	char *sql = NULL, *arr = NULL, *leaf = NULL;
	PGresult *res = NULL;
	int r = REG_ENOMEM, row, rows, c;

	/* The table's verification query, for these leaves only. */
	REG_ASSERT(sl > ol && strcmp(def->select_sql + sl - ol, order) == 0);
	if ((sql = malloc(sl + 64)) == NULL || (arr = malloc(cap)) == NULL)
		goto out;
	snprintf(sql, sl + 64, "%.*s WHERE r.log_index = ANY($1::bigint[])%s",
	    (int)(sl - ol), def->select_sql, order);
	arr[len++] = '{';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(arr + len, cap - len, "%s%" PRIu64,
		    i ? "," : "", idx[i]);
	arr[len++] = '}';
	arr[len] = '\0';
	params[0] = arr;
	res = reg__exec(ctx, sql, 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read %s records",
		    def->table);
		goto out;
	}
	rows = PQntuples(res);
	for (row = 0; row < rows || k < n; row++, k++) {
		uint64_t li = row < rows ?
		    text_u64(PQgetvalue(res, row, def->ncols)) : UINT64_MAX;
		size_t blen = 0;
		unsigned char *b;

		if (k < n && idx[k] < li) {
			*bad_index = (int64_t)idx[k];
			r = reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 " seals a %s "
			    "record that is missing from table %s: a record was "
			    "removed", idx[k], def->type, def->table);
			goto out;
		}
		if (k >= n || idx[k] != li) {
			/* ANY() gave a row of another index: cannot be. */
			r = reg__fail(err, REG_EINTERNAL, "table %s gave a row of "
			    "leaf %" PRIu64 " not asked for", def->table, li);
			goto out;
		}
		for (c = 0; c < def->ncols; c++)
			values[c] = PQgetisnull(res, row, c) ? NULL :
			    PQgetvalue(res, row, c);
		free(leaf);
		leaf = NULL;
		if (reg__leaf_make(def, values, &leaf, &leaflen, err) != 0) {
			*bad_index = (int64_t)li;
			r = REG_EVERIFY;
			goto out;
		}
		b = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row,
		    def->ncols + 1), &blen);
		if (b == NULL || blen != leaflen || memcmp(b, leaf, leaflen) != 0) {
			PQfreemem(b);
			*bad_index = (int64_t)li;
			r = reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 ": table %s, "
			    "record %s differs from what the leaf sealed: it was "
			    "altered", li, def->table, PQgetvalue(res, row, 0));
			goto out;
		}
		PQfreemem(b);
	}
	r = 0;
out:
	if (r == REG_ENOMEM)
		r = reg__fail(err, REG_ENOMEM, "out of memory");
	PQclear(res);
	free(leaf);
	free(arr);
	free(sql);
	return r;
}

int
reg__records_check(reg_ctx *ctx, const struct reg__recseen *seen,
    int64_t *bad_index, reg_error *err)
{
	size_t i, n;
	int t, r;

	for (t = 0; t < REC_NTYPES; t++)
		for (i = 0; i < seen->n[t]; i += n) {
			n = seen->n[t] - i < CHECK_CHUNK ? seen->n[t] - i :
			    CHECK_CHUNK;
			if ((r = check_chunk(ctx, t, seen->idx[t] + i, n,
			    bad_index, err)) != 0)
				return r;
		}
	return 0;
}

void
reg__now_text(char out[32])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	/* strftime, then the microseconds: never truncated in 32 bytes. */
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, 13, ".%06ldZ", ts.tv_nsec / 1000 % 1000000);
}

int
reg__check_text(const char *field, const char *s, size_t max, int optional,
    reg_error *err)
{
	if (s == NULL || *s == '\0') {
		if (optional)
			return 0;
		return reg__fail(err, REG_EINVAL, "%s is required", field);
	}
	if (strlen(s) > max)
		return reg__fail(err, REG_ETOOBIG, "%s is over %zu bytes", field, max);
	return reg__check_chars(field, s, strlen(s), err);
}

int
reg__check_chars(const char *field, const char *s, size_t len, reg_error *err)
{
	switch (cm_utf8_text(s, len, CM_UTF8_C0 | CM_UTF8_DEL_C1, NULL, NULL)) {
	case 0:
		return 0;
	case CM_UTF8_EINVALID:
		return reg__fail(err, REG_EINVAL, "%s is not valid UTF-8", field);
	default:
		return reg__fail(err, REG_EINVAL, "%s has a control character", field);
	}
}

int
reg__one_of(const char *s, const char *const *list)
{
	for (; s != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

int
reg__check_date(const char *field, const char *s, int optional, reg_error *err)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, i;

	if (s == NULL || *s == '\0') {
		if (optional)
			return 0;
		return reg__fail(err, REG_EINVAL, "%s is required (YYYY-MM-DD)", field);
	}
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		goto bad;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			goto bad;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		goto bad;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		goto bad;
	return 0;
bad:
	return reg__fail(err, REG_EINVAL, "%s '%.20s' is not a date (YYYY-MM-DD, "
	    "years 1800 to 2200)", field, s);
}

int
reg__check_country(reg_ctx *ctx, const char *field, const char *code,
    int optional, reg_error *err)
{
	const char *params[1] = { code };
	PGresult *res;
	int ok, bit;

	if (code == NULL || *code == '\0') {
		if (optional)
			return 0;
		return reg__fail(err, REG_EINVAL, "%s is required (ISO 3166-1 alpha-2)",
		    field);
	}
	if (strlen(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' ||
	    code[1] > 'Z')
		return reg__fail(err, REG_EINVAL, "%s '%.10s' is not an ISO 3166-1 "
		    "alpha-2 code (two capital letters)", field, code);
	bit = (code[0] - 'A') * 26 + (code[1] - 'A');
	if (ctx->countries[bit / 8] & (1u << (bit % 8)))
		return 0;
	res = reg__exec(ctx, "SELECT 1 FROM country WHERE code = $1", 1,
	    params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int r = reg__fail_pg(err, ctx->conn, res, "cannot look up country codes");

		PQclear(res);
		return r;
	}
	ok = PQntuples(res) == 1;
	PQclear(res);
	if (!ok)
		return reg__fail(err, REG_EINVAL, "%s '%s' is not an assigned ISO 3166-1 "
		    "alpha-2 code", field, code);
	ctx->countries[bit / 8] |= (unsigned char)(1u << (bit % 8));
	return 0;
}
