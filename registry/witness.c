/*
 * Witnessed logs (proto/README.md 13.3.4), in the database of
 * migrations/0009_witness.sql.
 *
 * The log's side: cosignature bodies that witnesses deliver are checked
 * (reg_cosig_body_parse()), each line verified with a configured witness
 * key over this log's own stored checkpoint of the same origin, size and
 * root, and stored; the latest checkpoint is served with the cosignatures
 * gathered for it.
 *
 * The witness's side: what it cosigned of each peer State's log, and the
 * fork alarms it raised, read back at each round so that a restart
 * forgets nothing.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/hex.h"
#include "registry_int.h"

/* A cosignature/v1 line's bytes after the key id: timestamp, signature. */
#define COSIG_RAW_LEN (REG__NOTE_KEY_ID_LEN + 8 + 64)

/* ------------------------------------------------------------ the log */

int
reg_cosig_body_parse(const char *body, size_t len, struct reg_checkpoint *cp,
    size_t *nlines, reg_error *err)
{
	struct reg__note_sigs it;
	struct reg_checkpoint c;
	const char *lines[REG_COSIG_LINES_MAX];
	size_t linelen[REG_COSIG_LINES_MAX];
	size_t textlen, n = 0, i;
	int r;

	if (nlines != NULL)
		*nlines = 0;
	if (body == NULL)
		return reg__fail(err, REG_EINVAL, "no cosignature body");
	if (len > REG_COSIG_BODY_MAX)
		return reg__fail(err, REG_ETOOBIG, "cosignature body of %zu bytes "
		    "is longer than %d", len, REG_COSIG_BODY_MAX);
	if (memchr(body, '\0', len) != NULL)
		return reg__fail(err, REG_EINVAL, "cosignature body holds a NUL byte");
	if ((r = reg__note_open(&it, body, len, &textlen, err)) != 0)
		return r;
	if ((r = reg_checkpoint_parse(body, textlen, &c, err)) != 0)
		goto out;
	for (;;) {
		const char *start = it.pos;

		if ((r = reg__note_next(&it, err)) != 1)
			break;
		if (n == REG_COSIG_LINES_MAX) {
			r = reg__fail(err, REG_ETOOBIG, "cosignature body has more than "
			    "%d lines", REG_COSIG_LINES_MAX);
			goto out;
		}
		if (it.rawlen != COSIG_RAW_LEN) {
			r = reg__fail(err, REG_EINVAL, "signature line %d is not a "
			    "cosignature/v1 (%zu bytes after the key id, not %d)",
			    it.lineno, it.rawlen - REG__NOTE_KEY_ID_LEN,
			    COSIG_RAW_LEN - REG__NOTE_KEY_ID_LEN);
			goto out;
		}
		lines[n] = start;
		linelen[n] = (size_t)(it.pos - start);
		for (i = 0; i < n; i++)
			if (linelen[i] == linelen[n] &&
			    memcmp(lines[i], start, linelen[n]) == 0) {
				r = reg__fail(err, REG_EINVAL, "signature line %d "
				    "repeats line %zu", it.lineno, i + 1);
				goto out;
			}
		n++;
	}
	if (r != 0)
		goto out;
	if (n == 0) {
		r = reg__fail(err, REG_EINVAL, "cosignature body has no "
		    "cosignature line");
		goto out;
	}
	if (cp != NULL)
		*cp = c;
	if (nlines != NULL)
		*nlines = n;
	r = 0;
out:
	reg__note_close(&it);
	return r;
}

/* The stored checkpoint of cp's size and root whose note names cp's
 * origin: its seq and note (free()). */
