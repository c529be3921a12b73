#!/usr/bin/env python3
"""matrix_e2e.py - the real drilld against the fake homeserver (tests/fakes/fake_matrix.py).

Run by tests/integration/matrix.sh with DRILLD and DRILLCTL set. Two parts:

  client     a bot account over /sync: the invite joined and the intro said
             once; a scheduled question (drillctl ask) answered in its thread
             with private feedback (a DM room made with is_direct, recorded in
             m.direct); the reveal in the thread and the question closed with
             an m.replace edit; "!drill practice" answered in its own thread
             with formatted_body; a DM practice; a restart in the middle with
             nothing replayed or lost; a rate-limit storm survived with every
             message sent once; a token the server forgets replaced by a new
             log-in; an encrypted room told once that the bot cannot read it;
             an invite auto_join does not allow refused; /sync failures
             retried; a room everyone left, left.
  nopass     a token the server forgets and no password: the Matrix side
             stops with a clear log line, /readyz 503, drilld still serving.
  appservice the homeserver pushes transactions: invites joined (one waiting
             from before drilld started), a scheduled question with DM feedback
             and the reveal, practice in a room and in a DM, a rate-limit
             storm, a transaction pushed twice handled once, bad
             hs_tokens refused (403 M_FORBIDDEN, 401 without one), user and
             room queries, a restart with the pushes queued meanwhile.

Everything talks to 127.0.0.1 only; every wait is bounded.
"""
import json
import os
import sys
import time
import urllib.parse
import urllib.request

from e2e import ANSWER, TOP, Env as BaseEnv, check, http, run_parts

FAKE = os.path.join(TOP, "tests", "fakes", "fake_matrix.py")
BOT = "@drilld:fake.test"
ANN = "@ann:fake.test"
BEN = "@ben:fake.test"
TOKEN = "syt_drilld_test_token"
PASSWORD = "correct horse"
AS_TOKEN = "as_token_for_drilld_0123456789"
HS_TOKEN = "hs_token_for_drilld_9876543210"


class Env(BaseEnv):
    """The fake homeserver and drilld, with drilld's HTTP server on."""

    def __init__(self, name):
        super().__init__("drilld-matrix-%s-" % name)

    def start_fake(self, *extra):
        self.start_fake_process([FAKE, "serve", "--user", BOT, "--token", TOKEN,
                                 "--password", PASSWORD, "--max-runtime", "300"] +
                                list(extra))

    def fget(self, path):
        st, body = http("GET", self.url + path)
        check(st == 200, "fake GET %s: %d %s" % (path, st, body[:200]))
        return json.loads(body)

    def fpost(self, path, obj):
        st, body = http("POST", self.url + path, obj)
        check(st == 200, "fake POST %s: %d %s" % (path, st, body[:200]))
        return json.loads(body)

    def write_config(self, matrix, extra=""):
        super().write_config('http = { listen = "127.0.0.1:%d"; };\n' % self.http_port,
                             matrix, extra)

    def sent(self, room=None):
        return self.fget("/_fake/sent" + ("?room=" + room if room else ""))["sent"]

    def wait_sent(self, pred, what, room=None, timeout=12):
        deadline = time.time() + timeout
        while True:
            got = [s for s in self.sent(room) if pred(s)]
            if got:
                return got
            check(time.time() < deadline, "timed out waiting for %s" % what)
            time.sleep(0.1)

    def wait_count(self, pred, n, what, room=None, timeout=15):
        """Waits until exactly n sent events match, then checks no more come."""
        deadline = time.time() + timeout
        while len([s for s in self.sent(room) if pred(s)]) < n:
            check(time.time() < deadline, "timed out waiting for %s" % what)
            time.sleep(0.1)
        self.idle()
        time.sleep(1)
        got = len([s for s in self.sent(room) if pred(s)])
        check(got == n, "%s: %d, not %d (done twice?)" % (what, got, n))


def body(s):
    c = s.get("content", {})
    return str(c.get("body", "")) + " " + str(c.get("formatted_body", ""))


def rel(s):
    return s.get("content", {}).get("m.relates_to") or {}


def in_thread(root):
    return lambda s: rel(s).get("rel_type") == "m.thread" and rel(s).get("event_id") == root


