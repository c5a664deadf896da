/*
 * tracerd in hub mode ([daemon] mode = hub): an Interpol-style liaison
 * that relays trace requests and their answers between States that do not
 * peer directly (proto/README.md 13.5).  A hub has no records of its own:
 * its database holds its audit log and the metadata of what it relayed
 * (registry/stores/relay_store.c), never a message's body.
 *
 *   POST /v1/traces            from a peer State D, for another State X:
 *                              checked as a State's daemon checks it, its
 *                              receipt recorded (who, to whom, when, the
 *                              message's SHA-256), then the exact bytes
 *                              forwarded to X with the hub's certificate
 *                              and X's answer relayed unchanged to D
 *   GET  /v1/traces/{id}[/status][?wait=S]
 *                              from the State that sent the request
 *                              through the hub only (else not-found):
 *                              forwarded to X, the answer relayed unchanged
 *
 * The hub parses what X signed (verified with X's key from the hub's
 * peers directory, never altered) to follow the request's status, due time
 * and answer time, and records each change.  When X cannot be reached the
 * hub answers with its own signed problem, unavailable (503, Retry-After),
 * and the sender tries again later (requests are idempotent by id).
 *
 * The loop checks what needs no database; the database pool records; the
 * relay pool (the trace pool of a State's daemon, [workers] traces) holds
 * one forwarding each, on libcurl, with a kept-alive client per State in
 * each worker.  The peers directory is read on the loop's thread only (a
 * reload frees the old one): a job gets copies of what it needs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "client_int.h"
#include "tracerd_int.h"

/* A forwarding's time limit: a held GET's 60 seconds and some. */
#define HUB_TIMEOUT 75
/* Seconds a sender waits before it tries again when X is unreachable. */
#define HUB_RETRY_AFTER 30

/* ------------------------------------------------------------ clients */

/* Where a State is and how to trust it: copied from the peers directory
 * on the loop's thread. */
struct route {
	char code[3];
	char *url, *ca_file, *pinned_cert;
};

static void
route_clear(struct route *r)
{
	free(r->url);
	free(r->ca_file);
	free(r->pinned_cert);
	memset(r, 0, sizeof(*r));
}

/* Copies a State's url and TLS trust; -1 when out of memory. */
static int
route_set(struct route *r, const char *code, const char *url, const char *ca_file,
    const char *pinned_cert)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->code, code, 2);
	if ((r->url = strdup(url)) == NULL ||
	    (ca_file != NULL && (r->ca_file = strdup(ca_file)) == NULL) ||
	    (pinned_cert != NULL && (r->pinned_cert = strdup(pinned_cert)) == NULL)) {
		route_clear(r);
		return -1;
	}
	return 0;
}

static int
route_copy(struct route *r, const struct tr__peer *p)
{
	return route_set(r, p->code, p->url, p->ca_file, p->pinned_cert);
}

static int
str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* A relay worker's clients, one per State, kept alive between jobs. */
struct hub_slot {
	struct hub_client {
		struct route to;
		tr__client *cl;
	} *v;
	size_t n;
};

void
trd_hub_slot_free(void *slot)
{
	struct hub_slot *s = slot;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		tr__client_free(s->v[i].cl);
		route_clear(&s->v[i].to);
	}
	free(s->v);
	free(s);
}

/* The worker's client for route to, made (or made again, when the peers
 * directory changed the State's url or trust) when needed. */
