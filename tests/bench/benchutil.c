/* What the corpus benchmarks share (benchutil.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

const char *bench_prog = "bench";
void (*bench_on_die)(void);

void
bench_die(const char *what, const char *msg)
{
	fprintf(stderr, "%s: %s: %s\n", bench_prog, what, msg);
	if (bench_on_die != NULL)
		bench_on_die();
	exit(1);
}

double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long
bench_env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strtol(v, NULL, 10) : def;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
bench_pctl(double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

void
bench_exec(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		bench_die(sql, PQerrorMessage(c));
	PQclear(res);
}

void
bench_tmpdir(const char *name, char *out, size_t len)
{
	char cmd[4400];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/tests/tmp'", REG_BUILDDIR);
	snprintf(out, len, "%s/tests/tmp/%s.XXXXXX", REG_BUILDDIR, name);
	if (system(cmd) != 0 || mkdtemp(out) == NULL)
		bench_die("setup", "cannot make a temporary folder under tests/tmp");
}

void
bench_rmdir(const char *dir)
{
	char cmd[4400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: cannot remove %s\n", bench_prog, dir);
}

reg_pii_keyring *
bench_pii_keyring(const char *dir)
{
	reg_error err = REG_ERROR_INIT;
	reg_pii_keyring *kr = NULL;
	char keyfile[4300];

	snprintf(keyfile, sizeof(keyfile), "%s/pii.key", dir);
	if (reg_pii_keygen(keyfile, 0, NULL, &err) != 0 ||
	    reg_pii_keyring_load(keyfile, &kr, &err) != 0)
		bench_die("pii key", err.message);
	return kr;
}

void
bench_databases(const char *db)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	char sql[256], conninfo[256], cmd[1024];
	PGconn *c = PQconnectdb("");
	int napplied;

	if (PQstatus(c) != CONNECTION_OK)
		bench_die("connect", PQerrorMessage(c));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	bench_exec(c, sql);
	bench_exec(c, "CREATE DATABASE bench_pgbench");
	PQfinish(c);
	snprintf(conninfo, sizeof(conninfo), "dbname=%s", db);
	if (reg_open(conninfo, REG_OPEN_OWNER, &ctx, &err) != 0 ||
	    reg_migrate(ctx, REG_SRCDIR "/migrations", NULL, NULL, &napplied, &err) != 0)
		bench_die("migrate", err.message);
	reg_close(ctx);
	snprintf(cmd, sizeof(cmd), "%s/pgbench -q -i -s 10 bench_pgbench >/dev/null 2>&1",
	    PG_BINDIR);
	if (system(cmd) != 0)
		bench_die("pgbench", "cannot initialise its tables");
}

void
bench_load(const char *conninfo, const char *dir, unsigned seed, long start,
    long n, int requests, const reg_pii_keyring *kr)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx;
	PGconn *c;
	char msg[1024];
	double t = bench_now();

	if (corpus_generate(dir, seed, start, n, requests, msg, sizeof(msg)) != 0)
		bench_die("generate", msg);
	printf("generated %ld weapons in %.0f s\n", n, bench_now() - t);
	fflush(stdout);
	t = bench_now();
	if (reg_open(conninfo, 0, &ctx, &err) != 0)
		bench_die("open", err.message);
	if (corpus_load(ctx, kr, dir, isatty(2), msg, sizeof(msg)) != 0)
		bench_die("load", msg);
	reg_close(ctx);
	c = PQconnectdb(conninfo);
	bench_exec(c, "VACUUM ANALYZE");
	PQfinish(c);
	printf("loaded %ld weapons with their events in %.0f s\n", n, bench_now() - t);
	fflush(stdout);
}

proto_request **
bench_exact_requests(PGconn *c, const proto_request *model, int max, size_t *n)
{
	const char *params[1];
	char limit[16];
	PGresult *res;
	proto_error perr = PROTO_ERROR_INIT;
	proto_request **out;
	char *json = NULL;
	int i;

	snprintf(limit, sizeof(limit), "%d", max);
	params[0] = limit;
	res = PQexecParams(c, "SELECT w.serial, m.name, w.model, w.type, w.calibre, "
	    "w.country_of_manufacture, coalesce(w.year_of_manufacture, 0) "
	    "FROM weapon w JOIN manufacturer m ON m.id = w.manufacturer_id "
	    "ORDER BY md5(w.id::text) LIMIT $1", 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		bench_die("sample", PQerrorMessage(c));
	if (proto_request_to_json(model, &json, &perr) != 0)
		bench_die("request", perr.message);
	out = calloc((size_t)PQntuples(res) + 1, sizeof(*out));
	if (out == NULL)
		bench_die("sample", "out of memory");
	for (i = 0; i < PQntuples(res); i++) {
		proto_request *r;
		struct proto_weapon *w;

		if (proto_request_parse(json, strlen(json), &r, &perr) != 0)
			bench_die("request", perr.message);
		w = &r->weapon;
		free(w->serial);
		free(w->manufacturer);
		free(w->model);
		free(w->calibre);
		w->serial = strdup(PQgetvalue(res, i, 0));
		w->manufacturer = strdup(PQgetvalue(res, i, 1));
		w->model = PQgetisnull(res, i, 2) ? NULL : strdup(PQgetvalue(res, i, 2));
		snprintf(w->type, sizeof(w->type), "%s", PQgetvalue(res, i, 3));
		w->calibre = PQgetisnull(res, i, 4) ? NULL : strdup(PQgetvalue(res, i, 4));
		snprintf(w->country_of_manufacture, sizeof(w->country_of_manufacture),
		    "%s", PQgetvalue(res, i, 5));
		w->year_of_manufacture = atoi(PQgetvalue(res, i, 6));
		snprintf(w->serial_condition, sizeof(w->serial_condition), "legible");
		out[i] = r;
	}
	*n = (size_t)PQntuples(res);
	PQclear(res);
	proto_free(json);
	return out;
}

double
bench_pgbench(int clients, int seconds)
{
	char cmd[1024], line[512];
	double tps = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s/pgbench -n -S -M prepared -c %d -j %d -T %d "
	    "bench_pgbench 2>&1", PG_BINDIR, clients, clients, seconds);
	if ((p = popen(cmd, "r")) == NULL)
		bench_die("pgbench", "cannot run");
	while (fgets(line, sizeof(line), p) != NULL)
		if (strncmp(line, "tps = ", 6) == 0)
			tps = strtod(line + 6, NULL);
	if (pclose(p) != 0 || tps <= 0)
		bench_die("pgbench", cmd);
	return tps;
}
