/*
 * tracerd's log endpoints (proto/README.md, "Endpoints"): the latest signed
 * checkpoint as the C2SP signed note, and inclusion and consistency proofs
 * in the JSON shape of `regctl log prove-*` (reg_proof_json()).  Proofs are
 * not signed: they prove themselves against a signed checkpoint.  Read by
 * peer States, this State's liaison office and its auditors.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "tracerd_int.h"

enum what { CHECKPOINT, INCLUSION, CONSISTENCY };

struct logjob {
	struct trd_call *c;
	enum what what;
	uint64_t a, b;			/* index and size, or old and new size */
	int have_b;
	char *text;			/* the answer */
	int rc;
	char error[512];
};

static void
log_job(struct trd_worker *w, void *arg)
{
	struct logjob *j = arg;
	reg_error err = REG_ERROR_INIT;
	struct reg_proof *p = NULL;
	uint64_t size;

	if ((j->rc = trd_job_db(w, j->error, sizeof(j->error))) != 0)
		return;
	switch (j->what) {
	case CHECKPOINT:
		/* With the cosignatures its witnesses gave it. */
		j->rc = reg_log_latest_cosigned(w->db,
		    (uint32_t)j->c->d->cf.cosignature_skew, &j->text, NULL, &err);
		break;
	case INCLUSION:
	case CONSISTENCY:
		if (!j->have_b && (j->rc = reg_log_size(w->db, &size, &err)) != 0)
			break;
		if (!j->have_b)
			j->b = size;
		j->rc = j->what == INCLUSION ?
		    reg_log_prove_inclusion(w->db, j->a, j->b, &p, &err) :
		    reg_log_prove_consistency(w->db, j->a, j->b, &p, &err);
		if (j->rc == 0)
			j->rc = reg_proof_json(p, j->what == CONSISTENCY, &j->text, &err);
		reg_free(p);
		break;
	}
	if (j->rc != 0)
		snprintf(j->error, sizeof(j->error), "%.400s", err.message);
}

static void
log_done(void *arg, int ran)
{
	struct logjob *j = arg;
	struct trd_call *c = j->c;

	if (!ran)
		trd_problem(c, "unavailable", "the daemon is stopping", NULL);
	else if (j->rc == 0 && j->what == CHECKPOINT)
		trd_reply(c, 200, "text/plain; charset=utf-8", j->text, strlen(j->text),
		    NULL);
	else if (j->rc == 0)
		trd_reply(c, 200, "application/json", j->text, strlen(j->text), NULL);
	else if (j->rc == REG_ENOTFOUND && j->what == CHECKPOINT)
		trd_problem(c, "not-found", "no checkpoint has been signed yet", NULL);
	else if (j->rc == REG_EINVAL || j->rc == REG_ERANGE)
		/* The proof's bounds: an index past the size, a size past the
		 * log; the library's message says which. */
		trd_problem(c, "bad-request", j->error, NULL);
	else {
		trd_log_event("error", NULL, NULL, j->error);
		trd_problem(c, "unavailable", "the registry's database cannot be "
		    "reached; try again later", NULL);
	}
	reg_free(j->text);
	free(j);
}

/* A whole number 0 .. 2^63 - 1 in decimal, nothing else. */
static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 19)
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > INT64_MAX)
		return -1;
	*out = v;
	return 0;
}

/* Reads the query's parameters: exactly those named (the second may be
 * optional), each once, whole numbers. */
static int
query_params(struct trd_call *c, const char *n1, const char *n2, int n2_optional,
    struct logjob *j)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(c->req));
	struct evkeyvalq params;
	struct evkeyval *kv;
	int seen1 = 0, seen2 = 0, r = 0;
	char detail[200];

	TAILQ_INIT(&params);
	if (q != NULL && evhttp_parse_query_str(q, &params) != 0) {
		trd_problem(c, "bad-request", "the query string is malformed", NULL);
		return -1;
	}
	TAILQ_FOREACH(kv, &params, next) {
		int one = strcmp(kv->key, n1) == 0, two = strcmp(kv->key, n2) == 0;

		if ((!one && !two) || (one && seen1++) || (two && seen2++)) {
			snprintf(detail, sizeof(detail), "this proof takes %s and %s, "
			    "each once", n1, n2);
			r = -1;
			break;
		}
		if (parse_u64(kv->value, one ? &j->a : &j->b) != 0) {
			snprintf(detail, sizeof(detail), "%s must be a whole number from "
			    "0 to 9223372036854775807", one ? n1 : n2);
			r = -1;
			break;
		}
	}
	if (r == 0 && (!seen1 || (!seen2 && !n2_optional))) {
		snprintf(detail, sizeof(detail), "this proof needs %s%s%s", n1,
		    n2_optional ? "" : " and ", n2_optional ? "" : n2);
		r = -1;
	}
	evhttp_clear_headers(&params);
	j->have_b = seen2;
	if (r != 0)
		trd_problem(c, "bad-request", detail, NULL);
	return r;
}

