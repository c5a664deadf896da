/*
 * Who is calling: the kind of caller that proto/README.md 13.3's table of
 * endpoints and callers names, which the route table (tracerd_routes.c)
 * holds each endpoint's row against.  A caller is one of a few kinds, read
 * from its verified certificate (tls.c) and the peers directory in force:
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

unsigned
trd_caller_kind(const struct trd_call *c)
{
	const struct trd_daemon *d = c->d;
	const struct tr__peer *p;
	static const struct {
		const char *role;
		unsigned kind;
	} own[] = {
		{ "investigator", TRD_K_INVESTIGATOR }, { "clerk", TRD_K_CLERK },
		{ "liaison", TRD_K_LIAISON }, { "auditor", TRD_K_AUDITOR },
	};

	if (!c->identified)
		return 0;
	if (strcmp(c->id.role, "peer") == 0 || strcmp(c->id.role, "hub") == 0) {
		/* The directory never names this daemon's own State
		 * (tracerd.c, load_reloadable()). */
		p = d->peers != NULL ? tr__peers_get(d->peers, c->id.state) : NULL;
		if (p == NULL || strcmp(c->id.state, d->cf.state) == 0)
			return TRD_K_STRANGER;
		if (strcmp(c->id.role, "hub") == 0)
			return p->hub ? TRD_K_HUB : TRD_K_STRANGER;
		return p->hub ? TRD_K_STRANGER : TRD_K_PEER;
	}
	if (strcmp(c->id.state, d->cf.state) != 0)
		return TRD_K_STRANGER;
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strcmp(c->id.role, own[i].role) == 0)
			return own[i].kind;
	return TRD_K_STRANGER;
}

int
trd_access_domestic(const struct trd_call *c)
{
	unsigned k = trd_caller_kind(c);

	return k == TRD_K_INVESTIGATOR || k == TRD_K_LIAISON;
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
