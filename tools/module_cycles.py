#!/usr/bin/env python3
"""Module cycles between the files of src/.

Walks the module tree from src/lib.rs (following `mod x;` and `#[path = "..."]`),
reads every `use crate::...`, `use super::...`, `use self::...` statement (groups
expanded) and every `crate::a::b` path written in code, resolves each to the file
that defines the module, and reports the strongly connected components of the
resulting file graph: each is a cycle.

Not counted as a dependency: `pub use` re-exports (a parent module's facade) and a
module's own `mod` declarations. A recursive type split over two files is allowed
(ALLOWED below) and reported apart.

Inline code paths into a module's own children (`eval::eval(..)` in template/mod.rs)
are not read: a folder's mod.rs is its facade.

Usage: tools/module_cycles.py [--tests] [SRC_DIR]   (exit status 1 when a cycle is found)
  --tests  also read the `#[cfg(test)]` modules (left out by default: nothing imports them)
"""

import os
import re
import sys

ALLOWED = [{"src/core/template/value.rs", "src/core/template/map.rs"}]

MOD_DECL = re.compile(r'^\s*(?:#\[path\s*=\s*"([^"]+)"\]\s*)?(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;', re.M)
PATH_ATTR = re.compile(r'#\[path\s*=\s*"([^"]+)"\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;')
USE_STMT = re.compile(r'^\s*(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);', re.M)
INLINE_CRATE = re.compile(r'\bcrate(?:::\w+)+')


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    return re.sub(r'//[^\n]*', '', text)


def expand(tree):
    """`a::{b, c::{d, e}}` -> [['a','b'], ['a','c','d'], ['a','c','e']]."""
    tree = re.sub(r'\s+', ' ', tree)
    out = []

    def walk(prefix, s):
        # split s at top-level commas
        parts, depth, cur = [], 0, ''
        for ch in s:
            if ch == ',' and depth == 0:
                parts.append(cur)
                cur = ''
                continue
            depth += ch == '{'
            depth -= ch == '}'
            cur += ch
        parts.append(cur)
        for p in parts:
            p = p.strip()
            if not p:
                continue
            brace = p.find('{')
            if brace >= 0:
                head = [x.strip() for x in p[:brace].split('::') if x.strip()]
                walk(prefix + head, p[brace + 1:p.rindex('}')])
            else:
                name = p.split(' as ')[0]
                out.append(prefix + [x.strip() for x in name.split('::') if x.strip()])

    walk([], tree)
    return out


def test_only(text, start):
    """Whether the attributes right above the declaration at `start` hold #[cfg(test)]."""
    for line in reversed(text[:start].rstrip('\n').split('\n')[-3:]):
        line = line.strip()
        if not line.startswith('#['):
            return False
        if line == '#[cfg(test)]':
            return True
    return False


def module_tree(src, tests):
    """Maps module path (tuple) -> file."""
    mods = {}

    def visit(path, modpath, dir_for_children):
        mods[modpath] = path
        text = strip_comments(open(path, encoding='utf-8').read())
        declared = set()
        for m in PATH_ATTR.finditer(text):
            rel, name = m.group(1), m.group(2)
            declared.add(name)
            if not tests and test_only(text, m.start()):
                continue
            child = os.path.normpath(os.path.join(os.path.dirname(path), rel))
            if os.path.exists(child):
                visit(child, modpath + (name,), os.path.join(os.path.dirname(child), name))
        for m in MOD_DECL.finditer(text):
            name = m.group(2)
            if name in declared or m.group(1):
                continue
            if not tests and test_only(text, m.start()):
                continue
            for cand, sub in ((os.path.join(dir_for_children, name + '.rs'), os.path.join(dir_for_children, name)),
                              (os.path.join(dir_for_children, name, 'mod.rs'), os.path.join(dir_for_children, name))):
                if os.path.exists(cand):
                    visit(cand, modpath + (name,), sub)
                    break

    visit(os.path.join(src, 'lib.rs'), (), src)
    return mods


def resolve(segments, here, mods):
    """The file of the longest module prefix of an absolute path."""
    best = None
    for i in range(len(segments), -1, -1):
        if tuple(segments[:i]) in mods:
            best = mods[tuple(segments[:i])]
            break
    return best


def absolute(seg, modpath):
    if not seg:
        return None
    if seg[0] == 'crate':
        return seg[1:]
    if seg[0] in ('super', 'self'):
        base = list(modpath)
        while seg and seg[0] in ('super', 'self'):
            if seg[0] == 'super':
                base = base[:-1]
            seg = seg[1:]
        return base + seg
    return None  # extern crate or std


def graph(src, tests):
    mods = module_tree(src, tests)
    edges = {f: set() for f in mods.values()}
    for modpath, path in mods.items():
        text = strip_comments(open(path, encoding='utf-8').read())
        paths = []
        for m in USE_STMT.finditer(text):
            if m.group(1):  # pub use: a re-export, not a dependency
                continue
            paths.extend(expand(m.group(2)))
        body = USE_STMT.sub('', text)
        for m in INLINE_CRATE.finditer(body):
            paths.append(m.group(0).split('::'))
        for seg in paths:
            a = absolute(seg, modpath)
            if a is None:
                continue
            target = resolve(a, modpath, mods)
            if target and target != path:
                edges[path].add(target)
    return edges


def sccs(edges):
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    sys.setrecursionlimit(10000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return out


def folders(edges, src):
    """The same graph between the modules directly under src/core (a folder counts as one)."""
    def unit(f):
        rel = os.path.relpath(f, src).split(os.sep)
        if len(rel) > 2 and rel[0] == 'core':
            return os.path.join(src, rel[0], rel[1])
        if len(rel) == 2 and rel[0] == 'core' and rel[1] != 'mod.rs':
            return os.path.join(src, rel[0], rel[1][:-3])
        if len(rel) > 1:
            return os.path.join(src, rel[0])
        return f
    out = {}
    for a, bs in edges.items():
        out.setdefault(unit(a), set())
        for b in bs:
            if unit(a) != unit(b):
                out[unit(a)].add(unit(b))
    return out


def report(edges, what):
    found = 0
    for comp in sorted(sccs(edges), key=lambda c: sorted(c)):
        allowed = any(comp == a for a in ALLOWED)
        # the edges inside the component, to see where to cut
        inner = sorted((a, b) for a in comp for b in edges[a] if b in comp)
        print(('allowed ' if allowed else 'cycle   ') + ' <-> '.join(sorted(comp)))
        for a, b in inner:
            print(f'          {a} -> {b}')
        found += not allowed
    print(f'{found} cycle(s) between {what}')
    return found


def main():
    args = sys.argv[1:]
    tests = '--tests' in args
    args = [a for a in args if a != '--tests']
    src = args[0] if args else 'src'
    edges = graph(src, tests)
    what = 'files' + (' (test modules included)' if tests else ' (test modules left out; --tests counts them)')
    found = report(edges, f'the {len(edges)} {what} of {src}/ (recursive types allowed: {len(ALLOWED)})')
    units = folders(edges, src)
    found += report(units, f'the {len(units)} modules of {src}/core/ (a folder counts as one)')
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
