/*
 * What tracectl's commands that talk to a tracing daemon (tracerd(8))
 * share: their options read and checked (submit, status, wait, chain), and
 * the keys, peers directory and HTTPS client (this client's certificate)
 * set up from them.  The commands are in tracectl_submit.c and
 * tracectl_chain.c; the daemon's answers are read in tracectl_answer.c.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "registry/cli.h"
#include "client_int.h"
#include "tracectl_int.h"

#define PUBKEY_FILE_MAX 65536

static void
remote_usage(FILE *f, const char *cmd)
{
	if (strcmp(cmd, "submit") == 0)
		fprintf(f,
		    "Usage: " PROG " submit (--to XX | --url URL --ca FILE --state XX)\n"
		    "         [OPTIONS] FILE\n"
		    "\n"
		    "Signs the trace request in FILE ('-': standard input) and sends it to\n"
		    "State XX's tracing daemon, then checks and shows its acknowledgement.\n"
		    "\n"
		    "  --follow SECONDS    sent to this State's own daemon (--state is the\n"
		    "                      requesting State): then wait this long (at most\n"
		    "                      a day) for the chain to end, on the same\n"
		    "                      connection, and show it checked, as " PROG " chain\n"
		    "                      --wait does (needs --peers); exit as chain does.\n"
		    "                      With --json, two lines: the acknowledgement, then\n"
		    "                      the chain\n");
	else if (strcmp(cmd, "status") == 0)
		fprintf(f,
		    "Usage: " PROG " status (--to XX | --url URL --ca FILE --state XX)\n"
		    "         [OPTIONS] ID\n"
		    "\n"
		    "Shows where the trace request ID stands at State XX's daemon: its\n"
		    "signed status, or its answer once there is one.\n");
	else if (strcmp(cmd, "chain") == 0)
		fprintf(f,
		    "Usage: " PROG " chain --url URL --ca FILE --state XX --peers FILE\n"
		    "         [--wait SECONDS] [--json] [OPTIONS] ID\n"
		    "\n"
		    "Shows the international chain of the request ID that this State's\n"
		    "daemon sent on and followed from State to State: for each hop, the\n"
		    "State asked, its status and its signed answer's events, and how the\n"
		    "chain ends.  Each answer's signature is checked with its State's key,\n"
		    "and its inclusion proofs against that State's signed checkpoint (the\n"
		    "peers directory's log_verifier), as " PROG " verify does.\n"
		    "\n"
		    "  --wait SECONDS      wait this long (at most a day) for the chain to\n"
		    "                      end; exit 5 when it has not (what there is is\n"
		    "                      shown)\n");
	else
		fprintf(f,
		    "Usage: " PROG " wait (--to XX | --url URL --ca FILE --state XX)\n"
		    "         [--timeout SECONDS] [--interval SECONDS] [--save FILE]\n"
		    "         [--pretty] [OPTIONS] ID\n"
		    "\n"
		    "Asks State XX's daemon for the answer to the trace request ID until it\n"
		    "comes, and prints the trace response as JSON.\n"
		    "\n"
		    "  --timeout SECONDS   give up after this long (default 300): exit 5\n"
		    "  --interval SECONDS  between two questions (default 1)\n"
		    "  --save FILE         also write the signed response (a JWS) to FILE,\n"
		    "                      for " PROG " verify\n"
		    "  --pretty            indent the JSON\n");
	fprintf(f,
	    "\n"
	    "  --to XX             the State, as [peer.XX] in the peers directory:\n"
	    "                      its url, TLS trust and signing keys\n"
	    "  --url URL, --ca FILE, --state XX\n"
	    "                      or a daemon the directory lacks (this State's own):\n"
	    "                      its https url, the CA file that issued its\n"
	    "                      certificate, and the State whose keys sign its\n"
	    "                      answers (from --peers or --verify-key)\n"
	    "  --verify-key KID=FILE\n"
	    "                      with --url: the daemon's signing key (public PEM)\n"
	    "  --peers FILE        the peers directory (default TRACER_PEERS)\n"
	    "  --cert FILE, --key FILE\n"
	    "                      this client's TLS certificate and key, PEM (default\n"
	    "                      TRACER_CERT, TRACER_KEY)\n"
	    "  --sign-key FILE, --kid KID\n"
	    "                      the Ed25519 key (PKCS#8 PEM, mode 600) and kid that\n"
	    "                      sign requests, submit only (default TRACER_SIGN_KEY,\n"
	    "                      TRACER_KID)\n"
	    "  --json              print the document as JSON\n"
	    "\n"
	    "Exit status: 0 done; 1 the network or the daemon failed or refused; 2 bad\n"
	    "usage; 3 a malformed request or answer; 4 an answer whose signature or\n"
	    "contents do not verify; 5 wait timed out.  See tracectl(1).\n");
}

int
usage_error(const struct remote *rm, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG " %s: ", rm->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " %s --help'.\n", rm->cmd);
	return EX_USAGE;
}

/* The environment's value of name, or NULL when unset or empty. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* A number of seconds, more than 0 and at most max; -1 if not. */
static double
seconds(const char *s, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > max)
		return -1;
	return v;
}

