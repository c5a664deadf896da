/*
 * The peers directory's keys (tracer/net/peers.c documents them): each
 * value of a [peer.XX] section checked and kept in the section's entry,
 * with the files it names read at once (TLS trust, signing keys); and the
 * first fault of the parse, kept with its line.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "peers_int.h"

#define NAME_MAX_BYTES 200		/* display names */
#define KID_MAX 200			/* proto/jws.c's limit */
#define KEY_FILE_MAX (64 * 1024)	/* a PEM public key is ~120 bytes */
#define CERT_FILE_MAX (1024 * 1024)	/* a CA bundle may hold many */
#define PUBKEY_BEGIN "-----BEGIN PUBLIC KEY-----"

/* The first fault, kept with its line (peers_int.h). */
int
tr__peers_fail(struct peers_parse *ps, int code, const char *fmt, ...)
{
	va_list ap;
	char *m;

	if (ps->msg[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(ps->msg, sizeof(ps->msg), fmt, ap);
		va_end(ap);
		/* One line, whatever the file held. */
		for (m = ps->msg; *m != '\0'; m++)
			if ((unsigned char)*m < 0x20 || *m == 0x7f)
				*m = ' ';
		ps->code = code;
		ps->msg_line = ps->line;
	}
	ps->stop = 1;
	return 0;
}

/* A file name from the directory file, absolute; NULL when out of memory. */
static char *
resolve(const struct peers_parse *ps, const char *file)
{
	size_t n;
	char *s;

	if (file[0] == '/')
		return strdup(file);
	n = strlen(ps->dir) + 1 + strlen(file) + 1;
	if ((s = malloc(n)) == NULL)
		return NULL;
	snprintf(s, n, "%s%s%s", ps->dir,
	    ps->dir[strlen(ps->dir) - 1] == '/' ? "" : "/", file);
	return s;
}

/*
 * Reads a whole small file, NUL-terminated; returns 0, or an errno value
 * (EFBIG when it is over max bytes).
 */
static int
read_small(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f;
	char *buf;
	size_t n;
	int e;

	*out = NULL;
	*len = 0;
	if ((f = fopen(path, "rb")) == NULL)
		return errno;
	if ((buf = malloc(max + 2)) == NULL) {
		fclose(f);
		return ENOMEM;
	}
	n = fread(buf, 1, max + 1, f);
	e = ferror(f) ? (errno != 0 ? errno : EIO) : 0;
	fclose(f);
	if (e == 0 && n > max)
		e = EFBIG;
	if (e != 0) {
		free(buf);
		return e;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* The text of a proto_error without its "field: " prefix. */
static const char *
proto_text(const proto_error *pe)
{
	size_t n = strlen(pe->field);

	if (n > 0 && strncmp(pe->message, pe->field, n) == 0 &&
	    strncmp(pe->message + n, ": ", 2) == 0)
		return pe->message + n + 2;
	return pe->message;
}

/* ------------------------------------------------------------ keys */

/* Records that key, which is given once per section, is on this line. */
static int
once(struct peers_parse *ps, int *line, const char *key)
{
	if (*line != 0)
		return tr__peers_fail(ps, REG_EINVAL, "%s is given twice in "
		    "[peer.%s] (first at line %d); keep one", key,
		    ps->cur->peer.code, *line);
	*line = ps->line;
	return 1;
}

static int
key_name(struct peers_parse *ps, struct peer_entry *e, const char *v)
{
	size_t i, n = strlen(v);

	if (!once(ps, &e->name_line, "name"))
		return 0;
	if (n == 0 || n > NAME_MAX_BYTES)
		return tr__peers_fail(ps, REG_EINVAL, "name must be 1 to %d "
		    "bytes", NAME_MAX_BYTES);
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return tr__peers_fail(ps, REG_EINVAL, "name holds a "
			    "control character; write it as plain text");
	if ((e->peer.name = strdup(v)) == NULL)
		return tr__peers_fail(ps, REG_ENOMEM, "out of memory");
	return 1;
}

/* Whether h[0..n) is a DNS host name (or a dotted IPv4 address). */
static int
host_name_ok(const char *h, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (label == 0 || label > 63 || h[i - 1] == '-' ||
			    h[i - label] == '-')
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)h[i]) || h[i] == '-') {
			label++;
		} else {
			return 0;
		}
	}
	return 1;
}

