/*
 * libregistry: the record-keeping library of a national small-arms registry.
 *
 * Every fallible function returns 0 on success or a negative REG_E* code,
 * and fills the caller's reg_error with the code, a message and, where the
 * database gave one, its SQLSTATE.  The first failure is kept: a reg_error
 * that already holds a failure is not overwritten, so initialise it with
 * REG_ERROR_INIT (or reg_error_clear()) before each operation whose failure
 * you want to report.  The library never prints, logs, exits or reads the
 * environment.
 */
#ifndef REGISTRY_REGISTRY_H
#define REGISTRY_REGISTRY_H


#if defined(REG_PART_PROTO) || defined(REG_PART_COMMON)
#error "registry/registry.h: proto and common never include the registry (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define REG_API __attribute__((visibility("default")))
#define REG_WUR __attribute__((warn_unused_result))
#else
#define REG_API
#define REG_WUR
#endif

/* Error codes.  Verification failure has its own code, distinct from
 * malformed input. */
enum {
	REG_OK = 0,
	REG_ENOMEM = -1,	/* out of memory */
	REG_EINVAL = -2,	/* malformed argument or input */
	REG_ECONNECT = -3,	/* cannot connect to the database */
	REG_EDB = -4,		/* the database refused or failed */
	REG_EIO = -5,		/* file or system error */
	REG_ENOTFOUND = -6,	/* no such record, file or key */
	REG_ERANGE = -7,	/* index or size out of range */
	REG_EVERIFY = -8,	/* verification failed: data does not hold */
	REG_EMIGRATION = -9,	/* migrations folder or history inconsistent */
	REG_EKEY = -10,		/* unusable key */
	REG_ECRYPTO = -11,	/* cryptographic library failure */
	REG_EEXIST = -12,	/* already exists */
	REG_ETOOBIG = -13,	/* input over a documented limit */
	REG_ERULE = -14,	/* a record rule refused the write */
	REG_EINTERNAL = -15,	/* internal error (a bug) */
	REG_EUNAVAIL = -16	/* the database went away (connection lost,
				 * server shutting down): try again later */
};

#define REG_ERROR_MSG_MAX 1024

typedef struct reg_error {
	int code;			/* 0 or a REG_E* code */
	char sqlstate[6];		/* five characters and NUL, or "" */
	char message[REG_ERROR_MSG_MAX];
} reg_error;

#define REG_ERROR_INIT { 0, "", "" }

/* Static text for an error code; never NULL. */
REG_API const char *reg_strerror(int code);
/* Empties an error struct. */
REG_API void reg_error_clear(reg_error *err);

/* A SHA-256 value. */
struct reg_hash {
	uint8_t b[32];
};

/*
 * A connection to one State's registry database.
 */
typedef struct reg_ctx reg_ctx;

/*
 * Connects with a libpq connection string (may be "" to use libpq's own
 * defaults and PG* variables).  On success *out owns the connection; free
 * it with reg_close().  The connection's session works under the role
 * "registry_app" when that role exists and the connected user may assume it,
 * so that the programs hold INSERT and SELECT only on record tables; pass
 * REG_OPEN_OWNER to keep the connected user's own rights (migrations,
 * maintenance).
 */
#define REG_OPEN_OWNER 0x1
REG_API REG_WUR int reg_open(const char *conninfo, unsigned flags,
    reg_ctx **out, reg_error *err);
/* Closes and frees; accepts NULL. */
REG_API void reg_close(reg_ctx *ctx);

/* The database the connection is to, for a status display: its name,
 * user, host, port and the server's version (as 170002); the strings are
 * the context's, valid until reg_close(). */
struct reg_server_info {
	const char *database, *user, *host, *port;
	int version;
};
REG_API void reg_server_info(reg_ctx *ctx, struct reg_server_info *out);
/*
 * Whether an idle connection still stands, without a round trip: what the
 * server sent is read (a FATAL message when it shuts down, then the end
 * of the stream), at the cost of a poll() when there is nothing.  1 when
 * it stands; 0 when it is lost, or when its server said FATAL since the
 * first call (reg_alive() takes the connection's notices from then on).
 */
