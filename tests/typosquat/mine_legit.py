#!/usr/bin/env python3
"""Mines legitimate near-neighbour pairs for the typosquat corpus.

Two names both among the 10,000 most downloaded npm packages and within two edits of each other
(optimal string alignment) are legitimate by construction: npm's users chose both, millions of
times a month. Usage: mine_legit.py ../shared/data/npm-popularity.tsv.gz > mined-legit.tsv
"""
import gzip
import sys
from itertools import combinations

TOP = 10000


def osa(a, b, limit=2):
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def deletes(s, depth):
    out = {s}
    frontier = {s}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def main():
    rows = []
    with gzip.open(sys.argv[1], "rt") as f:
        next(f)
        for line in f:
            name, downloads = line.rstrip("\n").split("\t")
            rows.append((name, int(downloads)))
            if len(rows) == TOP:
                break
    index = {}
    for name, _ in rows:
        for d in deletes(name, 2):
            index.setdefault(d, set()).add(name)
    pairs = set()
    for name, _ in rows:
        near = set()
        for d in deletes(name, 2):
            near |= index.get(d, set())
        for other in near:
            if other != name and osa(name, other) <= 2:
                pairs.add(tuple(sorted((name, other))))
    for a, b in sorted(pairs):
        print(f"{a}\t{b}\tmined:top10k-osa{osa(a, b)}")
    print(f"# {len(pairs)} pairs", file=sys.stderr)


if __name__ == "__main__":
    main()
