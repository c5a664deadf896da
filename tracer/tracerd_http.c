/*
 * tracerd's HTTP/1.1 framing (tracerd_int.h): a strict reader in front of
 * evhttp, as a bufferevent filter over each connection's TLS bufferevent.
 *
 * evhttp is lenient where RFC 9112 asks a server to refuse: it takes the
 * first of two Content-Length headers, a signed length, obsolete line
 * folding (joined into the value), a NUL in a header (the value cut at
 * it), a bare LF as a line's end, a body on HEAD (left unread, to be read
 * as the next request).  Each of those lets the bytes after a message run
 * as a request of their own.  So evhttp sees only what this filter has
 * read and found sound: a whole header section, then exactly the body its
 * framing announces.  The first fault stops the connection's input for
 * good: the requests before it are answered, then one problem document
 * (application/problem+json: the message is no request of the protocol,
 * so nothing of it is signed) and the connection is closed, lingering to
 * read and drop what the client is still sending so that the answer is not
 * lost to a reset.  The filter also keeps the time: a request whose header
 * section is not in within header_timeout seconds of its first byte, or
 * whose body stalls for as long, gets 408; and the body limit: 413 as soon
 * as the length announced, or the chunks read, pass body_max.  evhttp's
 * own refusals (HTML pages) are then never reached.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tracerd_int.h"

#define HEAD_MAX 16384			/* bytes of a header section */
#define LINGER_BYTES (4L << 20)		/* dropped after a refusal, at most */

enum state { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, REFUSED };

struct trd_http {
	struct trd_daemon *d;
	struct bufferevent *filter;	/* what evhttp holds */
	struct bufferevent *tls;	/* the TLS bufferevent under it */
	struct evbuffer *raw;		/* read, not yet passed on */
	struct event *timer;		/* the deadline, or the refusal's steps */
	struct event *kick;		/* flushes evhttp's output (below) */
	enum state state;
	uint64_t left;			/* body or chunk bytes still to pass */
	uint64_t body;			/* chunked: the body's bytes so far */
	int outstanding;		/* requests passed, not yet answered */
	int close_after;		/* the last request passed asked it */
	int status;			/* the refusal's */
	const char *name;
	char detail[160];
	int phase;			/* refused: 0 waiting, 1 written, 2
					 * shut, lingering */
	long dropped;
	time_t shut;
};

static int http_index = -1;

/* ------------------------------------------------------------ refusals */

static void arm(struct trd_http *h, int seconds, int ms);

/* Writes the refusal's problem document on the TLS bufferevent, after
 * every answer evhttp has written. */
static void
send_refusal(struct trd_http *h)
{
	proto_problem *p = proto_problem_new();
	proto_error perr = PROTO_ERROR_INIT;
	char *json = NULL, head[256];
	const char *title = "Bad request";
	int status = h->status;
	struct evbuffer *out = bufferevent_get_output(h->tls);

	if (proto_problem_type(h->name, &status, &title) != 0)
		title = "Bad request";
	if (p != NULL) {
		char type[96];

		snprintf(type, sizeof(type), PROTO_PROBLEM_URN "%s", h->name);
		p->type = strdup(type);
		p->title = strdup(title);
		p->status = status;
		p->detail = strdup(h->detail);
	}
	if (p == NULL || p->type == NULL || p->title == NULL ||
	    proto_problem_to_json(p, &json, &perr) != 0)
		json = NULL;
	proto_problem_free(p);
	snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
	    "Connection: close\r\n\r\n", status, title,
	    json ? "application/problem+json" : "text/plain",
	    json ? strlen(json) : strlen(title));
	evbuffer_add(out, head, strlen(head));
	evbuffer_add(out, json ? json : title, json ? strlen(json) : strlen(title));
	proto_free(json);
	trd_log_event("http", NULL, h->name, h->detail);
	tr__metrics_request(h->d->metrics, "other", status, 0);
	h->phase = 1;
	arm(h, 0, 20);
}

