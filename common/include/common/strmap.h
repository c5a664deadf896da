/*
 * A map from strings to pointers: open addressing with linear probing on
 * FNV-1a hashes, growing at half full.  Keys are not copied: each must
 * live, unchanged, as long as the map holds it.  Values are not NULL.
 */
#ifndef COMMON_STRMAP_H
#define COMMON_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct cm_strmap_ent {
	const char *key;		/* NULL: a free slot */
	uint64_t hash;
	void *val;
};

/* The map's entries are the slots t[0..cap) whose key is not NULL (a
 * caller may walk them, to free the values it owns). */
struct cm_strmap {
	struct cm_strmap_ent *t;
	size_t cap, n;			/* cap is 0 or a power of two */
};

#define CM_STRMAP_INIT { NULL, 0, 0 }

/* The 64-bit FNV-1a hash of a string. */
uint64_t cm_strhash(const char *s);

/* The value of key, or NULL when the map has none. */
void *cm_strmap_get(const struct cm_strmap *m, const char *key);

/* Sets key to val (not NULL), replacing a value it had; 0, or -1 when out
 * of memory (the map is then as it was). */
int cm_strmap_put(struct cm_strmap *m, const char *key, void *val);

/* Empties the map, keeping its memory. */
void cm_strmap_clear(struct cm_strmap *m);

/* Frees the map's memory and empties it; keys and values stay the
 * caller's. */
void cm_strmap_free(struct cm_strmap *m);

#endif
