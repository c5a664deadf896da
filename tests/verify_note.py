#!/usr/bin/python3
"""An independent check of a C2SP signed note, for tests/registry/check_note.c.

Usage: verify_note.py VERIFIER_KEY_FILE NOTE_FILE

Reads a verifier key "<name>+<hex key id>+<base64(0x01 || public key)>"
and a signed note, and verifies the note's Ed25519 signature by that key
with the Python "cryptography" package, sharing no code with libregistry.

Exit status: 0 when a signature by the key verifies and none by it fails;
1 when there is none or one fails; 2 for a malformed key or note or bad
usage; 3 when the "cryptography" package is missing.
"""

import base64
import binascii
import hashlib
import sys

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PublicKey,
    )
except ImportError as e:
    print("verify_note.py: the Python 'cryptography' package is missing "
          "(%s); install python3-cryptography" % e, file=sys.stderr)
    sys.exit(3)


class Malformed(Exception):
    pass


def b64decode_strict(s):
    """Decodes standard base64 and refuses any non-canonical encoding."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as e:
        raise Malformed("bad base64: %s" % e)
    if base64.b64encode(raw).decode("ascii") != s:
        raise Malformed("non-canonical base64")
    return raw


def key_id(name, pub):
    h = hashlib.sha256(name.encode("utf-8") + b"\n" + b"\x01" + pub)
    return int.from_bytes(h.digest()[:4], "big")


def parse_verifier(vkey):
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise Malformed("verifier key has not three parts")
    name, hexid, b64 = parts
    if not name or len(hexid) != 8 or hexid.lower() != hexid:
        raise Malformed("bad verifier key name or id")
    kid = int(hexid, 16)
    raw = b64decode_strict(b64)
    if len(raw) != 33 or raw[0] != 1:
        raise Malformed("verifier key is not an Ed25519 key")
    if key_id(name, raw[1:]) != kid:
        raise Malformed("verifier key id does not match")
    return name, kid, raw[1:]


def verify(vkey, note):
    name, kid, pub = parse_verifier(vkey)
    try:
        s = note.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("note is not UTF-8")
    if any(ord(c) < 0x20 and c != "\n" for c in s):
        raise Malformed("note has a control character")
    split = note.rfind(b"\n\n")
    if split < 0:
        raise Malformed("no blank line")
    text, sigs = note[:split + 1], note[split + 2:]
    if not sigs or not sigs.endswith(b"\n"):
        raise Malformed("signature block does not end in a newline")
    key = Ed25519PublicKey.from_public_bytes(pub)
    good = bad = 0
    for line in sigs[:-1].split(b"\n"):
        line = line.decode("utf-8")
        if not line.startswith("\u2014 "):
            raise Malformed("signature line without an em dash")
        signame, sep, b64 = line[2:].partition(" ")
        if not sep or not signame or not b64:
            raise Malformed("bad signature line")
        raw = b64decode_strict(b64)
        if len(raw) < 5:
            raise Malformed("short signature")
        if signame != name or int.from_bytes(raw[:4], "big") != kid:
            continue
        try:
            key.verify(raw[4:], text)
            good += 1
        except InvalidSignature:
            bad += 1
    return good > 0 and bad == 0


def main(argv):
    if len(argv) != 3:
        print("usage: verify_note.py VERIFIER_KEY_FILE NOTE_FILE",
              file=sys.stderr)
        return 2
    with open(argv[1], "r", encoding="utf-8") as f:
        vkey = f.read().strip("\n")
    with open(argv[2], "rb") as f:
        note = f.read()
    try:
        ok = verify(vkey, note)
    except Malformed as e:
        print("verify_note.py: malformed: %s" % e, file=sys.stderr)
        return 2
    if not ok:
        print("verify_note.py: no valid signature by %s" % vkey.split("+")[0],
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
