/*
 * tracectl's commands that talk to a tracing daemon (tracerd(8)) over
 * HTTPS with this client's certificate: "submit" signs a trace request
 * and sends it, "status" asks where a sent request stands, and "wait"
 * polls until its answer comes.  Every signed answer is verified with a
 * key of the daemon's State before anything of it is shown, and an
 * acknowledgement must name the request exactly as sent.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/hex.h"
#include "cli_int.h"
#include "client_int.h"
#include "tracectl_int.h"

#define PUBKEY_FILE_MAX 65536

/* The options of submit, status and wait, and what they set up. */
struct remote {
	const char *cmd;		/* "submit", ... */
	char prog[24];			/* "tracectl submit", for messages */
	const char *to, *url, *ca, *state_opt, *verify_key;
	const char *peers_path, *cert, *key, *sign_path, *kid;
	const char *save;
	double timeout, interval;	/* chain: timeout 0 without --wait */
	double follow;			/* submit --follow SECONDS, else 0 */
	int json, pretty;
	const char *arg;		/* FILE or ID */
	/* Set by remote_open(). */
	char state[3];			/* the daemon's State: whose keys sign */
	tr__peers *peers;
	proto_jws_key *verifier;	/* --verify-key */
	proto_jws_key *signer;		/* --sign-key, submit only */
	tr__client *client;
};

static int chain_show(struct remote *rm, const char *id, double wait);

/* Which of the optional options a command takes. */
enum { R_SIGN = 1, R_WAIT = 2, R_CHAIN = 4 };

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

static int
usage_error(const struct remote *rm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
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
 * Reads the options; what the command does not take is a usage error.
 * Returns -1 to go on, else the exit status.
 */
static int
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
	int ch, li = 0;

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
			if (!(takes & R_CHAIN))
				return usage_error(rm, "--wait is an option of chain only");
			if ((rm->timeout = seconds(optarg, 86400)) < 0)
				return usage_error(rm, "--wait must be a number of seconds "
				    "above 0, at most a day");
			break;
		case O_FOLLOW:
			if (!(takes & R_SIGN))
				return usage_error(rm, "--follow is an option of submit "
				    "only; %s", (takes & R_CHAIN) ? "chain waits with --wait" :
				    (takes & R_WAIT) ? "wait waits with --timeout" :
				    "wait for an answer with " PROG " wait");
			if ((rm->follow = seconds(optarg, 86400)) < 0)
				return usage_error(rm, "--follow must be a number of seconds "
				    "above 0, at most a day");
			break;
		case O_TIMEOUT:
			if ((rm->timeout = seconds(optarg, 7 * 86400)) < 0)
				return usage_error(rm, "--timeout must be a number of "
				    "seconds above 0, at most a week");
			break;
		case O_INTERVAL:
			if ((rm->interval = seconds(optarg, 3600)) < 0.1)
				return usage_error(rm, "--interval must be a number of "
				    "seconds from 0.1 to 3600");
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
static int
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

static void
remote_close(struct remote *rm)
{
	tr__client_free(rm->client);
	proto_jws_key_free(rm->signer);
	proto_jws_key_free(rm->verifier);
	tr__peers_free(rm->peers);
}

/* Prints text from the network with control characters as spaces. */
static void
put_clean(FILE *f, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < max; i++)
		fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i], f);
}

/* What to do about a problem of type name (after "urn:registry:problem:"). */
static const char *
problem_advice(const char *name, const char *method)
{
	static const struct {
		const char *name, *advice;
	} t[] = {
		{ "bad-signature", "the daemon does not accept this signature: check "
		    "--sign-key and --kid, and that the daemon's peers directory has "
		    "this key under this kid" },
		{ "unknown-key", "the daemon's peers directory lacks this kid: ask its "
		    "operators to add this State's key, or sign with a key they have" },
		{ "kid-state-mismatch", "sign with a key of the requesting State, from "
		    "a client certificate of that State" },
		{ "schema-version", "the daemon does not take this document version" },
		{ "invalid-document", "correct the request and submit it again" },
		{ "wrong-state", "the request is for another State: check "
		    "requested_state and --to" },
		{ "conflict", "another request with this id was sent before: give a "
		    "new request a new id" },
		{ "forbidden", "this client's certificate (its subject's C and OU: "
		    "State and role) may not do this" },
		{ "rate-limited", "try again later" },
		{ "timeout", "try again" },
		{ "unavailable", "try again later" },
		{ "internal", "try again later; tell the daemon's operators if it "
		    "lasts" },
		{ "payload-too-large", "the request is too large" },
		{ "unsupported-media-type", "this daemon speaks another protocol "
		    "version" },
		{ "bad-request", "this daemon speaks another protocol version, or "
		    "the url is not a tracing daemon's" },
	};
	size_t i;

	if (strcmp(name, "not-found") == 0)
		return strcmp(method, "POST") == 0 ? "this daemon does not take trace "
		    "requests: check the url, or upgrade its tracerd" : "the daemon "
		    "knows no request with this id: check the id and the State";
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(name, t[i].name) == 0)
			return t[i].advice;
	return NULL;
}

