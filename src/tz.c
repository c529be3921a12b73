/*
 * tz.c - IANA time zones from TZif files (RFC 8536) and POSIX TZ strings,
 * UTC <-> local conversion by drilld's rules, and civil-date arithmetic.
 *
 * A zone is a table of transitions (instants at which the local time type
 * changes) and, for version 2+ files, the footer's POSIX TZ rule that takes
 * over at the last transition. Every query goes through period_at(), which
 * returns the longest known interval [start, end) around an instant with one
 * local time type; UTC -> local is one lookup, local -> UTC walks the few
 * periods within a day either side of the wall time.
 *
 * It deliberately does not: touch TZ, tzset() or localtime() (not thread-safe
 * with TZ switching); support leap-second ("right/") zones (refused: drilld
 * counts POSIX seconds); read the deprecated version 1 data of a version 2+
 * file; or cache anything (a lookup is a binary search or, past the table,
 * a handful of rule evaluations).
 */
#include "drill/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_OFFSET (26 * 3600)		/* |UT offset| accepted (RFC 8536: -89999..93599) */
#define TRANS_LIMIT (INT64_C(1) << 60)	/* |transition time| accepted (zic's big bang is -2^59) */
#define NAME_MAX_POSIX 31		/* longest abbreviation in a POSIX TZ string */
#define HDR_LEN 44

struct ttype {
	int32_t off;			/* seconds east of UTC */
	bool dst;
	const char *abbr;		/* into tz->chars or tz->rule names */
};

enum rule_kind {
	RULE_JULIAN1,			/* Jn: 1-365, February 29 never counted */
	RULE_JULIAN0,			/* n: 0-365, February 29 counted */
	RULE_MONTH			/* Mm.w.d: day d of week w (5 = last) of month m */
};

struct rule_date {
	enum rule_kind kind;
	int day;			/* Jn and n */
	int month, week, wday;		/* Mm.w.d */
	int32_t time;			/* seconds after local midnight, -167h..167h */
};

struct posix_rule {
	struct ttype std, dst;
	bool has_dst;
	struct rule_date start, end;	/* start: std -> dst, in std time; end: dst -> std, in dst time */
	char std_name[NAME_MAX_POSIX + 1];
	char dst_name[NAME_MAX_POSIX + 1];
};

struct tz {
	char *name;
	size_t ntrans;
	int64_t *trans;			/* strictly ascending */
	uint8_t *trans_type;		/* index into types */
	size_t ntypes;
	struct ttype *types;		/* types[0] applies before the first transition */
	char *chars;			/* designations, NUL-terminated */
	bool has_rule;			/* rule applies from the last transition on */
	struct posix_rule rule;
};

/* An interval [start, end) of one local time type; INT64_MIN/MAX: unbounded. */
struct period {
	int64_t start, end;
	const struct ttype *type;
};

/* ---- civil dates ---- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t
tz_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
tz_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp, yy;
	int mm;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	mm = (int)(mp < 10 ? mp + 3 : mp - 9);
	if (d != NULL)
		*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	if (m != NULL)
		*m = mm;
	if (y != NULL)
		*y = yy + (mm <= 2);
}

int
tz_weekday(int64_t days)
{
	return (int)((days % 7 + 11) % 7);
}

bool
tz_is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int
tz_days_in_month(int64_t y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12)
		return 0;
	return dim[m - 1] + (m == 2 && tz_is_leap(y));
}

/* ---- POSIX TZ rules ---- */

/* Local seconds at which rule date rd happens in year y. */
static int64_t
rule_local(const struct rule_date *rd, int64_t y)
{
	int64_t days;

	switch (rd->kind) {
	case RULE_JULIAN1:
		days = tz_days_from_civil(y, 1, 1) + rd->day - 1 +
		    (tz_is_leap(y) && rd->day >= 60);
		break;
	case RULE_JULIAN0:
		days = tz_days_from_civil(y, 1, 1) + rd->day;
		break;
	default: {
		int64_t first = tz_days_from_civil(y, rd->month, 1);
		int day = (rd->wday - tz_weekday(first) + 7) % 7 + 7 * (rd->week - 1);
		int dim = tz_days_in_month(y, rd->month);

		while (day >= dim)
			day -= 7;
		days = first + day;
		break;
	}
	}
	return days * 86400 + rd->time;
}

