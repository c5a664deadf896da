/* regctl's record commands: manufacturers, parties, weapons, markings,
 * components, events and corrections. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "registry/cli.h"
#include "regctl_int.h"

/* Every option any record command takes; each command uses some. */
struct recopts {
	const char *name, *country, *kind, *alias, *region, *licence, *office_ref;
	const char *person_name, *address, *id_document, *birth_date;
	const char *manufacturer, *model, *type, *calibre, *serial;
	const char *mark_kind, *mark_text, *location, *new_serial;
	const char *date, *from, *to, *licence_number, *licence_issued;
	const char *licence_expires, *euc, *export_country, *import_country;
	const char *transit, *final_recipient, *certificate, *note, *reason;
	const char *pii_key, *limit;
	int year, json;
};

enum {
	O_DB = 256, O_NAME, O_COUNTRY, O_KIND, O_ALIAS, O_REGION, O_LICENCE,
	O_OFFICE_REF, O_PERSON_NAME, O_ADDRESS, O_ID_DOCUMENT, O_BIRTH_DATE,
	O_MANUFACTURER, O_MODEL, O_TYPE, O_CALIBRE, O_SERIAL, O_YEAR, O_MARK_KIND,
	O_MARK_TEXT, O_LOCATION, O_NEW_SERIAL, O_DATE, O_FROM, O_TO,
	O_LICENCE_NUMBER, O_LICENCE_ISSUED, O_LICENCE_EXPIRES, O_EUC,
	O_EXPORT_COUNTRY, O_IMPORT_COUNTRY, O_TRANSIT, O_FINAL_RECIPIENT,
	O_CERTIFICATE, O_NOTE, O_REASON, O_PII_KEY, O_LIMIT, O_JSON, O_HELP
};

static const struct option recoptions[] = {
	{ "db", required_argument, NULL, O_DB },
	{ "name", required_argument, NULL, O_NAME },
	{ "country", required_argument, NULL, O_COUNTRY },
	{ "kind", required_argument, NULL, O_KIND },
	{ "alias", required_argument, NULL, O_ALIAS },
	{ "region", required_argument, NULL, O_REGION },
	{ "licence", required_argument, NULL, O_LICENCE },
	{ "office-ref", required_argument, NULL, O_OFFICE_REF },
	{ "person-name", required_argument, NULL, O_PERSON_NAME },
	{ "address", required_argument, NULL, O_ADDRESS },
	{ "id-document", required_argument, NULL, O_ID_DOCUMENT },
	{ "birth-date", required_argument, NULL, O_BIRTH_DATE },
	{ "manufacturer", required_argument, NULL, O_MANUFACTURER },
	{ "model", required_argument, NULL, O_MODEL },
	{ "type", required_argument, NULL, O_TYPE },
	{ "calibre", required_argument, NULL, O_CALIBRE },
	{ "serial", required_argument, NULL, O_SERIAL },
	{ "year", required_argument, NULL, O_YEAR },
	{ "mark-kind", required_argument, NULL, O_MARK_KIND },
	{ "mark", required_argument, NULL, O_MARK_TEXT },
	{ "location", required_argument, NULL, O_LOCATION },
	{ "new-serial", required_argument, NULL, O_NEW_SERIAL },
	{ "date", required_argument, NULL, O_DATE },
	{ "from", required_argument, NULL, O_FROM },
	{ "to", required_argument, NULL, O_TO },
	{ "licence-number", required_argument, NULL, O_LICENCE_NUMBER },
	{ "licence-issued", required_argument, NULL, O_LICENCE_ISSUED },
	{ "licence-expires", required_argument, NULL, O_LICENCE_EXPIRES },
	{ "euc", required_argument, NULL, O_EUC },
	{ "export-country", required_argument, NULL, O_EXPORT_COUNTRY },
	{ "import-country", required_argument, NULL, O_IMPORT_COUNTRY },
	{ "transit", required_argument, NULL, O_TRANSIT },
	{ "final-recipient", required_argument, NULL, O_FINAL_RECIPIENT },
	{ "certificate", required_argument, NULL, O_CERTIFICATE },
	{ "note", required_argument, NULL, O_NOTE },
	{ "reason", required_argument, NULL, O_REASON },
	{ "pii-key", required_argument, NULL, O_PII_KEY },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 }
};

