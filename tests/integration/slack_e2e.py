#!/usr/bin/env python3
"""slack_e2e.py - the real drilld against the fake Slack (tests/fakes/fake_slack.py).

Run by tests/integration/slack.sh with DRILLD and DRILLCTL set. Two parts:

  socket  Socket Mode: a scheduled question posted by `drillctl ask`, a thread
          answer scored with private feedback, an edit of it scored again
          (message_changed), the reveal, a thread-feedback
          channel, /drill help answered in the ack, /drill practice in a
          channel answered in its thread, a DM practice with a button, the App
          Home, the bot's own and other bots' messages ignored, the intro on
          joining (once), a forced reconnect and a refresh with nothing lost or
          done twice, a 429 survived, a dead channel reported once, a silent
          connection hung up after 30 s and replaced.
  events  Events API: url_verification, signatures refused (bad, stale,
          future, missing), malformed and oversized bodies, a DM answered, the
          same event again (also after a restart) done once, a slash command,
          a button, and the daemon still serving at the end.

Everything talks to 127.0.0.1 only; every wait is bounded.
"""
import json
import os
import subprocess
import sys
import time
import urllib.parse

from e2e import ANSWER, TOP, Env as BaseEnv, check, free_port, http, run_parts

FAKE = os.path.join(TOP, "tests", "fakes", "fake_slack.py")
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class Env(BaseEnv):
    """The fake Slack and drilld."""

    def __init__(self, name):
        super().__init__("drilld-slack-%s-" % name)

    def start_fake(self, ack_timeout=2):
        self.start_fake_process([FAKE, "serve", "--ack-timeout", str(ack_timeout),
                                 "--max-runtime", "300"])

    def fget(self, path):
        st, body = http("GET", self.url + path)
        check(st == 200, "fake GET %s: %d %s" % (path, st, body))
        return json.loads(body)

    def fpost(self, path, obj=None):
        st, body = http("POST", self.url + path, obj if obj is not None else {})
        return st, json.loads(body) if body else {}

    def calls(self, method=None, since=0):
        q = "/_fake/calls?since=%d" % since
        if method:
            q += "&method=" + method
        return self.fget(q)["calls"]

    def wait_calls(self, pred, what, timeout=10, method=None, since=0):
        deadline = time.time() + timeout
        while True:
            got = [c for c in self.calls(method, since) if pred(c)]
            if got:
                return got
            check(time.time() < deadline, "timed out waiting for %s" % what)
            time.sleep(0.1)

    def last_seq(self):
        calls = self.calls()
        return calls[-1]["seq"] if calls else 0


def text_of(call):
    """What people read of a posted message: its text and block texts."""
    p = call.get("params", {})
    parts = [str(p.get("text", ""))]
    for b in p.get("blocks") or []:
        if isinstance(b, dict):
            parts.append(json.dumps(b))
    return " ".join(parts)


def posts(env, since=0, channel=None, thread=None, method="chat.postMessage", ok=True):
    out = []
    for c in env.calls(method, since):
        p = c.get("params", {})
        if ok and c.get("status") != 200:
            continue
        if ok and not c.get("response", {}).get("ok"):
            continue
        if channel is not None and p.get("channel") != channel:
            continue
        if thread is not None and p.get("thread_ts") != thread:
            continue
        out.append(c)
    return out


def message_event(channel, user, text, ts, thread_ts=None, channel_type="channel",
                  extra=None):
    ev = {"type": "message", "channel": channel, "channel_type": channel_type,
          "user": user, "text": text, "ts": ts}
    if thread_ts:
        ev["thread_ts"] = thread_ts
    if extra:
        ev.update(extra)
    return ev


def envelope(env, typ, payload, accepts=None):
    body = {"type": typ, "payload": payload}
    if accepts is not None:
        body["accepts_response_payload"] = accepts
    st, r = env.fpost("/_fake/envelope", body)
    check(st == 200, "envelope refused: %d %s" % (st, r))
    return r


