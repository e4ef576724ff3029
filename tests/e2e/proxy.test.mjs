// End-to-end: the upstream proxy (docs/proxy.md). A second Bulwark on loopback is the upstream;
// the real npm CLI installs through the proxy. Covers the dependency tree, the abbreviated
// document, ETag revalidation, the dependency-confusion guard, the firewall (a malware corpus
// package, a typosquat, a deny list, the cooldown against a hand-made upstream), and the upstream
// going away (stale-if-error with a Warning header). Nothing here leaves loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, makePackage, out, tempDir, testsDir, tarGz } from './harness.mjs';

let upstream, proxy, bob, alice, admin, upCli, aliceCli, adminToken, work;
let dirs = 0;

function publish(client, manifest, files = {}) {
  const dir = makePackage(join(work, `p${++dirs}`), manifest, files);
  const r = client.npm(['publish'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
}

// Copies a scan-corpus incident under a name of our own.
function stageCorpus(incident, name, version) {
  const dir = join(work, `c${++dirs}`);
  cpSync(join(testsDir, 'scan_corpus', incident), dir, { recursive: true });
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  pj.name = name;
  pj.version = version;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pj, null, 2));
  return dir;
}

function project(deps) {
  const dir = join(work, `proj${++dirs}`);
  makePackage(dir, { name: `proj${dirs}`, version: '1.0.0', private: true, dependencies: deps });
  return dir;
}

