// End-to-end: typosquatting and dependency-confusion protection at `npm publish`, and the
// `bulwark typosquat` / `popularity` / `doctor` commands, against a real `bulwark serve`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, makePackage, out, tempDir, bin } from './harness.mjs';

// @acme is the organisation's private scope (alice is its member); acme-utils is reserved.
const config = `private:
  scopes:
    '@acme': [alice]
  names: [acme-utils]
`;

let reg, alice, mallory, aliceCli, malloryCli, work;

before(async () => {
  reg = new Registry();
  // Deterministic popularity: a small snapshot instead of the shipped one (whose counts change
  // with each refresh), in which cross-env is too small to protect until the import says
  // otherwise: imported counts win over the snapshot's.
  const snapshot = join(reg.root, 'snapshot.tsv');
  writeFileSync(snapshot, 'cross-env\t10\nreact\t90000000\nexpress\t80000000\n');
  writeFileSync(reg.configPath, `typosquat:\n  snapshot: ${snapshot}\n${config}`);
  const tsv = join(reg.root, 'popular.tsv');
  writeFileSync(tsv, 'name\tdownloads\ncross-env\t20000000\nreact\t90000000\n');
  const imported = reg.cli(['popularity', 'import', tsv]);
  assert.equal(imported.status, 0, out(imported));
  assert.match(imported.stdout, /imported popularity of 2 names/);
  await reg.start();
  alice = reg.addUser('alice');
  mallory = reg.addUser('mallory');
  aliceCli = new Client(reg, await reg.token(alice));
  malloryCli = new Client(reg, await reg.token(mallory));
  work = tempDir('bulwark-work-');
});

after(async () => {
  await reg.stop();
  aliceCli.cleanup();
  malloryCli.cleanup();
  rmSync(work, { recursive: true, force: true });
  reg.cleanup();
});

let dirs = 0;
function publish(client, manifest, args = []) {
  const dir = makePackage(join(work, `p${++dirs}`), manifest);
  return client.npm(['publish', ...args], { cwd: dir });
}

test('the index is built at start and logged', () => {
  assert.match(reg.stderr, /typosquat index: \d+ protected names .* built in \d+ ms, [\d.]+ MiB/);
});

test('typosquat check --json: crossenv imitates cross-env; exit 1, and 0 for a clean name', () => {
  const r = reg.cli(['typosquat', 'check', 'crossenv', '--json']);
  assert.equal(r.status, 1, out(r));
  const [result] = JSON.parse(r.stdout);
  assert.equal(result.name, 'crossenv');
  assert.equal(result.verdict, 'block');
  assert.equal(result.rule, 'engine');
  assert.equal(result.allow_listed, false);
  assert.match(result.message, /cross-env/);
  const top = result.matches[0];
  assert.equal(top.target, 'cross-env');
  assert.equal(top.target_downloads, 20000000);
  assert.ok(top.checks.includes('punctuation'), JSON.stringify(top));
  assert.ok(top.score >= 0.8 && top.score <= 1, JSON.stringify(top));
  assert.equal(top.verdict, 'block');

  const clean = reg.cli(['typosquat', 'check', 'zebra-quartz-widget', '--json']);
  assert.equal(clean.status, 0, out(clean));
  assert.deepEqual(JSON.parse(clean.stdout)[0].matches, []);
  assert.equal(JSON.parse(clean.stdout)[0].verdict, 'clean');
});

test('npm publish of crossenv is refused with E403 naming cross-env; nothing is stored', async () => {
  const r = publish(malloryCli, { name: 'crossenv', version: '1.0.0' });
  assert.notEqual(r.status, 0, out(r));
  assert.match(r.stderr, /E403/);
  assert.match(r.stderr, /imitates the popular package "cross-env"/);
  assert.match(r.stderr, /bulwark typosquat allow crossenv/);
  assert.equal((await fetch(`${reg.url}/crossenv`)).status, 404);
  assert.match(reg.stderr, /publish gate: block crossenv by mallory/);
});

