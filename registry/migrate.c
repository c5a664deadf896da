/*
 * The migration runner: applies migrations/NNNN_name.sql in order, each once
 * and in its own transaction, and refuses a folder or a history that does
 * not add up.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "common/hex.h"
#include "registry_int.h"

#define MIGRATION_MAX_BYTES (16u << 20)
#define MIGRATION_MAX_FILES 9999
/* Serialises migration runs on one database (any constant will do). */
#define MIGRATE_LOCK_KEY "7238294711"

struct migration {
	int version;
	char name[256];
	char sha256[65];
	char *text;		/* loaded lazily: only pending ones */
	int applied;
	char applied_at[40];
};

struct plan {
	struct migration *m;
	size_t n;
};

static void
plan_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->m[i].text);
	free(p->m);
	p->m = NULL;
	p->n = 0;
}

static int
cmp_version(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Parses NNNN_name.sql.  Returns the version, 0 when the name does not
 * end in ".sql" (not a migration), -1 when it ends in ".sql" but is not
 * of the expected form.
 */
static int
parse_name(const char *name)
{
	size_t len = strlen(name), i;
	int v = 0;

	if (len < 4 || strcmp(name + len - 4, ".sql") != 0)
		return 0;
	if (len < 10 || len >= 256)
		return -1;
	for (i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)name[i]))
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	if (name[4] != '_' || v == 0)
		return -1;
	for (i = 5; i < len - 4; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!(islower(c) || isdigit(c) || c == '_' || c == '-'))
			return -1;
	}
	return v;
}

static int
read_file(const char *dir, const char *name, char **text, reg_error *err)
{
	char path[4096];
	FILE *f = NULL;
	struct stat st;
	char *buf = NULL;
	int r = REG_EIO;

	*text = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return reg__fail(err, REG_EINVAL, "path too long: %s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		r = reg__fail(err, REG_EIO, "cannot open migration %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		r = reg__fail(err, REG_EIO, "migration %s is not a regular file", path);
		goto out;
	}
	if ((uintmax_t)st.st_size > MIGRATION_MAX_BYTES) {
		r = reg__fail(err, REG_ETOOBIG, "migration %s is over %u bytes", path,
		    MIGRATION_MAX_BYTES);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		r = reg__fail(err, REG_ENOMEM, "cannot read %s: out of memory", path);
		goto out;
	}
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		r = reg__fail(err, REG_EIO, "cannot read migration %s", path);
		goto out;
	}
	buf[st.st_size] = '\0';
	if (strlen(buf) != (size_t)st.st_size) {
		r = reg__fail(err, REG_EINVAL, "migration %s contains a NUL byte", path);
		goto out;
	}
	*text = buf;
	buf = NULL;
	r = 0;
out:
	free(buf);
	if (f != NULL)
		fclose(f);
	return r;
}

static void
sha256_hex(const char *text, char out[65])
{
	uint8_t md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) != 1)
		memset(md, 0, sizeof(md));
	cm_hex_encode(md, 32, out);
}

