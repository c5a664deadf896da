/*
 * Witness cosignatures (registry/cosign.c, registry/witness.c): the input
 * as a cosignature body (reg_cosig_body_parse()) and as a cosigned note
 * (reg_cosig_verify() with the fixtures' witness key).
 *
 * Round trip: a note that carries the log's valid signature and no
 * cosignature of the witness is cosigned (reg_cosign_add()), and the
 * cosignature then verifies with its timestamp; a note that carries one
 * is refused a second (REG_EEXIST).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "fuzz.h"

static reg_key *logkey, *witness, *witness_pub;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	reg_error err = REG_ERROR_INIT;
	char *vkey = NULL;

	if (reg_key_from_verifier(FUZZ_LOG_VKEY, &logkey, &err) != 0 ||
	    reg_key_load(fuzz_path("witness.key"), &witness, &err) != 0 ||
	    reg_cosig_verifier(witness, &vkey, &err) != 0 ||
	    reg_cosig_key_from_verifier(vkey, &witness_pub, &err) != 0)
		fuzz_fail(__FILE__, __LINE__, "keys", "%s", err.message);
	reg_free(vkey);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_checkpoint cp;
	uint64_t ts = 0, ts2 = 0;
	size_t nlines = 0;
	char *s = fuzz_strndup(data, size), *out = NULL;
	int r, had;

	r = reg_cosig_body_parse(s, size, &cp, &nlines, &err);
	FUZZ_CHECK(r <= 0, "body parse returned %d", r);
	FUZZ_CHECK(r != 0 || (nlines >= 1 && nlines <= REG_COSIG_LINES_MAX),
	    "a body of %zu lines", nlines);
	reg_error_clear(&err);
	if (memchr(data, '\0', size) != NULL) {
		free(s);
		return 0;
	}
	r = reg_cosig_verify(witness_pub, s, &ts, &err);
	FUZZ_CHECK(r <= 0, "verify returned %d", r);
	had = r == 0;
	reg_error_clear(&err);
	if (reg_note_verify(logkey, s, size, NULL, &err) == 0) {
		r = reg_cosign_add(witness, s, 1767225600, &out, &err);
		if (had || r == REG_EEXIST) {
			FUZZ_CHECK(r == REG_EEXIST || r == REG_EINVAL || r == REG_EVERIFY,
			    "a second cosignature: %d %s", r, err.message);
		} else if (r == 0) {
			r = reg_cosig_verify(witness_pub, out, &ts2, &err);
			FUZZ_CHECK(r == 0 && ts2 == 1767225600, "a cosignature just "
			    "made does not verify: %s", err.message);
		}
	}
	reg_free(out);
	free(s);
	return 0;
}
