/*
 * JWS compact serialisation with EdDSA (proto/jws.c): the RFC 8037
 * appendix A.4 vector byte for byte, round trips, every bit flip and
 * truncation of a signed message refused, malformed and hostile messages
 * refused with the part named, and an independent implementation
 * (python3-jwcrypto) verifying ours and signing one that ours verifies.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/base64.h"
#include "proto/proto.h"
#include "testutil.h"

/* RFC 8037 appendix A.1 and A.4. */
static const char rfc_d[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
static const char rfc_x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
static const char rfc_jws[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

/* The 32 bytes of an RFC 8037 key member (unpadded base64url). */
static void
b64u(const char *s, uint8_t out[32])
{
	uint8_t b[33];
	size_t n;

	ck_assert_int_eq(cm_base64_decode(s, strlen(s), b, &n, NULL,
	    CM_BASE64_URL | CM_BASE64_NOPAD), 0);
	ck_assert_uint_eq(n, 32);
	memcpy(out, b, 32);
}

static proto_jws_key *
rfc_key(int private)
{
	proto_error err = PROTO_ERROR_INIT;
	proto_jws_key *k = NULL;
	uint8_t b[32];

	b64u(private ? rfc_d : rfc_x, b);
	if (private)
		ck_assert(proto_jws_key_from_seed(b, NULL, &k, &err) == 0);
	else
		ck_assert(proto_jws_key_from_public(b, NULL, &k, &err) == 0);
	return k;
}

START_TEST(rfc8037_vector)
{
	proto_error err = PROTO_ERROR_INIT;
	proto_jws_key *k = rfc_key(1), *pub = rfc_key(0);
	const char *msg = "Example of Ed25519 signing";
	proto_jws *j = NULL;
	uint8_t p1[32], p2[32];
	const uint8_t *pl;
	char *out = NULL;
	size_t n;

	ck_assert(proto_jws_key_public(k, p1) == 0);
	ck_assert(proto_jws_key_public(pub, p2) == 0);
	ck_assert(memcmp(p1, p2, 32) == 0);
	ck_assert(proto_jws_sign(k, NULL, msg, strlen(msg), &out, &err) == 0);
	ck_assert_str_eq(out, rfc_jws);
	ck_assert(proto_jws_parse(rfc_jws, strlen(rfc_jws), &j, &err) == 0);
	ck_assert_msg(proto_jws_verify(j, pub, &err) == 0, "%s", err.message);
	pl = proto_jws_payload(j, &n);
	ck_assert_uint_eq(n, strlen(msg));
	ck_assert(memcmp(pl, msg, n) == 0);
	ck_assert_ptr_null(proto_jws_kid(j));
	proto_jws_free(j);
	proto_free(out);
	proto_jws_key_free(k);
	proto_jws_key_free(pub);
}
END_TEST

START_TEST(mutations)
{
	proto_error err = PROTO_ERROR_INIT;
	proto_jws_key *k = rfc_key(1), *pub = rfc_key(0);
	const char *doc = "{\"schema\":\"trace-request/1\"}";
	char *jws = NULL, *m;
	proto_jws *j;
	size_t n, i;
	int bit, accepted = 0;

	{
		uint8_t seed[32];

		b64u(rfc_d, seed);
		proto_jws_key_free(k);
		ck_assert(proto_jws_key_from_seed(seed, "NL/2026", &k, &err) == 0);
	}
	ck_assert(proto_jws_sign(k, "trace-request/1", doc, strlen(doc), &jws, &err) == 0);
	ck_assert(proto_jws_parse(jws, strlen(jws), &j, &err) == 0);
	ck_assert_str_eq(proto_jws_kid(j), "NL/2026");
	ck_assert_str_eq(proto_jws_cty(j), "trace-request/1");
	ck_assert(proto_jws_verify(j, pub, &err) == 0);
	proto_jws_free(j);
	n = strlen(jws);
	m = malloc(n + 2);
	/* Every bit of every byte flipped: refused by the parser or by the
	 * signature check, never accepted. */
	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(m, jws, n + 1);
			m[i] ^= (char)(1 << bit);
			j = NULL;
			proto_error_clear(&err);
			if (proto_jws_parse(m, n, &j, &err) == 0 &&
			    proto_jws_verify(j, pub, &err) == 0)
				accepted++;
			proto_jws_free(j);
		}
	ck_assert_int_eq(accepted, 0);
	/* Every truncation and an extension. */
	for (i = 0; i < n; i++) {
		j = NULL;
		if (proto_jws_parse(jws, i, &j, &err) == 0 &&
		    proto_jws_verify(j, pub, &err) == 0)
			accepted++;
		proto_jws_free(j);
	}
	memcpy(m, jws, n);
	m[n] = 'A';
	j = NULL;
	if (proto_jws_parse(m, n + 1, &j, &err) == 0 && proto_jws_verify(j, pub, &err) == 0)
		accepted++;
	proto_jws_free(j);
	ck_assert_int_eq(accepted, 0);
	free(m);
	proto_free(jws);
	proto_jws_key_free(k);
	proto_jws_key_free(pub);
}
END_TEST

/* A JWS from a header and payload as written, with a dummy signature. */
static int
parse_parts(const char *header, const char *payload, const char *sig,
    proto_error *err)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char buf[8192], *p = buf;
	const char *parts[2] = { header, payload };
	proto_jws *j = NULL;
	int i, r;

	for (i = 0; i < 2; i++) {
		const uint8_t *s = (const uint8_t *)parts[i];
		size_t n = strlen(parts[i]), k;

		for (k = 0; k + 2 < n; k += 3) {
			uint32_t v = (uint32_t)s[k] << 16 | (uint32_t)s[k + 1] << 8 | s[k + 2];

			*p++ = a[v >> 18]; *p++ = a[v >> 12 & 63];
			*p++ = a[v >> 6 & 63]; *p++ = a[v & 63];
		}
		if (n - k == 1) {
			*p++ = a[s[k] >> 2]; *p++ = a[(s[k] & 3) << 4];
		} else if (n - k == 2) {
			uint32_t v = (uint32_t)s[k] << 8 | s[k + 1];

			*p++ = a[v >> 10]; *p++ = a[v >> 4 & 63]; *p++ = a[(v & 15) << 2];
		}
		*p++ = '.';
	}
	strcpy(p, sig);
	r = proto_jws_parse(buf, strlen(buf), &j, err);
	proto_jws_free(j);
	return r;
}

