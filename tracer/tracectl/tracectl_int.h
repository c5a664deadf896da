/*
 * tracectl's internal declarations, one file per concern: tracectl.c
 * (main), tracectl_local.c (local), tracectl_verify.c (verify),
 * tracectl_remote.c (the options and set-up of the commands that talk to
 * a daemon), tracectl_answer.c (a daemon's answers), tracectl_submit.c
 * (submit, status, wait), tracectl_chain.c (chain), tracectl_witness.c
 * (witness) and tracectl_io.c (reading and printing).
 */
#ifndef TRACER_TRACECTL_INT_H
#define TRACER_TRACECTL_INT_H


#if !defined(REG_PART_TRACER) && !defined(REG_WHITEBOX)
#error "tracectl_int.h is internal to tracer/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stdint.h>
#include <stdio.h>

#include "proto/proto.h"
#include "client_int.h"

#define PROG "tracectl"

/* Exit statuses (tracectl(1), EXIT STATUS). */
enum {
	EX_OK = 0,
	EX_FAIL = 1,		/* a file, the database, the network or a daemon */
	EX_USAGE = 2,
	EX_BADREQ = 3,		/* malformed input */
	EX_VERIFY = 4,		/* a signature or proof does not verify */
	EX_TIMEOUT = 5		/* wait: no answer in time */
};

/* The commands, each as main() hands it its arguments (argv[0] the
 * command's name). */
int tracectl_local(const char *db, int argc, char **argv);
int tracectl_verify(int argc, char **argv);
int tracectl_submit(int argc, char **argv);
int tracectl_chain(int argc, char **argv);
int tracectl_status(int argc, char **argv);
int tracectl_wait(int argc, char **argv);
int tracectl_witness(int argc, char **argv);	/* tracectl_witness.c */

/* ------------------------------------------------ tracectl_io.c */

/* Reads all of f, up to max bytes, into *out (NUL-terminated, to free());
 * -2 when there is more, -1 when f cannot be read. */
int tracectl_read_all(FILE *f, size_t max, char **out, size_t *len);
/*
 * Reads and parses the trace request in path (NULL or "-": standard input;
 * *name is then "standard input", else path).  Returns -1 with *out set (to
 * free with proto_request_free()), or, after telling why on standard error
 * after prog, the exit status: 1 for a file that cannot be read, 3 for a
 * request over the protocol's limit or malformed.
 */
int tracectl_read_request(const char *prog, const char *path,
    proto_request **out, const char **name);
/* Prints text from the network (at most max bytes of s) with control
 * characters as spaces. */
void put_clean(FILE *f, const char *s, size_t max);
/* Prints a payload (JSON) as it is, or indented; -1 without memory. */
int print_json(const uint8_t *doc, size_t len, int pretty);
/* Prints an acknowledgement (status document) of State state. */
void print_ack(const char *state, const proto_ack *a);
/* Sleeps s seconds (nothing for s <= 0). */
void pause_for(double s);

/* ------------------------------------------------ tracectl_verify.c */

/* What tracectl_verify_response() checked. */
struct tracectl_verified {
	char kid[201];			/* the signing key */
	int has_checkpoint;
	unsigned long long checkpoint_size;
	size_t proofs;			/* inclusion proofs that hold */
};
/*
 * Verifies a signed trace response (text, len bytes) with the verifier of
 * tracer/net/verify.c (tr__response_verify()): the signature with the
 * responding State's key from peers, the document, the checkpoint it
 * names with that State's log verifier key, and every inclusion proof.
 * EX_OK with *out (proto_response_free()), else EX_VERIFY, EX_BADREQ (or
 * EX_FAIL without memory) with why.
 */
int tracectl_verify_response(const struct tr__peers *peers, const char *text,
    size_t len, proto_response **out, struct tracectl_verified *v, char *why,
    size_t whylen);

/* ------------------------------------------------ tracectl_remote.c */

/* The options of submit, status, wait and chain, and what they set up. */
struct remote {
	const char *cmd;		/* "submit", ... */
	char prog[24];			/* "tracectl submit", for messages */
	const char *to, *url, *ca, *state_opt, *verify_key;
	const char *peers_path, *cert, *key, *sign_path, *kid;
	const char *save;
	double timeout, interval;	/* chain: timeout 0 without --wait */
	double follow;			/* submit --follow SECONDS, else 0 */
	int json, pretty;
	const char *arg;		/* FILE or ID */
	/* Set by remote_open(). */
	char state[3];			/* the daemon's State: whose keys sign */
	tr__peers *peers;
	proto_jws_key *verifier;	/* --verify-key */
	proto_jws_key *signer;		/* --sign-key, submit only */
	tr__client *client;
};

/* Which of the optional options a command takes. */
enum { R_SIGN = 1, R_WAIT = 2, R_CHAIN = 4 };

/* Reports a usage error of rm's command; returns EX_USAGE. */
int usage_error(const struct remote *rm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Reads the options; what the command does not take (takes: R_*) is a
 * usage error.  Returns -1 to go on, else the exit status.
 */
int remote_parse(struct remote *rm, unsigned takes, int argc, char **argv);
/* Loads the keys and files the options name and makes the client, with a
 * time limit of timeout seconds a call (0: the client's).  Returns -1 to
 * go on, else the exit status. */
int remote_open(struct remote *rm, double timeout);
/* Frees what remote_open() made. */
void remote_close(struct remote *rm);
/* A request id: a UUID in lower case, the only form the protocol writes. */
int id_valid(const char *s);

/* ------------------------------------------------ tracectl_answer.c */

/*
 * Reads a daemon's answer to method: a refusal is reported; a success must
 * be a message signed by the daemon's State, whose signature is verified
 * (*out, to free with proto_jws_free()).  Returns -1 to go on, else the
 * exit status.
 */
int remote_answer(struct remote *rm, const char *method,
    const struct tr__client_answer *ans, proto_jws **out);
/* Parses a verified status document and checks that it is about id at
 * requested.  Returns -1 to go on, else the exit status. */
int status_doc(struct remote *rm, const proto_jws *jws, const char *id,
    const char *requested, proto_ack **out);
/* Checks a trace response whose signature is verified (checkpoint and
 * proofs, tr__response_check()) and that it answers id at rm->state.
 * Returns -1 to go on (*out set), else the exit status. */
int response_doc(struct remote *rm, const proto_jws *jws, const char *id,
    proto_response **out);

/* ------------------------------------------------ tracectl_chain.c */

/*
 * Asks the daemon for the chain of request id, within wait seconds (0: once)
 * until it ends, then checks every hop's answer and prints the chain.
 * Returns the exit status.
 */
int chain_show(struct remote *rm, const char *id, double wait);

#endif
