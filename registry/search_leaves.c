/*
 * The read model's records against the log's leaves that come with them
 * in the same statement (search.c's ROWS_SQL): a serial read whole is
 * served from the read model only when every field of every record is as
 * its leaf has it, every leaf is its stored hash's, every record of the
 * weapons is there and every weapon with the key.  Below: the leaf reader,
 * which decodes a leaf's JSON object (as record.c writes it) in place.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/hex.h"
#include "common/utf8.h"
#include "search_int.h"

/*
 * A leaf as its columns: each key (a column's name, or "_r", "_v") with its
 * value decoded from JSON (NULL for null; a number as its text).
 */
#define LEAF_KEYS 32
struct leaf {
	int n;
	const char *key[LEAF_KEYS], *val[LEAF_KEYS];
	size_t klen[LEAF_KEYS], vlen[LEAF_KEYS];
};

/* Four hex digits at p (at least 4 bytes), or -1. */
static long
hex4(const char *p)
{
	long v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		if ((d = cm_hex_digit((unsigned char)p[i], CM_HEX_ANYCASE)) < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * A JSON string from p (at the opening quote) to end, decoded to UTF-8
 * into out (room for as many bytes as the string has); *next is past the
 * closing quote.  0, or -1 when it is not one.
 */
static int
json_string_at(const char *p, const char *end, char *out, size_t *outlen,
    const char **next)
{
	size_t n = 0;

	if (p >= end || *p++ != '"')
		return -1;
	while (p < end && *p != '"') {
		unsigned char ch = (unsigned char)*p;
		long u, lo;

		if (ch < 0x20)
			return -1;
		if (ch != '\\') {
			out[n++] = *p++;
			continue;
		}
		if (end - p < 2)
			return -1;
		switch (p[1]) {
		case '"': case '\\': case '/':
			out[n++] = p[1];
			p += 2;
			continue;
		case 'b': out[n++] = '\b'; p += 2; continue;
		case 'f': out[n++] = '\f'; p += 2; continue;
		case 'n': out[n++] = '\n'; p += 2; continue;
		case 'r': out[n++] = '\r'; p += 2; continue;
		case 't': out[n++] = '\t'; p += 2; continue;
		case 'u': break;
		default: return -1;
		}
		if (end - p < 6 || (u = hex4(p + 2)) < 0)
			return -1;
		p += 6;
		if (u >= 0xd800 && u < 0xdc00) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    (lo = hex4(p + 2)) < 0xdc00 || lo > 0xdfff)
				return -1;
			p += 6;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return -1;
		}
		/* Six escaped bytes (twelve for a pair) always hold what they
		 * decode to. */
		n += cm_utf8_encode((uint32_t)u, out + n);
	}
	if (p >= end)
		return -1;
	*outlen = n;
	*next = p + 1;
	return 0;
}

/*
 * Reads the len bytes at p, decoding strings into buf (len bytes at least),
 * which with p must outlive l; 0, or -1 when it is not a leaf's JSON.
 */
static int
leaf_parse(struct leaf *l, const char *p, size_t len, char *buf)
{
	const char *end = p + len, *next;
	size_t n, used = 0;

	l->n = 0;
	if (len < 2 || p[0] != '{' || end[-1] != '}')
		return -1;
	p++;
	while (p < end - 1) {
		int i = l->n;

		if (i == LEAF_KEYS)
			return -1;
		/* A key: a column's name, never escaped. */
		if (*p != '"' || (next = memchr(p + 1, '"', (size_t)(end - p - 1))) == NULL)
			return -1;
		l->key[i] = p + 1;
		l->klen[i] = (size_t)(next - p - 1);
		p = next + 1;
		if (p >= end || *p++ != ':')
			return -1;
		if (p < end && *p == '"') {
			if (json_string_at(p, end, buf + used, &n, &next) != 0)
				return -1;
			l->val[i] = buf + used;
			l->vlen[i] = n;
			used += n;
			p = next;
		} else if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
			l->val[i] = NULL;
			l->vlen[i] = 0;
			p += 4;
		} else {
			/* A number ("_v"), kept as its text. */
			l->val[i] = p;
			while (p < end && ((*p >= '0' && *p <= '9') || *p == '-'))
				p++;
			l->vlen[i] = (size_t)(p - l->val[i]);
			if (l->vlen[i] == 0)
				return -1;
		}
		l->n++;
		if (p < end - 1 && *p++ != ',')
			return -1;
	}
	return p == end - 1 ? 0 : -1;
}

