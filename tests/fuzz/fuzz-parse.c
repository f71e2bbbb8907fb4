/*
 * fuzz-parse: the rest of parse.c, one function per first byte of the
 * input ('0'-'7', others mod 8): integers (Content-Length), Unix and
 * ISO-8601 timestamps, signature items, networks and addresses
 * (allow_from, trusted_proxies), CGI variable names, endpoint names,
 * X-Forwarded-Proto and X-Forwarded-For.  Properties: results stay
 * within the bounds each function promises, pointers into the input stay
 * inside it, and a client taken from X-Forwarded-For is an address.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
items(const char *s, size_t len, char isep, char ksep)
{
	struct sig_items	 it;
	size_t			 i;

	if (parse_sig_items(s, len, isep, ksep, &it) == -1)
		return;
	if (it.count == 0 || it.count > sizeof(it.item) / sizeof(it.item[0]))
		abort();
	for (i = 0; i < it.count; i++) {
		if (it.item[i].val < s ||
		    it.item[i].val + it.item[i].vallen > s + len)
			abort();
		if (it.item[i].key != NULL && (it.item[i].key < s ||
		    it.item[i].key + it.item[i].keylen > s + len))
			abort();
	}
}

static void
net(const char *s, size_t len)
{
	struct net	 n;
	char		 addr[64];
	size_t		 cut;

	if (parse_net(s, len, &n) == 0 && (n.prefix > 128 ||
	    (n.family == AF_INET && n.prefix > 32)))
		abort();
	/* The same bytes as a peer address, against a fixed network. */
	cut = len < sizeof(addr) - 1 ? len : sizeof(addr) - 1;
	memcpy(addr, s, cut);
	addr[cut] = '\0';
	if (parse_net("10.0.0.0/8", 10, &n) == 0)
		(void)parse_net_contains(&n, addr);
	if (parse_net("2001:db8::/32", 13, &n) == 0)
		(void)parse_net_contains(&n, addr);
}

static void
forwarded_for(const char *s, size_t len)
{
	struct net	 trusted, n;
	char		 out[INET6_ADDRSTRLEN];

	if (parse_net("10.0.0.0/8", 10, &trusted) == -1)
		abort();
	if (parse_forwarded_for(s, len, &trusted, 1, out, sizeof(out)) == 0 &&
	    (strlen(out) >= sizeof(out) || parse_net(out, strlen(out), &n) ==
	    -1 || n.prefix != (n.family == AF_INET ? 32 : 128)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data + 1;
	char		*z, out[256];
	uint64_t	 u;
	time_t		 t;
	size_t		 len;
	int		 sel;

	if (size < 1)
		return 0;
	len = size - 1;
	sel = data[0] >= '0' && data[0] <= '9' ? data[0] - '0' : data[0];
	switch (sel % 8) {
	case 0:
		if (parse_uint(s, len, (uint64_t)1 << 53, &u) == 0 &&
		    u > (uint64_t)1 << 53)
			abort();
		break;
	case 1:
		if (parse_unix_time(s, len, 0, &t) == 0 && t < 0)
			abort();
		if (parse_unix_time(s, len, 1, &t) == 0 && t < 0)
			abort();
		break;
	case 2:
		if (parse_iso8601(s, len, &t) == 0 && t < 0)
			abort();
		break;
	case 3:
		items(s, len, ',', '=');
		items(s, len, ' ', ',');
		break;
	case 4:
		net(s, len);
		break;
	case 5:
		if ((z = strndup(s, len)) == NULL)
			return 0;
		/* Names are NUL-terminated CGI variables. */
		if (parse_cgi_header_name(z, out, sizeof(out)) == 0 &&
		    strlen(out) >= sizeof(out))
			abort();
		(void)parse_cgi_header_name(z, out, 4);
		free(z);
		break;
	case 6:
		if ((z = strndup(s, len)) == NULL)
			return 0;
		if (parse_endpoint_name(z) == 0 && (z[0] == '.' ||
		    strstr(z, "/") != NULL || strlen(z) > LIMIT_ENDPOINT_NAME))
			abort();
		free(z);
		break;
	default:
		(void)parse_forwarded_https(s, len);
		forwarded_for(s, len);
		break;
	}
	return 0;
}
