/* Internal definitions shared by libregistry's modules; never installed. */
#ifndef REGISTRY_REGISTRY_INT_H
#define REGISTRY_REGISTRY_INT_H

#include <stdio.h>
#include <stdlib.h>

#include "registry/registry.h"

struct pg_conn;

struct reg_ctx {
	struct pg_conn *conn;
	unsigned flags;
	unsigned prepared;	/* REG__PREP_* statements prepared on conn */
};

#define REG__PREP_SHOW 0x1	/* weapon_show.c's queries */

/*
 * Records a failure in err (when err is not NULL and holds none yet) and
 * returns code, so that callers can write "return reg__fail(...)".
 */
int reg__fail(reg_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Records a database failure: the message is fmt's text, then ": " and
 * libpq's message for res (or for the connection when res is NULL), with
 * the SQLSTATE kept.  Returns REG_EDB.
 */
struct pg_result;
int reg__fail_pg(reg_error *err, struct pg_conn *conn,
    const struct pg_result *res, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* An assertion that stays in release builds; for internal invariants only,
 * never for untrusted input. */
#define REG_ASSERT(e) do { \
	if (!(e)) { \
		fprintf(stderr, "%s:%d: assertion failed: %s\n", \
		    __FILE__, __LINE__, #e); \
		abort(); \
	} \
} while (0)

/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
void reg__hex(const uint8_t *in, size_t len, char *out);

/* The audit log's append lock: transaction-scoped, so that leaf indexes
 * follow commit order (log.c, import.c). */
#define REG__LOG_LOCK_SQL "SELECT pg_advisory_xact_lock(7238294712)"

/*
 * Reads a small secret file whole into a NUL-terminated buffer (free it
 * after OPENSSL_cleanse), refusing anything but a regular file of at most
 * max bytes and never blocking on a FIFO.  Flags: REG__SECRET_NOFOLLOW
 * refuses a symbolic link; REG__SECRET_PRIVATE refuses a file with any
 * group or other permission bit (REG_EKEY).  *stp (may be NULL) receives
 * the file's status.
 */
#define REG__SECRET_NOFOLLOW 0x1
#define REG__SECRET_PRIVATE 0x2
struct stat;
int reg__read_secret_file(const char *path, size_t max, unsigned flags,
    char **out, size_t *outlen, struct stat *stp, reg_error *err);

/* Writes all of buf to fd, retrying after signals; 0, or -1 with errno. */
int reg__write_all(int fd, const char *buf, size_t len);
/* Creates path, mode 0600 exactly, with len bytes of text, fsync'd with its
 * folder; never overwrites (REG_EEXIST) and leaves nothing on failure. */
int reg__create_secret_file(const char *path, const char *text, size_t len,
    reg_error *err);
/* Makes the folder holding path durable after a file was made or renamed
 * in it. */
int reg__sync_folder(const char *path, reg_error *err);

/* Runs a fixed command that takes no data. */
int reg__exec_cmd(reg_ctx *ctx, const char *sql, reg_error *err);
/* Whether a transaction is open on the connection. */
int reg__in_tx(reg_ctx *ctx);

/*
 * Records a failure of OpenSSL: fmt's text, then ": " and the first error on
 * OpenSSL's queue when there is one.  Empties the queue.  Returns code.
 */
int reg__fail_ossl(reg_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Decodes one UTF-8 sequence of at most n bytes at s.  Returns its length
 * and sets *cp, or returns 0 for an invalid sequence: truncated, overlong,
 * a surrogate, or above U+10FFFF.
 */
size_t reg__utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Ed25519 signing and verifying with a key (key.c); 0 or a REG_E* code. */
int reg__key_sign(const reg_key *k, const uint8_t *msg, size_t len,
    uint8_t sig[64], reg_error *err);
int reg__key_verify(const reg_key *k, const uint8_t *msg, size_t len,
    const uint8_t *sig, size_t siglen, reg_error *err);
/* Whether name is a valid signed-note key name (note.c). */
int reg__note_name_valid(const char *name, size_t len);

#endif
