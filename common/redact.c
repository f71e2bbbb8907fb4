/*
 * redact: credential-bearing headers.  The list is of headers that carry
 * a secret in clear: HTTP authentication, cookies, and the shared tokens
 * some providers send instead of a signature (GitLab's X-Gitlab-Token).
 */
#include <string.h>
#include <strings.h>

#include "json.h"
#include "redact.h"

static const char *const secret_headers[] = {
	"Authorization",
	"Proxy-Authorization",
	"Cookie",
	"Set-Cookie",
	"X-Gitlab-Token",
	"X-Api-Key",
	"X-Auth-Token",
	"X-Webhook-Token",
	"X-Hook-Token",
};

int
redact_is_secret(const char *name, const char *extra)
{
	size_t	 i;

	if (extra != NULL && strcasecmp(name, extra) == 0)
		return 1;
	for (i = 0; i < sizeof(secret_headers) / sizeof(secret_headers[0]);
	    i++)
		if (strcasecmp(name, secret_headers[i]) == 0)
			return 1;
	return 0;
}

/* Bytes of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t
utf8_len(const char *s, size_t len)
{
	unsigned char	 c = (unsigned char)s[0];
	size_t		 n;

	n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 :
	    c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	return n > 0 && n <= len && json_utf8_valid(s, n) ? n : 0;
}

/* Writes a value that may not be UTF-8, replacing each bad byte. */
static int
add_lossy(struct buf *out, const char *s, size_t len)
{
	struct buf	 tmp;
	size_t		 i, n;
	int		 rc;

	if (json_add_string(out, s, len) == 0)
		return 0;
	buf_init(&tmp, len * 3 + 1);
	for (i = 0; i < len; i += n) {
		if ((n = utf8_len(s + i, len - i)) > 0)
			rc = buf_add(&tmp, s + i, n);
		else {
			rc = buf_add(&tmp, "\xef\xbf\xbd", 3);
			n = 1;
		}
		if (rc == -1) {
			buf_release(&tmp);
			return -1;
		}
	}
	rc = json_add_string(out, tmp.data != NULL ? tmp.data : "", tmp.len);
	buf_release(&tmp);
	return rc;
}

int
redact_headers(struct buf *out, const struct request *req,
    const char *extra)
{
	const struct header	*h;
	size_t			 i;

	if (buf_addc(out, '{') == -1)
		return -1;
	for (i = 0; i < req->nheaders; i++) {
		h = &req->headers[i];
		if ((i > 0 && buf_addc(out, ',') == -1) ||
		    json_add_string(out, h->name, strlen(h->name)) == -1 ||
		    buf_addc(out, ':') == -1)
			return -1;
		if (redact_is_secret(h->name, extra) ?
		    json_add_string(out, REDACTED, strlen(REDACTED)) == -1 :
		    add_lossy(out, h->value, h->len) == -1)
			return -1;
	}
	return buf_addc(out, '}');
}
