#!/usr/bin/python3
"""An independent JWS implementation for the tests (Debian's python3-jwcrypto).

  jws_tool.py sign KEY.pem KID CTY FILE   signs FILE's bytes, prints the JWS
  jws_tool.py verify PUB.pem FILE         verifies FILE's JWS with the key,
                                          prints "cty kid" then the payload;
                                          exit 1 when it does not verify
"""
import sys

from jwcrypto import jwk, jws
from jwcrypto.common import json_encode


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "sign":
        key = jwk.JWK.from_pem(open(sys.argv[2], "rb").read())
        payload = open(sys.argv[5], "rb").read()
        s = jws.JWS(payload)
        s.add_signature(key, None, json_encode({"alg": "EdDSA", "kid": sys.argv[3],
                                                "cty": sys.argv[4]}))
        sys.stdout.write(s.serialize(compact=True))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "verify":
        key = jwk.JWK.from_pem(open(sys.argv[2], "rb").read())
        s = jws.JWS()
        s.allowed_algs = ["EdDSA"]
        s.deserialize(open(sys.argv[3]).read().strip())
        try:
            s.verify(key)
        except jws.InvalidJWSSignature:
            print("signature does not verify", file=sys.stderr)
            return 1
        h = s.jose_header
        print(h.get("cty", "-"), h.get("kid", "-"))
        sys.stdout.write(s.payload.decode() + "\n")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
