/*
 * Hexadecimal (RFC 4648 section 8): the one implementation that the
 * registry, the protocol, the tracer and the tests share.  See
 * common/hex.h.
 */
#include "config.h"

#include "common/hex.h"

int
cm_hex_digit(int c, int flags)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if ((flags & CM_HEX_ANYCASE) && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
	size_t i;
	int hi, lo;

	if (len % 2 != 0)
		return -1;
	for (i = 0; i < len / 2; i++) {
		/* One digit at a time: a NUL ends the reading. */
		if ((hi = cm_hex_digit((unsigned char)s[2 * i], flags)) < 0 ||
		    (lo = cm_hex_digit((unsigned char)s[2 * i + 1], flags)) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
