/*
 * The HTTP request line and headers as tracerd sees them.  Every
 * connection's bytes go through the strict HTTP/1.1 reader of
 * tracer/tracerd/tracerd_http_read.c (trd__http_read(), the functions the daemon's
 * filter in tracerd_http.c runs) before evhttp sees them; this harness
 * feeds the input to that reader as a connection's bytes, then what the
 * reader passes on to an evhttp server configured as tracerd configures
 * it (body and header limits, every method let through to the handler),
 * on loopback without TLS.
 *
 * Checks:
 * - the reader gives the same result however the bytes are cut: the input
 *   read whole, and read in pieces (sizes taken from the input), pass the
 *   same bytes and end in the same refusal;
 * - what it passes is a prefix of a sequence of well-formed requests,
 *   under a small parser of this file's own (RFC 9112 as the protocol
 *   takes it: origin-form target, HTTP/1.1, one Host, one framing header
 *   of digits or "chunked", no body on HEAD, within the limits): each
 *   request whole but maybe the last, as many whole as the reader counted;
 * - each request passed is the input's own: the same method, target,
 *   headers and body bytes (less the "Connection" header and with
 *   HTTP/1.1 for a request that asks for the close);
 * - nothing is passed after a refusal, nor after a request that asked for
 *   the close; a refusal names one problem type of proto/README.md with
 *   the status 400, 413 or 501, and comes once (a refused reader reads
 *   nothing more);
 * - evhttp answers exactly the requests passed whole, in order, each with
 *   the handler's answer (never one of its own refusals), and sees in
 *   each the method, target, headers and body length the parser above
 *   found; and each request's URI, written by evhttp_uri_join(), parses
 *   again and writes the same.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/hex.h"
#include "proto/proto.h"
#include "tracerd_http_int.h"

#include "fuzz.h"

#define BODY_MAX 1024		/* [limits] body_max's least value */
#define REQ_MAX 64		/* requests checked in one input */
#define HDR_MAX 128		/* header fields checked in one request */

/* ------------------------------------------------------------ the parser */

struct field {
	const char *name, *value;	/* value without its OWS */
	size_t nlen, vlen;
};

/* One request as this file's parser reads it. */
struct req {
	const char *method, *target;
	size_t mlen, tlen;
	int http10;
	struct field f[HDR_MAX];
	int nf;
	size_t head;		/* bytes of the header section */
	size_t size;		/* bytes of the whole message (when whole) */
	uint64_t body;		/* bytes of the body's content */
	int whole;
	int close;		/* Connection: close, or HTTP/1.0 */
};

static int
is_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static int
is_hex(int c)
{
	return cm_hex_digit(c, CM_HEX_ANYCASE) >= 0;
}

static int
hex(int c)
{
	return cm_hex_digit(c, CM_HEX_ANYCASE);
}

static int
eq(const char *a, size_t n, const char *b)
{
	return n == strlen(b) && strncasecmp(a, b, n) == 0;
}

static const char *
find(const char *s, size_t n, const char *what)
{
	size_t k = strlen(what);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(s + i, what, k) == 0)
			return s + i;
	return NULL;
}

/* Reads one request at s[0..n) with the rules the protocol states (see
 * the top); passed says whether the bytes come from the reader (HTTP/1.1
 * only, no close asked, no Host where the client sent HTTP/1.0) or the
 * client.  Returns 1 for a whole request, 0
 * for a sound prefix of one, -1 when it is not sound. */
