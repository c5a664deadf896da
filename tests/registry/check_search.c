/*
 * The trace engine's searches (reg_search_*) and the connection checks
 * (reg_alive(), reg_server_info()), against a real PostgreSQL: records
 * written through the library, then each search, what it refuses, and
 * what it does when the read model or what was read is not what the log
 * sealed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <libpq-fe.h>

#include "registry/registry.h"
#include "registry_int.h"
#include "testutil.h"

static const char *ci;
static char *tmpdir;
static reg_pii_keyring *kr;
static reg_ctx *ctx;
static reg_search *srch;
static reg_uuid fn_id, dealer_id, person_id;
static char fn_text[REG_UUID_STR];	/* fn_id as text */

/* ------------------------------------------------------------ a sink */

/* The weapons found, and the memory they point into. */
struct found {
	struct reg_search_weapon *w;
	int n, cap;
	void **blocks;
	int nblocks, capblocks;
	int allocs, fail_at;		/* alloc() number fail_at fails (0: none) */
	int adds;
	struct reg_search_sink sink;
};

static struct reg_search_weapon *
found_add(void *arg)
{
	struct found *f = arg;

	f->adds++;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 4;
		f->w = realloc(f->w, (size_t)f->cap * sizeof(*f->w));
		ck_assert_ptr_nonnull(f->w);
	}
	memset(&f->w[f->n], 0, sizeof(f->w[f->n]));
	return &f->w[f->n++];
}

static void *
found_alloc(void *arg, size_t n)
{
	struct found *f = arg;
	void *p;

	if (++f->allocs == f->fail_at)
		return NULL;
	if (f->nblocks == f->capblocks) {
		f->capblocks = f->capblocks ? f->capblocks * 2 : 64;
		f->blocks = realloc(f->blocks, (size_t)f->capblocks * sizeof(*f->blocks));
		ck_assert_ptr_nonnull(f->blocks);
	}
	p = calloc(1, n ? n : 1);
	ck_assert_ptr_nonnull(p);
	f->blocks[f->nblocks++] = p;
	return p;
}

static void
found_init(struct found *f)
{
	memset(f, 0, sizeof(*f));
	f->sink.add = found_add;
	f->sink.alloc = found_alloc;
	f->sink.arg = f;
}

static void
found_free(struct found *f)
{
	int i;

	for (i = 0; i < f->nblocks; i++)
		free(f->blocks[i]);
	free(f->blocks);
	free(f->w);
	found_init(f);
}

static void
must(int r, const reg_error *err)
{
	ck_assert_msg(r == 0, "%d: %s", r, err->message);
}

/* ------------------------------------------------------------ records */

static reg_uuid
weapon(const char *serial, const char *ref)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_marking_in mk = { "manufacture", "FN HERSTAL BELGIUM", "frame",
	    "BE", 2015, NULL };
	struct reg_weapon_in in = { ref, "FN", "FNP-9", "pistol", "9 x 19 mm",
	    serial, "BE", 2015, &mk };
	struct reg_written w, m;

	must(reg_weapon_register(ctx, &in, &w, &m, &err), &err);
	return w.id;
}

static void
event(const reg_uuid *w, const char *kind, const char *date,
    const reg_uuid *from, const reg_uuid *to)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_event_in in;

	memset(&in, 0, sizeof(in));
	in.kind = kind;
	in.date = date;
	in.from_party = from;
	in.to_party = to;
	in.note = "seen \"at\" the fair, a\\b";	/* quoted in trace_rec */
	must(reg_event_add(ctx, w, &in, NULL, NULL, &err), &err);
}

/*
 * One manufacturer (FN), a dealer and a private person; TX-4455 with an
 * import marking (new serial NEW-900), a slide (CMP-7788) and two events;
 * TX-4465 one edit away; RK-1000 apart.
 */
