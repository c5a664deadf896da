/*
 * The common codecs (common/): base64 and base64url with the RFC 4648
 * section 10 vectors, every bit flip, truncation and extension of an
 * encoding either refused or decoded to other bytes that encode back to
 * the changed text (one text per value); hex round trips and refusals;
 * UTF-8 with Markus Kuhn's cases (boundaries, overlongs, surrogates, past
 * U+10FFFF, lone and missing continuation bytes) and an exhaustive check
 * of every sequence of up to three bytes against the encoder.  No
 * database.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/hex.h"
#include "common/utf8.h"

/* ------------------------------------------------------------ base64 */

/* RFC 4648 section 10; base64url is the same text for these bytes. */
static const struct {
	const char *in, *padded, *bare, *hex;
} rfc[] = {
	{ "", "", "", "" },
	{ "f", "Zg==", "Zg", "66" },
	{ "fo", "Zm8=", "Zm8", "666f" },
	{ "foo", "Zm9v", "Zm9v", "666f6f" },
	{ "foob", "Zm9vYg==", "Zm9vYg", "666f6f62" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE", "666f6f6261" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy", "666f6f626172" },
};

/* Decodes text with flags into a fresh buffer; returns the code. */
static int
dec(const char *text, size_t len, int flags, uint8_t **out, size_t *n,
    size_t *where)
{
	*out = malloc(cm_base64_decoded_max(len, flags) + 1);
	ck_assert_ptr_nonnull(*out);
	return cm_base64_decode(text, len, *out, n, where, flags);
}

/* The encoding of n bytes with flags, as a fresh string. */
static char *
enc(const void *in, size_t n, int flags)
{
	size_t len = cm_base64_encoded_len(n, flags);
	char *s = malloc(len + 1);

	ck_assert_ptr_nonnull(s);
	cm_base64_encode(in, n, s, flags);
	ck_assert_uint_eq(strlen(s), len);
	return s;
}

START_TEST(base64_rfc_vectors)
{
	static const int all[] = { 0, CM_BASE64_URL, CM_BASE64_NOPAD,
	    CM_BASE64_URL | CM_BASE64_NOPAD };
	int f = all[_i % 4];
	size_t k = (size_t)_i / 4, n;
	const char *want = (f & CM_BASE64_NOPAD) ? rfc[k].bare : rfc[k].padded;
	char *s = enc(rfc[k].in, strlen(rfc[k].in), f);
	uint8_t *b;

	ck_assert_str_eq(s, want);
	ck_assert_int_eq(dec(want, strlen(want), f, &b, &n, NULL), 0);
	ck_assert_uint_eq(n, strlen(rfc[k].in));
	ck_assert(memcmp(b, rfc[k].in, n) == 0);
	free(b);
	free(s);
}
END_TEST

START_TEST(base64_alphabets)
{
	static const uint8_t in[] = { 0xfb, 0xff, 0xbf };
	size_t n, where = 99;
	uint8_t *b;
	char *s;

	s = enc(in, 2, 0);
	ck_assert_str_eq(s, "+/8=");
	free(s);
	s = enc(in, 2, CM_BASE64_URL);
	ck_assert_str_eq(s, "-_8=");
	free(s);
	s = enc(in, 3, CM_BASE64_URL | CM_BASE64_NOPAD);
	ck_assert_str_eq(s, "-_-_");
	free(s);
	/* Each alphabet refuses the other's two characters. */
	ck_assert_int_eq(dec("-_8=", 4, 0, &b, &n, &where), CM_BASE64_ECHAR);
	ck_assert_uint_eq(where, 0);
	free(b);
	ck_assert_int_eq(dec("+/8", 3, CM_BASE64_URL | CM_BASE64_NOPAD, &b,
	    &n, &where), CM_BASE64_ECHAR);
	free(b);
	ck_assert_int_eq(dec("A-8=", 4, 0, &b, &n, &where), CM_BASE64_ECHAR);
	ck_assert_uint_eq(where, 1);
	free(b);
}
END_TEST

