/*
 * tracerd's configuration file, one INI file (inih), table-driven:
 *
 *   [daemon]   state = NL, listen = 127.0.0.1:8443, database = CONNINFO,
 *              mode = state (default) or hub (a liaison hub: state is then
 *              its ISO 3166-1 user-assigned code, as XH)
 *   [tls]      certificate = FILE, key = FILE, client_ca = FILE, crl = FILE
 *   [signing]  key = FILE (Ed25519, PKCS#8 PEM), kid = NL/2026-1
 *   [peers]    directory = FILE
 *   [policy]   file = FILE
 *   [limits]   body_max = BYTES, header_timeout = S, idle_timeout = S,
 *              max_connections = N, rate = PER_SECOND, burst = N,
 *              queue_max = N, and per peer State rate.XX, burst.XX;
 *              max_handshakes = N, handshake_timeout = S,
 *              handshake_log_rate = LINES (a second)
 *   [workers]  pool = N (connections answering at once), traces = N,
 *              retry = S (a trace the database failed is tried again)
 *   [log]      key = FILE (the log's note key, regctl key generate),
 *              checkpoint_interval = S, witness = VKEY (repeatable: the
 *              witnesses whose cosignatures the log takes),
 *              cosignature_skew = S, checkpoint_sample = N, served = FILE
 *   [witness]  key = FILE (the witness's key, regctl key generate),
 *              peers = XX YY ... (in the peers directory), interval = S
 *   [deadlines] urgent = HOURS, routine = HOURS, and per requesting State
 *              urgent.XX = HOURS, routine.XX = HOURS
 *   [domestic] signing_key = KID FILE sha256:CERT (repeatable), follow_referrals = yes|no,
 *              max_hops = N, poll = S, retry_max = S, send_due = S
 *   [outbound] per_state_in_flight = N, breaker_failures = N,
 *              breaker_min = S, breaker_max = S (calls to one State; a hub's
 *              relays too)
 *
 * [tls] client_certificate and client_key are what the daemon shows when it
 * calls other daemons (default: certificate and key); [workers] outbound the
 * threads that send requests to other States.
 *
 * Relative file names are resolved against the configuration file's
 * folder.  An unknown section or key, a key given twice, a bad value or a
 * missing required key is refused with the file and line.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "common/hex.h"
#include "tracerd_int.h"

enum kind { K_TEXT, K_PATH, K_STATE, K_LISTEN, K_LONG, K_INT, K_BOOL, K_MODE };

static const struct key {
	const char *section, *name;
	enum kind kind;
	size_t off, size;
	long min, max;
	int required;
} keys[] = {
#define F(m) offsetof(struct trd_config, m), sizeof(((struct trd_config *)0)->m)
	{ "daemon", "state", K_STATE, F(state), 0, 0, 1 },
	{ "daemon", "listen", K_LISTEN, F(listen_host), 0, 0, 1 },
	{ "daemon", "database", K_TEXT, F(database), 0, 0, 0 },
	{ "daemon", "mode", K_MODE, F(hub), 0, 0, 0 },
	{ "tls", "certificate", K_PATH, F(tls_cert), 0, 0, 1 },
	{ "tls", "key", K_PATH, F(tls_key), 0, 0, 1 },
	{ "tls", "client_ca", K_PATH, F(client_ca), 0, 0, 1 },
	{ "tls", "crl", K_PATH, F(crl), 0, 0, 0 },
	{ "tls", "client_certificate", K_PATH, F(client_cert), 0, 0, 0 },
	{ "tls", "client_key", K_PATH, F(client_key), 0, 0, 0 },
	{ "signing", "key", K_PATH, F(signing_key), 0, 0, 1 },
	{ "signing", "kid", K_TEXT, F(signing_kid), 0, 0, 1 },
	{ "peers", "directory", K_PATH, F(peers), 0, 0, 0 },
	{ "policy", "file", K_PATH, F(policy), 0, 0, 0 },
	{ "limits", "body_max", K_LONG, F(body_max), 1024, 16L << 20, 0 },
	{ "limits", "header_timeout", K_INT, F(header_timeout), 1, 600, 0 },
	{ "limits", "idle_timeout", K_INT, F(idle_timeout), 1, 86400, 0 },
	{ "limits", "max_connections", K_INT, F(max_connections), 1, 100000, 0 },
	{ "limits", "max_handshakes", K_INT, F(max_handshakes), 1, 100000, 0 },
	{ "limits", "handshake_timeout", K_INT, F(handshake_timeout), 1, 600, 0 },
	{ "limits", "handshake_log_rate", K_INT, F(handshake_log_rate), 1, 100000, 0 },
	{ "limits", "rate", K_INT, F(rate), 1, 100000, 0 },
	{ "limits", "burst", K_INT, F(burst), 1, 1000000, 0 },
	{ "limits", "queue_max", K_INT, F(queue_max), 1, 1000000, 0 },
	{ "workers", "pool", K_INT, F(pool_size), 1, 64, 0 },
	{ "workers", "traces", K_INT, F(trace_workers), 1, 64, 0 },
	{ "workers", "retry", K_INT, F(retry_seconds), 1, 3600, 0 },
	{ "workers", "outbound", K_INT, F(outbound_workers), 1, 64, 0 },
	{ "domestic", "follow_referrals", K_BOOL, F(follow_referrals), 0, 0, 0 },
	{ "domestic", "max_hops", K_INT, F(max_hops), 1, 32, 0 },
	{ "domestic", "poll", K_INT, F(poll_seconds), 1, 60, 0 },
	{ "domestic", "retry_max", K_INT, F(retry_max), 1, 3600, 0 },
	{ "domestic", "send_due", K_INT, F(send_due), 1, 30 * 86400, 0 },
	{ "outbound", "per_state_in_flight", K_INT, F(per_state_in_flight), 1, 64, 0 },
	{ "outbound", "breaker_failures", K_INT, F(breaker_failures), 1, 1000, 0 },
	{ "outbound", "breaker_min", K_INT, F(breaker_min), 1, 3600, 0 },
	{ "outbound", "breaker_max", K_INT, F(breaker_max), 1, 86400, 0 },
	{ "log", "key", K_PATH, F(log_key), 0, 0, 0 },
	{ "log", "checkpoint_interval", K_INT, F(checkpoint_interval), 1, 86400, 0 },
	{ "log", "cosignature_skew", K_INT, F(cosignature_skew), 1, 86400, 0 },
	{ "log", "checkpoint_sample", K_INT, F(checkpoint_sample), 0, 1000000, 0 },
	{ "log", "served", K_PATH, F(served_file), 0, 0, 0 },
	{ "witness", "key", K_PATH, F(witness_key), 0, 0, 0 },
	{ "witness", "interval", K_INT, F(witness_interval), 1, 86400, 0 },
	{ "deadlines", "urgent", K_INT, F(urgent_hours), 1, 24 * 366, 0 },
	{ "deadlines", "routine", K_INT, F(routine_hours), 1, 24 * 366, 0 },
#undef F
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct parse {
	struct tr__ini ini;		/* first: inih's user pointer */
	struct trd_config *cf;
	char dir[TRD_PATH_MAX];
	int seen[NKEYS];
	int state_line, mode_line;
	int witness_peers_line;		/* [witness] peers, once */
	int witness_line;		/* the [witness] section's first key */
};

