/*
 * Benchmark of tracerd (make bench), the daemon as a peer State meets it:
 * HTTP/1.1 over TLS 1.3 with a client certificate, on loopback, against a
 * registry of BENCH_TRACERD_WEAPONS weapons (default 1,000,000) of the
 * corpus that tests/gen_corpus.py generates.
 *
 *  - BENCH_TRACERD_CLIENTS clients (default 2), each a thread with one
 *    keep-alive TLS connection, trace exact serials of weapons sampled from
 *    the registry (as bench_trace's exact traces): POST /v1/traces a signed
 *    request with a fresh id, then GET /v1/traces/{id} until the answer is
 *    the signed trace-response/1: held by the daemon until the answer is
 *    written (?wait=10), or, with BENCH_TRACERD_POLL_US > 0, asked again
 *    after sleeping that long.  After BENCH_TRACERD_WARMUP
 *    seconds (default 3), the traces begun and answered within
 *    BENCH_TRACERD_SECONDS (default 20) are counted: traces a second,
 *    against pgbench -S -M prepared with as many clients on the same
 *    server just before (target ratio >= 0.3); the acknowledgement's
 *    latency (POST sent to 202 read) and the whole trace's, median and 99th
 *    percentile.  Every acknowledgement and answer must be a JWS of the
 *    right type; every 100th of each is verified with the daemon's key and
 *    checked against its request.  Any failure makes the run fail.
 *  - The ceiling that the signatures alone put on that ratio: a trace's
 *    Ed25519 signs and verifies (signature_floor()) timed on one core in
 *    the same run, times the cores, against the same pgbench figure.
 *  - The daemon's resident memory (VmRSS) before and after 1,000 more TLS
 *    connections, each after one GET /healthz and then left idle.
 *
 * The daemon runs with [workers] pool = BENCH_TRACERD_POOL (default 4) and
 * traces = BENCH_TRACERD_TRACES (default 2); tracerd_setup.sh writes its
 * PKI, keys, peers directory and configuration.  A quick run:
 * BENCH_TRACERD_WEAPONS=20000 BENCH_TRACERD_SECONDS=5.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "benchutil.h"

#define SAMPLE 2000		/* weapons sampled for exact traces */
#define VERIFY_EVERY 100	/* acknowledgements and answers verified */
#define IDLE_CONNS 1000		/* connections of the memory figure */
#define TRACE_TIMEOUT 30.0	/* seconds a trace may take to be answered */
#define HEALTHZ 500		/* round trips of GET /healthz timed */

static pid_t daemon_pid;
static char daemon_log[4400];

/* Ends the daemon and shows the end of its log (bench_die()). */
static void
daemon_kill(void)
{
	char cmd[4500];

	if (daemon_pid <= 0)
		return;
	kill(daemon_pid, SIGKILL);
	waitpid(daemon_pid, NULL, 0);
	daemon_pid = 0;
	fprintf(stderr, "%s: the end of the daemon's log, %s:\n", bench_prog,
	    daemon_log);
	snprintf(cmd, sizeof(cmd), "tail -n 20 '%s' >&2", daemon_log);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: cannot show it\n", bench_prog);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (f == NULL)
		bench_die(path, "cannot open");
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n)
		bench_die(path, "cannot read");
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static proto_jws_key *
jws_key(const char *path, const char *kid)
{
	proto_error perr = PROTO_ERROR_INIT;
	proto_jws_key *k = NULL;
	size_t len;
	char *pem = read_file(path, &len);

	if (proto_jws_key_from_pem(pem, len, kid, &k, &perr) != 0)
		bench_die(path, perr.message);
	free(pem);
	return k;
}

/* ------------------------------------------------------------ HTTP over TLS */

struct conn {
	int fd;
	SSL *ssl;
	char *buf;		/* bytes read */
	size_t len, cap;
	size_t used;		/* of them, the last response's */
	int status;		/* the last response's */
	const char *body;	/* into buf */
	size_t body_len;
	char error[256];
};

static SSL_CTX *
tls_client(const char *dir)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char ca[4300], cert[4300], key[4300];

	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/peer.pem", dir);
	snprintf(key, sizeof(key), "%s/peer.key", dir);
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		bench_die("TLS", "cannot set up the client's context");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

static int
conn_fail(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	return -1;
}

static void
conn_close(struct conn *c)
{
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->ssl = NULL;
	c->fd = -1;
	c->buf = NULL;
	c->len = c->cap = c->used = 0;
}

