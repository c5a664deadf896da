/*
 * tracerd's metrics (metrics.h): fixed-size tables under one mutex, kept
 * sorted on insertion so that look-ups are binary searches and rendering
 * walks them in order.  Nothing here prints or allocates per request once
 * an endpoint has been seen.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/utf8.h"
#include "metrics.h"

/* The histogram's upper bounds, in seconds, without +Inf. */
static const double bounds[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5
};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

/* Statuses 100..599, then "other". */
#define STATUS_MIN 100
#define NSTATUS 501

#define OTHER "other"

/* One endpoint's requests: counts by status and the latency histogram. */
struct endpoint {
	char name[TR__METRICS_ENDPOINT_LEN + 1];
	uint64_t status[NSTATUS];
	uint64_t bucket[NBOUNDS + 1];	/* per bucket, not cumulative; the
					 * last is above every bound */
	uint64_t count;
	double sum;
};

/* One label value of a counter. */
struct series {
	char value[TR__METRICS_VALUE_LEN + 1];
	double v;
};

enum kind {
	GAUGE,
	COUNTER
};

/* A gauge or counter the daemon named. */
struct family {
	char name[TR__METRICS_NAME_LEN + 1];
	char help[TR__METRICS_HELP_LEN + 1];
	int has_help;
	enum kind kind;
	char label[TR__METRICS_NAME_LEN + 1];	/* "" when none */
	double v;			/* the value when there is no label */
	struct series *s;		/* sorted by value */
	int ns, cap;
};

struct tr__metrics {
	pthread_mutex_t lock;
	double (*now)(void *arg);
	void *now_arg;
	double start;
	struct endpoint *ep[TR__METRICS_ENDPOINTS_MAX];	/* sorted by name */
	int nep;
	struct family fam[TR__METRICS_NAMES_MAX];	/* sorted by name */
	int nfam;
};

/* The fixed metrics' names; gauges and counters may not take them. */
#define M_BUILD "tracerd_build_info"
#define M_REQUESTS "tracerd_requests_total"
#define M_DURATION "tracerd_request_duration_seconds"
#define M_UPTIME "tracerd_uptime_seconds"

static double
monotonic(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 when s is well-formed UTF-8 (no overlong forms or surrogates). */
static int
utf8_ok(const char *s)
{
	return cm_utf8_valid(s, strlen(s));
}

/* 1 when s is a Prometheus metric name (colons allowed) or label name
 * (no colons, and not one of the reserved "__" names) of at most
 * TR__METRICS_NAME_LEN bytes. */
static int
name_ok(const char *s, int label)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > TR__METRICS_NAME_LEN)
		return 0;
	if (label && s[0] == '_' && s[1] == '_')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || (!label && c == ':') ||
		    (i > 0 && c >= '0' && c <= '9'))
			continue;
		return 0;
	}
	return 1;
}

/* 1 when name belongs to a fixed metric, or to a histogram's series. */
static int
name_reserved(const char *name)
{
	return strcmp(name, M_BUILD) == 0 || strcmp(name, M_REQUESTS) == 0 ||
	    strcmp(name, M_UPTIME) == 0 ||
	    strncmp(name, M_DURATION, strlen(M_DURATION)) == 0;
}

int
tr__metrics_new(tr__metrics **out, reg_error *err)
{
	tr__metrics *m = NULL;
	int r = REG_ENOMEM;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		goto out;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		m = NULL;
		goto out;
	}
	m->now = monotonic;
	m->start = monotonic(NULL);
	/* "other" always has its place, so that folding into it cannot fail. */
	m->ep[0] = calloc(1, sizeof(*m->ep[0]));
	if (m->ep[0] == NULL)
		goto out;
	strcpy(m->ep[0]->name, OTHER);
	m->nep = 1;
	*out = m;
	m = NULL;	/* transferred */
	r = 0;
out:
	tr__metrics_free(m);
	if (r != 0)
		return tr__fail(err, r, "out of memory for the metrics");
	return 0;
}

void
tr__metrics_free(tr__metrics *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nep; i++)
		free(m->ep[i]);
	for (i = 0; i < m->nfam; i++)
		free(m->fam[i].s);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void
tr__metrics_set_clock(tr__metrics *m, double (*now)(void *arg), void *arg)
{
	pthread_mutex_lock(&m->lock);
	m->now = now;
	m->now_arg = arg;
	m->start = now(arg);
	pthread_mutex_unlock(&m->lock);
}

/* The endpoint called name, added when there is room; "other" for a name
 * not taken or when the table is full or out of memory.  Under the lock. */
