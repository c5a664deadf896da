/* Helpers for the Check test programs. */
#ifndef REGISTRY_TESTUTIL_H
#define REGISTRY_TESTUTIL_H

#include <libpq-fe.h>

#include "registry/registry.h"

/* The source tree's root (REG_TEST_SRCDIR, else "."). */
const char *tu_srcdir(void);
/* A path under the source tree, in a static buffer per call slot (0..3). */
const char *tu_src_path(int slot, const char *rel);

/* Creates a fresh, empty database in the test cluster and returns a
 * connection string for it (static storage, valid until the next call). */
const char *tu_db_create(void);
/* A fresh database with every migration of migrations/ applied. */
const char *tu_db_migrated(void);

/* A superuser connection to the database; fails the test if it cannot. */
PGconn *tu_connect(const char *conninfo);
/* Runs fixed SQL as superuser; fails the test on error. */
void tu_exec(const char *conninfo, const char *sql);
/* Runs SQL; returns 0 on success, -1 on error (message copied to msg). */
int tu_try_exec(const char *conninfo, const char *sql, char *msg, size_t msglen);
/* Runs a query returning one value; the value as a malloc'd string. */
char *tu_query1(const char *conninfo, const char *sql);

/* Makes a temporary folder (removed by tu_rmtree) and returns its path. */
char *tu_tmpdir(void);
void tu_rmtree(const char *path);
/* Copies folder src's regular files into dst (created). */
void tu_copy_dir(const char *src, const char *dst);
/* Writes text to path; fails the test on error. */
void tu_write_file(const char *path, const char *text);
/* a and b in a new string (free()); fails the test when out of memory. */
char *tu_concat(const char *a, const char *b);

/* Runs a shell command line and returns its exit status; its stdout and
 * stderr are captured into out (NUL-terminated, truncated) when not NULL. */
int tu_run(const char *cmdline, char *out, size_t outlen);

/* A context on the database conninfo names, as the programs' role; fails
 * the test if it cannot open. */
reg_ctx *tu_open(const char *conninfo);
/* Runs every test of suite s (freed here); 0 when all passed, else 1: the
 * exit status of a Check program's main(). */
struct Suite;
int tu_run_suite(struct Suite *s);

#endif
