/* The bulk importer's internal entry point for the fuzzers; never installed. */
#ifndef REGISTRY_IMPORT_INT_H
#define REGISTRY_IMPORT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "registry/registry.h"

/* Reference data that reg_import_csv() reads from the database. */
struct reg__import_ref {
	const char *countries;		/* assigned codes, concatenated: "BEDEFR" */
	const char *const *types;	/* weapon type codes; NULL-terminated */
	/* Manufacturers: pairs of normalised alias and id; NULL-terminated. */
	const char *const *makers;
};

/*
 * The reading and checking of reg_import_csv() without a database: reads
 * the header and every record of in, checks each row in memory exactly as
 * reg_import_csv() does before it asks the database anything, against ref,
 * and reports every bad row to opts->reject_record (or opts->reject) as
 * reg_import_csv() does, and every good row's lines to good (when not
 * NULL, with opts->arg), all in file order.  stats->imported counts the
 * rows that pass these checks (which the database's checks may still
 * refuse).  Returns what reg_import_csv() returns for the header and for
 * memory.
 */
typedef void (*reg__import_good_cb)(uint64_t line, uint64_t last_line,
    void *arg);
int reg__import_check(FILE *in, const struct reg__import_ref *ref,
    const struct reg_import_opts *opts, reg__import_good_cb good,
    struct reg_import_stats *stats, reg_error *err);

#endif