struct edge {
	int64_t at;
	int64_t year;
	int to_dst;
};

static int
edge_before(const struct edge *a, const struct edge *b)
{
	if (a->at != b->at)
		return a->at < b->at;
	if (a->year != b->year)
		return a->year < b->year;
	/* same year and instant: start then end, so a zero-length DST is none */
	return a->to_dst > b->to_dst;
}

/*
 * The period of rule r around instant t. The rule's transitions are laid out
 * for the local years y-2..y+2 around t and sorted; rule times may be up to a
 * week outside their day, and a year's end may even come before its start
 * (southern hemisphere), so no order is assumed. Where one year's end and the
 * next year's start coincide (DST all year, "EST5EDT,0/0,J365/25") the later
 * year wins and the clock stays on DST.
 */
static void
rule_period(const struct posix_rule *r, int64_t t, struct period *p)
{
	struct edge e[10], tmp;
	int64_t y;
	size_t n = 0, i, j;
	int last = -1;

	if (!r->has_dst) {
		p->start = INT64_MIN;
		p->end = INT64_MAX;
		p->type = &r->std;
		return;
	}
	tz_civil_from_days(floor_div(t + r->std.off, 86400), &y, NULL, NULL);
	for (int64_t yy = y - 2; yy <= y + 2; yy++) {
		e[n].at = rule_local(&r->start, yy) - r->std.off;
		e[n].year = yy;
		e[n++].to_dst = 1;
		e[n].at = rule_local(&r->end, yy) - r->dst.off;
		e[n].year = yy;
		e[n++].to_dst = 0;
	}
	for (i = 1; i < n; i++) {
		tmp = e[i];
		for (j = i; j > 0 && edge_before(&tmp, &e[j - 1]); j--)
			e[j] = e[j - 1];
		e[j] = tmp;
	}
	for (i = 0; i < n; i++)
		if (e[i].at <= t)
			last = (int)i;
	if (last < 0) {			/* not reached for |t| <= TZ_TIME_MAX */
		p->start = INT64_MIN;
		p->end = e[0].at;
		p->type = e[0].to_dst ? &r->std : &r->dst;
		return;
	}
	p->start = e[last].at;
	p->type = e[last].to_dst ? &r->dst : &r->std;
	p->end = INT64_MAX;
	for (i = (size_t)last + 1; i < n; i++) {
		if (e[i].at > t) {
			p->end = e[i].at;
			break;
		}
	}
}

/* Parses an unsigned number of at most maxdigits digits at *s. */
static bool
parse_num(const char **s, int maxdigits, int *out)
{
	const char *p = *s;
	int v = 0, n = 0;

	while (*p >= '0' && *p <= '9') {
		if (++n > maxdigits)
			return false;
		v = v * 10 + (*p - '0');
		p++;
	}
	if (n == 0)
		return false;
	*s = p;
	*out = v;
	return true;
}

/*
 * [+-]hh[:mm[:ss]] with hh <= maxh, mm and ss <= 59, into signed seconds.
 */
static bool
parse_hms(const char **s, int maxh, int32_t *out)
{
	const char *p = *s;
	int sign = 1, h, m = 0, sec = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!parse_num(&p, 3, &h) || h > maxh)
		return false;
	if (*p == ':') {
		p++;
		if (!parse_num(&p, 2, &m) || m > 59)
			return false;
		if (*p == ':') {
			p++;
			if (!parse_num(&p, 2, &sec) || sec > 59)
				return false;
		}
	}
	*s = p;
	*out = sign * (h * 3600 + m * 60 + sec);
	return true;
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* An abbreviation: 3+ letters, or <...> holding 3+ of [A-Za-z0-9+-]. */
static bool
parse_abbr(const char **s, char out[NAME_MAX_POSIX + 1])
{
	const char *p = *s, *b;
	size_t n;

	if (*p == '<') {
		b = ++p;
		while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-')
			p++;
		if (*p != '>')
			return false;
		n = (size_t)(p - b);
		p++;
	} else {
		b = p;
		while (is_alpha(*p))
			p++;
		n = (size_t)(p - b);
	}
	if (n < 3 || n > NAME_MAX_POSIX)
		return false;
	memcpy(out, b, n);
	out[n] = '\0';
	*s = p;
	return true;
}