START_TEST(malformed)
{
	static const char sig[] = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijc"
	    "NR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
	static const struct { const char *header, *field; int code; } bad[] = {
		{ "{\"alg\":\"none\"}", "header.alg", PROTO_EVALUE },
		{ "{\"alg\":\"HS256\"}", "header.alg", PROTO_EVALUE },
		{ "{\"alg\":\"Ed25519\"}", "header.alg", PROTO_EVALUE },
		{ "{}", "header.alg", PROTO_EVALUE },
		{ "[\"alg\"]", "header", PROTO_ETYPE },
		{ "{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\"}", "header", PROTO_ESYNTAX },
		{ "{\"alg\":\"EdDSA\",\"crit\":[\"exp\"]}", "header", PROTO_EVALUE },
		{ "{\"alg\":\"EdDSA\",\"b64\":false}", "header", PROTO_EVALUE },
		{ "{\"alg\":\"EdDSA\",\"jwk\":{}}", "header", PROTO_EVALUE },
		{ "{\"alg\":\"EdDSA\",\"x5u\":\"https://evil\"}", "header", PROTO_EVALUE },
		{ "{\"alg\":\"EdDSA\",\"zip\":\"DEF\"}", "header", PROTO_EUNKNOWN },
		{ "{\"alg\":\"EdDSA\",\"kid\":7}", "header.kid", PROTO_ETYPE },
		{ "{\"alg\":\"EdDSA\",\"kid\":\"a b\"}", "kid", PROTO_EVALUE },
		{ "{\"alg\":\"EdDSA\",\"kid\":\"\"}", "kid", PROTO_EVALUE },
		{ "not json", "header", PROTO_ESYNTAX },
	};
	proto_error err;
	char big[6000];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		proto_error_clear(&err);
		ck_assert_msg(parse_parts(bad[i].header, "{}", sig, &err) == bad[i].code,
		    "%s: %s", bad[i].header, err.message);
		ck_assert_msg(strcmp(err.field, bad[i].field) == 0, "%s: field %s",
		    bad[i].header, err.field);
	}
	proto_error_clear(&err);
	ck_assert_int_eq(parse_parts("{\"alg\":\"EdDSA\"}", "{}", "short", &err),
	    PROTO_ESYNTAX);
	ck_assert_str_eq(err.field, "signature");
	/* Padding, other alphabets, non-canonical trailing bits, missing or
	 * extra parts.  (An empty payload is valid JWS; the protocol refuses
	 * an empty document above this layer.) */
	{
		static const char *const texts[] = {
			"eyJhbGciOiJFZERTQSJ9.e30=.", "eyJhbGciOiJFZERTQSJ9.e3+.",
			"eyJhbGciOiJFZERTQSJ9.e31.", "eyJhbGciOiJFZERTQSJ9.e3 .",
			"eyJhbGciOiJFZERTQSJ9", ".e30.",
			"eyJhbGciOiJFZERTQSJ9.e30.AA.AA", "",
		};
		for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			char t[256];
			proto_jws *j = NULL;

			snprintf(t, sizeof(t), "%s%s", texts[i],
			    strchr(texts[i], '.') && strrchr(texts[i], '.')[1] == '\0' ? sig : "");
			proto_error_clear(&err);
			ck_assert_msg(proto_jws_parse(t, strlen(t), &j, &err) != 0, "%s", t);
			ck_assert_ptr_null(j);
		}
	}
	/* An oversized header. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "{\"alg\":\"EdDSA\",\"kid\":\"", 22);
	proto_error_clear(&err);
	ck_assert_int_eq(parse_parts(big, "{}", sig, &err), PROTO_ETOOBIG);
}
END_TEST

START_TEST(independent)
{
	proto_error err = PROTO_ERROR_INIT;
	proto_jws_key *k = rfc_key(1), *pub = rfc_key(0);
	const char *doc = "{\"schema\":\"trace-response/1\",\"status\":\"found\"}";
	char *jws = NULL, cmd[4096], out[4096];
	proto_jws *j = NULL;
	const uint8_t *pl;
	size_t n;
	int st;

	{
		uint8_t seed[32];

		b64u(rfc_d, seed);
		proto_jws_key_free(k);
		ck_assert(proto_jws_key_from_seed(seed, "BE/1", &k, &err) == 0);
	}
	ck_assert(proto_jws_sign(k, NULL, doc, strlen(doc), &jws, &err) == 0);
	/* jwcrypto verifies ours, then signs a message of its own. */
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '\n"
	    "import sys\n"
	    "from jwcrypto import jwk, jws\n"
	    "key = jwk.JWK(kty=\"OKP\", crv=\"Ed25519\", d=\"%s\", x=\"%s\")\n"
	    "t = jws.JWS()\n"
	    "t.deserialize(sys.argv[1])\n"
	    "t.verify(key.public(), alg=\"EdDSA\")\n"
	    "assert t.payload.decode() == sys.argv[2]\n"
	    "s = jws.JWS(b\"from jwcrypto\")\n"
	    "s.add_signature(key, alg=\"EdDSA\", protected={\"alg\": \"EdDSA\", \"kid\": \"BE/1\"})\n"
	    "print(s.serialize(compact=True), end=\"\")\n' '%s' '%s'", rfc_d, rfc_x, jws, doc);
	st = tu_run(cmd, out, sizeof(out));
	ck_assert_msg(st == 0, "jwcrypto: %s", out);
	ck_assert(proto_jws_parse(out, strlen(out), &j, &err) == 0);
	ck_assert_msg(proto_jws_verify(j, pub, &err) == 0, "%s", err.message);
	pl = proto_jws_payload(j, &n);
	ck_assert_uint_eq(n, 13);
	ck_assert(memcmp(pl, "from jwcrypto", 13) == 0);
	ck_assert_str_eq(proto_jws_kid(j), "BE/1");
	proto_jws_free(j);
	proto_free(jws);
	proto_jws_key_free(k);
	proto_jws_key_free(pub);
}
END_TEST

