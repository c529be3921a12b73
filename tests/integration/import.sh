#!/bin/sh
# drillctl import end to end: a recruiter's export (tests/data/import-recruiter.csv:
# semicolons, a byte order mark, CRLF, quoted answers over several lines) becomes
# a bank file that `drillctl lint` accepts and `drillctl score` scores against;
# the same bank on stdout; --name; a bad export (tests/data/import-bad.csv)
# whose problems name their spreadsheet rows and which leaves no file behind
# (an existing output file is kept as it was); and usage errors (exit 2).
set -eu

DRILLCTL=${DRILLCTL:-build/drillctl}
top=$(pwd)
case $DRILLCTL in /*) ;; *) DRILLCTL=$top/$DRILLCTL ;; esac
unset DRILLD_CONFIG || true
GOOD=$top/tests/data/import-recruiter.csv
BAD=$top/tests/data/import-bad.csv

T=$(mktemp -d)
cleanup() { rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "import.sh: FAIL: $*" >&2
	exit 1
}

[ -x "$DRILLCTL" ] || fail "expected an executable drillctl at $DRILLCTL, found none (make build/drillctl)"
command -v python3 >/dev/null 2>&1 || fail "expected python3 (for the JSON checks), found none"
[ -f "$GOOD" ] && [ -f "$BAD" ] || fail "expected the sample files $GOOD and $BAD"

# ctl ARGS...: runs drillctl with stdin from $T/in; stdout in $T/out, stderr
# in $T/err, exit status in $rc.
: >"$T/in"
ctl() {
	rc=0
	"$DRILLCTL" "$@" <"$T/in" >"$T/out" 2>"$T/err" || rc=$?
}
show() { echo "stdout: $(head -c 800 "$T/out"); stderr: $(head -c 1500 "$T/err")"; }
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
# No file but OUT itself (and no temporary file) may be left in the directory.
expect_only() { # DIR FILE...
	d=$1
	shift
	have=$(cd "$d" && ls -A | sort | tr '\n' ' ')
	want=$(for f in "$@"; do echo "$f"; done | sort | tr '\n' ' ')
	[ "$have" = "$want" ] || fail "expected only '$want' in $d, found '$have'"
}

# ---------------------------------------------------------------- a good export
mkdir -p "$T/bank"
ctl import --from csv "$GOOD" --output "$T/bank/recruiting.json"
expect_rc 0 import --from csv import-recruiter.csv --output
[ "$(cat "$T/out")" = "3 questions from $GOOD written to $T/bank/recruiting.json" ] ||
	fail "import: expected '3 questions from $GOOD written to $T/bank/recruiting.json'; $(show)"
[ ! -s "$T/err" ] || fail "import: expected nothing on stderr; $(show)"
expect_only "$T/bank" recruiting.json

ctl lint "$T/bank/recruiting.json"
expect_rc 0 lint of the imported bank
[ "$(cat "$T/out")" = "3 questions in 1 file: ok" ] ||
	fail "lint of the imported bank: expected '3 questions in 1 file: ok'; $(show)"

python3 - "$T/bank/recruiting.json" <<'PY' || fail "imported bank: the checks above failed"
import json, sys
def want(cond, msg):
    if not cond:
        print("imported bank: " + msg, file=sys.stderr); sys.exit(1)
b = json.load(open(sys.argv[1], encoding="utf-8"))
want(set(b) == {"format", "name", "questions"}, "top-level keys: %s" % sorted(b))
want(b["format"] == 1, "format: %r" % (b["format"],))
want(b["name"] == "import-recruiter", "name: expected the CSV's base name, got %r" % (b["name"],))
qs = {q["id"]: q for q in b["questions"]}
want(list(qs) == ["recruiting.idempotent-payments", "recruiting.rate-limiter",
                  "recruiting.missed-deadline"], "ids in row order: %r" % list(qs))
allowed = {"id", "type", "topics", "level", "prompt", "assesses", "how_to_answer",
           "rubric", "structure", "model_answer", "follow_ups", "answer_words"}
for q in b["questions"]:
    want(set(q) <= allowed, "%s: fields outside the format: %s" % (q["id"], sorted(set(q) - allowed)))
    for c in q["rubric"]:
        want(set(c) == {"concept", "weight", "phrases", "hint"}, "%s: concept keys %s" % (q["id"], sorted(c)))
        want(1 <= c["weight"] <= 5 and c["hint"] and c["phrases"], "%s: concept %r" % (q["id"], c))

p = qs["recruiting.idempotent-payments"]
want(p["type"] == "technical" and p["level"] == "mid", "type/level folded to lower case: %r %r" % (p["type"], p["level"]))
want(p["topics"] == ["api-design", "reliability"], "topics: %r" % (p["topics"],))
want([c["weight"] for c in p["rubric"]] == [5, 3, 3, 2], "named weights: %r" % ([c["weight"] for c in p["rubric"]],))
want(p["rubric"][0]["hint"].startswith("Say what the client sends"), "named hint: %r" % (p["rubric"][0]["hint"],))
want(p["rubric"][1]["hint"] == "Say something about stored result.", "default hint: %r" % (p["rubric"][1]["hint"],))
want(p["answer_words"] == [40, 250], "answer_words: %r" % (p.get("answer_words"),))
want(len(p["follow_ups"]) == 2, "follow_ups: %r" % (p.get("follow_ups"),))
want("\n\nWhen a retry arrives" in p["model_answer"] and "\r" not in p["model_answer"],
     "model_answer: expected its paragraphs with LF line breaks, got %r" % (p["model_answer"][:300],))

r = qs["recruiting.rate-limiter"]
want(r["type"] == "system-design", "'System design' read as system-design: %r" % (r["type"],))
want(r["structure"] == ["requirements", "estimates", "data-model", "scaling", "trade-offs"],
     "structure: %r" % (r.get("structure"),))
want([c["weight"] for c in r["rubric"]] == [5, 3, 3, 2, 3], "positional weights: %r" % ([c["weight"] for c in r["rubric"]],))
want(r["rubric"][1]["hint"] == "Say something about shared state.", "skipped positional hint: %r" % (r["rubric"][1]["hint"],))
want(r["rubric"][2]["hint"].startswith("Say how two gateways"), "positional hint: %r" % (r["rubric"][2]["hint"],))
want(len(r["follow_ups"]) == 2, "follow-ups on two lines: %r" % (r.get("follow_ups"),))

m = qs["recruiting.missed-deadline"]
want(m["assesses"] and m["how_to_answer"].startswith("Use STAR"), "defaults by type: %r" % (m["how_to_answer"],))
want("structure" not in m and "answer_words" not in m and "follow_ups" not in m,
     "empty optional cells left out: %s" % sorted(m))
want(all(c["weight"] == 1 for c in m["rubric"]), "default weights")
PY

# drillctl score against the imported bank: each model answer scores well, a
# non-answer badly.
for id in recruiting.idempotent-payments recruiting.rate-limiter recruiting.missed-deadline; do
	python3 - "$T/bank/recruiting.json" "$id" >"$T/in" <<'PY'
import json, sys
b = json.load(open(sys.argv[1], encoding="utf-8"))
print([q for q in b["questions"] if q["id"] == sys.argv[2]][0]["model_answer"])
PY
	ctl score --question "$id" --format json --bank "$T/bank/recruiting.json"
	expect_rc 0 score --question "$id" against the imported bank
	s=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["question_id"] == sys.argv[2]; print(d["score"])' "$T/out" "$id") ||
		fail "score $id: expected JSON with question_id $id; $(show)"
	[ "$s" -ge 70 ] || fail "score $id: expected the model answer to score at least 70, got $s; $(show)"
done
echo "I would just use whatever the team already knows." >"$T/in"
ctl score --question recruiting.rate-limiter --bank "$T/bank/recruiting.json"
expect_rc 0 score of a weak answer
expect_out "^Score [0-9]*/100 (weak)$" "score of a weak answer"
expect_out "^  - algorithm: Name the algorithm" "score of a weak answer (a hint from the CSV)"
: >"$T/in"

