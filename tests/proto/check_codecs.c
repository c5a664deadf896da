/*
 * Tests of the codecs of the documents beside traces (proto/proof.c,
 * proto/chain.c, proto/witness.c): each writes exactly the bytes that the
 * hand-written writer it replaced produced (tests/proto/golden_codecs.h),
 * round-trips its examples, and refuses malformed, hostile and oversized
 * input with the field at fault: wrong types, missing and unknown members,
 * overlong arrays and strings, bad base64, huge numbers, every cut.  The
 * chains the codec judged are judged by the JSON Schema too
 * (tests/validate_schemas.py --differential), which must agree.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "proto/proto.h"
#include "proto_testlib.h"
#include "golden_codecs.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * base with one edit: the member or element at path (names and indexes
 * separated by '/') set to the JSON text value, or deleted when value is
 * NULL.  The result is compact, in base's order; free it.
 */
static char *
edited(const char *base, const char *path, const char *value)
{
	json_t *doc = json_loads(base, 0, NULL), *at, *v = NULL;
	char buf[256], *tok, *next, *out;

	ck_assert(doc != NULL);
	snprintf(buf, sizeof(buf), "%s", path);
	at = doc;
	for (tok = buf; (next = strchr(tok, '/')) != NULL; tok = next + 1) {
		*next = '\0';
		at = json_is_array(at) ? json_array_get(at, strtoul(tok, NULL, 10)) :
		    json_object_get(at, tok);
		ck_assert_msg(at != NULL, "no %s in the base", path);
	}
	if (value != NULL) {
		v = json_loads(value, JSON_DECODE_ANY, NULL);
		ck_assert_msg(v != NULL, "bad value %s", value);
	}
	if (json_is_array(at))
		ck_assert(v != NULL ? json_array_set_new(at, strtoul(tok, NULL, 10),
		    v) == 0 : json_array_remove(at, strtoul(tok, NULL, 10)) == 0);
	else
		ck_assert(v != NULL ? json_object_set_new(at, tok, v) == 0 :
		    json_object_del(at, tok) == 0);
	out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ck_assert(out != NULL);
	json_decref(doc);
	return out;
}

/* ---------------------------------------------------------------- proofs */

/* The inputs of golden_proofs[], as tests/proto/golden_codecs.h says. */
static const struct {
	int consistency;
	uint64_t a, b;		/* index or old_size; size or new_size */
	size_t n;
	int c;
} proof_inputs[] = {
	{ 0, 0, 1, 0, 0 }, { 1, 0, 1, 0, 0 },
	{ 0, 7, 12, 3, 1 }, { 1, 8, 12, 3, 1 },
	{ 0, 5, 9, 2, 2 }, { 1, 5, 9, 2, 2 },
	{ 0, 9223372036854775806ULL, 9223372036854775807ULL, 1, 3 },
	{ 1, 0, 9223372036854775807ULL, 1, 3 },
	{ 0, 0, 0, 0, 4 }, { 1, 0, 0, 0, 4 },
};

START_TEST(test_proof_golden)
{
	proto_error err = PROTO_ERROR_INIT;
	uint8_t leaf[32], hashes[3][32];
	char *out = NULL;
	size_t i, k;
	int c = proof_inputs[_i].c;

	for (k = 0; k < 32; k++)
		leaf[k] = (uint8_t)(k * 7 + (size_t)c);
	for (i = 0; i < 3; i++)
		for (k = 0; k < 32; k++)
			hashes[i][k] = (uint8_t)(i * 31 + k * 3 + (size_t)c);
	if (proof_inputs[_i].consistency)
		ck_assert(proto_proof_consistency_to_json(proof_inputs[_i].a,
		    proof_inputs[_i].b, hashes[0], proof_inputs[_i].n, &out,
		    &err) == 0);
	else
		ck_assert(proto_proof_inclusion_to_json(proof_inputs[_i].a,
		    proof_inputs[_i].b, leaf, hashes[0], proof_inputs[_i].n, &out,
		    &err) == 0);
	ck_assert_str_eq(out, golden_proofs[_i]);
	proto_free(out);
}
END_TEST

