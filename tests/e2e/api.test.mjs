// Protocol-level tests against a real server: what publish must refuse (with a clear error and
// nothing stored), content negotiation, caching headers and URL forms (npm-registry-api.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { Registry, tarGz, publishBody, putJson } from './harness.mjs';

let reg, token;
const CORGI = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

before(async () => {
  reg = await new Registry().start();
  const alice = reg.addUser('alice');
  token = await reg.token(alice);
});
after(async () => { await reg.stop(); reg.cleanup(); });

function pkg(name, version, extra = {}, files = {}) {
  const manifest = { name, version, ...extra };
  return { manifest, tarball: tarGz({ 'package/package.json': JSON.stringify(manifest), 'package/index.js': 'x', ...files }) };
}

async function expectRefused(name, body, status, pattern) {
  const r = await putJson(`${reg.url}/${name.replace('/', '%2f')}`, body, token);
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(r.body.error, pattern);
  assert.equal((await fetch(`${reg.url}/${name.replace('/', '%2f')}`)).status, 404, 'nothing stored');
}

test('a valid publish works and the identical retry succeeds (npm retries after 5xx)', async () => {
  const { manifest, tarball } = pkg('retry-me', '1.0.0');
  const body = publishBody(manifest, tarball);
  assert.equal((await putJson(`${reg.url}/retry-me`, body, token)).status, 201);
  const again = await putJson(`${reg.url}/retry-me`, body, token);
  assert.equal(again.status, 201);
  const other = publishBody(manifest, tarGz({ 'package/package.json': JSON.stringify(manifest), 'package/index.js': 'y' }));
  const conflict = await putJson(`${reg.url}/retry-me`, other, token);
  assert.equal(conflict.status, 403);
  assert.match(conflict.body.error, /cannot publish over the previously published versions: 1\.0\.0/);
});

test('publish refuses a tarball that does not match dist.integrity or shasum', async () => {
  const { manifest, tarball } = pkg('bad-integrity', '1.0.0');
  const body = publishBody(manifest, tarball);
  body.versions['1.0.0'].dist.integrity = 'sha512-' + Buffer.alloc(64).toString('base64');
  await expectRefused('bad-integrity', body, 400, /sha512 does not match dist\.integrity/);
  const body2 = publishBody(manifest, tarball);
  body2.versions['1.0.0'].dist.shasum = '0'.repeat(40);
  await expectRefused('bad-integrity', body2, 400, /sha1 does not match dist\.shasum/);
});

test('publish refuses bad base64 and a wrong length', async () => {
  const { manifest, tarball } = pkg('bad-b64', '1.0.0');
  const body = publishBody(manifest, tarball);
  body._attachments['bad-b64-1.0.0.tgz'].data = '!!!not base64!!!';
  await expectRefused('bad-b64', body, 400, /not valid base64/);
  const body2 = publishBody(manifest, tarball);
  body2._attachments['bad-b64-1.0.0.tgz'].length = 3;
  await expectRefused('bad-b64', body2, 400, /length does not match/);
});

test('publish refuses archives that are not gzip or that escape the package folder', async () => {
  const manifest = { name: 'evil-tar', version: '1.0.0' };
  const notGzip = Buffer.from('PK\x03\x04 this is a zip file');
  await expectRefused('evil-tar', publishBody(manifest, notGzip), 400, /gzip/);
  const traversal = tarGz({ 'package/package.json': JSON.stringify(manifest), 'package/../../etc/cron.d/x': 'boom' });
  await expectRefused('evil-tar', publishBody(manifest, traversal), 400, /\.\./);
  const absolute = tarGz({ 'package/package.json': JSON.stringify(manifest), '/etc/passwd': 'root' });
  await expectRefused('evil-tar', publishBody(manifest, absolute), 400, /absolute|path|top-level|folder/i);
  const bomb = gzipSync(Buffer.alloc(300 * 1024 * 1024));
  await expectRefused('evil-tar', publishBody(manifest, bomb), 400, /limit|tar|archive|truncated/i);
});

