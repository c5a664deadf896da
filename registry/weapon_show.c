/*
 * Reading weapons back: one weapon with its markings, components, history,
 * status, holder and retention dates, as JSON; and finding weapons by
 * serial.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "history_int.h"
#include "pii_int.h"
#include "record_int.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
/*
 * The earliest date a record's retention could lapse, from the State's
 * settings read once per query (RETENTION_JOIN names them rs.ym and rs.yo).
 */
#define RETAIN(col, manufacture) "to_char((" col " AT TIME ZONE 'UTC')::date + " \
	"make_interval(years => CASE WHEN " manufacture " THEN rs.ym ELSE rs.yo END), " \
	"'YYYY-MM-DD')"
#define RETENTION_JOIN " CROSS JOIN (SELECT " \
	"max(years) FILTER (WHERE record_class = 'manufacture') AS ym, " \
	"max(years) FILTER (WHERE record_class = 'other') AS yo " \
	"FROM retention_setting) rs "

/* The queries of one weapon, sent together in one round trip. */
enum { Q_WEAPON, Q_MARKINGS, Q_COMPONENTS, Q_PARTIES, Q_EVENTS, NQUERIES };

static const char *const show_sql[NQUERIES] = {
	[Q_WEAPON] =
	    "SELECT w.id::text, w.office_ref, w.manufacturer_id::text, m.name, "
	    "m.country::text, w.model, w.type, w.calibre, w.serial, w.serial_norm, "
	    "w.country_of_manufacture::text, w.year_of_manufacture, w.log_index, "
	    TS("w.recorded_at") ", " RETAIN("w.recorded_at", "true")
	    " FROM weapon w LEFT JOIN manufacturer m ON m.id = w.manufacturer_id"
	    RETENTION_JOIN "WHERE w.id = $1",
	[Q_MARKINGS] =
	    "SELECT id::text, kind, text, location, country::text, year, new_serial, "
	    "log_index, " TS("recorded_at") ", " RETAIN("recorded_at", "kind = 'manufacture'")
	    " FROM marking" RETENTION_JOIN "WHERE weapon_id = $1 ORDER BY log_index",
	[Q_COMPONENTS] =
	    "SELECT id::text, kind, serial, log_index, " TS("recorded_at") ", "
	    RETAIN("recorded_at", "false")
	    " FROM component" RETENTION_JOIN "WHERE weapon_id = $1 ORDER BY log_index",
	[Q_PARTIES] =
	    "SELECT p.id::text, p.kind, p.name, p.country::text, p.region, p.licence, "
	    "p.pii, p.log_index FROM party p WHERE p.id IN "
	    "(SELECT from_party FROM event WHERE weapon_id = $1 UNION "
	    "SELECT to_party FROM event WHERE weapon_id = $1)",
	[Q_EVENTS] =
	    "SELECT " REG__HISTORY_COLS ", e.licence_number, "
	    "to_char(e.licence_issued, 'YYYY-MM-DD'), to_char(e.licence_expires, 'YYYY-MM-DD'), "
	    "e.euc_ref, e.export_country::text, e.import_country::text, "
	    "array_to_string(e.transit_countries, ','), e.final_recipient, e.certificate, "
	    "e.reason, e.note, e.office_ref, e.log_index, " TS("e.recorded_at") ", "
	    RETAIN("e.recorded_at", "e.kind = 'manufacture'")
	    " FROM event e LEFT JOIN party p ON p.id = e.to_party" RETENTION_JOIN
	    "WHERE e.weapon_id = $1 ORDER BY e.seq",
};

static const char *const show_name[NQUERIES] = {
	"reg_show_weapon", "reg_show_markings", "reg_show_components",
	"reg_show_parties", "reg_show_events"
};

