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
 *
 * This file reads the directory; peers_keys.c checks the value of each key
 * of a section (and keeps the parse's first fault), peers_lookup.c answers
 * the daemon once the directory is loaded; peers_int.h is what they share.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "peers_int.h"

#define PEERS_MAX 300			/* sections */

/* ------------------------------------------------------------ sections */

/* Starts the section of header line s ("[...]"); 1, or 0 on a fault. */
static int
section_begin(struct peers_parse *ps, const char *s)
{
	tr__peers *p = ps->p;
	const char *end = strchr(s + 1, ']'), *rest;
	char name[SECTION_MAX + 1];
	struct peer_entry *e, **v;
	size_t n;
	int a, b;

	if (end == NULL)
		return tr__peers_fail(ps, REG_EINVAL, "a section header needs "
		    "its closing ']', as in [peer.BE]");
	rest = end + 1;
	while (*rest != '\0' && isspace((unsigned char)*rest))
		rest++;
	if (*rest != '\0' && *rest != ';' && *rest != '#')
		return tr__peers_fail(ps, REG_EINVAL, "text after the section "
		    "header; put each key = value on a line of its own");
	n = (size_t)(end - (s + 1));
	if (n > SECTION_MAX || strncmp(s + 1, "peer.", 5) != 0)
		return tr__peers_fail(ps, REG_EINVAL, "unknown section [%.*s]; "
		    "a peer's section is [peer.XX], XX its State's ISO 3166-1 "
		    "alpha-2 code, as [peer.BE]",
		    (int)(n > SECTION_MAX ? SECTION_MAX : n), s + 1);
	memcpy(name, s + 1, n);
	name[n] = '\0';
	/* A user-assigned code is a hub's; check_complete() refuses it
	 * when the section turns out not to be one. */
	if (strlen(name + 5) != 2 || (!proto_country_valid(name + 5) &&
	    !tr__country_user_assigned(name + 5)) ||
	    peers_code_index(name + 5, &a, &b) != 0)
		return tr__peers_fail(ps, REG_EINVAL, "[%s]: '%s' is not an "
		    "ISO 3166-1 alpha-2 code; write the State's two-letter "
		    "code in capitals, as [peer.BE]", name, name + 5);
	if ((e = p->by_code[a][b]) != NULL)
		return tr__peers_fail(ps, REG_EINVAL, "[%s] is given twice "
		    "(first at line %d); keep one section per State", name,
		    e->peer.line);
	if (p->n == PEERS_MAX)
		return tr__peers_fail(ps, REG_EINVAL, "more than %d peers; the "
		    "directory holds at most %d States", PEERS_MAX, PEERS_MAX);
	if ((v = realloc(p->v, (p->n + 1) * sizeof(*v))) == NULL)
		return tr__peers_fail(ps, REG_ENOMEM, "out of memory");
	p->v = v;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return tr__peers_fail(ps, REG_ENOMEM, "out of memory");
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
	struct peers_parse *ps = stream;
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
		tr__peers_fail(ps, REG_EINVAL, "the line is longer than %d "
		    "bytes; shorten it (a file name relative to the directory "
		    "file's folder is shorter)", num - 2);
	else if (nul)
		tr__peers_fail(ps, REG_EINVAL, "the line holds a NUL byte; the "
		    "directory is a text file");
	else if (isspace((unsigned char)s[0])) {
		for (t = s; *t != '\0' && isspace((unsigned char)*t); t++)
			;
		if (*t != '\0' && *t != ';' && *t != '#')
			tr__peers_fail(ps, REG_EINVAL, "the line is indented; "
			    "start keys and section headers at the beginning "
			    "of the line (inih would read it as the "
			    "continuation of the value above)");
	} else if (s[0] == '[')
		section_begin(ps, s);
	return ps->stop ? NULL : str;
}

/* Each key of a section, to peers_keys.c once its section is the one read. */
static int
handler(void *user, const char *section, const char *key, const char *v)
{
	struct peers_parse *ps = user;
	struct peer_entry *e = ps->cur;

	if (e == NULL)
		return tr__peers_fail(ps, REG_EINVAL, "'%.40s' comes before "
		    "any section; every key belongs to a [peer.XX] section",
		    key);
	if (strcmp(section, ps->cur_section) != 0)
		return tr__peers_fail(ps, REG_EINTERNAL, "inih read this key "
		    "in [%.40s], not [%s]", section, ps->cur_section);
	return tr__peers_value(ps, key, v);
}

/* Each section has what a peer needs; faults name the section's line. */
static void
check_complete(struct peers_parse *ps)
{
	size_t i;
	struct peer_entry *e;
	const char *c;

	/* The hubs: said so, or named by a via. */
	for (i = 0; i < ps->p->n; i++) {
		e = ps->p->v[i];
		e->peer.hub = e->hub_said > 0;
	}
	for (i = 0; i < ps->p->n && !ps->stop; i++) {
		struct peer_entry *h;

		e = ps->p->v[i];
		if (e->peer.via[0] == '\0')
			continue;
		ps->line = e->via_line;
		if ((h = peers_find(ps->p, e->peer.via)) == NULL)
			tr__peers_fail(ps, REG_EINVAL, "via names %s, which "
			    "has no section in this file; add [peer.%s] with "
			    "the hub's url, TLS trust, signing_key and "
			    "log_verifier", e->peer.via, e->peer.via);
		else if (h->hub_said < 0)
			tr__peers_fail(ps, REG_EINVAL, "via names %s, whose "
			    "section says hub = no (line %d)", e->peer.via,
			    h->hub_line);
		else
			h->peer.hub = 1;
	}
	for (i = 0; i < ps->p->n && !ps->stop; i++) {
		e = ps->p->v[i];
		c = e->peer.code;
		ps->line = e->peer.line;
		if (tr__country_user_assigned(c) && !e->peer.hub)
			tr__peers_fail(ps, REG_EINVAL, "[peer.%s]: '%s' is not "
			    "an ISO 3166-1 alpha-2 code of a State but a "
			    "user-assigned one, which names a liaison hub "
			    "only: add hub = yes, or write the State's code",
			    c, c);
		else if (e->peer.hub && !tr__country_user_assigned(c))
			tr__peers_fail(ps, REG_EINVAL, "[peer.%s] is a State, "
			    "not a hub: a hub's code is an ISO 3166-1 "
			    "user-assigned one (AA, QM to QZ, XA to XZ, ZZ)%s",
			    c, e->hub_said > 0 ? "; remove hub = yes" : "; "
			    "correct the via that names it");
		else if (e->peer.hub && e->via_line != 0)
			tr__peers_fail(ps, REG_EINVAL, "[peer.%s] is a hub and "
			    "has via (line %d); a hub is reached directly, by "
			    "its url", c, e->via_line);
		else if (e->via_line != 0 && (e->url_line != 0 || e->trust_line != 0))
			tr__peers_fail(ps, REG_EINVAL, "[peer.%s] has via and "
			    "%s (line %d); a State reached through a hub has "
			    "no url or TLS trust of its own: remove one or the "
			    "other", c, e->url_line ? "url" : e->peer.ca_file ?
			    "ca_file" : "pinned_cert",
			    e->url_line ? e->url_line : e->trust_line);
		else if (e->via_line != 0 && e->nkeys == 0)
			tr__peers_fail(ps, REG_EINVAL, "[peer.%s] has no "
			    "signing_key; add signing_key = %s/<key name> <PEM "
			    "public key file>: the hub relays %s's messages as "
			    "%s signed them", c, c, c, c);
		else if (e->via_line != 0 && e->log_line == 0)
			tr__peers_fail(ps, REG_EINVAL, "[peer.%s] has no "
			    "log_verifier; add the verifier key of %s's audit "
			    "log (regctl key show, on %s's registry)", c, c, c);
		else if (e->via_line != 0)
			continue;
		else if (e->url_line == 0)
			tr__peers_fail(ps, REG_EINVAL, "[peer.%s] has no url; "
			    "add url = https://host[:port]", c);
		else if (e->trust_line == 0)
			tr__peers_fail(ps, REG_EINVAL, "[peer.%s] has no TLS "
			    "trust; add ca_file = the PEM file of the CA that "
			    "issues %s's certificates, or pinned_cert = %s's "
			    "own certificate", c, c, c);
		else if (e->nkeys == 0)
			tr__peers_fail(ps, REG_EINVAL, "[peer.%s] has no "
			    "signing_key; add signing_key = %s/<key name> <PEM "
			    "public key file>", c, c);
		else if (e->log_line == 0)
			tr__peers_fail(ps, REG_EINVAL, "[peer.%s] has no "
			    "log_verifier; add the verifier key of %s's audit "
			    "log (regctl key show, on %s's registry)", c, c, c);
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
	struct peers_parse *ps = NULL;
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