static int
client_for(struct trd_worker *w, const struct trd_config *cf,
    const atomic_int *cancel, const struct route *to, tr__client **out,
    reg_error *err)
{
	struct hub_slot *s = w->slot;
	struct tr__client_config cfg;
	struct hub_client *hc = NULL, *nv;
	size_t i;
	int r;

	*out = NULL;
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return tr__fail(err, REG_ENOMEM, "out of memory");
		w->slot = s;
	}
	for (i = 0; i < s->n && hc == NULL; i++)
		if (strcmp(s->v[i].to.code, to->code) == 0)
			hc = &s->v[i];
	if (hc != NULL && str_same(hc->to.url, to->url) &&
	    str_same(hc->to.ca_file, to->ca_file) &&
	    str_same(hc->to.pinned_cert, to->pinned_cert)) {
		*out = hc->cl;
		return 0;
	}
	if (hc == NULL) {
		if ((nv = realloc(s->v, (s->n + 1) * sizeof(*nv))) == NULL)
			return tr__fail(err, REG_ENOMEM, "out of memory");
		s->v = nv;
		hc = &s->v[s->n++];
		memset(hc, 0, sizeof(*hc));
	}
	tr__client_free(hc->cl);
	hc->cl = NULL;
	route_clear(&hc->to);
	memset(&cfg, 0, sizeof(cfg));
	cfg.url = to->url;
	cfg.ca_file = to->ca_file;
	cfg.pinned_cert = to->pinned_cert;
	cfg.cert_file = cf->client_cert[0] ? cf->client_cert : cf->tls_cert;
	cfg.key_file = cf->client_key[0] ? cf->client_key : cf->tls_key;
	cfg.timeout = HUB_TIMEOUT;
	cfg.cancel = cancel;
	if ((r = tr__client_new(&cfg, &hc->cl, err)) != 0)
		return r;
	if (route_set(&hc->to, to->code, to->url, to->ca_file, to->pinned_cert) != 0) {
		tr__client_free(hc->cl);
		hc->cl = NULL;
		return tr__fail(err, REG_ENOMEM, "out of memory");
	}
	*out = hc->cl;
	return 0;
}

/* ------------------------------------------------------------ relays */

struct relay {
	struct trd_call *c;
	struct trd_daemon *d;
	int post;			/* POST /v1/traces, else a GET */
	char path[160];			/* the path and query forwarded */
	char id[37];
	char from[3];			/* the sending State */
	struct route to;		/* the requested State */
	/* POST: the message as received, parsed, and its receipt. */
	char *message;
	size_t message_len;
	proto_request *req;
	char caller[300];
	char kid[201];
	char received_at[32];
	char sha256[48];
	/* Its turn for a call to the requested State (trd_gate). */
	trd_pool *pool;
	trd_job_fn fn;
	trd_done_fn done;
	int gated;			/* d->out_gate entered */
	int no_forward;			/* the State is paused: record only */
	int tried;			/* a call was made: its result counts */
	int retry_after;		/* for the hub's own 503, or 0 */
	/* Results of the jobs. */
	int rc;				/* 0, or a REG_E* code */
	int db_failed;			/* rc is the database's, not X's */
	int same;			/* a POST again: the same message */
	int forwarded;			/* ans holds X's answer */
	struct tr__client_answer ans;
	struct reg_relay rel;		/* GET: the relay looked up */
	char error[512];
	/* The status seen in X's answer, to record ("" none). */
	char status[16];
	int http_status;
	char due_by[40], responded_at[40], doc_sha256[48];
};

/*
 * The relays recorded lately, by id: who sent each to whom, facts that
 * never change.  A GET for a relay's answer found here goes on to the
 * requested State without reading the relay back from the database.
 * Direct-mapped, a newer relay taking an older one's slot; used on the
 * event loop's thread only.
 */
#define RELAYS_SEEN 4096
struct trd_relay_seen {
	char id[37];
	char from[3], to[3];
};

static void
seen_add(struct trd_daemon *d, const char *id, const char *from, const char *to)
{
	struct trd_relay_seen *s = trd_id_table_slot(&d->relays_seen,
	    RELAYS_SEEN, sizeof(*s), id);

	if (s == NULL)
		return;
	snprintf(s->id, sizeof(s->id), "%s", id);
	memcpy(s->from, from, 3);
	memcpy(s->to, to, 3);
}

static const struct trd_relay_seen *
seen_find(struct trd_daemon *d, const char *id)
{
	const struct trd_relay_seen *s = trd_id_table_slot(&d->relays_seen,
	    RELAYS_SEEN, sizeof(*s), id);

	return s != NULL && strcmp(s->id, id) == 0 ? s : NULL;
}

