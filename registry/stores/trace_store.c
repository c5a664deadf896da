/*
 * The tracing daemon's messages: received trace requests with their
 * acknowledgements, and their status changes with the signed responses,
 * each request and status change sealed in the audit log (record.c, types
 * trace_request and trace_status).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "stores_int.h"

#define TS(col) REG__SQL_TS(col)

/* The latest status of request r, if any, as s. */
#define LATEST_STATUS \
	" LEFT JOIN LATERAL (SELECT st.status, st.at, st.reasons, st.log_index " \
	"FROM trace_status st WHERE st.request_id = r.id " \
	"ORDER BY st.log_index DESC LIMIT 1) s ON true"
#define OPEN_WHERE " WHERE (s.status IS NULL OR s.status = 'in_progress')"

static const char *const priorities[] = { "urgent", "routine", NULL };
static const char *const statuses[] = {
	"in_progress", "answered", "restricted", "need_more_info", "declined", NULL
};

/* A UUID in canonical (lower-case) text. */
int
reg__uuid_canon(const char *field, const char *s, char out[REG_UUID_STR],
    reg_error *err)
{
	reg_uuid u;

	if (s == NULL || *s == '\0')
		return reg__fail(err, REG_EINVAL, "%s is required (a UUID)", field);
	if (reg_uuid_parse(s, &u, NULL) != 0)
		return reg__fail(err, REG_EINVAL, "%s '%.60s' is not a UUID "
		    "(8-4-4-4-12 hexadecimal digits)", field, s);
	reg_uuid_format(&u, out);
	return 0;
}