static int
find_checkpoint(reg_ctx *ctx, const struct reg_checkpoint *cp, char *seq,
    size_t seqlen, char **note, reg_error *err)
{
	PGresult *res;
	char size[24], root[65];
	const char *params[2] = { size, root };
	int i, r = REG_ENOTFOUND;

	*note = NULL;
	snprintf(size, sizeof(size), "%" PRIu64, cp->size);
	cm_hex_encode(cp->root.b, 32, root);
	res = reg__exec(ctx, "SELECT seq::text, note FROM log_checkpoint "
	    "WHERE size = $1::bigint AND root = decode($2, 'hex') ORDER BY seq DESC",
	    2, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read checkpoints");
		PQclear(res);
		return r;
	}
	for (i = 0; i < PQntuples(res); i++) {
		const char *text = PQgetvalue(res, i, 1);
		const char *end = strstr(text, "\n\n");
		struct reg_checkpoint c;

		if (end == NULL || reg_checkpoint_parse(text, (size_t)(end - text) + 1,
		    &c, NULL) != 0 || strcmp(c.origin, cp->origin) != 0)
			continue;
		snprintf(seq, seqlen, "%s", PQgetvalue(res, i, 0));
		if ((*note = strdup(text)) == NULL)
			r = reg__fail(err, REG_ENOMEM, "out of memory");
		else
			r = 0;
		break;
	}
	PQclear(res);
	if (r == REG_ENOTFOUND)
		return reg__fail(err, REG_ENOTFOUND, "this log signed no checkpoint "
		    "of origin %s, size %" PRIu64 " and that root", cp->origin,
		    cp->size);
	return r;
}

/*
 * Checks each line's timestamp against this log's clock (the database's,
 * which also dated the checkpoint): at most skew seconds ahead of now, and
 * not more than skew seconds before the checkpoint it cosigns was signed
 * (a witness cannot have cosigned a checkpoint before it existed).
 */
static int
check_times(reg_ctx *ctx, const char *seq, const uint64_t *ts,
    const reg_key *const *keys, size_t nlines, uint32_t skew, reg_error *err)
{
	const char *params[1] = { seq };
	PGresult *res;
	int64_t now, made;
	size_t i;
	int r = 0;

	res = reg__exec(ctx, "SELECT extract(epoch FROM now())::bigint::text, "
	    "extract(epoch FROM created_at)::bigint::text FROM log_checkpoint "
	    "WHERE seq = $1::bigint", 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read the time of "
		    "checkpoint %s", seq);
		PQclear(res);
		return r;
	}
	now = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	made = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	for (i = 0; i < nlines; i++) {
		/* ts[i] <= 2^63 - 1 (reg_cosig_verify()). */
		if ((int64_t)ts[i] > now && (int64_t)ts[i] - now > (int64_t)skew)
			return reg__fail(err, REG_ERANGE, "the cosignature by %s+%08x "
			    "is dated %" PRIu64 ", %" PRId64 " seconds in the future of "
			    "this log's clock (at most %" PRIu32 " are allowed: [log] "
			    "cosignature_skew)", reg_key_name(keys[i]),
			    (unsigned)reg_cosig_key_id(keys[i]), ts[i],
			    (int64_t)ts[i] - now, skew);
		if ((int64_t)ts[i] < made && made - (int64_t)ts[i] > (int64_t)skew)
			return reg__fail(err, REG_ERANGE, "the cosignature by %s+%08x "
			    "is dated %" PRIu64 ", %" PRId64 " seconds before checkpoint "
			    "%s that it cosigns was signed (at most %" PRIu32 " are "
			    "allowed: [log] cosignature_skew)", reg_key_name(keys[i]),
			    (unsigned)reg_cosig_key_id(keys[i]), ts[i],
			    made - (int64_t)ts[i], seq, skew);
	}
	return 0;
}

/* One line of a cosignature body: its witness, its text and, once
 * verified, the time it says it was made. */
struct cosig_line {
	const reg_key *k;
	char *line;
	uint64_t ts;
};

/* Reads the body's cosignature lines into lines[] (*nlines of them, each
 * line's text a copy the caller frees), each with its witness by name and
 * cosignature key id: a line by anyone else is refused.  The caller closes
 * *it. */
static int
cosig_lines_read(struct reg__note_sigs *it, const char *body, size_t len,
    reg_key *const *witnesses, size_t n, struct cosig_line *lines,
    size_t *nlines, reg_error *err)
{
	size_t textlen, j;
	int r;

	if ((r = reg__note_open(it, body, len, &textlen, err)) != 0)
		return r;
	for (;;) {
		const char *start = it->pos;

		if ((r = reg__note_next(it, err)) != 1)
			break;
		for (j = 0; j < n; j++)
			if (reg__note_sig_is(it, reg_key_name(witnesses[j]),
			    reg_cosig_key_id(witnesses[j])))
				break;
		if (j == n)
			return reg__fail(err, REG_EKEY, "cosignature line %d is by "
			    "%.*s+%08x, not a witness of this log", it->lineno,
			    (int)it->namelen, it->name, (unsigned)it->id);
		lines[*nlines].k = witnesses[j];
		lines[*nlines].line = strndup(start, (size_t)(it->pos - start));
		if (lines[(*nlines)++].line == NULL)
			return reg__fail(err, REG_ENOMEM, "out of memory");
	}
	return r;
}

