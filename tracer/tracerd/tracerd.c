/*
 * tracerd: the State's national point of contact for tracing.
 *
 * This is the daemon's main: its command line, its configuration and the
 * checks it makes before it serves anything (key files private, the TLS
 * key the certificate's, the signing key Ed25519, the peers directory and
 * the policy file sound), the start of its pools, outbound work and
 * listener, SIGHUP reloading the peers directory, the policy and the CRL
 * without dropping connections, and SIGTERM finishing the requests in
 * flight.  The HTTP plumbing is tracerd_listen.c (connections, calls),
 * tracerd_http.c (framing) and tracerd_call.c (answers, problem
 * documents); tracerd_routes.c's table says which endpoint file answers
 * which path, and who may call it.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/http.h>

#include "tracerd_int.h"

#define PROG "tracerd"

/* ------------------------------------------------------------ loading */

static int
load_signing_key(const struct trd_config *cf, proto_jws_key **out,
    reg_error *err)
{
	*out = NULL;
	if (strncmp(cf->signing_kid, cf->state, 2) != 0 || cf->signing_kid[2] != '/')
		return tr__fail(err, REG_EINVAL, "%s: [signing] kid %s must start with "
		    "this State's code and '/' (%s/...)", cf->path, cf->signing_kid,
		    cf->state);
	return tr__signing_key_load(cf->signing_key, cf->signing_kid, out, err);
}

/* Loads what SIGHUP reloads: peers directory, policy, TLS context (CRL). */
static int
load_reloadable(const struct trd_config *cf, tr__peers **peers,
    tr_policy **policy, SSL_CTX **tls, reg_error *err)
{
	int r;

	*peers = NULL;
	*policy = NULL;
	*tls = NULL;
	if (cf->peers[0] != '\0' && (r = tr__peers_load(cf->peers, peers, err)) != 0)
		goto fail;
	if (cf->hub) {
		/* A hub has no records, so no disclosure policy. */
		if ((r = trd_hub_start(cf, *peers, err)) != 0)
			goto fail;
	} else if (cf->policy[0] != '\0')
		r = tr_policy_load(cf->policy, policy, err);
	else
		r = tr_policy_default(cf->state, policy, err);
	if (r != 0)
		goto fail;
	if (*policy != NULL && strcmp(tr_policy_state(*policy), cf->state) != 0) {
		r = tr__fail(err, REG_EINVAL, "policy file %s is for State %s, this "
		    "daemon serves %s", cf->policy, tr_policy_state(*policy), cf->state);
		goto fail;
	}
	if (*peers != NULL && tr__peers_get(*peers, cf->state) != NULL) {
		r = tr__fail(err, REG_EINVAL, "peers directory %s names this daemon's "
		    "own State %s", cf->peers, cf->state);
		goto fail;
	}
	if ((r = trd_tls_context(cf, tls, err)) != 0)
		goto fail;
	return 0;
fail:
	tr__peers_free(*peers);
	tr_policy_free(*policy);
	*peers = NULL;
	*policy = NULL;
	return r;
}

/* ------------------------------------------------------------ signals */

static void
on_term(evutil_socket_t sig, short what, void *arg)
{
	struct trd_daemon *d = arg;
	struct timeval grace = { 10, 0 };

	(void)what;
	trd_logline("event=stop signal=%d requests=%lu in_flight=%ld", (int)sig,
	    d->requests, d->in_flight);
	/* Stop accepting; the requests in flight finish (trd_reply() ends
	 * the loop after the last), within a grace period.  Traces not
	 * finished stay open in the database and resume at the next start. */
	d->stopping = 1;
	trd_traces_wake_all(d);
	if (d->sock != NULL) {
		evhttp_del_accept_socket(d->http, d->sock);
		d->sock = NULL;
	}
	event_base_loopexit(d->base, d->in_flight > 0 ? &grace : NULL);
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct trd_daemon *d = arg;
	reg_error err = REG_ERROR_INIT;
	tr__peers *peers;
	tr_policy *policy;
	struct trd_policy_ref *ref;
	struct trd_peers_ref *pref = NULL;
	SSL_CTX *tls;

	(void)sig;
	(void)what;
	if (load_reloadable(&d->cf, &peers, &policy, &tls, &err) != 0) {
		trd_logline("event=reload result=refused reason=\"%s\"", err.message);
		return;
	}
	if ((ref = trd_policy_ref_new(policy)) == NULL ||
	    (pref = trd_peers_ref_new(peers)) == NULL) {
		trd_logline("event=reload result=refused reason=\"out of memory\"");
		free(ref);
		tr__peers_free(peers);
		tr_policy_free(policy);
		SSL_CTX_free(tls);
		return;
	}
	/* Outbound jobs keep the directory they started with. */
	trd_peers_release(d->peers_ref);
	d->peers_ref = pref;
	/* Traces running keep the policy they started with. */
	trd_policy_release(d->policy);
	/* Connections open keep the old context through their SSL objects
	 * (reference counted); new ones take the new one. */
	SSL_CTX_free(d->tls);
	d->peers = peers;
	d->policy = ref;
	d->tls = tls;
	trd_logline("event=reload result=ok peers=%zu", peers ? tr__peers_count(peers) : 0);
}

