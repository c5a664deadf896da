/*
 * tracerd's database workers (pool.h).  Jobs wait in a FIFO under one mutex;
 * a finished job moves to the done list and the worker writes to an
 * eventfd that the event loop watches, so the loop learns of it without
 * libevent's own thread support.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"

#define POOL_WORKERS_MAX 64
#define RECONNECT_MS 250	/* between attempts while the database is down */

struct job {
	trd_job_fn fn;
	trd_done_fn done;
	void *arg;
	int read;			/* may run again (trd_pool_submit_read) */
	struct job *next;
};

struct worker {
	struct trd_worker w;
	trd_pool *pool;
	pthread_t thread;
	int started;
	int64_t last_try;		/* last connection attempt, monotonic ms */
	int up;				/* w.db != NULL, for trd_pool_stats */
};

struct trd_pool {
	char name[32];
	char *conninfo;
	void (*slot_free)(void *);
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;	/* waiting */
	struct job *done, *done_tail;	/* ran, not yet delivered */
	int queued, queue_max, busy, stopping;
	int nworkers;
	struct worker *workers;
	int efd;
	struct event *ev;
};

static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * Makes sure the worker has a connection that stands: a broken one is
 * dropped with the job code's state, and a new one made, at most once in
 * RECONNECT_MS unless now_again (a job's connection just broke: the server
 * may well be back already).
 */
static void
try_connect(struct worker *wk, int now_again)
{
	reg_error err = REG_ERROR_INIT;
	int64_t now = now_ms();

	if (wk->w.db != NULL) {
		if (reg_alive(wk->w.db))
			return;
		/* The connection broke: a new one, and the job code's state
		 * (prepared statements, caches) goes with the old one. */
		reg_close(wk->w.db);
		wk->w.db = NULL;
		if (wk->w.slot != NULL && wk->pool->slot_free != NULL)
			wk->pool->slot_free(wk->w.slot);
		wk->w.slot = NULL;
	}
	if (wk->last_try != 0 && now - wk->last_try < RECONNECT_MS && !now_again)
		return;
	wk->last_try = now;
	if (reg_open(wk->pool->conninfo, 0, &wk->w.db, &err) != 0) {
		wk->w.db = NULL;
		snprintf(wk->w.db_error, sizeof(wk->w.db_error), "%.200s", err.message);
	} else {
		wk->w.db_error[0] = '\0';
	}
}

static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	trd_pool *p = wk->pool;
	struct job *j;
	uint64_t one = 1;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->head == NULL && !p->stopping) {
			struct timespec until;

			if (wk->w.db != NULL || wk->last_try == 0) {
				pthread_cond_wait(&p->cv, &p->mu);
				continue;
			}
			/* A worker that lost its connection (or never got one)
			 * makes a new one in the background, so that the first
			 * jobs after the database comes back find it made.  A
			 * worker that never had a job connects at its first. */
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += RECONNECT_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&p->cv, &p->mu, &until) ==
			    ETIMEDOUT && p->head == NULL && !p->stopping) {
				pthread_mutex_unlock(&p->mu);
				try_connect(wk, 0);
				__atomic_store_n(&wk->up, wk->w.db != NULL,
				    __ATOMIC_RELAXED);
				pthread_mutex_lock(&p->mu);
			}
		}
		if (p->stopping) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->queued--;
		p->busy++;
		pthread_mutex_unlock(&p->mu);

		try_connect(wk, 0);
		__atomic_store_n(&wk->up, wk->w.db != NULL, __ATOMIC_RELAXED);
		j->fn(&wk->w, j->arg);
		/* The connection broke under the job (the server restarted or
		 * stopped): a read runs once more on a new connection; every
		 * job's worker reconnects now rather than at its next job. */
		if (wk->w.db != NULL && !reg_alive(wk->w.db)) {
			try_connect(wk, 1);
			if (j->read && wk->w.db != NULL)
				j->fn(&wk->w, j->arg);
			__atomic_store_n(&wk->up, wk->w.db != NULL,
			    __ATOMIC_RELAXED);
		}

		pthread_mutex_lock(&p->mu);
		p->busy--;
		j->next = NULL;
		if (p->done_tail != NULL)
			p->done_tail->next = j;
		else
			p->done = j;
		p->done_tail = j;
		pthread_mutex_unlock(&p->mu);
		/* An eventfd write fails only when the counter would overflow. */
		if (write(p->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			break;
	}
	if (wk->w.slot != NULL && p->slot_free != NULL)
		p->slot_free(wk->w.slot);
	wk->w.slot = NULL;
	reg_close(wk->w.db);
	wk->w.db = NULL;
	return NULL;
}

