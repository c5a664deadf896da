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

/* Copies text into a fixed-size member, cut to fit (a cut value is then
 * refused by the codec's check). */
#define COPY(dst, src) snprintf((dst), sizeof(dst), "%.*s", \
	(int)sizeof(dst) - 1, (src))

/* The chain document (trace-chain/1, proto/README.md), written by the
 * codec from the stored hops, whose text it borrows (the codec only reads
 * it); NULL when it cannot be written. */
static char *
chain_doc(const struct trd_daemon *d, const struct reg_hop *hops, size_t n)
{
	proto_error perr = PROTO_ERROR_INIT;
	struct proto_chain_end end = { .detail = NULL };
	proto_chain c = { .n_hops = n };
	const struct reg_hop *last = &hops[n - 1];
	struct timespec now;
	char ts[32], *out = NULL;
	size_t i;

	if ((c.hops = calloc(n, sizeof(*c.hops))) == NULL)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	trd_timestamp(&now, ts);
	COPY(c.assembled_at, ts);
	COPY(c.id, hops[0].id);
	COPY(c.requesting_state, d->cf.state);
	c.complete = chain_complete(hops, n);
	if (c.complete) {
		COPY(end.reason, last->end[0] ? last->end : "refused");
		COPY(end.state, last->requested_state);
		end.detail = last->detail[0] != '\0' ? (char *)last->detail : NULL;
		c.end = &end;
	}
	for (i = 0; i < n; i++) {
		const struct reg_hop *h = &hops[i];
		struct proto_chain_hop *o = &c.hops[i];

		o->hop = h->hop;
		COPY(o->request_id, h->id);
		COPY(o->parent_id, h->parent_id);
		COPY(o->requested_state, h->requested_state);
		o->via = h->via[0] != '\0' ? (char *)h->via : NULL;
		COPY(o->status, hop_status(h));
		COPY(o->sent_at, h->created_at);
		COPY(o->due_by, h->ack_due_by[0] ? h->ack_due_by : h->due_by);
		COPY(o->acknowledged_at, h->acked_at);
		if (h->answered_at[0] != '\0') {
			COPY(o->answered_at, h->answered_at);
			COPY(o->response_status, h->answer_status);
		}
		if (h->refusal[0] != '\0') {
			o->refusal = (char *)h->refusal;
			COPY(o->refused_at, h->refused_at);
		}
		COPY(o->end, h->end);
		o->detail = h->detail[0] != '\0' ? (char *)h->detail : NULL;
		o->request = h->message;
		o->acknowledgement = h->remote_ack;
		o->response = h->response;
		o->problem = h->problem;
	}
	if (proto_chain_to_json(&c, &out, &perr) != 0)
		trd_log_event("error", hops[0].id, NULL, perr.message);
	free(c.hops);	/* the strings are the hops' */
	return out;
}
#undef COPY

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
