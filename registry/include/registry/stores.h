/*
 * libregistry's stores of the tracing daemon: the trace requests it
 * received (trace_store.c), the hops of the requests it sends on to other
 * States (trace_hop.c) and a hub's relays (relay_store.c), under
 * registry/stores/.  They are compiled into libregistry, whose records and
 * audit log they use, but are no part of the record-keeping API of
 * registry.h: only the daemon and its tests include this header.
 */
#ifndef REGISTRY_STORES_H
#define REGISTRY_STORES_H


#if defined(REG_PART_PROTO) || defined(REG_PART_COMMON)
#error "registry/stores.h: proto and common never include the registry (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Tracing daemon's messages.  Every trace request received from another
 * State, and every change of its status (with the signed response when it
 * was answered), is a record sealed in the audit log like the others:
 * reg_log_verify() re-derives their leaves from the rows, with the SHA-256
 * of the stored message, so that an altered message is caught.  The
 * daemon's signed acknowledgement of a request is stored with it but is no
 * leaf of its own: it is the daemon's signed statement of what the
 * request's leaf already seals, plus that leaf's index.
 *
 * Messages are JWS compact serialisations kept byte for byte: valid UTF-8
 * without control characters (so without NUL), 1 byte to
 * REG_TRACE_MESSAGE_MAX.  Times are RFC 3339 UTC,
 * YYYY-MM-DDTHH:MM:SS[.f]Z with at most six digits of fraction; they are
 * kept to the microsecond and returned in one canonical form,
 * YYYY-MM-DDTHH:MM:SS.ffffffZ.  UUIDs are returned in lower case.
 */
#define REG_TRACE_MESSAGE_MAX (4u * 1024u * 1024u)
#define REG_TRACE_ACK_MAX (1024u * 1024u)
#define REG_TRACE_REASONS_MAX 20000

/* A received trace request (strings NUL-terminated, except message). */
struct reg_trace_in {
	const char *id;			/* the request's id */
	const char *parent_id;		/* the request it follows from, or NULL */
	const char *requesting_state;	/* ISO 3166-1 alpha-2 */
	const char *requested_state;
	const char *caller;		/* who sent it, e.g. "BE peer tracing.be.example"
					 * (at most 300 bytes) */
	const char *kid;		/* the signing key's id (at most 200 bytes) */
	const char *priority;		/* "urgent" or "routine" */
	const char *received_at;	/* RFC 3339 UTC */
	const char *due_by;		/* not before received_at */
	const char *message;		/* the JWS exactly as received */
	size_t message_len;
};

/*
 * Called by reg_trace_receive() inside its transaction, once the request's
 * leaf has index log_index: returns the signed acknowledgement to store (a
 * malloc'd string of at most REG_TRACE_ACK_MAX bytes, which the library
 * frees or hands back), or NULL with err (never NULL) filled, which rolls
 * the receipt back.  It must not use the reg_ctx.
 */
typedef char *(*reg_trace_ack_cb)(void *arg, uint64_t log_index,
    reg_error *err);

/*
 * Stores a received request with its leaf, then the acknowledgement that
 * ack_cb returns, in one transaction (the caller's, when one is open).  On
 * success *log_index receives the request's leaf index, *same_message 0,
 * and *ack_out (may be NULL) the acknowledgement stored (free it with
 * reg_free()).  When a request with this id is stored already, nothing is
 * written and REG_EEXIST is returned with *log_index the stored request's
 * leaf, *same_message 1 when the stored message is byte-identical to this
 * one (a repetition: answer with the stored acknowledgement) or 0 when it
 * is not (a conflict), and *ack_out the stored acknowledgement.  Malformed
 * input is REG_EINVAL (REG_ETOOBIG when over a limit), and nothing is
 * written.  Any other failure inside the caller's transaction leaves its
 * rollback to the caller.  The request is looked up under the log's append
 * lock, so that concurrent receipts of one id store it once.
 */
REG_API REG_WUR int reg_trace_receive(reg_ctx *ctx,
    const struct reg_trace_in *in, reg_trace_ack_cb ack_cb, void *arg,
    uint64_t *log_index, int *same_message, char **ack_out, reg_error *err);

