/*
 * test-config: configuration files written to /tmp and read back: the
 * [global] fallback, per-endpoint overrides, secrets inline and from
 * files, every kind of error with its "path:line: " prefix, suffixes,
 * routes and network lists.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "defaults.h"

#define ERRMAX	16384

/* Writes text to a new file under /tmp; path receives its name. */
static void
write_file(char *path, size_t pathlen, const char *text, size_t len,
    mode_t mode)
{
	int	 fd;

	snprintf(path, pathlen, "/tmp/test-config-XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		fail_msg("mkstemp: cannot create a file under /tmp");
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) == -1)
		fail_msg("cannot write '%s'", path);
	close(fd);
}

/* One configuration under test: its file, the parse, the errors. */
struct conf {
	char		 path[64];
	struct config	*cfg;
	struct buf	 errors;
};

static void
conf_load(struct conf *c, const char *text)
{
	write_file(c->path, sizeof(c->path), text, strlen(text), 0600);
	buf_init(&c->errors, ERRMAX);
	c->cfg = config_load(c->path, &c->errors);
}

static void
conf_done(struct conf *c)
{
	config_free(c->cfg);
	buf_release(&c->errors);
	unlink(c->path);
}

static const char *
errs(const struct conf *c)
{
	return c->errors.data != NULL ? c->errors.data : "";
}

/* Asserts that an error line starts with "path:line: " and holds text. */
static void
expect_error(const struct conf *c, int line, const char *text)
{
	const char	*p, *nl;
	char		 prefix[128], one[1024];
	size_t		 plen;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s:%d: ", c->path,
	    line);
	for (p = errs(c); *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			fail_msg("error line without a newline:\n%s", errs(c));
		snprintf(one, sizeof(one), "%.*s", (int)(nl - p), p);
		if (strncmp(one, prefix, plen) == 0 &&
		    strstr(one + plen, text) != NULL)
			return;
	}
	fail_msg("want \"%s...%s\" in errors:\n%s", prefix, text, errs(c));
}

/* Loads text that must parse, and resolves one endpoint that must too. */
static void
conf_endpoint(struct conf *c, const char *text, const char *name,
    struct endpoint *ep)
{
	conf_load(c, text);
	if (c->cfg == NULL)
		fail_msg("config_load failed:\n%s", errs(c));
	if (config_endpoint(c->cfg, name, ep, &c->errors) != 0)
		fail_msg("config_endpoint(%s) failed:\n%s", name, errs(c));
}

static int
secret_is(const struct secret *s, const char *text)
{
	return s->len == strlen(text) && memcmp(s->data, text, s->len) == 0;
}

static void
test_global_fallback(void **state)
{
	struct conf	 c;
	struct endpoint	 ep;

	(void)state;
	conf_endpoint(&c,
	    "; a comment\n"
	    "# another\n"
	    "\n"
	    "[global]\n"
	    "log_dir = /srv/log\n"
	    "max_body = 2048\n"
	    "tolerance = 60\n"
	    "require_https = no\n"
	    "[github]\n"
	    "secret = s1\n"
	    "max_body = 4096\n"
	    "provider = github\n"
	    "[stripe]\n"
	    "secret = s2\n"
	    "log_dir = /srv/stripe\n", "github", &ep);
	assert_int_equal(ep.has_section, 1);
	assert_string_equal(ep.name, "github");
	assert_string_equal(ep.provider, "github");
	assert_string_equal(ep.log_dir, "/srv/log");
	assert_int_equal(ep.max_body, 4096);
	assert_int_equal(ep.tolerance, 60);
	assert_int_equal(ep.require_https, 0);
	/* Untouched keys keep the defaults of defaults.h. */
	assert_string_equal(ep.state_dir, DEF_STATE_DIR);
	assert_int_equal(ep.log_max_size, DEF_LOG_MAX_SIZE);
	assert_int_equal(ep.log_keep, DEF_LOG_KEEP);
	assert_int_equal(ep.db_timeout, DEF_DB_TIMEOUT);
	assert_int_equal(ep.timeout, DEF_TIMEOUT);
	assert_int_equal(ep.retry_base, DEF_RETRY_BASE);
	assert_int_equal(ep.retry_max, DEF_RETRY_MAX);
	assert_int_equal(ep.max_attempts, DEF_MAX_ATTEMPTS);
	assert_int_equal(ep.workers, DEF_WORKERS);
	assert_int_equal(ep.keep_done, DEF_KEEP_DONE);
	assert_int_equal(ep.dedupe_window, DEF_DEDUPE_WINDOW);
	assert_int_equal(ep.durability, DEF_DURABILITY_FULL ?
	    DURABILITY_FULL : DURABILITY_RELAXED);
	assert_int_equal(ep.allow_sha1, 0);
	assert_int_equal(ep.allow_unsigned, 0);
	assert_int_equal(ep.nallow_from, 0);
	assert_null(ep.command);
	assert_null(ep.signature_header);
	config_endpoint_release(&ep);

	assert_int_equal(config_endpoint(c.cfg, "stripe", &ep, &c.errors), 0);
	assert_string_equal(ep.log_dir, "/srv/stripe");
	assert_int_equal(ep.max_body, 2048);
	config_endpoint_release(&ep);

	/* An endpoint with no section gets [global] over the defaults. */
	assert_int_equal(config_endpoint(c.cfg, "zendesk", &ep, &c.errors),
	    0);
	assert_int_equal(ep.has_section, 0);
	assert_string_equal(ep.log_dir, "/srv/log");
	assert_int_equal(ep.max_body, 2048);
	assert_int_equal(ep.nsecrets, 0);
	assert_null(ep.provider);
	config_endpoint_release(&ep);

	/* Sections in file order, [global] not among them. */
	assert_int_equal(config_nendpoints(c.cfg), 2);
	assert_string_equal(config_endpoint_name(c.cfg, 0), "github");
	assert_string_equal(config_endpoint_name(c.cfg, 1), "stripe");
	assert_null(config_endpoint_name(c.cfg, 2));
	assert_string_equal(config_path(c.cfg), c.path);
	assert_int_equal(c.errors.len, 0);
	conf_done(&c);
}

