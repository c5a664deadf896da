/*
 * Transactions on the registry's connection.  Every transaction command
 * advances the context's transaction epoch, so that what was read under
 * the log's lock in another transaction is never used (log_cache.c).
 */
#include "config.h"

#include <libpq-fe.h>

#include "registry_int.h"

int
reg__exec_cmd(reg_ctx *ctx, const char *sql, reg_error *err)
{
	PGresult *res;
	int r = 0;

	ctx->tx_epoch++;	/* BEGIN, COMMIT, ROLLBACK: another transaction */
	res = PQexec(ctx->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__fail_pg(err, ctx->conn, res, "%s failed", sql);
	PQclear(res);
	return r;
}

int
reg__in_tx(reg_ctx *ctx)
{
	return PQtransactionStatus(ctx->conn) != PQTRANS_IDLE;
}

int
reg_tx_begin(reg_ctx *ctx, reg_error *err)
{
	if (reg__in_tx(ctx))
		return reg__fail(err, REG_EINVAL, "a transaction is already open");
	return reg__exec_cmd(ctx, "BEGIN ISOLATION LEVEL READ COMMITTED", err);
}

int
reg_tx_commit(reg_ctx *ctx, reg_error *err)
{
	if (PQtransactionStatus(ctx->conn) == PQTRANS_INERROR) {
		(void)reg__exec_cmd(ctx, "ROLLBACK", NULL);
		return reg__fail(err, REG_EDB,
		    "the transaction had failed and was rolled back");
	}
	return reg__exec_cmd(ctx, "COMMIT", err);
}

int
reg_tx_rollback(reg_ctx *ctx, reg_error *err)
{
	if (!reg__in_tx(ctx))
		return 0;
	return reg__exec_cmd(ctx, "ROLLBACK", err);
}

int
reg__tx_enter(reg_ctx *ctx, struct reg__tx *tx, reg_error *err)
{
	tx->own = 0;
	if (reg__in_tx(ctx))
		return 0;
	tx->own = 1;
	return reg__exec_cmd(ctx, "BEGIN", err);
}

int
reg__tx_leave(reg_ctx *ctx, struct reg__tx *tx, int r, reg_error *err)
{
	/* A frontier kept and not used is not kept past its writer. */
	ctx->tx_epoch++;
	if (!tx->own)
		return r;
	tx->own = 0;
	if (r != 0) {
		(void)reg__exec_cmd(ctx, "ROLLBACK", NULL);
		return r;
	}
	r = reg__exec_cmd(ctx, "COMMIT", err);
	if (r != 0)
		(void)reg__exec_cmd(ctx, "ROLLBACK", NULL);
	return r;
}
