/*
 * Benchmark of the record import and of reading a weapon back (make bench).
 * Every figure is printed with a baseline measured in the same run, on the
 * same server:
 *  - reg_import_csv() of N weapons (each with its manufacture marking; 50
 *    manufacturers) and of their histories (a manufacture and one domestic
 *    transfer each: a transfer needs a holder to come from), against a raw
 *    COPY of the very same rows (same columns and values, log_index
 *    included, but no leaves and no log_entry rows) into the same tables of
 *    a second database with the same migrations, in transactions of the
 *    same size.  The two alternate every CHUNK rows, so that a noisy
 *    machine slows both alike;
 *  - reg_weapon_show() of weapons with a 20-event history among the N,
 *    against a primary-key point SELECT on weapon, alternating.
 * BENCH_WEAPONS sets N (default 1,000,000).
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "registry/registry.h"

#define CHUNK 10000		/* rows imported, then copied raw, in turn */
#define BATCH 5000		/* rows per transaction, both ways */
#define SHOWS 1000
#define HISTORY 20
#define SHOWN_WEAPONS 5
#define NMAKERS 50
#define NDEALERS 20

#define WEAPONS_HEADER "office_ref,manufacturer,model,type,calibre,serial,country," \
	"year,mark_text,mark_location,mark_kind\n"
#define EVENTS_HEADER "office_ref,weapon,kind,date,from,to,licence_number," \
	"licence_issued,licence_expires,euc_ref,export_country,import_country," \
	"transit_countries,final_recipient,certificate,note\n"

#define WEAPON_COLS "id, office_ref, manufacturer_id, model, type, calibre, " \
	"calibre_norm, serial, serial_norm, country_of_manufacture, " \
	"year_of_manufacture, recorded_at, log_index"
#define MARKING_COLS "id, weapon_id, kind, text, location, country, year, " \
	"new_serial, recorded_at, log_index"
#define EVENT_COLS "id, weapon_id, seq, kind, event_date, from_party, to_party, " \
	"licence_number, licence_issued, licence_expires, euc_ref, export_country, " \
	"import_country, transit_countries, final_recipient, certificate, corrects, " \
	"reason, note, office_ref, recorded_at, log_index"

