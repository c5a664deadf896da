/*
 * The generic walk over a document and its C struct, driven by the
 * descriptions of each object (struct proto__type): parsing with every
 * field checked, building the JSON of a struct, and freeing.
 */
#include "config.h"

#include <string.h>

#include "common/utf8.h"
#include "proto_int.h"

/* ------------------------------------------------------------------ paths */

void
proto__walk_init(struct proto__walk *w, proto_error *err)
{
	w->err = err;
	w->path[0] = '\0';
	w->len = 0;
}

/* Appends sep and text to the path, cutting it at the buffer's end.  This
 * runs for every member of every document, so it avoids printf. */
static size_t
path_append(struct proto__walk *w, const char *sep, const char *text)
{
	size_t old = w->len, room, n;
	const char *parts[2] = { sep, text };
	int i;

	for (i = 0; i < 2; i++) {
		room = sizeof(w->path) - 1 - w->len;
		n = strlen(parts[i]);
		if (n > room)
			n = room;
		memcpy(w->path + w->len, parts[i], n);
		w->len += n;
	}
	w->path[w->len] = '\0';
	return old;
}

size_t
proto__path_key(struct proto__walk *w, const char *key)
{
	return path_append(w, w->len > 0 ? "." : "", key);
}

size_t
proto__path_index(struct proto__walk *w, size_t i)
{
	char buf[32], *p = buf + sizeof(buf);

	*--p = '\0';
	*--p = ']';
	do {
		*--p = (char)('0' + i % 10);
		i /= 10;
	} while (i != 0);
	*--p = '[';
	return path_append(w, "", p);
}

void
proto__path_pop(struct proto__walk *w, size_t len)
{
	w->len = len;
	w->path[len] = '\0';
}

int
proto__walk_fail(struct proto__walk *w, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = proto__vfail(w->err, code, w->path, fmt, ap);
	va_end(ap);
	return code;
}

int
proto__walk_fail_at(struct proto__walk *w, const char *rel, int code,
    const char *fmt, ...)
{
	va_list ap;
	size_t old;

	old = path_append(w, w->len > 0 && rel[0] != '[' ? "." : "", rel);
	va_start(ap, fmt);
	code = proto__vfail(w->err, code, w->path, fmt, ap);
	va_end(ap);
	proto__path_pop(w, old);
	return code;
}

/* ------------------------------------------------------------- parsing */

/* The JSON type of v, for messages. */
static const char *
json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:	return "an object";
	case JSON_ARRAY:	return "an array";
	case JSON_STRING:	return "a string";
	case JSON_INTEGER:	return "an integer";
	case JSON_REAL:		return "a number with a fraction or exponent";
	case JSON_TRUE:		return "true";
	case JSON_FALSE:	return "false";
	case JSON_NULL:		return "null";
	}
	return "a value of unknown type";
}

static int
wrong_type(struct proto__walk *w, const char *want, const json_t *v)
{
	return proto__walk_fail(w, PROTO_ETYPE, "must be %s, not %s", want,
	    json_kind(v));
}

/* The size of one element of an array of kind k. */
static size_t
elem_size(const struct proto__field *f, enum proto__kind k)
{
	switch (k) {
	case PROTO__K_LINE:
	case PROTO__K_TEXT:		return sizeof(char *);
	case PROTO__K_UUID:		return sizeof(proto_uuid);
	case PROTO__K_COUNTRY:		return sizeof(proto_country);
	case PROTO__K_DATE:		return sizeof(proto_date);
	case PROTO__K_TIMESTAMP:	return sizeof(proto_timestamp);
	case PROTO__K_ENUM:		return sizeof(proto_enum);
	case PROTO__K_INT:		return sizeof(int);
	case PROTO__K_I64:		return sizeof(int64_t);
	case PROTO__K_BOOL:		return sizeof(bool);
	case PROTO__K_SCORE:		return sizeof(double);
	case PROTO__K_HASH:		return sizeof(struct proto_hash);
	case PROTO__K_OBJECT:		return f->type->size;
	case PROTO__K_OBJECT_PTR:	return sizeof(void *);
	case PROTO__K_ARRAY:		break;
	}
	PROTO_ASSERT(!"arrays of arrays are not described");
	return 0;
}

