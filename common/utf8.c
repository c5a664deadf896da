/*
 * UTF-8 (RFC 3629): the one decoder and validator that the registry, the
 * protocol, the tracer and the programs share.  See common/utf8.h.
 */
#include "config.h"

#include "common/utf8.h"

size_t
cm_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len, i;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* No overlong forms, surrogates or values past U+10FFFF. */
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

bool
cm_utf8_valid(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = cm_utf8_decode(p + i, n - i, &cp)) == 0)
			return false;
		i += k;
	}
	return true;
}

/* Whether refuse names the character c. */
static bool
refused(uint32_t c, int refuse)
{
	if (c == '\n' && (refuse & CM_UTF8_LF_OK))
		return false;
	if (c < 0x20)
		return (refuse & CM_UTF8_C0) != 0;
	if (c >= 0x7f && c <= 0x9f)
		return (refuse & CM_UTF8_DEL_C1) != 0;
	return false;
}

int
cm_utf8_text(const char *s, size_t n, int refuse, size_t *where,
    uint32_t *cp)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i, k;
	uint32_t c;

	for (i = 0; i < n; i += k) {
		if ((k = cm_utf8_decode(p + i, n - i, &c)) == 0 ||
		    refused(c, refuse)) {
			if (where != NULL)
				*where = i;
			if (k == 0)
				return CM_UTF8_EINVALID;
			if (cp != NULL)
				*cp = c;
			return CM_UTF8_ECONTROL;
		}
	}
	return 0;
}

size_t
cm_utf8_chars(const char *s, size_t n)
{
	size_t i, chars = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			chars++;
	return chars;
}

size_t
cm_utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t
cm_utf8_cut(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}
