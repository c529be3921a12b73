"""e2e.py - what the end-to-end tests against the fake chat servers share.

Imported by slack_e2e.py and matrix_e2e.py (run from tests/integration/):
a failure type, a bounded HTTP client, and Env, a temporary directory
with a fake server and the real drilld (DRILLD, DRILLCTL from the
environment) in it. Everything talks to 127.0.0.1 only; every wait is
bounded.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DRILLD = os.environ.get("DRILLD", "build/drilld")
DRILLCTL = os.environ.get("DRILLCTL", "build/drillctl")

# an answer that covers most of the mini bank's slow-query rubric
ANSWER = ("I would start with EXPLAIN ANALYZE to read the query plan, look for a "
          "sequential scan and add an index on the filter columns, check for n+1 "
          "queries, then measure p95 latency again to verify the fix.")


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, body=None, headers=None, timeout=10):
    """(status, text); status 0 when the connection failed. A body that is
    not bytes is sent as JSON."""
    headers = dict(headers or {})
    data = None
    if body is not None:
        if isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e)


class Env:
    """A temporary directory with a fake server and drilld in it."""

    def __init__(self, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.fake = None
        self.drilld = None
        self.url = None
        self.err = os.path.join(self.dir, "drilld.err")
        self.http_port = free_port()

    def start_fake_process(self, args):
        """Starts the fake (a script and its arguments); its URL in self.url."""
        portfile = os.path.join(self.dir, "fake.port")
        self.fake_log = open(os.path.join(self.dir, "fake.err"), "w")
        self.fake = subprocess.Popen(
            [sys.executable] + list(args) + ["--port-file", portfile],
            stdin=subprocess.DEVNULL, stdout=self.fake_log, stderr=self.fake_log)
        deadline = time.time() + 10
        while not os.path.exists(portfile):
            check(time.time() < deadline, "the fake did not start")
            check(self.fake.poll() is None, "the fake exited")
            time.sleep(0.05)
        self.url = "http://127.0.0.1:%s" % open(portfile).read().strip()

    def write_config(self, *parts):
        self.conf = os.path.join(self.dir, "drilld.conf")
        with open(self.conf, "w") as f:
            f.write('state_dir = "state";\n')
            f.write('banks = [ "%s/tests/data/mini.json" ];\n' % TOP)
            for p in parts:
                f.write(p)

    def start_drilld(self):
        self.errf = open(self.err, "a")
        self.drilld = subprocess.Popen([DRILLD, "-c", self.conf, "--log-level", "debug"],
                                       stdin=subprocess.DEVNULL, stdout=self.errf,
                                       stderr=self.errf)
        self.wait_log("drilld starting", 10)

    def stop_drilld(self):
        if self.drilld is None:
            return
        self.drilld.send_signal(signal.SIGTERM)
        try:
            rc = self.drilld.wait(15)
        except subprocess.TimeoutExpired:
            self.drilld.kill()
            raise Fail("drilld did not stop on SIGTERM")
        self.drilld = None
        check(rc == 0, "drilld exited %d" % rc)

    def log(self):
        try:
            return open(self.err).read()
        except OSError:
            return ""

    def wait_log(self, needle, timeout):
        deadline = time.time() + timeout
        while needle not in self.log():
            check(self.drilld is None or self.drilld.poll() is None,
                  "drilld exited while waiting for %r" % needle)
            check(time.time() < deadline, "no %r in drilld's log" % needle)
            time.sleep(0.05)

    def wait_ready(self, timeout=15):
        url = "http://127.0.0.1:%d/readyz" % self.http_port
        deadline = time.time() + timeout
        while http("GET", url)[0] != 200:
            check(self.drilld.poll() is None, "drilld exited")
            check(time.time() < deadline, "drilld is not ready: %s" % http("GET", url)[1])
            time.sleep(0.1)

    def ctl(self, *args):
        p = subprocess.run([DRILLCTL, "-c", self.conf] + list(args), capture_output=True,
                           text=True, timeout=20, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout + p.stderr

    def idle(self, timeout=20):
        """Waits until drilld's outbox has nothing queued or in flight."""
        deadline = time.time() + timeout
        while True:
            rc, out = self.ctl("status")
            if rc == 0 and "outbox.queued: 0" in out:
                return
            check(time.time() < deadline, "the outbox did not empty: %s" % out)
            time.sleep(0.2)

    def close(self, ok):
        if self.drilld is not None:
            self.drilld.kill()
            self.drilld.wait()
        if self.fake is not None:
            self.fake.terminate()
            try:
                self.fake.wait(5)
            except subprocess.TimeoutExpired:
                self.fake.kill()
        if ok:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("--- drilld log (last 80 lines):")
            print("\n".join(self.log().splitlines()[-80:]))
            print("--- kept in", self.dir)


def run_parts(parts, all_parts, alarm):
    """Runs the named parts (all when none are named); 0 when all pass."""
    signal.alarm(alarm)
    for part in parts or list(all_parts):
        t = time.time()
        try:
            all_parts[part]()
        except Fail as e:
            print("FAIL %s: %s" % (part, e))
            return 1
        print("ok   %s (%.1f s)" % (part, time.time() - t))
    return 0
