/*
 * test-parse: every parser of untrusted text, table-driven.  Each case
 * carries its __LINE__ so that a failure names the row.  Expected values
 * come from the specifications (RFC 4648 section 10 for base64) or were
 * computed independently (date -u -d ... +%s for the timestamps).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "parse.h"

/* parse_uint */

struct uint_case {
	int		 line;
	const char	*in;
	uint64_t	 max;
	int		 rc;
	uint64_t	 want;
};

static const struct uint_case uint_cases[] = {
	{ __LINE__, "0", 10, 0, 0 },
	{ __LINE__, "123", 1000, 0, 123 },
	{ __LINE__, "007", 1000, 0, 7 },
	{ __LINE__, "", 1000, -1, 0 },
	{ __LINE__, "+1", 1000, -1, 0 },
	{ __LINE__, "-1", 1000, -1, 0 },
	{ __LINE__, "-0", 1000, -1, 0 },
	{ __LINE__, " 1", 1000, -1, 0 },
	{ __LINE__, "1 ", 1000, -1, 0 },
	{ __LINE__, "1 2", 1000, -1, 0 },
	{ __LINE__, "\t1", 1000, -1, 0 },
	{ __LINE__, "0x10", 1000, -1, 0 },
	{ __LINE__, "1.5", 1000, -1, 0 },
	{ __LINE__, "1e3", 10000, -1, 0 },
	{ __LINE__, "12a", 1000, -1, 0 },
	/* The bound itself is in, one more is out. */
	{ __LINE__, "100", 100, 0, 100 },
	{ __LINE__, "101", 100, -1, 0 },
	{ __LINE__, "1000", 100, -1, 0 },
	{ __LINE__, "0", 0, 0, 0 },
	{ __LINE__, "1", 0, -1, 0 },
	/* A single digit above a small max. */
	{ __LINE__, "5", 5, 0, 5 },
	{ __LINE__, "7", 5, -1, 0 },
	{ __LINE__, "9", 8, -1, 0 },
	{ __LINE__, "10", 9, -1, 0 },
	{ __LINE__, "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
	{ __LINE__, "18446744073709551616", UINT64_MAX, -1, 0 },
	{ __LINE__, "18446744073709551620", UINT64_MAX, -1, 0 },
	{ __LINE__, "99999999999999999999", UINT64_MAX, -1, 0 },
	{ __LINE__, "999999999999999999999", UINT64_MAX, -1, 0 },
	{ __LINE__, "4294967296", 4294967295U, -1, 0 },
	{ __LINE__, "4294967295", 4294967295U, 0, 4294967295U },
};

static void
test_uint(void **state)
{
	const struct uint_case	*c;
	uint64_t		 v;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(uint_cases) / sizeof(uint_cases[0]); i++) {
		c = &uint_cases[i];
		v = 12345;
		rc = parse_uint(c->in, strlen(c->in), c->max, &v);
		if (rc != c->rc || (rc == 0 && v != c->want))
			fail_msg("line %d: parse_uint(\"%s\", max %llu) = %d,"
			    " %llu", c->line, c->in,
			    (unsigned long long)c->max, rc,
			    (unsigned long long)v);
	}
}

