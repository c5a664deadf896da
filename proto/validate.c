/*
 * The checks of single values that every document type shares: UUIDs,
 * country codes, dates and times, text, serial numbers with wildcards,
 * scores, hashes and proof sizes.  proto/README.md ("Common types") is
 * their specification.
 */
#include "config.h"

#include <math.h>	/* isfinite, a macro: no libm */
#include <string.h>

#include "common/base64.h"
#include "common/hex.h"
#include "proto_int.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value of n decimal digits at s; the caller checked they are. */
static int
digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

const char *
proto__check_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != PROTO_UUID_LEN)
		goto bad;
	for (i = 0; i < PROTO_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				goto bad;
		} else if (cm_hex_digit((unsigned char)s[i], 0) < 0) {
			goto bad;
		}
	}
	return NULL;
bad:
	return "is not a UUID (8-4-4-4-12 lower-case hexadecimal digits)";
}

static int
country_cmp(const void *key, const void *elem)
{
	const struct proto__country *c = elem;

	return strcmp(key, c->code);
}

static const struct proto__country *
country_find(const char *code)
{
	if (code == NULL || strlen(code) != 2 ||
	    code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z')
		return NULL;
	return bsearch(code, proto__countries, proto__ncountries,
	    sizeof(proto__countries[0]), country_cmp);
}

bool
proto_country_valid(const char *code)
{
	return country_find(code) != NULL;
}

const char *
proto_country_name(const char *code)
{
	const struct proto__country *c = country_find(code);

	return c != NULL ? c->name : NULL;
}

const char *
proto__check_country(const char *s)
{
	if (strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' ||
	    s[1] < 'A' || s[1] > 'Z')
		return "is not an ISO 3166-1 alpha-2 code (two upper-case letters)";
	if (country_find(s) == NULL)
		return "is not an assigned ISO 3166-1 alpha-2 code";
	return NULL;
}

static bool
leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Whether s starts with a valid YYYY-MM-DD date of the Gregorian calendar,
 * years 0001 to 9999. */
static bool
valid_date_prefix(const char *s)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int i, y, m, d, max;

	for (i = 0; i < PROTO_DATE_LEN; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return false;
		} else if (!is_digit(s[i])) {
			return false;
		}
	}
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	max = mdays[m - 1] + (m == 2 && leap_year(y) ? 1 : 0);
	return d <= max;
}

const char *
proto__check_date(const char *s)
{
	if (strlen(s) != PROTO_DATE_LEN || !valid_date_prefix(s))
		return "is not a valid date (YYYY-MM-DD)";
	return NULL;
}

const char *
proto__check_timestamp(const char *s)
{
	size_t len = strlen(s), i;

	if (len < 20 || len > PROTO_TIMESTAMP_MAX || !valid_date_prefix(s) ||
	    s[10] != 'T' || !is_digit(s[11]) || !is_digit(s[12]) ||
	    s[13] != ':' || !is_digit(s[14]) || !is_digit(s[15]) ||
	    s[16] != ':' || !is_digit(s[17]) || !is_digit(s[18]))
		goto bad;
	if (digits(s + 11, 2) > 23 || digits(s + 14, 2) > 59 ||
	    digits(s + 17, 2) > 59)
		goto bad;
	i = 19;
	if (s[i] == '.') {
		/* One to nine digits of a fraction of a second. */
		for (i++; i < len && is_digit(s[i]); i++)
			;
		if (i == 20 || i > 29)
			goto bad;
	}
	if (s[i] != 'Z' || i + 1 != len)
		goto bad;
	return NULL;
bad:
	return "is not a valid RFC 3339 time in UTC "
	    "(YYYY-MM-DDTHH:MM:SS[.fraction]Z)";
}

const char *
proto__check_email(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strchr(s, ' ') != NULL)
		return "is not an email address (local-part@domain)";
	return NULL;
}

const char *
proto__check_phone(const char *s)
{
	const char *p = s;

	if (*p == '+')
		p++;
	if (!is_digit(*p))
		goto bad;
	for (; *p != '\0'; p++)
		if (!is_digit(*p) && strchr(" ()./-", *p) == NULL)
			goto bad;
	return NULL;
bad:
	return "is not a telephone number (an optional '+', then digits, "
	    "spaces and ( ) . / -)";
}

