#!/usr/bin/env python3
"""fake_matrix_selftest.py - a quick check of fake_matrix.py (stdlib only).

Run:  python3 tests/fakes/fake_matrix_selftest.py
It starts the fake (appservice mode on) on 127.0.0.1, talks to it with
http.client like a client would, and runs a small appservice HTTP server of
its own to receive the fake's pushes. Checks whoami, login, filters, /sync
(initial, since tokens, invites, long-poll returning early and timing out),
join, send idempotency, 403 outside a room, 429 M_LIMIT_EXCEEDED with
retry_after_ms and Retry-After, a storm, expired tokens, createRoom with
is_direct and m.direct, and the appservice side (Bearer + access_token,
retries with the same txnId until 200, bad tokens, re-push, queries, ping).
Prints "fake_matrix selftest: ok" and exits 0, or what failed and exits 1.
Everything has a timeout; the run is bounded by a 20 s alarm (it normally
takes about 5 s).
"""

import http.client
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_matrix.py")

BOT = "@drilld:fake.test"
TOKEN = "syt_test"
AS_TOKEN = "as_selftest_token"
HS_TOKEN = "hs_selftest_token"
IO_TIMEOUT = 5.0
AS_PREFIX = "/prefix"         # the AS url has a path: the fake must keep it
V3 = "/_matrix/client/v3"


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def q(s):
    return urllib.parse.quote(s, "")


class Client:
    """One keep-alive HTTP connection to the fake."""

    def __init__(self, port, token=TOKEN, timeout=IO_TIMEOUT):
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, token=Ellipsis):
        headers = dict(headers or {})
        token = self.token if token is Ellipsis else token
        if token:
            headers["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body, headers)
        r = self.conn.getresponse()
        data = r.read()
        try:
            obj = json.loads(data)
        except ValueError:
            raise Failure("%s %s: not JSON: %r" % (method, path, data[:200]))
        return r.status, {k.lower(): v for k, v in r.getheaders()}, obj

    def call(self, method, path, body=None, token=Ellipsis):
        st, _, obj = self.request(method, path, body, token=token)
        return st, obj

    def control(self, method, name, body=None):
        st, _, obj = self.request(method, "/_fake/" + name, body, token=None)
        check(st == 200, "control %s %s: %d %r" % (method, name, st, obj))
        return obj

    def sync(self, since=None, timeout=0, flt=None):
        args = {"timeout": str(timeout)}
        if since:
            args["since"] = since
        if flt:
            args["filter"] = flt
        return self.call("GET", V3 + "/sync?" + urllib.parse.urlencode(args))


# ---------------------------------------------------------------------------
# A small appservice for the fake to push to
# ---------------------------------------------------------------------------

class AsState:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []           # {"method","path","auth","query","body"}
        self.fail_txns = 1           # answer 500 to this many transaction PUTs


AS = AsState()


class AsHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n) if n else b""
        u = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(u.query))
        auth = self.headers.get("Authorization")
        path = u.path[len(AS_PREFIX):] if u.path.startswith(AS_PREFIX + "/") else u.path
        rec = {"method": self.command, "path": u.path, "auth": auth, "query": query,
               "body": json.loads(raw) if raw else None}
        with AS.lock:
            AS.requests.append(rec)
            tokens = []
            if auth:
                tokens.append(auth[7:] if auth.startswith("Bearer ") else "")
            if "access_token" in query:
                tokens.append(query["access_token"])
            if not tokens:
                return self.answer(401, {"errcode": "M_MISSING_TOKEN", "error": "no token"})
            if any(t != HS_TOKEN for t in tokens):
                return self.answer(403, {"errcode": "M_FORBIDDEN", "error": "bad token"})
            if path.startswith("/_matrix/app/v1/transactions/"):
                if AS.fail_txns > 0:
                    AS.fail_txns -= 1
                    return self.answer(500, {"errcode": "M_UNKNOWN", "error": "try again"})
                return self.answer(200, {})
            if path == "/_matrix/app/v1/ping":
                return self.answer(200, {})
            if path == "/_matrix/app/v1/users/" + q(BOT) or \
                    urllib.parse.unquote(path) == "/_matrix/app/v1/users/" + BOT:
                return self.answer(200, {})
            return self.answer(404, {"errcode": "M_NOT_FOUND", "error": "no"})

    do_PUT = do_POST = do_GET = handle_any

    def log_message(self, *a):
        pass


