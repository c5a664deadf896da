/*
 * Token buckets per key (a State's code, a caller's name), for tracerd's
 * rate limits; internal to tracerd, never installed.
 *
 * Each key has a bucket of burst tokens that refills at rate tokens per
 * second; a request takes one token or is refused.  Time is passed in
 * (seconds on a monotonic clock), so the limiter reads no clock of its own.
 * Memory is bounded: at most max_keys buckets.  When a new key comes and
 * every place is taken, the bucket idle longest among those that are full
 * again is dropped (a full bucket is the same as a fresh one, so nothing is
 * forgotten); when none is full, the new key is refused for one second
 * (retry_after 1).  Buckets with an override (tr__ratelimit_set()) are
 * never dropped.
 *
 * Not thread-safe: one thread (tracerd's event loop) uses a limiter.
 */
#ifndef TRACER_RATELIMIT_H
#define TRACER_RATELIMIT_H


#if !defined(REG_PART_TRACER) && !defined(REG_WHITEBOX)
#error "ratelimit.h is internal to tracer/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>

#include "tracer_int.h"

#define TR__RATELIMIT_KEY_MAX 64	/* bytes of a key, without its NUL */
#define TR__RATELIMIT_KEYS_MAX 65536	/* the largest max_keys */

typedef struct tr__ratelimit tr__ratelimit;

/*
 * Makes a limiter in *out whose buckets refill at rate_per_second (finite,
 * above 0) up to burst tokens (finite, at least 1), for at most max_keys
 * keys (1 to TR__RATELIMIT_KEYS_MAX).  Free it with tr__ratelimit_free().
 * Returns 0, REG_EINVAL for a value out of range or REG_ENOMEM; *out is
 * then NULL.
 */
TR_WUR int tr__ratelimit_new(double rate_per_second, double burst,
    size_t max_keys, tr__ratelimit **out, reg_error *err);
/* Frees rl; accepts NULL. */
void tr__ratelimit_free(tr__ratelimit *rl);

/*
 * Takes a token from key's bucket at time now (seconds; a time before the
 * bucket's last one counts as no time passed).  A new key's bucket starts
 * full.  Returns 1 when the request may go on; 0 when it is refused, with
 * *retry_after the seconds until a token is there (1 for a new key refused
 * because every place is taken); REG_EINVAL for a NULL, empty or over-long
 * key or a non-finite now.  retry_after may be NULL; it is 0 unless
 * refused.
 */
TR_WUR int tr__ratelimit_take(tr__ratelimit *rl, const char *key, double now,
    double *retry_after);

/*
 * Gives key its own rate and burst (as for tr__ratelimit_new()), in place
 * of the limiter's, from now on; the bucket keeps its tokens, cut to the
 * new burst, or starts full.  Such a bucket is never dropped to make room.
 * Returns 0; REG_EINVAL for a bad key, rate or burst; REG_ETOOBIG when
 * every place is taken by buckets that have overrides or are not full (at
 * the latest time tr__ratelimit_take() was given).
 */
TR_WUR int tr__ratelimit_set(tr__ratelimit *rl, const char *key, double rate,
    double burst);

#endif
