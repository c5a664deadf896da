/*
 * The verifier of a signed answer (tracer/net/verify.c): a trace response
 * signed with the project's own JWS signing, whose checkpoint is signed
 * with the project's own log key (a C2SP note) over a Merkle tree built
 * here (RFC 9162, with the library's leaf and node hashes), verifies; and
 * every mutation is refused with its code: each bit of the JWS signature
 * and of the payload, of the checkpoint's signature and root, of each
 * proof hash and leaf hash; a wrong index, size, key or State; the
 * message truncated at every length and extended.  REG_EINVAL is a
 * malformed message or document, REG_EVERIFY one that does not verify.
 * No database: nothing here is stored.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "testutil.h"
#include "tracer_int.h"
#include "verify_int.h"

#define NLEAVES 7
#define NEVENTS 3
static const int64_t event_index[NEVENTS] = { 1, 4, 6 };

static char *dir;			/* from tu_tmpdir() */
static char ini[PATH_MAX];		/* the peers directory */
static char ini_other[PATH_MAX];	/* the same, another log key for BE */
static proto_jws_key *signer;		/* BE/1 */
static proto_jws_key *stranger;		/* another key, also named BE/1 */
static proto_jws_key *be2;		/* BE/2: not in the directory */
static reg_key *logkey;
static struct reg_hash leaf[NLEAVES];
static json_t *good_doc;		/* the response, as JSON */
static char *good;			/* and signed */
static tr__peers *peers, *peers_other;

/* ------------------------------------------------------------ helpers */

static char *
b64(const uint8_t *p, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1);

	ck_assert_ptr_nonnull(s);
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

static size_t
unb64(const char *s, uint8_t *out)
{
	size_t len = strlen(s);
	int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);

	ck_assert_int_ge(n, 0);
	while (len > 0 && s[len - 1] == '=') {
		len--;
		n--;
	}
	return (size_t)n;
}

/* base64url without padding <-> bytes. */
static char *
b64url(const uint8_t *p, size_t n)
{
	char *s = b64(p, n), *c;

	for (c = s; *c != '\0'; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	while (c > s && c[-1] == '=')
		*--c = '\0';
	return s;
}

static size_t
unb64url(const char *s, size_t len, uint8_t *out)
{
	char *t = malloc(len + 4);
	size_t i, n;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < len; i++)
		t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (i % 4 != 0)
		t[i++] = '=';
	t[i] = '\0';
	n = unb64(t, out);
	free(t);
	return n;
}

/* RFC 9162 2.1.1: the root of leaves [lo, hi). */
static struct reg_hash
mth(size_t lo, size_t hi)
{
	struct reg_hash l, r, h;
	size_t k = 1;

	if (hi - lo == 1)
		return leaf[lo];
	while (k * 2 < hi - lo)
		k *= 2;
	l = mth(lo, lo + k);
	r = mth(lo + k, hi);
	reg_merkle_node_hash(&l, &r, &h);
	return h;
}

/* RFC 9162 2.1.3.1: the audit path of leaf m in [lo, hi), into path. */
static size_t
audit_path(size_t m, size_t lo, size_t hi, struct reg_hash *path)
{
	size_t k = 1, n;

	if (hi - lo == 1)
		return 0;
	while (k * 2 < hi - lo)
		k *= 2;
	if (m < lo + k) {
		n = audit_path(m, lo, lo + k, path);
		path[n] = mth(lo + k, hi);
	} else {
		n = audit_path(m, lo + k, hi, path);
		path[n] = mth(lo, lo + k);
	}
	return n + 1;
}

/* The checkpoint of size leaves with root, signed with k. */
static char *
checkpoint(const reg_key *k, uint64_t size, const struct reg_hash *root)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_checkpoint cp;
	char *body = NULL, *note = NULL, *copy;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", reg_key_name(k));
	cp.size = size;
	cp.root = *root;
	ck_assert_int_eq(reg_checkpoint_format(&cp, &body, &err), 0);
	ck_assert_msg(reg_note_sign(k, body, &note, &err) == 0, "%s", err.message);
	copy = strdup(note);
	reg_free(body);
	reg_free(note);
	return copy;
}