def wait_ack(env, envelope_id, timeout=10):
    deadline = time.time() + timeout
    while True:
        acks = [a for a in env.fget("/_fake/acks")["acks"]
                if a["envelope_id"] == envelope_id and not a.get("unknown")]
        if acks:
            return acks[0]
        check(time.time() < deadline, "envelope %s was not acknowledged" % envelope_id)
        time.sleep(0.05)


def wait_live(env, total=None, timeout=15):
    deadline = time.time() + timeout
    while True:
        c = env.fget("/_fake/connections")
        if c["live"] and (total is None or c["total"] >= total):
            st, _ = http("GET", "http://127.0.0.1:%d/readyz" % env.http_port)
            if st == 200:
                return c
        check(time.time() < deadline, "no live Socket Mode connection: %s" % c)
        time.sleep(0.1)


TS = [1700000000]


def next_ts():
    TS[0] += 1
    return "%d.000100" % TS[0]


def socket_mode():
    env = Env("socket")
    ok = False
    try:
        env.start_fake(ack_timeout=2)
        env.http_port = free_port()
        env.write_config(
            'http = { listen = "127.0.0.1:%d"; };\n' % env.http_port +
            'slack = { enabled = true; mode = "socket"; bot_token = "xoxb-test";\n'
            '  app_token = "xapp-test"; api_url = "%s/api/"; };\n' % env.url,
            'schedules = (\n'
            '  { conversation = "slack:C0CHAN"; cron = "0 9 * * *"; reveal_after = "5s"; },\n'
            '  { conversation = "slack:C0LOUD"; cron = "0 9 * * *"; reveal_after = "4s";\n'
            '    feedback = "thread"; },\n'
            '  { conversation = "slack:C0GONE"; cron = "0 9 * * *"; }\n'
            ');\n'
            'admins = [ "slack:U0ADMIN" ];\n')
        env.start_drilld()
        wait_live(env)
        check(len(env.calls("auth.test")) >= 1, "no auth.test at start-up")
        check("xoxb-test" not in env.log() and "xapp-test" not in env.log(),
              "a token reached the log")

        # -- a scheduled question, a thread answer, private feedback, the reveal
        since = env.last_seq()
        rc, out = env.ctl("ask", "slack:C0CHAN")
        check(rc == 0, "drillctl ask: %s" % out)
        root = env.wait_calls(lambda c: c["params"].get("channel") == "C0CHAN" and
                              "thread_ts" not in c["params"] and c["response"].get("ok"),
                              "the question in C0CHAN", method="chat.postMessage",
                              since=since)[0]
        T = root["response"]["ts"]
        check("Question of the day" in text_of(root), "the root is not a question")
        since = env.last_seq()
        ats = next_ts()
        r = envelope(env, "events_api", {"event": message_event(
            "C0CHAN", "U0ANN", "I would ask both sides what they need.", ats, thread_ts=T)})
        wait_ack(env, r["envelope_id"])
        fb = env.wait_calls(lambda c: c["params"].get("user") == "U0ANN" and
                            c["params"].get("thread_ts") == T,
                            "private feedback", method="chat.postEphemeral", since=since)[0]
        check("Score" in text_of(fb), "the feedback has no score: %s" % text_of(fb)[:200])
        check("Model answer" not in text_of(fb), "the model answer came before the reveal")
        # an edit of the answer (Slack's message_changed) is scored again
        since = env.last_seq()
        envelope(env, "events_api", {"event": {
            "type": "message", "subtype": "message_changed", "hidden": True,
            "channel": "C0CHAN", "channel_type": "channel", "ts": next_ts(),
            "message": {"type": "message", "user": "U0ANN", "text": ANSWER, "ts": ats,
                        "thread_ts": T, "edited": {"user": "U0ANN", "ts": next_ts()}},
            "previous_message": {"type": "message", "user": "U0ANN", "ts": ats,
                                 "text": "I would ask both sides what they need."}}})
        env.wait_calls(lambda c: c["params"].get("user") == "U0ANN" and
                       "scored again" in text_of(c), "the edited answer scored again",
                       method="chat.postEphemeral", since=since)
        public = [c for c in posts(env, since, "C0CHAN") if "Score" in text_of(c)]
        check(not public, "feedback was posted for everyone")
        rev = env.wait_calls(lambda c: c["params"].get("thread_ts") == T and
                             "Model answer" in text_of(c), "the reveal",
                             method="chat.postMessage", since=since, timeout=15)
        check(len(rev) == 1, "the reveal came %d times" % len(rev))
        env.wait_calls(lambda c: c["params"].get("thread_ts") == T and
                       "Summary" in text_of(c), "the summary",
                       method="chat.postMessage", since=since, timeout=5)
        up = env.wait_calls(lambda c: c["params"].get("ts") == T and
                            c["response"].get("ok"), "the question closed (chat.update)",
                            method="chat.update", since=since, timeout=5)
        check("(closed)" in text_of(up[0]), "the closed question: %s" % text_of(up[0])[:200])

        # -- feedback = "thread": in the thread for all, model answer still held
        since = env.last_seq()
        rc, out = env.ctl("ask", "slack:C0LOUD")
        check(rc == 0, "drillctl ask C0LOUD: %s" % out)
        root2 = env.wait_calls(lambda c: c["params"].get("channel") == "C0LOUD" and
                               "thread_ts" not in c["params"] and c["response"].get("ok"),
                               "the question in C0LOUD", method="chat.postMessage",
                               since=since)[0]
        T2 = root2["response"]["ts"]
        since = env.last_seq()
        envelope(env, "events_api", {"event": message_event(
            "C0LOUD", "U0BEN", ANSWER, next_ts(), thread_ts=T2)})
        fb2 = env.wait_calls(lambda c: c["params"].get("thread_ts") == T2 and
                             "Score" in text_of(c), "feedback in the thread",
                             method="chat.postMessage", since=since)[0]
        check("Model answer" not in text_of(fb2), "thread feedback showed the model answer")

        # -- /drill help: answered in the acknowledgement, to the person alone
        r = envelope(env, "slash_commands", {
            "command": "/drill", "text": "help", "user_id": "U0ANN", "channel_id": "C0CHAN",
            "trigger_id": "1.2.help", "response_url": env.url + "/response/1"},
            accepts=True)
        a = wait_ack(env, r["envelope_id"])
        check(a.get("payload") and a["payload"].get("response_type") == "ephemeral",
              "/drill help was not answered in its ack: %s" % a)
        check("Commands" in json.dumps(a["payload"]), "the help is not in the ack")

        # -- /drill ask now by someone who is not an admin: refused in the ack
        r = envelope(env, "slash_commands", {
            "command": "/drill", "text": "ask now", "user_id": "U0ANN", "channel_id": "C0CHAN",
            "trigger_id": "1.2.ask", "response_url": env.url + "/response/1"},
            accepts=True)
        a = wait_ack(env, r["envelope_id"])
        check(a.get("payload") and "only drilld's admins" in json.dumps(a["payload"]),
              "a non-admin's ask now was not refused in the ack: %s" % a)

        # -- /drill practice databases in a channel: a thread of one's own
        since = env.last_seq()
        r = envelope(env, "slash_commands", {
            "command": "/drill", "text": "practice", "user_id": "U0CAT",
            "channel_id": "C0CHAN", "trigger_id": "1.2.practice",
            "response_url": env.url + "/response/2"}, accepts=True)
        a = wait_ack(env, r["envelope_id"])
        check(not a.get("payload"), "practice was answered in the ack")
        proot = env.wait_calls(lambda c: c["params"].get("channel") == "C0CHAN" and
                               "thread_ts" not in c["params"] and c["response"].get("ok"),
                               "the practice question", method="chat.postMessage",
                               since=since)[0]
        check("Score" not in text_of(proot) and "Question" in text_of(proot),
              "the practice root is not a question: %s" % text_of(proot)[:200])
        P = proot["response"]["ts"]
        since = env.last_seq()
        envelope(env, "events_api", {"event": message_event(
            "C0CHAN", "U0CAT", ANSWER, next_ts(), thread_ts=P)})
        env.wait_calls(lambda c: c["params"].get("thread_ts") == P and
                       "Score" in text_of(c), "practice feedback in its thread",
                       method="chat.postMessage", since=since)
        env.wait_calls(lambda c: c["params"].get("thread_ts") == P and
                       "Model answer" in text_of(c), "the model answer in the thread",
                       method="chat.postMessage", since=since)

        # -- a DM practice, with a button
        since = env.last_seq()
        envelope(env, "events_api", {"event": message_event(
            "D0DAN", "U0DAN", "practice", next_ts(), channel_type="im")})
        q = env.wait_calls(lambda c: c["params"].get("channel") == "D0DAN" and
                           c["response"].get("ok"), "the DM question",
                           method="chat.postMessage", since=since)[0]
        check("hint" in json.dumps(q["params"].get("blocks")), "the question has no Hint button")
        since = env.last_seq()
        envelope(env, "interactive", {
            "type": "block_actions", "user": {"id": "U0DAN"}, "channel": {"id": "D0DAN"},
            "container": {"type": "message", "message_ts": q["response"]["ts"],
                          "channel_id": "D0DAN"},
            "message": {"ts": q["response"]["ts"], "text": "q"},
            "actions": [{"action_id": "drill_0", "type": "button", "value": "hint",
                         "action_ts": "1700001000.1"}]})
        env.wait_calls(lambda c: c["params"].get("channel") == "D0DAN" and
                       "Hint" in text_of(c), "the hint after the button",
                       method="chat.postMessage", since=since)
        since = env.last_seq()
        envelope(env, "events_api", {"event": message_event(
            "D0DAN", "U0DAN", ANSWER, next_ts(), channel_type="im")})
        env.wait_calls(lambda c: c["params"].get("channel") == "D0DAN" and
                       "Score" in text_of(c), "the DM feedback",
                       method="chat.postMessage", since=since)
        tz = env.wait_calls(lambda c: c["params"].get("user") == "U0DAN", "users.info",
                            method="users.info")
        check(tz, "no users.info for the person")

        # -- the App Home
        since = env.last_seq()
        envelope(env, "events_api", {"event": {"type": "app_home_opened", "user": "U0DAN",
                                               "channel": "D0DAN", "tab": "home"}})
        v = env.wait_calls(lambda c: True, "views.publish", method="views.publish",
                           since=since)[0]
        view = v["params"].get("view") or {}
        check(view.get("type") == "home" and "Your practice" in json.dumps(view),
              "the Home view lacks the stats: %s" % json.dumps(view)[:200])

        # -- bots are ignored, the bot's own messages too
        env.idle()
        since = env.last_seq()
        r1 = envelope(env, "events_api", {"event": message_event(
            "D0DAN", "U0DAN", "practice", next_ts(), channel_type="im",
            extra={"bot_id": "B0OTHER"})})
        r2 = envelope(env, "events_api", {"event": message_event(
            "D0DAN", "U0BOT", "practice", next_ts(), channel_type="im")})
        wait_ack(env, r1["envelope_id"])
        wait_ack(env, r2["envelope_id"])
        time.sleep(1.5)
        check(not posts(env, since, "D0DAN"), "the bot answered a bot")

        # -- joining a channel: the intro, once
        env.idle()
        since = env.last_seq()
        envelope(env, "events_api", {"event": {"type": "member_joined_channel",
                                               "user": "U0BOT", "channel": "C0NEW",
                                               "channel_type": "C", "inviter": "U0ANN"}})
        env.wait_calls(lambda c: c["params"].get("channel") == "C0NEW" and
                       "Hello, I am drilld" in text_of(c), "the intro",
                       method="chat.postMessage", since=since)
        r = envelope(env, "events_api", {"event": {"type": "member_joined_channel",
                                                   "user": "U0BOT", "channel": "C0NEW",
                                                   "channel_type": "C"}})
        wait_ack(env, r["envelope_id"])
        time.sleep(1.5)
        check(len(posts(env, since, "C0NEW")) == 1, "the bot introduced itself twice")

        # -- a forced reconnect: the connection drops with an envelope in it
        env.idle()
        before = env.fget("/_fake/connections")["total"]
        since = env.last_seq()
        r = envelope(env, "events_api", {"event": message_event(
            "D0EVE", "U0EVE", "practice", next_ts(), channel_type="im")})
        env.fpost("/_fake/drop", {})
        wait_live(env, total=before + 1, timeout=20)
        wait_ack(env, r["envelope_id"], timeout=15)
        time.sleep(2.5)
        q = posts(env, since, "D0EVE")
        check(len(q) == 1, "the event across the reconnect was answered %d times" % len(q))

        # -- Slack asks for a refresh: a new connection first, the old closed
        before = env.fget("/_fake/connections")
        env.fpost("/_fake/disconnect", {"reason": "refresh_requested", "grace": 10})
        deadline = time.time() + 15
        while True:
            c = env.fget("/_fake/connections")
            old_closed = [x for x in c["closed"] if x["id"] in before["live"]]
            if c["total"] > before["total"] and old_closed and c["live"]:
                break
            check(time.time() < deadline, "no refresh: %s" % c)
            time.sleep(0.1)
        check(all(x["by"] == "client" for x in old_closed),
              "drilld did not close the old connection itself: %s" % old_closed)
        since = env.last_seq()
        envelope(env, "events_api", {"event": message_event(
            "D0EVE", "U0EVE", ANSWER, next_ts(), channel_type="im")})
        env.wait_calls(lambda c: c["params"].get("channel") == "D0EVE" and
                       "Score" in text_of(c), "an answer after the refresh",
                       method="chat.postMessage", since=since)

        # -- a 429: the message waits Retry-After and lands once
        since = env.last_seq()
        env.fpost("/_fake/fail", {"method": "chat.postMessage", "status": 429,
                                  "retry_after": 2, "count": 1})
        envelope(env, "events_api", {"event": message_event(
            "D0FAY", "U0FAY", "practice", next_ts(), channel_type="im")})
        got = env.wait_calls(lambda c: c["params"].get("channel") == "D0FAY" and
                             c["status"] == 200, "the message after a 429",
                             method="chat.postMessage", since=since, timeout=15)
        limited = [c for c in env.calls("chat.postMessage", since) if c["status"] == 429]
        check(limited, "the fake's 429 was not met")
        check(got[0]["at"] - limited[0]["at"] >= 1.9,
              "Retry-After was not honoured (%.2f s)" % (got[0]["at"] - limited[0]["at"]))
        check(len(got) == 1, "the message was posted %d times" % len(got))

        # -- a channel that is gone: failed, logged once with what to do, admins told
        env.fpost("/_fake/channels", {"missing": ["C0GONE"]})
        since = env.last_seq()
        rc, out = env.ctl("ask", "slack:C0GONE")
        check(rc == 0, "drillctl ask C0GONE: %s" % out)
        env.wait_log("Slack cannot find slack:C0GONE (channel_not_found)", 10)
        env.wait_calls(lambda c: c["params"].get("channel") == "D0ADMIN" and
                       "channel_not_found" in text_of(c), "the admin told",
                       method="chat.postMessage", since=since, timeout=10)
        rc, out = env.ctl("status")
        check("outbox.failed: 1" in out, "the failed message is not counted: %s" % out)
        check("slack" in out and "live" in out, "status does not show slack live: %s" % out)
        check(env.log().count("Slack cannot find slack:C0GONE") == 1,
              "the failure was logged more than once")

        # -- a connection that goes quiet (a NAT dropped it): hung up, replaced
        before = env.fget("/_fake/connections")
        env.fpost("/_fake/silence", {})
        deadline = time.time() + 50
        while True:
            c = env.fget("/_fake/connections")
            hung = [x for x in c["closed"] if x["id"] in before["live"]]
            if hung and c["live"] and c["total"] > before["total"]:
                break
            check(time.time() < deadline, "a silent connection was not replaced: %s" % c)
            time.sleep(0.5)
        check(all(x["by"] == "client" for x in hung), "drilld did not hang up: %s" % hung)

        check("xoxb-test" not in env.log() and "xapp-test" not in env.log(),
              "a token reached the log")
        env.stop_drilld()
        ok = True
    finally:
        env.close(ok)


