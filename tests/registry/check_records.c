/* Records: manufacturers, parties, weapons, markings, components, events,
 * their rules, personal-data encryption and tamper evidence, against a real
 * PostgreSQL. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include <libpq-fe.h>

#include "registry/registry.h"
#include "registry_int.h"
#include "leaf_ref.h"
#include "testutil.h"

static const char *ci;
static char *tmpdir;
static reg_key *key;
static reg_pii_keyring *kr;
static reg_ctx *ctx;

static void
setup(void)
{
	char path[4200];
	reg_error err = REG_ERROR_INIT;

	ci = tu_db_migrated();
	tmpdir = tu_tmpdir();
	snprintf(path, sizeof(path), "%s/log.key", tmpdir);
	ck_assert(reg_key_generate("test.example/XX", path, &err) == 0);
	ck_assert(reg_key_load(path, &key, &err) == 0);
	snprintf(path, sizeof(path), "%s/pii.key", tmpdir);
	ck_assert_msg(reg_pii_keygen(path, 0, NULL, &err) == 0, "%s", err.message);
	ck_assert_msg(reg_pii_keyring_load(path, &kr, &err) == 0, "%s", err.message);
	ck_assert(reg_open(ci, 0, &ctx, &err) == 0);
}

static void
teardown(void)
{
	reg_close(ctx);
	reg_pii_keyring_free(kr);
	reg_key_free(key);
	tu_rmtree(tmpdir);
	free(tmpdir);
}

static uint64_t
log_size(void)
{
	reg_error err = REG_ERROR_INIT;
	uint64_t n = 0;

	ck_assert(reg_log_size(ctx, &n, &err) == 0);
	return n;
}

static long
count(const char *sql)
{
	char *v = tu_query1(ci, sql);
	long n = atol(v);

	free(v);
	return n;
}

static void
verify_ok(void)
{
	reg_error err = REG_ERROR_INIT;
	char msg[600];

	ck_assert_msg(reg_log_verify(ctx, key, NULL, &err) == 0, "verify: %s", err.message);
	/* Every leaf as the jansson reference encodes it. */
	ck_assert_msg(leaf_ref_check_log(ctx, msg, sizeof(msg)) >= 0, "%s", msg);
}

static reg_uuid
party(const char *kind, const char *name, const char *ref)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_party_in in = { kind, name, "BE", NULL, NULL, ref, NULL };
	struct reg_written w;

	ck_assert_msg(reg_party_add(ctx, NULL, &in, &w, &err) == 0, "%s", err.message);
	return w.id;
}

static reg_uuid
private_party(const char *ref)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_person p;
	struct reg_party_in in = { "private_person", NULL, "BE", "Liege", NULL, ref, &p };
	struct reg_written w;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "Zoltan Quixote-Plaintext");
	snprintf(p.address, sizeof(p.address), "17 Rue Secrete, Liege");
	snprintf(p.id_document, sizeof(p.id_document), "PASSPORT-XJ9981");
	snprintf(p.birth_date, sizeof(p.birth_date), "1970-01-31");
	ck_assert_msg(reg_party_add(ctx, kr, &in, &w, &err) == 0, "%s", err.message);
	return w.id;
}

static void
manufacturer(void)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_written w;

	ck_assert_msg(reg_manufacturer_add(ctx, "Fabrique Nationale Herstal", "BE", &w,
	    &err) == 0, "%s", err.message);
	ck_assert(reg_manufacturer_alias_add(ctx, &w.id, "FN", "code", NULL, &err) == 0);
	ck_assert(reg_manufacturer_alias_add(ctx, &w.id, "F.N. Herstal", "name", NULL,
	    &err) == 0);
}

