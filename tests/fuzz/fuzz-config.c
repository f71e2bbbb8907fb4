/*
 * fuzz-config: the configuration parser (inih through config.c's line
 * reader) and the resolution of every endpoint it names: numbers with
 * units, booleans, choices, address lists, secrets, routes.  The input
 * is the file.  Properties: a loaded file resolves each of its sections
 * without crashing, every resolved value stays within its documented
 * range (defaults.h), and errors come back as text, never as a crash.
 *
 * secret_file may name any path; the runner gives the fuzzer /dev/null
 * as standard input so that /dev/stdin cannot block.
 */
#define _GNU_SOURCE	/* memfd_create */

#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "defaults.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_endpoint(const struct endpoint *ep)
{
	if (ep->max_body < MIN_MAX_BODY || ep->max_body > MAX_MAX_BODY ||
	    ep->db_timeout < MIN_DB_TIMEOUT || ep->db_timeout > MAX_DB_TIMEOUT ||
	    ep->log_keep < MIN_LOG_KEEP || ep->log_keep > MAX_LOG_KEEP ||
	    ep->nsecrets > LIMIT_SECRETS || ep->nroutes > LIMIT_ROUTES ||
	    ep->nallow_from > LIMIT_NETS || ep->ntrusted_proxies > LIMIT_NETS)
		abort();
	(void)config_route(ep, "push");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 fd = -1;
	static char	 path[64];
	struct config	*cfg;
	struct endpoint	 ep;
	struct buf	 errors;
	size_t		 i;

	if (fd == -1) {
		if ((fd = memfd_create("fuzz-config", 0)) == -1)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1 || pwrite(fd, data, size, 0) !=
	    (ssize_t)size)
		abort();
	buf_init(&errors, 1 << 16);
	if ((cfg = config_load(path, &errors)) != NULL) {
		for (i = 0; i < config_nendpoints(cfg); i++) {
			if (config_endpoint(cfg, config_endpoint_name(cfg, i),
			    &ep, &errors) == 0) {
				check_endpoint(&ep);
				config_endpoint_release(&ep);
			}
		}
		/* A name without a section takes [global] alone. */
		if (config_endpoint(cfg, "github", &ep, &errors) == 0) {
			check_endpoint(&ep);
			config_endpoint_release(&ep);
		}
		config_free(cfg);
	}
	buf_release(&errors);
	return 0;
}
