/* UUIDs per RFC 9562: version 7 (time-ordered) for new records. */
#include "config.h"

#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "common/hex.h"
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
	static const int group[] = { 4, 2, 2, 2, 6 };
	int i, b = 0, o = 0;

	for (i = 0; i < 5; i++) {
		if (i > 0)
			out[o++] = '-';
		cm_hex_encode(u->b + b, (size_t)group[i], out + o);
		b += group[i];
		o += 2 * group[i];
	}
}


int
reg_uuid_parse(const char *s, reg_uuid *out, reg_error *err)
{
	int i, o = 0;

	if (s == NULL || strlen(s) != 36)
		goto bad;
	for (i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				goto bad;
			i++;
			continue;
		}
		/* Either case, as before: only output is lower case. */
		if (cm_hex_decode(s + i, 2, &out->b[o++], CM_HEX_ANYCASE) != 0)
			goto bad;
		i += 2;
	}
	return 0;
bad:
	return reg__fail(err, REG_EINVAL,
	    "'%.60s' is not a UUID (8-4-4-4-12 hexadecimal digits)", s ? s : "");
}
