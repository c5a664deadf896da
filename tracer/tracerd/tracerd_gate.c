/*
 * Calls to other daemons, gated by destination (tracerd_int.h, struct
 * trd_gate): at most a few calls in flight to one State, so that a State
 * that does not answer holds a share of the workers and never all of them;
 * and a circuit breaker per State, so that after a run of failed calls
 * (no connection, no answer in time) the State is left alone for a pause
 * that doubles while it stays down (bounded), then tried with one call
 * before the others follow.  What waits for a State waits in its own queue,
 * in the order it came, while calls to the other States go on.  Used on the
 * event loop's thread only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "tracerd_int.h"

struct gate_waiter {
	trd_gate_fn run;
	void *arg;
	time_t since;
	struct gate_waiter *next;
};

struct gate_state {
	struct trd_gate *g;
	char code[3];
	int in_flight;
	int failures;			/* failed calls in a row */
	int pause;			/* seconds of the current pause, 0: none */
	int paused;			/* the pause runs: no calls */
	int probing;			/* after a pause: the one call let through */
	unsigned long pauses;		/* pauses begun, ever */
	struct event *timer;
	struct gate_waiter *head, *tail;
	long waiting;
	struct gate_state *next;
};

struct trd_gate {
	struct event_base *base;
	char name[16];
	int limit, failures, pause_min, pause_max, wait_max, drop_paused;
	int stopping;
	struct gate_state *states;
	struct event *sweep;		/* wait_max: every second */
};

static void pump(struct gate_state *s);

static struct gate_state *
state_get(struct trd_gate *g, const char *code)
{
	struct gate_state *s;

	for (s = g->states; s != NULL; s = s->next)
		if (strncmp(s->code, code, 2) == 0)
			return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->g = g;
	memcpy(s->code, code, 2);
	s->next = g->states;
	g->states = s;
	return s;
}

/* Whether a call to s may start now; a call after a pause is the probe. */
static int
may_start(struct gate_state *s)
{
	if (s->g->stopping || s->paused)
		return 0;
	if (s->pause > 0)
		return s->in_flight == 0 && !s->probing;
	return s->in_flight < s->g->limit;
}

static void
started(struct gate_state *s)
{
	s->in_flight++;
	if (s->pause > 0)
		s->probing = 1;
}

static void
on_pause_end(evutil_socket_t fd, short what, void *arg)
{
	struct gate_state *s = arg;

	(void)fd;
	(void)what;
	s->paused = 0;		/* one call tries it (may_start) */
	pump(s);
}

/* Hands the waiters of s their calls, in order, while s takes them. */
static void
pump(struct gate_state *s)
{
	struct gate_waiter *w;

	while (s->head != NULL && may_start(s)) {
		w = s->head;
		if ((s->head = w->next) == NULL)
			s->tail = NULL;
		s->waiting--;
		started(s);
		w->run(w->arg, s->code, TRD_GATE_GO);
		free(w);
	}
}

/* Refuses every waiter of s (the State is paused, or the gate stops). */
static void
drop_all(struct gate_state *s, int why)
{
	struct gate_waiter *w;

	while ((w = s->head) != NULL) {
		if ((s->head = w->next) == NULL)
			s->tail = NULL;
		s->waiting--;
		w->run(w->arg, s->code, why);
		free(w);
	}
}

static void
pause_begin(struct gate_state *s)
{
	struct trd_gate *g = s->g;
	struct timeval tv;
	char what[160];

	s->pause = s->pause > 0 ? s->pause * 2 : g->pause_min;
	if (s->pause > g->pause_max)
		s->pause = g->pause_max;
	s->paused = 1;
	s->probing = 0;
	s->pauses++;
	if (s->timer == NULL)
		s->timer = evtimer_new(g->base, on_pause_end, s);
	tv.tv_sec = s->pause;
	tv.tv_usec = 0;
	if (s->timer == NULL || evtimer_add(s->timer, &tv) != 0)
		s->paused = 0;	/* without a timer: the next call is the probe */
	snprintf(what, sizeof(what), "state=%s failures=%d pause=%ds", s->code,
	    s->failures, s->pause);
	trd_log_event(g->name, NULL, "paused", what);
	if (g->drop_paused)
		drop_all(s, TRD_GATE_PAUSED);
}

int
trd_gate_new(struct event_base *base, const char *name, int limit, int failures,
    int pause_min, int pause_max, int wait_max, int drop_paused,
    struct trd_gate **out)
{
	struct trd_gate *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (g == NULL)
		return -1;
	g->base = base;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->limit = limit > 0 ? limit : 1;
	g->failures = failures > 0 ? failures : 1;
	g->pause_min = pause_min > 0 ? pause_min : 1;
	g->pause_max = pause_max >= g->pause_min ? pause_max : g->pause_min;
	g->wait_max = wait_max;
	g->drop_paused = drop_paused;
	*out = g;
	return 0;
}

