/*
 * libregistry's records and their rules: manufacturers, personal data,
 * parties, weapons, markings, components, events and their corrections,
 * serials and names folded for comparison, a weapon's effective history,
 * reading weapons and their sealed records, and the bulk import of CSV
 * files.  Part of the API that registry/registry.h gathers.
 */
#ifndef REGISTRY_RECORDS_H
#define REGISTRY_RECORDS_H


#if defined(REG_PART_PROTO) || defined(REG_PART_COMMON)
#error "registry/records.h: proto and common never include the registry (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "registry/conn.h"
#include "registry/errors.h"
#include "registry/values.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Records.  Every write appends the record's leaf to the audit log and
 * inserts its row in one transaction (the caller's, when one is open), and
 * fills a reg_written with the new record's id and leaf index.  Nothing is
 * ever changed or removed.  A write that a rule refuses returns REG_ERULE
 * (REG_EINVAL for malformed input) naming the rule, and leaves nothing
 * behind.  Optional text fields may be NULL.  Countries are ISO 3166-1
 * alpha-2 codes, dates YYYY-MM-DD.
 */
struct reg_written {
	reg_uuid id;
	uint64_t log_index;
};

/* A manufacturer; its name becomes its first alias. */
REG_API REG_WUR int reg_manufacturer_add(reg_ctx *ctx, const char *name,
    const char *country, struct reg_written *out, reg_error *err);
/* Another name variant (kind "name") or code (kind "code"). */
REG_API REG_WUR int reg_manufacturer_alias_add(reg_ctx *ctx,
    const reg_uuid *manufacturer, const char *alias, const char *kind,
    struct reg_written *out, reg_error *err);
/* Finds a manufacturer by any alias or code (compared upper case, letters
 * and digits only), or by its UUID; REG_ENOTFOUND if none. */
REG_API REG_WUR int reg_manufacturer_find(reg_ctx *ctx, const char *name,
    reg_uuid *out, reg_error *err);

/* A private person's identifying data: kept only encrypted (AES-256-GCM)
 * and entering the log only as a salted hash commitment. */
#define REG_PII_FIELD_MAX 1024
struct reg_person {
	char name[REG_PII_FIELD_MAX];
	char address[REG_PII_FIELD_MAX];
	char id_document[REG_PII_FIELD_MAX];
	char birth_date[16];		/* YYYY-MM-DD or "" */
};
typedef struct reg_pii_keyring reg_pii_keyring;
/* Loads the key file of personal-data keys (see regctl(1), "pii-key"). */
REG_API REG_WUR int reg_pii_keyring_load(const char *path,
    reg_pii_keyring **out, reg_error *err);
REG_API void reg_pii_keyring_free(reg_pii_keyring *kr);
/* Creates a key file, or with rotate adds a new active key to one. */
REG_API REG_WUR int reg_pii_keygen(const char *path, int rotate, uint32_t *id,
    reg_error *err);

struct reg_party_in {
	const char *kind;	/* manufacturer, dealer, broker, state_agency,
				 * foreign_importer, foreign_exporter, private_person */
	const char *name;	/* not for private persons */
	const char *country;
	const char *region;
	const char *licence;
	const char *office_ref;	/* the office's own reference, unique */
	const struct reg_person *person;	/* private persons only */
};
/* kr is needed for private persons (may be NULL otherwise). */
REG_API REG_WUR int reg_party_add(reg_ctx *ctx, const reg_pii_keyring *kr,
    const struct reg_party_in *in, struct reg_written *out, reg_error *err);
/* Finds a party by UUID or office reference. */
REG_API REG_WUR int reg_party_find(reg_ctx *ctx, const char *ref, reg_uuid *out,
    reg_error *err);
/*
 * Decrypts a private person's identity as stored in the party record
 * party (its pii column, len bytes).  REG_EKEY if kr lacks the key it was
 * sealed with, REG_EVERIFY if it does not authenticate (altered, or moved
 * from another record).  *out is wiped on failure; callers wipe it after
 * use (OPENSSL_cleanse or explicit_bzero).
 */
REG_API REG_WUR int reg_party_identity(const reg_pii_keyring *kr,
    const reg_uuid *party, const void *pii, size_t len,
    struct reg_person *out, reg_error *err);

struct reg_marking_in {
	const char *kind;	/* manufacture, import, state_stock, proof,
				 * remarking, alternative_code */
	const char *text;	/* as applied */
	const char *location;	/* frame, receiver, slide, barrel, bolt,
				 * cylinder, metal_insert, other */
	const char *country;
	int year;		/* 0 if unknown */
	const char *new_serial;	/* import mark on a weapon without adequate marks */
};

struct reg_weapon_in {
	const char *office_ref;
	const char *manufacturer;	/* name, alias, code or UUID */
	const char *model;
	const char *type;		/* see the weapon_type table */
	const char *calibre;
	const char *serial;		/* as marked */
	const char *country;		/* of manufacture */
	int year;			/* of manufacture, 0 if unknown */
	const struct reg_marking_in *marking;	/* manufacture or alternative_code */
};
/* Registers a weapon with its manufacture marking (or alternative code). */
REG_API REG_WUR int reg_weapon_register(reg_ctx *ctx,
    const struct reg_weapon_in *in, struct reg_written *weapon,
    struct reg_written *marking, reg_error *err);
REG_API REG_WUR int reg_marking_add(reg_ctx *ctx, const reg_uuid *weapon,
    const struct reg_marking_in *in, struct reg_written *out, reg_error *err);
REG_API REG_WUR int reg_component_add(reg_ctx *ctx, const reg_uuid *weapon,
    const char *kind, const char *serial, struct reg_written *out,
    reg_error *err);

struct reg_event_in {
	const char *kind;	/* manufacture, domestic_transfer, export, import,
				 * transit, state_to_civilian, loan, return, loss,
				 * theft, recovery, seizure, confiscation,
				 * deactivation, destruction, records_to_state */
	const char *date;
	const reg_uuid *from_party;
	const reg_uuid *to_party;
	const char *licence_number;
	const char *licence_issued;
	const char *licence_expires;
	const char *euc_ref;		/* end-user certificate */
	const char *export_country;
	const char *import_country;
	const char *transit_countries;	/* comma-separated codes */
	const char *final_recipient;
	const char *certificate;	/* deactivation or destruction certificate */
	const char *note;
	const char *office_ref;
};
/*
 * Adds the next event of a weapon's history.  Rules: a transfer comes from
 * the current holder; nothing happens to a destroyed weapon; dates do not
 * run backwards; an export names the importing country and its licence.
 * *seq (may be NULL) receives the event's number.
 */
REG_API REG_WUR int reg_event_add(reg_ctx *ctx, const reg_uuid *weapon,
    const struct reg_event_in *in, struct reg_written *out, int *seq,
    reg_error *err);
/*
 * Corrects an event: a new event that names it and why, carrying the
 * corrected content (in->kind NULL keeps the original's kind).  The
 * original stays.
 */
REG_API REG_WUR int reg_event_correct(reg_ctx *ctx, const reg_uuid *event,
    const char *reason, const struct reg_event_in *in, struct reg_written *out,
    reg_error *err);

/*
 * Serials and names folded for comparison (norm.c), for the trace engine
 * and anyone who searches as the registry does.
 *
 * reg_serial_upper() writes the letters and digits of serial, upper case
 * (with wildcards also '?' for one unreadable character and '*' for an
 * unreadable run, a run of '*' as one) into out, NUL-terminated.  Returns
 * its length, or -1 if it does not fit outlen.
 * reg_serial_fold() folds the look-alikes of a string of such characters in
 * place: O Q D -> 0, I L 7 -> 1, S -> 5, B -> 8, Z -> 2, G -> 6.
 * reg_serial_key() does both: the search key of a serial, as migration
 * 0005's reg_serial_key() computes it in SQL.  (The normal form stored as
 * weapon.serial_norm keeps D and 7 apart; the key of a stored form is
 * translate(serial_norm, 'D7', '01').)
 */
REG_API int reg_serial_upper(const char *serial, int wildcards, char *out,
    size_t outlen);
REG_API void reg_serial_fold(char *s);
REG_API int reg_serial_key(const char *serial, int wildcards, char *out,
    size_t outlen);
/*
 * A name (of a manufacturer, an alias, a model) for comparison: its
 * letters and digits, upper case, cut to outlen - 1 characters (manufacturer
 * aliases are stored so, in manufacturer_alias.alias_norm).  name may be
 * NULL (then "").
 */
REG_API void reg_name_norm(const char *name, char *out, size_t outlen);

/*
 * A weapon's history as a plain array of events (history.c), for readers
 * outside the library: the trace engine reads events from its own rows and
 * asks the registry which of them make the effective chain.
 */
struct reg_history_event {
	const char *id;			/* the event's UUID */
	const char *corrects;		/* the UUID of the event it corrects, or
					 * NULL or "" */
	const char *kind;		/* manufacture, domestic_transfer, ... */
	const char *date;		/* YYYY-MM-DD */
	const char *to;			/* the receiving party's UUID, NULL or "" */
	const char *to_kind;		/* that party's kind, NULL or "" */
};
/*
 * The effective chain of the n events ev, in order of their numbers: each
 * corrected event is replaced, in its place, by its latest correction (a
 * correction of a correction takes the place of the original).  Reads only
 * id and corrects.  Writes into eff (n entries) the indexes into ev of the
 * effective events in order, and into corrected (n entries, may be NULL)
 * for each event the index of the event it corrects, or -1 (also when it
 * names no earlier event).  Returns the number of effective events.
 */
REG_API int reg_history_effective(const struct reg_history_event *ev, int n,
    int *eff, int *corrected);

/*
 * A weapon with its markings, components and history as JSON (documented
 * in regctl(1)); free *json with reg_free().  kr (may be NULL) decrypts
 * private holders' identities; without it they show as "private person".
 */
REG_API REG_WUR int reg_weapon_show(reg_ctx *ctx, const reg_uuid *id,
    const reg_pii_keyring *kr, char **json, reg_error *err);
/* Weapons whose normalised serial equals serial's (optionally of one
 * manufacturer), as a JSON array of summaries; at most limit. */
REG_API REG_WUR int reg_weapon_find(reg_ctx *ctx, const char *serial,
    const char *manufacturer, int limit, char **json, reg_error *err);

/*
 * Every record of the weapons ids[0..n) (n at most 1000; ids in 8-4-4-4-12
 * form), read from the record tables and each checked against the leaf
 * that sealed it: its leaf derived again from the row equals the stored
 * leaf, whose hash is the stored leaf hash.  For each record, in the order
 * of the log, cb gets its weapon, type ("weapon", "marking", "component"
 * or "event"), leaf index, the leaf's columns with their canonical text
 * (NULL for null; valid during the call only) and the leaf's hash.  Returns
 * 0; REG_EVERIFY naming the table, record and leaf when a record does not
 * hold (then nothing about it reached cb); or what cb returned when it was
 * not 0, at once.  The trace engine uses it to serve only what the log
 * proves (not its read model's copy alone).
 */
struct reg_weapon_record {
	const char *weapon_id;
	const char *type;
	uint64_t log_index;
	int ncols;
	const char *const *cols;
	const char *const *values;
	struct reg_hash leaf_hash;
};
typedef int (*reg_weapon_record_cb)(void *arg,
    const struct reg_weapon_record *rec);
REG_API REG_WUR int reg_weapon_records(reg_ctx *ctx, const char *const *ids,
    size_t n, reg_weapon_record_cb cb, void *arg, reg_error *err);
/* The value of column col of rec, or NULL (null, or no such column). */
REG_API const char *reg_weapon_record_value(const struct reg_weapon_record *rec,
    const char *col);


/*
 * Bulk import of CSV files (RFC 4180, UTF-8, header line first): weapons
 * with their manufacture marking, or events, told apart by the header (see
 * regctl(1), IMPORT).  Rows are streamed to the database with COPY in
 * batches, each batch one transaction with its leaves; every row has an
 * office reference, so that rows already imported are skipped and running a
 * file again, also after an interruption, gives the same result as one clean
 * run.  A bad row is reported (line number and why) to the reject callback
 * and the good rows go in.  Every line of the input but the header and
 * blank lines ends up a row imported, skipped or rejected: a quoted field
 * may span at most 8 lines, and a stray quote rejects only the line where
 * it opens a field (the lines after it are read again).  Lines end in LF,
 * CRLF, or CR alone when the first line ends so.
 */
struct reg_import_stats {
	uint64_t rows;		/* data rows read */
	uint64_t imported;	/* rows written now */
	uint64_t skipped;	/* rows already in the registry */
	uint64_t rejected;	/* bad rows */
};
/* A rejected row: raw holds rawlen bytes as read (NUL bytes included; a
 * row of several lines has them joined by the input's line terminator),
 * followed by a NUL; all valid during the callback only. */
struct reg_import_reject {
	uint64_t line;		/* the row's first line (1 is the header) */
	uint64_t last_line;	/* its last line: line unless a quoted field
				 * spans lines */
	const char *why;
	const char *raw;
	size_t rawlen;
};
/* raw_line ends at a NUL byte in it: reject_record sees all of it. */
typedef void (*reg_import_reject_cb)(uint64_t line, const char *why,
    const char *raw_line, void *arg);
typedef void (*reg_import_reject_record_cb)(const struct reg_import_reject *rj,
    void *arg);
typedef void (*reg_import_progress_cb)(const struct reg_import_stats *st,
    uint64_t bytes_read, void *arg);
struct reg_import_opts {
	size_t batch_rows;		/* rows per transaction; 0 = 5000 */
	reg_import_reject_cb reject;	/* may be NULL */
	reg_import_progress_cb progress;	/* after each batch; may be NULL */
	void *arg;
	/* Called instead of reject when not NULL. */
	reg_import_reject_record_cb reject_record;
};
REG_API REG_WUR int reg_import_csv(reg_ctx *ctx, FILE *in,
    const struct reg_import_opts *opts, struct reg_import_stats *stats,
    reg_error *err);

#ifdef __cplusplus
}
#endif

#endif