def dm_room_with(env, user):
    for r in env.fget("/_fake/rooms")["rooms"]:
        members = r.get("members", {})
        if r.get("is_direct") and members.get(user) == "join" and members.get(BOT) == "join":
            return r["room_id"]
    return None


def wait_dm_room(env, user, timeout=12):
    deadline = time.time() + timeout
    while True:
        room = dm_room_with(env, user)
        if room:
            return room
        check(time.time() < deadline, "no DM room between the bot and %s" % user)
        time.sleep(0.1)


def client_mode():
    env = Env("client")
    ok = False
    try:
        env.start_fake()
        room = env.fpost("/_fake/room", {"creator": ANN, "members": [BEN],
                                          "invite_bot": True, "name": "interviews"})["room_id"]
        env.write_config(
            'matrix = { enabled = true; homeserver = "%s"; user_id = "%s";\n'
            '  access_token = "%s"; password = "%s"; auto_join = [ "%s" ]; };\n'
            % (env.url, BOT, TOKEN, PASSWORD, ANN),
            'schedules = ( { conversation = "matrix:%s"; cron = "0 9 * * *";\n'
            '  reveal_after = "5s"; } );\n'
            'admins = [ "matrix:%s" ];\n' % (room, ANN))
        # another client of the bot's account has an m.direct entry of its own
        req = urllib.request.Request(
            env.url + "/_matrix/client/v3/user/%s/account_data/m.direct" %
            urllib.parse.quote(BOT), method="PUT",
            data=json.dumps({"@carol:fake.test": ["!old:fake.test"]}).encode(),
            headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            check(r.status == 200, "seeding m.direct")
        env.start_drilld()
        env.wait_ready()
        # the invite is joined and the bot introduces itself, once
        intro = env.wait_sent(lambda s: "Hello, I am drilld" in body(s), "the intro", room)
        check("!drill help" in body(intro[0]), "the intro does not say !drill help")

        # an invite from someone auto_join does not name is refused
        other = env.fpost("/_fake/room", {"creator": BEN, "members": [],
                                           "invite_bot": True})["room_id"]
        deadline = time.time() + 10
        while True:
            r = [x for x in env.fget("/_fake/rooms")["rooms"] if x["room_id"] == other][0]
            if r["members"].get(BOT) == "leave":
                break
            check(time.time() < deadline, "Ben's invite was not refused: %s" % r["members"])
            time.sleep(0.1)
        check(not env.sent(other), "the bot spoke in a room it refused")

        # a scheduled question, a thread answer, feedback in a DM
        rc, out = env.ctl("ask", "matrix:" + room)
        check(rc == 0, "drillctl ask: %s" % out)
        q = env.wait_sent(lambda s: "Question of the day" in body(s), "the question", room)[0]
        Q = q["event_id"]
        check(not rel(q), "the question is not a thread root")
        check(q["content"].get("msgtype") == "m.notice", "the bot did not send m.notice")
        env.fpost("/_fake/message", {"room": room, "sender": ANN, "body": ANSWER,
                                     "thread_root": Q})
        dm = wait_dm_room(env, ANN)
        fb = env.wait_sent(lambda s: "Score" in body(s), "the feedback in a DM", dm)[0]
        check("Model answer" not in body(fb), "the model answer came before the reveal")
        check(not [s for s in env.sent(room) if "Score" in body(s)],
              "feedback was posted in the room for everyone")
        direct = env.fget("/_fake/account_data?user=" + BOT)["account_data"].get("m.direct", {})
        check(dm in direct.get(ANN, []), "the DM room is not in m.direct: %s" % direct)
        check(direct.get("@carol:fake.test") == ["!old:fake.test"],
              "m.direct lost another entry: %s" % direct)
        # the reveal in the thread, the question closed with an edit
        env.wait_sent(lambda s: in_thread(Q)(s) and "Model answer" in body(s), "the reveal",
                      room, timeout=15)
        env.wait_sent(lambda s: in_thread(Q)(s) and "Summary" in body(s), "the summary", room)
        edit = env.wait_sent(lambda s: rel(s).get("rel_type") == "m.replace" and
                             rel(s).get("event_id") == Q, "the question closed", room)[0]
        check("(closed)" in json.dumps(edit["content"].get("m.new_content")),
              "the edit does not close the question")

        # !drill practice in the room: a thread of Ben's own
        env.idle()
        env.fpost("/_fake/message", {"room": room, "sender": BEN, "body": "!drill practice"})
        p = env.wait_sent(lambda s: not rel(s) and "Question" in body(s) and
                          s["event_id"] != Q, "the practice question", room)[-1]
        env.fpost("/_fake/message", {"room": room, "sender": BEN, "body": ANSWER,
                                     "thread_root": p["event_id"]})
        pf = env.wait_sent(lambda s: in_thread(p["event_id"])(s) and "Score" in body(s),
                           "the practice feedback in its thread", room)[0]
        check(pf["content"].get("format") == "org.matrix.custom.html" and
              "<" in pf["content"].get("formatted_body", ""), "no formatted_body")
        env.wait_sent(lambda s: in_thread(p["event_id"])(s) and "Model answer" in body(s),
                      "the practice model answer", room)

        # a DM practice
        env.idle()
        before = len(env.sent(dm))
        env.fpost("/_fake/message", {"room": dm, "sender": ANN, "body": "practice"})
        env.wait_sent(lambda s: "Question" in body(s), "the DM question", dm)
        check(len(env.sent(dm)) > before, "no DM question")

        # /sync failing for a while: retried, nothing lost
        env.idle()
        env.fpost("/_fake/fail", {"kind": "sync", "status": 500, "count": 2})
        env.fpost("/_fake/message", {"room": dm, "sender": ANN, "body": "tz"})
        env.wait_sent(lambda s: "time zone" in body(s), "an answer after /sync failed", dm)

        # a restart in the middle: an answer written while drilld is down is
        # answered once, and nothing before it is replayed
        env.idle()
        env.stop_drilld()
        scored = len([s for s in env.sent() if "Score" in body(s)])
        env.fpost("/_fake/message", {"room": dm, "sender": ANN, "body": ANSWER})
        env.start_drilld()
        env.wait_ready()
        env.wait_count(lambda s: "Score" in body(s), scored + 1,
                       "scores after a restart (an answer written while down)")
        check(env.log().count("Hello, I am drilld") <= 1, "the intro came again")

        # a rate-limit storm: every message goes out once
        env.fpost("/_fake/storm", {"seconds": 4, "retry_after_ms": 300})
        for word in ("help", "topics", "stats"):
            env.fpost("/_fake/message", {"room": dm, "sender": ANN, "body": word})
        env.idle(timeout=40)
        sent = env.sent(dm)
        for needle in ("Commands", "Topics", "Your practice"):
            n = len([s for s in sent if needle in body(s)])
            check(n == 1, "%d answers with %r after the storm, not 1" % (n, needle))
        limited = [c for c in env.fget("/_fake/calls?path_contains=/send/")["calls"]
                   if c["status"] == 429]
        check(limited, "the storm did not limit anything")

        # the server forgets the token: a new log-in, and it goes on
        env.fpost("/_fake/expire_token", {"token": TOKEN})
        env.fpost("/_fake/message", {"room": dm, "sender": ANN, "body": "hint"})
        env.wait_log("logged in as user=" + BOT, 15)
        env.wait_sent(lambda s: "Hint" in body(s) or "hint" in body(s).lower(),
                      "an answer after a new log-in", dm, timeout=20)

        # an encrypted room: said once
        enc = env.fpost("/_fake/room", {"creator": ANN, "members": [], "invite_bot": True,
                                         "encrypted": True})["room_id"]
        env.wait_sent(lambda s: "encrypted" in body(s), "the encrypted room told", enc,
                      timeout=15)
        env.fpost("/_fake/message", {"room": enc, "sender": ANN, "body": "practice"})
        time.sleep(2)
        check(len([s for s in env.sent(enc) if "encrypted" in body(s)]) == 1,
              "the encrypted room was told more than once")

        # everyone leaves the first room: the bot does not stay alone
        env.fpost("/_fake/leave", {"room": room, "user": BEN})
        env.fpost("/_fake/leave", {"room": room, "user": ANN})
        deadline = time.time() + 15
        while True:
            r = [x for x in env.fget("/_fake/rooms")["rooms"] if x["room_id"] == room][0]
            if r["members"].get(BOT) == "leave":
                break
            check(time.time() < deadline, "the bot stayed alone: %s" % r["members"])
            time.sleep(0.2)

        for secret in (TOKEN, PASSWORD):
            check(secret not in env.log(), "a secret reached the log")
        env.stop_drilld()
        ok = True
    finally:
        env.close(ok)


def no_password():
    """A token the server forgets, and no password: the Matrix side stops, clearly."""
    env = Env("nopass")
    ok = False
    try:
        env.start_fake()
        env.write_config('matrix = { enabled = true; homeserver = "%s"; user_id = "%s";\n'
                         '  access_token = "%s"; };\n' % (env.url, BOT, TOKEN))
        room = env.fpost("/_fake/room", {"creator": ANN, "members": [],
                                          "join_bot": True})["room_id"]
        env.start_drilld()
        env.wait_ready()
        env.fpost("/_fake/expire_token", {"token": TOKEN})
        # a message ends the /sync in flight; the next one meets the dead token
        env.fpost("/_fake/message", {"room": room, "sender": ANN, "body": "hello"})
        env.wait_log("refused the bot's token", 20)
        st, text = http("GET", "http://127.0.0.1:%d/readyz" % env.http_port)
        check(st == 503 and "matrix" in text, "/readyz after the token died: %d %s" % (st, text))
        check(http("GET", "http://127.0.0.1:%d/healthz" % env.http_port)[0] == 200,
              "drilld stopped serving")
        rc, out = env.ctl("status")
        check("failed" in out, "drillctl status does not say matrix failed: %s" % out)
        logins = env.fget("/_fake/calls?path_contains=/login")["calls"]
        check(not [c for c in logins if c["method"] == "POST"], "a log-in without a password")
        env.stop_drilld()
        ok = True
    finally:
        env.close(ok)


def appservice_mode():
    env = Env("as")
    ok = False
    try:
        env.start_fake("--as-token", AS_TOKEN, "--hs-token", HS_TOKEN,
                       "--as-url", "http://127.0.0.1:%d" % env.http_port)
        # the room exists before drilld: its invite waits in the push queue
        room = env.fpost("/_fake/room", {"creator": ANN, "members": [BEN],
                                          "invite_bot": True})["room_id"]
        env.write_config(
            'matrix = { enabled = true; mode = "appservice"; homeserver = "%s";\n'
            '  user_id = "%s"; as_token = "%s"; hs_token = "%s"; };\n'
            % (env.url, BOT, AS_TOKEN, HS_TOKEN),
            'schedules = ( { conversation = "matrix:%s"; cron = "0 9 * * *";\n'
            '  reveal_after = "4s"; } );\n' % room)
        rc, out = env.ctl("matrix", "registration")
        check(rc == 0 and "hs_token: '%s'" % HS_TOKEN in out and "sender_localpart: 'drilld'"
              in out, "drillctl matrix registration: %s" % out)
        env.start_drilld()
        env.wait_ready()

        env.wait_sent(lambda s: "Hello, I am drilld" in body(s), "the intro", room, timeout=15)
        # a scheduled question: private feedback (a DM), the reveal in the thread
        rc, out = env.ctl("ask", "matrix:" + room)
        check(rc == 0, "drillctl ask: %s" % out)
        q = env.wait_sent(lambda s: "Question of the day" in body(s), "the question", room)[0]
        env.fpost("/_fake/message", {"room": room, "sender": ANN, "body": ANSWER,
                                     "thread_root": q["event_id"]})
        adm = wait_dm_room(env, ANN)
        env.wait_sent(lambda s: "Score" in body(s), "the feedback in a DM", adm)
        check(not [x for x in env.sent(room) if "Score" in body(x)], "feedback for everyone")
        env.wait_sent(lambda s: in_thread(q["event_id"])(s) and "Model answer" in body(s),
                      "the reveal", room, timeout=15)
        env.idle()
        env.fpost("/_fake/message", {"room": room, "sender": BEN, "body": "!drill practice"})
        p = env.wait_sent(lambda s: not rel(s) and "Question" in body(s) and
                          "Question of the day" not in body(s), "the practice", room)[-1]
        env.fpost("/_fake/message", {"room": room, "sender": BEN, "body": ANSWER,
                                     "thread_root": p["event_id"]})
        env.wait_sent(lambda s: in_thread(p["event_id"])(s) and "Score" in body(s),
                      "the feedback in the thread", room)

        # a DM Ben opens
        dm = env.fpost("/_fake/room", {"creator": BEN, "members": [], "invite_bot": True,
                                        "is_direct": True})["room_id"]
        env.wait_sent(lambda s: "Hello, I am drilld" in body(s), "the DM intro", dm,
                      timeout=15)
        env.fpost("/_fake/message", {"room": dm, "sender": BEN, "body": "practice"})
        env.wait_sent(lambda s: "Question" in body(s), "the DM question", dm)
        env.fpost("/_fake/message", {"room": dm, "sender": BEN, "body": ANSWER})
        env.wait_sent(lambda s: "Score" in body(s), "the DM feedback", dm)

        # a transaction pushed again is handled once
        env.idle()
        txns = [t for t in env.fget("/_fake/transactions")["transactions"] if t["acked"]]
        check(txns, "no transaction was acknowledged")
        last = txns[-1]
        before = len(env.sent())
        r = env.fpost("/_fake/as_repush", {"txn_id": last["txn_id"]})
        check(r["status"] == 200, "a repeated transaction got %s" % r)
        time.sleep(1.5)
        check(len(env.sent()) == before, "a repeated transaction was handled again")

        # bad credentials
        r = env.fpost("/_fake/as_push", {"events": [], "bad_token": "wrong"})
        check(r["status"] == 403 and "M_FORBIDDEN" in r["body"], "a wrong hs_token: %s" % r)
        r = env.fpost("/_fake/as_push", {"events": [], "bad_token": "none"})
        check(r["status"] == 401, "no hs_token: %s" % r)
        r = env.fpost("/_fake/as_query", {"kind": "users", "id": BOT})
        check(r["status"] == 200, "the bot's user query: %s" % r)
        r = env.fpost("/_fake/as_query", {"kind": "users", "id": "@nobody:fake.test"})
        check(r["status"] == 404 and "M_NOT_FOUND" in r["body"], "another user: %s" % r)
        r = env.fpost("/_fake/as_query", {"kind": "rooms", "id": "#x:fake.test"})
        check(r["status"] == 404, "a room alias query: %s" % r)

        # a rate-limit storm: every message goes out once
        env.fpost("/_fake/storm", {"seconds": 3, "retry_after_ms": 300})
        for word in ("help", "stats"):
            env.fpost("/_fake/message", {"room": dm, "sender": BEN, "body": word})
        env.idle(timeout=40)
        for needle in ("Commands", "Your practice"):
            n = len([x for x in env.sent(dm) if needle in body(x)])
            check(n == 1, "%d answers with %r after the storm, not 1" % (n, needle))

        # a restart: pushes wait for drilld and are handled once
        env.idle()
        env.stop_drilld()
        scored = len([s for s in env.sent() if "Score" in body(s)])
        questions = len([s for s in env.sent(dm) if "Question" in body(s)])
        env.fpost("/_fake/message", {"room": dm, "sender": BEN, "body": "practice"})
        time.sleep(1)
        env.start_drilld()
        env.wait_ready()
        env.wait_count(lambda s: "Question" in body(s), questions + 1,
                       "questions after a restart (asked while down)", dm)
        env.fpost("/_fake/message", {"room": dm, "sender": BEN, "body": ANSWER})
        env.wait_count(lambda s: "Score" in body(s), scored + 1, "scores after the restart")
        check(len([s for s in env.sent(dm) if "Question" in body(s)]) == questions + 1,
              "a question was asked again")
        for secret in (AS_TOKEN, HS_TOKEN):
            check(secret not in env.log(), "a token reached the log")
        env.stop_drilld()
        ok = True
    finally:
        env.close(ok)


def main():
    return run_parts(sys.argv[1:], {"client": client_mode, "nopass": no_password,
                                    "appservice": appservice_mode}, 420)


if __name__ == "__main__":
    sys.exit(main())