static int
parse_year(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1800 || v > 2200)
		return -1;
	*out = (int)v;
	return 0;
}

/* Parses options; returns 0, 1 for --help, or 2 after a usage error. */
static int
parse(struct regctl_common *c, const char *cmd, int argc, char **argv,
    struct recopts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "h", recoptions, NULL)) != -1) {
		switch (ch) {
		case O_DB: c->db = optarg; break;
		case O_NAME: o->name = optarg; break;
		case O_COUNTRY: o->country = optarg; break;
		case O_KIND: o->kind = optarg; break;
		case O_ALIAS: o->alias = optarg; break;
		case O_REGION: o->region = optarg; break;
		case O_LICENCE: o->licence = optarg; break;
		case O_OFFICE_REF: o->office_ref = optarg; break;
		case O_PERSON_NAME: o->person_name = optarg; break;
		case O_ADDRESS: o->address = optarg; break;
		case O_ID_DOCUMENT: o->id_document = optarg; break;
		case O_BIRTH_DATE: o->birth_date = optarg; break;
		case O_MANUFACTURER: o->manufacturer = optarg; break;
		case O_MODEL: o->model = optarg; break;
		case O_TYPE: o->type = optarg; break;
		case O_CALIBRE: o->calibre = optarg; break;
		case O_SERIAL: o->serial = optarg; break;
		case O_YEAR:
			if (parse_year(optarg, &o->year) != 0)
				return regctl_usage(cmd, "--year must be a year from 1800 to 2200");
			break;
		case O_MARK_KIND: o->mark_kind = optarg; break;
		case O_MARK_TEXT: o->mark_text = optarg; break;
		case O_LOCATION: o->location = optarg; break;
		case O_NEW_SERIAL: o->new_serial = optarg; break;
		case O_DATE: o->date = optarg; break;
		case O_FROM: o->from = optarg; break;
		case O_TO: o->to = optarg; break;
		case O_LICENCE_NUMBER: o->licence_number = optarg; break;
		case O_LICENCE_ISSUED: o->licence_issued = optarg; break;
		case O_LICENCE_EXPIRES: o->licence_expires = optarg; break;
		case O_EUC: o->euc = optarg; break;
		case O_EXPORT_COUNTRY: o->export_country = optarg; break;
		case O_IMPORT_COUNTRY: o->import_country = optarg; break;
		case O_TRANSIT: o->transit = optarg; break;
		case O_FINAL_RECIPIENT: o->final_recipient = optarg; break;
		case O_CERTIFICATE: o->certificate = optarg; break;
		case O_NOTE: o->note = optarg; break;
		case O_REASON: o->reason = optarg; break;
		case O_PII_KEY: o->pii_key = optarg; break;
		case O_LIMIT: o->limit = optarg; break;
		case O_JSON: o->json = 1; break;
		case O_HELP: case 'h': return 1;
		default: return regctl_usage(cmd, "bad option");
		}
	}
	return 0;
}

static void
print_written(const char *what, const struct reg_written *w, int json)
{
	char id[REG_UUID_STR];

	reg_uuid_format(&w->id, id);
	if (json)
		printf("{\"record\": \"%s\", \"id\": \"%s\", \"log_index\": %llu}\n", what, id,
		    (unsigned long long)w->log_index);
	else
		printf("%s %s log_index %llu\n", what, id, (unsigned long long)w->log_index);
}

const char *
regctl_pii_key_path(const char *opt)
{
	static char buf[1100];
	const char *env = getenv("REGISTRY_PII_KEY");

	if (opt != NULL)
		return opt;
	if (env != NULL && *env != '\0')
		return env;
	snprintf(buf, sizeof(buf), "%s/var/keys/pii.key", REG_BUILDDIR);
	return buf;
}

/* Runs fn on an open context and reports; shared by every command. */
#define OPEN_OR_FAIL(c, ctx, err) \
	if (cli_open((c)->db, 0, &(ctx), &(err)) != 0) \
		return regctl_fail(&(err))

