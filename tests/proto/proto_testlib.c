/* What the codec's Check programs share (proto_testlib.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <check.h>

#include "proto_testlib.h"

const char *
pt_srcdir(void)
{
	const char *s = getenv("REG_TEST_SRCDIR");

	return s != NULL && *s != '\0' ? s : ".";
}

char *
pt_read_src(const char *rel, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", pt_srcdir(), rel);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	ck_assert(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert(buf != NULL);
	ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

int
pt_run_schemas(const char *args)
{
	char cmd[8192];
	int st;

	ck_assert_msg(strchr(pt_srcdir(), '\'') == NULL,
	    "REG_TEST_SRCDIR holds a quote");
	snprintf(cmd, sizeof(cmd),
	    "/usr/bin/python3 '%s/tests/validate_schemas.py' --srcdir '%s' %s",
	    pt_srcdir(), pt_srcdir(), args);
	fflush(stdout);
	fflush(stderr);
	st = system(cmd);
	ck_assert_msg(st != -1, "cannot run %s", cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
