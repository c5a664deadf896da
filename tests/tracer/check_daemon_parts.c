/*
 * tracerd's parts that need no database: the Prometheus metrics
 * (tracer/tracerd/metrics.c) rendered byte for byte, escaped, with cumulative
 * histograms, bounded tables and gauges set from several threads at once,
 * and read back by the Prometheus client's own parser
 * (python3-prometheus-client); the rate limiter (tracer/tracerd/ratelimit.c) with
 * exact refusals, refills and Retry-After times, overrides, bounded keys,
 * hostile keys, and a slow reference implementation checked against it
 * over a long run of random requests.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "ratelimit.h"
#include "testutil.h"

/* ------------------------------------------------------------ metrics */

/* A clock the tests set. */
static double
fake_now(void *arg)
{
	return *(double *)arg;
}

static tr__metrics *
metrics_new(double *clock)
{
	reg_error err = REG_ERROR_INIT;
	tr__metrics *m = NULL;

	ck_assert_msg(tr__metrics_new(&m, &err) == 0, "%s", err.message);
	if (clock != NULL)
		tr__metrics_set_clock(m, fake_now, clock);
	return m;
}

static char *
render(tr__metrics *m)
{
	reg_error err = REG_ERROR_INIT;
	char *text = NULL;
	size_t len = 0;

	ck_assert_msg(tr__metrics_render(m, &text, &len, &err) == 0, "%s",
	    err.message);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert(len > 0 && text[len - 1] == '\n');
	return text;
}

/* The value of the sample line that starts with series (name and labels,
 * exactly), or NAN when there is none. */
static double
sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NAN;
}

/* How many lines start with prefix. */
static int
lines_with(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = text;
	int count = 0;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, n) == 0)
			count++;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return count;
}

#define DUR "tracerd_request_duration_seconds"

/* The requests, gauge and counter of render_exact and prometheus_parser. */
static void
fill_small(tr__metrics *m)
{
	/* Durations that are binary fractions, so that the sum is exact. */
	tr__metrics_request(m, "/v1/traces", 202, 0.0009765625);
	tr__metrics_request(m, "/v1/traces", 202, 0.125);
	tr__metrics_request(m, "/v1/traces", 400, 0.5);	/* on a bound */
	tr__metrics_request(m, "/healthz", 200, 0.0001);
	ck_assert_int_eq(tr__metrics_gauge_set(m, "tracerd_db_pool_size",
	    "Connections in the pool.", 4), 0);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_traces_completed_total",
	    "Traces completed, by status.", "status", "found", 2), 0);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_traces_completed_total",
	    "another help, ignored", "status", "not_found", 1), 0);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_traces_completed_total",
	    NULL, "status", "found", 1), 0);
}

START_TEST(render_exact)
{
	static const char expect[] =
	    "# HELP tracerd_build_info The version of tracerd that is running.\n"
	    "# TYPE tracerd_build_info gauge\n"
	    "tracerd_build_info{version=\"" PACKAGE_VERSION "\"} 1\n"
	    "# HELP tracerd_db_pool_size Connections in the pool.\n"
	    "# TYPE tracerd_db_pool_size gauge\n"
	    "tracerd_db_pool_size 4\n"
	    "# HELP " DUR " Time taken to answer HTTP requests, by endpoint.\n"
	    "# TYPE " DUR " histogram\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"0.0005\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"0.001\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"0.0025\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"0.005\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"0.01\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"0.025\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"0.05\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"0.1\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"0.25\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"0.5\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"1\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"2.5\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"5\"} 1\n"
	    DUR "_bucket{endpoint=\"/healthz\",le=\"+Inf\"} 1\n"
	    DUR "_sum{endpoint=\"/healthz\"} 0.0001\n"
	    DUR "_count{endpoint=\"/healthz\"} 1\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"0.0005\"} 0\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"0.001\"} 1\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"0.0025\"} 1\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"0.005\"} 1\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"0.01\"} 1\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"0.025\"} 1\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"0.05\"} 1\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"0.1\"} 1\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"0.25\"} 2\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"0.5\"} 3\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"1\"} 3\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"2.5\"} 3\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"5\"} 3\n"
	    DUR "_bucket{endpoint=\"/v1/traces\",le=\"+Inf\"} 3\n"
	    DUR "_sum{endpoint=\"/v1/traces\"} 0.6259765625\n"
	    DUR "_count{endpoint=\"/v1/traces\"} 3\n"
	    "# HELP tracerd_requests_total HTTP requests answered, by endpoint and status.\n"
	    "# TYPE tracerd_requests_total counter\n"
	    "tracerd_requests_total{endpoint=\"/healthz\",status=\"200\"} 1\n"
	    "tracerd_requests_total{endpoint=\"/v1/traces\",status=\"202\"} 2\n"
	    "tracerd_requests_total{endpoint=\"/v1/traces\",status=\"400\"} 1\n"
	    "# HELP tracerd_traces_completed_total Traces completed, by status.\n"
	    "# TYPE tracerd_traces_completed_total counter\n"
	    "tracerd_traces_completed_total{status=\"found\"} 3\n"
	    "tracerd_traces_completed_total{status=\"not_found\"} 1\n"
	    "# HELP tracerd_uptime_seconds Seconds since tracerd started.\n"
	    "# TYPE tracerd_uptime_seconds gauge\n"
	    "tracerd_uptime_seconds 12.5\n";
	double clock = 100;
	tr__metrics *m = metrics_new(&clock);
	char *text;

	fill_small(m);
	clock = 112.5;
	text = render(m);
	ck_assert_str_eq(text, expect);
	free(text);
	tr__metrics_free(m);
}
END_TEST

