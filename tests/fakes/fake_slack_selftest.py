#!/usr/bin/env python3
"""fake_slack_selftest.py - a quick check of fake_slack.py (stdlib only).

Run:  python3 tests/fakes/fake_slack_selftest.py
It starts the fake on 127.0.0.1, talks to it with http.client and a minimal
websocket client written here (masked frames, as a real client sends), and
checks the Web API, Socket Mode, the control endpoints and the `post`
client's signing. Prints "fake_slack selftest: ok" and exits 0, or prints
what failed and exits 1. Everything has a timeout; the whole run is bounded
by a 60 s alarm (it normally takes a few seconds).
"""

import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_slack.py")
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
import fake_slack  # noqa: E402  (the module under test: its signing and framing)

BOT, APP = "xoxb-test", "xapp-test"
ACK_TIMEOUT = 1.0
IO_TIMEOUT = 5.0

# Slack's published signing example (protocols.md A.2.3).
VEC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
VEC_TS = 1531420618
VEC_BODY = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
            "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA"
            "&user_name=roadrunner&command=%2Fwebhook-collect&text="
            "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J"
            "%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
VEC_SIG = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


# ---------------------------------------------------------------------------
# HTTP helpers
# ---------------------------------------------------------------------------

class Client:
    """One keep-alive HTTP connection to the fake."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=IO_TIMEOUT)

    def request(self, method, path, body=None, headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers = dict(headers or {}, **{"Content-Type": "application/json; charset=utf-8"})
        self.conn.request(method, path, body, headers or {})
        r = self.conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def json(self, method, path, body=None, headers=None):
        status, hdrs, data = self.request(method, path, body, headers)
        try:
            return status, hdrs, json.loads(data)
        except ValueError:
            raise Failure("%s %s: not JSON: %r" % (method, path, data[:200]))

    def api(self, method, params=None, token=BOT, form=False):
        """A Web API call; returns (status, headers, body)."""
        headers = {"Authorization": "Bearer " + token} if token else {}
        if form:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(params or {})
            return self.json("POST", "/api/" + method, body, headers)
        return self.json("POST", "/api/" + method, params or {}, headers)

    def control(self, method, name, body=None):
        status, _, out = self.json(method, "/_fake/" + name, body)
        return status, out


# ---------------------------------------------------------------------------
# A minimal websocket client
# ---------------------------------------------------------------------------

class WsClient:
    """Client side of RFC 6455: masked frames, fragment reassembly, answers pings."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=IO_TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        target = u.path + ("?" + u.query if u.query else "")
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n"
                           % (target, u.hostname, u.port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            check(chunk and len(head) < 16384, "websocket handshake: no complete response")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        hdrs = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip()
                for l in lines[1:] if ":" in l}
        if self.status == 101:
            want = base64.b64encode(hashlib.sha1(
                (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
            check(hdrs.get("sec-websocket-accept") == want, "bad Sec-WebSocket-Accept")
            check(hdrs.get("upgrade", "").lower() == "websocket", "no Upgrade: websocket")
        self.buf = bytearray(self.buf)
        self.pongs = []

    def send(self, opcode, payload, fin=True, masked=True):
        if isinstance(payload, str):
            payload = payload.encode()
        self.sock.sendall(fake_slack.encode_frame(opcode, payload, fin,
                                                  os.urandom(4) if masked else None))

    def send_json(self, obj):
        self.send(fake_slack.OP_TEXT, json.dumps(obj))

    def frame(self, deadline):
        while True:
            fr = fake_slack.parse_frame(self.buf, 1 << 24)
            if fr is not None:
                fin, rsv, op, masked, payload, used = fr
                del self.buf[:used]
                check(not masked, "server frame is masked")
                return fin, op, payload
            left = deadline - time.time()
            check(left > 0, "websocket: timed out waiting for a frame")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise Failure("websocket: timed out waiting for a frame")
            check(chunk, "websocket: connection closed by the server")
            self.buf += chunk

    def message(self, timeout=IO_TIMEOUT):
        """The next message: ("text", str) or ("close", code)."""
        deadline = time.time() + timeout
        parts, first_op = bytearray(), None
        while True:
            fin, op, payload = self.frame(deadline)
            if op == fake_slack.OP_PING:
                self.send(fake_slack.OP_PONG, payload)
                continue
            if op == fake_slack.OP_PONG:
                self.pongs.append(payload)
                continue
            if op == fake_slack.OP_CLOSE:
                return "close", (int.from_bytes(payload[:2], "big") if payload else 1005)
            if op != fake_slack.OP_CONT:
                first_op = op
            parts += payload
            if fin:
                check(first_op == fake_slack.OP_TEXT, "expected a text message")
                return "text", parts.decode()

    def json(self, timeout=IO_TIMEOUT):
        kind, data = self.message(timeout)
        check(kind == "text", "expected a JSON text message, got %s %r" % (kind, data))
        return json.loads(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------
# A receiver for the `post` client (checks the signature independently)
# ---------------------------------------------------------------------------

POST_SECRET = "s3cr3t-for-selftest"


class SigHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ts = self.headers.get("X-Slack-Request-Timestamp", "")
        sig = self.headers.get("X-Slack-Signature", "")
        want = "v0=" + hmac.new(POST_SECRET.encode(), b"v0:" + ts.encode() + b":" + body,
                                hashlib.sha256).hexdigest()
        fresh = ts.isdigit() and abs(time.time() - int(ts)) <= 300
        ok = fresh and hmac.compare_digest(sig, want)
        out = json.dumps({"retry": self.headers.get("X-Slack-Retry-Num"),
                          "body": body.decode()}).encode() if ok else b"bad signature"
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", str(len(out)))
        self.send_header("X-Test", "yes")
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *a):
        pass


def run_post(args):
    r = subprocess.run([sys.executable, FAKE, "post"] + args, capture_output=True,
                       timeout=15, text=True)
    return r.returncode, r.stdout


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------

def start_fake(tmp, name, extra):
    pf = os.path.join(tmp, name + ".port")
    errlog = open(os.path.join(tmp, name + ".log"), "w")
    proc = subprocess.Popen([sys.executable, FAKE, "serve", "--port-file", pf] + extra,
                            stdout=subprocess.DEVNULL, stderr=errlog)
    deadline = time.time() + 5
    while not os.path.exists(pf):
        check(proc.poll() is None, "%s exited at start (see its log)" % name)
        check(time.time() < deadline, "%s wrote no port file within 5 s" % name)
        time.sleep(0.02)
    with open(pf) as f:
        return proc, int(f.read().strip())


def checks(port):
    c = Client(port)

    # control ping
    check(c.control("GET", "ping")[1] == {"ok": True}, "/_fake/ping")

    # auth.test: good, wrong, no token, app token
    st, _, r = c.api("auth.test")
    check(st == 200 and r.get("ok") and r["user_id"] == "U0BOT" and r["bot_id"] == "B0BOT",
          "auth.test with the bot token: %r" % r)
    check(c.api("auth.test", token="xoxb-wrong")[2] == {"ok": False, "error": "invalid_auth"},
          "auth.test with a wrong token")
    check(c.api("auth.test", token=None)[2] == {"ok": False, "error": "not_authed"},
          "auth.test without a token")
    check(c.api("auth.test", token=APP)[2].get("error") == "not_allowed_token_type",
          "auth.test with the app token")
    check(c.api("no.such")[2].get("error") == "unknown_method", "unknown method")

    # apps.connections.open: bot token refused; app token, empty form body
    check(c.api("apps.connections.open")[2].get("error") == "not_allowed_token_type",
          "apps.connections.open with the bot token")
    st, hdrs, raw = c.request("POST", "/api/apps.connections.open", "",
                              {"Authorization": "Bearer " + APP,
                               "Content-Type": "application/x-www-form-urlencoded"})
    check(st == 200 and hdrs.get("content-type") == "application/json; charset=utf-8",
          "apps.connections.open: status/content type")
    check(b"ws:\\/\\/127.0.0.1" in raw, "Slack-style escaped slashes in the url")
    url = json.loads(raw)["url"]
    check(url.startswith("ws://127.0.0.1:%d/link/?ticket=" % port), "connection url %r" % url)

    # websocket + hello
    ws = WsClient(url)
    check(ws.status == 101, "websocket upgrade: status %d" % ws.status)
    hello = ws.json()
    check(hello.get("type") == "hello" and hello.get("num_connections") == 1
          and hello["connection_info"]["app_id"] == "A0FAKE", "hello: %r" % hello)

    # ticket reuse refused
    again = WsClient(url)
    check(again.status == 400, "second use of a ticket: status %d, want 400" % again.status)
    again.close()

    # ping -> pong
    ws.send(fake_slack.OP_PING, b"abc")
    deadline = time.time() + IO_TIMEOUT
    while not ws.pongs:
        fin, op, payload = ws.frame(deadline)
        if op == fake_slack.OP_PONG:
            ws.pongs.append(payload)
    check(ws.pongs[0] == b"abc", "pong payload")

    # an events_api envelope, acked with a fragmented frame
    st, out = c.control("POST", "envelope", {"type": "events_api", "payload": {"event": {
        "type": "message", "channel": "C0TEST", "user": "U0ALICE", "text": "hi",
        "ts": "1700000000.000100"}}})
    check(st == 200 and out["event_id"].startswith("Ev") and out["connection"] == 1,
          "POST /_fake/envelope: %r" % out)
    env = ws.json()
    check(env["envelope_id"] == out["envelope_id"] and env["type"] == "events_api"
          and env["retry_attempt"] == 0 and env["retry_reason"] == ""
          and env["accepts_response_payload"] is False, "envelope: %r" % env)
    p = env["payload"]
    check(p["type"] == "event_callback" and p["event_id"] == out["event_id"]
          and p["team_id"] == "T0FAKE" and p["event"]["text"] == "hi", "payload: %r" % p)
    ack = json.dumps({"envelope_id": env["envelope_id"]}).encode()
    ws.send(fake_slack.OP_TEXT, ack[:10], fin=False)
    ws.send(fake_slack.OP_CONT, ack[10:], fin=True)

    # a slash command, not acked: redelivered with retry_attempt 1
    st, out2 = c.control("POST", "envelope", {"type": "slash_commands", "payload": {
        "command": "/drill", "text": "help", "user_id": "U0ALICE", "channel_id": "C0TEST",
        "response_url": "http://127.0.0.1:%d/response/abc" % port}})
    check(st == 200, "slash command envelope")
    first = ws.json()
    check(first["envelope_id"] == out2["envelope_id"] and first["retry_attempt"] == 0
          and first["accepts_response_payload"] is True, "slash envelope: %r" % first)
    t0 = time.time()
    second = ws.json(timeout=ACK_TIMEOUT + 3)
    waited = time.time() - t0
    check(second["envelope_id"] == first["envelope_id"] and second["retry_attempt"] == 1
          and second["retry_reason"] == "timeout", "redelivery: %r" % second)
    check(waited >= ACK_TIMEOUT - 0.3, "redelivered too early (%.2fs)" % waited)
    ws.send_json({"envelope_id": second["envelope_id"],
                  "payload": {"response_type": "ephemeral", "text": "ok"}})
    ws.send_json({"envelope_id": "not-a-real-one"})

    # acks recorded (poll briefly: frames are read by another thread)
    deadline = time.time() + IO_TIMEOUT
    while True:
        acks = c.control("GET", "acks")[1]["acks"]
        if len(acks) >= 3 or time.time() > deadline:
            break
        time.sleep(0.05)
    check(len(acks) == 3, "3 acks recorded, got %r" % acks)
    check(acks[0]["envelope_id"] == out["envelope_id"] and acks[0]["connection"] == 1
          and acks[0]["payload"] is None and not acks[0].get("unknown"), "ack 1: %r" % acks[0])
    check(acks[1]["envelope_id"] == out2["envelope_id"]
          and acks[1]["payload"] == {"response_type": "ephemeral", "text": "ok"}, "ack 2")
    check(acks[2].get("unknown") is True, "unknown ack flagged: %r" % acks[2])

    # response_url
    st, _, data = c.request("POST", "/response/abc", {"text": "later"})
    check(st == 200 and data == b"ok", "response_url answer")
    rc = c.control("GET", "calls?method=response_url")[1]["calls"]
    check(len(rc) == 1 and rc[0]["path"] == "/response/abc"
          and rc[0]["params"] == {"text": "later"}, "response_url recorded: %r" % rc)

    # chat.postMessage rate limit: 3 pass, the 4th within a second is 429.
    # (On a badly overloaded machine the 4 calls might take over a second:
    # then the check is repeated on a fresh channel, up to 3 times.)
    for attempt in range(3):
        ch = "C0RATE%d" % attempt
        t0 = time.time()
        for i in range(3):
            st, _, r = c.api("chat.postMessage", {"channel": ch, "text": "m%d" % i})
            check(st == 200 and r.get("ok"), "postMessage %d: %r" % (i, r))
        st, hdrs, r = c.api("chat.postMessage", {"channel": ch, "text": "m3"})
        if st == 200 and time.time() - t0 > 0.9:
            continue
        break
    check(st == 429 and r == {"ok": False, "error": "ratelimited"},
          "4th postMessage in a second: %d %r" % (st, r))
    check(hdrs.get("retry-after", "").isdigit() and int(hdrs["retry-after"]) >= 1,
          "Retry-After: %r" % hdrs.get("retry-after"))
    calls = [x for x in c.control("GET", "calls?method=chat.postMessage")[1]["calls"]
             if x["params"]["channel"] == ch]
    check([x["status"] for x in calls] == [200, 200, 200, 429], "recorded statuses")
    tss = [x["response"]["ts"] for x in calls[:3]]
    check(all(float(a) < float(b) for a, b in zip(tss, tss[1:])), "ts increasing: %r" % tss)

    # thread_ts: unknown -> thread_not_found; a user's message from an event,
    # and the bot's own top-level message, are fine; a reply is not a parent.
    r = c.api("chat.postMessage", {"channel": "C0THR", "text": "x",
                                   "thread_ts": "1600000000.000001"})[2]
    check(r.get("error") == "thread_not_found", "thread_not_found: %r" % r)
    r = c.api("chat.postMessage", {"channel": "C0TEST", "text": "reply",
                                   "thread_ts": "1700000000.000100"})[2]
    check(r.get("ok") and r["message"]["thread_ts"] == "1700000000.000100",
          "reply under an event's message: %r" % r)
    r2 = c.api("chat.postMessage", {"channel": "C0TEST", "text": "again",
                                    "thread_ts": r["ts"]})[2]
    check(r2.get("error") == "thread_not_found", "a reply used as thread parent: %r" % r2)

    # channel checks
    check(c.api("chat.postMessage", {"text": "x"})[2].get("error") == "channel_not_found",
          "missing channel")
    c.control("POST", "channels", {"missing": ["C0GONE"], "not_in": ["C0PRIV"]})
    check(c.api("chat.postMessage", {"channel": "C0GONE", "text": "x"})[2].get("error")
          == "channel_not_found", "missing set")
    check(c.api("chat.postMessage", {"channel": "C0PRIV", "text": "x"})[2].get("error")
          == "not_in_channel", "not_in set")
    check(c.api("chat.postMessage", {"channel": "C0NOTXT"})[2].get("error") == "no_text",
          "no_text")

    # form encoding: blocks recorded parsed
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*q*"}}]
    r = c.api("chat.postMessage", {"channel": "C0FORM", "text": "q",
                                   "blocks": json.dumps(blocks)}, form=True)[2]
    check(r.get("ok"), "form-encoded postMessage: %r" % r)
    last = c.control("GET", "calls?method=chat.postMessage")[1]["calls"][-1]
    check(last["params"]["blocks"] == blocks, "form blocks recorded parsed")

    # conversations.open
    r = c.api("conversations.open", {"users": "U0ALICE"})[2]
    check(r.get("ok") and r["channel"]["id"] == "D0ALICE", "conversations.open: %r" % r)

    # users.info: default and set time zone
    u = c.api("users.info", {"user": "U0BOB"}, form=True)[2]
    check(u.get("ok") and u["user"]["tz"] == "Europe/Berlin"
          and u["user"]["tz_offset"] in (3600, 7200), "users.info default: %r" % u)
    c.control("POST", "users", {"U0ALICE": {"tz": "Asia/Kolkata", "tz_offset": 19800}})
    u = c.api("users.info", {"user": "U0ALICE"}, form=True)[2]
    check(u["user"]["tz"] == "Asia/Kolkata" and u["user"]["tz_offset"] == 19800,
          "users.info set zone: %r" % u)
    check(c.api("users.info", {"user": "bob"})[2].get("error") == "user_not_found",
          "users.info bad id")

    # views.publish
    r = c.api("views.publish", {"user_id": "U0ALICE", "view": {"type": "home", "blocks": []}})[2]
    check(r.get("ok") and r["view"]["id"].startswith("V"), "views.publish: %r" % r)
    check(c.api("views.publish", {"user_id": "U0ALICE", "view": {"type": "modal"}})[2]
          .get("error") == "invalid_arguments", "views.publish non-home")

    # injected failure
    c.control("POST", "fail", {"method": "auth.test", "status": 500, "count": 1})
    st, _, r = c.api("auth.test")
    check(st == 500, "injected 500")
    check(c.api("auth.test")[0] == 200, "failure used up after count")

    # chunked request body -> 411
    raw = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
    raw.sendall(b"POST /api/auth.test HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                b"\r\n0\r\n\r\n")
    check(raw.recv(100).startswith(b"HTTP/1.1 411"), "chunked body not answered 411")
    raw.close()

    # the client closes: close handshake, recorded
    ws.send(fake_slack.OP_CLOSE, (1000).to_bytes(2, "big"))
    kind, code = ws.message()
    check(kind == "close" and code == 1000, "close echo: %s %r" % (kind, code))
    ws.close()

    # a second connection: an unmasked frame is a protocol error (1002)
    url2 = c.api("apps.connections.open", token=APP)[2]["url"]
    ws2 = WsClient(url2)
    check(ws2.json().get("num_connections") == 1, "hello on connection 2")
    ws2.send(fake_slack.OP_TEXT, b"{}", masked=False)
    kind, code = ws2.message()
    check(kind == "close" and code == 1002, "unmasked frame: %s %r" % (kind, code))
    ws2.close()

    deadline = time.time() + IO_TIMEOUT
    while True:
        conns = c.control("GET", "connections")[1]
        if len(conns["closed"]) >= 2 or time.time() > deadline:
            break
        time.sleep(0.05)
    check(conns["open"] == [] and conns["total"] == 2, "connections: %r" % conns)
    check({"id": 1, "code": 1000, "by": "client"} in conns["closed"]
          and {"id": 2, "code": 1002, "by": "server"} in conns["closed"],
          "closed list: %r" % conns["closed"])
    st, out = c.control("POST", "envelope", {"type": "interactive", "payload": {}})
    check(st == 503 and out.get("error") == "no live connection", "envelope without a connection")


def check_post_client():
    # Slack's published test vector.
    got = fake_slack.slack_signature(VEC_SECRET, VEC_TS, VEC_BODY)
    check(got == VEC_SIG, "signature test vector: got %s" % got)

    srv = http.server.HTTPServer(("127.0.0.1", 0), SigHandler)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                     daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/slack/events" % srv.server_address[1]
        body = '{"type":"url_verification","challenge":"abc"}'
        rc, out = run_post(["--url", url, "--secret", POST_SECRET, "--json", body,
                            "--retry-num", "2"])
        lines = out.split("\n", 1)
        check(rc == 0 and lines[0] == "200", "post: good signature: rc %d %r" % (rc, out))
        check(json.loads(lines[1]) == {"retry": "2", "body": body}, "post: body %r" % lines[1])
        rc, out = run_post(["--url", url, "--secret", POST_SECRET, "--form", "a=b",
                            "--bad-signature"])
        check(rc == 0 and out.startswith("401\n"), "post: bad signature: rc %d %r" % (rc, out))
        rc, out = run_post(["--url", url, "--secret", POST_SECRET, "--form", "a=b",
                            "--ts-offset", "-400", "--show-headers"])
        check(rc == 0 and out.startswith("401\n") and "X-Test: yes\n" in out,
              "post: stale timestamp: %r" % out)
    finally:
        srv.shutdown()
        srv.server_close()
    # nobody listening -> exit 2
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()
    rc, _ = run_post(["--url", "http://127.0.0.1:%d/" % dead, "--secret", "x", "--json", "{}"])
    check(rc == 2, "post to a closed port: exit %d, want 2" % rc)


def main():
    def on_alarm(signum, frame):
        raise Failure("selftest took over 60 s")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(60)

    tmp = tempfile.mkdtemp(prefix="fake_slack_selftest.")
    procs = []
    ok = False
    t0 = time.time()
    try:
        short, _ = start_fake(tmp, "short", ["--max-runtime", "1"])
        procs.append(short)
        proc, port = start_fake(tmp, "main", ["--ack-timeout", str(ACK_TIMEOUT),
                                              "--max-runtime", "60"])
        procs.append(proc)
        checks(port)
        check_post_client()
        # SIGTERM: exits 0 promptly
        proc.send_signal(signal.SIGTERM)
        check(proc.wait(timeout=5) == 0, "fake did not exit 0 on SIGTERM")
        # --max-runtime: the short-lived one stopped by itself
        check(short.wait(timeout=5) == 0, "fake did not exit 0 after --max-runtime")
        ok = True
    except Failure as e:
        print("fake_slack selftest: FAILED: %s" % e)
    except Exception as e:
        print("fake_slack selftest: FAILED with %r" % e)
    finally:
        signal.alarm(0)
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
        if not ok:
            log = os.path.join(tmp, "main.log")
            if os.path.exists(log):
                with open(log) as f:
                    sys.stdout.write("--- fake's log (tail) ---\n" + "".join(f.readlines()[-40:]))
        shutil.rmtree(tmp, ignore_errors=True)
    if ok:
        print("fake_slack selftest: ok (%.1fs)" % (time.time() - t0))
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