START_TEST(test_proof_round_trip)
{
	proto_error err = PROTO_ERROR_INIT;
	struct proto_proof p, q;
	char *json = NULL;
	size_t i;

	/* A consistency proof, and every cut of it refused. */
	memset(&p, 0, sizeof(p));
	p.old_size = 5;
	p.size = 9;
	p.n_hashes = 3;
	for (i = 0; i < 3; i++)
		memset(p.hashes[i].b, (int)i + 1, 32);
	ck_assert(proto_proof_consistency_to_json(p.old_size, p.size,
	    p.hashes[0].b, p.n_hashes, &json, &err) == 0);
	ck_assert_msg(proto_proof_consistency_parse(json, strlen(json), &q,
	    &err) == 0, "%s", err.message);
	ck_assert(memcmp(&p, &q, sizeof(p)) == 0);
	for (i = 0; i < strlen(json); i++)
		ck_assert_msg(proto_proof_consistency_parse(json, i, &q, NULL) != 0,
		    "cut to %zu parsed", i);
	proto_free(json);
	/* An inclusion proof of leaf 7 of 12 (a path of four). */
	memset(&p, 0, sizeof(p));
	p.index = 7;
	p.size = 12;
	p.n_hashes = 4;
	memset(p.leaf_hash.b, 0xab, 32);
	for (i = 0; i < 4; i++)
		memset(p.hashes[i].b, (int)i + 7, 32);
	ck_assert(proto_proof_inclusion_to_json(p.index, p.size, p.leaf_hash.b,
	    p.hashes[0].b, p.n_hashes, &json, &err) == 0);
	ck_assert_msg(proto_proof_inclusion_parse(json, strlen(json), &q,
	    &err) == 0, "%s", err.message);
	ck_assert(memcmp(&p, &q, sizeof(p)) == 0);
	for (i = 0; i < strlen(json); i++)
		ck_assert(proto_proof_inclusion_parse(json, i, &q, NULL) != 0);
	/* Each shape is not the other. */
	ck_assert_int_eq(proto_proof_consistency_parse(json, strlen(json), &q,
	    NULL), PROTO_EUNKNOWN);
	proto_free(json);
}
END_TEST

#define H1 "\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\""

/* The consistency proofs that registry/proof_json.c refused (REG_EINVAL),
 * with the codec's code and field for each. */
static const struct {
	const char *text;
	int code;
	const char *field;
} bad_proofs[] = {
	{ "", PROTO_ESYNTAX, "" },
	{ "[]", PROTO_ETYPE, "" },
	{ "{}", PROTO_EMISSING, "old_size" },
	{ "{\"old_size\": 1, \"new_size\": 2}", PROTO_EMISSING, "hashes" },
	{ "{\"old_size\": 1, \"new_size\": 2, \"hashes\": {}}", PROTO_ETYPE,
	  "hashes" },
	{ "{\"old_size\": 3, \"new_size\": 2, \"hashes\": []}", PROTO_EVALUE,
	  "old_size" },
	{ "{\"old_size\": -1, \"new_size\": 2, \"hashes\": []}", PROTO_EVALUE,
	  "old_size" },
	{ "{\"old_size\": 1.5, \"new_size\": 2, \"hashes\": []}", PROTO_ETYPE,
	  "old_size" },
	{ "{\"old_size\": \"1\", \"new_size\": 2, \"hashes\": []}", PROTO_ETYPE,
	  "old_size" },
	{ "{\"old_size\": 1, \"new_size\": 2, \"hashes\": [], \"extra\": 1}",
	  PROTO_EUNKNOWN, "extra" },
	{ "{\"old_size\": 1, \"old_size\": 1, \"new_size\": 2, \"hashes\": []}",
	  PROTO_ESYNTAX, "" },
	{ "{\"old_size\": 1, \"new_size\": 2, \"hashes\": [\"AAAA\"]}",
	  PROTO_EVALUE, "hashes[0]" },
	{ "{\"old_size\": 1, \"new_size\": 2, \"hashes\": [1]}", PROTO_ETYPE,
	  "hashes[0]" },
	{ "{\"old_size\": 1, \"new_size\": 2, \"hashes\": "
	  "[\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\"]}", PROTO_EVALUE,
	  "hashes[0]" },
	{ "{\"old_size\": 1, \"new_size\": 99999999999999999999, \"hashes\": []}",
	  PROTO_ESYNTAX, "" },
	/* And more: null, a hash whose unused bits are set, one of 33 bytes. */
	{ "{\"old_size\": null, \"new_size\": 2, \"hashes\": []}", PROTO_ETYPE,
	  "old_size" },
	{ "{\"old_size\": 1, \"new_size\": 2, \"hashes\": "
	  "[\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF=\"]}", PROTO_EVALUE,
	  "hashes[0]" },
	{ "{\"old_size\": 1, \"new_size\": 2, \"hashes\": "
	  "[\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB\"]}", PROTO_EVALUE,
	  "hashes[0]" },
	{ "{\"old_size\": 1, \"new_size\": 2, \"hashes\": [" H1 ", null]}",
	  PROTO_ETYPE, "hashes[1]" },
};

START_TEST(test_proof_malformed)
{
	proto_error err = PROTO_ERROR_INIT;
	struct proto_proof p, before;

	memset(&p, 0x5a, sizeof(p));
	before = p;
	ck_assert_int_eq(proto_proof_consistency_parse(bad_proofs[_i].text,
	    strlen(bad_proofs[_i].text), &p, &err), bad_proofs[_i].code);
	ck_assert_str_eq(err.field, bad_proofs[_i].field);
	ck_assert(err.message[0] != '\0');
	ck_assert(memcmp(&p, &before, sizeof(p)) == 0);	/* nothing kept */
}
END_TEST

