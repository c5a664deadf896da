/*
 * tracectl: the tracing client.  main() hands each command to its file
 * (tracectl_int.h lists them): local runs the trace engine on this
 * State's database, verify checks a saved signed response, and submit,
 * status, wait, chain and witness talk to a tracing daemon.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "registry/cli.h"
#include "tracectl_int.h"

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
		{ "verify", tracectl_verify },
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
		return tracectl_local(db, argc, argv);
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
