// `bulwark scan` (docs/scanning.md) on tarballs made by the real `npm pack` from the defanged
// incident corpus (tests/scan_corpus), on a folder of tarballs, on a package folder, and on a
// package-lock.json written by a real `npm install` (installed tree and npm's cache).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, npmBin, out, tempDir, testsDir } from './harness.mjs';

const corpus = join(testsDir, 'scan_corpus');
const home = tempDir('bulwark-scan-');
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_config_'))),
  HOME: home, npm_config_cache: join(home, 'npm-cache'), npm_config_userconfig: join(home, '.npmrc'),
  npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false',
};
writeFileSync(join(home, '.npmrc'), '');

function npm(args, cwd) {
  return spawnSync(npmBin, args, { cwd, env, encoding: 'utf8', timeout: 120000 });
}
function scan(args) {
  return spawnSync(bin, ['scan', ...args], { env, encoding: 'utf8', timeout: 120000 });
}
function pack(folder) {
  const dest = join(home, 'tarballs');
  mkdirSync(dest, { recursive: true });
  const src = join(home, 'src', folder);
  cpSync(join(corpus, folder), src, { recursive: true });
  const r = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dest], src);
  assert.equal(r.status, 0, out(r));
  return join(dest, JSON.parse(r.stdout)[0].filename);
}

const expected = {
  'crossenv': ['hold', 'exfiltration'],
  'eslint-scope': ['hold', 'eval-remote'],
  'flatmap-stream': ['reject', 'sig-flatmap-stream'],
  'ua-parser-js': ['reject', 'install-download-exec'],
  'coa': ['reject', 'obfuscated-payload'],
  'node-ipc': ['reject', 'destructive-write'],
  'chalk-debug-2025': ['hold', 'wallet-hijack'],
  'shai-hulud': ['reject', 'self-propagation'],
};
const tarballs = {};

test('npm-packed incident re-creations are held for their reason (exit 1, JSON)', () => {
  for (const [folder, [verdict, rule]] of Object.entries(expected)) {
    tarballs[folder] = pack(folder);
    const r = scan([tarballs[folder], '--json']);
    assert.equal(r.status, 1, `${folder}\n${out(r)}`);
    const [report] = JSON.parse(r.stdout);
    assert.equal(report.verdict, verdict, `${folder}\n${r.stdout}`);
    const f = report.findings.find((x) => x.rule_id === rule);
    assert.ok(f, `${folder} lacks ${rule}\n${r.stdout}`);
    assert.ok(['hold', 'reject'].includes(f.suggests));
    assert.ok(f.explanation.length > 10);
    assert.ok(report.bytes_scanned > 0 && report.files_scanned > 0);
  }
});

test('benign look-alikes pass (exit 0) and text output names file and line', () => {
  tarballs['benign-cli'] = pack('benign-cli');
  tarballs['benign-native'] = pack('benign-native');
  const r = scan([tarballs['benign-cli'], tarballs['benign-native']]);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /release-notes-cli@1\.2\.0 .*: clean/);
  const bad = scan([tarballs['crossenv']]);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /hold\s+critical exfiltration\s+package-setup\.js:6/);
});

test('a folder of tarballs and a package folder', () => {
  const r = scan([join(home, 'tarballs'), '--json']);
  assert.equal(r.status, 1, out(r));
  const reports = JSON.parse(r.stdout);
  assert.equal(reports.length, readdirSync(join(home, 'tarballs')).length);
  const folder = scan([join(corpus, 'shai-hulud'), '--json']);
  assert.equal(folder.status, 1, out(folder));
  assert.equal(JSON.parse(folder.stdout)[0].name, '@ctrl/tinycolor');
});

test('package-lock.json: installed packages, then from the npm cache', () => {
  const project = join(home, 'project');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const i = npm(['install', '--ignore-scripts', '--offline', tarballs['eslint-scope'], tarballs['benign-native']], project);
  assert.equal(i.status, 0, out(i));
  const lock = join(project, 'package-lock.json');
  let r = scan([lock, '--json']);
  assert.equal(r.status, 1, out(r));
  let reports = JSON.parse(r.stdout);
  const byName = Object.fromEntries(reports.map((x) => [x.name, x]));
  assert.equal(byName['eslint-scope'].verdict, 'hold', r.stdout);
  assert.equal(byName['fast-hash-native'].verdict, 'clean', r.stdout);

  rmSync(join(project, 'node_modules'), { recursive: true, force: true });
  r = scan([lock, '--json', '--npm-cache', join(home, 'npm-cache', '_cacache')]);
  assert.equal(r.status, 1, out(r));
  reports = JSON.parse(r.stdout);
  assert.equal(reports.find((x) => x.name === 'eslint-scope').verdict, 'hold', r.stdout);

  // Neither installed nor cached: a clear error naming the package (exit 2).
  r = scan([lock, '--npm-cache', join(home, 'empty-cache')]);
  assert.equal(r.status, 2, out(r));
  assert.match(r.stdout, /node_modules\/eslint-scope.*npm cache/);
});

test('bad input is a clear error', () => {
  const notTar = join(home, 'x.tgz');
  writeFileSync(notTar, 'not a tarball');
  const r = scan([notTar]);
  assert.equal(r.status, 2, out(r));
  assert.match(r.stdout + r.stderr, /x\.tgz/);
  rmSync(home, { recursive: true, force: true });
});
