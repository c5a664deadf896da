/*
 * Whole documents: the limits on bytes and nesting, JSON well-formedness,
 * the "schema" member that names the document's type and version, and the
 * canonical form in which the codec writes.
 */
#include "config.h"

#include <string.h>

#include "proto_int.h"

/*
 * The canonical form: no whitespace, members sorted by name, scores with at
 * most four significant digits (which every valid score needs at most).
 */
#define CANONICAL_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(4))

/*
 * Looks at the bytes before the JSON parser does: NUL bytes are refused
 * (JSON text has none), and so is nesting deeper than PROTO_DEPTH_MAX, so
 * that no input makes the parser recurse far, and a document that ends
 * inside a string, object or array.
 */
static int
scan(const char *json, size_t len, proto_error *err)
{
	bool in_string = false, escape = false;
	size_t i, depth = 0;

	for (i = 0; i < len; i++) {
		char c = json[i];

		if (c == '\0')
			return proto__fail(err, PROTO_ESYNTAX, "",
			    "holds a NUL byte at offset %zu", i);
		if (in_string) {
			if (escape)
				escape = false;
			else if (c == '\\')
				escape = true;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > PROTO_DEPTH_MAX)
				return proto__fail(err, PROTO_ETOOBIG, "",
				    "nests objects and arrays deeper than %d "
				    "levels (at offset %zu)", PROTO_DEPTH_MAX, i);
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	/* A cut document is refused here, cheaply and plainly; the parser
	 * finds every other syntax error. */
	if (in_string || depth > 0)
		return proto__fail(err, PROTO_ESYNTAX, "",
		    "ends inside %s (truncated?)", in_string ? "a string" :
		    "an object or array");
	return 0;
}

static int doc_write(const struct proto__type *t, const void *src,
    size_t flags, size_t max, char **out, proto_error *err);

/* Checks the "schema" member against the type's. */
static int
check_schema(json_t *root, const char *want, proto_error *err)
{
	const char *s, *slash;
	json_t *v;
	char ex[80];

	v = json_object_get(root, "schema");
	if (v == NULL)
		return proto__fail(err, PROTO_EMISSING, "schema",
		    "required member missing");
	if (!json_is_string(v))
		return proto__fail(err, PROTO_ETYPE, "schema",
		    "must be a string");
	s = json_string_value(v);
	if (strcmp(s, want) == 0)
		return 0;
	proto__excerpt(s, json_string_length(v), 40, ex, sizeof(ex));
	slash = strchr(want, '/');
	if (strncmp(s, want, (size_t)(slash - want) + 1) == 0)
		return proto__fail(err, PROTO_ESCHEMA, "schema",
		    "'%s' is a version this codec does not know (it reads %s)",
		    ex, want);
	return proto__fail(err, PROTO_ESCHEMA, "schema",
	    "'%s' is not the document type expected here (%s)", ex, want);
}

int
proto__doc_parse(const char *json, size_t len, const struct proto__type *t,
    void **out, proto_error *err)
{
	return proto__doc_parse_max(json, len, PROTO_DOC_MAX, t, out, err);
}

int
proto__doc_parse_max(const char *json, size_t len, size_t max,
    const struct proto__type *t, void **out, proto_error *err)
{
	struct proto__walk w;
	json_error_t jerr;
	json_t *root = NULL;
	void *doc = NULL;
	char text[sizeof(jerr.text)];
	int r;

	if (out == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no place for the result");
	*out = NULL;
	if (json == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no document given");
	if (len > max)
		return proto__fail(err, PROTO_ETOOBIG, "",
		    "is %zu bytes long, over the limit of %zu", len, max);
	if ((r = scan(json, len, err)) != 0)
		return r;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		proto__excerpt(jerr.text, strlen(jerr.text), sizeof(text) - 4,
		    text, sizeof(text));
		return proto__fail(err, PROTO_ESYNTAX, "",
		    "is not well-formed JSON: %s (line %d, column %d)", text,
		    jerr.line, jerr.column);
	}
	if (!json_is_object(root)) {
		r = proto__fail(err, PROTO_ETYPE, "", "must be a JSON object");
		goto out;
	}
	if ((r = check_schema(root, t->schema, err)) != 0)
		goto out;
	doc = calloc(1, t->size);
	if (doc == NULL) {
		r = proto__fail(err, PROTO_ENOMEM, "", "out of memory");
		goto out;
	}
	proto__walk_init(&w, err);
	if ((r = proto__parse_object(&w, root, t, doc)) != 0)
		goto out;
	*out = doc;
	doc = NULL;	/* transferred */
	r = 0;
out:
	proto__doc_free(t, doc);
	json_decref(root);
	return r;
}

int
proto__doc_write(const struct proto__type *t, const void *src, char **out,
    proto_error *err)
{
	return doc_write(t, src, CANONICAL_FLAGS, PROTO_DOC_MAX, out, err);
}

int
proto__doc_write_ordered(const struct proto__type *t, const void *src,
    size_t max, char **out, proto_error *err)
{
	return doc_write(t, src, JSON_COMPACT, max, out, err);
}

/* Writes src with the dump flags given, and parses it back within max. */
static int
doc_write(const struct proto__type *t, const void *src, size_t flags,
    size_t max, char **out, proto_error *err)
{
	struct proto__walk w;
	json_t *root = NULL;
	char *buf = NULL;
	void *check = NULL;
	size_t n;
	int r;

	if (out == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no place for the result");
	*out = NULL;
	if (src == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no document given");
	proto__walk_init(&w, err);
	if ((r = proto__build_object(&w, t, src, &root)) != 0)
		goto out;
	n = json_dumpb(root, NULL, 0, flags);
	if (n == 0) {
		r = proto__fail(err, PROTO_EINTERNAL, "", "cannot serialise");
		goto out;
	}
	buf = malloc(n + 1);
	if (buf == NULL) {
		r = proto__fail(err, PROTO_ENOMEM, "", "out of memory");
		goto out;
	}
	if (json_dumpb(root, buf, n, flags) != n) {
		r = proto__fail(err, PROTO_EINTERNAL, "", "cannot serialise");
		goto out;
	}
	buf[n] = '\0';
	/* What is written is what a reader accepts: every field, limit and
	 * rule is checked by parsing it back. */
	if ((r = proto__doc_parse_max(buf, n, max, t, &check, err)) != 0)
		goto out;
	*out = buf;
	buf = NULL;	/* transferred */
	r = 0;
out:
	proto__doc_free(t, check);
	free(buf);
	json_decref(root);
	return r;
}

void
proto__doc_free(const struct proto__type *t, void *p)
{
	if (p == NULL)
		return;
	proto__free_object(t, p);
	free(p);
}
