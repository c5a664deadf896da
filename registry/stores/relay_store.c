/*
 * A liaison hub's relays: the metadata of every trace request that tracerd
 * in hub mode relayed between two States, and every change of its status
 * that the hub saw, each sealed in the hub's audit log (record.c, types
 * relay and relay_status).  Never a message's body: its SHA-256 only.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/base64.h"
#include "stores_int.h"

#define TS(col) REG__SQL_TS(col)

static const char *const priorities[] = { "urgent", "routine", NULL };
static const char *const statuses[] = {
	"acknowledged", "in_progress", "answered", "restricted", "need_more_info",
	"declined", "overdue", "refused", "unavailable", NULL
};
/* Statuses after which a relay is closed. */
#define FINAL_SQL "('answered', 'restricted', 'need_more_info', 'declined', 'refused')"

/* The latest status of relay r as s, and its latest due time as d. */
#define LATEST \
	" LEFT JOIN LATERAL (SELECT st.status, st.at, st.http_status, st.log_index " \
	"FROM relay_status st WHERE st.request_id = r.id " \
	"ORDER BY st.log_index DESC LIMIT 1) s ON true" \
	" LEFT JOIN LATERAL (SELECT sd.due_by FROM relay_status sd " \
	"WHERE sd.request_id = r.id AND sd.due_by IS NOT NULL " \
	"ORDER BY sd.log_index DESC LIMIT 1) d ON true" \
	" LEFT JOIN LATERAL (SELECT sr.responded_at FROM relay_status sr " \
	"WHERE sr.request_id = r.id AND sr.responded_at IS NOT NULL " \
	"ORDER BY sr.log_index DESC LIMIT 1) a ON true"

static int
uuid_canon(const char *field, const char *s, char out[REG_UUID_STR],
    reg_error *err)
{
	reg_uuid u;

	if (s == NULL || *s == '\0')
		return reg__fail(err, REG_EINVAL, "%s is required (a UUID)", field);
	if (reg_uuid_parse(s, &u, NULL) != 0)
		return reg__fail(err, REG_EINVAL, "%s '%.60s' is not a UUID", field, s);
	reg_uuid_format(&u, out);
	return 0;
}

/* A base64 SHA-256 (44 characters ending in '='), or NULL when optional.
 * Only the form is checked, as it always was: the digest is not decoded. */
static int
check_digest(const char *field, const char *s, int optional, reg_error *err)
{
	size_t i;

	if (s == NULL && optional)
		return 0;
	if (s == NULL || strlen(s) != 44 || s[43] != '=')
		goto bad;
	for (i = 0; i < 43; i++)
		if (cm_base64_digit((unsigned char)s[i], 0) < 0)
			goto bad;
	return 0;
bad:
	return reg__fail(err, REG_EINVAL, "%s is not a SHA-256 in base64", field);
}

/*
 * The canonical text of up to three RFC 3339 UTC times (NULL stays NULL),
 * named field[i] in errors (REG_EINVAL).
 */
static int
times_canon(const char *const field[3], const char *const in[3],
    char out[3][32], reg_error *err)
{
	int i, r;

	for (i = 0; i < 3; i++) {
		out[i][0] = '\0';
		if (in[i] != NULL &&
		    (r = reg__time_canon(field[i], in[i], out[i], err)) != 0)
			return r;
	}
	return 0;
}