/* Inclusion proofs the codec refuses. */
static const struct {
	const char *text;
	int code;
	const char *field;
} bad_inclusions[] = {
	{ "{\"index\": 1, \"size\": 1, \"leaf_hash\": " H1 ", \"hashes\": []}",
	  PROTO_EVALUE, "index" },
	{ "{\"index\": 0, \"size\": 2, \"leaf_hash\": " H1 ", \"hashes\": []}",
	  PROTO_EVALUE, "hashes" },
	{ "{\"index\": 0, \"size\": 1, \"hashes\": []}", PROTO_EMISSING,
	  "leaf_hash" },
	{ "{\"index\": 0, \"size\": 1, \"leaf_hash\": 7, \"hashes\": []}",
	  PROTO_ETYPE, "leaf_hash" },
	{ "{\"index\": 0, \"size\": 1, \"leaf_hash\": \"AA==\", \"hashes\": []}",
	  PROTO_EVALUE, "leaf_hash" },
	{ "{\"index\": 0, \"size\": 1, \"leaf_hash\": " H1 ", \"hashes\": [],"
	  " \"old_size\": 0}", PROTO_EUNKNOWN, "old_size" },
	{ "{\"index\": 0, \"size\": 1e3, \"leaf_hash\": " H1 ", \"hashes\": []}",
	  PROTO_ETYPE, "size" },
	{ "{\"index\": 0, \"size\": 9223372036854775808, \"leaf_hash\": " H1
	  ", \"hashes\": []}", PROTO_ESYNTAX, "" },
};

START_TEST(test_inclusion_malformed)
{
	proto_error err = PROTO_ERROR_INIT;
	struct proto_proof p;

	ck_assert_int_eq(proto_proof_inclusion_parse(bad_inclusions[_i].text,
	    strlen(bad_inclusions[_i].text), &p, &err), bad_inclusions[_i].code);
	ck_assert_str_eq(err.field, bad_inclusions[_i].field);
}
END_TEST

START_TEST(test_proof_limits)
{
	proto_error err = PROTO_ERROR_INIT;
	struct proto_proof p;
	uint8_t hashes[65][32];
	char *s = malloc(20000), *out = NULL;
	size_t n = 0;
	int i;

	ck_assert(s != NULL);
	/* 64 hashes parse, 65 do not. */
	for (i = 0; i <= 64; i++) {
		n = (size_t)sprintf(s, "{\"old_size\": 1, \"new_size\": 2, "
		    "\"hashes\": [");
		for (int k = 0; k < i; k++)
			n += (size_t)sprintf(s + n, "%s" H1, k ? ", " : "");
		sprintf(s + n, "]}");
		proto_error_clear(&err);
		ck_assert_int_eq(proto_proof_consistency_parse(s, strlen(s), &p,
		    &err), 0);
	}
	n += (size_t)sprintf(s + n, ", " H1);
	sprintf(s + n, "]}");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_proof_consistency_parse(s, strlen(s), &p, &err),
	    PROTO_ETOOBIG);
	ck_assert_str_eq(err.field, "hashes");
	/* 16384 bytes are read, 16385 are not. */
	memset(s, ' ', 16385);
	s[16385] = '\0';
	proto_error_clear(&err);
	ck_assert_int_eq(proto_proof_consistency_parse(s, strlen(s), &p, &err),
	    PROTO_ETOOBIG);
	ck_assert_int_eq(proto_proof_consistency_parse(s, 16384, &p, NULL),
	    PROTO_ESYNTAX);
	/* The writer refuses what a reader would. */
	memset(hashes, 1, sizeof(hashes));
	ck_assert_int_eq(proto_proof_consistency_to_json(1, 2, hashes[0], 65,
	    &out, NULL), PROTO_ETOOBIG);
	ck_assert_int_eq(proto_proof_inclusion_to_json(1ULL << 63, 1, hashes[0],
	    hashes[0], 0, &out, NULL), PROTO_EVALUE);
	ck_assert_int_eq(proto_proof_consistency_to_json(1, 2, NULL, 1, &out,
	    NULL), PROTO_EINVAL);
	ck_assert(out == NULL);
	free(s);
}
END_TEST

/* ---------------------------------------------------------------- chains */

/*
 * The documents the chain codec judged, for tests/validate_schemas.py:
 * one JSON object per line with the codec's verdict and the document.
 */
static FILE *diff_file;
static size_t diff_count;

static const char *
code_name(int code)
{
	static const char *const names[] = { "OK", "ENOMEM", "EINVAL",
	    "ESYNTAX", "ESCHEMA", "EMISSING", "EUNKNOWN", "ETYPE", "EVALUE",
	    "ETOOBIG", "EVERIFY", "EINTERNAL" };

	return code <= 0 && code >= -11 ? names[-code] : "?";
}

/* Parses text as a chain, records the verdict, and checks that what
 * parses is written back saying the same. */
