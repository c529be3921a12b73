#!/usr/bin/env python3
"""fake_slack.py - a fake Slack for drilld's end-to-end tests (Python 3 stdlib only).

It speaks the real protocols (Web API over HTTP/1.1, Socket Mode over an
RFC 6455 websocket, Slack's v0 request signing), on 127.0.0.1 only, so that
drilld (libcurl + libwebsockets) cannot tell it from Slack. Point drilld's
Slack api_url at  http://127.0.0.1:PORT/api/  and give it the tokens below.

COMMAND LINE
  fake_slack.py serve --port-file FILE [--bot-token xoxb-test]
        [--app-token xapp-test] [--ack-timeout 3] [--max-runtime 600]
        [--ping-interval 10]
      Listens on 127.0.0.1 (port picked by the kernel), writes the port
      number to FILE atomically (FILE.tmp, then rename), serves until
      SIGTERM/SIGINT or --max-runtime seconds, then exits 0. One log line
      per request / websocket frame on stderr (never tokens).

  fake_slack.py post --url URL --secret SECRET
        (--json BODY | --form BODY | --body-file F [--content-type T])
        [--ts-offset SECONDS] [--timestamp N] [--bad-signature]
        [--no-signature] [--no-timestamp] [--retry-num N]
        [--show-headers] [--register FAKE_BASE_URL]
      Plays Slack's Events API: one signed POST (X-Slack-Request-Timestamp,
      X-Slack-Signature "v0=" + hex HMAC-SHA256(secret, "v0:TS:BODY")),
      TS = now + offset (or --timestamp). Prints the HTTP status on the first
      line and the response body after it (with --show-headers: the status,
      "Name: value" header lines, an empty line, the body). Exit 0 whatever
      the status, 2 when the connection fails. --bad-signature sends a wrong
      signature, --no-signature omits X-Slack-Signature, --no-timestamp
      omits X-Slack-Request-Timestamp, --retry-num N adds X-Slack-Retry-Num:
      N and X-Slack-Retry-Reason: http_timeout. --register http://127.0.0.1:P
      first tells that fake about the message in an event_callback body (see
      /_fake/messages), so drilld's thread replies to it are accepted.
      The signing is the function slack_signature(secret, ts, body).

WEB API  (POST /api/<method>, JSON or form body; GET with a query string)
  Token: "Authorization: Bearer ..." only. Missing -> not_authed, unknown ->
  invalid_auth, xapp token on a bot method or xoxb on apps.connections.open
  -> not_allowed_token_type. Logical errors are HTTP 200 {"ok":false,...}.
  Responses escape "/" as "\\/" like Slack does (valid JSON either way).
  A JSON body whose Content-Type lacks "charset" gets Slack's
  "warning":"missing_charset". Methods:
    auth.test              -> user_id U0BOT, bot_id B0BOT, team_id T0FAKE
    apps.connections.open  -> url ws://127.0.0.1:PORT/link/?ticket=T&app_id=A0FAKE
                              (each ticket works once; reuse -> HTTP 400)
    chat.postMessage       channel (C/G/D id), text|blocks, thread_ts ...
                           -> {"ok","channel","ts","message"}; errors
                           channel_not_found, not_in_channel, no_text,
                           msg_too_long (>40000), thread_not_found (thread_ts
                           not a top-level message known in that channel:
                           the fake's own posts, messages of injected events,
                           /_fake/messages), invalid_blocks(_format).
                           Rate limit per channel: bucket of 3, +1/s; empty ->
                           HTTP 429, Retry-After: N, {"error":"ratelimited"}.
    chat.postEphemeral     channel, user, text|blocks -> {"message_ts"}
    chat.update            channel, ts, text|blocks -> message_not_found for
                           an unknown ts, cant_update_message for a user's
    conversations.open     users=U0ALICE -> channel.id D0ALICE
    users.info             user -> tz Europe/Berlin unless set; tz_offset is
                           the zone's current offset (3600 or 7200 for Berlin)
    views.publish          user_id, view (object, or JSON string in a form)
                           with "type":"home" -> {"view":{"id":"V1",...}}
    anything else          -> unknown_method
  Every call is recorded (failures too): {"seq","method","params","status",
  "response","at"}; form-encoded blocks/view/metadata/attachments are
  recorded parsed. POST /response/<anything> (response_url, JSON body) ->
  200 "ok", recorded as method "response_url" with "path".

SOCKET MODE  GET /link/?ticket=T (websocket)
  On open: {"type":"hello","num_connections":N,...}. A ping every 10 s.
  Connections are numbered 1, 2, ... At most 10 are open at once (Slack's
  limit); an 11th upgrade gets HTTP 400. Envelopes go to the newest live
  connection (open, not silenced) or a given one; an envelope not acked
  ({"envelope_id":ID[,"payload":...]}) within --ack-timeout is sent again
  (same envelope_id, retry_attempt+1, retry_reason "timeout") on the newest
  live connection, at most 3 retries; envelopes unacked on a connection that
  closes are re-sent the same way as soon as a connection is live. Client
  frames must be masked (else close 1002); messages over 1 MiB -> close 1009.

CONTROL ENDPOINTS (JSON in, JSON out, HTTP 400 {"error":...} on bad input)
  GET  /_fake/ping                      -> {"ok":true}
  GET  /_fake/calls[?method=M][&since=SEQ] -> {"calls":[...]} (seq > SEQ)
  GET  /_fake/acks                      -> {"acks":[{"envelope_id","payload",
        "connection","at"[,"delivered_on"][,"unknown":true][,"duplicate":true]}]}
  GET  /_fake/envelopes                 -> {"envelopes":[{"envelope_id","type",
        "state": sent|waiting|acked|expired,"retry_attempt","deliveries":[...]}]}
  POST /_fake/envelope {"type":"events_api"|"slash_commands"|"interactive",
        "payload":{...}[,"connection":ID][,"accepts_response_payload":B]
        [,"fragment":BYTES]}
        -> {"envelope_id","connection"[,"event_id"],"payload"};
        503 {"error":"no live connection"} when none is open.
        events_api: a payload without "event_id" gets event_id "Ev...",
        type event_callback, team_id, api_app_id, event_time, authorizations
        (pass just {"event":{...}}); a message/app_mention event without ts
        gets one. Message events are remembered for thread_ts checks.
        accepts_response_payload defaults to true for slash_commands and for
        interactive view_submission/block_suggestion, else false.
        "fragment": send the envelope as continuation frames of that size.
  POST /_fake/send {"text":S | "json":OBJ [,"connection":ID][,"fragment":N]
        [,"binary":true]} -> sends a raw frame (garbage, oversized, ...)
  POST /_fake/disconnect {"reason":"warning"|"refresh_requested"|"link_disabled"
        [,"connection":ID][,"grace":10]} -> sends {"type":"disconnect",...}
        to that (default: every live) connection; for warning and
        refresh_requested the fake closes it (1001) if the client has not
        within grace seconds. -> {"connections":[ids]}
  POST /_fake/drop [{"connection":ID}]  -> TCP reset, no close frame (default all)
  POST /_fake/silence [{"connection":ID}] -> stop answering and sending on it
        (no pongs, pings or envelopes; default: newest live). Incoming data is
        still drained, so a hang-up by the client is noticed and recorded.
  GET  /_fake/connections -> {"open":[ids],"live":[ids],"silenced":[ids],
        "total":n,"rejected":n,"closed":[{"id","code","by":"client"|"server"|"drop"}]}
        (code 1006: no close frame; 1005: a close frame without a code)
  POST /_fake/fail {"method":M,"status":429,"retry_after":2,"count":1}
        | {"method":M,"error":"channel_not_found","count":1}
        | {"method":M,"status":500,"count":2} | {"method":M,"delay":5}
        -> the next count calls of M fail so (recorded like any call);
        "delay" (<=30 s) holds the answer. M may also be "response_url" or
        "websocket" (the upgrade answers that HTTP status).
  POST /_fake/channels {"missing":[...],"not_in":[...]} (each given list
        replaces the old one)
  POST /_fake/users {"U0ALICE":{"tz":"Asia/Kolkata"[,"tz_offset":19800]
        [,"tz_label"][,"name"][,"display_name"][,"is_bot"][,"deleted"]
        [,"not_found":true]}}
  POST /_fake/messages {"channel":C,"ts":TS[,"thread_ts":P][,"user":U]}
        -> registers a user's message (for thread_ts checks); GET lists them
  POST /_fake/reset_calls -> clears recorded calls and acks (seq goes on)
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import http.client
import http.server
import io
import json
import math
import os
import queue
import re
import secrets
import select
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid

try:
    import zoneinfo
except ImportError:  # pragma: no cover - 3.11 has it
    zoneinfo = None

TEAM_ID = "T0FAKE"
APP_ID = "A0FAKE"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_BODY = 4 * 1024 * 1024          # request bodies over this: 413
MAX_WS_MESSAGE = 1024 * 1024        # websocket frames/messages over this: 1009
MAX_WS_OPEN = 10                    # Slack allows 10 connections per app
MAX_HTTP_CONNECTIONS = 64           # concurrent TCP connections served
MAX_RETRIES = 3                     # envelope redeliveries
MAX_RECORDS = 50000                 # recorded calls/acks kept
HTTP_IDLE_TIMEOUT = 30              # keep-alive idle seconds
WS_SEND_TIMEOUT = 10                # a client that does not read for this long is cut
WS_CLOSE_WAIT = 5                   # seconds to wait for the peer's close frame
TEXT_LIMIT = 40000

CHANNEL_RE = re.compile(r"^[CGD][A-Z0-9]+$")
USER_RE = re.compile(r"^[UW][A-Z0-9]+$")

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


_log_queue = queue.Queue(maxsize=10000)
_log_thread = None


def _log_writer():
    while True:
        line = _log_queue.get()
        try:
            sys.stderr.write(line)
            sys.stderr.flush()
        except (OSError, ValueError):
            pass                        # stderr gone: keep serving anyway


def log(msg):
    """One line on stderr; callers never pass tokens. In `serve`, lines go
    through a queue to a writer thread, so a slow or full stderr pipe never
    stalls a request (or the lock); beyond 10000 pending lines, lines are
    dropped."""
    line = "fake_slack %.3f: %s\n" % (time.time(), msg)
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


def slack_signature(secret, timestamp, body):
    """Slack's v0 signature: "v0=" + hex(HMAC-SHA256(secret, "v0:TS:BODY"))."""
    if isinstance(secret, str):
        secret = secret.encode()
    if isinstance(body, str):
        body = body.encode()
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()