int
reg_relay_receive(reg_ctx *ctx, const struct reg_relay_in *in,
    uint64_t *log_index, int *same, reg_error *err)
{
	struct reg__tx tx;
	char id[REG_UUID_STR], times[3][32];
	static const char *const tname[3] = { "received_at", NULL, NULL };
	const char *tin[3] = { NULL, NULL, NULL }, *v[8], *params[1];
	PGresult *res;
	int r;

	if (log_index != NULL)
		*log_index = 0;
	if (same != NULL)
		*same = 0;
	if (in == NULL)
		return reg__fail(err, REG_EINVAL, "a relay is needed");
	if ((r = uuid_canon("the request's id", in->id, id, err)) != 0)
		return r;
	if (!reg__one_of(in->priority, priorities))
		return reg__fail(err, REG_EINVAL, "priority '%.20s' is not urgent or "
		    "routine", in->priority ? in->priority : "");
	if ((r = reg__check_text("the caller", in->caller, 300, 0, err)) != 0 ||
	    (r = reg__check_text("the key id", in->kid, 200, 0, err)) != 0 ||
	    (r = check_digest("request_sha256", in->request_sha256, 0, err)) != 0)
		return r;
	if (in->requesting_state == NULL || in->requested_state == NULL ||
	    strcmp(in->requesting_state, in->requested_state) == 0)
		return reg__fail(err, REG_EINVAL, "a relay goes from one State to "
		    "another");
	tin[0] = in->received_at;
	if (tin[0] == NULL)
		return reg__fail(err, REG_EINVAL, "received_at is required");
	/* Under the log's lock: one id is stored once, with one leaf. */
	params[0] = id;
	if ((r = reg__tx_enter_find(ctx, &tx, "the relay", "SELECT "
	    "requesting_state::text, request_sha256, log_index FROM relay WHERE "
	    "id = $1", 1, params, &res, err)) != 0)
		goto out;
	if (PQntuples(res) == 1) {
		if (same != NULL)
			*same = strcmp(PQgetvalue(res, 0, 0), in->requesting_state) == 0 &&
			    strcmp(PQgetvalue(res, 0, 1), in->request_sha256) == 0;
		if (log_index != NULL)
			*log_index = strtoull(PQgetvalue(res, 0, 2), NULL, 10);
		PQclear(res);
		r = reg__fail(err, REG_EEXIST, "trace request %s was relayed already",
		    id);
		goto out;
	}
	PQclear(res);
	if ((r = reg__check_country(ctx, "requesting_state", in->requesting_state, 0,
	    err)) != 0 ||
	    (r = reg__check_country(ctx, "requested_state", in->requested_state, 0,
	    err)) != 0 ||
	    (r = times_canon(tname, tin, times, err)) != 0)
		goto out;
	v[0] = id;
	v[1] = in->requesting_state;
	v[2] = in->requested_state;
	v[3] = in->caller;
	v[4] = in->kid;
	v[5] = in->priority;
	v[6] = times[0];
	v[7] = in->request_sha256;
	r = reg__record_write_last(ctx, &tx, REC_RELAY, v, NULL, NULL, log_index, err);
out:
	return reg__tx_leave(ctx, &tx, r, err);
}

int
reg_relay_status_add(reg_ctx *ctx, const char *request_id, const char *status,
    int http_status, const char *due_by, const char *responded_at,
    const char *document_sha256, int *added, uint64_t *log_index,
    reg_error *err)
{
	struct reg__tx tx = { 0 };
	char id[REG_UUID_STR], rid[REG_UUID_STR], now[32], times[3][32], hs[16];
	const char *tin[3] = { due_by, responded_at, NULL }, *v[8], *params[4];
	static const char *const tname[3] = { "due_by", "responded_at", NULL };
	PGresult *res;
	reg_uuid u;
	int r, own = strcmp(status ? status : "", "refused") == 0 ||
	    strcmp(status ? status : "", "unavailable") == 0;

	if (added != NULL)
		*added = 0;
	if (log_index != NULL)
		*log_index = 0;
	if ((r = uuid_canon("the request's id", request_id, rid, err)) != 0)
		return r;
	if (!reg__one_of(status, statuses))
		return reg__fail(err, REG_EINVAL, "status '%.20s' is not a relay's",
		    status ? status : "");
	if ((strcmp(status, "unavailable") == 0) != (http_status == 0) ||
	    (http_status != 0 && (http_status < 100 || http_status > 599)))
		return reg__fail(err, REG_EINVAL, "an HTTP status from 100 to 599 is "
		    "given exactly when the requested State answered");
	if ((r = check_digest("document_sha256", document_sha256, 1, err)) != 0)
		return r;
	if ((r = reg_uuid_v7(&u, err)) != 0)
		return r;
	reg_uuid_format(&u, id);
	reg__now_text(now);
	snprintf(hs, sizeof(hs), "%d", http_status);
	if ((r = times_canon(tname, tin, times, err)) != 0)
		goto out;
	/*
	 * Only changes are recorded: the status, due time or answer time
	 * differ from the latest.  The hub's own outcomes (refused,
	 * unavailable) count only until the requested State acknowledged.
	 * Looked up as the transaction starts, under the log's lock.
	 */
	params[0] = rid;
	params[1] = status;
	params[2] = times[0][0] ? times[0] : NULL;
	params[3] = times[1][0] ? times[1] : NULL;
	if ((r = reg__tx_enter_find(ctx, &tx, "the relay's status",
	    "SELECT (SELECT status = $2 AND "
	    "due_by IS NOT DISTINCT FROM $3::timestamptz AND "
	    "responded_at IS NOT DISTINCT FROM $4::timestamptz "
	    "FROM relay_status WHERE request_id = r.id ORDER BY log_index DESC "
	    "LIMIT 1), (SELECT status FROM relay_status WHERE request_id = r.id "
	    "ORDER BY log_index DESC LIMIT 1) FROM relay r WHERE r.id = $1", 4,
	    params, &res, err)) != 0)
		goto out;
	if (PQntuples(res) == 0) {
		PQclear(res);
		r = reg__fail(err, REG_ENOTFOUND, "no relay %s", rid);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0 ||
	    (own && !PQgetisnull(res, 0, 1) &&
	    strcmp(PQgetvalue(res, 0, 1), "refused") != 0 &&
	    strcmp(PQgetvalue(res, 0, 1), "unavailable") != 0)) {
		PQclear(res);
		goto out;	/* no change */
	}
	PQclear(res);
	v[0] = id;
	v[1] = rid;
	v[2] = status;
	v[3] = now;
	v[4] = http_status != 0 ? hs : NULL;
	v[5] = times[0][0] ? times[0] : NULL;
	v[6] = times[1][0] ? times[1] : NULL;
	v[7] = document_sha256;
	r = reg__record_write_last(ctx, &tx, REC_RELAY_STATUS, v, NULL, NULL,
	    log_index, err);
	if (r == 0 && added != NULL)
		*added = 1;
out:
	return reg__tx_leave(ctx, &tx, r, err);
}

