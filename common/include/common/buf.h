/*
 * A growable byte buffer, always NUL-terminated once anything was added,
 * that remembers a failed allocation: a series of appends is checked once,
 * by looking at failed after it.
 */
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stddef.h>
#include <string.h>

struct cm_buf {
	char *p;			/* NULL until the first append */
	size_t len, cap;
	int failed;			/* an allocation failed: appends do nothing */
};

#define CM_BUF_INIT { NULL, 0, 0, 0 }

/* Makes room for more bytes and the NUL (the slow path of the appends);
 * 0, or -1 with b->failed set when out of memory. */
int cm__buf_grow(struct cm_buf *b, size_t more);

/* Appends n bytes (n may be 0). */
static inline void
cm_buf_add(struct cm_buf *b, const void *s, size_t n)
{
	if (b->failed || (b->len + n + 1 > b->cap && cm__buf_grow(b, n) != 0))
		return;
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Appends a string without its NUL. */
static inline void
cm_buf_adds(struct cm_buf *b, const char *s)
{
	cm_buf_add(b, s, strlen(s));
}

/* Appends one byte. */
static inline void
cm_buf_addc(struct cm_buf *b, char c)
{
	if (b->failed || (b->len + 2 > b->cap && cm__buf_grow(b, 1) != 0))
		return;
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

/* Empties b and clears its failure, keeping its memory. */
void cm_buf_reset(struct cm_buf *b);

/* Frees b's memory and empties it; b itself is the caller's. */
void cm_buf_free(struct cm_buf *b);

#endif
