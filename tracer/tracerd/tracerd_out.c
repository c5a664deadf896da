/*
 * Requests this State sends (proto/README.md, "Following referrals"):
 *
 *   POST /v1/traces            from this State's investigator or liaison
 *                              office, a request to another State, signed
 *                              with the user's key ([domestic] signing_key):
 *                              stored, acknowledged (202, signed by this
 *                              daemon), then sent on under this State's
 *                              signature (hop 0)
 *   GET  /v1/traces/{id}/chain the international chain: every hop's request,
 *                              acknowledgement and signed answer, in order;
 *                              ?wait=S holds it until the chain ends
 *
 * An outbound worker carries each hop: it sends the request to the State
 * (or to the hub it is reached through), stores the signed acknowledgement,
 * asks for the answer (GET ?wait=poll, again and again), stores the signed
 * answer, and, when the answer refers the weapon to the State it was
 * exported to and the submitter asked for it (follow_referrals) and policy
 * allows ([domestic] follow_referrals, max_hops), writes and stores the next
 * hop's request, linked by parent_id, and carries it in turn.  The chain
 * ends at a last legal holder, a diversion, an answer without a candidate,
 * a refusal, a loop (a State asked twice) or the hop limit, and that end is
 * stored too.  A State that cannot be reached, or answers 429 or 5xx, is
 * tried again with back-off up to [domestic] retry_max seconds apart,
 * forever: a hop is stored before it is first sent, is never lost, and
 * shows as overdue once past its due time.  Open hops are carried on after
 * a restart.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "client_int.h"
#include "tracerd_int.h"

#define OUT_CLIENTS 8			/* connections a worker keeps */
#define PUBKEY_FILE_MAX (64 * 1024)

/* ------------------------------------------------------------ keys */

static int
load_public(const char *path, const char *kid, proto_jws_key **out,
    reg_error *err)
{
	proto_error perr = PROTO_ERROR_INIT;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r = 0;

	*out = NULL;
	if ((f = fopen(path, "rb")) == NULL)
		return tr__fail(err, REG_EIO, "[domestic] signing_key %s: cannot read "
		    "%s: %s", kid, path, strerror(errno));
	if ((buf = malloc(PUBKEY_FILE_MAX + 1)) == NULL) {
		fclose(f);
		return tr__fail(err, REG_ENOMEM, "out of memory");
	}
	len = fread(buf, 1, PUBKEY_FILE_MAX + 1, f);
	fclose(f);
	buf[len > PUBKEY_FILE_MAX ? PUBKEY_FILE_MAX : len] = '\0';
	if (len > PUBKEY_FILE_MAX)
		r = tr__fail(err, REG_EINVAL, "[domestic] signing_key %s: %s is not a "
		    "public key file (over 64 KiB)", kid, path);
	else if (strstr(buf, "PRIVATE KEY") != NULL)
		r = tr__fail(err, REG_EINVAL, "[domestic] signing_key %s: %s holds a "
		    "private key; give the user's public key only (openssl pkey "
		    "-pubout)", kid, path);
	else if (proto_jws_key_from_pem(buf, len, kid, out, &perr) != 0)
		r = tr__fail(err, REG_EINVAL, "[domestic] signing_key %s: %s: %s", kid,
		    path, perr.message);
	free(buf);
	return r;
}

int
trd_out_init(struct trd_daemon *d, reg_error *err)
{
	int i;

	for (i = 0; i < d->cf.n_domestic_keys; i++) {
		const struct trd_domestic_key *k = &d->cf.domestic_keys[i];

		if (strncmp(k->kid, d->cf.state, 2) != 0 || k->kid[2] != '/')
			return tr__fail(err, REG_EINVAL, "%s: [domestic] signing_key %s "
			    "must name this State (%s/...)", d->cf.path, k->kid,
			    d->cf.state);
		if (load_public(k->path, k->kid, &d->domestic[i], err) != 0)
			return err->code;
		d->n_domestic = i + 1;
	}
	return 0;
}

/* The certificate (SHA-256, hex) that the domestic key kid belongs to,
 * or NULL. */
static const char *
domestic_key_cert(const struct trd_daemon *d, const char *kid)
{
	int i;

	for (i = 0; i < d->n_domestic; i++)
		if (strcmp(proto_jws_key_kid(d->domestic[i]), kid) == 0)
			return d->cf.domestic_keys[i].fp;
	return NULL;
}

static const proto_jws_key *
domestic_key(const struct trd_daemon *d, const char *kid)
{
	int i;

	for (i = 0; i < d->n_domestic; i++)
		if (strcmp(proto_jws_key_kid(d->domestic[i]), kid) == 0)
			return d->domestic[i];
	return NULL;
}

/* ------------------------------------------------------------ workers */

/* A worker's connections to the daemons it sends to, one per route. */
struct out_slot {
	struct {
		char code[3];
		tr__client *client;
	} c[OUT_CLIENTS];
	int n, next;
};

static void
out_slot_free(void *slot)
{
	struct out_slot *s = slot;
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		tr__client_free(s->c[i].client);
	free(s);
}

