/*
 * The trace engine against a real registry: serial normalisation and
 * distance, calibres, the policy file, and traces of a small registry made
 * through libregistry (exact, look-alike, unreadable, wrong and swapped
 * characters; manufacturer through aliases or unknown; importer's and
 * component serials; theft, export, destruction corrected; disclosure to a
 * domestic and a foreign requester; inclusion proofs).  Every response
 * must pass the codec.
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "testutil.h"
#include "tracer_int.h"

/* ------------------------------------------------------------ units */

START_TEST(serial_key)
{
	char out[64];

	ck_assert_int_eq(tr_serial_key("ab-12 3O", 0, out, sizeof(out)), 6);
	ck_assert_str_eq(out, "A81230");
	ck_assert_int_eq(tr_serial_key("OQD IL7 S B Z G", 0, out, sizeof(out)), 10);
	ck_assert_str_eq(out, "0001115826");
	ck_assert_int_eq(tr_serial_key("AB??**12*", 1, out, sizeof(out)), 8);
	ck_assert_str_eq(out, "A8??*12*");
	ck_assert_int_eq(tr_serial_key("AB??", 0, out, sizeof(out)), 2);
	ck_assert_int_eq(tr_serial_key("ABCDEFGH", 0, out, 4), -1);
}
END_TEST

START_TEST(edit_distance)
{
	static const struct { const char *a, *b; int limit, d; } v[] = {
		{ "123456", "123456", 2, 0 }, { "123456", "123457", 2, 1 },
		{ "123456", "124356", 2, 1 },	/* adjacent swap */
		{ "123456", "12456", 2, 1 }, { "123456", "1234567", 2, 1 },
		{ "123456", "223457", 2, 2 }, { "123456", "654321", 2, 3 },
		{ "", "abc", 2, 3 }, { "abc", "", 3, 3 }, { "ca", "abc", 3, 3 },
		{ "123456", "123456789", 2, 3 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_msg(tr_edit_distance(v[i].a, v[i].b, v[i].limit) == v[i].d,
		    "%s %s: %d", v[i].a, v[i].b, tr_edit_distance(v[i].a, v[i].b,
		    v[i].limit));
}
END_TEST

static enum tr__level
level(const char *read, const char *registered)
{
	struct tr__query q;
	struct tr__serial_match m;

	ck_assert(tr__query_init(&q, read) == 0);
	tr__serial_compare(&q, registered, &m);
	return m.level;
}

START_TEST(serial_levels)
{
	ck_assert_int_eq(level("AB-123456", "ab123456"), TR__EXACT);
	ck_assert_int_eq(level("A8123456", "AB123456"), TR__LOOKALIKE);
	ck_assert_int_eq(level("A81Z3456", "AB123456"), TR__LOOKALIKE);
	ck_assert_int_eq(level("AD7234S6", "A0123456"), TR__LOOKALIKE);
	ck_assert_int_eq(level("AB12?456", "AB123456"), TR__WILDCARD);
	ck_assert_int_eq(level("AB*56", "AB123456"), TR__WILDCARD);
	ck_assert_int_eq(level("*3456", "AB123456"), TR__WILDCARD);
	ck_assert_int_eq(level("AB*", "AB"), TR__NOMATCH);	/* '*' is one or more */
	ck_assert_int_eq(level("AB12?457", "AB123456"), TR__NOMATCH);
	ck_assert_int_eq(level("AB123956", "AB123456"), TR__EDIT1);
	ck_assert_int_eq(level("AB124356", "AB123456"), TR__EDIT1);
	ck_assert_int_eq(level("AB12456", "AB123456"), TR__EDIT1);
	ck_assert_int_eq(level("XB123956", "AB123456"), TR__EDIT2);
	ck_assert_int_eq(level("1235", "1234"), TR__NOMATCH);	/* too short */
	ck_assert_int_eq(level("XB12395", "AB123456"), TR__NOMATCH);
}
END_TEST

START_TEST(calibres)
{
	static const char *const same[][2] = {
		{ "9x19mm", "9 mm Parabellum" }, { "9mm Luger", "9X19" },
		{ ".45 ACP", "11.43x23mm" }, { "5.56x45mm NATO", ".223 Rem" },
		{ "7.62x51", ".308 Win" }, { "12 gauge", "12/70" }, { "7,62x39", "7.62 x 39 mm" },
	};
	char a[64], b[64];
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		tr__calibre_canon(same[i][0], a, sizeof(a));
		tr__calibre_canon(same[i][1], b, sizeof(b));
		ck_assert_msg(strcmp(a, b) == 0, "%s (%s) vs %s (%s)", same[i][0], a,
		    same[i][1], b);
	}
	tr__calibre_canon("9x19mm", a, sizeof(a));
	tr__calibre_canon("9x18mm Makarov", b, sizeof(b));
	ck_assert_str_ne(a, b);
}
END_TEST

static int
policy_from(const char *text, tr_policy **p, reg_error *err)
{
	char *dir = tu_tmpdir(), path[4200];
	int r;

	snprintf(path, sizeof(path), "%s/policy.ini", dir);
	tu_write_file(path, text);
	r = tr_policy_load(path, p, err);
	tu_rmtree(dir);
	free(dir);
	return r;
}

START_TEST(policy_file)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "[authority]\nname = X\n", "[registry] state" },
		{ "[registry]\nstate = XX\n", "not an ISO 3166-1" },
		{ "[registry]\nstate = NL\ncolour = red\n", ":3: unknown key" },
		{ "[registry]\nstate = NL\n[foreign]\nprivate_holders = some\n", ":4: private_holders" },
		{ "[registry]\nstate = NL\n[foreign]\nnotes = maybe\n", "yes or no" },
		{ "[registry]\nstate = NL\n[foreign]\nnotes = no\n[domestic]\nnotes = yes\n"
		  "[foreign]\nnotes = yes\n", "given twice" },
		{ "[registry]\nstate = NL\n[foreign.NL]\nnotes = yes\n", "own State" },
		{ "[registry]\nstate = NL\n[foreign.X1]\nnotes = yes\n", "not an ISO" },
		{ "[registry]\nstate = NL\n[elsewhere]\na = b\n", "unknown section" },
		{ "[registry]\nstate = NL\n[authority]\ncontact_email = nobody\n", "not an email" },
		{ "[registry]\nstate = NL\nthis line has no equals sign\n", ":3: not a" },
		{ "[registry]\nstate = NL\njunk\ncolour = red\n", ":3: not a" },
		{ "[registry]\nstate = NL\n[authority]\nname = "
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
		  "contact_name = Desk\n", ":4: the line is longer" },
	};
	reg_error err = REG_ERROR_INIT;
	struct tr__audience a;
	tr_policy *p = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reg_error_clear(&err);
		ck_assert_int_eq(policy_from(bad[i].text, &p, &err), REG_EINVAL);
		ck_assert_ptr_null(p);
		ck_assert_msg(strstr(err.message, bad[i].msg) != NULL, "%zu: %s", i,
		    err.message);
	}
	reg_error_clear(&err);
	ck_assert_int_eq(tr_policy_load("/nonexistent/policy.ini", &p, &err),
	    REG_ENOTFOUND);
	reg_error_clear(&err);
	ck_assert_msg(policy_from("# comment\n[registry]\nstate = NL\n"
	    "[authority]\nname = Landelijke Eenheid\ncontact_phone = +31 70 000\n"
	    "[foreign]\nprivate_holders = withheld\n"
	    "[foreign.BE]\nprivate_holders = named\nnotes = yes\n"
	    "[foreign.KP]\nanswer = no\ndecline_reason = no agreement\n",
	    &p, &err) == 0, "%s", err.message);
	ck_assert_str_eq(tr_policy_state(p), "NL");
	ck_assert_str_eq(p->authority, "Landelijke Eenheid");
	ck_assert_str_eq(p->contact_email, "");
	tr__policy_for(p, "NL", &a);
	ck_assert_int_eq(a.private_holders, TR__NAMED);
	tr__policy_for(p, "DE", &a);
	ck_assert_int_eq(a.private_holders, TR__HIDE);
	ck_assert_int_eq(a.notes, 0);
	ck_assert_int_eq(a.transfer_licences, 1);
	tr__policy_for(p, "BE", &a);
	ck_assert_int_eq(a.private_holders, TR__NAMED);
	ck_assert_int_eq(a.notes, 1);
	ck_assert_int_eq(a.holder_licences, 0);	/* inherited from [foreign] */
	tr__policy_for(p, "KP", &a);
	ck_assert_int_eq(a.answer, 0);
	ck_assert_str_eq(a.decline_reason, "no agreement");
	tr_policy_free(p);
}
END_TEST