/* ------------------------------------------------------------ main */

/* Room for max_connections and max_handshakes sockets, the pools'
 * connections and files. */
static void
raise_fd_limit(const struct trd_config *cf)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cf->max_connections + (rlim_t)cf->max_handshakes +
	    (rlim_t)cf->pool_size +
	    (rlim_t)cf->trace_workers + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want :
	    rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		trd_logline("event=start what=\"open files limited to %lu, fewer than "
		    "max_connections needs\"", (unsigned long)rl.rlim_cur);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "Usage: " PROG " --config FILE [--check]\n"
	    "\n"
	    "The State's national point of contact for tracing: HTTP/1.1 over TLS 1.3\n"
	    "with client certificates, JWS-signed messages (proto/README.md).\n"
	    "\n"
	    "  --config FILE  the configuration file (INI; see tracerd(8))\n"
	    "  --check        check the configuration and every file it names, then\n"
	    "                 exit (0 when the daemon would start)\n"
	    "  -h, --help     show this help\n"
	    "  --version      show the version\n"
	    "\n"
	    "Signals: SIGHUP reloads the peers directory, the policy and the CRL;\n"
	    "SIGTERM or SIGINT stop it after the requests in flight.\n");
}

/* The command line: -1 to go on with *config (and *check), else the exit
 * status. */
static int
parse_args(int argc, char **argv, const char **config, int *check)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': *config = optarg; break;
		case 'k': *check = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROG " (" PACKAGE_NAME ") " PACKAGE_VERSION "\n"); return 0;
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return 2;
		}
	}
	if (*config == NULL || optind < argc) {
		fprintf(stderr, PROG ": --config FILE is required\nTry '" PROG
		    " --help'.\n");
		return 2;
	}
	return -1;
}

/* Loads the configuration and every file it names: 0, or -1 when it said
 * why on stderr. */
