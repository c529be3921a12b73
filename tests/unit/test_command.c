/* Tests for command.c: what is a command and what is an answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drill/command.h"
#include "drill/vocab.h"

static enum command_id
parse(const char *s, struct command *c)
{
	return command_parse(s, strlen(s), c);
}

static void
test_plain_commands(void **state)
{
	struct command c;

	(void)state;
	assert_int_equal(parse("help", &c), CMD_HELP);
	assert_int_equal(parse("  HINT \n", &c), CMD_HINT);
	assert_int_equal(parse("next", &c), CMD_NEXT);
	assert_int_equal(parse("stats", &c), CMD_STATS);
	assert_int_equal(parse("quit", &c), CMD_QUIT);
}

static void
test_answers_are_not_commands(void **state)
{
	struct command c;

	(void)state;
	assert_int_equal(parse("next I would add an index", &c), CMD_NONE);
	assert_int_equal(parse("hint\nreally an answer", &c), CMD_NONE);
	assert_int_equal(parse("", &c), CMD_NONE);
	assert_int_equal(parse("helping users is my job", &c), CMD_NONE);
	assert_int_equal(parse("practice makes perfect so I always write tests", &c), CMD_NONE);
}

static void
test_practice_arguments(void **state)
{
	struct command c;

	(void)state;
	assert_int_equal(parse("practice", &c), CMD_PRACTICE);
	assert_int_equal(c.topic, -1);
	assert_int_equal(parse("practice databases", &c), CMD_PRACTICE);
	assert_int_equal(c.topic, vocab_topic_parse("databases"));
	assert_int_equal(c.bad, 0);
	assert_int_equal(parse("practice behavioral senior", &c), CMD_PRACTICE);
	assert_int_equal(c.type, VOCAB_BEHAVIORAL);
	assert_int_equal(c.level, VOCAB_SENIOR);
	assert_int_equal(parse("Practice Junior", &c), CMD_PRACTICE);
	assert_int_equal(c.level, VOCAB_JUNIOR);
	assert_int_equal(parse("practice astrology", &c), CMD_PRACTICE);
	assert_int_equal(c.bad, 1);
	assert_string_equal(c.arg, "astrology");
}

static void
test_dispute_keeps_reason(void **state)
{
	struct command c;

	(void)state;
	assert_int_equal(parse("dispute I did mention the index", &c), CMD_DISPUTE);
	assert_string_equal(c.arg, "I did mention the index");
	assert_int_equal(parse("dispute", &c), CMD_DISPUTE);
	assert_string_equal(c.arg, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_commands),
		cmocka_unit_test(test_answers_are_not_commands),
		cmocka_unit_test(test_practice_arguments),
		cmocka_unit_test(test_dispute_keeps_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
