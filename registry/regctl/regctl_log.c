/* regctl log: the audit log's command-line contract. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

#include "registry/cli.h"
#include "regctl_int.h"

struct logopts {
	const char *key;
	const char *verifier;
	const char *data_file;
	const char *start, *end, *index, *size, *from, *to;
	const char *served;		/* verify --served FILE */
	const char *sample;		/* checkpoint --sample N */
};

/* The proof's hashes are handed to the codec as 32-byte values in a row. */
_Static_assert(sizeof(struct reg_hash) == 32, "a hash is 32 bytes");

/* Prints proof p in the protocol's JSON (proto/README.md 13.3.3). */
static int
print_proof(const struct reg_proof *p, int consistency, reg_error *err)
{
	proto_error perr = PROTO_ERROR_INIT;
	char *b = NULL;
	int r;

	r = consistency ? proto_proof_consistency_to_json(p->old_size, p->size,
	    (const uint8_t *)p->hashes, p->n, &b, &perr) :
	    proto_proof_inclusion_to_json(p->index, p->size, p->leaf_hash.b,
	    (const uint8_t *)p->hashes, p->n, &b, &perr);
	if (r != 0) {
		err->code = r == PROTO_ENOMEM ? REG_ENOMEM : REG_EINTERNAL;
		snprintf(err->message, sizeof(err->message), "%s", perr.message);
		return err->code;
	}
	printf("%s\n", b);
	proto_free(b);
	return 0;
}

/* A decimal uint64 with nothing else around it. */
static int
parse_u64(const char *what, const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > INT64_MAX)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, PROG " log: %s must be a whole number from 0 to %" PRId64
	    ", not '%s'\n", what, INT64_MAX, s != NULL ? s : "");
	return -1;
}

