/*
 * Bulk import of CSV files (RFC 4180, UTF-8, header line first): weapons
 * with their manufacture marking, or events of weapons' histories, told
 * apart by the header line.
 *
 * The input is read line by line and parsed with libcsv in strict mode; a
 * record may span lines only inside a quoted field.  Records go into
 * batches, and each batch is one transaction.  Its rows are first checked
 * in memory against reference data loaded once (countries, weapon types,
 * manufacturers' names and codes).  Then, holding the log's append lock,
 * the batch asks one query per kind about itself (office references already
 * recorded; for events the weapons, the parties and the weapons' histories,
 * against which the events are checked in file order), and the good rows
 * become the same canonical records that reg_weapon_register() and
 * reg_event_add() write.  The rows go to their tables with COPY, naming the
 * log indexes their leaves will get, while their leaves are made; the
 * leaves then go to the log with one reg_log_append_batch() call, and the
 * batch commits.  A row whose office reference is already recorded is
 * skipped, so that running a file again, also after an interruption at any
 * moment, gives the result of one clean run.  A bad row is reported with
 * its line number and the reason, and never stops the import; a database
 * failure does, with the current batch rolled back.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <libpq-fe.h>

#include "history_int.h"
#include "import_int.h"
#include "record_int.h"

#define IMP_LINE_MAX		65536	/* bytes in a line, and in a record */
#define IMP_RECORD_LINES	8	/* lines one record (a quoted field with
					 * line breaks) may span */
#define IMP_BATCH_DEFAULT	5000
#define IMP_BATCH_MAX		50000	/* a weapon row makes two leaves, and the
					 * log takes 100000 in one call */
#define IMP_READ_CHUNK		(256 * 1024)
#define IMP_POOL_BLOCK		(256 * 1024)
#define IMP_MAX_FIELDS		16
#define IMP_TRANSIT_MAX		255	/* as event.c: codes and separators */

/* The two formats: their header lines, field by field. */
enum imp_format { FMT_WEAPONS, FMT_EVENTS };

static const char *const weapon_header[] = {
	"office_ref", "manufacturer", "model", "type", "calibre", "serial",
	"country", "year", "mark_text", "mark_location", "mark_kind", NULL
};
enum {
	W_OFFICE_REF, W_MANUFACTURER, W_MODEL, W_TYPE, W_CALIBRE, W_SERIAL,
	W_COUNTRY, W_YEAR, W_MARK_TEXT, W_MARK_LOCATION, W_MARK_KIND, W_NFIELDS
};

static const char *const event_header[] = {
	"office_ref", "weapon", "kind", "date", "from", "to", "licence_number",
	"licence_issued", "licence_expires", "euc_ref", "export_country",
	"import_country", "transit_countries", "final_recipient", "certificate",
	"note", NULL
};
enum {
	E_OFFICE_REF, E_WEAPON, E_KIND, E_DATE, E_FROM, E_TO, E_LICENCE_NUMBER,
	E_LICENCE_ISSUED, E_LICENCE_EXPIRES, E_EUC_REF, E_EXPORT_COUNTRY,
	E_IMPORT_COUNTRY, E_TRANSIT, E_FINAL_RECIPIENT, E_CERTIFICATE, E_NOTE,
	E_NFIELDS
};

/* The event table's column that holds an array (COPY needs {A,B}). */
#define EVENT_TRANSIT_COL 13

/* The same list as weapon.c (event kinds: history.c). */
static const char *const locations[] = {
	"frame", "receiver", "slide", "barrel", "bolt", "cylinder", "metal_insert",
	"other", NULL
};

/* ---------------------------------------------------------------- buffers */

/*
 * A growing byte buffer, always NUL-terminated, that remembers a failed
 * allocation so that a series of appends is checked once.
 */
