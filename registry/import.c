/*
 * Bulk import of CSV files (RFC 4180, UTF-8, header line first): weapons
 * with their manufacture marking, or events of weapons' histories, told
 * apart by the header line.
 *
 * The input is read line by line and parsed with libcsv in strict mode; a
 * record may span lines only inside a quoted field.  Records go into
 * batches, and each batch is one transaction.  Its rows are first checked
 * in memory against reference data loaded once (countries, weapon types,
 * manufacturers' names and codes).  Then, holding the log's append lock,
 * the batch asks one query per kind about itself (office references already
 * recorded; for events the weapons, the parties and the weapons' histories,
 * against which the events are checked in file order), and the good rows
 * become the same canonical records that reg_weapon_register() and
 * reg_event_add() write.  The rows go to their tables with COPY, naming the
 * log indexes their leaves will get, while their leaves are made; the
 * leaves then go to the log with one reg_log_append_batch() call, and the
 * batch commits.  A row whose office reference is already recorded is
 * skipped, so that running a file again, also after an interruption at any
 * moment, gives the result of one clean run.  A bad row is reported with
 * its line number and the reason, and never stops the import; a database
 * failure does, with the current batch rolled back.
 *
 * This file runs the batches and reports them; import_read.c reads the
 * records, import_check.c checks rows in memory, import_write.c writes
 * them (import_int.h says what they share).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_int.h"

/* ------------------------------------------------------------ batches */

/* Counts rw as rejected and hands it to the caller's reject callback. */
static void
report_reject(struct imp *im, const struct row *rw)
{
	struct reg_import_reject rj;

	im->st.rejected++;
	if (im->opts != NULL && im->opts->reject_record != NULL) {
		rj.line = rw->line;
		rj.last_line = rw->last;
		rj.why = rw->why;
		rj.raw = rw->raw;
		rj.rawlen = rw->rawlen;
		im->opts->reject_record(&rj, im->opts->arg);
	} else if (im->opts != NULL && im->opts->reject != NULL) {
		im->opts->reject(rw->line, rw->why, rw->raw, im->opts->arg);
	}
}

/* Checks, writes and commits one batch, then reports it. */
static int
batch_run(struct imp *im)
{
	struct row *rw;
	size_t i, good = 0;
	int r;

	for (i = 0; i < im->nrows; i++) {
		rw = &im->rows[i];
		if (rw->state != ROW_NEW)
			continue;
		if (im->format == FMT_WEAPONS)
			reg__imp_weapon_check(im, rw);
		else
			reg__imp_event_check(im, rw);
		if (im->pool.failed)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		good += rw->state == ROW_NEW;
	}
	if (good == 0)
		goto report;	/* nothing for the database */
	/*
	 * The log's lock first: every record write appends to the log in its
	 * transaction, so while the batch holds the lock no other record can
	 * commit, and what the batch reads (office references, parties,
	 * weapons' histories) stays true until it commits.  This also keeps
	 * concurrent reg_event_add() calls from interleaving with the batch's
	 * events without a lock per weapon (thousands a batch would strain the
	 * server's lock table); one that read a history before the batch
	 * commits fails on the event numbering instead of breaking a chain.
	 */
	if ((r = reg__exec_cmd(im->ctx, "BEGIN", im->err)) != 0)
		return r;
	if ((r = reg__imp_log_reserve(im, &im->log_size)) != 0) {
		(void)reg__exec_cmd(im->ctx, "ROLLBACK", NULL);
		return r;
	}
	r = im->format == FMT_WEAPONS ? reg__imp_weapons_write(im) :
	    reg__imp_events_write(im);
	if (r == 0)
		r = reg__exec_cmd(im->ctx, "COMMIT", im->err);
	if (r != 0) {
		(void)reg__exec_cmd(im->ctx, "ROLLBACK", NULL);
		return r;
	}
report:
	/* Committed: count and report, in file order. */
	for (i = 0; i < im->nrows; i++) {
		rw = &im->rows[i];
		switch (rw->state) {
		case ROW_IMPORT:
			im->st.imported++;
			break;
		case ROW_SKIP:
			im->st.skipped++;
			break;
		default:
			report_reject(im, rw);
			break;
		}
		im->st.rows++;
	}
	if (im->opts != NULL && im->opts->progress != NULL)
		im->opts->progress(&im->st, im->rd.bytes, im->opts->arg);
	return 0;
}

static void
imp_free(struct imp *im)
{
	if (im == NULL)
		return;
	reg__imp_read_free(im);
	cm_strmap_free(&im->types);
	cm_strmap_free(&im->maker_alias);
	cm_strmap_free(&im->maker_id);
	cm_strmap_free(&im->seen);
	cm_strmap_free(&im->refs);
	cm_strmap_free(&im->weapon_id);
	cm_strmap_free(&im->weapon_ref);
	cm_strmap_free(&im->party_id);
	cm_strmap_free(&im->party_ref);
	reg__pool_free(&im->refpool);
	reg__pool_free(&im->pool);
	cm_buf_free(&im->q1);
	cm_buf_free(&im->q2);
	cm_buf_free(&im->q3);
	cm_buf_free(&im->copy1);
	cm_buf_free(&im->leafbuf);
	free(im->rows);
	free(im->leaves);
	free(im->eff);
	free(im);
}

/*
 * The importer's state for in, its buffers made (the leaves' only when
 * with_leaves: the check without a database writes none), its line end
 * chosen and its header read.  *out is set even on failure, for
 * imp_free().
 */
