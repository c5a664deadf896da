/*
 * The peers directory (tracer/net/peers.c): the input is written as a file in
 * the fuzzers' work folder, beside the fixtures' key and certificate files
 * that its lines may name, and loaded with tr__peers_load().  There is no
 * writer of the format, so no round trip; a directory that loads is read
 * through every accessor (by code, by route, by kid).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tracer_int.h"
#include "fuzz.h"

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
	tr__peers *p = NULL;
	const struct tr__peer *e;
	char kid[64];
	size_t i;
	int r, k;

	if (size > 65536)
		return 0;
	r = tr__peers_load(fuzz_write("input.ini", data, size), &p, &err);
	FUZZ_CHECK(r <= 0, "load returned %d", r);
	if (r != 0) {
		FUZZ_CHECK(p == NULL && err.message[0] != '\0', "a failed load");
		return 0;
	}
	for (i = 0; i < tr__peers_count(p); i++) {
		e = tr__peers_at(p, i);
		FUZZ_CHECK(e != NULL && tr__peers_get(p, e->code) == e,
		    "entry %zu is not found by its code", i);
		FUZZ_CHECK(e->nkeys >= 1 && e->nkeys <= 8 && e->log_key != NULL,
		    "entry %s has %d keys", e->code, e->nkeys);
		FUZZ_CHECK(tr__peers_route(p, e->code) != NULL, "no route to %s",
		    e->code);
		for (k = 0; k < 3; k++) {
			snprintf(kid, sizeof(kid), "%s/%d", e->code, k);
			(void)tr__peers_key(p, kid);
		}
	}
	(void)tr__peers_key(p, FUZZ_JWS_KID);
	tr__peers_free(p);
	return 0;
}
