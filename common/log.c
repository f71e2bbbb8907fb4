/*
 * log: diagnostics on standard error.  Each message is formatted whole
 * and written with one write(2), so lines from several FastCGI processes
 * sharing the server's error log do not interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char	*log_prog = "webhook";
static int		 log_verbose;

void
log_init(const char *progname, int verbose)
{
	const char	*slash;

	if (progname != NULL) {
		slash = strrchr(progname, '/');
		log_prog = slash != NULL ? slash + 1 : progname;
	}
	log_verbose = verbose;
}

static void log_emit(const char *, const char *, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));

static void
log_emit(const char *level, const char *why, const char *fmt, va_list ap)
{
	char	 line[1024];
	int	 n;
	size_t	 len;

	n = snprintf(line, sizeof(line), "%s: %s", log_prog, level);
	if (n < 0)
		return;
	len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n > 0)
		len += (size_t)n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	if (why != NULL) {
		n = snprintf(line + len, sizeof(line) - len, ": %s", why);
		if (n > 0)
			len += (size_t)n;
		if (len > sizeof(line) - 2)
			len = sizeof(line) - 2;
	}
	line[len++] = '\n';
	/* Best effort: there is nowhere else to report a failed write. */
	if (write(STDERR_FILENO, line, len) == -1)
		return;
}

void
log_warn(const char *fmt, ...)
{
	va_list		 ap;
	const char	*why = strerror(errno);

	va_start(ap, fmt);
	log_emit("", why, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit("", NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit("info: ", NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_emit("debug: ", NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list		 ap;
	const char	*why = strerror(errno);

	va_start(ap, fmt);
	log_emit("fatal: ", why, fmt, ap);
	va_end(ap);
	exit(111);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit("fatal: ", NULL, fmt, ap);
	va_end(ap);
	exit(111);
}
