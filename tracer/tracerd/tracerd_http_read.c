/*
 * tracerd's HTTP/1.1 reader (tracerd_http_int.h): the parsing half of the
 * strict framing in front of evhttp (tracerd_http.c has the connection).
 * It takes a connection's bytes as they come and passes on only whole
 * header sections it finds sound under RFC 9112, then exactly the body
 * their framing announces; the first fault stops it for good, with the
 * problem type and detail of the refusal.  It keeps no time and writes
 * nothing to the client: it tells the connection what to do with its
 * deadline (r->timer) and how many requests it passed whole
 * (r->completed), so that the daemon and tests/fuzz/fuzz_http.c run the
 * same functions over the same bytes.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "common/hex.h"
#include "tracerd_http_int.h"

/* ------------------------------------------------------------ state */

int
trd__http_reader_init(struct trd_http_reader *r, uint64_t body_max)
{
	memset(r, 0, sizeof(*r));
	r->body_max = body_max;
	r->state = TRD_HTTP_HEAD;
	if ((r->raw = evbuffer_new()) == NULL)
		return -1;
	return 0;
}

void
trd__http_reader_clear(struct trd_http_reader *r)
{
	if (r->raw != NULL)
		evbuffer_free(r->raw);
	r->raw = NULL;
}

/* The deadline after op, following what the read has done to it so far:
 * a start after a stop or a restart is a restart. */
static void
set_timer(struct trd_http_reader *r, enum trd_http_timer op)
{
	if (op == TRD_HTTP_TIMER_START && (r->timer == TRD_HTTP_TIMER_RESTART ||
	    r->timer == TRD_HTTP_TIMER_STOP))
		op = TRD_HTTP_TIMER_RESTART;
	r->timer = op;
}

/* The first fault: nothing more is read as a request. */
void
trd__http_refuse(struct trd_http_reader *r, const char *name, const char *detail)
{
	if (r->state == TRD_HTTP_REFUSED)
		return;
	r->state = TRD_HTTP_REFUSED;
	r->name = name;
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
	evbuffer_drain(r->raw, evbuffer_get_length(r->raw));
	r->timer = TRD_HTTP_TIMER_STOP;
}

/* ------------------------------------------------------------ parsing */

static int
tchar(int c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The value of a hex digit in either case, or -1. */
static int
hexval(int c)
{
	return cm_hex_digit(c, CM_HEX_ANYCASE);
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
request_line(struct trd_http_reader *r, const char *s, size_t n,
    struct framing *f)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT",
		"DELETE", "OPTIONS", "PATCH", NULL };
	size_t m = 0, t, i;
	char method[16];
	int known = 0;

	while (m < n && tchar((unsigned char)s[m]))
		m++;
	if (m == 0 || m >= n || s[m] != ' ') {
		trd__http_refuse(r, "bad-request", "the request line is not "
		    "METHOD SP TARGET SP HTTP/1.1");
		return -1;
	}
	snprintf(method, sizeof(method), "%.*s", (int)(m < 15 ? m : 15), s);
	for (i = 0; methods[i] != NULL; i++)
		if (m == strlen(methods[i]) && memcmp(s, methods[i], m) == 0)
			known = 1;
	if (!known) {
		trd__http_refuse(r, "not-implemented", "this method is not "
		    "implemented");
		return -1;
	}
	f->head = strcmp(method, "HEAD") == 0;
	t = m + 1;
	if (n - t < 10 || s[t] != '/' || (n - t > 1 && s[t + 1] == '/')) {
		trd__http_refuse(r, "bad-request", "the request target is not "
		    "a path");
		return -1;
	}
	for (i = t; i < n && s[i] != ' '; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0 ||
			    (s[i + 1] == '0' && s[i + 2] == '0')) {
				trd__http_refuse(r, "bad-request", "the request target "
				    "has a malformed escape or an escaped NUL");
				return -1;
			}
			continue;
		}
		if (!isalnum(c) && strchr("-._~!$&'()*+,;=:@/?", c) == NULL) {
			trd__http_refuse(r, "bad-request", "the request target has "
			    "a character RFC 3986 does not allow");
			return -1;
		}
	}
	if (n - i == 9 && memcmp(s + i, " HTTP/1.1", 9) == 0)
		return 0;
	if (n - i == 9 && memcmp(s + i, " HTTP/1.0", 9) == 0) {
		f->http10 = 1;
		return 0;
	}
	trd__http_refuse(r, "bad-request", "the request line does not end in "
	    "HTTP/1.1");
	return -1;
}

