/* The generated trace corpus: generation, loading, requests and scores. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "corpus.h"

static int
fail(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
corpus_generate(const char *dir, unsigned seed, long start, long weapons,
    int requests, char *msg, size_t msglen)
{
	const char *src = getenv("REG_TEST_SRCDIR");
	char cmd[8192];
	int st;

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s/tests/gen_corpus.py' --seed %u "
	    "--start %ld --weapons %ld --requests %d --state NL --out '%s'",
	    src ? src : ".", seed, start, weapons, requests, dir);
	st = system(cmd);
	if (st != 0)
		return fail(msg, msglen, "the corpus generator failed (status %d): %s",
		    st, cmd);
	return 0;
}

/* Splits a tab-separated line in place; returns the number of fields. */
static int
split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line, *t;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = p;
		if ((t = strchr(p, '\t')) == NULL)
			break;
		*t = '\0';
		p = t + 1;
	}
	return n;
}

static const char *
opt(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Adds setup.tsv's manufacturers and parties that the registry does not
 * have yet (a grown corpus names more parties than its first part).
 */

/*
 * A connection of the tests' own to ctx's database, for the few reads
 * below that no function of the library makes (the library keeps its
 * connection to itself); NULL when it cannot be made.
 */
static PGconn *
own_conn(reg_ctx *ctx)
{
	static const char *const keys[] = { "host", "port", "dbname", "user",
	    NULL };
	struct reg_server_info si;
	const char *vals[5];
	PGconn *conn;

	reg_server_info(ctx, &si);
	vals[0] = si.host;
	vals[1] = si.port;
	vals[2] = si.database;
	vals[3] = si.user;
	vals[4] = NULL;
	conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(conn) != CONNECTION_OK) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

static int
load_setup(reg_ctx *ctx, const reg_pii_keyring *kr, const char *path,
    char *msg, size_t msglen)
{
	reg_error err = REG_ERROR_INIT;
	char line[4096], *f[8], *a, *save = NULL, **have = NULL;
	struct reg_written w;
	long lineno = 0, in_tx = 0;
	PGconn *own;
	PGresult *res = NULL;
	FILE *fp;
	int r = 0, n, nhave = 0, i;

	/* The parties recorded already, by office reference. */
	if ((own = own_conn(ctx)) != NULL)
		res = PQexec(own, "SELECT office_ref FROM party WHERE office_ref "
		    "IS NOT NULL ORDER BY office_ref COLLATE \"C\"");
	PQfinish(own);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return fail(msg, msglen, "cannot read the parties");
	}
	nhave = PQntuples(res);
	have = calloc(nhave ? (size_t)nhave : 1, sizeof(*have));
	for (i = 0; have != NULL && i < nhave; i++)
		have[i] = PQgetvalue(res, i, 0);
	if ((fp = fopen(path, "r")) == NULL || have == NULL) {
		if (fp != NULL)
			fclose(fp);
		free(have);
		PQclear(res);
		return fail(msg, msglen, "cannot open %s", path);
	}
	while (r == 0 && fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		n = split(line, f, 8);
		if (strcmp(f[0], "manufacturer") == 0 && n >= 4) {
			reg_uuid id;

			if (reg_manufacturer_find(ctx, f[1], &id, NULL) == 0)
				continue;
		} else if (strcmp(f[0], "party") == 0 && n >= 7) {
			char *key = f[1];

			if (bsearch(&key, have, (size_t)nhave, sizeof(*have), cmp_str))
				continue;
		} else {
			r = -1;
			snprintf(err.message, sizeof(err.message), "not a manufacturer or "
			    "party line");
			break;
		}
		if (in_tx == 0 && (r = reg_tx_begin(ctx, &err)) != 0)
			break;
		in_tx++;
		if (strcmp(f[0], "manufacturer") == 0) {
			reg_uuid id;

			if ((r = reg_manufacturer_add(ctx, f[1], f[2], &w, &err)) != 0)
				break;
			id = w.id;
			for (a = strtok_r(f[3], "|", &save); a != NULL;
			    a = strtok_r(NULL, "|", &save)) {
				char *colon = strchr(a, ':');

				if (colon == NULL)
					continue;
				*colon = '\0';
				if ((r = reg_manufacturer_alias_add(ctx, &id, colon + 1, a, &w,
				    &err)) != 0)
					break;
			}
		} else {
			struct reg_person person;
			struct reg_party_in in = { f[2], NULL, f[4], opt(f[5]), opt(f[6]),
				f[1], NULL };

			memset(&person, 0, sizeof(person));
			if (strcmp(f[2], "private_person") == 0) {
				snprintf(person.name, sizeof(person.name), "%s", f[3]);
				snprintf(person.address, sizeof(person.address), "%s, %s",
				    f[5], f[4]);
				in.person = &person;
			} else {
				in.name = f[3];
			}
			r = reg_party_add(ctx, kr, &in, &w, &err);
		}
		if (r == 0 && in_tx == 1000) {
			r = reg_tx_commit(ctx, &err);
			in_tx = 0;
		}
	}
	if (r == 0 && in_tx > 0)
		r = reg_tx_commit(ctx, &err);
	fclose(fp);
	free(have);
	PQclear(res);
	if (r != 0) {
		reg_tx_rollback(ctx, NULL);
		return fail(msg, msglen, "%s:%ld: %s", path, lineno, err.message);
	}
	return 0;
}