/* 1 with the value of key, 0 when there is no such key. */
static int
leaf_get(const struct leaf *l, const char *key, const char **val,
    size_t *len)
{
	size_t kl = strlen(key);
	int i;

	for (i = 0; i < l->n; i++)
		if (l->klen[i] == kl && memcmp(l->key[i], key, kl) == 0) {
			*val = l->val[i];
			*len = l->vlen[i];
			return 1;
		}
	return 0;
}

/* ------------------------------------------- the read model's leaves */

static int
leaf_cmp(const void *x, const void *y)
{
	const struct reg__leafref *p = x, *q = y;

	return (p->idx > q->idx) - (p->idx < q->idx);
}

struct reg__leafref *
reg__leaf_find(struct reg__leafref *l, int n, uint64_t idx)
{
	struct reg__leafref k;

	k.idx = idx;
	return bsearch(&k, l, (size_t)n, sizeof(*l), leaf_cmp);
}

/* Which cell of a record is which column of its leaf, by kind. */
struct field {
	int cell;
	const char *col;
};
static const struct field weapon_fields[] = {
	{ 1, "id" }, { 2, "manufacturer_id" }, { 3, "model" }, { 4, "type" },
	{ 5, "calibre" }, { 6, "serial" }, { 7, "country_of_manufacture" },
	{ 8, "year_of_manufacture" }, { -1, NULL }
};
static const struct field marking_fields[] = {
	{ 1, "weapon_id" }, { 14, "kind" }, { 9, "text" }, { 10, "location" },
	{ 7, "country" }, { 8, "year" }, { 11, "new_serial" }, { -1, NULL }
};
static const struct field component_fields[] = {
	{ 1, "weapon_id" }, { 14, "kind" }, { 6, "serial" }, { -1, NULL }
};
static const struct field event_fields[] = {
	{ 1, "weapon_id" }, { 12, "id" }, { 13, "seq" }, { 14, "kind" },
	{ 15, "event_date" }, { 16, "from_party" }, { 17, "to_party" },
	{ 18, "licence_number" }, { 19, "licence_issued" },
	{ 20, "licence_expires" }, { 21, "euc_ref" }, { 22, "export_country" },
	{ 23, "import_country" }, { 24, "transit_countries" },
	{ 25, "final_recipient" }, { 26, "certificate" }, { 27, "corrects" },
	{ 28, "reason" }, { 29, "note" }, { -1, NULL }
};

/* A leaf's value against a cell (NULL against NULL, or the same bytes). */
static int
same_cell(const struct reg__cell *c, const char *v, size_t n)
{
	if (c->v == NULL || v == NULL)
		return c->v == NULL && v == NULL;
	return (size_t)c->len == n && memcmp(c->v, v, n) == 0;
}

/* A cell's unsigned decimal value; -1 when it is not one. */
static long long
cell_index(const struct reg__cell *c)
{
	long long x = 0;
	int i;

	if (c->v == NULL || c->len == 0 || c->len > 18)
		return -1;
	for (i = 0; i < c->len; i++) {
		if (c->v[i] < '0' || c->v[i] > '9')
			return -1;
		x = x * 10 + (c->v[i] - '0');
	}
	return x;
}

/* The leaves of row i (a bytea[] in its send format) into l from *n on;
 * with l NULL only counted.  0, or 1 when they are not what was asked. */
static int
row_leaves(PGresult *res, int i, struct reg__leafref *l, int *n)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, i, 1);
	size_t len = (size_t)PQgetlength(res, i, 1), at;
	int32_t k, cnt;

	if (PQgetisnull(res, i, 1) || len < 12)
		return 1;
	if (reg__get32(p) == 0)
		return 0;			/* empty */
	if (reg__get32(p) != 1 || reg__get32(p + 8) != 17 || len < 20 ||
	    (cnt = reg__get32(p + 12)) < 0)
		return 1;
	at = 20;
	for (k = 0; k < cnt; k++) {
		int32_t el;

		if (len - at < 4 || (el = reg__get32(p + at)) < 40 ||
		    (size_t)el > len - at - 4)
			return 1;
		at += 4;
		if (l != NULL) {
			struct reg__leafref *r = &l[*n];
			uint64_t idx = 0;
			int b;

			for (b = 0; b < 8; b++)
				idx = idx << 8 | p[at + (size_t)b];
			r->idx = idx;
			r->hash = p + at + 8;
			r->leaf = (const char *)p + at + 40;
			r->len = (size_t)el - 40;
			r->used = 0;
		}
		(*n)++;
		at += (size_t)el;
	}
	return at == len ? 0 : 1;
}

