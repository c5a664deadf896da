/*
 * The importer's reading: physical lines of the input (LF, CRLF or CR
 * line ends, a byte-order mark dropped, over-long lines cut), and CSV
 * records from them with libcsv in strict mode (RFC 4180, UTF-8).  A
 * record may span lines only inside a quoted field; a stray quote costs
 * one row, not the rest of the file (see split_first()).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "common/utf8.h"
#include "import_int.h"

/* The header lines of the two formats (import_int.h's W_ and E_). */
static const char *const weapon_header[] = {
	"office_ref", "manufacturer", "model", "type", "calibre", "serial",
	"country", "year", "mark_text", "mark_location", "mark_kind", NULL
};

static const char *const event_header[] = {
	"office_ref", "weapon", "kind", "date", "from", "to", "licence_number",
	"licence_issued", "licence_expires", "euc_ref", "export_country",
	"import_country", "transit_countries", "final_recipient", "certificate",
	"note", NULL
};

/* ---------------------------------------------------------------- lines */

/* A line handed back to be read again (see unclosed()). */
struct pbline {
	char *p;			/* owned */
	size_t len;
	uint64_t no;
	int overlong;
};

struct line {
	const char *p;			/* valid until the next reader_next() */
	size_t len;
	uint64_t no;
	int overlong;			/* over IMP_LINE_MAX: p holds its start */
};

/* Reads and drops the rest of an over-long line. */
static int
reader_discard(struct reader *r)
{
	char *nl;
	size_t n;

	while (r->discarding) {
		nl = memchr(r->buf + r->start, r->term, r->end - r->start);
		if (nl != NULL) {
			r->bytes += (size_t)(nl - (r->buf + r->start)) + 1;
			r->start = (size_t)(nl - r->buf) + 1;
			r->discarding = 0;
			break;
		}
		r->bytes += r->end - r->start;
		r->start = r->end = 0;
		if (r->eof) {
			r->discarding = 0;
			break;
		}
		n = fread(r->buf, 1, IMP_READ_CHUNK, r->in);
		r->end = n;
		if (n == 0) {
			if (ferror(r->in))
				return -1;
			r->eof = 1;
		}
	}
	return 0;
}

/*
 * Decides how lines end from the first line end in the input: a CR not
 * followed by LF makes CR the terminator, anything else LF.  Fills the
 * buffer first, so that a line end within IMP_READ_CHUNK bytes is seen.
 * Returns 0 or -1 on a read error.
 */
static int
reader_init_term(struct reader *r)
{
	const char *cr, *lf;
	size_t n;

	while (!r->eof && r->end < IMP_READ_CHUNK) {
		n = fread(r->buf + r->end, 1, IMP_READ_CHUNK - r->end, r->in);
		r->end += n;
		if (n == 0) {
			if (ferror(r->in))
				return -1;
			r->eof = 1;
		}
	}
	cr = memchr(r->buf, '\r', r->end);
	lf = memchr(r->buf, '\n', r->end);
	r->term = '\n';
	if (cr != NULL && (lf == NULL || cr < lf) &&
	    (size_t)(cr - r->buf) + 1 < r->end && cr[1] != '\n')
		r->term = '\r';
	return 0;
}

/*
 * The next physical line: 1 with *l filled, 0 at the end of the input, -1
 * on a read error.  A CR before the LF and a UTF-8 byte-order mark at the
 * start of the input are dropped.
 */
