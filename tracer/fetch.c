/*
 * The engine's searches: the registry's (registry.h, "search"), which owns
 * the queries with the schema, with what they find appended to the
 * trace's candidates in place (a candidate holds a reg_search_weapon) and
 * its memory taken from the trace's arena, so that nothing is copied.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tracer_int.h"

_Atomic long tr__db_rows_fallbacks;
_Atomic long tr__readmodel_mismatches;

/* A search's sink: candidates into out, memory from a. */
struct fetch {
	struct tr__arena *a;
	struct tr__cands *out;
	struct reg_search_sink sink;
};

static struct reg_search_weapon *
sink_add(void *arg)
{
	struct tr__cands *cs = ((struct fetch *)arg)->out;
	struct tr__cand *c;

	if (cs->n == cs->cap) {
		int cap = cs->cap ? cs->cap * 2 : 16;

		if ((c = realloc(cs->c, (size_t)cap * sizeof(*c))) == NULL)
			return NULL;
		cs->c = c;
		cs->cap = cap;
	}
	c = &cs->c[cs->n++];
	memset(c, 0, sizeof(*c));
	c->chain.last_legal = c->chain.finding_event = -1;
	c->chain.export_event = -1;
	return &c->w;
}

static void *
sink_alloc(void *arg, size_t n)
{
	return tr__alloc(((struct fetch *)arg)->a, n);
}

#define FETCH(f, arena, cands) \
	struct fetch f = { arena, cands, { sink_add, sink_alloc, NULL } }; \
	f.sink.arg = &f

/* Too many weapons shared the key (now or in an earlier search of the
 * trace): the last candidate's events may be cut. */
static void
drop_cut(struct tr__cands *out, const int *truncated)
{
	if (*truncated && out->n > 0)
		out->n--;
}

int
tr__db_by_key_records(reg_search *s, struct tr__arena *a, const char *key,
    struct tr__cands *out, int *truncated, reg_error *err)
{
	FETCH(f, a, out);
	int r = reg_search_by_key_records(s, key, &f.sink, truncated, err);

	if (r == 0)
		drop_cut(out, truncated);
	return r;
}

int
tr__db_by_key(reg_search *s, struct tr__arena *a, const char *key,
    struct tr__cands *out, int *truncated, reg_error *err)
{
	FETCH(f, a, out);
	int source = REG_SEARCH_READ_MODEL;
	int r = reg_search_by_key(s, key, &f.sink, truncated, &source, err);

	if (source == REG_SEARCH_MISMATCH)
		tr__readmodel_mismatches++;
	else if (source == REG_SEARCH_FALLBACK)
		tr__db_rows_fallbacks++;
	if (r == 0 && source != REG_SEARCH_READ_MODEL)
		drop_cut(out, truncated);
	return r;
}

int
tr__db_by_other_serials(reg_search *s, struct tr__arena *a, const char *key,
    int imports, struct tr__cands *out, reg_error *err)
{
	FETCH(f, a, out);

	return reg_search_other_serials(s, key, imports, &f.sink, err);
}

int
tr__db_by_pattern(reg_search *s, struct tr__arena *a, const char *like,
    int imports, struct tr__cands *out, reg_error *err)
{
	FETCH(f, a, out);

	return reg_search_pattern(s, like, imports, &f.sink, err);
}

int
tr__db_by_pattern_narrowed(reg_search *s, struct tr__arena *a,
    const char *like, const char *type, const char *const *makers,
    int nmakers, int year, struct tr__cands *out, reg_error *err)
{
	FETCH(f, a, out);

	return reg_search_pattern_narrowed(s, like, type, makers, nmakers, year,
	    &f.sink, err);
}

int
tr__db_near(reg_search *s, struct tr__arena *a, const char *key, int imports,
    struct tr__cands *out, reg_error *err)
{
	FETCH(f, a, out);

	return reg_search_near(s, key, imports, &f.sink, err);
}

/* The weapons of list[0..n), in the arena; NULL when out of memory. */
static struct reg_search_weapon **
weapons(struct tr__arena *a, struct tr__cand **list, int n)
{
	struct reg_search_weapon **w = tr__alloc(a, (size_t)(n ? n : 1) *
	    sizeof(*w));
	int i;

	for (i = 0; w != NULL && i < n; i++)
		w[i] = &list[i]->w;
	return w;
}

int
tr__db_details(reg_search *s, struct tr__arena *a, struct tr__cand **list,
    int n, reg_error *err)
{
	FETCH(f, a, NULL);
	struct reg_search_weapon **w = weapons(a, list, n);

	if (w == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	return reg_search_details(s, w, n, &f.sink, err);
}

int
tr__check_answer(reg_search *s, struct tr__arena *a, struct tr__cand **list,
    int n, int *records, reg_error *err)
{
	struct reg_search_weapon **w = weapons(a, list, n);

	*records = 0;
	if (w == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	return reg_search_verify(s, w, n, records, err);
}

int
tr__db_parties(reg_search *s, struct tr__arena *a, struct tr__cand **list,
    int n, reg_error *err)
{
	struct reg_search_weapon **w = weapons(a, list, n);

	if (w == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	return reg_search_parties(s, w, n, err);
}
