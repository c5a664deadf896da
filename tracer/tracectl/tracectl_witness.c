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

#include "registry/cli.h"
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

/* s, or "-" for none. */
static const char *
str(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

/* Prints s with control characters as spaces. */
static void
clean(const char *s)
{
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static int
print_table(const proto_witness_status *st)
{
	size_t i;
	int forked = 0;

	printf("witness: ");
	clean(str(st->witness));
	printf("\n");
	printf("%-5s %-9s %-6s %12s  %-20s  %-20s  %s\n", "STATE", "STATUS", "FORKED",
	    "COSIGNED", "COSIGNED AT", "LAST SEEN", "ALARMS (OPEN)");
	for (i = 0; i < st->n_peers; i++) {
		const struct proto_witness_peer *p = &st->peers[i];
		const struct proto_witness_cosigned *cs = p->cosigned;
		int f = p->forked;
		char size[24] = "-";

		forked |= f;
		if (cs != NULL)
			snprintf(size, sizeof(size), "%lld", (long long)cs->size);
		printf("%-5.2s %-9.9s %-6s %12s  %-20.20s  %-20.20s  %lld (%lld)\n",
		    str(p->state), str(p->status), f ? "YES" : "no", size,
		    cs != NULL ? str(cs->at) : "-", str(p->last_seen),
		    (long long)p->alarms, (long long)p->alarms_open);
		if (p->detail != NULL) {
			printf("      ");
			clean(p->detail);
			printf("\n");
		}
		if (f && p->last_alarm != NULL) {
			printf("      FORK at %.20s: ", str(p->last_alarm->at));
			clean(str(p->last_alarm->reason));
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
	proto_witness_status *st = NULL;
	proto_error perr = PROTO_ERROR_INIT;
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
	if (proto_witness_status_parse(ans.body, ans.len, &st, &perr) != 0) {
		fprintf(stderr, PROG " witness: %s's answer is not a witness status "
		    "document: %s\n", url, perr.message);
		rc = EX_BADREQ;
		goto out;
	}
	for (i = 0; i < st->n_peers; i++)
		forked |= st->peers[i].forked;
	if (json) {
		fwrite(ans.body, 1, ans.len, stdout);
		putchar('\n');
	} else {
		(void)print_table(st);
	}
	if (fflush(stdout) != 0)
		goto out;
	if (forked)
		fprintf(stderr, PROG " witness: a peer State's log is FORKED: it "
		    "showed a checkpoint that does not extend the one this witness "
		    "cosigned; see tracerd(8), WITNESS\n");
	rc = forked ? EX_VERIFY : EX_OK;
out:
	proto_witness_status_free(st);
	tr__client_answer_free(&ans);
	tr__client_free(cl);
	return rc;
}
