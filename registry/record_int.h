/*
 * Records: the canonical bytes of every record row (its audit-log leaf),
 * writing a row together with its leaf, and re-deriving leaves from rows.
 *
 * A record's leaf is compact JSON with sorted keys and ASCII escapes (so
 * that one row has exactly one encoding): "_r" names the record type, "_v"
 * the encoding's version (1), and every other key is a column whose value is
 * its canonical text or null.  Canonical text: UUIDs lower-case 8-4-4-4-12;
 * dates YYYY-MM-DD; times YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC, microseconds);
 * integers in decimal; country lists comma-separated; hash commitments in
 * base64.  Encrypted personal data never enters a leaf.  Signed messages
 * (trace requests and responses) enter it as the base64 SHA-256 of their
 * bytes, which verification computes again from the stored message.
 */
#ifndef REGISTRY_RECORD_INT_H
#define REGISTRY_RECORD_INT_H


#if !defined(REG_PART_REGISTRY) && !defined(REG_WHITEBOX)
#error "record_int.h is internal to registry/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include "registry_int.h"

enum reg__rectype {
	REC_MANUFACTURER,
	REC_ALIAS,
	REC_PARTY,
	REC_WEAPON,
	REC_MARKING,
	REC_COMPONENT,
	REC_EVENT,
	REC_TRACE_REQUEST,
	REC_TRACE_STATUS,
	REC_TRACE_HOP,
	REC_TRACE_HOP_EVENT,
	REC_RELAY,		/* a liaison hub's relays (relay_store.c) */
	REC_RELAY_STATUS,
	REC_NTYPES
};

#define REC_MAX_COLS 24

/* SQL giving a timestamptz column's canonical text. */
#define REG__SQL_TS(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
/* SQL giving the base64 SHA-256 of a text column's UTF-8 bytes (NULL for
 * NULL). */
#define REG__SQL_SHA256(col) \
	"encode(sha256(convert_to(" col ", 'UTF8')), 'base64')"

struct reg__recdef {
	const char *type;		/* "_r" value */
	const char *table;
	int ncols;			/* columns in the leaf, id first */
	const char *const *cols;
	const char *insert_sql;		/* $1..$ncols, then log_index, then extras */
	int nextra;			/* extra binary parameters (party: pii; trace
					 * request and status: the signed message) */
	const char *select_sql;		/* the leaf's columns as canonical text,
					 * then log_index, then the stored leaf */
};

extern const struct reg__recdef reg__recdefs[REC_NTYPES];

/*
 * reg__record_write() as the last statement of the transaction tx: in an
 * own transaction it is sent with COMMIT (one round trip), and tx->own is
 * cleared (committed, or rolled back on failure).
 */
struct reg__tx;
int reg__record_write_last(reg_ctx *ctx, struct reg__tx *tx,
    enum reg__rectype type, const char *const *values, const char *const *extra,
    const int *extralen, uint64_t *log_index, reg_error *err);

/*
 * Writes one record in a transaction of its own (the caller has none), in
 * two round trips: BEGIN with the log's lock and frontier, then the
 * record's row with its leaf and COMMIT, sent together.  A foreign key
 * naming no row is REG_ENOTFOUND with the message missing.
 */
int reg__record_write_alone(reg_ctx *ctx, enum reg__rectype type,
    const char *const *values, const char *const *extra, const int *extralen,
    const char *missing, uint64_t *log_index, reg_error *err);

/*
 * Writes one record: appends its leaf to the log and inserts its row, in the
 * caller's transaction.  extra/extralen are binary parameters after the
 * columns (may be NULL when the type has none).  *log_index (may be NULL)
 * receives the leaf's index.
 */
int reg__record_write(reg_ctx *ctx, enum reg__rectype type,
    const char *const *values, const char *const *extra, const int *extralen,
    uint64_t *log_index, reg_error *err);

/* The record type a leaf claims to be, or -1 when it is not a record. */
int reg__record_classify(const uint8_t *leaf, size_t len);

/* Record leaves met while verifying the log: per type, their indexes in
 * order. */
struct reg__recseen {
	uint64_t *idx[REC_NTYPES];
	size_t n[REC_NTYPES], cap[REC_NTYPES];
};
int reg__recseen_add(struct reg__recseen *s, int type, uint64_t idx);
void reg__recseen_free(struct reg__recseen *s);

/*
 * Checks every record row against the log: its leaf re-derived from the
 * row equals the sealed one, no row lacks its leaf, no record leaf lacks its
 * row.  REG_EVERIFY names the table, record id and leaf index.
 */
int reg__records_verify(reg_ctx *ctx, const struct reg__recseen *seen,
    int64_t *bad_index, reg_error *err);