static reg_uuid
weapon(const char *serial, const char *ref)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_marking_in mk = { "manufacture", "FN HERSTAL BELGIUM", "frame", "BE",
	    2015, NULL };
	struct reg_weapon_in in = { ref, "fn herstal", "FNP-9", "pistol", "9 x 19 mm",
	    serial, "BE", 2015, &mk };
	struct reg_written w, m;

	ck_assert_msg(reg_weapon_register(ctx, &in, &w, &m, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(m.log_index, w.log_index + 1);
	return w.id;
}

static int
event(const reg_uuid *w, const char *kind, const char *date, const reg_uuid *from,
    const reg_uuid *to, reg_error *err)
{
	struct reg_event_in in;

	memset(&in, 0, sizeof(in));
	in.kind = kind;
	in.date = date;
	in.from_party = from;
	in.to_party = to;
	if (strcmp(kind, "export") == 0) {
		in.import_country = "DE";
		in.licence_number = "EXP-2020-1";
		in.licence_issued = "2020-01-01";
		in.licence_expires = "2020-12-31";
		in.euc_ref = "EUC-77";
	}
	return reg_event_add(ctx, w, &in, NULL, NULL, err);
}

static json_t *
show(const reg_uuid *w, const reg_pii_keyring *keys)
{
	reg_error err = REG_ERROR_INIT;
	char *js = NULL;
	json_t *j;

	ck_assert_msg(reg_weapon_show(ctx, w, keys, &js, &err) == 0, "%s", err.message);
	j = json_loads(js, 0, NULL);
	ck_assert(j != NULL);
	reg_free(js);
	return j;
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

START_TEST(manufacturer_found_through_aliases)
{
	reg_error err = REG_ERROR_INIT;
	reg_uuid a, b, c;

	manufacturer();
	ck_assert_int_eq(reg_manufacturer_find(ctx, "fabrique nationale herstal", &a, &err), 0);
	ck_assert_int_eq(reg_manufacturer_find(ctx, "F-N", &b, &err), 0);
	ck_assert_int_eq(reg_manufacturer_find(ctx, "fn herstal", &c, &err), 0);
	ck_assert(memcmp(&a, &b, 16) == 0 && memcmp(&a, &c, 16) == 0);
	ck_assert_int_eq(reg_manufacturer_find(ctx, "Glock", &a, &err), REG_ENOTFOUND);
	reg_error_clear(&err);
	/* An alias belongs to one manufacturer only. */
	ck_assert_int_eq(reg_manufacturer_add(ctx, "FN", "US", NULL, &err), REG_ERULE);
	ck_assert_int_eq(count("SELECT count(*) FROM manufacturer"), 1);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_manufacturer_add(ctx, "Acme", "XX", NULL, &err), REG_EINVAL);
	ck_assert_msg(strstr(err.message, "ISO 3166-1") != NULL, "%s", err.message);
	verify_ok();
}
END_TEST

START_TEST(weapon_needs_its_manufacture_marking)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_weapon_in in = { "W0", "FN", "FNP-9", "pistol", "9mm", "ABC123", "BE",
	    2015, NULL };
	struct reg_marking_in proof = { "proof", "crown", "barrel", "BE", 2015, NULL };
	uint64_t before;
	char msg[512];

	manufacturer();
	before = log_size();
	ck_assert_int_eq(reg_weapon_register(ctx, &in, NULL, NULL, &err), REG_ERULE);
	ck_assert_msg(strstr(err.message, "manufacture marking") != NULL, "%s", err.message);
	reg_error_clear(&err);
	in.marking = &proof;
	ck_assert_int_eq(reg_weapon_register(ctx, &in, NULL, NULL, &err), REG_ERULE);
	ck_assert_uint_eq(log_size(), before);
	ck_assert_int_eq(count("SELECT count(*) FROM weapon"), 0);
	/* The database refuses it too, at commit. */
	ck_assert_int_eq(tu_try_exec(ci, "SET ROLE registry_app; INSERT INTO weapon "
	    "(id, type, serial, serial_norm, country_of_manufacture, recorded_at, log_index) "
	    "VALUES (gen_random_uuid(), 'pistol', 'X1', 'X1', 'BE', now(), 999)",
	    msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "no manufacture marking") != NULL, "%s", msg);
}
END_TEST

