/*
 * Benchmark of the trace engine (make bench), on the corpus that
 * tests/gen_corpus.py generates: weapons of 50 manufacturers with 3 to 20
 * events each, and trace requests derived from them with every kind of
 * damage.  At BENCH_TRACE_SMALL weapons (default 100,000) and again after
 * growing the same registry to BENCH_TRACE_WEAPONS (default 1,000,000):
 *
 *  - pgbench -S -M prepared on the same server, same number of clients
 *    (BENCH_TRACE_CLIENTS, default 2), as the baseline, run just before
 *    the engine's own throughput run so that both see the same machine;
 *  - exact traces (the serial as marked, with manufacturer, model, type,
 *    calibre, country and year) of weapons sampled from the registry:
 *    median and 99th percentile latency on one connection, and traces per
 *    second with the same number of clients as pgbench; the ratio
 *    traces/s / pgbench tps (target >= 0.5), and the median (target < 1 ms);
 *  - damaged traces: two unreadable positions, two look-alike characters:
 *    95th percentile (target < 20 ms);
 *  - accuracy of every corpus request by kind of damage: top-1 and top-5
 *    (target top-1 >= 95% for one or two damaged characters), and no
 *    wrong "found" where the truth is ambiguous.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "../corpus.h"

#define SAMPLE 2000		/* weapons sampled for exact traces */
#define RUN_SECONDS 10		/* each throughput run */

static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_trace: %s: %s\n", what, msg);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strtol(v, NULL, 10) : def;
}

static void
exec_ok(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		die(sql, PQerrorMessage(c));
	PQclear(res);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pctl(double *v, size_t n, double p)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* ------------------------------------------------------------ pgbench */

static double
pgbench(int clients)
{
	char cmd[1024], line[512];
	double tps = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s/pgbench -n -S -M prepared -c %d -j %d -T %d "
	    "bench_pgbench 2>&1", PG_BINDIR, clients, clients, RUN_SECONDS);
	if ((p = popen(cmd, "r")) == NULL)
		die("pgbench", "cannot run");
	while (fgets(line, sizeof(line), p) != NULL)
		if (strncmp(line, "tps = ", 6) == 0)
			tps = strtod(line + 6, NULL);
	if (pclose(p) != 0 || tps <= 0)
		die("pgbench", cmd);
	return tps;
}

/* ------------------------------------------------------------ requests */