static int
resolve_party(reg_ctx *ctx, const char *ref, reg_uuid *out, const reg_uuid **p,
    reg_error *err)
{
	*p = NULL;
	if (ref == NULL || *ref == '\0')
		return 0;
	if (reg_party_find(ctx, ref, out, err) != 0)
		return -1;
	*p = out;
	return 0;
}

int
regctl_manufacturer(struct regctl_common *c, int argc, char **argv)
{
	struct recopts o;
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	struct reg_written w;
	reg_uuid m;
	const char *sub = argc > 1 ? argv[1] : "";
	int r;

	if ((r = parse(c, "manufacturer", argc, argv, &o)) != 0 || optind + 1 != argc) {
		printf("Usage: " PROG " manufacturer add --name NAME --country CC [--json]\n"
		    "       " PROG " manufacturer alias --manufacturer NAME|ID --alias TEXT "
		    "[--kind name|code]\n"
		    "       " PROG " manufacturer find --name NAME|CODE [--json]\n"
		    "\n"
		    "A manufacturer is found by any of its names and codes (compared in\n"
		    "upper case, letters and digits only).\n");
		return r == 1 ? 0 : 2;
	}
	sub = argv[optind];
	OPEN_OR_FAIL(c, ctx, err);
	if (strcmp(sub, "add") == 0) {
		if ((r = reg_manufacturer_add(ctx, o.name, o.country, &w, &err)) == 0)
			print_written("manufacturer", &w, o.json);
	} else if (strcmp(sub, "alias") == 0) {
		if ((r = reg_manufacturer_find(ctx, o.manufacturer, &m, &err)) == 0 &&
		    (r = reg_manufacturer_alias_add(ctx, &m, o.alias,
		    o.kind ? o.kind : "name", &w, &err)) == 0)
			print_written("manufacturer_alias", &w, o.json);
	} else if (strcmp(sub, "find") == 0) {
		if ((r = reg_manufacturer_find(ctx, o.name, &m, &err)) == 0) {
			char id[REG_UUID_STR];

			reg_uuid_format(&m, id);
			printf(o.json ? "{\"id\": \"%s\"}\n" : "%s\n", id);
		}
	} else {
		reg_close(ctx);
		return regctl_usage("manufacturer", "unknown subcommand '%s'", sub);
	}
	reg_close(ctx);
	return r == 0 ? 0 : regctl_fail(&err);
}

int
regctl_party(struct regctl_common *c, int argc, char **argv)
{
	struct recopts o;
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	reg_pii_keyring *kr = NULL;
	struct reg_person person;
	struct reg_party_in in;
	struct reg_written w;
	int r;

	if ((r = parse(c, "party", argc, argv, &o)) != 0 || optind + 1 != argc ||
	    strcmp(argv[optind], "add") != 0) {
		printf("Usage: " PROG " party add --kind KIND --country CC [--name NAME]\n"
		    "         [--region R] [--licence L] [--office-ref REF] [--json]\n"
		    "         [--person-name N --address A --id-document D --birth-date YYYY-MM-DD\n"
		    "          --pii-key FILE]   (private persons)\n"
		    "\n"
		    "KIND: manufacturer, dealer, broker, state_agency, foreign_importer,\n"
		    "foreign_exporter, private_person.  A private person's identity is\n"
		    "encrypted with the personal-data key (--pii-key, REGISTRY_PII_KEY, or\n"
		    "%s) and enters the log only as a salted hash.\n",
		    regctl_pii_key_path(NULL));
		return r == 1 ? 0 : 2;
	}
	memset(&in, 0, sizeof(in));
	memset(&person, 0, sizeof(person));
	in.kind = o.kind;
	in.name = o.name;
	in.country = o.country;
	in.region = o.region;
	in.licence = o.licence;
	in.office_ref = o.office_ref;
	if (o.person_name != NULL || o.address != NULL || o.id_document != NULL ||
	    o.birth_date != NULL) {
		if ((o.person_name && strlen(o.person_name) >= REG_PII_FIELD_MAX) ||
		    (o.address && strlen(o.address) >= REG_PII_FIELD_MAX) ||
		    (o.id_document && strlen(o.id_document) >= REG_PII_FIELD_MAX) ||
		    (o.birth_date && strlen(o.birth_date) >= sizeof(person.birth_date)))
			return regctl_usage("party", "an identity field is too long");
		snprintf(person.name, sizeof(person.name), "%s", o.person_name ? o.person_name : "");
		snprintf(person.address, sizeof(person.address), "%s", o.address ? o.address : "");
		snprintf(person.id_document, sizeof(person.id_document), "%s",
		    o.id_document ? o.id_document : "");
		snprintf(person.birth_date, sizeof(person.birth_date), "%s",
		    o.birth_date ? o.birth_date : "");
		in.person = &person;
		if ((r = reg_pii_keyring_load(regctl_pii_key_path(o.pii_key), &kr, &err)) != 0)
			goto out;
	}
	if ((r = cli_open(c->db, 0, &ctx, &err)) != 0)
		goto out;
	if ((r = reg_party_add(ctx, kr, &in, &w, &err)) == 0)
		print_written("party", &w, o.json);
out:
	reg_pii_keyring_free(kr);
	reg_close(ctx);
	return r == 0 ? 0 : regctl_fail(&err);
}

