/*
 * test-json: the strict reader (one value, bounded depth), field lookup,
 * and the writer: every control byte escaped, invalid UTF-8 refused with
 * the buffer left as it was, and what it writes reads back the same.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "json.h"
#include "parse.h"

static struct json_doc *
parse_str(const char *s)
{
	char	 err[128];

	return json_parse(s, strlen(s), err, sizeof(err));
}

/* json_parse */

static void
test_parse_strict(void **state)
{
	static const struct {
		int		 line;
		const char	*in;
		size_t		 len;	/* 0: strlen */
		int		 ok;
	} cases[] = {
		{ __LINE__, "{}", 0, 1 },
		{ __LINE__, "{\"a\":1}", 0, 1 },
		{ __LINE__, "[1,2,3]", 0, 1 },
		{ __LINE__, " \t\r\n{} \t\r\n", 0, 1 },
		{ __LINE__, "\"s\"", 0, 1 },
		/* Any value is a JSON text (RFC 8259 section 2). */
		{ __LINE__, "123", 0, 1 },
		{ __LINE__, "-1.5e3", 0, 1 },
		{ __LINE__, "true", 0, 1 },
		{ __LINE__, "false", 0, 1 },
		{ __LINE__, "null", 0, 1 },
		{ __LINE__, "123\n", 0, 1 },
		/* Nothing but white space after the value. */
		{ __LINE__, "{} x", 0, 0 },
		{ __LINE__, "{}{}", 0, 0 },
		{ __LINE__, "{},", 0, 0 },
		{ __LINE__, "[1] [2]", 0, 0 },
		{ __LINE__, "12 3", 0, 0 },
		{ __LINE__, "{}\0", 3, 0 },
		{ __LINE__, "{}\f", 0, 0 },
		/* Not JSON at all, or cut short. */
		{ __LINE__, "", 0, 0 },
		{ __LINE__, "   ", 0, 0 },
		{ __LINE__, "{", 0, 0 },
		{ __LINE__, "[1", 0, 0 },
		{ __LINE__, "{\"a\":", 0, 0 },
		{ __LINE__, "\"abc", 0, 0 },
		{ __LINE__, "tru", 0, 0 },
		{ __LINE__, "-", 0, 0 },
		{ __LINE__, "{\"a\":1,}", 0, 0 },
		{ __LINE__, "[1,]", 0, 0 },
		{ __LINE__, "[01]", 0, 0 },
		{ __LINE__, "[.5]", 0, 0 },
		{ __LINE__, "[+1]", 0, 0 },
		{ __LINE__, "\"\\x\"", 0, 0 },
		{ __LINE__, "/* c */ {}", 0, 0 },
		{ __LINE__, "{a:1}", 0, 0 },
		{ __LINE__, "\xef\xbb\xbf{}", 0, 0 },
		{ __LINE__, "{\"a\":\"x\0y\"}", 11, 0 },
	};
	struct json_doc	*doc;
	char		 err[128];
	size_t		 i, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = cases[i].len != 0 ? cases[i].len : strlen(cases[i].in);
		err[0] = '\0';
		doc = json_parse(cases[i].in, len, err, sizeof(err));
		if ((doc != NULL) != cases[i].ok)
			fail_msg("line %d: json_parse(\"%s\") %s (%s)",
			    cases[i].line, cases[i].in, doc != NULL ?
			    "accepted" : "refused", err);
		/* A refusal always says why. */
		if (doc == NULL && err[0] == '\0')
			fail_msg("line %d: no reason given", cases[i].line);
		json_doc_free(doc);
	}
}

/* Brackets nested depth deep: "[[[...]]]". */
static char *
nested(size_t depth, size_t *len)
{
	char	*s;

	if ((s = malloc(2 * depth)) == NULL)
		return NULL;
	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	*len = 2 * depth;
	return s;
}

