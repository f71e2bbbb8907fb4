/*
 * parse: the one place where untrusted text becomes values.  See parse.h
 * for the contract every function here keeps: bounded by the length it
 * is given, no allocation but into a bounded struct buf, no globals.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "parse.h"

int
parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	 v = 0, d;
	size_t		 i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (uint64_t)(s[i] - '0');
		/* d > max first: max - d must not wrap around. */
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
hexval_any(char c)
{
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return hexval(c);
}

int
parse_hex(const char *s, size_t len, unsigned char *out, size_t cap,
    size_t *outlen)
{
	size_t	 i;
	int	 hi, lo;

	if (len == 0 || len % 2 != 0 || len / 2 > cap)
		return -1;
	for (i = 0; i < len; i += 2) {
		if ((hi = hexval(s[i])) == -1 || (lo = hexval(s[i + 1])) == -1)
			return -1;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*outlen = len / 2;
	return 0;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
parse_base64(const char *s, size_t len, unsigned char *out, size_t cap,
    size_t *outlen)
{
	uint32_t	 acc = 0;
	size_t		 i, n = 0, pad = 0, bits = 0;
	int		 v;

	/* Padding only at the end, at most two, and only to a full quad. */
	while (pad < 2 && len > 0 && s[len - 1] == '=') {
		len--;
		pad++;
	}
	if (len == 0 || len % 4 == 1 || (pad > 0 && (len + pad) % 4 != 0))
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64val(s[i])) == -1)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits must be zero, or two encodings would decode alike. */
	if ((acc & ((1U << bits) - 1)) != 0)
		return -1;
	*outlen = n;
	return 0;
}

/* The fixed DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410). */
static const unsigned char ed25519_spki[12] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};

static int
is_hexkey(const char *s, size_t len)
{
	size_t	 i;

	if (len != 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Does the armour's first line name a private key? */
static int
has_private(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i + 11 <= len && s[i] != '\n'; i++)
		if (memcmp(s + i, "PRIVATE KEY", 11) == 0)
			return 1;
	return 0;
}

/* The base64 between PEM armour lines, whitespace dropped. */
static int
pem_body(const char *s, size_t len, unsigned char *der, size_t cap,
    size_t *derlen)
{
	static const char	 begin[] = "-----BEGIN PUBLIC KEY-----";
	static const char	 end[] = "-----END PUBLIC KEY-----";
	char			 b64[LIMIT_PUBKEY_TEXT];
	const char		*p, *q;
	size_t			 n = 0;

	if (len < sizeof(begin) - 1 + sizeof(end) - 1 ||
	    memcmp(s, begin, sizeof(begin) - 1) != 0)
		return -1;
	p = s + sizeof(begin) - 1;
	q = s + len - (sizeof(end) - 1);
	if (memcmp(q, end, sizeof(end) - 1) != 0)
		return -1;
	for (; p < q; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			continue;
		if (n == sizeof(b64))
			return -1;
		b64[n++] = *p;
	}
	return parse_base64(b64, n, der, cap, derlen);
}

int
parse_public_key(const char *s, size_t len, unsigned char *der, size_t cap,
    size_t *derlen)
{
	char	 lower[64];
	size_t	 i, n;

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	if (len == 0 || len > LIMIT_PUBKEY_TEXT)
		return -1;
	/* "BEGIN PRIVATE KEY", "BEGIN EC PRIVATE KEY", ... */
	if (len > 11 && memcmp(s, "-----BEGIN ", 11) == 0 &&
	    has_private(s, len))
		return -2;
	if (is_hexkey(s, len)) {
		if (cap < sizeof(ed25519_spki) + 32)
			return -1;
		/* The portal shows lowercase; accept either spelling. */
		for (i = 0; i < len; i++)
			lower[i] = (char)tolower((unsigned char)s[i]);
		memcpy(der, ed25519_spki, sizeof(ed25519_spki));
		if (parse_hex(lower, len, der + sizeof(ed25519_spki), 32,
		    &n) == -1)
			return -1;
		*derlen = sizeof(ed25519_spki) + n;
		return 0;
	}
	if (s[0] == '-')
		return pem_body(s, len, der, cap, derlen);
	return parse_base64(s, len, der, cap, derlen);
}

int
parse_unix_time(const char *s, size_t len, int ms, time_t *out)
{
	uint64_t	 v;

	/* Up to the year 9999, which also keeps the value inside time_t. */
	if (parse_uint(s, len, ms ? 253402300799999ULL : 253402300799ULL,
	    &v) == -1)
		return -1;
	*out = (time_t)(ms ? v / 1000 : v);
	return 0;
}

static int
digits(const char *s, size_t n, int *out)
{
	size_t	 i;
	int	 v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days in a month of the Gregorian calendar; timegm() would roll over. */
static int
mdays(int y, int mo)
{
	static const int	 days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[mo - 1];
}

int
parse_iso8601(const char *s, size_t len, time_t *out)
{
	struct tm	 tm;
	int		 y, mo, d, h, mi, sec;
	size_t		 i = 19;
	time_t		 t;

	if (len < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) == -1 || digits(s + 5, 2, &mo) == -1 ||
	    digits(s + 8, 2, &d) == -1 || digits(s + 11, 2, &h) == -1 ||
	    digits(s + 14, 2, &mi) == -1 || digits(s + 17, 2, &sec) == -1)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo) ||
	    h > 23 || mi > 59 || sec > 60)
		return -1;
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == 20)
			return -1;
	}
	/* Only UTC is accepted: that is what the providers send. */
	if (!((len - i == 1 && (s[i] == 'Z' || s[i] == 'z')) ||
	    (len - i == 6 && memcmp(s + i, "+00:00", 6) == 0)))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = t;
	return 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

