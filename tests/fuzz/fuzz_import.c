/*
 * The CSV importer's reading and checking (registry/import.c, through
 * reg__import_check(), which runs them without a database against fixed
 * reference data).  The CSV format has no writer here, so no round trip;
 * the harness checks what issue 17 asks of the importer: every row read is
 * either good or reported with its line number and a reason, in file
 * order, and no line number is beyond the input's lines.
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

struct seen {
	uint64_t rejected, last_line, lines;
};

static void
on_reject(uint64_t line, const char *why, const char *raw, void *arg)
{
	struct seen *s = arg;

	FUZZ_CHECK(why != NULL && why[0] != '\0' && raw != NULL,
	    "line %llu rejected without a reason", (unsigned long long)line);
	FUZZ_CHECK(line > s->last_line && line <= s->lines, "line %llu rejected "
	    "after line %llu, of %llu", (unsigned long long)line,
	    (unsigned long long)s->last_line, (unsigned long long)s->lines);
	s->last_line = line;
	s->rejected++;
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
	FILE *f;
	size_t i;
	int r;

	if (size > 200000)
		return 0;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < size; i++)
		s.lines += data[i] == '\n';
	s.lines += size > 0 && data[size - 1] != '\n';
	memset(&opts, 0, sizeof(opts));
	opts.batch_rows = 7;	/* several batches from small inputs */
	opts.reject = on_reject;
	opts.arg = &s;
	f = fmemopen(size > 0 ? (void *)data : (void *)"", size, "r");
	FUZZ_CHECK(f != NULL, "fmemopen");
	r = reg__import_check(f, &ref, &opts, &st, &err);
	fclose(f);
	FUZZ_CHECK(r <= 0, "returned %d", r);
	if (r != 0) {
		FUZZ_CHECK(err.message[0] != '\0', "a refusal without a message");
		return 0;
	}
	FUZZ_CHECK(st.rows == st.imported + st.rejected && st.rejected == s.rejected,
	    "%llu rows: %llu good, %llu rejected, %llu reported",
	    (unsigned long long)st.rows, (unsigned long long)st.imported,
	    (unsigned long long)st.rejected, (unsigned long long)s.rejected);
	FUZZ_CHECK(st.rows < s.lines || (st.rows == 0 && s.lines <= 1),
	    "%llu rows from %llu lines (one is the header)",
	    (unsigned long long)st.rows, (unsigned long long)s.lines);
	return 0;
}
