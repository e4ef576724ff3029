#!/usr/bin/env node
// Differential test of the advisory engine (src/security/advisories, through
// tests/differential/advisory_tool.cc) against the npm `semver` package: for every advisory of
// the test sets — the Node Security WG export (468 lines), the OSV samples in
// tests/advisories/osv/, and seeded random OSV advisories (unsorted events, ties, "0",
// last_affected, limit, explicit versions, prereleases) — and every version of the affected
// packages (each bound of every advisory on that package, its neighbours, prereleases and a
// grid), three answers must agree:
//   1. the OSV evaluation of the events as stored (the tool, C++),
//   2. the emitted vulnerable_versions range, evaluated by npm's semver as npm audit does
//      (satisfies with {includePrerelease: true, loose: true}),
//   3. an independent evaluation of the OSV algorithm written here over semver.compare,
// and for the Node Security WG set also the range as published.
//
// Usage: node advisories.mjs path/to/advisory_tool NSWG.jsonl.gz OSV_DIR [seed] [random_count]

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { mulberry32 } from './prng.mjs';

const require = createRequire(import.meta.url);
const semver = require('../node_modules/semver');
const npmOpts = { includePrerelease: true, loose: true };

const [tool, nswgFile, osvDir] = process.argv.slice(2);
if (!tool || !nswgFile || !osvDir) {
  console.error('usage: node advisories.mjs advisory_tool NSWG.jsonl.gz OSV_DIR [seed] [count]');
  process.exit(2);
}
const seed = Number(process.argv[5] ?? 20261123);
const randomCount = Number(process.argv[6] ?? 3000);

const rand = mulberry32(seed);
const int = (n) => Math.floor(rand() * n);
const pick = (xs) => xs[int(xs.length)];

// ---- Versions to ask about.
function around(v, out) {
  const p = semver.parse(v, npmOpts);
  if (!p) return;
  out.add(p.version);
  out.add(`${p.version}${p.prerelease.length ? '.0' : '-0'}`);
  for (const [ma, mi, pa] of [[p.major, p.minor, p.patch + 1], [p.major, p.minor + 1, 0],
    [p.major + 1, 0, 0], [p.major, p.minor, Math.max(0, p.patch - 1)],
    [p.major, Math.max(0, p.minor - 1), 9], [Math.max(0, p.major - 1), 9, 9]]) {
    out.add(`${ma}.${mi}.${pa}`);
    out.add(`${ma}.${mi}.${pa}-0`);
    out.add(`${ma}.${mi}.${pa}-beta.1`);
  }
}
function gridVersions(out) {
  for (let ma = 0; ma < 4; ++ma) {
    for (let mi = 0; mi < 3; ++mi) {
      for (let pa = 0; pa < 3; ++pa) out.add(`${ma}.${mi}.${pa}`);
    }
  }
  out.add('0.0.0-0');
  out.add('999.0.0');
}
function rangeBounds(range) {
  const out = [];
  for (const set of new semver.Range(range, npmOpts).set) {
    for (const c of set) if (c.semver && c.semver.version) out.push(c.semver.version);
  }
  return out;
}

// ---- The OSV algorithm, independently (schema "Evaluation"), over npm semver ordering.
const KIND = { introduced: 0, fixed: 1, last_affected: 2 };
function osvAffected(doc, pkg, version) {
  const v = semver.parse(version, npmOpts);
  if (!v || doc.withdrawn) return false;
  for (const aff of doc.affected || []) {
    if (aff.package?.ecosystem !== 'npm' || aff.package?.name !== pkg) continue;
    for (const listed of aff.versions || []) {
      const l = semver.parse(listed, npmOpts);
      if (l && semver.compare(l, v, npmOpts) === 0) return true;
    }
    for (const range of aff.ranges || []) {
      if (range.type !== 'SEMVER' && range.type !== 'ECOSYSTEM') continue;
      const limits = range.events.filter((e) => 'limit' in e).map((e) => e.limit);
      if (limits.length && !limits.some((l) => l.includes('*') ||
          (semver.valid(l, npmOpts) && semver.compare(v, l, npmOpts) < 0))) continue;
      const events = range.events.filter((e) => !('limit' in e)).map((e) => {
        const [kind, ver] = Object.entries(e)[0];
        return { kind, ver, zero: kind === 'introduced' && ver === '0' };
      });
      events.sort((a, b) => {
        if (a.zero !== b.zero) return a.zero ? -1 : 1;
        if (!a.zero) {
          const c = semver.compare(a.ver, b.ver, npmOpts);
          if (c !== 0) return c;
        }
        return KIND[a.kind] - KIND[b.kind];
      });
      let vulnerable = false;
      for (const e of events) {
        if (e.kind === 'introduced' && (e.zero || semver.compare(v, e.ver, npmOpts) >= 0)) {
          vulnerable = true;
        } else if (e.kind === 'fixed' && semver.compare(v, e.ver, npmOpts) >= 0) {
          vulnerable = false;
        } else if (e.kind === 'last_affected' && semver.compare(v, e.ver, npmOpts) > 0) {
          vulnerable = false;
        }
      }
      if (vulnerable) return true;
    }
  }
  return false;
}

// ---- The test sets.
const requests = [];  // {kind, query, given?, doc?, pkg}
const nswgText = gunzipSync(readFileSync(nswgFile)).toString('utf8');
const nswg = nswgText.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
  .filter((o) => o.module_name);
