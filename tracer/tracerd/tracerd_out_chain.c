/*
 * GET /v1/traces/{id}/chain (tracerd_out.c tells the whole story): the
 * international chain of a request this State sent, every hop's request,
 * acknowledgement and signed answer in order, as the chain document
 * (trace-chain/1); ?wait=S holds it until the chain ends.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "client_int.h"
#include "tracerd_out_int.h"

/* ------------------------------------------------------------ chain */

struct chain_get {
	struct trd_call *c;
	char id[37];
	unsigned long ends;		/* d->chain_ends when queued */
	struct reg_hop *hops;
	size_t n;
	int rc;
	char error[512];
};

static void chain_start(struct trd_call *c, const char *id);

static void
chain_resume(struct trd_call *c, const char *id, int flag)
{
	(void)flag;
	chain_start(c, id);
}

/* Chain root ended: the GETs held for it are read again. */
void
trd_out_chain_wake(struct trd_daemon *d, const char *root)
{
	trd_holds_wake(&d->chain_waiters, root);
}

static void
chain_job(struct trd_worker *w, void *arg)
{
	struct chain_get *g = arg;
	reg_error err = REG_ERROR_INIT;

	if ((g->rc = trd_job_db(w, g->error, sizeof(g->error))) != 0)
		return;
	if ((g->rc = reg_hop_chain(w->db, g->id, &g->hops, &g->n, &err)) != 0)
		snprintf(g->error, sizeof(g->error), "%.400s", err.message);
}

static int
past(const char *t)
{
	time_t s = trd_rfc3339_seconds(t);

	return s > 0 && time(NULL) >= s;
}

/* A hop's status as the chain shows it. */
static const char *
hop_status(const struct reg_hop *h)
{
	if (h->refusal[0] != '\0')
		return "refused";
	if (h->answer_status[0] != '\0')
		return "answered";
	if (past(h->ack_due_by[0] ? h->ack_due_by : h->due_by))
		return "overdue";
	return h->acked_at[0] != '\0' ? "acknowledged" : "sending";
}

static int
chain_complete(const struct reg_hop *hops, size_t n)
{
	return n > 0 && (hops[n - 1].refusal[0] != '\0' || hops[n - 1].end[0] != '\0');
}

