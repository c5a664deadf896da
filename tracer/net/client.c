/*
 * The tracing client: HTTP/1.1 over TLS 1.3 to another State's tracing
 * daemon (or this State's own), with this client's certificate, on
 * libcurl.  One easy handle per daemon keeps its connection alive from one
 * call to the next.  The daemon is trusted through a CA file, or through
 * its own certificate pinned: that certificate is then the only trust
 * anchor, and its public key is pinned as well, so that no other key
 * passes even under a certificate the CA file would accept.
 *
 * The checks a signed answer passes before it is trusted are in verify.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "client_int.h"

struct tr__client {
	CURL *curl;
	char *url;
	struct curl_slist *get_headers;
	struct curl_slist *post_headers;	/* without the Content-Type */
	size_t body_max;
	/* The answer being received. */
	struct tr__client_answer *ans;
	size_t cap;
	int over;			/* the body went over body_max */
	const atomic_int *cancel;	/* see tr__client_config */
	char errbuf[CURL_ERROR_SIZE];
};

const char *
tr__client_url(const tr__client *c)
{
	return c->url;
}

/* Fails with REG_EIO unless path can be opened for reading. */
static int
readable(const char *what, const char *path, reg_error *err)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return tr__fail(err, REG_EIO, "cannot read %s %s: %s", what, path,
		    strerror(errno));
	fclose(f);
	return 0;
}

/* The "sha256//BASE64" pin of the public key of the certificate in path. */
static int
public_key_pin(const char *path, char *out, size_t outlen, reg_error *err)
{
	unsigned char *der = NULL, digest[SHA256_DIGEST_LENGTH];
	unsigned char b64[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];
	X509 *x = NULL;
	FILE *f;
	int n, r = 0;

	if ((f = fopen(path, "rb")) == NULL)
		return tr__fail(err, REG_EIO, "cannot read pinned certificate %s: %s",
		    path, strerror(errno));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		return tr__fail(err, REG_ECRYPTO, "pinned certificate %s holds no PEM "
		    "certificate", path);
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (n <= 0 || SHA256(der, (size_t)n, digest) == NULL) {
		r = tr__fail(err, REG_ECRYPTO, "cannot hash the public key of pinned "
		    "certificate %s", path);
		goto out;
	}
	EVP_EncodeBlock(b64, digest, sizeof(digest));
	snprintf(out, outlen, "sha256//%s", (const char *)b64);
out:
	OPENSSL_free(der);
	X509_free(x);
	return r;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	tr__client *c = arg;
	struct tr__client_answer *a = c->ans;
	size_t len = size * n, cap;
	char *nb;

	if (len > c->body_max - a->len) {
		c->over = 1;
		return 0;
	}
	if (a->len + len + 1 > c->cap) {
		cap = c->cap ? c->cap : 16384;
		while (cap < a->len + len + 1)
			cap *= 2;
		if ((nb = realloc(a->body, cap)) == NULL)
			return 0;
		a->body = nb;
		c->cap = cap;
	}
	memcpy(a->body + a->len, data, len);
	a->len += len;
	a->body[a->len] = '\0';
	return len;
}

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3). */
static long
retry_after(const char *v)
{
	char *end;
	time_t t;
	long s;

	while (*v == ' ' || *v == '\t')
		v++;
	if (isdigit((unsigned char)*v)) {
		errno = 0;
		s = strtol(v, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		return errno == 0 && *end == '\0' ? s : -1;
	}
	t = curl_getdate(v, NULL);
	if (t == -1)
		return -1;
	return t > time(NULL) ? (long)(t - time(NULL)) : 0;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	static const char name[] = "retry-after:";
	static const char loc[] = "location:";
	tr__client *c = arg;
	size_t len = size * n, vl;
	char v[128];

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after an interim 1xx): forget the last one's. */
		c->ans->retry_after = -1;
		c->ans->location[0] = '\0';
	} else if (len > sizeof(loc) - 1 && strncasecmp(data, loc,
	    sizeof(loc) - 1) == 0) {
		data += sizeof(loc) - 1;
		vl = len - (sizeof(loc) - 1);
		while (vl > 0 && (*data == ' ' || *data == '\t')) {
			data++;
			vl--;
		}
		while (vl > 0 && (data[vl - 1] == '\r' || data[vl - 1] == '\n' ||
		    data[vl - 1] == ' ' || data[vl - 1] == '\t'))
			vl--;
		if (vl < sizeof(c->ans->location)) {
			memcpy(c->ans->location, data, vl);
			c->ans->location[vl] = '\0';
		}
	} else if (len > sizeof(name) - 1 && len < sizeof(v) + sizeof(name) - 1 &&
	    strncasecmp(data, name, sizeof(name) - 1) == 0) {
		memcpy(v, data + sizeof(name) - 1, len - (sizeof(name) - 1));
		v[len - (sizeof(name) - 1)] = '\0';
		c->ans->retry_after = retry_after(v);
	}
	return len;
}

