/* Weapons: registering them with their marks, components, and reading
 * them back with their history. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "pii_int.h"
#include "record_int.h"

static const char *const marking_kinds[] = {
	"manufacture", "import", "state_stock", "proof", "remarking",
	"alternative_code", NULL
};
static const char *const locations[] = {
	"frame", "receiver", "slide", "barrel", "bolt", "cylinder", "metal_insert",
	"other", NULL
};
static const char *const component_kinds[] = {
	"frame", "receiver", "barrel", "slide", "bolt", "cylinder", "other", NULL
};

static int
check_type(reg_ctx *ctx, const char *type, reg_error *err)
{
	const char *params[1] = { type };
	PGresult *res;
	int ok;

	if (type == NULL || *type == '\0')
		return reg__fail(err, REG_EINVAL, "the weapon's type is required");
	res = reg__exec(ctx, "SELECT 1 FROM weapon_type WHERE code = $1", 1, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	PQclear(res);
	if (!ok)
		return reg__fail(err, REG_EINVAL, "weapon type '%.40s' is unknown "
		    "(see 'regctl weapon types')", type);
	return 0;
}

/* The weapon exists (and is visible to this transaction). */
static int
weapon_exists(reg_ctx *ctx, const char *id, reg_error *err)
{
	const char *params[1] = { id };
	PGresult *res;
	int ok;

	res = reg__exec(ctx, "SELECT 1 FROM weapon WHERE id = $1", 1,
	    params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int r = reg__fail_pg(err, ctx->conn, res, "cannot look up the weapon");

		PQclear(res);
		return r;
	}
	ok = PQntuples(res) == 1;
	PQclear(res);
	return ok ? 0 : reg__fail(err, REG_ENOTFOUND, "no weapon %s", id);
}

static int
marking_write(reg_ctx *ctx, const char *wid, const struct reg_marking_in *in,
    const char *now, struct reg_written *out, reg_error *err)
{
	char id[REG_UUID_STR], year[8];
	const char *v[9];
	reg_uuid u;
	int r;

	if (!reg__one_of(in->kind, marking_kinds))
		return reg__fail(err, REG_EINVAL, "marking kind '%.40s' is not one of "
		    "manufacture, import, state_stock, proof, remarking, alternative_code",
		    in->kind ? in->kind : "");
	if (in->location != NULL && *in->location != '\0' &&
	    !reg__one_of(in->location, locations))
		return reg__fail(err, REG_EINVAL, "marking location '%.40s' is not one of "
		    "frame, receiver, slide, barrel, bolt, cylinder, metal_insert, other",
		    in->location);
	if ((r = reg__check_text("marking text", in->text, 500, 0, err)) != 0 ||
	    (r = reg__check_text("new serial", in->new_serial, 100, 1, err)) != 0 ||
	    (r = reg__check_country(ctx, "marking country", in->country,
	    strcmp(in->kind, "import") != 0, err)) != 0)
		return r;
	if (in->year != 0 && (in->year < 1800 || in->year > 2200))
		return reg__fail(err, REG_EINVAL, "marking year %d is out of range", in->year);
	if ((r = reg_uuid_v7(&u, err)) != 0)
		return r;
	reg_uuid_format(&u, id);
	snprintf(year, sizeof(year), "%d", in->year);
	v[0] = id;
	v[1] = wid;
	v[2] = in->kind;
	v[3] = in->text;
	v[4] = in->location && *in->location ? in->location : NULL;
	v[5] = in->country && *in->country ? in->country : NULL;
	v[6] = in->year ? year : NULL;
	v[7] = in->new_serial && *in->new_serial ? in->new_serial : NULL;
	v[8] = now;
	if ((r = reg__record_write(ctx, REC_MARKING, v, NULL, NULL,
	    out ? &out->log_index : NULL, err)) != 0)
		return r;
	if (out != NULL)
		out->id = u;
	return 0;
}

int
reg_weapon_register(reg_ctx *ctx, const struct reg_weapon_in *in,
    struct reg_written *weapon, struct reg_written *marking, reg_error *err)
{
	struct reg__tx tx;
	char id[REG_UUID_STR], mid[REG_UUID_STR], now[32], year[8];
	char serial_norm[128], calibre_norm[128];
	const char *v[12];
	reg_uuid u, m;
	int r, have_m = 0;

