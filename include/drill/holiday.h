/*
 * holiday.h - sets of local dates on which a schedule does not fire.
 *
 * A set is filled from "YYYY-MM-DD" strings and/or iCalendar (.ics, RFC
 * 5545) files of all-day events:
 *
 *  - a VEVENT whose DTSTART is a date (DTSTART;VALUE=DATE:20261225, or a
 *    bare 8-digit value) covers the days from DTSTART up to, not including,
 *    DTEND;VALUE=DATE (or for DURATION:PnD / PnW days; one day when neither
 *    is given), so multi-day holidays cover every day;
 *  - RRULE:FREQ=YEARLY, with INTERVAL, COUNT and UNTIL, repeats it every
 *    year (a February 29 event only in leap years); EXDATE;VALUE=DATE
 *    removes occurrences. BYMONTH/BYMONTHDAY are accepted only when they
 *    repeat DTSTART's; any other rule part is an error, not a guess;
 *  - events with a date-time DTSTART (meetings, not holidays) and
 *    STATUS:CANCELLED events are ignored, and so are other components
 *    (VTODO, VTIMEZONE, VALARM, ...) and unknown properties;
 *  - folded lines are unfolded; CRLF or LF line ends; a UTF-8 BOM is skipped.
 * Input is untrusted: files over HOLIDAY_FILE_MAX, events longer than 366
 * days, and sets over HOLIDAY_DAYS_MAX single days or HOLIDAY_RULES_MAX
 * yearly rules are refused, and every
 * error names the line ("holidays.ics:12: DTEND is before DTSTART").
 * Dates run from 0001-01-01 to 9999-12-31.
 *
 * A set is filled once (not thread-safe while being filled) and then only
 * read; holiday_contains may be called from any thread.
 */
#ifndef DRILL_HOLIDAY_H
#define DRILL_HOLIDAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drill/common.h"

#define HOLIDAY_FILE_MAX (1024 * 1024)	/* largest .ics read */
#define HOLIDAY_DAYS_MAX 100000		/* single dates a set may hold */
#define HOLIDAY_SPAN_MAX 366		/* longest event, in days */
#define HOLIDAY_RULES_MAX 1000		/* yearly rules a set may hold */

struct holiday_set;

/* Makes an empty set; *out is the caller's (holiday_free). 0 or DRILL_ENOMEM. */
int holiday_new(struct holiday_set **out) DRILL_WUR;

/* Releases a set; holiday_free(NULL) does nothing. */
void holiday_free(struct holiday_set *set);

/*
 * Adds one date written "YYYY-MM-DD" (a real date). Returns 0, DRILL_EINVAL
 * (err says which string), DRILL_ETOOBIG or DRILL_ENOMEM.
 */
int holiday_add_date(struct holiday_set *set, const char *date, char err[DRILL_ERRLEN]) DRILL_WUR;

/*
 * Parses iCalendar text data[0..len) and adds its holidays; label (a file
 * name) starts error messages. All or nothing: on error the set is
 * unchanged. Returns 0, DRILL_EINVAL, DRILL_ETOOBIG or DRILL_ENOMEM.
 */
int holiday_add_ics(struct holiday_set *set, const char *data, size_t len,
    const char *label, char err[DRILL_ERRLEN]) DRILL_WUR;

/*
 * Reads the .ics file at path and adds it as holiday_add_ics does. Also
 * DRILL_ENOTFOUND (no such file) and DRILL_EIO (cannot read it).
 */
int holiday_load_ics(struct holiday_set *set, const char *path, char err[DRILL_ERRLEN]) DRILL_WUR;

/* True when local date year-month-day is in the set (false for non-dates). */
bool holiday_contains(const struct holiday_set *set, int64_t year, int month, int day);

/* Single dates held plus yearly rules held, for a start-up log line. */
size_t holiday_count(const struct holiday_set *set);

#endif