/* Exact requests for weapons sampled from the registry. */
static proto_request **
exact_requests(PGconn *c, const proto_request *model, size_t *n)
{
	PGresult *res = PQexec(c, "SELECT w.serial, m.name, w.model, w.type, w.calibre, "
	    "w.country_of_manufacture, coalesce(w.year_of_manufacture, 0) "
	    "FROM weapon w JOIN manufacturer m ON m.id = w.manufacturer_id "
	    "ORDER BY md5(w.id::text) LIMIT 2000");
	proto_error perr = PROTO_ERROR_INIT;
	proto_request **out;
	char *json = NULL;
	int i;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("sample", PQerrorMessage(c));
	if (proto_request_to_json(model, &json, &perr) != 0)
		die("request", perr.message);
	out = calloc((size_t)PQntuples(res), sizeof(*out));
	for (i = 0; i < PQntuples(res); i++) {
		proto_request *r;
		struct proto_weapon *w;

		if (proto_request_parse(json, strlen(json), &r, &perr) != 0)
			die("request", perr.message);
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

/* ------------------------------------------------------------ traces */

struct worker {
	const char *conninfo;
	const tr_policy *policy;
	proto_request **reqs;
	size_t nreqs, start;
	double until;
	long done;
	pthread_t th;
};

static tr_engine *
engine_open(const char *conninfo, const tr_policy *policy, reg_ctx **ctx)
{
	reg_error err = REG_ERROR_INIT;
	tr_engine *e = NULL;

	if (reg_open(conninfo, 0, ctx, &err) != 0 ||
	    tr_engine_new(*ctx, policy, NULL, NULL, &e, &err) != 0)
		die("engine", err.message);
	return e;
}

static void
trace_one(tr_engine *e, const proto_request *req)
{
	reg_error err = REG_ERROR_INIT;
	proto_response *resp = NULL;

	if (tr_trace(e, req, &resp, &err) != 0)
		die("trace", err.message);
	proto_response_free(resp);
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	reg_ctx *ctx;
	tr_engine *e = engine_open(w->conninfo, w->policy, &ctx);
	size_t i = w->start;

	while (now() < w->until) {
		trace_one(e, w->reqs[i++ % w->nreqs]);
		w->done++;
	}
	tr_engine_free(e);
	reg_close(ctx);
	return NULL;
}

static double
throughput(const char *conninfo, const tr_policy *policy, proto_request **reqs,
    size_t n, int clients)
{
	struct worker *w = calloc((size_t)clients, sizeof(*w));
	double t0 = now(), t;
	long done = 0;
	int i;

	for (i = 0; i < clients; i++) {
		w[i] = (struct worker){ conninfo, policy, reqs, n,
			(size_t)i * n / (size_t)clients, t0 + RUN_SECONDS, 0, 0 };
		if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0)
			die("thread", "cannot start");
	}
	for (i = 0; i < clients; i++) {
		pthread_join(w[i].th, NULL);
		done += w[i].done;
	}
	t = now() - t0;
	free(w);
	return (double)done / t;
}

/* Latencies of reqs traced one after the other; fills median and p. */
static void
latency(tr_engine *e, proto_request **reqs, size_t n, double p, double *median,
    double *pv)
{
	double *v = calloc(n, sizeof(*v));
	size_t i;

	for (i = 0; i < n; i++) {
		double t = now();

		trace_one(e, reqs[i]);
		v[i] = (now() - t) * 1000.0;
	}
	*pv = pctl(v, n, p);
	*median = pctl(v, n, 0.5);
	free(v);
}

struct figures {
	long weapons;
	double pg_tps, tr_tps, exact_median, exact_p99;
	double un2_median, un2_p95, mis2_median, mis2_p95;
};

static void
measure(const char *conninfo, const char *dir, long weapons, int clients,
    struct figures *f)
{
	reg_error err = REG_ERROR_INIT;
	struct corpus_request *cr = NULL;
	struct corpus_score *scores = NULL;
	size_t ncr = 0, nscores = 0, nex = 0, i, nu = 0, nm = 0;
	proto_request **ex, **un2, **mis2;
	tr_policy *policy = NULL;
	tr_engine *e;
	reg_ctx *ctx;
	PGconn *c = PQconnectdb(conninfo);
	char msg[1024];
	double t;

	f->weapons = weapons;
	if (tr_policy_default("NL", &policy, &err) != 0)
		die("policy", err.message);
	e = engine_open(conninfo, policy, &ctx);
	if (corpus_requests(ctx, dir, &cr, &ncr, msg, sizeof(msg)) != 0)
		die("requests", msg);
	ex = exact_requests(c, cr[0].req, &nex);
	un2 = calloc(ncr, sizeof(*un2));
	mis2 = calloc(ncr, sizeof(*mis2));
	for (i = 0; i < ncr; i++) {
		if (strcmp(cr[i].damage, "unreadable2") == 0)
			un2[nu++] = cr[i].req;
		if (strcmp(cr[i].damage, "misread2") == 0)
			mis2[nm++] = cr[i].req;
	}
	/* Warm the caches once, as a running daemon would be. */
	for (i = 0; i < nex; i++)
		trace_one(e, ex[i]);
	latency(e, ex, nex, 0.99, &f->exact_median, &f->exact_p99);
	latency(e, un2, nu, 0.95, &f->un2_median, &f->un2_p95);
	latency(e, mis2, nm, 0.95, &f->mis2_median, &f->mis2_p95);
	f->pg_tps = pgbench(clients);
	f->tr_tps = throughput(conninfo, policy, ex, nex, clients);
	printf("%ld weapons, %d clients:\n", weapons, clients);
	printf("  pgbench -S -M prepared: %.0f tps; exact traces: %.0f traces/s; "
	    "ratio %.2f (target >= 0.5)\n", f->pg_tps, f->tr_tps, f->tr_tps / f->pg_tps);
	printf("  exact trace latency (one connection, %zu weapons): median %.3f ms "
	    "(target < 1 ms), p99 %.3f ms\n", nex, f->exact_median, f->exact_p99);
	printf("  two unreadable positions (%zu requests): median %.2f ms, p95 %.2f ms "
	    "(target < 20 ms)\n", nu, f->un2_median, f->un2_p95);
	printf("  two look-alike characters (%zu requests): median %.2f ms, p95 %.2f ms "
	    "(target < 20 ms)\n", nm, f->mis2_median, f->mis2_p95);
	fflush(stdout);
	/* Accuracy over the whole corpus of requests. */
	t = now();
	for (i = 0; i < ncr; i++) {
		proto_response *resp = NULL;

		if (tr_trace(e, cr[i].req, &resp, &err) != 0)
			die("trace", err.message);
		corpus_score_add(&scores, &nscores, &cr[i], resp);
		proto_response_free(resp);
	}
	printf("  accuracy over %zu corpus requests (%.1f s):\n", ncr, now() - t);
	corpus_score_print(scores, nscores);
	fflush(stdout);
	free(scores);
	free(un2);
	free(mis2);
	for (i = 0; i < nex; i++)
		proto_request_free(ex[i]);
	free(ex);
	corpus_requests_free(cr, ncr);
	tr_engine_free(e);
	reg_close(ctx);
	tr_policy_free(policy);
	PQfinish(c);
}

static void
load(const char *conninfo, const char *dir, unsigned seed, long start, long n,
    int requests, const reg_pii_keyring *kr)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx;
	PGconn *c;
	char msg[1024];
	double t = now();

	if (corpus_generate(dir, seed, start, n, requests, msg, sizeof(msg)) != 0)
		die("generate", msg);
	printf("generated %ld weapons in %.0f s\n", n, now() - t);
	fflush(stdout);
	t = now();
	if (reg_open(conninfo, 0, &ctx, &err) != 0)
		die("open", err.message);
	if (corpus_load(ctx, kr, dir, isatty(2), msg, sizeof(msg)) != 0)
		die("load", msg);
	reg_close(ctx);
	c = PQconnectdb(conninfo);
	exec_ok(c, "VACUUM ANALYZE");
	PQfinish(c);
	printf("loaded %ld weapons with their events in %.0f s\n", n, now() - t);
	fflush(stdout);
}

