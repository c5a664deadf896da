/*
 * The State's JWS signing key, read from its PEM file (PKCS#8 Ed25519) by
 * the programs that sign: tracerd and tracectl.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "tracer_int.h"

#define KEY_FILE_MAX 65536

int
tr__signing_key_load(const char *path, const char *kid, proto_jws_key **out,
    reg_error *err)
{
	proto_error perr = PROTO_ERROR_INIT;
	struct stat st;
	char *pem = NULL;
	ssize_t got;
	size_t len = 0;
	int fd, r = 0;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0 ||
	    fstat(fd, &st) != 0) {
		r = tr__fail(err, REG_EIO, "signing key %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > KEY_FILE_MAX) {
		r = tr__fail(err, REG_EKEY, "signing key %s is not a key file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		r = tr__fail(err, REG_EKEY, "signing key %s is open to group or others "
		    "(mode %03o): chmod 600 it", path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if ((pem = malloc((size_t)st.st_size + 1)) == NULL) {
		r = tr__fail(err, REG_ENOMEM, "out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size &&
	    (got = read(fd, pem + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)got;
	if (proto_jws_key_from_pem(pem, len, kid, out, &perr) != 0) {
		r = tr__fail(err, REG_EKEY, "signing key %s: %s", path, perr.message);
		goto out;
	}
	if (!proto_jws_key_private(*out)) {
		proto_jws_key_free(*out);
		*out = NULL;
		r = tr__fail(err, REG_EKEY, "signing key %s holds a public key, not a "
		    "private one", path);
	}
out:
	if (pem != NULL) {
		OPENSSL_cleanse(pem, len);
		free(pem);
	}
	if (fd >= 0)
		close(fd);
	return r;
}