static int
parse_req(const char *s, size_t n, int passed, struct req *q)
{
	const char *e = find(s, n, "\r\n\r\n"), *l, *end, *sp1, *sp2;
	int n_len = 0, n_te = 0, n_host = 0, n_expect = 0, chunked = 0;
	uint64_t len = 0;
	size_t i, p;

	memset(q, 0, sizeof(*q));
	if (e == NULL)
		return -2;		/* no whole header section */
	q->head = (size_t)(e - s) + 4;
	if (q->head > TRD_HTTP_HEAD_MAX || memchr(s, 0, q->head) != NULL)
		return -1;
	end = find(s, q->head, "\r\n");
	sp1 = memchr(s, ' ', (size_t)(end - s));
	if (sp1 == NULL)
		return -1;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (sp2 == NULL || memchr(sp2 + 1, ' ', (size_t)(end - sp2 - 1)) != NULL)
		return -1;
	q->method = s;
	q->mlen = (size_t)(sp1 - s);
	if (!eq(s, q->mlen, "GET") && !eq(s, q->mlen, "HEAD") &&
	    !eq(s, q->mlen, "POST") && !eq(s, q->mlen, "PUT") &&
	    !eq(s, q->mlen, "DELETE") && !eq(s, q->mlen, "OPTIONS") &&
	    !eq(s, q->mlen, "PATCH"))
		return -1;
	for (i = 0; i < q->mlen; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return -1;	/* methods are case-sensitive */
	q->target = sp1 + 1;
	q->tlen = (size_t)(sp2 - sp1 - 1);
	if (q->tlen == 0 || q->target[0] != '/' ||
	    (q->tlen > 1 && q->target[1] == '/'))
		return -1;
	for (i = 0; i < q->tlen; i++) {
		int c = (unsigned char)q->target[i];

		if (c == '%') {
			if (i + 2 >= q->tlen)
				return -1;
			if (!is_hex(q->target[i + 1]) || !is_hex(q->target[i + 2]) ||
			    (hex(q->target[i + 1]) == 0 && hex(q->target[i + 2]) == 0))
				return -1;
			i += 2;
			continue;
		}
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || strchr("-._~!$&'()*+,;=:@/?", c)))
			return -1;
	}
	if ((size_t)(end - sp2 - 1) != 8)
		return -1;
	if (memcmp(sp2 + 1, "HTTP/1.0", 8) == 0 && !passed)
		q->http10 = q->close = 1;
	else if (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0)
		return -1;
	/* The field lines. */
	for (l = end + 2; l < e + 2; l = end + 2) {
		struct field *f;
		const char *c, *v, *ve;

		end = find(l, (size_t)(e + 2 - l), "\r\n");
		if (memchr(l, '\r', (size_t)(end - l)) != NULL ||
		    memchr(l, '\n', (size_t)(end - l)) != NULL)
			return -1;
		c = memchr(l, ':', (size_t)(end - l));
		if (c == NULL || c == l || q->nf == HDR_MAX)
			return -1;
		for (p = 0; l + p < c; p++)
			if (!is_tchar((unsigned char)l[p]))
				return -1;
		for (v = c + 1; v < end; v++)
			if ((unsigned char)*v == 0x7f ||
			    ((unsigned char)*v < ' ' && *v != '\t'))
				return -1;
		for (v = c + 1; v < end && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = end; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		f = &q->f[q->nf++];
		f->name = l;
		f->nlen = (size_t)(c - l);
		f->value = v;
		f->vlen = (size_t)(ve - v);
		if (eq(l, f->nlen, "Content-Length")) {
			n_len++;
			if (f->vlen == 0 || f->vlen > 18)
				return -1;
			len = 0;
			for (p = 0; p < f->vlen; p++) {
				if (v[p] < '0' || v[p] > '9')
					return -1;
				len = len * 10 + (uint64_t)(v[p] - '0');
			}
		} else if (eq(l, f->nlen, "Transfer-Encoding")) {
			n_te++;
			if (!eq(v, f->vlen, "chunked"))
				return -1;
			chunked = 1;
		} else if (eq(l, f->nlen, "Host")) {
			n_host++;
		} else if (eq(l, f->nlen, "Expect")) {
			n_expect++;
			if (!eq(v, f->vlen, "100-continue"))
				return -1;
		} else if (eq(l, f->nlen, "Connection")) {
			/* A list: is "close" one of its members? */
			const char *m = v, *me;

			while (m < ve) {
				for (me = m; me < ve && *me != ','; me++)
					;
				{
					const char *a = m, *b = me;

					while (a < b && (*a == ' ' || *a == '\t'))
						a++;
					while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
						b--;
					if (eq(a, (size_t)(b - a), "close"))
						q->close = 1;
				}
				m = me + 1;
			}
		}
	}
	if (n_len > 1 || n_te > 1 || (n_len && n_te) || (n_te && q->http10) ||
	    n_host > 1 || (n_host == 0 && !q->http10 && !passed) || n_expect > 1)
		return -1;
	if (eq(q->method, q->mlen, "HEAD") && (n_te || len > 0))
		return -1;
	if (passed && q->close)
		return -1;	/* the reader keeps the close to itself */
	if (len > BODY_MAX)
		return -1;
	/* The body. */
	p = q->head;
	if (!chunked) {
		q->body = len;
		if (n - p < len)
			return 0;
		q->size = p + (size_t)len;
		q->whole = 1;
		return 1;
	}
	for (;;) {
		uint64_t size = 0;
		const char *cl = find(s + p, n - p, "\r\n");

		if (cl == NULL)
			return 0;
		if (cl == s + p || cl - (s + p) > 16)
			return -1;
		for (const char *h = s + p; h < cl; h++) {
			if (!is_hex((unsigned char)*h))
				return -1;
			size = size * 16 + (uint64_t)hex(*h);
			if (size > BODY_MAX)
				return -1;
		}
		q->body += size;
		if (q->body > BODY_MAX)
			return -1;
		p = (size_t)(cl - s) + 2;
		if (n - p < size + 2)
			return 0;
		p += (size_t)size;
		if (s[p] != '\r' || s[p + 1] != '\n')
			return -1;
		p += 2;
		if (size == 0)
			break;
	}
	q->size = p;
	q->whole = 1;
	return 1;
}