/* The number of weapons with the key, as the statement counted them. */
static long long
weapons_under_key(PGresult *res)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, 0, 2);
	uint64_t x = 0;
	int b;

	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 2) ||
	    PQgetlength(res, 0, 2) != 8)
		return -1;
	for (b = 0; b < 8; b++)
		x = x << 8 | p[b];
	return (long long)x;
}

/*
 * Holds the read model's records (cells, nrecs of them) against the leaves
 * that came with them: every leaf is its stored hash's; every record is
 * the leaf at its log index, of its kind and weapon, with every field
 * served as the leaf has it; every leaf is a served record's (none of the
 * weapon's records is left out); a weapon's serial has the key; and the
 * records' weapons are all the weapons with the key.  *leaves (in the
 * arena, pointing into res) gets the leaves by index, for the events'
 * hashes.  0 when all hold, 1 when something differs (the records are then
 * read), -1 out of memory.
 */
int
reg__search_check_leaves(struct reg__sdec *d, PGresult *res,
    const struct reg__cell *cells, int nrecs, const char *key,
    struct reg__leafref **leaves, int *nleaves)
{
	struct reg__leafref *l;
	struct leaf lf;
	int i, n = 0, weapons = 0;
	char *buf;

	for (i = 0; i < PQntuples(res); i++)
		if (row_leaves(res, i, NULL, &n) != 0)
			return 1;
	if ((l = reg__salloc(d, (size_t)(n ? n : 1) * sizeof(*l))) == NULL)
		return -1;
	n = 0;
	for (i = 0; i < PQntuples(res); i++)
		(void)row_leaves(res, i, l, &n);
	for (i = 0; i < n; i++) {
		struct reg_hash h;

		if (reg_merkle_leaf_hash_r(l[i].leaf, l[i].len, &h) != 0)
			return -1;
		if (memcmp(h.b, l[i].hash, 32) != 0)
			return 1;
	}
	qsort(l, (size_t)n, sizeof(*l), leaf_cmp);
	for (i = 1; i < n; i++)
		if (l[i].idx == l[i - 1].idx)
			return 1;
	for (i = 0; i < nrecs; i++) {
		const struct reg__cell *c = &cells[(size_t)i * REG__ROW_COLS];
		const struct field *f;
		const char *type, *v;
		long long li = cell_index(&c[REG__ROW_LOG_INDEX]);
		struct reg__leafref *r;
		size_t vl;

		if (li < 0 || (r = reg__leaf_find(l, n, (uint64_t)li)) == NULL || r->used)
			return 1;
		r->used = 1;
		switch (c[0].v != NULL && c[0].len == 1 ? c[0].v[0] : 0) {
		case 'w': type = "weapon"; f = weapon_fields; weapons++; break;
		case 'm': type = "marking"; f = marking_fields; break;
		case 'c': type = "component"; f = component_fields; break;
		case 'e': type = "event"; f = event_fields; break;
		default: return 1;
		}
		if ((buf = reg__salloc(d, r->len ? r->len : 1)) == NULL)
			return -1;
		if (leaf_parse(&lf, r->leaf, r->len, buf) != 0 ||
		    !leaf_get(&lf, "_r", &v, &vl) || v == NULL ||
		    vl != strlen(type) || memcmp(v, type, vl) != 0)
			return 1;
		for (; f->col != NULL; f++)
			if (!leaf_get(&lf, f->col, &v, &vl) ||
			    !same_cell(&c[f->cell], v, vl))
				return 1;
		/* A weapon is served for its own serial's key only. */
		if (type[0] == 'w') {
			size_t k;

			if (!leaf_get(&lf, "serial_norm", &v, &vl) || v == NULL ||
			    vl != strlen(key))
				return 1;
			for (k = 0; k < vl; k++)
				if ((v[k] == 'D' ? '0' : v[k] == '7' ? '1' : v[k]) != key[k])
					return 1;
		}
	}
	for (i = 0; i < n; i++)
		if (!l[i].used)
			return 1;
	if (weapons != weapons_under_key(res))
		return 1;
	*leaves = l;
	*nleaves = n;
	return 0;
}
