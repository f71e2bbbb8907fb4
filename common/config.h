/*
 * config: the only user of inih.  Reads the INI file once per process
 * into entries (section, key, value, line), and resolves one endpoint's
 * settings on demand: [global] first, then the endpoint's own section,
 * so any key may be set globally and overridden per endpoint.  The same
 * validation serves the handlers and webhookctl check-config.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#include "buf.h"
#include "bounds.h"
#include "parse.h"

struct config;

/* A secret: bytes as typed (never decoded here), wiped when released. */
struct secret {
	char	*data;
	size_t	 len;
	int	 owned;		/* read from a file: release wipes and frees */
	int	 line;		/* where it was set, for check-config */
};

/*
 * A public key (public_key): DER SubjectPublicKeyInfo, checked when the
 * configuration is read.  Public, so nothing to wipe.
 */
struct pubkey {
	unsigned char	 der[LIMIT_PUBKEY_DER];
	size_t		 len;
	int		 kind;		/* enum hmac_pk */
	int		 line;		/* where it was set, for check-config */
};

/* An "on.<glob> = command" override, in file order. */
struct route {
	const char	*glob;		/* event pattern, fnmatch(3) */
	const char	*command;	/* "-" marks the event done unrun */
};

enum durability {
	DURABILITY_FULL,	/* fsync before acknowledging */
	DURABILITY_RELAXED,	/* the OS writes back; a crash may lose */
};

/* One endpoint's resolved settings.  Strings borrow from the config. */
struct endpoint {
	char		 name[LIMIT_ENDPOINT_NAME + 1];
	int		 has_section;	/* [name] exists in the file */
	const char	*provider;	/* provider = key, or NULL */
	const char	*log_dir;
	const char	*state_dir;
	int		 require_https;
	struct net	 trusted_proxies[LIMIT_NETS];
	size_t		 ntrusted_proxies;
	struct net	 allow_from[LIMIT_NETS];	/* empty: anyone */
	size_t		 nallow_from;
	/* console.fcgi ([global] only): who may see it without a login. */
	struct net	 console_allow_from[LIMIT_NETS];
	size_t		 nconsole_allow_from;
	int		 console_show_bodies;
	long		 max_body;
	long		 log_max_size;
	long		 log_keep;
	enum durability	 durability;
	long		 db_timeout;	/* milliseconds */
	struct secret	 secrets[LIMIT_SECRETS];
	size_t		 nsecrets;
	struct pubkey	 pubkeys[LIMIT_PUBKEYS];	/* public_key */
	size_t		 npubkeys;
	/* public_url: the URL exactly as configured at the provider. */
	const char	*public_url;
	long		 tolerance;	/* seconds; -1: the provider's */
	int		 allow_sha1;
	int		 allow_unsigned;
	/* Scheme overrides for the generic receiver; NULL: keep. */
	const char	*signature_header;
	const char	*algorithm;
	const char	*encoding;
	const char	*signature_prefix;
	const char	*timestamp_header;
	const char	*timestamp_format;
	const char	*signed_payload;
	const char	*signed_separator;
	const char	*token_header;
	const char	*verify_token;	/* Meta's GET handshake token */
	const char	*id_header;
	const char	*id_field;
	const char	*event_header;
	const char	*event_field;
	/* Worker. */
	const char	*command;
	struct route	 routes[LIMIT_ROUTES];
	size_t		 nroutes;
	long		 timeout;
	long		 retry_base;
	long		 retry_max;
	long		 max_attempts;
	long		 workers;
	long		 keep_done;
	long		 dedupe_window;
	/* Store, [global] only: "sqlite" or "nats" and how to reach it. */
	const char	*store;
	const char	*nats_url;	/* comma-separated server URLs */
	const char	*nats_stream;
	long		 nats_replicas;
	const char	*nats_creds;	/* a .creds file */
	const char	*nats_user;
	const char	*nats_password_file;
	const char	*nats_tls_ca;
	const char	*nats_tls_cert;
	const char	*nats_tls_key;
};

/*
 * Reads and checks the syntax and keys of a file.  Problems are appended
 * to errors as "path:line: message\n"; the result is NULL when the file
 * cannot be read or has errors.  Caller frees with config_free().
 */
struct config	*config_load(const char *path, struct buf *errors);
void		 config_free(struct config *);
const char	*config_path(const struct config *);

/* Endpoint sections, in file order. */
size_t		 config_nendpoints(const struct config *);
const char	*config_endpoint_name(const struct config *, size_t);

/*
 * Resolves an endpoint into ep: defaults, then [global], then [name].
 * Reads secret_file files.  Returns 0, or -1 with messages appended to
 * errors.  Caller releases with config_endpoint_release().
 */
int	config_endpoint(const struct config *, const char *name,
	    struct endpoint *ep, struct buf *errors);
void	config_endpoint_release(struct endpoint *);

/* Returns the command for an event: the first matching route, else
 * command; NULL when there is none. */
const char *config_route(const struct endpoint *, const char *event);

#endif /* CONFIG_H */
