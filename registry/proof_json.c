/*
 * Proofs as JSON, the one shape that `regctl log prove-*` prints and that
 * tracerd serves (proto/README.md, "Log endpoints"):
 *
 *   {"index": I, "size": N, "leaf_hash": "B64", "hashes": ["B64", ...]}
 *   {"old_size": M, "new_size": N, "hashes": ["B64", ...]}
 *
 * Hashes in base64 (RFC 4648 section 4, padded), in the audit path's order.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry_int.h"

int
reg_proof_json(const struct reg_proof *p, int consistency, char **out,
    reg_error *err)
{
	/* 48 characters of JSON per hash at most, and the head. */
	size_t cap = 160 + (p->n + 1) * 52, len;
	char *s, *b = NULL;
	size_t i;
	int r;

	*out = NULL;
	if ((s = malloc(cap)) == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	if (consistency) {
		len = (size_t)snprintf(s, cap, "{\"old_size\": %" PRIu64
		    ", \"new_size\": %" PRIu64 ", \"hashes\": [", p->old_size, p->size);
	} else {
		if ((r = reg_base64_encode(p->leaf_hash.b, 32, &b, err)) != 0) {
			free(s);
			return r;
		}
		len = (size_t)snprintf(s, cap, "{\"index\": %" PRIu64 ", \"size\": %"
		    PRIu64 ", \"leaf_hash\": \"%s\", \"hashes\": [", p->index, p->size, b);
		reg_free(b);
	}
	for (i = 0; i < p->n; i++) {
		if ((r = reg_base64_encode(p->hashes[i].b, 32, &b, err)) != 0) {
			free(s);
			return r;
		}
		len += (size_t)snprintf(s + len, cap - len, "%s\"%s\"", i ? ", " : "", b);
		reg_free(b);
	}
	snprintf(s + len, cap - len, "]}");
	*out = s;
	return 0;
}
