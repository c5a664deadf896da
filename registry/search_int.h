/*
 * What the search modules share (search.c, search_decode.c,
 * search_leaves.c, search_party.c); never installed.
 */
#ifndef REGISTRY_SEARCH_INT_H
#define REGISTRY_SEARCH_INT_H


#if !defined(REG_PART_REGISTRY) && !defined(REG_WHITEBOX)
#error "search_int.h is internal to registry/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stdint.h>

#include "common/strmap.h"
#include "registry_int.h"

#define REG__ROWS_MAX 5000		/* rows of weapons with their events */
#define REG__PARTIES_STMT "tr_parties"	/* search.c prepares it */

/* Parties by id, kept for the handle's life (search_party.c). */
struct reg__party_cache {
	struct cm_strmap by_id;		/* id -> struct reg_search_party (owned) */
};

struct reg_search {
	reg_ctx *ctx;
	struct reg__party_cache parties;
};

/* A search's decoding: where to put what it reads, and whether an
 * allocation failed (checked once, at the end). */
struct reg__sdec {
	const struct reg_search_sink *sink;
	int failed;
};

/* n zeroed bytes from the caller's memory, or NULL (d->failed set). */
static inline void *
reg__salloc(struct reg__sdec *d, size_t n)
{
	void *p = d->sink->alloc(d->sink->arg, n);

	if (p == NULL)
		d->failed = 1;
	return p;
}

/* A big-endian int32, as an array's send format has them. */
static inline int32_t
reg__get32(const unsigned char *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

/*
 * The read model's records unpacked, one row of REG__ROW_COLS cells per
 * record, the columns of trace_rec (migration 0011):
 *  0 kind (w, m, c, e), 1 weapon id, 2 manufacturer_id, 3 model, 4 type,
 *  5 calibre, 6 serial, 7 country, 8 year, 9 text, 10 location,
 *  11 new serial, 12 event id ... 30 log index: the event's columns in
 *  search.c's DETAIL_COLS order from 12 on (its 13, the event's kind, is
 *  every record's own kind).  Each cell points into the result or,
 *  unescaped, into the caller's memory; v NULL for NULL.
 */
#define REG__ROW_EVENT 12
#define REG__ROW_COLS 31
#define REG__ROW_LOG_INDEX 30
struct reg__cell {
	const char *v;
	int len;
};

/* One leaf that came with the read model's rows (search_leaves.c). */
struct reg__leafref {
	uint64_t idx;
	const unsigned char *hash;	/* the hash stored with it (32 bytes) */
	const char *leaf;
	size_t len;
	int used;			/* a served record is this leaf's */
};
/* The leaf at idx among l[0..n), sorted by index; NULL when none. */
struct reg__leafref *reg__leaf_find(struct reg__leafref *l, int n,
    uint64_t idx);

struct pg_result;

/* ------------------------------------------------- search_decode.c */

/* A failed query, named by what, into err; REG_EDB. */
int reg__search_fail_pg(reg_error *err, struct pg_conn *conn,
    const struct pg_result *res, const char *what);
/* The value of a column into out, cut to fit; "" for NULL. */
void reg__search_fixed(char *out, size_t outlen, struct pg_result *res,
    int row, int col);
/* A uuid[] literal of ids[0..n) (UUIDs as text) into out, which holds
 * REG__UUIDS_SIZE(n) bytes. */
#define REG__UUIDS_SIZE(n) ((size_t)(n) * REG_SEARCH_ID + 3)
void reg__search_uuids(char *out, const char *const *ids, int n);
/* The rows of a detail query (search.c's DETAIL_COLS), each weapon's rows
 * into a weapon: the one of list (when given) with its id, else a new one. */
int reg__search_read_details(struct reg__sdec *d, struct pg_result *res,
    struct reg_search_weapon *const *list, int nlist, reg_error *err);
/* The rows of a candidate query (search.c's CAND_COLS), each a new weapon
 * without details. */
int reg__search_read_cands(struct reg__sdec *d, struct pg_result *res,
    reg_error *err);
/*
 * The read model's weapons (column 0: one text[] of trace_rec literals
 * each, in binary), unpacked into rows->cells (rows->n records) and put in
 * the order they are read in (rows->refs: each weapon's own record, then
 * its markings and components as recorded, then its events in sequence).
 * 0 done, 1 when they are not whole weapons' records (a record that does
 * not read back, a weapon without its own record or with two) or more than
 * REG__ROWS_MAX (the records are then read), -1 out of memory.
 */
struct reg__rowref;
struct reg__rows {
	struct reg__cell *cells;
	struct reg__rowref *refs;
	int n;
};
int reg__search_unpack(struct reg__sdec *d, struct pg_result *res,
    struct reg__rows *rows);
/* A weapon for each weapon of rows, with its details; when leaves is not
 * NULL (sorted, nleaves of them), sealed: its events get their hashes. */
int reg__search_read_rows(struct reg__sdec *d, const struct reg__rows *rows,
    struct reg__leafref *leaves, int nleaves, reg_error *err);

/* ------------------------------------------------- search_leaves.c */

/*
 * Holds the unpacked records against the leaves that came with them in
 * res's column 1 (the number of weapons under key in column 2); *leaves
 * gets them sorted by index.  0 when all hold, 1 when something differs,
 * -1 out of memory.
 */
int reg__search_check_leaves(struct reg__sdec *d, struct pg_result *res,
    const struct reg__cell *cells, int nrecs, const char *key,
    struct reg__leafref **leaves, int *nleaves);

/* ------------------------------------------------- search_party.c */

void reg__party_cache_clear(struct reg__party_cache *pc);

#endif
