/*
 * A hop's steps on an outbound worker (tracerd_out.c tells the whole
 * story): its request sent to the State or the hub it is reached through,
 * the signed acknowledgement stored, the answer asked for and stored, and
 * a referral the answer names followed with the next hop's request.  Each
 * step stores its progress; the job then goes back to the loop
 * (tracerd_out_queue.c) with what is next.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "client_int.h"
#include "tracerd_out_int.h"

#define OUT_CLIENTS 8			/* connections a worker keeps */

/* ------------------------------------------------------------ workers */

/* A worker's connections to the daemons it sends to, one per route. */
struct out_slot {
	struct {
		char code[3];
		tr__client *client;
	} c[OUT_CLIENTS];
	int n, next;
};

void
trd_out_slot_free(void *slot)
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
struct reg_hop *
trd_out_hop_seed(const struct reg_hop_in *in, const char *root)
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
	proto_response *resp = NULL;
	proto_jws *jws = NULL;
	struct timespec t0, t1;
	const char *cty;
	char path[128], name[41];
	int vr = 0;

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
	/* A response: its checkpoint and inclusion proofs too (verify.c). */
	if (strcmp(cty, PROTO_SCHEMA_RESPONSE) != 0 ||
	    (vr = tr__response_check(peers, jws, &resp, NULL, &err)) != 0 ||
	    strcmp(resp->id, h->id) != 0 ||
	    strcmp(resp->responding_state, h->requested_state) != 0) {
		char detail[600];

		snprintf(detail, sizeof(detail), "the answer %s: %.500s",
		    vr == REG_EVERIFY ? "does not verify" : "is not a response to "
		    "this request", err.message[0] ? err.message : "another "
		    "request's id or State");
		refused(w, j, h, vr == REG_EVERIFY ? "unverified" : "invalid-document",
		    detail, NULL);
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
void
trd_out_hop_due(const struct trd_config *cf, const char *state,
    const char *priority, char out[32])
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += cf->send_due > 0 ? (time_t)cf->send_due :
	    (time_t)trd_config_deadline(cf, state, strcmp(priority, "urgent") == 0) *
	    3600;
	trd_timestamp(&t, out);
}

/* Ends the chain at h when its answer refers the weapon nowhere: 1 when
 * it did, else 0 with detail (len bytes) the referral's. */
static int
follow_referral(struct trd_worker *w, struct hop_job *j, const struct reg_hop *h,
    const proto_response *resp, char *detail, size_t len)
{
	const struct proto_candidate *cand;

	if (strcmp(resp->status, "found") != 0 || resp->n_candidates == 0) {
		snprintf(detail, len, "%s answered %s", h->requested_state,
		    resp->status);
		ended(w, j, h->id, resp->status, detail);
		return 1;
	}
	cand = &resp->candidates[0];
	if (cand->referral == NULL) {
		if (cand->diversion != NULL)
			snprintf(detail, len, "%s: %s%s%s", h->requested_state,
			    cand->diversion->finding, cand->diversion->date[0] ? " on " : "",
			    cand->diversion->date);
		else
			snprintf(detail, len, "%s: the last legal holder is "
			    "%s", h->requested_state, cand->last_legal_holder ?
			    cand->last_legal_holder->name : "not disclosed");
		ended(w, j, h->id, cand->diversion ? "diversion" : "last_legal_holder",
		    detail);
		return 1;
	}
	snprintf(detail, len, "%s: exported to %s on %s",
	    h->requested_state, cand->referral->importing_state,
	    cand->referral->export_date);
	return 0;
}

/*
 * Whether the referral from h to state (detail) is followed: the
 * submitter asked for it and policy allows, the State is another and not
 * asked before, the hop limit is not reached and the peers directory has
 * a route.  1 with *origin (the submitter's request, which the caller
 * frees) and *route, else 0 with the chain ended or the job to retry.
 */
