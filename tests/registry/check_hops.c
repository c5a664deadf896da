/* The store of requests this State sends on and follows (registry/
 * trace_hop.c): hops and their events, once each, sealed in the log, and
 * refused when malformed; against a real PostgreSQL. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "registry/registry.h"
#include "registry/stores.h"
#include "leaf_ref.h"
#include "testutil.h"

#define ROOT "0190b7e1-95c0-7a2e-b1d3-4c8f7e6a5d90"
#define HOP1 "0190b7e4-2d51-7f08-8c6a-93e1f0a4b2d7"
#define HOP2 "0190b7e5-1111-7f08-8c6a-93e1f0a4b2d7"
#define ORIGIN "eyJhbGciOiJFZERTQSJ9.eyJpZCI6Ik8ifQ.c2lnbmF0dXJlLU8"
#define SENT "eyJhbGciOiJFZERTQSJ9.eyJpZCI6IlMifQ.c2lnbmF0dXJlLVM"
#define ACK "eyJhbGciOiJFZERTQSJ9.eyJzdGF0dXMiOiJhY2sifQ.c2lnLUE"
#define ANSWER "eyJhbGciOiJFZERTQSJ9.eyJzdGF0dXMiOiJmb3VuZCJ9.c2lnLVI"

static const char *ci;
static char *tmpdir;
static reg_key *key;
static reg_ctx *ctx;

static char *
ack_cb(void *arg, uint64_t idx, reg_error *err)
{
	char *s = malloc(64);

	(void)err;
	(*(int *)arg)++;
	ck_assert(s != NULL);
	snprintf(s, 64, "hopack.%" PRIu64 ".sig", idx);
	return s;
}

static void
setup(void)
{
	char path[4200];
	reg_error err = REG_ERROR_INIT;

	ci = tu_db_migrated();
	tmpdir = tu_tmpdir();
	snprintf(path, sizeof(path), "%s/log.key", tmpdir);
	ck_assert(reg_key_generate("test.example/FR", path, &err) == 0);
	ck_assert(reg_key_load(path, &key, &err) == 0);
	ck_assert(reg_open(ci, 0, &ctx, &err) == 0);
}

static void
teardown(void)
{
	reg_close(ctx);
	reg_key_free(key);
	tu_rmtree(tmpdir);
	free(tmpdir);
}

static uint64_t
log_size(void)
{
	reg_error err = REG_ERROR_INIT;
	uint64_t n = 0;

	ck_assert(reg_log_size(ctx, &n, &err) == 0);
	return n;
}

static void
verify_ok(void)
{
	reg_error err = REG_ERROR_INIT;
	char msg[600];

	ck_assert_msg(reg_log_verify(ctx, key, NULL, &err) == 0, "verify: %s",
	    err.message);
	/* Every leaf as the jansson reference encodes it. */
	ck_assert_msg(leaf_ref_check_log(ctx, msg, sizeof(msg)) >= 0, "%s", msg);
}

static struct reg_hop_in
hop0(const char *origin)
{
	struct reg_hop_in in = {
		ROOT, NULL, 0, "FR", "BE", "XH", "FR investigator Inspector", "FR/inv-1",
		"urgent", "2026-11-30T09:00:00Z", "2026-12-01T09:00:00.25Z",
		origin, strlen(origin), SENT, strlen(SENT)
	};

	return in;
}

static struct reg_hop_in
follow(const char *id, const char *parent, int hop, const char *to)
{
	struct reg_hop_in in = {
		id, parent, hop, "FR", to, NULL, "followed", "FR/1", "urgent",
		"2026-11-30T09:00:01Z", "2026-12-01T09:00:01Z", NULL, 0, SENT,
		strlen(SENT)
	};

	return in;
}

static void
add0(void)
{
	struct reg_hop_in in = hop0(ORIGIN);
	reg_error err = REG_ERROR_INIT;
	int calls = 0;

	ck_assert_msg(reg_hop_add(ctx, &in, ack_cb, &calls, NULL, NULL, NULL, &err) == 0,
	    "%s", err.message);
}

static void
event(const char *id, const char *kind, const char *status, const char *due,
    const char *detail, const char *msg)
{
	reg_error err = REG_ERROR_INIT;

	ck_assert_msg(reg_hop_event_add(ctx, id, kind, status, due, detail, msg,
	    msg ? strlen(msg) : 0, NULL, &err) == 0, "%s", err.message);
}