/*
 * Reads the value of --name (wait, follow, timeout or interval), a number
 * of seconds, into rm.  Returns -1 to go on, else the exit status.
 */
static int
remote_seconds(struct remote *rm, unsigned takes, const char *name)
{
	if (strcmp(name, "wait") == 0) {
		if (!(takes & R_CHAIN))
			return usage_error(rm, "--wait is an option of chain only");
		if ((rm->timeout = seconds(optarg, 86400)) < 0)
			return usage_error(rm, "--wait must be a number of seconds "
			    "above 0, at most a day");
	} else if (strcmp(name, "follow") == 0) {
		if (!(takes & R_SIGN))
			return usage_error(rm, "--follow is an option of submit "
			    "only; %s", (takes & R_CHAIN) ? "chain waits with --wait" :
			    (takes & R_WAIT) ? "wait waits with --timeout" :
			    "wait for an answer with " PROG " wait");
		if ((rm->follow = seconds(optarg, 86400)) < 0)
			return usage_error(rm, "--follow must be a number of seconds "
			    "above 0, at most a day");
	} else if (strcmp(name, "timeout") == 0) {
		if ((rm->timeout = seconds(optarg, 7 * 86400)) < 0)
			return usage_error(rm, "--timeout must be a number of "
			    "seconds above 0, at most a week");
	} else if ((rm->interval = seconds(optarg, 3600)) < 0.1) {
		return usage_error(rm, "--interval must be a number of "
		    "seconds from 0.1 to 3600");
	}
	return -1;
}

/* The options read together: what names the daemon, its keys and this
 * client's.  Returns -1 to go on, else the exit status. */
static int
remote_check(struct remote *rm, unsigned takes)
{
	if ((rm->to == NULL) == (rm->url == NULL))
		return usage_error(rm, "name the daemon: --to XX (a State of the peers "
		    "directory), or --url URL --ca FILE --state XX");
	if (rm->to != NULL && (rm->ca != NULL || rm->state_opt != NULL ||
	    rm->verify_key != NULL))
		return usage_error(rm, "--ca, --state and --verify-key go with --url; "
		    "with --to, the peers directory gives them");
	if (rm->to != NULL && rm->peers_path == NULL)
		return usage_error(rm, "--to needs the peers directory: --peers FILE "
		    "or TRACER_PEERS");
	if (rm->url != NULL && (rm->ca == NULL || rm->state_opt == NULL))
		return usage_error(rm, "--url needs --ca FILE (the CA of the daemon's "
		    "certificate) and --state XX (whose keys sign its answers)");
	if (rm->url != NULL && rm->verify_key == NULL && rm->peers_path == NULL)
		return usage_error(rm, "--url needs the daemon's signing key: "
		    "--verify-key KID=FILE, or --peers FILE with [peer.%s]",
		    rm->state_opt);
	snprintf(rm->state, sizeof(rm->state), "%s", rm->to ? rm->to : rm->state_opt);
	if (strlen(rm->to ? rm->to : rm->state_opt) != 2 ||
	    !proto_country_valid(rm->state))
		return usage_error(rm, "%s is not a State's code (ISO 3166-1 alpha-2, "
		    "capitals: BE, NL, ...)", rm->to ? rm->to : rm->state_opt);
	if (rm->cert == NULL || rm->key == NULL)
		return usage_error(rm, "this client's TLS certificate and key are "
		    "required: --cert FILE --key FILE, or TRACER_CERT and TRACER_KEY");
	if ((takes & R_SIGN) && (rm->sign_path == NULL || rm->kid == NULL))
		return usage_error(rm, "a request is sent signed: --sign-key FILE "
		    "--kid KID, or TRACER_SIGN_KEY and TRACER_KID");
	if (rm->follow > 0 && rm->peers_path == NULL)
		return usage_error(rm, "--follow checks each hop's answer with the "
		    "peers directory: --peers FILE or TRACER_PEERS");
	return -1;
}

