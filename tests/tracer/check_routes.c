/*
 * tracerd's route table (tracer/tracerd/tracerd_routes.c): every row is
 * whole (a method, a path, a refusal, a handler and callers), reachable
 * (no row before it takes its path), and paths match as the endpoints
 * expect ({id} 36 characters of a UUID's alphabet, a family's "*").  Then
 * calls dispatched through the table on a daemon with no database and no
 * connection, their answers read back from the metrics the answer counts
 * (endpoint and status): a wrong method refused 400 (a family's leaving the
 * route unnamed), an unknown path 404, a caller the row does not let in
 * 403, and a call it does let in reaching its handler (GET /healthz, 200).
 * The wire, with every route against every caller, is
 * tests/tracer/tracerd_access.sh's.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>

#include "tracerd_int.h"

#define UUID "0190f1a2-7b3c-7d4e-8f60-123456789abc"

/* The path of row r with its {id} a UUID, and a final "*" some rest. */
static void
sample_path(const struct trd_route *r, char *out, size_t len)
{
	const char *brace = strstr(r->path, "{id}");
	size_t n = strlen(r->path);

	if (brace != NULL)
		snprintf(out, len, "%.*s%s%s", (int)(brace - r->path), r->path,
		    UUID, brace + 4);
	else if (n > 0 && r->path[n - 1] == '*')
		snprintf(out, len, "%.*sunknown", (int)(n - 1), r->path);
	else
		snprintf(out, len, "%s", r->path);
}

START_TEST(rows_whole)
{
	ck_assert_uint_gt(trd_routes_n, 10);
	for (size_t i = 0; i < trd_routes_n; i++) {
		const struct trd_route *r = &trd_routes[i];
		int family_rest = r->path[strlen(r->path) - 1] == '*';

		ck_assert_msg(strcmp(r->method, "GET") == 0 ||
		    strcmp(r->method, "POST") == 0, "%s: method %s", r->path,
		    r->method);
		ck_assert_msg(r->path[0] == '/', "%s", r->path);
		ck_assert_msg(r->refusal != NULL && r->refusal[0] != '\0', "%s",
		    r->path);
		if (family_rest) {
			/* The rest of a family: no handler, nobody. */
			ck_assert_msg(r->state_fn == NULL && r->hub_fn == NULL &&
			    r->family, "%s", r->path);
			continue;
		}
		ck_assert_msg(r->state_fn != NULL, "%s has no handler", r->path);
		ck_assert_msg(r->state != 0 && r->hub != 0, "%s has no callers",
		    r->path);
		ck_assert_msg((r->state | r->hub) <= TRD_K_ANY, "%s", r->path);
		ck_assert_msg(r->who != NULL && r->who[0] != '\0', "%s", r->path);
		for (size_t k = 0; k < i; k++)
			ck_assert_msg(strcmp(trd_routes[k].path, r->path) != 0,
			    "%s twice", r->path);
	}
}
END_TEST

START_TEST(rows_reachable)
{
	char path[256], id[37];

	for (size_t i = 0; i < trd_routes_n; i++) {
		sample_path(&trd_routes[i], path, sizeof(path));
		memset(id, 0, sizeof(id));
		ck_assert_msg(trd_route_find(path, id) == &trd_routes[i],
		    "%s is taken by another row", path);
		if (strstr(trd_routes[i].path, "{id}") != NULL)
			ck_assert_str_eq(id, UUID);
	}
}
END_TEST