/* Verifies each line over the stored note, not the body: the checkpoint
 * is this log's own.  Sets each line's time, and keys[] and times[] for
 * check_times(). */
static int
cosig_lines_verify(const char *note, struct cosig_line *lines, size_t nlines,
    const reg_key **keys, uint64_t *times, reg_error *err)
{
	size_t notelen = strlen(note), i;
	char *vnote = NULL;
	int r = 0;

	for (i = 0; i < nlines; i++) {
		size_t ll = strlen(lines[i].line);

		free(vnote);
		if ((vnote = malloc(notelen + ll + 1)) == NULL) {
			r = reg__fail(err, REG_ENOMEM, "out of memory");
			break;
		}
		memcpy(vnote, note, notelen);
		memcpy(vnote + notelen, lines[i].line, ll + 1);
		if ((r = reg_cosig_verify(lines[i].k, vnote, &lines[i].ts, err)) != 0)
			break;
		keys[i] = lines[i].k;
		times[i] = lines[i].ts;
	}
	free(vnote);
	return r;
}

/* Stores the verified lines for checkpoint seq, each once; adds the number
 * newly stored to *stored (when not NULL). */
static int
cosig_lines_store(reg_ctx *ctx, const char *seq, const struct cosig_line *lines,
    size_t nlines, size_t *stored, reg_error *err)
{
	size_t i;

	for (i = 0; i < nlines; i++) {
		char witness[REG_KEY_NAME_MAX + 16], ts[24];
		const char *params[4] = { seq, witness, lines[i].line, ts };
		PGresult *res;
		int r;

		snprintf(witness, sizeof(witness), "%s+%08x",
		    reg_key_name(lines[i].k), (unsigned)reg_cosig_key_id(lines[i].k));
		snprintf(ts, sizeof(ts), "%" PRIu64, lines[i].ts);
		res = reg__exec(ctx, "INSERT INTO log_cosignature "
		    "(checkpoint, witness, line, signed_at) VALUES ($1::bigint, $2, $3, "
		    "to_timestamp($4::bigint)) ON CONFLICT (checkpoint, line) DO NOTHING",
		    4, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			r = reg__fail_pg(err, ctx->conn, res, "cannot store a "
			    "cosignature");
			PQclear(res);
			return r;
		}
		if (stored != NULL)
			*stored += (size_t)atoi(PQcmdTuples(res));
		PQclear(res);
	}
	return 0;
}

int
reg_log_cosignature_add(reg_ctx *ctx, reg_key *const *witnesses, size_t n,
    const char *body, size_t len, uint32_t skew, size_t *stored,
    reg_error *err)
{
	const reg_key *keys[REG_COSIG_LINES_MAX];
	uint64_t times[REG_COSIG_LINES_MAX];
	struct reg__note_sigs it;
	struct reg_checkpoint cp;
	struct cosig_line lines[REG_COSIG_LINES_MAX];
	char seq[24], *note = NULL;
	size_t nlines = 0, i;
	int r;

	memset(lines, 0, sizeof(lines));
	memset(&it, 0, sizeof(it));
	if (stored != NULL)
		*stored = 0;
	if ((r = reg_cosig_body_parse(body, len, &cp, NULL, err)) != 0)
		return r;
	if ((r = cosig_lines_read(&it, body, len, witnesses, n, lines, &nlines,
	    err)) != 0 ||
	    (r = find_checkpoint(ctx, &cp, seq, sizeof(seq), &note, err)) != 0 ||
	    (r = cosig_lines_verify(note, lines, nlines, keys, times, err)) != 0 ||
	    (r = check_times(ctx, seq, times, keys, nlines, skew, err)) != 0 ||
	    (r = cosig_lines_store(ctx, seq, lines, nlines, stored, err)) != 0)
		goto out;
	r = 0;
out:
	reg__note_close(&it);
	for (i = 0; i < REG_COSIG_LINES_MAX; i++)
		free(lines[i].line);
	free(note);
	return r;
}

