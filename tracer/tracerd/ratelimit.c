/*
 * Token buckets per key (ratelimit.h) in an open-addressing hash table
 * with linear probing, at most half full, and backward-shift deletion (no
 * tombstones), so that a look-up stays short however many keys have come
 * and gone.  Making room scans the table once; that happens only when a
 * new key comes while every place is taken.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"
#include "ratelimit.h"

/* Tokens short of one by less than this still count as one, so that
 * rounding in (now - last) * rate does not refuse a request for a
 * vanishing retry_after. */
#define EPSILON 1e-9

struct bucket {
	char key[TR__RATELIMIT_KEY_MAX + 1];	/* "" for an empty place */
	uint64_t hash;
	double tokens;
	double last;			/* when tokens was last brought up to date */
	double rate, burst;
	int fresh;			/* never taken from: full, last unknown */
	int pinned;			/* has an override: never dropped */
};

struct tr__ratelimit {
	double rate, burst;		/* for keys without an override */
	size_t max_keys, n;
	size_t mask;			/* places - 1, places a power of two */
	double latest;			/* the latest time given to take */
	struct bucket *b;
};

static int
rate_ok(double rate, double burst)
{
	return isfinite(rate) && rate > 0 && isfinite(burst) && burst >= 1;
}

static int
key_ok(const char *key)
{
	return key != NULL && key[0] != '\0' &&
	    strnlen(key, TR__RATELIMIT_KEY_MAX + 1) <= TR__RATELIMIT_KEY_MAX;
}

int
tr__ratelimit_new(double rate_per_second, double burst, size_t max_keys,
    tr__ratelimit **out, reg_error *err)
{
	tr__ratelimit *rl = NULL;
	size_t places = 2;
	int r = REG_ENOMEM;

	*out = NULL;
	if (!rate_ok(rate_per_second, burst))
		return tr__fail(err, REG_EINVAL, "a rate limit needs a rate above "
		    "0 per second and a burst of at least 1");
	if (max_keys < 1 || max_keys > TR__RATELIMIT_KEYS_MAX)
		return tr__fail(err, REG_EINVAL, "a rate limiter holds 1 to %d "
		    "keys, not %zu", TR__RATELIMIT_KEYS_MAX, max_keys);
	while (places < 2 * max_keys)
		places *= 2;
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		goto out;
	rl->b = calloc(places, sizeof(*rl->b));
	if (rl->b == NULL)
		goto out;
	rl->rate = rate_per_second;
	rl->burst = burst;
	rl->max_keys = max_keys;
	rl->mask = places - 1;
	rl->latest = -INFINITY;
	*out = rl;
	rl = NULL;	/* transferred */
	r = 0;
out:
	tr__ratelimit_free(rl);
	if (r != 0)
		return tr__fail(err, r, "out of memory for a rate limiter of %zu "
		    "keys", max_keys);
	return 0;
}

void
tr__ratelimit_free(tr__ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->b);
	free(rl);
}

/* The place of key, or of the empty place where it would go (found 0). */
static size_t
place_of(const tr__ratelimit *rl, const char *key, uint64_t h, int *found)
{
	size_t i = (size_t)h & rl->mask;

	*found = 0;
	while (rl->b[i].key[0] != '\0') {
		if (rl->b[i].hash == h && strcmp(rl->b[i].key, key) == 0) {
			*found = 1;
			return i;
		}
		i = (i + 1) & rl->mask;
	}
	return i;
}

/* Brings b's tokens up to time now. */
static void
refill(struct bucket *b, double now)
{
	if (b->fresh) {
		b->tokens = b->burst;
		b->last = now;
		b->fresh = 0;
	} else if (now > b->last) {
		b->tokens += (now - b->last) * b->rate;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last = now;
	}
}

static int
full_at(const struct bucket *b, double now)
{
	double t;

	if (b->fresh)
		return 1;
	t = b->tokens;
	if (now > b->last)
		t += (now - b->last) * b->rate;
	return t >= b->burst - EPSILON;
}

/* Empties place i, moving later entries of its run back so that every
 * entry stays reachable from its home place. */
static void
remove_at(tr__ratelimit *rl, size_t i)
{
	size_t j = i, k, home;

	for (;;) {
		rl->b[j].key[0] = '\0';
		k = j;
		for (;;) {
			k = (k + 1) & rl->mask;
			if (rl->b[k].key[0] == '\0')
				goto done;
			home = (size_t)rl->b[k].hash & rl->mask;
			/* The entry at k stays when its home lies in (j, k]. */
			if (j <= k ? (j < home && home <= k) : (j < home || home <= k))
				continue;
			break;
		}
		rl->b[j] = rl->b[k];
		j = k;
	}
done:
	rl->n--;
}

/* Drops the bucket idle longest among those without an override that are
 * full at now; -1 when there is none. */
static int
make_room(tr__ratelimit *rl, double now)
{
	size_t i, best = 0;
	int found = 0;

	for (i = 0; i <= rl->mask; i++) {
		const struct bucket *b = &rl->b[i];

		if (b->key[0] == '\0' || b->pinned || !full_at(b, now))
			continue;
		if (!found || b->fresh ||
		    (!rl->b[best].fresh && b->last < rl->b[best].last)) {
			best = i;
			found = 1;
		}
	}
	if (!found)
		return -1;
	remove_at(rl, best);
	return 0;
}

/* The bucket of key, made fresh with the limiter's rate when new; NULL
 * when every place is taken and none can be freed at time now. */
static struct bucket *
bucket_get(tr__ratelimit *rl, const char *key, double now)
{
	uint64_t h = cm_strhash(key);
	struct bucket *b;
	size_t i;
	int found;

	i = place_of(rl, key, h, &found);
	if (found)
		return &rl->b[i];
	if (rl->n == rl->max_keys) {
		if (make_room(rl, now) != 0)
			return NULL;
		/* Entries may have moved into the place found before. */
		i = place_of(rl, key, h, &found);
	}
	b = &rl->b[i];
	memset(b, 0, sizeof(*b));
	strcpy(b->key, key);
	b->hash = h;
	b->rate = rl->rate;
	b->burst = rl->burst;
	b->fresh = 1;
	rl->n++;
	return b;
}

int
tr__ratelimit_take(tr__ratelimit *rl, const char *key, double now,
    double *retry_after)
{
	struct bucket *b;

	if (retry_after != NULL)
		*retry_after = 0;
	if (!key_ok(key) || !isfinite(now))
		return REG_EINVAL;
	if (now > rl->latest)
		rl->latest = now;
	b = bucket_get(rl, key, now);
	if (b == NULL) {
		if (retry_after != NULL)
			*retry_after = 1;
		return 0;
	}
	refill(b, now);
	if (b->tokens >= 1 - EPSILON) {
		b->tokens = b->tokens > 1 ? b->tokens - 1 : 0;
		return 1;
	}
	if (retry_after != NULL)
		*retry_after = (1 - b->tokens) / b->rate;
	return 0;
}

int
tr__ratelimit_set(tr__ratelimit *rl, const char *key, double rate,
    double burst)
{
	struct bucket *b;

	if (!key_ok(key) || !rate_ok(rate, burst))
		return REG_EINVAL;
	b = bucket_get(rl, key, rl->latest);
	if (b == NULL)
		return REG_ETOOBIG;
	b->rate = rate;
	b->burst = burst;
	if (b->tokens > burst)
		b->tokens = burst;
	b->pinned = 1;
	return 0;
}