static void
test_no_global(void **state)
{
	struct conf	 c;
	struct endpoint	 ep;

	(void)state;
	/* Without [global] or a section, the defaults alone. */
	conf_endpoint(&c, "[other]\nsecret = x\n", "github", &ep);
	assert_int_equal(ep.has_section, 0);
	assert_string_equal(ep.log_dir, DEF_LOG_DIR);
	assert_int_equal(ep.require_https, DEF_REQUIRE_HTTPS);
	assert_int_equal(ep.max_body, DEF_MAX_BODY);
	assert_int_equal(ep.tolerance, -1);
	assert_int_equal(ep.nsecrets, 0);
	config_endpoint_release(&ep);
	/* A name that could never be a section is refused outright. */
	assert_int_equal(config_endpoint(c.cfg, "../etc", &ep, &c.errors), -1);
	assert_non_null(strstr(errs(&c), "bad endpoint name '../etc'"));
	conf_done(&c);
}

static void
test_secrets_repeat_and_replace(void **state)
{
	struct conf	 c;
	struct endpoint	 ep;

	(void)state;
	conf_endpoint(&c,
	    "[global]\n"
	    "secret = g1\n"
	    "secret = g2\n"
	    "[a]\n"
	    "provider = github\n"
	    "[b]\n"
	    "secret = b1\n"
	    "secret = b2 with spaces\n"
	    "secret = b3;semi\n", "a", &ep);
	/* No secret of its own: both of [global], in order. */
	assert_int_equal(ep.nsecrets, 2);
	assert_true(secret_is(&ep.secrets[0], "g1"));
	assert_true(secret_is(&ep.secrets[1], "g2"));
	assert_int_equal(ep.secrets[0].line, 2);
	assert_int_equal(ep.secrets[1].line, 3);
	config_endpoint_release(&ep);
	assert_int_equal(ep.nsecrets, 0);

	/* Its own secrets replace the inherited ones, none left over. */
	assert_int_equal(config_endpoint(c.cfg, "b", &ep, &c.errors), 0);
	assert_int_equal(ep.nsecrets, 3);
	assert_true(secret_is(&ep.secrets[0], "b1"));
	assert_true(secret_is(&ep.secrets[1], "b2 with spaces"));
	assert_true(secret_is(&ep.secrets[2], "b3;semi"));
	assert_int_equal(ep.secrets[2].line, 9);
	assert_int_equal(ep.secrets[0].owned, 0);
	config_endpoint_release(&ep);
	conf_done(&c);
}

static void
test_secrets_limits(void **state)
{
	struct conf	 c;
	struct endpoint	 ep;
	char		 text[1024];
	size_t		 len, i;

	(void)state;
	len = (size_t)snprintf(text, sizeof(text), "[a]\n");
	for (i = 0; i < LIMIT_SECRETS + 1; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "secret = s%zu\n", i);
	conf_load(&c, text);
	assert_non_null(c.cfg);
	assert_int_equal(config_endpoint(c.cfg, "a", &ep, &c.errors), -1);
	/* The first one too many, on its line. */
	expect_error(&c, LIMIT_SECRETS + 2, "more than 8 secrets");
	/* A failed endpoint holds nothing to release. */
	assert_int_equal(ep.nsecrets, 0);
	conf_done(&c);

	conf_load(&c, "[a]\nsecret =\n");
	assert_non_null(c.cfg);
	assert_int_equal(config_endpoint(c.cfg, "a", &ep, &c.errors), -1);
	expect_error(&c, 2, "'secret' is empty or too long");
	conf_done(&c);
}

