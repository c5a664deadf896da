/* The tracing daemon's messages: received requests, their acknowledgements
 * and status changes, sealed in the audit log; idempotency by id, input
 * checks, and tamper evidence, against a real PostgreSQL. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "registry/registry.h"
#include "registry/stores.h"
#include "leaf_ref.h"
#include "testutil.h"

#define ID_A "0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f30"
#define ID_B "0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f31"
#define ID_C "0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f32"
#define MSG_A "eyJhbGciOiJFZERTQSJ9.eyJpZCI6IkEifQ.c2lnbmF0dXJlLUE"
#define MSG_B "eyJhbGciOiJFZERTQSJ9.eyJpZCI6IkIifQ.c2lnbmF0dXJlLUI"
#define RESPONSE "eyJhbGciOiJFZERTQSJ9.eyJzdGF0dXMiOiJmb3VuZCJ9.c2lnLVI"

static const char *ci;
static char *tmpdir;
static reg_key *key;
static reg_ctx *ctx;

struct acks {
	int calls;
	int fail;
};

/* Signs nothing: the acknowledgement names the leaf, as the daemon's does. */
static char *
ack_cb(void *arg, uint64_t idx, reg_error *err)
{
	struct acks *a = arg;
	char *s;

	a->calls++;
	if (a->fail) {
		err->code = REG_EKEY;
		snprintf(err->message, sizeof(err->message), "no signing key");
		return NULL;
	}
	s = malloc(64);
	ck_assert(s != NULL);
	snprintf(s, 64, "ack.%" PRIu64 ".sig", idx);
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
	ck_assert(reg_key_generate("test.example/XX", path, &err) == 0);
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

static long
count(const char *sql)
{
	char *v = tu_query1(ci, sql);
	long n = atol(v);

	free(v);
	return n;
}

static void
verify_ok(void)
{
	reg_error err = REG_ERROR_INIT;
	char msg[600];

	ck_assert_msg(reg_log_verify(ctx, key, NULL, &err) == 0, "verify: %s", err.message);
	/* Every leaf as the jansson reference encodes it. */
	ck_assert_msg(leaf_ref_check_log(ctx, msg, sizeof(msg)) >= 0, "%s", msg);
}

static struct reg_trace_in
request(const char *id, const char *msg)
{
	struct reg_trace_in in = {
		id, NULL, "BE", "NL", "BE peer tracing.be.example", "be-2024-1", "routine",
		"2024-05-01T10:00:00Z", "2024-05-15T10:00:00.5Z", msg, strlen(msg)
	};

	return in;
}

static uint64_t
receive(const struct reg_trace_in *in)
{
	reg_error err = REG_ERROR_INIT;
	struct acks a = { 0, 0 };
	uint64_t idx = 99;
	int same = -1;
	char *ack = NULL, want[64];

	ck_assert_msg(reg_trace_receive(ctx, in, ack_cb, &a, &idx, &same, &ack, &err) == 0,
	    "%s", err.message);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(same, 0);
	snprintf(want, sizeof(want), "ack.%" PRIu64 ".sig", idx);
	ck_assert_str_eq(ack, want);
	reg_free(ack);
	return idx;
}

static uint64_t
status(const char *id, const char *st, const char *reasons, const char *response)
{
	reg_error err = REG_ERROR_INIT;
	uint64_t idx = 0;

	ck_assert_msg(reg_trace_status_add(ctx, id, st, reasons, response,
	    response ? strlen(response) : 0, &idx, &err) == 0, "%s", err.message);
	return idx;
}

static struct reg_trace *
get(const char *id)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_trace *t = NULL;

	ck_assert_msg(reg_trace_get(ctx, id, &t, &err) == 0, "%s", err.message);
	return t;
}

