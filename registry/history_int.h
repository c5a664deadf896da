/*
 * A weapon's history as the rules and the readers see it (history.c): its
 * effective chain, its state (status, holder, last date) and the rules on
 * which event may follow which state.  Event writes (event.c), the importer
 * and every reader (weapon_show.c) use these; the trace engine uses the
 * public reg_history_effective().
 */
#ifndef REGISTRY_HISTORY_INT_H
#define REGISTRY_HISTORY_INT_H


#if !defined(REG_PART_REGISTRY) && !defined(REG_WHITEBOX)
#error "history_int.h is internal to registry/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include "registry_int.h"

/* The registry's event kinds (migrations/0004_records.sql checks the same),
 * NULL-terminated, and the text that lists them in an error message. */
extern const char *const reg__event_kinds[];
#define REG__EVENT_KINDS_TEXT \
	"manufacture, domestic_transfer, export, import, transit, " \
	"state_to_civilian, loan, return, loss, theft, recovery, seizure, " \
	"confiscation, deactivation, destruction, records_to_state"

/*
 * A weapon's state along its effective chain: what the chain rules check a
 * new event against.
 */
struct reg__hstate {
	int n;				/* events so far, corrections included */
	char status[16];		/* registered, in_stock, held, exported, lost,
					 * stolen, seized, deactivated, destroyed */
	char holder[REG_UUID_STR];	/* current holder, or "" */
	char last_legal_holder[REG_UUID_STR];
	char last_date[11];		/* of the last effective event, or "" */
};

/* The state of a weapon without events: registered, no holder, n = 0. */
void reg__hstate_init(struct reg__hstate *s);
/*
 * Moves s by one effective event: its kind, receiving party (to, to_kind:
 * NULL or "" if none) and date.  Does not count it in s->n (a caller that
 * adds an event counts it).
 */
void reg__hstate_step(struct reg__hstate *s, const char *kind, const char *to,
    const char *to_kind, const char *date);
/*
 * The chain's rules for a new (not correcting) event of kind on date, from
 * and to parties' ids ("" if none), after state s.  Returns 0 or REG_ERULE
 * with the reason in err.
 */
int reg__hstate_check(const struct reg__hstate *s, const char *kind,
    const char *date, const char *from, const char *to, reg_error *err);
/*
 * Sets s to the state after the n events ev (by seq): the effective chain
 * (indexes into eff, n entries; corrected as reg_history_effective()) and
 * the steps along it.  Returns the number of effective events.
 */
int reg__hstate_replay(struct reg__hstate *s, const struct reg_history_event *ev,
    int n, int *eff, int *corrected);

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
	struct reg__hstate st;		/* the state after the effective chain */
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
