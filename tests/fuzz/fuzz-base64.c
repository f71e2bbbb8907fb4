/*
 * fuzz-base64: parse_base64, the decoder of base64 signatures (Zendesk,
 * generic).  A decoded value must encode back to the input, padded:
 * leftover bits must be zero and padding may only complete a quad, so
 * no two spellings decode to the same MAC.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hmac.h"
#include "json.h"
#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	 out[HMAC_MAX];
	struct buf	 back;
	size_t		 n, cap, bare = size;

	for (cap = 1; cap <= HMAC_MAX; cap = cap < 20 ? 20 : cap * 2 - 8) {
		if (parse_base64((const char *)data, size, out, cap, &n) == -1)
			continue;
		if (n > cap)
			abort();
		buf_init(&back, 4 * HMAC_MAX);
		if (json_add_base64(&back, out, n) == -1)
			abort();
		/* The input may leave out the padding the encoder adds. */
		while (bare > 0 && data[bare - 1] == '=')
			bare--;
		if (back.len < bare || memcmp(back.data, data, bare) != 0 ||
		    strspn(back.data + bare, "=") != back.len - bare)
			abort();
		buf_release(&back);
	}
	return 0;
}
