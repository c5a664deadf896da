/*
 * Tests of witnessed logs in libregistry (registry/witness.c): the
 * cosignature body a witness delivers, parsed from good, mutated,
 * truncated, extended and oversized input (the consistency proof it reads
 * is the protocol's: tests/proto/check_codecs.c); then, on a throwaway database,
 * a log that takes cosignatures of its configured witnesses over its own
 * checkpoints only, serves them with its latest checkpoint, and a
 * witness's record of what it cosigned and of its alarms.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "registry/registry.h"
#include "testutil.h"

/* The library's calls as this test uses them. */
#define COSIGNATURE_ADD(ctx, keys, b, stored, err) \
	reg_log_cosignature_add(ctx, keys, 1, b, strlen(b), \
	    REG_COSIG_SKEW_DEFAULT, stored, err)
#define LATEST_COSIGNED(ctx, note, err) \
	reg_log_latest_cosigned(ctx, REG_COSIG_SKEW_DEFAULT, note, NULL, err)

static char *dir;
static reg_key *log_key, *wit, *wit_pub, *other;

static reg_key *
new_key(const char *name, const char *file)
{
	reg_error err = REG_ERROR_INIT;
	char *path = tu_concat(dir, file);
	reg_key *k = NULL;

	ck_assert_msg(reg_key_generate(name, path, &err) == 0, "%s", err.message);
	ck_assert_msg(reg_key_load(path, &k, &err) == 0, "%s", err.message);
	free(path);
	return k;
}

static void
setup(void)
{
	reg_error err = REG_ERROR_INIT;
	char *v = NULL;
	char *tmp = tu_tmpdir();

	dir = tu_concat(tmp, "/");
	free(tmp);
	log_key = new_key("log.example/a", "log.key");
	wit = new_key("witness.example/w1", "w.key");
	other = new_key("witness.example/w2", "o.key");
	ck_assert(reg_cosig_verifier(wit, &v, &err) == 0);
	ck_assert_msg(reg_cosig_key_from_verifier(v, &wit_pub, &err) == 0, "%s",
	    err.message);
	reg_free(v);
}

static void
teardown(void)
{
	reg_key_free(log_key);
	reg_key_free(wit);
	reg_key_free(wit_pub);
	reg_key_free(other);
	tu_rmtree(dir);
	free(dir);
}

/* The cosignature body of note by k: its text, a blank line, the line. */
static char *
body_of(const char *note, const reg_key *k, uint64_t ts)
{
	reg_error err = REG_ERROR_INIT;
	const char *end = strstr(note, "\n\n");
	char *line = NULL, *b;
	size_t tl;

	ck_assert(end != NULL);
	ck_assert_msg(reg_cosign(k, note, ts, &line, &err) == 0, "%s", err.message);
	tl = (size_t)(end - note) + 2;
	b = malloc(tl + strlen(line) + 1);
	ck_assert(b != NULL);
	memcpy(b, note, tl);
	strcpy(b + tl, line);
	reg_free(line);
	return b;
}

static char *
signed_checkpoint(uint64_t size, uint8_t fill)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_checkpoint cp;
	char *text = NULL, *note = NULL;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "log.example/a");
	cp.size = size;
	memset(cp.root.b, fill, 32);
	ck_assert(reg_checkpoint_format(&cp, &text, &err) == 0);
	ck_assert_msg(reg_note_sign(log_key, text, &note, &err) == 0, "%s",
	    err.message);
	reg_free(text);
	return note;
}

/* ------------------------------------------------------------ bodies */

START_TEST(test_body_good)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_checkpoint cp;
	char *note = signed_checkpoint(12, 7), *b = body_of(note, wit, 1700000000);
	char *two, *l2 = NULL;
	size_t n = 0;

	ck_assert_msg(reg_cosig_body_parse(b, strlen(b), &cp, &n, &err) == 0, "%s",
	    err.message);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(cp.size, 12);
	ck_assert_str_eq(cp.origin, "log.example/a");
	ck_assert_uint_eq(cp.root.b[31], 7);
	/* Two witnesses' lines. */
	ck_assert(reg_cosign(other, note, 1700000001, &l2, &err) == 0);
	two = tu_concat(b, l2);
	ck_assert(reg_cosig_body_parse(two, strlen(two), NULL, &n, &err) == 0);
	ck_assert_uint_eq(n, 2);
	reg_free(l2);
	free(two);
	free(b);
	reg_free(note);
}
END_TEST

