/* Connecting to the registry database. */
#include "config.h"

#include <poll.h>
#include <string.h>

#include <libpq-fe.h>

#include "log_int.h"

/* Runs a fixed statement that takes no data; returns 0 or reg__fail_pg()'s
 * code. */
static int
exec_fixed(PGconn *conn, const char *sql, reg_error *err)
{
	PGresult *res;
	int r = 0;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__fail_pg(err, conn, res, "cannot run \"%s\"", sql);
	PQclear(res);
	return r;
}

/*
 * Moves the session under the programs' role when it exists and the
 * connected user may assume it, so that record tables can only be read and
 * appended to.
 */
static int
assume_app_role(PGconn *conn, reg_error *err)
{
	PGresult *res;
	int member, r;

	res = PQexec(conn,
	    "SELECT pg_has_role(current_user, oid, 'MEMBER') "
	    "FROM pg_roles WHERE rolname = 'registry_app'");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, conn, res, "cannot look up the role registry_app");
		PQclear(res);
		return r;
	}
	member = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!member)
		return 0;
	return exec_fixed(conn, "SET ROLE registry_app", err);
}

int
reg_open(const char *conninfo, unsigned flags, reg_ctx **out, reg_error *err)
{
	reg_ctx *ctx = NULL;
	PGconn *conn = NULL;
	int r;

	*out = NULL;
	conn = PQconnectdb(conninfo != NULL ? conninfo : "");
	if (conn == NULL)
		return reg__fail(err, REG_ENOMEM, "cannot allocate a connection");
	if (PQstatus(conn) != CONNECTION_OK) {
		const char *m = PQerrorMessage(conn);
		size_t n = strlen(m);

		while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		r = reg__fail(err, REG_ECONNECT, "cannot connect to the database: %.*s",
		    (int)n, m);
		goto out;
	}
	if ((r = exec_fixed(conn, "SET client_min_messages = warning", err)) != 0 ||
	    (r = exec_fixed(conn, "SET TIME ZONE 'UTC'", err)) != 0)
		goto out;
	if (PQsetClientEncoding(conn, "UTF8") != 0) {
		r = reg__fail_pg(err, conn, NULL, "cannot set the client encoding");
		goto out;
	}
	if ((flags & REG_OPEN_OWNER) == 0 &&
	    (r = assume_app_role(conn, err)) != 0)
		goto out;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		r = reg__fail(err, REG_ENOMEM, "cannot allocate a context");
		goto out;
	}
	ctx->conn = conn;
	ctx->flags = flags;
	conn = NULL;	/* transferred */
	*out = ctx;
	r = 0;
out:
	if (conn != NULL)
		PQfinish(conn);
	return r;
}

void
reg_close(reg_ctx *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->conn != NULL)
		PQfinish(ctx->conn);
	reg__stmts_free(ctx);
	reg__log_cache_free(ctx);
	free(ctx);
}

struct pg_conn *
reg__conn(reg_ctx *ctx)
{
	return ctx->conn;
}

void
reg_server_info(reg_ctx *ctx, struct reg_server_info *out)
{
	out->database = PQdb(ctx->conn);
	out->user = PQuser(ctx->conn);
	out->host = PQhost(ctx->conn);
	out->port = PQport(ctx->conn);
	out->version = PQserverVersion(ctx->conn);
}

/*
 * Takes the connection's notices instead of libpq's default (which prints
 * them on standard error): a FATAL one, which an idle connection receives
 * when its server shuts down, marks the connection as going away.
 */
static void
on_notice(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);

	if (sev != NULL && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
		*(int *)arg = 1;
}

int
reg_alive(reg_ctx *ctx)
{
	struct pollfd pfd;
	PGnotify *n;
	int i;

	if (ctx == NULL || PQstatus(ctx->conn) != CONNECTION_OK ||
	    (pfd.fd = PQsocket(ctx->conn)) < 0)
		return 0;
	if (!ctx->noticing) {
		PQsetNoticeReceiver(ctx->conn, on_notice, &ctx->fatal);
		ctx->noticing = 1;
	}
	for (i = 0; i < 8 && !ctx->fatal; i++) {
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) <= 0)
			break;
		if (PQconsumeInput(ctx->conn) == 0)
			return 0;
		while ((n = PQnotifies(ctx->conn)) != NULL)
			PQfreemem(n);
	}
	return !ctx->fatal && PQstatus(ctx->conn) == CONNECTION_OK;
}

int
reg_ping(reg_ctx *ctx, reg_error *err)
{
	if (ctx == NULL)
		return reg__fail(err, REG_EINVAL, "no database");
	return exec_fixed(ctx->conn, "SELECT 1", err);
}