def slack_json(obj):
    """JSON as Slack writes it: compact, non-ASCII as \\u escapes, "/" as "\\/".
    ("/" occurs only inside strings in JSON, so the replace is safe.)"""
    return json.dumps(obj, separators=(",", ":")).replace("/", "\\/").encode()


def plain_json(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------
# Websocket framing (RFC 6455)
# ---------------------------------------------------------------------------

class WsError(Exception):
    """A protocol violation: the connection is closed with this code."""

    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def apply_mask(data, key):
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def encode_frame(opcode, payload, fin=True, mask_key=None):
    """One frame; server frames are unmasked (mask_key None)."""
    b0 = (0x80 if fin else 0) | opcode
    mbit = 0x80 if mask_key else 0
    n = len(payload)
    if n < 126:
        hdr = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, mbit | 127, n)
    if mask_key:
        return hdr + mask_key + apply_mask(payload, mask_key)
    return hdr + payload


def encode_message(opcode, payload, fragment=None):
    """A whole message, optionally split into continuation frames."""
    if not fragment or fragment <= 0 or len(payload) <= fragment:
        return [encode_frame(opcode, payload)]
    frames = []
    for i in range(0, len(payload), fragment):
        part = payload[i:i + fragment]
        last = i + fragment >= len(payload)
        frames.append(encode_frame(opcode if i == 0 else OP_CONT, part, fin=last))
    return frames


def parse_frame(buf, max_len):
    """Parses one frame at the start of buf. Returns None when incomplete, else
    (fin, rsv, opcode, masked, payload, consumed). A frame longer than max_len
    raises WsError(1009) as soon as its header is seen (nothing is buffered)."""
    if len(buf) < 2:
        return None
    b0, b1 = buf[0], buf[1]
    fin, rsv, opcode = b0 >> 7, (b0 >> 4) & 7, b0 & 0x0F
    masked, n, pos = b1 >> 7, b1 & 0x7F, 2
    if n == 126:
        if len(buf) < 4:
            return None
        n, pos = struct.unpack_from("!H", buf, 2)[0], 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n, pos = struct.unpack_from("!Q", buf, 2)[0], 10
        if n >> 63:
            raise WsError(1002, "bad length")
    if n > max_len:
        raise WsError(1009, "frame too big")
    key = None
    if masked:
        if len(buf) < pos + 4:
            return None
        key = bytes(buf[pos:pos + 4])
        pos += 4
    if len(buf) < pos + n:
        return None
    payload = bytes(buf[pos:pos + n])
    if key:
        payload = apply_mask(payload, key)
    return fin, rsv, opcode, masked, payload, pos + n


def close_payload(code, reason=""):
    return struct.pack("!H", code) + reason.encode()[:120]


# ---------------------------------------------------------------------------
# One Socket Mode connection
# ---------------------------------------------------------------------------