int
reg_log_latest_cosigned(reg_ctx *ctx, uint32_t skew, char **note,
    struct reg_checkpoint *cp, reg_error *err)
{
	PGresult *res;
	const char *text, *end;
	char sk[16];
	const char *params[1] = { sk };
	size_t len, cap, i, n;
	char *s;
	int r;

	*note = NULL;
	snprintf(sk, sizeof(sk), "%" PRIu32, skew);
	/*
	 * One statement, so that the lines are those of the note read.  Of
	 * each witness, the cosignature that arrived last (its timestamp is
	 * the witness's word, its arrival the log's), and only one dated
	 * within skew of its arrival and of the checkpoint's signing: a row
	 * dated in the future, which an older version or a hostile superuser
	 * left, is never served and never hides the ones after it.
	 */
	res = reg__exec(ctx,
	    "WITH c AS (SELECT seq, note, created_at FROM log_checkpoint ORDER BY "
	    "seq DESC LIMIT 1) SELECT c.note, k.line FROM c LEFT JOIN LATERAL ("
	    "SELECT DISTINCT ON (witness) witness, line FROM log_cosignature "
	    "WHERE checkpoint = c.seq "
	    "AND signed_at <= received_at + $1::bigint * interval '1 second' "
	    "AND signed_at >= c.created_at - $1::bigint * interval '1 second' "
	    "ORDER BY witness, seq DESC LIMIT 99) k ON true ORDER BY k.witness",
	    1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read checkpoints");
		PQclear(res);
		return r;
	}
	n = (size_t)PQntuples(res);
	if (n == 0) {
		PQclear(res);
		return reg__fail(err, REG_ENOTFOUND,
		    "the log has no checkpoint yet; run 'regctl log checkpoint'");
	}
	text = PQgetvalue(res, 0, 0);
	if ((end = strstr(text, "\n\n")) == NULL || (cp != NULL &&
	    reg_checkpoint_parse(text, (size_t)(end - text) + 1, cp, NULL) != 0)) {
		PQclear(res);
		return reg__fail(err, REG_EVERIFY, "a stored checkpoint is malformed");
	}
	cap = strlen(text) + 1;
	for (i = 0; i < n; i++)
		cap += (size_t)PQgetlength(res, (int)i, 1);
	if ((s = malloc(cap)) == NULL) {
		PQclear(res);
		return reg__fail(err, REG_ENOMEM, "out of memory");
	}
	len = strlen(text);
	memcpy(s, text, len);
	for (i = 0; i < n; i++) {
		size_t ll = (size_t)PQgetlength(res, (int)i, 1);

		if (PQgetisnull(res, (int)i, 1))
			continue;
		memcpy(s + len, PQgetvalue(res, (int)i, 1), ll);
		len += ll;
	}
	s[len] = '\0';
	PQclear(res);
	*note = s;
	return 0;
}

/* ------------------------------------------------------------ the witness */

void
reg_witness_peer_clear(struct reg_witness_peer *p)
{
	if (p == NULL)
		return;
	free(p->note);
	free(p->line);
	memset(p, 0, sizeof(*p));
}