/* Lists the folder's migrations, checked for gaps and duplicates. */
static int
scan_dir(const char *dir, struct plan *p, reg_error *err)
{
	DIR *d = NULL;
	struct dirent *de;
	struct migration *m;
	size_t cap = 0, i;
	int r = REG_EMIGRATION, v;

	memset(p, 0, sizeof(*p));
	d = opendir(dir);
	if (d == NULL) {
		r = reg__fail(err, errno == ENOENT ? REG_ENOTFOUND : REG_EIO,
		    "cannot open the migrations folder %s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		v = parse_name(de->d_name);
		if (v == 0)
			continue;
		if (v < 0) {
			r = reg__fail(err, REG_EMIGRATION,
			    "%s/%s: a migration's name must be NNNN_name.sql "
			    "(four digits from 0001, then lower-case letters, digits, '_' or '-')",
			    dir, de->d_name);
			goto out;
		}
		if (p->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;

			if (ncap > MIGRATION_MAX_FILES) {
				r = reg__fail(err, REG_ETOOBIG, "%s: too many migrations", dir);
				goto out;
			}
			m = realloc(p->m, ncap * sizeof(*m));
			if (m == NULL) {
				r = reg__fail(err, REG_ENOMEM, "out of memory");
				goto out;
			}
			p->m = m;
			cap = ncap;
		}
		m = &p->m[p->n++];
		memset(m, 0, sizeof(*m));
		m->version = v;
		snprintf(m->name, sizeof(m->name), "%s", de->d_name);
	}
	if (p->n > 0)
		qsort(p->m, p->n, sizeof(*p->m), cmp_version);
	for (i = 0; i < p->n; i++) {
		if (i > 0 && p->m[i].version == p->m[i - 1].version) {
			r = reg__fail(err, REG_EMIGRATION,
			    "%s: two migrations have the number %04d: %s and %s; "
			    "renumber one of them", dir, p->m[i].version,
			    p->m[i - 1].name, p->m[i].name);
			goto out;
		}
		if (p->m[i].version != (int)i + 1) {
			r = reg__fail(err, REG_EMIGRATION,
			    "%s: migration %04zu is missing before %s; "
			    "migrations are numbered from 0001 without gaps",
			    dir, i + 1, p->m[i].name);
			goto out;
		}
		if ((r = read_file(dir, p->m[i].name, &p->m[i].text, err)) != 0)
			goto out;
		sha256_hex(p->m[i].text, p->m[i].sha256);
	}
	r = 0;
out:
	if (d != NULL)
		closedir(d);
	if (r != 0)
		plan_free(p);
	return r;
}

static int
exec_simple(PGconn *conn, const char *sql, const char *what, reg_error *err)
{
	PGresult *res = PQexec(conn, sql);
	int r = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		r = reg__fail_pg(err, conn, res, "%s", what);
	PQclear(res);
	return r;
}

/*
 * Marks which migrations are applied, and checks the history against the
 * folder: an applied migration must still be in the folder, unchanged.
 */
static int
load_applied(PGconn *conn, const char *dir, struct plan *p, reg_error *err)
{
	PGresult *res = NULL;
	int r = REG_EMIGRATION, i, n, v;
	const char *name, *sha;

	res = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, conn, res, "cannot read the migration history");
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		r = 0;	/* nothing applied yet */
		goto out;
	}
	PQclear(res);
	res = PQexec(conn,
	    "SELECT version, name, sha256, "
	    "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	    "FROM schema_migrations ORDER BY version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = reg__fail_pg(err, conn, res, "cannot read the migration history");
		goto out;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		v = atoi(PQgetvalue(res, i, 0));
		name = PQgetvalue(res, i, 1);
		sha = PQgetvalue(res, i, 2);
		if (v < 1 || (size_t)v > p->n) {
			r = reg__fail(err, REG_EMIGRATION,
			    "applied migration %s is missing from %s; "
			    "restore it (migrations are never removed)", name, dir);
			goto out;
		}
		if (strcmp(p->m[v - 1].name, name) != 0) {
			r = reg__fail(err, REG_EMIGRATION,
			    "%s/%s has number %04d, but the database applied %s under that number; "
			    "restore the original file", dir, p->m[v - 1].name, v, name);
			goto out;
		}
		if (strcmp(p->m[v - 1].sha256, sha) != 0) {
			r = reg__fail(err, REG_EMIGRATION,
			    "%s/%s changed after it was applied (SHA-256 %s, applied %s); "
			    "restore the original text and put the change in a new migration",
			    dir, name, p->m[v - 1].sha256, sha);
			goto out;
		}
		p->m[v - 1].applied = 1;
		snprintf(p->m[v - 1].applied_at, sizeof(p->m[v - 1].applied_at),
		    "%s", PQgetvalue(res, i, 3));
	}
	r = 0;
out:
	PQclear(res);
	return r;
}

/* The line of text that a 1-based character position falls on. */
static int
line_of(const char *text, const char *pos)
{
	long want, chars = 0;
	int line = 1;
	const unsigned char *s = (const unsigned char *)text;

	if (pos == NULL)
		return 0;
	want = strtol(pos, NULL, 10);
	for (; *s != '\0'; s++) {
		if ((*s & 0xc0) == 0x80)
			continue;	/* UTF-8 continuation byte */
		if (++chars >= want)
			break;
		if (*s == '\n')
			line++;
	}
	return line;
}