/* The worker's client for the daemon of route (the State or its hub). */
static tr__client *
slot_client(struct trd_worker *w, const struct trd_config *cf,
    const atomic_int *cancel, const struct tr__peer *route, char *error,
    size_t len)
{
	struct out_slot *s = w->slot;
	struct tr__client_config cc;
	reg_error err = REG_ERROR_INIT;
	tr__client *cl = NULL;
	int i;

	if (s == NULL && (w->slot = s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(error, len, "out of memory");
		return NULL;
	}
	for (i = 0; i < s->n; i++)
		if (strcmp(s->c[i].code, route->code) == 0)
			return s->c[i].client;
	memset(&cc, 0, sizeof(cc));
	cc.url = route->url;
	cc.ca_file = route->ca_file;
	cc.pinned_cert = route->pinned_cert;
	cc.cert_file = cf->client_cert[0] ? cf->client_cert : cf->tls_cert;
	cc.key_file = cf->client_key[0] ? cf->client_key : cf->tls_key;
	cc.timeout = cf->poll_seconds + 15;
	cc.cancel = cancel;
	if (tr__client_new(&cc, &cl, &err) != 0) {
		snprintf(error, len, "cannot make a client for %s: %.400s", route->code,
		    err.message);
		return NULL;
	}
	if (s->n < OUT_CLIENTS) {
		i = s->n++;
	} else {
		i = s->next;
		s->next = (s->next + 1) % OUT_CLIENTS;
		tr__client_free(s->c[i].client);
	}
	memcpy(s->c[i].code, route->code, 3);
	s->c[i].client = cl;
	return cl;
}

/* ------------------------------------------------------------ hops */

/* N_DEFER: the hop's State is not the one whose call this job may make
 * (trd_gate): it goes back to wait for a call to its State. */
enum next { N_DONE, N_AGAIN, N_LATER, N_CHILD, N_DEFER };
#define HOP_STEPS_MAX 8		/* steps one job takes in a row */

struct hop_job {
	struct trd_daemon *d;
	struct trd_peers_ref *peers;
	char id[37];
	char root[37];
	int attempt;			/* failures in a row */
	char gate[3];			/* the State whose call it may make
					 * (d->out_gate entered), or "" */
	char dest[3];			/* the State of the hop last read */
	char child_dest[3];		/* N_CHILD: the next hop's State */
	int net;			/* the last call: 1 answered, -1 no
					 * connection or no answer, 0 none */
	/* the job's result */
	enum next next;
	int delay;			/* N_LATER: seconds */
	int changed;			/* something was stored */
	char child[37];
	char outcome[48];		/* for the log and metrics */
	char error[512];
	/* The hop as this job last read or changed it, for its next step:
	 * a step that stored its progress sets it here rather than reading
	 * the hop back (NULL: read it). */
	struct reg_hop *h;
	int reread;			/* h is not to be trusted: read it */
	struct reg_hop *seed;		/* N_CHILD: the hop just added, as added */
	proto_response *resp;		/* h's answer as the last step parsed it */
	/* Steps that made progress and were followed by the next one in the
	 * same job (hop_job), for the log and metrics. */
	int nsteps;
	struct {
		char id[37];
		char outcome[48];
	} steps[HOP_STEPS_MAX];
};

/* The name in a problem document's type, from a signed or plain body. */
static void
problem_name(const struct tr__client_answer *a, char out[41])
{
	proto_jws *j = NULL;
	proto_error perr = PROTO_ERROR_INIT;
	const uint8_t *p = (const uint8_t *)a->body;
	size_t n = a->len;
	json_t *doc = NULL;
	const char *type;

	snprintf(out, 41, "http-%ld", a->status);
	if (a->body == NULL)
		return;
	if (strcmp(a->content_type, "application/jose") == 0) {
		if (proto_jws_parse(a->body, a->len, &j, &perr) != 0)
			return;
		p = proto_jws_payload(j, &n);
	}
	if ((doc = json_loadb((const char *)p, n, 0, NULL)) != NULL &&
	    (type = json_string_value(json_object_get(doc, "type"))) != NULL &&
	    strncmp(type, PROTO_PROBLEM_URN, strlen(PROTO_PROBLEM_URN)) == 0) {
		const char *name = type + strlen(PROTO_PROBLEM_URN);
		size_t i;

		for (i = 0; name[i] != '\0' && i < 40; i++)
			if (!((name[i] >= 'a' && name[i] <= 'z') || name[i] == '-'))
				break;
		if (name[i] == '\0' && i > 0)
			snprintf(out, 41, "%s", name);
	}
	json_decref(doc);
	proto_jws_free(j);
}

/* Whether a status is worth trying again later. */
static int
transient(long status)
{
	return status == 429 || status == 408 || status >= 500;
}

static int
backoff(struct hop_job *j, const struct tr__client_answer *a)
{
	int s = 1 << (j->attempt < 10 ? j->attempt : 10);

	if (a != NULL && a->retry_after > s)
		s = (int)(a->retry_after < 3600 ? a->retry_after : 3600);
	return s < j->d->cf.retry_max ? s : j->d->cf.retry_max;
}

/* Stores that hop h was refused; the chain ends there. */
static int
refused(struct trd_worker *w, struct hop_job *j, const struct reg_hop *h,
    const char *name, const char *detail, const char *message)
{
	reg_error err = REG_ERROR_INIT;

	if (reg_hop_event_add(w->db, h->id, "refused", name, NULL, detail,
	    message, message ? strlen(message) : 0, NULL, &err) != 0) {
		snprintf(j->error, sizeof(j->error), "%.400s", err.message);
		return -1;
	}
	j->changed = 1;
	snprintf(j->outcome, sizeof(j->outcome), "refused");
	j->next = N_DONE;
	return 0;
}

static int
ended(struct trd_worker *w, struct hop_job *j, const char *hop_id,
    const char *reason, const char *detail)
{
	reg_error err = REG_ERROR_INIT;

	if (reg_hop_event_add(w->db, hop_id, "ended", reason, NULL, detail, NULL, 0,
	    NULL, &err) != 0) {
		snprintf(j->error, sizeof(j->error), "%.400s", err.message);
		return -1;
	}
	j->changed = 1;
	snprintf(j->outcome, sizeof(j->outcome), "%.40s", reason);
	j->next = N_DONE;
	return 0;
}

/* The request as sent, parsed. */
static int
sent_request(const char *message, proto_request **req)
{
	proto_error perr = PROTO_ERROR_INIT;
	proto_jws *jws = NULL;
	const uint8_t *p;
	size_t n;
	int r = -1;

	*req = NULL;
	if (proto_jws_parse(message, strlen(message), &jws, &perr) == 0 &&
	    (p = proto_jws_payload(jws, &n)) != NULL &&
	    proto_request_parse((const char *)p, n, req, &perr) == 0)
		r = 0;
	proto_jws_free(jws);
	return r;
}

/*
 * A hop as reg_hop_add() just stored it from in, for its first step (a
 * send): what that step reads of it, without reading it back.  NULL
 * without memory (the step then reads it).
 */
static struct reg_hop *
hop_seed(const struct reg_hop_in *in, const char *root)
{
	struct reg_hop *h = calloc(1, sizeof(*h));

	if (h == NULL || (h->message = strdup(in->message)) == NULL) {
		free(h);
		return NULL;
	}
	snprintf(h->id, sizeof(h->id), "%s", in->id);
	snprintf(h->root_id, sizeof(h->root_id), "%s", root);
	snprintf(h->parent_id, sizeof(h->parent_id), "%s", in->parent_id ?
	    in->parent_id : "");
	h->hop = in->hop;
	snprintf(h->requesting_state, sizeof(h->requesting_state), "%s",
	    in->requesting_state);
	snprintf(h->requested_state, sizeof(h->requested_state), "%s",
	    in->requested_state);
	snprintf(h->via, sizeof(h->via), "%s", in->via ? in->via : "");
	snprintf(h->priority, sizeof(h->priority), "%s", in->priority);
	snprintf(h->created_at, sizeof(h->created_at), "%s", in->created_at);
	snprintf(h->due_by, sizeof(h->due_by), "%s", in->due_by);
	return h;
}

/* Sends h's request; the acknowledgement stored, or a refusal. */
static void
hop_send(struct trd_worker *w, struct hop_job *j, struct reg_hop *h,
    tr__client *cl, const tr__peers *peers)
{
	struct tr__client_answer a = { 0 };
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	proto_request *req = NULL;
	proto_jws *jws = NULL;
	proto_ack *ack = NULL;
	const uint8_t *p;
	const char *cty;
	char name[41];
	size_t n;

	if (tr__client_post(cl, "/v1/traces", "application/jose", h->message,
	    strlen(h->message), &a, &err) != 0) {
		j->net = atomic_load(&j->d->cancel) ? 0 : -1;
		snprintf(j->error, sizeof(j->error), "sending to %s: %.400s",
		    h->requested_state, err.message);
		goto later;
	}
	j->net = 1;
	if (transient(a.status)) {
		snprintf(j->error, sizeof(j->error), "%s answered %ld", h->requested_state,
		    a.status);
		goto later;
	}
	if (a.status != 202 && a.status != 200) {
		problem_name(&a, name);
		refused(w, j, h, name, "the State refused the request", a.len > 0 &&
		    strcmp(a.content_type, "application/jose") == 0 ? a.body : NULL);
		goto out;
	}
	/* The acknowledgement, signed by the State asked, whoever carried it. */
	if (tr__signed_open(peers, NULL, h->requested_state, a.body, a.len, &jws,
	    &err) != 0 || (cty = proto_jws_cty(jws)) == NULL ||
	    strcmp(cty, PROTO_SCHEMA_ACK) != 0 ||
	    (p = proto_jws_payload(jws, &n)) == NULL ||
	    proto_ack_parse((const char *)p, n, &ack, &perr) != 0 ||
	    sent_request(h->message, &req) != 0 ||
	    tr__ack_check(ack, req, h->message, &err) != 0) {
		char detail[600];

		snprintf(detail, sizeof(detail), "the acknowledgement does not verify: "
		    "%.500s", err.message[0] ? err.message : perr.message[0] ?
		    perr.message : "not a trace-ack/1 document");
		refused(w, j, h, "unverified", detail, NULL);
		goto out;
	}
	if (reg_hop_event_add(w->db, h->id, "acknowledged", ack->status, ack->due_by,
	    NULL, a.body, a.len, NULL, &err) != 0) {
		snprintf(j->error, sizeof(j->error), "%.400s", err.message);
		goto later;
	}
	/* What the next step needs of it: acknowledged. */
	snprintf(h->acked_at, sizeof(h->acked_at), "%s", ack->received_at);
	snprintf(h->ack_status, sizeof(h->ack_status), "%s", ack->status);
	j->changed = 1;
	j->attempt = 0;
	snprintf(j->outcome, sizeof(j->outcome), "acknowledged");
	j->next = N_AGAIN;
	goto out;
later:
	j->next = N_LATER;
	j->delay = backoff(j, &a);
	j->attempt++;
	snprintf(j->outcome, sizeof(j->outcome), "retry");
out:
	proto_ack_free(ack);
	proto_request_free(req);
	proto_jws_free(jws);
	tr__client_answer_free(&a);
}

/* Asks for h's answer, holding up to poll seconds; the answer stored. */
static void
hop_poll(struct trd_worker *w, struct hop_job *j, struct reg_hop *h,
    tr__client *cl, const tr__peers *peers)
{
	struct tr__client_answer a = { 0 };
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	proto_response *resp = NULL;
	proto_jws *jws = NULL;
	struct timespec t0, t1;
	const uint8_t *p;
	const char *cty;
	char path[128], name[41];
	size_t n;

	snprintf(path, sizeof(path), "/v1/traces/%s?wait=%d", h->id,
	    j->d->cf.poll_seconds);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (tr__client_get(cl, path, &a, &err) != 0) {
		j->net = atomic_load(&j->d->cancel) ? 0 : -1;
		snprintf(j->error, sizeof(j->error), "asking %s: %.400s",
		    h->requested_state, err.message);
		goto later;
	}
	j->net = 1;
	if (transient(a.status)) {
		snprintf(j->error, sizeof(j->error), "%s answered %ld", h->requested_state,
		    a.status);
		goto later;
	}
	if (a.status != 200) {
		problem_name(&a, name);
		refused(w, j, h, name, "the State refused to show the request's "
		    "status", a.len > 0 && strcmp(a.content_type, "application/jose") ==
		    0 ? a.body : NULL);
		goto out;
	}
	if (tr__signed_open(peers, NULL, h->requested_state, a.body, a.len, &jws,
	    &err) != 0 || (cty = proto_jws_cty(jws)) == NULL) {
		char detail[600];

		snprintf(detail, sizeof(detail), "the answer does not verify: %.500s",
		    err.message);
		refused(w, j, h, "unverified", detail, NULL);
		goto out;
	}
	if (strcmp(cty, PROTO_SCHEMA_ACK) == 0) {
		/* Not answered yet.  A daemon that does not hold the question
		 * is asked again after a pause rather than at once. */
		clock_gettime(CLOCK_MONOTONIC, &t1);
		j->attempt = 0;
		j->next = t1.tv_sec - t0.tv_sec >= 1 ? N_AGAIN : N_LATER;
		j->delay = 2;
		snprintf(j->outcome, sizeof(j->outcome), "waiting");
		goto out;
	}
	p = proto_jws_payload(jws, &n);
	if (strcmp(cty, PROTO_SCHEMA_RESPONSE) != 0 ||
	    proto_response_parse((const char *)p, n, &resp, &perr) != 0 ||
	    strcmp(resp->id, h->id) != 0 ||
	    strcmp(resp->responding_state, h->requested_state) != 0) {
		char detail[600];

		snprintf(detail, sizeof(detail), "the answer is not a response to "
		    "this request: %.500s", perr.message[0] ? perr.message :
		    "another request's id or State");
		refused(w, j, h, "invalid-document", detail, NULL);
		goto out;
	}
	if (reg_hop_event_add(w->db, h->id, "answered", resp->status, NULL, NULL,
	    a.body, a.len, NULL, &err) != 0) {
		snprintf(j->error, sizeof(j->error), "%.400s", err.message);
		goto later;
	}
	/* What the next step needs of it: the answer, as stored.  Without
	 * memory for it, the next step reads it back. */
	free(h->response);
	if ((h->response = strdup(a.body)) != NULL) {
		snprintf(h->answer_status, sizeof(h->answer_status), "%s", resp->status);
		proto_response_free(j->resp);
		j->resp = resp;		/* parsed already: the next step's */
		resp = NULL;
	} else {
		j->reread = 1;
	}
	j->changed = 1;
	snprintf(j->outcome, sizeof(j->outcome), "answered");
	j->next = N_AGAIN;		/* to follow it */
	goto out;
later:
	j->next = N_LATER;
	j->delay = backoff(j, &a);
	j->attempt++;
	snprintf(j->outcome, sizeof(j->outcome), "retry");
out:
	proto_response_free(resp);
	proto_jws_free(jws);
	tr__client_answer_free(&a);
}

static void
set_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL && *v != '\0')
		json_object_set_new(o, k, json_string(v));
	else
		json_object_del(o, k);
}

