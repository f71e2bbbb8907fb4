/*
 * jetstream: deliveries in a NATS JetStream stream (see jetstream.h).
 * The facts this relies on were measured with nats-server 2.9.10 and
 * nats.c 3.4.1 (/work/shared/JETSTREAM.md):
 *
 *  - while a stream leader is elected, a publish fails at once with
 *    NATS_NO_RESPONDERS (reported as jerr 10076), not with a timeout;
 *    gaps last up to ~8 s, so we retry within a budget, then give up;
 *  - per-subject limits refuse a second message on a delivery's subject
 *    with jerr 10077, and "expect no message" with jerr 10071: both
 *    mean duplicate, and both hold across leader changes, unlike the
 *    Nats-Msg-Id window;
 *  - a stream is never deleted and made again under the same name with
 *    another configuration (that leaves restarted nodes out of step),
 *    so a mismatch is reported, not "fixed".
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#include "buf.h"
#include "hmac.h"
#include "jetstream.h"
#include "ledger.h"
#include "log.h"

/*
 * libnats (with libssl and libprotobuf-c) is loaded only when a store =
 * nats needs it, by jetstream_load(): a handler on the SQLite ledger
 * never maps it.  Linked, it cost every CGI request 1.25 M of the
 * dynamic linker's 5.8 M instructions, and with STATIC_LIBS=1 it was
 * what still pulled libcrypto.so in (4 M).  Every function of nats.c
 * called in this file is in NATS_FUNCS and in the #defines below that
 * route the calls through nats_lib; one missing from both fails the
 * handlers' link (they are linked without -lnats).
 */
#ifndef NATS_SONAME
#define NATS_SONAME	"libnats.so.3.4"
#endif

#define NATS_FUNCS \
	X(jsConsumerInfo_Destroy) \
	X(jsCtx_Destroy) \
	X(jsMsgMetaData_Destroy) \
	X(jsOptions_Init) \
	X(jsPubAck_Destroy) \
	X(jsPubOptions_Init) \
	X(jsStreamConfig_Init) \
	X(jsStreamInfo_Destroy) \
	X(jsSubOptions_Init) \
	X(js_AddStream) \
	X(js_GetConsumerInfo) \
	X(js_GetMsg) \
	X(js_GetStreamInfo) \
	X(js_PublishMsg) \
	X(js_PullSubscribe) \
	X(js_PurgeStream) \
	X(natsConnection_Close) \
	X(natsConnection_Connect) \
	X(natsConnection_Destroy) \
	X(natsConnection_GetConnectedUrl) \
	X(natsConnection_IsClosed) \
	X(js_GetLastMsg) \
	X(natsConnection_Status) \
	X(natsConnection_GetLastError) \
	X(natsConnection_JetStream) \
	X(natsMsgHeader_Get) \
	X(natsMsgHeader_Keys) \
	X(natsMsgHeader_Set) \
	X(natsMsgList_Destroy) \
	X(natsMsg_AckSync) \
	X(natsMsg_Create) \
	X(natsMsg_Destroy) \
	X(natsMsg_GetData) \
	X(natsMsg_GetDataLength) \
	X(natsMsg_GetMetaData) \
	X(natsMsg_GetSequence) \
	X(natsMsg_GetSubject) \
	X(natsMsg_Nak) \
	X(natsMsg_NakWithDelay) \
	X(natsMsg_Term) \
	X(natsOptions_Create) \
	X(natsOptions_Destroy) \
	X(natsOptions_LoadCATrustedCertificates) \
	X(natsOptions_LoadCertificatesChain) \
	X(natsOptions_SetClosedCB) \
	X(natsOptions_SetDisconnectedCB) \
	X(natsOptions_SetFailRequestsOnDisconnect) \
	X(natsOptions_SetMaxPingsOut) \
	X(natsOptions_SetMaxReconnect) \
	X(natsOptions_SetName) \
	X(natsOptions_SetPingInterval) \
	X(natsOptions_SetReconnectWait) \
	X(natsOptions_SetReconnectedCB) \
	X(natsOptions_SetRetryOnFailedConnect) \
	X(natsOptions_SetSecure) \
	X(natsOptions_SetServers) \
	X(natsOptions_SetTimeout) \
	X(natsOptions_SetUserCredentialsFromFiles) \
	X(natsOptions_SetUserInfo) \
	X(natsStatus_GetText) \
	X(natsSubscription_Destroy) \
	X(natsSubscription_Fetch) \
	X(nats_GetLastError)

static struct {
#define X(f)	__typeof__(f) *f;
	NATS_FUNCS
#undef X
} nats_lib;
static int	 nats_loaded;

/*
 * Defined by the linker in every program with a dynamic section, so
 * absent (the weak reference is NULL) only in one linked with -static:
 * a handler built with STATIC_LIBS=1.  There libnats cannot be loaded:
 * it would bring a second libc and a second OpenSSL into the process.
 */
extern const char	 _DYNAMIC[] __attribute__((weak));