REG_API int reg_alive(reg_ctx *ctx);

/*
 * Asks the database a trivial question, to learn whether it answers (a
 * readiness check).  Returns 0, REG_EUNAVAIL when the connection is lost or
 * the server is shutting down, or REG_EDB.
 */
REG_API REG_WUR int reg_ping(reg_ctx *ctx, reg_error *err);

/* Migrations. */
typedef struct reg_migration_status {
	int version;			/* NNNN of the file */
	char name[256];			/* file name */
	int applied;			/* 1 if applied */
	char applied_at[40];		/* RFC 3339 UTC when applied, or "" */
	char sha256[65];		/* hex digest of the file's text */
} reg_migration_status;

/* Called once per migration applied, with its file name; may be NULL. */
typedef void (*reg_migrate_cb)(const char *name, void *arg);

/*
 * Applies, in order, every migration of folder dir (files NNNN_name.sql,
 * numbered from 0001 without gaps) that is not yet applied, each in its own
 * transaction, recording its name and the SHA-256 of its text.  A folder
 * with a gap or a duplicate number, a migration whose text changed after it
 * was applied, or an applied migration missing from the folder is refused
 * before anything is applied (REG_EMIGRATION).  A migration that fails is
 * rolled back whole and the ones after it are not tried (REG_EDB, with the
 * file and line in the message).  *napplied receives how many were applied.
 */
REG_API REG_WUR int reg_migrate(reg_ctx *ctx, const char *dir,
    reg_migrate_cb cb, void *cbarg, int *napplied, reg_error *err);

/*
 * Lists the migrations of folder dir with whether each is applied.  *out is
 * an array of *n entries the caller frees with reg_free().  Fails like
 * reg_migrate() on an inconsistent folder or history.
 */
REG_API REG_WUR int reg_migrate_status(reg_ctx *ctx, const char *dir,
    reg_migration_status **out, size_t *n, reg_error *err);

/*
 * RFC 6962 / RFC 9162 Merkle tree hashing.
 */

/* Leaf hash: SHA-256(0x00 || leaf).  OpenSSL failing (out of memory)
 * aborts, for callers that cannot report it. */
REG_API void reg_merkle_leaf_hash(const void *leaf, size_t len,
    struct reg_hash *out);
/* The same, for callers that can report a failure: 0, or REG_ECRYPTO when
 * OpenSSL could not hash (out of memory). */
REG_API REG_WUR int reg_merkle_leaf_hash_r(const void *leaf, size_t len,
    struct reg_hash *out);
/* Interior node hash: SHA-256(0x01 || left || right). */
REG_API void reg_merkle_node_hash(const struct reg_hash *left,
    const struct reg_hash *right, struct reg_hash *out);

/*
 * Verifies an inclusion proof (RFC 9162 section 2.1.3.2): that the leaf
 * whose hash is leaf_hash stands at index in the tree of the given size
 * whose root is root.  Returns 0 when it holds, REG_EVERIFY when it does
 * not, REG_ERANGE when index >= size.
 */
REG_API REG_WUR int reg_merkle_verify_inclusion(uint64_t index, uint64_t size,
    const struct reg_hash *leaf_hash, const struct reg_hash *proof,
    size_t nproof, const struct reg_hash *root, reg_error *err);

/*
 * Verifies a consistency proof (RFC 9162 section 2.1.4.2) between the tree
 * of old_size leaves with root old_root and the tree of new_size leaves with
 * root new_root.  0 < old_size <= new_size.  Returns 0 when it holds,
 * REG_EVERIFY when it does not, REG_ERANGE on sizes out of order.
 */
REG_API REG_WUR int reg_merkle_verify_consistency(uint64_t old_size,
    uint64_t new_size, const struct reg_hash *old_root,
    const struct reg_hash *new_root, const struct reg_hash *proof,
    size_t nproof, reg_error *err);

