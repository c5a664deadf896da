/*
 * tracerd's connections (tracerd_int.h): idle and slow clients closed,
 * the number open bounded.
 *
 * evhttp gives no hook when a connection ends, but it frees the
 * connection's bufferevent and so its SSL object: an ex_data slot on the
 * SSL with a free function is the record's end.  evhttp's own timeout
 * (header_timeout) bounds each read; a client that keeps a connection
 * without completing a request, by sending a byte now and then or nothing
 * at all, is closed here after idle_timeout, as is a keep-alive
 * connection left idle.  The close goes through evhttp: an end-of-file
 * event on the bufferevent, as if the client had closed.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include <openssl/ssl.h>

#include "tracerd_int.h"

struct trd_conn {
	struct trd_daemon *d;
	struct bufferevent *bev;	/* NULL once freed */
	struct event *timer;
	time_t last;			/* opened, or the last answer */
	int pending;			/* calls not yet answered */
};

static int conn_index = -1;

static void
conn_free(struct trd_conn *conn)
{
	if (conn->timer != NULL)
		event_free(conn->timer);
	free(conn);
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
	conn->d->connections--;
	conn->bev = NULL;
	if (conn->timer != NULL)
		event_del(conn->timer);
	if (conn->pending == 0)
		conn_free(conn);
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
close_conn(struct trd_conn *conn, const char *why)
{
	trd_log_event("close", NULL, NULL, why);
	bufferevent_trigger_event(conn->bev, BEV_EVENT_EOF | BEV_EVENT_READING,
	    BEV_TRIG_DEFER_CALLBACKS);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct trd_conn *conn = arg;
	struct trd_daemon *d = conn->d;
	time_t now = time(NULL);
	struct timeval tv = { 1, 0 };

	(void)fd;
	(void)what;
	if (conn->bev == NULL)
		return;
	if (d->connections > d->cf.max_connections) {
		close_conn(conn, "over max_connections");
		return;
	}
	if (conn->pending == 0 && now - conn->last >= d->cf.idle_timeout) {
		close_conn(conn, "idle or incomplete request past idle_timeout");
		return;
	}
	tv.tv_sec = conn->pending > 0 ? d->cf.idle_timeout :
	    conn->last + d->cf.idle_timeout - now;
	if (tv.tv_sec < 1)
		tv.tv_sec = 1;
	event_add(conn->timer, &tv);
}

void
trd_conn_open(struct trd_daemon *d, struct bufferevent *bev, SSL *ssl)
{
	struct trd_conn *conn = calloc(1, sizeof(*conn));
	struct timeval tv = { d->cf.idle_timeout, 0 };

	if (conn == NULL)
		return;
	conn->d = d;
	conn->bev = bev;
	conn->last = time(NULL);
	if ((conn->timer = evtimer_new(bufferevent_get_base(bev), on_timer, conn)) == NULL ||
	    SSL_set_ex_data(ssl, conn_index, conn) != 1) {
		conn_free(conn);
		return;
	}
	d->connections++;
	/* Over the limit: closed as soon as the loop turns. */
	if (d->connections > d->cf.max_connections)
		tv.tv_sec = 0;
	event_add(conn->timer, &tv);
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
