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

/*
 * A weapon's events ($1 its id) in the columns reg__history_build() reads:
 * id, seq, kind, date, from, to, corrects, the receiving party's kind.
 * Readers may add columns after these.
 */
#define REG__HISTORY_COLS \
	"e.id, e.seq, e.kind, to_char(e.event_date, 'YYYY-MM-DD'), " \
	"e.from_party, e.to_party, e.corrects, p.kind"
#define REG__HISTORY_FROM \
	" FROM event e LEFT JOIN party p ON p.id = e.to_party " \
	"WHERE e.weapon_id = $1 ORDER BY e.seq"
#define REG__HISTORY_SQL "SELECT " REG__HISTORY_COLS REG__HISTORY_FROM

struct pg_result;
int reg__history_load(reg_ctx *ctx, const char *weapon_id,
    struct reg__history *h, reg_error *err);
/* Builds the history from rows of REG__HISTORY_COLS (and more columns). */
int reg__history_build(struct pg_result *res, struct reg__history *h,
    reg_error *err);
void reg__history_free(struct reg__history *h);

#endif
