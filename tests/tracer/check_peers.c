/*
 * The peers directory (tracer/net/peers.c), with real keys and certificates
 * made here: Ed25519 signing keys as PEM public keys, self-signed
 * certificates for the TLS trust, and audit log verifier keys from
 * reg_key_generate().  A good directory of three States is looked up by
 * code and by kid, its relative file names resolved against its folder; a
 * State with two signing keys verifies a message signed with the new one
 * and not with the old one; and every fault is refused with its code, its
 * line and a message that says what is wrong.  No database.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "testutil.h"
#include "tracer_int.h"

enum { BE, NL, DE, NSTATES };

static char *dir;			/* the fixture's folder, from tu_tmpdir() */
static char rdir[PATH_MAX];		/* the same, as realpath() gives it */
static char ini[PATH_MAX + 16];		/* rdir/peers.ini */
static char vkey[NSTATES][256];		/* log verifier keys */
static char vkey_bad[256];		/* BE's with its key id altered */
static uint8_t log_pub[NSTATES][32];
static uint8_t be1_pub[32];		/* keys/be-1.pub.pem */
static uint8_t be2_seed[32];		/* keys/be-2.pub.pem's private key */
static uint8_t nl_pin[32];		/* SHA-256 of nl.pem's DER */

/* ------------------------------------------------------------ fixture */

static const char *
in_dir(int slot, const char *name)
{
	static char buf[4][2 * PATH_MAX];

	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", rdir, name);
	return buf[slot];
}

static EVP_PKEY *
ed25519(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	ck_assert_ptr_nonnull(k);
	return k;
}

/* Writes (mode "w") or appends (mode "a") k's public key, or with private
 * its private key, as PEM. */
static void
write_key(const char *name, const char *mode, EVP_PKEY *k, int private)
{
	FILE *f = fopen(in_dir(0, name), mode);

	ck_assert_msg(f != NULL, "cannot write %s", name);
	if (private)
		ck_assert(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1);
	else
		ck_assert(PEM_write_PUBKEY(f, k) == 1);
	ck_assert(fclose(f) == 0);
}

/* A self-signed certificate of k, for a day. */
static X509 *
self_signed(EVP_PKEY *k, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *n;

	ck_assert_ptr_nonnull(x);
	ck_assert(X509_set_version(x, 2) == 1);
	ck_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400L));
	ck_assert(X509_set_pubkey(x, k) == 1);
	n = X509_get_subject_name(x);
	ck_assert(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) == 1);
	ck_assert(X509_set_issuer_name(x, n) == 1);
	ck_assert(X509_sign(x, k, NULL) > 0);
	return x;
}

static void
write_cert(const char *name, const char *mode, X509 *x)
{
	FILE *f = fopen(in_dir(0, name), mode);

	ck_assert_msg(f != NULL, "cannot write %s", name);
	ck_assert(PEM_write_X509(f, x) == 1);
	ck_assert(fclose(f) == 0);
}

static void
make_cert(const char *name, const char *cn, uint8_t pin[32])
{
	EVP_PKEY *k = ed25519();
	X509 *x = self_signed(k, cn);
	unsigned int len = 0;

	write_cert(name, "w", x);
	if (pin != NULL)
		ck_assert(X509_digest(x, EVP_sha256(), pin, &len) == 1 && len == 32);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
make_pub(const char *name, uint8_t pub[32], uint8_t seed[32])
{
	EVP_PKEY *k = ed25519();
	size_t n = 32;

	write_key(name, "w", k, 0);
	if (pub != NULL)
		ck_assert(EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == 32);
	n = 32;
	if (seed != NULL)
		ck_assert(EVP_PKEY_get_raw_private_key(k, seed, &n) == 1 && n == 32);
	EVP_PKEY_free(k);
}

static void
make_verifier(const char *name, const char *file, char *out, size_t outlen,
    uint8_t pub[32])
{
	reg_error err = REG_ERROR_INIT;
	reg_key *k = NULL;
	char *v = NULL;

	ck_assert_msg(reg_key_generate(name, in_dir(0, file), &err) == 0, "%s",
	    err.message);
	ck_assert_msg(reg_key_load(in_dir(0, file), &k, &err) == 0, "%s",
	    err.message);
	ck_assert_msg(reg_key_verifier(k, &v, &err) == 0, "%s", err.message);
	snprintf(out, outlen, "%s", v);
	reg_key_public(k, pub);
	reg_free(v);
	reg_key_free(k);
}

static void
files_setup(void)
{
	EVP_PKEY *k;
	X509 *x;
	char name[64], *plus;
	int i;

	dir = tu_tmpdir();
	ck_assert_ptr_nonnull(realpath(dir, rdir));
	snprintf(ini, sizeof(ini), "%s/peers.ini", rdir);
	ck_assert(mkdir(in_dir(0, "keys"), 0700) == 0);
	ck_assert(mkdir(in_dir(0, "certs"), 0700) == 0);

	make_pub("keys/be-1.pub.pem", be1_pub, NULL);
	make_pub("keys/be-2.pub.pem", NULL, be2_seed);
	make_pub("keys/nl.pub.pem", NULL, NULL);
	make_pub("keys/de.pub.pem", NULL, NULL);
	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "keys/r%d.pub.pem", i);
		make_pub(name, NULL, NULL);
	}
	make_cert("certs/be-ca.pem", "Belgian tracing CA", NULL);
	make_cert("nl.pem", "tracing.nl.example", nl_pin);
	make_cert("de-ca.pem", "German tracing CA", NULL);

	/* Files that are not what they should be. */
	k = ed25519();
	write_key("priv.pem", "w", k, 1);		/* a private key */
	write_key("two.pub.pem", "w", k, 0);		/* two public keys */
	EVP_PKEY_free(k);
	k = ed25519();
	write_key("two.pub.pem", "a", k, 0);
	x = self_signed(k, "one");
	write_cert("two-certs.pem", "w", x);		/* two certificates */
	X509_free(x);
	EVP_PKEY_free(k);
	k = ed25519();
	x = self_signed(k, "two");
	write_cert("two-certs.pem", "a", x);
	X509_free(x);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ck_assert_ptr_nonnull(k);
	write_key("rsa.pub.pem", "w", k, 0);
	EVP_PKEY_free(k);
	tu_write_file(in_dir(0, "garbage.pem"), "this is not a key\n");
	{
		char *big = malloc(70000);

		ck_assert_ptr_nonnull(big);
		memset(big, 'A', 69999);
		big[69999] = '\0';
		tu_write_file(in_dir(0, "big.pem"), big);
		free(big);
	}

	make_verifier("be.example/log", "be-log.key", vkey[BE], sizeof(vkey[BE]),
	    log_pub[BE]);
	make_verifier("nl.example/log", "nl-log.key", vkey[NL], sizeof(vkey[NL]),
	    log_pub[NL]);
	make_verifier("de.example/log", "de-log.key", vkey[DE], sizeof(vkey[DE]),
	    log_pub[DE]);
	/* The key id is the 8 hex digits after the first '+'. */
	snprintf(vkey_bad, sizeof(vkey_bad), "%s", vkey[BE]);
	plus = strchr(vkey_bad, '+');
	ck_assert_ptr_nonnull(plus);
	plus[1] = plus[1] == '0' ? '1' : '0';
}

