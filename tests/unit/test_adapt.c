/*
 * test_adapt.c - the adapters' shared pieces: a failure told once (and
 * told again only once forgotten), and backoff delays within their bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill/adapt.h"

static void
test_once(void **state)
{
	struct adapt_once o = {0};
	char key[32];

	(void)state;
	assert_true(adapt_once_first(&o, "channel_not_found slack:C1"));
	assert_false(adapt_once_first(&o, "channel_not_found slack:C1"));
	assert_true(adapt_once_first(&o, "channel_not_found slack:C2"));
	/* full: the oldest is forgotten, the newest still remembered */
	for (int i = 0; i < ADAPT_ONCE_MAX; i++) {
		snprintf(key, sizeof(key), "e%d", i);
		assert_true(adapt_once_first(&o, key));
	}
	assert_int_equal(o.n, ADAPT_ONCE_MAX);
	assert_true(adapt_once_first(&o, "channel_not_found slack:C1"));
	assert_false(adapt_once_first(&o, "e255"));
	adapt_once_free(&o);
	assert_int_equal(o.n, 0);
}

static void
test_backoff(void **state)
{
	uint64_t cur = 0, rng = adapt_seed(), caps[] = {1000, 2000, 4000, 8000, 16000, 32000,
	    60000, 60000};

	(void)state;
	assert_int_not_equal(rng, 0);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		uint64_t d = adapt_backoff(&cur, 1000, 60000, &rng);
		assert_int_equal(cur, caps[i]);
		assert_true(d >= caps[i] / 8 && d <= caps[i]);
	}
	cur = 0;	/* reset: from the start again */
	assert_true(adapt_backoff(&cur, 1000, 60000, &rng) <= 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