/* Text: type, length in characters, characters allowed, format. */
static int
parse_text(struct proto__walk *w, const struct proto__field *f, json_t *v,
    bool multiline, char **dst)
{
	const char *s, *why;
	size_t len, chars;
	char ex[80];

	if (!json_is_string(v))
		return wrong_type(w, "a string", v);
	s = json_string_value(v);
	len = json_string_length(v);
	chars = cm_utf8_chars(s, len);
	if (chars > f->max)
		return proto__walk_fail(w, PROTO_ETOOBIG,
		    "is %zu characters long, over the limit of %zu", chars,
		    f->max);
	if (chars == 0)
		return proto__walk_fail(w, PROTO_EVALUE,
		    "must not be empty (omit an optional member instead)");
	why = (f->flags & PROTO__ANY_CHARS) ? NULL :
	    proto__check_chars(s, len, multiline);
	if (why == NULL && f->format != NULL)
		why = f->format(s);
	if (why != NULL) {
		proto__excerpt(s, len, 40, ex, sizeof(ex));
		return proto__walk_fail(w, PROTO_EVALUE, "'%s' %s", ex, why);
	}
	*dst = strdup(s);
	if (*dst == NULL)
		return proto__walk_fail(w, PROTO_ENOMEM, "out of memory");
	return 0;
}

/* An enumeration's value, or a message listing the values allowed. */
static int
parse_enum(struct proto__walk *w, const struct proto__field *f,
    const char *s, size_t len, char *dst)
{
	char list[320], ex[80];
	size_t i, o = 0;

	for (i = 0; f->values[i] != NULL; i++) {
		if (strcmp(s, f->values[i]) == 0) {
			PROTO_ASSERT(strlen(s) <= PROTO_ENUM_MAX);
			memcpy(dst, s, strlen(s) + 1);
			return 0;
		}
	}
	list[0] = '\0';
	for (i = 0; f->values[i] != NULL && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
		    i > 0 ? ", " : "", f->values[i]);
	proto__excerpt(s, len, 40, ex, sizeof(ex));
	return proto__walk_fail(w, PROTO_EVALUE, "'%s' is not one of: %s", ex,
	    list);
}

/* Fixed-format text into a buffer of its own size. */
static int
parse_fixed(struct proto__walk *w, const struct proto__field *f,
    enum proto__kind k, json_t *v, char *dst, size_t dstsz)
{
	const char *s, *why = NULL;
	size_t len;
	char ex[80];

	if (!json_is_string(v))
		return wrong_type(w, "a string", v);
	s = json_string_value(v);
	len = json_string_length(v);
	switch (k) {
	case PROTO__K_UUID:		why = proto__check_uuid(s); break;
	case PROTO__K_COUNTRY:		why = proto__check_country(s); break;
	case PROTO__K_DATE:		why = proto__check_date(s); break;
	case PROTO__K_TIMESTAMP:	why = proto__check_timestamp(s); break;
	case PROTO__K_ENUM:		return parse_enum(w, f, s, len, dst);
	default:			PROTO_ASSERT(!"not a fixed kind");
	}
	if (why != NULL) {
		proto__excerpt(s, len, 40, ex, sizeof(ex));
		return proto__walk_fail(w, PROTO_EVALUE, "'%s' %s", ex, why);
	}
	PROTO_ASSERT(len < dstsz);
	memcpy(dst, s, len + 1);
	return 0;
}

static int
parse_integer(struct proto__walk *w, const struct proto__field *f, json_t *v,
    long long *out)
{
	long long x;

	if (!json_is_integer(v))
		return wrong_type(w, "an integer", v);
	x = (long long)json_integer_value(v);
	if (x < f->min || x > f->imax)
		return proto__walk_fail(w, PROTO_EVALUE,
		    "%lld is not between %lld and %lld", x, f->min, f->imax);
	*out = x;
	return 0;
}

static int parse_array(struct proto__walk *w, const struct proto__field *f,
    json_t *v, void *base);

/* One value of kind k (a member, or an array's element) into dst. */
static int
parse_value(struct proto__walk *w, const struct proto__field *f,
    enum proto__kind k, json_t *v, void *dst)
{
	const char *why;
	long long x;
	void **pp;
	int r;

