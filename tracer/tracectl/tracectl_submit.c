/*
 * tracectl submit, status and wait: "submit" signs a trace request and
 * sends it, "status" asks where a sent request stands, and "wait" asks
 * until its answer comes.  Every signed answer is verified with a key of
 * the daemon's State before anything of it is shown, and an
 * acknowledgement must name the request exactly as sent.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/cli.h"
#include "client_int.h"
#include "tracectl_int.h"

/* Whether the request in file may go to rm's daemon, signed with rm's
 * kid.  Returns -1 to go on, else the exit status. */
static int
submit_check(const struct remote *rm, const proto_request *req,
    const char *file)
{
	/* To the requested State's daemon, or to the requesting State's own,
	 * which sends it on (and follows referrals if the request asks). */
	if (strcmp(req->requested_state, rm->state) != 0 &&
	    strcmp(req->requesting_state, rm->state) != 0) {
		fprintf(stderr, PROG " submit: %s: the request is for %s "
		    "(requested_state), not for %s; send it to %s, or to %s's own "
		    "daemon, or correct its requested_state\n", file,
		    req->requested_state, rm->state, req->requested_state,
		    req->requesting_state);
		return EX_USAGE;
	}
	if (rm->follow > 0 && strcmp(req->requesting_state, rm->state) != 0) {
		fprintf(stderr, PROG " submit: %s: --follow follows the chain that "
		    "%s's own daemon sends on, and this goes straight to %s; wait for "
		    "its answer with " PROG " wait, or send the request to %s's daemon\n",
		    file, req->requesting_state, rm->state, req->requesting_state);
		return EX_USAGE;
	}
	if (strncmp(rm->kid, req->requesting_state, 2) != 0 || rm->kid[2] != '/') {
		fprintf(stderr, PROG " submit: --kid %s is not a key of %s, the "
		    "requesting State; sign with a kid of %s (%s/...)\n", rm->kid,
		    req->requesting_state, req->requesting_state, req->requesting_state);
		return EX_USAGE;
	}
	return -1;
}

int
tracectl_submit(int argc, char **argv)
{
	struct remote rm = { .cmd = "submit" };
	struct tr__client_answer ans = { .retry_after = -1 };
	proto_error perr = PROTO_ERROR_INIT;
	reg_error err = REG_ERROR_INIT;
	proto_request *req = NULL;
	proto_ack *ack = NULL;
	proto_jws *jws = NULL;
	const char *file, *cty;
	char *canon = NULL, *sent = NULL;
	size_t len = 0;
	int rc;

	if ((rc = remote_parse(&rm, R_SIGN, argc, argv)) >= 0)
		return rc;
	if ((rc = tracectl_read_request(rm.prog, rm.arg, &req, &file)) >= 0)
		goto out;
	if ((rc = submit_check(&rm, req, file)) >= 0)
		goto out;
	if ((rc = remote_open(&rm, rm.follow > 0 ? rm.follow + 5 : 0)) >= 0)
		goto out;
	rc = EX_FAIL;
	/* Signed in canonical form (proto/README.md, section 12). */
	if (proto_request_to_json(req, &canon, &perr) != 0 ||
	    proto_jws_sign(rm.signer, PROTO_SCHEMA_REQUEST, canon, strlen(canon),
	    &sent, &perr) != 0) {
		fprintf(stderr, PROG " submit: cannot sign the request: %s\n",
		    perr.message);
		goto out;
	}
	if (tr__client_post(rm.client, "/v1/traces", "application/jose", sent,
	    strlen(sent), &ans, &err) != 0) {
		cli_report(PROG " submit", &err);
		goto out;
	}
	if ((rc = remote_answer(&rm, "POST", &ans, &jws)) >= 0)
		goto out;
	cty = proto_jws_cty(jws);
	if (cty == NULL || strcmp(cty, PROTO_SCHEMA_ACK) != 0) {
		fprintf(stderr, PROG " submit: %s's daemon answered with a signed %s, "
		    "not an acknowledgement (" PROTO_SCHEMA_ACK ")\n", rm.state,
		    cty ? cty : "message of no type");
		rc = EX_FAIL;
		goto out;
	}
	if ((rc = status_doc(&rm, jws, req->id, req->requested_state, &ack)) >= 0)
		goto out;
	if (tr__ack_check(ack, req, sent, &err) != 0) {
		cli_report(PROG " submit", &err);
		rc = EX_VERIFY;
		goto out;
	}
	if (rm.json) {
		const uint8_t *p = proto_jws_payload(jws, &len);

		print_json(p, len, 0);
	} else {
		print_ack(rm.state, ack);
	}
	rc = fflush(stdout) == 0 ? EX_OK : EX_FAIL;
	/* The chain, on the same connection (the codec takes ids in lower
	 * case only, as the daemon writes them). */
	if (rc == EX_OK && rm.follow > 0)
		rc = chain_show(&rm, req->id, rm.follow);
out:
	proto_ack_free(ack);
	proto_jws_free(jws);
	tr__client_answer_free(&ans);
	proto_free(sent);
	proto_free(canon);
	proto_request_free(req);
	remote_close(&rm);
	return rc;
}

