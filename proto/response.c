/*
 * Trace responses ("trace-response/1"): the requested State's answer, its
 * candidates with their histories, where the legal chain ends, referrals
 * onward, and what was restricted; proto/README.md, "Trace response".
 */
#include "config.h"

#include <string.h>

#include "proto_int.h"

static const char *const statuses[] = {
	"found", "not_found", "ambiguous", "restricted", "need_more_info",
	"declined", NULL
};

static const char *const findings[] = {
	"theft_reported", "loss_reported", "destruction_contradicted",
	"deactivation_contradicted", "gap", NULL
};

static const char *const restriction_kinds[] = {
	"withheld", "delayed", "use_limited", NULL
};

/* ITI paragraphs 21 and 22, and the disclosure of personal data. */
static const char *const restriction_reasons[] = {
	"ongoing_investigation", "legal_confidentiality", "national_security",
	"personal_data", "policy", "other", NULL
};

/* ------------------------------------------------------ weapon record */

static const struct proto__field weapon_record_fields[] = {
	{ PROTO__F(struct proto_weapon_record, id, PROTO__K_UUID, 0) },
	{ PROTO__F(struct proto_weapon_record, serial, PROTO__K_LINE,
	  PROTO__REQUIRED), .max = 100 },
	{ PROTO__F(struct proto_weapon_record, manufacturer, PROTO__K_LINE, 0),
	  .max = 200 },
	{ PROTO__F(struct proto_weapon_record, model, PROTO__K_LINE, 0),
	  .max = 200 },
	{ PROTO__F(struct proto_weapon_record, type, PROTO__K_ENUM,
	  PROTO__REQUIRED), .values = proto__weapon_types },
	{ PROTO__F(struct proto_weapon_record, calibre, PROTO__K_LINE, 0),
	  .max = 100 },
	{ PROTO__F(struct proto_weapon_record, country_of_manufacture,
	  PROTO__K_COUNTRY, 0) },
	{ PROTO__F(struct proto_weapon_record, year_of_manufacture,
	  PROTO__K_INT, 0), .min = 1800, .imax = 2200 },
	{ PROTO__ARR(struct proto_weapon_record, markings, PROTO__K_OBJECT, 0,
	  64), .type = &proto__marking_type },
	{ PROTO__ARR(struct proto_weapon_record, components, PROTO__K_OBJECT,
	  0, 16), .type = &proto__component_type },
};

static const struct proto__type weapon_record_type = {
	sizeof(struct proto_weapon_record), weapon_record_fields,
	PROTO__NFIELDS(weapon_record_fields), NULL, NULL
};

/* ------------------------------------------------- diversion, referral */

static const struct proto__field diversion_fields[] = {
	{ PROTO__F(struct proto_diversion, last_legal_seq, PROTO__K_INT,
	  PROTO__REQUIRED), .min = 1, .imax = 2147483647 },
	{ PROTO__F(struct proto_diversion, finding, PROTO__K_ENUM,
	  PROTO__REQUIRED), .values = findings },
	{ PROTO__F(struct proto_diversion, event_seq, PROTO__K_INT, 0),
	  .min = 1, .imax = 2147483647 },
	{ PROTO__F(struct proto_diversion, date, PROTO__K_DATE, 0) },
	{ PROTO__F(struct proto_diversion, details, PROTO__K_TEXT, 0),
	  .max = 2000 },
};

static const struct proto__type diversion_type = {
	sizeof(struct proto_diversion), diversion_fields,
	PROTO__NFIELDS(diversion_fields), NULL, NULL
};

static const struct proto__field referral_fields[] = {
	{ PROTO__F(struct proto_referral, importing_state, PROTO__K_COUNTRY,
	  PROTO__REQUIRED) },
	{ PROTO__F(struct proto_referral, export_date, PROTO__K_DATE,
	  PROTO__REQUIRED) },
	{ PROTO__F(struct proto_referral, event_seq, PROTO__K_INT, 0),
	  .min = 1, .imax = 2147483647 },
	{ PROTO__F(struct proto_referral, licence, PROTO__K_OBJECT_PTR, 0),
	  .type = &proto__licence_type },
	{ PROTO__F(struct proto_referral, end_user_certificate, PROTO__K_LINE,
	  0), .max = 100 },
	{ PROTO__F(struct proto_referral, importer, PROTO__K_OBJECT_PTR, 0),
	  .type = &proto__party_type },
	{ PROTO__ARR(struct proto_referral, transit_countries, PROTO__K_COUNTRY,
	  0, 16) },
};

