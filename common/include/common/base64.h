/*
 * Base64 (RFC 4648): the standard alphabet (section 4) and the URL-safe
 * one (section 5), with or without '=' padding.  Decoding is strict: only
 * characters of the chosen alphabet, padding only where the flags ask for
 * it and only at the very end, and the bits that the last character leaves
 * over are zero, so that every byte string has exactly one accepted text.
 * No allocation: the caller gives buffers of the sizes stated below.
 */
#ifndef COMMON_BASE64_H
#define COMMON_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Flags, or-ed: the URL-safe alphabet ('-' and '_' for '+' and '/'), and
 * no padding (none written, none accepted). */
#define CM_BASE64_URL 1
#define CM_BASE64_NOPAD 2

/* Why cm_base64_decode() refused a text. */
#define CM_BASE64_ELENGTH (-1)	/* a length no encoding has */
#define CM_BASE64_ECHAR (-2)	/* a byte outside the alphabet, or
				 * padding where none may be */
#define CM_BASE64_EBITS (-3)	/* non-zero bits left over at the end */

/* The value (0 to 63) of the character c in the alphabet that flags
 * choose, or -1 when c is not one of it ('=' never is). */
int cm_base64_digit(int c, int flags);

/*
 * The length of the encoding of n bytes, without the terminating NUL, or
 * SIZE_MAX when it would not fit a size_t.
 */
size_t cm_base64_encoded_len(size_t n, int flags);

/*
 * Encodes the n bytes at in into out, which has room for
 * cm_base64_encoded_len(n, flags) + 1 characters; out ends with a NUL.
 */
void cm_base64_encode(const void *in, size_t n, char *out, int flags);

/*
 * The most bytes that len characters decode to: the size out needs in
 * cm_base64_decode().
 */
size_t cm_base64_decoded_max(size_t len, int flags);

/*
 * Decodes the len characters at text into out (room for
 * cm_base64_decoded_max(len, flags) bytes) and sets *outlen.  Returns 0,
 * or a negative CM_BASE64_E* code; for CM_BASE64_ECHAR, *where (when
 * where is not NULL) is the offset of the first bad character.
 */
int cm_base64_decode(const char *text, size_t len, uint8_t *out,
    size_t *outlen, size_t *where, int flags);

#endif