	if ((r = reg__check_text("serial", in->serial, 100, 0, err)) != 0 ||
	    (r = reg__check_text("model", in->model, 200, 1, err)) != 0 ||
	    (r = reg__check_text("calibre", in->calibre, 100, 1, err)) != 0 ||
	    (r = reg__check_text("office reference", in->office_ref, 100, 1, err)) != 0)
		return r;
	if (in->year != 0 && (in->year < 1800 || in->year > 2200))
		return reg__fail(err, REG_EINVAL, "year of manufacture %d is out of range",
		    in->year);
	if (in->marking == NULL || in->marking->kind == NULL ||
	    (strcmp(in->marking->kind, "manufacture") != 0 &&
	    strcmp(in->marking->kind, "alternative_code") != 0))
		return reg__fail(err, REG_ERULE, "a weapon must carry its manufacture "
		    "marking or a recorded alternative code (ITI 8(a)): give one");
	reg__serial_norm(in->serial, serial_norm, sizeof(serial_norm));
	if (serial_norm[0] == '\0')
		return reg__fail(err, REG_EINVAL, "serial '%.100s' has no letter or digit",
		    in->serial);
	calibre_norm[0] = '\0';
	if (in->calibre != NULL)
		reg__calibre_norm(in->calibre, calibre_norm, sizeof(calibre_norm));
	if ((r = reg_uuid_v7(&u, err)) != 0)
		return r;
	reg_uuid_format(&u, id);
	reg__now_text(now);
	if ((r = reg__tx_enter(ctx, &tx, err)) != 0)
		return r;
	if (in->manufacturer != NULL && *in->manufacturer != '\0') {
		if ((r = reg_manufacturer_find(ctx, in->manufacturer, &m, err)) != 0)
			goto out;
		reg_uuid_format(&m, mid);
		have_m = 1;
	}
	if ((r = check_type(ctx, in->type, err)) != 0 ||
	    (r = reg__check_country(ctx, "country of manufacture", in->country, 0,
	    err)) != 0)
		goto out;
	snprintf(year, sizeof(year), "%d", in->year);
	v[0] = id;
	v[1] = in->office_ref && *in->office_ref ? in->office_ref : NULL;
	v[2] = have_m ? mid : NULL;
	v[3] = in->model && *in->model ? in->model : NULL;
	v[4] = in->type;
	v[5] = in->calibre && *in->calibre ? in->calibre : NULL;
	v[6] = calibre_norm[0] ? calibre_norm : NULL;
	v[7] = in->serial;
	v[8] = serial_norm;
	v[9] = in->country;
	v[10] = in->year ? year : NULL;
	v[11] = now;
	r = reg__record_write(ctx, REC_WEAPON, v, NULL, NULL,
	    weapon ? &weapon->log_index : NULL, err);
	if (r != 0 && err != NULL && strcmp(err->sqlstate, "23505") == 0) {
		err->code = r = REG_EEXIST;
		snprintf(err->message, sizeof(err->message), "a weapon with office "
		    "reference '%.100s' is already registered", in->office_ref);
	}
	if (r != 0)
		goto out;
	if (weapon != NULL)
		weapon->id = u;
	r = marking_write(ctx, id, in->marking, now, marking, err);
out:
	return reg__tx_leave(ctx, &tx, r, err);
}

int
reg_marking_add(reg_ctx *ctx, const reg_uuid *weapon,
    const struct reg_marking_in *in, struct reg_written *out, reg_error *err)
{
	struct reg__tx tx;
	char wid[REG_UUID_STR], now[32];
	int r;

	reg_uuid_format(weapon, wid);
	reg__now_text(now);
	if ((r = reg__tx_enter(ctx, &tx, err)) != 0)
		return r;
	if ((r = weapon_exists(ctx, wid, err)) == 0)
		r = marking_write(ctx, wid, in, now, out, err);
	return reg__tx_leave(ctx, &tx, r, err);
}

int
reg_component_add(reg_ctx *ctx, const reg_uuid *weapon, const char *kind,
    const char *serial, struct reg_written *out, reg_error *err)
{
	struct reg__tx tx;
	char wid[REG_UUID_STR], id[REG_UUID_STR], now[32], norm[128];
	const char *v[6];
	reg_uuid u;
	int r;

	if (!reg__one_of(kind, component_kinds))
		return reg__fail(err, REG_EINVAL, "component kind '%.40s' is not one of "
		    "frame, receiver, barrel, slide, bolt, cylinder, other",
		    kind ? kind : "");
	if ((r = reg__check_text("component serial", serial, 100, 0, err)) != 0)
		return r;
	reg__serial_norm(serial, norm, sizeof(norm));
	if ((r = reg_uuid_v7(&u, err)) != 0)
		return r;
	reg_uuid_format(weapon, wid);
	reg_uuid_format(&u, id);
	reg__now_text(now);
	if ((r = reg__tx_enter(ctx, &tx, err)) != 0)
		return r;
	if ((r = weapon_exists(ctx, wid, err)) != 0)
		goto out;
	v[0] = id;
	v[1] = wid;
	v[2] = kind;
	v[3] = serial;
	v[4] = norm;
	v[5] = now;
	r = reg__record_write(ctx, REC_COMPONENT, v, NULL, NULL,
	    out ? &out->log_index : NULL, err);
	if (r == 0 && out != NULL)
		out->id = u;
out:
	return reg__tx_leave(ctx, &tx, r, err);
}
