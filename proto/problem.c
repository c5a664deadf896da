/*
 * Problem documents ("problem/1"): the daemon's refusals, after RFC 9457
 * (Problem Details for HTTP APIs) with this project's "schema" member and
 * its own problem types; proto/README.md, "Problem details".
 */
#include "config.h"

#include <string.h>

#include "proto_int.h"

/* The problem types of this version, after PROTO_PROBLEM_URN, with the
 * status code and title that bind their sender, in the order of the
 * README's table. */
static const struct {
	const char *name;
	int status;
	const char *title;
} problem_types[] = {
	{ "bad-request", 400, "Bad request" },
	{ "unsupported-media-type", 415, "Unsupported media type" },
	{ "payload-too-large", 413, "Payload too large" },
	{ "bad-signature", 403, "Bad signature" },
	{ "unknown-key", 403, "Unknown key" },
	{ "kid-state-mismatch", 403, "Key of another State" },
	{ "schema-version", 422, "Unknown document type or version" },
	{ "invalid-document", 422, "Invalid document" },
	{ "wrong-state", 422, "Wrong State" },
	{ "conflict", 409, "Conflict" },
	{ "not-found", 404, "Not found" },
	{ "forbidden", 403, "Forbidden" },
	{ "rate-limited", 429, "Too many requests" },
	{ "timeout", 408, "Request timeout" },
	{ "unavailable", 503, "Service unavailable" },
	{ "internal", 500, "Internal error" },
	{ "unknown-witness", 403, "Unknown witness" },
	{ "bad-cosignature", 422, "Bad cosignature" },
	{ "not-implemented", 501, "Not implemented" },
};

#define NTYPES (sizeof(problem_types) / sizeof(problem_types[0]))

int
proto_problem_type(const char *name, int *status, const char **title)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (strcmp(name, problem_types[i].name) == 0) {
			*status = problem_types[i].status;
			*title = problem_types[i].title;
			return 0;
		}
	return -1;
}

/* A problem type of this version. */
static const char *
check_problem_type(const char *s)
{
	size_t i, n = strlen(PROTO_PROBLEM_URN);

	if (strncmp(s, PROTO_PROBLEM_URN, n) == 0)
		for (i = 0; i < NTYPES; i++)
			if (strcmp(s + n, problem_types[i].name) == 0)
				return NULL;
	return "is not a problem type of this version (urn:registry:problem: "
	    "and a name of proto/README.md's table)";
}

/* The characters RFC 3986 allows in a URI reference, percent-encoding
 * included; no space, no control, nothing beyond ASCII. */
static const char *
check_uri_reference(const char *s)
{
	static const char extra[] = "-._~:/?#[]@!$&'()*+,;=%";
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(extra, *p) != NULL)
			continue;
		return "is not a URI reference (letters, digits and "
		    "-._~:/?#[]@!$&'()*+,;=% only)";
	}
	return NULL;
}

static const struct proto__field problem_fields[] = {
	/* An enumeration longer than proto_enum holds: no limit of its own,
	 * since every value but the listed ones is refused. */
	{ PROTO__F(proto_problem, type, PROTO__K_LINE, PROTO__REQUIRED),
	  .max = SIZE_MAX, .format = check_problem_type },
	{ PROTO__F(proto_problem, title, PROTO__K_LINE, PROTO__REQUIRED),
	  .max = 200 },
	{ PROTO__F(proto_problem, status, PROTO__K_INT, PROTO__REQUIRED),
	  .min = 400, .imax = 599 },
	{ PROTO__F(proto_problem, detail, PROTO__K_TEXT, 0), .max = 2000 },
	{ PROTO__F(proto_problem, instance, PROTO__K_LINE, 0), .max = 1000,
	  .format = check_uri_reference },
	{ PROTO__F(proto_problem, field, PROTO__K_LINE, 0),
	  .max = PROTO_FIELD_MAX - 1 },
	{ PROTO__F(proto_problem, request_id, PROTO__K_UUID, 0) },
};

const struct proto__type proto__problem_type = {
	sizeof(proto_problem), problem_fields, PROTO__NFIELDS(problem_fields),
	NULL, PROTO_SCHEMA_PROBLEM
};

/* ------------------------------------------------------------- public */

int
proto_problem_parse(const char *json, size_t len, proto_problem **out,
    proto_error *err)
{
	void *p = NULL;
	int r;

	if (out == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no place for the result");
	r = proto__doc_parse(json, len, &proto__problem_type, &p, err);
	*out = p;
	return r;
}

int
proto_problem_to_json(const proto_problem *prob, char **out,
    proto_error *err)
{
	return proto__doc_write(&proto__problem_type, prob, out, err);
}

proto_problem *
proto_problem_new(void)
{
	return calloc(1, sizeof(proto_problem));
}

void
proto_problem_free(proto_problem *prob)
{
	proto__doc_free(&proto__problem_type, prob);
}