def as_txn_requests():
    with AS.lock:
        return [r for r in AS.requests if "/_matrix/app/v1/transactions/" in r["path"]]


def wait_for(what, cond, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise Failure("timed out waiting for " + what)


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


def timeline(resp, rid):
    return resp.get("rooms", {}).get("join", {}).get(rid, {}).get("timeline", {}).get("events", [])


def check_auth_and_login(c):
    st, o = c.call("GET", V3 + "/account/whoami")
    check(st == 200 and o == {"user_id": BOT, "device_id": "FAKEDEVICE", "is_guest": False},
          "whoami: %d %r" % (st, o))
    st, o = c.call("GET", V3 + "/account/whoami?access_token=" + TOKEN, token=None)
    check(st == 401 and o["errcode"] == "M_MISSING_TOKEN", "query token: %d %r" % (st, o))
    st, o = c.call("GET", V3 + "/account/whoami?access_token=" + TOKEN)
    check(st == 401 and o["errcode"] == "M_MISSING_TOKEN", "header + query token: %r" % o)
    st, o = c.call("GET", V3 + "/account/whoami", token=None)
    check(st == 401 and o["errcode"] == "M_MISSING_TOKEN", "no token: %r" % o)
    st, o = c.call("GET", V3 + "/account/whoami", token="syt_nope")
    check(st == 401 and o["errcode"] == "M_UNKNOWN_TOKEN" and o["soft_logout"] is False,
          "unknown token: %r" % o)
    st, o = c.call("GET", V3 + "/nope/such")
    check(st == 404 and o["errcode"] == "M_UNRECOGNIZED", "unknown endpoint: %r" % o)
    st, o = c.call("PUT", V3 + "/account/whoami")
    check(st == 405 and o["errcode"] == "M_UNRECOGNIZED", "wrong method: %r" % o)
    # appservice token
    st, o = c.call("GET", V3 + "/account/whoami", token=AS_TOKEN)
    check(st == 200 and o == {"user_id": BOT, "is_guest": False}, "AS whoami: %r" % o)
    st, o = c.call("GET", V3 + "/account/whoami?user_id=" + q(BOT), token=AS_TOKEN)
    check(st == 200 and o["user_id"] == BOT, "AS whoami user_id: %r" % o)
    st, o = c.call("GET", V3 + "/account/whoami?user_id=" + q("@x:fake.test"), token=AS_TOKEN)
    check(st == 403 and o["errcode"] == "M_FORBIDDEN", "AS masquerade: %r" % o)

    st, o = c.call("GET", V3 + "/login", token=None)
    check(st == 200 and {"type": "m.login.password"} in o["flows"], "login flows: %r" % o)
    body = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "drilld"},
            "password": "secret", "device_id": "SELFTEST01"}
    st, o = c.call("POST", V3 + "/login", body, token=None)
    check(st == 200 and o["user_id"] == BOT and o["device_id"] == "SELFTEST01" and
          o["access_token"].startswith("syt_"), "login: %d %r" % (st, o))
    tok1 = o["access_token"]
    body["identifier"]["user"] = BOT
    st, o = c.call("POST", V3 + "/login", body, token=None)
    check(st == 200 and o["access_token"] != tok1, "second login: %r" % o)
    tok2 = o["access_token"]
    body["password"] = "wrong"
    st, o = c.call("POST", V3 + "/login", body, token=None)
    check(st == 403 and o["errcode"] == "M_FORBIDDEN", "wrong password: %d %r" % (st, o))
    for t in (tok1, tok2):
        st, o = c.call("GET", V3 + "/account/whoami", token=t)
        check(st == 200 and o["device_id"] == "SELFTEST01", "login token valid: %r" % o)
    calls = c.control("GET", "calls?path_contains=/login&method=POST")["calls"]
    check(calls and all(x["body"]["password"] == "<redacted>" for x in calls),
          "passwords recorded: %r" % calls[:1])
    # expire one token: M_UNKNOWN_TOKEN; the other still works
    check(c.control("POST", "expire_token", {"token": tok1})["expired"] == 1, "expire_token")
    st, o = c.call("GET", V3 + "/account/whoami", token=tok1)
    check(st == 401 and o["errcode"] == "M_UNKNOWN_TOKEN", "expired token: %d %r" % (st, o))
    st, o = c.call("GET", V3 + "/account/whoami", token=tok2)
    check(st == 200, "other token after expire: %r" % o)
    return tok2


