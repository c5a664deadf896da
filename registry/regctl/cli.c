/* Helpers the registry's programs share. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "registry/cli.h"

extern char **environ;

/* Whether the caller set any of libpq's connection variables. */
static int
pg_env_set(void)
{
	char **e;

	for (e = environ; *e != NULL; e++)
		if (strncmp(*e, "PG", 2) == 0 && strchr(*e, '=') != NULL)
			return 1;
	return 0;
}

int
cli_conninfo(const char *opt_db, char **conninfo, reg_error *err)
{
	const char *env = getenv("REGISTRY_DB");

	*conninfo = NULL;
	if (opt_db != NULL)
		*conninfo = strdup(opt_db);
	else if (env != NULL && *env != '\0')
		*conninfo = strdup(env);
	else if (pg_env_set())
		*conninfo = strdup("");
	else
		return cli_local_ensure(conninfo, err);
	if (*conninfo == NULL) {
		err->code = REG_ENOMEM;
		snprintf(err->message, sizeof(err->message), "out of memory");
		return REG_ENOMEM;
	}
	return 0;
}

int
cli_open(const char *opt_db, unsigned flags, reg_ctx **ctx, reg_error *err)
{
	char *ci = NULL;
	int r;

	*ctx = NULL;
	if ((r = cli_conninfo(opt_db, &ci, err)) != 0)
		return r;
	r = reg_open(ci, flags, ctx, err);
	free(ci);
	return r;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *
cli_migrations_dir(const char *opt)
{
	static char buf[4096];
	const char *env = getenv("REGISTRY_MIGRATIONS");

	if (opt != NULL)
		return opt;
	if (env != NULL && *env != '\0')
		return env;
	snprintf(buf, sizeof(buf), "%s/migrations", REG_SRCDIR);
	if (is_dir(buf))
		return buf;
	snprintf(buf, sizeof(buf), "%s/migrations", REG_PKGDATADIR);
	return buf;
}

void
cli_report(const char *prog, const reg_error *err)
{
	if (err->code == 0)
		return;
	if (err->message[0] != '\0')
		fprintf(stderr, "%s: %s\n", prog, err->message);
	else
		fprintf(stderr, "%s: %s\n", prog, reg_strerror(err->code));
}

double
cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
cli_progress_start(struct cli_progress *p, const char *what,
    unsigned long long total)
{
	p->what = what;
	p->total = total;
	p->start = cli_now();
	p->last = 0;
	p->tty = isatty(STDERR_FILENO);
}

static void
progress_print(struct cli_progress *p, unsigned long long done, int final)
{
	double el = cli_now() - p->start;
	double rate = el > 0 ? (double)done / el : 0;

	if (p->total > 0 && rate > 0 && !final) {
		double eta = (double)(p->total - (done < p->total ? done : p->total)) / rate;

		fprintf(stderr, "\r%s: %llu/%llu (%.0f%%), %.0f/s, ETA %.0fs   ",
		    p->what, done, p->total, 100.0 * (double)done / (double)p->total,
		    rate, eta);
	} else {
		fprintf(stderr, "\r%s: %llu, %.0f/s, %.1fs%s", p->what, done, rate,
		    el, final ? "          \n" : "   ");
	}
	fflush(stderr);
}

void
cli_progress_update(struct cli_progress *p, unsigned long long done)
{
	double t;

	if (!p->tty)
		return;
	t = cli_now();
	if (t - p->last < 0.25)
		return;
	p->last = t;
	progress_print(p, done, 0);
}

void
cli_progress_end(struct cli_progress *p, unsigned long long done)
{
	if (p->tty)
		progress_print(p, done, 1);
}
