/*
 * What the daemon holds that its calls share: the peers directory and the
 * policy in force, counted so that a job keeps the one it started with
 * across a reload (SIGHUP), and small tables of what it did lately, by
 * request id.  The event loop's thread only.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "tracerd_int.h"

struct trd_peers_ref *
trd_peers_hold(struct trd_daemon *d)
{
	d->peers_ref->refs++;
	return d->peers_ref;
}

void
trd_peers_release(struct trd_peers_ref *ref)
{
	if (ref != NULL && --ref->refs == 0) {
		tr__peers_free(ref->peers);
		free(ref);
	}
}

/* Makes peers (may be NULL) the directory in force; NULL when out of
 * memory (peers is then not taken). */
struct trd_peers_ref *
trd_peers_ref_new(tr__peers *peers)
{
	struct trd_peers_ref *ref = calloc(1, sizeof(*ref));

	if (ref != NULL) {
		ref->peers = peers;
		ref->refs = 1;		/* the daemon's own */
	}
	return ref;
}

struct trd_policy_ref *
trd_policy_hold(struct trd_daemon *d)
{
	d->policy->refs++;
	return d->policy;
}

void
trd_policy_release(struct trd_policy_ref *ref)
{
	if (ref != NULL && --ref->refs == 0) {
		tr_policy_free(ref->policy);
		free(ref);
	}
}

struct trd_policy_ref *
trd_policy_ref_new(tr_policy *p)
{
	static unsigned long gen;
	struct trd_policy_ref *ref = calloc(1, sizeof(*ref));

	if (ref != NULL) {
		ref->policy = p;
		ref->gen = ++gen;
		ref->refs = 1;		/* the daemon's own */
	}
	return ref;
}

void *
trd_id_table_slot(void **table, unsigned n, size_t size, const char *id)
{
	uint32_t h = 2166136261u;

	if (*table == NULL && (*table = calloc(n, size)) == NULL)
		return NULL;
	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return (char *)*table + (size_t)(h % n) * size;
}
