/*
 * webhookctl: the control tool.  tools/webhookctl.c holds main(), the
 * verb table, the global options and the helpers every verb shares
 * (configuration, providers, log records, small parsers); each verb is
 * one tools/ctl-<verb>.c.
 *
 * Adding a verb, the checklist:
 *  1. tools/ctl-<verb>.c with ctl_<verb>(), its --help text, and --json
 *     when it prints data.
 *  2. Its declaration below and a row in verbs[] (tools/webhookctl.c).
 *  3. man/webhookctl.1: the synopsis line and a paragraph.
 *  4. tests/integration/t3*.sh: what it does against a real server.
 */
#ifndef CTL_H
#define CTL_H

#include <limits.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "provider.h"
#include "request.h"

struct json_doc;
struct ledger;
struct store;

/* Exit statuses, the same in every program (STYLE.md rule 9). */
#define CTL_OK		0	/* done, or the answer is yes */
#define CTL_NO		1	/* a negative answer: mismatch, problems */
#define CTL_USAGE	100	/* wrong usage */
#define CTL_FAIL	111	/* a system or temporary failure */

/* What main() knows, passed to every verb. */
struct ctl {
	const char	*config_path;	/* -c, WEBHOOK_CONFIG or the default */
	struct config	*cfg;		/* loaded by ctl_config(), or NULL */
	int		 color;		/* stdout is a terminal, no NO_COLOR */
	const char	*verb;		/* the verb running */
};

/* The verbs: argv[0] is "webhookctl VERB"; each returns the status. */
int	ctl_sign(struct ctl *, int, char **);
int	ctl_send(struct ctl *, int, char **);
int	ctl_tail(struct ctl *, int, char **);
int	ctl_show(struct ctl *, int, char **);
int	ctl_explain(struct ctl *, int, char **);
int	ctl_replay(struct ctl *, int, char **);
int	ctl_queue(struct ctl *, int, char **);
int	ctl_check_config(struct ctl *, int, char **);

/* --- options and arguments (webhookctl.c) ------------------------- */

/* Prints the verb's synopsis to stderr; returns CTL_USAGE. */
int	ctl_usage(const struct ctl *);
/* Prints the synopsis and help to stdout; returns CTL_OK. */
int	ctl_help(const struct ctl *, const char *help);
/* Makes getopt_long(3) start over on the verb's arguments. */
void	ctl_getopt_reset(void);

/* "90", "90s", "10m", "2h", "7d" into seconds; 0, or -1 when bad. */
int	ctl_duration(const char *, long long *secs);
/*
 * A point in time: RFC 3339 UTC ("2024-05-01T12:00:00Z"), Unix seconds
 * (digits only), or a duration with its unit meaning that long ago
 * ("10m").  Sets Unix milliseconds; 0, or -1 when unreadable.
 */
int	ctl_time_arg(const char *, long long *ms);
/* Unix milliseconds now. */
long long ctl_now_ms(void);

/*
 * Reads a whole file, "-" being standard input, into out (at most
 * out->max bytes).  Returns 0, or -1 after printing why.
 */
int	ctl_read_file(const char *path, struct buf *out);

/*
 * Reads a secret file as config.c does: trailing newlines dropped.
 * Returns 0, or -1 after printing why.  Release with ctl_wipe().
 */
int	ctl_read_secret(const char *path, struct buf *out);
/* Wipes and frees a buffer that held a secret. */
void	ctl_wipe(struct buf *);

/* Writes bytes for a person: escapes, at most max bytes, then "...". */
void	ctl_print_bytes(const char *, size_t, size_t max);

/* An ANSI colour for a verdict word when stdout is a terminal. */
const char *ctl_paint(const struct ctl *, const char *verdict);
const char *ctl_unpaint(const struct ctl *);

/* --- configuration and providers (webhookctl.c) ------------------- */

/* The configuration, loaded on first use; NULL after printing why. */
struct config	*ctl_config(struct ctl *);

