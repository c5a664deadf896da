/* What the daemon's stores (registry/stores/) share; never installed. */
#ifndef REGISTRY_STORES_STORES_INT_H
#define REGISTRY_STORES_STORES_INT_H


#if !defined(REG_PART_REGISTRY) && !defined(REG_WHITEBOX)
#error "stores_int.h is internal to registry/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include "record_int.h"
#include "registry/stores.h"

/*
 * Stores the acknowledgement ack_cb writes for the record id just written
 * at leaf idx, with sql ($1 id, $2 the message); what names the record in
 * errors.  In an own transaction (tx->own), the insert is its last
 * statement, sent with COMMIT (tx->own is then cleared: committed, or
 * rolled back on failure).  *ack receives the message (free it).
 */
int reg__ack_store(reg_ctx *ctx, struct reg__tx *tx, const char *sql,
    const char *what, const char *id, uint64_t idx, reg_trace_ack_cb ack_cb,
    void *arg, char **ack, reg_error *err);

#endif