static void
test_secret_file(void **state)
{
	struct conf	 c;
	struct endpoint	 ep;
	char		 sf[64], sf2[64], text[512];

	(void)state;
	write_file(sf, sizeof(sf), "from-a-file\n", 12, 0600);
	write_file(sf2, sizeof(sf2), "crlf\r\n", 6, 0400);
	snprintf(text, sizeof(text), "[global]\nsecret = inherited\n"
	    "[a]\nsecret_file = %s\nsecret = inline\nsecret_file = %s\n",
	    sf, sf2);
	conf_endpoint(&c, text, "a", &ep);
	assert_int_equal(ep.nsecrets, 3);
	/* The final newline (LF or CRLF) is not part of the secret. */
	assert_true(secret_is(&ep.secrets[0], "from-a-file"));
	assert_int_equal(ep.secrets[0].owned, 1);
	assert_int_equal(ep.secrets[0].line, 4);
	assert_true(secret_is(&ep.secrets[1], "inline"));
	assert_true(secret_is(&ep.secrets[2], "crlf"));
	config_endpoint_release(&ep);
	assert_int_equal(ep.nsecrets, 0);
	conf_done(&c);
	unlink(sf);
	unlink(sf2);
}

static void
test_secret_file_inner_newline(void **state)
{
	struct conf	 c;
	struct endpoint	 ep;
	char		 sf[64], text[256];

	(void)state;
	/* Only trailing line ends go; the bytes before stay exact. */
	write_file(sf, sizeof(sf), " two\nlines \n\n", 13, 0600);
	snprintf(text, sizeof(text), "[a]\nsecret_file = %s\n", sf);
	conf_endpoint(&c, text, "a", &ep);
	assert_int_equal(ep.nsecrets, 1);
	assert_true(secret_is(&ep.secrets[0], " two\nlines "));
	config_endpoint_release(&ep);
	conf_done(&c);
	unlink(sf);
}

static void
test_secret_file_refused(void **state)
{
	static const struct {
		int		 line;
		mode_t		 mode;
		const char	*content;
		const char	*why;
	} cases[] = {
		{ __LINE__, 0644, "s\n",
		    "is readable by group or others (mode 644)" },
		{ __LINE__, 0640, "s\n",
		    "is readable by group or others (mode 640)" },
		{ __LINE__, 0604, "s\n",
		    "is readable by group or others (mode 604)" },
		{ __LINE__, 0600, "", "is empty" },
		{ __LINE__, 0600, "\n\n", "is empty" },
	};
	struct conf	 c;
	struct endpoint	 ep;
	char		 sf[64], text[256];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(sf, sizeof(sf), cases[i].content,
		    strlen(cases[i].content), cases[i].mode);
		snprintf(text, sizeof(text), "[a]\nprovider = x\n"
		    "secret_file = %s\n", sf);
		conf_load(&c, text);
		assert_non_null(c.cfg);
		if (config_endpoint(c.cfg, "a", &ep, &c.errors) != -1)
			fail_msg("line %d: secret file accepted",
			    cases[i].line);
		expect_error(&c, 3, cases[i].why);
		conf_done(&c);
		unlink(sf);
	}
	/* A file that is not there. */
	conf_load(&c, "[a]\nsecret_file = /nonexistent/secret\n");
	assert_non_null(c.cfg);
	assert_int_equal(config_endpoint(c.cfg, "a", &ep, &c.errors), -1);
	expect_error(&c, 2, "cannot open secret_file '/nonexistent/secret'");
	conf_done(&c);
}

