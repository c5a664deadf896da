/*
 * Named Ed25519 keys: private key files, C2SP verifier keys and key ids.
 *
 * A private key file is RFC 7468 explanatory text, one line "Key-Name: NAME",
 * followed by the unencrypted PKCS#8 PEM block of the key.  A verifier key
 * is "<name>+<8 lower-case hex key id>+<base64(type || public key)>", of
 * signature type 0x01 for note signatures and 0x04 for witness
 * cosignatures (c2sp.org/tlog-cosignature); the key id hashes the type in.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/hex.h"
#include "common/utf8.h"
#include "registry_int.h"

#define KEY_FILE_MAX (64 * 1024)
#define KEY_NAME_PREFIX "Key-Name: "
#define KEY_PEM_BEGIN "-----BEGIN PRIVATE KEY-----"

struct reg_key {
	char name[REG_KEY_NAME_MAX + 1];
	EVP_PKEY *pkey;
	int has_private;	/* 0 for a key made from a verifier key */
	/* 0 for a private key, which may do both; for a key made from a
	 * verifier key, the one signature type it may verify. */
	uint8_t use;
	uint8_t pub[32];
	uint32_t id;		/* key id of type 0x01 */
	uint32_t cosig_id;	/* key id of type 0x04 */
};


/* Whether c is a Unicode white space character (property White_Space). */
static int
is_unicode_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 ||
	    c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	    c == 0x3000;
}

/*
 * Whether name (len bytes) is a valid key name: non-empty UTF-8 without
 * Unicode spaces, '+' or control characters (C0, DEL and C1).  The last
 * rule is ours, stricter than C2SP's.
 */
int
reg__key_name_valid(const char *name, size_t len)
{
	const uint8_t *s = (const uint8_t *)name;
	size_t i, n;
	uint32_t c;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i += n) {
		n = cm_utf8_decode(s + i, len - i, &c);
		if (n == 0)
			return 0;
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '+' ||
		    is_unicode_space(c))
			return 0;
	}
	return 1;
}

/*
 * Checks a key name: the C2SP signed-note rules (non-empty UTF-8 without
 * Unicode spaces or '+'), no control characters, and at most
 * REG_KEY_NAME_MAX bytes.
 */
static int
check_name(const char *name, size_t len, reg_error *err)
{
	if (len > REG_KEY_NAME_MAX)
		return reg__fail(err, REG_EINVAL,
		    "key name of %zu bytes is longer than %d", len,
		    REG_KEY_NAME_MAX);
	if (!reg__key_name_valid(name, len))
		return reg__fail(err, REG_EINVAL, "key name \"%.*s\" is empty, "
		    "not UTF-8, or has a space, a control character or a '+'",
		    (int)len, name);
	return 0;
}

/* The C2SP key id of signature type type of the public key pub named name. */
static int
compute_id(const char *name, uint8_t type, const uint8_t pub[32],
    uint32_t *id, reg_error *err)
{
	EVP_MD_CTX *md = NULL;
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	const uint8_t sep[2] = { '\n', type };
	int r = REG_EINTERNAL;

	md = EVP_MD_CTX_new();
	if (md == NULL) {
		r = reg__fail_ossl(err, REG_ENOMEM, "cannot allocate a digest");
		goto out;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, name, strlen(name)) != 1 ||
	    EVP_DigestUpdate(md, sep, sizeof(sep)) != 1 ||
	    EVP_DigestUpdate(md, pub, 32) != 1 ||
	    EVP_DigestFinal_ex(md, h, &hlen) != 1 || hlen != 32) {
		r = reg__fail_ossl(err, REG_ECRYPTO, "cannot hash the public key");
		goto out;
	}
	*id = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

/*
 * Makes a key from pkey (which must be Ed25519) named name, for signatures
 * of type use (0 for both); takes pkey over on success.
 */
static int
key_new(const char *name, EVP_PKEY *pkey, int has_private, uint8_t use,
    reg_key **out, reg_error *err)
{
	reg_key *k = NULL;
	size_t publen = sizeof(k->pub);
	int r = REG_EINTERNAL;

	*out = NULL;
	REG_ASSERT(strlen(name) <= REG_KEY_NAME_MAX);
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		r = reg__fail(err, REG_ENOMEM, "cannot allocate a key");
		goto out;
	}
	memcpy(k->name, name, strlen(name) + 1);
	if (EVP_PKEY_get_raw_public_key(pkey, k->pub, &publen) != 1 ||
	    publen != sizeof(k->pub)) {
		r = reg__fail_ossl(err, REG_EKEY, "cannot get the public key");
		goto out;
	}
	if ((r = compute_id(k->name, REG__SIG_ED25519, k->pub, &k->id,
	    err)) != 0 ||
	    (r = compute_id(k->name, REG__SIG_COSIG_V1, k->pub, &k->cosig_id,
	    err)) != 0)
		goto out;
	k->has_private = has_private;
	k->use = use;
	k->pkey = pkey;
	*out = k;
	k = NULL;	/* transferred, with pkey */
	r = 0;
