/*
 * Tests for holiday.c: single dates, tests/data/holiday-team.ics (folded
 * lines, multi-day events, yearly rules, timed and cancelled events, nested
 * components), yearly-rule details, errors with line numbers, all-or-nothing
 * loading, size limits, and damaged input.
 */
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

#include "drill/holiday.h"

#define TEAM_ICS "tests/data/holiday-team.ics"

static struct holiday_set *
new_set(void)
{
	struct holiday_set *h = NULL;

	assert_int_equal(holiday_new(&h), 0);
	assert_non_null(h);
	return h;
}

/* Parses text (LF line ends as written; crlf turns them into CRLF). */
static int
add_text(struct holiday_set *h, const char *text, bool crlf, char *err)
{
	size_t n = strlen(text), k = 0;
	char *buf = malloc(2 * n + 1);
	int rc;

	assert_non_null(buf);
	for (size_t i = 0; i < n; i++) {
		if (crlf && text[i] == '\n')
			buf[k++] = '\r';
		buf[k++] = text[i];
	}
	err[0] = '\0';
	rc = holiday_add_ics(h, buf, k, "x.ics", err);
	free(buf);
	return rc;
}

/* A set from one .ics text; fails the test on error. */
static struct holiday_set *
ics(const char *text)
{
	struct holiday_set *h = new_set();
	char err[DRILL_ERRLEN];

	if (add_text(h, text, true, err) != 0)
		fail_msg("%s", err);
	return h;
}

#define IN(h, y, m, d) assert_true(holiday_contains(h, y, m, d))
#define OUT(h, y, m, d) assert_false(holiday_contains(h, y, m, d))

static void
test_dates(void **state)
{
	static const char *const bad[] = {
		"", "2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-1-01",
		"2026-01-1", "2026-01-01x", "2026-01-01 ", " 2026-01-01", "0000-01-01",
		"20260101", "2026/01/01", "26-01-01", "2026-01-0a",
	};
	struct holiday_set *h = new_set();
	char err[DRILL_ERRLEN];

	(void)state;
	assert_int_equal(holiday_count(h), 0);
	OUT(h, 2026, 12, 25);
	assert_int_equal(holiday_add_date(h, "2026-12-25", err), 0);
	assert_int_equal(holiday_add_date(h, "2024-02-29", err), 0);
	assert_int_equal(holiday_add_date(h, "2026-12-25", err), 0);	/* again: one date */
	assert_int_equal(holiday_add_date(h, "0001-01-01", err), 0);
	assert_int_equal(holiday_add_date(h, "9999-12-31", err), 0);
	assert_int_equal(holiday_count(h), 4);
	IN(h, 2026, 12, 25);
	IN(h, 2024, 2, 29);
	IN(h, 1, 1, 1);
	IN(h, 9999, 12, 31);
	OUT(h, 2026, 12, 24);
	OUT(h, 2026, 12, 26);
	OUT(h, 2025, 12, 25);
	/* non-dates are never in a set */
	OUT(h, 2026, 12, 32);
	OUT(h, 2026, 13, 25);
	OUT(h, 10000, 1, 1);
	OUT(h, 0, 12, 25);
	OUT(h, -5, 12, 25);
	assert_false(holiday_contains(NULL, 2026, 12, 25));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (holiday_add_date(h, bad[i], err) != DRILL_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_non_null(strstr(err, "is not a date written YYYY-MM-DD"));
	}
	assert_int_equal(holiday_count(h), 4);
	holiday_free(h);
	holiday_free(NULL);
}