/*
 * Applies one migration in a transaction of its own, with its record in
 * schema_migrations.  The file's text runs as one multi-statement query; a
 * file that issues its own COMMIT or ROLLBACK would end that transaction
 * early, and the runner does not parse SQL to refuse such a file: migrations
 * must not manage transactions themselves.
 */
static int
apply_one(PGconn *conn, const char *dir, struct migration *m, reg_error *err)
{
	PGresult *res = NULL;
	char version[16];
	const char *params[3];
	int r, line;

	if ((r = exec_simple(conn, "BEGIN", "cannot begin a transaction", err)) != 0)
		return r;
	res = PQexec(conn, m->text);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_EMPTY_QUERY) {
		line = line_of(m->text,
		    PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION));
		if (line > 0)
			r = reg__fail_pg(err, conn, res,
			    "migration %s/%s failed at line %d (rolled back; later migrations not tried)",
			    dir, m->name, line);
		else
			r = reg__fail_pg(err, conn, res,
			    "migration %s/%s failed (rolled back; later migrations not tried)",
			    dir, m->name);
		goto out;
	}
	PQclear(res);
	snprintf(version, sizeof(version), "%d", m->version);
	params[0] = version;
	params[1] = m->name;
	params[2] = m->sha256;
	res = PQexecParams(conn,
	    "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)",
	    3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		r = reg__fail_pg(err, conn, res,
		    "cannot record migration %s (rolled back)", m->name);
		goto out;
	}
	PQclear(res);
	res = NULL;
	r = exec_simple(conn, "COMMIT", "cannot commit the migration", err);
	if (r == 0)
		m->applied = 1;
	return r;
out:
	PQclear(res);
	res = PQexec(conn, "ROLLBACK");
	PQclear(res);
	return r;
}

static int
lock_migrations(PGconn *conn, int lock, reg_error *err)
{
	return exec_simple(conn, lock ?
	    "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")" :
	    "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")",
	    "cannot take the migration lock", err);
}

int
reg_migrate(reg_ctx *ctx, const char *dir, reg_migrate_cb cb, void *cbarg,
    int *napplied, reg_error *err)
{
	struct plan p;
	size_t i;
	int r, locked = 0, count = 0;

	if (napplied != NULL)
		*napplied = 0;
	if ((r = scan_dir(dir, &p, err)) != 0)
		return r;
	if ((r = lock_migrations(ctx->conn, 1, err)) != 0)
		goto out;
	locked = 1;
	if ((r = load_applied(ctx->conn, dir, &p, err)) != 0)
		goto out;
	for (i = 0; i < p.n; i++) {
		if (p.m[i].applied)
			continue;
		if ((r = apply_one(ctx->conn, dir, &p.m[i], err)) != 0)
			goto out;
		count++;
		if (cb != NULL)
			cb(p.m[i].name, cbarg);
	}
	r = 0;
out:
	if (locked)
		(void)lock_migrations(ctx->conn, 0, NULL);
	if (napplied != NULL)
		*napplied = count;
	plan_free(&p);
	return r;
}

int
reg_migrate_status(reg_ctx *ctx, const char *dir, reg_migration_status **out,
    size_t *n, reg_error *err)
{
	struct plan p;
	reg_migration_status *st = NULL;
	size_t i;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = scan_dir(dir, &p, err)) != 0)
		return r;
	if ((r = load_applied(ctx->conn, dir, &p, err)) != 0)
		goto out;
	st = calloc(p.n ? p.n : 1, sizeof(*st));
	if (st == NULL) {
		r = reg__fail(err, REG_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < p.n; i++) {
		st[i].version = p.m[i].version;
		snprintf(st[i].name, sizeof(st[i].name), "%s", p.m[i].name);
		st[i].applied = p.m[i].applied;
		snprintf(st[i].applied_at, sizeof(st[i].applied_at), "%s",
		    p.m[i].applied_at);
		memcpy(st[i].sha256, p.m[i].sha256, sizeof(st[i].sha256));
	}
	*out = st;
	*n = p.n;
	st = NULL;
	r = 0;
out:
	free(st);
	plan_free(&p);
	return r;
}
