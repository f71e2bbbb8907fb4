/*
 * request: the only user of libfcgi.  Accepts requests either as FastCGI
 * (spawned by lighttpd, Apache mod_fcgid, spawn-fcgi or a socket unit:
 * many requests per process) or as plain CGI (one request, then done),
 * decided once from how the process was started.  Turns the CGI/FastCGI
 * variables into a struct request and reads the body with a cap.
 */
#ifndef REQUEST_H
#define REQUEST_H

#include <stddef.h>

#include "buf.h"
#include "bounds.h"

/* One request header.  Name and value borrow from the request. */
struct header {
	const char	*name;	/* canonical case: "X-Hub-Signature-256" */
	const char	*value;	/* as the server passed it */
	size_t		 len;	/* bytes of value */
};

enum request_problem {
	REQUEST_OK,
	REQUEST_TOO_MANY_HEADERS,	/* more than LIMIT_HEADERS */
	REQUEST_HEADER_TOO_LARGE,	/* a value over LIMIT_HEADER_VALUE */
	REQUEST_NO_LENGTH,		/* POST without Content-Length */
	REQUEST_BAD_LENGTH,		/* Content-Length not a number */
};

/*
 * A request as the web server described it.  Every pointer borrows from
 * the server's variables and stays valid until request_finish().
 */
struct request {
	const char		*method;	/* "POST" */
	const char		*uri;		/* path and query as sent */
	const char		*remote_addr;	/* peer of the web server */
	const char		*endpoint;	/* WEBHOOK_ENDPOINT, or NULL */
	const char		*config;	/* WEBHOOK_CONFIG, or NULL */
	const char		*content_type;	/* or NULL */
	const char		*query;		/* QUERY_STRING, or "" */
	const char		*remote_user;	/* REMOTE_USER, or NULL */
	int			 https;		/* HTTPS=on from the server */
	long long		 content_length; /* -1 when absent */
	int			 body_read;	/* all of it, by request_read_body */
	enum request_problem	 problem;	/* first problem found */
	struct header		 headers[LIMIT_HEADERS];
	size_t			 nheaders;
	struct buf		 body;		/* exact bytes */
	char			 names[LIMIT_HEADER_TOTAL]; /* name storage */
};

struct request_src;

/*
 * Prepares to accept requests on standard input (FastCGI) or from the
 * environment (CGI).  Returns NULL when out of memory.  Caller frees
 * with request_close().
 */
struct request_src	*request_open(void);
void			 request_close(struct request_src *);
/* Returns 1 when the process serves plain CGI. */
int			 request_is_cgi(const struct request_src *);

/*
 * Waits for the next request and fills req.  Returns 1 for a request,
 * 0 when there are no more (CGI after its one request, or a signal asked
 * us to stop), -1 on an accept error.  From its first call in FastCGI
 * mode on, the calling thread blocks the stop signals except while it
 * waits here: a request in hand is never interrupted, and a stop takes
 * effect at the next call.
 */
int	request_accept(struct request_src *, struct request *);

/*
 * Reads the body: exactly Content-Length bytes.  Returns 0, or -1 when
 * the client sent fewer bytes than announced.  The caller has checked
 * Content-Length against its limit before.
 */
int	request_read_body(struct request_src *, struct request *);

/* Writes response bytes; 0, or -1 when the peer is gone. */
int	request_write(struct request_src *, const void *, size_t);

/* Ends the request and releases what it borrowed. */
void	request_finish(struct request_src *, struct request *);

/* Asks request_accept to return 0 at the next chance (signal safe). */
void	request_stop(void);

/*
 * For a program that serves until the web server stops it: SIGTERM,
 * SIGINT and SIGUSR1 call request_stop(), SIGPIPE is ignored.  Call it
 * from the thread that calls request_accept(): whichever thread the
 * kernel picks, the signal is passed on to that one.
 */
void	request_signals(void);

/* The value of a header, case-insensitively; NULL when absent. */
const struct header *request_header(const struct request *, const char *);

#endif /* REQUEST_H */