def check_sync_and_rooms(c, port, tok2):
    # filter
    flt = {"room": {"timeline": {"types": ["m.room.message", "m.room.member"], "limit": 5}},
           "account_data": {"types": ["m.direct"]}, "presence": {"types": []}}
    st, o = c.call("POST", V3 + "/user/%s/filter" % q(BOT), flt)
    check(st == 200 and isinstance(o.get("filter_id"), str), "filter: %r" % o)
    fid = o["filter_id"]
    st, o = c.call("POST", V3 + "/user/%s/filter" % q("@ann:fake.test"), flt)
    check(st == 403 and o["errcode"] == "M_FORBIDDEN", "filter for another user: %r" % o)
    st, o = c.call("POST", V3 + "/user/%s/filter" % q(BOT), {"room": {"timeline": {"limit": "x"}}})
    check(st == 400 and o["errcode"] == "M_BAD_JSON", "bad filter: %r" % o)
    st, o = c.sync(flt="nope")
    check(st == 400, "unknown filter id: %r" % o)

    # initial sync
    st, s0 = c.sync(flt=fid)
    check(st == 200 and s0["next_batch"].startswith("s"), "initial sync: %r" % s0)
    since = s0["next_batch"]
    for bad in ("garbage", "s99999999", "x1"):
        st, o = c.sync(since=bad)
        check(st == 400 and o["errcode"] == "M_UNKNOWN", "since %s: %d %r" % (bad, st, o))

    # a room with an invite for the bot
    room = c.control("POST", "room", {"creator": "@ann:fake.test",
                                      "members": ["@bob:fake.test"], "name": "Team"})
    rid = room["room_id"]
    check(rid.startswith("!") and rid.endswith(":fake.test"), "room id %r" % rid)
    st, s1 = c.sync(since=since, timeout=5000, flt=fid)
    inv = s1.get("rooms", {}).get("invite", {}).get(rid)
    check(st == 200 and inv, "invite in sync: %r" % s1)
    me = [e for e in inv["invite_state"]["events"]
          if e["type"] == "m.room.member" and e.get("state_key") == BOT]
    check(me and me[0]["content"]["membership"] == "invite" and
          me[0]["sender"] == "@ann:fake.test", "invite event: %r" % inv)
    check(s1["next_batch"] != since, "next_batch moved")
    since = s1["next_batch"]

    # join (percent-encoded room id), then the room is in rooms.join
    st, o = c.call("POST", V3 + "/join/" + q(rid), {})
    check(st == 200 and o == {"room_id": rid}, "join: %d %r" % (st, o))
    st, s2 = c.sync(since=since, flt=fid)
    j = s2.get("rooms", {}).get("join", {}).get(rid)
    check(j and j["summary"]["m.joined_member_count"] == 3 and
          j["summary"]["m.invited_member_count"] == 0, "joined room in sync: %r" % s2)
    check(any(e["type"] == "m.room.member" and e["state_key"] == BOT and
              e["content"]["membership"] == "join" for e in timeline(s2, rid)),
          "own join in the timeline: %r" % j)
    check(any(e["type"] == "m.room.name" for e in j["state"]["events"]),
          "state of a newly joined room: %r" % j["state"])
    since = s2["next_batch"]

    # long-poll returns early on a message
    def post_later():
        time.sleep(0.4)
        Client(port).control("POST", "message", {"room": rid, "sender": "@ann:fake.test",
                                                 "body": "hello <bot>",
                                                 "formatted_body": "hello &lt;bot&gt;"})
    t = threading.Thread(target=post_later, daemon=True)
    t0 = time.time()
    t.start()
    st, s3 = c.sync(since=since, timeout=8000, flt=fid)
    took = time.time() - t0
    t.join(5)
    evs = timeline(s3, rid)
    check(st == 200 and 0.3 < took < 3.0, "long-poll returned after %.2fs" % took)
    check(len(evs) == 1 and evs[0]["content"]["body"] == "hello <bot>" and
          evs[0]["content"]["format"] == "org.matrix.custom.html" and
          evs[0]["sender"] == "@ann:fake.test" and evs[0]["event_id"].startswith("$") and
          isinstance(evs[0]["origin_server_ts"], int) and "room_id" not in evs[0],
          "message in sync: %r" % evs)
    root = evs[0]["event_id"]
    since = s3["next_batch"]

    # long-poll times out empty, with a new next_batch
    t0 = time.time()
    st, s4 = c.sync(since=since, timeout=600, flt=fid)
    took = time.time() - t0
    check(st == 200 and 0.5 <= took < 2.5 and "rooms" not in s4, "empty long-poll: %.2fs %r"
          % (took, s4))
    check(s4["next_batch"] != since, "empty batch has a new next_batch")
    st, o = c.sync(since=since)
    check(st == 200, "an older since is still valid")
    since = s4["next_batch"]

    # threaded reply from a user
    o = c.control("POST", "message", {"room": rid, "sender": "@bob:fake.test", "body": "42",
                                      "thread_root": root})
    st, s5 = c.sync(since=since, flt=fid)
    ev = timeline(s5, rid)[0]
    rel = ev["content"]["m.relates_to"]
    check(rel["rel_type"] == "m.thread" and rel["event_id"] == root and
          rel["is_falling_back"] is True and rel["m.in_reply_to"]["event_id"] == root,
          "thread reply: %r" % ev)
    since = s5["next_batch"]

    # send idempotency: the same txnId gives the same event, once
    path = V3 + "/rooms/%s/send/m.room.message/txn-1" % q(rid)
    msg = {"msgtype": "m.notice", "body": "Q1", "format": "org.matrix.custom.html",
           "formatted_body": "<b>Q1</b>", "m.mentions": {}}
    st, o1 = c.call("PUT", path, msg)
    st2, o2 = c.call("PUT", path, msg)
    check(st == 200 and st2 == 200 and o1["event_id"] == o2["event_id"],
          "idempotent send: %r %r" % (o1, o2))
    st, o3 = c.call("PUT", path, msg, token=tok2)       # another device: another event
    check(st == 200 and o3["event_id"] != o1["event_id"], "txn scope per device: %r" % o3)
    sent = c.control("GET", "sent?room=" + q(rid))["sent"]
    mine = [s for s in sent if s["txn_id"] == "txn-1"]
    check(len(mine) == 2 and mine[0]["repeats"] == 1 and mine[0]["content"] == msg,
          "sent records: %r" % sent)
    st, s6 = c.sync(since=since, flt=fid)
    evs = timeline(s6, rid)
    check(len(evs) == 2, "one event per device: %r" % evs)
    check(evs[0]["event_id"] == o1["event_id"] and
          evs[0]["unsigned"].get("transaction_id") == "txn-1" and
          "transaction_id" not in evs[1]["unsigned"], "transaction_id on own echo: %r" % evs)
    since = s6["next_batch"]

    # bad content, relation checks
    st, o = c.call("PUT", V3 + "/rooms/%s/send/m.room.message/txn-bad" % q(rid), [1, 2])
    check(st == 400 and o["errcode"] == "M_BAD_JSON", "array content: %r" % o)
    st, o = c.call("PUT", V3 + "/rooms/%s/send/m.room.message/txn-rel" % q(rid),
                   {"msgtype": "m.notice", "body": "x",
                    "m.relates_to": {"rel_type": "m.thread", "event_id": ev["event_id"]}})
    check(st == 400 and o["errcode"] == "M_UNKNOWN", "thread off a thread reply: %r" % o)

    # 403 in a room the bot is not in
    other = c.control("POST", "room", {"creator": "@ann:fake.test", "invite_bot": False})
    st, o = c.call("PUT", V3 + "/rooms/%s/send/m.room.message/t403" % q(other["room_id"]), msg)
    check(st == 403 and o["errcode"] == "M_FORBIDDEN", "send outside the room: %d %r" % (st, o))
    st, o = c.call("POST", V3 + "/rooms/%s/join" % q(other["room_id"]), {})
    check(st == 403 and o["errcode"] == "M_FORBIDDEN", "join uninvited: %d %r" % (st, o))

    # 429 with retry_after_ms and Retry-After; the txn is not used up
    c.control("POST", "fail", {"kind": "send", "status": 429, "retry_after_ms": 1500,
                               "count": 1})
    p2 = V3 + "/rooms/%s/send/m.room.message/txn-429" % q(rid)
    st, hdrs, o = c.request("PUT", p2, msg)
    check(st == 429 and o["errcode"] == "M_LIMIT_EXCEEDED" and o["retry_after_ms"] == 1500 and
          hdrs.get("retry-after") == "2", "429: %d %r %r" % (st, hdrs, o))
    st, o = c.call("PUT", p2, msg)
    check(st == 200, "send after the 429: %r" % o)
    c.control("POST", "fail", {"kind": "sync", "status": 502, "html": True, "count": 1})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=IO_TIMEOUT)
    conn.request("GET", V3 + "/sync", headers={"Authorization": "Bearer " + TOKEN})
    r = conn.getresponse()
    page = r.read()
    conn.close()
    check(r.status == 502 and r.getheader("Content-Type") == "text/html" and b"nginx" in page,
          "html 502: %d %r" % (r.status, page[:80]))

    # storm: two of every three sends are 429
    c.control("POST", "storm", {"seconds": 3, "retry_after_ms": 300})
    got = []
    for i in range(3):
        st, hdrs, o = c.request("PUT", V3 + "/rooms/%s/send/m.room.message/storm-%d"
                                % (q(rid), i), msg)
        got.append(st)
        if st == 429:
            check(o["retry_after_ms"] == 300 and hdrs.get("retry-after") == "1",
                  "storm 429: %r %r" % (hdrs, o))
    check(got == [429, 429, 200], "storm: %r" % got)
    c.control("POST", "storm", {"seconds": 0})

    # createRoom is_direct, auto-accept, m.direct
    st, o = c.call("POST", V3 + "/createRoom", {"preset": "trusted_private_chat",
                                                "invite": ["@carol:fake.test"],
                                                "is_direct": True})
    check(st == 200 and o["room_id"].startswith("!"), "createRoom: %r" % o)
    dm = o["room_id"]
    rooms = {r["room_id"]: r for r in c.control("GET", "rooms")["rooms"]}
    check(rooms[dm]["members"] == {BOT: "join", "@carol:fake.test": "join"} and
          rooms[dm]["is_direct"], "DM room: %r" % rooms[dm])
    evs = c.control("GET", "events?room=" + q(dm))["events"]
    inv = [e for e in evs if e["type"] == "m.room.member" and
           e["content"]["membership"] == "invite"]
    check(inv and inv[0]["content"].get("is_direct") is True, "is_direct invite: %r" % inv)
    st, o = c.call("GET", V3 + "/user/%s/account_data/m.direct" % q(BOT))
    check(st == 404 and o["errcode"] == "M_NOT_FOUND", "no m.direct yet: %r" % o)
    st, o = c.call("PUT", V3 + "/user/%s/account_data/m.direct" % q(BOT),
                   {"@carol:fake.test": [dm]})
    check(st == 200 and o == {}, "put m.direct: %r" % o)
    st, o = c.call("GET", V3 + "/user/%s/account_data/m.direct" % q(BOT))
    check(st == 200 and o == {"@carol:fake.test": [dm]}, "get m.direct: %r" % o)
    st, s7 = c.sync(since=since, flt=fid)
    acc = s7.get("account_data", {}).get("events", [])
    check({"type": "m.direct", "content": {"@carol:fake.test": [dm]}} in acc,
          "m.direct in sync: %r" % s7.get("account_data"))
    check(dm in s7.get("rooms", {}).get("join", {}), "new DM room in sync")
    st, o = c.call("GET", V3 + "/rooms/%s/joined_members" % q(dm))
    check(st == 200 and set(o["joined"]) == {BOT, "@carol:fake.test"}, "joined_members: %r" % o)

    # leave: the room shows in rooms.leave
    since = s7["next_batch"]
    st, o = c.call("POST", V3 + "/rooms/%s/leave" % q(dm), {})
    check(st == 200 and o == {}, "leave: %r" % o)
    st, s8 = c.sync(since=since, flt=fid)
    check(dm in s8.get("rooms", {}).get("leave", {}), "left room in sync: %r" % s8)
    return rid