/* Paths and the route they take (NULL: none). */
static const struct {
	const char *path;
	const char *route;
} paths[] = {
	{ "/healthz", "/healthz" },
	{ "/healthz/", NULL },
	{ "/healthzz", NULL },
	{ "", NULL },
	{ "/", NULL },
	{ "/v1/traces", "/v1/traces" },
	{ "/v1/traces/", NULL },
	{ "/v1/traces/" UUID, "/v1/traces/{id}" },
	{ "/v1/traces/0190F1A2-7B3C-7D4E-8F60-123456789ABC/status",
	    "/v1/traces/{id}/status" },
	{ "/v1/traces/" UUID "/chain", "/v1/traces/{id}/chain" },
	{ "/v1/traces/" UUID "/chains", NULL },
	{ "/v1/traces/" UUID "/", NULL },
	{ "/v1/traces/" UUID "0", NULL },
	{ "/v1/traces/0190f1a2-7b3c-7d4e-8f60-123456789ab", NULL },
	{ "/v1/traces/0190f1a2-7b3c-7d4e-8f60-123456789abg", NULL },
	{ "/v1/log/checkpoint", "/v1/log/checkpoint" },
	{ "/v1/log/checkpoint/", "/v1/log/*" },
	{ "/v1/log/", "/v1/log/*" },
	{ "/v1/log", NULL },
	{ "/v1/log/cosignature", "/v1/log/cosignature" },
	{ "/v1/log/proof/inclusion", "/v1/log/proof/inclusion" },
	{ "/v1/witness", "/v1/witness" },
	{ "/metrics", "/metrics" },
	{ "/METRICS", NULL },
};

START_TEST(paths_match)
{
	const struct trd_route *r;
	char id[37];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		r = trd_route_find(paths[i].path, id);
		if (paths[i].route == NULL)
			ck_assert_msg(r == NULL, "%s took %s", paths[i].path,
			    r ? r->path : "");
		else
			ck_assert_msg(r != NULL && strcmp(r->path,
			    paths[i].route) == 0, "%s took %s, not %s",
			    paths[i].path, r ? r->path : "none", paths[i].route);
	}
}
END_TEST

START_TEST(methods_and_handlers)
{
	char id[37];
	const struct trd_route *get = trd_route_find("/metrics", id);
	const struct trd_route *post = trd_route_find("/v1/traces", id);
	const struct trd_route *chain = trd_route_find("/v1/traces/" UUID
	    "/chain", id);

	ck_assert_ptr_nonnull(get);
	ck_assert_ptr_nonnull(post);
	ck_assert_ptr_nonnull(chain);
	ck_assert(trd_route_method_ok(get, "GET"));
	ck_assert(trd_route_method_ok(get, "HEAD"));
	ck_assert(!trd_route_method_ok(get, "POST"));
	ck_assert(!trd_route_method_ok(get, "OTHER"));
	ck_assert(trd_route_method_ok(post, "POST"));
	ck_assert(!trd_route_method_ok(post, "GET"));
	ck_assert(!trd_route_method_ok(post, "HEAD"));
	ck_assert(!trd_route_method_ok(post, "PUT"));
	/* A hub relays trace requests; a State's daemon takes them. */
	ck_assert(trd_route_handler(post, 0) == trd_traces_post);
	ck_assert(trd_route_handler(post, 1) == trd_hub_post);
	ck_assert(trd_route_handler(get, 0) == trd_metrics_get);
	ck_assert(trd_route_handler(get, 1) == trd_metrics_get);
	ck_assert(trd_route_handler(chain, 1) == trd_route_handler(chain, 0));
}
END_TEST

/* Who may call what, as proto/README.md 13.3 says it in words: anyone
 * the health checks; a stranger and a clerk nothing else; a hub takes
 * trace requests from peers only; a State's daemon from peers, hubs,
 * investigators and its liaison office. */
