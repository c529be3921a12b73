/*
 * Tests for subs.c: the arguments of subscribe/pause/quiet (good, bad,
 * boundaries, garbage, long), quiet windows, and the due instants: by hand
 * across DST changes in several zones, the quiet shift, the weekday rule on
 * the local calendar, pauses, when a slot counts as taken, and two-year
 * walks checked against a minute-by-minute reading of the zone's clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drill/cron.h"
#include "drill/subs.h"
#include "drill/tz.h"

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

	if (tz_load(name, &tz, err) != 0)
		fail_msg("%s: %s", name, err);
	return tz;
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

static int64_t
rfc(const char *s)
{
	char err[DRILL_ERRLEN] = "";
	int64_t t = 0;

	if (cron_parse_rfc3339(s, &t, err) != 0)
		fail_msg("%s: %s", s, err);
	return t;
}

static struct subs_rule
rule(int at, bool weekdays, int qs, int qe)
{
	struct subs_rule r = {at, weekdays, qs, qe};

	return r;
}

#define HM(h, m) ((h) * 60 + (m))

/*
 * Walks subs_next from the RFC 3339 time after (paused_until 0) and checks
 * each result against want, a NULL-terminated list of RFC 3339 UTC times.
 */
static void
walk(const struct subs_rule *r, const char *zone, const char *after, const char *const *want)
{
	struct tz *tz = zone != NULL ? load(zone) : NULL;
	int64_t t = rfc(after);

	for (size_t i = 0; want[i] != NULL; i++) {
		int64_t next = 0;
		int rc = subs_next(r, tz, t, 0, &next);

		if (rc != 0)
			fail_msg("%s after %s: rc %d, want %s", zone, fmt(t), rc, want[i]);
		if (strcmp(fmt(next), want[i]) != 0)
			fail_msg("%s after %s: got %s, want %s", zone, fmt(t), fmt(next), want[i]);
		t = next;
	}
	tz_free(tz);
}

#define WALK(r, zone, after, ...) do {						\
		static const char *const w_[] = {__VA_ARGS__, NULL};		\
		struct subs_rule r_ = (r);					\
		walk(&r_, zone, after, w_);					\
	} while (0)

/* One subs_next call: the result as RFC 3339, or "rc N". */
static const char *
next1(const struct subs_rule *r, const struct tz *tz, int64_t after, int64_t paused_until)
{
	static char buf[32];
	int64_t next = 0;
	int rc = subs_next(r, tz, after, paused_until, &next);

	if (rc != 0) {
		snprintf(buf, sizeof(buf), "rc %d", rc);
		return buf;
	}
	assert_true(next > after);
	return fmt(next);
}

/* A string of n copies of c followed by tail, on the heap. */
static char *
longstr(size_t n, char c, const char *tail)
{
	size_t tl = strlen(tail);
	char *s = malloc(n + tl + 1);

	assert_non_null(s);
	memset(s, c, n);
	memcpy(s + n, tail, tl + 1);
	return s;
}

/* ---- parsing ---- */

static void
test_parse_time(void **state)
{
	static const struct {
		const char *s;
		int m;
	} good[] = {
		{"00:00", 0}, {"0:00", 0}, {"9:30", 570}, {"09:30", 570}, {"23:59", 1439},
		{"12:00", 720}, {"7:05", 425}, {"19:00", 1140},
		{"9am", 540}, {"9AM", 540}, {"9Am", 540}, {"09am", 540}, {"1am", 60},
		{"9:30pm", 1290}, {"9:30PM", 1290}, {"12am", 0}, {"12pm", 720},
		{"12:30am", 30}, {"12:59pm", 779}, {"11:59pm", 1439}, {"11am", 660},
		{"1pm", 780},
	};
	static const char *const bad[] = {
		"", "9", "09", "24:00", "23:60", "99:99", "9:5", "9:005", "009:00", "9:0",
		"-1:00", "+9:00", " 9:00", "9:00 ", "9 am", "9:00 pm", "0am", "00am",
		"13pm", "12:60pm", "00:30am", "0:30pm", "9:00:00", "9.30", "9h30", "930",
		"ninepm", "9amx", "9a", "9m", "am", ":30", "9:", "9pm:30", "9::30",
		"\xd9\xa9:30", "9:30\n", "9\0:30",
	};
	char *s;
	int m;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		m = -7;
		if (subs_parse_time(good[i].s, &m) != 0)
			fail_msg("refused \"%s\"", good[i].s);
		if (m != good[i].m)
			fail_msg("\"%s\": %d, want %d", good[i].s, m, good[i].m);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = -7;
		if (subs_parse_time(bad[i], &m) != DRILL_EINVAL)
			fail_msg("accepted \"%s\" as %d", bad[i], m);
		assert_int_equal(m, -7);	/* untouched */
	}
	/* every minute of the day round-trips through the message form */
	for (int k = 0; k < 1440; k++) {
		char buf[6];

		subs_format_time(k, buf);
		assert_int_equal(subs_parse_time(buf, &m), 0);
		assert_int_equal(m, k);
	}
	/* long garbage: refused, no overflow into a plausible value */
	s = longstr(100000, '1', ":00");
	assert_int_equal(subs_parse_time(s, &m), DRILL_EINVAL);
	free(s);
	s = longstr(100000, '0', "9:00");
	assert_int_equal(subs_parse_time(s, &m), DRILL_EINVAL);
	free(s);
	s = longstr(100000, ' ', "");
	memcpy(s, "9:00", 4);
	assert_int_equal(subs_parse_time(s, &m), DRILL_EINVAL);
	free(s);
}

