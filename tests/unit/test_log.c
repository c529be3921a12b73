/* Tests for log.c: levels, and the journald prefix only on the journal's stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "drill/log.h"

/* Runs fn with stderr sent to a temporary file and returns what was written. */
static char *
capture(void (*fn)(void))
{
	static char buf[4096];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

static void
emit_levels(void)
{
	log_init("drilld", LOGL_NOTICE);
	log_info("hidden info");
	log_notice("shown notice key=%d", 1);
	log_warnx("shown warning");
}

static void
emit_journal(void)
{
	struct stat sb;
	char v[64];

	fstat(2, &sb);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)sb.st_dev,
	    (unsigned long long)sb.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	log_init("drilld", LOGL_INFO);
	log_warnx("to the journal");
	setenv("JOURNAL_STREAM", "1:2", 1);	/* inherited by a terminal: no match */
	log_init("drilld", LOGL_INFO);
	log_warnx("to a terminal");
	unsetenv("JOURNAL_STREAM");
}

static void
test_levels(void **state)
{
	char *out;
	enum log_level l;

	(void)state;
	out = capture(emit_levels);
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, "drilld: notice: shown notice key=1\n"));
	assert_non_null(strstr(out, "drilld: warning: shown warning\n"));
	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOGL_DEBUG);
	assert_int_equal(log_level_parse("loud", &l), DRILL_EINVAL);
	assert_string_equal(log_level_name(LOGL_ERROR), "error");
}

static void
test_journal_prefix(void **state)
{
	char *out;

	(void)state;
	out = capture(emit_journal);
	assert_non_null(strstr(out, "<4>to the journal\n"));
	assert_non_null(strstr(out, "drilld: warning: to a terminal\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_journal_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