/* A TLS 1.3 connection to 127.0.0.1:port, its handshake done. */
static int
conn_open(struct conn *c, SSL_CTX *tls, int port)
{
	struct sockaddr_in sa;
	int one = 1;

	memset(c, 0, sizeof(*c));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return conn_fail(c, "socket: %m");
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		conn_fail(c, "connect: %m");
		goto fail;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c->ssl = SSL_new(tls)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), "127.0.0.1") != 1 ||
	    SSL_connect(c->ssl) != 1) {
		conn_fail(c, "TLS handshake failed");
		goto fail;
	}
	return 0;
fail:
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
	return -1;
}

/* The end of the response's head ("\r\n\r\n") in what was read, or NULL. */
static char *
head_end(const struct conn *c)
{
	size_t i;

	for (i = 0; i + 4 <= c->len; i++)
		if (memcmp(c->buf + i, "\r\n\r\n", 4) == 0)
			return c->buf + i;
	return NULL;
}

static int
conn_read(struct conn *c)
{
	int n;

	if (c->cap - c->len < 16384) {
		size_t ncap = c->cap ? c->cap * 2 : 65536;
		char *p = realloc(c->buf, ncap);

		if (p == NULL)
			return conn_fail(c, "out of memory");
		c->buf = p;
		c->cap = ncap;
	}
	n = SSL_read(c->ssl, c->buf + c->len, (int)(c->cap - c->len));
	if (n <= 0)
		return conn_fail(c, "the connection ended (TLS error %d)",
		    SSL_get_error(c->ssl, n));
	c->len += (size_t)n;
	return 0;
}

/*
 * One request and its response on the connection: status, Content-Length
 * and the body (c->status, c->body, c->body_len).  A response without
 * Content-Length, or one that closes the connection, is a failure.
 */
static int
http(struct conn *c, const char *method, const char *path, const char *ctype,
    const char *body, size_t len)
{
	char head[512], *msg, *end, *line;
	size_t hlen, clen = 0;
	int n, have_clen = 0;

	/* Drop the previous response. */
	if (c->used > 0) {
		memmove(c->buf, c->buf + c->used, c->len - c->used);
		c->len -= c->used;
		c->used = 0;
	}
	n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "%s%s%sContent-Length: %zu\r\n\r\n", method, path, ctype ? "Content-Type: " :
	    "", ctype ? ctype : "", ctype ? "\r\n" : "", len);
	hlen = (size_t)n;
	if ((msg = malloc(hlen + len)) == NULL)
		return conn_fail(c, "out of memory");
	memcpy(msg, head, hlen);
	if (len > 0)
		memcpy(msg + hlen, body, len);
	n = SSL_write(c->ssl, msg, (int)(hlen + len));
	free(msg);
	if (n != (int)(hlen + len))
		return conn_fail(c, "cannot send (TLS error %d)", SSL_get_error(c->ssl, n));
	while ((end = head_end(c)) == NULL)
		if (conn_read(c) != 0)
			return -1;
	hlen = (size_t)(end - c->buf) + 4;
	*end = '\0';
	if (sscanf(c->buf, "HTTP/1.1 %d ", &c->status) != 1)
		return conn_fail(c, "not an HTTP/1.1 status line: %.60s", c->buf);
	for (line = strstr(c->buf, "\r\n"); line != NULL; line = strstr(line, "\r\n")) {
		line += 2;
		if (strncasecmp(line, "Content-Length:", 15) == 0) {
			clen = strtoul(line + 15, NULL, 10);
			have_clen = 1;
		} else if (strncasecmp(line, "Connection:", 11) == 0 &&
		    strncasecmp(line + 11 + strspn(line + 11, " "), "close", 5) == 0) {
			return conn_fail(c, "the daemon closes the connection (HTTP %d)",
			    c->status);
		}
	}
	if (!have_clen)
		return conn_fail(c, "HTTP %d without Content-Length", c->status);
	while (c->len < hlen + clen)
		if (conn_read(c) != 0)
			return -1;
	c->body = c->buf + hlen;
	c->body_len = clen;
	c->used = hlen + clen;
	return 0;
}

/* ------------------------------------------------------------ clients */

/* How much of a body an error message shows (it is not NUL-terminated). */
#define SHOWN(c) ((int)((c)->body_len < 300 ? (c)->body_len : 300))

struct client {
	SSL_CTX *tls;
	int port;
	const char *dir;
	long poll_us;
	proto_request **reqs;		/* this client's own */
	size_t nreqs;
	double start, end;		/* the measured window */
	/* results */
	long traces, all, gets, errors, verified_acks, verified_answers;
	long found, ambiguous, other;
	double *ack_ms, *trace_ms;	/* of the traces counted */
	size_t nlat, cap;
	char first_error[600];
	pthread_t th;
};

