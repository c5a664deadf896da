/*
 * The HTTP request line and headers as tracerd sees them.  tracerd leaves
 * HTTP/1.1 framing to libevent's evhttp, configured in tracer/tracerd.c
 * (main()); this harness makes an evhttp server with the same settings
 * (body and header limits, every method let through to the handler), on
 * loopback and without TLS, sends the input as the bytes of a connection,
 * and in the handler takes the steps tracerd's on_request() takes with a
 * parsed request: the method, the path and its trace id, the query's
 * parameters (as tracerd_log.c reads them), the Content-Type and every
 * header.  tracer/tracerd.c keeps these steps in static functions, so they
 * are repeated here; when the daemon's request checks move into a file of
 * their own (tracer/tracerd_http.c), call them from handle().
 *
 * Round trip: a request's URI, written with evhttp_uri_join(), parses
 * again (as leniently as evhttp reads request targets) and writes the
 * same.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <sys/queue.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/buffer.h>

#include "fuzz.h"

static struct event_base *base;
static struct evhttp *http;
static struct sockaddr_in addr;
static unsigned long requests;

static void
uri_round_trip(const struct evhttp_uri *u)
{
	char a[4096], b[4096];
	struct evhttp_uri *u2;

	if (evhttp_uri_join((struct evhttp_uri *)u, a, sizeof(a)) == NULL)
		return;
	/* evhttp reads a request's target leniently
	 * (EVHTTP_URI_NONCONFORMANT: a tab or a space in the query passes), so
	 * the same flag here; refusing such targets is the daemon's job. */
	u2 = evhttp_uri_parse_with_flags(a, EVHTTP_URI_NONCONFORMANT);
	FUZZ_CHECK(u2 != NULL, "a written URI does not parse: %s", a);
	FUZZ_CHECK(evhttp_uri_join(u2, b, sizeof(b)) != NULL && strcmp(a, b) == 0,
	    "the URI %s writes back as %s", a, b);
	evhttp_uri_free(u2);
}

static void
handle(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u != NULL ? evhttp_uri_get_path(u) : NULL;
	const char *q = u != NULL ? evhttp_uri_get_query(u) : NULL;
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyvalq params;
	struct evkeyval *kv;
	size_t n = 0, len;

	requests++;
	(void)evhttp_request_get_command(req);
	if (path == NULL)
		path = "";
	if (strncmp(path, "/v1/traces/", 11) == 0)
		n = strspn(path + 11, "0123456789abcdefABCDEF-");
	(void)n;
	TAILQ_INIT(&params);
	if (q != NULL && evhttp_parse_query_str(q, &params) == 0) {
		TAILQ_FOREACH(kv, &params, next)
			FUZZ_CHECK(kv->key != NULL && kv->value != NULL, "a parameter");
	}
	evhttp_clear_headers(&params);
	(void)evhttp_find_header(in, "Content-Type");
	TAILQ_FOREACH(kv, in, next) {
		FUZZ_CHECK(kv->key != NULL && kv->value != NULL, "a header");
		len = strlen(kv->value);
		FUZZ_CHECK(strchr(kv->key, '\n') == NULL, "a header name with a "
		    "line feed: %s", kv->key);
		(void)len;
	}
	(void)evbuffer_get_length(evhttp_request_get_input_buffer(req));
	if (u != NULL)
		uri_round_trip(u);
	evhttp_send_reply(req, 200, "OK", NULL);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct evhttp_bound_socket *sock;
	socklen_t alen = sizeof(addr);

	if ((base = event_base_new()) == NULL || (http = evhttp_new(base)) == NULL)
		abort();
	evhttp_set_gencb(http, handle, NULL);
	evhttp_set_max_body_size(http, 1L << 20);
	evhttp_set_max_headers_size(http, 16384);
	evhttp_set_timeout(http, 10);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	if (sock == NULL || getsockname(evhttp_bound_socket_get_fd(sock),
	    (struct sockaddr *)&addr, &alen) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[65536];
	size_t off = 0;
	ssize_t k;
	int fd, i, eof = 0;

	if (size > 256 * 1024)
		return 0;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		abort();
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* Send the input while the server reads it, then end the stream and
	 * read the answers until the server closes (2 s at most). */
	for (i = 0; i < 4000 && !eof; i++) {
		if (off < size) {
			k = write(fd, data + off, size - off);
			if (k > 0)
				off += (size_t)k;
			else if (k < 0 && errno != EAGAIN)
				off = size;	/* the server has closed */
			if (off == size)
				shutdown(fd, SHUT_WR);
		} else if (size == 0 && i == 0) {
			shutdown(fd, SHUT_WR);
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		while ((k = read(fd, buf, sizeof(buf))) > 0)
			;
		if (k == 0 || (k < 0 && errno != EAGAIN))
			eof = 1;
		else if (off == size) {
			struct pollfd p = { fd, POLLIN, 0 };

			event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
			(void)poll(&p, 1, 1);
		}
	}
	close(fd);
	/* Let the server see the close and free the connection. */
	for (i = 0; i < 10; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	return 0;
}
