/*
 * tracectl chain (and submit --follow): the international chain of a
 * request that this State's daemon sent on, asked for until it ends, each
 * hop's signed answer verified and shown.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "registry/cli.h"
#include "client_int.h"
#include "tracectl_int.h"

static void
print_party(const struct proto_party *p)
{
	if (p == NULL) {
		fputs("-", stdout);
		return;
	}
	put_clean(stdout, p->name, 80);
	printf(" (%s, %s", p->kind, p->country);
	if (p->region != NULL) {
		fputs(", ", stdout);
		put_clean(stdout, p->region, 60);
	}
	fputs(")", stdout);
}

/* One hop's answer: its events, and where its chain leads. */
static void
print_answer(const proto_response *resp)
{
	const struct proto_candidate *c;
	size_t i;

	if (resp->n_candidates == 0)
		return;
	c = &resp->candidates[0];
	printf("      weapon: ");
	put_clean(stdout, c->weapon.manufacturer ? c->weapon.manufacturer : "?", 80);
	fputs(" ", stdout);
	put_clean(stdout, c->weapon.model ? c->weapon.model : "", 60);
	fputs(", serial ", stdout);
	put_clean(stdout, c->weapon.serial, 60);
	printf(" (score %.4g)\n", c->score);
	for (i = 0; i < c->n_history; i++) {
		const struct proto_event *e = &c->history[i];

		printf("      %-10s  %-18s ", e->date, e->kind);
		print_party(e->from);
		fputs(" -> ", stdout);
		print_party(e->to);
		if (e->licence != NULL && e->licence->number != NULL) {
			fputs("; licence ", stdout);
			put_clean(stdout, e->licence->number, 60);
		}
		printf("  [log %lld]\n", (long long)e->log_index);
	}
	if (c->diversion != NULL)
		printf("      diversion: %s%s%s\n", c->diversion->finding,
		    c->diversion->date[0] ? " on " : "", c->diversion->date);
	if (c->referral != NULL)
		printf("      referral: exported to %s on %s\n",
		    c->referral->importing_state, c->referral->export_date);
}

/* Asks once for the chain; *doc its verified payload, checked by the codec
 * (free with proto_chain_free()).  -1 to go on, else the exit status. */
static int
ask_chain(struct remote *rm, const char *id, int hold, proto_chain **doc)
{
	struct tr__client_answer ans = { .retry_after = -1 };
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	proto_jws *jws = NULL;
	const uint8_t *p;
	const char *cty;
	char path[96];
	size_t n;
	int rc;

	*doc = NULL;
	if (hold > 0)
		snprintf(path, sizeof(path), "/v1/traces/%s/chain?wait=%d", id, hold);
	else
		snprintf(path, sizeof(path), "/v1/traces/%s/chain", id);
	if (tr__client_get(rm->client, path, &ans, &err) != 0) {
		cli_report(rm->prog, &err);
		return EX_FAIL;
	}
	if ((rc = remote_answer(rm, "GET", &ans, &jws)) >= 0)
		goto out;
	cty = proto_jws_cty(jws);
	p = proto_jws_payload(jws, &n);
	if (cty == NULL || strcmp(cty, PROTO_SCHEMA_CHAIN) != 0 ||
	    proto_chain_parse((const char *)p, n, doc, &perr) != 0 ||
	    strcmp((*doc)->id, id) != 0) {
		fprintf(stderr, "%s: %s's daemon did not answer with the chain of %s "
		    "(trace-chain/1)%s%s\n", rm->prog, rm->state, id,
		    perr.message[0] ? ": " : "", perr.message);
		proto_chain_free(*doc);
		*doc = NULL;
		rc = EX_BADREQ;
	}
out:
	proto_jws_free(jws);
	tr__client_answer_free(&ans);
	return rc;
}

/* Whether two chains have the same hops, each member alike. */
static bool
same_hops(const proto_chain *a, const proto_chain *b)
{
	char *x = NULL, *y = NULL;
	proto_chain ca, cb;
	bool same;

	/* The documents but for when they were assembled. */
	ca = *a;
	cb = *b;
	memcpy(cb.assembled_at, ca.assembled_at, sizeof(ca.assembled_at));
	same = proto_chain_to_json(&ca, &x, NULL) == 0 &&
	    proto_chain_to_json(&cb, &y, NULL) == 0 && strcmp(x, y) == 0;
	proto_free(x);
	proto_free(y);
	return same;
}

/* Checks hop h's answer (the i-th), prints the hop unless --json, and
 * counts what verified; 1 when its answer does not verify. */
