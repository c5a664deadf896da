/*
 * The audit log in PostgreSQL: appending leaves inside the caller's
 * transaction, roots, proofs and the log's entries.  The tree arithmetic
 * lives in merkle.c; this file moves hashes between it and the tables of
 * migrations/0002_audit_log.sql.  Checkpoints are made in checkpoint.c and
 * the log is verified in verify.c, both over the functions here.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "log_int.h"
#include "common/hex.h"
#include "record_int.h"

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

int
reg__log_subtrees(reg_ctx *ctx, const struct reg__subtree *st, size_t n,
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

/*
 * Takes the append lock (opening a transaction first when begin is set)
 * and reads the frontier of the committed log, in one round trip: in READ
 * COMMITTED the query after the lock sees every leaf committed before the
 * lock was granted.  In a transaction whose frontier reg__tx_enter_find()
 * kept (under the lock already, in this transaction epoch), that frontier,
 * once (the log cache).
 */
static int
lock_and_read_frontier(reg_ctx *ctx, int begin, struct reg__frontier *f,
    reg_error *err)
{
	const struct reg__query q = { FRONTIER_SQL, 0, NULL };
	PGresult *res = NULL;
	int r;

	if (!begin && reg__in_tx(ctx) && reg__log_cache_take(ctx, f))
		return 0;
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
	struct reg__frontier *kept;
	PGresult *res[2];
	int r;

	*found = NULL;
	tx->own = !reg__in_tx(ctx);
	if ((kept = reg__log_cache_slot(ctx)) == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	if (reg__exec_locked(ctx, tx->own, q, 2, res) != 0)
		return reg__fail_pg(err, ctx->conn, NULL, "cannot lock the log");
	if (PQresultStatus(res[0]) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res[0], "cannot look up %s", what);
	} else if (PQresultStatus(res[1]) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res[1], "cannot lock the log for "
		    "appending");
	} else if ((r = frontier_read(res[1], kept, err)) == 0) {
		reg__log_cache_keep(ctx);
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
	r = reg__log_subtrees(ctx, p->nodes, p->nnodes, h, err);
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
	if ((r = reg__log_subtrees(ctx, st, total, h, err)) != 0)
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