struct progress {
	const char *what;
	double start;
	int show;
};

static void
on_progress(const struct reg_import_stats *st, uint64_t bytes, void *arg)
{
	struct progress *p = arg;
	double t = now() - p->start;

	(void)bytes;
	if (p->show)
		fprintf(stderr, "\r  %s: %llu rows, %.0f rows/s   ", p->what,
		    (unsigned long long)st->rows, t > 0 ? (double)st->rows / t : 0.0);
}

static void
on_reject(uint64_t line, const char *why, const char *raw, void *arg)
{
	(void)arg;
	fprintf(stderr, "\n  line %llu rejected: %s: %.200s\n",
	    (unsigned long long)line, why, raw);
}

static int
import(reg_ctx *ctx, const char *path, const char *what, int show, char *msg,
    size_t msglen)
{
	reg_error err = REG_ERROR_INIT;
	struct progress p = { what, now(), show };
	struct reg_import_opts o = { 10000, on_reject, on_progress, &p, NULL };
	struct reg_import_stats st;
	FILE *fp;
	int r;

	if ((fp = fopen(path, "r")) == NULL)
		return fail(msg, msglen, "cannot open %s", path);
	r = reg_import_csv(ctx, fp, &o, &st, &err);
	fclose(fp);
	if (show)
		fprintf(stderr, "\r  %s: %llu imported, %llu skipped in %.1f s%20s\n", what,
		    (unsigned long long)st.imported, (unsigned long long)st.skipped,
		    now() - p.start, "");
	if (r != 0)
		return fail(msg, msglen, "%s: %s", path, err.message);
	if (st.rejected != 0)
		return fail(msg, msglen, "%s: %llu rows rejected", path,
		    (unsigned long long)st.rejected);
	return 0;
}

static int
load_markings(reg_ctx *ctx, const char *path, char *msg, size_t msglen)
{
	reg_error err = REG_ERROR_INIT;
	PGconn *conn;
	char line[4096], *f[8];
	long lineno = 0, in_tx = 0;
	FILE *fp;
	int r = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;	/* a corpus without import markings */
	if ((conn = own_conn(ctx)) == NULL) {
		fclose(fp);
		return fail(msg, msglen, "%s: cannot connect to the database", path);
	}
	while (r == 0 && fgets(line, sizeof(line), fp) != NULL) {
		const char *params[1];
		struct reg_marking_in mk;
		struct reg_written w;
		reg_uuid wid;
		PGresult *res;

		lineno++;
		if (split(line, f, 8) < 7)
			continue;
		params[0] = f[0];
		res = PQexecParams(conn, "SELECT id::text FROM weapon WHERE office_ref = $1",
		    1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
		    reg_uuid_parse(PQgetvalue(res, 0, 0), &wid, &err) != 0) {
			PQclear(res);
			PQfinish(conn);
			fclose(fp);
			return fail(msg, msglen, "%s:%ld: no weapon %s", path, lineno, f[0]);
		}
		PQclear(res);
		mk.kind = f[1];
		mk.text = f[2];
		mk.location = opt(f[3]);
		mk.country = opt(f[4]);
		mk.year = atoi(f[5]);
		mk.new_serial = opt(f[6]);
		if (in_tx == 0 && (r = reg_tx_begin(ctx, &err)) != 0)
			break;
		in_tx++;
		r = reg_marking_add(ctx, &wid, &mk, &w, &err);
		if (r == 0 && in_tx == 1000) {
			r = reg_tx_commit(ctx, &err);
			in_tx = 0;
		}
	}
	if (r == 0 && in_tx > 0)
		r = reg_tx_commit(ctx, &err);
	PQfinish(conn);
	fclose(fp);
	if (r != 0) {
		reg_tx_rollback(ctx, NULL);
		return fail(msg, msglen, "%s:%ld: %s", path, lineno, err.message);
	}
	return 0;
}