int
main(void)
{
	reg_error err = REG_ERROR_INIT;
	long small = env_long("BENCH_TRACE_SMALL", 100000);
	long big = env_long("BENCH_TRACE_WEAPONS", 1000000);
	int clients = (int)env_long("BENCH_TRACE_CLIENTS", 2);
	int requests = (int)env_long("BENCH_TRACE_REQUESTS", 2000);
	const char *conninfo = "dbname=bench_trace";
	struct figures f1, f2;
	reg_pii_keyring *kr = NULL;
	reg_ctx *ctx = NULL;
	char dir[4200], d1[4300], d2[4300], cmd[4400], keyfile[4300];
	PGconn *c;
	int napplied;

	if (small < 1000 || big < small)
		die("setup", "BENCH_TRACE_SMALL must be at least 1000 and at most "
		    "BENCH_TRACE_WEAPONS");
	snprintf(dir, sizeof(dir), "%s/tests/tmp", REG_BUILDDIR);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
	snprintf(dir, sizeof(dir), "%s/tests/tmp/bench_trace.XXXXXX", REG_BUILDDIR);
	if (system(cmd) != 0 || mkdtemp(dir) == NULL)
		die("setup", "cannot make a temporary folder under tests/tmp");
	snprintf(d1, sizeof(d1), "%s/small", dir);
	snprintf(d2, sizeof(d2), "%s/big", dir);
	snprintf(keyfile, sizeof(keyfile), "%s/pii.key", dir);
	if (reg_pii_keygen(keyfile, 0, NULL, &err) != 0 ||
	    reg_pii_keyring_load(keyfile, &kr, &err) != 0)
		die("pii key", err.message);
	c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK)
		die("connect", PQerrorMessage(c));
	exec_ok(c, "CREATE DATABASE bench_trace");
	exec_ok(c, "CREATE DATABASE bench_pgbench");
	PQfinish(c);
	if (reg_open(conninfo, REG_OPEN_OWNER, &ctx, &err) != 0 ||
	    reg_migrate(ctx, REG_SRCDIR "/migrations", NULL, NULL, &napplied, &err) != 0)
		die("migrate", err.message);
	reg_close(ctx);
	snprintf(cmd, sizeof(cmd), "%s/pgbench -q -i -s 10 bench_pgbench >/dev/null 2>&1",
	    PG_BINDIR);
	if (system(cmd) != 0)
		die("pgbench", "cannot initialise its tables");

	load(conninfo, d1, 7, 0, small, requests, kr);
	measure(conninfo, d1, small, clients, &f1);
	/* BENCH_TRACE_ONLY_SMALL: one size, no growth (for work on the engine). */
	if (getenv("BENCH_TRACE_ONLY_SMALL") != NULL)
		goto done;
	load(conninfo, d2, 7, small, big - small, requests, kr);
	measure(conninfo, d2, big, clients, &f2);

	printf("growth from %ld to %ld weapons (x%.0f): exact median x%.2f, throughput "
	    "ratio %.2f -> %.2f; unreadable p95 x%.2f; look-alike p95 x%.2f\n",
	    f1.weapons, f2.weapons, (double)f2.weapons / (double)f1.weapons,
	    f2.exact_median / f1.exact_median, f1.tr_tps / f1.pg_tps,
	    f2.tr_tps / f2.pg_tps, f2.un2_p95 / f1.un2_p95, f2.mis2_p95 / f1.mis2_p95);
done:
	reg_pii_keyring_free(kr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_trace: cannot remove %s\n", dir);
	return 0;
}
