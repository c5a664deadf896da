#!/usr/bin/python3
"""Reads tracerd's metrics text (the file argv[1]) with the Prometheus
client's own parser and checks what check_daemon_parts rendered into it:
every sample within its declared family, escapes undone, histogram and
counter values.  argv[2] is the package version.  Exits 1 with the reason
on the first mismatch."""
import sys

from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1], encoding="utf-8").read()
version = sys.argv[2]
fams = {f.name: f for f in text_string_to_metric_families(text)}
samples = {}
for f in fams.values():
    if f.type == "untyped":
        sys.exit("sample outside its family: %r" % f.samples)
    for s in f.samples:
        samples[(s.name, tuple(sorted(s.labels.items())))] = s.value


def expect(name, labels, value):
    got = samples.get((name, tuple(sorted(labels.items()))))
    if got != value:
        sys.exit("%s%r: %r, not %r" % (name, labels, got, value))


if fams["tracerd_request_duration_seconds"].type != "histogram":
    sys.exit("the duration is not a histogram")
if fams["tracerd_odd"].documentation != 'line one\nback\\slash "q"':
    sys.exit("help text: %r" % fams["tracerd_odd"].documentation)
expect("tracerd_build_info", {"version": version}, 1)
expect("tracerd_odd_total", {"state": 'a"b\\c\nd'}, 2)
expect("tracerd_odd_total", {"state": "BE"}, 1.5)
expect("tracerd_requests_total", {"endpoint": "/v1/traces", "status": "202"}, 2)
expect("tracerd_requests_total", {"endpoint": '/x"y', "status": "other"}, 1)
expect("tracerd_request_duration_seconds_bucket",
       {"endpoint": "/v1/traces", "le": "0.25"}, 2)
expect("tracerd_request_duration_seconds_bucket",
       {"endpoint": "/v1/traces", "le": "+Inf"}, 3)
expect("tracerd_request_duration_seconds_sum", {"endpoint": "/v1/traces"},
       0.6259765625)
expect("tracerd_request_duration_seconds_count", {"endpoint": "/v1/traces"}, 3)
expect("tracerd_db_pool_busy", {}, 0.1)
expect("tracerd_uptime_seconds", {}, 12.5)