static void
test_uint_bounded(void **state)
{
	uint64_t	 v;

	(void)state;
	/* Only len bytes are read: what follows is none of its business. */
	assert_int_equal(parse_uint("12345", 3, 1000, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(parse_uint("12x", 2, 1000, &v), 0);
	assert_int_equal(v, 12);
	/* A refused value leaves the output alone. */
	v = 77;
	assert_int_equal(parse_uint("x", 1, 1000, &v), -1);
	assert_int_equal(v, 77);
}

/* parse_hex */

struct hex_case {
	int		 line;
	const char	*in;
	size_t		 cap;
	int		 rc;
	const char	*want;	/* bytes */
	size_t		 wantlen;
};

static const struct hex_case hex_cases[] = {
	{ __LINE__, "00ff", 8, 0, "\x00\xff", 2 },
	{ __LINE__, "0123456789abcdef", 8, 0,
	    "\x01\x23\x45\x67\x89\xab\xcd\xef", 8 },
	{ __LINE__, "7f", 1, 0, "\x7f", 1 },
	{ __LINE__, "", 8, -1, NULL, 0 },
	{ __LINE__, "a", 8, -1, NULL, 0 },
	{ __LINE__, "abc", 8, -1, NULL, 0 },
	{ __LINE__, "ABCD", 8, -1, NULL, 0 },
	{ __LINE__, "aB", 8, -1, NULL, 0 },
	{ __LINE__, "Ab", 8, -1, NULL, 0 },
	{ __LINE__, "0g", 8, -1, NULL, 0 },
	{ __LINE__, "zz", 8, -1, NULL, 0 },
	{ __LINE__, " 00", 8, -1, NULL, 0 },
	{ __LINE__, "00 ", 8, -1, NULL, 0 },
	{ __LINE__, "0x00", 8, -1, NULL, 0 },
	{ __LINE__, "-1", 8, -1, NULL, 0 },
	/* The cap: exactly enough, then one byte short. */
	{ __LINE__, "00112233", 4, 0, "\x00\x11\x22\x33", 4 },
	{ __LINE__, "00112233", 3, -1, NULL, 0 },
	{ __LINE__, "00", 0, -1, NULL, 0 },
};

static void
test_hex(void **state)
{
	const struct hex_case	*c;
	unsigned char		 out[16];
	size_t			 i, n;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(hex_cases) / sizeof(hex_cases[0]); i++) {
		c = &hex_cases[i];
		n = 999;
		memset(out, 0xee, sizeof(out));
		rc = parse_hex(c->in, strlen(c->in), out, c->cap, &n);
		if (rc != c->rc)
			fail_msg("line %d: parse_hex(\"%s\") = %d", c->line,
			    c->in, rc);
		if (rc == 0 && (n != c->wantlen ||
		    memcmp(out, c->want, n) != 0))
			fail_msg("line %d: parse_hex(\"%s\") decoded wrong",
			    c->line, c->in);
		/* Never writes past the cap. */
		if (out[c->cap] != 0xee)
			fail_msg("line %d: wrote past the cap", c->line);
	}
}

static void
test_hex_digest(void **state)
{
	/* A SHA-256 as GitHub sends it: 64 digits decode to 32 bytes. */
	static const char	 s[] =
	    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
	unsigned char		 out[32];
	size_t			 n;

	(void)state;
	assert_int_equal(parse_hex(s, 64, out, sizeof(out), &n), 0);
	assert_int_equal(n, 32);
	assert_int_equal(out[0], 0x75);
	assert_int_equal(out[31], 0x17);
	/* 62 and 63 digits are refused when 32 bytes are expected... */
	assert_int_equal(parse_hex(s, 63, out, sizeof(out), &n), -1);
	/* ...and 66 do not fit. */
	assert_int_equal(parse_hex(
	    "757107ea0eb2509fc211221cce984b8a"
	    "37570b6d7586c22c46f4379c8b043e1700",
	    66, out, sizeof(out), &n), -1);
}

/* parse_base64 */

struct b64_case {
	int		 line;
	const char	*in;
	size_t		 cap;
	int		 rc;
	const char	*want;
};

static const struct b64_case b64_cases[] = {
	/* RFC 4648 section 10, padded as printed there. */
	{ __LINE__, "Zg==", 16, 0, "f" },
	{ __LINE__, "Zm8=", 16, 0, "fo" },
	{ __LINE__, "Zm9v", 16, 0, "foo" },
	{ __LINE__, "Zm9vYg==", 16, 0, "foob" },
	{ __LINE__, "Zm9vYmE=", 16, 0, "fooba" },
	{ __LINE__, "Zm9vYmFy", 16, 0, "foobar" },
	/* The same without padding (Standard Webhooks). */
	{ __LINE__, "Zg", 16, 0, "f" },
	{ __LINE__, "Zm8", 16, 0, "fo" },
	{ __LINE__, "Zm9vYg", 16, 0, "foob" },
	{ __LINE__, "Zm9vYmE", 16, 0, "fooba" },
	/*
	 * RFC 4648's BASE64("") = "": refused, as parse_hex refuses "":
	 * every caller decodes a signature, and none is empty.
	 */
	{ __LINE__, "", 16, -1, NULL },
	/* Padding: partial, too much, or not at the end. */
	{ __LINE__, "Zg=", 16, -1, NULL },
	{ __LINE__, "Zg===", 16, -1, NULL },
	{ __LINE__, "Zm9v=", 16, -1, NULL },
	{ __LINE__, "Zm9v====", 16, -1, NULL },
	{ __LINE__, "=Zg=", 16, -1, NULL },
	{ __LINE__, "Zg==Zg==", 16, -1, NULL },
	{ __LINE__, "==", 16, -1, NULL },
	{ __LINE__, "=", 16, -1, NULL },
	/* A lone sextet cannot make a byte. */
	{ __LINE__, "Z", 16, -1, NULL },
	{ __LINE__, "Zm9vY", 16, -1, NULL },
	/* Characters outside the standard alphabet. */
	{ __LINE__, "Zm9v!", 16, -1, NULL },
	{ __LINE__, "Zm 9v", 16, -1, NULL },
	{ __LINE__, "Zm9v\n", 16, -1, NULL },
	{ __LINE__, "-_-_", 16, -1, NULL },
	{ __LINE__, "+/+/", 16, 0, "\xfb\xff\xbf" },
	/* Non-zero bits after the last byte: a second spelling, refused. */
	{ __LINE__, "Zh==", 16, -1, NULL },
	{ __LINE__, "Zh", 16, -1, NULL },
	{ __LINE__, "Zm9=", 16, -1, NULL },
	{ __LINE__, "Zm9", 16, -1, NULL },
	/* The cap. */
	{ __LINE__, "Zm9vYmFy", 6, 0, "foobar" },
	{ __LINE__, "Zm9vYmFy", 5, -1, NULL },
	{ __LINE__, "Zm9vYmE=", 4, -1, NULL },
	{ __LINE__, "Zg==", 0, -1, NULL },
};

static void
test_base64(void **state)
{
	const struct b64_case	*c;
	unsigned char		 out[17];
	size_t			 i, n;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(b64_cases) / sizeof(b64_cases[0]); i++) {
		c = &b64_cases[i];
		n = 999;
		memset(out, 0xee, sizeof(out));
		rc = parse_base64(c->in, strlen(c->in), out, c->cap, &n);
		if (rc != c->rc)
			fail_msg("line %d: parse_base64(\"%s\") = %d",
			    c->line, c->in, rc);
		if (rc == 0 && (n != strlen(c->want) ||
		    memcmp(out, c->want, n) != 0))
			fail_msg("line %d: parse_base64(\"%s\") decoded"
			    " wrong (%zu bytes)", c->line, c->in, n);
		if (out[c->cap] != 0xee)
			fail_msg("line %d: wrote past the cap", c->line);
	}
}

static void
test_base64_digest(void **state)
{
	/* 44 characters of a SHA-256, from tests/vectors/zendesk/001. */
	static const char	 s[] =
	    "KpXR04YbPdDiISEe0Nu6n+47J92DtpaHJFBA9gXFXB8=";
	unsigned char		 out[32];
	size_t			 n;

	(void)state;
	assert_int_equal(parse_base64(s, strlen(s), out, sizeof(out), &n), 0);
	assert_int_equal(n, 32);
	assert_int_equal(out[0], 0x2a);
	/* Unpadded, it is the same digest. */
	assert_int_equal(parse_base64(s, strlen(s) - 1, out, sizeof(out),
	    &n), 0);
	assert_int_equal(n, 32);
	/* One character short loses the last byte: no longer 32. */
	assert_int_equal(parse_base64(s, strlen(s) - 2, out, sizeof(out),
	    &n), -1);
}

/* parse_unix_time */

struct time_case {
	int		 line;
	const char	*in;
	int		 ms;
	int		 rc;
	long long	 want;
};

static const struct time_case time_cases[] = {
	{ __LINE__, "1700000000", 0, 0, 1700000000LL },
	{ __LINE__, "0", 0, 0, 0 },
	{ __LINE__, "1531420618", 0, 0, 1531420618LL },
	{ __LINE__, "1700000000123", 1, 0, 1700000000LL },
	{ __LINE__, "1700000000999", 1, 0, 1700000000LL },
	{ __LINE__, "999", 1, 0, 0 },
	{ __LINE__, "", 0, -1, 0 },
	{ __LINE__, "-1", 0, -1, 0 },
	{ __LINE__, "+1700000000", 0, -1, 0 },
	{ __LINE__, " 1700000000", 0, -1, 0 },
	{ __LINE__, "1700000000.5", 0, -1, 0 },
	{ __LINE__, "abc", 0, -1, 0 },
	{ __LINE__, "Thu, 12 Jul 2018 18:36:58 GMT", 0, -1, 0 },
	/* 9999-12-31T23:59:59Z is the last second accepted. */
	{ __LINE__, "253402300799", 0, 0, 253402300799LL },
	{ __LINE__, "253402300800", 0, -1, 0 },
	{ __LINE__, "253402300799999", 1, 0, 253402300799LL },
	{ __LINE__, "253402300800000", 1, -1, 0 },
	{ __LINE__, "99999999999999999999", 0, -1, 0 },
};

static void
test_unix_time(void **state)
{
	const struct time_case	*c;
	time_t			 t;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		c = &time_cases[i];
		t = -7;
		rc = parse_unix_time(c->in, strlen(c->in), c->ms, &t);
		if (rc != c->rc || (rc == 0 && (long long)t != c->want))
			fail_msg("line %d: parse_unix_time(\"%s\", %d) = %d,"
			    " %lld", c->line, c->in, c->ms, rc,
			    (long long)t);
	}
}

/* parse_iso8601; expected seconds from date -u -d <text> +%s. */

