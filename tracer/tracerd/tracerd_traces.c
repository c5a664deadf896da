/*
 * tracerd's trace endpoints (proto/README.md, "Endpoints"):
 *
 *   POST /v1/traces               a signed trace request; 202 and the
 *                                 signed acknowledgement once stored
 *   GET  /v1/traces/{id}          the signed response once answered, else
 *                                 the signed status document; with
 *                                 ?wait=S, held up to S seconds for the
 *                                 answer
 *   GET  /v1/traces/{id}/status   the signed status document
 *
 * The loop checks what needs no database (the caller's role, the media
 * type, the signature against the peers directory, the document through
 * the codec, the States); the database pool stores the request and its
 * acknowledgement in one transaction that also appends the receipt's leaf
 * to the audit log; the trace pool then traces it, storing "in_progress"
 * and the signed answer, each with its leaf.  A request is traced once: a
 * request posted again finds the stored one and gets its acknowledgement
 * back.  Requests not answered when the daemon stops are traced again at
 * its next start (trd_traces_resume()).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/sha.h>

#include "tracerd_int.h"

/* ------------------------------------------------------------ POST */

struct post {
	struct trd_call *c;
	struct trd_daemon *d;
	proto_request *req;
	char *message;
	size_t message_len;
	char caller[300];
	char kid[201];
	char received_at[32], due_by[32];
	/* the job's result */
	int rc;				/* 0, REG_EEXIST, or another failure */
	int same_message;
	char *ack;			/* the signed acknowledgement */
	char error[512];
};

static void
post_free(struct post *p)
{
	proto_request_free(p->req);
	free(p->message);
	proto_free(p->ack);
	free(p);
}

/* The acknowledgement, written inside the storing transaction once the
 * receipt's leaf is known. */
static char *
sign_ack(void *arg, uint64_t log_index, reg_error *err)
{
	struct post *p = arg;

	return trd_sign_ack(p->d, p->req, p->received_at, p->due_by, p->message,
	    log_index, err);
}

static void
store_job(struct trd_worker *w, void *arg)
{
	struct post *p = arg;
	reg_error err = REG_ERROR_INIT;
	struct reg_trace_in in;
	uint64_t idx;

	if ((p->rc = trd_job_db(w, p->error, sizeof(p->error))) != 0)
		return;
	memset(&in, 0, sizeof(in));
	in.id = p->req->id;
	in.requesting_state = p->req->requesting_state;
	in.requested_state = p->req->requested_state;
	in.caller = p->caller;
	in.kid = p->kid;
	in.priority = p->req->priority;
	in.received_at = p->received_at;
	in.due_by = p->due_by;
	in.message = p->message;
	in.message_len = p->message_len;
	p->rc = reg_trace_receive(w->db, &in, sign_ack, p, &idx, &p->same_message,
	    &p->ack, &err);
	if (p->rc != 0 && p->rc != REG_EEXIST)
		snprintf(p->error, sizeof(p->error), "%.400s", err.message);
}

static void trace_start(struct trd_daemon *d, const char *id,
    proto_request *req, const char *caller);

static void
store_done(void *arg, int ran)
{
	struct post *p = arg;
	struct trd_call *c = p->c;
	char location[64];

	snprintf(location, sizeof(location), "/v1/traces/%s", p->req->id);
	if (!ran) {
		trd_problem(c, "unavailable", "the daemon is stopping", NULL);
	} else if (p->rc == REG_EEXIST && !p->same_message) {
		trd_problem(c, "conflict", "a different request with this id was "
		    "received before; a new request needs a new id", "id");
	} else if (p->rc == 0 || p->rc == REG_EEXIST) {
		snprintf(c->note, sizeof(c->note), "%s", p->rc == 0 ? "stored" : "repeat");
		trd_reply(c, 202, "application/jose", p->ack, strlen(p->ack), location);
		if (p->rc == 0) {
			trace_start(p->d, p->req->id, p->req, p->caller);
			p->req = NULL;	/* the trace's */
		}
	} else if (trd_db_unavailable(p->rc)) {
		trd_log_event("error", p->req->id, NULL, p->error);
		trd_problem(c, "unavailable", "the registry's database cannot be "
		    "reached; try again later", NULL);
	} else {
		trd_log_event("error", p->req->id, NULL, p->error);
		trd_problem(c, "internal", "the request could not be stored", NULL);
	}
	post_free(p);
}