int
jetstream_load(char *err, size_t errlen)
{
	void	*h;

	if (nats_loaded)
		return 0;
	if (_DYNAMIC == NULL) {
		snprintf(err, errlen, "cannot load the NATS client library:"
		    " this program is linked statically (STATIC_LIBS=1);"
		    " store = nats needs one built with shared libraries");
		return -1;
	}
	if ((h = dlopen(NATS_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "cannot load the NATS client library: %s",
		    dlerror());
		return -1;
	}
#define X(f)	if ((*(void **)&nats_lib.f = dlsym(h, #f)) == NULL) { \
		snprintf(err, errlen, "%s: no %s", NATS_SONAME, #f); \
		return -1; \
	}
	NATS_FUNCS
#undef X
	nats_loaded = 1;
	return 0;
}

#define jsConsumerInfo_Destroy	(nats_lib.jsConsumerInfo_Destroy)
#define jsCtx_Destroy	(nats_lib.jsCtx_Destroy)
#define jsMsgMetaData_Destroy	(nats_lib.jsMsgMetaData_Destroy)
#define jsOptions_Init	(nats_lib.jsOptions_Init)
#define jsPubAck_Destroy	(nats_lib.jsPubAck_Destroy)
#define jsPubOptions_Init	(nats_lib.jsPubOptions_Init)
#define jsStreamConfig_Init	(nats_lib.jsStreamConfig_Init)
#define jsStreamInfo_Destroy	(nats_lib.jsStreamInfo_Destroy)
#define jsSubOptions_Init	(nats_lib.jsSubOptions_Init)
#define js_AddStream	(nats_lib.js_AddStream)
#define js_GetConsumerInfo	(nats_lib.js_GetConsumerInfo)
#define js_GetMsg	(nats_lib.js_GetMsg)
#define js_GetStreamInfo	(nats_lib.js_GetStreamInfo)
#define js_PublishMsg	(nats_lib.js_PublishMsg)
#define js_PullSubscribe	(nats_lib.js_PullSubscribe)
#define js_PurgeStream	(nats_lib.js_PurgeStream)
#define natsConnection_Close	(nats_lib.natsConnection_Close)
#define natsConnection_Connect	(nats_lib.natsConnection_Connect)
#define natsConnection_Destroy	(nats_lib.natsConnection_Destroy)
#define natsConnection_GetConnectedUrl	(nats_lib.natsConnection_GetConnectedUrl)
#define natsConnection_IsClosed	(nats_lib.natsConnection_IsClosed)
#define js_GetLastMsg	(nats_lib.js_GetLastMsg)
#define natsConnection_Status	(nats_lib.natsConnection_Status)
#define natsConnection_GetLastError	(nats_lib.natsConnection_GetLastError)
#define natsConnection_JetStream	(nats_lib.natsConnection_JetStream)
#define natsMsgHeader_Get	(nats_lib.natsMsgHeader_Get)
#define natsMsgHeader_Keys	(nats_lib.natsMsgHeader_Keys)
#define natsMsgHeader_Set	(nats_lib.natsMsgHeader_Set)
#define natsMsgList_Destroy	(nats_lib.natsMsgList_Destroy)
#define natsMsg_AckSync	(nats_lib.natsMsg_AckSync)
#define natsMsg_Create	(nats_lib.natsMsg_Create)
#define natsMsg_Destroy	(nats_lib.natsMsg_Destroy)
#define natsMsg_GetData	(nats_lib.natsMsg_GetData)
#define natsMsg_GetDataLength	(nats_lib.natsMsg_GetDataLength)
#define natsMsg_GetMetaData	(nats_lib.natsMsg_GetMetaData)
#define natsMsg_GetSequence	(nats_lib.natsMsg_GetSequence)
#define natsMsg_GetSubject	(nats_lib.natsMsg_GetSubject)
#define natsMsg_Nak	(nats_lib.natsMsg_Nak)
#define natsMsg_NakWithDelay	(nats_lib.natsMsg_NakWithDelay)
#define natsMsg_Term	(nats_lib.natsMsg_Term)
#define natsOptions_Create	(nats_lib.natsOptions_Create)
#define natsOptions_Destroy	(nats_lib.natsOptions_Destroy)
#define natsOptions_LoadCATrustedCertificates	(nats_lib.natsOptions_LoadCATrustedCertificates)
#define natsOptions_LoadCertificatesChain	(nats_lib.natsOptions_LoadCertificatesChain)
#define natsOptions_SetClosedCB	(nats_lib.natsOptions_SetClosedCB)
#define natsOptions_SetDisconnectedCB	(nats_lib.natsOptions_SetDisconnectedCB)
#define natsOptions_SetFailRequestsOnDisconnect	(nats_lib.natsOptions_SetFailRequestsOnDisconnect)
#define natsOptions_SetMaxPingsOut	(nats_lib.natsOptions_SetMaxPingsOut)
#define natsOptions_SetMaxReconnect	(nats_lib.natsOptions_SetMaxReconnect)
#define natsOptions_SetName	(nats_lib.natsOptions_SetName)
#define natsOptions_SetPingInterval	(nats_lib.natsOptions_SetPingInterval)
#define natsOptions_SetReconnectWait	(nats_lib.natsOptions_SetReconnectWait)
#define natsOptions_SetReconnectedCB	(nats_lib.natsOptions_SetReconnectedCB)
#define natsOptions_SetRetryOnFailedConnect	(nats_lib.natsOptions_SetRetryOnFailedConnect)
#define natsOptions_SetSecure	(nats_lib.natsOptions_SetSecure)
#define natsOptions_SetServers	(nats_lib.natsOptions_SetServers)
#define natsOptions_SetTimeout	(nats_lib.natsOptions_SetTimeout)
#define natsOptions_SetUserCredentialsFromFiles	(nats_lib.natsOptions_SetUserCredentialsFromFiles)
#define natsOptions_SetUserInfo	(nats_lib.natsOptions_SetUserInfo)
#define natsStatus_GetText	(nats_lib.natsStatus_GetText)
#define natsSubscription_Destroy	(nats_lib.natsSubscription_Destroy)
#define natsSubscription_Fetch	(nats_lib.natsSubscription_Fetch)
#define nats_GetLastError	(nats_lib.nats_GetLastError)

#define JS_MAX_URLS		16
#define JS_URL_LEN		256
#define JS_PASSWORD_LEN		256
#define JS_RETRY_PAUSE_MS	100
#define JS_TRY_WAIT_MS		1000
#define JS_DUP_WINDOW_NS	(120LL * 1000000000LL)
#define JS_API_WAIT_MS		3000
#define JS_LOOKUP_WAIT_MS	500	/* a stream lookup's first try */
#define JS_HELD			64	/* messages a worker runs at once */
#define JS_CONSUMER		"workers"
#define JS_RUN_RETRY_MS		1000	/* Nak delay when a run is not ours */
#define JS_RUN_SLACK_MS		1000	/* beyond another worker's lease */
#define JS_RUN_FINAL_MS		5000	/* budget of a done record */

/* Error codes of nats-server newer than nats.c 3.4.1's status.h. */
#define JS_ERR_MAX_PER_SUBJECT	10077

struct jetstream {
	natsConnection	*nc;
	jsCtx		*js;
	char		 stream[64];
	char		 dead[80];
	char		 claims[80];	/* <stream>_signed */
	char		 runs[80];	/* <stream>_run: the run records */
	long		 replicas;
	long		 dedupe_window;
	int		 checked;	/* the streams were found as configured */
	volatile int	 closing;	/* no disconnect notes from here on */
	int		 closed;	/* its closed callback ran */
	natsSubscription *sub;		/* the worker's pull subscription */
	struct {
		long long	 seq;
		long		 attempt;	/* the run record's */
		long long	 run_seq;	/* our run record */
		natsMsg		*msg;
	}		 held[JS_HELD];	/* claimed, not finished */
	natsMsg		*ready[JS_HELD];	/* fetched, not claimed yet */
	int		 nready;
	int		 slots;		/* the worker's `workers` */
	long long	 lease_ms;
	char		 owner[300];	/* the worker's host:pid */
};

static long long
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pause_ms(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Says what nats.c reported: the status, and its own last error. */
static void
nats_reason(char *err, size_t errlen, const char *what, natsStatus s,
    jsErrCode jerr)
{
	const char	*last = nats_GetLastError(NULL), *p;

	/* nats.c prefixes where it was: "(conn.c:1905): ". */
	if (last != NULL && last[0] == '(' && (p = strstr(last, "): ")) !=
	    NULL)
		last = p + 3;
	if (jerr != 0)
		snprintf(err, errlen, "%s: %s (JetStream error %d)", what,
		    last != NULL && last[0] != '\0' ? last :
		    natsStatus_GetText(s), (int)jerr);
	else
		snprintf(err, errlen, "%s: %s", what,
		    last != NULL && last[0] != '\0' ? last :
		    natsStatus_GetText(s));
}

/* Reads nats_password_file, refusing one others can read. */
static int
read_password(const char *path, char *pw, size_t pwlen, char *err,
    size_t errlen)
{
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot open nats_password_file '%s':"
		    " %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "nats_password_file '%s' is readable by"
		    " group or others; chmod 600 it", path);
		close(fd);
		return -1;
	}
	n = read(fd, pw, pwlen - 1);
	close(fd);
	while (n > 0 && (pw[n - 1] == '\n' || pw[n - 1] == '\r'))
		n--;
	if (n <= 0 || (size_t)n >= pwlen - 1) {
		snprintf(err, errlen, "nats_password_file '%s' is empty, too"
		    " long or unreadable", path);
		hmac_cleanse(pw, pwlen);
		return -1;
	}
	pw[n] = '\0';
	return 0;
}

/* Splits "a, b,c" into servers[]; returns how many, or -1. */
static int
split_urls(const char *urls, char store[][JS_URL_LEN], const char **servers)
{
	const char	*p = urls, *q;
	int		 n = 0;
	size_t		 len;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != ',' && *q != ' ' && *q != '\t';
		    q++)
			;
		len = (size_t)(q - p);
		if (n == JS_MAX_URLS || len >= JS_URL_LEN)
			return -1;
		memcpy(store[n], p, len);
		store[n][len] = '\0';
		servers[n] = store[n];
		n++;
		p = q;
	}
	return n;
}

static void
on_disconnected(natsConnection *nc, void *arg)
{
	struct jetstream	*j = arg;

	(void)nc;
	if (!j->closing)
		log_warnx("nats: disconnected, reconnecting");
}

/* The last callback nats.c makes for a connection: see jetstream_close. */
static void
on_closed(natsConnection *nc, void *arg)
{
	struct jetstream	*j = arg;

	(void)nc;
	__atomic_store_n(&j->closed, 1, __ATOMIC_RELEASE);
}

static void
on_connected(natsConnection *nc, void *arg)
{
	(void)nc;
	(void)arg;
	log_info("nats: connected");
}

static void
on_reconnected(natsConnection *nc, void *arg)
{
	char	 url[JS_URL_LEN];

	(void)arg;
	if (natsConnection_GetConnectedUrl(nc, url, sizeof(url)) != NATS_OK)
		url[0] = '\0';
	/* Whatever precedes an '@' is credentials: never logged. */
	log_info("nats: reconnected to %s", strchr(url, '@') != NULL ?
	    strchr(url, '@') + 1 : url);
}

/* Sets up options from the configuration; -1 with err set. */
static int
make_options(natsOptions *o, const struct jetstream_conf *c,
    struct jetstream *j, char *err, size_t errlen)
{
	char		 urls[JS_MAX_URLS][JS_URL_LEN], pw[JS_PASSWORD_LEN];
	const char	*servers[JS_MAX_URLS];
	int		 n;
	natsStatus	 s;

	if (c->urls == NULL ||
	    (n = split_urls(c->urls, urls, servers)) <= 0) {
		snprintf(err, errlen, "nats_url must list one to %d server"
		    " URLs", JS_MAX_URLS);
		return -1;
	}
	if ((s = natsOptions_SetServers(o, servers, n)) != NATS_OK) {
		nats_reason(err, errlen, "bad nats_url", s, 0);
		return -1;
	}
	natsOptions_SetName(o, c->name != NULL ? c->name : "webhook-fcgi");
	/*
	 * Connect in the background when no server answers yet.  The
	 * callback matters: without one, nats.c retries synchronously,
	 * MaxReconnect times (forever here), inside natsConnection_Connect
	 * (seen with a wrong password: the handler never served).
	 */
	natsOptions_SetRetryOnFailedConnect(o, true, on_connected, j);
	natsOptions_SetMaxReconnect(o, -1);
	natsOptions_SetReconnectWait(o, 250);
	natsOptions_SetTimeout(o, 2000);
	natsOptions_SetPingInterval(o, 5000);
	natsOptions_SetMaxPingsOut(o, 2);
	/* A request (a publish's PubAck) fails at once on a disconnect. */
	natsOptions_SetFailRequestsOnDisconnect(o, true);
	natsOptions_SetDisconnectedCB(o, on_disconnected, j);
	natsOptions_SetClosedCB(o, on_closed, j);
	natsOptions_SetReconnectedCB(o, on_reconnected, NULL);
	if (c->creds != NULL && (s = natsOptions_SetUserCredentialsFromFiles(o,
	    c->creds, NULL)) != NATS_OK) {
		nats_reason(err, errlen, "cannot use nats_creds", s, 0);
		return -1;
	}
	if (c->user != NULL) {
		if (c->password_file == NULL) {
			snprintf(err, errlen, "nats_user needs"
			    " nats_password_file");
			return -1;
		}
		if (read_password(c->password_file, pw, sizeof(pw), err,
		    errlen) == -1)
			return -1;
		s = natsOptions_SetUserInfo(o, c->user, pw);
		hmac_cleanse(pw, sizeof(pw));
		if (s != NATS_OK) {
			snprintf(err, errlen, "cannot use nats_user");
			return -1;
		}
	}
	if (c->tls_ca != NULL && ((s = natsOptions_SetSecure(o, true)) !=
	    NATS_OK || (s = natsOptions_LoadCATrustedCertificates(o,
	    c->tls_ca)) != NATS_OK)) {
		nats_reason(err, errlen, "cannot use nats_tls_ca", s, 0);
		return -1;
	}
	if ((c->tls_cert != NULL) != (c->tls_key != NULL)) {
		snprintf(err, errlen, "nats_tls_cert and nats_tls_key go"
		    " together");
		return -1;
	}
	if (c->tls_cert != NULL && ((s = natsOptions_SetSecure(o, true)) !=
	    NATS_OK || (s = natsOptions_LoadCertificatesChain(o, c->tls_cert,
	    c->tls_key)) != NATS_OK)) {
		nats_reason(err, errlen, "cannot use nats_tls_cert", s, 0);
		return -1;
	}
	return 0;
}

