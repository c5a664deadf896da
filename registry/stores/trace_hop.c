/*
 * Trace requests this State sends, hop by hop (migration 0007_hops.sql):
 * the hop itself (record type trace_hop) and what came back of it (record
 * type trace_hop_event), each sealed in the audit log; the submitter's
 * acknowledgement of hop 0 is kept beside it, as trace_ack is.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "stores_int.h"

#define TS(col) REG__SQL_TS(col)

static const char *const priorities[] = { "urgent", "routine", NULL };
static const char *const kinds[] = {
	"acknowledged", "answered", "refused", "ended", NULL
};

/* The latest event of kind k of hop h, as alias a. */
#define LATEST(k, a) \
	" LEFT JOIN LATERAL (SELECT e.status, e.at, e.due_by, e.detail, e.message " \
	"FROM trace_hop_event e WHERE e.hop_id = h.id AND e.kind = '" k "' " \
	"ORDER BY e.log_index DESC LIMIT 1) " a " ON true"

#define HOP_SELECT \
	"SELECT h.id::text, h.root_id::text, h.parent_id::text, h.hop, " \
	"h.requesting_state::text, h.requested_state::text, h.via::text, " \
	"h.submitted_by, h.kid, h.priority, " TS("h.created_at") ", " \
	TS("h.due_by") ", h.origin, h.message, a.message, h.log_index, " \
	TS("ak.at") ", ak.status, " TS("ak.due_by") ", ak.message, " \
	TS("an.at") ", an.status, an.message, " \
	TS("rf.at") ", rf.status, rf.message, rf.detail, " \
	TS("en.at") ", en.status, en.detail, " \
	"EXISTS (SELECT 1 FROM trace_hop c WHERE c.parent_id = h.id) " \
	"FROM trace_hop h LEFT JOIN trace_hop_ack a ON a.hop_id = h.id" \
	LATEST("acknowledged", "ak") LATEST("answered", "an") \
	LATEST("refused", "rf") LATEST("ended", "en")

/* Enters the transaction and looks up hop id under the log's lock, in one
 * round trip: 0 (with *same whether its origin has digest digest, and its
 * acknowledgement), or REG_ENOTFOUND. */
static int
find_hop(reg_ctx *ctx, struct reg__tx *tx, const char *id, const char *digest,
    int *same, uint64_t *idx, char **ack, reg_error *err)
{
	const char *params[2] = { id, digest };
	PGresult *res = NULL;
	int r;

	if ((r = reg__tx_enter_find(ctx, tx, "the hop",
	    "SELECT coalesce(h.origin_sha256 = $2, false), h.log_index, "
	    "a.message FROM trace_hop h "
	    "LEFT JOIN trace_hop_ack a ON a.hop_id = h.id WHERE h.id = $1",
	    2, params, &res, err)) != 0)
		goto out;
	if (PQntuples(res) == 0) {
		r = REG_ENOTFOUND;
		goto out;
	}
	*same = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	*idx = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
	if (reg__pq_dup(ack, res, 0, 2) != 0)
		r = reg__fail(err, REG_ENOMEM, "out of memory");
out:
	PQclear(res);
	return r;
}

/* A follow-up's parent: stored, of hop - 1, and not followed yet.  Fills
 * root with the parent's chain. */
