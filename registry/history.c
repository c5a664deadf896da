/*
 * A weapon's history, written once: its effective chain (each corrected
 * event replaced by its latest correction), the state transitions along it
 * (status, holder, last legal holder, last date) and the rules on which
 * event may follow which state.  Event writes (event.c), the importer, the
 * readers (weapon_show.c) and, through reg_history_effective(), the trace
 * engine use them.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "history_int.h"
#include "record_int.h"

const char *const reg__event_kinds[] = {
	"manufacture", "domestic_transfer", "export", "import", "transit",
	"state_to_civilian", "loan", "return", "loss", "theft", "recovery",
	"seizure", "confiscation", "deactivation", "destruction",
	"records_to_state", NULL
};

/* Kinds that hand the weapon from one holder to another. */
static const char *const transfer_kinds[] = {
	"domestic_transfer", "export", "state_to_civilian", "loan", "return", NULL
};

static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

static void
set(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s);
}

int
reg_history_effective(const struct reg_history_event *ev, int n, int *eff,
    int *corrected)
{
	int i, j, k, neff = 0;

	for (i = 0; i < n; i++) {
		const char *c = str(ev[i].corrects);

		if (corrected != NULL)
			corrected[i] = -1;
		if (*c == '\0') {
			eff[neff++] = i;
			continue;
		}
		for (j = 0; j < i; j++)
			if (strcmp(str(ev[j].id), c) == 0)
				break;
		if (j == i)
			continue;	/* the database refers only to earlier events */
		if (corrected != NULL)
			corrected[i] = j;
		for (k = 0; k < neff; k++)
			if (eff[k] == j)
				eff[k] = i;
	}
	return neff;
}

void
reg__hstate_init(struct reg__hstate *s)
{
	memset(s, 0, sizeof(*s));
	set(s->status, sizeof(s->status), "registered");
}

void
reg__hstate_step(struct reg__hstate *s, const char *k, const char *to,
    const char *to_kind, const char *date)
{
	to = str(to);
	if (strcmp(k, "export") == 0) {
		set(s->status, sizeof(s->status), "exported");
		set(s->last_legal_holder, sizeof(s->last_legal_holder), s->holder);
		s->holder[0] = '\0';
	} else if (strcmp(k, "loss") == 0) {
		set(s->status, sizeof(s->status), "lost");
	} else if (strcmp(k, "theft") == 0) {
		set(s->status, sizeof(s->status), "stolen");
	} else if (strcmp(k, "seizure") == 0 || strcmp(k, "confiscation") == 0) {
		set(s->status, sizeof(s->status), "seized");
		if (to[0] != '\0')
			set(s->holder, sizeof(s->holder), to);
	} else if (strcmp(k, "deactivation") == 0) {
		set(s->status, sizeof(s->status), "deactivated");
	} else if (strcmp(k, "destruction") == 0) {
		set(s->status, sizeof(s->status), "destroyed");
	} else if (strcmp(k, "transit") == 0) {
		/* Passing through: no change of holder or status. */
	} else if (to[0] != '\0') {
		set(s->holder, sizeof(s->holder), to);
		set(s->status, sizeof(s->status),
		    strcmp(str(to_kind), "private_person") == 0 ||
		    strcmp(str(to_kind), "state_agency") == 0 ? "held" : "in_stock");
	}
	if (s->holder[0] != '\0')
		set(s->last_legal_holder, sizeof(s->last_legal_holder), s->holder);
	set(s->last_date, sizeof(s->last_date), str(date));
}

/* The rules for a transfer (a kind of transfer_kinds). */
static int
check_transfer(const struct reg__hstate *s, const char *kind, const char *from,
    const char *to, reg_error *err)
{
	if (from[0] == '\0')
		return reg__fail(err, REG_ERULE, "a %s names the party it comes from",
		    kind);
	if (s->holder[0] == '\0')
		return reg__fail(err, REG_ERULE, "the weapon has no current holder "
		    "(status %s): a transfer must come from the current holder",
		    s->status);
	if (strcmp(from, s->holder) != 0)
		return reg__fail(err, REG_ERULE, "a transfer must come from the "
		    "current holder, %s, not %s", s->holder, from);
	if (strcmp(s->status, "lost") == 0 || strcmp(s->status, "stolen") == 0)
		return reg__fail(err, REG_ERULE, "the weapon is %s: record its "
		    "recovery before transferring it", s->status);
	if (strcmp(kind, "export") != 0 && to[0] == '\0')
		return reg__fail(err, REG_ERULE, "a %s names the party it goes to",
		    kind);
	return 0;
}

