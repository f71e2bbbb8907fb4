/*
 * request: CGI and FastCGI through libfcgi's fcgiapp interface.
 *
 * libfcgi only handles CGI in its stdio layer, which we do not use, so
 * CGI mode is done here directly: environ for the variables, fd 0 for
 * the body, fd 1 for the response.  That also keeps a CGI start-up to
 * a handful of system calls.
 */
#define _GNU_SOURCE		/* ppoll(2) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "parse.h"
#include "request.h"

extern char **environ;

struct request_src {
	int		 cgi;		/* plain CGI: one request */
	int		 served;	/* CGI: the one request was taken */
	long long	 consumed;	/* CGI: body bytes read from fd 0 */
	int		 waiting_set;	/* FastCGI: wait_mask is ready */
	sigset_t	 wait_mask;	/* signals open while waiting */
	FCGX_Request	 fcgx;
};

static volatile sig_atomic_t	request_stopping;
static pthread_t		request_main;	/* takes the stop signal */

struct request_src *
request_open(void)
{
	struct request_src	*src;

	if ((src = calloc(1, sizeof(*src))) == NULL)
		return NULL;
	src->cgi = FCGX_IsCGI();
	if (!src->cgi && (FCGX_Init() != 0 ||
	    FCGX_InitRequest(&src->fcgx, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0)) {
		free(src);
		return NULL;
	}
	return src;
}

void
request_close(struct request_src *src)
{
	if (src == NULL)
		return;
	if (!src->cgi)
		FCGX_Free(&src->fcgx, 1);
	free(src);
}

int
request_is_cgi(const struct request_src *src)
{
	return src->cgi;
}

void
request_stop(void)
{
	request_stopping = 1;
}

/*
 * The kernel hands a signal for the process to any thread that does not
 * block it, and libraries start threads of their own (nats.c: reader,
 * flusher, timers, reconnect).  Only the main thread's accept() must see
 * EINTR, so another thread passes the signal on (pthread_kill is
 * async-signal-safe).  Seen behind lighttpd with store = nats: handlers
 * left in accept() after their server stopped them.
 */
static void
on_stop_signal(int sig)
{
	int	 saved = errno;

	request_stop();
	if (!pthread_equal(pthread_self(), request_main))
		pthread_kill(request_main, sig);
	errno = saved;
}

void
request_signals(void)
{
	struct sigaction	 sa;

	request_main = pthread_self();
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a stop signal must interrupt a waiting accept. */
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void
add_header(struct request *req, const char *var, const char *value,
    size_t *used)
{
	struct header	*h;
	size_t		 vlen, nlen;

	if (req->nheaders == LIMIT_HEADERS) {
		if (req->problem == REQUEST_OK)
			req->problem = REQUEST_TOO_MANY_HEADERS;
		return;
	}
	if ((vlen = strlen(value)) > LIMIT_HEADER_VALUE) {
		if (req->problem == REQUEST_OK)
			req->problem = REQUEST_HEADER_TOO_LARGE;
		return;
	}
	nlen = strlen(var) + 1;
	if (*used + nlen > sizeof(req->names) ||
	    parse_cgi_header_name(var, req->names + *used,
	    sizeof(req->names) - *used) == -1)
		return;
	h = &req->headers[req->nheaders++];
	h->name = req->names + *used;
	h->value = value;
	h->len = vlen;
	*used += strlen(h->name) + 1;
}

/* What fill() needs from the variables besides the request's fields. */
struct cgi_vars {
	const char	*https, *scheme;
	/* HTTP_CONTENT_LENGTH and _TYPE, "NAME=value", held back. */
	const char	*http_length, *http_type;
};

/*
 * Splits "NAME=value" and files it where it belongs.  CONTENT_LENGTH and
 * CONTENT_TYPE describe the body as the server passes it on (RFC 3875,
 * 4.1.2 and 4.1.3), and stand for those two headers.  lighttpd passes the client's Content-Length header as
 * HTTP_CONTENT_LENGTH too, nginx and Caddy both headers: logged as well,
 * each appeared twice in a record's "headers", a JSON object whose keys
 * should be unique (RFC 8259, 4).  They are held back, and used only by
 * a server that passes no CONTENT_ variable (see fill).
 */
static void
take_var(struct request *req, const char *var, size_t *used,
    struct cgi_vars *cv)
{
	const char	*eq = strchr(var, '=');
	char		 name[128];
	size_t		 n;

	if (eq == NULL || (n = (size_t)(eq - var)) >= sizeof(name))
		return;
	memcpy(name, var, n);
	name[n] = '\0';
	if (strcmp(name, "HTTP_CONTENT_LENGTH") == 0) {
		cv->http_length = var;
		return;
	}
	if (strcmp(name, "HTTP_CONTENT_TYPE") == 0) {
		cv->http_type = var;
		return;
	}
	if (strncmp(name, "HTTP_", 5) == 0 ||
	    strcmp(name, "CONTENT_TYPE") == 0 ||
	    strcmp(name, "CONTENT_LENGTH") == 0)
		add_header(req, name, eq + 1, used);
	if (strcmp(name, "REQUEST_METHOD") == 0)
		req->method = eq + 1;
	else if (strcmp(name, "REQUEST_URI") == 0)
		req->uri = eq + 1;
	else if (strcmp(name, "REMOTE_ADDR") == 0)
		req->remote_addr = eq + 1;
	else if (strcmp(name, "WEBHOOK_ENDPOINT") == 0)
		req->endpoint = eq + 1;
	else if (strcmp(name, "WEBHOOK_CONFIG") == 0)
		req->config = eq + 1;
	else if (strcmp(name, "CONTENT_TYPE") == 0)
		req->content_type = eq + 1;
	else if (strcmp(name, "QUERY_STRING") == 0)
		req->query = eq + 1;
	else if (strcmp(name, "REMOTE_USER") == 0 && eq[1] != '\0')
		req->remote_user = eq + 1;
	else if (strcmp(name, "HTTPS") == 0)
		cv->https = eq + 1;
	else if (strcmp(name, "REQUEST_SCHEME") == 0)
		cv->scheme = eq + 1;
}

static void
fill(struct request *req, char **envp)
{
	const struct header	*cl;
	struct cgi_vars		 cv = { NULL, NULL, NULL, NULL };
	size_t			 used = 0;
	uint64_t		 n;
	char			**v;

	memset(req, 0, offsetof(struct request, body));
	req->content_length = -1;
	req->method = "";
	req->uri = "";
	req->remote_addr = "";
	req->query = "";
	for (v = envp; v != NULL && *v != NULL; v++)
		take_var(req, *v, &used, &cv);
	if (cv.http_length != NULL && request_header(req, "Content-Length") ==
	    NULL) {
		cv.http_length += strlen("HTTP_");
		take_var(req, cv.http_length, &used, &cv);
	}
	if (cv.http_type != NULL && request_header(req, "Content-Type") ==
	    NULL) {
		cv.http_type += strlen("HTTP_");
		take_var(req, cv.http_type, &used, &cv);
	}
	/* Apache and lighttpd say HTTPS=on; some set only the scheme. */
	req->https = (cv.https != NULL && (strcasecmp(cv.https, "on") == 0 ||
	    strcmp(cv.https, "1") == 0)) ||
	    (cv.scheme != NULL && strcasecmp(cv.scheme, "https") == 0);
	if ((cl = request_header(req, "Content-Length")) == NULL) {
		if (strcmp(req->method, "POST") == 0 &&
		    req->problem == REQUEST_OK)
			req->problem = REQUEST_NO_LENGTH;
	} else if (parse_uint(cl->value, cl->len, (uint64_t)1 << 53,
	    &n) == -1) {
		if (req->problem == REQUEST_OK)
			req->problem = REQUEST_BAD_LENGTH;
	} else
		req->content_length = (long long)n;
}

/*
 * A stop signal must not slip in between the check of request_stopping
 * and a blocking accept(): the process would sleep there until the next
 * request, which after a stop never comes.  So the stop signals stay
 * blocked except inside ppoll(), which opens them and waits in one step,
 * and accept() itself never blocks: the listening socket may be shared
 * with other processes (spawn-fcgi -F, a socket unit), and one of them
 * can take the connection first.  Accepted sockets do not inherit
 * O_NONBLOCK on Linux, so libfcgi reads them as before.
 *
 * The price: a peer that connects and then sends nothing holds the
 * process in libfcgi's read, deaf to SIGTERM, until it closes (SIGKILL
 * still works).  Web servers send the request as they connect; only
 * what can reach the socket can do this, and it could as well send
 * requests.
 */
static int
prepare_wait(struct request_src *src)
{
	sigset_t	 stops;
	int		 flags;

	flags = fcntl(src->fcgx.listen_sock, F_GETFL);
	if (flags == -1 || fcntl(src->fcgx.listen_sock, F_SETFL,
	    flags | O_NONBLOCK) == -1)
		return -1;
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGUSR1);
	if (pthread_sigmask(SIG_BLOCK, &stops, &src->wait_mask) != 0)
		return -1;
	sigdelset(&src->wait_mask, SIGTERM);
	sigdelset(&src->wait_mask, SIGINT);
	sigdelset(&src->wait_mask, SIGUSR1);
	src->waiting_set = 1;
	return 0;
}

/*
 * Waits until a connection (or, on a connection the server keeps, the
 * next request) can be taken, or a stop signal came.  Returns 0 or -1
 * with errno set.
 */
static int
wait_for_request(struct request_src *src)
{
	struct pollfd	 pfd;

	pfd.fd = src->fcgx.ipcFd >= 0 ? src->fcgx.ipcFd :
	    src->fcgx.listen_sock;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return ppoll(&pfd, 1, NULL, &src->wait_mask) == -1 ? -1 : 0;
}

int
request_accept(struct request_src *src, struct request *req)
{
	if (src->cgi) {
		if (src->served)
			return 0;
		src->served = 1;
		fill(req, environ);
		return 1;
	}
	if (!src->waiting_set && prepare_wait(src) == -1)
		return -1;
	for (;;) {
		if (request_stopping)
			return 0;
		if (wait_for_request(src) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (request_stopping)
			return 0;
		if (FCGX_Accept_r(&src->fcgx) == 0)
			break;
		/* Another process took it, or it was gone already. */
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			continue;
		return -1;
	}
	fill(req, src->fcgx.envp);
	return 1;
}

int
request_read_body(struct request_src *src, struct request *req)
{
	size_t	 want, got = 0;
	ssize_t	 n;
	int	 m;

	if (req->content_length <= 0) {
		req->body_read = 1;
		return 0;
	}
	want = (size_t)req->content_length;
	if (buf_reserve(&req->body, want) == -1)
		return -1;
	while (got < want) {
		if (src->cgi) {
			n = read(STDIN_FILENO, req->body.data + got,
			    want - got);
			if (n == -1 && errno == EINTR)
				continue;
		} else {
			m = FCGX_GetStr(req->body.data + got,
			    (int)(want - got > 1 << 30 ? 1 << 30 : want - got),
			    src->fcgx.in);
			n = m;
		}
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	req->body.len = got;
	req->body.data[got] = '\0';
	if (src->cgi)
		src->consumed = (long long)got;
	req->body_read = got == want;
	return got == want ? 0 : -1;
}

int
request_write(struct request_src *src, const void *p, size_t len)
{
	const char	*s = p;
	ssize_t		 n;

	if (!src->cgi)
		return FCGX_PutStr(s, (int)len, src->fcgx.out) == (int)len ?
		    0 : -1;
	while (len > 0) {
		if ((n = write(STDOUT_FILENO, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * CGI: reads and drops what is left of the body, up to LIMIT_DRAIN.
 * Apache's mod_cgi(d) writes the whole body to the program before it
 * reads the answer; a program that exits without taking it gets the
 * client no answer at all (AH02651, "Error writing request body").
 * lighttpd and the FastCGI servers do not need this.
 */
static void
drain_cgi_body(struct request_src *src, const struct request *req)
{
	char		 tmp[16384];
	long long	 left;
	ssize_t		 n;

	if (req->content_length <= src->consumed)
		return;
	left = req->content_length - src->consumed;
	if (left > (long long)LIMIT_DRAIN)
		return;
	while (left > 0) {
		n = read(STDIN_FILENO, tmp, left < (long long)sizeof(tmp) ?
		    (size_t)left : sizeof(tmp));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		left -= n;
	}
	src->consumed = req->content_length;
}

void
request_finish(struct request_src *src, struct request *req)
{
	if (src->cgi)
		drain_cgi_body(src, req);
	else {
		/*
		 * libfcgi closes gracefully: shutdown, then wait up to 2 s
		 * for the server to close its end, so that input still
		 * unread cannot turn into a reset that loses the answer.
		 * The process takes no request meanwhile, and under load
		 * that wait is longer than the request.  With the input
		 * read to its end there is nothing to reset for: a
		 * detached request is closed at once.  A connection the
		 * server keeps for the next request is left as it is.
		 */
		if (!src->fcgx.keepConnection &&
		    (FCGX_HasSeenEOF(src->fcgx.in) == EOF ||
		    (req->body_read && FCGX_GetChar(src->fcgx.in) == EOF)))
			FCGX_Detach(&src->fcgx);
		FCGX_Finish_r(&src->fcgx);
	}
	req->body_read = 0;
	/*
	 * Keep the body's memory for the next request, unless a large body
	 * grew it: a FastCGI process should not hold megabytes while idle.
	 */
	if (req->body.cap > 1024 * 1024)
		buf_release(&req->body);
	else
		buf_reset(&req->body);
	req->nheaders = 0;
}

const struct header *
request_header(const struct request *req, const char *name)
{
	size_t	 i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return &req->headers[i];
	return NULL;
}
