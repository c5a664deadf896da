/*
 * The daemon's endpoints in one table: for each method and path, its
 * handler on a State's daemon and on a hub, and who may call it there
 * (proto/README.md 13.3's table of endpoints and callers, kept here and
 * nowhere else; the kinds of caller are tracerd_access.c's).  The dispatch
 * and the access check are both read from it, so that adding an endpoint
 * is one row.  A handler is called with a call its caller may make; what
 * it checks beyond the table depends on the record asked for.
 */
#include "config.h"

#include <string.h>

#include "tracerd_int.h"

/* The handlers of the paths with a request id (c->path_id). */
static void
traces_get(struct trd_call *c)
{
	trd_traces_get(c, c->path_id, 0);
}

static void
traces_status(struct trd_call *c)
{
	trd_traces_get(c, c->path_id, 1);
}

static void
hub_get(struct trd_call *c)
{
	trd_hub_get(c, c->path_id, 0);
}

static void
hub_status(struct trd_call *c)
{
	trd_hub_get(c, c->path_id, 1);
}

static void
chain_get(struct trd_call *c)
{
	trd_out_chain_get(c, c->path_id);
}

#define ANY TRD_K_ANY
#define PEER TRD_K_PEER
#define HUB TRD_K_HUB
#define INV TRD_K_INVESTIGATOR
#define LIAISON TRD_K_LIAISON
#define AUDITOR TRD_K_AUDITOR
#define READ_TRACE "trace requests are read by the State that sent them, " \
	"and by this State's liaison office and auditors"
#define READ_LOG "the audit log is served to the peers directory's States, " \
	"and to this State's liaison office and auditors"
#define TRACE_GET_ONLY "a trace's status answers GET only"
#define LOG_GET_ONLY "the log answers GET only"

/* In order: the first row whose path matches is the call's. */
const struct trd_route trd_routes[] = {
	{ "GET", "/healthz", "/healthz answers GET and HEAD only", 0,
	    trd_health_get, NULL, ANY, ANY, "anyone", 1 },
	{ "GET", "/readyz", "/readyz answers GET and HEAD only", 0,
	    trd_ready_get, NULL, ANY, ANY, "anyone", 1 },
	{ "POST", "/v1/traces", "/v1/traces answers POST only", 0,
	    trd_traces_post, trd_hub_post, PEER | HUB | INV | LIAISON, PEER,
	    "trace requests are sent here by the daemons of the peers "
	    "directory's States and hubs, and by this State's investigators "
	    "and liaison office for another State", 0 },
	{ "GET", "/v1/traces/{id}", TRACE_GET_ONLY, 0, traces_get, hub_get,
	    PEER | HUB | LIAISON | AUDITOR, PEER, READ_TRACE, 0 },
	{ "GET", "/v1/traces/{id}/status", TRACE_GET_ONLY, 0, traces_status,
	    hub_status, PEER | HUB | LIAISON | AUDITOR, PEER, READ_TRACE, 0 },
	{ "GET", "/v1/traces/{id}/chain", TRACE_GET_ONLY, 0, chain_get, NULL,
	    INV | LIAISON | AUDITOR, INV | LIAISON | AUDITOR,
	    "a chain is read by this State's liaison office and auditors, and "
	    "by the user who asked", 0 },
	{ "GET", "/metrics", "/metrics answers GET only", 0, trd_metrics_get,
	    NULL, LIAISON | AUDITOR, LIAISON | AUDITOR,
	    "the metrics are for this State's liaison office and auditors", 0 },
	{ "POST", "/v1/log/cosignature", "/v1/log/cosignature answers POST only",
	    0, trd_log_cosignature_post, NULL, PEER, PEER,
	    "cosignatures come from the daemons of the peers directory's "
	    "States (witnesses)", 0 },
	{ "GET", "/v1/witness", "/v1/witness answers GET only", 0,
	    trd_witness_get, NULL, LIAISON | AUDITOR, LIAISON | AUDITOR,
	    "the witness's status is for this State's liaison office and "
	    "auditors", 0 },
	{ "GET", "/v1/log/checkpoint", LOG_GET_ONLY, 1, trd_log_checkpoint,
	    NULL, PEER | LIAISON | AUDITOR, PEER | LIAISON | AUDITOR, READ_LOG,
	    0 },
	{ "GET", "/v1/log/proof/inclusion", LOG_GET_ONLY, 1, trd_log_inclusion,
	    NULL, PEER | LIAISON | AUDITOR, PEER | LIAISON | AUDITOR, READ_LOG,
	    0 },
	{ "GET", "/v1/log/proof/consistency", LOG_GET_ONLY, 1,
	    trd_log_consistency, NULL, PEER | LIAISON | AUDITOR,
	    PEER | LIAISON | AUDITOR, READ_LOG, 0 },
	/* Any other path of the log: no handler, so not found. */
	{ "GET", "/v1/log/*", LOG_GET_ONLY, 1, NULL, NULL, 0, 0, NULL, 0 },
};
const size_t trd_routes_n = sizeof(trd_routes) / sizeof(trd_routes[0]);

/* Whether path is pattern's: "{id}" stands for 36 characters of a UUID's
 * alphabet (the store checks it is a UUID), copied to id; a final "*" for
 * any rest. */
static int
path_is(const char *pattern, const char *path, char id[37])
{
	const char *brace = strstr(pattern, "{id}");
	size_t n = brace != NULL ? (size_t)(brace - pattern) : strlen(pattern);

	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, path, n - 1) == 0;
	if (strncmp(pattern, path, n) != 0)
		return 0;
	if (brace == NULL)
		return path[n] == '\0';
	path += n;
	if (strspn(path, "0123456789abcdefABCDEF-") != 36 ||
	    strcmp(path + 36, brace + 4) != 0)
		return 0;
	memcpy(id, path, 36);
	id[36] = '\0';
	return 1;
}

const struct trd_route *
trd_route_find(const char *path, char id[37])
{
	for (size_t i = 0; i < trd_routes_n; i++)
		if (path_is(trd_routes[i].path, path, id))
			return &trd_routes[i];
	return NULL;
}

int
trd_route_method_ok(const struct trd_route *r, const char *method)
{
	if (strcmp(r->method, "GET") == 0)
		return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	return strcmp(method, r->method) == 0;
}

trd_handler_fn
trd_route_handler(const struct trd_route *r, int hub)
{
	return hub && r->hub_fn != NULL ? r->hub_fn : r->state_fn;
}

int
trd_route_allows(const struct trd_route *r, int hub, unsigned kind)
{
	return ((hub ? r->hub : r->state) & kind) != 0;
}

void
trd_route_call(struct trd_call *c, const struct trd_route *r)
{
	trd_handler_fn fn;

	if (r == NULL) {
		trd_problem(c, "not-found", "no such path", NULL);
		return;
	}
	if (!trd_route_method_ok(r, c->method)) {
		/* A family's refusal leaves the route unnamed. */
		if (!r->family)
			c->route = r->path;
		trd_problem(c, "bad-request", r->refusal, NULL);
		return;
	}
	if ((fn = trd_route_handler(r, c->d->cf.hub)) == NULL) {
		trd_problem(c, "not-found", "no such path", NULL);
		return;
	}
	c->route = r->path;
	if (!trd_route_allows(r, c->d->cf.hub, trd_caller_kind(c))) {
		trd_problem(c, "forbidden", r->who, NULL);
		return;
	}
	fn(c);
}