START_TEST(access_rules)
{
	char id[37];
	const struct trd_route *post = trd_route_find("/v1/traces", id);
	const unsigned kinds[] = { TRD_K_PEER, TRD_K_HUB, TRD_K_INVESTIGATOR,
	    TRD_K_CLERK, TRD_K_LIAISON, TRD_K_AUDITOR, TRD_K_STRANGER };

	for (size_t i = 0; i < trd_routes_n; i++) {
		const struct trd_route *r = &trd_routes[i];
		int health = strcmp(r->path, "/healthz") == 0 ||
		    strcmp(r->path, "/readyz") == 0;

		if (r->state_fn == NULL)
			continue;
		for (int hub = 0; hub < 2; hub++) {
			for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
				if (health)
					ck_assert_msg(trd_route_allows(r, hub, kinds[k]),
					    "%s refuses kind %u", r->path, kinds[k]);
			ck_assert_msg(trd_route_allows(r, hub, TRD_K_STRANGER) ==
			    health, "%s and a stranger", r->path);
			ck_assert_msg(trd_route_allows(r, hub, TRD_K_CLERK) ==
			    health, "%s and a clerk", r->path);
			ck_assert_msg(!trd_route_allows(r, hub, 0), "%s", r->path);
		}
	}
	ck_assert(trd_route_allows(post, 1, TRD_K_PEER));
	ck_assert(!trd_route_allows(post, 1, TRD_K_HUB));
	ck_assert(!trd_route_allows(post, 1, TRD_K_INVESTIGATOR));
	ck_assert(!trd_route_allows(post, 1, TRD_K_LIAISON));
	ck_assert(trd_route_allows(post, 0, TRD_K_PEER));
	ck_assert(trd_route_allows(post, 0, TRD_K_HUB));
	ck_assert(trd_route_allows(post, 0, TRD_K_INVESTIGATOR));
	ck_assert(trd_route_allows(post, 0, TRD_K_LIAISON));
	ck_assert(!trd_route_allows(post, 0, TRD_K_AUDITOR));
}
END_TEST

/* ------------------------------------------------------------ dispatch */

static struct trd_daemon d;

static void
daemon_setup(void)
{
	reg_error err = REG_ERROR_INIT;
	proto_error perr = PROTO_ERROR_INIT;
	uint8_t seed[32];

	memset(&d, 0, sizeof(d));
	memset(seed, 7, sizeof(seed));
	snprintf(d.cf.state, sizeof(d.cf.state), "BE");
	ck_assert_msg(tr__metrics_new(&d.metrics, &err) == 0, "%s", err.message);
	ck_assert_msg(proto_jws_key_from_seed(seed, "BE/test", &d.signing,
	    &perr) == 0, "%s", perr.message);
}

static void
daemon_teardown(void)
{
	tr__metrics_free(d.metrics);
	proto_jws_key_free(d.signing);
}

/* Dispatches method path from state's role through the table, as
 * tracerd_listen.c does after the rate limit. */
static void
dispatch(const char *method, const char *path, const char *state,
    const char *role)
{
	struct trd_call *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	c->d = &d;
	ck_assert_ptr_nonnull(c->req = evhttp_request_new(NULL, NULL));
	c->method = method;
	c->route = "other";
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->id.state, sizeof(c->id.state), "%s", state);
	snprintf(c->id.role, sizeof(c->id.role), "%s", role);
	snprintf(c->id.fp, sizeof(c->id.fp), "%064d", 0);
	c->identified = 1;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	d.in_flight++;
	trd_route_call(c, trd_route_find(path, c->path_id));
}

/* How many answers of status the metrics counted for endpoint. */
static long
answered(const char *endpoint, int status)
{
	reg_error err = REG_ERROR_INIT;
	char *text = NULL, want[200];
	const char *p;
	size_t len;
	long n = 0;

	ck_assert_msg(tr__metrics_render(d.metrics, &text, &len, &err) == 0, "%s",
	    err.message);
	snprintf(want, sizeof(want), "tracerd_requests_total{endpoint=\"%s\","
	    "status=\"%d\"} ", endpoint, status);
	if ((p = strstr(text, want)) != NULL)
		n = strtol(p + strlen(want), NULL, 10);
	free(text);
	return n;
}

/* Calls and how the table answers them: {method, path, State, role,
 * route counted, status}. */
