#!/usr/bin/python3
"""An independent implementation of witness cosignatures, for
tests/registry/check_cosign.c: C2SP tlog-cosignature, Ed25519 type cosignature/v1,
written from the specification text on the Python "cryptography" package,
sharing no code with libregistry.

Usage:
  cosig.py verify VERIFIER_KEY_FILE NOTE_FILE
      Verifies the note's cosignature by the witness verifier key
      "<name>+<hex key id>+<base64(0x04 || public key)>" and prints its
      timestamp.
  cosig.py sign KEY_FILE TIMESTAMP NOTE_FILE
      Reads a libregistry private key file ("Key-Name: NAME" and a PKCS#8
      PEM block) and prints the witness verifier key, then the cosignature
      line for the note's checkpoint at TIMESTAMP.

Exit status: 0 on success; 1 when there is no cosignature by the key or
one does not verify; 2 for a malformed key or note or bad usage; 3 when
the "cryptography" package is missing.
"""

import base64
import hashlib
import sys

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )
except ImportError as e:
    print("cosig.py: the Python 'cryptography' package is missing (%s); "
          "install python3-cryptography" % e, file=sys.stderr)
    sys.exit(3)

# The same strict base64 and the same fault as the note checker's (no
# bytecode left in the source tree).
sys.dont_write_bytecode = True
from verify_note import Malformed, b64decode_strict  # noqa: E402

COSIG_TYPE = 0x04
EM_DASH = "\u2014"


def key_id(name, pub):
    # c2sp.org/tlog-cosignature: SHA-256(<name> || "\n" || 0x04 || key)[:4]
    h = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([COSIG_TYPE]) +
                       pub)
    return h.digest()[:4]


def message(body, timestamp):
    # Two header lines, then the note body without signature lines.
    return b"cosignature/v1\ntime %d\n" % timestamp + body


def split_note(note):
    split = note.rfind(b"\n\n")
    if split < 0:
        raise Malformed("no blank line")
    body, sigs = note[:split + 1], note[split + 2:]
    if not sigs.endswith(b"\n"):
        raise Malformed("signature block does not end in a newline")
    return body, sigs[:-1].decode("utf-8").split("\n")


def verify(vkey, note):
    name, hexid, b64 = vkey.split("+", 2)
    raw = b64decode_strict(b64)
    if len(raw) != 33 or raw[0] != COSIG_TYPE:
        raise Malformed("not an Ed25519 cosignature/v1 verifier key")
    pub = raw[1:]
    kid = key_id(name, pub)
    if kid.hex() != hexid:
        raise Malformed("verifier key id does not match")
    key = Ed25519PublicKey.from_public_bytes(pub)
    body, lines = split_note(note)
    found = []
    for line in lines:
        if not line.startswith(EM_DASH + " "):
            raise Malformed("signature line without an em dash")
        signame, _, b64 = line[2:].partition(" ")
        sig = b64decode_strict(b64)
        if signame != name or sig[:4] != kid:
            continue
        if len(sig) != 4 + 8 + 64:
            raise Malformed("cosignature of %d bytes" % len(sig))
        timestamp = int.from_bytes(sig[4:12], "big")
        if timestamp >= 1 << 63:
            raise Malformed("timestamp above 2^63 - 1")
        key.verify(sig[12:], message(body, timestamp))
        found.append(timestamp)
    return max(found) if found else None


def sign(keyfile, timestamp, note):
    with open(keyfile, "rb") as f:
        text = f.read()
    name = None
    for line in text.split(b"\n"):
        if line.startswith(b"Key-Name: "):
            name = line[len(b"Key-Name: "):].decode("utf-8")
    pem = text[text.index(b"-----BEGIN PRIVATE KEY-----"):]
    key = serialization.load_pem_private_key(pem, password=None)
    if name is None or not isinstance(key, Ed25519PrivateKey):
        raise Malformed("not a libregistry Ed25519 key file")
    pub = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    kid = key_id(name, pub)
    vkey = "%s+%s+%s" % (name, kid.hex(), base64.b64encode(
        bytes([COSIG_TYPE]) + pub).decode("ascii"))
    body, _ = split_note(note)
    sig = key.sign(message(body, timestamp))
    raw = kid + timestamp.to_bytes(8, "big") + sig
    return vkey, "%s %s %s" % (EM_DASH, name,
                               base64.b64encode(raw).decode("ascii"))


def main(argv):
    try:
        if len(argv) == 4 and argv[1] == "verify":
            with open(argv[2], "r", encoding="utf-8") as f:
                vkey = f.read().strip("\n")
            with open(argv[3], "rb") as f:
                note = f.read()
            timestamp = verify(vkey, note)
            if timestamp is None:
                print("cosig.py: no cosignature by %s" % vkey.split("+")[0],
                      file=sys.stderr)
                return 1
            print(timestamp)
            return 0
        if len(argv) == 5 and argv[1] == "sign":
            with open(argv[4], "rb") as f:
                note = f.read()
            vkey, line = sign(argv[2], int(argv[3]), note)
            print(vkey)
            print(line)
            return 0
    except Malformed as e:
        print("cosig.py: malformed: %s" % e, file=sys.stderr)
        return 2
    except InvalidSignature:
        print("cosig.py: a cosignature does not verify", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