void
trd_hub_free(struct trd_daemon *d)
{
	free(d->relays_seen);
	d->relays_seen = NULL;
}

static void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	free(r->message);
	proto_request_free(r->req);
	tr__client_answer_free(&r->ans);
	route_clear(&r->to);
	free(r);
}

static void
sha256_b64(const void *data, size_t len, char out[48])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	EVP_EncodeBlock((unsigned char *)out, md, sizeof(md));
}

/* The relay's call to the requested State ended (or never began): its
 * turn goes to the next relay to that State, its result to the State's
 * circuit breaker. */
static void
relay_leave(struct relay *r, int ran)
{
	if (!r->gated)
		return;
	r->gated = 0;
	trd_gate_leave(r->d->out_gate, r->to.code, !ran || !r->tried ? 0 :
	    r->forwarded ? 1 : atomic_load(&r->d->cancel) ? 0 : -1);
}

static void
relay_busy(struct relay *r, const char *detail)
{
	r->c->retry_after = 5;
	trd_problem(r->c, "unavailable", detail, NULL);
	relay_free(r);
}

static void post_job(struct trd_worker *w, void *arg);
static void post_done(void *arg, int ran);

/* The requested State is paused after failed calls: a POST's receipt and
 * the State's unavailability are recorded (as when a call fails), a GET is
 * refused at once; either way with the hub's own 503 and Retry-After. */
static void
relay_paused(struct relay *r)
{
	int pause = 1;

	trd_gate_paused(r->d->out_gate, r->to.code, &pause);
	r->retry_after = pause > 0 ? pause : 1;
	if (r->post) {
		r->no_forward = 1;
		if (trd_pool_submit(r->d->pool, post_job, post_done, r) == 0)
			return;
		relay_busy(r, "the hub is too busy; try again later");
		return;
	}
	r->c->retry_after = r->retry_after;
	trd_count(r->d, "tracerd_hub_unavailable_total", "Forwardings that "
	    "could not reach the requested State, by that State.", "state",
	    r->to.code);
	trd_problem(r->c, "unavailable", "the requested State does not answer "
	    "the hub now; send the same message again after the Retry-After "
	    "header's seconds", NULL);
	relay_free(r);
}

static void
relay_queue(struct relay *r)
{
	if (trd_pool_submit(r->pool, r->fn, r->done, r) == 0)
		return;
	relay_leave(r, 0);
	relay_busy(r, "the hub is too busy; try again later");
}

/* A relay that waited for its State's turn. */
static void
relay_go(void *arg, const char *code, int go)
{
	struct relay *r = arg;

	(void)code;
	if (go == TRD_GATE_GO) {
		r->gated = 1;
		relay_queue(r);
	} else if (go == TRD_GATE_PAUSED) {
		relay_paused(r);
	} else {
		relay_busy(r, go == TRD_GATE_STOPPING ? "the hub is stopping" :
		    "the hub has too many requests for this State in hand; try "
		    "again later");
	}
}

/* Queues a forwarding to r->to: at once, or in its State's turn (at most
 * [outbound] per_state_in_flight at once, none while the State is paused),
 * so that a State that does not answer never holds every relay worker. */
static void
relay_submit(struct trd_call *c, trd_pool *pool, trd_job_fn fn, trd_done_fn done,
    struct relay *r)
{
	(void)c;
	r->pool = pool;
	r->fn = fn;
	r->done = done;
	switch (trd_gate_enter(r->d->out_gate, r->to.code, relay_go, r)) {
	case TRD_GATE_GO:
		r->gated = 1;
		relay_queue(r);
		break;
	case TRD_GATE_WAIT:
		break;
	default:
		relay_go(r, r->to.code, trd_gate_paused(r->d->out_gate, r->to.code,
		    NULL) ? TRD_GATE_PAUSED : TRD_GATE_STOPPING);
		break;
	}
}

