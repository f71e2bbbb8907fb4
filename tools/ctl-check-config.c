/*
 * webhookctl check-config [FILE]: lints the configuration the way the
 * handlers will read it, and then some, like apachectl configtest.
 * Syntax, unknown keys and values out of range come from config.c (the
 * same validation the handlers run); on top of that: endpoints without
 * a provider, a secret or a usable scheme, secret files that are
 * missing or readable by others, inline secrets in a file others can
 * read, folders that cannot be written, and worker settings that
 * contradict each other.  Problems print as "FILE:LINE: message" (or
 * "FILE: [endpoint] message"), good endpoints as "ok" lines.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "hmac.h"
#include "store.h"
#include "verify.h"
#include "ctl.h"

static const char help[] =
    "Checks the configuration (FILE, else -c, $WEBHOOK_CONFIG or the\n"
    "default): syntax, unknown keys and values out of range with their\n"
    "line, endpoints without a provider, secret or scheme, secret files\n"
    "missing or readable by others, inline secrets in a file others can\n"
    "read, log_dir and state_dir that cannot be written, and with\n"
    "store = nats a cluster that does not answer or a stream configured\n"
    "otherwise.  Folders are\n"
    "checked for the user running it: run it as the web server's user.\n"
    "Exit status 1 when there is a problem.\n";

/* Problems found, kept to print each only once. */
struct lint {
	const char	*path;
	char		*seen[256];
	size_t		 nseen;
	int		 problems;
	int		 warnings;
};

static void report(struct lint *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* Prints "kind message" once; kind "FAIL" counts as a problem. */
static void
report(struct lint *l, const char *kind, const char *fmt, ...)
{
	va_list	 ap;
	char	 line[2048];
	size_t	 i;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (i = 0; i < l->nseen; i++)
		if (strcmp(l->seen[i], line) == 0)
			return;
	if (l->nseen < sizeof(l->seen) / sizeof(l->seen[0]))
		l->seen[l->nseen++] = strdup(line);
	if (strcmp(kind, "FAIL") == 0)
		l->problems++;
	else if (strcmp(kind, "warn") == 0)
		l->warnings++;
	printf("%-4s %s\n", kind, line);
}

/* Reports config.c's "path:line: message" lines, one by one. */
static void
report_errors(struct lint *l, const struct buf *errors)
{
	const char	*p = errors->data, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		report(l, "FAIL", "%.*s", (int)(nl != NULL ? nl - p :
		    (long)strlen(p)), p);
		p = nl != NULL ? nl + 1 : NULL;
	}
}

/* A folder the handlers write in: there and writable, or creatable. */
static void
check_dir(struct lint *l, const char *key, const char *dir, int create)
{
	struct stat	 st;
	char		 parent[PATH_MAX], *slash;
	int		 saved;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			report(l, "FAIL", "%s: %s '%s' is not a folder",
			    l->path, key, dir);
		else if (access(dir, W_OK | X_OK) == -1)
			report(l, "FAIL", "%s: %s '%s' cannot be written: %s",
			    l->path, key, dir, strerror(errno));
		return;
	}
	saved = errno;
	snprintf(parent, sizeof(parent), "%s", dir);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent)
		*slash = '\0';
	/* The delivery log makes its folder; the ledger does not. */
	if (create && saved == ENOENT && access(parent, W_OK | X_OK) == 0)
		report(l, "warn", "%s: %s '%s' does not exist yet (the first"
		    " request creates it)", l->path, key, dir);
	else
		report(l, "FAIL", "%s: %s '%s' %s", l->path, key, dir,
		    saved == ENOENT ? "does not exist" : strerror(saved));
}

/* Secrets: there is one, and none sits in a file others can read. */
static void
check_secrets(struct lint *l, const struct endpoint *ep, int pk)
{
	struct stat	 st;
	size_t		 i;

	if (pk && ep->npubkeys == 0 && !ep->allow_unsigned)
		report(l, "FAIL", "%s: [%s] has no public_key: every request"
		    " would be refused", l->path, ep->name);
	else if (!pk && ep->nsecrets == 0 && !ep->allow_unsigned)
		report(l, "FAIL", "%s: [%s] has no secret (secret_file or"
		    " secret): every request would be refused", l->path,
		    ep->name);
	if (ep->allow_unsigned)
		report(l, "warn", "%s: [%s] insecure_allow_unsigned = yes:"
		    " anyone can post to it", l->path, ep->name);
	if (stat(l->path, &st) == -1 || (st.st_mode & 004) == 0)
		return;
	for (i = 0; i < ep->nsecrets; i++)
		if (!ep->secrets[i].owned)
			report(l, "FAIL", "%s:%d: an inline secret in a file"
			    " everyone can read (mode %o): use secret_file"
			    " with mode 600", l->path, ep->secrets[i].line,
			    (unsigned)(st.st_mode & 0777));
}