static int
stream_name_ok(const char *name)
{
	size_t	 i, n = strlen(name);

	if (n == 0 || n > 32)
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
		    name[i] == '-'))
			return 0;
	return 1;
}

struct jetstream *
jetstream_open(const struct jetstream_conf *c, char *err, size_t errlen)
{
	struct jetstream	*j;
	natsOptions		*o = NULL;
	jsOptions		 jo;
	natsStatus		 s;

	if (c->stream == NULL || !stream_name_ok(c->stream)) {
		snprintf(err, errlen, "nats_stream must be 1 to 32 letters,"
		    " digits, '_' or '-'");
		return NULL;
	}
	if (jetstream_load(err, errlen) == -1)
		return NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(j->stream, sizeof(j->stream), "%s", c->stream);
	snprintf(j->dead, sizeof(j->dead), "%s_dead", c->stream);
	snprintf(j->claims, sizeof(j->claims), "%s_signed", c->stream);
	snprintf(j->runs, sizeof(j->runs), "%s_run", c->stream);
	j->replicas = c->replicas;
	j->dedupe_window = c->dedupe_window;
	if (natsOptions_Create(&o) != NATS_OK) {
		snprintf(err, errlen, "cannot initialise the NATS client");
		goto fail;
	}
	if (make_options(o, c, j, err, errlen) == -1)
		goto fail;
	/*
	 * One pass over the servers first, in this thread, so that a wrong
	 * password, CA or certificate is reported as such: retried in the
	 * background, nats.c gives up after the same authorization error
	 * twice and a request then only says "Connection Closed" (and a
	 * TLS failure "No server available").  Servers that do not answer
	 * are retried in the background, as before.
	 */
	natsOptions_SetRetryOnFailedConnect(o, false, NULL, NULL);
	s = natsConnection_Connect(&j->nc, o);
	if (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_SSL_ERROR ||
	    s == NATS_SECURE_CONNECTION_WANTED ||
	    s == NATS_SECURE_CONNECTION_REQUIRED || s == NATS_NOT_PERMITTED) {
		nats_reason(err, errlen, "cannot connect to nats_url", s, 0);
		goto fail;
	}
	if (s != NATS_OK) {
		natsOptions_SetRetryOnFailedConnect(o, true, on_connected, j);
		s = natsConnection_Connect(&j->nc, o);
	}
	if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
		nats_reason(err, errlen, "cannot connect to nats_url", s, 0);
		goto fail;
	}
	jsOptions_Init(&jo);
	jo.Wait = JS_API_WAIT_MS;
	if ((s = natsConnection_JetStream(&j->js, j->nc, &jo)) != NATS_OK) {
		nats_reason(err, errlen, "cannot use JetStream", s, 0);
		goto fail;
	}
	natsOptions_Destroy(o);
	return j;
fail:
	natsOptions_Destroy(o);
	jetstream_close(j);
	return NULL;
}

void
jetstream_close(struct jetstream *j)
{
	struct timespec	 pause = { 0, 1000000 };
	size_t		 i;

	if (j == NULL)
		return;
	j->closing = 1;
	for (i = 0; i < JS_HELD; i++)
		natsMsg_Destroy(j->held[i].msg);
	/* Fetched but never started: back to the server at once. */
	for (i = 0; i < (size_t)j->nready; i++) {
		natsMsg_Nak(j->ready[i], NULL);
		natsMsg_Destroy(j->ready[i]);
	}
	natsSubscription_Destroy(j->sub);
	jsCtx_Destroy(j->js);
	/*
	 * nats.c runs a connection's callbacks, which get j, from a thread
	 * of its own, after Close has returned: a disconnected callback read
	 * j after it was freed (ASan, webhookctl exiting).  The closed
	 * callback comes last; j goes once it has run.  Should it not come
	 * within 2 s, j is left allocated rather than freed under a thread
	 * that may still read it.
	 */
	if (j->nc != NULL) {
		natsConnection_Close(j->nc);
		for (i = 0; i < 2000 &&
		    !__atomic_load_n(&j->closed, __ATOMIC_ACQUIRE); i++)
			nanosleep(&pause, NULL);
		natsConnection_Destroy(j->nc);
		if (!__atomic_load_n(&j->closed, __ATOMIC_ACQUIRE))
			return;
	}
	free(j);
}

void
jetstream_explain(struct jetstream *j, char *err, size_t errlen)
{
	const char	*last = NULL;
	size_t		 len = strlen(err);
	natsStatus	 s;

	if (j == NULL || j->nc == NULL ||
	    natsConnection_Status(j->nc) == NATS_CONN_STATUS_CONNECTED)
		return;
	s = natsConnection_GetLastError(j->nc, &last);
	if (s == NATS_OK)
		return;
	if (last == NULL || last[0] == '\0')
		last = natsStatus_GetText(s);
	/* Once is enough: nats_reason() may have found it already. */
	if (strstr(err, last) == NULL)
		snprintf(err + len, errlen - len, "%sconnection: %s",
		    len > 0 ? "; " : "", last);
}

int
jetstream_closed(struct jetstream *j)
{
	return j != NULL && j->nc != NULL && natsConnection_IsClosed(j->nc);
}

/* What is left before deadline for one try: at most JS_TRY_WAIT_MS. */
static long long
try_wait(long long deadline)
{
	long long	 left = deadline - mono_ms();

	return left < JS_TRY_WAIT_MS ? (left > 50 ? left : 50) :
	    JS_TRY_WAIT_MS;
}

/*
 * After a failed try: 0 when there is time for another (after a pause),
 * -1 with err set past the deadline.
 */
static int
try_again(long long deadline, const char *what, natsStatus s,
    jsErrCode jerr, int tries, long budget_ms, char *err, size_t errlen)
{
	size_t	 len;

	if (mono_ms() + JS_RETRY_PAUSE_MS >= deadline) {
		nats_reason(err, errlen, what, s, jerr);
		len = strlen(err);
		snprintf(err + len, errlen - len, " after %d tries in %ld ms",
		    tries, budget_ms);
		return -1;
	}
	pause_ms(JS_RETRY_PAUSE_MS);
	return 0;
}

/*
 * A failure that may pass: no answer (yet), no responders or no leader
 * while one is elected, or not connected (yet).
 */
static int
transient(natsStatus s, jsErrCode jerr)
{
	if (jerr != 0)
		return jerr == JSNotEnabledErr || jerr ==
		    JSClusterNotAvailErr || jerr == JSClusterNotLeaderErr ||
		    jerr == JSStreamOfflineErr;
	return s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS ||
	    s == NATS_NOT_YET_CONNECTED || s == NATS_CONNECTION_DISCONNECTED;
}

/*
 * Our streams: the deliveries, the dead records, the signed-bytes claims,
 * the run records.
 */
enum js_kind {
	JS_DELIVERIES,
	JS_DEAD,
	JS_CLAIMS,
	JS_RUNS,
};

/*
 * The configuration a stream of ours is made with.  The dead and the run
 * records keep the latest message of each subject (a new one replaces
 * it) for dedupe_window.
 */
static void
stream_config(const struct jetstream *j, enum js_kind kind,
    jsStreamConfig *sc, const char **subjects, char *subj, size_t subjlen)
{
	jsStreamConfig_Init(sc);
	sc->Name = kind == JS_DEAD ? j->dead : kind == JS_CLAIMS ? j->claims :
	    kind == JS_RUNS ? j->runs :
	    j->stream;
	snprintf(subj, subjlen, "%s.>", sc->Name);
	subjects[0] = subj;
	sc->Subjects = subjects;
	sc->SubjectsLen = 1;
	sc->Retention = js_LimitsPolicy;
	sc->Storage = js_FileStorage;
	sc->Replicas = j->replicas;
	sc->MaxAge = (int64_t)j->dedupe_window * 1000000000LL;
	sc->MaxMsgsPerSubject = 1;
	if (kind == JS_DELIVERIES || kind == JS_CLAIMS) {
		/*
		 * The second message on a delivery's (or a claim's) subject
		 * is refused.
		 */
		sc->Discard = js_DiscardNew;
		sc->DiscardNewPerSubject = true;
	}
	if (kind == JS_DELIVERIES)
		sc->Duplicates = JS_DUP_WINDOW_NS;
}

/* Compares what matters; appends differences to err. */
static int
stream_differs(const jsStreamConfig *want, const jsStreamConfig *have,
    char *err, size_t errlen)
{
	size_t	 len;
	int	 n = 0;

	err[0] = '\0';
#define DIFF(cond, ...) do {						\
	if (cond) {							\
		len = strlen(err);					\
		snprintf(err + len, errlen - len, "%s", n++ ? "; " : "");\
		len = strlen(err);					\
		snprintf(err + len, errlen - len, __VA_ARGS__);		\
	}								\
} while (0)
	DIFF(have->Replicas != want->Replicas, "stream '%s' has %lld"
	    " replicas, nats_replicas is %lld", want->Name,
	    (long long)have->Replicas, (long long)want->Replicas);
	DIFF(have->MaxAge != want->MaxAge, "stream '%s' keeps messages"
	    " %llds, dedupe_window is %llds", want->Name,
	    (long long)(have->MaxAge / 1000000000LL),
	    (long long)(want->MaxAge / 1000000000LL));
	DIFF(have->MaxMsgsPerSubject != want->MaxMsgsPerSubject ||
	    have->Discard != want->Discard ||
	    have->DiscardNewPerSubject != want->DiscardNewPerSubject,
	    "stream '%s' does not keep one message per subject (made by"
	    " something else?)", want->Name);
	DIFF(have->Storage != want->Storage || have->Retention !=
	    want->Retention, "stream '%s' is not a file stream with limits"
	    " retention", want->Name);
	DIFF(have->SubjectsLen != 1 || strcmp(have->Subjects[0],
	    want->Subjects[0]) != 0, "stream '%s' does not take exactly"
	    " the subjects '%s'", want->Name, want->Subjects[0]);