/* Manufacturers: name, country, code, serial style, models and their types. */
static const struct maker {
	const char *name, *country, *code;
	int style;
	const char *model[3], *type[3], *calibre[3];
} makers[NMAKERS] = {
	{ "Fabrique Nationale Herstal", "BE", "FN", 0, { "FAL", "FNC", "Five-seveN" },
	  { "rifle", "assault_rifle", "pistol" }, { "7.62x51mm", "5.56x45mm", "5.7x28mm" } },
	{ "Heckler & Koch", "DE", "HK", 1, { "G3A3", "MP5A3", "USP" },
	  { "rifle", "submachine_gun", "pistol" }, { "7.62x51mm", "9x19mm", "9x19mm" } },
	{ "Glock", "AT", "GLK", 2, { "17", "19", "26" },
	  { "pistol", "pistol", "pistol" }, { "9x19mm", "9x19mm", "9x19mm" } },
	{ "Ceska zbrojovka", "CZ", "CZ", 3, { "CZ 75 B", "Scorpion EVO 3", "805 BREN" },
	  { "pistol", "submachine_gun", "assault_rifle" }, { "9x19mm", "9x19mm", "5.56x45mm" } },
	{ "Beretta", "IT", "PB", 4, { "92FS", "ARX160", "M12" },
	  { "pistol", "assault_rifle", "submachine_gun" }, { "9x19mm", "5.56x45mm", "9x19mm" } },
	{ "SIG Sauer", "CH", "SIG", 0, { "P226", "SG 550", "MCX" },
	  { "pistol", "assault_rifle", "carbine" }, { "9x19mm", "5.56x45mm", "5.56x45mm" } },
	{ "Smith & Wesson", "US", "SW", 1, { "Model 10", "M&P9", "Model 686" },
	  { "revolver", "pistol", "revolver" }, { ".38 Special", "9x19mm", ".357 Magnum" } },
	{ "Sturm, Ruger & Co.", "US", "RUG", 2, { "Mini-14", "GP100", "10/22" },
	  { "rifle", "revolver", "rifle" }, { "5.56x45mm", ".357 Magnum", ".22 LR" } },
	{ "Colt's Manufacturing", "US", "COLT", 3, { "M4A1", "M16A2", "1911" },
	  { "carbine", "assault_rifle", "pistol" }, { "5.56x45mm", "5.56x45mm", ".45 ACP" } },
	{ "Remington Arms", "US", "REM", 4, { "700", "870", "1100" },
	  { "rifle", "shotgun", "shotgun" }, { ".308 Win", "12 gauge", "12 gauge" } },
	{ "Steyr Mannlicher", "AT", "STM", 0, { "AUG A3", "SSG 69", "M9-A1" },
	  { "assault_rifle", "rifle", "pistol" }, { "5.56x45mm", "7.62x51mm", "9x19mm" } },
	{ "Carl Walther", "DE", "WAL", 1, { "P99", "PPK", "P38" },
	  { "pistol", "pistol", "pistol" }, { "9x19mm", "7.65x17mm", "9x19mm" } },
	{ "Kalashnikov Concern", "RU", "KC", 2, { "AK-74M", "AKM", "PKM" },
	  { "assault_rifle", "assault_rifle", "light_machine_gun" },
	  { "5.45x39mm", "7.62x39mm", "7.62x54mmR" } },
	{ "Norinco", "CN", "NOR", 3, { "Type 56", "Type 81", "QSZ-92" },
	  { "assault_rifle", "assault_rifle", "pistol" }, { "7.62x39mm", "7.62x39mm", "9x19mm" } },
	{ "Taurus Armas", "BR", "TAU", 4, { "PT92", "G2C", "Model 85" },
	  { "pistol", "pistol", "revolver" }, { "9x19mm", "9x19mm", ".38 Special" } },
	{ "IMBEL", "BR", "IMB", 0, { "IA2", "MD97", "M911" },
	  { "assault_rifle", "assault_rifle", "pistol" }, { "5.56x45mm", "5.56x45mm", ".45 ACP" } },
	{ "Zastava Arms", "RS", "ZAS", 1, { "M70", "M76", "CZ 99" },
	  { "assault_rifle", "rifle", "pistol" }, { "7.62x39mm", "7.92x57mm", "9x19mm" } },
	{ "Arsenal JSCo", "BG", "ARS", 2, { "AR-M1", "SLR-95", "PMM" },
	  { "assault_rifle", "rifle", "pistol" }, { "5.56x45mm", "7.62x39mm", "9x18mm" } },
	{ "Israel Weapon Industries", "IL", "IWI", 3, { "Tavor TAR-21", "Negev", "Jericho 941" },
	  { "assault_rifle", "light_machine_gun", "pistol" }, { "5.56x45mm", "5.56x45mm", "9x19mm" } },
	{ "Browning Arms", "US", "BRN", 4, { "Hi-Power", "BAR", "Citori" },
	  { "pistol", "rifle", "shotgun" }, { "9x19mm", ".30-06", "12 gauge" } },
	{ "Winchester Repeating Arms", "US", "WIN", 0, { "Model 70", "Model 94", "SXP" },
	  { "rifle", "rifle", "shotgun" }, { ".30-06", ".30-30", "12 gauge" } },
	{ "Benelli Armi", "IT", "BEN", 1, { "M4", "M2", "Nova" },
	  { "shotgun", "shotgun", "shotgun" }, { "12 gauge", "12 gauge", "12 gauge" } },
	{ "O.F. Mossberg & Sons", "US", "MOS", 2, { "500", "590A1", "930" },
	  { "shotgun", "shotgun", "shotgun" }, { "12 gauge", "12 gauge", "12 gauge" } },
	{ "Springfield Armory", "US", "SPR", 3, { "M1A", "XD", "Hellcat" },
	  { "rifle", "pistol", "pistol" }, { "7.62x51mm", "9x19mm", "9x19mm" } },
	{ "Savage Arms", "US", "SAV", 4, { "Axis", "110", "Mark II" },
	  { "rifle", "rifle", "rifle" }, { ".308 Win", ".30-06", ".22 LR" } },
	{ "Tula Arms Plant", "RU", "TOZ", 0, { "TOZ-34", "TOZ-78", "KS-23" },
	  { "shotgun", "rifle", "shotgun" }, { "12 gauge", ".22 LR", "23mm" } },
	{ "S&T Motiv", "KR", "SNT", 1, { "K2", "K1A", "K5" },
	  { "assault_rifle", "carbine", "pistol" }, { "5.56x45mm", "5.56x45mm", "9x19mm" } },
	{ "Sako", "FI", "SK", 2, { "TRG 22", "85", "M95" },
	  { "rifle", "rifle", "assault_rifle" }, { ".308 Win", ".308 Win", "7.62x39mm" } },
	{ "Mauser Jagdwaffen", "DE", "MAU", 3, { "K98k", "M18", "M03" },
	  { "rifle", "rifle", "rifle" }, { "7.92x57mm", ".308 Win", ".30-06" } },
	{ "J.P. Sauer & Sohn", "DE", "JPS", 4, { "P225", "202", "404" },
	  { "pistol", "rifle", "rifle" }, { "9x19mm", ".308 Win", ".30-06" } },
	{ "Manurhin", "FR", "MR", 0, { "MR 73", "PP", "MR 88" },
	  { "revolver", "pistol", "revolver" }, { ".357 Magnum", "7.65x17mm", ".357 Magnum" } },
	{ "Manufacture d'armes de Saint-Etienne", "FR", "MAS", 1, { "MAS 49/56", "FAMAS F1", "MAS 36" },
	  { "rifle", "assault_rifle", "rifle" }, { "7.5x54mm", "5.56x45mm", "7.5x54mm" } },
	{ "Astra-Unceta", "ES", "AST", 2, { "A-70", "600", "Model 400" },
	  { "pistol", "pistol", "pistol" }, { "9x19mm", "9x19mm", "9x23mm" } },
	{ "Star Bonifacio Echeverria", "ES", "STAR", 3, { "Model B", "Z-84", "Firestar" },
	  { "pistol", "submachine_gun", "pistol" }, { "9x19mm", "9x19mm", "9x19mm" } },
	{ "Llama Gabilondo", "ES", "LLA", 4, { "Max-I", "M82", "Comanche" },
	  { "pistol", "pistol", "revolver" }, { ".45 ACP", "9x19mm", ".357 Magnum" } },
	{ "Hammerli", "CH", "HAM", 0, { "208", "280", "X-Esse" },
	  { "pistol", "pistol", "pistol" }, { ".22 LR", ".22 LR", ".22 LR" } },
	{ "Denel Land Systems", "ZA", "DLS", 1, { "R4", "SS-77", "NTW-20" },
	  { "assault_rifle", "light_machine_gun", "rifle" }, { "5.56x45mm", "7.62x51mm", "20mm" } },
	{ "Vektor Arms", "ZA", "VEK", 2, { "Z88", "SP1", "CR21" },
	  { "pistol", "pistol", "assault_rifle" }, { "9x19mm", "9x19mm", "5.56x45mm" } },
	{ "Industria Militar", "CO", "INDU", 3, { "Galil ACE 22", "Cordova", "Galil ACE 32" },
	  { "assault_rifle", "pistol", "assault_rifle" }, { "5.56x45mm", "9x19mm", "7.62x39mm" } },
	{ "FAMAE", "CL", "FAM", 4, { "SAF", "SG 540", "FN-750" },
	  { "submachine_gun", "assault_rifle", "pistol" }, { "9x19mm", "5.56x45mm", "9x19mm" } },
	{ "Fabricaciones Militares", "AR", "FM", 0, { "FM FAL", "FMK-3", "Hi-Power M90" },
	  { "rifle", "submachine_gun", "pistol" }, { "7.62x51mm", "9x19mm", "9x19mm" } },
	{ "Bersa", "AR", "BER", 1, { "Thunder 9", "Thunder 380", "TPR9" },
	  { "pistol", "pistol", "pistol" }, { "9x19mm", "9x17mm", "9x19mm" } },
	{ "Pakistan Ordnance Factories", "PK", "POF", 2, { "G3P4", "MP5A2", "PK-7" },
	  { "rifle", "submachine_gun", "light_machine_gun" },
	  { "7.62x51mm", "9x19mm", "7.62x54mmR" } },
	{ "Ordnance Factory Board", "IN", "OFB", 3, { "INSAS", "1A1", "Excalibur" },
	  { "assault_rifle", "rifle", "assault_rifle" }, { "5.56x45mm", "7.62x51mm", "5.56x45mm" } },
	{ "Makina ve Kimya Endustrisi", "TR", "MKE", 4, { "MPT-76", "T-40", "Yavuz 16" },
	  { "assault_rifle", "grenade_launcher", "pistol" }, { "7.62x51mm", "40mm", "9x19mm" } },
	{ "Sarsilmaz", "TR", "SAR", 0, { "SAR 9", "SAR 109T", "Kilinc 2000" },
	  { "pistol", "submachine_gun", "pistol" }, { "9x19mm", "9x19mm", "9x19mm" } },
	{ "Canik Arms", "TR", "CAN", 1, { "TP9SF", "METE SFT", "TP9 Elite" },
	  { "pistol", "pistol", "pistol" }, { "9x19mm", "9x19mm", "9x19mm" } },
	{ "Arsenal Firearms Type Works", "RO", "RATM", 2, { "PM md. 63", "PA md. 86", "Carpati" },
	  { "assault_rifle", "assault_rifle", "pistol" }, { "7.62x39mm", "5.45x39mm", "7.65x17mm" } },
	{ "Fegyver- es Gepgyar", "HU", "FEG", 3, { "AMD-65", "PA-63", "P9R" },
	  { "assault_rifle", "pistol", "pistol" }, { "7.62x39mm", "9x18mm", "9x19mm" } },
	{ "Fabryka Broni Lucznik", "PL", "FB", 4, { "MSBS Grot", "Beryl", "WIST-94" },
	  { "assault_rifle", "assault_rifle", "pistol" }, { "5.56x45mm", "5.56x45mm", "9x19mm" } },
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_records: %s: %s\n", what, msg);
	exit(1);
}