static void
test_parse_depth(void **state)
{
	struct json_doc	*doc;
	char		*s, err[128];
	size_t		 len;

	(void)state;
	/* The limit itself is accepted... */
	assert_non_null(s = nested(LIMIT_JSON_DEPTH, &len));
	assert_non_null(doc = json_parse(s, len, err, sizeof(err)));
	json_doc_free(doc);
	free(s);
	/* ...one more level is not. */
	assert_non_null(s = nested(LIMIT_JSON_DEPTH + 1, &len));
	assert_null(json_parse(s, len, err, sizeof(err)));
	free(s);
	/* Deep enough to smash a recursive parser's stack: no crash. */
	assert_non_null(s = nested(100000, &len));
	assert_null(json_parse(s, len, err, sizeof(err)));
	/* Unclosed, too. */
	assert_null(json_parse(s, len / 2, err, sizeof(err)));
	free(s);
	/* Objects count as levels as well. */
	assert_non_null(s = malloc(6 * 100000 + 1));
	for (len = 0; len < 6 * 100000; len += 6)
		memcpy(s + len, "{\"a\":", 6);
	assert_null(json_parse(s, len, err, sizeof(err)));
	free(s);
}

/* json_get */

static const char doc_text[] =
    "{\"id\":\"evt_1\",\"type\":\"payment_intent.succeeded\","
    "\"data\":{\"object\":{\"id\":\"pi_9\",\"amount\":2000}},"
    "\"n\":42,\"neg\":-7,\"big\":9007199254740993,\"f\":1.5,"
    "\"b\":true,\"bf\":false,\"z\":null,\"arr\":[1,2],\"o\":{},"
    "\"esc\":\"a\\\"b\\\\c\\n\\u00e9\",\"nul\":\"a\\u0000b\","
    "\"empty\":\"\",\"a.b\":\"dotted\"}";

static void
test_get(void **state)
{
	static const struct {
		int		 line;
		const char	*path;
		int		 rc;
		const char	*want;
		size_t		 wantlen;	/* 0: strlen */
	} cases[] = {
		{ __LINE__, "id", 1, "evt_1", 0 },
		{ __LINE__, "type", 1, "payment_intent.succeeded", 0 },
		{ __LINE__, "data.object.id", 1, "pi_9", 0 },
		{ __LINE__, "data.object.amount", 1, "2000", 0 },
		{ __LINE__, "n", 1, "42", 0 },
		{ __LINE__, "neg", 1, "-7", 0 },
		{ __LINE__, "big", 1, "9007199254740993", 0 },
		{ __LINE__, "f", 1, "1.5", 0 },
		{ __LINE__, "b", 1, "true", 0 },
		{ __LINE__, "bf", 1, "false", 0 },
		{ __LINE__, "esc", 1, "a\"b\\c\n\xc3\xa9", 0 },
		{ __LINE__, "nul", 1, "a\0b", 3 },
		{ __LINE__, "empty", 1, "", 0 },
		/* Absent, null, or not a scalar. */
		{ __LINE__, "z", 0, NULL, 0 },
		{ __LINE__, "arr", 0, NULL, 0 },
		{ __LINE__, "o", 0, NULL, 0 },
		{ __LINE__, "data", 0, NULL, 0 },
		{ __LINE__, "data.object", 0, NULL, 0 },
		{ __LINE__, "missing", 0, NULL, 0 },
		{ __LINE__, "data.missing", 0, NULL, 0 },
		{ __LINE__, "data.object.id.more", 0, NULL, 0 },
		{ __LINE__, "id.x", 0, NULL, 0 },
		/* A number steps into an array (SendGrid's "0.event"). */
		{ __LINE__, "arr.0", 1, "1", 0 },
		{ __LINE__, "arr.1", 1, "2", 0 },
		{ __LINE__, "arr.2", 0, NULL, 0 },
		{ __LINE__, "arr.x", 0, NULL, 0 },
		{ __LINE__, "arr.-1", 0, NULL, 0 },
		{ __LINE__, "arr.00001", 0, NULL, 0 },
		{ __LINE__, "arr.", 0, NULL, 0 },
		{ __LINE__, "", 0, NULL, 0 },
		{ __LINE__, ".", 0, NULL, 0 },
		{ __LINE__, "data.", 0, NULL, 0 },
		{ __LINE__, "ID", 0, NULL, 0 },
		/* A dot always separates levels. */
		{ __LINE__, "a.b", 0, NULL, 0 },
	};
	struct json_doc	*doc;
	struct buf	 out;
	size_t		 i, wantlen;
	int		 rc;

	(void)state;
	assert_non_null(doc = parse_str(doc_text));
	assert_int_equal(json_is_object(doc), 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&out, 256);
		rc = json_get(doc, cases[i].path, &out);
		if (rc != cases[i].rc)
			fail_msg("line %d: json_get(%s) = %d", cases[i].line,
			    cases[i].path, rc);
		if (rc == 1) {
			wantlen = cases[i].wantlen != 0 ? cases[i].wantlen :
			    strlen(cases[i].want);
			if (out.len != wantlen || (wantlen > 0 &&
			    memcmp(out.data, cases[i].want, wantlen) != 0))
				fail_msg("line %d: json_get(%s) = '%s'",
				    cases[i].line, cases[i].path, out.data);
		} else if (out.len != 0)
			fail_msg("line %d: wrote on %d", cases[i].line, rc);
		buf_release(&out);
	}
	json_doc_free(doc);
}

