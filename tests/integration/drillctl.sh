#!/bin/sh
# drillctl end to end, against its own small banks and configs in a temporary
# directory (and the starter bank in questions/): --version, help and usage
# errors (exit 2); lint of a clean and of a broken bank; bank list (text and
# JSON) and bank show; score (the JSON contract for a strong and a weak
# answer, the text readout, empty, too long and invalid UTF-8 answers, unknown
# questions); config errors; and stats and backup against a database written
# by a running `drilld --console` (skipped, with a note, when drilld is not
# built or does not work).
set -eu

DRILLCTL=${DRILLCTL:-build/drillctl}
DRILLD=${DRILLD:-build/drilld}
top=$(pwd)
case $DRILLCTL in /*) ;; *) DRILLCTL=$top/$DRILLCTL ;; esac
case $DRILLD in /*) ;; *) DRILLD=$top/$DRILLD ;; esac
unset DRILLD_CONFIG || true

T=$(mktemp -d)
dpid=""
cleanup() {
	if [ -n "$dpid" ]; then kill "$dpid" 2>/dev/null || true; fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "drillctl.sh: FAIL: $*" >&2
	exit 1
}
note() { echo "drillctl.sh: NOTE: $*"; }

[ -x "$DRILLCTL" ] || fail "expected an executable drillctl at $DRILLCTL, found none (make build/drillctl)"
command -v python3 >/dev/null 2>&1 || fail "expected python3 (for the JSON checks), found none"

# ctl ARGS...: runs drillctl with stdin from $T/in (empty unless written);
# stdout in $T/out, stderr in $T/err, exit status in $rc.
: >"$T/in"
ctl() {
	rc=0
	"$DRILLCTL" "$@" <"$T/in" >"$T/out" 2>"$T/err" || rc=$?
}
show() { echo "stdout: $(head -c 800 "$T/out"); stderr: $(head -c 800 "$T/err")"; }
expect_rc() {
	want=$1
	shift
	[ "$rc" -eq "$want" ] || fail "drillctl $*: expected exit $want, got $rc; $(show)"
}
expect_out() {
	grep -q -- "$1" "$T/out" || fail "$2: expected stdout to match '$1'; $(show)"
}
expect_err() {
	grep -q -- "$1" "$T/err" || fail "$2: expected stderr to match '$1'; $(show)"
}

# ---------------------------------------------------------------- banks
mkdir -p "$T/good" "$T/broken"
python3 - "$T" <<'PY'
import copy, json, sys
t = sys.argv[1]
sql = {
  "id": "t.sql", "type": "technical", "topics": ["databases", "architecture"],
  "level": "mid",
  "prompt": "When would you pick a SQL database over a NoSQL one, and the other way round? What trade-offs drive the choice?",
  "assesses": "Choosing a data store from the shape of the data and its access patterns.",
  "how_to_answer": "Start from access patterns and consistency, then scaling, then a real example.",
  "rubric": [
    {"concept": "relational data", "weight": 3,
     "phrases": ["relational", "join", "foreign key"],
     "hint": "Say which shape of data suits a relational model."},
    {"concept": "transactions", "weight": 3,
     "phrases": ["acid", "transaction", "eventual consistency"],
     "hint": "Say which consistency guarantees the use case needs."},
    {"concept": "access patterns", "weight": 3,
     "phrases": ["access pattern", "lookup by key", "write heavy"],
     "hint": "Tie the choice to how the data is read and written."},
    {"concept": "scaling model", "weight": 2,
     "phrases": ["scale out", "shard", "partition", "read replica"],
     "hint": "Compare how each option grows."},
    {"concept": "named databases", "weight": 2,
     "phrases": ["postgres", "postgresql", "dynamodb", "cassandra"],
     "hint": "Name the databases you compared."}
  ],
  "structure": "claim-reason-example",
  "model_answer": "For most products I start with PostgreSQL because the data is relational and I want ACID transactions.",
  "follow_ups": ["How would you model a many-to-many relationship in a document store?"]
}
star = {
  "id": "t.conflict", "type": "behavioral", "topics": ["teamwork"], "level": "mid",
  "prompt": "Tell me about a time you disagreed with a colleague.",
  "assesses": "Handling disagreement with respect and evidence.",
  "how_to_answer": "Use STAR: situation, task, action, result.",
  "rubric": [
    {"concept": "listening", "weight": 2, "phrases": ["listened", "their point"],
     "hint": "Show that you listened first."},
    {"concept": "evidence", "weight": 3, "phrases": ["benchmark", "data", "measured"],
     "hint": "Settle it with evidence."}
  ],
  "structure": "star",
  "model_answer": "I listened, we agreed on a benchmark, and the data decided.",
  "follow_ups": ["What if the data had been inconclusive?"]
}
def bank(name, qs):
    return {"format": 1, "name": name, "questions": qs}
json.dump(bank("good", [sql, star]), open(t + "/good/drill.json", "w"), indent=1)

one = copy.deepcopy(sql); one["id"] = "x.one"
empty = copy.deepcopy(sql); empty["id"] = "x.empty-prompt"; empty["prompt"] = ""
nophr = copy.deepcopy(sql); nophr["id"] = "x.no-phrases"; nophr["rubric"][1]["phrases"] = []
topic = copy.deepcopy(sql); topic["id"] = "x.bad-topic"; topic["topics"] = ["cooking"]
field = copy.deepcopy(sql); field["id"] = "x.unknown-field"; field["colour"] = "blue"
json.dump(bank("a", [one, empty, nophr, topic, field]), open(t + "/broken/a.json", "w"), indent=1)
dup = copy.deepcopy(sql); dup["id"] = "x.one"
json.dump(bank("b", [dup]), open(t + "/broken/b.json", "w"), indent=1)
PY

cat >"$T/drilld.conf" <<'CONF'
state_dir = "var";
banks = [ "good" ];
practice: { max_answer = "1K"; };
CONF
printf 'state_dir = "var";\nbanks = [ "good" ];\nlog_levle = "info";\n' >"$T/bad.conf"

# ---------------------------------------------------------------- version, help, usage
ctl --version
expect_rc 0 --version
[ "$(cat "$T/out")" = "drillctl 0.1.0" ] || fail "--version: expected 'drillctl 0.1.0', got '$(cat "$T/out")'"
ctl help
expect_rc 0 help
expect_out "usage: drillctl" "help"
ctl -h
expect_rc 0 -h
expect_out "usage: drillctl" "-h"

usage() {
	ctl "$@"
	expect_rc 2 "$@"
	expect_err "usage: drillctl" "drillctl $* (usage error)"
}
usage
usage frobnicate
usage bank
usage bank frob
usage bank show
usage score --bank "$T/good"
usage score --question t.sql --format xml --bank "$T/good"
usage score --question t.sql --bank "$T/good" extra
usage lint --bogus
usage lint -c
usage lint --question t.sql "$T/good"
usage backup
usage backup a b
usage stats
usage stats --question x console:local

# ---------------------------------------------------------------- lint
ctl lint "$T/good"
expect_rc 0 lint good bank
[ "$(cat "$T/out")" = "2 questions in 1 file: ok" ] ||
	fail "lint: expected '2 questions in 1 file: ok', got '$(cat "$T/out")'"
ctl lint "$T/good/drill.json" "$T/broken/b.json"
expect_rc 0 lint two files
[ "$(cat "$T/out")" = "3 questions in 2 files: ok" ] ||
	fail "lint: expected '3 questions in 2 files: ok', got '$(cat "$T/out")'"
if [ -d "$top/questions" ]; then
	ctl lint "$top/questions"
	expect_rc 0 lint questions/
	grep -Eq '^[0-9]+ questions? in [0-9]+ files?: ok$' "$T/out" ||
		fail "lint questions/: expected 'N questions in M files: ok'; $(show)"
else
	note "no questions/ directory: lint of the starter bank skipped"
fi

ctl lint "$T/broken"
expect_rc 1 lint broken bank
for pair in a.json:x.empty-prompt a.json:x.no-phrases a.json:x.bad-topic \
    a.json:x.unknown-field b.json:x.one; do
	file=${pair%%:*}
	id=${pair#*:}
	grep -F "$file" "$T/err" | grep -qF "$id" ||
		fail "lint broken bank: expected a problem line naming $file and $id; stderr: $(cat "$T/err")"
done
grep -F x.unknown-field "$T/err" | grep -qF colour ||
	fail "lint broken bank: expected the unknown field 'colour' to be named; stderr: $(cat "$T/err")"
grep -F x.bad-topic "$T/err" | grep -qF cooking ||
	fail "lint broken bank: expected the unknown topic 'cooking' to be named; stderr: $(cat "$T/err")"
expect_err "^drillctl: " "lint broken bank (closing line)"
[ ! -s "$T/out" ] || fail "lint broken bank: expected nothing on stdout; $(show)"

# Config: the banks come from it; errors in it are printed, exit 1.
ctl lint -c "$T/drilld.conf"
expect_rc 0 lint -c config
expect_out "^2 questions in 1 file: ok$" "lint -c config"
rc=0
DRILLD_CONFIG=$T/drilld.conf "$DRILLCTL" lint >"$T/out" 2>"$T/err" || rc=$?
expect_rc 0 lint with DRILLD_CONFIG
ctl lint -c "$T/bad.conf"
expect_rc 1 lint -c bad config
expect_err "log_levle" "lint -c bad config"
ctl lint -c "$T/missing.conf"
expect_rc 1 lint -c missing config
rc=0
DRILLD_CONFIG=$T/missing.conf "$DRILLCTL" lint >"$T/out" 2>"$T/err" || rc=$?
expect_rc 1 lint with DRILLD_CONFIG pointing nowhere
ctl lint "$T/nowhere"
expect_rc 1 lint of a missing path

# ---------------------------------------------------------------- bank list, show
ctl bank list --format json "$T/good"
expect_rc 0 bank list --format json
python3 - "$T/out" "$T/good/drill.json" <<'PY' || fail "bank list --format json: the checks above failed"
import json, sys
def want(cond, msg):
    if not cond:
        print("bank list json: " + msg, file=sys.stderr); sys.exit(1)
out = json.load(open(sys.argv[1], encoding="utf-8"))
want(isinstance(out, list) and len(out) == 2, "expected an array of 2, got %r" % (out,))
src = {q["id"]: q for q in json.load(open(sys.argv[2]))["questions"]}
for o in out:
    want(set(o) == {"id", "prompt", "type", "topics", "level", "file"},
         "expected keys id prompt type topics level file, got %s" % sorted(o))
    q = src.get(o["id"])
    want(q is not None, "unexpected id %r" % o["id"])
    for k in ("prompt", "type", "level"):
        want(o[k] == q[k], "%s.%s: expected %r, got %r" % (o["id"], k, q[k], o[k]))
    want(sorted(o["topics"]) == sorted(q["topics"]),
         "%s.topics: expected %r, got %r" % (o["id"], q["topics"], o["topics"]))
    want(isinstance(o["file"], str) and o["file"].endswith("drill.json"),
         "%s.file: expected a path ending drill.json, got %r" % (o["id"], o["file"]))
PY

ctl bank list "$T/good"
expect_rc 0 bank list
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "bank list: expected 2 lines; $(show)"
grep -q '^t\.sql  *technical  *mid  *databases,architecture  *When would you pick a SQL' "$T/out" ||
	fail "bank list: expected 't.sql  technical  mid  databases,architecture  When would you pick a SQL…'; $(show)"
grep '^t\.sql' "$T/out" | grep -q '…$' ||
	fail "bank list: expected the long prompt of t.sql cut with '…'; $(show)"
grep '^t\.conflict' "$T/out" | grep -q 'disagreed with a colleague\.$' ||
	fail "bank list: expected the short prompt of t.conflict whole; $(show)"
ctl bank list -c "$T/drilld.conf" --format text
expect_rc 0 bank list -c config
expect_out "^t\.conflict  *behavioral" "bank list -c config"

ctl bank show t.sql "$T/good"
expect_rc 0 bank show t.sql
for s in "t.sql" "technical" "mid" "databases" "When would you pick a SQL" \
    "Choosing a data store" "Start from access patterns" "claim, reason, example" \
    "relational data (weight 3)" "foreign key" "Say which shape of data suits" \
    "For most products I start with PostgreSQL" "many-to-many relationship"; do
	grep -qF -- "$s" "$T/out" || fail "bank show t.sql: expected '$s' in the output; $(show)"
done
grep -Eiq 'rubric.*version [0-9a-f]+' "$T/out" ||
	fail "bank show t.sql: expected the rubric version; $(show)"
ctl bank show t.conflict --bank "$T/good"
expect_rc 0 bank show t.conflict
expect_out "STAR" "bank show t.conflict"
ctl bank show nope "$T/good"
expect_rc 1 bank show nope
expect_err "^drillctl: no question with id nope$" "bank show nope"

# ---------------------------------------------------------------- score
strong="I would pick PostgreSQL when the data is relational: users, orders and
payments linked by a foreign key and read together with a join, because ACID
transactions let an order and its payment commit or fail as one. I would pick
a NoSQL store like DynamoDB or Cassandra when the access pattern is a lookup by
key at a very large, write heavy scale, since they scale out by partition and I
can live with eventual consistency there. For example, on my last team we kept
billing in Postgres but moved a 2 TB event log to DynamoDB, which cut the load
on the primary by about 40 percent."
weak="I just use whatever the team already knows, it is usually fine."

check_score() { # FILE ID -> prints the score; fails with a message
	python3 - "$1" "$2" <<'PY'
import json, sys
def want(cond, msg):
    if not cond:
        print("score json: " + msg, file=sys.stderr); sys.exit(1)
d = json.load(open(sys.argv[1], encoding="utf-8"))
keys = {"question_id", "rubric_version", "score", "grade", "dimensions", "covered", "missed", "tip"}
want(isinstance(d, dict) and keys <= set(d), "expected keys %s, got %s" % (sorted(keys), sorted(d)))
want(d["question_id"] == sys.argv[2], "question_id: expected %r, got %r" % (sys.argv[2], d["question_id"]))
want(isinstance(d["rubric_version"], str) and d["rubric_version"] != "",
     "rubric_version: expected a non-empty string, got %r" % (d["rubric_version"],))
s = d["score"]
want(type(s) is int and 0 <= s <= 100, "score: expected an int 0..100, got %r" % (s,))
g = "excellent" if s >= 85 else "good" if s >= 70 else "fair" if s >= 50 else "weak"
want(d["grade"] == g, "grade: expected %r for score %d, got %r" % (g, s, d["grade"]))
dims = d["dimensions"]
want(isinstance(dims, dict) and set(dims) == {"relevance", "structure", "clarity", "impact"},
     "dimensions: expected relevance structure clarity impact, got %r" % (dims,))
for k, v in dims.items():
    want(type(v) is int and 0 <= v <= 100, "dimensions.%s: expected an int 0..100, got %r" % (k, v))
want(isinstance(d["covered"], list), "covered: expected an array, got %r" % (d["covered"],))
for c in d["covered"]:
    want(isinstance(c, dict) and isinstance(c.get("concept"), str) and isinstance(c.get("evidence"), str),
         "covered: expected {concept, evidence} strings, got %r" % (c,))
want(isinstance(d["missed"], list), "missed: expected an array, got %r" % (d["missed"],))
for m in d["missed"]:
    want(isinstance(m, dict) and isinstance(m.get("concept"), str) and isinstance(m.get("hint"), str),
         "missed: expected {concept, hint} strings, got %r" % (m,))
want(isinstance(d["tip"], str), "tip: expected a string, got %r" % (d["tip"],))
print(s, len(d["covered"]), len(d["missed"]))
PY
}

printf '%s\n' "$strong" >"$T/in"
ctl score --question t.sql --format json --bank "$T/good"
expect_rc 0 score strong json
r=$(check_score "$T/out" t.sql) || fail "score strong json: contract not met; $(show)"
# shellcheck disable=SC2086 # split "score covered missed"
set -- $r
s_strong=$1
[ "$2" -ge 4 ] || fail "score strong json: expected at least 4 concepts covered, got $2; $(show)"

printf '%s\n' "$weak" >"$T/in"
ctl score --format=json --bank "$T/good" --question t.sql
expect_rc 0 score weak json
r=$(check_score "$T/out" t.sql) || fail "score weak json: contract not met; $(show)"
# shellcheck disable=SC2086 # split "score covered missed"
set -- $r
s_weak=$1
[ "$3" -ge 4 ] || fail "score weak json: expected at least 4 concepts missed, got $3; $(show)"
[ "$s_strong" -gt "$s_weak" ] ||
	fail "score: expected the strong answer to score above the weak one, got $s_strong vs $s_weak"

printf '%s\n' "$strong" >"$T/in"
ctl score --question t.sql --bank "$T/good"
expect_rc 0 score strong text
grep -Eq '^Score [0-9]+/100 \((excellent|good|fair|weak)\)$' "$T/out" ||
	fail "score text: expected a first line 'Score N/100 (grade)'; $(show)"
grep -Eq '^Score '"$s_strong"'/100' "$T/out" ||
	fail "score text: expected the same score as JSON ($s_strong); $(show)"
expect_out "^Relevance [0-9]* · Structure [0-9]* · Clarity [0-9]* · Impact [0-9]*$" "score text"
expect_out "^Covered$" "score text"
expect_out '^  - relational data: "' "score text"
expect_out "^Tip ([a-z]*): " "score text"
printf '%s\n' "$weak" >"$T/in"
ctl score --question t.sql --bank "$T/good"
expect_rc 0 score weak text
expect_out "^Missed$" "score weak text"
expect_out "^  - scaling model: Compare how each option grows\.$" "score weak text"

: >"$T/in"
ctl score --question t.sql --bank "$T/good"
expect_rc 1 score empty answer
expect_err "^drillctl: the answer is empty$" "score empty answer"
printf '  \n\t \n\n' >"$T/in"
ctl score --question t.sql --bank "$T/good"
expect_rc 1 score whitespace answer
expect_err "^drillctl: the answer is empty$" "score whitespace answer"

printf '%s\n' "$strong" >"$T/in"
ctl score --question nope --bank "$T/good"
expect_rc 1 score unknown question
expect_err "^drillctl: no question with id nope$" "score unknown question"

printf 'We use \377\376 relational joins and ACID transactions in PostgreSQL \300\200 because they scale.\n' >"$T/in"
ctl score --question t.sql --format json --bank "$T/good"
expect_rc 0 score invalid UTF-8
check_score "$T/out" t.sql >/dev/null || fail "score invalid UTF-8: expected valid JSON; $(show)"
expect_err "^drillctl: warning: .*UTF-8" "score invalid UTF-8 (warning)"
ctl score --question t.sql --bank "$T/good"
expect_rc 0 score invalid UTF-8 text

# Answer limits: the config's practice.max_answer ("1K" here), else 16 MiB.
python3 -c 'print("relational " * 200)' >"$T/in"
ctl score --question t.sql -c "$T/drilld.conf"
expect_rc 1 score over the config limit
expect_err "^drillctl: the answer is longer than 1024 bytes$" "score over the config limit"
ctl score --question t.sql --bank "$T/good"
expect_rc 0 score 2 KB without a config
head -c 17000000 /dev/zero | tr '\0' 'a' >"$T/in"
ctl score --question t.sql --bank "$T/good"
expect_rc 1 score over 16 MiB
expect_err "^drillctl: the answer is longer than" "score over 16 MiB"
: >"$T/in"

# ---------------------------------------------------------------- stats, backup
ctl stats console:local -c "$T/drilld.conf"
expect_rc 1 stats without a database
expect_err "^drillctl: no database" "stats without a database"
ctl backup "$T/x.db" -c "$T/drilld.conf"
expect_rc 1 backup without a database
ctl stats nobody -c "$T/drilld.conf"
expect_rc 1 stats of a name without a platform

# A running drilld --console writes the database; drillctl reads it meanwhile.
mkdir -p "$T/d"
cat >"$T/d/drilld.conf" <<CONF
state_dir = "state";
banks = [ "$T/good" ];
console: { color = "never"; };
CONF
daemon_ok=false
if [ -x "$DRILLD" ]; then
	mkfifo "$T/d/in"
	timeout 60 "$DRILLD" --console -c "$T/d/drilld.conf" <"$T/d/in" >"$T/d/out" 2>"$T/d/err" &
	dpid=$!
	exec 3>"$T/d/in"
	# A subshell ignores SIGPIPE, so a drilld that died early fails the
	# write instead of killing this script.
	(trap '' PIPE; printf 'practice databases\n%s\n.\n' "$strong" >&3) || true
	i=0
	while [ $i -lt 100 ]; do
		if [ -f "$T/d/state/drilld.db" ] &&
		    "$DRILLCTL" stats console:local --format json -c "$T/d/drilld.conf" >"$T/out" 2>"$T/err" &&
		    grep -q '"answered": *1' "$T/out"; then
			daemon_ok=true
			break
		fi
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if $daemon_ok; then
		# stats and backup while the daemon runs.
		ctl stats console:local --format json -c "$T/d/drilld.conf"
		expect_rc 0 stats --format json while drilld runs
		python3 - "$T/out" <<'PY' || fail "stats --format json: the checks above failed"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
def want(cond, msg):
    if not cond:
        print("stats json: %s; got %r" % (msg, d), file=sys.stderr); sys.exit(1)
want(d.get("person") == "console:local", "expected person console:local")
want(d.get("answered") == 1, "expected answered 1")
want(isinstance(d.get("average"), (int, float)) and 0 <= d["average"] <= 100, "expected an average 0..100")
want(d.get("current_streak") == 1, "expected current_streak 1 (answered today)")
want(d.get("best_streak") == 1, "expected best_streak 1")
PY
		ctl stats console:local -c "$T/d/drilld.conf"
		expect_rc 0 stats while drilld runs
		expect_out "^answered: *1$" "stats"
		expect_out "^average: *[0-9][0-9]*\.[0-9]$" "stats"
		expect_out "^current streak: *1 day$" "stats"
		expect_out "^best streak: *1 day$" "stats"
		ctl stats console:nobody -c "$T/d/drilld.conf"
		expect_rc 1 stats of an unknown person
		expect_err "^drillctl: no person named console:nobody$" "stats unknown person"

		ctl backup "$T/backup.db" -c "$T/d/drilld.conf"
		expect_rc 0 backup while drilld runs
		[ "$(cat "$T/out")" = "backup written to $T/backup.db" ] ||
			fail "backup: expected 'backup written to $T/backup.db'; $(show)"
	fi
	(trap '' PIPE; printf 'quit\n' >&3) || true
	exec 3>&-
	drc=0
	wait "$dpid" || drc=$?
	dpid=""
	if $daemon_ok; then
		[ "$drc" -eq 0 ] || fail "drilld --console: expected exit 0 after quit, got $drc"
		[ "$(head -c 15 "$T/backup.db")" = "SQLite format 3" ] ||
			fail "backup: expected an SQLite database in $T/backup.db"
		if command -v sqlite3 >/dev/null 2>&1; then
			ic=$(sqlite3 "$T/backup.db" 'PRAGMA integrity_check;')
			[ "$ic" = ok ] || fail "backup: expected integrity_check 'ok', got '$ic'"
		fi
		# The copy holds the answer: stats read from it agree.
		mkdir -p "$T/r/state"
		cp "$T/backup.db" "$T/r/state/drilld.db"
		sed 's|^state_dir = .*|state_dir = "state";|' "$T/d/drilld.conf" >"$T/r/drilld.conf"
		ctl stats console:local -c "$T/r/drilld.conf"
		expect_rc 0 stats of the restored backup
		expect_out "^answered: *1$" "stats of the restored backup"
	else
		note "drilld --console did not store an answer (exit $drc; stderr: $(head -c 300 "$T/d/err")): stats and backup of a live database skipped"
	fi
else
	note "no drilld at $DRILLD: stats and backup of a live database skipped"
fi

echo "drillctl.sh: ok"