/*
 * The next hop's request: the one sent to h's State, with a new id,
 * parent_id h, asked of importing, the weapon as h's State registered it,
 * and the referral as its evidence (weapon.notes).
 */
static int
follow_up(const struct reg_hop *h, const proto_response *resp,
    const struct proto_candidate *cand, const char *new_id, const char *now,
    char **out)
{
	const struct proto_weapon_record *wr = &cand->weapon;
	const struct proto_referral *rf = cand->referral;
	proto_error perr = PROTO_ERROR_INIT;
	proto_request *check = NULL;
	proto_jws *jws = NULL;
	json_t *doc = NULL, *wp;
	const uint8_t *p;
	const char *cond;
	char notes[2001];
	size_t n;
	int r = -1;

	*out = NULL;
	if (proto_jws_parse(h->message, strlen(h->message), &jws, &perr) != 0 ||
	    (p = proto_jws_payload(jws, &n)) == NULL ||
	    (doc = json_loadb((const char *)p, n, 0, NULL)) == NULL ||
	    !json_is_object(wp = json_object_get(doc, "weapon")))
		goto out;
	set_str(doc, "id", new_id);
	set_str(doc, "parent_id", h->id);
	set_str(doc, "requested_state", rf->importing_state);
	set_str(doc, "created_at", now);
	json_object_del(doc, "follow_referrals");
	/* The serial as registered is read in full now. */
	cond = json_string_value(json_object_get(wp, "serial_condition"));
	set_str(wp, "serial", wr->serial);
	set_str(wp, "serial_condition", cond != NULL && (strcmp(cond, "legible") == 0 ||
	    strcmp(cond, "partly_legible") == 0) ? "legible" : "restored");
	if (wr->manufacturer != NULL)
		set_str(wp, "manufacturer", wr->manufacturer);
	if (wr->model != NULL)
		set_str(wp, "model", wr->model);
	set_str(wp, "type", wr->type);
	if (wr->calibre != NULL)
		set_str(wp, "calibre", wr->calibre);
	if (wr->country_of_manufacture[0] != '\0')
		set_str(wp, "country_of_manufacture", wr->country_of_manufacture);
	if (wr->year_of_manufacture > 0)
		json_object_set_new(wp, "year_of_manufacture",
		    json_integer(wr->year_of_manufacture));
	snprintf(notes, sizeof(notes), "Referred by %s (answer to request %s): "
	    "exported to %s on %s%s%s%s%s%s%s.", resp->responding_state, h->id,
	    rf->importing_state, rf->export_date,
	    rf->licence && rf->licence->number ? ", export licence " : "",
	    rf->licence && rf->licence->number ? rf->licence->number : "",
	    rf->end_user_certificate ? ", end-user certificate " : "",
	    rf->end_user_certificate ? rf->end_user_certificate : "",
	    rf->importer && rf->importer->name ? ", importer " : "",
	    rf->importer && rf->importer->name ? rf->importer->name : "");
	set_str(wp, "notes", notes);
	if ((*out = json_dumps(doc, JSON_COMPACT)) == NULL)
		goto out;
	/* A sender does not send what it would refuse. */
	if (proto_request_parse(*out, strlen(*out), &check, &perr) != 0) {
		free(*out);
		*out = NULL;
		goto out;
	}
	r = 0;
out:
	proto_request_free(check);
	json_decref(doc);
	proto_jws_free(jws);
	return r;
}

