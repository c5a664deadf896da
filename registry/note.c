/*
 * C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures, and the
 * C2SP tlog-checkpoint bodies that the registry's logs sign with them.
 *
 * A signed note is its text (ending in a newline), a blank line, and one or
 * more signature lines "— <key name> <base64(key id || signature)>".  The
 * whole note is UTF-8 without control characters other than newline.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "common/utf8.h"
#include "registry_int.h"

/* The em dash and space that open a signature line. */
#define SIG_PREFIX "\xe2\x80\x94 "
#define SIG_PREFIX_LEN 4
#define ED25519_SIG_LEN 64


/*
 * Checks that len bytes of text are valid UTF-8 without control characters
 * other than newline; what names the text in the message.
 */
static int
check_text(const char *text, size_t len, const char *what, reg_error *err)
{
	size_t i = 0;
	uint32_t c = 0;

	switch (cm_utf8_text(text, len, CM_UTF8_C0 | CM_UTF8_LF_OK, &i, &c)) {
	case 0:
		return 0;
	case CM_UTF8_EINVALID:
		return reg__fail(err, REG_EINVAL,
		    "%s is not valid UTF-8 at byte %zu", what, i);
	default:
		return reg__fail(err, REG_EINVAL, "%s has control "
		    "character 0x%02x at byte %zu", what, (unsigned)c, i);
	}
}