static void
client_error(struct client *cl, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
client_error(struct client *cl, const char *id, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (cl->errors++ == 0)
		snprintf(cl->first_error, sizeof(cl->first_error), "request %s: %s",
		    id, what);
}

/* The body as a JWS of type cty; verified with key when key is not NULL.
 * Returns the JWS, or NULL after client_error(). */
static proto_jws *
signed_body(struct client *cl, const struct conn *c, const char *id,
    const char *what, const char *cty1, const char *cty2, const proto_jws_key *key)
{
	proto_error perr = PROTO_ERROR_INIT;
	proto_jws *j = NULL;
	const char *cty;

	if (proto_jws_parse(c->body, c->body_len, &j, &perr) != 0) {
		client_error(cl, id, "%s: HTTP %d, not a JWS (%s): %.*s", what, c->status,
		    perr.message, SHOWN(c), c->body);
		return NULL;
	}
	cty = proto_jws_cty(j);
	if (cty == NULL || (strcmp(cty, cty1) != 0 && (cty2 == NULL ||
	    strcmp(cty, cty2) != 0))) {
		client_error(cl, id, "%s: a JWS of type %s", what, cty ? cty : "(none)");
		goto fail;
	}
	if (key != NULL && proto_jws_verify(j, key, &perr) != 0) {
		client_error(cl, id, "%s: the signature does not verify with NL/1 (%s)",
		    what, perr.message);
		goto fail;
	}
	return j;
fail:
	proto_jws_free(j);
	return NULL;
}

/* The acknowledgement of the signed request msg: its id and hash. */
static int
check_ack(struct client *cl, const proto_jws *j, const char *id, const char *msg)
{
	proto_error perr = PROTO_ERROR_INIT;
	proto_ack *a = NULL;
	const uint8_t *p;
	uint8_t h[32];
	size_t n;
	int r = -1;

	p = proto_jws_payload(j, &n);
	SHA256((const unsigned char *)msg, strlen(msg), h);
	if (proto_ack_parse((const char *)p, n, &a, &perr) != 0)
		client_error(cl, id, "acknowledgement: %s", perr.message);
	else if (strcmp(a->request_id, id) != 0 || strcmp(a->status, "acknowledged") != 0 ||
	    memcmp(a->request_sha256.b, h, 32) != 0)
		client_error(cl, id, "acknowledgement of another request: %s %s",
		    a->request_id, a->status);
	else
		r = 0;
	proto_ack_free(a);
	return r;
}

static int
check_answer(struct client *cl, const proto_jws *j, const char *id)
{
	proto_error perr = PROTO_ERROR_INIT;
	proto_response *resp = NULL;
	const uint8_t *p;
	size_t n;
	int r = -1;

	p = proto_jws_payload(j, &n);
	if (proto_response_parse((const char *)p, n, &resp, &perr) != 0) {
		client_error(cl, id, "answer: %s", perr.message);
	} else if (strcmp(resp->id, id) != 0) {
		client_error(cl, id, "the answer to another request, %s", resp->id);
	} else {
		if (strcmp(resp->status, "found") == 0)
			cl->found++;
		else if (strcmp(resp->status, "ambiguous") == 0)
			cl->ambiguous++;
		else
			cl->other++;
		r = 0;
	}
	proto_response_free(resp);
	return r;
}

/* One exact trace: 0, or -1 when the connection is lost. */
static int
trace_once(struct client *cl, struct conn *c, const proto_jws_key *sign,
    const proto_jws_key *daemon, proto_request *req, int verify)
{
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	char id[REG_UUID_STR], path[64], *json = NULL, *msg = NULL;
	proto_jws *j = NULL;
	double t0, t_ack, t_end;
	reg_uuid u;
	int r = 0, answered = 0;

	if (reg_uuid_v7(&u, &err) != 0)
		bench_die("uuid", err.message);
	reg_uuid_format(&u, id);
	snprintf(req->id, sizeof(req->id), "%s", id);
	if (proto_request_to_json(req, &json, &perr) != 0 ||
	    proto_jws_sign(sign, PROTO_SCHEMA_REQUEST, json, strlen(json), &msg,
	    &perr) != 0)
		bench_die("request", perr.message);
	t0 = bench_now();
	if (http(c, "POST", "/v1/traces", "application/jose", msg, strlen(msg)) != 0) {
		client_error(cl, id, "POST: %s", c->error);
		r = -1;
		goto out;
	}
	t_ack = bench_now();
	if (c->status != 202) {
		client_error(cl, id, "POST: HTTP %d: %.*s", c->status, SHOWN(c), c->body);
		goto out;
	}
	if ((j = signed_body(cl, c, id, "POST", PROTO_SCHEMA_ACK, NULL,
	    verify ? daemon : NULL)) == NULL)
		goto out;
	if (verify) {
		if (check_ack(cl, j, id, msg) != 0)
			goto out;
		cl->verified_acks++;
	}
	proto_jws_free(j);
	j = NULL;
	/* Held by the daemon until the answer is written (?wait=S); with
	 * BENCH_TRACERD_POLL_US > 0, asked again after that pause instead. */
	if (cl->poll_us > 0)
		snprintf(path, sizeof(path), "/v1/traces/%s", id);
	else
		snprintf(path, sizeof(path), "/v1/traces/%s?wait=10", id);
	while (!answered) {
		if (bench_now() - t0 > TRACE_TIMEOUT) {
			client_error(cl, id, "not answered in %.0f s", TRACE_TIMEOUT);
			goto out;
		}
		if (cl->poll_us > 0)
			usleep((useconds_t)cl->poll_us);
		if (http(c, "GET", path, NULL, NULL, 0) != 0) {
			client_error(cl, id, "GET: %s", c->error);
			r = -1;
			goto out;
		}
		cl->gets++;
		if (c->status != 200) {
			client_error(cl, id, "GET: HTTP %d: %.*s", c->status, SHOWN(c),
			    c->body);
			goto out;
		}
		if ((j = signed_body(cl, c, id, "GET", PROTO_SCHEMA_RESPONSE,
		    PROTO_SCHEMA_ACK, NULL)) == NULL)
			goto out;
		answered = strcmp(proto_jws_cty(j), PROTO_SCHEMA_RESPONSE) == 0;
		proto_jws_free(j);
		j = NULL;
	}
	t_end = bench_now();
	cl->all++;
	if (verify) {
		if ((j = signed_body(cl, c, id, "GET", PROTO_SCHEMA_RESPONSE, NULL,
		    daemon)) == NULL || check_answer(cl, j, id) != 0)
			goto out;
		cl->verified_answers++;
	}
	if (t0 >= cl->start && t_end <= cl->end) {
		if (cl->nlat == cl->cap) {
			size_t ncap = cl->cap ? cl->cap * 2 : 4096;

			cl->ack_ms = realloc(cl->ack_ms, ncap * sizeof(double));
			cl->trace_ms = realloc(cl->trace_ms, ncap * sizeof(double));
			if (cl->ack_ms == NULL || cl->trace_ms == NULL)
				bench_die("latencies", "out of memory");
			cl->cap = ncap;
		}
		cl->ack_ms[cl->nlat] = (t_ack - t0) * 1000.0;
		cl->trace_ms[cl->nlat++] = (t_end - t0) * 1000.0;
		cl->traces++;
	}
out:
	proto_jws_free(j);
	proto_free(json);
	proto_free(msg);
	return r;
}

static void *
client_run(void *arg)
{
	struct client *cl = arg;
	char path[4300];
	proto_jws_key *sign, *daemon;
	struct conn c;
	long n = 0;

	snprintf(path, sizeof(path), "%s/be-sign.key", cl->dir);
	sign = jws_key(path, "BE/1");
	snprintf(path, sizeof(path), "%s/nl-sign.pub", cl->dir);
	daemon = jws_key(path, "NL/1");
	if (conn_open(&c, cl->tls, cl->port) != 0) {
		client_error(cl, "-", "%s", c.error);
		goto out;
	}
	while (bench_now() < cl->end) {
		if (trace_once(cl, &c, sign, daemon, cl->reqs[n % (long)cl->nreqs],
		    n % VERIFY_EVERY == 0) != 0) {
			/* The connection is lost: the error is counted; on
			 * with a new one. */
			conn_close(&c);
			if (conn_open(&c, cl->tls, cl->port) != 0) {
				client_error(cl, "-", "%s", c.error);
				goto out;
			}
		}
		n++;
	}
	conn_close(&c);
out:
	proto_jws_key_free(sign);
	proto_jws_key_free(daemon);
	return NULL;
}

/*
 * The signatures a trace needs, timed on one core with the keys and the
 * code of the run: the client signs its request; the daemon verifies it,
 * signs the acknowledgement and signs the answer; the client verifies one
 * acknowledgement and one answer in VERIFY_EVERY.  Their CPU time alone
 * caps the traces a second this machine's cores can do, whatever else a
 * trace costs; *cap_tps is that ceiling, *us the CPU time of one trace's
 * signatures.
 */
static void
signature_floor(const char *dir, const proto_request *req, double *sign_us,
    double *verify_us, double *us, double *cap_tps)
{
	proto_error perr = PROTO_ERROR_INIT;
	proto_jws_key *k;
	proto_jws *j = NULL;
	char path[4300], *json = NULL, *msg = NULL;
	long cores = sysconf(_SC_NPROCESSORS_ONLN), n;
	double t;

	snprintf(path, sizeof(path), "%s/be-sign.key", dir);
	k = jws_key(path, "BE/1");
	if (proto_request_to_json(req, &json, &perr) != 0)
		bench_die("request", perr.message);
	t = bench_now();
	for (n = 0; n == 0 || bench_now() - t < 0.5; n++) {
		proto_free(msg);
		msg = NULL;
		if (proto_jws_sign(k, PROTO_SCHEMA_REQUEST, json, strlen(json), &msg,
		    &perr) != 0)
			bench_die("sign", perr.message);
	}
	*sign_us = (bench_now() - t) * 1e6 / (double)n;
	if (proto_jws_parse(msg, strlen(msg), &j, &perr) != 0)
		bench_die("parse", perr.message);
	t = bench_now();
	for (n = 0; n == 0 || bench_now() - t < 0.5; n++)
		if (proto_jws_verify(j, k, &perr) != 0)
			bench_die("verify", perr.message);
	*verify_us = (bench_now() - t) * 1e6 / (double)n;
	*us = 3.0 * *sign_us + (1.0 + 2.0 / VERIFY_EVERY) * *verify_us;
	*cap_tps = (double)(cores > 0 ? cores : 1) * 1e6 / *us;
	proto_jws_free(j);
	proto_free(msg);
	proto_free(json);
	proto_jws_key_free(k);
}

struct figures {
	double tps, ack_median, ack_p99, trace_median, trace_p99, gets_per_trace;
	long traces, errors, verified_acks, verified_answers, found, ambiguous, other;
};

static void
throughput(SSL_CTX *tls, int port, const char *dir, proto_request **reqs,
    size_t nreqs, int clients, long warmup, long seconds, long poll_us,
    struct figures *f)
{
	struct client *cl = calloc((size_t)clients, sizeof(*cl));
	double *ack, *trace, t0 = bench_now();
	size_t i, nlat = 0, per = nreqs / (size_t)clients;
	long gets = 0, all = 0;
	int k;

	if (cl == NULL || per == 0)
		bench_die("clients", "out of memory, or fewer weapons than clients");
	memset(f, 0, sizeof(*f));
	for (k = 0; k < clients; k++) {
		cl[k].tls = tls;
		cl[k].port = port;
		cl[k].dir = dir;
		cl[k].poll_us = poll_us;
		cl[k].reqs = reqs + (size_t)k * per;
		cl[k].nreqs = per;
		cl[k].start = t0 + (double)warmup;
		cl[k].end = cl[k].start + (double)seconds;
		if (pthread_create(&cl[k].th, NULL, client_run, &cl[k]) != 0)
			bench_die("thread", "cannot start");
	}
	for (k = 0; k < clients; k++) {
		pthread_join(cl[k].th, NULL);
		nlat += cl[k].nlat;
	}
	ack = calloc(nlat + 1, sizeof(double));
	trace = calloc(nlat + 1, sizeof(double));
	if (ack == NULL || trace == NULL)
		bench_die("latencies", "out of memory");
	for (nlat = 0, k = 0; k < clients; k++) {
		for (i = 0; i < cl[k].nlat; i++, nlat++) {
			ack[nlat] = cl[k].ack_ms[i];
			trace[nlat] = cl[k].trace_ms[i];
		}
		f->traces += cl[k].traces;
		f->errors += cl[k].errors;
		f->verified_acks += cl[k].verified_acks;
		f->verified_answers += cl[k].verified_answers;
		f->found += cl[k].found;
		f->ambiguous += cl[k].ambiguous;
		f->other += cl[k].other;
		gets += cl[k].gets;
		all += cl[k].all;
		if (cl[k].errors > 0)
			fprintf(stderr, "%s: client %d: %ld errors, the first: %s\n",
			    bench_prog, k, cl[k].errors, cl[k].first_error);
		free(cl[k].ack_ms);
		free(cl[k].trace_ms);
	}
	f->tps = (double)f->traces / (double)seconds;
	f->ack_median = bench_pctl(ack, nlat, 0.5);
	f->ack_p99 = bench_pctl(ack, nlat, 0.99);
	f->trace_median = bench_pctl(trace, nlat, 0.5);
	f->trace_p99 = bench_pctl(trace, nlat, 0.99);
	/* Of all the traces, warm-up included: the GETs of one trace. */
	f->gets_per_trace = (double)gets / (double)(all > 0 ? all : 1);
	free(ack);
	free(trace);
	free(cl);
}

/* ------------------------------------------------------------ memory */

/* The process's VmRSS in KiB. */
static long
rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		bench_die(path, "cannot open");
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	if (kib < 0)
		bench_die(path, "no VmRSS");
	return kib;
}

