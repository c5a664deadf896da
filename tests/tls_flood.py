#!/usr/bin/env python3
"""A bounded flood of unauthenticated connections against tracerd on
loopback, with authenticated callers timed while it runs
(tests/tracer/tracerd_flood.sh).

  tls_flood.py probe PORT DEADLINE
      One handshake refused for each reason the daemon logs: no client
      certificate, an unknown CA's, an expired one, bytes that are not
      TLS, a connection that never starts TLS (closed after DEADLINE).
      Prints one line "NAME ok|FAIL detail" per probe.

  tls_flood.py full PORT N
      N authenticated keep-alive connections, each after one call, then
      one more caller: it must be served, and the connection idle the
      longest closed to make room.  Prints "ok detail" or "FAIL detail".

  tls_flood.py flood PORT SECONDS IDLE HALF NOCERT_RATE CALLERS
      Keeps IDLE TCP connections that never send a byte and HALF that sent
      half a ClientHello open for SECONDS, opening a new one (at most 100
      a second, 5000 in all) whenever the daemon closes one; makes
      NOCERT_RATE TLS connections a second without a client certificate;
      and has CALLERS threads make GET /healthz requests with the client
      certificate, a new connection each.  Then waits for the daemon to
      close what is left (at most 6 seconds) and prints a JSON summary.

The certificates are read from the current folder: ca.pem, nl.pem and
nl.key (a caller), stranger.pem/.key (another CA's), expired.pem/.key.
Everything stops by itself; nothing leaves 127.0.0.1.
"""
import json
import selectors
import socket
import ssl
import sys
import threading
import time

HOST = "127.0.0.1"
OPEN_RATE = 100
OPEN_MAX = 5000


def tls_ctx(cert=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations("ca.pem")
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if cert:
        ctx.load_cert_chain(cert + ".pem", cert + ".key")
    return ctx


def client_hello():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def closed_by_server(s, limit):
    """Seconds until the daemon closes s (EOF, reset or a TLS alert), or
    None when it is still open after limit seconds."""
    t0 = time.monotonic()
    while True:
        left = limit - (time.monotonic() - t0)
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            if s.recv(4096) in (b"", None):
                return time.monotonic() - t0
        except socket.timeout:
            return None
        except (ssl.SSLError, OSError):
            return time.monotonic() - t0


def tls_refused(cert, limit=5):
    """A TLS connection with cert (None: none) refused by the daemon."""
    try:
        s = tls_ctx(cert).wrap_socket(socket.create_connection((HOST, PORT), 5),
                                      server_hostname="localhost")
    except (ssl.SSLError, OSError) as e:
        return True, "refused in the handshake: %s" % e
    try:
        # TLS 1.3: the client's side ends before the daemon checks the
        # certificate; the refusal comes as an alert on the next read.
        s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        t = closed_by_server(s, limit)
        return t is not None, "closed after %s s" % t
    except (ssl.SSLError, OSError) as e:
        return True, "refused: %s" % e
    finally:
        s.close()


def raw_refused(data, limit):
    s = socket.create_connection((HOST, PORT), 5)
    try:
        if data:
            s.sendall(data)
        t = closed_by_server(s, limit)
        return t is not None, "closed after %s s" % t
    finally:
        s.close()


def probe(deadline):
    probes = [
        ("no-certificate", lambda: tls_refused(None)),
        ("unknown-ca", lambda: tls_refused("stranger")),
        ("expired", lambda: tls_refused("expired")),
        ("protocol-error", lambda: raw_refused(b"\x16\x03\x01\x00\x04\x02\x00\x00\x00", 5)),
        ("timeout", lambda: raw_refused(b"", deadline + 2)),
    ]
    for name, fn in probes:
        try:
            good, detail = fn()
        except OSError as e:
            good, detail = False, str(e)
        print("%s %s %s" % (name, "ok" if good else "FAIL", detail), flush=True)
        time.sleep(0.3)


class Flood:
    """Idle and half-open connections, kept open and replaced as the
    daemon closes them; one thread, one selector."""

    def __init__(self, idle, half, hello):
        self.want = {"idle": idle, "half": half}
        self.hello = hello
        self.sel = selectors.DefaultSelector()
        self.open = {"idle": 0, "half": 0}
        self.opened = 0
        self.connect_failures = 0
        self.lifetimes = []		# seconds from open to the daemon's close
        self.stop_opening = threading.Event()

    def open_one(self, kind):
        try:
            s = socket.create_connection((HOST, PORT), 2)
            if kind == "half":
                s.sendall(self.hello[:len(self.hello) // 2])
            s.setblocking(False)
        except OSError:
            self.connect_failures += 1
            return
        self.opened += 1
        self.open[kind] += 1
        self.sel.register(s, selectors.EVENT_READ, (kind, time.monotonic()))

    def run(self, seconds, drain):
        t_end = time.monotonic() + seconds
        tokens, last = float(OPEN_RATE), time.monotonic()
        while True:
            now = time.monotonic()
            if now >= t_end:
                self.stop_opening.set()
            if self.stop_opening.is_set():
                if not self.sel.get_map() or now >= t_end + drain:
                    break
            else:
                tokens = min(OPEN_RATE, tokens + (now - last) * OPEN_RATE)
                last = now
                for kind in ("idle", "half"):
                    while (self.open[kind] < self.want[kind] and tokens >= 1 and
                           self.opened < OPEN_MAX):
                        self.open_one(kind)
                        tokens -= 1
            for key, _ in self.sel.select(0.05):
                s = key.fileobj
                kind, t0 = key.data
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    continue	# an alert before the close: wait for EOF
                self.lifetimes.append(time.monotonic() - t0)
                self.open[kind] -= 1
                self.sel.unregister(s)
                s.close()
        left = len(self.sel.get_map())
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        return left


def nocert_loop(rate, stop, out):
    ctx = tls_ctx(None)
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            s = ctx.wrap_socket(socket.create_connection((HOST, PORT), 2),
                                server_hostname="localhost")
            s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            t = closed_by_server(s, 3)
            s.close()
            out["nocert"] += 1
            if t is None:
                out["nocert_open"] += 1
        except (ssl.SSLError, OSError):
            out["nocert"] += 1
        time.sleep(max(0.0, 1.0 / rate - (time.monotonic() - t0)))


def caller_loop(stop, out, lock):
    ctx = tls_ctx("nl")
    while not stop.is_set():
        t0 = time.monotonic()
        ok, err = False, ""
        try:
            s = ctx.wrap_socket(socket.create_connection((HOST, PORT), 5),
                                server_hostname="localhost")
            s.settimeout(5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            resp = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                resp += b
            s.close()
            ok = resp.startswith(b"HTTP/1.1 200 ")
            err = "" if ok else repr(resp[:60])
        except (ssl.SSLError, OSError) as e:
            err = "%s: %s" % (type(e).__name__, e)
        dt = time.monotonic() - t0
        with lock:
            out["total"] += 1
            if ok:
                out["served"] += 1
                out["latencies"].append(dt)
            elif len(out["errors"]) < 5:
                out["errors"].append(err)
        time.sleep(0.02)


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))], 3)