static void
files_teardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

/* ------------------------------------------------------------ helpers */

/*
 * Copies t into out, replacing @BE, @NL and @DE with those States' log
 * verifier keys, @BAD with a verifier key whose id does not match, @DIR
 * with the fixture's folder and @LONG with 200 bytes of 'x'.
 */
static void
expand(const char *t, char *out, size_t outlen)
{
	static const char *const names[] = { "@BE", "@NL", "@DE", "@BAD", "@DIR",
		"@LONG" };
	char longv[201];
	const char *rep;
	size_t o = 0, n, i;

	memset(longv, 'x', 200);
	longv[200] = '\0';
	while (*t != '\0') {
		rep = NULL;
		for (i = 0; i < sizeof(names) / sizeof(names[0]) && rep == NULL; i++)
			if (strncmp(t, names[i], strlen(names[i])) == 0) {
				rep = i < 3 ? vkey[i] : i == 3 ? vkey_bad : i == 4 ? rdir :
				    longv;
				t += strlen(names[i]);
			}
		if (rep == NULL) {
			ck_assert(o + 1 < outlen);
			out[o++] = *t++;
			continue;
		}
		n = strlen(rep);
		ck_assert(o + n < outlen);
		memcpy(out + o, rep, n);
		o += n;
	}
	out[o] = '\0';
}

/* Writes the directory file from template text and loads it. */
static int
load(const char *text, tr__peers **p, reg_error *err)
{
	char buf[16384];

	expand(text, buf, sizeof(buf));
	tu_write_file(ini, buf);
	reg_error_clear(err);
	return tr__peers_load(ini, p, err);
}

static void
assert_refused(const char *text, int code, int line, const char *what)
{
	reg_error err = REG_ERROR_INIT;
	tr__peers *p = (tr__peers *)&err;	/* must become NULL */
	char prefix[sizeof(ini) + 32], want[1024];
	int r;

	r = load(text, &p, &err);
	expand(what, want, sizeof(want));
	ck_assert_msg(r == code, "%s: code %d, not %d: %s", what, r, code,
	    err.message);
	ck_assert_int_eq(err.code, code);
	ck_assert_ptr_null(p);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", ini, line);
	ck_assert_msg(strncmp(err.message, prefix, strlen(prefix)) == 0,
	    "%s: want line %d: %s", what, line, err.message);
	ck_assert_msg(strstr(err.message, want) != NULL, "want \"%s\" in: %s",
	    want, err.message);
	ck_assert_msg(strchr(err.message, '\n') == NULL, "two lines: %s",
	    err.message);
}

/* ------------------------------------------------------------ good */

#define GOOD \
	"# The States this registry traces with.\n" \
	"[peer.BE]\n" \
	"name = Federal Police, firearms tracing          ; optional display name\n" \
	"url = https://tracing.be.example:8443/\n" \
	"ca_file = certs/be-ca.pem\n" \
	"signing_key = BE/2026-1 keys/be-1.pub.pem\n" \
	"log_verifier = @BE\n" \
	"\n" \
	"[peer.NL]   ; pinned\n" \
	"url = https://Tracing.NL.example\n" \
	"pinned_cert = @DIR/nl.pem\n" \
	"signing_key = NL/2026-a keys/nl.pub.pem\n" \
	"log_verifier = @NL\n" \
	"[peer.DE]\n" \
	"  ; an indented comment\n" \
	"url = https://[2001:db8::1]:9443\n" \
	"ca_file = de-ca.pem\n" \
	"signing_key = DE/bka-1    keys/de.pub.pem\n" \
	"log_verifier = @DE\n"

