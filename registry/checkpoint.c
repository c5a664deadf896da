/*
 * Checkpoints of the audit log: the latest one as stored, and a new one
 * signed only over a log that holds.  Before a tree is signed, the leaves
 * added since the latest checkpoint, their records and a sample of the
 * older leaves are checked (verify.c); the signed note is a C2SP
 * tlog-checkpoint (note.c) stored in log_checkpoint
 * (migrations/0002_audit_log.sql).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "log_int.h"

/* Checkpoints are made one at a time: a transaction-scoped advisory lock
 * (any constant will do). */
#define CKPT_LOCK_SQL "SELECT pg_advisory_xact_lock(7238294713)"
/* Reads the latest checkpoint row: seq, size, root, note. */
static int
latest_row(reg_ctx *ctx, PGresult **out, reg_error *err)
{
	PGresult *res;

	*out = NULL;
	res = reg__exec(ctx,
	    "SELECT seq, size, root, note FROM log_checkpoint ORDER BY seq DESC LIMIT 1",
	    0, NULL, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int r = reg__fail_pg(err, ctx->conn, res, "cannot read checkpoints");

		PQclear(res);
		return r;
	}
	*out = res;
	return 0;
}

static int
give_note(PGresult *res, char **note, struct reg_checkpoint *cp, reg_error *err)
{
	const char *text = PQgetvalue(res, 0, 3);
	size_t len = (size_t)PQgetlength(res, 0, 3);

	if (cp != NULL) {
		const char *body_end = strstr(text, "\n\n");

		if (body_end == NULL)
			return reg__fail(err, REG_EVERIFY, "a stored checkpoint is malformed");
		if (reg_checkpoint_parse(text, (size_t)(body_end - text) + 1, cp, err) != 0)
			return REG_EVERIFY;
	}
	if (note != NULL) {
		*note = malloc(len + 1);
		if (*note == NULL)
			return reg__fail(err, REG_ENOMEM, "out of memory");
		memcpy(*note, text, len);
		(*note)[len] = '\0';
	}
	return 0;
}

int
reg_log_latest_checkpoint(reg_ctx *ctx, char **note, struct reg_checkpoint *cp,
    reg_error *err)
{
	PGresult *res = NULL;
	int r;

	if (note != NULL)
		*note = NULL;
	if ((r = latest_row(ctx, &res, err)) != 0)
		return r;
	if (PQntuples(res) == 0)
		r = reg__fail(err, REG_ENOTFOUND,
		    "the log has no checkpoint yet; run 'regctl log checkpoint'");
	else
		r = give_note(res, note, cp, err);
	PQclear(res);
	return r;
}

