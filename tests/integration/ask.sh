#!/bin/sh
# Channel schedules in the running daemon: drilld starts its schedules
# (and says which of them no enabled chat platform can post to), answers
# `drillctl ask CONVERSATION` through its control socket with what it did
# or a clear reason (no such schedule; nothing to post with), keeps the
# schedules over a SIGHUP reload, refuses a reload whose schedule no
# longer loads while running on, and stops cleanly.
set -eu
DRILLD=${DRILLD:-build/drilld}
DRILLCTL=${DRILLCTL:-build/drillctl}
top=$(pwd)
tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
unset DRILLD_CONFIG || true

fail() {
	echo "FAIL: $*"
	for f in err cout cerr; do
		[ -s "$tmp/$f" ] && { echo "--- $f:"; head -c 3000 "$tmp/$f"; }
	done
	exit 1
}
wait_for() {
	i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 200 ] || fail "waited in vain for \"$2\" in $1"; sleep 0.05
	done
}
# ask ARGS...: drillctl ask; stdout in $tmp/cout, stderr in $tmp/cerr, exit in $rc.
ask() {
	rc=0
	"$DRILLCTL" ask "$@" -c "$tmp/d.conf" > "$tmp/cout" 2> "$tmp/cerr" || rc=$?
}
conf() {
	cat > "$tmp/d.conf" <<CONF
state_dir = "state";
banks = [ "$top/questions" ];
admins = [ "slack:UADMIN" ];
schedules = (
  { conversation = "slack:C0123ABCD"; cron = "$1"; timezone = "$2";
    topics = [ "databases" ]; reveal_after = "4h"; }
);
CONF
}

conf "30 9 * * 1-5" Europe/Berlin
ask slack:C0123ABCD
[ "$rc" -eq 1 ] || fail "ask without a daemon: exit $rc, expected 1"
grep -q "drilld is not running" "$tmp/cerr" || fail "ask without a daemon: message"

"$DRILLD" -c "$tmp/d.conf" --log-level info > /dev/null 2> "$tmp/err" &
pid=$!
wait_for "$tmp/err" "drilld starting"
wait_for "$tmp/err" "schedule of conversation=slack:C0123ABCD: no chat platform"

ask slack:C0123ABCD
[ "$rc" -eq 1 ] || fail "ask with no platform: exit $rc, expected 1"
grep -q "no chat platform is enabled to post to slack:C0123ABCD" "$tmp/cerr" ||
	fail "ask with no platform: message"
ask slack:CNOTHERE
[ "$rc" -eq 1 ] || fail "ask of an unscheduled channel: exit $rc, expected 1"
grep -q "slack:CNOTHERE has no schedule in the config" "$tmp/cerr" ||
	fail "ask of an unscheduled channel: message"
rc=0
"$DRILLCTL" ask -c "$tmp/d.conf" > "$tmp/cout" 2> "$tmp/cerr" || rc=$?
[ "$rc" -eq 2 ] || fail "ask without a conversation: exit $rc, expected 2"
rc=0
"$DRILLCTL" ask a b -c "$tmp/d.conf" > "$tmp/cout" 2> "$tmp/cerr" || rc=$?
[ "$rc" -eq 2 ] || fail "ask with two conversations: exit $rc, expected 2"

# A reload with a new schedule is taken; one with an unknown zone is not.
conf "0 10 * * 1-5" Europe/London
kill -HUP "$pid"
wait_for "$tmp/err" "reloaded config="
conf "0 10 * * 1-5" Mars/Olympus
kill -HUP "$pid"
wait_for "$tmp/err" "reload refused"
kill -0 "$pid" 2>/dev/null || fail "drilld died on a refused reload"
conf "0 10 * * 1-5" Europe/London	# drillctl reads state_dir from it
ask slack:C0123ABCD
grep -q "no chat platform is enabled" "$tmp/cerr" || fail "ask after reloads"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" -eq 0 ] || fail "drilld exit $rc after SIGTERM, expected 0"
grep -v "reload refused\|Mars/Olympus" "$tmp/err" | grep -q "error:" &&
	fail "unexpected errors in the log"
echo "ok: ask"
