/*
 * Tests of the encryption at rest of private persons' data (registry/pii.c).
 * No database.  A blob is also opened by a reference written here straight
 * from the format described at the top of pii.c, on OpenSSL's EVP calls,
 * so that the documented format, and not only the round trip, is checked.
 * Every verifier is mutated: each bit flip and truncation of a blob, each
 * bit of the record id, a key id swapped for another of the same key.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>

#include "registry/registry.h"
#include "pii_int.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The format, restated from pii.c's header comment. */
#define HDR_LEN 17
#define TAG_LEN 16
#define SALT_LEN 32
#define BLOB_MIN (HDR_LEN + SALT_LEN + 16 + TAG_LEN)
#define BLOB_MAX (BLOB_MIN + 3 * (REG_PII_FIELD_MAX - 1) + 15)

/* Two keys of known value, and ids for them. */
#define KEY_A "000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f"
#define KEY_B "f0e0d0c0b0a090807060504030201000" \
	"ffeeddccbbaa99887766554433221100"
#define ID_A 0x0a0b0c0du
#define ID_B 0xdeadbeefu
#define LINE_A "pii-key 0a0b0c0d " KEY_A "\n"
#define LINE_B "pii-key deadbeef " KEY_B "\n"

static const uint8_t rec1[16] = {
	0x1b, 0x4e, 0x28, 0xba, 0x2f, 0xa1, 0x11, 0xd2,
	0x88, 0x3f, 0xb9, 0xa7, 0x61, 0xbd, 0xe3, 0xfb
};
static const uint8_t rec2[16] = {
	0x1b, 0x4e, 0x28, 0xba, 0x2f, 0xa1, 0x11, 0xd2,
	0x88, 0x3f, 0xb9, 0xa7, 0x61, 0xbd, 0xe3, 0xfc
};

/* ------------------------------------------------------------ helpers */

/* A temporary folder per test case, made and removed in the parent. */
static char tmpdir[PATH_MAX];

static void
tmpdir_setup(void)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/check_pii.XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", tmpdir, strerror(errno));
		abort();
	}
}

/* Removes a folder and everything under it, without following links. */
static void
remove_tree(const char *dir)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	char path[PATH_MAX];

	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "cannot open %s: %s\n", dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(path))
			continue;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(path);
		else if (unlink(path) != 0)
			fprintf(stderr, "cannot remove %s: %s\n", path,
			    strerror(errno));
	}
	closedir(d);
	if (rmdir(dir) != 0)
		fprintf(stderr, "cannot remove %s: %s\n", dir, strerror(errno));
}

static void
tmpdir_teardown(void)
{
	remove_tree(tmpdir);
}

/* The path of name in the temporary folder, in buf. */
static const char *
tmp_path(char buf[PATH_MAX], const char *name)
{
	int n;

	n = snprintf(buf, PATH_MAX, "%s/%s", tmpdir, name);
	ck_assert(n > 0 && n < PATH_MAX);
	return buf;
}

/* Writes len bytes to a new or emptied file of the given mode. */
static void
write_file_len(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_msg(fd >= 0, "cannot create %s: %s", path, strerror(errno));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	write_file_len(path, text, strlen(text), mode);
}

