/*
 * regctl: the record office's command-line tool.  A thin shell over
 * libregistry: it parses arguments, decides which database to use, calls
 * the library and shows the result.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/cli.h"
#include "regctl_int.h"

static const struct command {
	const char *name;
	regctl_fn fn;
	const char *summary;
} commands[] = {
	{ "migrate", regctl_migrate, "apply pending migrations, or list them with --status" },
	{ "status", regctl_status, "show the database, its schema and its log" },
	{ "key", regctl_key, "generate or show the log-signing key" },
	{ "log", regctl_log, "append to, prove, checkpoint and verify the audit log" },
	{ "manufacturer", regctl_manufacturer, "add, alias or find a manufacturer" },
	{ "party", regctl_party, "add a party: business, agency, foreign trader or private person" },
	{ "weapon", regctl_weapon, "register, show or find weapons" },
	{ "mark", regctl_mark, "record a marking applied to a weapon" },
	{ "component", regctl_component, "record a component with its own serial" },
	{ "event", regctl_event, "add an event to a weapon's history" },
	{ "correct", regctl_correct, "correct an event with a new one" },
	{ "import", regctl_import, "import weapons or events from a CSV file" },
	{ "pii-key", regctl_pii_key, "generate or rotate the personal-data keys" },
	{ "local", regctl_local, "start, stop or show the local default cluster" },
	{ NULL, NULL, NULL }
};

static void
usage(FILE *f)
{
	const struct command *c;

	fprintf(f,
	    "Usage: " PROG " [--db CONNINFO] COMMAND [OPTIONS]\n"
	    "\n"
	    "Keeps a State's records of small arms and light weapons, and its signed\n"
	    "audit log.\n"
	    "\n"
	    "Commands:\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f,
	    "\n"
	    "Options:\n"
	    "  --db CONNINFO  the database, as a libpq connection string or URI\n"
	    "  -h, --help     show this help; COMMAND --help shows a command's\n"
	    "  --version      show the version\n"
	    "\n"
	    "The database is --db, else REGISTRY_DB, else libpq's PG* variables; with\n"
	    "none of them, a local cluster under the build tree (%s),\n"
	    "created and started on first use.  See regctl(1).\n",
	    cli_local_dir());
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
	struct regctl_common common = { NULL };
	const struct command *c;
	int ch;

	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			common.db = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " (" PACKAGE_NAME ") " PACKAGE_VERSION "\n");
			return 0;
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (c = commands; c->name != NULL; c++) {
		if (strcmp(c->name, argv[optind]) == 0) {
			argc -= optind;
			argv += optind;
			optind = 0;	/* glibc: start afresh for the command */
			return c->fn(&common, argc, argv);
		}
	}
	fprintf(stderr, PROG ": unknown command '%s'. Try '" PROG " --help'.\n",
	    argv[optind]);
	return 2;
}
