/*
 * tz.h - IANA time zones read straight from TZif files (RFC 8536), without
 * the C library's TZ machinery.
 *
 * drilld never calls setenv("TZ")/tzset()/localtime() with a switched TZ:
 * that races with libcurl's resolver threads. Instead tz_load() parses the
 * zone's TZif file itself (versions 1 to 4; the 64-bit block of version 2+)
 * and evaluates the footer's POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3")
 * for instants after the last transition, including the Jn, n and Mm.w.d
 * rule forms and version 3's negative and over-24-hour transition times.
 *
 * A struct tz is immutable once loaded: any number of threads may query it.
 *
 * Instants are Unix seconds (int64_t, leap seconds not counted). "Local
 * seconds" are a wall-clock reading written as if it were UTC:
 * tz_days_from_civil(y, m, d) * 86400 + hour * 3600 + minute * 60 + second.
 * Queries accept instants and local seconds within [TZ_TIME_MIN, TZ_TIME_MAX]
 * (about year -32000 to +36000) and refuse others with DRILL_EINVAL.
 *
 * Local to UTC follows drilld's schedule rules:
 *  - a wall time that happens twice (the clock falls back) resolves to the
 *    FIRST instant showing it;
 *  - a wall time that does not happen (the clock springs forward over it)
 *    resolves to the first instant after the gap: in Berlin on 2026-03-29,
 *    02:30 resolves to 03:00 CEST = 01:00Z.
 */
#ifndef DRILL_TZ_H
#define DRILL_TZ_H

#include <stdbool.h>
#include <stdint.h>

#include "drill/common.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_NAME_MAX 255			/* longest accepted zone name */
#define TZ_FILE_MAX (256 * 1024)	/* largest TZif file read (largest real one: ~4 KiB) */
#define TZ_TIME_MAX (INT64_C(1) << 40)	/* supported instants / local seconds */
#define TZ_TIME_MIN (-TZ_TIME_MAX)

struct tz;

/* What local time shows at an instant (tz_localtime). */
struct tz_local {
	int year, month, day;		/* month 1-12, day 1-31 */
	int hour, minute, second;
	int wday;			/* day of week, 0 = Sunday */
	int yday;			/* day of year, 0-365 */
	int offset;			/* seconds east of UTC */
	bool dst;
	const char *abbr;		/* "CEST"; borrowed, lives as long as the tz */
};

/* How a local wall time maps onto instants (tz_resolve). */
enum tz_local_kind {
	TZ_LOCAL_UNIQUE = 0,		/* happens once */
	TZ_LOCAL_REPEATED = 1,		/* happens twice or more: the first is returned */
	TZ_LOCAL_SKIPPED = 2		/* does not happen: the end of the gap is returned */
};

/*
 * Loads zone name ("Europe/Berlin", "UTC") from $TZDIR, or from
 * TZ_DEFAULT_DIR when TZDIR is unset or empty. Same as tz_load_at(NULL, ...).
 */
int tz_load(const char *name, struct tz **out, char err[DRILL_ERRLEN]) DRILL_WUR;

/*
 * Loads zone name from the zoneinfo directory root (NULL: $TZDIR, then
 * TZ_DEFAULT_DIR). The name is untrusted: only [A-Za-z0-9_+-/], no leading
 * '/', no empty component, at most TZ_NAME_MAX bytes; '.' never passes, so
 * neither does "..". "UTC" and "Etc/UTC" fall back to a built-in UTC when
 * the file does not exist. On success *out is the caller's (tz_free).
 * Returns 0; DRILL_EINVAL for a bad name or a corrupt or truncated file;
 * DRILL_ENOTFOUND when no such zone exists; DRILL_ETOOBIG when the file is
 * over TZ_FILE_MAX; DRILL_EIO when it cannot be read; DRILL_ENOMEM.
 * err says which and why.
 */
int tz_load_at(const char *root, const char *name, struct tz **out,
    char err[DRILL_ERRLEN]) DRILL_WUR;

/*
 * Parses TZif data buf[0..len) (untrusted) as zone name (which tz_name will
 * return; not validated, not used to find files). Files with leap-second
 * records (the "right/" zones) are refused. Returns 0, DRILL_EINVAL,
 * DRILL_ETOOBIG or DRILL_ENOMEM; *out is the caller's.
 */
int tz_parse(const char *name, const void *buf, size_t len, struct tz **out,
    char err[DRILL_ERRLEN]) DRILL_WUR;

/*
 * Makes a zone from a POSIX TZ string alone ("EST5EDT,M3.2.0,M11.1.0",
 * "<+0530>-5:30"), with the version 3 extensions (hours -167..167 in rule
 * times). A DST name without rules means ",M3.2.0,M11.1.0", as in tzcode.
 * The zone's name is the string. Returns 0, DRILL_EINVAL or DRILL_ENOMEM.
 */
int tz_parse_posix(const char *spec, struct tz **out, char err[DRILL_ERRLEN]) DRILL_WUR;

/* Releases a zone; tz_free(NULL) does nothing. */
void tz_free(struct tz *tz);

/* The zone's name as loaded; borrowed, lives as long as the tz. */
const char *tz_name(const struct tz *tz);

/*
 * Offset of local time from UTC (seconds east) at instant utc, and whether
 * it is daylight-saving time (either out-pointer may be NULL). Returns 0, or
 * DRILL_EINVAL when utc is outside [TZ_TIME_MIN, TZ_TIME_MAX].
 */
int tz_offset(const struct tz *tz, int64_t utc, int *offset_seconds, bool *dst) DRILL_WUR;

/* Local calendar time at instant utc. Returns 0 or DRILL_EINVAL (range). */
int tz_localtime(const struct tz *tz, int64_t utc, struct tz_local *out) DRILL_WUR;

/*
 * The instant at which the wall clock shows local (local seconds, see
 * above), by drilld's rules: the first one when it shows it more than once,
 * the end of the gap when it never does. *kind (may be NULL) says which case
 * applied. Returns 0, or DRILL_EINVAL when local is out of range.
 */
int tz_resolve(const struct tz *tz, int64_t local, int64_t *utc,
    enum tz_local_kind *kind) DRILL_WUR;

/*
 * Civil-date arithmetic on the proleptic Gregorian calendar (Howard
 * Hinnant's algorithms): days since 1970-01-01 of y-m-d, and back. m must be
 * 1-12; d is not range-checked (2026-02-31 is 2026-03-03). Valid for
 * |y| < 2^40.
 */
int64_t tz_days_from_civil(int64_t y, int m, int d);
void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* Day of week of a day number, 0 = Sunday (1970-01-01 was a Thursday: 4). */
int tz_weekday(int64_t days);

/* True for Gregorian leap years. */
bool tz_is_leap(int64_t y);

/* Days in month m (1-12) of year y; 0 when m is out of range. */
int tz_days_in_month(int64_t y, int m);

#endif