static void
test_secret_file_length(void **state)
{
	struct conf	 c;
	struct endpoint	 ep;
	char		 sf[64], text[256], *s;

	(void)state;
	if ((s = malloc(LIMIT_SECRET_LEN + 3)) == NULL)
		fail();
	/* The longest secret, with the newline an editor adds. */
	memset(s, 'k', LIMIT_SECRET_LEN);
	memcpy(s + LIMIT_SECRET_LEN, "\r\n", 2);
	write_file(sf, sizeof(sf), s, LIMIT_SECRET_LEN + 2, 0600);
	snprintf(text, sizeof(text), "[a]\nsecret_file = %s\n", sf);
	conf_endpoint(&c, text, "a", &ep);
	assert_int_equal(ep.nsecrets, 1);
	assert_int_equal(ep.secrets[0].len, LIMIT_SECRET_LEN);
	config_endpoint_release(&ep);
	conf_done(&c);
	unlink(sf);
	/* One byte more is too long, newline or not. */
	s[LIMIT_SECRET_LEN] = 'k';
	s[LIMIT_SECRET_LEN + 1] = '\n';
	write_file(sf, sizeof(sf), s, LIMIT_SECRET_LEN + 2, 0600);
	snprintf(text, sizeof(text), "[a]\nsecret_file = %s\n", sf);
	conf_load(&c, text);
	assert_int_equal(config_endpoint(c.cfg, "a", &ep, &c.errors), -1);
	expect_error(&c, 2, "is too long");
	conf_done(&c);
	unlink(sf);
	memset(s, 'k', LIMIT_SECRET_LEN + 3);
	write_file(sf, sizeof(sf), s, LIMIT_SECRET_LEN + 3, 0600);
	snprintf(text, sizeof(text), "[a]\nsecret_file = %s\n", sf);
	conf_load(&c, text);
	assert_int_equal(config_endpoint(c.cfg, "a", &ep, &c.errors), -1);
	expect_error(&c, 2, "is too long");
	conf_done(&c);
	unlink(sf);
	free(s);
}

static void
test_unknown_key(void **state)
{
	struct conf	 c;
	char		 want[128];

	(void)state;
	conf_load(&c,
	    "[global]\n"
	    "log_dir = /x\n"
	    "[a]\n"
	    "x = 1\n"
	    "secret = ok\n"
	    "Secret = case matters\n");
	assert_null(c.cfg);
	/* The whole line, exactly. */
	snprintf(want, sizeof(want), "%s:4: unknown key 'x'\n", c.path);
	assert_non_null(strstr(errs(&c), want));
	/* Every error is reported, not just the first. */
	expect_error(&c, 6, "unknown key 'Secret'");
	conf_done(&c);
}

static void
test_outside_and_bad_section(void **state)
{
	struct conf	 c;

	(void)state;
	conf_load(&c, "max_body = 2048\n[a]\nsecret = s\n");
	assert_null(c.cfg);
	expect_error(&c, 1, "'max_body' is outside any section");
	conf_done(&c);

	conf_load(&c, "[../x]\nsecret = s\n[.hidden]\nsecret = s\n"
	    "[with space]\nsecret = s\n[ok]\nsecret = s\n");
	assert_null(c.cfg);
	expect_error(&c, 2, "bad endpoint name '../x'");
	expect_error(&c, 4, "bad endpoint name '.hidden'");
	expect_error(&c, 6, "bad endpoint name 'with space'");
	assert_null(strstr(errs(&c), ":8:"));
	conf_done(&c);

	/* Neither a section nor a key. */
	conf_load(&c, "[a]\nsecret = s\njust words\n");
	assert_null(c.cfg);
	expect_error(&c, 3, "syntax error");
	conf_done(&c);

	/* A file that is not there. */
	buf_init(&c.errors, ERRMAX);
	assert_null(config_load("/nonexistent/webhooks.conf", &c.errors));
	assert_non_null(strstr(errs(&c),
	    "/nonexistent/webhooks.conf: cannot open"));
	buf_release(&c.errors);
}

static void
test_global_only(void **state)
{
	static const char *const keys[] = {
		"workers = 4", "keep_done = 1d", "dedupe_window = 2d",
	};
	struct conf	 c;
	struct endpoint	 ep;
	char		 text[128], want[64];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(text, sizeof(text), "[a]\nsecret = s\n%s\n", keys[i]);
		conf_load(&c, text);
		assert_null(c.cfg);
		snprintf(want, sizeof(want), "'%.*s' belongs in [global]",
		    (int)strcspn(keys[i], " "), keys[i]);
		expect_error(&c, 3, want);
		conf_done(&c);
	}
	conf_endpoint(&c, "[global]\nworkers = 4\nkeep_done = 1d\n"
	    "dedupe_window = 2d\n[a]\nsecret = s\n", "a", &ep);
	assert_int_equal(ep.workers, 4);
	assert_int_equal(ep.keep_done, 86400);
	assert_int_equal(ep.dedupe_window, 2 * 86400);
	config_endpoint_release(&ep);
	conf_done(&c);
}

