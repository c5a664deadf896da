/*
 * The trace engine: from a trace request to ranked candidates.  It
 * resolves the manufacturer through its aliases, searches the serial
 * (exact and look-alikes by search key; unreadable positions by pattern;
 * one wrong, missing, extra or swapped character by nearness), scores
 * every candidate on the serial and on every other field the request
 * gives, and decides the answer's status.  respond.c writes the response.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tracer_int.h"
#include "respond_int.h"

struct tr_engine {
	reg_ctx *ctx;
	const tr_policy *policy;
	const reg_pii_keyring *kr;
	struct tr_options opt;
	struct reg_search_alias *aliases;
	int naliases;
	struct by_norm {		/* the aliases in the order of norm */
		const char *norm;
		int i;
	} *by_norm;
	time_t aliases_read;
	reg_search *search;		/* its queries, and the parties read */
};

/* Scores at and above which a candidate is kept, and found. */
#define KEEP 0.30
#define FOUND 0.60
#define FOUND_ALONE 0.45
#define MARGIN 0.10		/* found: the next is at least this far below */
#define MARGIN_DISAGREE 0.25	/* ... when the best disagrees with the request
				 * on a field (a year one off, another model) */
#define LISTED 0.25		/* ambiguous: those this close to the best */

static int
by_norm_cmp(const void *x, const void *y)
{
	const struct by_norm *p = x, *q = y;
	int c = strcmp(p->norm, q->norm);

	return c != 0 ? c : p->i - q->i;
}

/* (Re)reads the manufacturers' names and codes, and orders them by their
 * normalised form for maker_lookup(). */
static int
aliases_read(tr_engine *e, reg_error *err)
{
	struct reg_search_alias *al;
	struct by_norm *order;
	int n, i, r;

	if ((r = reg_search_aliases(e->search, &al, &n, err)) != 0)
		return r;
	if ((order = malloc((size_t)(n ? n : 1) * sizeof(*order))) == NULL) {
		reg_free(al);
		return tr__fail(err, REG_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++)
		order[i] = (struct by_norm){ al[i].norm, i };
	qsort(order, (size_t)n, sizeof(*order), by_norm_cmp);
	reg_free(e->aliases);
	free(e->by_norm);
	e->aliases = al;
	e->naliases = n;
	e->by_norm = order;
	e->aliases_read = time(NULL);
	return 0;
}

int
tr_engine_new(reg_ctx *ctx, const tr_policy *policy, const reg_pii_keyring *kr,
    const struct tr_options *opt, tr_engine **out, reg_error *err)
{
	tr_engine *e;
	int r;

	*out = NULL;
	if (ctx == NULL || policy == NULL)
		return tr__fail(err, REG_EINVAL, "an engine needs a registry "
		    "connection and a policy");
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	e->ctx = ctx;
	e->policy = policy;
	e->kr = kr;
	if (opt != NULL)
		e->opt = *opt;
	if (e->opt.max_candidates == 0)
		e->opt.max_candidates = 20;
	if (e->opt.max_candidates < 2 || e->opt.max_candidates > 50) {
		free(e);
		return tr__fail(err, REG_EINVAL, "max_candidates must be 2 to 50");
	}
	if ((r = reg_search_new(ctx, &e->search, err)) != 0 ||
	    (r = aliases_read(e, err)) != 0) {
		tr_engine_free(e);
		return r;
	}
	*out = e;
	return 0;
}

void
tr_engine_free(tr_engine *e)
{
	if (e == NULL)
		return;
	reg_free(e->aliases);
	free(e->by_norm);
	reg_search_free(e->search);
	free(e);
}

/* ------------------------------------------------------- manufacturer */

struct maker {
	int given;			/* the request names one */
	int known;			/* ... and it resolved */
	int fuzzy;			/* ... only as a near spelling */
	char ids[8][TR__ID];
	int nids;
};

static void
maker_add(struct maker *m, const char *id)
{
	int i;

	for (i = 0; i < m->nids; i++)
		if (strcmp(m->ids[i], id) == 0)
			return;
	if (m->nids < 8)
		snprintf(m->ids[m->nids++], TR__ID, "%s", id);
}

/* Words that many makers' names share, which tell none of them apart. */
static int
generic_word(const char *w)
{
	static const char *const words[] = { "ARMS", "ARMAS", "WAFFEN", "FABRIK",
		"FABRIQUE", "NATIONALE", "NATIONAL", "COMPANY", "CORP", "CORPORATION",
		"INDUSTRIES", "INDUSTRY", "GMBH", "MANUFACTURING", "FIREARMS",
		"DEFENCE", "DEFENSE", "WORKS", "FACTORY", "ZAVOD", "ARSENAL",
		"LIMITED", "GROUP", "HOLDING", "INTERNATIONAL", "SYSTEMS", NULL };
	int i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(w, words[i]) == 0)
			return 1;
	return 0;
}

