/*
 * Reading INI files with inih, line by line, so that every fault is
 * reported with its own line: inih returns the first line it refused, and
 * a handler's message is shown only with the line it was written for.  A
 * line too long for inih (which would cut it in two and read the rest as a
 * line of its own) is refused as such.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tracer_int.h"

int
tr__ini_fail(struct tr__ini *in, const char *fmt, ...)
{
	va_list ap;

	if (in->msg[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(in->msg, sizeof(in->msg), fmt, ap);
		va_end(ap);
		in->msg_line = in->line;
	}
	return 0;
}

static char *
reader(char *buf, int size, void *arg)
{
	struct tr__ini *in = arg;
	size_t n;
	int c;

	if (fgets(buf, size, in->f) == NULL)
		return NULL;
	in->line++;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] != '\n' && !feof(in->f)) {
		while ((c = fgetc(in->f)) != EOF && c != '\n')
			;
		if (in->long_line == 0)
			in->long_line = in->line;
		/* A line inih refuses, in place of the cut one. */
		snprintf(buf, (size_t)size, "=\n");
	}
	return buf;
}

int
tr__ini_run(struct tr__ini *in, const char *path, ini_handler handler,
    reg_error *err)
{
	int line = ini_parse_stream(reader, in, handler, in);

	if (line > 0 && line == in->long_line)
		return tr__fail(err, REG_EINVAL, "%s:%d: the line is longer than %d "
		    "bytes", path, line, INI_MAX_LINE - 2);
	if (line > 0)
		return tr__fail(err, REG_EINVAL, "%s:%d: %s", path, line,
		    in->msg[0] && in->msg_line == line ? in->msg :
		    "not a [section] or key = value line");
	if (line < 0)
		return tr__fail(err, REG_EIO, "cannot read %s", path);
	return 0;
}
