/*
 * libregistry's small values: SHA-256 hashes, UUIDs and base64.  Part of
 * the API that registry/registry.h gathers.
 */
#ifndef REGISTRY_VALUES_H
#define REGISTRY_VALUES_H


#if defined(REG_PART_PROTO) || defined(REG_PART_COMMON)
#error "registry/values.h: proto and common never include the registry (issue 18, tests/layout.sh)"
#endif
#include <stddef.h>
#include <stdint.h>

#include "registry/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A SHA-256 value. */
struct reg_hash {
	uint8_t b[32];
};

/*
 * UUIDs (RFC 9562).  New records get version 7 (time-ordered).
 */
typedef struct reg_uuid {
	uint8_t b[16];
} reg_uuid;
#define REG_UUID_STR 37
REG_API REG_WUR int reg_uuid_v7(reg_uuid *out, reg_error *err);
REG_API void reg_uuid_format(const reg_uuid *u, char out[REG_UUID_STR]);
/* Parses the 8-4-4-4-12 hexadecimal form. */
REG_API REG_WUR int reg_uuid_parse(const char *s, reg_uuid *out, reg_error *err);

/* Standard base64 (RFC 4648 section 4, with padding).  Encoding returns a
 * NUL-terminated string to free with reg_free(); decoding is strict
 * (no white space, correct padding) and returns REG_EINVAL otherwise. */
REG_API REG_WUR int reg_base64_encode(const void *data, size_t len,
    char **out, reg_error *err);
REG_API REG_WUR int reg_base64_decode(const char *text, size_t len,
    uint8_t **out, size_t *outlen, reg_error *err);

#ifdef __cplusplus
}
#endif

#endif
