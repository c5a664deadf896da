/*
 * tracerd's log endpoints (proto/README.md, "Endpoints"): the latest signed
 * checkpoint as the C2SP signed note, and inclusion and consistency proofs
 * in the JSON shape of `regctl log prove-*` (proto_proof_*()).  Proofs are
 * not signed: they prove themselves against a signed checkpoint.  Read by
 * the peers directory's States, this State's liaison office and its
 * auditors (tracerd_routes.c).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "tracerd_int.h"

enum what { CHECKPOINT, INCLUSION, CONSISTENCY };

/* ------------------------------------------------- the newest served */

/*
 * [log] served: the newest checkpoint this daemon signed or served, kept
 * in a file outside the database, so that a database superuser who
 * removes the newest checkpoint row cannot also remove the evidence
 * (`regctl log verify --served FILE`).  Workers update it under the lock,
 * only when the checkpoint grows, by writing a new file and renaming it
 * over the old one; and refuse to serve a checkpoint smaller than it.
 */
static pthread_mutex_t served_lock = PTHREAD_MUTEX_INITIALIZER;
static int served_known;
static struct reg_checkpoint served_cp;

/* The checkpoint of a note's text, without verifying it. */
static int
note_checkpoint(const char *note, struct reg_checkpoint *cp)
{
	const char *end = strstr(note, "\n\n");

	if (end == NULL)
		return -1;
	return reg_checkpoint_parse(note, (size_t)(end - note) + 1, cp, NULL) == 0 ?
	    0 : -1;
}