START_TEST(hop0_once_per_id)
{
	struct reg_hop_in in = hop0(ORIGIN);
	reg_error err = REG_ERROR_INIT;
	uint64_t idx = 99, idx2 = 0, size;
	int calls = 0, same = -1;
	char *ack = NULL, want[64];

	ck_assert_msg(reg_hop_add(ctx, &in, ack_cb, &calls, &idx, &same, &ack, &err) == 0,
	    "%s", err.message);
	ck_assert_int_eq(calls, 1);
	snprintf(want, sizeof(want), "hopack.%" PRIu64 ".sig", idx);
	ck_assert_str_eq(ack, want);
	reg_free(ack);
	size = log_size();
	/* The same submission: its acknowledgement back, nothing written. */
	ck_assert_int_eq(reg_hop_add(ctx, &in, ack_cb, &calls, &idx2, &same, &ack, &err),
	    REG_EEXIST);
	ck_assert_int_eq(same, 1);
	ck_assert_int_eq(calls, 1);
	ck_assert_uint_eq(idx2, idx);
	ck_assert_str_eq(ack, want);
	reg_free(ack);
	/* Another submission with this id: a conflict. */
	in = hop0("eyJhbGciOiJFZERTQSJ9.eyJpZCI6IlgifQ.c2lnLVg");
	reg_error_clear(&err);
	ck_assert_int_eq(reg_hop_add(ctx, &in, ack_cb, &calls, NULL, &same, NULL, &err),
	    REG_EEXIST);
	ck_assert_int_eq(same, 0);
	ck_assert_uint_eq(log_size(), size);
	verify_ok();
}
END_TEST

