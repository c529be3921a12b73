/*
 * subs.h - when a person's own daily question (a DM subscription) is due,
 * and the small arguments of the chat commands that shape it:
 *
 *   subscribe [topics] [at HH:MM] [weekdays|daily]
 *   pause 7d
 *   tz Europe/Paris
 *   quiet 22:00-07:00
 *
 * Pure computation: no I/O beyond what a loaded struct tz already holds, no
 * globals, no clock reads; every function may be called from any thread.
 *
 * The schedule. A subscription has one slot per matching day: every local
 * calendar day, or with weekdays only Monday to Friday, judged in the
 * person's zone (not in UTC). The slot of day D:
 *
 *  - is scheduled at the wall time r->at on D, and its "nominal instant" is
 *    where that wall time falls by tz.h's rules (the same as cron.h's): a
 *    wall time that happens twice counts at its first occurrence, one that
 *    does not happen at the first instant after the gap (Berlin 2026-03-29,
 *    02:30 -> 03:00 CEST = 01:00Z);
 *  - is delivered at its nominal instant, unless r->at lies inside the
 *    quiet hours: then at the end of the quiet window, resolved by the same
 *    rules. For a window that wraps midnight (22:00-07:00) and an r->at at
 *    or after its start, that end is on D + 1: a Friday 23:00 subscription
 *    with those quiet hours is delivered on Saturday at 07:00, and it still
 *    is Friday's question - the weekday rule looks at the day the slot was
 *    scheduled on, D, never at the day it is delivered on. Saturday's and
 *    Sunday's own 23:00 slots do not exist, so the next one after that
 *    Saturday 07:00 is Tuesday 07:00 (Monday's).
 *
 * Quiet hours only ever move a delivery later, and by the same wall-clock
 * amount every day, so deliveries keep their order, and one day's delivery
 * wall time always comes before the next day's scheduled wall time.
 *
 * When a slot counts as done. subs_next(after) returns the delivery of the
 * first slot that `after` has not taken. A slot is taken once `after`
 * reaches its NOMINAL instant, even when its shifted delivery is still to
 * come - or, when a clock change squeezes that nominal instant to or
 * before the previous day's delivery, once `after` passes that delivery.
 * So:
 *  - walking, after = the previous result, gives exactly one delivery per
 *    matching day, in order, never two on one day and never skipping one;
 *  - a person with at 06:00 and quiet 22:00-07:00 who already had 06:00's
 *    question (delivered before they set quiet hours), or who subscribes
 *    at 06:50, gets the next one tomorrow at 07:00, not today at 07:00;
 *  - a caller that passes "now" instead of the last delivery between a
 *    slot's nominal time and its delivery skips that slot: pass the last
 *    delivery (the stored next_at once delivered) to keep it.
 * Two days' deliveries are 24 wall-clock hours apart, so they can only
 * fall on one instant (and one be lost) when a single clock jump spans
 * more than a day; none in the tz database does (Samoa skipped exactly
 * 2011-12-30, whose delivery then comes at the jump's end).
 *
 * Pauses: nothing is due before paused_until; the first delivery is the
 * first one of the normal walk that is at or after paused_until (the
 * paused days are not made up, nothing comes in a burst). The comparison is
 * with the delivery instant: a 06:00 slot shifted to 07:00 by quiet hours
 * is delivered at 07:00 after a pause that ends at 06:30.
 *
 * Times of day are minutes after local midnight, 0..1439. A quiet window
 * is [start, end); start == end means no quiet hours; end < start wraps
 * midnight.
 */
#ifndef DRILL_SUBS_H
#define DRILL_SUBS_H

#include <stdbool.h>
#include <stdint.h>

#include "drill/common.h"

struct tz;

#define SUBS_DEFAULT_AT 540			/* 09:00 */
#define SUBS_PAUSE_MIN 3600			/* shortest pause: 1 hour */
#define SUBS_PAUSE_MAX (365 * 86400)		/* longest pause: 365 days */
#define SUBS_INPUT_MAX 64			/* longer arguments are refused unread */
#define SUBS_MARGIN_DAYS 32			/* subs_next's instants stay this far inside tz.h's range */

/* A person's subscription as subs_next needs it: a plain value. */
struct subs_rule {
	int at;			/* local minutes after midnight, 0..1439 (default 9:00 = 540) */
	bool weekdays;		/* Monday..Friday only; false: every day */
	int quiet_start;	/* local minutes; quiet_start == quiet_end: no quiet hours */
	int quiet_end;		/* the window is [start, end), and wraps midnight when end < start */
};

/*
 * Parses a time of day into minutes after midnight: 24-hour "HH:MM"
 * (00:00..23:59, a one or two digit hour, exactly two digit minutes:
 * "9:30", "09:30") or 12-hour with "am"/"pm" (any case) right after the
 * hour or the minutes ("9am", "9:30pm", "12am" = 00:00, "12pm" = 12:00;
 * hours 1..12). No spaces, signs or seconds; a bare "9" is refused as
 * ambiguous. Returns 0, or DRILL_EINVAL leaving *minutes unchanged.
 */
int subs_parse_time(const char *s, int *minutes) DRILL_WUR;

/*
 * Parses quiet hours: two times as subs_parse_time reads them joined by
 * '-', with optional spaces or tabs around the '-' ("22:00-07:00",
 * "10pm - 7am"), into *start and *end; "off" or "none" (any case) gives
 * start == end == 0, no quiet hours. Two equal times are an empty window
 * and refused: "off" says that. Returns 0, or DRILL_EINVAL leaving both
 * outputs unchanged.
 */
int subs_parse_quiet(const char *s, int *start, int *end) DRILL_WUR;

/*
 * Parses the length of a pause into seconds: one or more "<number><unit>"
 * with units w (week), d (day), h (hour), any case, largest unit first and
 * each at most once, no spaces ("7d", "2w", "36h", "1d12h", "1w3d"). The
 * total must be SUBS_PAUSE_MIN..SUBS_PAUSE_MAX (1 hour to 365 days: "52w"
 * passes, "53w" does not). Returns 0, or DRILL_EINVAL leaving *seconds
 * unchanged.
 */
int subs_parse_pause(const char *s, int64_t *seconds) DRILL_WUR;

/*
 * Whether local minute m is inside r's quiet window (false for an m
 * outside 0..1439, and always false without quiet hours).
 */
bool subs_quiet(const struct subs_rule *r, int m);

/*
 * The delivery instant (Unix seconds, strictly after `after`) of the first
 * slot of r in zone tz (NULL: UTC) that `after` has not taken and that is
 * delivered at or after paused_until (0, or any instant at or before
 * after: not paused) - the rules are at the top of this file.
 * Returns 0 with *next set; DRILL_EINVAL, *next unchanged, for a rule with
 * a field outside 0..1439, or for after or paused_until outside tz.h's
 * range less SUBS_MARGIN_DAYS at either end; DRILL_ENOTFOUND only for a
 * zone whose clock jumps by more than a week (no real zone does).
 */
int subs_next(const struct subs_rule *r, const struct tz *tz, int64_t after,
    int64_t paused_until, int64_t *next) DRILL_WUR;

/*
 * Writes minutes as "HH:MM" ("09:30") into buf for messages; "--:--" for
 * a value outside 0..1439.
 */
void subs_format_time(int minutes, char buf[6]);

#endif
