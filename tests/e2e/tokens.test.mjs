// End-to-end: granular tokens through the stock npm CLI (npm-registry-api.md §6), and the write
// refusal matrix: every write endpoint against every kind of bad credential, each refused with
// the right status and recorded as a `write.blocked` security event.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, makePackage, out, tempDir, tarGz, publishBody, putJson } from './harness.mjs';

let reg, alice, bob, dave, cli, work;
let aliceToken, bobToken, daveToken, daveSecret;

before(async () => {
  reg = await new Registry({ config: 'auth:\n  max_write_token_days: 60\n' }).start();
  alice = reg.addUser('alice');
  bob = reg.addUser('bob', 'a different passphrase 42');
  dave = reg.addUser('dave');
  aliceToken = await reg.token(alice);
  bobToken = await reg.token(bob);
  daveToken = await reg.token(dave);
  cli = new Client(reg, aliceToken);
  work = tempDir('bulwark-work-');
});

after(async () => {
  await reg.stop();
  cli.cleanup();
  rmSync(work, { recursive: true, force: true });
  reg.cleanup();
});

async function api(method, path, { token, body, otp, raw } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (otp) headers['npm-otp'] = otp;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${reg.url}${path}`, { method, headers, body: body === undefined ? undefined : (raw ? body : JSON.stringify(body)) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, body: json, headers: res.headers };
}

function npmToken(client, args) {
  return client.npm(['token', 'create', `--password=${alice.password}`, '--json', ...args]);
}

function sql(statement) {
  execFileSync('sqlite3', [join(reg.dataDir, 'bulwark.sqlite3'), statement]);
}

function oathtool(offset = 0) {
  const now = new Date(Date.now() + offset * 1000).toISOString().replace('T', ' ').replace(/\..*/, ' UTC');
  return execFileSync('oathtool', ['--totp', '-b', '--now', now, daveSecret], { encoding: 'utf8' }).trim();
}

async function events(query = '') {
  const r = reg.cli(['events', '--json', '--limit', '10000', ...query.split(' ').filter(Boolean)]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('npm token create: read-only, packages, scopes, CIDR, expiry; npm token list shows them', () => {
  const ro = npmToken(cli, ['--packages-and-scopes-permission=read-only', '--name=ro']);
  assert.equal(ro.status, 0, out(ro));
  const roTok = JSON.parse(ro.stdout);
  assert.match(roTok.token, /^bwk_/);
  assert.equal(roTok.readonly, true);

  const granular = npmToken(cli, ['--packages=tok-one', '--packages=tok-two', '--scopes=alice',
    '--cidr=127.0.0.1/32', '--expires=7', '--name=ci', '--bypass-2fa']);
  assert.equal(granular.status, 0, out(granular));
  const g = JSON.parse(granular.stdout);
  assert.deepEqual(g.packages, ['tok-one', 'tok-two']);
  assert.deepEqual(g.scopes, ['@alice'], 'a scope given without @ is stored with it');
  assert.deepEqual(g.cidr_whitelist, ['127.0.0.1/32']);
  assert.equal(g.bypass_2fa, true);
  const days = (Date.parse(g.expires) - Date.now()) / 86400000;
  assert.ok(days > 6.9 && days <= 7, `expires in 7 days, got ${days}`);

  const list = cli.npm(['token', 'list', '--json']);
  assert.equal(list.status, 0, out(list));
  const tokens = JSON.parse(list.stdout);
  const ci = tokens.find((t) => t.name === 'ci');
  assert.ok(ci, list.stdout);
  assert.deepEqual(ci.packages, ['tok-one', 'tok-two']);
  assert.equal(ci.packages_and_scopes_permission, 'read-write');
  assert.equal(tokens.find((t) => t.name === 'ro').packages_and_scopes_permission, 'read-only');
  assert.ok(!list.stdout.includes(g.token), 'the secret is never listed');
  const human = cli.npm(['token', 'list']);
  assert.match(human.stdout, /with IP whitelist: 127\.0\.0\.1\/32/);
  // Only the SHA-512 of a secret is stored.
  const db = execFileSync('sqlite3', [join(reg.dataDir, 'bulwark.sqlite3'), 'SELECT key, prefix FROM tokens'], { encoding: 'utf8' });
  assert.ok(!db.includes(g.token) && db.includes(ci.key));
});

test('write tokens may live at most auth.max_write_token_days; read-only ones longer', () => {
  const long = npmToken(cli, ['--expires=61']);
  assert.notEqual(long.status, 0);
  assert.match(long.stderr, /publish \(read-write\) tokens may live at most 60 days/, out(long));
  const ro = npmToken(cli, ['--expires=200', '--packages-and-scopes-permission=read-only']);
  assert.equal(ro.status, 0, out(ro));
  const orgs = npmToken(cli, ['--orgs=acme']);
  assert.notEqual(orgs.status, 0);
  assert.match(orgs.stderr, /organisations are not supported on this registry/);
  const bad = npmToken(cli, ['--packages=Not A Name']);
  assert.match(bad.stderr, /invalid package name/, out(bad));
});

test('the real npm CLI: read-only, package-limited and CIDR-bound tokens cannot publish', async () => {
  const dir = makePackage(join(work, 'tok-one'), { name: 'tok-one', version: '1.0.0' });
  const mint = (args) => JSON.parse(npmToken(cli, args).stdout).token;
  const c = new Client(reg, mint(['--packages-and-scopes-permission=read-only']));
  let r = c.npm(['publish'], { cwd: dir });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /E403/);
  assert.match(r.stderr, /this token is read-only and cannot change tok-one/, out(r));

  c.setToken(mint(['--packages=tok-two']));
  r = c.npm(['publish'], { cwd: dir });
  assert.match(r.stderr, /this token may change only tok-two, not tok-one/, out(r));

  c.setToken(mint(['--packages=tok-one']));
  r = c.npm(['publish'], { cwd: dir });
  assert.equal(r.status, 0, out(r));

  c.setToken(mint(['--cidr=10.0.0.0/8']));
  r = c.npm(['dist-tag', 'add', 'tok-one@1.0.0', 'stable']);
  assert.match(r.stderr, /code EAUTHIP/, out(r));
  // ... while a read with it is served, anonymously, with a notice.
  r = c.npm(['view', 'tok-one', 'name']);
  assert.equal(r.stdout.trim(), 'tok-one', out(r));
  const res = await fetch(`${reg.url}/tok-one`, { headers: { authorization: `Bearer ${c.token}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('npm-notice'), /Access token bwk_\w+ is not allowed from this IP address \(127\.0\.0\.1\)/);
  c.cleanup();
});