static int
insert_checkpoint(reg_ctx *ctx, const reg_key *key, uint64_t size,
    const struct reg_hash *root, reg_error *err)
{
	struct reg_checkpoint cp;
	PGresult *res = NULL;
	char *body = NULL, *note = NULL, sz[24];
	const char *params[3];
	int lens[3], fmts[3] = { 0, 1, 0 };
	int r;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", reg_key_name(key));
	cp.size = size;
	cp.root = *root;
	if ((r = reg_checkpoint_format(&cp, &body, err)) != 0 ||
	    (r = reg_note_sign(key, body, &note, err)) != 0)
		goto out;
	snprintf(sz, sizeof(sz), "%" PRIu64, size);
	params[0] = sz;
	params[1] = (const char *)root->b;
	params[2] = note;
	lens[0] = 0;
	lens[1] = 32;
	lens[2] = 0;
	res = reg__exec(ctx,
	    "INSERT INTO log_checkpoint (size, root, note) VALUES ($1, $2, $3)",
	    3, params, lens, fmts, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = reg__fail_pg(err, ctx->conn, res, "cannot store the checkpoint");
out:
	PQclear(res);
	reg_free(body);
	reg_free(note);
	return r;
}

int
reg_log_checkpoint(reg_ctx *ctx, const reg_key *key, char **note,
    struct reg_checkpoint *cp, reg_error *err)
{
	return reg_log_checkpoint_checked(ctx, key, REG_LOG_CHECK_SAMPLE_DEFAULT,
	    note, cp, err);
}

int
reg_log_checkpoint_checked(reg_ctx *ctx, const reg_key *key, uint64_t sample,
    char **note, struct reg_checkpoint *cp, reg_error *err)
{
	PGresult *res = NULL;
	struct reg_hash root, last_root, new_root;
	uint64_t size, last_size = 0;
	int r, own_tx = 0;

	if (note != NULL)
		*note = NULL;
	if (reg__in_tx(ctx))
		return reg__fail(err, REG_EINVAL,
		    "a checkpoint is made in a transaction of its own; commit first");
	if ((r = reg__exec_cmd(ctx, "BEGIN", err)) != 0)
		return r;
	own_tx = 1;
	if ((r = reg__exec_cmd(ctx, CKPT_LOCK_SQL, err)) != 0 ||
	    (r = latest_row(ctx, &res, err)) != 0 ||
	    (r = reg_log_size(ctx, &size, err)) != 0)
		goto out;
	if (PQntuples(res) == 1) {
		last_size = REG__BE64(PQgetvalue(res, 0, 1));
		if (last_size > size) {
			r = reg__fail(err, REG_EVERIFY,
			    "the latest checkpoint has %" PRIu64 " leaves but the log only %"
			    PRIu64 ": leaves were removed; run 'regctl log verify'",
			    last_size, size);
			goto out;
		}
		/* Never sign a tree that does not extend the last one signed. */
		if ((r = reg_log_root(ctx, last_size, &root, err)) != 0)
			goto out;
		if (PQgetlength(res, 0, 2) != 32 ||
		    memcmp(root.b, PQgetvalue(res, 0, 2), 32) != 0) {
			r = reg__fail(err, REG_EVERIFY,
			    "the stored tree no longer has the root of checkpoint %" PRIu64
			    " (size %" PRIu64 "): the log was altered; run 'regctl log verify'",
			    REG__BE64(PQgetvalue(res, 0, 0)), last_size);
			goto out;
		}
		if (last_size == size)
			goto done;
		last_root = root;
	} else {
		struct reg__frontier f;

		reg__frontier_init(&f);
		reg__frontier_root(&f, &last_root);
	}
	/*
	 * Never sign over edited leaves (issue 17): the new leaves and their
	 * records, and a sample of the old ones, must hold; the root signed
	 * is the one recomputed from the new leaves, which the stored tree
	 * must agree with.
	 */
	if ((r = reg__verify_new_leaves(ctx, last_size, &last_root, size,
	    &new_root, err)) != 0 ||
	    (r = reg__verify_sample(ctx, last_size, &last_root, sample, err)) != 0)
		goto refused;
	if ((r = reg_log_root(ctx, size, &root, err)) != 0)
		goto out;
	if (memcmp(root.b, new_root.b, 32) != 0) {
		r = reg__fail(err, REG_EVERIFY, "the stored tree's root of %" PRIu64
		    " leaves is not the one its leaves give: the log was altered",
		    size);
		goto refused;
	}
	if ((r = insert_checkpoint(ctx, key, size, &root, err)) != 0)
		goto out;
	PQclear(res);
	if ((r = latest_row(ctx, &res, err)) != 0)
		goto out;
done:
	if ((r = give_note(res, note, cp, err)) != 0)
		goto out;
	own_tx = 0;
	r = reg__exec_cmd(ctx, "COMMIT", err);
	goto out;
refused:
	if (r == REG_EVERIFY && err != NULL) {
		size_t l = strlen(err->message);

		snprintf(err->message + l, sizeof(err->message) - l, "; no "
		    "checkpoint was signed");
	}
out:
	if (own_tx)
		(void)reg__exec_cmd(ctx, "ROLLBACK", NULL);
	if (r != 0 && note != NULL) {
		free(*note);
		*note = NULL;
	}
	PQclear(res);
	return r;
}

