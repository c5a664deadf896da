/*
 * The protocol's documents (proto/proto.h): trace request, response,
 * acknowledgement and problem, one harness each, built from this file with
 * FUZZ_DOC set to request, response, ack or problem.
 *
 * Round trip: a document that parses is written in the canonical form
 * (which must succeed: the writer validates as the parser does), that form
 * parses again, and writing it again gives the same bytes.
 *
 * The response harness also signs what it parsed with the fixtures' key of
 * BE and runs the one verifier of a signed answer that tracectl uses
 * (tracectl_verify_response(): signature, document, checkpoint, inclusion
 * proofs) with the fixtures' peers directory.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "fuzz.h"

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define FN(x) CAT(CAT(proto_, FUZZ_DOC), x)

#if defined(FUZZ_DOC_IS_RESPONSE)
#include "tracer_int.h"
#include "tracectl_int.h"

static tr__peers *peers;
static proto_jws_key *key;
#endif

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
#if defined(FUZZ_DOC_IS_RESPONSE)
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;

	if (tr__peers_load(fuzz_path("peers.ini"), &peers, &err) != 0 ||
	    proto_jws_key_from_seed(fuzz_jws_seed, FUZZ_JWS_KID, &key, &perr) != 0)
		fuzz_fail(__FILE__, __LINE__, "fixtures", "%s%s", err.message,
		    perr.message);
#endif
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	proto_error err = PROTO_ERROR_INIT;
	CAT(proto_, FUZZ_DOC) *doc = NULL, *again = NULL;
	char *json = NULL, *json2 = NULL;
	int r;

	r = FN(_parse)((const char *)data, size, &doc, &err);
	FUZZ_CHECK(r <= 0, "parse returned %d", r);
	if (r != 0) {
		FUZZ_CHECK(doc == NULL, "a failed parse left a document");
		FUZZ_CHECK(err.code == r && err.message[0] != '\0',
		    "a failed parse (%d) left no message", r);
		return 0;
	}
	r = FN(_to_json)(doc, &json, &err);
	FUZZ_CHECK(r == 0, "a parsed document does not write back: %s",
	    err.message);
	r = FN(_parse)(json, strlen(json), &again, &err);
	FUZZ_CHECK(r == 0, "the canonical form does not parse: %s\n%s",
	    err.message, json);
	r = FN(_to_json)(again, &json2, &err);
	FUZZ_CHECK(r == 0 && strcmp(json, json2) == 0,
	    "the canonical form is not stable:\n%s\n%s", json,
	    json2 ? json2 : err.message);
#if defined(FUZZ_DOC_IS_RESPONSE)
	{
		proto_error e2 = PROTO_ERROR_INIT;
		struct tracectl_verified v;
		proto_response *resp = NULL;
		char *signed_msg = NULL, why[700];

		if (proto_jws_sign(key, "trace-response/1", json, strlen(json),
		    &signed_msg, &e2) == 0) {
			r = tracectl_verify_response(peers, signed_msg,
			    strlen(signed_msg), &resp, &v, why, sizeof(why));
			FUZZ_CHECK(r == EX_OK || r == EX_VERIFY,
			    "a signed valid response is refused as malformed: %s",
			    why);
			FUZZ_CHECK((r == EX_OK) == (resp != NULL),
			    "the verifier's answer and result disagree");
			proto_response_free(resp);
		}
		proto_free(signed_msg);
	}
#endif
	proto_free(json);
	proto_free(json2);
	FN(_free)(doc);
	FN(_free)(again);
	return 0;
}
