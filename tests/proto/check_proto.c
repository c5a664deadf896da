/*
 * Tests of the trace protocol's codec (proto/), for every document type
 * (trace requests and responses, acknowledgements, problems): every
 * example parses and round-trips; tables of malformed documents, each
 * refused with the field it names; the documented limits, one under and
 * one over; the byte-level limits (size, nesting, NUL, UTF-8, duplicates,
 * trailing data); every truncation of every example, and bit flips;
 * writing documents built in C; and a differential test in which
 * thousands of mutated documents are judged by both the codec and the JSON
 * Schemas (tests/validate_schemas.py with Debian's python3-jsonschema),
 * which must agree.  No database.
 *
 * Files are found under REG_TEST_SRCDIR (the source tree; "." if unset).
 */
#include "config.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <check.h>
#include <jansson.h>

#include "proto/proto.h"
#include "proto_testlib.h"
#include "proto_int.h"

/* Assertions that cost nothing until they fail (Check's own report every
 * assertion that passes, which the loops below cannot afford). */
#define REQUIRE(c) do { \
	if (!(c)) \
		ck_abort_msg("%sAssertion '%s' failed", where, #c); \
} while (0)
#define REQUIRE_MSG(c, fmt, ...) do { \
	if (!(c)) \
		ck_abort_msg("%s" fmt, where, __VA_ARGS__); \
} while (0)

/* What a test that runs many cases is at, for the failure messages. */
static char where[512];

#define REQ1 "trace-request-partly-restored.json"
#define REQ2 "trace-request-obliterated.json"
#define FOUND "trace-response-found-referral.json"
#define AMB "trace-response-ambiguous.json"
#define RESTR "trace-response-restricted.json"
#define NOTF "trace-response-not-found.json"
#define ACK "trace-ack-acknowledged.json"
#define ANSW "trace-ack-answered.json"
#define PROB "problem-invalid-document.json"
#define PROB2 "problem-rate-limited.json"

/* ------------------------------------------------------------ helpers */

static char *
example_text(const char *name, size_t *len)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "proto/examples/%s", name);
	return pt_read_src(rel, len);
}

static json_t *
example_json(const char *name)
{
	json_error_t jerr;
	json_t *j;
	char *text;
	size_t len;

	text = example_text(name, &len);
	j = json_loadb(text, len, 0, &jerr);
	ck_assert_msg(j != NULL, "%s: %s", name, jerr.text);
	free(text);
	return j;
}

/* The document types, and the files and schemas of each. */
enum kind { K_REQUEST, K_RESPONSE, K_ACK, K_PROBLEM, K_COUNT };

static const struct {
	const char *prefix;		/* of its examples' file names */
	const char *schema;
} kinds[K_COUNT] = {
	{ "trace-request-", PROTO_SCHEMA_REQUEST },
	{ "trace-response-", PROTO_SCHEMA_RESPONSE },
	{ "trace-ack-", PROTO_SCHEMA_ACK },
	{ "problem-", PROTO_SCHEMA_PROBLEM },
};

/* The type of the example called name, or K_COUNT for none. */
static enum kind
kind_of(const char *name)
{
	int k;

	for (k = 0; k < K_COUNT; k++)
		if (strncmp(name, kinds[k].prefix, strlen(kinds[k].prefix)) == 0)
			return (enum kind)k;
	return K_COUNT;
}

/* Every example's file name, sorted; NULL-terminated, caller frees.  The
 * chain document (trace-chain-*) has no C codec: tracerd writes it and
 * tracectl reads it with jansson, and tests/validate_schemas.py and
 * tests/tracer/tracerd_chain.sh check it against its schema. */
static char **
example_names(void)
{
	char path[4096], **names = NULL;
	struct dirent **ents;
	int n, i, k = 0;
	size_t len;

	snprintf(path, sizeof(path), "%s/proto/examples", pt_srcdir());
	n = scandir(path, &ents, NULL, alphasort);
	ck_assert_msg(n >= 0, "cannot list %s", path);
	names = calloc((size_t)n + 1, sizeof(*names));
	ck_assert(names != NULL);
	for (i = 0; i < n; i++) {
		len = strlen(ents[i]->d_name);
		if (len > 5 && strcmp(ents[i]->d_name + len - 5, ".json") == 0 &&
		    strncmp(ents[i]->d_name, "trace-chain-", 12) != 0)
			names[k++] = strdup(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return names;
}

static void
free_names(char **names)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		free(names[i]);
	free(names);
}

/*
 * Parses a document of the given kind; on success *canon (when not NULL)
 * receives its canonical serialisation.  Returns the codec's code.
 */
static int
codec(enum kind kind, const char *text, size_t len, proto_error *err,
    char **canon)
{
	proto_request *req = NULL;
	proto_response *resp = NULL;
	proto_ack *ack = NULL;
	proto_problem *prob = NULL;
	void *doc = NULL;
	char *out = NULL;
	int r = PROTO_EINTERNAL;

	proto_error_clear(err);
	if (canon != NULL)
		*canon = NULL;
	switch (kind) {
	case K_REQUEST:
		r = proto_request_parse(text, len, &req, err);
		doc = req;
		break;
	case K_RESPONSE:
		r = proto_response_parse(text, len, &resp, err);
		doc = resp;
		break;
	case K_ACK:
		r = proto_ack_parse(text, len, &ack, err);
		doc = ack;
		break;
	case K_PROBLEM:
		r = proto_problem_parse(text, len, &prob, err);
		doc = prob;
		break;
	case K_COUNT:
		ck_abort_msg("%sno document type", where);
	}
	REQUIRE_MSG((r == 0) == (doc != NULL), "r = %d, doc = %p", r, doc);
	if (r == 0 && canon != NULL) {
		if (req != NULL)
			r = proto_request_to_json(req, &out, err);
		else if (resp != NULL)
			r = proto_response_to_json(resp, &out, err);
		else if (ack != NULL)
			r = proto_ack_to_json(ack, &out, err);
		else
			r = proto_problem_to_json(prob, &out, err);
		REQUIRE_MSG(r == 0, "cannot write what was read: %s",
		    err->message);
	}
	proto_request_free(req);
	proto_response_free(resp);
	proto_ack_free(ack);
	proto_problem_free(prob);
	REQUIRE_MSG((r == 0) == (err->code == 0),
	    "return %d but error code %d", r, err->code);
	if (r != 0) {
		/* The message names the field it is about. */
		const char *lead = err->field[0] != '\0' ? err->field : "document";

		REQUIRE_MSG(strncmp(err->message, lead, strlen(lead)) == 0 &&
		    err->message[strlen(lead)] == ':',
		    "message '%s' does not start with '%s:'", err->message, lead);
		REQUIRE_MSG(strchr(err->message, '\n') == NULL,
		    "message '%s' spans lines", err->message);
	}
	if (canon != NULL)
		*canon = out;
	else
		proto_free(out);
	return r;
}

/*
 * Checks that an accepted document's canonical form is stable: it parses,
 * and writes itself again byte for byte.
 */
static void
check_stable(enum kind kind, const char *canon)
{
	proto_error err;
	char *again = NULL;
	int r;

	r = codec(kind, canon, strlen(canon), &err, &again);
	REQUIRE_MSG(r == 0, "the canonical form is refused: %s", err.message);
	REQUIRE_MSG(strcmp(canon, again) == 0,
	    "the canonical form is not stable:\n%s\n%s", canon, again);
	proto_free(again);
}

/*
 * Whether two JSON values say the same, as the codec sees them: numbers
 * by value (a score of 1 is written 1.0), and a false follow_referrals,
 * the default, equal to none.
 */
static bool
same_content(json_t *a, json_t *b, bool top)
{
	const char *key;
	json_t *v, *w;
	size_t i, na = 0, nb = 0;

	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_object(a)) {
		json_object_foreach(a, key, v) {
			if (top && strcmp(key, "follow_referrals") == 0 &&
			    json_is_false(v))
				continue;
			na++;
			w = json_object_get(b, key);
			if (w == NULL || !same_content(v, w, false))
				return false;
		}
		json_object_foreach(b, key, w)
			nb++;
		return na == nb;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (i = 0; i < json_array_size(a); i++)
			if (!same_content(json_array_get(a, i),
			    json_array_get(b, i), false))
				return false;
		return true;
	}
	return json_equal(a, b);
}

/* Checks that what the codec accepted (text) it wrote back whole (canon):
 * nothing accepted is dropped or changed. */
static void
check_whole(const char *text, size_t len, const char *canon)
{
	json_t *a = json_loadb(text, len, 0, NULL);
	json_t *b = json_loads(canon, 0, NULL);

	REQUIRE(a != NULL && b != NULL);
	REQUIRE_MSG(same_content(a, b, true),
	    "accepted, but written back otherwise:\n%.*s\n%s", (int)len, text,
	    canon);
	json_decref(a);
	json_decref(b);
}

static const char *
code_name(int code)
{
	switch (code) {
	case PROTO_OK:		return "OK";
	case PROTO_ENOMEM:	return "ENOMEM";
	case PROTO_EINVAL:	return "EINVAL";
	case PROTO_ESYNTAX:	return "ESYNTAX";
	case PROTO_ESCHEMA:	return "ESCHEMA";
	case PROTO_EMISSING:	return "EMISSING";
	case PROTO_EUNKNOWN:	return "EUNKNOWN";
	case PROTO_ETYPE:	return "ETYPE";
	case PROTO_EVALUE:	return "EVALUE";
	case PROTO_ETOOBIG:	return "ETOOBIG";
	case PROTO_EVERIFY:	return "EVERIFY";
	case PROTO_EINTERNAL:	return "EINTERNAL";
	}
	return "?";
}

/* ----------------------------------------------------- editing documents */

/*
 * Finds the container of the last step of path ("a.b[2].c") in root.  On
 * success returns it, with *key set for an object's member or *index for an
 * array's element; NULL when an earlier step does not exist.
 */
static json_t *
locate(json_t *root, const char *path, char *key, size_t keysz,
    size_t *index, bool *is_index)
{
	json_t *cur = root, *parent = NULL;
	const char *p = path;
	char name[256];
	size_t n;

	while (*p != '\0') {
		if (cur == NULL)
			return NULL;
		parent = cur;
		if (*p == '[') {
			*index = strtoul(p + 1, (char **)&p, 10);
			ck_assert(*p == ']');
			p++;
			*is_index = true;
			cur = json_is_array(parent) ?
			    json_array_get(parent, *index) : NULL;
			if (!json_is_array(parent))
				return NULL;
		} else {
			if (*p == '.')
				p++;
			n = strcspn(p, ".[");
			ck_assert(n < sizeof(name));
			memcpy(name, p, n);
			name[n] = '\0';
			p += n;
			snprintf(key, keysz, "%s", name);
			*is_index = false;
			if (!json_is_object(parent))
				return NULL;
			cur = json_object_get(parent, name);
		}
	}
	return parent;
}

/* The value at path, or NULL. */
static json_t *
get_at(json_t *root, const char *path)
{
	char key[256];
	size_t index = 0;
	bool is_index = false;
	json_t *c = locate(root, path, key, sizeof(key), &index, &is_index);

	if (c == NULL)
		return NULL;
	return is_index ? json_array_get(c, index) : json_object_get(c, key);
}

/* Sets the value at path (stealing v), or removes it when v is NULL. */
static void
set_at(json_t *root, const char *path, json_t *v)
{
	char key[256];
	size_t index = 0;
	bool is_index = false;
	json_t *c = locate(root, path, key, sizeof(key), &index, &is_index);

	ck_assert_msg(c != NULL, "%s: no such place in the document", path);
	if (is_index) {
		if (v == NULL)
			ck_assert(json_array_remove(c, index) == 0);
		else if (index == json_array_size(c))
			ck_assert(json_array_append_new(c, v) == 0);
		else
			ck_assert(json_array_set_new(c, index, v) == 0);
	} else {
		if (v == NULL)
			ck_assert_msg(json_object_del(c, key) == 0,
			    "%s: nothing to delete", path);
		else
			ck_assert(json_object_set_new(c, key, v) == 0);
	}
}

/* A JSON value from text; aborts on malformed test data. */
static json_t *
jv(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	ck_assert_msg(v != NULL, "bad test value %s: %s", text, jerr.text);
	return v;
}

static char *
dump(const json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT);

	ck_assert(s != NULL);
	return s;
}

/* ------------------------------------------ differential record keeping */

/*
 * The documents the codec judged, for tests/validate_schemas.py to judge
 * by the schemas: one JSON object per line with the schema to use, the
 * codec's verdict (its code, field and message) and the document.
 */
static FILE *diff_file;
static size_t diff_count;

static void
diff_record(enum kind kind, const json_t *doc, int code,
    const proto_error *err)
{
	json_t *rec;

	if (diff_file == NULL)
		return;
	rec = json_pack("{s:s, s:s, s:s, s:s, s:O}",
	    "against", kinds[kind].schema,
	    "code", code_name(code), "field", err->field,
	    "message", err->message, "doc", doc);
	ck_assert(rec != NULL);
	ck_assert(json_dumpf(rec, diff_file, JSON_COMPACT) == 0);
	fputc('\n', diff_file);
	json_decref(rec);
	diff_count++;
}

/*
 * Judges a JSON document with the codec, records the verdict for the
 * differential test, and checks that an accepted document round-trips.
 * Returns the code; err holds the failure.
 */
static int
judge(enum kind kind, const json_t *doc, proto_error *err)
{
	char *text = dump(doc), *canon = NULL;
	int r;

	r = codec(kind, text, strlen(text), err, &canon);
	diff_record(kind, doc, r, err);
	if (r == 0) {
		check_whole(text, strlen(text), canon);
		check_stable(kind, canon);
		proto_free(canon);
	}
	free(text);
	return r;
}

/* --------------------------------------------------------------- examples */

START_TEST(test_examples_round_trip)
{
	char **names = example_names(), *text, *canon, *again;
	const char *want[] = { REQ1, REQ2, FOUND, AMB, RESTR, NOTF, ACK, ANSW,
	    PROB, PROB2 };
	const char *key, *first;
	json_t *orig, *back, *v;
	proto_error err;
	size_t i, j, len, seen = 0;
	enum kind kind;
	char lead[80];

	for (i = 0; names[i] != NULL; i++) {
		snprintf(where, sizeof(where), "%s: ", names[i]);
		kind = kind_of(names[i]);
		REQUIRE_MSG(kind != K_COUNT, "%s", "example names start with "
		    "trace-request-, trace-response-, trace-ack- or problem-");
		for (j = 0; j < sizeof(want) / sizeof(want[0]); j++)
			seen += strcmp(names[i], want[j]) == 0;
		text = example_text(names[i], &len);
		REQUIRE_MSG(codec(kind, text, len, &err, &canon) == 0,
		    "refused: %s", err.message);
		/* Canonical: compact, and says the same as the example. */
		REQUIRE(strchr(canon, '\n') == NULL);
		REQUIRE(strstr(canon, "\": ") == NULL);
		orig = json_loadb(text, len, 0, NULL);
		back = json_loads(canon, 0, NULL);
		REQUIRE(orig != NULL && back != NULL);
		REQUIRE_MSG(json_equal(orig, back),
		    "the canonical form differs in content:\n%s", canon);
		/* parse -> write -> parse -> write is the same text. */
		REQUIRE(codec(kind, canon, strlen(canon), &err, &again) == 0);
		REQUIRE_MSG(strcmp(canon, again) == 0, "not stable:\n%s\n%s",
		    canon, again);
		/* Members in sorted order at the top: the least name first. */
		first = NULL;
		json_object_foreach(orig, key, v)
			if (first == NULL || strcmp(key, first) < 0)
				first = key;
		REQUIRE(first != NULL);
		snprintf(lead, sizeof(lead), "{\"%s\":", first);
		REQUIRE_MSG(strncmp(canon, lead, strlen(lead)) == 0,
		    "does not start with %s:\n%s", lead, canon);
		json_decref(orig);
		json_decref(back);
		proto_free(canon);
		proto_free(again);
		free(text);
	}
	snprintf(where, sizeof(where), "examples: ");
	REQUIRE_MSG(seen == sizeof(want) / sizeof(want[0]),
	    "only %zu of the named examples found", seen);
	free_names(names);
}
END_TEST

