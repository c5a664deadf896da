/*
 * tracectl local: runs the trace engine on a request against this State's
 * registry database directly, without the daemon, and prints the response
 * (signed with --sign-key).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry/cli.h"
#include "tracectl_int.h"

static void
local_usage(FILE *f)
{
	fprintf(f,
	    "Usage: " PROG " [--db CONNINFO] local [--request FILE] [--policy FILE]\n"
	    "         [--state XX] [--pii-key FILE] [--proofs] [--max-candidates N]\n"
	    "         [--pretty] [--sign-key FILE --kid KID]\n"
	    "\n"
	    "Reads a trace request (trace-request/1, proto/README.md) from FILE or,\n"
	    "without --request or with '-', from standard input; runs the trace engine\n"
	    "against the registry and prints the trace response as JSON.\n"
	    "\n"
	    "  --request FILE      the request document (at most 1 MiB)\n"
	    "  --policy FILE       the disclosure policy (INI; tracectl(1)); default\n"
	    "                      TRACER_POLICY, else the built-in policy\n"
	    "  --state XX          this registry's State for the built-in policy;\n"
	    "                      default the request's requested_state\n"
	    "  --pii-key FILE      personal-data keys, to name private holders where\n"
	    "                      the policy allows (default REGISTRY_PII_KEY, else\n"
	    "                      var/keys/pii.key under the build tree if present)\n"
	    "  --proofs            add the latest checkpoint and an inclusion proof\n"
	    "                      for every event\n"
	    "  --max-candidates N  list at most N candidates of an ambiguous answer\n"
	    "                      (2 to 50, default 20)\n"
	    "  --pretty            indent the JSON\n"
	    "  --sign-key FILE, --kid KID\n"
	    "                      print the response signed, as a JWS (EdDSA) with\n"
	    "                      this Ed25519 key (PKCS#8 PEM, mode 600) and kid\n"
	    "\n"
	    "Exit status: 0 for any well-formed request, whatever the answer (found,\n"
	    "ambiguous, not_found, need_more_info, declined); 3 for a malformed\n"
	    "request, with the field at fault; 2 for bad usage; 1 when the engine or\n"
	    "the database fails.\n");
}

static const char *
pii_key_path(const char *opt)
{
	static char buf[1100];
	const char *env = getenv("REGISTRY_PII_KEY");
	struct stat st;

	if (opt != NULL)
		return opt;
	if (env != NULL && *env != '\0')
		return env;
	snprintf(buf, sizeof(buf), "%s/var/keys/pii.key", REG_BUILDDIR);
	return stat(buf, &st) == 0 ? buf : NULL;
}

/* What the options of local say. */
struct local_opts {
	const char *request, *policy_path, *state, *pii, *sign_path, *kid;
	struct tr_options topt;
	int pretty;
};

/* Reads local's options into o.  Returns -1 to go on, else the exit
 * status. */
static int
local_parse(int argc, char **argv, struct local_opts *o)
{
	enum { O_REQUEST = 1, O_POLICY, O_STATE, O_PII, O_PROOFS, O_MAX, O_PRETTY,
		O_SIGN, O_KID, O_HELP };
	static const struct option opts[] = {
		{ "request", required_argument, NULL, O_REQUEST },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "state", required_argument, NULL, O_STATE },
		{ "pii-key", required_argument, NULL, O_PII },
		{ "proofs", no_argument, NULL, O_PROOFS },
		{ "max-candidates", required_argument, NULL, O_MAX },
		{ "pretty", no_argument, NULL, O_PRETTY },
		{ "sign-key", required_argument, NULL, O_SIGN },
		{ "kid", required_argument, NULL, O_KID },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int ch;

	o->policy_path = getenv("TRACER_POLICY");
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case O_REQUEST: o->request = optarg; break;
		case O_POLICY: o->policy_path = optarg; break;
		case O_STATE: o->state = optarg; break;
		case O_PII: o->pii = optarg; break;
		case O_PROOFS: o->topt.proofs = 1; break;
		case O_PRETTY: o->pretty = 1; break;
		case O_SIGN: o->sign_path = optarg; break;
		case O_KID: o->kid = optarg; break;
		case O_MAX:
			errno = 0;
			o->topt.max_candidates = (int)strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || o->topt.max_candidates < 2 ||
			    o->topt.max_candidates > 50) {
				fprintf(stderr, PROG " local: --max-candidates must be 2 to "
				    "50\n");
				return EX_USAGE;
			}
			break;
		case 'h':
		case O_HELP:
			local_usage(stdout);
			return EX_OK;
		default:
			fprintf(stderr, "Try '" PROG " local --help'.\n");
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG " local: unexpected argument '%s'\n"
		    "Try '" PROG " local --help'.\n", argv[optind]);
		return EX_USAGE;
	}
	if (o->policy_path != NULL && *o->policy_path == '\0')
		o->policy_path = NULL;
	if ((o->sign_path == NULL) != (o->kid == NULL)) {
		fprintf(stderr, PROG " local: --sign-key and --kid go together\n");
		return EX_USAGE;
	}
	return -1;
}