static struct endpoint *
endpoint_get(tr__metrics *m, const char *name)
{
	struct endpoint *e;
	int lo = 0, hi = m->nep, mid, c;

	if (name == NULL || name[0] == '\0' ||
	    strlen(name) > TR__METRICS_ENDPOINT_LEN || !utf8_ok(name))
		name = OTHER;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, m->ep[mid]->name);
		if (c == 0)
			return m->ep[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (m->nep == TR__METRICS_ENDPOINTS_MAX)
		return endpoint_get(m, OTHER);
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return endpoint_get(m, OTHER);
	strcpy(e->name, name);
	memmove(&m->ep[lo + 1], &m->ep[lo], (size_t)(m->nep - lo) * sizeof(m->ep[0]));
	m->ep[lo] = e;
	m->nep++;
	return e;
}

void
tr__metrics_request(tr__metrics *m, const char *endpoint, int status,
    double seconds)
{
	struct endpoint *e;
	size_t b;

	if (!isfinite(seconds) || seconds < 0)
		seconds = 0;
	for (b = 0; b < NBOUNDS && seconds > bounds[b]; b++)
		;
	pthread_mutex_lock(&m->lock);
	e = endpoint_get(m, endpoint);
	if (status >= STATUS_MIN && status < STATUS_MIN + NSTATUS - 1)
		e->status[status - STATUS_MIN]++;
	else
		e->status[NSTATUS - 1]++;
	e->bucket[b]++;
	e->count++;
	e->sum += seconds;
	pthread_mutex_unlock(&m->lock);
}

/* The family called name, or NULL with *at where it would go.  Under the
 * lock. */
static struct family *
family_find(tr__metrics *m, const char *name, int *at)
{
	int lo = 0, hi = m->nfam, mid, c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, m->fam[mid].name);
		if (c == 0)
			return &m->fam[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*at = lo;
	return NULL;
}

/* The family called name of that kind and label name, made at its place
 * when new; checked by the caller.  Under the lock. */
static int
family_get(tr__metrics *m, const char *name, const char *help,
    enum kind kind, const char *label, struct family **out)
{
	struct family *f;
	int at = 0;

	*out = NULL;
	f = family_find(m, name, &at);
	if (f != NULL) {
		if (f->kind != kind || strcmp(f->label, label) != 0)
			return REG_EINVAL;
		*out = f;
		return 0;
	}
	if (m->nfam == TR__METRICS_NAMES_MAX)
		return REG_ETOOBIG;
	memmove(&m->fam[at + 1], &m->fam[at], (size_t)(m->nfam - at) * sizeof(m->fam[0]));
	m->nfam++;
	f = &m->fam[at];
	memset(f, 0, sizeof(*f));
	strcpy(f->name, name);
	if (help != NULL) {
		strcpy(f->help, help);
		f->has_help = 1;
	}
	f->kind = kind;
	strcpy(f->label, label);
	*out = f;
	return 0;
}

/* Checks a name and help text as gauges and counters take them. */
static int
family_args_ok(const char *name, const char *help)
{
	if (!name_ok(name, 0) || name_reserved(name))
		return 0;
	if (help != NULL && (strlen(help) > TR__METRICS_HELP_LEN || !utf8_ok(help)))
		return 0;
	return 1;
}

int
tr__metrics_gauge_set(tr__metrics *m, const char *name, const char *help,
    double value)
{
	struct family *f;
	int r;

	if (!family_args_ok(name, help))
		return REG_EINVAL;
	pthread_mutex_lock(&m->lock);
	r = family_get(m, name, help, GAUGE, "", &f);
	if (r == 0)
		f->v = value;
	pthread_mutex_unlock(&m->lock);
	return r;
}

/* The series of f with that label value, added at its place when new.
 * Under the lock. */