static void
check_team(const struct holiday_set *h)
{
	/* yearly New Year from 2026 on */
	IN(h, 2026, 1, 1);
	IN(h, 2027, 1, 1);
	IN(h, 2150, 1, 1);
	OUT(h, 2025, 1, 1);
	OUT(h, 2026, 1, 2);
	OUT(h, 2025, 12, 31);
	/* DTEND is exclusive: 24, 25, 26 */
	OUT(h, 2026, 12, 23);
	IN(h, 2026, 12, 24);
	IN(h, 2026, 12, 25);
	IN(h, 2026, 12, 26);
	OUT(h, 2026, 12, 27);
	OUT(h, 2027, 12, 25);
	/* Good Friday to Easter Monday */
	OUT(h, 2026, 4, 2);
	IN(h, 2026, 4, 3);
	IN(h, 2026, 4, 4);
	IN(h, 2026, 4, 5);
	IN(h, 2026, 4, 6);
	OUT(h, 2026, 4, 7);
	/* a timed weekly meeting is not a holiday */
	OUT(h, 2026, 5, 5);
	OUT(h, 2026, 5, 12);
	/* DURATION:P2D, with a VALARM inside */
	IN(h, 2026, 9, 10);
	IN(h, 2026, 9, 11);
	OUT(h, 2026, 9, 12);
	/* cancelled */
	OUT(h, 2026, 6, 1);
	/* DTSTART folded over three lines */
	IN(h, 2026, 8, 3);
	OUT(h, 2026, 8, 4);
	/* a bare date, yearly until 2028 */
	IN(h, 2026, 10, 3);
	IN(h, 2027, 10, 3);
	IN(h, 2028, 10, 3);
	OUT(h, 2029, 10, 3);
	OUT(h, 2025, 10, 3);
	/* a VTODO and the VTIMEZONE's rules are ignored */
	OUT(h, 2026, 7, 7);
	OUT(h, 2026, 10, 25);
	OUT(h, 2026, 3, 29);
}

static void
test_ics_file(void **state)
{
	struct holiday_set *h = new_set();
	char err[DRILL_ERRLEN] = "";

	(void)state;
	if (holiday_load_ics(h, TEAM_ICS, err) != 0)
		fail_msg("%s", err);
	check_team(h);
	/* 3 + 4 + 2 + 1 single days, 2 yearly rules */
	assert_int_equal(holiday_count(h), 12);
	/* loading twice changes nothing visible */
	assert_int_equal(holiday_load_ics(h, TEAM_ICS, err), 0);
	check_team(h);
	holiday_free(h);
}

/* The same file with LF line ends and a byte order mark. */
static void
test_ics_lf_bom(void **state)
{
	FILE *f = fopen(TEAM_ICS, "rb");
	char *buf = malloc(65536), *lf = malloc(65536 + 3), err[DRILL_ERRLEN];
	size_t n, k = 3;
	struct holiday_set *h = new_set();

	(void)state;
	assert_non_null(f);
	n = fread(buf, 1, 65536, f);
	fclose(f);
	memcpy(lf, "\xef\xbb\xbf", 3);
	for (size_t i = 0; i < n; i++)
		if (buf[i] != '\r')
			lf[k++] = buf[i];
	if (holiday_add_ics(h, lf, k, "lf.ics", err) != 0)
		fail_msg("%s", err);
	check_team(h);
	holiday_free(h);
	free(buf);
	free(lf);
}