static void
test_long_line(void **state)
{
	struct conf	 c;
	struct endpoint	 ep;
	char		 text[1024];
	int		 n;

	(void)state;
	/* 198 bytes before the newline is the longest line. */
	n = snprintf(text, sizeof(text), "[a]\ncommand = ");
	memset(text + n, 'x', 198 - 10);
	n += 198 - 10;
	n += snprintf(text + n, sizeof(text) - (size_t)n, "\nsecret = s\n");
	conf_endpoint(&c, text, "a", &ep);
	assert_int_equal(strlen(ep.command), 198 - 10);
	config_endpoint_release(&ep);
	conf_done(&c);
	/* One more byte is reported, and the next lines keep their numbers. */
	n = snprintf(text, sizeof(text), "[a]\ncommand = ");
	memset(text + n, 'x', 199 - 10);
	n += 199 - 10;
	snprintf(text + n, sizeof(text) - (size_t)n,
	    "\nsecret = s\nbogus = 1\n");
	conf_load(&c, text);
	assert_null(c.cfg);
	expect_error(&c, 2, "line longer than 198 bytes");
	expect_error(&c, 4, "unknown key 'bogus'");
	conf_done(&c);
	/* Far longer, and as the last line without a newline. */
	n = snprintf(text, sizeof(text), "[a]\nsecret = s\ncommand = ");
	memset(text + n, 'y', 600);
	text[n + 600] = '\0';
	conf_load(&c, text);
	assert_null(c.cfg);
	expect_error(&c, 3, "line longer than 198 bytes");
	conf_done(&c);
}

/* A value that must be refused when the endpoint is resolved. */
struct bad_value {
	int		 line;
	const char	*kv;
	const char	*why;
};

static const struct bad_value bad_values[] = {
	{ __LINE__, "max_body = 10", "'max_body' must be a number from 1024" },
	{ __LINE__, "max_body = 1G", "'max_body' must be a number from 1024" },
	{ __LINE__, "max_body = 10x", "'max_body' must be a number" },
	{ __LINE__, "max_body = 10 M", "'max_body' must be a number" },
	{ __LINE__, "max_body = M", "'max_body' must be a number" },
	{ __LINE__, "max_body = -5000", "'max_body' must be a number" },
	{ __LINE__, "max_body = 0x1000", "'max_body' must be a number" },
	{ __LINE__, "log_max_size = 4095", "'log_max_size' must be a number"
	    " from 4096" },
	/* Wraps around 2^64 to 1 GiB if the product is not checked. */
	{ __LINE__, "log_max_size = 17179869185G", "'log_max_size' must be" },
	{ __LINE__, "log_max_size = 1125899906842624k", "'log_max_size' must"
	    " be" },
	{ __LINE__, "log_keep = 1001", "'log_keep' must be a number from 0"
	    " to 1000" },
	{ __LINE__, "log_keep = 5k", "'log_keep' must be a number" },
	{ __LINE__, "log_keep = -1", "'log_keep' must be a number" },
	{ __LINE__, "tolerance = 8d", "'tolerance' must be a number from 0 to"
	    " 604800 seconds" },
	{ __LINE__, "tolerance = 5M", "'tolerance' must be a number" },
	{ __LINE__, "tolerance = 5w", "'tolerance' must be a number" },
	{ __LINE__, "tolerance = 1125899906842624d", "'tolerance' must be" },
	{ __LINE__, "db_timeout = abc", "'db_timeout' must be a number" },
	{ __LINE__, "db_timeout = 60001", "'db_timeout' must be a number" },
	{ __LINE__, "timeout = 0", "'timeout' must be a number from 1" },
	{ __LINE__, "max_attempts = 0", "'max_attempts' must be a number" },
	{ __LINE__, "retry_base = 2d", "'retry_base' must be a number" },
	{ __LINE__, "require_https = maybe", "'require_https' must be yes or"
	    " no" },
	{ __LINE__, "allow_sha1 = ", "'allow_sha1' must be yes or no" },
	{ __LINE__, "durability = fast", "'durability' must be full or"
	    " relaxed" },
	{ __LINE__, "algorithm = md5", "'algorithm' must be one of"
	    " sha1|sha256|sha512" },
	{ __LINE__, "algorithm = sha", "'algorithm' must be one of" },
	{ __LINE__, "algorithm = sha2566", "'algorithm' must be one of" },
	{ __LINE__, "encoding = hex2", "'encoding' must be one of hex|base64" },
	{ __LINE__, "timestamp_format = rfc", "'timestamp_format' must be one"
	    " of" },
	{ __LINE__, "signed = all", "'signed' must be one of" },
	{ __LINE__, "allow_from = 10.0.0.0/33", "'allow_from' must list"
	    " addresses or networks" },
	{ __LINE__, "trusted_proxies = localhost", "'trusted_proxies' must"
	    " list" },
	{ __LINE__, "on. = /bin/x", "empty on.* routes" },
};

