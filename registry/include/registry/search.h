/*
 * libregistry's search queries for the trace engine (reg_search_*).  Part
 * of the API that registry/registry.h gathers.
 */
#ifndef REGISTRY_SEARCH_H
#define REGISTRY_SEARCH_H


#if defined(REG_PART_PROTO) || defined(REG_PART_COMMON)
#error "registry/search.h: proto and common never include the registry (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>
#include <stdint.h>

#include "registry/conn.h"
#include "registry/errors.h"
#include "registry/values.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================ search
 * The trace engine's queries (registry/search.c): weapons by a serial's
 * search key (from the read model, held against the log's leaves, or from
 * the records), by a LIKE pattern of keys, within two edits of a key, and
 * by components' and importers' serials; their details, their parties
 * and the manufacturers' aliases.  A search key is a serial as migration
 * 0005 indexes it (upper case letters and digits, look-alikes folded, then
 * 'D' read as '0' and '7' as '1'), at most REG_SEARCH_KEY_MAX bytes; a key
 * with '%', '_' or '\' is REG_EINVAL (a pattern may have '%' and '_').
 * Each function returns 0 or a REG_E* code with the detail in err.
 */
typedef struct reg_search reg_search;

#define REG_SEARCH_KEY_MAX 127		/* bytes of a key or pattern */
#define REG_SEARCH_MAX 200		/* candidates per search, at most */
#define REG_SEARCH_ID 37		/* a UUID as text, with its NUL */

/* A party, as the search's cache keeps it (owned by the handle). */
struct reg_search_party {
	char id[REG_SEARCH_ID];
	char kind[24];
	char *name;
	char country[3];
	char *region;
	char *licence;
	uint8_t *pii;			/* private persons: encrypted identity */
	size_t pii_len;
};

/* An event of a weapon's history.  Fields that do not fit their buffer
 * are cut; "" or NULL for none. */
struct reg_search_event {
	char id[REG_SEARCH_ID];
	int seq;
	char kind[24];
	char date[11];
	char from_id[REG_SEARCH_ID], to_id[REG_SEARCH_ID];	/* party ids */
	const struct reg_search_party *from, *to;	/* reg_search_parties() */
	char *licence_number;
	char licence_issued[11];
	char licence_expires[11];
	char *euc;
	char export_country[3];
	char import_country[3];
	char *transit;			/* codes separated by ',' or NULL */
	char *final_recipient;
	char *certificate;
	char corrects[REG_SEARCH_ID];	/* the event corrected, or "" */
	char *reason;
	char *note;
	int64_t log_index;
	struct reg_hash leaf_hash;	/* its leaf's hash, once sealed */
	int sealed;			/* compared with its leaf */
	int corrects_seq;		/* the caller's (the history's reading): */
	int corrected_by_seq;		/* the search leaves them 0 */
};

struct reg_search_marking {
	char kind[24];
	char *text;
	char location[16];
	char country[3];
	int year;
	char *new_serial;
};

struct reg_search_component {
	char kind[16];
	char *serial;
};

/*
 * A weapon found: its identity and how it matched; with its details
 * (detailed: markings, components, history in sequence) when they were
 * read; sealed when all of it was compared with its leaves as it was read.
 * The fields are a macro so that a caller may lay them out in a struct of
 * its own, as an anonymous member of a union with the struct (C11):
 *   union { struct reg_search_weapon w; struct { REG_SEARCH_WEAPON_FIELDS }; };
 */
#define REG_SEARCH_WEAPON_FIELDS \
	char id[REG_SEARCH_ID]; \
	char via[40];			/* serial, component <kind>, import */ \
	char *matched;			/* the serial that matched */ \
	char manufacturer_id[REG_SEARCH_ID]; \
	char *model; \
	char type[24]; \
	char *calibre; \
	char *serial; \
	char country[3]; \
	int year; \
	char *imports;			/* import markings: "CC:YYYY,CC:,..." */ \
	int detailed; \
	struct reg_search_marking *marks; \
	int nmarks; \
	struct reg_search_component *comps; \
	int ncomps; \
	struct reg_search_event *ev; \
	int nev; \
	int sealed;
struct reg_search_weapon {
	REG_SEARCH_WEAPON_FIELDS
};

/*
 * Where a search puts what it finds: add() gives a new zeroed weapon at
 * the end of the caller's list (NULL when out of memory; earlier ones may
 * move), alloc() n zeroed bytes that live as long as the caller keeps the
 * results (NULL when out of memory).  Strings and arrays of the weapons
 * are alloc()'s.
 */
struct reg_search_sink {
	struct reg_search_weapon *(*add)(void *arg);
	void *(*alloc)(void *arg, size_t n);
	void *arg;
};

