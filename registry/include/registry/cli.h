/*
 * Helpers the registry's programs share: finding the database, the local
 * default cluster, the migrations folder, and reporting errors.  Programs
 * only; the library never uses these.
 */
#ifndef REGISTRY_CLI_INT_H
#define REGISTRY_CLI_INT_H


#if defined(REG_PART_PROTO) || defined(REG_PART_COMMON)
#error "registry/cli.h: proto and common never include the registry (issue 18, tests/layout.sh)"
#endif
#include "registry/registry.h"

/*
 * Decides which database to use: the --db option (opt_db, may be NULL),
 * then REGISTRY_DB, then libpq's PG* variables when any is set; with none of
 * them, the local default cluster under the build tree, created and started
 * on first use.  *conninfo is a string to free().  Progress of the local
 * cluster's creation is told on stderr.
 */
int cli_conninfo(const char *opt_db, char **conninfo, reg_error *err);

/* Connects as cli_conninfo() decides, with reg_open()'s flags. */
int cli_open(const char *opt_db, unsigned flags, reg_ctx **ctx, reg_error *err);

/* The migrations folder: opt (may be NULL), REGISTRY_MIGRATIONS, the
 * source tree's migrations/, then the installed copy. */
const char *cli_migrations_dir(const char *opt);

/* The local default cluster's folder (REGISTRY_LOCAL_DIR or the build
 * tree's var/pg). */
const char *cli_local_dir(void);

/*
 * Makes sure the local default cluster exists and runs, and that its
 * database "registry" exists.  *conninfo (to free()) connects to it.
 */
int cli_local_ensure(char **conninfo, reg_error *err);
/* Stops the local cluster if it runs. */
int cli_local_stop(reg_error *err);
/* 1 if the local cluster runs, 0 if not. */
int cli_local_running(void);

/* Prints "PROG: message" for err on stderr. */
void cli_report(const char *prog, const reg_error *err);

/* Progress on a terminal: rows done of total (0 if unknown), rate, ETA.
 * Prints nothing when stderr is not a terminal. */
struct cli_progress {
	const char *what;
	unsigned long long total;
	double start;
	double last;
	int tty;
};
void cli_progress_start(struct cli_progress *p, const char *what,
    unsigned long long total);
void cli_progress_update(struct cli_progress *p, unsigned long long done);
void cli_progress_end(struct cli_progress *p, unsigned long long done);

/* Monotonic seconds. */
double cli_now(void);

#endif
