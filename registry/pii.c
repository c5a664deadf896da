/*
 * Encryption at rest of private persons' identifying data (name, address,
 * identity document, date of birth) for the registry's party records,
 * with AES-256-GCM.
 *
 * Blob, version 1 (integers big-endian):
 *
 *	byte 0			version, 1
 *	bytes 1-4		key id
 *	bytes 5-16		nonce, 12 random bytes
 *	bytes 17 to n-17	ciphertext, as long as the plaintext
 *	last 16 bytes		GCM tag
 *
 * The associated data is "registry-pii/v1" (15 bytes, no NUL), the version
 * byte, the key id (4 bytes) and the record id (16 bytes), so that a blob
 * opens only for the record it was sealed for, under the version and key it
 * names.
 *
 * The plaintext is a 32-byte random salt followed by each of the fields
 * name, address, id_document and birth_date, in that order, as a 4-byte
 * length and that many bytes (no NUL).
 *
 * The commitment is SHA-256("registry-pii-commitment/v1" || salt || the same
 * length-prefixed fields), that is, of the domain string (26 bytes, no NUL)
 * and the plaintext.  It is a salted hash commitment: it binds a record to
 * one person, yet tells nothing about the person to whoever lacks the salt,
 * which exists only inside the ciphertext.  Sealing the same person twice
 * gives two different commitments.
 *
 * A key file is text, at most 64 KiB, of lines
 *
 *	pii-key <8 lower-case hex key id> <64 lower-case hex AES-256 key>
 *
 * ending in a newline (the last one may lack it).  The first pii-key line
 * is the active key, which seals; the others only open what they sealed.
 * Lines starting with '#' and lines of nothing but spaces and tabs are
 * ignored; any other line, or a key id given twice, makes the whole file
 * refused.  Key ids are random and unique within the file.  The file must
 * be open to its owner only (mode 0600 or 0400).
 *
 * Nonces are random, so NIST SP 800-38D allows at most 2^32 seals under one
 * key; rotate keys long before that.  Rotations of one key file must not
 * run concurrently: the later rename would drop the earlier one's key.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/hex.h"
#include "common/utf8.h"
#include "registry_int.h"
#include "pii_int.h"

#define PII_VERSION 1
#define PII_KEY_LEN 32
#define PII_ID_LEN 4
#define PII_NONCE_LEN 12
#define PII_TAG_LEN 16
#define PII_SALT_LEN 32
#define PII_HDR_LEN (1 + PII_ID_LEN + PII_NONCE_LEN)
#define PII_AAD_PREFIX "registry-pii/v1"
#define PII_AAD_LEN (sizeof(PII_AAD_PREFIX) - 1 + 1 + PII_ID_LEN + 16)
#define PII_COMMIT_PREFIX "registry-pii-commitment/v1"
#define PII_NFIELDS 4

#define MEMBER_SIZE(t, m) sizeof(((t *)0)->m)

/* The shortest and longest plaintexts: salt and four lengths, then at most
 * each field's size less its NUL. */
#define PII_PT_MIN (PII_SALT_LEN + 4 * PII_NFIELDS)
#define PII_PT_MAX (PII_PT_MIN + \
	MEMBER_SIZE(struct reg_person, name) - 1 + \
	MEMBER_SIZE(struct reg_person, address) - 1 + \
	MEMBER_SIZE(struct reg_person, id_document) - 1 + \
	MEMBER_SIZE(struct reg_person, birth_date) - 1)
#define PII_BLOB_MIN (PII_HDR_LEN + PII_PT_MIN + PII_TAG_LEN)
#define PII_BLOB_MAX (PII_HDR_LEN + PII_PT_MAX + PII_TAG_LEN)

#define PII_FILE_MAX (64 * 1024)
#define PII_LINE_PREFIX "pii-key "
/* "pii-key ", 8 hex digits, a space, 64 hex digits. */
#define PII_LINE_LEN (sizeof(PII_LINE_PREFIX) - 1 + 2 * PII_ID_LEN + 1 + \
	2 * PII_KEY_LEN)
