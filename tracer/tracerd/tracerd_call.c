/*
 * One HTTP call's plumbing, for every endpoint: its answer (a body, a
 * signed document, or an RFC 9457 problem document), which logs the
 * request's line, counts it in the metrics and frees the call; and the
 * database jobs it queues on the worker pool.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "tracerd_int.h"

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

void
trd_reply(struct trd_call *c, int status, const char *ctype, const void *body,
    size_t len, const char *location)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	struct evbuffer *b = evbuffer_new();

	if (ctype != NULL)
		evhttp_add_header(h, "Content-Type", ctype);
	if (location != NULL)
		evhttp_add_header(h, "Location", location);
	if (status == 429 || status == 503) {
		char ra[16];

		snprintf(ra, sizeof(ra), "%d", c->retry_after > 0 ? c->retry_after : 1);
		evhttp_add_header(h, "Retry-After", ra);
	}
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (b != NULL && body != NULL && len > 0)
		evbuffer_add(b, body, len);
	trd_http_answering(c->req);
	evhttp_send_reply(c->req, status, NULL, b);
	if (b != NULL)
		evbuffer_free(b);
	c->d->in_flight--;
	tr__metrics_request(c->d->metrics, c->route, status, ms_since(&c->t0) / 1e3);
	trd_conn_release(c->conn);
	trd_logline("method=%s path=%s status=%d caller=%s/%s%s%s%s%s ms=%.3f", c->method,
	    c->path, status, c->id.state[0] ? c->id.state : "-",
	    c->id.role[0] ? c->id.role : "-",
	    c->request_id[0] ? " request=" : "", c->request_id,
	    c->note[0] ? " note=" : "", c->note, ms_since(&c->t0));
	if (c->d->stopping && c->d->in_flight == 0)
		event_base_loopexit(c->d->base, NULL);
	free(c);
}

void
trd_reply_signed(struct trd_call *c, int status, const char *cty,
    const char *doc, const char *location)
{
	proto_error perr = PROTO_ERROR_INIT;
	char *jws = NULL;

	if (proto_jws_sign(c->d->signing, cty, doc, strlen(doc), &jws, &perr) != 0) {
		trd_log_event("error", c->request_id[0] ? c->request_id : NULL, NULL,
		    perr.message);
		trd_reply(c, 500, "text/plain", "internal error\n", 15, NULL);
		return;
	}
	trd_reply(c, status, "application/jose", jws, strlen(jws), location);
	proto_free(jws);
}

void
trd_problem(struct trd_call *c, const char *name, const char *detail,
    const char *field)
{
	proto_problem *p = proto_problem_new();
	proto_error perr = PROTO_ERROR_INIT;
	char type[96], *json = NULL;
	const char *title;
	int status;

	if (proto_problem_type(name, &status, &title) != 0) {
		name = "internal";
		status = 500;
		title = "Internal error";
	}
	snprintf(type, sizeof(type), PROTO_PROBLEM_URN "%s", name);
	snprintf(c->note, sizeof(c->note), "%s", name);
	if (p != NULL) {
		p->type = strdup(type);
		p->title = strdup(title);
		p->status = status;
		p->detail = detail ? strdup(detail) : NULL;
		p->instance = strdup(c->path);
		p->field = field ? strdup(field) : NULL;
		snprintf(p->request_id, sizeof(p->request_id), "%s", c->request_id);
		/* A detail that the codec refuses (too long) is cut rather than
		 * lost; an instance with characters a URI may not hold is left
		 * out. */
		if (p->detail != NULL && strlen(p->detail) > 2000)
			p->detail[2000] = '\0';
	}
	if (p == NULL || p->type == NULL || p->title == NULL ||
	    (proto_problem_to_json(p, &json, &perr) != 0 &&
	    (free(p->instance), p->instance = NULL, p->request_id[0] = '\0',
	    proto_error_clear(&perr), proto_problem_to_json(p, &json, &perr)) != 0)) {
		trd_log_event("error", NULL, NULL, perr.message);
		proto_problem_free(p);
		trd_reply(c, status, "text/plain", title, strlen(title), NULL);
		return;
	}
	proto_problem_free(p);
	if (c->identified)
		trd_reply_signed(c, status, PROTO_SCHEMA_PROBLEM, json, NULL);
	else
		trd_reply(c, status, "application/problem+json", json, strlen(json),
		    NULL);
	proto_free(json);
}

int
trd_job_db(const struct trd_worker *w, char *error, size_t len)
{
	if (w->db != NULL)
		return 0;
	snprintf(error, len, "the database is unreachable: %.200s", w->db_error);
	return REG_EIO;
}

int
trd_db_unavailable(int rc)
{
	return rc == REG_EIO || rc == REG_EUNAVAIL || rc == REG_ECONNECT;
}

int
trd_call_submit_read(struct trd_call *c, trd_job_fn fn, trd_done_fn done,
    void *arg)
{
	if (trd_pool_submit_read(c->d->pool, fn, done, arg) == 0)
		return 0;
	trd_problem(c, "unavailable", "the daemon is too busy; try again later", NULL);
	return -1;
}

int
trd_call_submit(struct trd_call *c, trd_job_fn fn, trd_done_fn done, void *arg)
{
	if (trd_pool_submit(c->d->pool, fn, done, arg) == 0)
		return 0;
	trd_problem(c, "unavailable", "the daemon is too busy; try again later", NULL);
	return -1;
}
