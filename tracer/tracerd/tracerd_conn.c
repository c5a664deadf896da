/*
 * tracerd's connections (tracerd_int.h): handshakes bounded in time and
 * number apart from the callers they let in, idle and slow clients closed,
 * refused handshakes logged.
 *
 * evhttp gives no hook when a connection ends, but it frees the
 * connection's bufferevent and so its SSL object: an ex_data slot on the
 * SSL with a free function is the record's end.  The SSL object's info
 * callback says when the handshake completed (the client's certificate
 * then verified: the caller is authenticated) and which fatal alert it
 * sent; its verify callback why a certificate was refused.
 *
 * A connection in its TLS handshake counts toward max_handshakes, not
 * max_connections: a flood of connections that never start TLS, or stop
 * half-way, cannot take the places of authenticated callers.  It has
 * handshake_timeout seconds to complete; and when a new one would make
 * more than max_handshakes, one already waiting is closed: the oldest that
 * has not yet sent a whole ClientHello, else the oldest, never the new one
 * (a caller's handshake takes a round trip or two; a connection still in
 * its handshake after many newer ones arrived is the likelier attacker).
 * Authenticated connections count toward max_connections; one more is made
 * room for by closing the connection idle (no call in flight) the longest,
 * else it is closed itself.
 *
 * evhttp's own timeout (header_timeout) bounds each read; a client that
 * keeps a connection without completing a request, by sending a byte now
 * and then or nothing at all, is closed here after idle_timeout, as is a
 * keep-alive connection left idle.  The close goes through evhttp: an
 * end-of-file event on the bufferevent, as if the client had closed.
 *
 * Every handshake that ends without an authenticated caller is logged,
 * "event=tls-refused peer=ADDR:PORT reason=R", R one of no-certificate,
 * unknown-ca, expired, not-yet-valid, revoked, bad-certificate,
 * protocol-error, timeout, shed (closed to make room) or closed (by the
 * peer), at most handshake_log_rate lines a second; the lines left out are
 * counted in "event=tls-refused suppressed=K" (every reason is counted in
 * the metric tracerd_tls_refused_total too).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tracerd_int.h"

struct conn_list;

struct trd_conn {
	struct trd_daemon *d;
	struct bufferevent *bev;	/* NULL once freed */
	SSL *ssl;			/* NULL once freed */
	struct event *timer;
	time_t last;			/* authenticated, or the last answer */
	int pending;			/* calls not yet answered */
	int authenticated;		/* the handshake completed */
	int closing;			/* a close was asked for */
	int armed;			/* the handshake's deadline is set */
	const char *reason;		/* why the handshake failed, or NULL */
	char detail[96];		/* more of it, or "" */
	char peer[64];			/* "ADDR:PORT", or "" until known */
	struct timespec t0;		/* opened */
	/* In handshaking or authenticated while neither freed nor closing. */
	struct conn_list *list;
	struct trd_conn *prev, *next;
};

/* Connections by the order they joined, oldest first. */
struct conn_list {
	struct trd_conn *head, *tail;
	long n;
};

static int conn_index = -1;
static struct conn_list handshaking, authenticated;

/* The refusals' log lines this second, and those left out. */
static struct {
	time_t second;
	int lines;
	long suppressed;
	struct event *flush;
} refusals;

static void
list_add(struct conn_list *l, struct trd_conn *conn)
{
	conn->list = l;
	conn->next = NULL;
	conn->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = conn;
	else
		l->head = conn;
	l->tail = conn;
	l->n++;
}

static void
list_remove(struct trd_conn *conn)
{
	struct conn_list *l = conn->list;

	if (l == NULL)
		return;
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		l->head = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	else
		l->tail = conn->prev;
	l->n--;
	conn->list = NULL;
	conn->prev = conn->next = NULL;
}

static void
conn_free(struct trd_conn *conn)
{
	if (conn->timer != NULL)
		event_free(conn->timer);
	free(conn);
}

/* Remembers the peer's address of socket fd, once. */
static void
conn_peer(struct trd_conn *conn, evutil_socket_t fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	if (conn->peer[0] != '\0' || fd < 0 ||
	    getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		if (inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)) != NULL)
			snprintf(conn->peer, sizeof(conn->peer), "%s:%u", host,
			    (unsigned)ntohs(sin->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host)) != NULL)
			snprintf(conn->peer, sizeof(conn->peer), "[%s]:%u", host,
			    (unsigned)ntohs(sin6->sin6_port));
	}
}

static void
flush_suppressed(void)
{
	if (refusals.suppressed > 0)
		trd_logline("event=tls-refused suppressed=%ld", refusals.suppressed);
	refusals.suppressed = 0;
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	flush_suppressed();
}

