/*
 * A weapon's history (registry/history.c) and the folding of serials and
 * names (registry/norm.c): every state transition, every rule that refuses
 * an event (through reg_event_add() and through the importer, which must
 * agree), the effective chain with corrections, and known answers for the
 * foldings, checked against the SQL of migrations 0005 and 0011 on every
 * character, in a real PostgreSQL.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include <libpq-fe.h>

#include "registry/registry.h"
#include "history_int.h"
#include "record_int.h"
#include "testutil.h"

/* ------------------------------------------------------------ transitions */

#define H "0190a3c2-0000-7000-8000-00000000000a"	/* the holder before */
#define T "0190a3c2-0000-7000-8000-00000000000b"	/* the receiving party */

/* One event after a weapon held by H (in stock, last event 2015-01-01). */
static const struct {
	const char *kind, *to, *to_kind;
	const char *status, *holder, *last_legal_holder;
} steps[] = {
	{ "manufacture", T, "dealer", "in_stock", T, T },
	{ "domestic_transfer", T, "dealer", "in_stock", T, T },
	{ "domestic_transfer", T, "private_person", "held", T, T },
	{ "domestic_transfer", T, "state_agency", "held", T, T },
	{ "domestic_transfer", T, "broker", "in_stock", T, T },
	{ "export", T, "foreign_importer", "exported", "", H },
	{ "export", "", "", "exported", "", H },
	{ "import", T, "dealer", "in_stock", T, T },
	{ "transit", T, "dealer", "in_stock", H, H },
	{ "transit", "", "", "in_stock", H, H },
	{ "state_to_civilian", T, "private_person", "held", T, T },
	{ "loan", T, "state_agency", "held", T, T },
	{ "return", T, "dealer", "in_stock", T, T },
	{ "loss", "", "", "lost", H, H },
	{ "loss", T, "dealer", "lost", H, H },
	{ "theft", "", "", "stolen", H, H },
	{ "recovery", T, "state_agency", "held", T, T },
	{ "recovery", "", "", "in_stock", H, H },
	{ "seizure", T, "state_agency", "seized", T, T },
	{ "seizure", "", "", "seized", H, H },
	{ "confiscation", T, "state_agency", "seized", T, T },
	{ "confiscation", "", "", "seized", H, H },
	{ "deactivation", "", "", "deactivated", H, H },
	{ "deactivation", T, "dealer", "deactivated", H, H },
	{ "destruction", "", "", "destroyed", H, H },
	{ "records_to_state", T, "state_agency", "held", T, T },
	{ "records_to_state", "", "", "in_stock", H, H },
};

START_TEST(every_transition)
{
	struct reg__hstate s;

	reg__hstate_init(&s);
	reg__hstate_step(&s, "manufacture", H, "dealer", "2015-01-01");
	s.n = 1;
	reg__hstate_step(&s, steps[_i].kind, steps[_i].to, steps[_i].to_kind,
	    "2016-02-03");
	ck_assert_msg(strcmp(s.status, steps[_i].status) == 0, "%s to '%s': %s",
	    steps[_i].kind, steps[_i].to, s.status);
	ck_assert_str_eq(s.holder, steps[_i].holder);
	ck_assert_str_eq(s.last_legal_holder, steps[_i].last_legal_holder);
	ck_assert_str_eq(s.last_date, "2016-02-03");
	ck_assert_int_eq(s.n, 1);	/* the caller counts */
}
END_TEST

START_TEST(state_of_no_events)
{
	struct reg__hstate s;

	memset(&s, 0x5a, sizeof(s));
	reg__hstate_init(&s);
	ck_assert_str_eq(s.status, "registered");
	ck_assert_str_eq(s.holder, "");
	ck_assert_str_eq(s.last_legal_holder, "");
	ck_assert_str_eq(s.last_date, "");
	ck_assert_int_eq(s.n, 0);
	/* A step with NULL party fields is one without a party. */
	reg__hstate_step(&s, "loss", NULL, NULL, "2001-01-01");
	ck_assert_str_eq(s.status, "lost");
	ck_assert_str_eq(s.holder, "");
}
END_TEST

/* ------------------------------------------------------------ rules */

/* A state (status, holder, last date, events so far) and an event: the
 * rule's answer (0 or REG_ERULE with msg in the message). */
