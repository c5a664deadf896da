/*
 * Benchmark of the trace engine (make bench), on the corpus that
 * tests/gen_corpus.py generates: weapons of 50 manufacturers with 3 to 20
 * events each, and trace requests derived from them with every kind of
 * damage.  At BENCH_TRACE_SMALL weapons (default 100,000) and again after
 * growing the same registry to BENCH_TRACE_WEAPONS (default 1,000,000):
 *
 *  - pgbench -S -M prepared on the same server, same number of clients
 *    (BENCH_TRACE_CLIENTS, default 2), as the baseline, taking turns with
 *    the engine's own throughput runs (ROUNDS of each, RUN_SECONDS long) so
 *    that both see the same machine as its speed drifts;
 *  - exact traces (the serial as marked, with manufacturer, model, type,
 *    calibre, country and year) of weapons sampled from the registry:
 *    median and 99th percentile latency on one connection, and traces per
 *    second with the same number of clients as pgbench; the ratio
 *    traces/s / pgbench tps (target >= 0.5), and the median (target < 1 ms);
 *  - damaged traces: two unreadable positions, two look-alike characters:
 *    95th percentile the first time they are traced, and again after the
 *    accuracy pass as a daemon that has answered traces meets them (target
 *    < 20 ms);
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

#include "benchutil.h"

#define SAMPLE 2000		/* weapons sampled for exact traces */
#define ROUNDS 4		/* pgbench and traces, taking turns */
#define RUN_SECONDS 5		/* each throughput run */

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
		bench_die("engine", err.message);
	return e;
}

static void
trace_one(tr_engine *e, const proto_request *req)
{
	reg_error err = REG_ERROR_INIT;
	proto_response *resp = NULL;

	if (tr_trace(e, req, &resp, &err) != 0)
		bench_die("trace", err.message);
	proto_response_free(resp);
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	reg_ctx *ctx;
	tr_engine *e = engine_open(w->conninfo, w->policy, &ctx);
	size_t i = w->start;

	while (bench_now() < w->until) {
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
	double t0 = bench_now(), t;
	long done = 0;
	int i;

	for (i = 0; i < clients; i++) {
		w[i] = (struct worker){ conninfo, policy, reqs, n,
			(size_t)i * n / (size_t)clients, t0 + RUN_SECONDS, 0, 0 };
		if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0)
			bench_die("thread", "cannot start");
	}
	for (i = 0; i < clients; i++) {
		pthread_join(w[i].th, NULL);
		done += w[i].done;
	}
	t = bench_now() - t0;
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
		double t = bench_now();

		trace_one(e, reqs[i]);
		v[i] = (bench_now() - t) * 1000.0;
	}
	*pv = bench_pctl(v, n, p);
	*median = bench_pctl(v, n, 0.5);
	free(v);
}