static int
served_load(struct trd_daemon *d, reg_error *err)
{
	char buf[65537];
	size_t n;
	FILE *f;

	if (d->cf.served_file[0] == '\0')
		return 0;
	if ((f = fopen(d->cf.served_file, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;	/* nothing served yet */
		return tr__fail(err, REG_EIO, "cannot read [log] served %s: %s",
		    d->cf.served_file, strerror(errno));
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	if (note_checkpoint(buf, &served_cp) != 0)
		return tr__fail(err, REG_EINVAL, "[log] served %s holds no signed "
		    "checkpoint; if it was lost, check the log with 'regctl log "
		    "verify' and remove the file", d->cf.served_file);
	served_known = 1;
	return 0;
}

/* REG_EVERIFY when cp (the database's newest, or NULL for none) is older
 * than the one served; under served_lock. */
static int
served_older(struct trd_daemon *d, const struct reg_checkpoint *cp,
    char *error, size_t errlen)
{
	if (!served_known || (cp != NULL && (cp->size > served_cp.size ||
	    (cp->size == served_cp.size &&
	    memcmp(cp->root.b, served_cp.root.b, 32) == 0))))
		return 0;
	snprintf(error, errlen, "the newest checkpoint in the database (%s%"
	    PRIu64 ") is not the one this daemon served (size %" PRIu64 ", [log] "
	    "served): a checkpoint was removed or replaced; run 'regctl log "
	    "verify --served %.100s'", cp != NULL ? "size " : "none, ",
	    cp != NULL ? cp->size : 0, served_cp.size, d->cf.served_file);
	return REG_EVERIFY;
}

/* Before signing: REG_EVERIFY when the database's newest checkpoint is
 * older than the one served (never sign a rolled-back log). */
static int
served_check(struct trd_daemon *d, reg_ctx *db, char *error, size_t errlen)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_checkpoint cp;
	int r;

	if (d->cf.served_file[0] == '\0')
		return 0;
	r = reg_log_latest_checkpoint(db, NULL, &cp, &err);
	if (r != 0 && r != REG_ENOTFOUND) {
		snprintf(error, errlen, "%.400s", err.message);
		return r;
	}
	pthread_mutex_lock(&served_lock);
	r = served_older(d, r == 0 ? &cp : NULL, error, errlen);
	pthread_mutex_unlock(&served_lock);
	return r;
}

/*
 * Records note (of checkpoint cp) as served when it is newer than the one
 * recorded.  REG_EVERIFY when it is older, or of the same size with
 * another root: the newest checkpoint was removed or replaced.  REG_EIO
 * when the file cannot be written (the caller logs it and serves).
 */
static int
served_note(struct trd_daemon *d, const char *note,
    const struct reg_checkpoint *cp, char *error, size_t errlen)
{
	char tmp[TRD_PATH_MAX + 8];
	size_t len = strlen(note);
	FILE *f;
	int r = 0;

	if (d->cf.served_file[0] == '\0')
		return 0;
	pthread_mutex_lock(&served_lock);
	if ((r = served_older(d, cp, error, errlen)) != 0)
		goto out;
	if (served_known && cp->size == served_cp.size)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->cf.served_file);
	if ((f = fopen(tmp, "w")) == NULL || fwrite(note, 1, len, f) != len ||
	    fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(error, errlen, "cannot write [log] served %.100s: %s",
		    tmp, strerror(errno));
		if (f != NULL)
			fclose(f);
		r = REG_EIO;
		goto out;
	}
	if (fclose(f) != 0 || rename(tmp, d->cf.served_file) != 0) {
		snprintf(error, errlen, "cannot write [log] served %.100s: %s",
		    d->cf.served_file, strerror(errno));
		r = REG_EIO;
		goto out;
	}
	served_cp = *cp;
	served_known = 1;
out:
	pthread_mutex_unlock(&served_lock);
	return r;
}

struct logjob {
	struct trd_call *c;
	enum what what;
	uint64_t a, b;			/* index and size, or old and new size */
	int have_b;
	char *text;			/* the answer */
	int rc;
	char error[512];
	char warning[300];		/* [log] served not written, or "" */
};

/* A proof's hashes go to the codec as 32-byte values in a row. */
_Static_assert(sizeof(struct reg_hash) == 32, "a hash is 32 bytes");

static void
log_job(struct trd_worker *w, void *arg)
{
	struct logjob *j = arg;
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	struct reg_proof *p = NULL;
	struct reg_checkpoint cp;
	uint64_t size;
	int r = 0;

	if ((j->rc = trd_job_db(w, j->error, sizeof(j->error))) != 0)
		return;
	switch (j->what) {
	case CHECKPOINT:
		/* With the cosignatures its witnesses gave it; never one older
		 * than the newest served before (issue 17). */
		j->rc = reg_log_latest_cosigned(w->db,
		    (uint32_t)j->c->d->cf.cosignature_skew, &j->text, &cp, &err);
		if (j->rc == 0 && (r = served_note(j->c->d, j->text, &cp, j->error,
		    sizeof(j->error))) == REG_EVERIFY) {
			j->rc = r;
			return;
		} else if (r != 0) {
			snprintf(j->warning, sizeof(j->warning), "%.280s", j->error);
			j->error[0] = '\0';
		}
		break;
	case INCLUSION:
	case CONSISTENCY:
		if (!j->have_b && (j->rc = reg_log_size(w->db, &size, &err)) != 0)
			break;
		if (!j->have_b)
			j->b = size;
		j->rc = j->what == INCLUSION ?
		    reg_log_prove_inclusion(w->db, j->a, j->b, &p, &err) :
		    reg_log_prove_consistency(w->db, j->a, j->b, &p, &err);
		if (j->rc == 0 && (j->what == CONSISTENCY ?
		    proto_proof_consistency_to_json(p->old_size, p->size,
		    (const uint8_t *)p->hashes, p->n, &j->text, &perr) :
		    proto_proof_inclusion_to_json(p->index, p->size, p->leaf_hash.b,
		    (const uint8_t *)p->hashes, p->n, &j->text, &perr)) != 0) {
			j->rc = REG_EINTERNAL;
			snprintf(err.message, sizeof(err.message), "%s", perr.message);
		}
		reg_free(p);
		break;
	}
	if (j->rc != 0)
		snprintf(j->error, sizeof(j->error), "%.400s", err.message);
}

static void
log_done(void *arg, int ran)
{
	struct logjob *j = arg;
	struct trd_call *c = j->c;

	if (ran && j->warning[0] != '\0')
		trd_log_event("checkpoint", NULL, "error", j->warning);
	if (!ran)
		trd_problem(c, "unavailable", "the daemon is stopping", NULL);
	else if (j->rc == REG_EVERIFY) {
		/* The log failed a check: serve nothing of it (issue 17). */
		trd_log_event("checkpoint", NULL, "refused", j->error);
		trd_problem(c, "internal", "the audit log failed its integrity "
		    "check; its operators have been told", NULL);
	} else if (j->rc == 0 && j->what == CHECKPOINT)
		trd_reply(c, 200, "text/plain; charset=utf-8", j->text, strlen(j->text),
		    NULL);
	else if (j->rc == 0)
		trd_reply(c, 200, "application/json", j->text, strlen(j->text), NULL);
	else if (j->rc == REG_ENOTFOUND && j->what == CHECKPOINT)
		trd_problem(c, "not-found", "no checkpoint has been signed yet", NULL);
	else if (j->rc == REG_EINVAL || j->rc == REG_ERANGE)
		/* The proof's bounds: an index past the size, a size past the
		 * log; the library's message says which. */
		trd_problem(c, "bad-request", j->error, NULL);
	else {
		trd_log_event("error", NULL, NULL, j->error);
		trd_problem(c, "unavailable", "the registry's database cannot be "
		    "reached; try again later", NULL);
	}
	reg_free(j->text);
	free(j);
}

/* A whole number 0 .. 2^63 - 1 in decimal, nothing else. */
static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 19)
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > INT64_MAX)
		return -1;
	*out = v;
	return 0;
}