	switch (k) {
	case PROTO__K_LINE:
		return parse_text(w, f, v, false, dst);
	case PROTO__K_TEXT:
		return parse_text(w, f, v, true, dst);
	case PROTO__K_UUID:
	case PROTO__K_COUNTRY:
	case PROTO__K_DATE:
	case PROTO__K_TIMESTAMP:
	case PROTO__K_ENUM:
		return parse_fixed(w, f, k, v, dst, elem_size(f, k));
	case PROTO__K_INT:
		if ((r = parse_integer(w, f, v, &x)) != 0)
			return r;
		*(int *)dst = (int)x;
		return 0;
	case PROTO__K_I64:
		if ((r = parse_integer(w, f, v, &x)) != 0)
			return r;
		*(int64_t *)dst = (int64_t)x;
		return 0;
	case PROTO__K_BOOL:
		if (!json_is_boolean(v))
			return wrong_type(w, "true or false", v);
		*(bool *)dst = json_is_true(v);
		return 0;
	case PROTO__K_SCORE:
		if (!json_is_number(v))
			return wrong_type(w, "a number", v);
		why = proto__check_score(json_number_value(v));
		if (why != NULL)
			return proto__walk_fail(w, PROTO_EVALUE, "%.17g %s",
			    json_number_value(v), why);
		*(double *)dst = json_number_value(v);
		return 0;
	case PROTO__K_HASH:
		if (!json_is_string(v))
			return wrong_type(w, "a string", v);
		if (proto__hash_decode(json_string_value(v),
		    json_string_length(v), dst) != 0)
			return proto__walk_fail(w, PROTO_EVALUE,
			    "is not the base64 of a SHA-256 value "
			    "(44 characters, padded, canonical)");
		return 0;
	case PROTO__K_OBJECT:
		if (!json_is_object(v))
			return wrong_type(w, "an object", v);
		return proto__parse_object(w, v, f->type, dst);
	case PROTO__K_OBJECT_PTR:
		if (!json_is_object(v))
			return wrong_type(w, "an object", v);
		pp = dst;
		*pp = calloc(1, f->type->size);
		if (*pp == NULL)
			return proto__walk_fail(w, PROTO_ENOMEM, "out of memory");
		return proto__parse_object(w, v, f->type, *pp);
	case PROTO__K_ARRAY:
		return parse_array(w, f, v, dst);
	}
	return proto__walk_fail(w, PROTO_EINTERNAL, "undescribed kind");
}

/* An array member: its pointer is at base, its count at the field's
 * count_off in the same struct. */
static int
parse_array(struct proto__walk *w, const struct proto__field *f, json_t *v,
    void *base)
{
	size_t n, i, esz, old;
	char *elems;
	size_t *count;
	int r;

	if (!json_is_array(v))
		return wrong_type(w, "an array", v);
	n = json_array_size(v);
	if (n == 0 && !(f->flags & PROTO__EMPTY_OK))
		return proto__walk_fail(w, PROTO_EVALUE,
		    "must not be empty (omit an optional member instead)");
	if (n > f->max_items)
		return proto__walk_fail(w, PROTO_ETOOBIG,
		    "has %zu elements, over the limit of %zu", n, f->max_items);
	if (n == 0)
		return 0;
	esz = elem_size(f, f->elem);
	elems = calloc(n, esz);
	if (elems == NULL)
		return proto__walk_fail(w, PROTO_ENOMEM, "out of memory");
	/* Owned by the struct from here, so that a failure frees it. */
	*(void **)base = elems;
	count = (size_t *)((char *)base - f->off + f->count_off);
	*count = n;
	for (i = 0; i < n; i++) {
		old = proto__path_index(w, i);
		r = parse_value(w, f, f->elem, json_array_get(v, i),
		    elems + i * esz);
		proto__path_pop(w, old);
		if (r != 0)
			return r;
	}
	return 0;
}

static const struct proto__field *
field_find(const struct proto__type *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}

