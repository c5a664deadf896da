/*
 * A daemon's answers to tracectl's remote commands: a refusal (a problem
 * document, signed or not) is reported with what to do about it; a
 * success must be a message signed by the daemon's State, verified with
 * tracer/net/verify.c before anything of it is shown, and about the
 * request asked for.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "registry/cli.h"
#include "client_int.h"
#include "tracectl_int.h"

/* What to do about a problem of type name (after "urn:registry:problem:"). */
static const char *
problem_advice(const char *name, const char *method)
{
	static const struct {
		const char *name, *advice;
	} t[] = {
		{ "bad-signature", "the daemon does not accept this signature: check "
		    "--sign-key and --kid, and that the daemon's peers directory has "
		    "this key under this kid" },
		{ "unknown-key", "the daemon's peers directory lacks this kid: ask its "
		    "operators to add this State's key, or sign with a key they have" },
		{ "kid-state-mismatch", "sign with a key of the requesting State, from "
		    "a client certificate of that State" },
		{ "schema-version", "the daemon does not take this document version" },
		{ "invalid-document", "correct the request and submit it again" },
		{ "wrong-state", "the request is for another State: check "
		    "requested_state and --to" },
		{ "conflict", "another request with this id was sent before: give a "
		    "new request a new id" },
		{ "forbidden", "this client's certificate (its subject's C and OU: "
		    "State and role) may not do this" },
		{ "rate-limited", "try again later" },
		{ "timeout", "try again" },
		{ "unavailable", "try again later" },
		{ "internal", "try again later; tell the daemon's operators if it "
		    "lasts" },
		{ "payload-too-large", "the request is too large" },
		{ "unsupported-media-type", "this daemon speaks another protocol "
		    "version" },
		{ "bad-request", "this daemon speaks another protocol version, or "
		    "the url is not a tracing daemon's" },
	};
	size_t i;

	if (strcmp(name, "not-found") == 0)
		return strcmp(method, "POST") == 0 ? "this daemon does not take trace "
		    "requests: check the url, or upgrade its tracerd" : "the daemon "
		    "knows no request with this id: check the id and the State";
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(name, t[i].name) == 0)
			return t[i].advice;
	return NULL;
}

/* Reports a refusal (HTTP status 400 to 599) and returns the exit status. */
static int
report_problem(struct remote *rm, const char *method,
    const struct tr__client_answer *ans)
{
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	proto_problem *p = NULL;
	proto_jws *jws = NULL;
	const char *text = ans->body, *advice, *name;
	size_t len = ans->len;
	int rc = EX_FAIL;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (strcmp(ans->content_type, "application/jose") == 0) {
		if (tr__signed_open(rm->peers, rm->verifier, rm->state, text, len, &jws,
		    &err) != 0) {
			fprintf(stderr, PROG " %s: %s answered %ld with a signed problem "
			    "that does not verify: %s\n", rm->cmd, tr__client_url(rm->client),
			    ans->status, err.message);
			return err.code == REG_EVERIFY ? EX_VERIFY : EX_BADREQ;
		}
		text = (const char *)proto_jws_payload(jws, &len);
	} else if (strcmp(ans->content_type, "application/problem+json") != 0) {
		text = NULL;
	}
	if (text == NULL || proto_problem_parse(text, len, &p, &perr) != 0) {
		fprintf(stderr, PROG " %s: %s answered HTTP %ld (%s) without a problem "
		    "document: ", rm->cmd, tr__client_url(rm->client), ans->status,
		    ans->content_type[0] ? ans->content_type : "no content type");
		put_clean(stderr, ans->body, 200);
		fprintf(stderr, "\n" PROG " %s: check the url; it may not be a tracing "
		    "daemon's\n", rm->cmd);
		goto out;
	}
	fprintf(stderr, PROG " %s: %s's daemon refused (%d ", rm->cmd, rm->state,
	    p->status);
	put_clean(stderr, p->title, 200);
	fputc(')', stderr);
	if (p->detail != NULL) {
		fputs(": ", stderr);
		put_clean(stderr, p->detail, 2000);
	}
	if (p->field != NULL) {
		fputs(" (field ", stderr);
		put_clean(stderr, p->field, 255);
		fputc(')', stderr);
	}
	fputs(" [", stderr);
	put_clean(stderr, p->type, 200);
	fputs("]\n", stderr);
	name = p->type + strlen(PROTO_PROBLEM_URN);
	if ((advice = problem_advice(name, method)) != NULL) {
		fprintf(stderr, PROG " %s: %s", rm->cmd, advice);
		if (ans->retry_after >= 0)
			fprintf(stderr, " (in %ld seconds, says the daemon)",
			    ans->retry_after);
		fputs("\n", stderr);
	}
out:
	proto_problem_free(p);
	proto_jws_free(jws);
	return rc;
}

