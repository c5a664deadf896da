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
 * connections, and SIGTERM finishing the requests in flight.  The trace
 * endpoints of proto/README.md come next.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

struct daemon {
	struct trd_config cf;
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *tls;			/* for new connections; swapped on SIGHUP */
	proto_jws_key *signing;
	tr__peers *peers;
	tr_policy *policy;
	unsigned long requests;
};

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
	if (cf->policy[0] != '\0')
		r = tr_policy_load(cf->policy, policy, err);
	else
		r = tr_policy_default(cf->state, policy, err);
	if (r != 0)
		goto fail;
	if (strcmp(tr_policy_state(*policy), cf->state) != 0) {
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

/* ------------------------------------------------------------ HTTP */

static void
problem(struct evhttp_request *req, int status, const char *name,
    const char *title, const char *detail)
{
	struct evbuffer *b = evbuffer_new();
	json_t *p;
	char *text;

	p = json_pack("{s:s, s:s, s:s, s:i}", "schema", "problem/1", "type", "",
	    "title", title, "status", status);
	if (p != NULL) {
		char type[96];

		snprintf(type, sizeof(type), "urn:registry:problem:%s", name);
		json_object_set_new(p, "type", json_string(type));
		if (detail != NULL)
			json_object_set_new(p, "detail", json_string(detail));
		json_object_set_new(p, "instance", json_string(evhttp_request_get_uri(req)));
	}
	text = p ? json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(p);
	if (b != NULL && text != NULL)
		evbuffer_add_printf(b, "%s\n", text);
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/problem+json");
	evhttp_send_reply(req, status, title, b);
	if (b != NULL)
		evbuffer_free(b);
}

static SSL *
request_ssl(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;

	return bev ? bufferevent_openssl_get_ssl(bev) : NULL;
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

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct daemon *d = arg;
	struct trd_identity id;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct timespec t0, t1;
	SSL *ssl = request_ssl(req);
	int status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	d->requests++;
	if (path == NULL)
		path = "";
	if (ssl == NULL || trd_tls_identity(ssl, &id) != 0) {
		memset(&id, 0, sizeof(id));
		status = 403;
		problem(req, status, "forbidden", "Forbidden", "the client "
		    "certificate names no State and role (subject C and OU)");
	} else if (strcmp(path, "/healthz") == 0) {
		struct evbuffer *b = evbuffer_new();

		if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
			status = 400;
			problem(req, status, "bad-request", "Bad request",
			    "/healthz answers GET and HEAD only");
		} else {
			status = 200;
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "Content-Type", "text/plain");
			if (b != NULL)
				evbuffer_add_printf(b, "ok\n");
			evhttp_send_reply(req, status, "OK", b);
		}
		if (b != NULL)
			evbuffer_free(b);
	} else {
		status = 404;
		problem(req, status, "not-found", "Not found", "no such path");
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	logline("method=%s path=%s status=%d caller=%s/%s ms=%.3f", method_name(m),
	    path, status, id.state[0] ? id.state : "-", id.role[0] ? id.role : "-",
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
}

/* A TLS bufferevent for each new connection, with the current context. */
static struct bufferevent *
on_connection(struct event_base *base, void *arg)
{
	struct daemon *d = arg;
	SSL *ssl = SSL_new(d->tls);

	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

/* ------------------------------------------------------------ signals */

static void
on_term(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval grace = { 5, 0 };

	(void)what;
	logline("event=stop signal=%d requests=%lu", (int)sig, d->requests);
	/* Stop accepting; requests in flight get a few seconds to finish. */
	event_base_loopexit(d->base, &grace);
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	reg_error err = REG_ERROR_INIT;
	tr__peers *peers;
	tr_policy *policy;
	SSL_CTX *tls;

	(void)sig;
	(void)what;
	if (load_reloadable(&d->cf, &peers, &policy, &tls, &err) != 0) {
		logline("event=reload result=refused reason=\"%s\"", err.message);
		return;
	}
	tr__peers_free(d->peers);
	tr_policy_free(d->policy);
	/* Connections open keep the old context through their SSL objects
	 * (reference counted); new ones take the new one. */
	SSL_CTX_free(d->tls);
	d->peers = peers;
	d->policy = policy;
	d->tls = tls;
	logline("event=reload result=ok peers=%zu", peers ? tr__peers_count(peers) : 0);
}

/* ------------------------------------------------------------ main */

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
	struct daemon d;
	reg_error err = REG_ERROR_INIT;
	struct evhttp_bound_socket *sock;
	struct event *ev_term = NULL, *ev_int = NULL, *ev_hup = NULL;
	const char *config = NULL;
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
	    load_reloadable(&d.cf, &d.peers, &d.policy, &d.tls, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		goto out;
	}
	if (check) {
		printf(PROG ": %s is sound (State %s, %zu peers)\n", config, d.cf.state,
		    d.peers ? tr__peers_count(d.peers) : 0);
		rc = 0;
		goto out;
	}
	if ((d.base = event_base_new()) == NULL || (d.http = evhttp_new(d.base)) == NULL) {
		fprintf(stderr, PROG ": cannot start the event loop\n");
		goto out;
	}
	evhttp_set_bevcb(d.http, on_connection, &d);
	evhttp_set_gencb(d.http, on_request, &d);
	evhttp_set_max_body_size(d.http, (ev_ssize_t)d.cf.body_max);
	evhttp_set_max_headers_size(d.http, 16384);
	evhttp_set_timeout(d.http, d.cf.header_timeout);
	evhttp_set_allowed_methods(d.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD);
	sock = evhttp_bind_socket_with_handle(d.http, d.cf.listen_host,
	    (ev_uint16_t)d.cf.listen_port);
	if (sock == NULL) {
		fprintf(stderr, PROG ": cannot listen on %s:%d: %s\n", d.cf.listen_host,
		    d.cf.listen_port, strerror(errno));
		goto out;
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
	logline("event=start state=%s listen=%s:%d peers=%zu", d.cf.state,
	    d.cf.listen_host, d.cf.listen_port, d.peers ? tr__peers_count(d.peers) : 0);
	rc = event_base_dispatch(d.base) < 0 ? 1 : 0;
out:
	if (ev_term != NULL)
		event_free(ev_term);
	if (ev_int != NULL)
		event_free(ev_int);
	if (ev_hup != NULL)
		event_free(ev_hup);
	if (d.http != NULL)
		evhttp_free(d.http);
	if (d.base != NULL)
		event_base_free(d.base);
	SSL_CTX_free(d.tls);
	proto_jws_key_free(d.signing);
	tr__peers_free(d.peers);
	tr_policy_free(d.policy);
	return rc;
}
