/*
 * What a trace serves, against what the log sealed.
 *
 * The engine reads candidates from its read model (trace_weapon), which
 * triggers write and nothing seals: a superuser could remove an export
 * from it, and the signed answer would then leave out the export and its
 * referral while every event it does show still has a proof that holds.
 * So nothing is served that the log does not hold.  A serial read whole
 * is held against the log's leaves in the statement that reads the read
 * model (tracer/fetch.c, check_leaves(): the leaves of the weapon's records
 * as the record tables list them come with the row, and every served
 * field is compared with its leaf, every leaf with its stored hash).  The
 * other candidates, and those read from the records after a mismatch, are
 * checked here before an answer is written: the records of every weapon
 * not yet held are read with their leaves (reg_weapon_records(), which
 * derives each leaf again from its row and compares it with the stored
 * leaf and its hash), and everything that will be served is compared with
 * them, field by field, in both directions: each record of the weapon is
 * served, and each thing served is a record.  Either way each event keeps
 * its leaf's hash for respond.c, which checks each inclusion proof against
 * it and against the checkpoint's root.  Below: the leaf reader.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/utf8.h"
#include "tracer_int.h"

_Atomic long tr__readmodel_mismatches;

/* One candidate as its records arrive. */
struct seen {
	struct tr__cand *c;
	int weapon;			/* its weapon record arrived */
	int marks, comps, events;	/* its records of each kind so far */
};

struct check {
	struct seen *s;
	int n;
	char first[600];		/* the first difference */
};

static int
differ(struct check *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
differ(struct check *k, const char *fmt, ...)
{
	va_list ap;

	if (k->first[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(k->first, sizeof(k->first), fmt, ap);
		va_end(ap);
	}
	return 1;
}

/* A value served as a string (NULL for none) against the sealed one. */
static int
same_str(const char *served, const char *sealed)
{
	if (served == NULL || sealed == NULL)
		return served == sealed;
	return strcmp(served, sealed) == 0;
}

/* A value served from a buffer of size bytes ("" for none), which cuts
 * what does not fit, against the sealed one cut the same way. */
static int
same_fixed(const char *served, size_t size, const char *sealed)
{
	if (sealed == NULL)
		return served[0] == '\0';
	return strlen(served) == (strlen(sealed) < size ? strlen(sealed) :
	    size - 1) && strncmp(served, sealed, size - 1) == 0;
}

/* A number served (0 for none) against the sealed decimal text. */
static int
same_int(long long served, const char *sealed)
{
	char buf[24];

	if (sealed == NULL)
		return served == 0;
	snprintf(buf, sizeof(buf), "%lld", served);
	return strcmp(buf, sealed) == 0;
}

#define V(col) reg_weapon_record_value(rec, col)
#define FIXED(f, col) if (!same_fixed(f, sizeof(f), V(col))) return col
#define STR(f, col) if (!same_str(f, V(col))) return col
#define INT(f, col) if (!same_int(f, V(col))) return col

/* The first field of a weapon's identity served otherwise than sealed. */
static const char *
weapon_field(const struct tr__cand *c, const struct reg_weapon_record *rec)
{
	FIXED(c->id, "id");
	FIXED(c->manufacturer_id, "manufacturer_id");
	STR(c->model, "model");
	FIXED(c->type, "type");
	STR(c->calibre, "calibre");
	STR(c->serial, "serial");
	FIXED(c->country, "country_of_manufacture");
	INT(c->year, "year_of_manufacture");
	return NULL;
}

static const char *
marking_field(const struct tr__marking *m, const struct reg_weapon_record *rec)
{
	FIXED(m->kind, "kind");
	STR(m->text, "text");
	FIXED(m->location, "location");
	FIXED(m->country, "country");
	INT(m->year, "year");
	STR(m->new_serial, "new_serial");
	return NULL;
}

static const char *
component_field(const struct tr__component *p,
    const struct reg_weapon_record *rec)
{
	FIXED(p->kind, "kind");
	STR(p->serial, "serial");
	return NULL;
}

static const char *
event_field(const struct tr__event *e, const struct reg_weapon_record *rec)
{
	const char *transit = V("transit_countries");

	FIXED(e->id, "id");
	INT(e->seq, "seq");
	FIXED(e->kind, "kind");
	FIXED(e->date, "event_date");
	FIXED(e->from_id, "from_party");
	FIXED(e->to_id, "to_party");
	STR(e->licence_number, "licence_number");
	FIXED(e->licence_issued, "licence_issued");
	FIXED(e->licence_expires, "licence_expires");
	STR(e->euc, "euc_ref");
	FIXED(e->export_country, "export_country");
	FIXED(e->import_country, "import_country");
	/* No transit countries are served as none. */
	if (!same_str(e->transit, transit != NULL && transit[0] != '\0' ?
	    transit : NULL))
		return "transit_countries";
	STR(e->final_recipient, "final_recipient");
	STR(e->certificate, "certificate");
	FIXED(e->corrects, "corrects");
	STR(e->reason, "reason");
	STR(e->note, "note");
	return NULL;
}

#undef V
#undef FIXED
#undef STR
#undef INT

static int
one_record(void *arg, const struct reg_weapon_record *rec)
{
	struct check *k = arg;
	struct seen *s = NULL;
	const char *field = NULL;
	int i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->s[i].c->id, rec->weapon_id) == 0)
			s = &k->s[i];
	if (s == NULL)
		return 0;		/* not asked for: cannot happen */
	if (strcmp(rec->type, "weapon") == 0) {
		s->weapon++;
		field = weapon_field(s->c, rec);
	} else if (strcmp(rec->type, "marking") == 0) {
		if (s->marks >= s->c->nmarks)
			return differ(k, "weapon %s: its marking at leaf %llu is not "
			    "served", s->c->id, (unsigned long long)rec->log_index);
		field = marking_field(&s->c->marks[s->marks++], rec);
	} else if (strcmp(rec->type, "component") == 0) {
		if (s->comps >= s->c->ncomps)
			return differ(k, "weapon %s: its component at leaf %llu is not "
			    "served", s->c->id, (unsigned long long)rec->log_index);
		field = component_field(&s->c->comps[s->comps++], rec);
	} else {
		struct tr__event *e = NULL;

		for (i = 0; i < s->c->nev; i++)
			if (s->c->ev[i].log_index == (int64_t)rec->log_index &&
			    !s->c->ev[i].sealed)
				e = &s->c->ev[i];
		if (e == NULL)
			return differ(k, "weapon %s: its event (seq %s) at leaf %llu is "
			    "not served", s->c->id, reg_weapon_record_value(rec, "seq"),
			    (unsigned long long)rec->log_index);
		s->events++;
		field = event_field(e, rec);
		e->leaf_hash = rec->leaf_hash;
		e->sealed = 1;
	}
	if (field != NULL)
		return differ(k, "weapon %s: its %s at leaf %llu is served with "
		    "another %s than the sealed one", s->c->id, rec->type,
		    (unsigned long long)rec->log_index, field);
	return 0;
}

