/*
 * Verification of the audit log, and the checks run before a checkpoint is
 * signed.
 *
 * reg_log_verify() checks the whole log in one snapshot: every
 * checkpoint's signature, its row and its place among the others, every
 * cosigned checkpoint still stored, every leaf against its stored hashes
 * and the tree they build, every checkpoint's root against that tree, every
 * record row against the leaf that sealed it (record.c) and the read model
 * against the records (verify_readmodel.c).  reg_log_verify_served()
 * checks that a checkpoint a daemon served is stored.  Before a checkpoint
 * is signed (checkpoint.c), reg__verify_new_leaves() and
 * reg__verify_sample() check the leaves since the last one and a sample of
 * the older ones.  Each names the first entry that does not hold.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/rand.h>

#include "log_int.h"
#include "record_int.h"

/* ------------------------------------------------- before signing */

/* Leaves sampled per round trip (each needs a proof plan). */
#define SAMPLE_CHUNK 256
/* New leaves read per query before a checkpoint is signed. */
#define CHECK_PAGE 10000

/* See log_int.h. */
int
reg__verify_new_leaves(reg_ctx *ctx, uint64_t from,
    const struct reg_hash *from_root, uint64_t size, struct reg_hash *root,
    reg_error *err)
{
	struct reg__frontier f;
	struct reg_hash computed[REG_MERKLE_MAX_LEVEL], h;
	struct reg__recseen seen;
	PGresult *res;
	char a[24], b[24];
	const char *params[2] = { a, b };
	int64_t bad = -1;
	uint64_t want = from;
	int r = 0, c, type;

	memset(&seen, 0, sizeof(seen));
	reg__frontier_init(&f);
	if (from > 0) {
		f.count = reg__merkle_decompose(0, from, f.st);
		if (f.count < 0)
			return reg__fail(err, REG_EINTERNAL, "cannot decompose a tree "
			    "of %" PRIu64 " leaves", from);
		f.size = from;
		if ((r = reg__log_subtrees(ctx, f.st, (size_t)f.count, f.h, err)) != 0)
			return r;
	}
	reg__frontier_root(&f, &h);
	if (memcmp(h.b, from_root->b, 32) != 0)
		return reg__fail(err, REG_EVERIFY, "the stored tree of %" PRIu64
		    " leaves no longer has the latest checkpoint's root: the log was "
		    "altered; run 'regctl log verify'", from);
	/* Pages of rows by index: one result each, not one per row. */
	while (r == 0 && want < size) {
		uint64_t end = size - want < CHECK_PAGE ? size : want + CHECK_PAGE;
		int row, rows;

		snprintf(a, sizeof(a), "%" PRIu64, want);
		snprintf(b, sizeof(b), "%" PRIu64, end);
		res = reg__exec(ctx, "SELECT idx, leaf, nodes FROM log_entry "
		    "WHERE idx >= $1 AND idx < $2 ORDER BY idx", 2, params, NULL,
		    NULL, 1);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			r = reg__fail_pg(err, ctx->conn, res, "cannot read the log");
			PQclear(res);
			break;
		}
		rows = PQntuples(res);
		for (row = 0; row < rows && r == 0; row++) {
			uint64_t idx = REG__BE64(PQgetvalue(res, row, 0));
			const char *leaf = PQgetvalue(res, row, 1);
			size_t len = (size_t)PQgetlength(res, row, 1);
			const char *nodes = PQgetvalue(res, row, 2);
			size_t nlen = (size_t)PQgetlength(res, row, 2);

			if (idx != want) {
				r = reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 " is "
				    "missing from the log", want);
				break;
			}
			reg_merkle_leaf_hash(leaf, len, &h);
			c = reg__frontier_append(&f, &h, computed);
			if (c < 0) {
				r = reg__fail(err, c, "cannot extend the log's tree");
				break;
			}
			if (nlen != 32u * (size_t)c ||
			    memcmp(computed, nodes, nlen) != 0) {
				r = reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 ": its "
				    "bytes do not have its stored hashes: the log was "
				    "altered", idx);
				break;
			}
			type = reg__record_classify((const uint8_t *)leaf, len);
			if (type >= 0 && reg__recseen_add(&seen, type, idx) != 0)
				r = reg__fail(err, REG_ENOMEM, "out of memory");
			want = idx + 1;
		}
		PQclear(res);
		if (r == 0 && want != end)
			r = reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 " is missing "
			    "from the log", want);
	}
	if (r == 0 && want != size)
		r = reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 " is missing from "
		    "the log", want);
	if (r == 0)
		r = reg__records_check(ctx, &seen, &bad, err);
	if (r == 0)
		reg__frontier_root(&f, root);
	reg__recseen_free(&seen);
	return r;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * n leaves of the tree of size leaves at idx[] (ascending, distinct): each
 * leaf's bytes hashed and proven against root with the stored tree, and
 * the record row behind each record leaf re-encoded to the leaf.
 */