/* ------------------------------------------------------ the registry */

static const char *ci;		/* the fixture's database */
static char *tmpdir;
static char piipath[4200], keypath[4200];

static void
must(int r, const reg_error *err)
{
	ck_assert_msg(r == 0, "%s", err->message);
}

static reg_uuid
party(reg_ctx *ctx, reg_pii_keyring *kr, const char *kind, const char *name,
    const char *country, const char *region, const char *licence, const char *ref)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_person person;
	struct reg_party_in in = { kind, NULL, country, region, licence, ref, NULL };
	struct reg_written w;

	memset(&person, 0, sizeof(person));
	if (strcmp(kind, "private_person") == 0) {
		snprintf(person.name, sizeof(person.name), "%s", name);
		snprintf(person.address, sizeof(person.address), "Dorpsstraat 1, Ede");
		in.person = &person;
	} else {
		in.name = name;
	}
	must(reg_party_add(ctx, kr, &in, &w, &err), &err);
	return w.id;
}

static reg_uuid
weapon(reg_ctx *ctx, const char *ref, const char *maker, const char *model,
    const char *type, const char *calibre, const char *serial,
    const char *country, int year)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_marking_in mk = { "manufacture", serial, "frame", country, year, NULL };
	struct reg_weapon_in in = { ref, maker, model, type, calibre, serial, country,
		year, &mk };
	struct reg_written w, m;

	must(reg_weapon_register(ctx, &in, &w, &m, &err), &err);
	return w.id;
}

static reg_uuid
event(reg_ctx *ctx, const reg_uuid *w, const char *kind, const char *date,
    const reg_uuid *from, const reg_uuid *to)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_event_in in;
	struct reg_written out;

	memset(&in, 0, sizeof(in));
	in.kind = kind;
	in.date = date;
	in.from_party = from;
	in.to_party = to;
	if (strcmp(kind, "destruction") == 0)
		in.certificate = "DESTR-2020-17";
	if (strcmp(kind, "theft") == 0)
		/* Quoted and escaped in the read model's record literals. */
		in.note = "reported at the \"Ede\" police station (desk 2), "
		    "file A\\7; see \"\"";
	must(reg_event_add(ctx, w, &in, &out, NULL, &err), &err);
	return out.id;
}

/* Builds the registry once for the whole case (Check's unchecked fixture). */
static void
registry_setup(void)
{
	reg_error err = REG_ERROR_INIT;
	reg_pii_keyring *kr = NULL;
	reg_ctx *ctx = NULL;
	reg_key *key = NULL;
	struct reg_written w;
	reg_uuid acme, boreal, mfa, mfb, dealer, person, police, kenya, wid, destr, twin;
	struct reg_event_in ex;

	ci = tu_db_migrated();
	tmpdir = tu_tmpdir();
	snprintf(piipath, sizeof(piipath), "%s/pii.key", tmpdir);
	snprintf(keypath, sizeof(keypath), "%s/log.key", tmpdir);
	must(reg_pii_keygen(piipath, 0, NULL, &err), &err);
	must(reg_pii_keyring_load(piipath, &kr, &err), &err);
	must(reg_key_generate("registry.example.nl/log", keypath, &err), &err);
	must(reg_key_load(keypath, &key, &err), &err);
	must(reg_open(ci, 0, &ctx, &err), &err);
	must(reg_manufacturer_add(ctx, "Acme Arms Works", "NL", &w, &err), &err);
	acme = w.id;
	must(reg_manufacturer_alias_add(ctx, &acme, "ACM", "code", &w, &err), &err);
	must(reg_manufacturer_add(ctx, "Borealis Waffenfabrik", "DE", &w, &err), &err);
	boreal = w.id;
	must(reg_manufacturer_alias_add(ctx, &boreal, "BWF", "code", &w, &err), &err);
	mfa = party(ctx, kr, "manufacturer", "Acme Arms Works BV", "NL", "Utrecht",
	    "NL-MFR-1", "P-ACME");
	mfb = party(ctx, kr, "manufacturer", "Borealis Waffenfabrik GmbH", "DE", NULL,
	    NULL, "P-BOREAL");
	dealer = party(ctx, kr, "dealer", "Wapenhandel De Vries", "NL", "Gelderland",
	    "NL-D-0042", "P-DEALER");
	person = party(ctx, kr, "private_person", "Jan Jansen", "NL", "Gelderland",
	    "NL-WV-7781", "P-PERSON");
	police = party(ctx, kr, "state_agency", "Nationale Politie", "NL", NULL, NULL,
	    "P-POLICE");
	kenya = party(ctx, kr, "foreign_importer", "Kenya Police Service", "KE", NULL,
	    NULL, "P-KENYA");

	/* Held by a private person: the chain ends there (a gap). */
	wid = weapon(ctx, "W1", "Acme Arms Works", "P-10", "pistol", "9x19mm",
	    "AB123456", "NL", 2015);
	event(ctx, &wid, "manufacture", "2015-01-10", NULL, &mfa);
	event(ctx, &wid, "domestic_transfer", "2015-03-01", &mfa, &dealer);
	event(ctx, &wid, "domestic_transfer", "2016-05-05", &dealer, &person);
	/* Stolen from the private person. */
	wid = weapon(ctx, "W2", "ACM", "P-10", "pistol", "9x19mm", "AB654321", "NL", 2016);
	event(ctx, &wid, "manufacture", "2016-02-01", NULL, &mfa);
	event(ctx, &wid, "domestic_transfer", "2016-04-01", &mfa, &dealer);
	event(ctx, &wid, "domestic_transfer", "2017-06-01", &dealer, &person);
	event(ctx, &wid, "theft", "2019-07-01", NULL, NULL);
	/* Exported to Kenya through Germany and France. */
	wid = weapon(ctx, "W3", "Acme Arms Works", "R-5", "rifle", "7.62x51mm",
	    "AC770011", "NL", 2012);
	event(ctx, &wid, "manufacture", "2012-05-01", NULL, &mfa);
	event(ctx, &wid, "domestic_transfer", "2012-06-01", &mfa, &dealer);
	memset(&ex, 0, sizeof(ex));
	ex.kind = "export";
	ex.date = "2013-01-15";
	ex.from_party = &dealer;
	ex.to_party = &kenya;
	ex.licence_number = "NL-EXP-2013-0099";
	ex.licence_issued = "2012-12-01";
	ex.licence_expires = "2013-12-01";
	ex.euc_ref = "EUC-KE-2012-55";
	ex.export_country = "NL";
	ex.import_country = "KE";
	ex.transit_countries = "DE,FR";
	ex.final_recipient = "Kenya Police Service";
	must(reg_event_add(ctx, &wid, &ex, &w, NULL, &err), &err);
	/* Destroyed by the police; the destruction's date corrected later. */
	wid = weapon(ctx, "W5", "Acme Arms Works", "P-10", "pistol", "9x19mm",
	    "AB200300", "NL", 2010);
	event(ctx, &wid, "manufacture", "2010-01-01", NULL, &mfa);
	event(ctx, &wid, "domestic_transfer", "2010-02-01", &mfa, &police);
	destr = event(ctx, &wid, "destruction", "2020-01-01", NULL, NULL);
	memset(&ex, 0, sizeof(ex));
	ex.date = "2020-02-02";
	ex.certificate = "DESTR-2020-17";
	must(reg_event_correct(ctx, &destr, "date mistyped", &ex, &w, &err), &err);
	/* One serial, two manufacturers. */
	wid = weapon(ctx, "W6", "Acme Arms Works", "P-10", "pistol", "9x19mm",
	    "777001", "NL", 2005);
	event(ctx, &wid, "manufacture", "2005-01-01", NULL, &mfa);
	wid = weapon(ctx, "W7", "Borealis Waffenfabrik", "M9", "pistol", "9x19mm",
	    "777001", "DE", 2005);
	event(ctx, &wid, "manufacture", "2005-01-01", NULL, &mfb);
	/* An importer's serial on an imported weapon. */
	wid = weapon(ctx, "W8", "Borealis Waffenfabrik", "M9", "pistol", "9x19mm",
	    "BW-0000017", "DE", 2017);
	{
		struct reg_marking_in mk = { "import", "IMP NL 18 IMP-NL-0042", "frame",
			"NL", 2018, "IMP-NL-0042" };

		must(reg_marking_add(ctx, &wid, &mk, &w, &err), &err);
	}
	event(ctx, &wid, "manufacture", "2017-01-01", NULL, &mfb);
	/* A barrel with its own serial. */
	wid = weapon(ctx, "W9", "Acme Arms Works", "R-5", "rifle", "7.62x51mm",
	    "AC990001", "NL", 2019);
	must(reg_component_add(ctx, &wid, "barrel", "BRL-998877", &w, &err), &err);
	event(ctx, &wid, "manufacture", "2019-01-01", NULL, &mfa);
	/* Two that one unreadable position cannot tell apart. */
	wid = weapon(ctx, "W10", "Acme Arms Works", "P-10", "pistol", "9x19mm",
	    "AB555501", "NL", 2018);
	event(ctx, &wid, "manufacture", "2018-01-01", NULL, &mfa);
	wid = weapon(ctx, "W11", "Acme Arms Works", "P-10", "pistol", "9x19mm",
	    "AB555591", "NL", 2018);
	event(ctx, &wid, "manufacture", "2018-01-01", NULL, &mfa);
	/* Two serials of one search key (D reads as 0, 7 as 1), the first's
	 * history going on after the second was registered; dates before and
	 * after 2000 and on leap days. */
	wid = weapon(ctx, "W12", "Acme Arms Works", "P-10", "pistol", "9x19mm",
	    "TWD71234", "NL", 1899);
	event(ctx, &wid, "manufacture", "1899-12-31", NULL, &mfa);
	twin = wid;
	wid = weapon(ctx, "W13", "Borealis Waffenfabrik", "M9", "pistol", "9x19mm",
	    "TW011234", "DE", 2000);
	event(ctx, &wid, "manufacture", "2000-02-29", NULL, &mfb);
	event(ctx, &twin, "domestic_transfer", "1960-02-29", &mfa, &dealer);
	/* More weapons than one search reads, and one rifle among them. */
	must(reg_tx_begin(ctx, &err), &err);
	for (int i = 0; i < 230; i++) {
		char ref[16], serial[16];

		snprintf(ref, sizeof(ref), "WZ%d", i);
		snprintf(serial, sizeof(serial), "ZZ1%05d", i * 3);
		weapon(ctx, ref, "Acme Arms Works", i == 229 ? "R-5" : "P-10",
		    i == 229 ? "rifle" : "pistol", i == 229 ? "7.62x51mm" : "9x19mm",
		    serial, "NL", 2000 + i % 5);
	}
	must(reg_tx_commit(ctx, &err), &err);
	must(reg_log_checkpoint(ctx, key, NULL, NULL, &err), &err);
	reg_close(ctx);
	reg_key_free(key);
	reg_pii_keyring_free(kr);
}