int
parse_sig_items(const char *s, size_t len, char item_sep, char key_sep,
    struct sig_items *out)
{
	struct sig_item	*it;
	const char	*end = s + len, *p = s, *q, *a, *b, *k;

	out->count = 0;
	for (;;) {
		if ((q = memchr(p, item_sep, (size_t)(end - p))) == NULL)
			q = end;
		for (a = p, b = q; a < b && is_space(*a); a++)
			;
		while (b > a && is_space(b[-1]))
			b--;
		/* A space separator may repeat; any other may not. */
		if (a == b && item_sep != ' ')
			return -1;
		if (a < b) {
			if (out->count ==
			    sizeof(out->item) / sizeof(out->item[0]))
				return -1;
			it = &out->item[out->count++];
			k = memchr(a, key_sep, (size_t)(b - a));
			it->key = k != NULL ? a : NULL;
			it->keylen = k != NULL ? (size_t)(k - a) : 0;
			it->val = k != NULL ? k + 1 : a;
			it->vallen = (size_t)(b - it->val);
		}
		if (q == end)
			break;
		p = q + 1;
	}
	return out->count == 0 ? -1 : 0;
}

static int
form_decode(const char *s, size_t len, struct buf *out)
{
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			if (buf_addc(out, ' ') == -1)
				return -1;
		} else if (s[i] == '%') {
			if (i + 2 >= len)
				return -1;
			if ((hi = hexval_any(s[i + 1])) == -1 ||
			    (lo = hexval_any(s[i + 2])) == -1)
				return -1;
			if (buf_addc(out, (char)(hi << 4 | lo)) == -1)
				return -1;
			i += 2;
		} else if (buf_addc(out, s[i]) == -1)
			return -1;
	}
	return 0;
}

int
parse_form_field(const char *s, size_t len, const char *key,
    struct buf *out)
{
	const char	*end = s + len, *p, *q, *eq;
	size_t		 klen = strlen(key);