#define PII_FILE_HEADER \
	"# Keys that encrypt private persons' data in the registry.  The first\n" \
	"# pii-key line is the active key; keep the others to open what they\n" \
	"# sealed.  Keep this file mode 0600.\n"

/* The fields of a person, in the order the plaintext holds them. */
static const struct pii_field {
	const char *name;
	size_t off;
	size_t size;
} pii_fields[PII_NFIELDS] = {
	{ "name", offsetof(struct reg_person, name),
	    MEMBER_SIZE(struct reg_person, name) },
	{ "address", offsetof(struct reg_person, address),
	    MEMBER_SIZE(struct reg_person, address) },
	{ "id_document", offsetof(struct reg_person, id_document),
	    MEMBER_SIZE(struct reg_person, id_document) },
	{ "birth_date", offsetof(struct reg_person, birth_date),
	    MEMBER_SIZE(struct reg_person, birth_date) },
};

struct pii_key {
	uint32_t id;
	uint8_t key[PII_KEY_LEN];
};

struct reg_pii_keyring {
	size_t cap;		/* room in keys[] */
	size_t n;		/* keys held; keys[0] is the active one */
	struct pii_key keys[];
};


static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* ------------------------------------------------------------ persons */


/*
 * Checks one field: NUL-terminated within its size, valid UTF-8, no control
 * character (C0, DEL or C1).  Messages name the field, never its value, so
 * that no personal data reaches a log.
 */
static int
check_field(const struct pii_field *f, const char *s, reg_error *err)
{
	size_t len = strnlen(s, f->size);

	if (len == f->size)
		return reg__fail(err, REG_EINVAL,
		    "%s is longer than %zu bytes", f->name, f->size - 1);
	switch (cm_utf8_text(s, len, CM_UTF8_C0 | CM_UTF8_DEL_C1, NULL,
	    NULL)) {
	case 0:
		return 0;
	case CM_UTF8_EINVALID:
		return reg__fail(err, REG_EINVAL,
		    "%s is not valid UTF-8", f->name);
	default:
		return reg__fail(err, REG_EINVAL,
		    "%s holds a control character", f->name);
	}
}

static int
is_leap(int y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/*
 * Checks a birth date: empty, or YYYY-MM-DD naming a day of the Gregorian
 * calendar from 0001-01-01 to 9999-12-31.
 */
static int
check_date(const char *s, reg_error *err)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int y, m, d, i;

	if (*s == '\0')
		return 0;
	if (strlen(s) != 10)
		goto bad;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				goto bad;
		} else if (s[i] < '0' || s[i] > '9')
			goto bad;
	}
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1)
		goto bad;
	if (d > mdays[m - 1] + (m == 2 && is_leap(y)))
		goto bad;
	return 0;
bad:
	return reg__fail(err, REG_EINVAL,
	    "birth_date is not a calendar date YYYY-MM-DD");
}

int
reg__pii_check(const struct reg_person *p, reg_error *err)
{
	size_t i;
	int r;

	if (p == NULL)
		return reg__fail(err, REG_EINVAL, "no person");
	for (i = 0; i < PII_NFIELDS; i++) {
		r = check_field(&pii_fields[i],
		    (const char *)p + pii_fields[i].off, err);
		if (r != 0)
			return r;
	}
	if (p->name[0] == '\0')
		return reg__fail(err, REG_EINVAL, "name is empty");
	return check_date(p->birth_date, err);
}

/*
 * Writes the length-prefixed fields of p after the salt already at the
 * start of pt (PII_PT_MAX bytes).  p must have passed reg__pii_check().
 * Returns the plaintext's length.
 */