#define fail(ps, ...) tr__ini_fail(&(ps)->ini, __VA_ARGS__)

/*
 * A per-State key of a section, "FIRST.XX = N" or "SECOND.XX = N", N from
 * 1 to max: kept in list (n entries), v[0] for FIRST, v[1] for SECOND.
 */
static int
state_override(struct parse *ps, const char *section, const char *name,
    const char *v, const char *const names[2], long max, const char *unit,
    struct trd_override *list, int *n)
{
	const char *dot = strchr(name, '.');
	struct trd_override *o;
	int which, j;
	char *end;
	long x;

	for (which = 0; which < 2; which++)
		if ((size_t)(dot - name) == strlen(names[which]) &&
		    strncmp(name, names[which], strlen(names[which])) == 0)
			break;
	if (which == 2)
		return fail(ps, "unknown key '%.40s' in [%s]", name, section);
	if (!proto_country_valid(dot + 1))
		return fail(ps, "'%.40s': '%.20s' is not an ISO 3166-1 alpha-2 code",
		    name, dot + 1);
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || x < 1 || x > max)
		return fail(ps, "%s must be a whole number%s from 1 to %ld", name, unit,
		    max);
	for (j = 0; j < *n; j++)
		if (strcmp(list[j].state, dot + 1) == 0)
			break;
	if (j == *n) {
		if (*n == TRD_OVERRIDES_MAX)
			return fail(ps, "more than %d States in [%s]", TRD_OVERRIDES_MAX,
			    section);
		o = &list[(*n)++];
		memcpy(o->state, dot + 1, 3);
	} else {
		o = &list[j];
	}
	if (o->v[which] != 0)
		return fail(ps, "%s is given twice in [%s]", name, section);
	o->v[which] = (int)x;
	return 1;
}

