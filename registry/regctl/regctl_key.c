/* regctl key: the State's log-signing key. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry/cli.h"
#include "regctl_int.h"

const char *
regctl_key_path(const char *opt)
{
	static char buf[1100];
	const char *env = getenv("REGISTRY_KEY");

	if (opt != NULL)
		return opt;
	if (env != NULL && *env != '\0')
		return env;
	snprintf(buf, sizeof(buf), "%s/var/keys/log.key", REG_BUILDDIR);
	return buf;
}

int
regctl_key_load(const char *opt, reg_key **key, reg_error *err)
{
	const char *path = regctl_key_path(opt);
	int r = reg_key_load(path, key, err);

	if (r == REG_ENOTFOUND && opt == NULL) {
		reg_error_clear(err);
		err->code = REG_ENOTFOUND;
		snprintf(err->message, sizeof(err->message),
		    "no signing key at %.900s: make one with 'regctl key generate --name ORIGIN', "
		    "or name one with --key or REGISTRY_KEY", path);
	}
	return r;
}

/* Makes the key file's folder when it is the default one under the build tree. */
static void
make_parent(const char *path)
{
	char dir[1100], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0700) != 0 && errno == ENOENT) {
		char *up = strrchr(dir, '/');

		if (up != NULL && up != dir) {
			*up = '\0';
			(void)mkdir(dir, 0755);
			*up = '/';
		}
		(void)mkdir(dir, 0700);
	}
}

static int
key_help(void)
{
	printf("Usage: " PROG " key generate --name NAME [--key FILE] [--witness]\n"
	    "       " PROG " key show [--key FILE] [--witness]\n"
	    "\n"
	    "The State's Ed25519 key that signs the audit log's checkpoints.  Its name\n"
	    "is the log's origin (for example registry.example.gov/XX), without spaces\n"
	    "or '+'.\n"
	    "\n"
	    "  generate  write a new private key (PEM, mode 0600; an existing file is\n"
	    "            never overwritten) and print its verifier key\n"
	    "  show      print the verifier key: <name>+<key id>+<public key>\n"
	    "\n"
	    "  --key FILE  the key file (default: REGISTRY_KEY, else %s)\n"
	    "  --witness   the key's verifier key as a witness that cosigns other\n"
	    "              logs' checkpoints (C2SP tlog-cosignature, type 0x04);\n"
	    "              give a witness a key of its own, not the log's\n",
	    regctl_key_path(NULL));
	return 0;
}

int
regctl_key(struct regctl_common *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "key", required_argument, NULL, 'k' },
		{ "witness", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	reg_error err = REG_ERROR_INIT;
	reg_key *key = NULL;
	const char *name = NULL, *path = NULL, *sub;
	char *vkey = NULL;
	int ch, r, witness = 0;

	(void)c;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': name = optarg; break;
		case 'k': path = optarg; break;
		case 'w': witness = 1; break;
		case 'h': return key_help();
		default: return regctl_usage("key", "bad option");
		}
	}
	if (optind + 1 != argc)
		return regctl_usage("key", "say 'generate' or 'show'");
	sub = argv[optind];
	if (strcmp(sub, "generate") == 0) {
		if (name == NULL)
			return regctl_usage("key", "generate needs --name NAME (the log's origin)");
		if (path == NULL)
			make_parent(regctl_key_path(NULL));
		if ((r = reg_key_generate(name, regctl_key_path(path), &err)) != 0)
			goto out;
	} else if (strcmp(sub, "show") != 0) {
		return regctl_usage("key", "unknown subcommand '%s'", sub);
	} else if (name != NULL) {
		return regctl_usage("key", "--name goes with generate");
	}
	if ((r = regctl_key_load(path, &key, &err)) != 0 ||
	    (r = (witness ? reg_cosig_verifier(key, &vkey, &err) :
	    reg_key_verifier(key, &vkey, &err))) != 0)
		goto out;
	printf("%s\n", vkey);
out:
	reg_free(vkey);
	reg_key_free(key);
	return r == 0 ? 0 : regctl_fail(&err);
}