static void
weapon_help(void)
{
	printf("Usage: " PROG " weapon register --serial S --type TYPE --country CC\n"
	    "         [--manufacturer NAME] [--model M] [--calibre C] [--year Y]\n"
	    "         [--office-ref REF] --mark TEXT [--mark-kind manufacture|alternative_code]\n"
	    "         [--location LOC] [--json]\n"
	    "       " PROG " weapon show ID [--json] [--pii-key FILE]\n"
	    "       " PROG " weapon find --serial S [--manufacturer NAME] [--limit N] [--json]\n"
	    "       " PROG " weapon types\n"
	    "\n"
	    "A weapon is registered together with its manufacture marking (or an\n"
	    "alternative code).  'show' prints its identity, markings, components\n"
	    "and history with status, holder and the date each record's retention\n"
	    "could lapse.\n");
}

/* Prints a weapon as text from its JSON. */
static void
print_weapon_text(const char *js)
{
	json_t *w = json_loads(js, 0, NULL), *v, *p;
	size_t i;

	if (w == NULL) {
		puts(js);
		return;
	}
	printf("weapon     %s (log %lld)\n", json_string_value(json_object_get(w, "id")),
	    json_integer_value(json_object_get(w, "log_index")));
	v = json_object_get(w, "manufacturer");
	printf("maker      %s %s, %s\n",
	    json_is_object(v) ? json_string_value(json_object_get(v, "name")) : "(unknown)",
	    json_string_value(json_object_get(w, "model")) ?: "",
	    json_string_value(json_object_get(w, "type")));
	printf("serial     %s   calibre %s   made in %s %lld\n",
	    json_string_value(json_object_get(w, "serial")),
	    json_string_value(json_object_get(w, "calibre")) ?: "-",
	    json_string_value(json_object_get(w, "country_of_manufacture")),
	    json_integer_value(json_object_get(w, "year_of_manufacture")));
	p = json_object_get(w, "holder");
	printf("status     %s%s%s\n", json_string_value(json_object_get(w, "status")),
	    json_is_object(p) ? ", held by " : "",
	    json_is_object(p) ? json_string_value(json_object_get(p, "name")) : "");
	json_array_foreach(json_object_get(w, "markings"), i, v)
		printf("mark       %-16s %s%s%s\n", json_string_value(json_object_get(v, "kind")),
		    json_string_value(json_object_get(v, "text")),
		    json_is_string(json_object_get(v, "location")) ? " on " : "",
		    json_string_value(json_object_get(v, "location")) ?: "");
	json_array_foreach(json_object_get(w, "components"), i, v)
		printf("component  %-16s %s\n", json_string_value(json_object_get(v, "kind")),
		    json_string_value(json_object_get(v, "serial")));
	json_array_foreach(json_object_get(w, "history"), i, v) {
		json_t *f = json_object_get(v, "from"), *t = json_object_get(v, "to");

		printf("%3lld %s %-18s %s%s%s%s%s%s\n",
		    json_integer_value(json_object_get(v, "seq")),
		    json_string_value(json_object_get(v, "date")),
		    json_string_value(json_object_get(v, "kind")),
		    json_is_object(f) ? "from " : "",
		    json_is_object(f) ? json_string_value(json_object_get(f, "name")) : "",
		    json_is_object(t) ? " to " : "",
		    json_is_object(t) ? json_string_value(json_object_get(t, "name")) : "",
		    json_is_string(json_object_get(v, "corrects")) ? " (correction)" : "",
		    json_is_string(json_object_get(v, "corrected_by")) ? " (corrected)" : "");
	}
	json_decref(w);
}