/* "https://HOST[:PORT]" with a port of digits, an IPv6 HOST in brackets. */
static int
url_valid(const char *url)
{
	const char *host, *port;
	size_t n;

	if (url == NULL || strncmp(url, "https://", 8) != 0)
		return 0;
	host = url + 8;
	if (*host == '\0' || strpbrk(host, "/?#@ \\") != NULL)
		return 0;
	port = *host == '[' ? strchr(host, ']') : host;
	if (port == NULL)
		return 0;
	port = strchr(port, ':');
	if (port == NULL)
		return 1;
	n = strlen(port + 1);
	return port > host && n >= 1 && n <= 5 && strspn(port + 1, "0123456789") == n;
}

/* libcurl calls this about once a second during a transfer, and more
 * often while data flows: a non-zero return aborts it. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	const tr__client *c = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load(c->cancel) != 0;
}

int
tr__client_new(const struct tr__client_config *cfg, tr__client **out,
    reg_error *err)
{
	char pin[128];
	tr__client *c = NULL;
	struct curl_slist *l;
	int r = REG_ENOMEM;

	*out = NULL;
	if (!url_valid(cfg->url))
		return tr__fail(err, REG_EINVAL, "the daemon's url must be "
		    "https://HOST[:PORT] with no path, not %s",
		    cfg->url ? cfg->url : "none");
	if ((cfg->ca_file == NULL) == (cfg->pinned_cert == NULL))
		return tr__fail(err, REG_EINVAL, "give the daemon's CA file or its "
		    "pinned certificate, exactly one of them");
	if (cfg->cert_file == NULL || cfg->key_file == NULL)
		return tr__fail(err, REG_EINVAL, "a client certificate and its key "
		    "are required (mutual TLS)");
	if ((r = readable("client certificate", cfg->cert_file, err)) != 0 ||
	    (r = readable("client key", cfg->key_file, err)) != 0 ||
	    (cfg->ca_file != NULL &&
	    (r = readable("CA file", cfg->ca_file, err)) != 0))
		return r;
	if (cfg->pinned_cert != NULL &&
	    (r = public_key_pin(cfg->pinned_cert, pin, sizeof(pin), err)) != 0)
		return r;
	r = REG_ENOMEM;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return tr__fail(err, REG_EINTERNAL, "libcurl cannot start");
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		curl_global_cleanup();
		goto out;
	}
	c->body_max = cfg->body_max ? cfg->body_max : TR__CLIENT_BODY_MAX;
	if ((c->url = strdup(cfg->url)) == NULL || (c->curl = curl_easy_init()) == NULL)
		goto out;
	if ((l = curl_slist_append(NULL, "Accept: application/jose, "
	    "application/problem+json")) == NULL)
		goto out;
	c->get_headers = l;
	/* No "Expect: 100-continue": the body goes with the headers. */
	if ((l = curl_slist_append(NULL, "Accept: application/jose, "
	    "application/problem+json")) == NULL)
		goto out;
	c->post_headers = l;
	if ((l = curl_slist_append(c->post_headers, "Expect:")) == NULL)
		goto out;
#define SET(opt, val) \
	if (curl_easy_setopt(c->curl, opt, val) != CURLE_OK) { \
		r = tr__fail(err, REG_EINTERNAL, "libcurl refuses %s", #opt); \
		goto out; \
	}
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	if ((c->cancel = cfg->cancel) != NULL) {
		SET(CURLOPT_XFERINFOFUNCTION, on_progress);
		SET(CURLOPT_XFERINFODATA, c);
		SET(CURLOPT_NOPROGRESS, 0L);
	}
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "https");
#else
	SET(CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_CAINFO, cfg->ca_file ? cfg->ca_file : cfg->pinned_cert);
	SET(CURLOPT_CAPATH, (char *)NULL);
	if (cfg->pinned_cert != NULL)
		SET(CURLOPT_PINNEDPUBLICKEY, pin);
	SET(CURLOPT_SSLCERT, cfg->cert_file);
	SET(CURLOPT_SSLCERTTYPE, "PEM");
	SET(CURLOPT_SSLKEY, cfg->key_file);
	SET(CURLOPT_SSLKEYTYPE, "PEM");
	SET(CURLOPT_CONNECTTIMEOUT, cfg->connect_timeout > 0 ?
	    cfg->connect_timeout : (long)TR__CLIENT_CONNECT_TIMEOUT);
	SET(CURLOPT_TIMEOUT, cfg->timeout > 0 ? cfg->timeout :
	    (long)TR__CLIENT_TIMEOUT);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->body_max);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_USERAGENT, "tracectl/" PACKAGE_VERSION);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, c);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, c);
#undef SET
	*out = c;
	c = NULL;	/* transferred */
	r = 0;
out:
	if (r == REG_ENOMEM)
		tr__fail(err, r, "out of memory");
	tr__client_free(c);
	return r;
}

void
tr__client_free(tr__client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->get_headers);
	curl_slist_free_all(c->post_headers);
	free(c->url);
	free(c);
	curl_global_cleanup();
}

void
tr__client_answer_free(struct tr__client_answer *ans)
{
	free(ans->body);
	memset(ans, 0, sizeof(*ans));
	ans->retry_after = -1;
}