static void
test_bad_values(void **state)
{
	const struct bad_value	*b;
	struct conf		 c;
	struct endpoint		 ep;
	char			 text[256];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		b = &bad_values[i];
		snprintf(text, sizeof(text), "[a]\nsecret = s\n%s\n", b->kv);
		conf_load(&c, text);
		if (c.cfg == NULL)
			fail_msg("line %d: config_load failed:\n%s", b->line,
			    errs(&c));
		if (config_endpoint(c.cfg, "a", &ep, &c.errors) != -1)
			fail_msg("line %d: '%s' accepted", b->line, b->kv);
		expect_error(&c, 3, b->why);
		/* The same value in [global] is caught too. */
		conf_done(&c);
		snprintf(text, sizeof(text), "[global]\n%s\n[a]\nsecret = s\n",
		    b->kv);
		conf_load(&c, text);
		assert_non_null(c.cfg);
		if (config_endpoint(c.cfg, "a", &ep, &c.errors) != -1)
			fail_msg("line %d: '%s' accepted in [global]",
			    b->line, b->kv);
		expect_error(&c, 2, b->why);
		conf_done(&c);
	}
}

/* A value that must be accepted, and what it becomes. */
struct good_value {
	int		 line;
	const char	*kv;
	size_t		 offset;	/* of a long in struct endpoint */
	long		 want;
};

#define EP_OFF(f)	offsetof(struct endpoint, f)

static const struct good_value good_values[] = {
	{ __LINE__, "max_body = 10M", EP_OFF(max_body), 10L * 1024 * 1024 },
	{ __LINE__, "max_body = 10m", EP_OFF(max_body), 10L * 1024 * 1024 },
	{ __LINE__, "max_body = 64k", EP_OFF(max_body), 65536 },
	{ __LINE__, "max_body = 64K", EP_OFF(max_body), 65536 },
	{ __LINE__, "max_body = 1024", EP_OFF(max_body), 1024 },
	{ __LINE__, "max_body = 64M", EP_OFF(max_body), 64L * 1024 * 1024 },
	{ __LINE__, "log_max_size = 1G", EP_OFF(log_max_size),
	    1024L * 1024 * 1024 },
	{ __LINE__, "log_max_size = 1024G", EP_OFF(log_max_size), 1L << 40 },
	{ __LINE__, "log_max_size = 4096", EP_OFF(log_max_size), 4096 },
	{ __LINE__, "tolerance = 5m", EP_OFF(tolerance), 300 },
	{ __LINE__, "tolerance = 30s", EP_OFF(tolerance), 30 },
	{ __LINE__, "tolerance = 2h", EP_OFF(tolerance), 7200 },
	{ __LINE__, "tolerance = 7d", EP_OFF(tolerance), 7L * 86400 },
	{ __LINE__, "tolerance = 0", EP_OFF(tolerance), 0 },
	{ __LINE__, "tolerance = 45", EP_OFF(tolerance), 45 },
	{ __LINE__, "timeout = 1h", EP_OFF(timeout), 3600 },
	{ __LINE__, "retry_max = 1d", EP_OFF(retry_max), 86400 },
	{ __LINE__, "log_keep = 0", EP_OFF(log_keep), 0 },
	{ __LINE__, "log_keep = 1000", EP_OFF(log_keep), 1000 },
	{ __LINE__, "db_timeout = 0", EP_OFF(db_timeout), 0 },
	{ __LINE__, "max_attempts = 3", EP_OFF(max_attempts), 3 },
};

static void
test_good_values(void **state)
{
	const struct good_value	*g;
	struct conf		 c;
	struct endpoint		 ep;
	char			 text[256];
	long			 got;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(good_values) / sizeof(good_values[0]); i++) {
		g = &good_values[i];
		snprintf(text, sizeof(text), "[a]\nsecret = s\n%s\n", g->kv);
		conf_load(&c, text);
		if (c.cfg == NULL ||
		    config_endpoint(c.cfg, "a", &ep, &c.errors) != 0)
			fail_msg("line %d: '%s' refused:\n%s", g->line, g->kv,
			    errs(&c));
		memcpy(&got, (const char *)&ep + g->offset, sizeof(got));
		if (got != g->want)
			fail_msg("line %d: '%s' = %ld, want %ld", g->line,
			    g->kv, got, g->want);
		config_endpoint_release(&ep);
		conf_done(&c);
	}
}

