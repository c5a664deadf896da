/*
 * Tests of witness cosignatures (C2SP tlog-cosignature, cosignature/v1).
 * No database.  Known answers: a real checkpoint of the staging CT log
 * arche2025h1.staging.ct.transparency.dev as three public witnesses
 * cosigned it (quoted in the tests of a third-party Python checkpoint
 * library, and checked here against the witnesses' published verifier
 * keys), and the verifier keys of transparency-dev/formats'
 * note/note_cosigv1_test.go.  Cosignatures the library makes are also
 * checked by tests/cosig.py, written from the specification's text on the
 * Python "cryptography" package, which in turn cosigns for the library to
 * verify.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "registry/registry.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"
#define EM_DASH "\xe2\x80\x94"
#define COSIG_RAW_LEN 76	/* key id, timestamp, Ed25519 signature */

/*
 * A checkpoint of the staging CT log arche2025h1.staging.ct.transparency.dev
 * with its log's signatures (an RFC 6962 one and a note one) and the
 * cosignatures of four witnesses, all at 1779573024.  The verifier keys of
 * three of the witnesses, and the log's, follow.
 */
#define REAL_BODY \
	"arche2025h1.staging.ct.transparency.dev\n" \
	"1432088532\n" \
	"U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
#define REAL_SIGS \
	EM_DASH " arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0Wdj" \
	"BAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2" \
	"BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n" \
	EM_DASH " arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj" \
	"4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3" \
	"ZFWwQ=\n" \
	EM_DASH " transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEg" \
	"zgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAEru" \
	"mC2q44vdgJY096st5BQ==\n" \
	EM_DASH " witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/" \
	"oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZ" \
	"sDsUAQ==\n" \
	EM_DASH " remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxx" \
	"cOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n" \
	EM_DASH " witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKT" \
	"HSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"
#define REAL_NOTE REAL_BODY "\n" REAL_SIGS
#define REAL_TIME 1779573024u
#define REAL_LOG_VKEY "arche2025h1.staging.ct.transparency.dev+ba2f06c0+" \
	"AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
#define REMORA_VKEY \
	"remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"

static const char *const real_witnesses[] = {
	REMORA_VKEY,
	"transparency.dev/DEV:witness-little-garden+d8042a87+"
	    "BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
	"witness1.smartit.nu/witness1+a48c820f+"
	    "BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
};

/* transparency-dev/formats note/note_cosigv1_test.go: a 0x01 key whose
 * base64 holds a '+'. */
#define PLUS_VKEY "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"

#define T0 1700000000u
#define ROOT_B64 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

/* A temporary folder per test, made and removed in its process. */
static char *tmpdir;

static void
tmpdir_setup(void)
{
	tmpdir = tu_tmpdir();
}

static void
tmpdir_teardown(void)
{
	tu_rmtree(tmpdir);
	free(tmpdir);
}

/* The log's key, and a witness's private key (w.key) and public key, per
 * test of the cosigning cases. */
static reg_key *log_key, *witness, *witness_pub;

/* A path in the temporary folder; free it. */
static char *
tmp_path(const char *name)
{
	size_t n = strlen(tmpdir) + 1 + strlen(name) + 1;
	char *p = malloc(n);

	ck_assert_ptr_nonnull(p);
	snprintf(p, n, "%s/%s", tmpdir, name);
	return p;
}

/* Generates and loads a private key named name. */
static reg_key *
new_key(const char *name, const char *file)
{
	char *path = tmp_path(file);
	reg_key *k = NULL;
	reg_error err = REG_ERROR_INIT;

	ck_assert_msg(reg_key_generate(name, path, &err) == 0, "%s",
	    err.message);
	ck_assert_msg(reg_key_load(path, &k, &err) == 0, "%s", err.message);
	free(path);
	return k;
}

/* The witness's public key, through its verifier key. */
static reg_key *
public_of(const reg_key *k)
{
	char *v = NULL;
	reg_key *pub = NULL;

	ck_assert_int_eq(reg_cosig_verifier(k, &v, NULL), 0);
	ck_assert_int_eq(reg_cosig_key_from_verifier(v, &pub, NULL), 0);
	reg_free(v);
	return pub;
}

static void
keys_setup(void)
{
	tmpdir_setup();
	log_key = new_key("log.example/a", "log.key");
	witness = new_key("witness.example/w1", "w.key");
	witness_pub = public_of(witness);
}

static void
keys_teardown(void)
{
	reg_key_free(log_key);
	reg_key_free(witness);
	reg_key_free(witness_pub);
	tmpdir_teardown();
}

/* A checkpoint of size size with extra extension lines, signed by log. */
static char *
checkpoint_note(const reg_key *log, uint64_t size, const char *extra)
{
	char text[512], *note = NULL;
	reg_error err = REG_ERROR_INIT;

	snprintf(text, sizeof(text), "log.example/a\n%llu\n" ROOT_B64 "\n%s",
	    (unsigned long long)size, extra);
	ck_assert_msg(reg_note_sign(log, text, &note, &err) == 0, "%s",
	    err.message);
	return note;
}