START_TEST(weapon_register_refuses_bad_input)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_marking_in mk = { "manufacture", "FN", "frame", "BE", 2015, NULL };
	struct reg_weapon_in in = { "W1", "FN", "FNP-9", "pistol", "9mm", "ABC123", "BE",
	    2015, &mk };
	uint64_t before;

	manufacturer();
	before = log_size();
	in.country = "ZZ";
	ck_assert_int_eq(reg_weapon_register(ctx, &in, NULL, NULL, &err), REG_EINVAL);
	reg_error_clear(&err);
	in.country = "BE";
	in.type = "phaser";
	ck_assert_int_eq(reg_weapon_register(ctx, &in, NULL, NULL, &err), REG_EINVAL);
	reg_error_clear(&err);
	in.type = "pistol";
	in.serial = "";
	ck_assert_int_eq(reg_weapon_register(ctx, &in, NULL, NULL, &err), REG_EINVAL);
	reg_error_clear(&err);
	in.serial = "AB\x01" "C";
	ck_assert_int_eq(reg_weapon_register(ctx, &in, NULL, NULL, &err), REG_EINVAL);
	reg_error_clear(&err);
	in.serial = "AB\xc3\x28";
	ck_assert_int_eq(reg_weapon_register(ctx, &in, NULL, NULL, &err), REG_EINVAL);
	reg_error_clear(&err);
	in.serial = "ABC123";
	in.manufacturer = "Nobody Arms";
	ck_assert_int_eq(reg_weapon_register(ctx, &in, NULL, NULL, &err), REG_ENOTFOUND);
	reg_error_clear(&err);
	ck_assert_uint_eq(log_size(), before);
	in.manufacturer = "FN";
	ck_assert_int_eq(reg_weapon_register(ctx, &in, NULL, NULL, &err), 0);
	ck_assert_int_eq(reg_weapon_register(ctx, &in, NULL, NULL, &err), REG_EEXIST);
	ck_assert_int_eq(count("SELECT count(*) FROM weapon"), 1);
	verify_ok();
}
END_TEST

START_TEST(serial_normalised)
{
	json_t *j;
	reg_uuid w;

	manufacturer();
	w = weapon("gks-0 123", "W2");
	j = show(&w, NULL);
	ck_assert_str_eq(jstr(j, "serial"), "gks-0 123");
	ck_assert_str_eq(jstr(j, "serial_norm"), "6K50123");
	ck_assert_str_eq(jstr(j, "calibre"), "9 x 19 mm");
	json_decref(j);
}
END_TEST

START_TEST(chain_rules)
{
	reg_error err = REG_ERROR_INIT;
	reg_uuid w, fn, dealer, other, person, agency;
	uint64_t before;
	json_t *j;

	manufacturer();
	w = weapon("ABC123", "W3");
	fn = party("manufacturer", "FN Herstal SA", "FNH");
	dealer = party("dealer", "Armurerie Dupont", "D1");
	other = party("dealer", "Other Dealer", "D2");
	agency = party("state_agency", "Police", "POL");
	person = private_party("P1");
	/* A transfer before anyone holds it. */
	ck_assert_int_eq(event(&w, "domestic_transfer", "2015-04-01", &fn, &dealer, &err),
	    REG_ERULE);
	reg_error_clear(&err);
	ck_assert_int_eq(event(&w, "manufacture", "2015-03-01", NULL, &fn, &err), 0);
	ck_assert_int_eq(event(&w, "manufacture", "2015-03-02", NULL, &fn, &err), REG_ERULE);
	reg_error_clear(&err);
	ck_assert_int_eq(event(&w, "domestic_transfer", "2015-04-01", &fn, &dealer, &err), 0);
	/* From someone who does not hold it: refused, nothing left behind. */
	before = log_size();
	ck_assert_int_eq(event(&w, "domestic_transfer", "2015-05-01", &other, &person, &err),
	    REG_ERULE);
	ck_assert_msg(strstr(err.message, "current holder") != NULL, "%s", err.message);
	reg_error_clear(&err);
	/* Dates may not run backwards. */
	ck_assert_int_eq(event(&w, "domestic_transfer", "2015-03-15", &dealer, &person, &err),
	    REG_ERULE);
	ck_assert_msg(strstr(err.message, "backwards") != NULL, "%s", err.message);
	reg_error_clear(&err);
	ck_assert_uint_eq(log_size(), before);
	ck_assert_int_eq(count("SELECT count(*) FROM event"), 2);
	ck_assert_int_eq(event(&w, "domestic_transfer", "2016-01-01", &dealer, &person, &err), 0);
	j = show(&w, NULL);
	ck_assert_str_eq(jstr(j, "status"), "held");
	ck_assert_str_eq(jstr(json_object_get(j, "holder"), "name"), "private person");
	json_decref(j);
	/* Stolen: no transfer until recovered. */
	ck_assert_int_eq(event(&w, "theft", "2017-01-01", NULL, NULL, &err), 0);
	ck_assert_int_eq(event(&w, "domestic_transfer", "2017-02-01", &person, &dealer, &err),
	    REG_ERULE);
	reg_error_clear(&err);
	j = show(&w, NULL);
	ck_assert_str_eq(jstr(j, "status"), "stolen");
	json_decref(j);
	ck_assert_int_eq(event(&w, "recovery", "2018-01-01", NULL, &agency, &err), 0);
	ck_assert_int_eq(event(&w, "destruction", "2019-01-01", NULL, NULL, &err), 0);
	/* Nothing happens to a destroyed weapon. */
	ck_assert_int_eq(event(&w, "theft", "2020-01-01", NULL, NULL, &err), REG_ERULE);
	ck_assert_msg(strstr(err.message, "destroyed") != NULL, "%s", err.message);
	j = show(&w, NULL);
	ck_assert_str_eq(jstr(j, "status"), "destroyed");
	ck_assert_int_eq(json_array_size(json_object_get(j, "history")), 6);
	json_decref(j);
	verify_ok();
}
END_TEST