/*
 * Reads the options; what the command does not take is a usage error.
 * Returns -1 to go on, else the exit status.
 */
int
remote_parse(struct remote *rm, unsigned takes, int argc, char **argv)
{
	enum { O_TO = 1, O_URL, O_CA, O_STATE, O_VKEY, O_PEERS, O_CERT, O_KEY,
		O_SIGN, O_KID, O_JSON, O_TIMEOUT, O_INTERVAL, O_SAVE, O_PRETTY,
		O_WAITS, O_FOLLOW, O_HELP };
	static const struct option opts[] = {
		{ "to", required_argument, NULL, O_TO },
		{ "url", required_argument, NULL, O_URL },
		{ "ca", required_argument, NULL, O_CA },
		{ "state", required_argument, NULL, O_STATE },
		{ "verify-key", required_argument, NULL, O_VKEY },
		{ "peers", required_argument, NULL, O_PEERS },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "sign-key", required_argument, NULL, O_SIGN },
		{ "kid", required_argument, NULL, O_KID },
		{ "json", no_argument, NULL, O_JSON },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "save", required_argument, NULL, O_SAVE },
		{ "pretty", no_argument, NULL, O_PRETTY },
		{ "wait", required_argument, NULL, O_WAITS },
		{ "follow", required_argument, NULL, O_FOLLOW },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	int ch, li = 0, r;

	snprintf(rm->prog, sizeof(rm->prog), PROG " %s", rm->cmd);
	rm->peers_path = env("TRACER_PEERS");
	rm->cert = env("TRACER_CERT");
	rm->key = env("TRACER_KEY");
	rm->sign_path = env("TRACER_SIGN_KEY");
	rm->kid = env("TRACER_KID");
	rm->timeout = (takes & R_CHAIN) ? 0 : 300;
	rm->interval = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, &li)) != -1) {
		if (ch >= O_TIMEOUT && ch <= O_PRETTY && !(takes & R_WAIT))
			return usage_error(rm, "--%s is an option of wait only",
			    opts[li].name);
		switch (ch) {
		case O_TO: rm->to = optarg; break;
		case O_URL:
			/* One trailing '/' is allowed, as in the peers directory. */
			if (strlen(optarg) > 8 && optarg[strlen(optarg) - 1] == '/')
				optarg[strlen(optarg) - 1] = '\0';
			rm->url = optarg;
			break;
		case O_CA: rm->ca = optarg; break;
		case O_STATE: rm->state_opt = optarg; break;
		case O_VKEY: rm->verify_key = optarg; break;
		case O_PEERS: rm->peers_path = optarg; break;
		case O_CERT: rm->cert = optarg; break;
		case O_KEY: rm->key = optarg; break;
		case O_SIGN: rm->sign_path = optarg; break;
		case O_KID: rm->kid = optarg; break;
		case O_JSON: rm->json = 1; break;
		case O_SAVE: rm->save = optarg; break;
		case O_PRETTY: rm->pretty = 1; break;
		case O_WAITS:
		case O_FOLLOW:
		case O_TIMEOUT:
		case O_INTERVAL:
			if ((r = remote_seconds(rm, takes, opts[li].name)) >= 0)
				return r;
			break;
		case 'h':
		case O_HELP:
			remote_usage(stdout, rm->cmd);
			return EX_OK;
		default:
			fprintf(stderr, "Try '" PROG " %s --help'.\n", rm->cmd);
			return EX_USAGE;
		}
	}
	if (argc - optind != 1)
		return usage_error(rm, "give one %s", strcmp(rm->cmd, "submit") == 0 ?
		    "request FILE (or '-' for standard input)" : "request ID");
	rm->arg = argv[optind];
	return remote_check(rm, takes);
}