static int
load(struct trd_daemon *d, const char *config)
{
	reg_error err = REG_ERROR_INIT;
	tr_policy *policy = NULL;

	if (trd_config_load(config, &d->cf, &err) != 0 ||
	    load_signing_key(&d->cf, &d->signing, &err) != 0 ||
	    load_reloadable(&d->cf, &d->peers, &policy, &d->tls, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		return -1;
	}
	if (d->cf.log_key[0] != '\0' && reg_key_load(d->cf.log_key, &d->log_key,
	    &err) != 0) {
		fprintf(stderr, PROG ": [log] key: %s\n", err.message);
		tr_policy_free(policy);
		return -1;
	}
	if ((d->peers_ref = trd_peers_ref_new(d->peers)) == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		tr__peers_free(d->peers);
		d->peers = NULL;
		tr_policy_free(policy);
		return -1;
	}
	if ((d->policy = trd_policy_ref_new(policy)) == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		tr_policy_free(policy);
		return -1;
	}
	if (trd_out_init(d, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		return -1;
	}
	return 0;
}

/* --check: the witness's keys and peers too, as the start loads them. */
static int
check_only(struct trd_daemon *d, const char *config)
{
	reg_error err = REG_ERROR_INIT;

	if (trd_witness_start(d, 0, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		return 1;
	}
	printf(PROG ": %s is sound (%s %s, %zu peers)\n", config, d->cf.hub ?
	    "hub" : "State", d->cf.state, d->peers ? tr__peers_count(d->peers) : 0);
	return 0;
}

/* The limits, the event loop, the pools, the outbound work and the
 * listener: 0, or -1 when it said why on stderr. */
static int
start(struct trd_daemon *d)
{
	reg_error err = REG_ERROR_INIT;

	raise_fd_limit(&d->cf);
	if (tr__metrics_new(&d->metrics, &err) != 0 ||
	    tr__ratelimit_new(d->cf.rate, d->cf.burst, 4096, &d->rl, &err) != 0 ||
	    trd_conn_init(&err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		return -1;
	}
	for (int i = 0; i < d->cf.n_rates; i++)
		if (tr__ratelimit_set(d->rl, d->cf.rates[i].state,
		    d->cf.rates[i].v[0] ? d->cf.rates[i].v[0] : d->cf.rate,
		    d->cf.rates[i].v[1] ? d->cf.rates[i].v[1] : d->cf.burst) != 0) {
			fprintf(stderr, PROG ": cannot set the limits of %s\n",
			    d->cf.rates[i].state);
			return -1;
		}
	if ((d->base = event_base_new()) == NULL || trd_listen_setup(d) != 0) {
		fprintf(stderr, PROG ": cannot start the event loop\n");
		return -1;
	}
	if (trd_pool_new(d->base, "database", d->cf.database, d->cf.pool_size,
	    d->cf.queue_max, NULL, &d->pool, &err) != 0 ||
	    trd_pool_new(d->base, d->cf.hub ? "relay" : "trace", d->cf.database,
	    d->cf.trace_workers, d->cf.queue_max, d->cf.hub ? trd_hub_slot_free :
	    trd_traces_slot_free, &d->tracers, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		return -1;
	}
	/* A hub traces nothing: its second pool relays. */
	if (!d->cf.hub && trd_traces_resume(d, &err) != 0)
		trd_log_event("trace", NULL, "error", err.message);
	if (trd_out_start(d, &err) != 0 || trd_listen(d, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		return -1;
	}
	return 0;
}

/* SIGTERM, SIGINT and SIGHUP in ev[3]: 0, or -1 when it said why. */
static int
signals(struct trd_daemon *d, struct event *ev[3])
{
	ev[0] = evsignal_new(d->base, SIGTERM, on_term, d);
	ev[1] = evsignal_new(d->base, SIGINT, on_term, d);
	ev[2] = evsignal_new(d->base, SIGHUP, on_hup, d);
	if (ev[0] == NULL || ev[1] == NULL || ev[2] == NULL ||
	    event_add(ev[0], NULL) != 0 || event_add(ev[1], NULL) != 0 ||
	    event_add(ev[2], NULL) != 0) {
		fprintf(stderr, PROG ": cannot handle signals\n");
		return -1;
	}
	return 0;
}

/* Everything the daemon holds, in order. */
static void
stop(struct trd_daemon *d, struct event *ev[3])
{
	if (d->ev_checkpoint != NULL)
		event_free(d->ev_checkpoint);
	for (int i = 0; i < 3; i++)
		if (ev[i] != NULL)
			event_free(ev[i]);
	/* The pools first: the answers of jobs that ran are still handed to
	 * their requests, which evhttp_free() then drops. */
	d->stopping = 1;
	/* Calls to other daemons under way (a held question, a relay) give
	 * up: what they were for is stored and carried on at the next
	 * start. */
	atomic_store(&d->cancel, 1);
	trd_out_stop(d);
	trd_witness_free(d);
	trd_pool_free(d->pool);
	trd_pool_free(d->tracers);
	if (d->http != NULL)
		evhttp_free(d->http);
	if (d->base != NULL)
		event_base_free(d->base);
	SSL_CTX_free(d->tls);
	proto_jws_key_free(d->signing);
	reg_key_free(d->log_key);
	tr__metrics_free(d->metrics);
	tr__ratelimit_free(d->rl);
	trd_out_free(d);
	trd_hub_free(d);
	trd_traces_free(d);
	if (d->peers_ref != NULL)
		trd_peers_release(d->peers_ref);
	else
		tr__peers_free(d->peers);
	if (d->policy != NULL)
		trd_policy_release(d->policy);
}

int
main(int argc, char **argv)
{
	struct trd_daemon d;
	reg_error err = REG_ERROR_INIT;
	struct event *ev[3] = { NULL, NULL, NULL };
	const char *config = NULL;
	int check = 0, rc;

	memset(&d, 0, sizeof(d));
	if ((rc = parse_args(argc, argv, &config, &check)) >= 0)
		return rc;
	rc = 1;
	signal(SIGPIPE, SIG_IGN);
	if (load(&d, config) != 0)
		goto out;
	if (check) {
		rc = check_only(&d, config);
		goto out;
	}
	if (start(&d) != 0 || signals(&d, ev) != 0)
		goto out;
	trd_logline("event=start state=%s mode=%s listen=%s:%d peers=%zu",
	    d.cf.state, d.cf.hub ? "hub" : "state", d.cf.listen_host,
	    d.cf.listen_port, d.peers ? tr__peers_count(d.peers) : 0);
	if (trd_log_checkpoints_start(&d, &err) != 0 ||
	    trd_witness_start(&d, 1, &err) != 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		goto out;
	}
	rc = event_base_dispatch(d.base) < 0 ? 1 : 0;
out:
	stop(&d, ev);
	return rc;
}
