/*
 * The reference encoder of canonical record leaves (jansson, as the leaf
 * is defined: compact JSON, sorted keys, ASCII escapes), against which
 * registry/leaf.c, the product's one encoder, is checked.
 */
#ifndef TESTS_LEAF_REF_H
#define TESTS_LEAF_REF_H

#include <stddef.h>

#include "registry/registry.h"

struct reg__recdef;

/* The leaf of a def record with the columns' canonical text values (NULL:
 * null) into *leaf (free()), as jansson dumps it; the error codes and
 * messages reg__leaf_encode() must give. */
int leaf_ref_encode(const struct reg__recdef *def, const char *const *values,
    char **leaf, size_t *len, reg_error *err);

/*
 * Reads every leaf of ctx's log, and for each record leaf takes its values
 * apart (jansson) and encodes them again with leaf_ref_encode() and with
 * registry/leaf.c: both must give the stored bytes.  Returns the number of
 * record leaves checked, or -1 with msg saying which leaf differs.
 */
long leaf_ref_check_log(reg_ctx *ctx, char *msg, size_t msglen);

#endif
