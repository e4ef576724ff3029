// End-to-end: the scanning engine (docs/scanning.md) wired into the publish gate of a running
// server. Each defanged incident re-creation of tests/scan_corpus/ is published with the real
// npm CLI under a fresh name: the engine's verdict is enforced (held versions are stored but not
// installable, rejected ones refused with the rule named), while look-alike benign packages
// publish cleanly and install. The incident files are data only; nothing in them is run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, out, tempDir, testsDir } from './harness.mjs';

const corpus = join(testsDir, 'scan_corpus');
let reg, alice, cli, work;

before(async () => {
  // One publisher publishes every incident within seconds: raise the worm brake out of the way
  // (moderation.test.mjs tests it).
  reg = await new Registry({ config: 'scanning:\n  worm: {packages: 100, window_minutes: 1}\n' }).start();
  alice = reg.addUser('alice');
  cli = new Client(reg, await reg.token(alice));
  work = tempDir('bulwark-scan-gate-');
});

after(async () => {
  await reg.stop();
  cli.cleanup();
  rmSync(work, { recursive: true, force: true });
  reg.cleanup();
});

// Copies an incident folder under a name of our own (the originals imitate popular names, which
// the typosquat gate would stop before the scanner runs).
function stage(incident, name) {
  const dir = join(work, incident);
  cpSync(join(corpus, incident), dir, { recursive: true });
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  pj.name = name;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pj, null, 2));
  return { dir, version: pj.version };
}

function publish(dir) {
  // --ignore-scripts: npm must not run the package's own lifecycle scripts on this machine.
  return cli.npm(['publish', '--ignore-scripts'], { cwd: dir });
}

// [incident, expected verdict, a rule id the engine must name]
const incidents = [
  ['crossenv', 'hold', 'exfiltration'],
  ['eslint-scope', 'hold', 'eval-remote'],
  ['chalk-debug-2025', 'hold', 'wallet-hijack'],
  ['flatmap-stream', 'reject', 'sig-flatmap-stream'],
  ['ua-parser-js', 'reject', 'install-download-exec'],
  ['coa', 'reject', 'download-exec'],
  ['node-ipc', 'reject', 'destructive-write'],
  ['shai-hulud', 'reject', 'sig-shai-hulud'],
];

for (const [incident, verdict, rule] of incidents) {
  test(`${incident}: ${verdict} (${rule})`, () => {
    const name = `incident-${incident}`;
    const { dir, version } = stage(incident, name);
    const r = publish(dir);
    const all = r.stdout + r.stderr;
    if (verdict === 'hold') {
      assert.equal(r.status, 0, out(r));
      assert.match(all, new RegExp(`${name}@${version.replace(/\./g, '\\.')} is held for review`), out(r));
      assert.match(all, new RegExp(rule), out(r));
    } else {
      assert.notEqual(r.status, 0, out(r));
      assert.match(all, /403/, out(r));
      assert.match(all, new RegExp(rule), out(r));
    }
    // Either way nothing is installable: the packument does not list the version.
    const view = cli.npm(['view', `${name}@${version}`, 'version']);
    assert.doesNotMatch(view.stdout, new RegExp(`^${version.replace(/\./g, '\\.')}$`, 'm'), out(view));
  });
}

test('benign look-alikes (child_process CLI, native addon with an install script) publish and install', () => {
  for (const incident of ['benign-cli', 'benign-native']) {
    const name = `lookalike-${incident}`;
    const { dir, version } = stage(incident, name);
    const r = publish(dir);
    assert.equal(r.status, 0, out(r));
    assert.doesNotMatch(r.stderr, /held for review/, out(r));
    const view = cli.npm(['view', name, 'version']);
    assert.equal(view.stdout.trim(), version, out(view));
  }
});
