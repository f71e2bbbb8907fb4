/*
 * send: the only user of libcurl.  One HTTP POST with exactly the body
 * and header lines the caller gives, for webhookctl send and replay:
 * libcurl's own defaults (Accept, a form Content-Type, Expect:
 * 100-continue) are suppressed, so what arrives is what a provider
 * would have sent.  TLS certificates are verified unless asked not to;
 * redirects are not followed; only http and https are spoken.
 */
#ifndef SEND_H
#define SEND_H

#include <stddef.h>

#include "buf.h"

/* Bytes of a response body kept; the rest is read and dropped. */
#define SEND_MAX_REPLY	(1024 * 1024)

struct send_opts {
	int	 insecure;	/* do not verify the server's certificate */
	long	 timeout;	/* seconds for the whole exchange */
};

struct send_reply {
	long		 status;	/* HTTP status of the answer */
	struct buf	 body;		/* its body, up to SEND_MAX_REPLY */
	int		 truncated;	/* the body was longer */
};

/* Prepares an empty reply.  Release it with send_reply_release(). */
void	send_reply_init(struct send_reply *);
void	send_reply_release(struct send_reply *);

/*
 * POSTs body to url over HTTP/1.1 with the header lines in headers
 * ("Name: value\n" each, as verify_sign() writes them; a line with an
 * empty value sends the header empty).  Returns 0 when an answer came
 * back, whatever its status, or -1 with a reason in err when none did
 * (name resolution, connection, TLS, timeout).
 */
int	send_post(const char *url, const char *headers, size_t headerslen,
	    const char *body, size_t bodylen, const struct send_opts *,
	    struct send_reply *, char *err, size_t errlen);

/*
 * GETs url with the header lines, as send_post does otherwise: for the
 * GET handshakes (Meta, Dropbox) that webhookctl send --handshake makes.
 */
int	send_get(const char *url, const char *headers, size_t headerslen,
	    const struct send_opts *, struct send_reply *, char *err,
	    size_t errlen);

#endif /* SEND_H */