/*
 * Ed25519 keys with a name (C2SP signed-note key names: no white space, no
 * '+'; also no control characters, and at most REG_KEY_NAME_MAX bytes).  A private key file is PKCS#8 PEM; its name is kept as RFC 7468
 * explanatory text before the PEM block ("Key-Name: NAME").
 */
typedef struct reg_key reg_key;

#define REG_KEY_NAME_MAX 255

/*
 * Generates an Ed25519 key named name and writes it to path, mode 0600,
 * refusing to overwrite an existing file (REG_EEXIST).
 */
REG_API REG_WUR int reg_key_generate(const char *name, const char *path,
    reg_error *err);
/* Loads a private key file written by reg_key_generate(). Free with
 * reg_key_free().  A file of another key type, or anything but one
 * unencrypted PKCS#8 block after a Key-Name line, is REG_EKEY. */
REG_API REG_WUR int reg_key_load(const char *path, reg_key **out,
    reg_error *err);
/* Parses a C2SP verifier key "<name>+<8 hex key id>+<base64 of 0x01 and
 * the 32-byte public key>" into a public-only key for note signatures.
 * Bad syntax is REG_EINVAL; a wrong signature type byte (a witness key's
 * 0x04 included), length or key id is REG_EKEY. */
REG_API REG_WUR int reg_key_from_verifier(const char *vkey, reg_key **out,
    reg_error *err);
/* The verifier key of k, as above; free *out with reg_free().  REG_EKEY for
 * a key from reg_cosig_key_from_verifier(). */
REG_API REG_WUR int reg_key_verifier(const reg_key *k, char **out,
    reg_error *err);
/* The key's name; owned by k. */
REG_API const char *reg_key_name(const reg_key *k);
/* The C2SP key id: first four bytes of SHA-256(name "\n" 0x01 pubkey). */
REG_API uint32_t reg_key_id(const reg_key *k);
/* The raw 32-byte Ed25519 public key. */
REG_API void reg_key_public(const reg_key *k, uint8_t out[32]);
/* Frees and wipes; accepts NULL. */
REG_API void reg_key_free(reg_key *k);

/*
 * C2SP signed notes.  reg_note_sign() signs text (which must be non-empty,
 * valid UTF-8 without control characters other than newline, and end in a
 * newline) and returns the note: text, a blank line, and the signature line
 * "— <name> <base64(key id || signature)>".  Free *out with reg_free().  A
 * text that starts with "cosignature/v1\n" is refused (REG_EINVAL): only
 * witness cosignatures sign such messages.  Both functions refuse a key
 * from reg_cosig_key_from_verifier() (REG_EKEY).
 */
#define REG_NOTE_MAX (1 << 20)
REG_API REG_WUR int reg_note_sign(const reg_key *k, const char *text,
    char **out, reg_error *err);
/*
 * Verifies that note carries a valid signature by key k (signatures of
 * other keys are ignored).  On success, if text is not NULL, *text receives
 * a copy of the note's text (free with reg_free()).  A malformed note is
 * REG_EINVAL, a missing or bad signature by k is REG_EVERIFY; more than 100
 * signature lines, a text over REG_NOTE_MAX or a note over 2 MiB is
 * REG_ETOOBIG.
 */
REG_API REG_WUR int reg_note_verify(const reg_key *k, const char *note,
    size_t len, char **text, reg_error *err);

/*
 * C2SP tlog-checkpoint bodies: origin line, decimal tree size, base64 root
 * hash, each ending in a newline (extension lines after them are allowed
 * and ignored when parsing).
 */
struct reg_checkpoint {
	char origin[REG_KEY_NAME_MAX + 1];
	uint64_t size;
	struct reg_hash root;
};
/* Formats the checkpoint body; free *out with reg_free().  A size above
 * 2^63 - 1 is REG_ERANGE. */
REG_API REG_WUR int reg_checkpoint_format(const struct reg_checkpoint *cp,
    char **out, reg_error *err);
/* Parses a checkpoint body (the text of a signed note). */
REG_API REG_WUR int reg_checkpoint_parse(const char *text, size_t len,
    struct reg_checkpoint *cp, reg_error *err);

