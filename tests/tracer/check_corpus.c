/*
 * Quality of the trace engine's answers on a small generated corpus
 * (tests/gen_corpus.py, fixed seed): top-1 at least 95% for requests with
 * one or two damaged characters whose truth is not ambiguous, and never a
 * "found" of another weapon where another weapon fits as well as the truth.
 * The benchmark (tests/bench/bench_trace.c) runs the same on a million
 * weapons.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "registry/leaf_ref.h"
#include "testutil.h"

START_TEST(accuracy)
{
	reg_error err = REG_ERROR_INIT;
	struct corpus_request *cr = NULL;
	struct corpus_score *sc = NULL;
	size_t ncr = 0, nsc = 0, i;
	reg_pii_keyring *kr = NULL;
	tr_policy *policy = NULL;
	tr_engine *e = NULL;
	reg_ctx *ctx = NULL;
	const char *ci = tu_db_migrated();
	char *tmp = tu_tmpdir(), dir[4200], key[4200], msg[1024];
	int chars = 0, chars_top1 = 0;

	snprintf(dir, sizeof(dir), "%s/corpus", tmp);
	snprintf(key, sizeof(key), "%s/pii.key", tmp);
	ck_assert_msg(corpus_generate(dir, 11, 0, 4000, 600, msg, sizeof(msg)) == 0,
	    "%s", msg);
	ck_assert(reg_pii_keygen(key, 0, NULL, &err) == 0);
	ck_assert(reg_pii_keyring_load(key, &kr, &err) == 0);
	ck_assert(reg_open(ci, 0, &ctx, &err) == 0);
	ck_assert_msg(corpus_load(ctx, kr, dir, 0, msg, sizeof(msg)) == 0, "%s", msg);
	/* Every leaf of the corpus as the jansson reference encodes it. */
	ck_assert_msg(leaf_ref_check_log(ctx, msg, sizeof(msg)) > 4000, "%s", msg);
	ck_assert_msg(corpus_requests(ctx, dir, &cr, &ncr, msg, sizeof(msg)) == 0,
	    "%s", msg);
	ck_assert_uint_ge(ncr, 500);
	ck_assert(tr_policy_default("NL", &policy, &err) == 0);
	ck_assert_msg(tr_engine_new(ctx, policy, kr, NULL, &e, &err) == 0, "%s",
	    err.message);
	for (i = 0; i < ncr; i++) {
		proto_response *resp = NULL;

		ck_assert_msg(tr_trace(e, cr[i].req, &resp, &err) == 0, "%s", err.message);
		ck_assert(corpus_score_add(&sc, &nsc, &cr[i], resp) == 0);
		if (getenv("CORPUS_DEBUG") != NULL)
			corpus_explain(&cr[i], resp);
		proto_response_free(resp);
	}
	corpus_score_print(sc, nsc);
	for (i = 0; i < nsc; i++) {
		ck_assert_msg(sc[i].ambiguous_wrong_found == 0, "%s: %d wrong found where "
		    "the truth is ambiguous", sc[i].damage, sc[i].ambiguous_wrong_found);
		if (strcmp(sc[i].damage, "exact") == 0)
			ck_assert_int_eq(sc[i].top1, sc[i].resolvable);
		if (corpus_damage_is_chars(sc[i].damage)) {
			chars += sc[i].resolvable;
			chars_top1 += sc[i].top1;
		}
	}
	ck_assert_int_ge(chars, 200);
	ck_assert_msg(chars_top1 * 100 >= chars * 95, "top-1 %d of %d requests with "
	    "one or two damaged characters", chars_top1, chars);
	tr_engine_free(e);
	tr_policy_free(policy);
	reg_close(ctx);
	reg_pii_keyring_free(kr);
	free(sc);
	corpus_requests_free(cr, ncr);
	tu_rmtree(tmp);
	free(tmp);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("corpus");
	TCase *t = tcase_create("accuracy");
	SRunner *sr;
	int failed;

	tcase_set_timeout(t, 300);
	tcase_add_test(t, accuracy);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