static void
exec_ok(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		die(sql, PQresultErrorMessage(res));
	PQclear(res);
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A growing text buffer with line offsets. */
struct text {
	char *p;
	size_t len, cap;
	size_t *line;		/* offsets of the lines' starts */
	size_t nlines, lcap;
};

static void
text_reserve(struct text *t, size_t more)
{
	if (t->len + more + 1 > t->cap) {
		while (t->len + more + 1 > t->cap)
			t->cap = t->cap ? t->cap * 2 : (1u << 20);
		t->p = realloc(t->p, t->cap);
		if (t->p == NULL)
			die("memory", "out of memory");
	}
}

static void
text_line(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
text_line(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	text_reserve(t, 512);
	if (t->nlines == t->lcap) {
		t->lcap = t->lcap ? t->lcap * 2 : 1024;
		t->line = realloc(t->line, t->lcap * sizeof(*t->line));
		if (t->line == NULL)
			die("memory", "out of memory");
	}
	t->line[t->nlines++] = t->len;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, 512, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= 512)
		die("generate", "a line is too long");
	t->len += (size_t)n;
}

static void
text_free(struct text *t)
{
	free(t->p);
	free(t->line);
	memset(t, 0, sizeof(*t));
}

/* A serial number in the manufacturer's style. */
static void
serial(char *out, size_t len, int style, uint64_t i, uint64_t *seed)
{
	static const char letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
	char a = letters[rnd(seed) % 23], b = letters[rnd(seed) % 23];
	char c = letters[rnd(seed) % 23];

	switch (style) {
	case 0:	/* digits with a letter prefix: FN-style "386B051277" */
		snprintf(out, len, "%03u%c%06" PRIu64, (unsigned)(i % 997), a, i);
		break;
	case 1:	/* "A 215 498" */
		snprintf(out, len, "%c %03" PRIu64 " %03" PRIu64, a, (i / 1000) % 1000,
		    i % 1000);
		if (i >= 1000000)
			snprintf(out, len, "%c%c %" PRIu64, a, b, i);
		break;
	case 2:	/* three letters and digits: "BFK418" */
		snprintf(out, len, "%c%c%c%03" PRIu64 "%c", a, b, c, i % 1000, letters[i % 23]);
		snprintf(out + 7, len - 7, "%" PRIu64, i / 1000);
		break;
	case 3:	/* "178-004512" */
		snprintf(out, len, "%03u-%06" PRIu64, (unsigned)(100 + i % 900), i);
		break;
	default: /* "BER 1234567" */
		snprintf(out, len, "%c%c%c %07" PRIu64, a, b, c, i);
		break;
	}
}

/* The weapons file: n rows, half naming the maker by code, half by name. */
static void
gen_weapons(struct text *t, uint64_t n)
{
	static const char *const locations[] = { "frame", "receiver", "slide", "" };
	uint64_t i, seed = 0x9e3779b97f4a7c15ull;
	char sn[64];

	for (i = 0; i < n; i++) {
		const struct maker *m = &makers[i % NMAKERS];
		int k = (int)(rnd(&seed) % 3);
		uint64_t per = i / NMAKERS;

		serial(sn, sizeof(sn), m->style, per, &seed);
		text_line(t, "W%08" PRIu64 ",\"%s\",\"%s\",%s,%s,%s,%s,%d,\"%s %s\",%s,\n", i,
		    i % 2 ? m->code : m->name, m->model[k], m->type[k], m->calibre[k], sn,
		    m->country, 1950 + (int)(rnd(&seed) % 74), m->code, sn,
		    locations[rnd(&seed) % 4]);
	}
}

/* The events file: each weapon made by its maker's party, then sold to a
 * dealer. */
static void
gen_events(struct text *t, uint64_t n)
{
	uint64_t i, seed = 12345;

	for (i = 0; i < n; i++) {
		int y = 1990 + (int)(rnd(&seed) % 30);
		int m = 1 + (int)(rnd(&seed) % 12);

		text_line(t, "E%08" PRIu64 "-1,W%08" PRIu64 ",manufacture,%d-%02d-01,,P-MFR-%02d,"
		    ",,,,,,,,,\n", i, i, y, m, (int)(i % NMAKERS));
		text_line(t, "E%08" PRIu64 "-2,W%08" PRIu64 ",domestic_transfer,%d-%02d-15,"
		    "P-MFR-%02d,P-DLR-%02d,L-%d-%06" PRIu64 ",%d-%02d-01,%d-%02d-01,,,,,,,"
		    "sold to a licensed dealer\n", i, i, y, m, (int)(i % NMAKERS),
		    (int)(rnd(&seed) % NDEALERS), y, i, y, m, y + 1, m);
	}
}

/* The manufacturers and parties, through the API. */
static void
setup_reference(reg_ctx *ctx)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_written w;
	struct reg_party_in p;
	char ref[32], name[128];
	int i;

	for (i = 0; i < NMAKERS; i++) {
		if (reg_manufacturer_add(ctx, makers[i].name, makers[i].country, &w, &err) != 0 ||
		    reg_manufacturer_alias_add(ctx, &w.id, makers[i].code, "code", NULL, &err) != 0)
			die(makers[i].name, err.message);
		memset(&p, 0, sizeof(p));
		snprintf(ref, sizeof(ref), "P-MFR-%02d", i);
		p.kind = "manufacturer";
		p.name = makers[i].name;
		p.country = makers[i].country;
		p.office_ref = ref;
		if (reg_party_add(ctx, NULL, &p, &w, &err) != 0)
			die("party", err.message);
	}
	for (i = 0; i < NDEALERS; i++) {
		memset(&p, 0, sizeof(p));
		snprintf(ref, sizeof(ref), "P-DLR-%02d", i);
		snprintf(name, sizeof(name), "Dealer %02d", i);
		p.kind = "dealer";
		p.name = name;
		p.country = "BE";
		p.licence = ref;
		p.office_ref = ref;
		if (reg_party_add(ctx, NULL, &p, &w, &err) != 0)
			die("party", err.message);
	}
}

