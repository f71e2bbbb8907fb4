/*
 * fuzz-hex: parse_hex, the decoder of hex signatures (GitHub, Stripe,
 * Slack, generic).  Besides not crashing, a decoded value must encode
 * back to exactly the input: one MAC has one accepted spelling, so
 * uppercase, odd lengths and stray bytes are all refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmac.h"
#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 out[HMAC_MAX];
	char			 back[2 * HMAC_MAX];
	size_t			 n, i, cap;

	/* Each cap a scheme uses, and one that is always too small. */
	for (cap = 1; cap <= HMAC_MAX; cap = cap < 20 ? 20 : cap * 2 - 8) {
		if (parse_hex((const char *)data, size, out, cap, &n) == -1)
			continue;
		if (n > cap || n * 2 != size)
			abort();
		for (i = 0; i < n; i++) {
			back[2 * i] = hex[out[i] >> 4];
			back[2 * i + 1] = hex[out[i] & 15];
		}
		if (memcmp(back, data, size) != 0)
			abort();
	}
	return 0;
}
