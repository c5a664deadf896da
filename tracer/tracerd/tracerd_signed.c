/*
 * Signed messages in and out of the daemon's endpoints: a signed body read
 * and checked against the peers directory (a trace request, whether sent
 * by a State or relayed by a hub), and the signed acknowledgement of a
 * request received (trace-ack/1).  Used by the trace endpoints
 * (tracerd_traces.c), the hub's relays (tracerd_hub.c) and the requests
 * this State sends (tracerd_out_post.c).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "tracerd_int.h"

int
trd_media_type_is(const char *v, const char *want)
{
	size_t n = strlen(want);

	if (v == NULL || strncasecmp(v, want, n) != 0)
		return 0;
	v += n;
	while (*v == ' ' || *v == '\t')
		v++;
	return *v == '\0' || *v == ';';
}

/* The status of a request as its readers see it: an open request past its
 * due time is overdue. */
const char *
trd_shown_status(const struct reg_trace *t)
{
	time_t due;

	if (strcmp(t->status, "acknowledged") != 0 && strcmp(t->status, "in_progress") != 0)
		return t->status;
	due = trd_rfc3339_seconds(t->due_by);
	return due > 0 && time(NULL) >= due ? "overdue" : t->status;
}

/* Fills ack from a stored request; log_index is the receipt's leaf. */
int
trd_ack_doc(const struct reg_trace *t, int with_status, char **out, proto_error *perr)
{
	proto_ack *a = proto_ack_new();
	json_t *reasons = NULL;
	int r;

	if (a == NULL)
		return PROTO_ENOMEM;
	snprintf(a->request_id, sizeof(a->request_id), "%s", t->id);
	snprintf(a->requesting_state, sizeof(a->requesting_state), "%s",
	    t->requesting_state);
	snprintf(a->requested_state, sizeof(a->requested_state), "%s",
	    t->requested_state);
	snprintf(a->priority, sizeof(a->priority), "%s", t->priority);
	snprintf(a->received_at, sizeof(a->received_at), "%.30s", t->received_at);
	snprintf(a->due_by, sizeof(a->due_by), "%.30s", t->due_by);
	SHA256((const unsigned char *)t->message, strlen(t->message),
	    a->request_sha256.b);
	a->has_log_index = true;
	a->log_index = (int64_t)t->log_index;
	snprintf(a->status, sizeof(a->status), "%s",
	    with_status ? trd_shown_status(t) : "acknowledged");
	if (with_status && t->responded_at[0] != '\0')
		snprintf(a->responded_at, sizeof(a->responded_at), "%.30s",
		    t->responded_at);
	if (with_status && t->reasons != NULL &&
	    (reasons = json_loads(t->reasons, 0, NULL)) != NULL &&
	    json_is_array(reasons) && json_array_size(reasons) > 0) {
		size_t i, n = json_array_size(reasons);

		if (n > 16)
			n = 16;
		a->status_reasons = calloc(n, sizeof(char *));
		for (i = 0; a->status_reasons != NULL && i < n; i++) {
			const char *s = json_string_value(json_array_get(reasons, i));

			if (s != NULL && (a->status_reasons[a->n_status_reasons] =
			    strdup(s)) != NULL)
				a->n_status_reasons++;
		}
	}
	json_decref(reasons);
	r = proto_ack_to_json(a, out, perr);
	proto_ack_free(a);
	return r;
}

char *
trd_sign_ack(const struct trd_daemon *d, const proto_request *req,
    const char *received_at, const char *due_by, const char *message,
    uint64_t log_index, reg_error *err)
{
	struct reg_trace t;
	proto_error perr = PROTO_ERROR_INIT;
	char *json = NULL, *jws = NULL;

	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "%s", req->id);
	snprintf(t.requesting_state, sizeof(t.requesting_state), "%s",
	    req->requesting_state);
	snprintf(t.requested_state, sizeof(t.requested_state), "%s",
	    req->requested_state);
	snprintf(t.priority, sizeof(t.priority), "%.7s", req->priority);
	snprintf(t.received_at, sizeof(t.received_at), "%s", received_at);
	snprintf(t.due_by, sizeof(t.due_by), "%s", due_by);
	t.message = (char *)(uintptr_t)message;
	t.log_index = log_index;
	if (trd_ack_doc(&t, 0, &json, &perr) != 0 ||
	    proto_jws_sign(d->signing, PROTO_SCHEMA_ACK, json, strlen(json), &jws,
	    &perr) != 0) {
		tr__fail(err, REG_EINVAL, "cannot write the acknowledgement: %s",
		    perr.message);
		proto_free(json);
		return NULL;
	}
	proto_free(json);
	/* The store frees it with free(); proto_free() is free(). */
	return jws;
}

