/* The migration runner and connecting, against a real PostgreSQL. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "registry/registry.h"
#include "testutil.h"

static reg_ctx *
open_owner(const char *ci)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;

	ck_assert_msg(reg_open(ci, REG_OPEN_OWNER, &ctx, &err) == 0,
	    "reg_open: %s", err.message);
	return ctx;
}

static int
table_exists(const char *ci, const char *name)
{
	char sql[256], *v;
	int r;

	snprintf(sql, sizeof(sql), "SELECT to_regclass('%s') IS NOT NULL", name);
	v = tu_query1(ci, sql);
	r = strcmp(v, "t") == 0;
	free(v);
	return r;
}

static const char *
fixture(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/tests/migrations/%s", tu_srcdir(), name);
	return buf;
}

START_TEST(applies_in_order_once)
{
	const char *ci = tu_db_create();
	reg_ctx *ctx = open_owner(ci);
	reg_error err = REG_ERROR_INIT;
	reg_migration_status *st = NULL;
	size_t n = 0;
	int napplied = -1;
	char *v;

	ck_assert_int_eq(reg_migrate(ctx, fixture("good"), NULL, NULL, &napplied, &err), 0);
	ck_assert_int_eq(napplied, 3);
	ck_assert(table_exists(ci, "t_one") && table_exists(ci, "t_two"));
	v = tu_query1(ci, "SELECT string_agg(name || ':' || sha256, ',' ORDER BY version) FROM schema_migrations");
	ck_assert_msg(strstr(v, "0001_base.sql:") == v, "history: %s", v);
	free(v);

	/* Running again applies nothing. */
	ck_assert_int_eq(reg_migrate(ctx, fixture("good"), NULL, NULL, &napplied, &err), 0);
	ck_assert_int_eq(napplied, 0);
	v = tu_query1(ci, "SELECT count(*) FROM t_two");
	ck_assert_str_eq(v, "1");
	free(v);

	ck_assert_int_eq(reg_migrate_status(ctx, fixture("good"), &st, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(st[0].applied && st[1].applied && st[2].applied);
	ck_assert_str_eq(st[2].name, "0003_two.sql");
	ck_assert_int_eq((int)strlen(st[2].applied_at), 20);
	reg_free(st);
	reg_close(ctx);
}
END_TEST

START_TEST(records_sha256_of_text)
{
	const char *ci = tu_db_create();
	reg_ctx *ctx = open_owner(ci);
	reg_error err = REG_ERROR_INIT;
	char cmd[4200], out[256], *v;

	ck_assert_int_eq(reg_migrate(ctx, fixture("good"), NULL, NULL, NULL, &err), 0);
	snprintf(cmd, sizeof(cmd), "sha256sum %s/0002_one.sql | cut -c1-64",
	    fixture("good"));
	ck_assert_int_eq(tu_run(cmd, out, sizeof(out)), 0);
	out[64] = '\0';
	v = tu_query1(ci, "SELECT sha256 FROM schema_migrations WHERE version = 2");
	ck_assert_str_eq(v, out);
	free(v);
	reg_close(ctx);
}
END_TEST

START_TEST(pending_listed)
{
	const char *ci = tu_db_create();
	reg_ctx *ctx = open_owner(ci);
	reg_error err = REG_ERROR_INIT;
	reg_migration_status *st = NULL;
	size_t n = 0;

	ck_assert_int_eq(reg_migrate_status(ctx, fixture("good"), &st, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(!st[0].applied && !st[1].applied && !st[2].applied);
	reg_free(st);
	reg_close(ctx);
}
END_TEST

START_TEST(gap_refused)
{
	const char *ci = tu_db_create();
	reg_ctx *ctx = open_owner(ci);
	reg_error err = REG_ERROR_INIT;

	ck_assert_int_eq(reg_migrate(ctx, fixture("gap"), NULL, NULL, NULL, &err),
	    REG_EMIGRATION);
	ck_assert_msg(strstr(err.message, "0002 is missing before 0003_one.sql") != NULL,
	    "message: %s", err.message);
	ck_assert(!table_exists(ci, "schema_migrations"));
	reg_close(ctx);
}
END_TEST

START_TEST(duplicate_refused)
{
	const char *ci = tu_db_create();
	reg_ctx *ctx = open_owner(ci);
	reg_error err = REG_ERROR_INIT;

	ck_assert_int_eq(reg_migrate(ctx, fixture("dup"), NULL, NULL, NULL, &err),
	    REG_EMIGRATION);
	ck_assert_msg(strstr(err.message, "0002_one.sql") != NULL &&
	    strstr(err.message, "0002_two.sql") != NULL, "message: %s", err.message);
	ck_assert(!table_exists(ci, "schema_migrations"));
	reg_close(ctx);
}
END_TEST

START_TEST(bad_name_refused)
{
	const char *ci = tu_db_create();
	reg_ctx *ctx = open_owner(ci);
	reg_error err = REG_ERROR_INIT;

	ck_assert_int_eq(reg_migrate(ctx, fixture("badname"), NULL, NULL, NULL, &err),
	    REG_EMIGRATION);
	ck_assert_msg(strstr(err.message, "2_short.sql") != NULL, "message: %s",
	    err.message);
	reg_close(ctx);
}
END_TEST

START_TEST(sql_error_rolls_back)
{
	const char *ci = tu_db_create();
	reg_ctx *ctx = open_owner(ci);
	reg_error err = REG_ERROR_INIT;
	int napplied = -1;
	char *v;

	ck_assert_int_eq(reg_migrate(ctx, fixture("sqlerror"), NULL, NULL, &napplied, &err),
	    REG_EDB);
	ck_assert_int_eq(napplied, 2);
	ck_assert_msg(strstr(err.message, "0003_broken.sql failed at line 5") != NULL,
	    "message: %s", err.message);
	ck_assert_msg(strstr(err.message, "SELEKT") != NULL, "message: %s", err.message);
	ck_assert_str_eq(err.sqlstate, "42601");
	/* Nothing of the failed migration stays, and the next was not tried. */
	ck_assert(!table_exists(ci, "t_half"));
	ck_assert(!table_exists(ci, "t_after"));
	v = tu_query1(ci, "SELECT max(version) FROM schema_migrations");
	ck_assert_str_eq(v, "2");
	free(v);
	/* The connection is usable afterwards. */
	reg_error_clear(&err);
	ck_assert_int_eq(reg_migrate(ctx, fixture("good"), NULL, NULL, &napplied, &err), 0);
	ck_assert_int_eq(napplied, 1);
	reg_close(ctx);
}
END_TEST

START_TEST(changed_after_apply_refused)
{
	const char *ci = tu_db_create();
	reg_ctx *ctx = open_owner(ci);
	reg_error err = REG_ERROR_INIT;
	char *dir = tu_tmpdir(), path[4200];
	int napplied = -1;

	tu_copy_dir(fixture("good"), dir);
	snprintf(path, sizeof(path), "%s/0003_two.sql", dir);
	unlink(path);
	ck_assert_int_eq(reg_migrate(ctx, dir, NULL, NULL, &napplied, &err), 0);
	ck_assert_int_eq(napplied, 2);
	/* Edit an applied migration, and add a pending one. */
	snprintf(path, sizeof(path), "%s/0002_one.sql", dir);
	tu_write_file(path, "CREATE TABLE t_one (id bigint PRIMARY KEY);\n");
	tu_copy_dir(fixture("good"), dir);	/* restores 0002, adds 0003 */
	tu_write_file(path, "CREATE TABLE t_one (id bigint PRIMARY KEY);\n");
	ck_assert_int_eq(reg_migrate(ctx, dir, NULL, NULL, &napplied, &err),
	    REG_EMIGRATION);
	ck_assert_int_eq(napplied, 0);
	ck_assert_msg(strstr(err.message, "0002_one.sql changed after it was applied") != NULL,
	    "message: %s", err.message);
	ck_assert(!table_exists(ci, "t_two"));
	tu_rmtree(dir);
	free(dir);
	reg_close(ctx);
}
END_TEST

START_TEST(applied_missing_refused)
{
	const char *ci = tu_db_create();
	reg_ctx *ctx = open_owner(ci);
	reg_error err = REG_ERROR_INIT;
	char *dir = tu_tmpdir(), path[4200];

	tu_copy_dir(fixture("good"), dir);
	ck_assert_int_eq(reg_migrate(ctx, dir, NULL, NULL, NULL, &err), 0);
	snprintf(path, sizeof(path), "%s/0003_two.sql", dir);
	unlink(path);
	ck_assert_int_eq(reg_migrate(ctx, dir, NULL, NULL, NULL, &err), REG_EMIGRATION);
	ck_assert_msg(strstr(err.message, "0003_two.sql is missing") != NULL,
	    "message: %s", err.message);
	tu_rmtree(dir);
	free(dir);
	reg_close(ctx);
}
END_TEST

START_TEST(missing_folder)
{
	const char *ci = tu_db_create();
	reg_ctx *ctx = open_owner(ci);
	reg_error err = REG_ERROR_INIT;

	ck_assert_int_eq(reg_migrate(ctx, "/nonexistent/migrations", NULL, NULL, NULL, &err),
	    REG_ENOTFOUND);
	ck_assert_msg(strstr(err.message, "/nonexistent/migrations") != NULL, "%s",
	    err.message);
	reg_close(ctx);
}
END_TEST

START_TEST(unreachable_database)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;

	ck_assert_int_eq(reg_open("host=/nonexistent-socket-dir connect_timeout=2", 0,
	    &ctx, &err), REG_ECONNECT);
	ck_assert_ptr_null(ctx);
	ck_assert_msg(strstr(err.message, "cannot connect") != NULL &&
	    strstr(err.message, "/nonexistent-socket-dir") != NULL, "%s", err.message);
	ck_assert_msg(strchr(err.message, '\n') == NULL, "one line: %s", err.message);
}
END_TEST

START_TEST(missing_database)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;

	ck_assert_int_eq(reg_open("dbname=no_such_db", 0, &ctx, &err), REG_ECONNECT);
	ck_assert_msg(strstr(err.message, "no_such_db") != NULL, "%s", err.message);
}
END_TEST

START_TEST(wrong_password)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;

	(void)tu_try_exec("dbname=postgres",
	    "CREATE ROLE regtest_pw LOGIN PASSWORD 'right-password'", NULL, 0);
	ck_assert_int_eq(reg_open("dbname=postgres user=regtest_pw password=wrong", 0,
	    &ctx, &err), REG_ECONNECT);
	ck_assert_msg(strstr(err.message, "password authentication failed") != NULL,
	    "%s", err.message);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_open("dbname=postgres user=regtest_pw password=right-password",
	    0, &ctx, &err), 0);
	reg_close(ctx);
}
END_TEST

