/*
 * Proofs as JSON (proto/README.md 13.3.3): the one shape in which
 * `regctl log prove-*` prints an RFC 9162 proof, tracerd serves it at
 * /v1/log/proof/..., and a witness reads a consistency proof back:
 *
 *   {"index": I, "size": N, "leaf_hash": "B64", "hashes": ["B64", ...]}
 *   {"old_size": M, "new_size": N, "hashes": ["B64", ...]}
 *
 * with ", " and ": " between members (the shape predates the canonical
 * form of section 7, and its bytes are kept), hashes in padded base64 in
 * the audit path's order.  It is read with jansson and written here.  The codec works on plain values, so that it
 * needs neither the registry nor a database.
 */
#include "config.h"

#include <string.h>

#include "proto_int.h"

/* The largest whole number a proof's index or size may be: 2^63 - 1. */
#define SIZE_MAX_PROOF 9223372036854775807LL

/* Inclusion proofs (0) and consistency proofs (1). */
enum kind { INCLUSION, CONSISTENCY };

/* The members of each shape, in the order in which they are written. */
static const char *const members[2][4] = {
	{ "index", "size", "leaf_hash", "hashes" },
	{ "old_size", "new_size", "hashes", NULL },
};

/* Writes the proof whose first member is a (index or old_size), second b
 * (size or new_size), with leaf (inclusion) or not (consistency).  The
 * text is made here rather than by jansson: its shape is fixed, base64
 * needs no escaping, and jansson's writer can drop a member's name when an
 * allocation fails. */
static int
write_proof(uint64_t a, uint64_t b, const uint8_t *leaf, const uint8_t *hashes,
    size_t n, char **out, proto_error *err)
{
	const char *const *m = members[leaf == NULL];
	char b64[PROTO__HASH_B64_LEN + 1];
	struct proto_hash h;
	size_t cap, len, i;
	char *s;

	if (out == NULL || (n > 0 && hashes == NULL))
		return proto__fail(err, PROTO_EINVAL, "", "no hashes or no place "
		    "for the result");
	*out = NULL;
	if (n > PROTO_PROOF_HASHES_MAX)
		return proto__fail(err, PROTO_ETOOBIG, "hashes", "has %zu "
		    "elements, over the limit of %d", n, PROTO_PROOF_HASHES_MAX);
	if (a > (uint64_t)SIZE_MAX_PROOF || b > (uint64_t)SIZE_MAX_PROOF)
		return proto__fail(err, PROTO_EVALUE, "", "a size or index over "
		    "2^63 - 1");
	/* Two numbers of 19 digits, the names, and 48 characters a hash. */
	cap = 160 + (n + 1) * (PROTO__HASH_B64_LEN + 4);
	if ((s = malloc(cap)) == NULL)
		return proto__fail(err, PROTO_ENOMEM, "", "out of memory");
	len = (size_t)snprintf(s, cap, "{\"%s\": %llu, \"%s\": %llu, ", m[0],
	    (unsigned long long)a, m[1], (unsigned long long)b);
	if (leaf != NULL) {
		memcpy(h.b, leaf, 32);
		proto__hash_encode(&h, b64);
		len += (size_t)snprintf(s + len, cap - len, "\"leaf_hash\": \"%s\", ",
		    b64);
	}
	len += (size_t)snprintf(s + len, cap - len, "\"hashes\": [");
	for (i = 0; i < n; i++) {
		memcpy(h.b, hashes + 32 * i, 32);
		proto__hash_encode(&h, b64);
		len += (size_t)snprintf(s + len, cap - len, "%s\"%s\"", i ? ", " : "",
		    b64);
	}
	snprintf(s + len, cap - len, "]}");
	*out = s;
	return 0;
}

int
proto_proof_inclusion_to_json(uint64_t index, uint64_t size,
    const uint8_t leaf_hash[32], const uint8_t *hashes, size_t n, char **out,
    proto_error *err)
{
	if (leaf_hash == NULL)
		return proto__fail(err, PROTO_EINVAL, "leaf_hash", "not given");
	return write_proof(index, size, leaf_hash, hashes, n, out, err);
}

int
proto_proof_consistency_to_json(uint64_t old_size, uint64_t new_size,
    const uint8_t *hashes, size_t n, char **out, proto_error *err)
{
	return write_proof(old_size, new_size, NULL, hashes, n, out, err);
}

/* ------------------------------------------------------------ parsing */

