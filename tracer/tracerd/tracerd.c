/*
 * tracerd: the State's national point of contact for tracing.
 *
 * This first part is the daemon's frame: its configuration, the checks it
 * makes before it serves anything (key files private, the TLS key the
 * certificate's, the signing key Ed25519, the peers directory and the
 * policy file sound), HTTP/1.1 over TLS 1.3 with client certificates
 * required (libevent's evhttp on OpenSSL bufferevents), the caller's
 * identity from its certificate, GET /healthz, an RFC 9457 problem document
 * for everything else, one key=value log line per request, SIGHUP reloading
 * the peers directory, the policy and the CRL without dropping
 * connections, and SIGTERM finishing the requests in flight.  The
 * endpoints are in tracerd_traces.c and tracerd_log.c; the database work
 * runs on the worker pools of pool.c.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "tracerd_int.h"

#define PROG "tracerd"

static void
logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, with the time in RFC 3339 UTC first. */
static void
logline(const char *fmt, ...)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "ts=%s ", ts);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
trd_logline(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	logline("%s", line);
}

void
trd_log_event(const char *event, const char *request, const char *status,
    const char *what)
{
	char q[600];
	size_t i = 0;

	for (; what != NULL && *what != '\0' && i < sizeof(q) - 3; what++) {
		if (*what == '"' || *what == '\\')
			q[i++] = '\\';
		q[i++] = (unsigned char)*what < ' ' ? ' ' : *what;
	}
	q[i] = '\0';
	logline("event=%s%s%s%s%s%s%s%s", event, request ? " request=" : "",
	    request ? request : "", status ? " status=" : "", status ? status : "",
	    what ? " what=\"" : "", what ? q : "", what ? "\"" : "");
}

time_t
trd_rfc3339_seconds(const char *s)
{
	struct tm tm;
	const char *end;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	end = s + n;
	if (*end == '.')
		end += 1 + strspn(end + 1, "0123456789");
	if (strcmp(end, "Z") != 0)
		return 0;
	return timegm(&tm);
}

/* ------------------------------------------------------------ loading */

static int
load_signing_key(const struct trd_config *cf, proto_jws_key **out,
    reg_error *err)
{
	*out = NULL;
	if (strncmp(cf->signing_kid, cf->state, 2) != 0 || cf->signing_kid[2] != '/')
		return tr__fail(err, REG_EINVAL, "%s: [signing] kid %s must start with "
		    "this State's code and '/' (%s/...)", cf->path, cf->signing_kid,
		    cf->state);
	return tr__signing_key_load(cf->signing_key, cf->signing_kid, out, err);
}

/* Loads what SIGHUP reloads: peers directory, policy, TLS context (CRL). */
static int
load_reloadable(const struct trd_config *cf, tr__peers **peers,
    tr_policy **policy, SSL_CTX **tls, reg_error *err)
{
	int r;

	*peers = NULL;
	*policy = NULL;
	*tls = NULL;
	if (cf->peers[0] != '\0' && (r = tr__peers_load(cf->peers, peers, err)) != 0)
		goto fail;
	if (cf->hub) {
		/* A hub has no records, so no disclosure policy. */
		if ((r = trd_hub_start(cf, *peers, err)) != 0)
			goto fail;
	} else if (cf->policy[0] != '\0')
		r = tr_policy_load(cf->policy, policy, err);
	else
		r = tr_policy_default(cf->state, policy, err);
	if (r != 0)
		goto fail;
	if (*policy != NULL && strcmp(tr_policy_state(*policy), cf->state) != 0) {
		r = tr__fail(err, REG_EINVAL, "policy file %s is for State %s, this "
		    "daemon serves %s", cf->policy, tr_policy_state(*policy), cf->state);
		goto fail;
	}
	if (*peers != NULL && tr__peers_get(*peers, cf->state) != NULL) {
		r = tr__fail(err, REG_EINVAL, "peers directory %s names this daemon's "
		    "own State %s", cf->peers, cf->state);
		goto fail;
	}
	if ((r = trd_tls_context(cf, tls, err)) != 0)
		goto fail;
	return 0;
fail:
	tr__peers_free(*peers);
	tr_policy_free(*policy);
	*peers = NULL;
	*policy = NULL;
	return r;
}