test('publish refuses a manifest that disagrees with the tarball (manifest confusion)', async () => {
  const real = { name: 'confused', version: '1.0.0', scripts: { postinstall: 'node steal.js' },
    dependencies: { 'left-pad': '^1.0.0' } };
  const tarball = tarGz({ 'package/package.json': JSON.stringify(real), 'package/steal.js': 'x' });
  const innocent = { name: 'confused', version: '1.0.0', dependencies: { 'left-pad': '^1.0.0' } };
  await expectRefused('confused', publishBody(real, tarball, { claimed: innocent }), 422,
    /"scripts" does not match the package\.json inside the tarball/);
  const hiddenDep = { ...real, dependencies: {} };
  await expectRefused('confused', publishBody(real, tarball, { claimed: hiddenDep }), 422,
    /"dependencies" does not match/);
  const otherVersion = tarGz({ 'package/package.json': JSON.stringify({ ...real, version: '6.6.6' }) });
  await expectRefused('confused', publishBody(real, otherVersion), 422, /"version" does not match/);
});

test('the stored manifest comes from the tarball, not from the request', async () => {
  const real = { name: 'derived', version: '1.0.0', description: 'from the tarball' };
  const tarball = tarGz({ 'package/package.json': JSON.stringify(real) });
  const body = publishBody(real, tarball, { claimed: { ...real, description: 'from the request', homepage: 'https://phish.example' } });
  assert.equal((await putJson(`${reg.url}/derived`, body, token)).status, 201);
  const doc = await (await fetch(`${reg.url}/derived`)).json();
  assert.equal(doc.versions['1.0.0'].description, 'from the tarball');
  assert.equal(doc.versions['1.0.0'].homepage, undefined);
});

test('publish refuses bad names, bad versions, anonymous writes and semver-looking tags', async () => {
  const { manifest, tarball } = pkg('Caps', '1.0.0');
  await expectRefused('Caps', publishBody(manifest, tarball), 400, /invalid package name "Caps".*capital letters/);
  const v = pkg('badver', '01.0.0');
  await expectRefused('badver', publishBody(v.manifest, v.tarball), 400, /not a valid semver version/);
  const a = pkg('anon', '1.0.0');
  const anon = await putJson(`${reg.url}/anon`, publishBody(a.manifest, a.tarball));
  assert.equal(anon.status, 401);
  assert.match(anon.body.error, /logged in/);
  const t = pkg('tagged', '1.0.0');
  await expectRefused('tagged', publishBody(t.manifest, t.tarball, { tag: '^1.0.0' }), 400, /valid semver range/);
  const bad = await putJson(`${reg.url}/anything`, '{"not": "closed"', token);
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /invalid JSON/);
});

