/*
 * config: INI parsing through inih, and the one table of keys that both
 * the handlers and check-config validate against.
 *
 * Debian's inih is built with a 200-byte line limit and ';' inline
 * comments.  We feed it through our own line reader so that we know the
 * line number of every key (the packaged library does not pass it) and
 * can report an over-long line instead of letting inih split it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "defaults.h"
#include "hmac.h"

struct entry {
	char	*section;
	char	*key;
	char	*value;
	int	 line;
};

struct config {
	char		*path;
	struct entry	*entries;
	size_t		 nentries;
	size_t		 cap;
	char		*sections[LIMIT_ENDPOINTS];
	size_t		 nsections;
};

enum key_type {
	KT_STRING,
	KT_BOOL,
	KT_SIZE,	/* bytes, with an optional k, M or G suffix */
	KT_SECONDS,	/* with an optional s, m, h or d suffix */
	KT_NUMBER,
	KT_NETS,
	KT_SECRET,
	KT_SECRET_FILE,
	KT_PUBKEY,
	KT_URL,		/* http(s)://host/..., no user info, no fragment */
	KT_DURABILITY,
	KT_CHOICE,	/* one of the words in choices */
};

struct key {
	const char	*name;
	enum key_type	 type;
	size_t		 offset;	/* into struct endpoint */
	long		 min, max;
	const char	*choices;	/* KT_CHOICE: words separated by '|' */
	int		 global_only;
};

#define OFF(f)	offsetof(struct endpoint, f)

