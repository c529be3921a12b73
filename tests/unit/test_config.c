/*
 * test_config.c - unit tests for the config module: loading, defaults, the
 * "FILE:LINE: OPTION: problem" lines, path resolution and the size and
 * duration parsers. Each test gets its own temporary directory (under
 * $TMPDIR or /tmp) for the files it writes; it runs from the repository root
 * so that it can load the shipped config/drilld.conf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drill/config.h"
#include "drill/vocab.h"

#define KIB UINT64_C(1024)
#define MIB (KIB * 1024)

struct fixture {
	char dir[PATH_MAX];	/* canonical temporary directory */
	char path[PATH_MAX + 256];	/* the last file written */
	struct config cfg;
	struct drill_errors errs;
};

static void
rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char sub[PATH_MAX];

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(tmpl, sizeof(tmpl), "%s/test_config.XXXXXX", tmp);
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	config_free(&f->cfg);
	drill_errors_free(&f->errs);
	rm_rf(f->dir);
	free(f);
	return 0;
}

/* Writes text to DIR/name (creating DIR/sub-directories as needed) and returns its path. */
static const char *
write_file(struct fixture *f, const char *name, const char *text)
{
	FILE *fp;
	char *slash;

	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
	slash = strrchr(f->path, '/');
	*slash = '\0';
	mkdir(f->path, 0700);
	*slash = '/';
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return f->path;
}

/* Writes text to a file and loads it; returns config_load's result. */
static int
load_text(struct fixture *f, const char *text)
{
	const char *path = write_file(f, "drilld.conf", text);

	config_free(&f->cfg);
	drill_errors_free(&f->errs);
	return config_load(path, &f->cfg, &f->errs);
}

static void
print_errors(const struct drill_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		print_message("  error[%zu]: %s\n", i, errs->lines[i]);
}

/*
 * Checks that errs holds exactly the expected lines, each being the file's
 * path followed by the given suffix (":3: log_levle: unknown option").
 */
static void
expect_errors(const struct fixture *f, const char *const *suffixes, size_t n)
{
	if (f->errs.n != n)
		print_errors(&f->errs);
	assert_int_equal(f->errs.n, n);
	for (size_t i = 0; i < n; i++) {
		char want[PATH_MAX + 512];

		snprintf(want, sizeof(want), "%s%s", f->path, suffixes[i]);
		if (strcmp(f->errs.lines[i], want) != 0)
			print_errors(&f->errs);
		assert_string_equal(f->errs.lines[i], want);
	}
}

#define EXPECT_ERRORS(f, ...) do { \
	static const char *const want_[] = {__VA_ARGS__}; \
	expect_errors((f), want_, sizeof(want_) / sizeof(want_[0])); \
} while (0)

static void
assert_zeroed(const struct config *cfg)
{
	static const struct config zero;

	assert_memory_equal(cfg, &zero, sizeof(zero));
}

static void
test_minimal_defaults(void **state)
{
	struct fixture *f = *state;
	char want[PATH_MAX + 32];

	assert_int_equal(load_text(f, "state_dir = \"state\";\n"
	    "banks = [ \"questions\" ];\n"), 0);
	assert_int_equal(f->errs.n, 0);
	assert_string_equal(f->cfg.file, f->path);
	assert_string_equal(f->cfg.dir, f->dir);
	snprintf(want, sizeof(want), "%s/state", f->dir);
	assert_string_equal(f->cfg.state_dir, want);
	assert_int_equal(f->cfg.nbanks, 1);
	snprintf(want, sizeof(want), "%s/questions", f->dir);
	assert_string_equal(f->cfg.banks[0], want);
	assert_int_equal(f->cfg.log_level, LOGL_INFO);
	assert_int_equal(f->cfg.store.busy_timeout_ms, 5000);
	assert_string_equal(f->cfg.console.person, "console:local");
	assert_int_equal(f->cfg.console.color, CONFIG_COLOR_AUTO);
	assert_int_equal(f->cfg.practice.level, VOCAB_MID);
	assert_int_equal(f->cfg.practice.max_answer, 2 * MIB);
	assert_null(f->cfg.http.listen);
	assert_null(f->cfg.http.addr);
	assert_int_equal(f->cfg.http.port, 0);
	assert_int_equal(f->cfg.http.max_body, MIB);
	assert_int_equal(f->cfg.http.request_timeout_ms, 10000);
	assert_int_equal(f->cfg.outbox.min_interval_ms, 1000);
	assert_true(f->cfg.outbox.rate_per_sec == 10.0);
	assert_int_equal(f->cfg.outbox.burst, 20);
	assert_int_equal(f->cfg.outbox.max_attempts, 8);
	assert_int_equal(f->cfg.outbox.backoff_base_ms, 1000);
	assert_int_equal(f->cfg.outbox.backoff_cap_ms, 300000);
	assert_int_equal(f->cfg.outbox.retry_after_max_ms, 3600000);
	assert_int_equal(f->cfg.outbox.drain_timeout_ms, 10000);
}

static void
test_all_options(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "state_dir = \"/var/lib/drilld\";\n"
	    "banks = ( \"/a\", \"/b\" );\n"
	    "log_level = \"debug\";\n"
	    "store = { busy_timeout = \"30s\"; };\n"
	    "console: { person = \"matrix:@alice:example.org\"; color = \"never\"; };\n"
	    "practice: { level = \"senior\"; max_answer = \"4M\"; };\n"
	    "http: { listen = \"[::1]:8443\"; max_body = \"64M\"; request_timeout = \"5m\"; };\n"
	    "outbox: { min_interval = \"250ms\"; rate = 2.5; burst = 1; max_attempts = 100;\n"
	    "  backoff_base = \"10ms\"; backoff_cap = \"10ms\"; retry_after_max = \"1d\";\n"
	    "  drain_timeout = \"0s\"; };\n"), 0);
	assert_int_equal(f->cfg.outbox.min_interval_ms, 250);
	assert_true(f->cfg.outbox.rate_per_sec == 2.5);
	assert_int_equal(f->cfg.outbox.burst, 1);
	assert_int_equal(f->cfg.outbox.max_attempts, 100);
	assert_int_equal(f->cfg.outbox.backoff_base_ms, 10);
	assert_int_equal(f->cfg.outbox.backoff_cap_ms, 10);
	assert_int_equal(f->cfg.outbox.retry_after_max_ms, 86400000);
	assert_int_equal(f->cfg.outbox.drain_timeout_ms, 0);
	assert_string_equal(f->cfg.state_dir, "/var/lib/drilld");
	assert_int_equal(f->cfg.nbanks, 2);
	assert_string_equal(f->cfg.banks[0], "/a");
	assert_string_equal(f->cfg.banks[1], "/b");
	assert_int_equal(f->cfg.log_level, LOGL_DEBUG);
	assert_int_equal(f->cfg.store.busy_timeout_ms, 30000);
	assert_string_equal(f->cfg.console.person, "matrix:@alice:example.org");
	assert_int_equal(f->cfg.console.color, CONFIG_COLOR_NEVER);
	assert_int_equal(f->cfg.practice.level, VOCAB_SENIOR);
	assert_int_equal(f->cfg.practice.max_answer, 4 * MIB);
	assert_string_equal(f->cfg.http.listen, "[::1]:8443");
	assert_string_equal(f->cfg.http.addr, "::1");
	assert_int_equal(f->cfg.http.port, 8443);
	assert_int_equal(f->cfg.http.max_body, 64 * MIB);
	assert_int_equal(f->cfg.http.request_timeout_ms, 300000);
}

static void
test_shipped_config(void **state)
{
	struct fixture *f = *state;
	char cwd[PATH_MAX], want[PATH_MAX + 32];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(config_load("config/drilld.conf", &f->cfg, &f->errs), 0);
	if (f->errs.n != 0)
		print_errors(&f->errs);
	assert_int_equal(f->errs.n, 0);
	assert_string_equal(f->cfg.file, "config/drilld.conf");
	snprintf(want, sizeof(want), "%s/config", cwd);
	assert_string_equal(f->cfg.dir, want);
	snprintf(want, sizeof(want), "%s/var", cwd);
	assert_string_equal(f->cfg.state_dir, want);
	assert_int_equal(f->cfg.nbanks, 1);
	snprintf(want, sizeof(want), "%s/questions", cwd);
	assert_string_equal(f->cfg.banks[0], want);
	/* the shipped file states the defaults */
	assert_int_equal(f->cfg.log_level, LOGL_INFO);
	assert_int_equal(f->cfg.store.busy_timeout_ms, 5000);
	assert_string_equal(f->cfg.console.person, "console:local");
	assert_int_equal(f->cfg.console.color, CONFIG_COLOR_AUTO);
	assert_int_equal(f->cfg.practice.level, VOCAB_MID);
	assert_int_equal(f->cfg.practice.max_answer, 2 * MIB);
	/* the server stays off: listen is commented out */
	assert_null(f->cfg.http.listen);
	assert_int_equal(f->cfg.http.port, 0);
	assert_int_equal(f->cfg.http.max_body, MIB);
	assert_int_equal(f->cfg.http.request_timeout_ms, 10000);
	assert_int_equal(f->cfg.outbox.min_interval_ms, 1000);
	assert_true(f->cfg.outbox.rate_per_sec == 10.0);
	assert_int_equal(f->cfg.outbox.burst, 20);
	assert_int_equal(f->cfg.outbox.max_attempts, 8);
	assert_int_equal(f->cfg.outbox.backoff_base_ms, 1000);
	assert_int_equal(f->cfg.outbox.backoff_cap_ms, 300000);
	assert_int_equal(f->cfg.outbox.retry_after_max_ms, 3600000);
	assert_int_equal(f->cfg.outbox.drain_timeout_ms, 10000);
	/* slack stays off, and nothing of it is read */
	assert_false(f->cfg.slack.enabled);
	assert_true(f->cfg.slack.socket_mode);
	assert_null(f->cfg.slack.bot_token);
	assert_null(f->cfg.slack.app_token);
	assert_null(f->cfg.slack.signing_secret);
	assert_string_equal(f->cfg.slack.api_url, "https://slack.com/api/");
	assert_int_equal(f->cfg.slack.connections, 1);
	/* and so does matrix */
	assert_false(f->cfg.matrix.enabled);
	assert_false(f->cfg.matrix.appservice);
	assert_null(f->cfg.matrix.homeserver);
	assert_null(f->cfg.matrix.user_id);
	assert_null(f->cfg.matrix.access_token);
	assert_null(f->cfg.matrix.password);
	assert_null(f->cfg.matrix.as_token);
	assert_null(f->cfg.matrix.hs_token);
	assert_string_equal(f->cfg.matrix.appservice_id, "drilld");
	assert_null(f->cfg.matrix.appservice_url);
	assert_int_equal(f->cfg.matrix.nauto_join, 0);
}

/* Outbox options: types, ranges, and the cap not below the base. */
static void
test_outbox_options(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "outbox: {\n"
	    "  min_interval = \"2h\";\n"
	    "  rate = -1;\n"
	    "  burst = 0;\n"
	    "  max_attempts = 5000000000;\n"
	    "  backoff_base = \"1s\";\n"
	    "  backoff_cap = \"500ms\";\n"
	    "  retry_after_max = \"500ms\";\n"
	    "  drain_timeout = \"6m\";\n"
	    "  pace = 1;\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":4: outbox.min_interval: \"2h\" is out of range (0s..1h)",
	    ":5: outbox.rate: -1 is out of range (0..1000; 0: no limit)",
	    ":6: outbox.burst: 0 is out of range (1..1000)",
	    ":7: outbox.max_attempts: the number is out of range (1..100)",
	    ":10: outbox.retry_after_max: \"500ms\" is out of range (1s..1d)",
	    ":11: outbox.drain_timeout: \"6m\" is out of range (0s..5m)",
	    ":12: outbox.pace: unknown option",
	    ":9: outbox.backoff_cap: backoff_cap must not be shorter than backoff_base");

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "outbox: { rate = \"10/s\"; burst = 2.5; min_interval = 1; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: outbox.rate: expected a number (got a string)",
	    ":3: outbox.burst: expected an integer (got a number)",
	    ":3: outbox.min_interval: expected a string with a unit, e.g. \"5s\" (got an integer)");

	/* a number libconfig would wrap into range is still refused */
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "outbox: { burst = 4294967297; max_attempts : 0x7; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: outbox.burst: the number is out of range (1..1000)");

	/* a base above the default cap names the base */
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "outbox: { backoff_base = \"10m\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: outbox.backoff_base: backoff_cap must not be shorter than backoff_base");

	/* rate 0: no global limit; integers and floats both read */
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "outbox: { rate = 0; backoff_base = \"10m\"; backoff_cap = \"1d\"; };\n"), 0);
	assert_true(f->cfg.outbox.rate_per_sec == 0.0);
	assert_int_equal(f->cfg.outbox.backoff_cap_ms, 86400000);
}

