#!/bin/sh
# Slack end to end: the real drilld against the fake Slack of
# tests/fakes/fake_slack.py, in Socket Mode and with the Events API
# (tests/integration/slack_e2e.py says what is tried).
set -eu
command -v python3 >/dev/null || { echo "FAIL: python3 is needed (make deps installs it)"; exit 1; }
exec python3 tests/integration/slack_e2e.py
