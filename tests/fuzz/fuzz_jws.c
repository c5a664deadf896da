/*
 * JWS compact serialisations (proto_jws_parse(), proto_jws_verify()).
 *
 * Round trip: the kid, cty and payload of a message that parses, signed
 * again with the fixtures' key, parse back to the same kid, cty and
 * payload and verify; a message that verified with that key is, since
 * Ed25519 signatures are deterministic and the parser takes only the
 * canonical encoding, byte for byte the message signed again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "fuzz.h"

static proto_jws_key *key, *other;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	proto_error err = PROTO_ERROR_INIT;
	uint8_t seed2[32];

	memset(seed2, 0x5a, sizeof(seed2));
	if (proto_jws_key_from_seed(fuzz_jws_seed, FUZZ_JWS_KID, &key, &err) != 0 ||
	    proto_jws_key_from_seed(seed2, "BE/other", &other, &err) != 0)
		fuzz_fail(__FILE__, __LINE__, "keys", "%s", err.message);
	return 0;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	proto_error err = PROTO_ERROR_INIT;
	proto_jws *j = NULL, *j2 = NULL;
	const uint8_t *p, *p2;
	char *again = NULL;
	size_t n, n2;
	int r, verified;

	r = proto_jws_parse((const char *)data, size, &j, &err);
	FUZZ_CHECK(r <= 0, "parse returned %d", r);
	if (r != 0) {
		FUZZ_CHECK(j == NULL && err.message[0] != '\0', "a failed parse");
		return 0;
	}
	verified = proto_jws_verify(j, key, &err) == 0;
	proto_error_clear(&err);
	FUZZ_CHECK(proto_jws_verify(j, other, &err) == PROTO_EVERIFY || !verified,
	    "one message verifies with two keys");
	p = proto_jws_payload(j, &n);
	/* The signer takes a kid only from its key: sign with a key of the
	 * message's kid. */
	if (same(proto_jws_kid(j), FUZZ_JWS_KID)) {
		r = proto_jws_sign(key, proto_jws_cty(j), p, n, &again, &err);
		FUZZ_CHECK(r == 0, "a parsed message does not sign again: %s",
		    err.message);
		r = proto_jws_parse(again, strlen(again), &j2, &err);
		FUZZ_CHECK(r == 0, "a signed message does not parse: %s", err.message);
		p2 = proto_jws_payload(j2, &n2);
		FUZZ_CHECK(same(proto_jws_kid(j), proto_jws_kid(j2)) &&
		    same(proto_jws_cty(j), proto_jws_cty(j2)) && n == n2 &&
		    (n == 0 || memcmp(p, p2, n) == 0), "signed again, the message "
		    "differs");
		FUZZ_CHECK(proto_jws_verify(j2, key, &err) == 0, "a signed message "
		    "does not verify: %s", err.message);
		FUZZ_CHECK(!verified || (strlen(again) == size &&
		    memcmp(again, data, size) == 0), "a message that verified is not "
		    "its own canonical form:\n%.*s\n%s", (int)size, (const char *)data,
		    again);
	}
	proto_free(again);
	proto_jws_free(j2);
	proto_jws_free(j);
	return 0;
}