static void
registry_setup(void)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_marking_in imp = { "import", "IMP DE 2018", "frame", "DE", 2018,
	    "NEW-900" };
	struct reg_party_in dealer = { "dealer", "Armes Dupont", "BE", NULL,
	    "LIC-1", "D-1", NULL };
	struct reg_party_in person = { "private_person", NULL, "BE", "Liege",
	    NULL, "P-1", NULL };
	struct reg_person p;
	struct reg_written w;
	reg_uuid w1;
	char path[4200];

	ci = tu_db_migrated();
	tmpdir = tu_tmpdir();
	snprintf(path, sizeof(path), "%s/pii.key", tmpdir);
	must(reg_pii_keygen(path, 0, NULL, &err), &err);
	must(reg_pii_keyring_load(path, &kr, &err), &err);
	must(reg_open(ci, 0, &ctx, &err), &err);
	must(reg_manufacturer_add(ctx, "Fabrique Nationale Herstal", "BE", &w,
	    &err), &err);
	fn_id = w.id;
	reg_uuid_format(&fn_id, fn_text);
	must(reg_manufacturer_alias_add(ctx, &fn_id, "FN", "code", NULL, &err), &err);
	must(reg_party_add(ctx, NULL, &dealer, &w, &err), &err);
	dealer_id = w.id;
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "Zoltan Quixote");
	snprintf(p.birth_date, sizeof(p.birth_date), "1970-01-31");
	person.person = &p;
	must(reg_party_add(ctx, kr, &person, &w, &err), &err);
	person_id = w.id;
	w1 = weapon("TX-4455", "W-1");
	must(reg_marking_add(ctx, &w1, &imp, NULL, &err), &err);
	must(reg_component_add(ctx, &w1, "slide", "CMP-7788", NULL, &err), &err);
	event(&w1, "manufacture", "2015-03-01", NULL, &dealer_id);
	event(&w1, "domestic_transfer", "2016-04-01", &dealer_id, &person_id);
	(void)weapon("TX-4465", "W-2");
	(void)weapon("RK-1000", "W-3");
	reg_close(ctx);
	ctx = NULL;
}

static void
registry_teardown(void)
{
	reg_pii_keyring_free(kr);
	tu_rmtree(tmpdir);
	free(tmpdir);
}

static void
conn_setup(void)
{
	reg_error err = REG_ERROR_INIT;

	must(reg_open(ci, 0, &ctx, &err), &err);
	must(reg_search_new(ctx, &srch, &err), &err);
}

static void
conn_teardown(void)
{
	reg_search_free(srch);
	srch = NULL;
	reg_close(ctx);
	ctx = NULL;
}

/* The weapon of f with serial, or NULL. */
static struct reg_search_weapon *
with_serial(struct found *f, const char *serial)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (f->w[i].serial != NULL && strcmp(f->w[i].serial, serial) == 0)
			return &f->w[i];
	return NULL;
}

/* TX-4455 as written, with its details. */
static void
check_tx4455(const struct reg_search_weapon *w)
{
	static const uint8_t zero[32];

	ck_assert_str_eq(w->via, "serial");
	ck_assert_str_eq(w->matched, "TX-4455");
	ck_assert_str_eq(w->model, "FNP-9");
	ck_assert_str_eq(w->type, "pistol");
	ck_assert_str_eq(w->calibre, "9 x 19 mm");
	ck_assert_str_eq(w->country, "BE");
	ck_assert_int_eq(w->year, 2015);
	ck_assert_int_eq(w->detailed, 1);
	ck_assert_int_eq(w->nmarks, 2);
	ck_assert_str_eq(w->marks[0].kind, "manufacture");
	ck_assert_str_eq(w->marks[1].kind, "import");
	ck_assert_str_eq(w->marks[1].new_serial, "NEW-900");
	ck_assert_str_eq(w->imports, "DE:2018");
	ck_assert_int_eq(w->ncomps, 1);
	ck_assert_str_eq(w->comps[0].kind, "slide");
	ck_assert_str_eq(w->comps[0].serial, "CMP-7788");
	ck_assert_int_eq(w->nev, 2);
	ck_assert_int_eq(w->ev[0].seq, 1);
	ck_assert_str_eq(w->ev[0].kind, "manufacture");
	ck_assert_str_eq(w->ev[0].date, "2015-03-01");
	ck_assert_str_eq(w->ev[0].from_id, "");
	ck_assert_int_eq(w->ev[1].seq, 2);
	ck_assert_str_eq(w->ev[1].kind, "domestic_transfer");
	ck_assert_str_eq(w->ev[1].note, "seen \"at\" the fair, a\\b");
	ck_assert_ptr_null(w->ev[1].transit);
	ck_assert_int_gt(w->ev[1].log_index, w->ev[0].log_index);
	if (w->sealed)
		ck_assert(memcmp(w->ev[0].leaf_hash.b, zero, 32) != 0);
}

/* ------------------------------------------------------------ by key */

