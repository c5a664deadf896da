/*
 * What the daemon tells its operators about its own events: one key=value
 * line on stderr each, the time first, and counters of its own events in
 * the metrics (GET /metrics).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tracerd_int.h"

static void
logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, with the time in RFC 3339 UTC first. */
static void
logline(const char *fmt, ...)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "ts=%s ", ts);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
trd_logline(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	logline("%s", line);
}

void
trd_log_event(const char *event, const char *request, const char *status,
    const char *what)
{
	char q[600];
	size_t i = 0;

	for (; what != NULL && *what != '\0' && i < sizeof(q) - 3; what++) {
		if (*what == '"' || *what == '\\')
			q[i++] = '\\';
		q[i++] = (unsigned char)*what < ' ' ? ' ' : *what;
	}
	q[i] = '\0';
	logline("event=%s%s%s%s%s%s%s%s", event, request ? " request=" : "",
	    request ? request : "", status ? " status=" : "", status ? status : "",
	    what ? " what=\"" : "", what ? q : "", what ? "\"" : "");
}

void
trd_count(struct trd_daemon *d, const char *name, const char *help,
    const char *label, const char *value)
{
	/* A counter refused (over the module's bounds) is logged, and is not
	 * worth a request's failure. */
	if (tr__metrics_counter_add(d->metrics, name, help, label, value, 1) != 0)
		trd_log_event("error", NULL, NULL, "a metric was refused");
}