static void
test_get_appends_and_full(void **state)
{
	struct json_doc	*doc;
	struct buf	 out;
	char		 key[200];

	(void)state;
	assert_non_null(doc = parse_str(doc_text));
	buf_init(&out, 8);
	assert_int_equal(buf_adds(&out, "x:"), 0);
	assert_int_equal(json_get(doc, "id", &out), 1);
	assert_string_equal(out.data, "x:evt_1");
	/* Full: -1, not a cut value. */
	assert_int_equal(json_get(doc, "type", &out), -1);
	assert_int_equal(json_get(doc, "n", &out), -1);
	assert_string_equal(out.data, "x:evt_1");
	buf_reset(&out);
	assert_int_equal(json_get(doc, "n", &out), 1);
	assert_string_equal(out.data, "42");
	assert_int_equal(json_get(doc, "big", &out), -1);
	assert_string_equal(out.data, "42");
	buf_release(&out);
	/* A path component longer than any key is simply absent. */
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	buf_init(&out, 64);
	assert_int_equal(json_get(doc, key, &out), 0);
	buf_release(&out);
	json_doc_free(doc);
}

static void
test_get_non_object(void **state)
{
	struct json_doc	*doc;
	struct buf	 out;

	(void)state;
	buf_init(&out, 64);
	assert_non_null(doc = parse_str("[{\"id\":1}]"));
	assert_int_equal(json_is_object(doc), 0);
	assert_int_equal(json_get(doc, "id", &out), 0);
	assert_int_equal(json_get(doc, "1.id", &out), 0);
	assert_int_equal(json_get(doc, "0", &out), 0);
	assert_int_equal(json_get(doc, "0.id", &out), 1);
	assert_int_equal(out.len, 1);
	buf_reset(&out);
	json_doc_free(doc);
	assert_non_null(doc = parse_str("\"id\""));
	assert_int_equal(json_is_object(doc), 0);
	assert_int_equal(json_get(doc, "id", &out), 0);
	json_doc_free(doc);
	assert_non_null(doc = parse_str("null"));
	assert_int_equal(json_is_object(doc), 0);
	assert_int_equal(json_get(doc, "id", &out), 0);
	json_doc_free(doc);
	assert_int_equal(out.len, 0);
	buf_release(&out);
	json_doc_free(NULL);
}

