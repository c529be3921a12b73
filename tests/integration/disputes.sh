#!/bin/sh
# The dispute loop as a bank maintainer meets it: a person answers in the
# real `drilld --console` and disputes the score; `drillctl disputes` lists
# it (newest first, with score, dimensions, rubric version and reason, the
# answer only with --answers), in text and JSON, filtered by --since and
# --limit, and says when the rubric changed since the score.
set -eu
DRILLD=${DRILLD:-build/drilld}
DRILLCTL=${DRILLCTL:-build/drillctl}
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

fail() { echo "FAIL: $*"; echo "--- output:"; cat "$tmp/out" 2>/dev/null; exit 1; }
expect() { grep -q -- "$1" "$tmp/out" || fail "expected \"$1\""; }
reject() { ! grep -q -- "$1" "$tmp/out" || fail "did not expect \"$1\""; }

mkdir "$tmp/banks"
cp "$top/tests/data/mini.json" "$tmp/banks/"
cat > "$tmp/drilld.conf" <<CONF
state_dir = "state";
banks = [ "$tmp/banks" ];
console: { color = "never"; };
CONF

if "$DRILLCTL" -c "$tmp/drilld.conf" disputes > "$tmp/out" 2>&1; then
	fail "disputes before drilld ever ran"
fi
expect "no database at .*has drilld run yet"

# Two answers, both disputed; the second dispute has no reason.
cat > "$tmp/in" <<'IN'
practice databases
I would add an index on the filter column.
.
dispute I did say index, that is the fix
practice teamwork
I talked to my colleague.
.
dispute
IN
"$DRILLD" --console -c "$tmp/drilld.conf" < "$tmp/in" > "$tmp/session" 2>&1 ||
	{ cat "$tmp/session"; fail "the console session failed"; }
grep -q "your dispute is stored" "$tmp/session" || { cat "$tmp/session"; fail "no dispute stored"; }
"$DRILLCTL" -c "$tmp/drilld.conf" disputes --since 2099-01-01 > "$tmp/out" || fail "--since"
expect "No disputes in that time."

"$DRILLCTL" -c "$tmp/drilld.conf" disputes > "$tmp/out" || fail "disputes exited $?"
expect "^#2 .* console:local  mini.conflict$"
expect "^#1 .* console:local  mini.slow-query$"
expect "score [0-9]* ([a-z]*): relevance [0-9]*, structure [0-9]*, clarity [0-9]*, impact [0-9]*"
expect "rubric [0-9a-f]\{16\} (current)"
expect "reason: I did say index, that is the fix"
expect "reason: (none given)"
expect "^2 disputes$"
reject "add an index on the filter"		# answers are personal data: only on request
[ "$(grep -n '^#' "$tmp/out" | head -1 | cut -c1-3)" = "1:#" ] || fail "no listing"
[ "$(grep '^#' "$tmp/out" | head -1 | cut -c1-2)" = "#2" ] || fail "not newest first"

"$DRILLCTL" -c "$tmp/drilld.conf" disputes --answers --limit 1 > "$tmp/out" || fail "--answers --limit"
expect "answer: I talked to my colleague."
expect "1 dispute (the newest; --limit shows more)"
reject "mini.slow-query"

"$DRILLCTL" -c "$tmp/drilld.conf" disputes --since 1d > "$tmp/out" || fail "--since 1d"
expect "^2 disputes$"
if "$DRILLCTL" -c "$tmp/drilld.conf" disputes --since yesterday > "$tmp/out" 2>&1; then
	fail "--since yesterday accepted"
fi
expect "--since wants a date like 2026-11-01 or days like 30d"

"$DRILLCTL" -c "$tmp/drilld.conf" disputes --format json --answers > "$tmp/out" || fail "json"
python3 - "$tmp/out" <<'PY' || fail "the JSON listing is wrong"
import json, sys
d = json.load(open(sys.argv[1]))["disputes"]
assert len(d) == 2, d
assert d[0]["question"] == "mini.conflict" and d[0]["reason"] is None, d[0]
assert d[1]["reason"] == "I did say index, that is the fix", d[1]
assert d[1]["answer"].startswith("I would add an index"), d[1]
assert d[1]["rubric_version"] == d[1]["current_rubric_version"], d[1]
for k in ("score", "relevance", "structure", "clarity", "impact", "grade", "person"):
    assert k in d[1], k
PY

# The rubric changes: the listing says the score would differ now.
python3 - "$tmp/banks/mini.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
for q in b["questions"]:
    if q["id"] == "mini.slow-query":
        q["rubric"][0]["phrases"].append("filter column")
json.dump(b, open(sys.argv[1], "w"))
PY
"$DRILLCTL" -c "$tmp/drilld.conf" disputes > "$tmp/out" || fail "after the rubric change"
expect "(changed since: the score would differ now)"
echo "disputes.sh: ok"
