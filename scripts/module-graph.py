#!/usr/bin/env python3
"""The import graph of each crate of the workspace, file by file: which module uses which, and every import
circle. The layers between crates are the compiler's (jwtstack-core depends on no other crate of the workspace);
this looks inside each crate.

    scripts/module-graph.py            # circles and the largest files
    scripts/module-graph.py --edges    # every edge
    scripts/module-graph.py --check    # exit 1 on a circle or a Rust file over 600 lines (tests included)

A module is a file (crates/aws/src/ssm.rs is `jwtstack-aws: ssm`, crates/core/src/plan/mod.rs is
`jwtstack-core: plan`). An edge A -> B means that A names an item of B through `crate::` or `super::` (in a `use`
or inline). Test modules (`tests.rs`, and everything after a `#[cfg(test)]` line) are left out: they may reach
anywhere. `.ci/run` runs `--check`.
"""

import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# Each crate's name and source folder.
CRATES = [
    ("jwtstack", os.path.join(ROOT, "src")),
    ("jwtstack-core", os.path.join(ROOT, "crates", "core", "src")),
    ("jwtstack-aws", os.path.join(ROOT, "crates", "aws", "src")),
    ("jwtstack-serve", os.path.join(ROOT, "crates", "serve", "src")),
]
MAX_LINES = 600
SRC = None


def module_of(path):
    rel = os.path.relpath(path, SRC)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return "::".join(rel) if rel else "crate"


def files():
    for root, _, names in os.walk(SRC):
        for n in sorted(names):
            if n.endswith(".rs") and n != "tests.rs":
                yield os.path.join(root, n)


def strip(text):
    """The file without comments, string contents and its test module."""
    cut = text.find("#[cfg(test)]")
    if cut >= 0:
        text = text[:cut]
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'r#*".*?"#*', '""', text, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    return text


def expand(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]."""
    tree = tree.strip()
    i = tree.find("{")
    if i < 0:
        return [tree]
    head, body = tree[:i], tree[i + 1 : tree.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    return [head + p for part in parts if part.strip() for p in expand(part)]


def paths(text, module):
    out = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        out += expand(re.sub(r"\s+", "", m.group(1)))
    out += re.findall(r"\b(?:crate|super)(?:::\w+)+", text)
    here = module.split("::") if module != "crate" else []
    resolved = []
    for p in out:
        parts = [x for x in p.split("::") if x]
        if not parts:
            continue
        if parts[0] == "crate":
            resolved.append(parts[1:])
        elif parts[0] == "super":
            base = list(here)
            while parts and parts[0] == "super":
                base = base[:-1]
                parts = parts[1:]
            resolved.append(base + parts)
        elif parts[0] == "self":
            resolved.append(here + parts[1:])
    return resolved


def graph():
    modules = {module_of(f): f for f in files()}
    edges = {}
    for mod, f in modules.items():
        with open(f, encoding="utf-8") as fh:
            text = strip(fh.read())
        targets = set()
        for parts in paths(text, mod):
            # The longest prefix that is a module file.
            for n in range(len(parts), 0, -1):
                cand = "::".join(parts[:n])
                if cand in modules:
                    if cand != mod and not mod.startswith(cand + "::") or cand == mod:
                        pass
                    if cand != mod and not mod.startswith(cand + "::"):
                        targets.add(cand)
                    break
        edges[mod] = sorted(targets)
    return modules, edges


def circles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
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

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main():
    global SRC
    modules, edges, cycles, problems, sizes = {}, {}, [], [], []
    for crate, src in CRATES:
        SRC = src
        m, e = graph()
        modules.update({"%s: %s" % (crate, k): v for k, v in m.items()})
        edges.update({"%s: %s" % (crate, k): v for k, v in e.items()})
        for c in circles(e):
            cycles.append(c)
            problems.append("import circle of %d modules in %s: %s" % (len(c), crate, ", ".join(c)))
    # Every Rust file, tests included.
    for top in [src for _, src in CRATES] + [os.path.join(ROOT, d) for d in ("tests", "benches", "examples")]:
        for root, _, names in os.walk(top):
            for n in names:
                if n.endswith(".rs"):
                    p = os.path.join(root, n)
                    with open(p, encoding="utf-8") as fh:
                        sizes.append((sum(1 for _ in fh), os.path.relpath(p, ROOT)))
    sizes.sort(reverse=True)
    for lines, p in sizes:
        if lines > MAX_LINES:
            problems.append("%s has %d lines (at most %d)" % (p, lines, MAX_LINES))
    if "--edges" in sys.argv:
        for mod, targets in sorted(edges.items()):
            print("%s -> %s" % (mod, ", ".join(targets) or "-"))
        return 0
    print("modules: %d, edges: %d, import circles: %d" % (len(modules), sum(map(len, edges.values())), len(cycles)))
    print("largest source files: " + ", ".join("%s %d" % (p, n) for n, p in sizes[:3]))
    for p in problems:
        print(p)
    if "--check" in sys.argv and problems:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
