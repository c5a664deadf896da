/*
 * The importer's checks of a row in memory: the checks of
 * reg_weapon_register() and of event.c's check_fields() against the
 * reference data loaded once, and the rules of a weapon's history (its
 * state, moved on event by event, and event.c's check_chain()) against the
 * histories that import_write.c reads for the batch.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "history_int.h"
#include "import_int.h"

/* The same list as weapon.c (event kinds: history.c). */
static const char *const locations[] = {
	"frame", "receiver", "slide", "barrel", "bolt", "cylinder", "metal_insert",
	"other", NULL
};

/* ------------------------------------------------------------ checking rows */

void
reg__imp_reject(struct imp *im, struct row *rw, const char *why)
{
	rw->state = ROW_REJECT;
	rw->why = reg__pool_strdup(&im->pool, why);
	if (rw->why == NULL)
		rw->why = "out of memory";
}

/* As reg__check_country(), against the codes loaded once. */
static int
check_country(const struct imp *im, const char *field, const char *code,
    int optional, reg_error *e)
{
	if (code == NULL || *code == '\0') {
		if (optional)
			return 0;
		return reg__fail(e, REG_EINVAL, "%s is required (ISO 3166-1 alpha-2)",
		    field);
	}
	if (strlen(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' ||
	    code[1] > 'Z')
		return reg__fail(e, REG_EINVAL, "%s '%.10s' is not an ISO 3166-1 "
		    "alpha-2 code (two capital letters)", field, code);
	if (!im->countries[code[0] - 'A'][code[1] - 'A'])
		return reg__fail(e, REG_EINVAL, "%s '%s' is not an assigned ISO 3166-1 "
		    "alpha-2 code", field, code);
	return 0;
}

/* A year from 1800 to 2200 in decimal, or empty (unknown: *year = 0). */
static int
check_year(const char *field, const char *s, int *year, reg_error *e)
{
	const char *p;

	*year = 0;
	if (*s == '\0')
		return 0;
	for (p = s; *p != '\0'; p++)
		if (*p < '0' || *p > '9' || p - s >= 4)
			goto bad;
	*year = atoi(s);
	if (*year >= 1800 && *year <= 2200)
		return 0;
bad:
	*year = 0;
	return reg__fail(e, REG_EINVAL, "%s '%.20s' is not a year from 1800 to 2200",
	    field, s);
}

int
reg__imp_as_uuid(const char *s, char out[REG_UUID_STR])
{
	reg_uuid u;

	if (strlen(s) != 36 || reg_uuid_parse(s, &u, NULL) != 0)
		return 0;
	reg_uuid_format(&u, out);
	return 1;
}

/* The checks of reg_weapon_register(), in memory. */
void
reg__imp_weapon_check(struct imp *im, struct row *rw)
{
	reg_error e = REG_ERROR_INIT;
	const char **f = rw->f;
	char norm[256], uid[REG_UUID_STR];
	char *sn;
	int year;

	if (reg__check_text("office reference", f[W_OFFICE_REF], 100, 0, &e) != 0 ||
	    reg__check_text("serial", f[W_SERIAL], 100, 0, &e) != 0 ||
	    reg__check_text("model", f[W_MODEL], 200, 1, &e) != 0 ||
	    reg__check_text("calibre", f[W_CALIBRE], 100, 1, &e) != 0 ||
	    reg__check_text("manufacturer", f[W_MANUFACTURER], 200, 1, &e) != 0 ||
	    check_year("year of manufacture", f[W_YEAR], &year, &e) != 0)
		goto bad;
	rw->mark_kind = *f[W_MARK_KIND] != '\0' ? f[W_MARK_KIND] : "manufacture";
	if (strcmp(rw->mark_kind, "manufacture") != 0 &&
	    strcmp(rw->mark_kind, "alternative_code") != 0) {
		reg__fail(&e, REG_ERULE, "mark_kind '%.40s' is neither manufacture nor "
		    "alternative_code: a weapon is registered with its manufacture "
		    "marking or a recorded alternative code (ITI 8(a))", rw->mark_kind);
		goto bad;
	}
	sn = reg__pool_alloc(&im->pool, 128);
	if (sn == NULL)
		return;
	reg__serial_norm(f[W_SERIAL], sn, 128);
	if (sn[0] == '\0') {
		reg__fail(&e, REG_EINVAL, "serial '%.100s' has no letter or digit",
		    f[W_SERIAL]);
		goto bad;
	}
	rw->serial_norm = sn;
	if (*f[W_MANUFACTURER] == '\0') {
		if (strcmp(rw->mark_kind, "alternative_code") != 0) {
			reg__fail(&e, REG_EINVAL, "the manufacturer is required (it may be "
			    "left empty only with mark_kind alternative_code)");
			goto bad;
		}
		rw->maker = NULL;
	} else if (reg__imp_as_uuid(f[W_MANUFACTURER], uid)) {
		rw->maker = cm_strmap_get(&im->maker_id, uid);
	} else {
		reg_name_norm(f[W_MANUFACTURER], norm, sizeof(norm));
		if (norm[0] == '\0') {
			reg__fail(&e, REG_EINVAL, "manufacturer '%.100s' has no letter or "
			    "digit", f[W_MANUFACTURER]);
			goto bad;
		}
		rw->maker = cm_strmap_get(&im->maker_alias, norm);
	}
	if (*f[W_MANUFACTURER] != '\0' && rw->maker == NULL) {
		reg__fail(&e, REG_ENOTFOUND, "no manufacturer '%.100s'", f[W_MANUFACTURER]);
		goto bad;
	}
	if (*f[W_TYPE] == '\0') {
		reg__fail(&e, REG_EINVAL, "the weapon's type is required");
		goto bad;
	}
	if (cm_strmap_get(&im->types, f[W_TYPE]) == NULL) {
		reg__fail(&e, REG_EINVAL, "weapon type '%.40s' is unknown (see 'regctl "
		    "weapon types')", f[W_TYPE]);
		goto bad;
	}
	if (check_country(im, "country of manufacture", f[W_COUNTRY], 0, &e) != 0)
		goto bad;
	/* The marking: as marking_write(), with the weapon's country and year. */
	if (*f[W_MARK_LOCATION] != '\0' && !reg__one_of(f[W_MARK_LOCATION], locations)) {
		reg__fail(&e, REG_EINVAL, "marking location '%.40s' is not one of frame, "
		    "receiver, slide, barrel, bolt, cylinder, metal_insert, other",
		    f[W_MARK_LOCATION]);
		goto bad;
	}
	if (reg__check_text("marking text", f[W_MARK_TEXT], 500, 0, &e) != 0)
		goto bad;
	rw->calibre_norm = NULL;
	if (*f[W_CALIBRE] != '\0') {
		sn = reg__pool_alloc(&im->pool, 128);
		if (sn == NULL)
			return;
		reg__calibre_norm(f[W_CALIBRE], sn, 128);
		rw->calibre_norm = sn[0] != '\0' ? sn : NULL;
	}
	rw->year = NULL;
	if (year != 0) {
		snprintf(norm, sizeof(norm), "%d", year);
		rw->year = reg__pool_strdup(&im->pool, norm);
	}
	return;
bad:
	reg__imp_reject(im, rw, e.message);
}

/* The checks of event.c's check_fields(), in memory. */
void
reg__imp_event_check(struct imp *im, struct row *rw)
{
	reg_error e = REG_ERROR_INIT;
	const char **f = rw->f;
	const char *kind = f[E_KIND], *t = f[E_TRANSIT];
	char tc[IMP_TRANSIT_MAX + 1], *tok, *save = NULL;
	size_t i, tl;

	if (reg__check_text("office reference", f[E_OFFICE_REF], 100, 0, &e) != 0)
		goto bad;
	if (*f[E_WEAPON] == '\0') {
		reg__fail(&e, REG_EINVAL, "the weapon is required (its office reference "
		    "or UUID)");
		goto bad;
	}
	if (!reg__one_of(kind, reg__event_kinds)) {
		reg__fail(&e, REG_EINVAL, "event kind '%.40s' is unknown: one of "
		    REG__EVENT_KINDS_TEXT, kind);
		goto bad;
	}
	if (reg__check_text("weapon", f[E_WEAPON], 100, 0, &e) != 0 ||
	    reg__check_text("from party", f[E_FROM], 100, 1, &e) != 0 ||
	    reg__check_text("to party", f[E_TO], 100, 1, &e) != 0 ||
	    reg__check_date("event date", f[E_DATE], 0, &e) != 0 ||
	    reg__check_date("licence issue date", f[E_LICENCE_ISSUED], 1, &e) != 0 ||
	    reg__check_date("licence expiry date", f[E_LICENCE_EXPIRES], 1, &e) != 0 ||
	    reg__check_text("licence number", f[E_LICENCE_NUMBER], 100, 1, &e) != 0 ||
	    reg__check_text("end-user certificate", f[E_EUC_REF], 100, 1, &e) != 0 ||
	    reg__check_text("final recipient", f[E_FINAL_RECIPIENT], 300, 1, &e) != 0 ||
	    reg__check_text("certificate", f[E_CERTIFICATE], 200, 1, &e) != 0 ||
	    reg__check_text("note", f[E_NOTE], 2000, 1, &e) != 0 ||
	    check_country(im, "export country", f[E_EXPORT_COUNTRY], 1, &e) != 0 ||
	    check_country(im, "import country", f[E_IMPORT_COUNTRY], 1, &e) != 0)
		goto bad;
	if (*f[E_LICENCE_ISSUED] != '\0' && *f[E_LICENCE_EXPIRES] != '\0' &&
	    strcmp(f[E_LICENCE_EXPIRES], f[E_LICENCE_ISSUED]) < 0) {
		reg__fail(&e, REG_EINVAL, "the licence expires before it was issued");
		goto bad;
	}
	rw->transit = "";
	if (*t != '\0') {
		tl = strlen(t);
		if (tl > IMP_TRANSIT_MAX) {
			reg__fail(&e, REG_ETOOBIG, "too many transit countries");
			goto bad;
		}
		memcpy(tc, t, tl + 1);
		for (tok = strtok_r(tc, ";", &save); tok != NULL;
		    tok = strtok_r(NULL, ";", &save))
			if (check_country(im, "transit country", tok, 0, &e) != 0)
				goto bad;
		if (t[0] == ';' || t[tl - 1] == ';' || strstr(t, ";;") != NULL) {
			reg__fail(&e, REG_EINVAL, "transit countries are codes separated "
			    "by single semicolons");
			goto bad;
		}
		memcpy(tc, t, tl + 1);
		for (i = 0; i < tl; i++)
			if (tc[i] == ';')
				tc[i] = ',';
		rw->transit = reg__pool_strdup(&im->pool, tc);
		if (rw->transit == NULL)
			return;
	}
	if (strcmp(kind, "export") == 0 &&
	    (*f[E_IMPORT_COUNTRY] == '\0' || *f[E_LICENCE_NUMBER] == '\0')) {
		reg__fail(&e, REG_ERULE, "an export names the importing country and its "
		    "licence number (Firearms Protocol art. 10)");
		goto bad;
	}
	if (strcmp(kind, "import") == 0 && *f[E_EXPORT_COUNTRY] == '\0') {
		reg__fail(&e, REG_ERULE, "an import names the exporting country");
		goto bad;
	}
	return;
bad:
	reg__imp_reject(im, rw, e.message);
}

/* ------------------------------------------------------------ histories */

/* A weapon's history as the chain rules see it, while a batch runs. */
struct wstate {
	const char *id;
	struct reg__hstate st;
};

/*
 * Brings a weapon's state up to date with its stored events, rows [a, b)
 * of res (weapon, id, kind, date, to, corrects, to's kind; by seq), along
 * their effective chain (history.c, as reg__history_load()).
 */
static int
state_load(struct imp *im, struct wstate *s, PGresult *res, int a, int b)
{
	struct reg_history_event *ev;
	int i, n = b - a;
	int *p;

	if ((size_t)n > im->effcap) {
		p = realloc(im->eff, (size_t)n * sizeof(*p));
		if (p == NULL)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		im->eff = p;
		im->effcap = (size_t)n;
	}
	ev = reg__pool_alloc(&im->pool, (size_t)n * sizeof(*ev));
	if (ev == NULL)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		ev[i] = (struct reg_history_event){ PQgetvalue(res, a + i, 1),
		    PQgetisnull(res, a + i, 5) ? NULL : PQgetvalue(res, a + i, 5),
		    PQgetvalue(res, a + i, 2), PQgetvalue(res, a + i, 3),
		    PQgetvalue(res, a + i, 4), PQgetvalue(res, a + i, 6) };
	reg__hstate_replay(&s->st, ev, n, im->eff, NULL);
	return 0;
}

struct wstate *
reg__imp_wstate_new(struct imp *im, const char *id)
{
	struct wstate *s = reg__pool_alloc(&im->pool, sizeof(*s));

	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->id = id;
	reg__hstate_init(&s->st);
	return s;
}

const char *
reg__imp_wstate_id(const struct wstate *s)
{
	return s->id;
}

int
reg__imp_wstate_events(const struct wstate *s)
{
	return s->st.n;
}

int
reg__imp_history_load(struct imp *im, struct wstate *s, PGresult *res, int a,
    int b)
{
	return state_load(im, s, res, a, b);
}

int
reg__imp_event_chain(struct wstate *s, const char *kind, const char *date,
    const char *from, const char *to, const char *to_kind, reg_error *e)
{
	int r;

	if ((r = reg__hstate_check(&s->st, kind, date, from, to, e)) != 0)
		return r;
	s->st.n++;
	reg__hstate_step(&s->st, kind, to, to_kind, date);
	return 0;
}
