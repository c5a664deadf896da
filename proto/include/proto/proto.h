/*
 * The trace protocol's codec: trace requests, trace responses,
 * acknowledgements (and status documents) and problem documents, parsed
 * from JSON into structs and written back, with every field validated as
 * proto/README.md specifies.
 *
 * Every fallible function returns 0 on success or a negative PROTO_E* code,
 * and fills the caller's proto_error (when not NULL) with the code, the path
 * of the offending field and a message that names it.  The first failure is
 * kept: a proto_error that already holds a failure is not overwritten, so
 * initialise it with PROTO_ERROR_INIT (or proto_error_clear()) before each
 * operation whose failure you want to report.  The codec never prints,
 * logs, exits or reads the environment.
 *
 * Ownership.  The document structs are plain C structs whose members the
 * caller may read and fill, but whose memory belongs to the codec's
 * allocator: every "char *" member, every array and every optional
 * sub-struct reached through a pointer is a separate block from malloc()
 * (or strdup(), calloc()), and the document type's *_free() function
 * (proto_request_free(), proto_response_free(), proto_ack_free(),
 * proto_problem_free()) frees them all with free().  Start a struct with the
 * type's *_new() function.  A member that is absent from the document is
 * NULL (strings, optional objects), "" (fixed-format text: UUIDs, countries,
 * dates, times, enumerations), 0 (optional integers whose valid range never
 * includes 0), false (booleans), or an array count of 0.  The one optional
 * integer whose range includes 0, an acknowledgement's log_index, has a
 * flag of its own (has_log_index).
 */
#ifndef PROTO_PROTO_H
#define PROTO_PROTO_H


#if defined(REG_PART_COMMON)
#error "proto/proto.h: common includes no part (issue 18, tests/layout.sh)"
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PROTO_API __attribute__((visibility("default")))
#define PROTO_WUR __attribute__((warn_unused_result))
#else
#define PROTO_API
#define PROTO_WUR
#endif

/* Error codes.  Verification failure has its own code, distinct from
 * malformed input. */
enum {
	PROTO_OK = 0,
	PROTO_ENOMEM = -1,	/* out of memory */
	PROTO_EINVAL = -2,	/* bad argument (a NULL pointer) */
	PROTO_ESYNTAX = -3,	/* not well-formed JSON: syntax, invalid UTF-8,
				 * duplicate member names, NUL bytes, trailing
				 * data */
	PROTO_ESCHEMA = -4,	/* the "schema" member names another document
				 * type or an unknown version */
	PROTO_EMISSING = -5,	/* a required member is absent */
	PROTO_EUNKNOWN = -6,	/* a member the schema does not define */
	PROTO_ETYPE = -7,	/* a member of the wrong JSON type (null too) */
	PROTO_EVALUE = -8,	/* a value of the right type that is not valid:
				 * format, enumeration, range, or a rule that
				 * relates fields */
	PROTO_ETOOBIG = -9,	/* a string, array, nesting depth or document
				 * over its documented limit */
	PROTO_EVERIFY = -10,	/* a signature or proof does not verify (the
				 * signing layer's code; the codec never
				 * returns it) */
	PROTO_EINTERNAL = -11	/* internal error (a bug) */
};

#define PROTO_FIELD_MAX 256
#define PROTO_ERROR_MSG_MAX 512

typedef struct proto_error {
	int code;			/* 0 or a PROTO_E* code */
	/* The path of the offending field, as in "weapon.markings[2].text";
	 * "" for the document as a whole. */
	char field[PROTO_FIELD_MAX];
	/* One line of text, starting with the field's path. */
	char message[PROTO_ERROR_MSG_MAX];
} proto_error;

#define PROTO_ERROR_INIT { 0, "", "" }

/* Static text for an error code; never NULL. */
PROTO_API const char *proto_strerror(int code);
/* Empties an error struct; accepts NULL. */
PROTO_API void proto_error_clear(proto_error *err);

/* Limits of a document as a whole (proto/README.md, "Documents"). */
#define PROTO_DOC_MAX (1024u * 1024u)	/* bytes */
#define PROTO_DEPTH_MAX 16		/* nested objects and arrays */
#define PROTO_INT_MAX 9007199254740991LL /* 2^53 - 1, after RFC 7493 */

