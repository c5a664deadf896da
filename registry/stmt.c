/*
 * Statements prepared once per connection.
 *
 * PQexecParams() sends a statement's text with every call, and the server
 * parses and plans it every time: for the larger queries of the trace
 * store (a hop with its events, a request with its status) planning took
 * longer than running them.  reg__exec() takes the same arguments, prepares
 * a statement on the context's connection the first time its text is
 * seen, and executes the prepared statement afterwards.  Prepared
 * statements outlive transactions (a rolled-back one included) and are
 * dropped with the connection, as the cache is with the context.
 *
 * Texts are compared whole, so a caller may pass text it built; the cache
 * holds REG__STMT_MAX texts and runs any further one unprepared.
 */
#include "config.h"

#include <string.h>

#include <libpq-fe.h>

#include "registry_int.h"

struct reg__stmt {
	char *sql;
	char name[16];
};

static struct reg__stmt *
find(reg_ctx *ctx, const char *sql)
{
	int i;

	for (i = 0; i < ctx->nstmts; i++)
		if (strcmp(ctx->stmts[i].sql, sql) == 0)
			return &ctx->stmts[i];
	return NULL;
}

/*
 * sql's prepared statement, prepared now when it is new; NULL when the
 * cache is full or memory short (run it unprepared), or when the server
 * refused to prepare it (*refused then holds its error).
 */
static struct reg__stmt *
prepared(reg_ctx *ctx, const char *sql, int n, PGresult **refused)
{
	struct reg__stmt *s = find(ctx, sql);
	PGresult *res;

	*refused = NULL;
	if (s != NULL || ctx->nstmts == REG__STMT_MAX)
		return s;
	if (ctx->stmts == NULL &&
	    (ctx->stmts = calloc(REG__STMT_MAX, sizeof(*ctx->stmts))) == NULL)
		return NULL;
	s = &ctx->stmts[ctx->nstmts];
	if ((s->sql = strdup(sql)) == NULL)
		return NULL;
	snprintf(s->name, sizeof(s->name), "reg_%d", ctx->nstmts);
	res = PQprepare(ctx->conn, s->name, sql, n, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		/* The error is the statement's own (or the aborted
		 * transaction's): the caller reports it. */
		free(s->sql);
		s->sql = NULL;
		*refused = res;
		return NULL;
	}
	PQclear(res);
	ctx->nstmts++;
	return s;
}

PGresult *
reg__exec(reg_ctx *ctx, const char *sql, int n, const char *const *values,
    const int *lengths, const int *formats, int result_format)
{
	PGresult *refused;
	struct reg__stmt *s = prepared(ctx, sql, n, &refused);

	if (refused != NULL)
		return refused;
	if (s != NULL)
		return PQexecPrepared(ctx->conn, s->name, n, values, lengths, formats,
		    result_format);
	return PQexecParams(ctx->conn, sql, n, NULL, values, lengths, formats,
	    result_format);
}

/* The first result of the pipeline's next query, the rest read; NULL when
 * the connection failed. */
static PGresult *
next_result(PGconn *conn)
{
	PGresult *first = PQgetResult(conn), *more;

	if (first == NULL)
		return NULL;
	while ((more = PQgetResult(conn)) != NULL)
		PQclear(more);
	return first;
}

int
reg__exec_commit(reg_ctx *ctx, const char *sql, int n, const char *const *values,
    const int *lengths, const int *formats, const char *what, reg_error *err)
{
	PGconn *conn = ctx->conn;
	PGresult *refused, *res, *commit = NULL, *sync = NULL;
	struct reg__stmt *s = prepared(ctx, sql, n, &refused);
	int r = 0;

	ctx->tx_epoch++;
	if (refused != NULL) {
		r = reg__fail_pg(err, conn, refused, "%s", what);
		PQclear(refused);
		goto failed;
	}
	if (s == NULL || PQenterPipelineMode(conn) != 1) {
		/* One after the other. */
		res = reg__exec(ctx, sql, n, values, lengths, formats, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK)
			r = reg__fail_pg(err, conn, res, "%s", what);
		PQclear(res);
		if (r != 0)
			goto failed;
		if ((r = reg__exec_cmd(ctx, "COMMIT", err)) != 0)
			goto failed;
		return 0;
	}
	if (PQsendQueryPrepared(conn, s->name, n, values, lengths, formats, 0) != 1 ||
	    PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
	    PQpipelineSync(conn) != 1) {
		r = reg__fail_pg(err, conn, NULL, "%s", what);
		(void)PQexitPipelineMode(conn);
		goto failed;
	}
	res = next_result(conn);
	commit = next_result(conn);
	if (res != NULL && commit != NULL)
		sync = PQgetResult(conn);	/* PGRES_PIPELINE_SYNC */
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__fail_pg(err, conn, res, "%s", what);
	else if (PQresultStatus(commit) != PGRES_COMMAND_OK)
		r = reg__fail_pg(err, conn, commit, "%s: the commit failed", what);
	PQclear(res);
	PQclear(commit);
	PQclear(sync);
	if (PQexitPipelineMode(conn) != 1 && r == 0)
		r = reg__fail_pg(err, conn, NULL, "%s", what);
	if (r == 0)
		return 0;
failed:
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		(void)reg__exec_cmd(ctx, "ROLLBACK", NULL);
	return r;
}

int
reg__exec_locked(reg_ctx *ctx, int begin, const struct reg__query *q, int nq,
    PGresult **res)
{
	PGconn *conn = ctx->conn;
	PGresult *refused;
	struct reg__stmt *s[REG__LOCKED_MAX];
	int i, n, k;

	ctx->tx_epoch++;
	for (i = 0; i < nq; i++)
		res[i] = NULL;
	if (nq < 1 || nq > REG__LOCKED_MAX)
		return -1;
	for (i = 0; i < nq; i++) {
		s[i] = prepared(ctx, q[i].sql, q[i].n, &refused);
		if (refused != NULL) {
			res[i] = refused;
			return 0;
		}
	}
	for (i = 0; i < nq; i++)
		if (s[i] == NULL)
			break;
	if (i < nq || PQenterPipelineMode(conn) != 1) {
		/* One after the other. */
		const char *lead[2] = { "BEGIN", REG__LOG_LOCK_SQL };
		PGresult *r;

		for (k = begin ? 0 : 1; k < 2; k++) {
			r = PQexec(conn, lead[k]);
			if (PQresultStatus(r) != PGRES_COMMAND_OK &&
			    PQresultStatus(r) != PGRES_TUPLES_OK) {
				res[0] = r;
				return 0;
			}
			PQclear(r);
		}
		for (i = 0; i < nq; i++) {
			res[i] = reg__exec(ctx, q[i].sql, q[i].n, q[i].values, NULL, NULL, 0);
			if (PQresultStatus(res[i]) != PGRES_TUPLES_OK &&
			    PQresultStatus(res[i]) != PGRES_COMMAND_OK)
				break;
		}
		return 0;
	}
	if (begin && PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL,
	    0) != 1)
		goto lost;
	if (PQsendQueryParams(conn, REG__LOG_LOCK_SQL, 0, NULL, NULL, NULL, NULL,
	    0) != 1)
		goto lost;
	for (i = 0; i < nq; i++)
		if (PQsendQueryPrepared(conn, s[i]->name, q[i].n, q[i].values, NULL,
		    NULL, 0) != 1)
			goto lost;
	if (PQpipelineSync(conn) != 1)
		goto lost;
	/* BEGIN's and the lock's results, then the statements': the first
	 * that failed stands for both. */
	n = begin ? 2 : 1;
	for (k = 0; k < n; k++) {
		PGresult *r = next_result(conn);

		if (r == NULL)
			goto drain;
		if (PQresultStatus(r) != PGRES_COMMAND_OK &&
		    PQresultStatus(r) != PGRES_TUPLES_OK && res[0] == NULL)
			res[0] = r;
		else
			PQclear(r);
	}
	k = res[0] != NULL;	/* BEGIN or the lock failed: the rest aborted */
	for (i = 0; i < nq; i++) {
		PGresult *r = next_result(conn);

		if (r == NULL)
			goto drain;
		if (k)
			PQclear(r);
		else
			res[i] = r;
	}
	PQclear(PQgetResult(conn));	/* PGRES_PIPELINE_SYNC */
	if (PQexitPipelineMode(conn) != 1)
		goto lost;
	return 0;
drain:
	for (i = 0; i < nq; i++) {
		PQclear(res[i]);
		res[i] = NULL;
	}
lost:
	(void)PQexitPipelineMode(conn);
	for (i = 0; i < nq; i++) {
		PQclear(res[i]);
		res[i] = NULL;
	}
	return -1;
}

void
reg__stmts_free(reg_ctx *ctx)
{
	int i;

	for (i = 0; i < ctx->nstmts; i++)
		free(ctx->stmts[i].sql);
	free(ctx->stmts);
	ctx->stmts = NULL;
	ctx->nstmts = 0;
}