/*
 * Asks for /v1/traces/ID once: *ack or *resp is set (the other NULL), *jws
 * is the verified message and, when raw is not NULL, *raw its text (to
 * free()).  Returns -1 to go on, else the exit status.  For wait, a
 * refusal that says to retry (429, 503) leaves them all NULL and sets
 * *retry to the seconds the daemon asks for (0 when it does not say).
 */
static int
ask(struct remote *rm, const char *id, int hold, proto_jws **jws, proto_ack **ack,
    proto_response **resp, char **raw, double *retry)
{
	struct tr__client_answer ans = { .retry_after = -1 };
	reg_error err = REG_ERROR_INIT;
	const char *cty;
	char path[64];
	int rc;

	*jws = NULL;
	*ack = NULL;
	*resp = NULL;
	*retry = -1;
	if (raw != NULL)
		*raw = NULL;
	/* hold: seconds the daemon may hold the question for the answer
	 * (proto/README.md 13.3.2). */
	if (hold > 0)
		snprintf(path, sizeof(path), "/v1/traces/%s?wait=%d", id, hold);
	else
		snprintf(path, sizeof(path), "/v1/traces/%s", id);
	if (tr__client_get(rm->client, path, &ans, &err) != 0) {
		cli_report(rm->prog, &err);
		return EX_FAIL;
	}
	if ((ans.status == 429 || ans.status == 503) &&
	    strcmp(rm->cmd, "wait") == 0) {
		*retry = ans.retry_after > 0 ? (double)ans.retry_after : 0;
		tr__client_answer_free(&ans);
		return -1;
	}
	if ((rc = remote_answer(rm, "GET", &ans, jws)) >= 0)
		goto out;
	cty = proto_jws_cty(*jws);
	if (cty != NULL && strcmp(cty, PROTO_SCHEMA_ACK) == 0)
		rc = status_doc(rm, *jws, id, rm->state, ack);
	else if (cty != NULL && strcmp(cty, PROTO_SCHEMA_RESPONSE) == 0)
		rc = response_doc(rm, *jws, id, resp);
	else {
		fprintf(stderr, PROG " %s: %s's daemon answered with a signed %s, "
		    "neither a status (" PROTO_SCHEMA_ACK ") nor a response ("
		    PROTO_SCHEMA_RESPONSE ")\n", rm->cmd, rm->state,
		    cty ? cty : "message of no type");
		rc = EX_FAIL;
	}
	if (rc < 0 && raw != NULL) {
		/* The message as the daemon signed it, without the new line. */
		while (ans.len > 0 && (ans.body[ans.len - 1] == '\n' ||
		    ans.body[ans.len - 1] == '\r'))
			ans.body[--ans.len] = '\0';
		*raw = ans.body;
		ans.body = NULL;	/* transferred */
	}
out:
	tr__client_answer_free(&ans);
	if (rc >= 0) {
		proto_jws_free(*jws);
		proto_ack_free(*ack);
		proto_response_free(*resp);
		*jws = NULL;
		*ack = NULL;
		*resp = NULL;
	}
	return rc;
}