/* The first fault: nothing more is read as a request. */
static void
refuse(struct trd_http *h, const char *name, const char *detail)
{
	if (h->state == REFUSED)
		return;
	h->state = REFUSED;
	h->name = name;
	snprintf(h->detail, sizeof(h->detail), "%s", detail);
	evbuffer_drain(h->raw, evbuffer_get_length(h->raw));
	evtimer_del(h->timer);
	event_active(h->kick, EV_TIMEOUT, 0);
}

/*
 * libevent 2.1's filter moves what evhttp writes on to the TLS
 * bufferevent only while writing is enabled, and evhttp enables it just
 * after it has written its answer (or its 100 Continue): without a push
 * the answer waits for the next event of the connection.  So each write
 * is pushed from the loop here; and a refusal waiting for the answers
 * before it follows them.  The reference keeps h while evhttp, sending,
 * may free the connection.
 */
static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct trd_http *h = arg;
	struct bufferevent *bev = h->filter;

	(void)fd;
	(void)what;
	bufferevent_incref(bev);
	bufferevent_flush(bev, EV_WRITE, BEV_NORMAL);
	if (h->state == REFUSED && h->phase == 0 && h->outstanding == 0) {
		if (h->name != NULL) {
			send_refusal(h);
		} else {
			h->phase = 1;
			arm(h, 0, 20);
		}
	}
	bufferevent_decref(bev);
}

static void
on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct trd_http *h = arg;

	(void)buf;
	if (info->n_added > 0)
		event_active(h->kick, EV_TIMEOUT, 0);
}

/* The connection ends as if the client had closed it; evhttp frees it. */
static void
close_now(struct trd_http *h)
{
	evtimer_del(h->timer);
	bufferevent_trigger_event(h->tls, BEV_EVENT_EOF | BEV_EVENT_READING,
	    BEV_TRIG_DEFER_CALLBACKS);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct trd_http *h = arg;
	SSL *ssl;

	(void)fd;
	(void)what;
	if (h->state != REFUSED) {
		/* The deadline; while evhttp is busy with the requests before
		 * it, the client is not at fault (its bytes are not read). */
		if (h->outstanding > 0)
			arm(h, h->d->cf.header_timeout, 0);
		else
			refuse(h, "timeout", "the request was not received in full "
			    "within the time limit");
		return;
	}
	if (h->phase == 1) {
		/* Written out: close_notify and FIN, then keep reading (and
		 * dropping) so that the client's unread bytes do not turn the
		 * close into a reset that loses the answer. */
		if (evbuffer_get_length(bufferevent_get_output(h->tls)) > 0) {
			arm(h, 0, 20);
			return;
		}
		if ((ssl = bufferevent_openssl_get_ssl(h->tls)) != NULL)
			(void)SSL_shutdown(ssl);
		ERR_clear_error();
		(void)shutdown(bufferevent_getfd(h->tls), SHUT_WR);
		h->phase = 2;
		h->shut = time(NULL);
		arm(h, h->d->cf.header_timeout > 0 ? h->d->cf.header_timeout : 1, 0);
		return;
	}
	close_now(h);
}

static void
arm(struct trd_http *h, int seconds, int ms)
{
	struct timeval tv = { seconds, ms * 1000 };

	evtimer_add(h->timer, &tv);
}

/* ------------------------------------------------------------ parsing */