START_TEST(export_carries_licence)
{
	reg_error err = REG_ERROR_INIT;
	reg_uuid w, fn, importer;
	struct reg_event_in in;
	json_t *j, *e;

	manufacturer();
	w = weapon("EXP1", "W4");
	fn = party("manufacturer", "FN Herstal SA", "FNH");
	importer = party("foreign_importer", "Waffen GmbH", "IMP1");
	ck_assert_int_eq(event(&w, "manufacture", "2019-03-01", NULL, &fn, &err), 0);
	memset(&in, 0, sizeof(in));
	in.kind = "export";
	in.date = "2020-02-01";
	in.from_party = &fn;
	in.to_party = &importer;
	ck_assert_int_eq(reg_event_add(ctx, &w, &in, NULL, NULL, &err), REG_ERULE);
	reg_error_clear(&err);
	in.import_country = "DE";
	in.licence_number = "EXP-2020-1";
	in.licence_issued = "2020-01-10";
	in.licence_expires = "2019-12-31";
	ck_assert_int_eq(reg_event_add(ctx, &w, &in, NULL, NULL, &err), REG_EINVAL);
	reg_error_clear(&err);
	in.licence_expires = "2020-12-31";
	in.euc_ref = "EUC-77";
	in.transit_countries = "NL,LU";
	in.final_recipient = "Waffen GmbH, Berlin";
	ck_assert_msg(reg_event_add(ctx, &w, &in, NULL, NULL, &err) == 0, "%s", err.message);
	j = show(&w, NULL);
	ck_assert_str_eq(jstr(j, "status"), "exported");
	e = json_array_get(json_object_get(j, "history"), 1);
	ck_assert_str_eq(jstr(e, "kind"), "export");
	ck_assert_str_eq(jstr(json_object_get(e, "licence"), "number"), "EXP-2020-1");
	ck_assert_str_eq(jstr(json_object_get(e, "licence"), "expires"), "2020-12-31");
	ck_assert_str_eq(jstr(e, "import_country"), "DE");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(e,
	    "transit_countries"), 1)), "LU");
	ck_assert_str_eq(jstr(json_object_get(j, "last_legal_holder"), "name"),
	    "FN Herstal SA");
	ck_assert(json_integer_value(json_object_get(e, "log_index")) > 0);
	json_decref(j);
	in.transit_countries = "NL,XX";
	ck_assert_int_eq(reg_event_add(ctx, &w, &in, NULL, NULL, &err), REG_EINVAL);
	verify_ok();
}
END_TEST

START_TEST(correction_keeps_original)
{
	reg_error err = REG_ERROR_INIT;
	reg_uuid w, fn, d1, d2;
	struct reg_event_in in;
	struct reg_written ev, corr;
	json_t *j, *h;

	manufacturer();
	w = weapon("COR1", "W5");
	fn = party("manufacturer", "FN Herstal SA", "FNH");
	d1 = party("dealer", "Dealer One", "D1");
	d2 = party("dealer", "Dealer Two", "D2");
	ck_assert_int_eq(event(&w, "manufacture", "2019-03-01", NULL, &fn, &err), 0);
	memset(&in, 0, sizeof(in));
	in.kind = "domestic_transfer";
	in.date = "2019-04-01";
	in.from_party = &fn;
	in.to_party = &d1;
	ck_assert_int_eq(reg_event_add(ctx, &w, &in, &ev, NULL, &err), 0);
	/* The office wrote the wrong dealer: correct it. */
	in.to_party = &d2;
	ck_assert_int_eq(reg_event_correct(ctx, &ev.id, NULL, &in, &corr, &err), REG_EINVAL);
	reg_error_clear(&err);
	ck_assert_int_eq(reg_event_correct(ctx, &ev.id, "wrong dealer on form 12", &in, &corr,
	    &err), 0);
	j = show(&w, NULL);
	h = json_object_get(j, "history");
	ck_assert_int_eq(json_array_size(h), 3);
	ck_assert_str_eq(jstr(json_array_get(h, 1), "corrected_by"), jstr(json_array_get(h, 2), "id"));
	ck_assert_str_eq(jstr(json_array_get(h, 2), "reason"), "wrong dealer on form 12");
	ck_assert_str_eq(jstr(json_object_get(j, "holder"), "name"), "Dealer Two");
	json_decref(j);
	/* The chain now runs through Dealer Two. */
	ck_assert_int_eq(event(&w, "domestic_transfer", "2019-05-01", &d1, &fn, &err), REG_ERULE);
	reg_error_clear(&err);
	ck_assert_int_eq(event(&w, "domestic_transfer", "2019-05-01", &d2, &fn, &err), 0);
	verify_ok();
}
END_TEST

