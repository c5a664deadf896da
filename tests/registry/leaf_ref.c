/*
 * The jansson encoder of record leaves, kept as the reference for
 * registry/leaf.c (it was record.c's encoder until the fast one became the
 * only product encoder).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "leaf_int.h"
#include "leaf_ref.h"

int
leaf_ref_encode(const struct reg__recdef *def, const char *const *values,
    char **leaf, size_t *len, reg_error *err)
{
	json_t *o = NULL, *v;
	char *s = NULL;
	int i, r = REG_ENOMEM;

	*leaf = NULL;
	o = json_object();
	if (o == NULL || json_object_set_new(o, "_r", json_string(def->type)) != 0 ||
	    json_object_set_new(o, "_v", json_integer(1)) != 0)
		goto out;
	for (i = 0; i < def->ncols; i++) {
		if (values[i] == NULL)
			v = json_null();
		else if ((v = json_string(values[i])) == NULL) {
			r = reg__fail(err, REG_EINVAL, "%s of a %s is not valid UTF-8",
			    def->cols[i], def->type);
			goto out;
		}
		if (json_object_set_new(o, def->cols[i], v) != 0)
			goto out;
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (s == NULL)
		goto out;
	if (strlen(s) > REG_LOG_LEAF_MAX) {
		r = reg__fail(err, REG_ETOOBIG, "a %s record is over %u bytes", def->type,
		    REG_LOG_LEAF_MAX);
		goto out;
	}
	*len = strlen(s);
	*leaf = s;
	s = NULL;
	r = 0;
out:
	if (r == REG_ENOMEM)
		r = reg__fail(err, REG_ENOMEM, "out of memory encoding a %s", def->type);
	free(s);
	json_decref(o);
	return r;
}

/* The values of a record leaf (pointing into o), by def's columns; 0, or
 * -1 when the leaf is not def's shape. */
static int
leaf_values(json_t *o, const struct reg__recdef *def, const char **values)
{
	json_t *v;
	int i;

	if (json_object_size(o) != (size_t)def->ncols + 2 ||
	    !json_is_integer(json_object_get(o, "_v")) ||
	    json_integer_value(json_object_get(o, "_v")) != 1)
		return -1;
	for (i = 0; i < def->ncols; i++) {
		v = json_object_get(o, def->cols[i]);
		if (v == NULL || !(json_is_null(v) || json_is_string(v)))
			return -1;
		values[i] = json_is_null(v) ? NULL : json_string_value(v);
	}
	return 0;
}

/* Checks one stored record leaf of type t; 0 or -1 with msg. */
static int
check_leaf(uint64_t idx, const char *leaf, size_t len, int t, char *msg,
    size_t msglen)
{
	const struct reg__recdef *def = &reg__recdefs[t];
	const char *values[REC_MAX_COLS];
	reg_error err = REG_ERROR_INIT;
	json_error_t jerr;
	json_t *o;
	char *ref = NULL, *fast = NULL;
	size_t reflen = 0, fastlen = 0;
	int r = -1;

	o = json_loadb(leaf, len, 0, &jerr);
	if (o == NULL || leaf_values(o, def, values) != 0)
		snprintf(msg, msglen, "leaf %" PRIu64 " is not a %s record", idx,
		    def->type);
	else if (leaf_ref_encode(def, values, &ref, &reflen, &err) != 0)
		snprintf(msg, msglen, "leaf %" PRIu64 ": reference: %s", idx, err.message);
	else if (reg__leaf_make(def, values, &fast, &fastlen, &err) != 0)
		snprintf(msg, msglen, "leaf %" PRIu64 ": leaf.c: %s", idx, err.message);
	else if (reflen != len || memcmp(ref, leaf, len) != 0)
		snprintf(msg, msglen, "leaf %" PRIu64 " is not what the reference "
		    "encodes: %.*s", idx, (int)(len > 300 ? 300 : len), leaf);
	else if (fastlen != len || memcmp(fast, leaf, len) != 0)
		snprintf(msg, msglen, "leaf %" PRIu64 " is not what leaf.c encodes: "
		    "%.*s", idx, (int)(len > 300 ? 300 : len), leaf);
	else
		r = 0;
	free(ref);
	free(fast);
	json_decref(o);
	return r;
}

long
leaf_ref_check_log(reg_ctx *ctx, char *msg, size_t msglen)
{
	PGresult *res;
	long n = 0;
	int i, t;

	res = PQexecParams(ctx->conn, "SELECT idx, leaf FROM log_entry ORDER BY idx",
	    0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(msg, msglen, "cannot read the log: %s",
		    PQerrorMessage(ctx->conn));
		PQclear(res);
		return -1;
	}
	for (i = 0; i < PQntuples(res) && n >= 0; i++) {
		size_t len = 0;
		unsigned char *leaf = PQunescapeBytea(
		    (const unsigned char *)PQgetvalue(res, i, 1), &len);
		uint64_t idx = strtoull(PQgetvalue(res, i, 0), NULL, 10);

		if (leaf == NULL) {
			snprintf(msg, msglen, "out of memory");
			n = -1;
			break;
		}
		t = reg__record_classify(leaf, len);
		if (t >= 0)
			n = check_leaf(idx, (const char *)leaf, len, t, msg, msglen) == 0 ?
			    n + 1 : -1;
		PQfreemem(leaf);
	}
	PQclear(res);
	return n;
}
