// End-to-end: the real npm CLI (pinned in tests/package.json) against a real `bulwark serve`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Registry, Client, makePackage, out, tempDir, startNpmLogin } from './harness.mjs';

const require = createRequire(import.meta.url);
const ssri = require('../node_modules/ssri');

let reg, alice, bob, aliceToken, cli, work;

before(async () => {
  reg = await new Registry({ config: 'auth:\n  allow_registration: true\n' }).start();
  alice = reg.addUser('alice');
  bob = reg.addUser('bob');
  aliceToken = await reg.token(alice);
  cli = new Client(reg, aliceToken);
  work = tempDir('bulwark-work-');
});

after(async () => {
  await reg.stop();
  cli.cleanup();
  rmSync(work, { recursive: true, force: true });
  reg.cleanup();
});

function publish(manifest, files = {}, args = []) {
  const dir = makePackage(join(work, `${manifest.name.replace('/', '+')}-${manifest.version}`), manifest, files);
  return cli.npm(['publish', ...args], { cwd: dir });
}

test('npm ping and whoami', () => {
  const ping = cli.npm(['ping']);
  assert.equal(ping.status, 0, out(ping));
  assert.match(ping.stderr, /PONG/);
  const who = cli.npm(['whoami']);
  assert.equal(who.status, 0, out(who));
  assert.equal(who.stdout.trim(), 'alice');
});

test('publish, then install fresh and from the lockfile with integrity checked', async () => {
  const r = publish({ name: '@acme/demo', version: '1.0.0', description: 'demo package',
    keywords: ['demo', 'acme'], main: 'index.js' }, {}, ['--access', 'public']);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /\+ @acme\/demo@1\.0\.0/);

  const doc = await (await fetch(`${reg.url}/@acme%2fdemo`)).json();
  assert.deepEqual(doc['dist-tags'], { latest: '1.0.0' });
  const v = doc.versions['1.0.0'];
  assert.equal(v.dist.tarball, `${reg.url}/@acme/demo/-/demo-1.0.0.tgz`);
  assert.equal(v._npmUser.name, 'alice');
  const tgz = Buffer.from(await (await fetch(v.dist.tarball)).arrayBuffer());
  assert.ok(ssri.checkData(tgz, v.dist.integrity), 'served tarball matches dist.integrity');

  const app = makePackage(join(work, 'app1'), { name: 'app1', version: '0.0.0', private: true });
  const inst = cli.npm(['install', '@acme/demo'], { cwd: app });
  assert.equal(inst.status, 0, out(inst));
  const installed = JSON.parse(readFileSync(join(app, 'node_modules/@acme/demo/package.json')));
  assert.equal(installed.version, '1.0.0');
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json')));
  const entry = lock.packages['node_modules/@acme/demo'];
  assert.equal(entry.integrity, v.dist.integrity);
  assert.equal(entry.resolved, v.dist.tarball);

  rmSync(join(app, 'node_modules'), { recursive: true });
  rmSync(join(cli.home, 'cache'), { recursive: true, force: true });
  const ci = cli.npm(['ci'], { cwd: app });
  assert.equal(ci.status, 0, out(ci));
  assert.equal(readFileSync(join(app, 'node_modules/@acme/demo/index.js'), 'utf8'),
    'module.exports = "@acme/demo@1.0.0";\n');
});

test('publishing over an existing version is refused', () => {
  const r = publish({ name: '@acme/demo', version: '1.0.0', description: 'changed' }, {
    'index.js': 'module.exports = "other";\n' }, ['--force']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /403 Forbidden/);
  assert.match(r.stderr, /cannot publish over the previously published versions: 1\.0\.0/);
});

test('dist-tag add, ls and rm', () => {
  assert.equal(publish({ name: '@acme/demo', version: '1.1.0' }).status, 0);
  const beta = publish({ name: '@acme/demo', version: '2.0.0-beta.1' }, {}, ['--tag', 'beta']);
  assert.equal(beta.status, 0, out(beta));
  let ls = cli.npm(['dist-tag', 'ls', '@acme/demo']);
  assert.equal(ls.status, 0, out(ls));
  assert.match(ls.stdout, /^beta: 2\.0\.0-beta\.1$/m);
  assert.match(ls.stdout, /^latest: 1\.1\.0$/m);
  const add = cli.npm(['dist-tag', 'add', '@acme/demo@1.0.0', 'stable']);
  assert.equal(add.status, 0, out(add));
  assert.match(add.stdout, /\+stable: @acme\/demo@1\.0\.0/);
  ls = cli.npm(['dist-tag', 'ls', '@acme/demo']);
  assert.match(ls.stdout, /^stable: 1\.0\.0$/m);
  const rm = cli.npm(['dist-tag', 'rm', '@acme/demo', 'stable']);
  assert.equal(rm.status, 0, out(rm));
  ls = cli.npm(['dist-tag', 'ls', '@acme/demo']);
  assert.doesNotMatch(ls.stdout, /stable/);
  const bad = cli.npm(['dist-tag', 'add', '@acme/demo@1.0.0', 'latest-ish']);
  assert.equal(bad.status, 0, out(bad));
  const semverTag = cli.npm(['dist-tag', 'add', '@acme/demo@1.0.0', 'v1']);
  assert.notEqual(semverTag.status, 0, 'a tag that is a semver range is refused');
});