test('unrelated and benign names publish', () => {
  for (const name of ['zebra-quartz-widget', 'cross-env-tools']) {
    const r = publish(malloryCli, { name, version: '1.0.0' });
    assert.equal(r.status, 0, `${name}: ${out(r)}`);
  }
});

test('audit lists the squats among the registry names and in --names FILE', () => {
  const file = join(work, 'names.txt');
  writeFileSync(file, '# candidates\ncrossenv\nzebra-quartz-widget\n');
  const r = reg.cli(['typosquat', 'audit', '--json', '--names', file]);
  assert.equal(r.status, 1, out(r));
  const report = JSON.parse(r.stdout);
  assert.equal(report.scanned, 2);
  assert.deepEqual(report.suspicious.map((s) => s.name), ['crossenv']);
  assert.equal(report.suspicious[0].matches[0].target, 'cross-env');
  const all = reg.cli(['typosquat', 'audit']);
  assert.match(all.stdout, /scanned \d+ names: \d+ suspicious/);
  assert.doesNotMatch(all.stderr, /\r\[/, 'no progress bar when stderr is not a terminal');
});

test('the allow-list lets a blocked name through, at once, and disallow takes it back', () => {
  const allow = reg.cli(['typosquat', 'allow', 'crossenv']);
  assert.equal(allow.status, 0, out(allow));
  const check = reg.cli(['typosquat', 'check', 'crossenv', '--json']);
  assert.equal(check.status, 0, out(check));
  assert.equal(JSON.parse(check.stdout)[0].allow_listed, true);
  const r = publish(malloryCli, { name: 'crossenv', version: '1.0.0' });
  assert.equal(r.status, 0, out(r));
  const disallow = reg.cli(['typosquat', 'disallow', 'crossenv']);
  assert.equal(disallow.status, 0, out(disallow));
  const again = reg.cli(['typosquat', 'disallow', 'crossenv']);
  assert.equal(again.status, 2, out(again));
  assert.match(again.stderr, /crossenv is not on the allow-list/);
});

test('a private scope refuses non-members and accepts its members', () => {
  const r = publish(malloryCli, { name: '@acme/thing', version: '1.0.0' }, ['--access', 'public']);
  assert.notEqual(r.status, 0, out(r));
  assert.match(r.stderr, /E403/);
  assert.match(r.stderr, /@acme, a private scope of this registry: only its members may publish/);
  const ok = publish(aliceCli, { name: '@acme/thing', version: '1.0.0' }, ['--access', 'public']);
  assert.equal(ok.status, 0, out(ok));
});

test('shadowing a private package from another scope or unscoped is refused', () => {
  for (const name of ['@evil/thing', 'thing']) {
    const r = publish(malloryCli, { name, version: '1.0.0' }, ['--access', 'public']);
    assert.notEqual(r.status, 0, `${name}: ${out(r)}`);
    assert.match(r.stderr, /E403/);
    assert.match(r.stderr, /the private package "@acme\/thing"/);
    assert.match(r.stderr, /dependency-confusion/);
  }
});

test('a reserved unscoped name is refused, and so is a look-alike of it', () => {
  for (const [name, why] of [['acme-utils', /"acme-utils" is reserved for a private package/],
    ['@evil/acme-utils', /the private package "acme-utils"/],
    ['acme-utilz', /the private package "acme-utils"/]]) {
    const r = publish(malloryCli, { name, version: '1.0.0' }, ['--access', 'public']);
    assert.notEqual(r.status, 0, `${name}: ${out(r)}`);
    assert.match(r.stderr, /E403/);
    assert.match(r.stderr, why);
  }
});

test('doctor reports the unscoped private name, and other risky set-ups', () => {
  const r = reg.cli(['doctor']);
  assert.equal(r.status, 1, out(r));
  assert.match(r.stdout, /risk: private name acme-utils is unscoped and so exposed to dependency confusion/);
  assert.doesNotMatch(r.stdout, /private scope @acme has no members/);

  const doctor = (yaml) => {
    const cfg = join(work, `doctor-${++dirs}.yaml`);
    writeFileSync(cfg, yaml);
    return spawnSync(bin, ['doctor', '--config', cfg, '--data', reg.dataDir], { encoding: 'utf8' });
  };
  const risky = doctor("typosquat:\n  snapshot: /nonexistent/top.tsv.gz\nprivate:\n  scopes:\n    '@lonely': []\n");
  assert.equal(risky.status, 1, out(risky));
  assert.match(risky.stdout, /risk: cannot read the popularity snapshot \/nonexistent\/top\.tsv\.gz/);
  assert.match(risky.stdout, /risk: private scope @lonely has no members/);
  assert.match(risky.stdout, /ok: typosquat protection covers 2 popular names/);  // The import.
  const fine = doctor(`typosquat:\n  snapshot: ${join(reg.root, 'snapshot.tsv')}\n`);
  assert.equal(fine.status, 0, out(fine));
  assert.match(fine.stdout, /0 risks found/);
  const off = doctor('typosquat:\n  enabled: false\n');
  assert.equal(off.status, 1, out(off));
  assert.match(off.stdout, /risk: typosquat protection is disabled/);
});

test('the shipped snapshot protects the popular npm names from the first run', () => {
  const data = tempDir('bulwark-data-');
  const r = spawnSync(bin, ['typosquat', 'check', 'babelcli', '--json', '--data', data], { encoding: 'utf8' });
  rmSync(data, { recursive: true, force: true });
  assert.equal(r.status, 1, out(r));
  const [result] = JSON.parse(r.stdout);
  assert.equal(result.verdict, 'block');
  assert.equal(result.matches[0].target, 'babel-cli');
  assert.match(r.stderr, /typosquat index: \d+ protected names \(\d+ from the snapshot, 0 imported\)/);
});

test('downloads counted here and admin-protected names feed the index after a restart', async () => {
  const own = new Registry();
  const empty = join(own.root, 'empty.tsv');
  writeFileSync(empty, '');
  writeFileSync(own.configPath, `typosquat:\n  snapshot: ${empty}\n  min_target_downloads: 5\n`);
  try {
    await own.start();
    const user = own.addUser('alice');
    const c = new Client(own, await own.token(user));
    const r = publish(c, { name: 'homegrown-widget', version: '1.0.0' });
    assert.equal(r.status, 0, out(r));
    const doc = await (await fetch(`${own.url}/homegrown-widget`)).json();
    for (let i = 0; i < 8; ++i) {
      const t = await fetch(doc.versions['1.0.0'].dist.tarball);
      assert.equal(t.status, 200);
      await t.arrayBuffer();
    }
    await own.stop();  // SIGTERM: the counts are flushed on the way out.
    let check = own.cli(['typosquat', 'check', 'homegrown-widgte', '--json']);
    const [before] = JSON.parse(check.stdout);
    assert.equal(before.matches[0].target, 'homegrown-widget', out(check));
    assert.match(check.stderr, /1 packages by downloads counted here/);

    const p = own.cli(['typosquat', 'protect', 'zorblatt']);
    assert.equal(p.status, 0, out(p));
    check = own.cli(['typosquat', 'check', 'zorblat', '--json']);
    const [near] = JSON.parse(check.stdout);
    assert.equal(near.matches[0].target, 'zorblatt', out(check));
    assert.notEqual(near.verdict, 'clean');
    assert.equal(own.cli(['typosquat', 'unprotect', 'zorblatt']).status, 0);
    assert.equal(own.cli(['typosquat', 'unprotect', 'zorblatt']).status, 2);
    c.cleanup();
  } finally {
    await own.stop();
    own.cleanup();
  }
});

test('bulwark --help lists the new commands', () => {
  const r = spawnSync(bin, ['--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, out(r));
  for (const cmd of ['typosquat', 'popularity', 'doctor']) assert.match(r.stdout, new RegExp(cmd));
});