static int
check_old_leaves(reg_ctx *ctx, const uint64_t *idx, size_t n, uint64_t size,
    const struct reg_hash *root, reg_error *err)
{
	struct reg_proof **pr = NULL;
	struct reg__recseen seen;
	struct reg_hash h;
	PGresult *res = NULL;
	char *arr = NULL;
	const char *params[1];
	size_t i, len = 0, cap = n * 21 + 3;
	int64_t bad = -1;
	int r = REG_ENOMEM, row, type;

	memset(&seen, 0, sizeof(seen));
	if ((pr = calloc(n, sizeof(*pr))) == NULL || (arr = malloc(cap)) == NULL)
		goto out;
	arr[len++] = '{';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(arr + len, cap - len, "%s%" PRIu64,
		    i ? "," : "", idx[i]);
	arr[len++] = '}';
	arr[len] = '\0';
	params[0] = arr;
	res = reg__exec(ctx, "SELECT idx, leaf FROM log_entry WHERE idx = "
	    "ANY($1::bigint[]) ORDER BY idx", 1, params, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read the log");
		goto out;
	}
	if ((r = reg_log_prove_inclusions(ctx, idx, n, size, pr, err)) != 0)
		goto out;
	for (i = 0, row = 0; i < n; i++, row++) {
		if (row >= PQntuples(res) || PQgetlength(res, row, 0) != 8 ||
		    REG__BE64(PQgetvalue(res, row, 0)) != idx[i]) {
			r = reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 " is missing "
			    "from the log", idx[i]);
			goto out;
		}
		reg_merkle_leaf_hash(PQgetvalue(res, row, 1),
		    (size_t)PQgetlength(res, row, 1), &h);
		if (reg_merkle_verify_inclusion(idx[i], size, &h, pr[i]->hashes,
		    pr[i]->n, root, NULL) != 0) {
			r = reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 ": its bytes "
			    "are not what the latest checkpoint (size %" PRIu64 ") "
			    "sealed: the log was altered", idx[i], size);
			goto out;
		}
		type = reg__record_classify((const uint8_t *)PQgetvalue(res, row,
		    1), (size_t)PQgetlength(res, row, 1));
		if (type >= 0 && reg__recseen_add(&seen, type, idx[i]) != 0) {
			r = reg__fail(err, REG_ENOMEM, "out of memory");
			goto out;
		}
	}
	r = reg__records_check(ctx, &seen, &bad, err);
out:
	if (r == REG_ENOMEM)
		r = reg__fail(err, REG_ENOMEM, "out of memory");
	if (pr != NULL)
		for (i = 0; i < n; i++)
			free(pr[i]);
	free(pr);
	free(arr);
	PQclear(res);
	reg__recseen_free(&seen);
	return r;
}

/*
 * See log_int.h: sample leaves of the tree of size leaves, drawn at random
 * (all of them when sample >= size), checked by check_old_leaves() against
 * root.
 */
int
reg__verify_sample(reg_ctx *ctx, uint64_t size, const struct reg_hash *root,
    uint64_t sample, reg_error *err)
{
	uint64_t idx[SAMPLE_CHUNK], rnd[SAMPLE_CHUNK];
	uint64_t done = 0, k, i, n;
	int r;

	if (size == 0 || sample == 0)
		return 0;
	if (sample > size)
		sample = size;
	while (done < sample) {
		k = sample - done < SAMPLE_CHUNK ? sample - done : SAMPLE_CHUNK;
		if (sample == size) {
			for (i = 0; i < k; i++)
				idx[i] = done + i;
		} else {
			if (RAND_bytes((unsigned char *)rnd, (int)(k *
			    sizeof(rnd[0]))) != 1)
				return reg__fail(err, REG_ECRYPTO, "cannot draw "
				    "leaves to check");
			for (i = 0; i < k; i++)
				idx[i] = rnd[i] % size;
			qsort(idx, (size_t)k, sizeof(idx[0]), cmp_u64);
		}
		/* Distinct, for the proofs' single query. */
		for (i = 0, n = 0; i < k; i++)
			if (n == 0 || idx[n - 1] != idx[i])
				idx[n++] = idx[i];
		if ((r = check_old_leaves(ctx, idx, (size_t)n, size, root,
		    err)) != 0)
			return r;
		done += k;
	}
	return 0;
}

/* ---------------------------------------------------------------- verify */