/* Texts that no encoding has, with the reason and the bad offset. */
static const struct {
	const char *text;
	int flags, code;
	size_t where;
} bad64[] = {
	{ "Zg=", 0, CM_BASE64_ELENGTH, 0 },
	{ "Zg", 0, CM_BASE64_ELENGTH, 0 },
	{ "Zm9vY", 0, CM_BASE64_ELENGTH, 0 },
	{ "Z", CM_BASE64_NOPAD, CM_BASE64_ELENGTH, 0 },
	{ "Zm9vY", CM_BASE64_NOPAD, CM_BASE64_ELENGTH, 0 },
	{ "Zh==", 0, CM_BASE64_EBITS, 0 },
	{ "Zm9=", 0, CM_BASE64_EBITS, 0 },
	{ "Zh", CM_BASE64_NOPAD, CM_BASE64_EBITS, 0 },
	{ "Zm9", CM_BASE64_NOPAD, CM_BASE64_EBITS, 0 },
	{ "Z===", 0, CM_BASE64_ECHAR, 1 },
	{ "====", 0, CM_BASE64_ECHAR, 0 },
	{ "=Zg=", 0, CM_BASE64_ECHAR, 0 },
	{ "Zg==Zg==", 0, CM_BASE64_ECHAR, 2 },
	{ "Zg=a", 0, CM_BASE64_ECHAR, 2 },
	{ "Zm9v\nYmFy", CM_BASE64_NOPAD, CM_BASE64_ELENGTH, 0 },
	{ "Zm9v YmF", CM_BASE64_NOPAD, CM_BASE64_ECHAR, 4 },
	{ "Zm9vYg==", CM_BASE64_NOPAD, CM_BASE64_ECHAR, 6 },
	{ "Zm8=", CM_BASE64_NOPAD | CM_BASE64_URL, CM_BASE64_ECHAR, 3 },
	{ "Zm9v\x80mFy", 0, CM_BASE64_ECHAR, 4 },
};

START_TEST(base64_refusals)
{
	size_t n, where = 99;
	uint8_t *b;

	ck_assert_int_eq(dec(bad64[_i].text, strlen(bad64[_i].text),
	    bad64[_i].flags, &b, &n, &where), bad64[_i].code);
	if (bad64[_i].code == CM_BASE64_ECHAR)
		ck_assert_uint_eq(where, bad64[_i].where);
	free(b);
	/* A NUL inside the text is a byte like the others. */
	ck_assert_int_eq(dec("Zm\0v", 4, 0, &b, &n, &where), CM_BASE64_ECHAR);
	ck_assert_uint_eq(where, 2);
	free(b);
}
END_TEST

/*
 * The text t (length len) changed somehow: refused, or it decodes to bytes
 * other than orig whose encoding is t again (so no value has two texts).
 */
static void
other_or_refused(const char *t, size_t len, int flags, const uint8_t *orig,
    size_t olen)
{
	uint8_t *b;
	size_t n;
	char *again;

	if (dec(t, len, flags, &b, &n, NULL) == 0) {
		ck_assert(n != olen || memcmp(b, orig, n) != 0);
		again = enc(b, n, flags);
		ck_assert_uint_eq(strlen(again), len);
		ck_assert(memcmp(again, t, len) == 0);
		free(again);
	}
	free(b);
}