#undef DIFF
	return n > 0;
}

/*
 * Looks at stream name into *si: NATS_OK, NATS_NOT_FOUND (no such
 * stream), or another status with err set.  The lookup only reads, so
 * it is tried again while the answer is "not now" and deadline allows.
 * A stream just made has no leader for a moment (up to a second or two
 * on a busy machine) and a lookup sent then is never answered: with
 * nats.c's one wait of JS_API_WAIT_MS, the first deliveries of
 * handler processes racing to make the streams were answered 503
 * ("Timeout") in `make bench`.  The first try waits JS_LOOKUP_WAIT_MS
 * (answers take milliseconds), each further one longer, up to what
 * try_wait() allows.
 */
static natsStatus
stream_info(struct jetstream *j, const char *name, long long deadline,
    long budget_ms, jsStreamInfo **si, char *err, size_t errlen)
{
	jsOptions	 jo;
	jsErrCode	 jerr;
	natsStatus	 s;
	long long	 wait;
	int		 tries = 0;

	for (;;) {
		tries++;
		jsOptions_Init(&jo);
		wait = try_wait(deadline);
		jo.Wait = wait < (long long)tries * JS_LOOKUP_WAIT_MS ? wait :
		    (long long)tries * JS_LOOKUP_WAIT_MS;
		jerr = 0;
		*si = NULL;
		s = js_GetStreamInfo(si, j->js, name, &jo, &jerr);
		if (s == NATS_OK)
			return s;
		if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr)
			return NATS_NOT_FOUND;
		if (!transient(s, jerr)) {
			nats_reason(err, errlen, "cannot look at the stream", s,
			    jerr);
			return s;
		}
		if (try_again(deadline, "cannot look at the stream", s, jerr,
		    tries, budget_ms, err, errlen) == -1)
			return s;
	}
}

/*
 * One stream of ours: looked at, made when missing (with create), and
 * compared with what we would make, all before deadline.
 */
static enum jetstream_check
check_one(struct jetstream *j, enum js_kind kind, int create,
    long long deadline, long budget_ms, char *err, size_t errlen)
{
	jsStreamConfig	 sc;
	jsStreamInfo	*si = NULL;
	jsOptions	 jo;
	jsErrCode	 jerr;
	const char	*subjects[1];
	char		 subj[96];
	natsStatus	 s;
	int		 tries = 0;
	enum jetstream_check rc;

	stream_config(j, kind, &sc, subjects, subj, sizeof(subj));
	for (;;) {
		tries++;
		s = stream_info(j, sc.Name, deadline, budget_ms, &si, err,
		    errlen);
		if (s == NATS_OK)
			break;
		if (s != NATS_NOT_FOUND)
			return JETSTREAM_ERROR;
		if (!create) {
			snprintf(err, errlen, "stream '%s' does not exist yet"
			    " (made on first use)", sc.Name);
			return JETSTREAM_MISSING;
		}
		jsOptions_Init(&jo);
		jo.Wait = try_wait(deadline);
		jerr = 0;
		si = NULL;
		if ((s = js_AddStream(&si, j->js, &sc, &jo, &jerr)) ==
		    NATS_OK) {
			log_info("nats: created stream '%s' with %ld"
			    " replicas", sc.Name, j->replicas);
			jsStreamInfo_Destroy(si);
			return JETSTREAM_OK;
		}
		/*
		 * Another host made it meanwhile, or ours was made but its
		 * answer is late: look at it again.
		 */
		if (jerr != JSStreamNameExistErr && !transient(s, jerr)) {
			nats_reason(err, errlen, "cannot create the stream", s,
			    jerr);
			return JETSTREAM_ERROR;
		}
		if (try_again(deadline, "cannot create the stream", s, jerr,
		    tries, budget_ms, err, errlen) == -1)
			return JETSTREAM_ERROR;
	}
	rc = stream_differs(&sc, si->Config, err, errlen) ?
	    JETSTREAM_MISMATCH : JETSTREAM_OK;
	jsStreamInfo_Destroy(si);
	return rc;
}

/* Our streams, before deadline; with create, j->checked once all are. */
static enum jetstream_check
check_streams(struct jetstream *j, int create, long long deadline,
    long budget_ms, char *err, size_t errlen)
{
	static const enum js_kind kinds[] = { JS_DELIVERIES, JS_DEAD,
				    JS_CLAIMS, JS_RUNS };
	enum jetstream_check	 rc;
	size_t			 i;

	/*
	 * The claims' and the run records' streams came after the other two:
	 * a cluster set up by an earlier version gets them on first use
	 * (check-config notes them as missing till then).  The deliveries'
	 * stream and its consumer are unchanged by them.
	 */
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((rc = check_one(j, kinds[i], create, deadline, budget_ms,
		    err, errlen)) != JETSTREAM_OK)
			return rc;
	if (create)
		j->checked = 1;
	return JETSTREAM_OK;
}

enum jetstream_check
jetstream_check(struct jetstream *j, int create, char *err, size_t errlen)
{
	return check_streams(j, create, mono_ms() + JS_API_WAIT_MS,
	    JS_API_WAIT_MS, err, errlen);
}

static void
hex(const unsigned char *p, size_t len, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}

/*
 * The subject of a key: <name>.<infix><sha256 of key>.  Endpoint names
 * have no '/', so "endpoint/..." keys are unambiguous.  -1 when the
 * subject does not fit.
 */
static int
key_subject(const char *name, const char *infix, const char *key,
    char *subj, size_t subjlen)
{
	unsigned char	 md[32];
	char		 h[65];

	if (hmac_sha256(key, strlen(key), md) == -1)
		return -1;
	hex(md, sizeof(md), h);
	return (size_t)snprintf(subj, subjlen, "%s.%s%s", name, infix, h) >=
	    subjlen ? -1 : 0;
}

/* Builds the message of a delivery; NULL when out of memory. */
static natsMsg *
delivery_msg(const char *subj, const struct ledger_new *n)
{
	natsMsg		*m = NULL;
	struct buf	 payload;
	char		 at[32];

	buf_init(&payload, n->headers_len + n->body_len + 2);
	if (buf_add(&payload, n->headers, n->headers_len) == -1 ||
	    buf_addc(&payload, '\n') == -1 ||
	    buf_add(&payload, n->body != NULL ? n->body : "", n->body_len) ==
	    -1)
		goto out;
	if (natsMsg_Create(&m, subj, NULL, payload.data, (int)payload.len) !=
	    NATS_OK) {
		m = NULL;
		goto out;
	}
	snprintf(at, sizeof(at), "%lld", n->received_at);
	if (natsMsgHeader_Set(m, "Webhook-Endpoint", n->endpoint) !=
	    NATS_OK ||
	    natsMsgHeader_Set(m, "Webhook-Id", n->delivery_id) != NATS_OK ||
	    natsMsgHeader_Set(m, "Webhook-Provider", n->provider) != NATS_OK ||
	    natsMsgHeader_Set(m, "Webhook-Event", n->event) != NATS_OK ||
	    natsMsgHeader_Set(m, "Webhook-Received-At", at) != NATS_OK ||
	    natsMsgHeader_Set(m, "Webhook-Body-Sha256", n->body_sha256) !=
	    NATS_OK) {
		natsMsg_Destroy(m);
		m = NULL;
	}
out:
	buf_release(&payload);
	return m;
}

/* The stream refused a message on a subject that has one already. */
static int
refused(jsErrCode jerr)
{
	return jerr == JS_ERR_MAX_PER_SUBJECT ||
	    jerr == JSStreamWrongLastSequenceErr;
}

/* One publish of m to a subject that must be empty; *pa to destroy. */
static natsStatus
publish_new(struct jetstream *j, natsMsg *m, const char *msgid,
    long long deadline, jsPubAck **pa, jsErrCode *jerr)
{
	jsPubOptions	 po;

	jsPubOptions_Init(&po);
	po.MsgId = msgid;
	po.ExpectNoMessage = true;
	po.MaxWait = try_wait(deadline);
	*jerr = 0;
	*pa = NULL;
	return js_PublishMsg(pa, j->js, m, &po, jerr);
}

/*
 * Claims n's signed bytes for n's delivery id before the delivery is
 * published: a message on <stream>_signed.<sha256 of "endpoint/
 * signed_sha256">, payload the delivery id, in a stream that (like the
 * deliveries') keeps one message per subject for dedupe_window and
 * refuses a second, on any host, through leader changes.  The claims
 * have a stream of their own so that the workers' consumer (one filter
 * subject in nats-server 2.9, made unfiltered by earlier versions, and
 * requeued copies under <stream>.r.*) never sees them.
 *
 * Refused: the claim is read back.  Our own id is a retry of this
 * delivery (after a 503, or a claim whose PubAck was lost): go on, the
 * delivery's own subject dedupes it.  Another id: a replay, answered
 * duplicate of that id, nothing published.  The order matters:
 *  - claim first, delivery second: a replay racing its original on
 *    another host loses at the claim, so neither both nor none is queued;
 *  - a claim is never removed: a 503 after it leaves a claim naming
 *    this id, which lets this id's retry through and nothing else.  (A
 *    removal could not tell a lost PubAck from a refusal, and would let
 *    a replay in beside a delivery stored after all.)  So once a
 *    delivery has been answered 503, the same bytes under another id
 *    are a duplicate of it even if it is never sent again: only a
 *    sender's retry under the first id stores them.
 * Returns JETSTREAM_QUEUED (the claim is this delivery's),
 * JETSTREAM_DUPLICATE with the claiming id in earlier, or
 * JETSTREAM_FAILED with err set.
 */
