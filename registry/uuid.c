/* UUIDs per RFC 9562: version 7 (time-ordered) for new records. */
#include "config.h"

#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "registry_int.h"

int
reg_uuid_v7(reg_uuid *out, reg_error *err)
{
	struct timespec ts;
	uint64_t ms;
	int i;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return reg__fail(err, REG_EIO, "cannot read the clock");
	if (RAND_bytes(out->b + 6, 10) != 1)
		return reg__fail(err, REG_ECRYPTO, "cannot draw random bytes");
	ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	for (i = 0; i < 6; i++)
		out->b[i] = (uint8_t)(ms >> (40 - 8 * i));
	out->b[6] = (uint8_t)(0x70 | (out->b[6] & 0x0f));	/* version 7 */
	out->b[8] = (uint8_t)(0x80 | (out->b[8] & 0x3f));	/* variant 10 */
	return 0;
}

void
reg_uuid_format(const reg_uuid *u, char out[REG_UUID_STR])
{
	static const char hex[] = "0123456789abcdef";
	int i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u->b[i] >> 4];
		out[o++] = hex[u->b[i] & 15];
	}
	out[o] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
reg_uuid_parse(const char *s, reg_uuid *out, reg_error *err)
{
	int i, o = 0, hi, lo;

	if (s == NULL || strlen(s) != 36)
		goto bad;
	for (i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				goto bad;
			i++;
			continue;
		}
		hi = hexval(s[i]);
		lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		out->b[o++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return 0;
bad:
	return reg__fail(err, REG_EINVAL,
	    "'%.60s' is not a UUID (8-4-4-4-12 hexadecimal digits)", s ? s : "");
}