static int
judge_chain(const char *text, proto_error *err)
{
	proto_chain *c = NULL;
	char *back = NULL;
	json_t *doc, *rec;
	int r;

	proto_error_clear(err);
	r = proto_chain_parse(text, strlen(text), &c, err);
	if (r == 0) {
		json_t *a = json_loads(text, 0, NULL), *b;

		ck_assert_msg(proto_chain_to_json(c, &back, err) == 0, "%s",
		    err->message);
		b = json_loads(back, 0, NULL);
		ck_assert_msg(a != NULL && b != NULL && json_equal(a, b),
		    "read and written, the chain says another thing:\n%s", back);
		json_decref(a);
		json_decref(b);
		proto_free(back);
	}
	proto_chain_free(c);
	if (diff_file != NULL && (doc = json_loads(text, 0, NULL)) != NULL) {
		rec = json_pack("{s:s, s:s, s:s, s:s, s:o}", "against",
		    PROTO_SCHEMA_CHAIN, "code", code_name(r), "field", err->field,
		    "message", err->message, "doc", doc);
		ck_assert(rec != NULL);
		ck_assert(json_dumpf(rec, diff_file, JSON_COMPACT) == 0);
		fputc('\n', diff_file);
		json_decref(rec);
		diff_count++;
	}
	return r;
}

/* What tracerd's chain_doc() wrote is read and written back byte for
 * byte. */
static void
chain_golden(size_t i)
{
	proto_error err = PROTO_ERROR_INIT;
	proto_chain *c = NULL;
	char *back = NULL;

	ck_assert_msg(judge_chain(golden_chains[i], &err) == 0, "%s",
	    err.message);
	ck_assert(proto_chain_parse(golden_chains[i], strlen(golden_chains[i]),
	    &c, &err) == 0);
	ck_assert(proto_chain_to_json(c, &back, &err) == 0);
	ck_assert_str_eq(back, golden_chains[i]);
	proto_free(back);
	proto_chain_free(c);
}

START_TEST(test_chain_golden)
{
	chain_golden((size_t)_i);
}
END_TEST

START_TEST(test_chain_build)
{
	proto_error err = PROTO_ERROR_INIT;
	proto_chain *c = proto_chain_new();
	char *out = NULL;

	/* golden_chains[0], built member by member as tracerd does. */
	ck_assert(c != NULL && (c->hops = calloc(1, sizeof(*c->hops))) != NULL);
	c->n_hops = 1;
	strcpy(c->id, "0190b7e1-95c0-7a2e-b1d3-4c8f7e6a5d90");
	strcpy(c->requesting_state, "FR");
	strcpy(c->assembled_at, "2026-11-30T09:00:02.412Z");
	strcpy(c->hops[0].request_id, c->id);
	strcpy(c->hops[0].requested_state, "BE");
	strcpy(c->hops[0].status, "sending");
	strcpy(c->hops[0].sent_at, "2026-11-30T09:00:00.104000Z");
	strcpy(c->hops[0].due_by, "2999-12-01T09:00:00.131000Z");
	c->hops[0].request = strdup("eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln");
	ck_assert_msg(proto_chain_to_json(c, &out, &err) == 0, "%s", err.message);
	ck_assert_str_eq(out, golden_chains[0]);
	proto_free(out);
	/* The writer refuses what a reader would: complete without an end. */
	c->complete = true;
	ck_assert_int_eq(proto_chain_to_json(c, &out, &err), PROTO_EMISSING);
	ck_assert_str_eq(err.field, "end");
	ck_assert(out == NULL);
	proto_chain_free(c);
}
END_TEST

START_TEST(test_chain_example)
{
	proto_error err = PROTO_ERROR_INIT;
	json_t *doc;
	char *text, *compact;
	size_t len;

	/* The example, compact in its own order, is what the codec writes. */
	text = pt_read_src("proto/examples/trace-chain-complete.json", &len);
	doc = json_loadb(text, len, 0, NULL);
	ck_assert(doc != NULL);
	compact = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ck_assert_msg(judge_chain(compact, &err) == 0, "%s", err.message);
	/* And the indented text parses too. */
	{
		proto_chain *c = NULL;

		ck_assert(proto_chain_parse(text, len, &c, &err) == 0);
		ck_assert_uint_eq(c->n_hops, 3);
		ck_assert_str_eq(c->end->reason, "diversion");
		ck_assert_str_eq(c->hops[2].parent_id, c->hops[1].request_id);
		proto_chain_free(c);
	}
	free(compact);
	free(text);
	json_decref(doc);
}
END_TEST