/* ------------------------------------------------------------ peers */

struct trd_peers_ref *
trd_peers_hold(struct trd_daemon *d)
{
	d->peers_ref->refs++;
	return d->peers_ref;
}

void
trd_peers_release(struct trd_peers_ref *ref)
{
	if (ref != NULL && --ref->refs == 0) {
		tr__peers_free(ref->peers);
		free(ref);
	}
}

/* Makes peers (may be NULL) the directory in force; NULL when out of
 * memory (peers is then not taken). */
static struct trd_peers_ref *
peers_ref(tr__peers *peers)
{
	struct trd_peers_ref *ref = calloc(1, sizeof(*ref));

	if (ref != NULL) {
		ref->peers = peers;
		ref->refs = 1;		/* the daemon's own */
	}
	return ref;
}

/* ------------------------------------------------------------ policy */

struct trd_policy_ref *
trd_policy_hold(struct trd_daemon *d)
{
	d->policy->refs++;
	return d->policy;
}

void
trd_policy_release(struct trd_policy_ref *ref)
{
	if (ref != NULL && --ref->refs == 0) {
		tr_policy_free(ref->policy);
		free(ref);
	}
}

static struct trd_policy_ref *
policy_ref(tr_policy *p)
{
	static unsigned long gen;
	struct trd_policy_ref *ref = calloc(1, sizeof(*ref));

	if (ref != NULL) {
		ref->policy = p;
		ref->gen = ++gen;
		ref->refs = 1;		/* the daemon's own */
	}
	return ref;
}

void *
trd_id_table_slot(void **table, unsigned n, size_t size, const char *id)
{
	uint32_t h = 2166136261u;

	if (*table == NULL && (*table = calloc(n, size)) == NULL)
		return NULL;
	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return (char *)*table + (size_t)(h % n) * size;
}

/* ------------------------------------------------------------ HTTP */

void
trd_timestamp(const struct timespec *t, char out[32])
{
	struct tm tm;
	char s[24];

	gmtime_r(&t->tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", s, (int)(t->tv_nsec / 1000000) % 1000);
}

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
	logline("method=%s path=%s status=%d caller=%s/%s%s%s%s%s ms=%.3f", c->method,
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

/* ------------------------------------------------------------ readiness */

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

static void
ready_get(struct trd_call *c)
{
	struct ready *r;

	if (!trd_access(c))
		return;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	r->c = c;
	if (trd_call_submit_read(c, ready_job, ready_done, r) != 0)
		free(r);
}

int
trd_call_submit(struct trd_call *c, trd_job_fn fn, trd_done_fn done, void *arg)
{
	if (trd_pool_submit(c->d->pool, fn, done, arg) == 0)
		return 0;
	trd_problem(c, "unavailable", "the daemon is too busy; try again later", NULL);
	return -1;
}

static const char *
method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	default: return "OTHER";
	}
}

/* The id in "/v1/traces/{id}" or "/v1/traces/{id}/status": 36 characters
 * of a UUID's alphabet (the store checks it is a UUID). */
static int
trace_path(const char *path, char id[37], int *status_only, int *chain)
{
	const char *p;
	size_t n;

	if (strncmp(path, "/v1/traces/", 11) != 0)
		return -1;
	p = path + 11;
	if ((n = strspn(p, "0123456789abcdefABCDEF-")) != 36)
		return -1;
	*status_only = *chain = 0;
	if (strcmp(p + n, "/status") == 0)
		*status_only = 1;
	else if (strcmp(p + n, "/chain") == 0)
		*chain = 1;
	else if (p[n] == '\0')
		*status_only = 0;
	else
		return -1;
	memcpy(id, p, 36);
	id[36] = '\0';
	return 0;
}

/* The caller's share: a peer State's daemons share one bucket, a domestic
 * user has one of their own, by certificate (a name is not unique, and
 * would be cut to fit).  A refusal answers 429. */
