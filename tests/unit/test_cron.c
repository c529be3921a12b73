/*
 * Tests for cron.c: parsing and its error messages, the Vixie day rule,
 * next-fire sequences across DST changes in several zones (against
 * hard-coded instants and against a brute-force walk over every UTC
 * minute), impossible expressions, skip dates, speed, and RFC 3339.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "drill/cron.h"
#include "drill/holiday.h"
#include "drill/tz.h"

#define ZONEINFO "/usr/share/zoneinfo"

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	return tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static struct tz *
load(const char *name)
{
	char err[DRILL_ERRLEN] = "";
	struct tz *tz = NULL;

	if (tz_load_at(ZONEINFO, name, &tz, err) != 0)
		fail_msg("%s: %s", name, err);
	return tz;
}

static struct cron
parse(const char *expr)
{
	char err[DRILL_ERRLEN] = "";
	struct cron c;

	if (cron_parse(expr, &c, err) != 0)
		fail_msg("\"%s\": %s", expr, err);
	return c;
}

static int64_t
rfc(const char *s)
{
	char err[DRILL_ERRLEN] = "";
	int64_t t = 0;

	if (cron_parse_rfc3339(s, &t, err) != 0)
		fail_msg("%s: %s", s, err);
	return t;
}

static const char *
fmt(int64_t t)
{
	static char buf[4][CRON_RFC3339_LEN];
	static int k;

	k = (k + 1) % 4;
	assert_int_equal(cron_format_utc(t, buf[k]), 0);
	return buf[k];
}

/*
 * Checks the fires of expr in zone after the RFC 3339 time after: want is a
 * NULL-terminated list of RFC 3339 UTC times.
 */
static void
sequence(const char *expr, const char *zone, const struct holiday_set *skip,
    const char *after, const char *const *want)
{
	struct cron c = parse(expr);
	struct tz *tz = zone != NULL ? load(zone) : NULL;
	int64_t t = rfc(after);

	for (size_t i = 0; want[i] != NULL; i++) {
		int64_t next = 0;
		int rc = cron_next(&c, tz, skip, t, &next);

		if (rc != 0)
			fail_msg("%s in %s after %s: rc %d, want %s", expr, zone, fmt(t), rc, want[i]);
		if (strcmp(fmt(next), want[i]) != 0)
			fail_msg("%s in %s after %s: got %s, want %s", expr, zone, fmt(t),
			    fmt(next), want[i]);
		t = next;
	}
	tz_free(tz);
}

#define SEQ(expr, zone, after, ...) do {					\
		static const char *const w_[] = {__VA_ARGS__, NULL};		\
		sequence(expr, zone, NULL, after, w_);				\
	} while (0)

/* ---- parsing ---- */

static uint64_t
bits(const int *v, size_t n)
{
	uint64_t b = 0;

	for (size_t i = 0; i < n; i++)
		b |= UINT64_C(1) << v[i];
	return b;
}

#define BITS(...) bits((const int[]){__VA_ARGS__}, sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

static uint64_t
range_bits(int lo, int hi)
{
	uint64_t b = 0;

	for (int v = lo; v <= hi; v++)
		b |= UINT64_C(1) << v;
	return b;
}