static const struct key keys[] = {
	{ "log_dir", KT_STRING, OFF(log_dir), 0, 0, NULL, 0 },
	{ "state_dir", KT_STRING, OFF(state_dir), 0, 0, NULL, 0 },
	{ "require_https", KT_BOOL, OFF(require_https), 0, 0, NULL, 0 },
	{ "trusted_proxies", KT_NETS, OFF(trusted_proxies), 0, 0, NULL, 0 },
	{ "allow_from", KT_NETS, OFF(allow_from), 0, 0, NULL, 0 },
	{ "console_allow_from", KT_NETS, OFF(console_allow_from), 0, 0, NULL,
	    1 },
	{ "console_show_bodies", KT_BOOL, OFF(console_show_bodies), 0, 0,
	    NULL, 1 },
	{ "max_body", KT_SIZE, OFF(max_body), MIN_MAX_BODY, MAX_MAX_BODY,
	    NULL, 0 },
	{ "log_max_size", KT_SIZE, OFF(log_max_size), MIN_LOG_MAX_SIZE,
	    MAX_LOG_MAX_SIZE, NULL, 0 },
	{ "log_keep", KT_NUMBER, OFF(log_keep), MIN_LOG_KEEP, MAX_LOG_KEEP,
	    NULL, 0 },
	{ "durability", KT_DURABILITY, OFF(durability), 0, 0,
	    "full|relaxed", 0 },
	{ "db_timeout", KT_NUMBER, OFF(db_timeout), MIN_DB_TIMEOUT,
	    MAX_DB_TIMEOUT, NULL, 0 },
	{ "provider", KT_STRING, OFF(provider), 0, 0, NULL, 0 },
	{ "secret", KT_SECRET, 0, 0, 0, NULL, 0 },
	{ "secret_file", KT_SECRET_FILE, 0, 0, 0, NULL, 0 },
	{ "public_key", KT_PUBKEY, 0, 0, 0, NULL, 0 },
	{ "public_url", KT_URL, OFF(public_url), 0, 0, NULL, 0 },
	{ "tolerance", KT_SECONDS, OFF(tolerance), MIN_TOLERANCE,
	    MAX_TOLERANCE, NULL, 0 },
	{ "allow_sha1", KT_BOOL, OFF(allow_sha1), 0, 0, NULL, 0 },
	{ "insecure_allow_unsigned", KT_BOOL, OFF(allow_unsigned), 0, 0,
	    NULL, 0 },
	{ "signature_header", KT_STRING, OFF(signature_header), 0, 0, NULL,
	    0 },
	{ "algorithm", KT_CHOICE, OFF(algorithm), 0, 0, "sha1|sha256|sha512",
	    0 },
	{ "encoding", KT_CHOICE, OFF(encoding), 0, 0, "hex|base64", 0 },
	{ "signature_prefix", KT_STRING, OFF(signature_prefix), 0, 0, NULL,
	    0 },
	{ "timestamp_header", KT_STRING, OFF(timestamp_header), 0, 0, NULL,
	    0 },
	{ "timestamp_format", KT_CHOICE, OFF(timestamp_format), 0, 0,
	    "unix|unix_ms|iso8601", 0 },
	{ "signed", KT_CHOICE, OFF(signed_payload), 0, 0,
	    "body|timestamp+body", 0 },
	{ "signed_separator", KT_STRING, OFF(signed_separator), 0, 0, NULL,
	    0 },
	{ "token_header", KT_STRING, OFF(token_header), 0, 0, NULL, 0 },
	{ "verify_token", KT_STRING, OFF(verify_token), 0, 0, NULL, 0 },
	{ "id_header", KT_STRING, OFF(id_header), 0, 0, NULL, 0 },
	{ "id_field", KT_STRING, OFF(id_field), 0, 0, NULL, 0 },
	{ "event_header", KT_STRING, OFF(event_header), 0, 0, NULL, 0 },
	{ "event_field", KT_STRING, OFF(event_field), 0, 0, NULL, 0 },
	{ "command", KT_STRING, OFF(command), 0, 0, NULL, 0 },
	{ "timeout", KT_SECONDS, OFF(timeout), MIN_TIMEOUT, MAX_TIMEOUT,
	    NULL, 0 },
	{ "retry_base", KT_SECONDS, OFF(retry_base), MIN_RETRY_BASE,
	    MAX_RETRY_BASE, NULL, 0 },
	{ "retry_max", KT_SECONDS, OFF(retry_max), MIN_RETRY_MAX,
	    MAX_RETRY_MAX, NULL, 0 },
	{ "max_attempts", KT_NUMBER, OFF(max_attempts), MIN_MAX_ATTEMPTS,
	    MAX_MAX_ATTEMPTS, NULL, 0 },
	{ "workers", KT_NUMBER, OFF(workers), MIN_WORKERS, MAX_WORKERS,
	    NULL, 1 },
	{ "keep_done", KT_SECONDS, OFF(keep_done), MIN_KEEP_DONE,
	    MAX_KEEP_DONE, NULL, 1 },
	{ "dedupe_window", KT_SECONDS, OFF(dedupe_window), MIN_DEDUPE_WINDOW,
	    MAX_DEDUPE_WINDOW, NULL, 1 },
	{ "store", KT_CHOICE, OFF(store), 0, 0, "sqlite|nats", 1 },
	{ "nats_url", KT_STRING, OFF(nats_url), 0, 0, NULL, 1 },
	{ "nats_stream", KT_STRING, OFF(nats_stream), 0, 0, NULL, 1 },
	{ "nats_replicas", KT_NUMBER, OFF(nats_replicas), MIN_NATS_REPLICAS,
	    MAX_NATS_REPLICAS, NULL, 1 },
	{ "nats_creds", KT_STRING, OFF(nats_creds), 0, 0, NULL, 1 },
	{ "nats_user", KT_STRING, OFF(nats_user), 0, 0, NULL, 1 },
	{ "nats_password_file", KT_STRING, OFF(nats_password_file), 0, 0,
	    NULL, 1 },
	{ "nats_tls_ca", KT_STRING, OFF(nats_tls_ca), 0, 0, NULL, 1 },
	{ "nats_tls_cert", KT_STRING, OFF(nats_tls_cert), 0, 0, NULL, 1 },
	{ "nats_tls_key", KT_STRING, OFF(nats_tls_key), 0, 0, NULL, 1 },
};

static const struct key *
key_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* State of one parse: the config being filled and where errors go. */
struct parse_ctx {
	struct config	*cfg;
	struct buf	*errors;
	FILE		*fp;
	int		 line;
	int		 nerrors;
};

static void add_error(struct buf *, const char *, int, const char *, ...)
	    __attribute__((format(printf, 4, 5)));

