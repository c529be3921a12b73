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
PKGS    = libuv libwebsockets libcurl json-c libconfig sqlite3 libutf8proc libcrypto
DEBS    = libuv1-dev libwebsockets-dev libwebsockets-evlib-uv libcurl4-openssl-dev \
          libjson-c-dev libconfig-dev libsqlite3-dev libcmocka-dev pkg-config \
          libutf8proc-dev libssl-dev sqlite3 curl openssl python3 tzdata

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

.PHONY: all deps fuzz-deps run test check unit integration install uninstall clean banned bench eval fuzz

all: $(B)/drilld $(B)/drillctl

# Installs the Debian packages in $(1) that are missing: as root with
# apt-get, otherwise it prints the line to run and fails.
define install_debs
missing=""; for p in $(1); do \
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
endef

deps:
	@$(call install_debs,$(DEBS))

# The fuzzers need clang and its libFuzzer runtime; make test does not.
FUZZDEBS = clang libclang-rt-14-dev
fuzz-deps: deps
	@$(call install_debs,$(FUZZDEBS))

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

# Fuzzing (not part of test): every input drilld takes from outside, each
# for FUZZ_SECONDS, clang's libFuzzer with ASan+UBSan, corpora in
# build-fuzz/corpus/ seeded from the repository's own files.
FUZZ_SECONDS ?= 30
FUZZSRCS = $(wildcard fuzz/fuzz_*.c)
FUZZERS = $(FUZZSRCS:fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -Iinclude \
          -fsanitize=address,undefined -fno-sanitize-recover=all \
          $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZOBJS = $(LIBSRCS:src/%.c=build-fuzz/obj/%.o)

build-fuzz/obj/%.o: src/%.c $(wildcard include/drill/*.h)
	@mkdir -p build-fuzz/obj
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build-fuzz/libdrill.a: $(FUZZOBJS)
	rm -f $@ && ar rcs $@ $^

build-fuzz/fuzz_%: fuzz/fuzz_%.c build-fuzz/libdrill.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build-fuzz/libdrill.a $(LIBS)

fuzz: fuzz-deps
	$(MAKE) $(FUZZERS)
	@set -e; for f in $(FUZZERS); do \
	  n=$$(basename $$f); c=build-fuzz/corpus/$$n; mkdir -p $$c; \
	  case $$n in \
	  fuzz_json|fuzz_bank) cp tests/data/mini.json questions/*.json $$c/ ;; \
	  fuzz_csv) cp tests/data/import-*.csv $$c/ ;; \
	  fuzz_tz) for z in Europe/Berlin America/New_York Asia/Kolkata Australia/Lord_Howe; do \
	    cp /usr/share/zoneinfo/$$z $$c/$$(echo $$z | tr / _); done ;; \
	  fuzz_ics) cp tests/data/holiday-*.ics $$c/ ;; \
	  fuzz_cron) printf '30 9 * * mon-fri' > $$c/a; printf '*/15 0-6,22-23 1,15 jan-mar 0' > $$c/b; \
	    printf '2026-03-27T09:30:00+01:00' > $$c/c ;; \
	  fuzz_score) printf 'I would run EXPLAIN ANALYZE first, because\nthe plan shows a seq scan; p95 fell 80 %%.' > $$c/a ;; \
	  fuzz_render) printf 'aQuestion <!channel> & <http://x|y>\037b\036slack:U0123ABCD\037c\036Hint\035hint' > $$c/a ;; \
	  fuzz_slackev) printf '\000{"type":"event_callback","event_id":"Ev1","event":{"type":"message","channel":"C1","user":"U1","text":"<@U0BOT> hi &amp; <https://x|y>","ts":"1.2","thread_ts":"1.1"}}' > $$c/a; \
	    printf '\005command=%%2Fdrill&text=practice+databases&user_id=U1&channel_id=C1&trigger_id=1.2.3' > $$c/b ;; \
	  fuzz_matrixev) printf '\000{"type":"m.room.message","event_id":"$$ev1","sender":"@ann:example.org","content":{"msgtype":"m.text","body":"> <@drilld:example.org> Q3\\n\\n!drill practice","m.relates_to":{"m.in_reply_to":{"event_id":"$$q3"}}}}' > $$c/a; printf '\040\005range scans' > $$c/b ;; \
	  esac; \
	  echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  ./$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 $$c 2>&1 | tail -4; \
	done

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
	    $(DESTDIR)$(DATADIR)/questions/general $(DESTDIR)$(SYSCONFDIR)/drilld
	install -m 0755 $(B)/drilld $(DESTDIR)$(SBINDIR)/drilld
	install -m 0755 $(B)/drillctl $(DESTDIR)$(BINDIR)/drillctl
	install -m 0644 questions/*.json $(DESTDIR)$(DATADIR)/questions/
	install -m 0644 questions/README.md $(DESTDIR)$(DATADIR)/questions/README.md
	install -m 0644 questions/general/*.json $(DESTDIR)$(DATADIR)/questions/general/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	sed -e 's|/usr/local/sbin/drilld|$(SBINDIR)/drilld|g' \
	    -e 's|/etc/drilld/|$(SYSCONFDIR)/drilld/|g' \
	    systemd/drilld.service > $(DESTDIR)$(UNITDIR)/drilld.service
	install -m 0644 systemd/drilld.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/drilld.conf
	install -m 0644 systemd/drilld.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/drilld.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/drilld/drilld.conf || \
	  sed -e 's|^state_dir = .*|state_dir = "/var/lib/drilld";|' \
	      -e 's|^banks = .*|banks = [ "$(DATADIR)/questions" ];|' \
	      -e 's|"\.\./questions/general"|"$(DATADIR)/questions/general"|' \
	      config/drilld.conf > $(DESTDIR)$(SYSCONFDIR)/drilld/drilld.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/drilld $(DESTDIR)$(BINDIR)/drillctl
	rm -f $(DESTDIR)$(UNITDIR)/drilld.service $(DESTDIR)$(PREFIX)/lib/sysusers.d/drilld.conf \
	    $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/drilld.conf
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san build-fuzz
