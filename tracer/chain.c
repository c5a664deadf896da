/*
 * A candidate's history read for a trace: the effective chain of events
 * (a correction takes the place of the event it corrects), the last legal
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

int
tr__chain_analyse(struct tr__arena *a, struct tr__cand *c)
{
	struct tr__chain *ch = &c->chain;
	const struct reg_search_party *holder = NULL, *before_export = NULL;
	int i, j, k;

	ch->neff = 0;
	ch->last_legal = ch->finding_event = ch->export_event = -1;
	ch->finding = NULL;
	ch->last_legal_holder = NULL;
	ch->eff = tr__alloc(a, (size_t)(c->nev ? c->nev : 1) * sizeof(int));
	if (ch->eff == NULL)
		return -1;
	for (i = 0; i < c->nev; i++)
		c->ev[i].corrects_seq = c->ev[i].corrected_by_seq = 0;
	for (i = 0; i < c->nev; i++) {
		struct reg_search_event *e = &c->ev[i];

		if (e->corrects[0] == '\0') {
			ch->eff[ch->neff++] = i;
			continue;
		}
		for (j = 0; j < i; j++)
			if (strcmp(c->ev[j].id, e->corrects) == 0)
				break;
		if (j == i)
			continue;	/* the database refers only to earlier events */
		e->corrects_seq = c->ev[j].seq;
		c->ev[j].corrected_by_seq = e->seq;
		for (k = 0; k < ch->neff; k++)
			if (ch->eff[k] == j)
				ch->eff[k] = i;
	}
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