START_TEST(private_person_encrypted)
{
	reg_error err = REG_ERROR_INIT;
	reg_uuid w, fn, p;
	json_t *j, *id;
	char *v;
	struct reg_party_in in = { "private_person", NULL, "BE", NULL, NULL, "P9", NULL };

	manufacturer();
	/* Without the key, or with a name in the clear: refused. */
	ck_assert_int_eq(reg_party_add(ctx, NULL, &in, NULL, &err), REG_EINVAL);
	reg_error_clear(&err);
	in.name = "Clear Name";
	ck_assert_int_eq(reg_party_add(ctx, kr, &in, NULL, &err), REG_EINVAL);
	reg_error_clear(&err);
	w = weapon("PII1", "W6");
	fn = party("manufacturer", "FN Herstal SA", "FNH");
	p = private_party("P1");
	ck_assert_int_eq(event(&w, "manufacture", "2019-03-01", NULL, &fn, &err), 0);
	ck_assert_int_eq(event(&w, "domestic_transfer", "2019-04-01", &fn, &p, &err), 0);
	/* No plaintext anywhere in the tables or the log. */
	v = tu_query1(ci, "SELECT count(*) FROM log_entry WHERE position('Zoltan'::bytea in leaf) > 0 "
	    "OR position('Secrete'::bytea in leaf) > 0 OR position('XJ9981'::bytea in leaf) > 0");
	ck_assert_str_eq(v, "0");
	free(v);
	v = tu_query1(ci, "SELECT count(*) FROM party WHERE coalesce(name, '') LIKE '%Zoltan%' "
	    "OR position('Zoltan'::bytea in coalesce(pii, ''::bytea)) > 0 "
	    "OR position('XJ9981'::bytea in coalesce(pii, ''::bytea)) > 0");
	ck_assert_str_eq(v, "0");
	free(v);
	v = tu_query1(ci, "SELECT count(*) FROM log_entry WHERE position('pii_commitment'::bytea in leaf) > 0 "
	    "AND position('\"private_person\"'::bytea in leaf) > 0");
	ck_assert_str_eq(v, "1");
	free(v);
	/* The office, with the key, reads it back; others see a private person. */
	j = show(&w, kr);
	id = json_object_get(json_object_get(j, "holder"), "identity");
	ck_assert_str_eq(jstr(id, "name"), "Zoltan Quixote-Plaintext");
	ck_assert_str_eq(jstr(id, "id_document"), "PASSPORT-XJ9981");
	json_decref(j);
	j = show(&w, NULL);
	ck_assert_ptr_null(json_object_get(json_object_get(j, "holder"), "identity"));
	ck_assert_str_eq(jstr(json_object_get(j, "holder"), "name"), "private person");
	json_decref(j);
	verify_ok();
}
END_TEST

START_TEST(components_and_markings)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_marking_in imp = { "import", "IMP DE 2021", "frame", NULL, 2021, NULL };
	struct reg_written c;
	reg_uuid w, nobody;
	json_t *j;

	manufacturer();
	w = weapon("CMP1", "W7");
	ck_assert_int_eq(reg_marking_add(ctx, &w, &imp, NULL, &err), REG_EINVAL);
	reg_error_clear(&err);
	imp.country = "DE";
	ck_assert_int_eq(reg_marking_add(ctx, &w, &imp, NULL, &err), 0);
	ck_assert_int_eq(reg_component_add(ctx, &w, "barrel", "BRL-991", &c, &err), 0);
	ck_assert_int_eq(reg_component_add(ctx, &w, "trigger", "T1", &c, &err), REG_EINVAL);
	reg_error_clear(&err);
	memset(&nobody, 7, sizeof(nobody));
	ck_assert_int_eq(reg_component_add(ctx, &nobody, "barrel", "B2", &c, &err),
	    REG_ENOTFOUND);
	j = show(&w, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(j, "markings")), 2);
	ck_assert_str_eq(jstr(json_array_get(json_object_get(j, "components"), 0), "serial"),
	    "BRL-991");
	json_decref(j);
	verify_ok();
}
END_TEST