static int
imp_open(struct imp **out, FILE *in, const struct reg_import_opts *opts,
    int with_leaves, reg_error *err)
{
	struct imp *im;

	if ((*out = im = calloc(1, sizeof(*im))) == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	im->err = err;
	im->opts = opts;
	im->batch_rows = opts != NULL && opts->batch_rows > 0 ? opts->batch_rows :
	    IMP_BATCH_DEFAULT;
	im->rd.in = in;
	im->rd.buf = malloc(IMP_READ_CHUNK);
	im->rows = calloc(im->batch_rows, sizeof(*im->rows));
	if (with_leaves)
		im->leaves = calloc(2 * im->batch_rows, sizeof(*im->leaves));
	im->cr.pool = &im->pool;
	if (im->rd.buf == NULL || im->rows == NULL ||
	    (with_leaves && im->leaves == NULL))
		return reg__fail(err, REG_ENOMEM, "out of memory");
	return reg__imp_read_open(im);
}

int
reg_import_csv(reg_ctx *ctx, FILE *in, const struct reg_import_opts *opts,
    struct reg_import_stats *stats, reg_error *err)
{
	struct imp *im = NULL;
	int r;

	if (stats != NULL)
		memset(stats, 0, sizeof(*stats));
	if (ctx == NULL || in == NULL)
		return reg__fail(err, REG_EINVAL, "no database or no input");
	if (opts != NULL && opts->batch_rows > IMP_BATCH_MAX)
		return reg__fail(err, REG_ERANGE, "batches of %zu rows: the limit is %d",
		    opts->batch_rows, IMP_BATCH_MAX);
	if (reg__in_tx(ctx))
		return reg__fail(err, REG_EINVAL, "an import commits batch by batch in "
		    "transactions of its own; commit first");
	REG_ASSERT(strcmp(reg__recdefs[REC_EVENT].cols[EVENT_TRANSIT_COL],
	    "transit_countries") == 0);
	if ((r = imp_open(&im, in, opts, 1, err)) != 0)
		goto out;
	im->ctx = ctx;
	reg__imp_write_open(im);
	if ((r = reg__imp_load_reference(im)) != 0)
		goto out;
	for (;;) {
		if ((r = reg__imp_batch_fill(im)) != 0)
			goto out;
		if (im->nrows == 0)
			break;
		if ((r = batch_run(im)) != 0)
			goto out;
	}
	r = 0;
out:
	if (stats != NULL && im != NULL)
		*stats = im->st;
	imp_free(im);
	return r;
}

/* ------------------------------------------------------------ without a database */

int
reg__import_check(FILE *in, const struct reg__import_ref *ref,
    const struct reg_import_opts *opts, reg__import_good_cb good,
    struct reg_import_stats *stats, reg_error *err)
{
	struct imp *im = NULL;
	struct row *rw;
	const char *c;
	char *k, *v;
	size_t i;
	int r;

	if (stats != NULL)
		memset(stats, 0, sizeof(*stats));
	if (in == NULL || ref == NULL)
		return reg__fail(err, REG_EINVAL, "no input or no reference data");
	if (opts != NULL && opts->batch_rows > IMP_BATCH_MAX)
		return reg__fail(err, REG_ERANGE, "batches of %zu rows: the limit is %d",
		    opts->batch_rows, IMP_BATCH_MAX);
	if ((r = imp_open(&im, in, opts, 0, err)) != 0)
		goto out;
	for (c = ref->countries; c != NULL && c[0] != '\0' && c[1] != '\0'; c += 2)
		if (c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z')
			im->countries[c[0] - 'A'][c[1] - 'A'] = 1;
	for (i = 0; ref->types != NULL && ref->types[i] != NULL; i++) {
		k = reg__pool_strdup(&im->refpool, ref->types[i]);
		if (k == NULL || cm_strmap_put(&im->types, k, k) != 0)
			goto nomem;
	}
	for (i = 0; ref->makers != NULL && ref->makers[i] != NULL &&
	    ref->makers[i + 1] != NULL; i += 2) {
		k = reg__pool_strdup(&im->refpool, ref->makers[i]);
		v = reg__pool_strdup(&im->refpool, ref->makers[i + 1]);
		if (k == NULL || v == NULL || cm_strmap_put(&im->maker_alias, k, v) != 0 ||
		    cm_strmap_put(&im->maker_id, v, v) != 0)
			goto nomem;
	}
	for (;;) {
		if ((r = reg__imp_batch_fill(im)) != 0)
			goto out;
		if (im->nrows == 0)
			break;
		for (i = 0; i < im->nrows; i++) {
			rw = &im->rows[i];
			if (rw->state == ROW_NEW) {
				if (im->format == FMT_WEAPONS)
					reg__imp_weapon_check(im, rw);
				else
					reg__imp_event_check(im, rw);
				if (im->pool.failed)
					goto nomem;
			}
			if (rw->state == ROW_NEW) {
				im->st.imported++;
				if (good != NULL)
					good(rw->line, rw->last, opts != NULL ?
					    opts->arg : NULL);
			} else {
				report_reject(im, rw);
			}
			im->st.rows++;
		}
	}
	r = 0;
	goto out;
nomem:
	r = reg__fail(err, REG_ENOMEM, "out of memory");
out:
	if (stats != NULL && im != NULL)
		*stats = im->st;
	imp_free(im);
	return r;
}
