/*
 * libregistry's error codes and the convention every function follows, the
 * export and warn_unused_result markers of its declarations, and reg_free().
 * Part of the API that registry/registry.h gathers.
 *
 * Every fallible function returns 0 on success or a negative REG_E* code,
 * and fills the caller's reg_error with the code, a message and, where the
 * database gave one, its SQLSTATE.  The first failure is kept: a reg_error
 * that already holds a failure is not overwritten, so initialise it with
 * REG_ERROR_INIT (or reg_error_clear()) before each operation whose failure
 * you want to report.  The library never prints, logs, exits or reads the
 * environment.
 */
#ifndef REGISTRY_ERRORS_H
#define REGISTRY_ERRORS_H


#if defined(REG_PART_PROTO) || defined(REG_PART_COMMON)
#error "registry/errors.h: proto and common never include the registry (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define REG_API __attribute__((visibility("default")))
#define REG_WUR __attribute__((warn_unused_result))
#else
#define REG_API
#define REG_WUR
#endif

/* Error codes.  Verification failure has its own code, distinct from
 * malformed input. */
enum {
	REG_OK = 0,
	REG_ENOMEM = -1,	/* out of memory */
	REG_EINVAL = -2,	/* malformed argument or input */
	REG_ECONNECT = -3,	/* cannot connect to the database */
	REG_EDB = -4,		/* the database refused or failed */
	REG_EIO = -5,		/* file or system error */
	REG_ENOTFOUND = -6,	/* no such record, file or key */
	REG_ERANGE = -7,	/* index or size out of range */
	REG_EVERIFY = -8,	/* verification failed: data does not hold */
	REG_EMIGRATION = -9,	/* migrations folder or history inconsistent */
	REG_EKEY = -10,		/* unusable key */
	REG_ECRYPTO = -11,	/* cryptographic library failure */
	REG_EEXIST = -12,	/* already exists */
	REG_ETOOBIG = -13,	/* input over a documented limit */
	REG_ERULE = -14,	/* a record rule refused the write */
	REG_EINTERNAL = -15,	/* internal error (a bug) */
	REG_EUNAVAIL = -16	/* the database went away (connection lost,
				 * server shutting down): try again later */
};

#define REG_ERROR_MSG_MAX 1024

typedef struct reg_error {
	int code;			/* 0 or a REG_E* code */
	char sqlstate[6];		/* five characters and NUL, or "" */
	char message[REG_ERROR_MSG_MAX];
} reg_error;

#define REG_ERROR_INIT { 0, "", "" }

/* Static text for an error code; never NULL. */
REG_API const char *reg_strerror(int code);
/* Empties an error struct. */
REG_API void reg_error_clear(reg_error *err);

/* Frees memory the library handed out; accepts NULL. */
REG_API void reg_free(void *p);

#ifdef __cplusplus
}
#endif

#endif
