#!/usr/bin/python3
"""Checks the trace protocol's JSON Schemas (proto/schemas/).

Run with Debian's python3-jsonschema (/usr/bin/python3).  Without options:

  * every schema is a valid draft 2020-12 schema, and the definitions that
    any two of them share are identical;
  * the country enumeration is exactly the codec's table (proto/iso3166.c),
    and the problem types are exactly those of proto/README.md's table;
  * every example in proto/examples/ is valid against the schema its
    "schema" member names;
  * a set of invalid documents, each an example with one defect, is refused.

With --differential FILE, also judges every document of FILE (JSON lines
written by tests/proto/check_proto.c, each with the codec's verdict) by the
schemas, and checks that the two agree: what the codec accepts, the schemas
accept; what the codec refuses, the schemas refuse, except for the rules
proto/README.md lists as beyond JSON Schema (CODEC_ONLY below).

Exit status 0 when everything holds, 1 when something does not, 2 when
python3-jsonschema is missing (a failure, not a skip).
"""

import argparse
import copy
import datetime
import glob
import json
import os
import re
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator, FormatChecker, validators
except ImportError:
    sys.stderr.write("validate_schemas: python3-jsonschema is missing "
                     "(apt-get install -y python3-jsonschema)\n")
    sys.exit(2)

SCHEMAS = {
    "trace-request/1": "trace-request-1.json",
    "trace-response/1": "trace-response-1.json",
    "trace-ack/1": "trace-ack-1.json",
    "problem/1": "problem-1.json",
    "trace-chain/1": "trace-chain-1.json",
}

# The definitions each schema must have, so that the common types are
# written once (section 2 of proto/README.md) and shared alike.
REQUIRED_DEFS = {
    "trace-request/1": ("uuid", "country", "date", "timestamp", "line",
                        "text", "contact", "authority", "marking",
                        "component"),
    "trace-response/1": ("uuid", "country", "date", "timestamp", "line",
                         "text", "contact", "authority", "marking",
                         "component", "log_index", "hash"),
    "trace-ack/1": ("uuid", "country", "timestamp", "line", "text",
                    "log_index", "hash"),
    "problem/1": ("uuid", "line", "text"),
}

# Codec rules that relate fields or need arithmetic, which the schemas do
# not express (proto/README.md, "Rules beyond the schemas"): the codec's
# messages for them.
CODEC_ONLY = [
    r"does not follow \d+: events are in order",
    r"is not an event of this history",
    r"is not the seq of an (export )?event of this candidate's history",
    r"is not an earlier event than",
    r"is not a later event than",
    r"is not the event's log_index",
    r"is not below the tree size",
    r"hashes; a proof of leaf",
    r"is before the licence was issued",
    r"is the request's own id",
    r"is above the score before it",
    r"has more than four digits after the decimal point",
    r"is before received_at",
    # trace-chain/1 (proto/chain.c): hops numbered by place, each after
    # the first naming the one before, the first the chain's, the end the
    # last hop's State.
    r"not its place in the chain",
    r"must be the request_id of the hop before",
    r"is not the chain's id",
    r"is not the last hop's requested_state",
]

failures = []


def fail(msg):
    failures.append(msg)
    if len(failures) <= 40:
        sys.stderr.write("validate_schemas: " + msg + "\n")


# ----------------------------------------------------------------- checkers

DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
TIME_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):"
                     r"([0-9]{2})(\.[0-9]{1,9})?Z")


def real_date(y, m, d):
    try:
        datetime.date(int(y), int(m), int(d))
        return True
    except ValueError:
        return False


def is_date(instance):
    """A YYYY-MM-DD date that exists."""
    if not isinstance(instance, str):
        return True
    m = DATE_RE.fullmatch(instance)
    return m is not None and real_date(*m.groups())


def is_date_time(instance):
    """An RFC 3339 time in UTC as the protocol writes it, that exists."""
    if not isinstance(instance, str):
        return True
    m = TIME_RE.fullmatch(instance)
    if m is None or not real_date(*m.groups()[:3]):
        return False
    return int(m.group(4)) < 24 and int(m.group(5)) < 60 and int(m.group(6)) < 60


def make_validator(schema):
    """A draft 2020-12 validator that asserts the formats, as the protocol
    does, and whose integers are written without a fraction (2015.0 is not
    an integer here; JSON Schema alone would accept it)."""
    formats = FormatChecker(formats=())
    formats.checks("date")(is_date)
    formats.checks("date-time")(is_date_time)
    types = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer",
        lambda checker, v: isinstance(v, int) and not isinstance(v, bool))
    cls = validators.extend(Draft202012Validator, type_checker=types)
    return cls(schema, format_checker=formats)


# -------------------------------------------------------------------- tests

def load_schemas(srcdir):
    schemas = {}
    for name, fname in SCHEMAS.items():
        path = os.path.join(srcdir, "proto", "schemas", fname)
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            fail("%s is not a valid draft 2020-12 schema: %s" % (fname, e.message))
        if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
            fail("%s does not declare draft 2020-12" % fname)
        if schema["properties"]["schema"].get("const") != name:
            fail("%s does not require \"schema\": %r" % (fname, name))
        schemas[name] = schema
    return schemas