static void
field(char *dst, size_t n, const PGresult *res, int row, int col)
{
	snprintf(dst, n, "%s", PQgetisnull(res, row, col) ? "" :
	    PQgetvalue(res, row, col));
}

int
reg_relay_get(reg_ctx *ctx, const char *id, struct reg_relay *out,
    reg_error *err)
{
	char rid[REG_UUID_STR];
	const char *params[1] = { rid };
	PGresult *res;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if ((r = uuid_canon("the request's id", id, rid, err)) != 0)
		return r;
	res = reg__exec(ctx, "SELECT r.id::text, r.requesting_state::text, "
	    "r.requested_state::text, r.caller, r.kid, r.priority, "
	    TS("r.received_at") ", r.request_sha256, r.log_index, s.status, "
	    TS("s.at") ", s.http_status, " TS("d.due_by") ", " TS("a.responded_at")
	    " FROM relay r" LATEST " WHERE r.id = $1", 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read relay %s", rid);
		goto out;
	}
	if (PQntuples(res) == 0) {
		r = reg__fail(err, REG_ENOTFOUND, "no relay %s", rid);
		goto out;
	}
	field(out->id, sizeof(out->id), res, 0, 0);
	field(out->requesting_state, sizeof(out->requesting_state), res, 0, 1);
	field(out->requested_state, sizeof(out->requested_state), res, 0, 2);
	field(out->caller, sizeof(out->caller), res, 0, 3);
	field(out->kid, sizeof(out->kid), res, 0, 4);
	field(out->priority, sizeof(out->priority), res, 0, 5);
	field(out->received_at, sizeof(out->received_at), res, 0, 6);
	field(out->request_sha256, sizeof(out->request_sha256), res, 0, 7);
	out->log_index = strtoull(PQgetvalue(res, 0, 8), NULL, 10);
	field(out->status, sizeof(out->status), res, 0, 9);
	field(out->status_at, sizeof(out->status_at), res, 0, 10);
	out->http_status = PQgetisnull(res, 0, 11) ? 0 : atoi(PQgetvalue(res, 0, 11));
	field(out->due_by, sizeof(out->due_by), res, 0, 12);
	field(out->responded_at, sizeof(out->responded_at), res, 0, 13);
out:
	PQclear(res);
	return r;
}

int
reg_relay_counts(reg_ctx *ctx, struct reg_relay_count **out, size_t *n,
    long *open, long *overdue, reg_error *err)
{
	struct reg_relay_count *v = NULL;
	PGresult *res;
	int i, rows, r = 0;

	*out = NULL;
	*n = 0;
	if (open != NULL)
		*open = 0;
	if (overdue != NULL)
		*overdue = 0;
	res = reg__exec(ctx, "SELECT r.requesting_state::text, "
	    "r.requested_state::text, coalesce(s.status, 'received'), count(*), "
	    "count(*) FILTER (WHERE coalesce(s.status, '') NOT IN " FINAL_SQL
	    " AND d.due_by < now()), bool_or(coalesce(s.status, '') NOT IN "
	    FINAL_SQL ") FROM relay r" LATEST " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
	    0, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot count relays");
		goto out;
	}
	rows = PQntuples(res);
	if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
		r = reg__fail(err, REG_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < rows; i++) {
		field(v[i].requesting_state, sizeof(v[i].requesting_state), res, i, 0);
		field(v[i].requested_state, sizeof(v[i].requested_state), res, i, 1);
		field(v[i].status, sizeof(v[i].status), res, i, 2);
		v[i].n = strtol(PQgetvalue(res, i, 3), NULL, 10);
		if (strcmp(PQgetvalue(res, i, 5), "t") == 0 && open != NULL)
			*open += v[i].n;
		if (overdue != NULL)
			*overdue += strtol(PQgetvalue(res, i, 4), NULL, 10);
	}
	*out = v;
	*n = (size_t)rows;
	v = NULL;
out:
	free(v);
	PQclear(res);
	return r;
}