	for (p = s; p < end; p = q + 1) {
		if ((q = memchr(p, '&', (size_t)(end - p))) == NULL)
			q = end;
		eq = memchr(p, '=', (size_t)(q - p));
		/* Keys we look up need no decoding, so compare raw bytes. */
		if (eq != NULL && (size_t)(eq - p) == klen &&
		    memcmp(p, key, klen) == 0)
			return form_decode(eq + 1, (size_t)(q - eq - 1), out)
			    == -1 ? -1 : 1;
		if (q == end)
			break;
	}
	return 0;
}

/* The query of a request URI: after the first '?', before any '#'. */
static void
query_part(const char *uri, size_t len, const char **q, size_t *qlen)
{
	const char	*qm, *hash;

	*q = NULL;
	*qlen = 0;
	if ((qm = memchr(uri, '?', len)) == NULL)
		return;
	*q = qm + 1;
	*qlen = len - (size_t)(*q - uri);
	if ((hash = memchr(*q, '#', *qlen)) != NULL)
		*qlen = (size_t)(hash - *q);
}

int
parse_query_field(const char *uri, size_t len, const char *key,
    struct buf *out)
{
	const char	*q;
	size_t		 qlen;

	query_part(uri, len, &q, &qlen);
	return q == NULL ? 0 : parse_form_field(q, qlen, key, out);
}

int
parse_query_mask(const char *uri, size_t len, const char *key,
    const char *mask, struct buf *out)
{
	const char	*q, *end, *p, *amp, *eq;
	size_t		 qlen, klen = strlen(key);

	query_part(uri, len, &q, &qlen);
	if (q == NULL)
		return buf_add(out, uri, len);
	if (buf_add(out, uri, (size_t)(q - uri)) == -1)
		return -1;
	end = q + qlen;
	for (p = q; p <= end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (p > q && buf_addc(out, '&') == -1)
			return -1;
		if (eq != NULL && (size_t)(eq - p) == klen &&
		    memcmp(p, key, klen) == 0) {
			if (buf_add(out, p, klen + 1) == -1 ||
			    buf_adds(out, mask) == -1)
				return -1;
		} else if (buf_add(out, p, (size_t)(amp - p)) == -1)
			return -1;
		if (amp == end)
			break;
	}
	return buf_add(out, end, len - (size_t)(end - uri));
}

int
parse_cgi_header_name(const char *var, char *out, size_t cap)
{
	size_t	 i, n;
	int	 start = 1;

	if (strncmp(var, "HTTP_", 5) == 0)
		var += 5;
	else if (strcmp(var, "CONTENT_TYPE") != 0 &&
	    strcmp(var, "CONTENT_LENGTH") != 0)
		return -1;
	n = strlen(var);
	if (n == 0 || n >= cap)
		return -1;
	for (i = 0; i < n; i++) {
		if (var[i] == '_') {
			out[i] = '-';
			start = 1;
		} else if (isalnum((unsigned char)var[i])) {
			out[i] = start ? (char)toupper((unsigned char)var[i]) :
			    (char)tolower((unsigned char)var[i]);
			start = 0;
		} else
			return -1;
	}
	out[n] = '\0';
	return 0;
}

int
parse_endpoint_name(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n > LIMIT_ENDPOINT_NAME || s[0] == '.')
		return -1;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return -1;
	return 0;
}

int
parse_net(const char *s, size_t len, struct net *out)
{
	char		 tmp[INET6_ADDRSTRLEN + 8];
	const char	*slash;
	uint64_t	 prefix;
	size_t		 alen;

	slash = memchr(s, '/', len);
	alen = slash != NULL ? (size_t)(slash - s) : len;
	if (alen == 0 || alen >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, tmp, out->addr) == 1) {
		out->family = AF_INET;
		out->prefix = 32;
	} else if (inet_pton(AF_INET6, tmp, out->addr) == 1) {
		out->family = AF_INET6;
		out->prefix = 128;
	} else
		return -1;
	if (slash != NULL) {
		if (parse_uint(slash + 1, len - alen - 1, out->prefix,
		    &prefix) == -1)
			return -1;
		out->prefix = (unsigned int)prefix;
	}
	return 0;
}

