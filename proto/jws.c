/*
 * JWS compact serialisation (RFC 7515 section 7.1) with the EdDSA algorithm
 * over Ed25519 (RFC 8037), on OpenSSL 3.  Every message between tracing
 * daemons is one of these: base64url(protected header) "." base64url(payload)
 * "." base64url(signature), the signature over the first two parts as sent.
 *
 * Parsing is strict: base64url without padding and without any other
 * character; a protected header that is a JSON object of at most 4 KiB with
 * "alg" exactly "EdDSA", no "crit", no "b64", no "jku"/"jwk"/"x5u"/"x5c"
 * (keys come from the peers directory, never from the message); a signature
 * of exactly 64 bytes.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/base64.h"
#include "proto_int.h"

#define HEADER_MAX 4096
#define KID_MAX 200

struct proto_jws_key {
	EVP_PKEY *pkey;
	int private;
	char kid[KID_MAX + 1];
};

/* ------------------------------------------------------------ base64url */

/* Unpadded base64url (RFC 7515 section 2), coded by common/base64.c. */
#define B64U (CM_BASE64_URL | CM_BASE64_NOPAD)

static size_t
b64u_len(size_t n)
{
	return cm_base64_encoded_len(n, B64U);
}

/*
 * Decodes n characters of base64url without padding into out (at least
 * n * 3 / 4 bytes); -1 for a bad character, a length of 1 mod 4, or
 * non-zero bits left over (a non-canonical encoding).
 */
static long
b64u_decode(const char *in, size_t n, uint8_t *out)
{
	size_t len;

	if (cm_base64_decode(in, n, out, &len, NULL, B64U) != 0)
		return -1;
	return (long)len;
}

/* ------------------------------------------------------------ keys */

static int
check_kid(const char *kid, proto_error *err)
{
	size_t i, n;

	if (kid == NULL)
		return 0;
	n = strlen(kid);
	if (n == 0 || n > KID_MAX)
		return proto__fail(err, PROTO_EVALUE, "kid", "must be 1 to %d characters",
		    KID_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)kid[i] < 0x21 || (unsigned char)kid[i] > 0x7e)
			return proto__fail(err, PROTO_EVALUE, "kid", "must be printable "
			    "ASCII without spaces");
	return 0;
}

static int
key_new(EVP_PKEY *pkey, int private, const char *kid, proto_jws_key **out,
    proto_error *err)
{
	proto_jws_key *k;

	if (pkey == NULL)
		return proto__fail(err, PROTO_EVALUE, "key", "not an Ed25519 key");
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return proto__fail(err, PROTO_EVALUE, "key", "not an Ed25519 key");
	}
	if (check_kid(kid, err) != 0 || (k = calloc(1, sizeof(*k))) == NULL) {
		EVP_PKEY_free(pkey);
		return err && err->code ? err->code :
		    proto__fail(err, PROTO_ENOMEM, "", "out of memory");
	}
	k->pkey = pkey;
	k->private = private;
	if (kid != NULL)
		snprintf(k->kid, sizeof(k->kid), "%s", kid);
	*out = k;
	return 0;
}

int
proto_jws_key_from_seed(const uint8_t seed[32], const char *kid,
    proto_jws_key **out, proto_error *err)
{
	*out = NULL;
	return key_new(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32),
	    1, kid, out, err);
}

int
proto_jws_key_from_public(const uint8_t pub[32], const char *kid,
    proto_jws_key **out, proto_error *err)
{
	*out = NULL;
	return key_new(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32),
	    0, kid, out, err);
}

/*
 * The two encodings of an Ed25519 key that openssl genpkey and every
 * tool here write (RFC 8410): a PKCS #8 private key without attributes
 * (48 bytes of DER) and a SubjectPublicKeyInfo (44 bytes), each a fixed
 * prefix and the 32 bytes of the key.
 */
static const uint8_t ed25519_pkcs8[16] = {
	0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
	0x04, 0x22, 0x04, 0x20
};
static const uint8_t ed25519_spki[12] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
};