/* COPY ... TO STDOUT of a query into t, one line per row. */
static void
copy_out(PGconn *c, const char *sql, struct text *t)
{
	PGresult *res;
	char *row;
	int n;

	t->len = 0;
	t->nlines = 0;
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT)
		die(sql, PQresultErrorMessage(res));
	PQclear(res);
	while ((n = PQgetCopyData(c, &row, 0)) > 0) {
		text_reserve(t, (size_t)n);
		if (t->nlines == t->lcap) {
			t->lcap = t->lcap ? t->lcap * 2 : 1024;
			t->line = realloc(t->line, t->lcap * sizeof(*t->line));
			if (t->line == NULL)
				die("memory", "out of memory");
		}
		t->line[t->nlines++] = t->len;
		memcpy(t->p + t->len, row, (size_t)n);
		t->len += (size_t)n;
		PQfreemem(row);
	}
	res = PQgetResult(c);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die(sql, PQresultErrorMessage(res));
	PQclear(res);
}

static void
copy_in(PGconn *c, const char *sql, const char *data, size_t len)
{
	PGresult *res = PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_COPY_IN)
		die(sql, PQresultErrorMessage(res));
	PQclear(res);
	if (PQputCopyData(c, data, (int)len) != 1 || PQputCopyEnd(c, NULL) != 1)
		die(sql, PQerrorMessage(c));
	res = PQgetResult(c);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die(sql, PQresultErrorMessage(res));
	PQclear(res);
	while ((res = PQgetResult(c)) != NULL)
		PQclear(res);
}

