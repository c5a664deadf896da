/* Shared parts of the harnesses (fuzz.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

const uint8_t fuzz_jws_seed[32] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
};

void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: check failed: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static char workdir[PATH_MAX];

static void
rm_workdir(void)
{
	static const char *const names[] = { "be-ca.pem", "be-sign.pub.pem",
	    "xh-sign.pub.pem", "de-sign.pub.pem", "peers.ini", "witness.key", "input.ini", "input2.ini", NULL };
	char p[PATH_MAX + 64];
	size_t i;

	for (i = 0; names[i] != NULL; i++) {
		snprintf(p, sizeof(p), "%s/%s", workdir, names[i]);
		(void)unlink(p);
	}
	(void)rmdir(workdir);
}

static void
copy_fixture(const char *name, mode_t mode)
{
	char src[PATH_MAX + 64], buf[65536];
	FILE *in, *out;
	size_t n;

	snprintf(src, sizeof(src), "%s/%s", FUZZ_FIXTURES, name);
	if ((in = fopen(src, "rb")) == NULL ||
	    (out = fopen(fuzz_path(name), "wb")) == NULL) {
		fprintf(stderr, "fuzz: cannot copy %s: %s\n", src, strerror(errno));
		abort();
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	if (fclose(out) != 0 || chmod(fuzz_path(name), mode) != 0)
		abort();
}

const char *
fuzz_workdir(void)
{
	const char *base;

	if (workdir[0] != '\0')
		return workdir;
	base = getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(workdir, sizeof(workdir), "%s/regfuzz.XXXXXX", base);
	if (mkdtemp(workdir) == NULL) {
		fprintf(stderr, "fuzz: mkdtemp %s: %s\n", workdir, strerror(errno));
		abort();
	}
	atexit(rm_workdir);
	copy_fixture("be-ca.pem", 0644);
	copy_fixture("be-sign.pub.pem", 0644);
	copy_fixture("xh-sign.pub.pem", 0644);
	copy_fixture("de-sign.pub.pem", 0644);
	copy_fixture("peers.ini", 0644);
	copy_fixture("witness.key", 0600);
	return workdir;
}

const char *
fuzz_path(const char *name)
{
	static char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", fuzz_workdir(), name);
	return p;
}

const char *
fuzz_write(const char *name, const uint8_t *data, size_t size)
{
	const char *p = fuzz_path(name);
	FILE *f = fopen(p, "wb");

	if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) ||
	    fclose(f) != 0) {
		fprintf(stderr, "fuzz: cannot write %s\n", p);
		abort();
	}
	return p;
}
