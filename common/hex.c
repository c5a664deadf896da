/*
 * Hexadecimal (RFC 4648 section 8): the one implementation that the
 * registry, the protocol, the tracer and the tests share.  See
 * common/hex.h.
 */
#include "config.h"

#include "common/hex.h"

/*
 * The value of each byte as a digit plus one (0: not a digit), for lower
 * case only and for either case: a table, because the registry decodes
 * millions of hex hashes when it loads a large log's tree.
 */
static const uint8_t lower_tab[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};
static const uint8_t any_tab[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int
cm_hex_digit(int c, int flags)
{
	const uint8_t *t = (flags & CM_HEX_ANYCASE) ? any_tab : lower_tab;

	if (c < 0 || c > 255)
		return -1;
	return t[c] - 1;
}

void
cm_hex_encode(const void *data, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *in = data;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
cm_hex_decode(const char *s, size_t len, uint8_t *out, int flags)
{
	const uint8_t *t = (flags & CM_HEX_ANYCASE) ? any_tab : lower_tab;
	const unsigned char *p = (const unsigned char *)s;
	size_t i;
	int hi, lo;

	if (len % 2 != 0)
		return -1;
	for (i = 0; i < len / 2; i++) {
		/* One digit at a time: a NUL ends the reading. */
		if ((hi = t[p[2 * i]] - 1) < 0 || (lo = t[p[2 * i + 1]] - 1) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