test('a body over the size limit gets 413 before it is read', async () => {
  const r2 = await new Registry({ config: 'limits:\n  max_publish_body_mb: 1\n' }).start();
  try {
    const r = await fetch(`${r2.url}/big`, { method: 'PUT', headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(r.status, 413);
    assert.match((await r.json()).error, /larger than the 1048576-byte limit/);
  } finally { await r2.stop(); r2.cleanup(); }
});

test('packuments: corgi vs full, ETag/304, gzip, scoped URL spellings, write=true', async () => {
  const { manifest, tarball } = pkg('@scope/neg', '1.0.0', { scripts: { install: 'node-gyp rebuild' }, engines: { node: '>=18' },
    description: 'long enough to be worth compressing '.repeat(60) });
  assert.equal((await putJson(`${reg.url}/@scope%2fneg`, publishBody(manifest, tarball), token)).status, 201);
  const full = await fetch(`${reg.url}/@scope%2fneg`, { headers: { accept: 'application/json' } });
  const fullDoc = await full.json();
  assert.equal(fullDoc._id, '@scope/neg');
  assert.ok(fullDoc._rev);
  assert.deepEqual(fullDoc.versions['1.0.0'].scripts, { install: 'node-gyp rebuild' });
  const corgi = await fetch(`${reg.url}/@scope%2Fneg`, { headers: { accept: CORGI } });
  assert.equal(corgi.headers.get('content-type'), 'application/vnd.npm.install-v1+json');
  const corgiDoc = await corgi.json();
  assert.equal(corgiDoc.versions['1.0.0'].hasInstallScript, true);
  assert.equal(corgiDoc.versions['1.0.0'].scripts, undefined);
  assert.deepEqual(corgiDoc.versions['1.0.0'].engines, { node: '>=18' });
  assert.ok(corgiDoc.modified);
  assert.notEqual(full.headers.get('etag'), corgi.headers.get('etag'));
  assert.match(full.headers.get('vary'), /Accept/);
  const slash = await fetch(`${reg.url}/@scope/neg`, { headers: { accept: 'application/json' } });
  assert.equal(slash.status, 200);
  const etag = full.headers.get('etag');
  const notModified = await fetch(`${reg.url}/@scope%2fneg`, { headers: { accept: 'application/json', 'if-none-match': etag } });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.headers.get('etag'), etag);
  const write = await fetch(`${reg.url}/@scope%2fneg?write=true`, { headers: { accept: CORGI } });
  assert.ok((await write.json())._rev, 'write=true always gets the full document');
  // Raw HTTP to see Content-Encoding (fetch decodes it).
  const { request } = await import('node:http');
  const enc = await new Promise((resolve) => request(`${reg.url}/@scope%2fneg`, { headers: { 'accept-encoding': 'gzip' } },
    (res) => { res.resume(); resolve(res.headers['content-encoding']); }).end());
  assert.equal(enc, 'gzip');
  const tgzEnc = await new Promise((resolve) => request(fullDoc.versions['1.0.0'].dist.tarball, { headers: { 'accept-encoding': 'gzip,deflate' } },
    (res) => { res.resume(); resolve([res.statusCode, res.headers['content-encoding'], res.headers['content-type']]); }).end());
  assert.deepEqual(tgzEnc, [200, undefined, 'application/octet-stream']);
});

test('tarball URLs follow the Host the client used; unknown things are 404 with a JSON body', async () => {
  const doc = await (await fetch(`http://localhost:${reg.port}/retry-me`)).json();
  assert.equal(doc.versions['1.0.0'].dist.tarball, `http://localhost:${reg.port}/retry-me/-/retry-me-1.0.0.tgz`);
  for (const path of ['/no-such-package', '/retry-me/-/retry-me-9.9.9.tgz', '/retry-me/9.9.9', '/-/nothing']) {
    const r = await fetch(reg.url + path);
    assert.equal(r.status, 404, path);
    assert.ok((await r.json()).error, path);
  }
  const v = await (await fetch(`${reg.url}/retry-me/latest`)).json();
  assert.equal(v.version, '1.0.0');
  const range = await (await fetch(`${reg.url}/retry-me/%5E1.0.0`)).json();
  assert.equal(range.version, '1.0.0');
});

test('a stale token on a read is served anonymously with an npm-notice', async () => {
  const r = await fetch(`${reg.url}/retry-me`, { headers: { authorization: 'Bearer bwk_expired' } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('npm-notice'), /expired or revoked/);
  const who = await fetch(`${reg.url}/-/whoami`, { headers: { authorization: 'Bearer bwk_expired' } });
  assert.equal(who.status, 401);
});

test('concurrent publishes: different versions all land; the same version, one winner', async () => {
  const versions = Array.from({ length: 12 }, (_, i) => `1.${i}.0`);
  const results = await Promise.all(versions.map((v) => {
    const { manifest, tarball } = pkg('concurrent', v);
    return putJson(`${reg.url}/concurrent`, publishBody(manifest, tarball), token);
  }));
  assert.deepEqual(results.map((r) => r.status), versions.map(() => 201));
  const doc = await (await fetch(`${reg.url}/concurrent`)).json();
  assert.deepEqual(Object.keys(doc.versions).sort(), [...versions].sort());

  const racers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => {
    const manifest = { name: 'contested', version: '1.0.0' };
    const tarball = tarGz({ 'package/package.json': JSON.stringify(manifest), 'package/index.js': `racer ${i}` });
    return putJson(`${reg.url}/contested`, publishBody(manifest, tarball), token);
  }));
  const statuses = racers.map((r) => r.status).sort();
  assert.equal(statuses.filter((s) => s === 201).length, 1, JSON.stringify(statuses));
  assert.equal(statuses.filter((s) => s === 403).length, 5, JSON.stringify(statuses));
});