/* One defect each in golden_chains[2] (three hops, complete), or [0]. */
static const struct {
	int base;
	const char *path, *value;	/* value NULL: deleted */
	int code;
	const char *field;
} bad_chains[] = {
	{ 2, "schema", "\"trace-chain/2\"", PROTO_ESCHEMA, "schema" },
	{ 2, "schema", "\"trace-response/1\"", PROTO_ESCHEMA, "schema" },
	{ 2, "id", "\"0190B7E1-95C0-7A2E-B1D3-4C8F7E6A5D90\"", PROTO_EVALUE, "id" },
	{ 2, "id", NULL, PROTO_EMISSING, "id" },
	{ 2, "requesting_state", "\"XX\"", PROTO_EVALUE, "requesting_state" },
	{ 2, "assembled_at", "\"2026-11-30 09:00:02Z\"", PROTO_EVALUE,
	  "assembled_at" },
	{ 2, "complete", "1", PROTO_ETYPE, "complete" },
	{ 2, "complete", NULL, PROTO_EMISSING, "complete" },
	{ 2, "complete", "false", PROTO_EVALUE, "end" },
	{ 2, "end", NULL, PROTO_EMISSING, "end" },
	{ 2, "end/reason", "\"lost\"", PROTO_EVALUE, "end.reason" },
	{ 2, "end/state", "\"NL\"", PROTO_EVALUE, "end.state" },
	{ 2, "end/detail", "\"\"", PROTO_EVALUE, "end.detail" },
	{ 2, "end/extra", "1", PROTO_EUNKNOWN, "end.extra" },
	{ 2, "extra", "null", PROTO_EUNKNOWN, "extra" },
	{ 2, "hops", "[]", PROTO_EVALUE, "hops" },
	{ 2, "hops", "{}", PROTO_ETYPE, "hops" },
	{ 2, "hops/0/hop", "1", PROTO_EVALUE, "hops[0].hop" },
	{ 2, "hops/0/hop", "-1", PROTO_EVALUE, "hops[0].hop" },
	{ 2, "hops/0/hop", "33", PROTO_EVALUE, "hops[0].hop" },
	{ 2, "hops/0/hop", "9007199254740993", PROTO_EVALUE, "hops[0].hop" },
	{ 2, "hops/0/hop", "0.0", PROTO_ETYPE, "hops[0].hop" },
	{ 2, "hops/0/hop", "\"0\"", PROTO_ETYPE, "hops[0].hop" },
	{ 2, "hops/0/request_id", "\"0190b7e4-2d51-7f08-8c6a-93e1f0a4b2d7\"",
	  PROTO_EVALUE, "hops[1].parent_id" },
	{ 2, "hops/1/parent_id", NULL, PROTO_EVALUE, "hops[1].parent_id" },
	{ 2, "hops/1", NULL, PROTO_EVALUE, "hops[1].hop" },
	{ 2, "hops/0/via", "\"X1\"", PROTO_EVALUE, "hops[0].via" },
	{ 2, "hops/0/via", "\"XHX\"", PROTO_ETOOBIG, "hops[0].via" },
	{ 2, "hops/0/status", "\"lost\"", PROTO_EVALUE, "hops[0].status" },
	{ 2, "hops/0/status", NULL, PROTO_EMISSING, "hops[0].status" },
	{ 2, "hops/0/sent_at", "\"2026-02-30T09:00:00Z\"", PROTO_EVALUE,
	  "hops[0].sent_at" },
	{ 2, "hops/0/response_status", "\"answered\"", PROTO_EVALUE,
	  "hops[0].response_status" },
	{ 2, "hops/0/refusal", "\"Bad\"", PROTO_EVALUE, "hops[0].refusal" },
	{ 2, "hops/0/refusal", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
	  PROTO_ETOOBIG, "hops[0].refusal" },
	{ 2, "hops/0/detail", "null", PROTO_ETYPE, "hops[0].detail" },
	{ 2, "hops/0/request", NULL, PROTO_EMISSING, "hops[0].request" },
	{ 2, "hops/0/request", "\"eyJ.eyJ\"", PROTO_EVALUE, "hops[0].request" },
	{ 2, "hops/0/request", "\"a.b.c.d\"", PROTO_EVALUE, "hops[0].request" },
	{ 2, "hops/0/request", "\"a.b+.c\"", PROTO_EVALUE, "hops[0].request" },
	{ 2, "hops/0/response", "\"a..\"", PROTO_EVALUE, "hops[0].response" },
	{ 2, "hops/0/problem", "7", PROTO_ETYPE, "hops[0].problem" },
	{ 2, "hops/2/extra", "\"x\"", PROTO_EUNKNOWN, "hops[2].extra" },
	{ 0, "end", "{\"reason\":\"loop\",\"state\":\"BE\"}", PROTO_EVALUE,
	  "end" },
};

static void
chain_malformed(size_t i)
{
	proto_error err = PROTO_ERROR_INIT;
	char *text = edited(golden_chains[bad_chains[i].base],
	    bad_chains[i].path, bad_chains[i].value);

	ck_assert_int_eq(judge_chain(text, &err), bad_chains[i].code);
	ck_assert_str_eq(err.field, bad_chains[i].field);
	free(text);
}

START_TEST(test_chain_malformed)
{
	chain_malformed((size_t)_i);
}
END_TEST

/* A string of n copies of c, as JSON text ("cccc"). */
static char *
json_run(size_t n, char c)
{
	char *s = malloc(n + 3);

	ck_assert(s != NULL);
	s[0] = '"';
	memset(s + 1, c, n);
	s[n + 1] = '"';
	s[n + 2] = '\0';
	return s;
}