int
tr__check_answer(reg_ctx *ctx, struct tr__cand **list, int n, int *records,
    reg_error *err)
{
	struct check k;
	const char **ids = NULL;
	int i, r;

	*records = 0;
	memset(&k, 0, sizeof(k));
	if (n == 0)
		return 0;
	if ((k.s = calloc((size_t)n, sizeof(*k.s))) == NULL ||
	    (ids = calloc((size_t)n, sizeof(*ids))) == NULL) {
		free(k.s);
		return tr__fail(err, REG_ENOMEM, "out of memory");
	}
	/* The read model's candidates were held against their leaves as
	 * they were read (tr__db_by_key()); the others are read again. */
	for (i = 0; i < n; i++) {
		int j;

		if (list[i]->sealed)
			continue;
		k.s[k.n].c = list[i];
		ids[k.n++] = list[i]->id;
		for (j = 0; j < list[i]->nev; j++)
			list[i]->ev[j].sealed = 0;
	}
	n = k.n;
	r = n == 0 ? 0 :
	    reg_weapon_records(ctx, ids, (size_t)n, one_record, &k, err);
	if (r == REG_EVERIFY) {
		/* A record that does not hold: the registry was altered. */
		*records = 1;
		goto out;
	}
	if (r < 0)
		goto out;
	/* Served, and not among the records. */
	for (i = 0; r == 0 && i < n; i++) {
		const struct seen *s = &k.s[i];
		int j;

		if (s->weapon != 1)
			r = differ(&k, "weapon %s: no weapon record of its own",
			    s->c->id);
		else if (s->marks != s->c->nmarks || s->comps != s->c->ncomps)
			r = differ(&k, "weapon %s: %d markings and %d components "
			    "served, %d and %d sealed", s->c->id, s->c->nmarks,
			    s->c->ncomps, s->marks, s->comps);
		for (j = 0; r == 0 && j < s->c->nev; j++)
			if (!s->c->ev[j].sealed)
				r = differ(&k, "weapon %s: its event (seq %d) served as at "
				    "leaf %lld is not among its records", s->c->id,
				    s->c->ev[j].seq, (long long)s->c->ev[j].log_index);
	}
	if (r != 0)
		r = tr__fail(err, REG_EVERIFY, "what the trace would serve is not what "
		    "the log sealed: %s", k.first);
out:
	free(ids);
	free(k.s);
	return r;
}

