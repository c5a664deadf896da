/*
 * Standard base64 (RFC 4648 section 4) with padding.  Decoding is strict:
 * the input is whole quartets of alphabet characters, padding appears only
 * as one or two '=' at the very end, and the bits that padding leaves over
 * in the last character are zero, so that every byte string has exactly one
 * accepted encoding.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "registry_int.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The value of an alphabet character, or -1 for any other byte. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
reg_base64_encode(const void *data, size_t len, char **out, reg_error *err)
{
	const uint8_t *in = data;
	char *s = NULL;
	size_t i, o, n;
	uint32_t v;
	int r = REG_EINTERNAL;

	*out = NULL;
	if (data == NULL && len != 0)
		return reg__fail(err, REG_EINVAL, "base64: no data to encode");
	/* Four characters per started group of three bytes, and a NUL. */
	if (len / 3 >= (SIZE_MAX - 1) / 4 - 1)
		return reg__fail(err, REG_ETOOBIG,
		    "base64: %zu bytes are too many to encode", len);
	n = (len / 3 + (len % 3 != 0)) * 4;
	s = malloc(n + 1);
	if (s == NULL) {
		r = reg__fail(err, REG_ENOMEM, "base64: out of memory");
		goto out;
	}
	for (i = 0, o = 0; len - i >= 3; i += 3, o += 4) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		s[o] = b64_alphabet[v >> 18];
		s[o + 1] = b64_alphabet[(v >> 12) & 0x3f];
		s[o + 2] = b64_alphabet[(v >> 6) & 0x3f];
		s[o + 3] = b64_alphabet[v & 0x3f];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		s[o] = b64_alphabet[v >> 18];
		s[o + 1] = b64_alphabet[(v >> 12) & 0x3f];
		s[o + 2] = '=';
		s[o + 3] = '=';
		o += 4;
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		s[o] = b64_alphabet[v >> 18];
		s[o + 1] = b64_alphabet[(v >> 12) & 0x3f];
		s[o + 2] = b64_alphabet[(v >> 6) & 0x3f];
		s[o + 3] = '=';
		o += 4;
	}
	REG_ASSERT(o == n);
	s[o] = '\0';
	*out = s;
	s = NULL;	/* transferred */
	r = 0;
out:
	free(s);
	return r;
}

/*
 * Decodes the quartet q, whose last npad characters are padding already
 * checked to be '='; *v receives its 24 bits.  Returns the index of the
 * first character outside the alphabet, or -1.
 */
static int
decode_quartet(const unsigned char *q, int npad, uint32_t *v)
{
	int j, c;

	*v = 0;
	for (j = 0; j < 4; j++) {
		c = j < 4 - npad ? b64_value(q[j]) : 0;
		if (c < 0)
			return j;
		*v = *v << 6 | (uint32_t)c;
	}
	return -1;
}

int
reg_base64_decode(const char *text, size_t len, uint8_t **out,
    size_t *outlen, reg_error *err)
{
	const unsigned char *in = (const unsigned char *)text;
	uint8_t *b = NULL;
	size_t i, o, n;
	uint32_t v;
	int bad, npad = 0, last, r = REG_EINTERNAL;

	*out = NULL;
	*outlen = 0;
	if (text == NULL && len != 0)
		return reg__fail(err, REG_EINVAL, "base64: no text to decode");
	if (len % 4 != 0)
		return reg__fail(err, REG_EINVAL,
		    "base64: length %zu is not a multiple of four", len);
	/* Padding: one or two '=' ending the last quartet, nowhere else. */
	if (len > 0 && in[len - 1] == '=')
		npad = in[len - 2] == '=' ? 2 : 1;
	n = len / 4 * 3 - (size_t)npad;
	/* At least one byte, so that an empty result is not NULL. */
	b = malloc(n > 0 ? n : 1);
	if (b == NULL) {
		r = reg__fail(err, REG_ENOMEM, "base64: out of memory");
		goto out;
	}
	for (i = 0, o = 0; i < len; i += 4) {
		last = i + 4 == len;
		bad = decode_quartet(in + i, last ? npad : 0, &v);
		if (bad >= 0) {
			r = reg__fail(err, REG_EINVAL,
			    "base64: bad character at offset %zu",
			    i + (size_t)bad);
			goto out;
		}
		/* The bits under the padding must be zero (canonical). */
		if (last && ((npad == 1 && (v & 0xff) != 0) ||
		    (npad == 2 && (v & 0xffff) != 0))) {
			r = reg__fail(err, REG_EINVAL,
			    "base64: non-zero bits before the padding");
			goto out;
		}
		b[o++] = v >> 16;
		if (!last || npad < 2)
			b[o++] = (v >> 8) & 0xff;
		if (!last || npad < 1)
			b[o++] = v & 0xff;
	}
	REG_ASSERT(o == n);
	*out = b;
	*outlen = n;
	b = NULL;	/* transferred */
	r = 0;
out:
	free(b);
	return r;
}
