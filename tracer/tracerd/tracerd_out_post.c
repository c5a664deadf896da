/*
 * POST /v1/traces from this State's investigator or liaison office
 * (tracerd_out.c tells the whole story): the user's signed request to
 * another State, stored as hop 0 with the signed acknowledgement, then
 * sent on under this State's signature.
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
		p->seed = trd_out_hop_seed(&in, in.id);
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
			trd_out_hop_start(p->d, p->req->id, 0, p->seed,
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
	if (trd_read_request(c, d->cf.state, NULL, trd_out_domestic_key, "no domestic "
	    "user's key of this kid is configured ([domestic] signing_key)",
	    &p->origin, &p->origin_len, &p->req, p->kid) != 0)
		goto fail;
	/* A user's key is theirs only: signed with it over another user's
	 * connection, a request is refused before anything is stored. */
	if ((cert = trd_out_domestic_key_cert(d, p->kid)) == NULL ||
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
	trd_out_hop_due(&d->cf, p->req->requested_state, p->req->priority, p->due_by);
	if (trd_call_submit(c, store_job, store_done, p) != 0)
		goto fail;
	return;
fail:
	proto_jws_free(jws);
	post_free(p);
}
