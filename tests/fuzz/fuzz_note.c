/*
 * C2SP signed notes, checkpoints and verifier keys (registry/note.c,
 * registry/key.c): reg_note_verify() with the fixtures' log key,
 * reg_checkpoint_parse() of the verified text and of the input itself,
 * reg__note_open()/reg__note_next() over every signature line, and
 * reg_key_from_verifier()/reg_cosig_key_from_verifier() of the input.
 *
 * Round trips: a checkpoint that parses is written with
 * reg_checkpoint_format(), which must succeed, start the text it came from
 * (the parser takes only the canonical form of its three lines), and parse
 * to the same checkpoint; a verifier key that parses is written back
 * byte for byte.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "registry_int.h"
#include "fuzz.h"

static reg_key *logkey;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	reg_error err = REG_ERROR_INIT;

	if (reg_key_from_verifier(FUZZ_LOG_VKEY, &logkey, &err) != 0)
		fuzz_fail(__FILE__, __LINE__, "key", "%s", err.message);
	return 0;
}

static void
checkpoint_round_trip(const char *text, size_t len)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_checkpoint cp, cp2;
	char *out = NULL;
	int r;

	if (reg_checkpoint_parse(text, len, &cp, &err) != 0)
		return;
	r = reg_checkpoint_format(&cp, &out, &err);
	FUZZ_CHECK(r == 0, "a parsed checkpoint does not format: %s", err.message);
	FUZZ_CHECK(strlen(out) <= len && memcmp(out, text, strlen(out)) == 0,
	    "the checkpoint is not in its canonical form:\n%.*s\n%s", (int)len,
	    text, out);
	r = reg_checkpoint_parse(out, strlen(out), &cp2, &err);
	FUZZ_CHECK(r == 0 && memcmp(&cp, &cp2, sizeof(cp)) == 0,
	    "a formatted checkpoint parses differently");
	reg_free(out);
}

static void
vkey_round_trip(const char *s)
{
	reg_error err = REG_ERROR_INIT;
	reg_key *k = NULL;
	char *out = NULL;

	if (reg_key_from_verifier(s, &k, &err) == 0) {
		FUZZ_CHECK(reg_key_verifier(k, &out, &err) == 0 && strcmp(out, s) == 0,
		    "verifier key %s writes back as %s", s, out ? out : err.message);
		reg_free(out);
		out = NULL;
		reg_key_free(k);
		k = NULL;
	}
	if (reg_cosig_key_from_verifier(s, &k, &err) == 0) {
		FUZZ_CHECK(reg_cosig_verifier(k, &out, &err) == 0 && strcmp(out, s) == 0,
		    "witness key %s writes back as %s", s, out ? out : err.message);
		reg_free(out);
		reg_key_free(k);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reg_error err = REG_ERROR_INIT;
	struct reg__note_sigs it;
	size_t textlen;
	char *s = fuzz_strndup(data, size), *text = NULL;
	int r, lines = 0;

	r = reg_note_verify(logkey, s, size, &text, &err);
	FUZZ_CHECK(r <= 0, "verify returned %d", r);
	if (r == 0) {
		FUZZ_CHECK(text != NULL && strlen(text) < size &&
		    memcmp(text, s, strlen(text)) == 0, "the verified text is not "
		    "the note's");
		checkpoint_round_trip(text, strlen(text));
	} else {
		FUZZ_CHECK(text == NULL && err.message[0] != '\0', "a failed verify");
	}
	reg_free(text);
	checkpoint_round_trip(s, size);
	reg_error_clear(&err);
	if (reg__note_open(&it, s, size, &textlen, &err) == 0) {
		while ((r = reg__note_next(&it, &err)) > 0)
			lines++;
		FUZZ_CHECK(r <= 0 && lines <= 100, "%d signature lines", lines);
		reg__note_close(&it);
	}
	if (size < 512 && memchr(data, '\0', size) == NULL)
		vkey_round_trip(s);
	free(s);
	return 0;
}