static int
tchar(int c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

struct framing {
	int head;			/* HEAD: no body */
	int http10;
	int n_length, n_te, n_host, n_expect;
	int close;			/* Connection: close, or HTTP/1.0 */
	int chunked;
	uint64_t length;
};

/* The request line: a token, an origin-form target of RFC 3986's
 * characters whose escapes decode to no NUL, HTTP/1.1 or HTTP/1.0. */
static int
request_line(struct trd_http *h, const char *s, size_t n, struct framing *f)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT",
		"DELETE", "OPTIONS", "PATCH", NULL };
	size_t m = 0, t, i;
	char method[16];
	int known = 0;

	while (m < n && tchar((unsigned char)s[m]))
		m++;
	if (m == 0 || m >= n || s[m] != ' ') {
		refuse(h, "bad-request", "the request line is not METHOD SP "
		    "TARGET SP HTTP/1.1");
		return -1;
	}
	snprintf(method, sizeof(method), "%.*s", (int)(m < 15 ? m : 15), s);
	for (i = 0; methods[i] != NULL; i++)
		if (m == strlen(methods[i]) && memcmp(s, methods[i], m) == 0)
			known = 1;
	if (!known) {
		refuse(h, "not-implemented", "this method is not implemented");
		return -1;
	}
	f->head = strcmp(method, "HEAD") == 0;
	t = m + 1;
	if (n - t < 10 || s[t] != '/' || (n - t > 1 && s[t + 1] == '/')) {
		refuse(h, "bad-request", "the request target is not a path");
		return -1;
	}
	for (i = t; i < n && s[i] != ' '; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0 ||
			    (s[i + 1] == '0' && s[i + 2] == '0')) {
				refuse(h, "bad-request", "the request target has a "
				    "malformed escape or an escaped NUL");
				return -1;
			}
			continue;
		}
		if (!isalnum(c) && strchr("-._~!$&'()*+,;=:@/?", c) == NULL) {
			refuse(h, "bad-request", "the request target has a "
			    "character RFC 3986 does not allow");
			return -1;
		}
	}
	if (n - i == 9 && memcmp(s + i, " HTTP/1.1", 9) == 0)
		return 0;
	if (n - i == 9 && memcmp(s + i, " HTTP/1.0", 9) == 0) {
		f->http10 = 1;
		return 0;
	}
	refuse(h, "bad-request", "the request line does not end in HTTP/1.1");
	return -1;
}

/* One field line "name: value" (no CR or LF in it). */
static int
field_line(struct trd_http *h, const char *s, size_t n, struct framing *f)
{
	size_t k = 0, v, e, i;

	if (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
		refuse(h, "bad-request", "obsolete line folding in the header");
		return -1;
	}
	while (k < n && tchar((unsigned char)s[k]))
		k++;
	if (k == 0 || k >= n || s[k] != ':') {
		refuse(h, "bad-request", "a header line is not NAME: VALUE (no space "
		    "before the colon)");
		return -1;
	}
	for (i = k + 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != '\t' && (c < ' ' || c == 0x7f)) {
			refuse(h, "bad-request", "a control character (NUL, CR, LF, "
			    "...) in a header value");
			return -1;
		}
	}
	for (v = k + 1; v < n && (s[v] == ' ' || s[v] == '\t'); v++)
		;
	for (e = n; e > v && (s[e - 1] == ' ' || s[e - 1] == '\t'); e--)
		;
#define NAME_IS(x) (k == sizeof(x) - 1 && strncasecmp(s, x, k) == 0)
#define VALUE_IS(x) (e - v == sizeof(x) - 1 && strncasecmp(s + v, x, e - v) == 0)
	if (NAME_IS("Content-Length")) {
		f->n_length++;
		if (e == v || e - v > 18) {
			refuse(h, "bad-request", "Content-Length is not 1 to 18 digits");
			return -1;
		}
		f->length = 0;
		for (i = v; i < e; i++) {
			if (s[i] < '0' || s[i] > '9') {
				refuse(h, "bad-request", "Content-Length is not digits only");
				return -1;
			}
			f->length = f->length * 10 + (uint64_t)(s[i] - '0');
		}
	} else if (NAME_IS("Transfer-Encoding")) {
		f->n_te++;
		if (VALUE_IS("chunked"))
			f->chunked = 1;
		else if (e == v) {
			refuse(h, "bad-request", "Transfer-Encoding is empty");
			return -1;
		} else {
			refuse(h, "not-implemented", "the only transfer coding "
			    "implemented is chunked, alone");
			return -1;
		}
	} else if (NAME_IS("Connection")) {
		for (i = v; i + 5 <= e; i++)
			if (strncasecmp(s + i, "close", 5) == 0 &&
			    (i == v || s[i - 1] == ',' || s[i - 1] == ' ') &&
			    (i + 5 == e || s[i + 5] == ',' || s[i + 5] == ' '))
				f->close = 1;
	} else if (NAME_IS("Host")) {
		f->n_host++;
	} else if (NAME_IS("Expect")) {
		f->n_expect++;
		if (!VALUE_IS("100-continue")) {
			refuse(h, "bad-request", "the only expectation met is "
			    "100-continue");
			return -1;
		}
	}
