/*
 * Serial numbers as read from a recovered weapon: normalising, folding the
 * characters that worn or restored marks make look alike, unreadable
 * positions, edit distance, and how well a registered serial matches.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tracer_int.h"

/* The look-alikes and the letters and digits of a serial are the
 * registry's (registry/norm.c): reg_serial_upper(), reg_serial_fold(). */
int
tr_serial_key(const char *serial, int wildcards, char *out, size_t outlen)
{
	return reg_serial_key(serial, wildcards, out, outlen);
}

int
tr__query_init(struct tr__query *q, const char *serial)
{
	int n, i;

	memset(q, 0, sizeof(*q));
	n = reg_serial_upper(serial, 1, q->upper, sizeof(q->upper));
	if (n < 0)
		return -1;
	memcpy(q->key, q->upper, (size_t)n + 1);
	reg_serial_fold(q->key);
	for (i = 0; i < n; i++) {
		if (q->upper[i] == '?' || q->upper[i] == '*')
			q->wildcards = 1;
		else
			q->known++;
	}
	return 0;
}

int
tr__like_pattern(const struct tr__query *q, char *out, size_t outlen)
{
	size_t i, n = strlen(q->key);

	if (n + 1 > outlen)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = q->key[i] == '?' ? '_' : q->key[i] == '*' ? '%' : q->key[i];
	out[n] = '\0';
	return (int)n;
}

int
tr_edit_distance(const char *a, const char *b, int limit)
{
	int la = (int)strlen(a), lb = (int)strlen(b), i, j;
	int d[TR__SERIAL_MAX + 1][TR__SERIAL_MAX + 1];

	if (la - lb > limit || lb - la > limit)
		return limit + 1;
	if (la > TR__SERIAL_MAX || lb > TR__SERIAL_MAX)
		return limit + 1;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		int rowmin = d[i][0];

		for (j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1], v;

			v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
			if (v < rowmin)
				rowmin = v;
		}
		if (rowmin > limit)
			return limit + 1;
	}
	return d[la][lb] > limit ? limit + 1 : d[la][lb];
}

/*
 * Matches the query's key (with '?' one character, '*' one or more) against
 * a registered key; on success counts in *look the known positions whose
 * character as read differs from the registered one (a look-alike).
 */
static int
glob(const char *pk, const char *pu, const char *rk, const char *ru, int *look)
{
	for (; *pk != '\0'; pk++, pu++) {
		if (*pk == '*') {
			const char *s;

			if (*rk == '\0')
				return 0;

			for (s = rk + 1; ; s++) {
				int l = 0;

				if (glob(pk + 1, pu + 1, s, ru + (s - rk), &l)) {
					*look += l;
					return 1;
				}
				if (*s == '\0')
					return 0;
			}
		}
		if (*rk == '\0')
			return 0;
		if (*pk != '?') {
			if (*pk != *rk)
				return 0;
			if (*pu != *ru)
				(*look)++;
		}
		rk++;
		ru++;
	}
	return *rk == '\0';
}

/* Describes the single difference between two keys one edit apart. */
static void
describe_edit(const char *q, const char *r, const char *qu, const char *ru,
    char *out, size_t outlen)
{
	size_t lq = strlen(q), lr = strlen(r), i;

	if (lq == lr) {
		for (i = 0; i < lq && q[i] == r[i]; i++)
			;
		if (i + 1 < lq && q[i] == r[i + 1] && q[i + 1] == r[i] &&
		    strcmp(q + i + 2, r + i + 2) == 0)
			snprintf(out, outlen, "serial matches with two adjacent characters "
			    "swapped (read '%c%c' for '%c%c' at position %zu)",
			    qu[i], qu[i + 1], ru[i], ru[i + 1], i + 1);
		else
			snprintf(out, outlen, "serial matches but for one character (read "
			    "'%c' for '%c' at position %zu)", qu[i], ru[i], i + 1);
	} else if (lq < lr) {
		snprintf(out, outlen, "serial matches but for one character missing "
		    "from the reading");
	} else {
		snprintf(out, outlen, "serial matches but for one extra character in "
		    "the reading");
	}
}

void
tr__serial_compare(const struct tr__query *q, const char *registered,
    struct tr__serial_match *m)
{
	char ru[TR__SERIAL_MAX], rk[TR__SERIAL_MAX];
	int n, i, d;

	memset(m, 0, sizeof(*m));
	m->level = TR__NOMATCH;
	if ((n = reg_serial_upper(registered, 0, ru, sizeof(ru))) < 0)
		return;
	memcpy(rk, ru, (size_t)n + 1);
	reg_serial_fold(rk);
	if (q->wildcards) {
		int look = 0;

		if (!glob(q->key, q->upper, rk, ru, &look))
			return;
		m->level = TR__WILDCARD;
		m->lookalikes = look;
		m->unknown = n - q->known;
		m->score = 1.0 - 0.05 * m->unknown - 0.05 * look;
		if (m->score < 0.5)
			m->score = 0.5;
		snprintf(m->what, sizeof(m->what), "serial matches every readable "
		    "character (%d of %d unreadable%s)", m->unknown, n,
		    look ? ", with look-alikes" : "");
		return;
	}
	if (strcmp(q->upper, ru) == 0) {
		m->level = TR__EXACT;
		m->score = 1.0;
		snprintf(m->what, sizeof(m->what), "serial exactly as marked");
		return;
	}
	if (strcmp(q->key, rk) == 0) {
		char first[64] = "";

		for (i = 0; i < n; i++)
			if (q->upper[i] != ru[i]) {
				if (m->lookalikes == 0)
					snprintf(first, sizeof(first), "read '%c' for '%c' at "
					    "position %d", q->upper[i], ru[i], i + 1);
				m->lookalikes++;
			}
		m->level = TR__LOOKALIKE;
		m->score = 1.0 - 0.05 * m->lookalikes;
		if (m->score < 0.8)
			m->score = 0.8;
		snprintf(m->what, sizeof(m->what), "serial matches with %d look-alike "
		    "character%s (%s%s)", m->lookalikes, m->lookalikes == 1 ? "" : "s",
		    first, m->lookalikes > 1 ? ", ..." : "");
		return;
	}
	/* One or two edits: only for serials long enough that an edit still
	 * leaves them telling. */
	d = tr_edit_distance(q->key, rk, 2);
	if (d == 1 && q->known >= 5) {
		m->level = TR__EDIT1;
		m->score = 0.72;
		describe_edit(q->key, rk, q->upper, ru, m->what, sizeof(m->what));
	} else if (d == 2 && q->known >= 8) {
		m->level = TR__EDIT2;
		m->score = 0.5;
		snprintf(m->what, sizeof(m->what), "serial matches but for two "
		    "characters");
	}
}