/*
 * Records a change of a stored request's status: "in_progress" (with no
 * response), or "answered", "restricted", "need_more_info" or "declined"
 * with the signed trace response sent (response_len bytes, required).
 * reasons_json (may be NULL) is a JSON array of strings, on one line, of
 * at most REG_TRACE_REASONS_MAX bytes.  The status is stamped with the
 * current time; *log_index (may be NULL) receives its leaf index.  An
 * unknown request is REG_ENOTFOUND.
 */
REG_API REG_WUR int reg_trace_status_add(reg_ctx *ctx, const char *request_id,
    const char *status, const char *reasons_json, const char *response,
    size_t response_len, uint64_t *log_index, reg_error *err);

/* A stored request with its acknowledgement and its latest status. */
struct reg_trace {
	char id[REG_UUID_STR];
	char parent_id[REG_UUID_STR];	/* "" when none */
	char requesting_state[3];
	char requested_state[3];
	char caller[301];
	char kid[201];
	char priority[8];
	char received_at[40];
	char due_by[40];
	char *message;			/* the request as received */
	char *ack;			/* the stored acknowledgement, or NULL */
	uint64_t log_index;		/* the request's leaf */
	char status[16];		/* the latest status; "acknowledged" when none */
	char status_at[40];		/* its time (received_at when none) */
	char *reasons;			/* its reasons (JSON), or NULL */
	uint64_t status_log_index;	/* its leaf (log_index when none) */
	char *response;			/* the latest signed response, or NULL */
	char responded_at[40];		/* its status's time, or "" */
};
/* Reads a stored request (REG_ENOTFOUND if none); free *out with
 * reg_trace_free(). */
REG_API REG_WUR int reg_trace_get(reg_ctx *ctx, const char *id,
    struct reg_trace **out, reg_error *err);
/* Frees a reg_trace; accepts NULL. */
REG_API void reg_trace_free(struct reg_trace *t);

/*
 * Calls cb with the id and due time of every open request (latest status
 * acknowledged or in_progress), oldest first, for a daemon that restarts.
 * The requests are read first, so cb may use ctx.  A non-zero return from
 * cb stops the walk: REG_EIO.
 */
typedef int (*reg_trace_open_cb)(void *arg, const char *id,
    const char *due_by);
REG_API REG_WUR int reg_trace_open(reg_ctx *ctx, reg_trace_open_cb cb,
    void *arg, reg_error *err);
/* How many requests are open, and how many of them are overdue (the
 * database's current time is after their due_by); either may be NULL. */
REG_API REG_WUR int reg_trace_counts(reg_ctx *ctx, long *open, long *overdue,
    reg_error *err);

/*
 * Trace requests this State sends (a daemon forwarding a domestic request,
 * and following referrals): hops.  Hop 0 is a domestic submitter's request
 * forwarded under this State's signature; hop N > 0 is the request sent to
 * the State that hop N - 1's answer referred the weapon to, its parent.
 * Every hop, and every event of a hop (the other State's acknowledgement,
 * its answer, its refusal, the end of the chain), is a record sealed in the
 * audit log, the messages as SHA-256 digests recomputed at verification.
 */
struct reg_hop_in {
	const char *id;			/* the request's id (a UUID) */
	const char *parent_id;		/* hop > 0: the hop it follows; else NULL */
	int hop;			/* 0 to REG_HOP_MAX */
	const char *requesting_state;	/* this State */
	const char *requested_state;	/* the State asked */
	const char *via;		/* the hub it goes through, or NULL */
	const char *submitted_by;	/* hop 0: who submitted it (at most 300
					 * bytes); hop > 0: e.g. "followed" */
	const char *kid;		/* the key that signed origin (hop 0), or
					 * this State's key */
	const char *priority;		/* "urgent" or "routine" */
	const char *created_at;		/* RFC 3339 UTC */
	const char *due_by;		/* the answer's expected time */
	const char *origin;		/* hop 0: the submitter's signed request
					 * as received; else NULL */
	size_t origin_len;
	const char *message;		/* the request as sent, signed */
	size_t message_len;
};
#define REG_HOP_MAX 32