START_TEST(render_empty)
{
	double clock = 5;
	tr__metrics *m = metrics_new(&clock);
	char *text = render(m);

	/* The fixed families only, with no samples where nothing was counted. */
	ck_assert_int_eq(lines_with(text, "# TYPE "), 4);
	ck_assert_int_eq(lines_with(text, "tracerd_requests_total"), 0);
	ck_assert_int_eq(lines_with(text, DUR), 0);
	ck_assert(sample(text, "tracerd_uptime_seconds") == 0);
	free(text);
	tr__metrics_free(m);
	tr__metrics_free(NULL);
}
END_TEST

START_TEST(escaping)
{
	tr__metrics *m = metrics_new(NULL);
	char *text;

	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_odd_total",
	    "line one\nback\\slash \"q\"", "state", "a\"b\\c\nd", 2), 0);
	tr__metrics_request(m, "/x\"y\\z", 200, 0);
	text = render(m);
	/* Help texts escape backslash and newline, label values the quote too. */
	ck_assert_ptr_nonnull(strstr(text, "# HELP tracerd_odd_total line one\\n"
	    "back\\\\slash \"q\"\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntracerd_odd_total{state="
	    "\"a\\\"b\\\\c\\nd\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntracerd_requests_total{endpoint="
	    "\"/x\\\"y\\\\z\",status=\"200\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n" DUR "_count{endpoint="
	    "\"/x\\\"y\\\\z\"} 1\n"));
	free(text);
	tr__metrics_free(m);
}
END_TEST

START_TEST(histogram)
{
	static const double le[] = {
		0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
		1, 2.5, 5, INFINITY
	};
	static const char *le_text[] = {
		"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
		"0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"
	};
	tr__metrics *m = metrics_new(NULL);
	double v[400], sum = 0, prev = -1;
	char series[200], *text;
	int i, b, below;

	/* Every bound itself, values between them (binary fractions, so that
	 * sums are exact), and values past the last bound. */
	for (i = 0; i < 400; i++) {
		if (i < 13)
			v[i] = le[i];
		else
			v[i] = (double)(i * i) / 16384.0;
		tr__metrics_request(m, "/v1/traces", 202, v[i]);
		sum += v[i] < 0 ? 0 : v[i];
	}
	/* Refused durations count as 0; under another endpoint. */
	tr__metrics_request(m, "/healthz", 200, -1);
	tr__metrics_request(m, "/healthz", 200, NAN);
	text = render(m);
	for (b = 0; b < 14; b++) {
		double got;

		below = 0;
		for (i = 0; i < 400; i++)
			below += v[i] <= le[b];
		snprintf(series, sizeof(series), DUR "_bucket{endpoint=\"/v1/traces\","
		    "le=\"%s\"}", le_text[b]);
		got = sample(text, series);
		ck_assert_msg(got == below, "%s: %g, not %d", series, got, below);
		ck_assert(got >= prev);
		prev = got;
	}
	ck_assert(prev == 400);
	ck_assert(sample(text, DUR "_count{endpoint=\"/v1/traces\"}") == 400);
	ck_assert(sample(text, DUR "_sum{endpoint=\"/v1/traces\"}") == sum);
	ck_assert(sample(text, DUR "_bucket{endpoint=\"/healthz\",le=\"0.0005\"}") == 2);
	ck_assert(sample(text, DUR "_sum{endpoint=\"/healthz\"}") == 0);
	ck_assert(sample(text, DUR "_count{endpoint=\"/healthz\"}") == 2);
	free(text);
	tr__metrics_free(m);
}
END_TEST

