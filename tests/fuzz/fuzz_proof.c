/*
 * Proofs as JSON (proto/proof.c): proto_proof_consistency_parse() and
 * proto_proof_inclusion_parse(), then reg_merkle_verify_consistency() and
 * reg_merkle_verify_inclusion() of what parsed against arbitrary roots
 * (they must refuse, not crash).
 *
 * Round trip: a proof that parses is written with the codec, which parses
 * to the same proof.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "registry_int.h"
#include "merkle_int.h"
#include "proto/proto.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

/* The codec's proof as the registry's hashes. */
static void
to_reg(const struct proto_proof *p, struct reg_hash *h)
{
	size_t i;

	for (i = 0; i < p->n_hashes; i++)
		memcpy(h[i].b, p->hashes[i].b, 32);
}

static void
one_consistency(const uint8_t *data, size_t size)
{
	proto_error err = PROTO_ERROR_INIT;
	struct proto_proof p, p2;
	struct reg_hash a, b, h[PROTO_PROOF_HASHES_MAX];
	reg_error rerr = REG_ERROR_INIT;
	char *json = NULL;
	int r;

	r = proto_proof_consistency_parse((const char *)data, size, &p, &err);
	FUZZ_CHECK(r <= 0, "parse returned %d", r);
	if (r != 0) {
		FUZZ_CHECK(err.message[0] != '\0', "a failed parse without a reason");
		return;
	}
	r = proto_proof_consistency_to_json(p.old_size, p.size, p.hashes[0].b,
	    p.n_hashes, &json, &err);
	FUZZ_CHECK(r == 0, "a parsed proof does not write: %s", err.message);
	r = proto_proof_consistency_parse(json, strlen(json), &p2, &err);
	FUZZ_CHECK(r == 0, "a written proof does not parse: %s\n%s", err.message,
	    json);
	FUZZ_CHECK(p.old_size == p2.old_size && p.size == p2.size &&
	    p.n_hashes == p2.n_hashes && memcmp(p.hashes, p2.hashes,
	    sizeof(p.hashes)) == 0, "the proof differs after a round trip:\n%s",
	    json);
	to_reg(&p, h);
	memset(&a, 0x11, sizeof(a));
	memset(&b, 0x22, sizeof(b));
	(void)reg_merkle_verify_consistency(p.old_size, p.size, &a, &b, h,
	    p.n_hashes, &rerr);
	if (p.old_size < p.size)
		(void)reg_merkle_verify_inclusion(p.old_size, p.size, &a, h,
		    p.n_hashes, &b, &rerr);
	proto_free(json);
}

static void
one_inclusion(const uint8_t *data, size_t size)
{
	proto_error err = PROTO_ERROR_INIT;
	struct proto_proof p, p2;
	char *json = NULL;
	int r;

	r = proto_proof_inclusion_parse((const char *)data, size, &p, &err);
	FUZZ_CHECK(r <= 0, "parse returned %d", r);
	if (r != 0)
		return;
	r = proto_proof_inclusion_to_json(p.index, p.size, p.leaf_hash.b,
	    p.hashes[0].b, p.n_hashes, &json, &err);
	FUZZ_CHECK(r == 0, "a parsed proof does not write: %s", err.message);
	r = proto_proof_inclusion_parse(json, strlen(json), &p2, &err);
	FUZZ_CHECK(r == 0 && memcmp(&p, &p2, sizeof(p)) == 0, "the inclusion "
	    "proof differs after a round trip:\n%s", json);
	proto_free(json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_consistency(data, size);
	one_inclusion(data, size);
	return 0;
}