/* The decoded base64 of a signature line "— <name> <base64>\n". */
static uint8_t *
raw_of(const char *line, size_t *len)
{
	const char *b64 = strrchr(line, ' ');
	size_t n;
	uint8_t *raw = NULL;

	ck_assert_ptr_nonnull(b64);
	b64++;
	n = strlen(b64);
	if (n > 0 && b64[n - 1] == '\n')
		n--;
	ck_assert_int_eq(reg_base64_decode(b64, n, &raw, len, NULL), 0);
	return raw;
}

/* note with the signature line "— <name> <base64(raw)>\n" appended. */
static char *
with_line(const char *note, const char *name, const uint8_t *raw,
    size_t len)
{
	char *b64 = NULL, *s;
	size_t n;

	ck_assert_int_eq(reg_base64_encode(raw, len, &b64, NULL), 0);
	n = strlen(note) + strlen(EM_DASH) + 1 + strlen(name) + 1 +
	    strlen(b64) + 2;
	s = malloc(n);
	ck_assert_ptr_nonnull(s);
	snprintf(s, n, "%s" EM_DASH " %s %s\n", note, name, b64);
	reg_free(b64);
	return s;
}

/* Puts key id id into the first four bytes of raw. */
static void
set_id(uint8_t *raw, uint32_t id)
{
	raw[0] = (uint8_t)(id >> 24);
	raw[1] = (uint8_t)(id >> 16);
	raw[2] = (uint8_t)(id >> 8);
	raw[3] = (uint8_t)id;
}

/* Verifies and returns the code, checking that a failure has a message. */
static int
verify(const reg_key *k, const char *note, uint64_t *ts, char *msg,
    size_t msglen)
{
	reg_error err = REG_ERROR_INIT;
	int r;

	r = reg_cosig_verify(k, note, ts, &err);
	if (r != 0)
		ck_assert_msg(err.message[0] != '\0', "code %d without a "
		    "message", r);
	if (msg != NULL)
		snprintf(msg, msglen, "%s", err.message);
	return r;
}

/* Verifies note with a line of name and raw appended. */
static int
verify_line(const reg_key *k, const char *note, const char *name,
    const uint8_t *raw, size_t len, uint64_t *ts)
{
	char *s = with_line(note, name, raw, len);
	int r = verify(k, s, ts, NULL, 0);

	free(s);
	return r;
}

/* ---------------------------------------------------------------- keys */

START_TEST(test_key_ids)
{
	reg_key *w = new_key("witness.example/w1", "w.key"), *pub, *bad;
	char *cv = NULL, *nv = NULL, *v = NULL, expect[16];
	uint8_t p1[32], p2[32];
	size_t n = strlen("witness.example/w1");

	ck_assert_uint_ne(reg_cosig_key_id(w), reg_key_id(w));
	ck_assert_int_eq(reg_cosig_verifier(w, &cv, NULL), 0);
	ck_assert_int_eq(reg_key_verifier(w, &nv, NULL), 0);
	/* name "+" eight hex digits "+" base64 of 0x04 and 32 bytes */
	ck_assert_uint_eq(strlen(cv), n + 1 + 8 + 1 + 44);
	snprintf(expect, sizeof(expect), "%08x", (unsigned)reg_cosig_key_id(w));
	ck_assert(strncmp(cv + n + 1, expect, 8) == 0);
	ck_assert_int_eq(cv[n + 10], 'B');
	ck_assert_int_eq(nv[n + 10], 'A');
	/* After the type's six bits and two more, the same public key. */
	ck_assert_str_eq(cv + n + 12, nv + n + 12);

	/* A witness verifier key makes a cosignature-only key. */
	ck_assert_int_eq(reg_cosig_key_from_verifier(cv, &pub, NULL), 0);
	ck_assert_str_eq(reg_key_name(pub), "witness.example/w1");
	ck_assert_uint_eq(reg_cosig_key_id(pub), reg_cosig_key_id(w));
	ck_assert_uint_eq(reg_key_id(pub), reg_key_id(w));
	reg_key_public(w, p1);
	reg_key_public(pub, p2);
	ck_assert(memcmp(p1, p2, 32) == 0);
	ck_assert_int_eq(reg_cosig_verifier(pub, &v, NULL), 0);
	ck_assert_str_eq(v, cv);
	reg_free(v);
	ck_assert_int_eq(reg_key_verifier(pub, &v, NULL), REG_EKEY);
	ck_assert_ptr_null(v);
	reg_key_free(pub);

	/* Neither parser takes the other's type. */
	bad = (reg_key *)1;
	ck_assert_int_eq(reg_key_from_verifier(cv, &bad, NULL), REG_EKEY);
	ck_assert_ptr_null(bad);
	bad = (reg_key *)1;
	ck_assert_int_eq(reg_cosig_key_from_verifier(nv, &bad, NULL),
	    REG_EKEY);
	ck_assert_ptr_null(bad);

	/* A note key from a verifier key has no witness verifier key. */
	ck_assert_int_eq(reg_key_from_verifier(nv, &pub, NULL), 0);
	ck_assert_int_eq(reg_cosig_verifier(pub, &v, NULL), REG_EKEY);
	reg_key_free(pub);

	reg_free(cv);
	reg_free(nv);
	reg_key_free(w);
}
END_TEST