/* Hours after received_at, as RFC 3339 UTC. */
static void
add_hours(const struct timespec *t, int hours, char out[32])
{
	struct timespec due = *t;

	due.tv_sec += (time_t)hours * 3600;
	trd_timestamp(&due, out);
}

void
trd_traces_post(struct trd_call *c)
{
	struct trd_daemon *d = c->d;
	struct post *p;
	struct timespec now;
	const struct tr__peer *hub = strcmp(c->id.role, "hub") == 0 ?
	    tr__peers_get(d->peers, c->id.state) : NULL;

	if (trd_access_domestic(c)) {
		/* A domestic request to another State, sent on through this
		 * daemon (tracerd_out.c). */
		trd_out_post(c);
		return;
	}
	/* A liaison hub of the peers directory relays other States'
	 * requests (proto/README.md 13.5). */
	if (hub != NULL && !hub->hub)
		hub = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	p->c = c;
	p->d = d;
	if (trd_read_request(c, c->id.state, hub != NULL ? c->id.state : NULL,
	    trd_peer_key, "the peers directory has no key of this kid", &p->message,
	    &p->message_len, &p->req, p->kid) != 0)
		goto fail;
	if (strcmp(p->req->requested_state, d->cf.state) != 0) {
		trd_problem(c, "wrong-state", "requested_state is not the State this "
		    "daemon answers for", "requested_state");
		goto fail;
	}
	snprintf(p->caller, sizeof(p->caller), "%s %s %s", c->id.state, c->id.role,
	    c->id.name[0] ? c->id.name : "-");
	clock_gettime(CLOCK_REALTIME, &now);
	trd_timestamp(&now, p->received_at);
	add_hours(&now, trd_config_deadline(&d->cf, p->req->requesting_state,
	    strcmp(p->req->priority, "urgent") == 0), p->due_by);
	if (trd_call_submit(c, store_job, store_done, p) != 0)
		goto fail;
	return;
fail:
	post_free(p);
}

/* ------------------------------------------------------------ tracing */

struct trace_slot {
	tr_engine *engine;
	unsigned long policy_gen;	/* the engine's policy */
};

void
trd_traces_slot_free(void *slot)
{
	struct trace_slot *s = slot;

	if (s != NULL)
		tr_engine_free(s->engine);
	free(s);
}

struct trace {
	struct trd_daemon *d;
	struct trd_policy_ref *policy;
	char id[37];
	char error[512];
	char status[16];
	int rc;
	/* The answer stored, signed, for the GETs held for it; and whose
	 * request it answers (may_read()). */
	char *answer;
	char requesting_state[3];
	char caller[301];
	/* A request just received and stored (acknowledged), as parsed: the
	 * trace starts from it without reading it back.  NULL: read it. */
	proto_request *req;
};

/* The status a trace request takes from its response's status. */
static const char *
answer_status(const char *response_status)
{
	if (strcmp(response_status, "found") == 0 ||
	    strcmp(response_status, "ambiguous") == 0 ||
	    strcmp(response_status, "not_found") == 0)
		return "answered";
	return response_status;	/* restricted, need_more_info, declined */
}

static int
reasons_json(char **const reasons, size_t n, char **out)
{
	json_t *a = json_array();
	size_t i;

	*out = NULL;
	if (n == 0) {
		json_decref(a);
		return 0;
	}
	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(reasons[i]));
	*out = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return *out != NULL ? 0 : -1;
}

/* The worker's engine under t's policy, made anew when the policy
 * changed: 0 with *out, -1 out of memory (t->error), 1 with err. */