int
trd_config_deadline(const struct trd_config *cf, const char *state, int urgent)
{
	int j;

	for (j = 0; j < cf->n_deadlines; j++)
		if (strcmp(cf->deadlines[j].state, state) == 0) {
			int h = cf->deadlines[j].v[urgent ? 0 : 1];

			if (h != 0)
				return h;
		}
	return urgent ? cf->urgent_hours : cf->routine_hours;
}

/* The certificate fingerprint "sha256:HEX" at the end of v (64 hex
 * digits, in either case, pairs may be separated by ':' as openssl x509
 * -fingerprint -sha256 writes them) into fp in lower case: the length of
 * v before it (spaces dropped), or 0 when v does not end in one. */
static size_t
cert_fingerprint(const char *v, char fp[65])
{
	const char *sp = strrchr(v, ' '), *h;
	size_t n = 0;

	if (sp == NULL || strncasecmp(sp + 1, "sha256:", 7) != 0)
		return 0;
	for (h = sp + 8; *h != '\0'; h++) {
		if (*h == ':' && n > 0 && n % 2 == 0 && h[1] != '\0' && h[1] != ':')
			continue;
		if (cm_hex_digit((unsigned char)*h, CM_HEX_ANYCASE) < 0 || n == 64)
			return 0;
		fp[n++] = (char)tolower((unsigned char)*h);
	}
	if (n != 64)
		return 0;
	fp[64] = '\0';
	while (sp > v && sp[-1] == ' ')
		sp--;
	return (size_t)(sp - v);
}

/* "KID FILE sha256:CERT": a domestic user's signing key and the
 * certificate it belongs to, so that it signs only over that user's
 * connection; the kid names this State, which [daemon] state may give
 * later, so it is checked when loaded. */