START_TEST(follow_ups_linked_once)
{
	struct reg_hop_in in;
	reg_error err = REG_ERROR_INIT;
	struct reg_hop *hops = NULL;
	size_t n = 0;

	add0();
	in = follow(HOP1, ROOT, 1, "NL");
	ck_assert_msg(reg_hop_add(ctx, &in, NULL, NULL, NULL, NULL, NULL, &err) == 0,
	    "%s", err.message);
	/* One referral is followed once. */
	in = follow(HOP2, ROOT, 1, "DE");
	ck_assert_int_eq(reg_hop_add(ctx, &in, NULL, NULL, NULL, NULL, NULL, &err),
	    REG_EEXIST);
	/* A follow-up of the wrong number, or of no stored hop. */
	in = follow(HOP2, HOP1, 3, "DE");
	reg_error_clear(&err);
	ck_assert_int_eq(reg_hop_add(ctx, &in, NULL, NULL, NULL, NULL, NULL, &err),
	    REG_EINVAL);
	in = follow(HOP2, "0190b7e5-2222-7f08-8c6a-93e1f0a4b2d7", 2, "DE");
	reg_error_clear(&err);
	ck_assert_int_eq(reg_hop_add(ctx, &in, NULL, NULL, NULL, NULL, NULL, &err),
	    REG_ENOTFOUND);
	in = follow(HOP2, HOP1, 2, "DE");
	reg_error_clear(&err);
	ck_assert_msg(reg_hop_add(ctx, &in, NULL, NULL, NULL, NULL, NULL, &err) == 0,
	    "%s", err.message);
	/* The chain from any of its hops, in order. */
	ck_assert_msg(reg_hop_chain(ctx, HOP2, &hops, &n, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(hops[0].id, ROOT);
	ck_assert_str_eq(hops[0].root_id, ROOT);
	ck_assert_str_eq(hops[0].via, "XH");
	ck_assert_str_eq(hops[0].origin, ORIGIN);
	ck_assert_str_eq(hops[0].ack, "hopack.0.sig");
	ck_assert_int_eq(hops[0].followed, 1);
	ck_assert_str_eq(hops[1].parent_id, ROOT);
	ck_assert_str_eq(hops[1].requested_state, "NL");
	ck_assert_ptr_null(hops[1].origin);
	ck_assert_str_eq(hops[2].id, HOP2);
	ck_assert_str_eq(hops[2].root_id, ROOT);
	ck_assert_int_eq(hops[2].followed, 0);
	ck_assert_str_eq(hops[0].due_by, "2026-12-01T09:00:00.250000Z");
	reg_hops_free(hops, n);
	verify_ok();
}
END_TEST

START_TEST(events_and_get)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_hop *h = NULL;

	add0();
	event(ROOT, "acknowledged", "acknowledged", "2026-12-02T09:00:00Z", NULL, ACK);
	event(ROOT, "answered", "found", NULL, NULL, ANSWER);
	event(ROOT, "ended", "last_legal_holder", NULL, "BE: the last legal holder "
	    "is a dealer", NULL);
	ck_assert_msg(reg_hop_get(ctx, ROOT, &h, &err) == 0, "%s", err.message);
	ck_assert_str_eq(h->ack_status, "acknowledged");
	ck_assert_str_eq(h->ack_due_by, "2026-12-02T09:00:00.000000Z");
	ck_assert_str_eq(h->remote_ack, ACK);
	ck_assert_str_eq(h->answer_status, "found");
	ck_assert_str_eq(h->response, ANSWER);
	ck_assert_str_eq(h->end, "last_legal_holder");
	ck_assert_str_eq(h->detail, "BE: the last legal holder is a dealer");
	ck_assert_str_eq(h->refusal, "");
	ck_assert_ptr_null(h->problem);
	reg_hops_free(h, 1);
	/* Refused events need no message; acknowledgements and answers do. */
	event(ROOT, "refused", "bad-signature", NULL, "signature", NULL);
	ck_assert_int_eq(reg_hop_event_add(ctx, ROOT, "answered", "found", NULL, NULL,
	    NULL, 0, NULL, &err), REG_EINVAL);
	ck_assert_int_eq(reg_hop_event_add(ctx, ROOT, "sent", "x", NULL, NULL, NULL, 0,
	    NULL, &err), REG_EINVAL);
	ck_assert_int_eq(reg_hop_event_add(ctx, ROOT, "ended", "Not A Word", NULL,
	    NULL, NULL, 0, NULL, &err), REG_EINVAL);
	ck_assert_int_eq(reg_hop_event_add(ctx, ROOT, "ended", "loop", "tomorrow", NULL,
	    NULL, 0, NULL, &err), REG_EINVAL);
	ck_assert_int_eq(reg_hop_event_add(ctx, ROOT, "ended", "loop", NULL, "a\nb",
	    NULL, 0, NULL, &err), REG_EINVAL);
	ck_assert_int_eq(reg_hop_event_add(ctx, HOP1, "ended", "loop", NULL, NULL, NULL,
	    0, NULL, &err), REG_ENOTFOUND);
	ck_assert_int_eq(reg_hop_get(ctx, HOP1, &h, &err), REG_ENOTFOUND);
	ck_assert_int_eq(reg_hop_get(ctx, "not-a-uuid", &h, &err), REG_EINVAL);
	verify_ok();
}
END_TEST

static int
collect(void *arg, const char *id)
{
	char *ids = arg;

	strcat(ids, id);
	strcat(ids, " ");
	return 0;
}

START_TEST(open_hops_and_counts)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_hop_in in;
	char ids[400] = "";
	long open = -1, overdue = -1;

	add0();
	ck_assert(reg_hop_counts(ctx, &open, &overdue, &err) == 0);
	ck_assert_int_eq(open, 1);
	ck_assert_int_eq(overdue, 1);	/* its own due time (2026-12-01) passed */
	/* The other State's due time takes its place. */
	event(ROOT, "acknowledged", "acknowledged", "2099-01-01T00:00:00Z", NULL, ACK);
	ck_assert(reg_hop_counts(ctx, &open, &overdue, &err) == 0);
	ck_assert_int_eq(overdue, 0);
	/* Answered: no longer waiting, still open until followed or ended. */
	event(ROOT, "answered", "found", NULL, NULL, ANSWER);
	ck_assert(reg_hop_counts(ctx, &open, &overdue, &err) == 0);
	ck_assert_int_eq(open, 0);
	ck_assert(reg_hop_open(ctx, collect, ids, &err) == 0);
	ck_assert_str_eq(ids, ROOT " ");
	in = follow(HOP1, ROOT, 1, "NL");
	ck_assert(reg_hop_add(ctx, &in, NULL, NULL, NULL, NULL, NULL, &err) == 0);
	ids[0] = '\0';
	ck_assert(reg_hop_open(ctx, collect, ids, &err) == 0);
	ck_assert_str_eq(ids, HOP1 " ");
	event(HOP1, "refused", "unknown-key", NULL, NULL, NULL);
	ids[0] = '\0';
	ck_assert(reg_hop_open(ctx, collect, ids, &err) == 0);
	ck_assert_str_eq(ids, "");
}
END_TEST

/* Malformed hops, each refused before anything is written. */
enum { B_ID, B_HOPNUM, B_HOP0_PARENT, B_NO_PARENT, B_SELF_PARENT, B_VIA,
	B_PRIORITY, B_CREATED, B_DUE_BEFORE, B_EMPTY, B_CONTROL, B_SUBMITTER,
	B_STATE, B_ORIGIN_HOP1, B_NO_ACK_CB, B_COUNT };