# The same bank on stdout; --name; TMPDIR holds the temporary file.
mkdir -p "$T/tmp"
rc=0
TMPDIR=$T/tmp "$DRILLCTL" import --from=csv "$GOOD" >"$T/out" 2>"$T/err" || rc=$?
expect_rc 0 import to stdout
python3 - "$T/out" "$T/bank/recruiting.json" <<'PY' || fail "import to stdout: expected the same bank as --output wrote; $(show)"
import json, sys
assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))
PY
expect_only "$T/tmp"
ctl import "$GOOD" --name "Recruiting, Q3" --from csv
expect_rc 0 import --name
expect_out '^  "name": "Recruiting, Q3",$' "import --name"

# Writing over an existing bank replaces it whole.
ctl import --from csv "$GOOD" --output "$T/bank/recruiting.json" --name again
expect_rc 0 import over an existing bank
grep -q '"name": "again"' "$T/bank/recruiting.json" || fail "import over an existing bank: expected the new name in the file"
expect_only "$T/bank" recruiting.json

# ---------------------------------------------------------------- a bad export
mkdir -p "$T/badout"
printf 'keep me\n' >"$T/badout/existing.json"
for out in "$T/badout/new.json" "$T/badout/existing.json"; do
	ctl import --from csv "$BAD" --output "$out"
	expect_rc 1 import of a bad export
	expect_err "^drillctl: 7 problems in $BAD; nothing written$" "import of a bad export"
	for want in \
	    "^$BAD:3: type: unknown type \"poetry\"" \
	    "^$BAD:5: weights: \"9\" is not a weight from 1 to 5$" \
	    "^$BAD:6: concepts: concept \"index and nothing else\" has no phrases" \
	    "^$BAD:7: level: unknown level \"guru\"" \
	    "^$BAD:8: id: \"bad.ok\" is already the id of row 2" \
	    "^$BAD:9: prompt: must not be empty$" \
	    "^$BAD:10: id: \"Bad ID\" must be 1 to 128 characters"; do
		expect_err "$want" "import of a bad export"
	done
	! grep -q ":2: \|:4: " "$T/err" || fail "import of a bad export: rows 2 (good) and 4 (blank) have no problems; $(show)"
	[ ! -s "$T/out" ] || fail "import of a bad export: expected nothing on stdout; $(show)"
