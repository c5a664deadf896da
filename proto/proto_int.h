/*
 * Internal definitions shared by the codec's modules; never installed.
 *
 * The codec is driven by descriptions of the document structs: for every
 * JSON object of a document a struct proto__type lists its members (name,
 * kind, place in the C struct, limits), and one generic walk (walk.c)
 * parses, writes and frees every document type from those descriptions.
 * Rules that relate several fields are each type's check function.
 */
#ifndef PROTO_PROTO_INT_H
#define PROTO_PROTO_INT_H


#if !defined(REG_PART_PROTO) && !defined(REG_WHITEBOX)
#error "proto_int.h is internal to proto/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "proto/proto.h"

/* An assertion that stays in release builds; for internal invariants only,
 * never for untrusted input. */
#define PROTO_ASSERT(e) do { \
	if (!(e)) { \
		fprintf(stderr, "%s:%d: assertion failed: %s\n", \
		    __FILE__, __LINE__, #e); \
		abort(); \
	} \
} while (0)

/* ------------------------------------------------------------ countries */

struct proto__country {
	char code[3];
	const char *name;
};

/* Every assigned ISO 3166-1 alpha-2 code, sorted (iso3166.c, generated). */
extern const struct proto__country proto__countries[];
extern const size_t proto__ncountries;

/* --------------------------------------------------------------- errors */

/*
 * Records a failure of field (a path, "" for the whole document) in err,
 * when err is not NULL and holds none yet, and returns code.  The message
 * is the path (or "document"), ": ", then fmt's text.
 */