static void
test_parse(void **state)
{
	struct cron c;

	(void)state;
	c = parse("*/15 9-17 * * mon-fri");
	assert_true(c.minutes == BITS(0, 15, 30, 45));
	assert_true(c.hours == range_bits(9, 17));
	assert_true(c.mdays == range_bits(1, 31));
	assert_true(c.months == range_bits(1, 12));
	assert_true(c.wdays == range_bits(1, 5));
	assert_true(c.mday_star);
	assert_false(c.wday_star);

	c = parse("10-50/10 1,3,5 1-31/2 JAN,Jul,dec 0");
	assert_true(c.minutes == BITS(10, 20, 30, 40, 50));
	assert_true(c.hours == BITS(1, 3, 5));
	assert_true(c.mdays == BITS(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31));
	assert_true(c.months == BITS(1, 7, 12));
	assert_true(c.wdays == BITS(0));
	assert_false(c.mday_star);

	c = parse("5/15 * * * 7");		/* 5-59/15; 7 is Sunday */
	assert_true(c.minutes == BITS(5, 20, 35, 50));
	assert_true(c.wdays == BITS(0));
	assert_true(parse("* * * * 0,7").wdays == BITS(0));
	assert_true(parse("* * * * fri-sun").wdays == BITS(0, 5, 6));
	assert_true(parse("* * * * Sat-SUN").wdays == BITS(0, 6));
	assert_true(parse("* * * * 5-7").wdays == BITS(0, 5, 6));
	assert_true(parse("* * * * 6-0").wdays == BITS(0, 6));
	assert_true(parse("* * * * *").wdays == range_bits(0, 6));
	assert_true(parse("* * * * */2").wdays == BITS(0, 2, 4, 6));	/* 0,2,4,6 (7 = 0) */
	assert_true(parse("* * * * 1-7/3").wdays == BITS(1, 4, 0));
	assert_true(parse("* * * mar-may *").months == range_bits(3, 5));
	assert_true(parse("0-59 * * * *").minutes == range_bits(0, 59));
	assert_true(parse("*/1 * * * *").minutes == range_bits(0, 59));
	assert_true(parse("59/30 * * * *").minutes == BITS(59));
	assert_true(parse("1-5,10,20-22/2 * * * *").minutes == BITS(1, 2, 3, 4, 5, 10, 20, 22));
	assert_true(parse("  \t30  9 * *\t1-5 ").hours == BITS(9));
	assert_true(parse("007 * * * *").minutes == BITS(7));

	/* macros */
	c = parse("@daily");
	assert_true(c.minutes == BITS(0) && c.hours == BITS(0) && c.mday_star && c.wday_star);
	c = parse("@Hourly");
	assert_true(c.minutes == BITS(0) && c.hours == range_bits(0, 23));
	c = parse("@weekly");
	assert_true(c.wdays == BITS(0) && !c.wday_star);
	c = parse("@yearly");
	assert_true(c.months == BITS(1) && c.mdays == BITS(1));
	assert_true(parse("@annually").months == BITS(1));
	assert_true(parse("@monthly").mdays == BITS(1));
	assert_true(parse("@midnight").hours == BITS(0));
}

static void
test_parse_errors(void **state)
{
	static const struct {
		const char *expr, *msg;
	} c[] = {
		{"", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"},
		{"   ", "got 0"},
		{"* * * *", "got 4"},
		{"* * * * * *", "got 6"},
		{"0 24 * * *", "hour: 24 is out of range (0-23)"},
		{"60 * * * *", "minute: 60 is out of range (0-59)"},
		{"99999999999 * * * *", "minute: 99999999999 is out of range (0-59)"},
		{"* * 0 * *", "day-of-month: 0 is out of range (1-31)"},
		{"* * 32 * *", "day-of-month: 32 is out of range (1-31)"},
		{"* * * 0 *", "month: 0 is out of range (1-12)"},
		{"* * * 13 *", "month: 13 is out of range (1-12)"},
		{"* * * * 8", "day-of-week: 8 is out of range (0-7)"},
		{"* * * foo *", "month: unknown name \"foo\" (expected jan-dec)"},
		{"* * * january *", "month: unknown name \"january\""},
		{"* * * * funday", "day-of-week: unknown name \"funday\" (expected sun-sat)"},
		{"* * * * jan", "day-of-week: unknown name \"jan\""},
		{"mon * * * *", "minute: \"mon\" is not a number"},
		{"5-2 * * * *", "minute: range 5-2 is backwards"},
		{"* * * dec-jan *", "month: range 12-1 is backwards"},
		{"* * * * 5-1", "day-of-week: range 5-1 is backwards"},
		{"*/0 * * * *", "minute: step 0 is out of range (1-59)"},
		{"*/60 * * * *", "minute: step 60 is out of range (1-59)"},
		{"*/ * * * *", "minute: a step needs a number after '/'"},
		{"1,,2 * * * *", "minute: empty list item"},
		{",1 * * * *", "minute: empty list item"},
		{"1, * * * *", "minute: empty list item"},
		{"1-2-3 * * * *", "minute: unexpected \"-\""},
		{"*-5 * * * *", "minute: unexpected \"-\""},
		{"1/2/3 * * * *", "minute: unexpected \"/\""},
		{"* x * * *", "hour: \"x\" is not a number"},
		{"* -1 * * *", "hour: \"-\" is not a number"},
		{"* * * * mon-", "day-of-week: \"\" is not a number or a name"},
		{"* * * 1.5 *", "month: unexpected \".\""},
		{"@reboot", "unknown cron macro \"@reboot\""},
		{"@daily 5", "unknown cron macro"},
		{"@", "unknown cron macro"},
	};
	char err[DRILL_ERRLEN], longexpr[CRON_EXPR_MAX + 10];
	struct cron cr;

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		err[0] = '\0';
		if (cron_parse(c[i].expr, &cr, err) != DRILL_EINVAL)
			fail_msg("accepted \"%s\"", c[i].expr);
		if (strstr(err, c[i].msg) == NULL)
			fail_msg("\"%s\": message \"%s\" lacks \"%s\"", c[i].expr, err, c[i].msg);
	}
	assert_int_equal(cron_parse("0 24 * * *", &cr, err), DRILL_EINVAL);
	assert_string_equal(err, "hour: 24 is out of range (0-23)");
	memset(longexpr, ' ', sizeof(longexpr) - 1);
	longexpr[sizeof(longexpr) - 1] = '\0';
	memcpy(longexpr, "* * * * *", 9);
	assert_int_equal(cron_parse(longexpr, &cr, err), DRILL_EINVAL);
	assert_non_null(strstr(err, "over 255 bytes"));
	/* err may be NULL */
	assert_int_equal(cron_parse("x", &cr, NULL), DRILL_EINVAL);
}