def check_shared(schemas):
    names = sorted(schemas)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            da, db = schemas[a]["$defs"], schemas[b]["$defs"]
            for name in sorted(set(da) & set(db)):
                if da[name] != db[name]:
                    fail("the definition %r differs between %s and %s" % (name, a, b))
    for schema, required in REQUIRED_DEFS.items():
        for name in required:
            if name not in schemas[schema]["$defs"]:
                fail("%s lacks the shared definition %r" % (schema, name))


def check_countries(srcdir, schemas):
    with open(os.path.join(srcdir, "proto", "iso3166.c"), encoding="utf-8") as f:
        codes = re.findall(r'\{ "([A-Z]{2})", ', f.read())
    if len(codes) != 249:
        fail("proto/iso3166.c holds %d codes, not 249" % len(codes))
    for name, schema in schemas.items():
        if "country" in schema["$defs"] and schema["$defs"]["country"]["enum"] != codes:
            fail("the countries of %s are not those of proto/iso3166.c" % name)


def check_problem_types(srcdir, schemas):
    """The problem types of the schema are those of the README's table."""
    with open(os.path.join(srcdir, "proto", "README.md"), encoding="utf-8") as f:
        listed = re.findall(r"^\| `(urn:registry:problem:[a-z-]+)` \|", f.read(), re.M)
    enum = schemas["problem/1"]["properties"]["type"]["enum"]
    if len(listed) != 19 or listed != enum:
        fail("the problem types of problem-1.json are not those of proto/README.md: %r, %r"
             % (enum, listed))


def check_examples(srcdir, validators_by_name):
    paths = sorted(glob.glob(os.path.join(srcdir, "proto", "examples", "*.json")))
    if len(paths) < 10:
        fail("only %d examples found" % len(paths))
    examples = {}
    for path in paths:
        base = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        name = doc.get("schema")
        if name not in validators_by_name:
            fail("%s: unknown schema %r" % (base, name))
            continue
        if not base.startswith(name.split("/")[0] + "-"):
            fail("%s: the name does not start with %s" % (base, name.split("/")[0]))
        for err in validators_by_name[name].iter_errors(doc):
            fail("%s: %s at %s" % (base, err.message, "/".join(map(str, err.absolute_path))))
        examples[base] = doc
    return examples


def edit(doc, path, value=None, delete=False):
    """A copy of doc with the value at path (a list of keys and indexes)
    replaced, or deleted."""
    doc = copy.deepcopy(doc)
    cur = doc
    for step in path[:-1]:
        cur = cur[step]
    if delete:
        del cur[path[-1]]
    elif isinstance(cur, list) and path[-1] == len(cur):
        cur.append(value)
    else:
        cur[path[-1]] = value
    return doc


DEL = object()

