#!/bin/sh
# The real drilld as an operator meets it: --version, the config checker
# (every problem with file and line), a minimal config, start-up with a
# database newer than the binary, and SIGTERM/SIGINT ending it cleanly.
set -eu
DRILLD=${DRILLD:-build/drilld}
top=$(pwd)
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

fail() { echo "FAIL: $*"; [ -f "$tmp/err" ] && { echo "--- stderr:"; cat "$tmp/err"; }; exit 1; }

"$DRILLD" --version | grep -qx "drilld [0-9.]*" || fail "--version"

# A minimal config: state_dir and banks, everything else defaulted.
cat > "$tmp/min.conf" <<CONF
state_dir = "state";
banks = [ "$top/questions" ];
CONF
"$DRILLD" -t -c "$tmp/min.conf" > "$tmp/out" 2> "$tmp/err" || fail "minimal config refused"
grep -q "configuration ok" "$tmp/out" || fail "-t did not say ok"
[ ! -e "$tmp/state" ] || fail "-t created the state directory"
"$DRILLD" -t -c "$top/config/drilld.conf" > /dev/null 2> "$tmp/err" || fail "shipped config refused"

# A broken config: every problem, one line each, file:line: option: problem.
cat > "$tmp/bad.conf" <<'CONF'
state_dir = "state";
banks = [ "q" ];
log_levle = "debug";
store: { busy_timeout = "5 parsecs"; };
practice: { level = "guru"; max_answer = 12; };
console: { colour = "never"; };
CONF
if "$DRILLD" -t -c "$tmp/bad.conf" > "$tmp/out" 2> "$tmp/err"; then fail "broken config accepted"; fi
grep -qx "$tmp/bad.conf:3: log_levle: unknown option" "$tmp/err" || fail "unknown option line"
grep -q "^$tmp/bad.conf:4: store.busy_timeout: " "$tmp/err" || fail "bad unit line"
grep -q "^$tmp/bad.conf:5: practice.level: " "$tmp/err" || fail "bad level line"
grep -q "^$tmp/bad.conf:5: practice.max_answer: " "$tmp/err" || fail "wrong type line"
grep -q "^$tmp/bad.conf:6: console.colour: unknown option" "$tmp/err" || fail "nested unknown option"
[ "$(wc -l < "$tmp/err")" -eq 5 ] || fail "expected exactly 5 problem lines"

printf 'state_dir = "s";\nbanks = [ "q" ];\nlog_level = ;\n' > "$tmp/syntax.conf"
if "$DRILLD" -t -c "$tmp/syntax.conf" 2> "$tmp/err"; then fail "syntax error accepted"; fi
grep -q "^$tmp/syntax.conf:3: syntax error" "$tmp/err" || fail "syntax error line"

if "$DRILLD" -t -c "$tmp/none.conf" 2> "$tmp/err"; then fail "missing config accepted"; fi
grep -q "none.conf: cannot read" "$tmp/err" || fail "missing config message"

set +e
"$DRILLD" --log-level loud -t -c "$tmp/min.conf" 2> /dev/null; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "bad --log-level exited $rc, expected 2"

# The daemon runs until SIGTERM (or SIGINT) and exits 0.
for sig in TERM INT; do
	"$DRILLD" -c "$tmp/min.conf" --log-level info > "$tmp/out" 2> "$tmp/err" &
	pid=$!
	i=0
	until grep -q "drilld starting" "$tmp/err"; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "no start-up line"; sleep 0.05
	done
	grep -q "questions=[1-9]" "$tmp/err" || fail "start-up line lacks the settings"
	kill -s "$sig" "$pid"
	set +e; wait "$pid"; rc=$?; set -e
	pid=""
	[ "$rc" -eq 0 ] || fail "SIG$sig: exit $rc, expected 0"
	grep -q "drilld stopped" "$tmp/err" || fail "SIG$sig: no clean stop"
done
[ -f "$tmp/state/drilld.db" ] || fail "no database created"