static const struct {
	const char *status, *holder, *last_date;
	int n;
	const char *kind, *date, *from, *to;
	int r;
	const char *msg;
} rules[] = {
	{ "destroyed", H, "2015-01-01", 2, "recovery", "2016-01-01", "", T,
	  REG_ERULE, "was destroyed" },
	{ "destroyed", "", "2015-01-01", 2, "manufacture", "2016-01-01", "", T,
	  REG_ERULE, "was destroyed" },
	{ "in_stock", H, "2015-01-02", 1, "loss", "2015-01-01", "", "",
	  REG_ERULE, "dates may not run backwards" },
	{ "in_stock", H, "2015-01-02", 1, "loss", "2015-01-02", "", "", 0, NULL },
	{ "in_stock", H, "2015-01-01", 1, "domestic_transfer", "2016-01-01", "", T,
	  REG_ERULE, "names the party it comes from" },
	{ "exported", "", "2015-01-01", 2, "domestic_transfer", "2016-01-01", H, T,
	  REG_ERULE, "no current holder" },
	{ "in_stock", H, "2015-01-01", 1, "loan", "2016-01-01", T, H,
	  REG_ERULE, "must come from the current holder" },
	{ "lost", H, "2015-01-01", 2, "return", "2016-01-01", H, T,
	  REG_ERULE, "record its recovery" },
	{ "stolen", H, "2015-01-01", 2, "export", "2016-01-01", H, T,
	  REG_ERULE, "record its recovery" },
	{ "in_stock", H, "2015-01-01", 1, "state_to_civilian", "2016-01-01", H, "",
	  REG_ERULE, "names the party it goes to" },
	{ "in_stock", H, "2015-01-01", 1, "export", "2016-01-01", H, "", 0, NULL },
	{ "in_stock", H, "2015-01-01", 1, "domestic_transfer", "2016-01-01", H, T,
	  0, NULL },
	{ "registered", "", "", 0, "manufacture", "2016-01-01", "", "",
	  REG_ERULE, "names the party that holds the weapon after it" },
	{ "registered", "", "", 0, "import", "2016-01-01", "", "",
	  REG_ERULE, "names the party that holds the weapon after it" },
	{ "registered", "", "", 0, "import", "2016-01-01", "", T, 0, NULL },
	{ "registered", "", "", 0, "manufacture", "2016-01-01", "", T, 0, NULL },
	{ "in_stock", H, "2015-01-01", 1, "manufacture", "2016-01-01", "", T,
	  REG_ERULE, "manufacture can only be the first event" },
	{ "in_stock", H, "2015-01-01", 1, "recovery", "2016-01-01", "", T,
	  REG_ERULE, "only a lost or stolen weapon can be recovered" },
	{ "lost", H, "2015-01-01", 2, "recovery", "2016-01-01", "", T, 0, NULL },
	{ "stolen", H, "2015-01-01", 2, "recovery", "2016-01-01", "", "", 0, NULL },
	{ "seized", H, "2015-01-01", 2, "destruction", "2016-01-01", "", "", 0, NULL },
	{ "exported", "", "2015-01-01", 2, "transit", "2016-01-01", "", "", 0, NULL },
};

START_TEST(every_rule)
{
	reg_error err = REG_ERROR_INIT;
	struct reg__hstate s;
	int r;

	reg__hstate_init(&s);
	snprintf(s.status, sizeof(s.status), "%s", rules[_i].status);
	snprintf(s.holder, sizeof(s.holder), "%s", rules[_i].holder);
	snprintf(s.last_date, sizeof(s.last_date), "%s", rules[_i].last_date);
	s.n = rules[_i].n;
	r = reg__hstate_check(&s, rules[_i].kind, rules[_i].date, rules[_i].from,
	    rules[_i].to, &err);
	ck_assert_msg(r == rules[_i].r, "case %d (%s after %s): %d %s", _i,
	    rules[_i].kind, rules[_i].status, r, err.message);
	if (rules[_i].msg != NULL)
		ck_assert_msg(strstr(err.message, rules[_i].msg) != NULL, "case %d: %s",
		    _i, err.message);
	else
		ck_assert_int_eq(err.code, 0);
}
END_TEST

/* ------------------------------------------------------------ the chain */

#define MAXEV 6

/* Events as (id, corrects) pairs; the effective chain and what each
 * corrects, as indexes. */
