/*
 * cron.h - five-field cron schedules evaluated in a zone's local wall time,
 * and RFC 3339 UTC timestamps.
 *
 * An expression is "minute hour day-of-month month day-of-week":
 *
 *   minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or jan-dec,
 *   day-of-week 0-7 or sun-sat (0 and 7 are Sunday)
 *
 * Each field is a list ("1,3,5") of "*", a value, a range ("1-5",
 * "mon-fri"), each optionally with a step ("*\/15", "10-50/10", and "5/15"
 * meaning 5-max/15). Names are case-insensitive. A day-of-week range may end
 * on Sunday as 0 or "sun" ("fri-sun" = 5-7). The macros @yearly (@annually),
 * @monthly, @weekly, @daily (@midnight) and @hourly are accepted.
 *
 * Day matching follows Vixie cron: when the day-of-month and the day-of-week
 * fields are both restricted, a day matches if EITHER does ("0 9 1 * mon":
 * the 1st and every Monday); a field that starts with '*' ("*", "*\/2")
 * counts as unrestricted, and then both must match.
 *
 * Daylight saving (cron_next): every matching local wall-clock minute fires
 * at most once, at the instant tz_resolve gives it:
 *  - a wall time that happens twice (fall back) fires once, at its first
 *    occurrence. This holds for minute- and hour-level schedules too: in
 *    Berlin on 2026-10-25 "*\/15 * * * *" fires at 02:00, 02:15, 02:30 and
 *    02:45 CEST and then not again until 03:00 CET (75 minutes later) - the
 *    repeated 02:00-02:59 CET never fires a wall-clock minute a second time;
 *  - a wall time that does not happen (spring forward) fires once, at the
 *    first instant after the gap ("30 2 * * *" in Berlin on 2026-03-29 fires
 *    at 03:00 CEST = 01:00Z). Several skipped minutes collapse into that one
 *    fire: "*\/15 * * * *" fires at 01:45 CET, then once at 03:00 CEST, then
 *    at 03:15 CEST.
 * A skip set (holiday.h) is checked against the scheduled wall-clock date.
 */
#ifndef DRILL_CRON_H
#define DRILL_CRON_H

#include <stdbool.h>
#include <stdint.h>

#include "drill/common.h"

struct tz;
struct holiday_set;

#define CRON_EXPR_MAX 255		/* longest expression accepted */
#define CRON_HORIZON_DAYS (9 * 366)	/* cron_next searches this far (Feb 29 after 2096 is in 2104) */
#define CRON_RFC3339_LEN 21		/* "2026-03-27T08:30:00Z" and its NUL */

/* A parsed expression: a plain value, nothing to free. */
struct cron {
	uint64_t minutes;		/* bit n: minute n, 0-59 */
	uint32_t hours;			/* bit n: hour n, 0-23 */
	uint32_t mdays;			/* bit n: day of month n, 1-31 */
	uint16_t months;		/* bit n: month n, 1-12 */
	uint8_t wdays;			/* bit n: weekday n, 0-6, 0 = Sunday */
	bool mday_star;			/* day-of-month started with '*' */
	bool wday_star;			/* day-of-week started with '*' */
};

/*
 * Parses expr into *out. Returns 0, or DRILL_EINVAL with err naming the
 * field and the problem ("hour: 24 is out of range (0-23)").
 */
int cron_parse(const char *expr, struct cron *out, char err[DRILL_ERRLEN]) DRILL_WUR;

/* True when the schedule may fire on local date y-m-d (month, days, Vixie rule). */
bool cron_day_matches(const struct cron *c, int64_t y, int m, int d);

/*
 * The first fire instant strictly after after_utc, evaluated in zone tz's
 * wall time (tz NULL: UTC), by the daylight-saving rules above; fires on a
 * local date in skip (NULL: none) are left out. Searches day by day at most
 * CRON_HORIZON_DAYS ahead. Returns 0 with *next_utc set; DRILL_ENOTFOUND
 * when nothing fires in that horizon ("0 0 30 2 *"); DRILL_EINVAL when
 * after_utc is outside the range tz.h supports.
 */
int cron_next(const struct cron *c, const struct tz *tz, const struct holiday_set *skip,
    int64_t after_utc, int64_t *next_utc) DRILL_WUR;

/*
 * Formats instant t as RFC 3339 UTC, "2026-03-27T08:30:00Z", into buf.
 * Returns 0, or DRILL_EINVAL (buf then "") when the year is not 0000-9999.
 */
int cron_format_utc(int64_t t, char buf[CRON_RFC3339_LEN]) DRILL_WUR;

/*
 * Parses an RFC 3339 date-time, "2026-03-27T08:30:00Z" or with an offset
 * "2026-03-27T09:30:00+01:00" ('T' may be 't' or a space, 'Z' may be 'z';
 * a fraction of a second is accepted and dropped, which rounds down; second
 * 60, a leap second, reads as 59). Returns 0 with *out the instant, or
 * DRILL_EINVAL with err saying what is wrong.
 */
int cron_parse_rfc3339(const char *s, int64_t *out, char err[DRILL_ERRLEN]) DRILL_WUR;

#endif