/* Reports a refusal (HTTP status 400 to 599) and returns the exit status. */
static int
report_problem(struct remote *rm, const char *method,
    const struct tr__client_answer *ans)
{
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	proto_problem *p = NULL;
	proto_jws *jws = NULL;
	const char *text = ans->body, *advice, *name;
	size_t len = ans->len;
	int rc = EX_FAIL;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (strcmp(ans->content_type, "application/jose") == 0) {
		if (tr__signed_open(rm->peers, rm->verifier, rm->state, text, len, &jws,
		    &err) != 0) {
			fprintf(stderr, PROG " %s: %s answered %ld with a signed problem "
			    "that does not verify: %s\n", rm->cmd, tr__client_url(rm->client),
			    ans->status, err.message);
			return err.code == REG_EVERIFY ? EX_VERIFY : EX_BADREQ;
		}
		text = (const char *)proto_jws_payload(jws, &len);
	} else if (strcmp(ans->content_type, "application/problem+json") != 0) {
		text = NULL;
	}
	if (text == NULL || proto_problem_parse(text, len, &p, &perr) != 0) {
		fprintf(stderr, PROG " %s: %s answered HTTP %ld (%s) without a problem "
		    "document: ", rm->cmd, tr__client_url(rm->client), ans->status,
		    ans->content_type[0] ? ans->content_type : "no content type");
		put_clean(stderr, ans->body, 200);
		fprintf(stderr, "\n" PROG " %s: check the url; it may not be a tracing "
		    "daemon's\n", rm->cmd);
		goto out;
	}
	fprintf(stderr, PROG " %s: %s's daemon refused (%d ", rm->cmd, rm->state,
	    p->status);
	put_clean(stderr, p->title, 200);
	fputc(')', stderr);
	if (p->detail != NULL) {
		fputs(": ", stderr);
		put_clean(stderr, p->detail, 2000);
	}
	if (p->field != NULL) {
		fputs(" (field ", stderr);
		put_clean(stderr, p->field, 255);
		fputc(')', stderr);
	}
	fputs(" [", stderr);
	put_clean(stderr, p->type, 200);
	fputs("]\n", stderr);
	name = p->type + strlen(PROTO_PROBLEM_URN);
	if ((advice = problem_advice(name, method)) != NULL) {
		fprintf(stderr, PROG " %s: %s", rm->cmd, advice);
		if (ans->retry_after >= 0)
			fprintf(stderr, " (in %ld seconds, says the daemon)",
			    ans->retry_after);
		fputs("\n", stderr);
	}
out:
	proto_problem_free(p);
	proto_jws_free(jws);
	return rc;
}

/*
 * Reads a daemon's answer to method: a refusal is reported; a success must
 * be a message signed by the daemon's State, whose signature is verified
 * (*out, to free with proto_jws_free()).  Returns -1 to go on, else the
 * exit status.
 */
