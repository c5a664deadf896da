/*
 * What a search read, against what the log sealed (reg_search_verify()).
 *
 * The read model (trace_weapon) is written by triggers and sealed by
 * nothing: a superuser could remove an export from it, and a signed answer
 * would then leave out the export and its referral while every event it
 * does show still has a proof that holds.  So nothing is served that the
 * log does not hold.  A serial read whole is held against the log's leaves
 * in the statement that reads the read model (search_leaves.c).  The other
 * weapons, and those read from the records after a mismatch, are checked
 * here: the records of every weapon not yet held are read with their
 * leaves (reg_weapon_records(), which derives each leaf again from its row
 * and compares it with the stored leaf and its hash), and everything read
 * is compared with them, field by field, in both directions: each record
 * of the weapon is there, and each thing there is a record.  Either way
 * each event keeps its leaf's hash, which the caller checks each inclusion
 * proof against.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search_int.h"

/* One candidate as its records arrive. */
struct seen {
	struct reg_search_weapon *c;
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
weapon_field(const struct reg_search_weapon *c,
    const struct reg_weapon_record *rec)
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
marking_field(const struct reg_search_marking *m,
    const struct reg_weapon_record *rec)
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
component_field(const struct reg_search_component *p,
    const struct reg_weapon_record *rec)
{
	FIXED(p->kind, "kind");
	STR(p->serial, "serial");
	return NULL;
}

static const char *
event_field(const struct reg_search_event *e,
    const struct reg_weapon_record *rec)
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
		struct reg_search_event *e = NULL;

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
reg_search_verify(reg_search *h, struct reg_search_weapon *const *list, int n,
    int *records, reg_error *err)
{
	struct check k;
	const char **ids = NULL;
	int i, r;

	if (records != NULL)
		*records = 0;
	memset(&k, 0, sizeof(k));
	if (h == NULL || records == NULL || n < 0 || (list == NULL && n != 0))
		return reg__fail(err, REG_EINVAL, "no search or no weapons");
	if (n == 0)
		return 0;
	if ((k.s = calloc((size_t)n, sizeof(*k.s))) == NULL ||
	    (ids = calloc((size_t)n, sizeof(*ids))) == NULL) {
		free(k.s);
		return reg__fail(err, REG_ENOMEM, "out of memory");
	}
	/* The read model's candidates were held against their leaves as
	 * they were read (reg_search_by_key()); the others are read again. */
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
	    reg_weapon_records(h->ctx, ids, (size_t)n, one_record, &k, err);
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
		r = reg__fail(err, REG_EVERIFY, "what the trace would serve is not what "
		    "the log sealed: %s", k.first);
out:
	free(ids);
	free(k.s);
	return r;
}