/* Channel schedules and admins: every field, defaults, and every mistake. */
static void
test_schedules(void **state)
{
	struct fixture *f = *state;
	const struct config_schedule *a, *b;
	char ics[PATH_MAX + 16];

	write_file(f, "holidays.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
	    "BEGIN:VEVENT\r\nUID:x1\r\nDTSTART;VALUE=DATE:20261224\r\n"
	    "DTEND;VALUE=DATE:20261227\r\nSUMMARY:Holidays\r\nEND:VEVENT\r\n"
	    "END:VCALENDAR\r\n");
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "admins = [ \"slack:U0123ABCD\", \"matrix:@alice:example.org\" ];\n"
	    "schedules = (\n"
	    "  { conversation = \"slack:C0123ABCD\"; cron = \"30 9 * * mon-fri\";\n"
	    "    timezone = \"Europe/Berlin\"; topics = [ \"databases\", \"caching\" ];\n"
	    "    types = [ \"technical\" ]; level = \"senior\"; reveal_after = \"2h\";\n"
	    "    feedback = \"private\"; answers = \"dm\"; grace = \"30m\";\n"
	    "    skip_dates = [ \"2026-12-31\", \"holidays.ics\" ]; },\n"
	    "  { conversation = \"matrix:!room:example.org\"; cron = \"0 10 * * 1\"; }\n"
	    ");\n"), 0);
	assert_int_equal(f->cfg.nadmins, 2);
	assert_string_equal(f->cfg.admins[1], "matrix:@alice:example.org");
	assert_int_equal(f->cfg.nschedules, 2);
	a = &f->cfg.schedules[0];
	b = &f->cfg.schedules[1];
	assert_string_equal(a->conversation, "slack:C0123ABCD");
	assert_string_equal(a->cron, "30 9 * * mon-fri");
	assert_string_equal(a->timezone, "Europe/Berlin");
	assert_int_equal(a->topics, 1u << vocab_topic_parse("databases") |
	    1u << vocab_topic_parse("caching"));
	assert_int_equal(a->types, 1u << VOCAB_TECHNICAL);
	assert_int_equal(a->level, VOCAB_SENIOR);
	assert_int_equal(a->reveal_after_ms, 2 * 3600000);
	assert_false(a->feedback_thread);
	assert_true(a->answers_dm);
	assert_int_equal(a->grace_ms, 30 * 60000);
	assert_int_equal(a->nskip_dates, 2);
	assert_string_equal(a->skip_dates[0], "2026-12-31");
	snprintf(ics, sizeof(ics), "%s/holidays.ics", f->dir);
	assert_string_equal(a->skip_dates[1], ics);
	assert_int_equal(a->line, 5);
	/* the defaults */
	assert_string_equal(b->timezone, "UTC");
	assert_int_equal(b->topics, 0);
	assert_int_equal(b->types, 0);
	assert_int_equal(b->level, -1);
	assert_int_equal(b->reveal_after_ms, 4 * 3600000);
	assert_false(b->feedback_thread);
	assert_false(b->answers_dm);
	assert_int_equal(b->grace_ms, 2 * 3600000);
	assert_int_equal(b->nskip_dates, 0);

	write_file(f, "bad.ics", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:2026\r\n"
	    "END:VEVENT\r\nEND:VCALENDAR\r\n");
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "admins = [ \"alice\" ];\n"
	    "schedules = (\n"
	    "  { conversation = \"slack:C1\"; cron = \"0 24 * * *\"; timezone = \"Mars/Olympus\";\n"
	    "    topics = [ \"astrology\" ]; level = \"guru\"; feedback = \"public\";\n"
	    "    reveal_after = \"500ms\"; skip_dates = [ \"2026-02-30\", \"bad.ics\", \"none.ics\" ]; },\n"
	    "  { cron = \"0 9 * * *\"; colour = \"red\"; },\n"
	    "  { conversation = \"slack:C1\"; cron = \"0 9 * * *\"; }\n"
	    ");\n"), DRILL_EINVAL);
	if (f->errs.n != 13)
		print_errors(&f->errs);
	assert_int_equal(f->errs.n, 13);
	assert_non_null(strstr(f->errs.lines[0], ":3: admins[0]: invalid person \"alice\""));
	assert_non_null(strstr(f->errs.lines[1], ":5: schedules[0].cron: invalid schedule \"0 24 * * *\": hour: 24 is out of range (0-23)"));
	assert_non_null(strstr(f->errs.lines[2], ":5: schedules[0].timezone: unknown time zone \"Mars/Olympus\""));
	assert_non_null(strstr(f->errs.lines[3], ":6: schedules[0].topics[0]: unknown topic \"astrology\""));
	assert_non_null(strstr(f->errs.lines[4], ":6: schedules[0].level: unknown level \"guru\""));
	assert_non_null(strstr(f->errs.lines[5], ":6: schedules[0].feedback: unknown value \"public\" (private or thread)"));
	assert_non_null(strstr(f->errs.lines[6], ":7: schedules[0].reveal_after: \"500ms\" is out of range (1s..7d)"));
	assert_non_null(strstr(f->errs.lines[7], ":7: schedules[0].skip_dates[0]:"));
	assert_non_null(strstr(f->errs.lines[8], ":7: schedules[0].skip_dates[1]:"));
	assert_non_null(strstr(f->errs.lines[9], ":7: schedules[0].skip_dates[2]:"));
	assert_non_null(strstr(f->errs.lines[10], ":8: schedules[1].colour: unknown option"));
	assert_non_null(strstr(f->errs.lines[11], ":8: schedules[1].conversation: required option missing"));
	assert_non_null(strstr(f->errs.lines[12], ":9: schedules[2]: a second schedule for \"slack:C1\""));

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "schedules = (\n"
	    "  { conversation = \"slack:C1\"; cron = \"0 9 * * *\"; },\n"
	    "  { conversation = \"slack:C1\"; cron = \"0 9 * * *\"; }\n"
	    ");\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":5: schedules[1]: a second schedule for \"slack:C1\" (one per "
	    "conversation; a cron list such as \"30 9 * * mon,thu\" covers several days)");

	/* private answers cannot have their feedback in the thread */
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "schedules = (\n"
	    "  { conversation = \"slack:C1\"; cron = \"0 9 * * *\"; answers = \"dm\";\n"
	    "    feedback = \"thread\"; }\n"
	    ");\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":4: schedules[0]: feedback = \"thread\" with answers = \"dm\": "
	    "answers given privately get their feedback privately (leave feedback out, "
	    "or answer in the thread)");

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "schedules = { conversation = \"slack:C1\"; };\nadmins = \"slack:U1\";\n"), DRILL_EINVAL);
	assert_int_equal(f->errs.n, 2);
}

static void
test_unknown_option(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "state_dir = \"s\";\n"
	    "banks = [ \"b\" ];\n"
	    "log_levle = \"debug\";\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: log_levle: unknown option");
	assert_zeroed(&f->cfg);
}

static void
test_unknown_nested(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "state_dir = \"s\";\n"
	    "banks = [ \"b\" ];\n"
	    "practice: {\n"
	    "  levle = \"senior\";\n"
	    "  max_answer = \"1M\";\n"
	    "};\n"
	    "colour = \"never\";\n"
	    "console: { Person = \"console:x\"; };\n"
	    "extra: { a = 1; b = 2; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":4: practice.levle: unknown option",
	    ":7: colour: unknown option",
	    ":8: console.Person: unknown option",
	    ":9: extra: unknown option");
}

static void
test_many_problems(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "# a comment\n"
	    "log_level = \"loud\";\n"
	    "store = { busy_timeout = \"5x\"; };\n"
	    "console = {\n"
	    "  person = \"local\";\n"
	    "  color = \"sometimes\";\n"
	    "};\n"
	    "practice = { level = \"expert\"; max_answer = \"512\"; };\n"
	    "bogus = true;\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":2: log_level: unknown level \"loud\" (debug, info, notice, warning, error)",
	    ":3: store.busy_timeout: invalid duration \"5x\": expected numbers with units ms, s, m, h or d, e.g. \"90s\" or \"1h30m\"",
	    ":5: console.person: invalid person \"local\": expected \"platform:id\", e.g. \"console:local\"",
	    ":6: console.color: unknown color \"sometimes\" (auto, always, never)",
	    ":8: practice.level: unknown level \"expert\" (junior, mid, senior)",
	    ":8: practice.max_answer: \"512\" is out of range (1K..4M)",
	    ":9: bogus: unknown option",
	    ": state_dir: required option missing",
	    ": banks: required option missing");
	assert_zeroed(&f->cfg);
}

static void
test_wrong_types(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "state_dir = 5;\n"
	    "banks = ( \"ok\", 1, [ \"x\" ] );\n"
	    "log_level = 1;\n"
	    "store = { busy_timeout = 5; };\n"
	    "console = \"x\";\n"
	    "practice = { level = 2; max_answer = 2048; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":1: state_dir: expected a string (got an integer)",
	    ":2: banks[1]: expected a string (got an integer)",
	    ":2: banks[2]: expected a string (got an array)",
	    ":3: log_level: expected a string (got an integer)",
	    ":4: store.busy_timeout: expected a string with a unit, e.g. \"5s\" (got an integer)",
	    ":5: console: expected a group, e.g. console { ... } (got a string)",
	    ":6: practice.level: expected a string (got an integer)",
	    ":6: practice.max_answer: expected a string with a unit, e.g. \"2M\" (got an integer)");
}

static void
test_wrong_types_more(void **state)
{
	struct fixture *f = *state;

	/* libconfig 1.5 wraps this integer silently: it must still be refused */
	assert_int_equal(load_text(f, "state_dir = [ \"a\" ];\n"
	    "banks = \"questions\";\n"
	    "store = { busy_timeout = 99999999999; };\n"
	    "console = { color = true; person = 1.5; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":1: state_dir: expected a string (got an array)",
	    ":2: banks: expected a list of paths, e.g. [ \"questions\" ] (got a string)",
	    ":3: store.busy_timeout: expected a string with a unit, e.g. \"5s\" (got an integer)",
	    ":4: console.color: expected a string (got a boolean)",
	    ":4: console.person: expected a string (got a number)");
}

static void
test_bad_units(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "store = { busy_timeout = \"5\"; };\n"
	    "practice = { max_answer = \"1.5M\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: store.busy_timeout: invalid duration \"5\": a unit is required (ms, s, m, h, d), e.g. \"5s\"",
	    ":4: practice.max_answer: invalid size \"1.5M\": expected a number with an optional unit K, M, G or T, e.g. \"2M\"");

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "store = { busy_timeout = \"5 s\"; };\n"
	    "practice = { max_answer = \"2X\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: store.busy_timeout: invalid duration \"5 s\": expected numbers with units ms, s, m, h or d, e.g. \"90s\" or \"1h30m\"",
	    ":4: practice.max_answer: invalid size \"2X\": expected a number with an optional unit K, M, G or T, e.g. \"2M\"");
}

static void
test_out_of_range(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "store = { busy_timeout = \"60s1ms\"; };\n"
	    "practice = { max_answer = \"99999999999999999999K\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: store.busy_timeout: \"60s1ms\" is out of range (0s..60s)",
	    ":4: practice.max_answer: \"99999999999999999999K\" is out of range (1K..4M)");

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "store = { busy_timeout = \"99999999999999999999d\"; };\n"
	    "practice = { max_answer = \"16M1\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: store.busy_timeout: \"99999999999999999999d\" is out of range (0s..60s)",
	    ":4: practice.max_answer: invalid size \"16M1\": expected a number with an optional unit K, M, G or T, e.g. \"2M\"");

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "practice = { max_answer = \"4097K\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: practice.max_answer: \"4097K\" is out of range (1K..4M)");

	/* the bounds themselves are in range */
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "store = { busy_timeout = \"0s\"; };\n"
	    "practice = { max_answer = \"1K\"; };\n"), 0);
	assert_int_equal(f->cfg.store.busy_timeout_ms, 0);
	assert_int_equal(f->cfg.practice.max_answer, KIB);
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "store = { busy_timeout = \"60s\"; };\n"
	    "practice = { max_answer = \"4MiB\"; };\n"), 0);
	assert_int_equal(f->cfg.store.busy_timeout_ms, 60000);
	assert_int_equal(f->cfg.practice.max_answer, 4 * MIB);
}

static void
test_empty_values(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "state_dir = \"\";\nbanks = [ ];\n"
	    "console = { person = \"\"; };\n"
	    "practice = { max_answer = \"\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":1: state_dir: must not be empty",
	    ":2: banks: must list at least one bank file or directory",
	    ":3: console.person: invalid person \"\": expected \"platform:id\", e.g. \"console:local\"",
	    ":4: practice.max_answer: invalid size \"\": expected a number with an optional unit K, M, G or T, e.g. \"2M\"");

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"a\", \"\" ];\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":2: banks[1]: must not be empty");
}

static void
test_person(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"console", "console:", ":local", "Console:local", "slack :U1",
		"slack:U1 U2", "slack:U1\t", "sl4ck:U1"
	};
	static const char *const good[] = {
		"console:local", "slack:U0123ABCD", "matrix:@alice:example.org"
	};
	char text[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
		    "console = { person = \"%s\"; };\n", bad[i]);
		assert_int_equal(load_text(f, text), DRILL_EINVAL);
		assert_int_equal(f->errs.n, 1);
		assert_non_null(strstr(f->errs.lines[0], ":3: console.person: invalid person"));
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
		    "console = { person = \"%s\"; };\n", good[i]);
		assert_int_equal(load_text(f, text), 0);
		assert_string_equal(f->cfg.console.person, good[i]);
	}
}

