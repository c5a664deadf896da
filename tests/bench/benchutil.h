/*
 * What the benchmarks on the generated corpus share (tests/bench/
 * bench_trace.c, bench_tracerd.c): clocks and percentiles, the databases
 * (the registry, migrated, and pgbench's tables as the baseline), the
 * corpus generated and loaded, exact requests for weapons sampled from the
 * registry, and pgbench -S -M prepared.  Every failure ends the program
 * with one line on stderr.
 */
#ifndef TESTS_BENCH_BENCHUTIL_H
#define TESTS_BENCH_BENCHUTIL_H

#include <stddef.h>

#include <libpq-fe.h>

#include "../corpus.h"

/* The program's name for bench_die(); set first in main(). */
extern const char *bench_prog;
/* Called by bench_die() before it exits (stops a daemon), or NULL. */
extern void (*bench_on_die)(void);

void bench_die(const char *what, const char *msg) __attribute__((noreturn));
/* CLOCK_MONOTONIC in seconds. */
double bench_now(void);
/* The environment variable name as a number, or def when unset. */
long bench_env_long(const char *name, long def);
/* The p quantile (0 to 1) of v[0..n-1], which it sorts. */
double bench_pctl(double *v, size_t n, double p);
void bench_exec(PGconn *c, const char *sql);

/* A new folder tests/tmp/NAME.XXXXXX of the build tree, in out. */
void bench_tmpdir(const char *name, char *out, size_t len);
/* Removes dir and what it holds (a failure is only reported). */
void bench_rmdir(const char *dir);
/* A new PII keyring in dir/pii.key, loaded. */
reg_pii_keyring *bench_pii_keyring(const char *dir);
/* Creates the database db migrated, and bench_pgbench with pgbench's
 * tables at scale 10. */
void bench_databases(const char *db);
/* Generates weapons start to start+n-1 of seed's corpus into dir with
 * requests trace requests, loads them and analyses, printing the times. */
void bench_load(const char *conninfo, const char *dir, unsigned seed, long start,
    long n, int requests, const reg_pii_keyring *kr);
/* Exact requests (the serial as marked, with manufacturer, model, type,
 * calibre, country and year), copies of model, for up to max weapons
 * sampled from the registry; *n of them. */
proto_request **bench_exact_requests(PGconn *c, const proto_request *model,
    int max, size_t *n);
/* pgbench -n -S -M prepared on bench_pgbench for seconds with clients
 * clients (and as many threads): its tps. */
double bench_pgbench(int clients, int seconds);

#endif
