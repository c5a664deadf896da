/*
 * The parts that requests and responses share: authorities and their
 * contacts, markings, components, parties and licences.  The limits are
 * those of proto/README.md; the tests check them against it.
 */
#include "config.h"

#include <string.h>

#include "proto_int.h"

/* The ITI's small arms and light weapons (paragraph 4), as the registry
 * names them, and "other". */
const char *const proto__weapon_types[] = {
	"pistol", "revolver", "rifle", "carbine", "shotgun", "submachine_gun",
	"assault_rifle", "light_machine_gun", "heavy_machine_gun",
	"grenade_launcher", "anti_aircraft_gun", "anti_tank_gun",
	"recoilless_rifle", "anti_tank_launcher", "anti_aircraft_launcher",
	"mortar", "other", NULL
};

static const char *const marking_kinds[] = {
	"manufacture", "import", "state_stock", "proof", "remarking",
	"alternative_code", "other", NULL
};

static const char *const marking_locations[] = {
	"frame", "receiver", "slide", "barrel", "bolt", "cylinder",
	"metal_insert", "other", NULL
};

static const char *const component_kinds[] = {
	"frame", "receiver", "barrel", "slide", "bolt", "cylinder", "other",
	NULL
};

static const char *const party_kinds[] = {
	"manufacturer", "dealer", "broker", "state_agency", "foreign_importer",
	"foreign_exporter", "private_person", NULL
};

/* ------------------------------------------------------------- contact */

/* A contact must be reachable: by email, by telephone, or both. */
static int
check_contact(struct proto__walk *w, const void *obj)
{
	const struct proto_contact *c = obj;

	if (c->email == NULL && c->phone == NULL)
		return proto__walk_fail(w, PROTO_EMISSING,
		    "needs an email address (email) or a telephone number "
		    "(phone)");
	return 0;
}

static const struct proto__field contact_fields[] = {
	{ PROTO__F(struct proto_contact, name, PROTO__K_LINE, PROTO__REQUIRED),
	  .max = 200 },
	{ PROTO__F(struct proto_contact, email, PROTO__K_LINE, 0),
	  .max = 254, .format = proto__check_email },
	{ PROTO__F(struct proto_contact, phone, PROTO__K_LINE, 0),
	  .max = 50, .format = proto__check_phone },
	{ PROTO__F(struct proto_contact, address, PROTO__K_TEXT, 0),
	  .max = 500 },
};

const struct proto__type proto__contact_type = {
	sizeof(struct proto_contact), contact_fields,
	PROTO__NFIELDS(contact_fields), check_contact, NULL
};

static const struct proto__field authority_fields[] = {
	{ PROTO__F(struct proto_authority, name, PROTO__K_LINE, PROTO__REQUIRED),
	  .max = 300 },
	{ PROTO__F(struct proto_authority, contact, PROTO__K_OBJECT,
	  PROTO__REQUIRED), .type = &proto__contact_type },
};

const struct proto__type proto__authority_type = {
	sizeof(struct proto_authority), authority_fields,
	PROTO__NFIELDS(authority_fields), NULL, NULL
};

/* ------------------------------------------------ markings, components */

static const struct proto__field marking_fields[] = {
	{ PROTO__F(struct proto_marking, text, PROTO__K_LINE, PROTO__REQUIRED),
	  .max = 500 },
	{ PROTO__F(struct proto_marking, kind, PROTO__K_ENUM, 0),
	  .values = marking_kinds },
	{ PROTO__F(struct proto_marking, location, PROTO__K_ENUM, 0),
	  .values = marking_locations },
	{ PROTO__F(struct proto_marking, country, PROTO__K_COUNTRY, 0) },
	{ PROTO__F(struct proto_marking, year, PROTO__K_INT, 0),
	  .min = 1800, .imax = 2200 },
};

const struct proto__type proto__marking_type = {
	sizeof(struct proto_marking), marking_fields,
	PROTO__NFIELDS(marking_fields), NULL, NULL
};

static const struct proto__field component_fields[] = {
	{ PROTO__F(struct proto_component, kind, PROTO__K_ENUM, PROTO__REQUIRED),
	  .values = component_kinds },
	{ PROTO__F(struct proto_component, serial, PROTO__K_LINE,
	  PROTO__REQUIRED), .max = 100 },
};

const struct proto__type proto__component_type = {
	sizeof(struct proto_component), component_fields,
	PROTO__NFIELDS(component_fields), NULL, NULL
};

/* --------------------------------------------------- parties, licences */

static const struct proto__field party_fields[] = {
	{ PROTO__F(struct proto_party, kind, PROTO__K_ENUM, PROTO__REQUIRED),
	  .values = party_kinds },
	{ PROTO__F(struct proto_party, name, PROTO__K_LINE, PROTO__REQUIRED),
	  .max = 300 },
	{ PROTO__F(struct proto_party, country, PROTO__K_COUNTRY,
	  PROTO__REQUIRED) },
	{ PROTO__F(struct proto_party, region, PROTO__K_LINE, 0), .max = 200 },
	{ PROTO__F(struct proto_party, licence, PROTO__K_LINE, 0), .max = 200 },
};

const struct proto__type proto__party_type = {
	sizeof(struct proto_party), party_fields,
	PROTO__NFIELDS(party_fields), NULL, NULL
};

/* A licence says something, and does not expire before it is issued. */
static int
check_licence(struct proto__walk *w, const void *obj)
{
	const struct proto_licence *l = obj;

	if (l->number == NULL && l->issued[0] == '\0' && l->expires[0] == '\0')
		return proto__walk_fail(w, PROTO_EMISSING,
		    "needs at least one of number, issued, expires");
	/* Dates in YYYY-MM-DD compare as text. */
	if (l->issued[0] != '\0' && l->expires[0] != '\0' &&
	    strcmp(l->expires, l->issued) < 0)
		return proto__walk_fail_at(w, "expires", PROTO_EVALUE,
		    "'%s' is before the licence was issued (%s)", l->expires,
		    l->issued);
	return 0;
}

static const struct proto__field licence_fields[] = {
	{ PROTO__F(struct proto_licence, number, PROTO__K_LINE, 0), .max = 100 },
	{ PROTO__F(struct proto_licence, issued, PROTO__K_DATE, 0) },
	{ PROTO__F(struct proto_licence, expires, PROTO__K_DATE, 0) },
};

const struct proto__type proto__licence_type = {
	sizeof(struct proto_licence), licence_fields,
	PROTO__NFIELDS(licence_fields), check_licence, NULL
};