/* Every cut of a body is refused, and so is every change of its signature
 * lines' syntax: only whole lines parse. */
START_TEST(test_body_truncated)
{
	reg_error err = REG_ERROR_INIT;
	char *note = signed_checkpoint(3, 1), *b = body_of(note, wit, 1700000000);
	size_t len = strlen(b), i;

	for (i = 0; i < len; i++) {
		reg_error_clear(&err);
		ck_assert_msg(reg_cosig_body_parse(b, i, NULL, NULL, &err) != 0,
		    "a body cut to %zu bytes parsed", i);
	}
	free(b);
	reg_free(note);
}
END_TEST

/* Malformed bodies, each refused with REG_EINVAL or REG_ETOOBIG. */
static const struct {
	const char *what;
	const char *text;		/* "%L" is replaced by a good line */
	int code;
} malformed[] = {
	{ "empty", "", REG_EINVAL },
	{ "no blank line", "log.example/a\n3\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n", REG_EINVAL },
	{ "no line", "log.example/a\n3\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\n", REG_EINVAL },
	{ "not a checkpoint", "hello\n\n%L", REG_EINVAL },
	{ "size not a number", "log.example/a\nthree\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\n%L", REG_EINVAL },
	{ "line twice", "log.example/a\n3\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\n%L%L", REG_EINVAL },
	{ "a note signature", "log.example/a\n3\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\n"
	    "\xe2\x80\x94 log.example/a AAAAAAAA\n", REG_EINVAL },
	{ "no em dash", "log.example/a\n3\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\n"
	    "- w AAAAAAAA\n", REG_EINVAL },
	{ "no final newline", "log.example/a\n3\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\n"
	    "\xe2\x80\x94 w AAAA", REG_EINVAL },
};

START_TEST(test_body_malformed)
{
	reg_error err = REG_ERROR_INIT;
	char *note = signed_checkpoint(3, 1), *b = body_of(note, wit, 1700000000);
	const char *line = strstr(b, "\n\n") + 2, *t = malformed[_i].text, *p;
	char buf[4096];
	size_t n = 0;

	/* The text with each %L replaced by the good line. */
	while ((p = strstr(t, "%L")) != NULL) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%.*s%s", (int)(p - t),
		    t, line);
		t = p + 2;
	}
	snprintf(buf + n, sizeof(buf) - n, "%s", t);
	ck_assert_int_eq(reg_cosig_body_parse(buf, strlen(buf), NULL, NULL, &err),
	    malformed[_i].code);
	ck_assert_msg(err.message[0] != '\0', "%s: no message", malformed[_i].what);
	free(b);
	reg_free(note);
}
END_TEST

START_TEST(test_body_limits)
{
	reg_error err = REG_ERROR_INIT;
	char *note = signed_checkpoint(3, 1), *b = body_of(note, wit, 1700000000);
	char *big, *many;
	size_t len = strlen(b), i;
	char nul[512];

	/* Over REG_COSIG_BODY_MAX. */
	big = malloc(REG_COSIG_BODY_MAX + 2);
	ck_assert(big != NULL);
	memset(big, 'a', REG_COSIG_BODY_MAX + 1);
	big[REG_COSIG_BODY_MAX + 1] = '\0';
	ck_assert_int_eq(reg_cosig_body_parse(big, REG_COSIG_BODY_MAX + 1, NULL, NULL,
	    &err), REG_ETOOBIG);
	free(big);
	/* A NUL inside. */
	ck_assert(len < sizeof(nul));
	memcpy(nul, b, len);
	nul[len - 5] = '\0';
	reg_error_clear(&err);
	ck_assert_int_eq(reg_cosig_body_parse(nul, len, NULL, NULL, &err), REG_EINVAL);
	/* REG_COSIG_LINES_MAX + 1 lines of distinct timestamps. */
	many = strdup(b);
	for (i = 1; i <= REG_COSIG_LINES_MAX; i++) {
		char *line = NULL, *t;

		ck_assert(reg_cosign(wit, note, 1700000000 + i, &line, &err) == 0);
		t = tu_concat(many, line);
		free(many);
		many = t;
		reg_free(line);
		reg_error_clear(&err);
		ck_assert_int_eq(reg_cosig_body_parse(many, strlen(many), NULL, NULL,
		    &err), i < REG_COSIG_LINES_MAX ? 0 : REG_ETOOBIG);
	}
	free(many);
	free(b);
	reg_free(note);
}
END_TEST

