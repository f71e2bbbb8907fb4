/*
 * respond: answers in CGI form.  The web server turns "Status:" into the
 * HTTP status line (RFC 3875, section 6.3.3).
 */
#include <string.h>

#include "json.h"
#include "respond.h"

const char *
respond_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default:  return "Unknown";
	}
}

int
respond_send(struct request_src *src, struct buf *scratch, int status,
    const char *content_type, const char *extra, const char *body,
    size_t len)
{
	buf_reset(scratch);
	if (buf_printf(scratch, "Status: %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n%s\r\n",
	    status, respond_status_text(status), content_type, len,
	    extra != NULL ? extra : "") == -1 ||
	    buf_add(scratch, body, len) == -1)
		return -1;
	/* One write: the FastCGI record or CGI pipe gets it in one go. */
	return request_write(src, scratch->data, scratch->len);
}

int
respond_json(struct buf *out, const char *word, const char *id,
    const char *reason)
{
	if (buf_addc(out, '{') == -1 ||
	    json_add_kv(out, 1, "status", word, strlen(word)) == -1 ||
	    (id != NULL && json_add_kv(out, 0, "id", id, strlen(id)) == -1) ||
	    (reason != NULL && json_add_kv(out, 0, "reason", reason,
	    strlen(reason)) == -1))
		return -1;
	return buf_adds(out, "}\n");
}
