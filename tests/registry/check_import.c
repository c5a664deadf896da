/* Bulk CSV import against a real database: good files, re-runs, bad rows
 * with their line numbers, histories across batches, and an import killed
 * at random moments and run again. */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <check.h>

#include "registry/registry.h"
#include "leaf_ref.h"
#include "testutil.h"

#define WEAPONS_HEADER "office_ref,manufacturer,model,type,calibre,serial,country," \
	"year,mark_text,mark_location,mark_kind\n"
#define EVENTS_HEADER "office_ref,weapon,kind,date,from,to,licence_number," \
	"licence_issued,licence_expires,euc_ref,export_country,import_country," \
	"transit_countries,final_recipient,certificate,note\n"

static char ci[256];		/* this test's database */
static char *tmpdir;
static reg_key *key;

static reg_ctx *
open_db(const char *conninfo)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;

	ck_assert_msg(reg_open(conninfo, 0, &ctx, &err) == 0, "%s", err.message);
	return ctx;
}

/* The manufacturers and parties that the files name. */
static void
seed(const char *conninfo)
{
	static const struct {
		const char *kind, *name, *country, *ref;
	} parties[] = {
		{ "manufacturer", "FN Herstal SA", "BE", "P-FN" },
		{ "dealer", "Armurerie Centrale", "BE", "P-D1" },
		{ "dealer", "Wapenhandel Noord", "NL", "P-D2" },
		{ "state_agency", "Federal Police", "BE", "P-POL" },
		{ "foreign_importer", "Kenya Police Service", "KE", "P-KE" },
	};
	reg_ctx *ctx = open_db(conninfo);
	reg_error err = REG_ERROR_INIT;
	struct reg_written w;
	struct reg_party_in p;
	size_t i;

	ck_assert_msg(reg_manufacturer_add(ctx, "Fabrique Nationale Herstal", "BE", &w,
	    &err) == 0, "%s", err.message);
	ck_assert_msg(reg_manufacturer_alias_add(ctx, &w.id, "FN", "code", NULL,
	    &err) == 0, "%s", err.message);
	ck_assert_msg(reg_manufacturer_add(ctx, "Heckler & Koch", "DE", &w, &err) == 0,
	    "%s", err.message);
	ck_assert_msg(reg_manufacturer_alias_add(ctx, &w.id, "HK", "code", NULL,
	    &err) == 0, "%s", err.message);
	ck_assert_msg(reg_manufacturer_add(ctx, "Glock GmbH", "AT", &w, &err) == 0,
	    "%s", err.message);
	for (i = 0; i < sizeof(parties) / sizeof(parties[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.kind = parties[i].kind;
		p.name = parties[i].name;
		p.country = parties[i].country;
		p.office_ref = parties[i].ref;
		ck_assert_msg(reg_party_add(ctx, NULL, &p, &w, &err) == 0, "%s",
		    err.message);
	}
	reg_close(ctx);
}

static void
setup(void)
{
	char path[4200];
	reg_error err = REG_ERROR_INIT;

	snprintf(ci, sizeof(ci), "%s", tu_db_migrated());
	seed(ci);
	tmpdir = tu_tmpdir();
	snprintf(path, sizeof(path), "%s/log.key", tmpdir);
	ck_assert_msg(reg_key_generate("test.example/XX", path, &err) == 0, "%s",
	    err.message);
	ck_assert_msg(reg_key_load(path, &key, &err) == 0, "%s", err.message);
}

static void
teardown(void)
{
	reg_key_free(key);
	key = NULL;
	tu_rmtree(tmpdir);
	free(tmpdir);
}

/* The rejects an import reported. */
struct rejects {
	size_t n;
	uint64_t line[64];
	char *why[64];
	char *raw[64];
	int progress_calls;
	uint64_t last_rows;
	int kill_after;			/* raise SIGKILL after this many batches */
};

static void
on_reject(uint64_t line, const char *why, const char *raw, void *arg)
{
	struct rejects *rj = arg;

	ck_assert(why != NULL && raw != NULL);
	if (rj->n < 64) {
		rj->line[rj->n] = line;
		rj->why[rj->n] = strdup(why);
		rj->raw[rj->n] = strdup(raw);
	}
	rj->n++;
}

static void
on_progress(const struct reg_import_stats *st, uint64_t bytes, void *arg)
{
	struct rejects *rj = arg;

	ck_assert(st->rows > rj->last_rows || st->rows == 0);
	ck_assert(bytes > 0);
	rj->last_rows = st->rows;
	rj->progress_calls++;
	if (rj->kill_after > 0 && rj->progress_calls == rj->kill_after)
		raise(SIGKILL);
}

static void
rejects_free(struct rejects *rj)
{
	size_t i;

	for (i = 0; i < rj->n && i < 64; i++) {
		free(rj->why[i]);
		free(rj->raw[i]);
	}
	memset(rj, 0, sizeof(*rj));
}

/* The reason given for line, or NULL. */
static const char *
why_of(const struct rejects *rj, uint64_t line)
{
	size_t i;

	for (i = 0; i < rj->n && i < 64; i++)
		if (rj->line[i] == line)
			return rj->why[i];
	return NULL;
}

static void
expect_reject(const struct rejects *rj, uint64_t line, const char *part)
{
	const char *w = why_of(rj, line);

	ck_assert_msg(w != NULL, "line %" PRIu64 " was not rejected", line);
	ck_assert_msg(strstr(w, part) != NULL, "line %" PRIu64 ": '%s' lacks '%s'",
	    line, w, part);
}

/* Imports text (written to a file first) with the given batch size. */
static int
import_text(const char *conninfo, const char *text, size_t len, size_t batch,
    struct reg_import_stats *st, struct rejects *rj, reg_error *err)
{
	char path[4200];
	reg_ctx *ctx = open_db(conninfo);
	struct reg_import_opts o;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/in.csv", tmpdir);
	f = fopen(path, "wb");
	ck_assert(f != NULL);
	ck_assert(fwrite(text, 1, len, f) == len);
	ck_assert(fclose(f) == 0);
	f = fopen(path, "rb");
	ck_assert(f != NULL);
	rj->last_rows = 0;
	memset(&o, 0, sizeof(o));
	o.batch_rows = batch;
	o.reject = on_reject;
	o.progress = on_progress;
	o.arg = rj;
	r = reg_import_csv(ctx, f, &o, st, err);
	fclose(f);
	reg_close(ctx);
	return r;
}

static void
verify(const char *conninfo)
{
	reg_ctx *ctx = open_db(conninfo);
	reg_error err = REG_ERROR_INIT;
	struct reg_log_report rep;
	char msg[600];

	ck_assert_msg(reg_log_verify(ctx, key, &rep, &err) == 0, "log verify: %s",
	    err.message);
	/* Every leaf as the jansson reference encodes it. */
	ck_assert_msg(leaf_ref_check_log(ctx, msg, sizeof(msg)) >= 0, "%s", msg);
	reg_close(ctx);
}

/* Imports text that must go in without a database error; the log still
 * verifies after it. */
static void
import_ok(const char *conninfo, const char *text, size_t batch,
    struct reg_import_stats *st, struct rejects *rj)
{
	reg_error err = REG_ERROR_INIT;

	ck_assert_msg(import_text(conninfo, text, strlen(text), batch, st, rj,
	    &err) == 0, "import: %s", err.message);
	ck_assert_uint_eq(st->rows, st->imported + st->skipped + st->rejected);
	verify(conninfo);
}

static long
count(const char *conninfo, const char *sql)
{
	char *v = tu_query1(conninfo, sql);
	long n = atol(v);

	free(v);
	return n;
}

static void
expect_same(const char *conninfo, const char *sql)
{
	char *v = tu_query1(conninfo, sql);

	ck_assert_msg(strcmp(v, "t") == 0, "not the same: %s", sql);
	free(v);
}

/*
 * The trace engine's read model (migration 0011, seen through its view
 * trace_row one record per row) repeats every record,
 * whether imported with COPY or written through the API, field for field
 * under its weapon's serial's search key, and nothing else.
 */
static void
read_model_whole(const char *conninfo)
{
	expect_same(conninfo, "SELECT count(*) = (SELECT count(*) FROM weapon) + "
	    "(SELECT count(*) FROM marking) + (SELECT count(*) FROM component) + "
	    "(SELECT count(*) FROM event) FROM trace_row");
	expect_same(conninfo, "SELECT count(*) = (SELECT count(*) FROM weapon) "
	    "FROM weapon w JOIN trace_row t ON t.kind = 'w' AND t.weapon_id = w.id "
	    "AND t.key = translate(w.serial_norm, 'D7', '01') "
	    "AND t.log_index = w.log_index "
	    "AND t.manufacturer_id IS NOT DISTINCT FROM w.manufacturer_id "
	    "AND t.model IS NOT DISTINCT FROM w.model AND t.type = w.type "
	    "AND t.calibre IS NOT DISTINCT FROM w.calibre AND t.serial = w.serial "
	    "AND t.country = w.country_of_manufacture "
	    "AND t.year IS NOT DISTINCT FROM w.year_of_manufacture");
	expect_same(conninfo, "SELECT count(*) = (SELECT count(*) FROM marking) "
	    "FROM marking m JOIN weapon w ON w.id = m.weapon_id JOIN trace_row t "
	    "ON t.kind = 'm' AND t.weapon_id = m.weapon_id "
	    "AND t.key = translate(w.serial_norm, 'D7', '01') "
	    "AND t.log_index = m.log_index AND t.what = m.kind AND t.text = m.text "
	    "AND t.location IS NOT DISTINCT FROM m.location "
	    "AND t.country IS NOT DISTINCT FROM m.country "
	    "AND t.year IS NOT DISTINCT FROM m.year "
	    "AND t.new_serial IS NOT DISTINCT FROM m.new_serial");
	expect_same(conninfo, "SELECT count(*) = (SELECT count(*) FROM event) "
	    "FROM event e JOIN weapon w ON w.id = e.weapon_id JOIN trace_row t "
	    "ON t.kind = 'e' AND t.weapon_id = e.weapon_id "
	    "AND t.key = translate(w.serial_norm, 'D7', '01') "
	    "AND t.log_index = e.log_index AND t.id = e.id AND t.seq = e.seq "
	    "AND t.what = e.kind AND t.event_date = e.event_date "
	    "AND t.from_party IS NOT DISTINCT FROM e.from_party "
	    "AND t.to_party IS NOT DISTINCT FROM e.to_party "
	    "AND t.licence_number IS NOT DISTINCT FROM e.licence_number "
	    "AND t.licence_issued IS NOT DISTINCT FROM e.licence_issued "
	    "AND t.licence_expires IS NOT DISTINCT FROM e.licence_expires "
	    "AND t.euc_ref IS NOT DISTINCT FROM e.euc_ref "
	    "AND t.export_country IS NOT DISTINCT FROM e.export_country "
	    "AND t.import_country IS NOT DISTINCT FROM e.import_country "
	    "AND t.transit = array_to_string(e.transit_countries, ',') "
	    "AND t.final_recipient IS NOT DISTINCT FROM e.final_recipient "
	    "AND t.certificate IS NOT DISTINCT FROM e.certificate "
	    "AND t.corrects IS NOT DISTINCT FROM e.corrects "
	    "AND t.reason IS NOT DISTINCT FROM e.reason "
	    "AND t.note IS NOT DISTINCT FROM e.note");
}

/* A BOM, CRLF line ends, quoted fields with commas and doubled quotes, an
 * alternative code without a manufacturer, a blank line at the end. */
static const char good_weapons[] =
    "\xef\xbb\xbf" "office_ref,manufacturer,model,type,calibre,serial,country,"
    "year,mark_text,mark_location,mark_kind\r\n"
    "W-1,FN,\"FNC, folding stock\",assault_rifle,5.56 x 45mm,FN-0001,BE,1990,"
    "FN HERSTAL FN-0001,receiver,\r\n"
    "W-2,Fabrique Nationale Herstal,Five-seveN,pistol,\"5,7x28\",386-000120,BE,2005,"
    "386-000120,slide,manufacture\r\n"
    "W-3,hk,G3A3,rifle,7.62x51mm,A 123 456,DE,1978,\"HK \"\"G3\"\" A123456\",,\r\n"
    "W-4,Glock GmbH,17 Gen5,pistol,9x19mm,BXYZ123,AT,,BXYZ123,frame,manufacture\r\n"
    "W-5,,,rifle,,UNMARKED-7,RS,1950,STATE-AC-0007,other,alternative_code\r\n"
    "W-6,HK,MP5,submachine_gun,9 X 19,SO-1ZB8,DE,1985,SO-1ZB8,receiver,\r\n"
    "\r\n";

static const char good_events[] =
    EVENTS_HEADER
    "E-1,W-1,manufacture,1990-05-01,,P-FN,,,,,,,,,,\n"
    "E-2,W-1,domestic_transfer,1990-06-01,P-FN,P-D1,L-100,1990-05-20,1991-05-20,,,,,,,\n"
    "E-3,W-1,export,1991-01-15,P-D1,P-KE,EXP-77,1990-12-01,1991-12-01,EUC-9,BE,KE,"
    "DE;AT,Kenya Police Service,,\"shipped by air, two crates\"\n"
    "E-4,W-2,manufacture,2005-02-01,,P-FN,,,,,,,,,,\n"
    "E-5,W-2,state_to_civilian,2005-03-01,P-FN,P-POL,,,,,,,,,,\n"
    "E-6,W-2,loss,2006-01-01,,,,,,,,,,,,reported stolen from the armoury\n";

START_TEST(import_good_files)
{
	struct reg_import_stats st;
	struct rejects rj;
	reg_ctx *ctx;
	reg_error err = REG_ERROR_INIT;
	struct reg_weapon_in wi;
	struct reg_marking_in mi;
	struct reg_event_in ei;
	struct reg_written w, m;
	reg_uuid from, to, wid;
	char *v;

	memset(&rj, 0, sizeof(rj));
	import_ok(ci, good_weapons, 0, &st, &rj);
	ck_assert_msg(rj.n == 0, "rejected line %" PRIu64 ": %s", rj.line[0], rj.why[0]);
	ck_assert_uint_eq(st.rows, 6);
	ck_assert_uint_eq(st.imported, 6);
	ck_assert_int_eq(count(ci, "SELECT count(*) FROM weapon"), 6);
	ck_assert_int_eq(count(ci, "SELECT count(*) FROM marking"), 6);
	v = tu_query1(ci, "SELECT model || '|' || calibre_norm || '|' || serial_norm "
	    "FROM weapon WHERE office_ref = 'W-1'");
	ck_assert_str_eq(v, "FNC, folding stock|5.56x45mm|FN0001");
	free(v);
	v = tu_query1(ci, "SELECT text FROM marking m JOIN weapon w ON w.id = m.weapon_id "
	    "WHERE w.office_ref = 'W-3'");
	ck_assert_str_eq(v, "HK \"G3\" A123456");
	free(v);
	ck_assert_int_eq(count(ci, "SELECT count(*) FROM weapon WHERE office_ref = 'W-5' "
	    "AND manufacturer_id IS NULL"), 1);

	/* The same weapon through the API makes the same row and marking. */
	ctx = open_db(ci);
	memset(&wi, 0, sizeof(wi));
	memset(&mi, 0, sizeof(mi));
	mi.kind = "manufacture";
	mi.text = "HK \"G3\" A123456";
	mi.country = "DE";
	mi.year = 1978;
	wi.office_ref = "API-3";
	wi.manufacturer = "hk";
	wi.model = "G3A3";
	wi.type = "rifle";
	wi.calibre = "7.62x51mm";
	wi.serial = "A 123 456";
	wi.country = "DE";
	wi.year = 1978;
	wi.marking = &mi;
	ck_assert_msg(reg_weapon_register(ctx, &wi, &w, &m, &err) == 0, "%s", err.message);
	wid = w.id;
	expect_same(ci, "SELECT count(DISTINCT (manufacturer_id, model, type, calibre, "
	    "calibre_norm, serial, serial_norm, country_of_manufacture, "
	    "year_of_manufacture)) = 1 FROM weapon WHERE office_ref IN ('W-3', 'API-3')");
	expect_same(ci, "SELECT count(DISTINCT (m.kind, m.text, m.location, m.country, "
	    "m.year, m.new_serial)) = 1 FROM marking m JOIN weapon w ON w.id = m.weapon_id "
	    "WHERE w.office_ref IN ('W-3', 'API-3')");

	memset(&rj, 0, sizeof(rj));
	import_ok(ci, good_events, 0, &st, &rj);
	ck_assert_msg(rj.n == 0, "rejected line %" PRIu64 ": %s", rj.line[0], rj.why[0]);
	ck_assert_uint_eq(st.imported, 6);
	expect_same(ci, "SELECT string_agg(e.seq::text, ',' ORDER BY e.seq) = '1,2,3' "
	    "FROM event e JOIN weapon w ON w.id = e.weapon_id WHERE w.office_ref = 'W-1'");
	expect_same(ci, "SELECT transit_countries = '{DE,AT}' AND note = 'shipped by air, "
	    "two crates' AND licence_number = 'EXP-77' FROM event WHERE office_ref = 'E-3'");

	/* The export through the API makes the same event. */
	ck_assert_int_eq(reg_party_find(ctx, "P-FN", &from, &err), 0);
	ck_assert_int_eq(reg_party_find(ctx, "P-D1", &to, &err), 0);
	memset(&ei, 0, sizeof(ei));
	ei.kind = "manufacture";
	ei.date = "1990-05-01";
	ei.to_party = &from;
	ck_assert_msg(reg_event_add(ctx, &wid, &ei, NULL, NULL, &err) == 0, "%s",
	    err.message);
	ei.kind = "domestic_transfer";
	ei.date = "1990-06-01";
	ei.from_party = &from;
	ei.to_party = &to;
	ei.licence_number = "L-100";
	ei.licence_issued = "1990-05-20";
	ei.licence_expires = "1991-05-20";
	ei.office_ref = "API-E-2";
	ck_assert_msg(reg_event_add(ctx, &wid, &ei, NULL, NULL, &err) == 0, "%s",
	    err.message);
	expect_same(ci, "SELECT count(DISTINCT (seq, kind, event_date, from_party, "
	    "to_party, licence_number, licence_issued, licence_expires, euc_ref, "
	    "export_country, import_country, transit_countries, final_recipient, "
	    "certificate, corrects, reason, note)) = 1 FROM event "
	    "WHERE office_ref IN ('E-2', 'API-E-2')");
	{
		char *js = NULL;
		reg_uuid w2;
		char *id = tu_query1(ci, "SELECT id FROM weapon WHERE office_ref = 'W-2'");

		ck_assert_int_eq(reg_uuid_parse(id, &w2, &err), 0);
		ck_assert_msg(reg_weapon_show(ctx, &w2, NULL, &js, &err) == 0, "%s",
		    err.message);
		ck_assert_msg(strstr(js, "\"status\": \"lost\"") != NULL ||
		    strstr(js, "\"status\":\"lost\"") != NULL, "%s", js);
		reg_free(js);
		free(id);
	}
	reg_close(ctx);
	verify(ci);
	read_model_whole(ci);
	rejects_free(&rj);
}
END_TEST

START_TEST(rerun_is_a_no_op)
{
	struct reg_import_stats st;
	struct rejects rj;
	char *before, *after;

	memset(&rj, 0, sizeof(rj));
	import_ok(ci, good_weapons, 2, &st, &rj);
	import_ok(ci, good_events, 2, &st, &rj);
	ck_assert_uint_eq(rj.n, 0);
	before = tu_query1(ci, "SELECT count(*) FROM log_entry");
	import_ok(ci, good_weapons, 2, &st, &rj);
	ck_assert_uint_eq(st.rows, 6);
	ck_assert_uint_eq(st.imported, 0);
	ck_assert_uint_eq(st.skipped, 6);
	import_ok(ci, good_events, 0, &st, &rj);
	ck_assert_uint_eq(st.imported, 0);
	ck_assert_uint_eq(st.skipped, 6);
	ck_assert_uint_eq(rj.n, 0);
	after = tu_query1(ci, "SELECT count(*) FROM log_entry");
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(count(ci, "SELECT count(*) FROM weapon"), 6);
	ck_assert_int_eq(count(ci, "SELECT count(*) FROM event"), 6);
	verify(ci);
	free(before);
	free(after);
	rejects_free(&rj);
}
END_TEST

START_TEST(bad_weapon_rows)
{
	struct reg_import_stats st;
	struct rejects rj;
	char *text, *p, model[301];
	size_t cap = 200000;
	int i;

	memset(model, 'M', 300);
	model[300] = '\0';
	text = malloc(cap);
	ck_assert(text != NULL);
	p = text;
	p += sprintf(p, "%s", WEAPONS_HEADER);					/* 1 */
	p += sprintf(p, "B-1,FN,FNC,assault_rifle,5.56mm,S-1,BE,1990,S-1,receiver,\n");
	p += sprintf(p, "B-2,FN,FNC,assault_rifle,5.56mm,S-2,QQ,1990,S-2,receiver,\n");
	p += sprintf(p, "B-3,FN,FNC,assault_rifle,5.56mm,,BE,1990,S-3,receiver,\n");
	p += sprintf(p, "B-4,Acme Arms,FNC,assault_rifle,5.56mm,S-4,BE,1990,S-4,,\n");
	p += sprintf(p, "B-5,FN,FNC,assault_rifle,5.56mm,S-5,BE,1990,S-5,receiver\n");
	p += sprintf(p, "B-6,FN,F\xff\xfe,assault_rifle,5.56mm,S-6,BE,1990,S-6,,\n");
	p += sprintf(p, "B-7,FN,%s,rifle,,S-7,BE,,S-7,,\n", model);		/* 8 */
	p += sprintf(p, "B-8,FN,FAL,rifle,7.62mm,S-8,BE,1960,S-8,,\n");
	p += sprintf(p, "B-9,FN,");						/* 10 */
	for (i = 0; i < 70000; i++)
		*p++ = 'x';
	p += sprintf(p, ",rifle,,S-9,BE,,S-9,,\n");
	p += sprintf(p, "B-10,FN,\"FAL\"x,rifle,,S-10,BE,,S-10,,\n");		/* 11 */
	p += sprintf(p, "B-11,FN,\"two\nlines\",rifle,,S-11,BE,,S-11,,\n");	/* 12-13 */
	p += sprintf(p, "B-12,HK,G36,assault_rifle,5.56mm,S-12,DE,1997,S-12,,\n");
	p += sprintf(p, "B-13,HK,G36,spear,,S-13,DE,,S-13,,\n");		/* 15 */
	p += sprintf(p, "B-14,,G36,rifle,,S-14,DE,,S-14,,\n");
	p += sprintf(p, "B-15,,,rifle,,S-15,RS,,AC-15,other,alternative_code\n");
	p += sprintf(p, "B-16,HK,G36,rifle,,S-16,DE,19x7,S-16,,\n");		/* 18 */
	p += sprintf(p, "B-1,FN,FNC,assault_rifle,5.56mm,S-1,BE,1990,S-1,receiver,\n");
	p += sprintf(p, "B-17,HK,\"G3,rifle,,S-17,DE,,S-17,,\n");		/* 20 */
	p += sprintf(p, "B-18,HK,G3,rifle,,S-18,DE,,S-18,,\n");		/* 21 */
	p += sprintf(p, "B-19,FN,FAL,rifle,,S-19,BE,,S-19,,proof\n");		/* 22 */
	memset(&rj, 0, sizeof(rj));
	ck_assert(import_text(ci, text, (size_t)(p - text), 4, &st, &rj, NULL) == 0);
	expect_reject(&rj, 3, "country of manufacture 'QQ' is not an assigned");
	expect_reject(&rj, 4, "serial is required");
	expect_reject(&rj, 5, "no manufacturer 'Acme Arms'");
	expect_reject(&rj, 6, "has 10 fields; the header has 11");
	expect_reject(&rj, 7, "not valid UTF-8");
	expect_reject(&rj, 8, "model is over 200 bytes");
	expect_reject(&rj, 10, "over 65536 bytes");
	expect_reject(&rj, 11, "not valid CSV");
	expect_reject(&rj, 12, "model has a control character");
	expect_reject(&rj, 15, "weapon type 'spear' is unknown");
	expect_reject(&rj, 16, "manufacturer is required");
	expect_reject(&rj, 18, "year of manufacture '19x7'");
	expect_reject(&rj, 20, "not closed before the end of the input");
	expect_reject(&rj, 22, "mark_kind 'proof'");
	ck_assert_ptr_null(why_of(&rj, 2));
	ck_assert_ptr_null(why_of(&rj, 13));
	ck_assert_ptr_null(why_of(&rj, 19));
	ck_assert_ptr_null(why_of(&rj, 21));
	ck_assert_uint_eq(rj.n, 14);
	ck_assert_str_eq(rj.raw[3], "B-5,FN,FNC,assault_rifle,5.56mm,S-5,BE,1990,S-5,receiver");
	/* Lines 2, 9, 14, 17, and 21 (read again after the open quote of 20). */
	ck_assert_uint_eq(st.imported, 5);
	ck_assert_uint_eq(st.skipped, 1);	/* line 19 repeats line 2 */
	ck_assert_uint_eq(st.rejected, 14);
	ck_assert_uint_eq(st.rows, 20);
	ck_assert_int_eq(count(ci, "SELECT count(*) FROM weapon WHERE office_ref IN "
	    "('B-1', 'B-8', 'B-12', 'B-15', 'B-18')"), 5);
	ck_assert_int_eq(count(ci, "SELECT count(*) FROM weapon"), 5);
	ck_assert_int_eq(count(ci, "SELECT count(*) FROM marking"), 5);
	verify(ci);
	rejects_free(&rj);
	free(text);
}
END_TEST

START_TEST(bad_event_rows)
{
	struct reg_import_stats st;
	struct rejects rj;
	char text[8192], *wid;

	memset(&rj, 0, sizeof(rj));
	import_ok(ci, good_weapons, 0, &st, &rj);
	wid = tu_query1(ci, "SELECT id FROM weapon WHERE office_ref = 'W-2'");
	snprintf(text, sizeof(text), EVENTS_HEADER				/* 1 */
	    "X-1,W-1,manufacture,1990-05-01,,P-FN,,,,,,,,,,\n"
	    "X-2,W-1,domestic_transfer,1990-13-01,P-FN,P-D1,,,,,,,,,,\n"
	    "X-3,W-1,domestic_transfer,1990-06-01,P-D2,P-D1,,,,,,,,,,\n"
	    "X-4,W-99,manufacture,1990-05-01,,P-FN,,,,,,,,,,\n"		/* 5 */
	    "X-5,W-1,export,1990-06-01,P-FN,P-KE,,,,,BE,KE,,,,\n"
	    "X-6,W-1,domestic_transfer,1990-06-01,P-FN,P-NOBODY,,,,,,,,,,\n"
	    "X-7,W-1,domestic_transfer,1990-07-01,P-FN,P-D1,,,,,,,,,,\n"
	    "X-8,W-1,domestic_transfer,1990-06-30,P-D1,P-D2,,,,,,,,,,\n"
	    "X-9,W-1,manufacture,1990-08-01,,P-FN,,,,,,,,,,\n"		/* 10 */
	    "X-10,%s,manufacture,2005-02-01,,P-FN,,,,,,,,,,\n"
	    "X-11,W-2,transit,2005-03-01,,,,,,,,,AT;QQ,,,\n"
	    "X-12,%s,transit,2005-03-01,,,,,,,,,AT;DE,,,\n"
	    "X-13,W-2,import,2005-04-01,,P-D1,,,,,,,,,,\n"
	    "X-14,W-2,loss,2005-05-01,,,,,,,,,,,,\n"				/* 15 */
	    "X-15,W-2,domestic_transfer,2005-06-01,P-FN,P-D1,,,,,,,,,,\n"
	    "X-16,W-2,recovery,2005-07-01,,,,,,,,,,,,\n"
	    "X-17,W-2,domestic_transfer,2005-08-01,P-FN,P-D2,L-1,2005-09-01,2005-08-01,,,,,,,\n"
	    "X-18,W-2,destruction,2005-09-01,,,,,,,,,,,DC-1,\n"
	    "X-19,W-2,transit,2005-10-01,,,,,,,,,,,,\n"			/* 20 */
	    "X-20,W-2,theft,2005-10-01,,,,,,,,,,,\n",
	    wid, wid);
	ck_assert(import_text(ci, text, strlen(text), 3, &st, &rj, NULL) == 0);
	expect_reject(&rj, 3, "event date '1990-13-01' is not a date");
	expect_reject(&rj, 4, "a transfer must come from the current holder");
	expect_reject(&rj, 5, "no weapon 'W-99'");
	expect_reject(&rj, 6, "an export names the importing country and its licence");
	expect_reject(&rj, 7, "to party 'P-NOBODY' is not a recorded party");
	expect_reject(&rj, 9, "dates may not run backwards");
	expect_reject(&rj, 10, "manufacture can only be the first event");
	expect_reject(&rj, 12, "transit country 'QQ'");
	expect_reject(&rj, 14, "an import names the exporting country");
	expect_reject(&rj, 16, "the weapon is lost: record its recovery");
	expect_reject(&rj, 18, "the licence expires before it was issued");
	expect_reject(&rj, 20, "the weapon was destroyed");
	expect_reject(&rj, 21, "has 15 fields");
	ck_assert_uint_eq(rj.n, 13);
	ck_assert_uint_eq(st.imported, 7);	/* lines 2, 8, 11, 13, 15, 17, 19 */
	expect_same(ci, "SELECT string_agg(e.office_ref || ':' || e.seq, ',' ORDER BY e.seq) "
	    "= 'X-10:1,X-12:2,X-14:3,X-16:4,X-18:5' FROM event e JOIN weapon w "
	    "ON w.id = e.weapon_id WHERE w.office_ref = 'W-2'");
	expect_same(ci, "SELECT transit_countries = '{AT,DE}' FROM event "
	    "WHERE office_ref = 'X-12'");
	verify(ci);
	free(wid);
	rejects_free(&rj);
}
END_TEST

START_TEST(headers_and_empty_input)
{
	struct reg_import_stats st;
	struct rejects rj;
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx;
	static const char other[] = "serial,model\nA,B\n";
	static const char close[] = "office_ref,manufacturer,model,type,calibre,serial,"
	    "country,year,mark_text,mark_location\nW,FN,,rifle,,S,BE,,S,\n";

	memset(&rj, 0, sizeof(rj));
	ck_assert_int_eq(import_text(ci, other, strlen(other), 0, &st, &rj, &err),
	    REG_EINVAL);
	ck_assert_msg(strstr(err.message, "'serial,model'") != NULL, "%s", err.message);
	reg_error_clear(&err);
	ck_assert_int_eq(import_text(ci, close, strlen(close), 0, &st, &rj, &err),
	    REG_EINVAL);
	ck_assert_msg(strstr(err.message, "mark_location'") != NULL, "%s", err.message);
	reg_error_clear(&err);
	ck_assert_int_eq(import_text(ci, "", 0, 0, &st, &rj, &err), REG_EINVAL);
	ck_assert_msg(strstr(err.message, "no header") != NULL, "%s", err.message);
	reg_error_clear(&err);
	ck_assert_int_eq(import_text(ci, "\n\n", 2, 0, &st, &rj, &err), REG_EINVAL);
	reg_error_clear(&err);
	/* A header alone is an empty import; no trailing newline is fine. */
	ck_assert_int_eq(import_text(ci, EVENTS_HEADER, strlen(EVENTS_HEADER) - 1, 0,
	    &st, &rj, &err), 0);
	ck_assert_uint_eq(st.rows, 0);
	ck_assert_uint_eq(rj.n, 0);
	ck_assert_int_eq(rj.progress_calls, 0);
	/* Too large a batch, and an open transaction, are refused. */
	{
		struct reg_import_opts o;

		memset(&o, 0, sizeof(o));
		o.batch_rows = 1000000;
		ctx = open_db(ci);
		ck_assert_int_eq(reg_import_csv(ctx, stdin, &o, &st, &err), REG_ERANGE);
		reg_error_clear(&err);
		ck_assert_int_eq(reg_tx_begin(ctx, &err), 0);
		ck_assert_int_eq(reg_import_csv(ctx, stdin, NULL, &st, &err), REG_EINVAL);
		ck_assert_int_eq(reg_tx_rollback(ctx, &err), 0);
		reg_close(ctx);
	}
	rejects_free(&rj);
}
END_TEST

START_TEST(history_across_batches)
{
	struct reg_import_stats st;
	struct rejects rj;
	char text[4096], *wid, *p = text;
	int i;

	memset(&rj, 0, sizeof(rj));
	import_ok(ci, good_weapons, 0, &st, &rj);
	wid = tu_query1(ci, "SELECT upper(id::text) FROM weapon WHERE office_ref = 'W-4'");
	p += sprintf(p, EVENTS_HEADER "H-0,W-4,manufacture,2019-01-01,,P-FN,,,,,,,,,,\n");
	/* Ping-pong between two dealers, naming the weapon both ways. */
	for (i = 1; i <= 9; i++)
		p += sprintf(p, "H-%d,%s,domestic_transfer,2019-02-%02d,%s,%s,,,,,,,,,,\n", i,
		    i % 2 ? "W-4" : wid, i, i == 1 ? "P-FN" : i % 2 ? "P-D2" : "P-D1",
		    i % 2 ? "P-D1" : "P-D2");
	rj.progress_calls = 0;
	import_ok(ci, text, 2, &st, &rj);
	ck_assert_msg(rj.n == 0, "line %" PRIu64 ": %s", rj.line[0], rj.why[0]);
	ck_assert_uint_eq(st.imported, 10);
	ck_assert_int_eq(rj.progress_calls, 5);
	ck_assert_uint_eq(rj.last_rows, 10);
	expect_same(ci, "SELECT string_agg(e.seq::text, ',' ORDER BY e.seq) = "
	    "'1,2,3,4,5,6,7,8,9,10' AND max(p.office_ref) FILTER (WHERE e.seq = 10) = "
	    "'P-D1' FROM event e JOIN weapon w ON w.id = e.weapon_id "
	    "JOIN party p ON p.id = e.to_party WHERE w.office_ref = 'W-4'");
	verify(ci);
	read_model_whole(ci);
	free(wid);
	rejects_free(&rj);
}
END_TEST

/* Text beyond ASCII, quotes and backslashes: the log's verification
 * re-derives every leaf, and verify() checks each against the jansson
 * reference (tests/registry/leaf_ref.c). */
START_TEST(leaves_of_any_text)
{
	static const char weapons[] = WEAPONS_HEADER
	    "U-1,FN,\"Mod\u00e8le \"\"sp\u00e9cial\"\" \\ 1\",pistol,9 mm,\u010cZ-1,BE,,"
	    "\u4e2d\u6587 \U0001F52B \u00a9 \u2028 /x,frame,\n"
	    "U-2,FN,\u00c5ngstr\u00f6m,rifle,,\u0141\u00f3d\u017a-2,PL,2001,"
	    "\U0001D11E \U0010FFFD,,\n"
	    "U-3,FN,plain,rifle,,P-3,BE,2001,\"a\\b\"\"c\",,\n";
	static const char events[] = EVENTS_HEADER
	    "UE-1,U-1,manufacture,2001-01-01,,P-FN,,,,,,,,,,\"\u00e9t\u00e9 \U0001F4E6 \\\"\"\"\n"
	    "UE-2,U-1,loss,2002-01-01,,,,,,,,,,Mme \u00c9lise,,caf\u00e9 \u2603\n";
	struct reg_import_stats st;
	struct rejects rj;

	memset(&rj, 0, sizeof(rj));
	import_ok(ci, weapons, 1, &st, &rj);
	ck_assert_msg(rj.n == 0, "line %" PRIu64 ": %s", rj.line[0], rj.why[0]);
	ck_assert_uint_eq(st.imported, 3);
	import_ok(ci, events, 1, &st, &rj);
	ck_assert_msg(rj.n == 0, "line %" PRIu64 ": %s", rj.line[0], rj.why[0]);
	ck_assert_uint_eq(st.imported, 2);
	expect_same(ci, "SELECT model = 'Mod\u00e8le \"sp\u00e9cial\" \\ 1' FROM weapon "
	    "WHERE office_ref = 'U-1'");
	verify(ci);
	rejects_free(&rj);
}
END_TEST

/* A file of n weapons and one of their events (a manufacture each, and a
 * transfer for every third). */
static char *
gen_weapons(int n)
{
	char *t = malloc((size_t)n * 120 + 256), *p = t;
	int i;

	ck_assert(t != NULL);
	p += sprintf(p, "%s", WEAPONS_HEADER);
	for (i = 0; i < n; i++)
		p += sprintf(p, "K-W%05d,%s,Model %d,pistol,9x19mm,SN%06d,BE,%d,"
		    "SN%06d,frame,\n", i, i % 2 ? "FN" : "HK", i % 7, i * 37, 1950 + i % 70,
		    i * 37);
	return t;
}

static char *
gen_events(int n)
{
	char *t = malloc((size_t)n * 160 + 256), *p = t;
	int i;

	ck_assert(t != NULL);
	p += sprintf(p, "%s", EVENTS_HEADER);
	for (i = 0; i < n; i++) {
		p += sprintf(p, "K-E%05d-1,K-W%05d,manufacture,2020-01-01,,P-FN,,,,,,,,,,\n",
		    i, i);
		if (i % 3 == 0)
			p += sprintf(p, "K-E%05d-2,K-W%05d,domestic_transfer,2020-02-01,P-FN,"
			    "P-D1,,,,,,,,,,\n", i, i);
	}
	return t;
}

/* Runs the imports in a child; the parent kills it after delay_ms, or the
 * child kills itself after kill_after batches. */
static void
killed_run(const char *conninfo, const char *weapons, const char *events,
    int delay_ms, int kill_after)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		struct reg_import_stats st;
		struct rejects rj;
		reg_error err = REG_ERROR_INIT;

		memset(&rj, 0, sizeof(rj));
		rj.kill_after = kill_after;
		if (import_text(conninfo, weapons, strlen(weapons), 100, &st, &rj,
		    &err) != 0 ||
		    import_text(conninfo, events, strlen(events), 100, &st, &rj, &err) != 0)
			_exit(1);
		_exit(0);
	}
	if (delay_ms > 0) {
		usleep((useconds_t)delay_ms * 1000);
		kill(pid, SIGKILL);
	}
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert_msg(WIFSIGNALED(status) || (WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0), "the child import failed");
}

