/*
 * The trace response as the disclosure policy lets it out: candidates
 * with their registered identity, history, last legal holder, diversion
 * and referral; private holders named, shown as "licensed private holder"
 * or left out; licences and notes given or withheld; and every withholding
 * stated in restrictions (ITI: a State may restrict its answer, and says so).
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/utf8.h"
#include "respond_int.h"

/* What was withheld from this response. */
enum {
	W_PRIVATE_NAMES = 1,	/* shown as licensed private holder */
	W_PRIVATE_PARTIES = 2,	/* left out */
	W_HOLDER_LICENCES = 4,
	W_TRANSFER_LICENCES = 8,
	W_NOTES = 16,
	W_WEAPON_IDS = 32,
	W_NO_KEY = 64,		/* names allowed, but not readable here */
	W_PRIVATE_REGIONS = 128
};

struct out {
	int failed;
	unsigned withheld;
	const struct tr__audience *aud;
	const reg_pii_keyring *kr;
};

static char *
dup(struct out *o, const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		o->failed = 1;
	return p;
}

static void *
zalloc(struct out *o, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		o->failed = 1;
	return p;
}

/* At most max bytes of s, cut on a UTF-8 character boundary. */
static char *
dup_cut(struct out *o, const char *s, size_t max)
{
	size_t n = strlen(s);
	char *p;

	if (n > max)
		n = cm_utf8_cut(s, max);
	if ((p = malloc(n + 1)) == NULL) {
		o->failed = 1;
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* A party as the policy discloses it; NULL when it is left out. */
static struct proto_party *
party(struct out *o, const struct reg_search_party *p)
{
	struct proto_party *d;
	int private;

	if (p == NULL)
		return NULL;
	private = strcmp(p->kind, "private_person") == 0;
	if (private && o->aud->private_holders == TR__HIDE) {
		o->withheld |= W_PRIVATE_PARTIES;
		return NULL;
	}
	if ((d = zalloc(o, 1, sizeof(*d))) == NULL)
		return NULL;
	tr__copy(d->kind, sizeof(d->kind), p->kind);
	tr__copy(d->country, sizeof(d->country), p->country);
	if (!private) {
		d->name = dup(o, p->name ? p->name : "(unnamed)");
		d->region = dup(o, p->region);
		d->licence = dup(o, p->licence);
		return d;
	}
	if (o->aud->private_holders == TR__NAMED) {
		struct reg_person person;
		reg_uuid id;

		if (o->kr != NULL && p->pii != NULL &&
		    reg_uuid_parse(p->id, &id, NULL) == 0 &&
		    reg_party_identity(o->kr, &id, p->pii, p->pii_len, &person,
		    NULL) == 0) {
			d->name = dup_cut(o, person.name, 300);
			OPENSSL_cleanse(&person, sizeof(person));
		} else {
			o->withheld |= W_NO_KEY;
		}
	} else {
		o->withheld |= W_PRIVATE_NAMES;
	}
	if (d->name == NULL)
		d->name = dup(o, "licensed private holder");
	if (o->aud->private_region)
		d->region = dup(o, p->region);
	else if (p->region != NULL)
		o->withheld |= W_PRIVATE_REGIONS;
	if (o->aud->holder_licences)
		d->licence = dup(o, p->licence);
	else if (p->licence != NULL)
		o->withheld |= W_HOLDER_LICENCES;
	return d;
}

static struct proto_licence *
licence(struct out *o, const char *number, const char *issued,
    const char *expires)
{
	struct proto_licence *l;

	if (number != NULL && !o->aud->transfer_licences) {
		o->withheld |= W_TRANSFER_LICENCES;
		number = NULL;
	}
	if (number == NULL && issued[0] == '\0' && expires[0] == '\0')
		return NULL;
	if ((l = zalloc(o, 1, sizeof(*l))) == NULL)
		return NULL;
	l->number = dup(o, number);
	tr__copy(l->issued, sizeof(l->issued), issued);
	tr__copy(l->expires, sizeof(l->expires), expires);
	return l;
}

static char *
euc(struct out *o, const char *ref)
{
	if (ref != NULL && !o->aud->transfer_licences) {
		o->withheld |= W_TRANSFER_LICENCES;
		return NULL;
	}
	return dup(o, ref);
}

/* Transit codes "DE,FR" as an array. */
static void
transit(struct out *o, const char *list, proto_country **out, size_t *n)
{
	size_t cnt = 0, i;
	const char *s;

	*out = NULL;
	*n = 0;
	if (list == NULL || list[0] == '\0')
		return;
	for (s = list; *s != '\0'; s++)
		if (*s == ',')
			cnt++;
	cnt++;
	if (cnt > 16)
		cnt = 16;
	if ((*out = zalloc(o, cnt, sizeof(**out))) == NULL)
		return;
	for (i = 0, s = list; i < cnt && *s != '\0'; i++) {
		snprintf((*out)[i], sizeof((*out)[i]), "%.2s", s);
		s += 2;
		if (*s == ',')
			s++;
	}
	*n = i;
}

static int
seq_of(const struct tr__cand *c, int idx)
{
	return idx >= 0 ? c->ev[idx].seq : 0;
}

static void
event(struct out *o, const struct reg_search_event *e, struct proto_event *d)
{
	d->seq = e->seq;
	tr__copy(d->kind, sizeof(d->kind), e->kind);
	tr__copy(d->date, sizeof(d->date), e->date);
	d->from = party(o, e->from);
	d->to = party(o, e->to);
	d->licence = licence(o, e->licence_number, e->licence_issued,
	    e->licence_expires);
	d->end_user_certificate = euc(o, e->euc);
	tr__copy(d->export_country, sizeof(d->export_country), e->export_country);
	tr__copy(d->import_country, sizeof(d->import_country), e->import_country);
	transit(o, e->transit, &d->transit_countries, &d->n_transit_countries);
	d->final_recipient = dup(o, e->final_recipient);
	d->certificate = dup(o, e->certificate);
	d->log_index = e->log_index;
	d->corrects = e->corrects_seq;
	d->corrected_by = e->corrected_by_seq;
	d->reason = dup(o, e->reason);
	if (o->aud->notes)
		d->note = dup(o, e->note);
	else if (e->note != NULL)
		o->withheld |= W_NOTES;
}

static const char *
finding_words(const char *f)
{
	if (strcmp(f, "theft_reported") == 0)
		return "reported stolen";
	if (strcmp(f, "loss_reported") == 0)
		return "reported lost";
	if (strcmp(f, "destruction_contradicted") == 0)
		return "recorded as destroyed, which its recovery contradicts";
	if (strcmp(f, "deactivation_contradicted") == 0)
		return "recorded as deactivated, which its recovery in working "
		    "order contradicts";
	return "the record ends with a legal holder who should still hold it";
}

static void
candidate(struct out *o, const struct tr__cand *c, struct proto_candidate *d)
{
	struct proto_weapon_record *w = &d->weapon;
	const struct tr__chain *ch = &c->chain;
	int i, n;

	d->score = c->score;
	d->reasons = zalloc(o, (size_t)c->nreasons, sizeof(char *));
	for (i = 0; d->reasons != NULL && i < c->nreasons; i++)
		d->reasons[i] = dup_cut(o, c->reasons[i], 500);
	d->n_reasons = d->reasons ? (size_t)c->nreasons : 0;
	if (o->aud->weapon_id)
		tr__copy(w->id, sizeof(w->id), c->id);
	else
		o->withheld |= W_WEAPON_IDS;
	w->serial = dup(o, c->serial);
	w->manufacturer = dup(o, c->manufacturer);
	w->model = dup(o, c->model);
	tr__copy(w->type, sizeof(w->type), c->type);
	w->calibre = dup(o, c->calibre);
	tr__copy(w->country_of_manufacture, sizeof(w->country_of_manufacture),
	    c->country);
	w->year_of_manufacture = c->year;
	n = c->nmarks > 64 ? 64 : c->nmarks;
	if (n > 0 && (w->markings = zalloc(o, (size_t)n, sizeof(*w->markings)))) {
		for (i = 0; i < n; i++) {
			struct proto_marking *m = &w->markings[i];

			m->text = dup(o, c->marks[i].text);
			tr__copy(m->kind, sizeof(m->kind), c->marks[i].kind);
			tr__copy(m->location, sizeof(m->location), c->marks[i].location);
			tr__copy(m->country, sizeof(m->country), c->marks[i].country);
			m->year = c->marks[i].year;
		}
		w->n_markings = (size_t)n;
	}
	n = c->ncomps > 16 ? 16 : c->ncomps;
	if (n > 0 && (w->components = zalloc(o, (size_t)n, sizeof(*w->components)))) {
		for (i = 0; i < n; i++) {
			tr__copy(w->components[i].kind, sizeof(w->components[i].kind),
			    c->comps[i].kind);
			w->components[i].serial = dup(o, c->comps[i].serial);
		}
		w->n_components = (size_t)n;
	}
	n = c->nev > 1000 ? 1000 : c->nev;
	if (n > 0 && (d->history = zalloc(o, (size_t)n, sizeof(*d->history)))) {
		for (i = 0; i < n; i++)
			event(o, &c->ev[i], &d->history[i]);
		d->n_history = (size_t)n;
	}
	d->last_legal_holder = party(o, ch->last_legal_holder);
	if (ch->last_legal >= 0 && ch->finding != NULL) {
		struct proto_diversion *v = zalloc(o, 1, sizeof(*v));

		if (v != NULL) {
			const struct reg_search_event *fe = ch->finding_event >= 0 ?
			    &c->ev[ch->finding_event] : NULL;

			v->last_legal_seq = seq_of(c, ch->last_legal);
			tr__copy(v->finding, sizeof(v->finding), ch->finding);
			v->event_seq = seq_of(c, ch->finding_event);
			tr__copy(v->date, sizeof(v->date), fe ? fe->date : "");
			/* A failed allocation fails the answer: never one
			 * that leaves the finding unexplained. */
			v->details = o->failed ? NULL : zalloc(o, 400, 1);
			if (v->details != NULL)
				snprintf(v->details, 400, "Last legal event: %s on %s (event "
				    "%d); %s%s%s.", c->ev[ch->last_legal].kind,
				    c->ev[ch->last_legal].date, v->last_legal_seq,
				    finding_words(ch->finding), fe ? " on " : "",
				    fe ? fe->date : "");
			d->diversion = v;
		}
	}
	if (ch->export_event >= 0 && ch->finding == NULL) {
		const struct reg_search_event *x = &c->ev[ch->export_event];
		struct proto_referral *rf = zalloc(o, 1, sizeof(*rf));

		if (rf != NULL) {
			tr__copy(rf->importing_state, sizeof(rf->importing_state), x->import_country);
			tr__copy(rf->export_date, sizeof(rf->export_date), x->date);
			rf->event_seq = x->seq;
			rf->licence = licence(o, x->licence_number, x->licence_issued,
			    x->licence_expires);
			rf->end_user_certificate = euc(o, x->euc);
			rf->importer = party(o, x->to);
			transit(o, x->transit, &rf->transit_countries,
			    &rf->n_transit_countries);
			d->referral = rf;
		}
	}
}

static void
restrict_add(struct out *o, proto_response *r, const char *kind,
    const char *scope, const char *reason)
{
	struct proto_restriction *x;

	x = realloc(r->restrictions, (r->n_restrictions + 1) * sizeof(*x));
	if (x == NULL) {
		o->failed = 1;
		return;
	}
	r->restrictions = x;
	x = &x[r->n_restrictions++];
	memset(x, 0, sizeof(*x));
	tr__copy(x->kind, sizeof(x->kind), kind);
	x->scope = dup(o, scope);
	tr__copy(x->reason, sizeof(x->reason), reason);
}

static void
restrictions(struct out *o, proto_response *r)
{
	unsigned w = o->withheld;

	if (w & W_PRIVATE_NAMES)
		restrict_add(o, r, "withheld", "names, addresses and identity documents "
		    "of private holders: shown as licensed private holder, with "
		    "region and dates", "personal_data");
	if (w & W_PRIVATE_PARTIES)
		restrict_add(o, r, "withheld", "private holders: left out of the "
		    "history", "personal_data");
	if (w & W_PRIVATE_REGIONS)
		restrict_add(o, r, "withheld", "regions of private holders",
		    "personal_data");
	if (w & W_HOLDER_LICENCES)
		restrict_add(o, r, "withheld", "licence numbers of private holders",
		    "personal_data");
	if (w & W_NO_KEY) {
		restrict_add(o, r, "withheld", "names of private holders: not readable "
		    "without the registry's personal-data key", "other");
		if (!o->failed)
			r->restrictions[r->n_restrictions - 1].explanation = dup(o,
			    "the engine ran without the personal-data key file");
	}
	if (w & W_TRANSFER_LICENCES)
		restrict_add(o, r, "withheld", "licence numbers and end-user certificate "
		    "references", "policy");
	if (w & W_NOTES)
		restrict_add(o, r, "withheld", "the record office's notes on events",
		    "policy");
	if (w & W_WEAPON_IDS)
		restrict_add(o, r, "withheld", "the registry's weapon identifiers",
		    "policy");
}

/* Inclusion proofs of every disclosed event against the latest checkpoint,
 * read together.  Each must lead from the leaf hash of the event's record,
 * as the engine checked it against the row (tr__check_answer()), to the
 * checkpoint's root: a proof that does not is never signed. */
static int
proofs(reg_ctx *ctx, struct out *o, const struct tr__answer *ans,
    proto_response *r, reg_error *err)
{
	struct reg_checkpoint cp;
	const struct reg_search_event **tev = NULL;
	struct proto_event **ev = NULL;
	struct reg_proof **pr = NULL;
	uint64_t *idx = NULL;
	char *note = NULL;
	size_t i, j, k, n = 0, cap = 0;
	int rc;

	rc = reg_log_latest_checkpoint(ctx, &note, &cp, err);
	if (rc == REG_ENOTFOUND) {
		reg_error_clear(err);
		return 0;
	}
	if (rc != 0)
		return rc;
	r->checkpoint = dup(o, note);
	reg_free(note);
	for (i = 0; i < r->n_candidates; i++)
		cap += r->candidates[i].n_history;
	if (cap == 0)
		return 0;
	if ((ev = calloc(cap, sizeof(*ev))) == NULL ||
	    (tev = calloc(cap, sizeof(*tev))) == NULL ||
	    (idx = calloc(cap, sizeof(*idx))) == NULL ||
	    (pr = calloc(cap, sizeof(*pr))) == NULL) {
		rc = tr__fail(err, REG_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < r->n_candidates; i++)
		for (j = 0; j < r->candidates[i].n_history; j++) {
			struct proto_event *e = &r->candidates[i].history[j];

			if ((uint64_t)e->log_index >= cp.size)
				continue;	/* after the checkpoint */
			ev[n] = e;
			tev[n] = &ans->cands[i].ev[j];	/* history is ev in order */
			idx[n++] = (uint64_t)e->log_index;
		}
	if ((rc = reg_log_prove_inclusions(ctx, idx, n, cp.size, pr, err)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		struct proto_inclusion_proof *ip;
		reg_error e2 = REG_ERROR_INIT;

		if (!tev[i]->sealed || tev[i]->log_index != ev[i]->log_index ||
		    memcmp(pr[i]->leaf_hash.b, tev[i]->leaf_hash.b, 32) != 0 ||
		    reg_merkle_verify_inclusion(pr[i]->index, pr[i]->size,
		    &pr[i]->leaf_hash, pr[i]->hashes, pr[i]->n, &cp.root, &e2) != 0) {
			rc = tr__fail(err, REG_EVERIFY, "the inclusion proof of leaf %"
			    PRIu64 " (event %s) does not lead from its record's leaf to "
			    "the root of checkpoint %" PRIu64 ": the stored tree was "
			    "altered%s%s", pr[i]->index, tev[i]->id, cp.size,
			    e2.message[0] ? ": " : "", e2.message);
			goto out;
		}
		if ((ip = zalloc(o, 1, sizeof(*ip))) == NULL ||
		    (ip->hashes = zalloc(o, pr[i]->n, sizeof(*ip->hashes))) == NULL) {
			free(ip);
			rc = tr__fail(err, REG_ENOMEM, "out of memory");
			goto out;
		}
		ip->index = (int64_t)pr[i]->index;
		ip->size = (int64_t)pr[i]->size;
		memcpy(ip->leaf_hash.b, pr[i]->leaf_hash.b, 32);
		for (k = 0; k < pr[i]->n; k++)
			memcpy(ip->hashes[k].b, pr[i]->hashes[k].b, 32);
		ip->n_hashes = pr[i]->n;
		ev[i]->inclusion_proof = ip;
	}
	rc = 0;
out:
	for (i = 0; pr != NULL && i < n; i++)
		reg_free(pr[i]);
	free(pr);
	free(idx);
	free(tev);
	free(ev);
	return rc;
}

int
tr__respond(reg_ctx *ctx, const tr_policy *policy, const reg_pii_keyring *kr,
    const struct tr__audience *aud, const struct tr_options *opt,
    const proto_request *req, const struct tr__answer *ans,
    proto_response **out, reg_error *err)
{
	struct out o = { 0, 0, aud, kr };
	proto_response *r;
	const char *reasons[3];
	int i, n = 0, rc = 0;

	*out = NULL;
	if ((r = proto_response_new()) == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	tr__copy(r->id, sizeof(r->id), req->id);
	tr__copy(r->responding_state, sizeof(r->responding_state), policy->state);
	r->responding_authority.name = dup(&o, policy->authority);
	r->responding_authority.contact.name = dup(&o, policy->contact_name);
	if (policy->contact_email[0] != '\0')
		r->responding_authority.contact.email = dup(&o, policy->contact_email);
	if (policy->contact_phone[0] != '\0')
		r->responding_authority.contact.phone = dup(&o, policy->contact_phone);
	tr__copy(r->responded_at, sizeof(r->responded_at), ans->responded_at);
	tr__copy(r->status, sizeof(r->status), ans->status);
	if (ans->status_reason != NULL)
		reasons[n++] = ans->status_reason;
	if (ans->note != NULL)
		reasons[n++] = ans->note;
	if (ans->truncated != NULL)
		reasons[n++] = ans->truncated;
	if (n > 0 && (r->status_reasons = zalloc(&o, (size_t)n, sizeof(char *)))) {
		for (i = 0; i < n; i++)
			r->status_reasons[i] = dup(&o, reasons[i]);
		r->n_status_reasons = (size_t)n;
	}
	if (ans->nlisted > 0 &&
	    (r->candidates = zalloc(&o, (size_t)ans->nlisted, sizeof(*r->candidates)))) {
		for (i = 0; i < ans->nlisted; i++)
			candidate(&o, &ans->cands[i], &r->candidates[i]);
		r->n_candidates = (size_t)ans->nlisted;
	}
	restrictions(&o, r);
	if (!o.failed && opt->proofs && r->n_candidates > 0)
		rc = proofs(ctx, &o, ans, r, err);
	if (rc == 0 && o.failed)
		rc = tr__fail(err, REG_ENOMEM, "out of memory");
	if (rc != 0) {
		proto_response_free(r);
		return rc;
	}
	*out = r;
	return 0;
}