/* Reads --verify-key KID=FILE into rm->verifier. */
static int
verifier_load(struct remote *rm, reg_error *err)
{
	proto_error perr = PROTO_ERROR_INIT;
	const char *eq = strchr(rm->verify_key, '=');
	char kid[201], *pem = NULL;
	size_t len;
	FILE *f;
	int r;

	if (eq == NULL || (size_t)(eq - rm->verify_key) >= sizeof(kid) ||
	    strncmp(rm->verify_key, rm->state, 2) != 0 || rm->verify_key[2] != '/')
		return tr__fail(err, REG_EINVAL, "--verify-key must be KID=FILE with a "
		    "kid of %s (%s/...), not %s", rm->state, rm->state, rm->verify_key);
	snprintf(kid, sizeof(kid), "%.*s", (int)(eq - rm->verify_key), rm->verify_key);
	if ((f = fopen(eq + 1, "rb")) == NULL)
		return tr__fail(err, REG_EIO, "cannot open verify key %s: %s", eq + 1,
		    strerror(errno));
	r = tracectl_read_all(f, PUBKEY_FILE_MAX, &pem, &len);
	fclose(f);
	if (r != 0)
		return tr__fail(err, REG_EIO, "cannot read verify key %s", eq + 1);
	if (proto_jws_key_from_pem(pem, len, kid, &rm->verifier, &perr) != 0)
		r = tr__fail(err, REG_EKEY, "verify key %s: %s", eq + 1, perr.message);
	else if (proto_jws_key_private(rm->verifier))
		r = tr__fail(err, REG_EKEY, "verify key %s holds a private key; give "
		    "the public one (openssl pkey -pubout)", eq + 1);
	free(pem);
	return r;
}

/* Loads the keys and files the options name and makes the client. */
int
remote_open(struct remote *rm, double timeout)
{
	struct tr__client_config cfg;
	const struct tr__peer *peer = NULL;
	reg_error err = REG_ERROR_INIT;

	memset(&cfg, 0, sizeof(cfg));
	if (rm->peers_path != NULL &&
	    tr__peers_load(rm->peers_path, &rm->peers, &err) != 0)
		goto fail;
	/* A State behind a liaison hub is reached through the hub. */
	if (rm->peers != NULL)
		peer = tr__peers_route(rm->peers, rm->state);
	if (rm->to != NULL && peer == NULL) {
		fprintf(stderr, "%s: the peers directory %s has no [peer.%s]; add "
		    "the State there, or name its daemon with --url, --ca and "
		    "--state\n", rm->prog, rm->peers_path, rm->state);
		return EX_USAGE;
	}
	if (rm->verify_key != NULL && verifier_load(rm, &err) != 0)
		goto fail;
	if (rm->sign_path != NULL && rm->kid != NULL && strcmp(rm->cmd, "submit") == 0 &&
	    tr__signing_key_load(rm->sign_path, rm->kid, &rm->signer, &err) != 0)
		goto fail;
	cfg.url = rm->to ? peer->url : rm->url;
	cfg.ca_file = rm->to ? peer->ca_file : rm->ca;
	cfg.pinned_cert = rm->to ? peer->pinned_cert : NULL;
	cfg.cert_file = rm->cert;
	cfg.key_file = rm->key;
	cfg.timeout = timeout < TR__CLIENT_TIMEOUT ? (long)timeout + 1 : 0;
	if (tr__client_new(&cfg, &rm->client, &err) != 0)
		goto fail;
	return -1;
fail:
	cli_report(rm->prog, &err);
	return err.code == REG_EINVAL && rm->url != NULL ? EX_USAGE : EX_FAIL;
}

void
remote_close(struct remote *rm)
{
	tr__client_free(rm->client);
	proto_jws_key_free(rm->signer);
	proto_jws_key_free(rm->verifier);
	tr__peers_free(rm->peers);
}

/* A request id: a UUID in lower case, the only form the protocol writes. */
int
id_valid(const char *s)
{
	size_t i;

	if (strlen(s) != PROTO_UUID_LEN)
		return 0;
	for (i = 0; i < PROTO_UUID_LEN; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' :
		    cm_hex_digit((unsigned char)s[i], 0) < 0)
			return 0;
	return 1;
}