class WsConn:
    """A websocket connection. The HTTP handler's thread is its reader (and the
    only one that closes the socket); a writer thread sends queued frames, so
    nobody holding the fake's lock ever does socket I/O.

    state: "open" (counted in /_fake/connections "open") -> "closing" (close
    frame sent or received, waiting for the other side) -> "closed"."""

    def __init__(self, fake, cid, sock):
        self.fake = fake
        self.id = cid
        self.sock = sock
        self.out = queue.Queue()
        self.state = "open"
        self.silenced = False
        self.dropped = False
        self.write_failed = False
        self.close_received = False
        self.close_started = None
        self.close_deadline = None      # after a disconnect warning/refresh
        self.next_ping = time.time() + fake.opts.ping_interval
        self.writer = threading.Thread(target=self._write_loop, daemon=True,
                                       name="ws%d-writer" % cid)
        self.writer.start()

    # -- sending (enqueue only; safe with the fake's lock held) --------------

    def send_frames(self, frames, what):
        if self.silenced or self.dropped or self.state == "closed":
            return
        for f in frames:
            self.out.put(f)
        log("ws#%d -> %s" % (self.id, what))

    def send_json(self, obj, what, fragment=None):
        self.send_frames(encode_message(OP_TEXT, plain_json(obj), fragment), what)

    def _write_loop(self):
        while True:
            item = self.out.get()
            if item is None:
                return
            if self.dropped or self.silenced:
                continue
            try:
                self.sock.sendall(item)
            except OSError as e:
                log("ws#%d send failed: %s" % (self.id, e))
                self.write_failed = True
                return

    # -- state changes (call with the fake's lock held) ----------------------

    def begin_close_locked(self, code, reason, by):
        """Leaves "open": records how, re-queues its unacked envelopes, and for
        a server-initiated close sends the close frame."""
        if self.state != "open":
            return
        self.state = "closing"
        self.close_started = time.time()
        self.fake.record_closed_locked(self, code, by)
        if by == "server":
            self.send_frames([encode_frame(OP_CLOSE, close_payload(code, reason))],
                             "close %d %s" % (code, reason))

    # -- the reader, run on the HTTP handler's thread -------------------------

    def run(self):
        buf = bytearray()
        msg_op, msg = None, bytearray()   # a fragmented message in progress
        why = "eof"
        try:
            while True:
                if self.dropped:
                    why = "drop"
                    break
                if self.write_failed:
                    why = "write failed"
                    break
                if self.state == "closing":
                    if self.close_received or time.time() - self.close_started > WS_CLOSE_WAIT:
                        why = "closed"
                        break
                try:
                    ready, _, _ = select.select([self.sock], [], [], 0.2)
                except (OSError, ValueError):
                    why = "select failed"
                    break
                if not ready:
                    continue
                try:
                    data = self.sock.recv(65536)
                except (socket.timeout, BlockingIOError, InterruptedError):
                    continue
                except OSError as e:
                    why = "recv: %s" % e
                    break
                if not data:
                    why = "eof"
                    break
                buf += data
                try:
                    while True:
                        fr = parse_frame(buf, MAX_WS_MESSAGE)
                        if fr is None:
                            break
                        fin, rsv, op, masked, payload, used = fr
                        del buf[:used]
                        msg_op, msg = self._on_frame(fin, rsv, op, masked, payload,
                                                     msg_op, msg)
                except WsError as e:
                    # "Fail the WebSocket connection": a close frame, then the
                    # TCP connection is closed (after the frame is flushed).
                    log("ws#%d protocol error: %s" % (self.id, e.reason))
                    with self.fake.lock:
                        self.begin_close_locked(e.code, e.reason, "server")
                    why = "protocol error"
                    break
        finally:
            self._finish(why)

    def _on_frame(self, fin, rsv, op, masked, payload, msg_op, msg):
        """Handles one frame; returns the fragmented-message state."""
        if self.silenced:
            # A silenced connection drains and ignores everything except that a
            # client close frame is noted (it is not answered).
            if op == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                log("ws#%d <- close %d (silenced, not answered)" % (self.id, code))
                with self.fake.lock:
                    self.begin_close_locked(code, "", "client")
            return msg_op, msg
        if rsv:
            raise WsError(1002, "reserved bits set")
        if not masked:
            raise WsError(1002, "client frame not masked")
        if op >= 8:                                   # control frames
            if not fin or len(payload) > 125:
                raise WsError(1002, "bad control frame")
            if op == OP_CLOSE:
                self._on_close(payload)
            elif op == OP_PING:
                log("ws#%d <- ping" % self.id)
                if self.state == "open":
                    self.send_frames([encode_frame(OP_PONG, payload)], "pong")
            elif op == OP_PONG:
                log("ws#%d <- pong" % self.id)
            else:
                raise WsError(1002, "unknown opcode %d" % op)
            return msg_op, msg
        if self.state != "open":
            return None, bytearray()                  # closing: data is ignored
        if op == OP_CONT:
            if msg_op is None:
                raise WsError(1002, "continuation without a start")
        elif op in (OP_TEXT, OP_BINARY):
            if msg_op is not None:
                raise WsError(1002, "new message inside a fragmented one")
            msg_op, msg = op, bytearray()
        else:
            raise WsError(1002, "unknown opcode %d" % op)
        msg += payload
        if len(msg) > MAX_WS_MESSAGE:
            raise WsError(1009, "message too big")
        if not fin:
            return msg_op, msg
        data = bytes(msg)
        if msg_op == OP_BINARY:
            log("ws#%d <- binary %dB (ignored)" % (self.id, len(data)))
            return None, bytearray()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise WsError(1007, "invalid UTF-8")
        self._on_text(text)
        return None, bytearray()

    def _on_close(self, payload):
        if len(payload) == 1:
            raise WsError(1002, "bad close payload")
        code = struct.unpack("!H", payload[:2])[0] if payload else 1005
        try:
            reason = payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise WsError(1007, "close reason not UTF-8")
        log("ws#%d <- close %d %s" % (self.id, code, reason))
        self.close_received = True
        with self.fake.lock:
            if self.state == "open":
                # Client-initiated: record it, echo its code, then hang up.
                self.begin_close_locked(code, reason, "client")
                self.out.put(encode_frame(OP_CLOSE, payload[:2]))
                log("ws#%d -> close (echo)" % self.id)

    def _on_text(self, text):
        try:
            obj = json.loads(text)
        except ValueError:
            log("ws#%d <- text %dB, not JSON (ignored)" % (self.id, len(text)))
            return
        if isinstance(obj, dict) and "envelope_id" in obj:
            with self.fake.lock:
                self.fake.record_ack_locked(self, obj)
        else:
            log("ws#%d <- text %dB without envelope_id (ignored)" % (self.id, len(text)))

    def _finish(self, why):
        with self.fake.lock:
            if self.state == "open":
                # Gone without a close handshake.
                self.begin_close_locked(1006, "", "drop" if why == "drop" else "client")
            self.state = "closed"
            self.fake.conns.pop(self.id, None)
        log("ws#%d closed (%s)" % (self.id, why))
        if self.dropped:
            # An abrupt reset: no close frame, no FIN handshake.
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     struct.pack("ii", 1, 0))
            except OSError:
                pass
        self.out.put(None)
        if self.dropped:
            return
        self.writer.join(WS_SEND_TIMEOUT + 1)   # flush a pending close frame
        # Half-close, then drain what the client still sends until it hangs up
        # (closing with unread data would reset the connection and could lose
        # our close frame).
        try:
            self.sock.shutdown(socket.SHUT_WR)
            end = time.time() + 2.0
            while time.time() < end:
                ready, _, _ = select.select([self.sock], [], [], 0.1)
                if ready and not self.sock.recv(65536):
                    break
        except (OSError, ValueError):
            pass


# ---------------------------------------------------------------------------
# The shared state of the fake
# ---------------------------------------------------------------------------

class ApiError(Exception):
    def __init__(self, error, status=200, headers=None):
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or []