test('last use is recorded (at most once a minute)', async () => {
  const t = JSON.parse(npmToken(cli, ['--name=touch']).stdout);
  let listed = (await api('GET', '/-/npm/v1/tokens?perPage=100', { token: aliceToken })).body.objects.find((o) => o.name === 'touch');
  assert.equal(listed.last_used, null);
  assert.equal((await api('GET', '/-/whoami', { token: t.token })).status, 200);
  listed = (await api('GET', '/-/npm/v1/tokens?perPage=100', { token: aliceToken })).body.objects.find((o) => o.name === 'touch');
  assert.ok(Date.now() - Date.parse(listed.last_used) < 60000, listed.last_used);
});

// ---- The refusal matrix ----------------------------------------------------------------------

const PKG = 'mx-pkg';
const SCOPED = '@alice/mx-scoped';

async function publish(name, version, token = aliceToken, otp) {
  const manifest = { name, version };
  const tgz = tarGz({ 'package/package.json': JSON.stringify(manifest) });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  if (otp) headers['npm-otp'] = otp;
  const res = await fetch(`${reg.url}/${name.replace('/', '%2f')}`, { method: 'PUT', headers, body: JSON.stringify(publishBody(manifest, tgz)) });
  return res.status;
}

// One request per write endpoint, shaped as npm sends it.
function endpoints(keyToRevoke, password) {
  const enc = PKG;
  const tgz = tarGz({ 'package/package.json': JSON.stringify({ name: PKG, version: '9.9.9' }) });
  return {
    'publish': ['PUT', `/${enc}`, publishBody({ name: PKG, version: '9.9.9' }, tgz)],
    'unpublish package': ['DELETE', `/${enc}/-rev/1`, undefined],
    'unpublish version': ['PUT', `/${enc}/-rev/1`, { _id: PKG, name: PKG, versions: { '1.0.0': {} }, 'dist-tags': { latest: '1.0.0' } }],
    'deprecate': ['PUT', `/${enc}/-rev/1`, { _id: PKG, name: PKG, versions: { '1.0.0': { deprecated: 'no' }, '1.0.1': {} } }],
    'dist-tag add': ['PUT', `/-/package/${enc}/dist-tags/beta`, '1.0.0'],
    'dist-tag rm': ['DELETE', `/-/package/${enc}/dist-tags/next`, undefined],
    'owner add': ['PUT', `/${enc}/-rev/1`, { _id: PKG, _rev: '1', maintainers: [{ name: 'alice' }, { name: 'dave' }, { name: 'bob' }] }],
    'access': ['POST', `/-/package/${SCOPED.replace('/', '%2f')}/access`, { access: 'restricted' }],
    'access mfa': ['POST', `/-/package/${enc}/access`, { publish_requires_tfa: true, automation_token_overrides_tfa: false }],
    'token create': ['POST', '/-/npm/v1/tokens', { password, name: 'x' }],
    'token revoke': ['DELETE', `/-/npm/v1/tokens/token/${keyToRevoke}`, undefined],
    'profile change': ['POST', '/-/npm/v1/user', { email: 'new@example.com' }],
  };
}

