// End-to-end: the advisory admin commands and API, `bulwark audit` on lockfiles written by the
// real npm (v1, v2, v3), pnpm and yarn berry, and `pnpm audit` / `yarn npm audit` against
// Bulwark's advisory database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, makePackage, out, tempDir, pnpmBin, yarnBin } from './harness.mjs';

let reg, alice, root, cli, rootToken, aliceToken, work;
const ADMIN_API = () => `${reg.url}/-/bulwark/v1/advisories`;

async function api(method, path, { token, body } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${ADMIN_API()}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function bulk(request) {
  const res = await fetch(`${reg.url}/-/npm/v1/security/advisories/bulk`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  assert.equal(res.status, 200);
  return res.json();
}

function project(name, deps) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', private: true, dependencies: deps }, null, 2));
  return dir;
}

function publish(name, version, dependencies = {}) {
  const dir = makePackage(join(work, `${name}-${version}`), { name, version, dependencies });
  const r = cli.npm(['publish'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
}

before(async () => {
  reg = new Registry();
  await reg.start();
  alice = reg.addUser('alice');
  const r = reg.cli(['user', 'add', 'root', '--email', 'root@example.com', '--password-stdin',
    '--admin'], 'correct horse battery\n');
  assert.equal(r.status, 0, out(r));
  root = { name: 'root', password: 'correct horse battery' };
  aliceToken = await reg.token(alice);
  rootToken = await reg.token(root);
  cli = new Client(reg, aliceToken);
  work = tempDir('bulwark-audit-clients-');
  publish('vuln-lib', '1.0.0');
  publish('app-dep', '1.0.0', { 'vuln-lib': '1.0.0' });
  publish('safe-lib', '2.0.0');
});

after(async () => {
  await reg.stop();
  cli.cleanup();
  rmSync(work, { recursive: true, force: true });
  reg.cleanup();
});

test('advisories add: from flags, from an OSV file, edits keep the id; bad input is refused', () => {
  let r = reg.cli(['advisories', 'add', '--id', 'GHSA-e2e-0001', '--package', 'vuln-lib',
    '--range', '<1.0.1', '--severity', 'high', '--summary', 'Code injection in vuln-lib',
    '--cwe', 'CWE-94', '--alias', 'CVE-2026-1111', '--url', 'https://example.com/GHSA-e2e-0001']);
  assert.equal(r.status, 0, out(r));
  assert.equal(r.stdout, 'added GHSA-e2e-0001\n    vuln-lib <1.0.1\n');
  const file = join(work, 'mal.json');
  writeFileSync(file, JSON.stringify({ id: 'MAL-e2e-0001', summary: 'Malicious code in evil-lib',
    affected: [{ package: { ecosystem: 'npm', name: 'evil-lib' }, versions: ['6.6.6'] }] }));
  r = reg.cli(['advisories', 'add', '--file', file]);
  assert.equal(r.status, 0, out(r));
  assert.equal(r.stdout, 'added MAL-e2e-0001\n    evil-lib 6.6.6\n');
  r = reg.cli(['advisories', 'add', '--id', 'MAL-e2e-0001', '--malware', '--package', 'evil-lib',
    '--range', '>=6.6.6 <6.7.0']);
  assert.equal(r.status, 0, out(r));
  assert.equal(r.stdout, 'updated MAL-e2e-0001\n    evil-lib >=6.6.6 <6.7.0\n');
  r = reg.cli(['advisories', 'list', '--package', 'evil-lib', '--json']);
  assert.deepEqual(JSON.parse(r.stdout)[0].affected, ['evil-lib >=6.6.6 <6.7.0']);
  assert.equal(JSON.parse(r.stdout)[0].severity, 'critical');
  // A generated id when none is given.
  r = reg.cli(['advisories', 'add', '--package', 'gen-lib', '--summary', 'Generated id']);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /^added BULWARK-\d{4}-[0-9a-f]{8}\n {4}gen-lib \*\n$/);

  r = reg.cli(['advisories', 'add', '--package', 'x', '--range', 'not a range', '--summary', 's']);
  assert.equal(r.status, 2, out(r));
  assert.match(r.stderr, /not a semver range: "not a range"/);
  r = reg.cli(['advisories', 'add', '--summary', 'no package']);
  assert.equal(r.status, 2, out(r));
  assert.match(r.stderr, /give --file FILE \(an OSV document\) or --package NAME/);
  r = reg.cli(['advisories', 'add', '--id', 'bad id!', '--package', 'x', '--summary', 's']);
  assert.equal(r.status, 2, out(r));
  assert.match(r.stderr, /advisory id "bad id!" must be/);
  r = reg.cli(['advisories', 'add', '--package', 'x', '--summary', 's', '--severity', 'awful']);
  assert.equal(r.status, 2, out(r));
  assert.match(r.stderr, /--severity must be low, moderate, high or critical/);
});

test('admin API: create, read, edit, withdraw; only administrators write', async () => {
  const doc = {
    summary: 'Denial of service in safe-lib',
    affected: [{ package: { ecosystem: 'npm', name: 'safe-lib' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '3.0.0' }] }] }],
    database_specific: { severity: 'moderate' },
  };
  assert.equal((await api('GET', '')).status, 401);
  assert.equal((await api('PUT', '/GHSA-api-0001', { body: doc })).status, 401);
  let r = await api('PUT', '/GHSA-api-0001', { token: aliceToken, body: doc });
  assert.equal(r.status, 403);
  assert.equal(r.body.error, 'only registry administrators can change advisories');
  assert.deepEqual(await bulk({ 'safe-lib': ['2.0.0'] }), {});

  r = await api('PUT', '/GHSA-api-0001', { token: rootToken, body: doc });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(r.body.advisory.affected, { 'safe-lib': '<3.0.0' });
  let found = await bulk({ 'safe-lib': ['2.0.0'] });
  assert.equal(found['safe-lib'][0].title, 'Denial of service in safe-lib');
  assert.equal(found['safe-lib'][0].severity, 'moderate');

  r = await api('GET', '/GHSA-api-0001', { token: aliceToken });
  assert.equal(r.status, 200);
  assert.equal(r.body.id, 'GHSA-api-0001');
  assert.match(r.body.modified, /^\d{4}-\d\d-\d\dT/);
  const firstModified = r.body.modified;

  r = await api('PUT', '/GHSA-api-0001', { token: rootToken,
    body: { ...doc, summary: 'Denial of service in safe-lib (revised)', modified: '2001-01-01T00:00:00Z' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  r = await api('GET', '/GHSA-api-0001', { token: rootToken });
  assert.ok(r.body.modified > firstModified, `${r.body.modified} after ${firstModified}`);
  found = await bulk({ 'safe-lib': ['2.0.0'] });
  assert.equal(found['safe-lib'][0].title, 'Denial of service in safe-lib (revised)');

  r = await api('GET', '?package=safe-lib', { token: aliceToken });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.advisories.map((a) => a.id), ['GHSA-api-0001']);

  r = await api('PUT', '/GHSA-api-0001', { token: rootToken, body: { ...doc, id: 'GHSA-other' } });
  assert.equal(r.status, 400);
  assert.equal(r.body.error, 'the document\'s id "GHSA-other" is not the URL\'s "GHSA-api-0001"');
  r = await api('PUT', '/GHSA-api-0002', { token: rootToken,
    body: { summary: 's', affected: [{ package: { ecosystem: 'npm', name: 'p' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: 'one' }] }] }] } });
  assert.equal(r.status, 400);
  assert.equal(r.body.error, 'GHSA-api-0002: not a semver version: "one"');
  r = await api('PUT', '/GHSA-api-0003', { token: rootToken, body: { summary: 's' } });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /names no npm package/);
  assert.equal((await api('GET', '/GHSA-nope', { token: rootToken })).status, 404);

  // A read-only token of an administrator cannot write.
  const tokenRes = await fetch(`${reg.url}/-/npm/v1/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${rootToken}` },
    body: JSON.stringify({ password: root.password, readonly: true }),
  });
  assert.equal(tokenRes.status, 201, await tokenRes.clone().text());
  const readonly = (await tokenRes.json()).token;
  r = await api('DELETE', '/GHSA-api-0001', { token: readonly });
  assert.equal(r.status, 403);
  assert.equal(r.body.error, 'this token is read-only');

  r = await api('DELETE', '/GHSA-api-0001', { token: aliceToken });
  assert.equal(r.status, 403);
  r = await api('DELETE', '/GHSA-api-0001', { token: rootToken });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.match(r.body.advisory.withdrawn, /^\d{4}-/);
  assert.deepEqual(await bulk({ 'safe-lib': ['2.0.0'] }), {});
  assert.equal((await api('DELETE', '/GHSA-nope', { token: rootToken })).status, 404);
});

