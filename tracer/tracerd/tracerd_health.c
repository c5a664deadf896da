/*
 * GET /healthz (the daemon runs) and GET /readyz (it can serve, its
 * database included), for anyone, as the route table says.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "tracerd_int.h"

/* GET /readyz: whether the daemon can serve, its database included. */
struct ready {
	struct trd_call *c;
	int rc;
	char error[512];
};

static void
ready_job(struct trd_worker *w, void *arg)
{
	struct ready *r = arg;
	reg_error err = REG_ERROR_INIT;

	if ((r->rc = trd_job_db(w, r->error, sizeof(r->error))) != 0)
		return;
	if ((r->rc = reg_ping(w->db, &err)) != 0)
		snprintf(r->error, sizeof(r->error), "%.400s", err.message);
}

static void
ready_done(void *arg, int ran)
{
	struct ready *r = arg;

	if (!ran) {
		trd_problem(r->c, "unavailable", "the daemon is stopping", NULL);
	} else if (r->rc != 0) {
		trd_log_event("error", NULL, NULL, r->error);
		trd_problem(r->c, "unavailable", "the registry's database cannot be "
		    "reached; try again later", NULL);
	} else {
		trd_reply(r->c, 200, "text/plain", "ready\n", 6, NULL);
	}
	free(r);
}

void
trd_ready_get(struct trd_call *c)
{
	struct ready *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	r->c = c;
	if (trd_call_submit_read(c, ready_job, ready_done, r) != 0)
		free(r);
}

void
trd_health_get(struct trd_call *c)
{
	trd_reply(c, 200, "text/plain", "ok\n", 3, NULL);
}