START_TEST(receive_once_per_id)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_trace_in in = request(ID_A, MSG_A);
	struct acks a = { 0, 0 };
	uint64_t idx, again = 0, n;
	int same = -1;
	char *ack = NULL, upper[] = ID_A, want[64];
	size_t i;

	idx = receive(&in);
	n = log_size();
	ck_assert_uint_eq(n, idx + 1);
	/* The same request again: its stored acknowledgement, no new leaf. */
	ck_assert_int_eq(reg_trace_receive(ctx, &in, ack_cb, &a, &again, &same, &ack, &err),
	    REG_EEXIST);
	ck_assert_int_eq(same, 1);
	ck_assert_uint_eq(again, idx);
	snprintf(want, sizeof(want), "ack.%" PRIu64 ".sig", idx);
	ck_assert_ptr_nonnull(ack);
	ck_assert_str_eq(ack, want);
	ck_assert_int_eq(a.calls, 0);
	reg_free(ack);
	ack = NULL;
	/* One UUID, one spelling: upper case names the same request. */
	for (i = 0; upper[i] != '\0'; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	in.id = upper;
	err.code = 0;
	ck_assert_int_eq(reg_trace_receive(ctx, &in, ack_cb, &a, &again, &same, NULL, &err),
	    REG_EEXIST);
	ck_assert_int_eq(same, 1);
	/* Another message under the same id: a conflict. */
	in = request(ID_A, MSG_B);
	reg_error_clear(&err);
	same = -1;
	ck_assert_int_eq(reg_trace_receive(ctx, &in, ack_cb, &a, &again, &same, &ack, &err),
	    REG_EEXIST);
	ck_assert_int_eq(same, 0);
	ck_assert_uint_eq(again, idx);
	ck_assert_msg(strstr(err.message, "different message") != NULL, "%s", err.message);
	reg_free(ack);
	ck_assert_int_eq(a.calls, 0);
	ck_assert_uint_eq(log_size(), n);
	ck_assert_int_eq(count("SELECT count(*) FROM trace_request"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM trace_ack"), 1);
	verify_ok();
}
END_TEST

static int
leaf_has(uint64_t index, const uint8_t *leaf, size_t len, void *arg)
{
	const char *want = arg;
	size_t i, n = strlen(want);

	(void)index;
	for (i = 0; i + n <= len; i++)
		if (memcmp(leaf + i, want, n) == 0)
			return 0;
	return 1;
}

/*
 * A request stored reads the log's frontier with its lookup and keeps it
 * for its own leaf: inside a caller's transaction, between leaves appended
 * otherwise, after a repeat that appended nothing, and after a rollback,
 * every leaf still lands where the tree says.
 */
START_TEST(frontier_kept_for_one_leaf)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_trace_in a = request(ID_A, MSG_A), b = request(ID_B, MSG_B);
	struct reg_trace_in c = request(ID_C, MSG_A);
	struct acks ac = { 0, 0 };
	uint64_t idx, n0 = log_size(), i1, i2, i3;
	int same;

	ck_assert(reg_tx_begin(ctx, &err) == 0);
	i1 = receive(&a);
	ck_assert(reg_log_append(ctx, "between", 7, &i2, &err) == 0);
	ck_assert_int_eq(reg_trace_receive(ctx, &a, ack_cb, &ac, &idx, &same, NULL,
	    &err), REG_EEXIST);
	ck_assert(reg_log_append(ctx, "after the repeat", 16, &i3, &err) == 0);
	idx = receive(&b);
	ck_assert_msg(reg_tx_commit(ctx, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(i1, n0);
	ck_assert_uint_eq(i2, n0 + 1);
	ck_assert_uint_eq(i3, n0 + 2);
	ck_assert_uint_eq(idx, n0 + 3);
	/* Rolled back: the next writer reads the frontier again. */
	ck_assert(reg_tx_begin(ctx, &err) == 0);
	(void)receive(&c);
	ck_assert(reg_tx_rollback(ctx, &err) == 0);
	ck_assert(reg_log_append(ctx, "after the rollback", 18, &i1, &err) == 0);
	ck_assert_uint_eq(i1, n0 + 4);
	ck_assert_uint_eq(receive(&c), n0 + 5);
	ck_assert_uint_eq(log_size(), n0 + 6);
	verify_ok();
}
END_TEST

START_TEST(leaf_seals_message_digest)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_trace_in in = request(ID_A, MSG_A);
	uint8_t md[32];
	unsigned int mdlen;
	char *b64 = NULL, want[128];
	uint64_t idx;

	idx = receive(&in);
	ck_assert(EVP_Digest(MSG_A, strlen(MSG_A), md, &mdlen, EVP_sha256(), NULL) == 1);
	ck_assert(reg_base64_encode(md, 32, &b64, &err) == 0);
	snprintf(want, sizeof(want), "\"message_sha256\":\"%s\"", b64);
	ck_assert_int_eq(reg_log_entries(ctx, idx, idx + 1, leaf_has, want, &err), 0);
	ck_assert_int_eq(reg_log_entries(ctx, idx, idx + 1, leaf_has,
	    "{\"_r\":\"trace_request\"", &err), 0);
	ck_assert_int_eq(reg_log_entries(ctx, idx, idx + 1, leaf_has,
	    "\"received_at\":\"2024-05-01T10:00:00.000000Z\"", &err), 0);
	reg_free(b64);
}
END_TEST

START_TEST(status_changes_and_get)
{
	struct reg_trace_in in = request(ID_A, MSG_A);
	struct reg_trace *t;
	uint64_t idx, s1, s2;

	in.parent_id = ID_C;
	in.priority = "urgent";
	idx = receive(&in);
	t = get(ID_A);
	ck_assert_str_eq(t->id, ID_A);
	ck_assert_str_eq(t->parent_id, ID_C);
	ck_assert_str_eq(t->requesting_state, "BE");
	ck_assert_str_eq(t->requested_state, "NL");
	ck_assert_str_eq(t->caller, "BE peer tracing.be.example");
	ck_assert_str_eq(t->kid, "be-2024-1");
	ck_assert_str_eq(t->priority, "urgent");
	ck_assert_str_eq(t->received_at, "2024-05-01T10:00:00.000000Z");
	ck_assert_str_eq(t->due_by, "2024-05-15T10:00:00.500000Z");
	ck_assert_str_eq(t->message, MSG_A);
	ck_assert_ptr_nonnull(t->ack);
	ck_assert_uint_eq(t->log_index, idx);
	ck_assert_str_eq(t->status, "acknowledged");
	ck_assert_str_eq(t->status_at, t->received_at);
	ck_assert_uint_eq(t->status_log_index, idx);
	ck_assert_ptr_null(t->reasons);
	ck_assert_ptr_null(t->response);
	ck_assert_str_eq(t->responded_at, "");
	reg_trace_free(t);

	s1 = status(ID_A, "in_progress", "[\"searching the archive\"]", NULL);
	ck_assert_uint_eq(s1, idx + 1);
	t = get(ID_A);
	ck_assert_str_eq(t->status, "in_progress");
	ck_assert_str_eq(t->reasons, "[\"searching the archive\"]");
	ck_assert_uint_eq(t->status_log_index, s1);
	ck_assert_ptr_null(t->response);
	ck_assert_int_eq((int)strlen(t->status_at), 27);
	reg_trace_free(t);

	s2 = status(ID_A, "answered", NULL, RESPONSE);
	t = get(ID_A);
	ck_assert_str_eq(t->status, "answered");
	ck_assert_ptr_null(t->reasons);
	ck_assert_uint_eq(t->status_log_index, s2);
	ck_assert_str_eq(t->response, RESPONSE);
	ck_assert_str_eq(t->responded_at, t->status_at);
	ck_assert_str_eq(t->parent_id, ID_C);
	reg_trace_free(t);
	ck_assert_int_eq(count("SELECT count(*) FROM trace_status"), 2);
	verify_ok();
}
END_TEST

START_TEST(get_unknown)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_trace *t = (struct reg_trace *)&err;

	ck_assert_int_eq(reg_trace_get(ctx, ID_B, &t, &err), REG_ENOTFOUND);
	ck_assert_ptr_null(t);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_trace_get(ctx, "nope", &t, &err), REG_EINVAL);
}
END_TEST

