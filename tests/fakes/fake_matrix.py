#!/usr/bin/env python3
"""fake_matrix.py - a fake Matrix homeserver for drilld's end-to-end tests
(Python 3 stdlib only).

It speaks the client-server API (HTTP/1.1 + JSON, as Synapse does) and the
homeserver side of the application-service API, on 127.0.0.1 only, so that
drilld (libcurl) cannot tell it from Synapse for what drilld uses. Point
drilld's matrix homeserver at  http://127.0.0.1:PORT  (no trailing path).

Server name "fake.test". Users "@name:fake.test", room ids
"!<18 letters>:fake.test", event ids "$<43 url-safe base64 chars>", device
ids 10 capital letters, access tokens "syt_<b64 localpart>_<random>_<crc>".

COMMAND LINE
  fake_matrix.py serve --port-file FILE [--user @drilld:fake.test]
        [--token syt_test] [--password secret] [--device FAKEDEVICE]
        [--as-token AS --hs-token HS [--as-url URL] [--as-id drilld]
        [--as-txn-start N]] [--max-runtime 600]
      Listens on 127.0.0.1 (port picked by the kernel), writes the port
      number to FILE atomically (FILE.tmp, then rename), serves until
      SIGTERM/SIGINT or --max-runtime seconds, then exits 0. One log line per
      request on stderr (never tokens, never passwords).
      --user       the bot's user id; it exists from the start, with password
                   --password (login) and access token --token (device
                   --device, already valid: no login needed).
      --as-token   enables appservice mode: this token authenticates as
                   --user (the AS sender); "?user_id=" may name that user
                   (any other user: 403 M_FORBIDDEN, no namespaces faked).
      --hs-token   what the fake sends to the AS (required with --as-token).
      --as-url     where transactions are pushed (http://127.0.0.1:P[/path]
                   only; may be set later with POST /_fake/as). Events are
                   queued for the AS from the start even without a URL.
      --as-id      the registration id for /appservice/{id}/ping.
      --as-txn-start  first transaction id (default: ms since the epoch at
                   start-up, so ids never repeat across runs of the fake).

CLIENT-SERVER API  (prefix /_matrix/client/v3; "r0" accepted too)
  Auth: "Authorization: Bearer TOKEN" only. Missing -> 401 M_MISSING_TOKEN;
  an "access_token" query parameter -> 401 M_MISSING_TOKEN whether or not a
  header is also sent (spec v1.20 dropped it; Synapse refuses the mix);
  unknown or expired token -> 401 {"errcode":"M_UNKNOWN_TOKEN",
  "error":...,"soft_logout":false}. Errors are {"errcode","error"} with the
  spec's statuses; an unknown endpoint -> 404 M_UNRECOGNIZED, a known one
  with the wrong method -> 405 M_UNRECOGNIZED. A body that is not JSON ->
  400 M_NOT_JSON, JSON but not an object -> 400 M_BAD_JSON. Chunked request
  bodies are accepted. Responses are UTF-8 JSON (non-ASCII not escaped).
    GET  /_matrix/client/versions (no auth) -> {"versions":[...]}
    GET  /.well-known/matrix/client (no auth) -> m.homeserver base_url
    GET  /login -> {"flows":[{"type":"m.login.password"}
                   (+ m.login.application_service with --as-token)]}
    POST /login {"type":"m.login.password","identifier":{"type":"m.id.user",
                 "user":"drilld" | "@drilld:fake.test"},"password":...
                 [,"device_id":D]} (legacy top-level "user" accepted too)
         -> {"user_id","access_token","device_id","home_server"}: a NEW token
         each time; old tokens stay valid. device_id kept as given, else a
         new one. Wrong user/password -> 403 M_FORBIDDEN. Other users log in
         with passwords set by POST /_fake/user.
         m.login.application_service (with the as_token) works for --user.
    POST /logout -> {} (that token becomes unknown)
    GET  /account/whoami -> {"user_id","device_id","is_guest":false}
         (no device_id for the as_token, like Synapse)
    POST /user/{userId}/filter {filter} -> {"filter_id":"0"...};
         GET /user/{userId}/filter/{id}. Another user's id -> 403 M_FORBIDDEN;
         a malformed filter -> 400 M_BAD_JSON.
    GET  /sync?since=&timeout=&filter=&full_state=&set_presence=
         next_batch is "s<N>", N a global stream position. Without since:
         joined rooms with their latest timeline events (limit, default 10,
         "limited":true when more exist) and the current state not in the
         timeline; pending invites; account_data. With since: only what is
         newer; if nothing is, the request is held up to timeout ms (cap
         60 s; returns within ~10 ms of a new event), then answers an empty
         batch whose next_batch is new (the stream is bumped).
         Sections are omitted when empty, like Synapse ("rooms" and
         "account_data" may be absent; see /_fake/sync_options).
         since not of the form "s<N>", newer than the stream, or older than
         POST /_fake/forget_since -> 400 M_UNKNOWN "Invalid stream token"
         (Synapse's answer to a garbage token). filter: an id from /filter
         (unknown -> 400 M_INVALID_PARAM "No such filter") or inline JSON
         starting with "{" (bad -> 400 M_NOT_JSON). set_presence: online,
         offline, unavailable, else 400 M_INVALID_PARAM; timeout not an
         integer -> 400 M_INVALID_PARAM.
         Filters honoured: room.timeline/room.state/account_data types,
         not_types ("*" wildcards), senders, not_senders, timeline limit,
         room.rooms/not_rooms, room.include_leave, state.lazy_load_members.
         Not honoured: event_fields, event_format, presence, ephemeral.
         rooms.join.{id}: timeline {events,limited,prev_batch}, state
         {events}, summary {"m.heroes","m.joined_member_count",
         "m.invited_member_count"} (on every joined room in the batch),
         ephemeral, account_data, unread_notifications. Timeline events in
         client format: type, event_id, sender, origin_server_ts, content,
         state_key (state events), unsigned {age[, transaction_id on the
         syncing device's own sends][, prev_content, replaces_state]}.
         A room is "newly joined" (full state, latest timeline) when the
         user was not joined at since. rooms.invite.{id}.invite_state.events:
         stripped m.room.create, join_rules, name, encryption, canonical
         alias, the inviter's member event, and the invite member event
         itself (content {"membership":"invite"[,"is_direct":true]}).
         rooms.leave.{id}: rooms left (or invites rejected, kicks) since
         `since`, with the timeline up to the leave. account_data.events:
         global account data changed since (e.g. m.direct).
    POST /join/{roomIdOrAlias}, POST /rooms/{roomId}/join -> {"room_id"}
         Needs an invite or a public room (else 403 M_FORBIDDEN; unknown
         room -> 404 M_NOT_FOUND). Joining again adds no event.
    POST /rooms/{roomId}/leave -> {} (also rejects an invite); not in the
         room -> 403 M_FORBIDDEN. POST /rooms/{roomId}/forget -> {}.
    POST /rooms/{roomId}/invite {"user_id"} -> {}
    PUT  /rooms/{roomId}/send/{eventType}/{txnId} {content} -> {"event_id"}
         Idempotent per (device, path): the same device (any of its tokens,
         also after a new login with the same device_id) sending the same
         room/type/txnId again gets the same event_id, and no second event
         (the body of a repeat is ignored, like Synapse). Errors are not
         remembered: a txnId that failed (429, 403...) can be sent again.
         Not joined -> 403 M_FORBIDDEN. Relations are checked like Synapse:
         rel_type with an unknown target -> 400 M_UNKNOWN, a target in
         another room -> 400, an m.thread whose root itself has a rel_type
         -> 400 M_UNKNOWN, the same m.annotation twice -> 400. An event over
         65536 bytes -> 413 M_TOO_LARGE. With the as_token, "?ts=MS" sets
         origin_server_ts.
    POST /createRoom {preset, invite, is_direct, name, topic,
         room_alias_name, initial_state, visibility} -> {"room_id"}
         Invites carry is_direct. Local invited users are created if new
         and, unless auto-accept is off (/_fake/auto_accept, /_fake/user),
         join at once. m.direct is NOT updated by the server (the client
         does that, as in the spec). initial_state m.room.encryption makes
         the room encrypted.
    GET/PUT /user/{userId}/account_data/{type} (own user only, else 403;
         unknown type -> 404 M_NOT_FOUND). A PUT shows in /sync.
    GET  /rooms/{roomId}/joined_members -> {"joined":{user:{"display_name"}}}
    GET  /rooms/{roomId}/state, /rooms/{roomId}/state/{type}[/{stateKey}]
    GET  /joined_rooms, GET /profile/{userId}[/displayname]
    PUT  /rooms/{roomId}/typing/{userId}, POST /rooms/{roomId}/receipt/
         {type}/{eventId}, POST /rooms/{roomId}/read_markers -> {}
    POST /_matrix/client/v1/appservice/{appserviceId}/ping
         {"transaction_id"} (as_token only, else 403 M_FORBIDDEN; wrong id
         -> 403; no AS url -> 400 M_URL_NOT_SET) -> the fake POSTs
         {as-url}/_matrix/app/v1/ping and answers {"duration_ms"}, or 502
         {"errcode":"M_BAD_STATUS","status","body"} (AS answered non-2xx),
         502 M_CONNECTION_FAILED, 504 M_CONNECTION_TIMEOUT (5 s).
  429s carry {"errcode":"M_LIMIT_EXCEEDED","error","retry_after_ms":X} and
  "Retry-After: ceil(X/1000)" (see /_fake/fail, /_fake/storm). Injected
  failures come after authentication and before anything else, so a failed
  send creates nothing.

APPLICATION SERVICE SIDE (with --as-token)
  Every new event the AS is interested in (in a room where --user is
  joined, sent by it, or a member event about it: invites, kicks) is queued
  and pushed as PUT {as-url}/_matrix/app/v1/transactions/{txnId}
  {"events":[client-format events with room_id]} (at most 100 per txn),
  with "Authorization: Bearer HS" and "?access_token=HS" (auth mode "both";
  see /_fake/as). Transactions go one at a time, in order; any non-2xx or
  connection error is retried with the SAME txnId and SAME events after
  0.5 s, doubling to 5 s, until a 2xx (5 s timeout per attempt). txnIds are
  decimal strings counting up from --as-txn-start.

CONTROL ENDPOINTS (JSON in, JSON out, HTTP 400 {"error":...} on bad input;
users are full ids; an unknown local user named here is created)
  GET  /_fake/ping -> {"ok":true,"port","user","as":bool}
  GET  /_fake/calls[?path_contains=S][&method=M][&since=SEQ]
        -> {"calls":[{"seq","method","path" (as sent, percent-encoded),
        "query" (without access_token),"body" (parsed JSON; "password"
        values replaced by "<redacted>"),"status","response","user",
        "at","duration_ms"}]} (seq > SEQ). Every client-server call.
        path_contains matches the raw or the decoded path.
  POST /_fake/reset_calls -> clears calls and sent (seq goes on)
  GET  /_fake/sent[?room=ID] -> {"sent":[{"seq","room","txn_id","event_id",
        "type","content","sender","at","repeats"}]}: the events the bot
        (--user, any token) sent; repeats counts idempotent re-sends.
  GET  /_fake/rooms -> {"rooms":[{"room_id","alias","name","members":
        {user:membership},"is_direct","encrypted","join_rule"}]}
  GET  /_fake/events?room=ID[&since=POS] -> {"events":[client events with
        room_id and "pos"]}
  GET  /_fake/account_data?user=U -> {"account_data":{type:content}}
  POST /_fake/user {"user":"@ann:fake.test"[,"password":P]
        [,"auto_accept":bool]} -> {"user"}
  POST /_fake/room {"creator":"@ann:fake.test","members":[...],
        "invite_bot":true,"join_bot":false,"is_direct":false,
        "encrypted":false[,"name":S][,"alias":"#x:fake.test"][,"public":B]}
        -> {"room_id"[,"invite_event_id"]}. The creator and members join;
        the bot is invited (invite_bot, default true; its invite shows in
        /sync and is pushed to the AS) or made to join at once (join_bot).
  POST /_fake/message {"room","sender","body"[,"formatted_body"]
        [,"msgtype":"m.text"][,"thread_root":EV][,"reply_to":EV]
        [,"replaces":EV][,"event_type":T][,"content":OBJ][,"mentions":[U]]
        [,"ts":MS]} -> {"event_id"}. thread_root: m.relates_to {rel_type
        m.thread, event_id root, is_falling_back true, m.in_reply_to the
        thread's latest event} (with reply_to: is_falling_back false,
        m.in_reply_to reply_to). reply_to alone: m.in_reply_to. replaces: an
        m.replace edit (m.new_content, "* " body). content: used verbatim.
        In an encrypted room the event is m.room.encrypted (megolm-shaped
        random ciphertext, m.relates_to kept in the clear). The sender must
        be joined. ts back-dates origin_server_ts.
  POST /_fake/state {"room","sender","type","state_key":"","content"}
        -> {"event_id"} (e.g. m.room.encryption to encrypt a room later)
  POST /_fake/invite {"room","sender","user"[,"is_direct":B]} -> {"event_id"}
  POST /_fake/join {"room","user"} -> {"event_id"}
  POST /_fake/leave {"room","user"[,"by":KICKER]} -> {"event_id"}
  POST /_fake/auto_accept {"enabled":bool} -> invites the bot sends to
        local test users are accepted at once (default true)
  POST /_fake/fail {"kind":K,"count":N,"status":429[,"retry_after_ms":1000]
        [,"retry_after_header":true]} | {"kind":K,"status":500,"count":N
        [,"html":true]} | {"kind":K,"status":401,"errcode":"M_UNKNOWN_TOKEN"
        [,"soft_logout":B]} | {"kind":K,"delay":SECONDS(<=30)}
        K: send, sync, whoami, login, logout, join, leave, invite,
        createRoom, filter, account_data, joined_members, state, ping,
        other, any. The next N calls of that kind fail so. 429 defaults:
        M_LIMIT_EXCEEDED, retry_after_ms 1000 (null: not in the body), a
        Retry-After header unless retry_after_header is false. 5xx default
        M_UNKNOWN; "html": a text/html body, like a proxy's 502 page.
        -> {"pending":{kind:count}}
  POST /_fake/storm {"seconds":5,"retry_after_ms":300} -> for that long
        every send answers 429 except one in every 3 (the 3rd, 6th, ...).
        {"seconds":0} ends it.
  POST /_fake/expire_token {"token":T[,"soft_logout":B]} | {"user":U}
        -> that token (or every token of U, the as_token excluded) answers
        401 M_UNKNOWN_TOKEN from now on. -> {"expired":n}
  POST /_fake/forget_since {} -> every since token issued so far answers
        400 M_UNKNOWN (a server that lost its stream positions).
  POST /_fake/sync_options {"omit_empty":bool} (default true)
  POST /_fake/as {"url":URL|null,"bad_token":"wrong"|"none"|null,
        "auth":"both"|"header"|"query","paused":bool} (each key optional)
        -> the current settings. bad_token applies to every later HS->AS
        request (pushes keep being retried: a 403/401 is not a 2xx);
        "paused" holds pushes. Any change makes the next retry immediate.
  POST /_fake/as_repush {"txn_id":ID[,"bad_token":...]} -> PUTs that
        (already acked) transaction again with the same events, at once;
        -> {"status","body"} (status 0 and "error" when the connection
        fails)
  POST /_fake/as_push {"events":[...]|absent,"bad_token":"wrong"|"none"|
        null[,"auth":...]} -> one extra transaction with a fresh txnId,
        sent once at once, outside the queue -> {"txn_id","status","body"}
  POST /_fake/as_query {"kind":"users"|"rooms","id":ID[,"bad_token":...]}
        -> GET {as-url}/_matrix/app/v1/users/{id} (or /rooms/{alias})
        -> {"status","body"}
  GET  /_fake/transactions -> {"transactions":[{"txn_id","events",
        "attempts","acked","last_status","last_body","statuses",
        "repushes"[,"extra":true for as_push]}],"queued":n (events not yet
        in a transaction),"settings":{as /_fake/as answers}}
"""