/*
 * Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 type
 * cosignature/v1).  A witness that has checked a consistency proof from
 * the last checkpoint it cosigned adds a line to the checkpoint's note:
 *
 *	— <witness name> <base64(key id || timestamp || signature)>
 *
 * The key id is the first four bytes of SHA-256(name "\n" 0x04 public key)
 * (0x04, not the 0x01 of note signatures, so neither kind of line passes
 * for the other); the timestamp is eight bytes big-endian, seconds since
 * the epoch, at most 2^63 - 1; the Ed25519 signature is over
 * "cosignature/v1\ntime <timestamp in decimal>\n" followed by the note's
 * checkpoint body (its text up to the blank line, no signature lines).
 * The message does not name the witness: give each witness its own key,
 * distinct from the State's log key.
 *
 * A witness signs with a private key from reg_key_load(); its peers verify
 * with the witness's verifier key "<name>+<hex key id>+<base64(0x04 ||
 * public key)>".  Notes are NUL-terminated C2SP signed notes whose text is
 * a checkpoint, within reg_note_verify()'s limits (REG_ETOOBIG beyond);
 * every signature line must be well-formed (REG_EINVAL names the fault).
 */
/* The key id of k's cosignatures: SHA-256(name "\n" 0x04 pubkey)[:4]. */
REG_API uint32_t reg_cosig_key_id(const reg_key *k);
/* Parses a witness verifier key (signature type 0x04) into a public-only
 * key that only reg_cosig_verify() accepts.  Bad syntax is REG_EINVAL; a
 * wrong type byte (a note key's 0x01 included), length or key id is
 * REG_EKEY. */
REG_API REG_WUR int reg_cosig_key_from_verifier(const char *vkey,
    reg_key **out, reg_error *err);
/* The witness verifier key of k; free *out with reg_free().  REG_EKEY for a
 * key from reg_key_from_verifier(). */
REG_API REG_WUR int reg_cosig_verifier(const reg_key *k, char **out,
    reg_error *err);
/*
 * Makes witness's cosignature, at timestamp (1 to 2^63 - 1, else
 * REG_ERANGE), of the checkpoint of a signed note.  *line receives the
 * signature line, ending in a newline (free with reg_free()).  The caller
 * has verified the log's signature and the consistency proof first.
 */
REG_API REG_WUR int reg_cosign(const reg_key *witness, const char *note,
    uint64_t timestamp, char **line, reg_error *err);
/* As reg_cosign(), and returns the note with the line appended after its
 * signatures in *out_note (free with reg_free()).  REG_EEXIST when the note
 * already carries a cosignature by witness; REG_ETOOBIG when it already has
 * 100 signature lines. */
REG_API REG_WUR int reg_cosign_add(const reg_key *witness, const char *note,
    uint64_t timestamp, char **out_note, reg_error *err);
/*
 * Verifies the cosignature of witness_public (a key from
 * reg_cosig_key_from_verifier() or a private key) on note: the lines with
 * its name and cosignature key id; lines of other keys are ignored.
 * Returns 0 and sets *timestamp (if not NULL) to its timestamp (the latest
 * when there are several); REG_ENOTFOUND when there is none; REG_EVERIFY
 * when one does not verify; REG_EINVAL when one has the wrong length or a
 * timestamp above 2^63 - 1.  Whether the timestamp is too far in the past
 * or future is the caller's to judge.
 */
REG_API REG_WUR int reg_cosig_verify(const reg_key *witness_public,
    const char *note, uint64_t *timestamp, reg_error *err);

/*
 * Witnessed logs (proto/README.md 13.3.4).  A witness delivers its
 * cosignatures of a log's checkpoint as a cosignature body: a signed note
 * whose text is the checkpoint's text exactly as the log signed it and
 * whose signature lines are cosignature/v1 lines only (key id, timestamp
 * and a 64-byte signature), 1 to REG_COSIG_LINES_MAX of them, each once,
 * in at most REG_COSIG_BODY_MAX bytes.
 */