START_TEST(test_chain_limits)
{
	proto_error err = PROTO_ERROR_INIT;
	json_t *doc, *hops, *h;
	char *text, *v, *s;
	size_t i;

	/* 2000 characters of detail (of two bytes each), then 2001. */
	for (i = 2000; i <= 2001; i++) {
		v = malloc(2 * i + 3);
		ck_assert(v != NULL);
		v[0] = '"';
		for (size_t k = 0; k < i; k++)
			memcpy(v + 1 + 2 * k, "\xc3\xa9", 2);
		strcpy(v + 1 + 2 * i, "\"");
		text = edited(golden_chains[2], "hops/1/detail", v);
		ck_assert_int_eq(judge_chain(text, &err), i == 2000 ? 0 :
		    PROTO_ETOOBIG);
		free(text);
		free(v);
	}
	/* 33 hops are a chain, 34 are not. */
	doc = json_loads(golden_chains[0], 0, NULL);
	hops = json_object_get(doc, "hops");
	for (i = 1; i < 34; i++) {
		char id[40], parent[40];

		h = json_deep_copy(json_array_get(hops, 0));
		snprintf(id, sizeof(id), "0190b7e1-95c0-7a2e-b1d3-%012zx", i);
		snprintf(parent, sizeof(parent), "%s", json_string_value(
		    json_object_get(json_array_get(hops, i - 1), "request_id")));
		json_object_set_new(h, "hop", json_integer((json_int_t)i));
		json_object_set_new(h, "request_id", json_string(id));
		json_object_set_new(h, "parent_id", json_string(parent));
		json_array_append_new(hops, h);
		if (i < 32)
			continue;
		s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
		ck_assert_int_eq(judge_chain(s, &err), i == 32 ? 0 : PROTO_ETOOBIG);
		free(s);
	}
	/* 34 elements are over the limit before any is read. */
	ck_assert_str_eq(err.field, "hops");
	json_decref(doc);
	/* A signed message of 4 Mi characters fits; one more does not. */
	for (i = PROTO_CHAIN_JWS_MAX; i <= PROTO_CHAIN_JWS_MAX + 1; i++) {
		v = json_run(i, 'A');
		v[3] = '.';
		v[6] = '.';
		text = edited(golden_chains[0], "hops/0/request", v);
		ck_assert_int_eq(judge_chain(text, &err), i == PROTO_CHAIN_JWS_MAX ?
		    0 : PROTO_ETOOBIG);
		free(text);
		free(v);
	}
}
END_TEST

START_TEST(test_chain_hostile)
{
	proto_error err = PROTO_ERROR_INIT;
	const char *g = golden_chains[3];
	proto_chain *c = NULL;
	char *big, *cut;
	size_t i, len = strlen(g);

	/* Every cut is refused. */
	cut = malloc(len + 1);
	ck_assert(cut != NULL);
	for (i = 0; i < len; i++) {
		memcpy(cut, g, i);
		ck_assert_msg(proto_chain_parse(cut, i, &c, NULL) != 0 && c == NULL,
		    "cut to %zu parsed", i);
	}
	free(cut);
	/* Over 8 MiB, nesting, NUL bytes, data after the document. */
	big = malloc(PROTO_CHAIN_DOC_MAX + 2);
	ck_assert(big != NULL);
	memset(big, ' ', PROTO_CHAIN_DOC_MAX + 1);
	memcpy(big, g, len);
	ck_assert_int_eq(proto_chain_parse(big, PROTO_CHAIN_DOC_MAX, &c, &err), 0);
	proto_chain_free(c);
	ck_assert_int_eq(proto_chain_parse(big, PROTO_CHAIN_DOC_MAX + 1, &c, &err),
	    PROTO_ETOOBIG);
	memset(big, '[', 100);
	ck_assert_int_eq(proto_chain_parse(big, 100, &c, NULL), PROTO_ETOOBIG);
	memcpy(big, g, len);
	big[10] = '\0';
	ck_assert_int_eq(proto_chain_parse(big, len, &c, NULL), PROTO_ESYNTAX);
	memcpy(big, g, len);
	memcpy(big + len, "{}", 2);
	ck_assert_int_eq(proto_chain_parse(big, len + 2, &c, NULL), PROTO_ESYNTAX);
	free(big);
	ck_assert(c == NULL);
}
END_TEST

/* Every byte of each golden chain changed to a few others: the codec
 * refuses or reads and writes it alike (test_chain_schema has the schema
 * judge them too). */
static void
chain_mutations(void)
{
	static const char subst[] = { '0', 'a', 'Z', '"', '-', ' ', '\\' };
	proto_error err;
	char *t;
	size_t i, k, len;
	int g;

	for (g = 0; g < (int)NELEM(golden_chains); g++) {
		len = strlen(golden_chains[g]);
		t = strdup(golden_chains[g]);
		ck_assert(t != NULL);
		for (i = 0; i < len; i++)
			for (k = 0; k < sizeof(subst); k++) {
				if (golden_chains[g][i] == subst[k])
					continue;
				t[i] = subst[k];
				(void)judge_chain(t, &err);
				t[i] = golden_chains[g][i];
			}
		free(t);
	}
}