/* ---- the Vixie day rule ---- */

static void
test_vixie_days(void **state)
{
	struct cron c;

	(void)state;
	/* both restricted: the 1st OR a Monday */
	c = parse("0 9 1 * mon");
	assert_true(cron_day_matches(&c, 2026, 6, 1));		/* Monday the 1st */
	assert_true(cron_day_matches(&c, 2026, 6, 8));		/* a Monday */
	assert_true(cron_day_matches(&c, 2026, 7, 1));		/* a Wednesday, the 1st */
	assert_false(cron_day_matches(&c, 2026, 6, 2));
	/* Friday the 13th is not "13 AND Friday" */
	c = parse("0 0 13 * fri");
	assert_true(cron_day_matches(&c, 2026, 3, 13));		/* Friday 13th */
	assert_true(cron_day_matches(&c, 2026, 4, 13));		/* Monday 13th */
	assert_true(cron_day_matches(&c, 2026, 4, 17));		/* Friday */
	assert_false(cron_day_matches(&c, 2026, 4, 14));
	/* one side '*': only the other counts */
	c = parse("0 9 * * mon");
	assert_true(cron_day_matches(&c, 2026, 6, 8));
	assert_false(cron_day_matches(&c, 2026, 7, 1));
	c = parse("0 9 1 * *");
	assert_true(cron_day_matches(&c, 2026, 7, 1));
	assert_false(cron_day_matches(&c, 2026, 6, 8));
	/* a field starting with '*' counts as unrestricted (Vixie): AND */
	c = parse("0 9 */2 * mon");
	assert_true(cron_day_matches(&c, 2026, 6, 1));		/* odd Monday */
	assert_false(cron_day_matches(&c, 2026, 6, 8));		/* even Monday */
	assert_false(cron_day_matches(&c, 2026, 6, 3));		/* odd Wednesday */
	/* the month always applies */
	c = parse("0 9 1 jun mon");
	assert_true(cron_day_matches(&c, 2026, 6, 8));
	assert_false(cron_day_matches(&c, 2026, 7, 6));		/* a Monday in July */
	assert_false(cron_day_matches(&c, 2026, 7, 1));
	/* non-dates */
	assert_false(cron_day_matches(&c, 2026, 6, 31));
	assert_false(cron_day_matches(&c, 2026, 13, 1));
	assert_false(cron_day_matches(&c, 2026, 0, 1));
}

/* ---- next fire ---- */