#define REG_COSIG_BODY_MAX 16384
#define REG_COSIG_LINES_MAX 16
/* Checks a cosignature body of len bytes (no NUL inside) and parses its
 * checkpoint into *cp and its number of lines into *nlines (either may be
 * NULL).  REG_EINVAL names what is malformed; REG_ETOOBIG beyond the
 * limits.  Signatures are not verified here. */
REG_API REG_WUR int reg_cosig_body_parse(const char *body, size_t len,
    struct reg_checkpoint *cp, size_t *nlines, reg_error *err);
/*
 * Stores the cosignatures of a cosignature body after verifying each with
 * one of witnesses (n keys from reg_cosig_key_from_verifier()) over this
 * log's own stored checkpoint of the body's origin, size and root.  A line
 * of a witness not among them is REG_EKEY; a checkpoint this log never
 * signed is REG_ENOTFOUND; a cosignature that does not verify is
 * REG_EVERIFY; a cosignature dated more than skew seconds after the
 * database's clock, or more than skew seconds before the checkpoint was
 * signed, is REG_ERANGE (c2sp.org/tlog-cosignature: the timestamp is when
 * the witness cosigned; REG_COSIG_SKEW_DEFAULT is a sensible skew);
 * nothing is stored then.  A cosignature already stored is not stored
 * twice.  *stored (may be NULL) receives the lines newly stored.
 */
#define REG_COSIG_SKEW_DEFAULT 600
REG_API REG_WUR int reg_log_cosignature_add(reg_ctx *ctx,
    reg_key *const *witnesses, size_t n, const char *body, size_t len,
    uint32_t skew, size_t *stored, reg_error *err);
/* As reg_log_latest_checkpoint(), with the latest cosignature of each
 * witness gathered for that checkpoint appended to the note as signature
 * lines: of each witness the one that arrived last among those dated
 * within skew seconds of their arrival and not more than skew seconds
 * before the checkpoint was signed. */
REG_API REG_WUR int reg_log_latest_cosigned(reg_ctx *ctx, uint32_t skew,
    char **note, struct reg_checkpoint *cp, reg_error *err);

/* What a witness knows of one peer State's log (its own tables). */
struct reg_witness_peer {
	int cosigned;			/* 1 when it has cosigned a checkpoint */
	struct reg_checkpoint cp;	/* the last one it cosigned */
	char *note;			/* its signed note as received, or NULL;
					 * freed by reg_witness_peer_clear() */
	char *line;			/* the cosignature line made, or NULL;
					 * freed by reg_witness_peer_clear() */
	int64_t cosigned_at;		/* seconds since the epoch */
	long alarms;			/* alarms ever raised */
	long alarms_open;		/* alarms not acknowledged */
	int64_t alarm_at;		/* the latest alarm's time, or 0 */
	char alarm_reason[256];		/* and its reason, or "" */
};
/* Reads what the witness knows of State state's log into *out (cleared
 * first; free with reg_witness_peer_clear()). */
REG_API REG_WUR int reg_witness_peer_get(reg_ctx *ctx, const char *state,
    struct reg_witness_peer *out, reg_error *err);
REG_API void reg_witness_peer_clear(struct reg_witness_peer *p);
/* Records that the witness cosigned State state's checkpoint cp (from
 * note, as received) with the cosignature line at timestamp. */
REG_API REG_WUR int reg_witness_cosigned_add(reg_ctx *ctx, const char *state,
    const struct reg_checkpoint *cp, const char *note, const char *line,
    uint64_t timestamp, reg_error *err);
/* Raises a fork alarm for State state: the note seen (checkpoint seen) does
 * not extend the last one cosigned (cosigned_note), for reason.  An alarm
 * of the same checkpoint that is not yet acknowledged is not raised again:
 * *raised (may be NULL) is 1 when a new alarm was stored, else 0. */
REG_API REG_WUR int reg_witness_alarm_add(reg_ctx *ctx, const char *state,
    const char *reason, const char *cosigned_note, const char *seen_note,
    const struct reg_checkpoint *seen, int *raised, reg_error *err);