START_TEST(test_key_vectors)
{
	reg_key *k = NULL;
	char *v = NULL;
	reg_error err = REG_ERROR_INIT;
	size_t i;

	/* Public witnesses' keys: the key ids hash the type 0x04 in. */
	for (i = 0; i < sizeof(real_witnesses) / sizeof(real_witnesses[0]);
	    i++) {
		ck_assert_msg(reg_cosig_key_from_verifier(real_witnesses[i], &k,
		    &err) == 0, "%s: %s", real_witnesses[i], err.message);
		ck_assert_int_eq(reg_cosig_verifier(k, &v, NULL), 0);
		ck_assert_str_eq(v, real_witnesses[i]);
		reg_free(v);
		reg_key_free(k);
		k = NULL;
	}
	ck_assert_int_eq(reg_cosig_key_from_verifier(REMORA_VKEY, &k, NULL),
	    0);
	ck_assert_str_eq(reg_key_name(k), "remora.n621.de");
	ck_assert_uint_eq(reg_cosig_key_id(k), 0xda77ade7u);
	reg_key_free(k);
	/* The same key material with another id is refused. */
	ck_assert_int_eq(reg_cosig_key_from_verifier("remora.n621.de+da77ade8+"
	    "BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", &k, NULL),
	    REG_EKEY);

	/* A 0x01 key of the same tests: a note key, not a witness key. */
	ck_assert_int_eq(reg_key_from_verifier(PLUS_VKEY, &k, NULL), 0);
	ck_assert_uint_eq(reg_key_id(k), 0x7997405cu);
	reg_key_free(k);
	ck_assert_int_eq(reg_cosig_key_from_verifier(PLUS_VKEY, &k, &err),
	    REG_EKEY);
	ck_assert_ptr_null(k);
	ck_assert_ptr_nonnull(strstr(err.message, "signature type 1"));
}
END_TEST

/* ------------------------------------------------------------- vectors */

START_TEST(test_real_checkpoint)
{
	reg_key *k = NULL;
	char *text = NULL, *bad;
	uint64_t ts = 0;
	reg_error err = REG_ERROR_INIT;
	size_t i;

	for (i = 0; i < sizeof(real_witnesses) / sizeof(real_witnesses[0]);
	    i++) {
		ck_assert_int_eq(reg_cosig_key_from_verifier(real_witnesses[i],
		    &k, NULL), 0);
		ck_assert_msg(verify(k, REAL_NOTE, &ts, err.message,
		    sizeof(err.message)) == 0, "%s: %s", real_witnesses[i],
		    err.message);
		ck_assert_uint_eq(ts, REAL_TIME);
		/* The same lines on another tree size do not hold. */
		bad = strdup(REAL_NOTE);
		ck_assert_ptr_nonnull(bad);
		bad[strlen("arche2025h1.staging.ct.transparency.dev\n")] = '2';
		ck_assert_int_eq(verify(k, bad, &ts, NULL, 0), REG_EVERIFY);
		ck_assert_uint_eq(ts, 0);
		free(bad);
		reg_key_free(k);
	}

	/* The log's own note signature holds too; cosignatures are not
	 * note signatures to it. */
	ck_assert_int_eq(reg_key_from_verifier(REAL_LOG_VKEY, &k, NULL), 0);
	ck_assert_msg(reg_note_verify(k, REAL_NOTE, strlen(REAL_NOTE), &text,
	    &err) == 0, "%s", err.message);
	ck_assert_str_eq(text, REAL_BODY);
	reg_free(text);
	reg_key_free(k);

	/* A witness with none of the lines: not found. */
	k = new_key("remora.n621.de", "r.key");
	ck_assert_int_eq(verify(k, REAL_NOTE, &ts, NULL, 0), REG_ENOTFOUND);
	reg_key_free(k);
}
END_TEST

/* ----------------------------------------------------------- round trip */

