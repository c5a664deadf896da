/*
 * Witness cosignatures of checkpoints: C2SP tlog-cosignature, the Ed25519
 * type cosignature/v1 (c2sp.org/tlog-cosignature).
 *
 * A cosignature is one more signature line of a checkpoint's signed note,
 * "— <witness name> <base64(key id || timestamp || signature)>": the key id
 * is the first four bytes of SHA-256(name "\n" 0x04 public key), the
 * timestamp eight bytes big-endian (seconds since the epoch, at most
 * 2^63 - 1), and the Ed25519 signature is over
 *
 *	"cosignature/v1\n" "time <timestamp in decimal>\n" <checkpoint body>
 *
 * where the body is the note's text up to and including the newline before
 * the blank line, without any signature line.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "registry_int.h"

#define TIMESTAMP_LEN 8
#define ED25519_SIG_LEN 64
/* What follows the key id in a cosignature: timestamp and signature. */
#define COSIG_LEN (TIMESTAMP_LEN + ED25519_SIG_LEN)


/*
 * Builds the message that a cosignature with timestamp ts signs over a
 * checkpoint body of len bytes; free *out with free().
 */
static int
cosig_message(const char *body, size_t len, uint64_t ts, uint8_t **out,
    size_t *outlen, reg_error *err)
{
	char head[64];
	uint8_t *m;
	int n;

	*out = NULL;
	n = snprintf(head, sizeof(head), REG__COSIG_HEADER "time %" PRIu64
	    "\n", ts);
	REG_ASSERT(n > 0 && (size_t)n < sizeof(head));
	m = malloc((size_t)n + len);
	if (m == NULL)
		return reg__fail(err, REG_ENOMEM,
		    "cannot allocate a cosignature message");
	memcpy(m, head, (size_t)n);
	memcpy(m + n, body, len);
	*out = m;
	*outlen = (size_t)n + len;
	return 0;
}

/*
 * Opens a checkpoint's signed note for its signature lines: the note must
 * be well-formed (reg__note_open()) and its text a checkpoint.
 */
static int
open_checkpoint(struct reg__note_sigs *it, const char *note,
    size_t *textlen, reg_error *err)
{
	struct reg_checkpoint cp;
	int r;

	if ((r = reg__note_open(it, note, strlen(note), textlen, err)) != 0)
		return r;
	return reg_checkpoint_parse(note, *textlen, &cp, err);
}

/*
 * Makes witness's cosignature line with timestamp ts over the checkpoint
 * of note, after checking every line of the note.  *nsigs receives the
 * note's number of signature lines and *mine whether one of them is
 * already a cosignature by witness.
 */
static int
cosign_line(const reg_key *witness, const char *note, uint64_t ts,
    char **line, int *nsigs, int *mine, reg_error *err)
{
	struct reg__note_sigs it;
	uint8_t sig[COSIG_LEN], *msg = NULL;
	size_t textlen, msglen;
	int r = REG_EINTERNAL;

	*line = NULL;
	*nsigs = 0;
	*mine = 0;
	if (witness == NULL || note == NULL)
		return reg__fail(err, REG_EINVAL,
		    "no witness key or note to cosign");
	if ((r = reg__key_check_use(witness, REG__SIG_COSIG_V1, err)) != 0)
		return r;
	/* A witness never cosigns without a time (c2sp.org/tlog-witness). */
	if (ts == 0 || ts > INT64_MAX)
		return reg__fail(err, REG_ERANGE, "cosignature timestamp %"
		    PRIu64 " is not between 1 and 2^63 - 1", ts);
	if ((r = open_checkpoint(&it, note, &textlen, err)) != 0)
		goto out;
	while ((r = reg__note_next(&it, err)) == 1) {
		(*nsigs)++;
		if (reg__note_sig_is(&it, reg_key_name(witness),
		    reg_cosig_key_id(witness)))
			*mine = 1;
	}
	if (r != 0)
		goto out;

	if ((r = cosig_message(note, textlen, ts, &msg, &msglen, err)) != 0)
		goto out;
	reg__put_be(sig, ts, TIMESTAMP_LEN);
	if ((r = reg__key_sign(witness, msg, msglen, sig + TIMESTAMP_LEN,
	    err)) != 0)
		goto out;
	r = reg__note_sig_line(reg_key_name(witness),
	    reg_cosig_key_id(witness), sig, sizeof(sig), line, err);
out:
	reg__note_close(&it);
	free(msg);
	return r;
}

int
reg_cosign(const reg_key *witness, const char *note, uint64_t timestamp,
    char **line, reg_error *err)
{
	int nsigs, mine;

	return cosign_line(witness, note, timestamp, line, &nsigs, &mine,
	    err);
}