static int
rate_ok(struct trd_call *c)
{
	struct timespec now;
	double retry = 1;
	char key[TR__RATELIMIT_KEY_MAX + 1];
	int r;

	if (strcmp(c->id.role, "peer") == 0)
		snprintf(key, sizeof(key), "%s", c->id.state);
	else
		snprintf(key, sizeof(key), "%s/%.60s", c->id.state, c->id.fp);
	clock_gettime(CLOCK_MONOTONIC, &now);
	r = tr__ratelimit_take(c->d->rl, key, (double)now.tv_sec +
	    (double)now.tv_nsec / 1e9, &retry);
	if (r == 1)
		return 1;
	c->retry_after = retry < 1 ? 1 : (int)(retry + 0.999);
	trd_count(c->d, "tracerd_rate_limited_total", "Requests refused with 429, "
	    "by the caller's State.", "state", c->id.state);
	trd_problem(c, "rate-limited", "too many requests from you; try again after "
	    "the Retry-After header's seconds", NULL);
	return 0;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct trd_daemon *d = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	SSL *ssl = trd_http_ssl(req);
	struct trd_call *c = calloc(1, sizeof(*c));
	char id[37];
	int get = m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD, status_only, chain;

	if (c == NULL) {
		trd_http_answering(req);
		evhttp_send_error(req, 503, NULL);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->d = d;
	c->req = req;
	c->method = method_name(m);
	c->route = "other";
	d->requests++;
	d->in_flight++;
	if (path == NULL)
		path = "";
	/* The path as logged and echoed: printable ASCII only. */
	for (size_t i = 0; path[i] != '\0' && i < sizeof(c->path) - 1; i++)
		c->path[i] = path[i] > ' ' && path[i] < 0x7f ? path[i] : '?';
	if (ssl == NULL || trd_tls_identity(ssl, &c->id) != 0) {
		memset(&c->id, 0, sizeof(c->id));
		trd_problem(c, "forbidden", "the client certificate names no State "
		    "and role (subject C and OU)", NULL);
		return;
	}
	c->identified = 1;
	c->conn = trd_conn_hold(ssl);
	if (d->stopping) {
		trd_problem(c, "unavailable", "the daemon is stopping", NULL);
		return;
	}
	if (strcmp(path, "/healthz") != 0 && strcmp(path, "/readyz") != 0 &&
	    !rate_ok(c))
		return;
	if (strcmp(path, "/healthz") == 0) {
		c->route = "/healthz";
		if (!get)
			trd_problem(c, "bad-request", "/healthz answers GET and HEAD "
			    "only", NULL);
		else
			trd_reply(c, 200, "text/plain", "ok\n", 3, NULL);
	} else if (strcmp(path, "/readyz") == 0) {
		c->route = "/readyz";
		if (!get)
			trd_problem(c, "bad-request", "/readyz answers GET and HEAD "
			    "only", NULL);
		else
			ready_get(c);
	} else if (strcmp(path, "/v1/traces") == 0) {
		c->route = "/v1/traces";
		if (m != EVHTTP_REQ_POST)
			trd_problem(c, "bad-request", "/v1/traces answers POST only",
			    NULL);
		else if (d->cf.hub)
			trd_hub_post(c);
		else
			trd_traces_post(c);
	} else if (trace_path(path, id, &status_only, &chain) == 0) {
		c->route = chain ? "/v1/traces/{id}/chain" : status_only ?
		    "/v1/traces/{id}/status" : "/v1/traces/{id}";
		if (!get)
			trd_problem(c, "bad-request", "a trace's status answers GET "
			    "only", NULL);
		else if (chain)
			trd_out_chain_get(c, id);
		else if (d->cf.hub)
			trd_hub_get(c, id, status_only);
		else
			trd_traces_get(c, id, status_only);
	} else if (strcmp(path, "/metrics") == 0) {
		c->route = "/metrics";
		if (!get)
			trd_problem(c, "bad-request", "/metrics answers GET only", NULL);
		else
			trd_metrics_get(c);
	} else if (strcmp(path, "/v1/log/cosignature") == 0) {
		c->route = "/v1/log/cosignature";
		if (m != EVHTTP_REQ_POST)
			trd_problem(c, "bad-request", "/v1/log/cosignature answers POST "
			    "only", NULL);
		else
			trd_log_cosignature_post(c);
	} else if (strcmp(path, "/v1/witness") == 0) {
		c->route = "/v1/witness";
		if (!get)
			trd_problem(c, "bad-request", "/v1/witness answers GET only",
			    NULL);
		else
			trd_witness_get(c);
	} else if (strncmp(path, "/v1/log/", 8) == 0) {
		if (!get) {
			trd_problem(c, "bad-request", "the log answers GET only", NULL);
		} else if (strcmp(path, "/v1/log/checkpoint") == 0) {
			c->route = "/v1/log/checkpoint";
			trd_log_checkpoint(c);
		} else if (strcmp(path, "/v1/log/proof/inclusion") == 0) {
			c->route = "/v1/log/proof/inclusion";
			trd_log_inclusion(c);
		} else if (strcmp(path, "/v1/log/proof/consistency") == 0) {
			c->route = "/v1/log/proof/consistency";
			trd_log_consistency(c);
		} else {
			trd_problem(c, "not-found", "no such path", NULL);
		}
	} else {
		trd_problem(c, "not-found", "no such path", NULL);
	}
}

/* A TLS bufferevent for each new connection, with the current context. */
static struct bufferevent *
on_connection(struct event_base *base, void *arg)
{
	struct trd_daemon *d = arg;
	SSL *ssl = SSL_new(d->tls);
	struct bufferevent *bev;

	/* Out of memory: NULL makes evhttp serve the connection in plain
	 * text, where the caller has no certificate and is refused. */
	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev != NULL)
		trd_conn_open(d, bev, ssl);
	return bev;
}

