#!/usr/bin/env node
// Advisory database benchmark (docs/advisories.md, issue 5's targets):
//   1. `bulwark advisories import` of 50,000 OSV files (one advisory per file, as GitHub's and
//      OSV's exports are laid out)                                     target < 30 s
//   2. the npm audit bulk request of a 2,000-package lockfile against those 50,000 advisories,
//      timed inside the server (its Server-Timing header)              target < 10 ms
// The data is generated with a fixed seed; nothing is downloaded.
//
// Usage: node bench.mjs BULWARK_BIN [advisories=50000] [packages=2000] [requests=50]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { mulberry32 } from '../../tests/differential/prng.mjs';

const [bin, nAdvisories = 50000, nPackages = 2000, nRequests = 50] = process.argv.slice(2);
if (!bin) {
  console.error('usage: node bench.mjs BULWARK_BIN [advisories] [packages] [requests]');
  process.exit(2);
}
const ADVISORIES = Number(nAdvisories);
const PACKAGES = Number(nPackages);
const REQUESTS = Number(nRequests);
const IMPORT_TARGET_S = 30;
const BULK_TARGET_MS = 10;

const rand = mulberry32(20261123);
const int = (n) => Math.floor(rand() * n);

// Package names: 20,000 names carry the 50,000 advisories (a few carry dozens, as popular
// packages do); the lockfile's 2,000 packages are drawn from them and from clean names.
const names = Array.from({ length: Math.max(1, Math.floor(ADVISORIES * 0.4)) },
  (_, i) => (i % 7 === 0 ? `@scope${i % 50}/pkg-${i}` : `pkg-${i}`));
const pickName = () => names[Math.floor(Math.pow(rand(), 2) * names.length)];
const version = () => `${int(5)}.${int(20)}.${int(10)}`;
const SEVERITIES = ['LOW', 'MODERATE', 'HIGH', 'CRITICAL'];
const VECTORS = ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
  'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H'];

function advisory(i) {
  const pkg = pickName();
  const major = int(5);
  const events = [{ introduced: rand() < 0.4 ? '0' : `${major}.0.0` },
    { fixed: `${major}.${1 + int(19)}.${int(10)}` }];
  const ranges = [{ type: 'ECOSYSTEM', events }];
  if (rand() < 0.3) ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: `${major + 1}.0.0` }, { last_affected: `${major + 1}.${int(5)}.0` }] });
  const id = `GHSA-bench-${String(i).padStart(6, '0')}`;
  return {
    schema_version: '1.6.0', id, modified: '2025-01-01T00:00:00Z', published: '2024-06-01T00:00:00Z',
    aliases: [`CVE-2025-${10000 + i}`],
    summary: `Generated vulnerability ${i} in ${pkg}`,
    details: `A generated advisory for the benchmark. ${'Lorem ipsum dolor sit amet. '.repeat(8)}`,
    severity: [{ type: 'CVSS_V3', score: VECTORS[i % VECTORS.length] }],
    affected: [{ package: { ecosystem: 'npm', name: pkg }, ranges,
      database_specific: { source: 'bench' } }],
    references: [{ type: 'ADVISORY', url: `https://example.com/advisories/${id}` },
      { type: 'WEB', url: `https://example.com/${pkg}/issues/${i}` }],
    database_specific: { cwe_ids: [`CWE-${79 + (i % 50)}`], severity: SEVERITIES[i % 4], github_reviewed: true },
  };
}

const work = mkdtempSync(join(tmpdir(), 'bulwark-bench-advisories-'));
const data = join(work, 'data');
const osv = join(work, 'osv');
let server;
try {
  // ---- Generate and import.
  let t0 = performance.now();
  for (let i = 0; i < ADVISORIES; ++i) {
    const dir = join(osv, String(Math.floor(i / 1000)));
    if (i % 1000 === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `GHSA-bench-${i}.json`), JSON.stringify(advisory(i), null, 2));
  }
  console.log(`bench: generated ${ADVISORIES} OSV files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t0 = performance.now();
  const imp = spawnSync(bin, ['advisories', 'import', osv, '--data', data, '--json'], { encoding: 'utf8' });
  const importSeconds = (performance.now() - t0) / 1000;
  if (imp.status !== 0) throw new Error(`import failed: ${imp.stderr}`);
  const counts = JSON.parse(imp.stdout);
  if (counts.new !== ADVISORIES) throw new Error(`imported ${counts.new}, wanted ${ADVISORIES}`);

  // ---- Serve and audit.
  server = spawn(bin, ['serve', '--data', data, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  const request = {};
  while (Object.keys(request).length < PACKAGES) {
    const name = rand() < 0.8 ? pickName() : `clean-${int(1e9)}`;
    request[name] = Array.from({ length: 1 + int(2) }, version);
  }
  const body = gzipSync(JSON.stringify(request));
  async function audit() {
    const start = performance.now();
    const res = await fetch(`${url}/-/npm/v1/security/advisories/bulk`, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    const answer = await res.json();
    const roundTrip = performance.now() - start;
    if (res.status !== 200) throw new Error(`bulk answered ${res.status}`);
    const timing = res.headers.get('server-timing') || '';
    const server = Number(/audit;dur=([\d.]+)/.exec(timing)?.[1]);
    const cpu = Number(/cpu;dur=([\d.]+)/.exec(timing)?.[1]);
    return { server, cpu, roundTrip, answer };
  }
  const first = await audit();  // Builds the in-memory index of the 50,000 advisories.
  const serverMs = [];
  const cpuMs = [];
  const roundTripMs = [];
  for (let i = 0; i < REQUESTS; ++i) {
    const r = await audit();
    serverMs.push(r.server);
    cpuMs.push(r.cpu);
    roundTripMs.push(r.roundTrip);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];
  const flagged = Object.keys(first.answer).length;
  const entries = Object.values(first.answer).reduce((n, a) => n + a.length, 0);

  const cpus = os.cpus().length;
  console.log(`bench: machine: ${cpus} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} ` +
    '(elapsed times grow with the load; CPU time does not)');
  const line = (what, got, unit, target) =>
    console.log(`${what.padEnd(58)} ${got.toFixed(2).padStart(9)} ${unit}   target < ${target} ${unit}   ${got < target ? 'OK' : 'MISSED'}`);
  console.log(`bench: bulk request: ${PACKAGES} packages, ${Object.values(request).flat().length} versions; ` +
    `${flagged} packages flagged with ${entries} advisories`);
  line(`import ${ADVISORIES} OSV files (bulwark advisories import)`, importSeconds, 's', IMPORT_TARGET_S);
  line(`bulk audit, server-side, median of ${REQUESTS}`, median(serverMs), 'ms', BULK_TARGET_MS);
  line(`bulk audit, server-side, p95`, p95(serverMs), 'ms', BULK_TARGET_MS);
  line(`bulk audit, server-side CPU time, median`, median(cpuMs), 'ms', BULK_TARGET_MS);
  console.log(`${'bulk audit, client round trip (loopback), median'.padEnd(58)} ${median(roundTripMs).toFixed(2).padStart(9)} ms`);
  console.log(`${'first bulk request after the import (builds the index)'.padEnd(58)} ${first.server.toFixed(2).padStart(9)} ms`);
  process.exitCode = importSeconds < IMPORT_TARGET_S && median(serverMs) < BULK_TARGET_MS ? 0 : 1;
} finally {
  if (server && server.exitCode === null) {
    const done = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await done;
  }
  rmSync(work, { recursive: true, force: true });
}