START_TEST(endpoint_cap)
{
	tr__metrics *m = metrics_new(NULL);
	char name[80], long_name[TR__METRICS_ENDPOINT_LEN + 2], *text;
	int i;

	/* 100 route names: the first 63 fit beside "other", the rest fold. */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "/e%03d", i);
		tr__metrics_request(m, name, 200, 0.001);
	}
	/* A name seen before the table filled keeps its place. */
	tr__metrics_request(m, "/e000", 200, 0.001);
	/* Names that are not taken at all. */
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	tr__metrics_request(m, long_name, 200, 0.001);
	tr__metrics_request(m, NULL, 200, 0.001);
	tr__metrics_request(m, "", 200, 0.001);
	tr__metrics_request(m, "/\xff\xfe", 200, 0.001);
	/* Statuses outside 100..599. */
	tr__metrics_request(m, "/e001", 42, 0.001);
	tr__metrics_request(m, "/e001", 600, 0.001);
	tr__metrics_request(m, "/e001", -1, 0.001);
	text = render(m);
	ck_assert_int_eq(lines_with(text, DUR "_count{"), TR__METRICS_ENDPOINTS_MAX);
	ck_assert_int_eq(lines_with(text, "tracerd_requests_total{"),
	    TR__METRICS_ENDPOINTS_MAX + 1);
	ck_assert(sample(text, "tracerd_requests_total{endpoint=\"/e000\",status=\"200\"}") == 2);
	ck_assert(sample(text, "tracerd_requests_total{endpoint=\"/e062\",status=\"200\"}") == 1);
	ck_assert(isnan(sample(text, "tracerd_requests_total{endpoint=\"/e063\",status=\"200\"}")));
	ck_assert(sample(text, "tracerd_requests_total{endpoint=\"other\",status=\"200\"}") == 37 + 4);
	ck_assert(sample(text, "tracerd_requests_total{endpoint=\"/e001\",status=\"other\"}") == 3);
	ck_assert(sample(text, DUR "_count{endpoint=\"other\"}") == 41);
	free(text);
	tr__metrics_free(m);
}
END_TEST