static void
registry_teardown(void)
{
	tu_rmtree(tmpdir);
	free(tmpdir);
}

static reg_ctx *ctx;
static reg_search *srch;		/* the tests of the engine's searches */
static reg_pii_keyring *kr;
static tr_policy *policy;

static void
conn_setup(void)
{
	reg_error err = REG_ERROR_INIT;

	must(reg_open(ci, 0, &ctx, &err), &err);
	must(reg_pii_keyring_load(piipath, &kr, &err), &err);
	must(tr_policy_default("NL", &policy, &err), &err);
}

static void
conn_teardown(void)
{
	reg_search_free(srch);
	srch = NULL;
	reg_close(ctx);
	reg_pii_keyring_free(kr);
	tr_policy_free(policy);
}

/* A request from the example file with the weapon's fields replaced:
 * "field=value" pairs, "-field" to remove, "requesting=XX". */
static proto_request *
request(const char *serial, ...)
{
	proto_error perr = PROTO_ERROR_INIT;
	proto_request *req = NULL;
	json_t *doc, *w;
	json_error_t je;
	const char *kv;
	char *text;
	va_list ap;

	doc = json_load_file(tu_src_path(0, "proto/examples/trace-request-partly-restored.json"),
	    0, &je);
	ck_assert_msg(doc != NULL, "%s", je.text);
	w = json_object_get(doc, "weapon");
	json_object_set_new(doc, "requested_state", json_string("NL"));
	json_object_set_new(doc, "requesting_state", json_string("BE"));
	json_object_set_new(w, "serial", json_string(serial));
	json_object_set_new(w, "serial_condition", json_string(
	    strcmp(serial, "*") == 0 ? "obliterated" :
	    strpbrk(serial, "?*") ? "partly_restored" : "legible"));
	/* The example's own description does not belong to this registry. */
	json_object_del(w, "manufacturer");
	json_object_del(w, "model");
	json_object_del(w, "calibre");
	json_object_del(w, "country_of_manufacture");
	json_object_del(w, "year_of_manufacture");
	json_object_del(w, "markings");
	json_object_del(w, "importer");
	json_object_set_new(w, "type", json_string("pistol"));
	va_start(ap, serial);
	while ((kv = va_arg(ap, const char *)) != NULL) {
		const char *eq = strchr(kv, '=');
		char key[64];

		if (kv[0] == '-') {
			json_object_del(w, kv + 1);
			continue;
		}
		ck_assert(eq != NULL && eq - kv < 64);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
		if (strcmp(key, "requesting") == 0)
			json_object_set_new(doc, "requesting_state", json_string(eq + 1));
		else if (strcmp(key, "requested") == 0)
			json_object_set_new(doc, "requested_state", json_string(eq + 1));
		else if (strcmp(key, "year") == 0)
			json_object_set_new(w, "year_of_manufacture",
			    json_integer(atoi(eq + 1)));
		else if (strcmp(key, "importer_country") == 0)
			json_object_set_new(w, "importer", json_pack("{ss}", "country", eq + 1));
		else if (strcmp(key, "barrel") == 0)
			json_object_set_new(w, "components", json_pack("[{ssss}]", "kind",
			    "barrel", "serial", eq + 1));
		else
			json_object_set_new(w, key, json_string(eq + 1));
	}
	va_end(ap);
	text = json_dumps(doc, 0);
	json_decref(doc);
	ck_assert_msg(proto_request_parse(text, strlen(text), &req, &perr) == 0, "%s",
	    perr.message);
	free(text);
	return req;
}

/* Traces req with the default policy (or p) and checks the response
 * passes the codec; the caller frees it. */
static proto_response *
trace_with(proto_request *req, const tr_policy *p, const reg_pii_keyring *k,
    int proofs)
{
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	struct tr_options opt = { 0, proofs };
	proto_response *resp = NULL, *back = NULL;
	tr_engine *e = NULL;
	char *json = NULL;

	must(tr_engine_new(ctx, p ? p : policy, k, &opt, &e, &err), &err);
	must(tr_trace(e, req, &resp, &err), &err);
	ck_assert_msg(proto_response_to_json(resp, &json, &perr) == 0, "%s",
	    perr.message);
	ck_assert_msg(proto_response_parse(json, strlen(json), &back, &perr) == 0,
	    "%s", perr.message);
	ck_assert_str_eq(resp->id, req->id);
	proto_response_free(back);
	proto_free(json);
	tr_engine_free(e);
	proto_request_free(req);
	return resp;
}

static proto_response *
trace(proto_request *req)
{
	return trace_with(req, NULL, kr, 0);
}

static int
has_reason(const struct proto_candidate *c, const char *text)
{
	size_t i;

	for (i = 0; i < c->n_reasons; i++)
		if (strstr(c->reasons[i], text) != NULL)
			return 1;
	return 0;
}