static void
test_ics_rrule(void **state)
{
	struct holiday_set *h;
	char err[DRILL_ERRLEN];

	(void)state;
	/* every other year, three times */
	h = ics("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260501\n"
	    "RRULE:FREQ=YEARLY;INTERVAL=2;COUNT=3\nEND:VEVENT\nEND:VCALENDAR\n");
	IN(h, 2026, 5, 1);
	OUT(h, 2027, 5, 1);
	IN(h, 2028, 5, 1);
	IN(h, 2030, 5, 1);
	OUT(h, 2032, 5, 1);
	OUT(h, 2024, 5, 1);
	assert_int_equal(holiday_count(h), 1);
	holiday_free(h);
	/* February 29 only in leap years; COUNT counts real occurrences */
	h = ics("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20240229\n"
	    "RRULE:FREQ=YEARLY;COUNT=2\nEND:VEVENT\nEND:VCALENDAR\n");
	IN(h, 2024, 2, 29);
	OUT(h, 2025, 2, 28);
	OUT(h, 2025, 3, 1);
	IN(h, 2028, 2, 29);
	OUT(h, 2032, 2, 29);
	holiday_free(h);
	/* a yearly multi-day event across the new year */
	h = ics("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261231\n"
	    "DTEND;VALUE=DATE:20270103\nRRULE:FREQ=YEARLY\nEND:VEVENT\nEND:VCALENDAR\n");
	OUT(h, 2026, 12, 30);
	IN(h, 2026, 12, 31);
	IN(h, 2027, 1, 1);
	IN(h, 2027, 1, 2);
	OUT(h, 2027, 1, 3);
	IN(h, 2027, 12, 31);
	IN(h, 2028, 1, 2);
	OUT(h, 2026, 1, 1);		/* before the first occurrence */
	holiday_free(h);
	/* EXDATE removes occurrences; BYMONTH/BYMONTHDAY restating DTSTART are fine */
	h = ics("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261225\n"
	    "RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25;WKST=MO\n"
	    "EXDATE;VALUE=DATE:20271225,20291225\nEND:VEVENT\nEND:VCALENDAR\n");
	IN(h, 2026, 12, 25);
	OUT(h, 2027, 12, 25);
	IN(h, 2028, 12, 25);
	OUT(h, 2029, 12, 25);
	IN(h, 2030, 12, 25);
	holiday_free(h);
	/* UNTIL as a date; lower-case rule parts */
	h = ics("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\n"
	    "RRULE:freq=yearly;until=20270101\nEND:VEVENT\nEND:VCALENDAR\n");
	IN(h, 2027, 1, 1);
	OUT(h, 2028, 1, 1);
	holiday_free(h);
	/* EXDATE on a single event removes it */
	h = ics("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\n"
	    "EXDATE;VALUE=DATE:20260101\nEND:VEVENT\nEND:VCALENDAR\n");
	OUT(h, 2026, 1, 1);
	holiday_free(h);
	/* DURATION in weeks; DTEND equal to DTSTART is one day */
	h = ics("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260803\nDURATION:P2W\n"
	    "END:VEVENT\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261111\n"
	    "DTEND;VALUE=DATE:20261111\nEND:VEVENT\nEND:VCALENDAR\n");
	IN(h, 2026, 8, 16);
	OUT(h, 2026, 8, 17);
	IN(h, 2026, 11, 11);
	OUT(h, 2026, 11, 12);
	holiday_free(h);
	/* two calendars in one stream */
	h = ics("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nEND:VEVENT\n"
	    "END:VCALENDAR\nBEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260102\n"
	    "END:VEVENT\nEND:VCALENDAR\n");
	IN(h, 2026, 1, 1);
	IN(h, 2026, 1, 2);
	holiday_free(h);
	/* a calendar with no events is fine */
	h = new_set();
	assert_int_equal(add_text(h, "BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n", false, err), 0);
	assert_int_equal(holiday_count(h), 0);
	holiday_free(h);
}

#define EV(body) "BEGIN:VCALENDAR\nBEGIN:VEVENT\n" body "END:VEVENT\nEND:VCALENDAR\n"

