/*
 * Base64 of RFC 4648, sections 4 and 5: the one implementation that the
 * registry (notes, checkpoints, leaves), the protocol (hashes in documents,
 * JWS) and the tests share.  See common/base64.h for the rules.
 */
#include "config.h"

#include "common/base64.h"

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The value of an alphabet character, or -1 for any other byte. */
static int
value(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

int
cm_base64_digit(int c, int flags)
{
	if (c < 0 || c > 255)
		return -1;
	return value((unsigned char)c, (flags & CM_BASE64_URL) != 0);
}

size_t
cm_base64_encoded_len(size_t n, int flags)
{
	size_t groups = n / 3, rest = n % 3;

	if (groups > (SIZE_MAX - 5) / 4)
		return SIZE_MAX;
	if (rest == 0)
		return groups * 4;
	return groups * 4 + ((flags & CM_BASE64_NOPAD) ? rest + 1 : 4);
}

void
cm_base64_encode(const void *data, size_t n, char *out, int flags)
{
	const char *a = (flags & CM_BASE64_URL) ? url_alphabet : std_alphabet;
	const uint8_t *in = data;
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; n - i >= 3; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 0x3f];
		out[o++] = a[(v >> 6) & 0x3f];
		out[o++] = a[v & 0x3f];
	}
	if (n - i == 1) {
		out[o++] = a[in[i] >> 2];
		out[o++] = a[(in[i] & 3) << 4];
		if (!(flags & CM_BASE64_NOPAD)) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 8 | in[i + 1];
		out[o++] = a[v >> 10];
		out[o++] = a[(v >> 4) & 0x3f];
		out[o++] = a[(v & 15) << 2];
		if (!(flags & CM_BASE64_NOPAD))
			out[o++] = '=';
	}
	out[o] = '\0';
}

size_t
cm_base64_decoded_max(size_t len, int flags)
{
	(void)flags;
	return len / 4 * 3 + (len % 4) * 3 / 4;
}

/*
 * The number of characters of text that carry data: all of them without
 * padding, else all but the one or two '=' ending the last quartet.
 * CM_BASE64_ELENGTH for a length that no encoding has.
 */
static int
data_chars(const unsigned char *in, size_t len, int flags, size_t *body)
{
	size_t npad = 0;

	if (flags & CM_BASE64_NOPAD) {
		if (len % 4 == 1)
			return CM_BASE64_ELENGTH;
	} else {
		if (len % 4 != 0)
			return CM_BASE64_ELENGTH;
		if (len > 0 && in[len - 1] == '=')
			npad = in[len - 2] == '=' ? 2 : 1;
	}
	*body = len - npad;
	return 0;
}

int
cm_base64_decode(const char *text, size_t len, uint8_t *out,
    size_t *outlen, size_t *where, int flags)
{
	const unsigned char *in = (const unsigned char *)text;
	int url = (flags & CM_BASE64_URL) != 0;
	size_t body = 0, i, k, o = 0;
	int v[4];

	*outlen = 0;
	if (data_chars(in, len, flags, &body) != 0)
		return CM_BASE64_ELENGTH;
	for (i = 0; i < body; i += 4) {
		size_t m = body - i < 4 ? body - i : 4;

		for (k = 0; k < 4; k++) {
			v[k] = k < m ? value(in[i + k], url) : 0;
			if (v[k] < 0) {
				if (where != NULL)
					*where = i + k;
				return CM_BASE64_ECHAR;
			}
		}
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (m > 2)
			out[o++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
		if (m > 3)
			out[o++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
		/* The bits under the end must be zero (canonical). */
		if ((m == 2 && (v[1] & 15) != 0) || (m == 3 && (v[2] & 3) != 0))
			return CM_BASE64_EBITS;
	}
	*outlen = o;
	return 0;
}
