/*
 * registry/leaf.c, the one encoder of canonical record leaves, against the
 * jansson reference (tests/registry/leaf_ref.c): hostile strings in every
 * column of every record type, random strings, values at the size limit,
 * and the leaves a registry stores (the other tests check every leaf they
 * write with leaf_ref_check_log(); here it is shown to catch a leaf that
 * differs).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "leaf_int.h"
#include "leaf_ref.h"
#include "testutil.h"

/*
 * Encodes values with both encoders and compares: the same code, the same
 * message on failure, the same bytes on success.  Returns the code.
 */
static int
same(const struct reg__recdef *def, const char *const *values)
{
	reg_error e1 = REG_ERROR_INIT, e2 = REG_ERROR_INIT;
	struct cm_buf b = CM_BUF_INIT;
	char *ref = NULL;
	size_t reflen = 0;
	int r1, r2;

	r1 = leaf_ref_encode(def, values, &ref, &reflen, &e1);
	r2 = reg__leaf_encode(&b, def, NULL, values, &e2);
	ck_assert_msg(r1 == r2, "%s: the reference gives %d (%s), leaf.c %d (%s)",
	    def->type, r1, e1.message, r2, e2.message);
	if (r1 == 0)
		ck_assert_msg(reflen == b.len && memcmp(ref, b.p, reflen) == 0,
		    "%s: the reference encodes\n%.400s\nleaf.c\n%.400s", def->type, ref,
		    b.p);
	else
		ck_assert_str_eq(e1.message, e2.message);
	free(ref);
	cm_buf_free(&b);
	return r1;
}

static const char *const hostile[] = {
	"", "plain", "\"", "\\", "\"\\\"", "a\"b\\c\"", "\\u0000", "\\\"",
	"\x01", "\x1f", "\b\f\n\r\t", "tab\there", "\x7f", "del\x7f""del",
	"/slash/", "<script>&amp;</script>", "\xc3\xa9t\xc3\xa9",	/* été */
	"\xe2\x82\xac", "\xe2\x80\xa8\xe2\x80\xa9",	/* € U+2028 U+2029 */
	"\xef\xbb\xbf""bom", "\xef\xbf\xbd", "\xef\xbf\xbf",	/* U+FEFF, U+FFFD, U+FFFF */
	"\xf0\x9f\x94\xab", "\xf0\x9d\x84\x9e", "\xf4\x8f\xbf\xbf",	/* 🔫 𝄞 U+10FFFF */
	"\xc2\x80\xc2\x9f\xc2\xa0", "\xd7\x90\xd7\x91 \xd8\xa7", "\xe4\xb8\xad\xe6\x96\x87",
	/* not UTF-8: both must refuse it, naming the same column */
	"\x80", "a\xc0\x80", "\xc1\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
	"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xe2\x82", "\xff", "\xfe",
	"ok\xe2\x82", "\xf0\x9f\x94",
	NULL
};

/* Every hostile string in every column of every record type, the other
 * columns plain or null. */
START_TEST(hostile_strings)
{
	const char *values[REC_MAX_COLS];
	int t, c, k, h, ok = 0, refused = 0;

	for (t = 0; t < REC_NTYPES; t++) {
		const struct reg__recdef *def = &reg__recdefs[t];

		for (c = 0; c < def->ncols; c++)
			for (h = 0; hostile[h] != NULL; h++)
				for (k = 0; k < 2; k++) {
					int i;

					for (i = 0; i < def->ncols; i++)
						values[i] = k == 0 ? "x" : NULL;
					values[c] = hostile[h];
					if (same(def, values) == 0)
						ok++;
					else
						refused++;
				}
		for (c = 0; c < def->ncols; c++)
			values[c] = hostile[c % 40];
		(void)same(def, values);
	}
	ck_assert_int_gt(ok, 1000);
	ck_assert_int_gt(refused, 100);
}
END_TEST

/* Every byte alone and between letters. */
START_TEST(every_byte)
{
	const struct reg__recdef *def = &reg__recdefs[REC_EVENT];
	const char *values[REC_MAX_COLS];
	char s[4][8];
	int b, i;

	for (b = 1; b < 256; b++) {
		snprintf(s[0], sizeof(s[0]), "%c", b);
		snprintf(s[1], sizeof(s[1]), "a%cz", b);
		snprintf(s[2], sizeof(s[2]), "\xc3%c", b);
		snprintf(s[3], sizeof(s[3]), "\xf0\x9f%c\xab", b);
		for (i = 0; i < def->ncols; i++)
			values[i] = i < 4 ? s[i] : "v";
		(void)same(def, values);
		for (i = 0; i < 4; i++) {
			int j;

			for (j = 0; j < def->ncols; j++)
				values[j] = "v";
			values[def->ncols - 1 - i] = s[i];
			(void)same(def, values);
		}
	}
}
END_TEST

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Random strings of pieces: ASCII, escapes, control bytes, whole and
 * broken UTF-8 sequences. */
