/*
 * tracectl's reading and printing, shared by its commands: files read whole
 * within a limit, the trace request read and parsed, text from the network
 * printed without its control characters, JSON payloads and
 * acknowledgements shown, and a pause between two questions.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "registry/cli.h"
#include "tracectl_int.h"

int
tracectl_read_all(FILE *f, size_t max, char **out, size_t *len)
{
	size_t cap = 65536, n = 0, got;
	char *buf = malloc(cap + 1), *nb;

	if (buf == NULL)
		return -1;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(buf);
				return -2;
			}
			cap *= 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n > max) {
			free(buf);
			return -2;
		}
	}
	if (ferror(f)) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int
tracectl_read_request(const char *prog, const char *path, proto_request **out,
    const char **name)
{
	proto_error perr = PROTO_ERROR_INIT;
	char *doc = NULL;
	size_t len = 0;
	int r;
	FILE *f;

	*out = NULL;
	if (path == NULL || strcmp(path, "-") == 0) {
		f = stdin;
		path = "standard input";
	} else if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
		return EX_FAIL;
	}
	*name = path;
	r = tracectl_read_all(f, PROTO_DOC_MAX, &doc, &len);
	if (f != stdin)
		fclose(f);
	if (r == -2) {
		fprintf(stderr, "%s: %s: the request is over %u bytes, the protocol's "
		    "limit\n", prog, path, PROTO_DOC_MAX);
		return EX_BADREQ;
	}
	if (r != 0) {
		fprintf(stderr, "%s: cannot read %s\n", prog, path);
		return EX_FAIL;
	}
	r = proto_request_parse(doc, len, out, &perr);
	free(doc);
	if (r != 0) {
		fprintf(stderr, "%s: %s: malformed trace request: %s\n", prog, path,
		    perr.message);
		return EX_BADREQ;
	}
	return -1;
}

/* Prints text from the network with control characters as spaces. */
void
put_clean(FILE *f, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < max; i++)
		fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i], f);
}

/* Prints a payload (JSON) as it is, or indented. */
int
print_json(const uint8_t *doc, size_t len, int pretty)
{
	json_t *j;
	char *p;

	if (!pretty) {
		fwrite(doc, 1, len, stdout);
		putchar('\n');
		return 0;
	}
	j = json_loadb((const char *)doc, len, 0, NULL);
	p = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (p == NULL)
		return -1;
	puts(p);
	free(p);
	return 0;
}

void
print_ack(const char *state, const proto_ack *a)
{
	size_t i;

	printf("request %s: %s at %s\n", a->request_id, a->status, state);
	printf("  received at   %s\n", a->received_at);
	printf("  due by        %s\n", a->due_by);
	if (a->responded_at[0] != '\0')
		printf("  responded at  %s\n", a->responded_at);
	if (a->has_log_index || a->log_index != 0)
		printf("  log index     %lld\n", (long long)a->log_index);
	for (i = 0; i < a->n_status_reasons; i++) {
		fputs("  reason        ", stdout);
		put_clean(stdout, a->status_reasons[i], 1000);
		putchar('\n');
	}
}

void
pause_for(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