/* Prints the response: signed with signer when not NULL, else as JSON,
 * indented if pretty.  Returns the exit status. */
static int
local_print(const proto_response *resp, const proto_jws_key *signer, int pretty)
{
	proto_error perr = PROTO_ERROR_INIT;
	char *json = NULL, *jws = NULL;
	int rc = EX_FAIL;

	if (proto_response_to_json(resp, &json, &perr) != 0) {
		fprintf(stderr, PROG " local: internal error: the response does not "
		    "pass the codec: %s\n", perr.message);
		goto out;
	}
	if (signer != NULL) {
		if (proto_jws_sign(signer, PROTO_SCHEMA_RESPONSE, json, strlen(json), &jws,
		    &perr) != 0) {
			fprintf(stderr, PROG " local: cannot sign the response: %s\n",
			    perr.message);
			goto out;
		}
		puts(jws);
	} else if (print_json((const uint8_t *)json, strlen(json), pretty) != 0) {
		fprintf(stderr, PROG " local: out of memory\n");
		goto out;
	}
	rc = fflush(stdout) == 0 ? EX_OK : EX_FAIL;
out:
	proto_free(jws);
	proto_free(json);
	return rc;
}

int
tracectl_local(const char *db, int argc, char **argv)
{
	struct local_opts o;
	proto_jws_key *signer = NULL;
	reg_error err = REG_ERROR_INIT;
	proto_request *req = NULL;
	proto_response *resp = NULL;
	tr_policy *policy = NULL;
	reg_pii_keyring *kr = NULL;
	tr_engine *engine = NULL;
	reg_ctx *ctx = NULL;
	const char *pii;
	int rc, r;

	memset(&o, 0, sizeof(o));
	if ((rc = local_parse(argc, argv, &o)) >= 0)
		return rc;
	if (o.sign_path != NULL &&
	    tr__signing_key_load(o.sign_path, o.kid, &signer, &err) != 0) {
		cli_report(PROG " local", &err);
		return EX_FAIL;
	}
	/* The request first: a malformed one needs no database. */
	if ((rc = tracectl_read_request(PROG " local", o.request, &req,
	    &o.request)) >= 0)
		goto out;
	rc = EX_FAIL;
	if (o.policy_path != NULL)
		r = tr_policy_load(o.policy_path, &policy, &err);
	else
		r = tr_policy_default(o.state ? o.state : req->requested_state, &policy,
		    &err);
	if (r != 0)
		goto fail;
	if (o.policy_path != NULL && o.state != NULL &&
	    strcmp(o.state, tr_policy_state(policy))) {
		fprintf(stderr, PROG " local: --state %s contradicts the policy file's "
		    "state %s\n", o.state, tr_policy_state(policy));
		rc = EX_USAGE;
		goto out;
	}
	if ((pii = pii_key_path(o.pii)) != NULL &&
	    (r = reg_pii_keyring_load(pii, &kr, &err)) != 0)
		goto fail;
	if ((r = cli_open(db, 0, &ctx, &err)) != 0 ||
	    (r = tr_engine_new(ctx, policy, kr, &o.topt, &engine, &err)) != 0 ||
	    (r = tr_trace(engine, req, &resp, &err)) != 0)
		goto fail;
	rc = local_print(resp, signer, o.pretty);
	goto out;
fail:
	cli_report(PROG " local", &err);
	rc = EX_FAIL;
out:
	proto_jws_key_free(signer);
	proto_response_free(resp);
	tr_engine_free(engine);
	reg_close(ctx);
	reg_pii_keyring_free(kr);
	tr_policy_free(policy);
	proto_request_free(req);
	return rc;
}