/* ------------------------------------------------------------ database */

START_TEST(test_log_cosignatures)
{
	reg_error err = REG_ERROR_INIT;
	const char *conninfo = tu_db_migrated();
	reg_ctx *ctx = NULL;
	struct reg_checkpoint cp;
	reg_key *keys[1] = { wit_pub };
	char *note = NULL, *served = NULL, *b, *fake, *fb;
	size_t stored = 9;
	uint64_t ts = 0, now = (uint64_t)time(NULL);

	ck_assert_msg(reg_open(conninfo, 0, &ctx, &err) == 0, "%s", err.message);
	ck_assert(reg_log_append(ctx, "a", 1, NULL, &err) == 0);
	ck_assert(reg_log_append(ctx, "b", 1, NULL, &err) == 0);
	ck_assert_msg(reg_log_checkpoint(ctx, log_key, &note, &cp, &err) == 0, "%s",
	    err.message);
	/* No cosignature yet: the note as signed. */
	ck_assert(reg_log_latest_cosigned(ctx, REG_COSIG_SKEW_DEFAULT, &served,
	    NULL, &err) == 0);
	ck_assert_str_eq(served, note);
	reg_free(served);

	b = body_of(note, wit, now);
	ck_assert_msg(reg_log_cosignature_add(ctx, keys, 1, b, strlen(b),
	    REG_COSIG_SKEW_DEFAULT, &stored, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(stored, 1);
	ck_assert(reg_log_cosignature_add(ctx, keys, 1, b, strlen(b),
	    REG_COSIG_SKEW_DEFAULT, &stored, &err) == 0);
	ck_assert_uint_eq(stored, 0);
	ck_assert(reg_log_latest_cosigned(ctx, REG_COSIG_SKEW_DEFAULT, &served,
	    &cp, &err) == 0);
	ck_assert_uint_eq(cp.size, 2);
	ck_assert(reg_cosig_verify(wit_pub, served, &ts, &err) == 0);
	ck_assert_uint_eq(ts, now);
	ck_assert(reg_note_verify(log_key, served, strlen(served), NULL, &err) == 0);
	reg_free(served);
	free(b);

	/* Another witness, a checkpoint never signed, a bad signature. */
	b = body_of(note, other, now);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_log_cosignature_add(ctx, keys, 1, b, strlen(b),
	    REG_COSIG_SKEW_DEFAULT, NULL, &err), REG_EKEY);
	free(b);
	fake = signed_checkpoint(2, 9);
	fb = body_of(fake, wit, now);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_log_cosignature_add(ctx, keys, 1, fb, strlen(fb),
	    REG_COSIG_SKEW_DEFAULT, NULL, &err), REG_ENOTFOUND);
	free(fb);
	reg_free(fake);
	b = body_of(note, wit, now + 5);
	b[strlen(b) - 10] = b[strlen(b) - 10] == 'A' ? 'B' : 'A';
	reg_error_clear(&err);
	ck_assert_int_eq(reg_log_cosignature_add(ctx, keys, 1, b, strlen(b),
	    REG_COSIG_SKEW_DEFAULT, NULL, &err), REG_EVERIFY);
	free(b);
	b = tu_query1(conninfo, "SELECT count(*) FROM log_cosignature");
	ck_assert_str_eq(b, "1");
	free(b);

	/* A newer checkpoint is served without the older one's lines. */
	ck_assert(reg_log_append(ctx, "c", 1, NULL, &err) == 0);
	reg_free(note);
	ck_assert(reg_log_checkpoint(ctx, log_key, &note, NULL, &err) == 0);
	ck_assert(reg_log_latest_cosigned(ctx, REG_COSIG_SKEW_DEFAULT, &served,
	    NULL, &err) == 0);
	ck_assert_str_eq(served, note);
	reg_free(served);
	reg_free(note);
	reg_close(ctx);
}
END_TEST

