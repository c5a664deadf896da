/* Transactions on the registry's connection. */
#include "config.h"

#include <libpq-fe.h>

#include "registry_int.h"

int
reg__exec_cmd(reg_ctx *ctx, const char *sql, reg_error *err)
{
	PGresult *res;
	int r = 0;

	reg__frontier_forget(ctx);	/* BEGIN, COMMIT, ROLLBACK: another transaction */
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