/* Fills err for a transfer that failed with rc. */
static int
report(tr__client *c, CURLcode rc, reg_error *err)
{
	const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);

	if (c->over || rc == CURLE_FILESIZE_EXCEEDED)
		return tr__fail(err, REG_ETOOBIG, "%s: the answer is over %zu bytes, "
		    "more than any document; refused", c->url, c->body_max);
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return tr__fail(err, REG_ECONNECT, "cannot find the host of %s: %s; "
		    "check the url", c->url, why);
	case CURLE_COULDNT_CONNECT:
		return tr__fail(err, REG_ECONNECT, "cannot connect to %s: %s; check "
		    "that the daemon runs there and that the url is right", c->url, why);
	case CURLE_PEER_FAILED_VERIFICATION:
		return tr__fail(err, REG_ECONNECT, "%s: the daemon's certificate is "
		    "not trusted: %s; check the CA file (or pinned certificate) "
		    "given for it", c->url, why);
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return tr__fail(err, REG_ECONNECT, "%s: the daemon's key is not the "
		    "pinned certificate's: %s; check the pinned certificate given for "
		    "it", c->url, why);
	case CURLE_SSL_CERTPROBLEM:
		return tr__fail(err, REG_ECONNECT, "the client certificate or key "
		    "cannot be used: %s; give a PEM certificate and its own "
		    "unencrypted key", why);
	case CURLE_SSL_CACERT_BADFILE:
		return tr__fail(err, REG_ECONNECT, "the CA file for %s cannot be used: "
		    "%s", c->url, why);
	case CURLE_SSL_CONNECT_ERROR:
		return tr__fail(err, REG_ECONNECT, "the TLS handshake with %s failed: "
		    "%s; the daemon may speak no TLS 1.3 or refuse this client's "
		    "certificate", c->url, why);
	case CURLE_OPERATION_TIMEDOUT:
		return tr__fail(err, REG_EIO, "%s did not answer in time: %s; try "
		    "again later", c->url, why);
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR:
		return tr__fail(err, REG_ENOMEM, "out of memory");
	default:
		return tr__fail(err, REG_EIO, "%s: %s (curl error %d); try again, "
		    "and check the url and that the daemon runs", c->url, why, (int)rc);
	}
}

/* Sends the request set up on c->curl for path and reads the answer. */
static int
perform(tr__client *c, const char *path, struct tr__client_answer *ans,
    reg_error *err)
{
	char *url = NULL, *ct = NULL;
	size_t i, n;
	CURLcode rc;
	int r;

	memset(ans, 0, sizeof(*ans));
	ans->retry_after = -1;
	if (path[0] != '/')
		return tr__fail(err, REG_EINVAL, "path %s does not start with '/'", path);
	n = strlen(c->url) + strlen(path) + 1;
	if ((url = malloc(n)) == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	snprintf(url, n, "%s%s", c->url, path);
	c->ans = ans;
	c->cap = 0;
	c->over = 0;
	c->errbuf[0] = '\0';
	rc = curl_easy_setopt(c->curl, CURLOPT_URL, url);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(c->curl);
	free(url);
	c->ans = NULL;
	if (rc != CURLE_OK) {
		r = report(c, rc, err);
		tr__client_answer_free(ans);
		return r;
	}
	if (ans->body == NULL && (ans->body = calloc(1, 1)) == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &ans->status);
	if (curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL) {
		for (i = 0; ct[i] != '\0' && ct[i] != ';' && ct[i] != ' ' &&
		    i + 1 < sizeof(ans->content_type); i++)
			ans->content_type[i] = (char)tolower((unsigned char)ct[i]);
		ans->content_type[i] = '\0';
	}
	return 0;
}

int
tr__client_get(tr__client *c, const char *path, struct tr__client_answer *ans,
    reg_error *err)
{
	if (curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->get_headers) != CURLE_OK)
		return tr__fail(err, REG_EINTERNAL, "libcurl refuses a GET");
	return perform(c, path, ans, err);
}

int
tr__client_post(tr__client *c, const char *path, const char *content_type,
    const void *body, size_t len, struct tr__client_answer *ans, reg_error *err)
{
	struct curl_slist *h = NULL, *l;
	char line[160];
	int r;

	snprintf(line, sizeof(line), "Content-Type: %s", content_type);
	if ((h = curl_slist_append(NULL, line)) == NULL)
		return tr__fail(err, REG_ENOMEM, "out of memory");
	for (l = c->post_headers; l != NULL; l = l->next)
		if (curl_slist_append(h, l->data) == NULL) {
			curl_slist_free_all(h);
			return tr__fail(err, REG_ENOMEM, "out of memory");
		}
	if (curl_easy_setopt(c->curl, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h) != CURLE_OK) {
		curl_slist_free_all(h);
		return tr__fail(err, REG_EINTERNAL, "libcurl refuses a POST");
	}
	r = perform(c, path, ans, err);
	/* The handle may not keep pointers to what the caller frees. */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->get_headers);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, (char *)NULL);
	curl_slist_free_all(h);
	return r;
}