int
proto__parse_object(struct proto__walk *w, json_t *obj,
    const struct proto__type *t, void *dst)
{
	const struct proto__field *f;
	const char *key;
	json_t *v;
	size_t i, old;
	char name[80];
	int r;

	/* First any member the schema does not define, in document order. */
	json_object_foreach(obj, key, v) {
		if (t->schema != NULL && strcmp(key, "schema") == 0)
			continue;
		if (field_find(t, key) == NULL) {
			proto__excerpt(key, strlen(key), 64, name, sizeof(name));
			old = proto__path_key(w, name);
			r = proto__walk_fail(w, PROTO_EUNKNOWN,
			    "unknown member (not defined by %s)",
			    t->schema != NULL ? t->schema : "the schema");
			proto__path_pop(w, old);
			return r;
		}
	}
	/* Then every field, in the order of the description. */
	for (i = 0; i < t->nfields; i++) {
		f = &t->fields[i];
		v = json_object_get(obj, f->name);
		if (v == NULL) {
			if (f->flags & PROTO__REQUIRED)
				return proto__walk_fail_at(w, f->name,
				    PROTO_EMISSING, "required member missing");
			continue;
		}
		old = proto__path_key(w, f->name);
		r = parse_value(w, f, f->kind, v, (char *)dst + f->off);
		proto__path_pop(w, old);
		if (r != 0)
			return r;
		if (f->flags & PROTO__HAS)
			*(bool *)((char *)dst + f->has_off) = true;
	}
	return t->check != NULL ? t->check(w, dst) : 0;
}

/* ------------------------------------------------------------ building */

static int
oom(struct proto__walk *w)
{
	return proto__walk_fail(w, PROTO_ENOMEM, "out of memory");
}

/* A JSON string of s; text that is not UTF-8 cannot be written. */
static int
build_string(struct proto__walk *w, const char *s, json_t **out)
{
	if (!cm_utf8_valid(s, strlen(s)))
		return proto__walk_fail(w, PROTO_EVALUE, "is not valid UTF-8");
	*out = json_string(s);
	return *out != NULL ? 0 : oom(w);
}

/* Whether a member holds a value to write.  Absent members are not
 * written; a required one is then reported missing by the validation of
 * what was written. */
static bool
present(const struct proto__field *f, const void *src)
{
	switch (f->kind) {
	case PROTO__K_LINE:
	case PROTO__K_TEXT:
	case PROTO__K_OBJECT_PTR:
		return *(void *const *)src != NULL;
	case PROTO__K_UUID:
	case PROTO__K_COUNTRY:
	case PROTO__K_DATE:
	case PROTO__K_TIMESTAMP:
	case PROTO__K_ENUM:
		return *(const char *)src != '\0';
	case PROTO__K_INT:
		return (f->flags & PROTO__REQUIRED) || *(const int *)src != 0;
	case PROTO__K_I64:
		/* An optional integer that may be 0 says so in its flag. */
		if ((f->flags & PROTO__HAS) && *(const bool *)((const char *)src -
		    f->off + f->has_off))
			return true;
		return (f->flags & PROTO__REQUIRED) || *(const int64_t *)src != 0;
	case PROTO__K_BOOL:
		/* Written only when true, unless the member is required. */
		return (f->flags & PROTO__REQUIRED) || *(const bool *)src;
	case PROTO__K_SCORE:
	case PROTO__K_HASH:
	case PROTO__K_OBJECT:
		return true;
	case PROTO__K_ARRAY:
		return *(const size_t *)((const char *)src - f->off +
		    f->count_off) > 0 ||
		    ((f->flags & PROTO__REQUIRED) && (f->flags & PROTO__EMPTY_OK));
	}
	return false;
}

static int build_array(struct proto__walk *w, const struct proto__field *f,
    const void *base, json_t **out);

static int
build_value(struct proto__walk *w, const struct proto__field *f,
    enum proto__kind k, const void *src, json_t **out)
{
	char b64[PROTO__HASH_B64_LEN + 1];
	const char *s;
	double d;

	*out = NULL;
	switch (k) {
	case PROTO__K_LINE:
	case PROTO__K_TEXT:
		s = *(char *const *)src;
		if (s == NULL) {
			/* Only in an array; the validation names it. */
			*out = json_null();
			return 0;
		}
		return build_string(w, s, out);
	case PROTO__K_UUID:
	case PROTO__K_COUNTRY:
	case PROTO__K_DATE:
	case PROTO__K_TIMESTAMP:
	case PROTO__K_ENUM:
		/* The buffer may lack its NUL in a struct filled by hand. */
		if (memchr(src, '\0', elem_size(f, k)) == NULL)
			return proto__walk_fail(w, PROTO_EVALUE,
			    "is not NUL-terminated within its %zu bytes",
			    elem_size(f, k));
		return build_string(w, src, out);
	case PROTO__K_INT:
		*out = json_integer(*(const int *)src);
		break;
	case PROTO__K_I64:
		*out = json_integer(*(const int64_t *)src);
		break;
	case PROTO__K_BOOL:
		*out = json_boolean(*(const bool *)src);
		break;
	case PROTO__K_SCORE:
		d = *(const double *)src;
		if (proto__check_score(d) != NULL)
			return proto__walk_fail(w, PROTO_EVALUE, "%.17g %s", d,
			    proto__check_score(d));
		*out = json_real(d);
		break;
	case PROTO__K_HASH:
		proto__hash_encode(src, b64);
		*out = json_string(b64);
		break;
	case PROTO__K_OBJECT:
		return proto__build_object(w, f->type, src, out);
	case PROTO__K_OBJECT_PTR:
		return proto__build_object(w, f->type, *(void *const *)src, out);
	case PROTO__K_ARRAY:
		return build_array(w, f, src, out);
	}
	return *out != NULL ? 0 : oom(w);
}

