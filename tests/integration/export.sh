#!/bin/sh
# People's data from the shell, as an admin meets it: after answers in the
# real `drilld --console`, `drillctl export` writes a conversation's
# answers and scores in a date range as CSV (RFC 4180, formula-like cells
# defused) and JSON; bad dates and missing options are errors; and the
# person's own `my data` and `forget me` work end to end: after `forget
# me confirm` the database holds nothing of them.
set -eu
DRILLD=${DRILLD:-build/drilld}
DRILLCTL=${DRILLCTL:-build/drillctl}
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

fail() { echo "FAIL: $*"; echo "--- output:"; cat "$tmp/out" 2>/dev/null; exit 1; }
expect() { grep -q -- "$1" "$tmp/out" || fail "expected \"$1\""; }
command -v python3 >/dev/null 2>&1 || fail "expected python3 (for the CSV and JSON checks)"

mkdir "$tmp/banks"
cp "$top/tests/data/mini.json" "$tmp/banks/"
cat > "$tmp/drilld.conf" <<CONF
state_dir = "state";
banks = [ "$tmp/banks" ];
console: { color = "never"; };
CONF

cat > "$tmp/in" <<'IN'
practice databases
=HYPERLINK("http://evil.example") I would run EXPLAIN ANALYZE, "then" add an index, and measure p95.
.
practice teamwork
I talked to my colleague.
.
IN
"$DRILLD" --console -c "$tmp/drilld.conf" < "$tmp/in" > "$tmp/session" 2>&1 ||
	{ cat "$tmp/session"; fail "the console session failed"; }

today=$(date -u +%Y-%m-%d)
"$DRILLCTL" -c "$tmp/drilld.conf" export --conversation console:local --format csv > "$tmp/out" ||
	fail "export csv exited $?"
python3 - "$tmp/out" <<'PY' || fail "the CSV"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0][:4] == ["answered_at", "person", "question_id", "score"], rows[0]
assert len(rows) == 3, rows
a, b = rows[1], rows[2]
assert a[1] == "console:local" and a[2] == "mini.slow-query", a
assert b[2] == "mini.conflict", b
assert int(a[3]) > int(b[3]), (a[3], b[3])
assert a[-1].startswith("'=HYPERLINK"), a[-1]		# a spreadsheet will not run it
assert '"then"' in a[-1], a[-1]
PY
"$DRILLCTL" -c "$tmp/drilld.conf" export --conversation console:local --format json \
    --since "$today" > "$tmp/out" || fail "export json exited $?"
python3 - "$tmp/out" <<'PY' || fail "the JSON"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["conversation"] == "console:local", r
assert [a["question_id"] for a in r["answers"]] == ["mini.slow-query", "mini.conflict"], r
assert all(set(a) >= {"answered_at", "person", "score", "grade", "text", "late"} for a in r["answers"])
PY
"$DRILLCTL" -c "$tmp/drilld.conf" export --conversation console:local --format json \
    --until "$today" > "$tmp/out" || fail "export --until"
python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['answers'] == []" "$tmp/out" ||
	fail "--until today: nothing before it"
"$DRILLCTL" -c "$tmp/drilld.conf" export --conversation slack:CNONE --format csv > "$tmp/out" ||
	fail "export of an empty conversation"
[ "$(wc -l < "$tmp/out")" -eq 1 ] || fail "an empty conversation has only the header"

# Bad input: a message and exit 1; a usage error exit 2.
set +e
"$DRILLCTL" -c "$tmp/drilld.conf" export --conversation console:local --format csv \
    --since 2026-13-01 > "$tmp/out" 2>&1; r1=$?
"$DRILLCTL" -c "$tmp/drilld.conf" export --conversation console:local --format csv \
    --since 2026-02-01 --until 2026-01-01 > "$tmp/out2" 2>&1; r2=$?
"$DRILLCTL" -c "$tmp/drilld.conf" export --format csv > /dev/null 2>&1; r3=$?
"$DRILLCTL" -c "$tmp/drilld.conf" export --conversation console:local > /dev/null 2>&1; r4=$?
set -e
[ "$r1" -eq 1 ] || fail "a bad --since: exit $r1"
expect "drillctl: --since:"
[ "$r2" -eq 1 ] || fail "--until before --since: exit $r2"
grep -q "must be after" "$tmp/out2" || fail "--until before --since: message"
[ "$r3" -eq 2 ] && [ "$r4" -eq 2 ] || fail "usage errors: exit $r3 and $r4, expected 2"

# my data, then forget me: nothing of the person is left.
printf 'my data\nforget me confirm\nforget me\nforget me confirm\nquit\n' > "$tmp/in"
"$DRILLD" --console -c "$tmp/drilld.conf" < "$tmp/in" > "$tmp/out" 2>&1 ||
	fail "the second console session failed"
expect "Everything drilld keeps about you"
expect '"question_id": "mini.slow-query"'
expect "write .forget me confirm. within 10 minutes"
expect "Done: everything I kept about you is erased"
db="$tmp/state/drilld.db"
for q in "SELECT count(*) FROM answers" "SELECT count(*) FROM progress" \
    "SELECT count(*) FROM deliveries WHERE person_id IS NOT NULL" \
    "SELECT count(*) FROM people WHERE name = 'console:local'"; do
	n=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$db" "$q")
	[ "$n" = 0 ] || fail "after forget me, $q gives $n"
done
! grep -q "HYPERLINK" "$db" "$db-wal" 2>/dev/null || fail "the answer's text is still in the database files"
echo "ok: export"
