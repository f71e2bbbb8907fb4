/*
 * fuzz-form: parse_form_field, which reads Slack's slash commands and
 * interactivity payloads (application/x-www-form-urlencoded).  The
 * decoded value is never longer than the body and always fits the
 * bounded buffer it is given, which may be too small.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "payload", "command", "",
	    "text", "a" };
	struct buf	 out;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		/* Once with room for any value, once with too little. */
		buf_init(&out, i % 2 == 0 ? size + 1 : 16);
		rc = parse_form_field((const char *)data, size, keys[i], &out);
		if (rc < -1 || rc > 1 || out.len > size || out.len > out.max ||
		    (out.data != NULL && out.data[out.len] != '\0'))
			abort();
		buf_release(&out);
	}
	return 0;
}
