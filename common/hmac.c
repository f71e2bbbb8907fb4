/*
 * hmac: a thin wrapper over OpenSSL 3, so that swapping the crypto
 * library means changing this file only.  The EVP_MAC handle is fetched
 * once per process: fetching is the slow part of OpenSSL 3's provider
 * lookups, and a FastCGI process computes thousands of MACs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/conf.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "hmac.h"

static EVP_MAC	*hmac_mac;

/*
 * OpenSSL reads openssl.cnf on first use, unless told otherwise: 1.7 M
 * instructions, an eighth of a CGI request.  The handlers use the
 * default provider's HMAC, digests and public keys, which that file
 * does not change here; only TLS (the NATS client's libssl) takes
 * settings from it, and hmac_system_config() loads it for that.  The
 * clean-up at exit (another 0.7 M) frees memory the exit frees anyway,
 * and the error strings (0.9 M) are never shown: nothing here prints
 * OpenSSL's error queue.  Nor does anything here look an algorithm up
 * by a legacy name (EVP_get_digestbyname): without the legacy tables,
 * the first fetch copies no 2.9 M of names into the providers' name
 * map, whose own names ("SHA256", "sha1", "ED25519") serve every lookup
 * here.  TLS does (an encrypted PEM key's cipher): tls keeps them.
 */