static const struct time_case iso_cases[] = {
	{ __LINE__, "2021-03-25T05:09:27Z", 0, 0, 1616648967LL },
	{ __LINE__, "2021-03-25T05:09:27z", 0, 0, 1616648967LL },
	{ __LINE__, "2021-03-25t05:09:27Z", 0, 0, 1616648967LL },
	{ __LINE__, "2021-03-25T05:09:27+00:00", 0, 0, 1616648967LL },
	{ __LINE__, "2021-03-25T05:09:27.1Z", 0, 0, 1616648967LL },
	{ __LINE__, "2021-03-25T05:09:27.672717030Z", 0, 0, 1616648967LL },
	{ __LINE__, "2021-03-25T05:09:27.999+00:00", 0, 0, 1616648967LL },
	{ __LINE__, "2025-01-08T10:12:08Z", 0, 0, 1736331128LL },
	{ __LINE__, "1970-01-01T00:00:00Z", 0, 0, 0 },
	{ __LINE__, "2038-01-19T03:14:08Z", 0, 0, 2147483648LL },
	{ __LINE__, "2000-12-31T23:59:59Z", 0, 0, 978307199LL },
	{ __LINE__, "2020-02-29T00:00:00Z", 0, 0, 1582934400LL },
	{ __LINE__, "9999-12-31T23:59:59Z", 0, 0, 253402300799LL },
	/* Other offsets, or none, are refused: providers send UTC. */
	{ __LINE__, "2021-03-25T05:09:27+01:00", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:09:27-00:00", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:09:27-05:00", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:09:27+0000", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:09:27+00:00Z", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:09:27", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:09:27ZZ", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:09:27 Z", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:09:27UTC", 0, -1, 0 },
	/* Fractions need a digit. */
	{ __LINE__, "2021-03-25T05:09:27.Z", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:09:27.", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:09:27.5", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:09:27,5Z", 0, -1, 0 },
	/* Layout. */
	{ __LINE__, "", 0, -1, 0 },
	{ __LINE__, "2021-03-25", 0, -1, 0 },
	{ __LINE__, "2021-3-25T05:09:27Z", 0, -1, 0 },
	{ __LINE__, "2021/03/25T05:09:27Z", 0, -1, 0 },
	{ __LINE__, "2021-03-25X05:09:27Z", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05-09-27Z", 0, -1, 0 },
	{ __LINE__, "202a-03-25T05:09:27Z", 0, -1, 0 },
	{ __LINE__, "2021-03-2aT05:09:27Z", 0, -1, 0 },
	{ __LINE__, "+021-03-25T05:09:27Z", 0, -1, 0 },
	{ __LINE__, "1616648967", 0, -1, 0 },
	/* Dates and times that do not exist. */
	{ __LINE__, "2021-00-25T05:09:27Z", 0, -1, 0 },
	{ __LINE__, "2021-13-25T05:09:27Z", 0, -1, 0 },
	{ __LINE__, "2021-03-00T05:09:27Z", 0, -1, 0 },
	{ __LINE__, "2021-03-32T05:09:27Z", 0, -1, 0 },
	{ __LINE__, "2021-04-31T00:00:00Z", 0, -1, 0 },
	{ __LINE__, "2021-06-31T00:00:00Z", 0, -1, 0 },
	{ __LINE__, "2021-02-29T00:00:00Z", 0, -1, 0 },
	{ __LINE__, "2021-02-30T00:00:00Z", 0, -1, 0 },
	{ __LINE__, "2100-02-29T00:00:00Z", 0, -1, 0 },
	{ __LINE__, "2000-02-29T00:00:00Z", 0, 0, 951782400LL },
	{ __LINE__, "2021-03-25T24:00:00Z", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:60:00Z", 0, -1, 0 },
	{ __LINE__, "2021-03-25T05:09:61Z", 0, -1, 0 },
};

static void
test_iso8601(void **state)
{
	const struct time_case	*c;
	time_t			 t;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(iso_cases) / sizeof(iso_cases[0]); i++) {
		c = &iso_cases[i];
		t = -7;
		rc = parse_iso8601(c->in, strlen(c->in), &t);
		if (rc != c->rc || (rc == 0 && (long long)t != c->want))
			fail_msg("line %d: parse_iso8601(\"%s\") = %d, %lld",
			    c->line, c->in, rc, (long long)t);
	}
}

static void
test_iso8601_bounded(void **state)
{
	static const char	 s[] = "2021-03-25T05:09:27Zjunk";
	time_t			 t;

	(void)state;
	assert_int_equal(parse_iso8601(s, 20, &t), 0);
	assert_int_equal((long long)t, 1616648967LL);
	assert_int_equal(parse_iso8601(s, strlen(s), &t), -1);
	/* Cut inside the value: never read on. */
	assert_int_equal(parse_iso8601(s, 19, &t), -1);
	assert_int_equal(parse_iso8601(s, 5, &t), -1);
}

/* parse_sig_items */

struct item_want {
	const char	*key;	/* NULL: no key */
	const char	*val;
};

struct items_case {
	int			 line;
	const char		*in;
	char			 item_sep, key_sep;
	int			 rc;
	size_t			 count;
	struct item_want	 items[4];
};

static const struct items_case items_cases[] = {
	{ __LINE__, "t=1,v1=a,v1=b", ',', '=', 0, 3,
	    { { "t", "1" }, { "v1", "a" }, { "v1", "b" } } },
	{ __LINE__, "t=1, v1=a ,\tv1=b", ',', '=', 0, 3,
	    { { "t", "1" }, { "v1", "a" }, { "v1", "b" } } },
	{ __LINE__, "t=1533204620,v1=abc,v0=def", ',', '=', 0, 3,
	    { { "t", "1533204620" }, { "v1", "abc" }, { "v0", "def" } } },
	{ __LINE__, "bad_header", ',', '=', 0, 1, { { NULL, "bad_header" } } },
	/* The key ends at the first separator. */
	{ __LINE__, "k=v=w", ',', '=', 0, 1, { { "k", "v=w" } } },
	{ __LINE__, "=x", ',', '=', 0, 1, { { "", "x" } } },
	{ __LINE__, "v1=", ',', '=', 0, 1, { { "v1", "" } } },
	/* Standard Webhooks: space-separated, runs of spaces allowed. */
	{ __LINE__, "v1,AAA v1,BBB", ' ', ',', 0, 2,
	    { { "v1", "AAA" }, { "v1", "BBB" } } },
	{ __LINE__, "v1,AAA    v1,BBB", ' ', ',', 0, 2,
	    { { "v1", "AAA" }, { "v1", "BBB" } } },
	{ __LINE__, "  v1,AAA  v1,BBB  ", ' ', ',', 0, 2,
	    { { "v1", "AAA" }, { "v1", "BBB" } } },
	{ __LINE__, "v1,K+/=", ' ', ',', 0, 1, { { "v1", "K+/=" } } },
	{ __LINE__, "   ", ' ', ',', -1, 0, { { NULL, NULL } } },
	/* With ',' an empty item is an error, never skipped. */
	{ __LINE__, "", ',', '=', -1, 0, { { NULL, NULL } } },
	{ __LINE__, "t=1,,v1=a", ',', '=', -1, 0, { { NULL, NULL } } },
	{ __LINE__, "t=1,", ',', '=', -1, 0, { { NULL, NULL } } },
	{ __LINE__, ",t=1", ',', '=', -1, 0, { { NULL, NULL } } },
	{ __LINE__, "t=1, ,v1=a", ',', '=', -1, 0, { { NULL, NULL } } },
	{ __LINE__, ",", ',', '=', -1, 0, { { NULL, NULL } } },
};

static void
check_items(const struct items_case *c)
{
	struct sig_items	 it;
	const struct sig_item	*g;
	const struct item_want	*w;
	size_t			 i;
	int			 rc;

	rc = parse_sig_items(c->in, strlen(c->in), c->item_sep, c->key_sep,
	    &it);
	if (rc != c->rc)
		fail_msg("line %d: parse_sig_items(\"%s\") = %d", c->line,
		    c->in, rc);
	if (rc != 0)
		return;
	if (it.count != c->count)
		fail_msg("line %d: %zu items, want %zu", c->line, it.count,
		    c->count);
	for (i = 0; i < c->count; i++) {
		g = &it.item[i];
		w = &c->items[i];
		if ((w->key == NULL) != (g->key == NULL) || (w->key != NULL &&
		    (g->keylen != strlen(w->key) ||
		    memcmp(g->key, w->key, g->keylen) != 0)))
			fail_msg("line %d: item %zu: wrong key", c->line, i);
		if (g->vallen != strlen(w->val) ||
		    memcmp(g->val, w->val, g->vallen) != 0)
			fail_msg("line %d: item %zu: value '%.*s', want '%s'",
			    c->line, i, (int)g->vallen, g->val, w->val);
		/* Items point into the input. */
		if (g->val < c->in || g->val + g->vallen > c->in +
		    strlen(c->in))
			fail_msg("line %d: item %zu not in the input",
			    c->line, i);
	}
}

static void
test_sig_items(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(items_cases) / sizeof(items_cases[0]); i++)
		check_items(&items_cases[i]);
}

static void
test_sig_items_limit(void **state)
{
	struct sig_items	 it;
	char			 s[512];
	size_t			 i, max, len = 0;

	(void)state;
	max = sizeof(it.item) / sizeof(it.item[0]);
	assert_int_equal(max, LIMIT_SIGNATURES * 2);
	for (i = 0; i < max; i++)
		len += (size_t)snprintf(s + len, sizeof(s) - len, "%sv1=%02zx",
		    i > 0 ? "," : "", i);
	assert_int_equal(parse_sig_items(s, len, ',', '=', &it), 0);
	assert_int_equal(it.count, max);
	assert_int_equal(it.item[max - 1].vallen, 2);
	assert_memory_equal(it.item[max - 1].val, "0f", 2);
	/* One item more is refused, not silently cut. */
	len += (size_t)snprintf(s + len, sizeof(s) - len, ",v1=ff");
	assert_int_equal(parse_sig_items(s, len, ',', '=', &it), -1);
	/* The same with spaces: empty runs do not count, items do. */
	len = 0;
	for (i = 0; i <= max; i++)
		len += (size_t)snprintf(s + len, sizeof(s) - len, "  v1,%zu",
		    i);
	assert_int_equal(parse_sig_items(s, len, ' ', ',', &it), -1);
}

/* parse_form_field */

struct form_case {
	int		 line;
	const char	*in;
	const char	*key;
	int		 rc;
	const char	*want;
	size_t		 wantlen;
};

static const struct form_case form_cases[] = {
	{ __LINE__, "a=1&b=2", "b", 1, "2", 1 },
	{ __LINE__, "a=1&b=2", "a", 1, "1", 1 },
	{ __LINE__, "text=hello+world", "text", 1, "hello world", 11 },
	{ __LINE__, "payload=%7B%22a%22%3A1%7D", "payload", 1, "{\"a\":1}",
	    7 },
	{ __LINE__, "p=%7b%7D", "p", 1, "{}", 2 },
	{ __LINE__, "p=%2B+%25", "p", 1, "+ %", 3 },
	{ __LINE__, "p=a%00b", "p", 1, "a\0b", 3 },
	{ __LINE__, "p=%41", "p", 1, "A", 1 },
	{ __LINE__, "p=", "p", 1, "", 0 },
	{ __LINE__, "p=&q=1", "p", 1, "", 0 },
	{ __LINE__, "p=x=y", "p", 1, "x=y", 3 },
	/* The first match wins. */
	{ __LINE__, "a=1&a=2", "a", 1, "1", 1 },
	/* Bad percent-encoding. */
	{ __LINE__, "p=%", "p", -1, NULL, 0 },
	{ __LINE__, "p=%4", "p", -1, NULL, 0 },
	{ __LINE__, "p=%4&q=1", "p", -1, NULL, 0 },
	{ __LINE__, "p=%zz", "p", -1, NULL, 0 },
	{ __LINE__, "p=%4g", "p", -1, NULL, 0 },
	{ __LINE__, "p=%g4", "p", -1, NULL, 0 },
	/* A broken field that is not asked for does not matter. */
	{ __LINE__, "x=%zz&a=1", "a", 1, "1", 1 },
	/* Absent. */
	{ __LINE__, "", "a", 0, NULL, 0 },
	{ __LINE__, "a=1", "b", 0, NULL, 0 },
	{ __LINE__, "ab=1", "a", 0, NULL, 0 },
	{ __LINE__, "a", "a", 0, NULL, 0 },
	{ __LINE__, "a&b", "a", 0, NULL, 0 },
	{ __LINE__, "xa=1&ba=2", "a", 0, NULL, 0 },
	{ __LINE__, "&&&", "a", 0, NULL, 0 },
};

static void
test_form(void **state)
{
	const struct form_case	*c;
	struct buf		 out;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(form_cases) / sizeof(form_cases[0]); i++) {
		c = &form_cases[i];
		buf_init(&out, 1024);
		rc = parse_form_field(c->in, strlen(c->in), c->key, &out);
		if (rc != c->rc)
			fail_msg("line %d: parse_form_field(\"%s\", %s) = %d",
			    c->line, c->in, c->key, rc);
		if (rc == 1 && (out.len != c->wantlen || (c->wantlen > 0 &&
		    memcmp(out.data, c->want, c->wantlen) != 0)))
			fail_msg("line %d: got '%s'", c->line,
			    out.data != NULL ? out.data : "");
		if (rc == 0 && out.len != 0)
			fail_msg("line %d: absent but wrote", c->line);
		buf_release(&out);
	}
}