/* The process's open file descriptors. */
static int
fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		bench_die(path, "cannot open");
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int
healthz(struct conn *c)
{
	if (http(c, "GET", "/healthz", NULL, NULL, 0) != 0)
		return -1;
	if (c->status != 200 || c->body_len != 3 || memcmp(c->body, "ok\n", 3) != 0)
		return conn_fail(c, "GET /healthz: HTTP %d", c->status);
	return 0;
}

/* GET /healthz n times on one keep-alive connection: the round trip of
 * the HTTP and TLS layers alone, in ms. */
static void
round_trips(SSL_CTX *tls, int port, int n, double *median, double *p99)
{
	double *v = calloc((size_t)n, sizeof(*v)), t;
	struct conn c;
	int i;

	if (v == NULL)
		bench_die("healthz", "out of memory");
	if (conn_open(&c, tls, port) != 0)
		bench_die("healthz", c.error);
	for (i = 0; i < n; i++) {
		t = bench_now();
		if (healthz(&c) != 0)
			bench_die("healthz", c.error);
		v[i] = (bench_now() - t) * 1000.0;
	}
	conn_close(&c);
	*median = bench_pctl(v, (size_t)n, 0.5);
	*p99 = bench_pctl(v, (size_t)n, 0.99);
	free(v);
}