out:
	reg_key_free(k);
	return r;
}

int
reg_key_generate(const char *name, const char *path, reg_error *err)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	BUF_MEM *pem = NULL;
	int r = REG_EINTERNAL;

	if (name == NULL || path == NULL || *path == '\0')
		return reg__fail(err, REG_EINVAL, "no key name or file");
	if ((r = check_name(name, strlen(name), err)) != 0)
		return r;

	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL) {
		r = reg__fail_ossl(err, REG_ECRYPTO,
		    "cannot generate an Ed25519 key");
		goto out;
	}
	/* The secure-memory BIO wipes its buffer when freed. */
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL) {
		r = reg__fail_ossl(err, REG_ENOMEM, "cannot allocate a buffer");
		goto out;
	}
	if (BIO_printf(bio, "%s%s\n", KEY_NAME_PREFIX, name) <= 0 ||
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
	    NULL) != 1) {
		r = reg__fail_ossl(err, REG_ECRYPTO, "cannot encode the key");
		goto out;
	}
	BIO_get_mem_ptr(bio, &pem);
	REG_ASSERT(pem != NULL);

	r = reg__create_secret_file(path, pem->data, pem->length, err);
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return r;
}

/* A password callback that refuses, so that OpenSSL never prompts. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/*
 * Finds the key name and the start of the PEM block in a key file's text:
 * explanatory lines, exactly one of them "Key-Name: NAME", then the line
 * "-----BEGIN PRIVATE KEY-----".
 */
static int
parse_key_text(const char *path, const char *buf,
    char name[REG_KEY_NAME_MAX + 1], const char **pem, reg_error *err)
{
	const char *line, *eol, *v;
	size_t plen = strlen(KEY_NAME_PREFIX), vlen;
	int found = 0;

	*pem = NULL;
	for (line = buf; *line != '\0'; line = eol + 1) {
		if (strncmp(line, KEY_PEM_BEGIN, strlen(KEY_PEM_BEGIN)) == 0) {
			*pem = line;
			break;
		}
		if (strncmp(line, "-----BEGIN ", 11) == 0)
			return reg__fail(err, REG_EKEY, "%s does not hold an "
			    "unencrypted PKCS#8 private key", path);
		eol = strchr(line, '\n');
		if (eol == NULL)
			break;
		if (strncmp(line, KEY_NAME_PREFIX, plen) != 0)
			continue;
		if (found)
			return reg__fail(err, REG_EKEY,
			    "%s has more than one Key-Name line", path);
		v = line + plen;
		vlen = (size_t)(eol - v);
		if (check_name(v, vlen, NULL) != 0)
			return reg__fail(err, REG_EKEY,
			    "%s: bad key name on its Key-Name line", path);
		memcpy(name, v, vlen);
		name[vlen] = '\0';
		found = 1;
	}
	if (!found)
		return reg__fail(err, REG_EKEY,
		    "%s has no Key-Name line before the key", path);
	if (*pem == NULL)
		return reg__fail(err, REG_EKEY, "%s does not hold a PEM "
		    "private key", path);
	return 0;
}

