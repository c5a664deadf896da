/* regctl's commands, one file per group. */
#ifndef REGISTRY_REGCTL_INT_H
#define REGISTRY_REGCTL_INT_H


#if !defined(REG_PART_REGISTRY) && !defined(REG_WHITEBOX)
#error "regctl_int.h is internal to registry/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include "registry/registry.h"

#define PROG "regctl"

/* Options every command takes. */
struct regctl_common {
	const char *db;		/* --db CONNINFO, or NULL */
};

typedef int (*regctl_fn)(struct regctl_common *c, int argc, char **argv);

int regctl_migrate(struct regctl_common *c, int argc, char **argv);
int regctl_status(struct regctl_common *c, int argc, char **argv);
int regctl_local(struct regctl_common *c, int argc, char **argv);
int regctl_key(struct regctl_common *c, int argc, char **argv);
int regctl_log(struct regctl_common *c, int argc, char **argv);
int regctl_manufacturer(struct regctl_common *c, int argc, char **argv);
int regctl_party(struct regctl_common *c, int argc, char **argv);
int regctl_weapon(struct regctl_common *c, int argc, char **argv);
int regctl_mark(struct regctl_common *c, int argc, char **argv);
int regctl_component(struct regctl_common *c, int argc, char **argv);
int regctl_event(struct regctl_common *c, int argc, char **argv);
int regctl_correct(struct regctl_common *c, int argc, char **argv);
int regctl_pii_key(struct regctl_common *c, int argc, char **argv);
int regctl_import(struct regctl_common *c, int argc, char **argv);
/* The personal-data key file: opt, REGISTRY_PII_KEY, or the default. */
const char *regctl_pii_key_path(const char *opt);

/* The signing key's path: opt, REGISTRY_KEY, or the build tree's default. */
const char *regctl_key_path(const char *opt);
/* Loads the signing key, with a hint when the default one is missing. */
int regctl_key_load(const char *opt, reg_key **key, reg_error *err);

/* Prints err and returns the exit status for it (1). */
int regctl_fail(const reg_error *err);
/* Reports a usage error with the command's name and returns 2. */
int regctl_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
