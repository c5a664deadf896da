/* tracerd's internal declarations; never installed. */
#ifndef TRACER_TRACERD_INT_H
#define TRACER_TRACERD_INT_H


#if !defined(REG_PART_TRACER) && !defined(REG_WHITEBOX)
#error "tracerd_int.h is internal to tracer/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stdatomic.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "metrics.h"
#include "pool.h"
#include "ratelimit.h"
#include "tracer_int.h"
#include "registry/stores.h"

#define TRD_PATH_MAX 1024
#define TRD_OVERRIDES_MAX 300
#define TRD_DOMESTIC_KEYS_MAX 64
#define TRD_WITNESS_PEERS_MAX 64	/* [witness] peers */
#define TRD_LOG_WITNESSES_MAX 16	/* [log] witness lines */
#define TRD_VKEY_MAX 400		/* bytes of a verifier key */

/* The daemon's configuration file (tracerd(8), "CONFIGURATION"). */
struct trd_config {
	char path[TRD_PATH_MAX];	/* the file it was read from */
	char state[3];			/* [daemon] state (a hub's code in hub
					 * mode) */
	int hub;			/* [daemon] mode = hub */
	char listen_host[256];		/* [daemon] listen = host:port */
	int listen_port;
	char database[TRD_PATH_MAX];	/* [daemon] database (conninfo) or "" */
	char tls_cert[TRD_PATH_MAX];	/* [tls] certificate */
	char tls_key[TRD_PATH_MAX];	/* [tls] key */
	char client_ca[TRD_PATH_MAX];	/* [tls] client_ca */
	char crl[TRD_PATH_MAX];		/* [tls] crl, or "" */
	char signing_key[TRD_PATH_MAX];	/* [signing] key */
	char signing_kid[201];		/* [signing] kid */
	char peers[TRD_PATH_MAX];	/* [peers] directory, or "" */
	char policy[TRD_PATH_MAX];	/* [policy] file, or "" */
	long body_max;			/* [limits] body_max, bytes */
	int header_timeout;		/* [limits] header_timeout, seconds */
	int idle_timeout;		/* [limits] idle_timeout, seconds */
	int max_connections;		/* [limits] max_connections: of
					 * authenticated callers */
	int max_handshakes;		/* [limits] max_handshakes: connections
					 * in their TLS handshake */
	int handshake_timeout;		/* [limits] handshake_timeout, seconds */
	int handshake_log_rate;		/* [limits] handshake_log_rate: lines a
					 * second of refused handshakes */
	int rate;			/* [limits] rate: requests a second a caller */
	int burst;			/* [limits] burst */
	int queue_max;			/* [limits] queue_max: jobs waiting a pool */
	int pool_size;			/* [workers] pool */
	int trace_workers;		/* [workers] traces */
	int retry_seconds;		/* [workers] retry */
	char log_key[TRD_PATH_MAX];	/* [log] key, or "" */
	int checkpoint_interval;	/* [log] checkpoint_interval, seconds */
	/* Issue 17: [log] cosignature_skew (seconds a witness's clock may be
	 * off), checkpoint_sample (old leaves checked before each checkpoint)
	 * and served (the file of the newest checkpoint served, or ""). */
	int cosignature_skew;
	int checkpoint_sample;
	char served_file[TRD_PATH_MAX];
	/* [log] witness: the witnesses' verifier keys whose cosignatures the
	 * log takes (tracerd_witness.c). */
	char log_witnesses[TRD_LOG_WITNESSES_MAX][TRD_VKEY_MAX];
	int n_log_witnesses;
	char witness_key[TRD_PATH_MAX];	/* [witness] key, or "" */
	char witness_peers[TRD_WITNESS_PEERS_MAX][3];	/* [witness] peers */
	int n_witness_peers;
	int witness_interval;		/* [witness] interval, seconds */
	int urgent_hours;		/* [deadlines] urgent */
	int routine_hours;		/* [deadlines] routine */
	/* Per State: [deadlines] urgent.XX, routine.XX (hours) and [limits]
	 * rate.XX, burst.XX; v[0] the first, v[1] the second, 0 = the
	 * default. */
	struct trd_override {
		char state[3];
		int v[2];
	} deadlines[TRD_OVERRIDES_MAX], rates[TRD_OVERRIDES_MAX];
	int n_deadlines, n_rates;
	/* Outbound requests (tracerd_out.c). */
	char client_cert[TRD_PATH_MAX];	/* [tls] client_certificate, or "" */
	char client_key[TRD_PATH_MAX];	/* [tls] client_key, or "" */
	int outbound_workers;		/* [workers] outbound */
	int follow_referrals;		/* [domestic] follow_referrals */
	int max_hops;			/* [domestic] max_hops */
	int poll_seconds;		/* [domestic] poll */
	int retry_max;			/* [domestic] retry_max, seconds */
	int send_due;			/* [domestic] send_due, seconds, or 0 */
	/* Calls to other States, by State (tracerd_gate.c). */
	int per_state_in_flight;	/* [outbound] per_state_in_flight, 0: half
					 * the workers (at least 1) */
	int breaker_failures;		/* [outbound] breaker_failures */
	int breaker_min;		/* [outbound] breaker_min, seconds */
	int breaker_max;		/* [outbound] breaker_max, seconds */
	/* [domestic] signing_key = KID FILE: the domestic users' keys. */
	struct trd_domestic_key {
		char kid[201];
		char path[TRD_PATH_MAX];
		char fp[65];		/* the user's certificate: SHA-256 of
					 * its DER, lower-case hex */
	} domestic_keys[TRD_DOMESTIC_KEYS_MAX];
	int n_domestic_keys;
};