static void
test_next_utc(void **state)
{
	(void)state;
	/* strictly after: a fire exactly at after is not returned */
	SEQ("30 9 * * 1-5", NULL, "2026-03-27T09:30:00Z",
	    "2026-03-30T09:30:00Z", "2026-03-31T09:30:00Z");
	SEQ("30 9 * * 1-5", NULL, "2026-03-27T09:29:59Z", "2026-03-27T09:30:00Z");
	SEQ("*/15 * * * *", NULL, "2026-12-31T23:40:00Z",
	    "2026-12-31T23:45:00Z", "2027-01-01T00:00:00Z", "2027-01-01T00:15:00Z");
	SEQ("0 0 1 1 *", NULL, "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
	SEQ("0 12 31 * *", NULL, "2026-01-31T12:00:00Z",
	    "2026-03-31T12:00:00Z", "2026-05-31T12:00:00Z", "2026-07-31T12:00:00Z");
	SEQ("0 0 29 2 *", NULL, "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z");
	/* 2100 is not a leap year: eight years between, inside the horizon */
	SEQ("0 0 29 2 *", NULL, "2097-01-01T00:00:00Z", "2104-02-29T00:00:00Z");
	SEQ("0 9 1 * mon", NULL, "2026-05-31T00:00:00Z",
	    "2026-06-01T09:00:00Z", "2026-06-08T09:00:00Z", "2026-06-15T09:00:00Z",
	    "2026-06-22T09:00:00Z", "2026-06-29T09:00:00Z", "2026-07-01T09:00:00Z");
	SEQ("@hourly", "UTC", "1999-12-31T22:30:00Z", "1999-12-31T23:00:00Z", "2000-01-01T00:00:00Z");
	SEQ("59 23 31 12 *", NULL, "1969-06-01T00:00:00Z", "1969-12-31T23:59:00Z");
}

static void
test_next_berlin(void **state)
{
	(void)state;
	/* the example schedule: 09:30 on weekdays, across both 2026 changes */
	SEQ("30 9 * * 1-5", "Europe/Berlin", "2026-03-26T12:00:00Z",
	    "2026-03-27T08:30:00Z",		/* Fri, CET */
	    "2026-03-30T07:30:00Z",		/* Mon, CEST */
	    "2026-03-31T07:30:00Z");
	SEQ("30 9 * * 1-5", "Europe/Berlin", "2026-10-22T12:00:00Z",
	    "2026-10-23T07:30:00Z", "2026-10-26T08:30:00Z");
	/* spring forward: 02:30 does not exist on 03-29; fires at 03:00 CEST */
	SEQ("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z",
	    "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z");
	SEQ("0 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
	    "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z");
	SEQ("59 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
	    "2026-03-29T01:00:00Z", "2026-03-30T00:59:00Z");
	/* fall back: 02:30 happens twice on 10-25; fires once, at the first */
	SEQ("30 2 * * *", "Europe/Berlin", "2026-10-23T12:00:00Z",
	    "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z");
	/* asked from inside the second 02:30 hour: nothing more that day */
	SEQ("30 2 * * *", "Europe/Berlin", "2026-10-25T01:15:00Z", "2026-10-26T01:30:00Z");
	/* minute steps: the repeated hour fires once per wall-clock minute */
	SEQ("*/15 * * * *", "Europe/Berlin", "2026-10-24T23:50:00Z",
	    "2026-10-25T00:00:00Z", "2026-10-25T00:15:00Z", "2026-10-25T00:30:00Z",
	    "2026-10-25T00:45:00Z",
	    "2026-10-25T02:00:00Z",		/* 03:00 CET: 01:00-01:59Z is silent */
	    "2026-10-25T02:15:00Z");
	SEQ("*/15 * * * *", "Europe/Berlin", "2026-10-25T01:20:00Z", "2026-10-25T02:00:00Z");
	SEQ("*/15 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z",
	    "2026-10-25T00:00:00Z", "2026-10-25T00:15:00Z", "2026-10-25T00:30:00Z",
	    "2026-10-25T00:45:00Z", "2026-10-26T01:00:00Z");
	/* spring: the skipped quarter hours collapse into one fire at 03:00 */
	SEQ("*/15 * * * *", "Europe/Berlin", "2026-03-29T00:40:00Z",
	    "2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z");
	SEQ("*/15 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
	    "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z");
	SEQ("0 * * * *", "Europe/Berlin", "2026-03-28T23:30:00Z",
	    "2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
	SEQ("0 * * * *", "Europe/Berlin", "2026-10-24T23:30:00Z",
	    "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z");
	/* far future (footer rule) and the past */
	SEQ("30 2 * * *", "Europe/Berlin", "2060-03-27T12:00:00Z",
	    "2060-03-28T01:00:00Z", "2060-03-29T00:30:00Z");
	SEQ("30 9 * * *", "Europe/Berlin", "1990-07-01T00:00:00Z", "1990-07-01T07:30:00Z");
}

static void
test_next_new_york(void **state)
{
	(void)state;
	SEQ("30 2 * * *", "America/New_York", "2026-03-06T12:00:00Z",
	    "2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z");
	SEQ("30 1 * * *", "America/New_York", "2026-10-30T12:00:00Z",
	    "2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z");
	SEQ("0 9 * * mon-fri", "America/New_York", "2026-03-05T00:00:00Z",
	    "2026-03-05T14:00:00Z", "2026-03-06T14:00:00Z", "2026-03-09T13:00:00Z");
	SEQ("*/30 * * * *", "America/New_York", "2026-11-01T04:45:00Z",
	    "2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z",	/* 01:00, 01:30 EDT */
	    "2026-11-01T07:00:00Z");				/* 02:00 EST */
}

static void
test_next_other_zones(void **state)
{
	(void)state;
	/* Lord Howe: 30-minute shifts */
	SEQ("0 2 * * *", "Australia/Lord_Howe", "2026-10-02T12:00:00Z",
	    "2026-10-02T15:30:00Z",		/* 02:00 +1030 */
	    "2026-10-03T15:30:00Z",		/* gap 02:00-02:30: fires 02:30 +11 */
	    "2026-10-04T15:00:00Z");		/* 02:00 +11 */
	SEQ("45 1 * * *", "Australia/Lord_Howe", "2026-04-03T12:00:00Z",
	    "2026-04-03T14:45:00Z", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z");
	/* Chatham: +12:45, gap 02:45-03:45 */
	SEQ("0 3 * * *", "Pacific/Chatham", "2026-09-25T12:00:00Z",
	    "2026-09-25T14:15:00Z", "2026-09-26T14:00:00Z", "2026-09-27T13:15:00Z");
	/* Kolkata: +05:30, no DST */
	SEQ("30 9 * * *", "Asia/Kolkata", "2026-03-28T00:00:00Z",
	    "2026-03-28T04:00:00Z", "2026-03-29T04:00:00Z", "2026-03-30T04:00:00Z");
	/* Sao Paulo 2018: midnight skipped when DST began; no DST since 2019 */
	SEQ("0 0 * * *", "America/Sao_Paulo", "2018-11-02T12:00:00Z",
	    "2018-11-03T03:00:00Z", "2018-11-04T03:00:00Z", "2018-11-05T02:00:00Z");
	SEQ("0 0 * * *", "America/Sao_Paulo", "2026-11-02T12:00:00Z",
	    "2026-11-03T03:00:00Z", "2026-11-04T03:00:00Z");
	/* Samoa skipped 2011-12-30: that day's noon fires at the gap's end */
	SEQ("0 12 * * *", "Pacific/Apia", "2011-12-29T12:00:00Z",
	    "2011-12-29T22:00:00Z", "2011-12-30T10:00:00Z", "2011-12-30T22:00:00Z");
	/* Jerusalem: DST starts Friday 02:00 (26:00 Thursday in the rule) */
	SEQ("30 2 * * *", "Asia/Jerusalem", "2026-03-26T12:00:00Z",
	    "2026-03-27T00:00:00Z", "2026-03-27T23:30:00Z");
	SEQ("30 2 * * *", "Asia/Jerusalem", "2060-03-25T12:00:00Z", "2060-03-26T00:00:00Z");
	/* UTC */
	SEQ("30 2 * * *", "UTC", "2026-03-28T12:00:00Z", "2026-03-29T02:30:00Z");
}

/* ---- brute force: every UTC minute of a window ---- */

/*
 * Fires of c in [from, to) by the documented rule, found without
 * tz_resolve: walk every minute; an instant fires when its wall-clock
 * minute matches and shows for the first time, or when the clock jumps
 * forward over a matching wall-clock minute and lands here.
 */
static size_t
brute(const struct cron *c, const struct tz *tz, int64_t from, int64_t to, int64_t *out,
    size_t cap)
{
	size_t n = 0;
	int64_t base = from - 3 * 86400, nslots = (to - from) / 60 + 6 * 1440;
	unsigned char *seen = calloc((size_t)nslots, 1);
	int64_t prev_wall = 0;

	assert_non_null(seen);
	/* wall minutes shown in the two days before the window count as seen */
	for (int64_t u = from - 2 * 86400; u < to; u += 60) {
		struct tz_local lt;
		int64_t wall, slot;
		bool fire = false;

		assert_int_equal(tz_localtime(tz, u, &lt), 0);
		wall = u + lt.offset;
		slot = (wall - base) / 60;
		assert_true(slot >= 0 && slot < nslots);
		if (u >= from) {
			if (!seen[slot] && cron_day_matches(c, lt.year, lt.month, lt.day) &&
			    ((c->hours >> lt.hour) & 1) && ((c->minutes >> lt.minute) & 1))
				fire = true;
			/* wall minutes jumped over since the previous instant */
			for (int64_t w = prev_wall + 60; w < wall && !fire; w += 60) {
				int64_t y, d = (w >= 0 ? w : w - 86399) / 86400;
				int mo, dd, h = (int)((w - d * 86400) / 3600),
				    mi = (int)((w - d * 86400) / 60 % 60);

				tz_civil_from_days(d, &y, &mo, &dd);
				if (!seen[(w - base) / 60] && cron_day_matches(c, y, mo, dd) &&
				    ((c->hours >> h) & 1) && ((c->minutes >> mi) & 1))
					fire = true;
			}
			if (fire) {
				assert_true(n < cap);
				out[n++] = u;
			}
		}
		seen[slot] = 1;
		prev_wall = wall;
	}
	free(seen);
	return n;
}

/* Instants near which zone's offset changes in year y. */
static size_t
transitions(const struct tz *tz, int y, int64_t *out, size_t cap)
{
	size_t n = 0;
	int prev = 0;

	for (int64_t t = utc(y, 1, 1, 0, 0, 0); t < utc(y + 1, 1, 1, 0, 0, 0); t += 3600) {
		int off;

		assert_int_equal(tz_offset(tz, t, &off, NULL), 0);
		if (t > utc(y, 1, 1, 0, 0, 0) && off != prev && n < cap)
			out[n++] = t;
		prev = off;
	}
	return n;
}

static void
test_next_brute_force(void **state)
{
	static const struct {
		const char *zone;
		int year;
	} zones[] = {
		{"Europe/Berlin", 2026}, {"America/New_York", 2026},
		{"Australia/Lord_Howe", 2026}, {"Pacific/Chatham", 2026},
		{"America/Sao_Paulo", 2018}, {"Pacific/Apia", 2011},
		{"America/Santiago", 2026}, {"America/Havana", 2026},
		{"Antarctica/Troll", 2026}, {"Africa/Casablanca", 2026},
		{"Europe/Dublin", 2026}, {"Asia/Kolkata", 2026}, {"Europe/Berlin", 2070},
	};
	static const char *const exprs[] = {
		"*/15 * * * *", "30 2 * * *", "0 0 * * *", "*/7 1-3 * * *", "59 23 * * *",
		"0,30 * * * 0", "0 * * * *", "45 0-4 * * *", "* 2 * * *", "0 9 1 * sun",
	};
	int64_t *want = malloc(20000 * sizeof(*want));

	(void)state;
	assert_non_null(want);
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		struct tz *tz = load(zones[z].zone);
		int64_t tr[8];
		size_t ntr = transitions(tz, zones[z].year, tr, 8);

		if (ntr == 0)		/* no DST: a window anyway */
			tr[ntr++] = utc(zones[z].year, 3, 29, 0, 0, 0);
		for (size_t k = 0; k < ntr; k++) {
			int64_t from = tr[k] - 2 * 86400 - 1800, to = tr[k] + 2 * 86400;

			for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
				struct cron c = parse(exprs[e]);
				size_t n = brute(&c, tz, from, to, want, 20000), i = 0;
				int64_t t = from - 1, next;

				while (cron_next(&c, tz, NULL, t, &next) == 0 && next < to) {
					if (i >= n || next != want[i])
						fail_msg("%s in %s near %s: fire %zu is %s, brute force %s",
						    exprs[e], zones[z].zone, fmt(tr[k]), i, fmt(next),
						    i < n ? fmt(want[i]) : "none");
					i++;
					t = next;
				}
				if (i != n)
					fail_msg("%s in %s near %s: %zu fires, brute force %zu",
					    exprs[e], zones[z].zone, fmt(tr[k]), i, n);
			}
		}
		tz_free(tz);
	}
	free(want);
}

/* A whole year of "every 5 minutes" in Berlin: every wall-clock minute fires at most once. */
static void
test_next_year_of_minutes(void **state)
{
	struct cron c = parse("*/5 * * * *");
	struct tz *tz = load("Europe/Berlin");
	int64_t t = utc(2025, 12, 31, 23, 0, 0) - 1, next, last_wall = INT64_MIN;
	size_t n = 0;

	(void)state;
	/* from 2026-01-01 00:00 CET to 2027-01-01 00:00 CET */
	while (cron_next(&c, tz, NULL, t, &next) == 0 && next < utc(2026, 12, 31, 23, 0, 0)) {
		struct tz_local lt;
		int64_t wall;

		assert_true(next > t);
		assert_int_equal(tz_localtime(tz, next, &lt), 0);
		assert_int_equal(lt.minute % 5, 0);
		assert_int_equal(lt.second, 0);
		wall = next + lt.offset;
		assert_true(wall > last_wall);	/* no wall time twice, never backwards */
		last_wall = wall;
		n++;
		t = next;
	}
	/* 365 * 288, less the twelve 5-minute marks of 02:00-02:55 on 03-29 */
	assert_int_equal(n, 365 * 288 - 12);
	tz_free(tz);
}

/* ---- impossible expressions, skip dates, speed ---- */

static double
ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

static void
test_next_impossible(void **state)
{
	static const char *const never[] = {
		"0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 31 2 *", "* * 30-31 2 *",
	};
	struct tz *tz = load("Europe/Berlin");
	struct timespec a;
	int64_t next = 42;
	struct cron c;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int r = 0; r < 20; r++) {
		for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
			c = parse(never[i]);
			assert_int_equal(cron_next(&c, tz, NULL, utc(2026, 1, 1, 0, 0, 0), &next),
			    DRILL_ENOTFOUND);
			assert_int_equal(next, 42);
		}
	}
	assert_true(ms_since(&a) < 2000);	/* 80 full-horizon searches */
	/* with the Vixie OR the same days become possible */
	c = parse("0 0 30 2 mon");
	assert_int_equal(cron_next(&c, tz, NULL, utc(2026, 1, 1, 0, 0, 0), &next), 0);
	assert_string_equal(fmt(next), "2026-02-01T23:00:00Z");	/* Mon Feb 2, 00:00 CET */
	/* out-of-range start */
	c = parse("* * * * *");
	assert_int_equal(cron_next(&c, tz, NULL, TZ_TIME_MAX, &next), DRILL_EINVAL);
	assert_int_equal(cron_next(&c, tz, NULL, INT64_MIN, &next), DRILL_EINVAL);
	assert_int_equal(cron_next(&c, NULL, NULL, -1, &next), 0);
	assert_int_equal(next, 0);
	tz_free(tz);
}