START_TEST(counters)
{
	tr__metrics *m = metrics_new(NULL);
	char name[80], value[TR__METRICS_VALUE_LEN + 2], *text;
	int i;

	/* A counter without labels, and one with. */
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_restarts_total",
	    "Restarts.", NULL, NULL, 1), 0);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_restarts_total",
	    NULL, NULL, "ignored", 0.5), 0);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_rate_limited_total",
	    "Requests refused by a rate limit.", "state", "BE", 1), 0);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_rate_limited_total",
	    NULL, "state", "BE", 2), 0);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_rate_limited_total",
	    NULL, "state", "", 1), 0);
	/* Malformed deltas, names, label names and values. */
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_restarts_total",
	    NULL, NULL, NULL, -1), REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_restarts_total",
	    NULL, NULL, NULL, NAN), REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_restarts_total",
	    NULL, NULL, NULL, INFINITY), REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, NULL, NULL, NULL, NULL, 1),
	    REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "", NULL, NULL, NULL, 1),
	    REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "1abc", NULL, NULL, NULL, 1),
	    REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "a-b", NULL, NULL, NULL, 1),
	    REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "a b", NULL, NULL, NULL, 1),
	    REG_EINVAL);
	memset(name, 'a', TR__METRICS_NAME_LEN + 1);
	name[TR__METRICS_NAME_LEN + 1] = '\0';
	ck_assert_int_eq(tr__metrics_counter_add(m, name, NULL, NULL, NULL, 1),
	    REG_EINVAL);
	name[TR__METRICS_NAME_LEN] = '\0';
	ck_assert_int_eq(tr__metrics_counter_add(m, name, NULL, NULL, NULL, 1), 0);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_x", "bad \xc0\xaf help",
	    NULL, NULL, 1), REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_x", NULL, "__name",
	    "v", 1), REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_x", NULL, "a:b",
	    "v", 1), REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_x", NULL, "state",
	    NULL, 1), REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_x", NULL, "state",
	    "\xed\xa0\x80", 1), REG_EINVAL);	/* a surrogate */
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_x", NULL, "state",
	    "caf\xc3\xa9", 1), 0);
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_x", NULL, "state",
	    value, 1), REG_EINVAL);
	/* The fixed metrics' names, another kind, another label name. */
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_requests_total",
	    NULL, NULL, NULL, 1), REG_EINVAL);
	ck_assert_int_eq(tr__metrics_gauge_set(m, DUR "_count", NULL, 1),
	    REG_EINVAL);
	ck_assert_int_eq(tr__metrics_gauge_set(m, "tracerd_uptime_seconds", NULL,
	    1), REG_EINVAL);
	ck_assert_int_eq(tr__metrics_gauge_set(m, "tracerd_restarts_total", NULL,
	    1), REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_rate_limited_total",
	    NULL, "peer", "BE", 1), REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_rate_limited_total",
	    NULL, NULL, NULL, 1), REG_EINVAL);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_restarts_total",
	    NULL, "state", "BE", 1), REG_EINVAL);
	text = render(m);
	ck_assert_ptr_nonnull(strstr(text, "# TYPE tracerd_restarts_total counter\n"
	    "tracerd_restarts_total 1.5\n"));
	ck_assert(sample(text, "tracerd_rate_limited_total{state=\"BE\"}") == 3);
	ck_assert(sample(text, "tracerd_rate_limited_total{state=\"\"}") == 1);
	ck_assert(sample(text, "tracerd_x{state=\"caf\xc3\xa9\"}") == 1);
	/* A counter made without help has no HELP line. */
	ck_assert_int_eq(lines_with(text, "# HELP tracerd_x "), 0);
	ck_assert_int_eq(lines_with(text, "# TYPE tracerd_x counter"), 1);
	free(text);

	/* Label values up to the table's size, then refused; old ones go on. */
	for (i = 1; i < TR__METRICS_VALUES_MAX; i++) {
		snprintf(value, sizeof(value), "v%02d", i);
		ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_x", NULL,
		    "state", value, 1), 0);
	}
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_x", NULL, "state",
	    "one too many", 1), REG_ETOOBIG);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_x", NULL, "state",
	    "v01", 1), 0);
	/* Names up to the table's size (four are taken), then refused. */
	for (i = 4; i < TR__METRICS_NAMES_MAX; i++) {
		snprintf(name, sizeof(name), "tracerd_g%02d", i);
		ck_assert_int_eq(tr__metrics_gauge_set(m, name, NULL, i), 0);
	}
	ck_assert_int_eq(tr__metrics_gauge_set(m, "tracerd_one_more", NULL, 1),
	    REG_ETOOBIG);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_one_more_total",
	    NULL, NULL, NULL, 1), REG_ETOOBIG);
	ck_assert_int_eq(tr__metrics_gauge_set(m, "tracerd_g10", NULL, -2.5), 0);
	text = render(m);
	ck_assert_int_eq(lines_with(text, "# TYPE "), TR__METRICS_NAMES_MAX + 4);
	ck_assert_int_eq(lines_with(text, "tracerd_x{"), TR__METRICS_VALUES_MAX);
	ck_assert(sample(text, "tracerd_x{state=\"v01\"}") == 2);
	ck_assert(sample(text, "tracerd_g10") == -2.5);
	free(text);
	tr__metrics_free(m);
}
END_TEST

/* Gauges and counters set from two threads while a third renders. */
struct writer {
	tr__metrics *m;
	double value;
	const char *own;		/* a gauge only this thread sets */
	int failures;
};

#define WRITES 100000

static void *
writer_run(void *arg)
{
	struct writer *w = arg;
	int i;

	for (i = 0; i < WRITES; i++) {
		if (tr__metrics_gauge_set(w->m, "tracerd_traces_pending",
		    "Traces waiting for an answer.", w->value) != 0)
			w->failures++;
		if (tr__metrics_gauge_set(w->m, w->own, NULL, i) != 0)
			w->failures++;
		if (tr__metrics_counter_add(w->m, "tracerd_traces_completed_total",
		    NULL, "status", "found", 1) != 0)
			w->failures++;
	}
	return NULL;
}

