/*
 * Tests of the Merkle tree module: RFC 6962 known answers, a slow
 * reference implementation written straight from the RFC 6962 section 2.1
 * definitions, and mutation tests of both verifiers.  No database.
 *
 * The known answers are the Certificate Transparency reference tree of
 * eight leaves, as published in transparency-dev/merkle
 * proof/verify_test.go (commit 02194e9afb6c1d95b5381350007963aa70fff472)
 * and google/certificate-transparency cpp/merkletree/merkle_tree_test.cc
 * (commit 0e901cacd1388fa16f78b184612f6cd16e5ceec1), which agree; the
 * 6 -> 7 consistency proof is in the first only.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "registry/registry.h"
#include "merkle_int.h"

#define TWO63 ((uint64_t)1 << 63)

/*
 * Assertions that cost nothing until they fail.  Check's own ck_assert
 * reports every passed assertion to the runner, which the millions of
 * assertions below cannot afford.
 */
#define REQUIRE(c) do { \
	if (!(c)) \
		ck_abort_msg("%sAssertion '%s' failed", where, #c); \
} while (0)
#define REQUIRE_MSG(c, fmt, ...) do { \
	if (!(c)) \
		ck_abort_msg("%s" fmt, where, __VA_ARGS__); \
} while (0)
#define REQUIRE_INT(x, op, y) do { \
	intmax_t x_ = (x), y_ = (y); \
	if (!(x_ op y_)) \
		ck_abort_msg("%sAssertion '%s %s %s' failed: %jd, %jd", \
		    where, #x, #op, #y, x_, y_); \
} while (0)
#define REQUIRE_UINT(x, op, y) do { \
	uintmax_t x_ = (x), y_ = (y); \
	if (!(x_ op y_)) \
		ck_abort_msg("%sAssertion '%s %s %s' failed: %ju, %ju", \
		    where, #x, #op, #y, x_, y_); \
} while (0)

/* What a test that runs many cases is at, for the failure messages. */
static char where[160];

/* ------------------------------------------------------------ helpers */

/* A deterministic generator (splitmix64), so that failures reproduce. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z;

	*s += 0x9e3779b97f4a7c15ULL;
	z = *s;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, n), n > 0. */
static uint64_t
rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

/* The number of one bits in v. */
static int
one_bits(uint64_t v)
{
	int n = 0;

	for (; v != 0; v >>= 1)
		n += (int)(v & 1);
	return n;
}

/* A random hash. */
static void
rng_hash(uint64_t *s, struct reg_hash *h)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(h->b); i += 8) {
		v = rng_next(s);
		memcpy(h->b + i, &v, 8);
	}
}

/* The value of a lower-case hex digit. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	ck_abort_msg("bad hex digit %c", c);
	return 0;
}

/* Decodes hex text into out; returns the byte count. */
static size_t
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s) / 2, i;

	REQUIRE_UINT(strlen(s) % 2, ==, 0);
	REQUIRE_UINT(n, <=, max);
	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
	return n;
}

/* A hash from its 64 hex digits. */
static void
hash_hex(const char *s, struct reg_hash *h)
{
	REQUIRE_UINT(unhex(s, h->b, sizeof(h->b)), ==, sizeof(h->b));
}

/* Whether two hashes are equal. */
static int
hash_eq(const struct reg_hash *a, const struct reg_hash *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

/*
 * The test's own hashing, independent of the module's: SHA-256 of an
 * optional one-byte prefix (prefix < 0: none) and data.  Returns 0 or -1;
 * the raw functions serve outside tests too, where Check cannot report.
 */
static int
raw_sha256(int prefix, const void *data, size_t len, struct reg_hash *out)
{
	static EVP_MD *md;
	static EVP_MD_CTX *ctx;
	uint8_t p = (uint8_t)prefix;
	unsigned int outlen = 0;

	/* One context, reused: the test is single-threaded. */
	if (md == NULL)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (ctx == NULL)
		ctx = EVP_MD_CTX_new();
	if (md == NULL || ctx == NULL)
		return -1;
	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 ||
	    (prefix >= 0 && EVP_DigestUpdate(ctx, &p, 1) != 1) ||
	    (len > 0 && EVP_DigestUpdate(ctx, data, len) != 1) ||
	    EVP_DigestFinal_ex(ctx, out->b, &outlen) != 1 || outlen != 32)
		return -1;
	return 0;
}

/* SHA-256(0x01 || l || r); 0 or -1. */
static int
raw_node(const struct reg_hash *l, const struct reg_hash *r,
    struct reg_hash *out)
{
	uint8_t buf[64];

	memcpy(buf, l->b, 32);
	memcpy(buf + 32, r->b, 32);
	return raw_sha256(0x01, buf, sizeof(buf), out);
}

/* The same, within tests. */
static void
t_sha256(int prefix, const void *data, size_t len, struct reg_hash *out)
{
	REQUIRE_INT(raw_sha256(prefix, data, len, out), ==, 0);
}

/* SHA-256(0x00 || data), the RFC 6962 leaf hash. */
static void
t_leaf(const void *data, size_t len, struct reg_hash *out)
{
	t_sha256(0x00, data, len, out);
}

/* SHA-256(0x01 || l || r), the RFC 6962 node hash. */
static void
t_node(const struct reg_hash *l, const struct reg_hash *r,
    struct reg_hash *out)
{
	REQUIRE_INT(raw_node(l, r, out), ==, 0);
}

/* ------------------------------------------- the reference, RFC 6962 2.1 */

/* The largest power of two strictly below n (n >= 2), by counting. */
static uint64_t
ref_split(uint64_t n)
{
	uint64_t k = 1;

	while (k <= (n - 1) / 2)
		k <<= 1;
	return k;
}

/* MTH(D[n]) over leaf hashes, by the recursive definition. */
static void
ref_mth(const struct reg_hash *lv, uint64_t n, struct reg_hash *out)
{
	struct reg_hash l, r;
	uint64_t k;

	if (n == 0) {
		t_sha256(-1, NULL, 0, out);
		return;
	}
	if (n == 1) {
		*out = lv[0];
		return;
	}
	k = ref_split(n);
	ref_mth(lv, k, &l);
	ref_mth(lv + k, n - k, &r);
	t_node(&l, &r, out);
}

/*
 * A proof element as the reference finds it: the range of leaves [a, b)
 * whose MTH it is, and its kind: 'L' a left sibling, 'R' a right sibling,
 * 'S' the consistency proof's own starting subtree.  The kinds alone say
 * what a verifier computes from a proof.
 */
struct rref {
	uint64_t a;
	uint64_t b;
	char kind;
};

#define REF_MAX 130

/* PATH(m, D[a:b]), RFC 6962 2.1.1, with m relative to a. */
static void
ref_path(uint64_t m, uint64_t a, uint64_t b, struct rref *out, size_t *n)
{
	uint64_t k;

	if (b - a <= 1)
		return;
	k = ref_split(b - a);
	REQUIRE_UINT(*n, <, REF_MAX);
	if (m < k) {
		ref_path(m, a, a + k, out, n);
		out[*n].a = a + k;
		out[*n].b = b;
		out[*n].kind = 'R';
	} else {
		ref_path(m - k, a + k, b, out, n);
		out[*n].a = a;
		out[*n].b = a + k;
		out[*n].kind = 'L';
	}
	(*n)++;
}

/* SUBPROOF(m, D[a:b], flag), RFC 6962 2.1.2. */
static void
ref_subproof(uint64_t m, uint64_t a, uint64_t b, int flag, struct rref *out,
    size_t *n)
{
	uint64_t k;

	REQUIRE_UINT(*n, <, REF_MAX);
	if (m == b - a) {
		if (!flag) {
			out[*n].a = a;
			out[*n].b = b;
			out[*n].kind = 'S';
			(*n)++;
		}
		return;
	}
	k = ref_split(b - a);
	if (m <= k) {
		ref_subproof(m, a, a + k, flag, out, n);
		out[*n].a = a + k;
		out[*n].b = b;
		out[*n].kind = 'R';
	} else {
		ref_subproof(m - k, a + k, b, 0, out, n);
		out[*n].a = a;
		out[*n].b = a + k;
		out[*n].kind = 'L';
	}
	(*n)++;
}

