/* tracerd's internal declarations; never installed. */
#ifndef TRACER_TRACERD_INT_H
#define TRACER_TRACERD_INT_H

#include <openssl/ssl.h>

#include "tracer_int.h"

#define TRD_PATH_MAX 1024

/* The daemon's configuration file (tracerd(8), "CONFIGURATION"). */
struct trd_config {
	char path[TRD_PATH_MAX];	/* the file it was read from */
	char state[3];			/* [daemon] state */
	char listen_host[256];		/* [daemon] listen = host:port */
	int listen_port;
	char database[TRD_PATH_MAX];	/* [daemon] database (conninfo) or "" */
	char tls_cert[TRD_PATH_MAX];	/* [tls] certificate */
	char tls_key[TRD_PATH_MAX];	/* [tls] key */
	char client_ca[TRD_PATH_MAX];	/* [tls] client_ca */
	char crl[TRD_PATH_MAX];		/* [tls] crl, or "" */
	char signing_key[TRD_PATH_MAX];	/* [signing] key */
	char signing_kid[201];		/* [signing] kid */
	char peers[TRD_PATH_MAX];	/* [peers] directory, or "" */
	char policy[TRD_PATH_MAX];	/* [policy] file, or "" */
	long body_max;			/* [limits] body_max, bytes */
	int header_timeout;		/* [limits] header_timeout, seconds */
	int idle_timeout;		/* [limits] idle_timeout, seconds */
	int max_connections;		/* [limits] max_connections */
};

/*
 * Reads a configuration file: unknown sections and keys, bad values, a
 * section twice, a missing required key refused with FILE:LINE.  Relative
 * paths are resolved against the file's folder.
 */
int trd_config_load(const char *path, struct trd_config *cf, reg_error *err);

/* The TLS context of cf: TLS 1.3 only, client certificates required. */
int trd_tls_context(const struct trd_config *cf, SSL_CTX **out, reg_error *err);

/* Who is calling, from the verified client certificate's subject. */
struct trd_identity {
	char state[3];			/* C */
	char role[16];			/* OU: peer, investigator, clerk, liaison,
					 * auditor */
	char name[128];			/* CN */
};
/* 0 and *id filled, or -1 for a certificate that names no valid State and
 * role. */
int trd_tls_identity(SSL *ssl, struct trd_identity *id);

#endif