/*
 * Checks the record rows behind the record leaves in seen (each type's
 * indexes ascending, one table query per 10000): each row is there and
 * re-encodes to the leaf stored at its index.  REG_EVERIFY names the leaf
 * (and sets *bad_index).  Used before a checkpoint is signed.
 */
int reg__records_check(reg_ctx *ctx, const struct reg__recseen *seen,
    int64_t *bad_index, reg_error *err);

/*
 * Checks the trace engine's read model (trace_weapon) against the records,
 * after reg__records_verify() in the same snapshot: every weapon's row
 * derived again from its records equals the stored one, record by record.
 * REG_EVERIFY names the first weapon, record and field that differ, and
 * *bad_index its leaf when there is one (verify_readmodel.c).
 */
int reg__readmodel_verify(reg_ctx *ctx, int64_t *bad_index, reg_error *err);

/*
 * Under the log's append lock (taken here): the index the leaf gets and the
 * nodes its log_entry row keeps (32 * REG_LOG_NODES_MAX bytes at most),
 * for a caller that inserts that row itself, in the statement that inserts
 * its record (record.c).  Inside the caller's transaction; or, with begin,
 * in a transaction opened here in the same round trip (the caller rolls
 * it back when this fails).
 */
#define REG_LOG_NODES_MAX 64
int reg__log_next_entry(reg_ctx *ctx, int begin, const void *leaf, size_t len,
    uint64_t *index, uint8_t *nodes, size_t *nodes_len, reg_error *err);

/*
 * reg__tx_enter() (registry_int.h), then the log's append lock, the
 * statement sql (n parameters, values) that looks up what (a relay, a hop,
 * ...) is stored already, and the log's frontier, kept for the next leaf
 * appended in the transaction (log_cache.c): one round trip (log.c).  0 with *found the lookup's rows (PQclear() it); else
 * the failure in err (the caller leaves the transaction as after any
 * failure).
 */
int reg__tx_enter_find(reg_ctx *ctx, struct reg__tx *tx, const char *what,
    const char *sql, int n, const char *const *values, struct pg_result **found,
    reg_error *err);

/* The current time in canonical text. */
void reg__now_text(char out[32]);
/* Validates text input: valid UTF-8, no control characters, at most max
 * bytes; NULL or "" pass as absent when optional. */
int reg__check_text(const char *field, const char *s, size_t max, int optional,
    reg_error *err);
/* Validates len bytes of text: valid UTF-8 without control characters (C0,
 * DEL, C1); field names it in the error. */
int reg__check_chars(const char *field, const char *s, size_t len,
    reg_error *err);
/* Whether s (may be NULL) is one of the NULL-terminated list. */
int reg__one_of(const char *s, const char *const *list);
/* Validates a date YYYY-MM-DD (a real calendar date). */
int reg__check_date(const char *field, const char *s, int optional,
    reg_error *err);
/* Validates an ISO 3166-1 alpha-2 code against the country table. */
int reg__check_country(reg_ctx *ctx, const char *field, const char *code,
    int optional, reg_error *err);
/* (norm.c) A serial's normal form as stored (weapon.serial_norm): upper
 * case, letters and digits only, with the look-alikes of the stored form
 * folded (O/Q to 0, I/L to 1, S to 5, B to 8, Z to 2, G to 6); cut to
 * outlen - 1 characters. */
void reg__serial_norm(const char *in, char *out, size_t outlen);
/* (norm.c) Calibre for comparison: lower case, without spaces; "," as ".". */
void reg__calibre_norm(const char *in, char *out, size_t outlen);

/* Shared by the stores of trace messages (trace_store.c, trace_hop.c). */
/* A UUID in canonical (lower-case) text; field names it in the error. */
int reg__uuid_canon(const char *field, const char *s, char out[REG_UUID_STR],
    reg_error *err);
/* An RFC 3339 UTC time in canonical text (YYYY-MM-DDTHH:MM:SS.ffffffZ). */
int reg__time_canon(const char *field, const char *s, char out[32],
    reg_error *err);
/* A signed message: 1 to max bytes of UTF-8 without control characters. */
int reg__check_message(const char *field, const char *m, size_t len, size_t max,
    reg_error *err);
/* The base64 SHA-256 of a message; free *out with reg_free(). */
int reg__digest64(const char *m, size_t len, char **out, reg_error *err);
/* Copies a result's text value into dst ("" for NULL). */
void reg__pq_field(char *dst, size_t n, const struct pg_result *res, int row,
    int col);
/* A malloc'd copy of a result's value, NULL for NULL; -1 when out of
 * memory. */
int reg__pq_dup(char **dst, const struct pg_result *res, int row, int col);

#endif
