/*
 * holiday.c - skip-date sets: "YYYY-MM-DD" strings and all-day events of
 * iCalendar files (the accepted subset is in holiday.h).
 *
 * A set holds single days (day numbers, sorted, unique) and yearly rules (a
 * month and day, the years it recurs in, and how many days each occurrence
 * covers). holiday_contains is a binary search plus a look at each rule for
 * the occurrences of this year and the year before (an occurrence is at
 * most 366 days long, so no earlier one can reach the date).
 *
 * The .ics reader is a line-at-a-time state machine over unfolded content
 * lines. It fills a scratch set and merges it only when the whole file has
 * been read, so a bad file leaves the set as it was. It deliberately does
 * not: interpret time zones (a date-time DTSTART means the event is not an
 * all-day holiday and it is ignored), expand rules other than yearly ones,
 * or decode property values beyond the few properties it needs.
 */
#include "drill/holiday.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drill/tz.h"

#define DEPTH_MAX 8			/* nesting of BEGIN/END components */
#define COUNT_MAX 10000			/* RRULE COUNT */
#define INTERVAL_MAX 1000		/* RRULE INTERVAL */
#define YEAR_MAX 9999

struct yearly {
	int64_t y0;			/* year of the first occurrence (DTSTART's) */
	int month, day;
	int span;			/* days each occurrence covers, 1-366 */
	int interval;			/* every interval-th year */
	int64_t until;			/* last day an occurrence may start on */
	int64_t *ex;			/* EXDATE start days, not sorted */
	size_t nex;
};

struct holiday_set {
	int64_t *days;			/* sorted, unique */
	size_t ndays;
	struct yearly *rules;
	size_t nrules;
};

int
holiday_new(struct holiday_set **out)
{
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? DRILL_ENOMEM : 0;
}

static void
set_clear(struct holiday_set *set)
{
	for (size_t i = 0; i < set->nrules; i++)
		free(set->rules[i].ex);
	free(set->rules);
	free(set->days);
	memset(set, 0, sizeof(*set));
}

void
holiday_free(struct holiday_set *set)
{
	if (set == NULL)
		return;
	set_clear(set);
	free(set);
}

size_t
holiday_count(const struct holiday_set *set)
{
	return set->ndays + set->nrules;
}

static bool
valid_date(int64_t y, int m, int d)
{
	return y >= 1 && y <= YEAR_MAX && m >= 1 && m <= 12 && d >= 1 &&
	    d <= tz_days_in_month(y, m);
}

