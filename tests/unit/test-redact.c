/*
 * test-redact: credential headers never reach the log or the ledger,
 * signature headers do (explain and replay need them), and whatever
 * bytes a header value holds, the headers object is valid JSON.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "redact.h"

static void
test_is_secret(void **state)
{
	static const struct {
		int		 line;
		const char	*name;
		const char	*extra;
		int		 want;
	} cases[] = {
		{ __LINE__, "Authorization", NULL, 1 },
		{ __LINE__, "authorization", NULL, 1 },
		{ __LINE__, "AUTHORIZATION", NULL, 1 },
		{ __LINE__, "Proxy-Authorization", NULL, 1 },
		{ __LINE__, "Cookie", NULL, 1 },
		{ __LINE__, "Set-Cookie", NULL, 1 },
		{ __LINE__, "X-Gitlab-Token", NULL, 1 },
		{ __LINE__, "x-gitlab-token", NULL, 1 },
		{ __LINE__, "X-Api-Key", NULL, 1 },
		{ __LINE__, "X-Auth-Token", NULL, 1 },
		{ __LINE__, "X-Webhook-Token", NULL, 1 },
		{ __LINE__, "X-Hook-Token", NULL, 1 },
		/* An endpoint's token_header, whatever its name. */
		{ __LINE__, "X-Device-Key", "X-Device-Key", 1 },
		{ __LINE__, "x-device-key", "X-Device-Key", 1 },
		{ __LINE__, "X-Device-Key", NULL, 0 },
		{ __LINE__, "X-Device-Key", "X-Other", 0 },
		/* Signatures are MACs of public data: kept. */
		{ __LINE__, "X-Hub-Signature-256", NULL, 0 },
		{ __LINE__, "X-Hub-Signature", NULL, 0 },
		{ __LINE__, "Stripe-Signature", NULL, 0 },
		{ __LINE__, "X-Slack-Signature", NULL, 0 },
		{ __LINE__, "X-Zendesk-Webhook-Signature", NULL, 0 },
		{ __LINE__, "Content-Type", NULL, 0 },
		{ __LINE__, "User-Agent", NULL, 0 },
		/* Whole names only. */
		{ __LINE__, "Authorization-Info", NULL, 0 },
		{ __LINE__, "X-Authorization", NULL, 0 },
		{ __LINE__, "Cookie2", NULL, 0 },
		{ __LINE__, "", NULL, 0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (redact_is_secret(cases[i].name, cases[i].extra) !=
		    cases[i].want)
			fail_msg("line %d: redact_is_secret(%s, %s) != %d",
			    cases[i].line, cases[i].name, cases[i].extra !=
			    NULL ? cases[i].extra : "NULL", cases[i].want);
}

static struct request *
req_new(void)
{
	struct request	*req;

	if ((req = calloc(1, sizeof(*req))) == NULL)
		fail();
	return req;
}

static void
add(struct request *req, const char *name, const char *value, size_t len)
{
	struct header	*h = &req->headers[req->nheaders++];

	h->name = name;
	h->value = value;
	h->len = len != 0 ? len : strlen(value);
}

/* Parses the headers object; fails the test when it is not JSON. */
static struct json_doc *
parse_obj(const struct buf *out)
{
	struct json_doc	*doc;
	char		 err[128];

	if (out->data == NULL)
		fail_msg("nothing written");
	if ((doc = json_parse(out->data, out->len, err, sizeof(err))) ==
	    NULL)
		fail_msg("not JSON (%s): %s", err, out->data);
	assert_int_equal(json_is_object(doc), 1);
	assert_null(memchr(out->data, '\n', out->len));
	assert_int_equal(json_utf8_valid(out->data, out->len), 1);
	return doc;
}

static void
expect(const struct json_doc *doc, const char *name, const char *want,
    size_t wantlen)
{
	struct buf	 v;

	buf_init(&v, 4096);
	if (json_get(doc, name, &v) != 1)
		fail_msg("'%s' missing", name);
	if (wantlen == 0)
		wantlen = strlen(want);
	if (v.len != wantlen || memcmp(v.data, want, wantlen) != 0)
		fail_msg("'%s' = '%s', want '%.*s'", name, v.data,
		    (int)wantlen, want);
	buf_release(&v);
}