/* Jn, n or Mm.w.d, then an optional /time (default 02:00). */
static bool
parse_rule_date(const char **s, struct rule_date *rd)
{
	const char *p = *s;

	if (*p == 'J') {
		p++;
		rd->kind = RULE_JULIAN1;
		if (!parse_num(&p, 3, &rd->day) || rd->day < 1 || rd->day > 365)
			return false;
	} else if (*p == 'M') {
		p++;
		rd->kind = RULE_MONTH;
		if (!parse_num(&p, 2, &rd->month) || rd->month < 1 || rd->month > 12 ||
		    *p++ != '.' ||
		    !parse_num(&p, 1, &rd->week) || rd->week < 1 || rd->week > 5 ||
		    *p++ != '.' ||
		    !parse_num(&p, 1, &rd->wday) || rd->wday > 6)
			return false;
	} else {
		rd->kind = RULE_JULIAN0;
		if (!parse_num(&p, 3, &rd->day) || rd->day > 365)
			return false;
	}
	rd->time = 2 * 3600;
	if (*p == '/') {
		p++;
		if (!parse_hms(&p, 167, &rd->time))
			return false;
	}
	*s = p;
	return true;
}

/*
 * Parses a POSIX TZ string (the whole of s) into r. Offsets in the string
 * are west-positive; r holds them east-positive, like TZif.
 */
static int
parse_posix(const char *s, struct posix_rule *r, char *err)
{
	const char *p = s;
	int32_t off;

	memset(r, 0, sizeof(*r));
	if (!parse_abbr(&p, r->std_name)) {
		drill_seterr(err, "TZ string \"%s\": bad standard-time name", s);
		return DRILL_EINVAL;
	}
	if (!parse_hms(&p, 24, &off)) {
		drill_seterr(err, "TZ string \"%s\": bad standard-time offset", s);
		return DRILL_EINVAL;
	}
	r->std.off = -off;
	r->std.dst = false;
	r->std.abbr = r->std_name;
	if (*p == '\0')
		return 0;
	if (!parse_abbr(&p, r->dst_name)) {
		drill_seterr(err, "TZ string \"%s\": bad daylight-time name", s);
		return DRILL_EINVAL;
	}
	r->has_dst = true;
	r->dst.dst = true;
	r->dst.abbr = r->dst_name;
	r->dst.off = r->std.off + 3600;
	if (*p != ',' && *p != '\0') {
		if (!parse_hms(&p, 24, &off)) {
			drill_seterr(err, "TZ string \"%s\": bad daylight-time offset", s);
			return DRILL_EINVAL;
		}
		r->dst.off = -off;
	}
	if (*p == '\0') {		/* no rules: tzcode's and glibc's default */
		r->start = (struct rule_date){.kind = RULE_MONTH, .month = 3,
		    .week = 2, .wday = 0, .time = 7200};
		r->end = (struct rule_date){.kind = RULE_MONTH, .month = 11,
		    .week = 1, .wday = 0, .time = 7200};
		return 0;
	}
	if (*p++ != ',' || !parse_rule_date(&p, &r->start) ||
	    *p++ != ',' || !parse_rule_date(&p, &r->end) || *p != '\0') {
		drill_seterr(err, "TZ string \"%s\": bad daylight-saving rule", s);
		return DRILL_EINVAL;
	}
	return 0;
}

/* ---- lookups ---- */

static void
period_at(const struct tz *tz, int64_t t, struct period *p)
{
	size_t lo, hi;

	if (tz->ntrans == 0) {
		if (tz->has_rule) {
			rule_period(&tz->rule, t, p);
		} else {
			p->start = INT64_MIN;
			p->end = INT64_MAX;
			p->type = &tz->types[0];
		}
		return;
	}
	if (t < tz->trans[0]) {
		p->start = INT64_MIN;
		p->end = tz->trans[0];
		p->type = &tz->types[0];
		return;
	}
	if (tz->has_rule && t >= tz->trans[tz->ntrans - 1]) {
		rule_period(&tz->rule, t, p);
		if (p->start < tz->trans[tz->ntrans - 1])
			p->start = tz->trans[tz->ntrans - 1];
		return;
	}
	/* the last transition <= t */
	lo = 0;
	hi = tz->ntrans;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	p->start = tz->trans[lo];
	p->end = lo + 1 < tz->ntrans ? tz->trans[lo + 1] : INT64_MAX;
	p->type = &tz->types[tz->trans_type[lo]];
}