START_TEST(good_directory)
{
	reg_error err = REG_ERROR_INIT;
	tr__peers *p = NULL;
	const struct tr__peer *be, *nl, *de;
	const proto_jws_key *k;
	uint8_t pub[32];

	ck_assert_msg(load(GOOD, &p, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(tr__peers_count(p), 3);
	be = tr__peers_get(p, "BE");
	nl = tr__peers_get(p, "NL");
	de = tr__peers_get(p, "DE");
	ck_assert_ptr_nonnull(be);
	ck_assert_ptr_nonnull(nl);
	ck_assert_ptr_nonnull(de);
	ck_assert_ptr_eq(tr__peers_at(p, 0), be);
	ck_assert_ptr_eq(tr__peers_at(p, 1), nl);
	ck_assert_ptr_eq(tr__peers_at(p, 2), de);
	ck_assert_ptr_null(tr__peers_at(p, 3));

	ck_assert_str_eq(be->code, "BE");
	ck_assert_str_eq(be->name, "Federal Police, firearms tracing");
	ck_assert_str_eq(be->url, "https://tracing.be.example:8443");
	ck_assert_str_eq(be->host, "tracing.be.example");
	ck_assert_int_eq(be->port, 8443);
	ck_assert_str_eq(be->ca_file, in_dir(0, "certs/be-ca.pem"));
	ck_assert_ptr_null(be->pinned_cert);
	ck_assert_int_eq(be->nkeys, 1);
	ck_assert_int_eq(be->line, 2);
	ck_assert_ptr_nonnull(be->log_key);
	ck_assert_str_eq(reg_key_name(be->log_key), "be.example/log");
	reg_key_public(be->log_key, pub);
	ck_assert_mem_eq(pub, log_pub[BE], 32);

	ck_assert_ptr_null(nl->name);
	ck_assert_str_eq(nl->url, "https://Tracing.NL.example");
	ck_assert_int_eq(nl->port, 443);
	ck_assert_ptr_null(nl->ca_file);
	ck_assert_str_eq(nl->pinned_cert, in_dir(0, "nl.pem"));
	ck_assert_mem_eq(nl->pin_sha256, nl_pin, 32);
	ck_assert_int_eq(nl->line, 9);
	reg_key_public(nl->log_key, pub);
	ck_assert_mem_eq(pub, log_pub[NL], 32);

	ck_assert_str_eq(de->url, "https://[2001:db8::1]:9443");
	ck_assert_str_eq(de->host, "2001:db8::1");
	ck_assert_int_eq(de->port, 9443);
	ck_assert_str_eq(de->ca_file, in_dir(0, "de-ca.pem"));
	reg_key_public(de->log_key, pub);
	ck_assert_mem_eq(pub, log_pub[DE], 32);

	/* Lookups by code. */
	ck_assert_ptr_null(tr__peers_get(p, "FR"));
	ck_assert_ptr_null(tr__peers_get(p, "be"));
	ck_assert_ptr_null(tr__peers_get(p, "B"));
	ck_assert_ptr_null(tr__peers_get(p, "BEL"));
	ck_assert_ptr_null(tr__peers_get(p, ""));
	ck_assert_ptr_null(tr__peers_get(p, NULL));

	/* Lookups by kid. */
	k = tr__peers_key(p, "BE/2026-1");
	ck_assert_ptr_nonnull(k);
	ck_assert_str_eq(proto_jws_key_kid(k), "BE/2026-1");
	ck_assert_int_eq(proto_jws_key_public(k, pub), 0);
	ck_assert_mem_eq(pub, be1_pub, 32);
	k = tr__peers_key(p, "NL/2026-a");
	ck_assert_ptr_nonnull(k);
	ck_assert_str_eq(proto_jws_key_kid(k), "NL/2026-a");
	k = tr__peers_key(p, "DE/bka-1");
	ck_assert_ptr_nonnull(k);
	ck_assert_str_eq(proto_jws_key_kid(k), "DE/bka-1");
	ck_assert_ptr_null(tr__peers_key(p, "BE/2026-2"));
	ck_assert_ptr_null(tr__peers_key(p, "BE/2026-"));
	ck_assert_ptr_null(tr__peers_key(p, "NL/2026-1"));
	ck_assert_ptr_null(tr__peers_key(p, "FR/2026-1"));
	ck_assert_ptr_null(tr__peers_key(p, "BE"));
	ck_assert_ptr_null(tr__peers_key(p, "BE/"));
	ck_assert_ptr_null(tr__peers_key(p, "be/2026-1"));
	ck_assert_ptr_null(tr__peers_key(p, NULL));
	tr__peers_free(p);

	tr__peers_free(NULL);
	ck_assert_uint_eq(tr__peers_count(NULL), 0);
	ck_assert_ptr_null(tr__peers_get(NULL, "BE"));
	ck_assert_ptr_null(tr__peers_key(NULL, "BE/2026-1"));
}
END_TEST

/* Loaded by a relative name from elsewhere, the files are still found
 * next to the directory file, and kept as absolute names. */
START_TEST(relative_directory_path)
{
	reg_error err = REG_ERROR_INIT;
	tr__peers *p = NULL;
	char cwd[PATH_MAX], parent[PATH_MAX], rel[PATH_MAX];
	const char *slash;
	char buf[16384];

	expand(GOOD, buf, sizeof(buf));
	tu_write_file(ini, buf);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	slash = strrchr(rdir, '/');
	ck_assert_ptr_nonnull(slash);
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - rdir), rdir);
	snprintf(rel, sizeof(rel), "%s/peers.ini", slash + 1);
	ck_assert(chdir(parent[0] ? parent : "/") == 0);
	ck_assert_msg(tr__peers_load(rel, &p, &err) == 0, "%s", err.message);
	ck_assert(chdir(cwd) == 0);
	ck_assert_str_eq(tr__peers_get(p, "BE")->ca_file,
	    in_dir(0, "certs/be-ca.pem"));
	ck_assert_str_eq(tr__peers_get(p, "DE")->ca_file, in_dir(0, "de-ca.pem"));
	ck_assert_ptr_nonnull(tr__peers_key(p, "NL/2026-a"));
	tr__peers_free(p);
}
END_TEST