import argparse
import base64
import binascii
import http.client
import http.server
import json
import math
import os
import queue
import re
import secrets
import signal
import socket
import string
import sys
import threading
import time
import urllib.parse

SERVER = "fake.test"
MAX_BODY = 4 * 1024 * 1024          # request bodies over this: 413
MAX_EVENT = 65536                   # Synapse's event size limit
MAX_HTTP_CONNECTIONS = 64
MAX_RECORDS = 20000                 # recorded calls / sent kept
MAX_AS_QUEUE = 100000
MAX_TXN_RECORDS = 10000
HTTP_IDLE_TIMEOUT = 60
SYNC_CAP_MS = 60000
AS_TIMEOUT = 5.0
AS_BACKOFF_MIN = 0.5
AS_BACKOFF_MAX = 5.0
AS_TXN_EVENTS = 100
DEFAULT_TIMELINE_LIMIT = 10

USER_RE = re.compile(r"^@[^:\s]+:[A-Za-z0-9.\-\[\]]+(:[0-9]+)?$")
LOCAL_USER_RE = re.compile(r"^@[a-z0-9._=\-/+]+:" + re.escape(SERVER) + "$")
ROOM_RE = re.compile(r"^![^:\s]+:[A-Za-z0-9.\-]+(:[0-9]+)?$")
ALIAS_RE = re.compile(r"^#[^:\s]+:[A-Za-z0-9.\-]+(:[0-9]+)?$")
SINCE_RE = re.compile(r"^s([0-9]{1,15})$")


# ---------------------------------------------------------------------------
# Logging (like fake_slack: a writer thread, never blocks a request)
# ---------------------------------------------------------------------------

_log_queue = queue.Queue(maxsize=10000)
_log_thread = None


def _log_writer():
    while True:
        line = _log_queue.get()
        try:
            sys.stderr.write(line)
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


def log(msg):
    """One line on stderr; callers never pass tokens or passwords."""
    line = "fake_matrix %.3f: %s\n" % (time.time(), msg)
    if _log_thread is None:
        sys.stderr.write(line)
        sys.stderr.flush()
        return
    try:
        _log_queue.put_nowait(line)
    except queue.Full:
        pass


def start_logger():
    global _log_thread
    _log_thread = threading.Thread(target=_log_writer, daemon=True, name="log")
    _log_thread.start()


def flush_log(timeout=1.0):
    end = time.time() + timeout
    while not _log_queue.empty() and time.time() < end:
        time.sleep(0.01)


def redact_query(q):
    return re.sub(r"(access_token=)[^&]*", r"\1<redacted>", q)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

class MatrixError(Exception):
    def __init__(self, status, errcode, error, extra=None, headers=None):
        super().__init__(error)
        self.status = status
        self.errcode = errcode
        self.error = error
        self.extra = extra or {}
        self.headers = headers or []

    def body(self):
        out = {"errcode": self.errcode, "error": self.error}
        out.update(self.extra)
        return out


def mjson(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def now_ms():
    return int(time.time() * 1000)


def rand_letters(n):
    return "".join(secrets.choice(string.ascii_letters) for _ in range(n))


def new_room_id():
    return "!%s:%s" % (rand_letters(18), SERVER)


def new_event_id():
    return "$" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def new_device_id():
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(10))


def new_token(user):
    local = user[1:].split(":", 1)[0]
    b64 = base64.urlsafe_b64encode(local.encode()).decode().rstrip("=")
    rnd = "".join(secrets.choice(string.ascii_letters) for _ in range(20))
    crc = binascii.crc32(("syt_%s_%s" % (b64, rnd)).encode())
    return "syt_%s_%s_%s" % (b64, rnd, base64.b32encode(crc.to_bytes(4, "big")).decode()[:6])


def localpart(user):
    return user[1:].split(":", 1)[0]


def _reject_constant(name):
    raise ValueError("not JSON: " + name)


def parse_json_object(body, allow_empty=False):
    """The request body as a JSON object, with Synapse's errors."""
    if not body or not body.strip():
        if allow_empty:
            return {}
        raise MatrixError(400, "M_NOT_JSON", "Content not JSON.")
    try:
        obj = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise MatrixError(400, "M_NOT_JSON", "Content not JSON.")
    if not isinstance(obj, dict):
        raise MatrixError(400, "M_BAD_JSON", "Content must be a JSON object.")
    return obj


def type_match(pattern, value):
    if "*" not in pattern:
        return pattern == value
    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), value) is not None


def event_filter_ok(f, etype, sender):
    if any(type_match(p, etype) for p in f.get("not_types") or []):
        return False
    if f.get("types") is not None and not any(type_match(p, etype) for p in f["types"]):
        return False
    if sender in (f.get("not_senders") or []):
        return False
    if f.get("senders") is not None and sender not in f["senders"]:
        return False
    return True


def validate_event_filter(f, where):
    if not isinstance(f, dict):
        raise ValueError("%s must be an object" % where)
    for k in ("types", "not_types", "senders", "not_senders", "rooms", "not_rooms"):
        v = f.get(k)
        if v is not None and (not isinstance(v, list) or
                              not all(isinstance(x, str) for x in v)):
            raise ValueError("%s.%s must be a list of strings" % (where, k))
    lim = f.get("limit")
    if lim is not None and (isinstance(lim, bool) or not isinstance(lim, int) or lim < 0):
        raise ValueError("%s.limit must be a non-negative integer" % where)
    for k in ("lazy_load_members", "include_redundant_members", "contains_url"):
        if k in f and not isinstance(f[k], bool):
            raise ValueError("%s.%s must be a boolean" % (where, k))


class Filter:
    """A sync filter, honoured loosely (see the docstring)."""

    def __init__(self, obj=None):
        obj = obj or {}
        room = obj.get("room") or {}
        self.obj = obj
        self.timeline = room.get("timeline") or {}
        self.state = room.get("state") or {}
        self.account_data = obj.get("account_data") or {}
        self.rooms = room.get("rooms")
        self.not_rooms = room.get("not_rooms") or []
        self.include_leave = bool(room.get("include_leave", False))
        lim = self.timeline.get("limit")
        self.limit = DEFAULT_TIMELINE_LIMIT if lim is None else min(int(lim), 1000)
        self.lazy = bool(self.state.get("lazy_load_members", False))

    @staticmethod
    def validate(obj):
        if not isinstance(obj, dict):
            raise ValueError("filter must be an object")
        for k in ("event_fields",):
            if k in obj and (not isinstance(obj[k], list) or
                             not all(isinstance(x, str) for x in obj[k])):
                raise ValueError("%s must be a list of strings" % k)
        if "event_format" in obj and obj["event_format"] not in ("client", "federation"):
            raise ValueError("event_format must be client or federation")
        for k in ("presence", "account_data"):
            if k in obj:
                validate_event_filter(obj[k], k)
        room = obj.get("room")
        if room is not None:
            if not isinstance(room, dict):
                raise ValueError("room must be an object")
            for k in ("rooms", "not_rooms"):
                v = room.get(k)
                if v is not None and (not isinstance(v, list) or
                                      not all(isinstance(x, str) for x in v)):
                    raise ValueError("room.%s must be a list of strings" % k)
            if "include_leave" in room and not isinstance(room["include_leave"], bool):
                raise ValueError("room.include_leave must be a boolean")
            for k in ("timeline", "state", "ephemeral", "account_data"):
                if k in room:
                    validate_event_filter(room[k], "room." + k)

    def room_ok(self, rid):
        if rid in self.not_rooms:
            return False
        if self.rooms is not None and rid not in self.rooms:
            return False
        for f in (self.timeline,):
            if rid in (f.get("not_rooms") or []):
                return False
        return True

    def timeline_ok(self, rec):
        ev = rec["ev"]
        return event_filter_ok(self.timeline, ev["type"], ev["sender"])

    def state_ok(self, rec):
        ev = rec["ev"]
        return event_filter_ok(self.state, ev["type"], ev["sender"])

    def account_data_ok(self, etype):
        return event_filter_ok(self.account_data, etype, "")