/* Whether the name as read and an alias share a telling word (four letters
 * or more, not a generic one): "FN Herstal" and "Fabrique Nationale
 * Herstal". */
static int
share_word(const char *read, const char *alias)
{
	char a[208], b[208], *s1, *s2, *w1, *w2;

	snprintf(a, sizeof(a), "%s", read);
	for (w1 = strtok_r(a, " .,-/&()'", &s1); w1 != NULL;
	    w1 = strtok_r(NULL, " .,-/&()'", &s1)) {
		if (strlen(w1) < 4 || generic_word(w1))
			continue;
		snprintf(b, sizeof(b), "%s", alias);
		for (w2 = strtok_r(b, " .,-/&()'", &s2); w2 != NULL;
		    w2 = strtok_r(NULL, " .,-/&()'", &s2))
			if (strcmp(w1, w2) == 0)
				return 1;
	}
	return 0;
}

static void
maker_lookup(tr_engine *e, const char *norm, const char *upper,
    struct maker *m)
{
	size_t n = strlen(norm), an;
	int i, limit = n >= 8 ? 2 : n >= 4 ? 1 : 0, lo = 0, hi = e->naliases;

	/* The names and codes written so, in the order they were read. */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (strcmp(e->by_norm[mid].norm, norm) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < e->naliases && strcmp(e->by_norm[lo].norm, norm) == 0; lo++)
		maker_add(m, e->aliases[e->by_norm[lo].i].manufacturer_id);
	if (m->nids > 0 || limit == 0)
		return;
	/* A near spelling of a name (not of a code): one or two letters
	 * off, or the start of a longer name. */
	for (i = 0; i < e->naliases; i++) {
		const struct reg_search_alias *al = &e->aliases[i];

		if (strcmp(al->kind, "name") != 0)
			continue;
		an = strlen(al->norm);
		if (tr_edit_distance(norm, al->norm, limit) <= limit ||
		    share_word(upper, al->words) ||
		    (n >= 4 && an > n && strncmp(al->norm, norm, n) == 0) ||
		    (an >= 4 && n > an && strncmp(norm, al->norm, an) == 0))
			maker_add(m, al->manufacturer_id);
	}
	m->fuzzy = m->nids > 0;
}

static int
resolve_maker(tr_engine *e, const char *name, struct maker *m, reg_error *err)
{
	char norm[208], upper[208];
	int r, i;

	memset(m, 0, sizeof(*m));
	if (name == NULL)
		return 0;
	reg_name_norm(name, norm, sizeof(norm));
	for (i = 0; name[i] != '\0' && i < (int)sizeof(upper) - 1; i++)
		upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
	upper[i] = '\0';
	if (norm[0] == '\0')
		return 0;
	m->given = 1;
	maker_lookup(e, norm, upper, m);
	if ((m->nids == 0 || m->fuzzy) && time(NULL) != e->aliases_read) {
		/* Perhaps recorded since the engine read the names. */
		if ((r = aliases_read(e, err)) != 0)
			return r;
		memset(m->ids, 0, sizeof(m->ids));
		m->nids = m->fuzzy = 0;
		maker_lookup(e, norm, upper, m);
	}
	m->known = m->nids > 0;
	return 0;
}

/* ------------------------------------------------------------ scoring */

static void
reason(struct tr__arena *a, struct tr__cand *c, char *text)
{
	if (text != NULL && c->nreasons < TR__REASONS_MAX)
		c->reasons[c->nreasons++] = text;
}

static int
model_close(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 3 && lb >= 3 && tr_edit_distance(a, b, la >= 6 ? 2 : 1) <=
	    (la >= 6 ? 2 : 1))
		return 1;
	return (la >= 2 && lb > la && strncmp(a, b, la) == 0) ||
	    (lb >= 2 && la > lb && strncmp(a, b, lb) == 0);
}