#undef NAME_IS
#undef VALUE_IS
	return 0;
}

/* A whole header section s[0..n) (its final CRLF CRLF included). */
static int
header_section(struct trd_http *h, const char *s, size_t n, struct framing *f)
{
	size_t i, line = 0;
	int first = 1;

	memset(f, 0, sizeof(*f));
	n -= 2;				/* the empty line's CRLF */
	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
			if ((first ? request_line(h, s + line, i - line, f) :
			    field_line(h, s + line, i - line, f)) != 0)
				return -1;
			first = 0;
			line = i + 2;
			i++;
		} else if (s[i] == '\r' || s[i] == '\n') {
			refuse(h, "bad-request", "a bare CR or LF in the header "
			    "(lines end in CRLF)");
			return -1;
		}
	}
	if (f->http10)
		f->close = 1;
	if (f->n_length > 1 || f->n_te > 1) {
		refuse(h, "bad-request", "Content-Length or Transfer-Encoding "
		    "given twice");
		return -1;
	}
	if (f->n_length && f->n_te) {
		refuse(h, "bad-request", "both Content-Length and Transfer-Encoding");
		return -1;
	}
	if (f->n_te && f->http10) {
		refuse(h, "bad-request", "Transfer-Encoding in an HTTP/1.0 request");
		return -1;
	}
	if (f->n_host > 1 || (f->n_host == 0 && !f->http10)) {
		refuse(h, "bad-request", "an HTTP/1.1 request has one Host header");
		return -1;
	}
	if (f->n_expect > 1) {
		refuse(h, "bad-request", "Expect given twice");
		return -1;
	}
	if (f->head && (f->n_te || f->length > 0)) {
		refuse(h, "bad-request", "a HEAD request has no body");
		return -1;
	}
	if (f->length > (uint64_t)h->d->cf.body_max) {
		refuse(h, "payload-too-large", "the body is longer than the limit");
		return -1;
	}
	return 0;
}

/*
 * Passes on a sound header section.  evhttp frees a connection to be
 * closed as soon as its answer has left the filter, before the TLS
 * bufferevent has sent it, and shuts the socket down under it: so evhttp
 * never sees "Connection: close" or HTTP/1.0, and the close after the
 * answer is made here (h->close_after), as after a refusal.
 */
static void
pass_head(struct trd_http *h, const char *s, size_t n, const struct framing *f,
    struct evbuffer *dst)
{
	size_t i, line = 0;
	int first = 1;

	if (!f->close) {
		evbuffer_remove_buffer(h->raw, dst, n);
		return;
	}
	h->close_after = 1;
	for (i = 0; i + 2 <= n; i++) {
		if (s[i] != '\r')
			continue;
		if (first)
			evbuffer_add_printf(dst, "%.*s HTTP/1.1\r\n", (int)(i - line - 9),
			    s + line);
		else if (i > line && !(i - line >= 11 &&
		    strncasecmp(s + line, "Connection:", 11) == 0))
			evbuffer_add(dst, s + line, i - line + 2);
		first = 0;
		line = i + 2;
		i++;
	}
	evbuffer_add(dst, "\r\n", 2);
	evbuffer_drain(h->raw, n);
}