/* Lines [a, b) of t as one span. */
static void
span(const struct text *t, size_t a, size_t b, const char **p, size_t *len)
{
	*p = t->p + t->line[a];
	*len = (b < t->nlines ? t->line[b] : t->len) - t->line[a];
}

/*
 * The raw COPY baseline: the rows just imported (log_index >= from), read
 * back from the import database untimed and written to the raw one in
 * transactions of BATCH rows, timed.
 */
static double
raw_copy(PGconn *imp, PGconn *raw, uint64_t from, int weapons, struct text *a,
    struct text *b)
{
	char sql[1024];
	const char *p1, *p2;
	size_t i, l1, l2;
	double t, total = 0;

	if (weapons) {
		snprintf(sql, sizeof(sql), "COPY (SELECT " WEAPON_COLS " FROM weapon WHERE "
		    "log_index >= %" PRIu64 " ORDER BY log_index) TO STDOUT", from);
		copy_out(imp, sql, a);
		snprintf(sql, sizeof(sql), "COPY (SELECT " MARKING_COLS " FROM marking WHERE "
		    "log_index >= %" PRIu64 " ORDER BY log_index) TO STDOUT", from);
		copy_out(imp, sql, b);
		if (a->nlines != b->nlines)
			die("baseline", "weapons and markings differ in number");
	} else {
		snprintf(sql, sizeof(sql), "COPY (SELECT " EVENT_COLS " FROM event WHERE "
		    "log_index >= %" PRIu64 " ORDER BY log_index) TO STDOUT", from);
		copy_out(imp, sql, a);
	}
	for (i = 0; i < a->nlines; i += BATCH) {
		size_t e = i + BATCH < a->nlines ? i + BATCH : a->nlines;

		span(a, i, e, &p1, &l1);
		t = now();
		exec_ok(raw, "BEGIN");
		if (weapons) {
			span(b, i, e, &p2, &l2);
			copy_in(raw, "COPY weapon (" WEAPON_COLS ") FROM STDIN", p1, l1);
			copy_in(raw, "COPY marking (" MARKING_COLS ") FROM STDIN", p2, l2);
		} else {
			copy_in(raw, "COPY event (" EVENT_COLS ") FROM STDIN", p1, l1);
		}
		exec_ok(raw, "COMMIT");
		total += now() - t;
	}