static const struct {
	int n;
	const char *id[MAXEV], *corrects[MAXEV];
	int neff, eff[MAXEV], corrected[MAXEV];
} chains[] = {
	{ 0, { NULL }, { NULL }, 0, { 0 }, { 0 } },
	{ 3, { "a", "b", "c" }, { NULL, "", NULL }, 3, { 0, 1, 2 }, { -1, -1, -1 } },
	/* c corrects a: it takes a's place. */
	{ 3, { "a", "b", "c" }, { NULL, NULL, "a" }, 2, { 2, 1 }, { -1, -1, 0 } },
	/* d corrects c which corrects a: d stands in a's place. */
	{ 4, { "a", "b", "c", "d" }, { NULL, NULL, "a", "c" }, 2, { 3, 1 },
	  { -1, -1, 0, 2 } },
	/* Two corrections of b itself: the first takes b's place and the
	 * second finds b no longer in the chain, so it stands nowhere (as the
	 * three copies of this rule had it; a correction is meant to name the
	 * latest correction, as reg_weapon_show()'s corrected_by does). */
	{ 4, { "a", "b", "c", "d" }, { NULL, NULL, "b", "b" }, 2, { 0, 2 },
	  { -1, -1, 1, 1 } },
	/* A correction of nothing earlier is in no place. */
	{ 3, { "a", "b", "c" }, { NULL, "c", NULL }, 2, { 0, 2 }, { -1, -1, -1 } },
	{ 3, { "a", "b", "c" }, { NULL, "x", "a" }, 1, { 2 }, { -1, -1, 0 } },
	/* Events after a correction keep their places. */
	{ 5, { "a", "b", "c", "d", "e" }, { NULL, NULL, "b", NULL, "d" }, 3,
	  { 0, 2, 4 }, { -1, -1, 1, -1, 3 } },
};

START_TEST(effective_chain)
{
	struct reg_history_event ev[MAXEV];
	int eff[MAXEV], corrected[MAXEV], i, n = chains[_i].n, neff;

	memset(ev, 0, sizeof(ev));
	for (i = 0; i < n; i++) {
		ev[i].id = chains[_i].id[i];
		ev[i].corrects = chains[_i].corrects[i];
	}
	neff = reg_history_effective(ev, n, eff, corrected);
	ck_assert_int_eq(neff, chains[_i].neff);
	for (i = 0; i < neff; i++)
		ck_assert_msg(eff[i] == chains[_i].eff[i], "case %d: eff[%d] %d", _i, i,
		    eff[i]);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(corrected[i], chains[_i].corrected[i]);
	/* corrected may be NULL. */
	ck_assert_int_eq(reg_history_effective(ev, n, eff, NULL), chains[_i].neff);
}
END_TEST

START_TEST(replay_follows_corrections)
{
	/* Manufactured to H, stolen, that theft corrected to a loss, then
	 * recovered to T: the state is the corrected chain's. */
	const struct reg_history_event ev[] = {
		{ "a", NULL, "manufacture", "2015-01-01", H, "dealer" },
		{ "b", NULL, "theft", "2016-01-01", NULL, NULL },
		{ "c", "b", "loss", "2016-01-01", "", "" },
		{ "d", NULL, "recovery", "2017-01-01", T, "state_agency" },
		{ "e", "a", "manufacture", "2015-01-01", T, "private_person" },
	};
	struct reg__hstate s;
	int eff[5], corrected[5];

	ck_assert_int_eq(reg__hstate_replay(&s, ev, 3, eff, corrected), 2);
	ck_assert_str_eq(s.status, "lost");
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(reg__hstate_replay(&s, ev, 4, eff, corrected), 3);
	ck_assert_str_eq(s.status, "held");
	ck_assert_str_eq(s.holder, T);
	ck_assert_str_eq(s.last_date, "2017-01-01");
	ck_assert_int_eq(reg__hstate_replay(&s, ev, 5, eff, corrected), 3);
	ck_assert_int_eq(eff[0], 4);
	ck_assert_int_eq(s.n, 5);
	ck_assert_str_eq(s.last_date, "2017-01-01");
}
END_TEST

START_TEST(event_kinds_as_the_schema)
{
	const char *ci = tu_db_migrated();
	char *v;
	int i;

	/* Every kind of the list is one the schema accepts, and the schema's
	 * check names no other (it lists as many). */
	v = tu_query1(ci, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
	    "WHERE conrelid = 'event'::regclass AND contype = 'c' "
	    "AND pg_get_constraintdef(oid) LIKE '%domestic_transfer%'");
	for (i = 0; reg__event_kinds[i] != NULL; i++) {
		char q[64];

		snprintf(q, sizeof(q), "'%s'", reg__event_kinds[i]);
		ck_assert_msg(strstr(v, q) != NULL, "%s not in %s", q, v);
		ck_assert_msg(strstr(REG__EVENT_KINDS_TEXT, reg__event_kinds[i]) != NULL,
		    "%s", reg__event_kinds[i]);
	}
	{
		int quotes = 0;
		const char *p;

		for (p = v; *p != '\0'; p++)
			quotes += *p == '\'';
		ck_assert_int_eq(quotes, 2 * i);
	}
	free(v);
}
END_TEST