/* The whole of a file, NUL-terminated; free() it. */
static char *
read_file(const char *path)
{
	FILE *f;
	char *buf;
	size_t n;

	buf = malloc(65536);
	ck_assert_ptr_nonnull(buf);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	n = fread(buf, 1, 65535, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static mode_t
file_mode(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "cannot stat %s", path);
	return st.st_mode & 07777;
}

/* The number of entries in the temporary folder. */
static int
count_files(void)
{
	DIR *d;
	struct dirent *e;
	int n = 0;

	d = opendir(tmpdir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Writes a key file of the given text and mode and loads it. */
static reg_pii_keyring *
keyring_from(const char *name, const char *text)
{
	char path[PATH_MAX];
	reg_pii_keyring *kr = NULL;
	reg_error err = REG_ERROR_INIT;
	int r;

	write_file(tmp_path(path, name), text, 0600);
	r = reg__pii_keyring_load(path, &kr, &err);
	ck_assert_msg(r == 0, "load %s: %d %s", name, r, err.message);
	ck_assert_ptr_nonnull(kr);
	return kr;
}

static void
set_person(struct reg_person *p, const char *name, const char *address,
    const char *doc, const char *date)
{
	memset(p, 0, sizeof(*p));
	ck_assert_uint_lt(strlen(name), sizeof(p->name));
	ck_assert_uint_lt(strlen(address), sizeof(p->address));
	ck_assert_uint_lt(strlen(doc), sizeof(p->id_document));
	ck_assert_uint_lt(strlen(date), sizeof(p->birth_date));
	strcpy(p->name, name);
	strcpy(p->address, address);
	strcpy(p->id_document, doc);
	strcpy(p->birth_date, date);
}

static void
assert_same_person(const struct reg_person *a, const struct reg_person *b)
{
	ck_assert_str_eq(a->name, b->name);
	ck_assert_str_eq(a->address, b->address);
	ck_assert_str_eq(a->id_document, b->id_document);
	ck_assert_str_eq(a->birth_date, b->birth_date);
}

static int
person_is_empty(const struct reg_person *p)
{
	static const struct reg_person zero;

	return memcmp(p, &zero, sizeof(zero)) == 0;
}

/* Seals p for record rec, failing the test on error. */
static void
seal_ok(const reg_pii_keyring *kr, const uint8_t rec[16],
    const struct reg_person *p, uint8_t **blob, size_t *len,
    struct reg_hash *c)
{
	reg_error err = REG_ERROR_INIT;
	int r;

	r = reg__pii_seal(kr, rec, p, blob, len, c, &err);
	ck_assert_msg(r == 0, "seal: %d %s", r, err.message);
	ck_assert_ptr_nonnull(*blob);
}

/* Opens a blob, returning the code; on failure, checks that err has it and
 * that nothing of the person is left. */
static int
open_code(const reg_pii_keyring *kr, const uint8_t rec[16],
    const uint8_t *blob, size_t len, struct reg_person *p,
    struct reg_hash *c, reg_error *err)
{
	int r;

	reg_error_clear(err);
	memset(p, 'Z', sizeof(*p));
	r = reg__pii_open(kr, rec, blob, len, p, c, err);
	if (r != 0) {
		ck_assert_int_eq(err->code, r);
		ck_assert_msg(person_is_empty(p), "a failed open left data");
	}
	return r;
}

static uint32_t
blob_key_id(const uint8_t *b)
{
	return (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 8 | b[4];
}

static void
hex_to_bytes(const char *hex, uint8_t *out, size_t len)
{
	unsigned v;
	size_t i;

	for (i = 0; i < len; i++) {
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/*
 * The reference: opens a version-1 blob with the raw key by the format
 * alone.  Returns 0 and the plaintext, or -1 if it does not authenticate.
 */
static int
ref_open(const char *keyhex, const uint8_t rec[16], const uint8_t *b,
    size_t len, uint8_t *pt, size_t *ptlen)
{
	uint8_t key[32], aad[15 + 5 + 16], tag[TAG_LEN];
	EVP_CIPHER_CTX *cx;
	size_t ctlen;
	int n = 0, fin = 0, ok;

	ck_assert_uint_ge(len, HDR_LEN + TAG_LEN);
	hex_to_bytes(keyhex, key, sizeof(key));
	memcpy(aad, "registry-pii/v1", 15);
	memcpy(aad + 15, b, 5);
	memcpy(aad + 20, rec, 16);
	ctlen = len - HDR_LEN - TAG_LEN;
	memcpy(tag, b + len - TAG_LEN, TAG_LEN);
	cx = EVP_CIPHER_CTX_new();
	ck_assert_ptr_nonnull(cx);
	ok = EVP_DecryptInit_ex(cx, EVP_aes_256_gcm(), NULL, key, b + 5) == 1 &&
	    EVP_CIPHER_CTX_get_iv_length(cx) == 12 &&
	    EVP_DecryptUpdate(cx, NULL, &n, aad, (int)sizeof(aad)) == 1 &&
	    EVP_DecryptUpdate(cx, pt, &n, b + HDR_LEN, (int)ctlen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1 &&
	    EVP_DecryptFinal_ex(cx, pt + n, &fin) == 1;
	EVP_CIPHER_CTX_free(cx);
	*ptlen = ctlen;
	return ok ? 0 : -1;
}

/*
 * The reference sealer: a version-1 blob of any plaintext, under the raw
 * key with the given id, with a zero nonce (tests only).  free() *out.
 */
static void
ref_seal(const char *keyhex, uint32_t id, const uint8_t rec[16],
    const uint8_t *pt, size_t ptlen, uint8_t **out, size_t *outlen)
{
	uint8_t key[32], aad[15 + 5 + 16], *b;
	EVP_CIPHER_CTX *cx;
	int n = 0, fin = 0, ok;

	hex_to_bytes(keyhex, key, sizeof(key));
	b = calloc(1, HDR_LEN + ptlen + TAG_LEN);
	ck_assert_ptr_nonnull(b);
	b[0] = 1;
	b[1] = (uint8_t)(id >> 24);
	b[2] = (uint8_t)(id >> 16);
	b[3] = (uint8_t)(id >> 8);
	b[4] = (uint8_t)id;
	memcpy(aad, "registry-pii/v1", 15);
	memcpy(aad + 15, b, 5);
	memcpy(aad + 20, rec, 16);
	cx = EVP_CIPHER_CTX_new();
	ck_assert_ptr_nonnull(cx);
	ok = EVP_EncryptInit_ex(cx, EVP_aes_256_gcm(), NULL, key, b + 5) == 1 &&
	    EVP_EncryptUpdate(cx, NULL, &n, aad, (int)sizeof(aad)) == 1 &&
	    EVP_EncryptUpdate(cx, b + HDR_LEN, &n, pt, (int)ptlen) == 1 &&
	    EVP_EncryptFinal_ex(cx, b + HDR_LEN + n, &fin) == 1 &&
	    EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    b + HDR_LEN + ptlen) == 1;
	EVP_CIPHER_CTX_free(cx);
	ck_assert(ok);
	*out = b;
	*outlen = HDR_LEN + ptlen + TAG_LEN;
}

/* Appends a 4-byte length and the bytes of s. */
static size_t
put_field(uint8_t *out, const char *s)
{
	size_t len = strlen(s);

	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, s, len);
	return 4 + len;
}

/*
 * Whether the n bytes of needle occur in the len bytes of hay.  This is
 * memmem(), which glibc (2.36 at least) declares only under _GNU_SOURCE; the
 * slow search is plenty for blobs of a few kilobytes.
 */
static int
contains(const uint8_t *hay, size_t len, const char *needle, size_t n)
{
	size_t i;

	ck_assert_uint_gt(n, 0);
	for (i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ persons */

/* Persons that must go through a round trip unchanged. */
static const struct {
	const char *name, *address, *doc, *date;
} persons[] = {
	{ "Maria Rossi", "Via Roma 1, 00100 Roma", "CA12345AB", "1980-05-17" },
	{ "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m", "Stra\xc3\x9f" "e 9, K\xc3\xb6ln",
	    "P-\xe6\x9d\xb1\xe4\xba\xac-7", "2000-02-29" },
	{ "\xf0\x9f\x98\x80 Emoji Name", "", "", "" },
	{ "A", "", "X1", "0001-01-01" },
	{ "Jean-Luc d'Arc", "1 rue \"Quote\" #5", "", "9999-12-31" },
};

START_TEST(test_roundtrip)
{
	reg_pii_keyring *kr;
	struct reg_person in, out;
	struct reg_hash c1, c2;
	reg_error err = REG_ERROR_INIT;
	uint8_t *blob = NULL;
	size_t len = 0;
	char name[32];
	int r;

	snprintf(name, sizeof(name), "rt%d.keys", _i);
	kr = keyring_from(name, LINE_A);
	set_person(&in, persons[_i].name, persons[_i].address, persons[_i].doc,
	    persons[_i].date);
	seal_ok(kr, rec1, &in, &blob, &len, &c1);
	ck_assert_uint_eq(len, BLOB_MIN + strlen(in.name) + strlen(in.address) +
	    strlen(in.id_document) + strlen(in.birth_date));
	r = open_code(kr, rec1, blob, len, &out, &c2, &err);
	ck_assert_msg(r == 0, "open: %d %s", r, err.message);
	assert_same_person(&in, &out);
	ck_assert_mem_eq(c1.b, c2.b, 32);
	free(blob);
	reg__pii_keyring_free(kr);
}
END_TEST

/* Fields of the greatest length, 1023 bytes, with multi-byte characters. */
START_TEST(test_roundtrip_longest)
{
	reg_pii_keyring *kr;
	struct reg_person in, out;
	struct reg_hash c1, c2;
	reg_error err = REG_ERROR_INIT;
	uint8_t *blob = NULL;
	size_t len = 0, i;
	int r;

	kr = keyring_from("longest.keys", LINE_A);
	memset(&in, 0, sizeof(in));
	/* 341 three-byte characters make 1023 bytes. */
	for (i = 0; i < 341; i++)
		memcpy(in.name + 3 * i, "\xe2\x82\xac", 3);
	memset(in.address, 'a', REG_PII_FIELD_MAX - 1);
	memset(in.id_document, 'd', REG_PII_FIELD_MAX - 1);
	strcpy(in.birth_date, "1969-07-20");
	seal_ok(kr, rec1, &in, &blob, &len, &c1);
	ck_assert_uint_eq(len, BLOB_MAX - 5);
	r = open_code(kr, rec1, blob, len, &out, &c2, &err);
	ck_assert_msg(r == 0, "open: %d %s", r, err.message);
	assert_same_person(&in, &out);
	ck_assert_mem_eq(c1.b, c2.b, 32);
	free(blob);
	reg__pii_keyring_free(kr);
}
END_TEST

/* The blob, AAD, plaintext and commitment are as documented. */
START_TEST(test_format)
{
	reg_pii_keyring *kr;
	struct reg_person in;
	struct reg_hash c;
	uint8_t *blob = NULL, pt[4096], want[4096], h[32];
	size_t len = 0, ptlen = 0, wlen;
	unsigned hlen = 0;
	EVP_MD_CTX *md;

	kr = keyring_from("format.keys", LINE_A LINE_B);
	set_person(&in, "Maria Rossi", "Via Roma 1", "CA12345AB",
	    "1980-05-17");
	seal_ok(kr, rec1, &in, &blob, &len, &c);
	ck_assert_int_eq(blob[0], 1);
	ck_assert_uint_eq(blob_key_id(blob), ID_A);
	ck_assert_int_eq(ref_open(KEY_A, rec1, blob, len, pt, &ptlen), 0);
	ck_assert_int_ne(ref_open(KEY_A, rec2, blob, len, pt, &ptlen), 0);
	ck_assert_int_ne(ref_open(KEY_B, rec1, blob, len, pt, &ptlen), 0);
	ck_assert_int_eq(ref_open(KEY_A, rec1, blob, len, pt, &ptlen), 0);

	/* Salt, then the length-prefixed fields in order. */
	memcpy(want, pt, SALT_LEN);
	wlen = SALT_LEN;
	wlen += put_field(want + wlen, in.name);
	wlen += put_field(want + wlen, in.address);
	wlen += put_field(want + wlen, in.id_document);
	wlen += put_field(want + wlen, in.birth_date);
	ck_assert_uint_eq(ptlen, wlen);
	ck_assert_mem_eq(pt, want, wlen);

	/* The commitment: SHA-256 of the domain string, salt and fields. */
	md = EVP_MD_CTX_new();
	ck_assert_ptr_nonnull(md);
	ck_assert_int_eq(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	ck_assert_int_eq(EVP_DigestUpdate(md, "registry-pii-commitment/v1",
	    26), 1);
	ck_assert_int_eq(EVP_DigestUpdate(md, pt, ptlen), 1);
	ck_assert_int_eq(EVP_DigestFinal_ex(md, h, &hlen), 1);
	EVP_MD_CTX_free(md);
	ck_assert_uint_eq(hlen, 32);
	ck_assert_mem_eq(c.b, h, 32);

	/* The salt is not zero, and unsalted hashing is not what is done. */
	memset(want, 0, SALT_LEN);
	ck_assert_int_ne(memcmp(pt, want, SALT_LEN), 0);
	free(blob);
	reg__pii_keyring_free(kr);
}
END_TEST

/* A 4-byte big-endian length. */
static size_t
put_len(uint8_t *out, uint32_t len)
{
	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	return 4;
}

/*
 * Plaintexts that authenticate but are not salt and four fields within
 * their limits are refused as malformed; the well-formed one made the same
 * way opens, so the reference sealer is right.
 */
enum {
	PT_GOOD, PT_TRAILING, PT_NAME_TOO_LONG, PT_DATE_TOO_LONG, PT_NUL,
	PT_LEN_PAST_END, PT_LEN_HUGE, PT_THREE_FIELDS, PT_COUNT
};

START_TEST(test_malformed_plaintext)
{
	reg_pii_keyring *kr;
	struct reg_person out;
	struct reg_hash c;
	reg_error err = REG_ERROR_INIT;
	uint8_t pt[4096], *blob = NULL;
	size_t n = 0, len = 0;
	int r;

	kr = keyring_from("forged.keys", LINE_A);
	memset(pt, 0x5a, SALT_LEN);
	n = SALT_LEN;
	switch (_i) {
	case PT_NAME_TOO_LONG:
		n += put_len(pt + n, REG_PII_FIELD_MAX);
		memset(pt + n, 'a', REG_PII_FIELD_MAX);
		n += REG_PII_FIELD_MAX;
		break;
	case PT_NUL:
		n += put_field(pt + n, "Maria");
		pt[n - 3] = '\0';
		break;
	case PT_LEN_PAST_END:
		n += put_len(pt + n, 100);
		n += put_field(pt + n, "Maria");
		break;
	case PT_LEN_HUGE:
		n += put_len(pt + n, 0xffffffffu);
		n += put_field(pt + n, "Maria");
		break;
	default:
		n += put_field(pt + n, "Maria");
		break;
	}
	n += put_field(pt + n, "Via Roma 1");
	if (_i == PT_THREE_FIELDS) {
		n += put_field(pt + n, "");
	} else {
		n += put_field(pt + n, "CA12345AB");
		if (_i == PT_DATE_TOO_LONG)
			n += put_field(pt + n, "1980-05-17T00:00");
		else
			n += put_field(pt + n, "1980-05-17");
	}
	if (_i == PT_TRAILING)
		pt[n++] = 0;
	ref_seal(KEY_A, ID_A, rec1, pt, n, &blob, &len);
	r = open_code(kr, rec1, blob, len, &out, &c, &err);
	if (_i == PT_GOOD) {
		ck_assert_msg(r == 0, "%d %s", r, err.message);
		ck_assert_str_eq(out.name, "Maria");
		ck_assert_str_eq(out.birth_date, "1980-05-17");
	} else {
		ck_assert_msg(r == REG_EINVAL, "case %d: %d %s", _i, r,
		    err.message);
	}
	free(blob);
	reg__pii_keyring_free(kr);
}
END_TEST

START_TEST(test_commitment)
{
	reg_pii_keyring *kr;
	struct reg_person in, out;
	struct reg_hash s1, s2, o1, o1b, o2;
	reg_error err = REG_ERROR_INIT;
	uint8_t *b1 = NULL, *b2 = NULL;
	size_t l1 = 0, l2 = 0;

	kr = keyring_from("commit.keys", LINE_A);
	set_person(&in, "Maria Rossi", "Via Roma 1", "CA12345AB",
	    "1980-05-17");
	seal_ok(kr, rec1, &in, &b1, &l1, &s1);
	seal_ok(kr, rec1, &in, &b2, &l2, &s2);

	/* Fresh salt and nonce: the same person seals differently. */
	ck_assert_uint_eq(l1, l2);
	ck_assert_int_ne(memcmp(s1.b, s2.b, 32), 0);
	ck_assert_int_ne(memcmp(b1, b2, l1), 0);
	ck_assert_int_ne(memcmp(b1 + 5, b2 + 5, 12), 0);

	/* Opening recomputes the commitment stored at sealing, each time. */
	ck_assert_int_eq(open_code(kr, rec1, b1, l1, &out, &o1, &err), 0);
	ck_assert_int_eq(open_code(kr, rec1, b1, l1, &out, &o1b, &err), 0);
	ck_assert_int_eq(open_code(kr, rec1, b2, l2, &out, &o2, &err), 0);
	ck_assert_mem_eq(o1.b, s1.b, 32);
	ck_assert_mem_eq(o1b.b, s1.b, 32);
	ck_assert_mem_eq(o2.b, s2.b, 32);

	/* The commitment may be left out. */
	ck_assert_int_eq(open_code(kr, rec1, b1, l1, &out, NULL, &err), 0);
	assert_same_person(&in, &out);
	free(b1);
	free(b2);
	reg__pii_keyring_free(kr);
}
END_TEST

/* No field of the person appears in the blob. */
START_TEST(test_no_plaintext)
{
	reg_pii_keyring *kr;
	struct reg_person in;
	struct reg_hash c;
	uint8_t *blob = NULL;
	size_t len = 0;
	int i;

	kr = keyring_from("plain.keys", LINE_A);
	for (i = 0; i < 50; i++) {
		set_person(&in, "Giuseppe Verdi", "Via Roma 1, 00100 Roma",
		    "CA12345AB", "1813-10-10");
		seal_ok(kr, rec1, &in, &blob, &len, &c);
		ck_assert(!contains(blob, len, in.name,
		    strlen(in.name)));
		ck_assert(!contains(blob, len, in.address,
		    strlen(in.address)));
		ck_assert(!contains(blob, len, in.id_document,
		    strlen(in.id_document)));
		ck_assert(!contains(blob, len, in.birth_date,
		    strlen(in.birth_date)));
		/* Not even a short piece of the name. */
		ck_assert(!contains(blob, len, "Verdi", 5));
		free(blob);
		blob = NULL;
	}
	reg__pii_keyring_free(kr);
}
END_TEST

/* ------------------------------------------------------------ tampering */

START_TEST(test_wrong_record)
{
	reg_pii_keyring *kr;
	struct reg_person in, out;
	struct reg_hash c;
	reg_error err = REG_ERROR_INIT;
	uint8_t *blob = NULL, rec[16];
	size_t len = 0, i;
	int r;

	kr = keyring_from("record.keys", LINE_A);
	set_person(&in, "Maria Rossi", "Via Roma 1", "CA12345AB", "");
	seal_ok(kr, rec1, &in, &blob, &len, &c);
	r = open_code(kr, rec2, blob, len, &out, &c, &err);
	ck_assert_int_eq(r, REG_EVERIFY);
	/* Every bit of the record id counts. */
	for (i = 0; i < 128; i++) {
		memcpy(rec, rec1, 16);
		rec[i / 8] ^= (uint8_t)(1u << (i % 8));
		r = open_code(kr, rec, blob, len, &out, &c, &err);
		ck_assert_msg(r == REG_EVERIFY, "record bit %zu: %d", i, r);
	}
	ck_assert_int_eq(open_code(kr, rec1, blob, len, &out, &c, &err), 0);
	free(blob);
	reg__pii_keyring_free(kr);
}
END_TEST

/*
 * Every single-bit flip is refused: the version byte as malformed, the key
 * id as a key the keyring lacks, anything else as failing authentication.
 */
START_TEST(test_bit_flips)
{
	reg_pii_keyring *kr;
	struct reg_person in, out;
	struct reg_hash c;
	reg_error err = REG_ERROR_INIT;
	uint8_t *blob = NULL, *m;
	size_t len = 0, i;
	int bit, r, want;

	kr = keyring_from("flips.keys", LINE_A);
	set_person(&in, "Maria Rossi", "Via Roma 1", "CA12345AB",
	    "1980-05-17");
	seal_ok(kr, rec1, &in, &blob, &len, &c);
	m = malloc(len);
	ck_assert_ptr_nonnull(m);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(m, blob, len);
			m[i] ^= (uint8_t)(1u << bit);
			want = i == 0 ? REG_EINVAL :
			    i <= 4 ? REG_EKEY : REG_EVERIFY;
			r = open_code(kr, rec1, m, len, &out, &c, &err);
			ck_assert_msg(r == want, "byte %zu bit %d: %d, not %d",
			    i, bit, r, want);
		}
	}
	free(m);
	free(blob);
	reg__pii_keyring_free(kr);
}
END_TEST

START_TEST(test_truncation_extension)
{
	reg_pii_keyring *kr;
	struct reg_person in, out;
	struct reg_hash c;
	reg_error err = REG_ERROR_INIT;
	uint8_t *blob = NULL, *m;
	size_t len = 0, i;
	int r;

	kr = keyring_from("trunc.keys", LINE_A);
	set_person(&in, "Maria Rossi", "Via Roma 1", "CA12345AB",
	    "1980-05-17");
	seal_ok(kr, rec1, &in, &blob, &len, &c);
	for (i = 0; i < len; i++) {
		r = open_code(kr, rec1, blob, i, &out, &c, &err);
		ck_assert_msg(r == (i < BLOB_MIN ? REG_EINVAL : REG_EVERIFY),
		    "truncated to %zu: %d", i, r);
	}
	/* Without its first bytes. */
	for (i = 1; i < len; i++) {
		r = open_code(kr, rec1, blob + i, len - i, &out, &c, &err);
		ck_assert_msg(r != 0, "without %zu first bytes: %d", i, r);
	}
	m = calloc(1, BLOB_MAX + 2);
	ck_assert_ptr_nonnull(m);
	memcpy(m, blob, len);
	for (i = len + 1; i <= len + 40; i++) {
		r = open_code(kr, rec1, m, i, &out, &c, &err);
		ck_assert_msg(r == REG_EVERIFY, "extended to %zu: %d", i, r);
	}
	r = open_code(kr, rec1, m, BLOB_MAX + 1, &out, &c, &err);
	ck_assert_int_eq(r, REG_EINVAL);
	r = open_code(kr, rec1, m, BLOB_MAX + 2, &out, &c, &err);
	ck_assert_int_eq(r, REG_EINVAL);
	ck_assert_int_eq(open_code(kr, rec1, blob, len, &out, &c, &err), 0);
	free(m);
	free(blob);
	reg__pii_keyring_free(kr);
}
END_TEST

/*
 * The key id is bound too: with two ids for the same key bytes, a blob
 * relabelled with the other id decrypts with the right key yet is refused.
 */
START_TEST(test_key_id_bound)
{
	reg_pii_keyring *kr;
	struct reg_person in, out;
	struct reg_hash c;
	reg_error err = REG_ERROR_INIT;
	uint8_t *blob = NULL;
	size_t len = 0;

	kr = keyring_from("alias.keys", LINE_A "pii-key 00000001 " KEY_A "\n");
	set_person(&in, "Maria Rossi", "", "", "");
	seal_ok(kr, rec1, &in, &blob, &len, &c);
	ck_assert_uint_eq(blob_key_id(blob), ID_A);
	blob[1] = blob[2] = blob[3] = 0;
	blob[4] = 1;
	ck_assert_int_eq(open_code(kr, rec1, blob, len, &out, &c, &err),
	    REG_EVERIFY);
	free(blob);
	reg__pii_keyring_free(kr);
}
END_TEST

START_TEST(test_missing_key)
{
	reg_pii_keyring *ka, *kb;
	struct reg_person in, out;
	struct reg_hash c;
	reg_error err = REG_ERROR_INIT;
	uint8_t *blob = NULL;
	size_t len = 0;

	ka = keyring_from("a.keys", LINE_A);
	kb = keyring_from("b.keys", LINE_B);
	set_person(&in, "Maria Rossi", "", "", "");
	seal_ok(ka, rec1, &in, &blob, &len, &c);
	ck_assert_int_eq(open_code(kb, rec1, blob, len, &out, &c, &err),
	    REG_EKEY);
	ck_assert_ptr_nonnull(strstr(err.message, "0a0b0c0d"));
	free(blob);
	reg__pii_keyring_free(ka);
	reg__pii_keyring_free(kb);
}
END_TEST

START_TEST(test_bad_arguments)
{
	reg_pii_keyring *kr;
	struct reg_person in, out;
	struct reg_hash c;
	reg_error err = REG_ERROR_INIT;
	uint8_t *blob = (uint8_t *)"x";
	size_t len = 1;

	kr = keyring_from("args.keys", LINE_A);
	set_person(&in, "Maria Rossi", "", "", "");
	ck_assert_int_eq(reg__pii_seal(NULL, rec1, &in, &blob, &len, &c, &err),
	    REG_EINVAL);
	ck_assert_ptr_null(blob);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(reg__pii_seal(kr, NULL, &in, &blob, &len, &c, NULL),
	    REG_EINVAL);
	ck_assert_int_eq(reg__pii_seal(kr, rec1, NULL, &blob, &len, &c, NULL),
	    REG_EINVAL);
	ck_assert_int_eq(reg__pii_seal(kr, rec1, &in, &blob, &len, NULL, NULL),
	    REG_EINVAL);
	ck_assert_int_eq(reg__pii_open(NULL, rec1, (const uint8_t *)"", 0, &out,
	    NULL, NULL), REG_EINVAL);
	ck_assert_int_eq(reg__pii_open(kr, rec1, NULL, 100, &out, NULL, NULL),
	    REG_EINVAL);
	ck_assert_int_eq(reg__pii_check(NULL, NULL), REG_EINVAL);
	reg__pii_keyring_free(kr);
	reg__pii_keyring_free(NULL);
}
END_TEST

/* ------------------------------------------------------------ key files */

START_TEST(test_keygen_rotation)
{
	char path[PATH_MAX], *text, *l1, *l2;
	reg_pii_keyring *kr1 = NULL, *kr2 = NULL, *kr3 = NULL;
	struct reg_person in, out;
	struct reg_hash c;
	reg_error err = REG_ERROR_INIT;
	uint8_t *ba = NULL, *bb = NULL;
	size_t la = 0, lb = 0;
	uint32_t id1 = 0, id2 = 0, id3 = 0;
	char want[32];
	int r;

	tmp_path(path, "rotate.keys");
	r = reg__pii_keygen(path, 0, &id1, &err);
	ck_assert_msg(r == 0, "keygen: %d %s", r, err.message);
	ck_assert_uint_eq(file_mode(path), 0600);
	ck_assert_int_eq(reg__pii_keyring_load(path, &kr1, &err), 0);
	set_person(&in, "Maria Rossi", "Via Roma 1", "CA12345AB",
	    "1980-05-17");
	seal_ok(kr1, rec1, &in, &ba, &la, &c);
	ck_assert_uint_eq(blob_key_id(ba), id1);

	ck_assert_int_eq(count_files(), 1);
	r = reg__pii_keygen(path, 1, &id2, &err);
	ck_assert_msg(r == 0, "rotate: %d %s", r, err.message);
	ck_assert_uint_ne(id1, id2);
	ck_assert_uint_eq(file_mode(path), 0600);
	/* No temporary file is left beside it. */
	ck_assert_int_eq(count_files(), 1);
	ck_assert_int_eq(reg__pii_keyring_load(path, &kr2, &err), 0);

	/* What the old key sealed still opens; new seals use the new key. */
	ck_assert_int_eq(open_code(kr2, rec1, ba, la, &out, &c, &err), 0);
	assert_same_person(&in, &out);
	seal_ok(kr2, rec1, &in, &bb, &lb, &c);
	ck_assert_uint_eq(blob_key_id(bb), id2);
	ck_assert_int_eq(open_code(kr2, rec1, bb, lb, &out, &c, &err), 0);
	/* The keyring from before the rotation lacks the new key. */
	ck_assert_int_eq(open_code(kr1, rec1, bb, lb, &out, &c, &err),
	    REG_EKEY);

	/* A second rotation: three keys, newest first, comments kept. */
	ck_assert_int_eq(reg__pii_keygen(path, 1, &id3, &err), 0);
	ck_assert_uint_ne(id3, id1);
	ck_assert_uint_ne(id3, id2);
	ck_assert_int_eq(reg__pii_keyring_load(path, &kr3, &err), 0);
	ck_assert_int_eq(open_code(kr3, rec1, ba, la, &out, &c, &err), 0);
	ck_assert_int_eq(open_code(kr3, rec1, bb, lb, &out, &c, &err), 0);
	free(bb);
	seal_ok(kr3, rec1, &in, &bb, &lb, &c);
	ck_assert_uint_eq(blob_key_id(bb), id3);
	text = read_file(path);
	ck_assert_int_eq(text[0], '#');
	l1 = strstr(text, "\npii-key ");
	ck_assert_ptr_nonnull(l1);
	snprintf(want, sizeof(want), "\npii-key %08x ", (unsigned)id3);
	ck_assert_int_eq(strncmp(l1, want, strlen(want)), 0);
	l2 = strstr(l1 + 1, "\npii-key ");
	ck_assert_ptr_nonnull(l2);
	snprintf(want, sizeof(want), "\npii-key %08x ", (unsigned)id2);
	ck_assert_int_eq(strncmp(l2, want, strlen(want)), 0);
	l1 = strstr(l2 + 1, "\npii-key ");
	ck_assert_ptr_nonnull(l1);
	snprintf(want, sizeof(want), "\npii-key %08x ", (unsigned)id1);
	ck_assert_int_eq(strncmp(l1, want, strlen(want)), 0);
	ck_assert_ptr_null(strstr(l1 + 1, "\npii-key "));
	free(text);

	free(ba);
	free(bb);
	reg__pii_keyring_free(kr1);
	reg__pii_keyring_free(kr2);
	reg__pii_keyring_free(kr3);
}
END_TEST

/* Rotation keeps a hand-written file's comments and puts the new key before
 * the first old one. */
START_TEST(test_rotation_keeps_text)
{
	static const char before[] = "# head\n\n" LINE_B "# old\n" LINE_A;
	char path[PATH_MAX], want[256], *text;
	reg_pii_keyring *kr;
	struct reg_person in;
	struct reg_hash c;
	reg_error err = REG_ERROR_INIT;
	uint8_t *blob = NULL;
	size_t len = 0;
	uint32_t id = 0;

	write_file(tmp_path(path, "hand.keys"), before, 0400);
	ck_assert_int_eq(reg__pii_keygen(path, 1, &id, &err), 0);
	ck_assert_uint_eq(file_mode(path), 0600);
	text = read_file(path);
	ck_assert_uint_eq(strlen(text), strlen(before) + 82);
	ck_assert_int_eq(strncmp(text, "# head\n\n", 8), 0);
	snprintf(want, sizeof(want), "pii-key %08x ", (unsigned)id);
	ck_assert_int_eq(strncmp(text + 8, want, strlen(want)), 0);
	ck_assert_str_eq(text + 8 + 82, LINE_B "# old\n" LINE_A);
	free(text);
	ck_assert_int_eq(reg__pii_keyring_load(path, &kr, &err), 0);
	set_person(&in, "X", "", "", "");
	seal_ok(kr, rec1, &in, &blob, &len, &c);
	ck_assert_uint_eq(blob_key_id(blob), id);
	free(blob);
	reg__pii_keyring_free(kr);
}
END_TEST

/*
 * Rotation keeps the file's owner and group, so that a rotation run as
 * root leaves the file to the service's account.  Only root can make a
 * file of another owner: others skip the check.
 */
START_TEST(test_rotation_keeps_owner)
{
	char path[PATH_MAX];
	reg_error err = REG_ERROR_INIT;
	struct stat st;
	int r;

	if (geteuid() != 0)
		return;
	write_file(tmp_path(path, "owned.keys"), LINE_A, 0600);
	ck_assert_int_eq(chown(path, 65534, 65533), 0);
	r = reg__pii_keygen(path, 1, NULL, &err);
	ck_assert_msg(r == 0, "rotate: %d %s", r, err.message);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, 65534);
	ck_assert_uint_eq(st.st_gid, 65533);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

START_TEST(test_keygen_refusals)
{
	char path[PATH_MAX], other[PATH_MAX], *text, *other_text;
	reg_pii_keyring *kr = (reg_pii_keyring *)1;
	reg_error err = REG_ERROR_INIT;
	uint32_t id = 7;
	mode_t old;
	int r;

	/* An existing file is never overwritten. */
	write_file(tmp_path(path, "exists.keys"), "not a key file\n", 0600);
	r = reg__pii_keygen(path, 0, &id, &err);
	ck_assert_int_eq(r, REG_EEXIST);
	ck_assert_int_eq(err.code, REG_EEXIST);
	ck_assert_uint_eq(id, 0);
	text = read_file(path);
	ck_assert_str_eq(text, "not a key file\n");
	free(text);
	reg_error_clear(&err);
	ck_assert_int_eq(reg__pii_keygen(tmp_path(path, "made.keys"), 0, NULL,
	    &err), 0);
	text = read_file(path);
	reg_error_clear(&err);
	ck_assert_int_eq(reg__pii_keygen(path, 0, NULL, &err), REG_EEXIST);
	other_text = read_file(path);
	ck_assert_str_eq(other_text, text);
	free(other_text);
	free(text);

	/* Rotating a file that is not a valid key file leaves it alone. */
	reg_error_clear(&err);
	tmp_path(path, "exists.keys");
	ck_assert_int_eq(reg__pii_keygen(path, 1, &id, &err), REG_EKEY);
	text = read_file(path);
	ck_assert_str_eq(text, "not a key file\n");
	free(text);

	/* The mode is 0600 whatever the umask. */
	old = umask(0);
	reg_error_clear(&err);
	r = reg__pii_keygen(tmp_path(path, "umask.keys"), 0, NULL, &err);
	umask(old);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(file_mode(path), 0600);

	/* Missing files. */
	reg_error_clear(&err);
	tmp_path(path, "missing.keys");
	ck_assert_int_eq(reg__pii_keygen(path, 1, &id, &err), REG_ENOTFOUND);
	reg_error_clear(&err);
	ck_assert_int_eq(reg__pii_keyring_load(path, &kr, &err),
	    REG_ENOTFOUND);
	ck_assert_ptr_null(kr);
	reg_error_clear(&err);
	ck_assert_int_eq(reg__pii_keygen(tmp_path(path, "no/such.keys"), 0,
	    NULL, &err), REG_EIO);
	ck_assert_int_eq(reg__pii_keygen("", 0, NULL, NULL), REG_EINVAL);
	ck_assert_int_eq(reg__pii_keygen(NULL, 1, NULL, NULL), REG_EINVAL);

	/* Rotation refuses a symbolic link rather than replace it. */
	ck_assert_int_eq(reg__pii_keygen(tmp_path(other, "target.keys"), 0,
	    NULL, NULL), 0);
	ck_assert_int_eq(symlink(other, tmp_path(path, "link.keys")), 0);
	reg_error_clear(&err);
	ck_assert_int_eq(reg__pii_keygen(path, 1, NULL, &err), REG_EIO);
	ck_assert_int_eq(reg__pii_keygen(path, 0, NULL, NULL), REG_EEXIST);
}
END_TEST

/* Key files open to group or others are refused; modes of the owner only
 * are taken. */
static const struct {
	mode_t mode;
	int ok;
} modes[] = {
	{ 0600, 1 }, { 0400, 1 }, { 0700, 1 },
	{ 0644, 0 }, { 0640, 0 }, { 0604, 0 }, { 0620, 0 }, { 0602, 0 },
	{ 0610, 0 }, { 0601, 0 }, { 0666, 0 },
};

START_TEST(test_key_file_mode)
{
	char path[PATH_MAX], name[32], *text;
	reg_pii_keyring *kr = NULL;
	reg_error err = REG_ERROR_INIT;
	int r;

	snprintf(name, sizeof(name), "mode%d.keys", _i);
	write_file(tmp_path(path, name), LINE_A, modes[_i].mode);
	r = reg__pii_keyring_load(path, &kr, &err);
	if (modes[_i].ok) {
		ck_assert_msg(r == 0, "mode %03o: %d %s",
		    (unsigned)modes[_i].mode, r, err.message);
		reg__pii_keyring_free(kr);
		return;
	}
	ck_assert_msg(r == REG_EKEY, "mode %03o: %d", (unsigned)modes[_i].mode,
	    r);
	ck_assert_ptr_null(kr);
	ck_assert_ptr_nonnull(strstr(err.message, "chmod 600"));
	/* Nor is such a file rotated. */
	reg_error_clear(&err);
	ck_assert_int_eq(reg__pii_keygen(path, 1, NULL, &err), REG_EKEY);
	text = read_file(path);
	ck_assert_str_eq(text, LINE_A);
	free(text);
	ck_assert_uint_eq(file_mode(path), modes[_i].mode);
}
END_TEST

/* Malformed key files, with the number of the line at fault (0: none). */
static const struct {
	const char *text;
	int line;
	const char *what;
} bad_files[] = {
	{ "pii-key 0A0B0C0D " KEY_A "\n", 1, NULL },
	{ "pii-key 0a0b0c0d 000102030405060708090A0B0C0D0E0F"
	    "101112131415161718191a1b1c1d1e1f\n", 1, NULL },
	{ "# c\n\npii-key 0a0b0c0d " KEY_A "0\n", 3, NULL },
	{ "# c\n\n\npii-key 0a0b0c0d 0" KEY_A "\n", 4, NULL },
	{ "pii-key 0a0b0c0d 00" KEY_A "\n", 1, NULL },
	{ "pii-key 0a0b0c0d " KEY_A " \n", 1, NULL },
	{ "pii-key 0a0b0c0d " KEY_A "\r\n", 1, NULL },
	{ "pii-key  0a0b0c0d " KEY_A "\n", 1, NULL },
	{ "pii-key\t0a0b0c0d " KEY_A "\n", 1, NULL },
	{ "pii-key 0a0b0c0d\t" KEY_A "\n", 1, NULL },
	{ " pii-key 0a0b0c0d " KEY_A "\n", 1, NULL },
	{ "PII-KEY 0a0b0c0d " KEY_A "\n", 1, NULL },
	{ "pii_key 0a0b0c0d " KEY_A "\n", 1, NULL },
	{ "pii-key 0a0b0c0 " KEY_A "0\n", 1, NULL },
	{ "pii-key 0a0b0c0g " KEY_A "\n", 1, NULL },
	{ "pii-key 0a0b0c0d 000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1g\n", 1, NULL },
	{ "pii-key 0a0b0c0d\n", 1, NULL },
	{ "pii-key\n", 1, NULL },
	{ LINE_A "garbage\n", 2, NULL },
	{ LINE_A LINE_B "key = value\n", 3, NULL },
	{ LINE_A "\n  \t\n" LINE_A, 4, "twice" },
	{ LINE_A LINE_B "pii-key 0a0b0c0d " KEY_B "\n", 3, "twice" },
	{ "", 0, "no key" },
	{ "# only a comment\n\n", 0, "no key" },
	{ LINE_A "\0# hidden\n", 0, "NUL" },
};

START_TEST(test_malformed_key_file)
{
	char path[PATH_MAX], name[32], want[PATH_MAX + 16];
	reg_pii_keyring *kr = NULL;
	reg_error err = REG_ERROR_INIT;
	size_t len;
	int r;

	snprintf(name, sizeof(name), "bad%d.keys", _i);
	tmp_path(path, name);
	len = strlen(bad_files[_i].text);
	if (strcmp(bad_files[_i].what != NULL ? bad_files[_i].what : "",
	    "NUL") == 0)
		len += 1 + strlen("# hidden\n");
	write_file_len(path, bad_files[_i].text, len, 0600);
	r = reg__pii_keyring_load(path, &kr, &err);
	ck_assert_msg(r == REG_EKEY, "case %d: %d %s", _i, r, err.message);
	ck_assert_ptr_null(kr);
	if (bad_files[_i].line > 0) {
		snprintf(want, sizeof(want), "%s:%d:", path,
		    bad_files[_i].line);
		ck_assert_msg(strstr(err.message, want) != NULL,
		    "case %d: \"%s\" lacks \"%s\"", _i, err.message, want);
	}
	if (bad_files[_i].what != NULL)
		ck_assert_msg(strstr(err.message, bad_files[_i].what) != NULL,
		    "case %d: \"%s\" lacks \"%s\"", _i, err.message,
		    bad_files[_i].what);
	/* The message never carries key material. */
	ck_assert_ptr_null(strstr(err.message, "0001020304"));
	ck_assert_ptr_null(strstr(err.message, "f0e0d0c0b0"));
}
END_TEST

/* A well-formed file with comments, blank lines and no final newline: the
 * first key line is the active key. */
START_TEST(test_good_key_file)
{
	reg_pii_keyring *kr;
	struct reg_person in, out;
	struct reg_hash c;
	reg_error err = REG_ERROR_INIT;
	uint8_t *blob = NULL;
	size_t len = 0;

	kr = keyring_from("good.keys", "# keys\n\n  \n\t\n#" LINE_A LINE_B
	    "# retired\n" "pii-key 0a0b0c0d " KEY_A);
	set_person(&in, "Maria Rossi", "", "", "");
	seal_ok(kr, rec1, &in, &blob, &len, &c);
	ck_assert_uint_eq(blob_key_id(blob), ID_B);
	ck_assert_int_eq(ref_open(KEY_B, rec1, blob, len,
	    (uint8_t[4096]){ 0 }, &len), 0);
	free(blob);
	seal_ok(kr, rec1, &in, &blob, &len, &c);
	ck_assert_int_eq(open_code(kr, rec1, blob, len, &out, &c, &err), 0);
	free(blob);
	reg__pii_keyring_free(kr);
}
END_TEST

/* ------------------------------------------------------------ validation */

enum { F_NAME, F_ADDRESS, F_DOC, F_DATE };

static const struct {
	int field;
	const char *value;
	const char *msg;	/* NULL: accepted */
} checks[] = {
	{ F_DATE, "2023-02-30", "birth_date" },
	{ F_DATE, "2023-13-01", "birth_date" },
	{ F_DATE, "x", "birth_date" },
	{ F_DATE, "2023-00-10", "birth_date" },
	{ F_DATE, "2023-01-00", "birth_date" },
	{ F_DATE, "2023-01-32", "birth_date" },
	{ F_DATE, "2023-04-31", "birth_date" },
	{ F_DATE, "2023-02-29", "birth_date" },
	{ F_DATE, "1900-02-29", "birth_date" },
	{ F_DATE, "0000-01-01", "birth_date" },
	{ F_DATE, "2023-1-01", "birth_date" },
	{ F_DATE, "2023/01/01", "birth_date" },
	{ F_DATE, "20230101", "birth_date" },
	{ F_DATE, " 2023-01-01", "birth_date" },
	{ F_DATE, "2023-01-01 ", "birth_date" },
	{ F_DATE, "2023-01-011", "birth_date" },
	{ F_DATE, "+123-01-01", "birth_date" },
	{ F_DATE, "2023-01-\xd9\xa1", "birth_date" },
	{ F_DATE, "2000-02-29", NULL },
	{ F_DATE, "2024-02-29", NULL },
	{ F_DATE, "2023-02-28", NULL },
	{ F_DATE, "1999-12-31", NULL },
	{ F_DATE, "0001-01-01", NULL },
	{ F_DATE, "9999-12-31", NULL },
	{ F_DATE, "", NULL },
	{ F_NAME, "", "name is empty" },
	{ F_NAME, "Maria\nRossi", "name" },
	{ F_NAME, "Maria\x1b[31mRossi", "name" },
	{ F_NAME, "Maria\x7fRossi", "name" },
	{ F_NAME, "Maria\xc2\x85Rossi", "name" },
	{ F_NAME, "Maria\xc2\x9fRossi", "name" },
	{ F_ADDRESS, "Via Roma\t1", "address" },
	{ F_ADDRESS, "Via Roma 1\r", "address" },
	{ F_DOC, "\x01" "CA12345", "id_document" },
	{ F_NAME, "Maria \xff", "name" },
	{ F_NAME, "Maria \xc3", "name" },
	{ F_NAME, "Maria \xc0\xaf", "name" },
	{ F_NAME, "Maria \xe0\x80\xaf", "name" },
	{ F_NAME, "Maria \xed\xa0\x80", "name" },
	{ F_NAME, "Maria \xf4\x90\x80\x80", "name" },
	{ F_ADDRESS, "Stra\xc3\x9f\xc3", "address" },
	{ F_DOC, "\x80", "id_document" },
	{ F_NAME, "Zo\xc3\xab \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80", NULL },
	{ F_NAME, "Maria \xc2\xa0Rossi", NULL },
	{ F_ADDRESS, "", NULL },
	{ F_DOC, "", NULL },
};

static char *
field_of(struct reg_person *p, int field)
{
	switch (field) {
	case F_NAME:		return p->name;
	case F_ADDRESS:		return p->address;
	case F_DOC:		return p->id_document;
	default:		return p->birth_date;
	}
}

START_TEST(test_check)
{
	reg_pii_keyring *kr;
	struct reg_person in;
	struct reg_hash c;
	reg_error err = REG_ERROR_INIT;
	uint8_t *blob = (uint8_t *)"x";
	size_t len = 1;
	char name[32];
	int r;

	set_person(&in, "Maria Rossi", "Via Roma 1", "CA12345AB",
	    "1980-05-17");
	strcpy(field_of(&in, checks[_i].field), checks[_i].value);
	r = reg__pii_check(&in, &err);
	if (checks[_i].msg == NULL) {
		ck_assert_msg(r == 0, "case %d: %d %s", _i, r, err.message);
		return;
	}
	ck_assert_msg(r == REG_EINVAL, "case %d: %d", _i, r);
	ck_assert_int_eq(err.code, REG_EINVAL);
	ck_assert_msg(strncmp(err.message, checks[_i].msg,
	    strlen(checks[_i].msg)) == 0, "case %d: \"%s\" does not start "
	    "with \"%s\"", _i, err.message, checks[_i].msg);
	/* Sealing refuses it too. */
	snprintf(name, sizeof(name), "check%d.keys", _i);
	kr = keyring_from(name, LINE_A);
	reg_error_clear(&err);
	r = reg__pii_seal(kr, rec1, &in, &blob, &len, &c, &err);
	ck_assert_int_eq(r, REG_EINVAL);
	ck_assert_ptr_null(blob);
	ck_assert_uint_eq(len, 0);
	reg__pii_keyring_free(kr);
}
END_TEST

/* A field that fills its array without a NUL is over the limit; one byte
 * less is the longest accepted. */
START_TEST(test_check_lengths)
{
	struct reg_person in;
	reg_error err = REG_ERROR_INIT;
	static const char *names[] = {
		"name", "address", "id_document", "birth_date"
	};
	char *f;
	size_t size;
	int field, r;

	for (field = F_NAME; field <= F_DATE; field++) {
		set_person(&in, "Maria Rossi", "", "", "");
		f = field_of(&in, field);
		size = field == F_DATE ? sizeof(in.birth_date) :
		    REG_PII_FIELD_MAX;
		memset(f, '1', size);
		reg_error_clear(&err);
		r = reg__pii_check(&in, &err);
		ck_assert_msg(r == REG_EINVAL, "%s: %d", names[field], r);
		ck_assert_msg(strncmp(err.message, names[field],
		    strlen(names[field])) == 0 &&
		    strstr(err.message, "longer") != NULL,
		    "%s: \"%s\"", names[field], err.message);
		f[size - 1] = '\0';
		reg_error_clear(&err);
		r = reg__pii_check(&in, &err);
		if (field == F_DATE)
			ck_assert_int_eq(r, REG_EINVAL);
		else
			ck_assert_msg(r == 0, "%s: %d %s", names[field], r,
			    err.message);
	}
}
END_TEST

static Suite *
pii_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("pii");

	tc = tcase_create("seal and open");
	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_loop_test(tc, test_roundtrip, 0, (int)NELEM(persons));
	tcase_add_test(tc, test_roundtrip_longest);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_commitment);
	tcase_add_test(tc, test_no_plaintext);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("tampering");
	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wrong_record);
	tcase_add_test(tc, test_bit_flips);
	tcase_add_test(tc, test_truncation_extension);
	tcase_add_test(tc, test_key_id_bound);
	tcase_add_test(tc, test_missing_key);
	tcase_add_loop_test(tc, test_malformed_plaintext, 0, PT_COUNT);
	suite_add_tcase(s, tc);

	/* Each test here counts the folder's files: a folder of its own. */
	tc = tcase_create("key rotation");
	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, test_keygen_rotation);
	suite_add_tcase(s, tc);

	tc = tcase_create("key files");
	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, test_rotation_keeps_text);
	tcase_add_test(tc, test_rotation_keeps_owner);
	tcase_add_test(tc, test_keygen_refusals);
	tcase_add_loop_test(tc, test_key_file_mode, 0, (int)NELEM(modes));
	tcase_add_loop_test(tc, test_malformed_key_file, 0,
	    (int)NELEM(bad_files));
	tcase_add_test(tc, test_good_key_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("validation");
	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_loop_test(tc, test_check, 0, (int)NELEM(checks));
	tcase_add_test(tc, test_check_lengths);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(pii_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