struct ckpt {
	uint64_t seq;
	uint64_t size;
	struct reg_hash root;
};

static int
cmp_ckpt_size(const void *a, const void *b)
{
	const struct ckpt *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Checks every checkpoint's note: it parses, is signed by key, names key's
 * origin, matches its row, and no checkpoint is smaller than one before it.
 */
static int
verify_checkpoints(reg_ctx *ctx, const reg_key *key, struct ckpt **out,
    size_t *nout, struct reg_log_report *rep, reg_error *err)
{
	PGresult *res;
	struct ckpt *c = NULL;
	struct reg_checkpoint cp;
	reg_error e2 = REG_ERROR_INIT;
	char *text = NULL;
	uint64_t prev = 0;
	int i, n, r = 0;

	*out = NULL;
	*nout = 0;
	res = reg__exec(ctx,
	    "SELECT seq, size, root, note FROM log_checkpoint ORDER BY seq",
	    0, NULL, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read checkpoints");
		goto out;
	}
	n = PQntuples(res);
	c = calloc(n ? (size_t)n : 1, sizeof(*c));
	if (c == NULL) {
		r = reg__fail(err, REG_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *note = PQgetvalue(res, i, 3);

		c[i].seq = REG__BE64(PQgetvalue(res, i, 0));
		c[i].size = REG__BE64(PQgetvalue(res, i, 1));
		if (PQgetlength(res, i, 2) == 32)
			memcpy(c[i].root.b, PQgetvalue(res, i, 2), 32);
		reg_error_clear(&e2);
		free(text);
		text = NULL;
		if (reg_note_verify(key, note, (size_t)PQgetlength(res, i, 3), &text,
		    &e2) != 0) {
			r = reg__fail(err, REG_EVERIFY,
			    "checkpoint %" PRIu64 " (size %" PRIu64 ") is not signed by %s: %s",
			    c[i].seq, c[i].size, reg_key_name(key), e2.message);
			goto bad;
		}
		if (reg_checkpoint_parse(text, strlen(text), &cp, &e2) != 0) {
			r = reg__fail(err, REG_EVERIFY, "checkpoint %" PRIu64 " is malformed: %s",
			    c[i].seq, e2.message);
			goto bad;
		}
		if (strcmp(cp.origin, reg_key_name(key)) != 0 || cp.size != c[i].size ||
		    PQgetlength(res, i, 2) != 32 ||
		    memcmp(cp.root.b, c[i].root.b, 32) != 0) {
			r = reg__fail(err, REG_EVERIFY,
			    "checkpoint %" PRIu64 ": its signed note (origin %s, size %" PRIu64
			    ") does not match its row (size %" PRIu64 ")", c[i].seq, cp.origin,
			    cp.size, c[i].size);
			goto bad;
		}
		if (c[i].size < prev) {
			r = reg__fail(err, REG_EVERIFY,
			    "checkpoint %" PRIu64 " has size %" PRIu64 ", smaller than the "
			    "checkpoint before it (%" PRIu64 ")", c[i].seq, c[i].size, prev);
			goto bad;
		}
		prev = c[i].size;
		rep->checkpoints++;
	}
	qsort(c, (size_t)n, sizeof(*c), cmp_ckpt_size);
	*out = c;
	*nout = (size_t)n;
	c = NULL;
	goto out;
bad:
	rep->bad_checkpoint = (int64_t)c[i].seq;
out:
	free(text);
	free(c);
	PQclear(res);
	return r;
}

/*
 * Every checkpoint a witness cosigned (log_cosignature, when the schema
 * has it) must still be stored: a cosignature of a checkpoint with no row
 * means the row was removed, which the witness's word proves.
 */
static int
verify_cosigned(reg_ctx *ctx, struct reg_log_report *rep, reg_error *err)
{
	PGresult *res;
	int r = 0;

	res = reg__exec(ctx, "SELECT to_regclass('log_cosignature') IS NOT NULL",
	    0, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read cosignatures");
		PQclear(res);
		return r;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		return 0;
	}
	PQclear(res);
	res = reg__exec(ctx, "SELECT c.checkpoint::text, c.witness, c.seq::text, "
	    REG__SQL_TS("c.signed_at") " FROM log_cosignature c WHERE NOT EXISTS "
	    "(SELECT 1 FROM log_checkpoint k WHERE k.seq = c.checkpoint) "
	    "ORDER BY c.checkpoint DESC, c.seq LIMIT 1", 0, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read cosignatures");
	} else if (PQntuples(res) == 1) {
		rep->bad_checkpoint = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		r = reg__fail(err, REG_EVERIFY, "checkpoint %s is missing from "
		    "log_checkpoint, but witness %s cosigned it at %s "
		    "(log_cosignature %s): a checkpoint was removed",
		    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		    PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	return r;
}

int
reg_log_verify_served(reg_ctx *ctx, const reg_key *key, const char *note,
    int64_t *seq, reg_error *err)
{
	struct reg_checkpoint cp;
	PGresult *res;
	char *text = NULL, sz[24], *root64 = NULL;
	const char *params[2];
	int lens[2] = { 0, 32 }, fmts[2] = { 0, 1 };
	int r;

	if (seq != NULL)
		*seq = -1;
	if (note == NULL)
		return reg__fail(err, REG_EINVAL, "no served checkpoint to check");
	if ((r = reg_note_verify(key, note, strlen(note), &text, err)) != 0 ||
	    (r = reg_checkpoint_parse(text, strlen(text), &cp, err)) != 0)
		goto out;
	if (strcmp(cp.origin, reg_key_name(key)) != 0) {
		r = reg__fail(err, REG_EVERIFY, "the served checkpoint's origin %s "
		    "is not the log's, %s", cp.origin, reg_key_name(key));
		goto out;
	}
	snprintf(sz, sizeof(sz), "%" PRIu64, cp.size);
	params[0] = sz;
	params[1] = (const char *)cp.root.b;
	res = reg__exec(ctx, "SELECT (SELECT min(seq) FROM log_checkpoint WHERE "
	    "size = $1::bigint AND root = $2::bytea)::text, "
	    "(SELECT max(size) FROM log_checkpoint)::text", 2, params, lens, fmts,
	    0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read checkpoints");
		PQclear(res);
		goto out;
	}
	if (PQgetisnull(res, 0, 0)) {
		if (reg_base64_encode(cp.root.b, 32, &root64, NULL) != 0)
			root64 = NULL;
		r = reg__fail(err, REG_EVERIFY, "the checkpoint of size %" PRIu64
		    " (root %s) that the daemon served is missing from "
		    "log_checkpoint, whose newest has size %s: a checkpoint was "
		    "removed", cp.size, root64 != NULL ? root64 : "?",
		    PQgetisnull(res, 0, 1) ? "none" : PQgetvalue(res, 0, 1));
	} else if (seq != NULL) {
		*seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	}
	PQclear(res);
out:
	reg_free(root64);
	reg_free(text);
	return r;
}

/* The walk of reg_log_verify() through the log's entries, in index order. */
struct walk {
	struct reg__frontier f;
	const struct ckpt *ck;	/* by size */
	size_t nck, ci;		/* ck[ci] is the next checkpoint to meet */
	struct reg__recseen seen;
	uint64_t want;		/* the next index: the leaves checked so far */
	struct reg_log_report *rep;
};

/* The checkpoints of the tree of the w->want leaves walked so far against
 * that tree's root. */
static int
walk_checkpoints(struct walk *w, reg_error *err)
{
	struct reg_hash root;

	while (w->ci < w->nck && w->ck[w->ci].size == w->want) {
		const struct ckpt *c = &w->ck[w->ci];

		reg__frontier_root(&w->f, &root);
		if (memcmp(root.b, c->root.b, 32) != 0) {
			w->rep->bad_checkpoint = (int64_t)c->seq;
			if (w->want == 0)
				return reg__fail(err, REG_EVERIFY, "checkpoint %"
				    PRIu64 " of the empty tree has a wrong root",
				    c->seq);
			return reg__fail(err, REG_EVERIFY, "checkpoint %" PRIu64
			    " (size %" PRIu64 ") does not match the stored tree: "
			    "a fork or an altered log", c->seq, w->want);
		}
		w->ci++;
	}
	return 0;
}

/*
 * One entry (a single-row result: idx, leaf, nodes): the next index, its
 * bytes against its stored hash, its stored subtree hashes against those
 * the tree computes, then the checkpoints of the tree it completes.
 */
static int
walk_entry(struct walk *w, const PGresult *res, reg_error *err)
{
	struct reg_hash computed[REG_MERKLE_MAX_LEVEL], h;
	uint64_t idx = REG__BE64(PQgetvalue(res, 0, 0));
	const char *nodes = PQgetvalue(res, 0, 2);
	size_t nlen = (size_t)PQgetlength(res, 0, 2);
	int c, k, type;

	if (idx != w->want) {
		w->rep->bad_index = (int64_t)w->want;
		return reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 " is missing "
		    "(the next stored leaf is %" PRIu64 ")", w->want, idx);
	}
	reg_merkle_leaf_hash(PQgetvalue(res, 0, 1),
	    (size_t)PQgetlength(res, 0, 1), &h);
	if (nlen < 32 || memcmp(h.b, nodes, 32) != 0) {
		w->rep->bad_index = (int64_t)idx;
		return reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 ": its bytes "
		    "do not have its stored hash", idx);
	}
	type = reg__record_classify((const uint8_t *)PQgetvalue(res, 0, 1),
	    (size_t)PQgetlength(res, 0, 1));
	if (type >= 0 && reg__recseen_add(&w->seen, type, idx) != 0)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	c = reg__frontier_append(&w->f, &h, computed);
	if (c < 0)
		return reg__fail(err, c, "cannot extend the log's tree");
	if (nlen != 32u * (size_t)c) {
		w->rep->bad_index = (int64_t)idx;
		return reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 ": %zu subtree "
		    "hashes stored where %d belong", idx, nlen / 32, c);
	}
	for (k = 1; k < c; k++) {
		if (memcmp(computed[k].b, nodes + 32 * k, 32) != 0) {
			uint64_t span = (uint64_t)1 << k;

			w->rep->bad_index = (int64_t)(idx + 1 - span);
			return reg__fail(err, REG_EVERIFY, "leaves %" PRIu64 "..%"
			    PRIu64 ": the stored hash of their subtree (level %d, "
			    "kept with leaf %" PRIu64 ") does not match them",
			    idx + 1 - span, idx, k, idx);
		}
	}
	w->want = idx + 1;
	w->rep->entries = w->want;
	return walk_checkpoints(w, err);
}

/* Every entry of the log, read one row at a time; the first failure
 * stands, the rest of the rows are read and dropped. */
static int
walk_log(reg_ctx *ctx, struct walk *w, reg_error *err)
{
	PGresult *res;
	int r = 0, st;

	if (PQsendQueryParams(ctx->conn,
	    "SELECT idx, leaf, nodes FROM log_entry ORDER BY idx",
	    0, NULL, NULL, NULL, NULL, 1) != 1)
		return reg__fail_pg(err, ctx->conn, NULL, "cannot read the log");
	PQsetSingleRowMode(ctx->conn);
	while ((res = PQgetResult(ctx->conn)) != NULL) {
		st = PQresultStatus(res);
		if (st == PGRES_SINGLE_TUPLE && r == 0)
			r = walk_entry(w, res, err);
		else if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE && r == 0)
			r = reg__fail_pg(err, ctx->conn, res, "cannot read the log");
		PQclear(res);
	}
	if (r == 0 && w->ci < w->nck) {
		w->rep->bad_checkpoint = (int64_t)w->ck[w->ci].seq;
		w->rep->bad_index = (int64_t)w->want;
		r = reg__fail(err, REG_EVERIFY, "checkpoint %" PRIu64 " has size %"
		    PRIu64 " but the log ends at %" PRIu64 " leaves: leaves were "
		    "removed", w->ck[w->ci].seq, w->ck[w->ci].size, w->want);
	}
	return r;
}