int
reg__hstate_check(const struct reg__hstate *s, const char *kind,
    const char *date, const char *from, const char *to, reg_error *err)
{
	int r;

	if (strcmp(s->status, "destroyed") == 0)
		return reg__fail(err, REG_ERULE, "the weapon was destroyed: nothing more "
		    "can happen to it (a mistaken record is corrected with 'regctl correct')");
	if (s->last_date[0] != '\0' && strcmp(date, s->last_date) < 0)
		return reg__fail(err, REG_ERULE, "dates may not run backwards: %s is "
		    "before the last event (%s); correct that event instead", date,
		    s->last_date);
	if (reg__one_of(kind, transfer_kinds) &&
	    (r = check_transfer(s, kind, from, to, err)) != 0)
		return r;
	if ((strcmp(kind, "manufacture") == 0 || strcmp(kind, "import") == 0) &&
	    to[0] == '\0')
		return reg__fail(err, REG_ERULE, "a %s names the party that holds the "
		    "weapon after it", kind);
	if (strcmp(kind, "manufacture") == 0 && s->n > 0)
		return reg__fail(err, REG_ERULE, "manufacture can only be the first event");
	if (strcmp(kind, "recovery") == 0 && strcmp(s->status, "lost") != 0 &&
	    strcmp(s->status, "stolen") != 0)
		return reg__fail(err, REG_ERULE, "only a lost or stolen weapon can be "
		    "recovered (status %s)", s->status);
	return 0;
}

int
reg__hstate_replay(struct reg__hstate *s, const struct reg_history_event *ev,
    int n, int *eff, int *corrected)
{
	int k, neff = reg_history_effective(ev, n, eff, corrected);

	reg__hstate_init(s);
	for (k = 0; k < neff; k++) {
		const struct reg_history_event *e = &ev[eff[k]];

		reg__hstate_step(s, e->kind, e->to, e->to_kind, e->date);
	}
	s->n = n;
	return neff;
}

/* ------------------------------------------------------------ reading */

void
reg__history_free(struct reg__history *h)
{
	free(h->ev);
	free(h->eff);
	memset(h, 0, sizeof(*h));
}

int
reg__history_build(PGresult *res, struct reg__history *h, reg_error *err)
{
	struct reg_history_event *hev = NULL;
	int *corrected = NULL;
	int i, r = 0, n;

	memset(h, 0, sizeof(*h));
	n = PQntuples(res);
	h->ev = calloc(n ? (size_t)n : 1, sizeof(*h->ev));
	h->eff = calloc(n ? (size_t)n : 1, sizeof(*h->eff));
	hev = calloc(n ? (size_t)n : 1, sizeof(*hev));
	corrected = calloc(n ? (size_t)n : 1, sizeof(*corrected));
	if (h->ev == NULL || h->eff == NULL || hev == NULL || corrected == NULL) {
		r = reg__fail(err, REG_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct reg__event *e = &h->ev[i];

		reg__pq_field(e->id, sizeof(e->id), res, i, 0);
		e->seq = atoi(PQgetvalue(res, i, 1));
		reg__pq_field(e->kind, sizeof(e->kind), res, i, 2);
		reg__pq_field(e->date, sizeof(e->date), res, i, 3);
		reg__pq_field(e->from, sizeof(e->from), res, i, 4);
		reg__pq_field(e->to, sizeof(e->to), res, i, 5);
		reg__pq_field(e->corrects, sizeof(e->corrects), res, i, 6);
		reg__pq_field(e->to_kind, sizeof(e->to_kind), res, i, 7);
		e->corrected_by = -1;
		hev[i] = (struct reg_history_event){ e->id, e->corrects, e->kind,
		    e->date, e->to, e->to_kind };
	}
	h->n = n;
	h->neff = reg__hstate_replay(&h->st, hev, n, h->eff, corrected);
	for (i = 0; i < n; i++)
		if (corrected[i] >= 0)
			h->ev[corrected[i]].corrected_by = i;
out:
	free(hev);
	free(corrected);
	if (r != 0)
		reg__history_free(h);
	return r;
}

int
reg__history_load(reg_ctx *ctx, const char *wid, struct reg__history *h,
    reg_error *err)
{
	const char *params[1] = { wid };
	PGresult *res;
	int r;

	memset(h, 0, sizeof(*h));
	res = reg__exec(ctx, REG__HISTORY_SQL, 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__fail_pg(err, ctx->conn, res, "cannot read the weapon's history");
	else
		r = reg__history_build(res, h, err);
	PQclear(res);
	return r;
}