START_TEST(test_roundtrip)
{
	reg_key *w2 = new_key("witness.example/w2", "w2.key");
	char *note = checkpoint_note(log_key, 7, ""), *line = NULL, *out = NULL;
	char *out2 = NULL, *again = NULL, *text = NULL;
	uint64_t ts = 0;
	reg_error err = REG_ERROR_INIT;

	ck_assert_msg(reg_cosign(witness, note, T0, &line, &err) == 0, "%s",
	    err.message);
	ck_assert(strncmp(line, EM_DASH " witness.example/w1 ",
	    strlen(EM_DASH " witness.example/w1 ")) == 0);
	ck_assert_int_eq(line[strlen(line) - 1], '\n');
	ck_assert_int_eq(reg_cosign_add(witness, note, T0, &out, &err), 0);
	/* Ed25519 is deterministic: the appended line is the same line. */
	ck_assert_str_eq(out + strlen(note), line);
	ck_assert(strncmp(out, note, strlen(note)) == 0);

	ck_assert_int_eq(verify(witness_pub, out, &ts, NULL, 0), 0);
	ck_assert_uint_eq(ts, T0);
	ck_assert_int_eq(verify(witness, out, NULL, NULL, 0), 0);
	/* The log's signature still holds on the cosigned note. */
	ck_assert_int_eq(reg_note_verify(log_key, out, strlen(out), &text,
	    NULL), 0);
	ck_assert_ptr_nonnull(text);
	reg_free(text);

	/* A second witness adds its own; each finds its own line. */
	ck_assert_int_eq(reg_cosign_add(w2, out, T0 + 5, &out2, NULL), 0);
	ck_assert_int_eq(verify(witness_pub, out2, &ts, NULL, 0), 0);
	ck_assert_uint_eq(ts, T0);
	ck_assert_int_eq(verify(w2, out2, &ts, NULL, 0), 0);
	ck_assert_uint_eq(ts, T0 + 5);
	ck_assert_int_eq(verify(w2, out, &ts, NULL, 0), REG_ENOTFOUND);

	/* No second cosignature by the same witness. */
	ck_assert_int_eq(reg_cosign_add(witness, out2, T0 + 9, &again, &err),
	    REG_EEXIST);
	ck_assert_ptr_null(again);

	/* Two lines by one witness: both must hold; the latest counts. */
	reg_free(line);
	ck_assert_int_eq(reg_cosign(witness, note, T0 + 9, &line, NULL), 0);
	again = tu_concat(out, line);
	ck_assert_int_eq(verify(witness_pub, again, &ts, NULL, 0), 0);
	ck_assert_uint_eq(ts, T0 + 9);
	free(again);

	/* The timestamp's limits. */
	reg_free(line);
	ck_assert_int_eq(reg_cosign(witness, note, INT64_MAX, &line, NULL), 0);
	again = tu_concat(note, line);
	ck_assert_int_eq(verify(witness_pub, again, &ts, NULL, 0), 0);
	ck_assert_uint_eq(ts, (uint64_t)INT64_MAX);
	free(again);
	reg_free(line);
	ck_assert_int_eq(reg_cosign(witness, note, 1, &line, NULL), 0);
	again = tu_concat(note, line);
	ck_assert_int_eq(verify(witness_pub, again, &ts, NULL, 0), 0);
	ck_assert_uint_eq(ts, 1);
	free(again);

	reg_free(line);
	reg_free(out);
	reg_free(out2);
	reg_free(note);
	reg_key_free(w2);
}
END_TEST

/* Extension lines are signed too. */
START_TEST(test_extension_lines)
{
	char *note = checkpoint_note(log_key, 7, "extension one\n");
	char *out = NULL;
	char *p;

	ck_assert_int_eq(reg_cosign_add(witness, note, T0, &out, NULL), 0);
	ck_assert_int_eq(verify(witness, out, NULL, NULL, 0), 0);
	p = strstr(out, "extension one");
	ck_assert_ptr_nonnull(p);
	p[10] = 'X';
	ck_assert_int_eq(verify(witness, out, NULL, NULL, 0), REG_EVERIFY);
	reg_free(out);
	reg_free(note);
}
END_TEST

/* ------------------------------------------------------------ mutations */