class Fake:
    """Everything shared between threads, behind self.lock. Methods named
    *_locked expect the lock held; none of them does I/O or sleeps."""

    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.port = 0
        self.stopping = False
        self.calls = []
        self.seq = 0
        self.acks = []
        self.tickets = {}            # unused ticket -> creation time
        self.conns = {}              # id -> WsConn not yet fully closed
        self.conn_total = 0
        self.closed = []
        self.rejected = 0
        self.envelopes = {}          # envelope_id -> record (insertion order)
        self.buckets = {}            # channel -> [tokens, last refill time]
        self.fails = {}              # method -> [rule, ...]
        self.missing = set()
        self.not_in = set()
        self.users = {}
        self.messages = {}           # channel -> {ts: message}
        self.dms = set()
        self.views = {}
        self.ts_last = (0, 0)
        self.ts_n = 0
        self.event_n = 0

    # -- helpers ---------------------------------------------------------------

    def new_ts_locked(self):
        """A Slack-style ts near the wall clock, strictly increasing."""
        self.ts_n += 1
        sec, frac = int(time.time()), self.ts_n % 1000000
        if (sec, frac) <= self.ts_last:
            sec = self.ts_last[0] + (1 if frac <= self.ts_last[1] else 0)
        self.ts_last = (sec, frac)
        return "%d.%06d" % (sec, frac)

    def record_call_locked(self, rec):
        self.seq += 1
        rec["seq"] = self.seq
        rec["at"] = time.time()
        self.calls.append(rec)
        if len(self.calls) > MAX_RECORDS:
            del self.calls[:MAX_RECORDS // 5]

    def take_fail_locked(self, method):
        rules = self.fails.get(method)
        if not rules:
            return None
        rule = rules[0]
        rule["count"] -= 1
        if rule["count"] <= 0:
            rules.pop(0)
        return dict(rule)

    def remember_message_locked(self, channel, ts, thread_ts=None, user=None, bot=False,
                                text=None, blocks=None):
        msgs = self.messages.setdefault(channel, {})
        top = thread_ts in (None, "", ts)
        msgs[ts] = {"channel": channel, "ts": ts, "thread_ts": None if top else thread_ts,
                    "user": user, "bot": bot, "text": text, "blocks": blocks}

    # -- websocket bookkeeping -------------------------------------------------

    def open_conns_locked(self):
        return [c for c in self.conns.values() if c.state == "open"]

    def live_conn_locked(self, cid=None):
        """The given connection if live, else (cid None) the newest live one."""
        live = [c for c in self.open_conns_locked() if not c.silenced]
        if cid is not None:
            return next((c for c in live if c.id == cid), None)
        return max(live, key=lambda c: c.id) if live else None

    def record_closed_locked(self, conn, code, by):
        self.closed.append({"id": conn.id, "code": code, "by": by})
        # Envelopes still waiting for an ack on it go again on the next live one.
        for env in self.envelopes.values():
            if env["state"] == "sent" and env["connection"] == conn.id:
                self.retry_envelope_locked(env, "connection %d closed" % conn.id)
        log("ws#%d closed by %s, code %d" % (conn.id, by, code))

    def retry_envelope_locked(self, env, why):
        if env["retry_attempt"] >= MAX_RETRIES:
            env["state"] = "expired"
            log("envelope %s expired after %d retries (%s)"
                % (env["envelope_id"], MAX_RETRIES, why))
            return
        env["retry_attempt"] += 1
        env["retry_reason"] = "timeout"
        env["state"] = "waiting"
        log("envelope %s to be retried (%s)" % (env["envelope_id"], why))

    def deliver_locked(self, env, conn):
        frame = {"envelope_id": env["envelope_id"], "type": env["type"],
                 "accepts_response_payload": env["accepts_response_payload"],
                 "retry_attempt": env["retry_attempt"],
                 "retry_reason": env["retry_reason"], "payload": env["payload"]}
        conn.send_json(frame, "envelope %s %s retry %d" % (env["type"], env["envelope_id"],
                                                         env["retry_attempt"]),
                       env.get("fragment"))
        env["state"] = "sent"
        env["connection"] = conn.id
        env["deadline"] = time.time() + self.opts.ack_timeout
        env["deliveries"].append({"connection": conn.id, "retry_attempt": env["retry_attempt"],
                                  "at": time.time()})

    def deliver_waiting_locked(self):
        for env in self.envelopes.values():
            if env["state"] == "waiting":
                conn = self.live_conn_locked()
                if conn is None:
                    return
                self.deliver_locked(env, conn)

    def record_ack_locked(self, conn, obj):
        eid = obj.get("envelope_id")
        rec = {"envelope_id": eid, "payload": obj.get("payload"), "connection": conn.id,
               "at": time.time()}
        env = self.envelopes.get(eid) if isinstance(eid, str) else None
        if env is None:
            rec["unknown"] = True
            log("ws#%d <- ack for unknown envelope %r" % (conn.id, eid))
        else:
            rec["delivered_on"] = env["connection"]
            rec["retry_attempt"] = env["retry_attempt"]
            if env["state"] == "acked":
                rec["duplicate"] = True
            env["state"] = "acked"
            log("ws#%d <- ack %s%s" % (conn.id, eid, " (duplicate)" if rec.get("duplicate") else ""))
        self.acks.append(rec)
        if len(self.acks) > MAX_RECORDS:
            del self.acks[:MAX_RECORDS // 5]

    def tick(self):
        """Runs every 100 ms: pings, disconnect grace periods, ack timeouts."""
        now = time.time()
        with self.lock:
            for c in self.open_conns_locked():
                if not c.silenced and now >= c.next_ping:
                    c.next_ping = now + self.opts.ping_interval
                    c.send_frames([encode_frame(OP_PING, b"fake-slack")], "ping")
                if c.close_deadline is not None and now >= c.close_deadline:
                    c.begin_close_locked(1001, "going away", "server")
            for env in self.envelopes.values():
                if env["state"] == "sent" and now >= env["deadline"]:
                    self.retry_envelope_locked(env, "no ack in %gs" % self.opts.ack_timeout)
            self.deliver_waiting_locked()
            if len(self.envelopes) > MAX_RECORDS:
                for eid in [e for e, v in self.envelopes.items()
                            if v["state"] in ("acked", "expired")][:MAX_RECORDS // 5]:
                    del self.envelopes[eid]

    # -- Web API ---------------------------------------------------------------

    def check_auth_locked(self, method, token):
        if method not in API_METHODS:
            raise ApiError("unknown_method")
        if not token:
            raise ApiError("not_authed")
        if token == self.opts.app_token:
            if method != "apps.connections.open":
                raise ApiError("not_allowed_token_type")
        elif token == self.opts.bot_token:
            if method == "apps.connections.open":
                raise ApiError("not_allowed_token_type")
        else:
            raise ApiError("invalid_auth")

    def check_channel_locked(self, params, key="channel"):
        ch = params.get(key)
        if not isinstance(ch, str) or not CHANNEL_RE.match(ch) or ch in self.missing:
            raise ApiError("channel_not_found")
        if ch in self.not_in:
            raise ApiError("not_in_channel")
        return ch

    def rate_limit_locked(self, channel):
        """Token bucket per channel: 3 tokens, 1 more per second."""
        now = time.time()
        b = self.buckets.setdefault(channel, [3.0, now])
        b[0] = min(3.0, b[0] + (now - b[1]))
        b[1] = now
        if b[0] < 1.0:
            wait = max(1, int(math.ceil(1.0 - b[0])))
            raise ApiError("ratelimited", 429, [("Retry-After", str(wait))])
        b[0] -= 1.0

    def api_locked(self, method, params):
        return API_METHODS[method](self, params)

    # API methods (lock held). Each returns the response without "ok".

    def m_auth_test(self, p):
        return {"url": "https://fake.slack.test/", "team": "Fake", "user": "drilld",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                "is_enterprise_install": False}

    def m_connections_open(self, p):
        ticket = uuid.uuid4().hex
        self.tickets[ticket] = time.time()
        while len(self.tickets) > 100:            # bounded: forget the oldest
            self.tickets.pop(next(iter(self.tickets)))
        return {"url": "ws://127.0.0.1:%d/link/?ticket=%s&app_id=%s" % (self.port, ticket, APP_ID)}

    def m_post_message(self, p):
        ch = p.get("channel")
        if isinstance(ch, str) and ch:
            self.rate_limit_locked(ch)
        ch = self.check_channel_locked(p)
        text, blocks = check_content(p)
        thread_ts = p.get("thread_ts")
        if thread_ts not in (None, ""):
            parent = self.messages.get(ch, {}).get(thread_ts) if isinstance(thread_ts, str) else None
            if parent is None or parent["thread_ts"] is not None:
                raise ApiError("thread_not_found")
        else:
            thread_ts = None
        ts = self.new_ts_locked()
        self.remember_message_locked(ch, ts, thread_ts, BOT_USER_ID, True, text, blocks)
        msg = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID,
               "team": TEAM_ID, "text": text or "", "ts": ts}
        if blocks:
            msg["blocks"] = blocks
        if thread_ts:
            msg["thread_ts"] = thread_ts
            msg["parent_user_id"] = self.messages[ch][thread_ts]["user"]
        return {"channel": ch, "ts": ts, "message": msg}

    def m_post_ephemeral(self, p):
        self.check_channel_locked(p)
        user = p.get("user")
        if not isinstance(user, str) or not USER_RE.match(user):
            raise ApiError("user_not_found")
        check_content(p)
        return {"message_ts": self.new_ts_locked()}

    def m_update(self, p):
        ch = self.check_channel_locked(p)
        ts = p.get("ts")
        msg = self.messages.get(ch, {}).get(ts) if isinstance(ts, str) else None
        if msg is None:
            raise ApiError("message_not_found")
        if not msg["bot"]:
            raise ApiError("cant_update_message")
        text, blocks = check_content(p)
        msg["text"], msg["blocks"] = text, blocks
        out = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": text or "",
               "edited": {"user": BOT_USER_ID, "ts": self.new_ts_locked()}}
        if blocks:
            out["blocks"] = blocks
        return {"channel": ch, "ts": ts, "text": text or "", "message": out}

    def m_conversations_open(self, p):
        users = p.get("users")
        if users in (None, ""):
            ch = p.get("channel")
            if isinstance(ch, str) and CHANNEL_RE.match(ch):
                return {"channel": {"id": ch}, "no_op": True, "already_open": True}
            raise ApiError("users_list_not_supplied")
        if not isinstance(users, str):
            raise ApiError("invalid_arguments")
        ids = [u.strip() for u in users.split(",") if u.strip()]
        if len(ids) != 1:
            raise ApiError("invalid_arguments")     # MPIMs are not faked
        uid = ids[0]
        if not USER_RE.match(uid) or self.users.get(uid, {}).get("not_found"):
            raise ApiError("user_not_found")
        dm = "D" + uid[1:]
        out = {"channel": {"id": dm}}
        if dm in self.dms:
            out["no_op"] = True
            out["already_open"] = True
        self.dms.add(dm)
        return out

    def m_users_info(self, p):
        uid = p.get("user")
        if not isinstance(uid, str) or not USER_RE.match(uid):
            raise ApiError("user_not_found")
        o = self.users.get(uid, {})
        if o.get("not_found"):
            raise ApiError("user_not_found")
        tz = o.get("tz", "Europe/Berlin")
        offset = o.get("tz_offset")
        if offset is None:
            offset = zone_offset(tz)
        label = o.get("tz_label", "Central European Time" if tz == "Europe/Berlin" else tz)
        name = o.get("name", uid.lower())
        return {"user": {
            "id": uid, "team_id": TEAM_ID, "name": name, "real_name": name,
            "tz": tz, "tz_label": label, "tz_offset": offset,
            "is_bot": bool(o.get("is_bot", False)), "deleted": bool(o.get("deleted", False)),
            "profile": {"display_name": o.get("display_name", name), "real_name": name}}}

    def m_views_publish(self, p):
        uid = p.get("user_id")
        if not isinstance(uid, str) or not USER_RE.match(uid):
            raise ApiError("invalid_arguments")
        view = p.get("view")
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError:
                raise ApiError("invalid_arguments")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise ApiError("invalid_arguments")
        if "blocks" in view:
            check_blocks(view["blocks"])
        vid = self.views.setdefault(uid, "V%d" % (len(self.views) + 1))
        out = dict(view)
        out.update({"id": vid, "team_id": TEAM_ID, "app_id": APP_ID, "bot_id": BOT_ID,
                    "hash": secrets.token_hex(8)})
        out.setdefault("blocks", [])
        out.setdefault("private_metadata", "")
        out.setdefault("callback_id", "")
        return {"view": out}


API_METHODS = {
    "auth.test": Fake.m_auth_test,
    "apps.connections.open": Fake.m_connections_open,
    "chat.postMessage": Fake.m_post_message,
    "chat.postEphemeral": Fake.m_post_ephemeral,
    "chat.update": Fake.m_update,
    "conversations.open": Fake.m_conversations_open,
    "users.info": Fake.m_users_info,
    "views.publish": Fake.m_views_publish,
}

# Form fields that carry JSON (recorded parsed).
JSON_FIELDS = ("blocks", "view", "metadata", "attachments")


def zone_offset(tz):
    """The zone's current UTC offset in seconds (Slack's tz_offset)."""
    if zoneinfo is not None:
        try:
            return int(zoneinfo.ZoneInfo(tz).utcoffset(
                datetime.datetime.now()).total_seconds())
        except Exception:
            pass
    return 3600 if tz == "Europe/Berlin" else 0


def check_blocks(blocks):
    """Light Block Kit validation; returns the blocks list."""
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            raise ApiError("invalid_blocks_format")
    if not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format")
    for b in blocks:
        if not isinstance(b, dict) or not isinstance(b.get("type"), str):
            raise ApiError("invalid_blocks")
        elems = list(b.get("elements") or []) if b["type"] == "actions" else []
        if isinstance(b.get("accessory"), dict):
            elems.append(b["accessory"])
        for e in elems:
            if not isinstance(e, dict) or e.get("type") != "button":
                continue
            t = e.get("text")
            if (not isinstance(t, dict) or t.get("type") != "plain_text"
                    or not isinstance(t.get("text"), str) or len(t["text"]) > 75
                    or len(str(e.get("action_id", ""))) > 255
                    or len(str(e.get("value", ""))) > 2000
                    or len(str(e.get("url", ""))) > 3000
                    or e.get("style") not in (None, "primary", "danger")):
                raise ApiError("invalid_blocks")
    return blocks


def check_content(p):
    """text/blocks of a message: (text or None, blocks or None)."""
    blocks = p.get("blocks")
    if blocks in (None, "", []):
        blocks = None
    else:
        blocks = check_blocks(blocks)
        if not blocks:
            blocks = None
    text = p.get("text")
    if text is not None and not isinstance(text, str):
        raise ApiError("invalid_arguments")
    if not text and not blocks and not p.get("attachments"):
        raise ApiError("no_text")
    if text and len(text) > TEXT_LIMIT:
        raise ApiError("msg_too_long")
    return text, blocks


def form_params(raw):
    """Form-encoded args, one value each; JSON fields parsed when they parse."""
    out = {}
    for k, v in urllib.parse.parse_qsl(raw, keep_blank_values=True):
        out[k] = v
    for k in JSON_FIELDS:
        if isinstance(out.get(k), str):
            try:
                out[k] = json.loads(out[k])
            except ValueError:
                pass                       # left as a string: the method reports it
    return out


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


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-slack/1"
    rbufsize = 0            # unbuffered: no bytes hidden in a buffer at the ws upgrade
    timeout = HTTP_IDLE_TIMEOUT

    # -- plumbing ----------------------------------------------------------------

    @property
    def fake(self):
        return self.server.fake

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's
        # algorithm and the client's delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self):
        return self.server_version

    def log_request(self, code="-", size="-"):
        self._status = code

    def log_message(self, fmt, *args):
        line = fmt % args
        log("http: " + re.sub(r"(xox[a-z]|xapp)-[^\s&\"]*", "<token>", line))

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_PUT(self):
        self.reply_json(405, {"error": "method not allowed"})

    do_DELETE = do_PATCH = do_PUT

    def handle_expect_100(self):
        # Refuse a too large body before the client sends it.
        try:
            n = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            n = 0
        if n > MAX_BODY:
            self.reply_json(413, {"error": "body too large"}, close=True)
            self.close_connection = True
            return False
        return super().handle_expect_100()

    def reply(self, status, body, ctype, headers=(), close=False):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, status, obj, headers=(), close=False, slack=False):
        body = slack_json(obj) if slack else plain_json(obj)
        self.reply(status, body, "application/json; charset=utf-8", headers, close)

    def read_body(self):
        """The request body (Content-Length), or None after answering an error."""
        if self.headers.get("Transfer-Encoding"):
            self.reply_json(411, {"error": "length required (no chunked bodies)"}, close=True)
            return None
        try:
            n = int(self.headers.get("Content-Length", "0"))
            if n < 0:
                raise ValueError
        except ValueError:
            self.reply_json(400, {"error": "bad Content-Length"}, close=True)
            return None
        if n > MAX_BODY:
            self.reply_json(413, {"error": "body too large"}, close=True)
            return None
        parts, left = [], n
        while left > 0:
            chunk = self.rfile.read(left)       # raw socket file: may be short
            if not chunk:
                self.close_connection = True
                return None
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    def route(self):
        self._status = None
        self._note = ""
        self._logged = False
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, url.query
        shown = path if path.startswith("/api/") else self.path
        try:
            body = self.read_body()
            if body is None:
                pass
            elif path in ("/link", "/link/") and self.command == "GET" and \
                    self.headers.get("Upgrade", "").lower() == "websocket":
                self.websocket(query)
            elif path.startswith("/api/"):
                self.web_api(path[5:], query, body)
            elif path.startswith("/response/") and self.command == "POST":
                self.response_url(path, body)
            elif path.startswith("/_fake/"):
                self.control(path[7:], query, body)
            else:
                self.reply_json(404, {"error": "not found"})
        finally:
            if not self._logged:
                log("%s %s %s%s" % (self.command, shown, self._status, self._note))

    # -- Web API -----------------------------------------------------------------

    def web_api(self, method, query, body):
        fake = self.fake
        params, parse_error, warning = {}, None, None
        if query:
            params.update(form_params(query))
        ctype = self.headers.get("Content-Type", "")
        main = ctype.split(";")[0].strip().lower()
        if self.command == "POST" and body:
            if main == "application/json":
                if "charset" not in ctype.lower():
                    warning = "missing_charset"
                try:
                    obj = json.loads(body.decode("utf-8"))
                    if not isinstance(obj, dict):
                        raise ValueError
                    params.update(obj)
                except (ValueError, UnicodeDecodeError):
                    parse_error = "invalid_json"
            elif main in ("application/x-www-form-urlencoded", ""):
                try:
                    params.update(form_params(body.decode("utf-8")))
                except UnicodeDecodeError:
                    parse_error = "invalid_form_data"
            else:
                parse_error = "invalid_form_data"
        auth = self.headers.get("Authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        params.pop("token", None)         # never recorded

        status, headers, resp, rule = 200, [], None, None
        with fake.lock:
            try:
                fake.check_auth_locked(method, token)
                rule = fake.take_fail_locked(method)
            except ApiError as e:
                status, headers, resp = e.status, e.headers, {"ok": False, "error": e.error}
        if rule and rule.get("delay"):
            time.sleep(min(float(rule["delay"]), 30.0))
        with fake.lock:
            if resp is None and rule and (rule.get("status") or rule.get("error")):
                status, resp, headers = fail_response(rule)
            if resp is None and parse_error:
                resp = {"ok": False, "error": parse_error}
            if resp is None:
                try:
                    resp = {"ok": True}
                    resp.update(fake.api_locked(method, params))
                except ApiError as e:
                    status, headers, resp = e.status, e.headers, {"ok": False, "error": e.error}
            if warning:
                resp["warning"] = warning
                resp["response_metadata"] = {"warnings": [warning]}
            fake.record_call_locked({"method": method, "params": params, "status": status,
                                     "response": resp})
        self._note = " " + ("ok" if resp.get("ok") else resp.get("error", "?"))
        self.reply_json(status, resp, headers, slack=True)

    def response_url(self, path, body):
        fake = self.fake
        with fake.lock:
            rule = fake.take_fail_locked("response_url")
        if rule and rule.get("delay"):
            time.sleep(min(float(rule["delay"]), 30.0))
        try:
            params = json.loads(body.decode("utf-8"))
            status, text = 200, "ok"
        except (ValueError, UnicodeDecodeError):
            params = body.decode("utf-8", "replace")
            status, text = 400, "invalid_payload"
        if rule and (rule.get("status") or rule.get("error")):
            status, text = rule.get("status") or 404, rule.get("error") or "failed"
        with fake.lock:
            fake.record_call_locked({"method": "response_url", "path": path, "params": params,
                                     "status": status, "response": text})
        self.reply(status, text.encode(), "text/plain; charset=utf-8")

    # -- Socket Mode upgrade -----------------------------------------------------

    def websocket(self, query):
        fake = self.fake
        key = self.headers.get("Sec-WebSocket-Key", "")
        conn_hdr = [t.strip().lower() for t in self.headers.get("Connection", "").split(",")]
        try:
            key_ok = len(base64.b64decode(key, validate=True)) == 16
        except ValueError:
            key_ok = False
        if self.request_version != "HTTP/1.1" or "upgrade" not in conn_hdr or not key_ok:
            self._note = " bad websocket handshake"
            self.reply_json(400, {"error": "bad websocket handshake"}, close=True)
            return
        if self.headers.get("Sec-WebSocket-Version", "") != "13":
            self.reply_json(426, {"error": "version"}, [("Sec-WebSocket-Version", "13")], close=True)
            return
        ticket = urllib.parse.parse_qs(query).get("ticket", [""])[0]
        with fake.lock:
            rule = fake.take_fail_locked("websocket")
            refuse = None
            if rule and rule.get("status"):
                refuse = (rule["status"], rule.get("error") or "injected failure")
            elif ticket not in fake.tickets:
                refuse = (400, "invalid or used ticket")
            elif len(fake.open_conns_locked()) >= MAX_WS_OPEN:
                refuse = (400, "too many connections (Slack allows %d)" % MAX_WS_OPEN)
            if refuse:
                fake.tickets.pop(ticket, None)
                fake.rejected += 1
            else:
                del fake.tickets[ticket]
                fake.conn_total += 1
                cid = fake.conn_total
        if refuse:
            self._note = " " + refuse[1]
            self.reply_json(refuse[0], {"error": refuse[1]}, close=True)
            return
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.close_connection = True
        log("%s %s 101 websocket #%d" % (self.command, self.path, cid))
        self._logged = True
        sock = self.connection
        sock.settimeout(WS_SEND_TIMEOUT)
        with fake.lock:
            conn = WsConn(fake, cid, sock)
            fake.conns[cid] = conn
            conn.send_json({"type": "hello", "num_connections": len(fake.open_conns_locked()),
                            "connection_info": {"app_id": APP_ID},
                            "debug_info": {"host": "fake", "build_number": 1,
                                           "approximate_connection_time": 18060}}, "hello")
            fake.deliver_waiting_locked()
        log("ws#%d open" % cid)
        try:
            conn.run()
        finally:
            # Close the socket now (rfile/wfile hold references to it); the
            # base class still flushes and closes a wfile, so give it a dummy.
            for f in (self.rfile, self.wfile):
                try:
                    f.close()
                except OSError:
                    pass
            self.wfile = io.BytesIO()
            sock.close()

    # -- control endpoints -------------------------------------------------------

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
                            {"error": "method not allowed" if known else "no such control endpoint"})
            return
        try:
            with fake.lock:
                status, out = handler(fake, req, q)
        except (KeyError, TypeError, ValueError) as e:
            status, out = 400, {"error": "bad request: %s" % e}
        self.reply_json(status, out)


