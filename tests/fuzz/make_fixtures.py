#!/usr/bin/python3
"""Writes the fuzzers' fixtures and signed seed inputs (tests/fuzz/fixtures,
tests/fuzz/corpus), deterministically, from fixed test keys: run it again
only when the formats change, and commit what it writes.

Keys (test keys, public by design; never use them elsewhere):
  - the JWS signing key of State BE, kid "BE/fuzz-1": Ed25519 seed 00 01 .. 1f;
  - BE's audit log key: the PeterNeumann key of golang.org/x/mod/sumdb/note's
    example (also in tests/registry/check_note.c);
  - a witness key "fuzz.example/witness": seed 07 repeated.
The TLS trust file (be-ca.pem) is made once with openssl(1) and kept.
"""
import base64, hashlib, json, os, subprocess, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(HERE, "fixtures")
CORPUS = os.path.join(HERE, "corpus")

JWS_SEED = bytes(range(32))
PETER_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
PETER_NAME = "PeterNeumann"
WIT_SEED = bytes([7] * 32)
WIT_NAME = "fuzz.example/witness"

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def key(seed):
    return Ed25519PrivateKey.from_private_bytes(seed)

def pub(k):
    return k.public_key().public_bytes(serialization.Encoding.Raw,
                                       serialization.PublicFormat.Raw)