int
parse_net_contains(const struct net *n, const char *addr)
{
	unsigned char	 a[16];
	unsigned int	 full, rest;

	/* An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d. */
	if (n->family == AF_INET && strncmp(addr, "::ffff:", 7) == 0 &&
	    strchr(addr + 7, '.') != NULL)
		addr += 7;
	if (inet_pton(n->family, addr, a) != 1)
		return 0;
	full = n->prefix / 8;
	rest = n->prefix % 8;
	if (memcmp(a, n->addr, full) != 0)
		return 0;
	if (rest != 0 &&
	    ((a[full] ^ n->addr[full]) & (unsigned char)(0xff << (8 - rest))))
		return 0;
	return 1;
}

int
parse_forwarded_https(const char *s, size_t len)
{
	const char	*p = s + len, *start;

	while (p > s && is_space(p[-1]))
		p--;
	start = p;
	while (start > s && start[-1] != ',')
		start--;
	while (start < p && is_space(*start))
		start++;
	return p - start == 5 && strncasecmp(start, "https", 5) == 0;
}

/* 1 when the textual address s lies in one of the n networks. */
static int
in_nets(const struct net *nets, size_t n, const char *s)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (parse_net_contains(&nets[i], s))
			return 1;
	return 0;
}

int
parse_forwarded_for(const char *s, size_t len, const struct net *trusted,
    size_t ntrusted, char *out, size_t cap)
{
	const char	*end = s + len, *start, *p;
	unsigned char	 bin[16];

	if (cap < INET6_ADDRSTRLEN)
		return -1;
	for (;;) {
		while (end > s && is_space(end[-1]))
			end--;
		for (start = end; start > s && start[-1] != ','; start--)
			;
		for (p = start; p < end && is_space(*p); p++)
			;
		/* An empty element, or one too long for an address. */
		if (p == end || (size_t)(end - p) >= cap)
			return -1;
		memcpy(out, p, (size_t)(end - p));
		out[end - p] = '\0';
		if (inet_pton(AF_INET, out, bin) != 1 &&
		    inet_pton(AF_INET6, out, bin) != 1)
			return -1;
		/* The leftmost is the client, trusted or not. */
		if (start == s || !in_nets(trusted, ntrusted, out))
			return 0;
		end = start - 1;
	}
}

/* One decoded parameter: offsets into the scratch buffer. */
struct form_param {
	size_t	 k, klen, v, vlen;
};

