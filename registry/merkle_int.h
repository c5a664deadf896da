/*
 * RFC 6962 / RFC 9162 Merkle tree computations that do not touch storage.
 *
 * Storage keeps the hash of every complete subtree: the subtree of level l
 * and index k covers leaves [k * 2^l, (k + 1) * 2^l).  Every range that an
 * RFC 9162 proof needs the hash of is [a, b) with a aligned to the largest
 * power of two not above b - a, so it splits into complete subtrees of
 * strictly decreasing size, left to right; its hash is their fold from the
 * right: h = s_last; h = node(s_i, h) for i from last - 1 down to 0.
 */
#ifndef REGISTRY_MERKLE_INT_H
#define REGISTRY_MERKLE_INT_H


#if !defined(REG_PART_REGISTRY) && !defined(REG_WHITEBOX)
#error "merkle_int.h is internal to registry/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"

#define REG_MERKLE_MAX_LEVEL 64

/* A complete subtree. */
struct reg__subtree {
	uint8_t level;
	uint64_t index;
};

/*
 * The frontier of a tree of size leaves: the complete subtrees that
 * decompose [0, size), largest first, with their hashes.
 */
struct reg__frontier {
	uint64_t size;
	int count;
	struct reg__subtree st[REG_MERKLE_MAX_LEVEL];
	struct reg_hash h[REG_MERKLE_MAX_LEVEL];
};

/*
 * Decomposes [a, b) (a < b, a aligned as described above, or a == 0) into
 * complete subtrees, largest first.  Returns how many (at most 64).
 */
int reg__merkle_decompose(uint64_t a, uint64_t b,
    struct reg__subtree out[REG_MERKLE_MAX_LEVEL]);

/* An empty frontier (size 0). */
void reg__frontier_init(struct reg__frontier *f);

/*
 * Appends a leaf hash.  nodes[0] receives the leaf hash itself and
 * nodes[1..c] the hashes of the complete subtrees of levels 1..c that the
 * leaf completes (c = number of trailing one bits of the new leaf's index);
 * returns c + 1, the number of hashes written.
 */
int reg__frontier_append(struct reg__frontier *f, const struct reg_hash *leaf,
    struct reg_hash nodes[REG_MERKLE_MAX_LEVEL]);

/* The root of the frontier's tree; the empty tree's root is SHA-256(""). */
void reg__frontier_root(const struct reg__frontier *f, struct reg_hash *root);

/*
 * A proof plan: the complete subtrees whose hashes a proof needs, grouped
 * into proof elements.  Element i's hash is the right fold of
 * nodes[elem_start[i] .. elem_start[i] + elem_count[i] - 1].
 */
#define REG_PLAN_MAX_NODES 256
#define REG_PLAN_MAX_ELEMS 128
struct reg__plan {
	size_t nnodes;
	struct reg__subtree nodes[REG_PLAN_MAX_NODES];
	size_t nelems;
	size_t elem_start[REG_PLAN_MAX_ELEMS];
	size_t elem_count[REG_PLAN_MAX_ELEMS];
};

/* Plans the inclusion proof of leaf index in the tree of size leaves
 * (RFC 9162 2.1.3.1).  REG_ERANGE when index >= size. */
int reg__plan_inclusion(uint64_t index, uint64_t size, struct reg__plan *p,
    reg_error *err);

/* Plans the consistency proof from old_size to new_size (RFC 9162 2.1.4.1).
 * REG_ERANGE unless 0 < old_size <= new_size. */
int reg__plan_consistency(uint64_t old_size, uint64_t new_size,
    struct reg__plan *p, reg_error *err);

/* Plans the root of the tree of size leaves: one element (size > 0). */
int reg__plan_root(uint64_t size, struct reg__plan *p, reg_error *err);

/*
 * Computes the proof's hashes from the node hashes (node_hashes[i] is the
 * hash of p->nodes[i]); out receives p->nelems hashes.
 */
void reg__plan_finish(const struct reg__plan *p,
    const struct reg_hash *node_hashes, struct reg_hash *out);

#endif