/*
 * The steps of score() below: each compares one field of the request with
 * the candidate, records the reason, counts a disagreement where they
 * differ and returns the factor the score is multiplied by (1 where the
 * field agrees or is not compared).  They are small and static, so the
 * compiler inlines them: nothing is allocated or copied per candidate
 * beyond the reasons' text.
 */

/* A field that differs: one more disagreement, and why. */
static void
disagree(struct tr__arena *a, struct tr__cand *c, char *text)
{
	c->disagreements++;
	reason(a, c, text);
}

/* The serial the candidate was found on (its own, an importer's or a
 * component's): sets the starting score *s; 0 if the serial does not
 * match at all, else 1. */
static int
score_serial(struct tr__arena *a, const proto_request *req,
    const struct tr__query *q, struct tr__cand *c, double *s)
{
	struct tr__serial_match sm;

	tr__serial_compare(q, c->matched ? c->matched : "", &sm);
	if (sm.level == TR__NOMATCH)
		return 0;
	*s = sm.score;
	if (strcmp(c->via, "serial") == 0) {
		reason(a, c, tr__strdup(a, sm.what));
	} else if (strcmp(c->via, "import") == 0) {
		reason(a, c, tr__printf(a, "importer's serial '%s' from its import "
		    "marking: %s", c->matched, sm.what));
		if (req->weapon.importer == NULL)
			*s *= 0.95;
	} else {
		reason(a, c, tr__printf(a, "serial of the registered %s: %s",
		    c->via + strlen("component "), sm.what));
		*s *= 0.97;
	}
	return 1;
}

static double
score_manufacturer(struct tr__arena *a, const struct proto_weapon *w,
    const struct maker *mk, struct tr__cand *c)
{
	char rn[208], wn[208];
	int i, same = 0;

	if (!mk->given || !mk->known)
		return 1.0;
	for (i = 0; i < mk->nids; i++)
		if (strcmp(mk->ids[i], c->manufacturer_id) == 0)
			same = 1;
	if (!same) {
		disagree(a, c, tr__printf(a, "manufacturer differs: registered as "
		    "%s, read as '%s'", c->manufacturer ? c->manufacturer :
		    "(none)", w->manufacturer));
		return 0.45;
	}
	reg_name_norm(c->manufacturer, rn, sizeof(rn));
	reg_name_norm(w->manufacturer, wn, sizeof(wn));
	if (strcmp(rn, wn) == 0)
		reason(a, c, tr__printf(a, "manufacturer %s", c->manufacturer));
	else
		reason(a, c, tr__printf(a, "manufacturer read as '%s' is %s "
		    "(%s)", w->manufacturer, c->manufacturer,
		    mk->fuzzy ? "a near spelling" : "an alias or code"));
	return mk->fuzzy ? 0.97 : 1.0;
}

static double
score_model(struct tr__arena *a, const struct proto_weapon *w,
    struct tr__cand *c)
{
	char rm[208], wm[208];

	if (w->model == NULL || c->model == NULL)
		return 1.0;
	reg_name_norm(c->model, rm, sizeof(rm));
	reg_name_norm(w->model, wm, sizeof(wm));
	if (strcmp(rm, wm) == 0) {
		reason(a, c, tr__printf(a, "model %s", c->model));
		return 1.0;
	}
	if (model_close(wm, rm)) {
		reason(a, c, tr__printf(a, "model read as '%s' is close to the "
		    "registered %s", w->model, c->model));
		return 0.93;
	}
	disagree(a, c, tr__printf(a, "model differs: registered as %s, read "
	    "as '%s'", c->model, w->model));
	return 0.6;
}

/* A field compared as it is: agreeing, the reason "<agree> <registered>";
 * differing, a disagreement "<field> differs: registered as <registered>"
 * and the factor. */
static double
field_factor(struct tr__arena *a, struct tr__cand *c, int same,
    const char *agree, const char *field, const char *registered, double factor)
{
	if (same) {
		reason(a, c, tr__printf(a, "%s %s", agree, registered));
		return 1.0;
	}
	disagree(a, c, tr__printf(a, "%s differs: registered as %s", field,
	    registered));
	return factor;
}