/* In the relay pool: sends the request to X and reads its answer. */
static void
forward(struct trd_worker *w, struct relay *r)
{
	reg_error err = REG_ERROR_INIT;
	tr__client *cl;

	if (client_for(w, &r->d->cf, &r->d->cancel, &r->to, &cl, &err) == 0) {
		r->tried = 1;
		r->rc = r->post ? tr__client_post(cl, r->path, "application/jose",
		    r->message, r->message_len, &r->ans, &err) :
		    tr__client_get(cl, r->path, &r->ans, &err);
	} else {
		r->rc = err.code;
	}
	if (r->rc == 0)
		r->forwarded = 1;
	else
		snprintf(r->error, sizeof(r->error), "%.400s", err.message);
}

static void record_job(struct trd_worker *w, void *arg);
static void record_done(void *arg, int ran);

/* The requested State's answer, as it signed it: the status it states,
 * recorded when it changes.  Nothing is recorded of an answer that does
 * not verify with X's key (the sender checks it too). */
static void
examine(struct relay *r)
{
	struct trd_daemon *d = r->d;
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	proto_jws *j = NULL;
	proto_ack *ack = NULL;
	proto_response *resp = NULL;
	const uint8_t *payload;
	const char *cty;
	size_t plen;

	r->status[0] = '\0';
	r->http_status = (int)r->ans.status;
	sha256_b64(r->ans.body, r->ans.len, r->doc_sha256);
	if (r->ans.status >= 300 || strcmp(r->ans.content_type, "application/jose") != 0) {
		/* A refusal of the request (a problem document): the sender
		 * reads why; the hub notes that it was refused. */
		if (r->post && r->ans.status >= 400 && r->ans.status != 429 &&
		    r->ans.status < 500)
			snprintf(r->status, sizeof(r->status), "refused");
		return;
	}
	if (tr__signed_open(d->peers, NULL, r->to.code, r->ans.body, r->ans.len, &j,
	    &err) != 0) {
		trd_log_event("relay", r->id, "unverified", err.message);
		trd_count(d, "tracerd_hub_unverified_total", "Answers relayed whose "
		    "signature did not verify with the requested State's key, by "
		    "that State.", "state", r->to.code);
		return;
	}
	cty = proto_jws_cty(j);
	payload = proto_jws_payload(j, &plen);
	if (cty != NULL && strcmp(cty, PROTO_SCHEMA_ACK) == 0 &&
	    proto_ack_parse((const char *)payload, plen, &ack, &perr) == 0) {
		if (strcmp(ack->request_id, r->id) != 0 ||
		    strcmp(ack->requested_state, r->to.code) != 0 ||
		    strcmp(ack->requesting_state, r->from) != 0 ||
		    (r->post && tr__ack_check(ack, r->req, r->message, &err) != 0)) {
			trd_log_event("relay", r->id, "mismatch", "the requested State's "
			    "status document is not of the request relayed");
		} else {
			snprintf(r->status, sizeof(r->status), "%.15s", ack->status);
			snprintf(r->due_by, sizeof(r->due_by), "%s", ack->due_by);
			snprintf(r->responded_at, sizeof(r->responded_at), "%s",
			    ack->responded_at);
		}
	} else if (cty != NULL && strcmp(cty, PROTO_SCHEMA_RESPONSE) == 0 &&
	    tr__response_check(d->peers, j, &resp, NULL, &err) == 0) {
		/* Checkpoint and inclusion proofs checked too (verify.c). */
		if (strcmp(resp->id, r->id) != 0 ||
		    strcmp(resp->responding_state, r->to.code) != 0) {
			trd_log_event("relay", r->id, "mismatch", "the requested State's "
			    "response is not of the request relayed");
		} else {
			const char *s = resp->status;

			snprintf(r->status, sizeof(r->status), "%.15s",
			    strcmp(s, "found") == 0 || strcmp(s, "ambiguous") == 0 ||
			    strcmp(s, "not_found") == 0 ? "answered" : s);
			snprintf(r->responded_at, sizeof(r->responded_at), "%s",
			    resp->responded_at);
			/* The due time stays the one of the acknowledgement. */
			snprintf(r->due_by, sizeof(r->due_by), "%s", r->rel.due_by);
		}
	} else {
		trd_log_event("relay", r->id, err.code == REG_EVERIFY ? "unverified" :
		    "unparsed", err.message[0] ? err.message : perr.message[0] ?
		    perr.message : "an answer of an unexpected type");
	}
	proto_ack_free(ack);
	proto_response_free(resp);
	proto_jws_free(j);
}