static bool
in_range(int64_t t)
{
	return t >= TZ_TIME_MIN && t <= TZ_TIME_MAX;
}

int
tz_offset(const struct tz *tz, int64_t utc, int *offset_seconds, bool *dst)
{
	struct period p;

	if (!in_range(utc))
		return DRILL_EINVAL;
	period_at(tz, utc, &p);
	if (offset_seconds != NULL)
		*offset_seconds = p.type->off;
	if (dst != NULL)
		*dst = p.type->dst;
	return 0;
}

int
tz_localtime(const struct tz *tz, int64_t utc, struct tz_local *out)
{
	struct period p;
	int64_t lt, days, secs, y;

	if (!in_range(utc))
		return DRILL_EINVAL;
	period_at(tz, utc, &p);
	lt = utc + p.type->off;
	days = floor_div(lt, 86400);
	secs = lt - days * 86400;
	tz_civil_from_days(days, &y, &out->month, &out->day);
	out->year = (int)y;
	out->hour = (int)(secs / 3600);
	out->minute = (int)(secs / 60 % 60);
	out->second = (int)(secs % 60);
	out->wday = tz_weekday(days);
	out->yday = (int)(days - tz_days_from_civil(y, 1, 1));
	out->offset = p.type->off;
	out->dst = p.type->dst;
	out->abbr = p.type->abbr;
	return 0;
}

/*
 * Walks the periods that overlap [local - MAX_OFFSET, local + MAX_OFFSET]
 * (every instant showing local lies there). In each period of offset o the
 * candidate is local - o; the first candidate inside its own period is the
 * answer. When none is, local lies in a gap: at some period boundary the
 * clock jumped from below local to above it, and that boundary is the first
 * instant after the gap.
 */
int
tz_resolve(const struct tz *tz, int64_t local, int64_t *utc, enum tz_local_kind *kind)
{
	struct period p;
	int64_t t, first = 0, gap = 0, hi;
	int prev_off = 0;
	size_t nsol = 0;
	bool have_prev = false, have_gap = false;

	if (!in_range(local))
		return DRILL_EINVAL;
	t = local - MAX_OFFSET - 1;
	hi = local + MAX_OFFSET + 1;
	for (;;) {
		int64_t c;

		period_at(tz, t, &p);
		c = local - p.type->off;
		if (c >= p.start && c < p.end && c >= t) {
			if (nsol++ == 0)
				first = c;
		}
		if (have_prev && !have_gap &&
		    p.start + prev_off <= local && local < p.start + p.type->off) {
			have_gap = true;
			gap = p.start;
		}
		if (p.end > hi)
			break;
		prev_off = p.type->off;
		have_prev = true;
		t = p.end;
	}
	if (nsol > 0) {
		*utc = first;
		if (kind != NULL)
			*kind = nsol > 1 ? TZ_LOCAL_REPEATED : TZ_LOCAL_UNIQUE;
	} else if (have_gap) {
		*utc = gap;
		if (kind != NULL)
			*kind = TZ_LOCAL_SKIPPED;
	} else {			/* not reached: the clock must pass local */
		period_at(tz, local, &p);
		*utc = local - p.type->off;
		if (kind != NULL)
			*kind = TZ_LOCAL_UNIQUE;
	}
	return 0;
}

const char *
tz_name(const struct tz *tz)
{
	return tz->name;
}

void
tz_free(struct tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->name);
	free(tz->trans);
	free(tz->trans_type);
	free(tz->types);
	free(tz->chars);
	free(tz);
}

static struct tz *
tz_alloc(const char *name)
{
	struct tz *tz = calloc(1, sizeof(*tz));

	if (tz == NULL)
		return NULL;
	tz->name = strdup(name);
	if (tz->name == NULL) {
		free(tz);
		return NULL;
	}
	return tz;
}