static void
test_ics_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} c[] = {
		{"", "x.ics:1: empty file"},
		{"\n\n", "x.ics:1: empty file"},
		{"hello\n", "x.ics:1: not an iCalendar content line: \"hello\""},
		{"BEGIN:VEVENT\nEND:VEVENT\n", "x.ics:1: not an iCalendar file (expected BEGIN:VCALENDAR"},
		{"VERSION:2.0\n", "x.ics:1: VERSION outside BEGIN:VCALENDAR"},
		{"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\n",
		    "x.ics:3: file ends inside BEGIN:VEVENT of line 2"},
		{"BEGIN:VCALENDAR\n", "x.ics:1: file ends inside BEGIN:VCALENDAR of line 1"},
		{EV(""), "x.ics:2: VEVENT without DTSTART"},
		{EV("SUMMARY:x\n"), "x.ics:2: VEVENT without DTSTART"},
		{EV("DTSTART;VALUE=DATE:2026-01-01\n"), "x.ics:3: bad DTSTART \"2026-01-01\""},
		{EV("DTSTART;VALUE=DATE:20260230\n"), "x.ics:3: bad DTSTART"},
		{EV("DTSTART;VALUE=DATE:20260101T100000\n"), "x.ics:3: bad DTSTART"},
		{EV("DTSTART:2026010\n"), "x.ics:3: bad DTSTART"},
		{EV("DTSTART:20260101T1000\n"), "x.ics:3: bad DTSTART"},
		{EV("DTSTART;VALUE=DATE:20260101\nDTSTART;VALUE=DATE:20260102\n"),
		    "x.ics:4: second DTSTART"},
		{EV("DTSTART;VALUE=DATE:20260105\nDTEND;VALUE=DATE:20260104\n"),
		    "x.ics:4: DTEND is before DTSTART"},
		{EV("DTSTART;VALUE=DATE:20260105\nDTEND:20260106T100000\n"),
		    "x.ics:4: DTEND is a date-time but DTSTART is a date"},
		{EV("DTSTART;VALUE=DATE:20260105\nDTEND;VALUE=DATE:x\n"), "x.ics:4: bad DTEND"},
		{EV("DTSTART;VALUE=DATE:20260101\nDTEND;VALUE=DATE:20270103\n"),
		    "x.ics:2: event is longer than 366 days"},
		{EV("DTSTART;VALUE=DATE:20260101\nDURATION:PT1H\n"),
		    "x.ics:4: DURATION of an all-day event must be whole days"},
		{EV("DTSTART;VALUE=DATE:20260101\nDURATION:P400D\n"), "longer than 366 days"},
		{EV("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=MONTHLY\n"),
		    "x.ics:4: only RRULE:FREQ=YEARLY is supported"},
		{EV("DTSTART;VALUE=DATE:20261126\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH\n"),
		    "x.ics:4: RRULE part BYDAY is not supported"},
		{EV("DTSTART;VALUE=DATE:20261126\nRRULE:FREQ=YEARLY;BYMONTH=12\n"),
		    "RRULE BYMONTH must be DTSTART's month"},
		{EV("DTSTART;VALUE=DATE:20261126\nRRULE:FREQ=YEARLY;BYMONTHDAY=1\n"),
		    "RRULE BYMONTHDAY must be DTSTART's day"},
		{EV("DTSTART;VALUE=DATE:20260101\nRRULE:INTERVAL=2\n"), "x.ics:4: RRULE without FREQ"},
		{EV("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY;INTERVAL=0\n"), "bad RRULE INTERVAL"},
		{EV("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY;COUNT=x\n"), "bad RRULE COUNT"},
		{EV("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY;UNTIL=2027\n"), "bad RRULE UNTIL"},
		{EV("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY;FOO\n"), "RRULE part \"FOO\" has no '='"},
		{EV("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY\nRRULE:FREQ=YEARLY\n"),
		    "x.ics:5: second RRULE"},
		{EV("DTSTART;VALUE=DATE:20260101\nEXDATE;VALUE=DATE:2026-01-01\n"), "x.ics:4: bad EXDATE"},
		{EV("DTSTART;VALUE=DATE:20260101\nBEGIN:VEVENT\n"), "x.ics:4: VEVENT inside a VEVENT"},
		{"BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VTODO\n",
		    "x.ics:3: END:VTODO does not close BEGIN:VEVENT of line 2"},
		{"BEGIN:VCALENDAR\nEND:VCALENDAR\nEND:VCALENDAR\n", "x.ics:3: END:VCALENDAR without BEGIN"},
		{"BEGIN:VCALENDAR\nBEGIN:VCALENDAR\n", "x.ics:2: VCALENDAR inside a component"},
		{"BEGIN:VCALENDAR\nBEGIN:A\nBEGIN:B\nBEGIN:C\nBEGIN:D\nBEGIN:E\nBEGIN:F\nBEGIN:G\n"
		    "BEGIN:H\n", "x.ics:9: components nested too deep"},
		{"BEGIN:VCALENDAR\nBEGIN:VTODO\nBEGIN:VEVENT\n", "x.ics:3: VEVENT inside VTODO"},
		{"BEGIN:VCALENDAR\nBEGIN:\n", "x.ics:2: bad BEGIN"},
		{"BEGIN:VCALENDAR\nEND:VCALENDAR\nSUMMARY:x\n", "x.ics:3: SUMMARY outside BEGIN:VCALENDAR"},
		{"BEGIN:VCALENDAR\nNAME;PARAM\"x:y\n", "x.ics:2: not an iCalendar content line"},
		{"BEGIN:VCALENDAR\nNAME;P=\"unterminated:y\n", "x.ics:2: not an iCalendar content line"},
		{"BEGIN:VCALENDAR\nNAME\n", "x.ics:2: not an iCalendar content line"},
		{"BEGIN:VCALENDAR\n:value\n", "x.ics:2: not an iCalendar content line"},
		/* line numbers count physical lines: the error is on line 6 */
		{"BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:a\n folded\n twice\n"
		    "DTSTART;VALUE=DATE:bad\nEND:VEVENT\nEND:VCALENDAR\n", "x.ics:6: bad DTSTART"},
	};
	char err[DRILL_ERRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		for (int crlf = 0; crlf <= 1; crlf++) {
			struct holiday_set *h = new_set();
			int rc = add_text(h, c[i].text, crlf, err);

			if (rc != DRILL_EINVAL)
				fail_msg("case %zu (crlf %d): rc %d, err \"%s\"", i, crlf, rc, err);
			if (strstr(err, c[i].msg) == NULL)
				fail_msg("case %zu (crlf %d): message \"%s\" lacks \"%s\"", i, crlf, err,
				    c[i].msg);
			assert_int_equal(holiday_count(h), 0);
			holiday_free(h);
		}
	}
	/* a NUL byte */
	{
		static const char bin[] = "BEGIN:VCALENDAR\r\nX:1\r\nX:\0\r\nEND:VCALENDAR\r\n";
		struct holiday_set *h = new_set();

		assert_int_equal(holiday_add_ics(h, bin, sizeof(bin) - 1, "bin.ics", err), DRILL_EINVAL);
		assert_string_equal(err, "bin.ics:3: NUL byte (not a text file)");
		holiday_free(h);
	}
}

