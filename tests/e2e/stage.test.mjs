// End-to-end: staged publishing (docs/staging.md, npm-registry-api.md §9.4) with the stock npm
// CLI: `npm stage publish` stores a version without serving it; `list`, `view`, `download`
// show it; `approve` needs an owner's second factor and publishes exactly the staged tarball;
// `reject` drops it. A one-time password spent on one approval cannot approve another.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Registry, Client, makePackage, out, tempDir } from './harness.mjs';

let reg, alice, bob, work, owner, ci, coOwner, recovery, secret, releaseToken;
const PKG = 'staged-widget';

async function api(method, path, token, body) {
  const headers = { authorization: `Bearer ${token}` };
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(`${reg.url}${path}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const totp = (offset = 0) => execFileSync('oathtool', ['--totp', '-b', '--now',
  new Date(Date.now() + offset * 1000).toISOString().replace('T', ' ').replace(/\..*/, ' UTC'), secret], { encoding: 'utf8' }).trim();

before(async () => {
  reg = await new Registry().start();
  alice = reg.addUser('alice');
  bob = reg.addUser('bob');
  work = tempDir('bulwark-stage-');
  const aliceToken = await reg.token(alice);
  owner = new Client(reg, aliceToken);
  let r = owner.npm(['publish'], { cwd: pkg('1.0.0') });
  assert.equal(r.status, 0, out(r));
  r = owner.npm(['owner', 'add', 'bob', PKG]);
  assert.equal(r.status, 0, out(r));
  coOwner = new Client(reg, await reg.token(bob));
  // A CI credential: an automation token limited to the package.
  const minted = await api('POST', '/-/npm/v1/tokens', aliceToken, { password: alice.password, bypass_2fa: true, packages: [PKG] });
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  ci = new Client(reg, minted.body.token);
  // The monorepo's release token (any package of alice's).
  releaseToken = (await api('POST', '/-/npm/v1/tokens', aliceToken, { password: alice.password, bypass_2fa: true })).body.token;
  // alice has 2FA (auth-only); bob has none.
  const start = await api('POST', '/-/npm/v1/user', aliceToken, { tfa: { mode: 'auth-only', password: alice.password } });
  secret = new URL(start.body.tfa).searchParams.get('secret');
  const done = await api('POST', '/-/npm/v1/user', aliceToken, { tfa: [totp(-30)] });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  recovery = done.body.tfa;
});

after(async () => {
  await reg.stop();
  for (const c of [owner, ci, coOwner]) c.cleanup();
  rmSync(work, { recursive: true, force: true });
  reg.cleanup();
});

function pkg(v) {
  return makePackage(join(work, `${v}-${Math.random().toString(36).slice(2)}`), { name: PKG, version: v });
}

function stage(v) {
  const r = ci.npm(['stage', 'publish'], { cwd: pkg(v) });
  assert.equal(r.status, 0, out(r));
  const m = r.stdout.match(/staged with id ([0-9a-f-]{36})/);
  assert.ok(m, out(r));
  return m[1];
}

let first;

test('npm stage publish from CI stores the version without serving it', async () => {
  first = stage('1.1.0');
  const doc = await (await fetch(`${reg.url}/${PKG}`)).json();
  assert.deepEqual(Object.keys(doc.versions), ['1.0.0']);
  assert.equal((await fetch(`${reg.url}/${PKG}/-/${PKG}-1.1.0.tgz`)).status, 404);
});

test('npm stage list / view / download show name, version, actor, digest and size', () => {
  let r = owner.npm(['stage', 'list', PKG]);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, new RegExp(first));
  assert.match(r.stdout, /version: 1\.1\.0/);
  assert.match(r.stdout, /staged by: alice \(token\)/);
  r = owner.npm(['stage', 'view', first, '--json']);
  assert.equal(r.status, 0, out(r));
  const item = JSON.parse(r.stdout);
  assert.equal(item.packageName, PKG);
  assert.match(item.integrity, /^sha512-/);
  assert.ok(item.size > 0);
  r = owner.npm(['stage', 'download', first], { cwd: work });
  assert.equal(r.status, 0, out(r));
  const file = join(work, r.stdout.trim().split('\n').pop());
  const bytes = readFileSync(file);
  assert.equal(`sha512-${createHash('sha512').update(bytes).digest('base64')}`, item.integrity);
  // Someone who is not an owner sees nothing.
  r = new Client(reg).npm(['stage', 'view', first]);
  assert.notEqual(r.status, 0);
});

test('approval needs an owner with 2FA, and a one-time password', () => {
  let r = coOwner.npm(['stage', 'approve', first]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /approving a staged version needs two-factor authentication/, out(r));
  r = ci.npm(['stage', 'approve', first]);  // The CI token is alice's: still needs her code.
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /EOTP|one-time password/, out(r));
});

test('npm stage approve --otp publishes exactly the staged tarball; the code cannot approve another', async () => {
  const second = stage('1.2.0');
  const code = totp();
  let r = owner.npm(['stage', 'approve', first, `--otp=${code}`]);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /approved and published successfully/, out(r));
  const doc = await (await fetch(`${reg.url}/${PKG}`)).json();
  assert.ok(doc.versions['1.1.0'], 'approved version is served');
  assert.ok(!doc.versions['1.2.0'], 'the other staged version is not');
  // Replaying the code for another staged version is refused.
  r = owner.npm(['stage', 'approve', second, `--otp=${code}`]);
  assert.notEqual(r.status, 0, out(r));
  assert.match(r.stderr + r.stdout, /EOTP|one-time password|already used/i, out(r));
  // Replaying the approval of the first id does nothing more.
  const again = await api('POST', `/-/stage/${first}/approve`, owner.token);
  assert.equal(again.status, 404);
  // A recovery code is a second factor too.
  r = owner.npm(['stage', 'approve', second, `--otp=${recovery[0]}`]);
  assert.equal(r.status, 0, out(r));
  const events = await api('GET', '/-/bulwark/v1/events?kind=stage.', owner.token);
  assert.match(JSON.stringify(events.body), /stage\.approved/);
});

test('npm stage reject drops the staged version', async () => {
  const id = stage('1.3.0');
  let r = owner.npm(['stage', 'reject', id, `--otp=${recovery[1]}`]);
  assert.equal(r.status, 0, out(r));
  r = owner.npm(['stage', 'list', PKG]);
  assert.doesNotMatch(r.stdout, new RegExp(id), out(r));
  const doc = await (await fetch(`${reg.url}/${PKG}`)).json();
  assert.ok(!doc.versions['1.3.0']);
});

test('a 100-package monorepo release is staged by one npm run and approved with one code', async () => {
  const root = join(work, 'monorepo');
  const names = Array.from({ length: 100 }, (_, i) => `rel-pkg-${String(i).padStart(3, '0')}`);
  makePackage(root, { name: 'monorepo-root', version: '0.0.0', private: true, workspaces: ['packages/*'] });
  for (const n of names) makePackage(join(root, 'packages', n), { name: n, version: '1.0.0' });
  const releaser = new Client(reg, releaseToken);
  const t0 = Date.now();
  const r = releaser.npm(['stage', 'publish', '--workspaces'], { cwd: root });
  releaser.cleanup();
  assert.equal(r.status, 0, out(r));
  console.log(`staged 100 packages in ${Date.now() - t0} ms`);
  const list = await api('GET', '/-/stage?page=0&perPage=100&package=rel-pkg-042', owner.token);
  const releaseId = list.body.items[0].releaseId;
  assert.match(releaseId, /^rel-[0-9a-f]{24}$/);
  const release = await api('GET', `/-/stage/release/${releaseId}`, owner.token);
  assert.equal(release.status, 200);
  assert.equal(release.body.items.length, 100);
  assert.equal((await fetch(`${reg.url}/rel-pkg-000`)).status, 404, 'nothing served before approval');
  // The approval commits to the reviewed set: a wrong digest is refused.
  const approve = (digest, otp) => fetch(`${reg.url}/-/stage/release/${releaseId}/approve`, { method: 'POST',
    headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json', ...(otp ? { 'npm-otp': otp } : {}) },
    body: JSON.stringify({ digest }) });
  let res = await approve('0'.repeat(64), recovery[2]);
  assert.equal(res.status, 422, await res.text());
  res = await approve(release.body.digest);
  assert.equal(res.status, 401, 'needs the second factor');
  assert.match(res.headers.get('www-authenticate') || '', /OTP/);
  const t1 = Date.now();
  res = await approve(release.body.digest, recovery[2]);
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.published.length, 100);
  console.log(`one approval published 100 packages in ${Date.now() - t1} ms`);
  for (const n of [names[0], names[57], names[99]]) {
    const doc = await (await fetch(`${reg.url}/${n}`)).json();
    assert.ok(doc.versions['1.0.0'], n);
  }
  // The approval is spent: replaying it finds nothing.
  res = await approve(release.body.digest, recovery[3]);
  assert.equal(res.status, 404);
});

test('a package can require that publishes from tokens are staged; npm login sessions publish', async () => {
  const setPolicy = (require, otp) => fetch(`${reg.url}/-/package/${PKG}/staging`, { method: 'PUT',
    headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json', ...(otp ? { 'npm-otp': otp } : {}) },
    body: JSON.stringify({ require }) });
  let res = await setPolicy(true);
  assert.equal(res.status, 401, 'changing the policy needs the second factor');
  res = await setPolicy(true, recovery[4]);
  assert.equal(res.status, 200, await res.text());
  // The CI token's publish is staged, not served; npm shows why.
  let r = ci.npm(['publish'], { cwd: pkg('1.4.0') });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stderr, /staged-widget@1\.4\.0 was staged, not published: staged-widget requires publishes from tokens to be approved by an owner \(npm stage approve [0-9a-f-]{36}\)/, out(r));
  let doc = await (await fetch(`${reg.url}/${PKG}`)).json();
  assert.ok(!doc.versions['1.4.0']);
  r = owner.npm(['stage', 'list', PKG]);
  assert.match(r.stdout, /version: 1\.4\.0/, out(r));
  // alice at her terminal (an npm login session) publishes directly.
  r = owner.npm(['publish'], { cwd: pkg('1.5.0') });
  assert.equal(r.status, 0, out(r));
  doc = await (await fetch(`${reg.url}/${PKG}`)).json();
  assert.ok(doc.versions['1.5.0']);
  // A token cannot pass for a login session by its name.
  const named = await api('POST', '/-/npm/v1/tokens', coOwner.token, { password: bob.password, name: 'npm login' });
  assert.equal(named.status, 400);
  assert.match(named.body.error, /reserved for login sessions/);
});