	return total;
}

static uint64_t
log_size(reg_ctx *ctx)
{
	reg_error err = REG_ERROR_INIT;
	uint64_t n;

	if (reg_log_size(ctx, &n, &err) != 0)
		die("log size", err.message);
	return n;
}

/* Imports the file t (header, then its lines) in chunks, each followed by
 * the raw COPY of the same rows; returns the import's time in *t_imp and
 * the baseline's in *t_raw. */
static void
run(reg_ctx *ctx, PGconn *imp, PGconn *raw, const char *header, const struct text *in,
    int weapons, double *t_imp, double *t_raw)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_import_opts o;
	struct reg_import_stats st;
	struct text a, b;
	size_t i, hl = strlen(header), len;
	const char *p;
	char *buf = NULL;
	uint64_t from, done = 0;
	double t;
	FILE *f;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&o, 0, sizeof(o));
	o.batch_rows = BATCH;
	*t_imp = *t_raw = 0;
	for (i = 0; i < in->nlines; i += CHUNK) {
		size_t e = i + CHUNK < in->nlines ? i + CHUNK : in->nlines;

		span(in, i, e, &p, &len);
		free(buf);
		buf = malloc(hl + len);
		if (buf == NULL)
			die("memory", "out of memory");
		memcpy(buf, header, hl);
		memcpy(buf + hl, p, len);
		f = fmemopen(buf, hl + len, "r");
		if (f == NULL)
			die("fmemopen", "cannot open");
		from = log_size(ctx);
		t = now();
		if (reg_import_csv(ctx, f, &o, &st, &err) != 0)
			die("import", err.message);
		*t_imp += now() - t;
		fclose(f);
		if (st.imported != e - i || st.rejected != 0)
			die("import", "rows were rejected");
		*t_raw += raw_copy(imp, raw, from, weapons, &a, &b);
		done += st.imported;
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "\r%s: %zu/%zu rows, %.0f rows/s imported, %.0f rows/s raw   ",
			    weapons ? "weapons" : "events", e, in->nlines, (double)done / *t_imp,
			    (double)done / *t_raw);
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\n");
	free(buf);
	text_free(&a);
	text_free(&b);
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static double
pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(int)(p * (n - 1))];
}

