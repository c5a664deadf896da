/*
 * libregistry: the record-keeping library of a national small-arms registry.
 * This header gathers its whole API; each part has a header of its own,
 * which may be included alone:
 *
 *   registry/errors.h   error codes, reg_error and the convention every
 *                       function follows (read it first), reg_free()
 *   registry/values.h   SHA-256 hashes, UUIDs, base64
 *   registry/conn.h     the connection (reg_ctx), migrations, transactions
 *   registry/log.h      the signed audit log: Merkle hashing and proofs,
 *                       Ed25519 keys, signed notes, checkpoints, witness
 *                       cosignatures, appends, proofs, verification
 *   registry/records.h  records and their rules: manufacturers, personal
 *                       data, parties, weapons, markings, components,
 *                       events, serial and name folding, a weapon's
 *                       history, reading records, bulk CSV import
 *   registry/search.h   the trace engine's queries (reg_search_*)
 *
 * Apart from it: registry/stores.h (the tracing daemon's stores) and
 * registry/cli.h (the programs' command-line helpers).
 */
#ifndef REGISTRY_REGISTRY_H
#define REGISTRY_REGISTRY_H


#if defined(REG_PART_PROTO) || defined(REG_PART_COMMON)
#error "registry/registry.h: proto and common never include the registry (issue 18, tests/layout.sh)"
#endif
#include "registry/errors.h"
#include "registry/values.h"
#include "registry/conn.h"
#include "registry/log.h"
#include "registry/records.h"
#include "registry/search.h"

#endif