/* When a hop to state is due until its acknowledgement says: [domestic]
 * send_due seconds from now, else the deadline of its priority. */
static void
hop_due(const struct trd_config *cf, const char *state, const char *priority,
    char out[32])
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += cf->send_due > 0 ? (time_t)cf->send_due :
	    (time_t)trd_config_deadline(cf, state, strcmp(priority, "urgent") == 0) *
	    3600;
	trd_timestamp(&t, out);
}

/* h is answered: ends the chain there, or stores the next hop. */
static void
hop_follow(struct trd_worker *w, struct hop_job *j, const struct reg_hop *h,
    const tr__peers *peers)
{
	struct trd_daemon *d = j->d;
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	proto_response *resp = NULL;
	proto_request *origin = NULL;
	const struct proto_candidate *cand;
	const struct tr__peer *route;
	struct reg_hop *chain = NULL;
	struct reg_hop_in in;
	proto_jws *jws = NULL;
	const uint8_t *p;
	char *json = NULL, *signed_req = NULL, detail[600], now[32], due[32];
	struct timespec t;
	reg_uuid u;
	size_t n, nchain = 0, i;

	if (j->resp != NULL) {
		resp = j->resp;	/* as the step that stored it parsed it */
		j->resp = NULL;
	} else if (proto_jws_parse(h->response, strlen(h->response), &jws,
	    &perr) != 0 || (p = proto_jws_payload(jws, &n)) == NULL ||
	    proto_response_parse((const char *)p, n, &resp, &perr) != 0) {
		ended(w, j, h->id, "unreadable", "the stored answer does not parse");
		goto out;
	}
	if (strcmp(resp->status, "found") != 0 || resp->n_candidates == 0) {
		snprintf(detail, sizeof(detail), "%s answered %s", h->requested_state,
		    resp->status);
		ended(w, j, h->id, resp->status, detail);
		goto out;
	}
	cand = &resp->candidates[0];
	if (cand->referral == NULL) {
		if (cand->diversion != NULL)
			snprintf(detail, sizeof(detail), "%s: %s%s%s", h->requested_state,
			    cand->diversion->finding, cand->diversion->date[0] ? " on " : "",
			    cand->diversion->date);
		else
			snprintf(detail, sizeof(detail), "%s: the last legal holder is "
			    "%s", h->requested_state, cand->last_legal_holder ?
			    cand->last_legal_holder->name : "not disclosed");
		ended(w, j, h->id, cand->diversion ? "diversion" : "last_legal_holder",
		    detail);
		goto out;
	}
	snprintf(detail, sizeof(detail), "%s: exported to %s on %s",
	    h->requested_state, cand->referral->importing_state,
	    cand->referral->export_date);
	if (reg_hop_chain(w->db, h->id, &chain, &nchain, &err) != 0) {
		snprintf(j->error, sizeof(j->error), "%.400s", err.message);
		j->next = N_LATER;
		j->delay = backoff(j, NULL);
		j->attempt++;
		goto out;
	}
	if (!d->cf.follow_referrals || chain[0].origin == NULL ||
	    sent_request(chain[0].origin, &origin) != 0 || !origin->follow_referrals) {
		ended(w, j, h->id, "not_followed", detail);
		goto out;
	}
	if (strcmp(cand->referral->importing_state, d->cf.state) == 0) {
		ended(w, j, h->id, "returned", detail);
		goto out;
	}
	for (i = 0; i < nchain; i++)
		if (strcmp(chain[i].requested_state, cand->referral->importing_state) == 0)
			break;
	if (i < nchain) {
		char loop[700];

		snprintf(loop, sizeof(loop), "%.590s, which was asked before (hop %d)",
		    detail, chain[i].hop);
		ended(w, j, h->id, "loop", loop);
		goto out;
	}
	if (h->hop + 1 >= d->cf.max_hops) {
		ended(w, j, h->id, "max_hops", detail);
		goto out;
	}
	if ((route = tr__peers_route(peers, cand->referral->importing_state)) == NULL) {
		char none[700];

		snprintf(none, sizeof(none), "%.590s, a State the peers directory "
		    "does not have", detail);
		ended(w, j, h->id, "no_route", none);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &t);
	trd_timestamp(&t, now);
	if (reg_uuid_v7(&u, &err) != 0)
		goto fail;
	reg_uuid_format(&u, j->child);
	if (follow_up(h, resp, cand, j->child, now, &json) != 0 ||
	    proto_jws_sign(d->signing, PROTO_SCHEMA_REQUEST, json, strlen(json),
	    &signed_req, &perr) != 0) {
		ended(w, j, h->id, "unwritable", "the follow-up request could not be "
		    "written from the answer");
		goto out;
	}
	hop_due(&d->cf, cand->referral->importing_state, origin->priority, due);
	memset(&in, 0, sizeof(in));
	in.id = j->child;
	in.parent_id = h->id;
	in.hop = h->hop + 1;
	in.requesting_state = d->cf.state;
	in.requested_state = cand->referral->importing_state;
	in.via = strcmp(route->code, in.requested_state) != 0 ? route->code : NULL;
	in.submitted_by = "followed";
	in.kid = d->cf.signing_kid;
	in.priority = origin->priority;
	in.created_at = now;
	in.due_by = due;
	in.message = signed_req;
	in.message_len = strlen(signed_req);
	if (reg_hop_add(w->db, &in, NULL, NULL, NULL, NULL, NULL, &err) != 0) {
		if (err.code == REG_EEXIST) {	/* followed by another worker */
			j->next = N_DONE;
			goto out;
		}
		goto fail;
	}
	j->changed = 1;
	snprintf(j->outcome, sizeof(j->outcome), "followed");
	j->next = N_CHILD;
	memcpy(j->child_dest, in.requested_state, 2);
	j->child_dest[2] = '\0';
	j->seed = hop_seed(&in, h->root_id);
	goto out;
fail:
	snprintf(j->error, sizeof(j->error), "%.400s", err.message);
	j->next = N_LATER;
	j->delay = backoff(j, NULL);
	j->attempt++;
out:
	reg_hops_free(chain, nchain);
	proto_request_free(origin);
	proto_response_free(resp);
	proto_jws_free(jws);
	proto_free(signed_req);
	free(json);
}