START_TEST(exact_found_gap)
{
	proto_response *r = trace(request("AB-123456", "manufacturer=Acme Arms Works",
	    "model=P10", "calibre=9mm Parabellum", "year=2015", NULL));
	const struct proto_candidate *c;

	ck_assert_str_eq(r->status, "found");
	ck_assert_int_eq(r->n_candidates, 1);
	c = &r->candidates[0];
	ck_assert_str_eq(c->weapon.serial, "AB123456");
	ck_assert(c->score == 1.0);
	ck_assert(has_reason(c, "serial exactly as marked"));
	ck_assert(has_reason(c, "calibre 9x19mm"));
	ck_assert_int_eq(c->n_history, 3);
	ck_assert_int_eq(c->history[0].seq, 1);
	ck_assert(c->history[2].log_index > c->history[0].log_index);
	ck_assert_ptr_nonnull(c->diversion);
	ck_assert_str_eq(c->diversion->finding, "gap");
	ck_assert_int_eq(c->diversion->last_legal_seq, 3);
	ck_assert_ptr_null(c->referral);
	/* BE is foreign: the private holder is not named. */
	ck_assert_str_eq(c->last_legal_holder->kind, "private_person");
	ck_assert_str_eq(c->last_legal_holder->name, "licensed private holder");
	ck_assert_str_eq(c->last_legal_holder->region, "Gelderland");
	ck_assert_ptr_null(c->last_legal_holder->licence);
	ck_assert_int_ge(r->n_restrictions, 1);
	ck_assert_str_eq(r->restrictions[0].reason, "personal_data");
	proto_response_free(r);
}
END_TEST

START_TEST(domestic_sees_names)
{
	proto_response *r = trace(request("AB123456", "requesting=NL", NULL));

	ck_assert_str_eq(r->status, "found");
	ck_assert_str_eq(r->candidates[0].last_legal_holder->name, "Jan Jansen");
	ck_assert_str_eq(r->candidates[0].last_legal_holder->licence, "NL-WV-7781");
	ck_assert_int_eq(r->n_restrictions, 0);
	proto_response_free(r);
	/* Without the personal-data key the name cannot be read: said so. */
	r = trace_with(request("AB123456", "requesting=NL", NULL), NULL, NULL, 0);
	ck_assert_str_eq(r->candidates[0].last_legal_holder->name,
	    "licensed private holder");
	ck_assert_int_eq(r->n_restrictions, 1);
	ck_assert_str_eq(r->restrictions[0].reason, "other");
	ck_assert_ptr_nonnull(r->restrictions[0].explanation);
	proto_response_free(r);
}
END_TEST

START_TEST(lookalikes)
{
	/* B read as 8, 1 as I, 5 as S: still the one weapon. */
	proto_response *r = trace(request("A8I234S6", NULL));

	ck_assert_str_eq(r->status, "found");
	ck_assert_str_eq(r->candidates[0].weapon.serial, "AB123456");
	ck_assert(has_reason(&r->candidates[0], "3 look-alike characters"));
	ck_assert(r->candidates[0].score < 1.0);
	proto_response_free(r);
}
END_TEST

START_TEST(unreadable)
{
	proto_response *r = trace(request("AB65?3?1", NULL));

	ck_assert_str_eq(r->status, "found");
	ck_assert_str_eq(r->candidates[0].weapon.serial, "AB654321");
	ck_assert(has_reason(&r->candidates[0], "2 of 8 unreadable"));
	proto_response_free(r);
	r = trace(request("AB6*21", NULL));
	ck_assert_str_eq(r->status, "found");
	ck_assert_str_eq(r->candidates[0].weapon.serial, "AB654321");
	proto_response_free(r);
	/* One unreadable position, two weapons alike in everything else. */
	r = trace(request("AB5555?1", "year=2018", NULL));
	ck_assert_str_eq(r->status, "ambiguous");
	ck_assert_int_eq(r->n_candidates, 2);
	ck_assert(r->candidates[0].score == r->candidates[1].score);
	ck_assert_int_ge(r->n_status_reasons, 1);
	proto_response_free(r);
	/* Nothing left to search with. */
	r = trace(request("A??*", NULL));
	ck_assert_str_eq(r->status, "need_more_info");
	ck_assert_int_eq(r->n_candidates, 0);
	proto_response_free(r);
}
END_TEST

START_TEST(narrowed)
{
	/* 230 serials start ZZ1: the rifle among them is found by its type. */
	proto_response *r = trace(request("ZZ1*", "type=rifle", NULL));

	ck_assert_str_eq(r->status, "found");
	ck_assert_str_eq(r->candidates[0].weapon.serial, "ZZ100687");
	ck_assert_int_eq(r->n_status_reasons, 0);
	proto_response_free(r);
	/* Nothing else to narrow by: the answer says more were left out. */
	r = trace(request("ZZ1*", "-type", "type=other", NULL));
	ck_assert_str_eq(r->status, "ambiguous");
	ck_assert_int_eq(r->n_candidates, 20);
	ck_assert(strstr(r->status_reasons[r->n_status_reasons - 1], "only the best") != NULL);
	proto_response_free(r);
}
END_TEST

START_TEST(one_edit)
{
	proto_response *r = trace(request("AB654391", NULL));	/* 2 read as 9 */

	ck_assert_str_eq(r->status, "found");
	ck_assert_str_eq(r->candidates[0].weapon.serial, "AB654321");
	ck_assert(has_reason(&r->candidates[0], "but for one character"));
	proto_response_free(r);
	r = trace(request("AB653421", NULL));	/* swapped */
	ck_assert_str_eq(r->status, "found");
	ck_assert_str_eq(r->candidates[0].weapon.serial, "AB654321");
	ck_assert(has_reason(&r->candidates[0], "swapped"));
	proto_response_free(r);
	r = trace(request("ZZ999999", NULL));
	ck_assert_str_eq(r->status, "not_found");
	ck_assert_int_ge(r->n_status_reasons, 1);
	proto_response_free(r);
}
END_TEST

START_TEST(theft)
{
	proto_response *r = trace(request("AB654321", NULL));
	const struct proto_candidate *c = &r->candidates[0];

	ck_assert_str_eq(r->status, "found");
	ck_assert_str_eq(c->diversion->finding, "theft_reported");
	ck_assert_int_eq(c->diversion->last_legal_seq, 3);
	ck_assert_int_eq(c->diversion->event_seq, 4);
	ck_assert_str_eq(c->diversion->date, "2019-07-01");
	ck_assert_str_eq(c->last_legal_holder->name, "licensed private holder");
	/* The office's note is withheld from a foreign State, and said so. */
	ck_assert_ptr_null(c->history[3].note);
	proto_response_free(r);
}
END_TEST

START_TEST(export_referral)
{
	proto_response *r = trace(request("AC770011", "type=rifle", "calibre=.308 Win",
	    NULL));
	const struct proto_candidate *c = &r->candidates[0];

	ck_assert_str_eq(r->status, "found");
	ck_assert_ptr_null(c->diversion);
	ck_assert_ptr_nonnull(c->referral);
	ck_assert_str_eq(c->referral->importing_state, "KE");
	ck_assert_str_eq(c->referral->export_date, "2013-01-15");
	ck_assert_int_eq(c->referral->event_seq, 3);
	ck_assert_str_eq(c->referral->licence->number, "NL-EXP-2013-0099");
	ck_assert_str_eq(c->referral->end_user_certificate, "EUC-KE-2012-55");
	ck_assert_str_eq(c->referral->importer->name, "Kenya Police Service");
	ck_assert_int_eq(c->referral->n_transit_countries, 2);
	ck_assert_str_eq(c->referral->transit_countries[1], "FR");
	ck_assert_str_eq(c->last_legal_holder->name, "Wapenhandel De Vries");
	proto_response_free(r);
}
END_TEST

START_TEST(destruction_corrected)
{
	proto_response *r = trace(request("AB200300", NULL));
	const struct proto_candidate *c = &r->candidates[0];

	ck_assert_str_eq(r->status, "found");
	ck_assert_int_eq(c->n_history, 4);
	ck_assert_int_eq(c->history[2].corrected_by, 4);
	ck_assert_int_eq(c->history[3].corrects, 3);
	ck_assert_str_eq(c->history[3].reason, "date mistyped");
	ck_assert_str_eq(c->diversion->finding, "destruction_contradicted");
	ck_assert_int_eq(c->diversion->event_seq, 4);
	ck_assert_str_eq(c->diversion->date, "2020-02-02");
	ck_assert_int_eq(c->diversion->last_legal_seq, 2);
	ck_assert_str_eq(c->last_legal_holder->name, "Nationale Politie");
	proto_response_free(r);
}
END_TEST