static void
test_pretty(void **state)
{
	struct json_doc	*doc, *back;
	struct buf	 out, v;

	(void)state;
	assert_non_null(doc = parse_str("{\"a\":{\"b\":\"c/d\"},\"n\":[1,2]}"));
	buf_init(&out, 4096);
	assert_int_equal(json_pretty(doc, &out), 0);
	/* Two spaces a level, and it reads back as the same document. */
	assert_non_null(strstr(out.data, "\n  \"a\""));
	assert_non_null(strstr(out.data, "\n    \"b\""));
	assert_non_null(strstr(out.data, "c/d"));
	assert_non_null(back = json_parse(out.data, out.len, NULL, 0));
	buf_init(&v, 64);
	assert_int_equal(json_get(back, "a.b", &v), 1);
	assert_string_equal(v.data, "c/d");
	buf_release(&v);
	json_doc_free(back);
	json_doc_free(doc);
	buf_release(&out);
}

/* json_utf8_valid */

struct utf8_case {
	int		 line;
	const char	*s;
	size_t		 len;	/* 0: strlen */
	int		 valid;
};

static const struct utf8_case utf8_cases[] = {
	{ __LINE__, "", 0, 1 },
	{ __LINE__, "plain ascii", 0, 1 },
	{ __LINE__, "\x7f", 0, 1 },
	{ __LINE__, "a\0b", 3, 1 },
	{ __LINE__, "\xc2\x80", 0, 1 },			/* U+0080 */
	{ __LINE__, "\xc3\xa9", 0, 1 },			/* e acute */
	{ __LINE__, "\xdf\xbf", 0, 1 },			/* U+07FF */
	{ __LINE__, "\xe0\xa0\x80", 0, 1 },		/* U+0800 */
	{ __LINE__, "\xe2\x82\xac", 0, 1 },		/* euro */
	{ __LINE__, "\xed\x9f\xbf", 0, 1 },		/* U+D7FF */
	{ __LINE__, "\xee\x80\x80", 0, 1 },		/* U+E000 */
	{ __LINE__, "\xef\xbf\xbf", 0, 1 },		/* U+FFFF */
	{ __LINE__, "\xf0\x90\x80\x80", 0, 1 },		/* U+10000 */
	{ __LINE__, "\xf0\x9f\x98\x80", 0, 1 },		/* emoji */
	{ __LINE__, "\xf4\x8f\xbf\xbf", 0, 1 },		/* U+10FFFF */
	{ __LINE__, "\xe2\x99\xa5 I \xe2\x99\xa5", 0, 1 },
	/* Lone or stray bytes. */
	{ __LINE__, "\x80", 0, 0 },
	{ __LINE__, "\xbf", 0, 0 },
	{ __LINE__, "\xff", 0, 0 },
	{ __LINE__, "\xfe", 0, 0 },
	{ __LINE__, "a\xffz", 0, 0 },
	/* Cut short, or a bad continuation. */
	{ __LINE__, "\xc3", 0, 0 },
	{ __LINE__, "\xe2\x82", 0, 0 },
	{ __LINE__, "\xf0\x9f\x98", 0, 0 },
	{ __LINE__, "\xc3\x28", 0, 0 },
	{ __LINE__, "\xe2\x28\xa1", 0, 0 },
	{ __LINE__, "\xe2\x82\x28", 0, 0 },
	{ __LINE__, "\xf0\x9f\x98\x28", 0, 0 },
	/* Overlong forms. */
	{ __LINE__, "\xc0\xaf", 0, 0 },
	{ __LINE__, "\xc1\xbf", 0, 0 },
	{ __LINE__, "\xc0\x80", 0, 0 },
	{ __LINE__, "\xe0\x80\xaf", 0, 0 },
	{ __LINE__, "\xe0\x9f\xbf", 0, 0 },
	{ __LINE__, "\xf0\x80\x80\xaf", 0, 0 },
	{ __LINE__, "\xf0\x8f\xbf\xbf", 0, 0 },
	/* UTF-16 surrogates. */
	{ __LINE__, "\xed\xa0\x80", 0, 0 },
	{ __LINE__, "\xed\xbf\xbf", 0, 0 },
	{ __LINE__, "\xed\xa0\xbd\xed\xb8\x80", 0, 0 },
	/* Past U+10FFFF. */
	{ __LINE__, "\xf4\x90\x80\x80", 0, 0 },
	{ __LINE__, "\xf5\x80\x80\x80", 0, 0 },
	{ __LINE__, "\xf8\x88\x80\x80\x80", 0, 0 },
};

