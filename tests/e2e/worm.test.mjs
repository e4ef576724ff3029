// End-to-end: the worm brake (docs/moderation.md §4). A Shai-Hulud-style script takes one
// stolen token and republishes every package it can reach, through the real npm CLI. With the
// defaults (more than 3 packages in 10 minutes), at most 3 versions land, the 4th attempt
// suspends the token at once (event log), every later publish is refused, and the owners of the
// packages are told.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, makePackage, out, tempDir } from './harness.mjs';

let reg, alice, bob, work, owner;
const N = 20;
const names = Array.from({ length: N }, (_, i) => `victim-${String(i).padStart(2, '0')}`);

before(async () => {
  reg = await new Registry().start();
  alice = reg.addUser('alice');
  bob = reg.addUser('bob');
  work = tempDir('bulwark-worm-');
  owner = new Client(reg, await reg.token(alice));
  // The packages exist already (first versions do not count towards the brake).
  for (const name of names) {
    const r = owner.npm(['publish'], { cwd: makePackage(join(work, `${name}-1.0.0`), { name, version: '1.0.0' }) });
    assert.equal(r.status, 0, out(r));
  }
  // bob co-maintains one of them: he must hear about the suspension too.
  const r = owner.npm(['owner', 'add', 'bob', names[3]]);
  assert.equal(r.status, 0, out(r));
});

after(async () => {
  await reg.stop();
  owner.cleanup();
  rmSync(work, { recursive: true, force: true });
  reg.cleanup();
});

test('Shai-Hulud replay: 20 packages with one stolen token, at most 3 land, suspended at the 4th', async () => {
  // The stolen credential: an automation token, as CI secrets usually are.
  let r = owner.npm(['token', 'create', `--password=${alice.password}`, '--bypass-2fa', '--json']);
  assert.equal(r.status, 0, out(r));
  const stolen = JSON.parse(r.stdout).token;
  const worm = new Client(reg, stolen);
  const attempts = [];
  for (const name of names) {
    // What the worm does for each package: bump the patch version and publish.
    const dir = makePackage(join(work, `${name}-1.0.1`), { name, version: '1.0.1',
      scripts: { postinstall: 'node bundle.js' } }, { 'bundle.js': 'module.exports = 1;\n' });
    const start = Date.now();
    const res = worm.npm(['publish', '--loglevel', 'http'], { cwd: dir });
    attempts.push({ name, start, end: Date.now(), status: res.status, stderr: res.stderr });
  }
  worm.cleanup();
  // The first three went through; the fourth was taken in and held; the rest were refused.
  for (const a of attempts.slice(0, 3)) assert.equal(a.status, 0, a.stderr);
  assert.match(attempts[3].stderr, /held for review.*worm-burst/s, attempts[3].stderr);
  for (const a of attempts.slice(4)) {
    assert.notEqual(a.status, 0, `${a.name} must be refused`);
    assert.match(a.stderr, /E401|expired or revoked/, a.stderr);
  }
  // At most 3 versions 1.0.1 are served (the brake also withdraws the burst's earlier ones).
  let landed = 0;
  for (const name of names) {
    const doc = await (await fetch(`${reg.url}/${name}`)).json();
    if (doc.versions['1.0.1']) landed++;
  }
  assert.ok(landed <= 3, `${landed} versions landed`);
  console.log(`worm replay: ${landed} of ${N} versions served after the brake`);
  // The event log shows the suspension during the 4th attempt, within a second of it.
  const log = reg.cli(['events', '--user', 'alice', '--kind', 'token.revoked', '--json']);
  assert.equal(log.status, 0, out(log));
  const [ev] = JSON.parse(log.stdout);
  assert.match(ev.detail, /suspended: worm pattern \(4 packages within 10m\)/, log.stdout);
  const at = Date.parse(ev.time);
  const fourth = attempts[3];
  // npm logs the PUT's duration ("npm http fetch PUT 201 <url> 123ms"): the request began at
  // most that long before npm exited, so the suspension came within that request.
  const putMs = Number((fourth.stderr.match(/npm http fetch PUT \d+ \S+ (\d+)ms/) || [])[1]);
  assert.ok(putMs >= 0, fourth.stderr);
  const requestStart = fourth.end - putMs - 250;  // 250 ms: npm's own exit after the response.
  console.log(`suspension logged ${at - fourth.start} ms after the 4th attempt started (npm ` +
    `start-up included); the PUT took ${putMs} ms`);
  assert.ok(at >= fourth.start - 5 && at <= fourth.end + 5, `event at ${ev.time}, attempt ${fourth.start}-${fourth.end}`);
  assert.ok(at - Math.max(requestStart, fourth.start) < 1000, `${at - requestStart} ms after the request`);
  assert.ok(putMs < 1000, `the 4th publish request took ${putMs} ms`);
  // The owner's other credentials keep working.
  assert.equal(owner.npm(['whoami']).stdout.trim(), 'alice');
});

test('owners are told: the token owner and every co-owner of the packages involved', async () => {
  for (const who of [alice, bob]) {
    const res = await fetch(`${reg.url}/-/bulwark/v1/notices`, { headers: { authorization: `Bearer ${await reg.token(who)}` } });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.match(text, /token-suspended-worm/, `${who.name}: ${text}`);
  }
});
