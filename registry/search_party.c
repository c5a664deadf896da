/*
 * The parties of the weapons a search found, read by id into a cache that
 * lives as long as the search handle: party records never change, so a
 * warm handle reads none.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "search_int.h"

#define CACHE_MAX (1 << 17)		/* parties kept at most */

static void
party_free(struct reg_search_party *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->region);
	free(p->licence);
	free(p->pii);
	free(p);
}

void
reg__party_cache_clear(struct reg__party_cache *pc)
{
	size_t i;

	for (i = 0; i < pc->by_id.cap; i++)
		if (pc->by_id.t[i].key != NULL)
			party_free(pc->by_id.t[i].val);
	cm_strmap_free(&pc->by_id);
}

void
reg_search_trim(reg_search *s)
{
	if (s != NULL && s->parties.by_id.n >= CACHE_MAX)
		reg__party_cache_clear(&s->parties);
}

static struct reg_search_party *
cache_get(struct reg__party_cache *pc, const char *id)
{
	return cm_strmap_get(&pc->by_id, id);
}

/* Takes p into the cache (or frees it when its id is there already). */
static int
cache_put(struct reg__party_cache *pc, struct reg_search_party *p)
{
	if (cm_strmap_get(&pc->by_id, p->id) != NULL) {
		party_free(p);
		return 0;
	}
	return cm_strmap_put(&pc->by_id, p->id, p);
}

static char *
dup_col(PGresult *res, int row, int col, int *failed)
{
	char *s;

	if (PQgetisnull(res, row, col))
		return NULL;
	if ((s = strdup(PQgetvalue(res, row, col))) == NULL)
		*failed = 1;
	return s;
}

/* A party of row i, or NULL (*failed set) when out of memory. */
static struct reg_search_party *
party_row(PGresult *res, int i, int *failed)
{
	struct reg_search_party *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		*failed = 1;
		return NULL;
	}
	reg__search_fixed(p->id, sizeof(p->id), res, i, 0);
	reg__search_fixed(p->kind, sizeof(p->kind), res, i, 1);
	p->name = dup_col(res, i, 2, failed);
	reg__search_fixed(p->country, sizeof(p->country), res, i, 3);
	p->region = dup_col(res, i, 4, failed);
	p->licence = dup_col(res, i, 5, failed);
	if (!PQgetisnull(res, i, 6)) {
		size_t n = 0;
		unsigned char *b = PQunescapeBytea(
		    (const unsigned char *)PQgetvalue(res, i, 6), &n);

		if (b == NULL || (p->pii = malloc(n ? n : 1)) == NULL)
			*failed = 1;
		else
			memcpy(p->pii, b, n);
		p->pii_len = n;
		PQfreemem(b);
	}
	return p;
}

/* Reads the parties of arr (a uuid[] literal) into the cache. */
static int
read_parties(reg_search *s, const char *arr, reg_error *err)
{
	PGconn *conn = reg__conn(s->ctx);
	const char *params[1] = { arr };
	PGresult *res;
	int i, failed = 0;

	res = PQexecPrepared(conn, REG__PARTIES_STMT, 1, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int r = reg__search_fail_pg(err, conn, res, "cannot read the parties");

		PQclear(res);
		return r;
	}
	for (i = 0; i < PQntuples(res) && !failed; i++) {
		struct reg_search_party *p = party_row(res, i, &failed);

		if (p != NULL && (failed || cache_put(&s->parties, p) != 0)) {
			party_free(p);
			failed = 1;
		}
	}
	PQclear(res);
	return failed ? reg__fail(err, REG_ENOMEM, "out of memory") : 0;
}

/* The parties missing from the cache: where each goes, by id. */
struct miss {
	const char *id;
	const struct reg_search_party **dst;
};

/* Points e's parties at the cache's, adding those it lacks to *miss. */
static int
event_parties(struct reg__party_cache *pc, struct reg_search_event *e,
    struct miss **miss, int *nmiss, int *cap)
{
	const char *ids[2] = { e->from_id, e->to_id };
	const struct reg_search_party **dst[2] = { &e->from, &e->to };
	int s;

	for (s = 0; s < 2; s++) {
		if (ids[s][0] == '\0' || (*dst[s] = cache_get(pc, ids[s])) != NULL)
			continue;
		if (*nmiss == *cap) {
			struct miss *m;

			*cap = *cap ? *cap * 2 : 32;
			if ((m = realloc(*miss, (size_t)*cap * sizeof(*m))) == NULL)
				return -1;
			*miss = m;
		}
		(*miss)[(*nmiss)++] = (struct miss){ ids[s], dst[s] };
	}
	return 0;
}

int
reg_search_parties(reg_search *s, struct reg_search_weapon *const *list,
    int n, reg_error *err)
{
	struct miss *miss = NULL;
	const char **ids = NULL;
	char *arr = NULL;
	int i, k, nmiss = 0, cap = 0, r = 0;

	if (s == NULL || (list == NULL && n != 0) || n < 0)
		return reg__fail(err, REG_EINVAL, "no search or no weapons");
	/* The parties the cache holds now; the others once read. */
	for (i = 0; i < n; i++)
		for (k = 0; k < list[i]->nev; k++)
			if (event_parties(&s->parties, &list[i]->ev[k], &miss,
			    &nmiss, &cap) != 0) {
				free(miss);
				return reg__fail(err, REG_ENOMEM, "out of memory");
			}
	if (nmiss > 0) {
		if ((ids = malloc((size_t)nmiss * sizeof(*ids))) != NULL &&
		    (arr = malloc(REG__UUIDS_SIZE(nmiss))) != NULL) {
			for (i = 0; i < nmiss; i++)
				ids[i] = miss[i].id;
			reg__search_uuids(arr, ids, nmiss);
		}
		r = arr == NULL ? reg__fail(err, REG_ENOMEM, "out of memory") :
		    read_parties(s, arr, err);
		for (i = 0; r == 0 && i < nmiss; i++)
			*miss[i].dst = cache_get(&s->parties, miss[i].id);
	}
	free(arr);
	free(ids);
	free(miss);
	return r;
}