def fail_response(rule):
    """(status, body, headers) of an injected failure."""
    status = int(rule.get("status") or 200)
    headers = []
    if status == 429:
        error = rule.get("error") or "ratelimited"
        headers.append(("Retry-After", str(int(rule.get("retry_after", 1)))))
    elif status >= 500:
        error = rule.get("error") or "internal_error"
    else:
        error = rule.get("error") or "fatal_error"
    return status, {"ok": False, "error": error}, headers


def opt_conn_id(req):
    cid = req.get("connection")
    if cid is None:
        return None
    if isinstance(cid, bool) or not isinstance(cid, int):
        raise ValueError("connection must be an integer id")
    return cid


# Control handlers: (fake, request JSON, query dict) -> (status, reply), lock held.

def c_ping(fake, req, q):
    return 200, {"ok": True}


def c_calls(fake, req, q):
    since = int(q.get("since", 0))
    m = q.get("method")
    return 200, {"calls": [c for c in fake.calls
                           if c["seq"] > since and (m is None or c["method"] == m)]}


def c_acks(fake, req, q):
    return 200, {"acks": list(fake.acks)}


def c_envelopes(fake, req, q):
    keys = ("envelope_id", "type", "state", "retry_attempt", "retry_reason", "connection",
            "deliveries")
    return 200, {"envelopes": [{k: e.get(k) for k in keys} for e in fake.envelopes.values()]}