void
reg__put_be(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = n; i > 0; i--) {
		p[i - 1] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

uint64_t
reg__get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int
reg__note_sig_line(const char *name, uint32_t id, const uint8_t *sig,
    size_t siglen, char **out, reg_error *err)
{
	uint8_t *raw = NULL;
	char *b64 = NULL, *line = NULL;
	size_t namelen, b64len, n, o;
	int r = REG_EINTERNAL;

	*out = NULL;
	raw = malloc(REG__NOTE_KEY_ID_LEN + siglen);
	if (raw == NULL) {
		r = reg__fail(err, REG_ENOMEM, "cannot allocate a signature");
		goto out;
	}
	reg__put_be(raw, id, REG__NOTE_KEY_ID_LEN);
	memcpy(raw + REG__NOTE_KEY_ID_LEN, sig, siglen);
	if ((r = reg_base64_encode(raw, REG__NOTE_KEY_ID_LEN + siglen, &b64,
	    err)) != 0)
		goto out;
	namelen = strlen(name);
	b64len = strlen(b64);
	/* em dash and space, name, space, base64, newline */
	n = SIG_PREFIX_LEN + namelen + 1 + b64len + 1;
	line = malloc(n + 1);
	if (line == NULL) {
		r = reg__fail(err, REG_ENOMEM,
		    "cannot allocate a signature line");
		goto out;
	}
	o = 0;
	memcpy(line + o, SIG_PREFIX, SIG_PREFIX_LEN);
	o += SIG_PREFIX_LEN;
	memcpy(line + o, name, namelen);
	o += namelen;
	line[o++] = ' ';
	memcpy(line + o, b64, b64len);
	o += b64len;
	line[o++] = '\n';
	REG_ASSERT(o == n);
	line[o] = '\0';
	*out = line;
	line = NULL;	/* transferred */
	r = 0;
out:
	free(line);
	free(b64);
	free(raw);
	return r;
}

int
reg_note_sign(const reg_key *k, const char *text, char **out, reg_error *err)
{
	uint8_t sig[ED25519_SIG_LEN];
	char *line = NULL, *note = NULL;
	size_t len, linelen;
	int r = REG_EINTERNAL;

	*out = NULL;
	if (k == NULL || text == NULL)
		return reg__fail(err, REG_EINVAL, "no key or text to sign");
	if ((r = reg__key_check_use(k, REG__SIG_ED25519, err)) != 0)
		return r;
	len = strlen(text);
	if (len == 0)
		return reg__fail(err, REG_EINVAL, "note text is empty");
	if (len > REG_NOTE_MAX)
		return reg__fail(err, REG_ETOOBIG, "note text of %zu bytes is "
		    "longer than %d", len, REG_NOTE_MAX);
	if (text[len - 1] != '\n')
		return reg__fail(err, REG_EINVAL,
		    "note text does not end in a newline");
	if ((r = check_text(text, len, "note text", err)) != 0)
		return r;
	/*
	 * A note signature over a cosignature's message would be a
	 * cosignature by the same key under the other key id.
	 */
	if (strncmp(text, REG__COSIG_HEADER, strlen(REG__COSIG_HEADER)) == 0)
		return reg__fail(err, REG_EINVAL, "note text starts with "
		    "\"cosignature/v1\", which only witness cosignatures sign");

	if ((r = reg__key_sign(k, (const uint8_t *)text, len, sig, err)) != 0)
		goto out;
	if ((r = reg__note_sig_line(reg_key_name(k), reg_key_id(k), sig,
	    sizeof(sig), &line, err)) != 0)
		goto out;
	linelen = strlen(line);
	/* text, blank line, signature line, NUL */
	note = malloc(len + 1 + linelen + 1);
	if (note == NULL) {
		r = reg__fail(err, REG_ENOMEM, "cannot allocate the note");
		goto out;
	}
	memcpy(note, text, len);
	note[len] = '\n';
	memcpy(note + len + 1, line, linelen + 1);
	*out = note;
	note = NULL;	/* transferred */
	r = 0;
out:
	free(note);
	free(line);
	return r;
}

/* Finds the last "\n\n" in s (len bytes); returns its offset or -1. */
static long
last_blank_line(const char *s, size_t len)
{
	size_t i;

	for (i = len; i >= 2; i--) {
		if (s[i - 2] == '\n' && s[i - 1] == '\n')
			return (long)(i - 2);
	}
	return -1;
}

int
reg__note_open(struct reg__note_sigs *it, const char *note, size_t len,
    size_t *textlen, reg_error *err)
{
	long split;
	int r;

	memset(it, 0, sizeof(*it));
	*textlen = 0;
	if (len > (size_t)REG_NOTE_MAX + REG__NOTE_SIGS_BYTES_MAX)
		return reg__fail(err, REG_ETOOBIG, "note of %zu bytes is too "
		    "long", len);
	if ((r = check_text(note, len, "note", err)) != 0)
		return r;
	split = last_blank_line(note, len);
	if (split < 0)
		return reg__fail(err, REG_EINVAL,
		    "note has no blank line before its signatures");
	if ((size_t)split + 1 > REG_NOTE_MAX)
		return reg__fail(err, REG_ETOOBIG, "note text of %zu bytes is "
		    "longer than %d", (size_t)split + 1, REG_NOTE_MAX);
	if ((size_t)split + 2 == len || note[len - 1] != '\n')
		return reg__fail(err, REG_EINVAL, "note's signature lines do "
		    "not end in a newline");
	*textlen = (size_t)split + 1;
	it->pos = note + *textlen + 1;
	it->end = note + len;
	return 0;
}

int
reg__note_next(struct reg__note_sigs *it, reg_error *err)
{
	const char *line = it->pos, *eol, *sp;

	free(it->raw);
	it->raw = NULL;
	it->rawlen = 0;
	if (line >= it->end)
		return 0;
	it->lineno++;
	eol = memchr(line, '\n', (size_t)(it->end - line));
	REG_ASSERT(eol != NULL);
	it->pos = eol + 1;
	if (it->lineno > REG__NOTE_SIGS_MAX)
		return reg__fail(err, REG_ETOOBIG, "note has more than %d "
		    "signatures", REG__NOTE_SIGS_MAX);
	if (eol - line < SIG_PREFIX_LEN ||
	    memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
		return reg__fail(err, REG_EINVAL, "signature line %d does not "
		    "start with an em dash and a space", it->lineno);
	it->name = line + SIG_PREFIX_LEN;
	sp = memchr(it->name, ' ', (size_t)(eol - it->name));
	if (sp == NULL)
		return reg__fail(err, REG_EINVAL, "signature line %d has no "
		    "space after the key name", it->lineno);
	it->namelen = (size_t)(sp - it->name);
	if (!reg__key_name_valid(it->name, it->namelen))
		return reg__fail(err, REG_EINVAL, "signature line %d has an "
		    "invalid key name", it->lineno);
	/* At least one byte of signature after the key id. */
	if (reg_base64_decode(sp + 1, (size_t)(eol - sp - 1), &it->raw,
	    &it->rawlen, NULL) != 0 || it->rawlen <= REG__NOTE_KEY_ID_LEN)
		return reg__fail(err, REG_EINVAL, "signature line %d has no "
		    "valid base64 signature", it->lineno);
	it->id = (uint32_t)reg__get_be(it->raw, REG__NOTE_KEY_ID_LEN);
	return 1;
}

void
reg__note_close(struct reg__note_sigs *it)
{
	free(it->raw);
	it->raw = NULL;
}

int
reg__note_sig_is(const struct reg__note_sigs *it, const char *name,
    uint32_t id)
{
	return it->namelen == strlen(name) &&
	    memcmp(it->name, name, it->namelen) == 0 && it->id == id;
}

int
reg_note_verify(const reg_key *k, const char *note, size_t len, char **text,
    reg_error *err)
{
	struct reg__note_sigs it;
	char *copy = NULL;
	size_t textlen;
	int good = 0, bad = 0, v, r = REG_EINTERNAL;
	reg_error verr = REG_ERROR_INIT, lerr = REG_ERROR_INIT;

	if (text != NULL)
		*text = NULL;
	if (k == NULL || note == NULL)
		return reg__fail(err, REG_EINVAL, "no key or note to verify");
	if ((r = reg__key_check_use(k, REG__SIG_ED25519, err)) != 0)
		return r;
	if ((r = reg__note_open(&it, note, len, &textlen, err)) != 0)
		return r;
	while ((r = reg__note_next(&it, err)) == 1) {
		/* Signatures of other keys are ignored, as C2SP requires. */
		if (!reg__note_sig_is(&it, reg_key_name(k), reg_key_id(k)))
			continue;
		/* Every signature by k must hold; the first failure is kept. */
		reg_error_clear(&lerr);
		v = reg__key_verify(k, (const uint8_t *)note, textlen,
		    it.raw + REG__NOTE_KEY_ID_LEN,
		    it.rawlen - REG__NOTE_KEY_ID_LEN, &lerr);
		if (v == 0) {
			good++;
		} else if (v == REG_EVERIFY) {
			if (bad++ == 0)
				verr = lerr;
		} else {
			r = reg__fail(err, v, "%s", lerr.message);
			goto out;
		}
	}
	if (r != 0)
		goto out;
	if (bad > 0) {
		r = reg__fail(err, REG_EVERIFY, "%s", verr.message);
		goto out;
	}
	if (good == 0) {
		r = reg__fail(err, REG_EVERIFY, "note has no signature by "
		    "%s+%08x", reg_key_name(k), (unsigned)reg_key_id(k));
		goto out;
	}
	if (text != NULL) {
		copy = malloc(textlen + 1);
		if (copy == NULL) {
			r = reg__fail(err, REG_ENOMEM,
			    "cannot copy the note text");
			goto out;
		}
		memcpy(copy, note, textlen);
		copy[textlen] = '\0';
		*text = copy;
		copy = NULL;	/* transferred */
	}
	r = 0;
out:
	reg__note_close(&it);
	free(copy);
	return r;
}

int
reg_checkpoint_format(const struct reg_checkpoint *cp, char **out,
    reg_error *err)
{
	char *b64 = NULL, *s = NULL;
	size_t olen, n;
	int r = REG_EINTERNAL;

	*out = NULL;
	if (cp == NULL)
		return reg__fail(err, REG_EINVAL, "no checkpoint");
	olen = strnlen(cp->origin, sizeof(cp->origin));
	if (olen == sizeof(cp->origin))
		return reg__fail(err, REG_EINVAL,
		    "checkpoint origin is not NUL-terminated");
	if (olen == 0)
		return reg__fail(err, REG_EINVAL, "checkpoint origin is empty");
	if ((r = check_text(cp->origin, olen, "checkpoint origin", err)) != 0)
		return r;
	if (memchr(cp->origin, '\n', olen) != NULL)
		return reg__fail(err, REG_EINVAL,
		    "checkpoint origin has a newline");
	if (cp->size > INT64_MAX)
		return reg__fail(err, REG_ERANGE, "checkpoint size %" PRIu64
		    " is above 2^63 - 1", cp->size);
	if ((r = reg_base64_encode(cp->root.b, sizeof(cp->root.b), &b64,
	    err)) != 0)
		goto out;
	/* origin, newline, at most 19 digits, newline, base64, newline, NUL */
	n = olen + 1 + 19 + 1 + strlen(b64) + 1 + 1;
	s = malloc(n);
	if (s == NULL) {
		r = reg__fail(err, REG_ENOMEM, "cannot allocate a checkpoint");
		goto out;
	}
	snprintf(s, n, "%s\n%" PRIu64 "\n%s\n", cp->origin, cp->size, b64);
	*out = s;
	s = NULL;	/* transferred */
	r = 0;
out:
	free(s);
	free(b64);
	return r;
}

/* Parses a tree size: decimal digits without leading zeros, <= 2^63 - 1. */
static int
parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		/* Nineteen digits fit in 64 bits; the bound comes next. */
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > INT64_MAX)
		return -1;
	*out = v;
	return 0;
}

