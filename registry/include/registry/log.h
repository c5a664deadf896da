/*
 * libregistry's signed audit log: Merkle tree hashing and proofs, Ed25519
 * keys, C2SP signed notes and checkpoints, witness cosignatures and what a
 * witness knows, and the log itself (appends, proofs, checkpoints,
 * verification).  Part of the API that registry/registry.h gathers.
 */
#ifndef REGISTRY_LOG_H
#define REGISTRY_LOG_H


#if defined(REG_PART_PROTO) || defined(REG_PART_COMMON)
#error "registry/log.h: proto and common never include the registry (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>
#include <stdint.h>

#include "registry/conn.h"
#include "registry/errors.h"
#include "registry/values.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif
