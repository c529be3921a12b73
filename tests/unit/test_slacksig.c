/*
 * test_slacksig.c - Slack's request signatures as a webhook meets them:
 * Slack's own published example, and every way a request can be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drill/slacksig.h"

/* Slack's documented example (a slash command), its secret and signature. */
#define SECRET "8f742231b10e8888abcd99yyyzzz85a5"
#define TS "1531420618"
#define BODY "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow" \
	"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner" \
	"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F" \
	"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=" \
	"398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
#define SIG "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
#define NOW 1531420618

static int
verify(const char *secret, const char *ts, const char *sig, const char *body,
    int64_t now, const char **why)
{
	return slacksig_verify(secret, strlen(secret), ts, sig, body, strlen(body), now, why);
}

static void
test_known_answer(void **state)
{
	char out[SLACKSIG_LEN + 1];
	const char *why = "x";

	(void)state;
	assert_int_equal(slacksig_sign(SECRET, strlen(SECRET), TS, BODY, strlen(BODY), out), 0);
	assert_string_equal(out, SIG);
	assert_int_equal(verify(SECRET, TS, SIG, BODY, NOW, &why), 0);
	assert_null(why);
	/* within the window either way */
	assert_int_equal(verify(SECRET, TS, SIG, BODY, NOW + 300, &why), 0);
	assert_int_equal(verify(SECRET, TS, SIG, BODY, NOW - 300, &why), 0);
}

static void
test_refused(void **state)
{
	char sig[SLACKSIG_LEN + 1], body[sizeof(BODY)];
	const char *why;

	(void)state;
	/* a replay, and a clock far ahead */
	assert_int_equal(verify(SECRET, TS, SIG, BODY, NOW + 301, &why), DRILL_EINVAL);
	assert_non_null(strstr(why, "5 minutes"));
	assert_int_equal(verify(SECRET, TS, SIG, BODY, NOW - 301, &why), DRILL_EINVAL);
	/* the wrong secret, a changed body, a changed timestamp */
	assert_int_equal(verify("another-secret", TS, SIG, BODY, NOW, &why), DRILL_EINVAL);
	assert_non_null(strstr(why, "does not match"));
	memcpy(body, BODY, sizeof(BODY));
	body[sizeof(BODY) - 2] ^= 1;
	assert_int_equal(verify(SECRET, TS, SIG, body, NOW, &why), DRILL_EINVAL);
	assert_int_equal(verify(SECRET, "1531420619", SIG, BODY, NOW, &why), DRILL_EINVAL);
	/* missing or malformed headers */
	assert_int_equal(slacksig_verify(SECRET, strlen(SECRET), NULL, SIG, BODY,
	    strlen(BODY), NOW, &why), DRILL_EINVAL);
	assert_non_null(strstr(why, "missing"));
	assert_int_equal(slacksig_verify(SECRET, strlen(SECRET), TS, NULL, BODY,
	    strlen(BODY), NOW, &why), DRILL_EINVAL);
	assert_int_equal(verify(SECRET, "15314x0618", SIG, BODY, NOW, &why), DRILL_EINVAL);
	assert_non_null(strstr(why, "not a number"));
	assert_int_equal(verify(SECRET, "-1531420618", SIG, BODY, NOW, &why), DRILL_EINVAL);
	assert_int_equal(verify(SECRET, "", SIG, BODY, NOW, &why), DRILL_EINVAL);
	assert_int_equal(verify(SECRET, "99999999999999999999999", SIG, BODY, NOW, &why),
	    DRILL_EINVAL);
	assert_int_equal(verify(SECRET, TS, "v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd"
	    "27519666489c69b503", BODY, NOW, &why), DRILL_EINVAL);
	assert_non_null(strstr(why, "not a v0"));
	assert_int_equal(verify(SECRET, TS, "v0=a2114d57", BODY, NOW, &why), DRILL_EINVAL);
	assert_int_equal(verify(SECRET, TS, SIG "00", BODY, NOW, &why), DRILL_EINVAL);
	/* upper-case hex is not what Slack sends */
	memcpy(sig, SIG, sizeof(sig));
	sig[3] = 'A';
	assert_int_equal(verify(SECRET, TS, sig, BODY, NOW, &why), DRILL_EINVAL);
	/* no reason repeats the secret or the expected signature */
	assert_null(strstr(why, SECRET));
	assert_null(strstr(why, "a2114d57"));
}

/* Bodies with NUL bytes and empty bodies are signed as bytes. */
static void
test_binary_and_empty_bodies(void **state)
{
	static const char bin[] = {'{', 0, '}', (char)0xff};
	char sig[SLACKSIG_LEN + 1];
	const char *why;

	(void)state;
	assert_int_equal(slacksig_sign(SECRET, strlen(SECRET), TS, bin, sizeof(bin), sig), 0);
	assert_int_equal(slacksig_verify(SECRET, strlen(SECRET), TS, sig, bin, sizeof(bin),
	    NOW, &why), 0);
	assert_int_equal(slacksig_verify(SECRET, strlen(SECRET), TS, sig, bin, 1, NOW, &why),
	    DRILL_EINVAL);
	assert_int_equal(slacksig_sign(SECRET, strlen(SECRET), TS, "", 0, sig), 0);
	assert_int_equal(slacksig_verify(SECRET, strlen(SECRET), TS, sig, "", 0, NOW, &why), 0);
	assert_int_equal(slacksig_sign(SECRET, strlen(SECRET), "abc", "", 0, sig), DRILL_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_binary_and_empty_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