START_TEST(by_key_read_model)
{
	reg_error err = REG_ERROR_INIT;
	struct found f;
	int t = 0, source = -1;

	found_init(&f);
	must(reg_search_by_key(srch, "TX4455", &f.sink, &t, &source, &err), &err);
	ck_assert_int_eq(source, REG_SEARCH_READ_MODEL);
	ck_assert_int_eq(t, 0);
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_eq(f.w[0].sealed, 1);
	ck_assert_int_eq(f.w[0].ev[0].sealed, 1);
	check_tx4455(&f.w[0]);
	found_free(&f);
	/* A key nobody has: nothing, from the read model. */
	must(reg_search_by_key(srch, "NOSUCH99", &f.sink, &t, &source, &err), &err);
	ck_assert_int_eq(source, REG_SEARCH_READ_MODEL);
	ck_assert_int_eq(f.n, 0);
	found_free(&f);
}
END_TEST

START_TEST(by_key_records)
{
	reg_error err = REG_ERROR_INIT;
	struct found f, g;
	int t = 0, source, i;

	found_init(&f);
	found_init(&g);
	must(reg_search_by_key_records(srch, "TX4455", &f.sink, &t, &err), &err);
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_eq(f.w[0].sealed, 0);
	check_tx4455(&f.w[0]);
	/* Field by field what the read model gives. */
	must(reg_search_by_key(srch, "TX4455", &g.sink, &t, &source, &err), &err);
	ck_assert_str_eq(f.w[0].id, g.w[0].id);
	ck_assert_str_eq(f.w[0].manufacturer_id, g.w[0].manufacturer_id);
	for (i = 0; i < 2; i++) {
		ck_assert_str_eq(f.w[0].ev[i].id, g.w[0].ev[i].id);
		ck_assert_str_eq(f.w[0].ev[i].to_id, g.w[0].ev[i].to_id);
		ck_assert_str_eq(f.w[0].ev[i].note, g.w[0].ev[i].note);
	}
	found_free(&f);
	found_free(&g);
}
END_TEST

/*
 * A read model row that is not what the log sealed (a superuser's edit)
 * is not served: the weapon comes from its records, unsealed, and as
 * recorded.
 */
START_TEST(by_key_mismatch)
{
	reg_error err = REG_ERROR_INIT;
	struct found f;
	int t = 0, source = -1;

	tu_exec(ci, "CREATE TABLE kept AS SELECT * FROM trace_weapon");
	tu_exec(ci, "UPDATE trace_weapon SET recs = array_replace(recs, recs[1], "
	    "replace(recs[1], 'FNP-9', 'Forged')) WHERE key = 'TX4455'");
	found_init(&f);
	must(reg_search_by_key(srch, "TX4455", &f.sink, &t, &source, &err), &err);
	ck_assert_int_eq(source, REG_SEARCH_MISMATCH);
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_eq(f.w[0].sealed, 0);
	check_tx4455(&f.w[0]);
	found_free(&f);
	/* A row that does not read back: the records, as a fallback. */
	tu_exec(ci, "UPDATE trace_weapon SET recs = recs || 'w'::text "
	    "WHERE key = 'TX4455'");
	must(reg_search_by_key(srch, "TX4455", &f.sink, &t, &source, &err), &err);
	ck_assert_int_eq(source, REG_SEARCH_FALLBACK);
	ck_assert_int_eq(f.n, 1);
	check_tx4455(&f.w[0]);
	found_free(&f);
	tu_exec(ci, "UPDATE trace_weapon t SET recs = k.recs FROM kept k "
	    "WHERE k.weapon_id = t.weapon_id; DROP TABLE kept");
}
END_TEST

/* ------------------------------------------------------------ candidates */

START_TEST(other_serials)
{
	reg_error err = REG_ERROR_INIT;
	struct found f;

	found_init(&f);
	/* CMP-7788's key: look-alikes folded, then 7 read as 1. */
	must(reg_search_other_serials(srch, "CMP1188", 0, &f.sink, &err), &err);
	ck_assert_int_eq(f.n, 1);
	ck_assert_str_eq(f.w[0].via, "component slide");
	ck_assert_str_eq(f.w[0].matched, "CMP-7788");
	ck_assert_str_eq(f.w[0].serial, "TX-4455");
	ck_assert_int_eq(f.w[0].detailed, 0);
	ck_assert_str_eq(f.w[0].imports, "DE:2018");
	found_free(&f);
	must(reg_search_other_serials(srch, "NEW900", 1, &f.sink, &err), &err);
	ck_assert_int_eq(f.n, 1);
	ck_assert_str_eq(f.w[0].via, "import");
	ck_assert_str_eq(f.w[0].matched, "NEW-900");
	found_free(&f);
	must(reg_search_other_serials(srch, "NEW900", 0, &f.sink, &err), &err);
	ck_assert_int_eq(f.n, 0);
	found_free(&f);
}
END_TEST

