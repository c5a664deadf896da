/*
 * tracectl verify: checks a saved signed trace response with the one
 * verifier of tracer/net/verify.c (signature, checkpoint, inclusion
 * proofs), and tracectl_verify_response(), the same check in the terms of
 * tracectl's exit statuses, for the hops of a chain.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/cli.h"
#include "tracectl_int.h"

static void
verify_usage(FILE *f)
{
	fprintf(f,
	    "Usage: " PROG " verify --peers FILE [--json] [RESPONSE]\n"
	    "\n"
	    "Checks a saved trace response, signed as a JWS (from FILE, or standard\n"
	    "input): the signature with the responding State's key named by its kid in\n"
	    "the peers directory (a kid of that State only); the document with the\n"
	    "codec; the checkpoint it names with the State's log verifier key; and\n"
	    "every event's inclusion proof against that checkpoint's root (RFC 9162).\n"
	    "\n"
	    "  --peers FILE  the peers directory (tracerd(8))\n"
	    "  --json        print the result as JSON\n"
	    "\n"
	    "Exit status: 0 when everything verifies; 4 when something does not (a\n"
	    "signature, the checkpoint, a proof); 3 for a malformed message or\n"
	    "document; 2 for bad usage; 1 when a file cannot be read.\n");
}

int
tracectl_verify_response(const tr__peers *peers, const char *text, size_t len,
    proto_response **out, struct tracectl_verified *v, char *why, size_t whylen)
{
	reg_error err = REG_ERROR_INIT;
	struct tr__verified tv;
	int r;

	r = tr__response_verify(peers, NULL, NULL, text, len, out, &tv, &err);
	snprintf(v->kid, sizeof(v->kid), "%s", tv.kid);
	v->has_checkpoint = tv.has_checkpoint;
	v->checkpoint_size = tv.checkpoint_size;
	v->proofs = tv.proofs;
	if (r == 0)
		return EX_OK;
	snprintf(why, whylen, "%s", err.message);
	return r == REG_EINVAL ? EX_BADREQ : r == REG_EVERIFY ? EX_VERIFY : EX_FAIL;
}

int
tracectl_verify(int argc, char **argv)
{
	enum { O_PEERS = 1, O_JSON, O_HELP };
	static const struct option opts[] = {
		{ "peers", required_argument, NULL, O_PEERS },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	reg_error err = REG_ERROR_INIT;
	const char *peers_path = NULL, *file = "standard input";
	struct tracectl_verified v;
	proto_response *resp = NULL;
	tr__peers *peers = NULL;
	char *text = NULL, why[700];
	size_t len = 0;
	int ch, json = 0, rc = EX_FAIL, r;
	FILE *f = stdin;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case O_PEERS: peers_path = optarg; break;
		case O_JSON: json = 1; break;
		case 'h':
		case O_HELP: verify_usage(stdout); return EX_OK;
		default:
			fprintf(stderr, "Try '" PROG " verify --help'.\n");
			return EX_USAGE;
		}
	}
	if (peers_path == NULL || argc - optind > 1) {
		fprintf(stderr, PROG " verify: --peers FILE and at most one response\n"
		    "Try '" PROG " verify --help'.\n");
		return EX_USAGE;
	}
	if (optind < argc && strcmp(argv[optind], "-") != 0) {
		file = argv[optind];
		if ((f = fopen(file, "rb")) == NULL) {
			fprintf(stderr, PROG " verify: cannot open %s: %s\n", file,
			    strerror(errno));
			return EX_FAIL;
		}
	}
	r = tracectl_read_all(f, 2 * PROTO_DOC_MAX, &text, &len);
	if (f != stdin)
		fclose(f);
	if (r != 0) {
		fprintf(stderr, PROG " verify: %s: %s\n", file, r == -2 ?
		    "over the size of a signed response" : "cannot read");
		return r == -2 ? EX_BADREQ : EX_FAIL;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (tr__peers_load(peers_path, &peers, &err) != 0) {
		fprintf(stderr, PROG " verify: %s\n", err.message);
		goto out;
	}
	if ((rc = tracectl_verify_response(peers, text, len, &resp, &v, why,
	    sizeof(why))) != EX_OK) {
		fprintf(stderr, PROG " verify: %s: %s\n", file, why);
		goto out;
	}
	if (json)
		printf("{\"verified\":true,\"kid\":\"%s\",\"responding_state\":\"%s\","
		    "\"request_id\":\"%s\",\"status\":\"%s\",\"checkpoint_size\":%llu,"
		    "\"inclusion_proofs\":%zu}\n", v.kid, resp->responding_state, resp->id,
		    resp->status, (unsigned long long)v.checkpoint_size, v.proofs);
	else
		printf("%s: signature by %s good; response %s (%s) of %s; %s%zu "
		    "inclusion proofs good\n", file, v.kid, resp->id, resp->status,
		    resp->responding_state, v.has_checkpoint ? "checkpoint good; " :
		    "no checkpoint; ", v.proofs);
	rc = EX_OK;
out:
	proto_response_free(resp);
	tr__peers_free(peers);
	free(text);
	return rc;
}