/* The body's content of a whole request, in a buffer of its own. */
static void
body_of(const char *s, const struct req *q, struct evbuffer *out)
{
	size_t p = q->head;
	int chunked = 0;

	for (int i = 0; i < q->nf; i++)
		if (eq(q->f[i].name, q->f[i].nlen, "Transfer-Encoding"))
			chunked = 1;
	if (!chunked) {
		evbuffer_add(out, s + p, (size_t)q->body);
		return;
	}
	for (;;) {
		const char *cl = find(s + p, q->size - p, "\r\n");
		uint64_t size = 0;

		for (const char *h = s + p; h < cl; h++)
			size = size * 16 + (uint64_t)hex(*h);
		p = (size_t)(cl - s) + 2;
		if (size == 0)
			return;
		evbuffer_add(out, s + p, (size_t)size);
		p += (size_t)size + 2;
	}
}

/* ------------------------------------------------------------ the reader */

struct result {
	struct evbuffer *passed;
	int refused;		/* a read returned -1 */
	const char *name;
	char detail[160];
	int completed;
	enum trd_http_state state;
	int close_after;	/* the last request passed asks for the close */
};

/* Reads data as a connection's bytes in pieces of the sizes cut gives in
 * turn (0: all at once), as the daemon's filter does: once refused, the
 * rest is dropped. */
static void
read_all(const uint8_t *data, size_t size, const uint8_t *cut, size_t ncut,
    struct result *res)
{
	struct trd_http_reader r;
	struct evbuffer *src = evbuffer_new();
	size_t off = 0, k = 0;
	int refusals = 0;

	memset(res, 0, sizeof(*res));
	res->passed = evbuffer_new();
	if (src == NULL || res->passed == NULL ||
	    trd__http_reader_init(&r, BODY_MAX) != 0)
		abort();
	while (off < size) {
		size_t n = ncut == 0 ? size : 1 + cut[k++ % ncut] % 64;
		size_t before = evbuffer_get_length(res->passed);
		int st;

		if (n > size - off)
			n = size - off;
		evbuffer_add(src, data + off, n);
		off += n;
		if (r.state == TRD_HTTP_REFUSED) {
			/* The filter drops it; the reader must take nothing. */
			st = trd__http_read(&r, src, res->passed);
			FUZZ_CHECK(st == 0 && r.completed == 0 &&
			    evbuffer_get_length(res->passed) == before,
			    "the reader read on after it stopped");
			evbuffer_drain(src, evbuffer_get_length(src));
			continue;
		}
		st = trd__http_read(&r, src, res->passed);
		FUZZ_CHECK(evbuffer_get_length(src) == 0, "a read left bytes unread");
		res->completed += r.completed;
		if (st < 0) {
			refusals++;
			FUZZ_CHECK(r.state == TRD_HTTP_REFUSED && r.name != NULL,
			    "a refusal without its problem type");
			FUZZ_CHECK(r.timer == TRD_HTTP_TIMER_STOP,
			    "a refusal leaves the deadline running");
		}
		if (r.completed > 0 && r.state == TRD_HTTP_HEAD &&
		    evbuffer_get_length(r.raw) == 0)
			FUZZ_CHECK(r.timer == TRD_HTTP_TIMER_STOP, "the deadline runs "
			    "with no request begun");
	}
	FUZZ_CHECK(refusals <= 1, "refused %d times", refusals);
	res->refused = refusals;
	res->name = r.name;
	snprintf(res->detail, sizeof(res->detail), "%s", r.detail);
	res->state = r.state;
	res->close_after = r.close_after;
	if (r.state == TRD_HTTP_REFUSED)
		FUZZ_CHECK(evbuffer_get_length(r.raw) == 0,
		    "bytes kept after the reader stopped");
	trd__http_reader_clear(&r);
	evbuffer_free(src);
}

