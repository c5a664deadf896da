/*
 * The importer's memory for one batch's strings: given out in pieces and
 * taken back all at once, with the blocks kept for the next batch.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "import_int.h"

void *
reg__pool_alloc(struct pool *p, size_t n)
{
	struct pool_blk *b = p->head, **pp;
	size_t cap;

	n = (n + 7) & ~(size_t)7;
	if (b == NULL || b->cap - b->used < n) {
		for (pp = &p->spare; *pp != NULL; pp = &(*pp)->next)
			if ((*pp)->cap >= n)
				break;
		if (*pp != NULL) {
			b = *pp;
			*pp = b->next;
		} else {
			cap = n > IMP_POOL_BLOCK ? n : IMP_POOL_BLOCK;
			b = malloc(sizeof(*b) + cap);
			if (b == NULL) {
				p->failed = 1;
				return NULL;
			}
			b->cap = cap;
		}
		b->used = 0;
		b->next = p->head;
		p->head = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

char *
reg__pool_strndup(struct pool *p, const char *s, size_t n)
{
	char *d = reg__pool_alloc(p, n + 1);

	if (d == NULL)
		return NULL;
	if (n > 0)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
reg__pool_strdup(struct pool *p, const char *s)
{
	return reg__pool_strndup(p, s, strlen(s));
}

void
reg__pool_reset(struct pool *p)
{
	struct pool_blk *b;

	while ((b = p->head) != NULL) {
		p->head = b->next;
		b->next = p->spare;
		p->spare = b;
	}
	p->failed = 0;
}

void
reg__pool_free(struct pool *p)
{
	struct pool_blk *b;

	reg__pool_reset(p);
	while ((b = p->spare) != NULL) {
		p->spare = b->next;
		free(b);
	}
}