static void
test_next_skip(void **state)
{
	struct holiday_set *h;
	char err[DRILL_ERRLEN];
	struct cron c;
	struct tz *tz = load("Europe/Berlin");
	int64_t next;

	(void)state;
	assert_int_equal(holiday_new(&h), 0);
	assert_int_equal(holiday_add_date(h, "2026-12-24", err), 0);
	assert_int_equal(holiday_add_date(h, "2026-12-25", err), 0);
	assert_int_equal(holiday_add_date(h, "2026-12-26", err), 0);
	{
		static const char *const w[] = {"2026-12-23T08:00:00Z", "2026-12-27T08:00:00Z",
		    "2026-12-28T08:00:00Z", NULL};

		sequence("0 9 * * *", "Europe/Berlin", h, "2026-12-22T12:00:00Z", w);
	}
	/* the schedule's local date counts: 00:30 on 12-27 in Berlin is 12-26 23:30Z */
	{
		static const char *const w[] = {"2026-12-22T23:30:00Z", "2026-12-26T23:30:00Z",
		    "2026-12-27T23:30:00Z", NULL};

		sequence("30 0 * * *", "Europe/Berlin", h, "2026-12-22T23:00:00Z", w);
	}
	/* in New York, 20:00 on 12-23 is 12-24 01:00Z, and fires: 12-23 is no holiday */
	{
		static const char *const w[] = {"2026-12-24T01:00:00Z", "2026-12-28T01:00:00Z", NULL};

		sequence("0 20 * * *", "America/New_York", h, "2026-12-23T12:00:00Z", w);
	}
	/* a schedule that only fires on skipped days never fires */
	c = parse("0 9 25 12 *");
	assert_int_equal(cron_next(&c, tz, h, utc(2026, 12, 1, 0, 0, 0), &next), 0);
	assert_string_equal(fmt(next), "2027-12-25T08:00:00Z");
	{
		static const char ics[] = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"
		    "DTSTART;VALUE=DATE:20261225\r\nRRULE:FREQ=YEARLY\r\n"
		    "END:VEVENT\r\nEND:VCALENDAR\r\n";

		assert_int_equal(holiday_add_ics(h, ics, strlen(ics), "x.ics", err), 0);
	}
	assert_int_equal(cron_next(&c, tz, h, utc(2026, 12, 1, 0, 0, 0), &next), DRILL_ENOTFOUND);
	holiday_free(h);
	tz_free(tz);
}

