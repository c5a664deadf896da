/* The string map of common/strmap.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

#define CM_STRMAP_FIRST 64	/* slots of the first table */

uint64_t
cm_strhash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* the offset basis */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;		/* the FNV prime */
	}
	return h;
}

void *
cm_strmap_get(const struct cm_strmap *m, const char *key)
{
	uint64_t h;
	size_t i;

	if (m->n == 0)
		return NULL;
	h = cm_strhash(key);
	for (i = h & (m->cap - 1); m->t[i].key != NULL; i = (i + 1) & (m->cap - 1))
		if (m->t[i].hash == h && strcmp(m->t[i].key, key) == 0)
			return m->t[i].val;
	return NULL;
}

/* Doubles the table (or makes the first); 0 or -1. */
static int
grow(struct cm_strmap *m)
{
	struct cm_strmap_ent *nt;
	size_t i, j, ncap;

	ncap = m->cap ? m->cap * 2 : CM_STRMAP_FIRST;
	nt = calloc(ncap, sizeof(*nt));
	if (nt == NULL)
		return -1;
	for (i = 0; i < m->cap; i++) {
		if (m->t[i].key == NULL)
			continue;
		for (j = m->t[i].hash & (ncap - 1); nt[j].key != NULL;
		    j = (j + 1) & (ncap - 1))
			;
		nt[j] = m->t[i];
	}
	free(m->t);
	m->t = nt;
	m->cap = ncap;
	return 0;
}

int
cm_strmap_put(struct cm_strmap *m, const char *key, void *val)
{
	uint64_t h = cm_strhash(key);
	size_t i;

	if ((m->n + 1) * 2 > m->cap && grow(m) != 0)
		return -1;
	for (i = h & (m->cap - 1); m->t[i].key != NULL; i = (i + 1) & (m->cap - 1)) {
		if (m->t[i].hash == h && strcmp(m->t[i].key, key) == 0) {
			m->t[i].val = val;
			return 0;
		}
	}
	m->t[i].key = key;
	m->t[i].hash = h;
	m->t[i].val = val;
	m->n++;
	return 0;
}

void
cm_strmap_clear(struct cm_strmap *m)
{
	if (m->n > 0)
		memset(m->t, 0, m->cap * sizeof(*m->t));
	m->n = 0;
}

void
cm_strmap_free(struct cm_strmap *m)
{
	free(m->t);
	memset(m, 0, sizeof(*m));
}