static int
follow_allowed(struct trd_worker *w, struct hop_job *j, const struct reg_hop *h,
    const char *state, const char *detail, const tr__peers *peers,
    proto_request **origin, const struct tr__peer **route)
{
	struct trd_daemon *d = j->d;
	reg_error err = REG_ERROR_INIT;
	struct reg_hop *chain = NULL;
	size_t nchain = 0, i;
	char why[700];
	int ok = 0;

	if (reg_hop_chain(w->db, h->id, &chain, &nchain, &err) != 0) {
		snprintf(j->error, sizeof(j->error), "%.400s", err.message);
		j->next = N_LATER;
		j->delay = backoff(j, NULL);
		j->attempt++;
		goto out;
	}
	if (!d->cf.follow_referrals || chain[0].origin == NULL ||
	    sent_request(chain[0].origin, origin) != 0 || !(*origin)->follow_referrals) {
		ended(w, j, h->id, "not_followed", detail);
		goto out;
	}
	if (strcmp(state, d->cf.state) == 0) {
		ended(w, j, h->id, "returned", detail);
		goto out;
	}
	for (i = 0; i < nchain; i++)
		if (strcmp(chain[i].requested_state, state) == 0)
			break;
	if (i < nchain) {
		snprintf(why, sizeof(why), "%.590s, which was asked before (hop %d)",
		    detail, chain[i].hop);
		ended(w, j, h->id, "loop", why);
		goto out;
	}
	if (h->hop + 1 >= d->cf.max_hops) {
		ended(w, j, h->id, "max_hops", detail);
		goto out;
	}
	if ((*route = tr__peers_route(peers, state)) == NULL) {
		snprintf(why, sizeof(why), "%.590s, a State the peers directory "
		    "does not have", detail);
		ended(w, j, h->id, "no_route", why);
		goto out;
	}
	ok = 1;
out:
	reg_hops_free(chain, nchain);
	return ok;
}

/* Writes the next hop's request from h's answer resp (its candidate cand)
 * under this State's signature, and stores it: the job's next is then
 * that hop (N_CHILD). */
static void
follow_store(struct trd_worker *w, struct hop_job *j, const struct reg_hop *h,
    const proto_response *resp, const struct proto_candidate *cand,
    const proto_request *origin, const struct tr__peer *route)
{
	struct trd_daemon *d = j->d;
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	struct reg_hop_in in;
	char *json = NULL, *signed_req = NULL, now[32], due[32];
	struct timespec t;
	reg_uuid u;

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
	trd_out_hop_due(&d->cf, cand->referral->importing_state, origin->priority, due);
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
	j->seed = trd_out_hop_seed(&in, h->root_id);
	goto out;
fail:
	snprintf(j->error, sizeof(j->error), "%.400s", err.message);
	j->next = N_LATER;
	j->delay = backoff(j, NULL);
	j->attempt++;
out:
	proto_free(signed_req);
	free(json);
}

/* h is answered: ends the chain there, or stores the next hop. */
static void
hop_follow(struct trd_worker *w, struct hop_job *j, const struct reg_hop *h,
    const tr__peers *peers)
{
	proto_error perr = PROTO_ERROR_INIT;
	proto_response *resp = NULL;
	proto_request *origin = NULL;
	const struct tr__peer *route = NULL;
	proto_jws *jws = NULL;
	const uint8_t *p;
	char detail[600];
	size_t n;

	if (j->resp != NULL) {
		resp = j->resp;	/* as the step that stored it parsed it */
		j->resp = NULL;
	} else if (proto_jws_parse(h->response, strlen(h->response), &jws,
	    &perr) != 0 || (p = proto_jws_payload(jws, &n)) == NULL ||
	    proto_response_parse((const char *)p, n, &resp, &perr) != 0) {
		ended(w, j, h->id, "unreadable", "the stored answer does not parse");
		goto out;
	}
	if (follow_referral(w, j, h, resp, detail, sizeof(detail)) == 0 &&
	    follow_allowed(w, j, h, resp->candidates[0].referral->importing_state,
	    detail, peers, &origin, &route))
		follow_store(w, j, h, resp, &resp->candidates[0], origin, route);
out:
	proto_request_free(origin);
	proto_response_free(resp);
	proto_jws_free(jws);
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
void
trd_out_hop_job(struct trd_worker *w, void *arg)
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
