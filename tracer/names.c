/*
 * Calibres as an investigator reads them: by the cartridge they name,
 * whatever the spelling ("9 mm Parabellum", "9x19mm" and "9mm Luger" are one
 * cartridge).  (Manufacturer and model names compare on their letters and
 * digits: reg_name_norm(), registry/norm.c.)
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tracer_int.h"

/* Common names of cartridges, after lower-casing and dropping spaces,
 * hyphens, a leading dot and every "mm", with the canonical name. */
static const struct {
	const char *name, *canon;
} calibres[] = {
	{ "9", "9x19" }, { "9x19", "9x19" }, { "9parabellum", "9x19" },
	{ "9para", "9x19" }, { "9luger", "9x19" }, { "9nato", "9x19" },
	{ "9x19parabellum", "9x19" }, { "9x19luger", "9x19" }, { "9x19nato", "9x19" },
	{ "45acp", "45acp" }, { "45auto", "45acp" }, { "11.43x23", "45acp" },
	{ "223", "5.56x45" }, { "223rem", "5.56x45" }, { "223remington", "5.56x45" },
	{ "5.56x45", "5.56x45" }, { "5.56nato", "5.56x45" }, { "5.56", "5.56x45" },
	{ "5.56x45nato", "5.56x45" },
	{ "308", "7.62x51" }, { "308win", "7.62x51" }, { "308winchester", "7.62x51" },
	{ "7.62x51", "7.62x51" }, { "7.62nato", "7.62x51" }, { "7.62x51nato", "7.62x51" },
	{ "7.62x39", "7.62x39" }, { "7.62x54r", "7.62x54r" },
	{ "22lr", "22lr" }, { "22longrifle", "22lr" }, { "5.6x15r", "22lr" },
	{ "12gauge", "12ga" }, { "12ga", "12ga" }, { "12g", "12ga" }, { "12bore", "12ga" },
	{ "12/70", "12ga" }, { "12/76", "12ga" }, { "12", "12ga" },
	{ "20gauge", "20ga" }, { "20ga", "20ga" },
	{ "40s&w", "40sw" }, { "40sw", "40sw" }, { "10x22", "40sw" },
	{ "38special", "38spl" }, { "38spl", "38spl" }, { "357magnum", "357mag" },
	{ "357mag", "357mag" }, { "9x18", "9x18" }, { "9makarov", "9x18" },
	{ "9x18makarov", "9x18" },
	{ "12.7x108", "12.7x108" }, { "50bmg", "12.7x99" }, { "12.7x99", "12.7x99" },
	{ "5.45x39", "5.45x39" },
};

void
tr__calibre_canon(const char *in, char *out, size_t outlen)
{
	char buf[128];
	size_t o = 0, i, n;
	const char *s;
	char c;

	if (outlen == 0)
		return;
	for (s = in; s != NULL && *s != '\0' && o + 1 < sizeof(buf); s++) {
		c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == ',')
			c = '.';
		if (c == ' ' || c == '\t' || c == '-' || c == '_' || c == '"' || c == '\'')
			continue;
		if (c == '.' && o == 0)
			continue;
		buf[o++] = c;
	}
	buf[o] = '\0';
	/* Millimetres are the unit whatever is written. */
	for (n = 0; buf[n] != '\0'; ) {
		if (buf[n] == 'm' && buf[n + 1] == 'm')
			memmove(buf + n, buf + n + 2, strlen(buf + n + 2) + 1);
		else
			n++;
	}
	if (strncmp(buf, "cal.", 4) == 0)
		memmove(buf, buf + 4, strlen(buf + 4) + 1);
	for (i = 0; i < sizeof(calibres) / sizeof(calibres[0]); i++)
		if (strcmp(buf, calibres[i].name) == 0) {
			snprintf(out, outlen, "%s", calibres[i].canon);
			return;
		}
	snprintf(out, outlen, "%s", buf);
}
