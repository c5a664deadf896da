/*
 * The daemon's configuration (tracer/tracerd/tracerd_config.c, trd_config_load())
 * and the disclosure policy (tracer/policy.c, tr_policy_load()), both INI
 * files read with inih: the input is written as a file in the fuzzers'
 * work folder and loaded as each.  Neither format has a writer, so no
 * round trip; a configuration that loads is asked for its deadlines.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tracerd_int.h"
#include "fuzz.h"

static struct trd_config cf;	/* 300 KB: not on the stack */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)fuzz_workdir();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reg_error err = REG_ERROR_INIT;
	tr_policy *pol = NULL;
	const char *path;
	int r;

	if (size > 65536)
		return 0;
	path = fuzz_write("input.ini", data, size);
	r = trd_config_load(path, &cf, &err);
	FUZZ_CHECK(r <= 0, "load returned %d", r);
	if (r == 0) {
		FUZZ_CHECK(cf.state[0] != '\0', "a configuration without a State");
		(void)trd_config_deadline(&cf, "FR", 1);
		(void)trd_config_deadline(&cf, cf.state, 0);
	} else {
		FUZZ_CHECK(err.message[0] != '\0', "a refusal without a message");
	}
	reg_error_clear(&err);
	r = tr_policy_load(path, &pol, &err);
	FUZZ_CHECK(r <= 0, "policy load returned %d", r);
	FUZZ_CHECK((r == 0) == (pol != NULL), "policy result and code disagree");
	if (pol != NULL)
		FUZZ_CHECK(strlen(tr_policy_state(pol)) == 2, "a policy's State");
	tr_policy_free(pol);
	return 0;
}
