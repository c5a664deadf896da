/*
 * The witness's status (proto/README.md 13.3.4, GET /v1/witness): what a
 * State's daemon, as a witness, found of each peer State's log.  tracerd
 * writes it and `tracectl witness` reads it, both through this codec.
 *
 * Unlike the trace documents it writes null for what is unknown, so it is
 * not driven by the descriptions of walk.c: it is built and read here
 * member by member, in the order in which the daemon has always written
 * it (compact, not sorted).
 */
#include "config.h"

#include <string.h>

#include "common/utf8.h"
#include "proto_int.h"

static const char *const statuses[] = {
	"never", "cosigned", "unchanged", "fork", "down", "error", NULL
};

static const char *const status_members[] = {
	"state", "witness", "interval", "peers", NULL
};
static const char *const peer_members[] = {
	"state", "status", "forked", "cosigned", "last_try", "last_seen",
	"seen_size", "detail", "alarms", "alarms_open", "last_alarm", NULL
};
static const char *const cosigned_members[] = {
	"origin", "size", "root", "at", NULL
};
static const char *const alarm_members[] = { "at", "reason", NULL };

/* ------------------------------------------------------------ writing */

static json_t *
str_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? json_string(s) : json_null();
}

/* Sets member k of o to v (which it takes); nonzero when out of memory or
 * when v could not be made (text that is not UTF-8). */
static int
set(json_t *o, const char *k, json_t *v)
{
	return json_object_set_new(o, k, v) != 0;
}