static int
digits(const char *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * An RFC 3339 UTC time, YYYY-MM-DDTHH:MM:SS[.f]Z with at most six digits
 * of fraction, in canonical text (YYYY-MM-DDTHH:MM:SS.ffffffZ).
 */
int
reg__time_canon(const char *field, const char *s, char out[32], reg_error *err)
{
	char date[11];
	size_t len, nf;
	int h, mi, sec;

	if (s == NULL || *s == '\0')
		return reg__fail(err, REG_EINVAL, "%s is required (RFC 3339 UTC time)",
		    field);
	len = strlen(s);
	if (len < 20 || len > 27 || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    !digits(s + 11, 2) || !digits(s + 14, 2) || !digits(s + 17, 2) ||
	    s[len - 1] != 'Z')
		goto bad;
	nf = len - 20;
	if (nf == 1 || (nf > 1 && (s[19] != '.' || !digits(s + 20, (int)nf - 1))) ||
	    (nf == 0 && s[19] != 'Z'))
		goto bad;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (reg__check_date(field, date, 0, NULL) != 0)
		goto bad;
	h = (s[11] - '0') * 10 + (s[12] - '0');
	mi = (s[14] - '0') * 10 + (s[15] - '0');
	sec = (s[17] - '0') * 10 + (s[18] - '0');
	if (h > 23 || mi > 59 || sec > 59)
		goto bad;
	/* The fraction, padded with zeros to microseconds. */
	memcpy(out, s, 19);
	out[19] = '.';
	memset(out + 20, '0', 6);
	if (nf > 1)
		memcpy(out + 20, s + 20, nf - 1);
	out[26] = 'Z';
	out[27] = '\0';
	return 0;
bad:
	return reg__fail(err, REG_EINVAL, "%s '%.40s' is not an RFC 3339 UTC time "
	    "(YYYY-MM-DDTHH:MM:SS, at most six digits of fraction, then Z; years "
	    "1800 to 2200)", field, s);
}

/* A signed message: 1 to max bytes of UTF-8 without control characters. */
int
reg__check_message(const char *field, const char *m, size_t len, size_t max,
    reg_error *err)
{
	if (m == NULL || len == 0)
		return reg__fail(err, REG_EINVAL, "%s is required", field);
	if (len > max)
		return reg__fail(err, REG_ETOOBIG, "%s is over %zu bytes", field, max);
	return reg__check_chars(field, m, len, err);
}

/* The base64 SHA-256 of a message; free *out with reg_free(). */
int
reg__digest64(const char *m, size_t len, char **out, reg_error *err)
{
	uint8_t md[32];
	unsigned int mdlen = 0;

	*out = NULL;
	if (EVP_Digest(m, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return reg__fail_ossl(err, REG_ECRYPTO, "cannot hash a message");
	return reg_base64_encode(md, 32, out, err);
}

/* A JSON array of strings on one line, or NULL. */
static int
check_reasons(const char *js, reg_error *err)
{
	json_t *a;
	size_t i;
	int ok, r;

	if (js == NULL)
		return 0;
	if (*js == '\0')
		return reg__fail(err, REG_EINVAL, "status reasons are a JSON array of "
		    "strings, not empty text");
	if ((r = reg__check_text("status reasons", js, REG_TRACE_REASONS_MAX, 0,
	    err)) != 0)
		return r;
	a = json_loads(js, JSON_REJECT_DUPLICATES, NULL);
	ok = json_is_array(a);
	for (i = 0; ok && i < json_array_size(a); i++)
		ok = json_is_string(json_array_get(a, i));
	json_decref(a);
	if (!ok)
		return reg__fail(err, REG_EINVAL, "status reasons '%.60s' are not a "
		    "JSON array of strings", js);
	return 0;
}

static uint64_t
text_u64(const char *s)
{
	return strtoull(s, NULL, 10);
}

/*
 * Looks up a stored request by id: 0 when found (with *same, whether its
 * message has digest digest, its leaf index and its acknowledgement),
 * REG_ENOTFOUND when none.
 */
static int
find_request(reg_ctx *ctx, struct reg__tx *tx, const char *id,
    const char *digest, int *same, uint64_t *idx, char **ack, reg_error *err)
{
	const char *params[2] = { id, digest };
	PGresult *res = NULL;
	int r;

	/* Entering the transaction, under the log's lock: one round trip. */
	if ((r = reg__tx_enter_find(ctx, tx, "the trace request",
	    "SELECT " REG__SQL_SHA256("r.message") " = $2, r.log_index, "
	    "a.message FROM trace_request r "
	    "LEFT JOIN trace_ack a ON a.request_id = r.id WHERE r.id = $1",
	    2, params, &res, err)) != 0)
		goto out;
	if (PQntuples(res) == 0) {
		r = REG_ENOTFOUND;
		goto out;
	}
	*same = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	*idx = text_u64(PQgetvalue(res, 0, 1));
	if (!PQgetisnull(res, 0, 2) && (*ack = strdup(PQgetvalue(res, 0, 2))) == NULL)
		r = reg__fail(err, REG_ENOMEM, "out of memory");
out:
	PQclear(res);
	return r;
}

int
reg__ack_store(reg_ctx *ctx, struct reg__tx *tx, const char *sql,
    const char *what, const char *id, uint64_t idx, reg_trace_ack_cb ack_cb,
    void *arg, char **ack, reg_error *err)
{
	reg_error cberr = REG_ERROR_INIT;
	const char *params[2] = { id, NULL };
	char failed[128];
	PGresult *res;
	int r = 0;

	*ack = ack_cb(arg, idx, &cberr);
	if (*ack == NULL)
		return reg__fail(err, cberr.code < 0 ? cberr.code : REG_EINTERNAL,
		    "cannot acknowledge %s %s: %s", what, id,
		    cberr.message[0] != '\0' ? cberr.message : "no acknowledgement");
	if ((r = reg__check_message("the acknowledgement", *ack, strlen(*ack),
	    REG_TRACE_ACK_MAX, err)) != 0)
		return r;
	params[1] = *ack;
	snprintf(failed, sizeof(failed), "cannot store the acknowledgement of %s %s",
	    what, id);
	if (tx->own) {
		/* The transaction's last statement: committed with it. */
		tx->own = 0;
		return reg__exec_commit(ctx, sql, 2, params, NULL, NULL, failed, err);
	}
	res = reg__exec(ctx, sql, 2, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = reg__fail_pg(err, ctx->conn, res, "%s", failed);
	PQclear(res);
	return r;
}

int
reg_trace_receive(reg_ctx *ctx, const struct reg_trace_in *in,
    reg_trace_ack_cb ack_cb, void *arg, uint64_t *log_index, int *same_message,
    char **ack_out, reg_error *err)
{
	struct reg__tx tx;
	char id[REG_UUID_STR], parent[REG_UUID_STR], received[32], due[32];
	char *digest = NULL, *ack = NULL;
	const char *v[10], *extra[1];
	int extralen[1], same = 0, r;
	uint64_t idx = 0;

	if (log_index != NULL)
		*log_index = 0;
	if (same_message != NULL)
		*same_message = 0;
	if (ack_out != NULL)
		*ack_out = NULL;
	if (in == NULL || ack_cb == NULL)
		return reg__fail(err, REG_EINVAL, "a trace request and an "
		    "acknowledgement callback are needed");
	if ((r = reg__uuid_canon("the request's id", in->id, id, err)) != 0)
		return r;
	parent[0] = '\0';
	if (in->parent_id != NULL && *in->parent_id != '\0') {
		if ((r = reg__uuid_canon("the request's parent_id", in->parent_id, parent,
		    err)) != 0)
			return r;
		if (strcmp(parent, id) == 0)
			return reg__fail(err, REG_EINVAL, "trace request %s names itself "
			    "as its parent", id);
	}
	if (!reg__one_of(in->priority, priorities))
		return reg__fail(err, REG_EINVAL, "priority '%.20s' is not urgent or "
		    "routine", in->priority ? in->priority : "");
	if ((r = reg__check_text("the caller", in->caller, 300, 0, err)) != 0 ||
	    (r = reg__check_text("the key id", in->kid, 200, 0, err)) != 0 ||
	    (r = reg__time_canon("received_at", in->received_at, received, err)) != 0 ||
	    (r = reg__time_canon("due_by", in->due_by, due, err)) != 0 ||
	    (r = reg__check_message("the trace request", in->message, in->message_len,
	    REG_TRACE_MESSAGE_MAX, err)) != 0)
		return r;
	/* Canonical texts of four-digit years compare as the times do. */
	if (strcmp(due, received) < 0)
		return reg__fail(err, REG_EINVAL, "due_by %s is before received_at %s",
		    due, received);
	if ((r = reg__digest64(in->message, in->message_len, &digest, err)) != 0)
		return r;
	/*
	 * Under the log's lock, which every writer of a leaf takes, a request
	 * with this id committed by another session is visible to the next
	 * statement: one id is stored once, with one leaf.
	 */
	r = find_request(ctx, &tx, id, digest, &same, &idx, &ack, err);
	if (r == 0) {
		r = reg__fail(err, REG_EEXIST, "trace request %s is stored already (leaf %"
		    PRIu64 ") %s", id, idx, same ? "with the same message" :
		    "with a different message");
		goto out;
	}
	if (r != REG_ENOTFOUND)
		goto out;
	if ((r = reg__check_country(ctx, "requesting_state", in->requesting_state, 0,
	    err)) != 0 ||
	    (r = reg__check_country(ctx, "requested_state", in->requested_state, 0,
	    err)) != 0)
		goto out;
	v[0] = id;
	v[1] = parent[0] != '\0' ? parent : NULL;
	v[2] = in->requesting_state;
	v[3] = in->requested_state;
	v[4] = in->caller;
	v[5] = in->kid;
	v[6] = in->priority;
	v[7] = received;
	v[8] = due;
	v[9] = digest;
	extra[0] = in->message;
	extralen[0] = (int)in->message_len;
	if ((r = reg__record_write(ctx, REC_TRACE_REQUEST, v, extra, extralen, &idx,
	    err)) != 0)
		goto out;
	r = reg__ack_store(ctx, &tx, "INSERT INTO trace_ack (request_id, message) "
	    "VALUES ($1, $2)", "trace request", id, idx, ack_cb, arg, &ack, err);
out:
	r = reg__tx_leave(ctx, &tx, r, err);
	if (r == 0 || r == REG_EEXIST) {
		if (log_index != NULL)
			*log_index = idx;
		if (same_message != NULL)
			*same_message = same;
		if (ack_out != NULL) {
			*ack_out = ack;
			ack = NULL;	/* transferred */
		}
	}
	free(ack);
	reg_free(digest);
	return r;
}

int
reg_trace_status_add(reg_ctx *ctx, const char *request_id, const char *status,
    const char *reasons_json, const char *response, size_t response_len,
    uint64_t *log_index, reg_error *err)
{
	struct reg__tx tx;
	char id[REG_UUID_STR], rid[REG_UUID_STR], now[32], *digest = NULL;
	char missing[64];
	const char *v[6], *extra[1] = { NULL }, *params[1];
	int extralen[1] = { 0 }, r;
	PGresult *res;
	reg_uuid u;

	if ((r = reg__uuid_canon("the request's id", request_id, rid, err)) != 0)
		return r;
	if (!reg__one_of(status, statuses))
		return reg__fail(err, REG_EINVAL, "status '%.20s' is not one of "
		    "in_progress, answered, restricted, need_more_info, declined",
		    status ? status : "");
	if ((r = check_reasons(reasons_json, err)) != 0)
		return r;
	if (strcmp(status, "in_progress") == 0) {
		if (response != NULL || response_len != 0)
			return reg__fail(err, REG_EINVAL, "a request in progress has no "
			    "response yet");
	} else {
		if ((r = reg__check_message("the trace response", response, response_len,
		    REG_TRACE_MESSAGE_MAX, err)) != 0 ||
		    (r = reg__digest64(response, response_len, &digest, err)) != 0)
			return r;
		extra[0] = response;
		extralen[0] = (int)response_len;
	}
	if ((r = reg_uuid_v7(&u, err)) != 0)
		goto done;
	reg_uuid_format(&u, id);
	reg__now_text(now);
	v[0] = id;
	v[1] = rid;
	v[2] = status;
	v[3] = now;
	v[4] = reasons_json;
	v[5] = digest;
	if (!reg__in_tx(ctx)) {
		/* Alone: two round trips, the request's foreign key telling an
		 * unknown request. */
		snprintf(missing, sizeof(missing), "no trace request %s", rid);
		r = reg__record_write_alone(ctx, REC_TRACE_STATUS, v, extra, extralen,
		    missing, log_index, err);
		goto done;
	}
	if ((r = reg__tx_enter(ctx, &tx, err)) != 0)
		goto done;
	params[0] = rid;
	res = reg__exec(ctx, "SELECT 1 FROM trace_request WHERE id = $1", 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__fail_pg(err, ctx->conn, res, "cannot look up trace request %s",
		    rid);
	else if (PQntuples(res) == 0)
		r = reg__fail(err, REG_ENOTFOUND, "no trace request %s", rid);
	PQclear(res);
	if (r != 0)
		goto out;
	r = reg__record_write(ctx, REC_TRACE_STATUS, v, extra, extralen, log_index,
	    err);
out:
	r = reg__tx_leave(ctx, &tx, r, err);
done:
	reg_free(digest);
	return r;
}

/* Copies a text value into a fixed field (the schema bounds them). */
void
reg__pq_field(char *dst, size_t n, const PGresult *res, int row, int col)
{
	snprintf(dst, n, "%s", PQgetisnull(res, row, col) ? "" :
	    PQgetvalue(res, row, col));
}

/* A malloc'd copy of a text value, or NULL for NULL; -1 when out of
 * memory. */
int
reg__pq_dup(char **dst, const PGresult *res, int row, int col)
{
	*dst = NULL;
	if (PQgetisnull(res, row, col))
		return 0;
	*dst = strdup(PQgetvalue(res, row, col));
	return *dst == NULL ? -1 : 0;
}

int
reg_trace_get(reg_ctx *ctx, const char *id, struct reg_trace **out,
    reg_error *err)
{
	struct reg_trace *t = NULL;
	char rid[REG_UUID_STR];
	const char *params[1] = { rid };
	PGresult *res = NULL;
	int r;

	*out = NULL;
	if ((r = reg__uuid_canon("the request's id", id, rid, err)) != 0)
		return r;
	res = reg__exec(ctx,
	    "SELECT r.id::text, r.parent_id::text, r.requesting_state::text, "
	    "r.requested_state::text, r.caller, r.kid, r.priority, "
	    TS("r.received_at") ", " TS("r.due_by") ", r.message, a.message, "
	    "r.log_index, coalesce(s.status, 'acknowledged'), "
	    "coalesce(" TS("s.at") ", " TS("r.received_at") "), s.reasons, "
	    "coalesce(s.log_index, r.log_index), p.response, " TS("p.at") " "
	    "FROM trace_request r LEFT JOIN trace_ack a ON a.request_id = r.id"
	    LATEST_STATUS
	    " LEFT JOIN LATERAL (SELECT sp.response, sp.at FROM trace_status sp "
	    "WHERE sp.request_id = r.id AND sp.response IS NOT NULL "
	    "ORDER BY sp.log_index DESC LIMIT 1) p ON true WHERE r.id = $1",
	    1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read trace request %s", rid);
		goto out;
	}
	if (PQntuples(res) == 0) {
		r = reg__fail(err, REG_ENOTFOUND, "no trace request %s", rid);
		goto out;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto nomem;
	reg__pq_field(t->id, sizeof(t->id), res, 0, 0);
	reg__pq_field(t->parent_id, sizeof(t->parent_id), res, 0, 1);
	reg__pq_field(t->requesting_state, sizeof(t->requesting_state), res, 0, 2);
	reg__pq_field(t->requested_state, sizeof(t->requested_state), res, 0, 3);
	reg__pq_field(t->caller, sizeof(t->caller), res, 0, 4);
	reg__pq_field(t->kid, sizeof(t->kid), res, 0, 5);
	reg__pq_field(t->priority, sizeof(t->priority), res, 0, 6);
	reg__pq_field(t->received_at, sizeof(t->received_at), res, 0, 7);
	reg__pq_field(t->due_by, sizeof(t->due_by), res, 0, 8);
	t->log_index = text_u64(PQgetvalue(res, 0, 11));
	reg__pq_field(t->status, sizeof(t->status), res, 0, 12);
	reg__pq_field(t->status_at, sizeof(t->status_at), res, 0, 13);
	t->status_log_index = text_u64(PQgetvalue(res, 0, 15));
	reg__pq_field(t->responded_at, sizeof(t->responded_at), res, 0, 17);
	if (reg__pq_dup(&t->message, res, 0, 9) != 0 || reg__pq_dup(&t->ack, res, 0, 10) != 0 ||
	    reg__pq_dup(&t->reasons, res, 0, 14) != 0 || reg__pq_dup(&t->response, res, 0, 16) != 0)
		goto nomem;
	*out = t;
	t = NULL;	/* transferred */
	r = 0;
	goto out;
nomem:
	r = reg__fail(err, REG_ENOMEM, "out of memory reading trace request %s", rid);
out:
	reg_trace_free(t);
	PQclear(res);
	return r;
}

void
reg_trace_free(struct reg_trace *t)
{
	if (t == NULL)
		return;
	free(t->message);
	free(t->ack);
	free(t->reasons);
	free(t->response);
	free(t);
}

int
reg_trace_open(reg_ctx *ctx, reg_trace_open_cb cb, void *arg, reg_error *err)
{
	PGresult *res;
	int i, n, r = 0;

	if (cb == NULL)
		return reg__fail(err, REG_EINVAL, "a callback is needed");
	res = reg__exec(ctx, "SELECT r.id::text, " TS("r.due_by")
	    " FROM trace_request r" LATEST_STATUS OPEN_WHERE " ORDER BY r.log_index",
	    0, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot list open trace requests");
		goto out;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		if (cb(arg, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1)) != 0) {
			r = reg__fail(err, REG_EIO, "stopped at trace request %s",
			    PQgetvalue(res, i, 0));
			break;
		}
out:
	PQclear(res);
	return r;
}

int
reg_trace_counts(reg_ctx *ctx, long *open, long *overdue, reg_error *err)
{
	PGresult *res;
	int r = 0;

	res = reg__exec(ctx, "SELECT count(*), "
	    "count(*) FILTER (WHERE now() > r.due_by) FROM trace_request r"
	    LATEST_STATUS OPEN_WHERE, 0, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot count open trace requests");
		goto out;
	}
	if (open != NULL)
		*open = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	if (overdue != NULL)
		*overdue = strtol(PQgetvalue(res, 0, 1), NULL, 10);
out:
	PQclear(res);
	return r;
}