static void
test_utf8_valid(void **state)
{
	const struct utf8_case	*c;
	size_t			 i, len;

	(void)state;
	for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		c = &utf8_cases[i];
		len = c->len != 0 ? c->len : strlen(c->s);
		if (json_utf8_valid(c->s, len) != c->valid)
			fail_msg("line %d: json_utf8_valid != %d", c->line,
			    c->valid);
	}
	/* Only len bytes are looked at. */
	assert_int_equal(json_utf8_valid("ab\xff", 2), 1);
	assert_int_equal(json_utf8_valid("\xe2\x82\xac", 2), 0);
}

/* json_add_string */

static void
test_add_string_escapes(void **state)
{
	static const struct {
		int		 line;
		const char	*in;
		size_t		 len;	/* 0: strlen */
		const char	*want;
	} cases[] = {
		{ __LINE__, "", 0, "\"\"" },
		{ __LINE__, "abc", 0, "\"abc\"" },
		{ __LINE__, "a\"b", 0, "\"a\\\"b\"" },
		{ __LINE__, "a\\b", 0, "\"a\\\\b\"" },
		{ __LINE__, "\\\"", 0, "\"\\\\\\\"\"" },
		{ __LINE__, "l1\nl2\r\n", 0, "\"l1\\nl2\\r\\n\"" },
		{ __LINE__, "\t", 0, "\"\\t\"" },
		{ __LINE__, "\0", 1, "\"\\u0000\"" },
		{ __LINE__, "a\0b", 3, "\"a\\u0000b\"" },
		{ __LINE__, "\x01", 0, "\"\\u0001\"" },
		{ __LINE__, "\x08\x0c", 0, "\"\\u0008\\u000c\"" },
		{ __LINE__, "\x1b[31m", 0, "\"\\u001b[31m\"" },
		{ __LINE__, "\x1f", 0, "\"\\u001f\"" },
		{ __LINE__, " ~", 0, "\" ~\"" },
		{ __LINE__, "</script>", 0, "\"</script>\"" },
		/* Valid UTF-8 is kept as is. */
		{ __LINE__, "caf\xc3\xa9", 0, "\"caf\xc3\xa9\"" },
		{ __LINE__, "\xe2\x82\xac\xf0\x9f\x98\x80", 0,
		    "\"\xe2\x82\xac\xf0\x9f\x98\x80\"" },
		{ __LINE__, "\xf4\x8f\xbf\xbf\n", 0,
		    "\"\xf4\x8f\xbf\xbf\\n\"" },
	};
	struct buf	 out;
	size_t		 i, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&out, 256);
		len = cases[i].len != 0 ? cases[i].len : strlen(cases[i].in);
		if (json_add_string(&out, cases[i].in, len) != 0 ||
		    strcmp(out.data, cases[i].want) != 0 ||
		    out.len != strlen(cases[i].want))
			fail_msg("line %d: got %s, want %s", cases[i].line,
			    out.data != NULL ? out.data : "(null)",
			    cases[i].want);
		buf_release(&out);
	}
}