static void
start(struct trd_call *c, enum what what)
{
	struct logjob *j;

	if (strcmp(c->id.role, "peer") != 0 && strcmp(c->id.role, "liaison") != 0 &&
	    strcmp(c->id.role, "auditor") != 0) {
		trd_problem(c, "forbidden", "the audit log is served to peer States, "
		    "the liaison office and auditors", NULL);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	j->c = c;
	j->what = what;
	if ((what == INCLUSION && query_params(c, "index", "size", 1, j) != 0) ||
	    (what == CONSISTENCY && query_params(c, "old", "new", 1, j) != 0)) {
		free(j);
		return;
	}
	if (trd_call_submit(c, log_job, log_done, j) != 0)
		free(j);
}

void
trd_log_checkpoint(struct trd_call *c)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(c->req));

	if (q != NULL && q[0] != '\0') {
		trd_problem(c, "bad-request", "the checkpoint takes no parameters",
		    NULL);
		return;
	}
	start(c, CHECKPOINT);
}

void
trd_log_inclusion(struct trd_call *c)
{
	start(c, INCLUSION);
}

void
trd_log_consistency(struct trd_call *c)
{
	start(c, CONSISTENCY);
}

/* ------------------------------------------------------------ checkpoints */

struct ckjob {
	struct trd_daemon *d;
	int rc;
	uint64_t size;
	char error[512];
};

static void
ck_job(struct trd_worker *w, void *arg)
{
	struct ckjob *j = arg;
	reg_error err = REG_ERROR_INIT;
	struct reg_checkpoint cp;

	if ((j->rc = trd_job_db(w, j->error, sizeof(j->error))) != 0)
		return;
	if ((j->rc = reg_log_checkpoint(w->db, j->d->log_key, NULL, &cp, &err)) != 0)
		snprintf(j->error, sizeof(j->error), "%.400s", err.message);
	else
		j->size = cp.size;
}

static void
ck_done(void *arg, int ran)
{
	struct ckjob *j = arg;
	char what[64];

	j->d->checkpointing = 0;
	if (ran && j->rc != 0) {
		trd_log_event("checkpoint", NULL, "error", j->error);
	} else if (ran && j->size != j->d->checkpoint_size) {
		j->d->checkpoint_size = j->size;
		snprintf(what, sizeof(what), "size %" PRIu64, j->size);
		trd_log_event("checkpoint", NULL, "signed", what);
	}
	free(j);
}

static void
on_checkpoint_timer(evutil_socket_t fd, short what, void *arg)
{
	struct trd_daemon *d = arg;
	struct ckjob *j;

	(void)fd;
	(void)what;
	if (d->checkpointing || d->stopping || (j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->d = d;
	j->size = d->checkpoint_size;
	if (trd_pool_submit(d->pool, ck_job, ck_done, j) != 0)
		free(j);
	else
		d->checkpointing = 1;
}

int
trd_log_checkpoints_start(struct trd_daemon *d, reg_error *err)
{
	struct timeval tv = { d->cf.checkpoint_interval, 0 };

	if (d->log_key == NULL)
		return 0;
	d->ev_checkpoint = event_new(d->base, -1, EV_PERSIST, on_checkpoint_timer, d);
	if (d->ev_checkpoint == NULL || event_add(d->ev_checkpoint, &tv) != 0)
		return tr__fail(err, REG_EIO, "cannot start the checkpoint timer");
	/* One at once, so that what was written before the start is sealed. */
	on_checkpoint_timer(-1, 0, d);
	return 0;
}
