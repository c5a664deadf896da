/*
 * RFC 6962 / RFC 9162 Merkle tree hashing, proof planning and proof
 * verification.  Nothing here touches storage: the log code asks for a
 * plan, fetches the complete subtrees the plan names, and hands their
 * hashes back to reg__plan_finish().
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "registry_int.h"
#include "merkle_int.h"

/* The one-byte prefixes that keep leaves and interior nodes apart. */
#define LEAF_PREFIX 0x00
#define NODE_PREFIX 0x01

/*
 * SHA-256 fetched once from the default provider: EVP_sha256() makes
 * OpenSSL look the implementation up again on every digest, which costs
 * more than the digest of a node.
 */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_fetched;

static void
sha256_fetch(void)
{
	sha256_fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* The SHA-256 implementation to use; never NULL. */
static const EVP_MD *
sha256_md(void)
{
	if (pthread_once(&sha256_once, sha256_fetch) != 0 ||
	    sha256_fetched == NULL)
		return EVP_sha256();
	return sha256_fetched;
}

/*
 * Hashes the concatenation of up to two buffers with SHA-256 into out.
 * Returns 0, or REG_ECRYPTO when OpenSSL fails (in practice, when it
 * cannot allocate).
 */
static int
sha256_two(const void *p1, size_t l1, const void *p2, size_t l2,
    struct reg_hash *out)
{
	EVP_MD_CTX *md = NULL;
	unsigned int outlen = 0;
	int r = REG_ECRYPTO;

	md = EVP_MD_CTX_new();
	if (md == NULL)
		goto out;
	if (EVP_DigestInit_ex(md, sha256_md(), NULL) != 1)
		goto out;
	if (l1 > 0 && EVP_DigestUpdate(md, p1, l1) != 1)
		goto out;
	if (l2 > 0 && EVP_DigestUpdate(md, p2, l2) != 1)
		goto out;
	if (EVP_DigestFinal_ex(md, out->b, &outlen) != 1 ||
	    outlen != sizeof(out->b))
		goto out;
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

/* SHA-256(0x00 || leaf); 0 or REG_ECRYPTO. */
static int
leaf_hash(const void *leaf, size_t len, struct reg_hash *out)
{
	static const uint8_t prefix = LEAF_PREFIX;

	return sha256_two(&prefix, 1, leaf, len, out);
}

/*
 * SHA-256(0x01 || left || right); 0 or REG_ECRYPTO.  out may be the same
 * object as left or right.
 */
static int
node_hash(const struct reg_hash *left, const struct reg_hash *right,
    struct reg_hash *out)
{
	uint8_t buf[1 + 2 * sizeof(left->b)];
	unsigned int outlen = 0;

	buf[0] = NODE_PREFIX;
	memcpy(buf + 1, left->b, sizeof(left->b));
	memcpy(buf + 1 + sizeof(left->b), right->b, sizeof(right->b));
	if (EVP_Digest(buf, sizeof(buf), out->b, &outlen, sha256_md(),
	    NULL) != 1 || outlen != sizeof(out->b))
		return REG_ECRYPTO;
	return 0;
}

/* SHA-256 of the empty string, the root of the empty tree. */
static int
empty_root(struct reg_hash *out)
{
	return sha256_two(NULL, 0, NULL, 0, out);
}

void
reg_merkle_leaf_hash(const void *leaf, size_t len, struct reg_hash *out)
{
	int r;

	/*
	 * The signature leaves no way to report a failure, and a wrong hash
	 * would corrupt the log, so OpenSSL failing here is fatal.
	 */
	r = leaf_hash(leaf, len, out);
	REG_ASSERT(r == 0);
}

int
reg_merkle_leaf_hash_r(const void *leaf, size_t len, struct reg_hash *out)
{
	return leaf_hash(leaf, len, out);
}

void
reg_merkle_node_hash(const struct reg_hash *left,
    const struct reg_hash *right, struct reg_hash *out)
{
	int r;

	/* As above: no way to report, and no wrong hash may escape. */
	r = node_hash(left, right, out);
	REG_ASSERT(r == 0);
}

/* Whether two hashes are equal, in time that does not depend on where
 * they differ. */
static int
hash_equal(const struct reg_hash *a, const struct reg_hash *b)
{
	return CRYPTO_memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

/* The index of the highest one bit of v, which must not be 0. */
static int
highest_bit(uint64_t v)
{
#if defined(__GNUC__)
	return 63 - __builtin_clzll(v);
#else
	int i = 0;

	while (v >>= 1)
		i++;
	return i;
#endif
}

/* The largest power of two strictly below n, for n >= 2 (RFC 6962 "k"). */
static uint64_t
split_point(uint64_t n)
{
	return (uint64_t)1 << highest_bit(n - 1);
}

/* The number of one bits in v. */
static int
one_bits(uint64_t v)
{
	int n = 0;

	while (v != 0) {
		v &= v - 1;
		n++;
	}
	return n;
}

/* The largest power of two not above n, for n >= 1. */
static uint64_t
floor_pow2(uint64_t n)
{
	return (uint64_t)1 << highest_bit(n);
}

int
reg__merkle_decompose(uint64_t a, uint64_t b,
    struct reg__subtree out[REG_MERKLE_MAX_LEVEL])
{
	uint64_t size;
	int level, n = 0;

	/*
	 * The range must be non-empty and begin on a multiple of the largest
	 * power of two that fits in it; then each step below takes the
	 * largest power of two that fits in what is left, that power divides
	 * the start, and the sizes strictly decrease.  Anything else is a
	 * caller's mistake, refused rather than decomposed some other way.
	 */
	if (a >= b || (a & (floor_pow2(b - a) - 1)) != 0)
		return REG_EINVAL;
	while (a < b) {
		level = highest_bit(b - a);
		size = (uint64_t)1 << level;
		/* Strictly decreasing levels below 64 cannot exceed 64 entries. */
		REG_ASSERT(n < REG_MERKLE_MAX_LEVEL);
		out[n].level = (uint8_t)level;
		out[n].index = a >> level;
		n++;
		a += size;
	}
	return n;
}

void
reg__frontier_init(struct reg__frontier *f)
{
	memset(f, 0, sizeof(*f));
}

/*
 * Whether f is the frontier of a tree of f->size leaves: one subtree per
 * one bit of the size, largest first, each starting where the previous
 * one ends.  A frontier rebuilt from storage may not be.
 */
static int
frontier_valid(const struct reg__frontier *f)
{
	uint64_t start = 0;
	int i, level;

	if (f->count < 0 || f->count > REG_MERKLE_MAX_LEVEL ||
	    f->count != one_bits(f->size))
		return 0;
	for (i = 0; i < f->count; i++) {
		level = highest_bit(f->size - start);
		if (f->st[i].level != level || f->st[i].index != start >> level)
			return 0;
		start += (uint64_t)1 << level;
	}
	return 1;
}

int
reg__frontier_append(struct reg__frontier *f, const struct reg_hash *leaf,
    struct reg_hash nodes[REG_MERKLE_MAX_LEVEL])
{
	struct reg_hash h;
	uint64_t index;
	int c = 0, r;

	if (!frontier_valid(f))
		return REG_EINVAL;
	/*
	 * A frontier of 2^64 - 1 leaves already holds 64 subtrees, and the
	 * next leaf would overflow both the size and the arrays.
	 */
	if (f->size == UINT64_MAX)
		return REG_ERANGE;
	index = f->size;
	h = *leaf;
	nodes[0] = h;
	/*
	 * Each trailing one bit of the new leaf's index is a complete
	 * subtree at the end of the frontier that the new one pairs with;
	 * the frontier is valid, so they are there, of the expected levels.
	 * The frontier changes only once every hash is made.
	 */
	while ((index >> c) & 1) {
		r = node_hash(&f->h[f->count - 1 - c], &h, &h);
		if (r != 0)
			return r;
		c++;
		nodes[c] = h;
	}
	f->count -= c;
	f->st[f->count].level = (uint8_t)c;
	f->st[f->count].index = index >> c;
	f->h[f->count] = h;
	f->count++;
	f->size++;
	return c + 1;
}

void
reg__frontier_root(const struct reg__frontier *f, struct reg_hash *root)
{
	struct reg_hash h;
	int i, r;

	if (f->count == 0) {
		r = empty_root(root);
		REG_ASSERT(r == 0);
		return;
	}
	REG_ASSERT(f->count > 0 && f->count <= REG_MERKLE_MAX_LEVEL);
	h = f->h[f->count - 1];
	for (i = f->count - 2; i >= 0; i--) {
		r = node_hash(&f->h[i], &h, &h);
		REG_ASSERT(r == 0);
	}
	*root = h;
}

/* Empties a plan. */
static void
plan_reset(struct reg__plan *p)
{
	p->nnodes = 0;
	p->nelems = 0;
}

/* A range of leaves [a, b) whose hash is one proof element. */
struct range {
	uint64_t a;
	uint64_t b;
};

/*
 * Appends to p, in reverse order, the proof elements whose ranges are
 * r[0 .. n - 1]: the proofs are found from the root downwards but list
 * the deepest element first.
 */
static int
plan_add_reversed(struct reg__plan *p, const struct range *r, size_t n,
    reg_error *err)
{
	struct reg__subtree st[REG_MERKLE_MAX_LEVEL];
	size_t i;
	int c;

	for (i = n; i-- > 0; ) {
		if (p->nelems >= REG_PLAN_MAX_ELEMS)
			return reg__fail(err, REG_EINTERNAL,
			    "proof plan over %d elements", REG_PLAN_MAX_ELEMS);
		c = reg__merkle_decompose(r[i].a, r[i].b, st);
		if (c <= 0)
			return reg__fail(err, REG_EINTERNAL,
			    "proof range [%llu, %llu) does not decompose",
			    (unsigned long long)r[i].a,
			    (unsigned long long)r[i].b);
		if ((size_t)c > REG_PLAN_MAX_NODES - p->nnodes)
			return reg__fail(err, REG_EINTERNAL,
			    "proof plan over %d nodes", REG_PLAN_MAX_NODES);
		p->elem_start[p->nelems] = p->nnodes;
		p->elem_count[p->nelems] = (size_t)c;
		memcpy(&p->nodes[p->nnodes], st, (size_t)c * sizeof(st[0]));
		p->nnodes += (size_t)c;
		p->nelems++;
	}
	return 0;
}

int
reg__plan_inclusion(uint64_t index, uint64_t size, struct reg__plan *p,
    reg_error *err)
{
	struct range r[REG_PLAN_MAX_ELEMS];
	uint64_t lo, hi, k;
	size_t n = 0;
	int ret;

	if (p == NULL)
		return reg__fail(err, REG_EINVAL, "no plan to fill");
	plan_reset(p);
	if (index >= size)
		return reg__fail(err, REG_ERANGE,
		    "leaf index %llu not below tree size %llu",
		    (unsigned long long)index, (unsigned long long)size);
	/*
	 * RFC 9162 2.1.3.1 PATH(m, D[n]), unrolled: descend from the root
	 * towards the leaf, taking at each level the hash of the other side.
	 * The range [lo, hi) always holds the leaf, so lo + k <= hi cannot
	 * overflow, and every level halves it: at most 64 steps.
	 */
	lo = 0;
	hi = size;
	while (hi - lo > 1) {
		if (n >= REG_PLAN_MAX_ELEMS)
			return reg__fail(err, REG_EINTERNAL,
			    "inclusion proof over %d elements",
			    REG_PLAN_MAX_ELEMS);
		k = split_point(hi - lo);
		if (index < lo + k) {
			r[n].a = lo + k;
			r[n].b = hi;
			hi = lo + k;
		} else {
			r[n].a = lo;
			r[n].b = lo + k;
			lo = lo + k;
		}
		n++;
	}
	ret = plan_add_reversed(p, r, n, err);
	if (ret != 0)
		plan_reset(p);
	return ret;
}

int
reg__plan_consistency(uint64_t old_size, uint64_t new_size,
    struct reg__plan *p, reg_error *err)
{
	struct range r[REG_PLAN_MAX_ELEMS];
	uint64_t lo, hi, k;
	size_t n = 0;
	int whole_old = 1, ret;

	if (p == NULL)
		return reg__fail(err, REG_EINVAL, "no plan to fill");
	plan_reset(p);
	if (old_size == 0 || old_size > new_size)
		return reg__fail(err, REG_ERANGE,
		    "no consistency proof from size %llu to size %llu",
		    (unsigned long long)old_size,
		    (unsigned long long)new_size);
	/*
	 * RFC 9162 2.1.4.1 SUBPROOF(m, D[n], b), unrolled.  The range
	 * [lo, hi) is the current subtree; old_size is an absolute boundary
	 * with lo < old_size <= hi throughout.  whole_old is b: true while
	 * the current subtree still holds the whole old tree, whose root the
	 * verifier already has.
	 */
	lo = 0;
	hi = new_size;
	for (;;) {
		if (n >= REG_PLAN_MAX_ELEMS)
			return reg__fail(err, REG_EINTERNAL,
			    "consistency proof over %d elements",
			    REG_PLAN_MAX_ELEMS);
		if (hi == old_size) {
			if (!whole_old) {
				r[n].a = lo;
				r[n].b = hi;
				n++;
			}
			break;
		}
		k = split_point(hi - lo);
		if (old_size - lo <= k) {
			r[n].a = lo + k;
			r[n].b = hi;
			hi = lo + k;
		} else {
			r[n].a = lo;
			r[n].b = lo + k;
			lo = lo + k;
			whole_old = 0;
		}
		n++;
	}
	ret = plan_add_reversed(p, r, n, err);
	if (ret != 0)
		plan_reset(p);
	return ret;
}

int
reg__plan_root(uint64_t size, struct reg__plan *p, reg_error *err)
{
	struct range r;
	int ret;

	if (p == NULL)
		return reg__fail(err, REG_EINVAL, "no plan to fill");
	plan_reset(p);
	if (size == 0)
		return reg__fail(err, REG_ERANGE,
		    "the empty tree's root needs no plan");
	r.a = 0;
	r.b = size;
	ret = plan_add_reversed(p, &r, 1, err);
	if (ret != 0)
		plan_reset(p);
	return ret;
}

void
reg__plan_finish(const struct reg__plan *p,
    const struct reg_hash *node_hashes, struct reg_hash *out)
{
	struct reg_hash h;
	size_t e, i, start, count;
	int r;

	REG_ASSERT(p->nelems <= REG_PLAN_MAX_ELEMS);
	REG_ASSERT(p->nnodes <= REG_PLAN_MAX_NODES);
	for (e = 0; e < p->nelems; e++) {
		start = p->elem_start[e];
		count = p->elem_count[e];
		REG_ASSERT(count > 0 && start < p->nnodes &&
		    count <= p->nnodes - start);
		/* Fold from the right: the smallest subtree is deepest. */
		h = node_hashes[start + count - 1];
		for (i = count - 1; i-- > 0; ) {
			r = node_hash(&node_hashes[start + i], &h, &h);
			REG_ASSERT(r == 0);
		}
		out[e] = h;
	}
}

int
reg_merkle_verify_inclusion(uint64_t index, uint64_t size,
    const struct reg_hash *leaf_hash, const struct reg_hash *proof,
    size_t nproof, const struct reg_hash *root, reg_error *err)
{
	struct reg_hash h;
	uint64_t fn, sn;
	size_t i;
	int r;

	if (leaf_hash == NULL || root == NULL || (proof == NULL && nproof > 0))
		return reg__fail(err, REG_EINVAL,
		    "inclusion proof verification without its hashes");
	/* RFC 9162 2.1.3.2, step 1. */
	if (index >= size)
		return reg__fail(err, REG_ERANGE,
		    "leaf index %llu not below tree size %llu",
		    (unsigned long long)index, (unsigned long long)size);
	/* Steps 2 and 3. */
	fn = index;
	sn = size - 1;
	h = *leaf_hash;
	/* Step 4. */
	for (i = 0; i < nproof; i++) {
		/* 4a: a proof longer than the path. */
		if (sn == 0)
			return reg__fail(err, REG_EVERIFY,
			    "inclusion proof of %zu hashes too long for leaf "
			    "%llu of %llu", nproof, (unsigned long long)index,
			    (unsigned long long)size);
		/* 4b. */
		if ((fn & 1) != 0 || fn == sn) {
			r = node_hash(&proof[i], &h, &h);
			if (r != 0)
				return reg__fail(err, r, "cannot compute SHA-256");
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			r = node_hash(&h, &proof[i], &h);
			if (r != 0)
				return reg__fail(err, r, "cannot compute SHA-256");
		}
		/* 4c. */
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 5. */
	if (sn != 0)
		return reg__fail(err, REG_EVERIFY,
		    "inclusion proof of %zu hashes too short for leaf %llu "
		    "of %llu", nproof, (unsigned long long)index,
		    (unsigned long long)size);
	if (!hash_equal(&h, root))
		return reg__fail(err, REG_EVERIFY,
		    "inclusion proof for leaf %llu of %llu does not lead to "
		    "the root", (unsigned long long)index,
		    (unsigned long long)size);
	return 0;
}

/* The arguments of a consistency proof: both roots, the proof's hashes,
 * and sizes 0 < old_size <= new_size. */
static int
consistency_args(uint64_t old_size, uint64_t new_size,
    const struct reg_hash *old_root, const struct reg_hash *new_root,
    const struct reg_hash *proof, size_t nproof, reg_error *err)
{
	if (old_root == NULL || new_root == NULL ||
	    (proof == NULL && nproof > 0))
		return reg__fail(err, REG_EINVAL,
		    "consistency proof verification without its hashes");
	if (old_size == 0 || old_size > new_size)
		return reg__fail(err, REG_ERANGE,
		    "no consistency proof from size %llu to size %llu",
		    (unsigned long long)old_size,
		    (unsigned long long)new_size);
	return 0;
}

/* A tree is consistent with itself only: same root, empty proof. */
static int
consistency_same_size(uint64_t size, const struct reg_hash *old_root,
    const struct reg_hash *new_root, size_t nproof, reg_error *err)
{
	if (nproof != 0)
		return reg__fail(err, REG_EVERIFY,
		    "consistency proof between equal sizes not empty");
	if (!hash_equal(old_root, new_root))
		return reg__fail(err, REG_EVERIFY,
		    "two different roots for size %llu",
		    (unsigned long long)size);
	return 0;
}

/*
 * RFC 9162 2.1.4.2, steps 1 to 7 for old_size < new_size: walks the proof
 * and sets *fr and *sr to the old and the new root it leads to.  The rest
 * of step 7, comparing them with the roots given, is the caller's.
 */
static int
consistency_path(uint64_t old_size, uint64_t new_size,
    const struct reg_hash *old_root, const struct reg_hash *proof,
    size_t nproof, struct reg_hash *fr, struct reg_hash *sr, reg_error *err)
{
	const struct reg_hash *c;
	uint64_t fn, sn;
	size_t i;
	int r;

	/* Step 1. */
	if (nproof == 0)
		return reg__fail(err, REG_EVERIFY,
		    "empty consistency proof from size %llu to size %llu",
		    (unsigned long long)old_size,
		    (unsigned long long)new_size);
	/*
	 * Step 2: when old_size is a power of two the path starts with the
	 * old root; instead of copying the proof, i is where the rest of the
	 * path starts.
	 */
	if ((old_size & (old_size - 1)) == 0) {
		*fr = *old_root;
		i = 0;
	} else {
		*fr = proof[0];
		i = 1;
	}
	/* Step 3. */
	fn = old_size - 1;
	sn = new_size - 1;
	/* Step 4. */
	while ((fn & 1) != 0) {
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 5. */
	*sr = *fr;
	/* Step 6. */
	for (; i < nproof; i++) {
		c = &proof[i];
		/* 6a: a proof longer than the path. */
		if (sn == 0)
			return reg__fail(err, REG_EVERIFY,
			    "consistency proof of %zu hashes too long from "
			    "size %llu to size %llu", nproof,
			    (unsigned long long)old_size,
			    (unsigned long long)new_size);
		/* 6b. */
		if ((fn & 1) != 0 || fn == sn) {
			r = node_hash(c, fr, fr);
			if (r == 0)
				r = node_hash(c, sr, sr);
			if (r != 0)
				return reg__fail(err, r, "cannot compute SHA-256");
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			r = node_hash(sr, c, sr);
			if (r != 0)
				return reg__fail(err, r, "cannot compute SHA-256");
		}
		/* 6c. */
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 7: the path used up. */
	if (sn != 0)
		return reg__fail(err, REG_EVERIFY,
		    "consistency proof of %zu hashes too short from size %llu "
		    "to size %llu", nproof, (unsigned long long)old_size,
		    (unsigned long long)new_size);
	return 0;
}

int
reg_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
    const struct reg_hash *old_root, const struct reg_hash *new_root,
    const struct reg_hash *proof, size_t nproof, reg_error *err)
{
	struct reg_hash fr, sr;
	int r;

	if ((r = consistency_args(old_size, new_size, old_root, new_root,
	    proof, nproof, err)) != 0)
		return r;
	if (old_size == new_size)
		return consistency_same_size(old_size, old_root, new_root,
		    nproof, err);
	if ((r = consistency_path(old_size, new_size, old_root, proof, nproof,
	    &fr, &sr, err)) != 0)
		return r;
	/* Step 7: the roots the path leads to. */
	if (!hash_equal(&fr, old_root))
		return reg__fail(err, REG_EVERIFY,
		    "consistency proof does not lead to the old root of "
		    "size %llu", (unsigned long long)old_size);
	if (!hash_equal(&sr, new_root))
		return reg__fail(err, REG_EVERIFY,
		    "consistency proof does not lead to the new root of "
		    "size %llu", (unsigned long long)new_size);
	return 0;
}