static void
test_bools_and_choices(void **state)
{
	static const struct {
		const char	*v;
		int		 want;
	} bools[] = {
		{ "yes", 1 }, { "YES", 1 }, { "true", 1 }, { "on", 1 },
		{ "1", 1 }, { "no", 0 }, { "False", 0 }, { "off", 0 },
		{ "0", 0 },
	};
	struct conf	 c;
	struct endpoint	 ep;
	char		 text[512];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		snprintf(text, sizeof(text), "[global]\nallow_sha1 = %s\n"
		    "insecure_allow_unsigned = %s\n"
		    "require_https = %s\n", bools[i].v, bools[i].v, bools[i].v);
		conf_endpoint(&c, text, "a", &ep);
		assert_int_equal(ep.allow_sha1, bools[i].want);
		assert_int_equal(ep.allow_unsigned, bools[i].want);
		assert_int_equal(ep.require_https, bools[i].want);
		config_endpoint_release(&ep);
		conf_done(&c);
	}
	conf_endpoint(&c, "[iot]\n"
	    "durability = relaxed\n"
	    "signature_header = X-Signature\n"
	    "algorithm = sha512\n"
	    "encoding = base64\n"
	    "signature_prefix = sha512=\n"
	    "timestamp_header = X-Timestamp\n"
	    "timestamp_format = unix_ms\n"
	    "signed = timestamp+body\n"
	    "signed_separator = .\n"
	    "token_header = X-Token\n"
	    "id_header = X-Id\n"
	    "id_field = data.id\n"
	    "event_header = X-Event\n"
	    "event_field = type\n", "iot", &ep);
	assert_int_equal(ep.durability, DURABILITY_RELAXED);
	assert_string_equal(ep.signature_header, "X-Signature");
	assert_string_equal(ep.algorithm, "sha512");
	assert_string_equal(ep.encoding, "base64");
	assert_string_equal(ep.signature_prefix, "sha512=");
	assert_string_equal(ep.timestamp_header, "X-Timestamp");
	assert_string_equal(ep.timestamp_format, "unix_ms");
	assert_string_equal(ep.signed_payload, "timestamp+body");
	assert_string_equal(ep.signed_separator, ".");
	assert_string_equal(ep.token_header, "X-Token");
	assert_string_equal(ep.id_header, "X-Id");
	assert_string_equal(ep.id_field, "data.id");
	assert_string_equal(ep.event_header, "X-Event");
	assert_string_equal(ep.event_field, "type");
	config_endpoint_release(&ep);
	conf_done(&c);
}

static void
test_routes(void **state)
{
	static const struct {
		int		 line;
		const char	*ep;
		const char	*event;
		const char	*want;	/* NULL: no command */
	} cases[] = {
		{ __LINE__, "a", "issues", "/bin/issues" },
		{ __LINE__, "a", "issue_comment", "/bin/issues" },
		{ __LINE__, "a", "ping", "-" },
		/* The first match wins, in file order. */
		{ __LINE__, "a", "push", "/bin/any" },
		{ __LINE__, "a", "", "/bin/any" },
		/* [global]'s routes are the default set... */
		{ __LINE__, "b", "push", "/bin/push" },
		{ __LINE__, "b", "pull_request", "/bin/b" },
		{ __LINE__, "nosection", "push", "/bin/push" },
		{ __LINE__, "nosection", "other", "/bin/default" },
		/* ...replaced by a section's own. */
		{ __LINE__, "c", "push", "/bin/c" },
		{ __LINE__, "c", "charge.failed", "/bin/charges" },
		{ __LINE__, "c", "charge.", "/bin/charges" },
		{ __LINE__, "c", "customer.created", "/bin/c" },
		{ __LINE__, "c", "Charge.failed", "/bin/c" },
		/* fnmatch classes. */
		{ __LINE__, "c", "v1", "/bin/version" },
		{ __LINE__, "c", "v3", "/bin/c" },
	};
	struct conf	 c;
	struct endpoint	 ep;
	const char	*got;
	size_t		 i;

	(void)state;
	conf_load(&c,
	    "[global]\n"
	    "command = /bin/default\n"
	    "on.push = /bin/push\n"
	    "[a]\n"
	    "command = /bin/a\n"
	    "on.issue* = /bin/issues\n"
	    "on.ping = -\n"
	    "on.* = /bin/any\n"
	    "[b]\n"
	    "command = /bin/b\n"
	    "[c]\n"
	    "command = /bin/c\n"
	    "on.charge.* = /bin/charges\n"
	    "on.v[12] = /bin/version\n");
	assert_non_null(c.cfg);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (config_endpoint(c.cfg, cases[i].ep, &ep, &c.errors) != 0)
			fail_msg("line %d: %s", cases[i].line, errs(&c));
		got = config_route(&ep, cases[i].event);
		if ((got == NULL) != (cases[i].want == NULL) ||
		    (got != NULL && strcmp(got, cases[i].want) != 0))
			fail_msg("line %d: route(%s, %s) = %s, want %s",
			    cases[i].line, cases[i].ep, cases[i].event,
			    got != NULL ? got : "NULL", cases[i].want);
		config_endpoint_release(&ep);
	}
	assert_int_equal(config_endpoint(c.cfg, "a", &ep, &c.errors), 0);
	assert_int_equal(ep.nroutes, 3);
	assert_string_equal(ep.routes[0].glob, "issue*");
	assert_string_equal(ep.routes[1].command, "-");
	config_endpoint_release(&ep);
	conf_done(&c);

	/* No command anywhere: nothing to run. */
	conf_endpoint(&c, "[a]\nsecret = s\n", "a", &ep);
	assert_null(config_route(&ep, "push"));
	config_endpoint_release(&ep);
	conf_done(&c);
}