struct memory {
	long before, after;
	int fds_before, fds_after, open_after;
	double idle_seconds;
};

static void
memory(SSL_CTX *tls, int port, struct memory *m)
{
	struct conn *c = calloc(IDLE_CONNS, sizeof(*c));
	double t;
	int i;

	if (c == NULL)
		bench_die("memory", "out of memory");
	memset(m, 0, sizeof(*m));
	sleep(1);
	m->before = rss_kib(daemon_pid);
	m->fds_before = fds(daemon_pid);
	for (i = 0; i < IDLE_CONNS; i++)
		if (conn_open(&c[i], tls, port) != 0 || healthz(&c[i]) != 0)
			bench_die("idle connection", c[i].error);
	t = bench_now();
	sleep(2);
	m->after = rss_kib(daemon_pid);
	m->fds_after = fds(daemon_pid);
	/* Still open after their idle time: each answers once more. */
	sleep(2);
	m->idle_seconds = bench_now() - t;
	for (i = 0; i < IDLE_CONNS; i++) {
		m->open_after += healthz(&c[i]) == 0;
		conn_close(&c[i]);
	}
	free(c);
}

/* ------------------------------------------------------------ daemon */

static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		bench_die("port", "cannot find a free one");
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
daemon_start(const char *dir, SSL_CTX *tls, int port)
{
	const char *b = getenv("REG_TEST_BUILDDIR");
	char prog[4300], config[4300];
	struct conn c;
	double t = bench_now();
	int fd;

	snprintf(prog, sizeof(prog), "%s/tracerd", b ? b : REG_BUILDDIR);
	snprintf(config, sizeof(config), "%s/tracerd.ini", dir);
	snprintf(daemon_log, sizeof(daemon_log), "%s/daemon.log", dir);
	fflush(stdout);
	if ((daemon_pid = fork()) < 0)
		bench_die("tracerd", "cannot fork");
	if (daemon_pid == 0) {
		fd = open(daemon_log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execl(prog, "tracerd", "--config", config, (char *)NULL);
		_exit(127);
	}
	bench_on_die = daemon_kill;
	for (;;) {
		if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
			daemon_pid = -daemon_pid;
			bench_die("tracerd", "stopped at its start");
		}
		if (conn_open(&c, tls, port) == 0) {
			if (healthz(&c) == 0)
				break;
			conn_close(&c);
		}
		if (bench_now() - t > 20)
			bench_die("tracerd", "not serving after 20 s");
		usleep(100000);
	}
	conn_close(&c);
}