/* Two keys for one State (a rotation): each kid verifies its own
 * signatures only. */
START_TEST(rotation)
{
	reg_error err = REG_ERROR_INIT;
	proto_error pe = PROTO_ERROR_INIT;
	tr__peers *p = NULL;
	proto_jws_key *signer = NULL;
	proto_jws *j = NULL;
	const proto_jws_key *k1, *k2;
	char *jws = NULL;
	static const char msg[] = "{\"schema\":\"example\"}";

	ck_assert_msg(load("[peer.BE]\n"
	    "url = https://tracing.be.example\n"
	    "ca_file = certs/be-ca.pem\n"
	    "signing_key = BE/2026-1 keys/be-1.pub.pem\n"
	    "signing_key = BE/2026-2 keys/be-2.pub.pem\n"
	    "log_verifier = @BE\n", &p, &err) == 0, "%s", err.message);
	ck_assert_int_eq(tr__peers_get(p, "BE")->nkeys, 2);
	k1 = tr__peers_key(p, "BE/2026-1");
	k2 = tr__peers_key(p, "BE/2026-2");
	ck_assert_ptr_nonnull(k1);
	ck_assert_ptr_nonnull(k2);
	ck_assert_ptr_ne(k1, k2);

	ck_assert(proto_jws_key_from_seed(be2_seed, "BE/2026-2", &signer, &pe) == 0);
	ck_assert(proto_jws_sign(signer, "trace-request", msg, strlen(msg), &jws,
	    &pe) == 0);
	ck_assert(proto_jws_parse(jws, strlen(jws), &j, &pe) == 0);
	ck_assert_str_eq(proto_jws_kid(j), "BE/2026-2");
	ck_assert_ptr_eq(tr__peers_key(p, proto_jws_kid(j)), k2);
	ck_assert_int_eq(proto_jws_verify(j, k2, &pe), 0);
	proto_error_clear(&pe);
	ck_assert_int_eq(proto_jws_verify(j, k1, &pe), PROTO_EVERIFY);
	proto_jws_free(j);
	proto_free(jws);
	proto_jws_key_free(signer);
	tr__peers_free(p);
}
END_TEST

/* Eight signing keys are accepted, a ninth is refused on its line. */
START_TEST(key_limit)
{
	reg_error err = REG_ERROR_INIT;
	tr__peers *p = NULL;
	char text[8192];
	size_t o;
	int i;

	o = (size_t)snprintf(text, sizeof(text), "[peer.BE]\n"
	    "url = https://tracing.be.example\n"
	    "ca_file = certs/be-ca.pem\n"
	    "log_verifier = @BE\n");
	for (i = 0; i < 8; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    "signing_key = BE/%d keys/r%d.pub.pem\n", i, i);
	ck_assert_msg(load(text, &p, &err) == 0, "%s", err.message);
	ck_assert_int_eq(tr__peers_get(p, "BE")->nkeys, 8);
	ck_assert_ptr_nonnull(tr__peers_key(p, "BE/7"));
	tr__peers_free(p);
	snprintf(text + o, sizeof(text) - o, "signing_key = BE/8 keys/r8.pub.pem\n");
	assert_refused(text, REG_EINVAL, 13, "[peer.BE] has more than 8 signing "
	    "keys");
}
END_TEST

/* ------------------------------------------------------------ hubs */

/* A hub, XH (said with hub = yes), a State reached through it and one
 * reached directly; and QZ, a hub only because a via names it. */
#define HUBS \
	"[peer.DE]\n" \
	"via = XH\n" \
	"signing_key = DE/1 keys/de.pub.pem\n" \
	"log_verifier = @DE\n" \
	"[peer.XH]\n" \
	"name = Liaison hub\n" \
	"hub = yes\n" \
	"url = https://hub.example:8443\n" \
	"ca_file = certs/be-ca.pem\n" \
	"signing_key = XH/1 keys/r0.pub.pem\n" \
	"log_verifier = @BE\n" \
	"[peer.NL]\n" \
	"url = https://tracing.nl.example\n" \
	"pinned_cert = nl.pem\n" \
	"signing_key = NL/1 keys/nl.pub.pem\n" \
	"log_verifier = @NL\n" \
	"[peer.BE]\n" \
	"via = QZ\n" \
	"signing_key = BE/1 keys/be-1.pub.pem\n" \
	"log_verifier = @BE\n" \
	"[peer.QZ]\n" \
	"url = https://qz.example\n" \
	"ca_file = de-ca.pem\n" \
	"signing_key = QZ/1 keys/r1.pub.pem\n" \
	"log_verifier = @NL\n"