static int
domestic_key(struct parse *ps, const char *line)
{
	struct trd_domestic_key *k;
	char v[2 * TRD_PATH_MAX], fp[65];
	const char *sp;
	size_t klen, vlen;
	int j;

	if ((vlen = cert_fingerprint(line, fp)) == 0 || vlen >= sizeof(v))
		return fail(ps, "signing_key must be KID FILE sha256:CERT: the key's "
		    "id (XX/...), its public key's PEM file and the SHA-256 of the "
		    "certificate of the user whose key it is (openssl x509 -noout "
		    "-fingerprint -sha256 -in user.pem)");
	memcpy(v, line, vlen);
	v[vlen] = '\0';
	sp = strchr(v, ' ');

	if (ps->cf->n_domestic_keys == TRD_DOMESTIC_KEYS_MAX)
		return fail(ps, "more than %d signing_key lines in [domestic]",
		    TRD_DOMESTIC_KEYS_MAX);
	if (sp == NULL || sp == v || (klen = (size_t)(sp - v)) > 200)
		return fail(ps, "signing_key must be KID FILE sha256:CERT: the key's "
		    "id (XX/...) and its public key's PEM file");
	while (*sp == ' ')
		sp++;
	if (*sp == '\0')
		return fail(ps, "signing_key '%.40s' names no file", v);
	k = &ps->cf->domestic_keys[ps->cf->n_domestic_keys];
	memcpy(k->kid, v, klen);
	k->kid[klen] = '\0';
	memcpy(k->fp, fp, sizeof(k->fp));
	for (j = 0; j < ps->cf->n_domestic_keys; j++)
		if (strcmp(ps->cf->domestic_keys[j].kid, k->kid) == 0)
			return fail(ps, "signing_key %.40s is given twice", k->kid);
	if (sp[0] == '/')
		snprintf(k->path, sizeof(k->path), "%s", sp);
	else if ((size_t)snprintf(k->path, sizeof(k->path), "%s/%s", ps->dir, sp) >=
	    sizeof(k->path))
		return fail(ps, "signing_key's file name is too long");
	ps->cf->n_domestic_keys++;
	return 1;
}

/* [log] witness = VKEY: a witness verifier key, up to
 * TRD_LOG_WITNESSES_MAX of them, each once. */
static int
log_witness(struct parse *ps, const char *v)
{
	struct trd_config *cf = ps->cf;
	reg_error err = REG_ERROR_INIT;
	reg_key *k = NULL;
	int i;

	if (strlen(v) >= TRD_VKEY_MAX)
		return fail(ps, "witness is longer than %d bytes", TRD_VKEY_MAX - 1);
	if (reg_cosig_key_from_verifier(v, &k, &err) != 0)
		return fail(ps, "witness is not a witness verifier key (as 'regctl "
		    "key show --witness' prints): %.200s", err.message);
	reg_key_free(k);
	for (i = 0; i < cf->n_log_witnesses; i++)
		if (strcmp(cf->log_witnesses[i], v) == 0)
			return fail(ps, "witness %.60s is given twice in [log]", v);
	if (cf->n_log_witnesses == TRD_LOG_WITNESSES_MAX)
		return fail(ps, "more than %d witness keys in [log]",
		    TRD_LOG_WITNESSES_MAX);
	snprintf(cf->log_witnesses[cf->n_log_witnesses++], TRD_VKEY_MAX, "%s", v);
	return 1;
}

/* [witness] peers = XX YY ...: States' codes, separated by spaces or
 * commas, each once. */
static int
witness_peers(struct parse *ps, const char *v)
{
	struct trd_config *cf = ps->cf;
	const char *p = v;
	char code[3];
	size_t n;
	int i;

	if (ps->witness_peers_line++)
		return fail(ps, "peers is given twice in [witness]");
	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t,");
		if (n != 2)
			return fail(ps, "peers: '%.*s' is not an ISO 3166-1 alpha-2 code",
			    (int)(n > 20 ? 20 : n), p);
		memcpy(code, p, 2);
		code[2] = '\0';
		if (!proto_country_valid(code))
			return fail(ps, "peers: '%s' is not an ISO 3166-1 alpha-2 code",
			    code);
		for (i = 0; i < cf->n_witness_peers; i++)
			if (strcmp(cf->witness_peers[i], code) == 0)
				return fail(ps, "peers names %s twice", code);
		if (cf->n_witness_peers == TRD_WITNESS_PEERS_MAX)
			return fail(ps, "peers names more than %d States",
			    TRD_WITNESS_PEERS_MAX);
		memcpy(cf->witness_peers[cf->n_witness_peers++], code, 3);
		p += n;
	}
	if (cf->n_witness_peers == 0)
		return fail(ps, "peers is empty; name the States to witness, or leave "
		    "out [witness]");
	return 1;
}