/* Standard base64 (RFC 4648 section 4, with padding).  Encoding returns a
 * NUL-terminated string to free with reg_free(); decoding is strict
 * (no white space, correct padding) and returns REG_EINVAL otherwise. */
REG_API REG_WUR int reg_base64_encode(const void *data, size_t len,
    char **out, reg_error *err);
REG_API REG_WUR int reg_base64_decode(const char *text, size_t len,
    uint8_t **out, size_t *outlen, reg_error *err);

/*
 * Transactions.  reg_log_append() and every record write happen inside the
 * caller's transaction when one is open, so that a rollback takes the
 * record and its log leaf away together; outside one, each call commits on
 * its own.  Sessions must use READ COMMITTED (PostgreSQL's default).
 */
REG_API REG_WUR int reg_tx_begin(reg_ctx *ctx, reg_error *err);
REG_API REG_WUR int reg_tx_commit(reg_ctx *ctx, reg_error *err);
/* Rolls back; harmless when no transaction is open. */
REG_API int reg_tx_rollback(reg_ctx *ctx, reg_error *err);

/*
 * The audit log: an append-only RFC 6962 Merkle log in the database.
 * Leaves are at most REG_LOG_LEAF_MAX bytes.  Leaf indexes start at 0, have
 * no gaps and follow commit order, also with concurrent writers (appends
 * take a transaction-scoped lock, so writers queue until the one ahead of
 * them commits or rolls back).
 */
#define REG_LOG_LEAF_MAX (64u * 1024u)

struct reg_leaf {
	const void *data;
	size_t len;
};

/* Appends one leaf; *index (may be NULL) receives its index. */
REG_API REG_WUR int reg_log_append(reg_ctx *ctx, const void *leaf, size_t len,
    uint64_t *index, reg_error *err);
/* Appends n leaves (n <= 100000) in order; *first receives the first one's
 * index.  Nothing is appended when any leaf is refused. */
REG_API REG_WUR int reg_log_append_batch(reg_ctx *ctx,
    const struct reg_leaf *leaves, size_t n, uint64_t *first, reg_error *err);

/* The number of committed leaves. */
REG_API REG_WUR int reg_log_size(reg_ctx *ctx, uint64_t *size, reg_error *err);
/* The root hash of the tree of the first size leaves. */
REG_API REG_WUR int reg_log_root(reg_ctx *ctx, uint64_t size,
    struct reg_hash *root, reg_error *err);

/* An inclusion or consistency proof.  Free with reg_free(). */
struct reg_proof {
	uint64_t index;		/* inclusion: the leaf's index */
	uint64_t old_size;	/* consistency: the older size */
	uint64_t size;		/* the tree size the proof is against */
	struct reg_hash leaf_hash; /* inclusion: the leaf's hash */
	size_t n;
	struct reg_hash hashes[];
};
REG_API REG_WUR int reg_log_prove_inclusion(reg_ctx *ctx, uint64_t index,
    uint64_t size, struct reg_proof **out, reg_error *err);
/*
 * The inclusion proofs of n leaves in the tree of size leaves, read in two
 * queries whatever n (the size, then every node the proofs need): out[i]
 * receives the proof of index[i] (free each with reg_free()); nothing is
 * left in out on failure.  REG_ERANGE for an index not below size, as
 * reg_log_prove_inclusion().
 */
REG_API REG_WUR int reg_log_prove_inclusions(reg_ctx *ctx,
    const uint64_t *index, size_t n, uint64_t size, struct reg_proof **out,
    reg_error *err);
REG_API REG_WUR int reg_log_prove_consistency(reg_ctx *ctx, uint64_t old_size,
    uint64_t new_size, struct reg_proof **out, reg_error *err);

/* Proofs as JSON (what `regctl log prove-*` prints and tracerd serves) are
 * the protocol's: proto/proof.c, proto_proof_*(). */

/* Calls cb for each leaf with start <= index < end, in order. */
typedef int (*reg_leaf_cb)(uint64_t index, const uint8_t *leaf, size_t len,
    void *arg);
