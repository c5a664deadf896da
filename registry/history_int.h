/* A weapon's history as the rules and the readers see it. */
#ifndef REGISTRY_HISTORY_INT_H
#define REGISTRY_HISTORY_INT_H

#include "registry_int.h"

struct reg__event {
	char id[REG_UUID_STR];
	int seq;
	char kind[24];
	char date[11];
	char from[REG_UUID_STR];
	char to[REG_UUID_STR];
	char to_kind[24];		/* the receiving party's kind */
	char corrects[REG_UUID_STR];
	int corrected_by;		/* index in ev of the latest correction, or -1 */
};

struct reg__history {
	struct reg__event *ev;		/* every event, by seq */
	int n;
	int *eff;			/* the effective chain: indexes into ev */
	int neff;
	char status[16];		/* registered, in_stock, held, exported, lost,
					 * stolen, seized, deactivated, destroyed */
	char holder[REG_UUID_STR];	/* current holder, or "" */
	char last_legal_holder[REG_UUID_STR];
	char last_date[11];
};

int reg__history_load(reg_ctx *ctx, const char *weapon_id,
    struct reg__history *h, reg_error *err);
void reg__history_free(struct reg__history *h);

#endif
