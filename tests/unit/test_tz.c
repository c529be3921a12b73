/*
 * Tests for tz.c: civil dates, loading and name checks, offsets in real
 * zones (hard-coded values from zdump, and glibc's localtime_r in a child
 * process with TZ set as an independent oracle over 1900-2100 for every
 * zone of zone1970.tab), slim zic output against the installed fat files,
 * POSIX TZ rules, local -> UTC resolution across DST, and corrupt,
 * truncated and hostile TZif files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "drill/tz.h"

#define ZONEINFO "/usr/share/zoneinfo"

/* UTC instant of a civil UTC time. */
static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	return tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* Local seconds of a wall time. */
#define LOCAL utc

static struct tz *
load(const char *name)
{
	char err[DRILL_ERRLEN] = "";
	struct tz *tz = NULL;
	int rc = tz_load_at(ZONEINFO, name, &tz, err);

	if (rc != 0)
		fail_msg("tz_load_at(%s): %d %s", name, rc, err);
	assert_non_null(tz);
	return tz;
}

static int
off_at(const struct tz *tz, int64_t t, bool *dst)
{
	int off = -1;

	assert_int_equal(tz_offset(tz, t, &off, dst), 0);
	return off;
}

/* ---- civil dates ---- */

static void
test_civil(void **state)
{
	(void)state;
	assert_int_equal(tz_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(tz_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(tz_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(tz_days_from_civil(2026, 3, 29), 20541);
	assert_int_equal(tz_days_from_civil(1, 1, 1), -719162);
	assert_int_equal(tz_days_from_civil(2026, 2, 31), tz_days_from_civil(2026, 3, 3));
	assert_int_equal(tz_weekday(0), 4);			/* Thursday */
	assert_int_equal(tz_weekday(-1), 3);
	assert_int_equal(tz_weekday(tz_days_from_civil(2026, 3, 29)), 0);	/* Sunday */
	assert_int_equal(tz_weekday(tz_days_from_civil(1900, 1, 1)), 1);	/* Monday */
	assert_true(tz_is_leap(2000));
	assert_true(tz_is_leap(2024));
	assert_false(tz_is_leap(1900));
	assert_false(tz_is_leap(2100));
	assert_false(tz_is_leap(2026));
	assert_int_equal(tz_days_in_month(2024, 2), 29);
	assert_int_equal(tz_days_in_month(2100, 2), 28);
	assert_int_equal(tz_days_in_month(2026, 4), 30);
	assert_int_equal(tz_days_in_month(2026, 12), 31);
	assert_int_equal(tz_days_in_month(2026, 13), 0);
	assert_int_equal(tz_days_in_month(2026, 0), 0);
}

/* Round trips over ±3 million days, checked against timegm for a sample. */
static void
test_civil_roundtrip(void **state)
{
	int64_t prev_y = 0;
	int prev_m = 0, prev_d = 0;

	(void)state;
	for (int64_t z = -3000000; z <= 3000000; z++) {
		int64_t y;
		int m, d;

		tz_civil_from_days(z, &y, &m, &d);
		assert_true(m >= 1 && m <= 12);
		assert_true(d >= 1 && d <= tz_days_in_month(y, m));
		assert_int_equal(tz_days_from_civil(y, m, d), z);
		if (z > -3000000) {	/* consecutive days are consecutive dates */
			if (d == 1) {
				assert_int_equal(prev_d, tz_days_in_month(prev_y, prev_m));
				assert_int_equal(m == 1 ? prev_y + 1 : prev_y, y);
			} else {
				assert_int_equal(prev_d + 1, d);
				assert_int_equal(prev_m, m);
			}
		}
		prev_y = y;
		prev_m = m;
		prev_d = d;
		if (z % 997 == 0 && y >= 1 && y <= 9999) {
			struct tm tm;

			memset(&tm, 0, sizeof(tm));
			tm.tm_year = (int)y - 1900;
			tm.tm_mon = m - 1;
			tm.tm_mday = d;
			assert_int_equal((int64_t)timegm(&tm), z * 86400);
			assert_int_equal(tm.tm_wday, tz_weekday(z));
		}
	}
}

/* ---- loading ---- */

static void
test_load_names(void **state)
{
	static const char *const bad[] = {
		"", "/etc/passwd", "../etc/passwd", "Europe/../../etc/passwd", "..",
		"Europe/./Berlin", "Europe//Berlin", "Europe/Berlin/", "Europe/Ber lin",
		"Europe/Berlin\n", "a;b", "Europe\\Berlin", "Europe/Berlin.bak", "~root",
		"Europe/Berl\xc3\xadn", "$HOME"
	};
	char err[DRILL_ERRLEN], longname[TZ_NAME_MAX + 2];
	struct tz *tz = (struct tz *)&err;	/* must be reset to NULL */

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(tz_load_at(ZONEINFO, bad[i], &tz, err), DRILL_EINVAL);
		assert_null(tz);
		assert_non_null(strstr(err, "bad time zone name"));
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(tz_load_at(ZONEINFO, longname, &tz, err), DRILL_EINVAL);
	assert_int_equal(tz_load_at(ZONEINFO, "Nowhere/Land", &tz, err), DRILL_ENOTFOUND);
	assert_non_null(strstr(err, "unknown time zone"));
	assert_int_equal(tz_load_at(ZONEINFO, "Europe", &tz, err), DRILL_ENOTFOUND);
	assert_int_equal(tz_load_at(ZONEINFO, "Europe/Berlin/x", &tz, err), DRILL_ENOTFOUND);
	/* allowed characters */
	tz = load("Etc/GMT+5");
	assert_int_equal(off_at(tz, 0, NULL), -5 * 3600);
	tz_free(tz);
	tz = load("America/Port-au-Prince");
	tz_free(tz);
	tz = load("US/Eastern");		/* a symlink in tzdata */
	assert_string_equal(tz_name(tz), "US/Eastern");
	tz_free(tz);
	tz_free(NULL);
}

/* ---- offsets in real zones ---- */

struct known {
	const char *zone;
	int64_t t;
	int off;
	bool dst;
	const char *abbr;
};

static void
test_known_offsets(void **state)
{
	const struct known k[] = {
		/* Berlin: past, 2026 transitions to the second, far future (footer) */
		{"Europe/Berlin", utc(1990, 1, 1, 12, 0, 0), 3600, false, "CET"},
		{"Europe/Berlin", utc(1990, 7, 1, 12, 0, 0), 7200, true, "CEST"},
		{"Europe/Berlin", utc(2026, 1, 15, 12, 0, 0), 3600, false, "CET"},
		{"Europe/Berlin", utc(2026, 3, 29, 0, 59, 59), 3600, false, "CET"},
		{"Europe/Berlin", utc(2026, 3, 29, 1, 0, 0), 7200, true, "CEST"},
		{"Europe/Berlin", utc(2026, 10, 25, 0, 59, 59), 7200, true, "CEST"},
		{"Europe/Berlin", utc(2026, 10, 25, 1, 0, 0), 3600, false, "CET"},
		{"Europe/Berlin", utc(2060, 3, 28, 0, 59, 59), 3600, false, "CET"},
		{"Europe/Berlin", utc(2060, 3, 28, 1, 0, 0), 7200, true, "CEST"},
		{"Europe/Berlin", utc(2060, 10, 31, 0, 59, 59), 7200, true, "CEST"},
		{"Europe/Berlin", utc(2060, 10, 31, 1, 0, 0), 3600, false, "CET"},
		{"Europe/Berlin", utc(1945, 6, 1, 12, 0, 0), 10800, true, "CEMT"},
		/* New York */
		{"America/New_York", utc(1990, 7, 1, 0, 0, 0), -14400, true, "EDT"},
		{"America/New_York", utc(2026, 3, 8, 6, 59, 59), -18000, false, "EST"},
		{"America/New_York", utc(2026, 3, 8, 7, 0, 0), -14400, true, "EDT"},
		{"America/New_York", utc(2026, 11, 1, 5, 59, 59), -14400, true, "EDT"},
		{"America/New_York", utc(2026, 11, 1, 6, 0, 0), -18000, false, "EST"},
		{"America/New_York", utc(2060, 3, 14, 6, 59, 59), -18000, false, "EST"},
		{"America/New_York", utc(2060, 3, 14, 7, 0, 0), -14400, true, "EDT"},
		{"America/New_York", utc(2060, 11, 7, 6, 0, 0), -18000, false, "EST"},
		/* Kolkata: +05:30, no DST */
		{"Asia/Kolkata", utc(1990, 1, 1, 0, 0, 0), 19800, false, "IST"},
		{"Asia/Kolkata", utc(2026, 7, 1, 0, 0, 0), 19800, false, "IST"},
		{"Asia/Kolkata", utc(2060, 7, 1, 0, 0, 0), 19800, false, "IST"},
		/* Lord Howe: +10:30, 30-minute DST */
		{"Australia/Lord_Howe", utc(2026, 1, 15, 0, 0, 0), 39600, true, "+11"},
		{"Australia/Lord_Howe", utc(2026, 4, 4, 14, 59, 59), 39600, true, "+11"},
		{"Australia/Lord_Howe", utc(2026, 4, 4, 15, 0, 0), 37800, false, "+1030"},
		{"Australia/Lord_Howe", utc(2026, 10, 3, 15, 29, 59), 37800, false, "+1030"},
		{"Australia/Lord_Howe", utc(2026, 10, 3, 15, 30, 0), 39600, true, "+11"},
		{"Australia/Lord_Howe", utc(2060, 7, 1, 0, 0, 0), 37800, false, "+1030"},
		/* Chatham: +12:45 / +13:45 */
		{"Pacific/Chatham", utc(2026, 4, 4, 13, 59, 59), 49500, true, "+1345"},
		{"Pacific/Chatham", utc(2026, 4, 4, 14, 0, 0), 45900, false, "+1245"},
		{"Pacific/Chatham", utc(2026, 9, 26, 14, 0, 0), 49500, true, "+1345"},
		{"Pacific/Chatham", utc(2060, 9, 25, 13, 59, 59), 45900, false, "+1245"},
		{"Pacific/Chatham", utc(2060, 9, 25, 14, 0, 0), 49500, true, "+1345"},
		/* Sao Paulo: DST until 2019, none since */
		{"America/Sao_Paulo", utc(1990, 1, 1, 0, 0, 0), -7200, true, "-02"},
		{"America/Sao_Paulo", utc(2018, 11, 4, 2, 59, 59), -10800, false, "-03"},
		{"America/Sao_Paulo", utc(2018, 11, 4, 3, 0, 0), -7200, true, "-02"},
		{"America/Sao_Paulo", utc(2019, 2, 17, 2, 0, 0), -10800, false, "-03"},
		{"America/Sao_Paulo", utc(2019, 12, 1, 0, 0, 0), -10800, false, "-03"},
		{"America/Sao_Paulo", utc(2026, 1, 1, 0, 0, 0), -10800, false, "-03"},
		{"America/Sao_Paulo", utc(2060, 1, 1, 0, 0, 0), -10800, false, "-03"},
		/* version 3 footers: over 24 h and negative rule times */
		{"Asia/Jerusalem", utc(2026, 3, 26, 23, 59, 59), 7200, false, "IST"},
		{"Asia/Jerusalem", utc(2026, 3, 27, 0, 0, 0), 10800, true, "IDT"},
		{"Asia/Jerusalem", utc(2060, 3, 25, 23, 59, 59), 7200, false, "IST"},
		{"Asia/Jerusalem", utc(2060, 3, 26, 0, 0, 0), 10800, true, "IDT"},
		{"America/Nuuk", utc(2026, 3, 29, 0, 59, 59), -7200, false, "-02"},
		{"America/Nuuk", utc(2026, 3, 29, 1, 0, 0), -3600, true, "-01"},
		{"America/Nuuk", utc(2060, 3, 28, 1, 0, 0), -3600, true, "-01"},
		{"America/Nuuk", utc(2060, 10, 31, 0, 59, 59), -3600, true, "-01"},
		{"America/Nuuk", utc(2060, 10, 31, 1, 0, 0), -7200, false, "-02"},
		/* UTC */
		{"UTC", utc(1990, 1, 1, 0, 0, 0), 0, false, "UTC"},
		{"UTC", utc(2026, 6, 1, 0, 0, 0), 0, false, "UTC"},
		{"UTC", utc(2060, 6, 1, 0, 0, 0), 0, false, "UTC"},
		{"Etc/UTC", utc(2026, 6, 1, 0, 0, 0), 0, false, "UTC"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct tz *tz = load(k[i].zone);
		struct tz_local lt;
		bool dst = !k[i].dst;
		int off = off_at(tz, k[i].t, &dst);

		if (off != k[i].off || dst != k[i].dst)
			fail_msg("%s at %lld: got %d/%d, want %d/%d", k[i].zone,
			    (long long)k[i].t, off, dst, k[i].off, k[i].dst);
		assert_int_equal(tz_localtime(tz, k[i].t, &lt), 0);
		assert_string_equal(lt.abbr, k[i].abbr);
		assert_int_equal(lt.offset, k[i].off);
		tz_free(tz);
	}
}

static void
test_localtime(void **state)
{
	struct tz *tz = load("Europe/Berlin");
	struct tz_local lt;

	(void)state;
	assert_int_equal(tz_localtime(tz, utc(2026, 3, 27, 8, 30, 5), &lt), 0);
	assert_int_equal(lt.year, 2026);
	assert_int_equal(lt.month, 3);
	assert_int_equal(lt.day, 27);
	assert_int_equal(lt.hour, 9);
	assert_int_equal(lt.minute, 30);
	assert_int_equal(lt.second, 5);
	assert_int_equal(lt.wday, 5);		/* Friday */
	assert_int_equal(lt.yday, 85);
	assert_false(lt.dst);
	assert_string_equal(lt.abbr, "CET");
	/* 23:30Z on New Year's Eve is already next year in Berlin */
	assert_int_equal(tz_localtime(tz, utc(2026, 12, 31, 23, 30, 0), &lt), 0);
	assert_int_equal(lt.year, 2027);
	assert_int_equal(lt.yday, 0);
	assert_int_equal(lt.hour, 0);
	/* before 1970 */
	assert_int_equal(tz_localtime(tz, utc(1969, 12, 31, 23, 59, 59), &lt), 0);
	assert_int_equal(lt.year, 1970);
	assert_int_equal(lt.hour, 0);
	assert_int_equal(lt.second, 59);
	/* range */
	assert_int_equal(tz_localtime(tz, TZ_TIME_MAX + 1, &lt), DRILL_EINVAL);
	assert_int_equal(tz_offset(tz, TZ_TIME_MIN - 1, NULL, NULL), DRILL_EINVAL);
	assert_int_equal(tz_offset(tz, TZ_TIME_MAX, NULL, NULL), 0);
	assert_int_equal(tz_offset(tz, TZ_TIME_MIN, NULL, NULL), 0);
	assert_int_equal(tz_offset(tz, INT64_MAX, NULL, NULL), DRILL_EINVAL);
	assert_int_equal(tz_offset(tz, INT64_MIN, NULL, NULL), DRILL_EINVAL);
	assert_string_equal(tz_name(tz), "Europe/Berlin");
	tz_free(tz);
}

/* ---- glibc as an oracle, in a child process with TZ set ---- */

struct zstate {
	int off;
	bool dst;
};

static struct zstate
ours(const struct tz *tz, int64_t t)
{
	struct zstate s = {0, false};

	if (tz_offset(tz, t, &s.off, &s.dst) != 0)
		s.off = 999999;
	return s;
}

/* Compares one instant with localtime_r; prints and counts a mismatch. */
static int
oracle_one(const struct tz *tz, const char *label, int64_t t, bool abbrs)
{
	time_t tt = (time_t)t;
	struct tm tm;
	struct tz_local lt;

	if (localtime_r(&tt, &tm) == NULL || tz_localtime(tz, t, &lt) != 0)
		return 1;
	if (lt.offset != tm.tm_gmtoff || lt.dst != (tm.tm_isdst > 0) ||
	    (abbrs && strcmp(lt.abbr, tm.tm_zone) != 0) ||
	    lt.hour != tm.tm_hour || lt.day != tm.tm_mday || lt.wday != tm.tm_wday) {
		fprintf(stderr, "%s at %lld: ours %d dst=%d %s, glibc %ld dst=%d %s\n", label,
		    (long long)t, lt.offset, lt.dst, lt.abbr, (long)tm.tm_gmtoff, tm.tm_isdst,
		    tm.tm_zone);
		return 1;
	}
	return 0;
}

/*
 * Samples [from, to) every step seconds; where our state changes between
 * samples, bisects to our transition instant and checks the second before
 * and the second of it too. Returns the number of mismatches.
 */
static int
oracle_zone(const struct tz *tz, const char *label, int64_t from, int64_t to, int64_t step,
    bool abbrs)
{
	int bad = 0;
	int64_t prev = from;
	struct zstate ps = ours(tz, from);

	for (int64_t t = from; t < to && bad < 5; t += step) {
		struct zstate s = ours(tz, t);

		bad += oracle_one(tz, label, t, abbrs);
		if (s.off != ps.off || s.dst != ps.dst) {
			int64_t lo = prev, hi = t;

			while (hi - lo > 1) {
				int64_t mid = lo + (hi - lo) / 2;
				struct zstate ms = ours(tz, mid);

				if (ms.off == ps.off && ms.dst == ps.dst)
					lo = mid;
				else
					hi = mid;
			}
			bad += oracle_one(tz, label, hi - 1, abbrs);
			bad += oracle_one(tz, label, hi, abbrs);
		}
		prev = t;
		ps = s;
	}
	return bad;
}

/*
 * Runs oracle_zone for each zone of directory root in a child with
 * TZ=":root/zone", or for each POSIX TZ string with TZ=string (root NULL).
 */
static void
oracle_run(const char *root, const char *const *names, size_t n, int64_t from, int64_t to,
    int64_t step)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int bad = 0;

		unsetenv("TZDIR");
		for (size_t i = 0; i < n; i++) {
			char env[600], err[DRILL_ERRLEN];
			struct tz *tz = NULL;
			int rc = root == NULL ? tz_parse_posix(names[i], &tz, err) :
			    tz_load_at(root, names[i], &tz, err);

			if (rc == DRILL_ENOTFOUND && root != NULL && strcmp(root, ZONEINFO) != 0)
				continue;	/* a link zic did not make */
			if (rc != 0) {
				fprintf(stderr, "%s: %s\n", names[i], err);
				bad++;
				continue;
			}
			if (root == NULL)
				snprintf(env, sizeof(env), "%s", names[i]);
			else
				snprintf(env, sizeof(env), ":%s/%s", root, names[i]);
			setenv("TZ", env, 1);
			tzset();
			bad += oracle_zone(tz, names[i], from, to, step, true);
			tz_free(tz);
		}
		_exit(bad == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Zone names of zone1970.tab (plus a few), into a malloc'd array. */
static char **
zone_list(size_t *n)
{
	static const char *const extra[] = {"UTC", "EST5EDT", "CET", "Factory", "US/Eastern",
	    "Asia/Calcutta", "Etc/GMT-14"};
	FILE *f = fopen(ZONEINFO "/zone1970.tab", "r");
	char line[1024], **v = NULL;
	size_t cap = 0;

	*n = 0;
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[(*n)++] = strdup(extra[i]);
	}
	if (f == NULL)
		return v;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *a, *b;

		if (line[0] == '#')
			continue;
		a = strchr(line, '\t');
		a = a ? strchr(a + 1, '\t') : NULL;
		if (a == NULL)
			continue;
		a++;
		b = a + strcspn(a, "\t\n");
		*b = '\0';
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[(*n)++] = strdup(a);
	}
	fclose(f);
	return v;
}

static void
free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Every zone, 1900-2100, against glibc's own reading of the same files. */
static void
test_oracle_glibc_all_zones(void **state)
{
	size_t n;
	char **names = zone_list(&n);

	(void)state;
	assert_true(n > 300);
	oracle_run(ZONEINFO, (const char *const *)names, n, utc(1900, 1, 1, 0, 0, 0),
	    utc(2100, 1, 1, 0, 0, 0), 9 * 86400 + 3607);
	free_list(names, n);
}

/* POSIX TZ strings alone, including v3 rule times, against glibc. */
static void
test_oracle_glibc_posix(void **state)
{
	static const char *const specs[] = {
		"EST5EDT,M3.2.0,M11.1.0",
		"CET-1CEST,M3.5.0,M10.5.0/3",
		"IST-2IDT,M3.4.4/26,M10.5.0",		/* Jerusalem: 26:00 */
		"<-02>2<-01>,M3.5.0/-1,M10.5.0/0",	/* Nuuk: -1:00 */
		"XXX3YYY,J60/1,J300/1",			/* Jn: Feb 29 not counted */
		"XXX3YYY,59/1,299/1",			/* n: zero-based, Feb 29 counted */
		"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",	/* Lord Howe */
		"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",	/* Chatham */
		"NZST-12NZDT,M9.5.0,M4.1.0/3",
		"AAA3BBB,M3.5.0/-167,M10.5.0/167",	/* extremes of v3 */
		"<+0330>-3:30",
		"CET-1CEST,M3.5.0/2:30:15,M10.5.0/3",
		"AAA+3BBB+2:30,M2.5.0,M11.5.6/23:59:59",	/* last week of Feb */
	};

	(void)state;
	oracle_run(NULL, specs, sizeof(specs) / sizeof(specs[0]), utc(1970, 1, 1, 0, 0, 0),
	    utc(2100, 1, 1, 0, 0, 0), 3 * 86400 + 3613);
}

/* ---- slim TZif files from zic, against the installed fat ones ---- */

static bool
run_zic(const char *dir)
{
	pid_t pid;
	int status;

	if (access("/usr/sbin/zic", X_OK) != 0 || access(ZONEINFO "/tzdata.zi", R_OK) != 0)
		return false;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/usr/sbin/zic", "zic", "-b", "slim", "-d", dir, ZONEINFO "/tzdata.zi",
		    (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static char tmpdir[256];

static void
rm_rf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * Slim files stop at the last rule change and leave the rest to the footer
 * (Berlin: from 1996 on), so this checks our footer evaluation over decades
 * against glibc reading the same slim files.
 */
static void
test_oracle_glibc_slim(void **state)
{
	size_t n;
	char **names;
	char dir[300];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/slim", tmpdir);
	if (!run_zic(dir)) {
		skip();
		return;
	}
	names = zone_list(&n);
	oracle_run(dir, (const char *const *)names, n, utc(1900, 1, 1, 0, 0, 0),
	    utc(2100, 1, 1, 0, 0, 0), 9 * 86400 + 3607);
	free_list(names, n);
	rm_rf(dir);
}

/* ---- POSIX TZ strings ---- */

static struct tz *
posix(const char *spec)
{
	char err[DRILL_ERRLEN] = "";
	struct tz *tz = NULL;

	if (tz_parse_posix(spec, &tz, err) != 0)
		fail_msg("%s: %s", spec, err);
	return tz;
}

static void
test_posix_rules(void **state)
{
	static const char *const bad[] = {
		"", "E", "ES5", "EST", "EST5x", "EST+", "EST25", "EST5:60", "<EST5", "<E>5",
		"EST5EDT,", "EST5EDT,M3.2.0", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
		"EST5EDT,M3.2.7,M11.1.0", "EST5EDT,M0.1.0,M11.1.0", "EST5EDT,J0,J300",
		"EST5EDT,J366,J300", "EST5EDT,366,300", "EST5EDT,M3.2.0/168,M11.1.0",
		"EST5EDT,M3.2.0/-168,M11.1.0", "EST5EDT,M3.2.0,M11.1.0,", "EST5EDT,M3.2.0,M11.1.0x",
		"EST5EDT4x", "EST5ED", "EST5EDT,M3.2.0/2:99,M11.1.0", "12345",
		"EST5EDT,M3.2.0,M11.1.0/1234567890123",
	};
	char err[DRILL_ERRLEN];
	struct tz *tz;
	bool dst;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tz = (struct tz *)&err;
		err[0] = '\0';
		if (tz_parse_posix(bad[i], &tz, err) != DRILL_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_null(tz);
		assert_true(err[0] != '\0');
	}

	/* Jn never counts Feb 29: J60 is March 1 in every year */
	tz = posix("XXX0YYY,J60/0,J300/0");
	assert_int_equal(off_at(tz, utc(2024, 2, 29, 23, 59, 59), &dst), 0);
	assert_int_equal(off_at(tz, utc(2024, 3, 1, 0, 0, 0), &dst), 3600);
	assert_true(dst);
	assert_int_equal(off_at(tz, utc(2026, 2, 28, 23, 59, 59), NULL), 0);
	assert_int_equal(off_at(tz, utc(2026, 3, 1, 0, 0, 0), NULL), 3600);
	tz_free(tz);
	/* n is zero-based and counts Feb 29: 59 is Feb 29 in leap years */
	tz = posix("XXX0YYY,59/0,299/0");
	assert_int_equal(off_at(tz, utc(2024, 2, 28, 23, 59, 59), NULL), 0);
	assert_int_equal(off_at(tz, utc(2024, 2, 29, 0, 0, 0), NULL), 3600);
	assert_int_equal(off_at(tz, utc(2026, 2, 28, 23, 59, 59), NULL), 0);
	assert_int_equal(off_at(tz, utc(2026, 3, 1, 0, 0, 0), NULL), 3600);
	/* day 299: Oct 26 in leap years (Oct 27 otherwise), 00:00 in DST = 23:00Z */
	assert_int_equal(off_at(tz, utc(2024, 10, 25, 22, 59, 59), NULL), 3600);
	assert_int_equal(off_at(tz, utc(2024, 10, 25, 23, 0, 0), NULL), 0);
	tz_free(tz);
	/* M2.5.0: the last Sunday of February (Feb 2026 has exactly 4) */
	tz = posix("XXX0YYY,M2.5.0/0,M11.5.0/0");
	assert_int_equal(off_at(tz, utc(2026, 2, 21, 23, 59, 59), NULL), 0);
	assert_int_equal(off_at(tz, utc(2026, 2, 22, 0, 0, 0), NULL), 3600);
	assert_int_equal(off_at(tz, utc(2024, 2, 24, 23, 59, 59), NULL), 0);
	assert_int_equal(off_at(tz, utc(2024, 2, 25, 0, 0, 0), NULL), 3600);
	tz_free(tz);
	/* v3 over-24h and negative times reach into the next/previous day */
	tz = posix("XXX0YYY,M3.5.0/-167,M10.5.0/167");
	/* last Sunday of March 2026 is the 29th; -167h is Sunday the 22nd, 01:00 */
	assert_int_equal(off_at(tz, utc(2026, 3, 22, 0, 59, 59), NULL), 0);
	assert_int_equal(off_at(tz, utc(2026, 3, 22, 1, 0, 0), NULL), 3600);
	/* Oct 25 00:00 + 167 h = Oct 31 23:00 local DST = 22:00Z */
	assert_int_equal(off_at(tz, utc(2026, 10, 31, 21, 59, 59), NULL), 3600);
	assert_int_equal(off_at(tz, utc(2026, 10, 31, 22, 0, 0), NULL), 0);
	tz_free(tz);
	/* DST all year (RFC 8536 3.3.1): no seam at the new year */
	tz = posix("EST5EDT,0/0,J365/25");
	for (int64_t t = utc(2025, 12, 30, 0, 0, 0); t < utc(2026, 1, 3, 0, 0, 0); t += 60) {
		assert_int_equal(off_at(tz, t, &dst), -4 * 3600);
		assert_true(dst);
	}
	assert_int_equal(off_at(tz, utc(2026, 7, 1, 0, 0, 0), NULL), -4 * 3600);
	tz_free(tz);
	/* no DST, explicit DST offset, default rules */
	tz = posix("<+0530>-5:30");
	assert_int_equal(off_at(tz, 0, &dst), 19800);
	assert_false(dst);
	assert_string_equal(tz_name(tz), "<+0530>-5:30");
	tz_free(tz);
	tz = posix("AAA3BBB2:30");		/* DST offset given, rules default */
	assert_int_equal(off_at(tz, utc(2026, 1, 1, 0, 0, 0), NULL), -3 * 3600);
	assert_int_equal(off_at(tz, utc(2026, 7, 1, 0, 0, 0), NULL), -9000);
	tz_free(tz);
}

/* ---- local -> UTC ---- */

struct resolve_case {
	const char *zone;
	int64_t local;
	int64_t want;
	enum tz_local_kind kind;
};

static void
test_resolve_transitions(void **state)
{
	const struct resolve_case c[] = {
		/* Berlin spring forward 2026-03-29: 02:00-02:59 does not exist */
		{"Europe/Berlin", LOCAL(2026, 3, 29, 1, 59, 59), utc(2026, 3, 29, 0, 59, 59), TZ_LOCAL_UNIQUE},
		{"Europe/Berlin", LOCAL(2026, 3, 29, 2, 0, 0), utc(2026, 3, 29, 1, 0, 0), TZ_LOCAL_SKIPPED},
		{"Europe/Berlin", LOCAL(2026, 3, 29, 2, 30, 0), utc(2026, 3, 29, 1, 0, 0), TZ_LOCAL_SKIPPED},
		{"Europe/Berlin", LOCAL(2026, 3, 29, 2, 59, 59), utc(2026, 3, 29, 1, 0, 0), TZ_LOCAL_SKIPPED},
		{"Europe/Berlin", LOCAL(2026, 3, 29, 3, 0, 0), utc(2026, 3, 29, 1, 0, 0), TZ_LOCAL_UNIQUE},
		{"Europe/Berlin", LOCAL(2026, 3, 29, 9, 30, 0), utc(2026, 3, 29, 7, 30, 0), TZ_LOCAL_UNIQUE},
		/* Berlin fall back 2026-10-25: 02:00-02:59 happens twice */
		{"Europe/Berlin", LOCAL(2026, 10, 25, 1, 59, 59), utc(2026, 10, 24, 23, 59, 59), TZ_LOCAL_UNIQUE},
		{"Europe/Berlin", LOCAL(2026, 10, 25, 2, 0, 0), utc(2026, 10, 25, 0, 0, 0), TZ_LOCAL_REPEATED},
		{"Europe/Berlin", LOCAL(2026, 10, 25, 2, 30, 0), utc(2026, 10, 25, 0, 30, 0), TZ_LOCAL_REPEATED},
		{"Europe/Berlin", LOCAL(2026, 10, 25, 2, 59, 59), utc(2026, 10, 25, 0, 59, 59), TZ_LOCAL_REPEATED},
		{"Europe/Berlin", LOCAL(2026, 10, 25, 3, 0, 0), utc(2026, 10, 25, 2, 0, 0), TZ_LOCAL_UNIQUE},
		/* New York 2026-03-08 and 2026-11-01 */
		{"America/New_York", LOCAL(2026, 3, 8, 2, 30, 0), utc(2026, 3, 8, 7, 0, 0), TZ_LOCAL_SKIPPED},
		{"America/New_York", LOCAL(2026, 3, 8, 3, 0, 0), utc(2026, 3, 8, 7, 0, 0), TZ_LOCAL_UNIQUE},
		{"America/New_York", LOCAL(2026, 3, 8, 1, 59, 0), utc(2026, 3, 8, 6, 59, 0), TZ_LOCAL_UNIQUE},
		{"America/New_York", LOCAL(2026, 11, 1, 1, 0, 0), utc(2026, 11, 1, 5, 0, 0), TZ_LOCAL_REPEATED},
		{"America/New_York", LOCAL(2026, 11, 1, 1, 30, 0), utc(2026, 11, 1, 5, 30, 0), TZ_LOCAL_REPEATED},
		{"America/New_York", LOCAL(2026, 11, 1, 2, 0, 0), utc(2026, 11, 1, 7, 0, 0), TZ_LOCAL_UNIQUE},
		/* Lord Howe: half-hour shifts */
		{"Australia/Lord_Howe", LOCAL(2026, 4, 5, 1, 45, 0), utc(2026, 4, 4, 14, 45, 0), TZ_LOCAL_REPEATED},
		{"Australia/Lord_Howe", LOCAL(2026, 4, 5, 1, 29, 0), utc(2026, 4, 4, 14, 29, 0), TZ_LOCAL_UNIQUE},
		{"Australia/Lord_Howe", LOCAL(2026, 4, 5, 2, 0, 0), utc(2026, 4, 4, 15, 30, 0), TZ_LOCAL_UNIQUE},
		{"Australia/Lord_Howe", LOCAL(2026, 10, 4, 2, 15, 0), utc(2026, 10, 3, 15, 30, 0), TZ_LOCAL_SKIPPED},
		{"Australia/Lord_Howe", LOCAL(2026, 10, 4, 2, 30, 0), utc(2026, 10, 3, 15, 30, 0), TZ_LOCAL_UNIQUE},
		/* Chatham: the gap is 02:45-03:45 */
		{"Pacific/Chatham", LOCAL(2026, 9, 27, 3, 0, 0), utc(2026, 9, 26, 14, 0, 0), TZ_LOCAL_SKIPPED},
		{"Pacific/Chatham", LOCAL(2026, 4, 5, 3, 0, 0), utc(2026, 4, 4, 13, 15, 0), TZ_LOCAL_REPEATED},
		/* footer rules far ahead */
		{"Europe/Berlin", LOCAL(2060, 3, 28, 2, 30, 0), utc(2060, 3, 28, 1, 0, 0), TZ_LOCAL_SKIPPED},
		{"Europe/Berlin", LOCAL(2060, 10, 31, 2, 30, 0), utc(2060, 10, 31, 0, 30, 0), TZ_LOCAL_REPEATED},
		{"Asia/Jerusalem", LOCAL(2026, 3, 27, 2, 30, 0), utc(2026, 3, 27, 0, 0, 0), TZ_LOCAL_SKIPPED},
		/* Samoa skipped 2011-12-30 entirely */
		{"Pacific/Apia", LOCAL(2011, 12, 30, 12, 0, 0), utc(2011, 12, 30, 10, 0, 0), TZ_LOCAL_SKIPPED},
		{"Pacific/Apia", LOCAL(2011, 12, 31, 0, 0, 0), utc(2011, 12, 30, 10, 0, 0), TZ_LOCAL_UNIQUE},
		/* no DST at all */
		{"Asia/Kolkata", LOCAL(2026, 3, 29, 2, 30, 0), utc(2026, 3, 28, 21, 0, 0), TZ_LOCAL_UNIQUE},
		{"UTC", LOCAL(2026, 3, 29, 2, 30, 0), utc(2026, 3, 29, 2, 30, 0), TZ_LOCAL_UNIQUE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct tz *tz = load(c[i].zone);
		int64_t u = 0;
		enum tz_local_kind k = 99;

		assert_int_equal(tz_resolve(tz, c[i].local, &u, &k), 0);
		if (u != c[i].want || k != c[i].kind)
			fail_msg("case %zu %s: got %lld kind %d, want %lld kind %d", i, c[i].zone,
			    (long long)u, k, (long long)c[i].want, c[i].kind);
		assert_int_equal(tz_resolve(tz, c[i].local, &u, NULL), 0);
		tz_free(tz);
	}
}

/* Local clock reading at t. */
static int64_t
clock_at(const struct tz *tz, int64_t t)
{
	return t + ours(tz, t).off;
}

/*
 * For many wall times in many zones: a UNIQUE or REPEATED answer shows the
 * wall time and no earlier instant does; a SKIPPED answer is the first
 * instant whose clock is past the wall time; and the mapping never
 * decreases (cron_next relies on that).
 */
static void
test_resolve_properties(void **state)
{
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham",
		"America/Sao_Paulo", "Asia/Kolkata", "Pacific/Apia", "America/Nuuk",
		"Asia/Jerusalem", "Africa/Casablanca", "America/Santiago", "Asia/Tehran",
		"Antarctica/Troll", "Europe/Dublin", "Pacific/Kiritimati", "America/St_Johns",
	};

	(void)state;
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		struct tz *tz = load(zones[z]);
		int64_t prev_u = INT64_MIN;
		int64_t from = LOCAL(2009, 1, 1, 0, 0, 0), to = LOCAL(2030, 1, 1, 0, 0, 0);

		for (int64_t l = from; l < to; l += 900) {
			int64_t u, day = l - l % 86400;
			enum tz_local_kind k;

			/* every 15 minutes on days with a transition, one sample on others */
			if (ours(tz, day - 86400).off == ours(tz, day + 2 * 86400).off &&
			    l % 86400 != (day / 86400 * 3607) % 86400 / 900 * 900)
				continue;

			assert_int_equal(tz_resolve(tz, l, &u, &k), 0);
			if (k == TZ_LOCAL_SKIPPED) {
				assert_true(clock_at(tz, u) > l);
				assert_true(clock_at(tz, u - 1) < l);
			} else {
				assert_int_equal(clock_at(tz, u), l);
			}
			/* no earlier instant within a day shows l (offsets here differ by whole minutes) */
			for (int64_t t = u - 86400 - 3600; t < u; t += 3600) {
				int64_t c = l - ours(tz, t).off;

				if (c < u && clock_at(tz, c) == l)
					fail_msg("%s: %lld shows %lld before %lld", zones[z],
					    (long long)c, (long long)l, (long long)u);
			}
			if (k == TZ_LOCAL_REPEATED) {
				bool again = false;

				for (int64_t t = u + 1; t < u + 86400 && !again; t += 900)
					again = clock_at(tz, l - ours(tz, t).off) == l &&
					    l - ours(tz, t).off > u;
				assert_true(again);
			}
			assert_true(u >= prev_u);
			prev_u = u;
		}
		tz_free(tz);
	}
}

/* ---- TZif files made by hand ---- */

struct spec {
	char version;			/* 0 (v1), '2', '3', ... */
	char magic[5];
	size_t ntrans;
	int64_t trans[8];
	uint8_t idx[8];
	size_t ntypes;
	int32_t off[4];
	uint8_t isdst[4];
	uint8_t desig[4];
	const char *chars;
	size_t charcnt;
	uint32_t leapcnt;
	uint32_t isutcnt;
	const char *footer;		/* NULL: no footer written */
	bool footer_unterminated;
};

static size_t
put32(unsigned char *p, size_t n, uint32_t v)
{
	p[n] = (unsigned char)(v >> 24);
	p[n + 1] = (unsigned char)(v >> 16);
	p[n + 2] = (unsigned char)(v >> 8);
	p[n + 3] = (unsigned char)v;
	return n + 4;
}

static size_t
put_hdr(unsigned char *p, size_t n, const struct spec *s, uint32_t timecnt, uint32_t typecnt,
    uint32_t charcnt, uint32_t leapcnt, uint32_t isutcnt)
{
	memcpy(p + n, s->magic[0] ? s->magic : "TZif", 4);
	p[n + 4] = (unsigned char)s->version;
	memset(p + n + 5, 0, 15);
	n += 20;
	n = put32(p, n, isutcnt);
	n = put32(p, n, 0);
	n = put32(p, n, leapcnt);
	n = put32(p, n, timecnt);
	n = put32(p, n, typecnt);
	return put32(p, n, charcnt);
}

/* The data block of s with times of ts bytes. */
static size_t
put_block(unsigned char *p, size_t n, const struct spec *s, int ts)
{
	for (size_t i = 0; i < s->ntrans; i++) {
		if (ts == 8) {
			n = put32(p, n, (uint32_t)((uint64_t)s->trans[i] >> 32));
			n = put32(p, n, (uint32_t)s->trans[i]);
		} else {
			n = put32(p, n, (uint32_t)(int32_t)s->trans[i]);
		}
	}
	for (size_t i = 0; i < s->ntrans; i++)
		p[n++] = s->idx[i];
	for (size_t i = 0; i < s->ntypes; i++) {
		n = put32(p, n, (uint32_t)s->off[i]);
		p[n++] = s->isdst[i];
		p[n++] = s->desig[i];
	}
	memcpy(p + n, s->chars, s->charcnt);
	n += s->charcnt;
	for (uint32_t i = 0; i < s->leapcnt; i++) {
		memset(p + n, 0, (size_t)ts + 4);
		n += (size_t)ts + 4;
	}
	for (uint32_t i = 0; i < s->isutcnt; i++)
		p[n++] = 0;
	return n;
}

/* Builds the TZif file of s into p (4096 bytes); returns its length. */
static size_t
build(const struct spec *s, unsigned char *p)
{
	size_t n = 0;

	if (s->version == 0) {
		n = put_hdr(p, n, s, (uint32_t)s->ntrans, (uint32_t)s->ntypes,
		    (uint32_t)s->charcnt, s->leapcnt, s->isutcnt);
		return put_block(p, n, s, 4);
	}
	/* a minimal version 1 block, as zic -b slim writes */
	n = put_hdr(p, n, s, 0, 1, 1, 0, 0);
	memset(p + n, 0, 7);
	n += 7;
	n = put_hdr(p, n, s, (uint32_t)s->ntrans, (uint32_t)s->ntypes, (uint32_t)s->charcnt,
	    s->leapcnt, s->isutcnt);
	n = put_block(p, n, s, 8);
	if (s->footer != NULL) {
		p[n++] = '\n';
		memcpy(p + n, s->footer, strlen(s->footer));
		n += strlen(s->footer);
		if (!s->footer_unterminated)
			p[n++] = '\n';
	}
	return n;
}

/* A small Berlin-like zone: two transitions in 2020, then the EU rule. */
static struct spec
berlinish(void)
{
	struct spec s;

	memset(&s, 0, sizeof(s));
	s.version = '2';
	s.ntrans = 2;
	s.trans[0] = utc(2020, 3, 29, 1, 0, 0);
	s.trans[1] = utc(2020, 10, 25, 1, 0, 0);
	s.idx[0] = 1;
	s.idx[1] = 0;
	s.ntypes = 2;
	s.off[0] = 3600;
	s.off[1] = 7200;
	s.isdst[1] = 1;
	s.desig[0] = 0;
	s.desig[1] = 4;
	s.chars = "CET\0CEST";
	s.charcnt = 9;
	s.footer = "CET-1CEST,M3.5.0,M10.5.0/3";
	return s;
}

static int
parse_spec(const struct spec *s, struct tz **tz, char *err)
{
	unsigned char buf[4096];
	size_t n = build(s, buf);

	*tz = NULL;
	err[0] = '\0';
	return tz_parse("Test/Zone", buf, n, tz, err);
}

static void
test_handmade_valid(void **state)
{
	struct spec s = berlinish();
	char err[DRILL_ERRLEN];
	struct tz *tz;

	(void)state;
	assert_int_equal(parse_spec(&s, &tz, err), 0);
	assert_string_equal(tz_name(tz), "Test/Zone");
	/* before the first transition: type 0 */
	assert_int_equal(off_at(tz, utc(2019, 7, 1, 0, 0, 0), NULL), 3600);
	assert_int_equal(off_at(tz, utc(2020, 7, 1, 0, 0, 0), NULL), 7200);
	/* the footer takes over */
	assert_int_equal(off_at(tz, utc(2026, 3, 29, 0, 59, 59), NULL), 3600);
	assert_int_equal(off_at(tz, utc(2026, 3, 29, 1, 0, 0), NULL), 7200);
	assert_int_equal(off_at(tz, utc(2026, 10, 25, 1, 0, 0), NULL), 3600);
	tz_free(tz);

	/* version 3, empty footer: the last type lasts for ever */
	s.version = '3';
	s.footer = "";
	assert_int_equal(parse_spec(&s, &tz, err), 0);
	assert_int_equal(off_at(tz, utc(2026, 7, 1, 0, 0, 0), NULL), 3600);
	tz_free(tz);

	/* version 1: 32-bit data only, no footer */
	s = berlinish();
	s.version = 0;
	assert_int_equal(parse_spec(&s, &tz, err), 0);
	assert_int_equal(off_at(tz, utc(2020, 7, 1, 0, 0, 0), NULL), 7200);
	assert_int_equal(off_at(tz, utc(2026, 7, 1, 0, 0, 0), NULL), 3600);
	tz_free(tz);

	/* no transitions, footer only: the rule applies at all times */
	s = berlinish();
	s.ntrans = 0;
	assert_int_equal(parse_spec(&s, &tz, err), 0);
	assert_int_equal(off_at(tz, utc(1990, 7, 1, 0, 0, 0), NULL), 7200);
	assert_int_equal(off_at(tz, utc(2026, 1, 1, 0, 0, 0), NULL), 3600);
	tz_free(tz);

	/* indicator arrays present */
	s = berlinish();
	s.isutcnt = 2;
	assert_int_equal(parse_spec(&s, &tz, err), 0);
	tz_free(tz);
}

static void
test_handmade_corrupt(void **state)
{
	struct spec s;
	char err[DRILL_ERRLEN];
	struct tz *tz;

	(void)state;
#define CORRUPT(field_assign, needle)						\
	do {									\
		s = berlinish();						\
		field_assign;							\
		tz = (struct tz *)&s;						\
		if (parse_spec(&s, &tz, err) != DRILL_EINVAL)			\
			fail_msg("accepted: %s", #field_assign);		\
		assert_null(tz);						\
		if (strstr(err, needle) == NULL)				\
			fail_msg("%s: message \"%s\" lacks \"%s\"",		\
			    #field_assign, err, needle);			\
		assert_non_null(strstr(err, "Test/Zone"));			\
	} while (0)

	CORRUPT(memcpy(s.magic, "TZiX", 5), "bad magic");
	CORRUPT(s.version = '9', "unsupported TZif version");
	CORRUPT(s.version = 'x', "unsupported TZif version");
	CORRUPT((s.ntypes = 0, s.ntrans = 0), "type count");
	CORRUPT(s.trans[1] = s.trans[0], "not after");
	CORRUPT(s.trans[1] = s.trans[0] - 1, "not after");
	CORRUPT(s.idx[1] = 2, "bad type");
	CORRUPT(s.off[1] = 100000, "UT offset");
	CORRUPT(s.off[1] = INT32_MIN, "UT offset");
	CORRUPT(s.isdst[1] = 2, "DST flag");
	CORRUPT(s.desig[1] = 9, "designation");
	CORRUPT((s.chars = "CET\0CESTX", s.charcnt = 9, s.desig[1] = 4), "designation");
	CORRUPT((s.charcnt = 0, s.ntypes = 1, s.ntrans = 0), "designations");
	CORRUPT(s.leapcnt = 1, "leap seconds");
	CORRUPT(s.isutcnt = 1, "indicator counts");
	CORRUPT(s.footer = NULL, "no footer");
	CORRUPT(s.footer_unterminated = true, "footer");
	CORRUPT(s.footer = "CET-1CEST,M13.5.0,M10.5.0/3", "footer");
	CORRUPT(s.footer = "CET-1CEST,M3.5.0", "footer");
	CORRUPT(s.footer = "CET", "footer");
	CORRUPT(s.trans[0] = INT64_MIN, "out of range");
	CORRUPT(s.trans[1] = INT64_MAX, "out of range");
#undef CORRUPT
	/* a footer holding a NUL byte */
	{
		unsigned char buf[4096];
		size_t n;

		s = berlinish();
		s.footer = "CET-1CEST,M3.5.0,M10.5.0/3";
		n = build(&s, buf);
		buf[n - 5] = '\0';
		assert_int_equal(tz_parse("x", buf, n, &tz, err), DRILL_EINVAL);
		/* too big for tz_parse */
		assert_int_equal(tz_parse("x", buf, TZ_FILE_MAX + 1, &tz, err), DRILL_ETOOBIG);
	}
}

static unsigned char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = malloc(TZ_FILE_MAX);

	assert_non_null(f);
	assert_non_null(b);
	*n = fread(b, 1, TZ_FILE_MAX, f);
	fclose(f);
	return b;
}

/* Every truncation of real files and of a v1 file fails cleanly. */
static void
test_truncated(void **state)
{
	static const char *const files[] = {
		ZONEINFO "/Europe/Berlin", ZONEINFO "/America/New_York", ZONEINFO "/Etc/UTC",
		ZONEINFO "/Australia/Lord_Howe",
	};
	char err[DRILL_ERRLEN];
	struct tz *tz;

	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t n;
		unsigned char *b = slurp(files[f], &n);

		assert_int_equal(tz_parse("real", b, n, &tz, err), 0);
		tz_free(tz);
		for (size_t len = 0; len < n; len++) {
			/* a copy of exactly len bytes, so ASan sees any over-read */
			unsigned char *cut = malloc(len ? len : 1);

			memcpy(cut, b, len);
			err[0] = '\0';
			if (tz_parse("real", cut, len, &tz, err) != DRILL_EINVAL)
				fail_msg("%s cut at %zu accepted", files[f], len);
			assert_null(tz);
			assert_true(err[0] != '\0');
			free(cut);
		}
		free(b);
	}
	{
		struct spec s = berlinish();
		unsigned char buf[4096];
		size_t n;

		s.version = 0;
		n = build(&s, buf);
		for (size_t len = 0; len < n; len++)
			assert_int_equal(tz_parse("v1", buf, len, &tz, err), DRILL_EINVAL);
	}
}

/* Random byte damage: any answer but a crash; loaded zones answer queries. */
static void
test_mutations(void **state)
{
	size_t n;
	unsigned char *orig = slurp(ZONEINFO "/America/New_York", &n);
	unsigned char *b = malloc(n);
	uint64_t seed = 0x9e3779b97f4a7c15u;
	char err[DRILL_ERRLEN];
	int loaded = 0;

	(void)state;
	for (int round = 0; round < 1500; round++) {
		struct tz *tz = NULL;
		int flips;

		memcpy(b, orig, n);
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		flips = 1 + (int)((seed >> 60) & 3);
		for (int i = 0; i < flips; i++) {
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			/* mostly the headers and the footer, where the damage matters */
			size_t at = (size_t)(seed >> 33) % n;

			if (round % 3 == 0)
				at = (size_t)(seed >> 33) % 120;
			else if (round % 3 == 1)
				at = n - 1 - (size_t)(seed >> 33) % 40;
			b[at] = (unsigned char)(seed >> 20);
		}
		if (tz_parse("mutant", b, n, &tz, err) == 0) {
			int64_t u;

			loaded++;
			for (int64_t t = utc(1800, 1, 1, 0, 0, 0); t < utc(2200, 1, 1, 0, 0, 0);
			    t += 86400 * 397 + 3600)
				assert_int_equal(tz_resolve(tz, t, &u, NULL), 0);
			assert_int_equal(tz_offset(tz, TZ_TIME_MAX, NULL, NULL), 0);
			assert_int_equal(tz_resolve(tz, TZ_TIME_MIN, &u, NULL), 0);
			tz_free(tz);
		} else {
			assert_null(tz);
		}
	}
	assert_true(loaded > 0);
	free(b);
	free(orig);
}

/* ---- files through $TZDIR ---- */

static void
write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
test_tzdir(void **state)
{
	char path[512], err[DRILL_ERRLEN];
	unsigned char buf[4096];
	struct spec s = berlinish();
	struct tz *tz;
	size_t n = build(&s, buf);
	unsigned char *big;

	(void)state;
	snprintf(path, sizeof(path), "%s/Test", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/Test/Zone", tmpdir);
	write_file(path, buf, n);
	snprintf(path, sizeof(path), "%s/Test/Empty", tmpdir);
	write_file(path, buf, 0);
	snprintf(path, sizeof(path), "%s/Test/Cut", tmpdir);
	write_file(path, buf, n / 2);
	big = calloc(1, TZ_FILE_MAX + 1);
	memcpy(big, buf, n);
	snprintf(path, sizeof(path), "%s/Test/Big", tmpdir);
	write_file(path, big, TZ_FILE_MAX + 1);
	free(big);
	snprintf(path, sizeof(path), "%s/Test/Fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);

	assert_int_equal(setenv("TZDIR", tmpdir, 1), 0);
	assert_int_equal(tz_load("Test/Zone", &tz, err), 0);
	assert_int_equal(off_at(tz, utc(2026, 7, 1, 0, 0, 0), NULL), 7200);
	tz_free(tz);
	assert_int_equal(tz_load("Test/Empty", &tz, err), DRILL_EINVAL);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(tz_load("Test/Cut", &tz, err), DRILL_EINVAL);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(tz_load("Test/Big", &tz, err), DRILL_ETOOBIG);
	assert_int_equal(tz_load("Test/Fifo", &tz, err), DRILL_EINVAL);	/* and does not block */
	assert_int_equal(tz_load("Test", &tz, err), DRILL_ENOTFOUND);
	assert_int_equal(tz_load("Europe/Berlin", &tz, err), DRILL_ENOTFOUND);
	/* UTC is built in when the directory lacks it */
	assert_int_equal(tz_load("UTC", &tz, err), 0);
	assert_string_equal(tz_name(tz), "UTC");
	assert_int_equal(off_at(tz, utc(2026, 7, 1, 0, 0, 0), NULL), 0);
	{
		int64_t u;
		enum tz_local_kind k;
		struct tz_local lt;

		assert_int_equal(tz_resolve(tz, 12345, &u, &k), 0);
		assert_int_equal(u, 12345);
		assert_int_equal(k, TZ_LOCAL_UNIQUE);
		assert_int_equal(tz_localtime(tz, 0, &lt), 0);
		assert_string_equal(lt.abbr, "UTC");
	}
	tz_free(tz);
	/* an empty TZDIR means the default */
	assert_int_equal(setenv("TZDIR", "", 1), 0);
	assert_int_equal(tz_load("Europe/Berlin", &tz, err), 0);
	tz_free(tz);
	assert_int_equal(unsetenv("TZDIR"), 0);
	assert_int_equal(tz_load("Europe/Berlin", &tz, err), 0);
	tz_free(tz);
}

/* Loading a zone and resolving a far-future wall time is cheap. */
static void
test_load_speed(void **state)
{
	struct timespec a, b;
	double ms;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 200; i++) {
		struct tz *tz = load("Europe/Berlin");
		int64_t u;

		assert_int_equal(tz_resolve(tz, LOCAL(2070, 3, 30, 2, 30, 0), &u, NULL), 0);
		tz_free(tz);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	assert_true(ms < 2000);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/drill-test-tz-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rm_rf(tmpdir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_civil_roundtrip),
		cmocka_unit_test(test_load_names),
		cmocka_unit_test(test_known_offsets),
		cmocka_unit_test(test_localtime),
		cmocka_unit_test(test_oracle_glibc_all_zones),
		cmocka_unit_test(test_oracle_glibc_posix),
		cmocka_unit_test(test_oracle_glibc_slim),
		cmocka_unit_test(test_posix_rules),
		cmocka_unit_test(test_resolve_transitions),
		cmocka_unit_test(test_resolve_properties),
		cmocka_unit_test(test_handmade_valid),
		cmocka_unit_test(test_handmade_corrupt),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_tzdir),
		cmocka_unit_test(test_load_speed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
