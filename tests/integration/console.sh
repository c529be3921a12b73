#!/bin/sh
# A whole practice session piped through the real `drilld --console`:
# greeting, question, a multi-line answer ended by ".", feedback, the model
# answer and a follow-up; commands; progress persisted across runs; end of
# input exits 0; bad input answered, not crashed on.
set -eu
DRILLD=${DRILLD:-build/drilld}
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

fail() { echo "FAIL: $*"; echo "--- transcript:"; cat "$tmp/out" 2>/dev/null; exit 1; }
expect() { grep -q -- "$1" "$tmp/out" || fail "expected \"$1\" in the transcript"; }
reject() { ! grep -q -- "$1" "$tmp/out" || fail "did not expect \"$1\" in the transcript"; }

cat > "$tmp/drilld.conf" <<CONF
state_dir = "state";
banks = [ "$top/tests/data/mini.json" ];
console: { color = "never"; };
CONF

# 1. A session from a file: the slow-query question, hint, answer, stats.
cat > "$tmp/in1" <<'IN'
practice databases
hint
I would start with EXPLAIN ANALYZE to read the query plan, because guessing wastes time.
Usually a missing index on the filter column causes a sequential scan, so I add a composite index.
I also look for an N+1 pattern in the calling code, and I paginate large results.
For example, at my last job this took the p95 latency from 4 s to 30 ms.
.
stats
IN
"$DRILLD" --console -c "$tmp/drilld.conf" < "$tmp/in1" > "$tmp/out" 2> "$tmp/err" ||
	fail "drilld exited $? (stderr: $(cat "$tmp/err"))"
expect "drilld: interview practice"
expect "Question · databases, performance · technical · mid"
expect "A query that used to take 20 ms"
expect "Hint 1 of 5 (query plan)"
expect "Score [0-9]*/100 ([a-z]*)"
expect "Relevance [0-9]* · Structure [0-9]* · Clarity [0-9]* · Impact [0-9]*"
expect "Covered"
expect "query plan: \"EXPLAIN ANALYZE\""
expect "n+1 queries: \"N+1\""
expect "Model answer"
expect "Follow-up question: When would you denormalise"
expect "Noted with this score: hints used"
expect "Answered: 1"
expect "Streak: 1 day"
score=$(sed -n 's/^Score \([0-9]*\)\/100.*/\1/p' "$tmp/out" | head -n 1)
[ "$score" -ge 60 ] || fail "a strong answer scored $score, expected at least 60"
[ -f "$tmp/state/drilld.db" ] || fail "no database in state_dir"

# 2. Progress persists: a second run (through a pipe) sees the first answer.
printf 'stats\nquit\n' | "$DRILLD" --console -c "$tmp/drilld.conf" > "$tmp/out" 2> "$tmp/err" ||
	fail "second run exited $?"
expect "Answered: 1"
expect "Bye. Your progress is saved."

# 3. An open question survives a restart; end of input submits an unfinished answer.
printf 'practice behavioral\n' | "$DRILLD" --console -c "$tmp/drilld.conf" > "$tmp/out" 2>&1 ||
	fail "third run exited $?"
expect "Tell me about a time you disagreed"
printf 'At my last job I listened to their point and we agreed to measure it with a benchmark.' |
	"$DRILLD" --console -c "$tmp/drilld.conf" > "$tmp/out" 2>&1 || fail "fourth run exited $?"
expect "Your open question from last time"
expect "Score [0-9]*/100"
printf 'stats\n' | "$DRILLD" --console -c "$tmp/drilld.conf" > "$tmp/out" 2>&1
expect "Answered: 2"

# 4. Bad input gets a clear reply, and the session goes on.
printf 'practice databases\n\377\376 broken\n.\nskip\npractice astrology\n' |
	"$DRILLD" --console -c "$tmp/drilld.conf" > "$tmp/out" 2>&1 || fail "bad-input run exited $?"
expect "not valid UTF-8"
expect "I don't know \"astrology\""
reject "Score"

# 5. quit (any case) mid-answer leaves without sending the draft.
printf 'practice databases\nI think I would\nQUIT\nstats\n' |
	"$DRILLD" --console -c "$tmp/drilld.conf" > "$tmp/out" 2>&1 || fail "quit run exited $?"
expect "Your unfinished answer was not sent"
reject "Score"
reject "Your practice"
printf 'stats\n' | "$DRILLD" --console -c "$tmp/drilld.conf" > "$tmp/out" 2>&1
expect "Answered: 2"

# 6. End of input with nothing typed exits 0; no stdin at all too.
"$DRILLD" --console -c "$tmp/drilld.conf" < /dev/null > "$tmp/out" 2>&1 || fail "/dev/null stdin exited $?"
expect "Question ·"
"$DRILLD" --console -c "$tmp/drilld.conf" <&- > "$tmp/out" 2>&1 || fail "closed stdin exited $?"

# 7. The answer is stored with its breakdown and rubric version.
if command -v sqlite3 >/dev/null 2>&1; then
	n=$(sqlite3 "$tmp/state/drilld.db" "select count(*) from answers where rubric_version <> '' and breakdown like '%covered%'")
	[ "$n" = 2 ] || fail "expected 2 stored answers with breakdown, found $n"
fi
echo "console session ok"