// npm without blocking this process's event loop (the hand-made upstream below lives in it).
function npmAsync(client, args, cwd) {
  return new Promise((resolve) => {
    const p = spawn(join(testsDir, 'node_modules', '.bin', 'npm'), args, { cwd, env: client.env() });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

const sqlite = (db, sql) => spawnSync('sqlite3', [db, sql], { encoding: 'utf8' }).stdout.trim();

before(async () => {
  work = tempDir('bulwark-proxy-');
  // The upstream takes anything: no scanner, no typosquat gate (it plays the public registry).
  upstream = await new Registry({
    config: 'scanning:\n  enabled: false\ntyposquat:\n  enabled: false\n',
  }).start();
  bob = upstream.addUser('bob');
  upCli = new Client(upstream, await upstream.token(bob));
  publish(upCli, { name: 'dep-c', version: '1.0.0' });
  publish(upCli, { name: 'dep-b', version: '1.0.0', dependencies: { 'dep-c': '^1.0.0' } });
  publish(upCli, { name: 'app-a', version: '1.0.0', dependencies: { 'dep-b': '^1.0.0' } });
  // Firewall material.
  const worm = stageCorpus('shai-hulud', 'tiny-color-helper', '1.0.0');
  let r = upCli.npm(['publish'], { cwd: worm });
  assert.equal(r.status, 0, out(r));
  publish(upCli, { name: 'crossenv', version: '1.0.0' });
  publish(upCli, { name: 'denied-pkg', version: '1.0.0' });
  publish(upCli, { name: 'denied-pkg', version: '2.0.0' });

  const snapshot = join(work, 'snapshot.tsv');
  writeFileSync(snapshot, 'cross-env\t20000000\nreact\t90000000\n');
  proxy = await new Registry({
    config: `uplinks:
  up:
    url: ${upstream.url}/
    max_age_seconds: 1
    timeout_seconds: 3
    retries: 1
private:
  scopes:
    '@acme': [alice]
  names: [acme-reserved]
packages:
  '@acme/*':
    access: $all
    publish: $authenticated
  '**':
    proxy: up
proxy:
  probe_interval_hours: 0.0005
  deny:
    - {name: denied-pkg, range: '>=2.0.0'}
typosquat:
  snapshot: ${snapshot}
`,
  }).start();
  alice = proxy.addUser('alice');
  admin = proxy.addUser('root', 'correct horse battery', 'root@example.com');
  const promote = proxy.cli(['user', 'add', 'root2', '--email', 'r2@example.com', '--password-stdin', '--admin'],
    'correct horse battery\n');
  assert.equal(promote.status, 0, out(promote));
  adminToken = await proxy.token({ name: 'root2', password: 'correct horse battery' });
  aliceCli = new Client(proxy, await proxy.token(alice));
  // The private packages, published at the proxy.
  publish(aliceCli, { name: 'acme-internal', version: '1.0.0' });
  publish(aliceCli, { name: '@acme/secret', version: '1.0.0' });
  // Later the uplink starts offering the private names, with higher versions (dependency
  // confusion: the attacker's version wins wherever both registries are read).
  publish(upCli, { name: 'acme-internal', version: '9.9.9' });
  publish(upCli, { name: 'acme-reserved', version: '5.0.0' });
  publish(upCli, { name: '@acme/secret', version: '9.0.0' });
});

after(async () => {
  await proxy?.stop();
  await upstream?.stop();
  upCli?.cleanup();
  aliceCli?.cleanup();
  rmSync(work, { recursive: true, force: true });
  proxy?.cleanup();
  upstream?.cleanup();
});

test('npm installs a dependency tree through the proxy; tarball URLs point at the proxy', async () => {
  const c = new Client(proxy);
  const dir = project({ 'app-a': '^1.0.0' });
  const r = c.npm(['install'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  for (const n of ['app-a', 'dep-b', 'dep-c']) {
    assert.ok(existsSync(join(dir, 'node_modules', n, 'package.json')), n);
  }
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  assert.equal(lock.packages['node_modules/dep-c'].resolved,
    `${proxy.url}/dep-c/-/dep-c-1.0.0.tgz`);
  assert.ok(!JSON.stringify(lock).includes(upstream.url), 'no upstream URL reaches the client');
  // Tarballs were verified and stored: the proxy's cache knows them. A first fetch is served
  // before its fsync and commit, so the rows may land a moment after npm is done.
  const db = join(proxy.dataDir, 'proxy.sqlite3');
  const stored = () => sqlite(db, "SELECT count(*) FROM proxy_tarballs WHERE name IN ('app-a','dep-b','dep-c')");
  for (let i = 0; i < 100 && stored() !== '3'; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(stored(), '3', proxy.stderr.slice(-2000));
  c.cleanup();
});

test('the abbreviated document is served, rewritten, and its ETag answers 304', async () => {
  const res = await fetch(`${proxy.url}/dep-b`, { headers: { accept: 'application/vnd.npm.install-v1+json' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/vnd.npm.install-v1+json');
  const doc = await res.json();
  assert.equal(doc.versions['1.0.0'].dist.tarball, `${proxy.url}/dep-b/-/dep-b-1.0.0.tgz`);
  assert.equal(doc.versions['1.0.0'].readme, undefined);
  assert.equal(doc['dist-tags'].latest, '1.0.0');
  const again = await fetch(`${proxy.url}/dep-b`, {
    headers: { accept: 'application/vnd.npm.install-v1+json', 'if-none-match': res.headers.get('etag') } });
  assert.equal(again.status, 304);
  const full = await (await fetch(`${proxy.url}/dep-b`)).json();
  assert.equal(full.versions['1.0.0'].dist.tarball, `${proxy.url}/dep-b/-/dep-b-1.0.0.tgz`);
  assert.equal(full._rev, undefined);
  const version = await (await fetch(`${proxy.url}/dep-b/latest`)).json();
  assert.equal(version.version, '1.0.0');
});

test('after max_age the proxy revalidates with If-None-Match (304 keeps the copy) and sees new versions', async () => {
  const db = join(proxy.dataDir, 'proxy.sqlite3');
  const before = sqlite(db, "SELECT etag || ' ' || fetched FROM proxy_packuments WHERE name='dep-c'");
  const [etag, fetched] = before.split(' ');
  assert.ok(etag.length > 2, before);
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal((await fetch(`${proxy.url}/dep-c`)).status, 200);
  const after = sqlite(db, "SELECT etag || ' ' || fetched FROM proxy_packuments WHERE name='dep-c'");
  const [etag2, fetched2] = after.split(' ');
  assert.equal(etag2, etag, 'a 304 keeps the stored document and its ETag');
  assert.ok(Number(fetched2) > Number(fetched), 'revalidated');
  publish(upCli, { name: 'dep-c', version: '1.1.0' });
  await new Promise((r) => setTimeout(r, 1200));
  const doc = await (await fetch(`${proxy.url}/dep-c`)).json();
  assert.equal(doc['dist-tags'].latest, '1.1.0');
  // Fetched once now, so the install with the upstream down (below) finds it in the store.
  assert.equal((await fetch(`${proxy.url}/dep-c/-/dep-c-1.1.0.tgz`)).status, 200);
});

test('dependency confusion: local and private names never come from the uplink', async () => {
  const doc = await (await fetch(`${proxy.url}/acme-internal`)).json();
  assert.deepEqual(Object.keys(doc.versions), ['1.0.0']);
  const scoped = await (await fetch(`${proxy.url}/@acme%2fsecret`)).json();
  assert.deepEqual(Object.keys(scoped.versions), ['1.0.0']);
  // The upstream's tarballs of these names are not reachable through the proxy.
  assert.equal((await fetch(`${proxy.url}/acme-internal/-/acme-internal-9.9.9.tgz`)).status, 404);
  assert.equal((await fetch(`${proxy.url}/@acme/secret/-/secret-9.0.0.tgz`)).status, 404);
  // Reserved by config, not published here: still never fetched upstream.
  assert.equal((await fetch(`${proxy.url}/acme-reserved`)).status, 404);
  const db = join(proxy.dataDir, 'proxy.sqlite3');
  assert.equal(sqlite(db, "SELECT count(*) FROM proxy_packuments WHERE name IN ('acme-internal','@acme/secret','acme-reserved')"), '0');
  // npm resolves ^ ranges against the private package only, whatever upstream offers.
  const c = new Client(proxy);
  const dir = project({ 'acme-internal': '*' });
  const r = c.npm(['install'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  assert.equal(JSON.parse(readFileSync(join(dir, 'node_modules', 'acme-internal', 'package.json'))).version, '1.0.0');
  c.cleanup();
});

test('doctor names private names the uplink offers, and lower private versions; events are recorded', () => {
  const r = proxy.cli(['doctor']);
  assert.equal(r.status, 1, out(r));
  assert.match(r.stdout, /private name acme-internal is also offered by uplink up \(latest 9\.9\.9\).*private version 1\.0\.0 is lower than upstream's 9\.9\.9/);
  assert.match(r.stdout, /private name @acme\/secret is also offered by uplink up/);
  assert.match(r.stdout, /private name acme-reserved is also offered by uplink up/);
  const events = proxy.cli(['proxy', 'refusals']);
  assert.equal(events.status, 0, out(events));
  assert.match(events.stdout, /proxy\.confusion +uplink up offers private name acme-internal: 9\.9\.9/);
});

test('serve probes the uplinks periodically: each new confusion is one event and one admin notice', async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const confusions = () => {
    const r = proxy.cli(['proxy', 'refusals', '--json', '--limit', '500']);
    assert.equal(r.status, 0, out(r));
    return JSON.parse(r.stdout).filter((e) => e.kind === 'proxy.confusion').map((e) => e.package).sort();
  };
  const want = ['@acme/secret', 'acme-internal', 'acme-reserved'];
  let seen = [];
  for (let i = 0; i < 60 && seen.length < want.length; i++) {
    seen = confusions();
    if (seen.length < want.length) await sleep(250);
  }
  assert.deepEqual(seen, want);
  // Several more runs (every 1.8 s) and doctor's probe above: still one event per finding.
  await sleep(4500);
  assert.deepEqual(confusions(), want);
  const notices = async (token) => {
    const res = await fetch(`${proxy.url}/-/bulwark/v1/notices`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return JSON.stringify((await res.json()).notices);
  };
  const mine = await notices(adminToken);
  assert.match(mine, /proxy-confusion/);
  assert.match(mine, /uplink up offers private name acme-internal: 9\.9\.9/);
  assert.equal((mine.match(/offers private name acme-internal/g) || []).length, 1, mine);
  assert.doesNotMatch(await notices(aliceCli.token), /proxy-confusion/, 'only administrators are told');
  // A private package the uplink starts offering later is found by the next run, once.
  publish(aliceCli, { name: 'acme-later', version: '1.0.0' });
  publish(upCli, { name: 'acme-later', version: '2.0.0' });
  for (let i = 0; i < 60 && !confusions().includes('acme-later'); i++) await sleep(250);
  await sleep(4000);
  assert.equal(confusions().filter((n) => n === 'acme-later').length, 1);
  assert.match(await notices(adminToken), /offers private name acme-later: 2\.0\.0/);
});

test('firewall: a malware corpus package is refused with the reason and how to allow it', () => {
  const c = new Client(proxy);
  const dir = project({ 'tiny-color-helper': '1.0.0' });
  const r = c.npm(['install'], { cwd: dir });
  assert.notEqual(r.status, 0, out(r));
  assert.match(r.stderr, /403/);
  assert.match(r.stderr, /firewall refused tiny-color-helper@1\.0\.0: the malware scan's verdict is reject/);
  assert.match(r.stderr, /proxy\.allow/);
  c.cleanup();
});

test('firewall: a typosquat of a popular package is refused', async () => {
  const res = await fetch(`${proxy.url}/crossenv`);
  assert.equal(res.status, 403);
  const body = await res.json();
  assert.match(body.error, /refused crossenv: the name imitates "cross-env"/);
});

test('firewall: the deny list refuses matching versions only', async () => {
  assert.equal((await fetch(`${proxy.url}/denied-pkg/-/denied-pkg-1.0.0.tgz`)).status, 200);
  const res = await fetch(`${proxy.url}/denied-pkg/-/denied-pkg-2.0.0.tgz`);
  assert.equal(res.status, 403);
  assert.match((await res.json()).error, /denied-pkg@2\.0\.0: it is on the deny list \(denied-pkg >=2\.0\.0\)/);
});

test('refusals are visible to admins (CLI and endpoint), not to others', async () => {
  const r = proxy.cli(['proxy', 'refusals', '--json']);
  assert.equal(r.status, 0, out(r));
  const kinds = JSON.parse(r.stdout).map((e) => `${e.kind} ${e.package}`);
  for (const k of ['proxy.refused tiny-color-helper', 'proxy.refused crossenv', 'proxy.refused denied-pkg']) {
    assert.ok(kinds.includes(k), `${k} in ${kinds}`);
  }
  const res = await fetch(`${proxy.url}/-/bulwark/v1/proxy/refusals`, { headers: { authorization: `Bearer ${adminToken}` } });
  assert.equal(res.status, 200);
  assert.ok((await res.json()).events.some((e) => e.package === 'crossenv'));
  const anon = await fetch(`${proxy.url}/-/bulwark/v1/proxy/refusals`);
  assert.equal(anon.status, 401);
});

test('serve --uplink URL proxies every name that is not local or private', async () => {
  const reg = await new Registry({ config: "private:\n  names: [acme-internal]\n", args: ['--uplink', upstream.url] }).start();
  try {
    const doc = await (await fetch(`${reg.url}/dep-b`)).json();
    assert.equal(doc.versions['1.0.0'].dist.tarball, `${reg.url}/dep-b/-/dep-b-1.0.0.tgz`);
    assert.equal((await fetch(`${reg.url}/dep-b/-/dep-b-1.0.0.tgz`)).status, 200);
    assert.equal((await fetch(`${reg.url}/acme-internal`)).status, 404);
  } finally {
    await reg.stop();
    reg.cleanup();
  }
});

// A hand-made upstream: an old and a brand-new version (cooldown), a tarball that does not
// match its integrity, and one pointed at another host.
async function fakeUpstream() {
  const tgz = (name, v) => tarGz({ 'package/package.json': JSON.stringify({ name, version: v }) });
  const old = tgz('cool-pkg', '1.0.0');
  const young = tgz('cool-pkg', '1.1.0');
  const bad = tgz('bad-pkg', '1.0.0');
  const sri = (b) => 'sha512-' + createHash('sha512').update(b).digest('base64');
  let base;
  const docs = {
    'cool-pkg': () => ({
      name: 'cool-pkg', 'dist-tags': { latest: '1.1.0' },
      versions: {
        '1.0.0': { name: 'cool-pkg', version: '1.0.0', dist: { tarball: `${base}/cool-pkg/-/cool-pkg-1.0.0.tgz`, integrity: sri(old) } },
        '1.1.0': { name: 'cool-pkg', version: '1.1.0', dist: { tarball: `${base}/cool-pkg/-/cool-pkg-1.1.0.tgz`, integrity: sri(young) } },
      },
      time: { '1.0.0': '2020-01-01T00:00:00.000Z', '1.1.0': new Date().toISOString() },
    }),
    'bad-pkg': () => ({
      name: 'bad-pkg', 'dist-tags': { latest: '1.0.0' },
      versions: { '1.0.0': { name: 'bad-pkg', version: '1.0.0', dist: { tarball: `${base}/bad-pkg/-/bad-pkg-1.0.0.tgz`, integrity: sri(Buffer.from('other bytes')) } } },
      time: { '1.0.0': '2020-01-01T00:00:00.000Z' },
    }),
    'elsewhere-pkg': () => ({
      name: 'elsewhere-pkg', 'dist-tags': { latest: '1.0.0' },
      versions: { '1.0.0': { name: 'elsewhere-pkg', version: '1.0.0', dist: { tarball: 'http://127.0.0.2:9/x.tgz', integrity: sri(old) } } },
      time: { '1.0.0': '2020-01-01T00:00:00.000Z' },
    }),
  };
  const files = { '/cool-pkg/-/cool-pkg-1.0.0.tgz': old, '/cool-pkg/-/cool-pkg-1.1.0.tgz': young, '/bad-pkg/-/bad-pkg-1.0.0.tgz': bad };
  const server = createServer((req, res) => {
    const name = decodeURIComponent(req.url.slice(1));
    if (docs[name]) { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(docs[name]())); return; }
    if (files[req.url]) { res.end(files[req.url]); return; }
    res.statusCode = 404; res.end('{}');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
  return { server, base };
}

test('cooldown: versions younger than cooldown_hours are left out and latest falls back', async () => {
  const fake = await fakeUpstream();
  const reg = await new Registry({ config: `uplinks:\n  fake:\n    url: ${fake.base}\npackages:\n  '**':\n    proxy: fake\nproxy:\n  cooldown_hours: 72\n` }).start();
  try {
    const doc = await (await fetch(`${reg.url}/cool-pkg`)).json();
    assert.deepEqual(Object.keys(doc.versions), ['1.0.0']);
    assert.equal(doc['dist-tags'].latest, '1.0.0');
    const c = new Client(reg);
    const dir = project({ 'cool-pkg': '*' });
    const r = await npmAsync(c, ['install'], dir);
    assert.equal(r.status, 0, out(r));
    assert.equal(JSON.parse(readFileSync(join(dir, 'node_modules', 'cool-pkg', 'package.json'))).version, '1.0.0');
    c.cleanup();
    const young = await fetch(`${reg.url}/cool-pkg/-/cool-pkg-1.1.0.tgz`);
    assert.equal(young.status, 403);
    assert.match((await young.json()).error, /less than 72 hours ago/);
    // A tarball that does not match its declared integrity is never stored or served.
    const bad = await fetch(`${reg.url}/bad-pkg/-/bad-pkg-1.0.0.tgz`);
    assert.equal(bad.status, 503);
    assert.match((await bad.json()).error, /does not match its integrity/);
    // Nor is a tarball URL off the uplink's host fetched (no request forgery through the proxy).
    const off = await fetch(`${reg.url}/elsewhere-pkg/-/elsewhere-pkg-1.0.0.tgz`);
    assert.equal(off.status, 422);
    const events = reg.cli(['proxy', 'refusals']);
    assert.match(events.stdout, /proxy\.integrity +bad-pkg@1\.0\.0/);
  } finally {
    await reg.stop();
    reg.cleanup();
    fake.server.close();
  }
});

test('upstream down: npm installs from the cache; packuments carry a Warning header', async () => {
  await upstream.stop();
  await new Promise((r) => setTimeout(r, 1200));  // Past max_age: the proxy must ask upstream.
  const res = await fetch(`${proxy.url}/app-a`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('warning') || '', /^111 bulwark "Revalidation Failed"/);
  const c = new Client(proxy);  // A fresh npm cache: everything comes from the proxy.
  const dir = project({ 'app-a': '^1.0.0' });
  const r = c.npm(['install'], { cwd: dir });
  assert.equal(r.status, 0, `proxy ${proxy.url}, upstream ${upstream.url}\n${out(r)}\n${proxy.stderr.slice(-2000)}`);
  assert.ok(existsSync(join(dir, 'node_modules', 'dep-c', 'package.json')));
  c.cleanup();
  // Never cached and the upstream gone: 503, not a 404 that npm would take as "no such package".
  assert.equal((await fetch(`${proxy.url}/never-seen-pkg`)).status, 503);
});

test('the proxy cache survives a restart of the proxy (persistent)', async () => {
  await proxy.stop();
  await proxy.start();
  const res = await fetch(`${proxy.url}/dep-b`);
  assert.equal(res.status, 200);
  const doc = await res.json();
  assert.equal(doc.versions['1.0.0'].dist.tarball, `${proxy.url}/dep-b/-/dep-b-1.0.0.tgz`);
  assert.equal((await fetch(`${proxy.url}/dep-b/-/dep-b-1.0.0.tgz`)).status, 200);
});