/*
 * An Ed25519 key in one of those encodings, read without OpenSSL's
 * decoders (which take a millisecond a key, the most of a command's start
 * when it loads a peers directory); NULL for anything else, which the
 * decoders then read.
 */
static EVP_PKEY *
ed25519_from_pem(const char *pem, size_t len, int *private)
{
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long n = 0;
	EVP_PKEY *pkey = NULL;
	BIO *b = BIO_new_mem_buf(pem, (int)len);

	if (b == NULL)
		return NULL;
	if (PEM_read_bio(b, &name, &header, &der, &n) == 1 && header[0] == '\0') {
		if (strcmp(name, "PRIVATE KEY") == 0 && n == 48 &&
		    memcmp(der, ed25519_pkcs8, sizeof(ed25519_pkcs8)) == 0) {
			pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
			    der + 16, 32);
			*private = 1;
		} else if (strcmp(name, "PUBLIC KEY") == 0 && n == 44 &&
		    memcmp(der, ed25519_spki, sizeof(ed25519_spki)) == 0) {
			pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
			    der + 12, 32);
			*private = 0;
		}
	}
	ERR_clear_error();
	if (der != NULL)
		OPENSSL_cleanse(der, (size_t)n);
	OPENSSL_free(der);
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(b);
	return pkey;
}

int
proto_jws_key_from_pem(const char *pem, size_t len, const char *kid,
    proto_jws_key **out, proto_error *err)
{
	BIO *b;
	EVP_PKEY *pkey;
	int private = 1;

	*out = NULL;
	if (len > INT_MAX)
		return proto__fail(err, PROTO_EVALUE, "key", "not a PEM private or "
		    "public key");
	if ((pkey = ed25519_from_pem(pem, len, &private)) != NULL)
		return key_new(pkey, private, kid, out, err);
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return proto__fail(err, PROTO_ENOMEM, "", "out of memory");
	private = 1;
	pkey = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	if (pkey == NULL) {
		(void)BIO_reset(b);
		pkey = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
		private = 0;
	}
	BIO_free(b);
	if (pkey == NULL)
		return proto__fail(err, PROTO_EVALUE, "key", "not a PEM private or "
		    "public key");
	return key_new(pkey, private, kid, out, err);
}

int
proto_jws_key_public(const proto_jws_key *k, uint8_t out[32])
{
	size_t n = 32;

	return EVP_PKEY_get_raw_public_key(k->pkey, out, &n) == 1 && n == 32 ? 0 :
	    PROTO_EINTERNAL;
}

bool
proto_jws_key_private(const proto_jws_key *k)
{
	return k != NULL && k->private;
}

const char *
proto_jws_key_kid(const proto_jws_key *k)
{
	return k->kid[0] ? k->kid : NULL;
}

void
proto_jws_key_free(proto_jws_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* ------------------------------------------------------------ sign */

int
proto_jws_sign(const proto_jws_key *k, const char *cty, const void *payload,
    size_t len, char **out, proto_error *err)
{
	char header[HEADER_MAX], *jws = NULL, *p;
	uint8_t sig[64];
	size_t hl, siglen = sizeof(sig), total;
	EVP_MD_CTX *md = NULL;
	json_t *h;
	char *hj;
	int r = PROTO_EINTERNAL;

	*out = NULL;
	if (k == NULL || !k->private)
		return proto__fail(err, PROTO_EINVAL, "key", "signing needs a private key");
	if (len > 2 * PROTO_DOC_MAX)
		return proto__fail(err, PROTO_ETOOBIG, "", "payload over %u bytes",
		    2 * PROTO_DOC_MAX);
	/* The protected header, members in a fixed order. */
	h = json_pack("{ss}", "alg", "EdDSA");
	/* A member that cannot be added fails the signing: a header without
	 * its kid or cty must never be signed. */
	if (h != NULL && ((k->kid[0] &&
	    json_object_set_new(h, "kid", json_string(k->kid)) != 0) ||
	    (cty != NULL && json_object_set_new(h, "cty", json_string(cty)) != 0))) {
		json_decref(h);
		h = NULL;
	}
	hj = h ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(h);
	if (hj == NULL)
		return proto__fail(err, PROTO_ENOMEM, "", "out of memory");
	hl = strlen(hj);
	if (b64u_len(hl) >= sizeof(header)) {
		free(hj);
		return proto__fail(err, PROTO_ETOOBIG, "kid", "header too long");
	}
	cm_base64_encode(hj, hl, header, B64U);
	free(hj);
	total = strlen(header) + 1 + b64u_len(len) + 1 + b64u_len(64) + 1;
	if ((jws = malloc(total)) == NULL)
		return proto__fail(err, PROTO_ENOMEM, "", "out of memory");
	p = jws + sprintf(jws, "%s.", header);
	cm_base64_encode(payload, len, p, B64U);
	p += strlen(p);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const uint8_t *)jws,
	    (size_t)(p - jws)) != 1 || siglen != 64) {
		r = proto__fail(err, PROTO_EINTERNAL, "", "Ed25519 signing failed");
		goto out;
	}
	*p++ = '.';
	cm_base64_encode(sig, siglen, p, B64U);
	*out = jws;
	jws = NULL;
	r = 0;