/*
 * A Standard Webhooks secret must be "whsec_" + base64: one that is not
 * would answer every delivery 503.  Says which, never what it holds.
 */
static void
check_secret_form(struct lint *l, const struct endpoint *ep,
    const struct scheme *sc)
{
	unsigned char	 key[LIMIT_SECRET_LEN];
	size_t		 i, keylen;

	for (i = 0; i < ep->nsecrets; i++) {
		if (verify_secret_key(sc->secret_form, ep->secrets[i].data,
		    ep->secrets[i].len, key, &keylen) == -1)
			report(l, "FAIL", "%s: [%s] secret #%zu is not"
			    " whsec_ + base64, as the provider's secrets"
			    " are: copy it whole from the sender", l->path,
			    ep->name, i + 1);
		else
			hmac_cleanse(key, keylen);
	}
}

/* Does the scheme sign the URL (Twilio, Square, Trello, HubSpot)? */
static int
signs_url(const struct scheme *sc)
{
	size_t	 i;

	for (i = 0; i < SCHEME_MAX_PARTS && sc->payload[i].kind != PART_END;
	    i++)
		if (sc->payload[i].kind == PART_URL)
			return 1;
	return 0;
}

/* Settings that are each in range but contradict each other. */
static void
check_values(struct lint *l, const struct endpoint *ep,
    const struct provider *p, const struct scheme *sc)
{
	char	 prog[PATH_MAX];

	if (ep->retry_base > ep->retry_max)
		report(l, "FAIL", "%s: [%s] retry_base (%ld s) is above"
		    " retry_max (%ld s)", l->path, ep->name, ep->retry_base,
		    ep->retry_max);
	if (ep->tolerance == 0 && p->tolerance > 0 &&
	    (sc->ts_header != NULL || sc->ts_key != NULL))
		report(l, "warn", "%s: [%s] tolerance = 0: old signed"
		    " requests are accepted (replays are only stopped by"
		    " deduplication)", l->path, ep->name);
	if (signs_url(sc) && ep->public_url == NULL)
		report(l, "warn", "%s: [%s] no public_url: the URL %s signs"
		    " is rebuilt from each request (scheme, Host, URI); behind"
		    " a proxy that rewrites them, set public_url to the URL"
		    " configured at %s", l->path, ep->name, p->name, p->name);
	/* The worker runs it through sh -c: check an absolute program. */
	if (ep->command != NULL && ep->command[0] == '/') {
		snprintf(prog, sizeof(prog), "%.*s",
		    (int)strcspn(ep->command, " \t"), ep->command);
		if (access(prog, X_OK) == -1)
			report(l, "FAIL", "%s: [%s] command '%s' cannot be"
			    " run: %s", l->path, ep->name, prog,
			    strerror(errno));
	}
}