struct seen {
	int n;
	char ids[8][37];
	int got;
};

static int
open_cb(void *arg, const char *id, const char *due_by)
{
	struct seen *s = arg;
	struct reg_trace *t = NULL;
	reg_error err = REG_ERROR_INIT;

	ck_assert_int_eq((int)strlen(due_by), 27);
	ck_assert(s->n < 8);
	snprintf(s->ids[s->n++], 37, "%s", id);
	/* The walk has ended its query: the callback may read. */
	if (reg_trace_get(ctx, id, &t, &err) == 0)
		s->got++;
	reg_trace_free(t);
	return 0;
}

static int
stop_cb(void *arg, const char *id, const char *due_by)
{
	(void)arg;
	(void)id;
	(void)due_by;
	return 1;
}

START_TEST(open_requests_and_counts)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_trace_in in;
	struct seen s;
	long open = -1, overdue = -1;

	ck_assert_int_eq(reg_trace_counts(ctx, &open, &overdue, &err), 0);
	ck_assert_int_eq(open, 0);
	ck_assert_int_eq(overdue, 0);
	/* Overdue: due in the past. */
	in = request(ID_A, MSG_A);
	(void)receive(&in);
	/* Open, due in the future, in progress. */
	in = request(ID_B, MSG_B);
	in.received_at = "2100-01-01T00:00:00Z";
	in.due_by = "2100-01-02T00:00:00Z";
	(void)receive(&in);
	(void)status(ID_B, "in_progress", NULL, NULL);
	/* Answered: closed, though past its due time. */
	in = request(ID_C, MSG_A);
	(void)receive(&in);
	(void)status(ID_C, "declined", "[\"outside the instrument's scope\"]", RESPONSE);

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(reg_trace_open(ctx, open_cb, &s, &err), 0);
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.ids[0], ID_A);
	ck_assert_str_eq(s.ids[1], ID_B);
	ck_assert_int_eq(s.got, 2);
	ck_assert_int_eq(reg_trace_counts(ctx, &open, &overdue, &err), 0);
	ck_assert_int_eq(open, 2);
	ck_assert_int_eq(overdue, 1);
	ck_assert_int_eq(reg_trace_open(ctx, stop_cb, NULL, &err), REG_EIO);
	/* A later answer closes B. */
	(void)status(ID_B, "answered", NULL, RESPONSE);
	ck_assert_int_eq(reg_trace_counts(ctx, &open, NULL, &err), 0);
	ck_assert_int_eq(open, 1);
	verify_ok();
}
END_TEST