static void
test_form_full(void **state)
{
	struct buf	 out;

	(void)state;
	buf_init(&out, 3);
	assert_int_equal(parse_form_field("a=123", 5, "a", &out), 1);
	buf_reset(&out);
	assert_int_equal(parse_form_field("a=1234", 6, "a", &out), -1);
	buf_release(&out);
	/* Bounded by len: the "&b=2" beyond it is not seen. */
	buf_init(&out, 16);
	assert_int_equal(parse_form_field("a=1&b=2", 3, "b", &out), 0);
	assert_int_equal(parse_form_field("a=1&b=2", 3, "a", &out), 1);
	assert_string_equal(out.data, "1");
	buf_release(&out);
}

/* parse_query_field, parse_query_mask */

static const struct form_case query_cases[] = {
	/* Meta's verification request, from its docs. */
	{ __LINE__, "/hooks/meta?hub.mode=subscribe&hub.challenge=1158201444"
	    "&hub.verify_token=meatyhamhock", "hub.challenge", 1, "1158201444",
	    10 },
	{ __LINE__, "/hooks/meta?hub.mode=subscribe&hub.challenge=1158201444"
	    "&hub.verify_token=meatyhamhock", "hub.verify_token", 1,
	    "meatyhamhock", 12 },
	{ __LINE__, "/x?challenge=a%2Fb+c", "challenge", 1, "a/b c", 5 },
	/* The fragment is not the query. */
	{ __LINE__, "/x?a=1#b=2", "b", 0, NULL, 0 },
	{ __LINE__, "/x?a=1#b=2", "a", 1, "1", 1 },
	/* Only after the first '?'. */
	{ __LINE__, "/x?a=1?b=2", "a", 1, "1?b=2", 5 },
	/* The path is not the query. */
	{ __LINE__, "/a=1", "a", 0, NULL, 0 },
	{ __LINE__, "/x", "a", 0, NULL, 0 },
	{ __LINE__, "/x?", "a", 0, NULL, 0 },
	{ __LINE__, "", "a", 0, NULL, 0 },
	{ __LINE__, "?a=", "a", 1, "", 0 },
	{ __LINE__, "/x?challenge=%zz", "challenge", -1, NULL, 0 },
	/* Keys are compared raw, as sent. */
	{ __LINE__, "/x?hub%2Echallenge=1", "hub.challenge", 0, NULL, 0 },
};