static int
key_url(struct peers_parse *ps, struct peer_entry *e, const char *v)
{
	const char *h, *after, *close;
	char host[256];
	size_t n, hl;
	long port = 443;
	char *url;
	unsigned char addr[16];

	if (!once(ps, &e->url_line, "url"))
		return 0;
	if (strncasecmp(v, "http://", 7) == 0)
		return tr__peers_fail(ps, REG_EINVAL, "url '%.100s' is plain "
		    "HTTP; peers are reached over mutual TLS only: write "
		    "https://", v);
	if (strncasecmp(v, "https://", 8) != 0)
		return tr__peers_fail(ps, REG_EINVAL, "url '%.100s' is not an "
		    "https URL; write https://host[:port]", v);
	h = v + 8;
	n = strlen(h);
	if (n > 0 && h[n - 1] == '/')
		n--;	/* a lone trailing '/' is the base URL too */
	if (strcspn(h, "/?#") < n)
		return tr__peers_fail(ps, REG_EINVAL, "url '%.100s' has a "
		    "path, query or fragment; give the base URL only, "
		    "https://host[:port] (the protocol's paths are fixed)", v);
	if (strcspn(h, "@") < n)
		return tr__peers_fail(ps, REG_EINVAL, "url '%.100s' holds a "
		    "user name; give https://host[:port] only", v);
	if (n > 0 && h[0] == '[') {
		close = memchr(h, ']', n);
		hl = close != NULL ? (size_t)(close - h - 1) : 0;
		if (close == NULL || hl == 0 || hl >= sizeof(host))
			return tr__peers_fail(ps, REG_EINVAL, "url '%.100s': "
			    "an IPv6 address is written in brackets, as "
			    "https://[2001:db8::1]:8443", v);
		memcpy(host, h + 1, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET6, host, addr) != 1)
			return tr__peers_fail(ps, REG_EINVAL, "url '%.100s': "
			    "'%s' is not an IPv6 address", v, host);
		after = close + 1;
	} else {
		close = memchr(h, ':', n);
		hl = close != NULL ? (size_t)(close - h) : n;
		if (!host_name_ok(h, hl))
			return tr__peers_fail(ps, REG_EINVAL, "url '%.100s' "
			    "has no valid host name; write https://host[:port] "
			    "with a DNS name or an IP address", v);
		memcpy(host, h, hl);
		host[hl] = '\0';
		after = h + hl;
	}
	if (after < h + n) {
		size_t i, digits = (size_t)(h + n - after) - 1;

		if (*after != ':' || digits == 0 || digits > 5)
			return tr__peers_fail(ps, REG_EINVAL, "url '%.100s': "
			    "after the host comes nothing or ':' and a port "
			    "number", v);
		port = 0;
		for (i = 1; i <= digits; i++) {
			if (!isdigit((unsigned char)after[i]))
				return tr__peers_fail(ps, REG_EINVAL, "url "
				    "'%.100s': the port is not a number", v);
			port = port * 10 + (after[i] - '0');
		}
		if (port < 1 || port > 65535)
			return tr__peers_fail(ps, REG_EINVAL, "url '%.100s': "
			    "the port must be 1 to 65535", v);
	}
	if ((url = malloc(8 + n + 1)) == NULL ||
	    (e->peer.host = strdup(host)) == NULL) {
		free(url);
		return tr__peers_fail(ps, REG_ENOMEM, "out of memory");
	}
	memcpy(url, "https://", 8);
	memcpy(url + 8, h, n);
	url[8 + n] = '\0';
	e->peer.url = url;
	e->peer.port = (int)port;
	return 1;
}

