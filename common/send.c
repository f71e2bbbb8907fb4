/*
 * send: one POST through libcurl's easy interface.  The global init is
 * reference counted by libcurl, so pairing it with a cleanup around
 * each call is safe in a one-shot tool and leaves nothing behind.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "send.h"

void
send_reply_init(struct send_reply *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, SEND_MAX_REPLY);
}

void
send_reply_release(struct send_reply *r)
{
	if (r == NULL)
		return;
	buf_release(&r->body);
}

/* libcurl's write callback: keep what fits, drop the rest. */
static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct send_reply	*r = arg;
	size_t			 len = size * n, room;

	room = r->body.max - r->body.len;
	if (len > room)
		r->truncated = 1;
	if (buf_add(&r->body, p, len > room ? room : len) == -1)
		return 0;	/* out of memory: libcurl stops */
	return len;
}

/* Is the header named in line (up to its ':') among the lines given? */
static int
has_header(const struct curl_slist *l, const char *name)
{
	size_t	 n = strlen(name);

	for (; l != NULL; l = l->next)
		if (strncasecmp(l->data, name, n) == 0 &&
		    (l->data[n] == ':' || l->data[n] == ';'))
			return 1;
	return 0;
}

/* Appends one line to the list; 0, or -1 (the list is kept). */
static int
append(struct curl_slist **l, const char *line)
{
	struct curl_slist	*n;

	if ((n = curl_slist_append(*l, line)) == NULL)
		return -1;
	*l = n;
	return 0;
}

/*
 * Turns "Name: value\n" lines into libcurl's list.  "Name:" alone would
 * make libcurl drop the header, so an empty value is written "Name;",
 * its syntax for an empty header.
 */
static int
header_list(const char *h, size_t len, struct curl_slist **out)
{
	struct curl_slist	*l = NULL;
	char			 line[16384];
	const char		*end, *nl, *colon;
	size_t			 k, v;

	for (end = h + len; h < end; h = nl + 1) {
		if ((nl = memchr(h, '\n', (size_t)(end - h))) == NULL)
			nl = end;
		k = (size_t)(nl - h);
		if (k > 0 && h[k - 1] == '\r')
			k--;
		if (k == 0)
			continue;
		if (k >= sizeof(line) || (colon = memchr(h, ':', k)) == NULL)
			goto fail;
		memcpy(line, h, k);
		line[k] = '\0';
		for (v = (size_t)(colon - h) + 1; v < k && line[v] == ' '; v++)
			;
		if (v == k)
			line[colon - h] = ';';
		if (append(&l, line) == -1)
			goto fail;
	}
	/* "Name:" with nothing after it stops libcurl adding its own. */
	if ((!has_header(l, "Content-Type") &&
	    append(&l, "Content-Type:") == -1) ||
	    (!has_header(l, "Accept") && append(&l, "Accept:") == -1) ||
	    append(&l, "Expect:") == -1)
		goto fail;
	*out = l;
	return 0;
fail:
	curl_slist_free_all(l);
	return -1;
}

/* One exchange: a POST of body, or a GET when body is NULL. */
static int
exchange(const char *url, const char *headers, size_t headerslen,
    const char *body, size_t bodylen, const struct send_opts *o,
    struct send_reply *r, char *err, size_t errlen)
{
	struct curl_slist	*hl = NULL;
	CURL			*c = NULL;
	CURLcode		 rc;
	char			 cerr[CURL_ERROR_SIZE];
	int			 ret = -1;

	cerr[0] = '\0';
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	if (header_list(headers, headerslen, &hl) == -1) {
		snprintf(err, errlen, "a header line is malformed or too long");
		goto out;
	}
	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot initialise libcurl");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Webhook senders speak HTTP/1.1, and so do we. */
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	if (body == NULL)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, bodylen > 0 ? body :
		    "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)bodylen);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		snprintf(err, errlen, "%s", cerr[0] != '\0' ? cerr :
		    curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	ret = 0;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	curl_global_cleanup();
	return ret;
}

int
send_post(const char *url, const char *headers, size_t headerslen,
    const char *body, size_t bodylen, const struct send_opts *o,
    struct send_reply *r, char *err, size_t errlen)
{
	return exchange(url, headers, headerslen, body != NULL ? body : "",
	    bodylen, o, r, err, errlen);
}

int
send_get(const char *url, const char *headers, size_t headerslen,
    const struct send_opts *o, struct send_reply *r, char *err,
    size_t errlen)
{
	return exchange(url, headers, headerslen, NULL, 0, o, r, err, errlen);
}