out:
	EVP_MD_CTX_free(md);
	free(jws);
	return r;
}

/* ------------------------------------------------------------ parse, verify */

struct proto_jws {
	char *signing_input;		/* header "." payload, as received */
	size_t signing_len;
	uint8_t *payload;
	size_t payload_len;
	uint8_t sig[64];
	char kid[KID_MAX + 1];
	char cty[64];
};

static int
check_header(const uint8_t *h, size_t n, struct proto_jws *j, proto_error *err)
{
	static const char *const forbidden[] = { "crit", "b64", "jku", "jwk", "x5u",
		"x5c", "x5t", "x5t#S256", NULL };
	json_error_t je;
	json_t *o, *alg, *kid, *cty;
	const char *key;
	json_t *v;
	int i, r = 0;

	o = json_loadb((const char *)h, n, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL)
		return proto__fail(err, PROTO_ESYNTAX, "header", "not JSON: %s", je.text);
	if (!json_is_object(o)) {
		r = proto__fail(err, PROTO_ETYPE, "header", "must be a JSON object");
		goto out;
	}
	for (i = 0; forbidden[i] != NULL; i++)
		if (json_object_get(o, forbidden[i]) != NULL) {
			r = proto__fail(err, PROTO_EVALUE, "header", "member \"%s\" is not "
			    "accepted: keys come from the peers directory", forbidden[i]);
			goto out;
		}
	alg = json_object_get(o, "alg");
	if (!json_is_string(alg) || strcmp(json_string_value(alg), "EdDSA") != 0) {
		r = proto__fail(err, PROTO_EVALUE, "header.alg", "must be \"EdDSA\"");
		goto out;
	}
	kid = json_object_get(o, "kid");
	if (kid != NULL) {
		if (!json_is_string(kid)) {
			r = proto__fail(err, PROTO_ETYPE, "header.kid", "must be a string");
			goto out;
		}
		if ((r = check_kid(json_string_value(kid), err)) != 0)
			goto out;
		snprintf(j->kid, sizeof(j->kid), "%s", json_string_value(kid));
	}
	cty = json_object_get(o, "cty");
	if (cty != NULL) {
		if (!json_is_string(cty) || strlen(json_string_value(cty)) >= sizeof(j->cty)) {
			r = proto__fail(err, PROTO_EVALUE, "header.cty", "must be a short "
			    "string");
			goto out;
		}
		snprintf(j->cty, sizeof(j->cty), "%s", json_string_value(cty));
	}
	json_object_foreach(o, key, v) {
		if (strcmp(key, "alg") && strcmp(key, "kid") && strcmp(key, "cty") &&
		    strcmp(key, "typ")) {
			r = proto__fail(err, PROTO_EUNKNOWN, "header", "unknown member "
			    "\"%.40s\"", key);
			goto out;
		}
	}
out:
	json_decref(o);
	return r;
}