/* Relays X's answer unchanged: status, media type, Location, Retry-After
 * and body. */
static void
relay_answer(struct relay *r)
{
	struct trd_call *c = r->c;
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	char ra[24];

	if (r->ans.retry_after >= 0) {
		if (r->ans.status == 429 || r->ans.status == 503) {
			c->retry_after = r->ans.retry_after > 0 ? (int)r->ans.retry_after : 1;
		} else {
			snprintf(ra, sizeof(ra), "%ld", r->ans.retry_after);
			evhttp_add_header(h, "Retry-After", ra);
		}
	}
	snprintf(c->note, sizeof(c->note), "relayed %s %ld", r->to.code, r->ans.status);
	trd_count(r->d, "tracerd_hub_forwarded_total", "Requests forwarded by the "
	    "hub, by the requested State.", "state", r->to.code);
	trd_reply(c, (int)r->ans.status, r->ans.content_type[0] ? r->ans.content_type :
	    NULL, r->ans.body, r->ans.len, r->ans.location[0] ? r->ans.location : NULL);
}

/* After a forwarding: X unreachable (recorded, then refused), or its
 * answer examined, relayed, and its status recorded. */
static void
forwarded(struct relay *r)
{
	struct trd_call *c = r->c;

	if (!r->forwarded) {
		char detail[600];

		trd_log_event("relay", r->id, "unavailable", r->error);
		trd_count(r->d, "tracerd_hub_unavailable_total", "Forwardings that "
		    "could not reach the requested State, by that State.", "state",
		    r->to.code);
		snprintf(detail, sizeof(detail), "%s cannot be reached through the "
		    "hub now; send the same message again after the Retry-After "
		    "header's seconds", r->to.code);
		/* The problem is the hub's own, signed by the hub. */
		c->retry_after = r->retry_after > 0 ? r->retry_after : HUB_RETRY_AFTER;
		if (r->post) {
			snprintf(r->status, sizeof(r->status), "unavailable");
			r->http_status = 0;
			r->doc_sha256[0] = '\0';
			r->due_by[0] = r->responded_at[0] = '\0';
			snprintf(r->error, sizeof(r->error), "%.500s", detail);
			if (trd_pool_submit(r->d->pool, record_job, record_done, r) == 0)
				return;
		}
		trd_problem(c, "unavailable", detail, NULL);
		relay_free(r);
		return;
	}
	examine(r);
	/* The answer goes first: it is the requested State's, relayed as it
	 * came, and needs nothing of the hub's record of its status, which
	 * follows (off the requester's path). */
	relay_answer(r);
	r->c = NULL;
	if (r->status[0] != '\0' &&
	    trd_pool_submit(r->d->pool, record_job, record_done, r) == 0)
		return;
	relay_free(r);
}

/* In the database pool: records the status seen (a change only). */
static void
record_job(struct trd_worker *w, void *arg)
{
	struct relay *r = arg;
	reg_error err = REG_ERROR_INIT;
	char why[512];

	if (trd_job_db(w, why, sizeof(why)) != 0) {
		trd_log_event("relay", r->id, "error", why);
		return;
	}
	if (reg_relay_status_add(w->db, r->id, r->status, r->http_status,
	    r->due_by[0] ? r->due_by : NULL, r->responded_at[0] ? r->responded_at :
	    NULL, r->doc_sha256[0] ? r->doc_sha256 : NULL, NULL, NULL, &err) != 0)
		trd_log_event("relay", r->id, "error", err.message);
}

