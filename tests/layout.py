#!/usr/bin/env python3
"""The shape of the source tree, measured: the layout rules of issue 18.

Usage: layout.py [--report] SRCDIR [BUILDDIR]

Reads the product code (common/, registry/, proto/, tracer/) and, where a
build tree is given, the objects compiled from it, and tells:
  - the files over 1,000 lines;
  - the functions over 100 lines (house style: the name at column 0, the
    body between a "{" and a "}" alone at column 0);
  - the cycles between source files: A.c -> B.c when A's object uses a
    symbol that B's object defines (nm), one line per strongly connected
    component of two files or more;
  - the cycles between headers through their #include "..." lines.

With --report it prints all of them and exits 0.  Without, it is a test
(make check runs it through tests/layout.sh): it exits 1 if there is any
cycle, between source files or between headers, and prints them; the
sizes are printed for information.
"""

import os
import re
import subprocess
import sys

PARTS = ("common", "registry", "proto", "tracer")
FILE_LIMIT = 1000
FUNC_LIMIT = 100


def product_files(src, exts):
    out = []
    for part in PARTS:
        top = os.path.join(src, part)
        for root, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for f in sorted(files):
                if f.endswith(exts):
                    out.append(os.path.relpath(os.path.join(root, f), src))
    return out


def read_lines(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().split("\n")


NAME_AT_0 = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*\(")
NAME_IN = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def functions(lines):
    """(name, first line, number of lines) for each function definition."""
    out = []
    i = 0
    n = len(lines)
    while i < n:
        if lines[i] != "{":
            i += 1
            continue
        # The header: back to the line that names the function.
        j = i - 1
        name = None
        while j >= 0 and i - j <= 12:
            m = NAME_AT_0.match(lines[j])
            if m:
                name = m.group(1)
                break
            if lines[j][:1] not in ("", " ", "\t"):
                m = NAME_IN.search(lines[j])
                if m and not lines[j].rstrip().endswith(";"):
                    name = m.group(1)
                    break
            j -= 1
        k = i + 1
        while k < n and lines[k] != "}":
            k += 1
        if name is not None and k < n:
            out.append((name, j + 1, k - j + 1))
        i = k + 1
    return out


def sccs(nodes, edges):
    """Tarjan's strongly connected components, iteratively."""
    index = {}
    low = {}
    on = set()
    stack = []
    out = []
    counter = [0]
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def object_source(src, build, obj):
    """The product source an object was compiled from, or None."""
    rel = os.path.relpath(obj, build)
    d, base = os.path.split(rel)
    if os.path.basename(d) == ".libs":
        d = os.path.dirname(d)
    stem = base[:-2]
    cands = [stem]
    if "-" in stem:
        cands.insert(0, stem.split("-", 1)[1])
        cands.append(stem.rsplit("-", 1)[1])
    for c in cands:
        p = os.path.join(d, c + ".c")
        if os.path.isfile(os.path.join(src, p)):
            return p
    return None


def nm(obj, flags):
    r = subprocess.run(["nm", "-P"] + flags + [obj], capture_output=True,
                       text=True)
    if r.returncode != 0:
        return []
    return [ln.split() for ln in r.stdout.splitlines() if ln.strip()]


def source_graph(src, build):
    defs = {}
    uses = {}
    for part in PARTS:
        top = os.path.join(build, part)
        for root, dirs, files in os.walk(top):
            for f in files:
                if not f.endswith(".o"):
                    continue
                obj = os.path.join(root, f)
                s = object_source(src, build, obj)
                if s is None:
                    continue
                for fields in nm(obj, ["--defined-only", "-g"]):
                    if len(fields) >= 2 and fields[1] in "TDBRVWGS":
                        defs.setdefault(fields[0], set()).add(s)
                u = uses.setdefault(s, set())
                for fields in nm(obj, ["-u"]):
                    u.add(fields[0])
    edges = {}
    for s, syms in uses.items():
        for sym in syms:
            for t in defs.get(sym, ()):
                if t != s:
                    edges.setdefault(s, set()).add(t)
    return set(uses), edges


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def header_graph(src):
    headers = product_files(src, (".h",))
    by_path = set(headers)
    by_base = {}
    for h in headers:
        by_base.setdefault(os.path.basename(h), []).append(h)
    edges = {}
    for h in headers:
        for ln in read_lines(os.path.join(src, h)):
            m = INCLUDE.match(ln)
            if not m:
                continue
            inc = m.group(1)
            here = os.path.normpath(os.path.join(os.path.dirname(h), inc))
            if here in by_path:
                target = here
            else:
                found = [p for p in headers if p.endswith("/include/" + inc)]
                found = found or by_base.get(os.path.basename(inc), [])
                if len(found) != 1:
                    continue
                target = found[0]
            if target != h:
                edges.setdefault(h, set()).add(target)
    return set(headers), edges


def main(argv):
    report = False
    if argv and argv[0] == "--report":
        report = True
        argv = argv[1:]
    if not argv:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    src = argv[0]
    build = argv[1] if len(argv) > 1 else src

    big = []
    longfn = []
    for f in product_files(src, (".c", ".h")):
        lines = read_lines(os.path.join(src, f))
        n = len(lines) - (1 if lines and lines[-1] == "" else 0)
        if n > FILE_LIMIT:
            big.append((n, f))
        for name, first, count in functions(lines):
            if count > FUNC_LIMIT:
                longfn.append((count, "%s:%d %s()" % (f, first, name)))
    print("files over %d lines: %d" % (FILE_LIMIT, len(big)))
    for n, f in sorted(big, reverse=True):
        print("  %5d  %s" % (n, f))
    print("functions over %d lines: %d" % (FUNC_LIMIT, len(longfn)))
    for n, f in sorted(longfn, reverse=True):
        print("  %5d  %s" % (n, f))

    nodes, edges = source_graph(src, build)
    cyc = sccs(nodes, edges)
    if not nodes:
        print("cycles between source files: no objects under %s (build first)"
              % build)
    else:
        print("cycles between source files (%d files read): %d"
              % (len(nodes), len(cyc)))
        for comp in cyc:
            print("  " + " <-> ".join(comp))
    hnodes, hedges = header_graph(src)
    hcyc = sccs(hnodes, hedges)
    print("cycles between headers: %d" % len(hcyc))
    for comp in hcyc:
        print("  " + " <-> ".join(comp))

    if report:
        return 0
    if not nodes:
        print("FAIL: no objects were read", file=sys.stderr)
        return 1
    if cyc or hcyc:
        print("FAIL: the files above depend on each other in a circle; "
              "move the functions to the file whose concern they are",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
