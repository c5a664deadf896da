/*
 * tracerd's database workers: a fixed set of threads, each with its own
 * registry connection, taking jobs from one queue.  The event loop never
 * waits on the database: it hands a job to a pool and gets the job's
 * completion back on the loop's own thread.
 *
 * libregistry and the trace engine are synchronous (a log append takes a
 * lock and runs several statements in one transaction; a trace runs a
 * handful of prepared queries): each worker runs them on its own
 * connection, so a slow query holds one worker and nothing else.  tracerd
 * keeps two pools, one for what must answer at once (storing a request,
 * reading a status, serving the log) and one for traces, so that traces
 * never delay acknowledgements.
 */
#ifndef TRACER_POOL_H
#define TRACER_POOL_H


#if !defined(REG_PART_TRACER) && !defined(REG_WHITEBOX)
#error "pool.h is internal to tracer/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <event2/event.h>

#include "tracer_int.h"

typedef struct trd_pool trd_pool;

/* A worker as a job sees it: its connection (NULL while the database is
 * unreachable; the worker checks that its connection stands before each
 * job and makes a new one, at most once a second, and at once after a job
 * during which the connection broke) and a slot for the job code's own state (e.g. a trace engine),
 * freed by the pool's slot_free when the worker stops. */
struct trd_worker {
	reg_ctx *db;
	void *slot;
	int index;
	char db_error[256];	/* why db is NULL */
};

/* Runs on a worker thread. */
typedef void (*trd_job_fn)(struct trd_worker *w, void *arg);
/* Runs on the event loop's thread once the job has run (ran = 1), or when
 * the pool stops before running it (ran = 0), so that arg is always freed. */
typedef void (*trd_done_fn)(void *arg, int ran);

/*
 * Starts nworkers threads (1..64) on conninfo (libpq's, "" for its
 * defaults), each connecting at once; a worker that cannot connect retries
 * before its jobs.  queue_max bounds the jobs waiting (submit refuses
 * beyond).  slot_free (may be NULL) frees a worker's slot when it stops.
 */
int trd_pool_new(struct event_base *base, const char *name, const char *conninfo,
    int nworkers, int queue_max, void (*slot_free)(void *slot), trd_pool **out,
    reg_error *err);

/* Queues a job.  Returns 0, or -1 when the queue is full or the pool is
 * stopping (the job is then not run and done is not called). */
int trd_pool_submit(trd_pool *p, trd_job_fn fn, trd_done_fn done, void *arg);
/* As trd_pool_submit, for a job that only reads and may run twice: when
 * the connection breaks during it (the server restarted), it runs once
 * more on a new connection.  fn must set all its results on each run. */
int trd_pool_submit_read(trd_pool *p, trd_job_fn fn, trd_done_fn done,
    void *arg);

/* Workers running a job, jobs waiting, and workers without a connection. */
void trd_pool_stats(trd_pool *p, int *busy, int *queued, int *disconnected);
int trd_pool_size(const trd_pool *p);

/* Stops taking jobs, lets each worker finish the job it runs, joins the
 * threads, then calls done for every job: ran = 1 for those that ran and
 * were not yet delivered, ran = 0 for those still queued (tracerd's queued
 * work is in the database and resumes at its next start). */
void trd_pool_free(trd_pool *p);

#endif
