/*
 * respond: the CGI response block (Status, headers, body) for every
 * answer a handler gives, and the small JSON bodies of the contract.
 */
#ifndef RESPOND_H
#define RESPOND_H

#include <stddef.h>

#include "buf.h"
#include "request.h"

/* The reason phrase of a status code ("Unauthorized"). */
const char	*respond_status_text(int);

/*
 * Sends status, Content-Type, Content-Length, any extra header lines
 * (each ending in "\r\n", or NULL) and the body.  Returns 0, or -1 when
 * the peer is gone.  scratch is a buffer the caller reuses.
 */
int	respond_send(struct request_src *, struct buf *scratch, int status,
	    const char *content_type, const char *extra,
	    const char *body, size_t len);

/*
 * Appends the contract's JSON body: {"status":word,"id":id} or, with a
 * reason, {"status":word,"reason":reason}.  NULL fields are left out.
 */
int	respond_json(struct buf *out, const char *word, const char *id,
	    const char *reason);

#endif /* RESPOND_H */