static int
remote_answer(struct remote *rm, const char *method,
    const struct tr__client_answer *ans, proto_jws **out)
{
	reg_error err = REG_ERROR_INIT;
	size_t len = ans->len;

	*out = NULL;
	if (ans->status >= 400 && ans->status <= 599)
		return report_problem(rm, method, ans);
	if (ans->status < 200 || ans->status > 299) {
		fprintf(stderr, PROG " %s: %s answered HTTP %ld, which this client "
		    "does not expect; check the url\n", rm->cmd,
		    tr__client_url(rm->client), ans->status);
		return EX_FAIL;
	}
	if (strcmp(ans->content_type, "application/jose") != 0) {
		fprintf(stderr, PROG " %s: %s answered %s, not a signed message "
		    "(application/jose); check the url\n", rm->cmd,
		    tr__client_url(rm->client), ans->content_type[0] ?
		    ans->content_type : "with no content type");
		return EX_FAIL;
	}
	while (len > 0 && (ans->body[len - 1] == '\n' || ans->body[len - 1] == '\r'))
		len--;
	if (tr__signed_open(rm->peers, rm->verifier, rm->state, ans->body, len, out,
	    &err) != 0) {
		fprintf(stderr, PROG " %s: the answer of %s's daemon does not verify: "
		    "%s\n", rm->cmd, rm->state, err.message);
		return err.code == REG_EVERIFY ? EX_VERIFY : EX_BADREQ;
	}
	return -1;
}

/* Prints a payload (JSON) as it is, or indented. */
static int
print_json(const uint8_t *doc, size_t len, int pretty)
{
	json_t *j;
	char *p;

	if (!pretty) {
		fwrite(doc, 1, len, stdout);
		putchar('\n');
		return 0;
	}
	j = json_loadb((const char *)doc, len, 0, NULL);
	p = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (p == NULL)
		return -1;
	puts(p);
	free(p);
	return 0;
}

static void
print_ack(const char *state, const proto_ack *a)
{
	size_t i;

	printf("request %s: %s at %s\n", a->request_id, a->status, state);
	printf("  received at   %s\n", a->received_at);
	printf("  due by        %s\n", a->due_by);
	if (a->responded_at[0] != '\0')
		printf("  responded at  %s\n", a->responded_at);
	if (a->has_log_index || a->log_index != 0)
		printf("  log index     %lld\n", (long long)a->log_index);
	for (i = 0; i < a->n_status_reasons; i++) {
		fputs("  reason        ", stdout);
		put_clean(stdout, a->status_reasons[i], 1000);
		putchar('\n');
	}
}

/* Parses a verified status document and checks that it is about id at
 * rm->state.  Returns -1 to go on, else the exit status. */
static int
status_doc(struct remote *rm, const proto_jws *jws, const char *id,
    const char *requested, proto_ack **out)
{
	proto_error perr = PROTO_ERROR_INIT;
	const uint8_t *doc;
	size_t len;

	doc = proto_jws_payload(jws, &len);
	if (proto_ack_parse((const char *)doc, len, out, &perr) != 0) {
		fprintf(stderr, PROG " %s: %s's daemon signed a malformed status "
		    "document: %s\n", rm->cmd, rm->state, perr.message);
		return EX_BADREQ;
	}
	if (strcmp((*out)->request_id, id) != 0 ||
	    strcmp((*out)->requested_state, requested) != 0) {
		fprintf(stderr, PROG " %s: %s's daemon signed the status of request "
		    "%s at %s, not of %s at %s\n", rm->cmd, rm->state,
		    (*out)->request_id, (*out)->requested_state, id, requested);
		return EX_VERIFY;
	}
	return -1;
}

/* As status_doc(), for a trace response. */
static int
response_doc(struct remote *rm, const proto_jws *jws, const char *id,
    proto_response **out)
{
	proto_error perr = PROTO_ERROR_INIT;
	const uint8_t *doc;
	size_t len;

	doc = proto_jws_payload(jws, &len);
	if (proto_response_parse((const char *)doc, len, out, &perr) != 0) {
		fprintf(stderr, PROG " %s: %s's daemon signed a malformed trace "
		    "response: %s\n", rm->cmd, rm->state, perr.message);
		return EX_BADREQ;
	}
	if (strcmp((*out)->id, id) != 0 ||
	    strcmp((*out)->responding_state, rm->state) != 0) {
		fprintf(stderr, PROG " %s: %s's daemon signed the response to %s of "
		    "%s, not to %s of %s\n", rm->cmd, rm->state, (*out)->id,
		    (*out)->responding_state, id, rm->state);
		return EX_VERIFY;
	}
	return -1;
}

/* A request id: a UUID in lower case, the only form the protocol writes. */
static int
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

/* ------------------------------------------------------------- submit */

