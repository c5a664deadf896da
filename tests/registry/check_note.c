/*
 * Tests of base64, named Ed25519 keys, C2SP signed notes and checkpoints.
 * No database.  Known answers come from RFC 4648 section 10, the C2SP
 * signed-note and tlog-checkpoint specifications, and the example of Go's
 * golang.org/x/mod/sumdb/note package; a note the library signs is also
 * verified by tests/verify_note.py, an independent implementation on the
 * Python "cryptography" package, run by /usr/bin/python3.
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
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "registry/registry.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"
#define EM_DASH "\xe2\x80\x94"

/*
 * The example of golang.org/x/mod/sumdb/note (package documentation and
 * note_test.go): a verifier key, the matching private key (algorithm byte
 * and Ed25519 seed, base64), a text and its signed note, and a second
 * signature of the same text by the key EnochRoot.
 */
#define PETER_VKEY \
	"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_SKEY_B64 "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_ID 0xc74f20a3u
#define PETER_TEXT \
	"If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
/* The signature's base64, in two halves where Go's test cuts it. */
#define PETER_B64_HEAD "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZI"
#define PETER_B64_TAIL "nNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
#define PETER_SIG EM_DASH " PeterNeumann " PETER_B64_HEAD PETER_B64_TAIL "\n"
#define PETER_NOTE PETER_TEXT "\n" PETER_SIG
#define ENOCH_VKEY \
	"EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define ENOCH_SIG EM_DASH " EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+M" \
	"NtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

/* The example note of the C2SP signed-note specification (key unpublished). */
#define C2SP_NOTE \
	"Ognuno sta solo sul cuor della terra\n" \
	"trafitto da un raggio di sole:\n" \
	"\n" \
	"ed \xc3\xa8 subito sera.\n" \
	"\n" \
	EM_DASH " quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/" \
	"5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"

/* The example checkpoint of the C2SP tlog-checkpoint specification. */
#define ROOT "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
#define C2SP_CHECKPOINT \
	"example.com/behind-the-sofa\n" \
	"20852163\n" \
	"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"

/* A temporary folder per test case, made and removed in the parent. */
static char tmpdir[PATH_MAX];

static void
tmpdir_setup(void)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/check_note.XXXXXX", base);
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

/* A path in the temporary folder; each call returns a new buffer. */
static char *
tmp_path(const char *name)
{
	char *p = malloc(PATH_MAX);
	int n;

	ck_assert_ptr_nonnull(p);
	n = snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
	ck_assert(n > 0 && n < PATH_MAX);
	return p;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f;

	f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot create %s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Reads a whole file into a NUL-terminated buffer. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	long n;

	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The PEM text of pkey's private key: PKCS#8, or encrypted PKCS#8 when
 * encrypt is set, or OpenSSL's traditional format when traditional is. */
static char *
pem_of(EVP_PKEY *pkey, int encrypt, int traditional)
{
	BIO *bio;
	BUF_MEM *mem;
	char *s;
	int ok;

	bio = BIO_new(BIO_s_mem());
	ck_assert_ptr_nonnull(bio);
	if (encrypt)
		ok = PEM_write_bio_PKCS8PrivateKey(bio, pkey,
		    EVP_aes_256_cbc(), "secret", 6, NULL, NULL);
	else if (traditional)
		ok = PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL,
		    NULL, 0, NULL, NULL);
	else
		ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
		    NULL);
	ck_assert_int_eq(ok, 1);
	BIO_get_mem_ptr(bio, &mem);
	s = malloc(mem->length + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, mem->data, mem->length);
	s[mem->length] = '\0';
	BIO_free(bio);
	return s;
}

/* Writes the PeterNeumann private key of Go's example as our key file. */
static void
write_peter_key(const char *path)
{
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	EVP_PKEY *pkey;
	char *pem, *file;

	ck_assert_int_eq(reg_base64_decode(PETER_SKEY_B64,
	    strlen(PETER_SKEY_B64), &raw, &rawlen, NULL), 0);
	ck_assert_uint_eq(rawlen, 33);
	ck_assert_uint_eq(raw[0], 1);
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw + 1,
	    32);
	ck_assert_ptr_nonnull(pkey);
	pem = pem_of(pkey, 0, 0);
	file = tu_concat("Key-Name: PeterNeumann\n", pem);
	write_file(path, file, strlen(file));
	free(file);
	free(pem);
	EVP_PKEY_free(pkey);
	reg_free(raw);
}

/* ------------------------------------------------------------- base64 */

