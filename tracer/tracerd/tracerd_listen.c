/*
 * The daemon's HTTP plumbing: the listener, evhttp's setup, a TLS
 * bufferevent with the strict HTTP/1.1 framing of tracerd_http.c for each
 * connection, and each request turned into a call (struct trd_call) whose
 * caller is read from its certificate and held to its rate before the
 * route table (tracerd_routes.c) dispatches it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>

#include "tracerd_int.h"

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

/* Each request: a call, its caller read from the certificate, held to its
 * rate, then dispatched by the route table. */
static void
on_request(struct evhttp_request *req, void *arg)
{
	struct trd_daemon *d = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	SSL *ssl = trd_http_ssl(req);
	struct trd_call *c = calloc(1, sizeof(*c));
	const struct trd_route *r;

	if (c == NULL) {
		trd_http_answering(req);
		evhttp_send_error(req, 503, NULL);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->d = d;
	c->req = req;
	c->method = method_name(evhttp_request_get_command(req));
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
	r = trd_route_find(path, c->path_id);
	if ((r == NULL || !r->unmetered) && !rate_ok(c))
		return;
	trd_route_call(c, r);
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

int
trd_listen_setup(struct trd_daemon *d)
{
	if ((d->http = evhttp_new(d->base)) == NULL)
		return -1;
	evhttp_set_bevcb(d->http, on_connection_http, d);
	evhttp_set_gencb(d->http, on_request, d);
	evhttp_set_max_body_size(d->http, (ev_ssize_t)d->cf.body_max);
	evhttp_set_max_headers_size(d->http, 16384);
	/* header_timeout is kept by tracerd_http.c, which answers 408;
	 * evhttp's own timer (a silent close) only behind it. */
	evhttp_set_timeout(d->http, d->cf.header_timeout + d->cf.idle_timeout);
	/* Every method reaches on_request, which refuses the wrong ones with
	 * a problem document rather than evhttp's page. */
	evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	return 0;
}

int
trd_listen(struct trd_daemon *d, reg_error *err)
{
	int one = 1;

	d->sock = evhttp_bind_socket_with_handle(d->http, d->cf.listen_host,
	    (ev_uint16_t)d->cf.listen_port);
	if (d->sock == NULL)
		return tr__fail(err, REG_EIO, "cannot listen on %s:%d: %s",
		    d->cf.listen_host, d->cf.listen_port, strerror(errno));
	/* Answers leave at once, not after the client's delayed ACK:
	 * accepted sockets inherit TCP_NODELAY from the listener. */
	if (setsockopt(evhttp_bound_socket_get_fd(d->sock), IPPROTO_TCP,
	    TCP_NODELAY, &one, sizeof(one)) != 0)
		trd_logline("event=start what=\"TCP_NODELAY refused: %s\"",
		    strerror(errno));
	return 0;
}
