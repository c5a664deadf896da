/*
 * The one verifier of a signed answer from another State (verify_int.h):
 * the JWS signature with the signing State's key from the peers
 * directory, an acknowledgement against the request sent, and a trace
 * response's checkpoint (C2SP signed note, the State's log verifier key)
 * and inclusion proofs (RFC 9162) against that checkpoint.  tracectl and
 * tracerd both call it; nothing else checks a signed answer.
 */
#include "config.h"

#include <string.h>

#include <openssl/sha.h>

#include "verify_int.h"

int
tr__signed_open(const tr__peers *peers, const proto_jws_key *extra,
    const char *state, const char *text, size_t len, proto_jws **out,
    reg_error *err)
{
	proto_error perr = PROTO_ERROR_INIT;
	const proto_jws_key *key = NULL;
	proto_jws *jws = NULL;
	const char *kid, *xkid;
	int r;

	*out = NULL;
	if (proto_jws_parse(text, len, &jws, &perr) != 0)
		return tr__fail(err, perr.code == PROTO_ENOMEM ? REG_ENOMEM :
		    REG_EINVAL, "not a signed message: %s", perr.message);
	kid = proto_jws_kid(jws);
	if (kid == NULL || (state != NULL && (strncmp(kid, state, 2) != 0 ||
	    kid[2] != '/'))) {
		r = tr__fail(err, REG_EVERIFY, "signed by %s, not by a key of %s",
		    kid ? kid : "an unnamed key", state ? state : "a State");
		goto out;
	}
	xkid = extra ? proto_jws_key_kid(extra) : NULL;
	if (xkid != NULL && strcmp(xkid, kid) == 0)
		key = extra;
	else if (peers != NULL)
		key = tr__peers_key(peers, kid);
	if (key == NULL) {
		r = tr__fail(err, REG_EVERIFY, "signed by %s, a key the peers "
		    "directory does not have", kid);
		goto out;
	}
	if (proto_jws_verify(jws, key, &perr) != 0) {
		r = tr__fail(err, REG_EVERIFY, "signed by %s: %s", kid, perr.message);
		goto out;
	}
	*out = jws;
	jws = NULL;	/* transferred */
	r = 0;
out:
	proto_jws_free(jws);
	return r;
}

/* Every event's inclusion proof against the checkpoint cp; v->proofs
 * counts those that hold. */
static int
proofs_check(const proto_response *resp, const struct reg_checkpoint *cp,
    struct tr__verified *v, reg_error *err)
{
	reg_error e = REG_ERROR_INIT;
	size_t i, j;

	for (i = 0; i < resp->n_candidates; i++)
		for (j = 0; j < resp->candidates[i].n_history; j++) {
			const struct proto_event *ev = &resp->candidates[i].history[j];
			const struct proto_inclusion_proof *p = ev->inclusion_proof;

			if (p == NULL)
				continue;
			reg_error_clear(&e);
			if ((uint64_t)p->size != cp->size || p->index != ev->log_index ||
			    reg_merkle_verify_inclusion((uint64_t)p->index,
			    (uint64_t)p->size, (const struct reg_hash *)&p->leaf_hash,
			    (const struct reg_hash *)p->hashes, p->n_hashes, &cp->root,
			    &e) != 0)
				return tr__fail(err, REG_EVERIFY, "candidates[%zu]."
				    "history[%zu]: the inclusion proof of log index %lld "
				    "does not hold against the checkpoint (size %llu)%s%s",
				    i, j, (long long)ev->log_index,
				    (unsigned long long)cp->size, e.message[0] ? ": " : "",
				    e.message);
			v->proofs++;
		}
	return 0;
}

/* The response's checkpoint, with the log verifier key of its State, and
 * the proofs against it. */
static int
checkpoint_check(const tr__peers *peers, const proto_response *resp,
    struct tr__verified *v, reg_error *err)
{
	reg_error e = REG_ERROR_INIT;
	const struct tr__peer *peer;
	struct reg_checkpoint cp;
	char *body = NULL;
	int r;

