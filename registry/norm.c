/*
 * Serial numbers, names and calibres folded for comparison, with the one
 * table of look-alike characters.  The registry stores a weapon's serial
 * in its normal form (reg__serial_norm()); the trace engine searches by the
 * key (reg_serial_key()), which folds more look-alikes; manufacturer names
 * and aliases compare by their letters and digits (reg_name_norm()).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "record_int.h"

/*
 * The look-alikes: characters that worn, restored or misread marks
 * confuse, each with the character it folds to.  The search key of a
 * serial folds all of them: O Q D -> 0, I L 7 -> 1, S -> 5, B -> 8,
 * Z -> 2, G -> 6.  The normal form stored with every weapon and component
 * (weapon.serial_norm, since migration 0004, which their leaves in the log
 * commit to) folds only those marked stored, that is all but D and 7:
 * migration 0005 then makes the stored form a key with
 * translate(serial_norm, 'D7', '01'), and its reg_serial_key() folds a
 * serial as marked with 'OQDILSBZG7' -> '0001158261'.  Folding D and 7 in
 * the stored form too would change the stored rows and leaves, so the two
 * forms stay; tests/registry/check_history.c proves the SQL and the C agree
 * on every character.
 */
static const struct {
	char to;			/* what it folds to; 0 if not a look-alike */
	char stored;			/* folded in the stored normal form too */
} lookalike[256] = {
	['O'] = { '0', 1 }, ['Q'] = { '0', 1 }, ['D'] = { '0', 0 },
	['I'] = { '1', 1 }, ['L'] = { '1', 1 }, ['7'] = { '1', 0 },
	['S'] = { '5', 1 }, ['B'] = { '8', 1 }, ['Z'] = { '2', 1 },
	['G'] = { '6', 1 },
};

/* Folds the look-alikes of s in place: all of them, or (stored_only) those
 * of the stored normal form. */
static void
fold(char *s, int stored_only)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (lookalike[c].to != 0 && (!stored_only || lookalike[c].stored))
			*s = lookalike[c].to;
	}
}

/*
 * The letters and digits of in, upper case (and with wildcards, '?' and
 * '*', a run of '*' as one), into out of outlen bytes, NUL-terminated.
 * Returns the length, or -1 when they do not fit (out then holds as many
 * as fit).
 */
static int
letters(const char *in, int wildcards, char *out, size_t outlen)
{
	size_t o = 0;
	char c;

	if (outlen == 0)
		return -1;
	for (; *in != '\0'; in++) {
		c = *in;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (wildcards && (c == '?' || c == '*'))))
			continue;
		if (c == '*' && o > 0 && out[o - 1] == '*')
			continue;
		if (o + 1 >= outlen) {
			out[o] = '\0';
			return -1;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return (int)o;
}

int
reg_serial_upper(const char *serial, int wildcards, char *out, size_t outlen)
{
	return letters(serial, wildcards, out, outlen);
}

void
reg_serial_fold(char *s)
{
	fold(s, 0);
}

int
reg_serial_key(const char *serial, int wildcards, char *out, size_t outlen)
{
	int n = letters(serial, wildcards, out, outlen);

	if (n >= 0)
		fold(out, 0);
	return n;
}

void
reg__serial_norm(const char *in, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	(void)letters(in, 0, out, outlen);	/* cut at outlen - 1 as before */
	fold(out, 1);
}

void
reg_name_norm(const char *in, char *out, size_t outlen)
{
	if (outlen > 0)
		letters(in != NULL ? in : "", 0, out, outlen);
}

void
reg__calibre_norm(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	char c;

	for (; *in != '\0' && o + 1 < outlen; in++) {
		c = *in;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == ',')
			c = '.';
		if (c == ' ' || c == '\t')
			continue;
		out[o++] = c;
	}
	out[o] = '\0';
}
