/*
 * Every configuration default and its allowed range, in one place (our
 * config.def.h).  config.c builds its key table from these, check-config
 * reports values outside the ranges, and tests/unit/test-config.c checks
 * that the README and webhooks.conf.5 quote the same numbers.
 */
#ifndef DEFAULTS_H
#define DEFAULTS_H

#define DEF_CONFIG_PATH		"/etc/webhook-fcgi/webhooks.conf"
#define DEF_LOG_DIR		"/var/log/webhook-fcgi"
#define DEF_STATE_DIR		"/var/lib/webhook-fcgi"

#define DEF_REQUIRE_HTTPS	1
#define DEF_CONSOLE_SHOW_BODIES	1
#define DEF_MAX_BODY		(5L * 1024 * 1024)	/* bytes */
#define MIN_MAX_BODY		1024L
#define MAX_MAX_BODY		((long)LIMIT_BODY)

#define DEF_LOG_MAX_SIZE	(64L * 1024 * 1024)	/* bytes */
#define MIN_LOG_MAX_SIZE	4096L
#define MAX_LOG_MAX_SIZE	(1L << 40)
#define DEF_LOG_KEEP		5
#define MIN_LOG_KEEP		0L
#define MAX_LOG_KEEP		1000L

#define DEF_TOLERANCE		300L			/* seconds, 0 = off */
#define MIN_TOLERANCE		0L
#define MAX_TOLERANCE		(7L * 24 * 3600)

#define DEF_DB_TIMEOUT		2000L			/* milliseconds */
#define MIN_DB_TIMEOUT		0L
#define MAX_DB_TIMEOUT		60000L

/* durability = full: fsync before the 200; relaxed: the OS decides. */
#define DEF_DURABILITY_FULL	1

/* Worker. */
#define DEF_WORKERS		2L
#define MIN_WORKERS		1L
#define MAX_WORKERS		64L
#define DEF_TIMEOUT		60L			/* seconds */
#define MIN_TIMEOUT		1L
#define MAX_TIMEOUT		86400L
#define DEF_RETRY_BASE		10L			/* seconds */
#define MIN_RETRY_BASE		1L
#define MAX_RETRY_BASE		86400L
#define DEF_RETRY_MAX		3600L			/* seconds */
#define MIN_RETRY_MAX		1L
#define MAX_RETRY_MAX		(7L * 86400)
#define DEF_MAX_ATTEMPTS	8L
#define MIN_MAX_ATTEMPTS	1L
#define MAX_MAX_ATTEMPTS	1000L
#define DEF_KEEP_DONE		(7L * 86400)		/* seconds */
#define MIN_KEEP_DONE		0L
#define MAX_KEEP_DONE		(3650L * 86400)
/* Covers Stripe's three days of live-mode retries with room to spare. */
#define DEF_DEDUPE_WINDOW	(30L * 86400)		/* seconds */
#define MIN_DEDUPE_WINDOW	3600L
#define MAX_DEDUPE_WINDOW	(3650L * 86400)

/* Store: the SQLite ledger, or a NATS JetStream cluster shared by hosts. */
#define DEF_STORE		"sqlite"
#define DEF_NATS_STREAM		"webhooks"
#define DEF_NATS_REPLICAS	3L
#define MIN_NATS_REPLICAS	1L
#define MAX_NATS_REPLICAS	5L
/* How long a receiver tries to get a PubAck before answering 503. */
#define DEF_NATS_BUDGET_MS	3000L

#endif /* DEFAULTS_H */