START_TEST(gauges_threads)
{
	tr__metrics *m = metrics_new(NULL);
	struct writer w[2] = {
		{ m, 1, "tracerd_thread_a", 0 },
		{ m, 2, "tracerd_thread_b", 0 }
	};
	pthread_t t[2];
	double last;
	char *text;
	int i;

	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer_run, &w[i]), 0);
	for (i = 0; i < 50; i++) {
		tr__metrics_request(m, "/v1/traces", 202, 0.01);
		text = render(m);
		last = sample(text, "tracerd_traces_pending");
		ck_assert(isnan(last) || last == 1 || last == 2);
		free(text);
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_int_eq(w[0].failures + w[1].failures, 0);
	text = render(m);
	last = sample(text, "tracerd_traces_pending");
	ck_assert(last == 1 || last == 2);
	ck_assert(sample(text, "tracerd_thread_a") == WRITES - 1);
	ck_assert(sample(text, "tracerd_thread_b") == WRITES - 1);
	ck_assert(sample(text, "tracerd_traces_completed_total{status=\"found\"}") ==
	    2 * WRITES);
	ck_assert(sample(text, "tracerd_requests_total{endpoint=\"/v1/traces\","
	    "status=\"202\"}") == 50);
	free(text);
	tr__metrics_free(m);
}
END_TEST

START_TEST(prometheus_parser)
{
	double clock = 0;
	tr__metrics *m = metrics_new(&clock);
	char *dir, path[4096], cmd[8192], out[4096], *text;
	int st;

	fill_small(m);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_odd_total",
	    "line one\nback\\slash \"q\"", "state", "a\"b\\c\nd", 2), 0);
	ck_assert_int_eq(tr__metrics_counter_add(m, "tracerd_odd_total",
	    NULL, "state", "BE", 1.5), 0);
	ck_assert_int_eq(tr__metrics_gauge_set(m, "tracerd_db_pool_busy", NULL,
	    0.1), 0);
	tr__metrics_request(m, "/x\"y", 99, 0.01);
	clock = 12.5;
	text = render(m);
	dir = tu_tmpdir();
	snprintf(path, sizeof(path), "%s/metrics.txt", dir);
	tu_write_file(path, text);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' '%s' '%s'",
	    tu_src_path(0, "tests/parse_metrics.py"), path, PACKAGE_VERSION);
	st = tu_run(cmd, out, sizeof(out));
	ck_assert_msg(st == 0, "prometheus_client: %s\n%s", out, text);
	tu_rmtree(dir);
	free(dir);
	free(text);
	tr__metrics_free(m);
}
END_TEST

/* ---------------------------------------------------------- rate limits */

static tr__ratelimit *
limiter(double rate, double burst, size_t max_keys)
{
	reg_error err = REG_ERROR_INIT;
	tr__ratelimit *rl = NULL;

	ck_assert_msg(tr__ratelimit_new(rate, burst, max_keys, &rl, &err) == 0,
	    "%s", err.message);
	return rl;
}

/* Takes at now; checks the answer and, when refused, retry_after. */
static void
take(tr__ratelimit *rl, const char *key, double now, int allowed,
    double retry_after)
{
	double ra = -1;
	int r = tr__ratelimit_take(rl, key, now, &ra);

	ck_assert_msg(r == allowed, "%s at %g: %d, not %d", key, now, r, allowed);
	if (allowed == 0)
		ck_assert_msg(ra == retry_after, "%s at %g: retry after %.17g, not "
		    "%.17g", key, now, ra, retry_after);
	else
		ck_assert(ra == 0);
}

START_TEST(rl_burst_refill)
{
	tr__ratelimit *rl = limiter(2, 3, 10);

	/* A fresh bucket holds the burst; then one token every half second. */
	take(rl, "BE", 0, 1, 0);
	take(rl, "BE", 0, 1, 0);
	take(rl, "BE", 0, 1, 0);
	take(rl, "BE", 0, 0, 0.5);
	take(rl, "BE", 0.25, 0, 0.25);
	take(rl, "BE", 0.5, 1, 0);
	take(rl, "BE", 0.5, 0, 0.5);
	/* A refused request takes nothing: the token still comes on time. */
	take(rl, "BE", 0.875, 0, 0.125);
	take(rl, "BE", 1, 1, 0);
	/* Refilled up to the burst, never past it. */
	take(rl, "BE", 100, 1, 0);
	take(rl, "BE", 100, 1, 0);
	take(rl, "BE", 100, 1, 0);
	take(rl, "BE", 100, 0, 0.5);
	/* Keys are independent. */
	take(rl, "FR", 100, 1, 0);
	/* A clock going back counts as no time passed. */
	take(rl, "BE", 50, 0, 0.5);
	take(rl, "BE", 100.5, 1, 0);
	/* Rounding in the refill does not refuse a token that is due. */
	tr__ratelimit_free(rl);
	rl = limiter(10, 1, 10);
	take(rl, "NL", 0.2, 1, 0);
	take(rl, "NL", 0.3 - 0.2 + 0.2, 1, 0);
	ck_assert_int_eq(tr__ratelimit_take(rl, "NL", 0.3, NULL), 0);
	tr__ratelimit_free(rl);
	tr__ratelimit_free(NULL);
}
END_TEST