/* A failed file leaves the set as it was. */
static void
test_ics_all_or_nothing(void **state)
{
	struct holiday_set *h = new_set();
	char err[DRILL_ERRLEN];

	(void)state;
	assert_int_equal(holiday_add_date(h, "2026-05-01", err), 0);
	assert_int_equal(add_text(h, "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\n"
	    "RRULE:FREQ=YEARLY\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260102\nEND:VEVENT\n"
	    "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20269999\nEND:VEVENT\nEND:VCALENDAR\n", true, err),
	    DRILL_EINVAL);
	assert_non_null(strstr(err, "x.ics:10: bad DTSTART"));
	assert_int_equal(holiday_count(h), 1);
	IN(h, 2026, 5, 1);
	OUT(h, 2026, 1, 1);
	OUT(h, 2026, 1, 2);
	holiday_free(h);
}

static void
test_limits(void **state)
{
	struct holiday_set *h = new_set();
	char err[DRILL_ERRLEN], path[] = "/tmp/drill-test-holiday-XXXXXX";
	size_t cap = 400 * 100 + 100, n = 0;
	char *big = malloc(HOLIDAY_FILE_MAX + 2);
	int fd;

	(void)state;
	assert_non_null(big);
	/* over HOLIDAY_FILE_MAX, in memory and as a file */
	memset(big, '\n', HOLIDAY_FILE_MAX + 1);
	assert_int_equal(holiday_add_ics(h, big, HOLIDAY_FILE_MAX + 1, "big.ics", err), DRILL_ETOOBIG);
	assert_non_null(strstr(err, "big.ics"));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, big, HOLIDAY_FILE_MAX + 1), HOLIDAY_FILE_MAX + 1);
	close(fd);
	assert_int_equal(holiday_load_ics(h, path, err), DRILL_ETOOBIG);
	unlink(path);
	/* 300 events of 366 days: over HOLIDAY_DAYS_MAX */
	n = (size_t)snprintf(big, cap, "BEGIN:VCALENDAR\n");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(big + n, cap - n, "BEGIN:VEVENT\nDTSTART;VALUE=DATE:%04d0101\n"
		    "DURATION:P366D\nEND:VEVENT\n", 2000 + i);
	n += (size_t)snprintf(big + n, cap - n, "END:VCALENDAR\n");
	assert_int_equal(holiday_add_ics(h, big, n, "many.ics", err), DRILL_ETOOBIG);
	assert_non_null(strstr(err, "too many holidays"));
	assert_int_equal(holiday_count(h), 0);
	/* 200 such events fit (73,200 days), and a single date too */
	n = (size_t)snprintf(big, cap, "BEGIN:VCALENDAR\n");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(big + n, cap - n, "BEGIN:VEVENT\nDTSTART;VALUE=DATE:%04d0101\n"
		    "DURATION:P366D\nEND:VEVENT\n", 2000 + 2 * i);
	n += (size_t)snprintf(big + n, cap - n, "END:VCALENDAR\n");
	assert_int_equal(holiday_add_ics(h, big, n, "some.ics", err), 0);
	assert_int_equal(holiday_count(h), 200 * 366);
	IN(h, 2000, 12, 31);
	OUT(h, 2001, 1, 1);		/* 2000 is a leap year: 366 days end on Dec 31 */
	IN(h, 2003, 1, 1);		/* 2002 is not: they reach into 2003 */
	OUT(h, 2003, 1, 2);
	/* the same file again: still the same days, no error */
	assert_int_equal(holiday_add_ics(h, big, n, "some.ics", err), 0);
	assert_int_equal(holiday_count(h), 200 * 366);
	/* files that are not there or not files */
	assert_int_equal(holiday_load_ics(h, "/nonexistent/holidays.ics", err), DRILL_ENOTFOUND);
	assert_non_null(strstr(err, "/nonexistent/holidays.ics"));
	assert_int_equal(holiday_load_ics(h, "/tmp", err), DRILL_EIO);
	free(big);
	holiday_free(h);
}