static int
engine_for(struct trd_worker *w, struct trace *t, struct trace_slot **out,
    reg_error *err)
{
	struct trace_slot *s = w->slot;
	struct tr_options opt = { 0, 1 };

	if (s != NULL && s->policy_gen != t->policy->gen) {
		trd_traces_slot_free(s);
		w->slot = s = NULL;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL) {
			snprintf(t->error, sizeof(t->error), "out of memory");
			return -1;
		}
		if (tr_engine_new(w->db, t->policy->policy, NULL, &opt, &s->engine,
		    err) != 0) {
			free(s);
			return 1;
		}
		s->policy_gen = t->policy->gen;
		w->slot = s;
	}
	*out = s;
	return 0;
}

static void
trace_job(struct trd_worker *w, void *arg)
{
	struct trace *t = arg;
	struct trace_slot *s = NULL;
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	struct reg_trace *stored = NULL;
	proto_request *req = NULL;
	proto_response *resp = NULL;
	char *json = NULL, *jws = NULL, *reasons = NULL;
	const uint8_t *payload;
	proto_jws *j = NULL;
	size_t plen;
	int r;

	t->rc = REG_EIO;
	if (trd_job_db(w, t->error, sizeof(t->error)) != 0)
		return;
	if ((r = engine_for(w, t, &s, &err)) < 0)
		return;
	if (r > 0)
		goto fail;
	if (t->req != NULL) {
		/* Received and stored a moment ago, acknowledged. */
		req = t->req;
		t->req = NULL;
	} else {
		if (reg_trace_get(w->db, t->id, &stored, &err) != 0)
			goto fail;
		if (strcmp(stored->status, "acknowledged") != 0 &&
		    strcmp(stored->status, "in_progress") != 0) {
			/* Answered already (a resumed trace that another worker,
			 * or the daemon before its restart, finished). */
			snprintf(t->status, sizeof(t->status), "%s", stored->status);
			t->rc = 0;
			goto out;
		}
		memcpy(t->requesting_state, stored->requesting_state, 3);
		snprintf(t->caller, sizeof(t->caller), "%s", stored->caller);
		/* The stored message is the request as received and verified. */
		if (proto_jws_parse(stored->message, strlen(stored->message), &j,
		    &perr) != 0 ||
		    (payload = proto_jws_payload(j, &plen)) == NULL ||
		    proto_request_parse((const char *)payload, plen, &req, &perr) != 0) {
			t->rc = REG_EINVAL;
			snprintf(t->error, sizeof(t->error), "the stored request does "
			    "not parse: %.400s", perr.message);
			goto out;
		}
	}
	if ((stored == NULL || strcmp(stored->status, "in_progress") != 0) &&
	    reg_trace_status_add(w->db, t->id, "in_progress", NULL, NULL, 0, NULL,
	    &err) != 0)
		goto fail;
	if (tr_trace(s->engine, req, &resp, &err) != 0)
		goto fail;
	if (proto_response_to_json(resp, &json, &perr) != 0 ||
	    proto_jws_sign(t->d->signing, PROTO_SCHEMA_RESPONSE, json, strlen(json),
	    &jws, &perr) != 0) {
		t->rc = REG_EINVAL;
		snprintf(t->error, sizeof(t->error), "cannot write the response: %.400s",
		    perr.message);
		goto out;
	}
	snprintf(t->status, sizeof(t->status), "%.15s", answer_status(resp->status));
	if (reasons_json(resp->status_reasons, resp->n_status_reasons, &reasons) != 0) {
		snprintf(t->error, sizeof(t->error), "out of memory");
		goto out;
	}
	if (reg_trace_status_add(w->db, t->id, t->status, reasons, jws, strlen(jws),
	    NULL, &err) != 0)
		goto fail;
	t->rc = 0;
	/* Kept for the GETs that come for it (kept_add()). */
	t->answer = strdup(jws);
	goto out;
fail:
	t->rc = err.code ? err.code : REG_EIO;
	snprintf(t->error, sizeof(t->error), "%.400s", err.message);
out:
	free(reasons);
	proto_free(json);
	proto_free(jws);
	proto_jws_free(j);
	proto_request_free(req);
	proto_response_free(resp);
	reg_trace_free(stored);
}