int proto__fail(proto_error *err, int code, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int proto__vfail(proto_error *err, int code, const char *field,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/*
 * Copies at most max characters of s (len bytes) into buf as printable
 * ASCII, for quoting untrusted text in messages: other bytes become '?',
 * and "..." marks a cut.
 */
void proto__excerpt(const char *s, size_t len, size_t max, char *buf,
    size_t bufsz);

/* ------------------------------------------------------- field checks */

/*
 * Each check returns NULL when the value is valid, or static text saying
 * what is wrong, to follow the quoted value in a message.
 */
const char *proto__check_uuid(const char *s);
const char *proto__check_country(const char *s);
const char *proto__check_date(const char *s);
const char *proto__check_timestamp(const char *s);
const char *proto__check_email(const char *s);
const char *proto__check_phone(const char *s);
const char *proto__check_note_text(const char *s);
const char *proto__check_score(double v);

/*
 * Compares two valid timestamps (proto__check_timestamp()) as instants:
 * negative, 0 or positive as a is before, at or after b.  Fractions of
 * different lengths compare by value ("...00.1Z" is "...00.100Z").
 */
int proto__timestamp_cmp(const char *a, const char *b);

/*
 * Static text saying which character s may not hold, or NULL.  Single-line
 * text holds no control characters (U+0000 to U+001F, U+007F to U+009F);
 * multi-line text may also hold line feeds and tabs.
 */
const char *proto__check_chars(const char *s, size_t len, bool multiline);

/*
 * Serial numbers as read: '?' and '*' are wildcards, and condition says how
 * many of them there may be.  Returns NULL or what is wrong.
 */
const char *proto__check_serial(const char *serial, const char *condition);

/* Strict base64 (RFC 4648 section 4, padded) of exactly 32 bytes. */
int proto__hash_decode(const char *s, size_t len, struct proto_hash *h);
#define PROTO__HASH_B64_LEN 44
void proto__hash_encode(const struct proto_hash *h,
    char out[PROTO__HASH_B64_LEN + 1]);

/*
 * The number of hashes in an RFC 9162 inclusion proof of leaf index in a
 * tree of size leaves (index < size).
 */
size_t proto__inclusion_path_len(uint64_t index, uint64_t size);

/* ---------------------------------------------------------- descriptions */

enum proto__kind {
	PROTO__K_LINE,		/* char *, one line of text */
	PROTO__K_TEXT,		/* char *, text that may hold LF and TAB */
	PROTO__K_UUID,		/* proto_uuid */
	PROTO__K_COUNTRY,	/* proto_country */
	PROTO__K_DATE,		/* proto_date */
	PROTO__K_TIMESTAMP,	/* proto_timestamp */
	PROTO__K_ENUM,		/* proto_enum, one of field->values */
	PROTO__K_INT,		/* int */
	PROTO__K_I64,		/* int64_t */
	PROTO__K_BOOL,		/* bool, written only when true (or required) */
	PROTO__K_SCORE,		/* double, 0 to 1 in steps of 0.0001 */
	PROTO__K_HASH,		/* struct proto_hash, as base64 */
	PROTO__K_OBJECT,	/* an embedded struct of field->type */
	PROTO__K_OBJECT_PTR,	/* a pointer to a struct of field->type */
	PROTO__K_ARRAY		/* a pointer to elements of kind field->elem,
				 * with a size_t count at field->count_off */
};

/* Field flags. */
#define PROTO__REQUIRED 0x1	/* the member must be present */
#define PROTO__EMPTY_OK 0x2	/* an array that may be empty */
#define PROTO__HAS 0x4		/* an optional integer whose range includes
				 * 0: the bool at has_off says whether it is
				 * present */
#define PROTO__ANY_CHARS 0x8	/* a string whose characters are not
				 * restricted (valid UTF-8 without NUL) */

struct proto__walk;
struct proto__type;

struct proto__field {
	const char *name;
	enum proto__kind kind;
	size_t off;			/* of the member in its struct */
	unsigned flags;
	size_t max;			/* strings (elements): characters */
	size_t max_items;		/* arrays: elements */
	long long min, imax;		/* integers: the valid range */
	const char *const *values;	/* enumerations: NULL-terminated */
	const char *(*format)(const char *s);	/* more checks of a string */
	const struct proto__type *type;	/* objects and their arrays */
	enum proto__kind elem;		/* arrays: the elements' kind */
	size_t count_off;		/* arrays: offset of the count */
	size_t has_off;			/* PROTO__HAS: offset of the bool */
};

struct proto__type {
	size_t size;			/* of the C struct */
	const struct proto__field *fields;
	size_t nfields;
	/* The rules that relate fields, run after the fields parsed; w's path
	 * is the object's. */
	int (*check)(struct proto__walk *w, const void *obj);
	/* For a whole document: its "schema" value; NULL otherwise. */
	const char *schema;
};

#define PROTO__NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* The start of a field's description: name, kind, place, flags. */
#define PROTO__F(st, m, k, fl) \
	.name = #m, .kind = (k), .off = offsetof(st, m), .flags = (fl)
/* An array member m with its count n_m. */
#define PROTO__ARR(st, m, e, fl, items) \
	PROTO__F(st, m, PROTO__K_ARRAY, fl), .elem = (e), \
	.max_items = (items), .count_off = offsetof(st, n_ ## m)

/* ----------------------------------------------------------------- walks */

/* The state of one walk over a document: where it is, for messages. */
struct proto__walk {
	proto_error *err;
	char path[PROTO_FIELD_MAX];
	size_t len;
};

void proto__walk_init(struct proto__walk *w, proto_error *err);
/* Appends ".key" (or "key" at the top) or "[i]" to the path; returns the
 * length to restore with proto__path_pop(). */
size_t proto__path_key(struct proto__walk *w, const char *key);
size_t proto__path_index(struct proto__walk *w, size_t i);
void proto__path_pop(struct proto__walk *w, size_t len);

/* Records a failure of the walk's current field; returns code. */
int proto__walk_fail(struct proto__walk *w, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for a member of the current object, named by a relative path
 * such as "reason" or "history[2].seq". */
int proto__walk_fail_at(struct proto__walk *w, const char *rel, int code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Parses JSON object obj into dst, a zeroed struct of type t.  On failure
 * dst may be partly filled; proto__free_object() frees it either way. */
int proto__parse_object(struct proto__walk *w, json_t *obj,
    const struct proto__type *t, void *dst);
/* Builds the JSON object of src, a struct of type t. */
int proto__build_object(struct proto__walk *w, const struct proto__type *t,
    const void *src, json_t **out);
/* Frees what a struct of type t owns (not the struct itself). */
void proto__free_object(const struct proto__type *t, void *p);

/* ------------------------------------------------------------- documents */

/*
 * Parses a whole document of type t (which names its schema): the size,
 * byte and nesting limits, JSON well-formedness, the schema member, then
 * every field.  On success *out is a new struct of t the caller frees with
 * proto__doc_free().
 */
int proto__doc_parse(const char *json, size_t len,
    const struct proto__type *t, void **out, proto_error *err);
/* Writes src, a struct of type t, in the canonical form, validated. */
int proto__doc_write(const struct proto__type *t, const void *src,
    char **out, proto_error *err);
/* As proto__doc_parse(), with a limit of max bytes (not PROTO_DOC_MAX), for
 * documents that carry whole signed messages (trace-chain/1). */
int proto__doc_parse_max(const char *json, size_t len, size_t max,
    const struct proto__type *t, void **out, proto_error *err);
/* As proto__doc_write(), compact but with the members in the order of the
 * descriptions rather than sorted: for documents whose bytes were fixed
 * before the canonical form (trace-chain/1); read back within max bytes. */
int proto__doc_write_ordered(const struct proto__type *t, const void *src,
    size_t max, char **out, proto_error *err);
/* Frees a struct of type t and what it owns; accepts NULL. */
void proto__doc_free(const struct proto__type *t, void *p);

/* ------------------------------------------------ the shared descriptions */

/* common.c */
extern const struct proto__type proto__authority_type;
extern const struct proto__type proto__contact_type;
extern const struct proto__type proto__marking_type;
extern const struct proto__type proto__component_type;
extern const struct proto__type proto__party_type;
extern const struct proto__type proto__licence_type;
extern const char *const proto__weapon_types[];

/* history.c */
extern const struct proto__type proto__event_type;
/* Whether seq is the seq of one of the n events. */
const struct proto_event *proto__history_find(const struct proto_event *ev,
    size_t n, int seq);
/* The rules over a whole history: seqs increase, references resolve. */
int proto__history_check(struct proto__walk *w, const struct proto_event *ev,
    size_t n);

/* chain.c */
extern const struct proto__type proto__chain_type;

/* request.c, response.c, ack.c and problem.c */
extern const struct proto__type proto__request_type;
extern const struct proto__type proto__response_type;
extern const struct proto__type proto__ack_type;
extern const struct proto__type proto__problem_type;

#endif