static const struct {
	const char *raw;
	const char *b64;
} b64_vectors[] = {
	/* RFC 4648 section 10. */
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

START_TEST(test_base64_vectors)
{
	const char *raw = b64_vectors[_i].raw, *b64 = b64_vectors[_i].b64;
	reg_error err = REG_ERROR_INIT;
	char *enc = NULL;
	uint8_t *dec = NULL;
	size_t declen = 99;

	ck_assert_int_eq(reg_base64_encode(raw, strlen(raw), &enc, &err), 0);
	ck_assert_str_eq(enc, b64);
	ck_assert_int_eq(reg_base64_decode(b64, strlen(b64), &dec, &declen,
	    &err), 0);
	ck_assert_ptr_nonnull(dec);
	ck_assert_uint_eq(declen, strlen(raw));
	ck_assert(memcmp(dec, raw, declen) == 0);
	reg_free(enc);
	reg_free(dec);
}
END_TEST

/* Every length from 0 to 300 against OpenSSL's encoder, and back. */
START_TEST(test_base64_reference)
{
	uint8_t data[300], *dec;
	unsigned char ref[4 * (sizeof(data) / 3 + 1) + 1];
	char *enc;
	size_t len, declen, i;
	uint32_t x = 12345;

	for (i = 0; i < sizeof(data); i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (uint8_t)(x >> 16);
	}
	for (len = 0; len <= sizeof(data); len++) {
		EVP_EncodeBlock(ref, data, (int)len);
		ck_assert_int_eq(reg_base64_encode(data, len, &enc, NULL), 0);
		ck_assert_msg(strcmp(enc, (char *)ref) == 0,
		    "length %zu: %s, OpenSSL %s", len, enc, ref);
		ck_assert_int_eq(reg_base64_decode(enc, strlen(enc), &dec,
		    &declen, NULL), 0);
		ck_assert_uint_eq(declen, len);
		ck_assert(memcmp(dec, data, len) == 0);
		reg_free(enc);
		reg_free(dec);
	}
}
END_TEST

static const struct {
	const char *text;
	size_t len;		/* 0: strlen(text) */
} b64_bad[] = {
	{ "Z", 0 }, { "Zg", 0 }, { "Zg=", 0 }, { "Zm9vY", 0 },
	{ "Z===", 0 }, { "====", 0 }, { "=Zg=", 0 }, { "Z=g=", 0 },
	{ "Zg=a", 0 }, { "Zm9v=", 0 }, { "Zm9v====", 0 },
	{ "Zg==Zg==", 0 }, { "Zm8=Zm9v", 0 },
	{ "Zh==", 0 },		/* non-zero bits under the padding */
	{ "Zm9=", 0 },		/* non-zero bits under the padding */
	{ "Zm9v\n", 0 }, { " Zm9v", 0 }, { "Zm9v ", 0 }, { "Zm 9v", 0 },
	{ "Zm9\tv", 0 }, { "Zm9v\r\n", 0 },
	{ "Zm9 ", 0 }, { " m9v", 0 }, { "Zm9v    ", 0 }, { "Zm9v\nYmE", 0 },
	{ "Zm\r\n", 0 }, { "Zg=\n", 0 },
	{ "Zm-v", 0 }, { "Zm_v", 0 },	/* URL alphabet */
	{ "Zm9.", 0 }, { "Zm9\xc3", 0 }, { "\xff\xff\xff\xff", 0 },
	{ "Zm9\0", 4 }, { "\0\0\0\0", 4 },
};

START_TEST(test_base64_reject)
{
	const char *text = b64_bad[_i].text;
	size_t len = b64_bad[_i].len != 0 ? b64_bad[_i].len : strlen(text);
	reg_error err = REG_ERROR_INIT;
	uint8_t *dec = (uint8_t *)"sentinel";
	size_t declen = 99;

	ck_assert_msg(reg_base64_decode(text, len, &dec, &declen, &err) ==
	    REG_EINVAL, "decoding \"%s\" did not fail", text);
	ck_assert_ptr_null(dec);
	ck_assert_uint_eq(declen, 0);
	ck_assert_int_eq(err.code, REG_EINVAL);
	ck_assert_str_ne(err.message, "");
}
END_TEST

START_TEST(test_base64_too_big)
{
	char *enc = (char *)"sentinel";
	reg_error err = REG_ERROR_INIT;
	static const uint8_t one = 0;

	/* The length is refused before the data is read. */
	ck_assert_int_eq(reg_base64_encode(&one, SIZE_MAX, &enc, &err),
	    REG_ETOOBIG);
	ck_assert_ptr_null(enc);
	ck_assert_int_eq(reg_base64_encode(&one, SIZE_MAX / 4 * 3, &enc,
	    NULL), REG_ETOOBIG);
}
END_TEST

/* ---------------------------------------------------------------- keys */

START_TEST(test_key_roundtrip)
{
	char *path = tmp_path("rt.key"), *v1 = NULL, *v2 = NULL, *note = NULL;
	reg_error err = REG_ERROR_INIT;
	reg_key *k1 = NULL, *k2 = NULL, *pub = NULL;
	uint8_t p1[32], p2[32];
	char *text = NULL;

	ck_assert_int_eq(reg_key_generate("registry.example/log", path, &err),
	    0);
	ck_assert_int_eq(reg_key_load(path, &k1, &err), 0);
	ck_assert_int_eq(reg_key_load(path, &k2, &err), 0);
	ck_assert_str_eq(reg_key_name(k1), "registry.example/log");
	ck_assert_uint_eq(reg_key_id(k1), reg_key_id(k2));
	reg_key_public(k1, p1);
	reg_key_public(k2, p2);
	ck_assert(memcmp(p1, p2, 32) == 0);
	ck_assert_int_eq(reg_key_verifier(k1, &v1, &err), 0);
	ck_assert_int_eq(reg_key_from_verifier(v1, &pub, &err), 0);
	ck_assert_int_eq(reg_key_verifier(pub, &v2, &err), 0);
	ck_assert_str_eq(v1, v2);

	/* A signature by the loaded key verifies with its verifier key. */
	ck_assert_int_eq(reg_note_sign(k1, "hello\n", &note, &err), 0);
	ck_assert_int_eq(reg_note_verify(pub, note, strlen(note), &text, &err),
	    0);
	ck_assert_str_eq(text, "hello\n");
	ck_assert_str_eq(err.message, "");

	/* Two generated keys differ. */
	reg_free(path);
	path = tmp_path("rt2.key");
	ck_assert_int_eq(reg_key_generate("registry.example/log", path, &err),
	    0);
	reg_key_free(k2);
	ck_assert_int_eq(reg_key_load(path, &k2, &err), 0);
	reg_key_public(k2, p2);
	ck_assert(memcmp(p1, p2, 32) != 0);

	reg_key_free(k1);
	reg_key_free(k2);
	reg_key_free(pub);
	reg_free(v1);
	reg_free(v2);
	reg_free(note);
	reg_free(text);
	free(path);
}
END_TEST

START_TEST(test_key_file_format)
{
	char *path = tmp_path("fmt.key"), *buf;
	size_t len;
	struct stat st;

	umask(0);
	ck_assert_int_eq(reg_key_generate("a.example/k", path, NULL), 0);
	umask(022);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_msg((st.st_mode & 07777) == 0600, "mode %o",
	    (unsigned)(st.st_mode & 07777));
	buf = read_file(path, &len);
	ck_assert_msg(strncmp(buf, "Key-Name: a.example/k\n"
	    "-----BEGIN PRIVATE KEY-----\n", 50) == 0, "file starts: %.60s",
	    buf);
	ck_assert_ptr_nonnull(strstr(buf, "-----END PRIVATE KEY-----\n"));
	free(buf);
	free(path);

	/* A umask that would take the owner's write right away. */
	path = tmp_path("fmt2.key");
	umask(0277);
	ck_assert_int_eq(reg_key_generate("a.example/k", path, NULL), 0);
	umask(022);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_msg((st.st_mode & 07777) == 0600, "mode %o",
	    (unsigned)(st.st_mode & 07777));
	free(path);
}
END_TEST

START_TEST(test_key_no_overwrite)
{
	char *path = tmp_path("once.key"), *before, *after;
	size_t lb, la;
	reg_error err = REG_ERROR_INIT;

	ck_assert_int_eq(reg_key_generate("once", path, NULL), 0);
	before = read_file(path, &lb);
	ck_assert_int_eq(reg_key_generate("once", path, &err), REG_EEXIST);
	ck_assert_int_eq(err.code, REG_EEXIST);
	after = read_file(path, &la);
	ck_assert_uint_eq(la, lb);
	ck_assert(memcmp(before, after, la) == 0);
	free(before);
	free(after);
	free(path);

	/* A dangling symbolic link is not followed either. */
	path = tmp_path("link.key");
	ck_assert_int_eq(symlink("elsewhere.key", path), 0);
	ck_assert_int_ne(reg_key_generate("once", path, NULL), 0);
	before = tmp_path("elsewhere.key");
	ck_assert_int_ne(access(before, F_OK), 0);
	free(before);
	free(path);

	/* A folder that does not exist. */
	path = tmp_path("no/such.key");
	reg_error_clear(&err);
	ck_assert_int_eq(reg_key_generate("once", path, &err), REG_EIO);
	free(path);
}
END_TEST

START_TEST(test_key_load_missing)
{
	char *path = tmp_path("missing.key");
	reg_key *k = (reg_key *)1;
	reg_error err = REG_ERROR_INIT;

	ck_assert_int_eq(reg_key_load(path, &k, &err), REG_ENOTFOUND);
	ck_assert_ptr_null(k);
	ck_assert_ptr_nonnull(strstr(err.message, "missing.key"));
	free(path);

	/* Neither a folder nor a FIFO is a key file (nor waited on). */
	reg_error_clear(&err);
	ck_assert_int_eq(reg_key_load(tmpdir, &k, &err), REG_EIO);
	ck_assert_ptr_null(k);
	ck_assert_ptr_nonnull(strstr(err.message, "not a regular file"));
	path = tmp_path("fifo.key");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_key_load(path, &k, &err), REG_EIO);
	ck_assert_ptr_nonnull(strstr(err.message, "not a regular file"));
	free(path);
}
END_TEST

static const char *wrong_types[] = {
	"RSA", "EC", "ED448", "X25519", "ED25519-encrypted",
	"RSA-traditional",
};

START_TEST(test_key_wrong_type)
{
	const char *type = wrong_types[_i];
	char *path = tmp_path("wrong.key"), *pem, *file;
	EVP_PKEY *pkey = NULL;
	reg_key *k = NULL;
	reg_error err = REG_ERROR_INIT;
	int encrypt = 0, traditional = 0, typecheck = 1;

	if (strcmp(type, "RSA") == 0 || strcmp(type, "RSA-traditional") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(type, "EC") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(type, "ED25519-encrypted") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, type);
	ck_assert_ptr_nonnull(pkey);
	if (strcmp(type, "ED25519-encrypted") == 0) {
		encrypt = 1;
		typecheck = 0;
	}
	if (strcmp(type, "RSA-traditional") == 0) {
		traditional = 1;
		typecheck = 0;
	}
	pem = pem_of(pkey, encrypt, traditional);
	file = tu_concat("Key-Name: wrong\n", pem);
	write_file(path, file, strlen(file));

	ck_assert_int_eq(reg_key_load(path, &k, &err), REG_EKEY);
	ck_assert_ptr_null(k);
	/* Each is refused by the check meant for it. */
	ck_assert_msg(strstr(err.message, typecheck ? "not Ed25519" :
	    "unencrypted PKCS#8") != NULL, "%s: %s", type, err.message);
	free(file);
	free(pem);
	free(path);
	EVP_PKEY_free(pkey);
}
END_TEST