START_TEST(by_pattern)
{
	reg_error err = REG_ERROR_INIT;
	struct found f;
	const char *makers[1];

	found_init(&f);
	must(reg_search_pattern(srch, "TX4_55", 0, &f.sink, &err), &err);
	ck_assert_int_eq(f.n, 1);
	ck_assert_str_eq(f.w[0].serial, "TX-4455");
	found_free(&f);
	must(reg_search_pattern(srch, "TX4%", 0, &f.sink, &err), &err);
	ck_assert_int_eq(f.n, 2);
	ck_assert_ptr_nonnull(with_serial(&f, "TX-4465"));
	found_free(&f);
	/* Narrowed by type, manufacturer and year (one either way). */
	makers[0] = fn_text;
	must(reg_search_pattern_narrowed(srch, "TX4%", "pistol", makers, 1, 2016,
	    &f.sink, &err), &err);
	ck_assert_int_eq(f.n, 2);
	found_free(&f);
	must(reg_search_pattern_narrowed(srch, "TX4%", NULL, NULL, 0, 2013,
	    &f.sink, &err), &err);
	ck_assert_int_eq(f.n, 0);
	must(reg_search_pattern_narrowed(srch, "TX4%", "rifle", NULL, 0, 0,
	    &f.sink, &err), &err);
	ck_assert_int_eq(f.n, 0);
	found_free(&f);
}
END_TEST

START_TEST(near)
{
	reg_error err = REG_ERROR_INIT;
	struct found f;

	found_init(&f);
	must(reg_search_near(srch, "TX4455", 0, &f.sink, &err), &err);
	ck_assert_ptr_nonnull(with_serial(&f, "TX-4455"));
	ck_assert_ptr_nonnull(with_serial(&f, "TX-4465"));
	ck_assert_ptr_null(with_serial(&f, "RK-1000"));
	found_free(&f);
	/* Two edits away: TX-4465 only through one. */
	must(reg_search_near(srch, "TX4466", 0, &f.sink, &err), &err);
	ck_assert_ptr_nonnull(with_serial(&f, "TX-4465"));
	found_free(&f);
}
END_TEST

/* ------------------------------------------------------------ details */

START_TEST(details_verify_parties)
{
	reg_error err = REG_ERROR_INIT;
	struct found f;
	struct reg_search_weapon *list[2];
	const struct reg_search_party *to;
	int records = -1;

	found_init(&f);
	must(reg_search_pattern(srch, "TX4%", 0, &f.sink, &err), &err);
	ck_assert_int_eq(f.n, 2);
	list[0] = &f.w[0];
	list[1] = &f.w[1];
	must(reg_search_details(srch, list, 2, &f.sink, &err), &err);
	ck_assert_int_eq(f.w[0].detailed, 1);
	ck_assert_int_eq(f.w[1].detailed, 1);
	check_tx4455(with_serial(&f, "TX-4455"));
	ck_assert_int_eq(with_serial(&f, "TX-4465")->nev, 0);
	/* What was read is what the log sealed: each event gets its hash. */
	must(reg_search_verify(srch, list, 2, &records, &err), &err);
	ck_assert_int_eq(records, 0);
	ck_assert_int_eq(with_serial(&f, "TX-4455")->ev[1].sealed, 1);
	/* Parties: the dealer by name, the private person sealed. */
	must(reg_search_parties(srch, list, 2, &err), &err);
	to = with_serial(&f, "TX-4455")->ev[0].to;
	ck_assert_ptr_nonnull(to);
	ck_assert_str_eq(to->name, "Armes Dupont");
	ck_assert_str_eq(to->licence, "LIC-1");
	to = with_serial(&f, "TX-4455")->ev[1].to;
	ck_assert_ptr_nonnull(to);
	ck_assert_str_eq(to->kind, "private_person");
	ck_assert_ptr_null(to->name);
	ck_assert_str_eq(to->region, "Liege");
	ck_assert_ptr_nonnull(to->pii);
	ck_assert_uint_gt(to->pii_len, 16);
	/* From the cache the second time: the same party. */
	with_serial(&f, "TX-4455")->ev[1].to = NULL;
	must(reg_search_parties(srch, list, 2, &err), &err);
	ck_assert_ptr_eq(with_serial(&f, "TX-4455")->ev[1].to, to);
	reg_search_trim(srch);
	ck_assert_ptr_eq(with_serial(&f, "TX-4455")->ev[1].to, to);
	found_free(&f);
}
END_TEST

