/*
 * The one encoder of canonical record leaves.  jansson would build an
 * object and dump it compact, with sorted keys and ASCII escapes, at 6 to
 * 12 us a record; this writes the same bytes directly: keys in jansson's
 * order (byte order), strings escaped as jansson escapes them (backslash,
 * quote, \b \f \n \r \t, other control characters and everything beyond
 * ASCII as \uXXXX in upper-case hex, with UTF-16 surrogate pairs beyond the
 * BMP).  tests/registry/check_leaf.c holds it to the jansson reference on
 * every leaf of the test corpus, and the log's verification re-derives
 * every stored leaf with it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "leaf_int.h"

static const char *
key_name(const struct reg__recdef *def, int c)
{
	return c == -2 ? "_r" : c == -1 ? "_v" : def->cols[c];
}

/* Insertion sort: a few dozen keys. */
void
reg__leaf_keys(const struct reg__recdef *def, struct reg__leafkeys *keys)
{
	int i, j, v;

	REG_ASSERT(def->ncols <= REC_MAX_COLS);
	keys->n = def->ncols + 2;
	keys->col[0] = -2;
	keys->col[1] = -1;
	for (i = 0; i < def->ncols; i++)
		keys->col[i + 2] = i;
	for (i = 1; i < keys->n; i++) {
		v = keys->col[i];
		for (j = i; j > 0 && strcmp(key_name(def, keys->col[j - 1]),
		    key_name(def, v)) > 0; j--)
			keys->col[j] = keys->col[j - 1];
		keys->col[j] = v;
	}
}

static void
put_u16(struct cm_buf *b, unsigned int u)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[6] = { '\\', 'u', hex[(u >> 12) & 15], hex[(u >> 8) & 15],
	    hex[(u >> 4) & 15], hex[u & 15] };

	cm_buf_add(b, e, sizeof(e));
}

/* An ASCII byte that needs an escape. */
static void
put_escape(struct cm_buf *b, unsigned char c)
{
	switch (c) {
	case '"': cm_buf_add(b, "\\\"", 2); break;
	case '\\': cm_buf_add(b, "\\\\", 2); break;
	case '\b': cm_buf_add(b, "\\b", 2); break;
	case '\f': cm_buf_add(b, "\\f", 2); break;
	case '\n': cm_buf_add(b, "\\n", 2); break;
	case '\r': cm_buf_add(b, "\\r", 2); break;
	case '\t': cm_buf_add(b, "\\t", 2); break;
	default: put_u16(b, c); break;
	}
}

/* A JSON string as jansson dumps it with JSON_ENSURE_ASCII; -1 when s is
 * not valid UTF-8. */
static int
put_string(struct cm_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;
	uint32_t cp;
	size_t n;

	cm_buf_addc(b, '"');
	for (run = p; *p != '\0';) {
		if (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') {
			p++;
			continue;
		}
		cm_buf_add(b, run, (size_t)(p - run));
		if (*p < 0x80) {
			put_escape(b, *p);
			run = ++p;
			continue;
		}
		n = cm_utf8_decode(p, strnlen((const char *)p, 4), &cp);
		if (n == 0)
			return -1;
		p += n;
		if (cp < 0x10000) {
			put_u16(b, cp);
		} else {
			cp -= 0x10000;
			put_u16(b, 0xd800 | (cp >> 10));
			put_u16(b, 0xdc00 | (cp & 0x3ff));
		}
		run = p;
	}
	cm_buf_add(b, run, (size_t)(p - run));
	cm_buf_addc(b, '"');
	return 0;
}

/* The failure for a value that is not valid UTF-8: the first such column
 * in the columns' order, as jansson's encoder names it (b is scratch). */
static int
not_utf8(struct cm_buf *b, const struct reg__recdef *def,
    const char *const *values, reg_error *err)
{
	int i;

	for (i = 0; i < def->ncols; i++) {
		cm_buf_reset(b);
		if (values[i] != NULL && put_string(b, values[i]) != 0)
			break;
	}
	cm_buf_reset(b);
	return reg__fail(err, REG_EINVAL, "%s of a %s is not valid UTF-8",
	    i < def->ncols ? def->cols[i] : "_r", def->type);
}

int
reg__leaf_encode(struct cm_buf *b, const struct reg__recdef *def,
    const struct reg__leafkeys *keys, const char *const *values,
    reg_error *err)
{
	struct reg__leafkeys own;
	int i, c;

	if (keys == NULL) {
		reg__leaf_keys(def, &own);
		keys = &own;
	}
	cm_buf_reset(b);
	cm_buf_addc(b, '{');
	for (i = 0; i < keys->n; i++) {
		c = keys->col[i];
		if (i > 0)
			cm_buf_addc(b, ',');
		cm_buf_addc(b, '"');
		cm_buf_adds(b, key_name(def, c));
		cm_buf_add(b, "\":", 2);
		if (c == -2) {
			if (put_string(b, def->type) != 0)
				return not_utf8(b, def, values, err);
		} else if (c == -1) {
			cm_buf_addc(b, '1');
		} else if (values[c] == NULL) {
			cm_buf_add(b, "null", 4);
		} else if (put_string(b, values[c]) != 0) {
			return not_utf8(b, def, values, err);
		}
	}
	cm_buf_addc(b, '}');
	if (b->failed)
		return reg__fail(err, REG_ENOMEM, "out of memory encoding a %s",
		    def->type);
	if (b->len > REG_LOG_LEAF_MAX)
		return reg__fail(err, REG_ETOOBIG, "a %s record is over %u bytes",
		    def->type, REG_LOG_LEAF_MAX);
	return 0;
}

int
reg__leaf_make(const struct reg__recdef *def, const char *const *values,
    char **leaf, size_t *len, reg_error *err)
{
	struct cm_buf b = CM_BUF_INIT;
	int r;

	*leaf = NULL;
	if ((r = reg__leaf_encode(&b, def, NULL, values, err)) != 0) {
		cm_buf_free(&b);
		return r;
	}
	*leaf = b.p;
	*len = b.len;
	return 0;
}