static void
test_query(void **state)
{
	const struct form_case	*c;
	struct buf		 out;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
		c = &query_cases[i];
		buf_init(&out, 1024);
		rc = parse_query_field(c->in, strlen(c->in), c->key, &out);
		if (rc != c->rc)
			fail_msg("line %d: parse_query_field(\"%s\", %s) = %d",
			    c->line, c->in, c->key, rc);
		if (rc == 1 && (out.len != c->wantlen || (c->wantlen > 0 &&
		    memcmp(out.data, c->want, c->wantlen) != 0)))
			fail_msg("line %d: got '%s'", c->line,
			    out.data != NULL ? out.data : "");
		buf_release(&out);
	}
}

struct mask_case {
	int		 line;
	const char	*in;
	const char	*want;
};

static const struct mask_case mask_cases[] = {
	{ __LINE__, "/m?hub.mode=subscribe&t=T0k&hub.challenge=1",
	    "/m?hub.mode=subscribe&t=X&hub.challenge=1" },
	{ __LINE__, "/m?t=1&t=2", "/m?t=X&t=X" },
	{ __LINE__, "/m?t=", "/m?t=X" },
	{ __LINE__, "/m?tt=1&t", "/m?tt=1&t" },
	{ __LINE__, "/m?a=1&&t=2&", "/m?a=1&&t=X&" },
	{ __LINE__, "/m?t=1#t=2", "/m?t=X#t=2" },
	{ __LINE__, "/m", "/m" },
	{ __LINE__, "/m?", "/m?" },
	{ __LINE__, "/t=1", "/t=1" },
};

static void
test_query_mask(void **state)
{
	const struct mask_case	*c;
	struct buf		 out;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(mask_cases) / sizeof(mask_cases[0]); i++) {
		c = &mask_cases[i];
		buf_init(&out, 1024);
		if (parse_query_mask(c->in, strlen(c->in), "t", "X",
		    &out) != 0 || strcmp(out.data, c->want) != 0)
			fail_msg("line %d: parse_query_mask(\"%s\") = '%s'",
			    c->line, c->in, out.data != NULL ? out.data : "");
		buf_release(&out);
	}
	/* Too small a buffer fails, it does not cut. */
	buf_init(&out, 4);
	assert_int_equal(parse_query_mask("/m?t=secret", 11, "t", "X", &out),
	    -1);
	buf_release(&out);
}

/* parse_cgi_header_name */

struct cgi_case {
	int		 line;
	const char	*var;
	size_t		 cap;
	int		 rc;
	const char	*want;
};

static const struct cgi_case cgi_cases[] = {
	{ __LINE__, "HTTP_X_HUB_SIGNATURE_256", 64, 0, "X-Hub-Signature-256" },
	{ __LINE__, "HTTP_USER_AGENT", 64, 0, "User-Agent" },
	{ __LINE__, "HTTP_STRIPE_SIGNATURE", 64, 0, "Stripe-Signature" },
	{ __LINE__, "HTTP_X_GITHUB_EVENT", 64, 0, "X-Github-Event" },
	{ __LINE__, "HTTP_ACCEPT", 64, 0, "Accept" },
	{ __LINE__, "HTTP_x_lower", 64, 0, "X-Lower" },
	{ __LINE__, "CONTENT_TYPE", 64, 0, "Content-Type" },
	{ __LINE__, "CONTENT_LENGTH", 64, 0, "Content-Length" },
	{ __LINE__, "REMOTE_ADDR", 64, -1, NULL },
	{ __LINE__, "HTTPS", 64, -1, NULL },
	{ __LINE__, "HTTP_", 64, -1, NULL },
	{ __LINE__, "HTTP", 64, -1, NULL },
	{ __LINE__, "CONTENT_TYPEX", 64, -1, NULL },
	{ __LINE__, "HTTP_X-Y", 64, -1, NULL },
	{ __LINE__, "HTTP_X.Y", 64, -1, NULL },
	{ __LINE__, "HTTP_X Y", 64, -1, NULL },
	{ __LINE__, "HTTP_X:Y", 64, -1, NULL },
	/* cap counts the NUL. */
	{ __LINE__, "HTTP_ABCD", 5, 0, "Abcd" },
	{ __LINE__, "HTTP_ABCD", 4, -1, NULL },
};

static void
test_cgi_header_name(void **state)
{
	const struct cgi_case	*c;
	char			 out[65];
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(cgi_cases) / sizeof(cgi_cases[0]); i++) {
		c = &cgi_cases[i];
		memset(out, 'Z', sizeof(out));
		rc = parse_cgi_header_name(c->var, out, c->cap);
		if (rc != c->rc || (rc == 0 && strcmp(out, c->want) != 0))
			fail_msg("line %d: parse_cgi_header_name(%s) = %d",
			    c->line, c->var, rc);
		if (out[c->cap] != 'Z')
			fail_msg("line %d: wrote past cap", c->line);
	}
}

/* parse_endpoint_name */

