/*
 * fuzz-url: the parsers of signed-URL schemes.  parse_form_sorted
 * (Twilio's sorted form parameters) never writes more than the decoded
 * input and is order-blind: the same pairs reversed give the same bytes;
 * parse_url_ports gives two spellings that differ only in the port;
 * parse_url_hubspot never grows the URL.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The '&'-separated pairs of s in reverse order, into out. */
static void
reverse_pairs(const char *s, size_t len, struct buf *out)
{
	size_t	 end = len, i;

	for (i = len; i > 0; i--)
		if (s[i - 1] == '&') {
			buf_add(out, s + i, end - i);
			buf_addc(out, '&');
			end = i - 1;
		}
	buf_add(out, s, end);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data;
	struct buf	 a, b, r;
	int		 ra, rb;

	buf_init(&a, 2 * size + 64);
	buf_init(&b, 2 * size + 64);
	buf_init(&r, size + 1);
	ra = parse_form_sorted(s, size, &a);
	if (ra == 0 && a.len > size)
		abort();
	reverse_pairs(s, size, &r);
	rb = parse_form_sorted(r.data != NULL ? r.data : "", r.len, &b);
	if (ra != rb || (ra == 0 && (a.len != b.len ||
	    (a.len > 0 && memcmp(a.data, b.data, a.len) != 0))))
		abort();
	buf_reset(&a);
	buf_reset(&b);
	if (parse_url_ports(s, size, &a, &b) == 0 &&
	    (a.len > size || b.len < size || b.len > size + 4))
		abort();
	buf_reset(&a);
	if (parse_url_hubspot(s, size, &a) == -1 || a.len > size)
		abort();
	buf_release(&a);
	buf_release(&b);
	buf_release(&r);
	return 0;
}