test('deprecate and undeprecate', () => {
  const d = cli.npm(['deprecate', '@acme/demo@1.0.0', 'use 1.1.0']);
  assert.equal(d.status, 0, out(d));
  let view = cli.npm(['view', '@acme/demo@1.0.0', 'deprecated']);
  assert.equal(view.stdout.trim(), 'use 1.1.0');
  view = cli.npm(['view', '@acme/demo@1.1.0', 'deprecated']);
  assert.equal(view.stdout.trim(), '');
  const u = cli.npm(['undeprecate', '@acme/demo@1.0.0']);
  assert.equal(u.status, 0, out(u));
  view = cli.npm(['view', '@acme/demo@1.0.0', 'deprecated']);
  assert.equal(view.stdout.trim(), '');
});

test('owner add, ls and rm; non-owners cannot publish', async () => {
  const bobCli = new Client(reg, await reg.token(bob));
  const dir = makePackage(join(work, 'bob-demo'), { name: '@acme/demo', version: '9.0.0' });
  let r = bobCli.npm(['publish'], { cwd: dir });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /403/);
  assert.match(r.stderr, /You do not have permission to publish "@acme\/demo"/);

  r = cli.npm(['owner', 'add', 'bob', '@acme/demo']);
  assert.equal(r.status, 0, out(r));
  r = cli.npm(['owner', 'ls', '@acme/demo']);
  assert.match(r.stdout, /^alice <alice@example\.com>$/m);
  assert.match(r.stdout, /^bob <bob@example\.com>$/m);
  r = bobCli.npm(['publish'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  r = cli.npm(['owner', 'rm', 'bob', '@acme/demo']);
  assert.equal(r.status, 0, out(r));
  r = cli.npm(['owner', 'ls', '@acme/demo']);
  assert.doesNotMatch(r.stdout, /bob/);
  r = cli.npm(['owner', 'add', 'nobody-here', '@acme/demo']);
  assert.notEqual(r.status, 0);
  bobCli.cleanup();
});

test('star, unstar and stars', () => {
  let r = cli.npm(['star', '@acme/demo']);
  assert.equal(r.status, 0, out(r));
  r = cli.npm(['stars']);
  assert.match(r.stdout, /@acme\/demo/);
  const doc = cli.npm(['view', '@acme/demo', 'users', '--json']);
  assert.deepEqual(JSON.parse(doc.stdout), { alice: true });
  r = cli.npm(['unstar', '@acme/demo']);
  assert.equal(r.status, 0, out(r));
  assert.doesNotMatch(cli.npm(['stars']).stdout, /@acme\/demo/);
});

test('access: restricted packages are invisible to others', async () => {
  assert.equal(publish({ name: '@acme/secret', version: '1.0.0' }, {}, ['--access', 'restricted']).status, 0);
  let r = cli.npm(['access', 'get', 'status', '@acme/secret']);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /private/);
  assert.equal((await fetch(`${reg.url}/@acme%2fsecret`)).status, 404);
  const bobToken = await reg.token(bob);
  const asBob = await fetch(`${reg.url}/@acme%2fsecret`, { headers: { authorization: `Bearer ${bobToken}` } });
  assert.equal(asBob.status, 404);
  const asAlice = await fetch(`${reg.url}/@acme%2fsecret`, { headers: { authorization: `Bearer ${aliceToken}` } });
  assert.equal(asAlice.status, 200);
  r = cli.npm(['access', 'set', 'status=public', '@acme/secret']);
  assert.equal(r.status, 0, out(r));
  assert.equal((await fetch(`${reg.url}/@acme%2fsecret`)).status, 200);
});

test('search finds packages by name, keyword and description', () => {
  assert.equal(publish({ name: 'left-pad-ish', version: '1.0.0', description: 'pads strings on the left', keywords: ['pad'] }).status, 0);
  let r = cli.npm(['search', 'demo']);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /@acme\/demo/);
  assert.doesNotMatch(r.stdout, /left-pad-ish/);
  r = cli.npm(['search', '--json', 'pad']);
  const hits = JSON.parse(r.stdout);
  assert.equal(hits[0].name, 'left-pad-ish');
});

