/*
 * Writing a weapon's history: events numbered 1, 2, 3 ..., checked against
 * the chain's rules (history.c) under the weapon's lock, and corrections.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "history_int.h"
#include "record_int.h"

/* Serialises writers of one weapon's history. */
static int
lock_weapon(reg_ctx *ctx, const reg_uuid *w, reg_error *err)
{
	char key[16];
	const char *params[1] = { key };
	PGresult *res;
	int32_t k = (int32_t)((uint32_t)w->b[12] << 24 | (uint32_t)w->b[13] << 16 |
	    (uint32_t)w->b[14] << 8 | w->b[15]);
	int r = 0;

	snprintf(key, sizeof(key), "%d", (int)k);
	res = reg__exec(ctx, "SELECT pg_advisory_xact_lock(21061, $1::int)", 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__fail_pg(err, ctx->conn, res, "cannot lock the weapon's history");
	PQclear(res);
	return r;
}

static int
check_party(reg_ctx *ctx, const char *field, const reg_uuid *p, char out[REG_UUID_STR],
    reg_error *err)
{
	reg_uuid found;

	out[0] = '\0';
	if (p == NULL)
		return 0;
	reg_uuid_format(p, out);
	if (reg_party_find(ctx, out, &found, err) != 0)
		return reg__fail(err, REG_EINVAL, "%s %s is not a recorded party", field, out);
	return 0;
}

/* Validates an event's own fields (not the chain). */
static int
check_fields(reg_ctx *ctx, const struct reg_event_in *in, reg_error *err)
{
	char tc[256], *tok, *save = NULL;
	int r;

	if (!reg__one_of(in->kind, reg__event_kinds))
		return reg__fail(err, REG_EINVAL, "event kind '%.40s' is unknown: one of "
		    REG__EVENT_KINDS_TEXT, in->kind ? in->kind : "");
	if ((r = reg__check_date("event date", in->date, 0, err)) != 0 ||
	    (r = reg__check_date("licence issue date", in->licence_issued, 1, err)) != 0 ||
	    (r = reg__check_date("licence expiry date", in->licence_expires, 1, err)) != 0 ||
	    (r = reg__check_text("licence number", in->licence_number, 100, 1, err)) != 0 ||
	    (r = reg__check_text("end-user certificate", in->euc_ref, 100, 1, err)) != 0 ||
	    (r = reg__check_text("final recipient", in->final_recipient, 300, 1, err)) != 0 ||
	    (r = reg__check_text("certificate", in->certificate, 200, 1, err)) != 0 ||
	    (r = reg__check_text("note", in->note, 2000, 1, err)) != 0 ||
	    (r = reg__check_text("office reference", in->office_ref, 100, 1, err)) != 0 ||
	    (r = reg__check_country(ctx, "export country", in->export_country, 1, err)) != 0 ||
	    (r = reg__check_country(ctx, "import country", in->import_country, 1, err)) != 0)
		return r;
	if (in->licence_issued && *in->licence_issued && in->licence_expires &&
	    *in->licence_expires && strcmp(in->licence_expires, in->licence_issued) < 0)
		return reg__fail(err, REG_EINVAL, "the licence expires before it was issued");
	if (in->transit_countries != NULL && *in->transit_countries != '\0') {
		if (strlen(in->transit_countries) >= sizeof(tc))
			return reg__fail(err, REG_ETOOBIG, "too many transit countries");
		snprintf(tc, sizeof(tc), "%s", in->transit_countries);
		for (tok = strtok_r(tc, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			if ((r = reg__check_country(ctx, "transit country", tok, 0, err)) != 0)
				return r;
		if (in->transit_countries[strlen(in->transit_countries) - 1] == ',' ||
		    in->transit_countries[0] == ',' || strstr(in->transit_countries, ",,"))
			return reg__fail(err, REG_EINVAL, "transit countries are codes "
			    "separated by single commas");
	}
	if (strcmp(in->kind, "export") == 0 &&
	    (in->import_country == NULL || *in->import_country == '\0' ||
	    in->licence_number == NULL || *in->licence_number == '\0'))
		return reg__fail(err, REG_ERULE, "an export names the importing country "
		    "and its licence number (Firearms Protocol art. 10)");
	if (strcmp(in->kind, "import") == 0 &&
	    (in->export_country == NULL || *in->export_country == '\0'))
		return reg__fail(err, REG_ERULE, "an import names the exporting country");
	return 0;
}

static int
write_event(reg_ctx *ctx, const char *wid, int seq, const struct reg_event_in *in,
    const char *from, const char *to, const char *corrects, const char *reason,
    struct reg_written *out, reg_error *err)
{
	char id[REG_UUID_STR], now[32], seqs[16];
	const char *v[21];
	reg_uuid u;
	int r;

#define OPT(s) ((s) != NULL && *(s) != '\0' ? (s) : NULL)
	if ((r = reg_uuid_v7(&u, err)) != 0)
		return r;
	reg_uuid_format(&u, id);
	reg__now_text(now);
	snprintf(seqs, sizeof(seqs), "%d", seq);
	v[0] = id;
	v[1] = wid;
	v[2] = seqs;
	v[3] = in->kind;
	v[4] = in->date;
	v[5] = OPT(from);
	v[6] = OPT(to);
	v[7] = OPT(in->licence_number);
	v[8] = OPT(in->licence_issued);
	v[9] = OPT(in->licence_expires);
	v[10] = OPT(in->euc_ref);
	v[11] = OPT(in->export_country);
	v[12] = OPT(in->import_country);
	v[13] = in->transit_countries ? in->transit_countries : "";
	v[14] = OPT(in->final_recipient);
	v[15] = OPT(in->certificate);
	v[16] = OPT(corrects);
	v[17] = OPT(reason);
	v[18] = OPT(in->note);
	v[19] = OPT(in->office_ref);
	v[20] = now;
#undef OPT
	r = reg__record_write(ctx, REC_EVENT, v, NULL, NULL,
	    out ? &out->log_index : NULL, err);
	if (r != 0 && err != NULL && strcmp(err->sqlstate, "23505") == 0 &&
	    in->office_ref != NULL) {
		err->code = r = REG_EEXIST;
		snprintf(err->message, sizeof(err->message), "an event with office "
		    "reference '%.100s' is already recorded", in->office_ref);
	}
	if (r == 0 && out != NULL)
		out->id = u;
	return r;
}

int
reg_event_add(reg_ctx *ctx, const reg_uuid *weapon, const struct reg_event_in *in,
    struct reg_written *out, int *seq, reg_error *err)
{
	struct reg__history h;
	struct reg__tx tx;
	char wid[REG_UUID_STR], from[REG_UUID_STR], to[REG_UUID_STR];
	const char *params[1] = { wid };
	PGresult *res;
	int r, have = 0;

	memset(&h, 0, sizeof(h));
	reg_uuid_format(weapon, wid);
	if ((r = reg__tx_enter(ctx, &tx, err)) != 0)
		return r;
	if ((r = lock_weapon(ctx, weapon, err)) != 0)
		goto out;
	res = reg__exec(ctx, "SELECT 1 FROM weapon WHERE id = $1", 1,
	    params, NULL, NULL, 0);
	have = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	PQclear(res);
	if (!have) {
		r = reg__fail(err, REG_ENOTFOUND, "no weapon %s", wid);
		goto out;
	}
	if ((r = check_fields(ctx, in, err)) != 0 ||
	    (r = check_party(ctx, "from party", in->from_party, from, err)) != 0 ||
	    (r = check_party(ctx, "to party", in->to_party, to, err)) != 0 ||
	    (r = reg__history_load(ctx, wid, &h, err)) != 0 ||
	    (r = reg__hstate_check(&h.st, in->kind, in->date, from, to, err)) != 0)
		goto out;
	r = write_event(ctx, wid, h.n + 1, in, from, to, NULL, NULL, out, err);
	if (r == 0 && seq != NULL)
		*seq = h.n + 1;
out:
	reg__history_free(&h);
	return reg__tx_leave(ctx, &tx, r, err);
}

int
reg_event_correct(reg_ctx *ctx, const reg_uuid *event, const char *reason,
    const struct reg_event_in *in, struct reg_written *out, reg_error *err)
{
	struct reg__history h;
	struct reg__tx tx;
	struct reg_event_in fixed = *in;
	char eid[REG_UUID_STR], wid[REG_UUID_STR], from[REG_UUID_STR], to[REG_UUID_STR];
	char kind[32];
	const char *params[1] = { eid };
	reg_uuid w;
	PGresult *res;
	int r;

	memset(&h, 0, sizeof(h));
	if ((r = reg__check_text("reason", reason, 1000, 0, err)) != 0)
		return r;
	reg_uuid_format(event, eid);
	if ((r = reg__tx_enter(ctx, &tx, err)) != 0)
		return r;
	res = reg__exec(ctx, "SELECT weapon_id::text, kind FROM event WHERE id = $1",
	    1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r = PQresultStatus(res) != PGRES_TUPLES_OK ?
		    reg__fail_pg(err, ctx->conn, res, "cannot look up the event") :
		    reg__fail(err, REG_ENOTFOUND, "no event %s", eid);
		PQclear(res);
		goto out;
	}
	snprintf(wid, sizeof(wid), "%s", PQgetvalue(res, 0, 0));
	snprintf(kind, sizeof(kind), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	if (fixed.kind == NULL || *fixed.kind == '\0')
		fixed.kind = kind;
	if ((r = reg_uuid_parse(wid, &w, err)) != 0 ||
	    (r = lock_weapon(ctx, &w, err)) != 0 ||
	    (r = check_fields(ctx, &fixed, err)) != 0 ||
	    (r = check_party(ctx, "from party", fixed.from_party, from, err)) != 0 ||
	    (r = check_party(ctx, "to party", fixed.to_party, to, err)) != 0 ||
	    (r = reg__history_load(ctx, wid, &h, err)) != 0)
		goto out;
	r = write_event(ctx, wid, h.n + 1, &fixed, from, to, eid, reason, out, err);
out:
	reg__history_free(&h);
	return reg__tx_leave(ctx, &tx, r, err);
}