START_TEST(base64_mutations)
{
	int f = _i;
	uint8_t in[40];
	size_t n, i, len;
	int bit;
	char *s, *t;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (n = 0; n <= sizeof(in); n++) {
		s = enc(in, n, f);
		len = strlen(s);
		t = malloc(len + 2);
		ck_assert_ptr_nonnull(t);
		/* Every bit flip. */
		for (i = 0; i < len; i++)
			for (bit = 0; bit < 8; bit++) {
				memcpy(t, s, len + 1);
				t[i] ^= (char)(1 << bit);
				other_or_refused(t, len, f, in, n);
			}
		/* Every truncation, and every one-character extension. */
		for (i = 0; i < len; i++)
			other_or_refused(s, i, f, in, n);
		for (bit = 0; bit < 256; bit++) {
			memcpy(t, s, len);
			t[len] = (char)bit;
			other_or_refused(t, len + 1, f, in, n);
		}
		free(t);
		free(s);
	}
}
END_TEST

START_TEST(base64_digits)
{
	int c, std = 0, url = 0;

	for (c = -1; c < 257; c++) {
		std += cm_base64_digit(c, 0) >= 0;
		url += cm_base64_digit(c, CM_BASE64_URL) >= 0;
	}
	ck_assert_int_eq(std, 64);
	ck_assert_int_eq(url, 64);
	ck_assert_int_eq(cm_base64_digit('/', 0), 63);
	ck_assert_int_eq(cm_base64_digit('_', CM_BASE64_URL), 63);
	ck_assert_int_eq(cm_base64_digit('-', 0), -1);
	ck_assert_int_eq(cm_base64_digit('=', 0), -1);
	ck_assert_int_eq(cm_base64_digit('a', 0), 26);
}
END_TEST

START_TEST(base64_lengths)
{
	ck_assert_uint_eq(cm_base64_encoded_len(SIZE_MAX, 0), SIZE_MAX);
	ck_assert_uint_eq(cm_base64_encoded_len(SIZE_MAX / 4 * 3, 0),
	    SIZE_MAX);
	ck_assert_uint_eq(cm_base64_encoded_len(32, 0), 44);
	ck_assert_uint_eq(cm_base64_encoded_len(32, CM_BASE64_NOPAD), 43);
	ck_assert_uint_eq(cm_base64_encoded_len(64, CM_BASE64_NOPAD), 86);
	ck_assert_uint_eq(cm_base64_decoded_max(44, 0), 33);
	ck_assert_uint_eq(cm_base64_decoded_max(43, CM_BASE64_NOPAD), 32);
	ck_assert_uint_eq(cm_base64_decoded_max(86, CM_BASE64_NOPAD), 64);
}
END_TEST

/* ------------------------------------------------------------ hex */

START_TEST(hex_vectors)
{
	uint8_t b[8];
	char s[17];
	size_t k;

	for (k = 0; k < sizeof(rfc) / sizeof(rfc[0]); k++) {
		cm_hex_encode(rfc[k].in, strlen(rfc[k].in), s);
		ck_assert_str_eq(s, rfc[k].hex);
		ck_assert_int_eq(cm_hex_decode(rfc[k].hex, strlen(rfc[k].hex),
		    b, 0), 0);
		ck_assert(memcmp(b, rfc[k].in, strlen(rfc[k].in)) == 0);
	}
}
END_TEST

