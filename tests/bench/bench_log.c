/*
 * Benchmark of the audit log (make bench).  Every figure is printed with a
 * baseline measured in the same run, on the same server:
 *  - appends of ~300-byte leaves in batches of 1,000 per transaction, against
 *    a plain INSERT of the same bytes (index and leaf) into the equivalent
 *    table without index or tree (one multi-row INSERT per batch, the
 *    fastest plain INSERT) and, for reference, a plain text COPY of the
 *    leaves alone;
 *  - inclusion and consistency proofs at the full size, and a checkpoint,
 *    against a primary-key point SELECT on the same table.
 * BENCH_LEAVES sets the number of leaves (default 1,000,000).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "common/hex.h"
#include "registry/registry.h"

#define BATCH 1000
#define LEAF 300
#define ROUND_BATCHES 50

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_log: %s: %s\n", what, msg);
	exit(1);
}

static void
exec_ok(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		die(sql, PQresultErrorMessage(res));
	PQclear(res);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Fills a batch of leaves that look like records: varied, ~300 bytes. */
static void
make_batch(uint8_t *buf, struct reg_leaf *leaves, uint64_t base)
{
	int i, j;

	for (i = 0; i < BATCH; i++) {
		uint8_t *p = buf + (size_t)i * LEAF;
		int n = snprintf((char *)p, LEAF, "{\"v\":1,\"kind\":\"weapon\",\"serial\":\"SN%012" PRIu64 "\",\"office\":\"ref-",
		    base + (uint64_t)i);

		for (j = n; j < LEAF; j++)
			p[j] = (uint8_t)('a' + (int)((base + (uint64_t)i + (uint64_t)j * 7) % 26));
		leaves[i].data = p;
		leaves[i].len = LEAF;
	}
}

/*
 * One multi-row INSERT of the batch: its leaves as a binary bytea[]
 * parameter, their indexes counted from the first (set-returning functions
 * in the select list, which PostgreSQL runs without materialising them:
 * the fastest plain INSERT we found).
 */