START_TEST(manufacturers)
{
	proto_response *r = trace(request("777001", NULL));

	/* No manufacturer: the same serial of two makers. */
	ck_assert_str_eq(r->status, "ambiguous");
	ck_assert_int_eq(r->n_candidates, 2);
	proto_response_free(r);
	r = trace(request("777001", "manufacturer=BWF", NULL));
	ck_assert_str_eq(r->status, "found");
	ck_assert_str_eq(r->candidates[0].weapon.manufacturer, "Borealis Waffenfabrik");
	ck_assert(has_reason(&r->candidates[0], "an alias or code"));
	proto_response_free(r);
	r = trace(request("777001", "manufacturer=Borealis", NULL));
	ck_assert_str_eq(r->status, "found");
	ck_assert(has_reason(&r->candidates[0], "near spelling"));
	proto_response_free(r);
	/* A model names one of them. */
	r = trace(request("777001", "model=M-9", NULL));
	ck_assert_str_eq(r->status, "found");
	ck_assert_str_eq(r->candidates[0].weapon.model, "M9");
	proto_response_free(r);
	/* An unknown name: searched across every maker, and said so. */
	r = trace(request("AB123456", "manufacturer=Zenith Precision", NULL));
	ck_assert_str_eq(r->status, "found");
	ck_assert_int_eq(r->n_status_reasons, 1);
	ck_assert(strstr(r->status_reasons[0], "not known here") != NULL);
	proto_response_free(r);
	/* A known maker that is not this weapon's weighs against it. */
	r = trace(request("AB123456", "manufacturer=Borealis Waffenfabrik", NULL));
	ck_assert(r->candidates == NULL || r->candidates[0].score < 0.5);
	proto_response_free(r);
}
END_TEST

START_TEST(importer_and_component)
{
	proto_response *r = trace(request("IMP-NL-0042", "importer_country=NL", NULL));

	ck_assert_str_eq(r->status, "found");
	ck_assert_str_eq(r->candidates[0].weapon.serial, "BW-0000017");
	ck_assert(has_reason(&r->candidates[0], "importer's serial"));
	ck_assert(has_reason(&r->candidates[0], "import marking of NL"));
	ck_assert_int_eq(r->candidates[0].weapon.n_markings, 2);
	proto_response_free(r);
	/* The frame's serial filed off; the barrel's read. */
	r = trace(request("*", "type=rifle", "barrel=BRL998877", NULL));
	ck_assert_str_eq(r->status, "need_more_info");
	proto_response_free(r);
	r = trace(request("AC99*", "type=rifle", "barrel=BRL998877", NULL));
	ck_assert_str_eq(r->status, "found");
	ck_assert_str_eq(r->candidates[0].weapon.serial, "AC990001");
	ck_assert_int_eq(r->candidates[0].weapon.n_components, 1);
	proto_response_free(r);
}
END_TEST

START_TEST(declined)
{
	reg_error err = REG_ERROR_INIT;
	proto_response *r = trace(request("AB123456", "requested=BE", NULL));
	tr_policy *p = NULL;
	char path[4300];

	ck_assert_str_eq(r->status, "declined");
	ck_assert(strstr(r->status_reasons[0], "addressed to BE") != NULL);
	proto_response_free(r);
	snprintf(path, sizeof(path), "%s/policy.ini", tmpdir);
	tu_write_file(path, "[registry]\nstate = NL\n[foreign.KP]\nanswer = no\n"
	    "decline_reason = no cooperation agreement\n"
	    "[foreign.BE]\nprivate_holders = withheld\n");
	must(tr_policy_load(path, &p, &err), &err);
	r = trace_with(request("AB123456", "requesting=KP", NULL), p, kr, 0);
	ck_assert_str_eq(r->status, "declined");
	ck_assert_str_eq(r->status_reasons[0], "no cooperation agreement");
	proto_response_free(r);
	/* Private holders withheld altogether for BE. */
	r = trace_with(request("AB123456", NULL), p, kr, 0);
	ck_assert_str_eq(r->status, "found");
	ck_assert_ptr_null(r->candidates[0].last_legal_holder);
	ck_assert_ptr_null(r->candidates[0].history[2].to);
	ck_assert_ptr_nonnull(r->candidates[0].history[2].from);
	ck_assert(strstr(r->restrictions[0].scope, "left out") != NULL);
	proto_response_free(r);
	tr_policy_free(p);
}
END_TEST

START_TEST(proofs)
{
	reg_error err = REG_ERROR_INIT;
	proto_response *r = trace_with(request("AB654321", NULL), NULL, kr, 1);
	struct reg_checkpoint cp;
	reg_key *key = NULL;
	char *body = NULL;
	size_t i;

	ck_assert_ptr_nonnull(r->checkpoint);
	must(reg_key_load(keypath, &key, &err), &err);
	must(reg_note_verify(key, r->checkpoint, strlen(r->checkpoint), &body, &err), &err);
	must(reg_checkpoint_parse(body, strlen(body), &cp, &err), &err);
	reg_free(body);
	for (i = 0; i < r->candidates[0].n_history; i++) {
		const struct proto_inclusion_proof *p = r->candidates[0].history[i].inclusion_proof;

		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(p->index, r->candidates[0].history[i].log_index);
		ck_assert(reg_merkle_verify_inclusion((uint64_t)p->index, (uint64_t)p->size,
		    (const struct reg_hash *)&p->leaf_hash,
		    (const struct reg_hash *)p->hashes, p->n_hashes, &cp.root, &err) == 0);
	}
	reg_key_free(key);
	proto_response_free(r);
}
END_TEST

/* ------------------------------------------------------------ read model */

#define STR_EQ(x, y) do { \
	ck_assert_msg(((x) == NULL) == ((y) == NULL), "%s: %s / %s", #x, \
	    (x) ? (x) : "(null)", (y) ? (y) : "(null)"); \
	if ((x) != NULL) \
		ck_assert_str_eq((x), (y)); \
} while (0)

/* Two reads of the same weapons are the same, field by field. */
static void
same_cands(const struct tr__cands *p, const struct tr__cands *q)
{
	int i, k;

	ck_assert_int_eq(p->n, q->n);
	for (i = 0; i < p->n; i++) {
		const struct tr__cand *x = &p->c[i], *y = &q->c[i];

		ck_assert_str_eq(x->id, y->id);
		ck_assert_str_eq(x->via, y->via);
		STR_EQ(x->matched, y->matched);
		ck_assert_str_eq(x->manufacturer_id, y->manufacturer_id);
		STR_EQ(x->model, y->model);
		ck_assert_str_eq(x->type, y->type);
		STR_EQ(x->calibre, y->calibre);
		STR_EQ(x->serial, y->serial);
		ck_assert_str_eq(x->country, y->country);
		ck_assert_int_eq(x->year, y->year);
		STR_EQ(x->imports, y->imports);
		ck_assert_int_eq(x->detailed, y->detailed);
		ck_assert_int_eq(x->nmarks, y->nmarks);
		for (k = 0; k < x->nmarks; k++) {
			ck_assert_str_eq(x->marks[k].kind, y->marks[k].kind);
			STR_EQ(x->marks[k].text, y->marks[k].text);
			ck_assert_str_eq(x->marks[k].location, y->marks[k].location);
			ck_assert_str_eq(x->marks[k].country, y->marks[k].country);
			ck_assert_int_eq(x->marks[k].year, y->marks[k].year);
			STR_EQ(x->marks[k].new_serial, y->marks[k].new_serial);
		}
		ck_assert_int_eq(x->ncomps, y->ncomps);
		for (k = 0; k < x->ncomps; k++) {
			ck_assert_str_eq(x->comps[k].kind, y->comps[k].kind);
			STR_EQ(x->comps[k].serial, y->comps[k].serial);
		}
		ck_assert_int_eq(x->nev, y->nev);
		for (k = 0; k < x->nev; k++) {
			const struct reg_search_event *e = &x->ev[k], *f = &y->ev[k];

			ck_assert_str_eq(e->id, f->id);
			ck_assert_int_eq(e->seq, f->seq);
			ck_assert_str_eq(e->kind, f->kind);
			ck_assert_str_eq(e->date, f->date);
			ck_assert_str_eq(e->from_id, f->from_id);
			ck_assert_str_eq(e->to_id, f->to_id);
			STR_EQ(e->licence_number, f->licence_number);
			ck_assert_str_eq(e->licence_issued, f->licence_issued);
			ck_assert_str_eq(e->licence_expires, f->licence_expires);
			STR_EQ(e->euc, f->euc);
			ck_assert_str_eq(e->export_country, f->export_country);
			ck_assert_str_eq(e->import_country, f->import_country);
			STR_EQ(e->transit, f->transit);
			STR_EQ(e->final_recipient, f->final_recipient);
			STR_EQ(e->certificate, f->certificate);
			ck_assert_str_eq(e->corrects, f->corrects);
			STR_EQ(e->reason, f->reason);
			STR_EQ(e->note, f->note);
			ck_assert_int_eq(e->log_index, f->log_index);
		}
	}
}