/*
 * Resolves an endpoint (config_endpoint()); release with
 * config_endpoint_release().  With need_secrets, any problem is printed
 * and -1 returned.  Without, problems are ignored: tail and show only
 * need the folders, and may run as a user who cannot read the secrets.
 */
int	ctl_endpoint(struct ctl *, const char *name, int need_secrets,
	    struct endpoint *);

/* The provider of that name, or NULL. */
const struct provider	*ctl_provider(const char *name);
/* Every provider's name, for messages ("github, stripe, ..."). */
const char		*ctl_provider_names(void);
/*
 * The endpoint's provider: its provider key, else its name when that
 * is a provider's.  NULL when neither (printed).
 */
const struct provider	*ctl_endpoint_provider(const struct endpoint *);

/*
 * Opens the ledger in the endpoint's state_dir when the database
 * exists (webhookctl never creates one).  Returns 1 with *l set (close
 * with ledger_close()), 0 when there is none, -1 after printing why.
 */
int	ctl_ledger(const struct endpoint *, struct ledger **l);

/*
 * Calls fn once per ledger of the endpoint named, or of every endpoint
 * (endpoints sharing a state_dir share one), with the ledger open.
 * Sets *opened to how many exist.  Returns 0, fn's first non-zero
 * value, or -1 after printing why.
 */
int	ctl_ledgers(struct ctl *, const char *endpoint,
	    int (*fn)(void *, struct store *), void *arg, int *opened);

/* --- ledger rows (ctl-queue.c), shared by show --------------------- */

struct ledger_row;

/* Prints a row for people, a field a line, each line after indent. */
void	ctl_row_print(const struct ctl *, const struct ledger_row *,
	    const char *indent);
/* Appends the row as a JSON object (no body); 0 or -1. */
int	ctl_row_json(const struct ledger_row *, struct buf *out);

/* --- delivery log records (webhookctl.c) -------------------------- */

/* One record of <log_dir>/<endpoint>.log (see dlog_format()). */
struct ctl_record {
	struct json_doc	*doc;		/* the parsed line */
	struct buf	 line;		/* the line as written, no '\n' */
	long long	 time_ms;	/* "time" as Unix ms */
	int		 status;	/* HTTP status sent */
	struct buf	 time;		/* the text fields; "" when absent */
	struct buf	 endpoint;
	struct buf	 provider;
	struct buf	 verdict;
	struct buf	 reason;
	struct buf	 id;
	struct buf	 event;
	struct buf	 method;
	struct buf	 uri;
	struct buf	 remote_addr;
	struct buf	 body_sha256;
	int		 has_body;	/* body or body_base64 was logged */
	struct buf	 body;		/* the exact bytes (with_body only) */
	char		 file[PATH_MAX];	/* where it was read */
	long		 lineno;
};

void	ctl_record_init(struct ctl_record *);
void	ctl_record_release(struct ctl_record *);
/*
 * Parses one line into rec (emptied first).  with_body decodes the body
 * too.  Returns 0, or -1 when the line is not a record.
 */
int	ctl_record_parse(struct ctl_record *, const char *, size_t,
	    int with_body);
/* Appends the value of a logged header to out; 1 found, 0 absent. */
int	ctl_record_header(const struct ctl_record *, const char *name,
	    struct buf *out);
/* Calls fn for each logged header, in order; as json_members(). */
int	ctl_record_headers(const struct ctl_record *,
	    int (*fn)(void *, const char *, const char *, size_t), void *);
/*
 * Is the record about delivery id: its "id", a header value, the body
 * digest, or the provider's id field in the body?  Rejected deliveries
 * are logged before their id is read, so the id alone is not enough.
 */
int	ctl_record_is(const struct ctl_record *, const char *id);

/*
 * Appends the record's delivery id: its "id", else (for a delivery
 * refused before its id was read) where the provider sends it, a header
 * or the body (when decoded).  Returns 1, or 0 when there is none.
 */
int	ctl_record_delivery_id(const struct ctl_record *, struct buf *out);

/* A request rebuilt from a record, for verify_request(). */
struct ctl_request {
	struct request	 req;
	char		*values[LIMIT_HEADERS];	/* owned header values */
	size_t		 names_used;		/* bytes of req.names */
};

