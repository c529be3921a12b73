/*
 * subs.c - when a person's daily DM question is due, and the arguments of
 * subscribe, pause and quiet (the rules are in subs.h).
 *
 * subs_next walks local calendar days, like cron_next, rather than building
 * a cron expression: the quiet shift moves a delivery onto another wall
 * time and sometimes onto the next day, which cron cannot say, and the
 * weekday rule must look at the day a slot was scheduled on. The wall time
 * of day D's delivery is D at a fixed minute (r->at, the quiet end, or the
 * quiet end plus a day), the same for every day, so deliveries never
 * decrease from one day to the next and the first day that qualifies is
 * the answer. Local times go through tz_resolve, which is where cron's
 * daylight-saving rules live too, so the two modules cannot drift apart.
 *
 * It deliberately does not: catch up on deliveries missed while the daemon
 * was down, remember what was delivered (the caller's `after` says that),
 * or know about holidays.
 */
#include "drill/subs.h"

#include <string.h>

#include "drill/tz.h"

/* Days searched past the start; a real zone needs at most 4 + 3 + 2. */
#define SCAN_DAYS 21

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
valid_minute(int m)
{
	return m >= 0 && m < 1440;
}

/* s[0..n) equals word (lower case) ignoring case. */
static bool
word_is(const char *s, size_t n, const char *word)
{
	size_t len = strlen(word);

	if (n != len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != word[i])
			return false;
	return true;
}

/* A time of day at s[0..n), by subs_parse_time's rules. */
static bool
parse_time_n(const char *s, size_t n, int *out)
{
	size_t i = 0;
	int h = 0, m = 0;
	bool pm;

	while (i < n && is_digit(s[i])) {
		if (i == 2)
			return false;		/* "009:00" */
		h = h * 10 + (s[i] - '0');
		i++;
	}
	if (i == 0)
		return false;
	if (i < n && s[i] == ':') {
		if (n - i < 3 || !is_digit(s[i + 1]) || !is_digit(s[i + 2]))
			return false;
		m = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
		if (m > 59)
			return false;
		i += 3;
		if (i == n) {
			if (h > 23)
				return false;
			*out = h * 60 + m;
			return true;
		}
	}
	/* a bare hour is ambiguous ("9" could be 9 pm): only with am/pm */
	if (n - i != 2 || lower((unsigned char)s[i + 1]) != 'm')
		return false;
	switch (lower((unsigned char)s[i])) {
	case 'a':
		pm = false;
		break;
	case 'p':
		pm = true;
		break;
	default:
		return false;
	}
	if (h < 1 || h > 12)
		return false;
	*out = (h % 12 + (pm ? 12 : 0)) * 60 + m;
	return true;
}

int
subs_parse_time(const char *s, int *minutes)
{
	size_t n = strnlen(s, SUBS_INPUT_MAX + 1);
	int m;

	if (n > SUBS_INPUT_MAX || !parse_time_n(s, n, &m))
		return DRILL_EINVAL;
	*minutes = m;
	return 0;
}

int
subs_parse_quiet(const char *s, int *start, int *end)
{
	size_t n = strnlen(s, SUBS_INPUT_MAX + 1), a, b;
	const char *dash;
	int qs, qe;

	if (n > SUBS_INPUT_MAX)
		return DRILL_EINVAL;
	if (word_is(s, n, "off") || word_is(s, n, "none")) {
		*start = *end = 0;
		return 0;
	}
	if ((dash = memchr(s, '-', n)) == NULL)
		return DRILL_EINVAL;
	a = (size_t)(dash - s);
	b = a + 1;
	while (a > 0 && is_blank(s[a - 1]))
		a--;
	while (b < n && is_blank(s[b]))
		b++;
	/* a second '-' lands in the second time, which then fails */
	if (!parse_time_n(s, a, &qs) || !parse_time_n(s + b, n - b, &qe))
		return DRILL_EINVAL;
	if (qs == qe)
		return DRILL_EINVAL;	/* an empty window: "off" says that */
	*start = qs;
	*end = qe;
	return 0;
}

