/* Writing the trace response: the answer as the policy lets it out. */
#ifndef TRACER_RESPOND_INT_H
#define TRACER_RESPOND_INT_H


#if !defined(REG_PART_TRACER) && !defined(REG_WHITEBOX)
#error "respond_int.h is internal to tracer/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include "tracer_int.h"

/* What the engine decided. */
struct tr__answer {
	proto_timestamp responded_at;
	char status[32];
	char *status_reason;		/* required unless found */
	char *note;			/* another status reason, or NULL */
	char *truncated;		/* another status reason, or NULL */
	struct tr__cand *cands;		/* ranked; the first nlisted answered */
	int nlisted;
};

int tr__respond(reg_ctx *ctx, const tr_policy *policy,
    const reg_pii_keyring *kr, const struct tr__audience *aud,
    const struct tr_options *opt, const proto_request *req,
    const struct tr__answer *ans, proto_response **out, reg_error *err);

#endif
