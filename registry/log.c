/*
 * The audit log in PostgreSQL: appending leaves inside the caller's
 * transaction, roots, proofs, checkpoints and verification of the whole
 * log.  The tree arithmetic lives in merkle.c; this file moves hashes
 * between it and the tables of migrations/0002_audit_log.sql.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/hex.h"
#include "merkle_int.h"
#include "record_int.h"
#include "registry_int.h"

/*
 * The committed size and, for each bit b set in it, the hash kept at level
 * b in row ((size >> b) << b) - 1: the frontier.  Text results, hashes in
 * hex.  Prepared (reg__exec_locked()): planning it took longer than running
 * it.
 */
#define FRONTIER_SQL \
	"WITH s AS (SELECT max(idx) + 1 AS n FROM log_entry) " \
	"SELECT s.n, e.idx, encode(substring(e.nodes FROM 32 * b + 1 FOR 32), 'hex') " \
	"FROM s CROSS JOIN generate_series(0, 62) AS b " \
	"LEFT JOIN log_entry e ON e.idx = ((s.n >> b) << b) - 1 " \
	"WHERE s.n IS NOT NULL AND (s.n >> b) & 1 = 1"

/* Transaction-scoped advisory locks (any constants will do). */
#define CKPT_LOCK_SQL "SELECT pg_advisory_xact_lock(7238294713)"
#define APPEND_BATCH_MAX 100000

static uint64_t
be64(const char *p)
{
	const uint8_t *u = (const uint8_t *)p;
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | u[i];
	return v;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* Decodes 64 hex digits (either case); -1 for anything else. */
static int
unhex32(const char *hex, struct reg_hash *h)
{
	if (strlen(hex) != 64)
		return -1;
	return cm_hex_decode(hex, 64, h->b, CM_HEX_ANYCASE);
}

/* The row that stores complete subtree st, and the offset of its hash. */
static uint64_t
subtree_row(const struct reg__subtree *st)
{
	return ((st->index + 1) << st->level) - 1;
}

static int
query_size(reg_ctx *ctx, uint64_t *size, reg_error *err)
{
	PGresult *res;
	int r = 0;

	res = reg__exec(ctx,
	    "SELECT coalesce(max(idx) + 1, 0)::bigint FROM log_entry",
	    0, NULL, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    PQgetlength(res, 0, 0) != 8)
		r = reg__fail_pg(err, ctx->conn, res, "cannot read the log's size");
	else
		*size = be64(PQgetvalue(res, 0, 0));
	PQclear(res);
	return r;
}

int
reg_log_size(reg_ctx *ctx, uint64_t *size, reg_error *err)
{
	*size = 0;
	return query_size(ctx, size, err);
}

/*
 * Fetches the hashes of n complete subtrees in one query.  A subtree whose
 * row is missing or too short means the stored tree is damaged:
 * REG_EVERIFY.
 */
static int
fetch_subtrees(reg_ctx *ctx, const struct reg__subtree *st, size_t n,
    struct reg_hash *out, reg_error *err)
{
	PGresult *res = NULL;
	char *arr = NULL;
	const char *params[1];
	size_t i, len = 0, cap;
	int r = REG_EINTERNAL, j, rows;

	if (n == 0)
		return 0;
	cap = n * 22 + 3;
	arr = malloc(cap);
	if (arr == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	arr[len++] = '{';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(arr + len, cap - len, "%s%" PRIu64,
		    i ? "," : "", subtree_row(&st[i]));
	arr[len++] = '}';
	arr[len] = '\0';
	params[0] = arr;
	res = reg__exec(ctx,
	    "SELECT idx, nodes FROM log_entry WHERE idx = ANY($1::bigint[])",
	    1, params, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read the log's tree");
		goto out;
	}
	rows = PQntuples(res);
	for (i = 0; i < n; i++) {
		uint64_t want = subtree_row(&st[i]);
		int found = 0;

		for (j = 0; j < rows; j++) {
			if (PQgetlength(res, j, 0) != 8 || be64(PQgetvalue(res, j, 0)) != want)
				continue;
			if ((size_t)PQgetlength(res, j, 1) < 32u * (st[i].level + 1u)) {
				r = reg__fail(err, REG_EVERIFY,
				    "leaf %" PRIu64 " lacks the hash of its level-%u subtree: "
				    "the stored log is damaged; run 'regctl log verify'",
				    want, st[i].level);
				goto out;
			}
			memcpy(out[i].b, PQgetvalue(res, j, 1) + 32 * st[i].level, 32);
			found = 1;
			break;
		}
		if (!found) {
			r = reg__fail(err, REG_EVERIFY,
			    "leaf %" PRIu64 " is missing from the log: the stored log is "
			    "damaged; run 'regctl log verify'", want);
			goto out;
		}
	}
	r = 0;
out:
	PQclear(res);
	free(arr);
	return r;
}

/*
 * The frontier from FRONTIER_SQL's result res (PGRES_TUPLES_OK).  The
 * frontier of size n is kept in the rows ((n >> b) << b) - 1 for each bit b
 * set in n.
 */
static int
frontier_read(PGresult *res, struct reg__frontier *f, reg_error *err)
{
	uint64_t size;
	int rows, i, j;

	reg__frontier_init(f);
	rows = PQntuples(res);
	if (rows == 0)
		return 0;	/* an empty log */
	size = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	f->count = reg__merkle_decompose(0, size, f->st);
	if (f->count < 0)
		return reg__fail(err, REG_EINTERNAL, "cannot decompose a tree of %"
		    PRIu64 " leaves", size);
	f->size = size;
	for (i = 0; i < f->count; i++) {
		uint64_t want = subtree_row(&f->st[i]);

		for (j = 0; j < rows; j++)
			if (!PQgetisnull(res, j, 1) &&
			    strtoull(PQgetvalue(res, j, 1), NULL, 10) == want)
				break;
		if (j == rows)
			return reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 " is missing "
			    "from the log: the stored log is damaged; run 'regctl log "
			    "verify'", want);
		if (unhex32(PQgetvalue(res, j, 2), &f->h[i]) != 0)
			return reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 " lacks the hash "
			    "of its level-%u subtree: the stored log is damaged; run "
			    "'regctl log verify'", want, f->st[i].level);
	}
	return 0;
}