int
hmac_init(int tls)
{
	unsigned char	 md[32];
	uint64_t	 opts = OPENSSL_INIT_NO_LOAD_CONFIG |
			    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
			    OPENSSL_INIT_NO_ATEXIT;

	/* libssl still looks names up the legacy way (PEM key ciphers). */
	if (!tls)
		opts |= OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
		    OPENSSL_INIT_NO_ADD_ALL_DIGESTS;
	if (!OPENSSL_init_crypto(opts, NULL))
		return -1;
	if (hmac_mac == NULL &&
	    (hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	return hmac_sha256("", 0, md);
}

int
hmac_system_config(void)
{
	/* What OpenSSL's own first use would have done (conf_sap.c). */
	return CONF_modules_load_file(NULL, NULL, CONF_MFLAGS_DEFAULT_SECTION |
	    CONF_MFLAGS_IGNORE_MISSING_FILE |
	    CONF_MFLAGS_IGNORE_RETURN_CODES) == 1 ? 0 : -1;
}

size_t
hmac_size(enum hmac_alg alg)
{
	switch (alg) {
	case HMAC_SHA1:
		return 20;
	case HMAC_SHA256:
		return 32;
	case HMAC_SHA512:
		return 64;
	}
	return 0;
}

const char *
hmac_name(enum hmac_alg alg)
{
	switch (alg) {
	case HMAC_SHA1:
		return "sha1";
	case HMAC_SHA256:
		return "sha256";
	case HMAC_SHA512:
		return "sha512";
	}
	return "?";
}

int
hmac_parse_alg(const char *s, enum hmac_alg *alg)
{
	if (strcmp(s, "sha1") == 0)
		*alg = HMAC_SHA1;
	else if (strcmp(s, "sha256") == 0)
		*alg = HMAC_SHA256;
	else if (strcmp(s, "sha512") == 0)
		*alg = HMAC_SHA512;
	else
		return -1;
	return 0;
}

int
hmac_compute(enum hmac_alg alg, const void *key, size_t keylen,
    const struct hmac_part *parts, size_t nparts, unsigned char *out)
{
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 params[2];
	size_t		 i, outlen;
	int		 rc = -1;
	static const unsigned char empty[1];

	if (hmac_mac == NULL &&
	    (hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	if ((ctx = EVP_MAC_CTX_new(hmac_mac)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)(uintptr_t)hmac_name(alg), 0);
	params[1] = OSSL_PARAM_construct_end();
	/* An empty key is legal HMAC; OpenSSL wants a non-NULL pointer. */
	if (!EVP_MAC_init(ctx, keylen > 0 ? key : empty, keylen, params))
		goto out;
	for (i = 0; i < nparts; i++)
		if (parts[i].len > 0 &&
		    !EVP_MAC_update(ctx, parts[i].data, parts[i].len))
			goto out;
	if (!EVP_MAC_final(ctx, out, &outlen, HMAC_MAX) ||
	    outlen != hmac_size(alg))
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int
hmac_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int
hmac_sha256(const void *p, size_t len, unsigned char *out)
{
	unsigned int	 n;

	return EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) ? 0 : -1;
}

int
hmac_sha256_parts(const struct hmac_part *parts, size_t nparts,
    unsigned char *out)
{
	EVP_MD_CTX	*ctx;
	unsigned int	 n;
	size_t		 i;
	int		 rc = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	for (i = 0; i < nparts; i++)
		if (parts[i].len > 0 &&
		    !EVP_DigestUpdate(ctx, parts[i].data, parts[i].len))
			goto out;
	if (EVP_DigestFinal_ex(ctx, out, &n) && n == 32)
		rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

void
hmac_fingerprint(const void *p, size_t len, char *out)
{
	unsigned char	 md[32];

	if (hmac_sha256(p, len, md) == -1) {
		snprintf(out, 16, "sha256:?");
		return;
	}
	snprintf(out, 16, "sha256:%02x%02x%02x%02x", md[0], md[1], md[2],
	    md[3]);
}

int
hmac_random(void *p, size_t len)
{
	return RAND_bytes(p, (int)len) == 1 ? 0 : -1;
}

void
hmac_cleanse(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

const char *
hmac_pk_name(enum hmac_pk pk)
{
	switch (pk) {
	case HMAC_PK_ED25519:
		return "ed25519";
	case HMAC_PK_P256:
		return "ecdsa-p256";
	case HMAC_PK_NONE:
		break;
	}
	return "hmac";
}

static enum hmac_pk
pkey_kind(EVP_PKEY *k)
{
	char	 group[32];
	size_t	 n;

	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_ED25519:
		return HMAC_PK_ED25519;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(k, group, sizeof(group), &n) &&
		    strcmp(group, "prime256v1") == 0)
			return HMAC_PK_P256;
		break;
	}
	return HMAC_PK_NONE;
}

/* The key, only when the DER is exactly one SubjectPublicKeyInfo. */
static EVP_PKEY *
pkey_load(const unsigned char *der, size_t len)
{
	const unsigned char	*p = der;
	EVP_PKEY		*k;

	if (len == 0 || len > 65536 ||
	    (k = d2i_PUBKEY(NULL, &p, (long)len)) == NULL)
		return NULL;
	if ((size_t)(p - der) != len) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

enum hmac_pk
hmac_pk_type(const unsigned char *der, size_t len)
{
	EVP_PKEY	*k;
	enum hmac_pk	 pk;

	if ((k = pkey_load(der, len)) == NULL)
		return HMAC_PK_NONE;
	pk = pkey_kind(k);
	EVP_PKEY_free(k);
	return pk;
}

/* Ed25519 signs in one pass, so the parts are joined; caller frees. */
static unsigned char *
join(const struct hmac_part *parts, size_t nparts, size_t *len)
{
	unsigned char	*m;
	size_t		 i, n = 0;

	for (i = 0; i < nparts; i++)
		n += parts[i].len;
	if ((m = malloc(n > 0 ? n : 1)) == NULL)
		return NULL;
	for (*len = 0, i = 0; i < nparts; i++) {
		if (parts[i].len > 0)
			memcpy(m + *len, parts[i].data, parts[i].len);
		*len += parts[i].len;
	}
	return m;
}

int
hmac_pk_verify(enum hmac_pk pk, const unsigned char *der, size_t derlen,
    const struct hmac_part *parts, size_t nparts, const unsigned char *sig,
    size_t siglen)
{
	EVP_MD_CTX	*ctx = NULL;
	EVP_PKEY	*k;
	unsigned char	*m = NULL;
	size_t		 mlen;
	int		 rc = -1, r;

	if ((k = pkey_load(der, derlen)) == NULL)
		return -1;
	/* A key of another kind never verifies this scheme's signatures. */
	if (pkey_kind(k) != pk) {
		rc = 0;
		goto out;
	}
	if ((m = join(parts, nparts, &mlen)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, pk == HMAC_PK_P256 ?
	    EVP_sha256() : NULL, NULL, k) != 1)
		goto out;
	/* 1 valid, 0 invalid, negative for a signature that will not parse. */
	r = EVP_DigestVerify(ctx, sig, siglen, m, mlen);
	rc = r == 1 ? 1 : 0;
out:
	EVP_MD_CTX_free(ctx);
	free(m);
	EVP_PKEY_free(k);
	return rc;
}

int
hmac_pk_sign(enum hmac_pk pk, const char *pem, size_t pemlen,
    const struct hmac_part *parts, size_t nparts, unsigned char *out,
    size_t *outlen)
{
	EVP_MD_CTX	*ctx = NULL;
	EVP_PKEY	*k = NULL;
	BIO		*bio;
	unsigned char	*m = NULL;
	size_t		 mlen;
	int		 rc = -1;

	if (pemlen > 65536 ||
	    (bio = BIO_new_mem_buf(pem, (int)pemlen)) == NULL)
		return -1;
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (k == NULL || pkey_kind(k) != pk)
		goto out;
	*outlen = HMAC_PK_SIG_MAX;
	if ((m = join(parts, nparts, &mlen)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, pk == HMAC_PK_P256 ? EVP_sha256() :
	    NULL, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, out, outlen, m, mlen) != 1)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(m);
	EVP_PKEY_free(k);
	return rc;
}