/* The document types this codec reads and writes. */
#define PROTO_SCHEMA_REQUEST "trace-request/1"
#define PROTO_SCHEMA_RESPONSE "trace-response/1"
#define PROTO_SCHEMA_ACK "trace-ack/1"
#define PROTO_SCHEMA_PROBLEM "problem/1"

/*
 * Fixed-format values, held as NUL-terminated text in arrays of their own
 * size, "" when absent.
 */
#define PROTO_UUID_LEN 36		/* 8-4-4-4-12 lower-case hex */
#define PROTO_DATE_LEN 10		/* YYYY-MM-DD */
#define PROTO_TIMESTAMP_MAX 30		/* YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ */
#define PROTO_ENUM_MAX 31		/* longest enumeration value */
typedef char proto_uuid[PROTO_UUID_LEN + 1];
typedef char proto_country[3];		/* ISO 3166-1 alpha-2 */
typedef char proto_date[PROTO_DATE_LEN + 1];
typedef char proto_timestamp[PROTO_TIMESTAMP_MAX + 1];
typedef char proto_enum[PROTO_ENUM_MAX + 1];

/* A SHA-256 value, written as base64 in documents. */
struct proto_hash {
	uint8_t b[32];
};

/* ---------------------------------------------------------- shared parts */

/* Whom to contact: a person or desk of an authority. */
struct proto_contact {
	char *name;			/* required */
	char *email;			/* email or phone, or both */
	char *phone;
	char *address;			/* optional, may span lines */
};

/* A requesting or responding authority (a national point of contact). */
struct proto_authority {
	char *name;			/* required */
	struct proto_contact contact;	/* required */
};

/* One mark on a weapon, as read (requests) or as registered (responses). */
struct proto_marking {
	char *text;			/* required */
	proto_enum kind;		/* manufacture, import, state_stock, ... */
	proto_enum location;		/* frame, receiver, slide, ... */
	proto_country country;		/* the country the mark names */
	int year;			/* the year the mark names; 0 if none */
};

/* An essential component with a serial of its own. */
struct proto_component {
	proto_enum kind;		/* required: frame, receiver, barrel, ... */
	char *serial;			/* required */
};

/* The importer, as an import marking shows it. */
struct proto_importer {
	char *name;
	proto_country country;
	int year;			/* year of import; 0 if not marked */
};

/* A weapon as found, described by the requesting State. */
struct proto_weapon {
	char *serial;			/* required; '?' and '*' are wildcards */
	proto_enum serial_condition;	/* required: legible, partly_legible,
					 * restored, partly_restored, obliterated */
	char *manufacturer;
	char *model;
	proto_enum type;		/* required */
	char *calibre;
	proto_country country_of_manufacture;
	int year_of_manufacture;	/* 0 if unknown */
	struct proto_marking *markings;
	size_t n_markings;
	struct proto_component *components;
	size_t n_components;
	struct proto_importer *importer;	/* NULL if not marked */
	char *notes;
};

/* A weapon as the responding State registered it. */
struct proto_weapon_record {
	proto_uuid id;			/* the registry's weapon id, if disclosed */
	char *serial;			/* required; as marked */
	char *manufacturer;
	char *model;
	proto_enum type;		/* required */
	char *calibre;
	proto_country country_of_manufacture;
	int year_of_manufacture;
	struct proto_marking *markings;
	size_t n_markings;
	struct proto_component *components;
	size_t n_components;
};

/* ------------------------------------------------------------ requests */

struct proto_illicit_basis {
	proto_enum *grounds;		/* required, one to four, distinct */
	size_t n_grounds;
	char *legal_reference;		/* required */
	char *details;
};

struct proto_found {
	proto_date date;		/* required */
	char *place;			/* required */
	proto_country country;		/* required */
	char *circumstances;		/* required */
};

