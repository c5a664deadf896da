/*
 * The peers directory: the other States that a tracing daemon talks to, read
 * from an INI file (inih) when the daemon starts and again on SIGHUP.
 *
 *   [peer.BE]
 *   name = Federal Police, firearms tracing          ; optional
 *   url = https://tracing.be.example:8443
 *   ca_file = /etc/registry/peers/be-ca.pem          ; or pinned_cert = FILE
 *   signing_key = BE/2026-1 /etc/registry/peers/be-sign-2026.pub.pem
 *   log_verifier = be.example/log+1a2b3c4d+AbC...
 *
 * Each State has one section, [peer.XX], where XX is its ISO 3166-1 alpha-2
 * code in capitals; a State named twice is refused, with the line of each
 * section.  The name is a display name of 1 to 200 bytes and is optional.
 * The url is the State's base URL: https only, a host name or IP address (an
 * IPv6 address in brackets) and an optional port (443 by default), with no
 * user name, path, query or fragment; a single trailing '/' is allowed and
 * dropped.  The TLS trust is exactly one of ca_file, a PEM file of the
 * certificates of the CAs that issue the State's TLS certificates, and
 * pinned_cert, a PEM file holding the State's own certificate and nothing
 * else, which is then the only certificate accepted from it.  Each
 * signing_key line gives the kid of one of the State's JWS signing keys and
 * the PEM file of its Ed25519 public key (SubjectPublicKeyInfo, as
 * `openssl pkey -pubout` writes it); a kid starts with the State's code and
 * a '/', since a State signs only with keys of its own.  A State may have up
 * to 8 signing keys, so that a new key can be announced before the old one
 * is retired; kids are distinct, and a key file that holds a private key,
 * or the same key as another kid, is refused.  The log_verifier is the C2SP
 * verifier key of the State's audit log, as `regctl key generate` or
 * `regctl key show` prints it on that State's registry.  Every url,
 * ca_file, pinned_cert, name and log_verifier is given once per section;
 * every section needs url, a TLS trust, at least one signing_key and
 * log_verifier.
 *
 * Liaison hubs.  A State that this daemon does not reach directly, but
 * through an Interpol-style liaison hub, says so with via instead of url
 * and TLS trust; it still has its signing keys and log verifier, since the
 * hub relays its signed messages unaltered and they are checked here:
 *
 *   [peer.XH]
 *   name = Liaison hub
 *   hub = yes                                        ; optional, see below
 *   url = https://hub.example:8443
 *   ca_file = /etc/registry/peers/hub-ca.pem
 *   signing_key = XH/2026-1 /etc/registry/peers/xh-sign.pub.pem
 *   log_verifier = hub.example/log+5e6f7a8b+AbC...
 *
 *   [peer.DE]
 *   via = XH
 *   signing_key = DE/2026-1 /etc/registry/peers/de-sign.pub.pem
 *   log_verifier = de.example/log+1a2b3c4d+AbC...
 *
 * A hub is not a State: its code is one of the ISO 3166-1 user-assigned
 * codes (AA, QM to QZ, XA to XZ, ZZ), which no State has, and which its
 * TLS certificates carry as C, with OU hub.  A section is a hub when it
 * says hub = yes, or when another section names it in via; hub = no, or a
 * user-assigned code that is not a hub, is refused, and so is hub = yes
 * with an assigned code.  A hub section has what any section has (url,
 * TLS trust, signing_key, log_verifier: the hub signs its own problem
 * documents and keeps a log of what it relays).  via names a hub section
 * of the same file, given once; a section with via has no url and no TLS
 * trust, and a hub cannot itself have via.  tr__peers_route() gives the
 * section whose url and TLS trust reach a State: its own, or its hub's.
 *
 * A relative file name is resolved against the folder of the directory
 * file, made absolute when the file is loaded, so that a reload after the
 * daemon changed its working folder reads the same files.  Every file is
 * read when the directory is loaded, so that a file that is missing or
 * unreadable, a key that is not Ed25519, or a certificate file without a
 * certificate stops the daemon at start rather than at the first
 * connection.  Comments are
 * lines starting with ';' or '#', and text after " ;" on a line.  Keys and
 * section headers start at the beginning of their line: inih would read an
 * indented line as the continuation of the value above it, so such lines
 * are refused.  A line longer than inih's limit (198 bytes with the
 * Debian build) is refused, rather than cut in two.
 *
 * inih reports keys to the handler, but neither the section headers nor the
 * line numbers; the reader below, through which every line passes on its
 * way to inih, counts lines and starts the sections, so that a section given
 * twice or left empty is reported with its line.  When the reader or the
 * handler finds a fault it keeps the message and ends the parse; a line
 * that inih itself refuses earlier is reported instead.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tracer_int.h"

#define PEERS_MAX 300			/* sections */
#define KEYS_MAX 8			/* signing keys per State */
#define NAME_MAX_BYTES 200		/* display names */
#define KID_MAX 200			/* proto/jws.c's limit */
#define SECTION_MAX 40			/* longer headers are unknown anyway */
#define KEY_FILE_MAX (64 * 1024)	/* a PEM public key is ~120 bytes */
#define CERT_FILE_MAX (1024 * 1024)	/* a CA bundle may hold many */
#define PUBKEY_BEGIN "-----BEGIN PUBLIC KEY-----"

