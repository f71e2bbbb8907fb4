/*
 * fcgi-client: a test fixture, not part of the product.  Sends requests
 * straight to a FastCGI responder listening on a unix socket (a handler
 * started with spawn-fcgi -n -s SOCK, or over TCP as tcp:HOST:PORT)
 * without a web server in between, so that tests can send what lighttpd
 * and Apache refuse to pass on:
 * NUL, CR and LF inside parameter values, thousands of headers, a
 * Content-Length that does not match the body, a 1 MiB header.
 *
 * usage: fcgi-client [-n count] [-o file] [-b body] [-c] [-w file] socket
 *            [NAME=VALUE ...]
 *
 *   NAME=VALUE  one FastCGI parameter; in both parts \xHH is that byte
 *               and \\ a backslash, so any byte can be sent.
 *   -p file     more parameters, one NAME=VALUE a line, same escapes.
 *   -b file     the body (stdin of the request); default empty.
 *   -c          do not add CONTENT_LENGTH: send it only when given.
 *   -n count    send the same request count times, one connection each.
 *   -o file     write the last response (headers and body) to file.
 *   -w file     send the parameters, then wait (up to 60 s) until file
 *               exists before sending the body: the responder is then
 *               in the middle of reading the request.
 *
 * Prints the status of each response ("Status: 401 ..." gives 401; no
 * Status line gives 200, no answer at all 000) on its own line, and
 * copies the responder's FCGI_STDERR to standard error.  Exits 0 when
 * every request got an answer, 1 otherwise, 100 on a usage error.
 *
 * Protocol: FastCGI 1.0 specification, sections 3 (records, name-value
 * pairs) and 5-6 (BEGIN_REQUEST, PARAMS, STDIN, STDOUT, END_REQUEST).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netdb.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define FCGI_VERSION		1
#define FCGI_BEGIN_REQUEST	1
#define FCGI_END_REQUEST	3
#define FCGI_PARAMS		4
#define FCGI_STDIN		5
#define FCGI_STDOUT		6
#define FCGI_STDERR		7
#define FCGI_RESPONDER		1
#define RECORD_MAX		65535

/* A growable byte string; the fixture exits when memory runs out. */
struct bytes {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

static void
bytes_add(struct bytes *b, const void *p, size_t n)
{
	size_t	 ncap;

	if (b->len + n > b->cap) {
		ncap = b->cap == 0 ? 4096 : b->cap;
		while (ncap < b->len + n)
			ncap *= 2;
		if ((b->p = realloc(b->p, ncap)) == NULL) {
			perror("fcgi-client: realloc");
			exit(1);
		}
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes \xHH and \\ in s[0..n) into out. */
static void
unescape(const char *s, size_t n, struct bytes *out)
{
	size_t		 i;
	unsigned char	 c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '\\' && i + 1 < n && s[i + 1] == '\\') {
			i++;
		} else if (c == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    hexval(s[i + 2]) != -1 && hexval(s[i + 3]) != -1) {
			c = (unsigned char)(hexval(s[i + 2]) << 4 |
			    hexval(s[i + 3]));
			i += 3;
		}
		bytes_add(out, &c, 1);
	}
}

/* A name-value pair's length: one byte below 128, else four. */
static void
nv_len(struct bytes *b, size_t n)
{
	unsigned char	 l[4];

	if (n < 128) {
		l[0] = (unsigned char)n;
		bytes_add(b, l, 1);
		return;
	}
	l[0] = (unsigned char)((n >> 24) | 0x80);
	l[1] = (unsigned char)(n >> 16);
	l[2] = (unsigned char)(n >> 8);
	l[3] = (unsigned char)n;
	bytes_add(b, l, 4);
}

static void
param_add(struct bytes *params, const char *arg, size_t n, int *has_cl)
{
	struct bytes	 name = { 0 }, value = { 0 };
	const char	*eq;

	if ((eq = memchr(arg, '=', n)) == NULL) {
		fprintf(stderr, "fcgi-client: not NAME=VALUE: %.*s\n",
		    (int)n, arg);
		exit(100);
	}
	unescape(arg, (size_t)(eq - arg), &name);
	unescape(eq + 1, n - (size_t)(eq - arg) - 1, &value);
	if (name.len == 14 && memcmp(name.p, "CONTENT_LENGTH", 14) == 0)
		*has_cl = 1;
	nv_len(params, name.len);
	nv_len(params, value.len);
	bytes_add(params, name.p, name.len);
	if (value.len > 0)
		bytes_add(params, value.p, value.len);
	free(name.p);
	free(value.p);
}

static void
read_file(const char *path, struct bytes *out)
{
	char	 chunk[65536];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		fprintf(stderr, "fcgi-client: cannot open '%s': %s\n", path,
		    strerror(errno));
		exit(100);
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		bytes_add(out, chunk, (size_t)n);
	close(fd);
}

static void
params_file(const char *path, struct bytes *params, int *has_cl)
{
	struct bytes	 f = { 0 };
	const char	*p, *end, *nl;

	read_file(path, &f);
	p = (const char *)f.p;
	end = p + f.len;
	while (p != NULL && p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl > p)
			param_add(params, p, (size_t)(nl - p), has_cl);
		p = nl + 1;
	}
	free(f.p);
}