/* A trace request ("trace-request/1"). */
typedef struct proto_request {
	proto_uuid id;			/* required */
	proto_uuid parent_id;		/* "" if none */
	proto_country requesting_state;	/* required */
	proto_country requested_state;	/* required */
	struct proto_authority requesting_authority;	/* required */
	proto_enum priority;		/* required: urgent or routine */
	proto_timestamp created_at;	/* required */
	char *case_reference;		/* required */
	struct proto_weapon weapon;	/* required */
	struct proto_illicit_basis illicit_basis;	/* required */
	struct proto_found found;	/* required */
	char *intended_use;		/* required */
	char **caveats;
	size_t n_caveats;
	bool follow_referrals;
} proto_request;

/* ----------------------------------------------------------- responses */

/* A holder or handler of the weapon, as disclosed. */
struct proto_party {
	proto_enum kind;		/* required */
	char *name;			/* required; "licensed private holder"
					 * for a private person not named */
	proto_country country;		/* required */
	char *region;
	char *licence;
};

struct proto_licence {
	char *number;
	proto_date issued;
	proto_date expires;
};

/* An RFC 6962 / RFC 9162 inclusion proof of an event's log leaf. */
struct proto_inclusion_proof {
	int64_t index;			/* the leaf's index: the event's log_index */
	int64_t size;			/* the tree size it is proved against */
	struct proto_hash leaf_hash;
	struct proto_hash *hashes;	/* the audit path, may be empty */
	size_t n_hashes;
};

/* One event of a candidate's history. */
struct proto_event {
	int seq;			/* required, from 1, increasing */
	proto_enum kind;		/* required */
	proto_date date;		/* required */
	struct proto_party *from;
	struct proto_party *to;
	struct proto_licence *licence;
	char *end_user_certificate;
	proto_country export_country;
	proto_country import_country;
	proto_country *transit_countries;
	size_t n_transit_countries;
	char *final_recipient;
	char *certificate;
	int64_t log_index;		/* required */
	int corrects;			/* seq of the event corrected, or 0 */
	int corrected_by;		/* seq of the correcting event, or 0 */
	char *reason;			/* required with corrects */
	char *note;
	struct proto_inclusion_proof *inclusion_proof;
};

/* Where the legal chain ends and what is known after it. */
struct proto_diversion {
	int last_legal_seq;		/* required */
	proto_enum finding;		/* required */
	int event_seq;			/* the event that shows it, or 0 */
	proto_date date;
	char *details;
};

/* The chain leaves the State: whom to ask next. */
struct proto_referral {
	proto_country importing_state;	/* required */
	proto_date export_date;		/* required */
	int event_seq;			/* the export event, or 0 */
	struct proto_licence *licence;
	char *end_user_certificate;
	struct proto_party *importer;
	proto_country *transit_countries;
	size_t n_transit_countries;
};

struct proto_candidate {
	double score;			/* required, 0 to 1, four decimals */
	char **reasons;			/* required, at least one */
	size_t n_reasons;
	struct proto_weapon_record weapon;	/* required */
	struct proto_event *history;
	size_t n_history;
	struct proto_party *last_legal_holder;
	struct proto_diversion *diversion;
	struct proto_referral *referral;
};

struct proto_restriction {
	proto_enum kind;		/* required: withheld, delayed, use_limited */
	char *scope;			/* required: what it covers */
	proto_enum reason;		/* required */
	char *explanation;
	proto_date until;
};

/* A trace response ("trace-response/1"). */
typedef struct proto_response {
	proto_uuid id;			/* required: the request's id */
	proto_country responding_state;	/* required */
	struct proto_authority responding_authority;	/* required */
	proto_timestamp responded_at;	/* required */
	proto_enum status;		/* required */
	char **status_reasons;
	size_t n_status_reasons;
	struct proto_candidate *candidates;
	size_t n_candidates;
	struct proto_restriction *restrictions;
	size_t n_restrictions;
	char *checkpoint;		/* a signed note, or NULL */
} proto_response;

/* ------------------------------------------------------ acknowledgements */

/*
 * An acknowledgement of a stored trace request, or the status of a trace
 * request ("trace-ack/1"): the requested State's daemon writes one at once
 * when it has stored a request (status "acknowledged"), and the same
 * document answers GET /v1/traces/{id} with the request's status then.
 */