static void
test_endpoint_name(void **state)
{
	static const struct {
		int		 line;
		const char	*name;
		int		 rc;
	} cases[] = {
		{ __LINE__, "github", 0 },
		{ __LINE__, "a", 0 },
		{ __LINE__, "my-hook_1.v2", 0 },
		{ __LINE__, "A.B-C_D", 0 },
		{ __LINE__, "x..y", 0 },
		{ __LINE__, "", -1 },
		{ __LINE__, ".", -1 },
		{ __LINE__, "..", -1 },
		{ __LINE__, ".x", -1 },
		{ __LINE__, "../x", -1 },
		{ __LINE__, "a/b", -1 },
		{ __LINE__, "/etc", -1 },
		{ __LINE__, "a b", -1 },
		{ __LINE__, "a\tb", -1 },
		{ __LINE__, "x\n", -1 },
		{ __LINE__, "na\xc3\xafve", -1 },
		{ __LINE__, "a;b", -1 },
		{ __LINE__, "a*", -1 },
		{ __LINE__, "[global]", -1 },
	};
	char	 name[LIMIT_ENDPOINT_NAME + 2];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (parse_endpoint_name(cases[i].name) != cases[i].rc)
			fail_msg("line %d: parse_endpoint_name(\"%s\") != %d",
			    cases[i].line, cases[i].name, cases[i].rc);
	/* The longest name, then one byte too long. */
	memset(name, 'n', LIMIT_ENDPOINT_NAME);
	name[LIMIT_ENDPOINT_NAME] = '\0';
	assert_int_equal(parse_endpoint_name(name), 0);
	name[LIMIT_ENDPOINT_NAME] = 'n';
	name[LIMIT_ENDPOINT_NAME + 1] = '\0';
	assert_int_equal(parse_endpoint_name(name), -1);
}

/* parse_net and parse_net_contains */

struct net_case {
	int		 line;
	const char	*net;
	const char	*addr;
	int		 want;	/* contains */
};

static const struct net_case net_cases[] = {
	{ __LINE__, "10.0.0.0/8", "10.1.2.3", 1 },
	{ __LINE__, "10.0.0.0/8", "10.255.255.255", 1 },
	{ __LINE__, "10.0.0.0/8", "11.0.0.1", 0 },
	{ __LINE__, "10.0.0.0/8", "9.255.255.255", 0 },
	{ __LINE__, "192.168.1.0/24", "192.168.1.0", 1 },
	{ __LINE__, "192.168.1.0/24", "192.168.1.255", 1 },
	{ __LINE__, "192.168.1.0/24", "192.168.2.0", 0 },
	{ __LINE__, "192.168.1.0/24", "192.168.0.255", 0 },
	{ __LINE__, "1.2.3.4/32", "1.2.3.4", 1 },
	{ __LINE__, "1.2.3.4/32", "1.2.3.5", 0 },
	{ __LINE__, "1.2.3.4", "1.2.3.4", 1 },
	{ __LINE__, "1.2.3.4", "1.2.3.40", 0 },
	{ __LINE__, "0.0.0.0/0", "1.2.3.4", 1 },
	{ __LINE__, "0.0.0.0/0", "255.255.255.255", 1 },
	{ __LINE__, "0.0.0.0/0", "::1", 0 },
	/* Prefixes that end inside a byte. */
	{ __LINE__, "10.0.0.0/25", "10.0.0.127", 1 },
	{ __LINE__, "10.0.0.0/25", "10.0.0.128", 0 },
	{ __LINE__, "10.0.0.0/9", "10.127.255.255", 1 },
	{ __LINE__, "10.0.0.0/9", "10.128.0.0", 0 },
	{ __LINE__, "128.0.0.0/1", "200.1.1.1", 1 },
	{ __LINE__, "128.0.0.0/1", "127.1.1.1", 0 },
	{ __LINE__, "10.0.0.0/31", "10.0.0.1", 1 },
	{ __LINE__, "10.0.0.0/31", "10.0.0.2", 0 },
	/* Host bits set in the network do not matter. */
	{ __LINE__, "10.1.2.3/8", "10.200.0.1", 1 },
	/* IPv4 clients of a dual-stack socket. */
	{ __LINE__, "10.0.0.0/8", "::ffff:10.1.2.3", 1 },
	{ __LINE__, "10.0.0.0/8", "::ffff:11.1.2.3", 0 },
	{ __LINE__, "127.0.0.1", "::ffff:127.0.0.1", 1 },
	{ __LINE__, "::ffff:0:0/96", "::ffff:10.1.2.3", 1 },
	/* IPv6. */
	{ __LINE__, "::1", "::1", 1 },
	{ __LINE__, "::1", "::2", 0 },
	{ __LINE__, "::1/128", "::1", 1 },
	{ __LINE__, "::/0", "2001:db8::1", 1 },
	{ __LINE__, "::/0", "1.2.3.4", 0 },
	{ __LINE__, "2001:db8::/32", "2001:db8:1::1", 1 },
	{ __LINE__, "2001:db8::/32", "2001:0db8:ffff:ffff::", 1 },
	{ __LINE__, "2001:db8::/32", "2001:db9::1", 0 },
	{ __LINE__, "fe80::/10", "febf::1", 1 },
	{ __LINE__, "fe80::/10", "fec0::1", 0 },
	{ __LINE__, "2001:db8::/64", "2001:db8::ffff:1", 1 },
	{ __LINE__, "2001:db8::/64", "2001:db8:0:1::1", 0 },
	/* Not an address. */
	{ __LINE__, "10.0.0.0/8", "", 0 },
	{ __LINE__, "10.0.0.0/8", "not-an-ip", 0 },
	{ __LINE__, "10.0.0.0/8", "10.1.2", 0 },
	{ __LINE__, "10.0.0.0/8", "10.1.2.3 ", 0 },
	{ __LINE__, "2001:db8::/32", "10.1.2.3", 0 },
};

static void
test_net_contains(void **state)
{
	const struct net_case	*c;
	struct net		 n;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(net_cases) / sizeof(net_cases[0]); i++) {
		c = &net_cases[i];
		if (parse_net(c->net, strlen(c->net), &n) != 0)
			fail_msg("line %d: parse_net(\"%s\") failed", c->line,
			    c->net);
		if (parse_net_contains(&n, c->addr) != c->want)
			fail_msg("line %d: %s contains %s != %d", c->line,
			    c->net, c->addr, c->want);
	}
}

