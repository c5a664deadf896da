/*
 * The audit log's internals shared by its files (never installed): the
 * cache of the log's frontier (log_cache.c), the stored tree read by
 * subtrees (log.c), and the checks of leaves against the tree and the
 * records that run before a checkpoint is signed (verify.c).
 *
 * The files depend on each other in one direction only:
 *   checkpoint.c -> verify.c -> log.c -> log_cache.c
 * (verify.c also reads the records, record.c, which append through log.c).
 */
#ifndef REGISTRY_LOG_INT_H
#define REGISTRY_LOG_INT_H


#if !defined(REG_PART_REGISTRY) && !defined(REG_WHITEBOX)
#error "log_int.h is internal to registry/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include "merkle_int.h"
#include "registry_int.h"

/* An int8 of a binary result (big-endian). */
#define REG__BE64(p) reg__get_be((const uint8_t *)(p), 8)

/*
 * The log cache: the log's frontier as read under its lock in the open
 * transaction (reg__tx_enter_find()), kept for the next leaf appended in
 * it.  It is kept for one transaction epoch only (reg_ctx's tx_epoch, which
 * every transaction command advances), so that the transaction layer never
 * calls back into the log to forget it.
 *
 * reg__log_cache_slot() gives the frontier to read into, allocated on first
 * use (NULL when memory is short); reg__log_cache_keep() keeps what it
 * holds for the current epoch; reg__log_cache_take() copies it into f and
 * forgets it, returning 1, when it was kept in the current epoch, else 0.
 * reg__log_cache_free() frees it with the context.
 */
struct reg__log_cache;
struct reg__frontier *reg__log_cache_slot(reg_ctx *ctx);
void reg__log_cache_keep(reg_ctx *ctx);
int reg__log_cache_take(reg_ctx *ctx, struct reg__frontier *f);
void reg__log_cache_free(reg_ctx *ctx);

/*
 * Fetches the hashes of n complete subtrees of the stored tree in one query
 * (log.c).  A subtree whose row is missing or too short means the stored
 * tree is damaged: REG_EVERIFY.
 */
int reg__log_subtrees(reg_ctx *ctx, const struct reg__subtree *st, size_t n,
    struct reg_hash *out, reg_error *err);

/*
 * Before a checkpoint is signed (verify.c).  reg__verify_new_leaves()
 * checks the leaves [from, size) added since the latest checkpoint (of size
 * from and root from_root): each leaf's bytes against its stored hash, its
 * stored subtree hashes against those recomputed, the tree of from leaves
 * (from stored hashes) against from_root, and the record row behind each
 * record leaf re-encoded to the leaf; *root receives the root recomputed
 * from the new leaves.  reg__verify_sample() checks sample leaves of the
 * tree of size leaves, drawn at random (all of them when sample >= size):
 * each proven against root with the stored tree, and its record row
 * re-encoded to it.  Both REG_EVERIFY when something does not hold.
 */
int reg__verify_new_leaves(reg_ctx *ctx, uint64_t from,
    const struct reg_hash *from_root, uint64_t size, struct reg_hash *root,
    reg_error *err);
int reg__verify_sample(reg_ctx *ctx, uint64_t size, const struct reg_hash *root,
    uint64_t sample, reg_error *err);

#endif