/* PROOF(m, D[n]) = SUBPROOF(m, D[n], true). */
static size_t
ref_consistency(uint64_t m, uint64_t n, struct rref *out)
{
	size_t c = 0;

	ref_subproof(m, 0, n, 1, out, &c);
	return c;
}

/* PATH(m, D[n]). */
static size_t
ref_inclusion(uint64_t m, uint64_t n, struct rref *out)
{
	size_t c = 0;

	ref_path(m, 0, n, out, &c);
	return c;
}

/* Whether two reference proofs have the same sequence of kinds. */
static int
same_kinds(const struct rref *x, size_t nx, const struct rref *y, size_t ny)
{
	size_t i;

	if (nx != ny)
		return 0;
	for (i = 0; i < nx; i++)
		if (x[i].kind != y[i].kind)
			return 0;
	return 1;
}

/* The reference proof's hashes over the leaf hashes lv. */
static void
ref_hashes(const struct reg_hash *lv, const struct rref *r, size_t n,
    struct reg_hash *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		ref_mth(lv + r[i].a, r[i].b - r[i].a, &out[i]);
}

/* ------------------------------------------------------------ the world */

/* A tree of NMAX leaves; storage keeps every complete subtree of it. */
#define NMAX 4096
#define NMAX_LEVELS 13
static struct reg_hash leaves[NMAX];
static struct reg_hash *store[NMAX_LEVELS];
static int world_ok;

/*
 * A tree of 2^64 - 1 identical leaves: the complete subtree of level l
 * has hash uni[l] whatever its index, so any range's hash is known.
 */
static struct reg_hash uni[65];

/* The data of leaf i of the world's tree. */
static void
leaf_data(uint64_t i, uint8_t buf[16])
{
	memcpy(buf, "registry", 8);
	memcpy(buf + 8, &i, 8);
}

/*
 * Builds the leaves and the storage table.  The table is filled from the
 * nodes reg__frontier_append() returns, as the log code fills its table;
 * test_frontier_nodes checks those nodes against the reference.
 */
static void
build_world(void)
{
	struct reg__frontier f;
	struct reg_hash nodes[REG_MERKLE_MAX_LEVEL];
	uint8_t buf[16];
	uint64_t i;
	int c, j;

	for (j = 0; j < NMAX_LEVELS; j++) {
		store[j] = calloc(NMAX >> j, sizeof(struct reg_hash));
		if (store[j] == NULL)
			return;
	}
	for (i = 0; i < NMAX; i++) {
		leaf_data(i, buf);
		if (raw_sha256(0x00, buf, sizeof(buf), &leaves[i]) != 0)
			return;
	}
	reg__frontier_init(&f);
	for (i = 0; i < NMAX; i++) {
		c = reg__frontier_append(&f, &leaves[i], nodes);
		if (c < 1 || c > NMAX_LEVELS)
			return;
		for (j = 0; j < c; j++)
			store[j][i >> j] = nodes[j];
	}
	if (raw_sha256(0x00, "uniform", 7, &uni[0]) != 0)
		return;
	for (j = 1; j <= 64; j++)
		if (raw_node(&uni[j - 1], &uni[j - 1], &uni[j]) != 0)
			return;
	world_ok = 1;
}

/* MTH of n identical leaves (the reference's recursion, with complete
 * subtrees read from uni). */
static void
ref_mth_uniform(uint64_t n, struct reg_hash *out)
{
	struct reg_hash r;
	uint64_t k;
	int l;

	if (n == 0) {
		t_sha256(-1, NULL, 0, out);
		return;
	}
	if ((n & (n - 1)) == 0) {
		for (l = 0; ((uint64_t)1 << l) != n; l++)
			;
		*out = uni[l];
		return;
	}
	k = ref_split(n);
	ref_mth_uniform(n - k, &r);
	ref_mth_uniform(k, out);
	t_node(out, &r, out);
}

/*
 * Storage: gives a complete subtree's hash, failing the test when the
 * subtree is not within the tree of size leaves.
 */
typedef void fetch_fn(const struct reg__subtree *st, uint64_t size,
    struct reg_hash *out);

/* Storage: a complete subtree's hash, read from the appended table. */
static void
fetch_table(const struct reg__subtree *st, uint64_t size,
    struct reg_hash *out)
{
	REQUIRE_UINT(st->level, <, NMAX_LEVELS);
	REQUIRE_UINT(st->index, <, size >> st->level);
	*out = store[st->level][st->index];
}

/* Storage: a complete subtree's hash, computed from the leaves. */
static void
fetch_leaves(const struct reg__subtree *st, uint64_t size,
    struct reg_hash *out)
{
	REQUIRE_UINT(st->level, <, NMAX_LEVELS);
	REQUIRE_UINT(st->index, <, size >> st->level);
	ref_mth(leaves + (st->index << st->level), (uint64_t)1 << st->level,
	    out);
}

/* Storage of the uniform tree. */
static void
fetch_uniform(const struct reg__subtree *st, uint64_t size,
    struct reg_hash *out)
{
	REQUIRE_UINT(st->level, <, 64);
	REQUIRE_UINT(st->index, <, size >> st->level);
	*out = uni[st->level];
}

/*
 * Checks that a plan's elements cover exactly the reference's ranges, each
 * as complete subtrees of strictly decreasing size, left to right.
 */
static void
check_plan_ranges(const struct reg__plan *p, const struct rref *r, size_t n)
{
	const struct reg__subtree *st;
	uint64_t at, len;
	size_t e, i;
	int last;

	REQUIRE_UINT(p->nelems, ==, n);
	REQUIRE_UINT(p->nnodes, <=, REG_PLAN_MAX_NODES);
	for (e = 0; e < n; e++) {
		REQUIRE_UINT(p->elem_count[e], >=, 1);
		REQUIRE_UINT(p->elem_start[e], <=, p->nnodes);
		REQUIRE_UINT(p->elem_count[e], <=,
		    p->nnodes - p->elem_start[e]);
		at = r[e].a;
		last = 64;
		for (i = 0; i < p->elem_count[e]; i++) {
			st = &p->nodes[p->elem_start[e] + i];
			REQUIRE_INT(st->level, <, last);
			last = st->level;
			len = (uint64_t)1 << st->level;
			REQUIRE_MSG(st->index == at >> st->level &&
			    (at & (len - 1)) == 0,
			    "element %zu node %zu: level %d index %llu, "
			    "expected start %llu", e, i, st->level,
			    (unsigned long long)st->index,
			    (unsigned long long)at);
			REQUIRE_UINT(len, <=, r[e].b - at);
			at += len;
		}
		REQUIRE_MSG(at == r[e].b, "element %zu ends at %llu, "
		    "expected %llu", e, (unsigned long long)at,
		    (unsigned long long)r[e].b);
	}
}

/* Fetches a plan's nodes from storage and finishes it into out. */
static void
run_plan(const struct reg__plan *p, uint64_t size, fetch_fn *fetch,
    struct reg_hash *out)
{
	struct reg_hash *nh;
	size_t i;

	nh = calloc(p->nnodes + 1, sizeof(*nh));
	REQUIRE(nh != NULL);
	for (i = 0; i < p->nnodes; i++)
		fetch(&p->nodes[i], size, &nh[i]);
	reg__plan_finish(p, nh, out);
	free(nh);
}

static struct reg__plan *
plan_new(void)
{
	struct reg__plan *p;

	p = calloc(1, sizeof(*p));
	REQUIRE(p != NULL);
	return p;
}

/* --------------------------------------------------- mutation harnesses */

/* How many bits of each proof hash to flip, and where to add hashes:
 * everywhere, or a few random bits and places. */
#define FLIP_ALL 1
#define FLIP_SOME 0