struct ibuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void
ibuf_add(struct ibuf *b, const void *s, size_t n)
{
	char *np;
	size_t ncap;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 4096;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (np == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
ibuf_adds(struct ibuf *b, const char *s)
{
	ibuf_add(b, s, strlen(s));
}

static void
ibuf_addc(struct ibuf *b, char c)
{
	if (!b->failed && b->len + 2 <= b->cap) {
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
		return;
	}
	ibuf_add(b, &c, 1);
}

static void
ibuf_free(struct ibuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/*
 * Memory for one batch's strings, given out in pieces and taken back all at
 * once; blocks are kept for the next batch.
 */
struct pool_blk {
	struct pool_blk *next;
	size_t used, cap;
	char data[];
};

struct pool {
	struct pool_blk *head;		/* blocks in use, newest first */
	struct pool_blk *spare;		/* blocks to reuse */
	int failed;
};

static void *
pool_alloc(struct pool *p, size_t n)
{
	struct pool_blk *b = p->head, **pp;
	size_t cap;

	n = (n + 7) & ~(size_t)7;
	if (b == NULL || b->cap - b->used < n) {
		for (pp = &p->spare; *pp != NULL; pp = &(*pp)->next)
			if ((*pp)->cap >= n)
				break;
		if (*pp != NULL) {
			b = *pp;
			*pp = b->next;
		} else {
			cap = n > IMP_POOL_BLOCK ? n : IMP_POOL_BLOCK;
			b = malloc(sizeof(*b) + cap);
			if (b == NULL) {
				p->failed = 1;
				return NULL;
			}
			b->cap = cap;
		}
		b->used = 0;
		b->next = p->head;
		p->head = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

static char *
pool_strndup(struct pool *p, const char *s, size_t n)
{
	char *d = pool_alloc(p, n + 1);

	if (d == NULL)
		return NULL;
	if (n > 0)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static char *
pool_strdup(struct pool *p, const char *s)
{
	return pool_strndup(p, s, strlen(s));
}

static void
pool_reset(struct pool *p)
{
	struct pool_blk *b;

	while ((b = p->head) != NULL) {
		p->head = b->next;
		b->next = p->spare;
		p->spare = b;
	}
	p->failed = 0;
}

static void
pool_free(struct pool *p)
{
	struct pool_blk *b;

	pool_reset(p);
	while ((b = p->spare) != NULL) {
		p->spare = b->next;
		free(b);
	}
}

/*
 * A map from strings to pointers (open addressing, FNV-1a).  Keys are not
 * copied: they must live as long as the map uses them.
 */
struct smap_ent {
	const char *key;		/* NULL: a free slot */
	uint64_t hash;
	void *val;
};

struct smap {
	struct smap_ent *t;
	size_t cap, n;			/* cap is 0 or a power of two */
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static void *
smap_get(const struct smap *m, const char *key)
{
	uint64_t h;
	size_t i;

	if (m->n == 0)
		return NULL;
	h = hash_str(key);
	for (i = h & (m->cap - 1); m->t[i].key != NULL; i = (i + 1) & (m->cap - 1))
		if (m->t[i].hash == h && strcmp(m->t[i].key, key) == 0)
			return m->t[i].val;
	return NULL;
}

/* Sets key to val (not NULL); 0, or -1 when out of memory. */
static int
smap_put(struct smap *m, const char *key, void *val)
{
	struct smap_ent *nt;
	uint64_t h = hash_str(key);
	size_t i, j, ncap;

	if ((m->n + 1) * 2 > m->cap) {
		ncap = m->cap ? m->cap * 2 : 64;
		nt = calloc(ncap, sizeof(*nt));
		if (nt == NULL)
			return -1;
		for (i = 0; i < m->cap; i++) {
			if (m->t[i].key == NULL)
				continue;
			for (j = m->t[i].hash & (ncap - 1); nt[j].key != NULL;
			    j = (j + 1) & (ncap - 1))
				;
			nt[j] = m->t[i];
		}
		free(m->t);
		m->t = nt;
		m->cap = ncap;
	}
	for (i = h & (m->cap - 1); m->t[i].key != NULL; i = (i + 1) & (m->cap - 1)) {
		if (m->t[i].hash == h && strcmp(m->t[i].key, key) == 0) {
			m->t[i].val = val;
			return 0;
		}
	}
	m->t[i].key = key;
	m->t[i].hash = h;
	m->t[i].val = val;
	m->n++;
	return 0;
}

static void
smap_clear(struct smap *m)
{
	if (m->n > 0)
		memset(m->t, 0, m->cap * sizeof(*m->t));
	m->n = 0;
}

static void
smap_free(struct smap *m)
{
	free(m->t);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- lines */

/* A line handed back to be read again (see unclosed()). */
struct pbline {
	char *p;			/* owned */
	size_t len;
	uint64_t no;
	int overlong;
};

/*
 * Physical lines of the input, without their terminator.  Lines end in LF
 * (a CR before it is dropped), or in CR alone when the first line of the
 * input ends so (files from old Macintosh programs); term says which.
 */
struct reader {
	FILE *in;
	char *buf;
	size_t start, end;		/* unread bytes are buf[start..end) */
	char term;			/* '\n' or '\r'; 0 until the first read */
	int eof, discarding;
	uint64_t lineno;		/* lines read from the input so far */
	uint64_t bytes;			/* bytes consumed from the input */
	struct pbline *pb;		/* lines to read again first */
	size_t npb, ipb;
	char *held;			/* the pushed-back line last returned */
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

/* libcsv's state for the record being read. */
struct csvrec {
	struct csv_parser p;
	int p_ok;			/* p is initialised */
	struct pool *pool;		/* where fields are copied */
	const char *f[IMP_MAX_FIELDS];
	size_t nf;			/* fields seen, also beyond IMP_MAX_FIELDS */
	int done, nomem;
	struct ibuf raw;		/* the record's lines, joined by the line
					 * terminator */
	uint64_t first;			/* the record's first line */
	size_t nlines;			/* lines in raw */
	size_t off[IMP_RECORD_LINES];	/* where each line starts in raw */
};

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
		copy = pool_strndup(cr->pool, s != NULL ? s : "", len);
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

/* Whether the n bytes at s are valid UTF-8. */
static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = reg__utf8_decode(s + i, n - i, &cp);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* ---------------------------------------------------------------- the import */

enum { ROW_NEW, ROW_REJECT, ROW_SKIP, ROW_IMPORT };

/* One data row of the batch. */
struct row {
	uint64_t line;			/* its first line */
	uint64_t last;			/* its last line */
	const char *raw;		/* may hold NUL bytes: rawlen says how long */
	size_t rawlen;
	const char **f;			/* the fields, or NULL for a bad record */
	int state;			/* ROW_* */
	const char *why;		/* why it was rejected */
	/* Worked out while checking. */
	const char *maker;		/* weapons: manufacturer id, or NULL */
	const char *mark_kind;		/* weapons */
	const char *year;		/* weapons: decimal, or NULL */
	const char *serial_norm;	/* weapons */
	const char *calibre_norm;	/* weapons: or NULL */
	const char *transit;		/* events: comma-separated, or "" */
	/* Filled when the row is written: its records' values and leaves. */
	const char **v;			/* the weapon's or the event's */
	const char **mv;		/* the weapon's marking */
	char *leaf[2];			/* in the batch's pool */
	size_t leaflen[2];
};

/* A weapon's history as the chain rules see it, while a batch runs. */
struct wstate {
	const char *id;
	struct reg__hstate st;
};

struct party {
	const char *id;
	const char *kind;
};

/* A record type's leaf keys in jansson's order (see leaf_encode()). */
struct leafkeys {
	int n;				/* keys: "_r", "_v" and the columns */
	int col[REC_MAX_COLS + 2];	/* in key order: -2 "_r", -1 "_v", else
					 * the column's index */
};

struct imp {
	reg_ctx *ctx;
	reg_error *err;
	const struct reg_import_opts *opts;
	size_t batch_rows;
	struct reg_import_stats st;
	struct reader rd;
	struct csvrec cr;
	int format;
	size_t nfields;
	char copy_sql[2][512];		/* COPY statements for this format */

	/* Reference data, loaded once. */
	uint8_t countries[26][26];
	struct leafkeys keys[REC_NTYPES];
	struct smap types;		/* weapon type codes */
	struct smap maker_alias;	/* alias_norm -> manufacturer id */
	struct smap maker_id;		/* manufacturer id -> itself */
	struct pool refpool;

	/* The batch. */
	uint64_t log_size;		/* read under the batch's log lock */
	struct pool pool;
	struct row *rows;
	size_t nrows;
	struct smap seen;		/* office references present or taken */
	struct smap refs;		/* references already in a query */
	struct smap weapon_id, weapon_ref;	/* -> struct wstate */
	struct smap party_id, party_ref;	/* -> struct party */
	struct reg_leaf *leaves;
	struct ibuf q1, q2, q3, copy1, leafbuf;
	int *eff;			/* scratch for history chains */
	size_t effcap;
};

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
 * Reads the next record: 1 with *rec filled (and, when rec->why is NULL,
 * its fields in im->cr), 0 at the end of the input, or a REG_E* code.
 */
static int
next_record(struct imp *im, struct record *rec)
{
	struct csvrec *cr = &im->cr;
	struct line l;
	uint64_t which;
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
			ibuf_addc(&cr->raw, im->rd.term);
		}
		cr->off[cr->nlines++] = cr->raw.len;
		ibuf_add(&cr->raw, l.p, l.len);
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
	if (!utf8_valid((const unsigned char *)rec->raw, rec->rawlen))
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

/* Reads up to batch_rows records into the batch. */
static int
batch_fill(struct imp *im)
{
	struct record rec;
	struct row *rw;
	int r;

	im->nrows = 0;
	pool_reset(&im->pool);
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
		rw->raw = pool_strndup(&im->pool, rec.raw, rec.rawlen);
		rw->rawlen = rec.rawlen;
		if (rec.why != NULL) {
			rw->state = ROW_REJECT;
			rw->why = pool_strdup(&im->pool, rec.why);
		} else {
			rw->f = pool_alloc(&im->pool, im->nfields * sizeof(*rw->f));
			if (rw->f != NULL)
				memcpy(rw->f, im->cr.f, im->nfields * sizeof(*rw->f));
		}
		if (im->pool.failed)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
	}
	return 0;
}

/* ------------------------------------------------------------ checking rows */

static void
reject(struct imp *im, struct row *rw, const char *why)
{
	rw->state = ROW_REJECT;
	rw->why = pool_strdup(&im->pool, why);
	if (rw->why == NULL)
		rw->why = "out of memory";
}

/* As reg__check_country(), against the codes loaded once. */
static int
check_country(const struct imp *im, const char *field, const char *code,
    int optional, reg_error *e)
{
	if (code == NULL || *code == '\0') {
		if (optional)
			return 0;
		return reg__fail(e, REG_EINVAL, "%s is required (ISO 3166-1 alpha-2)",
		    field);
	}
	if (strlen(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' ||
	    code[1] > 'Z')
		return reg__fail(e, REG_EINVAL, "%s '%.10s' is not an ISO 3166-1 "
		    "alpha-2 code (two capital letters)", field, code);
	if (!im->countries[code[0] - 'A'][code[1] - 'A'])
		return reg__fail(e, REG_EINVAL, "%s '%s' is not an assigned ISO 3166-1 "
		    "alpha-2 code", field, code);
	return 0;
}

/* A year from 1800 to 2200 in decimal, or empty (unknown: *year = 0). */
static int
check_year(const char *field, const char *s, int *year, reg_error *e)
{
	const char *p;

	*year = 0;
	if (*s == '\0')
		return 0;
	for (p = s; *p != '\0'; p++)
		if (*p < '0' || *p > '9' || p - s >= 4)
			goto bad;
	*year = atoi(s);
	if (*year >= 1800 && *year <= 2200)
		return 0;
bad:
	*year = 0;
	return reg__fail(e, REG_EINVAL, "%s '%.20s' is not a year from 1800 to 2200",
	    field, s);
}

/* Whether s is a UUID; if so, its canonical (lower-case) text in out. */
static int
as_uuid(const char *s, char out[REG_UUID_STR])
{
	reg_uuid u;

	if (strlen(s) != 36 || reg_uuid_parse(s, &u, NULL) != 0)
		return 0;
	reg_uuid_format(&u, out);
	return 1;
}

/* The checks of reg_weapon_register(), in memory. */
static void
weapon_check(struct imp *im, struct row *rw)
{
	reg_error e = REG_ERROR_INIT;
	const char **f = rw->f;
	char norm[256], uid[REG_UUID_STR];
	char *sn;
	int year;

	if (reg__check_text("office reference", f[W_OFFICE_REF], 100, 0, &e) != 0 ||
	    reg__check_text("serial", f[W_SERIAL], 100, 0, &e) != 0 ||
	    reg__check_text("model", f[W_MODEL], 200, 1, &e) != 0 ||
	    reg__check_text("calibre", f[W_CALIBRE], 100, 1, &e) != 0 ||
	    reg__check_text("manufacturer", f[W_MANUFACTURER], 200, 1, &e) != 0 ||
	    check_year("year of manufacture", f[W_YEAR], &year, &e) != 0)
		goto bad;
	rw->mark_kind = *f[W_MARK_KIND] != '\0' ? f[W_MARK_KIND] : "manufacture";
	if (strcmp(rw->mark_kind, "manufacture") != 0 &&
	    strcmp(rw->mark_kind, "alternative_code") != 0) {
		reg__fail(&e, REG_ERULE, "mark_kind '%.40s' is neither manufacture nor "
		    "alternative_code: a weapon is registered with its manufacture "
		    "marking or a recorded alternative code (ITI 8(a))", rw->mark_kind);
		goto bad;
	}
	sn = pool_alloc(&im->pool, 128);
	if (sn == NULL)
		return;
	reg__serial_norm(f[W_SERIAL], sn, 128);
	if (sn[0] == '\0') {
		reg__fail(&e, REG_EINVAL, "serial '%.100s' has no letter or digit",
		    f[W_SERIAL]);
		goto bad;
	}
	rw->serial_norm = sn;
	if (*f[W_MANUFACTURER] == '\0') {
		if (strcmp(rw->mark_kind, "alternative_code") != 0) {
			reg__fail(&e, REG_EINVAL, "the manufacturer is required (it may be "
			    "left empty only with mark_kind alternative_code)");
			goto bad;
		}
		rw->maker = NULL;
	} else if (as_uuid(f[W_MANUFACTURER], uid)) {
		rw->maker = smap_get(&im->maker_id, uid);
	} else {
		reg_name_norm(f[W_MANUFACTURER], norm, sizeof(norm));
		if (norm[0] == '\0') {
			reg__fail(&e, REG_EINVAL, "manufacturer '%.100s' has no letter or "
			    "digit", f[W_MANUFACTURER]);
			goto bad;
		}
		rw->maker = smap_get(&im->maker_alias, norm);
	}
	if (*f[W_MANUFACTURER] != '\0' && rw->maker == NULL) {
		reg__fail(&e, REG_ENOTFOUND, "no manufacturer '%.100s'", f[W_MANUFACTURER]);
		goto bad;
	}
	if (*f[W_TYPE] == '\0') {
		reg__fail(&e, REG_EINVAL, "the weapon's type is required");
		goto bad;
	}
	if (smap_get(&im->types, f[W_TYPE]) == NULL) {
		reg__fail(&e, REG_EINVAL, "weapon type '%.40s' is unknown (see 'regctl "
		    "weapon types')", f[W_TYPE]);
		goto bad;
	}
	if (check_country(im, "country of manufacture", f[W_COUNTRY], 0, &e) != 0)
		goto bad;
	/* The marking: as marking_write(), with the weapon's country and year. */
	if (*f[W_MARK_LOCATION] != '\0' && !reg__one_of(f[W_MARK_LOCATION], locations)) {
		reg__fail(&e, REG_EINVAL, "marking location '%.40s' is not one of frame, "
		    "receiver, slide, barrel, bolt, cylinder, metal_insert, other",
		    f[W_MARK_LOCATION]);
		goto bad;
	}
	if (reg__check_text("marking text", f[W_MARK_TEXT], 500, 0, &e) != 0)
		goto bad;
	rw->calibre_norm = NULL;
	if (*f[W_CALIBRE] != '\0') {
		sn = pool_alloc(&im->pool, 128);
		if (sn == NULL)
			return;
		reg__calibre_norm(f[W_CALIBRE], sn, 128);
		rw->calibre_norm = sn[0] != '\0' ? sn : NULL;
	}
	rw->year = NULL;
	if (year != 0) {
		snprintf(norm, sizeof(norm), "%d", year);
		rw->year = pool_strdup(&im->pool, norm);
	}
	return;
bad:
	reject(im, rw, e.message);
}

/* The checks of event.c's check_fields(), in memory. */
static void
event_check(struct imp *im, struct row *rw)
{
	reg_error e = REG_ERROR_INIT;
	const char **f = rw->f;
	const char *kind = f[E_KIND], *t = f[E_TRANSIT];
	char tc[IMP_TRANSIT_MAX + 1], *tok, *save = NULL;
	size_t i, tl;

	if (reg__check_text("office reference", f[E_OFFICE_REF], 100, 0, &e) != 0)
		goto bad;
	if (*f[E_WEAPON] == '\0') {
		reg__fail(&e, REG_EINVAL, "the weapon is required (its office reference "
		    "or UUID)");
		goto bad;
	}
	if (!reg__one_of(kind, reg__event_kinds)) {
		reg__fail(&e, REG_EINVAL, "event kind '%.40s' is unknown: one of "
		    REG__EVENT_KINDS_TEXT, kind);
		goto bad;
	}
	if (reg__check_text("weapon", f[E_WEAPON], 100, 0, &e) != 0 ||
	    reg__check_text("from party", f[E_FROM], 100, 1, &e) != 0 ||
	    reg__check_text("to party", f[E_TO], 100, 1, &e) != 0 ||
	    reg__check_date("event date", f[E_DATE], 0, &e) != 0 ||
	    reg__check_date("licence issue date", f[E_LICENCE_ISSUED], 1, &e) != 0 ||
	    reg__check_date("licence expiry date", f[E_LICENCE_EXPIRES], 1, &e) != 0 ||
	    reg__check_text("licence number", f[E_LICENCE_NUMBER], 100, 1, &e) != 0 ||
	    reg__check_text("end-user certificate", f[E_EUC_REF], 100, 1, &e) != 0 ||
	    reg__check_text("final recipient", f[E_FINAL_RECIPIENT], 300, 1, &e) != 0 ||
	    reg__check_text("certificate", f[E_CERTIFICATE], 200, 1, &e) != 0 ||
	    reg__check_text("note", f[E_NOTE], 2000, 1, &e) != 0 ||
	    check_country(im, "export country", f[E_EXPORT_COUNTRY], 1, &e) != 0 ||
	    check_country(im, "import country", f[E_IMPORT_COUNTRY], 1, &e) != 0)
		goto bad;
	if (*f[E_LICENCE_ISSUED] != '\0' && *f[E_LICENCE_EXPIRES] != '\0' &&
	    strcmp(f[E_LICENCE_EXPIRES], f[E_LICENCE_ISSUED]) < 0) {
		reg__fail(&e, REG_EINVAL, "the licence expires before it was issued");
		goto bad;
	}
	rw->transit = "";
	if (*t != '\0') {
		tl = strlen(t);
		if (tl > IMP_TRANSIT_MAX) {
			reg__fail(&e, REG_ETOOBIG, "too many transit countries");
			goto bad;
		}
		memcpy(tc, t, tl + 1);
		for (tok = strtok_r(tc, ";", &save); tok != NULL;
		    tok = strtok_r(NULL, ";", &save))
			if (check_country(im, "transit country", tok, 0, &e) != 0)
				goto bad;
		if (t[0] == ';' || t[tl - 1] == ';' || strstr(t, ";;") != NULL) {
			reg__fail(&e, REG_EINVAL, "transit countries are codes separated "
			    "by single semicolons");
			goto bad;
		}
		memcpy(tc, t, tl + 1);
		for (i = 0; i < tl; i++)
			if (tc[i] == ';')
				tc[i] = ',';
		rw->transit = pool_strdup(&im->pool, tc);
		if (rw->transit == NULL)
			return;
	}
	if (strcmp(kind, "export") == 0 &&
	    (*f[E_IMPORT_COUNTRY] == '\0' || *f[E_LICENCE_NUMBER] == '\0')) {
		reg__fail(&e, REG_ERULE, "an export names the importing country and its "
		    "licence number (Firearms Protocol art. 10)");
		goto bad;
	}
	if (strcmp(kind, "import") == 0 && *f[E_EXPORT_COUNTRY] == '\0') {
		reg__fail(&e, REG_ERULE, "an import names the exporting country");
		goto bad;
	}
	return;
bad:
	reject(im, rw, e.message);
}

/* ------------------------------------------------------------ the database */

/*
 * Runs a query that returns rows.  The batch's lists go to the server as
 * array parameters inside a sub-select, "x = ANY((SELECT $1::text[])::
 * text[])": the planner then does not know a list's length and probes the
 * index, where given thousands of elements it would rather read the whole
 * table, at a cost that grows with the registry.
 */
static int
query(struct imp *im, const char *sql, int n, const char *const *params,
    PGresult **out, const char *what)
{
	*out = PQexecParams(im->ctx->conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(*out) != PGRES_TUPLES_OK) {
		int r = reg__fail_pg(im->err, im->ctx->conn, *out, "cannot %s", what);

		PQclear(*out);
		*out = NULL;
		return r;
	}
	return 0;
}

/* Adds s to an array literal being built (the caller writes the braces). */
static void
array_add(struct ibuf *b, const char *s)
{
	const char *p;

	if (b->len > 1)
		ibuf_addc(b, ',');
	ibuf_addc(b, '"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			ibuf_addc(b, '\\');
		ibuf_addc(b, *p);
	}
	ibuf_addc(b, '"');
}

static void
array_start(struct ibuf *b)
{
	b->len = 0;
	b->failed = 0;
	ibuf_addc(b, '{');
}

/* One field of a COPY text row: \N for null, and backslash escapes. */
static void
copy_field(struct ibuf *b, const char *s)
{
	const char *p, *run;

	if (s == NULL) {
		ibuf_add(b, "\\N", 2);
		return;
	}
	for (run = p = s; *p != '\0'; p++) {
		const char *esc;

		switch (*p) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		default: continue;
		}
		ibuf_add(b, run, (size_t)(p - run));
		ibuf_add(b, esc, 2);
		run = p + 1;
	}
	ibuf_add(b, run, (size_t)(p - run));
}

/* A COPY text row: the record's columns, then its log index. */
static void
copy_row(struct ibuf *b, enum reg__rectype type, const char *const *v,
    uint64_t log_index)
{
	const struct reg__recdef *def = &reg__recdefs[type];
	char idx[24];
	int c;

	for (c = 0; c < def->ncols; c++) {
		if (type == REC_EVENT && c == EVENT_TRANSIT_COL) {
			ibuf_addc(b, '{');
			ibuf_adds(b, v[c]);
			ibuf_addc(b, '}');
		} else {
			copy_field(b, v[c]);
		}
		ibuf_addc(b, '\t');
	}
	snprintf(idx, sizeof(idx), "%" PRIu64 "\n", log_index);
	ibuf_adds(b, idx);
}

/* Builds "COPY table (columns..., log_index) FROM STDIN". */
static void
copy_sql(char *out, size_t len, enum reg__rectype type)
{
	const struct reg__recdef *def = &reg__recdefs[type];
	size_t o;
	int c;

	o = (size_t)snprintf(out, len, "COPY %s (", def->table);
	for (c = 0; c < def->ncols && o < len; c++)
		o += (size_t)snprintf(out + o, len - o, "%s, ", def->cols[c]);
	if (o < len)
		o += (size_t)snprintf(out + o, len - o, "log_index) FROM STDIN");
	REG_ASSERT(o < len);
}

/*
 * The log's append lock, as log.c takes it, and the log's size under it.
 * Holding the lock (until the transaction ends), the batch knows the
 * indexes its leaves will get before it appends them, so that its rows can
 * go first and the leaves be made while the server takes the rows;
 * reg_log_append_batch() then takes the same lock again and must hand out
 * the indexes reserved here.
 */
#define LOG_LOCK_SQL REG__LOG_LOCK_SQL

static int
log_reserve(struct imp *im, uint64_t *size)
{
	PGresult *res;
	int r = 0;

	res = PQexec(im->ctx->conn, LOG_LOCK_SQL "; "
	    "SELECT coalesce(max(idx) + 1, 0) FROM log_entry");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		r = reg__fail_pg(im->err, im->ctx->conn, res, "cannot lock the log for "
		    "appending");
	else
		*size = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return r;
}

/*
 * Leaves without a JSON object.  reg__record_leaf() builds a jansson object
 * and dumps it compact, with sorted keys and ASCII escapes: 6 to 12 us a
 * record, a good share of what the server spends on the row, and where the
 * import and the server share two processors that time adds to the
 * import's.  leaf_encode() writes the same bytes directly: keys in
 * jansson's order (byte order), strings escaped as jansson escapes them
 * (backslash, quote, \b \f \n \r \t, other control characters and
 * everything beyond ASCII as \uXXXX in upper-case hex, with UTF-16
 * surrogate pairs beyond the BMP).  make_leaf() compares it with
 * reg__record_leaf() on the first record of each type in every batch and on
 * every record with an escape, so that a change to the canonical encoding
 * cannot go unnoticed; and 'regctl log verify' re-derives every leaf with
 * reg__record_leaf().
 */
static const char *
leafkey_name(const struct reg__recdef *def, int c)
{
	return c == -2 ? "_r" : c == -1 ? "_v" : def->cols[c];
}

/* Sorts the keys of each record type (insertion sort: a few dozen). */
static void
leaf_keys_init(struct leafkeys *keys)
{
	const struct reg__recdef *def;
	struct leafkeys *lk;
	int t, i, j, v;

	for (t = 0; t < REC_NTYPES; t++) {
		def = &reg__recdefs[t];
		lk = &keys[t];
		lk->n = def->ncols + 2;
		lk->col[0] = -2;
		lk->col[1] = -1;
		for (i = 0; i < def->ncols; i++)
			lk->col[i + 2] = i;
		for (i = 1; i < lk->n; i++) {
			v = lk->col[i];
			for (j = i; j > 0 && strcmp(leafkey_name(def, lk->col[j - 1]),
			    leafkey_name(def, v)) > 0; j--)
				lk->col[j] = lk->col[j - 1];
			lk->col[j] = v;
		}
	}
}

static void
leaf_u16(struct ibuf *b, unsigned int u)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[6] = { '\\', 'u', hex[(u >> 12) & 15], hex[(u >> 8) & 15],
	    hex[(u >> 4) & 15], hex[u & 15] };

	ibuf_add(b, e, sizeof(e));
}

/* A JSON string as jansson dumps it with JSON_ENSURE_ASCII; -1 when s is
 * not valid UTF-8.  *escaped is set when anything needed an escape. */
static int
leaf_string(struct ibuf *b, const char *s, int *escaped)
{
	const unsigned char *p = (const unsigned char *)s, *run;
	uint32_t cp;
	size_t n;

	ibuf_addc(b, '"');
	for (run = p; *p != '\0';) {
		if (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') {
			p++;
			continue;
		}
		ibuf_add(b, run, (size_t)(p - run));
		*escaped = 1;
		if (*p < 0x80) {
			switch (*p) {
			case '"': ibuf_add(b, "\\\"", 2); break;
			case '\\': ibuf_add(b, "\\\\", 2); break;
			case '\b': ibuf_add(b, "\\b", 2); break;
			case '\f': ibuf_add(b, "\\f", 2); break;
			case '\n': ibuf_add(b, "\\n", 2); break;
			case '\r': ibuf_add(b, "\\r", 2); break;
			case '\t': ibuf_add(b, "\\t", 2); break;
			default: leaf_u16(b, *p); break;
			}
			run = ++p;
			continue;
		}
		n = reg__utf8_decode(p, strnlen((const char *)p, 4), &cp);
		if (n == 0)
			return -1;
		p += n;
		if (cp < 0x10000) {
			leaf_u16(b, cp);
		} else {
			cp -= 0x10000;
			leaf_u16(b, 0xd800 | (cp >> 10));
			leaf_u16(b, 0xdc00 | (cp & 0x3ff));
		}
		run = p;
	}
	ibuf_add(b, run, (size_t)(p - run));
	ibuf_addc(b, '"');
	return 0;
}

/* Encodes a record's leaf into b (emptied first); *escaped as for
 * leaf_string(). */
static int
leaf_encode(struct ibuf *b, const struct leafkeys *lk, enum reg__rectype type,
    const char *const *v, int *escaped, reg_error *e)
{
	const struct reg__recdef *def = &reg__recdefs[type];
	int i, c;

	b->len = 0;
	b->failed = 0;
	*escaped = 0;
	ibuf_addc(b, '{');
	for (i = 0; i < lk->n; i++) {
		c = lk->col[i];
		if (i > 0)
			ibuf_addc(b, ',');
		ibuf_addc(b, '"');
		ibuf_adds(b, leafkey_name(def, c));
		ibuf_add(b, "\":", 2);
		if (c == -2) {
			if (leaf_string(b, def->type, escaped) != 0)
				goto bad;
		} else if (c == -1) {
			ibuf_addc(b, '1');
		} else if (v[c] == NULL) {
			ibuf_add(b, "null", 4);
		} else if (leaf_string(b, v[c], escaped) != 0) {
			goto bad;
		}
	}
	ibuf_addc(b, '}');
	if (b->failed)
		return reg__fail(e, REG_ENOMEM, "out of memory encoding a %s", def->type);
	if (b->len > REG_LOG_LEAF_MAX)
		return reg__fail(e, REG_ETOOBIG, "a %s record is over %u bytes", def->type,
		    REG_LOG_LEAF_MAX);
	return 0;
bad:
	return reg__fail(e, REG_EINVAL, "%s of a %s is not valid UTF-8",
	    c >= 0 ? def->cols[c] : "_r", def->type);
}

/*
 * Makes a record's leaf (in the batch's pool).  The rows were checked, so
 * only a lack of memory, or a bug, can make it fail, and that ends the
 * batch.  The leaf is compared with reg__record_leaf()'s when check is set,
 * and whenever a value needed an escape (rare, and where an encoder would
 * most likely differ): a wrong leaf would stay in the log for good.
 */
static int
make_leaf(struct imp *im, struct row *rw, int which, enum reg__rectype type,
    int check)
{
	reg_error e = REG_ERROR_INIT;
	const char *const *v = which == 0 ? rw->v : rw->mv;
	char *ref = NULL;
	size_t reflen = 0;
	int r, escaped = 0;

	if ((r = leaf_encode(&im->leafbuf, &im->keys[type], type, v, &escaped,
	    &e)) != 0)
		return reg__fail(im->err, r == REG_ENOMEM ? r : REG_EINTERNAL,
		    "line %" PRIu64 ": %s", rw->line, e.message);
	rw->leaf[which] = pool_strndup(&im->pool, im->leafbuf.p, im->leafbuf.len);
	rw->leaflen[which] = im->leafbuf.len;
	if (rw->leaf[which] == NULL)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	if (!check && !escaped)
		return 0;
	if ((r = reg__record_leaf(&reg__recdefs[type], v, &ref, &reflen, &e)) != 0)
		return reg__fail(im->err, r == REG_ENOMEM ? r : REG_EINTERNAL,
		    "line %" PRIu64 ": %s", rw->line, e.message);
	r = reflen != rw->leaflen[which] || memcmp(ref, rw->leaf[which], reflen) != 0;
	free(ref);
	if (r)
		return reg__fail(im->err, REG_EINTERNAL, "line %" PRIu64 ": the import "
		    "encodes a %s record otherwise than record.c: import.c's "
		    "leaf_encode() must follow reg__record_leaf()", rw->line,
		    reg__recdefs[type].type);
	return 0;
}

/* Sends what buf holds of a COPY in progress. */
static int
copy_flush(struct imp *im, struct ibuf *b)
{
	if (b->failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	if (b->len > 0 && PQputCopyData(im->ctx->conn, b->p, (int)b->len) != 1)
		return reg__fail_pg(im->err, im->ctx->conn, NULL, "cannot send rows");
	b->len = 0;
	return 0;
}

/*
 * Writes the batch's records of one type with COPY: the weapon or event
 * (which 0) or the weapon's marking (which 1) of every row to import, with
 * log indexes counted from first, per_row leaves a row.  The rows go in
 * chunks, and each chunk's leaves are made while the server takes it.
 */
static int
copy_stream(struct imp *im, const char *sql, enum reg__rectype type, int which,
    size_t per_row, uint64_t first)
{
	PGconn *conn = im->ctx->conn;
	PGresult *res;
	struct row *rw;
	size_t i, j, start = 0, k = 0, nleaves = 0;
	int r = 0;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		r = reg__fail_pg(im->err, conn, res, "cannot write %s records",
		    reg__recdefs[type].type);
		PQclear(res);
		return r;
	}
	PQclear(res);
	im->copy1.len = 0;
	im->copy1.failed = 0;
	for (i = 0; i < im->nrows && r == 0; i++) {
		rw = &im->rows[i];
		if (rw->state != ROW_IMPORT)
			continue;
		copy_row(&im->copy1, type, which == 0 ? rw->v : rw->mv,
		    first + k * per_row + (size_t)which);
		k++;
		if (im->copy1.len < 64 * 1024)
			continue;
		if ((r = copy_flush(im, &im->copy1)) != 0)
			break;
		for (j = start; j <= i && r == 0; j++)
			if (im->rows[j].state == ROW_IMPORT)
				r = make_leaf(im, &im->rows[j], which, type, nleaves++ == 0);
		start = i + 1;
	}
	if (r == 0)
		r = copy_flush(im, &im->copy1);
	for (j = start; j < im->nrows && r == 0; j++)
		if (im->rows[j].state == ROW_IMPORT)
			r = make_leaf(im, &im->rows[j], which, type, nleaves++ == 0);
	if (PQputCopyEnd(conn, r == 0 ? NULL : "the import stopped") != 1 && r == 0)
		r = reg__fail_pg(im->err, conn, NULL, "cannot send rows");
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && r == 0)
			r = reg__fail_pg(im->err, conn, res, "cannot write %s records",
			    reg__recdefs[type].type);
		PQclear(res);
	}
	return r;
}

/* Reads the countries, and for weapons the types and manufacturers. */
static int
load_reference(struct imp *im)
{
	PGresult *res = NULL;
	const char *c;
	char *k, *v;
	int i, r;

	if ((r = query(im, "SELECT code FROM country", 0, NULL, &res,
	    "read the countries")) != 0)
		return r;
	for (i = 0; i < PQntuples(res); i++) {
		c = PQgetvalue(res, i, 0);
		if (c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z')
			im->countries[c[0] - 'A'][c[1] - 'A'] = 1;
	}
	PQclear(res);
	res = NULL;
	if (im->format != FMT_WEAPONS)
		return 0;
	if ((r = query(im, "SELECT code FROM weapon_type", 0, NULL, &res,
	    "read the weapon types")) != 0)
		return r;
	for (i = 0; i < PQntuples(res); i++) {
		k = pool_strdup(&im->refpool, PQgetvalue(res, i, 0));
		if (k == NULL || smap_put(&im->types, k, k) != 0)
			goto nomem;
	}
	PQclear(res);
	res = NULL;
	if ((r = query(im, "SELECT a.alias_norm, a.manufacturer_id::text "
	    "FROM manufacturer_alias a", 0, NULL, &res,
	    "read the manufacturers' names and codes")) != 0)
		return r;
	for (i = 0; i < PQntuples(res); i++) {
		k = pool_strdup(&im->refpool, PQgetvalue(res, i, 0));
		v = pool_strdup(&im->refpool, PQgetvalue(res, i, 1));
		if (k == NULL || v == NULL || smap_put(&im->maker_alias, k, v) != 0)
			goto nomem;
	}
	PQclear(res);
	res = NULL;
	if ((r = query(im, "SELECT id::text FROM manufacturer", 0, NULL, &res,
	    "read the manufacturers")) != 0)
		return r;
	for (i = 0; i < PQntuples(res); i++) {
		k = pool_strdup(&im->refpool, PQgetvalue(res, i, 0));
		if (k == NULL || smap_put(&im->maker_id, k, k) != 0)
			goto nomem;
	}
	PQclear(res);
	return 0;
nomem:
	PQclear(res);
	return reg__fail(im->err, REG_ENOMEM, "out of memory");
}

/* Marks as taken the office references that the query's first column
 * lists; res must outlive the batch's use of im->seen. */
static int
mark_seen(struct imp *im, PGresult *res)
{
	int i;

	for (i = 0; i < PQntuples(res); i++)
		if (smap_put(&im->seen, PQgetvalue(res, i, 0), (void *)1) != 0)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
	return 0;
}

/* The weapon's and its marking's canonical values, as reg_weapon_register()
 * makes them. */
static int
weapon_records(struct imp *im, struct row *rw)
{
	const char **f = rw->f;
	const char **v, **mv;
	char *id, *mid, *now;
	reg_uuid u;
	int r;

	v = pool_alloc(&im->pool, 12 * sizeof(*v));
	mv = pool_alloc(&im->pool, 9 * sizeof(*mv));
	id = pool_alloc(&im->pool, REG_UUID_STR);
	mid = pool_alloc(&im->pool, REG_UUID_STR);
	now = pool_alloc(&im->pool, 32);
	if (im->pool.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	if ((r = reg_uuid_v7(&u, im->err)) != 0)
		return r;
	reg_uuid_format(&u, id);
	if ((r = reg_uuid_v7(&u, im->err)) != 0)
		return r;
	reg_uuid_format(&u, mid);
	reg__now_text(now);
	v[0] = id;
	v[1] = f[W_OFFICE_REF];
	v[2] = rw->maker;
	v[3] = *f[W_MODEL] != '\0' ? f[W_MODEL] : NULL;
	v[4] = f[W_TYPE];
	v[5] = *f[W_CALIBRE] != '\0' ? f[W_CALIBRE] : NULL;
	v[6] = rw->calibre_norm;
	v[7] = f[W_SERIAL];
	v[8] = rw->serial_norm;
	v[9] = f[W_COUNTRY];
	v[10] = rw->year;
	v[11] = now;
	mv[0] = mid;
	mv[1] = id;
	mv[2] = rw->mark_kind;
	mv[3] = f[W_MARK_TEXT];
	mv[4] = *f[W_MARK_LOCATION] != '\0' ? f[W_MARK_LOCATION] : NULL;
	mv[5] = f[W_COUNTRY];
	mv[6] = rw->year;
	mv[7] = NULL;
	mv[8] = now;
	rw->v = v;
	rw->mv = mv;
	rw->state = ROW_IMPORT;
	return 0;
}

/*
 * Writes the rows to import (n of them, per_row records each): streams them
 * with COPY, their leaves' indexes counted from the log's size that
 * log_reserve() read, while making their leaves, then appends the leaves
 * with one call.
 */
static int
write_rows(struct imp *im, size_t n, size_t per_row)
{
	struct row *rw;
	uint64_t first = im->log_size, got = 0;
	size_t i, k = 0, w;
	int r;

	if (n == 0)
		return 0;
	for (w = 0; w < per_row; w++)
		if ((r = copy_stream(im, im->copy_sql[w], im->format == FMT_WEAPONS ?
		    (w == 0 ? REC_WEAPON : REC_MARKING) : REC_EVENT, (int)w, per_row,
		    first)) != 0)
			return r;
	for (i = 0; i < im->nrows; i++) {
		rw = &im->rows[i];
		if (rw->state != ROW_IMPORT)
			continue;
		for (w = 0; w < per_row; w++) {
			im->leaves[k].data = rw->leaf[w];
			im->leaves[k].len = rw->leaflen[w];
			k++;
		}
	}
	if ((r = reg_log_append_batch(im->ctx, im->leaves, k, &got, im->err)) != 0)
		return r;
	if (got != first)
		return reg__fail(im->err, REG_EINTERNAL, "the log gave index %" PRIu64
		    " where %" PRIu64 " was reserved: log.c's append lock changed",
		    got, first);
	return 0;
}

/* Writes the batch of weapons, in the transaction open. */
static int
weapons_write(struct imp *im)
{
	struct row *rw;
	PGresult *res = NULL;
	const char *params[1];
	size_t i, n = 0, want = 0;
	int r = 0;

	smap_clear(&im->seen);
	array_start(&im->q1);
	for (i = 0; i < im->nrows; i++)
		if (im->rows[i].state == ROW_NEW) {
			array_add(&im->q1, im->rows[i].f[W_OFFICE_REF]);
			want++;
		}
	ibuf_addc(&im->q1, '}');
	if (im->q1.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	if (want > 0) {
		params[0] = im->q1.p;
		if ((r = query(im, "SELECT office_ref FROM weapon "
		    "WHERE office_ref = ANY((SELECT $1::text[])::text[])", 1, params,
		    &res, "look up the office references")) != 0 ||
		    (r = mark_seen(im, res)) != 0)
			goto out;
	}
	for (i = 0; i < im->nrows; i++) {
		rw = &im->rows[i];
		if (rw->state != ROW_NEW)
			continue;
		if (smap_get(&im->seen, rw->f[W_OFFICE_REF]) != NULL) {
			rw->state = ROW_SKIP;
			continue;
		}
		if ((r = weapon_records(im, rw)) != 0)
			goto out;
		if (smap_put(&im->seen, rw->f[W_OFFICE_REF], (void *)1) != 0) {
			r = reg__fail(im->err, REG_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	r = write_rows(im, n, 2);
out:
	PQclear(res);
	return r;
}

/* ------------------------------------------------------------ histories */

/*
 * Brings a weapon's state up to date with its stored events, rows [a, b)
 * of res (weapon, id, kind, date, to, corrects, to's kind; by seq), along
 * their effective chain (history.c, as reg__history_load()).
 */
static int
state_load(struct imp *im, struct wstate *s, PGresult *res, int a, int b)
{
	struct reg_history_event *ev;
	int i, n = b - a;
	int *p;

	if ((size_t)n > im->effcap) {
		p = realloc(im->eff, (size_t)n * sizeof(*p));
		if (p == NULL)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		im->eff = p;
		im->effcap = (size_t)n;
	}
	ev = pool_alloc(&im->pool, (size_t)n * sizeof(*ev));
	if (ev == NULL)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		ev[i] = (struct reg_history_event){ PQgetvalue(res, a + i, 1),
		    PQgetisnull(res, a + i, 5) ? NULL : PQgetvalue(res, a + i, 5),
		    PQgetvalue(res, a + i, 2), PQgetvalue(res, a + i, 3),
		    PQgetvalue(res, a + i, 4), PQgetvalue(res, a + i, 6) };
	reg__hstate_replay(&s->st, ev, n, im->eff, NULL);
	return 0;
}

/* Adds a reference, once, to the UUID list or the office reference list;
 * refs remembers the ones added. */
static int
ref_add(struct smap *set, struct ibuf *ids, struct ibuf *refs, const char *ref)
{
	char uid[REG_UUID_STR];

	if (*ref == '\0' || smap_get(set, ref) != NULL)
		return 0;
	if (smap_put(set, ref, (void *)1) != 0)
		return -1;
	if (as_uuid(ref, uid))
		array_add(ids, uid);
	else
		array_add(refs, ref);
	return 0;
}

static void *
ref_find(const struct smap *by_id, const struct smap *by_ref, const char *ref)
{
	char uid[REG_UUID_STR];

	if (as_uuid(ref, uid))
		return smap_get(by_id, uid);
	return smap_get(by_ref, ref);
}

/* Finds the batch's weapons and loads their histories. */
static int
load_weapons(struct imp *im, PGresult **wres, PGresult **hres)
{
	struct wstate *s;
	const char *params[2];
	size_t i;
	int j, a, r;

	array_start(&im->q1);
	array_start(&im->q2);
	smap_clear(&im->refs);
	for (i = 0; i < im->nrows; i++)
		if (im->rows[i].state == ROW_NEW &&
		    ref_add(&im->refs, &im->q1, &im->q2, im->rows[i].f[E_WEAPON]) != 0)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
	ibuf_addc(&im->q1, '}');
	ibuf_addc(&im->q2, '}');
	if (im->q1.failed || im->q2.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	params[0] = im->q1.p;
	params[1] = im->q2.p;
	if ((r = query(im, "SELECT id::text, office_ref FROM weapon "
	    "WHERE id = ANY((SELECT $1::uuid[])::uuid[]) OR "
	    "office_ref = ANY((SELECT $2::text[])::text[])", 2, params, wres,
	    "look up the weapons")) != 0)
		return r;
	if (PQntuples(*wres) == 0)
		return 0;
	array_start(&im->q1);
	for (j = 0; j < PQntuples(*wres); j++) {
		s = pool_alloc(&im->pool, sizeof(*s));
		if (s == NULL)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		s->id = PQgetvalue(*wres, j, 0);
		reg__hstate_init(&s->st);
		if (smap_put(&im->weapon_id, s->id, s) != 0 ||
		    (!PQgetisnull(*wres, j, 1) &&
		    smap_put(&im->weapon_ref, PQgetvalue(*wres, j, 1), s) != 0))
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		array_add(&im->q1, s->id);
	}
	ibuf_addc(&im->q1, '}');
	if (im->q1.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	params[0] = im->q1.p;
	if ((r = query(im, "SELECT e.weapon_id::text, e.id::text, e.kind, "
	    "to_char(e.event_date, 'YYYY-MM-DD'), coalesce(e.to_party::text, ''), "
	    "e.corrects::text, coalesce(p.kind, '') "
	    "FROM event e LEFT JOIN party p ON p.id = e.to_party "
	    "WHERE e.weapon_id = ANY((SELECT $1::uuid[])::uuid[]) "
	    "ORDER BY e.weapon_id, e.seq",
	    1, params, hres, "read the weapons' histories")) != 0)
		return r;
	for (a = 0; a < PQntuples(*hres); a = j) {
		const char *wid = PQgetvalue(*hres, a, 0);

		for (j = a; j < PQntuples(*hres) &&
		    strcmp(PQgetvalue(*hres, j, 0), wid) == 0; j++)
			;
		s = smap_get(&im->weapon_id, wid);
		if (s != NULL && (r = state_load(im, s, *hres, a, j)) != 0)
			return r;
	}
	return 0;
}

static int
load_parties(struct imp *im, PGresult **pres)
{
	struct party *p;
	const char *params[2];
	size_t i;
	int j, r;

	array_start(&im->q1);
	array_start(&im->q2);
	smap_clear(&im->refs);
	for (i = 0; i < im->nrows; i++) {
		if (im->rows[i].state != ROW_NEW)
			continue;
		if (ref_add(&im->refs, &im->q1, &im->q2, im->rows[i].f[E_FROM]) != 0 ||
		    ref_add(&im->refs, &im->q1, &im->q2, im->rows[i].f[E_TO]) != 0)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
	}
	ibuf_addc(&im->q1, '}');
	ibuf_addc(&im->q2, '}');
	if (im->q1.failed || im->q2.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	params[0] = im->q1.p;
	params[1] = im->q2.p;
	if ((r = query(im, "SELECT id::text, office_ref, kind FROM party "
	    "WHERE id = ANY((SELECT $1::uuid[])::uuid[]) OR "
	    "office_ref = ANY((SELECT $2::text[])::text[])", 2, params,
	    pres, "look up the parties")) != 0)
		return r;
	for (j = 0; j < PQntuples(*pres); j++) {
		p = pool_alloc(&im->pool, sizeof(*p));
		if (p == NULL)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		p->id = PQgetvalue(*pres, j, 0);
		p->kind = PQgetvalue(*pres, j, 2);
		if (smap_put(&im->party_id, p->id, p) != 0 ||
		    (!PQgetisnull(*pres, j, 1) &&
		    smap_put(&im->party_ref, PQgetvalue(*pres, j, 1), p) != 0))
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
	}
	return 0;
}

/* The event's canonical values, as event.c's write_event(). */
static int
event_record(struct imp *im, struct row *rw, const struct wstate *s,
    const struct party *from, const struct party *to)
{
	const char **f = rw->f;
	const char **v;
	char *id, *now, *seq;
	reg_uuid u;
	int r;

#define OPT(x) (*(x) != '\0' ? (x) : NULL)
	v = pool_alloc(&im->pool, 21 * sizeof(*v));
	id = pool_alloc(&im->pool, REG_UUID_STR);
	now = pool_alloc(&im->pool, 32);
	seq = pool_alloc(&im->pool, 16);
	if (im->pool.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	if ((r = reg_uuid_v7(&u, im->err)) != 0)
		return r;
	reg_uuid_format(&u, id);
	reg__now_text(now);
	snprintf(seq, 16, "%d", s->st.n);
	v[0] = id;
	v[1] = s->id;
	v[2] = seq;
	v[3] = f[E_KIND];
	v[4] = f[E_DATE];
	v[5] = from != NULL ? from->id : NULL;
	v[6] = to != NULL ? to->id : NULL;
	v[7] = OPT(f[E_LICENCE_NUMBER]);
	v[8] = OPT(f[E_LICENCE_ISSUED]);
	v[9] = OPT(f[E_LICENCE_EXPIRES]);
	v[10] = OPT(f[E_EUC_REF]);
	v[11] = OPT(f[E_EXPORT_COUNTRY]);
	v[12] = OPT(f[E_IMPORT_COUNTRY]);
	v[13] = rw->transit;
	v[14] = OPT(f[E_FINAL_RECIPIENT]);
	v[15] = OPT(f[E_CERTIFICATE]);
	v[16] = NULL;		/* corrects: an import records new events only */
	v[17] = NULL;		/* reason */
	v[18] = OPT(f[E_NOTE]);
	v[19] = f[E_OFFICE_REF];
	v[20] = now;
#undef OPT
	rw->v = v;
	rw->state = ROW_IMPORT;
	return 0;
}

/* Checks the batch's events against the weapons' histories and writes the
 * good ones, in the transaction open. */
static int
events_write(struct imp *im)
{
	reg_error e;
	struct row *rw;
	struct wstate *s;
	const struct party *from, *to;
	PGresult *wres = NULL, *hres = NULL, *pres = NULL, *eres = NULL;
	const char *params[1];
	size_t i, n = 0, want = 0;
	int r;

	smap_clear(&im->seen);
	smap_clear(&im->weapon_id);
	smap_clear(&im->weapon_ref);
	smap_clear(&im->party_id);
	smap_clear(&im->party_ref);
	array_start(&im->q3);
	for (i = 0; i < im->nrows; i++)
		if (im->rows[i].state == ROW_NEW) {
			array_add(&im->q3, im->rows[i].f[E_OFFICE_REF]);
			want++;
		}
	ibuf_addc(&im->q3, '}');
	if (im->q3.failed)
		return reg__fail(im->err, REG_ENOMEM, "out of memory");
	if (want == 0)
		return 0;
	params[0] = im->q3.p;
	if ((r = query(im, "SELECT office_ref FROM event "
	    "WHERE office_ref = ANY((SELECT $1::text[])::text[])", 1, params,
	    &eres, "look up the office references")) != 0 ||
	    (r = mark_seen(im, eres)) != 0 ||
	    (r = load_parties(im, &pres)) != 0 ||
	    (r = load_weapons(im, &wres, &hres)) != 0)
		goto out;
	for (i = 0; i < im->nrows; i++) {
		rw = &im->rows[i];
		if (rw->state != ROW_NEW)
			continue;
		if (smap_get(&im->seen, rw->f[E_OFFICE_REF]) != NULL) {
			rw->state = ROW_SKIP;
			continue;
		}
		reg_error_clear(&e);
		s = ref_find(&im->weapon_id, &im->weapon_ref, rw->f[E_WEAPON]);
		from = *rw->f[E_FROM] != '\0' ?
		    ref_find(&im->party_id, &im->party_ref, rw->f[E_FROM]) : NULL;
		to = *rw->f[E_TO] != '\0' ?
		    ref_find(&im->party_id, &im->party_ref, rw->f[E_TO]) : NULL;
		if (s == NULL)
			reg__fail(&e, REG_ENOTFOUND, "no weapon '%.100s' (office reference "
			    "or UUID)", rw->f[E_WEAPON]);
		else if (*rw->f[E_FROM] != '\0' && from == NULL)
			reg__fail(&e, REG_EINVAL, "from party '%.100s' is not a recorded "
			    "party", rw->f[E_FROM]);
		else if (*rw->f[E_TO] != '\0' && to == NULL)
			reg__fail(&e, REG_EINVAL, "to party '%.100s' is not a recorded "
			    "party", rw->f[E_TO]);
		else
			reg__hstate_check(&s->st, rw->f[E_KIND], rw->f[E_DATE],
			    from != NULL ? from->id : "", to != NULL ? to->id : "", &e);
		if (e.code != 0) {
			reject(im, rw, e.message);
			continue;
		}
		s->st.n++;
		reg__hstate_step(&s->st, rw->f[E_KIND], to != NULL ? to->id : "",
		    to != NULL ? to->kind : "", rw->f[E_DATE]);
		if ((r = event_record(im, rw, s, from, to)) != 0)
			goto out;
		if (smap_put(&im->seen, rw->f[E_OFFICE_REF], (void *)1) != 0) {
			r = reg__fail(im->err, REG_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	r = write_rows(im, n, 1);
out:
	PQclear(eres);
	PQclear(pres);
	PQclear(wres);
	PQclear(hres);
	return r;
}

/* ------------------------------------------------------------ batches */

/* Counts rw as rejected and hands it to the caller's reject callback. */
static void
report_reject(struct imp *im, const struct row *rw)
{
	struct reg_import_reject rj;

	im->st.rejected++;
	if (im->opts != NULL && im->opts->reject_record != NULL) {
		rj.line = rw->line;
		rj.last_line = rw->last;
		rj.why = rw->why;
		rj.raw = rw->raw;
		rj.rawlen = rw->rawlen;
		im->opts->reject_record(&rj, im->opts->arg);
	} else if (im->opts != NULL && im->opts->reject != NULL) {
		im->opts->reject(rw->line, rw->why, rw->raw, im->opts->arg);
	}
}

/* Checks, writes and commits one batch, then reports it. */
static int
batch_run(struct imp *im)
{
	struct row *rw;
	size_t i, good = 0;
	int r;

	for (i = 0; i < im->nrows; i++) {
		rw = &im->rows[i];
		if (rw->state != ROW_NEW)
			continue;
		if (im->format == FMT_WEAPONS)
			weapon_check(im, rw);
		else
			event_check(im, rw);
		if (im->pool.failed)
			return reg__fail(im->err, REG_ENOMEM, "out of memory");
		good += rw->state == ROW_NEW;
	}
	if (good == 0)
		goto report;	/* nothing for the database */
	/*
	 * The log's lock first: every record write appends to the log in its
	 * transaction, so while the batch holds the lock no other record can
	 * commit, and what the batch reads (office references, parties,
	 * weapons' histories) stays true until it commits.  This also keeps
	 * concurrent reg_event_add() calls from interleaving with the batch's
	 * events without a lock per weapon (thousands a batch would strain the
	 * server's lock table); one that read a history before the batch
	 * commits fails on the event numbering instead of breaking a chain.
	 */
	if ((r = reg__exec_cmd(im->ctx, "BEGIN", im->err)) != 0)
		return r;
	if ((r = log_reserve(im, &im->log_size)) != 0) {
		(void)reg__exec_cmd(im->ctx, "ROLLBACK", NULL);
		return r;
	}
	r = im->format == FMT_WEAPONS ? weapons_write(im) : events_write(im);
	if (r == 0)
		r = reg__exec_cmd(im->ctx, "COMMIT", im->err);
	if (r != 0) {
		(void)reg__exec_cmd(im->ctx, "ROLLBACK", NULL);
		return r;
	}
report:
	/* Committed: count and report, in file order. */
	for (i = 0; i < im->nrows; i++) {
		rw = &im->rows[i];
		switch (rw->state) {
		case ROW_IMPORT:
			im->st.imported++;
			break;
		case ROW_SKIP:
			im->st.skipped++;
			break;
		default:
			report_reject(im, rw);
			break;
		}
		im->st.rows++;
	}
	if (im->opts != NULL && im->opts->progress != NULL)
		im->opts->progress(&im->st, im->rd.bytes, im->opts->arg);
	return 0;
}

static void
imp_free(struct imp *im)
{
	if (im == NULL)
		return;
	reader_free(&im->rd);
	if (im->cr.p_ok)
		csv_free(&im->cr.p);
	ibuf_free(&im->cr.raw);
	smap_free(&im->types);
	smap_free(&im->maker_alias);
	smap_free(&im->maker_id);
	smap_free(&im->seen);
	smap_free(&im->refs);
	smap_free(&im->weapon_id);
	smap_free(&im->weapon_ref);
	smap_free(&im->party_id);
	smap_free(&im->party_ref);
	pool_free(&im->refpool);
	pool_free(&im->pool);
	ibuf_free(&im->q1);
	ibuf_free(&im->q2);
	ibuf_free(&im->q3);
	ibuf_free(&im->copy1);
	ibuf_free(&im->leafbuf);
	free(im->rows);
	free(im->leaves);
	free(im->eff);
	free(im);
}

/*
 * The importer's state for in, its buffers made (the leaves' only when
 * with_leaves: the check without a database writes none), its line end
 * chosen and its header read.  *out is set even on failure, for
 * imp_free().
 */
static int
imp_open(struct imp **out, FILE *in, const struct reg_import_opts *opts,
    int with_leaves, reg_error *err)
{
	struct imp *im;

	if ((*out = im = calloc(1, sizeof(*im))) == NULL)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	im->err = err;
	im->opts = opts;
	im->batch_rows = opts != NULL && opts->batch_rows > 0 ? opts->batch_rows :
	    IMP_BATCH_DEFAULT;
	im->rd.in = in;
	im->rd.buf = malloc(IMP_READ_CHUNK);
	im->rows = calloc(im->batch_rows, sizeof(*im->rows));
	if (with_leaves)
		im->leaves = calloc(2 * im->batch_rows, sizeof(*im->leaves));
	im->cr.pool = &im->pool;
	if (im->rd.buf == NULL || im->rows == NULL ||
	    (with_leaves && im->leaves == NULL))
		return reg__fail(err, REG_ENOMEM, "out of memory");
	if (reader_init_term(&im->rd) != 0)
		return reg__fail(err, REG_EIO, "cannot read the CSV input: %s",
		    strerror(errno));
	if (csvrec_reset(&im->cr, im->rd.term) != 0)
		return reg__fail(err, REG_ENOMEM, "out of memory");
	return read_header(im);
}

int
reg_import_csv(reg_ctx *ctx, FILE *in, const struct reg_import_opts *opts,
    struct reg_import_stats *stats, reg_error *err)
{
	struct imp *im = NULL;
	int r;

	if (stats != NULL)
		memset(stats, 0, sizeof(*stats));
	if (ctx == NULL || in == NULL)
		return reg__fail(err, REG_EINVAL, "no database or no input");
	if (opts != NULL && opts->batch_rows > IMP_BATCH_MAX)
		return reg__fail(err, REG_ERANGE, "batches of %zu rows: the limit is %d",
		    opts->batch_rows, IMP_BATCH_MAX);
	if (reg__in_tx(ctx))
		return reg__fail(err, REG_EINVAL, "an import commits batch by batch in "
		    "transactions of its own; commit first");
	REG_ASSERT(strcmp(reg__recdefs[REC_EVENT].cols[EVENT_TRANSIT_COL],
	    "transit_countries") == 0);
	if ((r = imp_open(&im, in, opts, 1, err)) != 0)
		goto out;
	im->ctx = ctx;
	leaf_keys_init(im->keys);
	if (im->format == FMT_WEAPONS) {
		copy_sql(im->copy_sql[0], sizeof(im->copy_sql[0]), REC_WEAPON);
		copy_sql(im->copy_sql[1], sizeof(im->copy_sql[1]), REC_MARKING);
	} else {
		copy_sql(im->copy_sql[0], sizeof(im->copy_sql[0]), REC_EVENT);
	}
	if ((r = load_reference(im)) != 0)
		goto out;
	for (;;) {
		if ((r = batch_fill(im)) != 0)
			goto out;
		if (im->nrows == 0)
			break;
		if ((r = batch_run(im)) != 0)
			goto out;
	}
	r = 0;
out:
	if (stats != NULL && im != NULL)
		*stats = im->st;
	imp_free(im);
	return r;
}

/* ------------------------------------------------------------ without a database */

int
reg__import_check(FILE *in, const struct reg__import_ref *ref,
    const struct reg_import_opts *opts, reg__import_good_cb good,
    struct reg_import_stats *stats, reg_error *err)
{
	struct imp *im = NULL;
	struct row *rw;
	const char *c;
	char *k, *v;
	size_t i;
	int r;

	if (stats != NULL)
		memset(stats, 0, sizeof(*stats));
	if (in == NULL || ref == NULL)
		return reg__fail(err, REG_EINVAL, "no input or no reference data");
	if (opts != NULL && opts->batch_rows > IMP_BATCH_MAX)
		return reg__fail(err, REG_ERANGE, "batches of %zu rows: the limit is %d",
		    opts->batch_rows, IMP_BATCH_MAX);
	if ((r = imp_open(&im, in, opts, 0, err)) != 0)
		goto out;
	for (c = ref->countries; c != NULL && c[0] != '\0' && c[1] != '\0'; c += 2)
		if (c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z')
			im->countries[c[0] - 'A'][c[1] - 'A'] = 1;
	for (i = 0; ref->types != NULL && ref->types[i] != NULL; i++) {
		k = pool_strdup(&im->refpool, ref->types[i]);
		if (k == NULL || smap_put(&im->types, k, k) != 0)
			goto nomem;
	}
	for (i = 0; ref->makers != NULL && ref->makers[i] != NULL &&
	    ref->makers[i + 1] != NULL; i += 2) {
		k = pool_strdup(&im->refpool, ref->makers[i]);
		v = pool_strdup(&im->refpool, ref->makers[i + 1]);
		if (k == NULL || v == NULL || smap_put(&im->maker_alias, k, v) != 0 ||
		    smap_put(&im->maker_id, v, v) != 0)
			goto nomem;
	}
	for (;;) {
		if ((r = batch_fill(im)) != 0)
			goto out;
		if (im->nrows == 0)
			break;
		for (i = 0; i < im->nrows; i++) {
			rw = &im->rows[i];
			if (rw->state == ROW_NEW) {
				if (im->format == FMT_WEAPONS)
					weapon_check(im, rw);
				else
					event_check(im, rw);
				if (im->pool.failed)
					goto nomem;
			}
			if (rw->state == ROW_NEW) {
				im->st.imported++;
				if (good != NULL)
					good(rw->line, rw->last, opts != NULL ?
					    opts->arg : NULL);
			} else {
				report_reject(im, rw);
			}
			im->st.rows++;
		}
	}
	r = 0;
	goto out;
nomem:
	r = reg__fail(err, REG_ENOMEM, "out of memory");
out:
	if (stats != NULL && im != NULL)
		*stats = im->st;
	imp_free(im);
	return r;
}
