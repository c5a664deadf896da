/*
 * Trace requests ("trace-request/1"): what the requesting State knows of
 * the weapon it found, why it is illicit, and who asks; proto/README.md,
 * "Trace request".
 */
#include "config.h"

#include <string.h>

#include "proto_int.h"

static const char *const serial_conditions[] = {
	"legible", "partly_legible", "restored", "partly_restored",
	"obliterated", NULL
};

static const char *const priorities[] = { "urgent", "routine", NULL };

/* The grounds on which a weapon is illicit, after ITI paragraph 6. */
static const char *const illicit_grounds[] = {
	"illicit_under_national_law", "embargo_violation", "not_marked",
	"unlicensed", NULL
};

/* -------------------------------------------------------------- weapon */

/* An import marking shows at least one of these. */
static int
check_importer(struct proto__walk *w, const void *obj)
{
	const struct proto_importer *im = obj;

	if (im->name == NULL && im->country[0] == '\0' && im->year == 0)
		return proto__walk_fail(w, PROTO_EMISSING,
		    "needs at least one of name, country, year");
	return 0;
}

static const struct proto__field importer_fields[] = {
	{ PROTO__F(struct proto_importer, name, PROTO__K_LINE, 0), .max = 300 },
	{ PROTO__F(struct proto_importer, country, PROTO__K_COUNTRY, 0) },
	{ PROTO__F(struct proto_importer, year, PROTO__K_INT, 0),
	  .min = 1800, .imax = 2200 },
};

static const struct proto__type importer_type = {
	sizeof(struct proto_importer), importer_fields,
	PROTO__NFIELDS(importer_fields), check_importer, NULL
};

/* The wildcards of the serial agree with its condition. */
static int
check_weapon(struct proto__walk *w, const void *obj)
{
	const struct proto_weapon *wp = obj;
	const char *why;
	char ex[80];

	why = proto__check_serial(wp->serial, wp->serial_condition);
	if (why != NULL) {
		proto__excerpt(wp->serial, strlen(wp->serial), 40, ex, sizeof(ex));
		return proto__walk_fail_at(w, "serial", PROTO_EVALUE,
		    "'%s' %s (serial_condition is %s)", ex, why,
		    wp->serial_condition);
	}
	return 0;
}

static const struct proto__field weapon_fields[] = {
	{ PROTO__F(struct proto_weapon, serial, PROTO__K_LINE, PROTO__REQUIRED),
	  .max = 100 },
	{ PROTO__F(struct proto_weapon, serial_condition, PROTO__K_ENUM,
	  PROTO__REQUIRED), .values = serial_conditions },
	{ PROTO__F(struct proto_weapon, manufacturer, PROTO__K_LINE, 0),
	  .max = 200 },
	{ PROTO__F(struct proto_weapon, model, PROTO__K_LINE, 0), .max = 200 },
	{ PROTO__F(struct proto_weapon, type, PROTO__K_ENUM, PROTO__REQUIRED),
	  .values = proto__weapon_types },
	{ PROTO__F(struct proto_weapon, calibre, PROTO__K_LINE, 0), .max = 100 },
	{ PROTO__F(struct proto_weapon, country_of_manufacture,
	  PROTO__K_COUNTRY, 0) },
	{ PROTO__F(struct proto_weapon, year_of_manufacture, PROTO__K_INT, 0),
	  .min = 1800, .imax = 2200 },
	{ PROTO__ARR(struct proto_weapon, markings, PROTO__K_OBJECT, 0, 64),
	  .type = &proto__marking_type },
	{ PROTO__ARR(struct proto_weapon, components, PROTO__K_OBJECT, 0, 16),
	  .type = &proto__component_type },
	{ PROTO__F(struct proto_weapon, importer, PROTO__K_OBJECT_PTR, 0),
	  .type = &importer_type },
	{ PROTO__F(struct proto_weapon, notes, PROTO__K_TEXT, 0), .max = 2000 },
};

static const struct proto__type weapon_type = {
	sizeof(struct proto_weapon), weapon_fields,
	PROTO__NFIELDS(weapon_fields), check_weapon, NULL
};

/* -------------------------------------------------- illicit, found */

/* Each ground is given once. */
static int
check_illicit_basis(struct proto__walk *w, const void *obj)
{
	const struct proto_illicit_basis *b = obj;
	char rel[32];
	size_t i, j;

	for (i = 1; i < b->n_grounds; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(b->grounds[i], b->grounds[j]) == 0) {
				snprintf(rel, sizeof(rel), "grounds[%zu]", i);
				return proto__walk_fail_at(w, rel, PROTO_EVALUE,
				    "'%s' is given twice", b->grounds[i]);
			}
		}
	}
	return 0;
}

