/*
 * Hexadecimal (RFC 4648 section 8, "base16"): written in lower case;
 * read in lower case only unless the caller accepts both cases, as some
 * inputs (HTTP chunk sizes and percent escapes, JSON \u escapes) must.
 */
#ifndef COMMON_HEX_H
#define COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Flag: accept 'A' to 'F' as well as 'a' to 'f'. */
#define CM_HEX_ANYCASE 1

/* The value (0 to 15) of the hex digit c, or -1 when c is not one. */
int cm_hex_digit(int c, int flags);

/*
 * Writes the n bytes at in as 2 * n lower-case hex digits and a NUL into
 * out (room for 2 * n + 1 characters).
 */
void cm_hex_encode(const void *in, size_t n, char *out);

/*
 * Decodes the len hex digits at s into out (room for len / 2 bytes).
 * Returns 0, or -1 when len is odd or a character is not a digit that
 * flags accept (out is then unspecified).  Reading stops at the first
 * character that is not a digit, so s may be a shorter C string.
 */
int cm_hex_decode(const char *s, size_t len, uint8_t *out, int flags);

#endif