/* Every connection is read through the strict HTTP/1.1 framing of
 * tracerd_http.c before evhttp sees it. */
static struct bufferevent *
on_connection_http(struct event_base *base, void *arg)
{
	struct bufferevent *bev = on_connection(base, arg);

	return bev != NULL ? trd_http_wrap(arg, bev) : NULL;
}

/* ------------------------------------------------------------ signals */

static void
on_term(evutil_socket_t sig, short what, void *arg)
{
	struct trd_daemon *d = arg;
	struct timeval grace = { 10, 0 };

	(void)what;
	logline("event=stop signal=%d requests=%lu in_flight=%ld", (int)sig,
	    d->requests, d->in_flight);
	/* Stop accepting; the requests in flight finish (trd_reply() ends
	 * the loop after the last), within a grace period.  Traces not
	 * finished stay open in the database and resume at the next start. */
	d->stopping = 1;
	trd_traces_wake_all(d);
	if (d->sock != NULL) {
		evhttp_del_accept_socket(d->http, d->sock);
		d->sock = NULL;
	}
	event_base_loopexit(d->base, d->in_flight > 0 ? &grace : NULL);
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct trd_daemon *d = arg;
	reg_error err = REG_ERROR_INIT;
	tr__peers *peers;
	tr_policy *policy;
	struct trd_policy_ref *ref;
	struct trd_peers_ref *pref = NULL;
	SSL_CTX *tls;

	(void)sig;
	(void)what;
	if (load_reloadable(&d->cf, &peers, &policy, &tls, &err) != 0) {
		logline("event=reload result=refused reason=\"%s\"", err.message);
		return;
	}
	if ((ref = policy_ref(policy)) == NULL || (pref = peers_ref(peers)) == NULL) {
		logline("event=reload result=refused reason=\"out of memory\"");
		free(ref);
		tr__peers_free(peers);
		tr_policy_free(policy);
		SSL_CTX_free(tls);
		return;
	}
	/* Outbound jobs keep the directory they started with. */
	trd_peers_release(d->peers_ref);
	d->peers_ref = pref;
	/* Traces running keep the policy they started with. */
	trd_policy_release(d->policy);
	/* Connections open keep the old context through their SSL objects
	 * (reference counted); new ones take the new one. */
	SSL_CTX_free(d->tls);
	d->peers = peers;
	d->policy = ref;
	d->tls = tls;
	logline("event=reload result=ok peers=%zu", peers ? tr__peers_count(peers) : 0);
}

/* ------------------------------------------------------------ main */

/* Room for max_connections and max_handshakes sockets, the pools'
 * connections and files. */