typedef struct proto_ack {
	proto_uuid request_id;		/* required: the request's id */
	proto_country requesting_state;	/* required */
	proto_country requested_state;	/* required */
	proto_enum priority;		/* required: urgent or routine */
	proto_timestamp received_at;	/* required */
	proto_timestamp due_by;		/* required; not before received_at */
	/* Required: the SHA-256 of the signed request message (the JWS
	 * compact serialisation) exactly as received. */
	struct proto_hash request_sha256;
	/* The audit log leaf that records the receipt: written when
	 * has_log_index is true or log_index is not 0; parsing sets
	 * has_log_index when the member is present. */
	bool has_log_index;
	int64_t log_index;
	proto_enum status;		/* required: acknowledged, in_progress,
					 * answered, restricted, need_more_info,
					 * declined, overdue */
	/* When the answer was sent: present exactly when status is answered,
	 * restricted, need_more_info or declined; not before received_at. */
	proto_timestamp responded_at;
	char **status_reasons;
	size_t n_status_reasons;
} proto_ack;

/* ------------------------------------------------------------- problems */

/* The problem types of this version, each "urn:registry:problem:" and a
 * name (proto/README.md, "Problem details"). */
#define PROTO_PROBLEM_URN "urn:registry:problem:"

/*
 * A refusal of the daemon, after RFC 9457 (Problem Details for HTTP APIs),
 * with this project's "schema" member ("problem/1").
 */
typedef struct proto_problem {
	/* Required: one of the problem type URNs, e.g.
	 * "urn:registry:problem:invalid-document". */
	char *type;
	char *title;			/* required: a short summary */
	int status;			/* required: the HTTP status, 400 to 599 */
	char *detail;			/* may span lines */
	char *instance;			/* a URI reference, e.g. the path */
	char *field;			/* the codec's path of a refused field */
	proto_uuid request_id;		/* "" if none */
} proto_problem;

/* ------------------------------------------------------------ functions */

/*
 * Parses and validates a trace request of len bytes (not NUL-terminated
 * necessarily; at most PROTO_DOC_MAX).  On success *out owns the request;
 * free it with proto_request_free().  On failure *out is NULL and err
 * names the first offending field.
 */
PROTO_API PROTO_WUR int proto_request_parse(const char *json, size_t len,
    proto_request **out, proto_error *err);

/*
 * Writes a request in the canonical form (compact, members sorted by name)
 * after validating every field exactly as proto_request_parse() would, so
 * that what is written always parses back to an equal request.  On success
 * *out is a NUL-terminated string the caller frees with proto_free(); on
 * failure *out is NULL and err names the offending field.
 */
PROTO_API PROTO_WUR int proto_request_to_json(const proto_request *req,
    char **out, proto_error *err);

/* A zeroed request for the caller to fill, or NULL when out of memory. */
PROTO_API proto_request *proto_request_new(void);
/* Frees a request and everything it owns; accepts NULL. */
PROTO_API void proto_request_free(proto_request *req);

/* As the request functions, for trace responses. */
PROTO_API PROTO_WUR int proto_response_parse(const char *json, size_t len,
    proto_response **out, proto_error *err);
PROTO_API PROTO_WUR int proto_response_to_json(const proto_response *resp,
    char **out, proto_error *err);
PROTO_API proto_response *proto_response_new(void);
PROTO_API void proto_response_free(proto_response *resp);

/*
 * As the request functions, for acknowledgements and status documents.
 * proto_ack_new() returns a zeroed acknowledgement.
 */
PROTO_API PROTO_WUR int proto_ack_parse(const char *json, size_t len,
    proto_ack **out, proto_error *err);
PROTO_API PROTO_WUR int proto_ack_to_json(const proto_ack *ack, char **out,
    proto_error *err);
PROTO_API proto_ack *proto_ack_new(void);
PROTO_API void proto_ack_free(proto_ack *ack);

/* As the request functions, for problem documents. */
PROTO_API PROTO_WUR int proto_problem_parse(const char *json, size_t len,
    proto_problem **out, proto_error *err);
PROTO_API PROTO_WUR int proto_problem_to_json(const proto_problem *prob,
    char **out, proto_error *err);
PROTO_API proto_problem *proto_problem_new(void);
PROTO_API void proto_problem_free(proto_problem *prob);
/* The status code and English title that bind a problem type's sender, by
 * the type's name after PROTO_PROBLEM_URN ("conflict"); -1 for a name that
 * is not of this version. */