START_TEST(hex_round_trip)
{
	uint8_t in[256], out[256];
	char s[513], up[513];
	size_t i;

	for (i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	cm_hex_encode(in, 256, s);
	ck_assert_uint_eq(strlen(s), 512);
	ck_assert_int_eq(cm_hex_decode(s, 512, out, 0), 0);
	ck_assert(memcmp(in, out, 256) == 0);
	/* Upper case only where the caller accepts it. */
	for (i = 0; i <= 512; i++)
		up[i] = (s[i] >= 'a' && s[i] <= 'f') ? (char)(s[i] - 32) : s[i];
	ck_assert_int_eq(cm_hex_decode(up, 512, out, 0), -1);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(cm_hex_decode(up, 512, out, CM_HEX_ANYCASE), 0);
	ck_assert(memcmp(in, out, 256) == 0);
}
END_TEST

START_TEST(hex_refusals)
{
	uint8_t b[4];
	int c, lower = 0, any = 0;

	ck_assert_int_eq(cm_hex_decode("abc", 3, b, 0), -1);
	ck_assert_int_eq(cm_hex_decode("a", 1, b, CM_HEX_ANYCASE), -1);
	ck_assert_int_eq(cm_hex_decode("0g", 2, b, CM_HEX_ANYCASE), -1);
	ck_assert_int_eq(cm_hex_decode("0A", 2, b, 0), -1);
	ck_assert_int_eq(cm_hex_decode(" 0", 2, b, 0), -1);
	ck_assert_int_eq(cm_hex_decode("0\0", 2, b, 0), -1);
	ck_assert_int_eq(cm_hex_decode("", 0, b, 0), 0);
	/* Exactly 16 digits in lower case, 22 in both cases. */
	for (c = -1; c < 256; c++) {
		lower += cm_hex_digit(c, 0) >= 0;
		any += cm_hex_digit(c, CM_HEX_ANYCASE) >= 0;
	}
	ck_assert_int_eq(lower, 16);
	ck_assert_int_eq(any, 22);
	ck_assert_int_eq(cm_hex_digit('F', CM_HEX_ANYCASE), 15);
	ck_assert_int_eq(cm_hex_digit('f', 0), 15);
	ck_assert_int_eq(cm_hex_digit('9', 0), 9);
}
END_TEST

/* ------------------------------------------------------------ UTF-8 */

/* Well-formed characters (Markus Kuhn's boundary cases among them). */
static const struct {
	const char *s;
	uint32_t cp;
} good8[] = {
	{ "\x00", 0 }, { "\x7f", 0x7f },
	{ "\xc2\x80", 0x80 }, { "\xdf\xbf", 0x7ff },
	{ "\xe0\xa0\x80", 0x800 }, { "\xef\xbf\xbf", 0xffff },
	{ "\xed\x9f\xbf", 0xd7ff }, { "\xee\x80\x80", 0xe000 },
	{ "\xef\xbf\xbd", 0xfffd }, { "\xef\xbf\xbe", 0xfffe },
	{ "\xf0\x90\x80\x80", 0x10000 }, { "\xf4\x8f\xbf\xbf", 0x10ffff },
	{ "\xce\xba", 0x3ba }, { "\xe2\x80\x94", 0x2014 },
};

/* Ill-formed sequences: overlongs, surrogates, past U+10FFFF, the old five
 * and six byte forms, bytes that never appear, lone continuation bytes and
 * sequences cut short. */
static const char *const bad8[] = {
	"\xc0\x80", "\xc1\xbf", "\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf",
	"\xe0\x80\x80", "\xe0\x9f\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
	"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xb0\x80",
	"\xed\xbf\xbf", "\xed\xa0\x80\xed\xb0\x80",
	"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf7\xbf\xbf\xbf",
	"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80", "\xfe", "\xff",
	"\x80", "\xbf", "\x80\xbf", "\xc2", "\xc2 ", "\xe0\xa0", "\xe2\x80 ",
	"\xf0\x90\x80", "\xf4\x8f\xbf", "\xc2\xc2\x80", "\xe0\xa0\xc0",
};

START_TEST(utf8_good)
{
	const char *s = good8[_i].s;
	size_t n = s[0] == 0 ? 1 : strlen(s);
	uint32_t cp = 0xffffffff;
	char e[4];

	ck_assert_uint_eq(cm_utf8_decode((const uint8_t *)s, n, &cp), n);
	ck_assert_uint_eq(cp, good8[_i].cp);
	ck_assert(cm_utf8_valid(s, n));
	ck_assert_uint_eq(cm_utf8_chars(s, n), 1);
	ck_assert_uint_eq(cm_utf8_encode(cp, e), n);
	ck_assert(memcmp(e, s, n) == 0);
	/* Every shorter piece is refused. */
	for (n = n - 1; n > 0; n--) {
		ck_assert_uint_eq(cm_utf8_decode((const uint8_t *)s, n, &cp), 0);
		ck_assert(!cm_utf8_valid(s, n));
	}
}
END_TEST

START_TEST(utf8_bad)
{
	const char *s = bad8[_i];
	char text[64];
	uint32_t cp;

	ck_assert(!cm_utf8_valid(s, strlen(s)));
	/* Refused in the middle of valid text too. */
	snprintf(text, sizeof(text), "ab\xce\xba%sz", s);
	ck_assert(!cm_utf8_valid(text, strlen(text)));
	ck_assert(cm_utf8_valid(text, 4));
	if ((unsigned char)s[0] >= 0x80)
		ck_assert_uint_eq(cm_utf8_decode((const uint8_t *)s,
		    strlen(s), &cp), 0);
}
END_TEST

/* Whether b (n bytes) starts with the encoding of a scalar value: the
 * reference, from the encoder. */
static size_t
reference(const uint8_t *b, size_t n)
{
	uint32_t cp = 0;
	size_t len, i;
	char e[4];

	if (b[0] < 0x80)
		return 1;
	len = b[0] >= 0xf0 ? 4 : b[0] >= 0xe0 ? 3 : b[0] >= 0xc0 ? 2 : 0;
	if (len == 0 || len > n || b[0] > 0xf7)
		return 0;
	cp = b[0] & (0x7f >> len);
	for (i = 1; i < len; i++)
		cp = cp << 6 | (b[i] & 0x3f);
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cm_utf8_encode(cp, e) != len || memcmp(e, b, len) != 0)
		return 0;
	return len;
}

