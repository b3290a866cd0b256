#!/usr/bin/env python3
"""Lists the import cycles among the source files of each crate (tests excluded).

A file imports another when it names an item that the other file defines, through a `use`
declaration or a `crate::` / `super::` / `self::` path in its code. Re-exports are followed to the
file that defines the item: a file that names `crate::Error` imports `error.rs`, not `lib.rs`. A
module's own `mod` and `pub use` lines (its table of contents) are not imports.

    python3 scripts/import-cycles.py            # every crate under crates/; exit 1 on a cycle
    python3 scripts/import-cycles.py --edges    # also print the file graph

Exit status 0 and `no import cycle` when there is none. `.ci/run` runs it.
"""

import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def strip_source(text):
    """The file's code without comments, strings, and `#[cfg(test)]` items."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and not re.match(r"\w", text[i - 1:i] or " "):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            out.append('""')
            i = n if j < 0 else j + len(end)
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""')
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4] if text[i + 1:i + 2] != "\\" else text[i:i + 12]):
            m = re.match(r"'(\\[^']*|[^\\'])'", text[i:])
            out.append("' '")
            i += len(m.group(0)) if m else 1
        else:
            out.append(c)
            i += 1
    code = "".join(out)
    return drop_cfg_test(code)


def drop_cfg_test(code):
    """Removes each `#[cfg(test)]` item (up to its `;` or its closing brace)."""
    while True:
        k = code.find("#[cfg(test)]")
        if k < 0:
            return code
        j, depth = k + len("#[cfg(test)]"), 0
        while j < len(code):
            if code[j] == "{":
                depth += 1
            elif code[j] == "}":
                depth -= 1
                if depth == 0:
                    j += 1
                    break
            elif code[j] == ";" and depth == 0:
                j += 1
                break
            j += 1
        code = code[:k] + code[j:]


class Module:
    def __init__(self, path, file):
        self.path = path  # ("a", "b")
        self.file = file
        self.children = {}
        self.code = ""
        self.reexports = {}  # name -> absolute path (tuple) it stands for
        self.globs = []  # absolute module paths glob re-exported


def module_files(src):
    """(module path, file) for every module file of a crate's src/ (tests.rs left out)."""
    found = []

    def walk(file, path):
        found.append((path, file))
        text = open(file, encoding="utf-8").read()
        code = strip_source(text)
        base = os.path.dirname(file)
        stem = os.path.splitext(os.path.basename(file))[0]
        child_dir = base if stem in ("lib", "main", "mod") else os.path.join(base, stem)
        for m in re.finditer(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", code, re.M):
            name = m.group(1)
            for cand in (os.path.join(child_dir, name + ".rs"), os.path.join(child_dir, name, "mod.rs")):
                if os.path.exists(cand):
                    walk(cand, path + (name,))
                    break

    walk(os.path.join(src, "lib.rs"), ())
    return found


def use_trees(code):
    """Yields (is_pub, tree text) for every `use` declaration."""
    for m in re.finditer(r"(?:^|(?<=[;{}\]]))\s*(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", code):
        yield bool(m.group(1)), m.group(2)


def parse_use(tree):
    """Expanded leaves of a use tree as (segments, alias); alias None keeps the last segment."""
    leaves = []
    tree = tree.strip()

    def split_top(s):
        parts, depth, start = [], 0, 0
        for i, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:i])
                start = i + 1
        parts.append(s[start:])
        return [p.strip() for p in parts if p.strip()]

    def rec(prefix, t):
        t = t.strip()
        if t.startswith("{"):
            for p in split_top(t[1:-1]):
                rec(prefix, p)
            return
        m = re.match(r"^([\w:]*?)::\s*\{(.*)\}$", t, re.S)
        if m:
            head = [s for s in m.group(1).split("::") if s]
            for p in split_top(m.group(2)):
                rec(prefix + head, p)
            return
        m = re.match(r"^([\w:*]+)(?:\s+as\s+(\w+))?$", t)
        if m:
            segs = prefix + [s for s in m.group(1).split("::") if s]
            leaves.append((segs, m.group(2)))

    rec([], tree)
    return leaves