# Documents the schemas must refuse: (example, path, new value or DEL).
INVALID = [
    ("trace-request-partly-restored.json", ["schema"], "trace-request/2"),
    ("trace-request-partly-restored.json", ["id"], DEL),
    ("trace-request-partly-restored.json", ["id"], "0190A3C2-7B1E-7C3D-9A4F-2B6E8D1C5F30"),
    ("trace-request-partly-restored.json", ["colour"], "red"),
    ("trace-request-partly-restored.json", ["weapon", "colour"], "red"),
    ("trace-request-partly-restored.json", ["requesting_state"], "XX"),
    ("trace-request-partly-restored.json", ["requesting_state"], "be"),
    ("trace-request-partly-restored.json", ["requesting_state"], "BEL"),
    ("trace-request-partly-restored.json", ["found", "date"], "2023-02-30"),
    ("trace-request-partly-restored.json", ["created_at"], "2023-02-30T00:00:00Z"),
    ("trace-request-partly-restored.json", ["created_at"], "2024-01-01T00:00:00+01:00"),
    ("trace-request-partly-restored.json", ["created_at"], "2024-01-01T00:00:00"),
    ("trace-request-partly-restored.json", ["case_reference"], "x" * 101),
    ("trace-request-partly-restored.json", ["case_reference"], ""),
    ("trace-request-partly-restored.json", ["case_reference"], "NL-1\n"),
    ("trace-request-partly-restored.json", ["weapon", "year_of_manufacture"], 2015.0),
    ("trace-request-partly-restored.json", ["weapon", "serial"], "GKS0123"),
    ("trace-request-partly-restored.json", ["weapon", "markings"], []),
    ("trace-request-partly-restored.json", ["illicit_basis", "grounds"], ["not_marked", "not_marked"]),
    ("trace-request-partly-restored.json", ["requesting_authority", "contact"], {"name": "x"}),
    ("trace-request-obliterated.json", ["weapon", "serial"], "AB*"),
    ("trace-request-obliterated.json", ["follow_referrals"], "true"),
    ("trace-response-found-referral.json", ["status"], "Found"),
    ("trace-response-found-referral.json", ["candidates"], DEL),
    ("trace-response-found-referral.json", ["candidates", 0, "score"], 1.5),
    ("trace-response-found-referral.json", ["candidates", 0, "history", 0, "inclusion_proof", "leaf_hash"],
     "SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7J="),
    ("trace-response-found-referral.json", ["checkpoint"], "no final line feed"),
    ("trace-response-ambiguous.json", ["status"], "found"),
    ("trace-response-ambiguous.json", ["status"], "not_found"),
    ("trace-response-ambiguous.json", ["status_reasons"], DEL),
    ("trace-response-ambiguous.json", ["candidates", 1, "history", 3, "reason"], DEL),
    ("trace-response-restricted.json", ["restrictions"], DEL),
    ("trace-ack-acknowledged.json", ["schema"], "trace-ack/2"),
    ("trace-ack-acknowledged.json", ["request_id"], DEL),
    ("trace-ack-acknowledged.json", ["request_sha256"], DEL),
    ("trace-ack-acknowledged.json", ["request_sha256"], "SVtlE1fsNoC4jFeBDO7pvwWh3dBVOx5i5+eh9Zd9Iup="),
    ("trace-ack-acknowledged.json", ["status"], "received"),
    ("trace-ack-acknowledged.json", ["priority"], "high"),
    ("trace-ack-acknowledged.json", ["due_by"], "2024-03-16T09:26:54.102+01:00"),
    ("trace-ack-acknowledged.json", ["log_index"], -1),
    ("trace-ack-acknowledged.json", ["log_index"], 5012.0),
    ("trace-ack-acknowledged.json", ["responded_at"], "2024-03-15T10:00:00Z"),
    ("trace-ack-acknowledged.json", ["colour"], "red"),
    ("trace-ack-answered.json", ["responded_at"], DEL),
    ("trace-ack-answered.json", ["status_reasons"], []),
    ("problem-invalid-document.json", ["schema"], "problem/2"),
    ("problem-invalid-document.json", ["type"], "about:blank"),
    ("problem-invalid-document.json", ["type"], "urn:registry:problem:teapot"),
    ("problem-invalid-document.json", ["status"], 399),
    ("problem-invalid-document.json", ["status"], 600),
    ("problem-invalid-document.json", ["status"], "422"),
    ("problem-invalid-document.json", ["instance"], "/v1/traces/a b"),
    ("problem-invalid-document.json", ["field"], ""),
    ("problem-invalid-document.json", ["title"], DEL),
    ("problem-rate-limited.json", ["retry_after"], 30),
]


def check_invalid(examples, validators_by_name):
    for base, path, value in INVALID:
        doc = examples.get(base)
        if doc is None:
            fail("the example %s is missing" % base)
            continue
        bad = edit(doc, path, delete=True) if value is DEL else edit(doc, path, value)
        if validators_by_name[doc["schema"]].is_valid(bad):
            fail("%s with %s = %r: the schema accepts it" % (
                base, "/".join(map(str, path)), "(deleted)" if value is DEL else value))


def check_differential(path, validators_by_name):
    codec_only = [re.compile(r) for r in CODEC_ONLY]
    n = agree = skipped = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            n += 1
            valid = validators_by_name[rec["against"]].is_valid(rec["doc"])
            if rec["code"] == "OK":
                if not valid:
                    err = next(validators_by_name[rec["against"]].iter_errors(rec["doc"]))
                    fail("line %d: the codec accepts, the schema refuses (%s at %s): %s" % (
                        n, err.message[:200], "/".join(map(str, err.absolute_path)),
                        json.dumps(rec["doc"])[:300]))
                    continue
            elif valid:
                if rec["code"] == "EVALUE" and any(r.search(rec["message"]) for r in codec_only):
                    skipped += 1
                    continue
                fail("line %d: the codec refuses (%s %s), the schema accepts: %s" % (
                    n, rec["code"], rec["message"], json.dumps(rec["doc"])[:300]))
                continue
            agree += 1
    sys.stdout.write("validate_schemas: %d documents: %d judged alike, %d refused "
                     "by codec-only rules\n" % (n, agree, skipped))
    if n == 0:
        fail("no documents in " + path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--srcdir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--differential", metavar="FILE")
    args = ap.parse_args()

    schemas = load_schemas(args.srcdir)
    by_name = {name: make_validator(s) for name, s in schemas.items()}
    check_shared(schemas)
    check_countries(args.srcdir, schemas)
    check_problem_types(args.srcdir, schemas)
    examples = check_examples(args.srcdir, by_name)
    check_invalid(examples, by_name)
    if args.differential:
        check_differential(args.differential, by_name)
    if failures:
        sys.stderr.write("validate_schemas: %d failures\n" % len(failures))
        sys.exit(1)
    sys.stdout.write("validate_schemas: ok (jsonschema %s)\n" % jsonschema_version())


def jsonschema_version():
    try:
        from importlib.metadata import version
        return version("jsonschema")
    except Exception:  # pragma: no cover
        return "?"


if __name__ == "__main__":
    main()
