/*
 * The generated trace corpus (tests/gen_corpus.py): loading it into a
 * registry through libregistry, reading its requests with their ground
 * truth, and scoring the engine's answers by kind of damage.  Shared by
 * tests/tracer/check_corpus.c and tests/bench/bench_trace.c.
 */
#ifndef TESTS_CORPUS_H
#define TESTS_CORPUS_H

#include <stddef.h>

#include "registry/registry.h"
#include "proto/proto.h"
#include "tracer/tracer.h"

/* Runs the generator into dir (created); 0 or -1 with msg. */
int corpus_generate(const char *dir, unsigned seed, long start, long weapons,
    int requests, char *msg, size_t msglen);

/*
 * Loads dir's setup.tsv (manufacturers with aliases, parties: private
 * persons sealed with kr), weapons.csv and events.csv (reg_import_csv) and
 * markings.tsv into the registry.  Records already there are skipped, so
 * a grown corpus loads on top of the first part.  Any rejected row fails.
 * progress: show rows and rate on stderr.
 */
int corpus_load(reg_ctx *ctx, const reg_pii_keyring *kr, const char *dir,
    int progress, char *msg, size_t msglen);

struct corpus_request {
	char damage[32];
	char truth[32];			/* the weapon's office_ref */
	char truth_id[REG_UUID_STR];	/* its id in the registry */
	int ambiguous;			/* another weapon fits as well */
	int misleading;			/* another weapon fits better */
	proto_request *req;
};

/* Reads dir's requests.jsonl and finds each truth's id in the registry. */
int corpus_requests(reg_ctx *ctx, const char *dir, struct corpus_request **out,
    size_t *n, char *msg, size_t msglen);
void corpus_requests_free(struct corpus_request *r, size_t n);

/* Accuracy of the engine's answers for one kind of damage. */
struct corpus_score {
	char damage[32];
	int n;				/* requests */
	int resolvable;			/* neither ambiguous nor misleading */
	int top1, top5;			/* of the resolvable */
	int found, wrong_found;		/* status found; of a wrong weapon */
	int ambiguous;			/* labelled ambiguous */
	int ambiguous_ok;		/* ... answered ambiguous, the truth listed */
	int ambiguous_wrong_found;	/* ... answered found with another weapon */
	int misleading;
};

/* Adds one answer to the score of its damage kind (scores grows; *n kinds). */
int corpus_score_add(struct corpus_score **scores, size_t *n,
    const struct corpus_request *r, const proto_response *resp);
/* Prints a request whose answer misses its truth, or claims certainty
 * where another weapon fits as well, with the candidates answered. */
void corpus_explain(const struct corpus_request *r, const proto_response *resp);
/* Prints the table of scores. */
void corpus_score_print(const struct corpus_score *s, size_t n);

/* Whether a damage kind damages one or two characters of the serial. */
int corpus_damage_is_chars(const char *damage);

#endif
