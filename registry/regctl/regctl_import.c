/* regctl import: weapons or events in bulk from a CSV file. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/utf8.h"
#include "registry/cli.h"
#include "regctl_int.h"

/* What the callbacks need while the import runs. */
struct import_ui {
	FILE *rejects;			/* the reject file, or NULL for stderr */
	const char *reject_path;
	int reject_failed;		/* writing the reject file failed */
	struct cli_progress prog;
	unsigned long long size;	/* the input's size, or 0 when unknown */
};

static void
import_help(void)
{
	printf("Usage: " PROG " import FILE.csv [--reject-file FILE] [--batch N] "
	    "[--db CONNINFO]\n"
	    "\n"
	    "Imports weapons (each with its manufacture marking) or events of\n"
	    "weapons' histories from a CSV file (RFC 4180, UTF-8; FILE '-' reads\n"
	    "standard input).  The header line tells which:\n"
	    "  weapons: office_ref,manufacturer,model,type,calibre,serial,country,"
	    "year,\n"
	    "           mark_text,mark_location,mark_kind\n"
	    "  events:  office_ref,weapon,kind,date,from,to,licence_number,"
	    "licence_issued,\n"
	    "           licence_expires,euc_ref,export_country,import_country,\n"
	    "           transit_countries,final_recipient,certificate,note\n"
	    "\n"
	    "Rows are written in batches of N (default 5000, at most 50000), each\n"
	    "batch one transaction with its log leaves.  A row whose office_ref is\n"
	    "already recorded is skipped, so running a file again, also after an\n"
	    "interruption, gives the result of one clean run.  A bad row is reported\n"
	    "as 'line N: reason: row' (to FILE with --reject-file, else to standard\n"
	    "error; control bytes, invalid UTF-8 and '\\' escaped) and the other\n"
	    "rows go in; every line but the header and blank lines is imported,\n"
	    "skipped or rejected.  The last line says how many rows were\n"
	    "imported, skipped and rejected.  Exit status 0 when the file was\n"
	    "processed, also with rejected rows; 1 when the import failed.\n"
	    "See regctl(1), IMPORT.\n");
}

/*
 * The length of the valid UTF-8 sequence at s (of n bytes) that is not a
 * control character (C1: U+0080 to U+009F), or 0.
 */
static size_t
utf8_printable(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t k = cm_utf8_decode(s, n, &cp);

	return k > 0 && cp >= 0xa0 ? k : 0;
}

/*
 * Writes the n bytes at s so that a reject stays one line of valid UTF-8
 * that shows every byte as read, and cannot steer a terminal: a backslash
 * as \\, LF, CR and tab as \n, \r and \t, any other control character
 * (C0, DEL, C1) and any byte that is not part of valid UTF-8 as \xHH.
 * NUL bytes are bytes like the others.
 */
static void
put_escaped(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (p[i] == '\\')
			fputs("\\\\", f);
		else if (p[i] == '\n')
			fputs("\\n", f);
		else if (p[i] == '\r')
			fputs("\\r", f);
		else if (p[i] == '\t')
			fputs("\\t", f);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			fputc(p[i], f);
		else if (p[i] >= 0x80 && (k = utf8_printable(p + i, n - i)) > 0) {
			fwrite(p + i, 1, k, f);
			i += k;
			continue;
		} else
			fprintf(f, "\\x%02x", p[i]);
		i++;
	}
}

/*
 * Writes one reject: "line N: reason: the row" ("lines N-M: " for a row
 * whose quoted field spans lines), escaped by put_escaped().
 */
static void
on_reject(const struct reg_import_reject *rj, void *arg)
{
	struct import_ui *ui = arg;
	FILE *f = ui->rejects != NULL ? ui->rejects : stderr;

	if (f == stderr && ui->prog.tty)
		fputc('\n', stderr);	/* below the progress line */
	if (rj->last_line > rj->line)
		fprintf(f, "lines %llu-%llu: ", (unsigned long long)rj->line,
		    (unsigned long long)rj->last_line);
	else
		fprintf(f, "line %llu: ", (unsigned long long)rj->line);
	put_escaped(f, rj->why, strlen(rj->why));
	fputs(": ", f);
	put_escaped(f, rj->raw, rj->rawlen);
	if (fputc('\n', f) == EOF)
		ui->reject_failed = 1;
}

/* The rows to come are estimated from the share of the file read. */
static void
on_progress(const struct reg_import_stats *st, uint64_t bytes, void *arg)
{
	struct import_ui *ui = arg;

	if (ui->size > 0 && bytes > 0)
		ui->prog.total = (unsigned long long)((double)st->rows *
		    (double)ui->size / (double)bytes);
	cli_progress_update(&ui->prog, st->rows);
}

int
regctl_import(struct regctl_common *c, int argc, char **argv)
{
	enum { O_DB = 256, O_REJECT, O_BATCH, O_HELP };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "reject-file", required_argument, NULL, O_REJECT },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct import_ui ui;
	struct reg_import_opts io;
	struct reg_import_stats st;
	reg_error err = REG_ERROR_INIT;
	reg_ctx *ctx = NULL;
	FILE *in = NULL;
	const char *path;
	struct stat sb;
	char *end;
	long batch = 0;
	int ch, r = 1;

	memset(&ui, 0, sizeof(ui));
	memset(&st, 0, sizeof(st));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case O_DB:
			c->db = optarg;
			break;
		case O_REJECT:
			ui.reject_path = optarg;
			break;
		case O_BATCH:
			errno = 0;
			batch = strtol(optarg, &end, 10);
			if (errno != 0 || *optarg == '\0' || *end != '\0' || batch < 1 ||
			    batch > 50000)
				return regctl_usage("import", "--batch must be a number of "
				    "rows from 1 to 50000");
			break;
		case O_HELP:
		case 'h':
			import_help();
			return 0;
		default:
			return regctl_usage("import", "bad option");
		}
	}
	if (optind + 1 != argc)
		return regctl_usage("import", "give one CSV file (or '-' for standard "
		    "input)");
	path = argv[optind];
	if (strcmp(path, "-") == 0) {
		in = stdin;
	} else if ((in = fopen(path, "r")) == NULL) {
		fprintf(stderr, PROG ": cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
		ui.size = (unsigned long long)sb.st_size;
	if (ui.reject_path != NULL &&
	    (ui.rejects = fopen(ui.reject_path, "w")) == NULL) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", ui.reject_path,
		    strerror(errno));
		goto out;
	}
	if (cli_open(c->db, 0, &ctx, &err) != 0) {
		regctl_fail(&err);
		goto out;
	}
	memset(&io, 0, sizeof(io));
	io.batch_rows = (size_t)batch;
	io.reject_record = on_reject;
	io.progress = on_progress;
	io.arg = &ui;
	cli_progress_start(&ui.prog, "import rows", 0);
	r = reg_import_csv(ctx, in, &io, &st, &err);
	cli_progress_end(&ui.prog, st.rows);
	printf("imported %llu, skipped %llu (already present), rejected %llu\n",
	    (unsigned long long)st.imported, (unsigned long long)st.skipped,
	    (unsigned long long)st.rejected);
	if (r != 0) {
		r = regctl_fail(&err);
		goto out;
	}
	r = 0;
out:
	if (ui.rejects != NULL && (fclose(ui.rejects) != 0 || ui.reject_failed) &&
	    r == 0) {
		fprintf(stderr, PROG ": cannot write %s\n", ui.reject_path);
		r = 1;
	}
	if (in != NULL && in != stdin)
		fclose(in);
	reg_close(ctx);
	return r;
}
