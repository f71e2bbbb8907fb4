/*
 * hmac: the only user of OpenSSL.  Message authentication codes over a
 * payload given in parts (so "t" "." body is never copied together),
 * constant-time comparison, digests, secure random bytes and wiping.
 */
#ifndef HMAC_H
#define HMAC_H

#include <stddef.h>

enum hmac_alg {
	HMAC_SHA1,
	HMAC_SHA256,
	HMAC_SHA512,
};

/* Bytes of the largest MAC (SHA-512). */
#define HMAC_MAX	64

/* One piece of the signed payload. */
struct hmac_part {
	const void	*data;
	size_t		 len;
};

/*
 * Loads OpenSSL's configuration and the HMAC and digest implementations
 * now rather than on first use, so that it happens before the sandbox.
 * Returns 0, or -1 when OpenSSL fails.  Calling it is optional.
 */
int	hmac_init(void);

/* Returns the MAC length of an algorithm in bytes. */
size_t	hmac_size(enum hmac_alg);
/* Returns the algorithm's name ("sha256"). */
const char *hmac_name(enum hmac_alg);
/* Parses "sha1", "sha256", "sha512"; 0 or -1. */
int	hmac_parse_alg(const char *, enum hmac_alg *);

/*
 * Computes the MAC of the concatenated parts into out, which must hold
 * hmac_size(alg) bytes.  Returns 0, or -1 when OpenSSL fails.
 */
int	hmac_compute(enum hmac_alg, const void *key, size_t keylen,
	    const struct hmac_part *, size_t nparts, unsigned char *out);

/* Constant-time comparison of two equal-length byte strings; 1 = equal. */
int	hmac_equal(const void *, const void *, size_t);

/* SHA-256 of the bytes into out[32]; 0 or -1. */
int	hmac_sha256(const void *, size_t, unsigned char *out);

/*
 * A short fingerprint of a secret, safe to show: "sha256:" and the first
 * 8 hex digits of its SHA-256.  out must hold 16 bytes.
 */
void	hmac_fingerprint(const void *, size_t, char *out);

/* Fills the buffer from the system CSPRNG; 0 or -1. */
int	hmac_random(void *, size_t);

/* Overwrites memory in a way the compiler may not drop. */
void	hmac_cleanse(void *, size_t);

#endif /* HMAC_H */