/* Appends one record of type with n bytes of content. */
static void
record(struct bytes *out, int type, const void *p, size_t n)
{
	unsigned char	 h[8];

	h[0] = FCGI_VERSION;
	h[1] = (unsigned char)type;
	h[2] = 0;
	h[3] = 1;		/* request id 1 */
	h[4] = (unsigned char)(n >> 8);
	h[5] = (unsigned char)n;
	h[6] = 0;		/* no padding */
	h[7] = 0;
	bytes_add(out, h, sizeof(h));
	if (n > 0)
		bytes_add(out, p, n);
}

/* A stream as records of at most RECORD_MAX bytes, then an empty one. */
static void
stream(struct bytes *out, int type, const struct bytes *data)
{
	size_t	 off, n;

	for (off = 0; off < data->len; off += n) {
		n = data->len - off > RECORD_MAX ? RECORD_MAX :
		    data->len - off;
		record(out, type, data->p + off, n);
	}
	record(out, type, NULL, 0);
}

/*
 * "tcp:HOST:PORT" (HOST may be "[::1]") connects over TCP, anything else
 * is a unix socket path: handlers behind nginx or Apache's proxy_fcgi
 * are often reached over TCP, and libfcgi treats the two differently.
 */
static int
connect_tcp(const char *spec)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[256];
	const char	*port;
	size_t		 n;
	int		 fd = -1, rc;

	if ((port = strrchr(spec, ':')) == NULL || port == spec ||
	    (n = (size_t)(port - spec)) >= sizeof(host)) {
		fprintf(stderr, "fcgi-client: expected tcp:HOST:PORT\n");
		exit(100);
	}
	memcpy(host, spec, n);
	host[n] = '\0';
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port + 1, &hints, &res)) != 0) {
		fprintf(stderr, "fcgi-client: '%s': %s\n", spec,
		    gai_strerror(rc));
		exit(100);
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
	    -1 || connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
		fprintf(stderr, "fcgi-client: cannot connect to '%s': %s\n",
		    spec, strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	if (strncmp(path, "tcp:", 4) == 0)
		return connect_tcp(path + 4);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "fcgi-client: socket path too long\n");
		exit(100);
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "fcgi-client: cannot connect to '%s': %s\n",
		    path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Takes whole records out of in; appends STDOUT content to out, copies
 * STDERR to our stderr.  Returns 1 once END_REQUEST was seen.
 */
static int
records_take(struct bytes *in, struct bytes *out)
{
	size_t	 n, pad, off = 0;
	int	 type, done = 0;

	while (in->len - off >= 8) {
		type = in->p[off + 1];
		n = (size_t)in->p[off + 4] << 8 | in->p[off + 5];
		pad = in->p[off + 6];
		if (in->len - off < 8 + n + pad)
			break;
		if (type == FCGI_STDOUT && n > 0)
			bytes_add(out, in->p + off + 8, n);
		else if (type == FCGI_STDERR && n > 0)
			fwrite(in->p + off + 8, 1, n, stderr);
		else if (type == FCGI_END_REQUEST)
			done = 1;
		off += 8 + n + pad;
	}
	memmove(in->p, in->p + off, in->len - off);
	in->len -= off;
	return done;
}

/*
 * Sends the request while reading the answer: a responder may answer
 * (413) and close before it has read a large body, and then the rest of
 * the body is dropped, as a web server would.  Returns 0 when an answer
 * ended with END_REQUEST or EOF, -1 otherwise.
 */
static int
exchange(int fd, const struct bytes *req, struct bytes *resp,
    size_t hold_at, const char *go)
{
	struct bytes	 in = { 0 };
	struct pollfd	 pfd;
	unsigned char	 chunk[65536];
	size_t		 sent = 0, limit;
	ssize_t		 n;
	int		 done = 0, waited = 0, rc;

	while (!done) {
		/* Held back at hold_at until the go file appears. */
		limit = req->len;
		if (go != NULL && access(go, F_OK) == -1 && waited < 6000)
			limit = hold_at;
		pfd.fd = fd;
		pfd.events = POLLIN | (sent < limit ? POLLOUT : 0);
		rc = poll(&pfd, 1, limit < req->len ? 10 : 60000);
		if (rc == 0 && limit < req->len) {
			waited++;
			continue;
		}
		if (rc <= 0)
			break;
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((n = read(fd, chunk, sizeof(chunk))) <= 0)
				break;
			bytes_add(&in, chunk, (size_t)n);
			done = records_take(&in, resp);
			continue;
		}
		if (pfd.revents & POLLOUT) {
			n = write(fd, req->p + sent, limit - sent);
			if (n == -1 && errno != EINTR && errno != EAGAIN)
				sent = req->len;	/* peer closed */
			else if (n > 0)
				sent += (size_t)n;
		}
	}
	free(in.p);
	return done || resp->len > 0 ? 0 : -1;
}