def analyse(crate_src):
    mods = {}
    for path, file in module_files(crate_src):
        mod = Module(path, file)
        mod.code = strip_source(open(file, encoding="utf-8").read())
        mods[path] = mod
    for path in mods:
        if path:
            mods[path[:-1]].children[path[-1]] = mods[path]

    def absolute(mod, segs):
        """A path as written in `mod`, made absolute, or None when it leaves the crate."""
        if not segs:
            return None
        if segs[0] == "crate":
            return tuple(segs[1:])
        if segs[0] == "self":
            return mod.path + tuple(segs[1:])
        if segs[0] == "super":
            base = mod.path
            while segs and segs[0] == "super":
                base, segs = base[:-1], segs[1:]
            return base + tuple(segs)
        if segs[0] in mod.children:
            return mod.path + tuple(segs)
        return None

    for mod in mods.values():
        for is_pub, tree in use_trees(mod.code):
            if not is_pub:
                continue
            for segs, alias in parse_use(tree):
                target = absolute(mod, segs)
                if target is None:
                    continue
                if segs[-1] == "*":
                    mod.globs.append(target[:-1])
                else:
                    name = alias or segs[-1]
                    if name != "self":
                        mod.reexports[name] = target

    def resolve(target, seen=()):
        """The module that defines what the absolute path `target` names."""
        mod = mods[()]
        rest = list(target)
        while rest:
            head = rest[0]
            if head in mod.children:
                mod, rest = mod.children[head], rest[1:]
                continue
            if head in mod.reexports and (mod.path, head) not in seen:
                return resolve(mod.reexports[head] + tuple(rest[1:]), seen + ((mod.path, head),))
            for g in mod.globs:
                sub = mods.get(g)
                if sub is None:
                    continue
                if (head in sub.children or head in sub.reexports or defines(sub, head)) and (g, head) not in seen:
                    return resolve(g + tuple(rest), seen + ((g, head),))
            return mod
        return mod

    def defines(mod, name):
        return re.search(
            r"\b(fn|struct|enum|trait|type|const|static|union|macro_rules!)\s+" + re.escape(name) + r"\b",
            mod.code,
        ) is not None

    edges = {m.file: {} for m in mods.values()}
    for mod in mods.values():
        own = set()
        for is_pub, tree in use_trees(mod.code):
            for segs, _ in parse_use(tree):
                target = absolute(mod, segs)
                if target is None:
                    continue
                if segs[-1] == "*":
                    target = target[:-1]
                if is_pub and target[: len(mod.path)] == mod.path and len(target) > len(mod.path):
                    continue  # the module's table of contents
                own.add(target)
        body = re.sub(r"(?:^|(?<=[;{}\]]))\s*(pub(?:\([^)]*\))?\s+)?use\s+[^;]+;", " ", mod.code)
        for m in re.finditer(r"\b((?:crate|super|self)(?:\s*::\s*\w+)+)", body):
            segs = [s.strip() for s in m.group(1).split("::")]
            target = absolute(mod, segs)
            if target is not None:
                own.add(target)
        for target in own:
            dest = resolve(target)
            if dest is not mod:
                edges[mod.file].setdefault(dest.file, set()).add("::".join(target))
    return edges


def cycles(edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                strong(w)
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

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            strong(v)
    return out


def main():
    show_edges = "--edges" in sys.argv
    crates_dir = os.path.join(ROOT, "crates")
    found = 0
    for crate in sorted(os.listdir(crates_dir)):
        src = os.path.join(crates_dir, crate, "src")
        if not os.path.exists(os.path.join(src, "lib.rs")):
            continue
        edges = analyse(src)
        rel = lambda f: os.path.relpath(f, ROOT)
        if show_edges:
            for f in sorted(edges):
                for g in sorted(edges[f]):
                    print(f"{rel(f)} -> {rel(g)}")
        for comp in cycles(edges):
            found += 1
            print(f"import cycle in {crate}: " + ", ".join(rel(f) for f in comp))
            for f in comp:
                for g in sorted(g for g in edges[f] if g in comp):
                    names = ", ".join(sorted(edges[f][g]))
                    print(f"  {rel(f)} imports {rel(g)} ({names})")
    if not found:
        print("no import cycle")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