static void
test_parse_quiet(void **state)
{
	static const struct {
		const char *s;
		int start, end;
	} good[] = {
		{"22:00-07:00", 1320, 420}, {"22:00 - 07:00", 1320, 420},
		{"22:00\t-  07:00", 1320, 420}, {"10pm-7am", 1320, 420},
		{"10pm - 7:30AM", 1320, 450}, {"13:00-14:00", 780, 840},
		{"0:00-23:59", 0, 1439}, {"23:59-0:00", 1439, 0}, {"12am-12pm", 0, 720},
		{"off", 0, 0}, {"OFF", 0, 0}, {"None", 0, 0}, {"none", 0, 0},
	};
	static const char *const bad[] = {
		"", "-", "22:00", "22:00-", "-07:00", "22:00-22:00", "10pm-22:00",
		"12am-0:00", "22:00--07:00", "22:00-07:00-08:00", " 22:00-07:00",
		"22:00-07:00 ", "of", "offf", "no", "off ", "22-07", "25:00-07:00",
		"22:00-24:00", "22:00~07:00", "22:00 07:00", "22:00–07:00",
	};
	char *s;
	int a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		a = b = -7;
		if (subs_parse_quiet(good[i].s, &a, &b) != 0)
			fail_msg("refused \"%s\"", good[i].s);
		if (a != good[i].start || b != good[i].end)
			fail_msg("\"%s\": %d-%d, want %d-%d", good[i].s, a, b,
			    good[i].start, good[i].end);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = b = -7;
		if (subs_parse_quiet(bad[i], &a, &b) != DRILL_EINVAL)
			fail_msg("accepted \"%s\" as %d-%d", bad[i], a, b);
		assert_int_equal(a, -7);
		assert_int_equal(b, -7);
	}
	/* spaces around the dash may be many, but not unbounded */
	assert_int_equal(subs_parse_quiet("22:00          -          07:00", &a, &b), 0);
	s = longstr(100000, ' ', "07:00");
	memcpy(s, "22:00-", 6);
	assert_int_equal(subs_parse_quiet(s, &a, &b), DRILL_EINVAL);
	free(s);
	s = longstr(100000, '-', "");
	assert_int_equal(subs_parse_quiet(s, &a, &b), DRILL_EINVAL);
	free(s);
}

