/* What the files of tracerd's outbound requests (tracerd_out*.c) share;
 * never installed. */
#ifndef TRACER_TRACERD_OUT_INT_H
#define TRACER_TRACERD_OUT_INT_H


#if !defined(REG_PART_TRACER) && !defined(REG_WHITEBOX)
#error "tracerd_out_int.h is internal to tracer/: other parts include its public header (issue 18, tests/layout.sh)"
#endif
#include "tracerd_int.h"

/* N_DEFER: the hop's State is not the one whose call this job may make
 * (trd_gate): it goes back to wait for a call to its State. */
enum next { N_DONE, N_AGAIN, N_LATER, N_CHILD, N_DEFER };
#define HOP_STEPS_MAX 8		/* steps one job takes in a row */

struct hop_job {
	struct trd_daemon *d;
	struct trd_peers_ref *peers;
	char id[37];
	char root[37];
	int attempt;			/* failures in a row */
	char gate[3];			/* the State whose call it may make
					 * (d->out_gate entered), or "" */
	char dest[3];			/* the State of the hop last read */
	char child_dest[3];		/* N_CHILD: the next hop's State */
	int net;			/* the last call: 1 answered, -1 no
					 * connection or no answer, 0 none */
	/* the job's result */
	enum next next;
	int delay;			/* N_LATER: seconds */
	int changed;			/* something was stored */
	char child[37];
	char outcome[48];		/* for the log and metrics */
	char error[512];
	/* The hop as this job last read or changed it, for its next step:
	 * a step that stored its progress sets it here rather than reading
	 * the hop back (NULL: read it). */
	struct reg_hop *h;
	int reread;			/* h is not to be trusted: read it */
	struct reg_hop *seed;		/* N_CHILD: the hop just added, as added */
	proto_response *resp;		/* h's answer as the last step parsed it */
	/* Steps that made progress and were followed by the next one in the
	 * same job (hop_job), for the log and metrics. */
	int nsteps;
	struct {
		char id[37];
		char outcome[48];
	} steps[HOP_STEPS_MAX];
};

/* The domestic key kid (tracerd_out.c), or NULL; the certificate (SHA-256,
 * hex) it belongs to, or NULL. */
const proto_jws_key *trd_out_domestic_key(const struct trd_daemon *d,
    const char *kid);
const char *trd_out_domestic_key_cert(const struct trd_daemon *d,
    const char *kid);

/* A hop's job on an outbound worker, and the worker's clients freed
 * (tracerd_out_hop.c). */
void trd_out_hop_job(struct trd_worker *w, void *arg);
void trd_out_slot_free(void *slot);
/* The hop in as stored, for its first step (NULL without memory). */
struct reg_hop *trd_out_hop_seed(const struct reg_hop_in *in, const char *root);
/* The due time of a hop's answer to state, of priority. */
void trd_out_hop_due(const struct trd_config *cf, const char *state,
    const char *priority, char out[32]);

/* Starts hop id's job (tracerd_out_queue.c): attempt failures in a row;
 * seed (taken) the hop as stored, or NULL to read it; dest its State, or
 * NULL. */
void trd_out_hop_start(struct trd_daemon *d, const char *id, int attempt,
    struct reg_hop *seed, const char *dest);

/* The GETs held for the chain of root read again (tracerd_out_chain.c). */
void trd_out_chain_wake(struct trd_daemon *d, const char *root);

#endif