START_TEST(retention_dates)
{
	reg_error err = REG_ERROR_INIT;
	reg_uuid w, fn, d;
	json_t *j;
	char *year, want[16], msg[512];

	manufacturer();
	w = weapon("RET1", "W8");
	fn = party("manufacturer", "FN Herstal SA", "FNH");
	d = party("dealer", "Dealer", "D1");
	ck_assert_int_eq(event(&w, "manufacture", "2019-03-01", NULL, &fn, &err), 0);
	ck_assert_int_eq(event(&w, "domestic_transfer", "2019-04-01", &fn, &d, &err), 0);
	year = tu_query1(ci, "SELECT extract(year FROM now() AT TIME ZONE 'UTC')::int");
	j = show(&w, NULL);
	snprintf(want, sizeof(want), "%d", atoi(year) + 30);
	ck_assert(strncmp(jstr(j, "retention_until"), want, 4) == 0);
	ck_assert(strncmp(jstr(json_array_get(json_object_get(j, "history"), 0),
	    "retention_until"), want, 4) == 0);
	snprintf(want, sizeof(want), "%d", atoi(year) + 20);
	ck_assert(strncmp(jstr(json_array_get(json_object_get(j, "history"), 1),
	    "retention_until"), want, 4) == 0);
	json_decref(j);
	free(year);
	/* A State may lengthen retention, never shorten it. */
	ck_assert_int_eq(tu_try_exec(ci, "INSERT INTO retention_setting VALUES ('other', 10)",
	    msg, sizeof(msg)), -1);
	ck_assert_int_eq(tu_try_exec(ci, "SET session_replication_role = replica; "
	    "UPDATE retention_setting SET years = 10 WHERE record_class = 'other'",
	    msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "check constraint") != NULL, "%s", msg);
}
END_TEST

START_TEST(records_append_only)
{
	char msg[512];

	manufacturer();
	(void)weapon("AO1", "W9");
	ck_assert_int_eq(tu_try_exec(ci, "UPDATE weapon SET serial = 'X'", msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "append-only") != NULL, "%s", msg);
	ck_assert_int_eq(tu_try_exec(ci, "DELETE FROM marking", msg, sizeof(msg)), -1);
	ck_assert_int_eq(tu_try_exec(ci, "TRUNCATE event", msg, sizeof(msg)), -1);
	ck_assert_int_eq(tu_try_exec(ci, "SET ROLE registry_app; UPDATE weapon SET serial = 'X'",
	    msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "permission denied") != NULL, "%s", msg);
	ck_assert_int_eq(tu_try_exec(ci, "SET ROLE registry_app; DELETE FROM party",
	    msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "permission denied") != NULL, "%s", msg);
}
END_TEST

/* A superuser's direct change of a record row is caught and named. */
static void
expect_record_caught(const char *sql, const char *words, int64_t want_index)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_log_report rep;
	char full[2048];

	snprintf(full, sizeof(full), "SET session_replication_role = replica; %s", sql);
	tu_exec(ci, full);
	ck_assert_int_eq(reg_log_verify(ctx, key, &rep, &err), REG_EVERIFY);
	ck_assert_msg(strstr(err.message, words) != NULL, "message: %s", err.message);
	if (want_index >= 0)
		ck_assert_msg(rep.bad_index == want_index, "bad index %" PRId64 ", wanted %"
		    PRId64 ": %s", rep.bad_index, want_index, err.message);
}

static int64_t
index_of(const char *sql)
{
	char *v = tu_query1(ci, sql);
	int64_t n = atoll(v);

	free(v);
	return n;
}

START_TEST(tamper_record_edit)
{
	int64_t li;

	manufacturer();
	(void)weapon("T1", "WT1");
	li = index_of("SELECT log_index FROM weapon WHERE office_ref = 'WT1'");
	expect_record_caught("UPDATE weapon SET serial = 'FORGED' WHERE office_ref = 'WT1'",
	    "table weapon, record ", li);
}
END_TEST

START_TEST(tamper_record_delete)
{
	int64_t li;

	manufacturer();
	(void)weapon("T2", "WT2");
	li = index_of("SELECT log_index FROM marking");
	expect_record_caught("DELETE FROM marking", "missing from table marking", li);
}
END_TEST