/* Hands the finished jobs to their done callbacks, on the loop's thread. */
static void
deliver(trd_pool *p)
{
	struct job *list, *j;

	pthread_mutex_lock(&p->mu);
	list = p->done;
	p->done = p->done_tail = NULL;
	pthread_mutex_unlock(&p->mu);
	while ((j = list) != NULL) {
		list = j->next;
		if (j->done != NULL)
			j->done(j->arg, 1);
		free(j);
	}
}

static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	deliver(arg);
}

int
trd_pool_new(struct event_base *base, const char *name, const char *conninfo,
    int nworkers, int queue_max, void (*slot_free)(void *), trd_pool **out,
    reg_error *err)
{
	trd_pool *p;
	int i;

	*out = NULL;
	if (nworkers < 1 || nworkers > POOL_WORKERS_MAX || queue_max < 1)
		return tr__fail(err, REG_EINVAL, "a %s pool needs 1 to %d workers",
		    name, POOL_WORKERS_MAX);
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->conninfo = strdup(conninfo ? conninfo : "")) == NULL ||
	    (p->workers = calloc((size_t)nworkers, sizeof(*p->workers))) == NULL) {
		if (p != NULL)
			free(p->conninfo);
		free(p);
		return tr__fail(err, REG_ENOMEM, "out of memory");
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->slot_free = slot_free;
	p->queue_max = queue_max;
	p->efd = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if ((p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (p->ev = event_new(base, p->efd, EV_READ | EV_PERSIST, on_done, p)) == NULL ||
	    event_add(p->ev, NULL) != 0) {
		trd_pool_free(p);
		return tr__fail(err, REG_EIO, "cannot start the %s pool: %s", name,
		    strerror(errno));
	}
	for (i = 0; i < nworkers; i++) {
		struct worker *wk = &p->workers[i];

		wk->pool = p;
		wk->w.index = i;
		if (pthread_create(&wk->thread, NULL, worker_main, wk) != 0) {
			trd_pool_free(p);
			return tr__fail(err, REG_EIO, "cannot start the %s pool's "
			    "threads", name);
		}
		wk->started = 1;
		p->nworkers++;
	}
	*out = p;
	return 0;
}

static int
submit(trd_pool *p, trd_job_fn fn, trd_done_fn done, void *arg, int read)
{
	struct job *j;

	pthread_mutex_lock(&p->mu);
	if (p->stopping || p->queued >= p->queue_max) {
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	pthread_mutex_unlock(&p->mu);
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->fn = fn;
	j->done = done;
	j->arg = arg;
	j->read = read;
	pthread_mutex_lock(&p->mu);
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int
trd_pool_submit(trd_pool *p, trd_job_fn fn, trd_done_fn done, void *arg)
{
	return submit(p, fn, done, arg, 0);
}

int
trd_pool_submit_read(trd_pool *p, trd_job_fn fn, trd_done_fn done, void *arg)
{
	return submit(p, fn, done, arg, 1);
}

void
trd_pool_stats(trd_pool *p, int *busy, int *queued, int *disconnected)
{
	int i, n = 0;

	pthread_mutex_lock(&p->mu);
	*busy = p->busy;
	*queued = p->queued;
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nworkers; i++)
		if (!__atomic_load_n(&p->workers[i].up, __ATOMIC_RELAXED))
			n++;
	*disconnected = n;
}

int
trd_pool_size(const trd_pool *p)
{
	return p->nworkers;
}

void
trd_pool_free(trd_pool *p)
{
	struct job *j;
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nworkers; i++)
		if (p->workers[i].started)
			pthread_join(p->workers[i].thread, NULL);
	deliver(p);
	while ((j = p->head) != NULL) {
		p->head = j->next;
		if (j->done != NULL)
			j->done(j->arg, 0);
		free(j);
	}
	if (p->ev != NULL)
		event_free(p->ev);
	if (p->efd >= 0)
		close(p->efd);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->workers);
	free(p->conninfo);
	free(p);
}
