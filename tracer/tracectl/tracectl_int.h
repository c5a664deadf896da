/* tracectl's commands, one file per group: tracectl.c (local, verify) and
 * tracectl_remote.c (submit, status, wait, which talk to a daemon). */
#ifndef TRACER_TRACECTL_INT_H
#define TRACER_TRACECTL_INT_H

#include <stdio.h>

#include "proto/proto.h"

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

/* What tracectl_verify_response() checked. */
struct tracectl_verified {
	char kid[201];			/* the signing key */
	int has_checkpoint;
	unsigned long long checkpoint_size;
	size_t proofs;			/* inclusion proofs that hold */
};
struct tr__peers;
/*
 * Verifies a signed trace response (text, len bytes): the signature with
 * the responding State's key from peers, the document, the checkpoint it
 * names with that State's log verifier key, and every inclusion proof.
 * EX_OK with *out (proto_response_free()), else EX_VERIFY or EX_BADREQ with
 * why.
 */
int tracectl_verify_response(const struct tr__peers *peers, const char *text,
    size_t len, proto_response **out, struct tracectl_verified *v, char *why,
    size_t whylen);

int tracectl_submit(int argc, char **argv);
int tracectl_chain(int argc, char **argv);
int tracectl_status(int argc, char **argv);
int tracectl_wait(int argc, char **argv);
int tracectl_witness(int argc, char **argv);	/* tracectl_witness.c */

#endif