static size_t
encode_person(const struct reg_person *p, uint8_t *pt)
{
	const char *s;
	size_t pos = PII_SALT_LEN, len, i;

	for (i = 0; i < PII_NFIELDS; i++) {
		s = (const char *)p + pii_fields[i].off;
		len = strlen(s);
		REG_ASSERT(len < pii_fields[i].size);
		put32(pt + pos, (uint32_t)len);
		pos += 4;
		memcpy(pt + pos, s, len);
		pos += len;
	}
	REG_ASSERT(pos <= PII_PT_MAX);
	return pos;
}

/*
 * Reads the fields of a plaintext into *p, which must be zeroed.  Returns 0,
 * or -1 when the plaintext is not salt and four length-prefixed fields
 * within their sizes, without NUL bytes, and nothing after them.
 */
static int
decode_person(const uint8_t *pt, size_t ptlen, struct reg_person *p)
{
	char *dst;
	size_t pos = PII_SALT_LEN, len, i;

	if (ptlen < PII_SALT_LEN)
		return -1;
	for (i = 0; i < PII_NFIELDS; i++) {
		if (ptlen - pos < 4)
			return -1;
		len = get32(pt + pos);
		pos += 4;
		if (len >= pii_fields[i].size || len > ptlen - pos)
			return -1;
		if (memchr(pt + pos, '\0', len) != NULL)
			return -1;
		dst = (char *)p + pii_fields[i].off;
		memcpy(dst, pt + pos, len);
		dst[len] = '\0';
		pos += len;
	}
	return pos == ptlen ? 0 : -1;
}

/* The commitment to a plaintext: SHA-256 of the domain string and it. */
static int
commit(const uint8_t *pt, size_t ptlen, struct reg_hash *out, reg_error *err)
{
	EVP_MD_CTX *md = NULL;
	unsigned int hlen = 0;
	int r = REG_EINTERNAL;

	md = EVP_MD_CTX_new();
	if (md == NULL) {
		r = reg__fail_ossl(err, REG_ENOMEM, "cannot allocate a digest");
		goto out;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, PII_COMMIT_PREFIX,
	    sizeof(PII_COMMIT_PREFIX) - 1) != 1 ||
	    EVP_DigestUpdate(md, pt, ptlen) != 1 ||
	    EVP_DigestFinal_ex(md, out->b, &hlen) != 1 ||
	    hlen != sizeof(out->b)) {
		r = reg__fail_ossl(err, REG_ECRYPTO, "cannot compute the commitment");
		goto out;
	}
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

/* The associated data of a blob whose first PII_ID_LEN + 1 bytes are hdr. */
static void
make_aad(const uint8_t *hdr, const uint8_t record_id[16],
    uint8_t aad[PII_AAD_LEN])
{
	size_t plen = sizeof(PII_AAD_PREFIX) - 1;

	memcpy(aad, PII_AAD_PREFIX, plen);
	memcpy(aad + plen, hdr, 1 + PII_ID_LEN);
	memcpy(aad + plen + 1 + PII_ID_LEN, record_id, 16);
}

static const struct pii_key *
find_key(const reg_pii_keyring *kr, uint32_t id)
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		if (kr->keys[i].id == id)
			return &kr->keys[i];
	return NULL;
}

int
reg__pii_seal(const reg_pii_keyring *kr, const uint8_t record_id[16],
    const struct reg_person *p, uint8_t **blob, size_t *bloblen,
    struct reg_hash *commitment, reg_error *err)
{
	uint8_t pt[PII_PT_MAX], aad[PII_AAD_LEN];
	const struct pii_key *k;
	struct reg_hash c;
	EVP_CIPHER_CTX *cx = NULL;
	uint8_t *b = NULL, *ct;
	size_t ptlen = 0, blen;
	int n = 0, fin = 0, r = REG_EINTERNAL;

	if (blob != NULL)
		*blob = NULL;
	if (bloblen != NULL)
		*bloblen = 0;
	if (kr == NULL || record_id == NULL || p == NULL || blob == NULL ||
	    bloblen == NULL || commitment == NULL)
		return reg__fail(err, REG_EINVAL, "no keyring, record id, "
		    "person or place for the results");
	REG_ASSERT(kr->n > 0);
	k = &kr->keys[0];
	if ((r = reg__pii_check(p, err)) != 0)
		return r;

