# drilld - build, test, run, install.
#
#   make run     install missing Debian packages, build, practise in the terminal
#   make test    install missing Debian packages, build, run every test, then the
#                whole suite again built with ASan+UBSan
#   make SAN=1   the sanitizer build (in build-san/)

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
SBINDIR  = $(PREFIX)/sbin
DATADIR  = $(PREFIX)/share/drilld
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system

CC      = gcc
PKGS    = libuv libwebsockets libcurl json-c libconfig sqlite3 libutf8proc
DEBS    = libuv1-dev libwebsockets-dev libwebsockets-evlib-uv libcurl4-openssl-dev \
          libjson-c-dev libconfig-dev libsqlite3-dev libcmocka-dev pkg-config \
          libutf8proc-dev sqlite3 curl openssl python3 tzdata

ifeq ($(SAN),1)
B       = build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT     = -O1 -g
else
B       = build
SANFLAGS =
OPT     = -O2 -g
endif

WARN    = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
          -Wpointer-arith -Wvla -Werror
CFLAGS  ?= $(OPT)
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
          -fstack-protector-strong -Iinclude $(SANFLAGS) $(CFLAGS) \
          $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
TESTLIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

MAINS   = src/drilld.c src/drillctl.c
LIBSRCS = $(filter-out $(MAINS),$(wildcard src/*.c))
LIBOBJS = $(LIBSRCS:src/%.c=$(B)/obj/%.o)
FAKESRCS = $(wildcard tests/fakes/*.c)
FAKEOBJS = $(FAKESRCS:tests/fakes/%.c=$(B)/obj/fakes/%.o)
UNITSRCS = $(wildcard tests/unit/test_*.c)
UNITS   = $(UNITSRCS:tests/unit/%.c=$(B)/tests/%)

.PHONY: all deps run test check unit integration install uninstall clean banned bench eval

all: $(B)/drilld $(B)/drillctl

deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing </dev/null; \
	  else \
	    echo "drilld needs these Debian packages:$$missing"; \
	    echo "run as root: apt-get update && apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

$(B)/obj/%.o: src/%.c $(wildcard include/drill/*.h) | $(B)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libdrill.a: $(LIBOBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/drilld: $(B)/obj/drilld.o $(B)/libdrill.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(B)/drillctl: $(B)/obj/drillctl.o $(B)/libdrill.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

# The fakes that stand in for Slack's and Matrix's servers in tests.
$(B)/obj/fakes/%.o: tests/fakes/%.c $(wildcard tests/fakes/*.h) | $(B)/obj/fakes
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libfakes.a: $(FAKEOBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/tests/%: tests/unit/%.c $(B)/libdrill.a $(B)/libfakes.a $(wildcard include/drill/*.h tests/fakes/*.h) | $(B)/tests
	$(CC) $(ALL_CFLAGS) -Itests/fakes -Wno-missing-prototypes -o $@ $< $(B)/libfakes.a $(B)/libdrill.a $(LIBS) $(TESTLIBS)

$(B)/obj $(B)/obj/fakes $(B)/tests:
	mkdir -p $@

BENCHSRCS = $(wildcard bench/bench_*.c)
BENCHES = $(BENCHSRCS:bench/%.c=$(B)/bench/%)

$(B)/bench/%: bench/%.c $(B)/libdrill.a $(B)/libfakes.a $(wildcard include/drill/*.h tests/fakes/*.h)
	@mkdir -p $(B)/bench
	$(CC) $(ALL_CFLAGS) -Itests/fakes -Wno-missing-prototypes -o $@ $< $(B)/libfakes.a $(B)/libdrill.a $(LIBS)

# Speed and memory figures (bench/README.md records them); not part of test.
bench: deps
	$(MAKE) all $(BENCHES)
	@for b in $(BENCHES); do echo "== $$b"; ./$$b || exit 1; done

# The scorer against answers written for the purpose (tests/eval/eval.c):
# prints the figures and fails when a target of the scorer is missed.
$(B)/eval: tests/eval/eval.c $(B)/libdrill.a $(wildcard include/drill/*.h)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< $(B)/libdrill.a $(LIBS)

eval: deps
	$(MAKE) all $(B)/eval
	./$(B)/eval questions tests/eval/answers-*.json

banned:
	@sh tests/banned.sh src include

# Build and run every test with this build's flags.
check: banned all $(UNITS)
	@sh tests/run.sh $(B)

test: deps
	$(MAKE) check
	$(MAKE) SAN=1 check

# Sub-makes, so that pkg-config runs after deps has installed the packages.
run: deps
	$(MAKE) all
	./$(B)/drilld --console -c config/drilld.conf

install:
	$(MAKE) all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/questions \
	    $(DESTDIR)$(SYSCONFDIR)/drilld
	install -m 0755 $(B)/drilld $(DESTDIR)$(SBINDIR)/drilld
	install -m 0755 $(B)/drillctl $(DESTDIR)$(BINDIR)/drillctl
	install -m 0644 questions/*.json $(DESTDIR)$(DATADIR)/questions/
	install -m 0644 questions/README.md $(DESTDIR)$(DATADIR)/questions/README.md
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	sed -e 's|/usr/local/sbin/drilld|$(SBINDIR)/drilld|g' \
	    -e 's|/etc/drilld/|$(SYSCONFDIR)/drilld/|g' \
	    systemd/drilld.service > $(DESTDIR)$(UNITDIR)/drilld.service
	install -m 0644 systemd/drilld.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/drilld.conf
	install -m 0644 systemd/drilld.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/drilld.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/drilld/drilld.conf || \
	  sed -e 's|^state_dir = .*|state_dir = "/var/lib/drilld";|' \
	      -e 's|^banks = .*|banks = [ "$(DATADIR)/questions" ];|' \
	      config/drilld.conf > $(DESTDIR)$(SYSCONFDIR)/drilld/drilld.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/drilld $(DESTDIR)$(BINDIR)/drillctl
	rm -f $(DESTDIR)$(UNITDIR)/drilld.service $(DESTDIR)$(PREFIX)/lib/sysusers.d/drilld.conf \
	    $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/drilld.conf
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san
