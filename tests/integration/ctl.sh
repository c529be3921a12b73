#!/bin/sh
# The control socket with the real binaries: a drilld in daemon mode answers
# `drillctl status` (text and JSON) on state_dir/drilld.sock, mode 0600; bad
# requests get an error and leave it running; a second drilld on the same
# state_dir refuses to start while the first keeps running; SIGTERM ends it
# with exit 0 and removes the socket, after which drillctl says drilld is
# not running; a stale socket left by a killed daemon is replaced; and
# `drilld --console` answers too, listing the console as a platform.
set -eu
DRILLD=${DRILLD:-build/drilld}
DRILLCTL=${DRILLCTL:-build/drillctl}
top=$(pwd)
tmp=$(mktemp -d)
pid=""
pid2=""
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	[ -n "$pid2" ] && kill -9 "$pid2" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
unset DRILLD_CONFIG || true

fail() {
	echo "FAIL: $*"
	for f in err out cerr cout; do
		[ -s "$tmp/$f" ] && { echo "--- $f:"; head -c 2000 "$tmp/$f"; }
	done
	exit 1
}
command -v python3 >/dev/null 2>&1 || fail "expected python3 (for the JSON checks), found none"

# wait_for FILE PATTERN: up to 10 s for PATTERN to show up in FILE.
wait_for() {
	i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 200 ] || fail "waited in vain for \"$2\" in $1"; sleep 0.05
	done
}
# status ARGS...: drillctl status; stdout in $tmp/cout, stderr in $tmp/cerr, exit in $rc.
status() {
	rc=0
	"$DRILLCTL" status "$@" > "$tmp/cout" 2> "$tmp/cerr" || rc=$?
}
# raw REQUEST: sends REQUEST as it is to the socket and prints the reply.
raw() {
	python3 - "$sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode("utf-8", "surrogateescape"))
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("utf-8", "replace"))
PY
}

cat > "$tmp/min.conf" <<CONF
state_dir = "state";
banks = [ "$top/questions" ];
CONF
sock="$tmp/state/drilld.sock"
version=$("$DRILLD" --version | sed 's/^drilld //')

# No daemon yet: drillctl says so.
status -c "$tmp/min.conf"
[ "$rc" -eq 1 ] || fail "status without a daemon: exit $rc, expected 1"
grep -q "^drillctl: drilld is not running (no control socket at $sock)" "$tmp/cerr" ||
	fail "status without a daemon: message"

# ---------------------------------------------------------------- daemon mode
"$DRILLD" -c "$tmp/min.conf" --log-level info > "$tmp/out" 2> "$tmp/err" &
pid=$!
wait_for "$tmp/err" "drilld starting"
grep -q "control=$sock" "$tmp/err" || fail "start-up line lacks the control socket"
[ -S "$sock" ] || fail "no socket at $sock"
[ "$(stat -c %a "$sock")" = 600 ] || fail "socket mode $(stat -c %a "$sock"), expected 600"

status -c "$tmp/min.conf"
[ "$rc" -eq 0 ] || fail "status: exit $rc"
grep -qx "version: $version" "$tmp/cout" || fail "status: version"
grep -qx "pid: $pid" "$tmp/cout" || fail "status: pid"
grep -qx "uptime_s: [0-9][0-9]*" "$tmp/cout" || fail "status: uptime"
grep -qx "questions: [1-9][0-9]*" "$tmp/cout" || fail "status: questions"
grep -qx "state_dir: $tmp/state" "$tmp/cout" || fail "status: state_dir"
grep -qx "config: .*/min.conf" "$tmp/cout" || fail "status: config"
grep -qx "platforms: none" "$tmp/cout" || fail "status: platforms"
grep -q "^ok" "$tmp/cout" && fail "status: text shows ok"

status --format json -c "$tmp/min.conf"
[ "$rc" -eq 0 ] || fail "status --format json: exit $rc"
python3 - "$tmp/cout" "$version" "$pid" "$tmp/state" <<'PY' || fail "status --format json: contents"
import json, re, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is True, r
assert r["version"] == sys.argv[2], r
assert r["pid"] == int(sys.argv[3]), r
assert isinstance(r["uptime_s"], int) and r["uptime_s"] >= 0, r
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["started_at"]), r
assert r["state_dir"] == sys.argv[4], r
assert isinstance(r["questions"], int) and r["questions"] > 0, r
assert r["platforms"] == [], r
assert r["config"].endswith("/min.conf"), r
PY