static void
test_net_parse(void **state)
{
	static const struct {
		int		 line;
		const char	*in;
		int		 rc;
		int		 family;
		unsigned int	 prefix;
	} cases[] = {
		{ __LINE__, "10.0.0.0/8", 0, AF_INET, 8 },
		{ __LINE__, "10.0.0.1", 0, AF_INET, 32 },
		{ __LINE__, "0.0.0.0/0", 0, AF_INET, 0 },
		{ __LINE__, "1.2.3.4/32", 0, AF_INET, 32 },
		{ __LINE__, "::1", 0, AF_INET6, 128 },
		{ __LINE__, "::/0", 0, AF_INET6, 0 },
		{ __LINE__, "2001:db8::/128", 0, AF_INET6, 128 },
		{ __LINE__, "10.0.0.0/33", -1, 0, 0 },
		{ __LINE__, "2001:db8::/129", -1, 0, 0 },
		{ __LINE__, "10.0.0.0/", -1, 0, 0 },
		{ __LINE__, "10.0.0.0/-1", -1, 0, 0 },
		{ __LINE__, "10.0.0.0/+8", -1, 0, 0 },
		{ __LINE__, "10.0.0.0/ 8", -1, 0, 0 },
		{ __LINE__, "10.0.0.0/8/8", -1, 0, 0 },
		{ __LINE__, "10.0.0.0/x", -1, 0, 0 },
		{ __LINE__, "/8", -1, 0, 0 },
		{ __LINE__, "", -1, 0, 0 },
		{ __LINE__, "10.0.0", -1, 0, 0 },
		{ __LINE__, "10.0.0.256", -1, 0, 0 },
		{ __LINE__, " 10.0.0.1", -1, 0, 0 },
		{ __LINE__, "localhost", -1, 0, 0 },
		{ __LINE__, "2001:db8:::1", -1, 0, 0 },
		{ __LINE__,
		    "10.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",
		    -1, 0, 0 },
	};
	struct net	 n;
	size_t		 i;
	int		 rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = parse_net(cases[i].in, strlen(cases[i].in), &n);
		if (rc != cases[i].rc || (rc == 0 &&
		    (n.family != cases[i].family ||
		    n.prefix != cases[i].prefix)))
			fail_msg("line %d: parse_net(\"%s\") = %d",
			    cases[i].line, cases[i].in, rc);
	}
	/* Bounded by len. */
	assert_int_equal(parse_net("10.0.0.0/8junk", 10, &n), 0);
	assert_int_equal(n.prefix, 8);
	assert_int_equal(parse_net("10.0.0.12", 8, &n), 0);
	assert_int_equal(n.prefix, 32);
	assert_int_equal(parse_net_contains(&n, "10.0.0.12"), 0);
	assert_int_equal(parse_net_contains(&n, "10.0.0.1"), 1);
}

/* parse_forwarded_https */