/* Reads the query's parameters: exactly those named (the second may be
 * optional), each once, whole numbers. */
static int
query_params(struct trd_call *c, const char *n1, const char *n2, int n2_optional,
    struct logjob *j)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(c->req));
	struct evkeyvalq params;
	struct evkeyval *kv;
	int seen1 = 0, seen2 = 0, r = 0;
	char detail[200];

	TAILQ_INIT(&params);
	if (q != NULL && evhttp_parse_query_str(q, &params) != 0) {
		trd_problem(c, "bad-request", "the query string is malformed", NULL);
		return -1;
	}
	TAILQ_FOREACH(kv, &params, next) {
		int one = strcmp(kv->key, n1) == 0, two = strcmp(kv->key, n2) == 0;

		if ((!one && !two) || (one && seen1++) || (two && seen2++)) {
			snprintf(detail, sizeof(detail), "this proof takes %s and %s, "
			    "each once", n1, n2);
			r = -1;
			break;
		}
		if (parse_u64(kv->value, one ? &j->a : &j->b) != 0) {
			snprintf(detail, sizeof(detail), "%s must be a whole number from "
			    "0 to 9223372036854775807", one ? n1 : n2);
			r = -1;
			break;
		}
	}
	if (r == 0 && (!seen1 || (!seen2 && !n2_optional))) {
		snprintf(detail, sizeof(detail), "this proof needs %s%s%s", n1,
		    n2_optional ? "" : " and ", n2_optional ? "" : n2);
		r = -1;
	}
	evhttp_clear_headers(&params);
	j->have_b = seen2;
	if (r != 0)
		trd_problem(c, "bad-request", detail, NULL);
	return r;
}

static void
start(struct trd_call *c, enum what what)
{
	struct logjob *j;

	if (c->d->log_refused[0] != '\0') {
		/* The last checkpoint was refused over an edited log. */
		trd_problem(c, "internal", "the audit log failed its integrity "
		    "check before signing; its operators have been told", NULL);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		trd_problem(c, "unavailable", "out of memory", NULL);
		return;
	}
	j->c = c;
	j->what = what;
	if ((what == INCLUSION && query_params(c, "index", "size", 1, j) != 0) ||
	    (what == CONSISTENCY && query_params(c, "old", "new", 1, j) != 0)) {
		free(j);
		return;
	}
	if (trd_call_submit_read(c, log_job, log_done, j) != 0)
		free(j);
}