START_TEST(utf8_exhaustive)
{
	uint8_t b[4];
	uint32_t x, cp;
	size_t want, got;

	/* Every sequence of one to three bytes, and four-byte ones with
	 * every first three bytes and a few last ones. */
	for (x = 0; x < (1u << 24); x++) {
		b[0] = (uint8_t)(x >> 16);
		b[1] = (uint8_t)(x >> 8);
		b[2] = (uint8_t)x;
		b[3] = (x & 1) ? 0x80 : (x & 2) ? 0xbf : 0x7f;
		want = reference(b, 4);
		got = cm_utf8_decode(b, 4, &cp);
		/* Plain ifs: a check per sequence would be slow. */
		if (want != got)
			ck_abort_msg("%02x %02x %02x %02x: %zu, not %zu",
			    b[0], b[1], b[2], b[3], got, want);
		if (cm_utf8_valid((const char *)b, 4) != (want != 0 &&
		    (want == 4 || cm_utf8_valid((const char *)b + want,
		    4 - want))))
			ck_abort_msg("%02x %02x %02x %02x: valid() disagrees",
			    b[0], b[1], b[2], b[3]);
	}
	/* Every scalar value encodes and decodes back. */
	for (x = 0; x <= 0x10ffff; x++) {
		char e[4];

		if (x >= 0xd800 && x <= 0xdfff)
			continue;
		got = cm_utf8_encode(x, e);
		if (cm_utf8_decode((const uint8_t *)e, got, &cp) != got ||
		    cp != x)
			ck_abort_msg("U+%04X does not come back", (unsigned)x);
	}
}
END_TEST

START_TEST(utf8_count_and_cut)
{
	static const char s[] = "a\xce\xba\xe2\x80\x94\xf0\x90\x80\x80z";
	size_t n = strlen(s);

	ck_assert_uint_eq(cm_utf8_chars(s, n), 5);
	ck_assert_uint_eq(cm_utf8_chars(s, 0), 0);
	ck_assert_uint_eq(cm_utf8_cut(s, 0), 0);
	ck_assert_uint_eq(cm_utf8_cut(s, 1), 1);
	ck_assert_uint_eq(cm_utf8_cut(s, 2), 1);
	ck_assert_uint_eq(cm_utf8_cut(s, 3), 3);
	ck_assert_uint_eq(cm_utf8_cut(s, 5), 3);
	ck_assert_uint_eq(cm_utf8_cut(s, 6), 6);
	ck_assert_uint_eq(cm_utf8_cut(s, 9), 6);
	ck_assert_uint_eq(cm_utf8_cut(s, 10), 10);
	ck_assert_uint_eq(cm_utf8_cut(s, n), n);
}
END_TEST