static void
add_error(struct buf *errors, const char *path, int line, const char *fmt,
    ...)
{
	va_list	 ap;

	if (errors == NULL)
		return;
	if (line > 0)
		buf_printf(errors, "%s:%d: ", path, line);
	else
		buf_printf(errors, "%s: ", path);
	va_start(ap, fmt);
	buf_vprintf(errors, fmt, ap);
	va_end(ap);
	buf_addc(errors, '\n');
}

/*
 * inih's line reader: one whole line per call.  A line that does not fit
 * is reported and replaced by a comment, so inih never sees half of it.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse_ctx	*ctx = stream;
	size_t			 n;
	int			 c;

	if (fgets(str, num, ctx->fp) == NULL)
		return NULL;
	ctx->line++;
	n = strlen(str);
	if (n > 0 && str[n - 1] != '\n' && !feof(ctx->fp)) {
		add_error(ctx->errors, ctx->cfg->path, ctx->line,
		    "line longer than %d bytes", num - 2);
		ctx->nerrors++;
		while ((c = fgetc(ctx->fp)) != EOF && c != '\n')
			;
		str[0] = '#';
		str[1] = '\0';
	}
	return str;
}

static int
section_add(struct config *cfg, const char *section)
{
	size_t	 i;

	if (strcmp(section, "global") == 0)
		return 0;
	for (i = 0; i < cfg->nsections; i++)
		if (strcmp(cfg->sections[i], section) == 0)
			return 0;
	if (cfg->nsections == LIMIT_ENDPOINTS)
		return -1;
	if ((cfg->sections[cfg->nsections] = strdup(section)) == NULL)
		return -1;
	cfg->nsections++;
	return 0;
}

static int
entry_add(struct config *cfg, const char *section, const char *key,
    const char *value, int line)
{
	struct entry	*e;
	size_t		 ncap;

	if (cfg->nentries == cfg->cap) {
		ncap = cfg->cap == 0 ? 32 : cfg->cap * 2;
		e = reallocarray(cfg->entries, ncap, sizeof(*e));
		if (e == NULL)
			return -1;
		cfg->entries = e;
		cfg->cap = ncap;
	}
	e = &cfg->entries[cfg->nentries];
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = strdup(value);
	e->line = line;
	if (e->section == NULL || e->key == NULL || e->value == NULL) {
		free(e->section);
		free(e->key);
		free(e->value);
		return -1;
	}
	cfg->nentries++;
	return 0;
}

static int
on_key(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse_ctx	*ctx = user;
	const struct key	*k;
	const char		*path = ctx->cfg->path;

	if (section[0] == '\0') {
		add_error(ctx->errors, path, ctx->line,
		    "'%s' is outside any section", name);
		ctx->nerrors++;
		return 1;
	}
	if (strcmp(section, "global") != 0 && parse_endpoint_name(section)) {
		add_error(ctx->errors, path, ctx->line,
		    "bad endpoint name '%s' (letters, digits, '_', '-', '.')",
		    section);
		ctx->nerrors++;
		return 1;
	}
	k = key_find(name);
	if (k == NULL && strncmp(name, "on.", 3) != 0) {
		add_error(ctx->errors, path, ctx->line, "unknown key '%s'",
		    name);
		ctx->nerrors++;
		return 1;
	}
	if (k != NULL && k->global_only && strcmp(section, "global") != 0) {
		add_error(ctx->errors, path, ctx->line,
		    "'%s' belongs in [global]", name);
		ctx->nerrors++;
		return 1;
	}
	if (section_add(ctx->cfg, section) == -1 ||
	    entry_add(ctx->cfg, section, name, value, ctx->line) == -1) {
		add_error(ctx->errors, path, ctx->line, "%s",
		    "too many sections or out of memory");
		ctx->nerrors++;
		return 0;
	}
	return 1;
}

struct config *
config_load(const char *path, struct buf *errors)
{
	struct parse_ctx	 ctx;
	struct config		*cfg;
	int			 rc;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
	    (cfg->path = strdup(path)) == NULL) {
		free(cfg);
		add_error(errors, path, 0, "%s", "out of memory");
		return NULL;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.errors = errors;
	if ((ctx.fp = fopen(path, "re")) == NULL) {
		add_error(errors, path, 0, "cannot open: %s", strerror(errno));
		config_free(cfg);
		return NULL;
	}
	rc = ini_parse_stream(read_line, &ctx, on_key, &ctx);
	fclose(ctx.fp);
	if (rc > 0) {
		add_error(errors, path, rc, "%s",
		    "syntax error (expected [section] or key = value)");
		ctx.nerrors++;
	} else if (rc < 0) {
		add_error(errors, path, 0, "%s", "cannot parse");
		ctx.nerrors++;
	}
	if (ctx.nerrors > 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
config_free(struct config *cfg)
{
	size_t	 i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nentries; i++) {
		/* Inline secrets live in these strings: wipe them all. */
		hmac_cleanse(cfg->entries[i].value,
		    strlen(cfg->entries[i].value));
		free(cfg->entries[i].section);
		free(cfg->entries[i].key);
		free(cfg->entries[i].value);
	}
	for (i = 0; i < cfg->nsections; i++)
		free(cfg->sections[i]);
	free(cfg->entries);
	free(cfg->path);
	free(cfg);
}