def c_envelope(fake, req, q):
    etype = req.get("type")
    if etype not in ("events_api", "slash_commands", "interactive"):
        raise ValueError("type must be events_api, slash_commands or interactive")
    payload = req.get("payload", {})
    if not isinstance(payload, dict):
        raise ValueError("payload must be an object")
    cid = opt_conn_id(req)
    conn = fake.live_conn_locked(cid)
    if conn is None:
        return 503, {"error": "no live connection" if cid is None
                     else "connection %d is not live" % cid}
    payload = json.loads(json.dumps(payload))      # a private copy
    out = {}
    if etype == "events_api":
        if "event_id" not in payload:
            fake.event_n += 1
            payload["event_id"] = "Ev0FAKE%06d%s" % (fake.event_n, secrets.token_hex(3).upper())
            payload.setdefault("type", "event_callback")
            payload.setdefault("team_id", TEAM_ID)
            payload.setdefault("api_app_id", APP_ID)
            payload.setdefault("event_time", int(time.time()))
            payload.setdefault("authorizations", [{"enterprise_id": None, "team_id": TEAM_ID,
                                                   "user_id": BOT_USER_ID, "is_bot": True,
                                                   "is_enterprise_install": False}])
        out["event_id"] = payload["event_id"]
        ev = payload.get("event")
        if isinstance(ev, dict) and ev.get("type") in ("message", "app_mention"):
            if "ts" not in ev and "subtype" not in ev:
                ev["ts"] = fake.new_ts_locked()
                ev.setdefault("event_ts", ev["ts"])
            ch, ts = ev.get("channel"), ev.get("ts")
            if isinstance(ch, str) and isinstance(ts, str) and "subtype" not in ev:
                fake.remember_message_locked(ch, ts, ev.get("thread_ts"), ev.get("user"),
                                             bool(ev.get("bot_id")), ev.get("text"))
    accepts = etype == "slash_commands" or (
        etype == "interactive" and payload.get("type") in ("view_submission", "block_suggestion"))
    if "accepts_response_payload" in req:
        accepts = bool(req["accepts_response_payload"])
    fragment = req.get("fragment")
    if fragment is not None and (not isinstance(fragment, int) or fragment < 1):
        raise ValueError("fragment must be a positive integer")
    eid = str(uuid.uuid4())
    env = {"envelope_id": eid, "type": etype, "accepts_response_payload": accepts,
           "retry_attempt": 0, "retry_reason": "", "payload": payload, "state": "new",
           "connection": None, "deliveries": [], "fragment": fragment}
    fake.envelopes[eid] = env
    fake.deliver_locked(env, conn)
    out.update({"envelope_id": eid, "connection": conn.id, "payload": payload})
    return 200, out


