/* libtracer's small helpers: failures and the per-trace arena. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer_int.h"

int
tr__fail(reg_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->code != 0)
		return code;
	err->code = code;
	err->sqlstate[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

#define CHUNK 16384

struct tr__chunk {
	struct tr__chunk *next;
	size_t used, size;
	max_align_t data[];
};

void *
tr__alloc(struct tr__arena *a, size_t n)
{
	struct tr__chunk *c = a->head;
	size_t need = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	void *p;

	if (need == 0)
		need = sizeof(max_align_t);
	if (c == NULL || c->size - c->used < need) {
		size_t size = need > CHUNK ? need : CHUNK;

		c = malloc(sizeof(*c) + size);
		if (c == NULL) {
			a->failed = 1;
			return NULL;
		}
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

char *
tr__strdup(struct tr__arena *a, const char *s)
{
	size_t n;
	char *p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	p = tr__alloc(a, n);
	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

void
tr__copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (size == 0)
		return;
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

char *
tr__printf(struct tr__arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		a->failed = 1;
		return NULL;
	}
	p = tr__alloc(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
tr__arena_free(struct tr__arena *a)
{
	struct tr__chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->failed = 0;
}