void
trd_log_checkpoint(struct trd_call *c)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(c->req));

	if (q != NULL && q[0] != '\0') {
		trd_problem(c, "bad-request", "the checkpoint takes no parameters",
		    NULL);
		return;
	}
	start(c, CHECKPOINT);
}

void
trd_log_inclusion(struct trd_call *c)
{
	start(c, INCLUSION);
}

void
trd_log_consistency(struct trd_call *c)
{
	start(c, CONSISTENCY);
}

/* ------------------------------------------------------------ checkpoints */

struct ckjob {
	struct trd_daemon *d;
	int rc;
	uint64_t size;
	char error[512];
	char warning[300];		/* [log] served not written, or "" */
};

static void
ck_job(struct trd_worker *w, void *arg)
{
	struct ckjob *j = arg;
	reg_error err = REG_ERROR_INIT;
	struct reg_checkpoint cp;
	char *note = NULL;
	int r;

	if ((j->rc = trd_job_db(w, j->error, sizeof(j->error))) != 0)
		return;
	/* Never below the newest served; the new leaves and a sample of the
	 * old are checked first. */
	if ((j->rc = served_check(j->d, w->db, j->error, sizeof(j->error))) != 0)
		return;
	if ((j->rc = reg_log_checkpoint_checked(w->db, j->d->log_key,
	    (uint64_t)j->d->cf.checkpoint_sample, &note, &cp, &err)) != 0) {
		snprintf(j->error, sizeof(j->error), "%.400s", err.message);
		return;
	}
	j->size = cp.size;
	if ((r = served_note(j->d, note, &cp, j->error, sizeof(j->error))) != 0) {
		if (r == REG_EVERIFY)
			j->rc = r;
		else {
			snprintf(j->warning, sizeof(j->warning), "%.280s", j->error);
			j->error[0] = '\0';
		}
	}
	reg_free(note);
}

static void
ck_done(void *arg, int ran)
{
	struct ckjob *j = arg;
	char what[64];

	j->d->checkpointing = 0;
	if (ran && j->warning[0] != '\0')
		trd_log_event("checkpoint", NULL, "error", j->warning);
	if (ran && j->rc == REG_EVERIFY) {
		/* Refused to sign over an edited log, or the newest checkpoint
		 * was removed: logged at every round until it is put right. */
		snprintf(j->d->log_refused, sizeof(j->d->log_refused), "%.280s",
		    j->error);
		trd_log_event("checkpoint", NULL, "refused", j->error);
	} else if (ran && j->rc != 0) {
		trd_log_event("checkpoint", NULL, "error", j->error);
	} else if (ran) {
		j->d->log_refused[0] = '\0';	/* the log holds again */
		if (j->size != j->d->checkpoint_size) {
			j->d->checkpoint_size = j->size;
			snprintf(what, sizeof(what), "size %" PRIu64, j->size);
			trd_log_event("checkpoint", NULL, "signed", what);
		}
	}
	free(j);
}

static void
on_checkpoint_timer(evutil_socket_t fd, short what, void *arg)
{
	struct trd_daemon *d = arg;
	struct ckjob *j;

	(void)fd;
	(void)what;
	if (d->checkpointing || d->stopping || (j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->d = d;
	j->size = d->checkpoint_size;
	if (trd_pool_submit(d->pool, ck_job, ck_done, j) != 0)
		free(j);
	else
		d->checkpointing = 1;
}

int
trd_log_checkpoints_start(struct trd_daemon *d, reg_error *err)
{
	struct timeval tv = { d->cf.checkpoint_interval, 0 };
	int r;

	if ((r = served_load(d, err)) != 0)
		return r;
	if (d->log_key == NULL)
		return 0;
	d->ev_checkpoint = event_new(d->base, -1, EV_PERSIST, on_checkpoint_timer, d);
	if (d->ev_checkpoint == NULL || event_add(d->ev_checkpoint, &tv) != 0)
		return tr__fail(err, REG_EIO, "cannot start the checkpoint timer");
	/* One at once, so that what was written before the start is sealed. */
	on_checkpoint_timer(-1, 0, d);
	return 0;
}