static void
check_endpoint(struct lint *l, const struct config *cfg, const char *name)
{
	const struct provider	*p;
	struct endpoint		 ep;
	struct scheme		 sc;
	struct buf		 errors;
	char			 err[256], fp[16];
	size_t			 i;
	int			 before = l->problems, resolved;

	/* On errors the rest (folders, provider) is still worth a look. */
	buf_init(&errors, 64 * 1024);
	if ((resolved = config_endpoint(cfg, name, &ep, &errors) == 0) == 0)
		report_errors(l, &errors);
	buf_release(&errors);
	p = ctl_provider(ep.provider != NULL ? ep.provider : name);
	if (p == NULL) {
		report(l, "FAIL", "%s: [%s] %s '%s' (one of %s)", l->path,
		    name, ep.provider != NULL ? "unknown provider" :
		    "names no provider: set provider =", ep.provider != NULL ?
		    ep.provider : name, ctl_provider_names());
		config_endpoint_release(&ep);
		return;
	}
	if (verify_scheme(p, &ep, &sc, err, sizeof(err)) == -1)
		report(l, "FAIL", "%s: [%s] %s", l->path, name, err);
	else if ((sc.format == SIG_NONE || sc.header == NULL) &&
	    !ep.allow_unsigned)
		report(l, "FAIL", "%s: [%s] has no signature scheme: set"
		    " signature_header (or token_header)", l->path, name);
	if (resolved)
		check_secrets(l, &ep, p->scheme.pk != HMAC_PK_NONE);
	if (resolved)
		check_secret_form(l, &ep, &sc);
	check_values(l, &ep, p, &sc);
	check_dir(l, "log_dir", ep.log_dir, 1);
	check_dir(l, "state_dir", ep.state_dir, 0);
	if (l->problems == before && p->scheme.pk != HMAC_PK_NONE) {
		printf("ok   [%s] provider %s, %zu public key%s", name,
		    p->name, ep.npubkeys, ep.npubkeys == 1 ? "" : "s");
		for (i = 0; i < ep.npubkeys; i++) {
			hmac_fingerprint(ep.pubkeys[i].der, ep.pubkeys[i].len,
			    fp);
			printf("%s%s", i == 0 ? " (" : ", ", fp);
		}
		printf("%s\n", ep.npubkeys > 0 ? ")" : "");
	} else if (l->problems == before) {
		printf("ok   [%s] provider %s, %zu secret%s", name, p->name,
		    ep.nsecrets, ep.nsecrets == 1 ? "" : "s");
		for (i = 0; i < ep.nsecrets; i++) {
			hmac_fingerprint(ep.secrets[i].data,
			    ep.secrets[i].len, fp);
			printf("%s%s", i == 0 ? " (" : ", ", fp);
		}
		printf("%s\n", ep.nsecrets > 0 ? ")" : "");
	}
	config_endpoint_release(&ep);
}

/*
 * store = nats: the cluster answers, and its stream is as configured (a
 * missing one is only a note: the first delivery makes it).
 */
static void
check_store(struct lint *l, const struct config *cfg)
{
	struct endpoint	 ep;
	struct buf	 errors;
	char		 err[512];

	buf_init(&errors, 4096);
	if (config_endpoint(cfg, config_nendpoints(cfg) > 0 ?
	    config_endpoint_name(cfg, 0) : "global-check", &ep, &errors) ==
	    -1) {
		buf_release(&errors);
		return;
	}
	buf_release(&errors);
	/* The default store (sqlite) was checked with the folders. */
	if (!store_is_nats(&ep)) {
		config_endpoint_release(&ep);
		return;
	}
	switch (store_check(&ep, err, sizeof(err))) {
	case 0:
		printf("ok   store nats: stream '%s' as configured\n",
		    ep.nats_stream);
		break;
	case 2:
		printf("note store nats: %s\n", err);
		break;
	case 1:
		report(l, "FAIL", "%s: %s", l->path, err);
		break;
	default:
		report(l, "FAIL", "%s: store nats: %s", l->path, err);
		break;
	}
	config_endpoint_release(&ep);
}

static int
check_run(const char *path)
{
	struct lint	 l;
	struct config	*cfg;
	struct buf	 errors;
	size_t		 i, n;

	memset(&l, 0, sizeof(l));
	l.path = path;
	if (access(path, R_OK) == -1) {
		printf("FAIL %s: cannot read: %s\n", path, strerror(errno));
		return CTL_FAIL;
	}
	buf_init(&errors, 64 * 1024);
	if ((cfg = config_load(path, &errors)) == NULL)
		report_errors(&l, &errors);
	buf_release(&errors);
	if (cfg != NULL) {
		if ((n = config_nendpoints(cfg)) == 0)
			report(&l, "warn", "%s: no [endpoint] section: only"
			    " endpoints named after a provider work", path);
		for (i = 0; i < n; i++)
			check_endpoint(&l, cfg, config_endpoint_name(cfg, i));
		check_store(&l, cfg);
		config_free(cfg);
	}
	if (geteuid() == 0)
		printf("note folders were checked as root; the web server's"
		    " user may not write them\n");
	if (l.problems > 0)
		printf("FAIL %s: %d problem%s, %d warning%s\n", path,
		    l.problems, l.problems == 1 ? "" : "s", l.warnings,
		    l.warnings == 1 ? "" : "s");
	else
		printf("ok   %s: no problems, %d warning%s\n", path,
		    l.warnings, l.warnings == 1 ? "" : "s");
	for (i = 0; i < l.nseen; i++)
		free(l.seen[i]);
	return l.problems > 0 ? CTL_NO : CTL_OK;
}

int
ctl_check_config(struct ctl *ctl, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int				 c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ctl_help(ctl, help);
		default:
			return ctl_usage(ctl);
		}
	}
	if (argc - optind > 1)
		return ctl_usage(ctl);
	return check_run(argc > optind ? argv[optind] : ctl->config_path);
}
