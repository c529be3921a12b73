#!/bin/sh
# Runs every unit test binary in BUILD/tests and every integration test in
# tests/integration against BUILD's drilld and drillctl, then prints one
# closing line "tests: N passed, N failed". Exits non-zero if any failed.
B=${1:-build}
pass=0
fail=0
failed=""
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	if "$t" >"$B/tests/$name.log" 2>&1; then
		pass=$((pass + 1)); echo "ok   unit/$name"
	else
		fail=$((fail + 1)); failed="$failed unit/$name"; echo "FAIL unit/$name"
		cat "$B/tests/$name.log"
	fi
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	if DRILLD="$B/drilld" DRILLCTL="$B/drillctl" sh "$t" >"$B/tests/it_$name.log" 2>&1; then
		pass=$((pass + 1)); echo "ok   integration/$name"
	else
		fail=$((fail + 1)); failed="$failed integration/$name"; echo "FAIL integration/$name"
		cat "$B/tests/it_$name.log"
	fi
done
[ -z "$failed" ] || echo "failed:$failed"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