static void
test_nets(void **state)
{
	struct conf	 c;
	struct endpoint	 ep;
	char		 text[1024];
	size_t		 i, len;

	(void)state;
	conf_load(&c,
	    "[global]\n"
	    "allow_from = 10.0.0.0/8, 192.168.1.1 ::1\n"
	    "trusted_proxies = 127.0.0.1,::1\n"
	    "[a]\n"
	    "allow_from = 203.0.113.0/24\n"
	    "[b]\n"
	    "allow_from =\n"
	    "[c]\n"
	    "provider = github\n");
	assert_non_null(c.cfg);
	assert_int_equal(config_endpoint(c.cfg, "c", &ep, &c.errors), 0);
	assert_int_equal(ep.nallow_from, 3);
	assert_int_equal(parse_net_contains(&ep.allow_from[0], "10.9.8.7"), 1);
	assert_int_equal(parse_net_contains(&ep.allow_from[1], "192.168.1.1"),
	    1);
	assert_int_equal(parse_net_contains(&ep.allow_from[1], "192.168.1.2"),
	    0);
	assert_int_equal(parse_net_contains(&ep.allow_from[2], "::1"), 1);
	assert_int_equal(ep.ntrusted_proxies, 2);
	assert_int_equal(parse_net_contains(&ep.trusted_proxies[0],
	    "127.0.0.1"), 1);
	config_endpoint_release(&ep);
	/* A section's list replaces the inherited one. */
	assert_int_equal(config_endpoint(c.cfg, "a", &ep, &c.errors), 0);
	assert_int_equal(ep.nallow_from, 1);
	assert_int_equal(parse_net_contains(&ep.allow_from[0], "10.9.8.7"), 0);
	assert_int_equal(parse_net_contains(&ep.allow_from[0], "203.0.113.9"),
	    1);
	assert_int_equal(ep.ntrusted_proxies, 2);
	config_endpoint_release(&ep);
	/* An empty list means anyone again. */
	assert_int_equal(config_endpoint(c.cfg, "b", &ep, &c.errors), 0);
	assert_int_equal(ep.nallow_from, 0);
	config_endpoint_release(&ep);
	conf_done(&c);

	/* LIMIT_NETS entries fit on a line as short IPv6 addresses. */
	len = (size_t)snprintf(text, sizeof(text), "[a]\nallow_from =");
	for (i = 1; i <= LIMIT_NETS; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    " ::%zx", i);
	snprintf(text + len, sizeof(text) - len, "\n");
	conf_endpoint(&c, text, "a", &ep);
	assert_int_equal(ep.nallow_from, LIMIT_NETS);
	assert_int_equal(parse_net_contains(&ep.allow_from[LIMIT_NETS - 1],
	    "::20"), 1);
	config_endpoint_release(&ep);
	conf_done(&c);
	/* One more is refused, not dropped. */
	snprintf(text + len, sizeof(text) - len, " ::ff\n");
	conf_load(&c, text);
	assert_non_null(c.cfg);
	assert_int_equal(config_endpoint(c.cfg, "a", &ep, &c.errors), -1);
	expect_error(&c, 2, "'allow_from' must list addresses or networks");
	conf_done(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global_fallback),
		cmocka_unit_test(test_no_global),
		cmocka_unit_test(test_secrets_repeat_and_replace),
		cmocka_unit_test(test_secrets_limits),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_secret_file_inner_newline),
		cmocka_unit_test(test_secret_file_refused),
		cmocka_unit_test(test_secret_file_length),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_outside_and_bad_section),
		cmocka_unit_test(test_global_only),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_bools_and_choices),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_nets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
