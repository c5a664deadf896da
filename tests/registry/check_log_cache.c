/*
 * The log cache (registry/log_cache.c): a frontier kept for the next leaf
 * is given once, and only in the transaction epoch it was kept in; every
 * transaction command of the transaction layer (tx.c, stmt.c) advances the
 * epoch, and a plain statement does not.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <libpq-fe.h>

#include "registry/registry.h"
#include "log_int.h"
#include "record_int.h"
#include "testutil.h"

/* A context with no connection: the cache needs none. */
static reg_ctx *
bare(void)
{
	reg_ctx *ctx = calloc(1, sizeof(*ctx));

	ck_assert_ptr_nonnull(ctx);
	return ctx;
}

static void
bare_free(reg_ctx *ctx)
{
	reg__log_cache_free(ctx);
	free(ctx);
}

/* Keeps a frontier of size leaves in the current epoch. */
static void
keep(reg_ctx *ctx, uint64_t size)
{
	struct reg__frontier *f = reg__log_cache_slot(ctx);

	ck_assert_ptr_nonnull(f);
	reg__frontier_init(f);
	f->size = size;
	reg__log_cache_keep(ctx);
}

START_TEST(given_once)
{
	reg_ctx *ctx = bare();
	struct reg__frontier f;

	ck_assert_int_eq(reg__log_cache_take(ctx, &f), 0);	/* nothing kept */
	keep(ctx, 42);
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(reg__log_cache_take(ctx, &f), 1);
	ck_assert_uint_eq(f.size, 42);
	ck_assert_int_eq(reg__log_cache_take(ctx, &f), 0);
	/* A slot taken again forgets what it held. */
	keep(ctx, 7);
	ck_assert_ptr_nonnull(reg__log_cache_slot(ctx));
	ck_assert_int_eq(reg__log_cache_take(ctx, &f), 0);
	bare_free(ctx);
}
END_TEST

START_TEST(stale_in_another_epoch)
{
	reg_ctx *ctx = bare();
	struct reg__frontier f;

	keep(ctx, 3);
	ctx->tx_epoch++;
	ck_assert_int_eq(reg__log_cache_take(ctx, &f), 0);
	keep(ctx, 4);
	ck_assert_int_eq(reg__log_cache_take(ctx, &f), 1);
	ck_assert_uint_eq(f.size, 4);
	reg__log_cache_free(ctx);
	ck_assert_ptr_null(ctx->log_cache);
	ck_assert_int_eq(reg__log_cache_take(ctx, &f), 0);
	bare_free(ctx);
}
END_TEST

/* Whether a frontier kept before what ran is still given after it. */
static int
survives(reg_ctx *ctx)
{
	struct reg__frontier f;

	return reg__log_cache_take(ctx, &f);
}

START_TEST(transaction_commands_forget)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = tu_open(tu_db_migrated());
	const struct reg__query q = { "SELECT 1", 0, NULL };
	struct reg__tx tx;
	PGresult *res[1];

	keep(ctx, 1);
	ck_assert_int_eq(reg_tx_begin(ctx, &err), 0);
	ck_assert_int_eq(survives(ctx), 0);
	/* A statement in the transaction keeps it. */
	keep(ctx, 1);
	res[0] = reg__exec(ctx, "SELECT 1", 0, NULL, NULL, NULL, 0);
	ck_assert_int_eq(PQresultStatus(res[0]), PGRES_TUPLES_OK);
	PQclear(res[0]);
	ck_assert_int_eq(survives(ctx), 1);
	/* The log's lock taken again. */
	keep(ctx, 1);
	ck_assert_int_eq(reg__exec_locked(ctx, 0, &q, 1, res), 0);
	ck_assert_int_eq(PQresultStatus(res[0]), PGRES_TUPLES_OK);
	PQclear(res[0]);
	ck_assert_int_eq(survives(ctx), 0);
	/* A writer leaving the caller's transaction. */
	keep(ctx, 1);
	tx.own = 0;
	ck_assert_int_eq(reg__tx_leave(ctx, &tx, 0, &err), 0);
	ck_assert_int_eq(survives(ctx), 0);
	keep(ctx, 1);
	ck_assert_int_eq(reg_tx_commit(ctx, &err), 0);
	ck_assert_int_eq(survives(ctx), 0);
	/* A writer's own transaction, entered and left. */
	ck_assert_int_eq(reg__tx_enter(ctx, &tx, &err), 0);
	ck_assert_int_eq(tx.own, 1);
	keep(ctx, 1);
	ck_assert_int_eq(reg__tx_leave(ctx, &tx, 0, &err), 0);
	ck_assert_int_eq(survives(ctx), 0);
	/* A statement sent with its COMMIT, and a rollback. */
	ck_assert_int_eq(reg_tx_begin(ctx, &err), 0);
	keep(ctx, 1);
	ck_assert_msg(reg__exec_commit(ctx, "SELECT 1", 0, NULL, NULL, NULL,
	    "select", &err) == 0, "%s", err.message);
	ck_assert_int_eq(survives(ctx), 0);
	ck_assert_int_eq(reg_tx_begin(ctx, &err), 0);
	keep(ctx, 1);
	ck_assert_int_eq(reg_tx_rollback(ctx, &err), 0);
	ck_assert_int_eq(survives(ctx), 0);
	reg_close(ctx);
}
END_TEST

/* reg__tx_enter_find() keeps the frontier of the log as it is, once. */
START_TEST(lookup_keeps_the_frontier)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = tu_open(tu_db_migrated());
	struct reg__frontier f;
	struct reg__tx tx;
	PGresult *found = NULL;
	uint64_t idx, size = 0;
	int i;

	for (i = 0; i < 5; i++)
		ck_assert_int_eq(reg_log_append(ctx, "leaf", 4, &idx, &err), 0);
	ck_assert_int_eq(reg_log_size(ctx, &size, &err), 0);
	ck_assert_msg(reg__tx_enter_find(ctx, &tx, "nothing", "SELECT 1", 0,
	    NULL, &found, &err) == 0, "%s", err.message);
	ck_assert_int_eq(PQntuples(found), 1);
	PQclear(found);
	ck_assert_int_eq(tx.own, 1);
	ck_assert_int_eq(reg__log_cache_take(ctx, &f), 1);
	ck_assert_uint_eq(f.size, size);
	ck_assert_int_eq(f.count, 2);		/* 5 = 4 + 1 */
	ck_assert_int_eq(reg__log_cache_take(ctx, &f), 0);
	ck_assert_int_eq(reg__tx_leave(ctx, &tx, 0, &err), 0);
	reg_close(ctx);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("log_cache");
	TCase *tc = tcase_create("cache");

	tcase_add_test(tc, given_once);
	tcase_add_test(tc, stale_in_another_epoch);
	suite_add_tcase(s, tc);
	tc = tcase_create("epochs");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, transaction_commands_forget);
	tcase_add_test(tc, lookup_keeps_the_frontier);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run_suite(suite());
}