	if (RAND_priv_bytes(pt, PII_SALT_LEN) != 1) {
		r = reg__fail_ossl(err, REG_ECRYPTO, "cannot draw a salt");
		goto out;
	}
	ptlen = encode_person(p, pt);
	if ((r = commit(pt, ptlen, &c, err)) != 0)
		goto out;

	blen = PII_HDR_LEN + ptlen + PII_TAG_LEN;
	b = malloc(blen);
	if (b == NULL) {
		r = reg__fail(err, REG_ENOMEM, "cannot allocate a blob");
		goto out;
	}
	b[0] = PII_VERSION;
	put32(b + 1, k->id);
	if (RAND_bytes(b + 1 + PII_ID_LEN, PII_NONCE_LEN) != 1) {
		r = reg__fail_ossl(err, REG_ECRYPTO, "cannot draw a nonce");
		goto out;
	}
	make_aad(b, record_id, aad);
	ct = b + PII_HDR_LEN;

	cx = EVP_CIPHER_CTX_new();
	if (cx == NULL) {
		r = reg__fail_ossl(err, REG_ENOMEM, "cannot allocate a cipher");
		goto out;
	}
	if (EVP_EncryptInit_ex(cx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_IVLEN, PII_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_EncryptInit_ex(cx, NULL, NULL, k->key,
	    b + 1 + PII_ID_LEN) != 1 ||
	    EVP_EncryptUpdate(cx, NULL, &n, aad, (int)sizeof(aad)) != 1 ||
	    EVP_EncryptUpdate(cx, ct, &n, pt, (int)ptlen) != 1 ||
	    (size_t)n != ptlen ||
	    EVP_EncryptFinal_ex(cx, ct + n, &fin) != 1 || fin != 0 ||
	    EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_GET_TAG, PII_TAG_LEN,
	    ct + ptlen) != 1) {
		r = reg__fail_ossl(err, REG_ECRYPTO, "cannot encrypt");
		goto out;
	}
	*commitment = c;
	*blob = b;
	*bloblen = blen;
	b = NULL;	/* transferred */
	r = 0;
out:
	EVP_CIPHER_CTX_free(cx);
	OPENSSL_cleanse(pt, sizeof(pt));
	OPENSSL_cleanse(&c, sizeof(c));
	free(b);
	return r;
}

int
reg__pii_open(const reg_pii_keyring *kr, const uint8_t record_id[16],
    const uint8_t *blob, size_t bloblen, struct reg_person *p,
    struct reg_hash *commitment, reg_error *err)
{
	uint8_t pt[PII_PT_MAX], aad[PII_AAD_LEN];
	uint8_t tag[PII_TAG_LEN];
	const struct pii_key *k;
	struct reg_hash c;
	EVP_CIPHER_CTX *cx = NULL;
	size_t ctlen = 0;
	uint32_t id;
	int n = 0, fin = 0, ok = 0, r = REG_EINTERNAL;

	if (p != NULL)
		memset(p, 0, sizeof(*p));
	if (kr == NULL || record_id == NULL || blob == NULL || p == NULL)
		return reg__fail(err, REG_EINVAL,
		    "no keyring, record id, blob or place for the person");
	if (bloblen < PII_BLOB_MIN)
		return reg__fail(err, REG_EINVAL, "sealed personal data of "
		    "%zu bytes is shorter than %zu", bloblen,
		    (size_t)PII_BLOB_MIN);
	if (bloblen > PII_BLOB_MAX)
		return reg__fail(err, REG_EINVAL, "sealed personal data of "
		    "%zu bytes is longer than %zu", bloblen,
		    (size_t)PII_BLOB_MAX);
	if (blob[0] != PII_VERSION)
		return reg__fail(err, REG_EINVAL, "sealed personal data of "
		    "unknown version %u", blob[0]);
	id = get32(blob + 1);
	k = find_key(kr, id);
	if (k == NULL)
		return reg__fail(err, REG_EKEY, "personal data is sealed with "
		    "key %08x, which the keyring lacks", id);

