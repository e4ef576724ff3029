// End-to-end: `npm audit` against Bulwark's advisory database. An OSV advisory imported with
// `bulwark advisories import` makes npm report, fail and fix; a clean project stays clean.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { Registry, Client, makePackage, out, tempDir, testsDir } from './harness.mjs';

const semver = createRequire(import.meta.url)(join(testsDir, 'node_modules', 'semver'));
// How npm reads vulnerable_versions (@npmcli/metavuln-calculator/lib/advisory.js).
const npmOpts = { includePrerelease: true, loose: true };
const nswgFile = join(testsDir, '..', 'data', 'nodejs-security-wg-npm-advisories.jsonl.gz');

let reg, alice, cli, work;

const advisory = {
  schema_version: '1.6.0',
  id: 'GHSA-test-vuln-0001',
  modified: '2026-01-02T03:04:05Z',
  published: '2026-01-01T00:00:00Z',
  aliases: ['CVE-2026-0001'],
  summary: 'Remote code execution in vuln-lib',
  details: 'vuln-lib before 1.0.1 evaluates its input.',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
  affected: [{
    package: { ecosystem: 'npm', name: 'vuln-lib' },
    ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.1' }] }],
  }],
  references: [{ type: 'ADVISORY', url: 'https://example.com/advisories/vuln-lib' }],
  database_specific: { cwe_ids: ['CWE-94'] },
};

function project(name, deps) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', private: true, dependencies: deps }, null, 2));
  return dir;
}

before(async () => {
  reg = new Registry();
  await reg.start();
  alice = reg.addUser('alice');
  cli = new Client(reg, await reg.token(alice));
  work = tempDir('bulwark-audit-');
  for (const version of ['1.0.0', '1.0.1']) {
    const dir = makePackage(join(work, `vuln-lib-${version}`), { name: 'vuln-lib', version });
    const r = cli.npm(['publish'], { cwd: dir });
    assert.equal(r.status, 0, out(r));
  }
  const safe = makePackage(join(work, 'safe-lib'), { name: 'safe-lib', version: '2.0.0' });
  const r = cli.npm(['publish'], { cwd: safe });
  assert.equal(r.status, 0, out(r));
});

after(async () => {
  await reg.stop();
  cli.cleanup();
  rmSync(work, { recursive: true, force: true });
  reg.cleanup();
});

test('advisories import: an OSV file and a folder, counted; re-import is unchanged', () => {
  const folder = join(work, 'osv');
  mkdirSync(join(folder, 'nested'), { recursive: true });
  writeFileSync(join(folder, 'nested', `${advisory.id}.json`), JSON.stringify(advisory));
  writeFileSync(join(folder, 'not-osv.json'), '{"hello": "world"}');
  let r = reg.cli(['advisories', 'import', folder, '--json']);
  assert.equal(r.status, 1, out(r));  // One file was not an advisory.
  const counts = JSON.parse(r.stdout);
  assert.equal(counts.new, 1);
  assert.equal(counts.errors, 1);
  assert.match(r.stderr, /not-osv\.json: OSV advisory has no "id"/);
  r = reg.cli(['advisories', 'import', join(folder, 'nested', `${advisory.id}.json`)]);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /0 new, 0 updated, 1 unchanged/);
  // A zip archive of OSV files, the form OSV and GitHub publish their databases in.
  const zip = join(work, 'osv.zip');
  const other = { ...advisory, id: 'MAL-2026-0001', summary: 'Malicious code in evil-lib',
    severity: [], affected: [{ package: { ecosystem: 'npm', name: 'evil-lib' },
      versions: ['6.6.6'] }] };
  const py = spawnSync('python3', ['-c', `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('osv/MAL-2026-0001.json', sys.argv[2])
    z.writestr('osv/README.txt', 'not an advisory')`, zip, JSON.stringify(other)], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  r = reg.cli(['advisories', 'import', zip]);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /^1 new, 0 updated, 0 unchanged/);
  r = reg.cli(['advisories', 'list', '--package', 'evil-lib', '--json']);
  assert.equal(r.status, 0, out(r));
  assert.deepEqual(JSON.parse(r.stdout), [{ id: 'MAL-2026-0001', severity: 'critical',
    summary: 'Malicious code in evil-lib', withdrawn: false, affected: ['evil-lib 6.6.6'] }]);
  r = reg.cli(['advisories', 'list', '--package', 'vuln-lib']);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /GHSA-test-vuln-0001 {2}high {2}Remote code execution in vuln-lib/);
  assert.match(r.stdout, /vuln-lib <1\.0\.1/);
});