static void
test_parse_pause(void **state)
{
	static const struct {
		const char *s;
		int64_t sec;
	} good[] = {
		{"7d", 7 * 86400}, {"2w", 14 * 86400}, {"36h", 36 * 3600},
		{"1d12h", 36 * 3600}, {"1h", 3600}, {"365d", 365 * 86400},
		{"52w", 364 * 86400}, {"8760h", 365 * 86400}, {"1w3d", 10 * 86400},
		{"1w1d1h", 8 * 86400 + 3600}, {"7D", 7 * 86400}, {"2W", 14 * 86400},
		{"0d1h", 3600}, {"364d24h", 365 * 86400}, {"007d", 7 * 86400},
	};
	static const char *const bad[] = {
		"", "0h", "0d", "0w0d0h", "59m", "30m", "1", "7", "d", "h", "h1",
		"366d", "53w", "8761h", "364d25h", "52w1d1h", "12h1d", "1d1d", "1h1h",
		"1d1w", "1d 12h", " 7d", "7d ", "-7d", "+7d", "7days", "7 d", "1.5d",
		"1e3h", "7d!", "1y", "99999999999999999999999999d",
		"18446744073709551617h", "1d12", "dd", "1dh",
	};
	char *s;
	int64_t sec;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		sec = -7;
		if (subs_parse_pause(good[i].s, &sec) != 0)
			fail_msg("refused \"%s\"", good[i].s);
		if (sec != good[i].sec)
			fail_msg("\"%s\": %lld s, want %lld", good[i].s, (long long)sec,
			    (long long)good[i].sec);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sec = -7;
		if (subs_parse_pause(bad[i], &sec) != DRILL_EINVAL)
			fail_msg("accepted \"%s\" as %lld s", bad[i], (long long)sec);
		assert_int_equal(sec, -7);
	}
	s = longstr(100000, '9', "d");
	assert_int_equal(subs_parse_pause(s, &sec), DRILL_EINVAL);
	free(s);
	/* a long run of zeros is still a number, but too long to read */
	s = longstr(100000, '0', "7d");
	assert_int_equal(subs_parse_pause(s, &sec), DRILL_EINVAL);
	free(s);
}

/* ---- quiet windows and message times ---- */

static void
test_quiet_window(void **state)
{
	struct subs_rule r;

	(void)state;
	r = rule(540, false, HM(22, 0), HM(7, 0));	/* wraps midnight */
	assert_true(subs_quiet(&r, HM(22, 0)));
	assert_false(subs_quiet(&r, HM(21, 59)));
	assert_true(subs_quiet(&r, HM(23, 59)));
	assert_true(subs_quiet(&r, 0));
	assert_true(subs_quiet(&r, HM(6, 59)));
	assert_false(subs_quiet(&r, HM(7, 0)));		/* the end is not quiet */
	assert_false(subs_quiet(&r, HM(12, 0)));
	assert_false(subs_quiet(&r, -1));
	assert_false(subs_quiet(&r, 1440));

	r = rule(540, false, HM(13, 0), HM(14, 0));	/* a lunch hour */
	assert_true(subs_quiet(&r, HM(13, 0)));
	assert_true(subs_quiet(&r, HM(13, 59)));
	assert_false(subs_quiet(&r, HM(14, 0)));
	assert_false(subs_quiet(&r, HM(12, 59)));
	assert_false(subs_quiet(&r, HM(23, 0)));

	r = rule(540, false, 0, HM(23, 59));
	assert_true(subs_quiet(&r, 0));
	assert_true(subs_quiet(&r, HM(23, 58)));
	assert_false(subs_quiet(&r, HM(23, 59)));

	r = rule(540, false, HM(23, 59), 0);		/* one minute, before midnight */
	assert_true(subs_quiet(&r, HM(23, 59)));
	assert_false(subs_quiet(&r, 0));
	assert_false(subs_quiet(&r, HM(23, 58)));

	/* equal ends: no quiet hours at all, whatever the value */
	for (int v = 0; v < 1440; v += 60) {
		r = rule(540, false, v, v);
		for (int m = 0; m < 1440; m++)
			if (subs_quiet(&r, m))
				fail_msg("quiet %d-%d contains %d", v, v, m);
	}
}

static void
test_format_time(void **state)
{
	char buf[6];

	(void)state;
	subs_format_time(0, buf);
	assert_string_equal(buf, "00:00");
	subs_format_time(540, buf);
	assert_string_equal(buf, "09:00");
	subs_format_time(570, buf);
	assert_string_equal(buf, "09:30");
	subs_format_time(61, buf);
	assert_string_equal(buf, "01:01");
	subs_format_time(1439, buf);
	assert_string_equal(buf, "23:59");
	subs_format_time(1440, buf);
	assert_string_equal(buf, "--:--");
	subs_format_time(-1, buf);
	assert_string_equal(buf, "--:--");
	subs_format_time(INT32_MIN, buf);
	assert_string_equal(buf, "--:--");
}

/* ---- due instants computed by hand ---- */

