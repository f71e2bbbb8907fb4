/*
 * fuzz-pubkey: parse_public_key, the reader of public_key values (hex,
 * base64 DER, PEM), then OpenSSL's reading of the DER it yields, then a
 * verification with whatever key came out.  The DER never exceeds the
 * capacity given; a key that reads as Ed25519 or P-256 never verifies
 * a signature made of the input's own bytes (it would be a forgery).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "hmac.h"
#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char		 der[LIMIT_PUBKEY_DER];
	unsigned char		 sig[HMAC_PK_SIG_MAX] = { 0 };
	struct hmac_part	 part = { data, size };
	enum hmac_pk		 pk;
	size_t			 n, siglen;
	int			 rc;

	rc = parse_public_key((const char *)data, size, der, sizeof(der), &n);
	if (rc != 0 && rc != -1 && rc != -2)
		abort();
	if (rc != 0)
		return 0;
	if (n > sizeof(der))
		abort();
	if ((pk = hmac_pk_type(der, n)) == HMAC_PK_NONE)
		return 0;
	/* A signature from the input's bytes: never valid, never a crash. */
	siglen = size < sizeof(sig) ? size : sizeof(sig);
	if (siglen > 0)
		memcpy(sig, data, siglen);
	if (hmac_pk_verify(pk, der, n, &part, 1, sig, siglen) == 1)
		abort();
	return 0;
}
