/*
 * tracectl witness: asks this State's own daemon (GET /v1/witness, for its
 * liaison office and auditors) what its witness found of the peer States'
 * logs it witnesses, prints it, and exits 4 when any of them is forked
 * (proto/README.md 13.3.4, tracerd(8) "WITNESS").
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli_int.h"
#include "client_int.h"
#include "tracectl_int.h"

static void
witness_usage(FILE *f)
{
	fprintf(f,
	    "Usage: " PROG " witness --url URL --ca FILE [--cert FILE --key FILE]\n"
	    "         [--json]\n"
	    "\n"
	    "Shows what this State's daemon, as a witness, found of each peer State's\n"
	    "audit log: the last checkpoint it cosigned, when it last read the log, and\n"
	    "its fork alarms.\n"
	    "\n"
	    "  --url URL     this State's daemon (https)\n"
	    "  --ca FILE     the CA file that issued its certificate\n"
	    "  --cert FILE, --key FILE\n"
	    "                this client's TLS certificate and key, PEM, of this\n"
	    "                State's liaison office or an auditor (default\n"
	    "                TRACER_CERT, TRACER_KEY)\n"
	    "  --json        print the daemon's JSON document\n"
	    "\n"
	    "Exit status: 0 no peer is forked; 1 the network or the daemon failed or\n"
	    "refused; 2 bad usage; 3 a malformed answer; 4 a peer State's log is\n"
	    "forked (an alarm that no operator has acknowledged).  See tracectl(1).\n");
}

/* The string member name of o, or "-". */
static const char *
str(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) ? json_string_value(v) : "-";
}

/* Prints s with control characters as spaces. */
static void
clean(const char *s)
{
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static int
print_table(json_t *doc)
{
	json_t *peers = json_object_get(doc, "peers"), *p, *cs, *al;
	size_t i;
	int forked = 0;

	if (!json_is_array(peers))
		return -1;
	printf("witness: ");
	clean(str(doc, "witness"));
	printf("\n");
	printf("%-5s %-9s %-6s %12s  %-20s  %-20s  %s\n", "STATE", "STATUS", "FORKED",
	    "COSIGNED", "COSIGNED AT", "LAST SEEN", "ALARMS (OPEN)");
	json_array_foreach(peers, i, p) {
		int f = json_is_true(json_object_get(p, "forked"));
		char size[24] = "-";

		if (!json_is_object(p))
			return -1;
		forked |= f;
		cs = json_object_get(p, "cosigned");
		if (json_is_object(cs))
			snprintf(size, sizeof(size), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(json_object_get(cs, "size")));
		printf("%-5.2s %-9.9s %-6s %12s  %-20.20s  %-20.20s  %" JSON_INTEGER_FORMAT
		    " (%" JSON_INTEGER_FORMAT ")\n", str(p, "state"), str(p, "status"),
		    f ? "YES" : "no", size, json_is_object(cs) ? str(cs, "at") : "-",
		    str(p, "last_seen"), json_integer_value(json_object_get(p, "alarms")),
		    json_integer_value(json_object_get(p, "alarms_open")));
		if (json_is_string(json_object_get(p, "detail"))) {
			printf("      ");
			clean(str(p, "detail"));
			printf("\n");
		}
		al = json_object_get(p, "last_alarm");
		if (f && json_is_object(al)) {
			printf("      FORK at %.20s: ", str(al, "at"));
			clean(str(al, "reason"));
			printf("\n");
		}
	}
	return forked;
}

/* Reads witness's options into cc (the daemon and this client's
 * certificate) and *json.  Returns -1 to go on, else the exit status. */
static int
witness_parse(int argc, char **argv, struct tr__client_config *cc, int *json)
{
	enum { O_URL = 1, O_CA, O_CERT, O_KEY, O_JSON, O_HELP };
	static const struct option opts[] = {
		{ "url", required_argument, NULL, O_URL },
		{ "ca", required_argument, NULL, O_CA },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	cc->cert_file = getenv("TRACER_CERT");
	cc->key_file = getenv("TRACER_KEY");
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case O_URL:
			if (strlen(optarg) > 8 && optarg[strlen(optarg) - 1] == '/')
				optarg[strlen(optarg) - 1] = '\0';
			cc->url = optarg;
			break;
		case O_CA: cc->ca_file = optarg; break;
		case O_CERT: cc->cert_file = optarg; break;
		case O_KEY: cc->key_file = optarg; break;
		case O_JSON: *json = 1; break;
		case 'h':
		case O_HELP:
			witness_usage(stdout);
			return EX_OK;
		default:
			fprintf(stderr, "Try '" PROG " witness --help'.\n");
			return EX_USAGE;
		}
	}
	if (optind != argc || cc->url == NULL || cc->ca_file == NULL ||
	    cc->cert_file == NULL || cc->key_file == NULL ||
	    *cc->cert_file == '\0' || *cc->key_file == '\0') {
		fprintf(stderr, PROG " witness: give --url, --ca, and --cert and --key "
		    "(or TRACER_CERT, TRACER_KEY), and nothing else\nTry '" PROG
		    " witness --help'.\n");
		return EX_USAGE;
	}
	return -1;
}

int
tracectl_witness(int argc, char **argv)
{
	struct tr__client_config cc;
	struct tr__client_answer ans = { .retry_after = -1 };
	reg_error err = REG_ERROR_INIT;
	tr__client *cl = NULL;
	json_t *doc = NULL, *peers, *p;
	json_error_t jerr;
	const char *url;
	size_t i;
	int json = 0, forked = 0, rc;

	memset(&cc, 0, sizeof(cc));
	if ((rc = witness_parse(argc, argv, &cc, &json)) >= 0)
		return rc;
	rc = EX_FAIL;
	url = cc.url;
	if (tr__client_new(&cc, &cl, &err) != 0) {
		cli_report(PROG " witness", &err);
		rc = err.code == REG_EINVAL ? EX_USAGE : EX_FAIL;
		goto out;
	}
	if (tr__client_get(cl, "/v1/witness", &ans, &err) != 0) {
		cli_report(PROG " witness", &err);
		goto out;
	}
	if (ans.status != 200) {
		/* A refusal is a signed problem; its type is enough here. */
		fprintf(stderr, PROG " witness: %s answered HTTP %ld; this client's "
		    "certificate must be of this State's liaison office or an "
		    "auditor\n", url, ans.status);
		goto out;
	}
	doc = json_loadb(ans.body, ans.len, JSON_REJECT_DUPLICATES, &jerr);
	peers = doc ? json_object_get(doc, "peers") : NULL;
	if (!json_is_array(peers)) {
		fprintf(stderr, PROG " witness: %s's answer is not a witness status "
		    "document\n", url);
		rc = EX_BADREQ;
		goto out;
	}
	json_array_foreach(peers, i, p)
		forked |= json_is_true(json_object_get(p, "forked"));
	if (json) {
		fwrite(ans.body, 1, ans.len, stdout);
		putchar('\n');
	} else if (print_table(doc) < 0) {
		fprintf(stderr, PROG " witness: %s's answer is malformed\n", url);
		rc = EX_BADREQ;
		goto out;
	}
	if (fflush(stdout) != 0)
		goto out;
	if (forked)
		fprintf(stderr, PROG " witness: a peer State's log is FORKED: it "
		    "showed a checkpoint that does not extend the one this witness "
		    "cosigned; see tracerd(8), WITNESS\n");
	rc = forked ? EX_VERIFY : EX_OK;
out:
	json_decref(doc);
	tr__client_answer_free(&ans);
	tr__client_free(cl);
	return rc;
}