/* The parsed structs hold what the examples say. */
START_TEST(test_examples_content)
{
	proto_request *req = NULL;
	proto_response *resp = NULL;
	const struct proto_candidate *c;
	proto_error err = PROTO_ERROR_INIT;
	char *text;
	size_t len;

	text = example_text(REQ1, &len);
	ck_assert_int_eq(proto_request_parse(text, len, &req, &err), 0);
	free(text);
	ck_assert_str_eq(req->id, "0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f30");
	ck_assert_str_eq(req->requesting_state, "NL");
	ck_assert_str_eq(req->requested_state, "BE");
	ck_assert_str_eq(req->priority, "urgent");
	ck_assert_str_eq(req->weapon.serial, "GKS01?3");
	ck_assert_str_eq(req->weapon.serial_condition, "partly_restored");
	ck_assert_int_eq(req->weapon.year_of_manufacture, 2015);
	ck_assert_uint_eq(req->weapon.n_markings, 4);
	ck_assert_str_eq(req->weapon.markings[2].kind, "import");
	ck_assert_str_eq(req->weapon.markings[2].country, "NL");
	ck_assert_int_eq(req->weapon.markings[2].year, 2016);
	ck_assert_str_eq(req->weapon.markings[0].country, "");
	ck_assert_int_eq(req->weapon.markings[0].year, 0);
	ck_assert_ptr_nonnull(req->weapon.importer);
	ck_assert_str_eq(req->weapon.importer->name, "Wapenhandel Voorbeeld BV");
	ck_assert_uint_eq(req->illicit_basis.n_grounds, 1);
	ck_assert_str_eq(req->illicit_basis.grounds[0],
	    "illicit_under_national_law");
	ck_assert_str_eq(req->found.circumstances,
	    "Seized during the search of a vehicle after a shooting.\n"
	    "Loaded, with one spare magazine.");
	ck_assert_str_eq(req->parent_id, "");
	ck_assert(!req->follow_referrals);
	proto_request_free(req);

	text = example_text(REQ2, &len);
	ck_assert_int_eq(proto_request_parse(text, len, &req, &err), 0);
	free(text);
	ck_assert(req->follow_referrals);
	ck_assert_str_eq(req->weapon.serial, "*");
	ck_assert_ptr_null(req->weapon.model);
	ck_assert_ptr_null(req->weapon.importer);
	ck_assert_uint_eq(req->n_caveats, 0);
	ck_assert_ptr_null(req->caveats);
	proto_request_free(req);

	text = example_text(FOUND, &len);
	ck_assert_int_eq(proto_response_parse(text, len, &resp, &err), 0);
	free(text);
	ck_assert_str_eq(resp->status, "found");
	ck_assert_uint_eq(resp->n_candidates, 1);
	c = &resp->candidates[0];
	ck_assert(c->score == 0.97);
	ck_assert_uint_eq(c->n_history, 3);
	ck_assert_str_eq(c->history[2].kind, "export");
	ck_assert_int_eq(c->history[2].log_index, 2233);
	ck_assert_str_eq(c->history[2].licence->number, "BE-EXP-2016-00123");
	ck_assert_ptr_nonnull(c->history[2].inclusion_proof);
	ck_assert_int_eq(c->history[2].inclusion_proof->size, 5000);
	ck_assert_uint_eq(c->history[2].inclusion_proof->n_hashes, 13);
	ck_assert_ptr_nonnull(c->referral);
	ck_assert_str_eq(c->referral->importing_state, "NL");
	ck_assert_int_eq(c->referral->event_seq, 3);
	ck_assert_ptr_null(c->diversion);
	ck_assert_ptr_nonnull(resp->checkpoint);
	proto_response_free(resp);

	text = example_text(AMB, &len);
	ck_assert_int_eq(proto_response_parse(text, len, &resp, &err), 0);
	free(text);
	ck_assert_uint_eq(resp->n_candidates, 2);
	ck_assert_str_eq(resp->candidates[0].diversion->finding,
	    "theft_reported");
	ck_assert_int_eq(resp->candidates[1].history[3].corrects, 3);
	ck_assert_int_eq(resp->candidates[1].history[2].corrected_by, 4);
	ck_assert_str_eq(resp->candidates[1].history[0].to->name,
	    "Carl Walther GmbH");
	ck_assert_str_eq(resp->restrictions[0].reason, "personal_data");
	proto_response_free(resp);
}
END_TEST

/* ------------------------------------------------------ malformed tables */

#define DEL NULL

struct bad {
	const char *example;
	const char *path;
	const char *value;		/* JSON text, or DEL */
	const char *path2;		/* a second edit, or NULL */
	const char *value2;
	int code;			/* expected; 0 for accepted */
	const char *field;		/* expected field path */
};

#define C0 "candidates[0]."
#define C1 "candidates[1]."
#define H2 "candidates[0].history[2]."
#define P2 "candidates[0].history[2].inclusion_proof."
#define A13 "candidates[1].history[3]."

