#!/bin/sh
# `drillctl schedule next` as an admin checks a schedule before putting it
# in the config: the next fire instants in UTC across daylight-saving
# changes in several zones, without any config file; bad expressions,
# unknown or malicious zone names and bad times are errors (exit 1), a
# missing option is a usage error (exit 2).
set -eu
DRILLCTL=${DRILLCTL:-build/drillctl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
export DRILLD_CONFIG="$tmp/no-such.conf"	# it must not need one

fail() { echo "FAIL: $*"; echo "--- output:"; cat "$tmp/out" 2>/dev/null; exit 1; }
# next CRON ZONE AFTER COUNT EXPECTED...: the lines must be exactly these
next() {
	cron=$1 zone=$2 after=$3 count=$4
	shift 4
	"$DRILLCTL" schedule next --cron "$cron" --timezone "$zone" --after "$after" \
	    --count "$count" > "$tmp/out" 2>&1 || fail "schedule next $cron $zone: exit $?"
	printf '%s\n' "$@" > "$tmp/want"
	cmp -s "$tmp/out" "$tmp/want" || { echo "want:"; cat "$tmp/want"; fail "$cron in $zone"; }
}
refuse() {
	want=$1
	shift
	set +e
	"$DRILLCTL" schedule next "$@" > "$tmp/out" 2>&1
	rc=$?
	set -e
	[ "$rc" = "$want" ] || fail "exit $rc, not $want, for: $*"
}

# Berlin, spring forward (2026-03-29, 02:00 -> 03:00): 02:30 does not
# exist and fires once at 03:00 CEST; CET is +1, CEST +2.
next "30 2 * * *" Europe/Berlin 2026-03-27T00:00:00Z 4 \
    2026-03-27T01:30:00Z 2026-03-28T01:30:00Z 2026-03-29T01:00:00Z 2026-03-30T00:30:00Z
# Berlin, fall back (2026-10-25, 03:00 -> 02:00): 02:30 happens twice and
# fires once, at the first.
next "30 2 * * *" Europe/Berlin 2026-10-24T00:00:00Z 3 \
    2026-10-24T00:30:00Z 2026-10-25T00:30:00Z 2026-10-26T01:30:00Z
# A working-day schedule in New York across 2026-03-08 (EST -5 -> EDT -4).
next "30 9 * * mon-fri" America/New_York 2026-03-06T00:00:00Z 4 \
    2026-03-06T14:30:00Z 2026-03-09T13:30:00Z 2026-03-10T13:30:00Z 2026-03-11T13:30:00Z
# ... and across 2026-11-01 back to EST.
next "0 10 * * 1-5" America/New_York 2026-10-30T00:00:00Z 2 \
    2026-10-30T14:00:00Z 2026-11-02T15:00:00Z
# Kolkata: +05:30 all year.
next "30 9 * * *" Asia/Kolkata 2026-03-28T00:00:00Z 2 \
    2026-03-28T04:00:00Z 2026-03-29T04:00:00Z
# Lord Howe: a 30-minute daylight-saving shift (2026-04-05: +11 -> +10:30).
next "0 9 * * *" Australia/Lord_Howe 2026-04-03T00:00:00Z 3 \
    2026-04-03T22:00:00Z 2026-04-04T22:30:00Z 2026-04-05T22:30:00Z
# --after with an offset; every 15 minutes; names and steps.
next "*/15 * * * *" UTC 2026-01-01T10:07:00+01:00 3 \
    2026-01-01T09:15:00Z 2026-01-01T09:30:00Z 2026-01-01T09:45:00Z
next "0 12 1 jan,jul *" Europe/London 2026-01-01T12:00:00Z 2 \
    2026-07-01T11:00:00Z 2027-01-01T12:00:00Z

# The default --count is 5, and --after defaults to now (future instants).
"$DRILLCTL" schedule next --cron "0 9 * * *" --timezone Europe/Berlin > "$tmp/out" ||
	fail "defaults"
[ "$(wc -l < "$tmp/out")" -eq 5 ] || fail "not 5 lines by default"
grep -qv '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:00Z$' "$tmp/out" &&
	fail "not RFC 3339 UTC"

refuse 1 --cron "0 24 * * *" --timezone UTC
grep -q 'hour: 24 is out of range (0-23)' "$tmp/out" || fail "the hour error"
refuse 1 --cron "0 9 * * *" --timezone Mars/Olympus
grep -q 'unknown time zone "Mars/Olympus"' "$tmp/out" || fail "the zone error"
refuse 1 --cron "0 9 * * *" --timezone ../../etc/passwd
grep -q 'bad time zone name' "$tmp/out" || fail "a path as a zone"
refuse 1 --cron "0 0 30 2 *" --timezone UTC
grep -q 'does not fire' "$tmp/out" || fail "an impossible schedule"
refuse 1 --cron "0 9 * * *" --timezone UTC --after yesterday
grep -q 'is not an RFC 3339 time' "$tmp/out" || fail "a bad --after"
refuse 2 --timezone UTC
refuse 2 --cron "0 9 * * *" --timezone UTC --count 0
echo "schedule.sh: ok"