int
trd_read_signed(struct trd_call *c, char **message, size_t *len, proto_jws **jws)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
	proto_error perr = PROTO_ERROR_INIT;
	char *m;
	size_t n = evbuffer_get_length(in);

	*message = NULL;
	*len = 0;
	*jws = NULL;
	if ((m = malloc(n + 1)) == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return -1;
	}
	evbuffer_copyout(in, m, n);
	m[n] = '\0';
	/* A message ends where its signature does: one final newline, as
	 * curl --data-binary @file sends a file, is not part of it. */
	if (n > 0 && m[n - 1] == '\n')
		m[--n] = '\0';
	if (n == 0 || strlen(m) != n || proto_jws_parse(m, n, jws, &perr) != 0) {
		trd_problem(c, "bad-request", n == 0 ? "the body is empty; it must be "
		    "a signed trace request" : perr.message[0] ? perr.message :
		    "the body is not a signed message", NULL);
		free(m);
		return -1;
	}
	*message = m;
	*len = n;
	return 0;
}

int
trd_read_request(struct trd_call *c, const char *sender, const char *via,
    const proto_jws_key *key_of(const struct trd_daemon *, const char *),
    const char *unknown_key, char **message, size_t *len, proto_request **req,
    char kid_out[201])
{
	const struct tr__peer *from;
	char relayed[3];
	const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(c->req),
	    "Content-Type");
	proto_error perr = PROTO_ERROR_INIT;
	const proto_jws_key *key;
	proto_jws *jws = NULL;
	const uint8_t *payload;
	const char *kid, *cty;
	size_t plen;

	*req = NULL;
	*message = NULL;
	if (!trd_media_type_is(ctype, "application/jose")) {
		trd_problem(c, "unsupported-media-type", "a trace request is sent "
		    "signed, as Content-Type: application/jose", NULL);
		return -1;
	}
	if (trd_read_signed(c, message, len, &jws) != 0)
		return -1;
	kid = proto_jws_kid(jws);
	if (via != NULL) {
		/* Relayed by the hub via: sent by the State whose key signed,
		 * which the directory must say is reached through that hub. */
		snprintf(relayed, sizeof(relayed), "%.2s", kid ? kid : "");
		if ((from = tr__peers_get(c->d->peers, relayed)) == NULL ||
		    strcmp(from->via, via) != 0) {
			trd_problem(c, "kid-state-mismatch", "the signing key's kid "
			    "names a State that the peers directory does not reach "
			    "through your hub", "header.kid");
			goto fail;
		}
		sender = relayed;
	}
	if (kid == NULL || strncmp(kid, sender, 2) != 0 || kid[2] != '/') {
		trd_problem(c, "kid-state-mismatch", "the signing key's kid names "
		    "another State than your certificate's", "header.kid");
		goto fail;
	}
	if ((key = key_of(c->d, kid)) == NULL) {
		trd_problem(c, "unknown-key", unknown_key, "header.kid");
		goto fail;
	}
	if (proto_jws_verify(jws, key, &perr) != 0) {
		trd_problem(c, "bad-signature", "the signature does not verify with "
		    "the key that kid names", "signature");
		goto fail;
	}
	cty = proto_jws_cty(jws);
	if (cty == NULL || strcmp(cty, PROTO_SCHEMA_REQUEST) != 0) {
		trd_problem(c, "schema-version", "POST /v1/traces takes a "
		    PROTO_SCHEMA_REQUEST " document (header cty)", "header.cty");
		goto fail;
	}
	payload = proto_jws_payload(jws, &plen);
	if (proto_request_parse((const char *)payload, plen, req, &perr) != 0) {
		trd_problem(c, perr.code == PROTO_ESCHEMA ? "schema-version" :
		    "invalid-document", perr.message, perr.field[0] ? perr.field : NULL);
		goto fail;
	}
	snprintf(c->request_id, sizeof(c->request_id), "%s", (*req)->id);
	if (strcmp((*req)->requesting_state, sender) != 0) {
		trd_problem(c, "kid-state-mismatch", "requesting_state is not the "
		    "State of the sender's certificate and key", "requesting_state");
		goto fail;
	}
	snprintf(kid_out, 201, "%s", kid);
	proto_jws_free(jws);
	return 0;
fail:
	proto_request_free(*req);
	*req = NULL;
	free(*message);
	*message = NULL;
	proto_jws_free(jws);
	return -1;
}

const proto_jws_key *
trd_peer_key(const struct trd_daemon *d, const char *kid)
{
	return tr__peers_key(d->peers, kid);
}
