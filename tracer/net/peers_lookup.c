/*
 * The peers directory once loaded (tracer/net/peers.c reads it): the
 * States in the file's order or by code, the way to reach each, the
 * signing key of a kid; and freeing it.  A loaded directory never
 * changes, so that threads may read it at once.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "peers_int.h"

int
tr__country_user_assigned(const char *code)
{
	if (code == NULL || strlen(code) != 2 || code[0] < 'A' || code[0] > 'Z' ||
	    code[1] < 'A' || code[1] > 'Z')
		return 0;
	return strcmp(code, "AA") == 0 || strcmp(code, "ZZ") == 0 ||
	    (code[0] == 'Q' && code[1] >= 'M') || code[0] == 'X';
}

void
tr__peers_free(tr__peers *p)
{
	struct peer_entry *e;
	size_t i;
	int j;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		e = p->v[i];
		free(e->peer.name);
		free(e->peer.url);
		free(e->peer.host);
		free(e->peer.ca_file);
		free(e->peer.pinned_cert);
		reg_key_free(e->peer.log_key);
		for (j = 0; j < e->nkeys; j++)
			proto_jws_key_free(e->keys[j].key);
		free(e);
	}
	free(p->v);
	free(p);
}

size_t
tr__peers_count(const tr__peers *p)
{
	return p != NULL ? p->n : 0;
}

const struct tr__peer *
tr__peers_at(const tr__peers *p, size_t i)
{
	return p != NULL && i < p->n ? &p->v[i]->peer : NULL;
}

const struct tr__peer *
tr__peers_get(const tr__peers *p, const char *code)
{
	struct peer_entry *e;

	if (p == NULL || code == NULL || strlen(code) != 2)
		return NULL;
	e = peers_find(p, code);
	return e != NULL ? &e->peer : NULL;
}

const struct tr__peer *
tr__peers_route(const tr__peers *p, const char *state)
{
	struct peer_entry *e;

	if (p == NULL || state == NULL || strlen(state) != 2 ||
	    (e = peers_find(p, state)) == NULL)
		return NULL;
	if (e->peer.via[0] == '\0')
		return &e->peer;
	e = peers_find(p, e->peer.via);
	return e != NULL && e->peer.via[0] == '\0' ? &e->peer : NULL;
}

const proto_jws_key *
tr__peers_key(const tr__peers *p, const char *kid)
{
	struct peer_entry *e;
	int j;

	if (p == NULL || kid == NULL || strlen(kid) < 4 || kid[2] != '/')
		return NULL;
	if ((e = peers_find(p, kid)) == NULL)
		return NULL;
	for (j = 0; j < e->nkeys; j++)
		if (strcmp(proto_jws_key_kid(e->keys[j].key), kid) == 0)
			return e->keys[j].key;
	return NULL;
}
