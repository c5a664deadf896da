/*
 * Requests this State sends (proto/README.md, "Following referrals"):
 *
 *   POST /v1/traces            from this State's investigator or liaison
 *                              office, a request to another State, signed
 *                              with the user's key ([domestic] signing_key):
 *                              stored, acknowledged (202, signed by this
 *                              daemon), then sent on under this State's
 *                              signature (hop 0)
 *   GET  /v1/traces/{id}/chain the international chain: every hop's request,
 *                              acknowledgement and signed answer, in order;
 *                              ?wait=S holds it until the chain ends
 *
 * An outbound worker carries each hop: it sends the request to the State
 * (or to the hub it is reached through), stores the signed acknowledgement,
 * asks for the answer (GET ?wait=poll, again and again), stores the signed
 * answer, and, when the answer refers the weapon to the State it was
 * exported to and the submitter asked for it (follow_referrals) and policy
 * allows ([domestic] follow_referrals, max_hops), writes and stores the next
 * hop's request, linked by parent_id, and carries it in turn.  The chain
 * ends at a last legal holder, a diversion, an answer without a candidate,
 * a refusal, a loop (a State asked twice) or the hop limit, and that end is
 * stored too.  A State that cannot be reached, or answers 429 or 5xx, is
 * tried again with back-off up to [domestic] retry_max seconds apart,
 * forever: a hop is stored before it is first sent, is never lost, and
 * shows as overdue once past its due time.  Open hops are carried on after
 * a restart.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "client_int.h"
#include "tracerd_out_int.h"

#define PUBKEY_FILE_MAX (64 * 1024)

/* ------------------------------------------------------------ keys */

static int
load_public(const char *path, const char *kid, proto_jws_key **out,
    reg_error *err)
{
	proto_error perr = PROTO_ERROR_INIT;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r = 0;

	*out = NULL;
	if ((f = fopen(path, "rb")) == NULL)
		return tr__fail(err, REG_EIO, "[domestic] signing_key %s: cannot read "
		    "%s: %s", kid, path, strerror(errno));
	if ((buf = malloc(PUBKEY_FILE_MAX + 1)) == NULL) {
		fclose(f);
		return tr__fail(err, REG_ENOMEM, "out of memory");
	}
	len = fread(buf, 1, PUBKEY_FILE_MAX + 1, f);
	fclose(f);
	buf[len > PUBKEY_FILE_MAX ? PUBKEY_FILE_MAX : len] = '\0';
	if (len > PUBKEY_FILE_MAX)
		r = tr__fail(err, REG_EINVAL, "[domestic] signing_key %s: %s is not a "
		    "public key file (over 64 KiB)", kid, path);
	else if (strstr(buf, "PRIVATE KEY") != NULL)
		r = tr__fail(err, REG_EINVAL, "[domestic] signing_key %s: %s holds a "
		    "private key; give the user's public key only (openssl pkey "
		    "-pubout)", kid, path);
	else if (proto_jws_key_from_pem(buf, len, kid, out, &perr) != 0)
		r = tr__fail(err, REG_EINVAL, "[domestic] signing_key %s: %s: %s", kid,
		    path, perr.message);
	free(buf);
	return r;
}

int
trd_out_init(struct trd_daemon *d, reg_error *err)
{
	int i;

	for (i = 0; i < d->cf.n_domestic_keys; i++) {
		const struct trd_domestic_key *k = &d->cf.domestic_keys[i];

		if (strncmp(k->kid, d->cf.state, 2) != 0 || k->kid[2] != '/')
			return tr__fail(err, REG_EINVAL, "%s: [domestic] signing_key %s "
			    "must name this State (%s/...)", d->cf.path, k->kid,
			    d->cf.state);
		if (load_public(k->path, k->kid, &d->domestic[i], err) != 0)
			return err->code;
		d->n_domestic = i + 1;
	}
	return 0;
}

/* The certificate (SHA-256, hex) that the domestic key kid belongs to,
 * or NULL. */
const char *
trd_out_domestic_key_cert(const struct trd_daemon *d, const char *kid)
{
	int i;

	for (i = 0; i < d->n_domestic; i++)
		if (strcmp(proto_jws_key_kid(d->domestic[i]), kid) == 0)
			return d->cf.domestic_keys[i].fp;
	return NULL;
}

const proto_jws_key *
trd_out_domestic_key(const struct trd_daemon *d, const char *kid)
{
	int i;

	for (i = 0; i < d->n_domestic; i++)
		if (strcmp(proto_jws_key_kid(d->domestic[i]), kid) == 0)
			return d->domestic[i];
	return NULL;
}

/* ------------------------------------------------------------ stop */

void
trd_out_stop(struct trd_daemon *d)
{
	trd_holds_wake_all(&d->chain_waiters);
	/* Hops waiting for their State's turn stay in the database. */
	trd_gate_stop(d->out_gate);
	/* A worker holding a question for an answer gives it up: the hop is
	 * carried on at the next start. */
	atomic_store(&d->cancel, 1);
	trd_pool_free(d->outbound);
	d->outbound = NULL;
}


void
trd_out_free(struct trd_daemon *d)
{
	int i;

	for (i = 0; i < d->n_domestic; i++)
		proto_jws_key_free(d->domestic[i]);
	d->n_domestic = 0;
	trd_gate_free(d->out_gate);
	d->out_gate = NULL;
}
