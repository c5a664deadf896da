/* Helpers for the Check test programs. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>

#include "testutil.h"

const char *
tu_srcdir(void)
{
	const char *s = getenv("REG_TEST_SRCDIR");

	return s != NULL && *s != '\0' ? s : ".";
}

const char *
tu_src_path(int slot, const char *rel)
{
	static char buf[4][4096];

	ck_assert(slot >= 0 && slot < 4);
	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", tu_srcdir(), rel);
	return buf[slot];
}

PGconn *
tu_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);

	ck_assert_msg(PQstatus(c) == CONNECTION_OK,
	    "cannot connect to the test cluster (%s): %s", conninfo,
	    PQerrorMessage(c));
	return c;
}

int
tu_try_exec(const char *conninfo, const char *sql, char *msg, size_t msglen)
{
	PGconn *c = tu_connect(conninfo);
	PGresult *res = PQexec(c, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok && msg != NULL)
		snprintf(msg, msglen, "%s", PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(c);
	return ok ? 0 : -1;
}

void
tu_exec(const char *conninfo, const char *sql)
{
	char msg[1024];

	ck_assert_msg(tu_try_exec(conninfo, sql, msg, sizeof(msg)) == 0,
	    "SQL failed: %s: %s", sql, msg);
}

char *
tu_query1(const char *conninfo, const char *sql)
{
	PGconn *c = tu_connect(conninfo);
	PGresult *res = PQexec(c, sql);
	char *v;

	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1,
	    "query failed: %s: %s", sql, PQresultErrorMessage(res));
	v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
	return v;
}

const char *
tu_db_create(void)
{
	static char ci[256];
	static unsigned counter;
	char name[64], sql[160];

	snprintf(name, sizeof(name), "t_%ld_%u", (long)getpid(), counter++);
	/* The name is made here from digits: nothing from outside. */
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'",
	    name);
	tu_exec("dbname=postgres", sql);
	snprintf(ci, sizeof(ci), "dbname=%s", name);
	return ci;
}

const char *
tu_db_migrated(void)
{
	const char *ci = tu_db_create();
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	int r;

	r = reg_open(ci, REG_OPEN_OWNER, &ctx, &err);
	ck_assert_msg(r == 0, "reg_open: %s", err.message);
	r = reg_migrate(ctx, tu_src_path(0, "migrations"), NULL, NULL, NULL, &err);
	ck_assert_msg(r == 0, "reg_migrate: %s", err.message);
	reg_close(ctx);
	return ci;
}

char *
tu_tmpdir(void)
{
	char tmpl[] = "/tmp/regtu.XXXXXX";
	char *d = mkdtemp(tmpl);

	ck_assert_msg(d != NULL, "mkdtemp failed");
	return strdup(d);
}

void
tu_rmtree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char p[4096];
	struct stat st;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			tu_rmtree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(path);
}

void
tu_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(text, f);
	ck_assert(fclose(f) == 0);
}

char *
tu_concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	ck_assert_ptr_nonnull(s);
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

void
tu_copy_dir(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *de;
	char sp[4096], dp[4096], buf[8192];
	FILE *in, *out;
	size_t n;

	ck_assert_msg(d != NULL, "cannot open %s", src);
	mkdir(dst, 0755);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sp, sizeof(sp), "%s/%s", src, de->d_name);
		snprintf(dp, sizeof(dp), "%s/%s", dst, de->d_name);
		in = fopen(sp, "rb");
		out = fopen(dp, "wb");
		ck_assert(in != NULL && out != NULL);
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			ck_assert(fwrite(buf, 1, n, out) == n);
		fclose(in);
		ck_assert(fclose(out) == 0);
	}
	closedir(d);
}

int
tu_run(const char *cmdline, char *out, size_t outlen)
{
	char cmd[8192];
	FILE *p;
	size_t n = 0, k;
	int st;

	snprintf(cmd, sizeof(cmd), "%s 2>&1", cmdline);
	p = popen(cmd, "r");
	ck_assert_msg(p != NULL, "cannot run %s", cmdline);
	if (out != NULL && outlen > 0) {
		while (n + 1 < outlen && (k = fread(out + n, 1, outlen - 1 - n, p)) > 0)
			n += k;
		out[n] = '\0';
	}
	{
		char sink[4096];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

reg_ctx *
tu_open(const char *conninfo)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;

	ck_assert_msg(reg_open(conninfo, 0, &ctx, &err) == 0, "%s", err.message);
	return ctx;
}

int
tu_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
