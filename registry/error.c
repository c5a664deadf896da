/* The error model: codes, their text, and filling the caller's struct. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "registry_int.h"

const char *
reg_strerror(int code)
{
	switch (code) {
	case REG_OK:		return "success";
	case REG_ENOMEM:	return "out of memory";
	case REG_EINVAL:	return "malformed input";
	case REG_ECONNECT:	return "cannot connect to the database";
	case REG_EDB:		return "database error";
	case REG_EIO:		return "file or system error";
	case REG_ENOTFOUND:	return "not found";
	case REG_ERANGE:	return "out of range";
	case REG_EVERIFY:	return "verification failed";
	case REG_EMIGRATION:	return "migrations inconsistent";
	case REG_EKEY:		return "unusable key";
	case REG_ECRYPTO:	return "cryptographic failure";
	case REG_EEXIST:	return "already exists";
	case REG_ETOOBIG:	return "over a size limit";
	case REG_ERULE:		return "refused by a record rule";
	case REG_EINTERNAL:	return "internal error";
	case REG_EUNAVAIL:	return "the database is unavailable";
	default:		return "unknown error";
	}
}

void
reg_error_clear(reg_error *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
}

/*
 * Folds a message onto one line: libpq's messages carry newlines and tabs
 * (a hint on a second line), and errors are shown one line each.
 */
static void
one_line(char *m)
{
	char *w = m, *r;

	for (r = m; *r != '\0'; r++) {
		if (*r == '\n' || *r == '\t' || *r == '\r') {
			if (w > m && w[-1] != ' ' && r[1] != '\0')
				*w++ = ' ';
			continue;
		}
		*w++ = *r;
	}
	while (w > m && w[-1] == ' ')
		w--;
	*w = '\0';
}

static void
vfill(reg_error *err, int code, const char *fmt, va_list ap)
{
	int n;

	err->code = code;
	err->sqlstate[0] = '\0';
	n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
	if (n < 0)
		snprintf(err->message, sizeof(err->message), "%s",
		    reg_strerror(code));
	one_line(err->message);
}

int
reg__fail(reg_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->code != 0)
		return code;
	va_start(ap, fmt);
	vfill(err, code, fmt, ap);
	va_end(ap);
	return code;
}

/*
 * REG_EUNAVAIL when a failure says the database went away rather than
 * refused: the connection is broken, or the SQLSTATE is of class 08
 * (connection exception) or 57P01 to 57P03 (admin shutdown, crash
 * shutdown, cannot connect now); else REG_EDB.
 */
static int
pg_code(struct pg_conn *conn, const struct pg_result *res)
{
	const char *state = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (conn != NULL && PQstatus(conn) == CONNECTION_BAD)
		return REG_EUNAVAIL;
	if (state != NULL && (strncmp(state, "08", 2) == 0 ||
	    strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	    strcmp(state, "57P03") == 0))
		return REG_EUNAVAIL;
	return REG_EDB;
}

int
reg__fail_pg(reg_error *err, struct pg_conn *conn,
    const struct pg_result *res, const char *fmt, ...)
{
	va_list ap;
	const char *msg = NULL, *state = NULL;
	size_t len;
	int code = pg_code(conn, res);

	if (err == NULL || err->code != 0)
		return code;
	va_start(ap, fmt);
	vfill(err, code, fmt, ap);
	va_end(ap);
	if (res != NULL) {
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (msg == NULL)
			msg = PQresultErrorMessage(res);
	}
	if ((msg == NULL || *msg == '\0') && conn != NULL)
		msg = PQerrorMessage(conn);
	if (msg != NULL && *msg != '\0') {
		len = strlen(err->message);
		snprintf(err->message + len, sizeof(err->message) - len, ": %s",
		    msg);
		one_line(err->message);
	}
	if (state != NULL && strlen(state) == 5)
		memcpy(err->sqlstate, state, 6);
	return code;
}

void
reg_free(void *p)
{
	free(p);
}

int
reg__fail_ossl(reg_error *err, int code, const char *fmt, ...)
{
	char what[512], buf[256];
	unsigned long e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	e = ERR_peek_error();
	ERR_clear_error();
	if (e == 0)
		return reg__fail(err, code, "%s", what);
	ERR_error_string_n(e, buf, sizeof(buf));
	return reg__fail(err, code, "%s: %s", what, buf);
}
