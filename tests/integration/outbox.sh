#!/bin/sh
# The outbox as an operator meets it: drillctl status counts queued and
# failed messages, `drillctl outbox failed` lists a failed one with its
# reason, and `drillctl outbox retry ID` queues it again through the daemon.
set -eu
DRILLD=${DRILLD:-build/drilld}
DRILLCTL=${DRILLCTL:-build/drillctl}
top=$(pwd)
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

fail() { echo "FAIL: $*"; [ -f "$tmp/err" ] && { echo "--- drilld stderr:"; cat "$tmp/err"; }; exit 1; }
command -v sqlite3 >/dev/null || fail "sqlite3 is needed (make deps installs it)"

cat > "$tmp/drilld.conf" <<CONF
state_dir = "state";
banks = [ "$top/tests/data/mini.json" ];
CONF
start() {
	: > "$tmp/err"
	"$DRILLD" -c "$tmp/drilld.conf" --log-level info 2> "$tmp/err" &
	pid=$!
	i=0
	until grep -q "drilld starting" "$tmp/err"; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "drilld did not start"; sleep 0.05
	done
}
stop() {
	kill -TERM "$pid"
	set +e; wait "$pid"; rc=$?; set -e
	pid=""
	[ "$rc" -eq 0 ] || fail "drilld exited $rc"
}

start
"$DRILLCTL" status -c "$tmp/drilld.conf" > "$tmp/out" || fail "status"
grep -qx "outbox.queued: 0" "$tmp/out" || fail "status lacks outbox.queued: $(cat "$tmp/out")"
grep -qx "outbox.failed: 0" "$tmp/out" || fail "status lacks outbox.failed"
"$DRILLCTL" outbox failed -c "$tmp/drilld.conf" > "$tmp/out" || fail "outbox failed"
grep -qx "failed: none" "$tmp/out" || fail "expected no failed messages: $(cat "$tmp/out")"
stop

# A message that failed for good, as a platform would leave it.
sqlite3 "$tmp/state/drilld.db" "INSERT INTO outbox (platform, destination, idem_key,
    payload, state, attempts, next_at, created_at, last_error) VALUES ('slack',
    'slack:C0123', 'k1', '{}', 'failed', 8, 0, 0, 'channel_not_found');"

start
"$DRILLCTL" status -c "$tmp/drilld.conf" > "$tmp/out"
grep -qx "outbox.failed: 1" "$tmp/out" || fail "status does not count the failed message"
"$DRILLCTL" outbox failed -c "$tmp/drilld.conf" --format json > "$tmp/out" || fail "outbox failed json"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
f = r["failed"]
assert len(f) == 1 and f[0]["destination"] == "slack:C0123", f
assert f[0]["error"] == "channel_not_found" and f[0]["attempts"] == 8, f
' "$tmp/out" || fail "outbox failed json contents: $(cat "$tmp/out")"
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["failed"][0]["id"])' "$tmp/out")
"$DRILLCTL" outbox retry "$id" -c "$tmp/drilld.conf" > "$tmp/out" || fail "outbox retry"
grep -q "message $id queued again" "$tmp/out" || fail "retry message"
"$DRILLCTL" status -c "$tmp/drilld.conf" > "$tmp/out"
grep -qx "outbox.failed: 0" "$tmp/out" || fail "still counted as failed after retry"
grep -qx "outbox.queued: 1" "$tmp/out" || fail "not queued after retry"
set +e
"$DRILLCTL" outbox retry "$id" -c "$tmp/drilld.conf" 2> "$tmp/out"; rc=$?
"$DRILLCTL" outbox retry nonsense -c "$tmp/drilld.conf" 2>/dev/null; rc2=$?
set -e
[ "$rc" -eq 1 ] || fail "retrying a queued message exited $rc, expected 1"
grep -q "no failed message with id $id" "$tmp/out" || fail "retry error: $(cat "$tmp/out")"
[ "$rc2" -eq 2 ] || fail "a bad id exited $rc2, expected 2"
stop
[ "$(sqlite3 "$tmp/state/drilld.db" "select state || ':' || idem_key from outbox")" = "queued:k1" ] ||
	fail "the message lost its idempotency key or state"
echo "outbox ok"