def check_appservice(c, port, as_port, rid):
    # Nothing was pushed yet (no URL), but events were queued.
    check(c.control("GET", "transactions")["queued"] > 0, "events queued for the AS")
    url = "http://127.0.0.1:%d%s" % (as_port, AS_PREFIX)
    c.control("POST", "as", {"url": url})
    # First PUT answers 500; the fake retries the same txnId with the same events.
    reqs = wait_for("two transaction PUTs", lambda: len(as_txn_requests()) >= 2 and
                    as_txn_requests())
    a, b = reqs[0], reqs[1]
    check(a["path"].startswith(AS_PREFIX + "/_matrix/app/v1/transactions/"),
          "AS path: %r" % a["path"])
    check(a["path"] == b["path"] and a["body"] == b["body"], "retry changed the txn")
    check(a["auth"] == "Bearer " + HS_TOKEN and a["query"].get("access_token") == HS_TOKEN,
          "AS auth: %r %r" % (a["auth"], a["query"]))
    check(a["method"] == "PUT" and a["body"]["events"] and
          all("room_id" in e and "event_id" in e for e in a["body"]["events"]),
          "AS txn body: %r" % a["body"])
    first = a["path"].rsplit("/", 1)[1]
    txns = wait_for("the queue drained", lambda: (lambda t: t["queued"] == 0 and
                    all(x["acked"] for x in t["transactions"]) and t)(
        c.control("GET", "transactions")))
    t0 = txns["transactions"][0]
    check(t0["txn_id"] == first and t0["attempts"] >= 2 and t0["statuses"][0] == 500 and
          t0["last_status"] == 200, "txn record: %r" % {k: v for k, v in t0.items()
                                                          if k != "events"})
    ev_types = [(e["type"], e.get("state_key")) for x in txns["transactions"]
                for e in x["events"]]
    check(("m.room.member", BOT) in ev_types, "the bot's invite was pushed")
    # A new message in the bot's room arrives in a later transaction.
    n = len(as_txn_requests())
    eid = c.control("POST", "message", {"room": rid, "sender": "@ann:fake.test",
                                        "body": "to the AS"})["event_id"]
    got = wait_for("the message pushed", lambda: [r for r in as_txn_requests()[n:]
                                                  if any(e["event_id"] == eid
                                                         for e in r["body"]["events"])])
    check(int(got[0]["path"].rsplit("/", 1)[1]) > int(first), "txn ids count up")
    # wrong token -> the AS says 403; no token -> 401; re-push of an acked txn
    o = c.control("POST", "as_push", {"bad_token": "wrong"})
    check(o["status"] == 403 and json.loads(o["body"])["errcode"] == "M_FORBIDDEN",
          "wrong hs token: %r" % o)
    with AS.lock:
        last = AS.requests[-1]
    check(last["auth"] != "Bearer " + HS_TOKEN, "bad token was sent")
    o = c.control("POST", "as_push", {"bad_token": "none"})
    check(o["status"] == 401, "no hs token: %r" % o)
    o = c.control("POST", "as_repush", {"txn_id": first})
    check(o["status"] == 200, "repush: %r" % o)
    with AS.lock:
        last = AS.requests[-1]
    check(last["path"].endswith("/" + first) and last["body"]["events"] == t0["events"],
          "repush sends the same events")
    o = c.control("POST", "as_query", {"kind": "users", "id": BOT})
    check(o["status"] == 200, "user query: %r" % o)
    o = c.control("POST", "as_query", {"kind": "rooms", "id": "#nope:fake.test"})
    check(o["status"] == 404, "alias query: %r" % o)
    # the AS pings itself through the homeserver
    st, o = c.call("POST", "/_matrix/client/v1/appservice/drilld/ping",
                   {"transaction_id": "p1"}, token=AS_TOKEN)
    check(st == 200 and isinstance(o.get("duration_ms"), int), "AS ping: %d %r" % (st, o))
    with AS.lock:
        pings = [r for r in AS.requests if r["path"].endswith("/_matrix/app/v1/ping")]
    check(pings and pings[-1]["body"] == {"transaction_id": "p1"} and
          pings[-1]["path"] == AS_PREFIX + "/_matrix/app/v1/ping",
          "ping reached the AS: %r" % pings)
    st, o = c.call("POST", "/_matrix/client/v1/appservice/drilld/ping", {})
    check(st == 403, "ping with a user token: %r" % o)
    # the AS sends as its sender with the as_token
    st, o = c.call("PUT", V3 + "/rooms/%s/send/m.room.message/as-1" % q(rid),
                   {"msgtype": "m.notice", "body": "as"}, token=AS_TOKEN)
    check(st == 200, "AS send: %r" % o)