PROTO_API PROTO_WUR int proto_problem_type(const char *name, int *status,
    const char **title);

/* -------------------------------------------------------------- chains */

/*
 * The international chain of a trace request ("trace-chain/1",
 * proto/README.md 13.6, schemas/trace-chain-1.json): every hop that a
 * State's daemon sent on and followed, with its signed messages.  Written
 * compact with the members in the order of the structs below (the bytes
 * the daemon has always served), not in the canonical form; parsed and
 * written with every rule of the schema and these: end is present exactly
 * when complete; hops[i].hop is i; hop 0's request_id is the chain's id;
 * each later hop's parent_id is the request_id of the hop before; end.state
 * is the last hop's requested_state.  A chain carries whole signed
 * messages, so its limit is PROTO_CHAIN_DOC_MAX, not PROTO_DOC_MAX.
 */
#define PROTO_SCHEMA_CHAIN "trace-chain/1"
#define PROTO_CHAIN_DOC_MAX (8u * 1024u * 1024u)	/* bytes */
#define PROTO_CHAIN_HOPS_MAX 33
#define PROTO_CHAIN_JWS_MAX 4194304	/* characters of one signed message */

/* How a chain ends. */
struct proto_chain_end {
	proto_enum reason;		/* required: last_legal_holder, diversion,
					 * not_found, ..., refused, loop, max_hops */
	proto_country state;		/* required: the last hop's State */
	char *detail;			/* 1 to 2000 characters, any */
};

/* One request sent on, and what came of it. */
struct proto_chain_hop {
	int hop;			/* required: 0, 1, ... */
	proto_uuid request_id;		/* required */
	proto_uuid parent_id;		/* "" for none (hops after 0 have one) */
	proto_country requested_state;	/* required */
	char *via;			/* the hub's code (two capitals), or NULL */
	proto_enum status;		/* required: sending, acknowledged,
					 * overdue, answered, refused */
	proto_timestamp sent_at;	/* required */
	proto_timestamp due_by;		/* required */
	proto_timestamp acknowledged_at;
	proto_timestamp answered_at;
	proto_enum response_status;	/* the response's status */
	char *refusal;			/* the problem's name ([a-z0-9_-], <= 40) */
	proto_timestamp refused_at;
	proto_enum end;			/* on the last hop of a complete chain */
	char *detail;			/* 1 to 2000 characters, any */
	char *request;			/* required: JWS compact, as sent */
	char *acknowledgement;		/* JWS compact */
	char *response;			/* JWS compact */
	char *problem;			/* JWS compact: a signed refusal */
};

typedef struct proto_chain {
	proto_uuid id;			/* required: hop 0's request_id */
	proto_country requesting_state;	/* required */
	proto_timestamp assembled_at;	/* required */
	bool complete;			/* required, written true or false */
	struct proto_chain_end *end;	/* exactly when complete */
	struct proto_chain_hop *hops;	/* required: 1 to PROTO_CHAIN_HOPS_MAX */
	size_t n_hops;
} proto_chain;

/* As the request functions, for chains (at most PROTO_CHAIN_DOC_MAX
 * bytes). */
PROTO_API PROTO_WUR int proto_chain_parse(const char *json, size_t len,
    proto_chain **out, proto_error *err);
PROTO_API PROTO_WUR int proto_chain_to_json(const proto_chain *chain,
    char **out, proto_error *err);
PROTO_API proto_chain *proto_chain_new(void);
PROTO_API void proto_chain_free(proto_chain *chain);

/* ------------------------------------------------------ witness status */

/*
 * The witness's status (GET /v1/witness, proto/README.md 13.3.4): what a
 * State's daemon, as a witness, found of each peer State's log.  Not
 * signed, for the State's own liaison office and auditors.  Unlike the
 * trace documents it writes null for what is unknown (below: "" or NULL
 * in the struct) and is written compact in the order of the structs.  A
 * parser refuses unknown members, wrong types, bad timestamps, hashes and
 * enumerations, and more than PROTO_WITNESS_PEERS_MAX peers.
 */
#define PROTO_WITNESS_PEERS_MAX 64
#define PROTO_WITNESS_TEXT_MAX 1000	/* characters of detail, reason, ... */

