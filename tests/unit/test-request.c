/*
 * test-request: the headers request.c's fill() collects from the
 * variables a web server passes, for the variables the servers pass
 * differently: lighttpd, nginx and Caddy hand the body's length (and
 * nginx and Caddy its type) over twice, as CONTENT_LENGTH and as
 * HTTP_CONTENT_LENGTH; Apache once.  The log must name each header once.
 *
 * The file includes request.c itself to reach the static fill(), as
 * tests/fuzz/fuzz-request.c does.
 */
#include "../../common/request.c"

#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>

static struct request	 req;

/* req names NAME exactly once, with the value WANT. */
static void
assert_once(const char *name, const char *want)
{
	const char	*value = NULL;
	size_t		 i;
	int		 n = 0;

	for (i = 0; i < req.nheaders; i++)
		if (strcmp(req.headers[i].name, name) == 0) {
			value = req.headers[i].value;
			n++;
		}
	assert_int_equal(1, n);
	assert_string_equal(want, value);
}

/* Writable copies of the variables, as libfcgi hands them over. */
static char	*copies[16];

static void
release(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(copies) / sizeof(copies[0]); i++) {
		free(copies[i]);
		copies[i] = NULL;
	}
}

/* fill() on VARS (NULL-terminated); req keeps pointing into the copies. */
static void
collect(const char *const *vars)
{
	size_t	 i;

	release();
	for (i = 0; vars[i] != NULL; i++) {
		assert_true(i + 1 < sizeof(copies) / sizeof(copies[0]));
		assert_non_null(copies[i] = strdup(vars[i]));
	}
	buf_init(&req.body, LIMIT_BODY);
	fill(&req, copies);
	buf_release(&req.body);
}

/* nginx's and Caddy's order: the CGI variables, then every header. */
static void
test_both_forms_once(void **state)
{
	const char	*envp[] = { "REQUEST_METHOD=POST",
			    "CONTENT_LENGTH=42",
			    "CONTENT_TYPE=application/json",
			    "HTTP_HOST=example.org", "HTTP_CONTENT_LENGTH=42",
			    "HTTP_CONTENT_TYPE=application/json",
			    "HTTP_X_HUB_SIGNATURE_256=sha256=00", NULL };
	(void)state;
	collect(envp);
	assert_once("Content-Length", "42");
	assert_once("Content-Type", "application/json");
	assert_once("X-Hub-Signature-256", "sha256=00");
	assert_int_equal(4, req.nheaders);
	assert_int_equal(42, req.content_length);
	assert_int_equal(REQUEST_OK, req.problem);
}

/* The server's CONTENT_LENGTH is the length of the body it passes on. */
static void
test_cgi_variable_wins(void **state)
{
	const char	*envp[] = { "REQUEST_METHOD=POST",
			    "HTTP_CONTENT_LENGTH=7", "CONTENT_LENGTH=9", NULL };
	(void)state;
	collect(envp);
	assert_once("Content-Length", "9");
	assert_int_equal(9, req.content_length);
}

/* A server that passes only the HTTP_ forms loses nothing. */
static void
test_http_form_alone(void **state)
{
	const char	*envp[] = { "REQUEST_METHOD=POST",
			    "HTTP_CONTENT_LENGTH=5",
			    "HTTP_CONTENT_TYPE=text/plain", NULL };
	(void)state;
	collect(envp);
	assert_once("Content-Length", "5");
	assert_int_equal(5, req.content_length);
	assert_once("Content-Type", "text/plain");
	assert_non_null(req.content_type);
	assert_string_equal("text/plain", req.content_type);
	assert_int_equal(REQUEST_OK, req.problem);
}

/* Without either form a POST has no length: 411, as before. */
static void
test_no_length(void **state)
{
	const char	*envp[] = { "REQUEST_METHOD=POST", "HTTP_HOST=a",
			    NULL };

	(void)state;
	collect(envp);
	assert_int_equal(-1, req.content_length);
	assert_int_equal(REQUEST_NO_LENGTH, req.problem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_forms_once),
		cmocka_unit_test(test_cgi_variable_wins),
		cmocka_unit_test(test_http_form_alone),
		cmocka_unit_test(test_no_length),
	};
	int	 failed;

	failed = cmocka_run_group_tests(tests, NULL, NULL);
	release();
	return failed;
}