int
tz_parse_posix(const char *spec, struct tz **out, char err[DRILL_ERRLEN])
{
	struct tz *tz = NULL;
	int rc;

	*out = NULL;
	if (strlen(spec) > 255) {
		drill_seterr(err, "TZ string is too long");
		return DRILL_EINVAL;
	}
	tz = tz_alloc(spec);
	if (tz == NULL)
		goto nomem;
	rc = parse_posix(spec, &tz->rule, err);
	if (rc != 0) {
		tz_free(tz);
		return rc;
	}
	tz->has_rule = true;
	tz->types = calloc(1, sizeof(*tz->types));
	if (tz->types == NULL)
		goto nomem;
	tz->ntypes = 1;
	tz->types[0] = tz->rule.std;
	/* the type's abbr points into tz->rule, which does not move */
	*out = tz;
	return 0;
nomem:
	tz_free(tz);
	drill_seterr(err, "out of memory");
	return DRILL_ENOMEM;
}

/* ---- TZif ---- */

struct hdr {
	int version;			/* 1, 2, 3, 4 */
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int
read_hdr(const char *name, const unsigned char *b, size_t len, size_t off,
    struct hdr *h, char *err)
{
	const unsigned char *p = b + off;

	if (len < off || len - off < HDR_LEN) {
		drill_seterr(err, "%s: truncated TZif header at byte %zu", name, off);
		return DRILL_EINVAL;
	}
	if (memcmp(p, "TZif", 4) != 0) {
		drill_seterr(err, "%s: not a TZif file (bad magic at byte %zu)", name, off);
		return DRILL_EINVAL;
	}
	if (p[4] == 0)
		h->version = 1;
	else if (p[4] >= '2' && p[4] <= '4')
		h->version = p[4] - '0';
	else {
		drill_seterr(err, "%s: unsupported TZif version 0x%02x", name, p[4]);
		return DRILL_EINVAL;
	}
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return 0;
}

/* Size of a data block with times of ts bytes (fits: counts are 32-bit). */
static uint64_t
block_len(const struct hdr *h, unsigned ts)
{
	return (uint64_t)h->timecnt * ts + h->timecnt + (uint64_t)h->typecnt * 6 +
	    h->charcnt + (uint64_t)h->leapcnt * (ts + 4) + h->isstdcnt + h->isutcnt;
}

/* Reads and checks the data block at b[off..] with ts-byte times into tz. */
static int
read_block(struct tz *tz, const struct hdr *h, const unsigned char *b, size_t off,
    unsigned ts, char *err)
{
	const unsigned char *p = b + off, *types, *chars;
	const char *name = tz->name;

	if (h->typecnt == 0 || h->typecnt > 256) {
		drill_seterr(err, "%s: bad TZif type count %u", name, h->typecnt);
		return DRILL_EINVAL;
	}
	if (h->charcnt == 0) {
		drill_seterr(err, "%s: TZif file has no designations", name);
		return DRILL_EINVAL;
	}
	if ((h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)) {
		drill_seterr(err, "%s: bad TZif indicator counts", name);
		return DRILL_EINVAL;
	}
	if (h->leapcnt != 0) {
		drill_seterr(err, "%s: zones with leap seconds (right/) are not supported", name);
		return DRILL_EINVAL;
	}
	tz->ntrans = h->timecnt;
	tz->ntypes = h->typecnt;
	if (tz->ntrans > 0) {
		tz->trans = calloc(tz->ntrans, sizeof(*tz->trans));
		tz->trans_type = calloc(tz->ntrans, 1);
	}
	tz->types = calloc(tz->ntypes, sizeof(*tz->types));
	tz->chars = malloc((size_t)h->charcnt + 1);
	if ((tz->ntrans > 0 && (tz->trans == NULL || tz->trans_type == NULL)) ||
	    tz->types == NULL || tz->chars == NULL) {
		drill_seterr(err, "out of memory");
		return DRILL_ENOMEM;
	}
	for (size_t i = 0; i < tz->ntrans; i++) {
		int64_t t = ts == 8 ? be64(p + i * 8) : (int64_t)(int32_t)be32(p + i * 4);

		if (t < -TRANS_LIMIT || t > TRANS_LIMIT) {
			drill_seterr(err, "%s: transition %zu is out of range", name, i);
			return DRILL_EINVAL;
		}
		if (i > 0 && t <= tz->trans[i - 1]) {
			drill_seterr(err, "%s: transition %zu is not after the one before", name, i);
			return DRILL_EINVAL;
		}
		tz->trans[i] = t;
	}
	p += (size_t)h->timecnt * ts;
	for (size_t i = 0; i < tz->ntrans; i++) {
		if (p[i] >= h->typecnt) {
			drill_seterr(err, "%s: transition %zu has bad type %u", name, i, p[i]);
			return DRILL_EINVAL;
		}
		tz->trans_type[i] = p[i];
	}
	p += h->timecnt;
	types = p;
	chars = types + (size_t)h->typecnt * 6;
	memcpy(tz->chars, chars, h->charcnt);
	tz->chars[h->charcnt] = '\0';
	for (size_t i = 0; i < tz->ntypes; i++) {
		const unsigned char *q = types + i * 6;
		int32_t utoff = (int32_t)be32(q);

		if (utoff < -MAX_OFFSET || utoff > MAX_OFFSET) {
			drill_seterr(err, "%s: type %zu has bad UT offset %ld", name, i, (long)utoff);
			return DRILL_EINVAL;
		}
		if (q[4] > 1) {
			drill_seterr(err, "%s: type %zu has bad DST flag %u", name, i, q[4]);
			return DRILL_EINVAL;
		}
		if (q[5] >= h->charcnt || memchr(chars + q[5], '\0', h->charcnt - q[5]) == NULL) {
			drill_seterr(err, "%s: type %zu has a bad designation", name, i);
			return DRILL_EINVAL;
		}
		tz->types[i].off = utoff;
		tz->types[i].dst = q[4] == 1;
		tz->types[i].abbr = tz->chars + q[5];
	}
	return 0;
}

int
tz_parse(const char *name, const void *buf, size_t len, struct tz **out,
    char err[DRILL_ERRLEN])
{
	const unsigned char *b = buf;
	struct tz *tz = NULL;
	struct hdr h1, h2;
	uint64_t need;
	size_t off;
	int rc;

	*out = NULL;
	if (len > TZ_FILE_MAX) {
		drill_seterr(err, "%s: TZif file is over %d bytes", name, TZ_FILE_MAX);
		return DRILL_ETOOBIG;
	}
	tz = tz_alloc(name);
	if (tz == NULL) {
		drill_seterr(err, "out of memory");
		return DRILL_ENOMEM;
	}
	rc = read_hdr(name, b, len, 0, &h1, err);
	if (rc != 0)
		goto fail;
	need = block_len(&h1, 4);
	if (need > len - HDR_LEN) {
		drill_seterr(err, "%s: truncated TZif file (version 1 data needs %llu bytes, %zu left)",
		    name, (unsigned long long)need, len - HDR_LEN);
		rc = DRILL_EINVAL;
		goto fail;
	}
	if (h1.version == 1) {
		rc = read_block(tz, &h1, b, HDR_LEN, 4, err);
		if (rc != 0)
			goto fail;
		*out = tz;
		return 0;
	}
	off = HDR_LEN + (size_t)need;
	rc = read_hdr(name, b, len, off, &h2, err);
	if (rc != 0)
		goto fail;
	off += HDR_LEN;
	need = block_len(&h2, 8);
	if (need > len - off) {
		drill_seterr(err, "%s: truncated TZif file (64-bit data needs %llu bytes, %zu left)",
		    name, (unsigned long long)need, len - off);
		rc = DRILL_EINVAL;
		goto fail;
	}
	rc = read_block(tz, &h2, b, off, 8, err);
	if (rc != 0)
		goto fail;
	off += (size_t)need;

	/* footer: "\n" TZ-string "\n" */
	{
		const unsigned char *nl;
		size_t flen;
		char spec[256];

		if (off >= len || b[off] != '\n') {
			drill_seterr(err, "%s: truncated TZif file (no footer)", name);
			rc = DRILL_EINVAL;
			goto fail;
		}
		off++;
		nl = memchr(b + off, '\n', len - off);
		if (nl == NULL) {
			drill_seterr(err, "%s: truncated TZif footer", name);
			rc = DRILL_EINVAL;
			goto fail;
		}
		flen = (size_t)(nl - (b + off));
		if (flen >= sizeof(spec) || memchr(b + off, '\0', flen) != NULL) {
			drill_seterr(err, "%s: bad TZif footer", name);
			rc = DRILL_EINVAL;
			goto fail;
		}
		if (flen > 0) {
			char perr[DRILL_ERRLEN];

			memcpy(spec, b + off, flen);
			spec[flen] = '\0';
			rc = parse_posix(spec, &tz->rule, perr);
			if (rc != 0) {
				drill_seterr(err, "%s: footer: %s", name, perr);
				goto fail;
			}
			tz->has_rule = true;
		}
	}
	*out = tz;
	return 0;
fail:
	tz_free(tz);
	return rc;
}

/* The name rules of tz_load_at. */
static bool
name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!(is_alpha(c) || is_digit(c) || c == '_' || c == '+' || c == '-' || c == '/'))
			return false;
		if (c == '/' && name[i + 1] == '/')
			return false;
	}
	return true;
}

