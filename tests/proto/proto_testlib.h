/*
 * What the codec's Check programs (check_proto, check_codecs) share: the
 * source tree, its files, and tests/validate_schemas.py.
 */
#ifndef TESTS_PROTO_TESTLIB_H
#define TESTS_PROTO_TESTLIB_H

#include <stddef.h>

/* The source tree's top (REG_TEST_SRCDIR, else "."). */
const char *pt_srcdir(void);
/* A file under the source tree, whole and NUL-terminated; *len its size
 * when len is not NULL.  Fails the test when it cannot be read. */
char *pt_read_src(const char *rel, size_t *len);
/* Runs tests/validate_schemas.py with args (Debian's python3-jsonschema);
 * returns its exit status. */
int pt_run_schemas(const char *args);

#endif