/* One field line "name: value" (no CR or LF in it). */
static int
field_line(struct trd_http_reader *r, const char *s, size_t n,
    struct framing *f)
{
	size_t k = 0, v, e, i;

	if (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
		trd__http_refuse(r, "bad-request", "obsolete line folding in the "
		    "header");
		return -1;
	}
	while (k < n && tchar((unsigned char)s[k]))
		k++;
	if (k == 0 || k >= n || s[k] != ':') {
		trd__http_refuse(r, "bad-request", "a header line is not NAME: "
		    "VALUE (no space before the colon)");
		return -1;
	}
	for (i = k + 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != '\t' && (c < ' ' || c == 0x7f)) {
			trd__http_refuse(r, "bad-request", "a control character "
			    "(NUL, CR, LF, ...) in a header value");
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
			trd__http_refuse(r, "bad-request", "Content-Length is not 1 "
			    "to 18 digits");
			return -1;
		}
		f->length = 0;
		for (i = v; i < e; i++) {
			if (s[i] < '0' || s[i] > '9') {
				trd__http_refuse(r, "bad-request", "Content-Length is "
				    "not digits only");
				return -1;
			}
			f->length = f->length * 10 + (uint64_t)(s[i] - '0');
		}
	} else if (NAME_IS("Transfer-Encoding")) {
		f->n_te++;
		if (VALUE_IS("chunked"))
			f->chunked = 1;
		else if (e == v) {
			trd__http_refuse(r, "bad-request", "Transfer-Encoding is "
			    "empty");
			return -1;
		} else {
			trd__http_refuse(r, "not-implemented", "the only transfer "
			    "coding implemented is chunked, alone");
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
			trd__http_refuse(r, "bad-request", "the only expectation "
			    "met is 100-continue");
			return -1;
		}
	}
#undef NAME_IS
#undef VALUE_IS
	return 0;
}

/* A whole header section s[0..n) (its final CRLF CRLF included). */
static int
header_section(struct trd_http_reader *r, const char *s, size_t n,
    struct framing *f)
{
	size_t i, line = 0;
	int first = 1;

	memset(f, 0, sizeof(*f));
	n -= 2;				/* the empty line's CRLF */
	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
			if ((first ? request_line(r, s + line, i - line, f) :
			    field_line(r, s + line, i - line, f)) != 0)
				return -1;
			first = 0;
			line = i + 2;
			i++;
		} else if (s[i] == '\r' || s[i] == '\n') {
			trd__http_refuse(r, "bad-request", "a bare CR or LF in the "
			    "header (lines end in CRLF)");
			return -1;
		}
	}
	if (f->http10)
		f->close = 1;
	if (f->n_length > 1 || f->n_te > 1) {
		trd__http_refuse(r, "bad-request", "Content-Length or "
		    "Transfer-Encoding given twice");
		return -1;
	}
	if (f->n_length && f->n_te) {
		trd__http_refuse(r, "bad-request", "both Content-Length and "
		    "Transfer-Encoding");
		return -1;
	}
	if (f->n_te && f->http10) {
		trd__http_refuse(r, "bad-request", "Transfer-Encoding in an "
		    "HTTP/1.0 request");
		return -1;
	}
	if (f->n_host > 1 || (f->n_host == 0 && !f->http10)) {
		trd__http_refuse(r, "bad-request", "an HTTP/1.1 request has one "
		    "Host header");
		return -1;
	}
	if (f->n_expect > 1) {
		trd__http_refuse(r, "bad-request", "Expect given twice");
		return -1;
	}
	if (f->head && (f->n_te || f->length > 0)) {
		trd__http_refuse(r, "bad-request", "a HEAD request has no body");
		return -1;
	}
	if (f->length > r->body_max) {
		trd__http_refuse(r, "payload-too-large", "the body is longer than "
		    "the limit");
		return -1;
	}
	return 0;
}

