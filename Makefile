# webhook-fcgi: one static library (common/), one small binary per
# provider (handlers/), tools on top.  GNU make; libraries via pkg-config.
#
#   make          build everything into build/
#   make check    install what is missing, then every test (see README)
#   make run      install what is missing, build, serve on 127.0.0.1:8080
#   make install  PREFIX=/usr/local DESTDIR=

VERSION   = 0.1
PREFIX   ?= /usr/local
CGIDIR   ?= $(PREFIX)/lib/cgi-bin/webhook-fcgi
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DATADIR  ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
BUILD    ?= build

CC       ?= cc
CFLAGS   ?= -O2 -g
PKGS      = fcgi libcrypto json-c sqlite3 inih libseccomp libnats
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null || \
	echo -lfcgi -lcrypto -ljson-c -lsqlite3 -linih -lseccomp -lnats)
WARN      = -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Wshadow -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla -Wwrite-strings
HARDEN    = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -DVERSION='"$(VERSION)"' $(WARN) \
	$(HARDEN) $(CFLAGS) $(SANITIZE) -iquote common $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS) $(SANITIZE)

COMMON    = buf config counters dlog hmac jetstream json ledger log parse \
	redact request respond sandbox send serve spawn store verify
# Every handlers/<name>.c is a provider: adding one needs no edit here.
HANDLERS  = $(sort $(basename $(notdir $(wildcard handlers/*.c))))
UNITS     = buf parse json hmac config verify dlog ledger redact request

# Tools appear as their sources land; webhookctl is one main plus one
# file per verb (tools/ctl-<verb>.c), and links libcurl for send/replay.
WORKER    = $(if $(wildcard tools/webhook-worker.c),$(BUILD)/bin/webhook-worker)
CTL_SRCS  = $(wildcard tools/ctl-*.c)
CTL       = $(if $(wildcard tools/webhookctl.c),$(BUILD)/bin/webhookctl)
CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)

LIB       = $(BUILD)/libwebhook.a
LIB_OBJS  = $(COMMON:%=$(BUILD)/obj/common/%.o)
CGI       = $(HANDLERS:%=$(BUILD)/cgi-bin/%.fcgi)
UNIT_BINS = $(UNITS:%=$(BUILD)/tests/test-%)
HELPERS   = $(BUILD)/helpers/fcgi-echo $(BUILD)/helpers/fcgi-client \
	$(BUILD)/helpers/hmac-sign $(BUILD)/helpers/sandbox-probe \
	$(BUILD)/helpers/sign-many $(BUILD)/helpers/bench-counters \
	$(BUILD)/helpers/ledger-fill $(BUILD)/helpers/ledger-sweep

STORE ?= sqlite

.PHONY: run-cluster all check test unit integration asan lint run serve install clean \
	deps-run deps-check bench fuzz fuzz-smoke fuzz-build fuzzers soak deb

# The operators' programs, behind the same web server: metrics.fcgi
# (Prometheus) and console.fcgi (the delivery console).
OPS       = $(patsubst tools/%-fcgi.c,$(BUILD)/cgi-bin/%.fcgi,\
	$(wildcard tools/*-fcgi.c))

all: $(CGI) $(OPS) $(WORKER) $(CTL)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The descriptors again, without main(), for webhookctl and the tests.
$(BUILD)/obj/providers/%.o: handlers/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DPROVIDER_ONLY -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

# STATIC_LIBS=1 links the handlers statically (-static), libc included,
# and as position-dependent executables (-no-pie).  In CGI mode, where
# every request starts a process, that saves the dynamic linking of
# OpenSSL and SQLite, loading libc and libm, and the start-up writes
# that a position-independent program still makes: relocating the
# pointers in OpenSSL's method tables, a copy-on-write page fault for
# each of 95 pages (README, "Per-request cost").  The price: a rebuild
# for every security update of those libraries and of libc; the code at
# a fixed address (the stack and heap stay randomised; the seccomp
# filter binds as before); and no store = nats, whose client library
# cannot be loaded into a static program (jetstream.c says so).  The
# linker warns that OpenSSL's BIO_lookup and libfcgi's socket set-up
# would need glibc's NSS at run time: handlers call neither.  FastCGI
# gains nothing.
#
# Neither links libnats: common/jetstream.c loads it (dlopen) when an
# endpoint's store = nats, so that the many handlers on the SQLite
# ledger do not map it, libssl and libprotobuf-c on every CGI request.
ifeq ($(STATIC_LIBS),1)
HANDLER_LIBS = -lfcgi -lcrypto -ljson-c -lsqlite3 -linih -lseccomp -lm \
	-pthread -ldl
HANDLER_LDFLAGS = $(filter-out -pie,$(ALL_LDFLAGS)) -static -no-pie
else
HANDLER_LIBS = $(filter-out -lnats,$(PKG_LIBS)) -ldl
HANDLER_LDFLAGS = $(ALL_LDFLAGS)
endif

# The library jetstream.c loads: the one its header came with.
NATS_SONAME := $(shell objdump -p "$$(pkg-config --variable=libdir \
	libnats 2>/dev/null)/libnats.so" 2>/dev/null | \
	awk '$$1 == "SONAME" { print $$2 }')
$(BUILD)/obj/common/jetstream.o: ALL_CFLAGS += \
	$(if $(NATS_SONAME),-DNATS_SONAME='"$(NATS_SONAME)"')

$(BUILD)/cgi-bin/%.fcgi: $(BUILD)/obj/handlers/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(HANDLER_LDFLAGS) -o $@ $< $(LIB) $(HANDLER_LIBS)

# Where the console finds webhookctl and its assets once installed.
$(BUILD)/obj/tools/console-fcgi.o: ALL_CFLAGS += \
	-DCTL_PATH='"$(BINDIR)/webhookctl"' \
	-DASSETS_DIR='"$(DATADIR)/webhook-fcgi/console"'

$(BUILD)/cgi-bin/%.fcgi: $(BUILD)/obj/tools/%-fcgi.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

$(BUILD)/bin/webhook-worker: $(BUILD)/obj/tools/webhook-worker.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

PROVIDER_OBJS = $(HANDLERS:%=$(BUILD)/obj/providers/%.o)

$(BUILD)/bin/webhookctl: $(BUILD)/obj/tools/webhookctl.o \
    $(CTL_SRCS:%.c=$(BUILD)/obj/%.o) $(PROVIDER_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(PKG_LIBS) \
		$(CURL_LIBS)

$(BUILD)/tests/test-%: $(BUILD)/obj/tests/unit/test-%.o $(PROVIDER_OBJS) \
    $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(PROVIDER_OBJS) $(LIB) $(PKG_LIBS) \
		$$(pkg-config --libs cmocka)

$(BUILD)/helpers/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(PKG_LIBS)

# These two link the library: one enters the handlers' sandbox, the
# other times the counters.
$(BUILD)/helpers/sandbox-probe $(BUILD)/helpers/bench-counters \
    $(BUILD)/helpers/nats-fill $(BUILD)/helpers/ledger-fill \
    $(BUILD)/helpers/ledger-sweep: \
    $(BUILD)/helpers/%: tests/helpers/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

# The two commands of the README.  Each first installs what is missing,
# then runs make again so that pkg-config sees the new libraries.
check: deps-check
	@$(MAKE) --no-print-directory test

run: deps-run
	@$(MAKE) --no-print-directory serve

deps-run:
	@sh scripts/deps.sh run

deps-check:
	@sh scripts/deps.sh check

# Figures, not checks: bench/RESULTS.md.  Never part of `make check`.
bench:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(HELPERS)
	@bash bench/bench.sh

test: lint unit fuzz-smoke integration asan

unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

integration: all $(HELPERS)
	@sh tests/run-integration.sh

# The unit and integration tests again, under ASan and UBSan.
asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan \
		SANITIZE='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
		CFLAGS='-O1 -g' unit integration-asan

integration-asan: all $(HELPERS)
	@WEBHOOK_BUILD=$(BUILD) sh tests/run-integration.sh asan

# libFuzzer targets (tests/fuzz/fuzz-<parser>.c), built with clang, ASan
# and UBSan into $(BUILD)/fuzz.  `fuzz` runs each for FUZZ_SECONDS and
# keeps new inputs in $(BUILD)/fuzz/work; `fuzz-smoke` (part of `test`)
# replays every corpus file, then fuzzes each target FUZZ_SMOKE_SECONDS.
FUZZERS   = signature hex base64 form json request config parse pubkey url
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_CC  ?= clang
FUZZ_SAN  = -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer

fuzz: fuzz-build
	@sh tests/fuzz/run.sh fuzz $(FUZZ_SECONDS) $(BUILD)/fuzz/fuzzers \
		$(FUZZERS)

fuzz-smoke: fuzz-build
	@sh tests/fuzz/run.sh smoke $(FUZZ_SMOKE_SECONDS) \
		$(BUILD)/fuzz/fuzzers $(FUZZERS)

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzz CC=$(FUZZ_CC) \
		SANITIZE='$(FUZZ_SAN)' CFLAGS='-O1 -g' fuzzers

fuzzers: $(FUZZERS:%=$(BUILD)/fuzzers/fuzz-%)

$(BUILD)/fuzzers/fuzz-%: tests/fuzz/fuzz-%.c $(PROVIDER_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $(ALL_LDFLAGS) -o $@ $< \
		$(PROVIDER_OBJS) $(LIB) $(PKG_LIBS)

# The load test at full size (tests/RELIABILITY.md); LOAD_N overrides.
soak: all $(HELPERS)
	@LOAD_N=$${LOAD_N:-20000} ONLY=t4050 sh tests/run-integration.sh

lint:
	@sh tests/lint.sh

serve: all
	@STORE=$(STORE) sh scripts/run.sh

# The demo on a local 3-node NATS JetStream cluster (store = nats).
run-cluster: deps-run
	@$(MAKE) --no-print-directory serve STORE=nats

# Handlers where Debian keeps CGI programs (with PREFIX=/usr), tools,
# man pages, the sample configuration (never over a real one), the
# sample events of webhookctl send, the systemd units, a logrotate
# configuration, and each web server's snippet where that server looks
# for it (every www/<server>/ file also goes to $(DATADIR)/webhook-fcgi/).
# The Debian package installs exactly this (debian/rules runs it).
# Snippets and units name the programs' paths: they are rewritten to
# CGIDIR and BINDIR, which they already are with PREFIX=/usr.
MAN1      = $(wildcard man/*.1)
MAN5      = $(wildcard man/*.5)
MAN8      = $(wildcard man/*.8)
SYSTEMD_UNITS = $(wildcard dist/systemd/*.socket dist/systemd/*.service)
WWW_SERVERS = $(notdir $(wildcard www/apache www/lighttpd www/nginx www/caddy))
NGINX_SNIPPET = $(wildcard www/nginx/webhook-fcgi.conf)
INSTALL_SED = sed -e 's|/usr/lib/cgi-bin/webhook-fcgi|$(CGIDIR)|g' \
	-e 's|/usr/bin/webhook-|$(BINDIR)/webhook-|g'

install: all
	install -d -m 755 $(DESTDIR)$(CGIDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/webhook-fcgi
	install -m 755 $(CGI) $(OPS) $(DESTDIR)$(CGIDIR)/
	$(if $(wildcard $(WORKER) $(CTL)),install -m 755 \
		$(wildcard $(WORKER) $(CTL)) $(DESTDIR)$(BINDIR)/)
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/)
	$(if $(MAN8),install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/)
	install -m 644 www/examples/webhooks.conf \
		$(DESTDIR)$(SYSCONFDIR)/webhook-fcgi/webhooks.conf.example
	install -d -m 755 $(DESTDIR)$(DATADIR)/webhook-fcgi/console
	install -m 644 www/console/console.css www/console/console.js \
		$(DESTDIR)$(DATADIR)/webhook-fcgi/console/
	for d in tools/samples/*/; do \
		p=$$(basename "$$d"); \
		install -d -m 755 $(DESTDIR)$(DATADIR)/webhook-fcgi/samples/$$p && \
		install -m 644 "$$d"* \
		    $(DESTDIR)$(DATADIR)/webhook-fcgi/samples/$$p/ || exit 1; \
	done
	$(if $(SYSTEMD_UNITS),install -d -m 755 $(DESTDIR)$(SYSTEMDDIR))
	for f in $(SYSTEMD_UNITS); do \
		$(INSTALL_SED) "$$f" >$(DESTDIR)$(SYSTEMDDIR)/$${f##*/} && \
		chmod 644 $(DESTDIR)$(SYSTEMDDIR)/$${f##*/} || exit 1; \
	done
	install -d -m 755 $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 644 dist/logrotate/webhook-fcgi \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/webhook-fcgi
	for s in $(WWW_SERVERS); do \
		install -d -m 755 $(DESTDIR)$(DATADIR)/webhook-fcgi/www/$$s && \
		for f in www/$$s/*; do \
			$(INSTALL_SED) "$$f" \
			    >$(DESTDIR)$(DATADIR)/webhook-fcgi/www/$$s/$${f##*/} && \
			chmod 644 $(DESTDIR)$(DATADIR)/webhook-fcgi/www/$$s/$${f##*/} \
			    || exit 1; \
		done; \
	done
	$(call install_snippet,www/apache/fcgid.conf,apache2/conf-available,webhook-fcgi.conf)
	$(call install_snippet,www/lighttpd/fastcgi.conf,lighttpd/conf-available,50-webhook-fcgi.conf)
	$(if $(NGINX_SNIPPET),$(call install_snippet,$(NGINX_SNIPPET),nginx/snippets,webhook-fcgi.conf))

# install_snippet,SOURCE,DIR,NAME: SOURCE as $(SYSCONFDIR)/DIR/NAME.
install_snippet = install -d -m 755 $(DESTDIR)$(SYSCONFDIR)/$(2) && \
	$(INSTALL_SED) $(1) >$(DESTDIR)$(SYSCONFDIR)/$(2)/$(3) && \
	chmod 644 $(DESTDIR)$(SYSCONFDIR)/$(2)/$(3)

# The Debian package, $(BUILD)/webhook-fcgi_$(VERSION)_<arch>.deb, built
# by dpkg-buildpackage from debian/ and checked by lintian (README,
# "Debian package").
deb:
	@sh scripts/deps.sh deb
	@sh scripts/deb.sh $(BUILD) $(VERSION)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
