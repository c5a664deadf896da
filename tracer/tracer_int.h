/* libtracer's internal declarations; never installed. */
#ifndef TRACER_TRACER_INT_H
#define TRACER_TRACER_INT_H


#if !defined(REG_PART_TRACER) && !defined(REG_WHITEBOX)
#error "tracer_int.h is internal to tracer/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>
#include <stdint.h>

#include "tracer/tracer.h"

#define TR__ID 37			/* a UUID as text, with its NUL */
#define TR__SERIAL_MAX 128		/* serial keys and patterns */
#define TR__REASONS_MAX 16		/* the codec's limit per candidate */
#define TR__CANDS_MAX REG_SEARCH_MAX	/* fetched per search */

/* Fails with a formatted message (first failure kept); returns code. */
int tr__fail(reg_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * An arena: many small blocks freed together at the end of a trace.
 * Allocation failures are remembered (failed) so that callers can check
 * once.
 */
struct tr__arena {
	struct tr__chunk *head;
	int failed;
};
void *tr__alloc(struct tr__arena *a, size_t n);	/* zeroed */
char *tr__strdup(struct tr__arena *a, const char *s);	/* NULL stays NULL */
/* src into dst of size bytes, cut to fit (snprintf's "%s" without its cost). */
void tr__copy(char *dst, size_t size, const char *src);
char *tr__printf(struct tr__arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tr__arena_free(struct tr__arena *a);

/* ---------------------------------------------------------- serials */

/* How a registered serial relates to the serial as read. */
enum tr__level {
	TR__EXACT,		/* the same letters and digits */
	TR__LOOKALIKE,		/* the same after folding look-alikes */
	TR__WILDCARD,		/* matches the unreadable positions' pattern */
	TR__EDIT1,		/* one character wrong, missing, extra or swapped */
	TR__EDIT2,		/* two such differences */
	TR__NOMATCH
};

/* The serial as read, prepared for searching. */
struct tr__query {
	char upper[TR__SERIAL_MAX];	/* letters, digits, '?' and '*' */
	char key[TR__SERIAL_MAX];	/* upper with look-alikes folded */
	int wildcards;			/* '?' or '*' present */
	int known;			/* letters and digits read */
};

/* Prepares q from the serial as read; -1 if too long. */
int tr__query_init(struct tr__query *q, const char *serial);

struct tr__serial_match {
	enum tr__level level;
	int lookalikes;		/* positions where a look-alike was read */
	int unknown;		/* registered characters under wildcards */
	double score;		/* 0..1 */
	char what[160];		/* a reason, in words */
};

/* Compares a registered serial (as marked) with the query. */
void tr__serial_compare(const struct tr__query *q, const char *registered,
    struct tr__serial_match *m);

/* A LIKE pattern for the query's key ('?' -> '_', '*' -> '%', '%' and '_'
 * never occur in keys); returns its length or -1. */
int tr__like_pattern(const struct tr__query *q, char *out, size_t outlen);

/* ---------------------------------------------------------- names */

/* (Names compare by reg_name_norm(), registry/norm.c.) */
/* A calibre in a canonical form ("9x19", "45acp", "12ga", ...) so that the
 * common names of one cartridge compare equal. */
void tr__calibre_canon(const char *in, char *out, size_t outlen);

/* ---------------------------------------------------------- records */

/*
 * The records as the registry's search reads them (registry.h, "search"):
 * struct reg_search_party, reg_search_event, reg_search_marking,
 * reg_search_component; a candidate is a reg_search_weapon (its fields
 * laid out here too, so that c->id is c->w.id) with what the engine adds.
 */

/* What the history says, for a trace. */
struct tr__chain {
	int *eff;			/* the effective events, indexes into ev */
	int neff;
	int last_legal;			/* index into ev of the last legal event, -1 */
	const struct reg_search_party *last_legal_holder;
	const char *finding;		/* diversion finding, or NULL */
	int finding_event;		/* index into ev, or -1 */
	int export_event;		/* index into ev when the chain leaves the
					 * State, or -1 */
};

struct tr__cand {
	union {
		struct reg_search_weapon w;	/* as the search fills it */
		struct { REG_SEARCH_WEAPON_FIELDS };
	};
	char *manufacturer;
	double score;
	const char *reasons[TR__REASONS_MAX];
	int nreasons;
	int disagreements;		/* fields of the request it contradicts */
	struct tr__chain chain;
};

struct tr__cands {
	struct tr__cand *c;
	int n, cap;
};

/* ---------------------------------------------------------- database */

/*
 * The engine's searches (fetch.c), each the registry's (reg_search_*)
 * with its weapons appended to out as candidates and their memory in the
 * trace's arena a.
 *
 * tr__db_by_key(): the weapons whose own serial has the search key, each
 * with its markings, components and history, from the read model held
 * against the log's leaves (such candidates are sealed), or from the
 * records (tr__db_rows_fallbacks, tr__readmodel_mismatches count why).
 * *truncated is set when there were too many to read them all (the last
 * candidate, whose history may be cut, is then dropped).
 */
int tr__db_by_key(reg_search *s, struct tr__arena *a, const char *key,
    struct tr__cands *out, int *truncated, reg_error *err);
/* How often tr__db_by_key() read the records because the read model's
 * rows were too many or not whole (a diagnostic, for the tests). */
extern _Atomic long tr__db_rows_fallbacks;
/* The same from the records themselves (one query joining them). */
int tr__db_by_key_records(reg_search *s, struct tr__arena *a, const char *key,
    struct tr__cands *out, int *truncated, reg_error *err);
/* Candidates (without details): reg_search_other_serials(),
 * reg_search_pattern(), reg_search_pattern_narrowed(), reg_search_near(). */
int tr__db_by_other_serials(reg_search *s, struct tr__arena *a,
    const char *key, int imports, struct tr__cands *out, reg_error *err);
int tr__db_by_pattern(reg_search *s, struct tr__arena *a, const char *like,
    int imports, struct tr__cands *out, reg_error *err);
int tr__db_by_pattern_narrowed(reg_search *s, struct tr__arena *a,
    const char *like, const char *type, const char *const *makers,
    int nmakers, int year, struct tr__cands *out, reg_error *err);
int tr__db_near(reg_search *s, struct tr__arena *a, const char *key,
    int imports, struct tr__cands *out, reg_error *err);
/* Reads the details of the candidates list[0..n) that have none yet. */
int tr__db_details(reg_search *s, struct tr__arena *a, struct tr__cand **list,
    int n, reg_error *err);
/* reg_search_verify() of the candidates list[0..n). */
int tr__check_answer(reg_search *s, struct tr__arena *a,
    struct tr__cand **list, int n, int *records, reg_error *err);
/* How often a trace found the read model's copy of a weapon not what the
 * log sealed and read the records instead (for the tests and metrics). */
extern _Atomic long tr__readmodel_mismatches;
/* reg_search_parties() of the candidates list[0..n). */
int tr__db_parties(reg_search *s, struct tr__arena *a, struct tr__cand **list,
    int n, reg_error *err);

/* ---------------------------------------------------------- history */

/* Fills c->chain and each event's corrects_seq / corrected_by_seq. */
int tr__chain_analyse(struct tr__arena *a, struct tr__cand *c);

/* ---------------------------------------------------------- policy */

enum { TR__HIDE = 0, TR__LICENSED = 1, TR__NAMED = 2 };

/* What one kind of requester may see. */
struct tr__audience {
	int answer;			/* 0: decline to answer */
	char decline_reason[400];
	int private_holders;		/* TR__HIDE, TR__LICENSED or TR__NAMED */
	int private_region;		/* region of a private holder */
	int holder_licences;		/* a private holder's licence number */
	int transfer_licences;		/* licence numbers and end-user certificates */
	int notes;			/* the record office's notes on events */
	int weapon_id;			/* the registry's weapon id */
	unsigned set;			/* which fields the file set (per State) */
};

struct tr_policy {
	char state[3];
	char authority[201];
	char contact_name[201];
	char contact_email[201];
	char contact_phone[51];
	struct tr__audience domestic, foreign;
	struct tr__state_policy {
		char code[3];
		struct tr__audience a;
	} *states;
	int nstates;
};

/* The rules for a requester (a State's code): the domestic ones for the
 * policy's own State, else the foreign ones with that State's overrides. */
void tr__policy_for(const tr_policy *p, const char *requester,
    struct tr__audience *out);

/* ================================================================ peers
 * The peers directory (tracer/net/peers.c, which documents the file's format):
 * the other States a tracing daemon talks to, each with its base URL, TLS
 * trust, JWS signing keys and audit log verifier key.  A loaded directory
 * never changes, so that threads may read it at once; a reload (SIGHUP)
 * loads a new one, and the daemon swaps it in and frees the old one when
 * nothing uses it any more, or keeps the old one when the new one fails.
 */
typedef struct tr__peers tr__peers;

/* One State of the directory; owned by the directory. */
struct tr__peer {
	char code[3];			/* ISO 3166-1 alpha-2, as [peer.BE] */
	char *name;			/* display name, or NULL */
	char *url;			/* "https://host[:port]", no trailing '/' */
	char *host;			/* DNS name or IP address, no brackets */
	int port;			/* 443 unless the url names another */
	char *ca_file;			/* absolute path, or NULL */
	char *pinned_cert;		/* absolute path, or NULL; one of the two */
	uint8_t pin_sha256[32];		/* with pinned_cert: SHA-256 of the
					 * certificate's DER, to compare with
					 * the one the peer presents */
	reg_key *log_key;		/* verifier key of the State's audit log */
	int nkeys;			/* signing keys, 1 to 8: tr__peers_key() */
	int line;			/* the section's line in the file */
	char via[3];			/* the hub it is reached through ("XH"),
					 * or "": then url and the TLS trust are
					 * NULL */
	int hub;			/* a liaison hub (user-assigned code) */
};

/*
 * Loads the peers directory file at path into *out (free with
 * tr__peers_free()).  A fault is REG_EINVAL with the one-line message
 * "PATH:LINE: what is wrong; what to do" in err (REG_ENOTFOUND when the file
 * does not exist, REG_EIO when it or a key or certificate file it names
 * cannot be read, REG_ENOMEM); *out is then NULL.
 */
TR_WUR int tr__peers_load(const char *path, tr__peers **out, reg_error *err);
/* Frees p and everything in it; accepts NULL. */
void tr__peers_free(tr__peers *p);
/* The number of States in p. */
size_t tr__peers_count(const tr__peers *p);
/* The i-th State in the file's order, or NULL when i >= count. */
const struct tr__peer *tr__peers_at(const tr__peers *p, size_t i);
/* The State of code ("BE"), or NULL. */
const struct tr__peer *tr__peers_get(const tr__peers *p, const char *code);
/*
 * The entry whose url and TLS trust to connect to in order to reach State
 * state: the State's own, or, when it has via, its hub's; NULL when the
 * directory has no such State.
 */
const struct tr__peer *tr__peers_route(const tr__peers *p, const char *state);
/* Whether code is an ISO 3166-1 user-assigned code (AA, QM to QZ, XA to
 * XZ, ZZ), which names a liaison hub rather than a State. */
int tr__country_user_assigned(const char *code);
/*
 * The verifying key of a JWS kid ("BE/2026-1"), or NULL when no State has
 * it.  The kid names its State ("BE/"); the caller still checks that this
 * State is the one the message claims to come from.
 */
const proto_jws_key *tr__peers_key(const tr__peers *p, const char *kid);
/* ============================================================ end peers */


/* ---------------------------------------------------------- INI files */

#include <stdio.h>
#include <ini.h>

/*
 * An INI file being read (ini.c).  A parser's own state embeds this as its
 * first member, so that inih's handler gets it as its user pointer.
 */
struct tr__ini {
	FILE *f;
	int line;			/* lines read so far */
	int msg_line;			/* the line msg was written for */
	int long_line;			/* the first line too long, or 0 */
	char msg[400];
};
/* Keeps the first message, for the line being read; returns 0 (inih's
 * "refused"). */
int tr__ini_fail(struct tr__ini *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Parses in->f with handler; a refused line is REG_EINVAL "PATH:LINE: why". */
int tr__ini_run(struct tr__ini *in, const char *path, ini_handler handler,
    reg_error *err);

/* ---------------------------------------------------------- signing */

/* Loads a JWS signing key from a PEM file (PKCS#8 Ed25519) that group and
 * others may not read; the file's text is wiped after use. */
int tr__signing_key_load(const char *path, const char *kid,
    proto_jws_key **out, reg_error *err);

#endif