static json_t *
cosigned_json(const struct proto_witness_cosigned *c)
{
	char b64[PROTO__HASH_B64_LEN + 1];
	json_t *o = json_object();
	int bad;

	if (c == NULL || o == NULL) {
		json_decref(o);
		return c == NULL ? json_null() : NULL;
	}
	proto__hash_encode(&c->root, b64);
	bad = set(o, "origin", json_string(c->origin != NULL ? c->origin : ""));
	bad |= set(o, "size", json_integer((json_int_t)c->size));
	bad |= set(o, "root", json_string(b64));
	bad |= set(o, "at", str_or_null(c->at));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
alarm_json(const struct proto_witness_alarm *a)
{
	json_t *o = json_object();

	if (a == NULL || o == NULL) {
		json_decref(o);
		return a == NULL ? json_null() : NULL;
	}
	if (set(o, "at", str_or_null(a->at)) | set(o, "reason",
	    json_string(a->reason != NULL ? a->reason : ""))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
peer_json(const struct proto_witness_peer *p)
{
	json_t *o = json_object();
	int bad;

	if (o == NULL)
		return NULL;
	bad = set(o, "state", json_string(p->state));
	bad |= set(o, "status", json_string(p->status));
	bad |= set(o, "forked", json_boolean(p->forked));
	bad |= set(o, "cosigned", cosigned_json(p->cosigned));
	bad |= set(o, "last_try", str_or_null(p->last_try));
	bad |= set(o, "last_seen", str_or_null(p->last_seen));
	bad |= set(o, "seen_size", p->has_seen_size ?
	    json_integer((json_int_t)p->seen_size) : json_null());
	bad |= set(o, "detail", str_or_null(p->detail));
	bad |= set(o, "alarms", json_integer((json_int_t)p->alarms));
	bad |= set(o, "alarms_open", json_integer((json_int_t)p->alarms_open));
	bad |= set(o, "last_alarm", alarm_json(p->last_alarm));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
status_json(const proto_witness_status *st)
{
	json_t *o = json_object(), *a = json_array();
	size_t i;
	int bad;

	if (o == NULL || a == NULL) {
		json_decref(o);
		json_decref(a);
		return NULL;
	}
	bad = set(o, "state", json_string(st->state));
	bad |= set(o, "witness", str_or_null(st->witness));
	bad |= set(o, "interval", json_integer((json_int_t)st->interval));
	for (i = 0; i < st->n_peers && !bad; i++)
		bad |= json_array_append_new(a, peer_json(&st->peers[i])) != 0;
	bad |= set(o, "peers", a);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
proto_witness_status_to_json(const proto_witness_status *st, char **out,
    proto_error *err)
{
	proto_witness_status *check = NULL;
	json_t *doc;
	char *s;
	int r;

	if (out == NULL || st == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no status or no place "
		    "for the result");
	*out = NULL;
	if (st->n_peers > PROTO_WITNESS_PEERS_MAX)
		return proto__fail(err, PROTO_ETOOBIG, "peers", "has %zu "
		    "elements, over the limit of %d", st->n_peers,
		    PROTO_WITNESS_PEERS_MAX);
	/* A member that cannot be made is text that is not UTF-8, or no
	 * memory; either way nothing is written. */
	if ((doc = status_json(st)) == NULL)
		return proto__fail(err, PROTO_EVALUE, "", "cannot be written "
		    "(text that is not UTF-8, or out of memory)");
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (s == NULL)
		return proto__fail(err, PROTO_ENOMEM, "", "out of memory");
	/* What is written is what a reader accepts. */
	if ((r = proto_witness_status_parse(s, strlen(s), &check, err)) != 0) {
		free(s);
		return r;
	}
	proto_witness_status_free(check);
	*out = s;
	return 0;
}

/* ------------------------------------------------------------ reading */

/* Refuses o unless it is an object with no member outside names. */
static int
object_of(struct proto__walk *w, json_t *o, const char *const *names)
{
	const char *key;
	json_t *v;
	size_t i, old;
	char name[80];
	int r;

	if (!json_is_object(o))
		return proto__walk_fail(w, PROTO_ETYPE, "must be an object");
	json_object_foreach(o, key, v) {
		for (i = 0; names[i] != NULL && strcmp(names[i], key) != 0; i++)
			;
		if (names[i] == NULL) {
			proto__excerpt(key, strlen(key), 64, name, sizeof(name));
			old = proto__path_key(w, name);
			r = proto__walk_fail(w, PROTO_EUNKNOWN, "unknown member");
			proto__path_pop(w, old);
			return r;
		}
	}
	return 0;
}

enum want { W_STR, W_INT, W_BOOL, W_OBJ, W_ARR };

/*
 * Member name of o, which every status writes: *v is the value, or NULL for
 * null when nullable.  Strings are at most PROTO_WITNESS_TEXT_MAX
 * characters; integers 0 to 2^53 - 1.
 */
static int
get(struct proto__walk *w, json_t *o, const char *name, enum want want,
    bool nullable, json_t **v)
{
	static const char *const what[] = { "a string", "an integer",
	    "true or false", "an object", "an array" };
	size_t old = proto__path_key(w, name);
	bool ok;
	int r = 0;

	*v = json_object_get(o, name);
	if (*v == NULL) {
		r = proto__walk_fail(w, PROTO_EMISSING, "required member missing");
		goto out;
	}
	if (json_is_null(*v) && nullable) {
		*v = NULL;
		goto out;
	}
	ok = (want == W_STR && json_is_string(*v)) ||
	    (want == W_INT && json_is_integer(*v)) ||
	    (want == W_BOOL && json_is_boolean(*v)) ||
	    (want == W_OBJ && json_is_object(*v)) ||
	    (want == W_ARR && json_is_array(*v));
	if (!ok)
		r = proto__walk_fail(w, PROTO_ETYPE, "must be %s%s", what[want],
		    nullable ? " or null" : "");
	else if (want == W_INT && (json_integer_value(*v) < 0 ||
	    json_integer_value(*v) > PROTO_INT_MAX))
		r = proto__walk_fail(w, PROTO_EVALUE, "%" JSON_INTEGER_FORMAT
		    " is not between 0 and %lld", json_integer_value(*v),
		    PROTO_INT_MAX);
	else if (want == W_STR && cm_utf8_chars(json_string_value(*v),
	    json_string_length(*v)) > PROTO_WITNESS_TEXT_MAX)
		r = proto__walk_fail(w, PROTO_ETOOBIG, "is over %d characters",
		    PROTO_WITNESS_TEXT_MAX);
out:
	proto__path_pop(w, old);
	return r;
}

/* A string member into a new copy (NULL for null). */
static int
get_text(struct proto__walk *w, json_t *o, const char *name, bool nullable,
    char **dst)
{
	json_t *v;
	int r;

	if ((r = get(w, o, name, W_STR, nullable, &v)) != 0 || v == NULL)
		return r;
	if ((*dst = strdup(json_string_value(v))) == NULL)
		return proto__walk_fail(w, PROTO_ENOMEM, "out of memory");
	return 0;
}

/* A string member checked by check (NULL: one of values) into dst of
 * dstsz bytes; "" for null. */
static int
get_fixed(struct proto__walk *w, json_t *o, const char *name, bool nullable,
    const char *(*check)(const char *), const char *const *values, char *dst,
    size_t dstsz)
{
	const char *s, *why = NULL;
	size_t old, i;
	json_t *v;
	int r;

	if ((r = get(w, o, name, W_STR, nullable, &v)) != 0 || v == NULL)
		return r;
	s = json_string_value(v);
	if (check != NULL) {
		why = check(s);
	} else {
		for (i = 0; values[i] != NULL && strcmp(values[i], s) != 0; i++)
			;
		why = values[i] == NULL ? "is not a value this text defines" : NULL;
	}
	if (why == NULL && strlen(s) >= dstsz)
		why = "is too long";
	if (why != NULL) {
		old = proto__path_key(w, name);
		r = proto__walk_fail(w, PROTO_EVALUE, "%s", why);
		proto__path_pop(w, old);
		return r;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* A State's code as the peers directory has it: two capital letters. */
static const char *
check_code(const char *s)
{
	return strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' &&
	    s[1] <= 'Z' ? NULL : "is not two capital letters";
}

static int
get_int(struct proto__walk *w, json_t *o, const char *name, int64_t *dst)
{
	json_t *v;
	int r;

	if ((r = get(w, o, name, W_INT, false, &v)) == 0)
		*dst = (int64_t)json_integer_value(v);
	return r;
}

static int
parse_cosigned(struct proto__walk *w, json_t *o, void *dst)
{
	struct proto_witness_cosigned *c = dst;
	json_t *v;
	size_t old;
	int r;

	if ((r = object_of(w, o, cosigned_members)) != 0 ||
	    (r = get_text(w, o, "origin", false, &c->origin)) != 0 ||
	    (r = get_int(w, o, "size", &c->size)) != 0 ||
	    (r = get(w, o, "root", W_STR, false, &v)) != 0)
		return r;
	if (proto__hash_decode(json_string_value(v), json_string_length(v),
	    &c->root) != 0) {
		old = proto__path_key(w, "root");
		r = proto__walk_fail(w, PROTO_EVALUE, "is not the base64 of a "
		    "SHA-256 value (44 characters, padded, canonical)");
		proto__path_pop(w, old);
		return r;
	}
	return get_fixed(w, o, "at", true, proto__check_timestamp, NULL, c->at,
	    sizeof(c->at));
}

static int
parse_alarm(struct proto__walk *w, json_t *o, void *dst)
{
	struct proto_witness_alarm *a = dst;
	int r;

	if ((r = object_of(w, o, alarm_members)) != 0 ||
	    (r = get_fixed(w, o, "at", true, proto__check_timestamp, NULL, a->at,
	    sizeof(a->at))) != 0)
		return r;
	return get_text(w, o, "reason", false, &a->reason);
}

/* A nullable object member, parsed by fn into a new block at *dst. */
static int
get_sub(struct proto__walk *w, json_t *o, const char *name, size_t size,
    int (*fn)(struct proto__walk *, json_t *, void *), void **dst)
{
	json_t *v;
	size_t old;
	int r;

	if ((r = get(w, o, name, W_OBJ, true, &v)) != 0 || v == NULL)
		return r;
	if ((*dst = calloc(1, size)) == NULL)
		return proto__walk_fail(w, PROTO_ENOMEM, "out of memory");
	old = proto__path_key(w, name);
	r = fn(w, v, *dst);
	proto__path_pop(w, old);
	return r;
}

static int
parse_peer(struct proto__walk *w, json_t *o, struct proto_witness_peer *p)
{
	void *cosigned = NULL, *alarm = NULL;
	json_t *v;
	int r;

	if ((r = object_of(w, o, peer_members)) != 0 ||
	    (r = get_fixed(w, o, "state", false, check_code, NULL, p->state,
	    sizeof(p->state))) != 0 ||
	    (r = get_fixed(w, o, "status", false, NULL, statuses, p->status,
	    sizeof(p->status))) != 0 ||
	    (r = get(w, o, "forked", W_BOOL, false, &v)) != 0)
		return r;
	p->forked = json_is_true(v);
	r = get_sub(w, o, "cosigned", sizeof(*p->cosigned), parse_cosigned,
	    &cosigned);
	p->cosigned = cosigned;	/* owned by p from here, even when r fails */
	if (r != 0 ||
	    (r = get_fixed(w, o, "last_try", true, proto__check_timestamp, NULL,
	    p->last_try, sizeof(p->last_try))) != 0 ||
	    (r = get_fixed(w, o, "last_seen", true, proto__check_timestamp, NULL,
	    p->last_seen, sizeof(p->last_seen))) != 0 ||
	    (r = get(w, o, "seen_size", W_INT, true, &v)) != 0)
		return r;
	p->has_seen_size = v != NULL;
	p->seen_size = v != NULL ? (int64_t)json_integer_value(v) : 0;
	if ((r = get_text(w, o, "detail", true, &p->detail)) != 0 ||
	    (r = get_int(w, o, "alarms", &p->alarms)) != 0 ||
	    (r = get_int(w, o, "alarms_open", &p->alarms_open)) != 0)
		return r;
	r = get_sub(w, o, "last_alarm", sizeof(*p->last_alarm), parse_alarm,
	    &alarm);
	p->last_alarm = alarm;
	return r;
}

static int
parse_status(struct proto__walk *w, json_t *doc, proto_witness_status *st)
{
	json_t *peers, *v;
	size_t i, old;
	int r;

	if ((r = object_of(w, doc, status_members)) != 0 ||
	    (r = get_fixed(w, doc, "state", false, check_code, NULL, st->state,
	    sizeof(st->state))) != 0 ||
	    (r = get_text(w, doc, "witness", true, &st->witness)) != 0 ||
	    (r = get_int(w, doc, "interval", &st->interval)) != 0 ||
	    (r = get(w, doc, "peers", W_ARR, false, &peers)) != 0)
		return r;
	old = proto__path_key(w, "peers");
	if (json_array_size(peers) > PROTO_WITNESS_PEERS_MAX) {
		r = proto__walk_fail(w, PROTO_ETOOBIG, "has %zu elements, over "
		    "the limit of %d", json_array_size(peers),
		    PROTO_WITNESS_PEERS_MAX);
	} else if (json_array_size(peers) > 0 && (st->peers = calloc(
	    json_array_size(peers), sizeof(*st->peers))) == NULL) {
		r = proto__walk_fail(w, PROTO_ENOMEM, "out of memory");
	} else {
		json_array_foreach(peers, i, v) {
			size_t o2 = proto__path_index(w, i);

			st->n_peers = i + 1;
			r = parse_peer(w, v, &st->peers[i]);
			proto__path_pop(w, o2);
			if (r != 0)
				break;
		}
	}
	proto__path_pop(w, old);
	return r;
}

int
proto_witness_status_parse(const char *json, size_t len,
    proto_witness_status **out, proto_error *err)
{
	proto_witness_status *st = NULL;
	struct proto__walk w;
	json_error_t jerr;
	json_t *doc = NULL;
	int r;

	if (out == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no place for the result");
	*out = NULL;
	if (json == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no document given");
	if (len > PROTO_DOC_MAX)
		return proto__fail(err, PROTO_ETOOBIG, "", "is %zu bytes long, over "
		    "the limit of %u", len, PROTO_DOC_MAX);
	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return proto__fail(err, PROTO_ESYNTAX, "", "is not well-formed "
		    "JSON: %.200s", jerr.text);
	if ((st = proto_witness_status_new()) == NULL) {
		r = proto__fail(err, PROTO_ENOMEM, "", "out of memory");
		goto out;
	}
	proto__walk_init(&w, err);
	if ((r = parse_status(&w, doc, st)) != 0)
		goto out;
	*out = st;
	st = NULL;	/* transferred */
out:
	proto_witness_status_free(st);
	json_decref(doc);
	return r;
}

proto_witness_status *
proto_witness_status_new(void)
{
	return calloc(1, sizeof(proto_witness_status));
}

void
proto_witness_status_free(proto_witness_status *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n_peers; i++) {
		struct proto_witness_peer *p = &st->peers[i];

		if (p->cosigned != NULL)
			free(p->cosigned->origin);
		free(p->cosigned);
		if (p->last_alarm != NULL)
			free(p->last_alarm->reason);
		free(p->last_alarm);
		free(p->detail);
	}
	free(st->peers);
	free(st->witness);
	free(st);
}