/* A request passed on whole: evhttp has it to answer. */
static void
complete(struct trd_http *h)
{
	h->outstanding++;
	h->state = HEAD;
	evtimer_del(h->timer);
	if (h->close_after) {
		/* Nothing after it is read; closed once answered. */
		h->state = REFUSED;
		h->name = NULL;
		evbuffer_drain(h->raw, evbuffer_get_length(h->raw));
	}
}

/* Passes on what of h->raw is sound; 0 when it needs more bytes, 1 when
 * it made progress, -1 when it refused. */
static int
step(struct trd_http *h, struct evbuffer *dst)
{
	size_t have = evbuffer_get_length(h->raw), n;
	struct evbuffer_ptr p;
	struct framing f;
	unsigned char *s;
	char line[24];
	uint64_t size;

	switch (h->state) {
	case HEAD:
		if (have == 0)
			return 0;
		if (!evtimer_pending(h->timer, NULL))
			arm(h, h->d->cf.header_timeout, 0);
		p = evbuffer_search(h->raw, "\r\n\r\n", 4, NULL);
		if (p.pos < 0) {
			if (have > HEAD_MAX) {
				refuse(h, "bad-request", "the header section is over "
				    "16 KiB");
				return -1;
			}
			return 0;
		}
		n = (size_t)p.pos + 4;
		if (n > HEAD_MAX) {
			refuse(h, "bad-request", "the header section is over 16 KiB");
			return -1;
		}
		if ((s = evbuffer_pullup(h->raw, (ev_ssize_t)n)) == NULL) {
			refuse(h, "bad-request", "out of memory");
			return -1;
		}
		if (memchr(s, '\0', n) != NULL) {
			refuse(h, "bad-request", "a NUL in the header");
			return -1;
		}
		if (header_section(h, (const char *)s, n, &f) != 0)
			return -1;
		pass_head(h, (const char *)s, n, &f, dst);
		if (f.chunked) {
			h->state = CHUNK_SIZE;
			h->body = 0;
			arm(h, h->d->cf.header_timeout, 0);
		} else if (f.length > 0) {
			h->state = BODY;
			h->left = f.length;
			arm(h, h->d->cf.header_timeout, 0);
		} else {
			complete(h);
		}
		return 1;
	case BODY:
	case CHUNK_DATA:
		if (have == 0)
			return 0;
		n = have < h->left ? have : (size_t)h->left;
		evbuffer_remove_buffer(h->raw, dst, n);
		h->left -= n;
		arm(h, h->d->cf.header_timeout, 0);
		if (h->left == 0) {
			if (h->state == BODY)
				complete(h);
			else
				h->state = CHUNK_END;
		}
		return 1;
	case CHUNK_SIZE:
		p = evbuffer_search(h->raw, "\r\n", 2, NULL);
		if (p.pos < 0 || p.pos > 16) {
			if (have > 18 || p.pos > 16) {
				refuse(h, "bad-request", "a chunk size is not 1 to 16 "
				    "hex digits (no extensions)");
				return -1;
			}
			return 0;
		}
		n = (size_t)p.pos;
		evbuffer_copyout(h->raw, line, n);
		if (n == 0) {
			refuse(h, "bad-request", "a chunk size is empty");
			return -1;
		}
		size = 0;
		for (size_t i = 0; i < n; i++) {
			if (hexval(line[i]) < 0) {
				refuse(h, "bad-request", "a chunk size is not hex "
				    "digits only (no extensions)");
				return -1;
			}
			if (size > (uint64_t)h->d->cf.body_max) {
				refuse(h, "payload-too-large", "the body is longer "
				    "than the limit");
				return -1;
			}
			size = size * 16 + (uint64_t)hexval(line[i]);
		}
		h->body += size;
		if (size > (uint64_t)h->d->cf.body_max ||
		    h->body > (uint64_t)h->d->cf.body_max) {
			refuse(h, "payload-too-large", "the body is longer than the "
			    "limit");
			return -1;
		}
		evbuffer_remove_buffer(h->raw, dst, n + 2);
		h->state = size == 0 ? TRAILER : CHUNK_DATA;
		h->left = size;
		return 1;
	case CHUNK_END:
	case TRAILER:
		if (have < 2)
			return 0;
		evbuffer_copyout(h->raw, line, 2);
		if (line[0] != '\r' || line[1] != '\n') {
			refuse(h, "bad-request", h->state == TRAILER ? "trailer fields "
			    "are not taken" : "a chunk's data is not followed by "
			    "CRLF");
			return -1;
		}
		evbuffer_remove_buffer(h->raw, dst, 2);
		if (h->state == TRAILER)
			complete(h);
		else
			h->state = CHUNK_SIZE;
		return 1;
	case REFUSED:
		break;
	}
	return -1;
}