static void
test_next_dst_by_hand(void **state)
{
	(void)state;
	/* 09:30 daily in Berlin: CET, then CEST from 03-29 */
	WALK(rule(HM(9, 30), false, 0, 0), "Europe/Berlin", "2026-03-26T12:00:00Z",
	    "2026-03-27T08:30:00Z", "2026-03-28T08:30:00Z", "2026-03-29T07:30:00Z",
	    "2026-03-30T07:30:00Z");
	/* 02:30 does not exist on 03-29: the first instant after the gap, 03:00 CEST */
	WALK(rule(HM(2, 30), false, 0, 0), "Europe/Berlin", "2026-03-27T12:00:00Z",
	    "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z");
	/* 02:30 happens twice on 10-25: once, at the first */
	WALK(rule(HM(2, 30), false, 0, 0), "Europe/Berlin", "2026-10-23T12:00:00Z",
	    "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z");
	/* New York: 01:30 twice on 11-01 (first: EDT, 05:30Z); 02:30 skipped on 03-08 */
	WALK(rule(HM(1, 30), false, 0, 0), "America/New_York", "2026-10-30T12:00:00Z",
	    "2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z");
	WALK(rule(HM(2, 30), false, 0, 0), "America/New_York", "2026-03-06T12:00:00Z",
	    "2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z");
	/* Kolkata, +05:30 all year */
	WALK(rule(HM(9, 30), false, 0, 0), "Asia/Kolkata", "2026-03-28T00:00:00Z",
	    "2026-03-28T04:00:00Z", "2026-03-29T04:00:00Z", "2026-03-30T04:00:00Z");
	/* Lord Howe: 30-minute DST. Gap 02:00-02:30 on 10-04, fold 01:30-02:00 on 04-05 */
	WALK(rule(HM(2, 0), false, 0, 0), "Australia/Lord_Howe", "2026-10-02T12:00:00Z",
	    "2026-10-02T15:30:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:00:00Z");
	WALK(rule(HM(1, 45), false, 0, 0), "Australia/Lord_Howe", "2026-04-03T12:00:00Z",
	    "2026-04-03T14:45:00Z", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z");
	/* far future, from the zone file's footer rule */
	WALK(rule(HM(2, 30), false, 0, 0), "Europe/Berlin", "2060-03-27T12:00:00Z",
	    "2060-03-28T01:00:00Z", "2060-03-29T00:30:00Z");
	/* no zone: UTC */
	WALK(rule(HM(9, 0), false, 0, 0), NULL, "2026-03-28T09:00:00Z", "2026-03-29T09:00:00Z");
	WALK(rule(HM(9, 0), false, 0, 0), "UTC", "2026-03-28T08:59:59Z", "2026-03-28T09:00:00Z");
	/* Samoa skipped 2011-12-30: that day's noon comes at the gap's end, once */
	WALK(rule(HM(12, 0), false, 0, 0), "Pacific/Apia", "2011-12-29T12:00:00Z",
	    "2011-12-29T22:00:00Z", "2011-12-30T10:00:00Z", "2011-12-30T22:00:00Z");
}

/* ---- the quiet shift ---- */

static void
test_quiet_shift(void **state)
{
	struct tz *tz = load("Europe/Berlin");
	struct subs_rule r;
	struct tz_local lt;
	int64_t next = 0;

	(void)state;
	/* a 06:00 subscription with quiet 22:00-07:00 comes at 07:00 local */
	r = rule(HM(6, 0), false, HM(22, 0), HM(7, 0));
	assert_int_equal(subs_next(&r, tz, rfc("2026-06-01T00:00:00Z"), 0, &next), 0);
	assert_int_equal(tz_localtime(tz, next, &lt), 0);
	assert_int_equal(lt.day, 1);
	assert_int_equal(lt.hour, 7);
	assert_int_equal(lt.minute, 0);
	assert_string_equal(fmt(next), "2026-06-01T05:00:00Z");
	WALK(r, "Europe/Berlin", "2026-06-01T05:00:00Z",
	    "2026-06-02T05:00:00Z", "2026-06-03T05:00:00Z");
	/* and at 07:00 in winter too (CET) */
	WALK(r, "Europe/Berlin", "2026-12-01T06:00:00Z", "2026-12-02T06:00:00Z");

	/*
	 * When today's slot is taken: after 06:00 local the 06:00 slot is
	 * spoken for (delivered before quiet hours were set, or subscribed
	 * too late), so 07:00 today is not due a second time.
	 */
	assert_string_equal(next1(&r, tz, rfc("2026-06-01T03:59:59Z"), 0), "2026-06-01T05:00:00Z");
	assert_string_equal(next1(&r, tz, rfc("2026-06-01T04:00:00Z"), 0), "2026-06-02T05:00:00Z");
	assert_string_equal(next1(&r, tz, rfc("2026-06-01T04:50:00Z"), 0), "2026-06-02T05:00:00Z");
	/* never at or before after, even at the window's end */
	assert_string_equal(next1(&r, tz, rfc("2026-06-01T05:00:00Z"), 0), "2026-06-02T05:00:00Z");

	/* the edges: at == end is not quiet, at just before start is not either */
	r = rule(HM(7, 0), false, HM(22, 0), HM(7, 0));
	assert_string_equal(next1(&r, tz, rfc("2026-06-01T00:00:00Z"), 0), "2026-06-01T05:00:00Z");
	r = rule(HM(21, 59), false, HM(22, 0), HM(7, 0));
	assert_string_equal(next1(&r, tz, rfc("2026-06-01T00:00:00Z"), 0), "2026-06-01T19:59:00Z");
	/* at == start is quiet: 22:00 Monday goes to 07:00 Tuesday */
	r = rule(HM(22, 0), false, HM(22, 0), HM(7, 0));
	assert_string_equal(next1(&r, tz, rfc("2026-06-01T00:00:00Z"), 0), "2026-06-02T05:00:00Z");
	/* a lunch-hour window that does not wrap: 13:30 waits until 14:00 */
	r = rule(HM(13, 30), false, HM(13, 0), HM(14, 0));
	WALK(r, "Europe/Berlin", "2026-06-01T00:00:00Z",
	    "2026-06-01T12:00:00Z", "2026-06-02T12:00:00Z");

	/*
	 * A slot moved past midnight belongs to the day it was due on: 23:00
	 * weekdays with quiet 22:00-07:00 comes Tuesday to Saturday at 07:00
	 * (Friday's on Saturday), never Monday (Sunday has no slot).
	 */
	r = rule(HM(23, 0), true, HM(22, 0), HM(7, 0));
	WALK(r, "Europe/Berlin", "2026-06-04T12:00:00Z",	/* Thursday */
	    "2026-06-05T05:00:00Z",			/* Thursday's, Fri 07:00 */
	    "2026-06-06T05:00:00Z",			/* Friday's, Sat 07:00 */
	    "2026-06-09T05:00:00Z",			/* Monday's, Tue 07:00 */
	    "2026-06-10T05:00:00Z");
	/* the morning part of a wrapping window stays on its own day */
	r = rule(HM(0, 30), true, HM(22, 0), HM(7, 0));
	WALK(r, "Europe/Berlin", "2026-06-04T12:00:00Z",
	    "2026-06-05T05:00:00Z", "2026-06-08T05:00:00Z", "2026-06-09T05:00:00Z");

	/* shifted into a DST gap: 02:30 on 03-29 is 03:00 CEST */
	r = rule(HM(1, 0), false, HM(0, 30), HM(2, 30));
	WALK(r, "Europe/Berlin", "2026-03-27T12:00:00Z",
	    "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z");
	tz_free(tz);

	/* shifted past midnight into a fold: New York 01:30 on 11-01, the first */
	r = rule(HM(23, 0), false, HM(22, 0), HM(1, 30));
	WALK(r, "America/New_York", "2026-10-30T12:00:00Z",
	    "2026-10-31T05:30:00Z",			/* Fri's, Sat 01:30 EDT */
	    "2026-11-01T05:30:00Z",			/* Sat's, Sun 01:30 EDT */
	    "2026-11-02T06:30:00Z");			/* Sun's, Mon 01:30 EST */
	r.weekdays = true;
	WALK(r, "America/New_York", "2026-10-30T12:00:00Z",
	    "2026-10-31T05:30:00Z", "2026-11-03T06:30:00Z");
}

/* ---- the weekday rule, on the person's calendar ---- */

static void
test_weekdays(void **state)
{
	struct tz *tz = load("Europe/Berlin");
	struct subs_rule r = rule(HM(9, 0), true, 0, 0);

	(void)state;
	/* Friday's delivery, then Monday's */
	WALK(r, "Europe/Berlin", "2026-06-04T12:00:00Z",
	    "2026-06-05T07:00:00Z", "2026-06-08T07:00:00Z", "2026-06-09T07:00:00Z");
	assert_string_equal(next1(&r, tz, rfc("2026-06-06T10:00:00Z"), 0), "2026-06-08T07:00:00Z");
	assert_string_equal(next1(&r, tz, rfc("2026-06-07T21:59:59Z"), 0), "2026-06-08T07:00:00Z");
	assert_string_equal(next1(&r, tz, rfc("2026-06-08T06:59:59Z"), 0), "2026-06-08T07:00:00Z");
	/* every day, the weekend too */
	r.weekdays = false;
	WALK(r, "Europe/Berlin", "2026-06-05T07:00:00Z",
	    "2026-06-06T07:00:00Z", "2026-06-07T07:00:00Z", "2026-06-08T07:00:00Z");
	tz_free(tz);

	/* New York 21:00: Friday's is Saturday in UTC and counts; Sunday's does not */
	WALK(rule(HM(21, 0), true, 0, 0), "America/New_York", "2026-06-05T12:00:00Z",
	    "2026-06-06T01:00:00Z", "2026-06-09T01:00:00Z");
	/* Kolkata 02:00: Monday's is Sunday in UTC; Saturday's (Friday UTC) does not come */
	WALK(rule(HM(2, 0), true, 0, 0), "Asia/Kolkata", "2026-06-04T12:00:00Z",
	    "2026-06-04T20:30:00Z",			/* Fri 02:00 IST */
	    "2026-06-07T20:30:00Z",			/* Mon 02:00 IST */
	    "2026-06-08T20:30:00Z");
}

/* ---- pauses ---- */

static void
test_pause(void **state)
{
	struct tz *tz = load("Europe/Berlin");
	struct subs_rule r = rule(HM(9, 0), false, 0, 0);
	int64_t last = rfc("2026-06-10T07:00:00Z");	/* Wed 09:00 CEST, delivered */
	int64_t pause, until, t, next;

	(void)state;
	/* "pause 7d" at Wed 10:00: back on the first day at or after the next Wed 10:00 */
	assert_int_equal(subs_parse_pause("7d", &pause), 0);
	until = rfc("2026-06-10T08:00:00Z") + pause;
	assert_string_equal(next1(&r, tz, last, until), "2026-06-18T07:00:00Z");
	/* no burst: the walk then gives one a day */
	t = last;
	for (int i = 0; i < 5; i++) {
		static const char *const want[] = {"2026-06-18T07:00:00Z",
		    "2026-06-19T07:00:00Z", "2026-06-20T07:00:00Z", "2026-06-21T07:00:00Z",
		    "2026-06-22T07:00:00Z"};

		assert_int_equal(subs_next(&r, tz, t, until, &next), 0);
		assert_string_equal(fmt(next), want[i]);
		t = next;
	}
	/* the bound: a delivery exactly at paused_until is due; one second later is not */
	assert_string_equal(next1(&r, tz, last, rfc("2026-06-17T07:00:00Z")), "2026-06-17T07:00:00Z");
	assert_string_equal(next1(&r, tz, last, rfc("2026-06-17T07:00:01Z")), "2026-06-18T07:00:00Z");
	/* a pause over or before after changes nothing; 0 is none */
	assert_string_equal(next1(&r, tz, last, last - 86400), "2026-06-11T07:00:00Z");
	assert_string_equal(next1(&r, tz, last, last), "2026-06-11T07:00:00Z");
	assert_string_equal(next1(&r, tz, last, 0), "2026-06-11T07:00:00Z");
	/* 0 is none before 1970 too */
	assert_string_equal(next1(&r, NULL, rfc("1969-12-30T12:00:00Z"), 0), "1969-12-31T09:00:00Z");
	/* the longest pause: a year later, on time */
	assert_int_equal(subs_parse_pause("365d", &pause), 0);
	assert_string_equal(next1(&r, tz, last, last + 3600 + pause), "2027-06-11T07:00:00Z");
	/* weekdays: a pause ending on Saturday resumes on Monday */
	r.weekdays = true;
	assert_string_equal(next1(&r, tz, last, rfc("2026-06-13T10:00:00Z")), "2026-06-15T07:00:00Z");
	/* with quiet hours the shifted delivery is what the pause is held against */
	r = rule(HM(6, 0), false, HM(22, 0), HM(7, 0));
	assert_string_equal(next1(&r, tz, rfc("2026-06-10T05:00:00Z"), rfc("2026-06-12T04:30:00Z")),
	    "2026-06-12T05:00:00Z");
	assert_string_equal(next1(&r, tz, rfc("2026-06-10T05:00:00Z"), rfc("2026-06-12T05:00:01Z")),
	    "2026-06-13T05:00:00Z");
	/* a pause that ends in the night: the evening's slot comes at the quiet end */
	r = rule(HM(23, 0), false, HM(22, 0), HM(7, 0));
	assert_string_equal(next1(&r, tz, rfc("2026-06-10T05:00:00Z"), rfc("2026-06-13T04:00:00Z")),
	    "2026-06-13T05:00:00Z");		/* Friday's, Saturday 07:00 */
	tz_free(tz);
}

/* ---- bad rules and ranges ---- */

static void
test_next_invalid(void **state)
{
	static const struct subs_rule bad[] = {
		{-1, false, 0, 0}, {1440, false, 0, 0}, {540, false, -1, 0},
		{540, false, 0, 1440}, {540, false, 1440, 1440}, {INT32_MIN, true, 0, 0},
	};
	struct subs_rule ok = rule(540, false, 0, 0);
	struct tz *tz = load("Europe/Berlin");
	int64_t next = 42, t = rfc("2026-06-01T00:00:00Z");

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(subs_next(&bad[i], tz, t, 0, &next), DRILL_EINVAL);
		assert_int_equal(next, 42);
	}
	assert_int_equal(subs_next(&ok, tz, INT64_MAX, 0, &next), DRILL_EINVAL);
	assert_int_equal(subs_next(&ok, tz, INT64_MIN, 0, &next), DRILL_EINVAL);
	assert_int_equal(subs_next(&ok, tz, TZ_TIME_MAX, 0, &next), DRILL_EINVAL);
	assert_int_equal(subs_next(&ok, tz, t, INT64_MAX, &next), DRILL_EINVAL);
	assert_int_equal(subs_next(&ok, tz, t, TZ_TIME_MAX, &next), DRILL_EINVAL);
	assert_int_equal(next, 42);
	/* the edges of the range that is accepted */
	assert_int_equal(subs_next(&ok, tz, TZ_TIME_MAX - SUBS_MARGIN_DAYS * INT64_C(86400),
	    0, &next), 0);
	assert_int_equal(subs_next(&ok, tz, TZ_TIME_MIN + SUBS_MARGIN_DAYS * INT64_C(86400),
	    0, &next), 0);
	tz_free(tz);
}