static void
hop_step(struct trd_worker *w, struct hop_job *j)
{
	const tr__peers *peers = j->peers->peers;
	reg_error err = REG_ERROR_INIT;
	const struct tr__peer *route;
	struct reg_hop *h = NULL;
	tr__client *cl;

	j->next = N_LATER;
	j->delay = backoff(j, NULL);
	j->changed = 0;
	j->outcome[0] = j->error[0] = '\0';
	if (trd_job_db(w, j->error, sizeof(j->error)) != 0) {
		j->attempt++;
		return;
	}
	if (j->h != NULL && (j->reread || strcmp(j->h->id, j->id) != 0)) {
		reg_hops_free(j->h, 1);
		j->h = NULL;
	}
	if (j->h == NULL) {
		proto_response_free(j->resp);
		j->resp = NULL;
	}
	j->reread = 0;
	if (j->h == NULL && reg_hop_get(w->db, j->id, &j->h, &err) != 0) {
		j->h = NULL;
		snprintf(j->error, sizeof(j->error), "%.400s", err.message);
		if (err.code == REG_ENOTFOUND || err.code == REG_EINVAL)
			j->next = N_DONE;
		else
			j->attempt++;
		return;
	}
	h = j->h;
	snprintf(j->root, sizeof(j->root), "%s", h->root_id);
	snprintf(j->dest, sizeof(j->dest), "%.2s", h->requested_state);
	if (h->refusal[0] != '\0' || h->end[0] != '\0' || h->followed) {
		j->next = N_DONE;
	} else if (h->answer_status[0] != '\0') {
		hop_follow(w, j, h, peers);
	} else if ((route = tr__peers_route(peers, h->requested_state)) == NULL) {
		/* Dropped from the directory: kept, and tried again after a
		 * reload that brings it back. */
		snprintf(j->error, sizeof(j->error), "%s is not in the peers "
		    "directory", h->requested_state);
		j->attempt++;
		j->delay = j->d->cf.retry_max;
	} else if (strcmp(j->gate, j->dest) != 0) {
		/* A call to a State is made only in its turn (trd_gate): at
		 * most a few at once, none while it is paused. */
		j->next = N_DEFER;
	} else if ((cl = slot_client(w, &j->d->cf, &j->d->cancel, route, j->error,
	    sizeof(j->error))) == NULL) {
		j->attempt++;
	} else if (h->acked_at[0] == '\0') {
		hop_send(w, j, h, cl, peers);
	} else {
		hop_poll(w, j, h, cl, peers);
	}
	/* Kept for the next step only when this one stored its progress
	 * and said what it became; a hop just added is its own next step's. */
	if (!j->changed || j->next != N_AGAIN) {
		reg_hops_free(j->h, 1);
		j->h = NULL;
		proto_response_free(j->resp);
		j->resp = NULL;
	}
	if (j->next == N_CHILD) {
		j->h = j->seed;
		j->seed = NULL;
	}
}

/*
 * In the outbound pool: a hop's next step, and the steps after it while
 * each makes progress (sent and acknowledged, answered, followed): one job
 * carries a hop from its sending to the next hop's acknowledgement without
 * going back through the queue and the event loop between steps.  A
 * question held without an answer yet, a retry or the end goes back.
 */
static void
hop_job(struct trd_worker *w, void *arg)
{
	struct hop_job *j = arg;

	j->nsteps = 0;
	for (;;) {
		hop_step(w, j);
		if ((j->next != N_AGAIN && j->next != N_CHILD) ||
		    strcmp(j->outcome, "waiting") == 0 || j->error[0] != '\0' ||
		    j->nsteps == HOP_STEPS_MAX || atomic_load(&j->d->cancel))
			break;
		memcpy(j->steps[j->nsteps].id, j->id, sizeof(j->id));
		memcpy(j->steps[j->nsteps].outcome, j->outcome, sizeof(j->outcome));
		j->nsteps++;
		if (j->next == N_CHILD) {
			memcpy(j->id, j->child, sizeof(j->id));
			j->attempt = 0;
		}
	}
	reg_hops_free(j->h, 1);
	reg_hops_free(j->seed, 1);
	proto_response_free(j->resp);
	j->h = j->seed = NULL;
	j->resp = NULL;
}

static void chain_wake(struct trd_daemon *d, const char *root);
static void hop_start(struct trd_daemon *d, const char *id, int attempt,
    struct reg_hop *seed, const char *dest);

struct hop_timer {
	struct trd_daemon *d;
	char id[37];
	char dest[3];
	int attempt;
};

static void
on_hop_timer(evutil_socket_t fd, short what, void *arg)
{
	struct hop_timer *t = arg;

	(void)fd;
	(void)what;
	if (!t->d->stopping)
		hop_start(t->d, t->id, t->attempt, NULL, t->dest);
	free(t);
}

/* A step's outcome in tracerd_hops_total and the log (a question still
 * waiting for its answer is neither). */
static void
step_seen(struct trd_daemon *d, const char *id, const char *outcome,
    const char *error)
{
	if (strcmp(outcome, "waiting") == 0)
		return;
	if (outcome[0] != '\0')
		trd_count(d, "tracerd_hops_total", "What became of requests sent to "
		    "other States, by outcome.", "outcome", outcome);
	if (outcome[0] != '\0' || error[0] != '\0')
		trd_log_event("hop", id, outcome[0] ? outcome : "error",
		    error[0] ? error : NULL);
}