/* Every bit of the line's key id, timestamp and signature, flipped. */
START_TEST(test_mutations_line)
{
	char *note = checkpoint_note(log_key, 7, ""), *line = NULL;
	uint8_t *raw;
	size_t len, i;
	int bit, r, want;
	uint64_t ts;

	ck_assert_int_eq(reg_cosign(witness, note, T0, &line, NULL), 0);
	raw = raw_of(line, &len);
	ck_assert_uint_eq(len, COSIG_RAW_LEN);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			raw[i] ^= (uint8_t)(1u << bit);
			if (i < 4)
				want = REG_ENOTFOUND;	/* other key id */
			else if (i == 4 && bit == 7)
				want = REG_EINVAL;	/* above 2^63 - 1 */
			else
				want = REG_EVERIFY;
			ts = 99;
			r = verify_line(witness_pub, note,
			    "witness.example/w1", raw, len, &ts);
			ck_assert_msg(r == want, "byte %zu bit %d: %d, not %d",
			    i, bit, r, want);
			ck_assert_uint_eq(ts, 0);
			raw[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* Truncated and extended by a byte. */
	ck_assert_int_eq(verify_line(witness_pub, note, "witness.example/w1",
	    raw, len - 1, NULL), REG_EINVAL);
	raw = realloc(raw, len + 1);
	ck_assert_ptr_nonnull(raw);
	raw[len] = 0;
	ck_assert_int_eq(verify_line(witness_pub, note, "witness.example/w1",
	    raw, len + 1, NULL), REG_EINVAL);
	/* Another name with the same bytes: not this witness's line. */
	ck_assert_int_eq(verify_line(witness_pub, note, "witness.example/w2",
	    raw, len, NULL), REG_ENOTFOUND);

	free(raw);
	reg_free(line);
	reg_free(note);
}
END_TEST

/* Every byte of the checkpoint body changed under the cosignature. */
START_TEST(test_mutations_body)
{
	char *note = checkpoint_note(log_key, 7, "ext\n"), *out = NULL;
	size_t i, bodylen = strlen(note) - strlen(strstr(note, "\n\n")) + 1;
	size_t originlen = strlen("log.example/a");
	char c;
	int r;

	ck_assert_int_eq(reg_cosign_add(witness, note, T0, &out, NULL), 0);
	for (i = 0; i < bodylen; i++) {
		if (out[i] == '\n')
			continue;
		c = out[i];
		out[i] = c == 'a' ? 'b' : 'a';
		r = verify(witness, out, NULL, NULL, 0);
		/* A changed origin or extension is still a checkpoint. */
		if (i < originlen || i >= bodylen - 4)
			ck_assert_msg(r == REG_EVERIFY, "byte %zu: %d", i, r);
		else
			ck_assert_msg(r == REG_EVERIFY || r == REG_EINVAL,
			    "byte %zu: %d", i, r);
		out[i] = c;
	}
	ck_assert_int_eq(verify(witness, out, NULL, NULL, 0), 0);
	reg_free(out);
	reg_free(note);
}
END_TEST

/* A cosignature moved onto another checkpoint. */
START_TEST(test_other_checkpoint)
{
	char *a = checkpoint_note(log_key, 7, "");
	char *b = checkpoint_note(log_key, 8, "");
	char *line = NULL, *bad;

	ck_assert_int_eq(reg_cosign(witness, a, T0, &line, NULL), 0);
	bad = tu_concat(b, line);
	ck_assert_int_eq(verify(witness, bad, NULL, NULL, 0), REG_EVERIFY);
	free(bad);
	reg_free(line);
	reg_free(a);
	reg_free(b);
}
END_TEST

/* ------------------------------------------------------ the other kind */

START_TEST(test_not_note_signatures)
{
	char *note = checkpoint_note(log_key, 7, ""), *text, *own = NULL;
	char *out = NULL, *bad, *cline = NULL;
	uint8_t *raw, *craw, swapped[COSIG_RAW_LEN];
	size_t len, clen;
	reg_error err = REG_ERROR_INIT;

	/* The witness's ordinary note signature is no cosignature... */
	text = strndup(note, strlen(note) - strlen(strstr(note, "\n\n")) + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(reg_note_sign(witness, text, &own, NULL), 0);
	ck_assert_int_eq(verify(witness, own, NULL, NULL, 0), REG_ENOTFOUND);
	/* ...not even relabelled with the cosignature key id (wrong length),
	 * nor as a timestamped signature of the same message. */
	raw = raw_of(strstr(own, EM_DASH), &len);
	ck_assert_uint_eq(len, 68);
	set_id(raw, reg_cosig_key_id(witness));
	ck_assert_int_eq(verify_line(witness_pub, note, "witness.example/w1",
	    raw, len, NULL), REG_EINVAL);
	memcpy(swapped, raw, 4);
	memset(swapped + 4, 0, 8);
	swapped[11] = 1;
	memcpy(swapped + 12, raw + 4, 64);
	ck_assert_int_eq(verify_line(witness_pub, note, "witness.example/w1",
	    swapped, sizeof(swapped), NULL), REG_EVERIFY);

	/* ...and a cosignature is no note signature by the same key. */
	ck_assert_int_eq(reg_cosign_add(witness, note, T0, &out, NULL), 0);
	ck_assert_int_eq(reg_note_verify(witness, out, strlen(out), NULL, &err),
	    REG_EVERIFY);
	ck_assert_ptr_nonnull(strstr(err.message, "no signature by"));
	/* Relabelled with the note key id, it does not verify. */
	ck_assert_int_eq(reg_cosign(witness, note, T0, &cline, NULL), 0);
	craw = raw_of(cline, &clen);
	set_id(craw, reg_key_id(witness));
	bad = with_line(note, "witness.example/w1", craw, clen);
	ck_assert_int_eq(reg_note_verify(witness, bad, strlen(bad), NULL, NULL),
	    REG_EVERIFY);
	free(bad);

	/* A witness key from its verifier key is refused for notes, and a
	 * note key from its verifier key for cosignatures. */
	ck_assert_int_eq(reg_note_verify(witness_pub, own, strlen(own), NULL,
	    NULL), REG_EKEY);
	{
		reg_key *nk = NULL;
		char *nv = NULL, *l = NULL;

		ck_assert_int_eq(reg_key_verifier(witness, &nv, NULL), 0);
		ck_assert_int_eq(reg_key_from_verifier(nv, &nk, NULL), 0);
		ck_assert_int_eq(verify(nk, out, NULL, NULL, 0), REG_EKEY);
		ck_assert_int_eq(reg_cosign(nk, note, T0, &l, NULL), REG_EKEY);
		ck_assert_ptr_null(l);
		reg_key_free(nk);
		reg_free(nv);
	}

	/* No note signature over a cosignature's message. */
	{
		char *n2 = NULL;

		ck_assert_int_eq(reg_note_sign(witness,
		    "cosignature/v1\ntime 1\n" "log.example/a\n7\n" ROOT_B64
		    "\n", &n2, &err), REG_EINVAL);
		ck_assert_ptr_null(n2);
	}

	free(raw);
	free(craw);
	free(text);
	reg_free(cline);
	reg_free(own);
	reg_free(out);
	reg_free(note);
}
END_TEST

/* ------------------------------------------------------------ malformed */

enum { M_NOBLANK, M_NOTCHECKPOINT, M_NODASH, M_BADB64, M_NOPAD, M_NOSPACE,
    M_NONEWLINE, M_EMPTYSIGS, M_CONTROL, M_SHORT, M_LONG, M_NOTESIZE,
    M_TS63, M_TSMAX, M_MANY, M_BIGTEXT, M_BIGNOTE, M_COUNT };

static const struct {
	int code;
	const char *words;	/* in the message */
} malformed[M_COUNT] = {
	[M_NOBLANK] = { REG_EINVAL, "blank line" },
	[M_NOTCHECKPOINT] = { REG_EINVAL, "checkpoint line" },
	[M_NODASH] = { REG_EINVAL, "em dash" },
	[M_BADB64] = { REG_EINVAL, "base64" },
	[M_NOPAD] = { REG_EINVAL, "base64" },
	[M_NOSPACE] = { REG_EINVAL, "no space" },
	[M_NONEWLINE] = { REG_EINVAL, "newline" },
	[M_EMPTYSIGS] = { REG_EINVAL, "newline" },
	[M_CONTROL] = { REG_EINVAL, "control character" },
	[M_SHORT] = { REG_EINVAL, "71 bytes after its key id, not 72" },
	[M_LONG] = { REG_EINVAL, "73 bytes after its key id, not 72" },
	[M_NOTESIZE] = { REG_EINVAL, "64 bytes after its key id, not 72" },
	[M_TS63] = { REG_EINVAL, "timestamp 9223372036854775808" },
	[M_TSMAX] = { REG_EINVAL, "timestamp 18446744073709551615" },
	[M_MANY] = { REG_ETOOBIG, "more than 100 signatures" },
	[M_BIGTEXT] = { REG_ETOOBIG, "longer than" },
	[M_BIGNOTE] = { REG_ETOOBIG, "too long" },
};

/* A cosigned note made malformed in way m. */
static char *
malformed_note(int m, const char *note, const char *line)
{
	char *good = tu_concat(note, line), *s = NULL, *body, *big;
	uint8_t *raw;
	size_t len, i, n;

	raw = raw_of(line, &len);
	switch (m) {
	case M_NOBLANK:
		body = strstr(good, "\n\n");
		memmove(body + 1, body + 2, strlen(body + 2) + 1);
		s = strdup(good);
		break;
	case M_NOTCHECKPOINT:
		s = tu_concat("hello\n\n", strstr(good, EM_DASH));
		break;
	case M_NODASH:
		s = tu_concat(good, "- other.example AAAAAAAA\n");
		break;
	case M_BADB64:
		s = tu_concat(good, EM_DASH " other.example AAAA!AAA\n");
		break;
	case M_NOPAD:
		s = strdup(good);
		n = strlen(s);
		/* The witness's line ends "=\n" or "==\n": drop one '='. */
		ck_assert_int_eq(s[n - 2], '=');
		s[n - 2] = '\n';
		s[n - 1] = '\0';
		break;
	case M_NOSPACE:
		s = tu_concat(good, EM_DASH " other.example\n");
		break;
	case M_NONEWLINE:
		s = strdup(good);
		s[strlen(s) - 1] = '\0';
		break;
	case M_EMPTYSIGS:
		s = strndup(good, strlen(good) - strlen(strstr(good, "\n\n")) +
		    2);
		break;
	case M_CONTROL:
		s = strdup(good);
		s[2] = '\t';
		break;
	case M_SHORT:
	case M_LONG:
	case M_NOTESIZE:
		raw = realloc(raw, COSIG_RAW_LEN + 1);
		ck_assert_ptr_nonnull(raw);
		raw[COSIG_RAW_LEN] = 0;
		s = with_line(note, "witness.example/w1", raw, m == M_SHORT ?
		    COSIG_RAW_LEN - 1 : m == M_LONG ? COSIG_RAW_LEN + 1 : 68);
		break;
	case M_TS63:
	case M_TSMAX:
		for (i = 4; i < 12; i++)
			raw[i] = m == M_TSMAX ? 0xff : 0;
		raw[4] |= 0x80;
		s = with_line(note, "witness.example/w1", raw, len);
		break;
	case M_MANY:
		s = strdup(good);
		for (i = 0; i < 100; i++) {
			big = tu_concat(s, EM_DASH " other.example AAAAAAAA\n");
			free(s);
			s = big;
		}
		break;
	case M_BIGTEXT:
	case M_BIGNOTE:
		n = m == M_BIGTEXT ? REG_NOTE_MAX : 2 * REG_NOTE_MAX + 16;
		big = malloc(n + 1);
		ck_assert_ptr_nonnull(big);
		memset(big, 'x', n);
		big[n] = '\0';
		if (m == M_BIGTEXT) {
			/* An extension line that makes the text one byte
			 * longer than REG_NOTE_MAX. */
			body = strndup(good, strlen(good) -
			    strlen(strstr(good, "\n\n")) + 1);
			ck_assert_ptr_nonnull(body);
			big[REG_NOTE_MAX - strlen(body)] = '\0';
			s = malloc(strlen(good) + n + 3);
			ck_assert_ptr_nonnull(s);
			sprintf(s, "%s%s\n\n%s", body, big,
			    strstr(good, EM_DASH));
			free(body);
		} else {
			s = tu_concat(good, big);
		}
		free(big);
		break;
	}
	ck_assert_ptr_nonnull(s);
	free(raw);
	free(good);
	return s;
}

START_TEST(test_malformed)
{
	char *note = checkpoint_note(log_key, 7, ""), *line = NULL, *bad, *out;
	char msg[REG_ERROR_MSG_MAX];
	int r;

	ck_assert_int_eq(reg_cosign(witness, note, T0, &line, NULL), 0);
	bad = malformed_note(_i, note, line);
	r = verify(witness_pub, bad, NULL, msg, sizeof(msg));
	ck_assert_msg(r == malformed[_i].code, "case %d: %d (%s)", _i, r, msg);
	ck_assert_msg(strstr(msg, malformed[_i].words) != NULL,
	    "case %d: \"%s\" does not say \"%s\"", _i, msg,
	    malformed[_i].words);
	/* Nor will a witness cosign it (the cosignature's own faults aside). */
	if (_i != M_SHORT && _i != M_LONG && _i != M_NOTESIZE &&
	    _i != M_TS63 && _i != M_TSMAX) {
		out = (char *)1;
		r = reg_cosign_add(witness, bad, T0, &out, NULL);
		ck_assert_msg(r == malformed[_i].code, "cosign case %d: %d",
		    _i, r);
		ck_assert_ptr_null(out);
	}
	free(bad);
	reg_free(line);
	reg_free(note);
}
END_TEST

START_TEST(test_sign_reject)
{
	char *note = checkpoint_note(log_key, 7, ""), *line = (char *)1;
	char *many, *t;
	reg_error err = REG_ERROR_INIT;
	int i;

	ck_assert_int_eq(reg_cosign(witness, note, 0, &line, &err), REG_ERANGE);
	ck_assert_ptr_null(line);
	ck_assert_int_eq(reg_cosign(witness, note, (uint64_t)INT64_MAX + 1,
	    &line, NULL), REG_ERANGE);
	ck_assert_int_eq(reg_cosign(witness, note, UINT64_MAX, &line, NULL),
	    REG_ERANGE);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_cosign(witness_pub, note, T0, &line, &err),
	    REG_EKEY);
	ck_assert_ptr_nonnull(strstr(err.message, "no private key"));
	ck_assert_int_eq(reg_cosign(NULL, note, T0, &line, NULL), REG_EINVAL);
	ck_assert_int_eq(reg_cosign(witness, NULL, T0, &line, NULL),
	    REG_EINVAL);
	ck_assert_int_eq(reg_cosign(witness, "log.example/a\n7\n" ROOT_B64
	    "\n", T0, &line, NULL), REG_EINVAL);
	ck_assert_int_eq(reg_cosig_verify(NULL, note, NULL, NULL), REG_EINVAL);
	ck_assert_int_eq(reg_cosig_verify(witness, NULL, NULL, NULL),
	    REG_EINVAL);

	/* A note with 100 signatures may be cosigned, but not grown. */
	many = strdup(note);
	for (i = 1; i < 100; i++) {
		t = tu_concat(many, EM_DASH " other.example AAAAAAAA\n");
		free(many);
		many = t;
	}
	ck_assert_int_eq(reg_cosign(witness, many, T0, &line, NULL), 0);
	reg_free(line);
	line = (char *)1;
	reg_error_clear(&err);
	ck_assert_int_eq(reg_cosign_add(witness, many, T0, &line, &err),
	    REG_ETOOBIG);
	ck_assert_ptr_null(line);
	ck_assert_ptr_nonnull(strstr(err.message, "100 signatures"));

	free(many);
	reg_free(note);
}
END_TEST

/* ------------------------------------------- independent implementation */

/* Runs tests/cosig.py with args; returns its status, output in out. */
static int
run_python(const char *args, char *out, size_t outlen)
{
	char cmd[4096];
	int st;

	snprintf(cmd, sizeof(cmd), "%s '%s' %s", PYTHON,
	    tu_src_path(0, "tests/cosig.py"), args);
	st = tu_run(cmd, out, outlen);
	ck_assert_msg(st != 3, "%s lacks the \"cryptography\" package: "
	    "install python3-cryptography", PYTHON);
	ck_assert_msg(st != 127 && st != -1, "cannot run %s: %s", cmd, out);
	return st;
}

static void
write_text(const char *name, const char *text)
{
	char *p = tmp_path(name);

	tu_write_file(p, text);
	free(p);
}

/* Runs tests/cosig.py verify on a verifier key and a note. */
static int
python_verify(const char *vkey, const char *note, char *out, size_t outlen)
{
	char args[2048];

	write_text("py.vkey", vkey);
	write_text("py.note", note);
	snprintf(args, sizeof(args), "verify '%s/py.vkey' '%s/py.note'",
	    tmpdir, tmpdir);
	return run_python(args, out, outlen);
}

START_TEST(test_python_verifies)
{
	char *note = checkpoint_note(log_key, 7, "ext\n"), *out = NULL;
	char *v = NULL;
	char res[4096], *bad;
	uint8_t *raw;
	size_t len;

	ck_assert_int_eq(reg_cosig_verifier(witness, &v, NULL), 0);
	ck_assert_int_eq(reg_cosign_add(witness, note, T0, &out, NULL), 0);
	ck_assert_msg(python_verify(v, out, res, sizeof(res)) == 0, "%s", res);
	ck_assert_str_eq(res, "1700000000\n");

	/* One bit of the signature flipped: refused there too. */
	raw = raw_of(strstr(out, EM_DASH " witness.example/w1 "), &len);
	raw[40] ^= 0x04;
	bad = with_line(note, "witness.example/w1", raw, len);
	ck_assert_int_eq(python_verify(v, bad, res, sizeof(res)), 1);

	/* And the real checkpoint, as a check of the checker. */
	ck_assert_int_eq(python_verify(REMORA_VKEY, REAL_NOTE, res,
	    sizeof(res)), 0);
	ck_assert_str_eq(res, "1779573024\n");

	free(raw);
	free(bad);
	reg_free(v);
	reg_free(out);
	reg_free(note);
}
END_TEST

START_TEST(test_python_signs)
{
	reg_key *pub = NULL;
	char *note = checkpoint_note(log_key, 7, ""), *line = NULL, *v = NULL;
	char args[2048], res[4096], *pyline, *cosigned;
	uint64_t ts = 0;
	reg_error err = REG_ERROR_INIT;

	write_text("plain.note", note);
	snprintf(args, sizeof(args), "sign '%s/w.key' 1234567890 "
	    "'%s/plain.note'", tmpdir, tmpdir);
	ck_assert_msg(run_python(args, res, sizeof(res)) == 0, "%s", res);
	pyline = strchr(res, '\n');
	ck_assert_ptr_nonnull(pyline);
	*pyline++ = '\0';

	/* Python's witness verifier key is the library's... */
	ck_assert_int_eq(reg_cosig_verifier(witness, &v, NULL), 0);
	ck_assert_str_eq(res, v);
	ck_assert_msg(reg_cosig_key_from_verifier(res, &pub, &err) == 0, "%s",
	    err.message);
	/* ...its line the library's, byte for byte (Ed25519 is
	 * deterministic)... */
	ck_assert_int_eq(reg_cosign(witness, note, 1234567890, &line, NULL), 0);
	ck_assert_str_eq(pyline, line);
	/* ...and the library verifies it. */
	cosigned = tu_concat(note, pyline);
	ck_assert_int_eq(verify(pub, cosigned, &ts, err.message,
	    sizeof(err.message)), 0);
	ck_assert_uint_eq(ts, 1234567890);

	free(cosigned);
	reg_free(line);
	reg_free(v);
	reg_free(note);
	reg_key_free(pub);
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static TCase *
tcase(Suite *s, const char *name, int keys)
{
	TCase *tc = tcase_create(name);

	if (keys)
		tcase_add_checked_fixture(tc, keys_setup, keys_teardown);
	else
		tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *
cosign_suite(void)
{
	Suite *s = suite_create("cosign");
	TCase *tc;

	tc = tcase(s, "key", 0);
	tcase_add_test(tc, test_key_ids);
	tcase_add_test(tc, test_key_vectors);

	tc = tcase(s, "vector", 0);
	tcase_add_test(tc, test_real_checkpoint);

	tc = tcase(s, "roundtrip", 1);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_extension_lines);

	tc = tcase(s, "mutation", 1);
	tcase_add_test(tc, test_mutations_line);
	tcase_add_test(tc, test_mutations_body);
	tcase_add_test(tc, test_other_checkpoint);
	tcase_add_test(tc, test_not_note_signatures);

	tc = tcase(s, "malformed", 1);
	tcase_add_loop_test(tc, test_malformed, 0, M_COUNT);
	tcase_add_test(tc, test_sign_reject);

	tc = tcase(s, "python", 1);
	tcase_add_test(tc, test_python_verifies);
	tcase_add_test(tc, test_python_signs);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(cosign_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