/* Whether two calibres are the same once written the canonical way. */
static int
same_calibre(const char *x, const char *y)
{
	char xc[64], yc[64];

	tr__calibre_canon(x, xc, sizeof(xc));
	tr__calibre_canon(y, yc, sizeof(yc));
	return strcmp(xc, yc) == 0;
}

static double
score_year(struct tr__arena *a, const struct proto_weapon *w,
    struct tr__cand *c)
{
	int d;

	if (w->year_of_manufacture == 0 || c->year == 0)
		return 1.0;
	d = abs(w->year_of_manufacture - c->year);
	if (d == 0) {
		reason(a, c, tr__printf(a, "made in %d", c->year));
		return 1.0;
	}
	if (d == 1) {
		disagree(a, c, tr__printf(a, "year of manufacture one off: "
		    "registered as %d", c->year));
		return 0.95;
	}
	disagree(a, c, tr__printf(a, "year of manufacture differs: "
	    "registered as %d", c->year));
	return 0.7;
}

static double
score_import(struct tr__arena *a, const struct proto_weapon *w,
    struct tr__cand *c)
{
	char want[4];

	if (w->importer == NULL || w->importer->country[0] == '\0')
		return 1.0;
	snprintf(want, sizeof(want), "%s:", w->importer->country);
	if (c->imports != NULL && strstr(c->imports, want) != NULL) {
		reason(a, c, tr__printf(a, "import marking of %s",
		    w->importer->country));
		return 1.0;
	}
	disagree(a, c, tr__printf(a, "no registered import marking of %s",
	    w->importer->country));
	return c->imports != NULL ? 0.8 : 0.85;
}

/* Scores candidate c against the request; 0 if it does not match at all.
 * The factors multiply in the order of the fields, as they always have
 * (a factor of 1 leaves the score exactly as it was). */
static void
score(struct tr__arena *a, const proto_request *req, const struct tr__query *q,
    const struct maker *mk, struct tr__cand *c)
{
	const struct proto_weapon *w = &req->weapon;
	double s;

	c->nreasons = 0;
	c->disagreements = 0;
	if (!score_serial(a, req, q, c, &s)) {
		c->score = 0;
		return;
	}
	s *= score_manufacturer(a, w, mk, c);
	s *= score_model(a, w, c);
	if (w->type[0] != '\0' && strcmp(w->type, "other") != 0)
		s *= field_factor(a, c, strcmp(w->type, c->type) == 0, "type",
		    "type", c->type, 0.6);
	if (w->calibre != NULL && c->calibre != NULL)
		s *= field_factor(a, c, same_calibre(c->calibre, w->calibre),
		    "calibre", "calibre", c->calibre, 0.65);
	if (w->country_of_manufacture[0] != '\0' && c->country[0] != '\0')
		s *= field_factor(a, c, strcmp(w->country_of_manufacture,
		    c->country) == 0, "made in", "country of manufacture",
		    c->country, 0.6);
	s *= score_year(a, w, c);
	s *= score_import(a, w, c);
	/* Four decimals, as the protocol writes scores. */
	c->score = (double)(long)(s * 10000.0 + 0.5) / 10000.0;
	if (c->score > 1.0)
		c->score = 1.0;
}

/* Names the candidates' manufacturers from the cached aliases (sorted by
 * manufacturer id). */