START_TEST(rl_override)
{
	tr__ratelimit *rl = limiter(1, 1, 4);

	ck_assert_int_eq(tr__ratelimit_set(rl, "DE", 4, 2), 0);
	take(rl, "DE", 10, 1, 0);
	take(rl, "DE", 10, 1, 0);
	take(rl, "DE", 10, 0, 0.25);
	take(rl, "FR", 10, 1, 0);
	take(rl, "FR", 10, 0, 1);
	/* An override of a bucket in use: its tokens are cut to the burst. */
	take(rl, "IT", 10, 1, 0);
	ck_assert_int_eq(tr__ratelimit_set(rl, "IT", 0.5, 1), 0);
	take(rl, "IT", 10, 0, 2);
	take(rl, "IT", 12, 1, 0);
	ck_assert_int_eq(tr__ratelimit_set(rl, "FR", 1, 5), 0);
	take(rl, "FR", 15, 1, 0);
	take(rl, "FR", 15, 1, 0);
	take(rl, "FR", 15, 1, 0);
	take(rl, "FR", 15, 1, 0);
	take(rl, "FR", 15, 1, 0);
	take(rl, "FR", 15, 0, 1);
	/* Bad overrides. */
	ck_assert_int_eq(tr__ratelimit_set(rl, "DE", 0, 1), REG_EINVAL);
	ck_assert_int_eq(tr__ratelimit_set(rl, "DE", -1, 1), REG_EINVAL);
	ck_assert_int_eq(tr__ratelimit_set(rl, "DE", NAN, 1), REG_EINVAL);
	ck_assert_int_eq(tr__ratelimit_set(rl, "DE", 1, 0.5), REG_EINVAL);
	ck_assert_int_eq(tr__ratelimit_set(rl, "DE", 1, INFINITY), REG_EINVAL);
	ck_assert_int_eq(tr__ratelimit_set(rl, "", 1, 1), REG_EINVAL);
	ck_assert_int_eq(tr__ratelimit_set(rl, NULL, 1, 1), REG_EINVAL);
	tr__ratelimit_free(rl);
}
END_TEST

START_TEST(rl_max_keys)
{
	tr__ratelimit *rl = limiter(1, 2, 2);

	take(rl, "a", 0, 1, 0);
	take(rl, "a", 0, 1, 0);
	take(rl, "b", 1, 1, 0);
	/* Both places taken, neither bucket full: a new key waits a second. */
	take(rl, "c", 1, 0, 1);
	/* Both full again: the one idle longest (a) makes room. */
	take(rl, "c", 10, 1, 0);
	/* b is full, c is not: b makes room for d. */
	take(rl, "d", 10.5, 1, 0);
	/* Neither c nor d is full: a, forgotten, is refused as a new key. */
	take(rl, "a", 10.5, 0, 1);
	/* A key already held is answered as ever. */
	take(rl, "c", 10.5, 1, 0);
	take(rl, "c", 10.5, 0, 0.5);
	tr__ratelimit_free(rl);

	/* Overridden buckets are never dropped, full or not. */
	rl = limiter(1, 1, 2);
	ck_assert_int_eq(tr__ratelimit_set(rl, "BE", 1, 1), 0);
	take(rl, "x", 0, 1, 0);
	take(rl, "y", 100, 1, 0);	/* x made room */
	take(rl, "z", 100, 0, 1);	/* y is not full, BE is pinned */
	ck_assert_int_eq(tr__ratelimit_set(rl, "FR", 1, 1), REG_ETOOBIG);
	take(rl, "z", 200, 1, 0);	/* y made room */
	ck_assert_int_eq(tr__ratelimit_set(rl, "FR", 1, 1), REG_ETOOBIG);
	take(rl, "BE", 200, 1, 0);
	take(rl, "BE", 200, 0, 1);
	tr__ratelimit_free(rl);
}
END_TEST