/* Prepares the queries once per connection, so that they are planned once. */
static int
prepare_all(reg_ctx *ctx, reg_error *err)
{
	PGresult *res;
	int i, r = 0;

	if (ctx->prepared & REG__PREP_SHOW)
		return 0;
	for (i = 0; i < NQUERIES && r == 0; i++) {
		res = PQprepare(ctx->conn, show_name[i], show_sql[i], 1, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			r = reg__fail_pg(err, ctx->conn, res, "cannot prepare a query");
		PQclear(res);
	}
	if (r == 0)
		ctx->prepared |= REG__PREP_SHOW;
	return r;
}

/*
 * Runs every query of show_sql with the weapon's id in one round trip
 * (libpq's pipeline mode).  res[] receives the results; on failure the
 * ones received are freed.
 */
static int
run_all(reg_ctx *ctx, const char *wid, PGresult *res[NQUERIES], reg_error *err)
{
	const char *params[1] = { wid };
	PGresult *x;
	int i, r = 0;

	memset(res, 0, NQUERIES * sizeof(*res));
	if ((r = prepare_all(ctx, err)) != 0)
		return r;
	if (PQenterPipelineMode(ctx->conn) != 1)
		return reg__fail_pg(err, ctx->conn, NULL, "cannot read the weapon");
	for (i = 0; i < NQUERIES; i++)
		if (PQsendQueryPrepared(ctx->conn, show_name[i], 1, params, NULL, NULL,
		    0) != 1 && r == 0)
			r = reg__fail_pg(err, ctx->conn, NULL, "cannot read the weapon");
	if (PQpipelineSync(ctx->conn) != 1 && r == 0)
		r = reg__fail_pg(err, ctx->conn, NULL, "cannot read the weapon");
	/* Each query's result, then NULL; then the sync. */
	for (i = 0; i < NQUERIES; i++) {
		x = PQgetResult(ctx->conn);
		if (x == NULL)
			break;
		if (PQresultStatus(x) != PGRES_TUPLES_OK && r == 0)
			r = reg__fail_pg(err, ctx->conn, x, "cannot read the weapon");
		res[i] = x;
		while ((x = PQgetResult(ctx->conn)) != NULL)
			PQclear(x);
	}
	while ((x = PQgetResult(ctx->conn)) != NULL) {
		int st = PQresultStatus(x);

		PQclear(x);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	if (PQexitPipelineMode(ctx->conn) != 1 && r == 0)
		r = reg__fail_pg(err, ctx->conn, NULL, "cannot read the weapon");
	if (r != 0)
		for (i = 0; i < NQUERIES; i++) {
			PQclear(res[i]);
			res[i] = NULL;
		}
	return r;
}

/* A column as a JSON string, or null. */
static json_t *
col(PGresult *res, int row, int c)
{
	return PQgetisnull(res, row, c) ? json_null() :
	    json_string(PQgetvalue(res, row, c));
}

static json_t *
col_int(PGresult *res, int row, int c)
{
	return PQgetisnull(res, row, c) ? json_null() :
	    json_integer(strtoll(PQgetvalue(res, row, c), NULL, 10));
}

/* The parties of a weapon's history, by id. */
static void
load_parties(PGresult *res, const reg_pii_keyring *kr, json_t *parties)
{
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		json_t *p = json_object();
		const char *kind = PQgetvalue(res, i, 1);

		json_object_set_new(p, "id", col(res, i, 0));
		json_object_set_new(p, "kind", col(res, i, 1));
		json_object_set_new(p, "country", col(res, i, 3));
		json_object_set_new(p, "region", col(res, i, 4));
		json_object_set_new(p, "licence", col(res, i, 5));
		json_object_set_new(p, "log_index", col_int(res, i, 7));
		if (strcmp(kind, "private_person") != 0) {
			json_object_set_new(p, "name", col(res, i, 2));
		} else {
			json_object_set_new(p, "name", json_string("private person"));
			if (kr != NULL && !PQgetisnull(res, i, 6)) {
				struct reg_person person;
				reg_uuid pid;
				size_t blen = 0;
				unsigned char *blob = PQunescapeBytea(
				    (const unsigned char *)PQgetvalue(res, i, 6), &blen);

				if (blob != NULL &&
				    reg_uuid_parse(PQgetvalue(res, i, 0), &pid, NULL) == 0 &&
				    reg__pii_open(kr, pid.b, blob, blen, &person, NULL, NULL) == 0) {
					json_t *id = json_object();

					json_object_set_new(id, "name", json_string(person.name));
					json_object_set_new(id, "address", json_string(person.address));
					json_object_set_new(id, "id_document",
					    json_string(person.id_document));
					json_object_set_new(id, "birth_date",
					    json_string(person.birth_date));
					json_object_set_new(p, "identity", id);
				} else {
					json_object_set_new(p, "identity", json_string(
					    "not readable with the given personal-data key"));
				}
				OPENSSL_cleanse(&person, sizeof(person));
				PQfreemem(blob);
			}
		}
		json_object_set_new(parties, PQgetvalue(res, i, 0), p);
	}
}

static json_t *
party_ref(json_t *parties, PGresult *res, int row, int c)
{
	json_t *p;

	if (PQgetisnull(res, row, c))
		return json_null();
	p = json_object_get(parties, PQgetvalue(res, row, c));
	return p != NULL ? json_incref(p) : json_string(PQgetvalue(res, row, c));
}

static int
add_history(PGresult *pres, PGresult *res, const reg_pii_keyring *kr, json_t *w,
    reg_error *err)
{
	struct reg__history h;
	json_t *parties = json_object(), *hist = json_array(), *e, *lic, *tc;
	int i, r;

	memset(&h, 0, sizeof(h));
	load_parties(pres, kr, parties);
	if ((r = reg__history_build(res, &h, err)) != 0)
		goto out;
	for (i = 0; i < PQntuples(res); i++) {
		e = json_object();
		json_object_set_new(e, "seq", col_int(res, i, 1));
		json_object_set_new(e, "id", col(res, i, 0));
		json_object_set_new(e, "kind", col(res, i, 2));
		json_object_set_new(e, "date", col(res, i, 3));
		json_object_set_new(e, "from", party_ref(parties, res, i, 4));
		json_object_set_new(e, "to", party_ref(parties, res, i, 5));
		if (!PQgetisnull(res, i, 8) || !PQgetisnull(res, i, 9) ||
		    !PQgetisnull(res, i, 10)) {
			lic = json_object();
			json_object_set_new(lic, "number", col(res, i, 8));
			json_object_set_new(lic, "issued", col(res, i, 9));
			json_object_set_new(lic, "expires", col(res, i, 10));
			json_object_set_new(e, "licence", lic);
		}
		if (!PQgetisnull(res, i, 11))
			json_object_set_new(e, "end_user_certificate", col(res, i, 11));
		if (!PQgetisnull(res, i, 12))
			json_object_set_new(e, "export_country", col(res, i, 12));
		if (!PQgetisnull(res, i, 13))
			json_object_set_new(e, "import_country", col(res, i, 13));
		if (*PQgetvalue(res, i, 14) != '\0') {
			char buf[256], *tok, *save = NULL;

			tc = json_array();
			snprintf(buf, sizeof(buf), "%s", PQgetvalue(res, i, 14));
			for (tok = strtok_r(buf, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save))
				json_array_append_new(tc, json_string(tok));
			json_object_set_new(e, "transit_countries", tc);
		}
		if (!PQgetisnull(res, i, 15))
			json_object_set_new(e, "final_recipient", col(res, i, 15));
		if (!PQgetisnull(res, i, 16))
			json_object_set_new(e, "certificate", col(res, i, 16));
		if (!PQgetisnull(res, i, 6)) {
			json_object_set_new(e, "corrects", col(res, i, 6));
			json_object_set_new(e, "reason", col(res, i, 17));
		}
		if (i < h.n && h.ev[i].corrected_by >= 0)
			json_object_set_new(e, "corrected_by",
			    json_string(h.ev[h.ev[i].corrected_by].id));
		if (!PQgetisnull(res, i, 18))
			json_object_set_new(e, "note", col(res, i, 18));
		if (!PQgetisnull(res, i, 19))
			json_object_set_new(e, "office_ref", col(res, i, 19));
		json_object_set_new(e, "log_index", col_int(res, i, 20));
		json_object_set_new(e, "recorded_at", col(res, i, 21));
		json_object_set_new(e, "retention_until", col(res, i, 22));
		json_array_append_new(hist, e);
	}
	json_object_set_new(w, "status", json_string(h.st.status));
	json_object_set_new(w, "holder", h.st.holder[0] ?
	    json_incref(json_object_get(parties, h.st.holder)) : json_null());
	json_object_set_new(w, "last_legal_holder", h.st.last_legal_holder[0] ?
	    json_incref(json_object_get(parties, h.st.last_legal_holder)) : json_null());
	json_object_set_new(w, "history", hist);
	hist = NULL;
out:
	json_decref(hist);
	json_decref(parties);
	reg__history_free(&h);
	return r;
}

static void
add_marks(PGresult *res, PGresult *cres, json_t *w)
{
	json_t *arr, *m;
	int i;

	arr = json_array();
	for (i = 0; i < PQntuples(res); i++) {
		m = json_object();
		json_object_set_new(m, "id", col(res, i, 0));
		json_object_set_new(m, "kind", col(res, i, 1));
		json_object_set_new(m, "text", col(res, i, 2));
		json_object_set_new(m, "location", col(res, i, 3));
		json_object_set_new(m, "country", col(res, i, 4));
		json_object_set_new(m, "year", col_int(res, i, 5));
		json_object_set_new(m, "new_serial", col(res, i, 6));
		json_object_set_new(m, "log_index", col_int(res, i, 7));
		json_object_set_new(m, "recorded_at", col(res, i, 8));
		json_object_set_new(m, "retention_until", col(res, i, 9));
		json_array_append_new(arr, m);
	}
	json_object_set_new(w, "markings", arr);
	arr = json_array();
	for (i = 0; i < PQntuples(cres); i++) {
		m = json_object();
		json_object_set_new(m, "id", col(cres, i, 0));
		json_object_set_new(m, "kind", col(cres, i, 1));
		json_object_set_new(m, "serial", col(cres, i, 2));
		json_object_set_new(m, "log_index", col_int(cres, i, 3));
		json_object_set_new(m, "recorded_at", col(cres, i, 4));
		json_object_set_new(m, "retention_until", col(cres, i, 5));
		json_array_append_new(arr, m);
	}
	json_object_set_new(w, "components", arr);
}

int
reg_weapon_show(reg_ctx *ctx, const reg_uuid *id, const reg_pii_keyring *kr,
    char **json, reg_error *err)
{
	PGresult *q[NQUERIES], *res;
	json_t *w = NULL, *m;
	char wid[REG_UUID_STR];
	int r, i;

	*json = NULL;
	reg_uuid_format(id, wid);
	if ((r = run_all(ctx, wid, q, err)) != 0)
		return r;
	res = q[Q_WEAPON];
	if (PQntuples(res) != 1) {
		r = reg__fail(err, REG_ENOTFOUND, "no weapon %s", wid);
		goto out;
	}
	w = json_object();
	json_object_set_new(w, "id", col(res, 0, 0));
	json_object_set_new(w, "office_ref", col(res, 0, 1));
	if (PQgetisnull(res, 0, 2)) {
		json_object_set_new(w, "manufacturer", json_null());
	} else {
		m = json_object();
		json_object_set_new(m, "id", col(res, 0, 2));
		json_object_set_new(m, "name", col(res, 0, 3));
		json_object_set_new(m, "country", col(res, 0, 4));
		json_object_set_new(w, "manufacturer", m);
	}
	json_object_set_new(w, "model", col(res, 0, 5));
	json_object_set_new(w, "type", col(res, 0, 6));
	json_object_set_new(w, "calibre", col(res, 0, 7));
	json_object_set_new(w, "serial", col(res, 0, 8));
	json_object_set_new(w, "serial_norm", col(res, 0, 9));
	json_object_set_new(w, "country_of_manufacture", col(res, 0, 10));
	json_object_set_new(w, "year_of_manufacture", col_int(res, 0, 11));
	json_object_set_new(w, "log_index", col_int(res, 0, 12));
	json_object_set_new(w, "recorded_at", col(res, 0, 13));
	json_object_set_new(w, "retention_until", col(res, 0, 14));
	add_marks(q[Q_MARKINGS], q[Q_COMPONENTS], w);
	if ((r = add_history(q[Q_PARTIES], q[Q_EVENTS], kr, w, err)) != 0)
		goto out;
	*json = json_dumps(w, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (*json == NULL)
		r = reg__fail(err, REG_ENOMEM, "out of memory");
out:
	for (i = 0; i < NQUERIES; i++)
		PQclear(q[i]);
	json_decref(w);
	return r;
}
int
reg_weapon_find(reg_ctx *ctx, const char *serial, const char *manufacturer,
    int limit, char **json, reg_error *err)
{
	char norm[128], lim[16], mid[REG_UUID_STR];
	const char *params[3];
	PGresult *res;
	json_t *arr, *o;
	reg_uuid m;
	int i, r;

	*json = NULL;
	if ((r = reg__check_text("serial", serial, 100, 0, err)) != 0)
		return r;
	reg__serial_norm(serial, norm, sizeof(norm));
	if (limit <= 0 || limit > 10000)
		limit = 100;
	snprintf(lim, sizeof(lim), "%d", limit);
	mid[0] = '\0';
	if (manufacturer != NULL && *manufacturer != '\0') {
		if ((r = reg_manufacturer_find(ctx, manufacturer, &m, err)) != 0)
			return r;
		reg_uuid_format(&m, mid);
	}
	params[0] = norm;
	params[1] = mid[0] ? mid : NULL;
	params[2] = lim;
	res = reg__exec(ctx,
	    "SELECT w.id::text, w.serial, m.name, w.model, w.type, w.calibre, "
	    "w.country_of_manufacture::text, w.year_of_manufacture "
	    "FROM weapon w LEFT JOIN manufacturer m ON m.id = w.manufacturer_id "
	    "WHERE w.serial_norm = $1 AND ($2::uuid IS NULL OR w.manufacturer_id = $2) "
	    "ORDER BY w.log_index LIMIT $3::int", 3, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot search weapons");
		PQclear(res);
		return r;
	}
	arr = json_array();
	for (i = 0; i < PQntuples(res); i++) {
		o = json_object();
		json_object_set_new(o, "id", col(res, i, 0));
		json_object_set_new(o, "serial", col(res, i, 1));
		json_object_set_new(o, "manufacturer", col(res, i, 2));
		json_object_set_new(o, "model", col(res, i, 3));
		json_object_set_new(o, "type", col(res, i, 4));
		json_object_set_new(o, "calibre", col(res, i, 5));
		json_object_set_new(o, "country_of_manufacture", col(res, i, 6));
		json_object_set_new(o, "year_of_manufacture", col_int(res, i, 7));
		json_array_append_new(arr, o);
	}
	PQclear(res);
	*json = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(arr);
	return *json != NULL ? 0 : reg__fail(err, REG_ENOMEM, "out of memory");
}