# SIGHUP reloads the config and banks; a broken one is refused and the old
# one keeps running.
mkdir "$tmp/banks"
cp "$top/tests/data/mini.json" "$tmp/banks/"
cat > "$tmp/hup.conf" <<CONF
state_dir = "state3";
banks = [ "banks" ];
CONF
"$DRILLD" -c "$tmp/hup.conf" --log-level info > "$tmp/out" 2> "$tmp/err" &
pid=$!
wait_for() {
	i=0
	until grep -q "$1" "$tmp/err"; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "waited in vain for \"$1\""; sleep 0.05
	done
}
wait_for "drilld starting"
grep -q "questions=3" "$tmp/err" || fail "expected 3 questions at start"
cp "$top/questions/backend.json" "$tmp/banks/"
kill -HUP "$pid"
wait_for "reloaded config=.* questions=1[0-9]"
echo 'log_level = "loud";' >> "$tmp/hup.conf"
kill -HUP "$pid"
wait_for "reload refused: the new configuration has problems"
grep -q "hup.conf:3: log_level" "$tmp/err" || fail "reload problem not named"
kill -0 "$pid" || fail "drilld died on a broken reload"
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
pid=""
[ "$rc" -eq 0 ] || fail "exit $rc after reloads"

# Under systemd (Type=notify): READY=1 once serving, RELOADING=1 on SIGHUP,
# STOPPING=1 on SIGTERM, sent to the datagram socket $NOTIFY_SOCKET names.
python3 - "$tmp/notify.sock" "$tmp/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)
with open(sys.argv[2], "w") as log:
    try:
        while True:
            msg = s.recv(4096).decode()
            log.write(msg.replace("\n", " ") + "\n")
            log.flush()
            if "STOPPING=1" in msg:
                break
    except socket.timeout:
        pass
PY
npid=$!
i=0
until [ -S "$tmp/notify.sock" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "no notify socket"; sleep 0.05; done
: > "$tmp/err"
NOTIFY_SOCKET="$tmp/notify.sock" "$DRILLD" -c "$tmp/min.conf" --log-level info 2> "$tmp/err" &
pid=$!
i=0
until grep -q "READY=1" "$tmp/notify.log" 2>/dev/null; do i=$((i + 1)); [ $i -lt 100 ] || fail "no READY=1"; sleep 0.05; done
kill -HUP "$pid"
i=0
until grep -q "RELOADING=1" "$tmp/notify.log"; do i=$((i + 1)); [ $i -lt 100 ] || fail "no RELOADING=1"; sleep 0.05; done
i=0
until grep -q "serving (reloaded)" "$tmp/notify.log"; do i=$((i + 1)); [ $i -lt 100 ] || fail "no READY=1 after reload"; sleep 0.05; done
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; wait "$npid"; set -e
pid=""
[ "$rc" -eq 0 ] || fail "exit $rc under NOTIFY_SOCKET"
grep -q "STOPPING=1" "$tmp/notify.log" || fail "no STOPPING=1: $(cat "$tmp/notify.log")"
head -n 1 "$tmp/notify.log" | grep -q "^READY=1 STATUS=serving" || fail "first notification: $(head -n 1 "$tmp/notify.log")"

# A database from a newer drilld is refused, clearly, and left alone.
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 "$tmp/state/drilld.db" "PRAGMA user_version = 99;"
	before=$(md5sum < "$tmp/state/drilld.db")
	if "$DRILLD" -c "$tmp/min.conf" < /dev/null > /dev/null 2> "$tmp/err"; then
		fail "newer schema accepted"
	fi
	grep -q "schema version 99, newer than this drilld" "$tmp/err" || fail "newer schema message"
	[ "$(md5sum < "$tmp/state/drilld.db")" = "$before" ] || fail "newer database was modified"
fi

# A broken bank stops start-up with every problem named.
printf '{"format":1,"questions":[{"id":"x"}]}' > "$tmp/broken.json"
cat > "$tmp/bb.conf" <<CONF
state_dir = "state2";
banks = [ "broken.json" ];
CONF
if "$DRILLD" -c "$tmp/bb.conf" < /dev/null > /dev/null 2> "$tmp/err"; then fail "broken bank accepted"; fi
grep -q "broken.json: x: prompt: required field missing" "$tmp/err" || fail "bank problem not named"
echo "daemon ok"