def events_mode():
    env = Env("events")
    ok = False
    try:
        env.start_fake()
        env.http_port = free_port()
        env.write_config(
            'http = { listen = "127.0.0.1:%d"; max_body = "4K"; };\n' % env.http_port +
            'slack = { enabled = true; mode = "events"; bot_token = "xoxb-test";\n'
            '  signing_secret = "%s"; api_url = "%s/api/"; };\n' % (SECRET, env.url))
        # Slack slow to answer auth.test: events wait (503, sent again later)
        env.fpost("/_fake/fail", {"method": "auth.test", "delay": 3, "count": 1})
        env.start_drilld()
        base = "http://127.0.0.1:%d" % env.http_port
        early = json.dumps({"type": "event_callback", "event_id": "Ev0EARLY",
                            "event_time": int(time.time()),
                            "event": {"type": "member_joined_channel", "user": "U0BOT",
                                      "channel": "C0EARLY", "channel_type": "C"}})
        deadline = time.time() + 10
        while True:
            p = subprocess.run([sys.executable, FAKE, "post", "--url", base + "/slack/events",
                                "--secret", SECRET, "--json", early], capture_output=True,
                               text=True, timeout=20, stdin=subprocess.DEVNULL)
            if p.returncode == 0:
                break
            check(time.time() < deadline, "drilld does not serve HTTP")
            time.sleep(0.1)
        check(p.stdout.startswith("503"), "an event before auth.test got %s" % p.stdout[:40])
        deadline = time.time() + 10
        while http("GET", base + "/readyz")[0] != 200:
            check(time.time() < deadline, "not ready")
            time.sleep(0.1)

        def post(path, body, *flags, form=False):
            args = [sys.executable, FAKE, "post", "--url", base + path, "--secret", SECRET,
                    "--form" if form else "--json", body] + list(flags)
            p = subprocess.run(args, capture_output=True, text=True, timeout=20,
                               stdin=subprocess.DEVNULL)
            check(p.returncode == 0, "post failed: %s" % p.stderr)
            status, _, rest = p.stdout.partition("\n")
            return int(status), rest

        # Slack's retry of the early event, now that the bot knows itself
        since = env.last_seq()
        st, _ = post("/slack/events", early, "--retry-num", "1")
        check(st == 200, "the early event's retry got %d" % st)
        env.wait_calls(lambda c: c["params"].get("channel") == "C0EARLY" and
                       "Hello, I am drilld" in text_of(c), "the intro after the retry",
                       method="chat.postMessage", since=since)

        st, body = post("/slack/events", json.dumps(
            {"type": "url_verification", "token": "x", "challenge": "c0ffee"}))
        check(st == 200 and body.strip() == "c0ffee", "url_verification: %d %s" % (st, body))

        ev = {"type": "event_callback", "event_id": "Ev0AAA", "event_time": int(time.time()),
              "event": message_event("D0GUS", "U0GUS", "practice", next_ts(),
                                     channel_type="im")}
        evj = json.dumps(ev)
        for flags, what in ((["--bad-signature"], "a bad signature"),
                            (["--ts-offset", "-400"], "a stale timestamp"),
                            (["--ts-offset", "400"], "a timestamp from the future"),
                            (["--no-signature"], "no signature"),
                            (["--no-timestamp"], "no timestamp")):
            st, _ = post("/slack/events", evj, *flags)
            check(st == 401, "%s got %d, not 401" % (what, st))
        check(not posts(env, 0, "D0GUS"), "a refused request was acted on")
        st, _ = post("/slack/events", '{"type": "event_callback", ')
        check(st == 400, "malformed JSON got %d" % st)
        big = json.dumps({"type": "event_callback", "pad": "x" * 5000})
        st, _ = post("/slack/events", big)
        check(st == 413, "an oversized body got %d" % st)

        since = env.last_seq()
        st, _ = post("/slack/events", evj)
        check(st == 200, "the event got %d" % st)
        env.wait_calls(lambda c: c["params"].get("channel") == "D0GUS", "the DM question",
                       method="chat.postMessage", since=since)
        st, _ = post("/slack/events", evj, "--retry-num", "1")
        check(st == 200, "the retry got %d" % st)
        time.sleep(1.5)
        check(len(posts(env, since, "D0GUS")) == 1, "a retried event was handled twice")

        # after a restart the same event is still a repeat
        env.stop_drilld()
        env.start_drilld()
        deadline = time.time() + 10
        while http("GET", base + "/readyz")[0] != 200:
            check(time.time() < deadline, "not ready after the restart")
            time.sleep(0.1)
        st, _ = post("/slack/events", evj, "--retry-num", "2")
        check(st == 200, "the retry after a restart got %d" % st)
        time.sleep(1.5)
        check(len(posts(env, since, "D0GUS")) == 1,
              "a retried event was handled again after a restart")

        # a slash command over HTTP: help in the response body
        form = ("token=x&team_id=T0FAKE&channel_id=C0HTTP&user_id=U0GUS&command=%2Fdrill"
                "&text=help&response_url=" + urllib.parse.quote(env.url + "/response/9",
                                                               safe="") +
                "&trigger_id=2.3.4")
        st, body = post("/slack/commands", form, form=True)
        check(st == 200 and "Commands" in body and "ephemeral" in body,
              "/drill help over HTTP: %d %s" % (st, body[:200]))
        st, _ = post("/slack/commands", "ssl_check=1&token=x", form=True)
        check(st == 200, "ssl_check got %d" % st)
        st, _ = post("/slack/commands", form, "--bad-signature", form=True)
        check(st == 401, "an unsigned slash command got %d" % st)

        # a button over HTTP
        since = env.last_seq()
        payload = {"type": "block_actions", "user": {"id": "U0GUS"},
                   "channel": {"id": "D0GUS"},
                   "container": {"type": "message", "message_ts": "1.1", "channel_id": "D0GUS"},
                   "actions": [{"action_id": "drill_0", "type": "button", "value": "hint",
                                "action_ts": "1700002000.5"}]}
        st, _ = post("/slack/interactivity",
                     "payload=" + urllib.parse.quote(json.dumps(payload), safe=""), form=True)
        check(st == 200, "the button got %d" % st)
        env.wait_calls(lambda c: c["params"].get("channel") == "D0GUS" and
                       "Hint" in text_of(c), "the hint", method="chat.postMessage",
                       since=since)
        st, _ = post("/slack/interactivity", "payload=%7Bnot+json", form=True)
        check(st == 400, "a bad interaction payload got %d" % st)

        check(http("GET", base + "/healthz")[0] == 200, "not serving after bad requests")
        check(SECRET not in env.log() and "xoxb-test" not in env.log(),
              "a secret reached the log")
        env.stop_drilld()
        ok = True
    finally:
        env.close(ok)


def main():
    return run_parts(sys.argv[1:], {"socket": socket_mode, "events": events_mode}, 300)


if __name__ == "__main__":
    sys.exit(main())