/* A value with control characters or quotes stays on one line, escaped. */
static void
test_values_escaped(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "log_level = \"in\\nfo\\\"\";\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: log_level: unknown level \"in\\x0afo\\\"\" (debug, info, notice, warning, error)");

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "log_level = \"0123456789012345678901234567890123456789012345678901234567890123456789\";\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: log_level: unknown level \"0123456789012345678901234567890123456789012345678901234567890123\"... (debug, info, notice, warning, error)");
}

static void
test_syntax_error(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "state_dir = \"s\";\n"
	    "banks = [ \"b\" ];\n"
	    "\n"
	    "log_level = ;\n"
	    "bogus = 1;\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":4: syntax error");
	assert_zeroed(&f->cfg);

	/* libconfig's own text when it has one */
	assert_int_equal(load_text(f, "state_dir = \"s\";\n"
	    "state_dir = \"t\";\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":2: syntax error: duplicate setting name");

	assert_int_equal(load_text(f, "state_dir = \"s\";\n"
	    "banks = [ \"b\", 1 ];\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":2: syntax error: mismatched element type in array");
}

static void
test_include_rejected(void **state)
{
	struct fixture *f = *state;

	write_file(f, "other.conf", "log_level = \"debug\";\n");
	assert_int_equal(load_text(f, "state_dir = \"s\";\n"
	    "  @include \"other.conf\"\n"
	    "banks = [ \"b\" ];\n"
	    "bogus = 1;\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":2: @include: not supported; put every option in this file",
	    ":4: bogus: unknown option");
}

static void
test_missing_required(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, ""), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ": state_dir: required option missing",
	    ": banks: required option missing");

	assert_int_equal(load_text(f, "banks = [ \"b\" ];\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ": state_dir: required option missing");
}

static void
test_unreadable(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 16];
	char want[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/missing.conf", f->dir);
	assert_int_equal(config_load(path, &f->cfg, &f->errs), DRILL_EIO);
	assert_int_equal(f->errs.n, 1);
	snprintf(want, sizeof(want), "%s: cannot read: %s", path, strerror(ENOENT));
	assert_string_equal(f->errs.lines[0], want);
	assert_zeroed(&f->cfg);
	drill_errors_free(&f->errs);

	/* a directory: libconfig's scanner would exit() on it */
	assert_int_equal(config_load(f->dir, &f->cfg, &f->errs), DRILL_EIO);
	assert_int_equal(f->errs.n, 1);
	snprintf(want, sizeof(want), "%s: cannot read: %s", f->dir, strerror(EISDIR));
	assert_string_equal(f->errs.lines[0], want);
}

static void
test_not_text(void **state)
{
	struct fixture *f = *state;
	const char *path = write_file(f, "nul.conf", "state_dir = \"s\";\n");
	FILE *fp = fopen(path, "a");

	assert_non_null(fp);
	assert_int_equal(fputc('\0', fp), 0);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(config_load(path, &f->cfg, &f->errs), DRILL_EINVAL);
	EXPECT_ERRORS(f, ": contains a NUL byte: not a text file");
}

static void
test_relative_paths(void **state)
{
	struct fixture *f = *state;
	char cwd[PATH_MAX], want[PATH_MAX + 32];
	int rc;

	write_file(f, "etc/drilld.conf", "state_dir = \"../var\";\n"
	    "banks = [ \"q\", \"./a/b\", \"/abs/x\", \"..\", \".\", \"../../../../../../../../../..\", \"x/../y\" ];\n");

	/* loaded by a path relative to the working directory */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	rc = config_load("etc/drilld.conf", &f->cfg, &f->errs);
	assert_int_equal(chdir(cwd), 0);
	if (rc != 0)
		print_errors(&f->errs);
	assert_int_equal(rc, 0);

	assert_string_equal(f->cfg.file, "etc/drilld.conf");
	snprintf(want, sizeof(want), "%s/etc", f->dir);
	assert_string_equal(f->cfg.dir, want);
	snprintf(want, sizeof(want), "%s/var", f->dir);
	assert_string_equal(f->cfg.state_dir, want);
	assert_int_equal(f->cfg.nbanks, 7);
	snprintf(want, sizeof(want), "%s/etc/q", f->dir);
	assert_string_equal(f->cfg.banks[0], want);
	snprintf(want, sizeof(want), "%s/etc/a/b", f->dir);
	assert_string_equal(f->cfg.banks[1], want);
	assert_string_equal(f->cfg.banks[2], "/abs/x");
	assert_string_equal(f->cfg.banks[3], f->dir);
	snprintf(want, sizeof(want), "%s/etc", f->dir);
	assert_string_equal(f->cfg.banks[4], want);
	assert_string_equal(f->cfg.banks[5], "/");
	/* inner ".." stays: only the config's directory is known to be link-free */
	snprintf(want, sizeof(want), "%s/etc/x/../y", f->dir);
	assert_string_equal(f->cfg.banks[6], want);
}

/* A config in a directory reached through a symlink resolves against the real directory. */
static void
test_symlinked_dir(void **state)
{
	struct fixture *f = *state;
	char link[PATH_MAX + 16], path[PATH_MAX + 32], want[PATH_MAX + 32];

	write_file(f, "real/drilld.conf", "state_dir = \"../var\";\nbanks = [ \"q\" ];\n");
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink("real", link), 0);
	snprintf(path, sizeof(path), "%s/drilld.conf", link);
	assert_int_equal(config_load(path, &f->cfg, &f->errs), 0);
	snprintf(want, sizeof(want), "%s/real", f->dir);
	assert_string_equal(f->cfg.dir, want);
	snprintf(want, sizeof(want), "%s/var", f->dir);
	assert_string_equal(f->cfg.state_dir, want);
	assert_string_equal(f->cfg.file, path);
}

static void
test_http_listen(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *s;
		const char *addr;	/* NULL for "*" */
		int port;
	} good[] = {
		{"127.0.0.1:8080", "127.0.0.1", 8080},
		{"0.0.0.0:1", "0.0.0.0", 1},
		{"*:65535", NULL, 65535},
		{"[::1]:8080", "::1", 8080},
		{"[::]:80", "::", 80},
		{"[2001:db8::7]:443", "2001:db8::7", 443},
		{"[::ffff:127.0.0.1]:9000", "::ffff:127.0.0.1", 9000},
		{"10.1.2.3:00080", "10.1.2.3", 80}
	};
	char text[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
		    "http = { listen = \"%s\"; };\n", good[i].s);
		if (load_text(f, text) != 0) {
			print_errors(&f->errs);
			fail_msg("listen \"%s\" refused", good[i].s);
		}
		assert_string_equal(f->cfg.http.listen, good[i].s);
		if (good[i].addr == NULL)
			assert_null(f->cfg.http.addr);
		else
			assert_string_equal(f->cfg.http.addr, good[i].addr);
		assert_int_equal(f->cfg.http.port, good[i].port);
	}

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "http = {\n"
	    "  listen = \"localhost:8080\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":4: http.listen: invalid address \"localhost:8080\": "
	    "expected a numeric IPv4 address, a bracketed IPv6 address or *, a colon "
	    "and a port, e.g. \"127.0.0.1:8080\", \"[::1]:8080\" or \"*:8080\"");
	assert_zeroed(&f->cfg);

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "http = { listen = \"127.0.0.1:0\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: http.listen: invalid port in \"127.0.0.1:0\": expected 1 to 65535");
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "http = { listen = \"[::1]:65536\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: http.listen: invalid port in \"[::1]:65536\": expected 1 to 65535");
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "http = { listen = 8080; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: http.listen: expected a string (got an integer)");
}

static void
test_http_listen_bad(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"", ":", "8080", ":8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:x",
		"127.0.0.1: 80", " 127.0.0.1:80", "127.0.0.1:80 ", "127.0.0.1:+80",
		"127.0.0.1:-1", "127.0.0.1:123456", "127.0.0.1:8080:1",
		"127.1:80", "127.0.0.01:80", "0x7f.0.0.1:80", "256.0.0.1:80",
		"::1:8080", "[::1]", "[::1]8080", "[]:80", "[::1:80", "::1]:80",
		"[127.0.0.1]:80", "[fe80::1%lo]:80", "[*]:80", "**:80", "*.*:80",
		"localhost:80", "example.org:443", "http://127.0.0.1:80"
	};
	char text[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
		    "http = { listen = \"%s\"; };\n", bad[i]);
		if (load_text(f, text) != DRILL_EINVAL)
			fail_msg("listen \"%s\" accepted", bad[i]);
		assert_int_equal(f->errs.n, 1);
		assert_non_null(strstr(f->errs.lines[0], ":3: http.listen: invalid address"));
	}
}

static void
test_http_limits(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "http: {\n"
	    "  max_body = \"1023\";\n"
	    "  request_timeout = \"999ms\";\n"
	    "  lsiten = \"*:80\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":4: http.max_body: \"1023\" is out of range (1K..64M)",
	    ":5: http.request_timeout: \"999ms\" is out of range (1s..5m)",
	    ":6: http.lsiten: unknown option");

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "http = { max_body = \"64M1\"; request_timeout = \"5m1ms\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: http.max_body: invalid size \"64M1\": expected a number with an optional unit K, M, G or T, e.g. \"2M\"",
	    ":3: http.request_timeout: \"5m1ms\" is out of range (1s..5m)");

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "http = { max_body = \"65537K\"; request_timeout = \"10\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: http.max_body: \"65537K\" is out of range (1K..64M)",
	    ":3: http.request_timeout: invalid duration \"10\": a unit is required (ms, s, m, h, d), e.g. \"5s\"");

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "http = { max_body = 1048576; request_timeout = 10; };\n"
	    "http2 = { };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: http.max_body: expected a string with a unit, e.g. \"2M\" (got an integer)",
	    ":3: http.request_timeout: expected a string with a unit, e.g. \"5s\" (got an integer)",
	    ":4: http2: unknown option");

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "http = \"127.0.0.1:8080\";\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: http: expected a group, e.g. http { ... } (got a string)");

	/* the bounds themselves are in range */
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "http = { max_body = \"1K\"; request_timeout = \"1s\"; };\n"), 0);
	assert_int_equal(f->cfg.http.max_body, KIB);
	assert_int_equal(f->cfg.http.request_timeout_ms, 1000);
	assert_null(f->cfg.http.listen);
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "http = { max_body = \"64MiB\"; request_timeout = \"4m60s\"; };\n"), 0);
	assert_int_equal(f->cfg.http.max_body, 64 * MIB);
	assert_int_equal(f->cfg.http.request_timeout_ms, 300000);
}

