/*
 * The canonical record leaf (see record_int.h for what it holds): its one
 * encoder.  The leaf is the JSON that jansson dumps with JSON_COMPACT |
 * JSON_SORT_KEYS | JSON_ENSURE_ASCII, written directly: tests/registry/
 * leaf_ref.c keeps that jansson encoder as the reference, and
 * tests/registry/check_leaf.c checks this one against it on every leaf of
 * the test corpus and on hostile strings.
 */
#ifndef REGISTRY_LEAF_INT_H
#define REGISTRY_LEAF_INT_H


#if !defined(REG_PART_REGISTRY) && !defined(REG_WHITEBOX)
#error "leaf_int.h is internal to registry/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>

#include "common/buf.h"
#include "record_int.h"

/* A record type's keys in the leaf's order (byte order of their names). */
struct reg__leafkeys {
	int n;				/* keys: "_r", "_v" and the columns */
	int col[REC_MAX_COLS + 2];	/* -2 "_r", -1 "_v", else the column's
					 * index in def->cols */
};

/* Fills keys with def's keys in the leaf's order. */
void reg__leaf_keys(const struct reg__recdef *def, struct reg__leafkeys *keys);

/*
 * Encodes the leaf of a def record with the columns' canonical text values
 * (NULL: null) into b, which is emptied first; keys as reg__leaf_keys()
 * gives them for def, or NULL to work them out here.  Returns 0, or
 * REG_EINVAL (a value is not valid UTF-8: the first such column is named),
 * REG_ETOOBIG (over REG_LOG_LEAF_MAX bytes) or REG_ENOMEM, with err filled.
 */
int reg__leaf_encode(struct cm_buf *b, const struct reg__recdef *def,
    const struct reg__leafkeys *keys, const char *const *values,
    reg_error *err);

/* As reg__leaf_encode(), into *leaf (*len bytes and a NUL), which the
 * caller frees with free(). */
int reg__leaf_make(const struct reg__recdef *def, const char *const *values,
    char **leaf, size_t *len, reg_error *err);

#endif