/* Reads key both ways and checks that they agree; the number read. */
static int
both_ways(const char *key)
{
	reg_error err = REG_ERROR_INIT;
	struct tr__arena a = { NULL, 0 }, b = { NULL, 0 };
	struct tr__cands p = { NULL, 0, 0 }, q = { NULL, 0, 0 };
	int t1 = 0, t2 = 0, n;

	must(tr__db_by_key(srch, &a, key, &p, &t1, &err), &err);
	must(tr__db_by_key_records(srch, &b, key, &q, &t2, &err), &err);
	ck_assert_int_eq(t1, t2);
	same_cands(&p, &q);
	n = p.n;
	free(p.c);
	free(q.c);
	tr__arena_free(&a);
	tr__arena_free(&b);
	return n;
}

/*
 * The read model (trace_row) holds every record of the registry once, as
 * the triggers wrote them, and a weapon read from it is the weapon read
 * from the records: every weapon of the registry, field by field.
 */
START_TEST(read_model)
{
	reg_error err = REG_ERROR_INIT;
	char *v, *w;
	int i, nkeys, found = 0;
	long fallbacks;
	PGconn *conn;
	PGresult *res;

	must(reg_search_new(ctx, &srch, &err), &err);
	fallbacks = tr__db_rows_fallbacks;
	v = tu_query1(ci, "SELECT (SELECT count(*) FROM weapon) + (SELECT count(*) "
	    "FROM marking) + (SELECT count(*) FROM component) + (SELECT count(*) "
	    "FROM event)");
	w = tu_query1(ci, "SELECT count(*) FROM trace_row");
	ck_assert_str_eq(v, w);
	ck_assert_int_gt(atoi(v), 20);
	free(v);
	free(w);
	/* Components, import markings, corrections and transits are among them. */
	v = tu_query1(ci, "SELECT count(DISTINCT kind) || ':' || count(*) FILTER "
	    "(WHERE corrects IS NOT NULL) FROM trace_row");
	ck_assert_str_eq(v, "4:1");
	free(v);
	conn = tu_connect(ci);
	res = PQexec(conn, "SELECT DISTINCT translate(serial_norm, 'D7', '01') "
	    "FROM weapon ORDER BY 1");
	PQfinish(conn);
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	nkeys = PQntuples(res);
	for (i = 0; i < nkeys; i++)
		found += both_ways(PQgetvalue(res, i, 0));
	PQclear(res);
	v = tu_query1(ci, "SELECT count(*) FROM weapon");
	ck_assert_int_eq(found, atoi(v));
	free(v);
	ck_assert_int_eq(both_ways("NOSUCHSERIAL9"), 0);
	ck_assert_int_eq(both_ways("TW011234"), 2);
	{
		struct tr__arena a = { NULL, 0 };
		struct tr__cands p = { NULL, 0, 0 };
		int t = 0;

		must(tr__db_by_key(srch, &a, "TW011234", &p, &t, &err), &err);
		ck_assert_str_eq(p.c[0].ev[0].date, "1899-12-31");
		ck_assert_str_eq(p.c[0].ev[1].date, "1960-02-29");
		ck_assert_str_eq(p.c[1].ev[0].date, "2000-02-29");
		free(p.c);
		tr__arena_free(&a);
	}
	/* All of them from the read model. */
	ck_assert_int_eq(tr__db_rows_fallbacks, fallbacks);
	/* The application reads it, and may not write it, directly or through
	 * the function that the triggers append with. */
	{
		char msg[512];

		ck_assert_int_eq(tu_try_exec(ci, "SET ROLE registry_app; "
		    "SELECT count(*) FROM trace_row", msg, sizeof(msg)), 0);
		ck_assert_int_ne(tu_try_exec(ci, "SET ROLE registry_app; "
		    "UPDATE trace_weapon SET recs = '{}'", msg, sizeof(msg)), 0);
		ck_assert_int_ne(tu_try_exec(ci, "SET ROLE registry_app; "
		    "SELECT reg_trace_weapon_add(ARRAY(SELECT r::trace_rec "
		    "FROM trace_weapon, unnest(recs) r LIMIT 1))", msg, sizeof(msg)), 0);
		ck_assert_msg(strstr(msg, "permission denied") != NULL, "%s", msg);
	}
}
END_TEST

/* Rows that are not a weapon's whole records (here a second weapon record
 * that only the owner could write) or that do not read back (a record cut
 * short, a record with a field too many, an array of another shape) are not
 * believed: the weapon is read from its records. */
START_TEST(read_model_not_whole)
{
#define KEPT " WHERE weapon_id = (SELECT weapon_id FROM kept)"
	static const char *const forged[] = {
		/* The weapon's own record twice, the second one forged. */
		"UPDATE trace_weapon SET recs = recs || regexp_replace(recs[1], "
		"'^(\\(w,[^,]*,[^,]*,)[^,]*,', '\\1Forged,')" KEPT,
		"UPDATE trace_weapon SET recs = recs || '(w,\"x'::text" KEPT,
		"UPDATE trace_weapon SET recs = recs || ('(' || repeat(',', 31) || ')')"
		KEPT,
		"UPDATE trace_weapon SET recs = recs || ('(' || repeat(',', 29) || ')')"
		KEPT,
		"UPDATE trace_weapon SET recs = recs || 'w'::text" KEPT,
		"UPDATE trace_weapon SET recs = ARRAY[recs]" KEPT,
		"UPDATE trace_weapon SET recs = '{}'" KEPT,
	};
	reg_error err = REG_ERROR_INIT;
	size_t f;

	must(reg_search_new(ctx, &srch, &err), &err);
	tu_exec(ci, "CREATE TABLE kept AS SELECT * FROM trace_weapon WHERE key = "
	    "(SELECT translate(serial_norm, 'D7', '01') FROM weapon "
	    "WHERE serial = 'AC990001')");
	for (f = 0; f < sizeof(forged) / sizeof(forged[0]); f++) {
		struct tr__arena a = { NULL, 0 };
		struct tr__cands p = { NULL, 0, 0 };
		int t = 0;
		long fallbacks;

		tu_exec(ci, forged[f]);
		fallbacks = tr__db_rows_fallbacks;
		must(tr__db_by_key(srch, &a, "AC990001", &p, &t, &err), &err);
		ck_assert_msg(tr__db_rows_fallbacks == fallbacks + 1, "%s", forged[f]);
		ck_assert_int_eq(p.n, 1);
		ck_assert_str_ne(p.c[0].model, "Forged");
		ck_assert_int_eq(p.c[0].ncomps, 1);
		ck_assert_int_eq(both_ways("AC990001"), 1);
		free(p.c);
		tr__arena_free(&a);
		tu_exec(ci, "UPDATE trace_weapon SET recs = (SELECT recs FROM kept)" KEPT);
	}
	tu_exec(ci, "DROP TABLE kept");
#undef KEPT
}
END_TEST

/* A weapon's records as the read model holds them need not be in its
 * order (a statement's records are appended as they come): its history
 * still comes out in sequence.  Here its events are stored again as 2, 3,
 * ..., 1. */