/* ------------------------------------------------------------ in the database */

static const char *db;
static reg_ctx *ctx;

static void
db_setup(void)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_written w;
	static const struct {
		const char *kind, *ref;
	} parties[] = {
		{ "manufacturer", "M" }, { "dealer", "D" }, { "state_agency", "S" },
		{ "foreign_importer", "F" },
	};
	size_t i;

	db = tu_db_migrated();
	ck_assert(reg_open(db, 0, &ctx, &err) == 0);
	ck_assert_msg(reg_manufacturer_add(ctx, "Fabrique Nationale Herstal", "BE", &w,
	    &err) == 0, "%s", err.message);
	ck_assert(reg_manufacturer_alias_add(ctx, &w.id, "FN", "code", NULL, &err) == 0);
	for (i = 0; i < sizeof(parties) / sizeof(parties[0]); i++) {
		struct reg_party_in in = { parties[i].kind, parties[i].ref, "BE", NULL,
		    NULL, parties[i].ref, NULL };

		ck_assert_msg(reg_party_add(ctx, NULL, &in, NULL, &err) == 0, "%s",
		    err.message);
	}
}

static void
db_teardown(void)
{
	reg_close(ctx);
}

static reg_uuid
weapon(const char *ref, const char *serial)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_marking_in mk = { "manufacture", "FN", "frame", "BE", 2015, NULL };
	struct reg_weapon_in in = { ref, "FN", "FAL", "rifle", NULL, serial, "BE",
	    2015, &mk };
	struct reg_written w;

	ck_assert_msg(reg_weapon_register(ctx, &in, &w, NULL, &err) == 0, "%s",
	    err.message);
	return w.id;
}

/* A party's UUID from its office reference ("" for none: NULL). */
static const reg_uuid *
party(const char *ref, reg_uuid *u)
{
	reg_error err = REG_ERROR_INIT;

	if (*ref == '\0')
		return NULL;
	ck_assert_msg(reg_party_find(ctx, ref, u, &err) == 0, "%s", err.message);
	return u;
}

struct step {
	const char *kind, *date, *from, *to;
};

/* Adds an event through reg_event_add(); *id receives its UUID. */
static int
add(const reg_uuid *w, const struct step *st, reg_uuid *id, reg_error *err)
{
	struct reg_event_in in;
	struct reg_written out;
	reg_uuid f, t;
	int r;

	memset(&in, 0, sizeof(in));
	in.kind = st->kind;
	in.date = st->date;
	in.from_party = party(st->from, &f);
	in.to_party = party(st->to, &t);
	if (strcmp(st->kind, "export") == 0) {
		in.import_country = "DE";
		in.licence_number = "L-1";
	}
	if (strcmp(st->kind, "import") == 0)
		in.export_country = "DE";
	r = reg_event_add(ctx, w, &in, &out, NULL, err);
	if (r == 0 && id != NULL)
		*id = out.id;
	return r;
}

/* The weapon's status as reg_weapon_show() has it (a static buffer). */
static const char *
status(const reg_uuid *w)
{
	static char buf[32];
	reg_error err = REG_ERROR_INIT;
	char *js = NULL;
	json_t *j;

	ck_assert_msg(reg_weapon_show(ctx, w, NULL, &js, &err) == 0, "%s", err.message);
	j = json_loads(js, 0, NULL);
	ck_assert(j != NULL);
	snprintf(buf, sizeof(buf), "%s",
	    json_string_value(json_object_get(j, "status")));
	json_decref(j);
	reg_free(js);
	return buf;
}

struct rejects {
	int n;
	char why[512];
};

static void
on_reject(uint64_t line, const char *why, const char *raw, void *arg)
{
	struct rejects *rj = arg;

	(void)line;
	(void)raw;
	rj->n++;
	snprintf(rj->why, sizeof(rj->why), "%s", why);
}

/* Imports the events of csv (rows after the header) through the importer. */
static void
import(const char *rows, struct reg_import_stats *st, struct rejects *rj)
{
	static const char header[] = "office_ref,weapon,kind,date,from,to,"
	    "licence_number,licence_issued,licence_expires,euc_ref,export_country,"
	    "import_country,transit_countries,final_recipient,certificate,note\n";
	reg_error err = REG_ERROR_INIT;
	struct reg_import_opts o;
	char *text = tu_concat(header, rows);
	FILE *f = fmemopen(text, strlen(text), "rb");

	ck_assert(f != NULL);
	memset(&o, 0, sizeof(o));
	memset(rj, 0, sizeof(*rj));
	o.reject = on_reject;
	o.arg = rj;
	ck_assert_msg(reg_import_csv(ctx, f, &o, st, &err) == 0, "%s", err.message);
	fclose(f);
	free(text);
}

