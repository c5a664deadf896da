/*
 * Calls held for something to happen (GET ...?wait=S): a trace's answer,
 * a chain's next change.  A held call waits in a list, keyed by what it
 * waits for, until that is woken or its S seconds pass; then it is resumed
 * (read again and answered, without waiting).  Everything here runs on
 * the event loop's thread.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tracerd_int.h"

struct trd_held {
	struct trd_holds *list;
	struct trd_call *c;
	char key[37];			/* what it waits for */
	char id[37];			/* what it asked for */
	int flag;			/* the resume function's own */
	trd_resume_fn resume;
	struct event *timer;
	struct trd_held *next;
};

static void
release(struct trd_held *h)
{
	struct trd_holds *list = h->list;
	struct trd_held **pp;

	for (pp = &list->head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	list->n--;
	event_free(h->timer);
	h->c->wait = 0;
	h->resume(h->c, h->id, h->flag);
	free(h);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	release(arg);
}

int
trd_hold(struct trd_holds *list, struct trd_call *c, const char *key,
    const char *id, int flag, trd_resume_fn resume)
{
	struct trd_daemon *d = c->d;
	struct timeval tv = { c->wait, 0 };
	struct trd_held *h;

	if (d->stopping || list->n >= TRD_HOLDS_MAX ||
	    (h = calloc(1, sizeof(*h))) == NULL)
		return -1;
	if ((h->timer = evtimer_new(d->base, on_timeout, h)) == NULL ||
	    evtimer_add(h->timer, &tv) != 0) {
		if (h->timer != NULL)
			event_free(h->timer);
		free(h);
		return -1;
	}
	h->list = list;
	h->c = c;
	snprintf(h->key, sizeof(h->key), "%s", key);
	snprintf(h->id, sizeof(h->id), "%s", id);
	h->flag = flag;
	h->resume = resume;
	h->next = list->head;
	list->head = h;
	list->n++;
	return 0;
}

void
trd_holds_wake(struct trd_holds *list, const char *key)
{
	struct trd_held *h, *next;

	for (h = list->head; h != NULL; h = next) {
		next = h->next;
		if (strcmp(h->key, key) == 0)
			release(h);
	}
}

void
trd_holds_wake_all(struct trd_holds *list)
{
	while (list->head != NULL)
		release(list->head);
}