/* Something read that the log did not seal is REG_EVERIFY, named. */
START_TEST(verify_mismatch)
{
	static const char *const what[] = { "model", "its event", "its marking" };
	reg_error err = REG_ERROR_INIT;
	struct found f;
	struct reg_search_weapon *list[1];
	int records = -1, t = 0, i;

	for (i = 0; i < 3; i++) {
		found_init(&f);
		must(reg_search_by_key_records(srch, "TX4455", &f.sink, &t, &err),
		    &err);
		list[0] = &f.w[0];
		if (i == 0)
			f.w[0].model = "Forged";
		else if (i == 1)
			f.w[0].nev--;		/* an event left out */
		else
			f.w[0].nmarks--;	/* a marking left out */
		reg_error_clear(&err);
		ck_assert_int_eq(reg_search_verify(srch, list, 1, &records, &err),
		    REG_EVERIFY);
		ck_assert_int_eq(records, 0);
		ck_assert_msg(strstr(err.message, what[i]) != NULL, "%s", err.message);
		found_free(&f);
	}
	reg_error_clear(&err);
}
END_TEST

START_TEST(aliases)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_search_alias *al = NULL;
	int n = 0, i, code = 0;

	must(reg_search_aliases(srch, &al, &n, &err), &err);
	ck_assert_int_ge(n, 2);
	for (i = 0; i < n; i++) {
		if (i > 0)
			ck_assert_int_le(strcmp(al[i - 1].manufacturer_id,
			    al[i].manufacturer_id), 0);
		if (strcmp(al[i].norm, "FN") == 0 && strcmp(al[i].kind, "code") == 0) {
			code++;
			ck_assert_str_eq(al[i].maker, "Fabrique Nationale Herstal");
			ck_assert_str_eq(al[i].manufacturer_id, fn_text);
		}
	}
	ck_assert_int_eq(code, 1);
	reg_free(al);
}
END_TEST

/* ------------------------------------------------------------ bad input */

START_TEST(bad_input)
{
	reg_error err = REG_ERROR_INIT;
	struct found f;
	char big[REG_SEARCH_KEY_MAX + 2];
	const char *bad_maker[1] = { "not-a-uuid" };
	struct reg_search_weapon *none[1] = { NULL };
	reg_search *s2 = NULL;
	int t = 0, source, records;

	found_init(&f);
#define REFUSED(call, want) do { \
	reg_error_clear(&err); \
	ck_assert_int_eq((call), (want)); \
	ck_assert_int_eq(err.code, (want)); \
	ck_assert(err.message[0] != '\0'); \
} while (0)
	REFUSED(reg_search_new(NULL, &s2, &err), REG_EINVAL);
	ck_assert_ptr_null(s2);
	REFUSED(reg_search_by_key(NULL, "TX4455", &f.sink, &t, &source, &err),
	    REG_EINVAL);
	REFUSED(reg_search_by_key(srch, NULL, &f.sink, &t, &source, &err),
	    REG_EINVAL);
	REFUSED(reg_search_by_key(srch, "TX4455", NULL, &t, &source, &err),
	    REG_EINVAL);
	REFUSED(reg_search_by_key(srch, "", &f.sink, &t, &source, &err),
	    REG_EINVAL);
	memset(big, 'A', sizeof(big));
	big[REG_SEARCH_KEY_MAX + 1] = '\0';
	REFUSED(reg_search_by_key(srch, big, &f.sink, &t, &source, &err),
	    REG_ETOOBIG);
	REFUSED(reg_search_near(srch, big, 0, &f.sink, &err), REG_ETOOBIG);
	REFUSED(reg_search_pattern(srch, big, 0, &f.sink, &err), REG_ETOOBIG);
	/* LIKE's metacharacters: not in a key, and no escape in a pattern. */
	REFUSED(reg_search_by_key(srch, "TX%", &f.sink, &t, &source, &err),
	    REG_EINVAL);
	REFUSED(reg_search_by_key_records(srch, "TX44_5", &f.sink, &t, &err),
	    REG_EINVAL);
	REFUSED(reg_search_other_serials(srch, "%", 1, &f.sink, &err), REG_EINVAL);
	REFUSED(reg_search_near(srch, "TX4%55", 0, &f.sink, &err), REG_EINVAL);
	REFUSED(reg_search_pattern(srch, "TX\\%", 0, &f.sink, &err), REG_EINVAL);
	REFUSED(reg_search_pattern_narrowed(srch, "TX4%", NULL, bad_maker, 1, 0,
	    &f.sink, &err), REG_EINVAL);
	REFUSED(reg_search_pattern_narrowed(srch, "TX4%", NULL, NULL, 1, 0,
	    &f.sink, &err), REG_EINVAL);
	REFUSED(reg_search_details(srch, NULL, 1, &f.sink, &err), REG_EINVAL);
	REFUSED(reg_search_verify(srch, NULL, 1, &records, &err), REG_EINVAL);
	REFUSED(reg_search_parties(NULL, none, 0, &err), REG_EINVAL);
	REFUSED(reg_search_aliases(NULL, NULL, NULL, &err), REG_EINVAL);
