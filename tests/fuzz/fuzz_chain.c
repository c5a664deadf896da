/*
 * Chain documents (trace-chain/1, proto/README.md 13.6), as tracectl reads
 * the payload of GET /v1/traces/{id}/chain (tracer/tracectl/tracectl_remote.c,
 * ask_chain() and chain_show()): proto_chain_parse(), then each hop's
 * signed response checked with tracectl_verify_response() against the
 * fixtures' peers directory, and the hop's request id and State compared
 * with the response's.
 *
 * Round trip: a chain that parses is written by the codec, which reads it
 * back to the same document, written alike.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	proto_error err = PROTO_ERROR_INIT;
	proto_chain *doc = NULL, *again = NULL;
	char *out = NULL, *out2 = NULL;
	size_t i;
	int r;

	r = proto_chain_parse((const char *)data, size, &doc, &err);
	FUZZ_CHECK(r <= 0 && (r == 0) == (doc != NULL), "parse returned %d", r);
	if (r != 0) {
		FUZZ_CHECK(err.message[0] != '\0', "a refusal without a reason");
		return 0;
	}
	r = proto_chain_to_json(doc, &out, &err);
	FUZZ_CHECK(r == 0, "a parsed chain does not write: %s", err.message);
	r = proto_chain_parse(out, strlen(out), &again, &err);
	FUZZ_CHECK(r == 0, "a written chain does not parse: %s", err.message);
	r = proto_chain_to_json(again, &out2, &err);
	FUZZ_CHECK(r == 0 && strcmp(out, out2) == 0, "the chain differs after a "
	    "round trip:\n%s", out);
	proto_free(out);
	proto_free(out2);
	proto_chain_free(again);
	for (i = 0; i < doc->n_hops; i++) {
		const struct proto_chain_hop *h = &doc->hops[i];
		struct tracectl_verified v;
		proto_response *resp = NULL;
		char why[700];
		int vr;

		if (h->response == NULL)
			continue;
		vr = tracectl_verify_response(peers, h->response,
		    strlen(h->response), &resp, &v, why, sizeof(why));
		FUZZ_CHECK(vr == EX_OK || vr == EX_VERIFY || vr == EX_BADREQ,
		    "the verifier returned %d", vr);
		FUZZ_CHECK((vr == EX_OK) == (resp != NULL), "the verifier's "
		    "answer and result disagree");
		if (vr == EX_OK)
			(void)(strcmp(resp->id, h->request_id) != 0 ||
			    strcmp(resp->responding_state, h->requested_state));
		else
			FUZZ_CHECK(why[0] != '\0', "a refusal without a reason");
		proto_response_free(resp);
	}
	proto_chain_free(doc);
	return 0;
}