REG_API REG_WUR int reg_log_entries(reg_ctx *ctx, uint64_t start, uint64_t end,
    reg_leaf_cb cb, void *arg, reg_error *err);

/*
 * Makes a checkpoint signed with key when the log has grown since the
 * latest one (first checking that the stored tree still has the latest
 * checkpoint's root), and returns the latest signed note in *note (free
 * with reg_free()) and its body in *cp (either may be NULL).  The key's
 * name is the log's origin.
 */
REG_API REG_WUR int reg_log_checkpoint(reg_ctx *ctx, const reg_key *key,
    char **note, struct reg_checkpoint *cp, reg_error *err);
/*
 * As reg_log_checkpoint(), checking the log before it signs: every leaf
 * added since the latest checkpoint against its stored hash and subtree
 * hashes, the new root recomputed from those leaves on top of the latest
 * checkpoint's tree, each record row behind them re-encoded to its leaf;
 * and sample leaves of the latest checkpoint's tree drawn at random, each
 * re-hashed and proven against the latest checkpoint's root, with its
 * record re-encoded.  A mismatch signs nothing and is REG_EVERIFY naming
 * the leaf (run `regctl log verify`).  reg_log_checkpoint() samples
 * REG_LOG_CHECK_SAMPLE_DEFAULT leaves.
 */
#define REG_LOG_CHECK_SAMPLE_DEFAULT 64
REG_API REG_WUR int reg_log_checkpoint_checked(reg_ctx *ctx,
    const reg_key *key, uint64_t sample, char **note,
    struct reg_checkpoint *cp, reg_error *err);
/* The latest stored checkpoint, without making one (REG_ENOTFOUND if
 * none). */
REG_API REG_WUR int reg_log_latest_checkpoint(reg_ctx *ctx, char **note,
    struct reg_checkpoint *cp, reg_error *err);

/* What reg_log_verify() found. */
struct reg_log_report {
	uint64_t entries;		/* leaves checked */
	uint64_t checkpoints;		/* checkpoints checked */
	int64_t bad_index;		/* first leaf index that fails, or -1 */
	int64_t bad_checkpoint;		/* first checkpoint (its seq) that fails, or -1 */
	double seconds;
};
/*
 * Verifies the whole log: every leaf hash against its leaf, every stored
 * node against its children, no gap in the indexes, every checkpoint's
 * signature by key (a public key is enough), its root against the stored
 * tree, and sizes that never shrink, and that every checkpoint a witness
 * cosigned is still stored.  Returns 0 when everything holds, or
 * REG_EVERIFY with the first failure named in err and in *rep.
 */
REG_API REG_WUR int reg_log_verify(reg_ctx *ctx, const reg_key *key,
    struct reg_log_report *rep, reg_error *err);
/*
 * Checks a checkpoint the log served (a signed note kept outside the
 * database, e.g. the file of tracerd's [log] served): it must be signed by
 * key, name key's origin and still be stored.  A removed checkpoint is
 * REG_EVERIFY naming its size and root; *seq (may be NULL) receives the
 * stored checkpoint's seq, else -1.  reg_log_verify() itself also fails
 * when a witness's stored cosignature names a checkpoint that is gone.
 */
REG_API REG_WUR int reg_log_verify_served(reg_ctx *ctx, const reg_key *key,
    const char *note, int64_t *seq, reg_error *err);

/*
 * UUIDs (RFC 9562).  New records get version 7 (time-ordered).
 */
typedef struct reg_uuid {
	uint8_t b[16];
} reg_uuid;
#define REG_UUID_STR 37
REG_API REG_WUR int reg_uuid_v7(reg_uuid *out, reg_error *err);
REG_API void reg_uuid_format(const reg_uuid *u, char out[REG_UUID_STR]);
/* Parses the 8-4-4-4-12 hexadecimal form. */
REG_API REG_WUR int reg_uuid_parse(const char *s, reg_uuid *out, reg_error *err);

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

/* Frees memory the library handed out; accepts NULL. */
REG_API void reg_free(void *p);

#ifdef __cplusplus
}
#endif

#endif