	ctlen = bloblen - PII_HDR_LEN - PII_TAG_LEN;
	make_aad(blob, record_id, aad);
	/* The tag is copied because OpenSSL takes it through a non-const
	 * pointer. */
	memcpy(tag, blob + PII_HDR_LEN + ctlen, PII_TAG_LEN);
	cx = EVP_CIPHER_CTX_new();
	if (cx == NULL) {
		r = reg__fail_ossl(err, REG_ENOMEM, "cannot allocate a cipher");
		goto out;
	}
	if (EVP_DecryptInit_ex(cx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_IVLEN, PII_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(cx, NULL, NULL, k->key,
	    blob + 1 + PII_ID_LEN) != 1 ||
	    EVP_DecryptUpdate(cx, NULL, &n, aad, (int)sizeof(aad)) != 1 ||
	    EVP_DecryptUpdate(cx, pt, &n, blob + PII_HDR_LEN,
	    (int)ctlen) != 1 || (size_t)n != ctlen ||
	    EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_TAG, PII_TAG_LEN,
	    tag) != 1) {
		r = reg__fail_ossl(err, REG_ECRYPTO, "cannot decrypt");
		goto out;
	}
	/* Only the final step checks the tag; its failure is the data's. */
	ok = EVP_DecryptFinal_ex(cx, pt + n, &fin);
	ERR_clear_error();
	if (ok != 1 || fin != 0) {
		r = reg__fail(err, REG_EVERIFY, "sealed personal data does not "
		    "authenticate under key %08x for this record", id);
		goto out;
	}
	if (decode_person(pt, ctlen, p) != 0) {
		r = reg__fail(err, REG_EINVAL, "sealed personal data "
		    "authenticates but its fields are malformed");
		goto out;
	}
	if (commitment != NULL) {
		if ((r = commit(pt, ctlen, &c, err)) != 0)
			goto out;
		*commitment = c;
	}
	r = 0;
out:
	if (r != 0)
		OPENSSL_cleanse(p, sizeof(*p));
	EVP_CIPHER_CTX_free(cx);
	OPENSSL_cleanse(pt, sizeof(pt));
	OPENSSL_cleanse(&c, sizeof(c));
	return r;
}

/* ------------------------------------------------------------ key files */

void
reg__pii_keyring_free(reg_pii_keyring *kr)
{
	if (kr == NULL)
		return;
	OPENSSL_cleanse(kr, sizeof(*kr) + kr->cap * sizeof(kr->keys[0]));
	free(kr);
}




/* Whether the len bytes at s are only spaces and tabs. */
static int
is_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/*
 * Parses the text of a key file (len bytes at buf) into a keyring.  *first
 * (may be NULL) receives the offset of the first pii-key line.  Messages
 * give the line number and never the line, which may hold a key.
 */