/*
 * Issue 17, finding 8: a cosignature's timestamp is when the witness
 * cosigned (c2sp.org/tlog-cosignature), so one dated ten years ahead or in
 * 1970 (before the checkpoint it cosigns was signed) is refused and
 * nothing is stored; and a future-dated row already stored (as a hostile
 * superuser or an older version left it) never hides the witness's later
 * cosignatures.
 */
START_TEST(test_cosignature_time)
{
	reg_error err = REG_ERROR_INIT;
	const char *conninfo = tu_db_migrated();
	reg_ctx *ctx = NULL;
	reg_key *keys[1] = { wit_pub };
	char *note = NULL, *served = NULL, *b, *n;
	uint64_t now = (uint64_t)time(NULL), ts = 0;
	const uint64_t ten_years = 10ull * 366 * 86400;
	size_t stored = 9;
	int r;

	ck_assert_msg(reg_open(conninfo, 0, &ctx, &err) == 0, "%s", err.message);
	ck_assert(reg_log_append(ctx, "a", 1, NULL, &err) == 0);
	ck_assert_msg(reg_log_checkpoint(ctx, log_key, &note, NULL, &err) == 0, "%s",
	    err.message);

	/* Ten years ahead: refused, nothing stored. */
	b = body_of(note, wit, now + ten_years);
	r = COSIGNATURE_ADD(ctx, keys, b, &stored, &err);
	ck_assert_msg(r == REG_ERANGE, "a cosignature dated ten years ahead was "
	    "taken (%d, stored %zu)", r, stored);
	ck_assert_msg(strstr(err.message, "future") != NULL, "%s", err.message);
	free(b);
	/* In 1970, long before the checkpoint was signed: refused. */
	reg_error_clear(&err);
	b = body_of(note, wit, 1);
	r = COSIGNATURE_ADD(ctx, keys, b, &stored, &err);
	ck_assert_msg(r == REG_ERANGE, "a cosignature dated 1970 was taken (%d)", r);
	ck_assert_msg(strstr(err.message, "before") != NULL, "%s", err.message);
	free(b);
	n = tu_query1(conninfo, "SELECT count(*) FROM log_cosignature");
	ck_assert_msg(strcmp(n, "0") == 0, "%s refused cosignatures were stored", n);
	free(n);

	/* Within the skew: taken. */
	reg_error_clear(&err);
	b = body_of(note, wit, now - 5);
	ck_assert_msg(COSIGNATURE_ADD(ctx, keys, b, &stored, &err) == 0, "%s",
	    err.message);
	ck_assert_uint_eq(stored, 1);
	free(b);

	/* A future-dated row already in the table (written around the
	 * library, as a hostile superuser could), then the witness's later
	 * cosignature: the later one is served. */
	b = body_of(note, wit, now + ten_years);
	{
		const char *line = strstr(b, "\n\n") + 2;
		PGconn *c = tu_connect(conninfo);
		const char *params[3];
		char fut[24], who[128];
		PGresult *res;

		snprintf(fut, sizeof(fut), "%llu", (unsigned long long)(now + ten_years));
		params[0] = line;
		params[1] = fut;
		params[2] = who;
		snprintf(who, sizeof(who), "%s+%08x", reg_key_name(wit),
		    (unsigned)reg_cosig_key_id(wit));
		res = PQexecParams(c, "INSERT INTO log_cosignature (checkpoint, "
		    "witness, line, signed_at) SELECT max(seq), $3, $1, "
		    "to_timestamp($2::bigint) FROM log_checkpoint", 3,
		    NULL, params, NULL, NULL, 0);
		ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s",
		    PQerrorMessage(c));
		PQclear(res);
		PQfinish(c);
	}
	free(b);
	b = body_of(note, wit, now + 1);
	ck_assert_msg(COSIGNATURE_ADD(ctx, keys, b, &stored, &err) == 0, "%s",
	    err.message);
	free(b);
	ck_assert(LATEST_COSIGNED(ctx, &served, &err) == 0);
	ck_assert_msg(reg_cosig_verify(wit_pub, served, &ts, &err) == 0, "%s",
	    err.message);
	ck_assert_msg(ts == now + 1, "the log serves the cosignature dated %llu, "
	    "not the witness's latest (%llu)", (unsigned long long)ts,
	    (unsigned long long)(now + 1));
	reg_free(served);
	reg_free(note);
	reg_close(ctx);
}
END_TEST

