/*
 * What every regctl command reports the same way: a failure of the
 * library, a usage error.  Apart from regctl.c, which dispatches to the
 * commands, so that the commands never call back into the dispatcher.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "registry/cli.h"
#include "regctl_int.h"

int
regctl_fail(const reg_error *err)
{
	cli_report(PROG, err);
	return 1;
}

int
regctl_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG " %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " %s --help'.\n", cmd);
	return 2;
}
