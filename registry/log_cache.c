/*
 * The log cache: the frontier a writer read under the log's lock, kept
 * for the next leaf appended in the same transaction (see log_int.h).
 *
 * What is kept is valid for the transaction epoch it was kept in: the
 * transaction layer (tx.c, stmt.c) advances reg_ctx's tx_epoch with every
 * transaction command, and a frontier of an older epoch is never given.
 * This file calls nothing else in the library.
 */
#include "config.h"

#include <stdlib.h>

#include "log_int.h"

struct reg__log_cache {
	struct reg__frontier f;
	unsigned long epoch;	/* the ctx->tx_epoch it was kept in */
	int kept;
};

struct reg__frontier *
reg__log_cache_slot(reg_ctx *ctx)
{
	if (ctx->log_cache == NULL &&
	    (ctx->log_cache = calloc(1, sizeof(*ctx->log_cache))) == NULL)
		return NULL;
	ctx->log_cache->kept = 0;
	return &ctx->log_cache->f;
}

void
reg__log_cache_keep(reg_ctx *ctx)
{
	REG_ASSERT(ctx->log_cache != NULL);
	ctx->log_cache->epoch = ctx->tx_epoch;
	ctx->log_cache->kept = 1;
}

int
reg__log_cache_take(reg_ctx *ctx, struct reg__frontier *f)
{
	struct reg__log_cache *c = ctx->log_cache;

	if (c == NULL || !c->kept || c->epoch != ctx->tx_epoch)
		return 0;
	*f = c->f;
	c->kept = 0;
	return 1;
}

void
reg__log_cache_free(reg_ctx *ctx)
{
	free(ctx->log_cache);
	ctx->log_cache = NULL;
}