static void wake(struct trd_daemon *d, const char *id);
static void kept_add(struct trd_daemon *d, struct trace *t);

struct retry {
	struct trd_daemon *d;
	char id[37];
};

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct retry *r = arg;

	(void)fd;
	(void)what;
	if (!r->d->stopping)
		trace_start(r->d, r->id, NULL, NULL);
	free(r);
}

/* A trace that the database failed (unreachable, a refused statement) is
 * tried again later; it stays open in the database meanwhile, and a
 * restart traces it too. */
static void
retry_later(struct trd_daemon *d, const char *id)
{
	struct timeval tv = { d->cf.retry_seconds, 0 };
	struct retry *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return;
	r->d = d;
	snprintf(r->id, sizeof(r->id), "%s", id);
	if (event_base_once(d->base, -1, EV_TIMEOUT, on_retry, r, &tv) != 0)
		free(r);
}

static void
trace_done(void *arg, int ran)
{
	struct trace *t = arg;

	t->d->traces_running--;
	t->d->traces_finished++;
	if (ran && t->rc == 0 && t->answer != NULL)
		kept_add(t->d, t);
	wake(t->d, t->id);
	if (ran)
		trd_count(t->d, "tracerd_traces_completed_total", "Traces finished, "
		    "by the request's new status.", "status", t->rc == 0 ? t->status :
		    "error");
	if (ran && t->rc == 0)
		trd_log_event("trace", t->id, t->status, NULL);
	else if (ran)
		trd_log_event("trace", t->id, "error", t->error);
	if (ran && (trd_db_unavailable(t->rc) || t->rc == REG_EDB) &&
	    !t->d->stopping)
		retry_later(t->d, t->id);
	trd_policy_release(t->policy);
	free(t->answer);
	proto_request_free(t->req);
	free(t);
}

/* Starts the trace of request id: from req (taken, with its requesting
 * State and caller) when it was just received and stored, else (NULL) as
 * the store has it. */
static void
trace_start(struct trd_daemon *d, const char *id, proto_request *req,
    const char *caller)
{
	struct trace *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		proto_request_free(req);
		trd_log_event("trace", id, "error", "out of memory; the trace runs at the "
		    "next start");
		return;
	}
	t->d = d;
	snprintf(t->id, sizeof(t->id), "%s", id);
	if ((t->req = req) != NULL) {
		snprintf(t->requesting_state, sizeof(t->requesting_state), "%s",
		    req->requesting_state);
		snprintf(t->caller, sizeof(t->caller), "%s", caller);
	}
	t->policy = trd_policy_hold(d);
	d->traces_running++;
	if (trd_pool_submit(d->tracers, trace_job, trace_done, t) != 0) {
		trd_log_event("trace", id, "error", "the trace queue is full; the trace "
		    "runs at the next start");
		d->traces_running--;
		trd_policy_release(t->policy);
		proto_request_free(t->req);
		free(t);
	}
}

/* ------------------------------------------------------------ resume */

static int
resume_one(void *arg, const char *id, const char *due_by)
{
	(void)due_by;
	trace_start(arg, id, NULL, NULL);
	return 0;
}

/* Before the daemon listens, so that no new request can be traced twice:
 * a connection of its own, closed after. */
int
trd_traces_resume(struct trd_daemon *d, reg_error *err)
{
	reg_ctx *ctx = NULL;
	long before = d->traces_running;
	char what[64];
	int r;

	if ((r = reg_open(d->cf.database, 0, &ctx, err)) != 0)
		return r;
	r = reg_trace_open(ctx, resume_one, d, err);
	reg_close(ctx);
	if (r == 0 && d->traces_running > before) {
		snprintf(what, sizeof(what), "%ld open requests", d->traces_running - before);
		trd_log_event("trace", NULL, "resumed", what);
	}
	return r;
}

/* ------------------------------------------------------------ GET */