/*
 * A clock change can squeeze one day's delivery and the next day's
 * scheduled time onto one instant: Nuuk springs from 23:00 to 00:00 on
 * Saturday 2026-03-28, so with quiet 00:00-23:59 a 00:00 subscription
 * delivers Saturday's at 23:59 (skipped: the gap's end, Sunday 00:00 =
 * 01:00Z), which is also when Sunday's slot is scheduled. Sunday's must
 * still come, at Sunday 23:59.
 */
static void
test_squeezed_slot(void **state)
{
	(void)state;
	WALK(rule(0, false, 0, HM(23, 59)), "America/Nuuk", "2026-03-26T01:00:00Z",
	    "2026-03-27T01:59:00Z", "2026-03-28T01:59:00Z",
	    "2026-03-29T01:00:00Z",			/* Sat's, at the gap's end */
	    "2026-03-30T00:59:00Z",			/* Sun's: not swallowed */
	    "2026-03-31T00:59:00Z");
	/* the fold in October (23:00-23:59 twice on the 24th) */
	WALK(rule(HM(23, 30), false, 0, 0), "America/Nuuk", "2026-10-23T12:00:00Z",
	    "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z");
}

/* ---- two-year walks against the zone's clock, minute by minute ---- */

struct slot {
	int64_t day;		/* the slot's local date (day number) */
	int64_t nominal;	/* first instant showing at least its time */
	int64_t delivery;	/* first instant showing at least its delivery time */
};