START_TEST(killed_and_run_again)
{
	static const int delays[] = { 100, 150, 120, 200, 250, 300 };
	struct reg_import_stats st;
	struct rejects rj;
	char clean[256], sql[512];
	char *weapons = gen_weapons(3000), *events = gen_events(3000);
	char *a, *b;
	size_t i;
	static const char *const compare[] = {
		"SELECT count(*) || '/' || md5(string_agg(office_ref, ',' ORDER BY office_ref)) "
		"FROM weapon",
		"SELECT count(*) || '/' || md5(string_agg(w.office_ref || m.kind || m.text, ',' "
		"ORDER BY w.office_ref)) FROM marking m JOIN weapon w ON w.id = m.weapon_id",
		"SELECT count(*) || '/' || md5(string_agg(e.office_ref || ':' || w.office_ref || "
		"':' || e.seq || ':' || e.kind || ':' || coalesce(f.office_ref, '') || ':' || "
		"t.office_ref, ',' ORDER BY e.office_ref)) FROM event e "
		"JOIN weapon w ON w.id = e.weapon_id LEFT JOIN party f ON f.id = e.from_party "
		"JOIN party t ON t.id = e.to_party",
		"SELECT count(*) FROM log_entry",
	};

	/* One clean run into a database of its own. */
	snprintf(clean, sizeof(clean), "%s", tu_db_migrated());
	seed(clean);
	memset(&rj, 0, sizeof(rj));
	import_ok(clean, weapons, 100, &st, &rj);
	ck_assert_uint_eq(st.imported, 3000);
	import_ok(clean, events, 100, &st, &rj);
	ck_assert_uint_eq(st.imported, 4000);
	ck_assert_uint_eq(rj.n, 0);

	/* Killed between batches, then at moments that fall anywhere. */
	killed_run(ci, weapons, events, 0, 3);
	ck_assert_int_eq(count(ci, "SELECT count(*) FROM weapon"), 300);
	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		killed_run(ci, weapons, events, delays[i], 0);
	}
	import_ok(ci, weapons, 100, &st, &rj);
	ck_assert_uint_eq(st.imported + st.skipped, 3000);
	import_ok(ci, events, 100, &st, &rj);
	ck_assert_uint_eq(st.imported + st.skipped, 4000);
	ck_assert_uint_eq(rj.n, 0);
	for (i = 0; i < sizeof(compare) / sizeof(compare[0]); i++) {
		a = tu_query1(ci, compare[i]);
		b = tu_query1(clean, compare[i]);
		ck_assert_msg(strcmp(a, b) == 0, "%s: %s after kills, %s clean", compare[i],
		    a, b);
		free(a);
		free(b);
	}
	verify(ci);
	verify(clean);
	read_model_whole(ci);
	/* A weapon's seq numbers have no gaps and start at 1. */
	snprintf(sql, sizeof(sql), "SELECT bool_and(n = m) FROM (SELECT count(*) AS n, "
	    "max(seq) AS m FROM event GROUP BY weapon_id) s");
	expect_same(ci, sql);
	free(weapons);
	free(events);
	rejects_free(&rj);
}
END_TEST