static int
check_parent(reg_ctx *ctx, const char *parent, int hop, char root[REG_UUID_STR],
    reg_error *err)
{
	const char *params[1] = { parent };
	PGresult *res;
	int r = 0;

	res = reg__exec(ctx, "SELECT h.root_id::text, h.hop, EXISTS (SELECT 1 "
	    "FROM trace_hop c WHERE c.parent_id = h.id) FROM trace_hop h "
	    "WHERE h.id = $1", 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__fail_pg(err, ctx->conn, res, "cannot look up hop %s", parent);
	else if (PQntuples(res) == 0)
		r = reg__fail(err, REG_ENOTFOUND, "no hop %s to follow", parent);
	else if (atoi(PQgetvalue(res, 0, 1)) != hop - 1)
		r = reg__fail(err, REG_EINVAL, "hop %s is hop %s, not %d", parent,
		    PQgetvalue(res, 0, 1), hop - 1);
	else if (strcmp(PQgetvalue(res, 0, 2), "t") == 0)
		r = reg__fail(err, REG_EEXIST, "hop %s is followed already", parent);
	else
		reg__pq_field(root, REG_UUID_STR, res, 0, 0);
	PQclear(res);
	return r;
}

static int
check_hop_in(const struct reg_hop_in *in, reg_trace_ack_cb ack_cb, char id[],
    char parent[], char created[32], char due[32], reg_error *err)
{
	int r;

	if (in == NULL)
		return reg__fail(err, REG_EINVAL, "a hop is needed");
	if ((r = reg__uuid_canon("the hop's id", in->id, id, err)) != 0)
		return r;
	if (in->hop < 0 || in->hop > REG_HOP_MAX)
		return reg__fail(err, REG_EINVAL, "hop %d is not 0 to %d", in->hop,
		    REG_HOP_MAX);
	parent[0] = '\0';
	if (in->hop == 0) {
		if (in->parent_id != NULL && *in->parent_id != '\0')
			return reg__fail(err, REG_EINVAL, "hop 0 follows no other hop");
		if (ack_cb == NULL)
			return reg__fail(err, REG_EINVAL, "hop 0 needs an "
			    "acknowledgement callback");
		if ((r = reg__check_message("the submitted request", in->origin,
		    in->origin_len, REG_TRACE_MESSAGE_MAX, err)) != 0)
			return r;
	} else {
		if (in->origin != NULL)
			return reg__fail(err, REG_EINVAL, "only hop 0 has a submitted "
			    "request");
		if ((r = reg__uuid_canon("the hop's parent", in->parent_id, parent,
		    err)) != 0)
			return r;
		if (strcmp(parent, id) == 0)
			return reg__fail(err, REG_EINVAL, "hop %s names itself as its "
			    "parent", id);
	}
	if (in->via != NULL && *in->via != '\0' &&
	    (strlen(in->via) != 2 || in->via[0] < 'A' || in->via[0] > 'Z' ||
	    in->via[1] < 'A' || in->via[1] > 'Z'))
		return reg__fail(err, REG_EINVAL, "via '%.10s' is not a two-letter "
		    "code", in->via);
	if (!reg__one_of(in->priority, priorities))
		return reg__fail(err, REG_EINVAL, "priority '%.20s' is not urgent or "
		    "routine", in->priority ? in->priority : "");
	if ((r = reg__check_text("the submitter", in->submitted_by, 300, 0, err)) != 0 ||
	    (r = reg__check_text("the key id", in->kid, 200, 0, err)) != 0 ||
	    (r = reg__time_canon("created_at", in->created_at, created, err)) != 0 ||
	    (r = reg__time_canon("due_by", in->due_by, due, err)) != 0 ||
	    (r = reg__check_message("the request sent", in->message, in->message_len,
	    REG_TRACE_MESSAGE_MAX, err)) != 0)
		return r;
	if (strcmp(due, created) < 0)
		return reg__fail(err, REG_EINVAL, "due_by %s is before created_at %s",
		    due, created);
	return 0;
}

int
reg_hop_add(reg_ctx *ctx, const struct reg_hop_in *in, reg_trace_ack_cb ack_cb,
    void *arg, uint64_t *log_index, int *same_message, char **ack_out,
    reg_error *err)
{
	struct reg__tx tx;
	char id[REG_UUID_STR], parent[REG_UUID_STR], root[REG_UUID_STR];
	char created[32], due[32], hop[12];
	char *odigest = NULL, *mdigest = NULL, *ack = NULL;
	const char *v[14], *extra[2];
	int extralen[2], same = 0, r;
	uint64_t idx = 0;

	if (log_index != NULL)
		*log_index = 0;
	if (same_message != NULL)
		*same_message = 0;
	if (ack_out != NULL)
		*ack_out = NULL;
	if ((r = check_hop_in(in, ack_cb, id, parent, created, due, err)) != 0)
		return r;
	if ((in->origin != NULL && (r = reg__digest64(in->origin, in->origin_len,
	    &odigest, err)) != 0) ||
	    (r = reg__digest64(in->message, in->message_len, &mdigest, err)) != 0)
		goto done;
	/* Under the log's lock, as reg_trace_receive(): one id, one hop; one
	 * parent, one follow-up. */
	r = find_hop(ctx, &tx, id, odigest ? odigest : "", &same, &idx, &ack, err);
	if (r == 0) {
		r = reg__fail(err, REG_EEXIST, "hop %s is stored already (leaf %" PRIu64
		    ") %s", id, idx, same ? "with the same request" :
		    "with a different request");
		goto out;
	}
	if (r != REG_ENOTFOUND)
		goto out;
	r = 0;
	if (in->hop == 0)
		snprintf(root, sizeof(root), "%s", id);
	else if ((r = check_parent(ctx, parent, in->hop, root, err)) != 0)
		goto out;
	if ((r = reg__check_country(ctx, "requesting_state", in->requesting_state, 0,
	    err)) != 0 ||
	    (r = reg__check_country(ctx, "requested_state", in->requested_state, 0,
	    err)) != 0)
		goto out;
	snprintf(hop, sizeof(hop), "%d", in->hop);
	v[0] = id;
	v[1] = root;
	v[2] = parent[0] ? parent : NULL;
	v[3] = hop;
	v[4] = in->requesting_state;
	v[5] = in->requested_state;
	v[6] = in->via != NULL && *in->via != '\0' ? in->via : NULL;
	v[7] = in->submitted_by;
	v[8] = in->kid;
	v[9] = in->priority;
	v[10] = created;
	v[11] = due;
	v[12] = odigest;
	v[13] = mdigest;
	extra[0] = in->origin;
	extralen[0] = in->origin ? (int)in->origin_len : 0;
	extra[1] = in->message;
	extralen[1] = (int)in->message_len;
	/* A follow-up hop has no acknowledgement of ours: its row ends the
	 * transaction. */
	if ((r = in->hop == 0 ? reg__record_write(ctx, REC_TRACE_HOP, v, extra,
	    extralen, &idx, err) : reg__record_write_last(ctx, &tx, REC_TRACE_HOP, v,
	    extra, extralen, &idx, err)) != 0)
		goto out;
	if (in->hop == 0)
		r = reg__ack_store(ctx, &tx, "INSERT INTO trace_hop_ack (hop_id, "
		    "message) VALUES ($1, $2)", "request", id, idx, ack_cb, arg, &ack,
		    err);
out:
	r = reg__tx_leave(ctx, &tx, r, err);
	if (r == 0 || r == REG_EEXIST) {
		if (log_index != NULL)
			*log_index = idx;
		if (same_message != NULL)
			*same_message = same;
		if (ack_out != NULL) {
			*ack_out = ack;
			ack = NULL;
		}
	}
done:
	free(ack);
	reg_free(odigest);
	reg_free(mdigest);
	return r;
}

static int
check_status_word(const char *s, reg_error *err)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > 40)
		goto bad;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' || s[i] == '-'))
			goto bad;
	return 0;