struct signing_key {
	proto_jws_key *key;		/* with its kid */
	uint8_t pub[32];
	int line;
};

/* One State: what tr__peers_get() shows, and what it keeps to itself. */
struct entry {
	struct tr__peer peer;
	struct signing_key keys[KEYS_MAX];
	int nkeys;
	/* The line of each key given once (0: not given yet). */
	int name_line, url_line, trust_line, log_line, via_line, hub_line;
	int hub_said;			/* hub = yes (1), no (-1), not given (0) */
};

struct tr__peers {
	struct entry **v;		/* in the file's order */
	size_t n;
	struct entry *by_code[26][26];
};

struct parse {
	tr__peers *p;
	FILE *f;
	char dir[PATH_MAX];		/* the directory file's folder, absolute */
	struct entry *cur;		/* the section being read, or NULL */
	char cur_section[SECTION_MAX + 1];
	int line;			/* the line inih is on */
	int stop;			/* a fault was found: read no further */
	int read_errno;			/* reading the file failed */
	int code;			/* the first fault's code */
	int msg_line;			/* and its line */
	char msg[700];
};

static int fail(struct parse *ps, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Keeps the first fault with its code and the current line, and stops the
 * parse; returns 0, inih's "error on this line".
 */
static int
fail(struct parse *ps, int code, const char *fmt, ...)
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

int
tr__country_user_assigned(const char *code)
{
	if (code == NULL || strlen(code) != 2 || code[0] < 'A' || code[0] > 'Z' ||
	    code[1] < 'A' || code[1] > 'Z')
		return 0;
	return strcmp(code, "AA") == 0 || strcmp(code, "ZZ") == 0 ||
	    (code[0] == 'Q' && code[1] >= 'M') || code[0] == 'X';
}

static int
code_index(const char *code, int *a, int *b)
{
	if (code == NULL || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' ||
	    code[1] > 'Z')
		return -1;
	*a = code[0] - 'A';
	*b = code[1] - 'A';
	return 0;
}

static struct entry *
find(const tr__peers *p, const char *code)
{
	int a, b;

	if (code_index(code, &a, &b) != 0)
		return NULL;
	return p->by_code[a][b];
}

/* A file name from the directory file, absolute; NULL when out of memory. */
static char *
resolve(const struct parse *ps, const char *file)
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

/* ------------------------------------------------------------ sections */

/* Starts the section of header line s ("[...]"); 1, or 0 on a fault. */
static int
section_begin(struct parse *ps, const char *s)
{
	tr__peers *p = ps->p;
	const char *end = strchr(s + 1, ']'), *rest;
	char name[SECTION_MAX + 1];
	struct entry *e, **v;
	size_t n;
	int a, b;

	if (end == NULL)
		return fail(ps, REG_EINVAL, "a section header needs its closing "
		    "']', as in [peer.BE]");
	rest = end + 1;
	while (*rest != '\0' && isspace((unsigned char)*rest))
		rest++;
	if (*rest != '\0' && *rest != ';' && *rest != '#')
		return fail(ps, REG_EINVAL, "text after the section header; put "
		    "each key = value on a line of its own");
	n = (size_t)(end - (s + 1));
	if (n > SECTION_MAX || strncmp(s + 1, "peer.", 5) != 0)
		return fail(ps, REG_EINVAL, "unknown section [%.*s]; a peer's "
		    "section is [peer.XX], XX its State's ISO 3166-1 alpha-2 "
		    "code, as [peer.BE]", (int)(n > SECTION_MAX ? SECTION_MAX : n),
		    s + 1);
	memcpy(name, s + 1, n);
	name[n] = '\0';
	/* A user-assigned code is a hub's; check_complete() refuses it
	 * when the section turns out not to be one. */
	if (strlen(name + 5) != 2 || (!proto_country_valid(name + 5) &&
	    !tr__country_user_assigned(name + 5)) ||
	    code_index(name + 5, &a, &b) != 0)
		return fail(ps, REG_EINVAL, "[%s]: '%s' is not an ISO 3166-1 "
		    "alpha-2 code; write the State's two-letter code in capitals, "
		    "as [peer.BE]", name, name + 5);
	if ((e = p->by_code[a][b]) != NULL)
		return fail(ps, REG_EINVAL, "[%s] is given twice (first at line "
		    "%d); keep one section per State", name, e->peer.line);
	if (p->n == PEERS_MAX)
		return fail(ps, REG_EINVAL, "more than %d peers; the directory "
		    "holds at most %d States", PEERS_MAX, PEERS_MAX);
	if ((v = realloc(p->v, (p->n + 1) * sizeof(*v))) == NULL)
		return fail(ps, REG_ENOMEM, "out of memory");
	p->v = v;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return fail(ps, REG_ENOMEM, "out of memory");
	memcpy(e->peer.code, name + 5, 3);
	e->peer.port = 443;
	e->peer.line = ps->line;
	p->v[p->n++] = e;
	p->by_code[a][b] = e;
	ps->cur = e;
	snprintf(ps->cur_section, sizeof(ps->cur_section), "%s", name);
	return 1;
}

/*
 * Reads one line for inih (an fgets() that counts lines), refusing a line
 * too long for inih's buffer of num bytes, a NUL byte and an indented
 * line, and starting the sections.  After a fault, its own or the
 * handler's, it ends the file.
 */
static char *
reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	int c, n = 0, over = 0, nul = 0;
	const char *s, *t;

	if (ps->stop)
		return NULL;
	if (num < 8) {
		/* Never with inih's buffers; ending quietly would drop peers. */
		ps->read_errno = ENOBUFS;
		return NULL;
	}
	while ((c = getc(ps->f)) != EOF && c != '\n') {
		if (c == '\0')
			nul = 1;
		if (n < num - 2)
			str[n++] = (char)c;
		else
			over = 1;
	}
	if (c == EOF && ferror(ps->f)) {
		ps->read_errno = errno != 0 ? errno : EIO;
		return NULL;
	}
	if (c == EOF && n == 0)
		return NULL;
	str[n++] = '\n';
	str[n] = '\0';
	ps->line++;
	s = str;
	if (ps->line == 1 && (unsigned char)s[0] == 0xef &&
	    (unsigned char)s[1] == 0xbb && (unsigned char)s[2] == 0xbf)
		s += 3;	/* a UTF-8 byte order mark, which inih skips too */
	if (over)
		fail(ps, REG_EINVAL, "the line is longer than %d bytes; shorten it "
		    "(a file name relative to the directory file's folder is "
		    "shorter)", num - 2);
	else if (nul)
		fail(ps, REG_EINVAL, "the line holds a NUL byte; the directory "
		    "is a text file");
	else if (isspace((unsigned char)s[0])) {
		for (t = s; *t != '\0' && isspace((unsigned char)*t); t++)
			;
		if (*t != '\0' && *t != ';' && *t != '#')
			fail(ps, REG_EINVAL, "the line is indented; start keys "
			    "and section headers at the beginning of the line "
			    "(inih would read it as the continuation of the "
			    "value above)");
	} else if (s[0] == '[')
		section_begin(ps, s);
	return ps->stop ? NULL : str;
}