/* regctl import: options, reject file, summary line, standard input. */
START_TEST(regctl_import_command)
{
	char cmd[16384], out[8192], path[4200], rej[4200];
	const char *bld = getenv("REG_TEST_BUILDDIR");
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "%s/regctl import --help", bld ? bld : ".");
	st = tu_run(cmd, out, sizeof(out));
	ck_assert_msg(st == 0, "%s", out);
	ck_assert(strstr(out, "Usage: regctl import") != NULL);
	snprintf(path, sizeof(path), "%s/w.csv", tmpdir);
	snprintf(rej, sizeof(rej), "%s/rejects.txt", tmpdir);
	f = fopen(path, "w");
	ck_assert(f != NULL);
	fputs(WEAPONS_HEADER
	    "C-1,FN,FAL,rifle,7.62mm,C1,BE,1960,C1,,\n"
	    "C-2,FN,FAL,rifle,7.62mm,C2,QQ,1960,C2,,\n"
	    "C-3,FN,FAL,rifle,7.62mm,C3,BE,1960,C3,,\n", f);
	ck_assert(fclose(f) == 0);
	snprintf(cmd, sizeof(cmd), "%s/regctl import --db '%s' --batch 2 "
	    "--reject-file %s %s", bld ? bld : ".", ci, rej, path);
	st = tu_run(cmd, out, sizeof(out));
	ck_assert_msg(st == 0, "%s", out);
	ck_assert_msg(strstr(out, "imported 2, skipped 0 (already present), rejected 1")
	    != NULL, "%s", out);
	f = fopen(rej, "r");
	ck_assert(f != NULL);
	ck_assert(fgets(out, sizeof(out), f) != NULL);
	fclose(f);
	ck_assert_msg(strncmp(out, "line 3: country of manufacture 'QQ'", 35) == 0 &&
	    strstr(out, ": C-2,FN,FAL,rifle") != NULL, "%s", out);
	/* Again from standard input: all skipped; the reject on stderr. */
	snprintf(cmd, sizeof(cmd), "%s/regctl import --db '%s' - < %s", bld ? bld : ".",
	    ci, path);
	st = tu_run(cmd, out, sizeof(out));
	ck_assert_msg(st == 0 && strstr(out, "imported 0, skipped 2 (already present), "
	    "rejected 1") != NULL && strstr(out, "line 3: ") != NULL, "%s", out);
	snprintf(cmd, sizeof(cmd), "%s/regctl import --db '%s' --batch 0 %s",
	    bld ? bld : ".", ci, path);
	ck_assert_int_eq(tu_run(cmd, out, sizeof(out)), 2);
	snprintf(cmd, sizeof(cmd), "%s/regctl import --db '%s' %s/none.csv",
	    bld ? bld : ".", ci, tmpdir);
	ck_assert_int_eq(tu_run(cmd, out, sizeof(out)), 1);
	snprintf(cmd, sizeof(cmd), "echo 'a,b' | %s/regctl import --db '%s' -",
	    bld ? bld : ".", ci);
	ck_assert_int_eq(tu_run(cmd, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "header line 'a,b'") != NULL, "%s", out);
}
END_TEST