/*
 * Parses line lineno (from 1; llen bytes without its newline) of a
 * checkpoint into c.
 */
static int
parse_checkpoint_line(int lineno, const char *line, size_t llen,
    struct reg_checkpoint *c, reg_error *err)
{
	uint8_t *root = NULL;
	size_t rootlen = 0;

	switch (lineno) {
	case 1:
		if (llen == 0)
			return reg__fail(err, REG_EINVAL,
			    "checkpoint line 1: the origin is empty");
		if (llen > REG_KEY_NAME_MAX)
			return reg__fail(err, REG_EINVAL, "checkpoint line 1: "
			    "the origin is longer than %d bytes",
			    REG_KEY_NAME_MAX);
		memcpy(c->origin, line, llen);
		c->origin[llen] = '\0';
		return 0;
	case 2:
		if (parse_size(line, llen, &c->size) != 0)
			return reg__fail(err, REG_EINVAL, "checkpoint line 2: "
			    "the tree size is not a decimal number without "
			    "leading zeros up to 2^63 - 1");
		return 0;
	case 3:
		if (reg_base64_decode(line, llen, &root, &rootlen, NULL) != 0 ||
		    rootlen != sizeof(c->root.b)) {
			free(root);
			return reg__fail(err, REG_EINVAL, "checkpoint line 3: "
			    "the root hash is not the base64 of 32 bytes");
		}
		memcpy(c->root.b, root, sizeof(c->root.b));
		free(root);
		return 0;
	default:
		if (llen == 0)
			return reg__fail(err, REG_EINVAL, "checkpoint line %d: "
			    "an extension line is empty", lineno);
		return 0;
	}
}

