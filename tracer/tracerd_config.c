/*
 * tracerd's configuration file, one INI file (inih), table-driven:
 *
 *   [daemon]   state = NL, listen = 127.0.0.1:8443, database = CONNINFO
 *   [tls]      certificate = FILE, key = FILE, client_ca = FILE, crl = FILE
 *   [signing]  key = FILE (Ed25519, PKCS#8 PEM), kid = NL/2026-1
 *   [peers]    directory = FILE
 *   [policy]   file = FILE
 *   [limits]   body_max = BYTES, header_timeout = S, idle_timeout = S,
 *              max_connections = N
 *
 * Relative file names are resolved against the configuration file's
 * folder.  An unknown section or key, a key given twice, a bad value or a
 * missing required key is refused with the file and line.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "tracerd_int.h"

enum kind { K_TEXT, K_PATH, K_STATE, K_LISTEN, K_LONG, K_INT };

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
	{ "tls", "certificate", K_PATH, F(tls_cert), 0, 0, 1 },
	{ "tls", "key", K_PATH, F(tls_key), 0, 0, 1 },
	{ "tls", "client_ca", K_PATH, F(client_ca), 0, 0, 1 },
	{ "tls", "crl", K_PATH, F(crl), 0, 0, 0 },
	{ "signing", "key", K_PATH, F(signing_key), 0, 0, 1 },
	{ "signing", "kid", K_TEXT, F(signing_kid), 0, 0, 1 },
	{ "peers", "directory", K_PATH, F(peers), 0, 0, 0 },
	{ "policy", "file", K_PATH, F(policy), 0, 0, 0 },
	{ "limits", "body_max", K_LONG, F(body_max), 1024, 16L << 20, 0 },
	{ "limits", "header_timeout", K_INT, F(header_timeout), 1, 600, 0 },
	{ "limits", "idle_timeout", K_INT, F(idle_timeout), 1, 86400, 0 },
	{ "limits", "max_connections", K_INT, F(max_connections), 1, 100000, 0 },
#undef F
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct parse {
	struct tr__ini ini;		/* first: inih's user pointer */
	struct trd_config *cf;
	char dir[TRD_PATH_MAX];
	int seen[NKEYS];
};

#define fail(ps, ...) tr__ini_fail(&(ps)->ini, __VA_ARGS__)

static int
handler(void *user, const char *section, const char *name, const char *v)
{
	struct parse *ps = user;
	char *dst;
	size_t i;

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
	dst = (char *)ps->cf + keys[i].off;
	switch (keys[i].kind) {
	case K_STATE:
		if (!proto_country_valid(v))
			return fail(ps, "state '%.20s' is not an ISO 3166-1 alpha-2 code", v);
		snprintf(dst, keys[i].size, "%s", v);
		return 1;
	case K_LISTEN: {
		const char *colon = strrchr(v, ':');
		char *end;
		long port;

		if (colon == NULL || colon == v || (size_t)(colon - v) >= keys[i].size)
			return fail(ps, "listen must be HOST:PORT");
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno != 0 || *end != '\0' || port < 1 || port > 65535)
			return fail(ps, "listen port '%.20s' must be 1 to 65535", colon + 1);
		snprintf(dst, keys[i].size, "%.*s", (int)(colon - v), v);
		ps->cf->listen_port = (int)port;
		return 1;
	}
	case K_LONG:
	case K_INT: {
		char *end;
		long n;

		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || *end != '\0' || end == v || n < keys[i].min ||
		    n > keys[i].max)
			return fail(ps, "%s must be a whole number from %ld to %ld", name,
			    keys[i].min, keys[i].max);
		if (keys[i].kind == K_LONG)
			*(long *)(void *)dst = n;
		else
			*(int *)(void *)dst = (int)n;
		return 1;
	}
	case K_PATH:
		if (v[0] == '\0')
			return fail(ps, "%s is empty", name);
		if (v[0] == '/')
			snprintf(dst, keys[i].size, "%s", v);
		else if ((size_t)snprintf(dst, keys[i].size, "%s/%s", ps->dir, v) >=
		    keys[i].size)
			return fail(ps, "%s is too long", name);
		return 1;
	case K_TEXT:
		if (v[0] == '\0' || strlen(v) >= keys[i].size)
			return fail(ps, "%s must be 1 to %zu bytes", name, keys[i].size - 1);
		snprintf(dst, keys[i].size, "%s", v);
		return 1;
	}
	return fail(ps, "internal error");
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
	return 0;
}