/* The last checkpoint the witness cosigned of a peer's log. */
struct proto_witness_cosigned {
	char *origin;			/* required: the log's origin line */
	int64_t size;			/* the checkpoint's size */
	struct proto_hash root;		/* its root hash */
	proto_timestamp at;		/* when it was cosigned; "": null */
};

/* The latest fork alarm of a peer. */
struct proto_witness_alarm {
	proto_timestamp at;		/* "": null */
	char *reason;			/* required, may be "" */
};

struct proto_witness_peer {
	char state[3];			/* two capital letters */
	proto_enum status;		/* never, cosigned, unchanged, fork, down,
					 * error */
	bool forked;			/* an alarm not acknowledged */
	struct proto_witness_cosigned *cosigned;	/* NULL: null */
	proto_timestamp last_try;	/* "": null */
	proto_timestamp last_seen;	/* "": null */
	bool has_seen_size;		/* false: seen_size is null */
	int64_t seen_size;
	char *detail;			/* NULL: null */
	int64_t alarms;			/* alarms ever raised */
	int64_t alarms_open;		/* alarms not acknowledged */
	struct proto_witness_alarm *last_alarm;	/* NULL: null */
};

typedef struct proto_witness_status {
	char state[3];			/* the witness's own State */
	char *witness;			/* its verifier key; NULL: null */
	int64_t interval;		/* seconds between rounds */
	struct proto_witness_peer *peers;	/* may be empty */
	size_t n_peers;
} proto_witness_status;

/* As the request functions, for the witness's status (at most
 * PROTO_DOC_MAX bytes). */
PROTO_API PROTO_WUR int proto_witness_status_parse(const char *json,
    size_t len, proto_witness_status **out, proto_error *err);
PROTO_API PROTO_WUR int proto_witness_status_to_json(
    const proto_witness_status *st, char **out, proto_error *err);
PROTO_API proto_witness_status *proto_witness_status_new(void);
PROTO_API void proto_witness_status_free(proto_witness_status *st);

/* ------------------------------------------------------ proofs as JSON */

/*
 * An RFC 9162 proof as the JSON of proto/README.md 13.3.3 (what `regctl
 * log prove-*` prints and /v1/log/proof/... serves): an inclusion proof
 * {"index": I, "size": N, "leaf_hash": "B64", "hashes": [...]} or a
 * consistency proof {"old_size": M, "new_size": N, "hashes": [...]}.
 * A parsed proof is plain values: no allocation, nothing to free.
 */
#define PROTO_PROOF_HASHES_MAX 64	/* hashes in one proof */
#define PROTO_PROOF_TEXT_MAX 16384	/* bytes of JSON a parser reads */
struct proto_proof {
	uint64_t index;			/* inclusion: the leaf's index */
	uint64_t old_size;		/* consistency: the older tree's size */
	uint64_t size;			/* the tree's size (consistency: new) */
	struct proto_hash leaf_hash;	/* inclusion: the leaf's hash */
	size_t n_hashes;
	struct proto_hash hashes[PROTO_PROOF_HASHES_MAX];
};

/*
 * Writes an inclusion proof (index, size, leaf_hash, hashes) or a
 * consistency proof (old_size, new_size, hashes) from plain values:
 * hashes points at n hashes of 32 bytes each, one after the other (an
 * array of 32-byte structs will do).  Sizes and indexes up to 2^63 - 1,
 * n up to PROTO_PROOF_HASHES_MAX.  *out has no newline; free it with
 * proto_free().
 */
PROTO_API PROTO_WUR int proto_proof_inclusion_to_json(uint64_t index,
    uint64_t size, const uint8_t leaf_hash[32], const uint8_t *hashes,
    size_t n, char **out, proto_error *err);
PROTO_API PROTO_WUR int proto_proof_consistency_to_json(uint64_t old_size,
    uint64_t new_size, const uint8_t *hashes, size_t n, char **out,
    proto_error *err);