static enum bufferevent_filter_result
filter_in(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct trd_http *h = arg;
	size_t n = evbuffer_get_length(src);

	(void)limit;
	(void)mode;
	if (n == 0)
		return BEV_NEED_MORE;
	if (h->state == REFUSED) {
		evbuffer_drain(src, n);
		h->dropped += (long)n;
		if (h->dropped > LINGER_BYTES && h->phase == 2)
			close_now(h);
		return BEV_OK;
	}
	evbuffer_add_buffer(h->raw, src);
	while (h->state != REFUSED && step(h, dst) > 0)
		;
	return BEV_OK;
}

static void
http_free(void *arg)
{
	struct trd_http *h = arg;

	if (h == NULL)
		return;
	if (h->timer != NULL)
		event_free(h->timer);
	if (h->kick != NULL)
		event_free(h->kick);
	if (h->raw != NULL)
		evbuffer_free(h->raw);
	free(h);
}

/* ------------------------------------------------------------ API */

struct bufferevent *
trd_http_wrap(struct trd_daemon *d, struct bufferevent *tls)
{
	struct trd_http *h;
	struct bufferevent *bev;
	SSL *ssl = bufferevent_openssl_get_ssl(tls);

	if (http_index < 0)
		http_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (ssl == NULL || http_index < 0 || (h = calloc(1, sizeof(*h))) == NULL)
		goto fail;
	h->d = d;
	h->tls = tls;
	if ((h->raw = evbuffer_new()) == NULL ||
	    (h->timer = evtimer_new(bufferevent_get_base(tls), on_timer, h)) == NULL ||
	    (h->kick = evtimer_new(bufferevent_get_base(tls), on_kick, h)) == NULL) {
		http_free(h);
		goto fail;
	}
	bev = bufferevent_filter_new(tls, filter_in, NULL, BEV_OPT_CLOSE_ON_FREE,
	    http_free, h);
	if (bev == NULL) {
		http_free(h);
		goto fail;
	}
	h->filter = bev;
	if (evbuffer_add_cb(bufferevent_get_output(bev), on_output, h) == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	SSL_set_ex_data(ssl, http_index, h);
	return bev;
fail:
	/* Without the filter the connection is not served: evhttp would read
	 * it unchecked. */
	bufferevent_free(tls);
	return NULL;
}

SSL *
trd_http_ssl(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
	struct bufferevent *tls = bev ? bufferevent_get_underlying(bev) : NULL;

	return tls ? bufferevent_openssl_get_ssl(tls) : NULL;
}

void
trd_http_answering(struct evhttp_request *req)
{
	SSL *ssl = trd_http_ssl(req);
	struct trd_http *h = ssl && http_index >= 0 ?
	    SSL_get_ex_data(ssl, http_index) : NULL;

	if (h == NULL || h->outstanding == 0)
		return;
	/* The refusal waiting for this answer goes out after it, from the
	 * loop (evhttp may free the connection while it sends). */
	if (--h->outstanding == 0 && h->state == REFUSED && h->phase == 0)
		event_active(h->kick, EV_TIMEOUT, 0);
}