/*
 * A bucket with an override stays reachable however many others are
 * dropped around it.  In a table of two keys (four places), one other key
 * comes first and the override's key after it; over 64 names for the
 * latter, many have to sit past the other in a run of places, and are
 * lost unless dropping the other moves them back.
 */
START_TEST(rl_churn)
{
	char key[32], pinned[32];
	tr__ratelimit *rl;
	double ra;
	int i, n;

	for (n = 0; n < 64; n++) {
		rl = limiter(1, 1, 2);
		take(rl, "first", 0, 1, 0);
		snprintf(pinned, sizeof(pinned), "pinned%d", n);
		ck_assert_int_eq(tr__ratelimit_set(rl, pinned, 1e-6, 1), 0);
		take(rl, pinned, 0, 1, 0);
		for (i = 1; i <= 50; i++) {
			/* The other bucket is full by now: a new key drops it. */
			snprintf(key, sizeof(key), "new%d", i);
			take(rl, key, i * 10.0, 1, 0);
			ck_assert_msg(tr__ratelimit_take(rl, pinned, i * 10.0, &ra) == 0 &&
			    ra > 900000, "%s lost after %d new keys", pinned, i);
		}
		tr__ratelimit_free(rl);
	}
}
END_TEST

START_TEST(rl_hostile)
{
	reg_error err = REG_ERROR_INIT;
	tr__ratelimit *rl = NULL;
	char key[TR__RATELIMIT_KEY_MAX + 2];
	double ra = -1;

	ck_assert_int_eq(tr__ratelimit_new(0, 1, 10, &rl, &err), REG_EINVAL);
	ck_assert_ptr_null(rl);
	ck_assert_int_eq(err.code, REG_EINVAL);
	ck_assert(err.message[0] != '\0');
	reg_error_clear(&err);
	ck_assert_int_eq(tr__ratelimit_new(1, 0.5, 10, &rl, &err), REG_EINVAL);
	reg_error_clear(&err);
	ck_assert_int_eq(tr__ratelimit_new(NAN, 1, 10, &rl, &err), REG_EINVAL);
	reg_error_clear(&err);
	ck_assert_int_eq(tr__ratelimit_new(1, 1, 0, &rl, &err), REG_EINVAL);
	reg_error_clear(&err);
	ck_assert_int_eq(tr__ratelimit_new(1, 1, (size_t)-1, &rl, &err), REG_EINVAL);
	ck_assert_ptr_null(rl);

	rl = limiter(1, 1, 4);
	ck_assert_int_eq(tr__ratelimit_take(rl, NULL, 0, &ra), REG_EINVAL);
	ck_assert(ra == 0);
	ck_assert_int_eq(tr__ratelimit_take(rl, "", 0, &ra), REG_EINVAL);
	ck_assert_int_eq(tr__ratelimit_take(rl, "BE", NAN, &ra), REG_EINVAL);
	ck_assert_int_eq(tr__ratelimit_take(rl, "BE", INFINITY, &ra), REG_EINVAL);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	ck_assert_int_eq(tr__ratelimit_take(rl, key, 0, &ra), REG_EINVAL);
	ck_assert_int_eq(tr__ratelimit_set(rl, key, 1, 1), REG_EINVAL);
	/* 64 bytes, and bytes that are not text, are keys like any other. */
	key[TR__RATELIMIT_KEY_MAX] = '\0';
	take(rl, key, 0, 1, 0);
	take(rl, key, 0, 0, 1);
	key[TR__RATELIMIT_KEY_MAX - 1] = '\0';
	take(rl, key, 0, 1, 0);
	take(rl, "\x01\xff\"\n", 0, 1, 0);
	take(rl, "\x01\xff\"\n", 0, 0, 1);
	tr__ratelimit_free(rl);
}
END_TEST

/*
 * A slow reference: the same policy over an array searched from end to
 * end.  Ties in idleness cannot occur below, every request has a time of
 * its own.
 */
struct ref_bucket {
	char key[32];
	double tokens, last;
};

struct ref {
	struct ref_bucket *b;
	size_t n, max;
	double rate, burst;
	int dropped;			/* buckets dropped to make room */
};

