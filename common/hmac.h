/*
 * hmac: the only user of OpenSSL.  Message authentication codes over a
 * payload given in parts (so "t" "." body is never copied together),
 * public-key signature verification (Ed25519, ECDSA P-256), constant-time
 * comparison, digests, secure random bytes and wiping.  The name stayed
 * "hmac" when signatures came: see the comment above hmac_pk_type().
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
 * Loads the HMAC and digest implementations now rather than on first
 * use, so that it happens before the sandbox.  Called before any other
 * function here, it also leaves out OpenSSL's configuration file and
 * its clean-up at exit (the handlers' start-up, which CGI pays on every
 * request), and unless tls is set (the process will speak TLS) its
 * legacy name tables.  Returns 0, or -1 when OpenSSL fails.  Calling it
 * is optional.
 */
int	hmac_init(int tls);
/*
 * Loads OpenSSL's configuration file (OPENSSL_CONF or the system's) as
 * OpenSSL's first use would have, for a handler that speaks TLS (the
 * NATS store) after hmac_init().  0, or -1.
 */
int	hmac_system_config(void);

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
/* SHA-256 of the concatenated parts into out[32]; 0 or -1. */
int	hmac_sha256_parts(const struct hmac_part *, size_t nparts,
	    unsigned char *out);

/*
 * A short fingerprint of a secret, safe to show: "sha256:" and the first
 * 8 hex digits of its SHA-256.  out must hold 16 bytes.
 */
void	hmac_fingerprint(const void *, size_t, char *out);

/* Fills the buffer from the system CSPRNG; 0 or -1. */
int	hmac_random(void *, size_t);

/*
 * Public-key signatures.  A provider that signs with a private key
 * (Discord: Ed25519, SendGrid: ECDSA P-256 with SHA-256) is verified
 * with the public key the endpoint configures, kept as DER
 * SubjectPublicKeyInfo bytes (parse_public_key() makes them).  These
 * live in this module, not a new one, because OpenSSL is included by
 * exactly one module and this is it.
 */
enum hmac_pk {
	HMAC_PK_NONE,		/* not a public-key scheme: a MAC */
	HMAC_PK_ED25519,	/* RFC 8032 Ed25519, 64-byte signatures */
	HMAC_PK_P256,		/* ECDSA P-256 + SHA-256, DER signatures */
};

/* Longest signature: a DER ECDSA P-256 signature is at most 72 bytes. */
#define HMAC_PK_SIG_MAX	72

/* "ed25519", "ecdsa-p256". */
const char *hmac_pk_name(enum hmac_pk);

/*
 * What kind of key DER SubjectPublicKeyInfo bytes hold, the whole of
 * them: HMAC_PK_NONE when OpenSSL cannot read them or the key is of
 * another kind (RSA, another curve).
 */
enum hmac_pk hmac_pk_type(const unsigned char *der, size_t);

/*
 * Verifies sig over the concatenated parts with the DER public key.
 * Returns 1 when it is valid, 0 when not, -1 when OpenSSL fails.
 */
int	hmac_pk_verify(enum hmac_pk, const unsigned char *der, size_t,
	    const struct hmac_part *, size_t nparts, const unsigned char *sig,
	    size_t siglen);

/*
 * Signs the parts with a PEM private key of the given kind, for
 * webhookctl sign and the tests only: a receiver never holds one.
 * Writes at most HMAC_PK_SIG_MAX bytes to out.  Returns 0, or -1 when
 * the key is unreadable, of another kind, or OpenSSL fails.
 */
int	hmac_pk_sign(enum hmac_pk, const char *pem, size_t pemlen,
	    const struct hmac_part *, size_t nparts, unsigned char *out,
	    size_t *outlen);

/* Overwrites memory in a way the compiler may not drop. */
void	hmac_cleanse(void *, size_t);

#endif /* HMAC_H */
