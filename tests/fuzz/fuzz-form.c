/*
 * fuzz-form: parse_form_field, which reads Slack's slash commands and
 * interactivity payloads (application/x-www-form-urlencoded), and the
 * query-string readers of the GET handshakes (Meta, Dropbox):
 * parse_query_field and parse_query_mask, on the input as a URI.  The
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
		buf_init(&out, i % 2 == 0 ? size + 1 : 16);
		rc = parse_query_field((const char *)data, size, keys[i],
		    &out);
		if (rc < -1 || rc > 1 || out.len > size || out.len > out.max ||
		    (out.data != NULL && out.data[out.len] != '\0'))
			abort();
		buf_release(&out);
		/* The mask "X" is never longer than what it replaces + 1. */
		buf_init(&out, i % 2 == 0 ? 2 * size + 2 : 16);
		rc = parse_query_mask((const char *)data, size, keys[i], "X",
		    &out);
		if ((rc != 0 && rc != -1) || (rc == -1 && i % 2 == 0) ||
		    out.len > out.max)
			abort();
		buf_release(&out);
	}
	return 0;
}