#define N_GARBAGE 18

/* Builds the i-th malformed key file from a good one. */
static char *
garbage_variant(int i, const char *good, size_t *len, const char **what,
    const char **msg)
{
	const char *pem = strstr(good, "-----BEGIN");
	char *s = NULL, *p, longname[300];

	*msg = "";
	switch (i) {
	case 0:
		*what = "empty file";
		s = strdup("");
		break;
	case 1:
		*what = "text";
		s = strdup("garbage\n");
		break;
	case 2:
		*what = "name and text";
		s = strdup("Key-Name: x\ngarbage\n");
		break;
	case 3:
		*what = "no Key-Name line";
		s = strdup(pem);
		break;
	case 4:
		*what = "name with a space";
		s = tu_concat("Key-Name: a b\n", pem);
		break;
	case 5:
		*what = "name with a plus";
		s = tu_concat("Key-Name: a+b\n", pem);
		break;
	case 6:
		*what = "empty name";
		s = tu_concat("Key-Name: \n", pem);
		break;
	case 7:
		*what = "two names";
		s = tu_concat("Key-Name: x\nKey-Name: y\n", pem);
		break;
	case 8:
		*what = "text after the key";
		*msg = "after the private key";
		s = tu_concat(good, "trailing\n");
		break;
	case 9:
		*what = "truncated key";
		s = strdup(good);
		s[strlen(s) / 2 + 10] = '\0';
		break;
	case 10:
		*what = "corrupt DER";
		s = strdup(good);
		p = strstr(s, "KEY-----\n") + 9;
		*p = *p == 'M' ? 'N' : 'M';
		break;
	case 11:
		*what = "carriage return in the name";
		s = tu_concat("Key-Name: x\r\n", pem);
		break;
	case 12:
		*what = "NUL byte";
		*msg = "NUL";
		s = strdup(good);
		*len = strlen(s);
		s[*len - 3] = '\0';
		return s;
	case 13:
		*what = "name after the key";
		s = tu_concat(pem, "Key-Name: x\n");
		break;
	case 14:
		*what = "name too long";
		memset(longname, 'a', sizeof(longname));
		memcpy(longname, "Key-Name: ", 10);
		longname[10 + REG_KEY_NAME_MAX + 1] = '\n';
		longname[10 + REG_KEY_NAME_MAX + 2] = '\0';
		s = tu_concat(longname, pem);
		break;
	case 15:
		*what = "empty PEM block";
		s = strdup("Key-Name: x\n-----BEGIN PRIVATE KEY-----\n"
		    "-----END PRIVATE KEY-----\n");
		break;
	case 16:
		*what = "Key-Name without a space";
		s = tu_concat("Key-Name:x\n", pem);
		break;
	case 17:
		*what = "public key";
		*msg = "unencrypted PKCS#8";
		s = strdup("Key-Name: x\n-----BEGIN PUBLIC KEY-----\n"
		    "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4"
		    "rXAxZuE=\n"
		    "-----END PUBLIC KEY-----\n");
		break;
	default:
		ck_abort_msg("no variant %d", i);
	}
	ck_assert_ptr_nonnull(s);
	*len = strlen(s);
	return s;
}

START_TEST(test_key_garbage)
{
	char *good_path = tmp_path("good.key"), *path, *good, *bad;
	char name[32];
	size_t len;
	const char *what = "?", *msg = "";
	reg_key *k = NULL;
	reg_error err = REG_ERROR_INIT;

	if (access(good_path, F_OK) != 0)
		ck_assert_int_eq(reg_key_generate("x", good_path, NULL), 0);
	good = read_file(good_path, &len);
	/* The unmodified file loads: the variants fail for their change. */
	ck_assert_int_eq(reg_key_load(good_path, &k, NULL), 0);
	reg_key_free(k);
	k = NULL;

	bad = garbage_variant(_i, good, &len, &what, &msg);
	snprintf(name, sizeof(name), "garbage%d.key", _i);
	path = tmp_path(name);
	write_file(path, bad, len);
	ck_assert_msg(reg_key_load(path, &k, &err) == REG_EKEY,
	    "%s: not refused with REG_EKEY (%d: %s)", what, err.code,
	    err.message);
	ck_assert_ptr_null(k);
	ck_assert_msg(strstr(err.message, msg) != NULL,
	    "%s: message \"%s\" lacks \"%s\"", what, err.message, msg);
	free(bad);
	free(good);
	free(path);
	free(good_path);
}
END_TEST

static const char *bad_names[] = {
	"", "a b", "a+b", "+", " ", "a\tb", "a\nb", "a\rb", "a\x7f" "b",
	"a\xc2\x85" "b",	/* NEL */
	"a\xc2\xa0" "b",	/* no-break space */
	"a\xc2\x9b" "b",	/* C1 control */
	"a\xe2\x80\x83" "b",	/* em space */
	"a\xe2\x80\xa8" "b",	/* line separator */
	"a\xe3\x80\x80" "b",	/* ideographic space */
	"a\xff" "b", "a\xc3", "\xc0\xae", "\xed\xa0\x80",
	"\xe0\x80\xaf", "\xf0\x80\x80\xaf",	/* overlong '/' */
	"\xf4\x90\x80\x80",
};

START_TEST(test_key_bad_names)
{
	char *path = tmp_path("name.key");
	reg_error err = REG_ERROR_INIT;

	ck_assert_msg(reg_key_generate(bad_names[_i], path, &err) == REG_EINVAL,
	    "name %d accepted", _i);
	ck_assert_int_ne(access(path, F_OK), 0);
	free(path);
}
END_TEST

#define UTF8_NAME "r\xc3\xa9gistre.example/\xe6\x97\xa5"

