/*
 * Shared parts of the libFuzzer harnesses (tests/fuzz/README.md): the
 * fixture folder, a check that aborts with a message (a round trip that
 * does not hold is a finding, as a crash is), and a private folder for
 * parsers that read files.
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#ifndef FUZZ_FIXTURES
#error "build.sh defines FUZZ_FIXTURES, the fixture folder"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts, naming the check, when cond is false. */
#define FUZZ_CHECK(cond, ...) \
	do { \
		if (!(cond)) \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)
void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* A copy of data with a NUL after it; free() it. */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* A folder made once per process (removed at exit) holding copies of the
 * fixture files, and the path of name in it (static storage). */
const char *fuzz_workdir(void);
const char *fuzz_path(const char *name);
/* Writes size bytes to name in the work folder; returns its path. */
const char *fuzz_write(const char *name, const uint8_t *data, size_t size);

/* The fixtures' fixed keys (tests/fuzz/make_fixtures.py). */
#define FUZZ_LOG_VKEY \
	"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define FUZZ_JWS_KID "BE/fuzz-1"
extern const uint8_t fuzz_jws_seed[32];

#endif