/* Copies proof with element drop left out (drop < 0: none), then
 * inserts extra (when not NULL) at position at. */
static size_t
proof_edit(const struct reg_hash *proof, size_t n, long drop,
    const struct reg_hash *extra, size_t at, struct reg_hash *out)
{
	size_t i, o = 0;

	for (i = 0; i <= n; i++) {
		if (extra != NULL && i == at)
			out[o++] = *extra;
		if (i < n && (long)i != drop)
			out[o++] = proof[i];
	}
	return o;
}

/* Verifies an inclusion proof and fails the test unless the answer, and
 * the code kept in the error, is want. */
static void
expect_incl(int want, uint64_t index, uint64_t size,
    const struct reg_hash *leaf, const struct reg_hash *proof, size_t n,
    const struct reg_hash *root, const char *what)
{
	reg_error err = REG_ERROR_INIT;
	int r;

	r = reg_merkle_verify_inclusion(index, size, leaf, proof, n, root,
	    &err);
	REQUIRE_MSG(r == want, "inclusion %s (index %llu, size %llu, "
	    "%zu hashes): got %d (%s), want %d", what,
	    (unsigned long long)index, (unsigned long long)size, n, r,
	    err.message, want);
	if (want != 0)
		REQUIRE_INT(err.code, ==, want);
}

/* The same for a consistency proof. */
static void
expect_cons(int want, uint64_t m, uint64_t n, const struct reg_hash *r1,
    const struct reg_hash *r2, const struct reg_hash *proof, size_t np,
    const char *what)
{
	reg_error err = REG_ERROR_INIT;
	int r;

	r = reg_merkle_verify_consistency(m, n, r1, r2, proof, np, &err);
	REQUIRE_MSG(r == want, "consistency %s (%llu -> %llu, %zu "
	    "hashes): got %d (%s), want %d", what, (unsigned long long)m,
	    (unsigned long long)n, np, r, err.message, want);
	if (want != 0)
		REQUIRE_INT(err.code, ==, want);
}

/*
 * What the inclusion verifier must answer for proof, valid for (index,
 * size), when told (i2, s2) instead.  The RFC 9162 algorithm takes the
 * proof's shape (which side each hash joins on, and how many there are)
 * from the index and size alone, so it accepts exactly when the reference
 * path for (i2, s2) has the same shape: leaf 0 of 5 and leaf 0 of 6, say.
 * That is no weakness, since the root still has to match; it does mean a
 * changed size is not always refused, and the test must know when.
 */
static int
incl_expected(uint64_t index, uint64_t size, uint64_t i2, uint64_t s2)
{
	struct rref a[REF_MAX], b[REF_MAX];
	size_t na, nb;

	if (i2 >= s2)
		return REG_ERANGE;
	na = ref_inclusion(index, size, a);
	nb = ref_inclusion(i2, s2, b);
	return same_kinds(a, na, b, nb) ? 0 : REG_EVERIFY;
}

/* The same for a consistency proof valid for (m, n) told (m2, n2). */
static int
cons_expected(uint64_t m, uint64_t n, uint64_t m2, uint64_t n2,
    const struct reg_hash *r1, const struct reg_hash *r2, size_t np)
{
	struct rref a[REF_MAX], b[REF_MAX];
	size_t na, nb;

	if (m2 == 0 || m2 > n2)
		return REG_ERANGE;
	if (m2 == n2)
		return np == 0 && hash_eq(r1, r2) ? 0 : REG_EVERIFY;
	if (np == 0)
		return REG_EVERIFY;
	na = ref_consistency(m, n, a);
	nb = ref_consistency(m2, n2, b);
	return same_kinds(a, na, b, nb) ? 0 : REG_EVERIFY;
}

/*
 * Checks that the inclusion proof verifies, and that every mutation of
 * it, of the leaf, the root, the index or the size is answered as it must
 * be.  uniform: the tree's leaves are all equal, so proofs of other
 * shapes can hold too and other indexes and sizes are not tried.
 */
static void
check_inclusion_mutations(uint64_t index, uint64_t size,
    const struct reg_hash *leaf, const struct reg_hash *proof, size_t n,
    const struct reg_hash *root, int flip, int uniform, uint64_t *rng)
{
	struct reg_hash *w, h, extra;
	uint64_t alt[16], a, s2;
	size_t i, wn, k, nalt = 0;
	unsigned bit, pick;
	int j;

	w = calloc(n + 2, sizeof(*w));
	REQUIRE(w != NULL);
	expect_incl(0, index, size, leaf, proof, n, root, "as made");

	/* Every bit, or a few bits, of every proof hash. */
	for (i = 0; i < n; i++) {
		pick = (unsigned)rng_below(rng, 256);
		for (bit = 0; bit < 256; bit++) {
			if (flip != FLIP_ALL && bit != pick)
				continue;
			memcpy(w, proof, n * sizeof(*w));
			w[i].b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			expect_incl(REG_EVERIFY, index, size, leaf, w, n, root,
			    "with a bit flipped");
		}
	}
	/* The leaf and the root. */
	for (bit = 0; bit < 256; bit += (flip == FLIP_ALL ? 1 : 37)) {
		h = *leaf;
		h.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		expect_incl(REG_EVERIFY, index, size, &h, proof, n, root,
		    "with the leaf changed");
		h = *root;
		h.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		expect_incl(REG_EVERIFY, index, size, leaf, proof, n, &h,
		    "with the root changed");
	}
	/* Each hash dropped, and all of them. */
	for (i = 0; i < n; i++) {
		wn = proof_edit(proof, n, (long)i, NULL, 0, w);
		expect_incl(REG_EVERIFY, index, size, leaf, w, wn, root,
		    "with a hash dropped");
	}
	if (n > 0)
		expect_incl(REG_EVERIFY, index, size, leaf, w, 0, root,
		    "with every hash dropped");
	/* A hash added at each place: random, the root, the leaf, a copy. */
	for (k = 0; k <= n; k++) {
		if (flip != FLIP_ALL && k != 0 && k != n / 2 && k != n)
			continue;
		rng_hash(rng, &extra);
		wn = proof_edit(proof, n, -1, &extra, k, w);
		expect_incl(REG_EVERIFY, index, size, leaf, w, wn, root,
		    "with a hash added");
	}
	wn = proof_edit(proof, n, -1, root, n, w);
	expect_incl(REG_EVERIFY, index, size, leaf, w, wn, root,
	    "with the root appended");
	wn = proof_edit(proof, n, -1, leaf, 0, w);
	expect_incl(REG_EVERIFY, index, size, leaf, w, wn, root,
	    "with the leaf prepended");
	if (n > 0) {
		wn = proof_edit(proof, n, -1, &proof[n - 1], n, w);
		expect_incl(REG_EVERIFY, index, size, leaf, w, wn, root,
		    "with the last hash repeated");
	}

	/* Other indexes. */
	if (!uniform) {
		alt[nalt++] = index - 1;
		alt[nalt++] = index + 1;
		alt[nalt++] = index ^ 1;
		alt[nalt++] = index ^ 2;
		alt[nalt++] = index * 2;
		alt[nalt++] = index / 2;
		alt[nalt++] = rng_below(rng, size);
		alt[nalt++] = size;
		alt[nalt++] = TWO63;
		alt[nalt++] = UINT64_MAX;
		for (k = 0; k < nalt; k++) {
			if (alt[k] == index)
				continue;
			expect_incl(incl_expected(index, size, alt[k], size),
			    alt[k], size, leaf, proof, n, root,
			    "with another index");
		}
	}
	/* Other sizes. */
	nalt = 0;
	if (uniform)
		goto out;
	alt[nalt++] = size - 1;
	alt[nalt++] = size + 1;
	if (size <= UINT64_MAX / 2)
		alt[nalt++] = size * 2;
	alt[nalt++] = size / 2;
	alt[nalt++] = size + 1 + rng_below(rng, 1000);
	alt[nalt++] = 0;
	alt[nalt++] = TWO63;
	alt[nalt++] = UINT64_MAX;
	for (k = 0; k < nalt; k++) {
		if (alt[k] == size)
			continue;
		expect_incl(incl_expected(index, size, index, alt[k]), index,
		    alt[k], leaf, proof, n, root, "with another size");
	}
	/*
	 * The leaf renumbered inside each aligned block that holds it, as if
	 * the block were the whole tree: the top of the proof is then left
	 * over.
	 */
	for (j = 0; j < 64; j++) {
		a = index & ~(((uint64_t)1 << j) - 1);
		s2 = size - a;
		if (s2 > (uint64_t)1 << j)
			s2 = (uint64_t)1 << j;
		if (a == 0 && s2 == size)
			continue;
		expect_incl(incl_expected(index, size, index - a, s2),
		    index - a, s2, leaf, proof, n, root,
		    "renumbered in a subtree");
	}
out:
	free(w);
}