/* Fills r from rec (which must outlive it); 0, or -1 out of memory. */
int	ctl_record_request(const struct ctl_record *, struct ctl_request *);
void	ctl_request_release(struct ctl_request *);

/* Flags of ctl_log_each(). */
#define CTL_LOG_BODY	0x1	/* decode bodies */

/*
 * Calls fn for every record of the endpoint's log files, oldest first
 * (<name>.log.<log_keep> ... .1, then <name>.log).  Lines that do not
 * contain needle (when not NULL) are skipped unread; lines that are not
 * records are skipped with a warning.  fn's record is reused for the
 * next line.  Returns 0, or the first non-zero value fn returned.
 */
int	ctl_log_each(const struct endpoint *, int flags, const char *needle,
	    int (*fn)(void *, struct ctl_record *), void *arg);

/*
 * The endpoints a verb looks at: the one named, else every endpoint of
 * the configuration.  Fills names (borrowed) and returns how many, or
 * -1 after printing why.
 */
int	ctl_endpoint_names(struct ctl *, const char *name,
	    const char **names, size_t max);

/*
 * Finds the latest record about delivery id (see ctl_record_is()) in
 * the logs of the endpoint named, or of every endpoint.  rec was set up
 * with ctl_record_init().  Returns 1 with rec filled (body decoded), 0
 * when there is none, -1 after printing why.
 */
int	ctl_find_record(struct ctl *, const char *endpoint, const char *id,
	    struct ctl_record *rec);

/* --- signing (ctl-sign.c), shared by send and replay -------------- */

/* Everything that signs for one endpoint or provider. */
struct ctl_signer {
	const struct provider	*p;
	const struct endpoint	*ep;	/* NULL: the provider's defaults */
	struct scheme		 sc;	/* verify_scheme() of the two */
	const char		*secret;
	size_t			 secretlen;
	/*
	 * Signed-URL schemes (twilio, square, trello, hubspot): the URL the
	 * provider posts to; ctl_signer_init takes the endpoint's
	 * public_url, a caller may set another (--url, send's URL).
	 */
	const char		*url;
};

/*
 * Sets up s for provider p, endpoint ep (may be NULL) and a secret
 * (borrowed).  Returns 0, or -1 after printing why (no scheme).
 */
int	ctl_signer_init(struct ctl_signer *, const struct provider *,
	    const struct endpoint *, const char *secret, size_t secretlen);

/* The header that carries the delivery id or the event, or NULL. */
const char *ctl_id_header(const struct ctl_signer *);
const char *ctl_event_header(const struct ctl_signer *);

/* Formats time t the way the scheme sends timestamps; "" if none. */
void	ctl_sign_timestamp(const struct scheme *, time_t t, char *out,
	    size_t);

/* A fresh delivery id in the provider's style; 0 or -1. */
int	ctl_new_id(const struct provider *, char *out, size_t);

/*
 * Appends the header lines the provider sends with body ("Name: value\n"
 * each): Content-Type when given, the signature (with its timestamp
 * header), and the id and event headers when the provider sends them
 * as headers.  ts is the timestamp text (NULL: none); id and event may
 * be NULL.  Returns 0, or -1 when out is full or signing failed.
 */
int	ctl_sign_headers(const struct ctl_signer *, const char *body,
	    size_t len, const char *content_type, const char *ts,
	    const char *id, const char *event, struct buf *out);

/* Where a sample puts a signature that lives in the body (Mailgun). */
#define CTL_SIG_PLACEHOLDER	"{{SIG}}"

/*
 * For schemes whose signature is a body field (SIG_BODY): computes it
 * from the fields already in the body into sig, and puts it in place of
 * CTL_SIG_PLACEHOLDER when the body has one.  Returns 0, or -1 when a
 * signed field is missing.
 */
int	ctl_sign_body(const struct ctl_signer *, struct buf *body,
	    const char *content_type, struct buf *sig);

#endif /* CTL_H */
