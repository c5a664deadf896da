/*
 * Witnessed logs (proto/README.md 13.3.4).
 *
 * The witness's side: every [witness] interval, for each State of
 * [witness] peers, a job on a pool of its own (one worker, so that a slow
 * peer never holds a worker that answers requests) fetches the peer's
 * checkpoint with this daemon's TLS certificate, verifies it with the
 * peer's log_verifier, and compares it with the last checkpoint this
 * witness cosigned for that State (in the database, so that a restart
 * forgets nothing).  The same checkpoint again: nothing to do.  A larger
 * one: a consistency proof from the last is fetched and verified, and
 * only then the checkpoint is cosigned, recorded and delivered to the
 * peer (POST /v1/log/cosignature).  The same size with another root, a
 * smaller size, or a proof that fails: a fork; the witness refuses, keeps
 * both signed checkpoints in an alarm, logs it and shows it in /metrics
 * and GET /v1/witness until an operator acknowledges it.  It goes on
 * cosigning only checkpoints that extend the last one it cosigned.
 *
 * The log's side: POST /v1/log/cosignature takes a witness's cosignature
 * body, which the registry verifies against this log's own stored
 * checkpoint and one of the [log] witness keys, and stores; GET
 * /v1/log/checkpoint then serves them with the checkpoint.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "client_int.h"
#include "tracerd_int.h"

#define WITNESS_QUEUE_MAX 256
#define WITNESS_CONNECT_TIMEOUT 5	/* seconds */
#define WITNESS_TIMEOUT 20		/* seconds, one call */

/* What the last round found of a peer. */
enum outcome {
	W_NEVER,			/* not tried yet */
	W_COSIGNED,			/* a new checkpoint, cosigned */
	W_UNCHANGED,			/* the one cosigned before */
	W_FORK,				/* refused: a fork */
	W_DOWN,				/* unreachable */
	W_ERROR				/* an answer that proves nothing */
};

static const char *const outcome_names[] = {
	"never", "cosigned", "unchanged", "fork", "down", "error"
};

struct wpeer {
	char state[3];
	int busy;			/* a job is queued or running */
	enum outcome last;
	time_t last_try;		/* the last round's start, or 0 */
	time_t last_seen;		/* the last verified checkpoint, or 0 */
	uint64_t seen_size;		/* its size */
	char detail[300];		/* why, for fork, down and error */
};

struct trd_witness {
	reg_key *key;			/* [witness] key, or NULL */
	char *verifier;			/* its witness verifier key */
	reg_key *log_witnesses[TRD_LOG_WITNESSES_MAX];	/* [log] witness */
	size_t n_log_witnesses;
	trd_pool *pool;			/* the witness's jobs, one worker */
	struct event *timer;
	struct wpeer peers[TRD_WITNESS_PEERS_MAX];
	int npeers;
};

/* ------------------------------------------------------------ helpers */

/* Copies s into out (size bytes) for a log line's quoted value: quotes and
 * backslashes escaped, controls as spaces. */
static void
quoted(const char *s, char *out, size_t size)
{
	size_t i = 0;

	for (; s != NULL && *s != '\0' && i + 3 < size; s++) {
		if (*s == '"' || *s == '\\')
			out[i++] = '\\';
		out[i++] = (unsigned char)*s < ' ' ? ' ' : *s;
	}
	out[i] = '\0';
}