/* Hours from receipt to the answer's due time, for a request of state. */
int trd_config_deadline(const struct trd_config *cf, const char *state, int urgent);

/*
 * Reads a configuration file: unknown sections and keys, bad values, a
 * section twice, a missing required key refused with FILE:LINE.  Relative
 * paths are resolved against the file's folder.
 */
int trd_config_load(const char *path, struct trd_config *cf, reg_error *err);

/* The TLS context of cf: TLS 1.3 only, client certificates required. */
int trd_tls_context(const struct trd_config *cf, SSL_CTX **out, reg_error *err);

/* Who is calling, from the verified client certificate: its subject
 * names the State and role, the certificate itself the user. */
#define TRD_NAME_MAX 256		/* bytes of a CN in UTF-8: 64 characters
					 * (RFC 5280's ub-common-name) of 4 */
struct trd_identity {
	char state[3];			/* C */
	char role[16];			/* OU: peer, investigator, clerk, liaison,
					 * auditor; or hub (C user-assigned) */
	char name[TRD_NAME_MAX + 1];	/* CN in UTF-8, whole, or "" */
	char fp[65];			/* SHA-256 of the certificate's DER, in
					 * lower-case hex: who the caller is */
};
/* 0 and *id filled, or -1 for a certificate that names no valid State and
 * role, or whose subject has C, OU or CN twice, or a CN that is longer
 * than TRD_NAME_MAX bytes in UTF-8 or holds a control character. */
int trd_tls_identity(SSL *ssl, struct trd_identity *id);

struct trd_call;
/*
 * The kinds of caller (tracerd_access.c) that the route table
 * (tracerd_routes.c, proto/README.md 13.3) lets call an endpoint.
 */
enum {
	TRD_K_PEER = 1 << 0,
	TRD_K_HUB = 1 << 1,
	TRD_K_INVESTIGATOR = 1 << 2,
	TRD_K_CLERK = 1 << 3,
	TRD_K_LIAISON = 1 << 4,
	TRD_K_AUDITOR = 1 << 5,
	TRD_K_STRANGER = 1 << 6,
	TRD_K_ANY = 0x7f
};
/* The kind of c's caller: one TRD_K_ bit, or 0 when not identified. */
unsigned trd_caller_kind(const struct trd_call *c);
/* Whether c's caller is one of this State's investigators or its liaison
 * office, who send requests to other States (tracerd_out.c). */
int trd_access_domestic(const struct trd_call *c);
/* A domestic caller as stored with what they submit (at most
 * TRD_CALLER_MAX bytes): "FR investigator sha256:HEX NAME", the name cut
 * to fit at a character's start; trd_caller_is() compares everything up
 * to the name, so that only the same certificate matches. */
#define TRD_CALLER_MAX 300
void trd_caller_text(const struct trd_identity *id, char *out, size_t len);
int trd_caller_is(const struct trd_identity *id, const char *stored);


/* The policy in force, shared by the trace jobs that started under it;
 * counted on the loop's thread only. */
struct trd_policy_ref {
	tr_policy *policy;
	unsigned long gen;		/* 1, 2, ... by load */
	int refs;
};

/*
 * Calls held for something to happen (tracerd_hold.c): GET ...?wait=S
 * waits in a list, keyed by what it waits for, until trd_holds_wake() of
 * that key or S (c->wait) seconds; then resume(c, id, flag) reads again
 * and answers (c->wait then 0).
 */
#define TRD_HOLDS_MAX 10000
struct trd_call;
struct trd_held;
struct trd_holds {
	struct trd_held *head;
	long n;
};
typedef void (*trd_resume_fn)(struct trd_call *c, const char *id, int flag);
/* 0 when held, -1 when it cannot be (stopping, full): answer at once. */
int trd_hold(struct trd_holds *list, struct trd_call *c, const char *key,
    const char *id, int flag, trd_resume_fn resume);
void trd_holds_wake(struct trd_holds *list, const char *key);
void trd_holds_wake_all(struct trd_holds *list);

/*
 * The slot that request id takes in *table, n slots of size bytes each,
 * direct-mapped by a hash of id (FNV-1a); the table is allocated, zeroed,
 * at the first call.  NULL without memory.  For the daemon's small tables
 * of what it did lately, used on the event loop's thread only.
 */
void *trd_id_table_slot(void **table, unsigned n, size_t size, const char *id);

/*
 * Calls to other daemons gated by destination State (tracerd_gate.c):
 * at most limit calls in flight to one State, the rest waiting in that
 * State's queue in order while calls to other States go on; after
 * failures failed calls in a row (no connection, no answer in time) the
 * State's calls pause for pause_min seconds, doubling up to pause_max
 * while the one call let through after each pause fails too.  With
 * wait_max, a waiter is refused (TRD_GATE_TOO_LONG) after wait_max
 * seconds; with drop_paused, waiters and new calls are refused
 * (TRD_GATE_PAUSED) while the State is paused.  Loop's thread only.
 */
struct trd_gate;
#define TRD_HUB_WAIT_MAX 10	/* seconds a relay waits for its State's turn */
enum {
	TRD_GATE_GO = 1,		/* the call may start (a slot is taken) */
	TRD_GATE_WAIT = 0,		/* queued: run() is called later */
	TRD_GATE_STOPPING = -1,		/* the gate stops, or no memory */
	TRD_GATE_PAUSED = -2,		/* drop_paused: the State is paused */
	TRD_GATE_TOO_LONG = -3		/* waited wait_max seconds */
};
/* A waiter's turn (TRD_GATE_GO, its slot taken) or refusal (< 0). */
typedef void (*trd_gate_fn)(void *arg, const char *code, int go);
int trd_gate_new(struct event_base *base, const char *name, int limit,
    int failures, int pause_min, int pause_max, int wait_max, int drop_paused,
    struct trd_gate **out);
/* TRD_GATE_GO (the caller makes its call, then trd_gate_leave()),
 * TRD_GATE_WAIT (run(arg, code, go) later), or a refusal (< 0). */
int trd_gate_enter(struct trd_gate *g, const char *code, trd_gate_fn run,
    void *arg);
/* A call to code that entered ended: result 1 answered, -1 failed (no
 * connection, no answer in time), 0 no call was made. */
void trd_gate_leave(struct trd_gate *g, const char *code, int result);
/* 1 while code's calls are paused; *seconds the pause (may be NULL). */
int trd_gate_paused(struct trd_gate *g, const char *code, int *seconds);
/* No more calls start (trd_gate_leave() still counts); every waiter is
 * refused (TRD_GATE_STOPPING). */
void trd_gate_stop(struct trd_gate *g);
/* Refuses every waiter (TRD_GATE_STOPPING) and frees g; accepts NULL. */
void trd_gate_free(struct trd_gate *g);
/* The gate's metrics in the Prometheus text format (malloc'd), or NULL. */
char *trd_gate_metrics(const struct trd_gate *g);

/* The running daemon. */
struct trd_daemon {
	struct trd_config cf;
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *tls;			/* for new connections; swapped on SIGHUP */
	proto_jws_key *signing;
	reg_key *log_key;		/* signs checkpoints, or NULL */
	struct event *ev_checkpoint;
	int checkpointing;		/* a checkpoint job is queued */
	uint64_t checkpoint_size;	/* of the latest checkpoint signed */
	/* Why the last checkpoint was refused (the log failed its check
	 * before signing), or "": the log endpoints answer 500 meanwhile. */
	char log_refused[300];
	tr__peers *peers;		/* peers_ref->peers, or NULL */
	struct trd_peers_ref *peers_ref;
	struct trd_witness *witness;	/* tracerd_witness.c, or NULL */
	struct trd_policy_ref *policy;
	trd_pool *pool;			/* storing, reading, the log */
	trd_pool *tracers;		/* traces */
	tr__metrics *metrics;
	tr__ratelimit *rl;		/* requests per caller */
	long connections;		/* TLS connections open */
	struct evhttp_bound_socket *sock;
	unsigned long requests;
	long in_flight;			/* HTTP requests not yet answered */
	long traces_running;		/* queued or running trace jobs */
	unsigned long traces_finished;	/* trace jobs done, ever */
	struct trd_holds waiters;	/* GETs waiting for an answer */
	int stopping;
	/* Outbound (tracerd_out.c). */
	trd_pool *outbound;
	proto_jws_key *domestic[TRD_DOMESTIC_KEYS_MAX];
	int n_domestic;
	long hops_running;
	struct trd_gate *out_gate;	/* hops by State; the hub's relays */
	atomic_int cancel;		/* set at stop: outbound calls give up */
	unsigned long chain_ends;	/* chains that ended, ever */
	struct trd_holds chain_waiters;	/* chains' GETs waiting for a change */
	/* Tables by request id (trd_id_table_slot()), or NULL: the hub's
	 * relays recorded lately, who sent them to whom (tracerd_hub.c,
	 * struct trd_relay_seen), and the answers stored lately
	 * (tracerd_traces.c, struct trd_answer_kept). */
	void *relays_seen;
	void *answers;
};

/* The policy and peers directory in force, counted (tracerd_state.c):
 * trd_*_ref_new() makes a reference the daemon's own (NULL without memory,
 * the policy or peers then not taken). */
struct trd_policy_ref *trd_policy_hold(struct trd_daemon *d);
void trd_policy_release(struct trd_policy_ref *ref);
struct trd_policy_ref *trd_policy_ref_new(tr_policy *p);

/* One HTTP request being served.  Every path ends in trd_reply() or
 * trd_problem(), which answer, log the request's line and free the call. */
struct trd_call {
	struct trd_daemon *d;
	struct evhttp_request *req;
	struct trd_identity id;
	int identified;			/* id was read from the certificate */
	const char *route;		/* the endpoint, for the log */
	char path[256];
	const char *method;
	struct timespec t0;
	char request_id[37];		/* the trace request concerned, or "" */
	struct trd_conn *conn;		/* its connection's record, or NULL */
	int retry_after;		/* seconds, for 429 and 503; 0: 1 */
	int wait;			/* GET ?wait=S: seconds to hold for the
					 * answer, 0 = none */
	char note[64];			/* for the log line, e.g. "repeat" */
	char path_id[37];		/* the path's {id} (tracerd_routes.c) */
};

/*
 * The route table (tracerd_routes.c): one row an endpoint, the first row
 * whose path matches a request's being its route.  A handler is called
 * with a call of the row's method from a caller the row lets in.
 */
typedef void (*trd_handler_fn)(struct trd_call *c);
struct trd_route {
	const char *method;		/* "GET" (HEAD too) or "POST" */
	const char *path;		/* the route's name too; "{id}" stands
					 * for a request id (c->path_id), a
					 * final "*" for any rest */
	const char *refusal;		/* bad-request's detail for another
					 * method */
	int family;			/* the refusal is the path family's:
					 * the route is left unnamed */
	trd_handler_fn state_fn;	/* on a State's daemon; NULL: no such
					 * path */
	trd_handler_fn hub_fn;		/* on a hub, or NULL: state_fn */
	unsigned state, hub;		/* the kinds of caller (TRD_K_) that may
					 * call it of a State's daemon, of a hub */
	const char *who;		/* forbidden's detail: who may */
	int unmetered;			/* no rate limit (health checks) */
};
extern const struct trd_route trd_routes[];
extern const size_t trd_routes_n;
/* The row of path (its {id} copied to id), or NULL. */
const struct trd_route *trd_route_find(const char *path, char id[37]);
/* Whether method is r's (HEAD is a GET's). */
int trd_route_method_ok(const struct trd_route *r, const char *method);
/* r's handler in a hub (hub 1) or a State's daemon, or NULL. */
trd_handler_fn trd_route_handler(const struct trd_route *r, int hub);
/* Whether a caller of kind (TRD_K_) may call r in a hub (hub 1) or a
 * State's daemon. */
int trd_route_allows(const struct trd_route *r, int hub, unsigned kind);
/* Dispatches c by its row r (NULL: not found): the method, the caller's
 * kind, then the handler; every refusal answered with its problem. */
void trd_route_call(struct trd_call *c, const struct trd_route *r);

/*
 * The HTTP plumbing (tracerd_listen.c): evhttp on d->base with every
 * connection over TLS through tracerd_http.c's framing and every request
 * dispatched by the route table (-1 without memory); then the listener
 * (0, or REG_EIO with err).
 */
int trd_listen_setup(struct trd_daemon *d);
int trd_listen(struct trd_daemon *d, reg_error *err);

/* Answers with a body of ctype (NULL: none), logs and frees the call. */
void trd_reply(struct trd_call *c, int status, const char *ctype,
    const void *body, size_t len, const char *location);

/* Answers with the problem document of type name (proto/README.md 11.2),
 * signed when the caller is known; detail and field may be NULL. */
void trd_problem(struct trd_call *c, const char *name, const char *detail,
    const char *field);

/* Answers with doc signed by the daemon's key, cty its schema. */
void trd_reply_signed(struct trd_call *c, int status, const char *cty,
    const char *doc, const char *location);

/* One log line "event=E request=R status=S what=\"...\"" (NULL parts left
 * out), the what's quotes and controls escaped. */
void trd_log_event(const char *event, const char *request, const char *status,
    const char *what);

/* One log line of key=value pairs as fmt makes them (the caller escapes
 * what came from outside), after the time. */
void trd_logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The seconds since the epoch of an RFC 3339 UTC time (fractions dropped),
 * or 0 when it is not one. */
time_t trd_rfc3339_seconds(const char *s);

/* RFC 3339 UTC with milliseconds of t (CLOCK_REALTIME). */
void trd_timestamp(const struct timespec *t, char out[32]);

/*
 * Connections (tracerd_conn.c): each TLS connection has a record, found
 * from its SSL object, that counts its requests in flight.  A connection
 * in its TLS handshake has handshake_timeout seconds, and at most
 * max_handshakes are kept (the oldest that has not sent its ClientHello
 * closed first, never the newest); an authenticated one is closed when it
 * has been idle, or has not completed a request, for idle_timeout seconds,
 * and at most max_connections are kept (the one idle the longest closed
 * for a new one).  Every handshake that lets no caller in is logged, at
 * most handshake_log_rate lines a second.  The record lives until the
 * connection is freed and its last call answered.
 */
struct trd_conn;
int trd_conn_init(reg_error *err);
void trd_conn_open(struct trd_daemon *d, struct bufferevent *bev, SSL *ssl);
struct trd_conn *trd_conn_hold(SSL *ssl);
void trd_conn_release(struct trd_conn *conn);

/*
 * HTTP/1.1 framing (tracerd_http.c): trd_http_wrap() puts a strict reader
 * over a connection's TLS bufferevent (freed, with NULL returned, when it
 * cannot); evhttp gets only sound requests, and the first fault is
 * answered with a problem document (400, 408, 413, 501) after the requests
 * before it, and the connection closed.  trd_http_ssl() is the TLS session
 * of a request; trd_http_answering() is called just before a request is
 * answered.
 */
struct bufferevent *trd_http_wrap(struct trd_daemon *d, struct bufferevent *tls);
SSL *trd_http_ssl(struct evhttp_request *req);
void trd_http_answering(struct evhttp_request *req);

/* In a job: 0 when the worker has its connection, else REG_EIO with the
 * reason in error. */
int trd_job_db(const struct trd_worker *w, char *error, size_t len);

/* Queues a call's job on the database pool: 0, or -1 when the pool
 * refuses it, the call then answered 503 (the caller frees arg). */
int trd_call_submit(struct trd_call *c, trd_job_fn fn, trd_done_fn done, void *arg);
/* The same for a job that only reads (trd_pool_submit_read): it runs once
 * more on a new connection when its connection breaks under it. */
int trd_call_submit_read(struct trd_call *c, trd_job_fn fn, trd_done_fn done,
    void *arg);

/* Whether a job's failure rc says the database cannot be reached now (no
 * connection, a connection lost, a server shutting down or starting): the
 * call then answers 503 with Retry-After, never 500. */
int trd_db_unavailable(int rc);

/* Metrics (GET /metrics) and counters of the daemon's own events. */
void trd_metrics_get(struct trd_call *c);
void trd_count(struct trd_daemon *d, const char *name, const char *help,
    const char *label, const char *value);

/* Endpoints: handlers of the route table, called with an authorised
 * call. */
void trd_health_get(struct trd_call *c);
void trd_ready_get(struct trd_call *c);
void trd_traces_post(struct trd_call *c);
void trd_traces_get(struct trd_call *c, const char *id, int status_only);
void trd_log_checkpoint(struct trd_call *c);
void trd_log_inclusion(struct trd_call *c);
void trd_log_consistency(struct trd_call *c);

/* Whether a Content-Type value v is the media type want (parameters
 * allowed). */
int trd_media_type_is(const char *v, const char *want);

/* Reads the body of c as a signed message (one final newline dropped):
 * 0, or -1 when c has been answered (bad-request, unavailable). */
int trd_read_signed(struct trd_call *c, char **message, size_t *len,
    proto_jws **jws);

/*
 * Reads c's body as a signed trace request (POST /v1/traces) of State
 * sender, or, when via is not NULL, relayed by the hub via for the State
 * whose key signed (which the peers directory must reach through via):
 * the media type, the JWS, a kid of that State, its key (key_of; a kid it
 * does not know is unknown-key with the detail unknown_key), the
 * signature, cty, the codec, and requesting_state that State.  0 with
 * *message (the bytes as received), *req and kid_out, or -1 when c has
 * been answered with the problem.
 */
int trd_read_request(struct trd_call *c, const char *sender, const char *via,
    const proto_jws_key *key_of(const struct trd_daemon *, const char *),
    const char *unknown_key, char **message, size_t *len, proto_request **req,
    char kid_out[201]);
/* The signed acknowledgement of req (trace-ack/1, status acknowledged),
 * received as message with the leaf log_index; free() it, or NULL with
 * err. */
char *trd_sign_ack(const struct trd_daemon *d, const proto_request *req,
    const char *received_at, const char *due_by, const char *message,
    uint64_t log_index, reg_error *err);
/* The peers directory's key of kid (for trd_read_request()). */
const proto_jws_key *trd_peer_key(const struct trd_daemon *d, const char *kid);

/* The status of a request as its readers see it: an open request past its
 * due time is "overdue" (tracerd_signed.c). */
const char *trd_shown_status(const struct reg_trace *t);
/* The acknowledgement or status document (trace-ack/1 JSON) of t; with
 * with_status its current status, else "acknowledged". */
int trd_ack_doc(const struct reg_trace *t, int with_status, char **out,
    proto_error *perr);

/*
 * Requests this State sends (tracerd_out.c): a domestic investigator's or
 * liaison officer's request to another State, forwarded under this State's
 * signature, and the referrals its answers name, followed hop by hop.
 */
int trd_out_init(struct trd_daemon *d, reg_error *err);
int trd_out_start(struct trd_daemon *d, reg_error *err);
void trd_out_stop(struct trd_daemon *d);
void trd_out_free(struct trd_daemon *d);
void trd_out_post(struct trd_call *c);
void trd_out_chain_get(struct trd_call *c, const char *id);

/* The peers directory in force, counted like the policy: outbound jobs
 * hold the one they started with across a reload. */
struct trd_peers_ref {
	tr__peers *peers;
	int refs;
};
struct trd_peers_ref *trd_peers_hold(struct trd_daemon *d);
void trd_peers_release(struct trd_peers_ref *ref);
struct trd_peers_ref *trd_peers_ref_new(tr__peers *peers);
/*
 * Hub mode (tracerd_hub.c): the relaying endpoints, the relay workers'
 * slots (their clients), the hub's metrics text (appended to /metrics),
 * and the checks and start of a hub (after its configuration and peers
 * directory are loaded).
 */
void trd_hub_post(struct trd_call *c);
void trd_hub_get(struct trd_call *c, const char *id, int status_only);
void trd_hub_slot_free(void *slot);
void trd_hub_free(struct trd_daemon *d);
void trd_traces_free(struct trd_daemon *d);
int trd_hub_scrape(reg_ctx *db, char **text, reg_error *err);
int trd_hub_start(const struct trd_config *cf, const tr__peers *peers,
    reg_error *err);
/*
 * Witnessed logs (tracerd_witness.c, proto/README.md 13.3.4): the log's
 * side takes witnesses' cosignatures (POST /v1/log/cosignature); the
 * witness's side checks and cosigns peers' checkpoints every [witness]
 * interval and serves what it found (GET /v1/witness).
 */
/* Loads the witness's and the log's witness keys and checks [witness]
 * peers against the directory; with run, starts the rounds too. */
int trd_witness_start(struct trd_daemon *d, int run, reg_error *err);
void trd_witness_free(struct trd_daemon *d);
void trd_log_cosignature_post(struct trd_call *c);
void trd_witness_get(struct trd_call *c);

/* Answers every GET waiting for a trace (at stop). */
void trd_traces_wake_all(struct trd_daemon *d);

/* Frees a trace worker's engine. */
void trd_traces_slot_free(void *slot);

/* Signs a checkpoint every checkpoint_interval when the log has grown. */
int trd_log_checkpoints_start(struct trd_daemon *d, reg_error *err);

/* Queues the trace of every request not yet answered (at start, before
 * listening). */
int trd_traces_resume(struct trd_daemon *d, reg_error *err);

#endif