static void
test_add_string_refuses(void **state)
{
	const struct utf8_case	*c;
	struct buf		 out;
	size_t			 i, len;

	(void)state;
	for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		c = &utf8_cases[i];
		len = c->len != 0 ? c->len : strlen(c->s);
		buf_init(&out, 256);
		assert_int_equal(buf_adds(&out, "{\"k\":"), 0);
		if ((json_add_string(&out, c->s, len) == 0) != c->valid)
			fail_msg("line %d: json_add_string disagrees with"
			    " json_utf8_valid", c->line);
		/* Refused: the buffer is exactly as before. */
		if (!c->valid && (out.len != 5 ||
		    strcmp(out.data, "{\"k\":") != 0))
			fail_msg("line %d: buffer changed: %s", c->line,
			    out.data);
		buf_release(&out);
	}
	/* Invalid after a long valid run: still nothing left behind. */
	buf_init(&out, 1024);
	assert_int_equal(buf_adds(&out, "prefix"), 0);
	assert_int_equal(json_add_string(&out,
	    "valid text \"quoted\" then \xed\xa0\x80", 28), -1);
	assert_int_equal(out.len, 6);
	assert_string_equal(out.data, "prefix");
	buf_release(&out);
}

static void
test_add_string_full(void **state)
{
	struct buf	 out;

	(void)state;
	/* "abc" needs five bytes with its quotes. */
	buf_init(&out, 5);
	assert_int_equal(json_add_string(&out, "abc", 3), 0);
	buf_release(&out);
	buf_init(&out, 6);
	assert_int_equal(buf_adds(&out, "xy"), 0);
	assert_int_equal(json_add_string(&out, "abc", 3), -1);
	assert_string_equal(out.data, "xy");
	/* Escapes grow the text: four bytes in, but "\u0001..." is not. */
	buf_reset(&out);
	assert_int_equal(json_add_string(&out, "\x01", 1), -1);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

/* What cannot be UTF-8 (a request line, say) is logged with U+FFFD. */
static void
test_add_string_lossy(void **state)
{
	static const struct {
		int		 line;
		const char	*in;
		const char	*out;
	} cases[] = {
		{ __LINE__, "/hooks/github", "\"/hooks/github\"" },
		{ __LINE__, "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ __LINE__, "a\xff" "b", "\"a\xef\xbf\xbd" "b\"" },
		{ __LINE__, "\xc3", "\"\xef\xbf\xbd\"" },
		/* An overlong '/', each byte replaced. */
		{ __LINE__, "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
		/* Replaced, then escaped as any text. */
		{ __LINE__, "\"\xfe\n", "\"\\\"\xef\xbf\xbd\\n\"" },
	};
	struct buf	 out;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&out, 256);
		if (json_add_string_lossy(&out, cases[i].in,
		    strlen(cases[i].in)) != 0 || out.data == NULL ||
		    strcmp(out.data, cases[i].out) != 0)
			fail_msg("line %d: got %s", cases[i].line,
			    out.data != NULL ? out.data : "(nothing)");
		assert_true(json_utf8_valid(out.data, out.len));
		buf_release(&out);
	}
}

/* What the writer writes, the reader reads back byte for byte. */
static void
round_trip(const char *s, size_t len)
{
	struct json_doc	*doc;
	struct buf	 w, r;
	char		 err[128];

	buf_init(&w, len * 6 + 16);
	assert_int_equal(buf_adds(&w, "{\"k\":"), 0);
	assert_int_equal(json_add_string(&w, s, len), 0);
	assert_int_equal(buf_addc(&w, '}'), 0);
	/* One line, whatever the input held. */
	assert_null(memchr(w.data, '\n', w.len));
	assert_null(memchr(w.data, '\r', w.len));
	assert_int_equal(strlen(w.data), w.len);
	doc = json_parse(w.data, w.len, err, sizeof(err));
	if (doc == NULL)
		fail_msg("%s: %s", w.data, err);
	buf_init(&r, len + 1);
	assert_int_equal(json_get(doc, "k", &r), 1);
	assert_int_equal(r.len, len);
	if (len > 0)
		assert_memory_equal(r.data, s, len);
	buf_release(&r);
	json_doc_free(doc);
	buf_release(&w);
}