/* A refusal reported, a success's signature verified (tracectl_int.h). */
int
remote_answer(struct remote *rm, const char *method,
    const struct tr__client_answer *ans, proto_jws **out)
{
	reg_error err = REG_ERROR_INIT;
	size_t len = ans->len;

	*out = NULL;
	if (ans->status >= 400 && ans->status <= 599)
		return report_problem(rm, method, ans);
	if (ans->status < 200 || ans->status > 299) {
		fprintf(stderr, PROG " %s: %s answered HTTP %ld, which this client "
		    "does not expect; check the url\n", rm->cmd,
		    tr__client_url(rm->client), ans->status);
		return EX_FAIL;
	}
	if (strcmp(ans->content_type, "application/jose") != 0) {
		fprintf(stderr, PROG " %s: %s answered %s, not a signed message "
		    "(application/jose); check the url\n", rm->cmd,
		    tr__client_url(rm->client), ans->content_type[0] ?
		    ans->content_type : "with no content type");
		return EX_FAIL;
	}
	while (len > 0 && (ans->body[len - 1] == '\n' || ans->body[len - 1] == '\r'))
		len--;
	if (tr__signed_open(rm->peers, rm->verifier, rm->state, ans->body, len, out,
	    &err) != 0) {
		fprintf(stderr, PROG " %s: the answer of %s's daemon does not verify: "
		    "%s\n", rm->cmd, rm->state, err.message);
		return err.code == REG_EVERIFY ? EX_VERIFY : EX_BADREQ;
	}
	return -1;
}

/* Parses a verified status document and checks that it is about id at
 * rm->state.  Returns -1 to go on, else the exit status. */
int
status_doc(struct remote *rm, const proto_jws *jws, const char *id,
    const char *requested, proto_ack **out)
{
	proto_error perr = PROTO_ERROR_INIT;
	const uint8_t *doc;
	size_t len;

	doc = proto_jws_payload(jws, &len);
	if (proto_ack_parse((const char *)doc, len, out, &perr) != 0) {
		fprintf(stderr, PROG " %s: %s's daemon signed a malformed status "
		    "document: %s\n", rm->cmd, rm->state, perr.message);
		return EX_BADREQ;
	}
	if (strcmp((*out)->request_id, id) != 0 ||
	    strcmp((*out)->requested_state, requested) != 0) {
		fprintf(stderr, PROG " %s: %s's daemon signed the status of request "
		    "%s at %s, not of %s at %s\n", rm->cmd, rm->state,
		    (*out)->request_id, (*out)->requested_state, id, requested);
		return EX_VERIFY;
	}
	return -1;
}

/* Checked with tr__response_check_known() and about id at rm->state
 * (tracectl_int.h). */
int
response_doc(struct remote *rm, const proto_jws *jws, const char *id,
    proto_response **out)
{
	reg_error err = REG_ERROR_INIT;
	int r;

	if ((r = tr__response_check_known(rm->peers, jws, out, NULL, &err)) != 0) {
		if (r == REG_EINVAL)
			fprintf(stderr, PROG " %s: %s's daemon signed a malformed trace "
			    "response: %s\n", rm->cmd, rm->state, err.message);
		else
			fprintf(stderr, PROG " %s: the answer of %s's daemon does not "
			    "verify: %s\n", rm->cmd, rm->state, err.message);
		return r == REG_EINVAL ? EX_BADREQ : r == REG_EVERIFY ? EX_VERIFY :
		    EX_FAIL;
	}
	if (strcmp((*out)->id, id) != 0 ||
	    strcmp((*out)->responding_state, rm->state) != 0) {
		fprintf(stderr, PROG " %s: %s's daemon signed the response to %s of "
		    "%s, not to %s of %s\n", rm->cmd, rm->state, (*out)->id,
		    (*out)->responding_state, id, rm->state);
		return EX_VERIFY;
	}
	return -1;
}