/* Sets the value v of the key k (named name) of the table in ps->cf. */
static int
set_value(struct parse *ps, const struct key *k, const char *name,
    const char *v)
{
	char *dst = (char *)ps->cf + k->off;

	switch (k->kind) {
	case K_MODE:
		if (strcmp(v, "hub") != 0 && strcmp(v, "state") != 0)
			return fail(ps, "mode must be state or hub, not '%.20s'", v);
		ps->cf->hub = strcmp(v, "hub") == 0;
		ps->mode_line = ps->ini.line;
		return 1;
	case K_STATE:
		/* A hub's user-assigned code is checked against the mode once
		 * the whole file is read. */
		if (!proto_country_valid(v) && !tr__country_user_assigned(v))
			return fail(ps, "state '%.20s' is not an ISO 3166-1 alpha-2 code", v);
		ps->state_line = ps->ini.line;
		snprintf(dst, k->size, "%s", v);
		return 1;
	case K_LISTEN: {
		const char *colon = strrchr(v, ':');
		char *end;
		long port;

		if (colon == NULL || colon == v || (size_t)(colon - v) >= k->size)
			return fail(ps, "listen must be HOST:PORT");
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno != 0 || *end != '\0' || port < 1 || port > 65535)
			return fail(ps, "listen port '%.20s' must be 1 to 65535", colon + 1);
		snprintf(dst, k->size, "%.*s", (int)(colon - v), v);
		ps->cf->listen_port = (int)port;
		return 1;
	}
	case K_LONG:
	case K_INT: {
		char *end;
		long n;

		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || *end != '\0' || end == v || n < k->min ||
		    n > k->max)
			return fail(ps, "%s must be a whole number from %ld to %ld", name,
			    k->min, k->max);
		if (k->kind == K_LONG)
			*(long *)(void *)dst = n;
		else
			*(int *)(void *)dst = (int)n;
		return 1;
	}
	case K_PATH:
		if (v[0] == '\0')
			return fail(ps, "%s is empty", name);
		if (v[0] == '/')
			snprintf(dst, k->size, "%s", v);
		else if ((size_t)snprintf(dst, k->size, "%s/%s", ps->dir, v) >=
		    k->size)
			return fail(ps, "%s is too long", name);
		return 1;
	case K_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
			*(int *)(void *)dst = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
			*(int *)(void *)dst = 0;
		else
			return fail(ps, "%s must be yes or no", name);
		return 1;
	case K_TEXT:
		if (v[0] == '\0' || strlen(v) >= k->size)
			return fail(ps, "%s must be 1 to %zu bytes", name, k->size - 1);
		snprintf(dst, k->size, "%s", v);
		return 1;
	}
	return fail(ps, "internal error");
}

static int
handler(void *user, const char *section, const char *name, const char *v)
{
	struct parse *ps = user;
	size_t i;

	static const char *const deadline_names[2] = { "urgent", "routine" };
	static const char *const rate_names[2] = { "rate", "burst" };

	if (strcmp(section, "deadlines") == 0 && strchr(name, '.') != NULL)
		return state_override(ps, section, name, v, deadline_names, 24 * 366,
		    " of hours", ps->cf->deadlines, &ps->cf->n_deadlines);
	if (strcmp(section, "limits") == 0 && strchr(name, '.') != NULL)
		return state_override(ps, section, name, v, rate_names, 1000000, "",
		    ps->cf->rates, &ps->cf->n_rates);
	if (strcmp(section, "domestic") == 0 && strcmp(name, "signing_key") == 0)
		return domestic_key(ps, v);
	if (strcmp(section, "witness") == 0 && ps->witness_line == 0)
		ps->witness_line = ps->ini.line;
	if (strcmp(section, "log") == 0 && strcmp(name, "witness") == 0)
		return log_witness(ps, v);
	if (strcmp(section, "witness") == 0 && strcmp(name, "peers") == 0)
		return witness_peers(ps, v);
	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			break;
	if (i == NKEYS) {
		for (i = 0; i < NKEYS; i++)
			if (strcmp(keys[i].section, section) == 0)
				return fail(ps, "unknown key '%.40s' in [%.20s]", name, section);
		return fail(ps, "unknown section [%.40s]", section);
	}
	if (ps->seen[i]++)
		return fail(ps, "%s is given twice in [%s]", name, section);
	return set_value(ps, &keys[i], name, v);
}