static int
ref_take(struct ref *r, const char *key, double now, double *retry_after)
{
	struct ref_bucket *b = NULL;
	size_t i, best = 0;
	int found = 0;

	*retry_after = 0;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->b[i].key, key) == 0)
			b = &r->b[i];
	if (b == NULL) {
		if (r->n == r->max) {
			for (i = 0; i < r->n; i++) {
				double t = r->b[i].tokens + (now - r->b[i].last) * r->rate;

				if (t >= r->burst - 1e-9 && (!found ||
				    r->b[i].last < r->b[best].last)) {
					best = i;
					found = 1;
				}
			}
			if (!found) {
				*retry_after = 1;
				return 0;
			}
			r->b[best] = r->b[--r->n];
			r->dropped++;
		}
		b = &r->b[r->n++];
		snprintf(b->key, sizeof(b->key), "%s", key);
		b->tokens = r->burst;
		b->last = now;
	}
	b->tokens += (now - b->last) * r->rate;
	if (b->tokens > r->burst)
		b->tokens = r->burst;
	b->last = now;
	if (b->tokens >= 1 - 1e-9) {
		b->tokens = b->tokens > 1 ? b->tokens - 1 : 0;
		return 1;
	}
	*retry_after = (1 - b->tokens) / r->rate;
	return 0;
}

START_TEST(rl_reference)
{
	static const size_t maxes[] = { 1, 2, 7, 64, 300 };
	size_t mi;

	for (mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++) {
		struct ref r = { NULL, 0, maxes[mi], 3, 4, 0 };
		tr__ratelimit *rl = limiter(r.rate, r.burst, r.max);
		unsigned long long x = 88172645463325252ULL;
		double now = 0, ra1, ra2;
		char key[32];
		unsigned long long pool = 2 * r.max + 1;
		int i, a1, a2, allowed = 0, refused = 0, no_room = 0;

		r.b = calloc(r.max, sizeof(*r.b));
		ck_assert_ptr_nonnull(r.b);
		for (i = 0; i < 60000; i++) {
			/* xorshift64: keys from a pool twice the table's size;
			 * busy spells, each key asked for twice as fast as its
			 * bucket refills, take turns with quiet ones, six times
			 * slower than the refill, and now and then a pause
			 * fills every bucket. */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			snprintf(key, sizeof(key), "k%llu", (x >> 8) % pool);
			now += (x % 1024 == 0) ? 3.0 :
			    (double)(x % 97 + 1) / 49.0 / (6.0 * (double)pool) *
			    ((unsigned long long)i / (20 * pool) % 2 ? 12.0 : 1.0);
			a1 = tr__ratelimit_take(rl, key, now, &ra1);
			a2 = ref_take(&r, key, now, &ra2);
			ck_assert_msg(a1 == a2 && ra1 == ra2, "max %zu, request %d "
			    "(%s at %.17g): %d %.17g, reference %d %.17g", r.max, i,
			    key, now, a1, ra1, a2, ra2);
			if (a1)
				allowed++;
			else if (ra1 == 1)
				no_room++;	/* a token is never a second away */
			else
				refused++;
		}
		/* Every answer was given, and many buckets were dropped (the
		 * table's entries moved back). */
		ck_assert_msg(allowed > 1000 && refused > 500 && no_room > 1000 &&
		    r.dropped > 1000, "max %zu: allowed %d, refused %d, no room %d, "
		    "dropped %d", r.max, allowed, refused, no_room, r.dropped);
		free(r.b);
		tr__ratelimit_free(rl);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("daemon_parts");
	TCase *t = tcase_create("metrics");
	TCase *u = tcase_create("ratelimit");
	SRunner *sr;
	int failed;

	tcase_set_timeout(t, 60);
	tcase_add_test(t, render_exact);
	tcase_add_test(t, render_empty);
	tcase_add_test(t, escaping);
	tcase_add_test(t, histogram);
	tcase_add_test(t, endpoint_cap);
	tcase_add_test(t, counters);
	tcase_add_test(t, gauges_threads);
	tcase_add_test(t, prometheus_parser);
	suite_add_tcase(s, t);
	tcase_set_timeout(u, 60);
	tcase_add_test(u, rl_burst_refill);
	tcase_add_test(u, rl_override);
	tcase_add_test(u, rl_max_keys);
	tcase_add_test(u, rl_churn);
	tcase_add_test(u, rl_hostile);
	tcase_add_test(u, rl_reference);
	suite_add_tcase(s, u);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