bad:
	return reg__fail(err, REG_EINVAL, "status '%.50s' is not a word of 1 to 40 "
	    "lower-case letters, '_' and '-'", s ? s : "");
}

int
reg_hop_event_add(reg_ctx *ctx, const char *hop_id, const char *kind,
    const char *status, const char *due_by, const char *detail,
    const char *message, size_t message_len, uint64_t *log_index, reg_error *err)
{
	struct reg__tx tx;
	char id[REG_UUID_STR], hid[REG_UUID_STR], now[32], due[32], *digest = NULL;
	char missing[64];
	const char *v[8], *extra[1] = { NULL }, *params[1];
	int extralen[1] = { 0 }, r;
	PGresult *res;
	reg_uuid u;

	if ((r = reg__uuid_canon("the hop's id", hop_id, hid, err)) != 0)
		return r;
	if (!reg__one_of(kind, kinds))
		return reg__fail(err, REG_EINVAL, "event kind '%.20s' is not one of "
		    "acknowledged, answered, refused, ended", kind ? kind : "");
	if ((r = check_status_word(status, err)) != 0)
		return r;
	due[0] = '\0';
	if (due_by != NULL && (r = reg__time_canon("due_by", due_by, due, err)) != 0)
		return r;
	if ((r = reg__check_text("the detail", detail, 2000, 1, err)) != 0)
		return r;
	if (message != NULL) {
		if ((r = reg__check_message("the message", message, message_len,
		    REG_TRACE_MESSAGE_MAX, err)) != 0 ||
		    (r = reg__digest64(message, message_len, &digest, err)) != 0)
			return r;
		extra[0] = message;
		extralen[0] = (int)message_len;
	} else if (strcmp(kind, "acknowledged") == 0 || strcmp(kind, "answered") == 0) {
		return reg__fail(err, REG_EINVAL, "an %s event needs the message "
		    "received", kind);
	}
	if ((r = reg_uuid_v7(&u, err)) != 0)
		goto done;
	reg_uuid_format(&u, id);
	reg__now_text(now);
	v[0] = id;
	v[1] = hid;
	v[2] = kind;
	v[3] = status;
	v[4] = now;
	v[5] = due[0] ? due : NULL;
	v[6] = detail != NULL && *detail != '\0' ? detail : NULL;
	v[7] = digest;
	if (!reg__in_tx(ctx)) {
		/* Alone: two round trips, the hop's foreign key telling an
		 * unknown hop. */
		snprintf(missing, sizeof(missing), "no hop %s", hid);
		r = reg__record_write_alone(ctx, REC_TRACE_HOP_EVENT, v, extra, extralen,
		    missing, log_index, err);
		goto done;
	}
	if ((r = reg__tx_enter(ctx, &tx, err)) != 0)
		goto done;
	params[0] = hid;
	res = reg__exec(ctx, "SELECT 1 FROM trace_hop WHERE id = $1", 1,
	    params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__fail_pg(err, ctx->conn, res, "cannot look up hop %s", hid);
	else if (PQntuples(res) == 0)
		r = reg__fail(err, REG_ENOTFOUND, "no hop %s", hid);
	PQclear(res);
	if (r != 0)
		goto out;
	r = reg__record_write(ctx, REC_TRACE_HOP_EVENT, v, extra, extralen, log_index,
	    err);
out:
	r = reg__tx_leave(ctx, &tx, r, err);
done:
	reg_free(digest);
	return r;
}

static int
hop_row(struct reg_hop *h, const PGresult *res, int i)
{
	reg__pq_field(h->id, sizeof(h->id), res, i, 0);
	reg__pq_field(h->root_id, sizeof(h->root_id), res, i, 1);
	reg__pq_field(h->parent_id, sizeof(h->parent_id), res, i, 2);
	h->hop = atoi(PQgetvalue(res, i, 3));
	reg__pq_field(h->requesting_state, sizeof(h->requesting_state), res, i, 4);
	reg__pq_field(h->requested_state, sizeof(h->requested_state), res, i, 5);
	reg__pq_field(h->via, sizeof(h->via), res, i, 6);
	reg__pq_field(h->submitted_by, sizeof(h->submitted_by), res, i, 7);
	reg__pq_field(h->kid, sizeof(h->kid), res, i, 8);
	reg__pq_field(h->priority, sizeof(h->priority), res, i, 9);
	reg__pq_field(h->created_at, sizeof(h->created_at), res, i, 10);
	reg__pq_field(h->due_by, sizeof(h->due_by), res, i, 11);
	h->log_index = strtoull(PQgetvalue(res, i, 15), NULL, 10);
	reg__pq_field(h->acked_at, sizeof(h->acked_at), res, i, 16);
	reg__pq_field(h->ack_status, sizeof(h->ack_status), res, i, 17);
	reg__pq_field(h->ack_due_by, sizeof(h->ack_due_by), res, i, 18);
	reg__pq_field(h->answered_at, sizeof(h->answered_at), res, i, 20);
	reg__pq_field(h->answer_status, sizeof(h->answer_status), res, i, 21);
	reg__pq_field(h->refused_at, sizeof(h->refused_at), res, i, 23);
	reg__pq_field(h->refusal, sizeof(h->refusal), res, i, 24);
	reg__pq_field(h->ended_at, sizeof(h->ended_at), res, i, 27);
	reg__pq_field(h->end, sizeof(h->end), res, i, 28);
	/* The end's detail, else the refusal's. */
	reg__pq_field(h->detail, sizeof(h->detail), res, i,
	    PQgetisnull(res, i, 29) ? 26 : 29);
	h->followed = strcmp(PQgetvalue(res, i, 30), "t") == 0;
	if (reg__pq_dup(&h->origin, res, i, 12) != 0 ||
	    reg__pq_dup(&h->message, res, i, 13) != 0 ||
	    reg__pq_dup(&h->ack, res, i, 14) != 0 ||
	    reg__pq_dup(&h->remote_ack, res, i, 19) != 0 ||
	    reg__pq_dup(&h->response, res, i, 22) != 0 ||
	    reg__pq_dup(&h->problem, res, i, 25) != 0)
		return -1;
	return 0;
}

static int
read_hops(reg_ctx *ctx, const char *sql, const char *id, struct reg_hop **out,
    size_t *n, reg_error *err)
{
	char hid[REG_UUID_STR];
	const char *params[1] = { hid };
	struct reg_hop *hops = NULL;
	PGresult *res;
	int i, rows, r = 0;

	*out = NULL;
	*n = 0;
	if ((r = reg__uuid_canon("the hop's id", id, hid, err)) != 0)
		return r;
	res = reg__exec(ctx, sql, 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read hop %s", hid);
		goto out;
	}
	if ((rows = PQntuples(res)) == 0) {
		r = reg__fail(err, REG_ENOTFOUND, "no request %s sent by this State", hid);
		goto out;
	}
	if ((hops = calloc((size_t)rows, sizeof(*hops))) == NULL)
		goto nomem;
	for (i = 0; i < rows; i++)
		if (hop_row(&hops[i], res, i) != 0) {
			reg_hops_free(hops, (size_t)i + 1);
			hops = NULL;
			goto nomem;
		}
	*out = hops;
	*n = (size_t)rows;
	goto out;
nomem:
	r = reg__fail(err, REG_ENOMEM, "out of memory reading hop %s", hid);
out:
	PQclear(res);
	return r;
}

int
reg_hop_get(reg_ctx *ctx, const char *id, struct reg_hop **out, reg_error *err)
{
	size_t n;

	return read_hops(ctx, HOP_SELECT " WHERE h.id = $1", id, out, &n, err);
}

int
reg_hop_chain(reg_ctx *ctx, const char *id, struct reg_hop **out, size_t *n,
    reg_error *err)
{
	return read_hops(ctx, HOP_SELECT " WHERE h.root_id = (SELECT x.root_id FROM "
	    "trace_hop x WHERE x.id = $1) ORDER BY h.hop", id, out, n, err);
}

void
reg_hops_free(struct reg_hop *hops, size_t n)
{
	size_t i;

	if (hops == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(hops[i].origin);
		free(hops[i].message);
		free(hops[i].ack);
		free(hops[i].remote_ack);
		free(hops[i].response);
		free(hops[i].problem);
	}
	free(hops);
}

#define OPEN_HOPS \
	" FROM trace_hop h WHERE NOT EXISTS (SELECT 1 FROM trace_hop_event e " \
	"WHERE e.hop_id = h.id AND e.kind IN ('refused', 'ended')) " \
	"AND NOT EXISTS (SELECT 1 FROM trace_hop c WHERE c.parent_id = h.id)"

int
reg_hop_open(reg_ctx *ctx, reg_hop_open_cb cb, void *arg, reg_error *err)
{
	PGresult *res;
	int i, n, r = 0;

	if (cb == NULL)
		return reg__fail(err, REG_EINVAL, "a callback is needed");
	res = reg__exec(ctx, "SELECT h.id::text" OPEN_HOPS
	    " ORDER BY h.log_index", 0, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot list open hops");
		goto out;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		if (cb(arg, PQgetvalue(res, i, 0)) != 0) {
			r = reg__fail(err, REG_EIO, "stopped at hop %s",
			    PQgetvalue(res, i, 0));
			break;
		}
out:
	PQclear(res);
	return r;
}

int
reg_hop_counts(reg_ctx *ctx, long *open, long *overdue, reg_error *err)
{
	PGresult *res;
	int r = 0;

	/* Waiting: open and not answered. */
	res = reg__exec(ctx, "SELECT count(*), count(*) FILTER (WHERE now() > "
	    "coalesce((SELECT e.due_by FROM trace_hop_event e WHERE e.hop_id = h.id "
	    "AND e.kind = 'acknowledged' ORDER BY e.log_index DESC LIMIT 1), h.due_by))"
	    OPEN_HOPS " AND NOT EXISTS (SELECT 1 FROM trace_hop_event e "
	    "WHERE e.hop_id = h.id AND e.kind = 'answered')", 0, NULL, NULL,
	    NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot count open hops");
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