static void
rfc3339(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
count(struct trd_daemon *d, const char *name, const char *help,
    const char *state)
{
	trd_count(d, name, help, "state", state);
}

static void
forked_gauge(struct trd_daemon *d, const char *state, int forked)
{
	if (tr__metrics_gauge_set_label(d->metrics, "tracerd_witness_forked",
	    "1 while a witnessed State has a fork alarm that no operator has "
	    "acknowledged.", "state", state, forked) != 0)
		trd_log_event("error", NULL, NULL, "a metric was refused");
}

/* ------------------------------------------------------------ one round */

struct wjob {
	struct trd_daemon *d;
	struct wpeer *wp;
	char state[3];
	char *url, *ca_file, *pinned_cert, *log_vkey;
	const char *cert, *key;		/* the daemon's [tls] files */
	const reg_key *witness;
	/* Results, read on the loop's thread. */
	enum outcome outcome;
	int verified;			/* the checkpoint was verified */
	uint64_t size;
	int raised;			/* a new alarm was stored */
	int forked;			/* alarms not acknowledged, after the round */
	int delivered;			/* the log took the cosignature */
	char detail[300];
};

static void
wjob_free(struct wjob *j)
{
	free(j->url);
	free(j->ca_file);
	free(j->pinned_cert);
	free(j->log_vkey);
	free(j);
}

/* Sends the cosignature body (the checkpoint's text, a blank line, line)
 * to the log; 0 when it answered 204, else the reason in j->detail. */
static int
deliver(struct wjob *j, tr__client *cl, const char *note, const char *line)
{
	struct tr__client_answer ans = { .retry_after = -1 };
	reg_error err = REG_ERROR_INIT;
	const char *end = strstr(note, "\n\n");
	size_t tl, ll = strlen(line);
	char *body;
	int r = -1;

	if (end == NULL)
		return -1;
	tl = (size_t)(end - note) + 2;
	if ((body = malloc(tl + ll + 1)) == NULL)
		return -1;
	memcpy(body, note, tl);
	memcpy(body + tl, line, ll + 1);
	if (tr__client_post(cl, "/v1/log/cosignature", "text/plain; charset=utf-8",
	    body, tl + ll, &ans, &err) != 0)
		snprintf(j->detail, sizeof(j->detail), "cosigned, but the "
		    "cosignature could not be delivered: %.200s", err.message);
	else if (ans.status != 204)
		snprintf(j->detail, sizeof(j->detail), "cosigned, but the log "
		    "refused the cosignature with HTTP %ld", ans.status);
	else
		r = 0;
	tr__client_answer_free(&ans);
	free(body);
	return r;
}

/* The consistency proof from old to the checkpoint cp: 0 when it holds,
 * REG_EVERIFY when it does not, else another code with j->detail. */
static int
check_consistency(struct wjob *j, tr__client *cl, const struct reg_checkpoint *old,
    const struct reg_checkpoint *cp)
{
	struct tr__client_answer ans = { .retry_after = -1 };
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	struct proto_proof p;
	struct reg_hash path[PROTO_PROOF_HASHES_MAX];
	char path_q[96];
	size_t i;
	int r;

	/* The empty tree is a prefix of every tree. */
	if (old->size == 0)
		return 0;
	snprintf(path_q, sizeof(path_q), "/v1/log/proof/consistency?old=%" PRIu64
	    "&new=%" PRIu64, old->size, cp->size);
	if ((r = tr__client_get(cl, path_q, &ans, &err)) != 0) {
		snprintf(j->detail, sizeof(j->detail), "cannot fetch the consistency "
		    "proof: %.200s", err.message);
		return r;
	}
	if (ans.status != 200) {
		snprintf(j->detail, sizeof(j->detail), "the log answered HTTP %ld to "
		    "the consistency proof from %" PRIu64 " to %" PRIu64, ans.status,
		    old->size, cp->size);
		r = REG_EIO;
		goto out;
	}
	if (proto_proof_consistency_parse(ans.body, ans.len, &p, &perr) != 0 ||
	    p.old_size != old->size || p.size != cp->size) {
		r = perr.code == PROTO_ETOOBIG ? REG_ETOOBIG : REG_EINVAL;
		snprintf(j->detail, sizeof(j->detail), "malformed consistency proof: "
		    "%.200s", perr.message[0] ? perr.message : "other sizes");
		goto out;
	}
	for (i = 0; i < p.n_hashes; i++)
		memcpy(path[i].b, p.hashes[i].b, 32);
	r = reg_merkle_verify_consistency(old->size, cp->size, &old->root, &cp->root,
	    path, p.n_hashes, &err);
	if (r != 0)
		snprintf(j->detail, sizeof(j->detail), "the consistency proof from "
		    "size %" PRIu64 " to %" PRIu64 " does not hold: %.200s", old->size,
		    cp->size, err.message);
out:
	tr__client_answer_free(&ans);
	return r;
}

/* Fetches the peer's checkpoint (*ans) and verifies it with the peer's log
 * key: 0 with *cp, else -1 with j->outcome and j->detail.  *logkey and
 * *text are the caller's to free. */
static int
fetch_checkpoint(struct wjob *j, tr__client *cl, struct tr__client_answer *ans,
    reg_key **logkey, char **text, struct reg_checkpoint *cp)
{
	reg_error err = REG_ERROR_INIT;

	if (tr__client_get(cl, "/v1/log/checkpoint", ans, &err) != 0) {
		j->outcome = W_DOWN;
		snprintf(j->detail, sizeof(j->detail), "%.280s", err.message);
		return -1;
	}
	if (ans->status != 200) {
		j->outcome = ans->status == 503 ? W_DOWN : W_ERROR;
		snprintf(j->detail, sizeof(j->detail), "the log answered HTTP %ld to "
		    "GET /v1/log/checkpoint", ans->status);
		return -1;
	}
	/* Only a checkpoint signed by the peer's log key proves anything. */
	if (reg_key_from_verifier(j->log_vkey, logkey, &err) != 0 ||
	    reg_note_verify(*logkey, ans->body, ans->len, text, &err) != 0 ||
	    reg_checkpoint_parse(*text, strlen(*text), cp, &err) != 0) {
		snprintf(j->detail, sizeof(j->detail), "the checkpoint does not "
		    "verify with the log_verifier of the peers directory: %.200s",
		    err.message);
		return -1;
	}
	if (strcmp(cp->origin, reg_key_name(*logkey)) != 0) {
		snprintf(j->detail, sizeof(j->detail), "the checkpoint's origin "
		    "%.100s is not the log key's name %.100s", cp->origin,
		    reg_key_name(*logkey));
		return -1;
	}
	return 0;
}

static void
witness_job(struct trd_worker *w, void *arg)
{
	struct wjob *j = arg;
	struct tr__client_config cc = {
		.url = j->url, .ca_file = j->ca_file, .pinned_cert = j->pinned_cert,
		.cert_file = j->cert, .key_file = j->key,
		.connect_timeout = WITNESS_CONNECT_TIMEOUT, .timeout = WITNESS_TIMEOUT,
		.body_max = REG_COSIG_BODY_MAX * 8,
	};
	struct tr__client_answer ans = { .retry_after = -1 };
	reg_error err = REG_ERROR_INIT;
	struct reg_witness_peer last;
	struct reg_checkpoint cp;
	tr__client *cl = NULL;
	reg_key *logkey = NULL;
	char *text = NULL, *line = NULL, *reason = NULL;
	uint64_t ts;
	int r;

	memset(&last, 0, sizeof(last));
	j->outcome = W_ERROR;
	if (tr__client_new(&cc, &cl, &err) != 0) {
		snprintf(j->detail, sizeof(j->detail), "%.280s", err.message);
		goto out;
	}
	if (fetch_checkpoint(j, cl, &ans, &logkey, &text, &cp) != 0)
		goto out;
	j->verified = 1;
	j->size = cp.size;
	if ((r = trd_job_db(w, j->detail, sizeof(j->detail))) != 0)
		goto out;
	if (reg_witness_peer_get(w->db, j->state, &last, &err) != 0) {
		snprintf(j->detail, sizeof(j->detail), "%.280s", err.message);
		goto out;
	}
	if (last.cosigned && cp.size == last.cp.size &&
	    memcmp(cp.root.b, last.cp.root.b, 32) == 0) {
		j->outcome = W_UNCHANGED;
		/* A cosignature that did not reach the log is sent again. */
		if (reg_cosig_verify(j->witness, ans.body, NULL, NULL) != 0 &&
		    deliver(j, cl, ans.body, last.line) == 0)
			j->delivered = 1;
		goto status;
	}
	if (last.cosigned && cp.size == last.cp.size)
		reason = "same size as the checkpoint cosigned before, another root";
	else if (last.cosigned && cp.size < last.cp.size)
		reason = "smaller than the checkpoint cosigned before (a rollback)";
	else if (last.cosigned &&
	    (r = check_consistency(j, cl, &last.cp, &cp)) != 0) {
		if (r != REG_EVERIFY)
			goto out;
		reason = "the consistency proof from the checkpoint cosigned before "
		    "does not hold";
	}
	if (reason != NULL) {
		j->outcome = W_FORK;
		snprintf(j->detail, sizeof(j->detail), "%s (cosigned size %" PRIu64
		    ", seen size %" PRIu64 ")", reason, last.cp.size, cp.size);
		if (reg_witness_alarm_add(w->db, j->state, reason, last.note, ans.body,
		    &cp, &j->raised, &err) != 0)
			snprintf(j->detail, sizeof(j->detail), "a fork, and the alarm "
			    "cannot be stored: %.200s", err.message);
		goto status;
	}
	/* The first checkpoint seen of a State is trusted as it is (there is
	 * nothing to prove it against); every later one must extend it. */
	ts = (uint64_t)time(NULL);
	if (reg_cosign(j->witness, ans.body, ts, &line, &err) != 0 ||
	    reg_witness_cosigned_add(w->db, j->state, &cp, ans.body, line, ts,
	    &err) != 0) {
		snprintf(j->detail, sizeof(j->detail), "cannot cosign: %.250s",
		    err.message);
		goto out;
	}
	j->outcome = W_COSIGNED;
	j->delivered = deliver(j, cl, ans.body, line) == 0;
status:
	reg_witness_peer_clear(&last);
	reg_error_clear(&err);
	if (reg_witness_peer_get(w->db, j->state, &last, &err) == 0)
		j->forked = last.alarms_open > 0;
out:
	reg_witness_peer_clear(&last);
	reg_free(line);
	reg_free(text);
	reg_key_free(logkey);
	tr__client_answer_free(&ans);
	tr__client_free(cl);
}

static void
witness_done(void *arg, int ran)
{
	struct wjob *j = arg;
	struct trd_daemon *d = j->d;
	struct wpeer *wp = j->wp;
	char q[sizeof(j->detail) + 40];

	wp->busy = 0;
	if (!ran) {
		wjob_free(j);
		return;
	}
	wp->last = j->outcome;
	snprintf(wp->detail, sizeof(wp->detail), "%s", j->detail);
	if (j->verified) {
		wp->last_seen = time(NULL);
		wp->seen_size = j->size;
	}
	quoted(j->detail, q, sizeof(q));
	switch (j->outcome) {
	case W_COSIGNED:
		count(d, "tracerd_witness_cosigned_total", "Checkpoints of witnessed "
		    "States cosigned, by State.", j->state);
		trd_logline("event=witness state=%s status=cosigned size=%" PRIu64
		    " delivered=%s%s%s%s", j->state, j->size, j->delivered ? "yes" : "no",
		    q[0] ? " what=\"" : "", q, q[0] ? "\"" : "");
		break;
	case W_UNCHANGED:
		if (j->delivered)
			trd_logline("event=witness state=%s status=redelivered size=%"
			    PRIu64, j->state, j->size);
		break;
	case W_FORK:
		if (j->raised)
			count(d, "tracerd_witness_alarms_total", "Fork alarms raised "
			    "against witnessed States, by State.", j->state);
		trd_logline("event=witness state=%s status=fork kind=fork size=%" PRIu64
		    " new_alarm=%s what=\"%s\"", j->state, j->size,
		    j->raised ? "yes" : "no", q);
		break;
	case W_DOWN:
	case W_ERROR:
	case W_NEVER:
		count(d, "tracerd_witness_failures_total", "Rounds in which a "
		    "witnessed State's log could not be read or checked, by State.",
		    j->state);
		trd_logline("event=witness state=%s status=%s what=\"%s\"", j->state,
		    outcome_names[j->outcome], q);
		break;
	}
	if (j->outcome == W_COSIGNED || j->outcome == W_UNCHANGED ||
	    j->outcome == W_FORK)
		forked_gauge(d, j->state, j->forked);
	wjob_free(j);
}

static char *
dup_or_null(const char *s, int *bad)
{
	char *t;

	if (s == NULL)
		return NULL;
	if ((t = strdup(s)) == NULL)
		*bad = 1;
	return t;
}

static void
on_witness_timer(evutil_socket_t fd, short what, void *arg)
{
	struct trd_daemon *d = arg;
	struct trd_witness *w = d->witness;
	reg_error err = REG_ERROR_INIT;
	const struct tr__peer *peer;
	struct wpeer *wp;
	struct wjob *j;
	int i, bad;

	(void)fd;
	(void)what;
	for (i = 0; i < w->npeers && !d->stopping; i++) {
		wp = &w->peers[i];
		if (wp->busy)
			continue;
		wp->last_try = time(NULL);
		peer = d->peers != NULL ? tr__peers_get(d->peers, wp->state) : NULL;
		if (peer == NULL) {
			/* The directory was reloaded without it. */
			wp->last = W_ERROR;
			snprintf(wp->detail, sizeof(wp->detail), "not in the peers "
			    "directory");
			trd_logline("event=witness state=%s status=error what=\"not in "
			    "the peers directory\"", wp->state);
			continue;
		}
		if ((j = calloc(1, sizeof(*j))) == NULL)
			continue;
		bad = 0;
		j->d = d;
		j->wp = wp;
		memcpy(j->state, wp->state, 3);
		j->cert = d->cf.client_cert[0] ? d->cf.client_cert : d->cf.tls_cert;
		j->key = d->cf.client_key[0] ? d->cf.client_key : d->cf.tls_key;
		j->witness = w->key;
		j->url = dup_or_null(peer->url, &bad);
		j->ca_file = dup_or_null(peer->ca_file, &bad);
		j->pinned_cert = dup_or_null(peer->pinned_cert, &bad);
		if (reg_key_verifier(peer->log_key, &j->log_vkey, &err) != 0)
			bad = 1;
		if (bad || trd_pool_submit(w->pool, witness_job, witness_done, j) != 0) {
			wjob_free(j);
			continue;
		}
		wp->busy = 1;
	}
}

static int
load_keys(struct trd_daemon *d, struct trd_witness *w, reg_error *err)
{
	const struct trd_config *cf = &d->cf;
	int i, r;

	for (i = 0; i < cf->n_log_witnesses; i++) {
		if ((r = reg_cosig_key_from_verifier(cf->log_witnesses[i],
		    &w->log_witnesses[i], err)) != 0)
			return r;
		w->n_log_witnesses++;
	}
	if (cf->witness_key[0] == '\0')
		return 0;
	if ((r = reg_key_load(cf->witness_key, &w->key, err)) != 0 ||
	    (r = reg_cosig_verifier(w->key, &w->verifier, err)) != 0)
		return r;
	/* A witness key of its own: a cosignature by the log's key would
	 * vouch for nothing (registry.h, "Witness cosignatures"). */
	if (d->log_key != NULL && reg_key_id(d->log_key) == reg_key_id(w->key) &&
	    strcmp(reg_key_name(d->log_key), reg_key_name(w->key)) == 0)
		return tr__fail(err, REG_EINVAL, "%s: [witness] key is the [log] key; "
		    "give the witness a key of its own (regctl key generate)",
		    cf->path);
	for (i = 0; i < cf->n_witness_peers; i++) {
		if (d->peers == NULL || tr__peers_get(d->peers, cf->witness_peers[i]) ==
		    NULL)
			return tr__fail(err, REG_EINVAL, "%s: [witness] peers names %s, "
			    "which the peers directory does not list", cf->path,
			    cf->witness_peers[i]);
		memcpy(w->peers[w->npeers++].state, cf->witness_peers[i], 3);
	}
	return 0;
}

int
trd_witness_start(struct trd_daemon *d, int run, reg_error *err)
{
	struct trd_witness *w;
	struct timeval tv = { d->cf.witness_interval, 0 };
	int r;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	d->witness = w;
	if ((r = load_keys(d, w, err)) != 0)
		return r;
	if (w->key == NULL || !run)
		return 0;
	if ((r = trd_pool_new(d->base, "witness", d->cf.database, 1,
	    WITNESS_QUEUE_MAX, NULL, &w->pool, err)) != 0)
		return r;
	w->timer = event_new(d->base, -1, EV_PERSIST, on_witness_timer, d);
	if (w->timer == NULL || event_add(w->timer, &tv) != 0)
		return tr__fail(err, REG_EIO, "cannot start the witness timer");
	on_witness_timer(-1, 0, d);
	return 0;
}

void
trd_witness_free(struct trd_daemon *d)
{
	struct trd_witness *w = d->witness;
	size_t i;

	if (w == NULL)
		return;
	if (w->timer != NULL)
		event_free(w->timer);
	/* The pool first: its jobs' answers still reach witness_done(). */
	trd_pool_free(w->pool);
	for (i = 0; i < w->n_log_witnesses; i++)
		reg_key_free(w->log_witnesses[i]);
	reg_key_free(w->key);
	reg_free(w->verifier);
	free(w);
	d->witness = NULL;
}

/* ------------------------------------------------------------ the log */

struct cosjob {
	struct trd_call *c;
	char *body;
	size_t len;
	size_t stored;
	int rc;
	char error[512];
};

static void
cos_job(struct trd_worker *w, void *arg)
{
	struct cosjob *j = arg;
	struct trd_witness *wi = j->c->d->witness;
	reg_error err = REG_ERROR_INIT;

	if ((j->rc = trd_job_db(w, j->error, sizeof(j->error))) != 0)
		return;
	j->rc = reg_log_cosignature_add(w->db, wi->log_witnesses,
	    wi->n_log_witnesses, j->body, j->len,
	    (uint32_t)j->c->d->cf.cosignature_skew, &j->stored, &err);
	if (j->rc != 0)
		snprintf(j->error, sizeof(j->error), "%.400s", err.message);
}

static void
cos_done(void *arg, int ran)
{
	struct cosjob *j = arg;
	struct trd_call *c = j->c;
	char q[600];

	quoted(j->error, q, sizeof(q));
	if (!ran) {
		trd_problem(c, "unavailable", "the daemon is stopping", NULL);
	} else if (j->rc == 0) {
		trd_logline("event=cosignature state=%s status=stored lines=%zu",
		    c->id.state, j->stored);
		trd_reply(c, 204, NULL, NULL, 0, NULL);
	} else if (j->rc == REG_EINVAL || j->rc == REG_ETOOBIG) {
		trd_problem(c, "bad-request", j->error, NULL);
	} else if (j->rc == REG_EKEY) {
		trd_logline("event=cosignature state=%s status=refused what=\"%s\"",
		    c->id.state, q);
		trd_problem(c, "unknown-witness", j->error, NULL);
	} else if (j->rc == REG_ENOTFOUND || j->rc == REG_EVERIFY ||
	    j->rc == REG_ERANGE) {
		/* REG_ERANGE: dated outside [log] cosignature_skew. */
		trd_logline("event=cosignature state=%s status=refused what=\"%s\"",
		    c->id.state, q);
		trd_problem(c, "bad-cosignature", j->error, NULL);
	} else {
		trd_log_event("error", NULL, NULL, j->error);
		trd_problem(c, "unavailable", "the registry's database cannot be "
		    "reached; try again later", NULL);
	}
	free(j->body);
	free(j);
}

void
trd_log_cosignature_post(struct trd_call *c)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(c->req),
	    "Content-Type");
	size_t len = evbuffer_get_length(in);
	struct cosjob *j;

	if (ct == NULL || strncmp(ct, "text/plain", 10) != 0 ||
	    (ct[10] != '\0' && ct[10] != ';')) {
		trd_problem(c, "unsupported-media-type", "a cosignature body is "
		    "text/plain", NULL);
		return;
	}
	if (len > REG_COSIG_BODY_MAX) {
		trd_problem(c, "payload-too-large", "a cosignature body is at most "
		    "16384 bytes", NULL);
		return;
	}
	if (c->d->witness == NULL || c->d->witness->n_log_witnesses == 0) {
		trd_problem(c, "unknown-witness", "this log takes no cosignatures "
		    "([log] witness)", NULL);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->body = malloc(len + 1)) == NULL) {
		free(j);
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	j->c = c;
	j->len = len;
	evbuffer_copyout(in, j->body, len);
	j->body[len] = '\0';
	if (trd_call_submit(c, cos_job, cos_done, j) != 0) {
		free(j->body);
		free(j);
	}
}