/* SIGTERM: the daemon stops within its grace period; its exit status. */
static int
daemon_stop(void)
{
	double t = bench_now();
	int st;

	kill(daemon_pid, SIGTERM);
	while (waitpid(daemon_pid, &st, WNOHANG) != daemon_pid) {
		if (bench_now() - t > 15)
			bench_die("tracerd", "still running 15 s after SIGTERM");
		usleep(50000);
	}
	daemon_pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Lines of the daemon's log that report a failure. */
static long
daemon_errors(void)
{
	char line[2048];
	long n = 0;
	FILE *f = fopen(daemon_log, "r");

	if (f == NULL)
		bench_die(daemon_log, "cannot open");
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "event=error") != NULL ||
		    strstr(line, " status=error") != NULL ||
		    strstr(line, " status=5") != NULL) {
			if (n++ < 5)
				fprintf(stderr, "%s: daemon: %s", bench_prog, line);
		}
	fclose(f);
	return n;
}

/* Where a trace's time goes in the daemon, by the times it stored: from
 * receipt to "in_progress" (queued for a trace worker), and from there to
 * the answer (tracing, signing, storing), medians in ms. */
static void
stored_times(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *res = PQexec(c, "SELECT count(*), percentile_cont(0.5) WITHIN GROUP "
	    "(ORDER BY extract(epoch FROM p.at - r.received_at) * 1000), "
	    "percentile_cont(0.5) WITHIN GROUP "
	    "(ORDER BY extract(epoch FROM a.at - p.at) * 1000) "
	    "FROM trace_request r "
	    "JOIN trace_status p ON p.request_id = r.id AND p.status = 'in_progress' "
	    "JOIN trace_status a ON a.request_id = r.id AND a.status <> 'in_progress'");

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		bench_die("stored times", PQerrorMessage(c));
	printf("  in the daemon, by the stored times of %s traces: receipt to in_progress "
	    "median %.2f ms, in_progress to the answer median %.2f ms\n",
	    PQgetvalue(res, 0, 0), atof(PQgetvalue(res, 0, 1)),
	    atof(PQgetvalue(res, 0, 2)));
	PQclear(res);
	PQfinish(c);
}

