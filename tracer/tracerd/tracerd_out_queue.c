/*
 * Hops on the event loop (tracerd_out.c tells the whole story): each
 * hop's job queued on the outbound pool behind its State's gate, its
 * outcome counted and logged, retried with back-off, its next hop
 * started, and the open hops carried on at the start.
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

struct hop_timer {
	struct trd_daemon *d;
	char id[37];
	char dest[3];
	int attempt;
};

static void
on_hop_timer(evutil_socket_t fd, short what, void *arg)
{
	struct hop_timer *t = arg;

	(void)fd;
	(void)what;
	if (!t->d->stopping)
		trd_out_hop_start(t->d, t->id, t->attempt, NULL, t->dest);
	free(t);
}

/* A step's outcome in tracerd_hops_total and the log (a question still
 * waiting for its answer is neither). */
static void
step_seen(struct trd_daemon *d, const char *id, const char *outcome,
    const char *error)
{
	if (strcmp(outcome, "waiting") == 0)
		return;
	if (outcome[0] != '\0')
		trd_count(d, "tracerd_hops_total", "What became of requests sent to "
		    "other States, by outcome.", "outcome", outcome);
	if (outcome[0] != '\0' || error[0] != '\0')
		trd_log_event("hop", id, outcome[0] ? outcome : "error",
		    error[0] ? error : NULL);
}

static void
hop_done(void *arg, int ran)
{
	struct hop_job *j = arg;
	struct trd_daemon *d = j->d;
	struct hop_timer *t;
	struct timeval tv;
	int i;

	d->hops_running--;
	/* The call's slot goes to the next job waiting for its State (which
	 * so goes before this hop's own next step), and its result to the
	 * State's circuit breaker. */
	if (j->gate[0] != '\0')
		trd_gate_leave(d->out_gate, j->gate, ran ? j->net : 0);
	for (i = 0; ran && i < j->nsteps; i++)
		step_seen(d, j->steps[i].id, j->steps[i].outcome, "");
	if (ran)
		step_seen(d, j->id, j->outcome, j->error);
	/* The chain ended here: the GETs held for it are answered. */
	if (ran && j->changed && j->next == N_DONE) {
		d->chain_ends++;
		if (j->root[0] != '\0')
			trd_out_chain_wake(d, j->root);
	}
	if (ran && !d->stopping) {
		switch (j->next) {
		case N_DONE:
			break;
		case N_CHILD:
			trd_out_hop_start(d, j->child, 0, NULL, j->child_dest);
			break;
		case N_AGAIN:
			trd_out_hop_start(d, j->id, 0, NULL, j->dest);
			break;
		case N_DEFER:
			trd_out_hop_start(d, j->id, j->attempt, NULL, j->dest);
			break;
		case N_LATER:
			if ((t = calloc(1, sizeof(*t))) == NULL)
				break;
			t->d = d;
			memcpy(t->id, j->id, sizeof(t->id));
			memcpy(t->dest, j->dest, sizeof(t->dest));
			t->attempt = j->attempt;
			tv.tv_sec = j->delay > 0 ? j->delay : 1;
			tv.tv_usec = 0;
			if (event_base_once(d->base, -1, EV_TIMEOUT, on_hop_timer, t,
			    &tv) != 0)
				free(t);
			break;
		}
	}
	trd_peers_release(j->peers);
	reg_hops_free(j->h, 1);		/* a job that did not run */
	reg_hops_free(j->seed, 1);
	proto_response_free(j->resp);
	free(j);
}

static void
hop_drop(struct hop_job *j)
{
	j->d->hops_running--;
	trd_peers_release(j->peers);
	reg_hops_free(j->h, 1);
	free(j);
}

/* Queues j on the outbound pool. */
static void
hop_submit(struct hop_job *j)
{
	struct trd_daemon *d = j->d;

	j->peers = trd_peers_hold(d);
	if (trd_pool_submit(d->outbound, trd_out_hop_job, hop_done, j) != 0) {
		trd_log_event("hop", j->id, "error", "the outbound queue is full; the "
		    "request is sent at the next start");
		if (j->gate[0] != '\0')
			trd_gate_leave(d->out_gate, j->gate, 0);
		hop_drop(j);
	}
}

/* A hop that waited for its State's turn: it goes, or (the daemon stops)
 * it stays in the database for the next start. */
static void
hop_go(void *arg, const char *code, int go)
{
	struct hop_job *j = arg;

	if (go != TRD_GATE_GO) {
		hop_drop(j);
		return;
	}
	snprintf(j->gate, sizeof(j->gate), "%.2s", code);
	hop_submit(j);
}

/*
 * Carries hop id on: dest, when known, is its State, whose call it waits
 * for (trd_gate) without holding a worker; a hop of unknown State is read
 * first (hop_step() then sends it back with its State, N_DEFER).
 */
void
trd_out_hop_start(struct trd_daemon *d, const char *id, int attempt,
    struct reg_hop *seed, const char *dest)
{
	struct hop_job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		reg_hops_free(seed, 1);
		trd_log_event("hop", id, "error", "out of memory; the request is sent "
		    "at the next start");
		return;
	}
	j->d = d;
	snprintf(j->id, sizeof(j->id), "%s", id);
	j->attempt = attempt;
	j->h = seed;	/* the hop as just stored: its first step needs no read */
	d->hops_running++;
	if (dest != NULL && dest[0] != '\0' && d->out_gate != NULL) {
		switch (trd_gate_enter(d->out_gate, dest, hop_go, j)) {
		case TRD_GATE_GO:
			snprintf(j->gate, sizeof(j->gate), "%.2s", dest);
			break;
		case TRD_GATE_WAIT:
			return;
		default:
			if (d->stopping) {
				hop_drop(j);
				return;
			}
			break;	/* without memory: read, and sent back */
		}
	}
	hop_submit(j);
}

static int
resume_one(void *arg, const char *id)
{
	trd_out_hop_start(arg, id, 0, NULL, NULL);
	return 0;
}

int
trd_out_start(struct trd_daemon *d, reg_error *err)
{
	reg_ctx *ctx = NULL;
	long before;
	char what[64];
	int r;

	if (trd_gate_new(d->base, d->cf.hub ? "relay" : "outbound",
	    d->cf.per_state_in_flight > 0 ? d->cf.per_state_in_flight :
	    (d->cf.hub ? d->cf.trace_workers : d->cf.outbound_workers) / 2,
	    d->cf.breaker_failures, d->cf.breaker_min, d->cf.breaker_max,
	    d->cf.hub ? TRD_HUB_WAIT_MAX : 0, d->cf.hub, &d->out_gate) != 0)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	if (d->cf.hub)		/* a hub sends nothing of its own */
		return 0;
	if ((r = trd_pool_new(d->base, "outbound", d->cf.database,
	    d->cf.outbound_workers, d->cf.queue_max, trd_out_slot_free, &d->outbound,
	    err)) != 0)
		return r;
	if ((r = reg_open(d->cf.database, 0, &ctx, err)) != 0) {
		/* The database may come back: hops then wait for a restart. */
		trd_log_event("hop", NULL, "error", err->message);
		reg_error_clear(err);
		return 0;
	}
	before = d->hops_running;
	r = reg_hop_open(ctx, resume_one, d, err);
	reg_close(ctx);
	if (r != 0) {
		trd_log_event("hop", NULL, "error", err->message);
		reg_error_clear(err);
	} else if (d->hops_running > before) {
		snprintf(what, sizeof(what), "%ld open requests to other States",
		    d->hops_running - before);
		trd_log_event("hop", NULL, "resumed", what);
	}
	return 0;
}
