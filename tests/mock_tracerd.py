#!/usr/bin/python3
"""A stand-in for a State's tracing daemon, for tests/tracer/tracectl_net.sh.

Serves the wire contract of POST /v1/traces and GET /v1/traces/{id} over
TLS 1.3 with client certificates required, signing its answers (JWS,
EdDSA) with the key given, so that tracectl's client side can be tested
before and apart from tracerd's endpoints.  What it does wrong on purpose
is chosen by the request: its case_reference for POST ("mock:big",
"mock:bad-signature", "mock:wrong-hash", "mock:other-kid", "mock:conflict",
"mock:hang": acknowledged, then every GET held without an answer;
"mock:bad-checkpoint": answered with a checkpoint that does not verify)
and its id for GET (ids ending in 1: a body over the client's limit, 2: 503
with Retry-After, 3: an HTML page).

Runs under Debian's /usr/bin/python3, for python3-jwcrypto.

Usage: mock_tracerd.py CERT KEY CA SIGN-KEY KID RESPONSE-JSON PORT-FILE
"""
import base64
import datetime
import hashlib
import http.server
import json
import os
import ssl
import sys
import threading
import time

from jwcrypto import jwk, jws

cert, key, ca, sign_key, kid, response_file, port_file = sys.argv[1:8]
signer = jwk.JWK.from_pem(open(sign_key, "rb").read())
state = kid[:2]
traces = {}
lock = threading.Lock()


def canonical(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def sign(doc, cty, as_kid=None):
    s = jws.JWS(canonical(doc))
    s.add_signature(signer, alg="EdDSA",
                    protected={"alg": "EdDSA", "kid": as_kid or kid, "cty": cty})
    return s.serialize(compact=True)


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def ack(req, sent, status, wrong_hash=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    digest = hashlib.sha256(sent.encode() + (b"x" if wrong_hash else b"")).digest()
    return {"schema": "trace-ack/1", "request_id": req["id"],
            "requesting_state": req["requesting_state"],
            "requested_state": req["requested_state"],
            "priority": req["priority"], "received_at": stamp(now),
            "due_by": stamp(now + datetime.timedelta(days=2)),
            "request_sha256": base64.b64encode(digest).decode(),
            "log_index": 7, "status": status}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, ctype, body, headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def problem(self, code, name, title, signed=False, headers=()):
        doc = {"schema": "problem/1", "type": "urn:registry:problem:" + name,
               "title": title, "status": code, "detail": "mock " + name,
               "instance": self.path}
        if signed:
            self.send(code, "application/jose", sign(doc, "problem/1"), headers)
        else:
            self.send(code, "application/problem+json", canonical(doc), headers)

    def do_POST(self):
        sent = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        if self.path != "/v1/traces":
            return self.problem(404, "not-found", "Not found")
        if self.headers.get("Content-Type") != "application/jose":
            return self.problem(415, "unsupported-media-type", "Unsupported media type")
        payload = sent.split(".")[1]
        req = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        case = req["case_reference"]
        if case == "mock:big":
            self.send_response(202)
            self.send_header("Content-Type", "application/jose")
            self.send_header("Content-Length", str(9 * 1024 * 1024))
            self.end_headers()
            try:
                self.wfile.write(b"A" * (9 * 1024 * 1024))
            except OSError:
                pass
            self.close_connection = True
            return
        if case == "mock:conflict":
            return self.problem(409, "conflict", "Conflict")
        msg = sign(ack(req, sent, "acknowledged", case == "mock:wrong-hash"),
                   "trace-ack/1", "BE/2026-1" if case == "mock:other-kid" else None)
        if case == "mock:bad-signature":
            h, p, s = msg.split(".")
            msg = ".".join([h, p, ("B" if s[10] != "B" else "C").join([s[:10], s[11:]])])
        with lock:
            traces.setdefault(req["id"], {"req": req, "sent": sent, "gets": 0})
        self.send(202, "application/jose", msg,
                  [("Location", "/v1/traces/" + req["id"])])

    def do_GET(self):
        # ?wait=S (the daemon's long poll) is taken and answered at once.
        path, _, query = self.path.partition("?")
        if query and not (query.startswith("wait=") and query[5:].isdigit()):
            return self.problem(400, "bad-request", "Bad request", signed=True)
        parts = path.split("/")
        if len(parts) < 4 or parts[1:3] != ["v1", "traces"]:
            return self.problem(404, "not-found", "Not found", signed=True)
        tid = parts[3]
        if tid.endswith("1") and tid not in traces:
            # A body over the limit, with no length: the client must stop it.
            self.send_response(200)
            self.send_header("Content-Type", "application/jose")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(9 * 16):
                    self.wfile.write(b"A" * 65536)
            except OSError:
                pass
            self.close_connection = True
            return
        if tid.endswith("2") and tid not in traces:
            return self.problem(503, "unavailable", "Service unavailable",
                                headers=[("Retry-After", "1")])
        if tid.endswith("3") and tid not in traces:
            return self.send(200, "text/html", "<html>hello</html>")
        with lock:
            t = traces.get(tid)
            if t is not None:
                t["gets"] += 1
        if t is None:
            return self.problem(404, "not-found", "Not found", signed=True)
        if t["req"]["case_reference"] == "mock:hang":
            time.sleep(600)
            return
        if (len(parts) == 5 and parts[4] == "status") or t["gets"] < 2:
            return self.send(200, "application/jose",
                             sign(ack(t["req"], t["sent"], "in_progress"), "trace-ack/1"))
        resp = json.load(open(response_file))
        resp["id"] = tid
        resp["responding_state"] = state
        if t["req"]["case_reference"] == "mock:bad-checkpoint":
            # A checkpoint no key of this State signed: the example's.
            ex = os.path.join(os.path.dirname(response_file),
                              "trace-response-found-referral.json")
            resp["checkpoint"] = json.load(open(ex))["checkpoint"]
        self.send(200, "application/jose", sign(resp, "trace-response/1"))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain(cert, key)
ctx.verify_mode = ssl.CERT_REQUIRED
ctx.load_verify_locations(ca)
srv = Server(("127.0.0.1", 0), Handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.socket.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