static void
check_refusal(const struct result *res)
{
	int status = 0;
	const char *title = NULL;

	if (!res->refused)
		return;
	FUZZ_CHECK(proto_problem_type(res->name, &status, &title) == 0,
	    "the refusal %s is no problem type", res->name);
	FUZZ_CHECK(status == 400 || status == 413 || status == 501,
	    "the refusal %s has the status %d", res->name, status);
	FUZZ_CHECK(res->detail[0] != '\0', "a refusal without a detail");
}

/* ------------------------------------------------------------ evhttp */

static struct event_base *base;
static struct evhttp *http;
static struct sockaddr_in addr;

/* What evhttp saw of each request, in order. */
static struct seen {
	char method[16];
	char *uri;
	struct evkeyvalq *headers;	/* a copy */
	size_t body;
} seen[REQ_MAX + 1];
static int nseen;

static const char *
method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "?";
	}
}

/* The request's URI, written with evhttp_uri_join(), parses again (as
 * leniently as evhttp reads request targets) and writes the same; its
 * query's parameters read as tracerd_log.c reads them. */
static void
uri_round_trip(const struct evhttp_uri *u)
{
	char a[65536], b[65536];
	const char *q = evhttp_uri_get_query(u);
	struct evhttp_uri *u2;
	struct evkeyvalq params;
	struct evkeyval *kv;

	TAILQ_INIT(&params);
	if (q != NULL && evhttp_parse_query_str(q, &params) == 0)
		TAILQ_FOREACH(kv, &params, next)
			FUZZ_CHECK(kv->key != NULL && kv->value != NULL, "a parameter");
	evhttp_clear_headers(&params);
	if (evhttp_uri_join((struct evhttp_uri *)u, a, sizeof(a)) == NULL)
		return;
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
	struct evkeyval *kv;

	(void)arg;
	FUZZ_CHECK(u != NULL, "evhttp passed a request without its URI");
	uri_round_trip(u);
	if (nseen <= REQ_MAX) {
		struct seen *w = &seen[nseen];

		snprintf(w->method, sizeof(w->method), "%s",
		    method_name(evhttp_request_get_command(req)));
		w->uri = strdup(evhttp_request_get_uri(req));
		w->headers = calloc(1, sizeof(*w->headers));
		if (w->uri == NULL || w->headers == NULL)
			abort();
		TAILQ_INIT(w->headers);
		TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
			evhttp_add_header(w->headers, kv->key, kv->value);
		w->body = evbuffer_get_length(evhttp_request_get_input_buffer(req));
	}
	nseen++;
	evhttp_send_reply(req, 200, "OK", NULL);
}

static void
seen_clear(void)
{
	for (int i = 0; i < nseen && i <= REQ_MAX; i++) {
		free(seen[i].uri);
		evhttp_clear_headers(seen[i].headers);
		free(seen[i].headers);
	}
	nseen = 0;
}

/* The status codes of the answers in s[0..n): every one must be 200 (the
 * handler's) or 100 Continue.  Returns the count of 200s. */