static int
parse_keys(const char *path, const char *buf, size_t len,
    reg_pii_keyring **out, size_t *first, reg_error *err)
{
	reg_pii_keyring *kr = NULL;
	struct pii_key *k;
	const char *line, *eol, *end = buf + len;
	uint8_t idb[PII_ID_LEN];
	size_t cap = 1, llen, i;
	unsigned lineno = 0;
	int r = REG_EINTERNAL;

	*out = NULL;
	if (memchr(buf, '\0', len) != NULL)
		return reg__fail(err, REG_EKEY, "key file %s holds a NUL byte",
		    path);
	/* No more keys than lines. */
	for (i = 0; i < len; i++)
		if (buf[i] == '\n')
			cap++;
	kr = calloc(1, sizeof(*kr) + cap * sizeof(kr->keys[0]));
	if (kr == NULL) {
		r = reg__fail(err, REG_ENOMEM, "cannot allocate a keyring");
		goto out;
	}
	kr->cap = cap;
	for (line = buf; line < end; line = eol + 1) {
		lineno++;
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		llen = (size_t)(eol - line);
		if (line[0] == '#' || is_blank(line, llen))
			continue;
		REG_ASSERT(kr->n < kr->cap);
		k = &kr->keys[kr->n];
		if (llen != PII_LINE_LEN ||
		    memcmp(line, PII_LINE_PREFIX,
		    sizeof(PII_LINE_PREFIX) - 1) != 0 ||
		    cm_hex_decode(line + sizeof(PII_LINE_PREFIX) - 1,
		    2 * PII_ID_LEN, idb, 0) != 0 ||
		    line[sizeof(PII_LINE_PREFIX) - 1 + 2 * PII_ID_LEN] != ' ' ||
		    cm_hex_decode(line + PII_LINE_LEN - 2 * PII_KEY_LEN,
		    2 * PII_KEY_LEN, k->key, 0) != 0) {
			r = reg__fail(err, REG_EKEY, "%s:%u: not a comment or "
			    "a line \"pii-key <8 lower-case hex id> <64 "
			    "lower-case hex key>\"", path, lineno);
			goto out;
		}
		k->id = get32(idb);
		if (find_key(kr, k->id) != NULL) {
			r = reg__fail(err, REG_EKEY, "%s:%u: key id %08x "
			    "given twice", path, lineno, k->id);
			goto out;
		}
		if (kr->n == 0 && first != NULL)
			*first = (size_t)(line - buf);
		kr->n++;
	}
	if (kr->n == 0) {
		r = reg__fail(err, REG_EKEY, "key file %s holds no key", path);
		goto out;
	}
	*out = kr;
	kr = NULL;	/* transferred */
	r = 0;
out:
	reg__pii_keyring_free(kr);
	return r;
}

int
reg__pii_keyring_load(const char *path, reg_pii_keyring **out,
    reg_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int r = REG_EINTERNAL;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || *path == '\0' || out == NULL)
		return reg__fail(err, REG_EINVAL, "no key file");
	if ((r = reg__read_secret_file(path, PII_FILE_MAX,
	    REG__SECRET_PRIVATE, &buf, &len, NULL, err)) != 0)
		goto out;
	if ((r = parse_keys(path, buf, len, out, NULL, err)) != 0)
		goto out;
	r = 0;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return r;
}


/*
 * Replaces path by a file of len bytes of text, mode 0600, with the owner
 * and group of old (the status of the file replaced), so that a rotation
 * run as root leaves the file to the account that uses it.  Writes a
 * temporary file in the same folder, syncs it and renames it over path, so
 * that a crash leaves either the old file or the new one.
 */