/* ------------------------------------------------------------ status */

struct statjob {
	struct trd_call *c;
	int n;
	struct wpeer peers[TRD_WITNESS_PEERS_MAX];	/* as the loop knew them */
	struct reg_witness_peer db[TRD_WITNESS_PEERS_MAX];
	int rc;
	char error[512];
};

static void
stat_job(struct trd_worker *w, void *arg)
{
	struct statjob *j = arg;
	reg_error err = REG_ERROR_INIT;
	int i;

	if ((j->rc = trd_job_db(w, j->error, sizeof(j->error))) != 0)
		return;
	for (i = 0; i < j->n; i++)
		if ((j->rc = reg_witness_peer_get(w->db, j->peers[i].state, &j->db[i],
		    &err)) != 0) {
			snprintf(j->error, sizeof(j->error), "%.400s", err.message);
			return;
		}
}

/* A time as the status shows it; "" (null) for none. */
static void
time_or_null(int64_t t, proto_timestamp out)
{
	char s[32];

	out[0] = '\0';
	if (t <= 0)
		return;
	rfc3339((time_t)t, s);
	snprintf(out, sizeof(proto_timestamp), "%.*s",
	    (int)sizeof(proto_timestamp) - 1, s);
}

/* Peer wp's status (from the loop) and p (from the database) into o, with
 * cs and al as the room for its cosigned checkpoint and alarm; the text is
 * borrowed from wp and p. */