/* Bad requests: each refused with its code, and nothing written. */
enum mutation {
	M_BAD_ID, M_NO_ID, M_BAD_PARENT, M_SELF_PARENT, M_COUNTRY_UNASSIGNED,
	M_COUNTRY_LOWER, M_COUNTRY_REQUESTED, M_PRIORITY, M_NO_CALLER, M_LONG_CALLER,
	M_KID_CONTROL, M_TIME_OFFSET, M_TIME_NANOS, M_TIME_MONTH, M_TIME_HOUR, M_NO_TIME,
	M_DUE_BEFORE, M_NO_MESSAGE, M_MESSAGE_NUL, M_MESSAGE_UTF8, M_MESSAGE_HUGE,
	M_MESSAGE_NEWLINE, M_COUNT
};

static const int want_code[M_COUNT] = {
	[M_LONG_CALLER] = REG_ETOOBIG, [M_MESSAGE_HUGE] = REG_ETOOBIG,
};

START_TEST(receive_refuses_bad_input)
{
	struct reg_trace_in in = request(ID_A, MSG_A);
	reg_error err = REG_ERROR_INIT;
	struct acks a = { 0, 0 };
	uint64_t n = log_size(), idx;
	int same, m = _i, want;
	char longtext[302], *huge = NULL;

	memset(longtext, 'x', 301);
	longtext[301] = '\0';
	switch (m) {
	case M_BAD_ID: in.id = "0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f3"; break;
	case M_NO_ID: in.id = NULL; break;
	case M_BAD_PARENT: in.parent_id = "{" ID_B "}"; break;
	case M_SELF_PARENT: in.parent_id = ID_A; break;
	case M_COUNTRY_UNASSIGNED: in.requesting_state = "XX"; break;
	case M_COUNTRY_LOWER: in.requesting_state = "be"; break;
	case M_COUNTRY_REQUESTED: in.requested_state = "NLD"; break;
	case M_PRIORITY: in.priority = "high"; break;
	case M_NO_CALLER: in.caller = ""; break;
	case M_LONG_CALLER: in.caller = longtext; break;
	case M_KID_CONTROL: in.kid = "be\t1"; break;
	case M_TIME_OFFSET: in.received_at = "2024-05-01T10:00:00+00:00"; break;
	case M_TIME_NANOS: in.received_at = "2024-05-01T10:00:00.1234567Z"; break;
	case M_TIME_MONTH: in.received_at = "2024-13-01T10:00:00Z"; break;
	case M_TIME_HOUR: in.due_by = "2024-05-15T24:00:00Z"; break;
	case M_NO_TIME: in.due_by = NULL; break;
	case M_DUE_BEFORE: in.due_by = "2024-05-01T09:59:59.999999Z"; break;
	case M_NO_MESSAGE: in.message_len = 0; break;
	case M_MESSAGE_NUL: in.message = "abc\0def"; in.message_len = 7; break;
	case M_MESSAGE_UTF8: in.message = "abc\xc3(def"; in.message_len = 8; break;
	case M_MESSAGE_NEWLINE: in.message = "abc\ndef"; in.message_len = 7; break;
	case M_MESSAGE_HUGE:
		huge = malloc(REG_TRACE_MESSAGE_MAX + 1);
		ck_assert(huge != NULL);
		memset(huge, 'a', REG_TRACE_MESSAGE_MAX + 1);
		in.message = huge;
		in.message_len = REG_TRACE_MESSAGE_MAX + 1;
		break;
	default: ck_abort();
	}
	want = want_code[m] != 0 ? want_code[m] : REG_EINVAL;
	ck_assert_int_eq(reg_trace_receive(ctx, &in, ack_cb, &a, &idx, &same, NULL, &err),
	    want);
	ck_assert_msg(err.message[0] != '\0', "no message for mutation %d", m);
	ck_assert_int_eq(a.calls, 0);
	ck_assert_uint_eq(log_size(), n);
	ck_assert_int_eq(count("SELECT count(*) FROM trace_request"), 0);
	free(huge);
	/* The largest message goes in. */
	if (m == M_MESSAGE_HUGE) {
		huge = malloc(REG_TRACE_MESSAGE_MAX);
		ck_assert(huge != NULL);
		memset(huge, 'a', REG_TRACE_MESSAGE_MAX);
		in.message = huge;
		in.message_len = REG_TRACE_MESSAGE_MAX;
		(void)receive(&in);
		free(huge);
		verify_ok();
	}
}
END_TEST

