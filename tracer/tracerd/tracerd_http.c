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
 * own refusals (HTML pages) are then never reached.  The parsing itself
 * is tracerd_http_read.c's (tracerd_http_int.h), which the fuzzer
 * tests/fuzz/fuzz_http.c drives from a buffer; this file is the
 * connection: its timers, its answers and its close.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tracerd_http_int.h"
#include "tracerd_int.h"

#define LINGER_BYTES (4L << 20)		/* dropped after a refusal, at most */
#define REFUSED TRD_HTTP_REFUSED

struct trd_http {
	struct trd_daemon *d;
	struct bufferevent *filter;	/* what evhttp holds */
	struct bufferevent *tls;	/* the TLS bufferevent under it */
	struct trd_http_reader rd;	/* the parsing (tracerd_http_read.c) */
	struct event *timer;		/* the deadline, or the refusal's steps */
	struct event *kick;		/* flushes evhttp's output (below) */
	int outstanding;		/* requests passed, not yet answered */
	int status;			/* the refusal's */
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

	if (proto_problem_type(h->rd.name, &status, &title) != 0)
		title = "Bad request";
	if (p != NULL) {
		char type[96];

		snprintf(type, sizeof(type), PROTO_PROBLEM_URN "%s", h->rd.name);
		p->type = strdup(type);
		p->title = strdup(title);
		p->status = status;
		p->detail = strdup(h->rd.detail);
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
	trd_log_event("http", NULL, h->rd.name, h->rd.detail);
	tr__metrics_request(h->d->metrics, "other", status, 0);
	h->phase = 1;
	arm(h, 0, 20);
}

/* The first fault (the reader's, or the deadline's): nothing more is read
 * as a request, and the refusal follows the answers before it. */
static void
refuse(struct trd_http *h, const char *name, const char *detail)
{
	if (h->rd.state == REFUSED)
		return;
	trd__http_refuse(&h->rd, name, detail);
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
	if (h->rd.state == REFUSED && h->phase == 0 && h->outstanding == 0) {
		if (h->rd.name != NULL) {
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
	if (h->rd.state != REFUSED) {
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

static enum bufferevent_filter_result
filter_in(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct trd_http *h = arg;
	size_t n = evbuffer_get_length(src);
	int refused;

	(void)limit;
	(void)mode;
	if (n == 0)
		return BEV_NEED_MORE;
	if (h->rd.state == REFUSED) {
		evbuffer_drain(src, n);
		h->dropped += (long)n;
		if (h->dropped > LINGER_BYTES && h->phase == 2)
			close_now(h);
		return BEV_OK;
	}
	refused = trd__http_read(&h->rd, src, dst) < 0;
	h->outstanding += h->rd.completed;
	switch (h->rd.timer) {
	case TRD_HTTP_TIMER_KEEP:
		break;
	case TRD_HTTP_TIMER_START:
		if (!evtimer_pending(h->timer, NULL))
			arm(h, h->d->cf.header_timeout, 0);
		break;
	case TRD_HTTP_TIMER_RESTART:
		arm(h, h->d->cf.header_timeout, 0);
		break;
	case TRD_HTTP_TIMER_STOP:
		evtimer_del(h->timer);
		break;
	}
	if (refused)
		event_active(h->kick, EV_TIMEOUT, 0);
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
	trd__http_reader_clear(&h->rd);
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
	if (trd__http_reader_init(&h->rd, (uint64_t)d->cf.body_max) != 0 ||
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
	if (--h->outstanding == 0 && h->rd.state == REFUSED && h->phase == 0)
		event_active(h->kick, EV_TIMEOUT, 0);
}
