/* The error model: codes, their text, and filling the caller's struct. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "proto_int.h"

const char *
proto_strerror(int code)
{
	switch (code) {
	case PROTO_OK:		return "success";
	case PROTO_ENOMEM:	return "out of memory";
	case PROTO_EINVAL:	return "bad argument";
	case PROTO_ESYNTAX:	return "not well-formed JSON";
	case PROTO_ESCHEMA:	return "unknown document type or version";
	case PROTO_EMISSING:	return "required member missing";
	case PROTO_EUNKNOWN:	return "unknown member";
	case PROTO_ETYPE:	return "member of the wrong type";
	case PROTO_EVALUE:	return "invalid value";
	case PROTO_ETOOBIG:	return "over a size limit";
	case PROTO_EVERIFY:	return "verification failed";
	case PROTO_EINTERNAL:	return "internal error";
	default:		return "unknown error";
	}
}

void
proto_error_clear(proto_error *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
}

void
proto_free(void *p)
{
	free(p);
}

int
proto__vfail(proto_error *err, int code, const char *field, const char *fmt,
    va_list ap)
{
	size_t n;
	char *m;

	if (err == NULL || err->code != 0)
		return code;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field);
	n = (size_t)snprintf(err->message, sizeof(err->message), "%s: ",
	    *field != '\0' ? field : "document");
	if (n < sizeof(err->message))
		vsnprintf(err->message + n, sizeof(err->message) - n, fmt, ap);
	/* Messages are one line each, whatever the input held. */
	for (m = err->message; *m != '\0'; m++)
		if ((unsigned char)*m < 0x20)
			*m = ' ';
	return code;
}

int
proto__fail(proto_error *err, int code, const char *field, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = proto__vfail(err, code, field, fmt, ap);
	va_end(ap);
	return code;
}

void
proto__excerpt(const char *s, size_t len, size_t max, char *buf, size_t bufsz)
{
	size_t i, o = 0, chars = 0;

	if (bufsz == 0)
		return;
	for (i = 0; i < len && o + 4 < bufsz; i++) {
		unsigned char c = (unsigned char)s[i];

		/* One '?' stands for a whole multi-byte character. */
		if ((c & 0xc0) == 0x80)
			continue;
		if (chars == max) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		chars++;
	}
	buf[o] = '\0';
}