static void
hop_done(void *arg, int ran)
{
	struct hop_job *j = arg;
	struct trd_daemon *d = j->d;
	struct hop_timer *t;
	struct timeval tv;
	int i;

	d->hops_running--;
	/* The call's slot goes to the next job waiting for its State (which
	 * so goes before this hop's own next step), and its result to the
	 * State's circuit breaker. */
	if (j->gate[0] != '\0')
		trd_gate_leave(d->out_gate, j->gate, ran ? j->net : 0);
	for (i = 0; ran && i < j->nsteps; i++)
		step_seen(d, j->steps[i].id, j->steps[i].outcome, "");
	if (ran)
		step_seen(d, j->id, j->outcome, j->error);
	/* The chain ended here: the GETs held for it are answered. */
	if (ran && j->changed && j->next == N_DONE) {
		d->chain_ends++;
		if (j->root[0] != '\0')
			chain_wake(d, j->root);
	}
	if (ran && !d->stopping) {
		switch (j->next) {
		case N_DONE:
			break;
		case N_CHILD:
			hop_start(d, j->child, 0, NULL, j->child_dest);
			break;
		case N_AGAIN:
			hop_start(d, j->id, 0, NULL, j->dest);
			break;
		case N_DEFER:
			hop_start(d, j->id, j->attempt, NULL, j->dest);
			break;
		case N_LATER:
			if ((t = calloc(1, sizeof(*t))) == NULL)
				break;
			t->d = d;
			memcpy(t->id, j->id, sizeof(t->id));
			memcpy(t->dest, j->dest, sizeof(t->dest));
			t->attempt = j->attempt;
			tv.tv_sec = j->delay > 0 ? j->delay : 1;
			tv.tv_usec = 0;
			if (event_base_once(d->base, -1, EV_TIMEOUT, on_hop_timer, t,
			    &tv) != 0)
				free(t);
			break;
		}
	}
	trd_peers_release(j->peers);
	reg_hops_free(j->h, 1);		/* a job that did not run */
	reg_hops_free(j->seed, 1);
	proto_response_free(j->resp);
	free(j);
}

static void
hop_drop(struct hop_job *j)
{
	j->d->hops_running--;
	trd_peers_release(j->peers);
	reg_hops_free(j->h, 1);
	free(j);
}

/* Queues j on the outbound pool. */
static void
hop_submit(struct hop_job *j)
{
	struct trd_daemon *d = j->d;

	j->peers = trd_peers_hold(d);
	if (trd_pool_submit(d->outbound, hop_job, hop_done, j) != 0) {
		trd_log_event("hop", j->id, "error", "the outbound queue is full; the "
		    "request is sent at the next start");
		if (j->gate[0] != '\0')
			trd_gate_leave(d->out_gate, j->gate, 0);
		hop_drop(j);
	}
}

/* A hop that waited for its State's turn: it goes, or (the daemon stops)
 * it stays in the database for the next start. */
static void
hop_go(void *arg, const char *code, int go)
{
	struct hop_job *j = arg;

	if (go != TRD_GATE_GO) {
		hop_drop(j);
		return;
	}
	snprintf(j->gate, sizeof(j->gate), "%.2s", code);
	hop_submit(j);
}

/*
 * Carries hop id on: dest, when known, is its State, whose call it waits
 * for (trd_gate) without holding a worker; a hop of unknown State is read
 * first (hop_step() then sends it back with its State, N_DEFER).
 */
static void
hop_start(struct trd_daemon *d, const char *id, int attempt,
    struct reg_hop *seed, const char *dest)
{
	struct hop_job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		reg_hops_free(seed, 1);
		trd_log_event("hop", id, "error", "out of memory; the request is sent "
		    "at the next start");
		return;
	}
	j->d = d;
	snprintf(j->id, sizeof(j->id), "%s", id);
	j->attempt = attempt;
	j->h = seed;	/* the hop as just stored: its first step needs no read */
	d->hops_running++;
	if (dest != NULL && dest[0] != '\0' && d->out_gate != NULL) {
		switch (trd_gate_enter(d->out_gate, dest, hop_go, j)) {
		case TRD_GATE_GO:
			snprintf(j->gate, sizeof(j->gate), "%.2s", dest);
			break;
		case TRD_GATE_WAIT:
			return;
		default:
			if (d->stopping) {
				hop_drop(j);
				return;
			}
			break;	/* without memory: read, and sent back */
		}
	}
	hop_submit(j);
}

static int
resume_one(void *arg, const char *id)
{
	hop_start(arg, id, 0, NULL, NULL);
	return 0;
}

int
trd_out_start(struct trd_daemon *d, reg_error *err)
{
	reg_ctx *ctx = NULL;
	long before;
	char what[64];
	int r;

	if (trd_gate_new(d->base, d->cf.hub ? "relay" : "outbound",
	    d->cf.per_state_in_flight > 0 ? d->cf.per_state_in_flight :
	    (d->cf.hub ? d->cf.trace_workers : d->cf.outbound_workers) / 2,
	    d->cf.breaker_failures, d->cf.breaker_min, d->cf.breaker_max,
	    d->cf.hub ? TRD_HUB_WAIT_MAX : 0, d->cf.hub, &d->out_gate) != 0)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	if (d->cf.hub)		/* a hub sends nothing of its own */
		return 0;
	if ((r = trd_pool_new(d->base, "outbound", d->cf.database,
	    d->cf.outbound_workers, d->cf.queue_max, out_slot_free, &d->outbound,
	    err)) != 0)
		return r;
	if ((r = reg_open(d->cf.database, 0, &ctx, err)) != 0) {
		/* The database may come back: hops then wait for a restart. */
		trd_log_event("hop", NULL, "error", err->message);
		reg_error_clear(err);
		return 0;
	}
	before = d->hops_running;
	r = reg_hop_open(ctx, resume_one, d, err);
	reg_close(ctx);
	if (r != 0) {
		trd_log_event("hop", NULL, "error", err->message);
		reg_error_clear(err);
	} else if (d->hops_running > before) {
		snprintf(what, sizeof(what), "%ld open requests to other States",
		    d->hops_running - before);
		trd_log_event("hop", NULL, "resumed", what);
	}
	return 0;
}

/* ------------------------------------------------------------ POST */

struct post {
	struct trd_call *c;
	struct trd_daemon *d;
	proto_request *req;
	char *origin;			/* as received */
	size_t origin_len;
	char *message;			/* as sent on */
	char caller[TRD_CALLER_MAX + 1];	/* trd_caller_text() */
	char kid[201];
	char via[3];
	char created_at[32], due_by[32];
	int rc, same;
	char *ack;
	struct reg_hop *seed;		/* the hop as stored, for its first step */
	char error[512];
};

static void
post_free(struct post *p)
{
	proto_request_free(p->req);
	free(p->origin);
	proto_free(p->message);
	free(p->ack);
	reg_hops_free(p->seed, 1);
	free(p);
}

/* The submitter's acknowledgement, written once the hop's leaf is known. */
static char *
sign_ack(void *arg, uint64_t log_index, reg_error *err)
{
	struct post *p = arg;

	return trd_sign_ack(p->d, p->req, p->created_at, p->due_by, p->origin,
	    log_index, err);
}

static void
store_job(struct trd_worker *w, void *arg)
{
	struct post *p = arg;
	reg_error err = REG_ERROR_INIT;
	struct reg_hop_in in;

	if ((p->rc = trd_job_db(w, p->error, sizeof(p->error))) != 0)
		return;
	memset(&in, 0, sizeof(in));
	in.id = p->req->id;
	in.requesting_state = p->req->requesting_state;
	in.requested_state = p->req->requested_state;
	in.via = p->via[0] ? p->via : NULL;
	in.submitted_by = p->caller;
	in.kid = p->kid;
	in.priority = p->req->priority;
	in.created_at = p->created_at;
	in.due_by = p->due_by;
	in.origin = p->origin;
	in.origin_len = p->origin_len;
	in.message = p->message;
	in.message_len = strlen(p->message);
	p->rc = reg_hop_add(w->db, &in, sign_ack, p, NULL, &p->same, &p->ack, &err);
	if (p->rc != 0 && p->rc != REG_EEXIST)
		snprintf(p->error, sizeof(p->error), "%.400s", err.message);
	else if (p->rc == 0)
		p->seed = hop_seed(&in, in.id);
}