int
reg_key_load(const char *path, reg_key **out, reg_error *err)
{
	char name[REG_KEY_NAME_MAX + 1];
	char *buf = NULL, *rest = NULL;
	const char *pem;
	size_t len = 0;
	long nrest, i;
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	int r = REG_EINTERNAL;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return reg__fail(err, REG_EINVAL, "no key file");
	if ((r = reg__read_secret_file(path, KEY_FILE_MAX, 0, &buf, &len, NULL,
	    err)) != 0)
		goto out;
	if (strlen(buf) != len) {
		r = reg__fail(err, REG_EKEY, "%s holds a NUL byte", path);
		goto out;
	}
	if ((r = parse_key_text(path, buf, name, &pem, err)) != 0)
		goto out;
	bio = BIO_new_mem_buf(pem, (int)(len - (size_t)(pem - buf)));
	if (bio == NULL) {
		r = reg__fail_ossl(err, REG_ENOMEM, "cannot allocate a buffer");
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	if (pkey == NULL) {
		r = reg__fail_ossl(err, REG_EKEY,
		    "%s: cannot decode the private key", path);
		goto out;
	}
	/* Only white space may follow the PEM block. */
	nrest = BIO_get_mem_data(bio, &rest);
	for (i = 0; i < nrest; i++) {
		if (rest[i] != '\n' && rest[i] != '\r' && rest[i] != ' ' &&
		    rest[i] != '\t') {
			r = reg__fail(err, REG_EKEY,
			    "%s has text after the private key", path);
			goto out;
		}
	}
	if (!EVP_PKEY_is_a(pkey, "ED25519")) {
		r = reg__fail(err, REG_EKEY, "%s holds a %s key, not Ed25519",
		    path, EVP_PKEY_get0_type_name(pkey) != NULL ?
		    EVP_PKEY_get0_type_name(pkey) : "non-Ed25519");
		goto out;
	}
	if ((r = key_new(name, pkey, 1, 0, out, err)) != 0)
		goto out;
	pkey = NULL;	/* transferred */
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	OPENSSL_cleanse(name, sizeof(name));
	return r;
}

/* The name of signature type type, for messages. */
static const char *
type_name(uint8_t type)
{
	return type == REG__SIG_COSIG_V1 ? "4 (Ed25519 cosignature/v1)" :
	    "1 (Ed25519)";
}

/* Parses a verifier key of signature type type into a public-only key. */
static int
parse_verifier(const char *vkey, uint8_t type, reg_key **out,
    reg_error *err)
{
	char name[REG_KEY_NAME_MAX + 1];
	const char *p1, *p2, *b64;
	uint8_t *raw = NULL;
	size_t rawlen = 0, namelen, i;
	uint32_t id = 0, want;
	uint8_t idb[4];
	EVP_PKEY *pkey = NULL;
	reg_key *k = NULL;
	int r = REG_EINTERNAL;

	*out = NULL;
	if (vkey == NULL)
		return reg__fail(err, REG_EINVAL, "no verifier key");
	p1 = strchr(vkey, '+');
	if (p1 == NULL)
		return reg__fail(err, REG_EINVAL,
		    "verifier key has no '+' after the name");
	namelen = (size_t)(p1 - vkey);
	if ((r = check_name(vkey, namelen, err)) != 0)
		return r;
	memcpy(name, vkey, namelen);
	name[namelen] = '\0';
	p2 = p1 + 1;
	if (cm_hex_decode(p2, 8, idb, 0) != 0)
		return reg__fail(err, REG_EINVAL, "verifier key id is "
		    "not eight lower-case hex digits");
	for (i = 0; i < 4; i++)
		id = id << 8 | idb[i];
	if (p2[8] != '+')
		return reg__fail(err, REG_EINVAL, "verifier key id is not "
		    "eight lower-case hex digits followed by '+'");
	b64 = p2 + 9;
	if (reg_base64_decode(b64, strlen(b64), &raw, &rawlen, NULL) != 0) {
		r = reg__fail(err, REG_EINVAL,
		    "verifier key's public key is not valid base64");
		goto out;
	}
	if (rawlen == 0) {
		r = reg__fail(err, REG_EINVAL,
		    "verifier key has no public key");
		goto out;
	}
	if (raw[0] != type) {
		r = reg__fail(err, REG_EKEY, "verifier key is of signature "
		    "type %u, not %s", (unsigned)raw[0], type_name(type));
		goto out;
	}
	if (rawlen != 33) {
		r = reg__fail(err, REG_EKEY, "verifier key has %zu bytes of "
		    "public key, not 32", rawlen - 1);
		goto out;
	}
	if ((r = compute_id(name, type, raw + 1, &want, err)) != 0)
		goto out;
	if (id != want) {
		r = reg__fail(err, REG_EKEY, "verifier key id %08x does not "
		    "match its name and public key (%08x)", (unsigned)id,
		    (unsigned)want);
		goto out;
	}
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw + 1, 32);
	if (pkey == NULL) {
		r = reg__fail_ossl(err, REG_EKEY, "cannot make the public key");
		goto out;
	}
	if ((r = key_new(name, pkey, 0, type, &k, err)) != 0)
		goto out;
	pkey = NULL;	/* transferred */
	*out = k;
	k = NULL;	/* transferred */
	r = 0;
out:
	reg_key_free(k);
	EVP_PKEY_free(pkey);
	free(raw);
	return r;
}

int
reg_key_from_verifier(const char *vkey, reg_key **out, reg_error *err)
{
	return parse_verifier(vkey, REG__SIG_ED25519, out, err);
}

int
reg_cosig_key_from_verifier(const char *vkey, reg_key **out, reg_error *err)
{
	return parse_verifier(vkey, REG__SIG_COSIG_V1, out, err);
}