int
reg_checkpoint_parse(const char *text, size_t len, struct reg_checkpoint *cp,
    reg_error *err)
{
	struct reg_checkpoint c;
	const char *line, *eol;
	int lineno, r = REG_EINTERNAL;

	if (cp == NULL || text == NULL)
		return reg__fail(err, REG_EINVAL, "no checkpoint text");
	memset(cp, 0, sizeof(*cp));
	memset(&c, 0, sizeof(c));
	if (len > REG_NOTE_MAX)
		return reg__fail(err, REG_ETOOBIG, "checkpoint of %zu bytes is "
		    "longer than %d", len, REG_NOTE_MAX);
	if ((r = check_text(text, len, "checkpoint", err)) != 0)
		return r;
	if (len == 0 || text[len - 1] != '\n')
		return reg__fail(err, REG_EINVAL,
		    "checkpoint does not end in a newline");

	lineno = 0;
	for (line = text; line < text + len; line = eol + 1) {
		lineno++;
		eol = memchr(line, '\n', (size_t)(text + len - line));
		REG_ASSERT(eol != NULL);
		if ((r = parse_checkpoint_line(lineno, line,
		    (size_t)(eol - line), &c, err)) != 0)
			return r;
	}
	if (lineno < 3)
		return reg__fail(err, REG_EINVAL, "checkpoint line %d is "
		    "missing: %s", lineno + 1,
		    lineno == 1 ? "the tree size" : "the root hash");
	*cp = c;
	return 0;
}