static const struct proto__type referral_type = {
	sizeof(struct proto_referral), referral_fields,
	PROTO__NFIELDS(referral_fields), NULL, NULL
};

/* ------------------------------------------------------------ candidate */

/* The history is in order, and what points into it finds its event. */
static int
check_candidate(struct proto__walk *w, const void *obj)
{
	const struct proto_candidate *c = obj;
	const struct proto_diversion *d = c->diversion;
	const struct proto_referral *rf = c->referral;
	const struct proto_event *e;
	int r;

	if ((r = proto__history_check(w, c->history, c->n_history)) != 0)
		return r;
	if (d != NULL) {
		if (proto__history_find(c->history, c->n_history,
		    d->last_legal_seq) == NULL)
			return proto__walk_fail_at(w, "diversion.last_legal_seq",
			    PROTO_EVALUE, "%d is not the seq of an event of "
			    "this candidate's history", d->last_legal_seq);
		if (d->event_seq != 0 && (proto__history_find(c->history,
		    c->n_history, d->event_seq) == NULL ||
		    d->event_seq <= d->last_legal_seq))
			return proto__walk_fail_at(w, "diversion.event_seq",
			    PROTO_EVALUE, "%d is not the seq of an event of "
			    "this candidate's history after the last legal one",
			    d->event_seq);
	}
	if (rf != NULL && rf->event_seq != 0) {
		e = proto__history_find(c->history, c->n_history, rf->event_seq);
		if (e == NULL || strcmp(e->kind, "export") != 0)
			return proto__walk_fail_at(w, "referral.event_seq",
			    PROTO_EVALUE, "%d is not the seq of an export event "
			    "of this candidate's history", rf->event_seq);
	}
	return 0;
}

static const struct proto__field candidate_fields[] = {
	{ PROTO__F(struct proto_candidate, score, PROTO__K_SCORE,
	  PROTO__REQUIRED) },
	{ PROTO__ARR(struct proto_candidate, reasons, PROTO__K_LINE,
	  PROTO__REQUIRED, 16), .max = 500 },
	{ PROTO__F(struct proto_candidate, weapon, PROTO__K_OBJECT,
	  PROTO__REQUIRED), .type = &weapon_record_type },
	{ PROTO__ARR(struct proto_candidate, history, PROTO__K_OBJECT, 0, 1000),
	  .type = &proto__event_type },
	{ PROTO__F(struct proto_candidate, last_legal_holder,
	  PROTO__K_OBJECT_PTR, 0), .type = &proto__party_type },
	{ PROTO__F(struct proto_candidate, diversion, PROTO__K_OBJECT_PTR, 0),
	  .type = &diversion_type },
	{ PROTO__F(struct proto_candidate, referral, PROTO__K_OBJECT_PTR, 0),
	  .type = &referral_type },
};

static const struct proto__type candidate_type = {
	sizeof(struct proto_candidate), candidate_fields,
	PROTO__NFIELDS(candidate_fields), check_candidate, NULL
};

/* ---------------------------------------------------------- restriction */

static const struct proto__field restriction_fields[] = {
	{ PROTO__F(struct proto_restriction, kind, PROTO__K_ENUM,
	  PROTO__REQUIRED), .values = restriction_kinds },
	{ PROTO__F(struct proto_restriction, scope, PROTO__K_LINE,
	  PROTO__REQUIRED), .max = 500 },
	{ PROTO__F(struct proto_restriction, reason, PROTO__K_ENUM,
	  PROTO__REQUIRED), .values = restriction_reasons },
	{ PROTO__F(struct proto_restriction, explanation, PROTO__K_TEXT, 0),
	  .max = 1000 },
	{ PROTO__F(struct proto_restriction, until, PROTO__K_DATE, 0) },
};

static const struct proto__type restriction_type = {
	sizeof(struct proto_restriction), restriction_fields,
	PROTO__NFIELDS(restriction_fields), NULL, NULL
};

/* ------------------------------------------------------------- response */