static void
test_headers_redacted(void **state)
{
	struct request	*req;
	struct json_doc	*doc;
	struct buf	 out;
	static const char *const secrets[] = {
		"Bearer hunter2", "session=s3cr3t", "glpat-token",
		"device-key-9", "apikey-77",
	};
	size_t		 i;

	(void)state;
	req = req_new();
	add(req, "Authorization", "Bearer hunter2", 0);
	add(req, "Cookie", "session=s3cr3t", 0);
	add(req, "X-Gitlab-Token", "glpat-token", 0);
	add(req, "X-Device-Key", "device-key-9", 0);
	add(req, "x-api-key", "apikey-77", 0);
	add(req, "X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce98"
	    "4b8a37570b6d7586c22c46f4379c8b043e17", 0);
	add(req, "Stripe-Signature", "t=1,v1=abc,v0=def", 0);
	add(req, "User-Agent", "GitHub-Hookshot/a1b2c3d", 0);
	buf_init(&out, 64 * 1024);
	assert_int_equal(redact_headers(&out, req, "X-Device-Key"), 0);
	doc = parse_obj(&out);
	expect(doc, "Authorization", REDACTED, 0);
	expect(doc, "Cookie", REDACTED, 0);
	expect(doc, "X-Gitlab-Token", REDACTED, 0);
	expect(doc, "X-Device-Key", REDACTED, 0);
	expect(doc, "x-api-key", REDACTED, 0);
	/* Signatures and the rest as sent. */
	expect(doc, "X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce"
	    "984b8a37570b6d7586c22c46f4379c8b043e17", 0);
	expect(doc, "Stripe-Signature", "t=1,v1=abc,v0=def", 0);
	expect(doc, "User-Agent", "GitHub-Hookshot/a1b2c3d", 0);
	/* Not a trace of a secret anywhere in the text. */
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(out.data, secrets[i]) != NULL)
			fail_msg("'%s' written: %s", secrets[i], out.data);
	/* In request order. */
	assert_memory_equal(out.data, "{\"Authorization\":", 17);
	assert_true(strstr(out.data, "\"Stripe-Signature\"") <
	    strstr(out.data, "\"User-Agent\""));
	json_doc_free(doc);
	buf_release(&out);
	/* Without the extra name, that header is kept. */
	buf_init(&out, 64 * 1024);
	assert_int_equal(redact_headers(&out, req, NULL), 0);
	doc = parse_obj(&out);
	expect(doc, "X-Device-Key", "device-key-9", 0);
	expect(doc, "Authorization", REDACTED, 0);
	json_doc_free(doc);
	buf_release(&out);
	free(req);
}

static void
test_lossy_values(void **state)
{
	static const struct {
		int		 line;
		const char	*in;
		size_t		 len;
		const char	*want;
		size_t		 wantlen;	/* 0: strlen */
	} cases[] = {
		/* Valid UTF-8 is kept as is. */
		{ __LINE__, "caf\xc3\xa9", 5, "caf\xc3\xa9", 0 },
		/* Each bad byte becomes U+FFFD; the good ones stay. */
		{ __LINE__, "caf\xc3\xa9 \xff\xfe end", 12,
		    "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end", 0 },
		{ __LINE__, "\xff", 1, "\xef\xbf\xbd", 0 },
		{ __LINE__, "a\x80z", 3, "a\xef\xbf\xbdz", 0 },
		/* Overlong and surrogate forms: every byte of them. */
		{ __LINE__, "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd", 0 },
		{ __LINE__, "\xed\xa0\x80", 3,
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 0 },
		/* Cut short at the end. */
		{ __LINE__, "\xe2\x82\xac\xe2\x82", 5,
		    "\xe2\x82\xac\xef\xbf\xbd\xef\xbf\xbd", 0 },
		/* Control bytes are escaped, not replaced. */
		{ __LINE__, "a\r\nb\0c\xff", 7, "a\r\nb\0c\xef\xbf\xbd", 9 },
	};
	struct request	*req;
	struct json_doc	*doc;
	struct buf	 out;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req = req_new();
		add(req, "X-Value", cases[i].in, cases[i].len);
		add(req, "Authorization", "\xff secret \xfe", 0);
		buf_init(&out, 4096);
		if (redact_headers(&out, req, NULL) != 0)
			fail_msg("line %d: redact_headers failed",
			    cases[i].line);
		doc = parse_obj(&out);
		expect(doc, "X-Value", cases[i].want, cases[i].wantlen);
		expect(doc, "Authorization", REDACTED, 0);
		json_doc_free(doc);
		buf_release(&out);
		free(req);
	}
}

static void
test_names_and_limits(void **state)
{
	struct request	*req;
	struct json_doc	*doc;
	struct buf	 out;

	(void)state;
	req = req_new();
	buf_init(&out, 64);
	/* No headers: an empty object. */
	assert_int_equal(redact_headers(&out, req, NULL), 0);
	assert_string_equal(out.data, "{}");
	buf_release(&out);
	/* Names are escaped too. */
	add(req, "X-\"Odd\\Name", "v", 0);
	buf_init(&out, 4096);
	assert_int_equal(redact_headers(&out, req, NULL), 0);
	doc = parse_obj(&out);
	expect(doc, "X-\"Odd\\Name", "v", 0);
	json_doc_free(doc);
	buf_release(&out);
	/* A buffer too small says so. */
	add(req, "User-Agent", "a rather long user agent string", 0);
	buf_init(&out, 24);
	assert_int_equal(redact_headers(&out, req, NULL), -1);
	buf_release(&out);
	free(req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_secret),
		cmocka_unit_test(test_headers_redacted),
		cmocka_unit_test(test_lossy_values),
		cmocka_unit_test(test_names_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