/* A key as OpenSSL's own decoder reads it: its raw public key. */
static void
openssl_public(const char *pem, uint8_t out[32])
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	size_t n = 32;

	if (k == NULL) {
		(void)BIO_reset(b);
		k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	}
	ck_assert(k != NULL);
	ck_assert(EVP_PKEY_get_raw_public_key(k, out, &n) == 1 && n == 32);
	EVP_PKEY_free(k);
	BIO_free(b);
}

/* Keys in PEM: the RFC 8410 encodings that every tool writes (read
 * without OpenSSL's decoders) give the same key as the decoders; other
 * encodings still go through them; other algorithms and damaged files
 * are refused. */
START_TEST(pem_keys)
{
	proto_error err = PROTO_ERROR_INIT;
	proto_jws_key *priv = NULL, *pub = NULL, *k = NULL;
	char cmd[1024], priv_pem[2048], pub_pem[2048], other[2048], *jws = NULL;
	uint8_t a[32], b[32];
	proto_jws *j = NULL;
	char *dir = tu_tmpdir();

	snprintf(cmd, sizeof(cmd), "openssl genpkey -algorithm ed25519 -out %s/k.pem "
	    "&& openssl pkey -in %s/k.pem -pubout -out %s/p.pem && cat %s/k.pem",
	    dir, dir, dir, dir);
	ck_assert(tu_run(cmd, priv_pem, sizeof(priv_pem)) == 0);
	snprintf(cmd, sizeof(cmd), "cat %s/p.pem", dir);
	ck_assert(tu_run(cmd, pub_pem, sizeof(pub_pem)) == 0);
	ck_assert(proto_jws_key_from_pem(priv_pem, strlen(priv_pem), "BE/1", &priv,
	    &err) == 0);
	ck_assert(proto_jws_key_private(priv));
	ck_assert(proto_jws_key_from_pem(pub_pem, strlen(pub_pem), "BE/1", &pub,
	    &err) == 0);
	ck_assert(!proto_jws_key_private(pub));
	ck_assert(proto_jws_key_public(priv, a) == 0);
	openssl_public(priv_pem, b);
	ck_assert(memcmp(a, b, 32) == 0);
	ck_assert(proto_jws_key_public(pub, a) == 0);
	ck_assert(memcmp(a, b, 32) == 0);
	ck_assert(proto_jws_sign(priv, NULL, "x", 1, &jws, &err) == 0);
	ck_assert(proto_jws_parse(jws, strlen(jws), &j, &err) == 0);
	ck_assert_msg(proto_jws_verify(j, pub, &err) == 0, "%s", err.message);
	proto_jws_free(j);
	proto_free(jws);

	/* The same private key as PKCS #1-style "traditional" text is not an
	 * Ed25519 form; an encrypted one needs a password: both refused by
	 * the decoders, with the file's error. */
	snprintf(cmd, sizeof(cmd), "openssl pkey -in %s/k.pem -aes128 -passout "
	    "pass:secret", dir);
	ck_assert(tu_run(cmd, other, sizeof(other)) == 0);
	ck_assert(proto_jws_key_from_pem(other, strlen(other), NULL, &k, &err) != 0);
	ck_assert(k == NULL);

	/* An X25519 key: the same shapes, another algorithm. */
	snprintf(cmd, sizeof(cmd), "openssl genpkey -algorithm x25519");
	ck_assert(tu_run(cmd, other, sizeof(other)) == 0);
	memset(&err, 0, sizeof(err));
	ck_assert(proto_jws_key_from_pem(other, strlen(other), NULL, &k, &err) != 0);
	ck_assert(strstr(err.message, "not an Ed25519 key") != NULL);
	snprintf(cmd, sizeof(cmd), "openssl genpkey -algorithm x25519 | "
	    "openssl pkey -pubout");
	ck_assert(tu_run(cmd, other, sizeof(other)) == 0);
	ck_assert(proto_jws_key_from_pem(other, strlen(other), NULL, &k, &err) != 0);

	/* The Ed25519 public key under the private key's label, and a body
	 * cut short: refused. */
	{
		char *p = strstr(pub_pem, "PUBLIC KEY-----\n"), *q;

		ck_assert(p != NULL);
		snprintf(other, sizeof(other), "-----BEGIN PRIVATE KEY-----\n%.60s\n"
		    "-----END PRIVATE KEY-----\n", p + 16);
		ck_assert(proto_jws_key_from_pem(other, strlen(other), NULL, &k,
		    &err) != 0);
		snprintf(other, sizeof(other), "%s", priv_pem);
		q = strchr(other, '\n');
		ck_assert(q != NULL && strlen(q) > 20);
		memmove(q + 1, q + 11, strlen(q + 11) + 1);
		ck_assert(proto_jws_key_from_pem(other, strlen(other), NULL, &k,
		    &err) != 0);
	}
	ck_assert(proto_jws_key_from_pem("", 0, NULL, &k, &err) != 0);
	proto_jws_key_free(priv);
	proto_jws_key_free(pub);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jws");
	TCase *t = tcase_create("jws");
	SRunner *sr;
	int failed;

	tcase_set_timeout(t, 60);
	tcase_add_test(t, rfc8037_vector);
	tcase_add_test(t, mutations);
	tcase_add_test(t, malformed);
	tcase_add_test(t, independent);
	tcase_add_test(t, pem_keys);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