/*
 * Hostile files through regctl import: every data line of the input ends
 * up either imported or named in the reject file (by "line N: " or
 * "lines N-M: "), never both and never neither; a good row next to a bad
 * one is imported; a NUL byte or a control byte in a rejected row reaches
 * the reject file escaped, with the rest of the row after it.
 *
 * Each data line's office reference is G<case>-<line> for a row that must
 * go in and B<case>-<line> for one that must be rejected.
 */
struct hfile {
	char *p;
	size_t len, cap;
	int tc;				/* the case */
	const char *term;		/* the line terminator */
	int line;			/* the last line written */
	char good[256];			/* good[n]: line n must be imported */
	char bad[256];			/* bad[n]: line n must be rejected */
	int ndata;			/* data lines (not the header) */
};

static void
hf_add(struct hfile *h, const void *s, size_t n)
{
	if (h->len + n + 1 > h->cap) {
		h->cap = (h->len + n + 1) * 2;
		h->p = realloc(h->p, h->cap);
		ck_assert(h->p != NULL);
	}
	memcpy(h->p + h->len, s, n);
	h->len += n;
}

static void
hf_adds(struct hfile *h, const char *s)
{
	hf_add(h, s, strlen(s));
}

/* One data line: its office reference, then rest (n bytes, or a string
 * when n is 0), then the terminator unless noterm. */