START_TEST(read_model_order)
{
	reg_error err = REG_ERROR_INIT;
	struct tr__arena a = { NULL, 0 };
	struct tr__cands p = { NULL, 0, 0 };
	int t = 0, k;
	long fallbacks;
	char *key, *n;

	must(reg_search_new(ctx, &srch, &err), &err);
	key = tu_query1(ci, "SELECT key FROM trace_weapon ORDER BY "
	    "cardinality(recs) DESC, weapon_id LIMIT 1");
	n = tu_query1(ci, "SELECT count(*) FROM trace_row WHERE kind = 'e' AND "
	    "weapon_id = (SELECT weapon_id FROM trace_weapon ORDER BY "
	    "cardinality(recs) DESC, weapon_id LIMIT 1)");
	ck_assert_int_ge(atoi(n), 3);
	tu_exec(ci, "UPDATE trace_weapon t SET recs = (SELECT array_agg(r ORDER BY "
	    "(r::trace_rec).kind = 'e', (r::trace_rec).seq = 1, (r::trace_rec).seq) "
	    "FROM unnest(t.recs) r) WHERE weapon_id = (SELECT weapon_id FROM "
	    "trace_weapon ORDER BY cardinality(recs) DESC, weapon_id LIMIT 1)");
	fallbacks = tr__db_rows_fallbacks;
	must(tr__db_by_key(srch, &a, key, &p, &t, &err), &err);
	ck_assert_int_eq(tr__db_rows_fallbacks, fallbacks);
	ck_assert_int_ge(p.n, 1);
	for (k = 0; k < p.c[0].nev; k++)
		ck_assert_int_eq(p.c[0].ev[k].seq, k + 1);
	ck_assert_int_eq(p.c[0].nev, atoi(n));
	ck_assert_int_ge(both_ways(key), 1);
	free(p.c);
	tr__arena_free(&a);
	free(key);
	free(n);
}
END_TEST


/* ------------------------------------------------- a tampered read model */

/*
 * The read model is only a copy of the records: a superuser can rewrite it
 * (no trigger guards it) and, with the append-only triggers off
 * (session_replication_role = replica), edit a record too.  "log verify"
 * re-derives the copy from the verified records and names the difference;
 * the engine never answers from a copy that disagrees with the records'
 * leaves.  Each test restores what it changed (the cases share one
 * registry).
 */

/* The weapon of serial AC770011 (exported to Kenya), in SQL. */
#define W3 "(SELECT id FROM weapon WHERE serial = 'AC770011')"
#define W3_RM "UPDATE trace_weapon SET recs = "

/* The registry, with a copy of its read model taken as the triggers wrote
 * it. */
static void
tamper_setup(void)
{
	registry_setup();
	tu_exec(ci, "CREATE TABLE pristine_rm AS SELECT * FROM trace_weapon");
	tu_exec(ci, "CREATE TABLE pristine_nodes AS SELECT idx, nodes FROM log_entry");
}

/* Before each test: the read model and the export as they were written
 * (a failed test leaves them tampered). */
static void
tamper_conn_setup(void)
{
	conn_setup();
	tu_exec(ci, "DELETE FROM trace_weapon; INSERT INTO trace_weapon "
	    "SELECT * FROM pristine_rm");
	tu_exec(ci, "SET session_replication_role = replica; UPDATE event SET "
	    "import_country = 'KE' WHERE kind = 'export' AND weapon_id = " W3);
	tu_exec(ci, "SET session_replication_role = replica; UPDATE log_entry l "
	    "SET nodes = p.nodes FROM pristine_nodes p WHERE p.idx = l.idx AND "
	    "p.nodes <> l.nodes");
}

/* reg_log_verify() of the fixture's registry: its code, its message in
 * msg. */
static int
log_verify(char *msg, size_t msglen)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_log_report rep;
	reg_key *key = NULL;
	int r;

	must(reg_key_load(keypath, &key, &err), &err);
	r = reg_log_verify(ctx, key, &rep, &err);
	snprintf(msg, msglen, "%s", err.message);
	reg_key_free(key);
	return r;
}

/* Traces AC770011 with proofs: REG_EVERIFY or 0 with the response in *out. */
static int
trace_w3(proto_response **out, reg_error *err)
{
	struct tr_options opt = { 0, 1 };
	proto_request *req = request("AC770011", "type=rifle", NULL);
	tr_engine *e = NULL;
	int r;

	*out = NULL;
	must(tr_engine_new(ctx, policy, kr, &opt, &e, err), err);
	r = tr_trace(e, req, out, err);
	tr_engine_free(e);
	proto_request_free(req);
	return r;
}

/* Every way of making the read model differ from the records is named by
 * log verify: which weapon, which record, and how. */
START_TEST(verify_names_read_model_difference)
{
	static const struct {
		const char *sql, *want;
	} tamper[] = {
		/* The export removed from the weapon's records. */
		{ W3_RM "(SELECT array_agg(r) FROM unnest(recs) r WHERE "
		  "(r::trace_rec).what IS DISTINCT FROM 'export') WHERE weapon_id = " W3,
		  "event (seq 3) at leaf" },
		/* The export's importing State changed. */
		{ W3_RM "(SELECT array_agg(CASE WHEN (r::trace_rec).what = 'export' "
		  "THEN replace(r, ',KE,', ',US,') ELSE r END) FROM unnest(recs) r) "
		  "WHERE weapon_id = " W3, "import_country" },
		/* A record added that the records do not have. */
		{ W3_RM "recs || replace(recs[2], ',2,', ',9,') WHERE weapon_id = " W3,
		  "not in the records" },
		/* The weapon's row under another search key. */
		{ "UPDATE trace_weapon SET key = 'X1' WHERE weapon_id = " W3, "key" },
		/* The weapon's row gone. */
		{ "DELETE FROM trace_weapon WHERE weapon_id = " W3, "no row" },
	};
	char msg[1024], *id = tu_query1(ci, "SELECT " W3 "::text");
	size_t i;

	ck_assert_int_eq(log_verify(msg, sizeof(msg)), 0);
	for (i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
		tu_exec(ci, tamper[i].sql);
		ck_assert_msg(log_verify(msg, sizeof(msg)) == REG_EVERIFY,
		    "log verify passes with the read model tampered: %s", tamper[i].sql);
		ck_assert_msg(strstr(msg, id) != NULL, "%s: does not name weapon %s",
		    msg, id);
		ck_assert_msg(strstr(msg, tamper[i].want) != NULL, "%s: does not say %s",
		    msg, tamper[i].want);
		tu_exec(ci, "DELETE FROM trace_weapon; INSERT INTO trace_weapon "
		    "SELECT * FROM pristine_rm");
		ck_assert_int_eq(log_verify(msg, sizeof(msg)), 0);
	}
	free(id);
}
END_TEST

/* The export removed from the read model: the trace still reports the
 * export, with its proof, and the referral to Kenya. */
START_TEST(trace_keeps_export_dropped_from_read_model)
{
	reg_error err = REG_ERROR_INIT;
	proto_response *r = NULL;
	const struct proto_candidate *c;
	size_t i;
	int exports = 0;

	long before = tr__readmodel_mismatches;

	tu_exec(ci, W3_RM "(SELECT array_agg(r) FROM unnest(recs) r WHERE "
	    "(r::trace_rec).what IS DISTINCT FROM 'export') WHERE weapon_id = " W3);
	if (trace_w3(&r, &err) == 0) {
		ck_assert_str_eq(r->status, "found");
		c = &r->candidates[0];
		for (i = 0; i < c->n_history; i++)
			if (strcmp(c->history[i].kind, "export") == 0) {
				exports++;
				ck_assert_ptr_nonnull(c->history[i].inclusion_proof);
			}
		ck_assert_msg(exports == 1 && c->referral != NULL,
		    "the signed answer drops the export (%d events, referral %s)",
		    (int)c->n_history, c->referral ? c->referral->importing_state : "none");
		ck_assert_str_eq(c->referral->importing_state, "KE");
		ck_assert_int_eq(c->n_history, 3);
	} else {
		ck_abort_msg("refused: %s", err.message);
	}
	/* Answered from the records, once the read model was found wrong. */
	ck_assert_int_eq(tr__readmodel_mismatches, before + 1);
	proto_response_free(r);
}
END_TEST

/* Every way of making the read model differ from the records (those log
 * verify names above, the weapon's row gone or under another key among
 * them): the trace sees it in the statement that reads the row, answers
 * from the records, and answers what the log sealed. */