static enum jetstream_result
claim_signed(struct jetstream *j, const struct ledger_new *n,
    long long deadline, long budget_ms, char *earlier, size_t earlierlen,
    char *err, size_t errlen)
{
	jsOptions	 jo;
	jsPubAck	*pa;
	jsErrCode	 jerr;
	natsMsg		*m = NULL, *c;
	struct buf	 key;
	char		 subj[128];
	const char	*data;
	natsStatus	 s;
	size_t		 idlen = strlen(n->delivery_id), len;
	int		 tries = 0;
	enum jetstream_result rc = JETSTREAM_FAILED;

	buf_init(&key, 256);
	if (buf_printf(&key, "%s/%s", n->endpoint, n->signed_sha256) == -1 ||
	    key_subject(j->claims, "", key.data, subj, sizeof(subj)) == -1 ||
	    natsMsg_Create(&m, subj, NULL, n->delivery_id, (int)idlen) !=
	    NATS_OK) {
		snprintf(err, errlen, "cannot build the claim: out of memory");
		buf_release(&key);
		return JETSTREAM_FAILED;
	}
	for (;;) {
		tries++;
		s = publish_new(j, m, NULL, deadline, &pa, &jerr);
		jsPubAck_Destroy(pa);
		if (s == NATS_OK) {
			rc = JETSTREAM_QUEUED;
			break;
		}
		if (refused(jerr)) {
			jsOptions_Init(&jo);
			jo.Wait = try_wait(deadline);
			jerr = 0;
			s = js_GetLastMsg(&c, j->js, j->claims, subj, &jo,
			    &jerr);
			if (s == NATS_OK) {
				data = natsMsg_GetData(c);
				len = (size_t)natsMsg_GetDataLength(c);
				if (len == idlen && (len == 0 || memcmp(data,
				    n->delivery_id, len) == 0))
					rc = JETSTREAM_QUEUED;
				else {
					snprintf(earlier, earlierlen, "%.*s",
					    (int)len, data != NULL ? data : "");
					rc = JETSTREAM_DUPLICATE;
				}
				natsMsg_Destroy(c);
				break;
			}
			/* No answer, or it just aged out: claim again. */
		}
		if (try_again(deadline, "no PubAck for the signed-bytes claim"
		    " from the NATS cluster", s, jerr, tries, budget_ms, err,
		    errlen) == -1)
			break;
	}
	natsMsg_Destroy(m);
	buf_release(&key);
	return rc;
}

enum jetstream_result
jetstream_publish(struct jetstream *j, const struct ledger_new *n,
    long budget_ms, char *earlier, size_t earlierlen, char *err,
    size_t errlen)
{
	jsPubAck	*pa;
	jsErrCode	 jerr;
	natsMsg		*m;
	struct buf	 key;
	char		 subj[128];
	long long	 deadline = mono_ms() + budget_ms;
	natsStatus	 s;
	int		 tries = 0, lost = 0;
	enum jetstream_result rc = JETSTREAM_FAILED;

	if (earlierlen > 0)
		earlier[0] = '\0';
	/* Once per connection; within this request's budget. */
	if (!j->checked && check_streams(j, 1, deadline, budget_ms, err,
	    errlen) != JETSTREAM_OK)
		return JETSTREAM_FAILED;
	/* Unsigned deliveries (a shared token) have no bytes to claim. */
	if (n->signed_sha256 != NULL && n->signed_sha256[0] != '\0' &&
	    (rc = claim_signed(j, n, deadline, budget_ms, earlier, earlierlen,
	    err, errlen)) != JETSTREAM_QUEUED)
		return rc;
	rc = JETSTREAM_FAILED;
	buf_init(&key, 4096);
	if (buf_printf(&key, "%s/%s", n->endpoint, n->delivery_id) == -1 ||
	    key_subject(j->stream, "d.", key.data, subj, sizeof(subj)) ==
	    -1 || (m = delivery_msg(subj, n)) == NULL) {
		snprintf(err, errlen, "cannot build the message: out of"
		    " memory");
		buf_release(&key);
		return JETSTREAM_FAILED;
	}
	for (;;) {
		tries++;
		s = publish_new(j, m, key.data, deadline, &pa, &jerr);
		if (s == NATS_OK) {
			rc = pa->Duplicate ? JETSTREAM_DUPLICATE :
			    JETSTREAM_QUEUED;
			jsPubAck_Destroy(pa);
			break;
		}
		jsPubAck_Destroy(pa);
		if (refused(jerr)) {
			rc = JETSTREAM_DUPLICATE;
			break;
		}
		/* A lost PubAck may hide a stored message: ours, later. */
		if (s == NATS_TIMEOUT)
			lost = 1;
		if (try_again(deadline, "no PubAck from the NATS cluster", s,
		    jerr, tries, budget_ms, err, errlen) == -1)
			break;
	}
	natsMsg_Destroy(m);
	buf_release(&key);
	return rc == JETSTREAM_DUPLICATE && lost ? JETSTREAM_QUEUED : rc;
}

/* ---- the worker's side ------------------------------------------------ */

static const char *
hdr(natsMsg *m, const char *key)
{
	const char	*v = NULL;

	if (natsMsgHeader_Get(m, key, &v) != NATS_OK || v == NULL)
		return "";
	return v;
}

static long long
hdr_num(natsMsg *m, const char *key)
{
	return strtoll(hdr(m, key), NULL, 10);
}

int
jetstream_consume(struct jetstream *j, long long lease_ms, int slots,
    char *err, size_t errlen)
{
	jsSubOptions	 so;
	jsErrCode	 jerr = 0;
	char		 subj[96];
	natsStatus	 s;

	if (j->sub != NULL)
		return 0;
	j->slots = slots < 1 ? 1 : slots > JS_HELD ? JS_HELD : slots;
	j->lease_ms = lease_ms;
	if (!j->checked && jetstream_check(j, 1, err, errlen) != JETSTREAM_OK)
		return -1;
	snprintf(subj, sizeof(subj), "%s.>", j->stream);
	jsSubOptions_Init(&so);
	so.Stream = j->stream;
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.AckWait = lease_ms * 1000000LL;
	so.Config.MaxDeliver = -1;
	so.Config.MaxAckPending = 10000;
	so.Config.DeliverPolicy = js_DeliverAll;
	s = js_PullSubscribe(&j->sub, j->js, subj, JS_CONSUMER, NULL, &so,
	    &jerr);
	if (s != NATS_OK) {
		j->sub = NULL;
		nats_reason(err, errlen, "cannot bind the consumer", s, jerr);
		return -1;
	}
	return 0;
}

/* A header's value copied, or "" when absent; NULL when out of memory. */
static char *
header_dup(natsMsg *m, const char *key)
{
	const char	*v = NULL;

	if (natsMsgHeader_Get(m, key, &v) != NATS_OK || v == NULL)
		v = "";
	return strdup(v);
}