/* The same for a consistency proof. */
static void
check_consistency_mutations(uint64_t m, uint64_t n,
    const struct reg_hash *r1, const struct reg_hash *r2,
    const struct reg_hash *proof, size_t np, int flip, uint64_t *rng)
{
	struct reg_hash *w, h, extra;
	uint64_t alt[16], a, n2;
	size_t i, wn, k, nalt;
	unsigned bit, pick;
	int j;

	w = calloc(np + 2, sizeof(*w));
	REQUIRE(w != NULL);
	expect_cons(0, m, n, r1, r2, proof, np, "as made");

	for (i = 0; i < np; i++) {
		pick = (unsigned)rng_below(rng, 256);
		for (bit = 0; bit < 256; bit++) {
			if (flip != FLIP_ALL && bit != pick)
				continue;
			memcpy(w, proof, np * sizeof(*w));
			w[i].b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			expect_cons(REG_EVERIFY, m, n, r1, r2, w, np,
			    "with a bit flipped");
		}
	}
	for (bit = 0; bit < 256; bit += (flip == FLIP_ALL ? 1 : 37)) {
		h = *r1;
		h.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		expect_cons(REG_EVERIFY, m, n, &h, r2, proof, np,
		    "with the old root changed");
		h = *r2;
		h.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		expect_cons(REG_EVERIFY, m, n, r1, &h, proof, np,
		    "with the new root changed");
	}
	if (!hash_eq(r1, r2))
		expect_cons(REG_EVERIFY, m, n, r2, r1, proof, np,
		    "with the roots swapped");
	for (i = 0; i < np; i++) {
		wn = proof_edit(proof, np, (long)i, NULL, 0, w);
		expect_cons(REG_EVERIFY, m, n, r1, r2, w, wn,
		    "with a hash dropped");
	}
	if (np > 0)
		expect_cons(REG_EVERIFY, m, n, r1, r2, w, 0,
		    "with every hash dropped");
	for (k = 0; k <= np; k++) {
		if (flip != FLIP_ALL && k != 0 && k != np / 2 && k != np)
			continue;
		rng_hash(rng, &extra);
		wn = proof_edit(proof, np, -1, &extra, k, w);
		expect_cons(REG_EVERIFY, m, n, r1, r2, w, wn,
		    "with a hash added");
	}
	wn = proof_edit(proof, np, -1, r1, 0, w);
	expect_cons(REG_EVERIFY, m, n, r1, r2, w, wn,
	    "with the old root prepended");
	wn = proof_edit(proof, np, -1, r2, np, w);
	expect_cons(REG_EVERIFY, m, n, r1, r2, w, wn,
	    "with the new root appended");
	if (np > 0) {
		wn = proof_edit(proof, np, -1, &proof[0], 0, w);
		expect_cons(REG_EVERIFY, m, n, r1, r2, w, wn,
		    "with the first hash repeated");
	}

	/* Other old sizes. */
	nalt = 0;
	alt[nalt++] = m - 1;
	alt[nalt++] = m + 1;
	alt[nalt++] = m ^ 1;
	alt[nalt++] = m ^ 2;
	alt[nalt++] = m * 2;
	alt[nalt++] = m / 2;
	alt[nalt++] = 1 + rng_below(rng, n);
	alt[nalt++] = n;
	alt[nalt++] = TWO63;
	alt[nalt++] = UINT64_MAX;
	for (k = 0; k < nalt; k++) {
		if (alt[k] == m)
			continue;
		expect_cons(cons_expected(m, n, alt[k], n, r1, r2, np),
		    alt[k], n, r1, r2, proof, np, "with another old size");
	}
	/* Other new sizes. */
	nalt = 0;
	alt[nalt++] = n - 1;
	alt[nalt++] = n + 1;
	if (n <= UINT64_MAX / 2)
		alt[nalt++] = n * 2;
	alt[nalt++] = n / 2;
	alt[nalt++] = m;
	alt[nalt++] = n + 1 + rng_below(rng, 1000);
	alt[nalt++] = TWO63;
	alt[nalt++] = UINT64_MAX;
	for (k = 0; k < nalt; k++) {
		if (alt[k] == n)
			continue;
		expect_cons(cons_expected(m, n, m, alt[k], r1, r2, np), m,
		    alt[k], r1, r2, proof, np, "with another new size");
	}
	/* Both sizes renumbered inside each aligned block that holds the
	 * old tree's last leaf. */
	for (j = 0; j < 64; j++) {
		a = (m - 1) & ~(((uint64_t)1 << j) - 1);
		n2 = n - a;
		if (n2 > (uint64_t)1 << j)
			n2 = (uint64_t)1 << j;
		if (a == 0 && n2 == n)
			continue;
		expect_cons(cons_expected(m, n, m - a, n2, r1, r2, np), m - a,
		    n2, r1, r2, proof, np, "renumbered in a subtree");
	}
	free(w);
}

/* -------------------------------------------- RFC 6962 known answers */