/* A CSV row for step st of weapon ref (the event's reference ref-k). */
static void
row(char *out, size_t n, const char *ref, int k, const struct step *st)
{
	int ex = strcmp(st->kind, "export") == 0, im = strcmp(st->kind, "import") == 0;

	snprintf(out, n, "%s-%d,%s,%s,%s,%s,%s,%s,,,,%s,%s,,,,\n", ref, k, ref,
	    st->kind, st->date, st->from, st->to, ex ? "L-1" : "", im ? "DE" : "",
	    ex ? "DE" : "");
}

#define MD { "manufacture", "2015-01-01", "M", "D" }
#define MAXSTEPS 4

/* Sequences of events: the last one refused (with msg) or not, and the
 * weapon's status after them. */
static const struct {
	struct step s[MAXSTEPS];
	const char *msg, *status;
} seqs[] = {
	{ { MD }, NULL, "in_stock" },
	{ { MD, { "state_to_civilian", "2016-01-01", "D", "S" } }, NULL, "held" },
	{ { MD, { "export", "2016-01-01", "D", "F" } }, NULL, "exported" },
	{ { MD, { "export", "2016-01-01", "D", "" } }, NULL, "exported" },
	{ { { "import", "2015-01-01", "", "D" } }, NULL, "in_stock" },
	{ { MD, { "transit", "2016-01-01", "", "" } }, NULL, "in_stock" },
	{ { MD, { "loan", "2016-01-01", "D", "S" },
	    { "return", "2016-02-01", "S", "D" } }, NULL, "in_stock" },
	{ { MD, { "domestic_transfer", "2015-01-01", "D", "S" } }, NULL, "held" },
	{ { MD, { "loss", "2016-01-01", "", "" } }, NULL, "lost" },
	{ { MD, { "theft", "2016-01-01", "", "" },
	    { "recovery", "2016-02-01", "", "S" } }, NULL, "held" },
	{ { MD, { "theft", "2016-01-01", "", "" },
	    { "recovery", "2016-02-01", "", "" } }, NULL, "stolen" },
	{ { MD, { "seizure", "2016-01-01", "", "S" } }, NULL, "seized" },
	{ { MD, { "confiscation", "2016-01-01", "", "" } }, NULL, "seized" },
	{ { MD, { "deactivation", "2016-01-01", "", "" } }, NULL, "deactivated" },
	{ { MD, { "destruction", "2016-01-01", "", "" } }, NULL, "destroyed" },
	{ { MD, { "records_to_state", "2016-01-01", "", "S" } }, NULL, "held" },
	/* Every rule, refusing. */
	{ { MD, { "destruction", "2016-01-01", "", "" },
	    { "loss", "2017-01-01", "", "" } }, "was destroyed", "destroyed" },
	{ { MD, { "loss", "2014-12-31", "", "" } }, "dates may not run backwards",
	  "in_stock" },
	{ { MD, { "domestic_transfer", "2016-01-01", "", "S" } },
	  "names the party it comes from", "in_stock" },
	{ { MD, { "export", "2016-01-01", "D", "F" },
	    { "domestic_transfer", "2016-02-01", "D", "S" } }, "no current holder",
	  "exported" },
	{ { MD, { "domestic_transfer", "2016-01-01", "S", "D" } },
	  "must come from the current holder", "in_stock" },
	{ { MD, { "theft", "2016-01-01", "", "" },
	    { "export", "2016-02-01", "D", "F" } }, "record its recovery", "stolen" },
	{ { MD, { "loan", "2016-01-01", "D", "" } }, "names the party it goes to",
	  "in_stock" },
	{ { { "manufacture", "2015-01-01", "M", "" } },
	  "names the party that holds the weapon", "registered" },
	{ { { "import", "2015-01-01", "", "" } },
	  "names the party that holds the weapon", "registered" },
	{ { MD, { "manufacture", "2016-01-01", "M", "D" } },
	  "can only be the first event", "in_stock" },
	{ { MD, { "recovery", "2016-01-01", "", "S" } },
	  "only a lost or stolen weapon", "in_stock" },
};

/* The sequence through reg_event_add() and through the importer: the same
 * answer and the same state. */