def main():
    def on_alarm(signum, frame):
        raise Failure("selftest took over 20 s")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(20)

    tmp = tempfile.mkdtemp(prefix="fake_matrix_selftest.")
    procs = []
    ok = False
    t0 = time.time()
    as_srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AsHandler)
    as_srv.daemon_threads = True
    threading.Thread(target=as_srv.serve_forever, kwargs={"poll_interval": 0.1},
                     daemon=True).start()
    try:
        short, _ = start_fake(tmp, "short", ["--max-runtime", "1"])
        procs.append(short)
        proc, port = start_fake(tmp, "main", ["--as-token", AS_TOKEN, "--hs-token", HS_TOKEN,
                                              "--max-runtime", "30"])
        procs.append(proc)
        c = Client(port)
        tok2 = check_auth_and_login(c)
        rid = check_sync_and_rooms(c, port, tok2)
        check_appservice(c, port, as_srv.server_address[1], rid)
        with open(os.path.join(tmp, "main.log")) as f:
            text = f.read()
        check(TOKEN not in text and AS_TOKEN not in text and HS_TOKEN not in text and
              tok2 not in text and "secret" not in text, "a token or password in the log")
        # a long poll in flight when SIGTERM comes: the fake still exits 0 promptly
        poll = threading.Thread(target=lambda: Client(port, timeout=10).sync(
            since="s1", timeout=30000), daemon=True)
        poll.start()
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        check(proc.wait(timeout=5) == 0, "fake did not exit 0 on SIGTERM")
        check(short.wait(timeout=5) == 0, "fake did not exit 0 after --max-runtime")
        ok = True
    except Failure as e:
        print("fake_matrix selftest: FAILED: %s" % e)
    except Exception as e:
        print("fake_matrix selftest: FAILED with %r" % e)
    finally:
        signal.alarm(0)
        as_srv.shutdown()
        as_srv.server_close()
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
        print("fake_matrix selftest: ok (%.1fs)" % (time.time() - t0))
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