/* The history event i of doc. */
static json_t *
event(json_t *doc, size_t i)
{
	json_t *c = json_array_get(json_object_get(doc, "candidates"), 0);

	return json_array_get(json_object_get(c, "history"), i);
}

static char *
sign_with(const proto_jws_key *k, const char *payload)
{
	proto_error perr = PROTO_ERROR_INIT;
	char *jws = NULL, *copy;

	ck_assert_msg(proto_jws_sign(k, PROTO_SCHEMA_RESPONSE, payload,
	    strlen(payload), &jws, &perr) == 0, "%s", perr.message);
	copy = strdup(jws);
	proto_free(jws);
	return copy;
}

static char *
sign_doc(const proto_jws_key *k, const json_t *doc)
{
	char *payload = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *jws;

	ck_assert_ptr_nonnull(payload);
	jws = sign_with(k, payload);
	free(payload);
	return jws;
}

/* Verifies text with the directory p; returns the code, and checks that a
 * refusal says why and hands out nothing. */
static int
verify_with(const tr__peers *p, const char *state, const char *text,
    size_t len, struct tr__verified *v, char *why, size_t whylen)
{
	reg_error err = REG_ERROR_INIT;
	proto_response *resp = (proto_response *)1;
	int r;

	r = tr__response_verify(p, NULL, state, text, len, &resp, v, &err);
	if (r == 0) {
		ck_assert_ptr_nonnull(resp);
		proto_response_free(resp);
	} else {
		ck_assert_ptr_null(resp);
		ck_assert_msg(err.message[0] != '\0', "a refusal without a reason");
		ck_assert_int_eq(err.code, r);
	}
	if (why != NULL)
		snprintf(why, whylen, "%s", err.message);
	return r;
}

static int
verify(const char *text, char *why, size_t whylen)
{
	struct tr__verified v;

	return verify_with(peers, NULL, text, strlen(text), &v, why, whylen);
}

/* Signs doc with BE/1 and expects code, with want in the reason. */
static void
expect_doc(const json_t *doc, int code, const char *want, const char *what)
{
	char *jws = sign_doc(signer, doc), why[1024];
	int r = verify(jws, why, sizeof(why));

	ck_assert_msg(r == code, "%s: %d, not %d (%s)", what, r, code, why);
	ck_assert_msg(want == NULL || strstr(why, want) != NULL, "%s: \"%s\" "
	    "does not say \"%s\"", what, why, want);
	free(jws);
}

/* ------------------------------------------------------------ fixture */

static void
write_pub(const char *path, const proto_jws_key *k)
{
	uint8_t pub[32];
	EVP_PKEY *pk;
	FILE *f;

	ck_assert_int_eq(proto_jws_key_public(k, pub), 0);
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	ck_assert_ptr_nonnull(pk);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert(PEM_write_PUBKEY(f, pk) == 1);
	ck_assert(fclose(f) == 0);
	EVP_PKEY_free(pk);
}

static proto_jws_key *
key_of(uint8_t fill, const char *kid)
{
	proto_error perr = PROTO_ERROR_INIT;
	proto_jws_key *k = NULL;
	uint8_t seed[32];

	memset(seed, fill, sizeof(seed));
	ck_assert_int_eq(proto_jws_key_from_seed(seed, kid, &k, &perr), 0);
	return k;
}

static void
write_peers(const char *path, const char *logfile, const char *name)
{
	reg_error err = REG_ERROR_INIT;
	reg_key *k = NULL;
	char pub[PATH_MAX + 16], text[4 * PATH_MAX], *vkey = NULL;

	ck_assert_int_eq(reg_key_generate(name, logfile, &err), 0);
	ck_assert_int_eq(reg_key_load(logfile, &k, &err), 0);
	ck_assert_int_eq(reg_key_verifier(k, &vkey, &err), 0);
	snprintf(pub, sizeof(pub), "%s/be-1.pub.pem", dir);
	snprintf(text, sizeof(text), "[peer.BE]\nurl = https://127.0.0.1:1\n"
	    "ca_file = %s\nsigning_key = BE/1 %s\nlog_verifier = %s\n",
	    tu_src_path(0, "tests/fuzz/fixtures/be-ca.pem"), pub, vkey);
	tu_write_file(path, text);
	reg_free(vkey);
	if (logkey == NULL)
		logkey = k;
	else
		reg_key_free(k);
}

