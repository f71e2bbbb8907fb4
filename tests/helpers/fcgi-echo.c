/*
 * fcgi-echo: a test fixture, not part of the product.  A minimal libfcgi
 * responder that reads and discards the whole request body and answers
 * 200 with a flat JSON object describing what it saw: the request method,
 * WEBHOOK_ENDPOINT, WEBHOOK_CONFIG, HTTPS, the body length, and who
 * served it (mode, pid, uid).  tests/lib.sh uses it to prove that each web
 * server configuration passes bodies and variables through; benchmarks use
 * it as the floor (the cost of the server and FastCGI alone).
 *
 * It runs as FastCGI when started on a listening socket and as plain CGI
 * otherwise (FCGX_IsCGI()).  In FastCGI mode a variable is looked up in
 * the request's params first and the process environment second, because
 * Apache passes SetEnv values per request while lighttpd's bin-environment
 * and spawn-fcgi only set the process environment.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

/* Where the answer goes: a FastCGI stream, or stdout in CGI mode. */
struct out {
	FCGX_Stream	*fcgi;
};

/* Where the request comes from. */
struct in {
	FCGX_Stream	*fcgi;		/* NULL in CGI mode */
	FCGX_ParamArray	 envp;		/* NULL in CGI mode */
};

static void
out_write(struct out *o, const char *s, size_t n)
{
	if (o->fcgi != NULL)
		FCGX_PutStr(s, (int)n, o->fcgi);
	else
		fwrite(s, 1, n, stdout);
}

static void
out_str(struct out *o, const char *s)
{
	out_write(o, s, strlen(s));
}

static void
out_printf(struct out *o, const char *fmt, ...)
{
	char	 line[256];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	out_write(o, line, (size_t)n < sizeof(line) ? (size_t)n :
	    sizeof(line) - 1);
}

/* Writes s as a JSON string, or null when it is unset. */
static void
out_json(struct out *o, const char *s)
{
	const unsigned char	*p;

	if (s == NULL) {
		out_str(o, "null");
		return;
	}
	out_str(o, "\"");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			out_printf(o, "\\%c", *p);
		else if (*p < 0x20)
			out_printf(o, "\\u%04x", *p);
		else
			out_write(o, (const char *)p, 1);
	}
	out_str(o, "\"");
}

static const char *
param(struct in *in, const char *name)
{
	const char	*v;

	if (in->envp != NULL && (v = FCGX_GetParam(name, in->envp)) != NULL)
		return v;
	return getenv(name);
}

/*
 * Reads and counts the body.  FastCGI marks its end with an empty stdin
 * record; CGI gives no EOF guarantee, so read at most CONTENT_LENGTH.
 */
static unsigned long
drain(struct in *in)
{
	static char	 chunk[65536];
	const char	*cl;
	unsigned long	 want, got;
	size_t		 ask;
	int		 n;

	got = 0;
	if (in->fcgi != NULL) {
		while ((n = FCGX_GetStr(chunk, sizeof(chunk), in->fcgi)) > 0)
			got += (unsigned long)n;
		return got;
	}
	cl = getenv("CONTENT_LENGTH");
	want = cl != NULL ? strtoul(cl, NULL, 10) : 0;
	while (got < want) {
		ask = want - got < sizeof(chunk) ? want - got : sizeof(chunk);
		if ((n = (int)fread(chunk, 1, ask, stdin)) <= 0)
			break;
		got += (unsigned long)n;
	}
	return got;
}

static void
respond(struct in *in, struct out *o)
{
	unsigned long	 len;

	len = drain(in);
	out_str(o, "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n\r\n");
	out_str(o, "{\"method\":");
	out_json(o, param(in, "REQUEST_METHOD"));
	out_str(o, ",\"webhook_endpoint\":");
	out_json(o, param(in, "WEBHOOK_ENDPOINT"));
	out_str(o, ",\"webhook_config\":");
	out_json(o, param(in, "WEBHOOK_CONFIG"));
	out_str(o, ",\"https\":");
	out_json(o, param(in, "HTTPS"));
	out_str(o, ",\"content_length\":");
	out_json(o, param(in, "CONTENT_LENGTH"));
	out_printf(o, ",\"body_length\":%lu", len);
	out_printf(o, ",\"mode\":\"%s\"", in->fcgi != NULL ? "fastcgi" : "cgi");
	out_printf(o, ",\"pid\":%ld,\"uid\":%ld}\n", (long)getpid(),
	    (long)getuid());
}

int
main(void)
{
	FCGX_Request	 req;
	struct in	 in;
	struct out	 o;

	if (FCGX_IsCGI()) {
		in.fcgi = NULL;
		in.envp = NULL;
		o.fcgi = NULL;
		respond(&in, &o);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		in.fcgi = req.in;
		in.envp = req.envp;
		o.fcgi = req.out;
		respond(&in, &o);
		FCGX_Finish_r(&req);
	}
	return 0;
}