const char *
config_path(const struct config *cfg)
{
	return cfg->path;
}

size_t
config_nendpoints(const struct config *cfg)
{
	return cfg->nsections;
}

const char *
config_endpoint_name(const struct config *cfg, size_t i)
{
	return i < cfg->nsections ? cfg->sections[i] : NULL;
}

static void
endpoint_defaults(struct endpoint *ep, const char *name)
{
	memset(ep, 0, sizeof(*ep));
	snprintf(ep->name, sizeof(ep->name), "%s", name);
	ep->log_dir = DEF_LOG_DIR;
	ep->state_dir = DEF_STATE_DIR;
	ep->require_https = DEF_REQUIRE_HTTPS;
	ep->console_show_bodies = DEF_CONSOLE_SHOW_BODIES;
	ep->max_body = DEF_MAX_BODY;
	ep->log_max_size = DEF_LOG_MAX_SIZE;
	ep->log_keep = DEF_LOG_KEEP;
	ep->durability = DEF_DURABILITY_FULL ? DURABILITY_FULL :
	    DURABILITY_RELAXED;
	ep->db_timeout = DEF_DB_TIMEOUT;
	ep->tolerance = -1;
	ep->timeout = DEF_TIMEOUT;
	ep->retry_base = DEF_RETRY_BASE;
	ep->retry_max = DEF_RETRY_MAX;
	ep->max_attempts = DEF_MAX_ATTEMPTS;
	ep->workers = DEF_WORKERS;
	ep->keep_done = DEF_KEEP_DONE;
	ep->dedupe_window = DEF_DEDUPE_WINDOW;
	ep->store = DEF_STORE;
	ep->nats_stream = DEF_NATS_STREAM;
	ep->nats_replicas = DEF_NATS_REPLICAS;
}

static int
parse_bool(const char *v, int *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	    strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	    strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* A number with an optional unit suffix from units ("kMG" or "smhd"). */
static int
parse_scaled(const char *v, int bytes, long *out)
{
	uint64_t	 n, mul = 1;
	size_t		 len = strlen(v);
	char		 c;

	if (len > 1 && (v[len - 1] < '0' || v[len - 1] > '9')) {
		c = v[--len];
		if (bytes && (c == 'k' || c == 'K'))
			mul = 1024;
		else if (bytes && (c == 'm' || c == 'M'))
			mul = 1024 * 1024;
		else if (bytes && (c == 'g' || c == 'G'))
			mul = 1024 * 1024 * 1024;
		else if (!bytes && c == 's')
			mul = 1;
		else if (!bytes && c == 'm')
			mul = 60;
		else if (!bytes && c == 'h')
			mul = 3600;
		else if (!bytes && c == 'd')
			mul = 86400;
		else
			return -1;
	}
	/* The bound is on the product, so n * mul cannot wrap around. */
	if (parse_uint(v, len, ((uint64_t)1 << 50) / mul, &n) == -1)
		return -1;
	*out = (long)(n * mul);
	return 0;
}

static int
parse_nets(const char *v, struct net *nets, size_t *count)
{
	const char	*p = v, *q;

	*count = 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != ' ' && *q != ',' && *q != '\t';
		    q++)
			;
		if (*count == LIMIT_NETS ||
		    parse_net(p, (size_t)(q - p), &nets[*count]) == -1)
			return -1;
		(*count)++;
		p = q;
	}
	return 0;
}

