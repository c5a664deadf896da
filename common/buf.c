/* The growable byte buffer of common/buf.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

/* The first allocation: most users write a line, a row or a leaf. */
#define CM_BUF_FIRST 4096

int
cm__buf_grow(struct cm_buf *b, size_t more)
{
	char *np;
	size_t ncap;

	if (b->len + more + 1 <= b->cap)
		return 0;
	if (more > (size_t)-1 / 2 - b->len) {
		b->failed = 1;
		return -1;
	}
	ncap = b->cap ? b->cap : CM_BUF_FIRST;
	while (ncap < b->len + more + 1)
		ncap *= 2;
	np = realloc(b->p, ncap);
	if (np == NULL) {
		b->failed = 1;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

void
cm_buf_reset(struct cm_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
cm_buf_free(struct cm_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
