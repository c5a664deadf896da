/*
 * tracerd's metrics in the Prometheus text exposition format (version
 * 0.0.4); internal to tracerd, never installed.
 *
 * One tr__metrics holds the request counters and latency histograms per
 * endpoint, and the gauges and counters the daemon names itself.  Every
 * function takes the handle's mutex, so the event loop thread and worker
 * threads may call them at the same time; each holds it for a few table
 * look-ups only (tr__metrics_render() for the time it writes the text).
 * Memory is bounded: the tables have fixed capacities (below), and what
 * does not fit is either folded into endpoint "other" (requests) or
 * refused (gauges and counters).
 */
#ifndef TRACER_METRICS_H
#define TRACER_METRICS_H


#if !defined(REG_PART_TRACER) && !defined(REG_WHITEBOX)
#error "metrics.h is internal to tracer/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>

#include "tracer_int.h"

#define TR__METRICS_ENDPOINTS_MAX 64	/* endpoints, "other" included */
#define TR__METRICS_ENDPOINT_LEN 64	/* bytes of an endpoint name */
#define TR__METRICS_NAMES_MAX 64	/* gauges and counters by name */
#define TR__METRICS_NAME_LEN 64		/* bytes of a metric or label name */
#define TR__METRICS_HELP_LEN 256	/* bytes of a help text */
#define TR__METRICS_VALUES_MAX 64	/* label values of one counter */
#define TR__METRICS_VALUE_LEN 64	/* bytes of a label value */

typedef struct tr__metrics tr__metrics;

/*
 * Makes an empty set of metrics in *out, free it with tr__metrics_free().
 * Uptime counts from this call.  Returns 0, or REG_ENOMEM (then *out is
 * NULL).
 */
TR_WUR int tr__metrics_new(tr__metrics **out, reg_error *err);
/* Frees m; accepts NULL.  No other thread may still use m. */
void tr__metrics_free(tr__metrics *m);

/*
 * Replaces the clock that tracerd_uptime_seconds is read from (by default
 * CLOCK_MONOTONIC): now(arg) returns seconds on any monotonic scale, and is
 * read once here (the start) and once per rendering.  For tests, and for a
 * daemon that keeps a clock of its own.
 */
void tr__metrics_set_clock(tr__metrics *m, double (*now)(void *arg),
    void *arg);

/*
 * Counts one answered request: tracerd_requests_total{endpoint,status}
 * and tracerd_request_duration_seconds{endpoint} (a histogram, buckets
 * from 0.5 ms to 5 s).  endpoint is a route name ("/v1/traces/{id}"), never
 * the path as requested.  A NULL, empty or over-long endpoint, or one more
 * than the table holds, is counted as "other"; a status outside 100..599 as
 * status "other"; a negative or non-finite duration as 0.  Never fails.
 */
void tr__metrics_request(tr__metrics *m, const char *endpoint, int status,
    double seconds);

/*
 * Sets the gauge name (a Prometheus metric name, at most
 * TR__METRICS_NAME_LEN bytes) to value, creating it with help text help
 * (may be NULL: no HELP line) the first time; later calls' help is
 * ignored.  Returns 0; REG_EINVAL for a malformed name, a name in use by a
 * counter or by the fixed metrics, or an over-long help; REG_ETOOBIG when
 * TR__METRICS_NAMES_MAX names are in use; REG_ENOMEM.
 */
TR_WUR int tr__metrics_gauge_set(tr__metrics *m, const char *name,
    const char *help, double value);

/*
 * As tr__metrics_gauge_set(), for the series label_name="label_value" of a
 * gauge with one label (label_value as tr__metrics_counter_add() takes
 * it).  The first call fixes the gauge's label name; a call with another
 * is refused (REG_EINVAL).
 */
TR_WUR int tr__metrics_gauge_set_label(tr__metrics *m, const char *name,
    const char *help, const char *label_name, const char *label_value,
    double value);

/*
 * Adds delta (finite, not negative) to the counter name, or to its series
 * label_name="label_value" when label_name is not NULL.  The first call
 * fixes the counter's help text and label name; a call with another label
 * name (or none where there was one) is refused.  label_value is UTF-8 of
 * at most TR__METRICS_VALUE_LEN bytes; it is escaped when rendered.
 * Returns 0; REG_EINVAL for a malformed name, label name, label value or
 * delta, or a name in use by a gauge or by the fixed metrics; REG_ETOOBIG
 * when TR__METRICS_NAMES_MAX names, or TR__METRICS_VALUES_MAX label values
 * of this counter, are in use; REG_ENOMEM.
 */
TR_WUR int tr__metrics_counter_add(tr__metrics *m, const char *name,
    const char *help, const char *label_name, const char *label_value,
    double delta);

/*
 * Writes every metric as Prometheus text: families sorted by name, series
 * by label values (endpoints by name, statuses by number), ending with a
 * newline, with tracerd_uptime_seconds and tracerd_build_info{version}.
 * On success *out is a malloc'd NUL-terminated string of *len bytes for
 * the caller to free(); returns 0, or REG_ENOMEM (then *out is NULL).
 */
TR_WUR int tr__metrics_render(tr__metrics *m, char **out, size_t *len,
    reg_error *err);

#endif
