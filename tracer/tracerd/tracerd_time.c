/* Times as the daemon writes and reads them: RFC 3339 UTC. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tracerd_int.h"

time_t
trd_rfc3339_seconds(const char *s)
{
	struct tm tm;
	const char *end;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	end = s + n;
	if (*end == '.')
		end += 1 + strspn(end + 1, "0123456789");
	if (strcmp(end, "Z") != 0)
		return 0;
	return timegm(&tm);
}

void
trd_timestamp(const struct timespec *t, char out[32])
{
	struct tm tm;
	char s[24];

	gmtime_r(&t->tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", s, (int)(t->tv_nsec / 1000000) % 1000);
}