def flood(seconds, idle, half, nocert_rate, callers):
    fl = Flood(idle, half, client_hello())
    stop = threading.Event()
    lock = threading.Lock()
    nc = {"nocert": 0, "nocert_open": 0}
    auth = {"total": 0, "served": 0, "latencies": [], "errors": []}
    threads = [threading.Thread(target=nocert_loop, args=(nocert_rate, stop, nc))]
    threads += [threading.Thread(target=caller_loop, args=(stop, auth, lock))
                for _ in range(callers)]

    def callers_start():
        # The callers start once the flood is in place, and stop before it.
        time.sleep(1.5)
        for t in threads:
            t.start()
        time.sleep(max(0.0, seconds - 2.5))
        stop.set()
    ctl = threading.Thread(target=callers_start)
    ctl.start()
    left = fl.run(seconds, drain=6)
    ctl.join()
    for t in threads:
        t.join()
    lat = auth["latencies"]
    print(json.dumps({
        "flood_opened": fl.opened, "flood_connect_failures": fl.connect_failures,
        "flood_closed": len(fl.lifetimes), "flood_still_open": left,
        "flood_lifetime_p50": pct(fl.lifetimes, 50),
        "flood_lifetime_max": round(max(fl.lifetimes), 3) if fl.lifetimes else None,
        "nocert": nc["nocert"], "nocert_left_open": nc["nocert_open"],
        "auth_total": auth["total"], "auth_served": auth["served"],
        "auth_p50": pct(lat, 50), "auth_p99": pct(lat, 99),
        "auth_max": round(max(lat), 3) if lat else None,
        "auth_errors": auth["errors"]}))


def http_get(s):
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    resp = b""
    while b"\r\n\r\nok\n" not in resp:
        b = s.recv(4096)
        if not b:
            break
        resp += b
    return resp.startswith(b"HTTP/1.1 200 ")


def full(n):
    ctx = tls_ctx("nl")
    conns = []
    for i in range(n):
        s = ctx.wrap_socket(socket.create_connection((HOST, PORT), 5),
                            server_hostname="localhost")
        s.settimeout(5)
        if not http_get(s):
            print("FAIL keep-alive connection %d not served" % i)
            return
        conns.append(s)
        time.sleep(0.01)
    try:
        s = ctx.wrap_socket(socket.create_connection((HOST, PORT), 5),
                            server_hostname="localhost")
        s.settimeout(5)
        served = http_get(s)
    except (ssl.SSLError, OSError) as e:
        served = False
    time.sleep(0.5)
    closed = []
    for i, c in enumerate(conns):
        c.setblocking(False)
        try:
            if c.recv(100) == b"":
                closed.append(i)
        except (ssl.SSLWantReadError, BlockingIOError):
            pass
        except (ssl.SSLError, OSError):
            closed.append(i)
    for c in conns:
        c.close()
    good = served and closed == [0]
    print("%s new caller %s with %d connections open; closed: %s" % (
        "ok" if good else "FAIL", "served" if served else "NOT served", n, closed))


if __name__ == "__main__":
    PORT = int(sys.argv[2])
    if sys.argv[1] == "probe":
        probe(float(sys.argv[3]))
    elif sys.argv[1] == "full":
        full(int(sys.argv[3]))
    else:
        flood(float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
              float(sys.argv[6]), int(sys.argv[7]))