START_TEST(add_refuses_bad_input)
{
	struct reg_hop_in in = hop0(ORIGIN);
	reg_error err = REG_ERROR_INIT;
	reg_trace_ack_cb cb = ack_cb;
	char big[400];
	uint64_t size = log_size();
	int calls = 0, r, want = REG_EINVAL;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	switch (_i) {
	case B_ID: in.id = "0190b7e1"; break;
	case B_HOPNUM: in.hop = 33; break;
	case B_HOP0_PARENT: in.parent_id = HOP1; break;
	case B_NO_PARENT: in = follow(HOP1, NULL, 1, "NL"); cb = NULL; break;
	case B_SELF_PARENT: in = follow(HOP1, HOP1, 1, "NL"); cb = NULL; break;
	case B_VIA: in.via = "xh"; break;
	case B_PRIORITY: in.priority = "soon"; break;
	case B_CREATED: in.created_at = "2026-11-30 09:00:00"; break;
	case B_DUE_BEFORE: in.due_by = "2026-11-29T09:00:00Z"; break;
	case B_EMPTY: in.message = ""; in.message_len = 0; break;
	case B_CONTROL: in.message = "abc\001def"; in.message_len = 7; break;
	case B_SUBMITTER: in.submitted_by = big; want = REG_ETOOBIG; break;
	case B_STATE: in.requested_state = "XX"; break;
	case B_ORIGIN_HOP1: in = follow(HOP1, ROOT, 1, "NL"); in.origin = ORIGIN;
		in.origin_len = strlen(ORIGIN); cb = NULL; break;
	case B_NO_ACK_CB: cb = NULL; break;
	}
	r = reg_hop_add(ctx, &in, cb, &calls, NULL, NULL, NULL, &err);
	ck_assert_msg(r != 0, "case %d accepted", _i);
	if (_i != B_STATE)
		ck_assert_msg(r == want, "case %d: %d %s", _i, r, err.message);
	ck_assert_int_eq(calls, 0);
	ck_assert_uint_eq(log_size(), size);
}
END_TEST

/* A superuser's direct change is caught by verification. */
static void
expect_caught(const char *sql, const char *words)
{
	reg_error err = REG_ERROR_INIT;
	char full[2048];

	verify_ok();
	snprintf(full, sizeof(full), "SET session_replication_role = replica; %s", sql);
	tu_exec(ci, full);
	ck_assert_int_eq(reg_log_verify(ctx, key, NULL, &err), REG_EVERIFY);
	ck_assert_msg(strstr(err.message, words) != NULL, "message: %s", err.message);
}

START_TEST(tamper_sent_message)
{
	add0();
	expect_caught("UPDATE trace_hop SET message = 'forged.message.sig', "
	    "message_sha256 = encode(sha256('forged.message.sig'), 'base64')",
	    "table trace_hop, record " ROOT);
}
END_TEST

START_TEST(tamper_origin)
{
	add0();
	expect_caught("UPDATE trace_hop SET origin = 'forged.origin.sig', "
	    "origin_sha256 = encode(sha256('forged.origin.sig'), 'base64')",
	    "table trace_hop, record " ROOT);
}
END_TEST

START_TEST(tamper_answer)
{
	add0();
	event(ROOT, "answered", "found", NULL, NULL, ANSWER);
	expect_caught("UPDATE trace_hop_event SET message = 'forged.answer.sig', "
	    "message_sha256 = encode(sha256('forged.answer.sig'), 'base64')",
	    "table trace_hop_event");
}
END_TEST

START_TEST(hops_append_only)
{
	char msg[512];

	add0();
	ck_assert_int_eq(tu_try_exec(ci, "UPDATE trace_hop SET kid = 'x'", msg,
	    sizeof(msg)), -1);
	ck_assert_int_eq(tu_try_exec(ci, "DELETE FROM trace_hop_ack", msg,
	    sizeof(msg)), -1);
	ck_assert_int_eq(tu_try_exec(ci, "SET session_replication_role = replica; "
	    "UPDATE trace_hop SET message = 'x'", msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "check constraint") != NULL, "%s", msg);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("hops");
	TCase *tc = tcase_create("hops");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hop0_once_per_id);
	tcase_add_test(tc, follow_ups_linked_once);
	tcase_add_test(tc, events_and_get);
	tcase_add_test(tc, open_hops_and_counts);
	tcase_add_loop_test(tc, add_refuses_bad_input, 0, B_COUNT);
	tcase_add_test(tc, tamper_sent_message);
	tcase_add_test(tc, tamper_origin);
	tcase_add_test(tc, tamper_answer);
	tcase_add_test(tc, hops_append_only);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
