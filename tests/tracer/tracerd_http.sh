#!/bin/sh
# tracerd's HTTP/1.1 framing (RFC 9112), over TLS on loopback with raw
# bytes: messages whose framing is ambiguous (two Content-Length headers, a
# signed length, Transfer-Encoding with Content-Length, an unknown transfer
# coding), NUL bytes or obsolete line folding in a header, a NUL in the
# query, are refused with one 400 problem document and the connection
# closed, so that nothing after them runs as a second request; a request
# that stops arriving gets 408, an oversized body 413 even while the client
# is still sending, an unknown method 501; every refusal is
# application/problem+json.  Sound messages, pipelined and chunked, are
# still served.
set -u
SRC="${REG_TEST_SRCDIR:-.}"
TRACERD="${REG_TEST_BUILDDIR:-.}/tracerd"
REGCTL="${REG_TEST_BUILDDIR:-.}/regctl"
T=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT

psql -q -c "CREATE DATABASE http" postgres >/dev/null
export REGISTRY_DB=dbname=http
"$REGCTL" migrate >/dev/null || { echo "FAIL migrate"; exit 1; }
cd "$T" || exit 1
. "$SRC/tests/testlib.sh"
pki_init || { echo "FAIL pki"; exit 1; }
gen server "/C=BE/O=Registry/CN=localhost" server &&
gen nl "/C=NL/OU=peer/CN=tracing.nl.example" client || { echo "FAIL pki"; exit 1; }
openssl genpkey -algorithm ed25519 -out be-sign.key 2>/dev/null
chmod 600 server.key be-sign.key
port=$(free_port)
tracerd_ini --state BE --listen 127.0.0.1:$port --db dbname=http --cert server \
    --sign be-sign.key --kid BE/1 > tracerd.ini
cat >> tracerd.ini <<INI
[limits]
header_timeout = 2
idle_timeout = 30
body_max = 65536
[workers]
pool = 2
traces = 1
INI
"$TRACERD" --config tracerd.ini 2>> daemon.log &
pid=$!
wait_healthz "https://127.0.0.1:$port" nl

/usr/bin/python3 - "$port" <<'PY'
import json, socket, ssl, sys, time

port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile="ca.pem")
ctx.load_cert_chain("nl.pem", "nl.key")
fails = 0

def conn():
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                        server_hostname="localhost")
    s.settimeout(10)
    return s

def read_all(s, limit=8):
    """Everything the daemon sends until it closes (or limit seconds):
    (bytes, closed, seconds)."""
    t0, data = time.time(), b""
    while True:
        left = limit - (time.time() - t0)
        if left <= 0:
            return data, False, time.time() - t0
        s.settimeout(left)
        try:
            b = s.recv(65536)
        except socket.timeout:
            return data, False, time.time() - t0
        except (ssl.SSLError, OSError) as e:
            return data + ("<%s>" % e).encode(), True, time.time() - t0
        if b == b"":
            return data, True, time.time() - t0
        data += b

def responses(data):
    """The responses in data: a list of (status, headers, body)."""
    out = []
    while data.startswith(b"HTTP/1."):
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        hdr = {}
        for l in lines[1:]:
            k, _, v = l.partition(b":")
            hdr[k.strip().lower().decode()] = v.strip().decode()
        n = int(hdr.get("content-length", "0"))
        out.append((status, hdr, rest[:n]))
        data = rest[n:]
    return out

def report(name, good, why):
    global fails
    if good:
        print("ok " + name)
    else:
        print("FAIL %s: %s" % (name, why))
        fails += 1

def is_problem(r, status, name):
    st, hdr, body = r
    if st != status:
        return "status %d, wanted %d" % (st, status)
    if hdr.get("content-type") != "application/problem+json":
        return "Content-Type %r: %r" % (hdr.get("content-type"), body[:200])
    try:
        p = json.loads(body)
    except ValueError:
        return "not JSON: %r" % body[:200]
    if p.get("type") != "urn:registry:problem:" + name or p.get("status") != status:
        return "problem %r" % p
    return None

def refused(name, raw, status, problem, pause=None, limit=8):
    """raw is sent (in pieces, after pause seconds between, when a list);
    the answer must be exactly one problem and the connection closed."""
    s = conn()
    for i, piece in enumerate(raw if isinstance(raw, list) else [raw]):
        if i and pause:
            time.sleep(pause)
        s.sendall(piece)
    data, closed, secs = read_all(s, limit)
    s.close()
    rs = responses(data)
    if len(rs) != 1:
        return report(name, False, "%d responses (the smuggled one answered?): %r"
                      % (len(rs), data[:600]))
    why = is_problem(rs[0], status, problem)
    if why is None and not closed:
        why = "connection left open after the refusal"
    report(name, why is None, why)
    return secs

H = b"Host: localhost\r\n"
SMUGGLED = b"GET /healthz HTTP/1.1\r\n" + H + b"\r\n"
# Two different lengths: the first (0) would end the POST at once and the
# bytes after it run as a request of their own.
refused("two Content-Length headers: one 400, the smuggled GET never answered",
        b"POST /v1/traces HTTP/1.1\r\n" + H + b"Content-Type: application/jose\r\n"
        b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED,
        400, "bad-request")