static int
builtin_utc(const char *name, struct tz **out, char *err)
{
	struct tz *tz = tz_alloc(name);

	if (tz == NULL || (tz->types = calloc(1, sizeof(*tz->types))) == NULL ||
	    (tz->chars = strdup("UTC")) == NULL) {
		tz_free(tz);
		drill_seterr(err, "out of memory");
		return DRILL_ENOMEM;
	}
	tz->ntypes = 1;
	tz->types[0].abbr = tz->chars;
	*out = tz;
	return 0;
}

int
tz_load_at(const char *root, const char *name, struct tz **out, char err[DRILL_ERRLEN])
{
	char path[4096];
	unsigned char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd = -1, rc, n;

	*out = NULL;
	if (!name_ok(name)) {
		drill_seterr(err, "bad time zone name \"%.64s\" (expected e.g. Europe/Berlin)", name);
		return DRILL_EINVAL;
	}
	if (root == NULL) {
		root = getenv("TZDIR");
		if (root == NULL || root[0] == '\0')
			root = TZ_DEFAULT_DIR;
	}
	n = snprintf(path, sizeof(path), "%s/%s", root, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		drill_seterr(err, "%s: zoneinfo path is too long", name);
		return DRILL_EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
				return builtin_utc(name, out, err);
			drill_seterr(err, "unknown time zone \"%s\" (no %s)", name, path);
			return DRILL_ENOTFOUND;
		}
		drill_seterr(err, "%s: cannot open %s: %s", name, path, strerror(errno));
		return DRILL_EIO;
	}
	if (fstat(fd, &st) != 0) {
		drill_seterr(err, "%s: cannot stat %s: %s", name, path, strerror(errno));
		rc = DRILL_EIO;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		drill_seterr(err, "unknown time zone \"%s\" (%s is a directory)", name, path);
		rc = DRILL_ENOTFOUND;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		drill_seterr(err, "%s: %s is not a regular file", name, path);
		rc = DRILL_EINVAL;
		goto fail;
	}
	if (st.st_size > TZ_FILE_MAX) {
		drill_seterr(err, "%s: %s is over %d bytes", name, path, TZ_FILE_MAX);
		rc = DRILL_ETOOBIG;
		goto fail;
	}
	buf = malloc(TZ_FILE_MAX + 1);
	if (buf == NULL) {
		drill_seterr(err, "out of memory");
		rc = DRILL_ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, TZ_FILE_MAX + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			drill_seterr(err, "%s: cannot read %s: %s", name, path, strerror(errno));
			rc = DRILL_EIO;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > TZ_FILE_MAX) {
			drill_seterr(err, "%s: %s is over %d bytes", name, path, TZ_FILE_MAX);
			rc = DRILL_ETOOBIG;
			goto fail;
		}
	}
	rc = tz_parse(name, buf, len, out, err);
fail:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int
tz_load(const char *name, struct tz **out, char err[DRILL_ERRLEN])
{
	return tz_load_at(NULL, name, out, err);
}
