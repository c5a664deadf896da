/*
 * libtracer: the trace engine of a national small-arms registry.
 *
 * Given a trace request (proto/README.md, "trace-request/1"), the engine
 * finds the registered weapons that may be the one described (exact serial,
 * look-alike characters, unreadable positions, one wrong or swapped
 * character; manufacturer through its aliases; importer's serial), ranks
 * them with a score and the reasons for it, walks each one's history to the
 * last legal holder, the point of diversion or the export that hands the
 * trace on to the next State, applies the State's disclosure policy for the
 * requester, and returns a trace response ("trace-response/1").
 *
 * Errors follow libregistry's model: every fallible function returns 0 or
 * a negative REG_E* code and fills the caller's reg_error (first failure
 * kept).  The library never prints, logs, exits or reads the environment.
 */
#ifndef TRACER_TRACER_H
#define TRACER_TRACER_H


#if defined(REG_PART_REGISTRY) || defined(REG_PART_PROTO) || defined(REG_PART_COMMON)
#error "tracer/tracer.h: registry, proto and common never include the tracer (issue 18, tests/layout.sh)"
#endif
#include <registry/registry.h>
#include <proto/proto.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TR_API __attribute__((visibility("default")))
#define TR_WUR __attribute__((warn_unused_result))
#else
#define TR_API
#define TR_WUR
#endif

/*
 * A State's disclosure policy: what a domestic investigator and what each
 * foreign State may see of a trace's answer.  Loaded from an INI file (see
 * tracectl(1), "POLICY FILE"); fields left out take the defaults: domestic
 * requesters see everything, foreign States see private holders as
 * "licensed private holder" with region and dates only, and everything the
 * ITI asks for about manufacture, export and import.
 */
typedef struct tr_policy tr_policy;

/*
 * Loads a policy file.  A missing file is REG_ENOTFOUND; an unknown
 * section or key, a bad value, a section given twice or a missing
 * [registry] state is REG_EINVAL naming the line.  Free with
 * tr_policy_free().
 */
TR_API TR_WUR int tr_policy_load(const char *path, tr_policy **out,
    reg_error *err);
/* The default policy for State state (ISO 3166-1 alpha-2). */
TR_API TR_WUR int tr_policy_default(const char *state, tr_policy **out,
    reg_error *err);
/* The State whose registry this is. */
TR_API const char *tr_policy_state(const tr_policy *p);
TR_API void tr_policy_free(tr_policy *p);

/*
 * An engine over one registry connection.  It prepares its queries on the
 * connection once and sets the session's DateStyle to ISO; it caches the
 * manufacturers' names and aliases (reread when a name is not found, at
 * most once a second) and the parties it has read (party records never
 * change; at most 131,072, then emptied).  The engine borrows ctx, policy
 * and kr (kr may be NULL: private persons are then never named); they must
 * outlive it.  Not for use from two threads at once; one engine per
 * connection per thread.
 */
typedef struct tr_engine tr_engine;

struct tr_options {
	int max_candidates;	/* listed in an ambiguous answer: 2..50, 0 = 20 */
	int proofs;		/* attach the latest checkpoint and an inclusion
				 * proof for every disclosed event */
};

TR_API TR_WUR int tr_engine_new(reg_ctx *ctx, const tr_policy *policy,
    const reg_pii_keyring *kr, const struct tr_options *opt, tr_engine **out,
    reg_error *err);
TR_API void tr_engine_free(tr_engine *e);

/*
 * Runs the trace of req and fills *out with the response (free with
 * proto_response_free()).  Any well-formed request gets a response whatever
 * its status: found, ambiguous, not_found, need_more_info (the description
 * does not allow a search), declined (addressed to another State, or the
 * policy declines the requesting State).  Errors are for the engine's own
 * failures (database, memory).  responded_at is the time of the call.
 */
TR_API TR_WUR int tr_trace(tr_engine *e, const proto_request *req,
    proto_response **out, reg_error *err);

/*
 * Serial numbers.  tr_serial_key() writes the search key of a serial as
 * read: upper case, letters and digits only (and with wildcards '?' for
 * one unreadable character and '*' for an unreadable run, runs collapsed),
 * every look-alike folded (O Q D -> 0, I L 7 -> 1, S -> 5, B -> 8, Z -> 2,
 * G -> 6).  Returns its length, or -1 if it does not fit outlen.
 */
TR_API int tr_serial_key(const char *serial, int wildcards, char *out,
    size_t outlen);

/*
 * The optimal-string-alignment distance (substitutions, insertions,
 * deletions, adjacent transpositions) between a and b, or limit + 1 when
 * it is over limit.
 */
TR_API int tr_edit_distance(const char *a, const char *b, int limit);

#ifdef __cplusplus
}
#endif

#endif