// The npm lockfile versions the real npm writes, audited offline.
for (const lockfileVersion of [1, 2, 3]) {
  test(`bulwark audit: package-lock.json v${lockfileVersion} written by npm`, () => {
    const dir = project(`npm-v${lockfileVersion}`, { 'app-dep': '^1.0.0', 'safe-lib': '2.0.0' });
    let r = cli.npm(['install', `--lockfile-version=${lockfileVersion}`], { cwd: dir });
    assert.equal(r.status, 0, out(r));
    const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
    assert.equal(lock.lockfileVersion, lockfileVersion);
    const lockfile = join(dir, 'package-lock.json');
    r = reg.cli(['audit', lockfile]);
    assert.equal(r.status, 1, out(r));
    assert.match(r.stdout, /^# bulwark audit report\n\nvuln-lib {2}<1\.0\.1\nSeverity: high\n/);
    assert.match(r.stdout, /Code injection in vuln-lib - https:\/\/example\.com\/GHSA-e2e-0001\n/);
    assert.match(r.stdout, /Fixed in: >=1\.0\.1\n/);
    assert.match(r.stdout, /node_modules\/vuln-lib {2}\(1\.0\.0\)\n/);
    assert.match(r.stdout, /1 high severity vulnerability \(3 packages audited from package-lock\.json/);
    r = reg.cli(['audit', lockfile, '--json']);
    assert.equal(r.status, 1, out(r));
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.metadata.vulnerabilities,
      { info: 0, low: 0, moderate: 0, high: 1, critical: 0, total: 1 });
    assert.equal(report.metadata.dependencies.total, 3);
    assert.equal(report.vulnerabilities['vuln-lib'].via[0].source, 'GHSA-e2e-0001');
    assert.deepEqual(report.vulnerabilities['vuln-lib'].nodes, ['node_modules/vuln-lib']);
    assert.equal(reg.cli(['audit', lockfile, '--audit-level', 'high']).status, 1);
    assert.equal(reg.cli(['audit', lockfile, '--audit-level', 'critical']).status, 0);
    assert.equal(reg.cli(['audit', dir]).status, 1);  // The folder's lockfile.
  });
}

test('bulwark audit: bad input exits 2 with a clear message', () => {
  const bad = join(work, 'pnpm-lock.yaml');
  writeFileSync(bad, "lockfileVersion: '9.0'\npackages: {a: [\n");
  let r = reg.cli(['audit', bad]);
  assert.equal(r.status, 2, out(r));
  assert.match(r.stderr, /pnpm-lock\.yaml: pnpm-lock\.yaml is not valid YAML/);
  r = reg.cli(['audit', join(work, 'missing.json')]);
  assert.equal(r.status, 2, out(r));
  assert.match(r.stderr, /cannot read .*missing\.json/);
  r = reg.cli(['audit', bad, '--audit-level', 'severe']);
  assert.equal(r.status, 2, out(r));
  assert.match(r.stderr, /--audit-level must be one of info, low, moderate, high, critical, none/);
});

test('pnpm: pnpm-lock.yaml audited by bulwark; pnpm audit, --json, --audit-level, --fix', () => {
  const dir = project('pnpm-app', { 'app-dep': '^1.0.0', 'safe-lib': '2.0.0' });
  const store = ['--store-dir', join(work, 'pnpm-store')];
  let r = cli.run(pnpmBin, ['install', ...store], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  assert.match(readFileSync(join(dir, 'pnpm-lock.yaml'), 'utf8'), /^lockfileVersion: '9\.0'/);
  r = reg.cli(['audit', join(dir, 'pnpm-lock.yaml')]);
  assert.equal(r.status, 1, out(r));
  assert.match(r.stdout, /vuln-lib@1\.0\.0 {2}\(1\.0\.0\)/);
  assert.match(r.stdout, /audited from pnpm-lock\.yaml/);

  r = cli.run(pnpmBin, ['audit'], { cwd: dir });
  assert.equal(r.status, 1, out(r));
  assert.match(r.stdout, /Code injection in vuln-lib/);
  assert.match(r.stdout, /Vulnerable versions\s*│\s*<1\.0\.1/);
  assert.match(r.stdout, /Patched versions\s*│\s*>=1\.0\.1/);
  assert.match(r.stdout, /1 vulnerabilities found\nSeverity: 1 high/);
  r = cli.run(pnpmBin, ['audit', '--json'], { cwd: dir });
  assert.equal(r.status, 1, out(r));
  const report = JSON.parse(r.stdout);
  assert.equal(report.metadata.vulnerabilities.high, 1);
  const advisory = Object.values(report.advisories)[0];
  assert.equal(advisory.module_name, 'vuln-lib');
  assert.deepEqual(advisory.cves, ['CVE-2026-1111']);
  assert.equal(advisory.findings[0].version, '1.0.0');
  r = cli.run(pnpmBin, ['audit', '--audit-level', 'critical'], { cwd: dir });
  assert.equal(r.status, 0, out(r));

  // The fix: pnpm writes overrides from patched_versions; the next install takes 1.0.1.
  publish('vuln-lib', '1.0.1');
  r = cli.run(pnpmBin, ['audit', '--fix'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const overrides = manifest.pnpm?.overrides ?? manifest.overrides ??
    readFileSync(join(dir, 'pnpm-workspace.yaml'), 'utf8');
  assert.match(JSON.stringify(overrides), /vuln-lib@<1\.0\.1.*>=1\.0\.1/);
  r = cli.run(pnpmBin, ['install', '--no-frozen-lockfile', ...store], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  r = cli.run(pnpmBin, ['audit'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /No known vulnerabilities found/);
  assert.equal(reg.cli(['audit', join(dir, 'pnpm-lock.yaml')]).status, 0);
});

function yarnrc(dir) {
  writeFileSync(join(dir, '.yarnrc.yml'), [
    `npmRegistryServer: "${reg.url}"`,
    'unsafeHttpWhitelist: ["127.0.0.1"]',
    `npmAuthToken: "${aliceToken}"`,
    'npmAlwaysAuth: true',
    'nodeLinker: node-modules',
    'enableTelemetry: false',
    'enableGlobalCache: false',
    'npmMinimalAgeGate: 0',
    '',
  ].join('\n'));
}

test('yarn berry: yarn.lock audited by bulwark; yarn npm audit, --json, --severity', () => {
  const dir = project('yarn-app', { 'vuln-lib': '1.0.0', 'app-dep': '^1.0.0' });
  writeFileSync(join(dir, 'yarn.lock'), '');
  yarnrc(dir);
  const yarn = (args) => cli.run(process.execPath, [yarnBin, ...args], { cwd: dir,
    env: { YARN_ENABLE_IMMUTABLE_INSTALLS: 'false' } });
  let r = yarn(['install']);
  assert.equal(r.status, 0, out(r));
  assert.match(readFileSync(join(dir, 'yarn.lock'), 'utf8'), /__metadata:/);
  r = reg.cli(['audit', join(dir, 'yarn.lock')]);
  assert.equal(r.status, 1, out(r));
  assert.match(r.stdout, /vuln-lib@npm:1\.0\.0 {2}\(1\.0\.0\)/);
  assert.match(r.stdout, /audited from yarn\.lock \(berry\)/);

  r = yarn(['npm', 'audit', '--recursive']);
  assert.equal(r.status, 1, out(r));
  assert.match(r.stdout, /vuln-lib/);
  assert.match(r.stdout, /GHSA-e2e-0001/);
  assert.match(r.stdout, /Code injection in vuln-lib/);
  r = yarn(['npm', 'audit', '--recursive', '--json']);
  assert.equal(r.status, 1, out(r));
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => JSON.stringify(l).includes('GHSA-e2e-0001')), r.stdout);
  r = yarn(['npm', 'audit', '--recursive', '--severity', 'critical']);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /No audit suggestions/);
});