START_TEST(sequence_writes_and_imports_alike)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_import_stats st;
	struct rejects rj;
	char ref[32], csv[4096] = "";
	reg_uuid a, b;
	int k, n, r;

	snprintf(ref, sizeof(ref), "A%d", _i);
	a = weapon(ref, "ABC123");
	for (n = 0; n < MAXSTEPS && seqs[_i].s[n].kind != NULL; n++)
		;
	for (k = 0; k < n; k++) {
		reg_error_clear(&err);
		r = add(&a, &seqs[_i].s[k], NULL, &err);
		if (k + 1 < n || seqs[_i].msg == NULL) {
			ck_assert_msg(r == 0, "case %d step %d: %s", _i, k, err.message);
			continue;
		}
		ck_assert_int_eq(r, REG_ERULE);
		ck_assert_msg(strstr(err.message, seqs[_i].msg) != NULL, "case %d: %s",
		    _i, err.message);
	}
	ck_assert_str_eq(status(&a), seqs[_i].status);

	snprintf(ref, sizeof(ref), "B%d", _i);
	b = weapon(ref, "ABC123");
	for (k = 0; k < n; k++)
		row(csv + strlen(csv), sizeof(csv) - strlen(csv), ref, k, &seqs[_i].s[k]);
	import(csv, &st, &rj);
	ck_assert_int_eq(rj.n, seqs[_i].msg != NULL);
	ck_assert_int_eq(st.imported, (uint64_t)(n - rj.n));
	if (seqs[_i].msg != NULL)
		ck_assert_msg(strstr(rj.why, seqs[_i].msg) != NULL, "case %d: %s", _i,
		    rj.why);
	ck_assert_str_eq(status(&b), seqs[_i].status);
}
END_TEST

/* A correction changes the state the rules see, for event writes and the
 * importer alike: an export corrected to a domestic transfer leaves the
 * weapon with the party it went to, who may then lend it. */
START_TEST(corrections_change_the_state)
{
	static const struct step ex = { "export", "2016-01-01", "D", "F" };
	static const struct step loan = { "loan", "2016-03-01", "S", "D" };
	reg_error err = REG_ERROR_INIT;
	struct reg_import_stats st;
	struct reg_event_in in;
	struct rejects rj;
	reg_uuid w[2], id, s, d;
	char csv[512];
	int i;

	for (i = 0; i < 2; i++) {
		w[i] = weapon(i == 0 ? "C0" : "C1", "XYZ789");
		ck_assert(add(&w[i], &(struct step)MD, NULL, &err) == 0);
		ck_assert(add(&w[i], &ex, &id, &err) == 0);
		ck_assert_str_eq(status(&w[i]), "exported");
		memset(&in, 0, sizeof(in));
		in.kind = "domestic_transfer";
		in.date = "2016-01-01";
		in.from_party = party("D", &d);
		in.to_party = party("S", &s);
		ck_assert_msg(reg_event_correct(ctx, &id, "not exported: form 7", &in,
		    NULL, &err) == 0, "%s", err.message);
		ck_assert_str_eq(status(&w[i]), "held");
	}
	ck_assert_msg(add(&w[0], &loan, NULL, &err) == 0, "%s", err.message);
	row(csv, sizeof(csv), "C1", 9, &loan);
	import(csv, &st, &rj);
	ck_assert_msg(rj.n == 0, "%s", rj.why);
	ck_assert_int_eq(st.imported, 1);
	ck_assert_str_eq(status(&w[0]), "in_stock");
	ck_assert_str_eq(status(&w[1]), "in_stock");
}
END_TEST

/* ------------------------------------------------------------ folding */

/* A serial as marked or read: its letters and digits upper case, its
 * normal form as stored (D and 7 kept), its search key, and a name's
 * folding of the same text. */
