/*
 * GET /metrics (Prometheus text format 0.0.4): requests by endpoint and
 * status with latency histograms (counted by trd_reply()), traces open and
 * overdue (read from the database at each scrape), the pools' use, the
 * connections open, and the daemon's own counters (traces completed by
 * status, requests rate-limited by State).  For this State's auditors and
 * liaison office.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracerd_int.h"

static void
gauge(tr__metrics *m, const char *name, const char *help, double value)
{
	if (tr__metrics_gauge_set(m, name, help, value) != 0)
		trd_log_event("error", NULL, NULL, "a metric was refused");
}

struct scrape {
	struct trd_call *c;
	char *hub;			/* hub mode: the relays' metrics */
	long open, overdue, hops_open, hops_overdue;
	int rc;
	char error[512];
};

static void
scrape_job(struct trd_worker *w, void *arg)
{
	struct scrape *s = arg;
	reg_error err = REG_ERROR_INIT;

	if ((s->rc = trd_job_db(w, s->error, sizeof(s->error))) != 0)
		return;
	if ((s->rc = reg_trace_counts(w->db, &s->open, &s->overdue, &err)) != 0 ||
	    (s->rc = reg_hop_counts(w->db, &s->hops_open, &s->hops_overdue, &err)) != 0 ||
	    (s->c->d->cf.hub && (s->rc = trd_hub_scrape(w->db, &s->hub, &err)) != 0))
		snprintf(s->error, sizeof(s->error), "%.400s", err.message);
}

static void
pool_gauges(tr__metrics *m, trd_pool *p, const char *which)
{
	char name[64];
	int busy, queued, down;

	trd_pool_stats(p, &busy, &queued, &down);
	snprintf(name, sizeof(name), "tracerd_%s_pool_size", which);
	gauge(m, name, "Database connections of the pool.",
	    trd_pool_size(p));
	snprintf(name, sizeof(name), "tracerd_%s_pool_busy", which);
	gauge(m, name, "Connections of the pool running a job.",
	    busy);
	snprintf(name, sizeof(name), "tracerd_%s_pool_queued", which);
	gauge(m, name, "Jobs waiting for the pool.", queued);
	snprintf(name, sizeof(name), "tracerd_%s_pool_disconnected", which);
	gauge(m, name, "Connections of the pool that are down.",
	    down);
}

static void
scrape_done(void *arg, int ran)
{
	struct scrape *s = arg;
	struct trd_call *c = s->c;
	struct trd_daemon *d = c->d;
	reg_error err = REG_ERROR_INIT;
	char *text = NULL;
	size_t len;

	if (!ran) {
		trd_problem(c, "unavailable", "the daemon is stopping", NULL);
		free(s->hub);
		free(s);
		return;
	}
	if (s->rc == 0) {
		gauge(d->metrics, "tracerd_traces_open",
		    "Trace requests received and not yet answered.", (double)s->open);
		gauge(d->metrics, "tracerd_traces_overdue",
		    "Open trace requests past their due time.", (double)s->overdue);
		gauge(d->metrics, "tracerd_hops_open", "Requests sent to other "
		    "States and not yet answered.", (double)s->hops_open);
		gauge(d->metrics, "tracerd_hops_overdue", "Requests sent to other "
		    "States, not answered, past their due time.",
		    (double)s->hops_overdue);
	} else {
		trd_log_event("error", NULL, NULL, s->error);
	}
	gauge(d->metrics, "tracerd_database_up",
	    "1 when the last scrape could read the database.", s->rc == 0);
	pool_gauges(d->metrics, d->pool, "database");
	pool_gauges(d->metrics, d->tracers, "trace");
	if (d->outbound != NULL)
		pool_gauges(d->metrics, d->outbound, "outbound");
	gauge(d->metrics, "tracerd_traces_running",
	    "Traces queued or running in this process.", (double)d->traces_running);
	gauge(d->metrics, "tracerd_connections_open",
	    "TLS connections open.", (double)d->connections);
	if (tr__metrics_render(d->metrics, &text, &len, &err) != 0) {
		trd_log_event("error", NULL, NULL, err.message);
		trd_problem(c, "internal", "cannot write the metrics", NULL);
	} else {
		char *all;

		/* Calls to other States by State: paused, in flight, waiting
		 * (tracerd_gate.c), after the hub's relays' metrics if any. */
		if (d->out_gate != NULL && (all = trd_gate_metrics(d->out_gate)) != NULL) {
			char *both = malloc((s->hub ? strlen(s->hub) : 0) +
			    strlen(all) + 1);

			if (both != NULL) {
				snprintf(both, (s->hub ? strlen(s->hub) : 0) +
				    strlen(all) + 1, "%s%s", s->hub ? s->hub : "", all);
				free(s->hub);
				s->hub = both;
			}
			free(all);
		}
		all = s->hub != NULL ? malloc(len + strlen(s->hub) + 1) : NULL;

		if (all != NULL) {
			memcpy(all, text, len);
			memcpy(all + len, s->hub, strlen(s->hub) + 1);
			len += strlen(s->hub);
			free(text);
			text = all;
		}
		trd_reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", text, len,
		    NULL);
	}
	free(text);
	free(s->hub);
	free(s);
}

void
trd_metrics_get(struct trd_call *c)
{
	struct scrape *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	s->c = c;
	if (trd_call_submit(c, scrape_job, scrape_done, s) != 0)
		free(s);
}