START_TEST(tamper_record_insert)
{
	manufacturer();
	(void)weapon("T3", "WT3");
	/* A row pointing at a leaf that seals another record. */
	expect_record_caught("INSERT INTO party (id, kind, name, country, recorded_at, log_index) "
	    "SELECT gen_random_uuid(), 'dealer', 'Ghost Dealer', 'BE', now(), log_index "
	    "FROM weapon LIMIT 1", "table party, record", -1);
}
END_TEST

START_TEST(tamper_private_identity_swap)
{
	reg_error err = REG_ERROR_INIT;
	reg_uuid a, b, w, fn;
	json_t *j;

	manufacturer();
	a = private_party("PA");
	b = private_party("PB");
	(void)b;
	/* Moving one person's encrypted identity onto another record does not
	 * open: the record's id is bound to its ciphertext. */
	tu_exec(ci, "SET session_replication_role = replica; UPDATE party SET pii = "
	    "(SELECT pii FROM party WHERE office_ref = 'PB') WHERE office_ref = 'PA'");
	w = weapon("SW1", "WSW");
	fn = party("manufacturer", "FN Herstal SA", "FNH");
	ck_assert_int_eq(event(&w, "manufacture", "2019-03-01", NULL, &fn, &err), 0);
	ck_assert_int_eq(event(&w, "domestic_transfer", "2019-04-01", &fn, &a, &err), 0);
	j = show(&w, kr);
	ck_assert_str_eq(jstr(json_object_get(j, "holder"), "identity"),
	    "not readable with the given personal-data key");
	json_decref(j);
}
END_TEST

