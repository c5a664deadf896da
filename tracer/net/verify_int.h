/*
 * The one verifier of a signed answer from another State's daemon
 * (tracer/net/verify.c); never installed.  tracectl (verify, status, wait,
 * submit, chain) and tracerd (the hops it sends on, the answers a hub
 * relays) call it wherever they accept a signed message from another
 * State: the JWS signature with a key of the signing State from the peers
 * directory, the acknowledgement against the request sent, and for a trace
 * response also its checkpoint (a C2SP signed note, with the State's log
 * verifier key) and every event's inclusion proof against that checkpoint.
 *
 * Every function returns 0, REG_EINVAL for a malformed message or
 * document, REG_EVERIFY for one that is well formed but does not verify
 * (an unknown key, a bad signature, a checkpoint or a proof that does not
 * hold), or REG_ENOMEM; err keeps the first failure's detail.
 */
#ifndef TRACER_VERIFY_INT_H
#define TRACER_VERIFY_INT_H


#if !defined(REG_PART_TRACER) && !defined(REG_WHITEBOX)
#error "verify_int.h is internal to tracer/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>
#include <stdint.h>

#include "tracer_int.h"

/* What tr__response_verify() and tr__response_check() checked. */
struct tr__verified {
	char kid[201];			/* the signing key's kid */
	int has_checkpoint;		/* the response carried one, verified */
	uint64_t checkpoint_size;	/* its tree size, 0 without one */
	size_t proofs;			/* the inclusion proofs that hold */
};

/*
 * Parses a JWS signed by State state (text, len bytes) and verifies its
 * signature: the kid must name a key of that State ("BE/..."), found as
 * extra (when its kid is the JWS's) or else in peers (either may be NULL).
 * state NULL takes the State the kid names, whichever it is.  On success
 * *out is the parsed message (proto_jws_free()).  A malformed message is
 * REG_EINVAL; a kid of another State, a key neither has, or a signature
 * that does not verify is REG_EVERIFY.
 */
TR_WUR int tr__signed_open(const tr__peers *peers, const proto_jws_key *extra,
    const char *state, const char *text, size_t len, proto_jws **out,
    reg_error *err);

/*
 * Checks a trace response in jws, whose signature tr__signed_open() has
 * verified: its payload must pass the codec (REG_EINVAL otherwise); it
 * must be the response of the State whose key signed it; and when it
 * carries a checkpoint, that checkpoint must be signed by the State's log
 * verifier key from peers, and every event's inclusion proof must hold
 * against the checkpoint's root at the event's log index and the
 * checkpoint's size (REG_EVERIFY naming what does not).  A proof without
 * a checkpoint is not checked (the checkpoint is optional in
 * trace-response/1).  On success *out is the response
 * (proto_response_free()) and v, when not NULL, says what was checked.
 */
TR_WUR int tr__response_check(const tr__peers *peers, const proto_jws *jws,
    proto_response **out, struct tr__verified *v, reg_error *err);

/*
 * tr__response_check(), except that a checkpoint of a State that peers has
 * no entry for (no log verifier key) is left unchecked, with
 * v->has_checkpoint 0: for tracectl status and wait given a signing key
 * alone (--url --verify-key), which check the signature and nothing more,
 * as tracectl(1) says.  A State with an entry is checked in full.
 */
TR_WUR int tr__response_check_known(const tr__peers *peers,
    const proto_jws *jws, proto_response **out, struct tr__verified *v,
    reg_error *err);

/*
 * tr__signed_open() and tr__response_check() in one: verifies the signed
 * trace response text (len bytes) of State state (NULL: of the State its
 * kid names).  *out and v as tr__response_check().
 */
TR_WUR int tr__response_verify(const tr__peers *peers,
    const proto_jws_key *extra, const char *state, const char *text,
    size_t len, proto_response **out, struct tr__verified *v, reg_error *err);

/*
 * Checks that an acknowledgement (or status document) answers the request
 * req, sent as the signed message sent (its JWS compact serialisation):
 * request_id, requesting_state, requested_state, priority and
 * request_sha256 (proto/README.md, section 10).  REG_EVERIFY naming the
 * first member that differs.
 */
TR_WUR int tr__ack_check(const proto_ack *ack, const proto_request *req,
    const char *sent, reg_error *err);

#endif