	peer = peers != NULL ? tr__peers_get(peers, resp->responding_state) : NULL;
	if (peer == NULL)
		return tr__fail(err, REG_EVERIFY, "checkpoint: no log_verifier of %s "
		    "to check it with; give the peers directory with [peer.%s]",
		    resp->responding_state, resp->responding_state);
	if ((r = reg_note_verify(peer->log_key, resp->checkpoint,
	    strlen(resp->checkpoint), &body, &e)) != 0 ||
	    (r = reg_checkpoint_parse(body, strlen(body), &cp, &e)) != 0) {
		r = tr__fail(err, r == REG_ENOMEM ? REG_ENOMEM : REG_EVERIFY,
		    "checkpoint: %s", e.message);
		goto out;
	}
	v->checkpoint_size = cp.size;
	v->has_checkpoint = 1;
	r = proofs_check(resp, &cp, v, err);
out:
	reg_free(body);
	return r;
}

static int
response_check(const tr__peers *peers, const proto_jws *jws, int known_only,
    proto_response **out, struct tr__verified *v, reg_error *err)
{
	proto_error perr = PROTO_ERROR_INIT;
	struct tr__verified mine;
	proto_response *resp = NULL;
	const uint8_t *payload;
	const char *kid = proto_jws_kid(jws);
	size_t plen;
	int r;

	*out = NULL;
	if (v == NULL)
		v = &mine;
	memset(v, 0, sizeof(*v));
	snprintf(v->kid, sizeof(v->kid), "%s", kid ? kid : "");
	payload = proto_jws_payload(jws, &plen);
	if (proto_response_parse((const char *)payload, plen, &resp, &perr) != 0)
		return tr__fail(err, perr.code == PROTO_ENOMEM ? REG_ENOMEM :
		    REG_EINVAL, "the signed document is not a trace response: %s",
		    perr.message);
	if (kid == NULL || strncmp(kid, resp->responding_state, 2) != 0 ||
	    kid[2] != '/') {
		r = tr__fail(err, REG_EVERIFY, "signed by %s for a response of %s",
		    kid ? kid : "an unnamed key", resp->responding_state);
		goto out;
	}
	if (resp->checkpoint != NULL && (!known_only || (peers != NULL &&
	    tr__peers_get(peers, resp->responding_state) != NULL)) &&
	    (r = checkpoint_check(peers, resp, v, err)) != 0)
		goto out;
	*out = resp;
	resp = NULL;	/* transferred */
	r = 0;
out:
	proto_response_free(resp);
	return r;
}

int
tr__response_check(const tr__peers *peers, const proto_jws *jws,
    proto_response **out, struct tr__verified *v, reg_error *err)
{
	return response_check(peers, jws, 0, out, v, err);
}

int
tr__response_check_known(const tr__peers *peers, const proto_jws *jws,
    proto_response **out, struct tr__verified *v, reg_error *err)
{
	return response_check(peers, jws, 1, out, v, err);
}

int
tr__response_verify(const tr__peers *peers, const proto_jws_key *extra,
    const char *state, const char *text, size_t len, proto_response **out,
    struct tr__verified *v, reg_error *err)
{
	proto_jws *jws = NULL;
	int r;

	*out = NULL;
	if (v != NULL)
		memset(v, 0, sizeof(*v));
	if ((r = tr__signed_open(peers, extra, state, text, len, &jws, err)) != 0)
		return r;
	r = tr__response_check(peers, jws, out, v, err);
	proto_jws_free(jws);
	return r;
}

int
tr__ack_check(const proto_ack *ack, const proto_request *req, const char *sent,
    reg_error *err)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	const char *what = NULL;

	SHA256((const unsigned char *)sent, strlen(sent), digest);
	if (strcmp(ack->request_id, req->id) != 0)
		what = "request_id";
	else if (strcmp(ack->requesting_state, req->requesting_state) != 0)
		what = "requesting_state";
	else if (strcmp(ack->requested_state, req->requested_state) != 0)
		what = "requested_state";
	else if (strcmp(ack->priority, req->priority) != 0)
		what = "priority";
	else if (memcmp(ack->request_sha256.b, digest, sizeof(digest)) != 0)
		what = "request_sha256";
	if (what != NULL)
		return tr__fail(err, REG_EVERIFY, "the acknowledgement's %s is not "
		    "that of the request sent", what);
	return 0;
}