def c_send(fake, req, q):
    conn = fake.live_conn_locked(opt_conn_id(req))
    if conn is None:
        return 503, {"error": "no live connection"}
    if "json" in req:
        data = plain_json(req["json"])
    elif isinstance(req.get("text"), str):
        data = req["text"].encode()
    else:
        raise ValueError("give text or json")
    op = OP_BINARY if req.get("binary") else OP_TEXT
    conn.send_frames(encode_message(op, data, req.get("fragment")), "raw %dB" % len(data))
    return 200, {"connection": conn.id}


def c_disconnect(fake, req, q):
    reason = req.get("reason")
    if reason not in ("warning", "refresh_requested", "link_disabled"):
        raise ValueError("reason must be warning, refresh_requested or link_disabled")
    cid = opt_conn_id(req)
    targets = [c for c in fake.open_conns_locked() if not c.silenced and
               (cid is None or c.id == cid)]
    grace = float(req.get("grace", 10))
    for c in targets:
        c.send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}},
                    "disconnect " + reason)
        if reason != "link_disabled":
            c.close_deadline = time.time() + grace
    return 200, {"connections": [c.id for c in targets]}


def c_drop(fake, req, q):
    cid = opt_conn_id(req)
    targets = [c for c in fake.open_conns_locked() if cid is None or c.id == cid]
    for c in targets:
        c.begin_close_locked(1006, "", "drop")
        c.dropped = True            # the reader resets the TCP connection within 0.2 s
    return 200, {"dropped": [c.id for c in targets]}


def c_silence(fake, req, q):
    cid = opt_conn_id(req)
    conn = fake.live_conn_locked(cid)
    if conn is None:
        return 404, {"error": "no such live connection"}
    conn.silenced = True
    log("ws#%d silenced" % conn.id)
    return 200, {"silenced": conn.id}


def c_connections(fake, req, q):
    opened = sorted(c.id for c in fake.open_conns_locked())
    return 200, {"open": opened,
                 "live": sorted(c.id for c in fake.open_conns_locked() if not c.silenced),
                 "silenced": sorted(c.id for c in fake.open_conns_locked() if c.silenced),
                 "total": fake.conn_total, "rejected": fake.rejected,
                 "closed": list(fake.closed)}