int
tracectl_submit(int argc, char **argv)
{
	struct remote rm = { .cmd = "submit" };
	struct tr__client_answer ans = { .retry_after = -1 };
	proto_error perr = PROTO_ERROR_INIT;
	reg_error err = REG_ERROR_INIT;
	proto_request *req = NULL;
	proto_ack *ack = NULL;
	proto_jws *jws = NULL;
	const char *file, *cty;
	char *canon = NULL, *sent = NULL;
	size_t len = 0;
	int rc;

	if ((rc = remote_parse(&rm, R_SIGN, argc, argv)) >= 0)
		return rc;
	if ((rc = tracectl_read_request(rm.prog, rm.arg, &req, &file)) >= 0)
		goto out;
	/* To the requested State's daemon, or to the requesting State's own,
	 * which sends it on (and follows referrals if the request asks). */
	if (strcmp(req->requested_state, rm.state) != 0 &&
	    strcmp(req->requesting_state, rm.state) != 0) {
		fprintf(stderr, PROG " submit: %s: the request is for %s "
		    "(requested_state), not for %s; send it to %s, or to %s's own "
		    "daemon, or correct its requested_state\n", file,
		    req->requested_state, rm.state, req->requested_state,
		    req->requesting_state);
		rc = EX_USAGE;
		goto out;
	}
	if (rm.follow > 0 && strcmp(req->requesting_state, rm.state) != 0) {
		fprintf(stderr, PROG " submit: %s: --follow follows the chain that "
		    "%s's own daemon sends on, and this goes straight to %s; wait for "
		    "its answer with " PROG " wait, or send the request to %s's daemon\n",
		    file, req->requesting_state, rm.state, req->requesting_state);
		rc = EX_USAGE;
		goto out;
	}
	if (strncmp(rm.kid, req->requesting_state, 2) != 0 || rm.kid[2] != '/') {
		fprintf(stderr, PROG " submit: --kid %s is not a key of %s, the "
		    "requesting State; sign with a kid of %s (%s/...)\n", rm.kid,
		    req->requesting_state, req->requesting_state, req->requesting_state);
		rc = EX_USAGE;
		goto out;
	}
	if ((rc = remote_open(&rm, rm.follow > 0 ? rm.follow + 5 : 0)) >= 0)
		goto out;
	rc = EX_FAIL;
	/* Signed in canonical form (proto/README.md, section 12). */
	if (proto_request_to_json(req, &canon, &perr) != 0 ||
	    proto_jws_sign(rm.signer, PROTO_SCHEMA_REQUEST, canon, strlen(canon),
	    &sent, &perr) != 0) {
		fprintf(stderr, PROG " submit: cannot sign the request: %s\n",
		    perr.message);
		goto out;
	}
	if (tr__client_post(rm.client, "/v1/traces", "application/jose", sent,
	    strlen(sent), &ans, &err) != 0) {
		cli_report(PROG " submit", &err);
		goto out;
	}
	if ((rc = remote_answer(&rm, "POST", &ans, &jws)) >= 0)
		goto out;
	cty = proto_jws_cty(jws);
	if (cty == NULL || strcmp(cty, PROTO_SCHEMA_ACK) != 0) {
		fprintf(stderr, PROG " submit: %s's daemon answered with a signed %s, "
		    "not an acknowledgement (" PROTO_SCHEMA_ACK ")\n", rm.state,
		    cty ? cty : "message of no type");
		rc = EX_FAIL;
		goto out;
	}
	if ((rc = status_doc(&rm, jws, req->id, req->requested_state, &ack)) >= 0)
		goto out;
	if (tr__ack_check(ack, req, sent, &err) != 0) {
		cli_report(PROG " submit", &err);
		rc = EX_VERIFY;
		goto out;
	}
	if (rm.json) {
		const uint8_t *p = proto_jws_payload(jws, &len);

		print_json(p, len, 0);
	} else {
		print_ack(rm.state, ack);
	}
	rc = fflush(stdout) == 0 ? EX_OK : EX_FAIL;
	/* The chain, on the same connection (the codec takes ids in lower
	 * case only, as the daemon writes them). */
	if (rc == EX_OK && rm.follow > 0)
		rc = chain_show(&rm, req->id, rm.follow);
out:
	proto_ack_free(ack);
	proto_jws_free(jws);
	tr__client_answer_free(&ans);
	proto_free(sent);
	proto_free(canon);
	proto_request_free(req);
	remote_close(&rm);
	return rc;
}

/* --------------------------------------------------------- status, wait */