static int
status_of(const struct bytes *resp)
{
	const char	*p = (const char *)resp->p;
	size_t		 i;

	if (resp->len == 0)
		return 0;
	/* CGI response headers (RFC 3875, 6.3.3); no Status means 200. */
	for (i = 0; i + 11 < resp->len; i++) {
		if (i > 0 && p[i - 1] != '\n')
			continue;
		if (p[i] == '\r' || p[i] == '\n')
			break;
		if (strncasecmp(p + i, "Status: ", 8) == 0)
			return (int)strtol(p + i + 8, NULL, 10);
	}
	return 200;
}

static void
usage(void)
{
	fprintf(stderr, "usage: fcgi-client [-c] [-b body] [-n count]"
	    " [-o file] [-p file] [-w file] socket [NAME=VALUE ...]\n");
	exit(100);
}

int
main(int argc, char **argv)
{
	struct bytes	 params = { 0 }, body = { 0 }, req = { 0 };
	struct bytes	 resp = { 0 };
	unsigned char	 begin[8] = { 0, FCGI_RESPONDER, 0, 0, 0, 0, 0, 0 };
	const char	*out = NULL, *pfile = NULL, *bfile = NULL, *go = NULL;
	char		 cl[32];
	size_t		 hold_at;
	long		 count = 1, i;
	int		 c, fd, has_cl = 0, add_cl = 1, rc = 0;
	FILE		*fp;

	while ((c = getopt(argc, argv, "b:cn:o:p:w:")) != -1) {
		switch (c) {
		case 'b':
			bfile = optarg;
			break;
		case 'c':
			add_cl = 0;
			break;
		case 'n':
			if ((count = strtol(optarg, NULL, 10)) < 1)
				usage();
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			pfile = optarg;
			break;
		case 'w':
			go = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (bfile != NULL)
		read_file(bfile, &body);
	for (i = 1; i < argc; i++)
		param_add(&params, argv[i], strlen(argv[i]), &has_cl);
	if (pfile != NULL)
		params_file(pfile, &params, &has_cl);
	if (!has_cl && add_cl) {
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", body.len);
		param_add(&params, cl, strlen(cl), &has_cl);
	}
	record(&req, FCGI_BEGIN_REQUEST, begin, sizeof(begin));
	stream(&req, FCGI_PARAMS, &params);
	hold_at = req.len;
	stream(&req, FCGI_STDIN, &body);
	for (i = 0; i < count; i++) {
		resp.len = 0;
		if ((fd = connect_to(argv[0])) == -1 ||
		    exchange(fd, &req, &resp, hold_at, go) == -1)
			rc = 1;
		if (fd != -1)
			close(fd);
		printf("%03d\n", status_of(&resp));
	}
	if (out != NULL && (fp = fopen(out, "w")) != NULL) {
		fwrite(resp.p, 1, resp.len, fp);
		fclose(fp);
	}
	free(params.p);
	free(body.p);
	free(req.p);
	free(resp.p);
	return rc;
}
