/*
 * The local default cluster: a PostgreSQL cluster the programs create for
 * themselves under the build tree when no database is configured.  It
 * listens on a Unix socket in its own folder only.  PostgreSQL refuses to
 * run as root, so as root the cluster belongs to the "postgres" user.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <libpq-fe.h>

#include "registry/cli.h"

#define LOCAL_DB "registry"
#define ARGV_MAX 32

static int
fail(reg_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err->code != 0)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

const char *
cli_local_dir(void)
{
	static char buf[1024];
	const char *env = getenv("REGISTRY_LOCAL_DIR");

	if (env != NULL && *env != '\0' && strlen(env) < sizeof(buf))
		return env;
	snprintf(buf, sizeof(buf), "%s/var/pg", REG_BUILDDIR);
	return buf;
}

static const char *
pg_bindir(void)
{
	const char *env = getenv("PG_BINDIR");

	return env != NULL && *env != '\0' ? env : REG_PG_BINDIR_DEFAULT;
}

/*
 * Runs a PostgreSQL program (as "postgres" when we are root) and waits.
 * Its output goes to logpath when given, else to /dev/null.  Returns its
 * exit status, or -1 when it could not be started.
 */
static int
run_pg(const char *logpath, const char *prog, ...)
{
	const char *argv[ARGV_MAX];
	char path[4096];
	va_list ap;
	int argc = 0, status, fd;
	pid_t pid;
	const char *a;

	snprintf(path, sizeof(path), "%s/%s", pg_bindir(), prog);
	if (geteuid() == 0) {
		argv[argc++] = "runuser";
		argv[argc++] = "-u";
		argv[argc++] = "postgres";
		argv[argc++] = "--";
	}
	argv[argc++] = path;
	va_start(ap, prog);
	while ((a = va_arg(ap, const char *)) != NULL && argc < ARGV_MAX - 1)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(logpath != NULL ? logpath : "/dev/null",
		    O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			close(fd);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Creates dir (and its parents) owned by the cluster's user, mode 0700. */
static int
make_dir(const char *dir, reg_error *err)
{
	char tmp[4096];
	char *p;
	struct passwd *pw;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return fail(err, REG_EIO, "cannot create %s: %s", tmp,
			    strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return fail(err, REG_EIO, "cannot create %s: %s", tmp, strerror(errno));
	if (geteuid() == 0) {
		pw = getpwnam("postgres");
		if (pw == NULL)
			return fail(err, REG_EIO,
			    "PostgreSQL refuses to run as root and there is no \"postgres\" user; "
			    "install PostgreSQL (apt-get install postgresql) or set REGISTRY_DB");
		if (chown(tmp, pw->pw_uid, pw->pw_gid) != 0)
			return fail(err, REG_EIO, "cannot give %s to postgres: %s", tmp,
			    strerror(errno));
	}
	return 0;
}

int
cli_local_running(void)
{
	char data[1100];

	snprintf(data, sizeof(data), "%s/data", cli_local_dir());
	if (!file_exists(data))
		return 0;
	return run_pg(NULL, "pg_ctl", "status", "-D", data, (const char *)NULL) == 0;
}

static int
local_conninfo(const char *dbname, char **out, reg_error *err)
{
	PQconninfoOption *opts;
	char buf[8192];
	const char *dir = cli_local_dir();
	const char *user = geteuid() == 0 ? "postgres" : NULL;
	size_t n;
	int i;

	/* Quote values per libpq's rules: single quotes, backslash escapes. */
	n = (size_t)snprintf(buf, sizeof(buf), "host='");
	for (i = 0; dir[i] != '\0' && n + 4 < sizeof(buf); i++) {
		if (dir[i] == '\'' || dir[i] == '\\')
			buf[n++] = '\\';
		buf[n++] = dir[i];
	}
	snprintf(buf + n, sizeof(buf) - n, "' dbname=%s%s%s", dbname,
	    user ? " user=" : "", user ? user : "");
	opts = PQconninfoParse(buf, NULL);
	if (opts == NULL)
		return fail(err, REG_EINVAL, "the local cluster's folder %s cannot be "
		    "named in a connection string", dir);
	PQconninfoFree(opts);
	*out = strdup(buf);
	if (*out == NULL)
		return fail(err, REG_ENOMEM, "out of memory");
	return 0;
}

static int
create_database(reg_error *err)
{
	char *ci = NULL;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	const char *params[1] = { LOCAL_DB };
	int r = REG_EDB;

	if ((r = local_conninfo("postgres", &ci, err)) != 0)
		return r;
	conn = PQconnectdb(ci);
	if (PQstatus(conn) != CONNECTION_OK) {
		r = fail(err, REG_ECONNECT, "cannot connect to the local cluster: %s",
		    PQerrorMessage(conn));
		goto out;
	}
	res = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = fail(err, REG_EDB, "cannot list databases: %s", PQerrorMessage(conn));
		goto out;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		/* A fixed name: nothing from outside enters this statement. */
		res = PQexec(conn, "CREATE DATABASE " LOCAL_DB " ENCODING 'UTF8' TEMPLATE template0");
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			r = fail(err, REG_EDB, "cannot create database %s: %s", LOCAL_DB,
			    PQerrorMessage(conn));
			goto out;
		}
	}
	r = 0;
out:
	PQclear(res);
	PQfinish(conn);
	free(ci);
	return r;
}

int
cli_local_ensure(char **conninfo, reg_error *err)
{
	char data[4096], pgver[4200], logpath[4200], initlog[4200], sockopt[4300];
	const char *dir = cli_local_dir();
	const char *super = geteuid() == 0 ? "postgres" : NULL;
	int r;

	*conninfo = NULL;
	if (strlen(dir) + sizeof("/.s.PGSQL.5432") > 107)
		return fail(err, REG_EINVAL,
		    "the local cluster's folder %s is too long for a Unix socket path; "
		    "set REGISTRY_LOCAL_DIR to a shorter folder or REGISTRY_DB to a database",
		    dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(pgver, sizeof(pgver), "%s/PG_VERSION", data);
	snprintf(logpath, sizeof(logpath), "%s/server.log", dir);
	snprintf(initlog, sizeof(initlog), "%s/setup.log", dir);
	if (!file_exists(pgver)) {
		fprintf(stderr, "creating the local PostgreSQL cluster in %s\n", dir);
		if ((r = make_dir(dir, err)) != 0)
			return r;
		r = run_pg(initlog, "initdb", "-D", data, "-A", "trust", "-E", "UTF8",
		    "--locale=C", super ? "-U" : (const char *)NULL, super,
		    (const char *)NULL);
		if (r != 0)
			return fail(err, REG_EIO,
			    "initdb failed (exit %d) creating %s; see %s (as root the cluster "
			    "belongs to \"postgres\", which must be able to enter every parent "
			    "folder)", r, data, initlog);
	}
	if (!cli_local_running()) {
		fprintf(stderr, "starting the local PostgreSQL cluster in %s\n", dir);
		snprintf(sockopt, sizeof(sockopt),
		    "-c listen_addresses='' -c unix_socket_directories='%s'", dir);
		if (strchr(dir, ' ') != NULL || strchr(dir, '\'') != NULL)
			return fail(err, REG_EINVAL,
			    "the local cluster's folder %s has a space or quote; "
			    "set REGISTRY_LOCAL_DIR to a plainer folder", dir);
		r = run_pg(initlog, "pg_ctl", "start", "-w", "-t", "60", "-D", data,
		    "-l", logpath, "-o", sockopt, (const char *)NULL);
		if (r != 0)
			return fail(err, REG_ECONNECT,
			    "cannot start the local PostgreSQL cluster (pg_ctl exit %d); see %s",
			    r, logpath);
	}
	if ((r = create_database(err)) != 0)
		return r;
	return local_conninfo(LOCAL_DB, conninfo, err);
}

int
cli_local_stop(reg_error *err)
{
	char data[1100];

	if (!cli_local_running())
		return 0;
	snprintf(data, sizeof(data), "%s/data", cli_local_dir());
	if (run_pg(NULL, "pg_ctl", "stop", "-w", "-m", "fast", "-D", data,
	    (const char *)NULL) != 0)
		return fail(err, REG_EIO, "cannot stop the local cluster in %s",
		    cli_local_dir());
	return 0;
}