static void
test_next_speed(void **state)
{
	static const char *const zones[] = {"Europe/Berlin", "America/New_York",
	    "Australia/Lord_Howe", "Asia/Kolkata"};
	static const char *const exprs[] = {"* * * * *", "30 9 * * 1-5", "0 0 1 1 *",
	    "0 0 29 2 1", "59 23 31 12 *", "*/7 */5 */3 */2 */4", "0 0 13 * fri"};
	struct timespec a;
	uint64_t seed = 12345;
	int calls = 0;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		struct tz *tz = load(zones[z]);

		for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
			struct cron c = parse(exprs[e]);

			for (int r = 0; r < 200; r++) {
				int64_t after, next;

				seed = seed * 6364136223846793005u + 1442695040888963407u;
				after = utc(1990, 1, 1, 0, 0, 0) + (int64_t)((seed >> 20) % (100LL * 365 * 86400));
				assert_int_equal(cron_next(&c, tz, NULL, after, &next), 0);
				assert_true(next > after);
				calls++;
			}
		}
		tz_free(tz);
	}
	assert_int_equal(calls, 4 * 7 * 200);
	assert_true(ms_since(&a) < 3000);
}

/* ---- RFC 3339 ---- */

static void
test_rfc3339(void **state)
{
	static const char *const bad[] = {
		"", "2026", "2026-03-27", "2026-03-27T08:30Z", "2026-03-27T08:30:00",
		"2026-03-27T08:30:00+0100", "2026-03-27T08:30:00+01", "2026-03-27T08:30:00Zjunk",
		"2026-03-27T08:30:00.Z", "2026-03-27X08:30:00Z", "26-03-27T08:30:00Z",
		"2026-3-27T08:30:00Z", "2026-03-27T8:30:00Z", "+2026-03-27T08:30:00Z",
		"2026-03-27T08:30:00 Z", " 2026-03-27T08:30:00Z", "2026-03-27T08:30:00Z ",
	};
	static const char *const range[] = {
		"2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-03-27T24:00:00Z", "2026-03-27T23:60:00Z",
		"2026-03-27T23:59:61Z", "2026-03-27T08:30:00+24:00", "2026-03-27T08:30:00+01:60",
	};
	char buf[CRON_RFC3339_LEN], err[DRILL_ERRLEN];
	int64_t t;
	uint64_t seed = 99;

	(void)state;
	assert_int_equal(cron_format_utc(0, buf), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	assert_int_equal(cron_format_utc(-1, buf), 0);
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	assert_int_equal(cron_format_utc(utc(2026, 3, 27, 8, 30, 0), buf), 0);
	assert_string_equal(buf, "2026-03-27T08:30:00Z");
	assert_int_equal(cron_format_utc(utc(9999, 12, 31, 23, 59, 59), buf), 0);
	assert_string_equal(buf, "9999-12-31T23:59:59Z");
	assert_int_equal(cron_format_utc(utc(0, 1, 1, 0, 0, 0), buf), 0);
	assert_string_equal(buf, "0000-01-01T00:00:00Z");
	assert_int_equal(cron_format_utc(utc(10000, 1, 1, 0, 0, 0), buf), DRILL_EINVAL);
	assert_string_equal(buf, "");
	assert_int_equal(cron_format_utc(utc(0, 1, 1, 0, 0, 0) - 1, buf), DRILL_EINVAL);
	assert_int_equal(cron_format_utc(INT64_MAX, buf), DRILL_EINVAL);
	assert_int_equal(cron_format_utc(INT64_MIN / 2, buf), DRILL_EINVAL);

	t = utc(2026, 3, 27, 8, 30, 0);
	assert_int_equal(rfc("2026-03-27T08:30:00Z"), t);
	assert_int_equal(rfc("2026-03-27t08:30:00z"), t);
	assert_int_equal(rfc("2026-03-27 08:30:00Z"), t);
	assert_int_equal(rfc("2026-03-27T09:30:00+01:00"), t);
	assert_int_equal(rfc("2026-03-27T03:30:00-05:00"), t);
	assert_int_equal(rfc("2026-03-27T14:00:00+05:30"), t);
	assert_int_equal(rfc("2026-03-27T08:30:00-00:00"), t);
	assert_int_equal(rfc("2026-03-27T08:30:00.999999Z"), t);	/* rounds down */
	assert_int_equal(rfc("2026-03-27T21:15:00+12:45"), t);
	assert_int_equal(rfc("2026-03-28T00:29:00+15:59"), t);
	assert_int_equal(rfc("2024-02-29T00:00:00Z"), utc(2024, 2, 29, 0, 0, 0));
	assert_int_equal(rfc("2016-12-31T23:59:60Z"), utc(2016, 12, 31, 23, 59, 59));
	assert_int_equal(rfc("1969-12-31T23:59:59Z"), -1);
	assert_int_equal(rfc("0001-01-01T00:00:00Z"), utc(1, 1, 1, 0, 0, 0));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (cron_parse_rfc3339(bad[i], &t, err) != DRILL_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_non_null(strstr(err, "not an RFC 3339 time"));
	}
	for (size_t i = 0; i < sizeof(range) / sizeof(range[0]); i++) {
		err[0] = '\0';
		if (cron_parse_rfc3339(range[i], &t, err) != DRILL_EINVAL)
			fail_msg("accepted \"%s\"", range[i]);
		assert_true(strstr(err, "no such date") != NULL || strstr(err, "out of range") != NULL);
	}
	/* round trips */
	for (int i = 0; i < 100000; i++) {
		int64_t u;

		seed = seed * 6364136223846793005u + 1442695040888963407u;
		u = (int64_t)(seed >> 1) % (utc(9999, 12, 31, 23, 59, 59) - utc(0, 1, 1, 0, 0, 0)) +
		    utc(0, 1, 1, 0, 0, 0);
		assert_int_equal(cron_format_utc(u, buf), 0);
		assert_int_equal(strlen(buf), 20);
		assert_int_equal(rfc(buf), u);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_vixie_days),
		cmocka_unit_test(test_next_utc),
		cmocka_unit_test(test_next_berlin),
		cmocka_unit_test(test_next_new_york),
		cmocka_unit_test(test_next_other_zones),
		cmocka_unit_test(test_next_brute_force),
		cmocka_unit_test(test_next_year_of_minutes),
		cmocka_unit_test(test_next_impossible),
		cmocka_unit_test(test_next_skip),
		cmocka_unit_test(test_next_speed),
		cmocka_unit_test(test_rfc3339),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