static void
record_done(void *arg, int ran)
{
	struct relay *r = arg;

	(void)ran;
	if (r->c != NULL && !r->forwarded)
		trd_problem(r->c, "unavailable", r->error, NULL);
	relay_free(r);
}

/* ------------------------------------------------------------ POST */

static void
post_job(struct trd_worker *w, void *arg)
{
	struct relay *r = arg;
	reg_error err = REG_ERROR_INIT;
	struct reg_relay_in in;

	r->db_failed = 1;
	if ((r->rc = trd_job_db(w, r->error, sizeof(r->error))) != 0)
		return;
	memset(&in, 0, sizeof(in));
	in.id = r->id;
	in.requesting_state = r->from;
	in.requested_state = r->to.code;
	in.caller = r->caller;
	in.kid = r->kid;
	in.priority = r->req->priority;
	in.received_at = r->received_at;
	in.request_sha256 = r->sha256;
	r->rc = reg_relay_receive(w->db, &in, NULL, &r->same, &err);
	if (r->rc == REG_EEXIST && r->same)
		r->rc = 0;	/* sent again: forwarded again (X answers the same) */
	if (r->rc != 0) {
		snprintf(r->error, sizeof(r->error), "%.400s", err.message);
		return;
	}
	r->db_failed = 0;
	if (r->no_forward) {
		snprintf(r->error, sizeof(r->error), "%s is paused after failed "
		    "calls", r->to.code);
		return;
	}
	forward(w, r);
}

static void
post_done(void *arg, int ran)
{
	struct relay *r = arg;
	struct trd_call *c = r->c;

	relay_leave(r, ran);
	if (!ran) {
		trd_problem(c, "unavailable", "the hub is stopping", NULL);
	} else if (r->rc == REG_EEXIST) {
		trd_problem(c, "conflict", "a different request with this id was "
		    "relayed before; a new request needs a new id", "id");
	} else if (r->db_failed && trd_db_unavailable(r->rc)) {
		trd_log_event("error", r->id, NULL, r->error);
		trd_problem(c, "unavailable", "the hub's database cannot be reached; "
		    "try again later", NULL);
	} else if (r->db_failed) {
		trd_log_event("error", r->id, NULL, r->error);
		trd_problem(c, "internal", "the relay could not be recorded", NULL);
	} else {
		seen_add(r->d, r->id, r->from, r->to.code);
		forwarded(r);
		return;
	}
	relay_free(r);
}

void
trd_hub_post(struct trd_call *c)
{
	struct trd_daemon *d = c->d;
	const struct tr__peer *from, *to;
	struct relay *r;
	struct timespec now;

	/* Beyond the table: a State the hub reaches directly. */
	from = strcmp(c->id.role, "peer") == 0 ? tr__peers_get(d->peers, c->id.state) :
	    NULL;
	if (from == NULL || from->via[0] != '\0' || from->hub) {
		trd_problem(c, "forbidden", "only the daemon of a State that peers "
		    "with this hub sends trace requests through it", NULL);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	r->c = c;
	r->d = d;
	r->post = 1;
	/* As a State's daemon: one final newline is not part of the message;
	 * the bytes forwarded are the message without it. */
	if (trd_read_request(c, c->id.state, NULL, trd_peer_key, "the hub's peers "
	    "directory has no key of this kid", &r->message, &r->message_len,
	    &r->req, r->kid) != 0)
		goto fail;
	to = tr__peers_get(d->peers, r->req->requested_state);
	if (strcmp(r->req->requested_state, d->cf.state) == 0 ||
	    strcmp(r->req->requested_state, c->id.state) == 0 || to == NULL ||
	    to->via[0] != '\0' || to->hub) {
		trd_problem(c, "wrong-state", strcmp(r->req->requested_state,
		    d->cf.state) == 0 ? "requested_state is the hub's own code; a "
		    "hub has no records: address the State that holds them" :
		    "requested_state is not a State that this hub relays to",
		    "requested_state");
		goto fail;
	}
	snprintf(r->id, sizeof(r->id), "%s", r->req->id);
	for (char *q = r->id; *q; q++)
		if (*q >= 'A' && *q <= 'F')
			*q = (char)(*q - 'A' + 'a');
	memcpy(r->from, c->id.state, 3);
	if (route_copy(&r->to, to) != 0) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		goto fail;
	}
	snprintf(r->path, sizeof(r->path), "/v1/traces");
	snprintf(r->caller, sizeof(r->caller), "%s %s %s", c->id.state, c->id.role,
	    c->id.name[0] ? c->id.name : "-");
	sha256_b64(r->message, r->message_len, r->sha256);
	clock_gettime(CLOCK_REALTIME, &now);
	trd_timestamp(&now, r->received_at);
	relay_submit(c, d->tracers, post_job, post_done, r);
	return;
fail:
	relay_free(r);
}