int
trd_config_load(const char *path, struct trd_config *cf, reg_error *err)
{
	struct parse ps;
	char *slash, real[PATH_MAX];
	size_t i;
	int r;

	memset(cf, 0, sizeof(*cf));
	memset(&ps, 0, sizeof(ps));
	cf->body_max = 1L << 20;
	cf->header_timeout = 10;
	cf->idle_timeout = 60;
	cf->max_connections = 4096;
	cf->max_handshakes = 256;
	cf->handshake_timeout = 5;
	cf->handshake_log_rate = 10;
	cf->rate = 20;
	cf->burst = 100;
	cf->queue_max = 10000;
	cf->pool_size = 4;
	cf->trace_workers = 2;
	cf->retry_seconds = 10;
	cf->checkpoint_interval = 60;
	cf->cosignature_skew = REG_COSIG_SKEW_DEFAULT;
	cf->checkpoint_sample = REG_LOG_CHECK_SAMPLE_DEFAULT;
	cf->witness_interval = 60;
	cf->urgent_hours = 24;
	cf->routine_hours = 5 * 24;
	cf->outbound_workers = 4;
	cf->follow_referrals = 1;
	cf->max_hops = 8;
	cf->poll_seconds = 20;
	cf->retry_max = 300;
	cf->breaker_failures = 3;
	cf->breaker_min = 1;
	cf->breaker_max = 60;
	snprintf(cf->path, sizeof(cf->path), "%s", path);
	if (realpath(path, real) == NULL)
		return tr__fail(err, errno == ENOENT ? REG_ENOTFOUND : REG_EIO,
		    "cannot read configuration file %s: %s", path, strerror(errno));
	if (strlen(real) >= sizeof(ps.dir))
		return tr__fail(err, REG_EINVAL, "%s: the path is too long", path);
	memcpy(ps.dir, real, strlen(real) + 1);
	if ((slash = strrchr(ps.dir, '/')) != NULL)
		*slash = '\0';
	if ((ps.ini.f = fopen(real, "r")) == NULL)
		return tr__fail(err, REG_EIO, "cannot read configuration file %s: %s",
		    path, strerror(errno));
	ps.cf = cf;
	r = tr__ini_run(&ps.ini, path, handler, err);
	fclose(ps.ini.f);
	if (r != 0)
		return r;
	for (i = 0; i < NKEYS; i++)
		if (keys[i].required && !ps.seen[i])
			return tr__fail(err, REG_EINVAL, "%s: [%s] %s is required", path,
			    keys[i].section, keys[i].name);
	if (cf->breaker_max < cf->breaker_min)
		return tr__fail(err, REG_EINVAL, "%s: [outbound] breaker_max (%d) is "
		    "below breaker_min (%d)", path, cf->breaker_max, cf->breaker_min);
	if (cf->hub && !tr__country_user_assigned(cf->state))
		return tr__fail(err, REG_EINVAL, "%s:%d: a hub's state is its ISO "
		    "3166-1 user-assigned code (AA, QM to QZ, XA to XZ, ZZ), not a "
		    "State's (%s)", path, ps.state_line, cf->state);
	if (!cf->hub && !proto_country_valid(cf->state))
		return tr__fail(err, REG_EINVAL, "%s:%d: state %s is a user-assigned "
		    "code, which names a liaison hub: a State's daemon has its "
		    "State's code; a hub says mode = hub", path, ps.state_line,
		    cf->state);
	if (ps.witness_line != 0 && (cf->witness_key[0] == '\0' ||
	    cf->n_witness_peers == 0))
		return tr__fail(err, REG_EINVAL, "%s:%d: [witness] needs both key "
		    "(the witness's key) and peers (the States it witnesses)", path,
		    ps.witness_line);
	return 0;
}