static void *
bytes_dup(const char *p, size_t n)
{
	char	*q;

	if ((q = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

/* Fills job from a message; -1 when it is not one of ours or no memory. */
static int
job_from_msg(natsMsg *m, const jsMsgMetaData *meta, struct ledger_job *job)
{
	const char	*data = natsMsg_GetData(m), *nl;
	const char	*at = NULL;
	size_t		 len = (size_t)natsMsg_GetDataLength(m), hl;

	memset(job, 0, sizeof(*job));
	if (data == NULL || (nl = memchr(data, '\n', len)) == NULL)
		return -1;
	hl = (size_t)(nl - data);
	job->rowid = (long long)meta->Sequence.Stream;
	job->attempt = (long)meta->NumDelivered;
	if (natsMsgHeader_Get(m, "Webhook-Received-At", &at) == NATS_OK &&
	    at != NULL)
		job->received_at = strtoll(at, NULL, 10);
	job->endpoint = header_dup(m, "Webhook-Endpoint");
	job->delivery_id = header_dup(m, "Webhook-Id");
	job->provider = header_dup(m, "Webhook-Provider");
	job->event = header_dup(m, "Webhook-Event");
	job->headers = bytes_dup(data, hl);
	job->headers_len = hl;
	job->body = bytes_dup(nl + 1, len - hl - 1);
	job->body_len = len - hl - 1;
	if (job->endpoint == NULL || job->delivery_id == NULL ||
	    job->provider == NULL || job->event == NULL ||
	    job->headers == NULL || job->body == NULL ||
	    job->endpoint[0] == '\0' || job->delivery_id[0] == '\0')
		return -1;
	return 0;
}

static int
held_slot(struct jetstream *j, long long seq)
{
	int	 i;

	for (i = 0; i < JS_HELD; i++)
		if (j->held[i].msg != NULL && j->held[i].seq == seq)
			return i;
	return -1;
}


/*
 * Run records.  The consumer alone may hand a delivery out twice: its
 * leader records a delivery only after sending it, and a new leader
 * without that record sends it again at once (README, "Scaling out").
 * So a worker runs a delivery only under a run record it wrote with
 * compare-and-set: <stream>_run.<the delivery's stream sequence>, one
 * message per subject (a new one replaces the last), headers
 * Webhook-Run = run (lease until Webhook-Lease-Until, Unix ms, by
 * Webhook-Worker), wait (a retry is due: anyone may take it), done or
 * dead (final: never run again), and Webhook-Attempt = the runs started.
 */
struct run_rec {
	long long	 seq;		/* 0: none yet */
	char		 state[8];
	long		 attempt;
	long long	 until;
	char		 owner[300];
};

static void
run_subject(const struct jetstream *j, long long dseq, char *subj,
    size_t subjlen)
{
	snprintf(subj, subjlen, "%s.%lld", j->runs, dseq);
}

/* Reads the run record of a delivery: 0 (r->seq 0 if none), -1. */
static int
run_get(struct jetstream *j, long long dseq, struct run_rec *r, char *err,
    size_t errlen)
{
	natsMsg		*m = NULL;
	jsErrCode	 jerr = 0;
	char		 subj[128];
	natsStatus	 s;

	memset(r, 0, sizeof(*r));
	run_subject(j, dseq, subj, sizeof(subj));
	s = js_GetLastMsg(&m, j->js, j->runs, subj, NULL, &jerr);
	if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
		return 0;
	if (s != NATS_OK) {
		nats_reason(err, errlen, "cannot read the run record", s,
		    jerr);
		return -1;
	}
	r->seq = (long long)natsMsg_GetSequence(m);
	snprintf(r->state, sizeof(r->state), "%s", hdr(m, "Webhook-Run"));
	r->attempt = (long)hdr_num(m, "Webhook-Attempt");
	r->until = hdr_num(m, "Webhook-Lease-Until");
	snprintf(r->owner, sizeof(r->owner), "%s", hdr(m, "Webhook-Worker"));
	natsMsg_Destroy(m);
	return 0;
}

/*
 * Writes a run record; expect >= 0 demands that the subject's last
 * record be that one (0: none), else it is written whatever was there.
 * Sets *seq to the new record's sequence.
 */
static natsStatus
run_put(struct jetstream *j, long long dseq, const char *state,
    long attempt, long long until, long long expect, long long *seq,
    jsErrCode *jerr)
{
	jsPubOptions	 po;
	jsPubAck	*pa = NULL;
	natsMsg		*m = NULL;
	char		 subj[128], num[32];
	natsStatus	 s;

	*jerr = 0;
	run_subject(j, dseq, subj, sizeof(subj));
	if ((s = natsMsg_Create(&m, subj, NULL, NULL, 0)) != NATS_OK)
		return s;
	snprintf(num, sizeof(num), "%ld", attempt);
	if ((s = natsMsgHeader_Set(m, "Webhook-Run", state)) != NATS_OK ||
	    (s = natsMsgHeader_Set(m, "Webhook-Attempt", num)) != NATS_OK ||
	    (s = natsMsgHeader_Set(m, "Webhook-Worker", j->owner)) != NATS_OK)
		goto out;
	snprintf(num, sizeof(num), "%lld", until);
	if ((s = natsMsgHeader_Set(m, "Webhook-Lease-Until", num)) != NATS_OK)
		goto out;
	/* ExpectLastSubjectSeq = 0 means unset: the header says 0 too. */
	snprintf(num, sizeof(num), "%lld", expect);
	if (expect >= 0 && (s = natsMsgHeader_Set(m,
	    "Nats-Expected-Last-Subject-Sequence", num)) != NATS_OK)
		goto out;
	jsPubOptions_Init(&po);
	po.MaxWait = JS_TRY_WAIT_MS;
	if ((s = js_PublishMsg(&pa, j->js, m, &po, jerr)) == NATS_OK && seq)
		*seq = (long long)pa->Sequence;
	jsPubAck_Destroy(pa);
out:
	natsMsg_Destroy(m);
	return s;
}

/*
 * A final record (done, dead), written before the Ack or Term: a copy
 * handed out again afterwards is settled without running.  Retried for
 * JS_RUN_FINAL_MS; when it cannot be written the Ack goes out anyway
 * (holding the message back would only make it run again).
 */
static void
run_final(struct jetstream *j, int slot, const char *state)
{
	long long	 deadline = mono_ms() + JS_RUN_FINAL_MS;
	jsErrCode	 jerr;
	natsStatus	 s;
	char		 err[256];

	while ((s = run_put(j, j->held[slot].seq, state,
	    j->held[slot].attempt, 0, -1, NULL, &jerr)) != NATS_OK &&
	    mono_ms() + JS_RETRY_PAUSE_MS < deadline)
		pause_ms(JS_RETRY_PAUSE_MS);
	if (s != NATS_OK) {
		nats_reason(err, sizeof(err), "cannot write the run record",
		    s, jerr);
		log_warnx("delivery %lld: %s; settled without it",
		    j->held[slot].seq, err);
	}
}

/*
 * Ends our lease early (a retry is due, or the message is given back):
 * a "wait" record, on the condition that ours is still the last.  When
 * it cannot be written, the next worker waits for the lease to end.
 */
static void
run_release(struct jetstream *j, int slot)
{
	jsErrCode	 jerr;
	natsStatus	 s;
	char		 err[256];

	s = run_put(j, j->held[slot].seq, "wait", j->held[slot].attempt, 0,
	    j->held[slot].run_seq, NULL, &jerr);
	if (s != NATS_OK) {
		nats_reason(err, sizeof(err), "cannot end the lease", s, jerr);
		log_warnx("delivery %lld: %s; the next run waits for it",
		    j->held[slot].seq, err);
	}
}

/*
 * Decides whether this worker runs message m (delivery dseq): 1 when it
 * took the run record (*attempt, *run_seq set); 0 when m was settled
 * here (done or dead before, or another worker's lease: NakWithDelay);
 * -1 with err set when the record could not be read or written (m is
 * given back with a delay, nothing runs).
 */
static int
run_take(struct jetstream *j, natsMsg *m, long long dseq, long long now,
    long *attempt, long long *run_seq, char *err, size_t errlen)
{
	struct run_rec	 r;
	long long	 expect = 0;
	jsErrCode	 jerr;
	natsStatus	 s;

	if (run_get(j, dseq, &r, err, errlen) == -1) {
		natsMsg_NakWithDelay(m, JS_RUN_RETRY_MS, NULL);
		return -1;
	}
	if (r.seq != 0) {
		if (strcmp(r.state, "done") == 0 ||
		    strcmp(r.state, "dead") == 0) {
			log_info("delivery %lld handed out again: it is %s"
			    " (attempt %ld by %s), not run", dseq, r.state,
			    r.attempt, r.owner);
			if (r.state[1] == 'o')
				natsMsg_AckSync(m, NULL, NULL);
			else
				natsMsg_Term(m, NULL);
			return 0;
		}
		/*
		 * Another worker's lease (or ours, on a command still
		 * running here): wait until it ends.  Our own record of a
		 * run not held here is one whose PubAck was lost.
		 */
		if (strcmp(r.state, "run") == 0 && r.until > now &&
		    (strcmp(r.owner, j->owner) != 0 ||
		    held_slot(j, dseq) != -1)) {
			log_info("delivery %lld handed out again: it runs on"
			    " %s (attempt %ld) for %lld ms more, not run",
			    dseq, r.owner, r.attempt, r.until - now);
			natsMsg_NakWithDelay(m, r.until - now +
			    JS_RUN_SLACK_MS, NULL);
			return 0;
		}
		expect = r.seq;
	}
	/*
	 * Our own "run" not held here is a claim whose PubAck was lost (it
	 * started nothing): the same attempt again.  (Or, rarely, a retry
	 * whose "wait" could not be written: then the number repeats.)
	 */
	*attempt = strcmp(r.state, "run") == 0 &&
	    strcmp(r.owner, j->owner) == 0 ? r.attempt : r.attempt + 1;
	s = run_put(j, dseq, "run", *attempt, now + j->lease_ms, expect,
	    run_seq, &jerr);
	if (s == NATS_OK)
		return 1;
	if (jerr == JSStreamWrongLastSequenceErr) {
		log_info("delivery %lld: another worker took it first, not"
		    " run", dseq);
		natsMsg_NakWithDelay(m, JS_RUN_RETRY_MS, NULL);
		return 0;
	}
	nats_reason(err, errlen, "cannot write the run record", s, jerr);
	natsMsg_NakWithDelay(m, JS_RUN_RETRY_MS, NULL);
	return -1;
}

int
jetstream_claim(struct jetstream *j, long long now_ms, long wait_ms,
    const char *owner, struct ledger_job *job, char *err, size_t errlen)
{
	natsMsgList	 list = { NULL, 0 };
	jsMsgMetaData	*meta = NULL;
	jsErrCode	 jerr = 0;
	natsMsg		*m;
	natsStatus	 s;
	long long	 run_seq = 0, t0 = mono_ms();
	long		 attempt = 0;
	int		 slot, i, batch, rc;

	snprintf(j->owner, sizeof(j->owner), "%s", owner);
	for (slot = 0; slot < JS_HELD; slot++)
		if (j->held[slot].msg == NULL)
			break;
	if (slot == JS_HELD) {
		snprintf(err, errlen, "more than %d deliveries held", JS_HELD);
		return -1;
	}
	/*
	 * As many as the worker has free slots, in one pull: it starts
	 * them all at once, so none waits while its AckWait (the lease)
	 * runs.
	 */
	if (j->nready == 0) {
		for (i = 0, batch = j->slots; i < JS_HELD; i++)
			if (j->held[i].msg != NULL)
				batch--;
		s = natsSubscription_Fetch(&list, j->sub, batch > 0 ? batch : 1,
		    wait_ms > 0 ? wait_ms : 1, &jerr);
		if (s == NATS_TIMEOUT || (s == NATS_OK && list.Count == 0)) {
			natsMsgList_Destroy(&list);
			return 0;
		}
		if (s != NATS_OK) {
			natsMsgList_Destroy(&list);
			nats_reason(err, errlen, "cannot fetch from the"
			    " consumer", s, jerr);
			return -1;
		}
		/* Kept newest last; taken from the end, oldest first. */
		for (i = list.Count - 1; i >= 0 && j->nready < JS_HELD; i--) {
			j->ready[j->nready++] = list.Msgs[i];
			list.Msgs[i] = NULL;
		}
		natsMsgList_Destroy(&list);
	}
	while (j->nready > 0) {
		m = j->ready[--j->nready];
		j->ready[j->nready] = NULL;
		meta = NULL;
		if (natsMsg_GetMetaData(&meta, m) != NATS_OK ||
		    job_from_msg(m, meta, job) == -1) {
			/* Not a delivery (or no memory): never run it. */
			snprintf(err, errlen, "message on '%s' is not a"
			    " delivery: terminated", natsMsg_GetSubject(m));
			ledger_job_release(job);
			jsMsgMetaData_Destroy(meta);
			natsMsg_Term(m, NULL);
			natsMsg_Destroy(m);
			return -1;
		}
		jsMsgMetaData_Destroy(meta);
		/* Runs only under its run record: else settled, next. */
		if ((rc = run_take(j, m, job->rowid, now_ms + mono_ms() - t0,
		    &attempt, &run_seq, err, errlen)) != 1) {
			ledger_job_release(job);
			natsMsg_Destroy(m);
			if (rc == -1)
				return -1;
			continue;
		}
		job->attempt = attempt;
		j->held[slot].seq = job->rowid;
		j->held[slot].attempt = attempt;
		j->held[slot].run_seq = run_seq;
		j->held[slot].msg = m;
		return 1;
	}
	return 0;
}

static void
held_drop(struct jetstream *j, int slot)
{
	natsMsg_Destroy(j->held[slot].msg);
	j->held[slot].msg = NULL;
	j->held[slot].seq = 0;
}

/* Keeps a dead delivery findable: <dead>.<seq> = what happened. */
static int
record_dead(struct jetstream *j, natsMsg *orig, long long seq, long attempt,
    const struct ledger_outcome *o, long long now_ms, char *err,
    size_t errlen)
{
	static const char *const copy[] = {
		"Webhook-Endpoint", "Webhook-Id", "Webhook-Provider",
		"Webhook-Event", "Webhook-Received-At",
	};
	natsMsg		*m = NULL;
	jsPubAck	*pa = NULL;
	jsErrCode	 jerr = 0;
	const char	*v, *text = o->error != NULL ? o->error : "";
	char		 subj[96], num[32];
	size_t		 i;
	natsStatus	 s;

	snprintf(subj, sizeof(subj), "%s.%lld", j->dead, seq);
	if (natsMsg_Create(&m, subj, NULL, text, (int)strlen(text)) !=
	    NATS_OK) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < sizeof(copy) / sizeof(copy[0]); i++)
		if (natsMsgHeader_Get(orig, copy[i], &v) == NATS_OK &&
		    v != NULL)
			natsMsgHeader_Set(m, copy[i], v);
	snprintf(num, sizeof(num), "%lld", seq);
	natsMsgHeader_Set(m, "Webhook-Seq", num);
	snprintf(num, sizeof(num), "%lld", now_ms);
	natsMsgHeader_Set(m, "Webhook-Finished-At", num);
	snprintf(num, sizeof(num), "%ld", attempt);
	natsMsgHeader_Set(m, "Webhook-Attempts", num);
	if (o->has_exit) {
		snprintf(num, sizeof(num), "%d", o->exit_status);
		natsMsgHeader_Set(m, "Webhook-Exit", num);
	}
	s = js_PublishMsg(&pa, j->js, m, NULL, &jerr);
	natsMsg_Destroy(m);
	jsPubAck_Destroy(pa);
	if (s != NATS_OK) {
		nats_reason(err, errlen, "cannot record the dead delivery", s,
		    jerr);
		return -1;
	}
	return 0;
}

int
jetstream_finish(struct jetstream *j, long long rowid,
    const struct ledger_outcome *o, long long now_ms, char *err,
    size_t errlen)
{
	jsErrCode	 jerr = 0;
	natsStatus	 s = NATS_OK;
	long long	 delay;
	int		 slot;

	if ((slot = held_slot(j, rowid)) == -1)
		return 1;
	switch (o->state) {
	case LEDGER_DONE:
		run_final(j, slot, "done");
		s = natsMsg_AckSync(j->held[slot].msg, NULL, &jerr);
		break;
	case LEDGER_QUEUED:
		run_release(j, slot);
		delay = o->at_ms - now_ms;
		s = natsMsg_NakWithDelay(j->held[slot].msg, delay > 0 ? delay :
		    0, NULL);
		break;
	case LEDGER_DEAD:
		/* Without its record a dead delivery would be lost: retry. */
		if (record_dead(j, j->held[slot].msg, rowid,
		    j->held[slot].attempt, o, now_ms, err, errlen) == -1) {
			natsMsg_NakWithDelay(j->held[slot].msg, 1000, NULL);
			held_drop(j, slot);
			return -1;
		}
		run_final(j, slot, "dead");
		s = natsMsg_Term(j->held[slot].msg, NULL);
		break;
	}
	held_drop(j, slot);
	if (s != NATS_OK) {
		nats_reason(err, errlen, "cannot settle the message", s,
		    jerr);
		return -1;
	}
	return 0;
}

int
jetstream_unclaim(struct jetstream *j, long long rowid, char *err,
    size_t errlen)
{
	natsStatus	 s;
	int		 slot;

	if ((slot = held_slot(j, rowid)) == -1)
		return 1;
	run_release(j, slot);
	s = natsMsg_Nak(j->held[slot].msg, NULL);
	held_drop(j, slot);
	if (s != NATS_OK) {
		nats_reason(err, errlen, "cannot give the message back", s, 0);
		return -1;
	}
	return 0;
}

/* ---- webhookctl's view -------------------------------------------------- */


/* First and last sequence of a stream; 0 and -1 when it is empty. */
static int
stream_range(struct jetstream *j, const char *name, uint64_t *first,
    uint64_t *last, uint64_t *msgs, char *err, size_t errlen)
{
	jsStreamInfo	*si = NULL;
	natsStatus	 s;

	if ((s = stream_info(j, name, mono_ms() + JS_API_WAIT_MS,
	    JS_API_WAIT_MS, &si, err, errlen)) != NATS_OK) {
		if (s == NATS_NOT_FOUND)
			snprintf(err, errlen, "cannot look at the stream:"
			    " stream '%s' not found", name);
		return -1;
	}
	*first = si->State.FirstSeq;
	*last = si->State.LastSeq;
	if (msgs != NULL)
		*msgs = si->State.Msgs;
	jsStreamInfo_Destroy(si);
	return 0;
}

/* The row of a stored delivery; body only with with_body. */
static void
row_of(natsMsg *m, long long seq, int with_body, struct ledger_row *r)
{
	const char	*data = natsMsg_GetData(m), *nl = NULL;
	size_t		 len = (size_t)natsMsg_GetDataLength(m);

	memset(r, 0, sizeof(*r));
	r->rowid = seq;
	r->endpoint = hdr(m, "Webhook-Endpoint");
	r->delivery_id = hdr(m, "Webhook-Id");
	r->provider = hdr(m, "Webhook-Provider");
	r->event = hdr(m, "Webhook-Event");
	r->received_at = hdr_num(m, "Webhook-Received-At");
	r->body_sha256 = hdr(m, "Webhook-Body-Sha256");
	r->headers = "{}";
	r->headers_len = 2;
	if (data != NULL && (nl = memchr(data, '\n', len)) != NULL) {
		r->headers = data;
		r->headers_len = (size_t)(nl - data);
		r->body_len = len - r->headers_len - 1;
		if (with_body)
			r->body = nl + 1;
	}
}

/* Dead records, newest first: fn(arg, record, original seq). */
static int
each_dead(struct jetstream *j, int (*fn)(void *, natsMsg *, long long),
    void *arg, char *err, size_t errlen)
{
	natsMsg		*m;
	jsErrCode	 jerr;
	uint64_t	 first, last, seq;
	int		 rc = 0, n = 0;

	if (stream_range(j, j->dead, &first, &last, NULL, err, errlen) == -1)
		return -1;
	for (seq = last; rc == 0 && seq >= first && seq > 0 &&
	    n < JETSTREAM_SCAN; seq--, n++) {
		jerr = 0;
		if (js_GetMsg(&m, j->js, j->dead, seq, NULL, &jerr) != NATS_OK)
			continue;	/* purged: retried meanwhile */
		rc = fn(arg, m, hdr_num(m, "Webhook-Seq"));
		natsMsg_Destroy(m);
	}
	return rc;
}

struct dead_set {
	long long	*seqs;
	size_t		 n, cap;
};

static int
dead_collect(void *arg, natsMsg *m, long long seq)
{
	struct dead_set	*d = arg;
	long long	*p;

	(void)m;
	if (d->n == d->cap) {
		d->cap = d->cap == 0 ? 64 : d->cap * 2;
		if ((p = reallocarray(d->seqs, d->cap, sizeof(*p))) == NULL)
			return -1;
		d->seqs = p;
	}
	d->seqs[d->n++] = seq;
	return 0;
}

static int
dead_has(const struct dead_set *d, long long seq)
{
	size_t	 i;

	for (i = 0; i < d->n; i++)
		if (d->seqs[i] == seq)
			return 1;
	return 0;
}

/* How far the consumer has acknowledged everything; 0 without one. */
static uint64_t
ack_floor(struct jetstream *j)
{
	jsConsumerInfo	*ci = NULL;
	jsErrCode	 jerr = 0;
	uint64_t	 floor;

	if (js_GetConsumerInfo(&ci, j->js, j->stream, JS_CONSUMER, NULL,
	    &jerr) != NATS_OK)
		return 0;
	floor = ci->AckFloor.Stream;
	jsConsumerInfo_Destroy(ci);
	return floor;
}

struct lister {
	struct jetstream		*j;
	const struct ledger_query	*q;
	int				(*fn)(void *, const struct ledger_row *);
	void				*arg;
	char				*err;
	size_t				 errlen;
};

static int
match(const struct ledger_query *q, const struct ledger_row *r)
{
	if (q->endpoint != NULL && strcmp(q->endpoint, r->endpoint) != 0)
		return 0;
	if (q->delivery_id != NULL && strcmp(q->delivery_id,
	    r->delivery_id) != 0)
		return 0;
	if (q->state != NULL && strcmp(q->state, r->state) != 0)
		return 0;
	return !(q->not_done && strcmp(r->state, "done") == 0);
}

/* --state dead: from the dead records, with the original's headers. */
static int
list_dead_one(void *arg, natsMsg *d, long long seq)
{
	struct lister		*l = arg;
	struct ledger_row	 r;
	natsMsg			*m = NULL;
	jsErrCode		 jerr = 0;
	int			 rc;

	if (js_GetMsg(&m, l->j->js, l->j->stream, (uint64_t)seq, NULL,
	    &jerr) != NATS_OK)
		m = NULL;
	if (m != NULL)
		row_of(m, seq, l->q->with_body, &r);
	else {
		memset(&r, 0, sizeof(r));
		r.rowid = seq;
		r.endpoint = hdr(d, "Webhook-Endpoint");
		r.delivery_id = hdr(d, "Webhook-Id");
		r.provider = hdr(d, "Webhook-Provider");
		r.event = hdr(d, "Webhook-Event");
		r.received_at = hdr_num(d, "Webhook-Received-At");
		r.headers = "{}";
		r.headers_len = 2;
		r.body_pruned = 1;
		r.body_sha256 = "";
	}
	r.state = "dead";
	r.attempts = hdr_num(d, "Webhook-Attempts");
	r.finished_at = hdr_num(d, "Webhook-Finished-At");
	if (hdr(d, "Webhook-Exit")[0] != '\0') {
		r.has_exit = 1;
		r.last_exit = (int)hdr_num(d, "Webhook-Exit");
	}
	r.last_error = natsMsg_GetDataLength(d) > 0 ? natsMsg_GetData(d) :
	    NULL;
	rc = match(l->q, &r) ? l->fn(l->arg, &r) : 0;
	natsMsg_Destroy(m);
	return rc;
}

int
jetstream_list(struct jetstream *j, const struct ledger_query *q,
    int (*fn)(void *, const struct ledger_row *), void *arg, char *err,
    size_t errlen)
{
	struct lister		 l = { j, q, fn, arg, err, errlen };
	struct dead_set		 dead = { NULL, 0, 0 };
	struct ledger_row	 r;
	natsMsg			*m;
	jsErrCode		 jerr;
	uint64_t		 first, last, seq, floor;
	int			 rc = 0, n = 0;

	if (q->state != NULL && strcmp(q->state, "dead") == 0)
		return each_dead(j, list_dead_one, &l, err, errlen);
	if (each_dead(j, dead_collect, &dead, err, errlen) == -1 ||
	    stream_range(j, j->stream, &first, &last, NULL, err, errlen) ==
	    -1) {
		free(dead.seqs);
		return -1;
	}
	floor = ack_floor(j);
	for (seq = last; rc == 0 && seq >= first && seq > 0 &&
	    n < JETSTREAM_SCAN; seq--, n++) {
		jerr = 0;
		if (js_GetMsg(&m, j->js, j->stream, seq, NULL, &jerr) !=
		    NATS_OK)
			continue;
		row_of(m, (long long)seq, q->with_body, &r);
		r.state = dead_has(&dead, (long long)seq) ? "dead" :
		    seq <= floor ? "done" : "queued";
		if (match(q, &r))
			rc = fn(arg, &r);
		natsMsg_Destroy(m);
	}
	free(dead.seqs);
	return rc;
}

int
jetstream_stats(struct jetstream *j,
    int (*fn)(void *, const struct ledger_count *), void *arg, char *err,
    size_t errlen)
{
	struct ledger_count	 c;
	jsConsumerInfo		*ci = NULL;
	jsErrCode		 jerr = 0;
	uint64_t		 first, last, msgs, dmsgs;
	long long		 n[4];
	const char		*names[4] = { "queued", "running", "done",
				    "dead" };
	int			 i, rc = 0;

	if (stream_range(j, j->stream, &first, &last, &msgs, err, errlen) ==
	    -1 || stream_range(j, j->dead, &first, &last, &dmsgs, err,
	    errlen) == -1)
		return -1;
	memset(n, 0, sizeof(n));
	if (js_GetConsumerInfo(&ci, j->js, j->stream, JS_CONSUMER, NULL,
	    &jerr) == NATS_OK) {
		n[0] = (long long)ci->NumPending;
		n[1] = ci->NumAckPending;
		jsConsumerInfo_Destroy(ci);
	} else
		n[0] = (long long)msgs;
	n[3] = (long long)dmsgs;
	n[2] = (long long)msgs - n[0] - n[1] - n[3];
	if (n[2] < 0)
		n[2] = 0;
	for (i = 0; rc == 0 && i < 4; i++) {
		if (n[i] == 0)
			continue;
		memset(&c, 0, sizeof(c));
		c.endpoint = "*";
		c.state = names[i];
		c.count = n[i];
		rc = fn(arg, &c);
	}
	return rc;
}

struct requeue {
	struct jetstream	*j;
	const char		*endpoint;
	const char		*delivery_id;	/* NULL: every dead one */
	long long		 now_ms;
	long long		 count;
	char			*err;
	size_t			 errlen;
};

/* Republishes the original of a dead record, then drops the record. */
static int
requeue_one(void *arg, natsMsg *d, long long seq)
{
	struct requeue	*t = arg;
	jsOptions	 o;
	jsPubAck	*pa = NULL;
	jsErrCode	 jerr = 0;
	natsMsg		*m = NULL, *copy = NULL;
	const char	**keys = NULL, *v;
	char		 subj[128];
	int		 nkeys = 0, i, rc = -1;
	natsStatus	 s;

	if (t->endpoint != NULL && strcmp(t->endpoint,
	    hdr(d, "Webhook-Endpoint")) != 0)
		return 0;
	if (t->delivery_id != NULL && strcmp(t->delivery_id,
	    hdr(d, "Webhook-Id")) != 0)
		return 0;
	if ((s = js_GetMsg(&m, t->j->js, t->j->stream, (uint64_t)seq, NULL,
	    &jerr)) != NATS_OK) {
		nats_reason(t->err, t->errlen, "the dead delivery left the"
		    " stream (past dedupe_window)", s, jerr);
		return -1;
	}
	snprintf(subj, sizeof(subj), "%s.r.%lld.%lld", t->j->stream, seq,
	    t->now_ms);
	if (natsMsg_Create(&copy, subj, NULL, natsMsg_GetData(m),
	    natsMsg_GetDataLength(m)) != NATS_OK ||
	    natsMsgHeader_Keys(m, &keys, &nkeys) != NATS_OK) {
		snprintf(t->err, t->errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < nkeys; i++)
		if (strncmp(keys[i], "Webhook-", 8) == 0 &&
		    natsMsgHeader_Get(m, keys[i], &v) == NATS_OK)
			natsMsgHeader_Set(copy, keys[i], v);
	if ((s = js_PublishMsg(&pa, t->j->js, copy, NULL, &jerr)) !=
	    NATS_OK) {
		nats_reason(t->err, t->errlen, "cannot queue it again", s,
		    jerr);
		goto out;
	}
	jsOptions_Init(&o);
	o.Stream.Purge.Subject = natsMsg_GetSubject(d);
	if ((s = js_PurgeStream(t->j->js, t->j->dead, &o, &jerr)) != NATS_OK)
		log_warnx("requeued, but its dead record stays: %s",
		    natsStatus_GetText(s));
	t->count++;
	rc = t->delivery_id != NULL ? 1 : 0;
out:
	free((void *)keys);
	jsPubAck_Destroy(pa);
	natsMsg_Destroy(copy);
	natsMsg_Destroy(m);
	return rc;
}

int
jetstream_requeue(struct jetstream *j, const char *endpoint,
    const char *delivery_id, long long now_ms, char *err, size_t errlen)
{
	struct requeue	 t = { j, endpoint, delivery_id, now_ms, 0, err,
			    errlen };
	int		 rc;

	if ((rc = each_dead(j, requeue_one, &t, err, errlen)) == -1)
		return -1;
	return t.count > 0 ? 1 : 0;
}

int
jetstream_requeue_dead(struct jetstream *j, const char *endpoint,
    long long now_ms, long long *count, char *err, size_t errlen)
{
	struct requeue	 t = { j, endpoint, NULL, now_ms, 0, err, errlen };
	int		 rc;

	rc = each_dead(j, requeue_one, &t, err, errlen);
	*count = t.count;
	return rc == -1 ? -1 : 0;
}