int
regctl_weapon(struct regctl_common *c, int argc, char **argv)
{
	struct recopts o;
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	reg_pii_keyring *kr = NULL;
	struct reg_weapon_in in;
	struct reg_marking_in mk;
	struct reg_written w, m;
	reg_uuid id;
	char *js = NULL;
	const char *sub;
	int r;

	if ((r = parse(c, "weapon", argc, argv, &o)) != 0 || optind >= argc) {
		weapon_help();
		return r == 1 ? 0 : 2;
	}
	sub = argv[optind];
	if (strcmp(sub, "types") == 0) {
		printf("pistol revolver rifle carbine shotgun submachine_gun assault_rifle\n"
		    "light_machine_gun heavy_machine_gun grenade_launcher anti_aircraft_gun\n"
		    "anti_tank_gun recoilless_rifle anti_tank_launcher anti_aircraft_launcher\n"
		    "mortar\n");
		return 0;
	}
	if ((strcmp(sub, "show") == 0) != (optind + 2 == argc) ||
	    (strcmp(sub, "show") != 0 && optind + 1 != argc))
		return regctl_usage("weapon", "wrong arguments for '%s'", sub);
	if ((r = cli_open(c->db, 0, &ctx, &err)) != 0)
		goto out;
	if (strcmp(sub, "register") == 0) {
		memset(&in, 0, sizeof(in));
		memset(&mk, 0, sizeof(mk));
		mk.kind = o.mark_kind ? o.mark_kind : "manufacture";
		mk.text = o.mark_text;
		mk.location = o.location;
		mk.country = o.country;
		mk.year = o.year;
		in.office_ref = o.office_ref;
		in.manufacturer = o.manufacturer;
		in.model = o.model;
		in.type = o.type;
		in.calibre = o.calibre;
		in.serial = o.serial;
		in.country = o.country;
		in.year = o.year;
		in.marking = o.mark_text ? &mk : NULL;
		if ((r = reg_weapon_register(ctx, &in, &w, &m, &err)) == 0) {
			print_written("weapon", &w, o.json);
			print_written("marking", &m, o.json);
		}
	} else if (strcmp(sub, "show") == 0) {
		if (o.pii_key != NULL &&
		    (r = reg_pii_keyring_load(o.pii_key, &kr, &err)) != 0)
			goto out;
		if ((r = reg_uuid_parse(argv[optind + 1], &id, &err)) == 0 &&
		    (r = reg_weapon_show(ctx, &id, kr, &js, &err)) == 0) {
			if (o.json)
				printf("%s\n", js);
			else
				print_weapon_text(js);
		}
	} else if (strcmp(sub, "find") == 0) {
		if ((r = reg_weapon_find(ctx, o.serial, o.manufacturer,
		    o.limit ? atoi(o.limit) : 100, &js, &err)) == 0) {
			if (o.json) {
				printf("%s\n", js);
			} else {
				json_t *a = json_loads(js, 0, NULL), *v;
				size_t i;

				json_array_foreach(a, i, v)
					printf("%s  %-12s %-20s %s %s\n",
					    json_string_value(json_object_get(v, "id")),
					    json_string_value(json_object_get(v, "serial")),
					    json_string_value(json_object_get(v, "manufacturer")) ?: "-",
					    json_string_value(json_object_get(v, "model")) ?: "-",
					    json_string_value(json_object_get(v, "type")));
				json_decref(a);
			}
		}
	} else {
		r = regctl_usage("weapon", "unknown subcommand '%s'", sub);
		reg_close(ctx);
		return r;
	}
out:
	reg_free(js);
	reg_pii_keyring_free(kr);
	reg_close(ctx);
	return r == 0 ? 0 : regctl_fail(&err);
}