static int
replace_key_file(const char *path, const char *text, size_t len,
    const struct stat *old, reg_error *err)
{
	static const char suffix[] = ".tmp.XXXXXX";
	char *tmp = NULL;
	size_t plen = strlen(path);
	int fd = -1, made = 0, r = REG_EINTERNAL;

	tmp = malloc(plen + sizeof(suffix));
	if (tmp == NULL) {
		r = reg__fail(err, REG_ENOMEM, "cannot allocate a path");
		goto out;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, suffix, sizeof(suffix));
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = reg__fail(err, REG_EIO, "cannot create a temporary file "
		    "beside %s: %s", path, strerror(errno));
		goto out;
	}
	made = 1;
	if ((old->st_uid != geteuid() || old->st_gid != getegid()) &&
	    fchown(fd, old->st_uid, old->st_gid) != 0) {
		r = reg__fail(err, REG_EIO, "cannot give %s the owner and group "
		    "of %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || fchmod(fd, 0600) != 0 ||
	    reg__write_all(fd, text, len) != 0 || fsync(fd) != 0) {
		r = reg__fail(err, REG_EIO, "cannot write %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = reg__fail(err, REG_EIO, "cannot write %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		r = reg__fail(err, REG_EIO, "cannot rename %s to %s: %s", tmp,
		    path, strerror(errno));
		goto out;
	}
	made = 0;	/* it is path now */
	r = reg__sync_folder(path, err);
out:
	if (fd >= 0)
		close(fd);
	if (made)
		unlink(tmp);
	free(tmp);
	return r;
}

int
reg__pii_keygen(const char *path, int rotate, uint32_t *id, reg_error *err)
{
	reg_pii_keyring *kr = NULL;
	struct stat st;
	char line[PII_LINE_LEN + 2], hex[2 * PII_KEY_LEN + 1];
	char *old = NULL, *text = NULL;
	uint8_t key[PII_KEY_LEN], idb[PII_ID_LEN];
	size_t oldlen = 0, first = 0, textlen = 0, hlen;
	uint32_t newid;
	int n, r = REG_EINTERNAL;

	if (id != NULL)
		*id = 0;
	if (path == NULL || *path == '\0')
		return reg__fail(err, REG_EINVAL, "no key file");
	if (rotate) {
		if ((r = reg__read_secret_file(path, PII_FILE_MAX,
		    REG__SECRET_NOFOLLOW | REG__SECRET_PRIVATE, &old, &oldlen, &st, err)) != 0)
			goto out;
		if ((r = parse_keys(path, old, oldlen, &kr, &first, err)) != 0)
			goto out;
	}
	if (RAND_priv_bytes(key, sizeof(key)) != 1) {
		r = reg__fail_ossl(err, REG_ECRYPTO, "cannot draw a key");
		goto out;
	}
	/* A new id, unlike any the file holds. */
	do {
		if (RAND_bytes(idb, sizeof(idb)) != 1) {
			r = reg__fail_ossl(err, REG_ECRYPTO, "cannot draw a key id");
			goto out;
		}
		newid = get32(idb);
	} while (kr != NULL && find_key(kr, newid) != NULL);
	cm_hex_encode(key, sizeof(key), hex);
	n = snprintf(line, sizeof(line), "%s%08x %s\n", PII_LINE_PREFIX,
	    (unsigned)newid, hex);
	REG_ASSERT(n == (int)PII_LINE_LEN + 1);

	/* The new line goes first, before the first key of a rotated file,
	 * after the comments that open it. */
	hlen = rotate ? 0 : sizeof(PII_FILE_HEADER) - 1;
	textlen = hlen + oldlen + PII_LINE_LEN + 1;
	if (textlen > PII_FILE_MAX) {
		r = reg__fail(err, REG_ETOOBIG, "key file %s would grow over "
		    "%d bytes; remove keys no record uses", path, PII_FILE_MAX);
		goto out;
	}
	text = malloc(textlen);
	if (text == NULL) {
		r = reg__fail(err, REG_ENOMEM, "cannot allocate a buffer");
		goto out;
	}
	if (rotate) {
		memcpy(text, old, first);
		memcpy(text + first, line, PII_LINE_LEN + 1);
		memcpy(text + first + PII_LINE_LEN + 1, old + first,
		    oldlen - first);
		r = replace_key_file(path, text, textlen, &st, err);
	} else {
		memcpy(text, PII_FILE_HEADER, hlen);
		memcpy(text + hlen, line, PII_LINE_LEN + 1);
		r = reg__create_secret_file(path, text, textlen, err);
	}
	if (r != 0)
		goto out;
	if (id != NULL)
		*id = newid;
	r = 0;
out:
	reg__pii_keyring_free(kr);
	if (old != NULL) {
		OPENSSL_cleanse(old, oldlen);
		free(old);
	}
	if (text != NULL) {
		OPENSSL_cleanse(text, textlen);
		free(text);
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	OPENSSL_cleanse(line, sizeof(line));
	return r;
}
