/*
 * hmac: a thin wrapper over OpenSSL 3, so that swapping the crypto
 * library means changing this file only.  The EVP_MAC handle is fetched
 * once per process: fetching is the slow part of OpenSSL 3's provider
 * lookups, and a FastCGI process computes thousands of MACs.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "hmac.h"

static EVP_MAC	*hmac_mac;

int
hmac_init(void)
{
	unsigned char	 md[32];

	if (hmac_mac == NULL &&
	    (hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	return hmac_sha256("", 0, md);
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