/*
 * Parses a proof of len bytes (at most PROTO_PROOF_TEXT_MAX) into *out:
 * exactly the members of its shape, whole numbers 0 to 2^63 - 1, at most
 * PROTO_PROOF_HASHES_MAX hashes of 32 bytes in canonical padded base64;
 * a consistency proof's old_size not above its new_size, an inclusion
 * proof's index below its size with the audit path's length of README
 * 4.7.  The proof is not verified here.
 */
PROTO_API PROTO_WUR int proto_proof_consistency_parse(const char *json,
    size_t len, struct proto_proof *out, proto_error *err);
PROTO_API PROTO_WUR int proto_proof_inclusion_parse(const char *json,
    size_t len, struct proto_proof *out, proto_error *err);

/* Frees memory the codec returned (serialised documents); accepts NULL. */
PROTO_API void proto_free(void *p);

/* ------------------------------------------------------------ JWS */

/*
 * Signed messages: JWS compact serialisation (RFC 7515 section 7.1) with
 * "alg" "EdDSA" over Ed25519 (RFC 8037).  The protected header is
 * {"alg":"EdDSA","kid":KID,"cty":CTY} (kid and cty when given).  Parsing
 * refuses padding and any character outside base64url, non-canonical
 * encodings, headers that are not JSON objects, another "alg" (also
 * "none"), "crit", "b64" and embedded or referenced keys (jwk, jku, x5u,
 * x5c, x5t: keys come from the peers directory), unknown header members,
 * and signatures that are not 64 bytes.  A bad signature is PROTO_EVERIFY.
 */
typedef struct proto_jws_key proto_jws_key;
typedef struct proto_jws proto_jws;

/* A signing key from its 32-byte seed (RFC 8032), a verifying key from
 * its 32-byte public key, or either from PEM (PKCS#8 private key or
 * SubjectPublicKeyInfo).  kid may be NULL.  Free with proto_jws_key_free(),
 * which wipes the secret. */
PROTO_API PROTO_WUR int proto_jws_key_from_seed(const uint8_t seed[32],
    const char *kid, proto_jws_key **out, proto_error *err);
PROTO_API PROTO_WUR int proto_jws_key_from_public(const uint8_t pub[32],
    const char *kid, proto_jws_key **out, proto_error *err);
PROTO_API PROTO_WUR int proto_jws_key_from_pem(const char *pem, size_t len,
    const char *kid, proto_jws_key **out, proto_error *err);
/* The key's 32-byte public key; 0 on success. */
PROTO_API int proto_jws_key_public(const proto_jws_key *k, uint8_t out[32]);
/* The key's kid, or NULL. */
PROTO_API const char *proto_jws_key_kid(const proto_jws_key *k);
/* Whether the key can sign (holds the private key). */
PROTO_API bool proto_jws_key_private(const proto_jws_key *k);
PROTO_API void proto_jws_key_free(proto_jws_key *k);

/* Signs payload (len bytes) with k; cty (may be NULL) names the payload's
 * type.  *out is the NUL-terminated JWS, to free with proto_free(). */
PROTO_API PROTO_WUR int proto_jws_sign(const proto_jws_key *k, const char *cty,
    const void *payload, size_t len, char **out, proto_error *err);
/* Parses a JWS of len bytes (no signature check yet). */
PROTO_API PROTO_WUR int proto_jws_parse(const char *text, size_t len,
    proto_jws **out, proto_error *err);
/* Checks the signature of a parsed JWS with key k: 0 or PROTO_EVERIFY. */
PROTO_API PROTO_WUR int proto_jws_verify(const proto_jws *j,
    const proto_jws_key *k, proto_error *err);
/* The header's kid and cty, or NULL; the payload (not NUL-terminated). */
PROTO_API const char *proto_jws_kid(const proto_jws *j);
PROTO_API const char *proto_jws_cty(const proto_jws *j);
PROTO_API const uint8_t *proto_jws_payload(const proto_jws *j, size_t *len);
PROTO_API void proto_jws_free(proto_jws *j);

/*
 * Whether code is an assigned ISO 3166-1 alpha-2 country code (two
 * upper-case letters), per the table in proto/iso3166.c.
 */
PROTO_API bool proto_country_valid(const char *code);
/* The country's English short name, or NULL for an unassigned code. */
PROTO_API const char *proto_country_name(const char *code);

#ifdef __cplusplus
}
#endif

#endif