static int
cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int	 c;

	if ((c = memcmp(a, b, alen < blen ? alen : blen)) != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int
cmp_param(const char *base, const struct form_param *x,
    const struct form_param *y)
{
	int	 c;

	if ((c = cmp_bytes(base + x->k, x->klen, base + y->k, y->klen)) != 0)
		return c;
	return cmp_bytes(base + x->v, x->vlen, base + y->v, y->vlen);
}

/* Insertion sort: at most LIMIT_FORM_PARAMS, and qsort has no context. */
static void
sort_params(const char *base, struct form_param *fp, size_t n)
{
	struct form_param	 t;
	size_t			 i, j;

	for (i = 1; i < n; i++) {
		t = fp[i];
		for (j = i; j > 0 && cmp_param(base, &fp[j - 1], &t) > 0; j--)
			fp[j] = fp[j - 1];
		fp[j] = t;
	}
}

/* Decodes every name=value pair of s into tmp; the count in *n. */
static int
form_params(const char *s, size_t len, struct buf *tmp,
    struct form_param *fp, size_t *n)
{
	const char	*end = s + len, *p, *q, *eq;

	*n = 0;
	for (p = s; p < end; p = q + 1) {
		if ((q = memchr(p, '&', (size_t)(end - p))) == NULL)
			q = end;
		if (q > p) {
			if (*n == LIMIT_FORM_PARAMS)
				return -1;
			if ((eq = memchr(p, '=', (size_t)(q - p))) == NULL)
				eq = q;
			fp[*n].k = tmp->len;
			if (form_decode(p, (size_t)(eq - p), tmp) == -1)
				return -1;
			fp[*n].klen = tmp->len - fp[*n].k;
			fp[*n].v = tmp->len;
			if (eq < q && form_decode(eq + 1, (size_t)(q - eq - 1),
			    tmp) == -1)
				return -1;
			fp[*n].vlen = tmp->len - fp[*n].v;
			(*n)++;
		}
		if (q == end)
			break;
	}
	return 0;
}

int
parse_form_sorted(const char *s, size_t len, struct buf *out)
{
	struct form_param	 fp[LIMIT_FORM_PARAMS];
	struct buf		 tmp;
	const char		*base;
	size_t			 i, n;
	int			 rc = -1;

	buf_init(&tmp, len + 1);
	if (form_params(s, len, &tmp, fp, &n) == -1)
		goto out;
	base = tmp.data != NULL ? tmp.data : "";
	sort_params(base, fp, n);
	for (i = 0; i < n; i++) {
		/* twilio-python de-duplicates a name's values. */
		if (i > 0 && cmp_param(base, &fp[i - 1], &fp[i]) == 0)
			continue;
		if (buf_add(out, base + fp[i].k, fp[i].klen) == -1 ||
		    buf_add(out, base + fp[i].v, fp[i].vlen) == -1)
			goto out;
	}
	rc = 0;
out:
	buf_release(&tmp);
	return rc;
}

int
parse_url_ports(const char *u, size_t len, struct buf *without,
    struct buf *with)
{
	const char	*auth, *end, *colon, *port, *p;
	size_t		 slen;

	if (len > 8 && strncasecmp(u, "https://", 8) == 0) {
		slen = 8;
		port = "443";
	} else if (len > 7 && strncasecmp(u, "http://", 7) == 0) {
		slen = 7;
		port = "80";
	} else
		return -1;
	auth = u + slen;
	for (end = auth; end < u + len && *end != '/' && *end != '?' &&
	    *end != '#'; end++)
		if (*end == '@')
			return -1;
	if (end == auth)
		return -1;
	/* The port follows the last ':' after any IPv6 literal's ']'. */
	for (colon = end; colon > auth && colon[-1] != ':' &&
	    colon[-1] != ']'; colon--)
		;
	if (colon > auth && colon[-1] == ':') {
		if (colon == end)
			return -1;
		for (p = colon; p < end; p++)
			if (*p < '0' || *p > '9')
				return -1;
		return buf_add(without, u, (size_t)(colon - 1 - u)) == -1 ||
		    buf_add(without, end, (size_t)(u + len - end)) == -1 ||
		    buf_add(with, u, len) == -1 ? -1 : 0;
	}
	return buf_add(without, u, len) == -1 ||
	    buf_add(with, u, (size_t)(end - u)) == -1 ||
	    buf_addc(with, ':') == -1 || buf_adds(with, port) == -1 ||
	    buf_add(with, end, (size_t)(u + len - end)) == -1 ? -1 : 0;
}

int
parse_url_hubspot(const char *u, size_t len, struct buf *out)
{
	/* HubSpot docs, "Validate the v3 request signature", step 2. */
	static const char	 keep[] = ":/?@!$'()*,;";
	size_t			 i;
	int			 hi, lo, c;

	for (i = 0; i < len; i++) {
		if (u[i] == '%' && i + 2 < len &&
		    (hi = hexval_any(u[i + 1])) != -1 &&
		    (lo = hexval_any(u[i + 2])) != -1 &&
		    (c = hi << 4 | lo) != 0 && strchr(keep, c) != NULL) {
			if (buf_addc(out, (char)c) == -1)
				return -1;
			i += 2;
		} else if (buf_addc(out, u[i]) == -1)
			return -1;
	}
	return 0;
}