START_TEST(ack_failure_rolls_back)
{
	struct reg_trace_in in = request(ID_A, MSG_A);
	reg_error err = REG_ERROR_INIT;
	struct acks a = { 0, 1 };
	uint64_t n = log_size(), idx;
	int same;
	char *ack = (char *)"untouched";

	ck_assert_int_eq(reg_trace_receive(ctx, &in, ack_cb, &a, &idx, &same, &ack, &err),
	    REG_EKEY);
	ck_assert_msg(strstr(err.message, "no signing key") != NULL, "%s", err.message);
	ck_assert_ptr_null(ack);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_uint_eq(log_size(), n);
	ck_assert_int_eq(count("SELECT count(*) FROM trace_request"), 0);
	/* Inside the caller's transaction, a rollback takes both away. */
	ck_assert(reg_tx_begin(ctx, &err) == 0);
	(void)receive(&in);
	ck_assert_int_eq(reg_tx_rollback(ctx, &err), 0);
	ck_assert_uint_eq(log_size(), n);
	ck_assert(reg_tx_begin(ctx, &err) == 0);
	(void)receive(&in);
	ck_assert_int_eq(reg_tx_commit(ctx, &err), 0);
	ck_assert_uint_eq(log_size(), n + 1);
	ck_assert_int_eq(count("SELECT count(*) FROM trace_ack"), 1);
	verify_ok();
}
END_TEST

