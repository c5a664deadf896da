/*
 * The bulk importer's internals: its entry point for the fuzzers, and what
 * its files share.  Never installed.
 */
#ifndef REGISTRY_IMPORT_INT_H
#define REGISTRY_IMPORT_INT_H


#if !defined(REG_PART_REGISTRY) && !defined(REG_WHITEBOX)
#error "import_int.h is internal to registry/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stdint.h>
#include <stdio.h>

#include "registry/registry.h"

/* Reference data that reg_import_csv() reads from the database. */
struct reg__import_ref {
	const char *countries;		/* assigned codes, concatenated: "BEDEFR" */
	const char *const *types;	/* weapon type codes; NULL-terminated */
	/* Manufacturers: pairs of normalised alias and id; NULL-terminated. */
	const char *const *makers;
};

/*
 * The reading and checking of reg_import_csv() without a database: reads
 * the header and every record of in, checks each row in memory exactly as
 * reg_import_csv() does before it asks the database anything, against ref,
 * and reports every bad row to opts->reject_record (or opts->reject) as
 * reg_import_csv() does, and every good row's lines to good (when not
 * NULL, with opts->arg), all in file order.  stats->imported counts the
 * rows that pass these checks (which the database's checks may still
 * refuse).  Returns what reg_import_csv() returns for the header and for
 * memory.
 */
typedef void (*reg__import_good_cb)(uint64_t line, uint64_t last_line,
    void *arg);
int reg__import_check(FILE *in, const struct reg__import_ref *ref,
    const struct reg_import_opts *opts, reg__import_good_cb good,
    struct reg_import_stats *stats, reg_error *err);

/* ------------------------------------------------------------------------
 * What the importer's files share (import.c runs the batches over
 * import_read.c, which reads the CSV records, import_check.c, which checks
 * rows in memory, and import_write.c, which writes them; import_pool.c
 * holds a batch's strings).  Nothing here is for other files.
 */
#include <csv.h>
#include <libpq-fe.h>

#include "common/buf.h"
#include "common/strmap.h"
#include "leaf_int.h"
#include "record_int.h"

#define IMP_LINE_MAX		65536	/* bytes in a line, and in a record */
#define IMP_RECORD_LINES	8	/* lines one record (a quoted field with
					 * line breaks) may span */
#define IMP_BATCH_DEFAULT	5000
#define IMP_BATCH_MAX		50000	/* a weapon row makes two leaves, and the
					 * log takes 100000 in one call */
#define IMP_READ_CHUNK		(256 * 1024)
#define IMP_POOL_BLOCK		(256 * 1024)
#define IMP_MAX_FIELDS		16
#define IMP_TRANSIT_MAX		255	/* as event.c: codes and separators */

/* The two formats, and their fields in the order of their header lines
 * (weapon_header and event_header in import_read.c). */
enum imp_format { FMT_WEAPONS, FMT_EVENTS };

enum {
	W_OFFICE_REF, W_MANUFACTURER, W_MODEL, W_TYPE, W_CALIBRE, W_SERIAL,
	W_COUNTRY, W_YEAR, W_MARK_TEXT, W_MARK_LOCATION, W_MARK_KIND, W_NFIELDS
};

enum {
	E_OFFICE_REF, E_WEAPON, E_KIND, E_DATE, E_FROM, E_TO, E_LICENCE_NUMBER,
	E_LICENCE_ISSUED, E_LICENCE_EXPIRES, E_EUC_REF, E_EXPORT_COUNTRY,
	E_IMPORT_COUNTRY, E_TRANSIT, E_FINAL_RECIPIENT, E_CERTIFICATE, E_NOTE,
	E_NFIELDS
};

/* The event table's column that holds an array (COPY needs {A,B}). */
#define EVENT_TRANSIT_COL 13

/*
 * Memory for one batch's strings, given out in pieces and taken back all at
 * once; blocks are kept for the next batch.
 */
struct pool_blk {
	struct pool_blk *next;
	size_t used, cap;
	char data[];
};

struct pool {
	struct pool_blk *head;		/* blocks in use, newest first */
	struct pool_blk *spare;		/* blocks to reuse */
	int failed;
};

struct pbline;

/*
 * Physical lines of the input, without their terminator.  Lines end in LF
 * (a CR before it is dropped), or in CR alone when the first line of the
 * input ends so (files from old Macintosh programs); term says which.
 */
struct reader {
	FILE *in;
	char *buf;
	size_t start, end;		/* unread bytes are buf[start..end) */
	char term;			/* '\n' or '\r'; 0 until the first read */
	int eof, discarding;
	uint64_t lineno;		/* lines read from the input so far */
	uint64_t bytes;			/* bytes consumed from the input */
	struct pbline *pb;		/* lines to read again first */
	size_t npb, ipb;
	char *held;			/* the pushed-back line last returned */
};

/* libcsv's state for the record being read. */
struct csvrec {
	struct csv_parser p;
	int p_ok;			/* p is initialised */
	struct pool *pool;		/* where fields are copied */
	const char *f[IMP_MAX_FIELDS];
	size_t nf;			/* fields seen, also beyond IMP_MAX_FIELDS */
	int done, nomem;
	struct cm_buf raw;		/* the record's lines, joined by the line
					 * terminator */
	uint64_t first;			/* the record's first line */
	size_t nlines;			/* lines in raw */
	size_t off[IMP_RECORD_LINES];	/* where each line starts in raw */
};