/*
 * Stores a hop with its leaf.  Hop 0 needs ack_cb, the submitter's
 * acknowledgement, stored with it in the transaction (as reg_trace_receive()
 * does); a hop with this id stored already is REG_EEXIST with *same_message
 * telling whether its origin is byte-identical and *ack_out its stored
 * acknowledgement.  Hop N > 0 needs its parent, stored, of hop N - 1 and of
 * the same chain; a parent that has a follow-up already is REG_EEXIST (one
 * referral is followed once).  *log_index (may be NULL) receives the leaf.
 */
REG_API REG_WUR int reg_hop_add(reg_ctx *ctx, const struct reg_hop_in *in,
    reg_trace_ack_cb ack_cb, void *arg, uint64_t *log_index, int *same_message,
    char **ack_out, reg_error *err);

/*
 * Records an event of a stored hop, stamped with the current time: kind
 * "acknowledged" (status the other State's, due_by its due time, message
 * its signed acknowledgement), "answered" (status the response's, message
 * the signed response), "refused" (status the problem's name, message its
 * document when there is one) or "ended" (status why the chain ends there:
 * a word of lower-case letters, '_' and '-').  detail (may be NULL) is one
 * line of at most 2000 bytes.
 */
REG_API REG_WUR int reg_hop_event_add(reg_ctx *ctx, const char *hop_id,
    const char *kind, const char *status, const char *due_by,
    const char *detail, const char *message, size_t message_len,
    uint64_t *log_index, reg_error *err);

/* A stored hop with the latest event of each kind ("" and NULL when none). */
struct reg_hop {
	char id[REG_UUID_STR];
	char root_id[REG_UUID_STR];
	char parent_id[REG_UUID_STR];
	int hop;
	char requesting_state[3];
	char requested_state[3];
	char via[3];
	char submitted_by[301];
	char kid[201];
	char priority[8];
	char created_at[40];
	char due_by[40];
	char *origin;			/* hop 0: the submitter's message */
	char *message;			/* as sent */
	char *ack;			/* hop 0: the submitter's acknowledgement */
	uint64_t log_index;
	char acked_at[40];		/* acknowledged */
	char ack_status[41];
	char ack_due_by[40];
	char *remote_ack;
	char answered_at[40];		/* answered */
	char answer_status[41];
	char *response;
	char refused_at[40];		/* refused */
	char refusal[41];
	char *problem;
	char ended_at[40];		/* ended */
	char end[41];
	char detail[2001];		/* the refusal's or the end's detail */
	int followed;			/* a hop follows this one */
};

/* The hop of id (REG_ENOTFOUND if none); free with reg_hops_free(*out, 1). */
REG_API REG_WUR int reg_hop_get(reg_ctx *ctx, const char *id,
    struct reg_hop **out, reg_error *err);
/* Every hop of the chain that hop id belongs to, in hop order, as an array
 * of *n (REG_ENOTFOUND if id is no hop); free with reg_hops_free(). */
REG_API REG_WUR int reg_hop_chain(reg_ctx *ctx, const char *id,
    struct reg_hop **out, size_t *n, reg_error *err);
/* Frees an array of n hops; accepts NULL. */
REG_API void reg_hops_free(struct reg_hop *hops, size_t n);

/*
 * Calls cb with the id of every hop that still has work: neither refused,
 * ended nor followed (so sending, waiting for its answer, or answered and
 * not yet followed), oldest first.  A non-zero return stops: REG_EIO.
 */
typedef int (*reg_hop_open_cb)(void *arg, const char *id);
REG_API REG_WUR int reg_hop_open(reg_ctx *ctx, reg_hop_open_cb cb, void *arg,
    reg_error *err);
/* How many hops wait for an answer, and how many of them are past their
 * due time (the other State's, else their own); either may be NULL. */
REG_API REG_WUR int reg_hop_counts(reg_ctx *ctx, long *open, long *overdue,
    reg_error *err);