/* The example response of proto/examples, its three events at leaves 1, 4
 * and 6 of a tree of NLEAVES with their proofs and the signed checkpoint. */
static json_t *
make_response(void)
{
	struct reg_hash root, path[8];
	json_error_t jerr;
	json_t *doc, *p, *hs;
	char buf[32], *s;
	size_t i, j, n;

	doc = json_load_file(tu_src_path(0, "proto/examples/"
	    "trace-response-found-referral.json"), 0, &jerr);
	ck_assert_msg(doc != NULL, "%s", jerr.text);
	for (i = 0; i < NLEAVES; i++) {
		n = (size_t)snprintf(buf, sizeof(buf), "leaf %zu", i);
		reg_merkle_leaf_hash(buf, n, &leaf[i]);
	}
	root = mth(0, NLEAVES);
	for (i = 0; i < NEVENTS; i++) {
		json_t *e = event(doc, i);

		ck_assert_ptr_nonnull(e);
		json_object_set_new(e, "log_index", json_integer(event_index[i]));
		p = json_object();
		json_object_set_new(p, "index", json_integer(event_index[i]));
		json_object_set_new(p, "size", json_integer(NLEAVES));
		s = b64(leaf[event_index[i]].b, 32);
		json_object_set_new(p, "leaf_hash", json_string(s));
		free(s);
		hs = json_array();
		n = audit_path((size_t)event_index[i], 0, NLEAVES, path);
		for (j = 0; j < n; j++) {
			s = b64(path[j].b, 32);
			json_array_append_new(hs, json_string(s));
			free(s);
		}
		json_object_set_new(p, "hashes", hs);
		json_object_set_new(e, "inclusion_proof", p);
	}
	s = checkpoint(logkey, NLEAVES, &root);
	json_object_set_new(doc, "checkpoint", json_string(s));
	free(s);
	return doc;
}

static void
setup(void)
{
	reg_error err = REG_ERROR_INIT;
	char path[PATH_MAX];

	dir = tu_tmpdir();
	signer = key_of(1, "BE/1");
	stranger = key_of(2, "BE/1");
	be2 = key_of(3, "BE/2");
	snprintf(path, sizeof(path), "%s/be-1.pub.pem", dir);
	write_pub(path, signer);
	snprintf(ini, sizeof(ini), "%s/peers.ini", dir);
	snprintf(path, sizeof(path), "%s/be-log.key", dir);
	write_peers(ini, path, "registry.be.example/log");
	snprintf(ini_other, sizeof(ini_other), "%s/peers-other.ini", dir);
	snprintf(path, sizeof(path), "%s/other-log.key", dir);
	write_peers(ini_other, path, "registry.be.example/log");
	ck_assert_msg(tr__peers_load(ini, &peers, &err) == 0, "%s", err.message);
	ck_assert_msg(tr__peers_load(ini_other, &peers_other, &err) == 0, "%s",
	    err.message);
	good_doc = make_response();
	good = sign_doc(signer, good_doc);
}

static void
teardown(void)
{
	free(good);
	json_decref(good_doc);
	tr__peers_free(peers);
	tr__peers_free(peers_other);
	reg_key_free(logkey);
	proto_jws_key_free(signer);
	proto_jws_key_free(stranger);
	proto_jws_key_free(be2);
	tu_rmtree(dir);
	free(dir);
}

/* -------------------------------------------------------------- tests */