/*
 * Passes on a sound header section.  evhttp frees a connection to be
 * closed as soon as its answer has left the filter, before the TLS
 * bufferevent has sent it, and shuts the socket down under it: so evhttp
 * never sees "Connection: close" or HTTP/1.0, and the close after the
 * answer is made by the connection (r->close_after), as after a refusal.
 */
static void
pass_head(struct trd_http_reader *r, const char *s, size_t n,
    const struct framing *f, struct evbuffer *dst)
{
	size_t i, line = 0;
	int first = 1;

	if (!f->close) {
		evbuffer_remove_buffer(r->raw, dst, n);
		return;
	}
	r->close_after = 1;
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
	evbuffer_drain(r->raw, n);
}

/* A request passed on whole: evhttp has it to answer. */
static void
complete(struct trd_http_reader *r)
{
	r->completed++;
	r->state = TRD_HTTP_HEAD;
	set_timer(r, TRD_HTTP_TIMER_STOP);
	if (r->close_after) {
		/* Nothing after it is read; closed once answered. */
		r->state = TRD_HTTP_REFUSED;
		r->name = NULL;
		evbuffer_drain(r->raw, evbuffer_get_length(r->raw));
	}
}

/* The end of a part of a request: the request is whole when the part is
 * its last (state last), else the reader goes on to state next. */
static void
part_done(struct trd_http_reader *r, enum trd_http_state last,
    enum trd_http_state next)
{
	if (r->state == last)
		complete(r);
	else
		r->state = next;
}

/* A header section in r->raw (have bytes), checked and passed on; the
 * state the framing announces comes next.  Returns as step() does. */
static int
step_head(struct trd_http_reader *r, struct evbuffer *dst, size_t have)
{
	struct evbuffer_ptr p;
	struct framing f;
	unsigned char *s;
	size_t n;

	if (have == 0)
		return 0;
	set_timer(r, TRD_HTTP_TIMER_START);
	p = evbuffer_search(r->raw, "\r\n\r\n", 4, NULL);
	if (p.pos < 0) {
		if (have > TRD_HTTP_HEAD_MAX) {
			trd__http_refuse(r, "bad-request", "the header section "
			    "is over 16 KiB");
			return -1;
		}
		return 0;
	}
	n = (size_t)p.pos + 4;
	if (n > TRD_HTTP_HEAD_MAX) {
		trd__http_refuse(r, "bad-request", "the header section is "
		    "over 16 KiB");
		return -1;
	}
	if ((s = evbuffer_pullup(r->raw, (ev_ssize_t)n)) == NULL) {
		trd__http_refuse(r, "bad-request", "out of memory");
		return -1;
	}
	if (memchr(s, '\0', n) != NULL) {
		trd__http_refuse(r, "bad-request", "a NUL in the header");
		return -1;
	}
	if (header_section(r, (const char *)s, n, &f) != 0)
		return -1;
	pass_head(r, (const char *)s, n, &f, dst);
	if (f.chunked) {
		r->state = TRD_HTTP_CHUNK_SIZE;
		r->body = 0;
		set_timer(r, TRD_HTTP_TIMER_RESTART);
	} else if (f.length > 0) {
		r->state = TRD_HTTP_BODY;
		r->left = f.length;
		set_timer(r, TRD_HTTP_TIMER_RESTART);
	} else {
		complete(r);
	}
	return 1;
}

/* The bytes of a body or of a chunk's data, as many as have come. */
static int
step_data(struct trd_http_reader *r, struct evbuffer *dst, size_t have)
{
	size_t n;

	if (have == 0)
		return 0;
	n = have < r->left ? have : (size_t)r->left;
	evbuffer_remove_buffer(r->raw, dst, n);
	r->left -= n;
	set_timer(r, TRD_HTTP_TIMER_RESTART);
	if (r->left == 0)
		part_done(r, TRD_HTTP_BODY, TRD_HTTP_CHUNK_END);
	return 1;
}

