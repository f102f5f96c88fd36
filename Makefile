# sgp: small C filters that keep ERP, support, CRM, billing and
# revenue-recognition platforms in agreement.  See README and man/sgp.7.

VERSION    = 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/sgp
MANPREFIX ?= $(PREFIX)/share/man
DESTDIR   ?=
PKG_CONFIG ?= pkg-config
CC        ?= cc
SHARED    ?= ../shared

# SANITIZE=1 builds everything (and runs the tests) under ASan + UBSan in
# a separate build directory, so both builds can coexist.
SANITIZE  ?=
OPT       ?= -O2
ifeq ($(FUZZ),1)
# FUZZ=1: libcommon built with clang for the libFuzzer harnesses (make fuzz).
CC         = clang
BUILD     ?= build-fuzz
SANFLAGS   = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
OPT        = -O1
else ifeq ($(SANITIZE),1)
BUILD     ?= build-san
SANFLAGS   = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT        = -O1
else
BUILD     ?= build
SANFLAGS   =
endif

PKGS       = jansson libcurl libpcre2-8 sqlite3 libcrypto
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS    ?= -g
ALL_CFLAGS = -std=gnu11 $(OPT) $(CFLAGS) -Wall -Wextra -Wno-unused-parameter \
             -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -D_GNU_SOURCE -DSGP_VERSION='"$(VERSION)"' \
             -DSGP_DATADIR='"$(DATADIR)"' -pthread -Ilibcommon $(PKG_CFLAGS) $(SANFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) -pthread
LIBS       = $(PKG_LIBS) -lcsv -lm

LIB_SRC   := $(wildcard libcommon/*.c)
LIB_OBJ   := $(LIB_SRC:libcommon/%.c=$(BUILD)/obj/%.o)
CMD_SRC   := $(wildcard cmd/sgp-*.c)
BINS      := $(CMD_SRC:cmd/%.c=$(BUILD)/bin/%)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
MAN1      := $(wildcard man/*.1)
MAN5      := $(wildcard man/*.5)
MAN7      := $(wildcard man/*.7)

# Debian packages needed to build, test and run the demo.
DEPS_PKGS = gcc make pkg-config libjansson-dev libcurl4-openssl-dev libcsv-dev \
            libpcre2-dev libsqlite3-dev libssl-dev bats bats-support bats-assert \
            python3 sqlite3 curl
# Extra packages for development work: fuzzing, man lint, benchmarks.
DEV_PKGS  = clang valgrind mandoc shellcheck nginx jq gojq miller time \
            python3-jsonschema

FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/fuzz/%)
FUZZ_SECONDS ?= 60

.PHONY: all check demo fuzz fuzz-build valgrind unit bats deps deps-dev install uninstall bench demo clean lint

all: $(BINS) $(UNIT_BINS) $(BUILD)/lib/sgp-inject.so

# The I/O fault injection shim the tests preload (never installed).
$(BUILD)/lib/sgp-inject.so: tests/faults/inject.c
	@mkdir -p $(@D)
	$(CC) -O1 -g -Wall -Wextra -shared -fPIC -o $@ $< -ldl

# Rebuild everything when the compiler flags change (PREFIX, SANITIZE, ...).
FLAGS_STAMP = $(BUILD)/.flags
$(shell mkdir -p $(BUILD) && echo '$(CC) $(ALL_CFLAGS)' | cmp -s - $(FLAGS_STAMP) || echo '$(CC) $(ALL_CFLAGS)' > $(FLAGS_STAMP))

$(BUILD)/obj/%.o: libcommon/%.c libcommon/*.h $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libcommon.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(BUILD)/bin/%: cmd/%.c $(BUILD)/libcommon.a libcommon/*.h $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcommon.a $(ALL_LDFLAGS) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libcommon.a libcommon/*.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libcommon.a $(ALL_LDFLAGS) $(LIBS)

# make check: install what is missing, build, run every C unit test and
# every bats test, end with "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory all
	@SGP_BUILD=$(BUILD) SGP_SANITIZE=$(SANITIZE) SGP_SHARED=$(SHARED) tests/run.sh

# make demo: the month-end reconciliation on the bundled sample exports
# (contrib/demo): map and validate the billing export, reconcile it against
# the ERP export and the revenue platform's schedules.
DEMO_OUT ?= $(BUILD)/demo
demo: deps
	@$(MAKE) --no-print-directory all
	@PATH="$(CURDIR)/$(BUILD)/bin:$$PATH" SGP_DATADIR="$(CURDIR)" \
	  contrib/pipelines/month-end-reconcile.sh -o $(DEMO_OUT) \
	    contrib/demo/billing-invoices.ndjson contrib/demo/erp-invoices.csv \
	    contrib/demo/revenue-schedules.ndjson; \
	rc=$$?; \
	if [ $$rc -le 1 ]; then \
	  echo; echo "The differences found are the deliberate ones listed in contrib/demo/README."; \
	else exit $$rc; fi

unit: all
	@SGP_BUILD=$(BUILD) SGP_SHARED=$(SHARED) tests/run.sh --unit-only

# make fuzz: every libFuzzer harness for FUZZ_SECONDS each (default 60).
fuzz: deps
	@tests/deps.sh clang
	@$(MAKE) --no-print-directory fuzz-build FUZZ=1
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-build: $(FUZZ_BINS)

build-fuzz/fuzz/%: tests/fuzz/%.c $(BUILD)/libcommon.a libcommon/*.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libcommon.a $(ALL_LDFLAGS) $(LIBS)

# make valgrind: the C unit tests under valgrind's memcheck.
valgrind: all
	@tests/deps.sh valgrind
	@SGP_BUILD=$(BUILD) SGP_SHARED=$(SHARED) SGP_VALGRIND=1 tests/run.sh --unit-only

deps:
	@tests/deps.sh $(DEPS_PKGS)

deps-dev: deps
	@tests/deps.sh $(DEV_PKGS)

bench: deps
	@$(MAKE) --no-print-directory all BUILD=build-bench OPT=-O2 CFLAGS=-g0
	@SGP_BUILD=build-bench SGP_SHARED=$(SHARED) tests/bench/run.sh

lint:
	mandoc -Tlint -Wwarning man/*.[157]
	shellcheck tests/*.sh tests/bench/*.sh contrib/*.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/schemas \
	        $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man5 $(DESTDIR)$(MANPREFIX)/man7
	$(if $(BINS),install -m 755 $(BINS) $(DESTDIR)$(BINDIR))
	cp -R schemas/. $(DESTDIR)$(DATADIR)/schemas/
	for d in profiles mappings; do \
	  if [ -d contrib/$$d ]; then install -d $(DESTDIR)$(DATADIR)/$$d && cp -R contrib/$$d/. $(DESTDIR)$(DATADIR)/$$d/; fi; \
	done
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANPREFIX)/man1)
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANPREFIX)/man5)
	$(if $(MAN7),install -m 644 $(MAN7) $(DESTDIR)$(MANPREFIX)/man7)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BINS)))
	rm -f $(addprefix $(DESTDIR)$(MANPREFIX)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANPREFIX)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(MANPREFIX)/man7/,$(notdir $(MAN7)))
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san
