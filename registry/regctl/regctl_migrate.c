/* regctl migrate, status and local. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "registry/cli.h"
#include "regctl_int.h"

static void
applied_cb(const char *name, void *arg)
{
	(void)arg;
	printf("applied %s\n", name);
	fflush(stdout);
}

static int
print_status(reg_ctx *ctx, const char *dir, reg_error *err)
{
	reg_migration_status *st = NULL;
	size_t n = 0, i;
	int r;

	if ((r = reg_migrate_status(ctx, dir, &st, &n, err)) != 0)
		return r;
	for (i = 0; i < n; i++)
		printf("%-8s %-40s %s\n", st[i].applied ? "applied" : "pending",
		    st[i].name, st[i].applied ? st[i].applied_at : "");
	reg_free(st);
	return 0;
}

int
regctl_migrate(struct regctl_common *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "dir", required_argument, NULL, 'D' },
		{ "status", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	const char *dir = NULL;
	int ch, status = 0, n = 0, r;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c->db = optarg; break;
		case 'D': dir = optarg; break;
		case 's': status = 1; break;
		case 'h':
			printf("Usage: " PROG " migrate [--status] [--dir DIR] [--db CONNINFO]\n"
			    "\n"
			    "Applies the migrations (DIR/NNNN_name.sql) not yet applied, in order,\n"
			    "each in its own transaction, recording its name and SHA-256.  A folder\n"
			    "with a gap or a duplicate number, or a migration changed after it was\n"
			    "applied, is refused before anything is applied.\n"
			    "\n"
			    "  --status   list applied and pending migrations; apply nothing\n"
			    "  --dir DIR  the migrations folder (default: REGISTRY_MIGRATIONS, else\n"
			    "             %s)\n", cli_migrations_dir(NULL));
			return 0;
		default:
			return regctl_usage("migrate", "bad option");
		}
	}
	if (optind != argc)
		return regctl_usage("migrate", "unexpected argument '%s'", argv[optind]);
	dir = cli_migrations_dir(dir);
	if ((r = cli_open(c->db, REG_OPEN_OWNER, &ctx, &err)) != 0)
		goto out;
	if (status)
		r = print_status(ctx, dir, &err);
	else {
		r = reg_migrate(ctx, dir, applied_cb, NULL, &n, &err);
		if (r == 0)
			printf(n == 0 ? "nothing to apply: the schema is up to date\n" :
			    "%d migration%s applied\n", n, n == 1 ? "" : "s");
	}
out:
	reg_close(ctx);
	return r == 0 ? 0 : regctl_fail(&err);
}

int
regctl_status(struct regctl_common *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	reg_migration_status *st = NULL;
	size_t n = 0, i, applied = 0;
	struct reg_server_info srv;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c->db = optarg; break;
		case 'h':
			printf("Usage: " PROG " status [--db CONNINFO]\n"
			    "\n"
			    "Shows which database the registry uses, its server, its schema's\n"
			    "migrations and its audit log.\n");
			return 0;
		default:
			return regctl_usage("status", "bad option");
		}
	}
	if (optind != argc)
		return regctl_usage("status", "unexpected argument '%s'", argv[optind]);
	if ((r = cli_open(c->db, 0, &ctx, &err)) != 0)
		goto out;
	reg_server_info(ctx, &srv);
	printf("database:   %s as %s on %s (PostgreSQL %d.%d)\n", srv.database,
	    srv.user, srv.host, srv.version / 10000, srv.version % 10000);
	if ((r = reg_migrate_status(ctx, cli_migrations_dir(NULL), &st, &n, &err)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		applied += st[i].applied != 0;
	printf("schema:     %zu of %zu migrations applied%s\n", applied, n,
	    applied < n ? " (run 'regctl migrate')" : "");
	if (applied >= 2) {
		struct reg_checkpoint cp;
		uint64_t size = 0;

		if ((r = reg_log_size(ctx, &size, &err)) != 0)
			goto out;
		printf("log:        %llu entries\n", (unsigned long long)size);
		r = reg_log_latest_checkpoint(ctx, NULL, &cp, &err);
		if (r == REG_ENOTFOUND) {
			printf("checkpoint: none yet (run 'regctl log checkpoint')\n");
			r = 0;
		} else if (r == 0) {
			printf("checkpoint: %llu entries, origin %s%s\n",
			    (unsigned long long)cp.size, cp.origin,
			    cp.size < size ? " (the log has grown since)" : "");
		}
	}
out:
	reg_free(st);
	reg_close(ctx);
	return r == 0 ? 0 : regctl_fail(&err);
}

int
regctl_local(struct regctl_common *c, int argc, char **argv)
{
	reg_error err = REG_ERROR_INIT;
	char *ci = NULL;
	int r = 0;

	(void)c;
	if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("Usage: " PROG " local start|stop|status\n"
		    "\n"
		    "Manages the local default cluster in %s, which the\n"
		    "programs use when no database is configured.\n"
		    "  start   create it if needed and start it; print its connection string\n"
		    "  stop    stop it\n"
		    "  status  say whether it runs\n", cli_local_dir());
		return argc == 2 ? 0 : 2;
	}
	if (strcmp(argv[1], "start") == 0) {
		r = cli_local_ensure(&ci, &err);
		if (r == 0)
			printf("%s\n", ci);
		free(ci);
	} else if (strcmp(argv[1], "stop") == 0) {
		r = cli_local_stop(&err);
	} else if (strcmp(argv[1], "status") == 0) {
		int up = cli_local_running();

		printf("local cluster in %s: %s\n", cli_local_dir(),
		    up ? "running" : "not running");
		return up ? 0 : 3;
	} else {
		return regctl_usage("local", "unknown subcommand '%s'", argv[1]);
	}
	return r == 0 ? 0 : regctl_fail(&err);
}