/* ------------------------------------------------------------ main */

/* Exact requests from BE to NL for weapons of the registry. */
static proto_request **
requests(const char *conninfo, const char *dir, size_t *n)
{
	reg_error err = REG_ERROR_INIT;
	struct corpus_request *cr = NULL;
	proto_request **ex;
	size_t ncr = 0, i;
	reg_ctx *ctx;
	PGconn *c;
	char msg[1024];

	if (reg_open(conninfo, 0, &ctx, &err) != 0)
		bench_die("open", err.message);
	if (corpus_requests(ctx, dir, &cr, &ncr, msg, sizeof(msg)) != 0 || ncr == 0)
		bench_die("requests", ncr == 0 ? "none" : msg);
	c = PQconnectdb(conninfo);
	ex = bench_exact_requests(c, cr[0].req, SAMPLE, n);
	for (i = 0; i < *n; i++) {
		snprintf(ex[i]->requesting_state, sizeof(ex[i]->requesting_state), "BE");
		snprintf(ex[i]->requested_state, sizeof(ex[i]->requested_state), "NL");
	}
	PQfinish(c);
	corpus_requests_free(cr, ncr);
	reg_close(ctx);
	return ex;
}

int
main(void)
{
	long weapons = bench_env_long("BENCH_TRACERD_WEAPONS", 1000000);
	int clients = (int)bench_env_long("BENCH_TRACERD_CLIENTS", 2);
	long seconds = bench_env_long("BENCH_TRACERD_SECONDS", 20);
	long warmup = bench_env_long("BENCH_TRACERD_WARMUP", 3);
	long poll_us = bench_env_long("BENCH_TRACERD_POLL_US", 0);
	long pool = bench_env_long("BENCH_TRACERD_POOL", 4);
	long traces = bench_env_long("BENCH_TRACERD_TRACES", 2);
	const char *conninfo = "dbname=bench_tracerd";
	const char *src = getenv("REG_TEST_SRCDIR");
	struct rlimit rl;
	struct figures f;
	struct memory m;
	reg_pii_keyring *kr;
	proto_request **reqs;
	SSL_CTX *tls;
	char dir[4200], corpus[4300], cmd[9000];
	size_t nreqs, i;
	long derrors;
	double pg, hz_median, hz_p99, sign_us, verify_us, sig_us, sig_cap;
	int port, st;

	bench_prog = "bench_tracerd";
	if (weapons < 1000 || clients < 1 || seconds < 1 || warmup < 0 || poll_us < 0)
		bench_die("setup", "BENCH_TRACERD_WEAPONS must be at least 1000, "
		    "_CLIENTS and _SECONDS at least 1");
	/* The idle connections need descriptors, here and in the daemon,
	 * which inherits the limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		bench_die("setrlimit", "cannot read RLIMIT_NOFILE");
	if (rl.rlim_cur < IDLE_CONNS + 200) {
		rl.rlim_cur = rl.rlim_max;
		if (rl.rlim_cur < IDLE_CONNS + 200 || setrlimit(RLIMIT_NOFILE, &rl) != 0)
			bench_die("setrlimit", "cannot allow 1,200 open files");
	}
	signal(SIGPIPE, SIG_IGN);
	bench_tmpdir("bench_tracerd", dir, sizeof(dir));
	snprintf(corpus, sizeof(corpus), "%s/corpus", dir);
	kr = bench_pii_keyring(dir);
	bench_databases("bench_tracerd");
	bench_load(conninfo, corpus, 7, 0, weapons, 10, kr);

	port = free_port();
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/bench/tracerd_setup.sh' '%s' %d '%s' "
	    "%ld %ld", src ? src : REG_SRCDIR, dir, port, conninfo, pool, traces);
	if (system(cmd) != 0)
		bench_die("setup", cmd);
	tls = tls_client(dir);
	daemon_start(dir, tls, port);
	reqs = requests(conninfo, corpus, &nreqs);

	printf("tracerd, %ld weapons: [workers] pool = %ld, traces = %ld; %d clients "
	    "on keep-alive TLS 1.3 connections, %ld s after %ld s of warm-up, "
	    "polling every %ld us (0: held by ?wait=10):\n", weapons, pool, traces, clients, seconds, warmup,
	    poll_us);
	round_trips(tls, port, HEALTHZ, &hz_median, &hz_p99);
	printf("  GET /healthz, %d on one keep-alive connection: median %.2f ms, "
	    "p99 %.2f ms\n", HEALTHZ, hz_median, hz_p99);
	fflush(stdout);
	pg = bench_pgbench(clients, (int)seconds);
	signature_floor(dir, reqs[0], &sign_us, &verify_us, &sig_us, &sig_cap);
	printf("  signatures alone (Ed25519, one core): sign %.1f us, verify %.1f us; "
	    "a trace's 3 signs and %.2f verifies take %.0f us of CPU, so %ld cores "
	    "can do at most %.0f traces/s = %.3f x pgbench -S\n", sign_us,
	    verify_us, 1.0 + 2.0 / VERIFY_EVERY, sig_us,
	    sysconf(_SC_NPROCESSORS_ONLN), sig_cap, sig_cap / pg);
	fflush(stdout);
	throughput(tls, port, dir, reqs, nreqs, clients, warmup, seconds, poll_us,
	    &f);
	printf("  pgbench -S -M prepared: %.0f tps; exact traces (POST, then GET "
	    "until answered): %.1f traces/s; ratio %.4f (target >= 0.3)\n", pg,
	    f.tps, f.tps / pg);
	printf("  acknowledgement (POST sent to 202 read, %ld traces): median "
	    "%.2f ms, p99 %.2f ms\n", f.traces, f.ack_median, f.ack_p99);
	printf("  whole trace (POST sent to the signed answer read): median "
	    "%.2f ms, p99 %.2f ms; %.1f GETs a trace\n", f.trace_median,
	    f.trace_p99, f.gets_per_trace);
	printf("  verified with NL/1: %ld acknowledgements, %ld answers (found %ld, "
	    "ambiguous %ld, other %ld); errors %ld\n", f.verified_acks,
	    f.verified_answers, f.found, f.ambiguous, f.other, f.errors);
	stored_times(conninfo);
	fflush(stdout);
	memory(tls, port, &m);
	printf("  memory: VmRSS %ld KiB, with %d idle TLS connections more %ld KiB "
	    "(+%ld KiB, %.1f KiB a connection); descriptors %d -> %d; %d of them "
	    "still open after %.0f s idle\n", m.before, IDLE_CONNS, m.after,
	    m.after - m.before, (double)(m.after - m.before) / IDLE_CONNS,
	    m.fds_before, m.fds_after, m.open_after, m.idle_seconds);
	derrors = daemon_errors();
	st = daemon_stop();
	printf("tracerd at %ld weapons, %d clients: %.1f traces/s = %.4f x pgbench "
	    "-S (%s 0.3; signatures alone cap it at %.3f); ack median %.2f ms, p99 %.2f ms; %.1f KiB an idle TLS "
	    "connection; %ld errors, daemon %ld error lines, exit %d\n", weapons,
	    clients, f.tps, f.tps / pg, f.tps / pg >= 0.3 ? "meets" : "MISSES",
	    sig_cap / pg,
	    f.ack_median, f.ack_p99, (double)(m.after - m.before) / IDLE_CONNS,
	    f.errors, derrors, st);
	for (i = 0; i < nreqs; i++)
		proto_request_free(reqs[i]);
	free(reqs);
	SSL_CTX_free(tls);
	reg_pii_keyring_free(kr);
	if (f.errors > 0 || derrors > 0 || st != 0 || f.traces == 0 ||
	    m.open_after != IDLE_CONNS) {
		fprintf(stderr, "%s: FAILED; the daemon's log and files are in %s\n",
		    bench_prog, dir);
		return 1;
	}
	/* BENCH_TRACERD_KEEP: the daemon's log and files stay. */
	if (getenv("BENCH_TRACERD_KEEP") != NULL)
		printf("the daemon's log and files are in %s\n", dir);
	else
		bench_rmdir(dir);
	return 0;
}