/* A chunk's size line: hex digits and CRLF, no extensions. */
static int
step_chunk_size(struct trd_http_reader *r, struct evbuffer *dst, size_t have)
{
	struct evbuffer_ptr p;
	char line[24];
	uint64_t size;
	size_t n;

	p = evbuffer_search(r->raw, "\r\n", 2, NULL);
	if (p.pos < 0 || p.pos > 16) {
		if (have > 18 || p.pos > 16) {
			trd__http_refuse(r, "bad-request", "a chunk size is not "
			    "1 to 16 hex digits (no extensions)");
			return -1;
		}
		return 0;
	}
	n = (size_t)p.pos;
	evbuffer_copyout(r->raw, line, n);
	if (n == 0) {
		trd__http_refuse(r, "bad-request", "a chunk size is empty");
		return -1;
	}
	size = 0;
	for (size_t i = 0; i < n; i++) {
		if (hexval(line[i]) < 0) {
			trd__http_refuse(r, "bad-request", "a chunk size is not "
			    "hex digits only (no extensions)");
			return -1;
		}
		if (size > r->body_max) {
			trd__http_refuse(r, "payload-too-large", "the body is "
			    "longer than the limit");
			return -1;
		}
		size = size * 16 + (uint64_t)hexval(line[i]);
	}
	r->body += size;
	if (size > r->body_max || r->body > r->body_max) {
		trd__http_refuse(r, "payload-too-large", "the body is longer "
		    "than the limit");
		return -1;
	}
	evbuffer_remove_buffer(r->raw, dst, n + 2);
	r->state = size == 0 ? TRD_HTTP_TRAILER : TRD_HTTP_CHUNK_DATA;
	r->left = size;
	return 1;
}

/* The CRLF after a chunk's data, or the empty trailer after the last. */
static int
step_crlf(struct trd_http_reader *r, struct evbuffer *dst, size_t have)
{
	char line[2];

	if (have < 2)
		return 0;
	evbuffer_copyout(r->raw, line, 2);
	if (line[0] != '\r' || line[1] != '\n') {
		trd__http_refuse(r, "bad-request", r->state == TRD_HTTP_TRAILER ?
		    "trailer fields are not taken" : "a chunk's data is not "
		    "followed by CRLF");
		return -1;
	}
	evbuffer_remove_buffer(r->raw, dst, 2);
	part_done(r, TRD_HTTP_TRAILER, TRD_HTTP_CHUNK_SIZE);
	return 1;
}

/* Passes on what of r->raw is sound; 0 when it needs more bytes, 1 when
 * it made progress, -1 when it refused. */
static int
step(struct trd_http_reader *r, struct evbuffer *dst)
{
	size_t have = evbuffer_get_length(r->raw);

	switch (r->state) {
	case TRD_HTTP_HEAD:
		return step_head(r, dst, have);
	case TRD_HTTP_BODY:
	case TRD_HTTP_CHUNK_DATA:
		return step_data(r, dst, have);
	case TRD_HTTP_CHUNK_SIZE:
		return step_chunk_size(r, dst, have);
	case TRD_HTTP_CHUNK_END:
	case TRD_HTTP_TRAILER:
		return step_crlf(r, dst, have);
	case TRD_HTTP_REFUSED:
		break;
	}
	return -1;
}

int
trd__http_read(struct trd_http_reader *r, struct evbuffer *src,
    struct evbuffer *dst)
{
	int s = 0;

	r->timer = TRD_HTTP_TIMER_KEEP;
	r->completed = 0;
	if (r->state == TRD_HTTP_REFUSED)
		return 0;
	evbuffer_add_buffer(r->raw, src);
	while (r->state != TRD_HTTP_REFUSED && (s = step(r, dst)) > 0)
		;
	return s < 0 ? -1 : 0;
}