int
reg_witness_peer_get(reg_ctx *ctx, const char *state, struct reg_witness_peer *out,
    reg_error *err)
{
	const char *params[1] = { state };
	const char *text, *end;
	PGresult *res;
	int r = 0;

	memset(out, 0, sizeof(*out));
	res = reg__exec(ctx,
	    "SELECT c.note, extract(epoch FROM c.cosigned_at)::bigint::text, "
	    "(SELECT count(*) FROM witness_alarm a WHERE a.state = $1)::text, "
	    "(SELECT count(*) FROM witness_alarm a WHERE a.state = $1 AND NOT EXISTS "
	    "(SELECT 1 FROM witness_alarm_ack k WHERE k.alarm = a.seq))::text, "
	    "l.at, l.reason, c.line "
	    "FROM (SELECT 1) one "
	    "LEFT JOIN LATERAL (SELECT note, line, cosigned_at FROM witness_cosigned "
	    "WHERE state = $1 ORDER BY seq DESC LIMIT 1) c ON true "
	    "LEFT JOIN LATERAL (SELECT extract(epoch FROM raised_at)::bigint::text "
	    "AS at, reason FROM witness_alarm WHERE state = $1 ORDER BY seq DESC "
	    "LIMIT 1) l ON true",
	    1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r = reg__fail_pg(err, ctx->conn, res, "cannot read what the witness "
		    "knows of %s", state);
		PQclear(res);
		return r;
	}
	out->alarms = atol(PQgetvalue(res, 0, 2));
	out->alarms_open = atol(PQgetvalue(res, 0, 3));
	if (!PQgetisnull(res, 0, 4)) {
		out->alarm_at = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
		snprintf(out->alarm_reason, sizeof(out->alarm_reason), "%s",
		    PQgetvalue(res, 0, 5));
	}
	if (!PQgetisnull(res, 0, 0)) {
		text = PQgetvalue(res, 0, 0);
		if ((end = strstr(text, "\n\n")) == NULL ||
		    reg_checkpoint_parse(text, (size_t)(end - text) + 1, &out->cp,
		    NULL) != 0)
			r = reg__fail(err, REG_EVERIFY, "a stored cosigned checkpoint "
			    "of %s is malformed", state);
		else if ((out->note = strdup(text)) == NULL ||
		    (out->line = strdup(PQgetvalue(res, 0, 6))) == NULL)
			r = reg__fail(err, REG_ENOMEM, "out of memory");
		else {
			out->cosigned = 1;
			out->cosigned_at = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		}
	}
	PQclear(res);
	if (r != 0)
		reg_witness_peer_clear(out);
	return r;
}

static void
hex32(const struct reg_hash *h, char out[65])
{
	cm_hex_encode(h->b, 32, out);
}

int
reg_witness_cosigned_add(reg_ctx *ctx, const char *state,
    const struct reg_checkpoint *cp, const char *note, const char *line,
    uint64_t timestamp, reg_error *err)
{
	char size[24], root[65], ts[24];
	const char *params[7] = { state, cp->origin, size, root, note, line, ts };
	PGresult *res;
	int r = 0;

	snprintf(size, sizeof(size), "%" PRIu64, cp->size);
	snprintf(ts, sizeof(ts), "%" PRIu64, timestamp);
	hex32(&cp->root, root);
	res = reg__exec(ctx, "INSERT INTO witness_cosigned (state, origin, "
	    "size, root, note, line, cosigned_at) VALUES ($1, $2, $3::bigint, "
	    "decode($4, 'hex'), $5, $6, to_timestamp($7::bigint))",
	    7, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = reg__fail_pg(err, ctx->conn, res, "cannot record the cosignature "
		    "of %s's checkpoint", state);
	PQclear(res);
	return r;
}

int
reg_witness_alarm_add(reg_ctx *ctx, const char *state, const char *reason,
    const char *cosigned_note, const char *seen_note,
    const struct reg_checkpoint *seen, int *raised, reg_error *err)
{
	char size[24], root[65];
	const char *params[6] = { state, reason, cosigned_note, size, root,
		seen_note };
	PGresult *res;
	int r = 0;

	if (raised != NULL)
		*raised = 0;
	snprintf(size, sizeof(size), "%" PRIu64, seen->size);
	hex32(&seen->root, root);
	/* Not again for the same checkpoint while an alarm of it is open. */
	res = reg__exec(ctx, "INSERT INTO witness_alarm (state, kind, "
	    "reason, cosigned_note, seen_size, seen_root, seen_note) "
	    "SELECT $1, 'fork', $2, $3, $4::bigint, decode($5, 'hex'), $6 "
	    "WHERE NOT EXISTS (SELECT 1 FROM witness_alarm a WHERE a.state = $1 "
	    "AND a.seen_size = $4::bigint AND a.seen_root = decode($5, 'hex') "
	    "AND NOT EXISTS (SELECT 1 FROM witness_alarm_ack k WHERE k.alarm = a.seq))",
	    6, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = reg__fail_pg(err, ctx->conn, res, "cannot record the alarm of %s",
		    state);
	else if (raised != NULL)
		*raised = atoi(PQcmdTuples(res)) > 0;
	PQclear(res);
	return r;
}
