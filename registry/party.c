/* Manufacturers with their aliases and codes, and parties. */
#include "config.h"

#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "pii_int.h"
#include "record_int.h"

static int
find_one(reg_ctx *ctx, const char *sql, const char *param, reg_uuid *out,
    const char *what, const char *shown, reg_error *err)
{
	const char *params[1] = { param };
	PGresult *res;
	int r;

	res = reg__exec(ctx, sql, 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__fail_pg(err, ctx->conn, res, "cannot look up %s", what);
	else if (PQntuples(res) == 0)
		r = reg__fail(err, REG_ENOTFOUND, "no %s '%.100s'", what, shown);
	else
		r = reg_uuid_parse(PQgetvalue(res, 0, 0), out, err);
	PQclear(res);
	return r;
}

int
reg_manufacturer_find(reg_ctx *ctx, const char *name, reg_uuid *out,
    reg_error *err)
{
	char norm[256];
	reg_uuid u;

	if (name == NULL || *name == '\0')
		return reg__fail(err, REG_EINVAL, "no manufacturer named");
	if (strlen(name) == 36 && reg_uuid_parse(name, &u, NULL) == 0)
		return find_one(ctx, "SELECT id::text FROM manufacturer WHERE id = $1",
		    name, out, "manufacturer", name, err);
	reg_name_norm(name, norm, sizeof(norm));
	if (norm[0] == '\0')
		return reg__fail(err, REG_EINVAL, "manufacturer '%.100s' has no letter "
		    "or digit", name);
	return find_one(ctx, "SELECT manufacturer_id::text FROM manufacturer_alias "
	    "WHERE alias_norm = $1", norm, out, "manufacturer", name, err);
}

static int
alias_write(reg_ctx *ctx, const char *mid, const char *alias, const char *kind,
    const char *now, struct reg_written *out, reg_error *err)
{
	char norm[256], id[REG_UUID_STR];
	const char *v[6];
	reg_uuid u;
	int r;

	if ((r = reg__check_text("alias", alias, 200, 0, err)) != 0)
		return r;
	if (kind == NULL || (strcmp(kind, "name") != 0 && strcmp(kind, "code") != 0))
		return reg__fail(err, REG_EINVAL, "an alias is of kind 'name' or 'code'");
	reg_name_norm(alias, norm, sizeof(norm));
	if (norm[0] == '\0')
		return reg__fail(err, REG_EINVAL, "alias '%.100s' has no letter or digit",
		    alias);
	if ((r = reg_uuid_v7(&u, err)) != 0)
		return r;
	reg_uuid_format(&u, id);
	v[0] = id;
	v[1] = mid;
	v[2] = alias;
	v[3] = norm;
	v[4] = kind;
	v[5] = now;
	if ((r = reg__record_write(ctx, REC_ALIAS, v, NULL, NULL,
	    out ? &out->log_index : NULL, err)) != 0) {
		if (err != NULL && strcmp(err->sqlstate, "23505") == 0) {
			err->code = REG_ERULE;
			snprintf(err->message, sizeof(err->message), "the name or code "
			    "'%.100s' already belongs to a manufacturer", alias);
			return REG_ERULE;
		}
		return r;
	}
	if (out != NULL)
		out->id = u;
	return 0;
}

int
reg_manufacturer_add(reg_ctx *ctx, const char *name, const char *country,
    struct reg_written *out, reg_error *err)
{
	struct reg__tx tx;
	char id[REG_UUID_STR], now[32];
	const char *v[4];
	reg_uuid u;
	int r;

	if ((r = reg__check_text("manufacturer name", name, 200, 0, err)) != 0)
		return r;
	if ((r = reg_uuid_v7(&u, err)) != 0)
		return r;
	reg_uuid_format(&u, id);
	reg__now_text(now);
	if ((r = reg__tx_enter(ctx, &tx, err)) != 0)
		return r;
	if ((r = reg__check_country(ctx, "country", country, 0, err)) != 0)
		goto out;
	v[0] = id;
	v[1] = name;
	v[2] = country;
	v[3] = now;
	if ((r = reg__record_write(ctx, REC_MANUFACTURER, v, NULL, NULL,
	    out ? &out->log_index : NULL, err)) != 0)
		goto out;
	r = alias_write(ctx, id, name, "name", now, NULL, err);
	if (r == 0 && out != NULL)
		out->id = u;
out:
	return reg__tx_leave(ctx, &tx, r, err);
}

int
reg_manufacturer_alias_add(reg_ctx *ctx, const reg_uuid *manufacturer,
    const char *alias, const char *kind, struct reg_written *out, reg_error *err)
{
	struct reg__tx tx;
	char mid[REG_UUID_STR], now[32];
	reg_uuid found;
	int r;

	reg_uuid_format(manufacturer, mid);
	reg__now_text(now);
	if ((r = reg__tx_enter(ctx, &tx, err)) != 0)
		return r;
	if ((r = reg_manufacturer_find(ctx, mid, &found, err)) == 0)
		r = alias_write(ctx, mid, alias, kind, now, out, err);
	return reg__tx_leave(ctx, &tx, r, err);
}

int
reg_party_find(reg_ctx *ctx, const char *ref, reg_uuid *out, reg_error *err)
{
	reg_uuid u;

	if (ref == NULL || *ref == '\0')
		return reg__fail(err, REG_EINVAL, "no party named");
	if (strlen(ref) == 36 && reg_uuid_parse(ref, &u, NULL) == 0)
		return find_one(ctx, "SELECT id::text FROM party WHERE id = $1", ref, out,
		    "party", ref, err);
	return find_one(ctx, "SELECT id::text FROM party WHERE office_ref = $1", ref, out,
	    "party", ref, err);
}

static const char *const party_kinds[] = {
	"manufacturer", "dealer", "broker", "state_agency", "foreign_importer",
	"foreign_exporter", "private_person", NULL
};

int
reg_party_add(reg_ctx *ctx, const reg_pii_keyring *kr,
    const struct reg_party_in *in, struct reg_written *out, reg_error *err)
{
	struct reg__tx tx;
	struct reg_hash commitment;
	char id[REG_UUID_STR], now[32], *commit64 = NULL;
	const char *v[9], *extra[1] = { NULL };
	int extralen[1] = { 0 };
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	reg_uuid u;
	int r, private;

	if (!reg__one_of(in->kind, party_kinds))
		return reg__fail(err, REG_EINVAL, "party kind '%.40s' is not one of "
		    "manufacturer, dealer, broker, state_agency, foreign_importer, "
		    "foreign_exporter, private_person", in->kind ? in->kind : "");
	private = strcmp(in->kind, "private_person") == 0;
	if ((r = reg__check_text("region", in->region, 200, 1, err)) != 0 ||
	    (r = reg__check_text("licence", in->licence, 200, 1, err)) != 0 ||
	    (r = reg__check_text("office reference", in->office_ref, 100, 1, err)) != 0)
		return r;
	if (reg_uuid_v7(&u, err) != 0)
		return REG_ECRYPTO;
	reg_uuid_format(&u, id);
	if (private) {
		if (in->name != NULL && *in->name != '\0')
			return reg__fail(err, REG_EINVAL, "a private person's name goes in "
			    "the encrypted identity, never in the clear");
		if (in->person == NULL)
			return reg__fail(err, REG_EINVAL, "a private person needs an identity");
		if (kr == NULL)
			return reg__fail(err, REG_EKEY, "recording a private person needs the "
			    "personal-data key file (--pii-key)");
		if ((r = reg__pii_check(in->person, err)) != 0 ||
		    (r = reg__pii_seal(kr, u.b, in->person, &blob, &bloblen, &commitment,
		    err)) != 0 ||
		    (r = reg_base64_encode(commitment.b, 32, &commit64, err)) != 0)
			goto done;
		extra[0] = (const char *)blob;
		extralen[0] = (int)bloblen;
	} else if (in->person != NULL) {
		return reg__fail(err, REG_EINVAL, "only a private person has an identity");
	} else if ((r = reg__check_text("party name", in->name, 300, 0, err)) != 0) {
		return r;
	}
	reg__now_text(now);
	if ((r = reg__tx_enter(ctx, &tx, err)) != 0)
		goto done;
	if ((r = reg__check_country(ctx, "country", in->country, 0, err)) != 0)
		goto out;
	v[0] = id;
	v[1] = in->kind;
	v[2] = private ? NULL : in->name;
	v[3] = in->country;
	v[4] = in->region && *in->region ? in->region : NULL;
	v[5] = in->licence && *in->licence ? in->licence : NULL;
	v[6] = in->office_ref && *in->office_ref ? in->office_ref : NULL;
	v[7] = commit64;
	v[8] = now;
	r = reg__record_write(ctx, REC_PARTY, v, extra, extralen,
	    out ? &out->log_index : NULL, err);
	if (r != 0 && err != NULL && strcmp(err->sqlstate, "23505") == 0) {
		err->code = r = REG_ERULE;
		snprintf(err->message, sizeof(err->message), "a party with office "
		    "reference '%.100s' already exists", in->office_ref);
	}
	if (r == 0 && out != NULL)
		out->id = u;
out:
	r = reg__tx_leave(ctx, &tx, r, err);
done:
	if (blob != NULL)
		OPENSSL_cleanse(blob, bloblen);
	free(blob);
	reg_free(commit64);
	return r;
}

int
reg_pii_keyring_load(const char *path, reg_pii_keyring **out, reg_error *err)
{
	return reg__pii_keyring_load(path, out, err);
}

void
reg_pii_keyring_free(reg_pii_keyring *kr)
{
	reg__pii_keyring_free(kr);
}

int
reg_pii_keygen(const char *path, int rotate, uint32_t *id, reg_error *err)
{
	return reg__pii_keygen(path, rotate, id, err);
}

int
reg_party_identity(const reg_pii_keyring *kr, const reg_uuid *party,
    const void *pii, size_t len, struct reg_person *out, reg_error *err)
{
	int r;

	if (kr == NULL || party == NULL || pii == NULL || out == NULL)
		return reg__fail(err, REG_EINVAL, "a keyring, a party and its data "
		    "are needed");
	r = reg__pii_open(kr, party->b, pii, len, out, NULL, err);
	if (r != 0)
		OPENSSL_cleanse(out, sizeof(*out));
	return r;
}