test('the bulk endpoint answers gzip bodies with only affected packages', async () => {
  const res = await fetch(`${reg.url}/-/npm/v1/security/advisories/bulk`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gzipSync(JSON.stringify({ 'vuln-lib': ['1.0.0'], 'safe-lib': ['2.0.0'] })),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(Object.keys(body), ['vuln-lib']);
  assert.deepEqual(body['vuln-lib'][0], {
    id: 'GHSA-test-vuln-0001', url: 'https://example.com/advisories/vuln-lib',
    title: 'Remote code execution in vuln-lib', severity: 'high', vulnerable_versions: '<1.0.1',
    cwe: ['CWE-94'],
    cvss: { score: 7.5, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' },
  });
  const fixed = await fetch(`${reg.url}/-/npm/v1/security/advisories/bulk`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ 'vuln-lib': ['1.0.1'] }),
  });
  assert.deepEqual(await fixed.json(), {});
});

test('npm audit reports, --json counts, --audit-level, and audit fix moves to 1.0.1', () => {
  const dir = project('app', { 'vuln-lib': '^1.0.0' });
  let r = cli.npm(['install', 'vuln-lib@1.0.0', '--save-exact=false'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  // Allow ^1.0.0 so that the fix stays within the declared range.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({
    name: 'app', version: '1.0.0', private: true, dependencies: { 'vuln-lib': '^1.0.0' },
  }, null, 2));
  const lock = () => JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  assert.equal(lock().packages['node_modules/vuln-lib'].version, '1.0.0');

  r = cli.npm(['audit'], { cwd: dir });
  assert.notEqual(r.status, 0, out(r));
  // npm prints the vulnerable range simplified over the published versions.
  assert.match(r.stdout, /vuln-lib {2}1\.0\.0\n/);
  assert.match(r.stdout, /Severity: high/);
  assert.match(r.stdout, /Remote code execution in vuln-lib - https:\/\/example\.com\/advisories\/vuln-lib/);
  assert.match(r.stdout, /1 high severity vulnerability/);

  r = cli.npm(['audit', '--json'], { cwd: dir });
  assert.notEqual(r.status, 0, out(r));
  const report = JSON.parse(r.stdout);
  assert.equal(report.metadata.vulnerabilities.high, 1, r.stdout);
  assert.equal(report.metadata.vulnerabilities.total, 1, r.stdout);
  assert.equal(report.vulnerabilities['vuln-lib'].via[0].source, 'GHSA-test-vuln-0001');
  assert.deepEqual(report.vulnerabilities['vuln-lib'].via[0].cwe, ['CWE-94']);

  r = cli.npm(['audit', '--audit-level=critical'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  r = cli.npm(['audit', '--audit-level=high'], { cwd: dir });
  assert.notEqual(r.status, 0, out(r));

  r = cli.npm(['audit', 'fix'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  assert.equal(lock().packages['node_modules/vuln-lib'].version, '1.0.1');
  r = cli.npm(['audit'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /found 0 vulnerabilities/);
});

test('a project without vulnerable dependencies: found 0 vulnerabilities', () => {
  const dir = project('clean', { 'safe-lib': '2.0.0' });
  let r = cli.npm(['install'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  r = cli.npm(['audit'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /found 0 vulnerabilities/);
});

test('the legacy quick-audit endpoint reports findings with paths', async () => {
  const res = await fetch(`${reg.url}/-/npm/v1/security/audits/quick`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'x', version: '1.0.0',
      dependencies: { 'safe-lib': { version: '2.0.0', dependencies: { 'vuln-lib': { version: '1.0.0' } } } },
    }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.metadata.vulnerabilities.high, 1);
  assert.deepEqual(body.advisories['GHSA-test-vuln-0001'].findings,
    [{ version: '1.0.0', paths: ['safe-lib>vuln-lib'] }]);
});

test('a withdrawn advisory stops matching', async () => {
  const withdrawn = { ...advisory, modified: '2026-02-01T00:00:00Z', withdrawn: '2026-02-01T00:00:00Z' };
  const file = join(work, 'withdrawn.json');
  writeFileSync(file, JSON.stringify(withdrawn));
  const r = reg.cli(['advisories', 'import', file]);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /0 new, 1 updated, 0 unchanged, 0 older than stored \(kept\), 1 withdrawn/);
  const res = await fetch(`${reg.url}/-/npm/v1/security/advisories/bulk`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ 'vuln-lib': ['1.0.0'] }),
  });
  assert.deepEqual(await res.json(), {});
});

test('advisories withdraw: the malware advisory stops matching; unknown ids fail', async () => {
  let r = reg.cli(['advisories', 'withdraw', 'MAL-2026-0001']);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /withdrew MAL-2026-0001/);
  r = reg.cli(['advisories', 'withdraw', 'MAL-2026-0001']);
  assert.match(r.stdout, /already withdrawn/);
  r = reg.cli(['advisories', 'withdraw', 'NOPE-1']);
  assert.equal(r.status, 2, out(r));
  assert.match(r.stderr, /advisory not found/);
  const res = await fetch(`${reg.url}/-/npm/v1/security/advisories/bulk`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ 'evil-lib': ['6.6.6'] }),
  });
  assert.deepEqual(await res.json(), {});
});