int
reg_log_verify(reg_ctx *ctx, const reg_key *key, struct reg_log_report *rep,
    reg_error *err)
{
	struct reg_log_report dummy;
	struct ckpt *ck = NULL;
	struct walk w;
	double t0 = now_seconds();
	int r;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	rep->bad_index = -1;
	rep->bad_checkpoint = -1;
	memset(&w, 0, sizeof(w));
	w.rep = rep;
	if (reg__in_tx(ctx))
		return reg__fail(err, REG_EINVAL,
		    "the log is verified in a transaction of its own; commit first");
	/* One snapshot for the whole check. */
	if ((r = reg__exec_cmd(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err)) != 0)
		return r;
	if ((r = verify_checkpoints(ctx, key, &ck, &w.nck, rep, err)) != 0 ||
	    (r = verify_cosigned(ctx, rep, err)) != 0)
		goto out;
	w.ck = ck;
	reg__frontier_init(&w.f);
	/* Checkpoints of the empty tree, then the entries. */
	if ((r = walk_checkpoints(&w, err)) != 0 ||
	    (r = walk_log(ctx, &w, err)) != 0)
		goto out;
	/* Every record row against the leaf that sealed it. */
	if ((r = reg__records_verify(ctx, &w.seen, &rep->bad_index, err)) != 0)
		goto out;
	/* The read model that traces are answered from, against the records
	 * just verified. */
	r = reg__readmodel_verify(ctx, &rep->bad_index, err);
out:
	(void)reg__exec_cmd(ctx, "ROLLBACK", NULL);
	reg__recseen_free(&w.seen);
	free(ck);
	rep->seconds = now_seconds() - t0;
	return r;
}