# Usage errors are drillctl's own (exit 2).
set +e
"$DRILLCTL" status extra -c "$tmp/min.conf" > /dev/null 2>&1; r1=$?
"$DRILLCTL" status --question x -c "$tmp/min.conf" > /dev/null 2>&1; r2=$?
set -e
[ "$r1" -eq 2 ] && [ "$r2" -eq 2 ] || fail "status usage errors: exit $r1 and $r2, expected 2"

# Bad requests get ok=false and leave the daemon running.
raw '{"command":"reboot"}' | grep -q '"ok":false,"error":"unknown command' || fail "unknown command reply"
raw '{"command":' | grep -q '"ok":false,"error":"incomplete JSON' || fail "malformed JSON reply"
raw '["status"]' | grep -q '"ok":false,"error":"the request must be a JSON object' || fail "array reply"
raw "$(printf '{"command":"st\377tus"}')" | grep -q 'not valid UTF-8' || fail "invalid UTF-8 reply"
raw '{"command":"status"}' | grep -q '"ok":true' || fail "raw status reply"
kill -0 "$pid" || fail "drilld died on bad requests"

# A second drilld on the same state_dir refuses, clearly; the first runs on.
set +e
timeout 20 "$DRILLD" -c "$tmp/min.conf" < /dev/null > "$tmp/out2" 2> "$tmp/err2"; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "second drilld: exit $rc, expected 1"
grep -q "another drilld is already running: it answers on $sock" "$tmp/err2" ||
	{ cat "$tmp/err2"; fail "second drilld: message"; }
grep -q "drilld starting" "$tmp/err2" && fail "second drilld got as far as starting"
kill -0 "$pid" || fail "the first drilld died"
[ -S "$sock" ] || fail "the second drilld removed the first one's socket"
status -c "$tmp/min.conf"
[ "$rc" -eq 0 ] || fail "status after the second drilld: exit $rc"

# SIGTERM: exit 0, socket gone, drillctl says not running.
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
pid=""
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc, expected 0"
grep -q "drilld stopped" "$tmp/err" || fail "SIGTERM: no clean stop"
[ ! -e "$sock" ] || fail "the socket outlived drilld"
status -c "$tmp/min.conf"
[ "$rc" -eq 1 ] || fail "status after stop: exit $rc, expected 1"
grep -q "^drillctl: drilld is not running" "$tmp/cerr" || fail "status after stop: message"

# ---------------------------------------------------------------- stale socket
"$DRILLD" -c "$tmp/min.conf" --log-level info > "$tmp/out" 2> "$tmp/err" &
pid=$!
wait_for "$tmp/err" "drilld starting"
kill -9 "$pid"
set +e; wait "$pid"; set -e
pid=""
[ -S "$sock" ] || fail "kill -9 should leave the socket file behind"
status -c "$tmp/min.conf"
[ "$rc" -eq 1 ] || fail "status with a stale socket: exit $rc, expected 1"
grep -q "^drillctl: drilld is not running" "$tmp/cerr" || fail "stale socket: message"
"$DRILLD" -c "$tmp/min.conf" --log-level info > "$tmp/out" 2> "$tmp/err" &
pid=$!
wait_for "$tmp/err" "drilld starting"
status -c "$tmp/min.conf"
[ "$rc" -eq 0 ] || fail "status after replacing a stale socket: exit $rc"
kill -INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
pid=""
[ "$rc" -eq 0 ] || fail "SIGINT: exit $rc, expected 0"
[ ! -e "$sock" ] || fail "the socket outlived drilld after SIGINT"

# ---------------------------------------------------------------- console mode
mkfifo "$tmp/in"
"$DRILLD" --console -c "$tmp/min.conf" < "$tmp/in" > "$tmp/out" 2> "$tmp/err" &
pid2=$!
exec 3> "$tmp/in"
i=0
until [ -S "$sock" ] && "$DRILLCTL" status -c "$tmp/min.conf" > "$tmp/cout" 2> "$tmp/cerr"; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "console drilld: no control socket"; sleep 0.05
done
grep -qx "platforms: name=console enabled=true state=running" "$tmp/cout" ||
	fail "console drilld: platforms"
echo quit >&3
exec 3>&-
set +e; wait "$pid2"; rc=$?; set -e
pid2=""
[ "$rc" -eq 0 ] || fail "console drilld: exit $rc, expected 0"
[ ! -e "$sock" ] || fail "the socket outlived the console drilld"
echo "ctl ok"