static void
test_forwarded_https(void **state)
{
	static const struct {
		int		 line;
		const char	*in;
		int		 want;
	} cases[] = {
		{ __LINE__, "https", 1 },
		{ __LINE__, "HTTPS", 1 },
		{ __LINE__, "http", 0 },
		{ __LINE__, "http, https", 1 },
		{ __LINE__, "http,https", 1 },
		{ __LINE__, "https, http", 0 },
		{ __LINE__, "https,http", 0 },
		{ __LINE__, " https ", 1 },
		{ __LINE__, "\thttps\t", 1 },
		{ __LINE__, "", 0 },
		{ __LINE__, "https,", 0 },
		{ __LINE__, "https, ", 0 },
		{ __LINE__, "httpsx", 0 },
		{ __LINE__, "xhttps", 0 },
		{ __LINE__, "http s", 0 },
		{ __LINE__, "ws, wss, https", 1 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (parse_forwarded_https(cases[i].in, strlen(cases[i].in)) !=
		    cases[i].want)
			fail_msg("line %d: parse_forwarded_https(\"%s\") != %d",
			    cases[i].line, cases[i].in, cases[i].want);
	/* Only len bytes count. */
	assert_int_equal(parse_forwarded_https("https, http", 5), 1);
	assert_int_equal(parse_forwarded_https("http, https", 4), 0);
}

/* parse_forwarded_for */

static void
test_forwarded_for(void **state)
{
	static const struct {
		int		 line;
		const char	*in;
		const char	*want;	/* NULL: refused */
	} cases[] = {
		{ __LINE__, "203.0.113.9", "203.0.113.9" },
		/* Trusted proxies on the right are passed over. */
		{ __LINE__, "203.0.113.9, 10.0.0.5", "203.0.113.9" },
		{ __LINE__, "203.0.113.9,10.0.0.5,10.1.2.3", "203.0.113.9" },
		/* What the client wrote itself, left of it, never counts. */
		{ __LINE__, "198.51.100.7, 203.0.113.9, 10.0.0.5",
		    "203.0.113.9" },
		{ __LINE__, "garbage, 203.0.113.9", "203.0.113.9" },
		{ __LINE__, "10.0.0.9, 203.0.113.9", "203.0.113.9" },
		/* All trusted: the leftmost is the client. */
		{ __LINE__, "10.0.0.7, 10.0.0.5", "10.0.0.7" },
		{ __LINE__, "  203.0.113.9\t ", "203.0.113.9" },
		{ __LINE__, "2001:db8::1, 10.0.0.5", "2001:db8::1" },
		{ __LINE__, "::ffff:10.0.0.5, 2001:db8::1", "2001:db8::1" },
		{ __LINE__, "2001:db8::2, ::ffff:10.0.0.5", "2001:db8::2" },
		/* Not bare addresses: refused rather than guessed at. */
		{ __LINE__, "", NULL },
		{ __LINE__, " ", NULL },
		{ __LINE__, "203.0.113.9,", NULL },
		{ __LINE__, "203.0.113.9, , 10.0.0.5", NULL },
		{ __LINE__, "unknown", NULL },
		{ __LINE__, "203.0.113.9:443", NULL },
		{ __LINE__, "[2001:db8::1]", NULL },
		{ __LINE__, "fe80::1%eth0", NULL },
		{ __LINE__, "203.0.113.9 10.0.0.5", NULL },
		{ __LINE__, "203.0.113.999", NULL },
		{ __LINE__, "x, 10.0.0.5", NULL },
		{ __LINE__, "1111:2222:3333:4444:5555:6666:7777:8888:9999", NULL },
	};
	struct net	 trusted[2];
	char		 out[INET6_ADDRSTRLEN];
	size_t		 i;
	int		 rc;

	(void)state;
	assert_int_equal(parse_net("10.0.0.0/8", 10, &trusted[0]), 0);
	assert_int_equal(parse_net("2001:db8:ffff::/48", 18, &trusted[1]), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = parse_forwarded_for(cases[i].in, strlen(cases[i].in),
		    trusted, 2, out, sizeof(out));
		if (cases[i].want == NULL && rc != -1)
			fail_msg("line %d: \"%s\" gave %s", cases[i].line,
			    cases[i].in, out);
		if (cases[i].want != NULL && (rc != 0 ||
		    strcmp(out, cases[i].want) != 0))
			fail_msg("line %d: \"%s\" gave %s, not %s",
			    cases[i].line, cases[i].in, rc == 0 ? out :
			    "an error", cases[i].want);
	}
	/* No trusted proxies: the rightmost is the client. */
	assert_int_equal(parse_forwarded_for("10.0.0.7, 10.0.0.5", 18, NULL,
	    0, out, sizeof(out)), 0);
	assert_string_equal(out, "10.0.0.5");
	/* Only len bytes count; a buffer too small is refused. */
	assert_int_equal(parse_forwarded_for("203.0.113.9, 10.0.0.5x", 21,
	    trusted, 2, out, sizeof(out)), 0);
	assert_string_equal(out, "203.0.113.9");
	assert_int_equal(parse_forwarded_for("203.0.113.9", 11, trusted, 2,
	    out, 8), -1);
}

static void
test_public_key(void **state)
{
	static const char	 hexkey[] = "d75a980182b10ab7d54bfed3c964073a0ee1"
	    "72f3daa62325af021a68f707511a";
	static const char	 pem[] = "-----BEGIN PUBLIC KEY-----\n"
	    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
	    "-----END PUBLIC KEY-----\n";
	unsigned char		 a[LIMIT_PUBKEY_DER], b[LIMIT_PUBKEY_DER];
	char			 upper[sizeof(hexkey)];
	size_t			 i, na, nb;

	(void)state;
	/* The portal's hex, and the same key as PEM: the same DER. */
	assert_int_equal(parse_public_key(hexkey, 64, a, sizeof(a), &na), 0);
	assert_int_equal(na, 44);
	assert_int_equal(parse_public_key(pem, strlen(pem), b, sizeof(b),
	    &nb), 0);
	assert_int_equal(nb, 44);
	assert_memory_equal(a, b, 44);
	/* Uppercase hex is the same key; surrounding space is ignored. */
	for (i = 0; i < 64; i++)
		upper[i] = (char)toupper((unsigned char)hexkey[i]);
	upper[64] = '\0';
	assert_int_equal(parse_public_key(upper, 64, b, sizeof(b), &nb), 0);
	assert_memory_equal(a, b, 44);
	assert_int_equal(parse_public_key(" MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyW"
	    "QHOg7hcvPapiMlrwIaaPcHURo= ", 62, b, sizeof(b), &nb), 0);
	assert_memory_equal(a, b, 44);
	/* Private keys are refused by name, whatever follows. */
	assert_int_equal(parse_public_key("-----BEGIN PRIVATE KEY-----\nAA==",
	    32, b, sizeof(b), &nb), -2);
	assert_int_equal(parse_public_key("-----BEGIN EC PRIVATE KEY-----\n",
	    31, b, sizeof(b), &nb), -2);
	/* Not a key: empty, junk, unterminated PEM, too big for cap. */
	assert_int_equal(parse_public_key("", 0, b, sizeof(b), &nb), -1);
	assert_int_equal(parse_public_key("   ", 3, b, sizeof(b), &nb), -1);
	assert_int_equal(parse_public_key("not a key!", 10, b, sizeof(b),
	    &nb), -1);
	assert_int_equal(parse_public_key(pem, 40, b, sizeof(b), &nb), -1);
	assert_int_equal(parse_public_key(hexkey, 64, b, 43, &nb), -1);
	/* 64 characters that are not all hex are read as base64. */
	upper[5] = 'g';
	assert_int_equal(parse_public_key(upper, 64, b, sizeof(b), &nb), 0);
	assert_int_equal(nb, 48);
}

/* parse_form_sorted, parse_url_ports, parse_url_hubspot */
static void
test_signed_url_parts(void **state)
{
	static const struct {
		int		 line;
		const char	*in;
		int		 rc;
		const char	*want;
	} forms[] = {
		{ __LINE__, "b=2&a=1", 0, "a1b2" },
		/* Decoded: '+' is a space, %2B a plus. */
		{ __LINE__, "From=%2B1415&Body=hi+there", 0,
		    "Bodyhi thereFrom+1415" },
		/* A name's values sorted, a repeated pair kept once. */
		{ __LINE__, "D=5678&S=1&D=1234&D=1234", 0, "D1234D5678S1" },
		/* Bytewise: uppercase before lowercase, shorter first. */
		{ __LINE__, "a=1&B=2&ab=3", 0, "B2a1ab3" },
		{ __LINE__, "flag&&x=", 0, "flagx" },
		{ __LINE__, "", 0, "" },
		{ __LINE__, "a=%zz", -1, NULL },
		{ __LINE__, "a=%4", -1, NULL },
	};
	static const struct {
		int		 line;
		const char	*in;
		int		 rc;
		const char	*without, *with;
	} urls[] = {
		{ __LINE__, "https://a.example/p?q=1", 0,
		    "https://a.example/p?q=1", "https://a.example:443/p?q=1" },
		{ __LINE__, "http://a.example:8080/p", 0, "http://a.example/p",
		    "http://a.example:8080/p" },
		{ __LINE__, "https://a.example", 0, "https://a.example",
		    "https://a.example:443" },
		{ __LINE__, "https://[::1]:443/x", 0, "https://[::1]/x",
		    "https://[::1]:443/x" },
		{ __LINE__, "https://[::1]/x", 0, "https://[::1]/x",
		    "https://[::1]:443/x" },
		{ __LINE__, "https://u:p@a.example/", -1, NULL, NULL },
		{ __LINE__, "https:///p", -1, NULL, NULL },
		{ __LINE__, "https://a.example:x1/", -1, NULL, NULL },
		{ __LINE__, "ftp://a.example/", -1, NULL, NULL },
	};
	struct buf	 a, b;
	size_t		 i;
	int		 rc;

	(void)state;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		buf_init(&a, 1024);
		rc = parse_form_sorted(forms[i].in, strlen(forms[i].in), &a);
		if (rc != forms[i].rc || (rc == 0 && strcmp(a.data != NULL ?
		    a.data : "", forms[i].want) != 0))
			fail_msg("line %d: '%s' gave %d '%s'", forms[i].line,
			    forms[i].in, rc, a.data != NULL ? a.data : "");
		buf_release(&a);
	}
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		buf_init(&a, 1024);
		buf_init(&b, 1024);
		rc = parse_url_ports(urls[i].in, strlen(urls[i].in), &a, &b);
		if (rc != urls[i].rc || (rc == 0 &&
		    (strcmp(a.data, urls[i].without) != 0 ||
		    strcmp(b.data, urls[i].with) != 0)))
			fail_msg("line %d: '%s' gave %d", urls[i].line,
			    urls[i].in, rc);
		buf_release(&a);
		buf_release(&b);
	}
	buf_init(&a, 1024);
	assert_int_equal(parse_url_hubspot("https://h/p?a=x%3ay%2F%41%2%",
	    29, &a), 0);
	assert_string_equal(a.data, "https://h/p?a=x:y/%41%2%");
	buf_release(&a);
	/* Too many parameters. */
	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	for (i = 0; i <= LIMIT_FORM_PARAMS; i++)
		buf_adds(&b, "a=1&");
	assert_int_equal(parse_form_sorted(b.data, b.len, &a), -1);
	buf_release(&a);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_uint_bounded),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_hex_digest),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_base64_digest),
		cmocka_unit_test(test_unix_time),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_iso8601_bounded),
		cmocka_unit_test(test_sig_items),
		cmocka_unit_test(test_sig_items_limit),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_form_full),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_query_mask),
		cmocka_unit_test(test_public_key),
		cmocka_unit_test(test_signed_url_parts),
		cmocka_unit_test(test_cgi_header_name),
		cmocka_unit_test(test_endpoint_name),
		cmocka_unit_test(test_net_parse),
		cmocka_unit_test(test_net_contains),
		cmocka_unit_test(test_forwarded_https),
		cmocka_unit_test(test_forwarded_for),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