/* One row of one column of a reg__exec() call, as text ("" on error). */
static void
exec_one(const char *sql, const char *param, char *out, size_t n)
{
	const char *params[1] = { param };
	PGresult *res = reg__exec(ctx, sql, param ? 1 : 0, params, NULL, NULL, 0);

	snprintf(out, n, "%s", PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
}

static int
prepared_count(void)
{
	PGresult *res = PQexec(reg__conn(ctx),
	    "SELECT count(*) FROM pg_prepared_statements");
	int n = atoi(PQgetvalue(res, 0, 0));

	PQclear(res);
	return n;
}

START_TEST(statements_prepared_once)
{
	char buf[256], out[64];
	PGresult *res;
	int i, before;

	/* Prepared the first time, executed the same afterwards. */
	before = prepared_count();
	exec_one("SELECT $1::int + 1", "41", out, sizeof(out));
	ck_assert_str_eq(out, "42");
	ck_assert_int_eq(prepared_count(), before + 1);
	exec_one("SELECT $1::int + 1", "1", out, sizeof(out));
	ck_assert_str_eq(out, "2");
	ck_assert_int_eq(prepared_count(), before + 1);

	/* A text built in the same buffer: compared whole, never taken for
	 * the statement first seen at that address. */
	snprintf(buf, sizeof(buf), "SELECT 'a' || $1::text");
	exec_one(buf, "x", out, sizeof(out));
	ck_assert_str_eq(out, "ax");
	snprintf(buf, sizeof(buf), "SELECT 'b' || $1::text");
	exec_one(buf, "x", out, sizeof(out));
	ck_assert_str_eq(out, "bx");

	/* Prepared inside a transaction rolled back: still there after. */
	ck_assert(PQresultStatus(res = PQexec(reg__conn(ctx), "BEGIN")) ==
	    PGRES_COMMAND_OK);
	PQclear(res);
	exec_one("SELECT $1::int * 3", "5", out, sizeof(out));
	ck_assert_str_eq(out, "15");
	PQclear(PQexec(reg__conn(ctx), "ROLLBACK"));
	exec_one("SELECT $1::int * 3", "7", out, sizeof(out));
	ck_assert_str_eq(out, "21");

	/* A statement the server refuses: its error, and nothing kept. */
	before = prepared_count();
	res = reg__exec(ctx, "SELECT no_such_column FROM weapon", 0, NULL, NULL,
	    NULL, 0);
	ck_assert_int_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
	ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42703");
	PQclear(res);
	ck_assert_int_eq(prepared_count(), before);
	exec_one("SELECT $1::int + 1", "9", out, sizeof(out));
	ck_assert_str_eq(out, "10");

	/* Past the cache's size, statements still run, unprepared. */
	for (i = 0; i < REG__STMT_MAX + 10; i++) {
		char want[16];

		snprintf(buf, sizeof(buf), "SELECT %d + $1::int", i);
		exec_one(buf, "1", out, sizeof(out));
		snprintf(want, sizeof(want), "%d", i + 1);
		ck_assert_str_eq(out, want);
	}
	ck_assert_int_eq(prepared_count(), REG__STMT_MAX);
}
END_TEST

/* A transaction's last statement sent with its COMMIT: committed when it
 * succeeds; rolled back, the connection usable, when it fails. */
START_TEST(statement_with_commit)
{
	reg_error err = REG_ERROR_INIT;
	const char *one[1] = { "1" };
	char out[64];
	int i;

	PQclear(PQexec(reg__conn(ctx), "CREATE TEMP TABLE t (x int PRIMARY KEY)"));
	for (i = 0; i < 2; i++) {
		PQclear(PQexec(reg__conn(ctx), "BEGIN"));
		PQclear(PQexec(reg__conn(ctx), i == 0 ? "INSERT INTO t VALUES (101)" :
		    "INSERT INTO t VALUES (102)"));
		reg_error_clear(&err);
		if (i == 0) {
			ck_assert_msg(reg__exec_commit(ctx, "INSERT INTO t VALUES ($1::int)",
			    1, one, NULL, NULL, "cannot insert", &err) == 0, "%s",
			    err.message);
		} else {
			/* The same key again: refused, and the row before it in the
			 * transaction goes with it. */
			ck_assert_int_eq(reg__exec_commit(ctx, "INSERT INTO t VALUES "
			    "($1::int)", 1, one, NULL, NULL, "cannot insert", &err),
			    REG_EDB);
			ck_assert_str_eq(err.sqlstate, "23505");
			ck_assert(strstr(err.message, "cannot insert") != NULL);
		}
		ck_assert_int_eq(PQtransactionStatus(reg__conn(ctx)), PQTRANS_IDLE);
		ck_assert_int_eq(PQpipelineStatus(reg__conn(ctx)), PQ_PIPELINE_OFF);
	}
	exec_one("SELECT count(*) || ':' || sum(x) FROM t", NULL, out, sizeof(out));
	ck_assert_str_eq(out, "2:102");
}
END_TEST

/*
 * A connection that the server ends (an administrator's termination, as at
 * a shutdown or restart) fails with REG_EUNAVAIL, not REG_EDB, so that a
 * daemon can tell "try again" from a refusal; reg_ping says the same, and
 * answers 0 on a live connection.
 */
START_TEST(lost_connection_is_unavailable)
{
	reg_error err = REG_ERROR_INIT;
	char sql[128];
	uint64_t n;
	int r;

	ck_assert_msg(reg_ping(ctx, &err) == 0, "%s", err.message);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)",
	    PQbackendPID(reg__conn(ctx)));
	tu_exec(ci, sql);
	r = reg_log_size(ctx, &n, &err);
	ck_assert_msg(r == REG_EUNAVAIL && err.code == REG_EUNAVAIL, "reg_log_size "
	    "on a terminated connection: %d (%s), wanted REG_EUNAVAIL", r,
	    err.message);
	ck_assert_str_eq(reg_strerror(REG_EUNAVAIL), "the database is unavailable");
	reg_error_clear(&err);
	ck_assert_int_eq(reg_ping(ctx, &err), REG_EUNAVAIL);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("records");
	TCase *tc = tcase_create("records");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, manufacturer_found_through_aliases);
	tcase_add_test(tc, weapon_needs_its_manufacture_marking);
	tcase_add_test(tc, weapon_register_refuses_bad_input);
	tcase_add_test(tc, serial_normalised);
	tcase_add_test(tc, chain_rules);
	tcase_add_test(tc, export_carries_licence);
	tcase_add_test(tc, correction_keeps_original);
	tcase_add_test(tc, private_person_encrypted);
	tcase_add_test(tc, components_and_markings);
	tcase_add_test(tc, retention_dates);
	tcase_add_test(tc, records_append_only);
	tcase_add_test(tc, tamper_record_edit);
	tcase_add_test(tc, tamper_record_delete);
	tcase_add_test(tc, tamper_record_insert);
	tcase_add_test(tc, tamper_private_identity_swap);
	tcase_add_test(tc, statements_prepared_once);
	tcase_add_test(tc, statement_with_commit);
	tcase_add_test(tc, lost_connection_is_unavailable);
	suite_add_tcase(s, tc);
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