/* Truncations and random damage of the sample file: errors, never crashes. */
static void
test_damaged(void **state)
{
	FILE *f = fopen(TEAM_ICS, "rb");
	char *orig = malloc(65536), err[DRILL_ERRLEN];
	size_t n;
	uint64_t seed = 7;
	int ok = 0, failed = 0;

	(void)state;
	assert_non_null(f);
	n = fread(orig, 1, 65536, f);
	fclose(f);
	for (size_t len = 0; len <= n; len++) {
		char *cut = malloc(len ? len : 1);	/* exact size: ASan sees over-reads */
		struct holiday_set *h = new_set();
		int rc;

		memcpy(cut, orig, len);
		err[0] = '\0';
		rc = holiday_add_ics(h, cut, len, "cut.ics", err);
		assert_true(rc == 0 || rc == DRILL_EINVAL);
		if (rc != 0) {
			assert_non_null(strstr(err, "cut.ics:"));
			assert_int_equal(holiday_count(h), 0);
		}
		holiday_free(h);
		free(cut);
	}
	for (int round = 0; round < 3000; round++) {
		char *b = malloc(n);
		struct holiday_set *h = new_set();
		int rc;

		memcpy(b, orig, n);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			b[(seed >> 33) % n] = (char)(seed >> 24);
		}
		err[0] = '\0';
		rc = holiday_add_ics(h, b, n, "fuzz.ics", err);
		assert_true(rc == 0 || rc == DRILL_EINVAL || rc == DRILL_ETOOBIG);
		if (rc == 0) {
			ok++;
			(void)holiday_contains(h, 2026, 12, 25);
		} else {
			failed++;
			assert_true(err[0] != '\0');
		}
		holiday_free(h);
		free(b);
	}
	assert_true(ok > 0 && failed > 0);
	free(orig);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_ics_file),
		cmocka_unit_test(test_ics_lf_bom),
		cmocka_unit_test(test_ics_rrule),
		cmocka_unit_test(test_ics_errors),
		cmocka_unit_test(test_ics_all_or_nothing),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