int
subs_parse_pause(const char *s, int64_t *seconds)
{
	size_t n = strnlen(s, SUBS_INPUT_MAX + 1), i = 0;
	int64_t total = 0;
	int last = 3;			/* rank of the previous unit: 2 w, 1 d, 0 h */

	if (n == 0 || n > SUBS_INPUT_MAX)
		return DRILL_EINVAL;
	while (i < n) {
		int64_t v = 0, unit;
		size_t b = i;
		int rank;

		while (i < n && is_digit(s[i])) {
			if (v <= SUBS_PAUSE_MAX)	/* stays far from overflow */
				v = v * 10 + (s[i] - '0');
			i++;
		}
		if (i == b || i == n)
			return DRILL_EINVAL;		/* no number, or no unit */
		switch (lower((unsigned char)s[i])) {
		case 'w':
			rank = 2;
			unit = 7 * 86400;
			break;
		case 'd':
			rank = 1;
			unit = 86400;
			break;
		case 'h':
			rank = 0;
			unit = 3600;
			break;
		default:
			return DRILL_EINVAL;
		}
		if (rank >= last)
			return DRILL_EINVAL;		/* "12h1d", "1d1d" */
		last = rank;
		i++;
		if (v > SUBS_PAUSE_MAX)
			return DRILL_EINVAL;
		total += v * unit;
	}
	if (total < SUBS_PAUSE_MIN || total > SUBS_PAUSE_MAX)
		return DRILL_EINVAL;
	*seconds = total;
	return 0;
}

bool
subs_quiet(const struct subs_rule *r, int m)
{
	if (r->quiet_start == r->quiet_end || !valid_minute(m))
		return false;
	if (r->quiet_start < r->quiet_end)
		return m >= r->quiet_start && m < r->quiet_end;
	return m >= r->quiet_start || m < r->quiet_end;
}

/*
 * The wall-clock minute, counted from the midnight that starts a slot's
 * day, of the slot's delivery: r->at, the end of the quiet window that day,
 * or (a window wrapping midnight, r->at in its evening part) the end of it
 * the next day, 1440 + end.
 */
static int
delivery_minute(const struct subs_rule *r)
{
	if (!subs_quiet(r, r->at))
		return r->at;
	if (r->quiet_end < r->quiet_start && r->at >= r->quiet_start)
		return 1440 + r->quiet_end;
	return r->quiet_end;
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

static bool
in_range(int64_t t)
{
	return t >= TZ_TIME_MIN + (int64_t)SUBS_MARGIN_DAYS * 86400 &&
	    t <= TZ_TIME_MAX - (int64_t)SUBS_MARGIN_DAYS * 86400;
}

int
subs_next(const struct subs_rule *r, const struct tz *tz, int64_t after,
    int64_t paused_until, int64_t *next)
{
	int64_t start, local, day, first, prev, nominal, del, taken_at;
	int off = 0, dm, rc;

	if (!valid_minute(r->at) || !valid_minute(r->quiet_start) ||
	    !valid_minute(r->quiet_end) || !in_range(after) ||
	    (paused_until != 0 && !in_range(paused_until)))
		return DRILL_EINVAL;
	if (paused_until == 0)
		paused_until = after;	/* 0 means none, also before 1970 */
	start = after > paused_until ? after : paused_until;
	if (tz != NULL && (rc = tz_offset(tz, start, &off, NULL)) != 0)
		return rc;
	/*
	 * Four days back from start's local date: a delivery wall time is at
	 * most 2 days past its slot's midnight and offsets are within 26
	 * hours, so every earlier slot is delivered before start and cannot
	 * qualify.
	 */
	local = start + off;
	first = (local >= 0 ? local : local - 86399) / 86400 - 4;
	dm = delivery_minute(r);
	if ((rc = resolve(tz, (first - 1) * 86400 + dm * 60, &prev)) != 0)
		return rc;
	for (day = first; day <= first + SCAN_DAYS; day++) {
		int wd = tz_weekday(day);

		if ((rc = resolve(tz, day * 86400 + dm * 60, &del)) != 0)
			return rc;
		if (!r->weekdays || (wd >= 1 && wd <= 5)) {
			nominal = del;
			if (dm != r->at &&
			    (rc = resolve(tz, day * 86400 + r->at * 60, &nominal)) != 0)
				return rc;
			/*
			 * The slot is taken once after reaches its nominal
			 * instant - but never at or before the previous day's
			 * delivery: a clock that jumps over both wall times
			 * would otherwise let that delivery use up this day.
			 */
			taken_at = nominal > prev ? nominal : prev + 1;
			if (taken_at > after && del > after && del >= paused_until) {
				*next = del;
				return 0;
			}
		}
		prev = del;
	}
	return DRILL_ENOTFOUND;
}

void
subs_format_time(int minutes, char buf[6])
{
	if (!valid_minute(minutes)) {
		memcpy(buf, "--:--", 6);
		return;
	}
	buf[0] = (char)('0' + minutes / 600);
	buf[1] = (char)('0' + minutes / 60 % 10);
	buf[2] = ':';
	buf[3] = (char)('0' + minutes % 60 / 10);
	buf[4] = (char)('0' + minutes % 10);
	buf[5] = '\0';
}
