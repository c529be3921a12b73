#!/bin/sh
# The real drilld serving HTTP on loopback, as a load balancer or a webhook
# sender meets it: /healthz, /readyz, 404, 405, 413 for an oversized body
# (the client sees the status, not a broken pipe), and a clean SIGTERM.
set -eu
DRILLD=${DRILLD:-build/drilld}
top=$(pwd)
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

fail() { echo "FAIL: $*"; [ -f "$tmp/err" ] && { echo "--- drilld stderr:"; cat "$tmp/err"; }; exit 1; }
command -v curl >/dev/null || fail "curl is needed (make deps installs it)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$tmp/drilld.conf" <<CONF
state_dir = "state";
banks = [ "$top/tests/data/mini.json" ];
http: { listen = "127.0.0.1:$port"; max_body = "1M"; request_timeout = "2s"; };
CONF
"$DRILLD" -c "$tmp/drilld.conf" --log-level info 2> "$tmp/err" &
pid=$!
i=0
until grep -q "serving HTTP" "$tmp/err"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no HTTP server"; sleep 0.05
done

code() { curl -s -o "$tmp/body" -w '%{http_code}' --max-time 10 "$@"; }
[ "$(code "http://127.0.0.1:$port/healthz")" = 200 ] || fail "/healthz"
[ "$(code "http://127.0.0.1:$port/readyz")" = 200 ] || fail "/readyz with no platforms: $(cat "$tmp/body")"
[ "$(code "http://127.0.0.1:$port/no/such/path")" = 404 ] || fail "unknown path"
[ "$(code -X POST --data x "http://127.0.0.1:$port/healthz")" = 405 ] || fail "wrong method"
# a 2 MiB body where none is taken: the client reads a status, not a reset
# (413 on a route that takes bodies is in tests/unit/test_http.c)
head -c 2097152 /dev/zero | tr '\0' 'a' > "$tmp/big"
got=$(code -X POST -H 'Content-Type: text/plain' --data-binary "@$tmp/big" \
    "http://127.0.0.1:$port/healthz") || fail "2 MiB body: curl failed (reset?)"
case "$got" in 405|413) ;; *) fail "2 MiB body: status $got, expected 405 or 413" ;; esac
# a client that sends half a request and stalls is dropped, and others are served
python3 - "$port" <<'PY' || fail "a stalled client was not dropped"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
s.settimeout(15)
t = time.time()
try:
    while s.recv(4096):
        pass
except socket.timeout:
    sys.exit(1)
sys.exit(0 if time.time() - t < 12 else 1)
PY
[ "$(code "http://127.0.0.1:$port/healthz")" = 200 ] || fail "/healthz after a stalled client"

kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
pid=""
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc"

# a port that is taken: a clear error at start-up, exit 1
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
open(sys.argv[2], "w").close()
time.sleep(10)' "$port" "$tmp/bound" &
busy=$!
i=0
until [ -e "$tmp/bound" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "could not take the port"; sleep 0.05; done
set +e
timeout 10 "$DRILLD" -c "$tmp/drilld.conf" < /dev/null > /dev/null 2> "$tmp/err"; rc=$?
set -e
kill "$busy" 2>/dev/null || true
[ "$rc" -eq 1 ] || fail "a taken port: exit $rc, expected 1"
grep -q "cannot serve http.listen=127.0.0.1:$port" "$tmp/err" || fail "a taken port: no clear error"
echo "http ok"