#undef REFUSED
	/* Nothing was put anywhere, and the handle still searches. */
	ck_assert_int_eq(f.adds, 0);
	ck_assert_int_eq(f.allocs, 0);
	reg_error_clear(&err);
	big[REG_SEARCH_KEY_MAX] = '\0';
	must(reg_search_by_key(srch, big, &f.sink, &t, &source, &err), &err);
	ck_assert_int_eq(f.n, 0);
	must(reg_search_pattern(srch, "TX4%", 0, &f.sink, &err), &err);
	ck_assert_int_eq(f.n, 2);
	found_free(&f);
	reg_search_free(NULL);
}
END_TEST

/* Each allocation of a search failing in turn: REG_ENOMEM, never a
 * half-read weapon given as whole. */
START_TEST(alloc_failures)
{
	reg_error err = REG_ERROR_INIT;
	struct found f;
	int t, source, i, r, total;

	found_init(&f);
	must(reg_search_by_key(srch, "TX4455", &f.sink, &t, &source, &err), &err);
	total = f.allocs;
	ck_assert_int_gt(total, 5);
	found_free(&f);
	for (i = 1; i <= total; i++) {
		found_init(&f);
		f.fail_at = i;
		reg_error_clear(&err);
		t = 0;
		r = reg_search_by_key(srch, "TX4455", &f.sink, &t, &source, &err);
		ck_assert_msg(r == REG_ENOMEM, "allocation %d: %d", i, r);
		found_free(&f);
	}
}
END_TEST

/* ------------------------------------------------------------ connection */

START_TEST(server_info_and_alive)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_server_info si;
	reg_ctx *other;
	char sql[200];
	int pid;

	reg_server_info(ctx, &si);
	ck_assert_ptr_nonnull(si.database);
	ck_assert_ptr_nonnull(si.user);
	ck_assert_ptr_nonnull(si.host);
	ck_assert_ptr_nonnull(si.port);
	ck_assert_int_ge(si.version, 100000);
	ck_assert_int_eq(reg_alive(NULL), 0);
	must(reg_open(ci, 0, &other, &err), &err);
	ck_assert_int_eq(reg_alive(other), 1);
	ck_assert_int_eq(reg_alive(other), 1);
	must(reg_ping(other, &err), &err);
	/* Its server ends it: a FATAL message, then the end of the stream. */
	pid = PQbackendPID(reg__conn(other));
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", pid);
	tu_exec(ci, sql);
	usleep(200000);
	ck_assert_int_eq(reg_alive(other), 0);
	reg_close(other);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("search");
	TCase *tc = tcase_create("search");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, registry_setup, registry_teardown);
	tcase_add_checked_fixture(tc, conn_setup, conn_teardown);
	tcase_add_test(tc, by_key_read_model);
	tcase_add_test(tc, by_key_records);
	tcase_add_test(tc, by_key_mismatch);
	tcase_add_test(tc, other_serials);
	tcase_add_test(tc, by_pattern);
	tcase_add_test(tc, near);
	tcase_add_test(tc, details_verify_parties);
	tcase_add_test(tc, verify_mismatch);
	tcase_add_test(tc, aliases);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, alloc_failures);
	tcase_add_test(tc, server_info_and_alive);
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