static int
build_array(struct proto__walk *w, const struct proto__field *f,
    const void *base, json_t **out)
{
	const char *elems = *(const void *const *)base;
	size_t n = *(const size_t *)((const char *)base - f->off + f->count_off);
	size_t i, esz = elem_size(f, f->elem), old;
	json_t *a, *v = NULL;
	int r = 0;

	*out = NULL;
	if (n > 0 && elems == NULL)
		return proto__walk_fail(w, PROTO_EVALUE,
		    "has a count of %zu but no elements", n);
	/* Writing more than the limit allows would only be refused. */
	if (n > f->max_items)
		return proto__walk_fail(w, PROTO_ETOOBIG,
		    "has %zu elements, over the limit of %zu", n, f->max_items);
	a = json_array();
	if (a == NULL)
		return oom(w);
	for (i = 0; i < n; i++) {
		old = proto__path_index(w, i);
		r = build_value(w, f, f->elem, elems + i * esz, &v);
		if (r == 0 && json_array_append_new(a, v) != 0)
			r = oom(w);
		proto__path_pop(w, old);
		if (r != 0)
			goto out;
	}
	*out = a;
	a = NULL;
out:
	json_decref(a);
	return r;
}

int
proto__build_object(struct proto__walk *w, const struct proto__type *t,
    const void *src, json_t **out)
{
	const struct proto__field *f;
	json_t *obj, *v = NULL;
	size_t i, old;
	int r = 0;

	*out = NULL;
	obj = json_object();
	if (obj == NULL)
		return oom(w);
	if (t->schema != NULL &&
	    json_object_set_new(obj, "schema", json_string(t->schema)) != 0) {
		r = oom(w);
		goto out;
	}
	for (i = 0; i < t->nfields; i++) {
		f = &t->fields[i];
		if (!present(f, (const char *)src + f->off))
			continue;
		old = proto__path_key(w, f->name);
		r = build_value(w, f, f->kind, (const char *)src + f->off, &v);
		if (r == 0 && json_object_set_new(obj, f->name, v) != 0)
			r = oom(w);
		proto__path_pop(w, old);
		if (r != 0)
			goto out;
	}
	*out = obj;
	obj = NULL;
out:
	json_decref(obj);
	return r;
}

/* -------------------------------------------------------------- freeing */

static void
free_value(const struct proto__field *f, enum proto__kind k, void *p)
{
	size_t *count, i, esz;
	char *elems;
	void **pp;

	switch (k) {
	case PROTO__K_LINE:
	case PROTO__K_TEXT:
		free(*(char **)p);
		*(char **)p = NULL;
		break;
	case PROTO__K_OBJECT:
		proto__free_object(f->type, p);
		break;
	case PROTO__K_OBJECT_PTR:
		pp = p;
		if (*pp != NULL) {
			proto__free_object(f->type, *pp);
			free(*pp);
			*pp = NULL;
		}
		break;
	case PROTO__K_ARRAY:
		elems = *(void **)p;
		count = (size_t *)((char *)p - f->off + f->count_off);
		if (elems != NULL) {
			esz = elem_size(f, f->elem);
			for (i = 0; i < *count; i++)
				free_value(f, f->elem, elems + i * esz);
			free(elems);
		}
		*(void **)p = NULL;
		*count = 0;
		break;
	default:
		break;
	}
}

void
proto__free_object(const struct proto__type *t, void *p)
{
	size_t i;

	for (i = 0; i < t->nfields; i++)
		free_value(&t->fields[i], t->fields[i].kind,
		    (char *)p + t->fields[i].off);
}
