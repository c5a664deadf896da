/*
 * The daemon's TLS: TLS 1.3 only, a client certificate required and
 * checked against the client CA file and, when given, a CRL file; the
 * server's key file must not be readable by group or others, and must be
 * the key of the certificate.  The caller's identity is read from its
 * certificate's subject: C (the State) and OU (the role: "peer" for another
 * State's daemon, else investigator, clerk, liaison or auditor; or "hub"
 * for a liaison hub, whose C is an ISO 3166-1 user-assigned code, which no
 * State has, and only then); the caller itself is the certificate (its
 * SHA-256), not the CN, which any certificate of the same CA may repeat.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/hex.h"
#include "tracerd_int.h"

/* The first OpenSSL error's text, for a message. */
static const char *
ossl_text(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "no detail from OpenSSL");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* Refuses a secret file that group or others may read, or that is not a
 * regular file. */
static int
private_file(const char *what, const char *path, reg_error *err)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return tr__fail(err, REG_EIO, "%s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return tr__fail(err, REG_EKEY, "%s %s is not a regular file", what, path);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return tr__fail(err, REG_EKEY, "%s %s is open to group or others "
		    "(mode %03o): chmod 600 it", what, path,
		    (unsigned)(st.st_mode & 0777));
	return 0;
}

int
trd_tls_context(const struct trd_config *cf, SSL_CTX **out, reg_error *err)
{
	char buf[256];
	SSL_CTX *ctx;
	int r;

	*out = NULL;
	if ((r = private_file("TLS key", cf->tls_key, err)) != 0)
		return r;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return tr__fail(err, REG_ECRYPTO, "cannot make a TLS context: %s",
		    ossl_text(buf, sizeof(buf)));
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
		r = tr__fail(err, REG_ECRYPTO, "cannot require TLS 1.3: %s",
		    ossl_text(buf, sizeof(buf)));
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cf->tls_cert) != 1) {
		r = tr__fail(err, REG_EKEY, "TLS certificate %s: %s", cf->tls_cert,
		    ossl_text(buf, sizeof(buf)));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cf->tls_key, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
			ERR_clear_error();
			r = tr__fail(err, REG_EKEY, "TLS key %s is not the key of "
			    "certificate %s", cf->tls_key, cf->tls_cert);
		} else {
			r = tr__fail(err, REG_EKEY, "TLS key %s: %s", cf->tls_key,
			    ossl_text(buf, sizeof(buf)));
		}
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		r = tr__fail(err, REG_EKEY, "TLS key %s is not the key of certificate "
		    "%s", cf->tls_key, cf->tls_cert);
		ERR_clear_error();
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, cf->client_ca, NULL) != 1) {
		r = tr__fail(err, REG_EKEY, "client CA file %s: %s", cf->client_ca,
		    ossl_text(buf, sizeof(buf)));
		goto fail;
	}
	if (cf->crl[0] != '\0') {
		X509_STORE *store = SSL_CTX_get_cert_store(ctx);
		X509_LOOKUP *lk = X509_STORE_add_lookup(store, X509_LOOKUP_file());

		if (lk == NULL || X509_load_crl_file(lk, cf->crl, X509_FILETYPE_PEM) < 1) {
			r = tr__fail(err, REG_EKEY, "CRL file %s: %s", cf->crl,
			    ossl_text(buf, sizeof(buf)));
			goto fail;
		}
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	}
	/* No certificate, an unknown, expired or revoked one: the handshake
	 * fails, before any request is read. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
	    NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return r;
}

static const char *const roles[] = { "peer", "investigator", "clerk", "liaison",
	"auditor", "hub", NULL };

/*
 * The subject's one entry of nid in UTF-8, whole, into buf (len bytes with
 * the NUL): its length, 0 when there is none (optional), or -1 when there
 * are two, or it does not fit, or holds a NUL or another control
 * character.  Nothing is cut short, so that two names that differ compare
 * different however long they are.
 */
static int
subject_entry(X509_NAME *name, int nid, char *buf, size_t len)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1), n;
	unsigned char *u = NULL;

	buf[0] = '\0';
	if (i < 0)
		return 0;
	if (X509_NAME_get_index_by_NID(name, nid, i) >= 0)
		return -1;
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(name, i)));
	if (n < 0 || (size_t)n >= len) {
		OPENSSL_free(u);
		ERR_clear_error();
		return -1;
	}
	for (int k = 0; k < n; k++)
		if (u[k] < 0x20 || u[k] == 0x7f) {
			OPENSSL_free(u);
			return -1;
		}
	memcpy(buf, u, (size_t)n);
	buf[n] = '\0';
	OPENSSL_free(u);
	return n;
}

int
trd_tls_identity(SSL *ssl, struct trd_identity *id)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	X509_NAME *name;
	char c[8], ou[32], cn[TRD_NAME_MAX + 1];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int i, r = -1;

	memset(id, 0, sizeof(*id));
	if (cert == NULL || SSL_get_verify_result(ssl) != X509_V_OK)
		goto out;
	name = X509_get_subject_name(cert);
	if (subject_entry(name, NID_countryName, c, sizeof(c)) != 2 ||
	    subject_entry(name, NID_organizationalUnitName, ou, sizeof(ou)) < 1 ||
	    subject_entry(name, NID_commonName, cn, sizeof(cn)) < 0)
		goto out;
	for (i = 0; roles[i] != NULL; i++)
		if (strcmp(ou, roles[i]) == 0)
			break;
	if (roles[i] == NULL)
		goto out;
	/* A hub under a user-assigned code, and a hub's own auditors and
	 * liaison officers; everyone else under a State's code. */
	if (strcmp(ou, "hub") == 0 ? !tr__country_user_assigned(c) :
	    !proto_country_valid(c) && !(tr__country_user_assigned(c) &&
	    (strcmp(ou, "auditor") == 0 || strcmp(ou, "liaison") == 0)))
		goto out;
	/* The caller is its certificate: two with one subject are two
	 * callers. */
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32) {
		ERR_clear_error();
		goto out;
	}
	cm_hex_encode(md, mdlen, id->fp);
	memcpy(id->state, c, sizeof(id->state));	/* two letters: checked */
	memcpy(id->role, roles[i], strlen(roles[i]) + 1);
	memcpy(id->name, cn, sizeof(cn));
	r = 0;
out:
	if (r != 0)
		memset(id, 0, sizeof(*id));
	X509_free(cert);
	return r;
}