static const struct proto__field illicit_basis_fields[] = {
	{ PROTO__ARR(struct proto_illicit_basis, grounds, PROTO__K_ENUM,
	  PROTO__REQUIRED, 4), .values = illicit_grounds },
	{ PROTO__F(struct proto_illicit_basis, legal_reference, PROTO__K_LINE,
	  PROTO__REQUIRED), .max = 500 },
	{ PROTO__F(struct proto_illicit_basis, details, PROTO__K_TEXT, 0),
	  .max = 2000 },
};

static const struct proto__type illicit_basis_type = {
	sizeof(struct proto_illicit_basis), illicit_basis_fields,
	PROTO__NFIELDS(illicit_basis_fields), check_illicit_basis, NULL
};

static const struct proto__field found_fields[] = {
	{ PROTO__F(struct proto_found, date, PROTO__K_DATE, PROTO__REQUIRED) },
	{ PROTO__F(struct proto_found, place, PROTO__K_LINE, PROTO__REQUIRED),
	  .max = 300 },
	{ PROTO__F(struct proto_found, country, PROTO__K_COUNTRY,
	  PROTO__REQUIRED) },
	{ PROTO__F(struct proto_found, circumstances, PROTO__K_TEXT,
	  PROTO__REQUIRED), .max = 4000 },
};

static const struct proto__type found_type = {
	sizeof(struct proto_found), found_fields, PROTO__NFIELDS(found_fields),
	NULL, NULL
};

/* ------------------------------------------------------------ request */

/* A request does not follow from itself. */
static int
check_request(struct proto__walk *w, const void *obj)
{
	const proto_request *req = obj;

	if (strcmp(req->parent_id, req->id) == 0)
		return proto__walk_fail_at(w, "parent_id", PROTO_EVALUE,
		    "is the request's own id");
	return 0;
}

static const struct proto__field request_fields[] = {
	{ PROTO__F(proto_request, id, PROTO__K_UUID, PROTO__REQUIRED) },
	{ PROTO__F(proto_request, parent_id, PROTO__K_UUID, 0) },
	{ PROTO__F(proto_request, requesting_state, PROTO__K_COUNTRY,
	  PROTO__REQUIRED) },
	{ PROTO__F(proto_request, requested_state, PROTO__K_COUNTRY,
	  PROTO__REQUIRED) },
	{ PROTO__F(proto_request, requesting_authority, PROTO__K_OBJECT,
	  PROTO__REQUIRED), .type = &proto__authority_type },
	{ PROTO__F(proto_request, priority, PROTO__K_ENUM, PROTO__REQUIRED),
	  .values = priorities },
	{ PROTO__F(proto_request, created_at, PROTO__K_TIMESTAMP,
	  PROTO__REQUIRED) },
	{ PROTO__F(proto_request, case_reference, PROTO__K_LINE,
	  PROTO__REQUIRED), .max = 100 },
	{ PROTO__F(proto_request, weapon, PROTO__K_OBJECT, PROTO__REQUIRED),
	  .type = &weapon_type },
	{ PROTO__F(proto_request, illicit_basis, PROTO__K_OBJECT,
	  PROTO__REQUIRED), .type = &illicit_basis_type },
	{ PROTO__F(proto_request, found, PROTO__K_OBJECT, PROTO__REQUIRED),
	  .type = &found_type },
	{ PROTO__F(proto_request, intended_use, PROTO__K_TEXT, PROTO__REQUIRED),
	  .max = 2000 },
	{ PROTO__ARR(proto_request, caveats, PROTO__K_TEXT, 0, 16),
	  .max = 1000 },
	{ PROTO__F(proto_request, follow_referrals, PROTO__K_BOOL, 0) },
};

const struct proto__type proto__request_type = {
	sizeof(proto_request), request_fields, PROTO__NFIELDS(request_fields),
	check_request, PROTO_SCHEMA_REQUEST
};

/* ------------------------------------------------------------- public */

int
proto_request_parse(const char *json, size_t len, proto_request **out,
    proto_error *err)
{
	void *p = NULL;
	int r;

	if (out == NULL)
		return proto__fail(err, PROTO_EINVAL, "", "no place for the result");
	r = proto__doc_parse(json, len, &proto__request_type, &p, err);
	*out = p;
	return r;
}

int
proto_request_to_json(const proto_request *req, char **out, proto_error *err)
{
	return proto__doc_write(&proto__request_type, req, out, err);
}

proto_request *
proto_request_new(void)
{
	return calloc(1, sizeof(proto_request));
}

void
proto_request_free(proto_request *req)
{
	proto__doc_free(&proto__request_type, req);
}