struct get {
	struct trd_call *c;
	char id[37];
	int status_only;
	unsigned long finished;		/* d->traces_finished when queued */
	struct reg_trace *t;
	int rc;
	char error[512];
};

static void start_get(struct trd_call *c, const char *id, int status_only);

/* A trace finished: the GETs held for its answer are read again. */
static void
wake(struct trd_daemon *d, const char *id)
{
	trd_holds_wake(&d->waiters, id);
}

void
trd_traces_wake_all(struct trd_daemon *d)
{
	trd_holds_wake_all(&d->waiters);
}

static void
get_job(struct trd_worker *w, void *arg)
{
	struct get *g = arg;
	reg_error err = REG_ERROR_INIT;

	if ((g->rc = trd_job_db(w, g->error, sizeof(g->error))) != 0)
		return;
	if ((g->rc = reg_trace_get(w->db, g->id, &g->t, &err)) != 0)
		snprintf(g->error, sizeof(g->error), "%.400s", err.message);
}

/* Who may read a trace request (of requesting_state, received from
 * caller): the State that sent it, and this State's own liaison office
 * and auditors. */
static int
may_read(const struct trd_call *c, const char *requesting_state,
    const char *caller)
{
	if (strcmp(c->id.role, "peer") == 0)
		return strcmp(c->id.state, requesting_state) == 0;
	/* A hub reads the requests it relayed (caller "XH hub NAME"). */
	if (strcmp(c->id.role, "hub") == 0)
		return strncmp(caller, c->id.state, 2) == 0 &&
		    strncmp(caller + 2, " hub ", 5) == 0;
	if (strcmp(c->id.state, c->d->cf.state) != 0)
		return 0;
	return strcmp(c->id.role, "liaison") == 0 || strcmp(c->id.role, "auditor") == 0;
}

/*
 * The answers this daemon stored lately, signed, as a read of the store
 * gives them: a GET for one (held for it, or come as it was stored) is
 * answered without reading it back.  An answer is final; a trace is
 * answered once.  Direct-mapped, a newer answer taking an older one's
 * slot; used on the event loop's thread only.
 */
#define ANSWERS_KEPT 256
struct trd_answer_kept {
	char id[37];
	char requesting_state[3];
	char caller[301];
	char status[16];
	char *answer;
};

static struct trd_answer_kept *
kept_slot(struct trd_daemon *d, const char *id)
{
	return trd_id_table_slot(&d->answers, ANSWERS_KEPT,
	    sizeof(struct trd_answer_kept), id);
}

/* Keeps t's answer (taken from t). */
static void
kept_add(struct trd_daemon *d, struct trace *t)
{
	struct trd_answer_kept *k = kept_slot(d, t->id);

	if (k == NULL)
		return;
	free(k->answer);
	snprintf(k->id, sizeof(k->id), "%s", t->id);
	memcpy(k->requesting_state, t->requesting_state, 3);
	snprintf(k->caller, sizeof(k->caller), "%s", t->caller);
	snprintf(k->status, sizeof(k->status), "%s", t->status);
	k->answer = t->answer;
	t->answer = NULL;
}

static const struct trd_answer_kept *
kept_find(struct trd_daemon *d, const char *id)
{
	const struct trd_answer_kept *k = kept_slot(d, id);

	return k != NULL && k->answer != NULL && strcmp(k->id, id) == 0 ? k : NULL;
}

void
trd_traces_free(struct trd_daemon *d)
{
	struct trd_answer_kept *k = d->answers;
	int i;

	for (i = 0; k != NULL && i < ANSWERS_KEPT; i++)
		free(k[i].answer);
	free(k);
	d->answers = NULL;
}