/*
 * A liaison hub's relays (tracerd in hub mode).  The hub keeps no message:
 * for each trace request it relays, who sent it to whom, when, and the
 * SHA-256 of the signed message (a record "relay"), and each change of its
 * status that it saw in the requested State's signed answers (a record
 * "relay_status"), both sealed in the hub's audit log.  Times are RFC 3339
 * UTC and returned as YYYY-MM-DDTHH:MM:SS.ffffffZ; digests are SHA-256 in
 * base64 (44 characters).
 */
struct reg_relay_in {
	const char *id;			/* the request's id */
	const char *requesting_state;	/* who sent it (ISO 3166-1 alpha-2) */
	const char *requested_state;	/* to whom; another State */
	const char *caller;		/* e.g. "NL peer tracing.nl.example" */
	const char *kid;		/* the signing key's id */
	const char *priority;		/* "urgent" or "routine" */
	const char *received_at;	/* when the hub received it */
	const char *request_sha256;	/* of the signed message as received */
};
/*
 * Records a relay with its leaf (in the caller's transaction when one is
 * open).  When one with this id is recorded already, nothing is written
 * and REG_EEXIST is returned, with *same 1 when it came from the same
 * State with the same digest (a repetition) and 0 otherwise (a conflict).
 * *log_index (may be NULL) receives the relay's leaf.
 */
REG_API REG_WUR int reg_relay_receive(reg_ctx *ctx,
    const struct reg_relay_in *in, uint64_t *log_index, int *same,
    reg_error *err);
/*
 * Records that relay request_id has status: one of the requested State's
 * statuses (acknowledged, in_progress, answered, restricted,
 * need_more_info, declined, overdue) with the HTTP status of its answer,
 * its due_by and responded_at (either may be NULL) as it signed them and
 * the SHA-256 of the answer relayed (may be NULL); or the hub's own
 * outcomes of a forwarding: "refused" (the requested State answered a
 * problem, http_status) and "unavailable" (it could not be reached,
 * http_status 0).  Only changes are written: nothing when the status, due
 * time and answer time are those of the latest status, nor a refused or
 * unavailable after the requested State acknowledged.  *added (may be
 * NULL) says whether a status was written, *log_index its leaf.  An
 * unknown relay is REG_ENOTFOUND.
 */
REG_API REG_WUR int reg_relay_status_add(reg_ctx *ctx, const char *request_id,
    const char *status, int http_status, const char *due_by,
    const char *responded_at, const char *document_sha256, int *added,
    uint64_t *log_index, reg_error *err);
/* A relay with its latest status. */
struct reg_relay {
	char id[REG_UUID_STR];
	char requesting_state[3];
	char requested_state[3];
	char caller[301];
	char kid[201];
	char priority[8];
	char received_at[40];
	char request_sha256[48];
	uint64_t log_index;		/* the relay's leaf */
	char status[16];		/* the latest status, "" when none yet */
	char status_at[40];		/* when the hub recorded it */
	int http_status;		/* its HTTP status, 0 when none */
	char due_by[40];		/* the latest due time known, or "" */
	char responded_at[40];		/* the latest answer time known, or "" */
};
/* Reads relay id into *out (REG_ENOTFOUND if none). */
REG_API REG_WUR int reg_relay_get(reg_ctx *ctx, const char *id,
    struct reg_relay *out, reg_error *err);
/* How many relays there are from one State to another by latest status
 * ("received" when none yet). */
struct reg_relay_count {
	char requesting_state[3];
	char requested_state[3];
	char status[16];
	long n;
};
/*
 * The relays counted by States and latest status into *out (*n entries;
 * free with reg_free()), and how many are open (not
 * answered, restricted, need_more_info, declined or refused) and, of
 * those, overdue (past the latest due time the requested State gave);
 * open and overdue may be NULL.
 */
REG_API REG_WUR int reg_relay_counts(reg_ctx *ctx, struct reg_relay_count **out,
    size_t *n, long *open, long *overdue, reg_error *err);

#ifdef __cplusplus
}
#endif

#endif
