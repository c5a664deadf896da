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
 * Texts are compared whole (a pointer seen before is only a fast path), so
 * a caller may pass text it built; the cache holds REG__STMT_MAX texts and
 * runs any further one unprepared.
 */
#include "config.h"

#include <string.h>

#include <libpq-fe.h>

#include "registry_int.h"

struct reg__stmt {
	const char *seen;	/* the caller's pointer when first seen */
	char *sql;		/* its text */
	char name[16];
};

static struct reg__stmt *
find(reg_ctx *ctx, const char *sql)
{
	int i;

	for (i = 0; i < ctx->nstmts; i++)
		if (ctx->stmts[i].seen == sql && strcmp(ctx->stmts[i].sql, sql) == 0)
			return &ctx->stmts[i];
	for (i = 0; i < ctx->nstmts; i++)
		if (strcmp(ctx->stmts[i].sql, sql) == 0)
			return &ctx->stmts[i];
	return NULL;
}

PGresult *
reg__exec(reg_ctx *ctx, const char *sql, int n, const char *const *values,
    const int *lengths, const int *formats, int result_format)
{
	struct reg__stmt *s = find(ctx, sql);
	PGresult *res;

	if (s == NULL && ctx->nstmts < REG__STMT_MAX) {
		if (ctx->stmts == NULL &&
		    (ctx->stmts = calloc(REG__STMT_MAX, sizeof(*ctx->stmts))) == NULL)
			goto unprepared;
		s = &ctx->stmts[ctx->nstmts];
		if ((s->sql = strdup(sql)) == NULL)
			goto unprepared;
		snprintf(s->name, sizeof(s->name), "reg_%d", ctx->nstmts);
		res = PQprepare(ctx->conn, s->name, sql, n, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			/* The error is the statement's own (or the aborted
			 * transaction's): the caller reports it. */
			free(s->sql);
			s->sql = NULL;
			return res;
		}
		PQclear(res);
		s->seen = sql;
		ctx->nstmts++;
	}
	if (s != NULL)
		return PQexecPrepared(ctx->conn, s->name, n, values, lengths, formats,
		    result_format);
unprepared:
	return PQexecParams(ctx->conn, sql, n, NULL, values, lengths, formats,
	    result_format);
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