static int
series_get(struct family *f, const char *value, struct series **out)
{
	struct series *s;
	int lo = 0, hi = f->ns, mid, c;

	*out = NULL;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(value, f->s[mid].value);
		if (c == 0) {
			*out = &f->s[mid];
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (f->ns == TR__METRICS_VALUES_MAX)
		return REG_ETOOBIG;
	if (f->ns == f->cap) {
		int ncap = f->cap ? f->cap * 2 : 4;

		s = realloc(f->s, (size_t)ncap * sizeof(*s));
		if (s == NULL)
			return REG_ENOMEM;
		f->s = s;
		f->cap = ncap;
	}
	memmove(&f->s[lo + 1], &f->s[lo], (size_t)(f->ns - lo) * sizeof(f->s[0]));
	f->ns++;
	s = &f->s[lo];
	memset(s, 0, sizeof(*s));
	strcpy(s->value, value);
	*out = s;
	return 0;
}

int
tr__metrics_counter_add(tr__metrics *m, const char *name, const char *help,
    const char *label_name, const char *label_value, double delta)
{
	struct family *f;
	struct series *s;
	int r;

	if (!family_args_ok(name, help) || !isfinite(delta) || delta < 0)
		return REG_EINVAL;
	if (label_name != NULL && (!name_ok(label_name, 1) ||
	    label_value == NULL || strlen(label_value) > TR__METRICS_VALUE_LEN ||
	    !utf8_ok(label_value)))
		return REG_EINVAL;
	pthread_mutex_lock(&m->lock);
	r = family_get(m, name, help, COUNTER, label_name ? label_name : "", &f);
	if (r == 0 && label_name == NULL)
		f->v += delta;
	else if (r == 0) {
		r = series_get(f, label_value, &s);
		if (r == 0)
			s->v += delta;
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

int
tr__metrics_gauge_set_label(tr__metrics *m, const char *name, const char *help,
    const char *label_name, const char *label_value, double value)
{
	struct family *f;
	struct series *s;
	int r;

	if (!family_args_ok(name, help) || !isfinite(value) ||
	    !name_ok(label_name, 1) || label_value == NULL ||
	    strlen(label_value) > TR__METRICS_VALUE_LEN || !utf8_ok(label_value))
		return REG_EINVAL;
	pthread_mutex_lock(&m->lock);
	r = family_get(m, name, help, GAUGE, label_name, &f);
	if (r == 0)
		r = series_get(f, label_value, &s);
	if (r == 0)
		s->v = value;
	pthread_mutex_unlock(&m->lock);
	return r;
}

/* ------------------------------------------------------------ rendering */

/* The text goes into a struct cm_buf (common/buf.h). */

static void putf(struct cm_buf *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
putf(struct cm_buf *t, const char *fmt, ...)
{
	char s[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s)) {
		t->failed = 1;
		return;
	}
	cm_buf_add(t, s, (size_t)n);
}

/* A value as Prometheus reads it: the shortest of 15 or 17 digits that
 * reads back the same, and +Inf, -Inf, NaN. */
static void
put_value(struct cm_buf *t, double v)
{
	char s[40];

	if (isnan(v))
		snprintf(s, sizeof(s), "NaN");
	else if (isinf(v))
		snprintf(s, sizeof(s), "%s", v > 0 ? "+Inf" : "-Inf");
	else {
		snprintf(s, sizeof(s), "%.15g", v);
		if (strtod(s, NULL) != v)
			snprintf(s, sizeof(s), "%.17g", v);
	}
	cm_buf_adds(t, s);
}

/* s with backslash and newline escaped, and double quote when quoted
 * (label values; help texts leave it). */
static void
put_escaped(struct cm_buf *t, const char *s, int quoted)
{
	size_t i, from = 0;
	const char *esc;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\\')
			esc = "\\\\";
		else if (s[i] == '\n')
			esc = "\\n";
		else if (s[i] == '"' && quoted)
			esc = "\\\"";
		else
			continue;
		cm_buf_add(t, s + from, i - from);
		cm_buf_adds(t, esc);
		from = i + 1;
	}
	cm_buf_add(t, s + from, i - from);
}

static void
put_header(struct cm_buf *t, const char *name, const char *help,
    const char *type)
{
	if (help != NULL) {
		putf(t, "# HELP %s ", name);
		put_escaped(t, help, 0);
		cm_buf_adds(t, "\n");
	}
	putf(t, "# TYPE %s %s\n", name, type);
}

/* name{label="value"} v, or name v when label is "". */
static void
put_sample(struct cm_buf *t, const char *name, const char *label,
    const char *value, double v)
{
	cm_buf_adds(t, name);
	if (label[0] != '\0') {
		putf(t, "{%s=\"", label);
		put_escaped(t, value, 1);
		cm_buf_adds(t, "\"}");
	}
	cm_buf_adds(t, " ");
	put_value(t, v);
	cm_buf_adds(t, "\n");
}

static void
render_requests(const tr__metrics *m, struct cm_buf *t)
{
	const struct endpoint *e;
	int i, s;

	put_header(t, M_REQUESTS, "HTTP requests answered, by endpoint and "
	    "status.", "counter");
	for (i = 0; i < m->nep; i++) {
		e = m->ep[i];
		for (s = 0; s < NSTATUS; s++) {
			if (e->status[s] == 0)
				continue;
			cm_buf_adds(t, M_REQUESTS "{endpoint=\"");
			put_escaped(t, e->name, 1);
			if (s == NSTATUS - 1)
				cm_buf_adds(t, "\",status=\"" OTHER "\"} ");
			else
				putf(t, "\",status=\"%d\"} ", s + STATUS_MIN);
			putf(t, "%llu\n", (unsigned long long)e->status[s]);
		}
	}
}

static void
render_durations(const tr__metrics *m, struct cm_buf *t)
{
	const struct endpoint *e;
	uint64_t cum;
	size_t b;
	int i;

	put_header(t, M_DURATION, "Time taken to answer HTTP requests, by "
	    "endpoint.", "histogram");
	for (i = 0; i < m->nep; i++) {
		e = m->ep[i];
		if (e->count == 0)
			continue;
		cum = 0;
		for (b = 0; b <= NBOUNDS; b++) {
			cum += e->bucket[b];
			cm_buf_adds(t, M_DURATION "_bucket{endpoint=\"");
			put_escaped(t, e->name, 1);
			cm_buf_adds(t, "\",le=\"");
			if (b == NBOUNDS)
				cm_buf_adds(t, "+Inf");
			else
				put_value(t, bounds[b]);
			putf(t, "\"} %llu\n", (unsigned long long)cum);
		}
		cm_buf_adds(t, M_DURATION "_sum{endpoint=\"");
		put_escaped(t, e->name, 1);
		cm_buf_adds(t, "\"} ");
		put_value(t, e->sum);
		cm_buf_adds(t, "\n" M_DURATION "_count{endpoint=\"");
		put_escaped(t, e->name, 1);
		putf(t, "\"} %llu\n", (unsigned long long)e->count);
	}
}

static void
render_family(const struct family *f, struct cm_buf *t)
{
	int i;

	put_header(t, f->name, f->has_help ? f->help : NULL,
	    f->kind == GAUGE ? "gauge" : "counter");
	if (f->label[0] == '\0')
		put_sample(t, f->name, "", "", f->v);
	for (i = 0; i < f->ns; i++)
		put_sample(t, f->name, f->label, f->s[i].value, f->s[i].v);
}

/* One family to write: a fixed one (index < 0) or m->fam[index]. */
struct entry {
	const char *name;
	int index;
};

#define FIXED_BUILD (-1)
#define FIXED_REQUESTS (-2)
#define FIXED_DURATION (-3)
#define FIXED_UPTIME (-4)

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name,
	    ((const struct entry *)b)->name);
}

