/*
 * json: strict, depth-bounded reading through json-c, and a writer that
 * escapes in a single pass.  This is the only file that includes json-c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json.h"
#include "bounds.h"

struct json_doc {
	struct json_object	*root;
};

static int
only_space(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\n')
			return 0;
	return 1;
}

struct json_doc *
json_parse(const char *s, size_t len, char *err, size_t errlen)
{
	struct json_tokener	*tok;
	struct json_object	*root;
	struct json_doc		*doc;
	enum json_tokener_error	 jerr;
	size_t			 end;

	if (len > INT32_MAX) {
		snprintf(err, errlen, "JSON too large");
		return NULL;
	}
	if ((tok = json_tokener_new_ex(LIMIT_JSON_DEPTH)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/*
	 * A number or literal that ends the input ("123", "true") leaves
	 * json-c waiting for more digits: a NUL tells it the text is over.
	 * It has consumed everything by then.  "null" parses to NULL.
	 */
	if (jerr == json_tokener_continue) {
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		snprintf(err, errlen, "invalid JSON: %s",
		    json_tokener_error_desc(jerr));
		json_object_put(root);
		return NULL;
	}
	if (end < len && !only_space(s + end, len - end)) {
		snprintf(err, errlen, "invalid JSON: data after the value");
		json_object_put(root);
		return NULL;
	}
	if ((doc = malloc(sizeof(*doc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		json_object_put(root);
		return NULL;
	}
	doc->root = root;
	return doc;
}

void
json_doc_free(struct json_doc *doc)
{
	if (doc == NULL)
		return;
	json_object_put(doc->root);
	free(doc);
}

int
json_is_object(const struct json_doc *doc)
{
	return json_object_is_type(doc->root, json_type_object);
}

int
json_get(const struct json_doc *doc, const char *path, struct buf *out)
{
	struct json_object	*o = doc->root, *next;
	char			 key[128];
	const char		*p = path, *dot, *s;
	size_t			 n;

	for (;;) {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key))
			return 0;
		memcpy(key, p, n);
		key[n] = '\0';
		/* In an array, a step of up to 4 digits is an index ("0"). */
		if (json_object_is_type(o, json_type_array)) {
			if (n == 0 || n > 4 || strspn(key, "0123456789") != n ||
			    (next = json_object_array_get_idx(o,
			    (size_t)strtoul(key, NULL, 10))) == NULL)
				return 0;
		} else if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, key, &next))
			return 0;
		o = next;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	switch (json_object_get_type(o)) {
	case json_type_string:
		return buf_add(out, json_object_get_string(o),
		    (size_t)json_object_get_string_len(o)) == -1 ? -1 : 1;
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		return buf_adds(out, s) == -1 ? -1 : 1;
	default:
		return 0;
	}
}