static int
read_leaf(const char *path, uint8_t **out, size_t *len, reg_error *err)
{
	FILE *f = stdin;
	uint8_t *buf;
	size_t n;

	*out = NULL;
	*len = 0;
	if (path != NULL && strcmp(path, "-") != 0) {
		f = fopen(path, "rb");
		if (f == NULL) {
			err->code = REG_EIO;
			snprintf(err->message, sizeof(err->message), "cannot open %s: %s",
			    path, strerror(errno));
			return REG_EIO;
		}
	}
	buf = malloc(REG_LOG_LEAF_MAX + 1);
	if (buf == NULL) {
		if (f != stdin)
			fclose(f);
		err->code = REG_ENOMEM;
		snprintf(err->message, sizeof(err->message), "out of memory");
		return REG_ENOMEM;
	}
	n = fread(buf, 1, REG_LOG_LEAF_MAX + 1, f);
	if (ferror(f)) {
		err->code = REG_EIO;
		snprintf(err->message, sizeof(err->message), "cannot read %s",
		    path ? path : "standard input");
	} else if (n > REG_LOG_LEAF_MAX) {
		err->code = REG_ETOOBIG;
		snprintf(err->message, sizeof(err->message),
		    "the leaf in %s is over %u bytes, the limit; nothing appended",
		    path ? path : "standard input", REG_LOG_LEAF_MAX);
	}
	if (f != stdin)
		fclose(f);
	if (err->code != 0) {
		free(buf);
		return err->code;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int
entry_cb(uint64_t index, const uint8_t *leaf, size_t len, void *arg)
{
	reg_error *err = arg;
	char *b = NULL;

	if (reg_base64_encode(leaf, len, &b, err) != 0)
		return -1;
	printf("{\"index\": %" PRIu64 ", \"leaf\": \"%s\"}\n", index, b);
	reg_free(b);
	return ferror(stdout) ? -1 : 0;
}

/* The size proofs default to: the latest checkpoint's. */
static int
default_size(reg_ctx *ctx, uint64_t *size, reg_error *err)
{
	struct reg_checkpoint cp;
	int r = reg_log_latest_checkpoint(ctx, NULL, &cp, err);

	if (r == 0)
		*size = cp.size;
	return r;
}

static int
cmd_append(reg_ctx *ctx, struct logopts *o, reg_error *err)
{
	uint8_t *leaf = NULL;
	size_t len;
	uint64_t index;
	int r;

	if ((r = read_leaf(o->data_file, &leaf, &len, err)) != 0)
		return r;
	if ((r = reg_log_append(ctx, leaf, len, &index, err)) == 0)
		printf("%" PRIu64 "\n", index);
	free(leaf);
	return r;
}

static int
cmd_checkpoint(reg_ctx *ctx, struct logopts *o, reg_error *err)
{
	reg_key *key = NULL;
	char *note = NULL;
	int r;

	uint64_t sample = REG_LOG_CHECK_SAMPLE_DEFAULT;

	if (o->sample != NULL && parse_u64("--sample", o->sample, &sample) != 0)
		return REG_EINVAL;
	if ((r = regctl_key_load(o->key, &key, err)) == 0 &&
	    (r = reg_log_checkpoint_checked(ctx, key, sample, &note, NULL,
	    err)) == 0)
		fputs(note, stdout);
	reg_free(note);
	reg_key_free(key);
	return r;
}

static int
cmd_entries(reg_ctx *ctx, struct logopts *o, reg_error *err)
{
	uint64_t start, end;

	if (o->start == NULL || o->end == NULL) {
		err->code = REG_EINVAL;
		snprintf(err->message, sizeof(err->message),
		    "log entries needs --start I and --end J");
		return REG_EINVAL;
	}
	if (parse_u64("--start", o->start, &start) != 0 ||
	    parse_u64("--end", o->end, &end) != 0)
		return REG_EINVAL;
	return reg_log_entries(ctx, start, end, entry_cb, err, err);
}

static int
cmd_inclusion(reg_ctx *ctx, struct logopts *o, reg_error *err)
{
	struct reg_proof *p = NULL;
	uint64_t index, size;
	int r;

	if (o->index == NULL) {
		err->code = REG_EINVAL;
		snprintf(err->message, sizeof(err->message),
		    "log prove-inclusion needs --index I");
		return REG_EINVAL;
	}
	if (parse_u64("--index", o->index, &index) != 0 ||
	    (o->size != NULL && parse_u64("--size", o->size, &size) != 0))
		return REG_EINVAL;
	if (o->size == NULL && (r = default_size(ctx, &size, err)) != 0)
		return r;
	if ((r = reg_log_prove_inclusion(ctx, index, size, &p, err)) != 0 ||
	    (r = print_proof(p, 0, err)) != 0)
		goto out;
out:
	reg_free(p);
	return r;
}

static int
cmd_consistency(reg_ctx *ctx, struct logopts *o, reg_error *err)
{
	struct reg_proof *p = NULL;
	uint64_t from, to;
	int r;

	if (o->from == NULL) {
		err->code = REG_EINVAL;
		snprintf(err->message, sizeof(err->message),
		    "log prove-consistency needs --from M");
		return REG_EINVAL;
	}
	if (parse_u64("--from", o->from, &from) != 0 ||
	    (o->to != NULL && parse_u64("--to", o->to, &to) != 0))
		return REG_EINVAL;
	if (o->to == NULL && (r = default_size(ctx, &to, err)) != 0)
		return r;
	if ((r = reg_log_prove_consistency(ctx, from, to, &p, err)) != 0 ||
	    (r = print_proof(p, 1, err)) != 0)
		goto out;
out:
	reg_free(p);
	return r;
}

/* The signed note in file path (at most 64 KiB); free *out. */
static int
read_note(const char *path, char **out, reg_error *err)
{
	FILE *f;
	char *buf;
	size_t n;

	*out = NULL;
	if ((f = fopen(path, "rb")) == NULL) {
		err->code = REG_EIO;
		snprintf(err->message, sizeof(err->message), "cannot open %s: %s",
		    path, strerror(errno));
		return REG_EIO;
	}
	if ((buf = malloc(65537)) == NULL) {
		fclose(f);
		err->code = REG_ENOMEM;
		snprintf(err->message, sizeof(err->message), "out of memory");
		return REG_ENOMEM;
	}
	n = fread(buf, 1, 65537, f);
	if (ferror(f) || n > 65536) {
		fclose(f);
		free(buf);
		err->code = REG_EINVAL;
		snprintf(err->message, sizeof(err->message), "cannot read a signed "
		    "note of at most 64 KiB from %s", path);
		return REG_EINVAL;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static int
cmd_verify(reg_ctx *ctx, struct logopts *o, reg_error *err)
{
	struct reg_log_report rep;
	reg_key *key = NULL;
	int r;

	if (o->verifier != NULL)
		r = reg_key_from_verifier(o->verifier, &key, err);
	else
		r = regctl_key_load(o->key, &key, err);
	if (r != 0)
		return r;
	r = reg_log_verify(ctx, key, &rep, err);
	/* The checkpoint the daemon served (tracerd [log] served) must still
	 * be there: a removed newest checkpoint leaves no trace otherwise. */
	if (r == 0 && o->served != NULL) {
		char *note = NULL;

		if ((r = read_note(o->served, &note, err)) == 0)
			r = reg_log_verify_served(ctx, key, note, NULL, err);
		free(note);
	}
	reg_key_free(key);
	if (r == 0)
		printf("log verified: %" PRIu64 " entries, %" PRIu64
		    " checkpoints, %.2f s\n", rep.entries, rep.checkpoints, rep.seconds);
	else if (r == REG_EVERIFY && rep.bad_index >= 0)
		fprintf(stderr, PROG ": first bad index: %" PRId64 "\n", rep.bad_index);
	return r;
}

static const struct logcmd {
	const char *name;
	int (*fn)(reg_ctx *, struct logopts *, reg_error *);
	const char *usage;
} logcmds[] = {
	{ "append", cmd_append, "append [--data-file FILE]   append one leaf (stdin by default); print its index" },
	{ "checkpoint", cmd_checkpoint, "checkpoint [--key FILE] [--sample N]   check the new leaves and N old ones, sign a checkpoint if the log grew; print the latest" },
	{ "entries", cmd_entries, "entries --start I --end J   leaves I <= index < J, one JSON object a line" },
	{ "prove-inclusion", cmd_inclusion, "prove-inclusion --index I [--size N]" },
	{ "prove-consistency", cmd_consistency, "prove-consistency --from M [--to N]" },
	{ "verify", cmd_verify, "verify [--key FILE | --verifier VKEY] [--served FILE]   check every leaf, node and checkpoint" },
	{ NULL, NULL, NULL }
};

static int
log_help(void)
{
	const struct logcmd *l;

	printf("Usage: " PROG " log COMMAND [OPTIONS]\n"
	    "\n"
	    "The State's signed, tamper-evident audit log (RFC 6962 Merkle tree,\n"
	    "C2SP signed checkpoints).\n\n");
	for (l = logcmds; l->name != NULL; l++)
		printf("  %s\n", l->usage);
	printf("\n"
	    "Proofs default to the size of the latest checkpoint.  A leaf is at most\n"
	    "%u bytes.  The signing key is --key, else REGISTRY_KEY, else\n"
	    "%s.  'verify' exits 1 and names the first failure\n"
	    "when anything does not hold.\n", REG_LOG_LEAF_MAX, regctl_key_path(NULL));
	return 0;
}

int
regctl_log(struct regctl_common *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "verifier", required_argument, NULL, 'v' },
		{ "data-file", required_argument, NULL, 'f' },
		{ "start", required_argument, NULL, 's' },
		{ "end", required_argument, NULL, 'e' },
		{ "index", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 'n' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "served", required_argument, NULL, 'S' },
		{ "sample", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct logopts o;
	const struct logcmd *l;
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	int ch, r;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c->db = optarg; break;
		case 'k': o.key = optarg; break;
		case 'v': o.verifier = optarg; break;
		case 'f': o.data_file = optarg; break;
		case 's': o.start = optarg; break;
		case 'e': o.end = optarg; break;
		case 'i': o.index = optarg; break;
		case 'n': o.size = optarg; break;
		case 'F': o.from = optarg; break;
		case 'T': o.to = optarg; break;
		case 'S': o.served = optarg; break;
		case 'N': o.sample = optarg; break;
		case 'h': return log_help();
		default: return regctl_usage("log", "bad option");
		}
	}
	if (optind + 1 != argc)
		return regctl_usage("log", optind >= argc ? "which log command?" :
		    "unexpected argument '%s'", argv[argc - 1]);
	for (l = logcmds; l->name != NULL; l++)
		if (strcmp(l->name, argv[optind]) == 0)
			break;
	if (l->name == NULL)
		return regctl_usage("log", "unknown log command '%s'", argv[optind]);
	if ((r = cli_open(c->db, 0, &ctx, &err)) == 0)
		r = l->fn(ctx, &o, &err);
	reg_close(ctx);
	if (r == REG_EINVAL && err.code == 0)
		return 2;	/* the message was printed already */
	return r == 0 ? 0 : regctl_fail(&err);
}