static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct trd_gate *g = arg;
	struct gate_state *s;
	struct gate_waiter *w, **pp;
	time_t now = time(NULL);

	(void)fd;
	(void)what;
	for (s = g->states; s != NULL; s = s->next) {
		for (pp = &s->head; (w = *pp) != NULL;) {
			if (now - w->since < g->wait_max) {
				pp = &w->next;
				continue;
			}
			*pp = w->next;
			s->waiting--;
			w->run(w->arg, s->code, TRD_GATE_TOO_LONG);
			free(w);
		}
		s->tail = NULL;
		for (w = s->head; w != NULL; w = w->next)
			s->tail = w;
	}
}

int
trd_gate_enter(struct trd_gate *g, const char *code, trd_gate_fn run, void *arg)
{
	struct gate_state *s;
	struct gate_waiter *w;
	struct timeval tv = { 1, 0 };

	if (g == NULL)
		return TRD_GATE_GO;
	if (g->stopping || (s = state_get(g, code)) == NULL)
		return TRD_GATE_STOPPING;
	if (g->drop_paused && s->paused)
		return TRD_GATE_PAUSED;
	/* First come, first served: nothing overtakes the State's queue. */
	if (s->head == NULL && may_start(s)) {
		started(s);
		return TRD_GATE_GO;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return TRD_GATE_STOPPING;
	w->run = run;
	w->arg = arg;
	w->since = time(NULL);
	if (s->tail != NULL)
		s->tail->next = w;
	else
		s->head = w;
	s->tail = w;
	s->waiting++;
	if (g->wait_max > 0 && g->sweep == NULL &&
	    (g->sweep = event_new(g->base, -1, EV_PERSIST, on_sweep, g)) != NULL)
		event_add(g->sweep, &tv);
	return TRD_GATE_WAIT;
}

void
trd_gate_leave(struct trd_gate *g, const char *code, int result)
{
	struct gate_state *s;
	char what[120];

	if (g == NULL || (s = state_get(g, code)) == NULL)
		return;
	if (s->in_flight > 0)
		s->in_flight--;
	if (result > 0) {
		s->failures = 0;
		if (s->pause > 0) {
			snprintf(what, sizeof(what), "state=%s after a pause of %ds",
			    s->code, s->pause);
			trd_log_event(g->name, NULL, "resumed", what);
			s->pause = 0;
			s->paused = 0;
			if (s->timer != NULL)
				evtimer_del(s->timer);
		}
		s->probing = 0;
	} else if (result < 0) {
		s->failures++;
		if (!s->paused && (s->probing || (s->pause == 0 &&
		    s->failures >= g->failures)))
			pause_begin(s);
	} else if (s->probing) {
		s->probing = 0;	/* no call was made: another may try */
	}
	pump(s);
}

int
trd_gate_paused(struct trd_gate *g, const char *code, int *seconds)
{
	struct gate_state *s;

	for (s = g != NULL ? g->states : NULL; s != NULL; s = s->next)
		if (strncmp(s->code, code, 2) == 0) {
			if (seconds != NULL)
				*seconds = s->pause;
			return s->paused;
		}
	return 0;
}

void
trd_gate_stop(struct trd_gate *g)
{
	struct gate_state *s;

	if (g == NULL)
		return;
	g->stopping = 1;
	for (s = g->states; s != NULL; s = s->next)
		drop_all(s, TRD_GATE_STOPPING);
}

void
trd_gate_free(struct trd_gate *g)
{
	struct gate_state *s;

	if (g == NULL)
		return;
	g->stopping = 1;
	while ((s = g->states) != NULL) {
		g->states = s->next;
		drop_all(s, TRD_GATE_STOPPING);
		if (s->timer != NULL)
			event_free(s->timer);
		free(s);
	}
	if (g->sweep != NULL)
		event_free(g->sweep);
	free(g);
}

char *
trd_gate_metrics(const struct trd_gate *g)
{
	const struct gate_state *s;
	size_t n = 0, cap, len = 0;
	char *t;
	int k;
	static const char *const what[] = {
	    "paused", "1 while calls to the State are paused or only one tries "
	    "it after a pause (its circuit breaker is open), by State.",
	    "in_flight", "Calls to the State in flight, by State.",
	    "waiting", "Jobs waiting for a call to the State (its limit of calls "
	    "in flight reached, or paused), by State.",
	    "pauses_total", "Pauses of calls to the State begun after failed "
	    "calls, by State." };

	for (s = g->states; s != NULL; s = s->next)
		n++;
	cap = 1024 + n * 4 * 80;
	if ((t = malloc(cap)) == NULL)
		return NULL;
	t[0] = '\0';
	for (k = 0; k < 4; k++) {
		len += (size_t)snprintf(t + len, cap - len, "# HELP tracerd_%s_%s %s\n"
		    "# TYPE tracerd_%s_%s %s\n", g->name, what[2 * k], what[2 * k + 1],
		    g->name, what[2 * k], k == 3 ? "counter" : "gauge");
		for (s = g->states; s != NULL && len < cap; s = s->next) {
			long v = k == 0 ? s->pause > 0 : k == 1 ? s->in_flight :
			    k == 2 ? s->waiting : (long)s->pauses;

			len += (size_t)snprintf(t + len, cap - len,
			    "tracerd_%s_%s{state=\"%s\"} %ld\n", g->name, what[2 * k],
			    s->code, v);
		}
	}
	return t;
}