int
proto_jws_parse(const char *text, size_t len, proto_jws **out, proto_error *err)
{
	const char *d1, *d2;
	uint8_t *hdr = NULL;
	proto_jws *j = NULL;
	size_t hlen, plen, slen;
	long n;
	int r;

	*out = NULL;
	if (text == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no message given");
	if (len > b64u_len(PROTO_DOC_MAX) + HEADER_MAX + 100)
		return proto__fail(err, PROTO_ETOOBIG, "", "message over its size limit");
	d1 = memchr(text, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - text)) : NULL;
	if (d1 == NULL || d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - text)))
		return proto__fail(err, PROTO_ESYNTAX, "", "not a JWS compact "
		    "serialisation (three base64url parts separated by dots)");
	hlen = (size_t)(d1 - text);
	plen = (size_t)(d2 - d1 - 1);
	slen = len - (size_t)(d2 + 1 - text);
	if (hlen == 0 || hlen > HEADER_MAX)
		return proto__fail(err, hlen ? PROTO_ETOOBIG : PROTO_ESYNTAX, "header",
		    "must be 1 to %d characters", HEADER_MAX);
	if (slen != 86)
		return proto__fail(err, PROTO_ESYNTAX, "signature", "must be 64 bytes "
		    "in base64url (86 characters)");
	if ((j = calloc(1, sizeof(*j))) == NULL || (hdr = malloc(hlen)) == NULL ||
	    (j->payload = malloc(plen ? plen : 1)) == NULL ||
	    (j->signing_input = malloc(hlen + 1 + plen + 1)) == NULL) {
		r = proto__fail(err, PROTO_ENOMEM, "", "out of memory");
		goto fail;
	}
	if ((n = b64u_decode(text, hlen, hdr)) < 0) {
		r = proto__fail(err, PROTO_ESYNTAX, "header", "is not base64url");
		goto fail;
	}
	if ((r = check_header(hdr, (size_t)n, j, err)) != 0)
		goto fail;
	if ((n = b64u_decode(d1 + 1, plen, j->payload)) < 0) {
		r = proto__fail(err, PROTO_ESYNTAX, "payload", "is not base64url");
		goto fail;
	}
	j->payload_len = (size_t)n;
	if (b64u_decode(d2 + 1, slen, j->sig) != 64) {
		r = proto__fail(err, PROTO_ESYNTAX, "signature", "is not base64url");
		goto fail;
	}
	memcpy(j->signing_input, text, hlen + 1 + plen);
	j->signing_len = hlen + 1 + plen;
	j->signing_input[j->signing_len] = '\0';
	free(hdr);
	*out = j;
	return 0;
fail:
	free(hdr);
	proto_jws_free(j);
	return r;
}

int
proto_jws_verify(const proto_jws *j, const proto_jws_key *k, proto_error *err)
{
	EVP_MD_CTX *md;
	int ok;

	if (j == NULL || k == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "a message and a key are needed");
	if ((md = EVP_MD_CTX_new()) == NULL)
		return proto__fail(err, PROTO_ENOMEM, "", "out of memory");
	ok = EVP_DigestVerifyInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
	    EVP_DigestVerify(md, j->sig, 64, (const uint8_t *)j->signing_input,
	    j->signing_len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : proto__fail(err, PROTO_EVERIFY, "signature", "does not "
	    "verify with the key of %s", k->kid[0] ? k->kid : "the sender");
}

const char *
proto_jws_kid(const proto_jws *j)
{
	return j->kid[0] ? j->kid : NULL;
}

const char *
proto_jws_cty(const proto_jws *j)
{
	return j->cty[0] ? j->cty : NULL;
}

const uint8_t *
proto_jws_payload(const proto_jws *j, size_t *len)
{
	*len = j->payload_len;
	return j->payload;
}

void
proto_jws_free(proto_jws *j)
{
	if (j == NULL)
		return;
	free(j->signing_input);
	free(j->payload);
	free(j);
}