/* A whole number 0 .. 2^63 - 1 (JSON integers only: not 1.0, not "1"). */
static int
get_size(json_t *doc, const char *name, uint64_t *out, proto_error *err)
{
	json_t *v = json_object_get(doc, name);

	if (v == NULL)
		return proto__fail(err, PROTO_EMISSING, name,
		    "required member missing");
	if (!json_is_integer(v))
		return proto__fail(err, PROTO_ETYPE, name,
		    "must be a whole number");
	if (json_integer_value(v) < 0)
		return proto__fail(err, PROTO_EVALUE, name,
		    "%" JSON_INTEGER_FORMAT " is below 0", json_integer_value(v));
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
get_hashes(json_t *doc, struct proto_proof *p, proto_error *err)
{
	json_t *a = json_object_get(doc, "hashes"), *v;
	char path[32];
	size_t i;

	if (a == NULL)
		return proto__fail(err, PROTO_EMISSING, "hashes",
		    "required member missing");
	if (!json_is_array(a))
		return proto__fail(err, PROTO_ETYPE, "hashes",
		    "must be an array");
	if (json_array_size(a) > PROTO_PROOF_HASHES_MAX)
		return proto__fail(err, PROTO_ETOOBIG, "hashes", "has %zu "
		    "elements, over the limit of %d", json_array_size(a),
		    PROTO_PROOF_HASHES_MAX);
	json_array_foreach(a, i, v) {
		snprintf(path, sizeof(path), "hashes[%zu]", i);
		if (!json_is_string(v))
			return proto__fail(err, PROTO_ETYPE, path,
			    "must be a string");
		if (proto__hash_decode(json_string_value(v), json_string_length(v),
		    &p->hashes[i]) != 0)
			return proto__fail(err, PROTO_EVALUE, path, "is not the "
			    "base64 of 32 bytes (44 characters, padded, "
			    "canonical)");
	}
	p->n_hashes = json_array_size(a);
	return 0;
}

/* The JSON object of a proof, with no member but those of kind k. */
static int
load(const char *text, size_t len, enum kind k, json_t **doc, proto_error *err)
{
	json_error_t jerr;
	const char *key;
	char name[80];
	json_t *v;
	size_t i;

	*doc = NULL;
	if (text == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no proof given");
	if (len > PROTO_PROOF_TEXT_MAX)
		return proto__fail(err, PROTO_ETOOBIG, "", "is %zu bytes long, "
		    "over the limit of %d", len, PROTO_PROOF_TEXT_MAX);
	*doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*doc == NULL)
		return proto__fail(err, PROTO_ESYNTAX, "", "is not well-formed "
		    "JSON: %.200s", jerr.text);
	if (!json_is_object(*doc))
		return proto__fail(err, PROTO_ETYPE, "", "must be a JSON object");
	json_object_foreach(*doc, key, v) {
		for (i = 0; i < 4 && members[k][i] != NULL; i++)
			if (strcmp(key, members[k][i]) == 0)
				break;
		if (i == 4 || members[k][i] == NULL) {
			proto__excerpt(key, strlen(key), 40, name, sizeof(name));
			return proto__fail(err, PROTO_EUNKNOWN, name,
			    "unknown member (not defined for a proof)");
		}
	}
	return 0;
}

int
proto_proof_consistency_parse(const char *text, size_t len,
    struct proto_proof *out, proto_error *err)
{
	struct proto_proof p;
	json_t *doc = NULL;
	int r;

	memset(&p, 0, sizeof(p));
	if (out == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no place for the result");
	if ((r = load(text, len, CONSISTENCY, &doc, err)) != 0 ||
	    (r = get_size(doc, "old_size", &p.old_size, err)) != 0 ||
	    (r = get_size(doc, "new_size", &p.size, err)) != 0)
		goto out;
	if (p.old_size > p.size) {
		r = proto__fail(err, PROTO_EVALUE, "old_size", "%llu is above "
		    "new_size (%llu)", (unsigned long long)p.old_size,
		    (unsigned long long)p.size);
		goto out;
	}
	if ((r = get_hashes(doc, &p, err)) != 0)
		goto out;
	*out = p;
out:
	json_decref(doc);
	return r;
}

int
proto_proof_inclusion_parse(const char *text, size_t len,
    struct proto_proof *out, proto_error *err)
{
	struct proto_proof p;
	json_t *doc = NULL, *v;
	size_t want;
	int r;

	memset(&p, 0, sizeof(p));
	if (out == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no place for the result");
	if ((r = load(text, len, INCLUSION, &doc, err)) != 0 ||
	    (r = get_size(doc, "index", &p.index, err)) != 0 ||
	    (r = get_size(doc, "size", &p.size, err)) != 0)
		goto out;
	if (p.index >= p.size) {
		r = proto__fail(err, PROTO_EVALUE, "index", "%llu is not below "
		    "size (%llu)", (unsigned long long)p.index,
		    (unsigned long long)p.size);
		goto out;
	}
	if ((v = json_object_get(doc, "leaf_hash")) == NULL) {
		r = proto__fail(err, PROTO_EMISSING, "leaf_hash",
		    "required member missing");
		goto out;
	}
	if (!json_is_string(v) || proto__hash_decode(json_string_value(v),
	    json_string_length(v), &p.leaf_hash) != 0) {
		r = proto__fail(err, json_is_string(v) ? PROTO_EVALUE : PROTO_ETYPE,
		    "leaf_hash", "is not the base64 of 32 bytes");
		goto out;
	}
	if ((r = get_hashes(doc, &p, err)) != 0)
		goto out;
	want = proto__inclusion_path_len(p.index, p.size);
	if (p.n_hashes != want) {
		r = proto__fail(err, PROTO_EVALUE, "hashes", "has %zu elements; "
		    "an index of %llu in a tree of %llu needs %zu", p.n_hashes,
		    (unsigned long long)p.index, (unsigned long long)p.size, want);
		goto out;
	}
	*out = p;
out:
	json_decref(doc);
	return r;
}