/* ca_file (pinned 0) or pinned_cert (pinned 1). */
static int
key_trust(struct peers_parse *ps, struct peer_entry *e, const char *key,
    const char *v, int pinned)
{
	char *path = NULL, *buf = NULL;
	size_t len;
	BIO *bio = NULL;
	X509 *x, *first = NULL;
	unsigned int mdlen = 0;
	int count = 0, r, ok = 0;

	if (e->trust_line != 0 && (pinned ? e->peer.pinned_cert != NULL :
	    e->peer.ca_file != NULL))
		return once(ps, &e->trust_line, key);
	if (e->trust_line != 0)
		return tr__peers_fail(ps, REG_EINVAL, "[peer.%s] has both "
		    "ca_file and pinned_cert (line %d); give exactly one: "
		    "ca_file to trust the CA that issues its certificates, "
		    "pinned_cert to accept its one certificate", e->peer.code,
		    e->trust_line);
	if (v[0] == '\0')
		return tr__peers_fail(ps, REG_EINVAL, "%s needs the name of a "
		    "PEM file", key);
	if ((path = resolve(ps, v)) == NULL)
		return tr__peers_fail(ps, REG_ENOMEM, "out of memory");
	r = read_small(path, CERT_FILE_MAX, &buf, &len);
	if (r == EFBIG) {
		tr__peers_fail(ps, REG_EINVAL, "%s %s is over %d KiB; give the "
		    "CA certificates of this State only", key, path,
		    CERT_FILE_MAX / 1024);
		goto out;
	}
	if (r == ENOMEM) {
		tr__peers_fail(ps, REG_ENOMEM, "out of memory");
		goto out;
	}
	if (r != 0) {
		tr__peers_fail(ps, REG_EIO, "cannot read %s %s: %s; check the "
		    "file name (relative to the directory file's folder) and "
		    "its permissions", key, path, strerror(r));
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		tr__peers_fail(ps, REG_ENOMEM, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		count++;
		if (first == NULL)
			first = x;
		else
			X509_free(x);
	}
	ERR_clear_error();
	if (count == 0) {
		tr__peers_fail(ps, REG_EINVAL, "%s %s holds no PEM certificate "
		    "(-----BEGIN CERTIFICATE-----)", key, path);
		goto out;
	}
	if (pinned && count != 1) {
		tr__peers_fail(ps, REG_EINVAL, "pinned_cert %s holds %d "
		    "certificates; give the State's own certificate only, or "
		    "its CA as ca_file", path, count);
		goto out;
	}
	if (pinned && (X509_digest(first, EVP_sha256(), e->peer.pin_sha256,
	    &mdlen) != 1 || mdlen != 32)) {
		ERR_clear_error();
		tr__peers_fail(ps, REG_EINTERNAL, "cannot hash pinned_cert %s",
		    path);
		goto out;
	}
	if (pinned)
		e->peer.pinned_cert = path;
	else
		e->peer.ca_file = path;
	path = NULL;	/* transferred */
	e->trust_line = ps->line;
	ok = 1;
out:
	X509_free(first);
	BIO_free(bio);
	free(buf);
	free(path);
	return ok;
}

/* The signing key, of any State, whose public key is pub; or NULL. */
static const struct signing_key *
same_key(const tr__peers *p, const uint8_t pub[32])
{
	size_t i;
	int j;

	for (i = 0; i < p->n; i++)
		for (j = 0; j < p->v[i]->nkeys; j++)
			if (memcmp(p->v[i]->keys[j].pub, pub, 32) == 0)
				return &p->v[i]->keys[j];
	return NULL;
}

/*
 * The kid of a signing_key value v ("KID FILE") into kid (KID_MAX + 1
 * bytes), checked to be one of e's State and new in its section, and
 * *file at the file name after it; 1, or 0 on a fault.
 */
static int
signing_kid(struct peers_parse *ps, struct peer_entry *e, const char *v,
    char *kid, const char **file)
{
	const char *code = e->peer.code;
	size_t kl, i;
	int j;

	kl = strcspn(v, " \t");
	for (*file = v + kl; **file == ' ' || **file == '\t'; (*file)++)
		;
	if (kl == 0 || **file == '\0')
		return tr__peers_fail(ps, REG_EINVAL, "signing_key is "
		    "'%.100s': give the key's kid and the file of its PEM "
		    "public key, as signing_key = %s/2026-1 "
		    "%c%c-sign-2026.pub.pem", v, code,
		    tolower((unsigned char)code[0]),
		    tolower((unsigned char)code[1]));
	if (kl > KID_MAX)
		return tr__peers_fail(ps, REG_EINVAL, "the kid is longer than "
		    "%d bytes", KID_MAX);
	memcpy(kid, v, kl);
	kid[kl] = '\0';
	if (strncmp(kid, code, 2) != 0 || kid[2] != '/' || kid[3] == '\0')
		return tr__peers_fail(ps, REG_EINVAL, "kid '%s' is not one of "
		    "%s's: a State signs only with its own keys, whose kids "
		    "start with '%s/' (as %s/2026-1)", kid, code, code, code);
	for (i = 0; i < kl; i++)
		if ((unsigned char)kid[i] < 0x21 || (unsigned char)kid[i] > 0x7e)
			return tr__peers_fail(ps, REG_EINVAL, "kid '%s' must "
			    "be printable ASCII", kid);
	for (j = 0; j < e->nkeys; j++)
		if (strcmp(proto_jws_key_kid(e->keys[j].key), kid) == 0)
			return tr__peers_fail(ps, REG_EINVAL, "kid %s is given "
			    "twice in [peer.%s] (first at line %d); each key "
			    "has a kid of its own", kid, code, e->keys[j].line);
	if (e->nkeys == KEYS_MAX)
		return tr__peers_fail(ps, REG_EINVAL, "[peer.%s] has more than "
		    "%d signing keys; remove the ones it no longer signs with",
		    code, KEYS_MAX);
	return 1;
}

/*
 * The Ed25519 public key of State code in the PEM file at path, with kid,
 * into *out (proto_jws_key_free()); 1, or 0 on a fault.
 */
static int
signing_pem(struct peers_parse *ps, const char *code, const char *path,
    const char *kid, proto_jws_key **out)
{
	proto_error pe = PROTO_ERROR_INIT;
	const char *begin;
	char *buf = NULL;
	size_t len;
	int r, ok = 0;

	r = read_small(path, KEY_FILE_MAX, &buf, &len);
	if (r == ENOMEM) {
		tr__peers_fail(ps, REG_ENOMEM, "out of memory");
		goto out;
	}
	if (r == EFBIG) {
		tr__peers_fail(ps, REG_EINVAL, "signing key file %s is over %d "
		    "KiB: it is not a public key", path, KEY_FILE_MAX / 1024);
		goto out;
	}
	if (r != 0) {
		tr__peers_fail(ps, REG_EIO, "cannot read signing key file %s: "
		    "%s; check the file name (relative to the directory file's "
		    "folder) and its permissions", path, strerror(r));
		goto out;
	}
	/* Before OpenSSL sees it: an encrypted key would ask for a password. */
	if (strstr(buf, "PRIVATE KEY") != NULL) {
		tr__peers_fail(ps, REG_EINVAL, "signing key file %s holds a "
		    "private key; ask %s for its public key only (openssl pkey "
		    "-pubout) and keep no private key of another State here",
		    path, code);
		goto out;
	}
	begin = strstr(buf, "-----BEGIN ");
	if (begin == NULL ||
	    strncmp(begin, PUBKEY_BEGIN, strlen(PUBKEY_BEGIN)) != 0 ||
	    strstr(begin + 1, "-----BEGIN ") != NULL) {
		tr__peers_fail(ps, REG_EINVAL, "signing key file %s does not "
		    "hold one PEM public key (%s) and nothing else; give %s's "
		    "Ed25519 public key as `openssl pkey -pubout` writes it",
		    path, PUBKEY_BEGIN, code);
		goto out;
	}
	r = proto_jws_key_from_pem(buf, len, kid, out, &pe);
	ERR_clear_error();
	if (r == PROTO_ENOMEM) {
		tr__peers_fail(ps, REG_ENOMEM, "out of memory");
		goto out;
	}
	if (r != 0 && strcmp(pe.field, "kid") == 0) {
		tr__peers_fail(ps, REG_EINVAL, "kid '%s': %s", kid,
		    proto_text(&pe));
		goto out;
	}
	if (r != 0) {
		tr__peers_fail(ps, REG_EINVAL, "signing key file %s: %s; give "
		    "%s's Ed25519 public key in PEM (-----BEGIN PUBLIC "
		    "KEY-----)", path, proto_text(&pe), code);
		goto out;
	}
	ok = 1;
out:
	free(buf);
	return ok;
}

/* signing_key = KID FILE: one more signing key of the State. */
static int
key_signing(struct peers_parse *ps, struct peer_entry *e, const char *v)
{
	const char *file;
	char kid[KID_MAX + 1], *path = NULL;
	proto_jws_key *k = NULL;
	const struct signing_key *same;
	struct signing_key *sk;
	int ok = 0;

	if (!signing_kid(ps, e, v, kid, &file))
		return 0;
	if ((path = resolve(ps, file)) == NULL)
		return tr__peers_fail(ps, REG_ENOMEM, "out of memory");
	if (!signing_pem(ps, e->peer.code, path, kid, &k))
		goto out;
	sk = &e->keys[e->nkeys];
	if (proto_jws_key_public(k, sk->pub) != 0) {
		tr__peers_fail(ps, REG_EINTERNAL, "cannot read the public key "
		    "of %s", path);
		goto out;
	}
	if ((same = same_key(ps->p, sk->pub)) != NULL) {
		tr__peers_fail(ps, REG_EINVAL, "signing key file %s holds the "
		    "same key as kid %s (line %d); every kid has a key of its "
		    "own, and a rotation adds a new one", path,
		    proto_jws_key_kid(same->key), same->line);
		goto out;
	}
	sk->key = k;
	k = NULL;	/* transferred */
	sk->line = ps->line;
	e->nkeys++;
	e->peer.nkeys = e->nkeys;
	ok = 1;
out:
	proto_jws_key_free(k);
	free(path);
	return ok;
}


static int
key_log_verifier(struct peers_parse *ps, struct peer_entry *e, const char *v)
{
	reg_error re = REG_ERROR_INIT;
	int r;

	if (!once(ps, &e->log_line, "log_verifier"))
		return 0;
	r = reg_key_from_verifier(v, &e->peer.log_key, &re);
	if (r == REG_ENOMEM)
		return tr__peers_fail(ps, REG_ENOMEM, "out of memory");
	if (r != 0)
		return tr__peers_fail(ps, REG_EINVAL, "log_verifier is not a "
		    "C2SP verifier key (%s); copy the name+id+key line that "
		    "`regctl key show` prints on %s's registry", re.message,
		    e->peer.code);
	return 1;
}

/* via = YY: the State is reached through the hub YY (checked to be a hub
 * section of this file once the whole file is read). */
static int
key_via(struct peers_parse *ps, struct peer_entry *e, const char *v)
{
	if (!once(ps, &e->via_line, "via"))
		return 0;
	if (strlen(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z')
		return tr__peers_fail(ps, REG_EINVAL, "via '%.20s' is not a "
		    "hub's code; write the two capital letters of the hub's "
		    "section, as via = XH", v);
	if (strcmp(v, e->peer.code) == 0)
		return tr__peers_fail(ps, REG_EINVAL, "[peer.%s] names itself "
		    "in via; via names the hub through which %s is reached",
		    v, v);
	if (!tr__country_user_assigned(v))
		return tr__peers_fail(ps, REG_EINVAL, "via names %s, which is "
		    "not a hub: a hub's code is an ISO 3166-1 user-assigned "
		    "one (AA, QM to QZ, XA to XZ, ZZ)", v);
	memcpy(e->peer.via, v, 3);
	return 1;
}

/* hub = yes or no. */
static int
key_hub(struct peers_parse *ps, struct peer_entry *e, const char *v)
{
	if (!once(ps, &e->hub_line, "hub"))
		return 0;
	if (strcmp(v, "yes") == 0)
		e->hub_said = 1;
	else if (strcmp(v, "no") == 0)
		e->hub_said = -1;
	else
		return tr__peers_fail(ps, REG_EINVAL, "hub must be yes or no, "
		    "not '%.20s'", v);
	return 1;
}

int
tr__peers_value(struct peers_parse *ps, const char *key, const char *v)
{
	struct peer_entry *e = ps->cur;

	if (strcmp(key, "name") == 0)
		return key_name(ps, e, v);
	if (strcmp(key, "url") == 0)
		return key_url(ps, e, v);
	if (strcmp(key, "ca_file") == 0)
		return key_trust(ps, e, key, v, 0);
	if (strcmp(key, "pinned_cert") == 0)
		return key_trust(ps, e, key, v, 1);
	if (strcmp(key, "signing_key") == 0)
		return key_signing(ps, e, v);
	if (strcmp(key, "log_verifier") == 0)
		return key_log_verifier(ps, e, v);
	if (strcmp(key, "via") == 0)
		return key_via(ps, e, v);
	if (strcmp(key, "hub") == 0)
		return key_hub(ps, e, v);
	return tr__peers_fail(ps, REG_EINVAL, "unknown key '%.40s' in "
	    "[peer.%s]; the keys are name, url, ca_file, pinned_cert, "
	    "signing_key, log_verifier, via and hub", key, e->peer.code);
}