/* ------------------------------------------------------------ GET */

static void
get_forward_job(struct trd_worker *w, void *arg)
{
	forward(w, arg);
}

static void
get_forward_done(void *arg, int ran)
{
	struct relay *r = arg;

	relay_leave(r, ran);
	if (!ran) {
		trd_problem(r->c, "unavailable", "the hub is stopping", NULL);
		relay_free(r);
		return;
	}
	forwarded(r);
}

static void
lookup_job(struct trd_worker *w, void *arg)
{
	struct relay *r = arg;
	reg_error err = REG_ERROR_INIT;

	if ((r->rc = trd_job_db(w, r->error, sizeof(r->error))) != 0)
		return;
	if ((r->rc = reg_relay_get(w->db, r->id, &r->rel, &err)) != 0)
		snprintf(r->error, sizeof(r->error), "%.400s", err.message);
}

static void
lookup_done(void *arg, int ran)
{
	struct relay *r = arg;
	struct trd_call *c = r->c;
	const struct tr__peer *to;

	if (!ran) {
		trd_problem(c, "unavailable", "the hub is stopping", NULL);
	} else if (r->rc == REG_ENOTFOUND || r->rc == REG_EINVAL ||
	    (r->rc == 0 && strcmp(r->rel.requesting_state, c->id.state) != 0)) {
		/* Said as not found, so that a State learns nothing of others'
		 * requests, not even that they exist. */
		trd_problem(c, "not-found", "no trace request with this id that you "
		    "sent through this hub", NULL);
	} else if (r->rc != 0) {
		trd_log_event("error", r->id, NULL, r->error);
		trd_problem(c, "unavailable", "the hub's database cannot be reached; "
		    "try again later", NULL);
	} else if ((to = tr__peers_get(r->d->peers, r->rel.requested_state)) == NULL ||
	    to->via[0] != '\0' || to->hub) {
		trd_problem(c, "not-found", "the State this request went to is no "
		    "longer in the hub's peers directory", NULL);
	} else if (route_copy(&r->to, to) != 0) {
		trd_problem(c, "unavailable", "out of memory", NULL);
	} else {
		memcpy(r->from, r->rel.requesting_state, 3);
		relay_submit(c, r->d->tracers, get_forward_job, get_forward_done, r);
		return;
	}
	relay_free(r);
}

