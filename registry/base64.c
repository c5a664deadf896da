/*
 * Standard base64 (RFC 4648 section 4) with padding, in the registry's
 * public API: allocation and error reporting around common/base64.c, which
 * does the coding.  Decoding is strict: the input is whole quartets of
 * alphabet characters, padding appears only as one or two '=' at the very
 * end, and the bits that padding leaves over in the last character are
 * zero, so that every byte string has exactly one accepted encoding.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "common/base64.h"
#include "registry_int.h"

int
reg_base64_encode(const void *data, size_t len, char **out, reg_error *err)
{
	size_t n;

	*out = NULL;
	if (data == NULL && len != 0)
		return reg__fail(err, REG_EINVAL, "base64: no data to encode");
	n = cm_base64_encoded_len(len, 0);
	if (n == SIZE_MAX)
		return reg__fail(err, REG_ETOOBIG,
		    "base64: %zu bytes are too many to encode", len);
	if ((*out = malloc(n + 1)) == NULL)
		return reg__fail(err, REG_ENOMEM, "base64: out of memory");
	cm_base64_encode(data, len, *out, 0);
	return 0;
}

int
reg_base64_decode(const char *text, size_t len, uint8_t **out,
    size_t *outlen, reg_error *err)
{
	uint8_t *b = NULL;
	size_t n, where = 0;
	int r;

	*out = NULL;
	*outlen = 0;
	if (text == NULL && len != 0)
		return reg__fail(err, REG_EINVAL, "base64: no text to decode");
	if (len % 4 != 0)
		return reg__fail(err, REG_EINVAL,
		    "base64: length %zu is not a multiple of four", len);
	/* At least one byte, so that an empty result is not NULL. */
	n = cm_base64_decoded_max(len, 0);
	if ((b = malloc(n > 0 ? n : 1)) == NULL)
		return reg__fail(err, REG_ENOMEM, "base64: out of memory");
	r = cm_base64_decode(text, len, b, &n, &where, 0);
	if (r != 0) {
		free(b);
		if (r == CM_BASE64_EBITS)
			return reg__fail(err, REG_EINVAL,
			    "base64: non-zero bits before the padding");
		return reg__fail(err, REG_EINVAL,
		    "base64: bad character at offset %zu", where);
	}
	*out = b;
	*outlen = n;
	return 0;
}