enum { ROW_NEW, ROW_REJECT, ROW_SKIP, ROW_IMPORT };

/* One data row of the batch. */
struct row {
	uint64_t line;			/* its first line */
	uint64_t last;			/* its last line */
	const char *raw;		/* may hold NUL bytes: rawlen says how long */
	size_t rawlen;
	const char **f;			/* the fields, or NULL for a bad record */
	int state;			/* ROW_* */
	const char *why;		/* why it was rejected */
	/* Worked out while checking. */
	const char *maker;		/* weapons: manufacturer id, or NULL */
	const char *mark_kind;		/* weapons */
	const char *year;		/* weapons: decimal, or NULL */
	const char *serial_norm;	/* weapons */
	const char *calibre_norm;	/* weapons: or NULL */
	const char *transit;		/* events: comma-separated, or "" */
	/* Filled when the row is written: its records' values and leaves. */
	const char **v;			/* the weapon's or the event's */
	const char **mv;		/* the weapon's marking */
	char *leaf[2];			/* in the batch's pool */
	size_t leaflen[2];
};

/* A weapon's history as the chain rules see it, while a batch runs
 * (import_check.c). */
struct wstate;

struct party {
	const char *id;
	const char *kind;
};

struct imp {
	reg_ctx *ctx;
	reg_error *err;
	const struct reg_import_opts *opts;
	size_t batch_rows;
	struct reg_import_stats st;
	struct reader rd;
	struct csvrec cr;
	int format;
	size_t nfields;
	char copy_sql[2][512];		/* COPY statements for this format */

	/* Reference data, loaded once. */
	uint8_t countries[26][26];
	struct reg__leafkeys keys[REC_NTYPES];
	struct cm_strmap types;		/* weapon type codes */
	struct cm_strmap maker_alias;	/* alias_norm -> manufacturer id */
	struct cm_strmap maker_id;	/* manufacturer id -> itself */
	struct pool refpool;

	/* The batch. */
	uint64_t log_size;		/* read under the batch's log lock */
	struct pool pool;
	struct row *rows;
	size_t nrows;
	struct cm_strmap seen;		/* office references present or taken */
	struct cm_strmap refs;		/* references already in a query */
	struct cm_strmap weapon_id, weapon_ref;	/* -> struct wstate */
	struct cm_strmap party_id, party_ref;	/* -> struct party */
	struct reg_leaf *leaves;
	struct cm_buf q1, q2, q3, copy1, leafbuf;
	int *eff;			/* scratch for history chains */
	size_t effcap;
};

/* import_pool.c: a batch's strings.  The allocations return NULL, with
 * p->failed set, when out of memory. */
void *reg__pool_alloc(struct pool *p, size_t n);
char *reg__pool_strndup(struct pool *p, const char *s, size_t n);
char *reg__pool_strdup(struct pool *p, const char *s);
/* Takes back every piece, keeping the blocks. */
void reg__pool_reset(struct pool *p);
void reg__pool_free(struct pool *p);

/* import_read.c: chooses the input's line end, sets the CSV parser up and
 * reads the header, deciding im->format and im->nfields; 0 or a REG_E*
 * code with im->err filled. */
int reg__imp_read_open(struct imp *im);
/* Reads up to im->batch_rows records into the batch; 0 or a REG_E* code. */
int reg__imp_batch_fill(struct imp *im);
/* Frees the reader's and the parser's memory. */
void reg__imp_read_free(struct imp *im);

/* import_check.c: the checks of one row in memory; a bad row gets state
 * ROW_REJECT and its reason (im->pool.failed tells of a lack of memory). */
void reg__imp_weapon_check(struct imp *im, struct row *rw);
void reg__imp_event_check(struct imp *im, struct row *rw);
/* Rejects rw for why (copied). */
void reg__imp_reject(struct imp *im, struct row *rw, const char *why);
/* Whether s is a UUID; if so, its canonical (lower-case) text in out. */
int reg__imp_as_uuid(const char *s, char out[REG_UUID_STR]);
/* A weapon's state before its first event (in the batch's pool), or NULL
 * when out of memory; its id, and the number of its events so far. */
struct wstate *reg__imp_wstate_new(struct imp *im, const char *id);
const char *reg__imp_wstate_id(const struct wstate *s);
int reg__imp_wstate_events(const struct wstate *s);
/* Brings s up to date with its stored events, rows [a, b) of res (see
 * state_load()); 0 or REG_ENOMEM. */
int reg__imp_history_load(struct imp *im, struct wstate *s, PGresult *res,
    int a, int b);
/* Checks a new event against s (kind, date and the parties' ids, "" for
 * none; to_kind the to party's kind) and, when it holds, moves s on by it;
 * 0, or the rule's REG_E* code with e filled. */
int reg__imp_event_chain(struct wstate *s, const char *kind, const char *date,
    const char *from, const char *to, const char *to_kind, reg_error *e);

/* import_write.c: the COPY statements and the leaves' key order for
 * im->format. */
void reg__imp_write_open(struct imp *im);
/* Reads the reference data of im->format (countries, weapon types,
 * manufacturers); 0 or a REG_E* code. */
int reg__imp_load_reference(struct imp *im);
/* Takes the log's append lock and reads the log's size under it. */
int reg__imp_log_reserve(struct imp *im, uint64_t *size);
/* Writes the batch's good rows, in the transaction open; 0 or a REG_E*
 * code (the caller rolls back). */
int reg__imp_weapons_write(struct imp *im);
int reg__imp_events_write(struct imp *im);

#endif