/* The status agrees with the candidates, reasons and restrictions. */
static int
check_response(struct proto__walk *w, const void *obj)
{
	const proto_response *rs = obj;
	const char *st = rs->status;
	char rel[48];
	size_t i;

	if (strcmp(st, "found") != 0 && rs->n_status_reasons == 0)
		return proto__walk_fail_at(w, "status_reasons", PROTO_EMISSING,
		    "required member missing (status '%s' says why)", st);
	if (strcmp(st, "found") == 0 || strcmp(st, "ambiguous") == 0) {
		if (rs->n_candidates == 0)
			return proto__walk_fail_at(w, "candidates",
			    PROTO_EMISSING, "required member missing "
			    "(status '%s' has candidates)", st);
		if (strcmp(st, "found") == 0 && rs->n_candidates != 1)
			return proto__walk_fail_at(w, "candidates", PROTO_EVALUE,
			    "status 'found' has exactly one candidate, not %zu "
			    "(more are 'ambiguous')", rs->n_candidates);
		if (strcmp(st, "ambiguous") == 0 && rs->n_candidates < 2)
			return proto__walk_fail_at(w, "candidates", PROTO_EVALUE,
			    "status 'ambiguous' has at least two candidates");
	} else if (strcmp(st, "restricted") != 0 && rs->n_candidates > 0) {
		return proto__walk_fail_at(w, "candidates", PROTO_EVALUE,
		    "must be absent when status is '%s'", st);
	}
	for (i = 1; i < rs->n_candidates; i++) {
		if (rs->candidates[i].score > rs->candidates[i - 1].score) {
			snprintf(rel, sizeof(rel), "candidates[%zu].score", i);
			return proto__walk_fail_at(w, rel, PROTO_EVALUE,
			    "%.4f is above the score before it: candidates are "
			    "in order of decreasing score",
			    rs->candidates[i].score);
		}
	}
	if (strcmp(st, "restricted") == 0 && rs->n_restrictions == 0)
		return proto__walk_fail_at(w, "restrictions", PROTO_EMISSING,
		    "required member missing (status 'restricted' says what "
		    "was restricted)");
	return 0;
}

static const struct proto__field response_fields[] = {
	{ PROTO__F(proto_response, id, PROTO__K_UUID, PROTO__REQUIRED) },
	{ PROTO__F(proto_response, responding_state, PROTO__K_COUNTRY,
	  PROTO__REQUIRED) },
	{ PROTO__F(proto_response, responding_authority, PROTO__K_OBJECT,
	  PROTO__REQUIRED), .type = &proto__authority_type },
	{ PROTO__F(proto_response, responded_at, PROTO__K_TIMESTAMP,
	  PROTO__REQUIRED) },
	{ PROTO__F(proto_response, status, PROTO__K_ENUM, PROTO__REQUIRED),
	  .values = statuses },
	{ PROTO__ARR(proto_response, status_reasons, PROTO__K_TEXT, 0, 16),
	  .max = 1000 },
	{ PROTO__ARR(proto_response, candidates, PROTO__K_OBJECT, 0, 50),
	  .type = &candidate_type },
	{ PROTO__ARR(proto_response, restrictions, PROTO__K_OBJECT, 0, 32),
	  .type = &restriction_type },
	{ PROTO__F(proto_response, checkpoint, PROTO__K_TEXT, 0),
	  .max = 8192, .format = proto__check_note_text },
};

const struct proto__type proto__response_type = {
	sizeof(proto_response), response_fields,
	PROTO__NFIELDS(response_fields), check_response, PROTO_SCHEMA_RESPONSE
};

/* ------------------------------------------------------------- public */

int
proto_response_parse(const char *json, size_t len, proto_response **out,
    proto_error *err)
{
	void *p = NULL;
	int r;

	if (out == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no place for the result");
	r = proto__doc_parse(json, len, &proto__response_type, &p, err);
	*out = p;
	return r;
}

int
proto_response_to_json(const proto_response *resp, char **out,
    proto_error *err)
{
	return proto__doc_write(&proto__response_type, resp, out, err);
}

proto_response *
proto_response_new(void)
{
	return calloc(1, sizeof(proto_response));
}

void
proto_response_free(proto_response *resp)
{
	proto__doc_free(&proto__response_type, resp);
}