def c_fail(fake, req, q):
    method = req.get("method")
    if not isinstance(method, str) or not method:
        raise ValueError("method required")
    rule = {"count": int(req.get("count", 1))}
    for k in ("status", "retry_after", "delay"):
        if k in req:
            rule[k] = float(req[k]) if k == "delay" else int(req[k])
    if "error" in req:
        rule["error"] = str(req["error"])
    if not (rule.get("status") or rule.get("error") or rule.get("delay")):
        raise ValueError("give status, error or delay")
    if rule["count"] < 1:
        raise ValueError("count must be >= 1")
    fake.fails.setdefault(method, []).append(rule)
    return 200, {"ok": True, "pending": sum(r["count"] for r in fake.fails[method])}


def c_channels(fake, req, q):
    for key, attr in (("missing", "missing"), ("not_in", "not_in")):
        if key in req:
            if not isinstance(req[key], list):
                raise ValueError(key + " must be a list")
            setattr(fake, attr, set(str(x) for x in req[key]))
    return 200, {"missing": sorted(fake.missing), "not_in": sorted(fake.not_in)}


def c_users(fake, req, q):
    for uid, o in req.items():
        if not isinstance(o, dict):
            raise ValueError("each user needs an object")
        fake.users.setdefault(uid, {}).update(o)
    return 200, {"users": fake.users}


def c_messages_post(fake, req, q):
    ch, ts = req.get("channel"), req.get("ts")
    if not isinstance(ch, str) or not isinstance(ts, str):
        raise ValueError("channel and ts (strings) required")
    fake.remember_message_locked(ch, ts, req.get("thread_ts"), req.get("user"), False,
                                 req.get("text"))
    return 200, {"ok": True}


def c_messages_get(fake, req, q):
    return 200, {"messages": [m for msgs in fake.messages.values() for m in msgs.values()]}


def c_reset_calls(fake, req, q):
    fake.calls.clear()
    fake.acks.clear()
    return 200, {"ok": True}


CONTROL = {
    ("GET", "ping"): c_ping,
    ("GET", "calls"): c_calls,
    ("GET", "acks"): c_acks,
    ("GET", "envelopes"): c_envelopes,
    ("POST", "envelope"): c_envelope,
    ("POST", "send"): c_send,
    ("POST", "disconnect"): c_disconnect,
    ("POST", "drop"): c_drop,
    ("POST", "silence"): c_silence,
    ("GET", "connections"): c_connections,
    ("POST", "fail"): c_fail,
    ("POST", "channels"): c_channels,
    ("POST", "users"): c_users,
    ("POST", "messages"): c_messages_post,
    ("GET", "messages"): c_messages_get,
    ("POST", "reset_calls"): c_reset_calls,
}


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
    log("listening on 127.0.0.1:%d (max runtime %gs)" % (fake.port, opts.max_runtime))

    stop = threading.Event()

    def on_signal(signum, frame):
        log("signal %d" % signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                     daemon=True, name="http").start()

    def ticker():
        while not stop.is_set():
            try:
                fake.tick()
            except Exception as e:          # never let the timer die
                log("tick failed: %r" % e)
            stop.wait(0.1)

    threading.Thread(target=ticker, daemon=True, name="ticker").start()

    deadline = time.time() + opts.max_runtime
    while not stop.is_set():
        left = deadline - time.time()
        if left <= 0:
            log("max runtime reached")
            break
        stop.wait(min(left, 0.5))
    stop.set()

    # Close websockets politely (1001), give them a moment, then stop.
    with fake.lock:
        fake.stopping = True
        for c in fake.open_conns_locked():
            c.begin_close_locked(1001, "server shutdown", "server")
    end = time.time() + 1.0
    while time.time() < end:
        with fake.lock:
            if not fake.conns:
                break
        time.sleep(0.05)
    server.shutdown()
    server.server_close()
    log("exiting")
    flush_log()
    return 0


# ---------------------------------------------------------------------------
# post (the Events API client)
# ---------------------------------------------------------------------------

def register_event(base, body):
    """Tells the fake at base about the message in an event_callback body."""
    try:
        obj = json.loads(body)
        ev = obj.get("event") if obj.get("type") == "event_callback" else None
    except (ValueError, AttributeError):
        return
    if not isinstance(ev, dict) or not isinstance(ev.get("channel"), str) \
            or not isinstance(ev.get("ts"), str):
        return
    u = urllib.parse.urlsplit(base)
    reg = {"channel": ev["channel"], "ts": ev["ts"], "user": ev.get("user")}
    if ev.get("thread_ts"):
        reg["thread_ts"] = ev["thread_ts"]
    c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=10)
    try:
        c.request("POST", "/_fake/messages", plain_json(reg),
                  {"Content-Type": "application/json"})
        c.getresponse().read()
    finally:
        c.close()


def cmd_post(opts):
    if opts.json is not None:
        body, ctype = opts.json.encode(), "application/json"
    elif opts.form is not None:
        body, ctype = opts.form.encode(), "application/x-www-form-urlencoded"
    else:
        with open(opts.body_file, "rb") as f:
            body = f.read()
        ctype = opts.content_type or ("application/json" if body.lstrip()[:1] in (b"{", b"[")
                                      else "application/x-www-form-urlencoded")
    if opts.content_type:
        ctype = opts.content_type
    ts = opts.timestamp if opts.timestamp is not None else int(time.time()) + opts.ts_offset
    headers = {"Content-Type": ctype, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
    if not opts.no_timestamp:
        headers["X-Slack-Request-Timestamp"] = str(ts)
    if not opts.no_signature:
        sig = slack_signature(opts.secret, ts, body)
        if opts.bad_signature:
            sig = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        headers["X-Slack-Signature"] = sig
    if opts.retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(opts.retry_num)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    u = urllib.parse.urlsplit(opts.url)
    if u.scheme != "http" or not u.hostname:
        sys.stderr.write("post: only http:// URLs\n")
        return 2
    path = (u.path or "/") + ("?" + u.query if u.query else "")
    try:
        if opts.register:
            register_event(opts.register, body)
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=10)
        try:
            conn.request("POST", path, body, headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
    except (OSError, http.client.HTTPException) as e:
        sys.stderr.write("post: %s\n" % e)
        return 2
    out = "%d\n" % resp.status
    if opts.show_headers:
        out += "".join("%s: %s\n" % (k, v) for k, v in resp.getheaders()) + "\n"
    sys.stdout.write(out)
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="A fake Slack for drilld's tests.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port-file", required=True)
    s.add_argument("--bot-token", default="xoxb-test")
    s.add_argument("--app-token", default="xapp-test")
    s.add_argument("--ack-timeout", type=float, default=3.0)
    s.add_argument("--max-runtime", type=float, default=600.0)
    s.add_argument("--ping-interval", type=float, default=10.0)
    p = sub.add_parser("post")
    p.add_argument("--url", required=True)
    p.add_argument("--secret", required=True)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--json")
    g.add_argument("--form")
    g.add_argument("--body-file")
    p.add_argument("--content-type")
    p.add_argument("--ts-offset", type=int, default=0)
    p.add_argument("--timestamp", type=int)
    p.add_argument("--bad-signature", action="store_true")
    p.add_argument("--no-signature", action="store_true")
    p.add_argument("--no-timestamp", action="store_true")
    p.add_argument("--retry-num", type=int)
    p.add_argument("--show-headers", action="store_true")
    p.add_argument("--register")
    opts = ap.parse_args(argv)
    if opts.cmd == "serve":
        if opts.ack_timeout <= 0 or opts.max_runtime <= 0 or opts.ping_interval <= 0:
            ap.error("--ack-timeout, --max-runtime and --ping-interval must be > 0")
        return cmd_serve(opts)
    return cmd_post(opts)


if __name__ == "__main__":
    sys.exit(main())