int
json_pretty(const struct json_doc *doc, struct buf *out)
{
	const char	*s;

	s = json_object_to_json_string_ext(doc->root,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	return s == NULL ? -1 : buf_adds(out, s);
}

/* Length of the UTF-8 sequence at s, or 0 when it is not valid. */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	size_t		 n, i;
	unsigned int	 cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

int
json_utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/*
 * The escaped length of s, or 0 when s is not valid UTF-8: lets a buffer
 * too small for the worst case reserve exactly.
 */
static size_t
escaped_len(const unsigned char *p, size_t len)
{
	size_t	 i = 0, out = 2, n;

	while (i < len) {
		if (p[i] >= 0x20 && p[i] < 0x80) {
			out += p[i] == '"' || p[i] == '\\' ? 2 : 1;
			i++;
		} else if (p[i] < 0x20) {
			out += p[i] == '\n' || p[i] == '\r' || p[i] == '\t' ?
			    2 : 6;
			i++;
		} else {
			if ((n = utf8_seq(p + i, len - i)) == 0)
				return 0;
			out += n;
			i += n;
		}
	}
	return out;
}

/*
 * Log records escape whole bodies, and JSON bodies are full of quotes:
 * a call per run between them cost more than the rest of the record.
 * So the string is written in place, one byte at a time through a
 * table, into room reserved once, and only counted as added when all
 * of it was valid.
 */
int
json_add_string(struct buf *out, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	static unsigned char	 plain[256];
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;
	char			*w;
	int			 c;

	if (!plain['a'])
		for (c = 0x20; c < 0x80; c++)
			plain[c] = c != '"' && c != '\\';
	if (len > ((size_t)-1 - 2) / 6 || buf_reserve(out, len * 6 + 2) == -1)
		if ((n = escaped_len(p, len)) == 0 || buf_reserve(out, n) == -1)
			return -1;
	w = out->data + out->len;
	*w++ = '"';
	while (i < len) {
		if (plain[p[i]]) {
			*w++ = s[i++];
			continue;
		}
		if (p[i] >= 0x80) {
			if ((n = utf8_seq(p + i, len - i)) == 0) {
				out->data[out->len] = '\0';	/* as it was */
				return -1;
			}
			memcpy(w, s + i, n);
			w += n;
			i += n;
			continue;
		}
		*w++ = '\\';
		switch (p[i]) {
		case '"':  *w++ = '"';  break;
		case '\\': *w++ = '\\'; break;
		case '\n': *w++ = 'n';  break;
		case '\r': *w++ = 'r';  break;
		case '\t': *w++ = 't';  break;
		default:
			memcpy(w, "u00", 3);
			w[3] = hex[p[i] >> 4];
			w[4] = hex[p[i] & 0xf];
			w += 5;
			break;
		}
		i++;
	}
	*w++ = '"';
	out->len = (size_t)(w - out->data);
	out->data[out->len] = '\0';
	return 0;
}

int
json_add_string_lossy(struct buf *out, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	struct buf		 tmp;
	size_t			 i = 0, n;
	int			 rc = -1;

	if (json_utf8_valid(s, len))
		return json_add_string(out, s, len);
	/* U+FFFD takes three bytes where the bad byte took one. */
	buf_init(&tmp, len * 3 + 1);
	while (i < len) {
		n = p[i] < 0x80 ? 1 : utf8_seq(p + i, len - i);
		if (n == 0 ? buf_add(&tmp, "\xef\xbf\xbd", 3) == -1 :
		    buf_add(&tmp, s + i, n) == -1)
			goto out;
		i += n == 0 ? 1 : n;
	}
	rc = json_add_string(out, tmp.data != NULL ? tmp.data : "", tmp.len);
out:
	buf_release(&tmp);
	return rc;
}

int
json_add_kv(struct buf *out, int first, const char *key, const char *s,
    size_t len)
{
	size_t	 start = out->len;

	if ((!first && buf_addc(out, ',') == -1) ||
	    json_add_string(out, key, strlen(key)) == -1 ||
	    buf_addc(out, ':') == -1 || json_add_string(out, s, len) == -1) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

int
json_add_kv_int(struct buf *out, const char *key, long long v)
{
	return buf_printf(out, ",\"%s\":%lld", key, v);
}

int
json_add_base64(struct buf *out, const unsigned char *p, size_t len)
{
	static const char	 tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 i;
	char			 q[4];
	unsigned int		 v;

	if (buf_reserve(out, (len + 2) / 3 * 4) == -1)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned int)p[i] << 16 | (unsigned int)p[i + 1] << 8 |
		    p[i + 2];
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = tab[(v >> 6) & 63];
		q[3] = tab[v & 63];
		buf_add(out, q, 4);
	}
	if (i < len) {
		v = (unsigned int)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned int)p[i + 1] << 8;
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		q[3] = '=';
		buf_add(out, q, 4);
	}
	return 0;
}

/*
 * Reading a whole object back, for webhookctl (show, explain, replay):
 * the headers object of a log record, and the body re-serialised to
 * find out whether a proxy re-formatted it.
 */

/* The value at a dotted path, "" being the top level; NULL if absent. */
static struct json_object *
json_lookup(const struct json_doc *doc, const char *path)
{
	struct json_object	*o = doc->root, *next;
	char			 key[128];
	const char		*p = path, *dot;
	size_t			 n;

	while (*p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key) || !json_object_is_type(o,
		    json_type_object))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &next))
			return NULL;
		o = next;
		p = dot != NULL ? dot + 1 : p + n;
	}
	return o;
}

int
json_members(const struct json_doc *doc, const char *path,
    int (*fn)(void *, const char *, const char *, size_t), void *arg)
{
	struct json_object	*o;
	int			 rc;

	if ((o = json_lookup(doc, path)) == NULL ||
	    !json_object_is_type(o, json_type_object))
		return -1;
	json_object_object_foreach(o, key, val) {
		if (!json_object_is_type(val, json_type_string))
			continue;
		if ((rc = fn(arg, key, json_object_get_string(val),
		    (size_t)json_object_get_string_len(val))) != 0)
			return rc;
	}
	return 0;
}

int
json_compact(const struct json_doc *doc, struct buf *out)
{
	const char	*s;

	s = json_object_to_json_string_ext(doc->root, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	return s == NULL ? -1 : buf_adds(out, s);
}
