/* common/buf.c and common/strmap.c: the growable buffer and the string map. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common/buf.h"
#include "common/strmap.h"

/* Appends of every kind grow the buffer, which stays NUL-terminated. */
START_TEST(buf_appends)
{
	struct cm_buf b = CM_BUF_INIT;
	size_t i;

	cm_buf_add(&b, "", 0);
	ck_assert_ptr_nonnull(b.p);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.p, "");
	for (i = 0; i < 10000; i++) {
		cm_buf_addc(&b, (char)('a' + i % 26));
		cm_buf_adds(&b, "-x-");
		cm_buf_add(&b, "12345", i % 6);
	}
	ck_assert(!b.failed);
	ck_assert_uint_eq(b.len, 10000 * 4 + 10000 / 6 * 15 + 0 + 1 + 2 + 3);
	ck_assert_uint_eq(strlen(b.p), b.len);
	ck_assert(b.cap > b.len);
	ck_assert(strncmp(b.p, "a-x-b-x-1c-x-12", 15) == 0);
	cm_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.p, "");
	cm_buf_adds(&b, "again");
	ck_assert_str_eq(b.p, "again");
	cm_buf_free(&b);
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.cap, 0);
	cm_buf_free(&b);	/* twice is harmless */
}
END_TEST

/* A failed allocation is remembered: later appends do nothing, and the
 * text so far stays whole, until a reset. */
START_TEST(buf_failure_sticks)
{
	struct cm_buf b = CM_BUF_INIT;
	volatile size_t huge = SIZE_MAX / 2;	/* more than can be had */

	cm_buf_adds(&b, "kept");
	cm_buf_add(&b, "x", huge);
	ck_assert(b.failed);
	cm_buf_addc(&b, '!');
	cm_buf_adds(&b, "lost");
	ck_assert_uint_eq(b.len, 4);
	ck_assert_str_eq(b.p, "kept");
	cm_buf_reset(&b);
	ck_assert(!b.failed);
	cm_buf_addc(&b, 'y');
	ck_assert_str_eq(b.p, "y");
	cm_buf_free(&b);
}
END_TEST

/* Puts, gets, replaces and growth over many keys; keys are not copied. */
START_TEST(strmap_many)
{
	struct cm_strmap m = CM_STRMAP_INIT;
	static char keys[5000][16];
	size_t i, walked = 0;

	ck_assert_ptr_null(cm_strmap_get(&m, "none"));
	for (i = 0; i < 5000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "key-%zu", i);
		ck_assert_int_eq(cm_strmap_put(&m, keys[i], keys[i]), 0);
	}
	ck_assert_uint_eq(m.n, 5000);
	ck_assert(m.cap >= 2 * m.n && (m.cap & (m.cap - 1)) == 0);
	for (i = 0; i < 5000; i++) {
		char probe[16];

		snprintf(probe, sizeof(probe), "key-%zu", i);
		ck_assert_ptr_eq(cm_strmap_get(&m, probe), keys[i]);
	}
	ck_assert_ptr_null(cm_strmap_get(&m, "key-5000"));
	ck_assert_ptr_null(cm_strmap_get(&m, ""));
	ck_assert_int_eq(cm_strmap_put(&m, "key-7", (void *)1), 0);
	ck_assert_uint_eq(m.n, 5000);
	ck_assert_ptr_eq(cm_strmap_get(&m, "key-7"), (void *)1);
	for (i = 0; i < m.cap; i++)
		walked += m.t[i].key != NULL;
	ck_assert_uint_eq(walked, 5000);
	cm_strmap_clear(&m);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_ptr_null(cm_strmap_get(&m, "key-1"));
	ck_assert_int_eq(cm_strmap_put(&m, "", (void *)2), 0);
	ck_assert_ptr_eq(cm_strmap_get(&m, ""), (void *)2);
	cm_strmap_free(&m);
	ck_assert_ptr_null(m.t);
	ck_assert_ptr_null(cm_strmap_get(&m, ""));
}
END_TEST

/* The 64-bit FNV-1a test vectors (Fowler, Noll, Vo). */
START_TEST(strhash_vectors)
{
	ck_assert_uint_eq(cm_strhash(""), 0xcbf29ce484222325ull);
	ck_assert_uint_eq(cm_strhash("a"), 0xaf63dc4c8601ec8cull);
	ck_assert_uint_eq(cm_strhash("foobar"), 0x85944171f73967e8ull);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("buf_strmap");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, buf_appends);
	tcase_add_test(tc, buf_failure_sticks);
	tcase_add_test(tc, strmap_many);
	tcase_add_test(tc, strhash_vectors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
