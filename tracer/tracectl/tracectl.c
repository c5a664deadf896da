/*
 * tracectl: the tracing client.  "tracectl local" runs the trace engine
 * on a request against this State's registry database directly, without
 * the daemon, and prints the response; "tracectl verify" checks a saved
 * signed response.  The commands that talk to a daemon (submit, status,
 * wait) are in tracectl_remote.c.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli_int.h"
#include "tracectl_int.h"
#include "tracer_int.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "Usage: " PROG " [--db CONNINFO] COMMAND [OPTIONS]\n"
	    "\n"
	    "Traces small arms and light weapons: runs trace requests and shows the\n"
	    "answers.\n"
	    "\n"
	    "Commands:\n"
	    "  local        run a trace request against this registry's database\n"
	    "  verify       check a signed response: signature, checkpoint, proofs\n"
	    "  submit       send a signed trace request to a State's daemon\n"
	    "  status       show a sent request's status at the daemon\n"
	    "  wait         wait for a sent request's answer and show it\n"
	    "  chain        show a request's international chain, verified hop by hop\n"
	    "  witness      show what this State's daemon witnessed of its peers' logs\n"
	    "\n"
	    "Options:\n"
	    "  --db CONNINFO  the database, as a libpq connection string or URI\n"
	    "  -h, --help     show this help; COMMAND --help shows a command's\n"
	    "  --version      show the version\n"
	    "\n"
	    "The database is --db, else REGISTRY_DB, else libpq's PG* variables; with\n"
	    "none of them, the local default cluster under the build tree (%s).\n"
	    "See tracectl(1).\n", cli_local_dir());
}

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

int
tracectl_read_all(FILE *f, size_t max, char **out, size_t *len)
{
	size_t cap = 65536, n = 0, got;
	char *buf = malloc(cap + 1), *nb;

	if (buf == NULL)
		return -1;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(buf);
				return -2;
			}
			cap *= 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n > max) {
			free(buf);
			return -2;
		}
	}
	if (ferror(f)) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int
tracectl_read_request(const char *prog, const char *path, proto_request **out,
    const char **name)
{
	proto_error perr = PROTO_ERROR_INIT;
	char *doc = NULL;
	size_t len = 0;
	int r;
	FILE *f;

	*out = NULL;
	if (path == NULL || strcmp(path, "-") == 0) {
		f = stdin;
		path = "standard input";
	} else if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
		return EX_FAIL;
	}
	*name = path;
	r = tracectl_read_all(f, PROTO_DOC_MAX, &doc, &len);
	if (f != stdin)
		fclose(f);
	if (r == -2) {
		fprintf(stderr, "%s: %s: the request is over %u bytes, the protocol's "
		    "limit\n", prog, path, PROTO_DOC_MAX);
		return EX_BADREQ;
	}
	if (r != 0) {
		fprintf(stderr, "%s: cannot read %s\n", prog, path);
		return EX_FAIL;
	}
	r = proto_request_parse(doc, len, out, &perr);
	free(doc);
	if (r != 0) {
		fprintf(stderr, "%s: %s: malformed trace request: %s\n", prog, path,
		    perr.message);
		return EX_BADREQ;
	}
	return -1;
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
	proto_error perr = PROTO_ERROR_INIT;
	const struct tr__peer *peer = NULL;
	const proto_jws_key *key;
	struct reg_checkpoint cp;
	proto_response *resp = NULL;
	proto_jws *jws = NULL;
	const uint8_t *payload;
	const char *kid;
	char *body = NULL;
	size_t plen, i, j;
	int rc = EX_VERIFY;

	*out = NULL;
	memset(v, 0, sizeof(*v));
	if (proto_jws_parse(text, len, &jws, &perr) != 0) {
		snprintf(why, whylen, "not a signed message: %s", perr.message);
		rc = EX_BADREQ;
		goto out;
	}
	kid = proto_jws_kid(jws);
	if (kid == NULL || (key = tr__peers_key(peers, kid)) == NULL) {
		snprintf(why, whylen, "signed by %s, a key the peers directory does "
		    "not have", kid ? kid : "an unnamed key");
		goto out;
	}
	snprintf(v->kid, sizeof(v->kid), "%s", kid);
	if (proto_jws_verify(jws, key, &perr) != 0) {
		snprintf(why, whylen, "%s", perr.message);
		goto out;
	}
	payload = proto_jws_payload(jws, &plen);
	if (proto_response_parse((const char *)payload, plen, &resp, &perr) != 0) {
		snprintf(why, whylen, "the signed document is not a trace response: "
		    "%s", perr.message);
		rc = EX_BADREQ;
		goto out;
	}
	if (strncmp(kid, resp->responding_state, 2) != 0 || kid[2] != '/' ||
	    (peer = tr__peers_get(peers, resp->responding_state)) == NULL) {
		snprintf(why, whylen, "signed by %s for a response of %s", kid,
		    resp->responding_state);
		goto out;
	}
	if (resp->checkpoint != NULL) {
		if (reg_note_verify(peer->log_key, resp->checkpoint,
		    strlen(resp->checkpoint), &body, &err) != 0 ||
		    reg_checkpoint_parse(body, strlen(body), &cp, &err) != 0) {
			snprintf(why, whylen, "checkpoint: %s", err.message);
			goto out;
		}
		v->checkpoint_size = cp.size;
		v->has_checkpoint = 1;
		for (i = 0; i < resp->n_candidates; i++)
			for (j = 0; j < resp->candidates[i].n_history; j++) {
				const struct proto_event *e = &resp->candidates[i].history[j];
				const struct proto_inclusion_proof *p = e->inclusion_proof;

				if (p == NULL)
					continue;
				reg_error_clear(&err);
				if ((uint64_t)p->size != cp.size || p->index != e->log_index ||
				    reg_merkle_verify_inclusion((uint64_t)p->index,
				    (uint64_t)p->size, (const struct reg_hash *)&p->leaf_hash,
				    (const struct reg_hash *)p->hashes, p->n_hashes, &cp.root,
				    &err) != 0) {
					snprintf(why, whylen, "candidates[%zu].history[%zu]: the "
					    "inclusion proof of log index %lld does not hold "
					    "against the checkpoint (size %llu)%s%s", i, j,
					    (long long)e->log_index,
					    (unsigned long long)cp.size, err.message[0] ?
					    ": " : "", err.message);
					goto out;
				}
				v->proofs++;
			}
	}
	*out = resp;
	resp = NULL;
	rc = EX_OK;
out:
	reg_free(body);
	proto_response_free(resp);
	proto_jws_free(jws);
	return rc;
}

static int
cmd_verify(int argc, char **argv)
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

static int
cmd_local(const char *db, int argc, char **argv)
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
	const char *sign_path = NULL, *kid = NULL;
	proto_jws_key *signer = NULL;
	const char *request = NULL, *policy_path = getenv("TRACER_POLICY");
	const char *state = NULL, *pii = NULL;
	struct tr_options topt = { 0, 0 };
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	proto_request *req = NULL;
	proto_response *resp = NULL;
	tr_policy *policy = NULL;
	reg_pii_keyring *kr = NULL;
	tr_engine *engine = NULL;
	reg_ctx *ctx = NULL;
	char *json = NULL, *end;
	int ch, pretty = 0, rc = EX_FAIL, r;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case O_REQUEST: request = optarg; break;
		case O_POLICY: policy_path = optarg; break;
		case O_STATE: state = optarg; break;
		case O_PII: pii = optarg; break;
		case O_PROOFS: topt.proofs = 1; break;
		case O_PRETTY: pretty = 1; break;
		case O_SIGN: sign_path = optarg; break;
		case O_KID: kid = optarg; break;
		case O_MAX:
			errno = 0;
			topt.max_candidates = (int)strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || topt.max_candidates < 2 ||
			    topt.max_candidates > 50) {
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
	if (policy_path != NULL && *policy_path == '\0')
		policy_path = NULL;
	if ((sign_path == NULL) != (kid == NULL)) {
		fprintf(stderr, PROG " local: --sign-key and --kid go together\n");
		return EX_USAGE;
	}
	if (sign_path != NULL &&
	    tr__signing_key_load(sign_path, kid, &signer, &err) != 0) {
		cli_report(PROG " local", &err);
		return EX_FAIL;
	}
	/* The request first: a malformed one needs no database. */
	if ((rc = tracectl_read_request(PROG " local", request, &req, &request)) >= 0)
		goto out;
	rc = EX_FAIL;
	if (policy_path != NULL)
		r = tr_policy_load(policy_path, &policy, &err);
	else
		r = tr_policy_default(state ? state : req->requested_state, &policy, &err);
	if (r != 0)
		goto fail;
	if (policy_path != NULL && state != NULL && strcmp(state, tr_policy_state(policy))) {
		fprintf(stderr, PROG " local: --state %s contradicts the policy file's "
		    "state %s\n", state, tr_policy_state(policy));
		rc = EX_USAGE;
		goto out;
	}
	if ((pii = pii_key_path(pii)) != NULL &&
	    (r = reg_pii_keyring_load(pii, &kr, &err)) != 0)
		goto fail;
	if ((r = cli_open(db, 0, &ctx, &err)) != 0 ||
	    (r = tr_engine_new(ctx, policy, kr, &topt, &engine, &err)) != 0 ||
	    (r = tr_trace(engine, req, &resp, &err)) != 0)
		goto fail;
	if (proto_response_to_json(resp, &json, &perr) != 0) {
		fprintf(stderr, PROG " local: internal error: the response does not "
		    "pass the codec: %s\n", perr.message);
		goto out;
	}
	if (signer != NULL) {
		char *jws = NULL;

		proto_error_clear(&perr);
		if (proto_jws_sign(signer, PROTO_SCHEMA_RESPONSE, json, strlen(json), &jws,
		    &perr) != 0) {
			fprintf(stderr, PROG " local: cannot sign the response: %s\n",
			    perr.message);
			goto out;
		}
		puts(jws);
		proto_free(jws);
	} else if (pretty) {
		json_t *j = json_loads(json, 0, NULL);
		char *p = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

		json_decref(j);
		if (p == NULL) {
			fprintf(stderr, PROG " local: out of memory\n");
			goto out;
		}
		puts(p);
		free(p);
	} else {
		puts(json);
	}
	rc = fflush(stdout) == 0 ? EX_OK : EX_FAIL;
	goto out;
fail:
	cli_report(PROG " local", &err);
	rc = EX_FAIL;
out:
	proto_jws_key_free(signer);
	proto_free(json);
	proto_response_free(resp);
	tr_engine_free(engine);
	reg_close(ctx);
	reg_pii_keyring_free(kr);
	tr_policy_free(policy);
	proto_request_free(req);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "verify", cmd_verify },
		{ "submit", tracectl_submit },
		{ "chain", tracectl_chain },
		{ "status", tracectl_status },
		{ "wait", tracectl_wait },
		{ "witness", tracectl_witness },
	};
	const char *db = NULL;
	size_t i;
	int ch;

	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf(PROG " (" PACKAGE_NAME ") " PACKAGE_VERSION "\n");
			return EX_OK;
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[optind], "local") == 0) {
		argc -= optind;
		argv += optind;
		optind = 0;
		return cmd_local(db, argc, argv);
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0) {
			argc -= optind;
			argv += optind;
			optind = 0;
			return cmds[i].fn(argc, argv);
		}
	fprintf(stderr, PROG ": unknown command '%s'. Try '" PROG " --help'.\n",
	    argv[optind]);
	return EX_USAGE;
}