/* Logs, within the rate, and counts a handshake that let no caller in. */
static void
log_refusal(struct trd_daemon *d, struct trd_conn *conn)
{
	time_t now = time(NULL);
	struct timespec t1;
	const char *reason;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (long)(t1.tv_sec - conn->t0.tv_sec) * 1000 +
	    (t1.tv_nsec - conn->t0.tv_nsec) / 1000000;
	/* Closed with no reason of its own: by the peer, or by evhttp's read
	 * timeout (header_timeout) when it is the shorter. */
	reason = conn->reason != NULL ? conn->reason :
	    ms >= (long)d->cf.header_timeout * 1000 ? "timeout" : "closed";
	trd_count(d, "tracerd_tls_refused_total", "TLS handshakes that let no "
	    "caller in, by reason.", "reason", reason);
	if (now != refusals.second) {
		flush_suppressed();
		refusals.second = now;
		refusals.lines = 0;
	}
	if (refusals.lines >= d->cf.handshake_log_rate) {
		struct timeval tv = { 1, 0 };

		refusals.suppressed++;
		if (refusals.flush == NULL)
			refusals.flush = evtimer_new(d->base, on_flush, NULL);
		if (refusals.flush != NULL && !evtimer_pending(refusals.flush, NULL))
			evtimer_add(refusals.flush, &tv);
		return;
	}
	refusals.lines++;
	/* The detail is OpenSSL's static text, quoted as it is. */
	trd_logline("event=tls-refused peer=%s reason=%s ms=%ld%s%s%s",
	    conn->peer[0] != '\0' ? conn->peer : "-", reason, ms,
	    conn->detail[0] != '\0' ? " detail=\"" : "", conn->detail,
	    conn->detail[0] != '\0' ? "\"" : "");
}

/* The SSL object is being freed, and with it the connection. */
static void
on_ssl_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	struct trd_conn *conn = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (conn == NULL)
		return;
	list_remove(conn);
	conn->d->connections--;
	if (!conn->authenticated && !conn->d->stopping)
		log_refusal(conn->d, conn);
	conn->bev = NULL;
	conn->ssl = NULL;
	if (conn->timer != NULL)
		event_del(conn->timer);
	if (conn->pending == 0)
		conn_free(conn);
}

/* Closes an authenticated connection, with a log line. */
static void
close_conn(struct trd_conn *conn, const char *why)
{
	trd_log_event("close", NULL, NULL, why);
	conn->closing = 1;
	list_remove(conn);
	bufferevent_trigger_event(conn->bev, BEV_EVENT_EOF | BEV_EVENT_READING,
	    BEV_TRIG_DEFER_CALLBACKS);
}

/* Ends a handshake for reason (unless it has one), logged when the
 * connection is freed. */
static void
shed(struct trd_conn *conn, const char *reason)
{
	conn_peer(conn, bufferevent_getfd(conn->bev));
	if (conn->reason == NULL)
		conn->reason = reason;
	conn->closing = 1;
	list_remove(conn);
	bufferevent_trigger_event(conn->bev, BEV_EVENT_EOF | BEV_EVENT_READING,
	    BEV_TRIG_DEFER_CALLBACKS);
}

/* Whether the connection has not yet sent a whole ClientHello. */
static int
stalled(const struct trd_conn *conn)
{
	OSSL_HANDSHAKE_STATE st = SSL_get_state(conn->ssl);

	return st == TLS_ST_BEFORE || st == TLS_ST_SR_CLNT_HELLO;
}

/* Over max_handshakes with newest just opened: another closed. */
static void
shed_handshake(struct trd_conn *newest)
{
	struct trd_conn *c, *victim = NULL;

	for (c = handshaking.head; c != NULL; c = c->next)
		if (c != newest && stalled(c)) {
			victim = c;
			break;
		}
	/* Never the newest: evhttp has not yet given its bufferevent the
	 * callbacks that would close it.  With more than max_handshakes (at
	 * least 1) there is another. */
	if (victim == NULL)
		victim = handshaking.head != newest ? handshaking.head : newest->next;
	if (victim != NULL)
		shed(victim, "shed");
}

static void
arm(struct trd_conn *conn, long seconds)
{
	struct timeval tv = { seconds, 0 };

	event_add(conn->timer, &tv);
}

/* The handshake completed: the caller's certificate verified. */
static void
on_authenticated(struct trd_conn *conn)
{
	struct trd_daemon *d = conn->d;
	struct trd_conn *c, *victim = NULL;

	if (conn->authenticated || conn->closing)
		return;
	list_remove(conn);
	conn->authenticated = 1;
	conn->last = time(NULL);
	list_add(&authenticated, conn);
	arm(conn, d->cf.idle_timeout);
	if (authenticated.n <= d->cf.max_connections)
		return;
	/* Room made by the connection idle the longest, else none. */
	for (c = authenticated.head; c != NULL; c = c->next)
		if (c != conn && c->pending == 0 &&
		    (victim == NULL || c->last < victim->last))
			victim = c;
	close_conn(victim != NULL ? victim : conn, victim != NULL ?
	    "idle, closed for a new caller over max_connections" :
	    "over max_connections");
}

/* Why a certificate was refused, from its verification error. */
static const char *
verify_reason(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "not-yet-valid";
	case X509_V_ERR_CERT_REVOKED:
		return "revoked";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return "unknown-ca";
	default:
		return "bad-certificate";
	}
}