static const struct {
	const char *in, *upper, *norm, *key, *name;
} serials[] = {
	{ "", "", "", "", "" },
	{ "ab-12 3O", "AB123O", "A81230", "A81230", "AB123O" },
	{ "OQD IL7 S B Z G", "OQDIL7SBZG", "00D1175826", "0001115826", "OQDIL7SBZG" },
	{ "oqdil7sbzg", "OQDIL7SBZG", "00D1175826", "0001115826", "OQDIL7SBZG" },
	{ "ACEFHJKMNPRTUVWXY", "ACEFHJKMNPRTUVWXY", "ACEFHJKMNPRTUVWXY",
	  "ACEFHJKMNPRTUVWXY", "ACEFHJKMNPRTUVWXY" },
	{ "0123456789", "0123456789", "0123456789", "0123456189", "0123456789" },
	{ " a\tb/c.d-e_f\n", "ABCDEF", "A8CDEF", "A8C0EF", "ABCDEF" },
	{ "F.N. Herstal", "FNHERSTAL", "FNHER5TA1", "FNHER5TA1", "FNHERSTAL" },
	/* Anything not ASCII is dropped, even what looks like a letter. */
	{ "\xc3\x89" "12\xc3\x96" "3", "123", "123", "123", "123" },
	{ "\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\x91", "", "", "", "" },
	{ "\xc3\x9f" "9\xc4\xb1", "9", "9", "9", "9" },
	{ "\xe2\x84\xaa" "7", "7", "7", "1", "7" },
	{ "?*", "", "", "", "" },
};

START_TEST(serial_and_name_vectors)
{
	char out[64];

	ck_assert_int_eq(reg_serial_upper(serials[_i].in, 0, out, sizeof(out)),
	    (int)strlen(serials[_i].upper));
	ck_assert_str_eq(out, serials[_i].upper);
	reg__serial_norm(serials[_i].in, out, sizeof(out));
	ck_assert_str_eq(out, serials[_i].norm);
	ck_assert_int_eq(reg_serial_key(serials[_i].in, 0, out, sizeof(out)),
	    (int)strlen(serials[_i].key));
	ck_assert_str_eq(out, serials[_i].key);
	/* The key of the stored form is the key of the serial. */
	reg__serial_norm(serials[_i].in, out, sizeof(out));
	reg_serial_fold(out);
	ck_assert_str_eq(out, serials[_i].key);
	reg_name_norm(serials[_i].in, out, sizeof(out));
	ck_assert_str_eq(out, serials[_i].name);
}
END_TEST

START_TEST(folding_limits)
{
	char out[8];

	/* Wildcards: '?' one, '*' a run (collapsed), folded around. */
	ck_assert_int_eq(reg_serial_key("ab??**12*", 1, out, sizeof(out)), -1);
	ck_assert_int_eq(reg_serial_key("ab??**2*", 1, out, sizeof(out)), 7);
	ck_assert_str_eq(out, "A8??*2*");
	ck_assert_int_eq(reg_serial_upper("s* *z?", 1, out, sizeof(out)), 4);
	ck_assert_str_eq(out, "S*Z?");
	/* Too long: the key says so; the stored form and names are cut. */
	ck_assert_int_eq(reg_serial_key("ABCDEFGH", 0, out, 4), -1);
	ck_assert_int_eq(reg_serial_upper("ABCDEFGH", 0, out, 4), -1);
	ck_assert_int_eq(reg_serial_key("ABC", 0, out, 4), 3);
	ck_assert_int_eq(reg_serial_key("A", 0, out, 0), -1);
	reg__serial_norm("ABCDEFGH", out, 4);
	ck_assert_str_eq(out, "A8C");
	reg_name_norm("ABCDEFGH", out, 4);
	ck_assert_str_eq(out, "ABC");
	reg_name_norm(NULL, out, sizeof(out));
	ck_assert_str_eq(out, "");
	out[0] = 'x';
	reg_name_norm("AB", out, 0);
	ck_assert_int_eq(out[0], 'x');
	reg__calibre_norm("9 X 19,5 MM", out, sizeof(out));
	ck_assert_str_eq(out, "9x19.5m");
}
END_TEST