static void
get_done(void *arg, int ran)
{
	struct get *g = arg;
	struct trd_call *c = g->c;
	proto_error perr = PROTO_ERROR_INIT;
	char *json = NULL;

	if (!ran) {
		trd_problem(c, "unavailable", "the daemon is stopping", NULL);
	} else if (g->rc == REG_ENOTFOUND) {
		trd_problem(c, "not-found", "no trace request with this id", NULL);
	} else if (g->rc == REG_EINVAL) {
		trd_problem(c, "not-found", "no trace request with this id (it is "
		    "not a UUID)", NULL);
	} else if (g->rc != 0) {
		trd_log_event("error", g->id, NULL, g->error);
		trd_problem(c, "unavailable", "the registry's database cannot be "
		    "reached; try again later", NULL);
	} else if (!may_read(c, g->t->requesting_state, g->t->caller)) {
		/* Said as not found, so that a State learns nothing of others'
		 * requests, not even that they exist. */
		trd_problem(c, "not-found", "no trace request with this id that "
		    "you may read", NULL);
	} else if (c->wait > 0 && g->t->response == NULL &&
	    (strcmp(g->t->status, "acknowledged") == 0 ||
	    strcmp(g->t->status, "in_progress") == 0)) {
		/* A trace that finished while the status was read is read
		 * again at once; otherwise the call waits. */
		if (c->d->traces_finished != g->finished) {
			start_get(c, g->id, g->status_only);
		} else if (trd_hold(&c->d->waiters, c, g->id, g->id, g->status_only,
		    start_get) != 0) {
			c->wait = 0;
			start_get(c, g->id, g->status_only);
		}
	} else if (!g->status_only && g->t->response != NULL) {
		snprintf(c->note, sizeof(c->note), "%s", g->t->status);
		trd_reply(c, 200, "application/jose", g->t->response,
		    strlen(g->t->response), NULL);
	} else if (trd_ack_doc(g->t, 1, &json, &perr) != 0) {
		trd_log_event("error", g->id, NULL, perr.message);
		trd_problem(c, "internal", "cannot write the status document", NULL);
	} else {
		snprintf(c->note, sizeof(c->note), "%s", trd_shown_status(g->t));
		trd_reply_signed(c, 200, PROTO_SCHEMA_ACK, json, NULL);
	}
	proto_free(json);
	reg_trace_free(g->t);
	free(g);
}

static void
start_get(struct trd_call *c, const char *id, int status_only)
{
	const struct trd_answer_kept *k;
	struct get *g;

	/* An answer stored lately: as the store would give it. */
	if (!status_only && (k = kept_find(c->d, id)) != NULL) {
		if (!may_read(c, k->requesting_state, k->caller)) {
			trd_problem(c, "not-found", "no trace request with this id that "
			    "you may read", NULL);
			return;
		}
		snprintf(c->note, sizeof(c->note), "%s", k->status);
		trd_reply(c, 200, "application/jose", k->answer, strlen(k->answer),
		    NULL);
		return;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	g->c = c;
	snprintf(g->id, sizeof(g->id), "%s", id);
	g->status_only = status_only;
	g->finished = c->d->traces_finished;
	if (trd_call_submit_read(c, get_job, get_done, g) != 0)
		free(g);
}

/* ?wait=S, S from 1 to 60 seconds, and no other parameter. */
static int
wait_param(struct trd_call *c)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(c->req));
	char *end;
	long s;

	if (q == NULL || *q == '\0')
		return 0;
	if (strncmp(q, "wait=", 5) != 0 || q[5] < '0' || q[5] > '9')
		return -1;
	s = strtol(q + 5, &end, 10);
	if (*end != '\0' || s < 0 || s > 60)
		return -1;
	c->wait = (int)s;
	return 0;
}

void
trd_traces_get(struct trd_call *c, const char *id, int status_only)
{
	char lower[37];

	if (wait_param(c) != 0) {
		trd_problem(c, "bad-request", "a trace's status takes one parameter, "
		    "wait=S: the seconds (0 to 60) to wait for the answer", NULL);
		return;
	}
	/* Ids compare in lower case, as the store writes them. */
	snprintf(lower, sizeof(lower), "%s", id);
	for (char *q = lower; *q; q++)
		if (*q >= 'A' && *q <= 'F')
			*q = (char)(*q - 'A' + 'a');
	snprintf(c->request_id, sizeof(c->request_id), "%s", lower);
	start_get(c, lower, status_only);
}