static void
store_done(void *arg, int ran)
{
	struct post *p = arg;
	struct trd_call *c = p->c;
	char location[80];

	snprintf(location, sizeof(location), "/v1/traces/%s/chain", p->req->id);
	if (!ran) {
		trd_problem(c, "unavailable", "the daemon is stopping", NULL);
	} else if (p->rc == REG_EEXIST && !p->same) {
		trd_problem(c, "conflict", "a different request with this id was "
		    "received before; a new request needs a new id", "id");
	} else if ((p->rc == 0 || p->rc == REG_EEXIST) && p->ack != NULL) {
		snprintf(c->note, sizeof(c->note), "%s", p->rc == 0 ? "forwarded" :
		    "repeat");
		trd_reply(c, 202, "application/jose", p->ack, strlen(p->ack), location);
		if (p->rc == 0) {
			hop_start(p->d, p->req->id, 0, p->seed,
			    p->req->requested_state);
			p->seed = NULL;
		}
	} else if (trd_db_unavailable(p->rc)) {
		trd_log_event("error", p->req->id, NULL, p->error);
		trd_problem(c, "unavailable", "the registry's database cannot be "
		    "reached; try again later", NULL);
	} else {
		trd_log_event("error", p->req->id, NULL, p->error[0] ? p->error :
		    "no acknowledgement stored");
		trd_problem(c, "internal", "the request could not be stored", NULL);
	}
	post_free(p);
}

/* The request as this State sends it: the submitter's document without
 * follow_referrals (which asks this daemon, not the next State), signed
 * with this State's key. */
static int
forwarded(const struct trd_daemon *d, const uint8_t *payload, size_t len,
    char **out, proto_error *perr)
{
	proto_request *check = NULL;
	json_t *doc;
	char *json = NULL;
	int r = PROTO_EINVAL;

	*out = NULL;
	if ((doc = json_loadb((const char *)payload, len, 0, NULL)) == NULL)
		return r;
	json_object_del(doc, "follow_referrals");
	if ((json = json_dumps(doc, JSON_COMPACT)) != NULL &&
	    (r = proto_request_parse(json, strlen(json), &check, perr)) == 0)
		r = proto_jws_sign(d->signing, PROTO_SCHEMA_REQUEST, json, strlen(json),
		    out, perr);
	proto_request_free(check);
	free(json);
	json_decref(doc);
	return r;
}

void
trd_out_post(struct trd_call *c)
{
	struct trd_daemon *d = c->d;
	proto_error perr = PROTO_ERROR_INIT;
	const struct tr__peer *route;
	proto_jws *jws = NULL;
	const uint8_t *payload;
	const char *cert;
	struct timespec now;
	struct post *p;
	size_t plen;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	p->c = c;
	p->d = d;
	if (trd_read_request(c, d->cf.state, NULL, domestic_key, "no domestic "
	    "user's key of this kid is configured ([domestic] signing_key)",
	    &p->origin, &p->origin_len, &p->req, p->kid) != 0)
		goto fail;
	/* A user's key is theirs only: signed with it over another user's
	 * connection, a request is refused before anything is stored. */
	if ((cert = domestic_key_cert(d, p->kid)) == NULL ||
	    strcmp(cert, c->id.fp) != 0) {
		trd_problem(c, "forbidden", "the signing key names another user's "
		    "certificate ([domestic] signing_key): sign with your own key",
		    NULL);
		goto fail;
	}
	if (strcmp(p->req->requested_state, d->cf.state) == 0) {
		trd_problem(c, "wrong-state", "a request to this State is traced "
		    "here with 'tracectl local'; this endpoint sends requests to "
		    "other States", "requested_state");
		goto fail;
	}
	if ((route = tr__peers_route(d->peers, p->req->requested_state)) == NULL) {
		trd_problem(c, "wrong-state", "the peers directory has no way to "
		    "the requested State", "requested_state");
		goto fail;
	}
	if (strcmp(route->code, p->req->requested_state) != 0)
		memcpy(p->via, route->code, 3);
	if (proto_jws_parse(p->origin, p->origin_len, &jws, &perr) != 0 ||
	    (payload = proto_jws_payload(jws, &plen)) == NULL ||
	    forwarded(d, payload, plen, &p->message, &perr) != 0) {
		trd_problem(c, "invalid-document", perr.message[0] ? perr.message :
		    "the request cannot be sent on", NULL);
		goto fail;
	}
	/* Who submitted it is the certificate; only the same one reads the
	 * chain (may_read_chain()). */
	trd_caller_text(&c->id, p->caller, sizeof(p->caller));
	proto_jws_free(jws);
	jws = NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	trd_timestamp(&now, p->created_at);
	hop_due(&d->cf, p->req->requested_state, p->req->priority, p->due_by);
	if (trd_call_submit(c, store_job, store_done, p) != 0)
		goto fail;
	return;
fail:
	proto_jws_free(jws);
	post_free(p);
}

/* ------------------------------------------------------------ chain */

struct chain_get {
	struct trd_call *c;
	char id[37];
	unsigned long ends;		/* d->chain_ends when queued */
	struct reg_hop *hops;
	size_t n;
	int rc;
	char error[512];
};

static void chain_start(struct trd_call *c, const char *id);

static void
chain_resume(struct trd_call *c, const char *id, int flag)
{
	(void)flag;
	chain_start(c, id);
}

/* Chain root ended: the GETs held for it are read again. */
static void
chain_wake(struct trd_daemon *d, const char *root)
{
	trd_holds_wake(&d->chain_waiters, root);
}

void
trd_out_stop(struct trd_daemon *d)
{
	trd_holds_wake_all(&d->chain_waiters);
	/* Hops waiting for their State's turn stay in the database. */
	trd_gate_stop(d->out_gate);
	/* A worker holding a question for an answer gives it up: the hop is
	 * carried on at the next start. */
	atomic_store(&d->cancel, 1);
	trd_pool_free(d->outbound);
	d->outbound = NULL;
}

void
trd_out_free(struct trd_daemon *d)
{
	int i;

	for (i = 0; i < d->n_domestic; i++)
		proto_jws_key_free(d->domestic[i]);
	d->n_domestic = 0;
	trd_gate_free(d->out_gate);
	d->out_gate = NULL;
}

static void
chain_job(struct trd_worker *w, void *arg)
{
	struct chain_get *g = arg;
	reg_error err = REG_ERROR_INIT;

	if ((g->rc = trd_job_db(w, g->error, sizeof(g->error))) != 0)
		return;
	if ((g->rc = reg_hop_chain(w->db, g->id, &g->hops, &g->n, &err)) != 0)
		snprintf(g->error, sizeof(g->error), "%.400s", err.message);
}