/* Gives a few weapons a 20-event history, then shows them. */
static void
bench_show(reg_ctx *ctx, PGconn *imp, uint64_t n)
{
	reg_error err = REG_ERROR_INIT;
	reg_uuid w[SHOWN_WEAPONS], dealer[2], *ids;
	struct reg_event_in ei;
	char ref[32], date[16], *js = NULL;
	double lat[SHOWS], base[SHOWS], t;
	const char *params[1];
	PGresult *res;
	int i, k, nids;
	uint64_t seed = 77;

	if (reg_party_find(ctx, "P-DLR-00", &dealer[0], &err) != 0 ||
	    reg_party_find(ctx, "P-DLR-01", &dealer[1], &err) != 0)
		die("party", err.message);
	for (k = 0; k < SHOWN_WEAPONS; k++) {
		char sql[256], *from_ref;
		uint64_t idx = (n / SHOWN_WEAPONS) * (uint64_t)k + 7;
		reg_uuid holder;

		/* Its current holder, then transfers back and forth. */
		snprintf(sql, sizeof(sql), "SELECT w.id, p.office_ref FROM weapon w "
		    "JOIN event e ON e.weapon_id = w.id AND e.seq = 2 "
		    "JOIN party p ON p.id = e.to_party WHERE w.office_ref = 'W%08" PRIu64 "'",
		    idx);
		res = PQexec(imp, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
			die("show", "no such weapon");
		if (reg_uuid_parse(PQgetvalue(res, 0, 0), &w[k], &err) != 0)
			die("uuid", err.message);
		from_ref = strdup(PQgetvalue(res, 0, 1));
		PQclear(res);
		if (reg_party_find(ctx, from_ref, &holder, &err) != 0)
			die("party", err.message);
		free(from_ref);
		for (i = 0; i < HISTORY - 2; i++) {
			reg_uuid *to = &dealer[i % 2];

			if (memcmp(to->b, holder.b, 16) == 0)
				to = &dealer[(i + 1) % 2];
			memset(&ei, 0, sizeof(ei));
			snprintf(date, sizeof(date), "2021-%02d-%02d", 1 + i / 2, 1 + i);
			snprintf(ref, sizeof(ref), "SHOW-%d-%d", k, i);
			ei.kind = "domestic_transfer";
			ei.date = date;
			ei.from_party = &holder;
			ei.to_party = to;
			ei.office_ref = ref;
			if (reg_event_add(ctx, &w[k], &ei, NULL, NULL, &err) != 0)
				die("event add", err.message);
			holder = *to;
		}
	}
	/* Random weapons for the point SELECT. */
	res = PQexec(imp, "SELECT id FROM weapon TABLESAMPLE BERNOULLI (1) LIMIT 1000");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) == 0)
		die("sample", PQresultErrorMessage(res));
	nids = PQntuples(res);
	ids = calloc((size_t)nids, sizeof(*ids));
	for (i = 0; i < nids; i++)
		if (reg_uuid_parse(PQgetvalue(res, i, 0), &ids[i], &err) != 0)
			die("uuid", err.message);
	PQclear(res);
	for (i = 0; i < SHOWS; i++) {
		char id[REG_UUID_STR];

		reg_uuid_format(&ids[rnd(&seed) % (uint64_t)nids], id);
		params[0] = id;
		t = now();
		res = PQexecParams(imp, "SELECT * FROM weapon WHERE id = $1", 1, NULL, params,
		    NULL, NULL, 0);
		base[i] = now() - t;
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
			die("point select", PQresultErrorMessage(res));
		PQclear(res);
		t = now();
		if (reg_weapon_show(ctx, &w[i % SHOWN_WEAPONS], NULL, &js, &err) != 0)
			die("show", err.message);
		lat[i] = now() - t;
		if (i == 0 && strstr(js, "\"seq\": 20") == NULL && strstr(js, "\"seq\":20") == NULL)
			die("show", "the weapon lacks its 20 events");
		reg_free(js);
	}
	{
		double mb = pct(base, SHOWS, 0.5), pb = pct(base, SHOWS, 0.99);
		double ms = pct(lat, SHOWS, 0.5), ps = pct(lat, SHOWS, 0.99);

		printf("point SELECT on weapon (baseline): median %.3f ms, p99 %.3f ms\n",
		    mb * 1e3, pb * 1e3);
		printf("weapon show, %d events, among %" PRIu64 " weapons: median %.3f ms, "
		    "p99 %.3f ms, %.1f x a point SELECT  (target median < 2 ms)\n", HISTORY, n,
		    ms * 1e3, ps * 1e3, ms / mb);
	}
	free(ids);
}