START_TEST(utf8_text)
{
	static const char t[] = "ab\xce\xba\n\tc\xc2\x85\x7f\xc3\x28";
	uint32_t cp = 0;
	size_t where = 99;

	ck_assert_int_eq(cm_utf8_text(t, 4, CM_UTF8_C0 | CM_UTF8_DEL_C1,
	    NULL, NULL), 0);
	ck_assert_int_eq(cm_utf8_text(t, 5, CM_UTF8_C0, &where, &cp),
	    CM_UTF8_ECONTROL);
	ck_assert_uint_eq(where, 4);
	ck_assert_uint_eq(cp, '\n');
	ck_assert_int_eq(cm_utf8_text(t, 5, CM_UTF8_C0 | CM_UTF8_LF_OK, NULL,
	    NULL), 0);
	ck_assert_int_eq(cm_utf8_text(t, 6, CM_UTF8_C0 | CM_UTF8_LF_OK,
	    &where, &cp), CM_UTF8_ECONTROL);
	ck_assert_uint_eq(where, 5);
	ck_assert_uint_eq(cp, '\t');
	/* C1 and DEL only when asked. */
	ck_assert_int_eq(cm_utf8_text(t + 6, 4, CM_UTF8_C0, NULL, NULL), 0);
	ck_assert_int_eq(cm_utf8_text(t + 6, 4, CM_UTF8_DEL_C1, &where, &cp),
	    CM_UTF8_ECONTROL);
	ck_assert_uint_eq(where, 1);
	ck_assert_uint_eq(cp, 0x85);
	ck_assert_int_eq(cm_utf8_text(t + 9, 1, CM_UTF8_DEL_C1, &where, &cp),
	    CM_UTF8_ECONTROL);
	ck_assert_uint_eq(cp, 0x7f);
	ck_assert_int_eq(cm_utf8_text(t, sizeof(t) - 1, 0, &where, NULL),
	    CM_UTF8_EINVALID);
	ck_assert_uint_eq(where, 10);
	/* U+0000 is a C0 control, and not refused without CM_UTF8_C0. */
	ck_assert_int_eq(cm_utf8_text("a\0b", 3, 0, NULL, NULL), 0);
	ck_assert_int_eq(cm_utf8_text("a\0b", 3, CM_UTF8_C0, NULL, NULL),
	    CM_UTF8_ECONTROL);
}
END_TEST

static Suite *
common_suite(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("codecs");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, base64_rfc_vectors, 0,
	    (int)(4 * sizeof(rfc) / sizeof(rfc[0])));
	tcase_add_test(tc, base64_alphabets);
	tcase_add_loop_test(tc, base64_refusals, 0,
	    (int)(sizeof(bad64) / sizeof(bad64[0])));
	tcase_add_loop_test(tc, base64_mutations, 0, 4);
	tcase_add_test(tc, base64_digits);
	tcase_add_test(tc, base64_lengths);
	tcase_add_test(tc, hex_vectors);
	tcase_add_test(tc, hex_round_trip);
	tcase_add_test(tc, hex_refusals);
	tcase_add_loop_test(tc, utf8_good, 0,
	    (int)(sizeof(good8) / sizeof(good8[0])));
	tcase_add_loop_test(tc, utf8_bad, 0,
	    (int)(sizeof(bad8) / sizeof(bad8[0])));
	tcase_add_test(tc, utf8_exhaustive);
	tcase_add_test(tc, utf8_count_and_cut);
	tcase_add_test(tc, utf8_text);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(common_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