START_TEST(real_migrations_apply)
{
	const char *ci = tu_db_migrated();
	reg_ctx *ctx = NULL;
	reg_error err = REG_ERROR_INIT;
	int n = -1;

	ctx = open_owner(ci);
	ck_assert_int_eq(reg_migrate(ctx, tu_src_path(0, "migrations"), NULL, NULL, &n, &err), 0);
	ck_assert_int_eq(n, 0);
	reg_close(ctx);
	/* The programs' role exists and a normal session works under it. */
	ck_assert_int_eq(reg_open(ci, 0, &ctx, &err), 0);
	reg_close(ctx);
}
END_TEST

START_TEST(first_failure_kept)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;

	ck_assert_int_eq(reg_open("host=/nonexistent-a connect_timeout=2", 0, &ctx, &err),
	    REG_ECONNECT);
	ck_assert_int_eq(reg_open("dbname=no_such_db_b", 0, &ctx, &err), REG_ECONNECT);
	ck_assert_msg(strstr(err.message, "nonexistent-a") != NULL, "%s", err.message);
	ck_assert_str_eq(reg_strerror(REG_EVERIFY), "verification failed");
	ck_assert_str_ne(reg_strerror(REG_EVERIFY), reg_strerror(REG_EINVAL));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("runner");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, applies_in_order_once);
	tcase_add_test(tc, records_sha256_of_text);
	tcase_add_test(tc, pending_listed);
	tcase_add_test(tc, gap_refused);
	tcase_add_test(tc, duplicate_refused);
	tcase_add_test(tc, bad_name_refused);
	tcase_add_test(tc, sql_error_rolls_back);
	tcase_add_test(tc, changed_after_apply_refused);
	tcase_add_test(tc, applied_missing_refused);
	tcase_add_test(tc, missing_folder);
	tcase_add_test(tc, real_migrations_apply);
	suite_add_tcase(s, tc);
	tc = tcase_create("connect");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, unreachable_database);
	tcase_add_test(tc, missing_database);
	tcase_add_test(tc, wrong_password);
	tcase_add_test(tc, first_failure_kept);
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