int
regctl_mark(struct regctl_common *c, int argc, char **argv)
{
	struct recopts o;
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	struct reg_marking_in mk;
	struct reg_written w;
	reg_uuid id;
	int r;

	if ((r = parse(c, "mark", argc, argv, &o)) != 0 || optind + 1 != argc) {
		printf("Usage: " PROG " mark WEAPON-ID --kind KIND --mark TEXT [--location LOC]\n"
		    "         [--country CC] [--year Y] [--new-serial S] [--json]\n"
		    "\n"
		    "KIND: manufacture, import, state_stock, proof, remarking, alternative_code.\n"
		    "An import marking needs --country (and --year where known), and\n"
		    "--new-serial for a weapon without adequate marks.\n");
		return r == 1 ? 0 : 2;
	}
	memset(&mk, 0, sizeof(mk));
	mk.kind = o.kind;
	mk.text = o.mark_text;
	mk.location = o.location;
	mk.country = o.country;
	mk.year = o.year;
	mk.new_serial = o.new_serial;
	if ((r = reg_uuid_parse(argv[optind], &id, &err)) == 0 &&
	    (r = cli_open(c->db, 0, &ctx, &err)) == 0 &&
	    (r = reg_marking_add(ctx, &id, &mk, &w, &err)) == 0)
		print_written("marking", &w, o.json);
	reg_close(ctx);
	return r == 0 ? 0 : regctl_fail(&err);
}

int
regctl_component(struct regctl_common *c, int argc, char **argv)
{
	struct recopts o;
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	struct reg_written w;
	reg_uuid id;
	int r;

	if ((r = parse(c, "component", argc, argv, &o)) != 0 || optind + 2 != argc ||
	    strcmp(argv[optind], "add") != 0) {
		printf("Usage: " PROG " component add WEAPON-ID --kind KIND --serial S [--json]\n"
		    "\n"
		    "KIND: frame, receiver, barrel, slide, bolt, cylinder, other.\n");
		return r == 1 ? 0 : 2;
	}
	if ((r = reg_uuid_parse(argv[optind + 1], &id, &err)) == 0 &&
	    (r = cli_open(c->db, 0, &ctx, &err)) == 0 &&
	    (r = reg_component_add(ctx, &id, o.kind, o.serial, &w, &err)) == 0)
		print_written("component", &w, o.json);
	reg_close(ctx);
	return r == 0 ? 0 : regctl_fail(&err);
}

static void
event_in(const struct recopts *o, struct reg_event_in *in)
{
	memset(in, 0, sizeof(*in));
	in->kind = o->kind;
	in->date = o->date;
	in->licence_number = o->licence_number;
	in->licence_issued = o->licence_issued;
	in->licence_expires = o->licence_expires;
	in->euc_ref = o->euc;
	in->export_country = o->export_country;
	in->import_country = o->import_country;
	in->transit_countries = o->transit;
	in->final_recipient = o->final_recipient;
	in->certificate = o->certificate;
	in->note = o->note;
	in->office_ref = o->office_ref;
}

static const char event_opts_help[] =
    "         --kind KIND --date YYYY-MM-DD [--from PARTY] [--to PARTY]\n"
    "         [--licence-number N --licence-issued D --licence-expires D]\n"
    "         [--euc REF] [--export-country CC] [--import-country CC]\n"
    "         [--transit CC,CC] [--final-recipient TEXT] [--certificate C]\n"
    "         [--note TEXT] [--office-ref REF] [--json]\n";