static void
plain_insert(PGconn *c, const uint8_t *buf, uint8_t *arr, uint64_t base)
{
	char first[24];
	const char *params[2] = { first, (const char *)arr };
	int lens[2] = { 0, 0 }, fmts[2] = { 0, 1 };
	size_t off = 20;
	PGresult *res;
	int i;

	snprintf(first, sizeof(first), "%" PRIu64, base);
	put32(arr, 1);
	put32(arr + 4, 0);
	put32(arr + 8, 17);	/* bytea */
	put32(arr + 12, BATCH);
	put32(arr + 16, 1);
	for (i = 0; i < BATCH; i++) {
		put32(arr + off, LEAF);
		memcpy(arr + off + 4, buf + (size_t)i * LEAF, LEAF);
		off += 4 + LEAF;
	}
	lens[1] = (int)off;
	exec_ok(c, "BEGIN");
	res = PQexecParams(c, "INSERT INTO bench_plain (idx, data) "
	    "SELECT $1::bigint + generate_series(0, cardinality($2::bytea[]) - 1), "
	    "unnest($2::bytea[])",
	    2, NULL, params, lens, fmts, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("plain insert", PQresultErrorMessage(res));
	PQclear(res);
	exec_ok(c, "COMMIT");
}

/* The same bytes through COPY (text format, bytea hex). */
static void
plain_copy(PGconn *c, const uint8_t *buf, char *text)
{
	PGresult *res;
	size_t off = 0;
	int i;

	for (i = 0; i < BATCH; i++) {
		text[off++] = '\\';
		text[off++] = '\\';
		text[off++] = 'x';
		cm_hex_encode(buf + (size_t)i * LEAF, LEAF, text + off);
		off += 2 * LEAF;
		text[off++] = '\n';
	}
	exec_ok(c, "BEGIN");
	res = PQexec(c, "COPY bench_copy (data) FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN)
		die("copy", PQresultErrorMessage(res));
	PQclear(res);
	if (PQputCopyData(c, text, (int)off) != 1 || PQputCopyEnd(c, NULL) != 1)
		die("copy", PQerrorMessage(c));
	res = PQgetResult(c);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("copy", PQresultErrorMessage(res));
	PQclear(res);
	while ((res = PQgetResult(c)) != NULL)
		PQclear(res);
	exec_ok(c, "COMMIT");
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(int)(p * (n - 1))];
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int
main(void)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	reg_key *key = NULL;
	PGconn *plain;
	const char *env = getenv("BENCH_LEAVES");
	uint64_t total = env ? strtoull(env, NULL, 10) : 1000000, done = 0, first, seed = 42;
	uint8_t *buf = malloc((size_t)BATCH * LEAF), *arr = malloc((size_t)BATCH * (LEAF + 4) + 64);
	char *text = malloc((size_t)BATCH * (2 * LEAF + 4) + 16);
	struct reg_leaf leaves[BATCH];
	double t_log = 0, t_ins = 0, t_copy = 0, t, lat[2000], base[2000];
	char keypath[] = "/tmp/bench_log_key.XXXXXX", *note = NULL;
	struct reg_proof *p;
	struct reg_checkpoint cp;
	int i, fd, b;
	PGresult *res;

	total -= total % BATCH;
	if (total == 0 || buf == NULL || arr == NULL || text == NULL)
		die("setup", "BENCH_LEAVES must be at least 1000");
	plain = PQconnectdb("");
	if (PQstatus(plain) != CONNECTION_OK)
		die("connect", PQerrorMessage(plain));
	exec_ok(plain, "CREATE DATABASE bench_log");
	PQfinish(plain);
	plain = PQconnectdb("dbname=bench_log");
	if (reg_open("dbname=bench_log", REG_OPEN_OWNER, &ctx, &err) != 0)
		die("open", err.message);
	{
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s/migrations",
		    getenv("REG_TEST_SRCDIR") ? getenv("REG_TEST_SRCDIR") : ".");
		if (reg_migrate(ctx, dir, NULL, NULL, NULL, &err) != 0)
			die("migrate", err.message);
	}
	reg_close(ctx);
	if (reg_open("dbname=bench_log", 0, &ctx, &err) != 0)
		die("open", err.message);
	/* The log's table without its index and its tree. */
	exec_ok(plain, "CREATE TABLE bench_plain (idx bigint NOT NULL, data bytea NOT NULL)");
	exec_ok(plain, "CREATE TABLE bench_copy (data bytea NOT NULL)");
	fd = mkstemp(keypath);
	close(fd);
	unlink(keypath);
	if (reg_key_generate("bench.example/XX", keypath, &err) != 0 ||
	    reg_key_load(keypath, &key, &err) != 0)
		die("key", err.message);
	unlink(keypath);

	printf("appending %" PRIu64 " leaves of %d bytes in batches of %d, "
	    "interleaved with the baselines in rounds of %d batches\n", total, LEAF,
	    BATCH, ROUND_BATCHES);
	while (done < total) {
		for (b = 0; b < ROUND_BATCHES && done < total; b++, done += BATCH) {
			make_batch(buf, leaves, done);
			t = now();
			if (reg_log_append_batch(ctx, leaves, BATCH, &first, &err) != 0)
				die("append", err.message);
			t_log += now() - t;
			if (first != done)
				die("append", "indexes out of order");
			t = now();
			plain_insert(plain, buf, arr, done);
			t_ins += now() - t;
			t = now();
			plain_copy(plain, buf, text);
			t_copy += now() - t;
		}
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "\r%" PRIu64 "/%" PRIu64 " leaves, %.0f leaves/s   ",
			    done, total, (double)done / t_log);
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\n");
	printf("append: log %.0f leaves/s; plain INSERT %.0f rows/s; plain COPY %.0f rows/s\n",
	    (double)total / t_log, (double)total / t_ins, (double)total / t_copy);
	printf("append ratio (log / plain INSERT): %.2f  (target >= 0.5)\n", t_ins / t_log);
	printf("append ratio (log / plain COPY):   %.2f  (for reference)\n", t_copy / t_log);

	/* A checkpoint after all appends (the first one: nothing to check). */
	t = now();
	if (reg_log_checkpoint(ctx, key, &note, &cp, &err) != 0)
		die("checkpoint", err.message);
	t = now() - t;
	reg_free(note);
	/* And one more after a batch, which first checks the old root. */
	make_batch(buf, leaves, total);
	if (reg_log_append_batch(ctx, leaves, BATCH, &first, &err) != 0)
		die("append", err.message);
	{
		double t2 = now();

		if (reg_log_checkpoint(ctx, key, &note, &cp, &err) != 0)
			die("checkpoint", err.message);
		t2 = now() - t2;
		reg_free(note);
		printf("checkpoint at %" PRIu64 " leaves: %.2f ms (first), %.2f ms "
		    "(checking the previous root too)  (target < 1000 ms)\n",
		    total, t * 1e3, t2 * 1e3);
	}
	total += BATCH;

	/* Baseline for single lookups: a primary-key point SELECT. */
	for (i = 0; i < 2000; i++) {
		char idx[24];
		const char *params[1] = { idx };

		snprintf(idx, sizeof(idx), "%" PRIu64, rnd(&seed) % total);
		t = now();
		res = PQexecParams(plain,
		    "SELECT nodes FROM log_entry WHERE idx = $1", 1, NULL, params, NULL, NULL, 1);
		base[i] = now() - t;
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			die("point select", PQresultErrorMessage(res));
		PQclear(res);
	}
	for (i = 0; i < 2000; i++) {
		uint64_t idx = rnd(&seed) % total;

		t = now();
		if (reg_log_prove_inclusion(ctx, idx, total, &p, &err) != 0)
			die("inclusion", err.message);
		lat[i] = now() - t;
		reg_free(p);
	}
	{
		double mb = pct(base, 2000, 0.5);
		double mi = pct(lat, 2000, 0.5), p99 = pct(lat, 2000, 0.99);

		printf("point SELECT baseline: median %.3f ms\n", mb * 1e3);
		printf("inclusion proof at %" PRIu64 ": median %.3f ms, p99 %.3f ms, "
		    "%.2f x a point SELECT  (target median < 1 ms)\n", total, mi * 1e3,
		    p99 * 1e3, mi / mb);
	}
	for (i = 0; i < 2000; i++) {
		uint64_t m = 1 + rnd(&seed) % total;

		t = now();
		if (reg_log_prove_consistency(ctx, m, total, &p, &err) != 0)
			die("consistency", err.message);
		lat[i] = now() - t;
		reg_free(p);
	}
	{
		double mb = pct(base, 2000, 0.5);
		double mi = pct(lat, 2000, 0.5), p99 = pct(lat, 2000, 0.99);

		printf("consistency proof to %" PRIu64 ": median %.3f ms, p99 %.3f ms, "
		    "%.2f x a point SELECT  (target median < 1 ms)\n", total, mi * 1e3,
		    p99 * 1e3, mi / mb);
	}
	{
		struct reg_log_report rep;

		if (reg_log_verify(ctx, key, &rep, &err) != 0)
			die("verify", err.message);
		printf("verify: %" PRIu64 " entries in %.1f s (%.0f entries/s)\n",
		    rep.entries, rep.seconds, (double)rep.entries / rep.seconds);
	}
	reg_key_free(key);
	reg_close(ctx);
	PQfinish(plain);
	free(buf);
	free(arr);
	free(text);
	return 0;
}