static int
show_hop(struct remote *rm, const struct proto_chain_hop *h, size_t i,
    size_t *nsig, size_t *nproofs)
{
	struct tracectl_verified v;
	proto_response *resp = NULL;
	char why[700];
	int vr = -1, bad = 0;

	if (h->response != NULL) {
		vr = tracectl_verify_response(rm->peers, h->response,
		    strlen(h->response), &resp, &v, why, sizeof(why));
		if (vr == EX_OK && (strcmp(resp->id, h->request_id) != 0 ||
		    strcmp(resp->responding_state, h->requested_state) != 0)) {
			snprintf(why, sizeof(why), "the response answers %s of %s, "
			    "not this hop", resp->id, resp->responding_state);
			vr = EX_VERIFY;
		}
		if (vr == EX_OK) {
			(*nsig)++;
			*nproofs += v.proofs;
		} else {
			bad = 1;
		}
	}
	if (!rm->json) {
		printf("%-3d %-5s %-4s %-12s %-16s ", h->hop, h->requested_state,
		    h->via != NULL ? h->via : "-", h->status, h->response_status[0] ?
		    h->response_status : h->refusal != NULL ? h->refusal : "-");
		if (vr == EX_OK)
			printf("signature %s good; %zu proofs good (checkpoint %llu)\n",
			    v.kid, v.proofs, v.checkpoint_size);
		else if (vr >= 0)
			printf("DOES NOT VERIFY: %s\n", why);
		else
			printf("sent %s, due by %s\n", h->sent_at, h->due_by);
		if (h->detail != NULL && h->end[0] == '\0') {
			fputs("      ", stdout);
			put_clean(stdout, h->detail, 600);
			putchar('\n');
		}
		if (vr == EX_OK)
			print_answer(resp);
	} else if (vr >= 0 && vr != EX_OK) {
		fprintf(stderr, "%s: hop %zu (%s): %s\n", rm->prog, i,
		    h->requested_state, why);
	}
	proto_response_free(resp);
	return bad;
}

/* The chain of request id, asked for and shown (tracectl_int.h). */
int
chain_show(struct remote *rm, const char *id, double wait)
{
	proto_chain *doc = NULL, *last = NULL;
	const struct proto_chain_end *end;
	double deadline = cli_now() + wait;
	size_t i, nsig = 0, nproofs = 0;
	int rc, bad = 0, complete;

	for (;;) {
		/* The daemon holds each question until the chain ends, within
		 * what is left of the wait: asked again at once after a change, a
		 * last time when under a second is left, and after a pause when
		 * the same chain came back at once (a daemon that does not hold
		 * questions is not asked in a busy loop). */
		double t0 = cli_now();
		int hold = (int)(deadline - t0);

		if ((rc = ask_chain(rm, id, hold > 30 ? 30 : hold, &doc)) >= 0)
			goto out;
		complete = doc->complete;
		if (complete || hold < 1 || cli_now() >= deadline)
			break;
		if (last != NULL && cli_now() - t0 < 0.2 && same_hops(last, doc))
			pause_for(0.5);
		proto_chain_free(last);
		last = doc;
		doc = NULL;
	}
	end = doc->end;
	if (!rm->json) {
		printf("Chain of request %s, asked by %s: %zu hop%s, ", id,
		    doc->requesting_state, doc->n_hops, doc->n_hops == 1 ? "" : "s");
		if (complete) {
			printf("complete: %s in %s\n", end->reason, end->state);
			if (end->detail != NULL) {
				fputs("  ", stdout);
				put_clean(stdout, end->detail, 600);
				putchar('\n');
			}
		} else {
			puts("not complete");
		}
		printf("%-3s %-5s %-4s %-12s %-16s %s\n", "HOP", "STATE", "VIA",
		    "STATUS", "ANSWER", "CHECKED");
	}
	for (i = 0; i < doc->n_hops; i++)
		bad |= show_hop(rm, &doc->hops[i], i, &nsig, &nproofs);
	if (rm->json) {
		char *out = NULL;

		if (proto_chain_to_json(doc, &out, NULL) == 0)
			puts(out);
		proto_free(out);
	} else {
		printf("signatures: %zu good; inclusion proofs: %zu good%s\n", nsig,
		    nproofs, bad ? "; SOME ANSWERS DO NOT VERIFY" : "");
	}
	rc = bad ? EX_VERIFY : !complete ? EX_TIMEOUT : EX_OK;
	if (fflush(stdout) != 0)
		rc = EX_FAIL;
out:
	proto_chain_free(last);
	proto_chain_free(doc);
	return rc;
}

int
tracectl_chain(int argc, char **argv)
{
	struct remote rm = { .cmd = "chain" };
	int rc;

	if ((rc = remote_parse(&rm, R_CHAIN, argc, argv)) >= 0)
		return rc;
	if (!id_valid(rm.arg))
		return usage_error(&rm, "%s is not a request id (a UUID in lower "
		    "case)", rm.arg);
	if (rm.peers_path == NULL)
		return usage_error(&rm, "the answers are checked with the peers "
		    "directory: --peers FILE or TRACER_PEERS");
	if ((rc = remote_open(&rm, rm.timeout > 0 ? rm.timeout : 30)) < 0)
		rc = chain_show(&rm, rm.arg, rm.timeout);
	remote_close(&rm);
	return rc;
}