static void
test_add_string_round_trip(void **state)
{
	char	 all[128];
	size_t	 i;

	(void)state;
	/* Every ASCII byte, NUL to DEL. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (char)i;
	round_trip(all, sizeof(all));
	for (i = 0; i < sizeof(all); i++)
		round_trip(all + i, 1);
	for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++)
		if (utf8_cases[i].valid)
			round_trip(utf8_cases[i].s, utf8_cases[i].len != 0 ?
			    utf8_cases[i].len : strlen(utf8_cases[i].s));
}

static void
test_add_kv(void **state)
{
	struct buf	 out;

	(void)state;
	buf_init(&out, 256);
	assert_int_equal(buf_addc(&out, '{'), 0);
	assert_int_equal(json_add_kv(&out, 1, "a", "x\"y", 3), 0);
	assert_int_equal(json_add_kv(&out, 0, "b\n", "", 0), 0);
	assert_int_equal(json_add_kv_int(&out, "n", -42), 0);
	assert_int_equal(json_add_kv_int(&out, "max", 9223372036854775807LL),
	    0);
	assert_int_equal(buf_addc(&out, '}'), 0);
	assert_string_equal(out.data, "{\"a\":\"x\\\"y\",\"b\\n\":\"\","
	    "\"n\":-42,\"max\":9223372036854775807}");
	/* A refused value takes its key and comma back out. */
	assert_int_equal(json_add_kv(&out, 0, "bad", "\xff", 1), -1);
	assert_int_equal(out.data[out.len - 1], '}');
	assert_int_equal(out.len, strlen(out.data));
	assert_null(strstr(out.data, "bad"));
	buf_release(&out);
}

/* json_add_base64 */

static void
test_add_base64(void **state)
{
	/* RFC 4648 section 10. */
	static const struct {
		int		 line;
		const char	*in;
		const char	*want;
	} cases[] = {
		{ __LINE__, "", "" },
		{ __LINE__, "f", "Zg==" },
		{ __LINE__, "fo", "Zm8=" },
		{ __LINE__, "foo", "Zm9v" },
		{ __LINE__, "foob", "Zm9vYg==" },
		{ __LINE__, "fooba", "Zm9vYmE=" },
		{ __LINE__, "foobar", "Zm9vYmFy" },
	};
	struct buf	 out;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&out, 64);
		assert_int_equal(buf_addc(&out, '<'), 0);
		if (json_add_base64(&out, (const unsigned char *)cases[i].in,
		    strlen(cases[i].in)) != 0 ||
		    out.len != 1 + strlen(cases[i].want) ||
		    memcmp(out.data + 1, cases[i].want, out.len - 1) != 0)
			fail_msg("line %d: base64(%s) = %s", cases[i].line,
			    cases[i].in, out.data);
		buf_release(&out);
	}
}

static void
test_add_base64_binary(void **state)
{
	unsigned char	 in[256], back[256];
	struct buf	 out;
	size_t		 i, n, len;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(255 - i);
	/* Every length up to 256 decodes back to the same bytes. */
	for (len = 1; len <= sizeof(in); len++) {
		buf_init(&out, 400);
		assert_int_equal(json_add_base64(&out, in, len), 0);
		assert_int_equal(out.len, (len + 2) / 3 * 4);
		assert_int_equal(parse_base64(out.data, out.len, back,
		    sizeof(back), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(back, in, len);
		buf_release(&out);
	}
	/* Too small: -1. */
	buf_init(&out, 7);
	assert_int_equal(json_add_base64(&out, in, 6), -1);
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_strict),
		cmocka_unit_test(test_parse_depth),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_get_appends_and_full),
		cmocka_unit_test(test_get_non_object),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_add_string_escapes),
		cmocka_unit_test(test_add_string_refuses),
		cmocka_unit_test(test_add_string_full),
		cmocka_unit_test(test_add_string_lossy),
		cmocka_unit_test(test_add_string_round_trip),
		cmocka_unit_test(test_add_kv),
		cmocka_unit_test(test_add_base64),
		cmocka_unit_test(test_add_base64_binary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