void
trd_hub_get(struct trd_call *c, const char *id, int status_only)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(c->req));
	const struct trd_relay_seen *seen;
	struct relay *r;
	char *end;
	long s;

	/* The same rule as a State's daemon: wait=S (0 to 60) or nothing. */
	if (q != NULL && *q != '\0' && (strncmp(q, "wait=", 5) != 0 || q[5] < '0' ||
	    q[5] > '9' || (s = strtol(q + 5, &end, 10)) < 0 || s > 60 || *end != '\0')) {
		trd_problem(c, "bad-request", "a trace's status takes one parameter, "
		    "wait=S: the seconds (0 to 60) to wait for the answer", NULL);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	r->c = c;
	r->d = c->d;
	snprintf(r->id, sizeof(r->id), "%s", id);
	for (char *p = r->id; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	snprintf(c->request_id, sizeof(c->request_id), "%s", r->id);
	/* The same path and query as asked. */
	snprintf(r->path, sizeof(r->path), "/v1/traces/%s%s%s%s", id,
	    status_only ? "/status" : "", q != NULL && *q != '\0' ? "?" : "",
	    q != NULL ? q : "");
	/* A relay recorded lately is known without the database. */
	if ((seen = seen_find(c->d, r->id)) != NULL) {
		memcpy(r->rel.requesting_state, seen->from, 3);
		memcpy(r->rel.requested_state, seen->to, 3);
		r->rc = 0;
		lookup_done(r, 1);
		return;
	}
	if (trd_call_submit(c, lookup_job, lookup_done, r) != 0)
		relay_free(r);
}

/* ------------------------------------------------------------ metrics */

static void
label(char *out, size_t n, const char *s)
{
	size_t i = 0;

	/* The values are codes and statuses: letters and '_' only. */
	for (; *s != '\0' && i + 1 < n; s++)
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')
			out[i++] = *s;
	out[i] = '\0';
}

int
trd_hub_scrape(reg_ctx *db, char **text, reg_error *err)
{
	struct reg_relay_count *v = NULL;
	size_t n = 0, i, len = 0, cap;
	long open = 0, overdue = 0;
	char *t, a[8], b[8], st[24];
	int r;

	*text = NULL;
	if ((r = reg_relay_counts(db, &v, &n, &open, &overdue, err)) != 0)
		return r;
	cap = 512 + n * 160;
	if ((t = malloc(cap)) == NULL) {
		reg_free(v);
		return tr__fail(err, REG_ENOMEM, "out of memory");
	}
	len += (size_t)snprintf(t + len, cap - len,
	    "# HELP tracerd_hub_relays Trace requests relayed by the hub, by "
	    "requesting State, requested State and latest status.\n"
	    "# TYPE tracerd_hub_relays gauge\n");
	for (i = 0; i < n; i++) {
		label(a, sizeof(a), v[i].requesting_state);
		label(b, sizeof(b), v[i].requested_state);
		label(st, sizeof(st), v[i].status);
		len += (size_t)snprintf(t + len, cap - len,
		    "tracerd_hub_relays{from=\"%s\",to=\"%s\",status=\"%s\"} %ld\n",
		    a, b, st, v[i].n);
	}
	snprintf(t + len, cap - len,
	    "# HELP tracerd_hub_relays_open Relayed trace requests not yet "
	    "answered.\n# TYPE tracerd_hub_relays_open gauge\n"
	    "tracerd_hub_relays_open %ld\n"
	    "# HELP tracerd_hub_relays_overdue Open relayed trace requests past "
	    "the due time that the requested State gave.\n"
	    "# TYPE tracerd_hub_relays_overdue gauge\n"
	    "tracerd_hub_relays_overdue %ld\n", open, overdue);
	reg_free(v);
	*text = t;
	return 0;
}

/* ------------------------------------------------------------ start */

int
trd_hub_start(const struct trd_config *cf, const tr__peers *peers, reg_error *err)
{
	if (peers == NULL || tr__peers_count(peers) == 0)
		return tr__fail(err, REG_EINVAL, "%s: a hub needs a peers directory "
		    "([peers] directory) with the States it relays between",
		    cf->path);
	if (cf->policy[0] != '\0')
		return tr__fail(err, REG_EINVAL, "%s: a hub has no records and so no "
		    "disclosure policy; remove [policy]", cf->path);
	/* Once, on this thread, for the process's life: the workers' clients
	 * then only count references (curl_global_init() is not thread-safe
	 * in every libcurl). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return tr__fail(err, REG_EINTERNAL, "libcurl cannot start");
	return 0;
}