START_TEST(good_answer)
{
	struct tr__verified v;
	char why[1024];

	ck_assert_msg(verify_with(peers, NULL, good, strlen(good), &v, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_str_eq(v.kid, "BE/1");
	ck_assert_int_eq(v.has_checkpoint, 1);
	ck_assert_uint_eq(v.checkpoint_size, NLEAVES);
	ck_assert_uint_eq(v.proofs, NEVENTS);
	/* Of the State named, and with the key given apart. */
	ck_assert_int_eq(verify_with(peers, "BE", good, strlen(good), &v, NULL, 0), 0);
	{
		reg_error err = REG_ERROR_INIT;
		proto_response *resp = NULL;

		ck_assert_int_eq(tr__response_verify(peers, signer, "BE", good,
		    strlen(good), &resp, NULL, &err), 0);
		ck_assert_str_eq(resp->responding_state, "BE");
		proto_response_free(resp);
	}
}
END_TEST

/* The message opened first, then checked: as tracerd and tracectl wait do. */
START_TEST(open_then_check)
{
	reg_error err = REG_ERROR_INIT;
	struct tr__verified v;
	proto_response *resp = NULL;
	proto_jws *jws = NULL;

	ck_assert_int_eq(tr__signed_open(peers, NULL, "BE", good, strlen(good), &jws,
	    &err), 0);
	ck_assert_int_eq(tr__response_check(peers, jws, &resp, &v, &err), 0);
	ck_assert_uint_eq(v.proofs, NEVENTS);
	proto_response_free(resp);
	/* Checked with another State's log key: refused. */
	ck_assert_int_eq(tr__response_check(peers_other, jws, &resp, &v, &err),
	    REG_EVERIFY);
	ck_assert_ptr_null(resp);
	proto_jws_free(jws);
	/* Signed by BE, asked of NL. */
	reg_error_clear(&err);
	ck_assert_int_eq(tr__signed_open(peers, NULL, "NL", good, strlen(good), &jws,
	    &err), REG_EVERIFY);
	ck_assert_ptr_nonnull(strstr(err.message, "not by a key of NL"));
}
END_TEST

/* Each bit of the JWS signature flipped. */
START_TEST(signature_bits)
{
	const char *dot = strrchr(good, '.');
	size_t head = (size_t)(dot + 1 - good), n, bit;
	uint8_t sig[128];

	n = unb64url(dot + 1, strlen(dot + 1), sig);
	ck_assert_uint_eq(n, 64);
	for (bit = 0; bit < 8 * n; bit++) {
		char *s, *t, why[1024];

		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		s = b64url(sig, n);
		t = malloc(head + strlen(s) + 1);
		ck_assert_ptr_nonnull(t);
		memcpy(t, good, head);
		strcpy(t + head, s);
		ck_assert_msg(verify(t, why, sizeof(why)) == REG_EVERIFY,
		    "signature bit %zu: %s", bit, why);
		ck_assert_ptr_nonnull(strstr(why, "signed by BE/1"));
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		free(s);
		free(t);
	}
}
END_TEST

/* Each bit of the signed payload flipped, the signature kept. */
START_TEST(payload_bits)
{
	const char *d1 = strchr(good, '.'), *d2 = strrchr(good, '.');
	size_t plen = (size_t)(d2 - d1 - 1), n, bit;
	uint8_t *pl = malloc(plen);

	ck_assert_ptr_nonnull(pl);
	n = unb64url(d1 + 1, plen, pl);
	for (bit = 0; bit < 8 * n; bit++) {
		char *s, *t, why[1024];
		size_t hl = (size_t)(d1 + 1 - good);

		pl[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		s = b64url(pl, n);
		t = malloc(hl + strlen(s) + strlen(d2) + 1);
		ck_assert_ptr_nonnull(t);
		memcpy(t, good, hl);
		strcpy(t + hl, s);
		strcat(t, d2);
		ck_assert_msg(verify(t, why, sizeof(why)) == REG_EVERIFY,
		    "payload bit %zu: %s", bit, why);
		pl[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		free(s);
		free(t);
	}
	free(pl);
}
END_TEST

/* Each bit of the checkpoint's signature line (key id and signature)
 * flipped, the response signed again: the checkpoint does not verify. */
START_TEST(checkpoint_signature_bits)
{
	const char *note = json_string_value(json_object_get(good_doc, "checkpoint"));
	const char *sp = strrchr(note, ' ');
	size_t pre = (size_t)(sp + 1 - note), n, bit;
	uint8_t sig[128];
	char enc[256];

	ck_assert_ptr_nonnull(sp);
	snprintf(enc, sizeof(enc), "%.*s", (int)(strlen(sp + 1) - 1), sp + 1);
	n = unb64(enc, sig);
	ck_assert_uint_eq(n, 68);
	for (bit = 0; bit < 8 * n; bit++) {
		json_t *doc = json_deep_copy(good_doc);
		char *s, *t;

		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		s = b64(sig, n);
		t = malloc(pre + strlen(s) + 2);
		ck_assert_ptr_nonnull(t);
		memcpy(t, note, pre);
		sprintf(t + pre, "%s\n", s);
		json_object_set_new(doc, "checkpoint", json_string(t));
		expect_doc(doc, REG_EVERIFY, "checkpoint", "checkpoint signature bit");
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		json_decref(doc);
		free(s);
		free(t);
	}
}
END_TEST

/* Each bit of the root flipped: in the signed note (its signature then
 * fails), and signed again by the log (the proofs then fail). */
START_TEST(checkpoint_root_bits)
{
	struct reg_hash root = mth(0, NLEAVES);
	const char *note = json_string_value(json_object_get(good_doc, "checkpoint"));
	char *b = b64(root.b, 32), *at = strstr(note, b);
	size_t bit;

	ck_assert_ptr_nonnull(at);
	for (bit = 0; bit < 256; bit++) {
		json_t *doc = json_deep_copy(good_doc);
		char *s, *t, *cp;

		root.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		s = b64(root.b, 32);
		t = strdup(note);
		ck_assert_ptr_nonnull(t);
		memcpy(t + (at - note), s, strlen(s));
		json_object_set_new(doc, "checkpoint", json_string(t));
		expect_doc(doc, REG_EVERIFY, "checkpoint:", "root bit, unsigned");
		cp = checkpoint(logkey, NLEAVES, &root);
		json_object_set_new(doc, "checkpoint", json_string(cp));
		expect_doc(doc, REG_EVERIFY, "inclusion proof", "root bit, signed");
		root.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		json_decref(doc);
		free(s);
		free(t);
		free(cp);
	}
	free(b);
}
END_TEST

/* A copy of the good response (*doc, to json_decref()) and the proof of
 * its event i. */
static json_t *
copy_proof(json_t **doc, size_t i)
{
	*doc = json_deep_copy(good_doc);
	ck_assert_ptr_nonnull(*doc);
	return json_object_get(event(*doc, i), "inclusion_proof");
}

/* Flips bit of the base64 hash in o[k] (or o[k][idx]). */
static void
flip_hash(json_t *o, const char *k, int idx, size_t bit)
{
	json_t *h = idx < 0 ? json_object_get(o, k) :
	    json_array_get(json_object_get(o, k), (size_t)idx);
	uint8_t b[64];
	char *s;

	ck_assert_uint_eq(unb64(json_string_value(h), b), 32);
	b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	s = b64(b, 32);
	json_string_set(h, s);
	free(s);
}

/* Each bit of each proof's leaf hash and of every hash of its path. */
START_TEST(proof_hash_bits)
{
	size_t i, j, bit, nh;

	for (i = 0; i < NEVENTS; i++) {
		nh = json_array_size(json_object_get(json_object_get(event(good_doc,
		    i), "inclusion_proof"), "hashes"));
		ck_assert_uint_gt(nh, 0);
		for (j = 0; j <= nh; j++)
			for (bit = 0; bit < 256; bit++) {
				json_t *doc, *p = copy_proof(&doc, i);

				if (j == nh)
					flip_hash(p, "leaf_hash", -1, bit);
				else
					flip_hash(p, "hashes", (int)j, bit);
				expect_doc(doc, REG_EVERIFY, "inclusion proof", "proof hash");
				json_decref(doc);
			}
	}
}
END_TEST

/* The length of the audit path of leaf m in a tree of n leaves. */
static size_t
path_len(size_t m, size_t n)
{
	size_t k = 1;

	if (n <= 1)
		return 0;
	while (k * 2 < n)
		k *= 2;
	return 1 + (m < k ? path_len(m, k) : path_len(m - k, n - k));
}

/* Wrong index or size; a hash taken away or added (the codec counts them:
 * malformed). */
START_TEST(wrong_index_and_size)
{
	static const int64_t sizes[] = { 1, 5, NLEAVES - 1, NLEAVES + 1, 8, 1000 };
	json_t *doc, *p;
	size_t i, k;

	for (i = 0; i < NEVENTS; i++) {
		/* Every other leaf's index, for the event and its proof alike:
		 * the proof does not hold there (or, of another length, is
		 * malformed). */
		for (k = 0; k < NLEAVES; k++) {
			if ((int64_t)k == event_index[i])
				continue;
			p = copy_proof(&doc, i);
			json_object_set_new(event(doc, i), "log_index", json_integer((int64_t)k));
			json_object_set_new(p, "index", json_integer((int64_t)k));
			if (path_len(k, NLEAVES) == path_len((size_t)event_index[i], NLEAVES))
				expect_doc(doc, REG_EVERIFY, "inclusion proof", "index");
			else
				expect_doc(doc, REG_EINVAL, "inclusion_proof", "index");
			json_decref(doc);
		}
		/* The proof's index not the event's: the codec refuses it. */
		p = copy_proof(&doc, i);
		json_object_set_new(p, "index", json_integer((event_index[i] + 2) %
		    NLEAVES));
		expect_doc(doc, REG_EINVAL, "inclusion_proof", "proof's index");
		json_decref(doc);
		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			p = copy_proof(&doc, i);
			json_object_set_new(p, "size", json_integer(sizes[k]));
			/* A size the index is not below, or whose proofs have
			 * another length, is malformed (the codec); else the proof
			 * does not hold at the checkpoint's size. */
			if (sizes[k] <= event_index[i] || path_len((size_t)event_index[i],
			    (size_t)sizes[k]) != path_len((size_t)event_index[i], NLEAVES))
				expect_doc(doc, REG_EINVAL, "inclusion_proof", "size");
			else
				expect_doc(doc, REG_EVERIFY, "inclusion proof", "size");
			json_decref(doc);
		}
		p = copy_proof(&doc, i);
		json_array_remove(json_object_get(p, "hashes"), 0);
		expect_doc(doc, REG_EINVAL, "inclusion_proof.hashes", "a hash less");
		json_decref(doc);
		p = copy_proof(&doc, i);
		json_array_append_new(json_object_get(p, "hashes"),
		    json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
		expect_doc(doc, REG_EINVAL, "inclusion_proof.hashes", "a hash more");
		json_decref(doc);
	}
}
END_TEST

/* Keys: another signing key under BE's kid, a kid the directory lacks,
 * another log key, a State that did not sign, no directory at all. */
START_TEST(wrong_keys)
{
	struct tr__verified v;
	json_t *doc;
	char *t, why[1024];

	t = sign_doc(stranger, good_doc);
	ck_assert_int_eq(verify(t, why, sizeof(why)), REG_EVERIFY);
	ck_assert_ptr_nonnull(strstr(why, "signed by BE/1"));
	free(t);
	t = sign_doc(be2, good_doc);
	ck_assert_int_eq(verify(t, why, sizeof(why)), REG_EVERIFY);
	ck_assert_ptr_nonnull(strstr(why, "does not have"));
	free(t);
	ck_assert_int_eq(verify_with(peers_other, NULL, good, strlen(good), &v, why,
	    sizeof(why)), REG_EVERIFY);
	ck_assert_ptr_nonnull(strstr(why, "checkpoint"));
	/* BE's key over NL's response. */
	doc = json_deep_copy(good_doc);
	json_object_set_new(doc, "responding_state", json_string("NL"));
	expect_doc(doc, REG_EVERIFY, "signed by BE/1 for a response of NL",
	    "another State");
	json_decref(doc);
	/* No directory: the key given apart opens it, the checkpoint has no
	 * log key to be checked with. */
	{
		reg_error err = REG_ERROR_INIT;
		proto_response *resp = NULL;

		ck_assert_int_eq(tr__response_verify(NULL, signer, "BE", good,
		    strlen(good), &resp, &v, &err), REG_EVERIFY);
		ck_assert_ptr_nonnull(strstr(err.message, "log_verifier"));
		ck_assert_int_eq(tr__response_verify(NULL, NULL, "BE", good,
		    strlen(good), &resp, &v, &err), REG_EVERIFY);
	}
}
END_TEST

/* Without a checkpoint there is nothing to check the proofs against: the
 * signature alone (the checkpoint is optional in trace-response/1). */
START_TEST(no_checkpoint)
{
	json_t *doc = json_deep_copy(good_doc);
	struct tr__verified v;
	char *t, why[1024];

	json_object_del(doc, "checkpoint");
	t = sign_doc(signer, doc);
	ck_assert_msg(verify_with(peers, NULL, t, strlen(t), &v, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(v.has_checkpoint, 0);
	ck_assert_uint_eq(v.proofs, 0);
	free(t);
	json_decref(doc);
}
END_TEST

/* Malformed: not a JWS, not a trace response. */
START_TEST(malformed)
{
	char *t, why[1024];

	ck_assert_int_eq(verify("", why, sizeof(why)), REG_EINVAL);
	ck_assert_int_eq(verify("not a message", why, sizeof(why)), REG_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "not a signed message"));
	t = sign_with(signer, "{}");
	ck_assert_int_eq(verify(t, why, sizeof(why)), REG_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "not a trace response"));
	free(t);
	t = sign_with(signer, "[1,2");
	ck_assert_int_eq(verify(t, why, sizeof(why)), REG_EINVAL);
	free(t);
}
END_TEST

/* Truncated at every length: never accepted; without its last segment's
 * dot, malformed. */
START_TEST(truncated)
{
	size_t len = strlen(good), n, last_dot = (size_t)(strrchr(good, '.') - good);
	struct tr__verified v;
	char why[1024];
	int r;

	for (n = 0; n < len; n++) {
		r = verify_with(peers, NULL, good, n, &v, why, sizeof(why));
		ck_assert_msg(r == REG_EINVAL || r == REG_EVERIFY, "%zu bytes: %d",
		    n, r);
		if (n <= last_dot)
			ck_assert_msg(r == REG_EINVAL, "%zu bytes: %d (%s)", n, r, why);
	}
}
END_TEST

/* Extended: bytes after the signature. */
START_TEST(extended)
{
	static const char *tails[] = { "A", "AA", "AAAA", "=", ".", ".A", " ",
	    "\n", "\r\n", "x.y", "\x01" };
	size_t i, len = strlen(good);
	char why[1024];

	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		char *t = malloc(len + strlen(tails[i]) + 1);

		ck_assert_ptr_nonnull(t);
		memcpy(t, good, len);
		strcpy(t + len, tails[i]);
		ck_assert_msg(verify(t, why, sizeof(why)) == REG_EINVAL,
		    "extended by tail %zu: %s", i, why);
		free(t);
	}
}
END_TEST

int
main(void)
{
	const TTest *tests[] = { good_answer, open_then_check,
	    signature_bits, payload_bits, checkpoint_signature_bits,
	    checkpoint_root_bits, proof_hash_bits, wrong_index_and_size,
	    wrong_keys, no_checkpoint, malformed, truncated, extended };
	Suite *s = suite_create("verify");
	TCase *t = tcase_create("answer");
	SRunner *sr;
	size_t i;
	int failed;

	tcase_set_timeout(t, 120);
	tcase_add_unchecked_fixture(t, setup, teardown);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		tcase_add_test(t, tests[i]);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