static const struct {
	const char *method, *path, *state, *role, *route;
	int status;
} calls[] = {
	{ "GET", "/nowhere", "BE", "auditor", "other", 404 },
	{ "GET", "/v1/log/nothing", "BE", "auditor", "other", 404 },
	{ "POST", "/v1/log/nothing", "BE", "auditor", "other", 400 },
	/* A log path with a wrong method: the family's refusal, unnamed. */
	{ "POST", "/v1/log/checkpoint", "BE", "auditor", "other", 400 },
	{ "PUT", "/v1/log/proof/inclusion", "BE", "auditor", "other", 400 },
	{ "POST", "/metrics", "BE", "auditor", "/metrics", 400 },
	{ "OTHER", "/healthz", "BE", "clerk", "/healthz", 400 },
	{ "GET", "/v1/traces", "BE", "investigator", "/v1/traces", 400 },
	{ "DELETE", "/v1/traces/" UUID, "BE", "liaison", "/v1/traces/{id}", 400 },
	{ "HEAD", "/v1/log/cosignature", "FR", "peer", "/v1/log/cosignature", 400 },
	/* Callers the rows do not let in. */
	{ "GET", "/metrics", "BE", "clerk", "/metrics", 403 },
	{ "GET", "/metrics", "FR", "auditor", "/metrics", 403 },
	{ "GET", "/v1/witness", "BE", "investigator", "/v1/witness", 403 },
	{ "GET", "/v1/traces/" UUID "/chain", "BE", "clerk",
	    "/v1/traces/{id}/chain", 403 },
	/* No peers directory: a peer is a stranger. */
	{ "POST", "/v1/traces", "FR", "peer", "/v1/traces", 403 },
	{ "GET", "/v1/log/checkpoint", "FR", "peer", "/v1/log/checkpoint", 403 },
	{ "POST", "/v1/log/cosignature", "FR", "peer", "/v1/log/cosignature", 403 },
	/* Anyone may ask whether the daemon runs. */
	{ "GET", "/healthz", "FR", "peer", "/healthz", 200 },
	{ "HEAD", "/healthz", "BE", "clerk", "/healthz", 200 },
};

START_TEST(dispatched)
{
	long before;

	daemon_setup();
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		before = answered(calls[i].route, calls[i].status);
		dispatch(calls[i].method, calls[i].path, calls[i].state,
		    calls[i].role);
		ck_assert_msg(answered(calls[i].route, calls[i].status) ==
		    before + 1, "%s %s by %s %s: not %d at %s", calls[i].method,
		    calls[i].path, calls[i].state, calls[i].role, calls[i].status,
		    calls[i].route);
	}
	ck_assert_int_eq(d.in_flight, 0);
	daemon_teardown();
}
END_TEST

/* A hub lets only the States it relays for send it trace requests. */
START_TEST(dispatched_hub)
{
	daemon_setup();
	d.cf.hub = 1;
	dispatch("POST", "/v1/traces", "BE", "investigator");
	ck_assert_int_eq(answered("/v1/traces", 403), 1);
	dispatch("GET", "/v1/traces/" UUID, "BE", "liaison");
	ck_assert_int_eq(answered("/v1/traces/{id}", 403), 1);
	dispatch("GET", "/healthz", "BE", "liaison");
	ck_assert_int_eq(answered("/healthz", 200), 1);
	daemon_teardown();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes");
	TCase *t = tcase_create("routes");
	SRunner *sr = srunner_create(s);
	int failed;

	/* The table, then calls dispatched through it. */
	tcase_add_test(t, rows_whole);
	tcase_add_test(t, rows_reachable);
	tcase_add_test(t, paths_match);
	tcase_add_test(t, methods_and_handlers);
	tcase_add_test(t, access_rules);
	tcase_add_test(t, dispatched);
	tcase_add_test(t, dispatched_hub);
	suite_add_tcase(s, t);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
