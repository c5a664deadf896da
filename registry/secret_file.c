/* Reading small secret files (signing keys, personal-data keys). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "registry_int.h"

int
reg__read_secret_file(const char *path, size_t max, unsigned flags, char **out,
    size_t *outlen, struct stat *stp, reg_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1, oflags, r = REG_EINTERNAL;

	*out = NULL;
	*outlen = 0;
	/* Without blocking, so that a FIFO is refused rather than waited on. */
	oflags = O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    ((flags & REG__SECRET_NOFOLLOW) ? O_NOFOLLOW : 0);
	fd = open(path, oflags);
	if (fd < 0) {
		if (errno == ENOENT)
			r = reg__fail(err, REG_ENOTFOUND, "no key file %s", path);
		else if (errno == ELOOP && (flags & REG__SECRET_NOFOLLOW))
			r = reg__fail(err, REG_EIO, "%s is a symbolic link; "
			    "name the file it points to", path);
		else
			r = reg__fail(err, REG_EIO, "cannot open %s: %s", path,
			    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = reg__fail(err, REG_EIO, "cannot examine %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = reg__fail(err, REG_EIO, "%s is not a regular file", path);
		goto out;
	}
	if ((flags & REG__SECRET_PRIVATE) && (st.st_mode & 077) != 0) {
		r = reg__fail(err, REG_EKEY, "key file %s is open to group or "
		    "others (mode %03o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
		goto out;
	}
	buf = malloc(max + 1);
	if (buf == NULL) {
		r = reg__fail(err, REG_ENOMEM, "cannot allocate a buffer");
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = reg__fail(err, REG_EIO, "cannot read %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			r = reg__fail(err, REG_EKEY, "key file %s is larger than %zu "
			    "bytes", path, max);
			goto out;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	if (stp != NULL)
		*stp = st;
	buf = NULL;	/* transferred */
	r = 0;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, max + 1);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

int
reg__write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Makes the folder holding path durable, after a file was made or renamed
 * in it. */
int
reg__sync_folder(const char *path, reg_error *err)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	int fd = -1, r = REG_EINTERNAL;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL) {
		r = reg__fail(err, REG_ENOMEM, "cannot allocate a path");
		goto out;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		r = reg__fail(err, REG_EIO, "%s was written but its folder %s "
		    "cannot be synced: %s", path, dir, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	return r;
}

/* Creates path, mode 0600, with len bytes of text; never overwrites. */
int
reg__create_secret_file(const char *path, const char *text, size_t len,
    reg_error *err)
{
	int fd = -1, created = 0, r = REG_EINTERNAL;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		if (errno == EEXIST)
			r = reg__fail(err, REG_EEXIST,
			    "key file %s already exists", path);
		else
			r = reg__fail(err, REG_EIO, "cannot create %s: %s",
			    path, strerror(errno));
		goto out;
	}
	created = 1;
	/* The umask may only take rights away; make the mode exact. */
	if (fchmod(fd, 0600) != 0 || reg__write_all(fd, text, len) != 0 ||
	    fsync(fd) != 0) {
		r = reg__fail(err, REG_EIO, "cannot write %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = reg__fail(err, REG_EIO, "cannot write %s: %s", path,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	created = 0;	/* complete: keep it */
	r = reg__sync_folder(path, err);
out:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(path);
	return r;
}