static int
reader_next(struct reader *r, struct line *l)
{
	char *nl;
	size_t n;

	free(r->held);
	r->held = NULL;
	if (r->ipb < r->npb) {
		struct pbline *e = &r->pb[r->ipb++];

		r->held = e->p;
		e->p = NULL;
		l->p = r->held;
		l->len = e->len;
		l->no = e->no;
		l->overlong = e->overlong;
		return 1;
	}
	if (r->term == 0 && reader_init_term(r) != 0)
		return -1;
	if (reader_discard(r) != 0)
		return -1;
	for (;;) {
		nl = memchr(r->buf + r->start, r->term, r->end - r->start);
		if (nl != NULL) {
			l->p = r->buf + r->start;
			l->len = (size_t)(nl - l->p);
			r->start += l->len + 1;
			r->bytes += l->len + 1;
			break;
		}
		if (r->end - r->start > IMP_LINE_MAX + 1) {
			/* Over the limit (and a CR) without its end: keep the
			 * start to show, drop the rest on the next call. */
			l->p = r->buf + r->start;
			l->len = IMP_LINE_MAX;
			r->bytes += r->end - r->start;
			r->start = r->end;
			r->discarding = 1;
			l->no = ++r->lineno;
			l->overlong = 1;
			return 1;
		}
		if (r->eof) {
			if (r->end == r->start)
				return 0;
			/* The last line, without its terminator. */
			l->p = r->buf + r->start;
			l->len = r->end - r->start;
			r->bytes += l->len;
			r->start = r->end;
			break;
		}
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		n = fread(r->buf + r->end, 1, IMP_READ_CHUNK - r->end, r->in);
		r->end += n;
		if (n == 0) {
			if (ferror(r->in))
				return -1;
			r->eof = 1;
		}
	}
	l->no = ++r->lineno;
	l->overlong = 0;
	if (r->term == '\n' && l->len > 0 && l->p[l->len - 1] == '\r')
		l->len--;
	if (l->len > IMP_LINE_MAX) {
		l->len = IMP_LINE_MAX;
		l->overlong = 1;
	}
	if (l->no == 1 && l->len >= 3 && memcmp(l->p, "\xef\xbb\xbf", 3) == 0) {
		l->p += 3;
		l->len -= 3;
	}
	return 1;
}

/*
 * Hands lines back to be read again before anything else: the lines of
 * text (joined by the input's line terminator, numbered from no), then cur
 * (may be NULL).
 * Returns 0 or -1 when out of memory.
 */
static int
reader_push(struct reader *r, const char *text, size_t len, int have_text,
    uint64_t no, const struct line *cur)
{
	struct pbline *npb = NULL;
	size_t n = 0, k = 0, i, off, ll;
	const char *nl;

	if (have_text)
		for (n = 1, i = 0; i < len; i++)
			n += text[i] == r->term;
	if (cur != NULL)
		n++;
	npb = calloc(n + (r->npb - r->ipb) + 1, sizeof(*npb));
	if (npb == NULL)
		return -1;
	for (off = 0; have_text && off <= len; off += ll + 1) {
		nl = memchr(text + off, r->term, len - off);
		ll = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		npb[k].p = malloc(ll + 1);
		if (npb[k].p == NULL)
			goto nomem;
		memcpy(npb[k].p, text + off, ll);
		npb[k].len = ll;
		npb[k].no = no++;
		k++;
	}
	if (cur != NULL) {
		npb[k].p = malloc(cur->len + 1);
		if (npb[k].p == NULL)
			goto nomem;
		memcpy(npb[k].p, cur->p, cur->len);
		npb[k].len = cur->len;
		npb[k].no = cur->no;
		npb[k].overlong = cur->overlong;
		k++;
	}
	for (i = r->ipb; i < r->npb; i++)
		npb[k++] = r->pb[i];
	free(r->pb);
	r->pb = npb;
	r->npb = k;
	r->ipb = 0;
	return 0;
nomem:
	for (i = 0; i < k; i++)
		free(npb[i].p);
	free(npb);
	return -1;
}