static void
name_makers(tr_engine *e, struct tr__arena *a, struct tr__cands *cs, int first)
{
	int k;

	for (k = first; k < cs->n; k++) {
		struct tr__cand *c = &cs->c[k];
		int lo = 0, hi = e->naliases;

		if (c->manufacturer != NULL || c->manufacturer_id[0] == '\0')
			continue;
		while (lo < hi) {
			int mid = lo + (hi - lo) / 2;

			if (strcmp(e->aliases[mid].manufacturer_id, c->manufacturer_id) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < e->naliases &&
		    strcmp(e->aliases[lo].manufacturer_id, c->manufacturer_id) == 0)
			c->manufacturer = tr__strdup(a, e->aliases[lo].maker);
	}
}

static int
by_score(const void *x, const void *y)
{
	const struct tr__cand *a = x, *b = y;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* Keeps each weapon once, with its best match; drops non-matches. */
static void
dedupe(struct tr__cands *cs)
{
	int i, j, n = 0;

	for (i = 0; i < cs->n; i++) {
		if (cs->c[i].score < KEEP)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(cs->c[j].id, cs->c[i].id) == 0)
				break;
		if (j < n) {
			if (cs->c[i].score > cs->c[j].score ||
			    (cs->c[i].detailed && !cs->c[j].detailed &&
			    cs->c[i].score == cs->c[j].score))
				cs->c[j] = cs->c[i];
			continue;
		}
		if (n != i)
			cs->c[n] = cs->c[i];
		n++;
	}
	cs->n = n;
	if (n > 1)
		qsort(cs->c, (size_t)cs->n, sizeof(*cs->c), by_score);
}

/* Whether the request shows an import marking (then importers' serials
 * are searched too). */
static int
has_import(const proto_request *req)
{
	size_t i;

	if (req->weapon.importer != NULL)
		return 1;
	for (i = 0; i < req->weapon.n_markings; i++)
		if (strcmp(req->weapon.markings[i].kind, "import") == 0)
			return 1;
	return 0;
}

/* Names and scores the candidates from first on against query q. */
static void
score_from(tr_engine *e, struct tr__arena *a, const proto_request *req,
    const struct tr__query *q, const struct maker *mk, struct tr__cands *cs,
    int first)
{
	int k;

	name_makers(e, a, cs, first);
	for (k = first; k < cs->n; k++)
		score(a, req, q, mk, &cs->c[k]);
}

/*
 * Too many serials match the readable characters: search again among the
 * weapons of the type, manufacturer and year (one either way) that the
 * request gives, so that what else it tells narrows the field.  Sets
 * *truncated when even that finds too many, when nothing of that
 * description matches (the first search's candidates stay), or when there
 * is nothing to narrow by.
 */
static int
narrow(tr_engine *e, struct tr__arena *a, const proto_request *req,
    const char *like, const struct maker *mk, struct tr__cands *cs,
    int *truncated, reg_error *err)
{
	const struct proto_weapon *w = &req->weapon;
	const char *type = w->type[0] && strcmp(w->type, "other") != 0 ? w->type : NULL;
	struct tr__cands narrowed = { NULL, 0, 0 };
	const char *makers[8];
	int i, r, nmakers = 0;

	if (mk->given && mk->known && !mk->fuzzy) {
		for (i = 0; i < mk->nids; i++)
			makers[nmakers++] = mk->ids[i];
	}
	if (type == NULL && nmakers == 0 && w->year_of_manufacture == 0) {
		*truncated = 1;
		return 0;
	}
	if ((r = tr__db_by_pattern_narrowed(e->search, a, like, type, makers,
	    nmakers, w->year_of_manufacture, &narrowed, err)) != 0) {
		free(narrowed.c);
		return r;
	}
	if (narrowed.n == 0) {
		free(narrowed.c);
		*truncated = 1;
		return 0;
	}
	free(cs->c);
	*cs = narrowed;
	*truncated = cs->n >= TR__CANDS_MAX;
	return 0;
}

/* A serial's weapons by key: from the read model, or with records from the
 * records alone. */
static int
by_key(tr_engine *e, struct tr__arena *a, const char *key, int records,
    struct tr__cands *cs, int *truncated, reg_error *err)
{
	return records ? tr__db_by_key_records(e->search, a, key, cs, truncated,
	    err) : tr__db_by_key(e->search, a, key, cs, truncated, err);
}

static int
search(tr_engine *e, struct tr__arena *a, const proto_request *req,
    const struct tr__query *q, const struct maker *mk, int records,
    struct tr__cands *cs, int *truncated, reg_error *err)
{
	char like[TR__SERIAL_MAX];
	int r, before, imports = has_import(req);
	size_t i;

	*truncated = 0;
	if (q->wildcards) {
		if (tr__like_pattern(q, like, sizeof(like)) < 0)
			return tr__fail(err, REG_EINVAL, "serial too long");
		if ((r = tr__db_by_pattern(e->search, a, like, imports, cs, err)) != 0)
			return r;
		if (cs->n >= TR__CANDS_MAX && (r = narrow(e, a, req, like, mk, cs,
		    truncated, err)) != 0)
			return r;
	} else {
		if ((r = by_key(e, a, q->key, records, cs, truncated, err)) != 0)
			return r;
		if (imports && (r = tr__db_by_other_serials(e->search, a, q->key, 1, cs,
		    err)) != 0)
			return r;
	}
	score_from(e, a, req, q, mk, cs, 0);
	/* Serials of components as read find the weapon too: on its frame's
	 * serial (often the same) or on a registered component's. */
	for (i = 0; i < req->weapon.n_components; i++) {
		struct tr__query cq;

		if (tr__query_init(&cq, req->weapon.components[i].serial) != 0 ||
		    cq.wildcards || cq.known < 3)
			continue;
		before = cs->n;
		if ((r = by_key(e, a, cq.key, records, cs, truncated, err)) != 0 ||
		    (r = tr__db_by_other_serials(e->search, a, cq.key, 0, cs, err)) != 0)
			return r;
		score_from(e, a, req, &cq, mk, cs, before);
	}
	dedupe(cs);
	/* Nothing convincing, or the best disagrees with the request on a field:
	 * one wrong, missing, extra or swapped character. */
	if (!q->wildcards && q->known >= 5 && (cs->n == 0 || cs->c[0].score < FOUND ||
	    cs->c[0].disagreements > 0)) {
		before = cs->n;
		if ((r = tr__db_near(e->search, a, q->key, imports, cs, err)) != 0)
			return r;
		score_from(e, a, req, q, mk, cs, before);
		if (cs->n - before >= TR__CANDS_MAX)
			*truncated = 1;
		dedupe(cs);
	}
	return 0;
}

/* ------------------------------------------------------------ the trace */

static void
now_rfc3339(proto_timestamp out)
{
	struct timespec ts;
	struct tm tm;
	char buf[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sizeof(proto_timestamp), "%.19s.%03dZ", buf,
	    (int)(ts.tv_nsec / 1000000));
}

/* Answers without a search when the request is not for this registry,
 * the policy does not answer its State, or too little of the serial can
 * be read: sets the status and reason in ans and returns 1; else 0 with
 * q made from the serial. */
static int
screen(tr_engine *e, struct tr__arena *a, const proto_request *req,
    const struct tr__audience *aud, struct tr__query *q, struct tr__answer *ans)
{
	if (strcmp(req->requested_state, e->policy->state) != 0) {
		snprintf(ans->status, sizeof(ans->status), "declined");
		ans->status_reason = tr__printf(a, "the request is addressed to %s; "
		    "this is the registry of %s", req->requested_state, e->policy->state);
		return 1;
	}
	if (!aud->answer) {
		snprintf(ans->status, sizeof(ans->status), "declined");
		ans->status_reason = tr__printf(a, "%s", aud->decline_reason[0] ?
		    aud->decline_reason : "the disclosure policy does not answer "
		    "requests from this State");
		return 1;
	}
	if (tr__query_init(q, req->weapon.serial) != 0 || q->known < 3) {
		snprintf(ans->status, sizeof(ans->status), "need_more_info");
		ans->status_reason = tr__printf(a, "the serial as read has %s three "
		    "readable letters or digits: send what the laboratory restores, "
		    "or the serials of components", q->known < 3 ? "fewer than" :
		    "more than a hundred characters besides");
		return 1;
	}
	return 0;
}

/* The notes on the search: a manufacturer not known here, or more
 * candidates than are listed. */
static void
search_notes(struct tr__arena *a, const proto_request *req,
    const struct maker *mk, int truncated, struct tr__answer *ans)
{
	if (mk->given && !mk->known)
		ans->note = tr__printf(a, "the manufacturer '%s' is not known here: "
		    "weapons of every manufacturer were searched",
		    req->weapon.manufacturer);
	if (truncated)
		ans->truncated = tr__printf(a, "more than %d registered serials match "
		    "what could be read; only the best are listed: send more of the "
		    "serial, the model, calibre or year", TR__CANDS_MAX);
}

/* The status from the scored candidates, and how many are listed. */
static void
decide(tr_engine *e, struct tr__arena *a, const struct tr__query *q,
    const struct tr__cands *cs, struct tr__answer *ans)
{
	int i;

	if (cs->n == 0) {
		snprintf(ans->status, sizeof(ans->status), "not_found");
		ans->status_reason = tr__printf(a, "no registered weapon has this "
		    "serial, one that reads alike, or one that differs by a single "
		    "character%s", q->wildcards ? " in the readable positions" : "");
	} else if ((cs->n == 1 && cs->c[0].score >= FOUND_ALONE) ||
	    (cs->c[0].score >= FOUND && (cs->n == 1 ||
	    cs->c[1].score <= cs->c[0].score - (cs->c[0].disagreements ?
	    MARGIN_DISAGREE : MARGIN)))) {
		snprintf(ans->status, sizeof(ans->status), "found");
		ans->nlisted = 1;
	} else if (cs->n == 1) {
		snprintf(ans->status, sizeof(ans->status), "not_found");
		ans->status_reason = tr__printf(a, "the closest registered weapon "
		    "matches too weakly to be named (score %.2f)", cs->c[0].score);
	} else {
		snprintf(ans->status, sizeof(ans->status), "ambiguous");
		for (i = 0; i < cs->n && i < e->opt.max_candidates; i++)
			if (i >= 2 && cs->c[i].score < cs->c[0].score - LISTED)
				break;
		ans->nlisted = i;
		ans->status_reason = tr__printf(a, "%d registered weapons may be the "
		    "one described (scores %.2f to %.2f)%s", cs->n, cs->c[0].score,
		    cs->c[ans->nlisted - 1].score, cs->n > ans->nlisted ?
		    "; the weaker ones are not listed" : "");
	}
}

/* The listed candidates' parties and the analysis of their chains, once
 * their records were found to hold. */
static int
describe_listed(tr_engine *e, struct tr__arena *a, struct tr__cand **list,
    int nlisted, reg_error *err)
{
	int r, i;

	if ((r = tr__db_parties(e->search, a, list, nlisted, err)) != 0)
		return r;
	for (i = 0; i < nlisted; i++)
		if (tr__chain_analyse(a, list[i]) != 0)
			return tr__fail(err, REG_ENOMEM, "out of memory");
	return 0;
}

int
tr_trace(tr_engine *e, const proto_request *req, proto_response **out,
    reg_error *err)
{
	struct tr__arena a = { NULL, 0 };
	struct tr__cands cs = { NULL, 0, 0 };
	struct tr__audience aud;
	struct tr__query q;
	struct maker mk;
	struct tr__answer ans;
	struct tr__cand *list[50];
	int r, truncated = 0, i, records = 0, altered;

	*out = NULL;
	memset(&ans, 0, sizeof(ans));
	reg_search_trim(e->search);
	now_rfc3339(ans.responded_at);
	tr__policy_for(e->policy, req->requesting_state, &aud);
	if (screen(e, &a, req, &aud, &q, &ans))
		goto respond;
again:
	if ((r = resolve_maker(e, req->weapon.manufacturer, &mk, err)) != 0 ||
	    (r = search(e, &a, req, &q, &mk, records, &cs, &truncated, err)) != 0)
		goto out;
	search_notes(&a, req, &mk, truncated, &ans);
	decide(e, &a, &q, &cs, &ans);
	if (ans.nlisted > 0) {
		for (i = 0; i < ans.nlisted; i++)
			list[i] = &cs.c[i];
		if ((r = tr__db_details(e->search, &a, list, ans.nlisted, err)) != 0)
			goto out;
		/*
		 * Only what the log sealed is answered.  When what was read
		 * (the read model) is not, the trace is made again from the
		 * records alone, which were just found to hold: candidates,
		 * scores and status as they say.  When the records do not
		 * hold either, nothing is answered: the caller sees
		 * REG_EVERIFY naming the record (tracerd: a 500 and a log
		 * line).
		 */
		r = tr__check_answer(e->search, &a, list, ans.nlisted, &altered, err);
		if (r == REG_EVERIFY && !altered && !records) {
			tr__readmodel_mismatches++;
			reg_error_clear(err);
			records = 1;
			free(cs.c);
			memset(&cs, 0, sizeof(cs));
			truncated = 0;
			memset(&ans, 0, sizeof(ans));
			now_rfc3339(ans.responded_at);
			goto again;
		}
		if (r != 0 ||
		    (r = describe_listed(e, &a, list, ans.nlisted, err)) != 0)
			goto out;
		ans.cands = cs.c;
	}
respond:
	r = tr__respond(e->ctx, e->policy, e->kr, &aud, &e->opt, req, &ans, out, err);
out:
	free(cs.c);
	tr__arena_free(&a);
	return r;
}