START_TEST(hubs)
{
	reg_error err = REG_ERROR_INIT;
	tr__peers *p = NULL;
	const struct tr__peer *de, *xh, *nl, *be, *qz;

	ck_assert_msg(load(HUBS, &p, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(tr__peers_count(p), 5);
	de = tr__peers_get(p, "DE");
	xh = tr__peers_get(p, "XH");
	nl = tr__peers_get(p, "NL");
	be = tr__peers_get(p, "BE");
	qz = tr__peers_get(p, "QZ");
	ck_assert(de != NULL && xh != NULL && nl != NULL && be != NULL && qz != NULL);
	ck_assert_str_eq(de->via, "XH");
	ck_assert_ptr_null(de->url);
	ck_assert_ptr_null(de->ca_file);
	ck_assert_ptr_null(de->pinned_cert);
	ck_assert_int_eq(de->hub, 0);
	ck_assert_int_eq(de->nkeys, 1);
	ck_assert_ptr_nonnull(de->log_key);
	ck_assert_int_eq(xh->hub, 1);
	ck_assert_str_eq(xh->via, "");
	ck_assert_str_eq(xh->url, "https://hub.example:8443");
	ck_assert_int_eq(nl->hub, 0);
	ck_assert_str_eq(nl->via, "");
	ck_assert_int_eq(qz->hub, 1);		/* named by BE's via */
	ck_assert_str_eq(be->via, "QZ");

	/* Routes: a State through its hub, the others directly. */
	ck_assert_ptr_eq(tr__peers_route(p, "DE"), xh);
	ck_assert_ptr_eq(tr__peers_route(p, "BE"), qz);
	ck_assert_ptr_eq(tr__peers_route(p, "NL"), nl);
	ck_assert_ptr_eq(tr__peers_route(p, "XH"), xh);
	ck_assert_ptr_null(tr__peers_route(p, "FR"));
	ck_assert_ptr_null(tr__peers_route(p, "de"));
	ck_assert_ptr_null(tr__peers_route(p, NULL));
	ck_assert_ptr_null(tr__peers_route(NULL, "DE"));

	/* The keys of a State behind a hub are its own, not the hub's. */
	ck_assert_ptr_nonnull(tr__peers_key(p, "DE/1"));
	ck_assert_ptr_nonnull(tr__peers_key(p, "XH/1"));
	ck_assert_ptr_null(tr__peers_key(p, "XH/2"));
	tr__peers_free(p);
}
END_TEST

/* The user-assigned codes, and only they, name hubs. */
START_TEST(user_assigned_codes)
{
	static const char *const yes[] = { "AA", "QM", "QN", "QZ", "XA", "XH",
		"XZ", "ZZ" };
	static const char *const no[] = { "AB", "QA", "QL", "BE", "ZA", "ZW",
		"xa", "X", "XAA", "", "Q1" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		ck_assert_msg(tr__country_user_assigned(yes[i]), "%s", yes[i]);
		ck_assert_msg(!proto_country_valid(yes[i]), "%s", yes[i]);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!tr__country_user_assigned(no[i]), "%s", no[i]);
	ck_assert(!tr__country_user_assigned(NULL));
}
END_TEST

/* ------------------------------------------------------------ faults */

/* A complete section of five lines, and one of NL. */
#define BE5 \
	"[peer.BE]\n" \
	"url = https://tracing.be.example:8443\n" \
	"ca_file = certs/be-ca.pem\n" \
	"signing_key = BE/2026-1 keys/be-1.pub.pem\n" \
	"log_verifier = @BE\n"
#define NL_HEAD \
	"[peer.NL]\n" \
	"url = https://nl.example\n"
#define BE_TO_KEY(file) \
	"[peer.BE]\n" \
	"url = https://tracing.be.example\n" \
	"ca_file = certs/be-ca.pem\n" \
	"signing_key = BE/2026-1 " file "\n"
#define BE_URL(u) "[peer.BE]\nurl = " u "\n"

/* A complete hub section of five lines. */
#define HUB_XH \
	"[peer.XH]\n" \
	"url = https://hub.example\n" \
	"ca_file = certs/be-ca.pem\n" \
	"signing_key = XH/1 keys/r0.pub.pem\n" \
	"log_verifier = @BE\n"

static const struct bad {
	const char *text;
	int code;
	int line;
	const char *what;
} bad[] = {
	/* Sections. */
	{ BE5 "[peer.BE]\nurl = https://x.example\n", REG_EINVAL, 6,
	  "[peer.BE] is given twice (first at line 1)" },
	{ BE5 NL_HEAD "[peer.BE]\n", REG_EINVAL, 8,
	  "[peer.BE] is given twice (first at line 1)" },
	{ "[peer.XX]\n", REG_EINVAL, 1, "'XX' is not an ISO 3166-1 alpha-2 code" },
	{ BE5 "[peer.be]\n", REG_EINVAL, 6, "'be' is not an ISO 3166-1" },
	{ "[peer.BEL]\n", REG_EINVAL, 1, "'BEL' is not an ISO 3166-1" },
	{ "[peer.]\n", REG_EINVAL, 1, "'' is not an ISO 3166-1" },
	{ BE5 "[peers.NL]\n", REG_EINVAL, 6, "unknown section [peers.NL]" },
	{ "; registry\n[registry]\nstate = BE\n", REG_EINVAL, 2,
	  "unknown section [registry]" },
	{ "[peer.BE\n", REG_EINVAL, 1, "closing ']'" },
	{ "[peer.BE] url = https://x.example\n", REG_EINVAL, 1,
	  "text after the section header" },
	{ "url = https://x.example\n[peer.BE]\n", REG_EINVAL, 1,
	  "'url' comes before any section" },
	/* Lines. */
	{ BE5 "colour = red\n", REG_EINVAL, 6,
	  "unknown key 'colour' in [peer.BE]" },
	{ BE5 "just some words\n", REG_EINVAL, 6, "not a [peer.XX] header" },
	{ BE5 "just some words\ncolour = red\n", REG_EINVAL, 6,
	  "not a [peer.XX] header" },
	{ BE5 "just some words\n[peer.XX]\n", REG_EINVAL, 6,
	  "not a [peer.XX] header" },
	{ BE5 "  url = https://y.example\n", REG_EINVAL, 6, "indented" },
	{ BE5 "\tsigning_key = BE/2 keys/be-2.pub.pem\n", REG_EINVAL, 6,
	  "indented" },
	{ BE5 "name = @LONG\n", REG_EINVAL, 6, "longer than" },
	{ BE5 "name = x\nname = y\n", REG_EINVAL, 7,
	  "name is given twice in [peer.BE] (first at line 6)" },
	{ BE5 "name = a\001b\n", REG_EINVAL, 6, "control character" },
	/* TLS trust. */
	{ BE5 "pinned_cert = nl.pem\n", REG_EINVAL, 6,
	  "has both ca_file and pinned_cert (line 3)" },
	{ BE5 "ca_file = de-ca.pem\n", REG_EINVAL, 6,
	  "ca_file is given twice in [peer.BE] (first at line 3)" },
	{ BE5 NL_HEAD "signing_key = NL/1 keys/nl.pub.pem\nlog_verifier = @NL\n",
	  REG_EINVAL, 6, "[peer.NL] has no TLS trust" },
	{ BE_URL("https://x.example") "ca_file = certs/none.pem\n", REG_EIO, 3,
	  "cannot read ca_file @DIR/certs/none.pem" },
	{ BE_URL("https://x.example") "ca_file = garbage.pem\n", REG_EINVAL, 3,
	  "holds no PEM certificate" },
	{ BE_URL("https://x.example") "pinned_cert = keys/be-1.pub.pem\n",
	  REG_EINVAL, 3, "holds no PEM certificate" },
	{ BE_URL("https://x.example") "pinned_cert = two-certs.pem\n",
	  REG_EINVAL, 3, "holds 2 certificates" },
	{ BE_URL("https://x.example") "ca_file =\n", REG_EINVAL, 3,
	  "ca_file needs the name of a PEM file" },
	/* URLs. */
	{ BE_URL("http://tracing.be.example"), REG_EINVAL, 2, "plain HTTP" },
	{ BE_URL("HTTP://tracing.be.example"), REG_EINVAL, 2, "plain HTTP" },
	{ BE_URL("ftp://tracing.be.example"), REG_EINVAL, 2, "not an https URL" },
	{ BE_URL("tracing.be.example"), REG_EINVAL, 2, "not an https URL" },
	{ BE_URL("https://tracing.be.example/api/v1"), REG_EINVAL, 2,
	  "has a path, query or fragment" },
	{ BE_URL("https://tracing.be.example//"), REG_EINVAL, 2, "has a path" },
	{ BE_URL("https://tracing.be.example?x=1"), REG_EINVAL, 2, "query" },
	{ BE_URL("https://tracing.be.example#top"), REG_EINVAL, 2, "fragment" },
	{ BE_URL("https://me@tracing.be.example"), REG_EINVAL, 2, "user name" },
	{ BE_URL("https://"), REG_EINVAL, 2, "no valid host name" },
	{ BE_URL("https://tracing_be.example"), REG_EINVAL, 2, "no valid host name" },
	{ BE_URL("https://-be.example"), REG_EINVAL, 2, "no valid host name" },
	{ BE_URL("https://be..example"), REG_EINVAL, 2, "no valid host name" },
	{ BE_URL("https://[zz::1]:8443"), REG_EINVAL, 2, "not an IPv6 address" },
	{ BE_URL("https://[::1"), REG_EINVAL, 2, "in brackets" },
	{ BE_URL("https://be.example:0"), REG_EINVAL, 2, "port must be 1 to 65535" },
	{ BE_URL("https://be.example:65536"), REG_EINVAL, 2, "port must be 1" },
	{ BE_URL("https://be.example:"), REG_EINVAL, 2, "':' and a port number" },
	{ BE_URL("https://be.example:84a3"), REG_EINVAL, 2, "not a number" },
	{ BE_URL("https://be.example:8443:1"), REG_EINVAL, 2,
	  "':' and a port number" },
	{ BE5 "url = https://y.example\n", REG_EINVAL, 6,
	  "url is given twice in [peer.BE] (first at line 2)" },
	/* Signing keys. */
	{ BE_TO_KEY("keys/none.pub.pem"), REG_EIO, 4,
	  "cannot read signing key file @DIR/keys/none.pub.pem" },
	{ BE_TO_KEY("keys"), REG_EIO, 4, "cannot read signing key file" },
	{ BE_TO_KEY("rsa.pub.pem"), REG_EINVAL, 4, "not an Ed25519 key" },
	{ BE_TO_KEY("garbage.pem"), REG_EINVAL, 4,
	  "does not hold one PEM public key" },
	{ BE_TO_KEY("certs/be-ca.pem"), REG_EINVAL, 4,
	  "does not hold one PEM public key" },
	{ BE_TO_KEY("two.pub.pem"), REG_EINVAL, 4,
	  "does not hold one PEM public key" },
	{ BE_TO_KEY("priv.pem"), REG_EINVAL, 4, "holds a private key" },
	{ BE_TO_KEY("big.pem"), REG_EINVAL, 4, "is over 64 KiB" },
	{ BE_URL("https://x.example") "signing_key = NL/1 keys/be-1.pub.pem\n",
	  REG_EINVAL, 3, "kid 'NL/1' is not one of BE's" },
	{ BE_URL("https://x.example") "signing_key = BE/ keys/be-1.pub.pem\n",
	  REG_EINVAL, 3, "kid 'BE/' is not one of BE's" },
	{ BE_URL("https://x.example") "signing_key = be/1 keys/be-1.pub.pem\n",
	  REG_EINVAL, 3, "kid 'be/1' is not one of BE's" },
	{ BE_URL("https://x.example") "signing_key = BE-1 keys/be-1.pub.pem\n",
	  REG_EINVAL, 3, "kid 'BE-1' is not one of BE's" },
	{ BE_URL("https://x.example") "signing_key = BE/1\n", REG_EINVAL, 3,
	  "give the key's kid and the file of its PEM public key" },
	{ BE5 "signing_key = BE/2026-1 keys/be-2.pub.pem\n", REG_EINVAL, 6,
	  "kid BE/2026-1 is given twice in [peer.BE] (first at line 4)" },
	{ BE5 "signing_key = BE/2026-2 keys/be-1.pub.pem\n", REG_EINVAL, 6,
	  "holds the same key as kid BE/2026-1 (line 4)" },
	{ BE5 NL_HEAD "pinned_cert = nl.pem\nsigning_key = NL/1 keys/be-1.pub.pem\n",
	  REG_EINVAL, 9, "holds the same key as kid BE/2026-1 (line 4)" },
	/* Log verifier keys. */
	{ BE_URL("https://x.example") "log_verifier = be.example/log+00000000+AAAA\n",
	  REG_EINVAL, 3, "log_verifier is not a C2SP verifier key" },
	{ BE_URL("https://x.example") "log_verifier = @BAD\n", REG_EINVAL, 3,
	  "does not match its name and public key" },
	{ BE_URL("https://x.example") "log_verifier = be.example/log\n", REG_EINVAL,
	  3, "log_verifier is not a C2SP verifier key" },
	{ BE5 "log_verifier = @BE\n", REG_EINVAL, 6,
	  "log_verifier is given twice in [peer.BE] (first at line 5)" },
	/* Sections that lack something. */
	{ "[peer.BE]\nca_file = certs/be-ca.pem\n"
	  "signing_key = BE/2026-1 keys/be-1.pub.pem\nlog_verifier = @BE\n",
	  REG_EINVAL, 1, "[peer.BE] has no url" },
	{ BE5 "[peer.NL]\n", REG_EINVAL, 6, "[peer.NL] has no url" },
	{ BE5 "[peer.NL]\n;\n[peer.DE]\n", REG_EINVAL, 6, "[peer.NL] has no url" },
	{ "[peer.BE]\nurl = https://x.example\nca_file = certs/be-ca.pem\n"
	  "log_verifier = @BE\n", REG_EINVAL, 1, "[peer.BE] has no signing_key" },
	{ BE_TO_KEY("keys/be-1.pub.pem"), REG_EINVAL, 1,
	  "[peer.BE] has no log_verifier" },
	/* Hubs and via. */
	{ HUB_XH "[peer.NL]\nvia = XH\nurl = https://nl.example\n"
	  "signing_key = NL/1 keys/nl.pub.pem\nlog_verifier = @NL\n", REG_EINVAL,
	  6, "[peer.NL] has via and url (line 8)" },
	{ HUB_XH "[peer.NL]\nvia = XH\nca_file = de-ca.pem\n"
	  "signing_key = NL/1 keys/nl.pub.pem\nlog_verifier = @NL\n", REG_EINVAL,
	  6, "[peer.NL] has via and ca_file (line 8)" },
	{ HUB_XH "[peer.NL]\nvia = XH\nlog_verifier = @NL\n", REG_EINVAL, 6,
	  "[peer.NL] has no signing_key" },
	{ HUB_XH "[peer.NL]\nvia = XH\nsigning_key = NL/1 keys/nl.pub.pem\n",
	  REG_EINVAL, 6, "[peer.NL] has no log_verifier" },
	{ HUB_XH "[peer.NL]\nvia = XQ\nsigning_key = NL/1 keys/nl.pub.pem\n"
	  "log_verifier = @NL\n", REG_EINVAL, 7,
	  "via names XQ, which has no section in this file" },
	{ BE5 "[peer.NL]\nvia = BE\n", REG_EINVAL, 7,
	  "via names BE, which is not a hub" },
	{ HUB_XH "[peer.NL]\nvia = NL\n", REG_EINVAL, 7, "names itself in via" },
	{ HUB_XH "[peer.NL]\nvia = xh\n", REG_EINVAL, 7,
	  "via 'xh' is not a hub's code" },
	{ HUB_XH "[peer.NL]\nvia = XHX\n", REG_EINVAL, 7,
	  "via 'XHX' is not a hub's code" },
	{ HUB_XH "[peer.NL]\nvia = XH\nvia = XH\n", REG_EINVAL, 8,
	  "via is given twice in [peer.NL] (first at line 7)" },
	{ "[peer.XH]\nhub = yes\nvia = QZ\nurl = https://hub.example\n"
	  "ca_file = certs/be-ca.pem\nsigning_key = XH/1 keys/r0.pub.pem\n"
	  "log_verifier = @BE\n[peer.QZ]\nurl = https://qz.example\n"
	  "ca_file = de-ca.pem\nsigning_key = QZ/1 keys/r1.pub.pem\n"
	  "log_verifier = @NL\n", REG_EINVAL, 1,
	  "[peer.XH] is a hub and has via (line 3)" },
	{ "[peer.XH]\nhub = maybe\n", REG_EINVAL, 2, "hub must be yes or no" },
	{ "[peer.XH]\nhub = yes\nhub = yes\n", REG_EINVAL, 3,
	  "hub is given twice in [peer.XH] (first at line 2)" },
	{ "[peer.XH]\nhub = no\nurl = https://hub.example\n"
	  "ca_file = certs/be-ca.pem\nsigning_key = XH/1 keys/r0.pub.pem\n"
	  "log_verifier = @BE\n[peer.NL]\nvia = XH\n", REG_EINVAL, 8,
	  "via names XH, whose section says hub = no (line 2)" },
	/* A user-assigned code as a plain peer, and hub = yes for a State. */
	{ "[peer.XH]\nurl = https://hub.example\nca_file = certs/be-ca.pem\n"
	  "signing_key = XH/1 keys/r0.pub.pem\nlog_verifier = @BE\n", REG_EINVAL,
	  1, "'XH' is not an ISO 3166-1 alpha-2 code of a State but a "
	  "user-assigned one" },
	{ "[peer.BE]\nhub = yes\nurl = https://x.example\n"
	  "ca_file = certs/be-ca.pem\nsigning_key = BE/1 keys/be-1.pub.pem\n"
	  "log_verifier = @BE\n", REG_EINVAL, 1,
	  "[peer.BE] is a State, not a hub" },
	/* A hub needs what any directly reached peer needs. */
	{ "[peer.XH]\nhub = yes\nca_file = certs/be-ca.pem\n"
	  "signing_key = XH/1 keys/r0.pub.pem\nlog_verifier = @BE\n", REG_EINVAL,
	  1, "[peer.XH] has no url" },
	{ "[peer.XH]\nhub = yes\nurl = https://hub.example\n"
	  "signing_key = XH/1 keys/r0.pub.pem\nlog_verifier = @BE\n", REG_EINVAL,
	  1, "[peer.XH] has no TLS trust" },
	{ "[peer.XH]\nhub = yes\nurl = https://hub.example\n"
	  "ca_file = certs/be-ca.pem\nsigning_key = NL/1 keys/r0.pub.pem\n",
	  REG_EINVAL, 5, "kid 'NL/1' is not one of XH's" },
};

START_TEST(refused)
{
	assert_refused(bad[_i].text, bad[_i].code, bad[_i].line, bad[_i].what);
}
END_TEST

START_TEST(missing_and_unreadable)
{
	reg_error err = REG_ERROR_INIT;
	tr__peers *p = NULL;
	FILE *f;
	static const char nul_line[] = "[peer.BE]\nname = a\0b\n";

	ck_assert_int_eq(tr__peers_load("/nonexistent/peers.ini", &p, &err),
	    REG_ENOTFOUND);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err.message, "/nonexistent/peers.ini") != NULL, "%s",
	    err.message);
	reg_error_clear(&err);
	ck_assert_int_eq(tr__peers_load(rdir, &p, &err), REG_EIO);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err.message, "cannot read peers directory") != NULL,
	    "%s", err.message);

	/* A NUL byte, which a text line cannot hold. */
	f = fopen(ini, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(nul_line, 1, sizeof(nul_line) - 1, f),
	    sizeof(nul_line) - 1);
	ck_assert(fclose(f) == 0);
	reg_error_clear(&err);
	ck_assert_int_eq(tr__peers_load(ini, &p, &err), REG_EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err.message, ":2: the line holds a NUL byte") != NULL,
	    "%s", err.message);

	/* An empty directory is a daemon with no peers. */
	ck_assert_int_eq(load("; nobody yet\n", &p, &err), 0);
	ck_assert_uint_eq(tr__peers_count(p), 0);
	tr__peers_free(p);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("peers");
	TCase *t = tcase_create("directory");

	tcase_set_timeout(t, 60);
	tcase_add_unchecked_fixture(t, files_setup, files_teardown);
	tcase_add_test(t, good_directory);
	tcase_add_test(t, relative_directory_path);
	tcase_add_test(t, rotation);
	tcase_add_test(t, key_limit);
	tcase_add_test(t, hubs);
	tcase_add_test(t, user_assigned_codes);
	tcase_add_loop_test(t, refused, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(t, missing_and_unreadable);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
