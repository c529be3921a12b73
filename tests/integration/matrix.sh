#!/bin/sh
# Matrix end to end: the real drilld against the fake homeserver of
# tests/fakes/fake_matrix.py, as a bot account (/sync) and as an
# application service (tests/integration/matrix_e2e.py says what is tried).
set -eu
command -v python3 >/dev/null || { echo "FAIL: python3 is needed (make deps installs it)"; exit 1; }
exec python3 tests/integration/matrix_e2e.py