static void
test_parse_listen(void **state)
{
	char addr[CONFIG_ADDR_MAX];
	int port = 7;

	(void)state;
	assert_int_equal(config_parse_listen("127.0.0.1:80", addr, &port), 0);
	assert_string_equal(addr, "127.0.0.1");
	assert_int_equal(port, 80);
	assert_int_equal(config_parse_listen("*:1", addr, &port), 0);
	assert_string_equal(addr, "");
	assert_int_equal(port, 1);
	assert_int_equal(config_parse_listen("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535",
	    addr, &port), 0);
	assert_string_equal(addr, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	assert_int_equal(port, 65535);

	memcpy(addr, "untouched", 10);
	port = 7;
	assert_int_equal(config_parse_listen("*:0", addr, &port), DRILL_ETOOBIG);
	assert_int_equal(config_parse_listen("*:65536", addr, &port), DRILL_ETOOBIG);
	assert_int_equal(config_parse_listen("*:99999", addr, &port), DRILL_ETOOBIG);
	assert_int_equal(config_parse_listen("*:999999", addr, &port), DRILL_EINVAL);
	assert_int_equal(config_parse_listen("[::1]", addr, &port), DRILL_EINVAL);
	assert_int_equal(config_parse_listen(NULL, addr, &port), DRILL_EINVAL);
	/* longer than any numeric address (at most 45 characters) */
	assert_int_equal(config_parse_listen("[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]:80",
	    addr, &port), DRILL_EINVAL);
	assert_int_equal(config_parse_listen("1111.2222.3333.4444.5555.6666.7777.8888.9999.0000:80",
	    addr, &port), DRILL_EINVAL);
	assert_string_equal(addr, "untouched");
	assert_int_equal(port, 7);
}

static void
test_free_zeroed(void **state)
{
	struct config cfg;
	struct drill_errors errs;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(&errs, 0, sizeof(errs));
	config_free(&cfg);
	config_free(NULL);
	drill_errors_free(&errs);
	drill_errors_free(NULL);
	assert_zeroed(&cfg);
}

static void
test_parse_size(void **state)
{
	static const struct {
		const char *s;
		uint64_t want;
	} good[] = {
		{"0", 0}, {"512", 512}, {"512B", 512}, {"512b", 512},
		{"1K", KIB}, {"64k", 64 * KIB}, {"64KB", 64 * KIB},
		{"64KiB", 64 * KIB}, {"64kib", 64 * KIB}, {"1M", MIB},
		{"2G", 2 * 1024 * MIB}, {"1T", 1024 * 1024 * MIB},
		{"007K", 7 * KIB},
		{"18446744073709551615", UINT64_MAX},
		{"16777215T", UINT64_C(16777215) << 40}
	};
	static const char *const bad[] = {
		"", " ", "  \t", " 1K", "1K ", "1 K", "-1M", "+1M", "1.5M",
		"5x", "1KK", "1Kb2", "1iB", "1KiBB", "K", "M1", "0x10",
		"1e3", "1,000",
		"99999999999999999999K",	/* the number overflows */
		"18446744073709551616",		/* UINT64_MAX + 1 */
		"16777216T",			/* 2^64 */
		"17179869184G"			/* 2^64 */
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		if (config_parse_size(good[i].s, UINT64_MAX, &v) != 0)
			fail_msg("size \"%s\" refused", good[i].s);
		assert_int_equal(v, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (config_parse_size(bad[i], UINT64_MAX, &v) != DRILL_EINVAL)
			fail_msg("size \"%s\" accepted", bad[i]);
		assert_int_equal(v, 12345);	/* untouched */
	}
	assert_int_equal(config_parse_size("1M", MIB, &v), 0);
	assert_int_equal(v, MIB);
	assert_int_equal(config_parse_size("1025K", MIB, &v), DRILL_EINVAL);
	assert_int_equal(config_parse_size(NULL, MIB, &v), DRILL_EINVAL);
}

static void
test_parse_duration(void **state)
{
	static const struct {
		const char *s;
		uint64_t want;
	} good[] = {
		{"0s", 0}, {"0ms", 0}, {"250ms", 250}, {"90s", 90000},
		{"5m", 300000}, {"4h", 14400000}, {"2d", 172800000},
		{"1h30m", 5400000}, {"1d2h3m4s5ms", 93784005},
		{"30m1h", 5400000}, {"007s", 7000},
		{"18446744073709551615ms", UINT64_MAX},
		{"213503982334d", UINT64_C(213503982334) * 86400000}
	};
	static const char *const bad[] = {
		"", " ", "\t", "5", "1h30", "5x", "5S", "5M", "5 s", " 5s",
		"5s ", "-1s", "+1s", "1.5h", "s", "ms", "5min", "5sec",
		"1h 30m", "5ss", "h1",
		"99999999999999999999ms",	/* the number overflows */
		"18446744073709551616ms",	/* UINT64_MAX + 1 */
		"213503982335d",		/* the product overflows */
		"18446744073709551615ms1ms"	/* the sum overflows */
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		if (config_parse_duration(good[i].s, UINT64_MAX, &v) != 0)
			fail_msg("duration \"%s\" refused", good[i].s);
		assert_int_equal(v, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (config_parse_duration(bad[i], UINT64_MAX, &v) != DRILL_EINVAL)
			fail_msg("duration \"%s\" accepted", bad[i]);
		assert_int_equal(v, 12345);	/* untouched */
	}
	assert_int_equal(config_parse_duration("10m", 600000, &v), 0);
	assert_int_equal(v, 600000);
	assert_int_equal(config_parse_duration("10m1ms", 600000, &v), DRILL_EINVAL);
	assert_int_equal(config_parse_duration(NULL, 600000, &v), DRILL_EINVAL);
}

static void
test_default_path(void **state)
{
	(void)state;
	setenv("DRILLD_CONFIG", "/srv/drill/my.conf", 1);
	assert_string_equal(config_default_path(), "/srv/drill/my.conf");
	unsetenv("DRILLD_CONFIG");
	/* the tests run from the repository root, a source checkout */
	if (access("/etc/drilld/drilld.conf", F_OK) != 0)
		assert_string_equal(config_default_path(), "config/drilld.conf");
	else
		assert_string_equal(config_default_path(), "/etc/drilld/drilld.conf");
}

/* Personal practice and people's data: the default zone, retention, digests. */
static void
test_people_options(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "schedules = ( { conversation = \"slack:C1\"; cron = \"0 9 * * *\"; } );\n"), 0);
	assert_string_equal(f->cfg.practice.timezone, "UTC");
	assert_int_equal(f->cfg.store.retention_days, 0);
	assert_string_equal(f->cfg.schedules[0].digest, "0 16 * * fri");
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "practice = { timezone = \"Europe/Paris\"; };\n"
	    "store = { retention_days = 365; };\n"
	    "schedules = ( { conversation = \"slack:C1\"; cron = \"0 9 * * *\";\n"
	    "  digest = \"off\"; },\n"
	    "  { conversation = \"slack:C2\"; cron = \"0 9 * * *\"; digest = \"0 8 * * mon\"; } );\n"), 0);
	assert_string_equal(f->cfg.practice.timezone, "Europe/Paris");
	assert_int_equal(f->cfg.store.retention_days, 365);
	assert_null(f->cfg.schedules[0].digest);
	assert_string_equal(f->cfg.schedules[1].digest, "0 8 * * mon");
	assert_int_equal(load_text(f, "state_dir = \"s\";\nbanks = [ \"b\" ];\n"
	    "practice = { timezone = \"Moon/Base\"; };\n"
	    "store = { retention_days = 40000; };\n"
	    "schedules = ( { conversation = \"slack:C1\"; cron = \"0 9 * * *\";\n"
	    "  digest = \"weekly\"; } );\n"), DRILL_EINVAL);
	assert_int_equal(f->errs.n, 3);
	assert_non_null(strstr(f->errs.lines[0], ":3: practice.timezone: unknown time zone \"Moon/Base\""));
	assert_non_null(strstr(f->errs.lines[1], ":4: store.retention_days:"));
	assert_non_null(strstr(f->errs.lines[2], ":6: schedules[0].digest: invalid schedule \"weekly\" (or \"off\")"));
}

/* ---- slack ------------------------------------------------------------- */

/* The environment the slack and matrix tests change, saved by setup_env. */
static const char *const secret_env[] = {
	"DRILLD_SLACK_BOT_TOKEN", "DRILLD_SLACK_APP_TOKEN",
	"DRILLD_SLACK_SIGNING_SECRET", "DRILLD_MATRIX_ACCESS_TOKEN",
	"DRILLD_MATRIX_PASSWORD", "DRILLD_MATRIX_AS_TOKEN", "DRILLD_MATRIX_HS_TOKEN",
	"CREDENTIALS_DIRECTORY"
};
#define NSECRET_ENV (sizeof(secret_env) / sizeof(secret_env[0]))
static char *saved_env[NSECRET_ENV];
static bool saved_set[NSECRET_ENV];

/* setup, with the secrets' variables saved and unset. */
static int
setup_env(void **state)
{
	for (size_t i = 0; i < NSECRET_ENV; i++) {
		const char *v = getenv(secret_env[i]);

		saved_set[i] = v != NULL;
		saved_env[i] = v != NULL ? strdup(v) : NULL;
		if (v != NULL && saved_env[i] == NULL)
			return -1;
		unsetenv(secret_env[i]);
	}
	return setup(state);
}

/* teardown, with the variables as they were. */
static int
teardown_env(void **state)
{
	for (size_t i = 0; i < NSECRET_ENV; i++) {
		if (saved_set[i])
			setenv(secret_env[i], saved_env[i], 1);
		else
			unsetenv(secret_env[i]);
		free(saved_env[i]);
		saved_env[i] = NULL;
	}
	return teardown(state);
}

/* No error line contains secret (a part of a token). */
static void
assert_not_echoed(const struct fixture *f, const char *secret)
{
	for (size_t i = 0; i < f->errs.n; i++) {
		if (strstr(f->errs.lines[i], secret) != NULL) {
			print_errors(&f->errs);
			fail_msg("error %zu echoes the secret", i);
		}
	}
}

/* EXPECT_ERRORS for lines built at run time. */
#define EXPECT_ERRORS_V(f, ...) do { \
	const char *const want_[] = {__VA_ARGS__}; \
	expect_errors((f), want_, sizeof(want_) / sizeof(want_[0])); \
} while (0)

#define HEAD "state_dir = \"s\";\nbanks = [ \"b\" ];\n"

static void
test_slack_defaults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, HEAD), 0);
	assert_false(f->cfg.slack.enabled);
	assert_true(f->cfg.slack.socket_mode);
	assert_null(f->cfg.slack.bot_token);
	assert_null(f->cfg.slack.app_token);
	assert_null(f->cfg.slack.signing_secret);
	assert_string_equal(f->cfg.slack.api_url, "https://slack.com/api/");
	assert_int_equal(f->cfg.slack.connections, 1);

	/* disabled: nothing is read, not the environment, not the files */
	setenv("DRILLD_SLACK_BOT_TOKEN", "xoxb-from-env", 1);
	assert_int_equal(load_text(f, HEAD "slack = { enabled = false;\n"
	    "  bot_token = \"not a token\"; bot_token_file = \"missing\";\n"
	    "  signing_secret = \"\"; mode = \"events\"; };\n"), 0);
	assert_false(f->cfg.slack.enabled);
	assert_false(f->cfg.slack.socket_mode);
	assert_null(f->cfg.slack.bot_token);
	assert_null(f->cfg.slack.signing_secret);

	/* ... but every value is still checked */
	assert_int_equal(load_text(f, HEAD "slack = {\n"
	    "  bot_token = 5;\n"
	    "  app_token_file = [ \"x\" ];\n"
	    "  mode = \"sockets\";\n"
	    "  enabled = \"yes\";\n"
	    "  token = \"xoxb-1\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":4: slack.bot_token: expected a string (got an integer)",
	    ":5: slack.app_token_file: expected a string (got an array)",
	    ":6: slack.mode: unknown value \"sockets\" (socket or events)",
	    ":7: slack.enabled: expected true or false (got a string)",
	    ":8: slack.token: unknown option");
	assert_zeroed(&f->cfg);
}