/* ------------------------------------------------------------ keys */

/* Records that key, which is given once per section, is on this line. */
static int
once(struct parse *ps, int *line, const char *key)
{
	if (*line != 0)
		return fail(ps, REG_EINVAL, "%s is given twice in [peer.%s] (first "
		    "at line %d); keep one", key, ps->cur->peer.code, *line);
	*line = ps->line;
	return 1;
}

static int
key_name(struct parse *ps, struct entry *e, const char *v)
{
	size_t i, n = strlen(v);

	if (!once(ps, &e->name_line, "name"))
		return 0;
	if (n == 0 || n > NAME_MAX_BYTES)
		return fail(ps, REG_EINVAL, "name must be 1 to %d bytes",
		    NAME_MAX_BYTES);
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return fail(ps, REG_EINVAL, "name holds a control "
			    "character; write it as plain text");
	if ((e->peer.name = strdup(v)) == NULL)
		return fail(ps, REG_ENOMEM, "out of memory");
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
key_url(struct parse *ps, struct entry *e, const char *v)
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
		return fail(ps, REG_EINVAL, "url '%.100s' is plain HTTP; peers are "
		    "reached over mutual TLS only: write https://", v);
	if (strncasecmp(v, "https://", 8) != 0)
		return fail(ps, REG_EINVAL, "url '%.100s' is not an https URL; "
		    "write https://host[:port]", v);
	h = v + 8;
	n = strlen(h);
	if (n > 0 && h[n - 1] == '/')
		n--;	/* a lone trailing '/' is the base URL too */
	if (strcspn(h, "/?#") < n)
		return fail(ps, REG_EINVAL, "url '%.100s' has a path, query or "
		    "fragment; give the base URL only, https://host[:port] (the "
		    "protocol's paths are fixed)", v);
	if (strcspn(h, "@") < n)
		return fail(ps, REG_EINVAL, "url '%.100s' holds a user name; give "
		    "https://host[:port] only", v);
	if (n > 0 && h[0] == '[') {
		close = memchr(h, ']', n);
		hl = close != NULL ? (size_t)(close - h - 1) : 0;
		if (close == NULL || hl == 0 || hl >= sizeof(host))
			return fail(ps, REG_EINVAL, "url '%.100s': an IPv6 "
			    "address is written in brackets, as "
			    "https://[2001:db8::1]:8443", v);
		memcpy(host, h + 1, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET6, host, addr) != 1)
			return fail(ps, REG_EINVAL, "url '%.100s': '%s' is not an "
			    "IPv6 address", v, host);
		after = close + 1;
	} else {
		close = memchr(h, ':', n);
		hl = close != NULL ? (size_t)(close - h) : n;
		if (!host_name_ok(h, hl))
			return fail(ps, REG_EINVAL, "url '%.100s' has no valid "
			    "host name; write https://host[:port] with a DNS name "
			    "or an IP address", v);
		memcpy(host, h, hl);
		host[hl] = '\0';
		after = h + hl;
	}
	if (after < h + n) {
		size_t i, digits = (size_t)(h + n - after) - 1;

		if (*after != ':' || digits == 0 || digits > 5)
			return fail(ps, REG_EINVAL, "url '%.100s': after the host "
			    "comes nothing or ':' and a port number", v);
		port = 0;
		for (i = 1; i <= digits; i++) {
			if (!isdigit((unsigned char)after[i]))
				return fail(ps, REG_EINVAL, "url '%.100s': the "
				    "port is not a number", v);
			port = port * 10 + (after[i] - '0');
		}
		if (port < 1 || port > 65535)
			return fail(ps, REG_EINVAL, "url '%.100s': the port must "
			    "be 1 to 65535", v);
	}
	if ((url = malloc(8 + n + 1)) == NULL ||
	    (e->peer.host = strdup(host)) == NULL) {
		free(url);
		return fail(ps, REG_ENOMEM, "out of memory");
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
key_trust(struct parse *ps, struct entry *e, const char *key, const char *v,
    int pinned)
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
		return fail(ps, REG_EINVAL, "[peer.%s] has both ca_file and "
		    "pinned_cert (line %d); give exactly one: ca_file to trust "
		    "the CA that issues its certificates, pinned_cert to accept "
		    "its one certificate", e->peer.code, e->trust_line);
	if (v[0] == '\0')
		return fail(ps, REG_EINVAL, "%s needs the name of a PEM file", key);
	if ((path = resolve(ps, v)) == NULL)
		return fail(ps, REG_ENOMEM, "out of memory");
	r = read_small(path, CERT_FILE_MAX, &buf, &len);
	if (r == EFBIG) {
		fail(ps, REG_EINVAL, "%s %s is over %d KiB; give the CA "
		    "certificates of this State only", key, path,
		    CERT_FILE_MAX / 1024);
		goto out;
	}
	if (r == ENOMEM) {
		fail(ps, REG_ENOMEM, "out of memory");
		goto out;
	}
	if (r != 0) {
		fail(ps, REG_EIO, "cannot read %s %s: %s; check the file name "
		    "(relative to the directory file's folder) and its "
		    "permissions", key, path, strerror(r));
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		fail(ps, REG_ENOMEM, "out of memory");
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
		fail(ps, REG_EINVAL, "%s %s holds no PEM certificate (-----BEGIN "
		    "CERTIFICATE-----)", key, path);
		goto out;
	}
	if (pinned && count != 1) {
		fail(ps, REG_EINVAL, "pinned_cert %s holds %d certificates; give "
		    "the State's own certificate only, or its CA as ca_file", path,
		    count);
		goto out;
	}
	if (pinned && (X509_digest(first, EVP_sha256(), e->peer.pin_sha256,
	    &mdlen) != 1 || mdlen != 32)) {
		ERR_clear_error();
		fail(ps, REG_EINTERNAL, "cannot hash pinned_cert %s", path);
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

static int
key_signing(struct parse *ps, struct entry *e, const char *v)
{
	const char *code = e->peer.code, *file, *begin;
	char kid[KID_MAX + 1], *path = NULL, *buf = NULL;
	proto_error pe = PROTO_ERROR_INIT;
	proto_jws_key *k = NULL;
	const struct signing_key *same;
	struct signing_key *sk;
	size_t kl, len, i;
	int r, j, ok = 0;

	kl = strcspn(v, " \t");
	for (file = v + kl; *file == ' ' || *file == '\t'; file++)
		;
	if (kl == 0 || *file == '\0')
		return fail(ps, REG_EINVAL, "signing_key is '%.100s': give the "
		    "key's kid and the file of its PEM public key, as "
		    "signing_key = %s/2026-1 %c%c-sign-2026.pub.pem", v, code,
		    tolower((unsigned char)code[0]),
		    tolower((unsigned char)code[1]));
	if (kl > KID_MAX)
		return fail(ps, REG_EINVAL, "the kid is longer than %d bytes",
		    KID_MAX);
	memcpy(kid, v, kl);
	kid[kl] = '\0';
	if (strncmp(kid, code, 2) != 0 || kid[2] != '/' || kid[3] == '\0')
		return fail(ps, REG_EINVAL, "kid '%s' is not one of %s's: a State "
		    "signs only with its own keys, whose kids start with '%s/' "
		    "(as %s/2026-1)", kid, code, code, code);
	for (i = 0; i < kl; i++)
		if ((unsigned char)kid[i] < 0x21 || (unsigned char)kid[i] > 0x7e)
			return fail(ps, REG_EINVAL, "kid '%s' must be printable "
			    "ASCII", kid);
	for (j = 0; j < e->nkeys; j++)
		if (strcmp(proto_jws_key_kid(e->keys[j].key), kid) == 0)
			return fail(ps, REG_EINVAL, "kid %s is given twice in "
			    "[peer.%s] (first at line %d); each key has a kid of "
			    "its own", kid, code, e->keys[j].line);
	if (e->nkeys == KEYS_MAX)
		return fail(ps, REG_EINVAL, "[peer.%s] has more than %d signing "
		    "keys; remove the ones it no longer signs with", code,
		    KEYS_MAX);
	if ((path = resolve(ps, file)) == NULL)
		return fail(ps, REG_ENOMEM, "out of memory");
	r = read_small(path, KEY_FILE_MAX, &buf, &len);
	if (r == ENOMEM) {
		fail(ps, REG_ENOMEM, "out of memory");
		goto out;
	}
	if (r == EFBIG) {
		fail(ps, REG_EINVAL, "signing key file %s is over %d KiB: it is "
		    "not a public key", path, KEY_FILE_MAX / 1024);
		goto out;
	}
	if (r != 0) {
		fail(ps, REG_EIO, "cannot read signing key file %s: %s; check the "
		    "file name (relative to the directory file's folder) and its "
		    "permissions", path, strerror(r));
		goto out;
	}
	/* Before OpenSSL sees it: an encrypted key would ask for a password. */
	if (strstr(buf, "PRIVATE KEY") != NULL) {
		fail(ps, REG_EINVAL, "signing key file %s holds a private key; ask "
		    "%s for its public key only (openssl pkey -pubout) and keep no "
		    "private key of another State here", path, code);
		goto out;
	}
	begin = strstr(buf, "-----BEGIN ");
	if (begin == NULL ||
	    strncmp(begin, PUBKEY_BEGIN, strlen(PUBKEY_BEGIN)) != 0 ||
	    strstr(begin + 1, "-----BEGIN ") != NULL) {
		fail(ps, REG_EINVAL, "signing key file %s does not hold one PEM "
		    "public key (%s) and nothing else; give %s's Ed25519 public "
		    "key as `openssl pkey -pubout` writes it", path, PUBKEY_BEGIN,
		    code);
		goto out;
	}
	r = proto_jws_key_from_pem(buf, len, kid, &k, &pe);
	ERR_clear_error();
	if (r == PROTO_ENOMEM) {
		fail(ps, REG_ENOMEM, "out of memory");
		goto out;
	}
	if (r != 0 && strcmp(pe.field, "kid") == 0) {
		fail(ps, REG_EINVAL, "kid '%s': %s", kid, proto_text(&pe));
		goto out;
	}
	if (r != 0) {
		fail(ps, REG_EINVAL, "signing key file %s: %s; give %s's Ed25519 "
		    "public key in PEM (-----BEGIN PUBLIC KEY-----)", path,
		    proto_text(&pe), code);
		goto out;
	}
	sk = &e->keys[e->nkeys];
	if (proto_jws_key_public(k, sk->pub) != 0) {
		fail(ps, REG_EINTERNAL, "cannot read the public key of %s", path);
		goto out;
	}
	if ((same = same_key(ps->p, sk->pub)) != NULL) {
		fail(ps, REG_EINVAL, "signing key file %s holds the same key as "
		    "kid %s (line %d); every kid has a key of its own, and a "
		    "rotation adds a new one", path, proto_jws_key_kid(same->key),
		    same->line);
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
	free(buf);
	free(path);
	return ok;
}

static int
key_log_verifier(struct parse *ps, struct entry *e, const char *v)
{
	reg_error re = REG_ERROR_INIT;
	int r;

	if (!once(ps, &e->log_line, "log_verifier"))
		return 0;
	r = reg_key_from_verifier(v, &e->peer.log_key, &re);
	if (r == REG_ENOMEM)
		return fail(ps, REG_ENOMEM, "out of memory");
	if (r != 0)
		return fail(ps, REG_EINVAL, "log_verifier is not a C2SP verifier "
		    "key (%s); copy the name+id+key line that `regctl key show` "
		    "prints on %s's registry", re.message, e->peer.code);
	return 1;
}

/* via = YY: the State is reached through the hub YY (checked to be a hub
 * section of this file once the whole file is read). */
static int
key_via(struct parse *ps, struct entry *e, const char *v)
{
	if (!once(ps, &e->via_line, "via"))
		return 0;
	if (strlen(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z')
		return fail(ps, REG_EINVAL, "via '%.20s' is not a hub's code; write "
		    "the two capital letters of the hub's section, as via = XH", v);
	if (strcmp(v, e->peer.code) == 0)
		return fail(ps, REG_EINVAL, "[peer.%s] names itself in via; via "
		    "names the hub through which %s is reached", v, v);
	if (!tr__country_user_assigned(v))
		return fail(ps, REG_EINVAL, "via names %s, which is not a hub: a "
		    "hub's code is an ISO 3166-1 user-assigned one (AA, QM to QZ, "
		    "XA to XZ, ZZ)", v);
	memcpy(e->peer.via, v, 3);
	return 1;
}

/* hub = yes or no. */
static int
key_hub(struct parse *ps, struct entry *e, const char *v)
{
	if (!once(ps, &e->hub_line, "hub"))
		return 0;
	if (strcmp(v, "yes") == 0)
		e->hub_said = 1;
	else if (strcmp(v, "no") == 0)
		e->hub_said = -1;
	else
		return fail(ps, REG_EINVAL, "hub must be yes or no, not '%.20s'", v);
	return 1;
}

static int
handler(void *user, const char *section, const char *key, const char *v)
{
	struct parse *ps = user;
	struct entry *e = ps->cur;

	if (e == NULL)
		return fail(ps, REG_EINVAL, "'%.40s' comes before any section; "
		    "every key belongs to a [peer.XX] section", key);
	if (strcmp(section, ps->cur_section) != 0)
		return fail(ps, REG_EINTERNAL, "inih read this key in [%.40s], "
		    "not [%s]", section, ps->cur_section);
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
	return fail(ps, REG_EINVAL, "unknown key '%.40s' in [peer.%s]; the keys "
	    "are name, url, ca_file, pinned_cert, signing_key, log_verifier, via "
	    "and hub", key, e->peer.code);
}

/* Each section has what a peer needs; faults name the section's line. */
static void
check_complete(struct parse *ps)
{
	size_t i;
	struct entry *e;
	const char *c;

	/* The hubs: said so, or named by a via. */
	for (i = 0; i < ps->p->n; i++) {
		e = ps->p->v[i];
		e->peer.hub = e->hub_said > 0;
	}
	for (i = 0; i < ps->p->n && !ps->stop; i++) {
		struct entry *h;

		e = ps->p->v[i];
		if (e->peer.via[0] == '\0')
			continue;
		ps->line = e->via_line;
		if ((h = find(ps->p, e->peer.via)) == NULL)
			fail(ps, REG_EINVAL, "via names %s, which has no section in "
			    "this file; add [peer.%s] with the hub's url, TLS "
			    "trust, signing_key and log_verifier", e->peer.via,
			    e->peer.via);
		else if (h->hub_said < 0)
			fail(ps, REG_EINVAL, "via names %s, whose section says hub = "
			    "no (line %d)", e->peer.via, h->hub_line);
		else
			h->peer.hub = 1;
	}
	for (i = 0; i < ps->p->n && !ps->stop; i++) {
		e = ps->p->v[i];
		c = e->peer.code;
		ps->line = e->peer.line;
		if (tr__country_user_assigned(c) && !e->peer.hub)
			fail(ps, REG_EINVAL, "[peer.%s]: '%s' is not an ISO 3166-1 "
			    "alpha-2 code of a State but a user-assigned one, which "
			    "names a liaison hub only: add hub = yes, or write the "
			    "State's code", c, c);
		else if (e->peer.hub && !tr__country_user_assigned(c))
			fail(ps, REG_EINVAL, "[peer.%s] is a State, not a hub: a hub's "
			    "code is an ISO 3166-1 user-assigned one (AA, QM to QZ, "
			    "XA to XZ, ZZ)%s", c, e->hub_said > 0 ? "; remove hub = "
			    "yes" : "; correct the via that names it");
		else if (e->peer.hub && e->via_line != 0)
			fail(ps, REG_EINVAL, "[peer.%s] is a hub and has via (line "
			    "%d); a hub is reached directly, by its url", c,
			    e->via_line);
		else if (e->via_line != 0 && (e->url_line != 0 || e->trust_line != 0))
			fail(ps, REG_EINVAL, "[peer.%s] has via and %s (line %d); a "
			    "State reached through a hub has no url or TLS trust of "
			    "its own: remove one or the other", c, e->url_line ?
			    "url" : e->peer.ca_file ? "ca_file" : "pinned_cert",
			    e->url_line ? e->url_line : e->trust_line);
		else if (e->via_line != 0 && e->nkeys == 0)
			fail(ps, REG_EINVAL, "[peer.%s] has no signing_key; add "
			    "signing_key = %s/<key name> <PEM public key file>: the "
			    "hub relays %s's messages as %s signed them", c, c, c, c);
		else if (e->via_line != 0 && e->log_line == 0)
			fail(ps, REG_EINVAL, "[peer.%s] has no log_verifier; add "
			    "the verifier key of %s's audit log (regctl key show, "
			    "on %s's registry)", c, c, c);
		else if (e->via_line != 0)
			continue;
		else if (e->url_line == 0)
			fail(ps, REG_EINVAL, "[peer.%s] has no url; add url = "
			    "https://host[:port]", c);
		else if (e->trust_line == 0)
			fail(ps, REG_EINVAL, "[peer.%s] has no TLS trust; add "
			    "ca_file = the PEM file of the CA that issues %s's "
			    "certificates, or pinned_cert = %s's own "
			    "certificate", c, c, c);
		else if (e->nkeys == 0)
			fail(ps, REG_EINVAL, "[peer.%s] has no signing_key; add "
			    "signing_key = %s/<key name> <PEM public key file>",
			    c, c);
		else if (e->log_line == 0)
			fail(ps, REG_EINVAL, "[peer.%s] has no log_verifier; add "
			    "the verifier key of %s's audit log (regctl key show, "
			    "on %s's registry)", c, c, c);
	}
}

/* The absolute folder of the file at path, into dir (PATH_MAX bytes). */
static int
folder_of(const char *path, char *dir)
{
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		snprintf(tmp, sizeof(tmp), ".");
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(tmp)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(tmp, path, n);
		tmp[n] = '\0';
	}
	return realpath(tmp, dir) != NULL ? 0 : -1;
}

/* ------------------------------------------------------------ the API */

int
tr__peers_load(const char *path, tr__peers **out, reg_error *err)
{
	struct parse *ps = NULL;
	tr__peers *p = NULL;
	int line, r = REG_EINTERNAL;

	*out = NULL;
	if (path == NULL)
		return tr__fail(err, REG_EINVAL, "no peers directory file given");
	if ((ps = calloc(1, sizeof(*ps))) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		r = tr__fail(err, REG_ENOMEM, "out of memory");
		goto out;
	}
	ps->p = p;
	if ((ps->f = fopen(path, "r")) == NULL) {
		r = tr__fail(err, errno == ENOENT ? REG_ENOTFOUND : REG_EIO,
		    "cannot open peers directory %s: %s", path, strerror(errno));
		goto out;
	}
	if (folder_of(path, ps->dir) != 0) {
		r = tr__fail(err, REG_EIO, "cannot find the folder of peers "
		    "directory %s: %s", path, strerror(errno));
		goto out;
	}
	line = ini_parse_stream(reader, ps, handler, ps);
	if (ps->read_errno != 0) {
		r = tr__fail(err, REG_EIO, "cannot read peers directory %s: %s",
		    path, strerror(ps->read_errno));
		goto out;
	}
	if (line == 0 && ps->msg[0] == '\0')
		check_complete(ps);
	/* inih names the first line it refused (0 for none): a line that is
	 * not key = value, or the handler's fault.  The reader's faults end
	 * the file without inih seeing them. */
	if (ps->msg[0] != '\0' && (line <= 0 || line == ps->msg_line)) {
		r = tr__fail(err, ps->code, "%s:%d: %s", path, ps->msg_line,
		    ps->msg);
		goto out;
	}
	if (line > 0) {
		r = tr__fail(err, REG_EINVAL, "%s:%d: not a [peer.XX] header, a "
		    "key = value line or a comment", path, line);
		goto out;
	}
	if (line < 0) {
		r = tr__fail(err, REG_ENOMEM, "out of memory reading peers "
		    "directory %s", path);
		goto out;
	}
	*out = p;
	p = NULL;	/* transferred */
	r = 0;
out:
	if (ps != NULL && ps->f != NULL)
		fclose(ps->f);
	free(ps);
	tr__peers_free(p);
	return r;
}

void
tr__peers_free(tr__peers *p)
{
	struct entry *e;
	size_t i;
	int j;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		e = p->v[i];
		free(e->peer.name);
		free(e->peer.url);
		free(e->peer.host);
		free(e->peer.ca_file);
		free(e->peer.pinned_cert);
		reg_key_free(e->peer.log_key);
		for (j = 0; j < e->nkeys; j++)
			proto_jws_key_free(e->keys[j].key);
		free(e);
	}
	free(p->v);
	free(p);
}

size_t
tr__peers_count(const tr__peers *p)
{
	return p != NULL ? p->n : 0;
}

const struct tr__peer *
tr__peers_at(const tr__peers *p, size_t i)
{
	return p != NULL && i < p->n ? &p->v[i]->peer : NULL;
}

const struct tr__peer *
tr__peers_get(const tr__peers *p, const char *code)
{
	struct entry *e;

	if (p == NULL || code == NULL || strlen(code) != 2)
		return NULL;
	e = find(p, code);
	return e != NULL ? &e->peer : NULL;
}

const struct tr__peer *
tr__peers_route(const tr__peers *p, const char *state)
{
	struct entry *e;

	if (p == NULL || state == NULL || strlen(state) != 2 ||
	    (e = find(p, state)) == NULL)
		return NULL;
	if (e->peer.via[0] == '\0')
		return &e->peer;
	e = find(p, e->peer.via);
	return e != NULL && e->peer.via[0] == '\0' ? &e->peer : NULL;
}

const proto_jws_key *
tr__peers_key(const tr__peers *p, const char *kid)
{
	struct entry *e;
	int j;

	if (p == NULL || kid == NULL || strlen(kid) < 4 || kid[2] != '/')
		return NULL;
	if ((e = find(p, kid)) == NULL)
		return NULL;
	for (j = 0; j < e->nkeys; j++)
		if (strcmp(proto_jws_key_kid(e->keys[j].key), kid) == 0)
			return e->keys[j].key;
	return NULL;
}