START_TEST(test_key_name_limits)
{
	char name[REG_KEY_NAME_MAX + 2], *path = tmp_path("long.key");
	reg_key *k = NULL;

	memset(name, 'n', sizeof(name));
	name[REG_KEY_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(reg_key_generate(name, path, NULL), REG_EINVAL);
	name[REG_KEY_NAME_MAX] = '\0';
	ck_assert_int_eq(reg_key_generate(name, path, NULL), 0);
	ck_assert_int_eq(reg_key_load(path, &k, NULL), 0);
	ck_assert_str_eq(reg_key_name(k), name);
	reg_key_free(k);
	free(path);

	/* Non-ASCII names are fine. */
	path = tmp_path("utf8.key");
	ck_assert_int_eq(reg_key_generate(UTF8_NAME, path, NULL), 0);
	ck_assert_int_eq(reg_key_load(path, &k, NULL), 0);
	ck_assert_str_eq(reg_key_name(k), UTF8_NAME);
	reg_key_free(k);
	free(path);
}
END_TEST

/* ------------------------------------------------------- verifier keys */

START_TEST(test_verifier_format)
{
	char *path = tmp_path("v.key"), *v = NULL, expect[16];
	reg_key *k = NULL, *pub = NULL;
	uint8_t p1[32], p2[32];
	size_t i, n;

	ck_assert_int_eq(reg_key_generate("log.example/v", path, NULL), 0);
	ck_assert_int_eq(reg_key_load(path, &k, NULL), 0);
	ck_assert_int_eq(reg_key_verifier(k, &v, NULL), 0);
	/* name "+" eight lower-case hex digits "+" 44 base64 characters */
	n = strlen("log.example/v");
	ck_assert_uint_eq(strlen(v), n + 1 + 8 + 1 + 44);
	ck_assert(strncmp(v, "log.example/v+", n + 1) == 0);
	snprintf(expect, sizeof(expect), "%08x", (unsigned)reg_key_id(k));
	ck_assert(strncmp(v + n + 1, expect, 8) == 0);
	for (i = n + 1; i < n + 9; i++)
		ck_assert(strchr("0123456789abcdef", v[i]) != NULL);
	ck_assert_int_eq(v[n + 9], '+');
	/* The key starts with the algorithm byte 0x01: "A" then [Q-Z a-f]. */
	ck_assert_int_eq(v[n + 10], 'A');
	ck_assert_int_eq(reg_key_from_verifier(v, &pub, NULL), 0);
	ck_assert_str_eq(reg_key_name(pub), "log.example/v");
	ck_assert_uint_eq(reg_key_id(pub), reg_key_id(k));
	reg_key_public(k, p1);
	reg_key_public(pub, p2);
	ck_assert(memcmp(p1, p2, 32) == 0);
	reg_key_free(k);
	reg_key_free(pub);
	reg_free(v);
	free(path);
}
END_TEST

static const struct {
	const char *vkey;
	int code;
} bad_vkeys[] = {
	{ "", REG_EINVAL },
	{ "PeterNeumann", REG_EINVAL },
	{ "PeterNeumann+", REG_EINVAL },
	{ "PeterNeumann+c74f20a3", REG_EINVAL },
	{ "PeterNeumann+c74f20a3+", REG_EINVAL },
	{ "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    REG_EINVAL },
	{ "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    REG_EINVAL },
	{ "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    REG_EINVAL },
	{ "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    REG_EINVAL },
	{ "PeterNeumann+c74f20a30+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    REG_EINVAL },
	{ PETER_VKEY "\n", REG_EINVAL },
	{ "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
	    REG_EINVAL },
	{ PETER_VKEY "==", REG_EINVAL },
	/* Wrong key id. */
	{ "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    REG_EKEY },
	{ "PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    REG_EKEY },
	/* From Go's note_test.go: a key of the wrong length with a key id
	 * that matches; its base64 is not canonical ("Y==" leaves bits), so
	 * it is malformed here before its length is seen. */
	{ "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
	    "BADKEY==", REG_EINVAL },
	/* Keys of the wrong length, each with a key id that matches. */
	{ "PeterNeumann+5bdbe860+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
	    "AA==", REG_EKEY },
	{ "PeterNeumann+1ef126fc+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
	    "QkFES0VZ", REG_EKEY },
	{ "PeterNeumann+a3fe51bc+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10Q=",
	    REG_EKEY },
	{ "PeterNeumann+f25bd003+AQ==", REG_EKEY },
	/* Longer keys whose first 33 bytes are the right key. */
	{ "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
	    "AA==", REG_EKEY },
	{ "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
	    "QkFES0VZ", REG_EKEY },
	/* Unknown algorithms, with key ids that match (the first from Go's
	 * note_test.go). */
	{ "PeterNeumann+775c2e74+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    REG_EKEY },
	{ "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    REG_EKEY },
};

START_TEST(test_verifier_reject)
{
	reg_key *k = (reg_key *)1;
	reg_error err = REG_ERROR_INIT;
	int r;

	r = reg_key_from_verifier(bad_vkeys[_i].vkey, &k, &err);
	ck_assert_msg(r == bad_vkeys[_i].code, "\"%s\": %d (%s)",
	    bad_vkeys[_i].vkey, r, err.message);
	ck_assert_ptr_null(k);
}
END_TEST

/* As Go's note_test.go: every proper substring and every byte incremented. */
START_TEST(test_verifier_mangled)
{
	char b[sizeof(PETER_VKEY)];
	size_t len = strlen(PETER_VKEY), i, j;
	reg_key *k = NULL;

	for (i = 0; i <= len; i++) {
		for (j = i + 1; j <= len; j++) {
			if (i == 0 && j == len)
				continue;
			memcpy(b, &PETER_VKEY[i], j - i);
			b[j - i] = '\0';
			ck_assert_msg(reg_key_from_verifier(b, &k, NULL) != 0,
			    "accepted %s", b);
		}
	}
	for (i = 0; i < len; i++) {
		memcpy(b, PETER_VKEY, len + 1);
		b[i]++;
		ck_assert_msg(reg_key_from_verifier(b, &k, NULL) != 0,
		    "accepted %s", b);
	}
}
END_TEST

/* -------------------------------------------------- the spec's example */

START_TEST(test_example_verifier)
{
	reg_key *k = NULL;
	char *v = NULL;
	uint8_t pub[32];
	reg_error err = REG_ERROR_INIT;

	ck_assert_int_eq(reg_key_from_verifier(PETER_VKEY, &k, &err), 0);
	ck_assert_str_eq(reg_key_name(k), "PeterNeumann");
	ck_assert_uint_eq(reg_key_id(k), PETER_ID);
	reg_key_public(k, pub);
	/* ARpc2Qc... is 0x01 0x1a 0x5c 0xd9 0x07 ... */
	ck_assert_uint_eq(pub[0], 0x1a);
	ck_assert_uint_eq(pub[1], 0x5c);
	ck_assert_int_eq(reg_key_verifier(k, &v, &err), 0);
	ck_assert_str_eq(v, PETER_VKEY);
	reg_key_free(k);
	reg_free(v);
}
END_TEST

START_TEST(test_example_note)
{
	reg_key *peter = NULL, *enoch = NULL;
	char *text = NULL;
	const char *two = PETER_TEXT "\n" PETER_SIG ENOCH_SIG;
	const char *dups = PETER_TEXT "\n" PETER_SIG PETER_SIG ENOCH_SIG
	    ENOCH_SIG;
	reg_error err = REG_ERROR_INIT;

	ck_assert_int_eq(reg_key_from_verifier(PETER_VKEY, &peter, NULL), 0);
	ck_assert_int_eq(reg_key_from_verifier(ENOCH_VKEY, &enoch, NULL), 0);
	ck_assert_int_eq(reg_note_verify(peter, PETER_NOTE, strlen(PETER_NOTE),
	    &text, &err), 0);
	ck_assert_str_eq(text, PETER_TEXT);
	reg_free(text);
	text = NULL;
	/* Without a text to return. */
	ck_assert_int_eq(reg_note_verify(peter, PETER_NOTE, strlen(PETER_NOTE),
	    NULL, &err), 0);

	/* The doubly-signed note verifies with either key. */
	ck_assert_int_eq(reg_note_verify(peter, two, strlen(two), NULL, &err),
	    0);
	ck_assert_int_eq(reg_note_verify(enoch, two, strlen(two), NULL, &err),
	    0);
	ck_assert_int_eq(reg_note_verify(peter, dups, strlen(dups), NULL,
	    &err), 0);
	/* Another key's signature may be of any length from one byte. */
	ck_assert_int_eq(reg_note_verify(peter,
	    PETER_NOTE EM_DASH " x AAAAAAA=\n", strlen(PETER_NOTE) + 15, NULL,
	    &err), 0);
	ck_assert_int_eq(reg_note_verify(peter, EM_DASH " x AAAAAAA=\n"
	    PETER_NOTE EM_DASH " y AAAAAAA=\n", strlen(PETER_NOTE) + 30, NULL,
	    &err), REG_EVERIFY);

	/* The note signed by PeterNeumann has no signature by EnochRoot. */
	ck_assert_int_eq(reg_note_verify(enoch, PETER_NOTE, strlen(PETER_NOTE),
	    &text, &err), REG_EVERIFY);
	ck_assert_ptr_null(text);
	ck_assert_int_eq(err.code, REG_EVERIFY);

	/* The C2SP example is well formed, with an empty line in its text,
	 * but carries no signature by these keys. */
	reg_error_clear(&err);
	ck_assert_int_eq(reg_note_verify(peter, C2SP_NOTE, strlen(C2SP_NOTE),
	    NULL, &err), REG_EVERIFY);
	reg_key_free(peter);
	reg_key_free(enoch);
}
END_TEST

/* Ed25519 is deterministic: our signature with the example's private key
 * is the published one, byte for byte. */
START_TEST(test_example_sign)
{
	char *path = tmp_path("peter.key"), *note = NULL;
	reg_key *k = NULL;
	reg_error err = REG_ERROR_INIT;

	write_peter_key(path);
	ck_assert_int_eq(reg_key_load(path, &k, &err), 0);
	ck_assert_str_eq(reg_key_name(k), "PeterNeumann");
	ck_assert_uint_eq(reg_key_id(k), PETER_ID);
	ck_assert_int_eq(reg_note_sign(k, PETER_TEXT, &note, &err), 0);
	ck_assert_str_eq(note, PETER_NOTE);
	reg_key_free(k);
	reg_free(note);
	free(path);
}
END_TEST

/* Go's note_test.go malformed notes, and more. */
static const struct {
	const char *note;
	size_t len;	/* 0: strlen(note) */
	int code;
} bad_notes[] = {
	{ PETER_TEXT, 0, REG_EINVAL },
	{ PETER_TEXT "\n", 0, REG_EINVAL },
	{ PETER_TEXT "\n" EM_DASH " PeterNeumann " PETER_B64_HEAD
	    PETER_B64_TAIL, 0, REG_EINVAL },
	{ "\x01" PETER_NOTE, 0, REG_EINVAL },
	{ "\xff" PETER_NOTE, 0, REG_EINVAL },
	{ PETER_TEXT "\n" EM_DASH " Bad Name " PETER_B64_HEAD PETER_B64_TAIL,
	    0, REG_EINVAL },
	{ PETER_NOTE "Unexpected line.\n", 0, REG_EINVAL },
	{ PETER_NOTE "\n", 0, REG_EINVAL },
	{ PETER_NOTE EM_DASH "\n", 0, REG_EINVAL },
	{ PETER_NOTE EM_DASH " \n", 0, REG_EINVAL },
	{ PETER_NOTE EM_DASH " x\n", 0, REG_EINVAL },
	{ PETER_NOTE EM_DASH " x \n", 0, REG_EINVAL },
	{ PETER_NOTE EM_DASH "  AAAAAAAA\n", 0, REG_EINVAL },
	{ PETER_NOTE EM_DASH " x AAAA\n", 0, REG_EINVAL },	/* 3 bytes */
	/* Four bytes: a key id and no signature. */
	{ PETER_NOTE EM_DASH " x AAAAAA==\n", 0, REG_EINVAL },
	{ PETER_NOTE EM_DASH " x AAAAAAA\n", 0, REG_EINVAL },
	/* Bits left under the padding. */
	{ PETER_NOTE EM_DASH " x AAAAAAB=\n", 0, REG_EINVAL },
	{ PETER_NOTE EM_DASH " x+y AAAAAAAA\n", 0, REG_EINVAL },
	{ PETER_NOTE EM_DASH " x AAAAAAAA \n", 0, REG_EINVAL },
	{ PETER_NOTE "- x AAAAAAAA\n", 0, REG_EINVAL },
	{ PETER_NOTE EM_DASH "x AAAAAAAA\n", 0, REG_EINVAL },
	{ PETER_NOTE "\xe2\x80\x93 x AAAAAAAA\n", 0, REG_EINVAL }, /* en dash */
	{ PETER_TEXT "\r\n" PETER_SIG, 0, REG_EINVAL },
	{ PETER_TEXT "\n" EM_DASH " PeterNeumann\t" PETER_B64_HEAD
	    PETER_B64_TAIL "\n", 0, REG_EINVAL },
	{ PETER_NOTE "\0", sizeof(PETER_NOTE), REG_EINVAL },
	{ "", 0, REG_EINVAL },
	{ "\n\n", 0, REG_EINVAL },
	/* A second signature by the same key that does not verify. */
	{ PETER_NOTE EM_DASH " PeterNeumann " PETER_B64_HEAD
	    "nNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAA=\n", 0,
	    REG_EVERIFY },
	/* Go's invalid signature: four characters inserted. */
	{ PETER_TEXT "\n" EM_DASH " PeterNeumann " PETER_B64_HEAD "ABCD"
	    PETER_B64_TAIL "\n", 0, REG_EVERIFY },
	/* Right name, other key id; right key id, other name. */
	{ PETER_TEXT "\n" EM_DASH " PeterNeumann "
	    "x18go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZI" PETER_B64_TAIL "\n",
	    0, REG_EVERIFY },
	{ PETER_TEXT "\n" EM_DASH " CarmenSandiego " PETER_B64_HEAD
	    PETER_B64_TAIL "\n", 0, REG_EVERIFY },
	{ PETER_TEXT "\n" ENOCH_SIG, 0, REG_EVERIFY },
	/* The text changed. */
	{ "If you think cryptography is the answer to your problem,\n"
	    "then you do not know what your problem is.\n\n" PETER_SIG, 0,
	    REG_EVERIFY },
	{ PETER_TEXT "\n" PETER_TEXT "\n" PETER_SIG, 0, REG_EVERIFY },
};

START_TEST(test_note_malformed)
{
	const char *note = bad_notes[_i].note;
	size_t len = bad_notes[_i].len != 0 ? bad_notes[_i].len : strlen(note);
	reg_key *k = NULL;
	char *text = (char *)"sentinel";
	reg_error err = REG_ERROR_INIT;
	int r;

	ck_assert_int_eq(reg_key_from_verifier(PETER_VKEY, &k, NULL), 0);
	r = reg_note_verify(k, note, len, &text, &err);
	ck_assert_msg(r == bad_notes[_i].code, "note %d: %d, want %d (%s)", _i,
	    r, bad_notes[_i].code, err.message);
	ck_assert_int_eq(err.code, r);
	ck_assert_ptr_null(text);
	reg_key_free(k);
}
END_TEST

START_TEST(test_note_too_many_signatures)
{
	reg_key *k = NULL;
	char *note;
	size_t i, n, sl = strlen(PETER_SIG), tl = strlen(PETER_TEXT);
	reg_error err = REG_ERROR_INIT;

	ck_assert_int_eq(reg_key_from_verifier(PETER_VKEY, &k, NULL), 0);
	note = malloc(tl + 1 + 101 * sl + 1);
	ck_assert_ptr_nonnull(note);
	memcpy(note, PETER_TEXT "\n", tl + 1);
	for (n = 1; n <= 101; n++) {
		for (i = 0; i < n; i++)
			memcpy(note + tl + 1 + i * sl, PETER_SIG, sl);
		reg_error_clear(&err);
		if (n <= 100)
			ck_assert_int_eq(reg_note_verify(k, note,
			    tl + 1 + n * sl, NULL, &err), 0);
		else
			ck_assert_int_eq(reg_note_verify(k, note,
			    tl + 1 + n * sl, NULL, &err), REG_ETOOBIG);
	}
	free(note);
	reg_key_free(k);
}
END_TEST

/* --------------------------------------------------------- mutations */

/* Rebuilds a note from text, a key name and raw signature bytes. */
static char *
note_with_sig(const char *text, const char *name, const uint8_t *sig,
    size_t siglen)
{
	char *b64 = NULL, *s;
	size_t n;

	ck_assert_int_eq(reg_base64_encode(sig, siglen, &b64, NULL), 0);
	n = strlen(text) + 1 + 4 + strlen(name) + 1 + strlen(b64) + 2;
	s = malloc(n);
	ck_assert_ptr_nonnull(s);
	snprintf(s, n, "%s\n" EM_DASH " %s %s\n", text, name, b64);
	reg_free(b64);
	return s;
}

/* The raw signature bytes (key id and signature) of a note's last line. */
static uint8_t *
sig_of(const char *note, size_t *len)
{
	const char *b64 = strrchr(note, ' ') + 1;
	uint8_t *raw = NULL;

	ck_assert_int_eq(reg_base64_decode(b64, strlen(b64) - 1, &raw, len,
	    NULL), 0);
	return raw;
}

/*
 * Checks that no single-bit change of a good note by k verifies: of the
 * signature's bytes (REG_EVERIFY each), and of every byte of the note
 * (some error each); nor any truncation, nor any of some extensions.
 */
static void
check_mutations(const reg_key *k, const char *note, const char *text)
{
	size_t len = strlen(note), siglen, i;
	uint8_t *sig;
	char *m;
	int bit, r;
	static const char *ext[] = {
		"\n", "x", "x\n", " ", EM_DASH, EM_DASH " ", EM_DASH " x\n",
		"\0", "\r", "\n\n",
	};

	ck_assert_int_eq(reg_note_verify(k, note, len, NULL, NULL), 0);

	/* Every bit of the key id and the signature. */
	sig = sig_of(note, &siglen);
	ck_assert_uint_eq(siglen, 68);
	for (i = 0; i < siglen; i++) {
		for (bit = 0; bit < 8; bit++) {
			sig[i] ^= 1u << bit;
			m = note_with_sig(text, reg_key_name(k), sig, siglen);
			r = reg_note_verify(k, m, strlen(m), NULL, NULL);
			ck_assert_msg(r == REG_EVERIFY,
			    "signature byte %zu bit %d: %d", i, bit, r);
			free(m);
			sig[i] ^= 1u << bit;
		}
	}
	free(sig);

	/* Every bit of every byte of the note, text and signature line. */
	m = malloc(len + 16);
	ck_assert_ptr_nonnull(m);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(m, note, len);
			m[i] ^= (char)(1u << bit);
			r = reg_note_verify(k, m, len, NULL, NULL);
			ck_assert_msg(r == REG_EVERIFY || r == REG_EINVAL,
			    "note byte %zu bit %d: %d", i, bit, r);
		}
	}

	/* Every truncation. */
	for (i = 0; i < len; i++) {
		r = reg_note_verify(k, note, i, NULL, NULL);
		ck_assert_msg(r == REG_EVERIFY || r == REG_EINVAL,
		    "truncated to %zu: %d", i, r);
	}

	/* Extensions at the end and at the start. */
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t el = strlen(ext[i]) > 0 ? strlen(ext[i]) : 1;

		memcpy(m, note, len);
		memcpy(m + len, ext[i], el);
		r = reg_note_verify(k, m, len + el, NULL, NULL);
		ck_assert_msg(r == REG_EINVAL, "extended by %zu: %d", i, r);
		memcpy(m, ext[i], el);
		memcpy(m + el, note, len);
		r = reg_note_verify(k, m, len + el, NULL, NULL);
		ck_assert_msg(r == REG_EVERIFY || r == REG_EINVAL,
		    "prefixed by %zu: %d", i, r);
	}
	free(m);
}

START_TEST(test_mutations_example)
{
	reg_key *k = NULL;

	ck_assert_int_eq(reg_key_from_verifier(PETER_VKEY, &k, NULL), 0);
	check_mutations(k, PETER_NOTE, PETER_TEXT);
	reg_key_free(k);
}
END_TEST

START_TEST(test_mutations_signed)
{
	char *path = tmp_path("mut.key"), *note = NULL, *v = NULL;
	reg_key *k = NULL, *pub = NULL;
	const char *text = "registry.example/log\n42\n"
	    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	    "\n"
	    "Gr\xc3\xbc\xc3\x9f \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac "
	    "\xf0\x9f\x94\x92\n";

	ck_assert_int_eq(reg_key_generate("registry.example/log", path, NULL),
	    0);
	ck_assert_int_eq(reg_key_load(path, &k, NULL), 0);
	ck_assert_int_eq(reg_key_verifier(k, &v, NULL), 0);
	ck_assert_int_eq(reg_key_from_verifier(v, &pub, NULL), 0);
	ck_assert_int_eq(reg_note_sign(k, text, &note, NULL), 0);
	check_mutations(pub, note, text);
	check_mutations(k, note, text);
	reg_key_free(k);
	reg_key_free(pub);
	reg_free(note);
	reg_free(v);
	free(path);
}
END_TEST

/* ------------------------------------------------------------ signing */

static const char *bad_texts[] = {
	"", "no newline", "a\n\tb\n", "a\rb\n", "a\x01\n", "\x1b[0m\n",
	"\xff\n", "\xc3\n", "\xc0\xaf\n", "\xe0\x80\xaf\n",
	"\xf0\x80\x80\xaf\n",
	"\xed\xa0\x80\n", "\xf4\x90\x80\x80\n", "\xf8\x88\x80\x80\x80\n",
	"\x80\n", "a\xe2\x80\n",
};

START_TEST(test_sign_reject)
{
	char *path = tmp_path("s.key"), *note = (char *)"sentinel";
	reg_key *k = NULL;
	reg_error err = REG_ERROR_INIT;

	if (access(path, F_OK) != 0)
		ck_assert_int_eq(reg_key_generate("s", path, NULL), 0);
	ck_assert_int_eq(reg_key_load(path, &k, NULL), 0);
	ck_assert_msg(reg_note_sign(k, bad_texts[_i], &note, &err) ==
	    REG_EINVAL, "text %d signed", _i);
	ck_assert_ptr_null(note);
	reg_key_free(k);
	free(path);
}
END_TEST

START_TEST(test_sign_limits)
{
	char *path = tmp_path("big.key"), *text, *note = NULL, *out = NULL;
	reg_key *k = NULL, *pub = NULL;
	reg_error err = REG_ERROR_INIT;
	size_t i;

	ck_assert_int_eq(reg_key_generate("big", path, NULL), 0);
	ck_assert_int_eq(reg_key_load(path, &k, NULL), 0);
	text = malloc(REG_NOTE_MAX + 2);
	ck_assert_ptr_nonnull(text);
	for (i = 0; i < REG_NOTE_MAX + 1; i++)
		text[i] = (i % 64 == 63) ? '\n' : 'a' + (char)(i % 26);
	text[REG_NOTE_MAX] = '\n';
	text[REG_NOTE_MAX + 1] = '\0';
	ck_assert_int_eq(reg_note_sign(k, text, &note, &err), REG_ETOOBIG);
	ck_assert_ptr_null(note);
	text[REG_NOTE_MAX - 1] = '\n';
	text[REG_NOTE_MAX] = '\0';
	reg_error_clear(&err);
	ck_assert_int_eq(reg_note_sign(k, text, &note, &err), 0);
	ck_assert_int_eq(reg_note_verify(k, note, strlen(note), &out, &err), 0);
	ck_assert_str_eq(out, text);

	/* The smallest text: one newline. */
	reg_free(note);
	reg_free(out);
	ck_assert_int_eq(reg_note_sign(k, "\n", &note, &err), 0);
	ck_assert_int_eq(reg_note_verify(k, note, strlen(note), &out, &err), 0);
	ck_assert_str_eq(out, "\n");

	/* A public-only key cannot sign. */
	{
		char *v = NULL, *n2 = (char *)"sentinel";

		ck_assert_int_eq(reg_key_verifier(k, &v, NULL), 0);
		ck_assert_int_eq(reg_key_from_verifier(v, &pub, NULL), 0);
		ck_assert_int_eq(reg_note_sign(pub, "x\n", &n2, NULL),
		    REG_EKEY);
		ck_assert_ptr_null(n2);
		reg_free(v);
	}
	reg_key_free(k);
	reg_key_free(pub);
	reg_free(note);
	reg_free(out);
	free(text);
	free(path);
}
END_TEST

/* ------------------------------------------- independent verification */

/*
 * Runs tests/verify_note.py on a verifier key and a note written to the
 * temporary folder; returns its exit status.  Fails the test when the
 * script cannot run or /usr/bin/python3 has no "cryptography" package.
 */
static int
run_python_verifier(const char *vkey, const char *note, size_t len)
{
	const char *srcdir = getenv("REG_TEST_SRCDIR");
	char script[PATH_MAX], *vpath, *npath;
	pid_t pid;
	int status;

	if (srcdir == NULL || *srcdir == '\0')
		srcdir = ".";
	snprintf(script, sizeof(script), "%s/tests/verify_note.py", srcdir);
	ck_assert_msg(access(script, R_OK) == 0, "cannot read %s (set "
	    "REG_TEST_SRCDIR to the source tree): %s", script, strerror(errno));
	ck_assert_msg(access(PYTHON, X_OK) == 0, "cannot run %s: %s", PYTHON,
	    strerror(errno));
	vpath = tmp_path("python.vkey");
	npath = tmp_path("python.note");
	write_file(vpath, vkey, strlen(vkey));
	write_file(npath, note, len);

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl(PYTHON, PYTHON, script, vpath, npath, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	free(vpath);
	free(npath);
	ck_assert_msg(WIFEXITED(status), "%s died", script);
	ck_assert_msg(WEXITSTATUS(status) != 3, "%s lacks the Python "
	    "\"cryptography\" package that %s needs: install "
	    "python3-cryptography", PYTHON, script);
	ck_assert_msg(WEXITSTATUS(status) != 127, "cannot run %s", PYTHON);
	return WEXITSTATUS(status);
}

START_TEST(test_python_example)
{
	char *bad = strdup(PETER_NOTE);

	/* The independent verifier accepts the published example... */
	ck_assert_int_eq(run_python_verifier(PETER_VKEY, PETER_NOTE,
	    strlen(PETER_NOTE)), 0);
	/* ...and refuses it changed. */
	bad[3] = 'Y';
	ck_assert_int_eq(run_python_verifier(PETER_VKEY, bad, strlen(bad)), 1);
	free(bad);
}
END_TEST

START_TEST(test_python_signed)
{
	char *path = tmp_path("py.key"), *note = NULL, *v = NULL, *bad;
	reg_key *k = NULL;
	const char *text = "registry.example/log\n7\n"
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
	    "r\xc3\xa9" "f\xc3\xa9rence \xe2\x80\x94 \xe6\x97\xa5\n";
	size_t i;

	ck_assert_int_eq(reg_key_generate("registry.example/log", path, NULL),
	    0);
	ck_assert_int_eq(reg_key_load(path, &k, NULL), 0);
	ck_assert_int_eq(reg_key_verifier(k, &v, NULL), 0);
	ck_assert_int_eq(reg_note_sign(k, text, &note, NULL), 0);
	ck_assert_int_eq(run_python_verifier(v, note, strlen(note)), 0);

	/* A tampered note: one letter of the text changed. */
	bad = strdup(note);
	ck_assert_ptr_nonnull(bad);
	i = strlen("registry.example/log\n");
	ck_assert_int_eq(bad[i], '7');
	bad[i] = '8';
	ck_assert_int_ne(run_python_verifier(v, bad, strlen(bad)), 0);
	free(bad);

	/* A tampered note: one bit of the signature changed. */
	{
		uint8_t *sig;
		size_t siglen;

		sig = sig_of(note, &siglen);
		sig[40] ^= 0x10;
		bad = note_with_sig(text, reg_key_name(k), sig, siglen);
		ck_assert_int_ne(run_python_verifier(v, bad, strlen(bad)), 0);
		free(bad);
		free(sig);
	}
	reg_key_free(k);
	reg_free(note);
	reg_free(v);
	free(path);
}
END_TEST

/* --------------------------------------------------------- checkpoints */

START_TEST(test_checkpoint_example)
{
	struct reg_checkpoint cp;
	char *out = NULL;
	reg_error err = REG_ERROR_INIT;

	ck_assert_int_eq(reg_checkpoint_parse(C2SP_CHECKPOINT,
	    strlen(C2SP_CHECKPOINT), &cp, &err), 0);
	ck_assert_str_eq(cp.origin, "example.com/behind-the-sofa");
	ck_assert_uint_eq(cp.size, 20852163);
	/* CsUY... is 0x0a 0xc5 0x18 ... 0x62 */
	ck_assert_uint_eq(cp.root.b[0], 0x0a);
	ck_assert_uint_eq(cp.root.b[1], 0xc5);
	ck_assert_uint_eq(cp.root.b[2], 0x18);
	ck_assert_uint_eq(cp.root.b[31], 0x62);
	ck_assert_int_eq(reg_checkpoint_format(&cp, &out, &err), 0);
	ck_assert_str_eq(out, C2SP_CHECKPOINT);
	reg_free(out);

	/* Extension lines are allowed and ignored. */
	ck_assert_int_eq(reg_checkpoint_parse(C2SP_CHECKPOINT "ext one\nx\n",
	    strlen(C2SP_CHECKPOINT) + 10, &cp, &err), 0);
	ck_assert_uint_eq(cp.size, 20852163);
}
END_TEST

START_TEST(test_checkpoint_roundtrip)
{
	static const uint64_t sizes[] = {
		0, 1, 9, 10, 255, 1000000, UINT64_C(9223372036854775807),
	};
	struct reg_checkpoint cp, back;
	char *out = NULL;
	size_t i, j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&cp, 0, sizeof(cp));
		snprintf(cp.origin, sizeof(cp.origin), "log%zu.example", i);
		cp.size = sizes[i];
		for (j = 0; j < 32; j++)
			cp.root.b[j] = (uint8_t)(i * 37 + j * 11);
		ck_assert_int_eq(reg_checkpoint_format(&cp, &out, NULL), 0);
		ck_assert_int_eq(reg_checkpoint_parse(out, strlen(out), &back,
		    NULL), 0);
		ck_assert_str_eq(back.origin, cp.origin);
		ck_assert_uint_eq(back.size, cp.size);
		ck_assert(memcmp(back.root.b, cp.root.b, 32) == 0);
		reg_free(out);
	}
	/* A 255-byte origin. */
	memset(&cp, 0, sizeof(cp));
	memset(cp.origin, 'o', REG_KEY_NAME_MAX);
	ck_assert_int_eq(reg_checkpoint_format(&cp, &out, NULL), 0);
	ck_assert_int_eq(reg_checkpoint_parse(out, strlen(out), &back, NULL),
	    0);
	ck_assert_str_eq(back.origin, cp.origin);
	reg_free(out);
}
END_TEST

/* An origin of REG_KEY_NAME_MAX bytes fits; one more does not. */
START_TEST(test_checkpoint_origin_max)
{
	char text[REG_KEY_NAME_MAX + 64];
	struct reg_checkpoint cp;
	reg_error err = REG_ERROR_INIT;
	size_t n;

	for (n = REG_KEY_NAME_MAX; n <= REG_KEY_NAME_MAX + 1; n++) {
		memset(text, 'o', n);
		strcpy(text + n, "\n1\n" ROOT "\n");
		reg_error_clear(&err);
		if (n == REG_KEY_NAME_MAX) {
			ck_assert_int_eq(reg_checkpoint_parse(text,
			    strlen(text), &cp, &err), 0);
			ck_assert_uint_eq(strlen(cp.origin), n);
		} else {
			ck_assert_int_eq(reg_checkpoint_parse(text,
			    strlen(text), &cp, &err), REG_EINVAL);
			ck_assert_ptr_nonnull(strstr(err.message, "line 1"));
		}
	}
}
END_TEST

static const struct {
	const char *text;
	const char *line;	/* what the message must name */
} bad_checkpoints[] = {
	{ "", "newline" },
	{ "o", "newline" },
	{ "o\n", "line 2" },
	{ "o\n1\n", "line 3" },
	{ "\n1\n" ROOT "\n", "line 1" },
	{ "o\n\n" ROOT "\n", "line 2" },
	{ "o\n01\n" ROOT "\n", "line 2" },
	{ "o\n00\n" ROOT "\n", "line 2" },
	{ "o\n-1\n" ROOT "\n", "line 2" },
	{ "o\n+1\n" ROOT "\n", "line 2" },
	{ "o\n 1\n" ROOT "\n", "line 2" },
	{ "o\n1 \n" ROOT "\n", "line 2" },
	{ "o\n1x\n" ROOT "\n", "line 2" },
	{ "o\n0x10\n" ROOT "\n", "line 2" },
	{ "o\n9223372036854775808\n" ROOT "\n", "line 2" },
	{ "o\n18446744073709551615\n" ROOT "\n", "line 2" },
	{ "o\n18446744073709551616\n" ROOT "\n", "line 2" },
	{ "o\n99999999999999999999\n" ROOT "\n", "line 2" },
	{ "o\n1\n" ROOT, "newline" },
	{ "o\n1\n\n", "line 3" },
	{ "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n", "line 3" },
	{ "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n", "line 3" },
	{ "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\n", "line 3" },
	{ "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2IA\n", "line 3" },
	{ "o\n1\n" ROOT " \n", "line 3" },
	{ "o\n1\n" ROOT "\n\n", "line 4" },
	{ "o\n1\n" ROOT "\next\n\n", "line 5" },
	{ "o\n1\n" ROOT "\next", "newline" },
	{ "o\r\n1\n" ROOT "\n", "control" },
	{ "o\n1\r\n" ROOT "\n", "control" },
	{ "o\t\n1\n" ROOT "\n", "control" },
	{ "o\xff\n1\n" ROOT "\n", "UTF-8" },
	{ "ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
	  "ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
	  "ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
	  "ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
	  "\n1\n" ROOT "\n", "line 1" },
};

START_TEST(test_checkpoint_reject)
{
	const char *text = bad_checkpoints[_i].text;
	struct reg_checkpoint cp;
	reg_error err = REG_ERROR_INIT;

	memset(&cp, 0x5a, sizeof(cp));
	ck_assert_msg(reg_checkpoint_parse(text, strlen(text), &cp, &err) ==
	    REG_EINVAL, "checkpoint %d accepted or not REG_EINVAL: %s", _i,
	    err.message);
	ck_assert_msg(strstr(err.message, bad_checkpoints[_i].line) != NULL,
	    "checkpoint %d: message \"%s\" does not name \"%s\"", _i,
	    err.message, bad_checkpoints[_i].line);
	/* Nothing of a refused checkpoint is left behind. */
	ck_assert_uint_eq(cp.size, 0);
	ck_assert_str_eq(cp.origin, "");
}
END_TEST

START_TEST(test_checkpoint_format_reject)
{
	struct reg_checkpoint cp;
	char *out = (char *)"sentinel";

	memset(&cp, 0, sizeof(cp));
	ck_assert_int_eq(reg_checkpoint_format(&cp, &out, NULL), REG_EINVAL);
	ck_assert_ptr_null(out);
	strcpy(cp.origin, "a\nb");
	ck_assert_int_eq(reg_checkpoint_format(&cp, &out, NULL), REG_EINVAL);
	strcpy(cp.origin, "a\x01");
	ck_assert_int_eq(reg_checkpoint_format(&cp, &out, NULL), REG_EINVAL);
	strcpy(cp.origin, "a\xff");
	ck_assert_int_eq(reg_checkpoint_format(&cp, &out, NULL), REG_EINVAL);
	memset(cp.origin, 'o', sizeof(cp.origin));
	ck_assert_int_eq(reg_checkpoint_format(&cp, &out, NULL), REG_EINVAL);
	strcpy(cp.origin, "o");
	cp.size = UINT64_C(9223372036854775808);
	ck_assert_int_eq(reg_checkpoint_format(&cp, &out, NULL), REG_ERANGE);
	cp.size = UINT64_MAX;
	ck_assert_int_eq(reg_checkpoint_format(&cp, &out, NULL), REG_ERANGE);
	ck_assert_ptr_null(out);
}
END_TEST

/* A checkpoint signed as a note verifies and parses back. */
START_TEST(test_checkpoint_signed)
{
	char *path = tmp_path("cp.key"), *body = NULL, *note = NULL;
	char *text = NULL;
	struct reg_checkpoint cp, back;
	reg_key *k = NULL;

	memset(&cp, 0, sizeof(cp));
	strcpy(cp.origin, "registry.example/log");
	cp.size = 12345;
	memset(cp.root.b, 0xab, 32);
	ck_assert_int_eq(reg_key_generate(cp.origin, path, NULL), 0);
	ck_assert_int_eq(reg_key_load(path, &k, NULL), 0);
	ck_assert_int_eq(reg_checkpoint_format(&cp, &body, NULL), 0);
	ck_assert_int_eq(reg_note_sign(k, body, &note, NULL), 0);
	ck_assert_int_eq(reg_note_verify(k, note, strlen(note), &text, NULL),
	    0);
	ck_assert_int_eq(reg_checkpoint_parse(text, strlen(text), &back, NULL),
	    0);
	ck_assert_uint_eq(back.size, 12345);
	ck_assert(memcmp(&back.root, &cp.root, 32) == 0);
	reg_key_free(k);
	reg_free(body);
	reg_free(note);
	reg_free(text);
	free(path);
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static TCase *
tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *
note_suite(void)
{
	Suite *s = suite_create("note");
	TCase *tc;

	tc = tcase(s, "base64");
	tcase_add_loop_test(tc, test_base64_vectors, 0, NELEM(b64_vectors));
	tcase_add_test(tc, test_base64_reference);
	tcase_add_loop_test(tc, test_base64_reject, 0, NELEM(b64_bad));
	tcase_add_test(tc, test_base64_too_big);

	tc = tcase(s, "key");
	tcase_add_test(tc, test_key_roundtrip);
	tcase_add_test(tc, test_key_file_format);
	tcase_add_test(tc, test_key_no_overwrite);
	tcase_add_test(tc, test_key_load_missing);
	tcase_add_loop_test(tc, test_key_wrong_type, 0, NELEM(wrong_types));
	tcase_add_loop_test(tc, test_key_garbage, 0, N_GARBAGE);
	tcase_add_loop_test(tc, test_key_bad_names, 0, NELEM(bad_names));
	tcase_add_test(tc, test_key_name_limits);

	tc = tcase(s, "verifier");
	tcase_add_test(tc, test_verifier_format);
	tcase_add_loop_test(tc, test_verifier_reject, 0, NELEM(bad_vkeys));
	tcase_add_test(tc, test_verifier_mangled);

	tc = tcase(s, "example");
	tcase_add_test(tc, test_example_verifier);
	tcase_add_test(tc, test_example_note);
	tcase_add_test(tc, test_example_sign);
	tcase_add_loop_test(tc, test_note_malformed, 0, NELEM(bad_notes));
	tcase_add_test(tc, test_note_too_many_signatures);

	tc = tcase(s, "mutation");
	tcase_add_test(tc, test_mutations_example);
	tcase_add_test(tc, test_mutations_signed);

	tc = tcase(s, "sign");
	tcase_add_loop_test(tc, test_sign_reject, 0, NELEM(bad_texts));
	tcase_add_test(tc, test_sign_limits);

	tc = tcase(s, "python");
	tcase_add_test(tc, test_python_example);
	tcase_add_test(tc, test_python_signed);

	tc = tcase(s, "checkpoint");
	tcase_add_test(tc, test_checkpoint_example);
	tcase_add_test(tc, test_checkpoint_roundtrip);
	tcase_add_test(tc, test_checkpoint_origin_max);
	tcase_add_loop_test(tc, test_checkpoint_reject, 0,
	    NELEM(bad_checkpoints));
	tcase_add_test(tc, test_checkpoint_format_reject);
	tcase_add_test(tc, test_checkpoint_signed);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(note_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