START_TEST(trace_answers_sealed_over_any_tampered_read_model)
{
	static const char *const tamper[] = {
		W3_RM "(SELECT array_agg(r) FROM unnest(recs) r WHERE "
		"(r::trace_rec).what IS DISTINCT FROM 'export') WHERE weapon_id = " W3,
		W3_RM "(SELECT array_agg(CASE WHEN (r::trace_rec).what = 'export' "
		"THEN replace(r, ',KE,', ',US,') ELSE r END) FROM unnest(recs) r) "
		"WHERE weapon_id = " W3,
		W3_RM "recs || replace(recs[2], ',2,', ',9,') WHERE weapon_id = " W3,
		/* The weapon's model changed in its own record. */
		W3_RM "array_prepend(regexp_replace(recs[1], "
		"'^(\\(w,[^,]*,[^,]*,)[^,]*,', '\\1Forged,'), recs[2:]) "
		"WHERE weapon_id = " W3,
		"UPDATE trace_weapon SET key = 'X1' WHERE weapon_id = " W3,
		"DELETE FROM trace_weapon WHERE weapon_id = " W3,
	};
	size_t i;

	for (i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
		reg_error err = REG_ERROR_INIT;
		proto_response *r = NULL;
		const struct proto_candidate *c;
		long before = tr__readmodel_mismatches;
		size_t j;

		tu_exec(ci, tamper[i]);
		must(trace_w3(&r, &err), &err);
		ck_assert_msg(strcmp(r->status, "found") == 0, "%s: %s", tamper[i],
		    r->status);
		c = &r->candidates[0];
		ck_assert_msg(c->n_history == 3 && c->referral != NULL &&
		    strcmp(c->referral->importing_state, "KE") == 0 &&
		    (c->weapon.model == NULL || strcmp(c->weapon.model, "Forged") != 0),
		    "%s: %d events, referral %s", tamper[i], (int)c->n_history,
		    c->referral ? c->referral->importing_state : "none");
		for (j = 0; j < c->n_history; j++)
			ck_assert_ptr_nonnull(c->history[j].inclusion_proof);
		ck_assert_msg(tr__readmodel_mismatches == before + 1, "%s: not seen",
		    tamper[i]);
		proto_response_free(r);
		tu_exec(ci, "DELETE FROM trace_weapon; INSERT INTO trace_weapon "
		    "SELECT * FROM pristine_rm");
	}
}
END_TEST

/* Untampered, the answer is the read model's (no second reading), every
 * event checked against its leaf, every proof from that leaf. */
START_TEST(trace_checked_untampered)
{
	reg_error err = REG_ERROR_INIT;
	proto_response *r = NULL;
	long before = tr__readmodel_mismatches, fallbacks = tr__db_rows_fallbacks;
	size_t i;

	must(trace_w3(&r, &err), &err);
	ck_assert_str_eq(r->status, "found");
	ck_assert_int_eq(r->candidates[0].n_history, 3);
	for (i = 0; i < r->candidates[0].n_history; i++)
		ck_assert_ptr_nonnull(r->candidates[0].history[i].inclusion_proof);
	ck_assert_int_eq(tr__readmodel_mismatches, before);
	ck_assert_int_eq(tr__db_rows_fallbacks, fallbacks);
	proto_response_free(r);
}
END_TEST

/* A stored hash of the tree beside the export's leaf altered: the export's
 * inclusion proof, made from the stored tree, no longer leads to the
 * checkpoint's root, and the trace is refused rather than signed with it. */
START_TEST(trace_refuses_proof_from_altered_tree)
{
	reg_error err = REG_ERROR_INIT;
	proto_response *r = NULL;
	int rc;

	/* The subtree of two leaves beside the export's pair, kept with its
	 * right leaf (odd: the second hash it keeps). */
	tu_exec(ci, "SET session_replication_role = replica; UPDATE log_entry SET "
	    "nodes = overlay(nodes PLACING sha256('x'::bytea) FROM 33 FOR 32) "
	    "WHERE idx = (SELECT (log_index # 2) | 1 FROM event WHERE kind = "
	    "'export' AND weapon_id = " W3 ")");
	rc = trace_w3(&r, &err);
	ck_assert_msg(rc == REG_EVERIFY, "not refused (%d): %s", rc, err.message);
	ck_assert_msg(strstr(err.message, "inclusion proof") != NULL, "%s",
	    err.message);
	proto_response_free(r);
}
END_TEST

/*
 * An event row edited (by a superuser with the triggers off) while the read
 * model and the log still agree: log verify fails naming the row, and the
 * trace serves what the log sealed (the export to Kenya, with its proof
 * from the sealed leaf), never the edited row's value.  (Refusing here
 * would mean reading every answered record again at each trace, the cost
 * the read model exists to avoid; what is signed is exactly what the
 * State's signed log proves.)
 */
START_TEST(trace_serves_sealed_over_edited_event)
{
	reg_error err = REG_ERROR_INIT;
	proto_response *r = NULL;
	const struct proto_candidate *c;
	char msg[1024];
	size_t i;
	int exports = 0;

	tu_exec(ci, "SET session_replication_role = replica; UPDATE event SET "
	    "import_country = 'US' WHERE kind = 'export' AND weapon_id = " W3);
	ck_assert_int_eq(log_verify(msg, sizeof(msg)), REG_EVERIFY);
	ck_assert_msg(strstr(msg, "event") != NULL, "%s", msg);
	must(trace_w3(&r, &err), &err);
	ck_assert_str_eq(r->status, "found");
	c = &r->candidates[0];
	ck_assert_msg(c->referral != NULL &&
	    strcmp(c->referral->importing_state, "KE") == 0,
	    "the edited row is served, not the sealed leaf (referral to %s)",
	    c->referral ? c->referral->importing_state : "none");
	for (i = 0; i < c->n_history; i++)
		if (strcmp(c->history[i].kind, "export") == 0) {
			exports++;
			ck_assert_ptr_nonnull(c->history[i].inclusion_proof);
		}
	ck_assert_int_eq(exports, 1);
	proto_response_free(r);
	tu_exec(ci, "SET session_replication_role = replica; UPDATE event SET "
	    "import_country = 'KE' WHERE kind = 'export' AND weapon_id = " W3);
	ck_assert_int_eq(log_verify(msg, sizeof(msg)), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("trace");
	TCase *t = tcase_create("units");

	tcase_add_test(t, serial_key);
	tcase_add_test(t, edit_distance);
	tcase_add_test(t, serial_levels);
	tcase_add_test(t, calibres);
	tcase_add_test(t, policy_file);
	suite_add_tcase(s, t);
	t = tcase_create("engine");
	tcase_set_timeout(t, 60);
	tcase_add_unchecked_fixture(t, registry_setup, registry_teardown);
	tcase_add_checked_fixture(t, conn_setup, conn_teardown);
	tcase_add_test(t, exact_found_gap);
	tcase_add_test(t, domestic_sees_names);
	tcase_add_test(t, lookalikes);
	tcase_add_test(t, unreadable);
	tcase_add_test(t, one_edit);
	tcase_add_test(t, narrowed);
	tcase_add_test(t, theft);
	tcase_add_test(t, export_referral);
	tcase_add_test(t, destruction_corrected);
	tcase_add_test(t, manufacturers);
	tcase_add_test(t, importer_and_component);
	tcase_add_test(t, declined);
	tcase_add_test(t, proofs);
	tcase_add_test(t, read_model);
	tcase_add_test(t, read_model_not_whole);
	tcase_add_test(t, read_model_order);
	suite_add_tcase(s, t);
	t = tcase_create("tampered");
	tcase_set_timeout(t, 60);
	tcase_add_unchecked_fixture(t, tamper_setup, registry_teardown);
	tcase_add_checked_fixture(t, tamper_conn_setup, conn_teardown);
	tcase_add_test(t, verify_names_read_model_difference);
	tcase_add_test(t, trace_checked_untampered);
	tcase_add_test(t, trace_refuses_proof_from_altered_tree);
	tcase_add_test(t, trace_keeps_export_dropped_from_read_model);
	tcase_add_test(t, trace_answers_sealed_over_any_tampered_read_model);
	tcase_add_test(t, trace_serves_sealed_over_edited_event);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