class Room:
    def __init__(self, rid):
        self.id = rid
        self.events = []             # records, in stream order
        self.state = {}              # (type, state_key) -> record
        self.members = {}            # user -> membership
        self.hist = {}               # user -> [(pos, membership)]
        self.alias = None
        self.thread_latest = {}      # root event id -> latest event id in the thread
        self.is_direct = False

    def membership_at(self, user, pos):
        m = None
        for p, mem in self.hist.get(user, []):
            if p <= pos:
                m = mem
            else:
                break
        return m

    def member_pos(self, user):
        h = self.hist.get(user)
        return h[-1][0] if h else 0

    def state_content(self, etype, key=""):
        rec = self.state.get((etype, key))
        return rec["ev"]["content"] if rec else None

    @property
    def encrypted(self):
        return ("m.room.encryption", "") in self.state

    @property
    def join_rule(self):
        c = self.state_content("m.room.join_rules") or {}
        return c.get("join_rule", "invite")

    def count(self, membership):
        return sum(1 for m in self.members.values() if m == membership)


class Requester:
    def __init__(self, user, scope, device, is_as, token):
        self.user = user
        self.scope = scope           # transaction scope: "dev:USER:DEVICE" or "as:USER"
        self.device = device
        self.is_as = is_as
        self.token = token


# ---------------------------------------------------------------------------
# The shared state of the fake
# ---------------------------------------------------------------------------