test('unpublish one version, then a whole package; numbers are never reused', async () => {
  let r = cli.npm(['unpublish', '@acme/demo@2.0.0-beta.1']);
  assert.equal(r.status, 0, out(r));
  let doc = await (await fetch(`${reg.url}/@acme%2fdemo`)).json();
  assert.equal(doc.versions['2.0.0-beta.1'], undefined);
  assert.equal(doc['dist-tags'].beta, undefined);
  assert.ok(doc.time['2.0.0-beta.1'], 'time of an unpublished version is kept');
  r = publish({ name: '@acme/demo', version: '2.0.0-beta.1' }, { 'x.js': '1' }, ['--tag', 'beta']);
  assert.notEqual(r.status, 0, 'an unpublished version number cannot be reused');

  assert.equal(publish({ name: 'short-lived', version: '1.0.0' }).status, 0);
  r = cli.npm(['unpublish', 'short-lived', '--force']);
  assert.equal(r.status, 0, out(r));
  assert.equal((await fetch(`${reg.url}/short-lived`)).status, 404);
  r = cli.npm(['view', 'short-lived']);
  assert.match(r.stderr, /E404/);
});

test('tokens: create, list, revoke', () => {
  let r = cli.npm(['token', 'create', `--password=${alice.password}`, '--name=ci']);
  assert.equal(r.status, 0, out(r));
  const created = r.stdout.match(/(bwk_[0-9A-Za-z]{36})/);
  assert.ok(created, out(r));
  const other = new Client(reg, created[1]);
  assert.equal(other.npm(['whoami']).stdout.trim(), 'alice');
  r = cli.npm(['token', 'list', '--json']);
  assert.equal(r.status, 0, out(r));
  const list = JSON.parse(r.stdout);
  const mine = list.find((t) => created[1].startsWith(t.token) && t.name === 'ci');
  assert.ok(mine, r.stdout);
  r = cli.npm(['token', 'revoke', mine.key.slice(0, 12)]);
  assert.equal(r.status, 0, out(r));
  const after = other.npm(['whoami']);
  assert.notEqual(after.status, 0);
  assert.match(after.stderr, /E401/);
  other.cleanup();
});

test('legacy login with a stale token present, then logout revokes the token', () => {
  const c = new Client(reg, 'bwk_stale00000000000000000000000000000000');
  const r = c.npmTty(['login', '--auth-type=legacy'], [['Username:', 'bob'], ['Password:', bob.password]]);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /Logged in on http:\/\/127\.0\.0\.1:\d+\/\./);
  const who = c.npm(['whoami']);
  assert.equal(who.stdout.trim(), 'bob', out(who));
  const token = readFileSync(c.npmrc, 'utf8').match(/_authToken=(\S+)/)[1];
  const lo = c.npm(['logout']);
  assert.equal(lo.status, 0, out(lo));
  c.setToken(token);
  const again = c.npm(['whoami']);
  assert.notEqual(again.status, 0, 'the logged-out token no longer works');
  c.cleanup();
});

test('wrong password on legacy login is refused', () => {
  const c = new Client(reg);
  const r = c.npmTty(['login', '--auth-type=legacy'], [['Username:', 'bob'], ['Password:', 'wrong password here']]);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /E401/);
  assert.match(r.stdout, /Incorrect or missing password/);
  c.cleanup();
});

test('adduser creates an account when registration is enabled', () => {
  const c = new Client(reg);
  const r = c.npmTty(['adduser', '--auth-type=legacy'],
    [['Username:', 'carol'], ['Password:', 'another long password'], ['Email[^:]*:', 'carol@example.com']]);
  assert.equal(r.status, 0, out(r));
  assert.equal(c.npm(['whoami']).stdout.trim(), 'carol');
  c.cleanup();
});

test('web login: npm polls doneUrl while the browser signs in', async () => {
  const c = new Client(reg);
  const login = startNpmLogin(c);
  const loginUrl = await login.url;
  const page = await fetch(loginUrl);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<form method="post"/);
  const wrong = await fetch(loginUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'username=alice&password=nope' });
  assert.equal(wrong.status, 401);
  const ok = await fetch(loginUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `username=alice&password=${encodeURIComponent(alice.password)}` });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /signed in as <b>alice<\/b>/);
  assert.equal(await login.exit, 0, login.output());
  assert.equal(c.npm(['whoami']).stdout.trim(), 'alice');
  c.cleanup();
});
