/*
 * fuzz-request: the collection of request headers from the FastCGI (or
 * CGI) environment, request.c's fill(), which every request goes
 * through before anything else looks at it.  The input is a list of
 * "NAME=VALUE" strings separated by NUL bytes, as libfcgi hands them
 * over.  Properties: at most LIMIT_HEADERS headers, each value within
 * LIMIT_HEADER_VALUE, names in canonical form, Content-Length either
 * absent (-1) or a number with the problem set otherwise, and the
 * redacted headers object written to the log is valid JSON.
 *
 * The file includes request.c itself to reach the static fill(), as
 * lighttpd's src/t tests do; the library's request.o is then not linked.
 */
#include "../../common/request.c"

#include <ctype.h>

#include "json.h"
#include "redact.h"

#define MAX_VARS	20000

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct request *req)
{
	const struct header	*h;
	size_t			 i;
	const char		*c;

	if (req->nheaders > LIMIT_HEADERS || req->content_length < -1)
		abort();
	for (i = 0; i < req->nheaders; i++) {
		h = &req->headers[i];
		if (h->len > LIMIT_HEADER_VALUE || strlen(h->value) != h->len ||
		    h->name[0] == '\0')
			abort();
		for (c = h->name; *c != '\0'; c++)
			if (!isalnum((unsigned char)*c) && *c != '-')
				abort();
		if (request_header(req, h->name) == NULL)
			abort();
	}
	if (req->content_length == -1 && req->problem == REQUEST_OK &&
	    strcmp(req->method, "POST") == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct request	 req;
	struct json_doc		*doc;
	struct buf		 out;
	char			*copy, **envp;
	char			 err[128];
	size_t			 i, n = 0;

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	if ((envp = calloc(MAX_VARS + 1, sizeof(*envp))) == NULL) {
		free(copy);
		return 0;
	}
	for (i = 0; i <= size && n < MAX_VARS; i++)
		if (i == 0 || copy[i - 1] == '\0')
			envp[n++] = copy + i;
	buf_init(&req.body, LIMIT_BODY);
	fill(&req, envp);
	check(&req);
	buf_init(&out, LIMIT_HEADER_TOTAL * 6 + 1024);
	if (redact_headers(&out, &req, "X-Token") == 0) {
		if ((doc = json_parse(out.data, out.len, err,
		    sizeof(err))) == NULL)
			abort();
		json_doc_free(doc);
	}
	buf_release(&out);
	buf_release(&req.body);
	free(envp);
	free(copy);
	return 0;
}