void
reg__frontier_forget(reg_ctx *ctx)
{
	ctx->frontier_kept = 0;
}

/*
 * Takes the append lock (opening a transaction first when begin is set)
 * and reads the frontier of the committed log, in one round trip: in READ
 * COMMITTED the query after the lock sees every leaf committed before the
 * lock was granted.  In a transaction whose frontier reg__tx_enter_find()
 * kept (under the lock already), that frontier, once.
 */
static int
lock_and_read_frontier(reg_ctx *ctx, int begin, struct reg__frontier *f,
    reg_error *err)
{
	const struct reg__query q = { FRONTIER_SQL, 0, NULL };
	PGresult *res = NULL;
	int r;

	if (!begin && ctx->frontier_kept && reg__in_tx(ctx)) {
		*f = *ctx->frontier;
		ctx->frontier_kept = 0;
		return 0;
	}
	if (reg__exec_locked(ctx, begin, &q, 1, &res) != 0)
		return reg__fail_pg(err, ctx->conn, NULL, "cannot lock the log for "
		    "appending");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__fail_pg(err, ctx->conn, res, "cannot lock the log for appending");
	else
		r = frontier_read(res, f, err);
	PQclear(res);
	return r;
}

int
reg__tx_enter_find(reg_ctx *ctx, struct reg__tx *tx, const char *what,
    const char *sql, int n, const char *const *values, PGresult **found,
    reg_error *err)
{
	const struct reg__query q[2] = { { sql, n, values }, { FRONTIER_SQL, 0, NULL } };
	PGresult *res[2];
	int r;

	*found = NULL;
	tx->own = !reg__in_tx(ctx);
	if (ctx->frontier == NULL &&
	    (ctx->frontier = malloc(sizeof(*ctx->frontier))) == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	if (reg__exec_locked(ctx, tx->own, q, 2, res) != 0)
		return reg__fail_pg(err, ctx->conn, NULL, "cannot lock the log");
	if (PQresultStatus(res[0]) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res[0], "cannot look up %s", what);
	} else if (PQresultStatus(res[1]) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res[1], "cannot lock the log for "
		    "appending");
	} else if ((r = frontier_read(res[1], ctx->frontier, err)) == 0) {
		ctx->frontier_kept = 1;
		*found = res[0];
		res[0] = NULL;
	}
	PQclear(res[0]);
	PQclear(res[1]);
	return r;
}

