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

#include <jansson.h>

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

#define PROOF_TEXT_MAX 16384
#define PROOF_HASHES_MAX 64

/* A JSON whole number 0 .. 2^63 - 1. */
static int
json_size(json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int
reg_consistency_proof_parse(const char *text, size_t len, struct reg_proof **out,
    reg_error *err)
{
	struct reg_proof *p = NULL;
	json_t *doc = NULL, *hashes, *v;
	json_error_t jerr;
	const char *key;
	uint64_t old_size, new_size;
	uint8_t *raw = NULL;
	size_t n, i, rawlen;
	int r = REG_EINVAL;

	*out = NULL;
	if (text == NULL)
		return reg__fail(err, REG_EINVAL, "no consistency proof");
	if (len > PROOF_TEXT_MAX)
		return reg__fail(err, REG_ETOOBIG, "consistency proof of %zu bytes is "
		    "longer than %d", len, PROOF_TEXT_MAX);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		r = reg__fail(err, REG_EINVAL, "consistency proof is not JSON: %s",
		    jerr.text);
		goto out;
	}
	if (!json_is_object(doc)) {
		r = reg__fail(err, REG_EINVAL, "consistency proof is not an object");
		goto out;
	}
	json_object_foreach(doc, key, v) {
		if (strcmp(key, "old_size") != 0 && strcmp(key, "new_size") != 0 &&
		    strcmp(key, "hashes") != 0) {
			r = reg__fail(err, REG_EINVAL, "consistency proof has an unknown "
			    "member '%.40s'", key);
			goto out;
		}
	}
	if (json_size(json_object_get(doc, "old_size"), &old_size) != 0 ||
	    json_size(json_object_get(doc, "new_size"), &new_size) != 0) {
		r = reg__fail(err, REG_EINVAL, "consistency proof needs old_size and "
		    "new_size, whole numbers from 0 to 2^63 - 1");
		goto out;
	}
	if (old_size > new_size) {
		r = reg__fail(err, REG_EINVAL, "consistency proof's old_size %" PRIu64
		    " is above its new_size %" PRIu64, old_size, new_size);
		goto out;
	}
	hashes = json_object_get(doc, "hashes");
	if (!json_is_array(hashes)) {
		r = reg__fail(err, REG_EINVAL, "consistency proof needs hashes, an "
		    "array");
		goto out;
	}
	n = json_array_size(hashes);
	if (n > PROOF_HASHES_MAX) {
		r = reg__fail(err, REG_ETOOBIG, "consistency proof has %zu hashes, "
		    "more than %d", n, PROOF_HASHES_MAX);
		goto out;
	}
	if ((p = calloc(1, sizeof(*p) + n * sizeof(struct reg_hash))) == NULL) {
		r = reg__fail(err, REG_ENOMEM, "out of memory");
		goto out;
	}
	p->old_size = old_size;
	p->size = new_size;
	p->n = n;
	for (i = 0; i < n; i++) {
		v = json_array_get(hashes, i);
		if (!json_is_string(v) || reg_base64_decode(json_string_value(v),
		    json_string_length(v), &raw, &rawlen, NULL) != 0 || rawlen != 32) {
			r = reg__fail(err, REG_EINVAL, "consistency proof's hash %zu is "
			    "not 32 bytes in base64", i);
			goto out;
		}
		memcpy(p->hashes[i].b, raw, 32);
		reg_free(raw);
		raw = NULL;
	}
	*out = p;
	p = NULL;	/* transferred */
	r = 0;
out:
	reg_free(raw);
	free(p);
	json_decref(doc);
	return r;
}