/* Prepares the searches on ctx's connection (and sets its DateStyle to
 * ISO); free *out with reg_search_free() (before or after reg_close()). */
REG_API REG_WUR int reg_search_new(reg_ctx *ctx, reg_search **out,
    reg_error *err);
/* Frees s and its cache of parties; accepts NULL. */
REG_API void reg_search_free(reg_search *s);

/* Where reg_search_by_key() read its weapons from. */
enum {
	REG_SEARCH_READ_MODEL = 0,	/* the read model, sealed by the leaves */
	REG_SEARCH_FALLBACK = 1,	/* the records: too many or not whole */
	REG_SEARCH_MISMATCH = 2		/* the records: the read model is not
					 * what the log sealed */
};
/*
 * The weapons whose own serial has key, with their details: from the read
 * model (one index probe), held in the same statement against the log's
 * leaves of their records (every field as its leaf has it, every record
 * served, every weapon with the key): these are sealed, their events
 * carry their leaves' hashes.  Otherwise from the records (*source says
 * why; may be NULL).  *truncated (may be NULL) is set when too many share
 * the key to read them all: the last weapon's history may then be cut.
 */
REG_API REG_WUR int reg_search_by_key(reg_search *s, const char *key,
    const struct reg_search_sink *sink, int *truncated, int *source,
    reg_error *err);
/* The same from the records themselves (one query joining them); none
 * is sealed. */
REG_API REG_WUR int reg_search_by_key_records(reg_search *s, const char *key,
    const struct reg_search_sink *sink, int *truncated, reg_error *err);
/* Weapons (without details) whose components' serials, or with imports
 * the importers' serials of their import markings, have key. */
REG_API REG_WUR int reg_search_other_serials(reg_search *s, const char *key,
    int imports, const struct reg_search_sink *sink, reg_error *err);
/* Weapons (without details) whose serial, components' serials or (with
 * imports) importers' serials match like, a LIKE pattern of keys. */
REG_API REG_WUR int reg_search_pattern(reg_search *s, const char *like,
    int imports, const struct reg_search_sink *sink, reg_error *err);
/* As reg_search_pattern() on weapons' own serials, narrowed by type,
 * manufacturers (nmakers ids) and year of manufacture (one either way);
 * NULL, 0 leave a field open. */
REG_API REG_WUR int reg_search_pattern_narrowed(reg_search *s,
    const char *like, const char *type, const char *const *makers,
    int nmakers, int year, const struct reg_search_sink *sink,
    reg_error *err);
/* Weapons (without details) whose serial, components' or (with imports)
 * importers' serials are within two edits of key. */
REG_API REG_WUR int reg_search_near(reg_search *s, const char *key,
    int imports, const struct reg_search_sink *sink, reg_error *err);
/* Reads the details of the weapons list[0..n) not detailed yet. */
REG_API REG_WUR int reg_search_details(reg_search *s,
    struct reg_search_weapon *const *list, int n,
    const struct reg_search_sink *sink, reg_error *err);
/*
 * Compares the weapons list[0..n) not sealed yet (identity, markings,
 * components and events, wherever they were read from) with their records
 * as the log sealed them (reg_weapon_records()): every record there is in
 * the weapon, nothing in it is not there, every field is the sealed one.
 * Each event gets its leaf's hash.  0 when all agree; REG_EVERIFY when
 * they do not (err names the first difference): *records is then 1 when
 * the records themselves do not hold, 0 when only what was read differs.
 */
REG_API REG_WUR int reg_search_verify(reg_search *s,
    struct reg_search_weapon *const *list, int n, int *records,
    reg_error *err);
/* Points the events of list[0..n) at their parties, reading those the
 * handle's cache lacks; they live until reg_search_trim() or _free(). */
REG_API REG_WUR int reg_search_parties(reg_search *s,
    struct reg_search_weapon *const *list, int n, reg_error *err);
/* Empties the cache of parties when it has grown over its size: call it
 * between searches, when no weapon points at a party any more. */
REG_API void reg_search_trim(reg_search *s);

/* A manufacturer's name or code. */
struct reg_search_alias {
	char norm[208];			/* upper case letters and digits */
	char manufacturer_id[REG_SEARCH_ID];
	char kind[8];			/* name or code */
	char words[208];		/* the alias upper case, as written */
	char maker[208];		/* the manufacturer's name */
};
/* Every alias, by manufacturer id (bytewise), into *out (*n of them; free
 * with reg_free()). */
REG_API REG_WUR int reg_search_aliases(reg_search *s,
    struct reg_search_alias **out, int *n, reg_error *err);
/* ======================================================== end search */

#ifdef __cplusplus
}
#endif

#endif