/* OpenSSL's verdict on each certificate of the client's chain, kept. */
static int
on_verify(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct trd_conn *conn = ssl != NULL ? SSL_get_ex_data(ssl, conn_index) : NULL;
	int e;

	if (!ok && conn != NULL && conn->reason == NULL) {
		e = X509_STORE_CTX_get_error(xs);
		conn->reason = verify_reason(e);
		snprintf(conn->detail, sizeof(conn->detail), "%s",
		    X509_verify_cert_error_string(e));
	}
	return ok;
}

static void
on_info(const SSL *ssl, int where, int ret)
{
	struct trd_conn *conn = SSL_get_ex_data(ssl, conn_index);
	/* A fatal error is queued before its alert is sent; as for
	 * SSL_get_error(), the queue is empty otherwise.  It stays queued for
	 * the bufferevent. */
	unsigned long e = ERR_peek_error();
	const char *text = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (conn == NULL || conn->bev == NULL)
		return;
	conn_peer(conn, SSL_get_fd(ssl));
	if (where & SSL_CB_HANDSHAKE_DONE) {
		on_authenticated(conn);
		return;
	}
	if (conn->authenticated || conn->reason != NULL)
		return;
	if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING &&
	    ((where & SSL_CB_WRITE_ALERT) == SSL_CB_WRITE_ALERT ||
	    where == SSL_CB_ACCEPT_EXIT)) {
		conn->reason = "closed";	/* by the peer, half-way */
	} else if ((where & SSL_CB_WRITE_ALERT) == SSL_CB_WRITE_ALERT &&
	    (ret >> 8) == SSL3_AL_FATAL) {
		if ((ret & 0xff) == SSL_AD_CERTIFICATE_REQUIRED) {
			conn->reason = "no-certificate";
		} else {
			conn->reason = "protocol-error";
			snprintf(conn->detail, sizeof(conn->detail), "alert %s%s%s",
			    SSL_alert_desc_string_long(ret), text ? ": " : "",
			    text ? text : "");
		}
	} else if (where == SSL_CB_ACCEPT_EXIT && ret <= 0 && e != 0) {
		/* Fatal, with no alert sent (bytes that are not TLS). */
		conn->reason = "protocol-error";
		snprintf(conn->detail, sizeof(conn->detail), "%s",
		    text != NULL ? text : "fatal TLS error");
	}
}

int
trd_conn_init(reg_error *err)
{
	if (conn_index < 0)
		conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, on_ssl_free);
	if (conn_index < 0)
		return tr__fail(err, REG_ECRYPTO, "cannot register connection data");
	return 0;
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct trd_conn *conn = arg;
	struct trd_daemon *d = conn->d;
	time_t now = time(NULL);
	long s;

	(void)fd;
	(void)what;
	if (conn->bev == NULL || conn->closing)
		return;
	if (!conn->authenticated && !conn->armed) {
		/* The first turn of the loop: evhttp has given the bufferevent
		 * its socket, whose peer the log will name. */
		conn->armed = 1;
		conn_peer(conn, bufferevent_getfd(conn->bev));
		arm(conn, d->cf.handshake_timeout);
		return;
	}
	if (!conn->authenticated) {
		shed(conn, "timeout");
		return;
	}
	if (conn->pending == 0 && now - conn->last >= d->cf.idle_timeout) {
		close_conn(conn, "idle or incomplete request past idle_timeout");
		return;
	}
	s = conn->pending > 0 ? d->cf.idle_timeout :
	    conn->last + d->cf.idle_timeout - now;
	arm(conn, s < 1 ? 1 : s);
}

void
trd_conn_open(struct trd_daemon *d, struct bufferevent *bev, SSL *ssl)
{
	struct trd_conn *conn = calloc(1, sizeof(*conn));

	if (conn == NULL)
		return;
	conn->d = d;
	conn->bev = bev;
	conn->ssl = ssl;
	conn->last = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &conn->t0);
	if ((conn->timer = evtimer_new(bufferevent_get_base(bev), on_timer, conn)) == NULL ||
	    SSL_set_ex_data(ssl, conn_index, conn) != 1) {
		conn_free(conn);
		return;
	}
	SSL_set_info_callback(ssl, on_info);
	SSL_set_verify(ssl, SSL_get_verify_mode(ssl), on_verify);
	d->connections++;
	list_add(&handshaking, conn);
	arm(conn, 0);
	if (handshaking.n > d->cf.max_handshakes)
		shed_handshake(conn);
}

struct trd_conn *
trd_conn_hold(SSL *ssl)
{
	struct trd_conn *conn = SSL_get_ex_data(ssl, conn_index);

	if (conn != NULL)
		conn->pending++;
	return conn;
}

void
trd_conn_release(struct trd_conn *conn)
{
	if (conn == NULL)
		return;
	conn->pending--;
	conn->last = time(NULL);
	if (conn->bev == NULL && conn->pending == 0)
		conn_free(conn);
}