static void
peer_status(const struct wpeer *wp, const struct reg_witness_peer *p,
    struct proto_witness_peer *o, struct proto_witness_cosigned *cs,
    struct proto_witness_alarm *al)
{
	snprintf(o->state, sizeof(o->state), "%.2s", wp->state);
	snprintf(o->status, sizeof(o->status), "%s", outcome_names[wp->last]);
	o->forked = p->alarms_open > 0;
	if (p->cosigned) {
		cs->origin = (char *)p->cp.origin;
		cs->size = (int64_t)p->cp.size;
		memcpy(cs->root.b, p->cp.root.b, 32);
		time_or_null(p->cosigned_at, cs->at);
		o->cosigned = cs;
	}
	time_or_null(wp->last_try, o->last_try);
	time_or_null(wp->last_seen, o->last_seen);
	o->has_seen_size = wp->last_seen != 0;
	o->seen_size = (int64_t)wp->seen_size;
	o->detail = wp->detail[0] ? (char *)wp->detail : NULL;
	o->alarms = p->alarms;
	o->alarms_open = p->alarms_open;
	if (p->alarms > 0) {
		time_or_null(p->alarm_at, al->at);
		al->reason = (char *)p->alarm_reason;
		o->last_alarm = al;
	}
}

static void
stat_done(void *arg, int ran)
{
	struct statjob *j = arg;
	struct trd_call *c = j->c;
	struct trd_witness *w = c->d->witness;
	proto_error perr = PROTO_ERROR_INIT;
	proto_witness_status st = { .n_peers = (size_t)j->n };
	struct proto_witness_peer peers[TRD_WITNESS_PEERS_MAX];
	struct proto_witness_cosigned cs[TRD_WITNESS_PEERS_MAX];
	struct proto_witness_alarm al[TRD_WITNESS_PEERS_MAX];
	char *text = NULL;
	int i;

	if (!ran) {
		trd_problem(c, "unavailable", "the daemon is stopping", NULL);
		goto out;
	}
	if (j->rc != 0) {
		trd_log_event("error", NULL, NULL, j->error);
		trd_problem(c, "unavailable", "the registry's database cannot be "
		    "reached; try again later", NULL);
		goto out;
	}
	memset(peers, 0, sizeof(peers));
	for (i = 0; i < j->n; i++)
		peer_status(&j->peers[i], &j->db[i], &peers[i], &cs[i], &al[i]);
	st.peers = peers;
	snprintf(st.state, sizeof(st.state), "%.2s", c->d->cf.state);
	st.witness = w != NULL ? w->verifier : NULL;
	st.interval = c->d->cf.witness_interval;
	if (proto_witness_status_to_json(&st, &text, &perr) != 0) {
		trd_log_event("error", NULL, NULL, perr.message);
		trd_problem(c, "internal", "cannot write the witness's status", NULL);
		goto out;
	}
	trd_reply(c, 200, "application/json", text, strlen(text), NULL);
out:
	for (i = 0; i < j->n; i++)
		reg_witness_peer_clear(&j->db[i]);
	proto_free(text);
	free(j);
}

void
trd_witness_get(struct trd_call *c)
{
	struct trd_witness *w = c->d->witness;
	struct statjob *j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	j->c = c;
	if (w != NULL) {
		j->n = w->npeers;
		memcpy(j->peers, w->peers, sizeof(j->peers));
	}
	if (trd_call_submit(c, stat_job, stat_done, j) != 0)
		free(j);
}