refused("two equal Content-Length headers: 400",
        b"POST /v1/traces HTTP/1.1\r\n" + H + b"Content-Length: 2\r\n"
        b"Content-Length: 2\r\n\r\nab" + SMUGGLED, 400, "bad-request")
refused("Content-Length: +5: 400",
        b"POST /v1/traces HTTP/1.1\r\n" + H + b"Content-Length: +5\r\n\r\nabcde"
        + SMUGGLED, 400, "bad-request")
refused("Content-Length: 5x: 400",
        b"POST /v1/traces HTTP/1.1\r\n" + H + b"Content-Length: 5x\r\n\r\nabcde",
        400, "bad-request")
refused("Transfer-Encoding with Content-Length: 400",
        b"POST /v1/traces HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n"
        b"Content-Length: 3\r\n\r\n0\r\n\r\n" + SMUGGLED, 400, "bad-request")
refused("Transfer-Encoding: gzip, chunked: 501",
        b"POST /v1/traces HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n"
        b"\r\n0\r\n\r\n" + SMUGGLED, 501, "not-implemented")
refused("HEAD with a body: 400",
        b"HEAD /healthz HTTP/1.1\r\n" + H + b"Content-Length: %d\r\n\r\n"
        % len(SMUGGLED) + SMUGGLED, 400, "bad-request")
refused("NUL in a header value: 400",
        b"GET /healthz HTTP/1.1\r\n" + H + b"X-Note: a\x00b\r\n\r\n" + SMUGGLED,
        400, "bad-request")
refused("obsolete line folding: 400",
        b"GET /healthz HTTP/1.1\r\n" + H + b"X-Note: a\r\n b\r\n\r\n" + SMUGGLED,
        400, "bad-request")
refused("space before the colon: 400",
        b"GET /healthz HTTP/1.1\r\n" + H + b"Content-Length : 5\r\n\r\nabcde",
        400, "bad-request")
refused("bare LF ending a header line: 400",
        b"GET /healthz HTTP/1.1\r\n" + H + b"X-Note: a\nContent-Length: 5\r\n\r\nabcde",
        400, "bad-request")
refused("?index=1%00junk on a log proof: 400",
        b"GET /v1/log/proof/inclusion?index=1%00junk&size=2 HTTP/1.1\r\n" + H + b"\r\n"
        + SMUGGLED, 400, "bad-request")
refused("unknown method: 501",
        b"BREW /healthz HTTP/1.1\r\n" + H + b"\r\n" + SMUGGLED, 501, "not-implemented")
refused("header section over 16 KiB: 400",
        b"GET /healthz HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * 17000 + b"\r\n\r\n",
        400, "bad-request")
secs = refused("a request that stops arriving: 408 within header_timeout",
               b"GET /healthz HTTP/1.1\r\n" + H, 408, "timeout")
report("408 sent within the deadline (header_timeout 2 s)", secs is not None
       and secs < 4, "after %s s" % secs)
secs = refused("a body that stops arriving: 408",
               b"POST /v1/traces HTTP/1.1\r\n" + H + b"Content-Length: 10\r\n\r\nabc",
               408, "timeout")
# Over body_max (65536), and the client keeps sending its whole body before
# it reads: the answer must not be lost to a reset.
big = b"x" * 300000
lost = []
for i in range(20):
    s = conn()
    try:
        s.sendall(b"POST /v1/traces HTTP/1.1\r\n" + H + b"Content-Type: application/jose\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(big) + big)
    except (ssl.SSLError, OSError) as e:
        pass
    data, closed, secs = read_all(s, 8)
    s.close()
    rs = responses(data)
    why = is_problem(rs[0], 413, "payload-too-large") if len(rs) == 1 else \
        "%d responses: %r" % (len(rs), data[:300])
    if why is None and not closed:
        why = "connection left open"
    if why:
        lost.append("try %d: %s" % (i + 1, why))
report("body over body_max: 413 problem, 20 times while the client sends",
       not lost, "; ".join(lost[:3]))
refused("chunked body over body_max: 413",
        [b"POST /v1/traces HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"]
        + [b"8000\r\n" + b"y" * 0x8000 + b"\r\n"] * 3 + [b"0\r\n\r\n"],
        413, "payload-too-large")

# Sound messages: pipelined, chunked, with a body, are all answered.
s = conn()
s.sendall(b"GET /healthz HTTP/1.1\r\n" + H + b"\r\n"
          b"GET /healthz HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
          b"5\r\nhello\r\n0\r\n\r\n"
          b"GET /healthz HTTP/1.1\r\n" + H + b"Content-Length: 3\r\n\r\nabc"
          b"GET /healthz HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
data, closed, secs = read_all(s, 5)
rs = responses(data)
report("pipelined, chunked and sized requests still served",
       [r[0] for r in rs] == [200, 200, 200, 200] and closed, repr(data[:400]))
sys.exit(1 if fails else 0)
PY
st=$?
kill -TERM "$pid"; wait "$pid" 2>/dev/null
pid=""
[ $st -eq 0 ] || { echo "--- daemon log"; tail -30 daemon.log; }
exit $st
