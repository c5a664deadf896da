/*
 * libregistry's connection to a State's registry database: opening it,
 * its state, migrations and transactions.  Part of the API that
 * registry/registry.h gathers.
 */
#ifndef REGISTRY_CONN_H
#define REGISTRY_CONN_H


#if defined(REG_PART_PROTO) || defined(REG_PART_COMMON)
#error "registry/conn.h: proto and common never include the registry (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>

#include "registry/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A connection to one State's registry database.
 */
typedef struct reg_ctx reg_ctx;

/*
 * Connects with a libpq connection string (may be "" to use libpq's own
 * defaults and PG* variables).  On success *out owns the connection; free
 * it with reg_close().  The connection's session works under the role
 * "registry_app" when that role exists and the connected user may assume it,
 * so that the programs hold INSERT and SELECT only on record tables; pass
 * REG_OPEN_OWNER to keep the connected user's own rights (migrations,
 * maintenance).
 */
#define REG_OPEN_OWNER 0x1
REG_API REG_WUR int reg_open(const char *conninfo, unsigned flags,
    reg_ctx **out, reg_error *err);
/* Closes and frees; accepts NULL. */
REG_API void reg_close(reg_ctx *ctx);

/* The database the connection is to, for a status display: its name,
 * user, host, port and the server's version (as 170002); the strings are
 * the context's, valid until reg_close(). */
struct reg_server_info {
	const char *database, *user, *host, *port;
	int version;
};
REG_API void reg_server_info(reg_ctx *ctx, struct reg_server_info *out);
/*
 * Whether an idle connection still stands, without a round trip: what the
 * server sent is read (a FATAL message when it shuts down, then the end
 * of the stream), at the cost of a poll() when there is nothing.  1 when
 * it stands; 0 when it is lost, or when its server said FATAL since the
 * first call (reg_alive() takes the connection's notices from then on).
 */
REG_API int reg_alive(reg_ctx *ctx);

/*
 * Asks the database a trivial question, to learn whether it answers (a
 * readiness check).  Returns 0, REG_EUNAVAIL when the connection is lost or
 * the server is shutting down, or REG_EDB.
 */
REG_API REG_WUR int reg_ping(reg_ctx *ctx, reg_error *err);

/* Migrations. */
typedef struct reg_migration_status {
	int version;			/* NNNN of the file */
	char name[256];			/* file name */
	int applied;			/* 1 if applied */
	char applied_at[40];		/* RFC 3339 UTC when applied, or "" */
	char sha256[65];		/* hex digest of the file's text */
} reg_migration_status;

/* Called once per migration applied, with its file name; may be NULL. */
typedef void (*reg_migrate_cb)(const char *name, void *arg);

/*
 * Applies, in order, every migration of folder dir (files NNNN_name.sql,
 * numbered from 0001 without gaps) that is not yet applied, each in its own
 * transaction, recording its name and the SHA-256 of its text.  A folder
 * with a gap or a duplicate number, a migration whose text changed after it
 * was applied, or an applied migration missing from the folder is refused
 * before anything is applied (REG_EMIGRATION).  A migration that fails is
 * rolled back whole and the ones after it are not tried (REG_EDB, with the
 * file and line in the message).  *napplied receives how many were applied.
 */
REG_API REG_WUR int reg_migrate(reg_ctx *ctx, const char *dir,
    reg_migrate_cb cb, void *cbarg, int *napplied, reg_error *err);

/*
 * Lists the migrations of folder dir with whether each is applied.  *out is
 * an array of *n entries the caller frees with reg_free().  Fails like
 * reg_migrate() on an inconsistent folder or history.
 */
REG_API REG_WUR int reg_migrate_status(reg_ctx *ctx, const char *dir,
    reg_migration_status **out, size_t *n, reg_error *err);

/*
 * Transactions.  reg_log_append() and every record write happen inside the
 * caller's transaction when one is open, so that a rollback takes the
 * record and its log leaf away together; outside one, each call commits on
 * its own.  Sessions must use READ COMMITTED (PostgreSQL's default).
 */
REG_API REG_WUR int reg_tx_begin(reg_ctx *ctx, reg_error *err);
REG_API REG_WUR int reg_tx_commit(reg_ctx *ctx, reg_error *err);
/* Rolls back; harmless when no transaction is open. */
REG_API int reg_tx_rollback(reg_ctx *ctx, reg_error *err);

#ifdef __cplusplus
}
#endif

#endif