int
tr__metrics_render(tr__metrics *m, char **out, size_t *len, reg_error *err)
{
	struct entry e[TR__METRICS_NAMES_MAX + 4];
	struct cm_buf t = CM_BUF_INIT;
	int i, n = 0;

	*out = NULL;
	*len = 0;
	pthread_mutex_lock(&m->lock);
	e[n++] = (struct entry){ M_BUILD, FIXED_BUILD };
	e[n++] = (struct entry){ M_REQUESTS, FIXED_REQUESTS };
	e[n++] = (struct entry){ M_DURATION, FIXED_DURATION };
	e[n++] = (struct entry){ M_UPTIME, FIXED_UPTIME };
	for (i = 0; i < m->nfam; i++)
		e[n++] = (struct entry){ m->fam[i].name, i };
	qsort(e, (size_t)n, sizeof(e[0]), entry_cmp);
	for (i = 0; i < n; i++) {
		switch (e[i].index) {
		case FIXED_BUILD:
			put_header(&t, M_BUILD, "The version of tracerd that is "
			    "running.", "gauge");
			put_sample(&t, M_BUILD, "version", PACKAGE_VERSION, 1);
			break;
		case FIXED_REQUESTS:
			render_requests(m, &t);
			break;
		case FIXED_DURATION:
			render_durations(m, &t);
			break;
		case FIXED_UPTIME:
			put_header(&t, M_UPTIME, "Seconds since tracerd started.",
			    "gauge");
			put_sample(&t, M_UPTIME, "", "", m->now(m->now_arg) - m->start);
			break;
		default:
			render_family(&m->fam[e[i].index], &t);
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (t.failed || t.p == NULL) {
		free(t.p);
		return tr__fail(err, REG_ENOMEM, "out of memory writing the metrics");
	}
	*out = t.p;
	*len = t.len;
	return 0;
}
