/*
 * Encryption at rest of private persons' identifying data (name, address,
 * identity document, date of birth) for the registry's party records.
 * Internal to libregistry; never installed.  The blob, commitment and key
 * file formats are described at the top of pii.c.
 */
#ifndef REGISTRY_PII_INT_H
#define REGISTRY_PII_INT_H


#if !defined(REG_PART_REGISTRY) && !defined(REG_WHITEBOX)
#error "pii_int.h is internal to registry/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include "registry/registry.h"

/* struct reg_person, REG_PII_FIELD_MAX and reg_pii_keyring are public:
 * see registry/registry.h. */


/* Creates a key file with one new random 256-bit key (mode 0600, O_EXCL: REG_EEXIST if it exists), or with rotate=1 adds a new key as the active (first) one to an existing file, keeping the old ones (written to a temp file in the same folder, fsync'd, then rename()d; mode 0600 kept). Returns the new key id in *id (may be NULL). */
int reg__pii_keygen(const char *path, int rotate, uint32_t *id, reg_error *err);

/*
 * Loads the key file at path.  On success *out owns the keyring; free it
 * with reg__pii_keyring_free().  A missing file is REG_ENOTFOUND; a file
 * open to group or others, a malformed line (named by its number), a
 * duplicate key id or a file without keys is REG_EKEY.
 */
int reg__pii_keyring_load(const char *path, reg_pii_keyring **out, reg_error *err);
void reg__pii_keyring_free(reg_pii_keyring *kr);   /* wipes; accepts NULL */

/* Encrypts p with the active key. record_id (16-byte UUID) is bound as associated data, so a blob moved to another record does not open. *blob (malloc'd, free()) and *commitment receive the results. */
int reg__pii_seal(const reg_pii_keyring *kr, const uint8_t record_id[16], const struct reg_person *p, uint8_t **blob, size_t *bloblen, struct reg_hash *commitment, reg_error *err);

/* Decrypts with the key the blob names; REG_EKEY if the keyring lacks it, REG_EVERIFY if authentication fails (tampered, wrong record), REG_EINVAL if malformed. Fills *p and, if not NULL, *commitment (recomputed, so callers can compare it with the stored one). */
int reg__pii_open(const reg_pii_keyring *kr, const uint8_t record_id[16], const uint8_t *blob, size_t bloblen, struct reg_person *p, struct reg_hash *commitment, reg_error *err);

/* Validates a person: fields valid UTF-8 without control characters, within limits, birth_date empty or a real calendar date YYYY-MM-DD, name non-empty. REG_EINVAL naming the field. */
int reg__pii_check(const struct reg_person *p, reg_error *err);

#endif