/* The chain document (trace-chain/1, proto/README.md). */
static char *
chain_doc(const struct trd_daemon *d, const struct reg_hop *hops, size_t n)
{
	json_t *doc = json_object(), *a = json_array(), *o, *end;
	const struct reg_hop *last = &hops[n - 1];
	struct timespec now;
	char ts[32], *out;
	size_t i;

	if (doc == NULL || a == NULL) {
		json_decref(doc);
		json_decref(a);
		return NULL;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	trd_timestamp(&now, ts);
	json_object_set_new(doc, "schema", json_string("trace-chain/1"));
	json_object_set_new(doc, "id", json_string(hops[0].id));
	json_object_set_new(doc, "requesting_state", json_string(d->cf.state));
	json_object_set_new(doc, "assembled_at", json_string(ts));
	json_object_set_new(doc, "complete", json_boolean(chain_complete(hops, n)));
	if (chain_complete(hops, n) && (end = json_object()) != NULL) {
		json_object_set_new(end, "reason", json_string(last->end[0] ?
		    last->end : "refused"));
		json_object_set_new(end, "state", json_string(last->requested_state));
		if (last->detail[0] != '\0')
			json_object_set_new(end, "detail", json_string(last->detail));
		json_object_set_new(doc, "end", end);
	}
	for (i = 0; i < n; i++) {
		const struct reg_hop *h = &hops[i];

		if ((o = json_object()) == NULL)
			break;
		json_object_set_new(o, "hop", json_integer(h->hop));
		json_object_set_new(o, "request_id", json_string(h->id));
		if (h->parent_id[0] != '\0')
			json_object_set_new(o, "parent_id", json_string(h->parent_id));
		json_object_set_new(o, "requested_state", json_string(h->requested_state));
		if (h->via[0] != '\0')
			json_object_set_new(o, "via", json_string(h->via));
		json_object_set_new(o, "status", json_string(hop_status(h)));
		json_object_set_new(o, "sent_at", json_string(h->created_at));
		json_object_set_new(o, "due_by", json_string(h->ack_due_by[0] ?
		    h->ack_due_by : h->due_by));
		if (h->acked_at[0] != '\0')
			json_object_set_new(o, "acknowledged_at", json_string(h->acked_at));
		if (h->answered_at[0] != '\0') {
			json_object_set_new(o, "answered_at", json_string(h->answered_at));
			json_object_set_new(o, "response_status",
			    json_string(h->answer_status));
		}
		if (h->refusal[0] != '\0') {
			json_object_set_new(o, "refusal", json_string(h->refusal));
			json_object_set_new(o, "refused_at", json_string(h->refused_at));
		}
		if (h->end[0] != '\0')
			json_object_set_new(o, "end", json_string(h->end));
		if (h->detail[0] != '\0')
			json_object_set_new(o, "detail", json_string(h->detail));
		json_object_set_new(o, "request", json_string(h->message));
		if (h->remote_ack != NULL)
			json_object_set_new(o, "acknowledgement",
			    json_string(h->remote_ack));
		if (h->response != NULL)
			json_object_set_new(o, "response", json_string(h->response));
		if (h->problem != NULL)
			json_object_set_new(o, "problem", json_string(h->problem));
		json_array_append_new(a, o);
	}
	json_object_set_new(doc, "hops", a);
	out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return out;
}

/* Who may read a chain (beyond the route table): this State's
 * liaison office and auditors, and the certificate that submitted it.  A
 * chain stored before submitters were recorded by certificate ("FR
 * investigator NAME") names nobody that a certificate can prove to be. */
static int
may_read_chain(const struct trd_call *c, const struct reg_hop *root)
{
	if (strcmp(c->id.state, c->d->cf.state) != 0 ||
	    strcmp(c->id.role, "peer") == 0)
		return 0;
	if (strcmp(c->id.role, "liaison") == 0 || strcmp(c->id.role, "auditor") == 0)
		return 1;
	return trd_caller_is(&c->id, root->submitted_by);
}

static void
chain_done(void *arg, int ran)
{
	struct chain_get *g = arg;
	struct trd_call *c = g->c;
	struct trd_daemon *d = c->d;
	char *doc = NULL;

	if (!ran) {
		trd_problem(c, "unavailable", "the daemon is stopping", NULL);
	} else if (g->rc == REG_ENOTFOUND || g->rc == REG_EINVAL) {
		trd_problem(c, "not-found", "no request with this id was sent by "
		    "this State", NULL);
	} else if (g->rc != 0) {
		trd_log_event("error", g->id, NULL, g->error);
		trd_problem(c, "unavailable", "the registry's database cannot be "
		    "reached; try again later", NULL);
	} else if (!may_read_chain(c, &g->hops[0])) {
		trd_problem(c, "not-found", "no request with this id that you may "
		    "read", NULL);
	} else if (c->wait > 0 && !chain_complete(g->hops, g->n) &&
	    d->chain_ends != g->ends && !d->stopping) {
		/* A chain ended while this one was read: read it again and
		 * answer, rather than wait for an end that may have passed. */
		c->wait = 0;
		chain_start(c, g->id);
	} else if (c->wait > 0 && !chain_complete(g->hops, g->n) &&
	    trd_hold(&d->chain_waiters, c, g->hops[0].id, g->id, 0,
	    chain_resume) == 0) {
		/* Held until this chain ends, or c->wait seconds. */
	} else if ((doc = chain_doc(d, g->hops, g->n)) == NULL) {
		trd_problem(c, "internal", "cannot write the chain", NULL);
	} else {
		snprintf(c->note, sizeof(c->note), "%zu hops%s", g->n,
		    chain_complete(g->hops, g->n) ? " complete" : "");
		trd_reply_signed(c, 200, "trace-chain/1", doc, NULL);
	}
	free(doc);
	reg_hops_free(g->hops, g->n);
	free(g);
}

static void
chain_start(struct trd_call *c, const char *id)
{
	struct chain_get *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	g->c = c;
	snprintf(g->id, sizeof(g->id), "%s", id);
	g->ends = c->d->chain_ends;
	if (trd_call_submit_read(c, chain_job, chain_done, g) != 0)
		free(g);
}

void
trd_out_chain_get(struct trd_call *c, const char *id)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(c->req));
	char lower[37], *end = NULL;
	long s;

	if (q != NULL && *q != '\0') {
		s = -1;
		if (strncmp(q, "wait=", 5) == 0 && q[5] >= '0' && q[5] <= '9')
			s = strtol(q + 5, &end, 10);
		if (s < 0 || s > 60 || end == NULL || *end != '\0') {
			trd_problem(c, "bad-request", "a chain takes one parameter, "
			    "wait=S: the seconds (0 to 60) to wait for its end", NULL);
			return;
		}
		c->wait = (int)s;
	}
	snprintf(lower, sizeof(lower), "%s", id);
	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	snprintf(c->request_id, sizeof(c->request_id), "%s", lower);
	chain_start(c, lower);
}