START_TEST(test_witness_record)
{
	reg_error err = REG_ERROR_INIT;
	const char *conninfo = tu_db_migrated();
	reg_ctx *ctx = NULL;
	struct reg_witness_peer p;
	struct reg_checkpoint cp, seen;
	char *note = signed_checkpoint(4, 2), *fork = signed_checkpoint(4, 3);
	char *line = NULL;
	int raised = -1;

	ck_assert_msg(reg_open(conninfo, 0, &ctx, &err) == 0, "%s", err.message);
	ck_assert(reg_witness_peer_get(ctx, "BE", &p, &err) == 0);
	ck_assert_int_eq(p.cosigned, 0);
	ck_assert_int_eq(p.alarms, 0);
	reg_witness_peer_clear(&p);

	ck_assert(reg_checkpoint_parse(note, strlen(note) - strlen(strstr(note, "\n\n")) + 1,
	    &cp, &err) == 0);
	ck_assert(reg_cosign(wit, note, 1700000000, &line, &err) == 0);
	ck_assert_msg(reg_witness_cosigned_add(ctx, "BE", &cp, note, line, 1700000000,
	    &err) == 0, "%s", err.message);
	ck_assert(reg_witness_peer_get(ctx, "BE", &p, &err) == 0);
	ck_assert_int_eq(p.cosigned, 1);
	ck_assert_uint_eq(p.cp.size, 4);
	ck_assert_str_eq(p.note, note);
	ck_assert_str_eq(p.line, line);
	ck_assert_int_eq(p.cosigned_at, 1700000000);
	reg_witness_peer_clear(&p);

	ck_assert(reg_checkpoint_parse(fork, strlen(fork) - strlen(strstr(fork, "\n\n")) + 1,
	    &seen, &err) == 0);
	ck_assert(reg_witness_alarm_add(ctx, "BE", "same size, another root", note,
	    fork, &seen, &raised, &err) == 0);
	ck_assert_int_eq(raised, 1);
	/* The same fork again is not a second alarm while the first is open. */
	ck_assert(reg_witness_alarm_add(ctx, "BE", "same size, another root", note,
	    fork, &seen, &raised, &err) == 0);
	ck_assert_int_eq(raised, 0);
	ck_assert(reg_witness_peer_get(ctx, "BE", &p, &err) == 0);
	ck_assert_int_eq(p.alarms, 1);
	ck_assert_int_eq(p.alarms_open, 1);
	ck_assert_str_eq(p.alarm_reason, "same size, another root");
	reg_witness_peer_clear(&p);
	tu_exec(conninfo, "INSERT INTO witness_alarm_ack (alarm, operator) "
	    "SELECT seq, 'test' FROM witness_alarm");
	ck_assert(reg_witness_peer_get(ctx, "BE", &p, &err) == 0);
	ck_assert_int_eq(p.alarms_open, 0);
	reg_witness_peer_clear(&p);
	/* Another State's record is its own. */
	ck_assert(reg_witness_peer_get(ctx, "FR", &p, &err) == 0);
	ck_assert_int_eq(p.cosigned, 0);
	ck_assert_int_eq(p.alarms, 0);
	reg_witness_peer_clear(&p);
	/* Append-only. */
	ck_assert(tu_try_exec(conninfo, "DELETE FROM witness_alarm", NULL, 0) != 0);
	ck_assert(tu_try_exec(conninfo, "UPDATE witness_cosigned SET size = 9", NULL,
	    0) != 0);
	reg_free(line);
	reg_free(note);
	reg_free(fork);
	reg_close(ctx);
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
witness_suite(void)
{
	Suite *s = suite_create("witness");
	TCase *tc = tcase_create("body");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_body_good);
	tcase_add_test(tc, test_body_truncated);
	tcase_add_loop_test(tc, test_body_malformed, 0, NELEM(malformed));
	tcase_add_test(tc, test_body_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("database");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_log_cosignatures);
	tcase_add_test(tc, test_witness_record);
	tcase_add_test(tc, test_cosignature_time);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(witness_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
