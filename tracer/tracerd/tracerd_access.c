/*
 * Who may call what: proto/README.md 13.3's table of endpoints and callers,
 * kept here and nowhere else.  A caller is one of a few kinds, read from
 * its verified certificate (tls.c) and the peers directory in force:
 *
 *   peer          OU=peer, C a State of the peers directory (directly or
 *                 through a hub), never this State
 *   hub           OU=hub, C a hub of the peers directory
 *   investigator, clerk, liaison, auditor
 *                 this State's own users (C this daemon's State)
 *
 * Anyone else (a peer or hub missing from the directory, another State's
 * users) is a stranger and may call /healthz and /readyz only.  What a
 * handler checks beyond the table (that a peer reads only the requests its
 * State sent, an investigator only the chains of the certificate that
 * submitted them) depends on the record asked for, and answers not-found.
 */
#include "config.h"

#include <string.h>

#include "common/utf8.h"
#include "tracerd_int.h"

enum {
	K_PEER = 1 << 0,
	K_HUB = 1 << 1,
	K_INVESTIGATOR = 1 << 2,
	K_CLERK = 1 << 3,
	K_LIAISON = 1 << 4,
	K_AUDITOR = 1 << 5,
	K_STRANGER = 1 << 6,
	K_ANY = 0x7f
};

/* The table: a route (struct trd_call's route), the kinds that may call
 * it of a State's daemon and of a hub, and the refusal's detail. */
static const struct rule {
	const char *route;
	unsigned state, hub;
	const char *who;
} rules[] = {
	{ "/healthz", K_ANY, K_ANY, "anyone" },
	{ "/readyz", K_ANY, K_ANY, "anyone" },
	{ "/v1/traces", K_PEER | K_HUB | K_INVESTIGATOR | K_LIAISON, K_PEER,
	    "trace requests are sent here by the daemons of the peers "
	    "directory's States and hubs, and by this State's investigators "
	    "and liaison office for another State" },
	{ "/v1/traces/{id}", K_PEER | K_HUB | K_LIAISON | K_AUDITOR, K_PEER,
	    "trace requests are read by the State that sent them, and by this "
	    "State's liaison office and auditors" },
	{ "/v1/traces/{id}/status", K_PEER | K_HUB | K_LIAISON | K_AUDITOR, K_PEER,
	    "trace requests are read by the State that sent them, and by this "
	    "State's liaison office and auditors" },
	{ "/v1/traces/{id}/chain", K_INVESTIGATOR | K_LIAISON | K_AUDITOR,
	    K_INVESTIGATOR | K_LIAISON | K_AUDITOR,
	    "a chain is read by this State's liaison office and auditors, and "
	    "by the user who asked" },
	{ "/v1/log/checkpoint", K_PEER | K_LIAISON | K_AUDITOR,
	    K_PEER | K_LIAISON | K_AUDITOR,
	    "the audit log is served to the peers directory's States, and to "
	    "this State's liaison office and auditors" },
	{ "/v1/log/proof/inclusion", K_PEER | K_LIAISON | K_AUDITOR,
	    K_PEER | K_LIAISON | K_AUDITOR,
	    "the audit log is served to the peers directory's States, and to "
	    "this State's liaison office and auditors" },
	{ "/v1/log/proof/consistency", K_PEER | K_LIAISON | K_AUDITOR,
	    K_PEER | K_LIAISON | K_AUDITOR,
	    "the audit log is served to the peers directory's States, and to "
	    "this State's liaison office and auditors" },
	{ "/v1/log/cosignature", K_PEER, K_PEER,
	    "cosignatures come from the daemons of the peers directory's "
	    "States (witnesses)" },
	{ "/v1/witness", K_LIAISON | K_AUDITOR, K_LIAISON | K_AUDITOR,
	    "the witness's status is for this State's liaison office and "
	    "auditors" },
	{ "/metrics", K_LIAISON | K_AUDITOR, K_LIAISON | K_AUDITOR,
	    "the metrics are for this State's liaison office and auditors" },
};

/* The kind of c's caller. */
static unsigned
kind(const struct trd_call *c)
{
	const struct trd_daemon *d = c->d;
	const struct tr__peer *p;
	static const struct {
		const char *role;
		unsigned kind;
	} own[] = {
		{ "investigator", K_INVESTIGATOR }, { "clerk", K_CLERK },
		{ "liaison", K_LIAISON }, { "auditor", K_AUDITOR },
	};

	if (!c->identified)
		return 0;
	if (strcmp(c->id.role, "peer") == 0 || strcmp(c->id.role, "hub") == 0) {
		/* The directory never names this daemon's own State
		 * (tracerd.c, load_reloadable()). */
		p = d->peers != NULL ? tr__peers_get(d->peers, c->id.state) : NULL;
		if (p == NULL || strcmp(c->id.state, d->cf.state) == 0)
			return K_STRANGER;
		if (strcmp(c->id.role, "hub") == 0)
			return p->hub ? K_HUB : K_STRANGER;
		return p->hub ? K_STRANGER : K_PEER;
	}
	if (strcmp(c->id.state, d->cf.state) != 0)
		return K_STRANGER;
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strcmp(c->id.role, own[i].role) == 0)
			return own[i].kind;
	return K_STRANGER;
}

int
trd_access(struct trd_call *c)
{
	unsigned k = kind(c);

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (strcmp(rules[i].route, c->route) != 0)
			continue;
		if ((c->d->cf.hub ? rules[i].hub : rules[i].state) & k)
			return 1;
		trd_problem(c, "forbidden", rules[i].who, NULL);
		return 0;
	}
	/* A route missing from the table is a fault: nobody may call it. */
	trd_problem(c, "forbidden", "this endpoint has no callers", NULL);
	return 0;
}

int
trd_access_domestic(const struct trd_call *c)
{
	unsigned k = kind(c);

	return k == K_INVESTIGATOR || k == K_LIAISON;
}

void
trd_caller_text(const struct trd_identity *id, char *out, size_t len)
{
	size_t n, cut;

	/* "FR investigator sha256:HEX" and then as much of the name as fits,
	 * cut before a UTF-8 character rather than inside one. */
	n = (size_t)snprintf(out, len, "%s %s sha256:%s", id->state, id->role,
	    id->fp);
	if (n >= len || id->name[0] == '\0' || len - n < 3)
		return;
	cut = strlen(id->name);
	if (cut > len - n - 2)
		cut = cm_utf8_cut(id->name, len - n - 2);
	out[n] = ' ';
	memcpy(out + n + 1, id->name, cut);
	out[n + 1 + cut] = '\0';
}

int
trd_caller_is(const struct trd_identity *id, const char *stored)
{
	char who[TRD_CALLER_MAX + 1];
	size_t n;

	/* The part up to the fingerprint, whole: the name after it is for
	 * people to read and proves nothing. */
	n = (size_t)snprintf(who, sizeof(who), "%s %s sha256:%s", id->state,
	    id->role, id->fp);
	if (id->fp[0] == '\0' || n >= sizeof(who))
		return 0;
	return strncmp(stored, who, n) == 0 && (stored[n] == '\0' ||
	    stored[n] == ' ');
}
