/*
 * redact: which request headers carry credentials, and the headers
 * object written to the log and the ledger with those values replaced.
 * Signature headers are not secrets (they are MACs of public data) and
 * are kept: explain and replay need them.
 */
#ifndef REDACT_H
#define REDACT_H

#include "buf.h"
#include "request.h"

/* The text that replaces a redacted value. */
#define REDACTED	"[redacted]"

/* Returns 1 when the header's value must never be written down. */
int	redact_is_secret(const char *name, const char *extra);

/*
 * Appends the request headers as one JSON object, {"Name":"value",...},
 * with secret values replaced.  extra names one more header to redact
 * (an endpoint's token_header).  Values that are not UTF-8 are written
 * with each bad byte as U+FFFD.  Returns 0, or -1 when out is full.
 */
int	redact_headers(struct buf *out, const struct request *,
	    const char *extra);

#endif /* REDACT_H */