/* Appends s to an array literal for PostgreSQL. */
static void
array_add(char *buf, size_t n, const char *s)
{
	size_t o = strlen(buf);

	if (o > 1)
		buf[o++] = ',';
	buf[o++] = '"';
	for (; *s != '\0' && o + 4 < n; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	ck_assert(o + 4 < n);
}

/* Appends the UTF-8 of code point cp to s. */
static void
utf8(char *s, unsigned cp)
{
	size_t o = strlen(s);

	if (cp < 0x80) {
		s[o++] = (char)cp;
	} else if (cp < 0x800) {
		s[o++] = (char)(0xc0 | cp >> 6);
		s[o++] = (char)(0x80 | (cp & 0x3f));
	} else {
		s[o++] = (char)(0xe0 | cp >> 12);
		s[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[o++] = (char)(0x80 | (cp & 0x3f));
	}
	s[o] = '\0';
}

#define NCP (127 + (0x800 - 0x80) + 8)

/*
 * Every character, alone and between others: the key C computes equals
 * migration 0005's reg_serial_key() in SQL, and the key SQL derives from
 * the stored form C computes (translate(serial_norm, 'D7', '01'),
 * migrations 0005 and 0011) equals it too.
 */
START_TEST(c_and_sql_fold_alike)
{
	static const unsigned wide[8] = { 0x1e9e, 0x212a, 0x2160, 0xff10, 0xff21,
		0xff2f, 0xff41, 0x0131 };
	static char a1[NCP * 40], a2[NCP * 40], strs[NCP][16];
	char norm[64], key[64], q[32];
	const char *params[2] = { a1, a2 };
	PGconn *c = tu_connect(tu_db_migrated());
	PGresult *res;
	int i;

	snprintf(a1, sizeof(a1), "{");
	snprintf(a2, sizeof(a2), "{");
	for (i = 0; i < NCP; i++) {
		unsigned cp = i < 127 ? (unsigned)i + 1 : i < 127 + 0x780 ?
		    0x80 + (unsigned)(i - 127) : wide[i - 127 - 0x780];

		snprintf(strs[i], sizeof(strs[i]), "a");
		utf8(strs[i], cp);
		utf8(strs[i], i % 2 ? '7' : 'd');
		reg__serial_norm(strs[i], norm, sizeof(norm));
		array_add(a1, sizeof(a1), strs[i]);
		array_add(a2, sizeof(a2), norm);
	}
	strcat(a1, "}");
	strcat(a2, "}");
	res = PQexecParams(c, "SELECT reg_serial_key(x), translate(y, 'D7', '01') "
	    "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(x, y, i) "
	    "ORDER BY i", 2, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s",
	    PQerrorMessage(c));
	ck_assert_int_eq(PQntuples(res), NCP);
	for (i = 0; i < NCP; i++) {
		ck_assert_int_ge(reg_serial_key(strs[i], 0, key, sizeof(key)), 0);
		snprintf(q, sizeof(q), "%s", PQgetvalue(res, i, 0));
		ck_assert_msg(strcmp(key, q) == 0, "character %d: C %s, SQL %s", i, key, q);
		ck_assert_str_eq(PQgetvalue(res, i, 1), key);
	}
	PQclear(res);
	PQfinish(c);
}
END_TEST

/* A weapon's stored form and its read model's key are the C ones. */
START_TEST(stored_keys_are_the_c_ones)
{
	char serial[128], norm[128], key[128], *v;
	reg_uuid w;
	int i, o = 0;

	for (i = 0x21; i < 0x7f && o < 99; i += i < 0x60 ? 1 : 2)
		serial[o++] = (char)i;
	serial[o] = '\0';
	w = weapon("K1", serial);
	(void)w;
	reg__serial_norm(serial, norm, sizeof(norm));
	ck_assert_int_ge(reg_serial_key(serial, 0, key, sizeof(key)), 0);
	v = tu_query1(db, "SELECT serial_norm FROM weapon WHERE office_ref = 'K1'");
	ck_assert_str_eq(v, norm);
	free(v);
	v = tu_query1(db, "SELECT t.key FROM trace_weapon t JOIN weapon w "
	    "ON w.id = t.weapon_id WHERE w.office_ref = 'K1'");
	ck_assert_str_eq(v, key);
	free(v);
	v = tu_query1(db, "SELECT reg_trace_key(id) FROM weapon WHERE office_ref = 'K1'");
	ck_assert_str_eq(v, key);
	free(v);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *
suite(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("rules");

	tcase_add_loop_test(tc, every_transition, 0, sizeof(steps) / sizeof(steps[0]));
	tcase_add_test(tc, state_of_no_events);
	tcase_add_loop_test(tc, every_rule, 0, sizeof(rules) / sizeof(rules[0]));
	tcase_add_loop_test(tc, effective_chain, 0, sizeof(chains) / sizeof(chains[0]));
	tcase_add_test(tc, replay_follows_corrections);
	tcase_add_test(tc, event_kinds_as_the_schema);
	suite_add_tcase(s, tc);
	tc = tcase_create("database");
	tcase_add_checked_fixture(tc, db_setup, db_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, sequence_writes_and_imports_alike, 0,
	    sizeof(seqs) / sizeof(seqs[0]));
	tcase_add_test(tc, corrections_change_the_state);
	tcase_add_test(tc, stored_keys_are_the_c_ones);
	suite_add_tcase(s, tc);
	tc = tcase_create("norm");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, serial_and_name_vectors, 0,
	    sizeof(serials) / sizeof(serials[0]));
	tcase_add_test(tc, folding_limits);
	tcase_add_test(tc, c_and_sql_fold_alike);
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
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