static int
past(const char *t)
{
	time_t s = trd_rfc3339_seconds(t);

	return s > 0 && time(NULL) >= s;
}

/* A hop's status as the chain shows it. */
static const char *
hop_status(const struct reg_hop *h)
{
	if (h->refusal[0] != '\0')
		return "refused";
	if (h->answer_status[0] != '\0')
		return "answered";
	if (past(h->ack_due_by[0] ? h->ack_due_by : h->due_by))
		return "overdue";
	return h->acked_at[0] != '\0' ? "acknowledged" : "sending";
}

static int
chain_complete(const struct reg_hop *hops, size_t n)
{
	return n > 0 && (hops[n - 1].refusal[0] != '\0' || hops[n - 1].end[0] != '\0');
}

/* Copies text into a fixed-size member, cut to fit (a cut value is then
 * refused by the codec's check). */
#define COPY(dst, src) snprintf((dst), sizeof(dst), "%.*s", \
	(int)sizeof(dst) - 1, (src))

/* The chain document (trace-chain/1, proto/README.md), written by the
 * codec from the stored hops, whose text it borrows (the codec only reads
 * it); NULL when it cannot be written. */
static char *
chain_doc(const struct trd_daemon *d, const struct reg_hop *hops, size_t n)
{
	proto_error perr = PROTO_ERROR_INIT;
	struct proto_chain_end end = { .detail = NULL };
	proto_chain c = { .n_hops = n };
	const struct reg_hop *last = &hops[n - 1];
	struct timespec now;
	char ts[32], *out = NULL;
	size_t i;

	if ((c.hops = calloc(n, sizeof(*c.hops))) == NULL)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	trd_timestamp(&now, ts);
	COPY(c.assembled_at, ts);
	COPY(c.id, hops[0].id);
	COPY(c.requesting_state, d->cf.state);
	c.complete = chain_complete(hops, n);
	if (c.complete) {
		COPY(end.reason, last->end[0] ? last->end : "refused");
		COPY(end.state, last->requested_state);
		end.detail = last->detail[0] != '\0' ? (char *)last->detail : NULL;
		c.end = &end;
	}
	for (i = 0; i < n; i++) {
		const struct reg_hop *h = &hops[i];
		struct proto_chain_hop *o = &c.hops[i];

		o->hop = h->hop;
		COPY(o->request_id, h->id);
		COPY(o->parent_id, h->parent_id);
		COPY(o->requested_state, h->requested_state);
		o->via = h->via[0] != '\0' ? (char *)h->via : NULL;
		COPY(o->status, hop_status(h));
		COPY(o->sent_at, h->created_at);
		COPY(o->due_by, h->ack_due_by[0] ? h->ack_due_by : h->due_by);
		COPY(o->acknowledged_at, h->acked_at);
		if (h->answered_at[0] != '\0') {
			COPY(o->answered_at, h->answered_at);
			COPY(o->response_status, h->answer_status);
		}
		if (h->refusal[0] != '\0') {
			o->refusal = (char *)h->refusal;
			COPY(o->refused_at, h->refused_at);
		}
		COPY(o->end, h->end);
		o->detail = h->detail[0] != '\0' ? (char *)h->detail : NULL;
		o->request = h->message;
		o->acknowledgement = h->remote_ack;
		o->response = h->response;
		o->problem = h->problem;
	}
	if (proto_chain_to_json(&c, &out, &perr) != 0)
		trd_log_event("error", hops[0].id, NULL, perr.message);
	free(c.hops);	/* the strings are the hops' */
	return out;
}
#undef COPY

/* Who may read a chain (beyond trd_access()'s table): this State's
 * liaison office and auditors, and the certificate that submitted it.  A
 * chain stored before submitters were recorded by certificate ("FR
 * investigator NAME") names nobody that a certificate can prove to be. */
static int
may_read_chain(const struct trd_call *c, const struct reg_hop *root)
{
	if (strcmp(c->id.state, c->d->cf.state) != 0 ||
	    strcmp(c->id.role, "peer") == 0)
		return 0;
	if (strcmp(c->id.role, "liaison") == 0 || strcmp(c->id.role, "auditor") == 0)
		return 1;
	return trd_caller_is(&c->id, root->submitted_by);
}

static void
chain_done(void *arg, int ran)
{
	struct chain_get *g = arg;
	struct trd_call *c = g->c;
	struct trd_daemon *d = c->d;
	char *doc = NULL;

	if (!ran) {
		trd_problem(c, "unavailable", "the daemon is stopping", NULL);
	} else if (g->rc == REG_ENOTFOUND || g->rc == REG_EINVAL) {
		trd_problem(c, "not-found", "no request with this id was sent by "
		    "this State", NULL);
	} else if (g->rc != 0) {
		trd_log_event("error", g->id, NULL, g->error);
		trd_problem(c, "unavailable", "the registry's database cannot be "
		    "reached; try again later", NULL);
	} else if (!may_read_chain(c, &g->hops[0])) {
		trd_problem(c, "not-found", "no request with this id that you may "
		    "read", NULL);
	} else if (c->wait > 0 && !chain_complete(g->hops, g->n) &&
	    d->chain_ends != g->ends && !d->stopping) {
		/* A chain ended while this one was read: read it again and
		 * answer, rather than wait for an end that may have passed. */
		c->wait = 0;
		chain_start(c, g->id);
	} else if (c->wait > 0 && !chain_complete(g->hops, g->n) &&
	    trd_hold(&d->chain_waiters, c, g->hops[0].id, g->id, 0,
	    chain_resume) == 0) {
		/* Held until this chain ends, or c->wait seconds. */
	} else if ((doc = chain_doc(d, g->hops, g->n)) == NULL) {
		trd_problem(c, "internal", "cannot write the chain", NULL);
	} else {
		snprintf(c->note, sizeof(c->note), "%zu hops%s", g->n,
		    chain_complete(g->hops, g->n) ? " complete" : "");
		trd_reply_signed(c, 200, "trace-chain/1", doc, NULL);
	}
	free(doc);
	reg_hops_free(g->hops, g->n);
	free(g);
}

static void
chain_start(struct trd_call *c, const char *id)
{
	struct chain_get *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	g->c = c;
	snprintf(g->id, sizeof(g->id), "%s", id);
	g->ends = c->d->chain_ends;
	if (trd_call_submit_read(c, chain_job, chain_done, g) != 0)
		free(g);
}

void
trd_out_chain_get(struct trd_call *c, const char *id)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(c->req));
	char lower[37], *end = NULL;
	long s;

	if (!trd_access(c))
		return;
	if (q != NULL && *q != '\0') {
		s = -1;
		if (strncmp(q, "wait=", 5) == 0 && q[5] >= '0' && q[5] <= '9')
			s = strtol(q + 5, &end, 10);
		if (s < 0 || s > 60 || end == NULL || *end != '\0') {
			trd_problem(c, "bad-request", "a chain takes one parameter, "
			    "wait=S: the seconds (0 to 60) to wait for its end", NULL);
			return;
		}
		c->wait = (int)s;
	}
	snprintf(lower, sizeof(lower), "%s", id);
	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	snprintf(c->request_id, sizeof(c->request_id), "%s", lower);
	chain_start(c, lower);
}