int
reg_cosign_add(const reg_key *witness, const char *note, uint64_t timestamp,
    char **out_note, reg_error *err)
{
	char *line = NULL, *s = NULL;
	size_t len, linelen;
	int nsigs, mine, r = REG_EINTERNAL;

	*out_note = NULL;
	if ((r = cosign_line(witness, note, timestamp, &line, &nsigs, &mine,
	    err)) != 0)
		goto out;
	if (mine) {
		r = reg__fail(err, REG_EEXIST, "note already carries a "
		    "cosignature by %s+%08x", reg_key_name(witness),
		    (unsigned)reg_cosig_key_id(witness));
		goto out;
	}
	if (nsigs >= REG__NOTE_SIGS_MAX) {
		r = reg__fail(err, REG_ETOOBIG, "note already has %d "
		    "signatures, the most it may have", nsigs);
		goto out;
	}
	len = strlen(note);
	linelen = strlen(line);
	if (len + linelen > (size_t)REG_NOTE_MAX + REG__NOTE_SIGS_BYTES_MAX) {
		r = reg__fail(err, REG_ETOOBIG, "cosigned note of %zu bytes "
		    "would be too long", len + linelen);
		goto out;
	}
	s = malloc(len + linelen + 1);
	if (s == NULL) {
		r = reg__fail(err, REG_ENOMEM,
		    "cannot allocate the cosigned note");
		goto out;
	}
	memcpy(s, note, len);
	memcpy(s + len, line, linelen + 1);
	*out_note = s;
	s = NULL;	/* transferred */
	r = 0;
out:
	free(s);
	free(line);
	return r;
}

int
reg_cosig_verify(const reg_key *witness_public, const char *note,
    uint64_t *timestamp, reg_error *err)
{
	struct reg__note_sigs it;
	const reg_key *k = witness_public;
	uint8_t *msg = NULL;
	size_t textlen, msglen;
	uint64_t ts, latest = 0;
	int found = 0, bad = 0, v, r = REG_EINTERNAL;
	reg_error verr = REG_ERROR_INIT, lerr = REG_ERROR_INIT;

	if (timestamp != NULL)
		*timestamp = 0;
	if (k == NULL || note == NULL)
		return reg__fail(err, REG_EINVAL,
		    "no witness key or note to verify");
	if ((r = reg__key_check_use(k, REG__SIG_COSIG_V1, err)) != 0)
		return r;
	if ((r = open_checkpoint(&it, note, &textlen, err)) != 0)
		goto out;
	while ((r = reg__note_next(&it, err)) == 1) {
		/* Lines of other keys are ignored, as C2SP requires. */
		if (!reg__note_sig_is(&it, reg_key_name(k),
		    reg_cosig_key_id(k)))
			continue;
		found++;
		if (it.rawlen != REG__NOTE_KEY_ID_LEN + COSIG_LEN) {
			r = reg__fail(err, REG_EINVAL, "cosignature line %d "
			    "by %s has %zu bytes after its key id, not %d",
			    it.lineno, reg_key_name(k),
			    it.rawlen - REG__NOTE_KEY_ID_LEN, COSIG_LEN);
			goto out;
		}
		ts = reg__get_be(it.raw + REG__NOTE_KEY_ID_LEN, TIMESTAMP_LEN);
		if (ts > INT64_MAX) {
			r = reg__fail(err, REG_EINVAL, "cosignature line %d "
			    "by %s has timestamp %" PRIu64 ", above "
			    "2^63 - 1", it.lineno, reg_key_name(k), ts);
			goto out;
		}
		free(msg);
		msg = NULL;
		if ((r = cosig_message(note, textlen, ts, &msg, &msglen,
		    err)) != 0)
			goto out;
		/* Every cosignature by k must hold; the first failure is
		 * kept. */
		reg_error_clear(&lerr);
		v = reg__key_verify(k, msg, msglen, it.raw +
		    REG__NOTE_KEY_ID_LEN + TIMESTAMP_LEN, ED25519_SIG_LEN,
		    &lerr);
		if (v == REG_EVERIFY) {
			if (bad++ == 0)
				reg__fail(&verr, REG_EVERIFY, "cosignature "
				    "line %d by %s+%08x does not verify",
				    it.lineno, reg_key_name(k),
				    (unsigned)reg_cosig_key_id(k));
			continue;
		}
		if (v != 0) {
			r = reg__fail(err, v, "%s", lerr.message);
			goto out;
		}
		if (ts > latest)
			latest = ts;
	}
	if (r != 0)
		goto out;
	if (found == 0) {
		r = reg__fail(err, REG_ENOTFOUND, "note has no cosignature by "
		    "%s+%08x", reg_key_name(k), (unsigned)reg_cosig_key_id(k));
		goto out;
	}
	if (bad > 0) {
		r = reg__fail(err, REG_EVERIFY, "%s", verr.message);
		goto out;
	}
	if (timestamp != NULL)
		*timestamp = latest;
	r = 0;
out:
	reg__note_close(&it);
	free(msg);
	return r;
}