START_TEST(status_refuses_bad_input)
{
	struct reg_trace_in in = request(ID_A, MSG_A);
	reg_error err = REG_ERROR_INIT;
	char *huge;
	uint64_t n;
	size_t i;
	static const struct {
		const char *id, *status, *reasons, *response;
		int code;
	} bad[] = {
		{ "not-a-uuid", "in_progress", NULL, NULL, REG_EINVAL },
		{ ID_B, "in_progress", NULL, NULL, REG_ENOTFOUND },
		{ ID_A, "acknowledged", NULL, NULL, REG_EINVAL },
		{ ID_A, "overdue", NULL, NULL, REG_EINVAL },
		{ ID_A, NULL, NULL, NULL, REG_EINVAL },
		{ ID_A, "in_progress", NULL, RESPONSE, REG_EINVAL },
		{ ID_A, "answered", NULL, NULL, REG_EINVAL },
		{ ID_A, "declined", "", RESPONSE, REG_EINVAL },
		{ ID_A, "declined", "{\"a\":\"b\"}", RESPONSE, REG_EINVAL },
		{ ID_A, "declined", "[1]", RESPONSE, REG_EINVAL },
		{ ID_A, "declined", "[\"a\"", RESPONSE, REG_EINVAL },
		{ ID_A, "declined", "[\"a\",\n\"b\"]", RESPONSE, REG_EINVAL },
		{ ID_A, "declined", "[\"a\"]", "two\nlines", REG_EINVAL },
	};

	(void)receive(&in);
	n = log_size();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reg_error_clear(&err);
		ck_assert_msg(reg_trace_status_add(ctx, bad[i].id, bad[i].status,
		    bad[i].reasons, bad[i].response, bad[i].response ?
		    strlen(bad[i].response) : 0, NULL, &err) == bad[i].code,
		    "case %zu: %s", i, err.message);
		ck_assert_msg(err.message[0] != '\0', "case %zu has no message", i);
	}
	/* Reasons and responses over their limits. */
	huge = malloc(REG_TRACE_MESSAGE_MAX + 2);
	ck_assert(huge != NULL);
	memset(huge, 'a', REG_TRACE_MESSAGE_MAX + 1);
	huge[0] = '[';
	huge[1] = '"';
	memcpy(huge + REG_TRACE_REASONS_MAX - 1, "\"]", 3);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_trace_status_add(ctx, ID_A, "declined", huge, RESPONSE,
	    strlen(RESPONSE), NULL, &err), REG_ETOOBIG);
	memset(huge, 'a', REG_TRACE_MESSAGE_MAX + 1);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_trace_status_add(ctx, ID_A, "answered", NULL, huge,
	    REG_TRACE_MESSAGE_MAX + 1, NULL, &err), REG_ETOOBIG);
	free(huge);
	ck_assert_uint_eq(log_size(), n);
	ck_assert_int_eq(count("SELECT count(*) FROM trace_status"), 0);
	/* Reasons of exactly the limit go in. */
	huge = malloc(REG_TRACE_REASONS_MAX + 1);
	ck_assert(huge != NULL);
	memset(huge, 'a', REG_TRACE_REASONS_MAX);
	memcpy(huge, "[\"", 2);
	memcpy(huge + REG_TRACE_REASONS_MAX - 2, "\"]", 3);
	(void)status(ID_A, "in_progress", huge, NULL);
	free(huge);
	verify_ok();
}
END_TEST

START_TEST(traces_append_only)
{
	struct reg_trace_in in = request(ID_A, MSG_A);
	char msg[512];

	(void)receive(&in);
	(void)status(ID_A, "answered", NULL, RESPONSE);
	ck_assert_int_eq(tu_try_exec(ci, "UPDATE trace_request SET message = 'x'", msg,
	    sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "append-only") != NULL, "%s", msg);
	ck_assert_int_eq(tu_try_exec(ci, "DELETE FROM trace_ack", msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "append-only") != NULL, "%s", msg);
	ck_assert_int_eq(tu_try_exec(ci, "TRUNCATE trace_status", msg, sizeof(msg)), -1);
	ck_assert_int_eq(tu_try_exec(ci, "SET ROLE registry_app; UPDATE trace_ack "
	    "SET message = 'x'", msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "permission denied") != NULL, "%s", msg);
	ck_assert_int_eq(tu_try_exec(ci, "SET ROLE registry_app; DELETE FROM trace_status",
	    msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "permission denied") != NULL, "%s", msg);
	/* A stored digest must be its message's. */
	ck_assert_int_eq(tu_try_exec(ci, "SET session_replication_role = replica; "
	    "UPDATE trace_request SET message = 'x'", msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "check constraint") != NULL, "%s", msg);
}
END_TEST

/* A superuser's direct change is caught by verification and named. */
static void
expect_caught(const char *sql, const char *words, int64_t want_index)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_log_report rep;
	char full[2048];

	verify_ok();
	snprintf(full, sizeof(full), "SET session_replication_role = replica; %s", sql);
	tu_exec(ci, full);
	ck_assert_int_eq(reg_log_verify(ctx, key, &rep, &err), REG_EVERIFY);
	ck_assert_msg(strstr(err.message, words) != NULL, "message: %s", err.message);
	ck_assert_msg(rep.bad_index == want_index, "bad index %" PRId64 ", wanted %"
	    PRId64 ": %s", rep.bad_index, want_index, err.message);
}