/*
 * Asks for /v1/traces/ID once: *ack or *resp is set (the other NULL), *jws
 * is the verified message and, when raw is not NULL, *raw its text (to
 * free()).  Returns -1 to go on, else the exit status.  For wait, a
 * refusal that says to retry (429, 503) leaves them all NULL and sets
 * *retry to the seconds the daemon asks for (0 when it does not say).
 */
static int
ask(struct remote *rm, const char *id, int hold, proto_jws **jws, proto_ack **ack,
    proto_response **resp, char **raw, double *retry)
{
	struct tr__client_answer ans = { .retry_after = -1 };
	reg_error err = REG_ERROR_INIT;
	const char *cty;
	char path[64];
	int rc;

	*jws = NULL;
	*ack = NULL;
	*resp = NULL;
	*retry = -1;
	if (raw != NULL)
		*raw = NULL;
	/* hold: seconds the daemon may hold the question for the answer
	 * (proto/README.md 13.3.2). */
	if (hold > 0)
		snprintf(path, sizeof(path), "/v1/traces/%s?wait=%d", id, hold);
	else
		snprintf(path, sizeof(path), "/v1/traces/%s", id);
	if (tr__client_get(rm->client, path, &ans, &err) != 0) {
		cli_report(rm->prog, &err);
		return EX_FAIL;
	}
	if ((ans.status == 429 || ans.status == 503) &&
	    strcmp(rm->cmd, "wait") == 0) {
		*retry = ans.retry_after > 0 ? (double)ans.retry_after : 0;
		tr__client_answer_free(&ans);
		return -1;
	}
	if ((rc = remote_answer(rm, "GET", &ans, jws)) >= 0)
		goto out;
	cty = proto_jws_cty(*jws);
	if (cty != NULL && strcmp(cty, PROTO_SCHEMA_ACK) == 0)
		rc = status_doc(rm, *jws, id, rm->state, ack);
	else if (cty != NULL && strcmp(cty, PROTO_SCHEMA_RESPONSE) == 0)
		rc = response_doc(rm, *jws, id, resp);
	else {
		fprintf(stderr, PROG " %s: %s's daemon answered with a signed %s, "
		    "neither a status (" PROTO_SCHEMA_ACK ") nor a response ("
		    PROTO_SCHEMA_RESPONSE ")\n", rm->cmd, rm->state,
		    cty ? cty : "message of no type");
		rc = EX_FAIL;
	}
	if (rc < 0 && raw != NULL) {
		/* The message as the daemon signed it, without the new line. */
		while (ans.len > 0 && (ans.body[ans.len - 1] == '\n' ||
		    ans.body[ans.len - 1] == '\r'))
			ans.body[--ans.len] = '\0';
		*raw = ans.body;
		ans.body = NULL;	/* transferred */
	}
out:
	tr__client_answer_free(&ans);
	if (rc >= 0) {
		proto_jws_free(*jws);
		proto_ack_free(*ack);
		proto_response_free(*resp);
		*jws = NULL;
		*ack = NULL;
		*resp = NULL;
	}
	return rc;
}

int
tracectl_status(int argc, char **argv)
{
	struct remote rm = { .cmd = "status" };
	proto_response *resp = NULL;
	proto_ack *ack = NULL;
	proto_jws *jws = NULL;
	const uint8_t *doc;
	double retry;
	size_t len;
	int rc;

	if ((rc = remote_parse(&rm, 0, argc, argv)) >= 0)
		return rc;
	if (!id_valid(rm.arg))
		return usage_error(&rm, "%s is not a request id (a UUID in lower "
		    "case)", rm.arg);
	if ((rc = remote_open(&rm, 0)) >= 0 ||
	    (rc = ask(&rm, rm.arg, 0, &jws, &ack, &resp, NULL, &retry)) >= 0)
		goto out;
	if (rm.json) {
		doc = proto_jws_payload(jws, &len);
		print_json(doc, len, 0);
	} else if (ack != NULL) {
		print_ack(rm.state, ack);
	} else {
		printf("request %s: answered by %s at %s: %s, %zu candidate%s\n",
		    resp->id, resp->responding_state, resp->responded_at, resp->status,
		    resp->n_candidates, resp->n_candidates == 1 ? "" : "s");
		printf("  " PROG " wait --to %s --save FILE %s keeps the signed "
		    "answer\n", rm.state, resp->id);
	}
	rc = fflush(stdout) == 0 ? EX_OK : EX_FAIL;
out:
	proto_response_free(resp);
	proto_ack_free(ack);
	proto_jws_free(jws);
	remote_close(&rm);
	return rc;
}