static void
hf_row(struct hfile *h, int good, const char *rest, size_t n, int noterm)
{
	char ref[32];

	h->line++;
	ck_assert(h->line < 256);
	snprintf(ref, sizeof(ref), "%c%d-%d", good ? 'G' : 'B', h->tc, h->line);
	hf_adds(h, ref);
	hf_add(h, rest, n > 0 ? n : strlen(rest));
	if (!noterm)
		hf_adds(h, h->term);
	if (good)
		h->good[h->line] = 1;
	else
		h->bad[h->line] = 1;
	h->ndata++;
	/* A bad row may hold line breaks: its lines are bad too. */
	for (; n == 0 && (rest = strchr(rest, '\n')) != NULL; rest++) {
		ck_assert(!good);
		h->bad[++h->line] = 1;
		h->ndata++;
	}
}

#define HGOOD ",FN,FAL,rifle,7.62mm,S-1,BE,1960,M-1,,"
#define HNUL ",FN,F\0AL,rifle,,S-1,BE,,M-1,,"
#define HNULQ ",FN,\"F\0AL\",rifle,,S-1,BE,,M-1,,"

static void
hostile_file(int tc, struct hfile *h)
{
	char *big;
	int i;

	memset(h, 0, sizeof(*h));
	h->tc = tc;
	h->term = tc == 3 ? "\r" : tc == 6 ? "\r\n" : "\n";
	if (tc == 6)
		hf_adds(h, "\xef\xbb\xbf");
	hf_adds(h, WEAPONS_HEADER);
	if (tc == 3 || tc == 6) {
		h->len--;
		hf_adds(h, h->term);
	}
	h->line = 1;
	hf_row(h, 1, HGOOD, 0, 0);
	switch (tc) {
	case 0:		/* a stray quote closed by a later row's quote */
		hf_row(h, 0, ",FN,\"FAL,rifle,,S-1,BE,,M-1,,", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 0, ",FN,FAL,rifle,,\"S\"-1,BE,,M-1,,", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 0, ",FN,FA\"L,rifle,,S-1,BE,,M-1,,", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		/* A stray quote, a row with a NUL byte, good rows and a
		 * quote that closes the field and makes a row of the right
		 * number of fields. */
		hf_row(h, 0, ",FN,\"FAL,rifle,,S-1,BE,,M-1,,", 0, 0);
		hf_row(h, 0, HNUL, sizeof(HNUL) - 1, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 0, "\",rifle,,S-1,BE,,M-1,,", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		break;
	case 1:		/* unterminated quotes, the last one at the end */
		hf_row(h, 0, ",FN,\"FAL,rifle,,S-1,BE,,M-1,,", 0, 0);
		for (i = 0; i < 20; i++)
			hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 0, ",FN,FAL,rifle,,S-1,BE,,\"M-1,,", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 0, ",FN,FAL,rifle,,S-1,BE,,\"M-1,,", 0, 1);
		return;
	case 2:		/* NUL bytes and control bytes in fields */
		hf_row(h, 0, HNUL, sizeof(HNUL) - 1, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 0, HNULQ, sizeof(HNULQ) - 1, 0);
		hf_row(h, 0, ",FN,FAL\x01\x1b[2J,rifle,,S-1,BE,,M-1,,", 0, 0);
		hf_row(h, 0, "\0\0\0", 3, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		break;
	case 3:		/* CR-only line ends */
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 0, ",FN,FAL,rifle,,S-1,QQ,,M-1,,", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		break;
	case 4:		/* very long lines, also inside a quoted field */
		big = malloc(200001);
		ck_assert(big != NULL);
		memset(big, 'x', 200000);
		big[200000] = '\0';
		memcpy(big, ",FN,", 4);
		hf_row(h, 0, big, 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		big[4] = '"';
		hf_row(h, 0, big, 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 0, ",FN,\"FAL,rifle,,S-1,BE,,M-1,,", 0, 0);
		for (i = 0; i < 3; i++)
			hf_row(h, 0, big + 8, 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		free(big);
		break;
	case 5:		/* invalid UTF-8 */
		hf_row(h, 0, ",FN,F\xff\xfe,rifle,,S-1,BE,,M-1,,", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 0, ",FN,\xc0\xaf,rifle,,S-1,BE,,M-1,,", 0, 0);
		hf_row(h, 0, ",FN,\xed\xa0\x80,rifle,,S-1,BE,,M-1,,", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		break;
	case 6:		/* a BOM, CRLF, a stray CR */
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 0, ",FN,FAL\r,rifle,,S-1,BE,,M-1,,", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		break;
	case 7:		/* more and fewer fields */
		hf_row(h, 0, ",FN,FAL,rifle,,S-1,BE,,M-1,", 0, 0);
		hf_row(h, 0, ",FN,FAL,rifle,,S-1,BE,,M-1,,,", 0, 0);
		hf_row(h, 0, "", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 0, ",\"FN\",FAL,rifle,,S-1,BE,,M-1,,\",x", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		break;
	case 8:		/* quoted fields over lines: two, and too many */
		hf_row(h, 0, ",FN,\"two\nlines\",rifle,,S-1,BE,,M-1,,", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		hf_row(h, 0, ",FN,\"FAL\n1\n2\n3\n4\n5\n6\n7\n8\n9\",rifle,,S-1,BE,,"
		    "M-1,,", 0, 0);
		hf_row(h, 1, HGOOD, 0, 0);
		break;
	}
	hf_row(h, 1, HGOOD, 0, 1);
}

#define HOSTILE_CASES 9

START_TEST(hostile_files_lose_no_line)
{
	char cmd[16384], out[8192], path[4200], rej[4200], sql[256];
	const char *bld = getenv("REG_TEST_BUILDDIR");
	char seen[256], *line = NULL, *v;
	size_t cap = 0;
	ssize_t n;
	struct hfile h;
	unsigned long a, b, k;
	int st, imported = 0, rejected = 0, pos, nul_seen = 0, multi = 0;
	PGconn *db;
	PGresult *res;
	FILE *f;

	hostile_file(_i, &h);
	memset(seen, 0, sizeof(seen));
	snprintf(path, sizeof(path), "%s/hostile.csv", tmpdir);
	snprintf(rej, sizeof(rej), "%s/hostile.rej", tmpdir);
	f = fopen(path, "wb");
	ck_assert(f != NULL);
	ck_assert(fwrite(h.p, 1, h.len, f) == h.len);
	ck_assert(fclose(f) == 0);
	snprintf(cmd, sizeof(cmd), "%s/regctl import --db '%s' --batch 3 "
	    "--reject-file %s %s", bld ? bld : ".", ci, rej, path);
	st = tu_run(cmd, out, sizeof(out));
	ck_assert_msg(st == 0, "case %d: %s", _i, out);

	/* The rows imported, by the line in their office reference. */
	db = tu_connect(ci);
	snprintf(sql, sizeof(sql), "SELECT office_ref FROM weapon WHERE office_ref "
	    "LIKE '_%d-%%'", _i);
	res = PQexec(db, sql);
	ck_assert(PQresultStatus(res) == PGRES_TUPLES_OK);
	for (pos = 0; pos < PQntuples(res); pos++) {
		v = PQgetvalue(res, pos, 0);
		k = strtoul(strchr(v, '-') + 1, NULL, 10);
		ck_assert_msg(k >= 2 && k <= (unsigned long)h.line && !seen[k],
		    "case %d: %s imported twice or from nowhere", _i, v);
		ck_assert_msg(h.good[k], "case %d: bad line %lu was imported", _i, k);
		seen[k] = 1;
		imported++;
	}
	PQclear(res);
	PQfinish(db);

	/* The reject file: one line per reject, naming its input lines. */
	f = fopen(rej, "rb");
	ck_assert(f != NULL);
	while ((n = getline(&line, &cap, f)) > 0) {
		ck_assert_msg(memchr(line, '\0', (size_t)n) == NULL, "case %d: a NUL "
		    "byte in the reject file", _i);
		ck_assert_msg(line[n - 1] == '\n', "case %d: reject line unterminated",
		    _i);
		if (sscanf(line, "lines %lu-%lu: %n", &a, &b, &pos) == 2 && pos > 0) {
			ck_assert_msg(a < b, "case %d: %s", _i, line);
			multi++;
		} else {
			pos = 0;
			ck_assert_msg(sscanf(line, "line %lu: %n", &a, &pos) == 1 &&
			    pos > 0, "case %d: a reject that names no line: %.200s", _i,
			    line);
			b = a;
		}
		for (k = a; k <= b; k++) {
			ck_assert_msg(k >= 2 && k <= (unsigned long)h.line, "case %d: "
			    "reject of line %lu, not in the input: %.200s", _i, k, line);
			ck_assert_msg(!seen[k], "case %d: line %lu imported or rejected "
			    "twice: %.200s", _i, k, line);
			ck_assert_msg(!h.good[k], "case %d: good line %lu rejected: %.300s",
			    _i, k, line);
			seen[k] = 1;
			rejected++;
		}
		if (strstr(line, "F\\x00AL") != NULL &&
		    strstr(line, ",rifle,,S-1,BE,,M-1,,") != NULL)
			nul_seen++;
		/* No control byte and no byte that UTF-8 never has. */
		for (k = 0; k + 1 < (unsigned long)n; k++)
			ck_assert_msg((unsigned char)line[k] >= 0x20 && line[k] != 0x7f &&
			    (unsigned char)line[k] != 0xc0 && (unsigned char)line[k] != 0xc1 &&
			    (unsigned char)line[k] < 0xf5, "case %d: byte 0x%02x unescaped "
			    "in the reject file: %.200s", _i, (unsigned char)line[k], line);
	}
	free(line);
	fclose(f);
	for (k = 2; k <= (unsigned long)h.line; k++)
		ck_assert_msg(seen[k], "case %d: line %lu neither imported nor in "
		    "the reject file (imported %d, rejected %d, of %d lines)", _i, k,
		    imported, rejected, h.ndata);
	ck_assert_int_eq(imported + rejected, h.ndata);
	ck_assert_int_eq(multi, _i == 8 ? 1 : 0);
	if (_i == 0 || _i == 2)
		ck_assert_msg(nul_seen == (_i == 0 ? 1 : 2), "case %d: a row with a "
		    "NUL byte is not whole in the reject file", _i);
	free(h.p);
}
END_TEST

static Suite *
import_suite(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("import");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, import_good_files);
	tcase_add_test(tc, rerun_is_a_no_op);
	tcase_add_test(tc, bad_weapon_rows);
	tcase_add_test(tc, bad_event_rows);
	tcase_add_test(tc, headers_and_empty_input);
	tcase_add_test(tc, history_across_batches);
	tcase_add_test(tc, leaves_of_any_text);
	tcase_add_test(tc, killed_and_run_again);
	tcase_add_test(tc, regctl_import_command);
	tcase_add_loop_test(tc, hostile_files_lose_no_line, 0, HOSTILE_CASES);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(import_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