/* A growing buffer for COPY's binary format. */
struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int
buf_reserve(struct buf *b, size_t more)
{
	uint8_t *np;
	size_t ncap;

	if (b->len + more <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 65536;
	while (ncap < b->len + more)
		ncap *= 2;
	np = realloc(b->p, ncap);
	if (np == NULL)
		return -1;
	b->p = np;
	b->cap = ncap;
	return 0;
}

/* Sends a COPY ... FROM STDIN (FORMAT binary) payload. */
static int
copy_rows(reg_ctx *ctx, const struct buf *b, reg_error *err)
{
	PGresult *res;
	int r = 0;

	if (b->len > INT32_MAX)
		return reg__fail(err, REG_ETOOBIG, "batch too large");
	res = PQexec(ctx->conn,
	    "COPY log_entry (idx, leaf, nodes) FROM STDIN (FORMAT binary)");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot append to the log");
		PQclear(res);
		return r;
	}
	PQclear(res);
	if (PQputCopyData(ctx->conn, (const char *)b->p, (int)b->len) != 1 ||
	    PQputCopyEnd(ctx->conn, NULL) != 1)
		return reg__fail_pg(err, ctx->conn, NULL, "cannot append to the log");
	while ((res = PQgetResult(ctx->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && r == 0)
			r = reg__fail_pg(err, ctx->conn, res, "cannot append to the log");
		PQclear(res);
	}
	return r;
}

int
reg_log_append_batch(reg_ctx *ctx, const struct reg_leaf *leaves, size_t n,
    uint64_t *first, reg_error *err)
{
	/* COPY's binary header: signature, flags, header extension length. */
	static const uint8_t header[19] = {
		'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0,
		0, 0, 0, 0, 0, 0, 0, 0
	};
	struct reg__frontier f;
	struct reg_hash nodes[REG_MERKLE_MAX_LEVEL], leafhash;
	struct buf b = { NULL, 0, 0 };
	size_t i, total = 0;
	uint8_t *p;
	int r, own_tx = 0, c;

	if (first != NULL)
		*first = 0;
	if (n == 0)
		return reg__fail(err, REG_EINVAL, "no leaves to append");
	if (n > APPEND_BATCH_MAX)
		return reg__fail(err, REG_ETOOBIG, "%zu leaves in one batch; the limit is %d",
		    n, APPEND_BATCH_MAX);
	for (i = 0; i < n; i++) {
		if (leaves[i].data == NULL && leaves[i].len != 0)
			return reg__fail(err, REG_EINVAL, "leaf %zu of the batch has no data", i);
		if (leaves[i].len > REG_LOG_LEAF_MAX)
			return reg__fail(err, REG_ETOOBIG,
			    "a leaf is %zu bytes; the limit is %u", leaves[i].len,
			    REG_LOG_LEAF_MAX);
		total += leaves[i].len;
	}
	/* Each row: field count, idx, leaf, and on average two hashes. */
	if (buf_reserve(&b, sizeof(header) + 2 + n * (2 + 12 + 4 + 4 + 64) + total) != 0)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	own_tx = !reg__in_tx(ctx);
	if ((r = lock_and_read_frontier(ctx, own_tx, &f, err)) != 0)
		goto out;
	if (first != NULL)
		*first = f.size;
	memcpy(b.p, header, sizeof(header));
	b.len = sizeof(header);
	for (i = 0; i < n; i++) {
		uint64_t idx = f.size;

		reg_merkle_leaf_hash(leaves[i].data, leaves[i].len, &leafhash);
		c = reg__frontier_append(&f, &leafhash, nodes);
		if (c < 0) {
			r = reg__fail(err, c, "cannot extend the log's tree");
			goto out;
		}
		if (buf_reserve(&b, 2 + 12 + 4 + leaves[i].len + 4 + 32 * (size_t)c + 2) != 0) {
			r = reg__fail(err, REG_ENOMEM, "out of memory");
			goto out;
		}
		p = b.p + b.len;
		put16(p, 3);			/* fields */
		put32(p + 2, 8);		/* idx */
		put64(p + 6, idx);
		put32(p + 14, (uint32_t)leaves[i].len);
		p += 18;
		if (leaves[i].len > 0)
			memcpy(p, leaves[i].data, leaves[i].len);
		p += leaves[i].len;
		put32(p, (uint32_t)(32 * c));	/* nodes */
		p += 4;
		memcpy(p, nodes, 32 * (size_t)c);
		b.len = (size_t)(p - b.p) + 32 * (size_t)c;
	}
	put16(b.p + b.len, 0xffff);		/* trailer */
	b.len += 2;
	if ((r = copy_rows(ctx, &b, err)) != 0)
		goto out;
	if (own_tx) {
		own_tx = 0;
		if ((r = reg__exec_cmd(ctx, "COMMIT", err)) != 0)
			goto out;
	}
	r = 0;
out:
	if (own_tx)
		(void)reg__exec_cmd(ctx, "ROLLBACK", NULL);
	free(b.p);
	return r;
}

int
reg__log_next_entry(reg_ctx *ctx, int begin, const void *leaf, size_t len,
    uint64_t *index, uint8_t *nodes, size_t *nodes_len, reg_error *err)
{
	struct reg__frontier f;
	struct reg_hash n[REG_MERKLE_MAX_LEVEL], leafhash;
	int r, c;

	if (reg__in_tx(ctx) == begin)
		return reg__fail(err, REG_EINTERNAL, "a leaf's entry is computed "
		    "inside the transaction that writes it");
	if (leaf == NULL && len != 0)
		return reg__fail(err, REG_EINVAL, "the leaf has no data");
	if (len > REG_LOG_LEAF_MAX)
		return reg__fail(err, REG_ETOOBIG, "a leaf is %zu bytes; the limit is "
		    "%u", len, REG_LOG_LEAF_MAX);
	if ((r = lock_and_read_frontier(ctx, begin, &f, err)) != 0)
		return r;
	*index = f.size;
	reg_merkle_leaf_hash(leaf, len, &leafhash);
	if ((c = reg__frontier_append(&f, &leafhash, n)) < 0)
		return reg__fail(err, c, "cannot extend the log's tree");
	memcpy(nodes, n, 32 * (size_t)c);
	*nodes_len = 32 * (size_t)c;
	return 0;
}

int
reg_log_append(reg_ctx *ctx, const void *leaf, size_t len, uint64_t *index,
    reg_error *err)
{
	struct reg_leaf l = { leaf, len };

	return reg_log_append_batch(ctx, &l, 1, index, err);
}

/* Fetches a plan's nodes and computes its hashes into out. */
static int
run_plan(reg_ctx *ctx, const struct reg__plan *p, struct reg_hash *out,
    reg_error *err)
{
	struct reg_hash *h;
	int r;

	h = calloc(p->nnodes ? p->nnodes : 1, sizeof(*h));
	if (h == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	r = fetch_subtrees(ctx, p->nodes, p->nnodes, h, err);
	if (r == 0)
		reg__plan_finish(p, h, out);
	free(h);
	return r;
}

static int
check_size(reg_ctx *ctx, uint64_t size, reg_error *err)
{
	uint64_t have;
	int r;

	if ((r = query_size(ctx, &have, err)) != 0)
		return r;
	if (size > have)
		return reg__fail(err, REG_ERANGE,
		    "size %" PRIu64 " is beyond the log, which has %" PRIu64 " leaves",
		    size, have);
	return 0;
}

int
reg_log_root(reg_ctx *ctx, uint64_t size, struct reg_hash *root, reg_error *err)
{
	struct reg__plan *p = NULL;
	int r;

	if ((r = check_size(ctx, size, err)) != 0)
		return r;
	if (size == 0) {
		struct reg__frontier f;

		reg__frontier_init(&f);
		reg__frontier_root(&f, root);
		return 0;
	}
	p = malloc(sizeof(*p));
	if (p == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	if ((r = reg__plan_root(size, p, err)) == 0)
		r = run_plan(ctx, p, root, err);
	free(p);
	return r;
}

static int
prove(reg_ctx *ctx, struct reg__plan *p, uint64_t size, struct reg_proof **out,
    reg_error *err)
{
	struct reg_proof *pr;
	int r;

	if ((r = check_size(ctx, size, err)) != 0)
		return r;
	pr = calloc(1, sizeof(*pr) + p->nelems * sizeof(struct reg_hash));
	if (pr == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	pr->size = size;
	pr->n = p->nelems;
	if ((r = run_plan(ctx, p, pr->hashes, err)) != 0) {
		free(pr);
		return r;
	}
	*out = pr;
	return 0;
}

int
reg_log_prove_inclusion(reg_ctx *ctx, uint64_t index, uint64_t size,
    struct reg_proof **out, reg_error *err)
{
	return reg_log_prove_inclusions(ctx, &index, 1, size, out, err);
}

int
reg_log_prove_inclusions(reg_ctx *ctx, const uint64_t *index, size_t n,
    uint64_t size, struct reg_proof **out, reg_error *err)
{
	struct reg__plan *p = NULL;
	struct reg__subtree *st = NULL;
	struct reg_hash *h = NULL;
	size_t i, k, total = 0;
	int r;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (n == 0)
		return 0;
	if (n > SIZE_MAX / sizeof(*p) / (REG_PLAN_MAX_NODES + 1))
		return reg__fail(err, REG_ETOOBIG, "too many proofs at once");
	if ((p = malloc(n * sizeof(*p))) == NULL ||
	    (st = malloc(n * (REG_PLAN_MAX_NODES + 1) * sizeof(*st))) == NULL) {
		r = reg__fail(err, REG_ENOMEM, "out of memory");
		goto out;
	}
	/* Every proof's nodes, then its leaf: one list, one query. */
	for (i = 0; i < n; i++) {
		if ((r = reg__plan_inclusion(index[i], size, &p[i], err)) != 0)
			goto out;
		memcpy(st + total, p[i].nodes, p[i].nnodes * sizeof(*st));
		total += p[i].nnodes;
		st[total].level = 0;
		st[total].index = index[i];
		total++;
	}
	if ((r = check_size(ctx, size, err)) != 0)
		goto out;
	if ((h = calloc(total, sizeof(*h))) == NULL) {
		r = reg__fail(err, REG_ENOMEM, "out of memory");
		goto out;
	}
	if ((r = fetch_subtrees(ctx, st, total, h, err)) != 0)
		goto out;
	for (i = 0, k = 0; i < n; i++) {
		out[i] = calloc(1, sizeof(**out) + p[i].nelems * sizeof(struct reg_hash));
		if (out[i] == NULL) {
			r = reg__fail(err, REG_ENOMEM, "out of memory");
			goto out;
		}
		out[i]->index = index[i];
		out[i]->size = size;
		out[i]->n = p[i].nelems;
		reg__plan_finish(&p[i], h + k, out[i]->hashes);
		k += p[i].nnodes;
		out[i]->leaf_hash = h[k++];
	}
	r = 0;
out:
	if (r != 0)
		for (i = 0; i < n; i++) {
			free(out[i]);
			out[i] = NULL;
		}
	free(h);
	free(st);
	free(p);
	return r;
}

int
reg_log_prove_consistency(reg_ctx *ctx, uint64_t old_size, uint64_t new_size,
    struct reg_proof **out, reg_error *err)
{
	struct reg__plan *p = NULL;
	int r;

	*out = NULL;
	p = malloc(sizeof(*p));
	if (p == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	if ((r = reg__plan_consistency(old_size, new_size, p, err)) == 0 &&
	    (r = prove(ctx, p, new_size, out, err)) == 0)
		(*out)->old_size = old_size;
	free(p);
	return r;
}

int
reg_log_entries(reg_ctx *ctx, uint64_t start, uint64_t end, reg_leaf_cb cb,
    void *arg, reg_error *err)
{
	PGresult *res = NULL;
	char s[24], e[24];
	const char *params[2] = { s, e };
	uint64_t want = start;
	int r = 0, st;

	if (start > end)
		return reg__fail(err, REG_ERANGE, "start %" PRIu64 " is after end %" PRIu64,
		    start, end);
	if ((r = check_size(ctx, end, err)) != 0)
		return r;
	snprintf(s, sizeof(s), "%" PRIu64, start);
	snprintf(e, sizeof(e), "%" PRIu64, end);
	if (PQsendQueryParams(ctx->conn,
	    "SELECT idx, leaf FROM log_entry WHERE idx >= $1 AND idx < $2 ORDER BY idx",
	    2, NULL, params, NULL, NULL, 1) != 1)
		return reg__fail_pg(err, ctx->conn, NULL, "cannot read the log");
	PQsetSingleRowMode(ctx->conn);
	while ((res = PQgetResult(ctx->conn)) != NULL) {
		st = PQresultStatus(res);
		if (st == PGRES_SINGLE_TUPLE && r == 0) {
			uint64_t idx = be64(PQgetvalue(res, 0, 0));

			if (idx != want)
				r = reg__fail(err, REG_EVERIFY,
				    "leaf %" PRIu64 " is missing from the log", want);
			else if (cb(idx, (const uint8_t *)PQgetvalue(res, 0, 1),
			    (size_t)PQgetlength(res, 0, 1), arg) != 0)
				r = reg__fail(err, REG_EIO, "stopped at leaf %" PRIu64, idx);
			want++;
		} else if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE && r == 0) {
			r = reg__fail_pg(err, ctx->conn, res, "cannot read the log");
		}
		PQclear(res);
	}
	if (r == 0 && want != end)
		r = reg__fail(err, REG_EVERIFY, "leaf %" PRIu64 " is missing from the log",
		    want);
	return r;
}

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

/* ------------------------------------------------- before signing */

/* Leaves sampled per round trip (each needs a proof plan). */
#define SAMPLE_CHUNK 256
/* New leaves read per query before a checkpoint is signed. */
#define CHECK_PAGE 10000

/*
 * The leaves [from, size) added since the latest checkpoint (of size from
 * and root from_root), before they are signed: each leaf's bytes against
 * its stored hash, its stored subtree hashes against those recomputed, the
 * tree of from leaves (from stored hashes) against from_root and the new
 * root recomputed from the new leaves on top of it (into *root), and the
 * record row behind each record leaf re-encoded to the leaf.
 */
static int
check_new_leaves(reg_ctx *ctx, uint64_t from, const struct reg_hash *from_root,
    uint64_t size, struct reg_hash *root, reg_error *err)
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
		if ((r = fetch_subtrees(ctx, f.st, (size_t)f.count, f.h, err)) != 0)
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
			uint64_t idx = be64(PQgetvalue(res, row, 0));
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
		    be64(PQgetvalue(res, row, 0)) != idx[i]) {
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
 * sample leaves of the tree of size leaves, drawn at random (all of them
 * when sample >= size), checked by check_old_leaves() against root.
 */
static int
check_sample(reg_ctx *ctx, uint64_t size, const struct reg_hash *root,
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
	    (r = query_size(ctx, &size, err)) != 0)
		goto out;
	if (PQntuples(res) == 1) {
		last_size = be64(PQgetvalue(res, 0, 1));
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
			    be64(PQgetvalue(res, 0, 0)), last_size);
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
	if ((r = check_new_leaves(ctx, last_size, &last_root, size, &new_root,
	    err)) != 0 ||
	    (r = check_sample(ctx, last_size, &last_root, sample, err)) != 0)
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

		c[i].seq = be64(PQgetvalue(res, i, 0));
		c[i].size = be64(PQgetvalue(res, i, 1));
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

int
reg_log_verify(reg_ctx *ctx, const reg_key *key, struct reg_log_report *rep,
    reg_error *err)
{
	struct reg_log_report dummy;
	struct reg__frontier f;
	struct reg_hash computed[REG_MERKLE_MAX_LEVEL], h, root;
	struct ckpt *ck = NULL;
	struct reg__recseen seen;
	size_t nck = 0, ci = 0;
	PGresult *res;
	uint64_t want = 0;
	double t0 = now_seconds();
	int r, st, c, k, type;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	rep->bad_index = -1;
	rep->bad_checkpoint = -1;
	memset(&seen, 0, sizeof(seen));
	if (reg__in_tx(ctx))
		return reg__fail(err, REG_EINVAL,
		    "the log is verified in a transaction of its own; commit first");
	/* One snapshot for the whole check. */
	if ((r = reg__exec_cmd(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err)) != 0)
		return r;
	if ((r = verify_checkpoints(ctx, key, &ck, &nck, rep, err)) != 0 ||
	    (r = verify_cosigned(ctx, rep, err)) != 0)
		goto out;
	reg__frontier_init(&f);
	/* A checkpoint of the empty tree. */
	while (ci < nck && ck[ci].size == 0) {
		reg__frontier_root(&f, &root);
		if (memcmp(root.b, ck[ci].root.b, 32) != 0) {
			rep->bad_checkpoint = (int64_t)ck[ci].seq;
			r = reg__fail(err, REG_EVERIFY, "checkpoint %" PRIu64
			    " of the empty tree has a wrong root", ck[ci].seq);
			goto out;
		}
		ci++;
	}
	if (PQsendQueryParams(ctx->conn,
	    "SELECT idx, leaf, nodes FROM log_entry ORDER BY idx",
	    0, NULL, NULL, NULL, NULL, 1) != 1) {
		r = reg__fail_pg(err, ctx->conn, NULL, "cannot read the log");
		goto out;
	}
	PQsetSingleRowMode(ctx->conn);
	while ((res = PQgetResult(ctx->conn)) != NULL) {
		st = PQresultStatus(res);
		if (st == PGRES_SINGLE_TUPLE && r == 0) {
			uint64_t idx = be64(PQgetvalue(res, 0, 0));
			const char *nodes = PQgetvalue(res, 0, 2);
			size_t nlen = (size_t)PQgetlength(res, 0, 2);

			if (idx != want) {
				rep->bad_index = (int64_t)want;
				r = reg__fail(err, REG_EVERIFY, "leaf %" PRIu64
				    " is missing (the next stored leaf is %" PRIu64 ")", want, idx);
				goto next;
			}
			reg_merkle_leaf_hash(PQgetvalue(res, 0, 1),
			    (size_t)PQgetlength(res, 0, 1), &h);
			if (nlen < 32 || memcmp(h.b, nodes, 32) != 0) {
				rep->bad_index = (int64_t)idx;
				r = reg__fail(err, REG_EVERIFY, "leaf %" PRIu64
				    ": its bytes do not have its stored hash", idx);
				goto next;
			}
			type = reg__record_classify((const uint8_t *)PQgetvalue(res, 0, 1),
			    (size_t)PQgetlength(res, 0, 1));
			if (type >= 0 && reg__recseen_add(&seen, type, idx) != 0) {
				r = reg__fail(err, REG_ENOMEM, "out of memory");
				goto next;
			}
			c = reg__frontier_append(&f, &h, computed);
			if (c < 0) {
				r = reg__fail(err, c, "cannot extend the log's tree");
				goto next;
			}
			if (nlen != 32u * (size_t)c) {
				rep->bad_index = (int64_t)idx;
				r = reg__fail(err, REG_EVERIFY, "leaf %" PRIu64
				    ": %zu subtree hashes stored where %d belong", idx,
				    nlen / 32, c);
				goto next;
			}
			for (k = 1; k < c; k++) {
				if (memcmp(computed[k].b, nodes + 32 * k, 32) != 0) {
					uint64_t span = (uint64_t)1 << k;

					rep->bad_index = (int64_t)(idx + 1 - span);
					r = reg__fail(err, REG_EVERIFY,
					    "leaves %" PRIu64 "..%" PRIu64 ": the stored hash of "
					    "their subtree (level %d, kept with leaf %" PRIu64
					    ") does not match them", idx + 1 - span, idx, k, idx);
					goto next;
				}
			}
			want = idx + 1;
			rep->entries = want;
			while (ci < nck && ck[ci].size == want) {
				reg__frontier_root(&f, &root);
				if (memcmp(root.b, ck[ci].root.b, 32) != 0) {
					rep->bad_checkpoint = (int64_t)ck[ci].seq;
					r = reg__fail(err, REG_EVERIFY, "checkpoint %" PRIu64
					    " (size %" PRIu64 ") does not match the stored tree: "
					    "a fork or an altered log", ck[ci].seq, want);
					goto next;
				}
				ci++;
			}
		} else if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE && r == 0) {
			r = reg__fail_pg(err, ctx->conn, res, "cannot read the log");
		}
next:
		PQclear(res);
	}
	if (r == 0 && ci < nck) {
		rep->bad_checkpoint = (int64_t)ck[ci].seq;
		rep->bad_index = (int64_t)want;
		r = reg__fail(err, REG_EVERIFY, "checkpoint %" PRIu64 " has size %" PRIu64
		    " but the log ends at %" PRIu64 " leaves: leaves were removed",
		    ck[ci].seq, ck[ci].size, want);
	}
	/* Every record row against the leaf that sealed it. */
	if (r == 0)
		r = reg__records_verify(ctx, &seen, &rep->bad_index, err);
	/* The read model that traces are answered from, against the records
	 * just verified. */
	if (r == 0)
		r = reg__readmodel_verify(ctx, &rep->bad_index, err);
out:
	(void)reg__exec_cmd(ctx, "ROLLBACK", NULL);
	reg__recseen_free(&seen);
	free(ck);
	rep->seconds = now_seconds() - t0;
	return r;
}