/* Writes the signed response to path, whole or not at all. */
static int
save(const char *path, const char *jws, size_t len)
{
	char tmp[4096];
	FILE *f;
	int r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		fprintf(stderr, PROG " wait: --save %s: the name is too long\n", path);
		return -1;
	}
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, PROG " wait: cannot write %s: %s\n", tmp,
		    strerror(errno));
		return -1;
	}
	fwrite(jws, 1, len, f);
	fputc('\n', f);
	r = ferror(f);
	if (fclose(f) != 0 || r != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, PROG " wait: cannot write %s: %s\n", path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void
pause_for(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
tracectl_wait(int argc, char **argv)
{
	struct remote rm = { .cmd = "wait" };
	proto_response *resp = NULL;
	proto_ack *ack = NULL;
	proto_jws *jws = NULL;
	char last[PROTO_ENUM_MAX + 1] = "", *raw = NULL;
	const uint8_t *doc;
	double deadline, retry, step;
	int rc, tty = isatty(STDERR_FILENO);
	size_t len;

	if ((rc = remote_parse(&rm, R_WAIT, argc, argv)) >= 0)
		return rc;
	if (!id_valid(rm.arg))
		return usage_error(&rm, "%s is not a request id (a UUID in lower "
		    "case)", rm.arg);
	if ((rc = remote_open(&rm, rm.timeout)) >= 0)
		goto out;
	deadline = cli_now() + rm.timeout;
	for (;;) {
		/* The daemon holds each question for the answer, within what
		 * is left of --timeout (the transfer's own limit is --timeout
		 * and a second). */
		int hold = (int)(deadline - cli_now() - 1);

		if ((rc = ask(&rm, rm.arg, hold > 30 ? 30 : hold, &jws, &ack, &resp,
		    &raw, &retry)) >= 0)
			goto out;
		if (resp != NULL)
			break;
		free(raw);
		raw = NULL;
		step = rm.interval;
		if (ack != NULL) {
			if (tty && strcmp(last, ack->status) != 0)
				fprintf(stderr, PROG " wait: %s at %s: %s (due by %s)\n",
				    rm.arg, rm.state, ack->status, ack->due_by);
			snprintf(last, sizeof(last), "%s", ack->status);
		} else if (retry > step) {
			step = retry;
		}
		proto_ack_free(ack);
		proto_jws_free(jws);
		ack = NULL;
		jws = NULL;
		if (cli_now() + step > deadline) {
			fprintf(stderr, PROG " wait: no answer to %s from %s within %g "
			    "seconds%s%s%s; wait again later, or ask with " PROG
			    " status\n", rm.arg, rm.state, rm.timeout,
			    last[0] ? " (last status: " : "", last, last[0] ? ")" : "");
			rc = EX_TIMEOUT;
			goto out;
		}
		pause_for(step);
	}
	doc = proto_jws_payload(jws, &len);
	rc = EX_FAIL;
	if (rm.save != NULL && save(rm.save, raw, strlen(raw)) != 0)
		goto out;
	if (print_json(doc, len, rm.pretty) != 0) {
		fprintf(stderr, PROG " wait: out of memory\n");
		goto out;
	}
	rc = fflush(stdout) == 0 ? EX_OK : EX_FAIL;
out:
	free(raw);
	proto_response_free(resp);
	proto_ack_free(ack);
	proto_jws_free(jws);
	remote_close(&rm);
	return rc;
}

/* ------------------------------------------------------------- chain */

static const char *
jstr(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "";
}

static void
print_party(const struct proto_party *p)
{
	if (p == NULL) {
		fputs("-", stdout);
		return;
	}
	put_clean(stdout, p->name, 80);
	printf(" (%s, %s", p->kind, p->country);
	if (p->region != NULL) {
		fputs(", ", stdout);
		put_clean(stdout, p->region, 60);
	}
	fputs(")", stdout);
}

/* One hop's answer: its events, and where its chain leads. */
static void
print_answer(const proto_response *resp)
{
	const struct proto_candidate *c;
	size_t i;

	if (resp->n_candidates == 0)
		return;
	c = &resp->candidates[0];
	printf("      weapon: ");
	put_clean(stdout, c->weapon.manufacturer ? c->weapon.manufacturer : "?", 80);
	fputs(" ", stdout);
	put_clean(stdout, c->weapon.model ? c->weapon.model : "", 60);
	fputs(", serial ", stdout);
	put_clean(stdout, c->weapon.serial, 60);
	printf(" (score %.4g)\n", c->score);
	for (i = 0; i < c->n_history; i++) {
		const struct proto_event *e = &c->history[i];

		printf("      %-10s  %-18s ", e->date, e->kind);
		print_party(e->from);
		fputs(" -> ", stdout);
		print_party(e->to);
		if (e->licence != NULL && e->licence->number != NULL) {
			fputs("; licence ", stdout);
			put_clean(stdout, e->licence->number, 60);
		}
		printf("  [log %lld]\n", (long long)e->log_index);
	}
	if (c->diversion != NULL)
		printf("      diversion: %s%s%s\n", c->diversion->finding,
		    c->diversion->date[0] ? " on " : "", c->diversion->date);
	if (c->referral != NULL)
		printf("      referral: exported to %s on %s\n",
		    c->referral->importing_state, c->referral->export_date);
}

/* Asks once for the chain; *doc its verified payload.  -1 to go on, else
 * the exit status. */
static int
ask_chain(struct remote *rm, const char *id, int hold, json_t **doc)
{
	struct tr__client_answer ans = { .retry_after = -1 };
	reg_error err = REG_ERROR_INIT;
	proto_jws *jws = NULL;
	const uint8_t *p;
	const char *cty;
	char path[96];
	size_t n;
	int rc;

	*doc = NULL;
	if (hold > 0)
		snprintf(path, sizeof(path), "/v1/traces/%s/chain?wait=%d", id, hold);
	else
		snprintf(path, sizeof(path), "/v1/traces/%s/chain", id);
	if (tr__client_get(rm->client, path, &ans, &err) != 0) {
		cli_report(rm->prog, &err);
		return EX_FAIL;
	}
	if ((rc = remote_answer(rm, "GET", &ans, &jws)) >= 0)
		goto out;
	cty = proto_jws_cty(jws);
	p = proto_jws_payload(jws, &n);
	if (cty == NULL || strcmp(cty, "trace-chain/1") != 0 ||
	    (*doc = json_loadb((const char *)p, n, 0, NULL)) == NULL ||
	    !json_is_array(json_object_get(*doc, "hops")) ||
	    strcmp(jstr(*doc, "id"), id) != 0) {
		fprintf(stderr, "%s: %s's daemon did not answer with the chain of %s "
		    "(trace-chain/1)\n", rm->prog, rm->state, id);
		json_decref(*doc);
		*doc = NULL;
		rc = EX_BADREQ;
	}
out:
	proto_jws_free(jws);
	tr__client_answer_free(&ans);
	return rc;
}

/*
 * Asks the daemon for the chain of request id, within wait seconds (0: once)
 * until it ends, then checks every hop's answer and prints the chain.
 * Returns the exit status.
 */
static int
chain_show(struct remote *rm, const char *id, double wait)
{
	json_t *doc = NULL, *last = NULL, *hops, *h, *end;
	struct tracectl_verified v;
	double deadline = cli_now() + wait;
	size_t i, nsig = 0, nproofs = 0;
	int rc, bad = 0, complete;
	char why[700];

	for (;;) {
		/* The daemon holds each question until the chain ends, within
		 * what is left of the wait: asked again at once after a change, a
		 * last time when under a second is left, and after a pause when
		 * the same chain came back at once (a daemon that does not hold
		 * questions is not asked in a busy loop). */
		double t0 = cli_now();
		int hold = (int)(deadline - t0);
		json_t *hops_before = last != NULL ? json_object_get(last, "hops") : NULL;

		if ((rc = ask_chain(rm, id, hold > 30 ? 30 : hold, &doc)) >= 0)
			goto out;
		complete = json_is_true(json_object_get(doc, "complete"));
		if (complete || hold < 1 || cli_now() >= deadline)
			break;
		if (hops_before != NULL && cli_now() - t0 < 0.2 &&
		    json_equal(hops_before, json_object_get(doc, "hops")))
			pause_for(0.5);
		json_decref(last);
		last = doc;
		doc = NULL;
	}
	hops = json_object_get(doc, "hops");
	end = json_object_get(doc, "end");
	if (!rm->json) {
		printf("Chain of request %s, asked by %s: %zu hop%s, ", id,
		    jstr(doc, "requesting_state"), json_array_size(hops),
		    json_array_size(hops) == 1 ? "" : "s");
		if (complete) {
			printf("complete: %s in %s\n", jstr(end, "reason"),
			    jstr(end, "state"));
			if (*jstr(end, "detail") != '\0') {
				fputs("  ", stdout);
				put_clean(stdout, jstr(end, "detail"), 600);
				putchar('\n');
			}
		} else {
			puts("not complete");
		}
		printf("%-3s %-5s %-4s %-12s %-16s %s\n", "HOP", "STATE", "VIA",
		    "STATUS", "ANSWER", "CHECKED");
	}
	json_array_foreach(hops, i, h) {
		const char *text = jstr(h, "response");
		proto_response *resp = NULL;
		int vr = -1;

		if (*text != '\0') {
			vr = tracectl_verify_response(rm->peers, text, strlen(text), &resp,
			    &v, why, sizeof(why));
			if (vr == EX_OK && (strcmp(resp->id, jstr(h, "request_id")) != 0 ||
			    strcmp(resp->responding_state, jstr(h, "requested_state")) != 0)) {
				snprintf(why, sizeof(why), "the response answers %s of %s, "
				    "not this hop", resp->id, resp->responding_state);
				vr = EX_VERIFY;
			}
			if (vr == EX_OK) {
				nsig++;
				nproofs += v.proofs;
			} else {
				bad = 1;
			}
		}
		if (!rm->json) {
			printf("%-3lld %-5s %-4s %-12s %-16s ",
			    (long long)json_integer_value(json_object_get(h, "hop")),
			    jstr(h, "requested_state"), *jstr(h, "via") ? jstr(h, "via") :
			    "-", jstr(h, "status"), *jstr(h, "response_status") ?
			    jstr(h, "response_status") : *jstr(h, "refusal") ?
			    jstr(h, "refusal") : "-");
			if (vr == EX_OK)
				printf("signature %s good; %zu proofs good (checkpoint %llu)\n",
				    v.kid, v.proofs, v.checkpoint_size);
			else if (vr >= 0)
				printf("DOES NOT VERIFY: %s\n", why);
			else
				printf("sent %s, due by %s\n", jstr(h, "sent_at"),
				    jstr(h, "due_by"));
			if (*jstr(h, "detail") != '\0' && *jstr(h, "end") == '\0') {
				fputs("      ", stdout);
				put_clean(stdout, jstr(h, "detail"), 600);
				putchar('\n');
			}
			if (vr == EX_OK)
				print_answer(resp);
		} else if (vr >= 0 && vr != EX_OK) {
			fprintf(stderr, "%s: hop %zu (%s): %s\n", rm->prog, i,
			    jstr(h, "requested_state"), why);
		}
		proto_response_free(resp);
	}
	if (rm->json) {
		char *out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (out != NULL)
			puts(out);
		free(out);
	} else {
		printf("signatures: %zu good; inclusion proofs: %zu good%s\n", nsig,
		    nproofs, bad ? "; SOME ANSWERS DO NOT VERIFY" : "");
	}
	rc = bad ? EX_VERIFY : !complete ? EX_TIMEOUT : EX_OK;
	if (fflush(stdout) != 0)
		rc = EX_FAIL;
out:
	json_decref(last);
	json_decref(doc);
	return rc;
}

int
tracectl_chain(int argc, char **argv)
{
	struct remote rm = { .cmd = "chain" };
	int rc;

	if ((rc = remote_parse(&rm, R_CHAIN, argc, argv)) >= 0)
		return rc;
	if (!id_valid(rm.arg))
		return usage_error(&rm, "%s is not a request id (a UUID in lower "
		    "case)", rm.arg);
	if (rm.peers_path == NULL)
		return usage_error(&rm, "the answers are checked with the peers "
		    "directory: --peers FILE or TRACER_PEERS");
	if ((rc = remote_open(&rm, rm.timeout > 0 ? rm.timeout : 30)) < 0)
		rc = chain_show(&rm, rm.arg, rm.timeout);
	remote_close(&rm);
	return rc;
}
