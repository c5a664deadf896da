/*
 * Chain documents (trace-chain/1, proto/README.md), as tracectl reads the
 * payload of GET /v1/traces/{id}/chain (tracer/tracectl/tracectl_remote.c,
 * ask_chain() and chain_show()): JSON with a "hops" array, each hop's
 * signed response checked with tracectl_verify_response() against the
 * fixtures' peers directory, and the hop's request id and State compared
 * with the response's.  The chain has no C codec of its own (tracerd
 * writes it with jansson); these steps are the ones tracectl takes, kept
 * in step with it by hand.
 *
 * Round trip: the document written compactly by jansson loads back equal.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tracer_int.h"
#include "tracectl_int.h"
#include "fuzz.h"

static tr__peers *peers;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	reg_error err = REG_ERROR_INIT;

	if (tr__peers_load(fuzz_path("peers.ini"), &peers, &err) != 0)
		fuzz_fail(__FILE__, __LINE__, "peers", "%s", err.message);
	return 0;
}

static const char *
jstr(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : "";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc, *again, *hops, *h;
	char *out;
	size_t i;

	if (size > PROTO_DOC_MAX)
		return 0;
	doc = json_loadb((const char *)data, size, 0, NULL);
	if (doc == NULL)
		return 0;
	out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	FUZZ_CHECK(out != NULL, "a loaded document does not dump");
	again = json_loads(out, JSON_DECODE_ANY, NULL);
	FUZZ_CHECK(again != NULL && json_equal(doc, again), "the chain differs "
	    "after a round trip:\n%s", out);
	free(out);
	json_decref(again);
	hops = json_object_get(doc, "hops");
	if (!json_is_array(hops) || strcmp(jstr(doc, "id"), "") == 0) {
		json_decref(doc);
		return 0;
	}
	(void)json_is_true(json_object_get(doc, "complete"));
	(void)jstr(json_object_get(doc, "end"), "reason");
	json_array_foreach(hops, i, h) {
		const char *text = jstr(h, "response");
		struct tracectl_verified v;
		proto_response *resp = NULL;
		char why[700];
		int vr;

		(void)json_integer_value(json_object_get(h, "hop"));
		if (*text == '\0')
			continue;
		vr = tracectl_verify_response(peers, text, strlen(text), &resp, &v,
		    why, sizeof(why));
		FUZZ_CHECK(vr == EX_OK || vr == EX_VERIFY || vr == EX_BADREQ,
		    "the verifier returned %d", vr);
		FUZZ_CHECK((vr == EX_OK) == (resp != NULL), "the verifier's "
		    "answer and result disagree");
		if (vr == EX_OK)
			(void)(strcmp(resp->id, jstr(h, "request_id")) != 0 ||
			    strcmp(resp->responding_state, jstr(h, "requested_state")));
		else
			FUZZ_CHECK(why[0] != '\0', "a refusal without a reason");
		proto_response_free(resp);
	}
	json_decref(doc);
	return 0;
}