/* Formats k's verifier key of signature type type. */
static int
format_verifier(const reg_key *k, uint8_t type, char **out, reg_error *err)
{
	uint8_t raw[33];
	char *b64 = NULL, *s = NULL;
	size_t n;
	int r = REG_EINTERNAL;

	*out = NULL;
	if (k == NULL)
		return reg__fail(err, REG_EINVAL, "no key");
	if ((r = reg__key_check_use(k, type, err)) != 0)
		return r;
	raw[0] = type;
	memcpy(raw + 1, k->pub, 32);
	if ((r = reg_base64_encode(raw, sizeof(raw), &b64, err)) != 0)
		goto out;
	n = strlen(k->name) + 1 + 8 + 1 + strlen(b64) + 1;
	s = malloc(n);
	if (s == NULL) {
		r = reg__fail(err, REG_ENOMEM,
		    "cannot allocate a verifier key");
		goto out;
	}
	snprintf(s, n, "%s+%08x+%s", k->name, (unsigned)(type ==
	    REG__SIG_COSIG_V1 ? k->cosig_id : k->id), b64);
	*out = s;
	s = NULL;	/* transferred */
	r = 0;
out:
	free(s);
	free(b64);
	return r;
}

int
reg_key_verifier(const reg_key *k, char **out, reg_error *err)
{
	return format_verifier(k, REG__SIG_ED25519, out, err);
}

int
reg_cosig_verifier(const reg_key *k, char **out, reg_error *err)
{
	return format_verifier(k, REG__SIG_COSIG_V1, out, err);
}

const char *
reg_key_name(const reg_key *k)
{
	return k->name;
}

uint32_t
reg_key_id(const reg_key *k)
{
	return k->id;
}

uint32_t
reg_cosig_key_id(const reg_key *k)
{
	return k->cosig_id;
}

/*
 * Checks that k may make or verify signatures of type type (0x01 for note
 * signatures, 0x04 for cosignatures): a private key may do both, a key
 * made from a verifier key only its own type.  REG_EKEY otherwise.
 */
int
reg__key_check_use(const reg_key *k, uint8_t type, reg_error *err)
{
	if (k->use != 0 && k->use != type)
		return reg__fail(err, REG_EKEY, "key %s comes from a verifier "
		    "key of signature type %s, not %s", k->name,
		    type_name(k->use), type_name(type));
	return 0;
}

void
reg_key_public(const reg_key *k, uint8_t out[32])
{
	memcpy(out, k->pub, 32);
}

void
reg_key_free(reg_key *k)
{
	if (k == NULL)
		return;
	/* OpenSSL wipes the private key when it frees it. */
	EVP_PKEY_free(k->pkey);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/*
 * Signs msg with k's private key; sig receives the 64-byte Ed25519
 * signature.  REG_EKEY for a key without its private half.
 */
int
reg__key_sign(const reg_key *k, const uint8_t *msg, size_t len,
    uint8_t sig[64], reg_error *err)
{
	EVP_MD_CTX *md = NULL;
	size_t siglen = 64;
	int r = REG_EINTERNAL;

	if (!k->has_private)
		return reg__fail(err, REG_EKEY, "key %s has no private key to "
		    "sign with", k->name);
	md = EVP_MD_CTX_new();
	if (md == NULL) {
		r = reg__fail_ossl(err, REG_ENOMEM,
		    "cannot allocate a signing context");
		goto out;
	}
	if (EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, msg, len) != 1 || siglen != 64) {
		r = reg__fail_ossl(err, REG_ECRYPTO, "cannot sign");
		goto out;
	}
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

/*
 * Verifies the Ed25519 signature sig of msg by k.  Returns 0 when it holds,
 * REG_EVERIFY when it does not (a signature of the wrong length included).
 */
int
reg__key_verify(const reg_key *k, const uint8_t *msg, size_t len,
    const uint8_t *sig, size_t siglen, reg_error *err)
{
	EVP_MD_CTX *md = NULL;
	int v, r = REG_EINTERNAL;

	if (siglen != 64)
		return reg__fail(err, REG_EVERIFY, "signature by %s has %zu "
		    "bytes, not 64", k->name, siglen);
	md = EVP_MD_CTX_new();
	if (md == NULL) {
		r = reg__fail_ossl(err, REG_ENOMEM,
		    "cannot allocate a verification context");
		goto out;
	}
	if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, k->pkey) != 1) {
		r = reg__fail_ossl(err, REG_ECRYPTO, "cannot start verifying");
		goto out;
	}
	v = EVP_DigestVerify(md, sig, siglen, msg, len);
	if (v != 1) {
		/* A bad signature is 0, perhaps with an error queued. */
		ERR_clear_error();
		r = reg__fail(err, REG_EVERIFY, "signature by %s+%08x does not "
		    "verify", k->name, (unsigned)k->id);
		goto out;
	}
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}
