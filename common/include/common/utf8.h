/*
 * UTF-8 (RFC 3629): decoding one character with every ill-formed sequence
 * refused (truncated, overlong, a surrogate, above U+10FFFF, a stray
 * continuation byte, the bytes 0xC0, 0xC1 and 0xF5 to 0xFF), whole-text
 * validation, counting characters, encoding one, and cutting text on a
 * character boundary.
 */
#ifndef COMMON_UTF8_H
#define COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the character at s, of at most n bytes.  Returns its length (1
 * to 4) and sets *cp, or returns 0 (n == 0 or an ill-formed sequence).
 * U+0000 is a character like any other: the caller refuses it if it must.
 */
size_t cm_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Whether the n bytes at s are well-formed UTF-8 throughout. */
bool cm_utf8_valid(const char *s, size_t n);

/* What cm_utf8_text() refuses besides ill-formed UTF-8, or-ed. */
#define CM_UTF8_C0 1		/* control characters U+0000 to U+001F */
#define CM_UTF8_DEL_C1 2	/* DEL and C1, U+007F to U+009F */
#define CM_UTF8_LF_OK 4		/* except the newline, U+000A */

/* Why cm_utf8_text() refused a text. */
#define CM_UTF8_EINVALID (-1)	/* not well-formed UTF-8 */
#define CM_UTF8_ECONTROL (-2)	/* a character that refuse names */

/*
 * Checks that the n bytes at s are well-formed UTF-8 without the
 * characters that refuse names.  Returns 0 or a CM_UTF8_E* code; then
 * *where (when where is not NULL) is the offset of the offending
 * sequence and, for CM_UTF8_ECONTROL, *cp (when not NULL) the character.
 */
int cm_utf8_text(const char *s, size_t n, int refuse, size_t *where,
    uint32_t *cp);

/*
 * The number of characters of the n bytes at s, which the caller knows to
 * be valid UTF-8: the bytes that are not continuation bytes.
 */
size_t cm_utf8_chars(const char *s, size_t n);

/*
 * Writes the character cp (at most U+10FFFF, not a surrogate: the caller
 * checked) to out and returns its length, 1 to 4.
 */
size_t cm_utf8_encode(uint32_t cp, char out[4]);

/*
 * The largest length at most n at which the text s (of at least n bytes,
 * and of more when n is inside it) can be cut without splitting a
 * character: n itself unless s[n] is a continuation byte.
 */
size_t cm_utf8_cut(const char *s, size_t n);

#endif