static void
raise_fd_limit(const struct trd_config *cf)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cf->max_connections + (rlim_t)cf->max_handshakes +
	    (rlim_t)cf->pool_size +
	    (rlim_t)cf->trace_workers + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want :
	    rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		logline("event=start what=\"open files limited to %lu, fewer than "
		    "max_connections needs\"", (unsigned long)rl.rlim_cur);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "Usage: " PROG " --config FILE [--check]\n"
	    "\n"
	    "The State's national point of contact for tracing: HTTP/1.1 over TLS 1.3\n"
	    "with client certificates, JWS-signed messages (proto/README.md).\n"
	    "\n"
	    "  --config FILE  the configuration file (INI; see tracerd(8))\n"
	    "  --check        check the configuration and every file it names, then\n"
	    "                 exit (0 when the daemon would start)\n"
	    "  -h, --help     show this help\n"
	    "  --version      show the version\n"
	    "\n"
	    "Signals: SIGHUP reloads the peers directory, the policy and the CRL;\n"
	    "SIGTERM or SIGINT stop it after the requests in flight.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct trd_daemon d;
	reg_error err = REG_ERROR_INIT;
	struct event *ev_term = NULL, *ev_int = NULL, *ev_hup = NULL;
	const char *config = NULL;
	tr_policy *policy = NULL;
	int ch, check = 0, rc = 1;

	memset(&d, 0, sizeof(d));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'k': check = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROG " (" PACKAGE_NAME ") " PACKAGE_VERSION "\n"); return 0;
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return 2;
		}
	}
	if (config == NULL || optind < argc) {
		fprintf(stderr, PROG ": --config FILE is required\nTry '" PROG
		    " --help'.\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (trd_config_load(config, &d.cf, &err) != 0 ||
	    load_signing_key(&d.cf, &d.signing, &err) != 0 ||
	    load_reloadable(&d.cf, &d.peers, &policy, &d.tls, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		goto out;
	}
	if (d.cf.log_key[0] != '\0' && reg_key_load(d.cf.log_key, &d.log_key, &err) != 0) {
		fprintf(stderr, PROG ": [log] key: %s\n", err.message);
		goto out;
	}
	if ((d.peers_ref = peers_ref(d.peers)) == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		tr__peers_free(d.peers);
		d.peers = NULL;
		tr_policy_free(policy);
		goto out;
	}
	if ((d.policy = policy_ref(policy)) == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		tr_policy_free(policy);
		goto out;
	}
	if (trd_out_init(&d, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		goto out;
	}
	if (check) {
		/* The witness's keys and peers, as the start loads them. */
		if (trd_witness_start(&d, 0, &err) != 0) {
			fprintf(stderr, PROG ": %s\n", err.message);
			goto out;
		}
		printf(PROG ": %s is sound (%s %s, %zu peers)\n", config, d.cf.hub ?
		    "hub" : "State", d.cf.state, d.peers ? tr__peers_count(d.peers) : 0);
		rc = 0;
		goto out;
	}
	raise_fd_limit(&d.cf);
	if (tr__metrics_new(&d.metrics, &err) != 0 ||
	    tr__ratelimit_new(d.cf.rate, d.cf.burst, 4096, &d.rl, &err) != 0 ||
	    trd_conn_init(&err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		goto out;
	}
	for (int i = 0; i < d.cf.n_rates; i++)
		if (tr__ratelimit_set(d.rl, d.cf.rates[i].state,
		    d.cf.rates[i].v[0] ? d.cf.rates[i].v[0] : d.cf.rate,
		    d.cf.rates[i].v[1] ? d.cf.rates[i].v[1] : d.cf.burst) != 0) {
			fprintf(stderr, PROG ": cannot set the limits of %s\n",
			    d.cf.rates[i].state);
			goto out;
		}
	if ((d.base = event_base_new()) == NULL || (d.http = evhttp_new(d.base)) == NULL) {
		fprintf(stderr, PROG ": cannot start the event loop\n");
		goto out;
	}
	if (trd_pool_new(d.base, "database", d.cf.database, d.cf.pool_size,
	    d.cf.queue_max, NULL, &d.pool, &err) != 0 ||
	    trd_pool_new(d.base, d.cf.hub ? "relay" : "trace", d.cf.database,
	    d.cf.trace_workers, d.cf.queue_max, d.cf.hub ? trd_hub_slot_free :
	    trd_traces_slot_free, &d.tracers, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		goto out;
	}
	evhttp_set_bevcb(d.http, on_connection_http, &d);
	evhttp_set_gencb(d.http, on_request, &d);
	evhttp_set_max_body_size(d.http, (ev_ssize_t)d.cf.body_max);
	evhttp_set_max_headers_size(d.http, 16384);
	/* header_timeout is kept by tracerd_http.c, which answers 408;
	 * evhttp's own timer (a silent close) only behind it. */
	evhttp_set_timeout(d.http, d.cf.header_timeout + d.cf.idle_timeout);
	/* Every method reaches on_request, which refuses the wrong ones with
	 * a problem document rather than evhttp's page. */
	evhttp_set_allowed_methods(d.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	/* A hub traces nothing: its second pool relays. */
	if (!d.cf.hub && trd_traces_resume(&d, &err) != 0)
		trd_log_event("trace", NULL, "error", err.message);
	if (trd_out_start(&d, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		goto out;
	}
	d.sock = evhttp_bind_socket_with_handle(d.http, d.cf.listen_host,
	    (ev_uint16_t)d.cf.listen_port);
	if (d.sock == NULL) {
		fprintf(stderr, PROG ": cannot listen on %s:%d: %s\n", d.cf.listen_host,
		    d.cf.listen_port, strerror(errno));
		goto out;
	}
	{
		/* Answers leave at once, not after the client's delayed ACK:
		 * accepted sockets inherit TCP_NODELAY from the listener. */
		int one = 1;

		if (setsockopt(evhttp_bound_socket_get_fd(d.sock), IPPROTO_TCP,
		    TCP_NODELAY, &one, sizeof(one)) != 0)
			logline("event=start what=\"TCP_NODELAY refused: %s\"",
			    strerror(errno));
	}
	ev_term = evsignal_new(d.base, SIGTERM, on_term, &d);
	ev_int = evsignal_new(d.base, SIGINT, on_term, &d);
	ev_hup = evsignal_new(d.base, SIGHUP, on_hup, &d);
	if (ev_term == NULL || ev_int == NULL || ev_hup == NULL ||
	    event_add(ev_term, NULL) != 0 || event_add(ev_int, NULL) != 0 ||
	    event_add(ev_hup, NULL) != 0) {
		fprintf(stderr, PROG ": cannot handle signals\n");
		goto out;
	}
	logline("event=start state=%s mode=%s listen=%s:%d peers=%zu", d.cf.state,
	    d.cf.hub ? "hub" : "state", d.cf.listen_host, d.cf.listen_port,
	    d.peers ? tr__peers_count(d.peers) : 0);
	if (trd_log_checkpoints_start(&d, &err) != 0 ||
	    trd_witness_start(&d, 1, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		goto out;
	}
	rc = event_base_dispatch(d.base) < 0 ? 1 : 0;
out:
	if (d.ev_checkpoint != NULL)
		event_free(d.ev_checkpoint);
	if (ev_term != NULL)
		event_free(ev_term);
	if (ev_int != NULL)
		event_free(ev_int);
	if (ev_hup != NULL)
		event_free(ev_hup);
	/* The pools first: the answers of jobs that ran are still handed to
	 * their requests, which evhttp_free() then drops. */
	d.stopping = 1;
	/* Calls to other daemons under way (a held question, a relay) give
	 * up: what they were for is stored and carried on at the next
	 * start. */
	atomic_store(&d.cancel, 1);
	trd_out_stop(&d);
	trd_witness_free(&d);
	trd_pool_free(d.pool);
	trd_pool_free(d.tracers);
	if (d.http != NULL)
		evhttp_free(d.http);
	if (d.base != NULL)
		event_base_free(d.base);
	SSL_CTX_free(d.tls);
	proto_jws_key_free(d.signing);
	reg_key_free(d.log_key);
	tr__metrics_free(d.metrics);
	tr__ratelimit_free(d.rl);
	trd_out_free(&d);
	trd_hub_free(&d);
	trd_traces_free(&d);
	if (d.peers_ref != NULL)
		trd_peers_release(d.peers_ref);
	else
		tr__peers_free(d.peers);
	if (d.policy != NULL)
		trd_policy_release(d.policy);
	return rc;
}