START_TEST(test_chain_schema)
{
	char tmpl[4096], args[4200];
	const char *tmp = getenv("TMPDIR");
	size_t i;
	int fd, st;

	snprintf(tmpl, sizeof(tmpl), "%s/check_codecs.XXXXXX.jsonl",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	fd = mkstemps(tmpl, 6);
	ck_assert(fd >= 0);
	diff_file = fdopen(fd, "w");
	ck_assert(diff_file != NULL);
	diff_count = 0;
	for (i = 0; i < NELEM(golden_chains); i++)
		chain_golden(i);
	for (i = 0; i < NELEM(bad_chains); i++)
		chain_malformed(i);
	chain_mutations();
	ck_assert(fclose(diff_file) == 0);
	diff_file = NULL;
	ck_assert_uint_gt(diff_count, 1000);
	snprintf(args, sizeof(args), "--differential '%s'", tmpl);
	st = pt_run_schemas(args);
	if (st == 0)
		unlink(tmpl);
	ck_assert_msg(st == 0, "the chain schema and the codec disagree (the "
	    "documents are in %s)", tmpl);
}
END_TEST

/* --------------------------------------------------------------- witness */

START_TEST(test_witness_golden)
{
	proto_error err = PROTO_ERROR_INIT;
	proto_witness_status *st = NULL;
	char *back = NULL;
	const char *g = golden_witness[_i];
	size_t i;

	ck_assert_msg(proto_witness_status_parse(g, strlen(g), &st, &err) == 0,
	    "%s", err.message);
	ck_assert_msg(proto_witness_status_to_json(st, &back, &err) == 0, "%s",
	    err.message);
	ck_assert_str_eq(back, g);
	proto_free(back);
	for (i = 0; i < strlen(g); i++) {
		proto_witness_status *c = NULL;

		ck_assert_msg(proto_witness_status_parse(g, i, &c, NULL) != 0 &&
		    c == NULL, "cut to %zu parsed", i);
	}
	proto_witness_status_free(st);
}
END_TEST

START_TEST(test_witness_build)
{
	proto_error err = PROTO_ERROR_INIT;
	char origin[] = "be.example/log",
	    key[] = "fr.example/witness+01a2b3c4+BCD0aGVrZXk=";
	struct proto_witness_cosigned cs = { .origin = origin, .size = 5,
	    .at = "2025-11-30T09:00:02Z" };
	struct proto_witness_peer peer = { .state = "BE", .status = "cosigned",
	    .cosigned = &cs, .last_try = "2025-11-30T09:00:00Z",
	    .last_seen = "2025-11-30T09:00:01Z", .has_seen_size = true,
	    .seen_size = 5 };
	proto_witness_status st = { .state = "FR", .witness = key,
	    .interval = 60, .peers = &peer, .n_peers = 1 };
	proto_witness_status *back = NULL;
	char *out = NULL;

	/* golden_witness[1], built as tracerd does, from borrowed text (the
	 * root hash as the golden document has it). */
	ck_assert(proto_witness_status_parse(golden_witness[1],
	    strlen(golden_witness[1]), &back, &err) == 0);
	memcpy(cs.root.b, back->peers[0].cosigned->root.b, 32);
	proto_witness_status_free(back);
	ck_assert_msg(proto_witness_status_to_json(&st, &out, &err) == 0, "%s",
	    err.message);
	ck_assert_str_eq(out, golden_witness[1]);
	proto_free(out);
	/* The writer refuses what a reader would. */
	strcpy(peer.status, "lost");
	ck_assert_int_eq(proto_witness_status_to_json(&st, &out, &err),
	    PROTO_EVALUE);
	ck_assert_str_eq(err.field, "peers[0].status");
	ck_assert(out == NULL);
}
END_TEST

/* One defect each in golden_witness[2]. */
static const struct {
	const char *path, *value;
	int code;
	const char *field;
} bad_witness[] = {
	{ "state", "\"fr\"", PROTO_EVALUE, "state" },
	{ "state", NULL, PROTO_EMISSING, "state" },
	{ "witness", "7", PROTO_ETYPE, "witness" },
	{ "interval", "-1", PROTO_EVALUE, "interval" },
	{ "interval", "null", PROTO_ETYPE, "interval" },
	{ "interval", "9007199254740992", PROTO_EVALUE, "interval" },
	{ "peers", "null", PROTO_ETYPE, "peers" },
	{ "extra", "1", PROTO_EUNKNOWN, "extra" },
	{ "peers/0", "[]", PROTO_ETYPE, "peers[0]" },
	{ "peers/0/status", "\"ok\"", PROTO_EVALUE, "peers[0].status" },
	{ "peers/0/forked", "0", PROTO_ETYPE, "peers[0].forked" },
	{ "peers/0/forked", NULL, PROTO_EMISSING, "peers[0].forked" },
	{ "peers/0/cosigned/root", "\"AAAA\"", PROTO_EVALUE,
	  "peers[0].cosigned.root" },
	{ "peers/0/cosigned/size", "1.5", PROTO_ETYPE, "peers[0].cosigned.size" },
	{ "peers/0/cosigned/origin", "null", PROTO_ETYPE,
	  "peers[0].cosigned.origin" },
	{ "peers/0/cosigned/at", "\"yesterday\"", PROTO_EVALUE,
	  "peers[0].cosigned.at" },
	{ "peers/0/cosigned/x", "1", PROTO_EUNKNOWN, "peers[0].cosigned.x" },
	{ "peers/1/last_try", "\"2025-11-30T25:00:00Z\"", PROTO_EVALUE,
	  "peers[1].last_try" },
	{ "peers/1/seen_size", "\"12\"", PROTO_ETYPE, "peers[1].seen_size" },
	{ "peers/1/alarms", "-3", PROTO_EVALUE, "peers[1].alarms" },
	{ "peers/1/last_alarm/reason", NULL, PROTO_EMISSING,
	  "peers[1].last_alarm.reason" },
	{ "peers/2/last_alarm", "\"x\"", PROTO_ETYPE, "peers[2].last_alarm" },
	{ "peers/2/detail", "[]", PROTO_ETYPE, "peers[2].detail" },
};

START_TEST(test_witness_malformed)
{
	proto_error err = PROTO_ERROR_INIT;
	proto_witness_status *st = NULL;
	char *text = edited(golden_witness[2], bad_witness[_i].path,
	    bad_witness[_i].value);

	ck_assert_int_eq(proto_witness_status_parse(text, strlen(text), &st,
	    &err), bad_witness[_i].code);
	ck_assert_str_eq(err.field, bad_witness[_i].field);
	ck_assert(st == NULL);
	free(text);
}
END_TEST

START_TEST(test_witness_limits)
{
	proto_error err = PROTO_ERROR_INIT;
	proto_witness_status *st = NULL;
	json_t *doc = json_loads(golden_witness[1], 0, NULL), *peers;
	char *s, *v, *text;
	int i;

	/* 64 peers, then 65. */
	peers = json_object_get(doc, "peers");
	for (i = 1; i <= 64; i++)
		json_array_append(peers, json_array_get(peers, 0));
	s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ck_assert_int_eq(proto_witness_status_parse(s, strlen(s), &st, &err),
	    PROTO_ETOOBIG);
	free(s);
	json_array_remove(peers, 0);
	s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ck_assert_int_eq(proto_witness_status_parse(s, strlen(s), &st, &err), 0);
	ck_assert_uint_eq(st->n_peers, 64);
	proto_witness_status_free(st);
	st = NULL;
	free(s);
	json_decref(doc);
	/* 1000 characters of detail, then 1001. */
	for (i = 1000; i <= 1001; i++) {
		v = json_run((size_t)i, 'd');
		text = edited(golden_witness[1], "peers/0/detail", v);
		proto_error_clear(&err);
		ck_assert_int_eq(proto_witness_status_parse(text, strlen(text), &st,
		    &err), i == 1000 ? 0 : PROTO_ETOOBIG);
		proto_witness_status_free(st);
		st = NULL;
		free(text);
		free(v);
	}
	ck_assert_int_eq(proto_witness_status_parse("{}", 2, &st, &err),
	    PROTO_EMISSING);
	ck_assert_int_eq(proto_witness_status_parse("[]", 2, &st, &err),
	    PROTO_ETYPE);
}
END_TEST

/* ------------------------------------------------------------- the suite */

static Suite *
codecs_suite(void)
{
	Suite *s = suite_create("codecs");
	TCase *tc;

	tc = tcase_create("proofs");
	tcase_add_loop_test(tc, test_proof_golden, 0, NELEM(proof_inputs));
	tcase_add_test(tc, test_proof_round_trip);
	tcase_add_loop_test(tc, test_proof_malformed, 0, NELEM(bad_proofs));
	tcase_add_loop_test(tc, test_inclusion_malformed, 0, NELEM(bad_inclusions));
	tcase_add_test(tc, test_proof_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("chains");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_chain_golden, 0, NELEM(golden_chains));
	tcase_add_test(tc, test_chain_build);
	tcase_add_test(tc, test_chain_example);
	tcase_add_loop_test(tc, test_chain_malformed, 0, NELEM(bad_chains));
	tcase_add_test(tc, test_chain_limits);
	tcase_add_test(tc, test_chain_hostile);
	suite_add_tcase(s, tc);

	/* The mutations, judged by the codec and the schema alike: slow
	 * under the sanitizers. */
	tc = tcase_create("chain schema");
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, test_chain_schema);
	suite_add_tcase(s, tc);

	tc = tcase_create("witness");
	tcase_add_loop_test(tc, test_witness_golden, 0, NELEM(golden_witness));
	tcase_add_test(tc, test_witness_build);
	tcase_add_loop_test(tc, test_witness_malformed, 0, NELEM(bad_witness));
	tcase_add_test(tc, test_witness_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(codecs_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
