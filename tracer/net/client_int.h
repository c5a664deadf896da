/*
 * The tracing client's internal declarations (tracer/net/client.c); never
 * installed.  An HTTP/1.1 client over TLS 1.3 with a client certificate,
 * built on libcurl, that talks to one State's tracing daemon.  What it
 * fetches is checked with the verifier of verify_int.h, included here.
 */
#ifndef TRACER_CLIENT_INT_H
#define TRACER_CLIENT_INT_H


#if !defined(REG_PART_TRACER) && !defined(REG_WHITEBOX)
#error "client_int.h is internal to tracer/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <stdatomic.h>
#include <stddef.h>

#include "tracer_int.h"
#include "verify_int.h"

/* The largest answer body read; a longer one is refused (REG_ETOOBIG). */
#define TR__CLIENT_BODY_MAX (8u * 1024u * 1024u)
#define TR__CLIENT_CONNECT_TIMEOUT 10	/* seconds */
#define TR__CLIENT_TIMEOUT 60		/* seconds, a whole call */

/*
 * A connection to one daemon: one libcurl handle, so that its connection
 * is kept alive and reused from one call to the next.
 */
typedef struct tr__client tr__client;

/* Where the daemon is and how to trust it; the strings are copied. */
struct tr__client_config {
	const char *url;		/* "https://host[:port]", no path */
	const char *ca_file;		/* PEM certificates of the CAs to trust */
	const char *pinned_cert;	/* or: the daemon's own certificate (PEM),
					 * the only one then accepted */
	const char *cert_file;		/* this client's certificate (PEM) */
	const char *key_file;		/* and its private key (PEM) */
	long connect_timeout;		/* seconds; 0: TR__CLIENT_CONNECT_TIMEOUT */
	long timeout;			/* seconds; 0: TR__CLIENT_TIMEOUT */
	size_t body_max;		/* bytes; 0: TR__CLIENT_BODY_MAX */
	/* When not NULL, a transfer under way stops (REG_EIO) within about a
	 * second once *cancel is not 0: a daemon stopping does not wait for
	 * a held question. */
	const atomic_int *cancel;
};

/* A daemon's answer; free its body with tr__client_answer_free(). */
struct tr__client_answer {
	long status;			/* the HTTP status code */
	char content_type[128];		/* media type, lower case, without
					 * parameters; "" when absent */
	long retry_after;		/* Retry-After in seconds, -1 if none */
	char location[256];		/* the Location header, "" if none (or
					 * too long) */
	char *body;			/* NUL-terminated (not counted in len) */
	size_t len;
};

/*
 * Makes a client for the daemon at cfg->url (https only), trusting exactly
 * one of cfg->ca_file and cfg->pinned_cert, presenting cfg->cert_file and
 * cfg->key_file.  The files are checked to be readable now.  Nothing is
 * sent until the first call.  REG_EINVAL for a bad url or configuration,
 * REG_EIO for a file that cannot be read, REG_ECRYPTO for a pinned
 * certificate that cannot be read as one, REG_ENOMEM.  Free with
 * tr__client_free().
 */
TR_WUR int tr__client_new(const struct tr__client_config *cfg,
    tr__client **out, reg_error *err);
/* Closes the connection and frees c; accepts NULL. */
void tr__client_free(tr__client *c);
/* The daemon's base url, as configured. */
const char *tr__client_url(const tr__client *c);

/*
 * GET path (starting with '/') and POST body (len bytes, of media type
 * content_type) to path.  Any answer the daemon gives, whatever its HTTP
 * status, is 0 with *ans filled; the caller frees ans with
 * tr__client_answer_free().  A failure to connect, a TLS handshake that
 * fails (the daemon's certificate not trusted, this client's refused) is
 * REG_ECONNECT; a body over the limit REG_ETOOBIG; a timeout or any other
 * transfer failure REG_EIO; each with libcurl's text and what to do in err.
 */
TR_WUR int tr__client_get(tr__client *c, const char *path,
    struct tr__client_answer *ans, reg_error *err);
TR_WUR int tr__client_post(tr__client *c, const char *path,
    const char *content_type, const void *body, size_t len,
    struct tr__client_answer *ans, reg_error *err);
/* Frees an answer's body and empties it; accepts an empty answer. */
void tr__client_answer_free(struct tr__client_answer *ans);

#endif