int
corpus_load(reg_ctx *ctx, const reg_pii_keyring *kr, const char *dir,
    int progress, char *msg, size_t msglen)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/setup.tsv", dir);
	if (load_setup(ctx, kr, path, msg, msglen) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/weapons.csv", dir);
	if (import(ctx, path, "weapons", progress, msg, msglen) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/markings.tsv", dir);
	if (load_markings(ctx, path, msg, msglen) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/events.csv", dir);
	return import(ctx, path, "events", progress, msg, msglen);
}

static const char *
str(const json_t *j)
{
	return json_is_string(j) ? json_string_value(j) : "?";
}

int
corpus_requests(reg_ctx *ctx, const char *dir, struct corpus_request **out,
    size_t *n, char *msg, size_t msglen)
{
	struct corpus_request *r = NULL, *nr;
	size_t cnt = 0, cap = 0;
	char path[4200], *line = NULL;
	size_t linecap = 0;
	long lineno = 0;
	PGconn *conn;
	FILE *fp;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/requests.jsonl", dir);
	if ((fp = fopen(path, "r")) == NULL)
		return fail(msg, msglen, "cannot open %s", path);
	if ((conn = own_conn(ctx)) == NULL) {
		fclose(fp);
		return fail(msg, msglen, "cannot connect to the database");
	}
	while (getline(&line, &linecap, fp) > 0) {
		proto_error perr = PROTO_ERROR_INIT;
		json_error_t je;
		json_t *j = json_loads(line, 0, &je), *req;
		char *text;
		const char *params[1];
		PGresult *res;
		struct corpus_request *c;

		lineno++;
		if (j == NULL || (req = json_object_get(j, "request")) == NULL) {
			json_decref(j);
			goto bad;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 256;
			if ((nr = realloc(r, cap * sizeof(*r))) == NULL) {
				json_decref(j);
				goto bad;
			}
			r = nr;
		}
		c = &r[cnt];
		memset(c, 0, sizeof(*c));
		snprintf(c->damage, sizeof(c->damage), "%s",
		    str(json_object_get(j, "damage")));
		snprintf(c->truth, sizeof(c->truth), "%s",
		    str(json_object_get(j, "truth")));
		c->ambiguous = json_is_true(json_object_get(j, "ambiguous"));
		c->misleading = json_is_true(json_object_get(j, "misleading"));
		text = json_dumps(req, JSON_COMPACT);
		json_decref(j);
		if (text == NULL || proto_request_parse(text, strlen(text), &c->req,
		    &perr) != 0) {
			fprintf(stderr, "%s:%ld: %s\n", path, lineno, perr.message);
			free(text);
			goto bad;
		}
		free(text);
		params[0] = c->truth;
		res = PQexecParams(conn, "SELECT id::text FROM weapon "
		    "WHERE office_ref = $1", 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
			snprintf(c->truth_id, sizeof(c->truth_id), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		if (c->truth_id[0] == '\0') {
			proto_request_free(c->req);
			PQfinish(conn);
			fclose(fp);
			free(line);
			corpus_requests_free(r, cnt);
			return fail(msg, msglen, "%s:%ld: the truth %s is not in the "
			    "registry", path, lineno, c->truth);
		}
		cnt++;
	}
	PQfinish(conn);
	fclose(fp);
	free(line);
	*out = r;
	*n = cnt;
	return 0;
bad:
	PQfinish(conn);
	fclose(fp);
	free(line);
	corpus_requests_free(r, cnt);
	return fail(msg, msglen, "%s:%ld: not a corpus request line", path, lineno);
}

void
corpus_requests_free(struct corpus_request *r, size_t n)
{
	size_t i;

	for (i = 0; r != NULL && i < n; i++)
		proto_request_free(r[i].req);
	free(r);
}

int
corpus_damage_is_chars(const char *d)
{
	return strcmp(d, "misread1") == 0 || strcmp(d, "misread2") == 0 ||
	    strcmp(d, "unreadable1") == 0 || strcmp(d, "unreadable2") == 0 ||
	    strcmp(d, "wrong_char") == 0 || strcmp(d, "transposition") == 0;
}

int
corpus_score_add(struct corpus_score **scores, size_t *n,
    const struct corpus_request *r, const proto_response *resp)
{
	struct corpus_score *s = NULL, *ns;
	size_t i;
	int top1 = 0, top5 = 0, listed = 0, found = strcmp(resp->status, "found") == 0;

	for (i = 0; i < *n; i++)
		if (strcmp((*scores)[i].damage, r->damage) == 0)
			s = &(*scores)[i];
	if (s == NULL) {
		if ((ns = realloc(*scores, (*n + 1) * sizeof(*ns))) == NULL)
			return -1;
		*scores = ns;
		s = &ns[(*n)++];
		memset(s, 0, sizeof(*s));
		snprintf(s->damage, sizeof(s->damage), "%s", r->damage);
	}
	for (i = 0; i < resp->n_candidates; i++)
		if (strcmp(resp->candidates[i].weapon.id, r->truth_id) == 0) {
			listed = 1;
			top5 = i < 5;
			top1 = i == 0;
		}
	s->n++;
	s->found += found;
	s->wrong_found += found && !top1;
	if (r->misleading) {
		s->misleading++;
	} else if (r->ambiguous) {
		s->ambiguous++;
		s->ambiguous_ok += strcmp(resp->status, "ambiguous") == 0 && listed;
		s->ambiguous_wrong_found += found && !top1;
	} else {
		s->resolvable++;
		s->top1 += top1;
		s->top5 += top5;
	}
	return 0;
}

static double
pct(int a, int b)
{
	return b > 0 ? 100.0 * a / b : 100.0;
}

void
corpus_score_print(const struct corpus_score *s, size_t n)
{
	size_t i;

	printf("  %-20s %5s %6s %7s %7s %6s %7s %6s %9s %7s\n", "damage", "n",
	    "resolv", "top-1", "top-5", "found", "wrong", "ambig", "ambig-ok",
	    "ambig-wrong");
	for (i = 0; i < n; i++)
		printf("  %-20s %5d %6d %6.1f%% %6.1f%% %6d %7d %6d %8.1f%% %7d%s\n",
		    s[i].damage, s[i].n, s[i].resolvable, pct(s[i].top1, s[i].resolvable),
		    pct(s[i].top5, s[i].resolvable), s[i].found, s[i].wrong_found,
		    s[i].ambiguous, pct(s[i].ambiguous_ok, s[i].ambiguous),
		    s[i].ambiguous_wrong_found,
		    s[i].misleading ? " (misleading requests left out)" : "");
	printf("  (top-1/top-5 over resolvable requests: no other registered weapon fits as "
	    "well; misleading: the damaged serial is another weapon's)\n");
}

void
corpus_explain(const struct corpus_request *r, const proto_response *resp)
{
	size_t i;
	int top1;

	top1 = resp->n_candidates > 0 &&
	    strcmp(resp->candidates[0].weapon.id, r->truth_id) == 0;
	int listed = 0;

	for (i = 0; i < resp->n_candidates; i++)
		listed |= strcmp(resp->candidates[i].weapon.id, r->truth_id) == 0;
	if (r->misleading || (r->ambiguous ?
	    strcmp(resp->status, "ambiguous") == 0 && listed : top1))
		return;
	printf("%s %s '%s' (%s%s): %s\n", r->damage, r->truth, r->req->weapon.serial,
	    r->ambiguous ? "ambiguous" : "resolvable", top1 ? ", truth first" : "",
	    resp->status);
	for (i = 0; i < resp->n_candidates && i < 5; i++) {
		const struct proto_candidate *c = &resp->candidates[i];
		size_t k;

		printf("   %.4f %s %s %s %d%s:", c->score, c->weapon.serial,
		    c->weapon.model ? c->weapon.model : "-", c->weapon.type,
		    c->weapon.year_of_manufacture,
		    strcmp(c->weapon.id, r->truth_id) == 0 ? " (truth)" : "");
		for (k = 0; k < c->n_reasons; k++)
			printf(" %s;", c->reasons[k]);
		printf("\n");
	}
}