START_TEST(tamper_request_message)
{
	struct reg_trace_in in = request(ID_A, MSG_A);
	uint64_t idx;

	(void)receive(&in);
	in = request(ID_B, MSG_B);
	idx = receive(&in);
	/* The digest column changed with it, as its CHECK asks: the leaf's
	 * digest still tells. */
	expect_caught("UPDATE trace_request SET message = 'forged.message.sig', "
	    "message_sha256 = encode(sha256('forged.message.sig'), 'base64') "
	    "WHERE id = '" ID_B "'", "table trace_request, record " ID_B, (int64_t)idx);
}
END_TEST

START_TEST(tamper_request_message_only)
{
	struct reg_trace_in in = request(ID_A, MSG_A);
	uint64_t idx;

	idx = receive(&in);
	/* Without the CHECK, the stored digest stays and the message changes:
	 * verification hashes the message itself. */
	expect_caught("ALTER TABLE trace_request DROP CONSTRAINT trace_request_message_sha256; "
	    "UPDATE trace_request SET message = 'forged.message.sig'",
	    "table trace_request, record " ID_A, (int64_t)idx);
}
END_TEST

START_TEST(tamper_status_response_only)
{
	struct reg_trace_in in = request(ID_A, MSG_A);
	uint64_t s1;

	(void)receive(&in);
	s1 = status(ID_A, "restricted", "[\"withheld: holder's identity\"]", RESPONSE);
	expect_caught("ALTER TABLE trace_status DROP CONSTRAINT trace_status_response_sha256; "
	    "UPDATE trace_status SET response = 'other.response.sig'",
	    "table trace_status, record ", (int64_t)s1);
}
END_TEST

START_TEST(tamper_request_fields)
{
	struct reg_trace_in in = request(ID_A, MSG_A);
	uint64_t idx;

	idx = receive(&in);
	expect_caught("UPDATE trace_request SET due_by = due_by + interval '30 days'",
	    "table trace_request, record " ID_A, (int64_t)idx);
}
END_TEST

START_TEST(tamper_status_response)
{
	struct reg_trace_in in = request(ID_A, MSG_A);
	uint64_t s1, s2;

	(void)receive(&in);
	s1 = status(ID_A, "in_progress", NULL, NULL);
	s2 = status(ID_A, "answered", "[\"found\"]", RESPONSE);
	(void)s1;
	expect_caught("UPDATE trace_status SET response = 'other.response.sig', "
	    "response_sha256 = encode(sha256('other.response.sig'), 'base64') "
	    "WHERE response IS NOT NULL", "table trace_status, record ", (int64_t)s2);
}
END_TEST

START_TEST(tamper_status_kind)
{
	struct reg_trace_in in = request(ID_A, MSG_A);
	uint64_t s1;

	(void)receive(&in);
	s1 = status(ID_A, "answered", NULL, RESPONSE);
	expect_caught("UPDATE trace_status SET status = 'declined'",
	    "table trace_status, record ", (int64_t)s1);
}
END_TEST

START_TEST(tamper_status_removed)
{
	struct reg_trace_in in = request(ID_A, MSG_A);
	uint64_t s1;

	(void)receive(&in);
	s1 = status(ID_A, "answered", NULL, RESPONSE);
	expect_caught("DELETE FROM trace_status", "missing from table trace_status",
	    (int64_t)s1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("traces");
	TCase *tc = tcase_create("traces");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, receive_once_per_id);
	tcase_add_test(tc, frontier_kept_for_one_leaf);
	tcase_add_test(tc, leaf_seals_message_digest);
	tcase_add_test(tc, status_changes_and_get);
	tcase_add_test(tc, get_unknown);
	tcase_add_test(tc, open_requests_and_counts);
	tcase_add_loop_test(tc, receive_refuses_bad_input, 0, M_COUNT);
	tcase_add_test(tc, ack_failure_rolls_back);
	tcase_add_test(tc, status_refuses_bad_input);
	tcase_add_test(tc, traces_append_only);
	tcase_add_test(tc, tamper_request_message);
	tcase_add_test(tc, tamper_request_message_only);
	tcase_add_test(tc, tamper_request_fields);
	tcase_add_test(tc, tamper_status_response_only);
	tcase_add_test(tc, tamper_status_response);
	tcase_add_test(tc, tamper_status_kind);
	tcase_add_test(tc, tamper_status_removed);
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