static void
reader_free(struct reader *r)
{
	size_t i;

	for (i = r->ipb; i < r->npb; i++)
		free(r->pb[i].p);
	free(r->pb);
	free(r->held);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------------- records */

/* RFC 4180: spaces are part of a field, and only the newline ends a row
 * (the reader has taken the CR of a CRLF away). */
static int
csv_no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static int
csv_lf(unsigned char c)
{
	return c == '\n';
}

static int
csv_cr(unsigned char c)
{
	return c == '\r';
}

static void
on_field(void *s, size_t len, void *arg)
{
	struct csvrec *cr = arg;
	char *copy;

	if (cr->nf < IMP_MAX_FIELDS) {
		copy = reg__pool_strndup(cr->pool, s != NULL ? s : "", len);
		if (copy == NULL)
			cr->nomem = 1;
		cr->f[cr->nf] = copy;
	}
	cr->nf++;
}

static void
on_row(int c, void *arg)
{
	struct csvrec *cr = arg;

	(void)c;
	cr->done = 1;
}

/* Sets p up for RFC 4180 with rows ending in term. */
static int
csv_start(struct csv_parser *p, char term)
{
	if (csv_init(p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return -1;
	csv_set_space_func(p, csv_no_space);
	csv_set_term_func(p, term == '\r' ? csv_cr : csv_lf);
	return 0;
}

static int
csvrec_reset(struct csvrec *cr, char term)
{
	if (cr->p_ok)
		csv_free(&cr->p);
	cr->p_ok = 0;
	if (csv_start(&cr->p, term) != 0)
		return -1;
	cr->p_ok = 1;
	return 0;
}

/* Counts the fields of a row parsed alone (see line_is_row()). */
struct rowcount {
	size_t nf;
	int done;
};

static void
rc_field(void *s, size_t len, void *arg)
{
	(void)s;
	(void)len;
	((struct rowcount *)arg)->nf++;
}

static void
rc_row(int c, void *arg)
{
	(void)c;
	((struct rowcount *)arg)->done = 1;
}

/*
 * Whether the n bytes at s, read alone, are one whole valid row of nfields
 * fields: 1 or 0, or -1 when out of memory.
 */
static int
line_is_row(const char *s, size_t n, char term, size_t nfields)
{
	struct csv_parser p;
	struct rowcount rc = { 0, 0 };
	size_t used;
	int r;

	if (csv_start(&p, term) != 0)
		return -1;
	used = csv_parse(&p, s, n, rc_field, rc_row, &rc);
	if (used == n)
		used += csv_parse(&p, &term, 1, rc_field, rc_row, &rc);
	r = csv_error(&p) == CSV_ENOMEM ? -1 :
	    used == n + 1 && rc.done && rc.nf == nfields;
	csv_free(&p);
	return r;
}

/* ------------------------------------------------------------ reading records */

struct record {
	uint64_t line;			/* its first line */
	uint64_t last;			/* its last line */
	const char *raw;		/* valid until the next record is read */
	size_t rawlen;
	const char *why;		/* NULL, or why the record is bad */
	char whybuf[200];
};

/*
 * A record of several lines that is bad as a whole because of a quoted
 * field opened on its first line (one that does not close at the end of
 * the input, or within IMP_LINE_MAX bytes or IMP_RECORD_LINES lines, or
 * that closes into something that is not a row of the header's fields, or
 * that would take in a line that is a row of its own): only its first line
 * is rejected, and the lines after it (and cur, which did not fit) are
 * read again, so that one stray quote costs one row.
 */
static int
split_first(struct imp *im, struct record *rec, const struct line *cur,
    const char *why)
{
	struct csvrec *cr = &im->cr;
	size_t firstlen = cr->nlines > 1 ? cr->off[1] - 1 : cr->raw.len;

	if (reader_push(&im->rd, cr->raw.p + firstlen + 1,
	    cr->nlines > 1 ? cr->raw.len - firstlen - 1 : 0, cr->nlines > 1,
	    cr->first + 1, cur) != 0 || csvrec_reset(cr, im->rd.term) != 0)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	rec->line = rec->last = cr->first;
	rec->raw = cr->raw.p;
	rec->rawlen = firstlen;
	if (why != rec->whybuf)
		snprintf(rec->whybuf, sizeof(rec->whybuf), "%s", why);
	rec->why = rec->whybuf;
	return 1;
}

/*
 * A whole record of several lines: 1 when one of the lines after the first
 * is a row of its own (which the quoted field opened on the first line
 * would take in), 0 when none is, -1 when out of memory.
 */
static int
takes_in_a_row(struct imp *im, uint64_t *which)
{
	struct csvrec *cr = &im->cr;
	size_t i, end;
	int r;

	for (i = 1; i < cr->nlines; i++) {
		end = i + 1 < cr->nlines ? cr->off[i + 1] - 1 : cr->raw.len;
		r = line_is_row(cr->raw.p + cr->off[i], end - cr->off[i],
		    im->rd.term, im->nfields);
		if (r != 0) {
			*which = cr->first + i;
			return r;
		}
	}
	return 0;
}

/*
 * A record read whole: splits it when a quoted field opened on its first
 * line takes in what it should not, and checks its bytes and its number of
 * fields.  Returns as next_record().
 */
static int
record_finish(struct imp *im, struct record *rec)
{
	struct csvrec *cr = &im->cr;
	uint64_t which;
	int r;

	if (rec->why == NULL && cr->nlines > 1 && im->nfields > 0) {
		if (cr->nf != im->nfields) {
			snprintf(rec->whybuf, sizeof(rec->whybuf), "a quoted field opened "
			    "on this line runs to line %" PRIu64 " and leaves %zu fields; "
			    "the header has %zu", cr->first + cr->nlines - 1, cr->nf,
			    im->nfields);
			return split_first(im, rec, NULL, rec->whybuf);
		}
		r = takes_in_a_row(im, &which);
		if (r < 0)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		if (r > 0) {
			snprintf(rec->whybuf, sizeof(rec->whybuf), "a quoted field opened "
			    "on this line would take in line %" PRIu64 ", a row of its own",
			    which);
			return split_first(im, rec, NULL, rec->whybuf);
		}
	}
	rec->line = cr->first;
	rec->last = cr->first + cr->nlines - 1;
	rec->raw = cr->raw.p;
	rec->rawlen = cr->raw.len;
	if (rec->why != NULL)
		return 1;
	if (!cm_utf8_valid(rec->raw, rec->rawlen))
		rec->why = "not valid UTF-8";
	else if (memchr(rec->raw, '\0', rec->rawlen) != NULL)
		rec->why = "holds a NUL byte";
	else if (im->nfields > 0 && cr->nf != im->nfields) {
		snprintf(rec->whybuf, sizeof(rec->whybuf), "has %zu fields; the header "
		    "has %zu", cr->nf, im->nfields);
		rec->why = rec->whybuf;
	}
	return 1;
}

/*
 * Reads the next record: 1 with *rec filled (and, when rec->why is NULL,
 * its fields in im->cr), 0 at the end of the input, or a REG_E* code.
 */
static int
next_record(struct imp *im, struct record *rec)
{
	struct csvrec *cr = &im->cr;
	struct line l;
	size_t used;
	int r;

	cr->raw.len = 0;
	cr->nf = 0;
	cr->nlines = 0;
	cr->done = cr->nomem = 0;
	rec->why = NULL;
	for (;;) {
		r = reader_next(&im->rd, &l);
		if (r < 0)
			return reg__fail(im->err, REG_EIO, "cannot read the CSV input: %s",
			    strerror(errno));
		if (r == 0) {
			if (cr->nlines == 0)
				return 0;
			return split_first(im, rec, NULL, "a quoted field is not closed "
			    "before the end of the input");
		}
		if (l.overlong) {
			if (cr->nlines > 0)
				return split_first(im, rec, &l, "a quoted field is not "
				    "closed within 65536 bytes");
			rec->line = rec->last = l.no;
			rec->raw = l.p;
			rec->rawlen = l.len;
			rec->why = "the line is over 65536 bytes";
			return 1;
		}
		if (cr->nlines == 0) {
			if (l.len == 0)
				continue;	/* a blank line between records */
			cr->first = l.no;
		} else if (cr->nlines == IMP_RECORD_LINES) {
			snprintf(rec->whybuf, sizeof(rec->whybuf), "a quoted field is "
			    "not closed within %d lines", IMP_RECORD_LINES);
			return split_first(im, rec, &l, rec->whybuf);
		} else if (cr->raw.len + 1 + l.len > IMP_LINE_MAX) {
			return split_first(im, rec, &l, "a quoted field is not closed "
			    "within 65536 bytes");
		} else {
			cm_buf_addc(&cr->raw, im->rd.term);
		}
		cr->off[cr->nlines++] = cr->raw.len;
		cm_buf_add(&cr->raw, l.p, l.len);
		if (cr->raw.failed)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		used = csv_parse(&cr->p, l.p, l.len, on_field, on_row, cr);
		if (used == l.len)
			used += csv_parse(&cr->p, &im->rd.term, 1, on_field, on_row, cr);
		if (cr->nomem || csv_error(&cr->p) == CSV_ENOMEM)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		if (used != l.len + 1) {
			if (cr->nlines > 1) {
				snprintf(rec->whybuf, sizeof(rec->whybuf), "not valid CSV "
				    "(RFC 4180): a quoted field opened on this line closes "
				    "with a quote out of place on line %" PRIu64, l.no);
				return split_first(im, rec, NULL, rec->whybuf);
			}
			if (csvrec_reset(cr, im->rd.term) != 0)
				return reg__fail(im->err, REG_ENOMEM, "out of memory");
			snprintf(rec->whybuf, sizeof(rec->whybuf), "not valid CSV "
			    "(RFC 4180): a quote out of place at byte %zu", used + 1);
			rec->why = rec->whybuf;
			break;
		}
		if (cr->done)
			break;
	}
	return record_finish(im, rec);
}

static int
header_is(const struct csvrec *cr, const char *const *names)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (i >= cr->nf || i >= IMP_MAX_FIELDS ||
		    strcmp(cr->f[i], names[i]) != 0)
			return 0;
	return i == cr->nf;
}

/* Reads the header and decides the format. */
static int
read_header(struct imp *im)
{
	struct record rec;
	int r;

	r = next_record(im, &rec);
	if (r < 0)
		return r;
	if (r == 0)
		return reg__fail(im->err, REG_EINVAL, "the CSV input is empty: it has "
		    "no header line");
	if (rec.why == NULL && header_is(&im->cr, weapon_header)) {
		im->format = FMT_WEAPONS;
		im->nfields = W_NFIELDS;
	} else if (rec.why == NULL && header_is(&im->cr, event_header)) {
		im->format = FMT_EVENTS;
		im->nfields = E_NFIELDS;
	} else {
		char shown[201];
		size_t i, n = rec.rawlen > 200 ? 200 : rec.rawlen;

		/* The header as read, without control characters. */
		for (i = 0; i < n; i++)
			shown[i] = (unsigned char)rec.raw[i] < 0x20 || rec.raw[i] == 0x7f ?
			    '?' : rec.raw[i];
		shown[n] = '\0';
		return reg__fail(im->err, REG_EINVAL, "the header line '%s%s' is "
		    "neither the weapons header (office_ref,manufacturer,...) nor the "
		    "events header (office_ref,weapon,kind,...); see regctl(1), IMPORT",
		    shown, rec.rawlen > 200 ? "..." : "");
	}
	return 0;
}

int
reg__imp_batch_fill(struct imp *im)
{
	struct record rec;
	struct row *rw;
	int r;

	im->nrows = 0;
	reg__pool_reset(&im->pool);
	while (im->nrows < im->batch_rows) {
		r = next_record(im, &rec);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		rw = &im->rows[im->nrows++];
		memset(rw, 0, sizeof(*rw));
		rw->line = rec.line;
		rw->last = rec.last;
		rw->raw = reg__pool_strndup(&im->pool, rec.raw, rec.rawlen);
		rw->rawlen = rec.rawlen;
		if (rec.why != NULL) {
			rw->state = ROW_REJECT;
			rw->why = reg__pool_strdup(&im->pool, rec.why);
		} else {
			rw->f = reg__pool_alloc(&im->pool, im->nfields * sizeof(*rw->f));
			if (rw->f != NULL)
				memcpy(rw->f, im->cr.f, im->nfields * sizeof(*rw->f));
		}
		if (im->pool.failed)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
	}
	return 0;
}

int
reg__imp_read_open(struct imp *im)
{
	if (reader_init_term(&im->rd) != 0)
		return reg__fail(im->err, REG_EIO, "cannot read the CSV input: %s",
		    strerror(errno));
	if (csvrec_reset(&im->cr, im->rd.term) != 0)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	return read_header(im);
}

void
reg__imp_read_free(struct imp *im)
{
	reader_free(&im->rd);
	if (im->cr.p_ok)
		csv_free(&im->cr.p);
	cm_buf_free(&im->cr.raw);
}
