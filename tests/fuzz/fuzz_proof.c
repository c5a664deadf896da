/*
 * Proofs as JSON (registry/proof_json.c): reg_consistency_proof_parse(),
 * then reg_merkle_verify_consistency() of what parsed against arbitrary
 * roots (it must refuse, not crash).
 *
 * Round trip: a proof that parses is written with reg_proof_json(), which
 * parses to the same proof.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "registry_int.h"
#include "merkle_int.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_proof *p = NULL, *p2 = NULL;
	struct reg_hash a, b;
	char *json = NULL;
	int r;

	r = reg_consistency_proof_parse((const char *)data, size, &p, &err);
	FUZZ_CHECK(r <= 0, "parse returned %d", r);
	if (r != 0) {
		FUZZ_CHECK(p == NULL && err.message[0] != '\0', "a failed parse");
		return 0;
	}
	r = reg_proof_json(p, 1, &json, &err);
	FUZZ_CHECK(r == 0, "a parsed proof does not write: %s", err.message);
	r = reg_consistency_proof_parse(json, strlen(json), &p2, &err);
	FUZZ_CHECK(r == 0, "a written proof does not parse: %s\n%s", err.message,
	    json);
	FUZZ_CHECK(p->old_size == p2->old_size && p->size == p2->size &&
	    p->n == p2->n && (p->n == 0 || memcmp(p->hashes, p2->hashes,
	    p->n * sizeof(*p->hashes)) == 0), "the proof differs after a round "
	    "trip:\n%s", json);
	memset(&a, 0x11, sizeof(a));
	memset(&b, 0x22, sizeof(b));
	(void)reg_merkle_verify_consistency(p->old_size, p->size, &a, &b,
	    p->hashes, p->n, &err);
	if (p->old_size < p->size)
		(void)reg_merkle_verify_inclusion(p->old_size, p->size, &a,
		    p->hashes, p->n, &b, &err);
	reg_free(json);
	reg_free(p);
	reg_free(p2);
	return 0;
}