static const struct bad bad_docs[] = {
	/* The schema member: first, before anything else. */
	{ REQ1, "schema", "\"trace-request/2\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ REQ1, "schema", "\"trace-request/01\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ REQ1, "schema", "\"trace-response/1\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ REQ1, "schema", "\"Trace-Request/1\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ FOUND, "schema", "\"trace-request/1\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ FOUND, "schema", "\"trace-response/2\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ REQ1, "schema", "\"trace-request/2\"", "weapon", DEL, PROTO_ESCHEMA, "schema" },
	{ REQ1, "schema", "1", NULL, NULL, PROTO_ETYPE, "schema" },
	{ REQ1, "schema", "null", NULL, NULL, PROTO_ETYPE, "schema" },
	{ REQ1, "schema", DEL, NULL, NULL, PROTO_EMISSING, "schema" },
	{ REQ1, "schema", DEL, "colour", "1", PROTO_EMISSING, "schema" },

	/* Members the schema does not define. */
	{ REQ1, "colour", "\"red\"", NULL, NULL, PROTO_EUNKNOWN, "colour" },
	{ REQ1, "weapon.colour", "\"red\"", NULL, NULL, PROTO_EUNKNOWN, "weapon.colour" },
	{ REQ1, "weapon.markings[1].depth", "1", NULL, NULL, PROTO_EUNKNOWN, "weapon.markings[1].depth" },
	{ REQ1, "weapon.serail", "\"X\"", "weapon.serial", DEL, PROTO_EUNKNOWN, "weapon.serail" },
	{ FOUND, H2 "licence.colour", "1", NULL, NULL, PROTO_EUNKNOWN, H2 "licence.colour" },
	{ FOUND, P2 "root", "1", NULL, NULL, PROTO_EUNKNOWN, P2 "root" },
	{ FOUND, "candidates[0].weapon.serial_condition", "\"legible\"", NULL, NULL, PROTO_EUNKNOWN, "candidates[0].weapon.serial_condition" },
	{ FOUND, "follow_referrals", "true", NULL, NULL, PROTO_EUNKNOWN, "follow_referrals" },

	/* Wrong types, null included. */
	{ REQ1, "id", "5", NULL, NULL, PROTO_ETYPE, "id" },
	{ REQ1, "priority", "true", NULL, NULL, PROTO_ETYPE, "priority" },
	{ REQ1, "weapon", "\"pistol\"", NULL, NULL, PROTO_ETYPE, "weapon" },
	{ REQ1, "weapon.markings", "{}", NULL, NULL, PROTO_ETYPE, "weapon.markings" },
	{ REQ1, "weapon.markings[0]", "\"x\"", NULL, NULL, PROTO_ETYPE, "weapon.markings[0]" },
	{ REQ1, "weapon.year_of_manufacture", "\"2015\"", NULL, NULL, PROTO_ETYPE, "weapon.year_of_manufacture" },
	{ REQ1, "weapon.year_of_manufacture", "2015.0", NULL, NULL, PROTO_ETYPE, "weapon.year_of_manufacture" },
	{ REQ1, "weapon.year_of_manufacture", "2.015e3", NULL, NULL, PROTO_ETYPE, "weapon.year_of_manufacture" },
	{ REQ1, "weapon.model", "null", NULL, NULL, PROTO_ETYPE, "weapon.model" },
	{ REQ1, "weapon.importer", "[]", NULL, NULL, PROTO_ETYPE, "weapon.importer" },
	{ REQ1, "found", "[]", NULL, NULL, PROTO_ETYPE, "found" },
	{ REQ1, "caveats[0]", "7", NULL, NULL, PROTO_ETYPE, "caveats[0]" },
	{ REQ1, "illicit_basis.grounds[0]", "null", NULL, NULL, PROTO_ETYPE, "illicit_basis.grounds[0]" },
	{ REQ1, "requesting_authority.contact.email", "null", NULL, NULL, PROTO_ETYPE, "requesting_authority.contact.email" },
	{ REQ1, "requesting_authority.contact", "\"x\"", NULL, NULL, PROTO_ETYPE, "requesting_authority.contact" },
	{ REQ2, "follow_referrals", "\"true\"", NULL, NULL, PROTO_ETYPE, "follow_referrals" },
	{ REQ2, "follow_referrals", "1", NULL, NULL, PROTO_ETYPE, "follow_referrals" },
	{ FOUND, "status", "1", NULL, NULL, PROTO_ETYPE, "status" },
	{ FOUND, "candidates", "{}", NULL, NULL, PROTO_ETYPE, "candidates" },
	{ FOUND, C0 "score", "\"0.97\"", NULL, NULL, PROTO_ETYPE, C0 "score" },
	{ FOUND, C0 "score", "true", NULL, NULL, PROTO_ETYPE, C0 "score" },
	{ FOUND, C0 "reasons", "\"x\"", NULL, NULL, PROTO_ETYPE, C0 "reasons" },
	{ FOUND, H2 "log_index", "\"2233\"", NULL, NULL, PROTO_ETYPE, H2 "log_index" },
	{ FOUND, P2 "hashes[0]", "1", NULL, NULL, PROTO_ETYPE, P2 "hashes[0]" },
	{ FOUND, "checkpoint", "[]", NULL, NULL, PROTO_ETYPE, "checkpoint" },

	/* Countries: assigned ISO 3166-1 alpha-2 codes only. */
	{ REQ1, "requesting_state", "\"XX\"", NULL, NULL, PROTO_EVALUE, "requesting_state" },
	{ REQ1, "requesting_state", "\"be\"", NULL, NULL, PROTO_EVALUE, "requesting_state" },
	{ REQ1, "requesting_state", "\"BEL\"", NULL, NULL, PROTO_EVALUE, "requesting_state" },
	{ REQ1, "requesting_state", "\"B\"", NULL, NULL, PROTO_EVALUE, "requesting_state" },
	{ REQ1, "requesting_state", "\"\"", NULL, NULL, PROTO_EVALUE, "requesting_state" },
	{ REQ1, "requesting_state", "\"056\"", NULL, NULL, PROTO_EVALUE, "requesting_state" },
	{ REQ1, "requesting_state", "32", NULL, NULL, PROTO_ETYPE, "requesting_state" },
	{ REQ1, "requested_state", "\"UK\"", NULL, NULL, PROTO_EVALUE, "requested_state" },
	{ REQ1, "found.country", "\"EU\"", NULL, NULL, PROTO_EVALUE, "found.country" },
	{ REQ1, "weapon.country_of_manufacture", "\"XK\"", NULL, NULL, PROTO_EVALUE, "weapon.country_of_manufacture" },
	{ REQ1, "weapon.markings[2].country", "\"ZZ\"", NULL, NULL, PROTO_EVALUE, "weapon.markings[2].country" },
	{ REQ1, "requested_state", "\"AX\"", NULL, NULL, 0, "" },
	{ FOUND, "candidates[0].history[0].to.country", "\"AA\"", NULL, NULL, PROTO_EVALUE, "candidates[0].history[0].to.country" },
	{ FOUND, H2 "transit_countries", "[\"DE\", \"QM\"]", NULL, NULL, PROTO_EVALUE, H2 "transit_countries[1]" },
	{ FOUND, H2 "transit_countries", "[\"DE\", \"FR\"]", NULL, NULL, 0, "" },

	/* Dates. */
	{ REQ1, "found.date", "\"2023-02-30\"", NULL, NULL, PROTO_EVALUE, "found.date" },
	{ REQ1, "found.date", "\"2023-02-29\"", NULL, NULL, PROTO_EVALUE, "found.date" },
	{ REQ1, "found.date", "\"1900-02-29\"", NULL, NULL, PROTO_EVALUE, "found.date" },
	{ REQ1, "found.date", "\"2023-04-31\"", NULL, NULL, PROTO_EVALUE, "found.date" },
	{ REQ1, "found.date", "\"2024-13-01\"", NULL, NULL, PROTO_EVALUE, "found.date" },
	{ REQ1, "found.date", "\"2024-00-10\"", NULL, NULL, PROTO_EVALUE, "found.date" },
	{ REQ1, "found.date", "\"2024-01-00\"", NULL, NULL, PROTO_EVALUE, "found.date" },
	{ REQ1, "found.date", "\"0000-01-01\"", NULL, NULL, PROTO_EVALUE, "found.date" },
	{ REQ1, "found.date", "\"2024-1-01\"", NULL, NULL, PROTO_EVALUE, "found.date" },
	{ REQ1, "found.date", "\"24-01-01\"", NULL, NULL, PROTO_EVALUE, "found.date" },
	{ REQ1, "found.date", "\"2024/01/01\"", NULL, NULL, PROTO_EVALUE, "found.date" },
	{ REQ1, "found.date", "\"2024-01-01T00:00:00Z\"", NULL, NULL, PROTO_EVALUE, "found.date" },
	{ REQ1, "found.date", "\"2024-02-29\"", NULL, NULL, 0, "" },
	{ REQ1, "found.date", "\"2000-02-29\"", NULL, NULL, 0, "" },
	{ REQ1, "found.date", "\"2023-12-31\"", NULL, NULL, 0, "" },

	/* Times: RFC 3339, in UTC, with Z. */
	{ REQ1, "created_at", "\"2023-02-30T00:00:00Z\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01T00:00:00+01:00\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01T00:00:00+00:00\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01T00:00:00-00:00\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01T00:00:00\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01 00:00:00Z\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01t00:00:00z\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01T24:00:00Z\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01T23:60:00Z\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01T23:59:60Z\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01T00:00Z\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01T00:00:00.Z\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01T00:00:00.1234567890Z\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01T00:00:00ZZ\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01\"", NULL, NULL, PROTO_EVALUE, "created_at" },
	{ REQ1, "created_at", "1704067200", NULL, NULL, PROTO_ETYPE, "created_at" },
	{ REQ1, "created_at", "\"2024-01-01T23:59:59.123456789Z\"", NULL, NULL, 0, "" },
	{ REQ1, "created_at", "\"2024-02-29T00:00:00Z\"", NULL, NULL, 0, "" },
	{ REQ1, "created_at", "\"2024-02-29T00:00:00.5Z\"", NULL, NULL, 0, "" },

	/* UUIDs. */
	{ REQ1, "id", "\"0190A3C2-7B1E-7C3D-9A4F-2B6E8D1C5F30\"", NULL, NULL, PROTO_EVALUE, "id" },
	{ REQ1, "id", "\"0190a3c27b1e7c3d9a4f2b6e8d1c5f30\"", NULL, NULL, PROTO_EVALUE, "id" },
	{ REQ1, "id", "\"0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f3\"", NULL, NULL, PROTO_EVALUE, "id" },
	{ REQ1, "id", "\"0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f300\"", NULL, NULL, PROTO_EVALUE, "id" },
	{ REQ1, "id", "\"0190a3c2-7b1e-7c3d-9a4f2-b6e8d1c5f30\"", NULL, NULL, PROTO_EVALUE, "id" },
	{ REQ1, "id", "\"0190a3g2-7b1e-7c3d-9a4f-2b6e8d1c5f30\"", NULL, NULL, PROTO_EVALUE, "id" },
	{ REQ1, "id", "\"{0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f30}\"", NULL, NULL, PROTO_EVALUE, "id" },
	{ REQ1, "id", "\"urn:uuid:0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f30\"", NULL, NULL, PROTO_EVALUE, "id" },
	{ REQ1, "id", "\"\"", NULL, NULL, PROTO_EVALUE, "id" },
	{ REQ1, "parent_id", "\"0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f30\"", NULL, NULL, PROTO_EVALUE, "parent_id" },
	{ REQ1, "parent_id", "\"not-a-uuid\"", NULL, NULL, PROTO_EVALUE, "parent_id" },
	{ FOUND, "candidates[0].weapon.id", "\"018d2a64-41c0-7e55-a0b9-6f3d2c1e8a4\"", NULL, NULL, PROTO_EVALUE, "candidates[0].weapon.id" },

	/* Enumerations. */
	{ REQ1, "priority", "\"URGENT\"", NULL, NULL, PROTO_EVALUE, "priority" },
	{ REQ1, "priority", "\"high\"", NULL, NULL, PROTO_EVALUE, "priority" },
	{ REQ1, "weapon.type", "\"handgun\"", NULL, NULL, PROTO_EVALUE, "weapon.type" },
	{ REQ1, "weapon.serial_condition", "\"worn\"", NULL, NULL, PROTO_EVALUE, "weapon.serial_condition" },
	{ REQ1, "weapon.markings[0].location", "\"grip\"", NULL, NULL, PROTO_EVALUE, "weapon.markings[0].location" },
	{ REQ1, "illicit_basis.grounds[0]", "\"smuggled\"", NULL, NULL, PROTO_EVALUE, "illicit_basis.grounds[0]" },
	{ FOUND, "status", "\"Found\"", NULL, NULL, PROTO_EVALUE, "status" },
	{ FOUND, "candidates[0].history[1].kind", "\"sale\"", NULL, NULL, PROTO_EVALUE, "candidates[0].history[1].kind" },
	{ FOUND, "candidates[0].history[1].to.kind", "\"shop\"", NULL, NULL, PROTO_EVALUE, "candidates[0].history[1].to.kind" },

	/* Integers and scores. */
	{ REQ1, "weapon.year_of_manufacture", "1799", NULL, NULL, PROTO_EVALUE, "weapon.year_of_manufacture" },
	{ REQ1, "weapon.year_of_manufacture", "2201", NULL, NULL, PROTO_EVALUE, "weapon.year_of_manufacture" },
	{ REQ1, "weapon.year_of_manufacture", "0", NULL, NULL, PROTO_EVALUE, "weapon.year_of_manufacture" },
	{ REQ1, "weapon.year_of_manufacture", "1800", NULL, NULL, 0, "" },
	{ AMB, "candidates[0].history[0].log_index", "-1", NULL, NULL, PROTO_EVALUE, "candidates[0].history[0].log_index" },
	{ AMB, "candidates[0].history[0].log_index", "9007199254740992", NULL, NULL, PROTO_EVALUE, "candidates[0].history[0].log_index" },
	{ AMB, "candidates[0].history[0].log_index", "9007199254740991", NULL, NULL, 0, "" },
	{ AMB, "candidates[0].history[0].log_index", "1e3", NULL, NULL, PROTO_ETYPE, "candidates[0].history[0].log_index" },
	{ AMB, "candidates[0].history[0].seq", "0", NULL, NULL, PROTO_EVALUE, "candidates[0].history[0].seq" },
	{ FOUND, C0 "score", "1.5", NULL, NULL, PROTO_EVALUE, C0 "score" },
	{ FOUND, C0 "score", "-0.1", NULL, NULL, PROTO_EVALUE, C0 "score" },
	{ FOUND, C0 "score", "0.12345", NULL, NULL, PROTO_EVALUE, C0 "score" },
	{ FOUND, C0 "score", "1", NULL, NULL, 0, "" },
	{ FOUND, C0 "score", "0", NULL, NULL, 0, "" },
	{ FOUND, C0 "score", "0.0001", NULL, NULL, 0, "" },
	{ FOUND, C0 "score", "0.9999", NULL, NULL, 0, "" },
	{ FOUND, C0 "score", "5e-1", NULL, NULL, 0, "" },

	/* Text: not empty, no control characters, lines are one line. */
	{ REQ1, "case_reference", "\"\"", NULL, NULL, PROTO_EVALUE, "case_reference" },
	{ REQ1, "caveats[0]", "\"\"", NULL, NULL, PROTO_EVALUE, "caveats[0]" },
	{ REQ1, "weapon.serial", "\"GKS\\n01?3\"", NULL, NULL, PROTO_EVALUE, "weapon.serial" },
	{ REQ1, "weapon.serial", "\"GKS01?3\\n\"", NULL, NULL, PROTO_EVALUE, "weapon.serial" },
	{ REQ1, "weapon.serial", "\"GKS\\t01?3\"", NULL, NULL, PROTO_EVALUE, "weapon.serial" },
	{ REQ1, "case_reference", "\"NL\\u0085 1\"", NULL, NULL, PROTO_EVALUE, "case_reference" },
	{ REQ1, "case_reference", "\"NL\\u007f1\"", NULL, NULL, PROTO_EVALUE, "case_reference" },
	{ REQ1, "case_reference", "\"NL\\u001b[31m\"", NULL, NULL, PROTO_EVALUE, "case_reference" },
	{ REQ1, "found.circumstances", "\"line\\r\\nline\"", NULL, NULL, PROTO_EVALUE, "found.circumstances" },
	{ REQ1, "found.circumstances", "\"line\\nline\\tcolumn\"", NULL, NULL, 0, "" },
	{ REQ1, "case_reference", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", NULL, NULL, 0, "" },
	{ REQ1, "requesting_authority.contact.email", "\"no-at-sign\"", NULL, NULL, PROTO_EVALUE, "requesting_authority.contact.email" },
	{ REQ1, "requesting_authority.contact.email", "\"a@b@c\"", NULL, NULL, PROTO_EVALUE, "requesting_authority.contact.email" },
	{ REQ1, "requesting_authority.contact.email", "\"a b@c\"", NULL, NULL, PROTO_EVALUE, "requesting_authority.contact.email" },
	{ REQ1, "requesting_authority.contact.email", "\"@c\"", NULL, NULL, PROTO_EVALUE, "requesting_authority.contact.email" },
	{ REQ1, "requesting_authority.contact.phone", "\"call me\"", NULL, NULL, PROTO_EVALUE, "requesting_authority.contact.phone" },
	{ REQ1, "requesting_authority.contact.phone", "\"+\"", NULL, NULL, PROTO_EVALUE, "requesting_authority.contact.phone" },
	{ REQ1, "requesting_authority.contact.phone", "\"(070) 000\"", NULL, NULL, PROTO_EVALUE, "requesting_authority.contact.phone" },
	{ FOUND, "checkpoint", "\"registry.example/log\\n5000\"", NULL, NULL, PROTO_EVALUE, "checkpoint" },

	/* Serials and their wildcards. */
	{ REQ1, "weapon.serial", "\"GKS0123\"", NULL, NULL, PROTO_EVALUE, "weapon.serial" },
	{ REQ1, "weapon.serial", "\"GKS**3\"", NULL, NULL, PROTO_EVALUE, "weapon.serial" },
	{ REQ1, "weapon.serial", "\"???\"", NULL, NULL, PROTO_EVALUE, "weapon.serial" },
	{ REQ1, "weapon.serial", "\"G*3\"", NULL, NULL, 0, "" },
	{ REQ1, "weapon.serial_condition", "\"legible\"", NULL, NULL, PROTO_EVALUE, "weapon.serial" },
	{ REQ1, "weapon.serial_condition", "\"partly_legible\"", NULL, NULL, 0, "" },
	{ REQ1, "weapon.serial", "\"GKS0123\"", "weapon.serial_condition", "\"restored\"", 0, "" },
	{ REQ2, "weapon.serial", "\"AB*\"", NULL, NULL, PROTO_EVALUE, "weapon.serial" },
	{ REQ2, "weapon.serial", "\"**\"", NULL, NULL, PROTO_EVALUE, "weapon.serial" },

	/* Required members missing, conditional ones included. */
	{ REQ1, "id", DEL, NULL, NULL, PROTO_EMISSING, "id" },
	{ REQ1, "requesting_state", DEL, NULL, NULL, PROTO_EMISSING, "requesting_state" },
	{ REQ1, "requested_state", DEL, NULL, NULL, PROTO_EMISSING, "requested_state" },
	{ REQ1, "requesting_authority", DEL, NULL, NULL, PROTO_EMISSING, "requesting_authority" },
	{ REQ1, "requesting_authority.name", DEL, NULL, NULL, PROTO_EMISSING, "requesting_authority.name" },
	{ REQ1, "requesting_authority.contact", DEL, NULL, NULL, PROTO_EMISSING, "requesting_authority.contact" },
	{ REQ1, "requesting_authority.contact.name", DEL, NULL, NULL, PROTO_EMISSING, "requesting_authority.contact.name" },
	{ REQ1, "requesting_authority.contact.email", DEL, "requesting_authority.contact.phone", DEL, PROTO_EMISSING, "requesting_authority.contact" },
	{ REQ1, "requesting_authority.contact.email", DEL, NULL, NULL, 0, "" },
	{ REQ2, "requesting_authority.contact.email", DEL, NULL, NULL, PROTO_EMISSING, "requesting_authority.contact" },
	{ REQ1, "priority", DEL, NULL, NULL, PROTO_EMISSING, "priority" },
	{ REQ1, "created_at", DEL, NULL, NULL, PROTO_EMISSING, "created_at" },
	{ REQ1, "case_reference", DEL, NULL, NULL, PROTO_EMISSING, "case_reference" },
	{ REQ1, "weapon", DEL, NULL, NULL, PROTO_EMISSING, "weapon" },
	{ REQ1, "weapon.serial", DEL, NULL, NULL, PROTO_EMISSING, "weapon.serial" },
	{ REQ1, "weapon.serial_condition", DEL, NULL, NULL, PROTO_EMISSING, "weapon.serial_condition" },
	{ REQ1, "weapon.type", DEL, NULL, NULL, PROTO_EMISSING, "weapon.type" },
	{ REQ1, "weapon.markings[3].text", DEL, NULL, NULL, PROTO_EMISSING, "weapon.markings[3].text" },
	{ REQ1, "weapon.components[0].kind", DEL, NULL, NULL, PROTO_EMISSING, "weapon.components[0].kind" },
	{ REQ1, "weapon.components[0].serial", DEL, NULL, NULL, PROTO_EMISSING, "weapon.components[0].serial" },
	{ REQ1, "weapon.importer", "{}", NULL, NULL, PROTO_EMISSING, "weapon.importer" },
	{ REQ1, "illicit_basis", DEL, NULL, NULL, PROTO_EMISSING, "illicit_basis" },
	{ REQ1, "illicit_basis.grounds", DEL, NULL, NULL, PROTO_EMISSING, "illicit_basis.grounds" },
	{ REQ1, "illicit_basis.legal_reference", DEL, NULL, NULL, PROTO_EMISSING, "illicit_basis.legal_reference" },
	{ REQ1, "found", DEL, NULL, NULL, PROTO_EMISSING, "found" },
	{ REQ1, "found.date", DEL, NULL, NULL, PROTO_EMISSING, "found.date" },
	{ REQ1, "found.place", DEL, NULL, NULL, PROTO_EMISSING, "found.place" },
	{ REQ1, "found.country", DEL, NULL, NULL, PROTO_EMISSING, "found.country" },
	{ REQ1, "found.circumstances", DEL, NULL, NULL, PROTO_EMISSING, "found.circumstances" },
	{ REQ1, "intended_use", DEL, NULL, NULL, PROTO_EMISSING, "intended_use" },
	{ FOUND, "id", DEL, NULL, NULL, PROTO_EMISSING, "id" },
	{ FOUND, "responding_state", DEL, NULL, NULL, PROTO_EMISSING, "responding_state" },
	{ FOUND, "responding_authority", DEL, NULL, NULL, PROTO_EMISSING, "responding_authority" },
	{ FOUND, "responding_authority.contact.name", DEL, NULL, NULL, PROTO_EMISSING, "responding_authority.contact.name" },
	{ FOUND, "responded_at", DEL, NULL, NULL, PROTO_EMISSING, "responded_at" },
	{ FOUND, "status", DEL, NULL, NULL, PROTO_EMISSING, "status" },
	{ FOUND, "candidates", DEL, NULL, NULL, PROTO_EMISSING, "candidates" },
	{ FOUND, C0 "score", DEL, NULL, NULL, PROTO_EMISSING, C0 "score" },
	{ FOUND, C0 "reasons", DEL, NULL, NULL, PROTO_EMISSING, C0 "reasons" },
	{ FOUND, C0 "weapon", DEL, NULL, NULL, PROTO_EMISSING, C0 "weapon" },
	{ FOUND, C0 "weapon.serial", DEL, NULL, NULL, PROTO_EMISSING, C0 "weapon.serial" },
	{ FOUND, C0 "weapon.type", DEL, NULL, NULL, PROTO_EMISSING, C0 "weapon.type" },
	{ FOUND, H2 "seq", DEL, NULL, NULL, PROTO_EMISSING, H2 "seq" },
	{ FOUND, H2 "kind", DEL, NULL, NULL, PROTO_EMISSING, H2 "kind" },
	{ FOUND, H2 "date", DEL, NULL, NULL, PROTO_EMISSING, H2 "date" },
	{ FOUND, H2 "log_index", DEL, NULL, NULL, PROTO_EMISSING, H2 "log_index" },
	{ FOUND, H2 "to.kind", DEL, NULL, NULL, PROTO_EMISSING, H2 "to.kind" },
	{ FOUND, H2 "to.name", DEL, NULL, NULL, PROTO_EMISSING, H2 "to.name" },
	{ FOUND, H2 "to.country", DEL, NULL, NULL, PROTO_EMISSING, H2 "to.country" },
	{ FOUND, P2 "index", DEL, NULL, NULL, PROTO_EMISSING, P2 "index" },
	{ FOUND, P2 "size", DEL, NULL, NULL, PROTO_EMISSING, P2 "size" },
	{ FOUND, P2 "leaf_hash", DEL, NULL, NULL, PROTO_EMISSING, P2 "leaf_hash" },
	{ FOUND, P2 "hashes", DEL, NULL, NULL, PROTO_EMISSING, P2 "hashes" },
	{ FOUND, C0 "referral.importing_state", DEL, NULL, NULL, PROTO_EMISSING, C0 "referral.importing_state" },
	{ FOUND, C0 "referral.export_date", DEL, NULL, NULL, PROTO_EMISSING, C0 "referral.export_date" },
	{ FOUND, H2 "licence", "{}", NULL, NULL, PROTO_EMISSING, H2 "licence" },
	{ AMB, "status_reasons", DEL, NULL, NULL, PROTO_EMISSING, "status_reasons" },
	{ AMB, C0 "diversion.last_legal_seq", DEL, NULL, NULL, PROTO_EMISSING, C0 "diversion.last_legal_seq" },
	{ AMB, C0 "diversion.finding", DEL, NULL, NULL, PROTO_EMISSING, C0 "diversion.finding" },
	{ AMB, A13 "reason", DEL, NULL, NULL, PROTO_EMISSING, A13 "reason" },
	{ AMB, "candidates[1].history[0].reason", "\"x\"", NULL, NULL, PROTO_EMISSING, "candidates[1].history[0].corrects" },
	{ AMB, "restrictions[0].kind", DEL, NULL, NULL, PROTO_EMISSING, "restrictions[0].kind" },
	{ AMB, "restrictions[0].scope", DEL, NULL, NULL, PROTO_EMISSING, "restrictions[0].scope" },
	{ AMB, "restrictions[0].reason", DEL, NULL, NULL, PROTO_EMISSING, "restrictions[0].reason" },
	{ RESTR, "restrictions", DEL, NULL, NULL, PROTO_EMISSING, "restrictions" },
	{ RESTR, "status_reasons", DEL, NULL, NULL, PROTO_EMISSING, "status_reasons" },
	{ NOTF, "status_reasons", DEL, NULL, NULL, PROTO_EMISSING, "status_reasons" },
	{ AMB, "candidates", DEL, NULL, NULL, PROTO_EMISSING, "candidates" },

	/* Empty arrays: omit them instead. */
	{ REQ1, "caveats", "[]", NULL, NULL, PROTO_EVALUE, "caveats" },
	{ REQ1, "weapon.markings", "[]", NULL, NULL, PROTO_EVALUE, "weapon.markings" },
	{ REQ1, "illicit_basis.grounds", "[]", NULL, NULL, PROTO_EVALUE, "illicit_basis.grounds" },
	{ FOUND, C0 "history", "[]", NULL, NULL, PROTO_EVALUE, C0 "history" },
	{ FOUND, P2 "hashes", "[]", NULL, NULL, PROTO_EVALUE, P2 "hashes" },

	/* Rules that relate fields. */
	{ REQ1, "illicit_basis.grounds", "[\"not_marked\", \"unlicensed\", \"not_marked\"]", NULL, NULL, PROTO_EVALUE, "illicit_basis.grounds[2]" },
	{ FOUND, H2 "licence.expires", "\"2016-01-19\"", NULL, NULL, PROTO_EVALUE, H2 "licence.expires" },
	{ FOUND, H2 "licence.expires", "\"2016-01-20\"", NULL, NULL, 0, "" },
	{ FOUND, "candidates[0].history[1].seq", "1", NULL, NULL, PROTO_EVALUE, "candidates[0].history[1].seq" },
	{ FOUND, "candidates[0].history[1].seq", "2", "candidates[0].history[0].seq", "2", PROTO_EVALUE, "candidates[0].history[1].seq" },
	{ FOUND, "candidates[0].history[0].seq", "2", "candidates[0].history[1].seq", "3", PROTO_EVALUE, "candidates[0].history[2].seq" },
	{ FOUND, H2 "seq", "7", C0 "referral.event_seq", "7", 0, "" },
	{ FOUND, C0 "referral.event_seq", "2", NULL, NULL, PROTO_EVALUE, C0 "referral.event_seq" },
	{ FOUND, C0 "referral.event_seq", "9", NULL, NULL, PROTO_EVALUE, C0 "referral.event_seq" },
	{ AMB, A13 "corrects", "2", NULL, NULL, PROTO_EVALUE, "candidates[1].history[2].corrected_by" },
	{ AMB, A13 "corrects", "4", NULL, NULL, PROTO_EVALUE, A13 "corrects" },
	{ AMB, "candidates[1].history[2].corrected_by", DEL, NULL, NULL, PROTO_EVALUE, A13 "corrects" },
	{ AMB, "candidates[1].history[2].corrected_by", "3", NULL, NULL, PROTO_EVALUE, "candidates[1].history[2].corrected_by" },
	{ AMB, "candidates[1].history[1].corrected_by", "4", NULL, NULL, PROTO_EVALUE, "candidates[1].history[1].corrected_by" },
	{ AMB, C0 "diversion.last_legal_seq", "9", NULL, NULL, PROTO_EVALUE, C0 "diversion.last_legal_seq" },
	{ AMB, C0 "diversion.event_seq", "2", NULL, NULL, PROTO_EVALUE, C0 "diversion.event_seq" },
	{ AMB, C0 "history", DEL, NULL, NULL, PROTO_EVALUE, C0 "diversion.last_legal_seq" },
	{ FOUND, P2 "index", "2234", NULL, NULL, PROTO_EVALUE, H2 "inclusion_proof.index" },
	{ FOUND, P2 "size", "2233", NULL, NULL, PROTO_EVALUE, P2 "index" },
	{ FOUND, P2 "hashes[12]", DEL, NULL, NULL, PROTO_EVALUE, P2 "hashes" },
	{ FOUND, P2 "hashes[13]", "\"SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\"", NULL, NULL, PROTO_EVALUE, P2 "hashes" },
	{ FOUND, P2 "leaf_hash", "\"SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7J=\"", NULL, NULL, PROTO_EVALUE, P2 "leaf_hash" },
	{ FOUND, P2 "leaf_hash", "\"SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I\"", NULL, NULL, PROTO_EVALUE, P2 "leaf_hash" },
	{ FOUND, P2 "leaf_hash", "\"SBNJTRN-FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\"", NULL, NULL, PROTO_EVALUE, P2 "leaf_hash" },
	{ FOUND, P2 "leaf_hash", "\"SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I==\"", NULL, NULL, PROTO_EVALUE, P2 "leaf_hash" },
	{ FOUND, P2 "leaf_hash", "\"SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\"", NULL, NULL, 0, "" },
	{ AMB, "status", "\"found\"", NULL, NULL, PROTO_EVALUE, "candidates" },
	{ AMB, "candidates[1]", DEL, NULL, NULL, PROTO_EVALUE, "candidates" },
	{ AMB, "status", "\"not_found\"", NULL, NULL, PROTO_EVALUE, "candidates" },
	{ AMB, "status", "\"declined\"", NULL, NULL, PROTO_EVALUE, "candidates" },
	{ AMB, "status", "\"need_more_info\"", NULL, NULL, PROTO_EVALUE, "candidates" },
	{ AMB, "status", "\"restricted\"", NULL, NULL, 0, "" },
	{ AMB, C1 "score", "0.9", NULL, NULL, PROTO_EVALUE, C1 "score" },
	{ AMB, C1 "score", "0.55", NULL, NULL, 0, "" },
	{ NOTF, "status", "\"declined\"", NULL, NULL, 0, "" },
	{ NOTF, "status", "\"found\"", NULL, NULL, PROTO_EMISSING, "candidates" },
	{ NOTF, "status", "\"restricted\"", NULL, NULL, PROTO_EMISSING, "restrictions" },
	{ FOUND, "status_reasons", "[\"Matched on the barrel serial.\"]", NULL, NULL, 0, "" },

	/* Acknowledgements and status documents (trace-ack/1). */
	{ ACK, "schema", "\"trace-ack/2\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ ACK, "schema", "\"trace-request/1\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ ACK, "schema", "\"problem/1\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ ACK, "schema", DEL, NULL, NULL, PROTO_EMISSING, "schema" },
	{ REQ1, "schema", "\"trace-ack/1\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ ACK, "colour", "\"red\"", NULL, NULL, PROTO_EUNKNOWN, "colour" },
	{ ACK, "id", "\"0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f30\"", NULL, NULL, PROTO_EUNKNOWN, "id" },
	{ ANSW, "candidates", "[]", NULL, NULL, PROTO_EUNKNOWN, "candidates" },
	{ ACK, "follow_referrals", "true", "request_id", DEL, PROTO_EUNKNOWN, "follow_referrals" },
	{ ACK, "request_id", DEL, NULL, NULL, PROTO_EMISSING, "request_id" },
	{ ACK, "requesting_state", DEL, NULL, NULL, PROTO_EMISSING, "requesting_state" },
	{ ACK, "requested_state", DEL, NULL, NULL, PROTO_EMISSING, "requested_state" },
	{ ACK, "priority", DEL, NULL, NULL, PROTO_EMISSING, "priority" },
	{ ACK, "received_at", DEL, NULL, NULL, PROTO_EMISSING, "received_at" },
	{ ACK, "due_by", DEL, NULL, NULL, PROTO_EMISSING, "due_by" },
	{ ACK, "request_sha256", DEL, NULL, NULL, PROTO_EMISSING, "request_sha256" },
	{ ACK, "status", DEL, NULL, NULL, PROTO_EMISSING, "status" },
	{ ACK, "log_index", DEL, NULL, NULL, 0, "" },
	{ ANSW, "status_reasons", DEL, NULL, NULL, 0, "" },
	{ ACK, "request_id", "5", NULL, NULL, PROTO_ETYPE, "request_id" },
	{ ACK, "requesting_state", "32", NULL, NULL, PROTO_ETYPE, "requesting_state" },
	{ ACK, "requested_state", "null", NULL, NULL, PROTO_ETYPE, "requested_state" },
	{ ACK, "priority", "true", NULL, NULL, PROTO_ETYPE, "priority" },
	{ ACK, "received_at", "1710408414", NULL, NULL, PROTO_ETYPE, "received_at" },
	{ ACK, "due_by", "null", NULL, NULL, PROTO_ETYPE, "due_by" },
	{ ACK, "request_sha256", "[]", NULL, NULL, PROTO_ETYPE, "request_sha256" },
	{ ACK, "log_index", "\"5012\"", NULL, NULL, PROTO_ETYPE, "log_index" },
	{ ACK, "log_index", "5012.0", NULL, NULL, PROTO_ETYPE, "log_index" },
	{ ACK, "log_index", "null", NULL, NULL, PROTO_ETYPE, "log_index" },
	{ ACK, "status", "1", NULL, NULL, PROTO_ETYPE, "status" },
	{ ANSW, "responded_at", "{}", NULL, NULL, PROTO_ETYPE, "responded_at" },
	{ ANSW, "status_reasons", "\"x\"", NULL, NULL, PROTO_ETYPE, "status_reasons" },
	{ ANSW, "status_reasons[0]", "7", NULL, NULL, PROTO_ETYPE, "status_reasons[0]" },
	{ ACK, "status", "\"Acknowledged\"", NULL, NULL, PROTO_EVALUE, "status" },
	{ ACK, "status", "\"received\"", NULL, NULL, PROTO_EVALUE, "status" },
	{ ACK, "status", "\"found\"", NULL, NULL, PROTO_EVALUE, "status" },
	{ ACK, "status", "\"\"", NULL, NULL, PROTO_EVALUE, "status" },
	{ ACK, "status", "\"in_progress\"", NULL, NULL, 0, "" },
	{ ACK, "status", "\"overdue\"", NULL, NULL, 0, "" },
	{ ACK, "priority", "\"high\"", NULL, NULL, PROTO_EVALUE, "priority" },
	{ ACK, "priority", "\"URGENT\"", NULL, NULL, PROTO_EVALUE, "priority" },
	{ ACK, "priority", "\"routine\"", NULL, NULL, 0, "" },
	{ ACK, "requesting_state", "\"XX\"", NULL, NULL, PROTO_EVALUE, "requesting_state" },
	{ ACK, "requested_state", "\"bel\"", NULL, NULL, PROTO_EVALUE, "requested_state" },
	{ ACK, "requested_state", "\"NL\"", NULL, NULL, 0, "" },
	{ ACK, "request_id", "\"0190A3C2-7B1E-7C3D-9A4F-2B6E8D1C5F30\"", NULL, NULL, PROTO_EVALUE, "request_id" },
	{ ACK, "received_at", "\"2024-03-14T09:26:54.102+00:00\"", NULL, NULL, PROTO_EVALUE, "received_at" },
	{ ACK, "due_by", "\"2024-02-30T09:26:54Z\"", NULL, NULL, PROTO_EVALUE, "due_by" },
	{ ACK, "request_sha256", "\"SVtlE1fsNoC4jFeBDO7pvwWh3dBVOx5i5+eh9Zd9Iup=\"", NULL, NULL, PROTO_EVALUE, "request_sha256" },
	{ ACK, "request_sha256", "\"SVtlE1fsNoC4jFeBDO7pvwWh3dBVOx5i5+eh9Zd9Iuo\"", NULL, NULL, PROTO_EVALUE, "request_sha256" },
	{ ACK, "request_sha256", "\"SVtlE1fsNoC4jFeBDO7pvwWh3dBVOx5i5-eh9Zd9Iuo=\"", NULL, NULL, PROTO_EVALUE, "request_sha256" },
	{ ACK, "request_sha256", "\"\"", NULL, NULL, PROTO_EVALUE, "request_sha256" },
	{ ACK, "log_index", "-1", NULL, NULL, PROTO_EVALUE, "log_index" },
	{ ACK, "log_index", "9007199254740992", NULL, NULL, PROTO_EVALUE, "log_index" },
	{ ACK, "log_index", "9007199254740991", NULL, NULL, 0, "" },
	{ ACK, "log_index", "0", NULL, NULL, 0, "" },
	{ ANSW, "status_reasons", "[]", NULL, NULL, PROTO_EVALUE, "status_reasons" },
	{ ANSW, "status_reasons[0]", "\"\"", NULL, NULL, PROTO_EVALUE, "status_reasons[0]" },
	{ ANSW, "status_reasons[0]", "\"line one\\nline two\"", NULL, NULL, 0, "" },
	{ ANSW, "status_reasons[0]", "\"a\\rb\"", NULL, NULL, PROTO_EVALUE, "status_reasons[0]" },
	/* due_by is not before received_at: instants, not text. */
	{ ACK, "due_by", "\"2024-03-14T09:26:54.101Z\"", NULL, NULL, PROTO_EVALUE, "due_by" },
	{ ACK, "due_by", "\"2024-03-14T09:26:54Z\"", NULL, NULL, PROTO_EVALUE, "due_by" },
	{ ACK, "due_by", "\"2024-03-14T09:26:54.10Z\"", NULL, NULL, PROTO_EVALUE, "due_by" },
	{ ACK, "due_by", "\"2024-03-13T23:59:59.999999999Z\"", NULL, NULL, PROTO_EVALUE, "due_by" },
	{ ACK, "due_by", "\"2024-03-14T09:26:54.102Z\"", NULL, NULL, 0, "" },
	{ ACK, "due_by", "\"2024-03-14T09:26:54.102000000Z\"", NULL, NULL, 0, "" },
	{ ACK, "due_by", "\"2024-03-14T09:26:54.1021Z\"", NULL, NULL, 0, "" },
	{ ACK, "due_by", "\"2024-03-14T09:26:55Z\"", NULL, NULL, 0, "" },
	{ ACK, "received_at", "\"2024-03-16T09:26:54.102000001Z\"", NULL, NULL, PROTO_EVALUE, "due_by" },
	{ ACK, "received_at", "\"2024-03-16T09:26:54.1Z\"", NULL, NULL, 0, "" },
	/* responded_at exactly when the request was answered, and not
	 * before it was received. */
	{ ANSW, "responded_at", DEL, NULL, NULL, PROTO_EMISSING, "responded_at" },
	{ ACK, "status", "\"answered\"", NULL, NULL, PROTO_EMISSING, "responded_at" },
	{ ACK, "status", "\"restricted\"", NULL, NULL, PROTO_EMISSING, "responded_at" },
	{ ACK, "status", "\"need_more_info\"", NULL, NULL, PROTO_EMISSING, "responded_at" },
	{ ACK, "status", "\"declined\"", NULL, NULL, PROTO_EMISSING, "responded_at" },
	{ ACK, "responded_at", "\"2024-03-15T10:00:00Z\"", NULL, NULL, PROTO_EVALUE, "responded_at" },
	{ ANSW, "status", "\"acknowledged\"", NULL, NULL, PROTO_EVALUE, "responded_at" },
	{ ANSW, "status", "\"in_progress\"", NULL, NULL, PROTO_EVALUE, "responded_at" },
	{ ANSW, "status", "\"overdue\"", NULL, NULL, PROTO_EVALUE, "responded_at" },
	{ ANSW, "status", "\"restricted\"", NULL, NULL, 0, "" },
	{ ANSW, "status", "\"need_more_info\"", NULL, NULL, 0, "" },
	{ ANSW, "status", "\"declined\"", NULL, NULL, 0, "" },
	{ ANSW, "responded_at", "\"2024-05-20T14:04:59.999999999Z\"", NULL, NULL, PROTO_EVALUE, "responded_at" },
	{ ANSW, "responded_at", "\"2024-05-20T14:05:00Z\"", NULL, NULL, 0, "" },
	{ ANSW, "responded_at", "\"2024-07-01T00:00:00Z\"", NULL, NULL, 0, "" },
	{ ANSW, "responded_at", "\"2024-05-23T08:12:45+02:00\"", NULL, NULL, PROTO_EVALUE, "responded_at" },

	/* Problem documents (problem/1). */
	{ PROB, "schema", "\"problem/2\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ PROB, "schema", "\"problem/01\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ PROB, "schema", "\"trace-ack/1\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ PROB, "schema", DEL, NULL, NULL, PROTO_EMISSING, "schema" },
	{ FOUND, "schema", "\"problem/1\"", NULL, NULL, PROTO_ESCHEMA, "schema" },
	{ PROB, "retry_after", "30", NULL, NULL, PROTO_EUNKNOWN, "retry_after" },
	{ PROB2, "errors", "[]", NULL, NULL, PROTO_EUNKNOWN, "errors" },
	{ PROB2, "Type", "\"x\"", "type", DEL, PROTO_EUNKNOWN, "Type" },
	{ PROB, "type", DEL, NULL, NULL, PROTO_EMISSING, "type" },
	{ PROB, "title", DEL, NULL, NULL, PROTO_EMISSING, "title" },
	{ PROB, "status", DEL, NULL, NULL, PROTO_EMISSING, "status" },
	{ PROB2, "status", DEL, NULL, NULL, PROTO_EMISSING, "status" },
	{ PROB, "detail", DEL, NULL, NULL, 0, "" },
	{ PROB, "instance", DEL, NULL, NULL, 0, "" },
	{ PROB, "field", DEL, NULL, NULL, 0, "" },
	{ PROB, "request_id", DEL, NULL, NULL, 0, "" },
	{ PROB, "type", "1", NULL, NULL, PROTO_ETYPE, "type" },
	{ PROB, "title", "null", NULL, NULL, PROTO_ETYPE, "title" },
	{ PROB, "status", "\"422\"", NULL, NULL, PROTO_ETYPE, "status" },
	{ PROB, "status", "422.0", NULL, NULL, PROTO_ETYPE, "status" },
	{ PROB, "status", "4.22e2", NULL, NULL, PROTO_ETYPE, "status" },
	{ PROB, "status", "true", NULL, NULL, PROTO_ETYPE, "status" },
	{ PROB, "detail", "[]", NULL, NULL, PROTO_ETYPE, "detail" },
	{ PROB, "instance", "{}", NULL, NULL, PROTO_ETYPE, "instance" },
	{ PROB, "field", "1", NULL, NULL, PROTO_ETYPE, "field" },
	{ PROB, "request_id", "true", NULL, NULL, PROTO_ETYPE, "request_id" },
	{ PROB, "type", "\"about:blank\"", NULL, NULL, PROTO_EVALUE, "type" },
	{ PROB, "type", "\"urn:registry:problem:teapot\"", NULL, NULL, PROTO_EVALUE, "type" },
	{ PROB, "type", "\"urn:registry:problem:\"", NULL, NULL, PROTO_EVALUE, "type" },
	{ PROB, "type", "\"URN:registry:problem:not-found\"", NULL, NULL, PROTO_EVALUE, "type" },
	{ PROB, "type", "\"urn:registry:problem:Not-Found\"", NULL, NULL, PROTO_EVALUE, "type" },
	{ PROB, "type", "\"urn:registry:problem:not-found \"", NULL, NULL, PROTO_EVALUE, "type" },
	{ PROB, "type", "\"not-found\"", NULL, NULL, PROTO_EVALUE, "type" },
	{ PROB, "type", "\"\"", NULL, NULL, PROTO_EVALUE, "type" },
	{ PROB, "type", "\"urn:registry:problem:not-found\"", NULL, NULL, 0, "" },
	{ PROB, "status", "399", NULL, NULL, PROTO_EVALUE, "status" },
	{ PROB, "status", "600", NULL, NULL, PROTO_EVALUE, "status" },
	{ PROB, "status", "200", NULL, NULL, PROTO_EVALUE, "status" },
	{ PROB, "status", "0", NULL, NULL, PROTO_EVALUE, "status" },
	{ PROB, "status", "-422", NULL, NULL, PROTO_EVALUE, "status" },
	{ PROB, "status", "9007199254740992", NULL, NULL, PROTO_EVALUE, "status" },
	{ PROB, "status", "400", NULL, NULL, 0, "" },
	{ PROB, "status", "599", NULL, NULL, 0, "" },
	{ PROB, "title", "\"\"", NULL, NULL, PROTO_EVALUE, "title" },
	{ PROB, "title", "\"Invalid\\ndocument\"", NULL, NULL, PROTO_EVALUE, "title" },
	{ PROB, "detail", "\"\"", NULL, NULL, PROTO_EVALUE, "detail" },
	{ PROB, "detail", "\"one\\ntwo\\tthree\"", NULL, NULL, 0, "" },
	{ PROB, "detail", "\"a\\u0007b\"", NULL, NULL, PROTO_EVALUE, "detail" },
	{ PROB, "instance", "\"\"", NULL, NULL, PROTO_EVALUE, "instance" },
	{ PROB, "instance", "\"/v1/traces/a b\"", NULL, NULL, PROTO_EVALUE, "instance" },
	{ PROB, "instance", "\"/v1/traces/\\u00e9\"", NULL, NULL, PROTO_EVALUE, "instance" },
	{ PROB, "instance", "\"/v1/traces/\\\"x\\\"\"", NULL, NULL, PROTO_EVALUE, "instance" },
	{ PROB, "instance", "\"/v1/traces/<x>\"", NULL, NULL, PROTO_EVALUE, "instance" },
	{ PROB, "instance", "\"/v1/traces/0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f30?view=status&x=%20#top\"", NULL, NULL, 0, "" },
	{ PROB, "instance", "\"urn:uuid:0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f30\"", NULL, NULL, 0, "" },
	{ PROB, "instance", "\"https://tracer.example.be:8443/v1/traces;a=[1]@!$'()*+,~\"", NULL, NULL, 0, "" },
	{ PROB, "field", "\"\"", NULL, NULL, PROTO_EVALUE, "field" },
	{ PROB, "field", "\"weapon.markings[2].text\\n\"", NULL, NULL, PROTO_EVALUE, "field" },
	{ PROB, "request_id", "\"0190A3C2-7B1E-7C3D-9A4F-2B6E8D1C5F30\"", NULL, NULL, PROTO_EVALUE, "request_id" },
	{ PROB, "request_id", "\"{0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f30}\"", NULL, NULL, PROTO_EVALUE, "request_id" },
};

/* Applies an entry's edits to a copy of its example. */
static json_t *
apply(const struct bad *b)
{
	json_t *doc = example_json(b->example);

	set_at(doc, b->path, b->value != NULL ? jv(b->value) : NULL);
	if (b->path2 != NULL)
		set_at(doc, b->path2, b->value2 != NULL ? jv(b->value2) : NULL);
	return doc;
}

static void
run_bad_table(void)
{
	const struct bad *b;
	proto_error err;
	json_t *doc;
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		b = &bad_docs[i];
		snprintf(where, sizeof(where), "bad_docs[%zu] %s %s = %s: ", i,
		    b->example, b->path, b->value != NULL ? b->value : "(deleted)");
		doc = apply(b);
		r = judge(kind_of(b->example), doc, &err);
		REQUIRE_MSG(r == b->code, "code %s, want %s (%s)", code_name(r),
		    code_name(b->code), err.message);
		REQUIRE_MSG(strcmp(err.field, b->field) == 0,
		    "field '%s', want '%s' (%s)", err.field, b->field, err.message);
		json_decref(doc);
	}
}

START_TEST(test_bad_table)
{
	run_bad_table();
}
END_TEST

/* ------------------------------------------------------------- limits */

enum fill { F_TEXT, F_EMAIL, F_PHONE, F_SERIAL_PARTLY, F_NOTE, F_URI };

struct limit {
	const char *example;
	const char *path;
	size_t max;			/* characters, per proto/README.md */
	enum fill fill;
};

static const struct limit limits[] = {
	{ REQ1, "case_reference", 100, F_TEXT },
	{ REQ1, "requesting_authority.name", 300, F_TEXT },
	{ REQ1, "requesting_authority.contact.name", 200, F_TEXT },
	{ REQ1, "requesting_authority.contact.email", 254, F_EMAIL },
	{ REQ1, "requesting_authority.contact.phone", 50, F_PHONE },
	{ REQ1, "requesting_authority.contact.address", 500, F_TEXT },
	{ REQ1, "weapon.serial", 100, F_SERIAL_PARTLY },
	{ REQ1, "weapon.manufacturer", 200, F_TEXT },
	{ REQ1, "weapon.model", 200, F_TEXT },
	{ REQ1, "weapon.calibre", 100, F_TEXT },
	{ REQ1, "weapon.markings[0].text", 500, F_TEXT },
	{ REQ1, "weapon.components[0].serial", 100, F_TEXT },
	{ REQ1, "weapon.importer.name", 300, F_TEXT },
	{ REQ1, "weapon.notes", 2000, F_TEXT },
	{ REQ1, "illicit_basis.legal_reference", 500, F_TEXT },
	{ REQ1, "illicit_basis.details", 2000, F_TEXT },
	{ REQ1, "found.place", 300, F_TEXT },
	{ REQ1, "found.circumstances", 4000, F_TEXT },
	{ REQ1, "intended_use", 2000, F_TEXT },
	{ REQ1, "caveats[0]", 1000, F_TEXT },
	{ FOUND, "responding_authority.name", 300, F_TEXT },
	{ FOUND, C0 "reasons[0]", 500, F_TEXT },
	{ FOUND, C0 "weapon.serial", 100, F_TEXT },
	{ FOUND, C0 "weapon.manufacturer", 200, F_TEXT },
	{ FOUND, C0 "weapon.model", 200, F_TEXT },
	{ FOUND, C0 "weapon.calibre", 100, F_TEXT },
	{ FOUND, C0 "weapon.markings[0].text", 500, F_TEXT },
	{ FOUND, C0 "weapon.components[0].serial", 100, F_TEXT },
	{ FOUND, "candidates[0].history[0].to.name", 300, F_TEXT },
	{ FOUND, "candidates[0].history[0].to.region", 200, F_TEXT },
	{ FOUND, "candidates[0].history[1].to.licence", 200, F_TEXT },
	{ FOUND, H2 "licence.number", 100, F_TEXT },
	{ FOUND, H2 "end_user_certificate", 100, F_TEXT },
	{ FOUND, H2 "final_recipient", 300, F_TEXT },
	{ FOUND, C0 "referral.end_user_certificate", 100, F_TEXT },
	{ FOUND, "checkpoint", 8192, F_NOTE },
	{ AMB, "status_reasons[0]", 1000, F_TEXT },
	{ AMB, "candidates[1].history[2].certificate", 200, F_TEXT },
	{ AMB, A13 "reason", 1000, F_TEXT },
	{ AMB, "candidates[0].history[3].note", 2000, F_TEXT },
	{ AMB, C1 "diversion.details", 2000, F_TEXT },
	{ AMB, "restrictions[0].scope", 500, F_TEXT },
	{ AMB, "restrictions[0].explanation", 1000, F_TEXT },
	{ ANSW, "status_reasons[0]", 1000, F_TEXT },
	{ PROB, "title", 200, F_TEXT },
	{ PROB, "detail", 2000, F_TEXT },
	{ PROB, "instance", 1000, F_URI },
	{ PROB, "field", 255, F_TEXT },
};

/* A valid value of n characters for the field, made of c (one character
 * of one or more bytes) where the format allows. */
static char *
fill(enum fill how, size_t n, const char *c)
{
	size_t clen = strlen(c), i, o = 0;
	char *s = malloc(n * 4 + 32);
	const char *tail = "";

	ck_assert(s != NULL);
	switch (how) {
	case F_EMAIL:
		tail = "@example.org";
		break;
	case F_PHONE:
		c = "0";
		clen = 1;
		s[o++] = '+';
		n--;
		break;
	case F_SERIAL_PARTLY:
		s[o++] = '?';
		n--;
		break;
	case F_NOTE:
		tail = "\n";
		break;
	case F_URI:
		/* A URI reference is ASCII: a path of one character's kind. */
		c = "a";
		clen = 1;
		s[o++] = '/';
		n--;
		break;
	case F_TEXT:
		break;
	}
	n -= strlen(tail);
	for (i = 0; i < n; i++) {
		memcpy(s + o, c, clen);
		o += clen;
	}
	strcpy(s + o, tail);
	return s;
}

static void
run_limits(void)
{
	static const char *chars[] = { "A", "\xc3\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x94\xab" };
	const struct limit *l;
	proto_error err;
	json_t *doc;
	size_t i, k, n;
	char *s;
	int r;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		l = &limits[i];
		/* One to four bytes a character: limits count characters. */
		for (k = 0; k < 4; k++) {
			for (n = l->max; n <= l->max + 1; n++) {
				snprintf(where, sizeof(where),
				    "%s %s, %zu characters of %zu bytes: ",
				    l->example, l->path, n, strlen(chars[k]));
				doc = example_json(l->example);
				REQUIRE_MSG(get_at(doc, l->path) != NULL, "%s",
				    "no such member in the example");
				s = fill(l->fill, n, chars[k]);
				set_at(doc, l->path, json_string(s));
				free(s);
				r = judge(kind_of(l->example), doc, &err);
				if (n == l->max) {
					REQUIRE_MSG(r == 0, "refused: %s",
					    err.message);
				} else {
					REQUIRE_MSG(r == PROTO_ETOOBIG &&
					    strcmp(err.field, l->path) == 0,
					    "got %s at '%s': %s", code_name(r),
					    err.field, err.message);
				}
				json_decref(doc);
			}
		}
	}
}

START_TEST(test_string_limits)
{
	run_limits();
}
END_TEST

struct array_limit {
	const char *example;
	const char *path;
	size_t max;
	const char *elem;		/* JSON text, or "@0" for element 0 */
	bool full_ok;			/* whether max copies are valid */
};

static const struct array_limit array_limits[] = {
	{ REQ1, "weapon.markings", 64, "@0", true },
	{ REQ1, "weapon.components", 16, "@0", true },
	{ REQ1, "caveats", 16, "@0", true },
	{ REQ1, "illicit_basis.grounds", 4, "@0", false },
	{ FOUND, "candidates", 50, "@0", false },
	{ FOUND, C0 "reasons", 16, "@0", true },
	{ FOUND, C0 "history", 1000, "@0", false },
	{ FOUND, P2 "hashes", 64, "@0", false },
	{ FOUND, H2 "transit_countries", 16, "\"DE\"", true },
	{ FOUND, C0 "referral.transit_countries", 16, "\"LU\"", true },
	{ FOUND, C0 "weapon.markings", 64, "@0", true },
	{ FOUND, C0 "weapon.components", 16, "@0", true },
	{ AMB, "status_reasons", 16, "@0", true },
	{ AMB, "restrictions", 32, "@0", true },
	{ ANSW, "status_reasons", 16, "@0", true },
};

START_TEST(test_array_limits)
{
	const struct array_limit *l;
	proto_error err;
	json_t *doc, *a, *e;
	size_t i, n, k;
	int r;

	for (i = 0; i < sizeof(array_limits) / sizeof(array_limits[0]); i++) {
		l = &array_limits[i];
		for (n = l->max; n <= l->max + 1; n++) {
			snprintf(where, sizeof(where), "%s %s with %zu: ",
			    l->example, l->path, n);
			doc = example_json(l->example);
			a = get_at(doc, l->path);
			if (a == NULL) {
				set_at(doc, l->path, json_array());
				a = get_at(doc, l->path);
			}
			e = strcmp(l->elem, "@0") == 0 ?
			    json_deep_copy(json_array_get(a, 0)) : jv(l->elem);
			REQUIRE(e != NULL);
			for (k = json_array_size(a); k < n; k++)
				json_array_append(a, e);
			json_decref(e);
			r = judge(kind_of(l->example), doc, &err);
			if (n == l->max) {
				REQUIRE_MSG(!l->full_ok || r == 0, "refused: %s",
				    err.message);
				REQUIRE_MSG(r != PROTO_ETOOBIG, "refused: %s",
				    err.message);
			} else {
				REQUIRE_MSG(r == PROTO_ETOOBIG &&
				    strcmp(err.field, l->path) == 0,
				    "got %s at '%s': %s", code_name(r), err.field,
				    err.message);
			}
			json_decref(doc);
		}
	}
}
END_TEST

/* ----------------------------------------------------- byte-level limits */

/* The text of an example in canonical form. */
static char *
canonical(const char *name)
{
	proto_error err;
	char *text, *canon;
	size_t len;

	text = example_text(name, &len);
	ck_assert_int_eq(codec(kind_of(name), text, len, &err, &canon), 0);
	free(text);
	return canon;
}

START_TEST(test_document_size)
{
	proto_error err;
	char *canon = canonical(REQ1), *big;
	size_t clen = strlen(canon);

	/* Padded with whitespace to exactly the limit: accepted. */
	big = malloc(PROTO_DOC_MAX + 2);
	ck_assert(big != NULL);
	memcpy(big, canon, clen);
	memset(big + clen, ' ', PROTO_DOC_MAX + 1 - clen);
	snprintf(where, sizeof(where), "1 MiB: ");
	REQUIRE_MSG(codec(K_REQUEST, big, PROTO_DOC_MAX, &err, NULL) == 0, "%s",
	    err.message);
	/* One byte more: refused before parsing. */
	REQUIRE(codec(K_REQUEST, big, PROTO_DOC_MAX + 1, &err, NULL) == PROTO_ETOOBIG);
	ck_assert_str_eq(err.field, "");
	ck_assert_ptr_nonnull(strstr(err.message, "1048576"));
	free(big);
	ck_assert_uint_eq(PROTO_DOC_MAX, 1048576);

	/*
	 * Written documents obey the limit too: a response of 30 candidates
	 * with long notes, under 1 MiB, parsed; then given long reasons, so
	 * that it would be over, and refused on writing.
	 */
	{
		proto_response *resp = NULL;
		json_t *doc = example_json(AMB), *cands, *c0, *hist;
		char *text, *out = (char *)1, *note, *reason;
		size_t i, j;

		cands = json_object_get(doc, "candidates");
		c0 = json_deep_copy(json_array_get(cands, 0));
		hist = json_object_get(c0, "history");
		note = fill(F_TEXT, 2000, "\xf0\x9f\x94\xab");
		for (i = 0; i < json_array_size(hist); i++)
			json_object_set_new(json_array_get(hist, i), "note",
			    json_string(note));
		free(note);
		json_array_clear(cands);
		for (i = 0; i < 30; i++)
			json_array_append(cands, c0);
		json_decref(c0);
		text = dump(doc);
		json_decref(doc);
		ck_assert_uint_gt(strlen(text), 900000);
		ck_assert_uint_lt(strlen(text), PROTO_DOC_MAX);
		ck_assert_int_eq(proto_response_parse(text, strlen(text), &resp,
		    &err), 0);
		free(text);
		reason = fill(F_TEXT, 500, "\xf0\x9f\x94\xab");
		for (i = 0; i < resp->n_candidates; i++) {
			struct proto_candidate *c = &resp->candidates[i];

			for (j = 0; j < c->n_reasons; j++)
				free(c->reasons[j]);
			free(c->reasons);
			c->reasons = calloc(16, sizeof(char *));
			ck_assert(c->reasons != NULL);
			for (j = 0; j < 16; j++)
				c->reasons[j] = strdup(reason);
			c->n_reasons = 16;
		}
		free(reason);
		proto_error_clear(&err);
		ck_assert_int_eq(proto_response_to_json(resp, &out, &err),
		    PROTO_ETOOBIG);
		ck_assert_ptr_null(out);
		ck_assert_str_eq(err.field, "");
		proto_response_free(resp);
	}
	free(canon);
}
END_TEST

/* A request with an unknown member "x" holding depth nested arrays, so
 * that the whole document nests depth + 1 deep. */
static char *
nested(size_t depth)
{
	const char *head = "{\"schema\":\"trace-request/1\",\"x\":";
	size_t hl = strlen(head), i;
	char *s = malloc(hl + 2 * depth + 2);

	ck_assert(s != NULL);
	memcpy(s, head, hl);
	for (i = 0; i < depth; i++) {
		s[hl + i] = '[';
		s[hl + depth + i] = ']';
	}
	s[hl + 2 * depth] = '}';
	s[hl + 2 * depth + 1] = '\0';
	return s;
}

START_TEST(test_nesting)
{
	proto_error err;
	json_t *doc;
	char *s, *t;

	snprintf(where, sizeof(where), "nesting: ");
	/* 16 levels in all: parsed, then refused for its unknown member. */
	s = nested(PROTO_DEPTH_MAX - 1);
	REQUIRE(codec(K_REQUEST, s, strlen(s), &err, NULL) == PROTO_EUNKNOWN);
	ck_assert_str_eq(err.field, "x");
	free(s);
	/* 17 levels: refused as too deep. */
	s = nested(PROTO_DEPTH_MAX);
	REQUIRE(codec(K_REQUEST, s, strlen(s), &err, NULL) == PROTO_ETOOBIG);
	ck_assert_str_eq(err.field, "");
	free(s);
	/* Very deep: refused before the parser recurses. */
	s = nested(200000);
	REQUIRE(codec(K_REQUEST, s, strlen(s), &err, NULL) == PROTO_ETOOBIG);
	free(s);
	s = malloc(400001);
	ck_assert(s != NULL);
	memset(s, '{', 400000);
	s[400000] = '\0';
	REQUIRE(codec(K_RESPONSE, s, strlen(s), &err, NULL) == PROTO_ETOOBIG);
	free(s);
	/* Brackets inside strings, escaped quotes included, do not count. */
	doc = example_json(REQ1);
	s = malloc(2000);
	ck_assert(s != NULL);
	memset(s, '[', 1000);
	memcpy(s, "\\\"", 2);
	memset(s + 1000, '{', 999);
	s[1999] = '\0';
	set_at(doc, "weapon.notes", json_string(s));
	free(s);
	t = dump(doc);
	REQUIRE_MSG(codec(K_REQUEST, t, strlen(t), &err, NULL) == 0, "%s",
	    err.message);
	free(t);
	json_decref(doc);
}
END_TEST

struct raw {
	const char *name;
	const char *text;		/* with "@" for REQ1's canonical body */
	size_t len;			/* 0: strlen */
	int code;
	const char *field;
};

/*
 * Byte-level cases.  "@" stands for the canonical request without its
 * closing brace, so that "@}" is the whole document.
 */
static const struct raw raws[] = {
	{ "whole", "@}", 0, 0, "" },
	{ "trailing whitespace", "@}\n\t \r\n", 0, 0, "" },
	{ "leading whitespace", " \n@}", 0, 0, "" },
	{ "trailing garbage", "@}x", 0, PROTO_ESYNTAX, "" },
	{ "trailing brace", "@}}", 0, PROTO_ESYNTAX, "" },
	{ "two documents", "@}@}", 0, PROTO_ESYNTAX, "" },
	{ "trailing NUL", "@}\0", sizeof("@}\0") - 1, PROTO_ESYNTAX, "" },
	{ "NUL in a string", "@,\"x\":\"a\0b\"}", sizeof("@,\"x\":\"a\0b\"}") - 1, PROTO_ESYNTAX, "" },
	{ "NUL first", "\0@}", sizeof("\0@}") - 1, PROTO_ESYNTAX, "" },
	{ "integer too big for JSON", "@,\"x\":99999999999999999999999}", 0, PROTO_ESYNTAX, "" },
	{ "number too big for a double", "@,\"x\":1e400}", 0, PROTO_ESYNTAX, "" },
	{ "escaped NUL", "@,\"caveats\":[\"a\\u0000b\"]}", 0, PROTO_ESYNTAX, "" },
	{ "duplicate member", "@,\"priority\":\"routine\"}", 0, PROTO_ESYNTAX, "" },
	{ "duplicate schema", "@,\"schema\":\"trace-request/1\"}", 0, PROTO_ESYNTAX, "" },
	{ "nested duplicate", "{\"schema\":\"trace-request/1\",\"weapon\":{\"type\":\"rifle\",\"type\":\"rifle\"}}", 0, PROTO_ESYNTAX, "" },
	{ "invalid UTF-8", "@,\"caveats\":[\"\xc3\x28\"]}", 0, PROTO_ESYNTAX, "" },
	{ "overlong UTF-8", "@,\"caveats\":[\"\xc0\xaf\"]}", 0, PROTO_ESYNTAX, "" },
	{ "UTF-8 surrogate", "@,\"caveats\":[\"\xed\xa0\x80\"]}", 0, PROTO_ESYNTAX, "" },
	{ "UTF-8 past U+10FFFF", "@,\"caveats\":[\"\xf4\x90\x80\x80\"]}", 0, PROTO_ESYNTAX, "" },
	{ "lone continuation byte", "@,\"caveats\":[\"\x80\"]}", 0, PROTO_ESYNTAX, "" },
	{ "Latin-1 byte", "@,\"caveats\":[\"caf\xe9\"]}", 0, PROTO_ESYNTAX, "" },
	{ "lone surrogate escape", "@,\"caveats\":[\"\\ud800\"]}", 0, PROTO_ESYNTAX, "" },
	{ "invalid UTF-8 in a name", "@,\"\xff\":1}", 0, PROTO_ESYNTAX, "" },
	{ "byte order mark", "\xef\xbb\xbf@}", 0, PROTO_ESYNTAX, "" },
	{ "empty", "", 0, PROTO_ESYNTAX, "" },
	{ "whitespace only", " \n", 0, PROTO_ESYNTAX, "" },
	{ "null", "null", 0, PROTO_ESYNTAX, "" },
	{ "string", "\"trace-request/1\"", 0, PROTO_ESYNTAX, "" },
	{ "array", "[{\"schema\":\"trace-request/1\"}]", 0, PROTO_ETYPE, "" },
	{ "unquoted name", "{schema:\"trace-request/1\"}", 0, PROTO_ESYNTAX, "" },
	{ "single quotes", "{'schema':'trace-request/1'}", 0, PROTO_ESYNTAX, "" },
	{ "trailing comma", "@,}", 0, PROTO_ESYNTAX, "" },
	{ "comment", "@/* c */}", 0, PROTO_ESYNTAX, "" },
	{ "raw control character", "@,\"caveats\":[\"a\x01\"]}", 0, PROTO_ESYNTAX, "" },
	{ "raw line feed in a string", "@,\"caveats\":[\"a\nb\"]}", 0, PROTO_ESYNTAX, "" },
	{ "NaN", "@,\"follow_referrals\":NaN}", 0, PROTO_ESYNTAX, "" },
	{ "unknown escape", "@,\"caveats\":[\"\\x41\"]}", 0, PROTO_ESYNTAX, "" },
	{ "schema only", "{\"schema\":\"trace-request/1\"}", 0, PROTO_EMISSING, "id" },
	{ "escaped member name", "@,\"\\u0063olour\":1}", 0, PROTO_EUNKNOWN, "colour" },
	{ "escaped schema name", "{\"sch\\u0065ma\":\"trace-request/2\"}", 0, PROTO_ESCHEMA, "schema" },
};

START_TEST(test_raw_bytes)
{
	char *canon = canonical(REQ1), *buf;
	size_t clen = strlen(canon) - 1, i, len, o, k;
	const struct raw *c;
	proto_error err;
	int r;

	buf = malloc(4 * clen + 4096);
	ck_assert(buf != NULL);
	for (i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		c = &raws[i];
		snprintf(where, sizeof(where), "raw %s: ", c->name);
		len = c->len != 0 ? c->len : strlen(c->text);
		o = 0;
		for (k = 0; k < len; k++) {
			if (c->text[k] == '@') {
				memcpy(buf + o, canon, clen);
				o += clen;
			} else {
				buf[o++] = c->text[k];
			}
		}
		r = codec(K_REQUEST, buf, o, &err, NULL);
		REQUIRE_MSG(r == c->code, "code %s, want %s (%s)", code_name(r),
		    code_name(c->code), err.message);
		REQUIRE_MSG(strcmp(err.field, c->field) == 0,
		    "field '%s', want '%s' (%s)", err.field, c->field,
		    err.message);
	}
	free(buf);
	free(canon);
}
END_TEST

/* ------------------------------------------------------------ mutations */

/* Every proper prefix of every example, canonical and as written, is
 * refused. */
START_TEST(test_truncations)
{
	char **names = example_names(), *canon, *text;
	proto_error err;
	size_t i, n, len, last;
	int r;

	for (i = 0; names[i] != NULL; i++) {
		enum kind kind = kind_of(names[i]);

		canon = canonical(names[i]);
		len = strlen(canon);
		for (n = 0; n < len; n++) {
			snprintf(where, sizeof(where), "%s canonical, %zu of %zu "
			    "bytes: ", names[i], n, len);
			r = codec(kind, canon, n, &err, NULL);
			REQUIRE_MSG(r != 0, "%s", "accepted");
		}
		free(canon);
		text = example_text(names[i], &len);
		last = (size_t)(strrchr(text, '}') - text);
		for (n = 0; n <= last; n++) {
			snprintf(where, sizeof(where), "%s, %zu of %zu bytes: ",
			    names[i], n, len);
			r = codec(kind, text, n, &err, NULL);
			REQUIRE_MSG(r != 0, "%s", "accepted");
		}
		free(text);
	}
	free_names(names);
}
END_TEST

/*
 * Bit flips of every example's canonical form: at every byte one bit
 * (cycling through the eight), and for the smallest example every bit of
 * every byte.  Each is refused, or accepted as a document whose canonical
 * form is stable (a flip in a letter of free text is a valid document);
 * never a crash or a leak.
 */
START_TEST(test_bit_flips)
{
	char **names = example_names(), *canon, *mut, *out;
	size_t i, pos, accepted = 0, total = 0, len;
	proto_error err;
	int bit, r;

	for (i = 0; names[i] != NULL; i++) {
		enum kind kind = kind_of(names[i]);
		bool every = strcmp(names[i], REQ2) == 0;

		canon = canonical(names[i]);
		len = strlen(canon);
		mut = malloc(len + 1);
		ck_assert(mut != NULL);
		for (pos = 0; pos < len; pos++) {
			for (bit = 0; bit < 8; bit++) {
				if (!every && bit != (int)(pos % 8))
					continue;
				memcpy(mut, canon, len + 1);
				mut[pos] ^= (char)(1 << bit);
				snprintf(where, sizeof(where), "%s byte %zu bit "
				    "%d: ", names[i], pos, bit);
				r = codec(kind, mut, len, &err, &out);
				total++;
				if (r == 0) {
					accepted++;
					check_whole(mut, len, out);
					check_stable(kind, out);
					proto_free(out);
				}
			}
		}
		free(mut);
		free(canon);
	}
	free_names(names);
	/* Most flips break the document; some change free text. */
	snprintf(where, sizeof(where), "bit flips: ");
	REQUIRE_MSG(accepted > 0 && accepted < total / 2,
	    "%zu of %zu flips accepted", accepted, total);
}
END_TEST

/* ---------------------------------------------------------- writing */

START_TEST(test_write_built)
{
	proto_request *req = proto_request_new(), *back = NULL;
	proto_response *resp = proto_response_new();
	proto_error err = PROTO_ERROR_INIT;
	char *out = NULL, *again = NULL;

	ck_assert_ptr_nonnull(req);
	strcpy(req->id, "0190d000-0000-7000-8000-000000000001");
	strcpy(req->requesting_state, "SN");
	strcpy(req->requested_state, "CZ");
	req->requesting_authority.name = strdup("Police nationale");
	req->requesting_authority.contact.name = strdup("Bureau des armes");
	req->requesting_authority.contact.phone = strdup("+221 33 000 00 00");
	strcpy(req->priority, "routine");
	strcpy(req->created_at, "2024-07-01T10:00:00Z");
	req->case_reference = strdup("SN-2024-77");
	req->weapon.serial = strdup("H12?45");
	strcpy(req->weapon.serial_condition, "partly_legible");
	strcpy(req->weapon.type, "assault_rifle");
	req->illicit_basis.grounds = calloc(2, sizeof(proto_enum));
	strcpy(req->illicit_basis.grounds[0], "embargo_violation");
	strcpy(req->illicit_basis.grounds[1], "unlicensed");
	req->illicit_basis.n_grounds = 2;
	req->illicit_basis.legal_reference = strdup("UNSC resolution 2127 (2013)");
	strcpy(req->found.date, "2024-06-28");
	req->found.place = strdup("Dakar");
	strcpy(req->found.country, "SN");
	req->found.circumstances = strdup("Seized at the port.");
	req->intended_use = strdup("Embargo monitoring.");

	ck_assert_int_eq(proto_request_to_json(req, &out, &err), 0);
	ck_assert_str_eq(out,
	    "{\"case_reference\":\"SN-2024-77\",\"created_at\":\"2024-07-01T10:00:00Z\","
	    "\"found\":{\"circumstances\":\"Seized at the port.\",\"country\":\"SN\","
	    "\"date\":\"2024-06-28\",\"place\":\"Dakar\"},"
	    "\"id\":\"0190d000-0000-7000-8000-000000000001\","
	    "\"illicit_basis\":{\"grounds\":[\"embargo_violation\",\"unlicensed\"],"
	    "\"legal_reference\":\"UNSC resolution 2127 (2013)\"},"
	    "\"intended_use\":\"Embargo monitoring.\",\"priority\":\"routine\","
	    "\"requested_state\":\"CZ\",\"requesting_authority\":{\"contact\":"
	    "{\"name\":\"Bureau des armes\",\"phone\":\"+221 33 000 00 00\"},"
	    "\"name\":\"Police nationale\"},\"requesting_state\":\"SN\","
	    "\"schema\":\"trace-request/1\",\"weapon\":{\"serial\":\"H12?45\","
	    "\"serial_condition\":\"partly_legible\",\"type\":\"assault_rifle\"}}");
	ck_assert_int_eq(proto_request_parse(out, strlen(out), &back, &err), 0);
	ck_assert_int_eq(proto_request_to_json(back, &again, &err), 0);
	ck_assert_str_eq(out, again);
	proto_free(again);
	proto_request_free(back);
	proto_free(out);

	/* What would be refused on reading is refused on writing. */
	free(req->weapon.serial);
	req->weapon.serial = NULL;
	proto_error_clear(&err);
	out = (char *)1;
	ck_assert_int_eq(proto_request_to_json(req, &out, &err), PROTO_EMISSING);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(err.field, "weapon.serial");
	req->weapon.serial = strdup("H12345");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_request_to_json(req, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "weapon.serial");
	strcpy(req->weapon.serial_condition, "legible");
	strcpy(req->requested_state, "XX");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_request_to_json(req, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "requested_state");
	strcpy(req->requested_state, "CZ");
	free(req->found.place);
	req->found.place = strdup("Dak\xe2r");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_request_to_json(req, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "found.place");
	free(req->found.place);
	req->found.place = strdup("Dakar");
	memset(req->priority, 'x', sizeof(req->priority));
	proto_error_clear(&err);
	ck_assert_int_eq(proto_request_to_json(req, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "priority");
	strcpy(req->priority, "urgent");
	req->illicit_basis.n_grounds = 5;
	proto_error_clear(&err);
	ck_assert_int_eq(proto_request_to_json(req, &out, &err), PROTO_ETOOBIG);
	ck_assert_str_eq(err.field, "illicit_basis.grounds");
	req->illicit_basis.n_grounds = 2;
	req->n_caveats = 1;
	proto_error_clear(&err);
	ck_assert_int_eq(proto_request_to_json(req, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "caveats");
	req->caveats = calloc(1, sizeof(char *));
	proto_error_clear(&err);
	ck_assert_int_eq(proto_request_to_json(req, &out, &err), PROTO_ETYPE);
	ck_assert_str_eq(err.field, "caveats[0]");
	req->caveats[0] = strdup("Not for prosecution.");
	req->follow_referrals = true;
	proto_error_clear(&err);
	ck_assert_int_eq(proto_request_to_json(req, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"follow_referrals\":true"));
	proto_free(out);
	proto_request_free(req);

	/* A response: the status says what it needs. */
	strcpy(resp->id, "0190d000-0000-7000-8000-000000000001");
	strcpy(resp->responding_state, "CZ");
	resp->responding_authority.name = strdup("Police of the Czech Republic");
	resp->responding_authority.contact.name = strdup("Tracing");
	resp->responding_authority.contact.email = strdup("t@example.cz");
	strcpy(resp->responded_at, "2024-07-01T10:00:01.25Z");
	strcpy(resp->status, "found");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_response_to_json(resp, &out, &err),
	    PROTO_EMISSING);
	ck_assert_str_eq(err.field, "candidates");
	resp->candidates = calloc(1, sizeof(*resp->candidates));
	resp->n_candidates = 1;
	resp->candidates[0].score = NAN;
	proto_error_clear(&err);
	ck_assert_int_eq(proto_response_to_json(resp, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "candidates[0].score");
	resp->candidates[0].score = 0.5;
	proto_error_clear(&err);
	ck_assert_int_eq(proto_response_to_json(resp, &out, &err),
	    PROTO_EMISSING);
	ck_assert_str_eq(err.field, "candidates[0].reasons");
	resp->candidates[0].reasons = calloc(1, sizeof(char *));
	resp->candidates[0].reasons[0] = strdup("Serial matches.");
	resp->candidates[0].n_reasons = 1;
	resp->candidates[0].weapon.serial = strdup("H12345");
	strcpy(resp->candidates[0].weapon.type, "assault_rifle");
	resp->candidates[0].history = calloc(1, sizeof(struct proto_event));
	resp->candidates[0].n_history = 1;
	resp->candidates[0].history[0].seq = 1;
	strcpy(resp->candidates[0].history[0].kind, "manufacture");
	strcpy(resp->candidates[0].history[0].date, "1987-01-01");
	resp->candidates[0].history[0].log_index = 0;
	resp->candidates[0].history[0].inclusion_proof =
	    calloc(1, sizeof(struct proto_inclusion_proof));
	resp->candidates[0].history[0].inclusion_proof->size = 1;
	proto_error_clear(&err);
	ck_assert_int_eq(proto_response_to_json(resp, &out, &err), 0);
	/* A required empty array is written; the log index 0 too. */
	ck_assert_ptr_nonnull(strstr(out, "\"hashes\":[]"));
	ck_assert_ptr_nonnull(strstr(out, "\"log_index\":0"));
	ck_assert_ptr_nonnull(strstr(out, "\"score\":0.5,"));
	ck_assert_ptr_nonnull(strstr(out,
	    "\"leaf_hash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\""));
	proto_free(out);
	resp->candidates[0].score = 1.0;
	proto_error_clear(&err);
	ck_assert_int_eq(proto_response_to_json(resp, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"score\":1.0,"));
	proto_free(out);
	resp->candidates[0].score = 0.0;
	proto_error_clear(&err);
	ck_assert_int_eq(proto_response_to_json(resp, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"score\":0.0,"));
	proto_free(out);
	resp->candidates[0].score = 0.1 + 0.2;	/* not four decimals */
	proto_error_clear(&err);
	ck_assert_int_eq(proto_response_to_json(resp, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "candidates[0].score");
	proto_response_free(resp);
}
END_TEST

/* ------------------------------------ acknowledgements and problems */

/* The parsed structs hold what the examples say. */
START_TEST(test_ack_problem_content)
{
	static const uint8_t sha[8] = {
		0x49, 0x5b, 0x65, 0x13, 0x57, 0xec, 0x36, 0x80
	};
	proto_ack *ack = NULL;
	proto_problem *prob = NULL;
	proto_error err = PROTO_ERROR_INIT;
	char *text;
	size_t len;

	text = example_text(ACK, &len);
	ck_assert_int_eq(proto_ack_parse(text, len, &ack, &err), 0);
	free(text);
	ck_assert_str_eq(ack->request_id, "0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f30");
	ck_assert_str_eq(ack->requesting_state, "NL");
	ck_assert_str_eq(ack->requested_state, "BE");
	ck_assert_str_eq(ack->priority, "urgent");
	ck_assert_str_eq(ack->received_at, "2024-03-14T09:26:54.102Z");
	ck_assert_str_eq(ack->due_by, "2024-03-16T09:26:54.102Z");
	/* SHA-256("illustrative"), decoded from base64. */
	ck_assert_mem_eq(ack->request_sha256.b, sha, sizeof(sha));
	ck_assert_uint_eq(ack->request_sha256.b[31], 0xea);
	ck_assert(ack->has_log_index);
	ck_assert_int_eq(ack->log_index, 5012);
	ck_assert_str_eq(ack->status, "acknowledged");
	ck_assert_str_eq(ack->responded_at, "");
	ck_assert_uint_eq(ack->n_status_reasons, 0);
	ck_assert_ptr_null(ack->status_reasons);
	proto_ack_free(ack);

	text = example_text(ANSW, &len);
	ck_assert_int_eq(proto_ack_parse(text, len, &ack, &err), 0);
	free(text);
	ck_assert_str_eq(ack->status, "answered");
	ck_assert_str_eq(ack->responded_at, "2024-05-23T08:12:45Z");
	/* The first leaf of the log is a log_index like any other. */
	ck_assert(ack->has_log_index);
	ck_assert_int_eq(ack->log_index, 0);
	ck_assert_uint_eq(ack->n_status_reasons, 1);
	proto_ack_free(ack);

	text = example_text(PROB, &len);
	ck_assert_int_eq(proto_problem_parse(text, len, &prob, &err), 0);
	free(text);
	ck_assert_str_eq(prob->type, "urn:registry:problem:invalid-document");
	ck_assert_str_eq(prob->title, "Invalid document");
	ck_assert_int_eq(prob->status, 422);
	ck_assert_str_eq(prob->instance, "/v1/traces");
	ck_assert_str_eq(prob->field, "weapon.serial");
	ck_assert_str_eq(prob->request_id,
	    "0190a3c2-7b1e-7c3d-9a4f-2b6e8d1c5f30");
	ck_assert_ptr_nonnull(strstr(prob->detail, "serial_condition"));
	proto_problem_free(prob);

	text = example_text(PROB2, &len);
	ck_assert_int_eq(proto_problem_parse(text, len, &prob, &err), 0);
	free(text);
	ck_assert_int_eq(prob->status, 429);
	ck_assert_ptr_null(prob->detail);
	ck_assert_ptr_null(prob->instance);
	ck_assert_ptr_null(prob->field);
	ck_assert_str_eq(prob->request_id, "");
	proto_problem_free(prob);
}
END_TEST

/*
 * The problem types of proto/README.md's table are exactly those the codec
 * takes: each is accepted, and the table lists sixteen.
 */
START_TEST(test_problem_types)
{
	const char *urn = PROTO_PROBLEM_URN, *p;
	char *readme = pt_read_src("proto/README.md", NULL), name[128];
	char seen[32][64];
	size_t n = 0, i, k;
	proto_error err;
	json_t *doc;
	int r;

	for (p = strstr(readme, urn); p != NULL; p = strstr(p + 1, urn)) {
		k = strspn(p + strlen(urn), "abcdefghijklmnopqrstuvwxyz-");
		if (k == 0)
			continue;	/* the prefix itself, in the text */
		ck_assert(k < sizeof(seen[0]));
		snprintf(name, sizeof(name), "%.*s", (int)k, p + strlen(urn));
		for (i = 0; i < n; i++)
			if (strcmp(seen[i], name) == 0)
				break;
		if (i < n)
			continue;
		ck_assert(n < 32);
		memcpy(seen[n], name, k + 1);
		n++;
		snprintf(where, sizeof(where), "problem type %s: ", name);
		doc = example_json(PROB2);
		snprintf(name, sizeof(name), "%s%s", urn, seen[n - 1]);
		set_at(doc, "type", json_string(name));
		r = judge(K_PROBLEM, doc, &err);
		REQUIRE_MSG(r == 0, "refused: %s", err.message);
		json_decref(doc);
	}
	free(readme);
	ck_assert_uint_eq(n, 19);
}
END_TEST

/* Byte-level faults of the new documents: the same document layer. */
START_TEST(test_ack_problem_raw)
{
	static const struct {
		enum kind kind;
		const char *text;
		int code;
		const char *field;
	} cases[] = {
		{ K_ACK, "{\"schema\":\"trace-ack/1\"}", PROTO_EMISSING, "request_id" },
		{ K_ACK, "{\"schema\":\"trace-ack/1\",\"status\":\"acknowledged\",\"status\":\"overdue\"}", PROTO_ESYNTAX, "" },
		{ K_ACK, "{\"schema\":\"trace-ack/1\",\"log_index\":1e400}", PROTO_ESYNTAX, "" },
		{ K_ACK, "[]", PROTO_ETYPE, "" },
		{ K_ACK, "{\"schema\":\"trace-ack/1\"", PROTO_ESYNTAX, "" },
		{ K_PROBLEM, "{\"schema\":\"problem/1\"}", PROTO_EMISSING, "type" },
		{ K_PROBLEM, "{\"type\":\"urn:registry:problem:internal\",\"title\":\"x\",\"status\":500}", PROTO_EMISSING, "schema" },
		{ K_PROBLEM, "{\"schema\":\"problem/1\",\"type\":\"urn:registry:problem:internal\",\"title\":\"Internal error\",\"status\":500}", 0, "" },
		{ K_PROBLEM, "{\"schema\":\"problem/1\",\"type\":\"urn:registry:problem:internal\",\"title\":\"Internal error\",\"status\":500} x", PROTO_ESYNTAX, "" },
		{ K_PROBLEM, "{\"schema\":\"problem/1\",\"type\":\"urn:registry:problem:internal\",\"title\":\"Internal error\",\"status\":5e2}", PROTO_ETYPE, "status" },
		{ K_PROBLEM, "{\"schema\":\"problem/1\",\"status\":500,\"status\":500}", PROTO_ESYNTAX, "" },
		{ K_PROBLEM, "{\"schema\":\"problem/1\",\"type\":\"urn:registry:problem:internal\",\"title\":\"\\ud800\",\"status\":500}", PROTO_ESYNTAX, "" },
	};
	proto_error err;
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(where, sizeof(where), "raw %zu: ", i);
		r = codec(cases[i].kind, cases[i].text, strlen(cases[i].text),
		    &err, NULL);
		REQUIRE_MSG(r == cases[i].code, "code %s, want %s (%s)",
		    code_name(r), code_name(cases[i].code), err.message);
		REQUIRE_MSG(strcmp(err.field, cases[i].field) == 0,
		    "field '%s', want '%s' (%s)", err.field, cases[i].field,
		    err.message);
	}
}
END_TEST

START_TEST(test_write_ack_problem)
{
	proto_ack *ack = proto_ack_new(), *back = NULL;
	proto_problem *prob = proto_problem_new();
	proto_error err = PROTO_ERROR_INIT;
	char *out = NULL;
	size_t i;

	ck_assert_ptr_nonnull(ack);
	ck_assert_ptr_nonnull(prob);
	strcpy(ack->request_id, "0190d000-0000-7000-8000-000000000001");
	strcpy(ack->requesting_state, "SN");
	strcpy(ack->requested_state, "CZ");
	strcpy(ack->priority, "routine");
	strcpy(ack->received_at, "2024-07-01T10:00:02Z");
	strcpy(ack->due_by, "2024-07-31T10:00:02Z");
	for (i = 0; i < 32; i++)
		ack->request_sha256.b[i] = (uint8_t)i;
	strcpy(ack->status, "acknowledged");
	/* No log index: none written. */
	ck_assert_int_eq(proto_ack_to_json(ack, &out, &err), 0);
	ck_assert_str_eq(out,
	    "{\"due_by\":\"2024-07-31T10:00:02Z\",\"priority\":\"routine\","
	    "\"received_at\":\"2024-07-01T10:00:02Z\","
	    "\"request_id\":\"0190d000-0000-7000-8000-000000000001\","
	    "\"request_sha256\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\","
	    "\"requested_state\":\"CZ\",\"requesting_state\":\"SN\","
	    "\"schema\":\"trace-ack/1\",\"status\":\"acknowledged\"}");
	proto_free(out);
	/* Leaf 0, flagged: written, and read back flagged. */
	ack->has_log_index = true;
	ck_assert_int_eq(proto_ack_to_json(ack, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"log_index\":0,"));
	ck_assert_int_eq(proto_ack_parse(out, strlen(out), &back, &err), 0);
	ck_assert(back->has_log_index);
	ck_assert_int_eq(back->log_index, 0);
	ck_assert_mem_eq(back->request_sha256.b, ack->request_sha256.b, 32);
	proto_ack_free(back);
	proto_free(out);
	/* A non-zero log index is written without the flag too. */
	ack->has_log_index = false;
	ack->log_index = 77;
	ck_assert_int_eq(proto_ack_to_json(ack, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"log_index\":77,"));
	proto_free(out);
	ack->log_index = -1;
	ck_assert_int_eq(proto_ack_to_json(ack, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "log_index");
	ck_assert_ptr_null(out);
	ack->log_index = 0;
	/* The status says whether there was an answer. */
	strcpy(ack->status, "answered");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_ack_to_json(ack, &out, &err), PROTO_EMISSING);
	ck_assert_str_eq(err.field, "responded_at");
	strcpy(ack->responded_at, "2024-07-01T10:00:01.999Z");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_ack_to_json(ack, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "responded_at");
	strcpy(ack->responded_at, "2024-07-02T08:00:00Z");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_ack_to_json(ack, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out,
	    "\"responded_at\":\"2024-07-02T08:00:00Z\""));
	proto_free(out);
	strcpy(ack->status, "in_progress");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_ack_to_json(ack, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "responded_at");
	ack->responded_at[0] = '\0';
	strcpy(ack->due_by, "2024-07-01T10:00:01.9Z");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_ack_to_json(ack, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "due_by");
	strcpy(ack->due_by, "2024-07-01T10:00:02.000Z");
	ack->status_reasons = calloc(1, sizeof(char *));
	ack->n_status_reasons = 1;
	proto_error_clear(&err);
	ck_assert_int_eq(proto_ack_to_json(ack, &out, &err), PROTO_ETYPE);
	ck_assert_str_eq(err.field, "status_reasons[0]");
	ack->status_reasons[0] = strdup("Searching the archives of 1998.");
	memset(ack->priority, 'x', sizeof(ack->priority));
	proto_error_clear(&err);
	ck_assert_int_eq(proto_ack_to_json(ack, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "priority");
	strcpy(ack->priority, "urgent");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_ack_to_json(ack, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"status_reasons\":"
	    "[\"Searching the archives of 1998.\"]}"));
	proto_free(out);
	proto_ack_free(ack);

	/* A problem: nothing set is a missing type. */
	proto_error_clear(&err);
	ck_assert_int_eq(proto_problem_to_json(prob, &out, &err),
	    PROTO_EMISSING);
	ck_assert_str_eq(err.field, "type");
	prob->type = strdup("urn:registry:problem:not-found");
	prob->title = strdup("Not found");
	/* A required status of 0 is written, and refused. */
	proto_error_clear(&err);
	ck_assert_int_eq(proto_problem_to_json(prob, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "status");
	prob->status = 404;
	prob->instance = strdup("/v1/traces/0190d000-0000-7000-8000-000000000001");
	strcpy(prob->request_id, "0190d000-0000-7000-8000-000000000001");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_problem_to_json(prob, &out, &err), 0);
	ck_assert_str_eq(out,
	    "{\"instance\":\"/v1/traces/0190d000-0000-7000-8000-000000000001\","
	    "\"request_id\":\"0190d000-0000-7000-8000-000000000001\","
	    "\"schema\":\"problem/1\",\"status\":404,\"title\":\"Not found\","
	    "\"type\":\"urn:registry:problem:not-found\"}");
	proto_free(out);
	free(prob->type);
	prob->type = strdup("urn:registry:problem:gone");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_problem_to_json(prob, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "type");
	free(prob->type);
	prob->type = strdup("urn:registry:problem:not-found");
	prob->field = strdup("");
	proto_error_clear(&err);
	ck_assert_int_eq(proto_problem_to_json(prob, &out, &err), PROTO_EVALUE);
	ck_assert_str_eq(err.field, "field");
	ck_assert_ptr_null(out);
	proto_problem_free(prob);
}
END_TEST

/* --------------------------------------------------------- error model */

START_TEST(test_error_model)
{
	static const int codes[] = { PROTO_OK, PROTO_ENOMEM, PROTO_EINVAL,
	    PROTO_ESYNTAX, PROTO_ESCHEMA, PROTO_EMISSING, PROTO_EUNKNOWN,
	    PROTO_ETYPE, PROTO_EVALUE, PROTO_ETOOBIG, PROTO_EVERIFY,
	    PROTO_EINTERNAL };
	proto_error err = PROTO_ERROR_INIT;
	proto_request *req = (proto_request *)1;
	proto_response *resp = (proto_response *)1;
	char *text, *out = (char *)1;
	size_t i, j, len;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ck_assert_str_ne(proto_strerror(codes[i]), "unknown error");
		for (j = 0; j < i; j++)
			ck_assert_str_ne(proto_strerror(codes[i]),
			    proto_strerror(codes[j]));
	}
	ck_assert_str_eq(proto_strerror(-999), "unknown error");

	/* Bad arguments to the acknowledgement and problem functions. */
	{
		proto_ack *ack = (proto_ack *)1;
		proto_problem *prob = (proto_problem *)1;

		ck_assert_int_eq(proto_ack_parse(NULL, 0, &ack, &err),
		    PROTO_EINVAL);
		ck_assert_ptr_null(ack);
		proto_error_clear(&err);
		ck_assert_int_eq(proto_ack_parse("{}", 2, NULL, &err),
		    PROTO_EINVAL);
		proto_error_clear(&err);
		ck_assert_int_eq(proto_ack_to_json(NULL, &out, &err),
		    PROTO_EINVAL);
		ck_assert_ptr_null(out);
		out = (char *)1;
		proto_error_clear(&err);
		ck_assert_int_eq(proto_problem_parse(NULL, 0, &prob, &err),
		    PROTO_EINVAL);
		ck_assert_ptr_null(prob);
		proto_error_clear(&err);
		ck_assert_int_eq(proto_problem_parse("{}", 2, NULL, &err),
		    PROTO_EINVAL);
		proto_error_clear(&err);
		ck_assert_int_eq(proto_problem_to_json(NULL, &out, &err),
		    PROTO_EINVAL);
		ck_assert_ptr_null(out);
		out = (char *)1;
		ck_assert_int_eq(proto_problem_parse("{", 1, &prob, NULL),
		    PROTO_ESYNTAX);
		proto_ack_free(NULL);
		proto_problem_free(NULL);
		proto_error_clear(&err);
	}

	/* Bad arguments. */
	ck_assert_int_eq(proto_request_parse(NULL, 0, &req, &err), PROTO_EINVAL);
	ck_assert_ptr_null(req);
	proto_error_clear(&err);
	ck_assert_int_eq(proto_request_parse("{}", 2, NULL, &err), PROTO_EINVAL);
	proto_error_clear(&err);
	ck_assert_int_eq(proto_request_to_json(NULL, &out, &err), PROTO_EINVAL);
	ck_assert_ptr_null(out);
	proto_error_clear(&err);
	ck_assert_int_eq(proto_response_parse(NULL, 0, &resp, &err),
	    PROTO_EINVAL);
	ck_assert_ptr_null(resp);
	/* A NULL error struct is allowed. */
	ck_assert_int_eq(proto_response_parse("{", 1, &resp, NULL),
	    PROTO_ESYNTAX);

	/* The first failure is kept, through later failures and successes. */
	proto_error_clear(&err);
	ck_assert_int_eq(proto_request_parse("{", 1, &req, &err), PROTO_ESYNTAX);
	ck_assert_str_eq(err.field, "");
	text = strdup("{\"schema\":\"trace-request/1\"}");
	ck_assert_int_eq(proto_request_parse(text, strlen(text), &req, &err),
	    PROTO_EMISSING);
	free(text);
	ck_assert_int_eq(err.code, PROTO_ESYNTAX);
	ck_assert_str_eq(err.field, "");
	ck_assert_ptr_nonnull(strstr(err.message, "truncated"));
	text = example_text(REQ1, &len);
	ck_assert_int_eq(proto_request_parse(text, len, &req, &err), 0);
	ck_assert_int_eq(err.code, PROTO_ESYNTAX);
	proto_request_free(req);
	free(text);
	proto_error_clear(&err);
	ck_assert_int_eq(err.code, 0);
	ck_assert_str_eq(err.field, "");
	ck_assert_str_eq(err.message, "");
	proto_error_clear(NULL);
	proto_request_free(NULL);
	proto_response_free(NULL);
	proto_free(NULL);

	/* Untrusted text in messages is printable ASCII. */
	text = strdup("{\"schema\":\"trace-request/1\",\"\\u001b[2J\\u00e9\\n\":1}");
	ck_assert_int_eq(proto_request_parse(text, strlen(text), &req, &err),
	    PROTO_EUNKNOWN);
	for (i = 0; err.message[i] != '\0'; i++)
		ck_assert(err.message[i] >= 0x20 && err.message[i] < 0x7f);
	ck_assert_str_eq(err.field, "?[2J??");
	free(text);
}
END_TEST

START_TEST(test_countries)
{
	size_t i;

	ck_assert_uint_eq(proto__ncountries, 249);
	for (i = 1; i < proto__ncountries; i++)
		ck_assert(strcmp(proto__countries[i - 1].code,
		    proto__countries[i].code) < 0);
	for (i = 0; i < proto__ncountries; i++)
		ck_assert(proto_country_valid(proto__countries[i].code));
	ck_assert(proto_country_valid("BE"));
	ck_assert(proto_country_valid("AD"));
	ck_assert(proto_country_valid("ZW"));
	ck_assert(proto_country_valid("GB"));
	ck_assert(!proto_country_valid("UK"));
	ck_assert(!proto_country_valid("XX"));
	ck_assert(!proto_country_valid("XK"));
	ck_assert(!proto_country_valid("EU"));
	ck_assert(!proto_country_valid("be"));
	ck_assert(!proto_country_valid("BEL"));
	ck_assert(!proto_country_valid("B"));
	ck_assert(!proto_country_valid(""));
	ck_assert(!proto_country_valid(NULL));
	ck_assert_str_eq(proto_country_name("AX"), "\xc3\x85land Islands");
	ck_assert_str_eq(proto_country_name("BE"), "Belgium");
	ck_assert_ptr_null(proto_country_name("XX"));
}
END_TEST

/*
 * The size of an inclusion proof, against a slow reference written from
 * the definition of PATH(m, D[n]) in RFC 6962 section 2.1.1.
 */
static size_t
ref_path_len(uint64_t m, uint64_t n)
{
	uint64_t k = 1;

	if (n <= 1)
		return 0;
	while (k * 2 < n)
		k *= 2;
	return 1 + (m < k ? ref_path_len(m, k) : ref_path_len(m - k, n - k));
}

START_TEST(test_proof_size)
{
	uint64_t m, n;

	for (n = 1; n <= 300; n++)
		for (m = 0; m < n; m++)
			ck_assert_uint_eq(proto__inclusion_path_len(m, n),
			    ref_path_len(m, n));
	ck_assert_uint_eq(proto__inclusion_path_len(0, 1), 0);
	ck_assert_uint_eq(proto__inclusion_path_len(2233, 5000), 13);
	ck_assert_uint_eq(proto__inclusion_path_len(0, (uint64_t)1 << 53), 53);
}
END_TEST

/* ------------------------------------------------------------ differential */

/* Every place in a document, as paths ("a.b[2].c"). */
static void
collect_paths(json_t *v, char *path, char ***out, size_t *n)
{
	const char *key;
	json_t *m;
	size_t i, len = strlen(path);

	*out = realloc(*out, (*n + 1) * sizeof(**out));
	ck_assert(*out != NULL);
	(*out)[(*n)++] = strdup(path);
	if (json_is_object(v)) {
		json_object_foreach(v, key, m) {
			snprintf(path + len, 1024 - len, "%s%s", len ? "." : "",
			    key);
			collect_paths(m, path, out, n);
			path[len] = '\0';
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			/* Long arrays of plain values: the first two do. */
			if (i >= 2 && !json_is_object(json_array_get(v, i)))
				break;
			snprintf(path + len, 1024 - len, "[%zu]", i);
			collect_paths(json_array_get(v, i), path, out, n);
			path[len] = '\0';
		}
	}
}

/* The mutations of one value: each a replacement (NULL: removal). */
static size_t
mutations(json_t *v, json_t **muts)
{
	size_t n = 0;
	char *s;
	size_t i;

	muts[n++] = NULL;
	muts[n++] = json_null();
	switch (json_typeof(v)) {
	case JSON_STRING:
		muts[n++] = json_integer(12345);
		muts[n++] = json_string("");
		s = malloc(json_string_length(v) + 2);
		ck_assert(s != NULL);
		sprintf(s, "%s\n", json_string_value(v));
		muts[n++] = json_string(s);
		for (i = 0; s[i] != '\0'; i++) {
			if (s[i] >= 'a' && s[i] <= 'z')
				s[i] = (char)(s[i] - 32);
			else if (s[i] >= 'A' && s[i] <= 'Z')
				s[i] = (char)(s[i] + 32);
		}
		s[i - 1] = '\0';
		if (strcmp(s, json_string_value(v)) != 0)
			muts[n++] = json_string(s);
		free(s);
		break;
	case JSON_INTEGER:
		muts[n++] = json_string("12345");
		muts[n++] = json_integer(0);
		muts[n++] = json_integer(-1);
		muts[n++] = json_integer(PROTO_INT_MAX + 1);
		muts[n++] = json_real(0.5);
		break;
	case JSON_REAL:
		muts[n++] = json_string("0.5");
		muts[n++] = json_real(1.25);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		muts[n++] = json_string("true");
		muts[n++] = json_false();
		break;
	case JSON_OBJECT:
		muts[n++] = json_array();
		muts[n++] = json_deep_copy(v);
		json_object_set_new(muts[n - 1], "zz", json_integer(1));
		muts[n++] = json_object();
		break;
	case JSON_ARRAY:
		muts[n++] = json_object();
		muts[n++] = json_array();
		if (json_array_size(v) > 0) {
			muts[n++] = json_deep_copy(v);
			json_array_append_new(muts[n - 1],
			    json_deep_copy(json_array_get(v, 0)));
			muts[n++] = json_deep_copy(v);
			json_array_insert_new(muts[n - 1], 0,
			    json_deep_copy(json_array_get(v, json_array_size(v) - 1)));
		}
		break;
	case JSON_NULL:
		break;
	}
	return n;
}

/* Judges every mutation of every example; they go to the record. */
static void
run_mutations(void)
{
	char **names = example_names(), **paths = NULL, path[1024] = "";
	json_t *orig, *doc, *muts[16];
	proto_error err;
	size_t i, p, np = 0, k, nm;

	for (i = 0; names[i] != NULL; i++) {
		enum kind kind = kind_of(names[i]);

		orig = example_json(names[i]);
		np = 0;
		paths = NULL;
		collect_paths(orig, path, &paths, &np);
		/* The first path is the document itself. */
		for (p = 1; p < np; p++) {
			nm = mutations(get_at(orig, paths[p]), muts);
			for (k = 0; k < nm; k++) {
				snprintf(where, sizeof(where), "%s %s mutation %zu: ",
				    names[i], paths[p], k);
				doc = json_deep_copy(orig);
				set_at(doc, paths[p], muts[k]);
				(void)judge(kind, doc, &err);
				json_decref(doc);
			}
			free(paths[p]);
		}
		free(paths[0]);
		free(paths);
		json_decref(orig);
	}
	free_names(names);
}

START_TEST(test_schemas)
{
	/* The examples against the schemas, the schemas against the country
	 * table, and a few documents the schemas must refuse.  A missing
	 * python3-jsonschema fails the test: it is a build requirement. */
	ck_assert_int_eq(pt_run_schemas(""), 0);
}
END_TEST

START_TEST(test_differential)
{
	char tmpl[4096], args[4200];
	const char *tmp = getenv("TMPDIR");
	int fd, st;

	snprintf(tmpl, sizeof(tmpl), "%s/check_proto.XXXXXX.jsonl",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	fd = mkstemps(tmpl, 6);
	ck_assert_msg(fd >= 0, "cannot create %s", tmpl);
	diff_file = fdopen(fd, "w");
	ck_assert(diff_file != NULL);
	diff_count = 0;
	run_bad_table();
	run_limits();
	run_mutations();
	ck_assert(fclose(diff_file) == 0);
	diff_file = NULL;
	ck_assert_uint_gt(diff_count, 1000);
	snprintf(args, sizeof(args), "--differential '%s'", tmpl);
	st = pt_run_schemas(args);
	if (st == 0)
		unlink(tmpl);
	ck_assert_msg(st == 0, "the schemas and the codec disagree "
	    "(the documents are in %s)", tmpl);
}
END_TEST

/* ------------------------------------------------------------- the suite */

static Suite *
proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("examples");
	tcase_add_test(tc, test_examples_round_trip);
	tcase_add_test(tc, test_examples_content);
	tcase_add_test(tc, test_ack_problem_content);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_bad_table);
	tcase_add_test(tc, test_string_limits);
	tcase_add_test(tc, test_array_limits);
	tcase_add_test(tc, test_document_size);
	tcase_add_test(tc, test_nesting);
	tcase_add_test(tc, test_raw_bytes);
	tcase_add_test(tc, test_ack_problem_raw);
	tcase_add_test(tc, test_problem_types);
	suite_add_tcase(s, tc);

	tc = tcase_create("mutations");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_truncations);
	tcase_add_test(tc, test_bit_flips);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_test(tc, test_write_built);
	tcase_add_test(tc, test_write_ack_problem);
	tcase_add_test(tc, test_error_model);
	tcase_add_test(tc, test_countries);
	tcase_add_test(tc, test_proof_size);
	suite_add_tcase(s, tc);

	tc = tcase_create("schemas");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_schemas);
	tcase_add_test(tc, test_differential);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(proto_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