const char *
proto__check_note_text(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || s[len - 1] != '\n')
		return "is not a signed note (it must end with a line feed)";
	return NULL;
}

const char *
proto__check_score(double v)
{
	if (!isfinite(v) || v < 0.0 || v > 1.0)
		return "is not between 0 and 1";
	/* A multiple of 0.0001 is the double nearest to k / 10000, and the
	 * division is correctly rounded, so this comparison is exact. */
	if ((double)(long)(v * 10000.0 + 0.5) / 10000.0 != v)
		return "has more than four digits after the decimal point";
	return NULL;
}

int
proto__timestamp_cmp(const char *a, const char *b)
{
	int c, i;

	/* YYYY-MM-DDTHH:MM:SS compares as text. */
	c = memcmp(a, b, 19);
	if (c != 0)
		return c;
	/* Then the fractions digit by digit, the shorter padded with zeros;
	 * both end at their 'Z'. */
	a += 19;
	b += 19;
	if (*a == '.')
		a++;
	if (*b == '.')
		b++;
	for (i = 0; i < 9; i++) {
		int da = is_digit(*a) ? *a++ - '0' : 0;
		int db = is_digit(*b) ? *b++ - '0' : 0;

		if (da != db)
			return da - db;
	}
	return 0;
}

const char *
proto__check_chars(const char *s, size_t len, bool multiline)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' || p[i] == '\t') {
			if (!multiline)
				return "holds a line feed or tab, which this "
				    "single-line member may not";
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			return "holds a control character";
		} else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f) {
			/* U+0080 to U+009F, the C1 controls. */
			return "holds a control character";
		}
	}
	return NULL;
}

const char *
proto__check_serial(const char *serial, const char *condition)
{
	size_t wild = 0, plain = 0;
	const char *p;

	if (strstr(serial, "**") != NULL)
		return "has '*' twice in a row (one '*' stands for any run)";
	for (p = serial; *p != '\0'; p++) {
		if (*p == '?' || *p == '*')
			wild++;
		else
			plain++;
	}
	if (strcmp(condition, "legible") == 0 ||
	    strcmp(condition, "restored") == 0) {
		if (wild > 0)
			return "has wildcards ('?', '*'), which a legible or "
			    "restored serial may not";
	} else if (strcmp(condition, "partly_legible") == 0 ||
	    strcmp(condition, "partly_restored") == 0) {
		if (wild == 0 || plain == 0)
			return "must mix read characters and wildcards "
			    "('?', '*') when partly legible or restored";
	} else if (strcmp(condition, "obliterated") == 0) {
		if (strcmp(serial, "*") != 0)
			return "must be \"*\" when obliterated";
	}
	return NULL;
}

int
proto__hash_decode(const char *s, size_t len, struct proto_hash *h)
{
	uint8_t b[PROTO__HASH_B64_LEN / 4 * 3];
	size_t n;

	/* 32 bytes are 43 characters of 6 bits and one '='. */
	if (len != PROTO__HASH_B64_LEN || s[43] != '=' ||
	    cm_base64_decode(s, len, b, &n, NULL, 0) != 0 || n != 32)
		return -1;
	memcpy(h->b, b, 32);
	return 0;
}

void
proto__hash_encode(const struct proto_hash *h, char out[PROTO__HASH_B64_LEN + 1])
{
	cm_base64_encode(h->b, 32, out, 0);
}

size_t
proto__inclusion_path_len(uint64_t index, uint64_t size)
{
	uint64_t x = index ^ (size - 1);
	size_t inner = 0, border = 0;
	uint64_t rest;

	/* RFC 9162 section 2.1.3.2, as in transparency-dev/merkle: the bits
	 * where index and the last index differ give the inner proof, and the
	 * one bits of index above them the border. */
	while (x != 0) {
		inner++;
		x >>= 1;
	}
	for (rest = index >> inner; rest != 0; rest >>= 1)
		border += rest & 1;
	return inner + border;
}