/* The inputs of the reference tree of eight leaves. */
static const char *const kat_leaves[8] = {
	"",
	"00",
	"10",
	"2021",
	"3031",
	"40414243",
	"5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

/* The roots of its first 0 .. 8 leaves. */
static const char *const kat_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* The published inclusion proofs; index is 0-based (the sources count
 * leaves from 1). */
static const struct {
	uint64_t index;
	uint64_t size;
	size_t n;
	const char *proof[3];
} kat_incl[] = {
	{ 0, 1, 0, { NULL } },
	{ 0, 8, 3, {
	    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	} },
	{ 5, 8, 3, {
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	} },
	{ 2, 3, 1, {
	    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	} },
	{ 1, 5, 3, {
	    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	} },
};

/* The published consistency proofs. */
static const struct {
	uint64_t m;
	uint64_t n;
	size_t np;
	const char *proof[3];
} kat_cons[] = {
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, {
	    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	} },
	{ 6, 8, 3, {
	    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	} },
	{ 2, 5, 2, {
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	} },
	{ 6, 7, 3, {
	    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	} },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The leaf hashes of the reference tree, by the module's leaf hash. */
static void
kat_leaf_hashes(struct reg_hash lh[8])
{
	uint8_t buf[16];
	size_t i, n;

	for (i = 0; i < 8; i++) {
		n = unhex(kat_leaves[i], buf, sizeof(buf));
		reg_merkle_leaf_hash(buf, n, &lh[i]);
	}
}

/* Storage of the reference tree: subtrees from its leaf hashes. */
static struct reg_hash kat_lh[8];

static void
fetch_kat(const struct reg__subtree *st, uint64_t size, struct reg_hash *out)
{
	REQUIRE_UINT(st->level, <, 4);
	REQUIRE_UINT(st->index, <, size >> st->level);
	ref_mth(kat_lh + (st->index << st->level), (uint64_t)1 << st->level,
	    out);
}

START_TEST(test_kat_hashes)
{
	struct reg_hash want, got, lh[8];

	/* The empty leaf's hash is the root of the one-leaf tree. */
	hash_hex(kat_roots[1], &want);
	reg_merkle_leaf_hash("", 0, &got);
	REQUIRE(hash_eq(&got, &want));
	reg_merkle_leaf_hash(NULL, 0, &got);
	REQUIRE(hash_eq(&got, &want));
	/* Two leaves make the root of the two-leaf tree. */
	kat_leaf_hashes(lh);
	hash_hex(kat_roots[2], &want);
	reg_merkle_node_hash(&lh[0], &lh[1], &got);
	REQUIRE(hash_eq(&got, &want));
	/* The node hash may write over its inputs. */
	got = lh[0];
	reg_merkle_node_hash(&got, &lh[1], &got);
	REQUIRE(hash_eq(&got, &want));
	got = lh[1];
	reg_merkle_node_hash(&lh[0], &got, &got);
	REQUIRE(hash_eq(&got, &want));
	/* The test's own hashing agrees. */
	t_leaf("", 0, &got);
	REQUIRE(hash_eq(&got, &lh[0]));
	t_node(&lh[0], &lh[1], &got);
	REQUIRE(hash_eq(&got, &want));
}
END_TEST

/* The published root of every size 0 .. 8, four ways. */
START_TEST(test_kat_roots)
{
	struct reg__frontier f;
	struct reg__plan *p;
	struct reg_hash want, got, nodes[REG_MERKLE_MAX_LEVEL];
	reg_error err = REG_ERROR_INIT;
	uint64_t size = (uint64_t)_i, i;

	kat_leaf_hashes(kat_lh);
	hash_hex(kat_roots[size], &want);
	/* The reference implementation. */
	ref_mth(kat_lh, size, &got);
	REQUIRE(hash_eq(&got, &want));
	/* The frontier. */
	reg__frontier_init(&f);
	for (i = 0; i < size; i++)
		REQUIRE_INT(reg__frontier_append(&f, &kat_lh[i], nodes), >=,
		    1);
	REQUIRE_UINT(f.size, ==, size);
	reg__frontier_root(&f, &got);
	REQUIRE(hash_eq(&got, &want));
	/* The root plan. */
	p = plan_new();
	if (size == 0) {
		REQUIRE_INT(reg__plan_root(size, p, &err), ==, REG_ERANGE);
		REQUIRE_INT(err.code, ==, REG_ERANGE);
	} else {
		REQUIRE_INT(reg__plan_root(size, p, &err), ==, 0);
		REQUIRE_UINT(p->nelems, ==, 1);
		run_plan(p, size, fetch_kat, &got);
		REQUIRE(hash_eq(&got, &want));
	}
	free(p);
}
END_TEST

START_TEST(test_kat_inclusion)
{
	struct reg__plan *p;
	struct reg_hash proof[3], made[REG_PLAN_MAX_ELEMS], ref[REF_MAX];
	struct reg_hash root;
	struct rref r[REF_MAX];
	reg_error err = REG_ERROR_INIT;
	uint64_t rng = 1;
	size_t i, n, nr;

	kat_leaf_hashes(kat_lh);
	n = kat_incl[_i].n;
	for (i = 0; i < n; i++)
		hash_hex(kat_incl[_i].proof[i], &proof[i]);
	hash_hex(kat_roots[kat_incl[_i].size], &root);

	/* The reference gives the published proof. */
	nr = ref_inclusion(kat_incl[_i].index, kat_incl[_i].size, r);
	REQUIRE_UINT(nr, ==, n);
	ref_hashes(kat_lh, r, nr, ref);
	for (i = 0; i < n; i++)
		REQUIRE(hash_eq(&ref[i], &proof[i]));
	/* So does the module's plan. */
	p = plan_new();
	REQUIRE_INT(reg__plan_inclusion(kat_incl[_i].index,
	    kat_incl[_i].size, p, &err), ==, 0);
	check_plan_ranges(p, r, nr);
	run_plan(p, kat_incl[_i].size, fetch_kat, made);
	for (i = 0; i < n; i++)
		REQUIRE(hash_eq(&made[i], &proof[i]));
	free(p);
	/* It verifies, and no mutation of it does. */
	check_inclusion_mutations(kat_incl[_i].index, kat_incl[_i].size,
	    &kat_lh[kat_incl[_i].index], proof, n, &root, FLIP_ALL, 0, &rng);
}
END_TEST

START_TEST(test_kat_consistency)
{
	struct reg__plan *p;
	struct reg_hash proof[3], made[REG_PLAN_MAX_ELEMS], ref[REF_MAX];
	struct reg_hash r1, r2;
	struct rref r[REF_MAX];
	reg_error err = REG_ERROR_INIT;
	uint64_t rng = 2;
	size_t i, n, nr;

	kat_leaf_hashes(kat_lh);
	n = kat_cons[_i].np;
	for (i = 0; i < n; i++)
		hash_hex(kat_cons[_i].proof[i], &proof[i]);
	hash_hex(kat_roots[kat_cons[_i].m], &r1);
	hash_hex(kat_roots[kat_cons[_i].n], &r2);

	nr = ref_consistency(kat_cons[_i].m, kat_cons[_i].n, r);
	REQUIRE_UINT(nr, ==, n);
	ref_hashes(kat_lh, r, nr, ref);
	for (i = 0; i < n; i++)
		REQUIRE(hash_eq(&ref[i], &proof[i]));
	p = plan_new();
	REQUIRE_INT(reg__plan_consistency(kat_cons[_i].m,
	    kat_cons[_i].n, p, &err), ==, 0);
	check_plan_ranges(p, r, nr);
	run_plan(p, kat_cons[_i].n, fetch_kat, made);
	for (i = 0; i < n; i++)
		REQUIRE(hash_eq(&made[i], &proof[i]));
	free(p);
	check_consistency_mutations(kat_cons[_i].m, kat_cons[_i].n, &r1, &r2,
	    proof, n, FLIP_ALL, &rng);
}
END_TEST

/* Sizes and proofs that are always consistent, or never. */
START_TEST(test_kat_consistency_trivial)
{
	struct reg_hash r1, r2, e;
	reg_error err = REG_ERROR_INIT;

	hash_hex(kat_roots[1], &r1);
	hash_hex(kat_roots[2], &r2);
	hash_hex(kat_roots[0], &e);
	/* A tree is consistent with itself with an empty proof only. */
	expect_cons(0, 1, 1, &r1, &r1, NULL, 0, "same tree");
	expect_cons(REG_EVERIFY, 1, 1, &r1, &r2, NULL, 0, "same size");
	expect_cons(REG_EVERIFY, 1, 1, &r1, &r1, &e, 1, "same tree, proof");
	expect_cons(REG_EVERIFY, 2, 2, &r2, &r2, &r1, 1, "same tree, proof");
	/* A proof between different sizes is never empty, whether or not
	 * the verifier starts from the old root. */
	expect_cons(REG_EVERIFY, 1, 2, &r1, &r2, NULL, 0, "empty proof");
	expect_cons(REG_EVERIFY, 3, 4, &r1, &r2, NULL, 0, "empty proof");
	expect_cons(REG_EVERIFY, 6, 8, &r1, &r2, NULL, 0, "empty proof");
	expect_cons(REG_EVERIFY, 3, 4, &r1, &r2, &e, 0, "empty proof");
	/* Sizes out of order. */
	expect_cons(REG_ERANGE, 0, 0, &e, &e, NULL, 0, "from 0 to 0");
	expect_cons(REG_ERANGE, 0, 1, &e, &r1, NULL, 0, "from 0 to 1");
	expect_cons(REG_ERANGE, 2, 1, &r2, &r1, NULL, 0, "from 2 to 1");
	/* The first failure is kept. */
	REQUIRE_INT(reg_merkle_verify_consistency(2, 1, &r2, &r1, NULL,
	    0, &err), ==, REG_ERANGE);
	REQUIRE_INT(reg_merkle_verify_consistency(1, 2, &r1, &r2, NULL,
	    0, &err), ==, REG_EVERIFY);
	REQUIRE_INT(err.code, ==, REG_ERANGE);
	REQUIRE(strlen(err.message) > 0);
}
END_TEST

/* -------------------------------------- the frontier and the reference */

/* The nodes reg__frontier_append() returns are the subtrees' hashes. */
START_TEST(test_frontier_nodes)
{
	struct reg__frontier f;
	struct reg_hash nodes[REG_MERKLE_MAX_LEVEL], want;
	uint64_t i, ones;
	int c, j;

	REQUIRE(world_ok);
	reg__frontier_init(&f);
	REQUIRE_UINT(f.size, ==, 0);
	REQUIRE_INT(f.count, ==, 0);
	for (i = 0; i < NMAX; i++) {
		c = reg__frontier_append(&f, &leaves[i], nodes);
		for (ones = 0; (i >> ones) & 1; ones++)
			;
		REQUIRE_INT(c, ==, (int)ones + 1);
		REQUIRE_UINT(f.size, ==, i + 1);
		REQUIRE_INT(f.count, ==, one_bits(i + 1));
		for (j = 0; j < c; j++) {
			ref_mth(leaves + ((i >> j) << j), (uint64_t)1 << j,
			    &want);
			REQUIRE_MSG(hash_eq(&nodes[j], &want),
			    "leaf %llu: node of level %d wrong",
			    (unsigned long long)i, j);
			REQUIRE(hash_eq(&store[j][i >> j], &want));
		}
		/* The frontier names its subtrees, largest first. */
		REQUIRE_INT(f.st[f.count - 1].level, ==, c - 1);
		REQUIRE_UINT(f.st[f.count - 1].index, ==, i >> (c - 1));
		REQUIRE(hash_eq(&f.h[f.count - 1], &nodes[c - 1]));
	}
}
END_TEST

/* The frontier's root is the reference root at every size up to 512
 * (test_random_proofs checks random sizes up to NMAX). */
START_TEST(test_frontier_roots)
{
	struct reg__frontier f;
	struct reg_hash nodes[REG_MERKLE_MAX_LEVEL], want, got;
	uint64_t size;

	REQUIRE(world_ok);
	reg__frontier_init(&f);
	for (size = 0; size <= 512; size++) {
		if (size > 0)
			REQUIRE_INT(reg__frontier_append(&f,
			    &leaves[size - 1], nodes), >=, 1);
		ref_mth(leaves, size, &want);
		reg__frontier_root(&f, &got);
		REQUIRE_MSG(hash_eq(&got, &want), "size %llu",
		    (unsigned long long)size);
	}
}
END_TEST

/* ------------------------------------------------------ property test */

#define NLOOPS 30
#define CASES_PER_LOOP 10

/*
 * A random tree size up to NMAX, an index and an old size: the plans give
 * the reference proofs from both kinds of storage, the proofs verify, and
 * no mutation of them does.  Case c of NLOOPS * CASES_PER_LOOP.
 */
static void
random_case(unsigned c)
{
	struct reg__frontier f;
	struct reg__plan *p;
	struct reg_hash nodes[REG_MERKLE_MAX_LEVEL];
	struct reg_hash a[REG_PLAN_MAX_ELEMS], b[REG_PLAN_MAX_ELEMS];
	struct reg_hash ref[REF_MAX], root, oldroot, froot;
	struct rref r[REF_MAX];
	reg_error err = REG_ERROR_INIT;
	uint64_t rng = 0x5eed0000ULL + c;
	uint64_t size, index, old, i;
	size_t nr, k;
	int flip;

	/* Sizes spread over every power of two up to NMAX. */
	size = 1 + rng_below(&rng, (uint64_t)1 << rng_below(&rng, 13));
	index = rng_below(&rng, size);
	switch (rng_below(&rng, 4)) {
	case 0:
		old = size;
		break;
	case 1:
		old = (uint64_t)1 << rng_below(&rng, 13);
		if (old > size)
			old = size;
		break;
	default:
		old = 1 + rng_below(&rng, size);
		break;
	}
	/* Every bit of every hash for some cases, a few bits for the rest. */
	flip = c < 4 ? FLIP_ALL : FLIP_SOME;
	snprintf(where, sizeof(where), "case %u (size %llu, index %llu, "
	    "old size %llu): ", c, (unsigned long long)size,
	    (unsigned long long)index, (unsigned long long)old);

	/* The frontier's roots. */
	reg__frontier_init(&f);
	for (i = 0; i < size; i++) {
		REQUIRE_INT(reg__frontier_append(&f, &leaves[i], nodes), >=,
		    1);
		if (i + 1 == old)
			reg__frontier_root(&f, &froot);
	}
	ref_mth(leaves, old, &oldroot);
	REQUIRE(hash_eq(&froot, &oldroot));
	ref_mth(leaves, size, &root);
	reg__frontier_root(&f, &froot);
	REQUIRE(hash_eq(&froot, &root));

	p = plan_new();
	/* The root plan. */
	REQUIRE_INT(reg__plan_root(size, p, &err), ==, 0);
	run_plan(p, size, fetch_table, a);
	REQUIRE(hash_eq(&a[0], &root));

	/* Inclusion. */
	nr = ref_inclusion(index, size, r);
	ref_hashes(leaves, r, nr, ref);
	REQUIRE_INT(reg__plan_inclusion(index, size, p, &err), ==, 0);
	check_plan_ranges(p, r, nr);
	run_plan(p, size, fetch_table, a);
	run_plan(p, size, fetch_leaves, b);
	for (k = 0; k < nr; k++) {
		REQUIRE(hash_eq(&a[k], &ref[k]));
		REQUIRE(hash_eq(&b[k], &ref[k]));
	}
	check_inclusion_mutations(index, size, &leaves[index], a, nr, &root,
	    flip, 0, &rng);

	/* Consistency. */
	nr = ref_consistency(old, size, r);
	ref_hashes(leaves, r, nr, ref);
	REQUIRE_INT(reg__plan_consistency(old, size, p, &err), ==, 0);
	check_plan_ranges(p, r, nr);
	run_plan(p, size, fetch_table, a);
	run_plan(p, size, fetch_leaves, b);
	for (k = 0; k < nr; k++) {
		REQUIRE(hash_eq(&a[k], &ref[k]));
		REQUIRE(hash_eq(&b[k], &ref[k]));
	}
	check_consistency_mutations(old, size, &oldroot, &root, a, nr, flip,
	    &rng);
	free(p);
	REQUIRE_INT(err.code, ==, 0);
}

START_TEST(test_random_proofs)
{
	unsigned c;

	REQUIRE(world_ok);
	for (c = 0; c < CASES_PER_LOOP; c++)
		random_case((unsigned)_i * CASES_PER_LOOP + c);
}
END_TEST

/* ------------------------------------------------------------ huge trees */

#define HUGE_CASES 24
static const uint64_t huge_sizes[] = {
	TWO63 - 1, TWO63, TWO63 + 1, UINT64_MAX - 1, UINT64_MAX,
	((uint64_t)1 << 62) + 12345, 0xdeadbeefcafef00dULL,
};

/*
 * Proofs in trees of up to 2^64 - 1 identical leaves: the plans match the
 * reference, their hashes the reference's, and they verify; mutations
 * fail.  Loop over random sizes and the sizes above.
 */
START_TEST(test_huge_proofs)
{
	struct reg__plan *p;
	struct reg_hash made[REG_PLAN_MAX_ELEMS], ref[REF_MAX];
	struct reg_hash root, oldroot;
	struct rref r[REF_MAX];
	reg_error err = REG_ERROR_INIT;
	uint64_t rng = 0xb16b00b5ULL + (uint64_t)_i;
	uint64_t size, index, old;
	size_t nr, k;

	/* The sizes above, then random sizes of at least 2^62. */
	if ((size_t)_i < NELEM(huge_sizes))
		size = huge_sizes[_i];
	else
		size = rng_next(&rng) | TWO63 >> rng_below(&rng, 2);
	switch (rng_below(&rng, 3)) {
	case 0:
		index = size - 1;
		old = size - rng_below(&rng, 3);
		break;
	case 1:
		index = 0;
		old = 1;
		break;
	default:
		index = rng_below(&rng, size);
		old = 1 + rng_below(&rng, size);
		break;
	}
	if (old == 0)
		old = 1;
	snprintf(where, sizeof(where), "size %llu, index %llu, old size "
	    "%llu: ", (unsigned long long)size, (unsigned long long)index,
	    (unsigned long long)old);
	ref_mth_uniform(size, &root);
	ref_mth_uniform(old, &oldroot);
	p = plan_new();

	REQUIRE_INT(reg__plan_root(size, p, &err), ==, 0);
	REQUIRE_UINT(p->nnodes, ==, (size_t)one_bits(size));
	run_plan(p, size, fetch_uniform, made);
	REQUIRE(hash_eq(&made[0], &root));

	nr = ref_inclusion(index, size, r);
	REQUIRE_UINT(nr, <=, 64);
	for (k = 0; k < nr; k++)
		ref_mth_uniform(r[k].b - r[k].a, &ref[k]);
	REQUIRE_INT(reg__plan_inclusion(index, size, p, &err), ==, 0);
	check_plan_ranges(p, r, nr);
	run_plan(p, size, fetch_uniform, made);
	for (k = 0; k < nr; k++)
		REQUIRE(hash_eq(&made[k], &ref[k]));
	check_inclusion_mutations(index, size, &uni[0], made, nr, &root,
	    FLIP_SOME, 1, &rng);

	nr = ref_consistency(old, size, r);
	REQUIRE_UINT(nr, <=, 65);
	for (k = 0; k < nr; k++)
		ref_mth_uniform(r[k].b - r[k].a, &ref[k]);
	REQUIRE_INT(reg__plan_consistency(old, size, p, &err), ==, 0);
	check_plan_ranges(p, r, nr);
	run_plan(p, size, fetch_uniform, made);
	for (k = 0; k < nr; k++)
		REQUIRE(hash_eq(&made[k], &ref[k]));
	expect_cons(0, old, size, &oldroot, &root, made, nr, "huge");
	for (k = 0; k < nr; k++) {
		made[k].b[k % 32] ^= 0x40;
		expect_cons(REG_EVERIFY, old, size, &oldroot, &root, made, nr,
		    "huge, with a bit flipped");
		made[k].b[k % 32] ^= 0x40;
	}
	if (nr > 0)
		expect_cons(REG_EVERIFY, old, size, &oldroot, &root, made,
		    nr - 1, "huge, with the last hash dropped");
	free(p);
}
END_TEST

/* A frontier next to 2^63 and 2^64 leaves. */
START_TEST(test_huge_frontier)
{
	struct reg__frontier f;
	struct reg_hash nodes[REG_MERKLE_MAX_LEVEL], got, want;
	uint64_t start;
	int i, l;

	/* The frontier of 2^63 - 1 identical leaves: levels 62 .. 0. */
	reg__frontier_init(&f);
	f.size = TWO63 - 1;
	start = 0;
	for (i = 0, l = 62; l >= 0; i++, l--) {
		f.st[i].level = (uint8_t)l;
		f.st[i].index = start >> l;
		f.h[i] = uni[l];
		start += (uint64_t)1 << l;
	}
	f.count = 63;
	reg__frontier_root(&f, &got);
	ref_mth_uniform(TWO63 - 1, &want);
	REQUIRE(hash_eq(&got, &want));
	/* One more leaf completes the subtree of level 63. */
	REQUIRE_INT(reg__frontier_append(&f, &uni[0], nodes), ==, 64);
	for (l = 0; l < 64; l++)
		REQUIRE(hash_eq(&nodes[l], &uni[l]));
	REQUIRE_UINT(f.size, ==, TWO63);
	REQUIRE_INT(f.count, ==, 1);
	REQUIRE_INT(f.st[0].level, ==, 63);
	REQUIRE_UINT(f.st[0].index, ==, 0);
	reg__frontier_root(&f, &got);
	REQUIRE(hash_eq(&got, &uni[63]));

	/* The frontier of 2^64 - 1 leaves: full, refused, unchanged. */
	reg__frontier_init(&f);
	f.size = UINT64_MAX;
	start = 0;
	for (i = 0, l = 63; l >= 0; i++, l--) {
		f.st[i].level = (uint8_t)l;
		f.st[i].index = start >> l;
		f.h[i] = uni[l];
		start += (uint64_t)1 << l;
	}
	f.count = 64;
	reg__frontier_root(&f, &got);
	ref_mth_uniform(UINT64_MAX, &want);
	REQUIRE(hash_eq(&got, &want));
	REQUIRE_INT(reg__frontier_append(&f, &uni[0], nodes), ==, REG_ERANGE);
	REQUIRE_UINT(f.size, ==, UINT64_MAX);
	REQUIRE_INT(f.count, ==, 64);
	reg__frontier_root(&f, &got);
	REQUIRE(hash_eq(&got, &want));

	/* Frontiers that do not describe their size are refused. */
	reg__frontier_init(&f);
	f.size = 5;
	f.count = 1;
	REQUIRE_INT(reg__frontier_append(&f, &uni[0], nodes), ==, REG_EINVAL);
	f.count = 2;
	f.st[0].level = 2;
	f.st[0].index = 0;
	f.st[1].level = 0;
	f.st[1].index = 3;
	REQUIRE_INT(reg__frontier_append(&f, &uni[0], nodes), ==, REG_EINVAL);
	f.st[1].index = 4;
	REQUIRE_INT(reg__frontier_append(&f, &uni[0], nodes), ==, 2);
	f.count = -1;
	REQUIRE_INT(reg__frontier_append(&f, &uni[0], nodes), ==, REG_EINVAL);
	f.count = 65;
	REQUIRE_INT(reg__frontier_append(&f, &uni[0], nodes), ==, REG_EINVAL);
}
END_TEST

/* -------------------------------------------------------------- refusals */

START_TEST(test_plan_refusals)
{
	static const struct {
		uint64_t a;
		uint64_t b;
	} incl[] = {
		{ 0, 0 }, { 5, 5 }, { 6, 5 }, { TWO63, TWO63 },
		{ UINT64_MAX, UINT64_MAX }, { UINT64_MAX, 0 },
		{ UINT64_MAX, TWO63 },
	}, cons[] = {
		{ 0, 0 }, { 0, 5 }, { 6, 5 }, { TWO63 + 1, TWO63 },
		{ UINT64_MAX, UINT64_MAX - 1 }, { 0, UINT64_MAX },
		{ 1, 0 },
	};
	struct reg__plan *p;
	reg_error err;
	size_t i;

	p = plan_new();
	for (i = 0; i < NELEM(incl); i++) {
		reg_error_clear(&err);
		p->nelems = 7;
		REQUIRE_INT(reg__plan_inclusion(incl[i].a, incl[i].b, p,
		    &err), ==, REG_ERANGE);
		REQUIRE_INT(err.code, ==, REG_ERANGE);
		REQUIRE(strlen(err.message) > 0);
		REQUIRE_UINT(p->nelems, ==, 0);
		REQUIRE_UINT(p->nnodes, ==, 0);
	}
	for (i = 0; i < NELEM(cons); i++) {
		reg_error_clear(&err);
		p->nelems = 7;
		REQUIRE_INT(reg__plan_consistency(cons[i].a, cons[i].b, p,
		    &err), ==, REG_ERANGE);
		REQUIRE_INT(err.code, ==, REG_ERANGE);
		REQUIRE_UINT(p->nelems, ==, 0);
	}
	reg_error_clear(&err);
	REQUIRE_INT(reg__plan_root(0, p, &err), ==, REG_ERANGE);
	REQUIRE_INT(reg__plan_inclusion(0, 1, NULL, NULL), ==, REG_EINVAL);
	REQUIRE_INT(reg__plan_consistency(1, 1, NULL, NULL), ==, REG_EINVAL);
	REQUIRE_INT(reg__plan_root(1, NULL, NULL), ==, REG_EINVAL);
	/* Equal sizes need an empty proof, even huge ones. */
	REQUIRE_INT(reg__plan_consistency(5, 5, p, NULL), ==, 0);
	REQUIRE_UINT(p->nelems, ==, 0);
	REQUIRE_INT(reg__plan_consistency(UINT64_MAX, UINT64_MAX, p,
	    NULL), ==, 0);
	REQUIRE_UINT(p->nelems, ==, 0);
	/* One leaf: an empty inclusion proof, one root node. */
	REQUIRE_INT(reg__plan_inclusion(0, 1, p, NULL), ==, 0);
	REQUIRE_UINT(p->nelems, ==, 0);
	REQUIRE_INT(reg__plan_root(1, p, NULL), ==, 0);
	REQUIRE_UINT(p->nelems, ==, 1);
	REQUIRE_UINT(p->nnodes, ==, 1);
	/* The most hashes any plan needs. */
	REQUIRE_INT(reg__plan_inclusion(0, UINT64_MAX, p, NULL), ==, 0);
	REQUIRE_UINT(p->nelems, ==, 64);
	REQUIRE_UINT(p->nnodes, ==, 63 + 63);
	REQUIRE_INT(reg__plan_consistency(UINT64_MAX - 1, UINT64_MAX, p,
	    NULL), ==, 0);
	REQUIRE_UINT(p->nelems, <=, 65);
	free(p);
}
END_TEST

START_TEST(test_verify_refusals)
{
	struct reg_hash h, many[200];
	reg_error err;
	size_t i;

	memset(&h, 0x5a, sizeof(h));
	for (i = 0; i < NELEM(many); i++)
		memset(&many[i], (int)i, sizeof(many[i]));
	/* Indexes and sizes out of range. */
	expect_incl(REG_ERANGE, 0, 0, &h, NULL, 0, &h, "in no tree");
	expect_incl(REG_ERANGE, 1, 1, &h, NULL, 0, &h, "past the end");
	expect_incl(REG_ERANGE, 2, 1, &h, NULL, 0, &h, "past the end");
	expect_incl(REG_ERANGE, TWO63, TWO63, &h, many, 63, &h, "past 2^63");
	expect_incl(REG_ERANGE, UINT64_MAX, UINT64_MAX, &h, many, 64, &h,
	    "past 2^64 - 1");
	expect_cons(REG_ERANGE, UINT64_MAX, TWO63, &h, &h, many, 1,
	    "backwards");
	expect_cons(REG_ERANGE, 0, UINT64_MAX, &h, &h, many, 1, "from 0");
	/* One leaf: the leaf is the root and the proof is empty. */
	expect_incl(0, 0, 1, &h, NULL, 0, &h, "one leaf");
	expect_incl(REG_EVERIFY, 0, 1, &h, many, 1, &h, "one leaf, proof");
	/* Wrong lengths at huge sizes, and proofs far too long. */
	for (i = 0; i <= NELEM(many); i += 1 + i / 8) {
		expect_incl(REG_EVERIFY, TWO63 - 1, TWO63, &h, many, i, &h,
		    "huge");
		expect_incl(REG_EVERIFY, 0, UINT64_MAX, &h, many, i, &h,
		    "huge");
		expect_cons(REG_EVERIFY, TWO63 - 1, UINT64_MAX, &h, &h, many,
		    i, "huge");
		expect_cons(REG_EVERIFY, TWO63, TWO63 + 1, &h, &h, many, i,
		    "huge");
		expect_cons(REG_EVERIFY, 1, UINT64_MAX, &h, &h, many, i,
		    "huge");
	}
	/* Missing hashes are malformed input, not a failed proof. */
	reg_error_clear(&err);
	REQUIRE_INT(reg_merkle_verify_inclusion(0, 2, NULL, many, 1, &h,
	    &err), ==, REG_EINVAL);
	REQUIRE_INT(err.code, ==, REG_EINVAL);
	REQUIRE_INT(reg_merkle_verify_inclusion(0, 2, &h, NULL, 1, &h,
	    NULL), ==, REG_EINVAL);
	REQUIRE_INT(reg_merkle_verify_inclusion(0, 2, &h, many, 1, NULL,
	    NULL), ==, REG_EINVAL);
	REQUIRE_INT(reg_merkle_verify_consistency(1, 2, NULL, &h, many, 1,
	    NULL), ==, REG_EINVAL);
	REQUIRE_INT(reg_merkle_verify_consistency(1, 2, &h, NULL, many, 1,
	    NULL), ==, REG_EINVAL);
	REQUIRE_INT(reg_merkle_verify_consistency(1, 2, &h, &h, NULL, 1,
	    NULL), ==, REG_EINVAL);
}
END_TEST

START_TEST(test_decompose)
{
	struct reg__subtree st[REG_MERKLE_MAX_LEVEL];
	int n, i;

	/* Empty, reversed and misaligned ranges are refused. */
	REQUIRE_INT(reg__merkle_decompose(5, 5, st), ==, REG_EINVAL);
	REQUIRE_INT(reg__merkle_decompose(6, 5, st), ==, REG_EINVAL);
	REQUIRE_INT(reg__merkle_decompose(1, 4, st), ==, REG_EINVAL);
	REQUIRE_INT(reg__merkle_decompose(2, 6, st), ==, REG_EINVAL);
	REQUIRE_INT(reg__merkle_decompose(1, UINT64_MAX, st), ==, REG_EINVAL);
	/* Aligned ones decompose, largest first. */
	n = reg__merkle_decompose(4, 7, st);
	REQUIRE_INT(n, ==, 2);
	REQUIRE_INT(st[0].level, ==, 1);
	REQUIRE_UINT(st[0].index, ==, 2);
	REQUIRE_INT(st[1].level, ==, 0);
	REQUIRE_UINT(st[1].index, ==, 6);
	n = reg__merkle_decompose(8, 16, st);
	REQUIRE_INT(n, ==, 1);
	REQUIRE_INT(st[0].level, ==, 3);
	REQUIRE_UINT(st[0].index, ==, 1);
	/* The largest: 64 subtrees. */
	n = reg__merkle_decompose(0, UINT64_MAX, st);
	REQUIRE_INT(n, ==, 64);
	for (i = 0; i < 64; i++) {
		REQUIRE_INT(st[i].level, ==, 63 - i);
		REQUIRE_UINT(st[i].index, ==,
		    (UINT64_MAX >> (63 - i)) - 1);
	}
	n = reg__merkle_decompose(TWO63, UINT64_MAX, st);
	REQUIRE_INT(n, ==, 63);
	REQUIRE_INT(st[0].level, ==, 62);
	REQUIRE_UINT(st[0].index, ==, 2);
	REQUIRE_INT(st[62].level, ==, 0);
	REQUIRE_UINT(st[62].index, ==, UINT64_MAX - 1);
}
END_TEST

static Suite *
merkle_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("merkle");

	tc = tcase_create("known answers");
	tcase_add_test(tc, test_kat_hashes);
	tcase_add_loop_test(tc, test_kat_roots, 0, 9);
	tcase_add_loop_test(tc, test_kat_inclusion, 0, (int)NELEM(kat_incl));
	tcase_add_loop_test(tc, test_kat_consistency, 0, (int)NELEM(kat_cons));
	tcase_add_test(tc, test_kat_consistency_trivial);
	suite_add_tcase(s, tc);

	tc = tcase_create("reference");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_frontier_nodes);
	tcase_add_test(tc, test_frontier_roots);
	tcase_add_loop_test(tc, test_random_proofs, 0, NLOOPS);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_huge_proofs, 0, HUGE_CASES);
	tcase_add_test(tc, test_huge_frontier);
	tcase_add_test(tc, test_plan_refusals);
	tcase_add_test(tc, test_verify_refusals);
	tcase_add_test(tc, test_decompose);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	/* The children the runner forks inherit the tree built here. */
	build_world();
	sr = srunner_create(merkle_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