static int
answers(const char *s, size_t n)
{
	int ok = 0;

	while (n > 0) {
		const char *e = find(s, n, "\r\n\r\n"), *cl;
		size_t len = 0, head;

		FUZZ_CHECK(e != NULL && n >= 12 && memcmp(s, "HTTP/1.1 ", 9) == 0,
		    "evhttp wrote no answer: %.*s", (int)(n < 200 ? n : 200), s);
		head = (size_t)(e - s) + 4;
		FUZZ_CHECK(memcmp(s + 9, "200", 3) == 0 || memcmp(s + 9, "100", 3) == 0,
		    "evhttp refused a request the reader passed: %.*s",
		    (int)(head < 300 ? head : 300), s);
		if (memcmp(s + 9, "200", 3) == 0)
			ok++;
		cl = find(s, head, "Content-Length: ");
		if (cl != NULL)
			len = strtoul(cl + 16, NULL, 10);
		FUZZ_CHECK(n - head >= len, "a short answer");
		s += head + len;
		n -= head + len;
	}
	return ok;
}

/* Sends the passed bytes to evhttp, as one connection; returns once
 * evhttp has answered want requests and nothing more comes. */
static void
serve(const char *s, size_t n, int want)
{
	struct evbuffer *in = evbuffer_new();
	char buf[16384];
	size_t off = 0;
	ssize_t k;
	int fd, i, idle = 0, eof = 0;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || in == NULL ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		abort();
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (i = 0; i < 20000 && !eof; i++) {
		int before = nseen;

		if (off < n) {
			k = write(fd, s + off, n - off);
			if (k > 0)
				off += (size_t)k;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		while ((k = read(fd, buf, sizeof(buf))) > 0)
			evbuffer_add(in, buf, (size_t)k);
		if (k == 0 || (k < 0 && errno != EAGAIN))
			eof = 1;
		if (nseen != before || off < n)
			idle = 0;
		else if (nseen >= want && ++idle > 6)
			break;
		if (nseen < want && nseen == before) {
			struct pollfd p = { fd, POLLIN, 0 };

			(void)poll(&p, 1, 0);
		}
	}
	FUZZ_CHECK(!eof, "evhttp closed the connection after %d of %d requests",
	    nseen, want);
	FUZZ_CHECK(nseen == want, "evhttp served %d requests, the reader passed %d",
	    nseen, want);
	FUZZ_CHECK(answers(evbuffer_get_length(in) ? (const char *)evbuffer_pullup(in, -1) : "",
	    evbuffer_get_length(in)) == want, "evhttp answered other than %d "
	    "requests", want);
	close(fd);
	/* Let the server see the close and free the connection. */
	for (i = 0; i < 10; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	evbuffer_free(in);
}

/* evhttp saw request q (bytes s) as the parser did. */
static void
check_seen(int i, const char *s, const struct req *q)
{
	struct seen *w = &seen[i];
	struct evkeyval *kv;
	int j = 0;

	FUZZ_CHECK(eq(q->method, q->mlen, w->method) && memcmp(q->method,
	    w->method, q->mlen) == 0, "request %d: evhttp saw the method %s", i,
	    w->method);
	FUZZ_CHECK(strlen(w->uri) == q->tlen && memcmp(w->uri, q->target,
	    q->tlen) == 0, "request %d: evhttp saw the target %s", i, w->uri);
	TAILQ_FOREACH(kv, w->headers, next) {
		const char *v = kv->value;
		size_t vl;

		FUZZ_CHECK(j < q->nf, "request %d: evhttp saw an extra header %s",
		    i, kv->key);
		while (*v == ' ' || *v == '\t')
			v++;
		vl = strlen(v);
		while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		FUZZ_CHECK(strlen(kv->key) == q->f[j].nlen &&
		    memcmp(kv->key, q->f[j].name, q->f[j].nlen) == 0 &&
		    vl == q->f[j].vlen && memcmp(v, q->f[j].value, vl) == 0,
		    "request %d: evhttp saw the header %s: %s, not %.*s: %.*s", i,
		    kv->key, kv->value, (int)q->f[j].nlen, q->f[j].name,
		    (int)q->f[j].vlen, q->f[j].value);
		j++;
	}
	FUZZ_CHECK(j == q->nf, "request %d: evhttp saw %d headers of %d", i, j,
	    q->nf);
	FUZZ_CHECK(w->body == q->body, "request %d: evhttp read a body of %zu "
	    "bytes, not %llu", i, w->body, (unsigned long long)q->body);
	(void)s;
}

/* ------------------------------------------------------------ the harness */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct evhttp_bound_socket *sock;
	socklen_t alen = sizeof(addr);

	(void)argc;
	(void)argv;
	if ((base = event_base_new()) == NULL || (http = evhttp_new(base)) == NULL)
		abort();
	/* As tracer/tracerd/tracerd_listen.c's trd_listen_setup() sets it up. */
	evhttp_set_gencb(http, handle, NULL);
	evhttp_set_max_body_size(http, BODY_MAX);
	evhttp_set_max_headers_size(http, 16384);
	evhttp_set_timeout(http, 60);
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
	struct result whole, cut;
	const char *p, *in = (const char *)data;
	size_t n, off = 0, inoff = 0;
	struct req q, qi;
	int i, k, closed = 0, nwhole = 0, rewritten;

	if (size > 64 * 1024)
		return 0;
	read_all(data, size, NULL, 0, &whole);
	/* The same bytes in pieces of 1 to 64 bytes, the sizes taken from
	 * the input's last bytes (so that the seeds cut as they are). */
	read_all(data, size, data + (size > 8 ? size - 8 : 0), size > 8 ? 8 : size,
	    &cut);
	n = evbuffer_get_length(whole.passed);
	FUZZ_CHECK(n == evbuffer_get_length(cut.passed) && (n == 0 || memcmp(evbuffer_pullup(
	    whole.passed, -1), evbuffer_pullup(cut.passed, -1), n) == 0),
	    "the bytes passed depend on how the input is cut");
	FUZZ_CHECK(whole.refused == cut.refused && whole.state == cut.state &&
	    whole.completed == cut.completed && (whole.name == NULL) ==
	    (cut.name == NULL) && (whole.name == NULL || strcmp(whole.name,
	    cut.name) == 0), "read whole: %s (%s), in pieces: %s (%s)",
	    whole.name ? whole.name : "-", whole.detail, cut.name ? cut.name : "-",
	    cut.detail);
	check_refusal(&whole);

	/* What was passed: whole requests, maybe a part of one after them,
	 * each the input's own. */
	p = (const char *)evbuffer_pullup(whole.passed, -1);
	for (k = 0; off < n; k++) {
		const char *hi;
		int st = parse_req(p + off, n - off, 1, &q);

		FUZZ_CHECK(st >= 0, "request %d passed is not well formed: %.*s", k,
		    (int)(n - off < 300 ? n - off : 300), p + off);
		FUZZ_CHECK(!closed, "bytes passed after a request asking for the "
		    "close");
		/* The input's request at the same place. */
		st = parse_req(in + inoff, size - inoff, 0, &qi);
		if (!q.whole) {
			/* The last, cut short: by the end of the input, or by a
			 * refusal in its body (so the input's may be unsound). */
			hi = find(in + inoff, size - inoff, "\r\n\r\n");
			FUZZ_CHECK(hi != NULL && memcmp(p + off, in + inoff, q.mlen + 1 +
			    q.tlen) == 0 && (size_t)(hi + 4 - in) - inoff + n - off - q.head
			    <= size - inoff && memcmp(p + off + q.head, hi + 4,
			    n - off - q.head) == 0, "the part of request %d passed is "
			    "not the bytes sent", k);
			FUZZ_CHECK(whole.refused || whole.state != TRD_HTTP_HEAD,
			    "a part of a request passed, and the reader waits for none");
			/* Its head as sent, unless rewritten for the close. */
			if (!whole.close_after)
				FUZZ_CHECK(hi + 4 - (in + inoff) == (ptrdiff_t)q.head &&
				    memcmp(p + off, in + inoff, q.head) == 0, "the head of "
				    "request %d passed is not the one sent", k);
			closed = whole.close_after;
			break;
		}
		FUZZ_CHECK(st == 1, "request %d of the input is not whole and well "
		    "formed, but was passed whole: %.*s", k,
		    (int)(size - inoff < 300 ? size - inoff : 300), in + inoff);
		/* The reader may close after a request this file does not see
		 * asking for it (it takes "close" between spaces too), never
		 * the other way round; it passes the last request before the
		 * close without "Connection", as HTTP/1.1. */
		rewritten = whole.state == TRD_HTTP_REFUSED && whole.name == NULL &&
		    nwhole == whole.completed - 1;
		FUZZ_CHECK(rewritten || !qi.close, "request %d asks for the close, "
		    "and the reader reads on", k);
		{
			struct evbuffer *b1, *b2;

			FUZZ_CHECK(q.mlen == qi.mlen && memcmp(q.method, qi.method,
			    q.mlen) == 0 && q.tlen == qi.tlen && memcmp(q.target,
			    qi.target, q.tlen) == 0 && q.body == qi.body,
			    "request %d passed is not the one sent", k);
			for (i = 0, st = 0; i < qi.nf; i++) {
				const struct field *f = &qi.f[i];

				if (rewritten && eq(f->name, f->nlen, "Connection"))
					continue;
				FUZZ_CHECK(st < q.nf && q.f[st].nlen == f->nlen &&
				    memcmp(q.f[st].name, f->name, f->nlen) == 0 &&
				    q.f[st].vlen == f->vlen && memcmp(q.f[st].value,
				    f->value, f->vlen) == 0, "request %d: header %d "
				    "passed is not the one sent", k, i);
				st++;
			}
			FUZZ_CHECK(st == q.nf, "request %d: headers added", k);
			b1 = evbuffer_new();
			b2 = evbuffer_new();
			body_of(p + off, &q, b1);
			body_of(in + inoff, &qi, b2);
			FUZZ_CHECK(evbuffer_get_length(b1) == q.body &&
			    evbuffer_get_length(b2) == q.body && (q.body == 0 ||
			    memcmp(evbuffer_pullup(b1, -1), evbuffer_pullup(b2, -1),
			    (size_t)q.body) == 0), "request %d: the body passed is "
			    "not the one sent", k);
			evbuffer_free(b1);
			evbuffer_free(b2);
		}
		if (!rewritten)
			FUZZ_CHECK(q.size == qi.size && memcmp(p + off, in + inoff,
			    q.size) == 0, "request %d passed is not the bytes sent", k);
		closed = rewritten;
		off += q.size;
		inoff += qi.size;
		nwhole++;
	}
	FUZZ_CHECK(nwhole == whole.completed, "the reader counted %d requests, "
	    "%d passed whole", whole.completed, nwhole);
	if (closed && off == n)
		FUZZ_CHECK(whole.state == TRD_HTTP_REFUSED && whole.name == NULL &&
		    !whole.refused, "the reader read on after a request asking for "
		    "the close");
	if (!whole.close_after)
		FUZZ_CHECK(n == 0 || memcmp(p, in, n) == 0, "the bytes passed are not a "
		    "prefix of the input");
	if (off == n && whole.state == TRD_HTTP_HEAD) {
		/* Waiting for a header section: the rest holds none whole. */
		FUZZ_CHECK(find(in + inoff, size - inoff, "\r\n\r\n") == NULL &&
		    size - inoff <= TRD_HTTP_HEAD_MAX, "the reader waits, with a "
		    "header section in");
	}
	if (whole.refused && off == n) {
		/* Refused at the head of the next request: it is unsound. */
		int st = parse_req(in + inoff, size - inoff, 0, &qi);

		FUZZ_CHECK(st == -1 || (st == -2 && size - inoff > TRD_HTTP_HEAD_MAX),
		    "request %d refused (%s: %s) but sound: %.*s", nwhole, whole.name,
		    whole.detail, (int)(size - inoff < 300 ? size - inoff : 300),
		    in + inoff);
	}

	/* evhttp, as the daemon runs it, sees the same requests. */
	if (whole.completed <= REQ_MAX) {
		serve(p, n, whole.completed);
		for (i = 0, off = 0; i < whole.completed; i++) {
			(void)parse_req(p + off, n - off, 1, &q);
			check_seen(i, p + off, &q);
			off += q.size;
		}
	}
	seen_clear();
	evbuffer_free(whole.passed);
	evbuffer_free(cut.passed);
	return 0;
}