static bool
find_day(const int64_t *days, size_t n, int64_t day)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (days[mid] == day)
			return true;
		if (days[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool
rule_covers(const struct yearly *r, int64_t y, int64_t day)
{
	for (int64_t yo = y - 1; yo <= y; yo++) {
		int64_t sd;
		bool excluded = false;

		if (yo < r->y0 || (yo - r->y0) % r->interval != 0 ||
		    r->day > tz_days_in_month(yo, r->month))
			continue;
		sd = tz_days_from_civil(yo, r->month, r->day);
		if (sd > r->until || day < sd || day >= sd + r->span)
			continue;
		for (size_t i = 0; i < r->nex && !excluded; i++)
			excluded = r->ex[i] == sd;
		if (!excluded)
			return true;
	}
	return false;
}

bool
holiday_contains(const struct holiday_set *set, int64_t year, int month, int day)
{
	int64_t dn;

	if (set == NULL || !valid_date(year, month, day))
		return false;
	dn = tz_days_from_civil(year, month, day);
	if (find_day(set->days, set->ndays, dn))
		return true;
	for (size_t i = 0; i < set->nrules; i++)
		if (rule_covers(&set->rules[i], year, dn))
			return true;
	return false;
}

static int
cmp_day(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Adds days[0..n) and takes rules[0..nrules) (their ex arrays included)
 * into set; on failure set is unchanged and the caller still owns all.
 */
static int
merge(struct holiday_set *set, const int64_t *days, size_t n,
    struct yearly *rules, size_t nrules)
{
	int64_t *all;
	struct yearly *nr = NULL;
	size_t total = set->ndays + n, k = 0;

	if (set->nrules + nrules > HOLIDAY_RULES_MAX)
		return DRILL_ETOOBIG;
	if (total > 2 * (size_t)HOLIDAY_DAYS_MAX)
		return DRILL_ETOOBIG;
	all = malloc((total > 0 ? total : 1) * sizeof(*all));
	if (all == NULL)
		return DRILL_ENOMEM;
	if (set->ndays > 0)
		memcpy(all, set->days, set->ndays * sizeof(*all));
	if (n > 0)
		memcpy(all + set->ndays, days, n * sizeof(*all));
	qsort(all, total, sizeof(*all), cmp_day);
	for (size_t i = 0; i < total; i++)
		if (k == 0 || all[k - 1] != all[i])
			all[k++] = all[i];
	if (k > HOLIDAY_DAYS_MAX) {
		free(all);
		return DRILL_ETOOBIG;
	}
	if (nrules > 0) {
		nr = realloc(set->rules, (set->nrules + nrules) * sizeof(*nr));
		if (nr == NULL) {
			free(all);
			return DRILL_ENOMEM;
		}
		memcpy(nr + set->nrules, rules, nrules * sizeof(*nr));
		set->rules = nr;
		set->nrules += nrules;
	}
	free(set->days);
	set->days = all;
	set->ndays = k;
	return 0;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n digits at s (s must hold them or a NUL earlier). */
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
holiday_add_date(struct holiday_set *set, const char *date, char err[DRILL_ERRLEN])
{
	int y, m, d, rc;
	int64_t dn;

	if (!digits(date, 4, &y) || date[4] != '-' || !digits(date + 5, 2, &m) ||
	    date[7] != '-' || !digits(date + 8, 2, &d) || date[10] != '\0' ||
	    !valid_date(y, m, d)) {
		drill_seterr(err, "holiday \"%.40s\" is not a date written YYYY-MM-DD", date);
		return DRILL_EINVAL;
	}
	dn = tz_days_from_civil(y, m, d);
	rc = merge(set, &dn, 1, NULL, 0);
	if (rc == DRILL_ETOOBIG)
		drill_seterr(err, "too many holidays (over %d days)", HOLIDAY_DAYS_MAX);
	else if (rc != 0)
		drill_seterr(err, "out of memory");
	return rc;
}

/* ---- iCalendar ---- */

/* A content line: NAME;PARAM=...:VALUE, pointing into the line buffer. */
struct cline {
	char name[32];			/* upper-cased; "" when too long (unknown) */
	char value_type[16];		/* VALUE= parameter, upper-cased, or "" */
	const char *value;
};

struct event {
	size_t line;			/* BEGIN:VEVENT */
	bool has_start, start_is_date;
	int64_t start;
	bool has_end, end_is_date;
	int64_t end;
	size_t end_line;
	bool has_dur, dur_ok;
	int64_t dur;
	size_t dur_line;
	bool cancelled;
	char *rrule;
	size_t rrule_line;
	int64_t *ex;
	size_t nex;
};

struct ics {
	const char *label;
	char *err;
	/* scratch results */
	int64_t *days;
	size_t ndays, dcap;
	struct yearly *rules;
	size_t nrules, rcap;
	/* components */
	char stack[DEPTH_MAX][32];
	size_t stack_line[DEPTH_MAX];
	size_t depth;
	bool in_event;
	struct event ev;
};

static int
ics_err(struct ics *x, size_t line, int rc, const char *fmt, ...) DRILL_PRINTF(4, 5);

static int
ics_err(struct ics *x, size_t line, int rc, const char *fmt, ...)
{
	char msg[DRILL_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	drill_seterr(x->err, "%s:%zu: %s", x->label, line, msg);
	return rc;
}

static int
upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c;
}

static bool
name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '-';
}

/* Splits a content line; false when it is not one. */
static bool
split_line(const char *s, struct cline *cl)
{
	size_t n = 0;
	const char *p = s;

	cl->name[0] = '\0';
	cl->value_type[0] = '\0';
	while (name_char(*p)) {
		if (n + 1 < sizeof(cl->name))
			cl->name[n] = (char)upper(*p);
		n++;
		p++;
	}
	if (n == 0)
		return false;
	cl->name[n < sizeof(cl->name) ? n : 0] = '\0';
	while (*p == ';') {
		char pname[16];
		size_t pn = 0;
		bool is_value;

		p++;
		while (name_char(*p)) {
			if (pn + 1 < sizeof(pname))
				pname[pn] = (char)upper(*p);
			pn++;
			p++;
		}
		if (pn == 0 || *p != '=')
			return false;
		pname[pn < sizeof(pname) ? pn : 0] = '\0';
		is_value = strcmp(pname, "VALUE") == 0;
		p++;
		for (;;) {		/* param-value *("," param-value) */
			const char *b = p;

			if (*p == '"') {
				p = strchr(p + 1, '"');
				if (p == NULL)
					return false;
				p++;
			} else {
				while (*p != '\0' && *p != ',' && *p != ';' && *p != ':' && *p != '"')
					p++;
			}
			if (is_value && cl->value_type[0] == '\0') {
				size_t k, len = (size_t)(p - b);

				if (len >= sizeof(cl->value_type))
					len = sizeof(cl->value_type) - 1;
				for (k = 0; k < len; k++)
					cl->value_type[k] = (char)upper(b[k]);
				cl->value_type[k] = '\0';
			}
			if (*p != ',')
				break;
			p++;
		}
	}
	if (*p != ':')
		return false;
	cl->value = p + 1;
	return true;
}

/*
 * A DATE (YYYYMMDD) or DATE-TIME (YYYYMMDDTHHMMSS[Z]) of at most n bytes at
 * s: its date's day number and whether it was a plain date.
 */
static bool
parse_date(const char *s, size_t n, int64_t *day, bool *is_date)
{
	int y, m, d, hh;

	if (n < 8 || !digits(s, 4, &y) || !digits(s + 4, 2, &m) || !digits(s + 6, 2, &d) ||
	    !valid_date(y, m, d))
		return false;
	*day = tz_days_from_civil(y, m, d);
	if (n == 8) {
		*is_date = true;
		return true;
	}
	if (s[8] != 'T' || (n != 15 && n != 16) || !digits(s + 9, 6, &hh) ||
	    (n == 16 && s[15] != 'Z'))
		return false;
	*is_date = false;
	return true;
}

static int
add_day(struct ics *x, int64_t day, size_t line)
{
	if (x->ndays == x->dcap) {
		size_t cap = x->dcap ? x->dcap * 2 : 64;
		int64_t *nd;

		if (x->ndays >= HOLIDAY_DAYS_MAX)
			return ics_err(x, line, DRILL_ETOOBIG, "too many holidays (over %d days)",
			    HOLIDAY_DAYS_MAX);
		nd = realloc(x->days, cap * sizeof(*nd));
		if (nd == NULL)
			return ics_err(x, line, DRILL_ENOMEM, "out of memory");
		x->days = nd;
		x->dcap = cap;
	}
	x->days[x->ndays++] = day;
	return 0;
}

static bool
ex_has(const struct event *ev, int64_t day)
{
	for (size_t i = 0; i < ev->nex; i++)
		if (ev->ex[i] == day)
			return true;
	return false;
}

/* Parses a positive decimal of at most 9 digits filling [b, e). */
static bool
parse_uint(const char *b, const char *e, long *v)
{
	*v = 0;
	if (b == e || e - b > 9)
		return false;
	for (; b < e; b++) {
		if (!is_digit(*b))
			return false;
		*v = *v * 10 + (*b - '0');
	}
	return true;
}

static bool
part_is(const char *b, size_t n, const char *name)
{
	size_t k;

	if (strlen(name) != n)
		return false;
	for (k = 0; k < n && upper(b[k]) == name[k]; k++)
		;
	return k == n;
}

/* The event's RRULE into r (y/m/d are DTSTART's). */
static int
parse_rrule(struct ics *x, const struct event *ev, int64_t y, int m, int d, struct yearly *r)
{
	const char *p = ev->rrule;
	bool freq = false;
	long count = 0;

	r->y0 = y;
	r->month = m;
	r->day = d;
	r->interval = 1;
	r->until = INT64_MAX;
	while (*p != '\0') {
		const char *b = p, *eq, *e;
		long v;

		e = strchr(p, ';');
		if (e == NULL)
			e = p + strlen(p);
		eq = memchr(b, '=', (size_t)(e - b));
		p = *e == ';' ? e + 1 : e;
		if (eq == NULL)
			return ics_err(x, ev->rrule_line, DRILL_EINVAL, "RRULE part \"%.*s\" has no '='",
			    (int)(e - b < 40 ? e - b : 40), b);
		if (part_is(b, (size_t)(eq - b), "FREQ")) {
			if (!part_is(eq + 1, (size_t)(e - eq - 1), "YEARLY"))
				return ics_err(x, ev->rrule_line, DRILL_EINVAL,
				    "only RRULE:FREQ=YEARLY is supported, not \"%.*s\"",
				    (int)(e - b < 40 ? e - b : 40), b);
			freq = true;
		} else if (part_is(b, (size_t)(eq - b), "INTERVAL")) {
			if (!parse_uint(eq + 1, e, &v) || v < 1 || v > INTERVAL_MAX)
				return ics_err(x, ev->rrule_line, DRILL_EINVAL, "bad RRULE INTERVAL");
			r->interval = (int)v;
		} else if (part_is(b, (size_t)(eq - b), "COUNT")) {
			if (!parse_uint(eq + 1, e, &v) || v < 1 || v > COUNT_MAX)
				return ics_err(x, ev->rrule_line, DRILL_EINVAL, "bad RRULE COUNT");
			count = v;
		} else if (part_is(b, (size_t)(eq - b), "UNTIL")) {
			bool is_date;

			if (!parse_date(eq + 1, (size_t)(e - eq - 1), &r->until, &is_date))
				return ics_err(x, ev->rrule_line, DRILL_EINVAL, "bad RRULE UNTIL");
		} else if (part_is(b, (size_t)(eq - b), "BYMONTH")) {
			if (!parse_uint(eq + 1, e, &v) || v != m)
				return ics_err(x, ev->rrule_line, DRILL_EINVAL,
				    "RRULE BYMONTH must be DTSTART's month (other rules are not supported)");
		} else if (part_is(b, (size_t)(eq - b), "BYMONTHDAY")) {
			if (!parse_uint(eq + 1, e, &v) || v != d)
				return ics_err(x, ev->rrule_line, DRILL_EINVAL,
				    "RRULE BYMONTHDAY must be DTSTART's day (other rules are not supported)");
		} else if (!part_is(b, (size_t)(eq - b), "WKST")) {
			return ics_err(x, ev->rrule_line, DRILL_EINVAL,
			    "RRULE part %.*s is not supported (only FREQ=YEARLY with "
			    "INTERVAL, COUNT and UNTIL)", (int)(eq - b < 20 ? eq - b : 20), b);
		}
	}
	if (!freq)
		return ics_err(x, ev->rrule_line, DRILL_EINVAL, "RRULE without FREQ");
	if (count > 0) {		/* COUNT occurrences: the last one bounds UNTIL */
		long seen = 0;

		for (int64_t yr = y; yr <= YEAR_MAX; yr += r->interval) {
			if (d > tz_days_in_month(yr, m))
				continue;
			if (++seen == count) {
				int64_t last = tz_days_from_civil(yr, m, d);

				if (last < r->until)
					r->until = last;
				break;
			}
		}
	}
	return 0;
}

static void
event_reset(struct event *ev)
{
	free(ev->rrule);
	free(ev->ex);
	memset(ev, 0, sizeof(*ev));
}

/* At END:VEVENT: turns the event into days or a yearly rule. */
static int
event_finish(struct ics *x)
{
	struct event *ev = &x->ev;
	int64_t span = 1, y;
	int m, d, rc;

	if (!ev->has_start)
		return ics_err(x, ev->line, DRILL_EINVAL, "VEVENT without DTSTART");
	if (!ev->start_is_date || ev->cancelled)
		return 0;		/* a timed event, or cancelled: not a holiday */
	if (ev->has_end) {
		if (!ev->end_is_date)
			return ics_err(x, ev->end_line, DRILL_EINVAL,
			    "DTEND is a date-time but DTSTART is a date");
		if (ev->end < ev->start)
			return ics_err(x, ev->end_line, DRILL_EINVAL, "DTEND is before DTSTART");
		span = ev->end - ev->start;
	} else if (ev->has_dur) {
		if (!ev->dur_ok)
			return ics_err(x, ev->dur_line, DRILL_EINVAL,
			    "DURATION of an all-day event must be whole days (PnD or PnW)");
		span = ev->dur;
	}
	if (span < 1)
		span = 1;
	if (span > HOLIDAY_SPAN_MAX)
		return ics_err(x, ev->line, DRILL_EINVAL, "event is longer than %d days",
		    HOLIDAY_SPAN_MAX);
	if (ev->rrule != NULL) {
		struct yearly r;

		memset(&r, 0, sizeof(r));
		tz_civil_from_days(ev->start, &y, &m, &d);
		rc = parse_rrule(x, ev, y, m, d, &r);
		if (rc != 0)
			return rc;
		r.span = (int)span;
		if (x->nrules == x->rcap) {
			size_t cap = x->rcap ? x->rcap * 2 : 8;
			struct yearly *nr;

			if (x->nrules >= HOLIDAY_RULES_MAX)
				return ics_err(x, ev->line, DRILL_ETOOBIG,
				    "too many recurring holidays (over %d)", HOLIDAY_RULES_MAX);
			nr = realloc(x->rules, cap * sizeof(*nr));
			if (nr == NULL)
				return ics_err(x, ev->line, DRILL_ENOMEM, "out of memory");
			x->rules = nr;
			x->rcap = cap;
		}
		r.ex = ev->ex;		/* taken */
		r.nex = ev->nex;
		ev->ex = NULL;
		ev->nex = 0;
		x->rules[x->nrules++] = r;
		return 0;
	}
	if (ex_has(ev, ev->start))
		return 0;
	for (int64_t k = 0; k < span; k++)
		if ((rc = add_day(x, ev->start + k, ev->line)) != 0)
			return rc;
	return 0;
}

/* DURATION of an all-day event: [+]PnD or [+]PnW. */
static bool
parse_duration(const char *s, int64_t *days)
{
	const char *e;
	long v;

	if (*s == '+')
		s++;
	if (*s++ != 'P')
		return false;
	e = s;
	while (is_digit(*e))
		e++;
	if (!parse_uint(s, e, &v) || (e[0] != 'D' && e[0] != 'W') || e[1] != '\0')
		return false;
	*days = e[0] == 'W' ? (int64_t)v * 7 : v;
	return true;
}

/* A property inside a VEVENT. */
static int
event_prop(struct ics *x, const struct cline *cl, size_t line)
{
	struct event *ev = &x->ev;
	size_t vlen = strlen(cl->value);

	if (strcmp(cl->name, "DTSTART") == 0) {
		if (ev->has_start)
			return ics_err(x, line, DRILL_EINVAL, "second DTSTART in one VEVENT");
		if (!parse_date(cl->value, vlen, &ev->start, &ev->start_is_date) ||
		    (strcmp(cl->value_type, "DATE") == 0 && !ev->start_is_date))
			return ics_err(x, line, DRILL_EINVAL, "bad DTSTART \"%.40s\"", cl->value);
		ev->has_start = true;
	} else if (strcmp(cl->name, "DTEND") == 0) {
		if (ev->has_end)
			return ics_err(x, line, DRILL_EINVAL, "second DTEND in one VEVENT");
		if (!parse_date(cl->value, vlen, &ev->end, &ev->end_is_date) ||
		    (strcmp(cl->value_type, "DATE") == 0 && !ev->end_is_date))
			return ics_err(x, line, DRILL_EINVAL, "bad DTEND \"%.40s\"", cl->value);
		ev->has_end = true;
		ev->end_line = line;
	} else if (strcmp(cl->name, "DURATION") == 0) {
		/* checked at END:VEVENT: timed events have timed durations */
		ev->has_dur = true;
		ev->dur_ok = parse_duration(cl->value, &ev->dur);
		ev->dur_line = line;
	} else if (strcmp(cl->name, "RRULE") == 0) {
		if (ev->rrule != NULL)
			return ics_err(x, line, DRILL_EINVAL, "second RRULE in one VEVENT");
		ev->rrule = strdup(cl->value);
		if (ev->rrule == NULL)
			return ics_err(x, line, DRILL_ENOMEM, "out of memory");
		ev->rrule_line = line;
	} else if (strcmp(cl->name, "EXDATE") == 0) {
		const char *p = cl->value;

		for (;;) {
			const char *e = strchr(p, ',');
			size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
			int64_t day, *nx;
			bool is_date;

			if (!parse_date(p, n, &day, &is_date))
				return ics_err(x, line, DRILL_EINVAL, "bad EXDATE \"%.40s\"", cl->value);
			if (ev->nex >= HOLIDAY_DAYS_MAX)
				return ics_err(x, line, DRILL_ETOOBIG, "too many EXDATEs");
			nx = realloc(ev->ex, (ev->nex + 1) * sizeof(*nx));
			if (nx == NULL)
				return ics_err(x, line, DRILL_ENOMEM, "out of memory");
			ev->ex = nx;
			ev->ex[ev->nex++] = day;
			if (e == NULL)
				break;
			p = e + 1;
		}
	} else if (strcmp(cl->name, "STATUS") == 0) {
		ev->cancelled = part_is(cl->value, vlen, "CANCELLED");
	}
	return 0;
}

static int
ics_line(struct ics *x, char *s, size_t line)
{
	struct cline cl;

	if (s[0] == '\0')
		return 0;		/* blank lines are not iCalendar, but common */
	if (!split_line(s, &cl))
		return ics_err(x, line, DRILL_EINVAL, "not an iCalendar content line: \"%.40s\"", s);
	if (strcmp(cl.name, "BEGIN") == 0) {
		char comp[32];
		size_t n = strlen(cl.value);

		if (n == 0 || n >= sizeof(comp))
			return ics_err(x, line, DRILL_EINVAL, "bad BEGIN");
		for (size_t i = 0; i <= n; i++)
			comp[i] = (char)upper(cl.value[i]);
		if (x->depth == 0 && strcmp(comp, "VCALENDAR") != 0)
			return ics_err(x, line, DRILL_EINVAL,
			    "not an iCalendar file (expected BEGIN:VCALENDAR, got BEGIN:%.40s)",
			    cl.value);
		if (x->depth > 0 && strcmp(comp, "VCALENDAR") == 0)
			return ics_err(x, line, DRILL_EINVAL, "VCALENDAR inside a component");
		if (x->depth >= DEPTH_MAX)
			return ics_err(x, line, DRILL_EINVAL, "components nested too deep");
		if (strcmp(comp, "VEVENT") == 0) {
			if (x->in_event)
				return ics_err(x, line, DRILL_EINVAL, "VEVENT inside a VEVENT");
			if (x->depth != 1)
				return ics_err(x, line, DRILL_EINVAL, "VEVENT inside %s",
				    x->stack[x->depth - 1]);
			x->in_event = true;
			event_reset(&x->ev);
			x->ev.line = line;
		}
		memcpy(x->stack[x->depth], comp, n + 1);
		x->stack_line[x->depth++] = line;
		return 0;
	}
	if (strcmp(cl.name, "END") == 0) {
		char comp[32];
		size_t n = strlen(cl.value);
		int rc = 0;

		if (x->depth == 0)
			return ics_err(x, line, DRILL_EINVAL, "END:%.40s without BEGIN", cl.value);
		for (size_t i = 0; i <= n && i < sizeof(comp); i++)
			comp[i] = (char)upper(cl.value[i]);
		comp[sizeof(comp) - 1] = '\0';
		if (n >= sizeof(comp) || strcmp(comp, x->stack[x->depth - 1]) != 0)
			return ics_err(x, line, DRILL_EINVAL,
			    "END:%.40s does not close BEGIN:%s of line %zu", cl.value,
			    x->stack[x->depth - 1], x->stack_line[x->depth - 1]);
		x->depth--;
		if (strcmp(comp, "VEVENT") == 0) {
			rc = event_finish(x);
			event_reset(&x->ev);
			x->in_event = false;
		}
		return rc;
	}
	if (x->depth == 0)
		return ics_err(x, line, DRILL_EINVAL, "%s outside BEGIN:VCALENDAR",
		    cl.name[0] != '\0' ? cl.name : "content");
	if (x->in_event && strcmp(x->stack[x->depth - 1], "VEVENT") == 0)
		return event_prop(x, &cl, line);
	return 0;			/* VCALENDAR, VTIMEZONE, VALARM, ... properties */
}

static void
ics_clear(struct ics *x)
{
	event_reset(&x->ev);
	free(x->days);
	for (size_t i = 0; i < x->nrules; i++)
		free(x->rules[i].ex);
	free(x->rules);
}

int
holiday_add_ics(struct holiday_set *set, const char *data, size_t len, const char *label,
    char err[DRILL_ERRLEN])
{
	struct ics x;
	char *buf = NULL;
	size_t pos = 0, lineno = 0;
	const char *nul;
	bool any = false;
	int rc = 0;

	memset(&x, 0, sizeof(x));
	x.label = label != NULL ? label : "calendar";
	x.err = err;
	if (len > HOLIDAY_FILE_MAX) {
		rc = ics_err(&x, 0, DRILL_ETOOBIG, "over %d bytes", HOLIDAY_FILE_MAX);
		goto fail;
	}
	nul = memchr(data, '\0', len);
	if (nul != NULL) {
		size_t ln = 1;

		for (const char *q = data; q < nul; q++)
			ln += *q == '\n';
		rc = ics_err(&x, ln, DRILL_EINVAL, "NUL byte (not a text file)");
		goto fail;
	}
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	buf = malloc(len + 1);
	if (buf == NULL) {
		rc = ics_err(&x, 0, DRILL_ENOMEM, "out of memory");
		goto fail;
	}
	while (pos < len) {
		size_t start = lineno + 1, bl = 0;

		/* one logical line: a physical one and its continuations */
		for (;;) {
			const char *e = memchr(data + pos, '\n', len - pos);
			size_t end = e != NULL ? (size_t)(e - data) : len, seg = end;

			if (seg > pos && data[seg - 1] == '\r')
				seg--;
			if (seg > pos) {
				memcpy(buf + bl, data + pos, seg - pos);
				bl += seg - pos;
			}
			lineno++;
			pos = e != NULL ? end + 1 : len;
			if (pos >= len || (data[pos] != ' ' && data[pos] != '\t'))
				break;
			pos++;		/* a continuation: drop its leading blank */
		}
		buf[bl] = '\0';
		if (buf[0] != '\0')
			any = true;
		rc = ics_line(&x, buf, start);
		if (rc != 0)
			goto fail;
	}
	if (x.depth > 0) {
		rc = ics_err(&x, lineno, DRILL_EINVAL, "file ends inside BEGIN:%s of line %zu",
		    x.stack[x.depth - 1], x.stack_line[x.depth - 1]);
		goto fail;
	}
	if (!any) {
		rc = ics_err(&x, 1, DRILL_EINVAL, "empty file (expected BEGIN:VCALENDAR)");
		goto fail;
	}
	rc = merge(set, x.days, x.ndays, x.rules, x.nrules);
	if (rc == DRILL_ETOOBIG) {
		ics_err(&x, lineno, rc, "too many holidays (over %d days or %d yearly rules)",
		    HOLIDAY_DAYS_MAX, HOLIDAY_RULES_MAX);
		goto fail;
	}
	if (rc != 0) {
		ics_err(&x, lineno, rc, "out of memory");
		goto fail;
	}
	x.nrules = 0;			/* taken by the set, ex arrays included */
fail:
	free(buf);
	ics_clear(&x);
	return rc;
}

int
holiday_load_ics(struct holiday_set *set, const char *path, char err[DRILL_ERRLEN])
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = errno == ENOENT ? DRILL_ENOTFOUND : DRILL_EIO;
		drill_seterr(err, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		drill_seterr(err, "%s: not a regular file", path);
		rc = DRILL_EIO;
		goto fail;
	}
	if (st.st_size > HOLIDAY_FILE_MAX) {
		drill_seterr(err, "%s: over %d bytes", path, HOLIDAY_FILE_MAX);
		rc = DRILL_ETOOBIG;
		goto fail;
	}
	buf = malloc(HOLIDAY_FILE_MAX + 1);
	if (buf == NULL) {
		drill_seterr(err, "out of memory");
		rc = DRILL_ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, HOLIDAY_FILE_MAX + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			drill_seterr(err, "%s: %s", path, strerror(errno));
			rc = DRILL_EIO;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > HOLIDAY_FILE_MAX) {
			drill_seterr(err, "%s: over %d bytes", path, HOLIDAY_FILE_MAX);
			rc = DRILL_ETOOBIG;
			goto fail;
		}
	}
	rc = holiday_add_ics(set, buf, len, path, err);
fail:
	free(buf);
	close(fd);
	return rc;
}