def write(path, data, mode="wb"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def jws(k, kid, cty, payload):
    h = json.dumps({"alg": "EdDSA", "kid": kid, "cty": cty},
                   separators=(",", ":")).encode()
    si = b64u(h) + "." + b64u(payload)
    return si + "." + b64u(k.sign(si.encode()))

def note_sign(k, name, text, typ=1):
    kid = hashlib.sha256(name.encode() + b"\n" + bytes([typ]) + pub(k)).digest()[:4]
    sig = k.sign(text.encode())
    return text + "\n" + "\u2014 " + name + " " + base64.b64encode(kid + sig).decode() + "\n"

def cosig_line(k, name, text, ts):
    kid = hashlib.sha256(name.encode() + b"\n\x04" + pub(k)).digest()[:4]
    msg = ("cosignature/v1\ntime %d\n" % ts).encode() + text.encode()
    return "\u2014 " + name + " " + base64.b64encode(
        kid + ts.to_bytes(8, "big") + k.sign(msg)).decode() + "\n"

def leaf_hash(b):
    return hashlib.sha256(b"\x00" + b).digest()

def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()

def root(hs):
    if len(hs) == 1:
        return hs[0]
    k = 1
    while k * 2 < len(hs):
        k *= 2
    return node(root(hs[:k]), root(hs[k:]))

def path(m, hs):
    if len(hs) == 1:
        return []
    k = 1
    while k * 2 < len(hs):
        k *= 2
    if m < k:
        return path(m, hs[:k]) + [root(hs[k:])]
    return path(m - k, hs[k:]) + [root(hs[:k])]

def main():
    jk, pk, wk = key(JWS_SEED), key(PETER_SEED), key(WIT_SEED)
    write(os.path.join(FIX, "be-sign.pub.pem"), jk.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    for n, seed in (("xh", bytes([0x31] * 32)), ("de", bytes([0x32] * 32))):
        write(os.path.join(FIX, n + "-sign.pub.pem"), key(seed).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    write(os.path.join(FIX, "witness.key"), ("Key-Name: %s\n" % WIT_NAME).encode() +
          wk.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption()))
    ca = os.path.join(FIX, "be-ca.pem")
    if not os.path.exists(ca):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes",
                        "-keyout", "/dev/null", "-out", ca, "-days", "36500",
                        "-subj", "/C=BE/O=Fuzz/CN=Fuzz tracing CA"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pvk = "%s+%s+%s" % (PETER_NAME, hashlib.sha256(PETER_NAME.encode() + b"\n\x01" +
                        pub(pk)).digest()[:4].hex(), base64.b64encode(b"\x01" + pub(pk)).decode())
    peers = ("[peer.BE]\nname = Fuzz Belgium\nurl = https://be.example:8443\n"
             "ca_file = be-ca.pem\nsigning_key = BE/fuzz-1 be-sign.pub.pem\n"
             "log_verifier = %s\n\n[peer.XH]\nhub = yes\nurl = https://hub.example\n"
             "ca_file = be-ca.pem\nsigning_key = XH/1 xh-sign.pub.pem\nlog_verifier = %s\n\n"
             "[peer.DE]\nvia = XH\nsigning_key = DE/1 de-sign.pub.pem\n"
             "log_verifier = %s\n" % (pvk, pvk, pvk))
    write(os.path.join(FIX, "peers.ini"), peers)
    write(os.path.join(CORPUS, "peers", "peers.ini"), peers)

    # A response whose events are proved against a checkpoint signed by
    # PeterNeumann (BE's log key in peers.ini), itself signed by BE/fuzz-1.
    resp = json.load(open(os.path.join(TOP, "proto/examples/trace-response-found-referral.json")))
    leaves = [leaf_hash(b"leaf %d" % i) for i in range(6)]
    r = root(leaves)
    body = "%s\n%d\n%s\n" % (PETER_NAME, len(leaves), base64.b64encode(r).decode())
    note = note_sign(pk, PETER_NAME, body)
    resp["checkpoint"] = note
    i = 0
    for c in resp.get("candidates", []):
        for e in c.get("history", []):
            e["log_index"] = i
            e["inclusion_proof"] = {"index": i, "size": len(leaves),
                                    "leaf_hash": base64.b64encode(leaves[i]).decode(),
                                    "hashes": [base64.b64encode(h).decode() for h in path(i, leaves)]}
            i += 1
    rtext = json.dumps(resp, separators=(",", ":"), sort_keys=True)
    write(os.path.join(CORPUS, "response", "proved.json"), rtext)
    signed = jws(jk, "BE/fuzz-1", "trace-response/1", rtext.encode())
    write(os.path.join(CORPUS, "jws", "response.jws"), signed)
    write(os.path.join(CORPUS, "jws", "short.jws"), jws(jk, "BE/fuzz-1", None, b"{}"))

    chain = json.load(open(os.path.join(TOP, "proto/examples/trace-chain-complete.json")))
    chain["hops"][0]["response"] = signed
    chain["hops"][0]["request_id"] = resp["id"]
    write(os.path.join(CORPUS, "chain", "signed.json"), json.dumps(chain, indent=1))

    # Notes and checkpoints, and a cosigned one.
    write(os.path.join(CORPUS, "note", "checkpoint.note"), note)
    write(os.path.join(CORPUS, "note", "ext.note"), note_sign(pk, PETER_NAME, body + "ext line\n"))
    write(os.path.join(CORPUS, "note", "vkey.txt"), pvk)
    line = cosig_line(wk, WIT_NAME, body, 1767225600)
    write(os.path.join(CORPUS, "note", "cosigned.note"), note + line)
    write(os.path.join(CORPUS, "cosig", "cosigned.note"), note + line)
    write(os.path.join(CORPUS, "cosig", "body.txt"), body + "\n" + line)
    write(os.path.join(CORPUS, "cosig", "body2.txt"), body + "\n" + line +
          cosig_line(wk, WIT_NAME, body, 1767225601))

    # Consistency proofs: from 3 to 6 leaves, and trivial ones.
    def cons(m, hs):
        def sub(m, hs, b):
            if m == len(hs):
                return [] if b else [root(hs)]
            k = 1
            while k * 2 < len(hs):
                k *= 2
            if m <= k:
                return sub(m, hs[:k], b) + [root(hs[k:])]
            return sub(m - k, hs[k:], False) + [root(hs[:k])]
        return sub(m, hs, True)
    for m in (1, 3, 4):
        write(os.path.join(CORPUS, "proof", "cons%d.json" % m), json.dumps(
            {"old_size": m, "new_size": 6,
             "hashes": [base64.b64encode(h).decode() for h in cons(m, leaves)]}))
    write(os.path.join(CORPUS, "proof", "empty.json"), '{"old_size": 0, "new_size": 0, "hashes": []}')

if __name__ == "__main__":
    main()