int
regctl_event(struct regctl_common *c, int argc, char **argv)
{
	struct recopts o;
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	struct reg_event_in in;
	struct reg_written w;
	reg_uuid id, from, to;
	int r, seq = 0;

	if ((r = parse(c, "event", argc, argv, &o)) != 0 || optind + 2 != argc ||
	    strcmp(argv[optind], "add") != 0) {
		printf("Usage: " PROG " event add WEAPON-ID\n%s\n"
		    "KIND: manufacture, domestic_transfer, export, import, transit,\n"
		    "state_to_civilian, loan, return, loss, theft, recovery, seizure,\n"
		    "confiscation, deactivation, destruction, records_to_state.  Parties are\n"
		    "named by id or office reference.  A transfer must come from the current\n"
		    "holder; nothing happens to a destroyed weapon; dates do not run\n"
		    "backwards (correct the mistaken event instead).\n", event_opts_help);
		return r == 1 ? 0 : 2;
	}
	event_in(&o, &in);
	if ((r = reg_uuid_parse(argv[optind + 1], &id, &err)) != 0 ||
	    (r = cli_open(c->db, 0, &ctx, &err)) != 0 ||
	    (r = resolve_party(ctx, o.from, &from, &in.from_party, &err)) != 0 ||
	    (r = resolve_party(ctx, o.to, &to, &in.to_party, &err)) != 0)
		goto out;
	if ((r = reg_event_add(ctx, &id, &in, &w, &seq, &err)) == 0)
		print_written("event", &w, o.json);
out:
	reg_close(ctx);
	return r == 0 ? 0 : regctl_fail(&err);
}

int
regctl_correct(struct regctl_common *c, int argc, char **argv)
{
	struct recopts o;
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	struct reg_event_in in;
	struct reg_written w;
	reg_uuid id, from, to;
	int r;

	if ((r = parse(c, "correct", argc, argv, &o)) != 0 || optind + 1 != argc) {
		printf("Usage: " PROG " correct EVENT-ID --reason TEXT\n%s\n"
		    "Records a correction: a new event that names the event it corrects\n"
		    "and why, with the corrected content (--kind defaults to the\n"
		    "original's).  The original stays.\n", event_opts_help);
		return r == 1 ? 0 : 2;
	}
	event_in(&o, &in);
	if ((r = reg_uuid_parse(argv[optind], &id, &err)) != 0 ||
	    (r = cli_open(c->db, 0, &ctx, &err)) != 0 ||
	    (r = resolve_party(ctx, o.from, &from, &in.from_party, &err)) != 0 ||
	    (r = resolve_party(ctx, o.to, &to, &in.to_party, &err)) != 0)
		goto out;
	if ((r = reg_event_correct(ctx, &id, o.reason, &in, &w, &err)) == 0)
		print_written("correction", &w, o.json);
out:
	reg_close(ctx);
	return r == 0 ? 0 : regctl_fail(&err);
}

int
regctl_pii_key(struct regctl_common *c, int argc, char **argv)
{
	struct recopts o;
	reg_error err = REG_ERROR_INIT;
	uint32_t id = 0;
	int r, rotate;

	if ((r = parse(c, "pii-key", argc, argv, &o)) != 0 || optind + 1 != argc ||
	    (strcmp(argv[optind], "generate") != 0 && strcmp(argv[optind], "rotate") != 0)) {
		printf("Usage: " PROG " pii-key generate|rotate [--pii-key FILE]\n"
		    "\n"
		    "The AES-256 keys that encrypt private persons' identities.  'generate'\n"
		    "writes a new key file (mode 0600, never overwriting); 'rotate' adds a\n"
		    "new active key, keeping the old ones, which still open the records\n"
		    "sealed with them (records are never rewritten, so old keys are kept\n"
		    "as long as their records).  Default file: %s\n",
		    regctl_pii_key_path(NULL));
		return r == 1 ? 0 : 2;
	}
	rotate = strcmp(argv[optind], "rotate") == 0;
	if ((r = reg_pii_keygen(regctl_pii_key_path(o.pii_key), rotate, &id, &err)) == 0)
		printf("pii-key %08x is now active in %s\n", id, regctl_pii_key_path(o.pii_key));
	return r == 0 ? 0 : regctl_fail(&err);
}