class Fake:
    """Everything shared between threads, behind self.lock (self.cond is a
    Condition on it, notified on every new event or account data). Methods
    named *_locked expect the lock held; none of them does I/O or sleeps."""

    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.port = 0
        self.stopping = False
        self.bot = opts.user
        self.pos = 0                 # global stream position
        self.min_since = 0
        self.omit_empty = True
        self.users = {}              # user -> {"password","auto_accept"}
        self.tokens = {}             # token -> {"user","device","soft_logout"?}
        self.expired = {}            # token -> soft_logout flag
        self.rooms = {}              # room id -> Room
        self.aliases = {}            # alias -> room id
        self.events_by_id = {}
        self.account_data = {}       # user -> {type: (content, pos)}
        self.filters = {}            # (user, id) -> Filter
        self.filter_n = 0
        self.txn_cache = {}          # (scope, path) -> event id
        self.calls = []
        self.sent = []
        self.sent_by_event = {}
        self.seq = 0
        self.fails = []              # [{"kind",...,"count"}] in order
        self.storm_until = 0.0
        self.storm_ms = 300
        self.storm_n = 0
        self.auto_accept = True
        # appservice
        self.as_url = opts.as_url
        self.as_bad = None
        self.as_auth = "both"
        self.as_paused = False
        self.as_queue = []
        self.as_current = None
        self.as_txns = {}            # txn id -> record (insertion order)
        self.as_txn_n = opts.as_txn_start - 1
        self.as_next_at = 0.0
        self.as_backoff = AS_BACKOFF_MIN
        self.add_user_locked(self.bot, password=opts.password)
        self.tokens[opts.token] = {"user": self.bot, "device": opts.device}

    # -- users and tokens ------------------------------------------------------

    def add_user_locked(self, user, password=None, auto_accept=None):
        u = self.users.setdefault(user, {"password": None, "auto_accept": None})
        if password is not None:
            u["password"] = password
        if auto_accept is not None:
            u["auto_accept"] = bool(auto_accept)
        return u

    def ensure_user_locked(self, user):
        if not isinstance(user, str) or not USER_RE.match(user):
            raise ValueError("bad user id %r" % (user,))
        if user.endswith(":" + SERVER) and user not in self.users:
            self.add_user_locked(user)
        return user

    def authenticate_locked(self, headers, query, required=True):
        """The Requester of a request, or MatrixError."""
        auth = headers.get("Authorization")
        if "access_token" in query:
            if auth:
                raise MatrixError(401, "M_MISSING_TOKEN",
                                  "Mixing Authorization headers and access_token query "
                                  "parameters.")
            raise MatrixError(401, "M_MISSING_TOKEN",
                              "The access_token query parameter is not supported; "
                              "use an Authorization: Bearer header")
        if not auth:
            if not required:
                return None
            raise MatrixError(401, "M_MISSING_TOKEN", "Missing access token")
        parts = auth.strip().split(None, 1)
        if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1].strip():
            raise MatrixError(401, "M_MISSING_TOKEN", "Missing access token")
        token = parts[1].strip()
        if token in self.expired:
            raise MatrixError(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.",
                              {"soft_logout": self.expired[token]})
        if self.opts.as_token and token == self.opts.as_token:
            uid = query.get("user_id") or self.bot
            if uid != self.bot:
                raise MatrixError(403, "M_FORBIDDEN",
                                  "Application service cannot masquerade as this user (%s)."
                                  % uid)
            return Requester(self.bot, "as:" + self.bot, None, True, token)
        t = self.tokens.get(token)
        if t is None:
            raise MatrixError(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.",
                              {"soft_logout": False})
        return Requester(t["user"], "dev:%s:%s" % (t["user"], t["device"]), t["device"],
                         False, token)

    # -- records ---------------------------------------------------------------

    def record_call_locked(self, rec):
        self.seq += 1
        rec["seq"] = self.seq
        self.calls.append(rec)
        if len(self.calls) > MAX_RECORDS:
            del self.calls[:MAX_RECORDS // 5]

    def take_fail_locked(self, kind):
        for i, rule in enumerate(self.fails):
            if rule["kind"] in (kind, "any"):
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.fails.pop(i)
                return dict(rule)
        return None

    # -- events ----------------------------------------------------------------

    def add_event_locked(self, room, etype, sender, content, state_key=None, scope=None,
                         txn_id=None, ts=None):
        self.pos += 1
        eid = new_event_id()
        ev = {"type": etype, "event_id": eid, "sender": sender,
              "origin_server_ts": int(ts) if ts is not None else now_ms(),
              "content": content, "room_id": room.id}
        if state_key is not None:
            ev["state_key"] = state_key
        rec = {"pos": self.pos, "ev": ev, "scope": scope, "txn_id": txn_id, "prev": None}
        bot_before = room.members.get(self.bot)
        if state_key is not None:
            old = room.state.get((etype, state_key))
            if old is not None:
                rec["prev"] = {"replaces_state": old["ev"]["event_id"],
                               "prev_content": old["ev"]["content"],
                               "prev_sender": old["ev"]["sender"]}
            room.state[(etype, state_key)] = rec
            if etype == "m.room.member":
                m = content.get("membership")
                room.members[state_key] = m
                room.hist.setdefault(state_key, []).append((self.pos, m))
                if m == "invite" and content.get("is_direct"):
                    room.is_direct = True
        rel = content.get("m.relates_to")
        if isinstance(rel, dict) and rel.get("rel_type") == "m.thread" and \
                isinstance(rel.get("event_id"), str):
            room.thread_latest[rel["event_id"]] = eid
        room.events.append(rec)
        self.events_by_id[eid] = rec
        if self.opts.as_token and (sender == self.bot or state_key == self.bot or
                                   bot_before == "join" or
                                   room.members.get(self.bot) == "join"):
            self.as_queue.append(rec)
            if len(self.as_queue) > MAX_AS_QUEUE:
                del self.as_queue[:MAX_AS_QUEUE // 10]
                log("AS queue overflow: oldest events dropped")
        self.cond.notify_all()
        return rec

    def client_event(self, rec, scope=None, with_room_id=False):
        ev = dict(rec["ev"])
        if not with_room_id:
            ev.pop("room_id", None)
        unsigned = {"age": max(0, now_ms() - ev["origin_server_ts"])}
        if rec["prev"]:
            unsigned.update(rec["prev"])
        if scope is not None and rec["scope"] == scope and rec["txn_id"] is not None:
            unsigned["transaction_id"] = rec["txn_id"]
        ev["unsigned"] = unsigned
        return ev

    def member_content_locked(self, user, membership, extra=None):
        c = {"membership": membership}
        if membership in ("join", "invite"):
            c["displayname"] = localpart(user)
        if extra:
            c.update(extra)
        return c

    def set_membership_locked(self, room, user, membership, sender=None, extra=None):
        return self.add_event_locked(room, "m.room.member", sender or user,
                                     self.member_content_locked(user, membership, extra),
                                     state_key=user)

    def invite_locked(self, room, sender, user, is_direct=False):
        if room.members.get(user) == "join":
            raise MatrixError(403, "M_FORBIDDEN", "%s is already in the room." % user)
        if room.members.get(user) == "ban":
            raise MatrixError(403, "M_FORBIDDEN", "%s is banned from the room" % user)
        extra = {"is_direct": True} if is_direct else None
        rec = self.set_membership_locked(room, user, "invite", sender, extra)
        if sender == self.bot and user != self.bot and user.endswith(":" + SERVER):
            u = self.users.get(user) or {}
            aa = u.get("auto_accept")
            if aa is None:
                aa = self.auto_accept
            if aa:
                self.set_membership_locked(room, user, "join")
        return rec

    def create_room_locked(self, creator, preset="private_chat", name=None, topic=None,
                           alias=None, encrypted=False, initial_state=()):
        room = Room(new_room_id())
        self.rooms[room.id] = room
        if alias:
            room.alias = alias
            self.aliases[alias] = room.id
        self.add_event_locked(room, "m.room.create", creator,
                              {"creator": creator, "room_version": "10"}, state_key="")
        self.set_membership_locked(room, creator, "join")
        self.add_event_locked(room, "m.room.power_levels", creator, {
            "users": {creator: 100}, "users_default": 0, "events_default": 0,
            "state_default": 50, "ban": 50, "kick": 50, "redact": 50, "invite": 0,
            "events": {"m.room.name": 50, "m.room.power_levels": 100,
                       "m.room.history_visibility": 100, "m.room.canonical_alias": 50,
                       "m.room.avatar": 50, "m.room.tombstone": 100,
                       "m.room.server_acl": 100, "m.room.encryption": 100},
            "notifications": {"room": 50}}, state_key="")
        if alias:
            self.add_event_locked(room, "m.room.canonical_alias", creator, {"alias": alias},
                                  state_key="")
        self.add_event_locked(room, "m.room.join_rules", creator,
                              {"join_rule": "public" if preset == "public_chat" else "invite"},
                              state_key="")
        self.add_event_locked(room, "m.room.history_visibility", creator,
                              {"history_visibility": "shared"}, state_key="")
        if preset != "public_chat":
            self.add_event_locked(room, "m.room.guest_access", creator,
                                  {"guest_access": "can_join"}, state_key="")
        for st in initial_state:
            self.add_event_locked(room, st["type"], creator, st.get("content") or {},
                                  state_key=st.get("state_key", ""))
        if encrypted and not room.encrypted:
            self.add_event_locked(room, "m.room.encryption", creator,
                                  {"algorithm": "m.megolm.v1.aes-sha2"}, state_key="")
        if name:
            self.add_event_locked(room, "m.room.name", creator, {"name": name}, state_key="")
        if topic:
            self.add_event_locked(room, "m.room.topic", creator, {"topic": topic},
                                  state_key="")
        return room

    def room_locked(self, rid, missing_status=404):
        room = self.rooms.get(rid)
        if room is None:
            if missing_status == 403:
                raise MatrixError(403, "M_FORBIDDEN", "User not in room %s" % rid)
            raise MatrixError(404, "M_NOT_FOUND", "Unknown room %s" % rid)
        return room

    def must_be_joined_locked(self, room, user):
        if room.members.get(user) != "join":
            raise MatrixError(403, "M_FORBIDDEN", "User %s not in room %s" % (user, room.id))

    # -- sync ------------------------------------------------------------------

    def heroes_locked(self, room, user):
        return sorted(u for u, m in room.members.items()
                      if u != user and m in ("join", "invite"))[:5]

    def join_entry_locked(self, room, req, flt, since, full):
        """rooms.join.{id} for req.user; None when there is nothing to say."""
        user, scope = req.user, req.scope
        evs = room.events if since is None else [r for r in room.events if r["pos"] > since]
        tl = [r for r in evs if flt.timeline_ok(r)]
        limited = len(tl) > flt.limit
        tl = tl[len(tl) - flt.limit:] if flt.limit > 0 else []
        if flt.limit == 0 and evs:
            limited = True
        in_tl = set(r["ev"]["event_id"] for r in tl)
        state = []
        if since is None or full:
            cand = list(room.state.values())
        elif limited:
            first = tl[0]["pos"] if tl else self.pos + 1
            latest = {}
            for r in room.events:
                if since < r["pos"] < first and "state_key" in r["ev"]:
                    latest[(r["ev"]["type"], r["ev"]["state_key"])] = r
            cand = list(latest.values())
        else:
            cand = []
        senders = set(r["ev"]["sender"] for r in tl) | {user}
        for r in sorted(cand, key=lambda r: r["pos"]):
            if r["ev"]["event_id"] in in_tl or not flt.state_ok(r):
                continue
            if flt.lazy and r["ev"]["type"] == "m.room.member" and \
                    r["ev"]["state_key"] not in senders:
                continue
            state.append(self.client_event(r, scope))
        if since is not None and not full and not tl and not state:
            return None
        prev = (tl[0]["pos"] - 1) if tl else self.pos
        return {
            "timeline": {"events": [self.client_event(r, scope) for r in tl],
                         "limited": limited, "prev_batch": "t%d" % prev},
            "state": {"events": state},
            "summary": {"m.heroes": self.heroes_locked(room, user),
                        "m.joined_member_count": room.count("join"),
                        "m.invited_member_count": room.count("invite")},
            "ephemeral": {"events": []},
            "account_data": {"events": []},
            "unread_notifications": {"highlight_count": 0, "notification_count": 0},
        }

    def invite_entry_locked(self, room, user):
        out = []
        for key in (("m.room.create", ""), ("m.room.join_rules", ""), ("m.room.name", ""),
                    ("m.room.encryption", ""), ("m.room.canonical_alias", "")):
            r = room.state.get(key)
            if r:
                ev = r["ev"]
                out.append({"type": ev["type"], "state_key": ev["state_key"],
                            "sender": ev["sender"], "content": ev["content"]})
        inv = room.state.get(("m.room.member", user))
        if inv:
            inviter = inv["ev"]["sender"]
            r = room.state.get(("m.room.member", inviter))
            if r and inviter != user:
                ev = r["ev"]
                out.append({"type": ev["type"], "state_key": ev["state_key"],
                            "sender": ev["sender"], "content": ev["content"]})
            out.append(self.client_event(inv))
        return {"invite_state": {"events": out}}

    def leave_entry_locked(self, room, req, flt, since):
        mpos = room.member_pos(req.user)
        lo = -1 if since is None else since
        # Only what the user could see: events while joined, and its own
        # membership changes (a rejected invite shows just the leave).
        tl = [r for r in room.events if lo < r["pos"] <= mpos and flt.timeline_ok(r) and
              (r["ev"].get("state_key") == req.user and r["ev"]["type"] == "m.room.member"
               or room.membership_at(req.user, r["pos"] - 1) == "join")]
        limited = len(tl) > flt.limit
        tl = tl[len(tl) - flt.limit:] if flt.limit > 0 else []
        prev = (tl[0]["pos"] - 1) if tl else mpos
        return {"timeline": {"events": [self.client_event(r, req.scope) for r in tl],
                             "limited": limited, "prev_batch": "t%d" % prev},
                "state": {"events": []}, "account_data": {"events": []}}

    def sync_locked(self, req, since, flt, full_state):
        """(response, has_something)."""
        user = req.user
        join, invite, leave = {}, {}, {}
        for room in self.rooms.values():
            m = room.members.get(user)
            if m is None or not flt.room_ok(room.id):
                continue
            mpos = room.member_pos(user)
            if m == "join":
                newly = since is None or room.membership_at(user, since) != "join"
                e = self.join_entry_locked(room, req, flt, None if newly else since,
                                           full_state or newly)
                if e is not None:
                    join[room.id] = e
            elif m == "invite":
                if since is None or mpos > since:
                    invite[room.id] = self.invite_entry_locked(room, user)
            elif m in ("leave", "ban"):
                if (since is None and flt.include_leave) or \
                        (since is not None and mpos > since):
                    leave[room.id] = self.leave_entry_locked(room, req, flt, since)
        acc = []
        for etype, (content, pos) in self.account_data.get(user, {}).items():
            if (since is None or pos > since) and flt.account_data_ok(etype):
                acc.append({"type": etype, "content": content})
        resp = {"next_batch": "s%d" % self.pos}
        something = bool(join or invite or leave or acc)
        if acc or not self.omit_empty:
            resp["account_data"] = {"events": acc}
        if join or invite or leave or not self.omit_empty:
            rooms = {}
            for k, v in (("join", join), ("invite", invite), ("leave", leave)):
                if v or not self.omit_empty:
                    rooms[k] = v
            if not self.omit_empty:
                rooms["knock"] = {}
            resp["rooms"] = rooms
        if not self.omit_empty:
            resp["presence"] = {"events": []}
            resp["to_device"] = {"events": []}
        resp["device_one_time_keys_count"] = {"signed_curve25519": 0}
        resp["device_unused_fallback_key_types"] = []
        return resp, something

    # -- appservice ------------------------------------------------------------

    def as_cfg_locked(self, bad=Ellipsis, auth=None):
        return {"url": self.as_url, "hs": self.opts.hs_token,
                "bad": self.as_bad if bad is Ellipsis else bad,
                "auth": auth or self.as_auth}

    def new_txn_id_locked(self):
        self.as_txn_n += 1
        return str(self.as_txn_n)

    def record_txn_locked(self, txn):
        self.as_txns[txn["txn_id"]] = txn
        if len(self.as_txns) > MAX_TXN_RECORDS:
            for k in [k for k, v in self.as_txns.items() if v["acked"]][:MAX_TXN_RECORDS // 5]:
                del self.as_txns[k]


def as_request(cfg, method, path, body_obj, timeout=AS_TIMEOUT):
    """One HS->AS request (no lock held). Returns (status, body text, error);
    status 0 with an error ("connection" or "timeout") when it failed."""
    u = urllib.parse.urlsplit(cfg["url"] or "")
    full = u.path.rstrip("/") + path
    token = cfg["hs"]
    if cfg["bad"] == "wrong":
        token = "wrong-" + secrets.token_hex(8)
    elif cfg["bad"] == "none":
        token = None
    headers = {"User-Agent": "fake_matrix/1 (Synapse-like)"}
    if token and cfg["auth"] in ("both", "header"):
        headers["Authorization"] = "Bearer " + token
    if token and cfg["auth"] in ("both", "query"):
        full += ("&" if "?" in full else "?") + "access_token=" + urllib.parse.quote(token, "")
    data = None
    if body_obj is not None:
        data = mjson(body_obj)
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    shown = redact_query(full)
    try:
        conn.request(method, full, data, headers)
        resp = conn.getresponse()
        text = resp.read(256 * 1024).decode("utf-8", "replace")
        log("AS %s %s -> %d" % (method, shown, resp.status))
        return resp.status, text, None
    except socket.timeout:
        log("AS %s %s -> timeout" % (method, shown))
        return 0, "", "timeout"
    except (OSError, http.client.HTTPException) as e:
        log("AS %s %s -> %s" % (method, shown, e.__class__.__name__))
        return 0, "", "connection: %s" % e
    finally:
        conn.close()


def check_as_url(url):
    if url is None:
        return None
    if not isinstance(url, str):
        raise ValueError("url must be a string or null")
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or u.hostname != "127.0.0.1" or u.query or u.fragment:
        raise ValueError("the AS url must be http://127.0.0.1:PORT[/path]")
    try:
        u.port
    except ValueError:
        raise ValueError("bad port in the AS url")
    return url


def as_pusher(fake, stop):
    """Pushes queued events to the AS: one transaction at a time, in order,
    the same txnId and events until a 2xx."""
    while not stop.is_set():
        with fake.lock:
            txn = fake.as_current
            if txn is None and fake.as_queue and fake.as_url and not fake.as_paused:
                recs = fake.as_queue[:AS_TXN_EVENTS]
                del fake.as_queue[:AS_TXN_EVENTS]
                txn = {"txn_id": fake.new_txn_id_locked(),
                       "events": [fake.client_event(r, None, True) for r in recs],
                       "attempts": 0, "acked": False, "last_status": None,
                       "last_body": None, "statuses": [], "repushes": [],
                       "created": time.time()}
                fake.record_txn_locked(txn)
                fake.as_current = txn
            ready = (txn is not None and fake.as_url and not fake.as_paused and
                     time.time() >= fake.as_next_at and not fake.stopping)
            if not ready:
                wait = 0.2
                if txn is not None and fake.as_next_at > time.time():
                    wait = min(wait, fake.as_next_at - time.time())
                fake.cond.wait(max(wait, 0.01))
                continue
            cfg = fake.as_cfg_locked()
            tid, events = txn["txn_id"], txn["events"]
        status, body, err = as_request(cfg, "PUT", "/_matrix/app/v1/transactions/" +
                                       urllib.parse.quote(tid, ""), {"events": events})
        with fake.lock:
            txn["attempts"] += 1
            txn["last_status"] = status
            txn["last_body"] = body[:2000] if not err else err
            txn["statuses"].append(status)
            del txn["statuses"][:-50]
            if 200 <= status < 300:
                txn["acked"] = True
                txn["acked_at"] = time.time()
                fake.as_current = None
                fake.as_backoff = AS_BACKOFF_MIN
                fake.as_next_at = 0.0
            else:
                fake.as_next_at = time.time() + fake.as_backoff
                log("AS txn %s attempt %d failed (%s); retry in %.1fs"
                    % (tid, txn["attempts"], err or status, fake.as_backoff))
                fake.as_backoff = min(fake.as_backoff * 2, AS_BACKOFF_MAX)


# ---------------------------------------------------------------------------
# Client-server endpoints
# ---------------------------------------------------------------------------

class Ctx:
    """One client-server request."""

    def __init__(self, method, raw_path, path, query, body, headers, groups):
        self.method = method
        self.raw_path = raw_path
        self.path = path
        self.query = query
        self.body = body
        self.headers = headers
        self.groups = groups
        self.req = None
        self._json = None

    def json(self, allow_empty=False):
        if self._json is None:
            self._json = parse_json_object(self.body, allow_empty)
        return self._json


def q_int(ctx, name, default):
    v = ctx.query.get(name)
    if v is None or v == "":
        return default
    try:
        return int(v)
    except ValueError:
        raise MatrixError(400, "M_INVALID_PARAM",
                          "Query parameter %r must be an integer" % name)


def r_versions(fake, ctx):
    return 200, {"versions": ["r0.6.1", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6",
                              "v1.7", "v1.8", "v1.9", "v1.10", "v1.11"],
                 "unstable_features": {}}


def r_well_known(fake, ctx):
    return 200, {"m.homeserver": {"base_url": "http://127.0.0.1:%d" % fake.port}}


def r_login_get(fake, ctx):
    flows = [{"type": "m.login.password"}]
    if fake.opts.as_token:
        flows.append({"type": "m.login.application_service"})
    return 200, {"flows": flows}


def r_login(fake, ctx):
    b = ctx.json()
    typ = b.get("type")
    ident = b.get("identifier")
    if isinstance(ident, dict):
        if ident.get("type") != "m.id.user":
            raise MatrixError(400, "M_UNKNOWN", "Unknown login identifier type")
        user = ident.get("user")
    elif ident is not None:
        raise MatrixError(400, "M_BAD_JSON", "identifier must be an object")
    else:
        user = b.get("user")
    if not isinstance(user, str) or not user:
        raise MatrixError(400, "M_MISSING_PARAM", "User identifier is missing 'user' key")
    uid = user if user.startswith("@") else "@%s:%s" % (user.lower(), SERVER)
    device = b.get("device_id")
    if device is not None and (not isinstance(device, str) or not device):
        raise MatrixError(400, "M_INVALID_PARAM", "device_id must be a string")
    if typ == "m.login.password":
        pw = b.get("password")
        if not isinstance(pw, str):
            raise MatrixError(400, "M_MISSING_PARAM", "Missing parameter: password")
        u = fake.users.get(uid)
        if u is None or u["password"] is None or not secrets.compare_digest(
                pw.encode(), u["password"].encode()):
            raise MatrixError(403, "M_FORBIDDEN", "Invalid username or password")
    elif typ == "m.login.application_service" and fake.opts.as_token:
        req = fake.authenticate_locked(ctx.headers, ctx.query)
        if not req.is_as or uid != fake.bot:
            raise MatrixError(403, "M_FORBIDDEN",
                              "Application service cannot log in as this user")
    else:
        raise MatrixError(400, "M_UNKNOWN", "Unknown login type %s" % (typ,))
    device = device or new_device_id()
    token = new_token(uid)
    fake.tokens[token] = {"user": uid, "device": device}
    return 200, {"user_id": uid, "access_token": token, "device_id": device,
                 "home_server": SERVER}


def r_logout(fake, ctx):
    if ctx.req.is_as:
        raise MatrixError(400, "M_UNKNOWN", "Application services cannot log out")
    fake.tokens.pop(ctx.req.token, None)
    fake.expired[ctx.req.token] = False
    return 200, {}


def r_whoami(fake, ctx):
    out = {"user_id": ctx.req.user, "is_guest": False}
    if ctx.req.device:
        out["device_id"] = ctx.req.device
    return 200, out


def own_user(ctx, what):
    uid = ctx.groups[0]
    if uid != ctx.req.user:
        raise MatrixError(403, "M_FORBIDDEN", "Cannot %s for other users." % what)
    return uid


def r_filter_post(fake, ctx):
    uid = own_user(ctx, "create filters")
    b = ctx.json()
    try:
        Filter.validate(b)
    except ValueError as e:
        raise MatrixError(400, "M_BAD_JSON", str(e))
    fid = str(fake.filter_n)
    fake.filter_n += 1
    fake.filters[(uid, fid)] = Filter(b)
    return 200, {"filter_id": fid}


def r_filter_get(fake, ctx):
    uid = own_user(ctx, "get filters")
    f = fake.filters.get((uid, ctx.groups[1]))
    if f is None:
        raise MatrixError(404, "M_NOT_FOUND", "No such filter")
    return 200, f.obj


def r_account_data_get(fake, ctx):
    uid = own_user(ctx, "get account data")
    item = fake.account_data.get(uid, {}).get(ctx.groups[1])
    if item is None:
        raise MatrixError(404, "M_NOT_FOUND", "Account data not found")
    return 200, item[0]


def r_account_data_put(fake, ctx):
    uid = own_user(ctx, "add account data")
    b = ctx.json()
    fake.pos += 1
    fake.account_data.setdefault(uid, {})[ctx.groups[1]] = (b, fake.pos)
    fake.cond.notify_all()
    return 200, {}


def resolve_room_locked(fake, ident):
    if ident.startswith("#"):
        if not ALIAS_RE.match(ident):
            raise MatrixError(400, "M_INVALID_PARAM", "%s was not legal room ID or room alias"
                              % ident)
        rid = fake.aliases.get(ident)
        if rid is None:
            raise MatrixError(404, "M_NOT_FOUND", "Room alias %s not found" % ident)
        return fake.rooms[rid]
    if not ROOM_RE.match(ident):
        raise MatrixError(400, "M_INVALID_PARAM", "%s was not legal room ID or room alias"
                          % ident)
    room = fake.rooms.get(ident)
    if room is None:
        raise MatrixError(404, "M_NOT_FOUND", "No known servers")
    return room


def join_room_locked(fake, room, user):
    m = room.members.get(user)
    if m == "join":
        return
    if m == "ban":
        raise MatrixError(403, "M_FORBIDDEN", "You are banned from this room")
    if m != "invite" and room.join_rule != "public":
        raise MatrixError(403, "M_FORBIDDEN", "You are not invited to this room.")
    fake.set_membership_locked(room, user, "join")


def r_join(fake, ctx):
    ctx.json(allow_empty=True)
    room = resolve_room_locked(fake, ctx.groups[0])
    join_room_locked(fake, room, ctx.req.user)
    return 200, {"room_id": room.id}


def r_leave(fake, ctx):
    ctx.json(allow_empty=True)
    room = fake.room_locked(ctx.groups[0])
    if room.members.get(ctx.req.user) not in ("join", "invite"):
        raise MatrixError(403, "M_FORBIDDEN", "User %s is not in room %s"
                          % (ctx.req.user, room.id))
    fake.set_membership_locked(room, ctx.req.user, "leave")
    return 200, {}


def r_forget(fake, ctx):
    ctx.json(allow_empty=True)
    room = fake.room_locked(ctx.groups[0])
    if room.members.get(ctx.req.user) in ("join", "invite"):
        raise MatrixError(400, "M_UNKNOWN", "User %s is in room %s"
                          % (ctx.req.user, room.id))
    return 200, {}


def r_invite(fake, ctx):
    b = ctx.json()
    room = fake.room_locked(ctx.groups[0], 403)
    fake.must_be_joined_locked(room, ctx.req.user)
    target = b.get("user_id")
    if not isinstance(target, str) or not USER_RE.match(target):
        raise MatrixError(400, "M_INVALID_PARAM", "Invalid user_id")
    fake.ensure_user_locked(target)
    fake.invite_locked(room, ctx.req.user, target)
    return 200, {}


def check_relation_locked(fake, room, content):
    rel = content.get("m.relates_to")
    if not isinstance(rel, dict) or "rel_type" not in rel:
        return
    target = rel.get("event_id")
    parent = fake.events_by_id.get(target) if isinstance(target, str) else None
    if parent is None:
        raise MatrixError(400, "M_UNKNOWN", "Can't send relation to unknown event")
    if parent["ev"]["room_id"] != room.id:
        raise MatrixError(400, "M_UNKNOWN", "Relations must be in the same room")
    prel = parent["ev"]["content"].get("m.relates_to")
    if rel.get("rel_type") == "m.thread" and isinstance(prel, dict) and "rel_type" in prel:
        raise MatrixError(400, "M_UNKNOWN",
                          "Cannot start threads from an event with a relation")
    if rel.get("rel_type") == "m.annotation":
        for r in room.events:
            c = r["ev"]["content"].get("m.relates_to")
            if r["ev"]["sender"] == content.get("__sender") and isinstance(c, dict) and \
                    c.get("rel_type") == "m.annotation" and c.get("event_id") == target and \
                    c.get("key") == rel.get("key"):
                raise MatrixError(400, "M_UNKNOWN", "Can't send same reaction twice")


def r_send(fake, ctx):
    req = ctx.req
    rid, etype, txn = ctx.groups
    key = (req.scope, rid, etype, txn)
    cached = fake.txn_cache.get(key)
    if cached is not None:
        s = fake.sent_by_event.get(cached)
        if s is not None:
            s["repeats"] += 1
        return 200, {"event_id": cached}
    content = ctx.json()
    room = fake.room_locked(rid, 403)
    fake.must_be_joined_locked(room, req.user)
    if not etype:
        raise MatrixError(400, "M_INVALID_PARAM", "Event type must not be empty")
    if len(mjson(content)) + 500 > MAX_EVENT:
        raise MatrixError(413, "M_TOO_LARGE", "event too large")
    probe = dict(content)
    probe["__sender"] = req.user
    check_relation_locked(fake, room, probe)
    ts = None
    if req.is_as and ctx.query.get("ts", "").isdigit():
        ts = int(ctx.query["ts"])
    rec = fake.add_event_locked(room, etype, req.user, content, scope=req.scope,
                                txn_id=txn, ts=ts)
    eid = rec["ev"]["event_id"]
    fake.txn_cache[key] = eid
    if req.user == fake.bot:
        fake.seq += 1
        s = {"seq": fake.seq, "room": rid, "txn_id": txn, "event_id": eid, "type": etype,
             "content": content, "sender": req.user, "at": time.time(), "repeats": 0}
        fake.sent.append(s)
        fake.sent_by_event[eid] = s
        if len(fake.sent) > MAX_RECORDS:
            for old in fake.sent[:MAX_RECORDS // 5]:
                fake.sent_by_event.pop(old["event_id"], None)
            del fake.sent[:MAX_RECORDS // 5]
    return 200, {"event_id": eid}


def r_create_room(fake, ctx):
    b = ctx.json()
    req = ctx.req
    preset = b.get("preset")
    if preset is None:
        preset = "public_chat" if b.get("visibility") == "public" else "private_chat"
    if preset not in ("private_chat", "public_chat", "trusted_private_chat"):
        raise MatrixError(400, "M_INVALID_PARAM", "Unknown preset")
    invite = b.get("invite", [])
    if not isinstance(invite, list) or not all(isinstance(u, str) and USER_RE.match(u)
                                               for u in invite):
        raise MatrixError(400, "M_INVALID_PARAM", "Invalid user_id in invite")
    for k in ("name", "topic", "room_alias_name"):
        if k in b and not isinstance(b[k], str):
            raise MatrixError(400, "M_INVALID_PARAM", "%s must be a string" % k)
    initial = b.get("initial_state", [])
    if not isinstance(initial, list) or not all(
            isinstance(s, dict) and isinstance(s.get("type"), str) and
            isinstance(s.get("content", {}), dict) and
            isinstance(s.get("state_key", ""), str) for s in initial):
        raise MatrixError(400, "M_INVALID_PARAM", "Invalid initial_state")
    alias = None
    if b.get("room_alias_name"):
        alias = "#%s:%s" % (b["room_alias_name"], SERVER)
        if alias in fake.aliases:
            raise MatrixError(400, "M_ROOM_IN_USE", "Room alias already taken")
    is_direct = b.get("is_direct") is True
    room = fake.create_room_locked(req.user, preset, b.get("name"), b.get("topic"), alias,
                                   False, initial)
    for u in invite:
        fake.ensure_user_locked(u)
        if u != req.user:
            fake.invite_locked(room, req.user, u, is_direct)
    return 200, {"room_id": room.id}


def r_joined_members(fake, ctx):
    room = fake.room_locked(ctx.groups[0], 403)
    fake.must_be_joined_locked(room, ctx.req.user)
    return 200, {"joined": {u: {"display_name": localpart(u), "avatar_url": None}
                            for u, m in sorted(room.members.items()) if m == "join"}}


def r_state_all(fake, ctx):
    room = fake.room_locked(ctx.groups[0], 403)
    fake.must_be_joined_locked(room, ctx.req.user)
    return 200, [fake.client_event(r) for r in sorted(room.state.values(),
                                                       key=lambda r: r["pos"])]


def r_state_one(fake, ctx):
    room = fake.room_locked(ctx.groups[0], 403)
    fake.must_be_joined_locked(room, ctx.req.user)
    key = ctx.groups[2] if len(ctx.groups) > 2 and ctx.groups[2] is not None else ""
    r = room.state.get((ctx.groups[1], key))
    if r is None:
        raise MatrixError(404, "M_NOT_FOUND", "Event not found.")
    return 200, r["ev"]["content"]


def r_joined_rooms(fake, ctx):
    return 200, {"joined_rooms": [r.id for r in fake.rooms.values()
                                  if r.members.get(ctx.req.user) == "join"]}


def r_profile(fake, ctx):
    uid = ctx.groups[0]
    if uid not in fake.users:
        raise MatrixError(404, "M_NOT_FOUND", "Profile was not found")
    return 200, {"displayname": localpart(uid)}


def r_room_noop(fake, ctx):
    ctx.json(allow_empty=True)
    room = fake.room_locked(ctx.groups[0], 403)
    fake.must_be_joined_locked(room, ctx.req.user)
    return 200, {}


def r_sync(fake, ctx):
    """Long-polls: called WITHOUT the lock."""
    q = ctx.query
    timeout = q_int(ctx, "timeout", 0)
    timeout = max(0, min(timeout, SYNC_CAP_MS))
    presence = q.get("set_presence")
    if presence not in (None, "online", "offline", "unavailable"):
        raise MatrixError(400, "M_INVALID_PARAM",
                          "Query parameter 'set_presence' must be one of "
                          "[online, offline, unavailable]")
    full_state = q.get("full_state", "false")
    if full_state not in ("true", "false"):
        raise MatrixError(400, "M_INVALID_PARAM",
                          "Boolean query parameter 'full_state' must be one of "
                          "['true', 'false']")
    full_state = full_state == "true"
    deadline = time.time() + timeout / 1000.0
    with fake.lock:
        req = ctx.req
        fid = q.get("filter")
        if fid is None or fid == "":
            flt = Filter()
        elif fid.startswith("{"):
            try:
                obj = json.loads(fid)
                Filter.validate(obj)
            except ValueError:
                raise MatrixError(400, "M_NOT_JSON", "Invalid filter JSON")
            flt = Filter(obj)
        else:
            flt = fake.filters.get((req.user, fid))
            if flt is None:
                raise MatrixError(400, "M_INVALID_PARAM", "No such filter")
        since = q.get("since")
        if since is not None:
            m = SINCE_RE.match(since)
            if not m or int(m.group(1)) > fake.pos or int(m.group(1)) < fake.min_since:
                raise MatrixError(400, "M_UNKNOWN", "Invalid stream token")
            since = int(m.group(1))
        while True:
            resp, something = fake.sync_locked(req, since, flt, full_state)
            if since is None or something or full_state:
                return 200, resp
            left = deadline - time.time()
            if left <= 0 or fake.stopping:
                fake.pos += 1            # a new, empty position
                resp["next_batch"] = "s%d" % fake.pos
                return 200, resp
            fake.cond.wait(min(left, 1.0))


def r_as_ping(fake, ctx):
    """Called WITHOUT the lock (it calls the AS)."""
    with fake.lock:
        req = ctx.req
        if not req.is_as:
            raise MatrixError(403, "M_FORBIDDEN",
                              "Only application services can use the /appservice/ping "
                              "endpoint")
        if ctx.groups[0] != fake.opts.as_id:
            raise MatrixError(403, "M_FORBIDDEN", "Mismatching application service ID in path")
        b = ctx.json(allow_empty=True)
        if not fake.as_url:
            raise MatrixError(400, "M_URL_NOT_SET", "Application service URL is not set")
        cfg = fake.as_cfg_locked()
    body = {}
    if isinstance(b.get("transaction_id"), str):
        body["transaction_id"] = b["transaction_id"]
    t0 = time.time()
    status, text, err = as_request(cfg, "POST", "/_matrix/app/v1/ping", body)
    ms = int((time.time() - t0) * 1000)
    if err == "timeout":
        raise MatrixError(504, "M_CONNECTION_TIMEOUT", "Connection to appservice timed out")
    if err:
        raise MatrixError(502, "M_CONNECTION_FAILED", "Failed to ping appservice")
    if not 200 <= status < 300:
        raise MatrixError(502, "M_BAD_STATUS", "Ping returned error response",
                          {"status": status, "body": text[:2000]})
    return 200, {"duration_ms": ms}


# (method, pattern (after the prefix), kind, auth, handler, locked)
V3 = r"/_matrix/client/(?:v3|r0)"
SEG = r"([^/]+)"
ROUTES = [
    ("GET", r"/_matrix/client/versions", "other", False, r_versions, True),
    ("GET", r"/\.well-known/matrix/client", "other", False, r_well_known, True),
    ("GET", V3 + r"/login", "login", False, r_login_get, True),
    ("POST", V3 + r"/login", "login", False, r_login, True),
    ("POST", V3 + r"/logout", "logout", True, r_logout, True),
    ("GET", V3 + r"/account/whoami", "whoami", True, r_whoami, True),
    ("POST", V3 + r"/user/" + SEG + r"/filter", "filter", True, r_filter_post, True),
    ("GET", V3 + r"/user/" + SEG + r"/filter/" + SEG, "filter", True, r_filter_get, True),
    ("GET", V3 + r"/user/" + SEG + r"/account_data/" + SEG, "account_data", True,
     r_account_data_get, True),
    ("PUT", V3 + r"/user/" + SEG + r"/account_data/" + SEG, "account_data", True,
     r_account_data_put, True),
    ("GET", V3 + r"/sync", "sync", True, r_sync, False),
    ("POST", V3 + r"/join/" + SEG, "join", True, r_join, True),
    ("POST", V3 + r"/rooms/" + SEG + r"/join", "join", True, r_join, True),
    ("POST", V3 + r"/rooms/" + SEG + r"/leave", "leave", True, r_leave, True),
    ("POST", V3 + r"/rooms/" + SEG + r"/forget", "leave", True, r_forget, True),
    ("POST", V3 + r"/rooms/" + SEG + r"/invite", "invite", True, r_invite, True),
    ("PUT", V3 + r"/rooms/" + SEG + r"/send/" + SEG + "/" + SEG, "send", True, r_send, True),
    ("POST", V3 + r"/createRoom", "createRoom", True, r_create_room, True),
    ("GET", V3 + r"/rooms/" + SEG + r"/joined_members", "joined_members", True,
     r_joined_members, True),
    ("GET", V3 + r"/rooms/" + SEG + r"/state", "state", True, r_state_all, True),
    ("GET", V3 + r"/rooms/" + SEG + r"/state/" + SEG + r"(?:/([^/]*))?", "state", True,
     r_state_one, True),
    ("GET", V3 + r"/joined_rooms", "other", True, r_joined_rooms, True),
    ("GET", V3 + r"/profile/" + SEG, "other", True, r_profile, True),
    ("GET", V3 + r"/profile/" + SEG + r"/displayname", "other", True, r_profile, True),
    ("PUT", V3 + r"/rooms/" + SEG + r"/typing/" + SEG, "other", True, r_room_noop, True),
    ("POST", V3 + r"/rooms/" + SEG + r"/receipt/" + SEG + "/" + SEG, "other", True,
     r_room_noop, True),
    ("POST", V3 + r"/rooms/" + SEG + r"/read_markers", "other", True, r_room_noop, True),
    ("POST", r"/_matrix/client/v1/appservice/" + SEG + r"/ping", "ping", True, r_as_ping,
     False),
]
ROUTES = [(m, re.compile("^" + p + "/?$"), k, a, h, l) for (m, p, k, a, h, l) in ROUTES]


def match_route(method, raw_path):
    """(route, decoded groups) or (None, allowed methods)."""
    allowed = []
    for r in ROUTES:
        m = r[1].match(raw_path)
        if m:
            if r[0] == method:
                return r, [urllib.parse.unquote(g) if g is not None else None
                           for g in m.groups()]
            allowed.append(r[0])
    return None, allowed


def fail_response(rule):
    """(status, body, headers, ctype) of an injected failure."""
    status = int(rule.get("status") or 500)
    headers = []
    if rule.get("html"):
        page = ("<html><head><title>%d</title></head><body><center><h1>%d</h1>"
                "</center><hr><center>nginx</center></body></html>\n" % (status, status))
        return status, page.encode(), headers, "text/html"
    default = {429: "M_LIMIT_EXCEEDED", 401: "M_UNKNOWN_TOKEN", 403: "M_FORBIDDEN",
               404: "M_NOT_FOUND"}.get(status, "M_UNKNOWN")
    errcode = rule.get("errcode") or default
    body = {"errcode": errcode, "error": rule.get("error") or "Injected failure (%s)" % errcode}
    if status == 429 or errcode == "M_LIMIT_EXCEEDED":
        body["error"] = rule.get("error") or "Too Many Requests"
        ms = rule.get("retry_after_ms", 1000)
        if ms is not None:
            body["retry_after_ms"] = int(ms)
            if rule.get("retry_after_header", True):
                headers.append(("Retry-After", str(int(math.ceil(int(ms) / 1000.0)))))
    if errcode == "M_UNKNOWN_TOKEN":
        body["soft_logout"] = bool(rule.get("soft_logout", False))
    return status, mjson(body), headers, "application/json"


# ---------------------------------------------------------------------------
# Control endpoints: (fake, request JSON, query dict) -> (status, reply)
# ---------------------------------------------------------------------------

def req_room(fake, req, key="room"):
    rid = req.get(key)
    room = fake.rooms.get(rid) if isinstance(rid, str) else None
    if room is None:
        raise ValueError("unknown room %r" % (rid,))
    return room


def req_user(fake, req, key):
    return fake.ensure_user_locked(req.get(key))


def as_error(e):
    """A MatrixError raised by a control handler becomes a plain 400."""
    return ValueError("%s: %s" % (e.errcode, e.error))


def c_ping(fake, req, q):
    return 200, {"ok": True, "port": fake.port, "user": fake.bot,
                 "as": bool(fake.opts.as_token)}


def c_calls(fake, req, q):
    since = int(q.get("since", 0))
    pc = q.get("path_contains")
    meth = q.get("method")
    out = []
    for c in fake.calls:
        if c["seq"] <= since or (meth and c["method"] != meth):
            continue
        if pc and pc not in c["path"] and pc not in urllib.parse.unquote(c["path"]):
            continue
        out.append(c)
    return 200, {"calls": out}


def c_reset_calls(fake, req, q):
    fake.calls.clear()
    fake.sent.clear()
    fake.sent_by_event.clear()
    return 200, {"ok": True}


def c_sent(fake, req, q):
    room = q.get("room")
    return 200, {"sent": [s for s in fake.sent if room is None or s["room"] == room]}


def c_rooms(fake, req, q):
    out = []
    for r in fake.rooms.values():
        name = (r.state_content("m.room.name") or {}).get("name")
        out.append({"room_id": r.id, "alias": r.alias, "name": name,
                    "members": dict(r.members), "is_direct": r.is_direct,
                    "encrypted": r.encrypted, "join_rule": r.join_rule})
    return 200, {"rooms": out}


def c_events(fake, req, q):
    room = req_room(fake, q)
    since = int(q.get("since", 0))
    out = []
    for r in room.events:
        if r["pos"] > since:
            ev = fake.client_event(r, None, True)
            ev["pos"] = r["pos"]
            out.append(ev)
    return 200, {"events": out}


def c_account_data(fake, req, q):
    user = q.get("user", fake.bot)
    return 200, {"account_data": {k: v[0] for k, v in fake.account_data.get(user, {}).items()}}


def c_user(fake, req, q):
    user = req.get("user")
    if not isinstance(user, str) or not LOCAL_USER_RE.match(user):
        raise ValueError("user must be a local user id like @ann:%s" % SERVER)
    pw = req.get("password")
    if pw is not None and not isinstance(pw, str):
        raise ValueError("password must be a string")
    fake.add_user_locked(user, pw, req.get("auto_accept"))
    return 200, {"user": user}


def c_room(fake, req, q):
    creator = req_user(fake, req, "creator")
    members = req.get("members", [])
    if not isinstance(members, list):
        raise ValueError("members must be a list")
    members = [fake.ensure_user_locked(m) for m in members]
    alias = req.get("alias")
    if alias is not None:
        if not isinstance(alias, str) or not ALIAS_RE.match(alias):
            raise ValueError("alias must look like #name:%s" % SERVER)
        if alias in fake.aliases:
            raise ValueError("alias already taken")
    name = req.get("name")
    if name is not None and not isinstance(name, str):
        raise ValueError("name must be a string")
    is_direct = bool(req.get("is_direct", False))
    room = fake.create_room_locked(creator, "public_chat" if req.get("public") else
                                   "private_chat", name, None, alias,
                                   bool(req.get("encrypted", False)))
    for m in members:
        if m in (creator, fake.bot):
            continue
        fake.set_membership_locked(room, m, "invite", creator,
                                   {"is_direct": True} if is_direct else None)
        fake.set_membership_locked(room, m, "join")
    out = {"room_id": room.id}
    if req.get("join_bot"):
        fake.set_membership_locked(room, fake.bot, "invite", creator,
                                   {"is_direct": True} if is_direct else None)
        fake.set_membership_locked(room, fake.bot, "join")
    elif req.get("invite_bot", True):
        rec = fake.set_membership_locked(room, fake.bot, "invite", creator,
                                         {"is_direct": True} if is_direct else None)
        out["invite_event_id"] = rec["ev"]["event_id"]
    if alias:
        out["alias"] = alias
    return 200, out


def encrypt_content(content):
    enc = {"algorithm": "m.megolm.v1.aes-sha2",
           "ciphertext": base64.b64encode(secrets.token_bytes(96)).decode().rstrip("="),
           "device_id": "TESTDEVICE",
           "sender_key": base64.b64encode(secrets.token_bytes(32)).decode().rstrip("="),
           "session_id": base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")}
    if "m.relates_to" in content:
        enc["m.relates_to"] = content["m.relates_to"]
    return enc


def c_message(fake, req, q):
    room = req_room(fake, req)
    sender = req_user(fake, req, "sender")
    if room.members.get(sender) != "join":
        raise ValueError("%s is not joined to %s" % (sender, room.id))
    etype = req.get("event_type") or "m.room.message"
    if not isinstance(etype, str):
        raise ValueError("event_type must be a string")
    if "content" in req:
        if not isinstance(req["content"], dict):
            raise ValueError("content must be an object")
        content = json.loads(json.dumps(req["content"]))
    else:
        body = req.get("body")
        if not isinstance(body, str):
            raise ValueError("body (a string) required")
        msgtype = req.get("msgtype", "m.text")
        fb = req.get("formatted_body")
        content = {"msgtype": msgtype, "body": body}
        if fb is not None:
            if not isinstance(fb, str):
                raise ValueError("formatted_body must be a string")
            content["format"] = "org.matrix.custom.html"
            content["formatted_body"] = fb
        for k in ("thread_root", "reply_to", "replaces"):
            v = req.get(k)
            if v is not None and (not isinstance(v, str) or v not in fake.events_by_id or
                                  fake.events_by_id[v]["ev"]["room_id"] != room.id):
                raise ValueError("%s: no event %r in that room" % (k, v))
        if req.get("replaces"):
            new = dict(content)
            content = {"msgtype": msgtype, "body": "* " + body, "m.new_content": new,
                       "m.relates_to": {"rel_type": "m.replace", "event_id": req["replaces"]}}
            if fb is not None:
                content["format"] = "org.matrix.custom.html"
                content["formatted_body"] = "* " + fb
        elif req.get("thread_root"):
            root = req["thread_root"]
            prel = fake.events_by_id[root]["ev"]["content"].get("m.relates_to")
            if isinstance(prel, dict) and "rel_type" in prel:
                raise ValueError("thread_root %s itself has a relation" % root)
            if req.get("reply_to"):
                content["m.relates_to"] = {"rel_type": "m.thread", "event_id": root,
                                           "is_falling_back": False,
                                           "m.in_reply_to": {"event_id": req["reply_to"]}}
            else:
                latest = room.thread_latest.get(root, root)
                content["m.relates_to"] = {"rel_type": "m.thread", "event_id": root,
                                           "is_falling_back": True,
                                           "m.in_reply_to": {"event_id": latest}}
        elif req.get("reply_to"):
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": req["reply_to"]}}
        mentions = req.get("mentions")
        if mentions is not None:
            if not isinstance(mentions, list):
                raise ValueError("mentions must be a list of user ids")
            content["m.mentions"] = {"user_ids": mentions}
    if room.encrypted and "event_type" not in req:
        etype, content = "m.room.encrypted", encrypt_content(content)
    ts = req.get("ts")
    if ts is not None and (isinstance(ts, bool) or not isinstance(ts, int)):
        raise ValueError("ts must be an integer (ms)")
    rec = fake.add_event_locked(room, etype, sender, content, ts=ts)
    return 200, {"event_id": rec["ev"]["event_id"]}


def c_state(fake, req, q):
    room = req_room(fake, req)
    sender = req_user(fake, req, "sender")
    etype = req.get("type")
    content = req.get("content", {})
    key = req.get("state_key", "")
    if not isinstance(etype, str) or not isinstance(content, dict) or not isinstance(key, str):
        raise ValueError("type (string), content (object), state_key (string)")
    if etype == "m.room.member":
        raise ValueError("use /_fake/invite, /_fake/join or /_fake/leave for members")
    rec = fake.add_event_locked(room, etype, sender, content, state_key=key)
    return 200, {"event_id": rec["ev"]["event_id"]}


def c_invite(fake, req, q):
    room = req_room(fake, req)
    sender = req_user(fake, req, "sender")
    user = req_user(fake, req, "user")
    if room.members.get(sender) != "join":
        raise ValueError("%s is not joined to %s" % (sender, room.id))
    try:
        rec = fake.invite_locked(room, sender, user, bool(req.get("is_direct", False)))
    except MatrixError as e:
        raise as_error(e)
    return 200, {"event_id": rec["ev"]["event_id"]}


def c_join(fake, req, q):
    room = req_room(fake, req)
    user = req_user(fake, req, "user")
    if room.members.get(user) == "join":
        raise ValueError("%s is already joined" % user)
    rec = fake.set_membership_locked(room, user, "join")
    return 200, {"event_id": rec["ev"]["event_id"]}


def c_leave(fake, req, q):
    room = req_room(fake, req)
    user = req_user(fake, req, "user")
    by = req.get("by")
    if by is not None:
        by = req_user(fake, req, "by")
    if room.members.get(user) not in ("join", "invite"):
        raise ValueError("%s is not in %s" % (user, room.id))
    rec = fake.set_membership_locked(room, user, "leave", by or user)
    return 200, {"event_id": rec["ev"]["event_id"]}


def c_auto_accept(fake, req, q):
    if not isinstance(req.get("enabled"), bool):
        raise ValueError("enabled (boolean) required")
    fake.auto_accept = req["enabled"]
    return 200, {"enabled": fake.auto_accept}


FAIL_KINDS = ("send", "sync", "whoami", "login", "logout", "join", "leave", "invite",
              "createRoom", "filter", "account_data", "joined_members", "state", "ping",
              "other", "any")


def c_fail(fake, req, q):
    kind = req.get("kind")
    if kind not in FAIL_KINDS:
        raise ValueError("kind must be one of " + ", ".join(FAIL_KINDS))
    rule = {"kind": kind, "count": int(req.get("count", 1))}
    if rule["count"] < 1:
        raise ValueError("count must be >= 1")
    if "status" in req:
        rule["status"] = int(req["status"])
        if not 400 <= rule["status"] <= 599:
            raise ValueError("status must be 4xx or 5xx")
    if "delay" in req:
        rule["delay"] = min(float(req["delay"]), 30.0)
    if "errcode" in req:
        rule["errcode"] = str(req["errcode"])
        rule.setdefault("status", 400)
    for k in ("error",):
        if k in req:
            rule[k] = str(req[k])
    if "retry_after_ms" in req:
        v = req["retry_after_ms"]
        rule["retry_after_ms"] = None if v is None else int(v)
    for k in ("retry_after_header", "html", "soft_logout"):
        if k in req:
            rule[k] = bool(req[k])
    if not (rule.get("status") or rule.get("delay")):
        raise ValueError("give status, errcode or delay")
    fake.fails.append(rule)
    pending = {}
    for r in fake.fails:
        pending[r["kind"]] = pending.get(r["kind"], 0) + r["count"]
    return 200, {"pending": pending}


def c_storm(fake, req, q):
    secs = float(req.get("seconds", 5))
    fake.storm_until = time.time() + max(0.0, min(secs, 600.0))
    fake.storm_ms = int(req.get("retry_after_ms", 300))
    fake.storm_n = 0
    return 200, {"until": fake.storm_until, "retry_after_ms": fake.storm_ms}


def c_expire_token(fake, req, q):
    n = 0
    soft = bool(req.get("soft_logout", False))
    if "token" in req:
        tok = req["token"]
        if not isinstance(tok, str):
            raise ValueError("token must be a string")
        if tok in fake.tokens or tok == fake.opts.as_token:
            fake.tokens.pop(tok, None)
            fake.expired[tok] = soft
            n = 1
    elif "user" in req:
        for tok in [t for t, v in fake.tokens.items() if v["user"] == req["user"]]:
            del fake.tokens[tok]
            fake.expired[tok] = soft
            n += 1
    else:
        raise ValueError("give token or user")
    return 200, {"expired": n}


def c_forget_since(fake, req, q):
    fake.pos += 1
    fake.min_since = fake.pos
    return 200, {"min_since": "s%d" % fake.min_since}


def c_sync_options(fake, req, q):
    if "omit_empty" in req:
        fake.omit_empty = bool(req["omit_empty"])
    return 200, {"omit_empty": fake.omit_empty}


def check_bad(v):
    if v not in (None, "wrong", "none"):
        raise ValueError("bad_token must be \"wrong\", \"none\" or null")
    return v


def check_auth_mode(v):
    if v not in ("both", "header", "query"):
        raise ValueError("auth must be both, header or query")
    return v


def as_settings(fake):
    return {"url": fake.as_url, "bad_token": fake.as_bad, "auth": fake.as_auth,
            "paused": fake.as_paused, "enabled": bool(fake.opts.as_token)}


def c_as(fake, req, q):
    if not fake.opts.as_token:
        raise ValueError("start the fake with --as-token and --hs-token")
    if "url" in req:
        fake.as_url = check_as_url(req["url"])
    if "bad_token" in req:
        fake.as_bad = check_bad(req["bad_token"])
    if "auth" in req:
        fake.as_auth = check_auth_mode(req["auth"])
    if "paused" in req:
        fake.as_paused = bool(req["paused"])
    fake.as_next_at = 0.0
    fake.as_backoff = AS_BACKOFF_MIN
    fake.cond.notify_all()
    return 200, as_settings(fake)


def c_transactions(fake, req, q):
    keys = ("txn_id", "events", "attempts", "acked", "last_status", "last_body",
            "statuses", "repushes", "extra")
    return 200, {"transactions": [{k: t.get(k) for k in keys if k in t}
                                  for t in fake.as_txns.values()],
                 "queued": len(fake.as_queue), "settings": as_settings(fake)}


# Handlers that call the AS: run WITHOUT the lock, take it themselves.

def as_ready_cfg(fake, req):
    if not fake.opts.as_token:
        raise ValueError("start the fake with --as-token and --hs-token")
    if not fake.as_url:
        raise ValueError("no AS url set")
    bad = check_bad(req["bad_token"]) if "bad_token" in req else Ellipsis
    auth = check_auth_mode(req["auth"]) if "auth" in req else None
    return fake.as_cfg_locked(bad, auth)


def c_as_repush(fake, req, q):
    with fake.lock:
        cfg = as_ready_cfg(fake, req)
        txn = fake.as_txns.get(str(req.get("txn_id")))
        if txn is None:
            raise ValueError("unknown txn_id %r" % (req.get("txn_id"),))
        tid, events = txn["txn_id"], txn["events"]
    status, body, err = as_request(cfg, "PUT", "/_matrix/app/v1/transactions/" +
                                   urllib.parse.quote(tid, ""), {"events": events})
    out = {"status": status, "body": body[:2000]}
    if err:
        out["error"] = err
    with fake.lock:
        txn["repushes"].append(dict(out, at=time.time()))
    return 200, out


def c_as_push(fake, req, q):
    with fake.lock:
        cfg = as_ready_cfg(fake, req)
        events = req.get("events", [])
        if not isinstance(events, list):
            raise ValueError("events must be a list")
        tid = fake.new_txn_id_locked()
        txn = {"txn_id": tid, "events": events, "attempts": 1, "acked": False,
               "last_status": None, "last_body": None, "statuses": [], "repushes": [],
               "extra": True, "created": time.time()}
        fake.record_txn_locked(txn)
    status, body, err = as_request(cfg, "PUT", "/_matrix/app/v1/transactions/" +
                                   urllib.parse.quote(tid, ""), {"events": events})
    out = {"txn_id": tid, "status": status, "body": body[:2000]}
    if err:
        out["error"] = err
    with fake.lock:
        txn["last_status"] = status
        txn["last_body"] = body[:2000] if not err else err
        txn["statuses"].append(status)
        txn["acked"] = 200 <= status < 300
    return 200, out


def c_as_query(fake, req, q):
    with fake.lock:
        cfg = as_ready_cfg(fake, req)
    kind, ident = req.get("kind"), req.get("id")
    if kind not in ("users", "rooms") or not isinstance(ident, str) or not ident:
        raise ValueError("kind users|rooms and id required")
    status, body, err = as_request(cfg, "GET", "/_matrix/app/v1/%s/%s"
                                   % (kind, urllib.parse.quote(ident, "")), None)
    out = {"status": status, "body": body[:2000]}
    if err:
        out["error"] = err
    return 200, out


CONTROL = {
    ("GET", "ping"): c_ping,
    ("GET", "calls"): c_calls,
    ("POST", "reset_calls"): c_reset_calls,
    ("GET", "sent"): c_sent,
    ("GET", "rooms"): c_rooms,
    ("GET", "events"): c_events,
    ("GET", "account_data"): c_account_data,
    ("POST", "user"): c_user,
    ("POST", "room"): c_room,
    ("POST", "message"): c_message,
    ("POST", "state"): c_state,
    ("POST", "invite"): c_invite,
    ("POST", "join"): c_join,
    ("POST", "leave"): c_leave,
    ("POST", "auto_accept"): c_auto_accept,
    ("POST", "fail"): c_fail,
    ("POST", "storm"): c_storm,
    ("POST", "expire_token"): c_expire_token,
    ("POST", "forget_since"): c_forget_since,
    ("POST", "sync_options"): c_sync_options,
    ("POST", "as"): c_as,
    ("GET", "transactions"): c_transactions,
    ("POST", "as_repush"): c_as_repush,
    ("POST", "as_push"): c_as_push,
    ("POST", "as_query"): c_as_query,
}
UNLOCKED = {c_as_repush, c_as_push, c_as_query}


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, fake):
        self.fake = fake
        self.active = 0
        self.count_lock = threading.Lock()
        super().__init__(addr, handler)

    def verify_request(self, request, client_address):
        return client_address[0] == "127.0.0.1"

    def process_request(self, request, client_address):
        with self.count_lock:
            if self.active >= MAX_HTTP_CONNECTIONS:
                log("too many connections, refusing one")
                self.shutdown_request(request)
                return
            self.active += 1
        try:
            super().process_request(request, client_address)
        except Exception:
            with self.count_lock:
                self.active -= 1
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.count_lock:
                self.active -= 1

    def handle_error(self, request, client_address):
        # A client that hangs up mid-answer is not worth a traceback.
        log("connection error: %r" % (sys.exc_info()[1],))


class BodyError(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


def redact_body(obj):
    if isinstance(obj, dict):
        return {k: ("<redacted>" if k == "password" else redact_body(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [redact_body(v) for v in obj]
    return obj


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-matrix/1"
    timeout = HTTP_IDLE_TIMEOUT

    @property
    def fake(self):
        return self.server.fake

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self):
        return self.server_version

    def log_request(self, code="-", size="-"):
        self._status = code

    def log_message(self, fmt, *args):
        log("http: " + redact_query(fmt % args))

    def do_GET(self):
        self.route()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def handle_expect_100(self):
        try:
            n = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            n = 0
        if n > MAX_BODY:
            self.reply_json(413, {"errcode": "M_TOO_LARGE", "error": "Request too large"},
                            close=True)
            return False
        return super().handle_expect_100()

    def reply(self, status, body, ctype, headers=(), close=False):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
        for k, v in headers:
            self.send_header(k, v)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, status, obj, headers=(), close=False):
        self.reply(status, mjson(obj), "application/json", headers, close)

    def read_body(self):
        """The request body (Content-Length or chunked); BodyError if bad."""
        te = self.headers.get("Transfer-Encoding")
        if te:
            if te.strip().lower() != "chunked":
                raise BodyError(501, "unsupported Transfer-Encoding")
            parts, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                if not line.endswith(b"\n"):
                    raise BodyError(400, "bad chunk")
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise BodyError(400, "bad chunk size")
                if size == 0:
                    for _ in range(100):       # trailers
                        t = self.rfile.readline(8192)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    return b"".join(parts)
                total += size
                if total > MAX_BODY:
                    raise BodyError(413, "body too large")
                data = self.rfile.read(size)
                if len(data) != size:
                    raise BodyError(400, "short chunk")
                parts.append(data)
                self.rfile.readline(8)
        try:
            n = int(self.headers.get("Content-Length", "0"))
            if n < 0:
                raise ValueError
        except ValueError:
            raise BodyError(400, "bad Content-Length")
        if n > MAX_BODY:
            raise BodyError(413, "body too large")
        data = self.rfile.read(n) if n else b""
        if len(data) != n:
            raise BodyError(400, "short body")
        return data

    def route(self):
        self._status = None
        t0 = time.time()
        url = urllib.parse.urlsplit(self.path)
        raw_path, query = url.path, url.query
        shown = raw_path + ("?" + redact_query(query) if query else "")
        note = ""
        try:
            try:
                body = self.read_body()
            except BodyError as e:
                self.reply_json(e.status, {"errcode": "M_UNKNOWN", "error": str(e)}, close=True)
                return
            if raw_path.startswith("/_fake/"):
                self.control(raw_path[7:], query, body)
            else:
                note = self.client_api(raw_path, query, body, t0)
        finally:
            log("%s %s %s%s" % (self.command, shown, self._status, note))

    # -- client-server -----------------------------------------------------------

    def client_api(self, raw_path, query, body, t0):
        fake = self.fake
        q = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        route, groups = match_route(self.command, raw_path)
        status, headers, ctype = 200, [], "application/json"
        out, data, user = None, None, None
        if route is None:
            if groups:
                status, out = 405, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"}
                headers.append(("Allow", ", ".join(sorted(set(groups)))))
            else:
                status, out = 404, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"}
            self.reply_json(status, out, headers)
            return ""
        _, _, kind, need_auth, func, locked = route
        ctx = Ctx(self.command, raw_path, urllib.parse.unquote(raw_path), q, body,
                  self.headers, groups)
        rule = None
        try:
            with fake.lock:
                if need_auth:
                    ctx.req = fake.authenticate_locked(self.headers, q)
                    user = ctx.req.user
                rule = fake.take_fail_locked(kind)
                if rule is None and kind == "send" and time.time() < fake.storm_until:
                    fake.storm_n += 1
                    if fake.storm_n % 3 != 0:
                        rule = {"status": 429, "retry_after_ms": fake.storm_ms,
                                "error": "Too Many Requests (storm)"}
            if rule and rule.get("delay"):
                time.sleep(rule["delay"])
            if rule and rule.get("status"):
                status, data, headers, ctype = fail_response(rule)
            elif locked:
                with fake.lock:
                    status, out = func(fake, ctx)
            else:
                status, out = func(fake, ctx)
        except MatrixError as e:
            status, out, headers = e.status, e.body(), e.headers
        except Exception as e:                       # a bug in the fake: say so
            log("internal error on %s %s: %r" % (self.command, raw_path, e))
            status, out = 500, {"errcode": "M_UNKNOWN", "error": "Internal server error"}
        if data is None:
            data = mjson(out)
        rec_body = None
        if body:
            try:
                rec_body = redact_body(json.loads(body.decode("utf-8")))
            except (ValueError, UnicodeDecodeError):
                rec_body = body[:2000].decode("utf-8", "replace")
        if out is None:
            try:
                out = json.loads(data.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                out = data[:2000].decode("utf-8", "replace")
        qrec = {k: v for k, v in q.items() if k != "access_token"}
        with fake.lock:
            fake.record_call_locked({"method": self.command, "path": raw_path, "query": qrec,
                                     "body": rec_body, "status": status, "response": out,
                                     "user": user, "kind": kind, "at": t0,
                                     "duration_ms": int((time.time() - t0) * 1000)})
        self.reply(status, data, ctype, headers)
        if isinstance(out, dict) and "errcode" in out:
            return " " + out["errcode"]
        return ""

    # -- control -----------------------------------------------------------------

    def control(self, name, query, body):
        fake = self.fake
        q = dict(urllib.parse.parse_qsl(query))
        req = {}
        if self.command == "POST" and body:
            try:
                req = json.loads(body.decode("utf-8"))
                if not isinstance(req, dict):
                    raise ValueError
            except (ValueError, UnicodeDecodeError):
                self.reply_json(400, {"error": "body must be a JSON object"})
                return
        handler = CONTROL.get((self.command, name))
        if handler is None:
            known = any(n == name for (_, n) in CONTROL)
            self.reply_json(405 if known else 404,
                            {"error": "method not allowed" if known else
                             "no such control endpoint"})
            return
        try:
            if handler in UNLOCKED:
                status, out = handler(fake, req, q)
            else:
                with fake.lock:
                    status, out = handler(fake, req, q)
        except (KeyError, TypeError, ValueError) as e:
            status, out = 400, {"error": "bad request: %s" % e}
        except MatrixError as e:
            status, out = 400, {"error": "bad request: %s: %s" % (e.errcode, e.error)}
        self.reply_json(status, out)


# ---------------------------------------------------------------------------
# serve
# ---------------------------------------------------------------------------

def cmd_serve(opts):
    start_logger()
    fake = Fake(opts)
    server = Server(("127.0.0.1", 0), Handler, fake)
    fake.port = server.server_address[1]
    tmp = opts.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % fake.port)
    os.replace(tmp, opts.port_file)
    log("listening on 127.0.0.1:%d as %s (appservice %s, max runtime %gs)"
        % (fake.port, SERVER, "on" if opts.as_token else "off", opts.max_runtime))

    stop = threading.Event()

    def on_signal(signum, frame):
        log("signal %d" % signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                     daemon=True, name="http").start()

    def pusher():
        while not stop.is_set():
            try:
                as_pusher(fake, stop)
            except Exception as e:          # never let the pusher die
                log("AS pusher failed: %r" % e)
                stop.wait(0.5)

    if opts.as_token:
        threading.Thread(target=pusher, daemon=True, name="as-pusher").start()

    deadline = time.time() + opts.max_runtime
    while not stop.is_set():
        left = deadline - time.time()
        if left <= 0:
            log("max runtime reached")
            break
        stop.wait(min(left, 0.5))
    stop.set()
    with fake.lock:
        fake.stopping = True
        fake.cond.notify_all()          # long polls answer at once
    time.sleep(0.1)
    server.shutdown()
    server.server_close()
    log("exiting")
    flush_log()
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="A fake Matrix homeserver for drilld's tests.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port-file", required=True)
    s.add_argument("--user", default="@drilld:" + SERVER)
    s.add_argument("--token", default="syt_test")
    s.add_argument("--password", default="secret")
    s.add_argument("--device", default="FAKEDEVICE")
    s.add_argument("--as-token")
    s.add_argument("--hs-token")
    s.add_argument("--as-url")
    s.add_argument("--as-id", default="drilld")
    s.add_argument("--as-txn-start", type=int, default=None)
    s.add_argument("--max-runtime", type=float, default=600.0)
    opts = ap.parse_args(argv)
    if opts.max_runtime <= 0:
        ap.error("--max-runtime must be > 0")
    if not LOCAL_USER_RE.match(opts.user):
        ap.error("--user must be a local user id like @drilld:" + SERVER)
    if bool(opts.as_token) != bool(opts.hs_token):
        ap.error("--as-token and --hs-token go together")
    if opts.as_url and not opts.as_token:
        ap.error("--as-url needs --as-token and --hs-token")
    if opts.as_token and opts.as_token == opts.token:
        ap.error("--as-token must differ from --token")
    try:
        check_as_url(opts.as_url)
    except ValueError as e:
        ap.error(str(e))
    if opts.as_txn_start is None:
        opts.as_txn_start = int(time.time() * 1000)
    return cmd_serve(opts)


if __name__ == "__main__":
    sys.exit(main())
