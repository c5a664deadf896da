/*
 * A candidate's history read for a trace: the effective chain of events
 * (a correction takes the place of the event it corrects: the registry's
 * reg_history_effective()), the last legal
 * event and holder, what is known after it (theft, loss, a recorded
 * destruction or deactivation that the recovery contradicts, or a gap), and
 * whether the chain leaves the State by export.
 */
#include "config.h"

#include <string.h>

#include "tracer_int.h"

static int
is(const struct reg_search_event *e, const char *kind)
{
	return strcmp(e->kind, kind) == 0;
}

/* The effective chain (reg_history_effective(), registry/history.c), with
 * each event's corrections as sequence numbers. */
static int
effective(struct tr__arena *a, struct tr__cand *c)
{
	struct tr__chain *ch = &c->chain;
	struct reg_history_event *hev;
	int *corrected, n = c->nev ? c->nev : 1, i;

	ch->eff = tr__alloc(a, (size_t)n * sizeof(int));
	corrected = tr__alloc(a, (size_t)n * sizeof(int));
	hev = tr__alloc(a, (size_t)n * sizeof(*hev));
	if (ch->eff == NULL || corrected == NULL || hev == NULL)
		return -1;
	for (i = 0; i < c->nev; i++) {
		c->ev[i].corrects_seq = c->ev[i].corrected_by_seq = 0;
		hev[i] = (struct reg_history_event){ .id = c->ev[i].id,
		    .corrects = c->ev[i].corrects };
	}
	ch->neff = reg_history_effective(hev, c->nev, ch->eff, corrected);
	for (i = 0; i < c->nev; i++)
		if (corrected[i] >= 0) {
			c->ev[i].corrects_seq = c->ev[corrected[i]].seq;
			c->ev[corrected[i]].corrected_by_seq = c->ev[i].seq;
		}
	return 0;
}

int
tr__chain_analyse(struct tr__arena *a, struct tr__cand *c)
{
	struct tr__chain *ch = &c->chain;
	const struct reg_search_party *holder = NULL, *before_export = NULL;
	int k;

	ch->neff = 0;
	ch->last_legal = ch->finding_event = ch->export_event = -1;
	ch->finding = NULL;
	ch->last_legal_holder = NULL;
	if (effective(a, c) != 0)
		return -1;
	for (k = 0; k < ch->neff; k++) {
		int x = ch->eff[k];
		struct reg_search_event *e = &c->ev[x];

		if (is(e, "theft") || is(e, "loss")) {
			ch->finding = is(e, "theft") ? "theft_reported" : "loss_reported";
			ch->finding_event = x;
			continue;
		}
		if (is(e, "destruction") || is(e, "deactivation")) {
			ch->finding = is(e, "destruction") ? "destruction_contradicted" :
			    "deactivation_contradicted";
			ch->finding_event = x;
			continue;
		}
		/* A legal event: the chain goes on from here. */
		ch->finding = NULL;
		ch->finding_event = -1;
		ch->last_legal = x;
		if (is(e, "export")) {
			before_export = e->from != NULL ? e->from : holder;
			ch->export_event = x;
			holder = e->to;
			continue;
		}
		if (is(e, "transit"))
			continue;
		ch->export_event = -1;
		if (e->to != NULL)
			holder = e->to;
	}
	if (ch->export_event >= 0 && ch->finding == NULL)
		ch->last_legal_holder = before_export;
	else
		ch->last_legal_holder = holder;
	if (ch->last_legal >= 0 && ch->finding == NULL && ch->export_event < 0)
		ch->finding = "gap";
	return 0;
}