int
tracectl_status(int argc, char **argv)
{
	struct remote rm = { .cmd = "status" };
	proto_response *resp = NULL;
	proto_ack *ack = NULL;
	proto_jws *jws = NULL;
	const uint8_t *doc;
	double retry;
	size_t len;
	int rc;

	if ((rc = remote_parse(&rm, 0, argc, argv)) >= 0)
		return rc;
	if (!id_valid(rm.arg))
		return usage_error(&rm, "%s is not a request id (a UUID in lower "
		    "case)", rm.arg);
	if ((rc = remote_open(&rm, 0)) >= 0 ||
	    (rc = ask(&rm, rm.arg, 0, &jws, &ack, &resp, NULL, &retry)) >= 0)
		goto out;
	if (rm.json) {
		doc = proto_jws_payload(jws, &len);
		print_json(doc, len, 0);
	} else if (ack != NULL) {
		print_ack(rm.state, ack);
	} else {
		printf("request %s: answered by %s at %s: %s, %zu candidate%s\n",
		    resp->id, resp->responding_state, resp->responded_at, resp->status,
		    resp->n_candidates, resp->n_candidates == 1 ? "" : "s");
		printf("  " PROG " wait --to %s --save FILE %s keeps the signed "
		    "answer\n", rm.state, resp->id);
	}
	rc = fflush(stdout) == 0 ? EX_OK : EX_FAIL;
out:
	proto_response_free(resp);
	proto_ack_free(ack);
	proto_jws_free(jws);
	remote_close(&rm);
	return rc;
}

/* Writes the signed response to path, whole or not at all. */
static int
save(const char *path, const char *jws, size_t len)
{
	char tmp[4096];
	FILE *f;
	int r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		fprintf(stderr, PROG " wait: --save %s: the name is too long\n", path);
		return -1;
	}
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, PROG " wait: cannot write %s: %s\n", tmp,
		    strerror(errno));
		return -1;
	}
	fwrite(jws, 1, len, f);
	fputc('\n', f);
	r = ferror(f);
	if (fclose(f) != 0 || r != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, PROG " wait: cannot write %s: %s\n", path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
tracectl_wait(int argc, char **argv)
{
	struct remote rm = { .cmd = "wait" };
	proto_response *resp = NULL;
	proto_ack *ack = NULL;
	proto_jws *jws = NULL;
	char last[PROTO_ENUM_MAX + 1] = "", *raw = NULL;
	const uint8_t *doc;
	double deadline, retry, step;
	int rc, tty = isatty(STDERR_FILENO);
	size_t len;

	if ((rc = remote_parse(&rm, R_WAIT, argc, argv)) >= 0)
		return rc;
	if (!id_valid(rm.arg))
		return usage_error(&rm, "%s is not a request id (a UUID in lower "
		    "case)", rm.arg);
	if ((rc = remote_open(&rm, rm.timeout)) >= 0)
		goto out;
	deadline = cli_now() + rm.timeout;
	for (;;) {
		/* The daemon holds each question for the answer, within what
		 * is left of --timeout (the transfer's own limit is --timeout
		 * and a second). */
		int hold = (int)(deadline - cli_now() - 1);

		if ((rc = ask(&rm, rm.arg, hold > 30 ? 30 : hold, &jws, &ack, &resp,
		    &raw, &retry)) >= 0)
			goto out;
		if (resp != NULL)
			break;
		free(raw);
		raw = NULL;
		step = rm.interval;
		if (ack != NULL) {
			if (tty && strcmp(last, ack->status) != 0)
				fprintf(stderr, PROG " wait: %s at %s: %s (due by %s)\n",
				    rm.arg, rm.state, ack->status, ack->due_by);
			snprintf(last, sizeof(last), "%s", ack->status);
		} else if (retry > step) {
			step = retry;
		}
		proto_ack_free(ack);
		proto_jws_free(jws);
		ack = NULL;
		jws = NULL;
		if (cli_now() + step > deadline) {
			fprintf(stderr, PROG " wait: no answer to %s from %s within %g "
			    "seconds%s%s%s; wait again later, or ask with " PROG
			    " status\n", rm.arg, rm.state, rm.timeout,
			    last[0] ? " (last status: " : "", last, last[0] ? ")" : "");
			rc = EX_TIMEOUT;
			goto out;
		}
		pause_for(step);
	}
	doc = proto_jws_payload(jws, &len);
	rc = EX_FAIL;
	if (rm.save != NULL && save(rm.save, raw, strlen(raw)) != 0)
		goto out;
	if (print_json(doc, len, rm.pretty) != 0) {
		fprintf(stderr, PROG " wait: out of memory\n");
		goto out;
	}
	rc = fflush(stdout) == 0 ? EX_OK : EX_FAIL;
out:
	free(raw);
	proto_response_free(resp);
	proto_ack_free(ack);
	proto_jws_free(jws);
	remote_close(&rm);
	return rc;
}
