/* Internal definitions shared by libregistry's modules; never installed. */
#ifndef REGISTRY_REGISTRY_INT_H
#define REGISTRY_REGISTRY_INT_H


#if !defined(REG_PART_REGISTRY) && !defined(REG_WHITEBOX)
#error "registry_int.h is internal to registry/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stdio.h>
#include <stdlib.h>

#include "registry/registry.h"

struct pg_conn;

struct reg_ctx {
	struct pg_conn *conn;
	unsigned flags;
	unsigned prepared;	/* REG__PREP_* statements prepared on conn */
	struct reg__stmt *stmts;	/* reg__exec()'s statements (stmt.c) */
	int nstmts;
	/* Country codes found in the country table on this connection, one
	 * bit per code AA..ZZ: reference data, looked up once. */
	unsigned char countries[(26 * 26 + 7) / 8];
	/* Advanced by every transaction command (BEGIN, COMMIT, ROLLBACK,
	 * the log's lock taken) and when a writer leaves its transaction:
	 * what was read under the log's lock in an earlier epoch is stale. */
	unsigned long tx_epoch;
	/* The log's frontier kept for the next leaf (log_cache.c), valid in
	 * the epoch it was kept in. */
	struct reg__log_cache *log_cache;
	/* reg_alive(): the connection's notices are taken, and its server
	 * said FATAL. */
	int noticing, fatal;
};

/* The libpq connection, for the library's modules and its own tests. */
struct pg_conn *reg__conn(reg_ctx *ctx);

/*
 * PQexecParams() on the context's connection, with the statement prepared
 * there the first time its text is seen (stmt.c).  Use it for statements
 * run often; its text must not depend on the call's data (parameters do).
 */
struct pg_result;
#define REG__STMT_MAX 96
struct pg_result *reg__exec(reg_ctx *ctx, const char *sql, int n,
    const char *const *values, const int *lengths, const int *formats,
    int result_format);
void reg__stmts_free(reg_ctx *ctx);
/*
 * reg__exec() of a statement that ends a transaction, then COMMIT, sent
 * together (libpq's pipeline mode): one round trip.  0 when both
 * succeeded; otherwise the failure, named by what, is in err and the
 * transaction rolled back.
 */
/*
 * When begin, BEGIN; then the log's lock (REG__LOG_LOCK_SQL) and the nq
 * (at most REG__LOCKED_MAX) statements q, prepared as reg__exec() prepares
 * them: sent together (pipeline mode), one round trip.  Returns 0 with
 * res[i] each statement's result (to PQclear()): when BEGIN or the lock
 * failed, res[0] is its failure and the rest NULL; after a failed
 * statement the others are the pipeline's aborted results.  -1 when the
 * connection failed (res all NULL).  Advances the transaction epoch.
 */
#define REG__LOCKED_MAX 4
struct reg__query {
	const char *sql;
	int n;
	const char *const *values;
};
int reg__exec_locked(reg_ctx *ctx, int begin, const struct reg__query *q,
    int nq, struct pg_result **res);
int reg__exec_commit(reg_ctx *ctx, const char *sql, int n,
    const char *const *values, const int *lengths, const int *formats,
    const char *what, reg_error *err);

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
 * the SQLSTATE kept.  Returns REG_EUNAVAIL when the database went away
 * (the connection is broken, SQLSTATE class 08, or 57P01 to 57P03: the
 * server shuts down or is starting), else REG_EDB.
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
/* Transactions a write opens when the caller has none (tx.c). */
struct reg__tx {
	int own;
};
int reg__tx_enter(reg_ctx *ctx, struct reg__tx *tx, reg_error *err);
/* Commits an own transaction when r == 0, rolls it back otherwise; returns
 * r or the commit's failure.  Advances the transaction epoch: a frontier
 * kept and not used is not kept past its writer. */
int reg__tx_leave(reg_ctx *ctx, struct reg__tx *tx, int r, reg_error *err);

/*
 * Records a failure of OpenSSL: fmt's text, then ": " and the first error on
 * OpenSSL's queue when there is one.  Empties the queue.  Returns code.
 */
int reg__fail_ossl(reg_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


/* Ed25519 signing and verifying with a key (key.c); 0 or a REG_E* code. */
int reg__key_sign(const reg_key *k, const uint8_t *msg, size_t len,
    uint8_t sig[64], reg_error *err);
int reg__key_verify(const reg_key *k, const uint8_t *msg, size_t len,
    const uint8_t *sig, size_t siglen, reg_error *err);

/* C2SP signature types (key.c, note.c, cosign.c). */
#define REG__SIG_ED25519 0x01	/* note signatures */
#define REG__SIG_COSIG_V1 0x04	/* witness cosignatures, cosignature/v1 */
/* The first line of every message a cosignature/v1 signs (cosign.c); no
 * note signature may sign a text that starts with it (note.c). */
#define REG__COSIG_HEADER "cosignature/v1\n"
/* Whether k may make or verify signatures of type type (key.c); REG_EKEY
 * when it comes from a verifier key of the other type. */
int reg__key_check_use(const reg_key *k, uint8_t type, reg_error *err);

/* Whether name (len bytes) is a valid signed-note key name (key.c). */
int reg__key_name_valid(const char *name, size_t len);

/* Signed-note limits: the most signature lines (C2SP asks for at least
 * 16), and the bytes they may take beyond the text's REG_NOTE_MAX. */
#define REG__NOTE_SIGS_MAX 100
#define REG__NOTE_SIGS_BYTES_MAX (1 << 20)
#define REG__NOTE_KEY_ID_LEN 4

/*
 * The signature lines of a signed note, one at a time (note.c).
 * reg__note_open() checks the note as a whole (size, UTF-8 without control
 * characters, a blank line, a signature block ending in a newline), sets
 * *textlen to the length of its text (up to and including the newline
 * before the blank line) and starts it at the first signature line.  Each
 * reg__note_next() then parses one line, refusing a malformed one
 * (REG_EINVAL) or one beyond REG__NOTE_SIGS_MAX (REG_ETOOBIG): it returns
 * 1 with name, namelen (pointing into the note), raw and rawlen (the
 * decoded base64, at least five bytes) and id (raw's first four bytes)
 * set, or 0 after the last line.  reg__note_close() frees raw.
 */
struct reg__note_sigs {
	const char *pos, *end;
	int lineno;
	const char *name;
	size_t namelen;
	uint8_t *raw;
	size_t rawlen;
	uint32_t id;
};
int reg__note_open(struct reg__note_sigs *it, const char *note, size_t len,
    size_t *textlen, reg_error *err);
int reg__note_next(struct reg__note_sigs *it, reg_error *err);
void reg__note_close(struct reg__note_sigs *it);
/* Whether the current line of it is by the key named name with key id id. */
int reg__note_sig_is(const struct reg__note_sigs *it, const char *name,
    uint32_t id);
/* Formats the signature line "— <name> <base64(id || sig)>\n" of sig
 * (siglen bytes, after the key id); free *out with free(). */
int reg__note_sig_line(const char *name, uint32_t id, const uint8_t *sig,
    size_t siglen, char **out, reg_error *err);
/* Puts v big-endian into n bytes at p. */
void reg__put_be(uint8_t *p, uint64_t v, size_t n);
/* The big-endian number in n bytes at p. */
uint64_t reg__get_be(const uint8_t *p, size_t n);

#endif
