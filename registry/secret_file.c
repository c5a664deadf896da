/* Reading small secret files (signing keys, personal-data keys). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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
