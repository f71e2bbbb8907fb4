/*
 * Diagnostics on standard error, in OpenBSD's vocabulary: log_warn adds
 * strerror(errno), log_warnx does not; fatal and fatalx exit(111) and are
 * for start-up only.  Under a web server, standard error is its error log.
 * Delivery records are not diagnostics: they go through dlog.
 */
#ifndef LOG_H
#define LOG_H

/* Names the program in every message; verbose enables log_debug. */
void	log_init(const char *progname, int verbose);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* LOG_H */