/* ------------------------------------------------ leaves, read directly */


/* Four hex digits at p (at least 4 bytes), or -1. */
static long
hex4(const char *p)
{
	long v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		if ((d = cm_hex_digit((unsigned char)p[i], CM_HEX_ANYCASE)) < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * A JSON string from p (at the opening quote) to end, decoded to UTF-8
 * into out (room for as many bytes as the string has); *next is past the
 * closing quote.  0, or -1 when it is not one.
 */
static int
json_string_at(const char *p, const char *end, char *out, size_t *outlen,
    const char **next)
{
	size_t n = 0;

	if (p >= end || *p++ != '"')
		return -1;
	while (p < end && *p != '"') {
		unsigned char ch = (unsigned char)*p;
		long u, lo;

		if (ch < 0x20)
			return -1;
		if (ch != '\\') {
			out[n++] = *p++;
			continue;
		}
		if (end - p < 2)
			return -1;
		switch (p[1]) {
		case '"': case '\\': case '/':
			out[n++] = p[1];
			p += 2;
			continue;
		case 'b': out[n++] = '\b'; p += 2; continue;
		case 'f': out[n++] = '\f'; p += 2; continue;
		case 'n': out[n++] = '\n'; p += 2; continue;
		case 'r': out[n++] = '\r'; p += 2; continue;
		case 't': out[n++] = '\t'; p += 2; continue;
		case 'u': break;
		default: return -1;
		}
		if (end - p < 6 || (u = hex4(p + 2)) < 0)
			return -1;
		p += 6;
		if (u >= 0xd800 && u < 0xdc00) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    (lo = hex4(p + 2)) < 0xdc00 || lo > 0xdfff)
				return -1;
			p += 6;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return -1;
		}
		/* Six escaped bytes (twelve for a pair) always hold what they
		 * decode to. */
		n += cm_utf8_encode((uint32_t)u, out + n);
	}
	if (p >= end)
		return -1;
	*outlen = n;
	*next = p + 1;
	return 0;
}

int
tr__leaf_parse(struct tr__leaf *l, const char *p, size_t len, char *buf)
{
	const char *end = p + len, *next;
	size_t n, used = 0;

	l->n = 0;
	if (len < 2 || p[0] != '{' || end[-1] != '}')
		return -1;
	p++;
	while (p < end - 1) {
		int i = l->n;

		if (i == TR__LEAF_KEYS)
			return -1;
		/* A key: a column's name, never escaped. */
		if (*p != '"' || (next = memchr(p + 1, '"', (size_t)(end - p - 1))) == NULL)
			return -1;
		l->key[i] = p + 1;
		l->klen[i] = (size_t)(next - p - 1);
		p = next + 1;
		if (p >= end || *p++ != ':')
			return -1;
		if (p < end && *p == '"') {
			if (json_string_at(p, end, buf + used, &n, &next) != 0)
				return -1;
			l->val[i] = buf + used;
			l->vlen[i] = n;
			used += n;
			p = next;
		} else if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
			l->val[i] = NULL;
			l->vlen[i] = 0;
			p += 4;
		} else {
			/* A number ("_v"), kept as its text. */
			l->val[i] = p;
			while (p < end && ((*p >= '0' && *p <= '9') || *p == '-'))
				p++;
			l->vlen[i] = (size_t)(p - l->val[i]);
			if (l->vlen[i] == 0)
				return -1;
		}
		l->n++;
		if (p < end - 1 && *p++ != ',')
			return -1;
	}
	return p == end - 1 ? 0 : -1;
}

int
tr__leaf_get(const struct tr__leaf *l, const char *key, const char **val,
    size_t *len)
{
	size_t kl = strlen(key);
	int i;

	for (i = 0; i < l->n; i++)
		if (l->klen[i] == kl && memcmp(l->key[i], key, kl) == 0) {
			*val = l->val[i];
			*len = l->vlen[i];
			return 1;
		}
	return 0;
}