const versionsByPackage = new Map();
const addVersions = (pkg, fill) => {
  if (!versionsByPackage.has(pkg)) {
    const s = new Set();
    gridVersions(s);
    versionsByPackage.set(pkg, s);
  }
  fill(versionsByPackage.get(pkg));
};
for (const o of nswg) {
  addVersions(o.module_name, (s) => {
    for (const b of rangeBounds(o.vulnerable_versions || '*')) around(b, s);
    for (const b of rangeBounds(o.patched_versions || '<0.0.0')) around(b, s);
  });
}
const osvDocs = readdirSync(osvDir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => ({ file: f, doc: JSON.parse(readFileSync(join(osvDir, f), 'utf8')) }));
if (osvDocs.length < 5) throw new Error(`only ${osvDocs.length} OSV samples in ${osvDir}`);

// Seeded random OSV advisories over a small pool of versions, so that ties and overlaps occur.
const POOL = ['0.0.1', '0.1.0', '0.9.9', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '1.0.0',
  '1.0.1', '1.2.0', '1.2.3-rc.1', '1.2.3', '1.10.0', '2.0.0-0', '2.0.0', '2.1.0', '3.0.0'];
for (let i = 0; i < randomCount; ++i) {
  const ranges = [];
  for (let r = 0, n = 1 + int(2); r < n; ++r) {
    const events = [];
    for (let e = 0, m = 1 + int(5); e < m; ++e) {
      const k = int(10);
      if (k < 4) events.push({ introduced: rand() < 0.25 ? '0' : pick(POOL) });
      else if (k < 7) events.push({ fixed: pick(POOL) });
      else if (k < 9) events.push({ last_affected: pick(POOL) });
      else events.push({ limit: rand() < 0.3 ? '*' : pick(POOL) });
    }
    if (!events.some((e) => 'introduced' in e)) events.unshift({ introduced: pick(['0', ...POOL]) });
    ranges.push({ type: rand() < 0.5 ? 'SEMVER' : 'ECOSYSTEM', events });
  }
  const affected = [{ package: { ecosystem: 'npm', name: 'rnd' }, ranges }];
  if (rand() < 0.3) affected[0].versions = [pick(POOL), pick(POOL)];
  if (rand() < 0.2) affected.push({ package: { ecosystem: 'npm', name: 'rnd' }, versions: [pick(POOL)] });
  osvDocs.push({ file: `random-${i}`, doc: { id: `RND-${i}`, modified: '2026-01-01T00:00:00Z', affected } });
}
for (const { doc } of osvDocs) {
  for (const aff of doc.affected || []) {
    if (aff.package?.ecosystem !== 'npm') continue;
    addVersions(aff.package.name, (s) => {
      for (const r of aff.ranges || []) {
        for (const e of r.events) {
          const v = Object.values(e)[0];
          if (v !== '0' && !v.includes('*')) around(v, s);
        }
      }
      for (const v of aff.versions || []) around(v, s);
      for (const v of POOL) s.add(v);
    });
  }
}

const lines = [];
for (const o of nswg) {
  const versions = [...versionsByPackage.get(o.module_name)];
  requests.push({ kind: 'nswg', given: o.vulnerable_versions || '*', pkg: o.module_name, versions, name: `NSWG ${o.id}` });
  lines.push(JSON.stringify({ npm: JSON.stringify(o), versions }));
}
for (const { file, doc } of osvDocs) {
  for (const pkg of new Set((doc.affected || []).filter((a) => a.package?.ecosystem === 'npm')
    .map((a) => a.package.name))) {
    const versions = [...versionsByPackage.get(pkg)];
    requests.push({ kind: 'osv', doc, pkg, versions, name: `${file} ${pkg}` });
    lines.push(JSON.stringify({ osv: doc, package: pkg, versions }));
  }
}

const res = spawnSync(tool, [], { input: lines.join('\n') + '\n', encoding: 'utf8',
  maxBuffer: 1 << 30 });
if (res.status !== 0) {
  console.error(`advisory_tool failed: ${res.stderr}`);
  process.exit(1);
}
const answers = res.stdout.trim().split('\n').map((l) => JSON.parse(l));
if (answers.length !== requests.length) {
  console.error(`asked ${requests.length}, answered ${answers.length}`);
  process.exit(1);
}

let checks = 0;
let failures = 0;
const fail = (msg) => {
  if (++failures <= 20) console.error(msg);
};
for (let i = 0; i < requests.length; ++i) {
  const q = requests[i];
  const a = answers[i];
  if (a.error) {
    fail(`${q.name}: ${a.error}`);
    continue;
  }
  if (semver.validRange(a.range, npmOpts) === null) {
    fail(`${q.name}: emitted range "${a.range}" does not parse`);
    continue;
  }
  q.versions.forEach((v, k) => {
    const stored = a.affected[k];
    const emitted = semver.satisfies(v, a.range, npmOpts);
    const reference = q.kind === 'osv' ? osvAffected(q.doc, q.pkg, v)
      : semver.satisfies(v, q.given, npmOpts);
    ++checks;
    if (stored !== emitted || stored !== reference) {
      fail(`${q.name} version ${v}: stored events say ${stored}, emitted range "${a.range}" ` +
        `says ${emitted}, ${q.kind === 'osv' ? 'the OSV algorithm over npm semver' : `published "${q.given}"`} says ${reference}`);
    }
  });
}
const advisories = new Set(requests.map((q) => q.name)).size;
console.log(`advisory differential: ${advisories} advisory/package pairs (${nswg.length} Node ` +
  `Security WG, ${osvDocs.length - randomCount} OSV samples, ${randomCount} random), ` +
  `${checks} version checks, ${failures} disagreements`);
if (nswg.length < 467) {
  console.error(`expected the 467 Node Security WG advisories, read ${nswg.length}`);
  process.exit(1);
}
process.exit(failures ? 1 : 0);