done
expect_only "$T/badout" existing.json
[ "$(cat "$T/badout/existing.json")" = "keep me" ] || fail "import of a bad export: the existing file was changed"
rc=0
TMPDIR=$T/tmp "$DRILLCTL" import --from csv "$BAD" >"$T/out" 2>"$T/err" || rc=$?
expect_rc 1 import of a bad export to stdout
[ ! -s "$T/out" ] || fail "import of a bad export to stdout: expected nothing on stdout; $(show)"
expect_only "$T/tmp"

ctl import --from csv "$T/nowhere.csv"
expect_rc 1 import of a missing file
expect_err "^$T/nowhere.csv: cannot read: " "import of a missing file"

# ---------------------------------------------------------------- usage
ctl help
expect_rc 0 help
expect_out "^  import --from csv FILE \[--output OUT\] \[--name NAME\]" "help lists import"
usage() {
	ctl "$@"
	expect_rc 2 "$@"
	expect_err "usage: drillctl" "drillctl $* (usage error)"
}
usage import "$GOOD"
usage import --from xlsx "$GOOD"
expect_err '^drillctl: import --from: unknown format "xlsx" (only csv' "import --from xlsx"
usage import --from csv
usage import --from csv "$GOOD" "$BAD"
usage import --from csv "$GOOD" --output "$T/bank/"
usage import --from csv "$GOOD" --bank "$T/bank"
usage lint --from csv "$T/bank"
usage score --question x --output "$T/x"

echo "import.sh: ok"