static void
test_slack_socket_mode(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, HEAD "slack: {\n"
	    "  enabled = true;\n"
	    "  mode = \"socket\";\n"
	    "  bot_token = \"xoxb-123-456-abc\";\n"
	    "  app_token = \"xapp-1-A1-789-def\";\n"
	    "  signing_secret_file = \"not-read\";\n"	/* events mode's: ignored */
	    "  api_url = \"http://127.0.0.1:9999/api\";\n"
	    "  connections = 10;\n"
	    "};\n"), 0);
	assert_true(f->cfg.slack.enabled);
	assert_true(f->cfg.slack.socket_mode);
	assert_string_equal(f->cfg.slack.bot_token, "xoxb-123-456-abc");
	assert_string_equal(f->cfg.slack.app_token, "xapp-1-A1-789-def");
	assert_null(f->cfg.slack.signing_secret);
	assert_string_equal(f->cfg.slack.api_url, "http://127.0.0.1:9999/api/");
	assert_int_equal(f->cfg.slack.connections, 10);

	/* the default mode, from the environment; a '/' is not doubled */
	setenv("DRILLD_SLACK_BOT_TOKEN", "xoxb-env", 1);
	setenv("DRILLD_SLACK_APP_TOKEN", "xapp-env", 1);
	setenv("DRILLD_SLACK_SIGNING_SECRET", "", 1);	/* empty: unset */
	assert_int_equal(load_text(f, HEAD "slack = { enabled = true; "
	    "api_url = \"https://slack.example/api/\"; signing_secret = \"s\"; };\n"), 0);
	assert_true(f->cfg.slack.socket_mode);
	assert_string_equal(f->cfg.slack.bot_token, "xoxb-env");
	assert_string_equal(f->cfg.slack.app_token, "xapp-env");
	assert_null(f->cfg.slack.signing_secret);
	assert_string_equal(f->cfg.slack.api_url, "https://slack.example/api/");
	assert_int_equal(f->cfg.slack.connections, 1);

	/* Socket Mode needs the app token */
	unsetenv("DRILLD_SLACK_APP_TOKEN");
	assert_int_equal(load_text(f, HEAD "slack = {\n  enabled = true; };\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: slack.app_token: required in Socket Mode (slack.mode = "
	    "\"socket\", the default): give slack.app_token_file, the environment "
	    "variable DRILLD_SLACK_APP_TOKEN or slack.app_token");

	/* and the bot token always */
	unsetenv("DRILLD_SLACK_BOT_TOKEN");
	assert_int_equal(load_text(f, HEAD "slack = { enabled = true;\n"
	    "  app_token = \"xapp-1\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: slack.bot_token: required when slack.enabled is true: "
	    "give slack.bot_token_file, the environment variable DRILLD_SLACK_BOT_TOKEN "
	    "or slack.bot_token");
}

static void
test_slack_events_mode(void **state)
{
	struct fixture *f = *state;

	write_file(f, "signing", "8f742231b10e8888abcd99yyyzzz85a5\n");
	assert_int_equal(load_text(f, HEAD "http = { listen = \"127.0.0.1:8080\"; };\n"
	    "slack = { enabled = true; mode = \"events\"; bot_token = \"xoxb-1\";\n"
	    "  app_token = \"not used in events mode\"; signing_secret_file = \"signing\";\n"
	    "  connections = 3; };\n"), 0);
	assert_false(f->cfg.slack.socket_mode);
	assert_string_equal(f->cfg.slack.bot_token, "xoxb-1");
	assert_null(f->cfg.slack.app_token);
	assert_string_equal(f->cfg.slack.signing_secret, "8f742231b10e8888abcd99yyyzzz85a5");
	assert_int_equal(f->cfg.slack.connections, 3);

	/* Slack must be able to post somewhere */
	assert_int_equal(load_text(f, HEAD "slack = {\n"
	    "  enabled = true;\n"
	    "  mode = \"events\";\n"
	    "  bot_token = \"xoxb-1\";\n"
	    "  signing_secret = \"abc\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":5: slack.mode: slack.mode = \"events\" needs http.listen: "
	    "Slack posts events to drilld's HTTP server");

	/* a wrong http.listen is reported once, where it is */
	assert_int_equal(load_text(f, HEAD "http = { listen = \"localhost:80\"; };\n"
	    "slack = { enabled = true; mode = \"events\"; bot_token = \"xoxb-1\";\n"
	    "  signing_secret = \"abc\"; };\n"), DRILL_EINVAL);
	assert_int_equal(f->errs.n, 1);
	assert_non_null(strstr(f->errs.lines[0], ":3: http.listen: invalid address"));

	assert_int_equal(load_text(f, HEAD "http = { listen = \"*:8080\"; };\n"
	    "slack = { enabled = true; mode = \"events\";\n"
	    "  bot_token = \"xoxb-1\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":4: slack.signing_secret: required with slack.mode = \"events\": "
	    "give slack.signing_secret_file, the environment variable "
	    "DRILLD_SLACK_SIGNING_SECRET or slack.signing_secret");

	/* an unknown mode is one problem, not a string of missing secrets */
	assert_int_equal(load_text(f, HEAD "slack = { enabled = true; mode = \"webhook\";\n"
	    "  bot_token = \"xoxb-1\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: slack.mode: unknown value \"webhook\" (socket or events)");
}

/* Each secret from one place only; the message names the places, never the value. */
static void
test_slack_two_sources(void **state)
{
	struct fixture *f = *state;

	setenv("DRILLD_SLACK_BOT_TOKEN", "xoxb-ENVSECRET", 1);
	assert_int_equal(load_text(f, HEAD "slack = {\n"
	    "  enabled = true;\n"
	    "  bot_token = \"xoxb-INLINESECRET\";\n"
	    "  app_token = \"xapp-1\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":5: slack.bot_token: comes from two places, slack.bot_token "
	    "and the environment variable DRILLD_SLACK_BOT_TOKEN: keep one");
	assert_not_echoed(f, "SECRET");
	unsetenv("DRILLD_SLACK_BOT_TOKEN");

	write_file(f, "app", "xapp-FILESECRET\n");
	assert_int_equal(load_text(f, HEAD "slack = {\n"
	    "  enabled = true;\n"
	    "  bot_token = \"xoxb-1\";\n"
	    "  app_token = \"xapp-INLINESECRET\";\n"
	    "  app_token_file = \"app\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":6: slack.app_token: comes from two places, slack.app_token "
	    "and slack.app_token_file: keep one");
	assert_not_echoed(f, "SECRET");

	setenv("DRILLD_SLACK_APP_TOKEN", "xapp-ENVSECRET", 1);
	assert_int_equal(load_text(f, HEAD "slack = {\n"
	    "  enabled = true;\n"
	    "  bot_token = \"xoxb-1\";\n"
	    "  app_token_file = \"app\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":6: slack.app_token_file: comes from two places, "
	    "slack.app_token_file and the environment variable DRILLD_SLACK_APP_TOKEN: "
	    "keep one");
	assert_int_equal(load_text(f, HEAD "slack = {\n"
	    "  enabled = true;\n"
	    "  bot_token = \"xoxb-1\";\n"
	    "  app_token_file = \"app\";\n"
	    "  app_token = \"xapp-INLINESECRET\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":7: slack.app_token: comes from three places, "
	    "slack.app_token, slack.app_token_file and the environment variable "
	    "DRILLD_SLACK_APP_TOKEN: keep one");
	assert_not_echoed(f, "SECRET");

	/* in events mode the app token is not read at all */
	assert_int_equal(load_text(f, HEAD "http = { listen = \"*:8080\"; };\n"
	    "slack = { enabled = true; mode = \"events\"; bot_token = \"xoxb-1\";\n"
	    "  signing_secret = \"abc\"; app_token_file = \"app\";\n"
	    "  app_token = \"xapp-2\"; };\n"), 0);
	assert_null(f->cfg.slack.app_token);
}

/*
 * drillctl and reloads load without the secrets: an admin's shell has no
 * credentials directory, and that must not stop drillctl status.
 */
static void
test_slack_no_secrets(void **state)
{
	struct fixture *f = *state;
	const char *text = HEAD "slack = { enabled = true;\n"
	    "  bot_token_file = \"absent-bot\"; app_token_file = \"absent-app\"; };\n";
	const char *path;

	assert_int_equal(load_text(f, text), DRILL_EINVAL);	/* the daemon: refused */
	path = write_file(f, "drilld.conf", text);
	config_free(&f->cfg);
	drill_errors_free(&f->errs);
	assert_int_equal(config_load_flags(path, &f->cfg, &f->errs, CONFIG_NO_SECRETS), 0);
	assert_true(f->cfg.slack.enabled);
	assert_null(f->cfg.slack.bot_token);
	assert_null(f->cfg.slack.app_token);
	/* what does not need a secret is still checked */
	path = write_file(f, "drilld.conf", HEAD "slack = { enabled = true; mode = \"events\";\n"
	    "  connections = 11; };\n");
	config_free(&f->cfg);
	drill_errors_free(&f->errs);
	assert_int_equal(config_load_flags(path, &f->cfg, &f->errs, CONFIG_NO_SECRETS),
	    DRILL_EINVAL);
	assert_int_equal(f->errs.n, 2);	/* connections, and events without http.listen */
}

static void
test_slack_secret_files(void **state)
{
	struct fixture *f = *state;
	char creds[PATH_MAX + 16], abs[PATH_MAX + 16];

	/* relative to the config's directory; blanks and the newline stripped */
	write_file(f, "secrets/bot", "  xoxb-from-file\r\n\n");
	write_file(f, "app", "xapp-from-file");
	assert_int_equal(load_text(f, HEAD "slack = { enabled = true;\n"
	    "  bot_token_file = \"secrets/bot\"; app_token_file = \"./app\"; };\n"), 0);
	assert_string_equal(f->cfg.slack.bot_token, "xoxb-from-file");
	assert_string_equal(f->cfg.slack.app_token, "xapp-from-file");

	/* under $CREDENTIALS_DIRECTORY when it is set; absolute paths as they are */
	write_file(f, "creds/bot", "xoxb-credential\n");
	snprintf(creds, sizeof(creds), "%s/creds", f->dir);
	snprintf(abs, sizeof(abs), "%s/app", f->dir);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	{
		char text[PATH_MAX + 256];

		snprintf(text, sizeof(text), HEAD "slack = { enabled = true;\n"
		    "  bot_token_file = \"bot\"; app_token_file = \"%s\"; };\n", abs);
		assert_int_equal(load_text(f, text), 0);
	}
	assert_string_equal(f->cfg.slack.bot_token, "xoxb-credential");
	assert_string_equal(f->cfg.slack.app_token, "xapp-from-file");

	/* not under the config's directory then */
	write_file(f, "only-here", "xoxb-1\n");
	assert_int_equal(load_text(f, HEAD "slack = { enabled = true;\n"
	    "  bot_token_file = \"only-here\"; app_token = \"xapp-1\"; };\n"), DRILL_EINVAL);
	assert_int_equal(f->errs.n, 1);
	assert_non_null(strstr(f->errs.lines[0], ":4: slack.bot_token_file: cannot read \""));
	assert_non_null(strstr(f->errs.lines[0], "/creds/only-here\": No such file or directory"));
	unsetenv("CREDENTIALS_DIRECTORY");
}

/* A secret file's problems name the path and the problem, never the content. */
static void
test_slack_secret_file_errors(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *content;
		const char *problem;
	} bad[] = {
		{"", "is empty"},
		{" \n\t\n", "is empty"},
		{"xoxb-FIRSTSECRET\nxoxb-SECONDSECRET\n", "has more than one line"},
		{"xoxb-SEC\x01RET\n", "contains a control character"},
		{"xoxp-USERSECRET\n", "is not a bot token: it must start with \"xoxb-\""},
	};
	char text[512], want[PATH_MAX + 256], big[4098];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(f, "bot", bad[i].content);
		snprintf(want, sizeof(want), ":4: slack.bot_token_file: the file \"%s/bot\" %s",
		    f->dir, bad[i].problem);
		assert_int_equal(load_text(f, HEAD "slack = { enabled = true;\n"
		    "  bot_token_file = \"bot\"; app_token = \"xapp-1\"; };\n"), DRILL_EINVAL);
		EXPECT_ERRORS_V(f, want);
		assert_not_echoed(f, "SEC");
	}

	/* 4K is the most */
	memset(big, 'a', sizeof(big));
	memcpy(big, "xoxb-", 5);
	big[4096] = '\0';
	write_file(f, "bot", big);
	assert_int_equal(load_text(f, HEAD "slack = { enabled = true;\n"
	    "  bot_token_file = \"bot\"; app_token = \"xapp-1\"; };\n"), 0);
	assert_int_equal(strlen(f->cfg.slack.bot_token), 4096);
	big[4096] = 'a';
	big[4097] = '\0';
	write_file(f, "bot", big);
	assert_int_equal(load_text(f, HEAD "slack = { enabled = true;\n"
	    "  bot_token_file = \"bot\"; app_token = \"xapp-1\"; };\n"), DRILL_EINVAL);
	snprintf(want, sizeof(want), ":4: slack.bot_token_file: the file \"%s/bot\" is "
	    "larger than 4096 bytes", f->dir);
	EXPECT_ERRORS_V(f, want);

	/* missing, a directory, an empty name */
	snprintf(text, sizeof(text), HEAD "slack = { enabled = true;\n"
	    "  bot_token_file = \"nothing\"; app_token_file = \"secrets\";\n"
	    "  signing_secret_file = \"\"; };\n");
	write_file(f, "secrets/x", "");
	assert_int_equal(load_text(f, text), DRILL_EINVAL);
	{
		char w1[PATH_MAX + 128], w2[PATH_MAX + 128];

		snprintf(w1, sizeof(w1), ":4: slack.bot_token_file: cannot read "
		    "\"%s/nothing\": No such file or directory", f->dir);
		snprintf(w2, sizeof(w2), ":4: slack.app_token_file: the file "
		    "\"%s/secrets\" is not a regular file", f->dir);
		EXPECT_ERRORS_V(f, w1, w2);
	}
	/* the empty name matters in events mode, where it is read */
	assert_int_equal(load_text(f, HEAD "http = { listen = \"*:80\"; };\n"
	    "slack = { enabled = true; mode = \"events\"; bot_token = \"xoxb-1\";\n"
	    "  signing_secret_file = \"\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":5: slack.signing_secret_file: must not be empty");
}

/* Tokens of the wrong kind: the message says which kind is wanted, and no more. */
static void
test_slack_bad_tokens(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, HEAD "slack = {\n"
	    "  enabled = true;\n"
	    "  bot_token = \"xoxp-USERSECRET\";\n"
	    "  app_token = \"xoxb-BOTSECRET\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":5: slack.bot_token: the value is not a bot token: it must start with \"xoxb-\"",
	    ":6: slack.app_token: the value is not an app-level token: it must start with \"xapp-\"");
	assert_not_echoed(f, "SECRET");

	setenv("DRILLD_SLACK_BOT_TOKEN", "xapp-ENVSECRET", 1);
	setenv("DRILLD_SLACK_APP_TOKEN", "xapp-SEC\nRET", 1);
	assert_int_equal(load_text(f, HEAD "slack = {\n  enabled = true;\n};\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: slack.bot_token: the environment variable DRILLD_SLACK_BOT_TOKEN is not "
	    "a bot token: it must start with \"xoxb-\"",
	    ":3: slack.app_token: the environment variable DRILLD_SLACK_APP_TOKEN has "
	    "more than one line");
	assert_not_echoed(f, "SEC");
	unsetenv("DRILLD_SLACK_BOT_TOKEN");
	unsetenv("DRILLD_SLACK_APP_TOKEN");

	assert_int_equal(load_text(f, HEAD "slack = {\n  enabled = true;\n"
	    "  bot_token = \"\"; app_token = \"xapp-\\tSECRET\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":5: slack.bot_token: the value is empty",
	    ":5: slack.app_token: the value contains a control character");
	assert_not_echoed(f, "SECRET");
}

static void
test_slack_options(void **state)
{
	struct fixture *f = *state;
	char text[2048];

	assert_int_equal(load_text(f, HEAD "slack = {\n"
	    "  connections = 0;\n"
	    "  api_url = \"ftp://slack.com/api/\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":4: slack.connections: 0 is out of range (1..10)",
	    ":5: slack.api_url: invalid URL \"ftp://slack.com/api/\": expected \"https://\" "
	    "or \"http://\" and a host, e.g. \"https://slack.com/api/\"");

	assert_int_equal(load_text(f, HEAD "slack = { connections = 11; api_url = \"https://\"; };\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: slack.connections: 11 is out of range (1..10)",
	    ":3: slack.api_url: invalid URL \"https://\": expected \"https://\" "
	    "or \"http://\" and a host, e.g. \"https://slack.com/api/\"");

	assert_int_equal(load_text(f, HEAD "slack = { connections = \"2\"; "
	    "api_url = \"https://slack.com/a pi/\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: slack.connections: expected an integer (got a string)",
	    ":3: slack.api_url: invalid URL \"https://slack.com/a pi/\": it contains a "
	    "space or a control character");

	assert_int_equal(load_text(f, HEAD "slack = { api_url = \"https://slack.com/api?x=1\"; };\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: slack.api_url: invalid URL \"https://slack.com/api?x=1\": no "
	    "query or fragment, please (Web API method names are appended to it)");

	/* 1024 bytes at most */
	memset(text, 0, sizeof(text));
	{
		char url[1026];

		memset(url, 'a', sizeof(url));
		memcpy(url, "https://", 8);
		url[1024] = '\0';
		snprintf(text, sizeof(text), HEAD "slack = { api_url = \"%s\"; };\n", url);
		assert_int_equal(load_text(f, text), 0);
		assert_int_equal(strlen(f->cfg.slack.api_url), 1025);
		assert_int_equal(f->cfg.slack.api_url[1024], '/');
		url[1024] = 'a';
		url[1025] = '\0';
		snprintf(text, sizeof(text), HEAD "slack = { api_url = \"%s\"; };\n", url);
		assert_int_equal(load_text(f, text), DRILL_EINVAL);
		EXPECT_ERRORS(f, ":3: slack.api_url: longer than 1024 bytes");
	}

	/* the group itself */
	assert_int_equal(load_text(f, HEAD "slack = true;\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: slack: expected a group, e.g. slack { ... } (got a boolean)");
}

/* ---- matrix ------------------------------------------------------------ */

/* An enabled matrix group, opened on lines 3 and 4 after HEAD; the rest follows. */
#define MATRIX_ON "matrix = { enabled = true; homeserver = \"https://m.example.org\";\n" \
	"  user_id = \"@drilld:m.example.org\";\n"

/* load_text with config_load_flags. */
static int
load_text_flags(struct fixture *f, const char *text, unsigned flags)
{
	const char *path = write_file(f, "drilld.conf", text);

	config_free(&f->cfg);
	drill_errors_free(&f->errs);
	return config_load_flags(path, &f->cfg, &f->errs, flags);
}

static void
assert_no_matrix_secrets(const struct fixture *f)
{
	assert_null(f->cfg.matrix.access_token);
	assert_null(f->cfg.matrix.password);
	assert_null(f->cfg.matrix.as_token);
	assert_null(f->cfg.matrix.hs_token);
}

static void
test_matrix_defaults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, HEAD), 0);
	assert_false(f->cfg.matrix.enabled);
	assert_false(f->cfg.matrix.appservice);
	assert_null(f->cfg.matrix.homeserver);
	assert_null(f->cfg.matrix.user_id);
	assert_no_matrix_secrets(f);
	assert_string_equal(f->cfg.matrix.appservice_id, "drilld");
	assert_null(f->cfg.matrix.appservice_url);	/* no http.listen */
	assert_null(f->cfg.matrix.auto_join);	/* no user_id */
	assert_int_equal(f->cfg.matrix.nauto_join, 0);

	/* disabled: no secret is read, not the environment, not the files;
	 * the defaults that come from other options are there */
	setenv("DRILLD_MATRIX_ACCESS_TOKEN", "syt_from_env", 1);
	setenv("DRILLD_MATRIX_HS_TOKEN", "hs_from_env", 1);
	assert_int_equal(load_text(f, HEAD "http = { listen = \"*:8448\"; };\n"
	    "matrix = { enabled = false; mode = \"appservice\";\n"
	    "  homeserver = \"https://matrix.example.org/\"; user_id = \"@drilld:example.org\";\n"
	    "  access_token = \"not a token\"; password_file = \"missing\";\n"
	    "  as_token = \"\"; hs_token_file = \"missing\"; };\n"), 0);
	assert_false(f->cfg.matrix.enabled);
	assert_true(f->cfg.matrix.appservice);
	assert_string_equal(f->cfg.matrix.homeserver, "https://matrix.example.org");
	assert_string_equal(f->cfg.matrix.user_id, "@drilld:example.org");
	assert_no_matrix_secrets(f);
	assert_string_equal(f->cfg.matrix.appservice_url, "http://127.0.0.1:8448");
	assert_int_equal(f->cfg.matrix.nauto_join, 1);
	assert_string_equal(f->cfg.matrix.auto_join[0], "example.org");
	unsetenv("DRILLD_MATRIX_ACCESS_TOKEN");
	unsetenv("DRILLD_MATRIX_HS_TOKEN");

	/* ... but every value is still checked */
	assert_int_equal(load_text(f, HEAD "matrix = {\n"
	    "  enabled = 1;\n"
	    "  mode = \"bot\";\n"
	    "  homeserver = \"matrix.example.org\";\n"
	    "  user_id = \"drilld\";\n"
	    "  access_token = 5;\n"
	    "  password_file = [ \"x\" ];\n"
	    "  appservice_id = \"\";\n"
	    "  appservice_url = \"http://127.0.0.1:8080/?x\";\n"
	    "  auto_join = \"*\";\n"
	    "  token = \"x\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":4: matrix.enabled: expected true or false (got an integer)",
	    ":5: matrix.mode: unknown value \"bot\" (client or appservice)",
	    ":6: matrix.homeserver: invalid URL \"matrix.example.org\": expected "
	    "\"https://\" or \"http://\" and a host, e.g. \"https://matrix.example.org\"",
	    ":7: matrix.user_id: invalid user id \"drilld\": expected \"@localpart:server\" "
	    "of at most 255 bytes, e.g. \"@drilld:example.org\"",
	    ":8: matrix.access_token: expected a string (got an integer)",
	    ":9: matrix.password_file: expected a string (got an array)",
	    ":10: matrix.appservice_id: invalid id \"\": expected 1 to 64 letters, "
	    "digits, '.', '_' or '-', e.g. \"drilld\"",
	    ":11: matrix.appservice_url: invalid URL \"http://127.0.0.1:8080/?x\": no "
	    "query or fragment, please (API paths are appended to it)",
	    ":12: matrix.auto_join: expected a list, e.g. [ \"example.org\", "
	    "\"@ann:example.org\" ] or [ \"*\" ] (got a string)",
	    ":13: matrix.token: unknown option");
	assert_zeroed(&f->cfg);

	assert_int_equal(load_text(f, HEAD "matrix = true;\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: matrix: expected a group, e.g. matrix { ... } (got a boolean)");
}

/* Client mode: an access token, a password, or both. */
static void
test_matrix_client(void **state)
{
	struct fixture *f = *state;

	/* a token; appservice secrets are not read */
	assert_int_equal(load_text(f, HEAD "matrix = { enabled = true;\n"
	    "  homeserver = \"https://matrix.example.org\"; user_id = \"@drilld:example.org\";\n"
	    "  access_token = \"syt_ZHJpbGxk_abcdef_0123\"; as_token_file = \"not-read\";\n"
	    "  hs_token = \"not read\"; };\n"), 0);
	assert_true(f->cfg.matrix.enabled);
	assert_false(f->cfg.matrix.appservice);
	assert_string_equal(f->cfg.matrix.homeserver, "https://matrix.example.org");
	assert_string_equal(f->cfg.matrix.user_id, "@drilld:example.org");
	assert_string_equal(f->cfg.matrix.access_token, "syt_ZHJpbGxk_abcdef_0123");
	assert_null(f->cfg.matrix.password);
	assert_null(f->cfg.matrix.as_token);
	assert_null(f->cfg.matrix.hs_token);
	assert_string_equal(f->cfg.matrix.appservice_id, "drilld");
	assert_null(f->cfg.matrix.appservice_url);
	assert_int_equal(f->cfg.matrix.nauto_join, 1);
	assert_string_equal(f->cfg.matrix.auto_join[0], "example.org");

	/* a password, spaces and all (a value is taken as it is); a path is
	 * kept, its final '/'s are not; an empty auto_join is nobody */
	assert_int_equal(load_text(f, HEAD "matrix = { enabled = true; mode = \"client\";\n"
	    "  homeserver = \"http://[::1]:8008/matrix//\"; user_id = \"@drilld:[::1]:8008\";\n"
	    "  password = \" correct horse battery staple \"; auto_join = [ ]; };\n"), 0);
	assert_false(f->cfg.matrix.appservice);
	assert_string_equal(f->cfg.matrix.homeserver, "http://[::1]:8008/matrix");
	assert_string_equal(f->cfg.matrix.user_id, "@drilld:[::1]:8008");
	assert_null(f->cfg.matrix.access_token);
	assert_string_equal(f->cfg.matrix.password, " correct horse battery staple ");
	assert_int_equal(f->cfg.matrix.nauto_join, 0);

	/* both: the token is used, the password logs in again */
	write_file(f, "token", "syt_file_token\n");
	setenv("DRILLD_MATRIX_PASSWORD", "p\xc3\xa4sswort mit Leerzeichen", 1);
	assert_int_equal(load_text(f, HEAD "matrix = { enabled = true;\n"
	    "  homeserver = \"https://hs.example.org:8448\"; user_id = \"@bot:example.org\";\n"
	    "  access_token_file = \"token\";\n"
	    "  auto_join = [ \"*\", \"example.org\", \"other.example:8448\", \"@ann:example.org\",\n"
	    "    \"192.168.1.2\", \"[2001:db8::1]:8448\", \"@x=y/z+:localhost\" ]; };\n"), 0);
	assert_string_equal(f->cfg.matrix.homeserver, "https://hs.example.org:8448");
	assert_string_equal(f->cfg.matrix.access_token, "syt_file_token");
	assert_string_equal(f->cfg.matrix.password, "p\xc3\xa4sswort mit Leerzeichen");
	assert_int_equal(f->cfg.matrix.nauto_join, 7);
	assert_string_equal(f->cfg.matrix.auto_join[0], "*");
	assert_string_equal(f->cfg.matrix.auto_join[2], "other.example:8448");
	assert_string_equal(f->cfg.matrix.auto_join[3], "@ann:example.org");
	assert_string_equal(f->cfg.matrix.auto_join[5], "[2001:db8::1]:8448");
	assert_string_equal(f->cfg.matrix.auto_join[6], "@x=y/z+:localhost");
}

/* Appservice mode: both tokens, http.listen, and the URL derived from it. */
static void
test_matrix_appservice(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *listen, *url;
	} derived[] = {
		{"127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"*:8080", "http://127.0.0.1:8080"},
		{"0.0.0.0:9000", "http://127.0.0.1:9000"},
		{"10.0.0.5:8080", "http://10.0.0.5:8080"},
		{"[::1]:8448", "http://[::1]:8448"},
		{"[::]:80", "http://[::1]:80"},
		{"[2001:db8::5]:8080", "http://[2001:db8::5]:8080"},
	};
	char text[1024];

	assert_int_equal(load_text(f, HEAD "http = { listen = \"127.0.0.1:8080\"; };\n"
	    "matrix = { enabled = true; mode = \"appservice\";\n"
	    "  homeserver = \"https://matrix.example.org\"; user_id = \"@drilld:example.org\";\n"
	    "  as_token = \"wfghWEGh3wgWHEf3478sHFWE\"; hs_token = \"ugw8243igya57aaABGFfgeyu\";\n"
	    "  access_token = \"not read\"; password_file = \"not-read\";\n"
	    "  appservice_id = \"drilld-prod_1.x\"; };\n"), 0);
	assert_true(f->cfg.matrix.enabled);
	assert_true(f->cfg.matrix.appservice);
	assert_string_equal(f->cfg.matrix.as_token, "wfghWEGh3wgWHEf3478sHFWE");
	assert_string_equal(f->cfg.matrix.hs_token, "ugw8243igya57aaABGFfgeyu");
	assert_null(f->cfg.matrix.access_token);
	assert_null(f->cfg.matrix.password);
	assert_string_equal(f->cfg.matrix.appservice_id, "drilld-prod_1.x");
	assert_string_equal(f->cfg.matrix.appservice_url, "http://127.0.0.1:8080");
	assert_int_equal(f->cfg.matrix.nauto_join, 1);
	assert_string_equal(f->cfg.matrix.auto_join[0], "example.org");

	/* a given URL wins, without its final '/' */
	assert_int_equal(load_text(f, HEAD "http = { listen = \"*:8080\"; };\n"
	    "matrix = { enabled = true; mode = \"appservice\";\n"
	    "  homeserver = \"https://matrix.example.org\"; user_id = \"@drilld:example.org\";\n"
	    "  as_token = \"as\"; hs_token = \"hs\";\n"
	    "  appservice_url = \"https://drilld.internal:8443/\"; };\n"), 0);
	assert_string_equal(f->cfg.matrix.appservice_url, "https://drilld.internal:8443");

	/* else it is derived from http.listen; a wildcard is the loopback */
	for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
		snprintf(text, sizeof(text), HEAD "http = { listen = \"%s\"; };\n"
		    "matrix = { enabled = true; mode = \"appservice\";\n"
		    "  homeserver = \"https://matrix.example.org\"; user_id = \"@d:example.org\";\n"
		    "  as_token = \"as\"; hs_token = \"hs\"; };\n", derived[i].listen);
		assert_int_equal(load_text(f, text), 0);
		assert_string_equal(f->cfg.matrix.appservice_url, derived[i].url);
	}
}

/* What an enabled group lacks, one line each, at the group's line. */
static void
test_matrix_missing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, HEAD "matrix = {\n  enabled = true;\n};\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: matrix.homeserver: required when matrix.enabled is true: the "
	    "homeserver's base URL, e.g. \"https://matrix.example.org\"",
	    ":3: matrix.user_id: required when matrix.enabled is true: the bot's user "
	    "id, e.g. \"@drilld:example.org\"",
	    ":3: matrix.access_token: client mode (matrix.mode = \"client\", the "
	    "default) needs an access token or a password: give "
	    "matrix.access_token_file, the environment variable "
	    "DRILLD_MATRIX_ACCESS_TOKEN or matrix.access_token, or "
	    "matrix.password_file, DRILLD_MATRIX_PASSWORD or matrix.password");

	/* a wrong one is reported once, where it is */
	assert_int_equal(load_text(f, HEAD "matrix = { enabled = true; homeserver = \"https://\";\n"
	    "  user_id = \"@drilld\"; access_token = \"t\"; };\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: matrix.homeserver: invalid URL \"https://\": expected \"https://\" or "
	    "\"http://\" and a host, e.g. \"https://matrix.example.org\"",
	    ":4: matrix.user_id: invalid user id \"@drilld\": expected "
	    "\"@localpart:server\" of at most 255 bytes, e.g. \"@drilld:example.org\"");

	/* appservice: http.listen and both tokens; no client secret instead */
	assert_int_equal(load_text(f, HEAD "matrix = {\n"
	    "  enabled = true;\n"
	    "  mode = \"appservice\";\n"
	    "  homeserver = \"https://matrix.example.org\";\n"
	    "  user_id = \"@drilld:example.org\";\n"
	    "  access_token = \"syt_not_used\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":5: matrix.mode: matrix.mode = \"appservice\" needs http.listen: the "
	    "homeserver pushes events to drilld's HTTP server",
	    ":3: matrix.as_token: required with matrix.mode = \"appservice\": give "
	    "matrix.as_token_file, the environment variable DRILLD_MATRIX_AS_TOKEN or "
	    "matrix.as_token",
	    ":3: matrix.hs_token: required with matrix.mode = \"appservice\": give "
	    "matrix.hs_token_file, the environment variable DRILLD_MATRIX_HS_TOKEN or "
	    "matrix.hs_token");

	/* one token is not enough; a wrong http.listen is reported once, where it is */
	assert_int_equal(load_text(f, HEAD "http = { listen = \"localhost:80\"; };\n"
	    "matrix = { enabled = true; mode = \"appservice\";\n"
	    "  homeserver = \"https://m.example.org\"; user_id = \"@d:m.example.org\";\n"
	    "  as_token = \"as\"; };\n"), DRILL_EINVAL);
	assert_int_equal(f->errs.n, 2);
	assert_non_null(strstr(f->errs.lines[0], ":3: http.listen: invalid address"));
	assert_non_null(strstr(f->errs.lines[1], ":4: matrix.hs_token: required with "
	    "matrix.mode = \"appservice\": give matrix.hs_token_file,"));

	/* an unknown mode is one problem, not a string of missing secrets */
	assert_int_equal(load_text(f, HEAD MATRIX_ON "  mode = \"bridge\"; };\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f, ":5: matrix.mode: unknown value \"bridge\" (client or appservice)");

	/* a bad secret is its own problem, not also a missing one */
	assert_int_equal(load_text(f, HEAD MATRIX_ON "  access_token = \"\"; };\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f, ":5: matrix.access_token: the value is empty");
}

/* Each secret from one place only; the message names the places, never the value. */
static void
test_matrix_two_sources(void **state)
{
	struct fixture *f = *state;

	setenv("DRILLD_MATRIX_ACCESS_TOKEN", "syt_ENVSECRET", 1);
	assert_int_equal(load_text(f, HEAD MATRIX_ON
	    "  access_token = \"syt_INLINESECRET\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":5: matrix.access_token: comes from two places, "
	    "matrix.access_token and the environment variable DRILLD_MATRIX_ACCESS_TOKEN: "
	    "keep one");
	assert_not_echoed(f, "SECRET");
	unsetenv("DRILLD_MATRIX_ACCESS_TOKEN");

	write_file(f, "pw", "FILE SECRET\n");
	assert_int_equal(load_text(f, HEAD MATRIX_ON
	    "  password = \"INLINE SECRET\";\n"
	    "  password_file = \"pw\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":5: matrix.password: comes from two places, matrix.password "
	    "and matrix.password_file: keep one");
	assert_not_echoed(f, "SECRET");

	write_file(f, "hs", "HSFILESECRET\n");
	setenv("DRILLD_MATRIX_HS_TOKEN", "HSENVSECRET", 1);
	setenv("DRILLD_MATRIX_AS_TOKEN", "ASENVSECRET", 1);
	assert_int_equal(load_text(f, HEAD "http = { listen = \"*:8080\"; };\n"
	    "matrix = { enabled = true; mode = \"appservice\";\n"
	    "  homeserver = \"https://m.example.org\"; user_id = \"@d:m.example.org\";\n"
	    "  hs_token_file = \"hs\";\n"
	    "  as_token = \"ASINLINESECRET\"; as_token_file = \"hs\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":7: matrix.as_token: comes from three places, matrix.as_token, "
	    "matrix.as_token_file and the environment variable DRILLD_MATRIX_AS_TOKEN: "
	    "keep one",
	    ":6: matrix.hs_token_file: comes from two places, matrix.hs_token_file and "
	    "the environment variable DRILLD_MATRIX_HS_TOKEN: keep one");
	assert_not_echoed(f, "SECRET");
}

/* *_file (under the config's directory or $CREDENTIALS_DIRECTORY) and the environment. */
static void
test_matrix_secret_sources(void **state)
{
	struct fixture *f = *state;
	char creds[PATH_MAX + 16], want[PATH_MAX + 256];

	/* files relative to the config's directory; blanks around stripped */
	write_file(f, "secrets/pw", "  a pass phrase\t\r\n");
	write_file(f, "secrets/token", "syt_from_file\n");
	assert_int_equal(load_text(f, HEAD MATRIX_ON
	    "  access_token_file = \"secrets/token\"; password_file = \"./secrets/pw\"; };\n"), 0);
	assert_string_equal(f->cfg.matrix.access_token, "syt_from_file");
	assert_string_equal(f->cfg.matrix.password, "a pass phrase");

	/* under $CREDENTIALS_DIRECTORY when it is set */
	write_file(f, "creds/as", "as_credential\n");
	write_file(f, "creds/hs", "hs_credential");
	snprintf(creds, sizeof(creds), "%s/creds", f->dir);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	assert_int_equal(load_text(f, HEAD "http = { listen = \"[::1]:8080\"; };\n"
	    "matrix = { enabled = true; mode = \"appservice\";\n"
	    "  homeserver = \"https://m.example.org\"; user_id = \"@d:m.example.org\";\n"
	    "  as_token_file = \"as\"; hs_token_file = \"hs\"; };\n"), 0);
	assert_string_equal(f->cfg.matrix.as_token, "as_credential");
	assert_string_equal(f->cfg.matrix.hs_token, "hs_credential");
	assert_null(f->cfg.matrix.access_token);
	unsetenv("CREDENTIALS_DIRECTORY");

	/* the environment, each mode taking its own */
	setenv("DRILLD_MATRIX_ACCESS_TOKEN", "syt_env", 1);
	setenv("DRILLD_MATRIX_PASSWORD", "env pass phrase", 1);
	setenv("DRILLD_MATRIX_AS_TOKEN", "as_env", 1);
	setenv("DRILLD_MATRIX_HS_TOKEN", "hs_env", 1);
	assert_int_equal(load_text(f, HEAD MATRIX_ON "};\n"), 0);
	assert_string_equal(f->cfg.matrix.access_token, "syt_env");
	assert_string_equal(f->cfg.matrix.password, "env pass phrase");
	assert_null(f->cfg.matrix.as_token);
	assert_null(f->cfg.matrix.hs_token);
	assert_int_equal(load_text(f, HEAD "http = { listen = \"*:8080\"; };\n"
	    "matrix = { enabled = true; mode = \"appservice\";\n"
	    "  homeserver = \"https://m.example.org\"; user_id = \"@d:m.example.org\"; };\n"), 0);
	assert_null(f->cfg.matrix.access_token);
	assert_null(f->cfg.matrix.password);
	assert_string_equal(f->cfg.matrix.as_token, "as_env");
	assert_string_equal(f->cfg.matrix.hs_token, "hs_env");

	/* the environment's problems are reported at the group; empty is unset */
	setenv("DRILLD_MATRIX_ACCESS_TOKEN", "syt SECRET", 1);
	setenv("DRILLD_MATRIX_PASSWORD", "pass\x01SECRET", 1);
	assert_int_equal(load_text(f, HEAD MATRIX_ON "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: matrix.access_token: the environment variable DRILLD_MATRIX_ACCESS_TOKEN "
	    "contains a space or a non-ASCII byte (a token has neither)",
	    ":3: matrix.password: the environment variable DRILLD_MATRIX_PASSWORD "
	    "contains a control character");
	assert_not_echoed(f, "SECRET");
	setenv("DRILLD_MATRIX_ACCESS_TOKEN", "", 1);
	unsetenv("DRILLD_MATRIX_PASSWORD");
	assert_int_equal(load_text(f, HEAD MATRIX_ON "};\n"), DRILL_EINVAL);
	assert_int_equal(f->errs.n, 1);
	assert_non_null(strstr(f->errs.lines[0], ":3: matrix.access_token: client mode"));

	/* a file's problems name the path, never the content */
	write_file(f, "token", "syt_WITH SPACE SECRET\n");
	write_file(f, "pw", "SECRET\nSECONDLINE\n");
	assert_int_equal(load_text(f, HEAD MATRIX_ON
	    "  access_token_file = \"token\"; password_file = \"pw\"; };\n"), DRILL_EINVAL);
	assert_int_equal(f->errs.n, 2);
	snprintf(want, sizeof(want), ":5: matrix.access_token_file: the file \"%s/token\" "
	    "contains a space or a non-ASCII byte (a token has neither)", f->dir);
	assert_non_null(strstr(f->errs.lines[0], want));
	snprintf(want, sizeof(want), ":5: matrix.password_file: the file \"%s/pw\" has "
	    "more than one line", f->dir);
	assert_non_null(strstr(f->errs.lines[1], want));
	assert_not_echoed(f, "SECRET");

	/* a value's too */
	assert_int_equal(load_text(f, HEAD MATRIX_ON
	    "  access_token = \"syt_\\xc3\\xa9SECRET\"; password = \"tab\\tSECRET\"; };\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":5: matrix.access_token: the value contains a space or a non-ASCII byte "
	    "(a token has neither)",
	    ":5: matrix.password: the value contains a control character");
	assert_not_echoed(f, "SECRET");
}

/* The two appservice tokens must differ; the message shows neither. */
static void
test_matrix_same_tokens(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, HEAD "http = { listen = \"*:8080\"; };\n"
	    "matrix = { enabled = true; mode = \"appservice\";\n"
	    "  homeserver = \"https://m.example.org\"; user_id = \"@d:m.example.org\";\n"
	    "  as_token = \"SAMESECRET\";\n"
	    "  hs_token = \"SAMESECRET\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":7: matrix.hs_token: the same as matrix.as_token: give each "
	    "its own random value (the homeserver proves itself with hs_token, drilld "
	    "with as_token)");
	assert_not_echoed(f, "SECRET");

	/* from the environment: at the group */
	setenv("DRILLD_MATRIX_AS_TOKEN", "SAMESECRET", 1);
	setenv("DRILLD_MATRIX_HS_TOKEN", "SAMESECRET", 1);
	assert_int_equal(load_text(f, HEAD "http = { listen = \"*:8080\"; };\n"
	    "matrix = { enabled = true; mode = \"appservice\";\n"
	    "  homeserver = \"https://m.example.org\"; user_id = \"@d:m.example.org\"; };\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f, ":4: matrix.hs_token: the same as matrix.as_token: give each "
	    "its own random value (the homeserver proves itself with hs_token, drilld "
	    "with as_token)");
	assert_not_echoed(f, "SECRET");
}

/* drillctl and reloads: no secret read or required; the rest still checked. */
static void
test_matrix_no_secrets(void **state)
{
	struct fixture *f = *state;
	const char *text = HEAD MATRIX_ON
	    "  access_token_file = \"absent\"; password_file = \"absent\"; };\n";

	assert_int_equal(load_text(f, text), DRILL_EINVAL);	/* the daemon: refused */
	assert_int_equal(f->errs.n, 2);
	assert_int_equal(load_text_flags(f, text, CONFIG_NO_SECRETS), 0);
	assert_true(f->cfg.matrix.enabled);
	assert_no_matrix_secrets(f);

	/* not even the environment */
	setenv("DRILLD_MATRIX_ACCESS_TOKEN", "syt_env", 1);
	assert_int_equal(load_text_flags(f, HEAD MATRIX_ON "};\n", CONFIG_NO_SECRETS), 0);
	assert_no_matrix_secrets(f);
	unsetenv("DRILLD_MATRIX_ACCESS_TOKEN");

	/* appservice without its tokens */
	assert_int_equal(load_text_flags(f, HEAD "http = { listen = \"*:8080\"; };\n"
	    "matrix = { enabled = true; mode = \"appservice\";\n"
	    "  homeserver = \"https://m.example.org\"; user_id = \"@d:m.example.org\"; };\n",
	    CONFIG_NO_SECRETS), 0);
	assert_true(f->cfg.matrix.appservice);
	assert_no_matrix_secrets(f);
	assert_string_equal(f->cfg.matrix.appservice_url, "http://127.0.0.1:8080");

	/* but what needs no secret is still checked */
	assert_int_equal(load_text_flags(f, HEAD "matrix = { enabled = true;\n"
	    "  mode = \"appservice\"; homeserver = \"https://m.example.org\"; };\n",
	    CONFIG_NO_SECRETS), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":3: matrix.user_id: required when matrix.enabled is true: the bot's user "
	    "id, e.g. \"@drilld:example.org\"",
	    ":4: matrix.mode: matrix.mode = \"appservice\" needs http.listen: the "
	    "homeserver pushes events to drilld's HTTP server");
}

/* Bad user ids, homeservers, auto_join entries and appservice ids, one by one. */
static void
test_matrix_bad_values(void **state)
{
	struct fixture *f = *state;
	static const char *const bad_users[] = {
		"drilld", "@drilld", "@:example.org", "@dri lld:example.org",
		"@drilld:", "@drilld:exa mple.org", "@drilld:example.org:",
		"@drilld:example.org:0", "@drilld:example.org:65536",
		"@drilld:example.org:123456", "@drilld:example..org",
		"@drilld:.example.org", "@drilld:example.org.", "@drilld:ex_ample.org",
		"@drilld:[::1", "@drilld:[zz]:80", "@drilld:[::1]x", "@d\xc3\xa9:example.org",
		"@drilld:example.org/x", "drilld:example.org", "@drilld:user@example.org",
	};
	static const char *const good_users[] = {
		"@drilld:example.org", "@d:m", "@x=y/z+._-:[::1]:8448", "@drilld:127.0.0.1:8008",
		"@DRILLD:Example.ORG:65535", "@drilld:my-host",
	};
	static const char *const bad_urls[] = {
		"matrix.example.org", "ftp://m.example.org", "https://", "https:///path",
		"https://user@m.example.org", "https://m.example.org:0",
		"https://m.example.org:99999", "https://m.example.org:8448x",
		"https://[::1", "https://[::1]x/", "https://:8448", "HTTPS://m.example.org",
	};
	static const struct {
		const char *url, *want;
	} good_urls[] = {
		{"https://m.example.org", "https://m.example.org"},
		{"http://127.0.0.1:8008/", "http://127.0.0.1:8008"},
		{"https://[::1]:8448/prefix/", "https://[::1]:8448/prefix"},
		{"https://example.org:443///", "https://example.org:443"},
	};
	char text[2048], url[1100], user[300];

	for (size_t i = 0; i < sizeof(bad_users) / sizeof(bad_users[0]); i++) {
		snprintf(text, sizeof(text), HEAD "matrix = { user_id = \"%s\"; };\n",
		    bad_users[i]);
		assert_int_equal(load_text(f, text), DRILL_EINVAL);
		if (f->errs.n != 1)
			print_errors(&f->errs);
		assert_int_equal(f->errs.n, 1);
		assert_non_null(strstr(f->errs.lines[0], ":3: matrix.user_id: invalid user id \""));
	}
	for (size_t i = 0; i < sizeof(good_users) / sizeof(good_users[0]); i++) {
		snprintf(text, sizeof(text), HEAD "matrix = { user_id = \"%s\"; };\n",
		    good_users[i]);
		if (load_text(f, text) != 0)
			print_errors(&f->errs);
		assert_int_equal(f->errs.n, 0);
		assert_string_equal(f->cfg.matrix.user_id, good_users[i]);
		/* the default auto_join: the server, port and all */
		assert_int_equal(f->cfg.matrix.nauto_join, 1);
		assert_string_equal(f->cfg.matrix.auto_join[0], strchr(good_users[i], ':') + 1);
	}
	/* 255 bytes at most */
	memset(user, 'a', sizeof(user));
	user[0] = '@';
	memcpy(user + 255 - 12, ":example.org", 13);	/* 255 bytes and the NUL */
	snprintf(text, sizeof(text), HEAD "matrix = { user_id = \"%s\"; };\n", user);
	assert_int_equal(load_text(f, text), 0);
	assert_int_equal(strlen(f->cfg.matrix.user_id), 255);
	memset(user, 'a', sizeof(user));
	user[0] = '@';
	memcpy(user + 256 - 12, ":example.org", 13);
	snprintf(text, sizeof(text), HEAD "matrix = { user_id = \"%s\"; };\n", user);
	assert_int_equal(load_text(f, text), DRILL_EINVAL);
	assert_int_equal(f->errs.n, 1);

	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		snprintf(text, sizeof(text), HEAD "matrix = { homeserver = \"%s\"; };\n",
		    bad_urls[i]);
		assert_int_equal(load_text(f, text), DRILL_EINVAL);
		if (f->errs.n != 1)
			print_errors(&f->errs);
		assert_int_equal(f->errs.n, 1);
		assert_non_null(strstr(f->errs.lines[0], ":3: matrix.homeserver: invalid URL \""));
		assert_non_null(strstr(f->errs.lines[0], "\": expected \"https://\" or "
		    "\"http://\" and a host, e.g. \"https://matrix.example.org\""));
	}
	for (size_t i = 0; i < sizeof(good_urls) / sizeof(good_urls[0]); i++) {
		snprintf(text, sizeof(text), HEAD "matrix = { homeserver = \"%s\";\n"
		    "  appservice_url = \"%s\"; };\n", good_urls[i].url, good_urls[i].url);
		assert_int_equal(load_text(f, text), 0);
		assert_string_equal(f->cfg.matrix.homeserver, good_urls[i].want);
		assert_string_equal(f->cfg.matrix.appservice_url, good_urls[i].want);
	}
	assert_int_equal(load_text(f, HEAD "matrix = {\n"
	    "  homeserver = \"https://m.example.org/#top\";\n"
	    "  appservice_url = \"http://127.0.0.1:8080/a b\";\n"
	    "};\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":4: matrix.homeserver: invalid URL \"https://m.example.org/#top\": no query "
	    "or fragment, please (API paths are appended to it)",
	    ":5: matrix.appservice_url: invalid URL \"http://127.0.0.1:8080/a b\": it "
	    "contains a space or a control character");
	/* 1024 bytes at most */
	memset(url, 'a', sizeof(url));
	memcpy(url, "https://m.example.org/", 22);
	url[1024] = '\0';
	snprintf(text, sizeof(text), HEAD "matrix = { homeserver = \"%s\"; };\n", url);
	assert_int_equal(load_text(f, text), 0);
	assert_int_equal(strlen(f->cfg.matrix.homeserver), 1024);
	url[1024] = 'a';
	url[1025] = '\0';
	snprintf(text, sizeof(text), HEAD "matrix = { homeserver = \"%s\"; };\n", url);
	assert_int_equal(load_text(f, text), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: matrix.homeserver: longer than 1024 bytes");

	/* auto_join: "*", servers, user ids, nothing else */
	assert_int_equal(load_text(f, HEAD "matrix = { user_id = \"@d:example.org\";\n"
	    "  auto_join = [ \"*\", \"\", \"@ann\", \"example.org/\", \"**\",\n"
	    "    \"@ann:example.org\", \"https://example.org\", \"example.org:0\" ]; };\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f,
	    ":4: matrix.auto_join[1]: invalid entry \"\": expected \"*\" (anyone), a "
	    "server name (\"example.org\") or a user id (\"@ann:example.org\")",
	    ":4: matrix.auto_join[2]: invalid entry \"@ann\": expected \"*\" (anyone), a "
	    "server name (\"example.org\") or a user id (\"@ann:example.org\")",
	    ":4: matrix.auto_join[3]: invalid entry \"example.org/\": expected \"*\" "
	    "(anyone), a server name (\"example.org\") or a user id (\"@ann:example.org\")",
	    ":4: matrix.auto_join[4]: invalid entry \"**\": expected \"*\" (anyone), a "
	    "server name (\"example.org\") or a user id (\"@ann:example.org\")",
	    ":5: matrix.auto_join[6]: invalid entry \"https://example.org\": expected "
	    "\"*\" (anyone), a server name (\"example.org\") or a user id "
	    "(\"@ann:example.org\")",
	    ":5: matrix.auto_join[7]: invalid entry \"example.org:0\": expected \"*\" "
	    "(anyone), a server name (\"example.org\") or a user id (\"@ann:example.org\")");
	assert_int_equal(load_text(f, HEAD "matrix = { auto_join = ( \"*\", 5 ); };\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: matrix.auto_join[1]: expected a string (got an integer)");
	/* a server name of 255 bytes at most */
	memset(user, 'a', sizeof(user));
	user[255] = '\0';
	snprintf(text, sizeof(text), HEAD "matrix = { auto_join = [ \"%s\" ]; };\n", user);
	assert_int_equal(load_text(f, text), 0);
	assert_int_equal(f->cfg.matrix.nauto_join, 1);
	user[255] = 'a';
	user[256] = '\0';
	snprintf(text, sizeof(text), HEAD "matrix = { auto_join = [ \"%s\" ]; };\n", user);
	assert_int_equal(load_text(f, text), DRILL_EINVAL);
	assert_int_equal(f->errs.n, 1);

	/* appservice_id */
	assert_int_equal(load_text(f, HEAD "matrix = { appservice_id = \"drilld prod\"; };\n"),
	    DRILL_EINVAL);
	EXPECT_ERRORS(f, ":3: matrix.appservice_id: invalid id \"drilld prod\": expected "
	    "1 to 64 letters, digits, '.', '_' or '-', e.g. \"drilld\"");
	memset(user, 'a', sizeof(user));
	user[64] = '\0';
	snprintf(text, sizeof(text), HEAD "matrix = { appservice_id = \"%s\"; };\n", user);
	assert_int_equal(load_text(f, text), 0);
	assert_string_equal(f->cfg.matrix.appservice_id, user);
	user[64] = 'a';
	user[65] = '\0';
	snprintf(text, sizeof(text), HEAD "matrix = { appservice_id = \"%s\"; };\n", user);
	assert_int_equal(load_text(f, text), DRILL_EINVAL);
	assert_int_equal(f->errs.n, 1);
}

/* reveal_after goes down to seconds, for end-to-end tests. */
static void
test_reveal_after_seconds(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, HEAD "schedules = ( { conversation = \"slack:C1\";\n"
	    "  cron = \"0 9 * * *\"; reveal_after = \"5s\"; } );\n"), 0);
	assert_int_equal(f->cfg.schedules[0].reveal_after_ms, 5000);
	assert_int_equal(load_text(f, HEAD "schedules = ( { conversation = \"slack:C1\";\n"
	    "  cron = \"0 9 * * *\"; reveal_after = \"7d\"; } );\n"), 0);
	assert_int_equal(f->cfg.schedules[0].reveal_after_ms, 7 * 86400000ULL);
	assert_int_equal(load_text(f, HEAD "schedules = ( { conversation = \"slack:C1\";\n"
	    "  cron = \"0 9 * * *\"; reveal_after = \"500ms\"; } );\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":4: schedules[0].reveal_after: \"500ms\" is out of range (1s..7d)");
	assert_int_equal(load_text(f, HEAD "schedules = ( { conversation = \"slack:C1\";\n"
	    "  cron = \"0 9 * * *\"; reveal_after = \"7d1s\"; } );\n"), DRILL_EINVAL);
	EXPECT_ERRORS(f, ":4: schedules[0].reveal_after: \"7d1s\" is out of range (1s..7d)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_minimal_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shipped_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_option, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_types_more, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_units, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_person, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_include_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinked_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_listen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_listen_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schedules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_people_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slack_defaults, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_slack_socket_mode, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_slack_events_mode, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_slack_two_sources, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_slack_no_secrets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slack_secret_files, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_slack_secret_file_errors, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_slack_bad_tokens, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_slack_options, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_matrix_defaults, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_matrix_client, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_matrix_appservice, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_matrix_missing, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_matrix_two_sources, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_matrix_secret_sources, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_matrix_same_tokens, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_matrix_no_secrets, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_matrix_bad_values, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_reveal_after_seconds, setup, teardown),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_free_zeroed),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_default_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