/*
 * First index i >= *p with wall[i] >= w (wall: the wall clock, local
 * seconds, at from + 60 i). Since w only grows between calls, everything
 * before *p already showed less.
 */
static int64_t
first_showing(const int64_t *wall, size_t n, size_t *p, int64_t w, int64_t from)
{
	while (*p < n && wall[*p] < w)
		(*p)++;
	assert_true(*p < n);
	return from + 60 * (int64_t)*p;
}

static void
test_walk_two_years(void **state)
{
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
	};
	static const struct {
		struct subs_rule r;
		int dm;			/* delivery minute from the slot's midnight */
	} rules[] = {
		{{HM(9, 30), false, 0, 0}, HM(9, 30)},
		{{HM(2, 30), true, 0, 0}, HM(2, 30)},			/* gaps and folds */
		{{HM(1, 45), false, 0, 0}, HM(1, 45)},			/* Lord Howe's fold */
		{{HM(6, 0), false, HM(22, 0), HM(7, 0)}, HM(7, 0)},
		{{HM(23, 0), true, HM(21, 0), HM(2, 30)}, 1440 + HM(2, 30)},
		{{HM(23, 0), false, HM(21, 0), HM(2, 30)}, 1440 + HM(2, 30)},
		{{HM(1, 45), false, HM(1, 0), HM(2, 15)}, HM(2, 15)},
		{{HM(0, 0), true, HM(0, 0), HM(1, 0)}, HM(1, 0)},
	};
	int64_t from = utc(2026, 1, 1, 0, 0, 0) + 37 * 60, to = utc(2028, 1, 1, 0, 0, 0);
	size_t n = (size_t)((to - from) / 60 + 8 * 1440), total = 0;
	int64_t *wall = malloc(n * sizeof(*wall));
	struct slot *want = malloc(800 * sizeof(*want));

	(void)state;
	assert_non_null(wall);
	assert_non_null(want);
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		struct tz *tz = load(zones[z]);

		/* the clock, from two days before from */
		for (size_t i = 0; i < n; i++) {
			int off;
			int64_t u = from - 2 * 86400 + 60 * (int64_t)i;

			assert_int_equal(tz_offset(tz, u, &off, NULL), 0);
			wall[i] = u + off;
		}
		for (size_t k = 0; k < sizeof(rules) / sizeof(rules[0]); k++) {
			const struct subs_rule *r = &rules[k].r;
			int64_t base = from - 2 * 86400, day0 = (from - 3 * 86400) / 86400;
			size_t pn = 0, pd = 0, nw = 0, off_time = 0, i = 0;
			int64_t t = from, next, matching = 0;

			/* what the clock says each matching day's slot does */
			for (int64_t d = day0; d < to / 86400 + 3; d++) {
				int wd = tz_weekday(d);
				struct slot s;

				if (r->weekdays && (wd == 0 || wd == 6))
					continue;
				s.day = d;
				s.nominal = first_showing(wall, n, &pn, d * 86400 + r->at * 60, base);
				s.delivery = first_showing(wall, n, &pd,
				    d * 86400 + rules[k].dm * 60, base);
				if (s.nominal <= from || s.delivery >= to)
					continue;
				assert_true(nw < 800);
				if (nw > 0)
					assert_true(s.delivery > want[nw - 1].delivery);
				want[nw++] = s;
			}
			/* the walk must match it one for one */
			while (subs_next(r, tz, t, 0, &next) == 0 && next < to) {
				struct tz_local lt;
				int64_t mid;

				if (i >= nw || next != want[i].delivery)
					fail_msg("%s rule %zu after %s: got %s, want %s", zones[z], k,
					    fmt(t), fmt(next), i < nw ? fmt(want[i].delivery) : "none");
				/* the local time is the planned one but on a gap's day */
				assert_int_equal(tz_localtime(tz, next, &lt), 0);
				if (lt.hour * 60 + lt.minute != rules[k].dm % 1440)
					off_time++;
				/* from anywhere between two deliveries, before the slot's time */
				mid = t + (next - t) / 2;
				if (i > 0 && mid < want[i].nominal) {
					int64_t again;

					assert_int_equal(subs_next(r, tz, mid, 0, &again), 0);
					assert_true(again == next);
				}
				i++;
				t = next;
			}
			if (i != nw)
				fail_msg("%s rule %zu: %zu deliveries, the clock says %zu", zones[z],
				    k, i, nw);
			/* exactly one per matching local day, counted on the calendar */
			for (int64_t d = want[0].day; d <= want[nw - 1].day; d++) {
				int wd = tz_weekday(d);

				if (!r->weekdays || (wd >= 1 && wd <= 5))
					matching++;
			}
			assert_int_equal(matching, nw);
			assert_true(nw >= (r->weekdays ? 520 : 728));
			/* at most the two spring gaps of the two years move a time */
			if (strcmp(zones[z], "Asia/Kolkata") == 0)
				assert_int_equal(off_time, 0);
			else
				assert_true(off_time <= 2);
			total += nw;
		}
		tz_free(tz);
	}
	assert_true(total > 4 * 7 * 520);
	free(want);
	free(wall);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_parse_quiet),
		cmocka_unit_test(test_parse_pause),
		cmocka_unit_test(test_quiet_window),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_next_dst_by_hand),
		cmocka_unit_test(test_quiet_shift),
		cmocka_unit_test(test_weekdays),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_next_invalid),
		cmocka_unit_test(test_squeezed_slot),
		cmocka_unit_test(test_walk_two_years),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
