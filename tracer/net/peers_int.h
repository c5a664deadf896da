/*
 * The peers directory's insides (tracer/net/peers.c reads the file and
 * documents its format, peers_keys.c checks the value of each key of a
 * section, peers_lookup.c answers the daemon once it is loaded); never
 * installed, included by these three files only.
 */
#ifndef TRACER_NET_PEERS_INT_H
#define TRACER_NET_PEERS_INT_H

#if !defined(REG_PART_TRACER) && !defined(REG_WHITEBOX)
#error "peers_int.h is internal to tracer/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "tracer_int.h"

#define KEYS_MAX 8			/* signing keys per State */
#define SECTION_MAX 40			/* longer headers are unknown anyway */

struct signing_key {
	proto_jws_key *key;		/* with its kid */
	uint8_t pub[32];
	int line;
};

/* One State: what tr__peers_get() shows, and what it keeps to itself. */
struct peer_entry {
	struct tr__peer peer;
	struct signing_key keys[KEYS_MAX];
	int nkeys;
	/* The line of each key given once (0: not given yet). */
	int name_line, url_line, trust_line, log_line, via_line, hub_line;
	int hub_said;			/* hub = yes (1), no (-1), not given (0) */
};

struct tr__peers {
	struct peer_entry **v;		/* in the file's order */
	size_t n;
	struct peer_entry *by_code[26][26];
};

struct peers_parse {
	tr__peers *p;
	FILE *f;
	char dir[PATH_MAX];		/* the directory file's folder, absolute */
	struct peer_entry *cur;		/* the section read, or NULL */
	char cur_section[SECTION_MAX + 1];
	int line;			/* the line inih is on */
	int stop;			/* a fault was found: read no further */
	int read_errno;			/* reading the file failed */
	int code;			/* the first fault's code */
	int msg_line;			/* and its line */
	char msg[700];
};

/* The indexes of code's two letters into by_code; -1 when code is not two
 * capital letters. */
static inline int
peers_code_index(const char *code, int *a, int *b)
{
	if (code == NULL || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' ||
	    code[1] > 'Z')
		return -1;
	*a = code[0] - 'A';
	*b = code[1] - 'A';
	return 0;
}

/* The entry of State code ("BE"), or NULL. */
static inline struct peer_entry *
peers_find(const tr__peers *p, const char *code)
{
	int a, b;

	if (peers_code_index(code, &a, &b) != 0)
		return NULL;
	return p->by_code[a][b];
}

/*
 * Keeps the first fault with its code and the current line, and stops the
 * parse; returns 0, inih's "error on this line" (tracer/net/peers_keys.c).
 */
int tr__peers_fail(struct peers_parse *ps, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Checks and keeps the value v of key in the section being read (ps->cur);
 * 1, or 0 after tr__peers_fail() (tracer/net/peers_keys.c).
 */
int tr__peers_value(struct peers_parse *ps, const char *key, const char *v);

#endif /* TRACER_NET_PEERS_INT_H */
