/*
 * The CSV importer's reading and checking (registry/import.c, through
 * reg__import_check(), which runs them without a database against fixed
 * reference data).  The CSV format has no writer here, so no round trip;
 * the harness checks what issue 17 asks of the importer: every line after
 * the header that is not blank ends up in a row that is either good or
 * reported with its line numbers and a reason, rows in file order, and no
 * line number is beyond the input's lines.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "import_int.h"
#include "fuzz.h"

static const char *const types[] = { "pistol", "revolver", "rifle",
	"shotgun", "submachine_gun", NULL };
static const char *const makers[] = {
	"GLOCK", "018d2a64-41c0-7e55-a0b9-6f3d2c1e8a47",
	"FNHERSTAL", "018d2a64-41c0-7e55-a0b9-6f3d2c1e8a48", NULL };
static const struct reg__import_ref ref = {
	"ATBEDEFRGBITNLUSCHPLESSE", types, makers
};

/*
 * What the harness saw: the input's physical lines as the importer splits
 * them (its line end is LF, or CR when the first line ends in a lone CR;
 * a CR before the LF and a leading byte-order mark are not part of a line),
 * and which of them a row, good or rejected, has covered.
 */
struct seen {
	uint64_t rejected, good, last_line, lines;
	uint64_t *len;		/* each line's length, by number - 1 */
	unsigned char *covered;	/* by number - 1 */
};

static void
span(struct seen *s, uint64_t line, uint64_t last, const char *what)
{
	FUZZ_CHECK(line > s->last_line && line <= last && last <= s->lines,
	    "%s lines %llu-%llu after line %llu, of %llu", what,
	    (unsigned long long)line, (unsigned long long)last,
	    (unsigned long long)s->last_line, (unsigned long long)s->lines);
	for (uint64_t i = line; i <= last; i++)
		s->covered[i - 1] = 1;
	s->last_line = last;
}

static void
on_reject(const struct reg_import_reject *rj, void *arg)
{
	struct seen *s = arg;

	FUZZ_CHECK(rj->why != NULL && rj->why[0] != '\0' && rj->raw != NULL,
	    "line %llu rejected without a reason", (unsigned long long)rj->line);
	span(s, rj->line, rj->last_line, "rejected");
	s->rejected++;
}

static void
on_good(uint64_t line, uint64_t last, void *arg)
{
	struct seen *s = arg;

	span(s, line, last, "good");
	s->good++;
}

/* Splits data into lines as the importer's reader does (import.c,
 * reader_init_term() and reader_next()). */
static void
split_lines(const uint8_t *data, size_t size, struct seen *s)
{
	const uint8_t *cr = memchr(data, '\r', size);
	const uint8_t *lf = memchr(data, '\n', size);
	uint8_t term = '\n';
	size_t i, start = 0;

	if (cr != NULL && (lf == NULL || cr < lf) &&
	    (size_t)(cr - data) + 1 < size && cr[1] != '\n')
		term = '\r';
	if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		start = 3;
	s->len = calloc(size + 1, sizeof(*s->len));
	s->covered = calloc(size + 1, 1);
	FUZZ_CHECK(s->len != NULL && s->covered != NULL, "out of memory");
	for (i = start; i <= size; i++) {
		if (i < size && data[i] != term)
			continue;
		if (i == size && i == start)
			break;	/* no last line without its end */
		s->len[s->lines] = i - start;
		if (term == '\n' && i > start && data[i - 1] == '\r')
			s->len[s->lines]--;
		s->lines++;
		start = i + 1;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reg_error err = REG_ERROR_INIT;
	struct reg_import_stats st;
	struct reg_import_opts opts;
	struct seen s;
	uint64_t i, header = 0;
	FILE *f;
	int r;

	/* Within one read of the importer's buffer (256 KiB), so that its
	 * choice of line end, made on the first read, is the harness's. */
	if (size > 200000)
		return 0;
	memset(&s, 0, sizeof(s));
	split_lines(data, size, &s);
	memset(&opts, 0, sizeof(opts));
	opts.batch_rows = 7;	/* several batches from small inputs */
	opts.reject_record = on_reject;
	opts.arg = &s;
	f = fmemopen(size > 0 ? (void *)data : (void *)"", size, "r");
	FUZZ_CHECK(f != NULL, "fmemopen");
	r = reg__import_check(f, &ref, &opts, on_good, &st, &err);
	fclose(f);
	FUZZ_CHECK(r <= 0, "returned %d", r);
	if (r != 0) {
		FUZZ_CHECK(err.message[0] != '\0', "a refusal without a message");
		goto out;
	}
	FUZZ_CHECK(st.rows == st.imported + st.rejected &&
	    st.rejected == s.rejected && st.imported == s.good,
	    "%llu rows: %llu good, %llu rejected; %llu and %llu reported",
	    (unsigned long long)st.rows, (unsigned long long)st.imported,
	    (unsigned long long)st.rejected, (unsigned long long)s.good,
	    (unsigned long long)s.rejected);
	/* Every line after the header is blank, or in a row: none is lost. */
	while (header < s.lines && s.len[header] == 0)
		header++;
	for (i = header + 1; i < s.lines; i++)
		FUZZ_CHECK(s.covered[i] || s.len[i] == 0, "line %llu of %llu (%llu "
		    "bytes) is neither imported nor rejected",
		    (unsigned long long)i + 1, (unsigned long long)s.lines,
		    (unsigned long long)s.len[i]);
out:
	free(s.len);
	free(s.covered);
	return 0;
}