// Versions around every bound of a range: each comparator's version and its neighbours.
function probes(range) {
  const out = new Set(['0.0.0-0', '0.0.0', '999.0.0']);
  for (const set of new semver.Range(range, npmOpts).set) {
    for (const c of set) {
      if (!c.semver || !c.semver.version) continue;
      const v = c.semver;
      out.add(v.version);
      out.add(`${v.version}${v.prerelease.length ? '.0' : '-0'}`);
      for (const [ma, mi, pa] of [[v.major, v.minor, v.patch + 1], [v.major, v.minor + 1, 0],
        [v.major + 1, 0, 0], [v.major, v.minor, Math.max(0, v.patch - 1)],
        [v.major, Math.max(0, v.minor - 1), 9], [Math.max(0, v.major - 1), 9, 9]]) {
        out.add(`${ma}.${mi}.${pa}`);
        out.add(`${ma}.${mi}.${pa}-0`);
        out.add(`${ma}.${mi}.${pa}-beta.1`);
      }
    }
  }
  return [...out];
}

test('every Node Security WG advisory: the range served means what the published one does ' +
     '(checked with npm\'s own semver)', async () => {
  const text = gunzipSync(readFileSync(nswgFile)).toString('utf8');
  const r = reg.cli(['advisories', 'import', nswgFile]);
  assert.equal(r.status, 0, out(r));
  const given = new Map();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line);
    if (o.module_name) given.set(o.module_name + ' ' + o.id, o.vulnerable_versions);
  }
  const byPackage = {};
  for (const key of given.keys()) {
    const [name, id] = key.split(' ');
    (byPackage[name] ||= []).push(id);
  }
  // Ask for every version anyone could have installed: each package with all its probes.
  const request = {};
  for (const key of given.keys()) {
    const [name] = key.split(' ');
    request[name] = [...new Set([...(request[name] || []), ...probes(given.get(key))])];
  }
  const res = await fetch(`${reg.url}/-/npm/v1/security/advisories/bulk`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gzipSync(JSON.stringify(request)),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  let checked = 0;
  for (const [key, range] of given) {
    const [name, id] = key.split(' ');
    const entry = (body[name] || []).find((e) => e.id === `NSWG-ECO-${id}`);
    const vulnerable = request[name].filter((v) => semver.satisfies(v, range, npmOpts));
    if (vulnerable.length === 0) {
      assert.equal(entry, undefined, `${key}: ${range} affects none of the probes`);
      continue;
    }
    assert.ok(entry, `${key}: ${range} affects ${vulnerable[0]} but was not reported`);
    for (const v of request[name]) {
      assert.equal(semver.satisfies(v, entry.vulnerable_versions, npmOpts),
        semver.satisfies(v, range, npmOpts),
        `${key}: published ${range}, served ${entry.vulnerable_versions}, version ${v}`);
      ++checked;
    }
  }
  assert.ok(given.size >= 467, `${given.size} advisories`);
  assert.ok(checked > 10000, `${checked} checks`);
});