test('every write endpoint refuses every bad credential, and each refusal is logged', async () => {
  // dave co-owns both packages and has 2FA in auth-and-writes mode.
  const start = await api('POST', '/-/npm/v1/user', { token: daveToken, body: { tfa: { mode: 'auth-and-writes', password: dave.password } } });
  daveSecret = new URL(start.body.tfa).searchParams.get('secret');
  assert.equal((await api('POST', '/-/npm/v1/user', { token: daveToken, body: { tfa: [oathtool()] } })).status, 200);

  assert.equal(await publish(PKG, '1.0.0'), 201);
  assert.equal(await publish(PKG, '1.0.1'), 201);
  assert.equal(await publish(SCOPED, '1.0.0'), 201);
  for (const name of [PKG, SCOPED]) {
    const r = await api('PUT', `/${name.replace('/', '%2f')}/-rev/1`, { token: aliceToken, body: { _id: name, maintainers: [{ name: 'alice' }, { name: 'dave' }] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  assert.equal((await api('PUT', `/-/package/${PKG}/dist-tags/next`, { token: aliceToken, body: '1.0.1' })).status, 200);

  const mint = async (body) => {
    const r = await api('POST', '/-/npm/v1/tokens', { token: aliceToken, body: { password: alice.password, ...body } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const victim = await mint({ name: 'victim' });  // The token the revoke requests aim at.
  const expired = await mint({ name: 'expired' });
  sql(`UPDATE tokens SET expires=1 WHERE key='${expired.key}'`);  // Time passing, in one step.
  const revoked = await mint({ name: 'revoked' });
  assert.equal((await api('DELETE', `/-/npm/v1/tokens/token/${revoked.key}`, { token: aliceToken })).status, 204);

  const cases = {
    'no token': { token: undefined, status: 401, error: /You must be logged in/ },
    'read-only': { token: (await mint({ packages_and_scopes_permission: 'read-only' })).token, status: 403, error: /read-only/ },
    'wrong package': { token: (await mint({ packages: ['other-pkg'] })).token, status: 403, error: /may change only other-pkg|limited to some packages/ },
    'wrong scope': { token: (await mint({ scopes: ['@other'] })).token, status: 403, error: /may change only @other\/\*|limited to some packages or scopes/ },
    'expired': { token: expired.token, status: 401, error: /expired or revoked/ },
    'revoked': { token: revoked.token, status: 401, error: /expired or revoked/ },
    'outside CIDR': { token: (await mint({ cidr_whitelist: ['10.0.0.0/8'] })).token, status: 401, error: /not allowed from this IP address/, header: 'ipaddress' },
    "other user's token": { token: bobToken, status: [401, 403], error: /permission|owners|incorrect user name or password|belongs to another user/ },
    '2FA without OTP': { token: daveToken, status: 401, error: /one-time password/, header: 'OTP' },
  };

  const before = (await events('--kind write.blocked')).length;
  let refusals = 0;
  const rows = [];
  for (const [caseName, c] of Object.entries(cases)) {
    for (const [endpoint, [method, path, body]] of Object.entries(endpoints(victim.key, c.token === daveToken ? dave.password : alice.password))) {
      // A token always acts for its owner: bob's token changes bob's own profile, which is
      // not a refusal to test here (the other rows cover bob reaching alice's things).
      if (caseName === "other user's token" && endpoint === 'profile change') continue;
      const r = await api(method, path, { token: c.token, body });
      const statuses = [].concat(c.status);
      rows.push(`${endpoint} × ${caseName}: ${r.status}`);
      assert.ok(statuses.includes(r.status), `${endpoint} × ${caseName}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.match(r.body.error, c.error, `${endpoint} × ${caseName}`);
      if (c.header) assert.equal(r.headers.get('www-authenticate'), c.header, `${endpoint} × ${caseName}`);
      refusals++;
    }
  }
  console.log(`${refusals} refusals:\n  ${rows.join('\n  ')}`);
  const logged = await events('--kind write.blocked');
  assert.equal(logged.length - before, refusals, 'one write.blocked event per refusal');
  // Events name the account concerned where it is known, and the address.
  assert.ok(logged.some((e) => e.user === 'alice' && /expired or revoked/.test(e.detail)));
  assert.ok(logged.some((e) => e.user === 'dave' && /one-time password/.test(e.detail) && e.package === PKG));
  assert.ok(logged.every((e) => e.address === '127.0.0.1'));

  // Nothing changed: the package, the tokens and the profile are as they were.
  const doc = (await api('GET', `/${PKG}`, { token: aliceToken })).body;
  assert.deepEqual(Object.keys(doc.versions).sort(), ['1.0.0', '1.0.1']);
  assert.deepEqual(doc.maintainers.map((m) => m.name), ['alice', 'dave']);
  assert.equal(doc.versions['1.0.0'].deprecated, undefined);
  assert.equal(doc['dist-tags'].next, '1.0.1');
  const list = (await api('GET', '/-/npm/v1/tokens?perPage=100', { token: aliceToken })).body.objects;
  assert.ok(list.some((t) => t.key === victim.key));
  assert.equal((await api('GET', '/-/npm/v1/user', { token: aliceToken })).body.email, 'alice@example.com');

  // The same requests with the right credential pass (the matrix refuses for the right reason).
  assert.equal((await api('PUT', `/-/package/${PKG}/dist-tags/beta`, { token: daveToken, otp: oathtool(30), body: '1.0.0' })).status, 200);
  assert.equal((await api('DELETE', `/-/npm/v1/tokens/token/${victim.key}`, { token: aliceToken })).status, 204);
});

test('users see their own security events; admins see everyone\'s with bulwark events', async () => {
  const mine = await api('GET', '/-/bulwark/v1/events?limit=500', { token: aliceToken });
  assert.equal(mine.status, 200);
  const kinds = new Set(mine.body.events.map((e) => e.kind));
  for (const k of ['login.success', 'token.created', 'token.revoked', 'write.blocked']) assert.ok(kinds.has(k), k);
  assert.ok(mine.body.events.every((e) => e.user === 'alice'));
  const others = await api('GET', '/-/bulwark/v1/events?user=bob', { token: aliceToken });
  assert.equal(others.status, 403);
  const bobs = await events('--user bob');
  assert.ok(bobs.length > 0 && bobs.every((e) => e.user === 'bob'));
  const text = reg.cli(['events', '--user', 'dave', '--kind', 'tfa.']);
  assert.match(text.stdout, /tfa\.enabled\s+dave\s+127\.0\.0\.1\s+auth-and-writes/);
});