START_TEST(random_strings)
{
	static const char *const piece[] = {
		"a", "Z", "0", " ", "-", "\"", "\\", "\n", "\t", "\x01", "\x1b",
		"\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x94\xab", "\xc3",
		"\xe2\x82", "\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xef\xbb\xbf",
		"\xc2\xa0", "/", "{", "}", ",", ":",
	};
	const size_t npiece = sizeof(piece) / sizeof(piece[0]);
	char s[REC_MAX_COLS][200];
	const char *values[REC_MAX_COLS];
	int n, c, len, ok = 0;

	for (n = 0; n < 20000; n++) {
		const struct reg__recdef *def = &reg__recdefs[next() % REC_NTYPES];

		for (c = 0; c < def->ncols; c++) {
			s[c][0] = '\0';
			for (len = (int)(next() % 12); len > 0; len--)
				strcat(s[c], next() % 4 == 0 ? piece[next() % npiece] :
				    piece[next() % 5]);
			values[c] = next() % 8 == 0 ? NULL : s[c];
		}
		ok += same(def, values) == 0;
	}
	ck_assert_int_gt(ok, 1000);
}
END_TEST

/* Values around REG_LOG_LEAF_MAX: the leaf at the limit is encoded, one
 * byte over is refused, by both; long escaped values too. */
START_TEST(long_values)
{
	const struct reg__recdef *def = &reg__recdefs[REC_ALIAS];
	const char *values[REC_MAX_COLS];
	struct cm_buf b = CM_BUF_INIT;
	reg_error e = REG_ERROR_INIT;
	size_t base, fill;
	char *big = malloc(REG_LOG_LEAF_MAX + 16);
	int c, k;

	ck_assert_ptr_nonnull(big);
	for (c = 0; c < def->ncols; c++)
		values[c] = "";
	ck_assert_int_eq(reg__leaf_encode(&b, def, NULL, values, &e), 0);
	base = b.len;
	for (k = -2; k <= 2; k++) {
		fill = REG_LOG_LEAF_MAX - base + (size_t)(k + 2) - 2;
		memset(big, 'a', fill);
		big[fill] = '\0';
		values[def->ncols - 1] = big;
		ck_assert_int_eq(same(def, values), k <= 0 ? 0 : REG_ETOOBIG);
	}
	/* Every byte escaped: six bytes out for two in. */
	for (fill = 0; fill + 2 < 30000; fill += 2)
		memcpy(big + fill, "\xc3\xa9", 2);
	big[fill] = '\0';
	ck_assert_int_eq(same(def, values), REG_ETOOBIG);
	big[3000] = '\0';
	ck_assert_int_eq(same(def, values), 0);
	memset(big, '\x02', 5000);
	big[5000] = '\0';
	ck_assert_int_eq(same(def, values), 0);
	free(big);
	cm_buf_free(&b);
}
END_TEST

/* leaf_ref_check_log() finds a stored leaf that the encoders would not
 * make: so the other tests' calls of it can fail. */
START_TEST(check_log_catches)
{
	const char *ci = tu_db_migrated();
	reg_error err = REG_ERROR_INIT;
	struct reg_party_in in = { "dealer", "D\xc3\xa9j\xc3\xa0 \"vu\" \\ 1", "BE",
	    NULL, NULL, "P-1", NULL };
	struct reg_written w;
	reg_ctx *ctx;
	char msg[600];

	ck_assert(reg_open(ci, 0, &ctx, &err) == 0);
	ck_assert_msg(reg_party_add(ctx, NULL, &in, &w, &err) == 0, "%s", err.message);
	ck_assert_msg(leaf_ref_check_log(ctx, msg, sizeof(msg)) == 1, "%s", msg);
	/* The same JSON, its name escaped otherwise (\u00E9 as \u00e9). */
	tu_exec(ci, "SET session_replication_role = replica; "
	    "UPDATE log_entry SET leaf = convert_to(replace(convert_from(leaf, "
	    "'UTF8'), '\\u00E9', '\\u00e9'), 'UTF8')");
	ck_assert_int_eq(leaf_ref_check_log(ctx, msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "not what the reference encodes") != NULL, "%s", msg);
	reg_close(ctx);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("leaf");
	TCase *tc = tcase_create("leaf");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, hostile_strings);
	tcase_add_test(tc, every_byte);
	tcase_add_test(tc, random_strings);
	tcase_add_test(tc, long_values);
	tcase_add_test(tc, check_log_catches);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