static int
secret_read_file(const char *path, struct secret *s, char *why,
    size_t whylen)
{
	struct stat	 st;
	char		 tmp[LIMIT_SECRET_LEN + 3];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "cannot open secret_file '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(why, whylen, "cannot stat secret_file '%s': %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	/* A secret others can read is not a secret: refuse it outright. */
	if ((st.st_mode & 077) != 0) {
		snprintf(why, whylen, "secret_file '%s' is readable by group or"
		    " others (mode %o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	n = read(fd, tmp, sizeof(tmp));
	close(fd);
	/*
	 * Editors add a final newline that is not part of the secret; it
	 * does not count against the limit.  A full tmp may go on: too long.
	 */
	while (n > 0 && n < (ssize_t)sizeof(tmp) &&
	    (tmp[n - 1] == '\n' || tmp[n - 1] == '\r'))
		n--;
	if (n < 0 || n > LIMIT_SECRET_LEN) {
		snprintf(why, whylen, "secret_file '%s' %s", path, n < 0 ?
		    "cannot be read" : "is too long");
		hmac_cleanse(tmp, sizeof(tmp));
		return -1;
	}
	if (n == 0 || (s->data = malloc((size_t)n + 1)) == NULL) {
		snprintf(why, whylen, "secret_file '%s' %s", path, n == 0 ?
		    "is empty" : "cannot be kept: out of memory");
		hmac_cleanse(tmp, sizeof(tmp));
		return -1;
	}
	memcpy(s->data, tmp, (size_t)n);
	s->data[n] = '\0';
	s->len = (size_t)n;
	s->owned = 1;
	hmac_cleanse(tmp, sizeof(tmp));
	return 0;
}

static int
choice_ok(const char *choices, const char *v)
{
	const char	*p = choices, *bar;
	size_t		 n = strlen(v);

	for (;;) {
		bar = strchr(p, '|');
		if ((bar != NULL ? (size_t)(bar - p) : strlen(p)) == n &&
		    strncmp(p, v, n) == 0)
			return 1;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

/*
 * A public_key value: 64 hex digits, base64 DER or PEM, and a key
 * OpenSSL reads as Ed25519 or P-256.  A section's own keys replace the
 * inherited ones, as secrets do.
 */
static int
pubkey_add(struct endpoint *ep, const struct entry *e, int *reset,
    char *why, size_t whylen)
{
	struct pubkey	*k;

	if (!*reset) {
		ep->npubkeys = 0;
		*reset = 1;
	}
	if (ep->npubkeys == LIMIT_PUBKEYS) {
		snprintf(why, whylen, "more than %d public keys",
		    LIMIT_PUBKEYS);
		return -1;
	}
	k = &ep->pubkeys[ep->npubkeys];
	memset(k, 0, sizeof(*k));
	k->line = e->line;
	switch (parse_public_key(e->value, strlen(e->value), k->der,
	    sizeof(k->der), &k->len)) {
	case -2:
		/* Do not echo it: it is a secret pasted in the wrong place. */
		snprintf(why, whylen, "'public_key' holds a private key: give"
		    " the public key, and keep the private one secret");
		return -1;
	case -1:
		snprintf(why, whylen, "'public_key' is not 64 hex digits,"
		    " base64 DER or PEM");
		return -1;
	}
	if ((k->kind = hmac_pk_type(k->der, k->len)) == HMAC_PK_NONE) {
		snprintf(why, whylen, "'public_key' is not an Ed25519 or"
		    " P-256 public key");
		return -1;
	}
	ep->npubkeys++;
	return 0;
}

/*
 * A URL as providers sign it.  Credentials in it would be logged with
 * every rejection that names the URL tried, so they are refused.
 */
static int
url_ok(const char *v)
{
	size_t	 n = strlen(v), s, auth;

	if (strncmp(v, "https://", 8) == 0)
		s = 8;
	else if (strncmp(v, "http://", 7) == 0)
		s = 7;
	else
		return 0;
	auth = strcspn(v + s, "/?#");
	return n <= LIMIT_URL && auth > 0 && memchr(v + s, '@', auth) == NULL &&
	    strchr(v, '#') == NULL && strcspn(v, " \t\r\n") == n;
}

/* Applies one entry to ep; on error writes a message into why. */
static int
apply(struct endpoint *ep, const struct entry *e, int *secrets_reset,
    int *keys_reset, char *why, size_t whylen)
{
	const struct key	*k = key_find(e->key);
	char			*base = (char *)ep;
	struct secret		*s;
	long			 n;
	int			 b;

	if (k == NULL) {	/* on.<glob>: checked by the parser */
		if (ep->nroutes == LIMIT_ROUTES || e->key[3] == '\0') {
			snprintf(why, whylen, "too many or empty on.* routes");
			return -1;
		}
		ep->routes[ep->nroutes].glob = e->key + 3;
		ep->routes[ep->nroutes++].command = e->value;
		return 0;
	}
	switch (k->type) {
	case KT_STRING:
		*(const char **)(base + k->offset) = e->value;
		return 0;
	case KT_CHOICE:
		if (!choice_ok(k->choices, e->value)) {
			snprintf(why, whylen, "'%s' must be one of %s",
			    k->name, k->choices);
			return -1;
		}
		*(const char **)(base + k->offset) = e->value;
		return 0;
	case KT_BOOL:
		if (parse_bool(e->value, &b) == -1) {
			snprintf(why, whylen, "'%s' must be yes or no",
			    k->name);
			return -1;
		}
		*(int *)(base + k->offset) = b;
		return 0;
	case KT_DURABILITY:
		if (strcmp(e->value, "full") == 0)
			ep->durability = DURABILITY_FULL;
		else if (strcmp(e->value, "relaxed") == 0)
			ep->durability = DURABILITY_RELAXED;
		else {
			snprintf(why, whylen, "'durability' must be full or"
			    " relaxed");
			return -1;
		}
		return 0;
	case KT_SIZE:
	case KT_SECONDS:
	case KT_NUMBER:
		if ((k->type == KT_NUMBER ?
		    parse_scaled(e->value, 1, &n) == -1 ||
		    strspn(e->value, "0123456789") != strlen(e->value) :
		    parse_scaled(e->value, k->type == KT_SIZE, &n) == -1) ||
		    n < k->min || n > k->max) {
			snprintf(why, whylen, "'%s' must be a number from %ld"
			    " to %ld%s", k->name, k->min, k->max,
			    k->type == KT_SIZE ? " bytes (k, M, G allowed)" :
			    k->type == KT_SECONDS ? " seconds (s, m, h, d"
			    " allowed)" : "");
			return -1;
		}
		*(long *)(base + k->offset) = n;
		return 0;
	case KT_NETS:
		if (parse_nets(e->value, (struct net *)(base + k->offset),
		    k->offset == OFF(allow_from) ? &ep->nallow_from :
		    k->offset == OFF(console_allow_from) ?
		    &ep->nconsole_allow_from : &ep->ntrusted_proxies) == -1) {
			snprintf(why, whylen, "'%s' must list addresses or"
			    " networks (CIDR)", k->name);
			return -1;
		}
		return 0;
	case KT_PUBKEY:
		return pubkey_add(ep, e, keys_reset, why, whylen);
	case KT_URL:
		if (!url_ok(e->value)) {
			snprintf(why, whylen, "'%s' must be an http:// or"
			    " https:// URL with a host, without user:password@"
			    " or #fragment, at most %d bytes", k->name,
			    LIMIT_URL);
			return -1;
		}
		*(const char **)(base + k->offset) = e->value;
		return 0;
	case KT_SECRET:
	case KT_SECRET_FILE:
		/* A section's own secrets replace the inherited ones. */
		if (!*secrets_reset) {
			config_endpoint_release(ep);
			*secrets_reset = 1;
		}
		if (ep->nsecrets == LIMIT_SECRETS) {
			snprintf(why, whylen, "more than %d secrets",
			    LIMIT_SECRETS);
			return -1;
		}
		s = &ep->secrets[ep->nsecrets];
		memset(s, 0, sizeof(*s));
		s->line = e->line;
		if (k->type == KT_SECRET) {
			s->data = e->value;
			s->len = strlen(e->value);
			if (s->len == 0 || s->len > LIMIT_SECRET_LEN) {
				snprintf(why, whylen, "'secret' is empty or"
				    " too long");
				return -1;
			}
		} else if (secret_read_file(e->value, s, why, whylen) == -1)
			return -1;
		ep->nsecrets++;
		return 0;
	}
	return -1;
}

static int
apply_section(const struct config *cfg, const char *section,
    struct endpoint *ep, struct buf *errors)
{
	const struct entry	*e;
	char			 why[256];
	size_t			 i;
	int			 reset = 0, keys_reset = 0, rc = 0;

	for (i = 0; i < cfg->nentries; i++) {
		e = &cfg->entries[i];
		if (strcmp(e->section, section) != 0)
			continue;
		if (apply(ep, e, &reset, &keys_reset, why, sizeof(why)) ==
		    -1) {
			add_error(errors, cfg->path, e->line, "%s", why);
			rc = -1;
		}
	}
	return rc;
}

/* Keys that only make sense together: store = nats needs nats_url. */
static int
check_store(const struct config *cfg, const struct endpoint *ep,
    struct buf *errors)
{
	int	 rc = 0;

	if (strcmp(ep->store, "nats") != 0)
		return 0;
	if (ep->nats_url == NULL || ep->nats_url[0] == '\0') {
		add_error(errors, cfg->path, 0, "%s", "store = nats needs"
		    " nats_url");
		rc = -1;
	}
	/* user:password@host would end up in logs and error messages. */
	if (ep->nats_url != NULL && strchr(ep->nats_url, '@') != NULL) {
		add_error(errors, cfg->path, 0, "%s", "nats_url must not carry"
		    " credentials: use nats_user and nats_password_file, or"
		    " nats_creds");
		rc = -1;
	}
	if ((ep->nats_user != NULL) != (ep->nats_password_file != NULL)) {
		add_error(errors, cfg->path, 0, "%s", "nats_user and"
		    " nats_password_file go together");
		rc = -1;
	}
	if ((ep->nats_tls_cert != NULL) != (ep->nats_tls_key != NULL)) {
		add_error(errors, cfg->path, 0, "%s", "nats_tls_cert and"
		    " nats_tls_key go together");
		rc = -1;
	}
	return rc;
}

int
config_endpoint(const struct config *cfg, const char *name,
    struct endpoint *ep, struct buf *errors)
{
	size_t	 i;
	int	 rc;

	endpoint_defaults(ep, name);
	if (parse_endpoint_name(name) == -1) {
		add_error(errors, cfg->path, 0, "bad endpoint name '%s'", name);
		return -1;
	}
	for (i = 0; i < cfg->nsections; i++)
		if (strcmp(cfg->sections[i], name) == 0)
			ep->has_section = 1;
	rc = apply_section(cfg, "global", ep, errors);
	/* Routes are per endpoint: global ones are the default set. */
	if (ep->has_section) {
		for (i = 0; i < cfg->nentries; i++)
			if (strcmp(cfg->entries[i].section, name) == 0 &&
			    strncmp(cfg->entries[i].key, "on.", 3) == 0) {
				ep->nroutes = 0;
				break;
			}
		if (apply_section(cfg, name, ep, errors) == -1)
			rc = -1;
	}
	if (rc == 0 && check_store(cfg, ep, errors) == -1)
		rc = -1;
	if (rc == -1)
		config_endpoint_release(ep);
	return rc;
}

void
config_endpoint_release(struct endpoint *ep)
{
	size_t	 i;

	for (i = 0; i < ep->nsecrets; i++) {
		if (ep->secrets[i].owned) {
			hmac_cleanse(ep->secrets[i].data, ep->secrets[i].len);
			free(ep->secrets[i].data);
		}
		memset(&ep->secrets[i], 0, sizeof(ep->secrets[i]));
	}
	ep->nsecrets = 0;
}

const char *
config_route(const struct endpoint *ep, const char *event)
{
	size_t	 i;

	for (i = 0; i < ep->nroutes; i++)
		if (fnmatch(ep->routes[i].glob, event, 0) == 0)
			return ep->routes[i].command;
	return ep->command;
}