struct figures {
	long weapons;
	double pg_tps, tr_tps, exact_median, exact_p99;
	double un2_median, un2_p95, mis2_median, mis2_p95;	/* warm */
	double un2_first, mis2_first;		/* p95 the first time */
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
		bench_die("policy", err.message);
	e = engine_open(conninfo, policy, &ctx);
	if (corpus_requests(ctx, dir, &cr, &ncr, msg, sizeof(msg)) != 0)
		bench_die("requests", msg);
	ex = bench_exact_requests(c, cr[0].req, SAMPLE, &nex);
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
	latency(e, un2, nu, 0.95, &f->un2_median, &f->un2_first);
	latency(e, mis2, nm, 0.95, &f->mis2_median, &f->mis2_first);
	/* The machine's speed drifts: pgbench and the traces take turns, and
	 * the figures are the means of the rounds, after a run of pgbench that
	 * brings its tables back into memory (the load may have pushed them
	 * out). */
	printf("%ld weapons, %d clients:\n", weapons, clients);
	(void)bench_pgbench(clients, 2);
	f->pg_tps = f->tr_tps = 0;
	for (i = 0; i < ROUNDS; i++) {
		double pg = bench_pgbench(clients, RUN_SECONDS);
		double tr = throughput(conninfo, policy, ex, nex, clients);

		printf("  round %zu of %d: pgbench -S -M prepared %.0f tps, exact traces "
		    "%.0f traces/s (%.2f)\n", i + 1, ROUNDS, pg, tr, tr / pg);
		fflush(stdout);
		f->pg_tps += pg / ROUNDS;
		f->tr_tps += tr / ROUNDS;
	}
	printf("  pgbench -S -M prepared: %.0f tps; exact traces: %.0f traces/s; "
	    "ratio %.2f (target >= 0.5)\n", f->pg_tps, f->tr_tps, f->tr_tps / f->pg_tps);
	printf("  exact trace latency (one connection, %zu weapons): median %.3f ms "
	    "(target < 1 ms), p99 %.3f ms\n", nex, f->exact_median, f->exact_p99);
	printf("  the first time: two unreadable positions (%zu requests): median "
	    "%.2f ms, p95 %.2f ms; two look-alike characters (%zu requests): "
	    "median %.2f ms, p95 %.2f ms\n", nu, f->un2_median, f->un2_first, nm,
	    f->mis2_median, f->mis2_first);
	fflush(stdout);
	/* Accuracy over the whole corpus of requests. */
	t = bench_now();
	for (i = 0; i < ncr; i++) {
		proto_response *resp = NULL;

		if (tr_trace(e, cr[i].req, &resp, &err) != 0)
			bench_die("trace", err.message);
		corpus_score_add(&scores, &nscores, &cr[i], resp);
		proto_response_free(resp);
	}
	printf("  accuracy over %zu corpus requests (%.1f s):\n", ncr, bench_now() - t);
	corpus_score_print(scores, nscores);
	/* Damaged serials again, as a daemon that has answered traces meets
	 * them: the first pass and the accuracy pass warmed its caches. */
	latency(e, un2, nu, 0.95, &f->un2_median, &f->un2_p95);
	latency(e, mis2, nm, 0.95, &f->mis2_median, &f->mis2_p95);
	printf("  two unreadable positions (%zu requests): median %.2f ms, p95 %.2f ms "
	    "(target < 20 ms)\n", nu, f->un2_median, f->un2_p95);
	printf("  two look-alike characters (%zu requests): median %.2f ms, p95 %.2f ms "
	    "(target < 20 ms)\n", nm, f->mis2_median, f->mis2_p95);
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

int
main(void)
{
	long small = bench_env_long("BENCH_TRACE_SMALL", 100000);
	long big = bench_env_long("BENCH_TRACE_WEAPONS", 1000000);
	int clients = (int)bench_env_long("BENCH_TRACE_CLIENTS", 2);
	int requests = (int)bench_env_long("BENCH_TRACE_REQUESTS", 2000);
	const char *conninfo = "dbname=bench_trace";
	struct figures f1, f2;
	reg_pii_keyring *kr;
	char dir[4200], d1[4300], d2[4300];

	bench_prog = "bench_trace";
	if (small < 1000 || big < small)
		bench_die("setup", "BENCH_TRACE_SMALL must be at least 1000 and at most "
		    "BENCH_TRACE_WEAPONS");
	bench_tmpdir("bench_trace", dir, sizeof(dir));
	snprintf(d1, sizeof(d1), "%s/small", dir);
	snprintf(d2, sizeof(d2), "%s/big", dir);
	kr = bench_pii_keyring(dir);
	/* BENCH_TRACE_REUSE: the registry that an earlier run of the same
	 * BENCH_TRACE_SMALL left in the server PGHOST names (for work on the
	 * engine); only the requests are generated again. */
	if (getenv("BENCH_TRACE_REUSE") != NULL) {
		char msg[1024];

		if (corpus_generate(d1, 7, 0, small, requests, msg, sizeof(msg)) != 0)
			bench_die("generate", msg);
		measure(conninfo, d1, small, clients, &f1);
		goto done;
	}
	bench_databases("bench_trace");

	bench_load(conninfo, d1, 7, 0, small, requests, kr);
	measure(conninfo, d1, small, clients, &f1);
	/* BENCH_TRACE_ONLY_SMALL: one size, no growth (for work on the engine). */
	if (getenv("BENCH_TRACE_ONLY_SMALL") != NULL)
		goto done;
	bench_load(conninfo, d2, 7, small, big - small, requests, kr);
	measure(conninfo, d2, big, clients, &f2);

	printf("growth from %ld to %ld weapons (x%.0f): exact median x%.2f, throughput "
	    "ratio %.2f -> %.2f; unreadable p95 x%.2f (first time x%.2f); look-alike "
	    "p95 x%.2f (first time x%.2f)\n",
	    f1.weapons, f2.weapons, (double)f2.weapons / (double)f1.weapons,
	    f2.exact_median / f1.exact_median, f1.tr_tps / f1.pg_tps,
	    f2.tr_tps / f2.pg_tps, f2.un2_p95 / f1.un2_p95, f2.un2_first / f1.un2_first,
	    f2.mis2_p95 / f1.mis2_p95, f2.mis2_first / f1.mis2_first);
done:
	reg_pii_keyring_free(kr);
	bench_rmdir(dir);
	return 0;
}
