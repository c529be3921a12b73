/*
 * cron.c - five-field cron expressions, the next fire instant in a zone's
 * wall time, and RFC 3339 UTC timestamps (the rules are in cron.h).
 *
 * cron_next walks local dates, not minutes: a date that the month, day and
 * skip-set checks rule out costs a few bit tests, so an impossible
 * expression gives up after CRON_HORIZON_DAYS in microseconds. On a matching
 * date it maps each matching wall-clock minute to one instant with
 * tz_resolve (first occurrence in a fold, end of the gap in a gap). That
 * mapping never decreases as the wall time increases, so the first minute of
 * the first date that lands after after_utc is the answer, and an hour whose
 * last matching minute lands at or before after_utc is skipped whole.
 *
 * It deliberately does not: support seconds, years, "L", "W", "#" or "?"
 * fields, or ranges that wrap around ("22-2"); or catch up on fires missed
 * while the daemon was down (the caller decides that).
 */
#include "drill/cron.h"

#include <string.h>

#include "drill/holiday.h"
#include "drill/tz.h"

struct field {
	const char *name;
	int min, max;			/* accepted values */
	const char *const *names;	/* names[i] is value min + i, or NULL */
};

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec", NULL
};
static const char *const wday_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const struct field fields[5] = {
	{"minute", 0, 59, NULL},
	{"hour", 0, 23, NULL},
	{"day-of-month", 1, 31, NULL},
	{"month", 1, 12, month_names},
	{"day-of-week", 0, 7, wday_names}
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * A value at s[*i..n): digits or a name of f. On error fills err and
 * returns false.
 */
static bool
parse_value(const struct field *f, const char *s, size_t n, size_t *i, int *out, char *err)
{
	size_t b = *i, e = *i;

	if (e < n && is_digit(s[e])) {
		long v = 0;

		while (e < n && is_digit(s[e])) {
			if (v < 1000000)
				v = v * 10 + (s[e] - '0');
			e++;
		}
		if (v < f->min || v > f->max) {
			drill_seterr(err, "%s: %.*s is out of range (%d-%d)", f->name,
			    (int)(e - b), s + b, f->min, f->max);
			return false;
		}
		*i = e;
		*out = (int)v;
		return true;
	}
	while (e < n && is_alpha(s[e]))
		e++;
	if (e > b && f->names != NULL) {
		for (int k = 0; f->names[k] != NULL; k++) {
			const char *nm = f->names[k];
			size_t len = strlen(nm), j;

			if (len != e - b)
				continue;
			for (j = 0; j < len && lower(s[b + j]) == nm[j]; j++)
				;
			if (j == len) {
				*i = e;
				*out = f->min + k;
				return true;
			}
		}
		drill_seterr(err, "%s: unknown name \"%.*s\" (expected %s)", f->name,
		    (int)(e - b), s + b, f->names == month_names ? "jan-dec" : "sun-sat");
		return false;
	}
	if (e == b)
		e = b < n ? b + 1 : b;
	if (f->names != NULL)
		drill_seterr(err, "%s: \"%.*s\" is not a number or a name", f->name,
		    (int)(e - b), s + b);
	else
		drill_seterr(err, "%s: \"%.*s\" is not a number", f->name, (int)(e - b), s + b);
	return false;
}

/*
 * One field s[0..n) into a bit set (bit v for value v; for day-of-week, 7 is
 * folded onto 0).
 */
static bool
parse_field(const struct field *f, const char *s, size_t n, uint64_t *bits, bool *star,
    char *err)
{
	size_t i = 0;

	*bits = 0;
	*star = n > 0 && s[0] == '*';
	for (;;) {
		int lo, hi, step = 1;
		bool ranged;

		if (i >= n || s[i] == ',') {
			drill_seterr(err, "%s: empty list item", f->name);
			return false;
		}
		if (s[i] == '*') {
			lo = f->min;
			hi = f->max;
			ranged = true;
			i++;
		} else {
			if (!parse_value(f, s, n, &i, &lo, err))
				return false;
			hi = lo;
			ranged = false;
			if (i < n && s[i] == '-') {
				i++;
				if (!parse_value(f, s, n, &i, &hi, err))
					return false;
				ranged = true;
				if (f->max == 7 && hi == 0 && lo > 0)
					hi = 7;		/* "fri-sun" */
				if (hi < lo) {
					drill_seterr(err, "%s: range %d-%d is backwards", f->name, lo, hi);
					return false;
				}
			}
		}
		if (i < n && s[i] == '/') {
			size_t b = ++i;
			long v = 0;

			while (i < n && is_digit(s[i])) {
				if (v < 1000000)
					v = v * 10 + (s[i] - '0');
				i++;
			}
			if (i == b) {
				drill_seterr(err, "%s: a step needs a number after '/'", f->name);
				return false;
			}
			if (v == 0 || v > f->max) {
				drill_seterr(err, "%s: step %.*s is out of range (1-%d)", f->name,
				    (int)(i - b), s + b, f->max);
				return false;
			}
			step = (int)v;
			if (!ranged)
				hi = f->max;	/* "5/15" = "5-max/15" */
		}
		if (i < n && s[i] != ',') {
			drill_seterr(err, "%s: unexpected \"%c\" in \"%.*s\"", f->name, s[i],
			    (int)n, s);
			return false;
		}
		for (int v = lo; v <= hi; v += step)
			*bits |= UINT64_C(1) << (f->max == 7 && v == 7 ? 0 : v);
		if (i >= n)
			return true;
		i++;			/* ',' */
	}
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool
streq_nocase(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (lower(*a) != lower(*b))
			return false;
	return *a == *b;
}

int
cron_parse(const char *expr, struct cron *out, char err[DRILL_ERRLEN])
{
	static const struct {
		const char *name, *expr;
	} macros[] = {
		{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"},
		{"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
		{"@daily", "0 0 * * *"}, {"@midnight", "0 0 * * *"},
		{"@hourly", "0 * * * *"}
	};
	const char *fb[5];
	size_t fl[5], nf = 0, n, i = 0;
	struct cron c;
	uint64_t bits;
	bool star;

	memset(out, 0, sizeof(*out));
	n = strlen(expr);
	if (n > CRON_EXPR_MAX) {
		drill_seterr(err, "cron expression is over %d bytes", CRON_EXPR_MAX);
		return DRILL_EINVAL;
	}
	while (n > 0 && is_space(expr[n - 1]))
		n--;
	while (i < n && is_space(expr[i]))
		i++;
	if (i < n && expr[i] == '@') {
		char word[16];
		size_t len = n - i;

		if (len < sizeof(word)) {
			memcpy(word, expr + i, len);
			word[len] = '\0';
			for (size_t k = 0; k < sizeof(macros) / sizeof(macros[0]); k++)
				if (streq_nocase(word, macros[k].name))
					return cron_parse(macros[k].expr, out, err);
		}
		drill_seterr(err, "unknown cron macro \"%.*s\" (expected @yearly, @monthly, "
		    "@weekly, @daily or @hourly)", (int)(len < 32 ? len : 32), expr + i);
		return DRILL_EINVAL;
	}
	while (i < n) {
		size_t b = i;

		while (i < n && !is_space(expr[i]))
			i++;
		if (nf < 5) {
			fb[nf] = expr + b;
			fl[nf] = i - b;
		}
		nf++;
		while (i < n && is_space(expr[i]))
			i++;
	}
	if (nf != 5) {
		drill_seterr(err, "expected 5 fields (minute hour day-of-month month "
		    "day-of-week), got %zu", nf);
		return DRILL_EINVAL;
	}
	memset(&c, 0, sizeof(c));
	for (size_t k = 0; k < 5; k++) {
		if (!parse_field(&fields[k], fb[k], fl[k], &bits, &star, err))
			return DRILL_EINVAL;
		switch (k) {
		case 0: c.minutes = bits; break;
		case 1: c.hours = (uint32_t)bits; break;
		case 2: c.mdays = (uint32_t)bits; c.mday_star = star; break;
		case 3: c.months = (uint16_t)bits; break;
		default: c.wdays = (uint8_t)bits; c.wday_star = star; break;
		}
	}
	*out = c;
	return 0;
}

static bool
day_matches(const struct cron *c, int m, int d, int wday)
{
	bool dom, dow;

	if (!(c->months & (1u << m)))
		return false;
	dom = (c->mdays >> d) & 1;
	dow = (c->wdays >> wday) & 1;
	if (c->mday_star || c->wday_star)
		return dom && dow;
	return dom || dow;
}

bool
cron_day_matches(const struct cron *c, int64_t y, int m, int d)
{
	if (m < 1 || m > 12 || d < 1 || d > tz_days_in_month(y, m))
		return false;
	return day_matches(c, m, d, tz_weekday(tz_days_from_civil(y, m, d)));
}

/* Wall time local -> instant, by tz_resolve's rules (UTC when tz is NULL). */
static int
resolve(const struct tz *tz, int64_t local, int64_t *utc)
{
	if (tz == NULL) {
		*utc = local;
		return 0;
	}
	return tz_resolve(tz, local, utc, NULL);
}

int
cron_next(const struct cron *c, const struct tz *tz, const struct holiday_set *skip,
    int64_t after_utc, int64_t *next_utc)
{
	int64_t day, first, y;
	int off = 0, m, d, last_min = -1, rc;

	if (after_utc < TZ_TIME_MIN + 2 * 86400 ||
	    after_utc > TZ_TIME_MAX - (int64_t)(CRON_HORIZON_DAYS + 2) * 86400)
		return DRILL_EINVAL;
	if (c->minutes == 0 || c->hours == 0)
		return DRILL_ENOTFOUND;
	for (int k = 59; k >= 0; k--) {
		if ((c->minutes >> k) & 1) {
			last_min = k;
			break;
		}
	}
	if (tz != NULL && (rc = tz_offset(tz, after_utc, &off, NULL)) != 0)
		return rc;
	/* from the day before the local date of after_utc: cheap, and safe */
	day = after_utc + off;
	day = (day >= 0 ? day : day - 86399) / 86400;
	first = day - 1;
	for (day = first; day <= first + CRON_HORIZON_DAYS; day++) {
		tz_civil_from_days(day, &y, &m, &d);
		if (!day_matches(c, m, d, tz_weekday(day)))
			continue;
		if (skip != NULL && holiday_contains(skip, y, m, d))
			continue;
		for (int h = 0; h < 24; h++) {
			int64_t base = day * 86400 + h * 3600, u;

			if (!((c->hours >> h) & 1))
				continue;
			if ((rc = resolve(tz, base + last_min * 60, &u)) != 0)
				return rc;
			if (u <= after_utc)
				continue;
			for (int mi = 0; mi <= last_min; mi++) {
				if (!((c->minutes >> mi) & 1))
					continue;
				if ((rc = resolve(tz, base + mi * 60, &u)) != 0)
					return rc;
				if (u > after_utc) {
					*next_utc = u;
					return 0;
				}
			}
		}
	}
	return DRILL_ENOTFOUND;
}

/* v (0 <= v < 10^n) as n decimal digits, zero-padded. */
static void
put_digits(char *p, int v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

int
cron_format_utc(int64_t t, char buf[CRON_RFC3339_LEN])
{
	int64_t days, secs, y;
	int m, d;

	buf[0] = '\0';
	days = (t >= 0 ? t : t - 86399) / 86400;
	secs = t - days * 86400;
	tz_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return DRILL_EINVAL;
	put_digits(buf, (int)y, 4);
	buf[4] = '-';
	put_digits(buf + 5, m, 2);
	buf[7] = '-';
	put_digits(buf + 8, d, 2);
	buf[10] = 'T';
	put_digits(buf + 11, (int)(secs / 3600), 2);
	buf[13] = ':';
	put_digits(buf + 14, (int)(secs / 60 % 60), 2);
	buf[16] = ':';
	put_digits(buf + 17, (int)(secs % 60), 2);
	buf[19] = 'Z';
	buf[20] = '\0';
	return 0;
}

/* Exactly n digits at s into *v. */
static bool
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

int
cron_parse_rfc3339(const char *s, int64_t *out, char err[DRILL_ERRLEN])
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p;

	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !digits(s + 17, 2, &sec))
		goto syntax;
	p = s + 19;
	if (*p == '.') {
		if (!is_digit(*++p))
			goto syntax;
		while (is_digit(*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om))
			goto syntax;
		p += 6;
	} else {
		goto syntax;
	}
	if (*p != '\0')
		goto syntax;
	if (mo < 1 || mo > 12 || d < 1 || d > tz_days_in_month(y, mo)) {
		drill_seterr(err, "\"%.40s\": no such date", s);
		return DRILL_EINVAL;
	}
	if (h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59) {
		drill_seterr(err, "\"%.40s\": time or offset out of range", s);
		return DRILL_EINVAL;
	}
	if (sec == 60)
		sec = 59;		/* POSIX time has no leap seconds */
	*out = tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    (int64_t)sign * (oh * 3600 + om * 60);
	return 0;
syntax:
	drill_seterr(err, "\"%.40s\" is not an RFC 3339 time "
	    "(expected e.g. 2026-03-27T08:30:00Z or 2026-03-27T09:30:00+01:00)", s);
	return DRILL_EINVAL;
}