/* Copies the reference tables from the import database to the raw one. */
static void
copy_reference(PGconn *imp, PGconn *raw)
{
	static const char *const tables[] = { "manufacturer", "manufacturer_alias", "party" };
	struct text t;
	char sql[256];
	size_t i;

	memset(&t, 0, sizeof(t));
	exec_ok(raw, "BEGIN");
	for (i = 0; i < 3; i++) {
		snprintf(sql, sizeof(sql), "COPY %s TO STDOUT", tables[i]);
		copy_out(imp, sql, &t);
		snprintf(sql, sizeof(sql), "COPY %s FROM STDIN", tables[i]);
		copy_in(raw, sql, t.p, t.len);
	}
	exec_ok(raw, "COMMIT");
	text_free(&t);
}

static void
migrate(const char *conninfo)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/migrations",
	    getenv("REG_TEST_SRCDIR") ? getenv("REG_TEST_SRCDIR") : ".");
	if (reg_open(conninfo, REG_OPEN_OWNER, &ctx, &err) != 0 ||
	    reg_migrate(ctx, dir, NULL, NULL, NULL, &err) != 0)
		die("migrate", err.message);
	reg_close(ctx);
}

int
main(void)
{
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	PGconn *c, *imp, *raw;
	const char *env = getenv("BENCH_WEAPONS");
	uint64_t n = env ? strtoull(env, NULL, 10) : 1000000;
	struct text wt, et;
	double wi, wr, ei, er, t0 = now();

	if (n < 1000)
		die("setup", "BENCH_WEAPONS must be at least 1000");
	memset(&wt, 0, sizeof(wt));
	memset(&et, 0, sizeof(et));
	c = PQconnectdb("");
	if (PQstatus(c) != CONNECTION_OK)
		die("connect", PQerrorMessage(c));
	exec_ok(c, "CREATE DATABASE bench_rec");
	exec_ok(c, "CREATE DATABASE bench_raw");
	PQfinish(c);
	migrate("dbname=bench_rec");
	migrate("dbname=bench_raw");
	imp = PQconnectdb("dbname=bench_rec");
	raw = PQconnectdb("dbname=bench_raw");
	if (PQstatus(imp) != CONNECTION_OK || PQstatus(raw) != CONNECTION_OK)
		die("connect", "cannot connect to the benchmark databases");
	if (reg_open("dbname=bench_rec", 0, &ctx, &err) != 0)
		die("open", err.message);
	setup_reference(ctx);
	copy_reference(imp, raw);

	gen_weapons(&wt, n);
	gen_events(&et, n);
	printf("%" PRIu64 " weapons (%.0f MB of CSV, %d manufacturers) and %zu events "
	    "(%.0f MB: a manufacture and a domestic transfer each); batches of %d rows, "
	    "alternating with the raw COPY every %d rows\n", n, (double)wt.len / 1e6,
	    NMAKERS, et.nlines, (double)et.len / 1e6, BATCH, CHUNK);
	fflush(stdout);
	run(ctx, imp, raw, WEAPONS_HEADER, &wt, 1, &wi, &wr);
	printf("weapons: import %.0f rows/s (with log), raw COPY %.0f rows/s; "
	    "ratio %.2f\n", (double)n / wi, (double)n / wr, wr / wi);
	fflush(stdout);
	run(ctx, imp, raw, EVENTS_HEADER, &et, 0, &ei, &er);
	printf("events:  import %.0f rows/s (with log), raw COPY %.0f rows/s; "
	    "ratio %.2f\n", (double)et.nlines / ei, (double)et.nlines / er, er / ei);
	printf("import ratio (with log / raw COPY): %.2f (target >= 0.7)\n",
	    (wr + er) / (wi + ei));
	fflush(stdout);
	text_free(&wt);
	text_free(&et);
	bench_show(ctx, imp, n);
	printf("total benchmark time %.0f s\n", now() - t0);
	reg_close(ctx);
	PQfinish(imp);
	PQfinish(raw);
	return 0;
}
