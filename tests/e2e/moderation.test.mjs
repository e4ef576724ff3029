// End-to-end: the publish gate's policy (warn, hold, reject) as `npm publish` shows it, the
// moderation queue (`bulwark moderation`, the admin API, reports, the package page's form in
// Chromium), removal as malicious with the security placeholder and a MAL- advisory, leaked
// registry tokens (revoked, or the publish refused naming file and line), the worm pattern, the
// token-leak partner endpoint with ECDSA keys generated here, and the moderation counters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync, createSign } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, makePackage, out, tempDir, pnpmBin, launchChromium } from './harness.mjs';


// The partner's signing keys: one published, one not.
const partner = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyId = 'test-key-' + 'a1b2c3';
const keysDoc = JSON.stringify({ public_keys: [{ key_identifier: keyId,
  key: partner.publicKey.export({ type: 'spki', format: 'pem' }), is_current: true }] });

let reg, keyServer, keyFetches = 0, alice, bob, admin, aliceCli, bobCli, adminCli, work, browser;

before(async () => {
  // The partner's key list, served over loopback as GitHub serves its own.
  keyServer = createServer((req, res) => {
    keyFetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(keysDoc);
  });
  await new Promise((r) => keyServer.listen(0, '127.0.0.1', r));
  const config = `scanning:
  on_error: fail-closed
  indicators:
    - {id: campaign-domain, text: "exfil.bad-campaign.test", verdict: hold, explanation: "Talks to a known malware campaign's server."}
    - {id: wiper, text: "WIPE_ALL_DISKS_NOW", verdict: reject, explanation: "A disk wiper's marker."}
    - {id: miner, text: "pool-endpoint.example.test", verdict: warn, explanation: "Mentions a mining pool."}
  worm: {packages: 2, window_minutes: 10}
moderation:
  reports_per_hour: 3
  partner_keys_url: http://127.0.0.1:${keyServer.address().port}/meta/public_keys/secret_scanning
`;
  reg = await new Registry({ config }).start();
  alice = reg.addUser('alice');
  bob = reg.addUser('bob');
  const made = reg.cli(['user', 'add', 'root', '--email', 'root@example.com', '--password-stdin', '--admin'],
    'correct horse battery\n');
  assert.equal(made.status, 0, out(made));
  admin = { name: 'root', password: 'correct horse battery' };
  aliceCli = new Client(reg, await reg.token(alice));
  bobCli = new Client(reg, await reg.token(bob));
  adminCli = new Client(reg, await reg.token(admin));
  work = tempDir('bulwark-mod-');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await reg.stop();
  keyServer.close();
  for (const c of [aliceCli, bobCli, adminCli]) c.cleanup();
  rmSync(work, { recursive: true, force: true });
  reg.cleanup();
});

let dirs = 0;
function publish(client, manifest, files = {}) {
  const dir = makePackage(join(work, `p${++dirs}`), manifest, files);
  return client.npm(['publish'], { cwd: dir });
}

async function api(method, path, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
  const res = await fetch(reg.url + path, { method, headers: h,
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, body: json, headers: res.headers };
}

function moderation(args) {
  const r = reg.cli(['moderation', ...args]);
  assert.equal(r.status, 0, out(r));
  return r.stdout;
}

function openCases() {
  return JSON.parse(moderation(['list', '--json']));
}

test('warn publishes with an npm notice; hold stores but never serves; approve publishes', async () => {
  let r = publish(aliceCli, { name: 'gate-lib', version: '1.0.0' });
  assert.equal(r.status, 0, out(r));

  r = publish(aliceCli, { name: 'gate-lib', version: '1.1.0' },
    { 'index.js': '// pool\nconst pool = "pool-endpoint.example.test:3333";\n' });
  assert.equal(r.status, 0, out(r));
  // npm prints the registry's npm-notice header after the publish.
  assert.match(r.stderr, /npm notice gate-lib@1\.1\.0 was published with warnings: indicator-miner \(index\.js:2\): Mentions a mining pool\./, out(r));
  assert.equal(aliceCli.npm(['view', 'gate-lib@1.1.0', 'version']).stdout.trim(), '1.1.0');

  r = publish(aliceCli, { name: 'gate-lib', version: '1.2.0' },
    { 'index.js': 'const https = require("https");\n\nhttps.get("https://exfil.bad-campaign.test/x");\n' });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stderr, /npm notice gate-lib@1\.2\.0 is held for review by the registry's moderators and cannot be installed until approved\. indicator-campaign-domain \(index\.js:3\)/, out(r));
  // Not in the packument, not as a version, not as a tarball, not installable.
  const doc = await api('GET', '/gate-lib');
  assert.deepEqual(Object.keys(doc.body.versions).sort(), ['1.0.0', '1.1.0']);
  assert.equal(doc.body['dist-tags'].latest, '1.1.0');
  assert.equal((await api('GET', '/gate-lib/1.2.0')).status, 404);
  assert.equal((await api('GET', '/gate-lib/-/gate-lib-1.2.0.tgz')).status, 404);
  const proj = makePackage(join(work, 'consumer'), { name: 'consumer', version: '1.0.0', private: true });
  r = bobCli.npm(['install', 'gate-lib@1.2.0'], { cwd: proj });
  assert.notEqual(r.status, 0, out(r));
  // The number is kept for the held version.
  r = publish(aliceCli, { name: 'gate-lib', version: '1.2.0' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /gate-lib@1\.2\.0 is already held for review/, out(r));

  const held = openCases().find((c) => c.package === 'gate-lib' && c.version === '1.2.0');
  assert.equal(held.kind, 'hold');
  const shown = moderation(['show', String(held.id)]);
  assert.match(shown, /scan: verdict hold, action hold, publisher alice \(no 2FA\)/);
  assert.match(shown, /\[critical -> hold\] indicator-campaign-domain at index\.js:3: Talks to a known malware campaign's server\./);
  assert.match(shown, /diff against 1\.1\.0:\n  ~ index\.js\n  ~ package\.json/);
  assert.match(shown, /sandbox report: none/);
  // The admin API shows the same case, with report and diff as JSON.
  const viaApi = await api('GET', `/-/bulwark/v1/moderation/${held.id}`, { token: adminCli.token });
  assert.equal(viaApi.status, 200);
  assert.equal(viaApi.body.scan.report.findings[0].rule, 'indicator-campaign-domain');
  assert.deepEqual(viaApi.body.scan.diff.changed, ['index.js', 'package.json']);
  assert.equal((await api('GET', `/-/bulwark/v1/moderation/${held.id}`, { token: aliceCli.token })).status, 403);

  // A moderator decides it is a false alarm: it is published as alice sent it.
  assert.match(moderation(['approve', String(held.id), '--note', 'test domain']), /approved/);
  r = bobCli.npm(['install', 'gate-lib@1.2.0'], { cwd: proj });
  assert.equal(r.status, 0, out(r));
  assert.equal((await api('GET', '/gate-lib')).body['dist-tags'].latest, '1.2.0');
  r = reg.cli(['moderation', 'approve', String(held.id)]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /already approved/);
});

test('pnpm publish (which runs npm) shows the same notice', () => {
  const dir = makePackage(join(work, `p${++dirs}`), { name: 'pnpm-lib', version: '1.0.0' },
    { 'index.js': 'const pool = "pool-endpoint.example.test:3333";\n' });
  const r = aliceCli.run(pnpmBin, ['publish', '--no-git-checks'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout + r.stderr, /npm notice pnpm-lib@1\.0\.0 was published with warnings: indicator-miner \(index\.js:1\)/, out(r));
});

test('reject refuses the publish with a clear error naming file and line', async () => {
  const r = publish(aliceCli, { name: 'wiper-lib', version: '1.0.0' },
    { 'lib/run.js': '\n\n\n// WIPE_ALL_DISKS_NOW\n' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /403 Forbidden/, out(r));
  assert.match(r.stderr, /wiper-lib@1\.0\.0 was rejected by this registry's publish policy: indicator-wiper \(lib\/run\.js:4\): A disk wiper's marker\./, out(r));
  assert.equal((await api('GET', '/wiper-lib')).status, 404);
});

test('an install hook from a new publisher is held (correlation), with the package.json diff', async () => {
  let r = publish(aliceCli, { name: 'hook-lib', version: '1.0.0' });
  assert.equal(r.status, 0, out(r));
  r = aliceCli.npm(['owner', 'add', 'bob', 'hook-lib']);
  assert.equal(r.status, 0, out(r));
  r = publish(bobCli, { name: 'hook-lib', version: '1.0.1', scripts: { postinstall: 'node setup.js' } },
    { 'setup.js': 'console.log("hi")\n' });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stderr, /hook-lib@1\.0\.1 is held for review/, out(r));
  const c = openCases().find((x) => x.package === 'hook-lib');
  const shown = JSON.parse(moderation(['show', String(c.id), '--json']));
  const rules = shown.scan.report.findings.map((f) => f.rule).sort();
  // The engine's own install-script finding and the new capability join the diff's findings.
  assert.deepEqual(rules, ['diff-install-script-added', 'diff-new-capability', 'diff-new-publisher',
    'diff-risky-update', 'install-script']);
  assert.deepEqual(shown.scan.diff.added, ['setup.js']);
  assert.deepEqual(shown.scan.diff.package_json.scripts, { before: null, after: { postinstall: 'node setup.js' } });
  assert.equal((await api('GET', '/hook-lib')).body['dist-tags'].latest, '1.0.0');
});

test('a registry token leaked in a tarball is revoked before install; its owner is told', async () => {
  const bobToken = bobCli.token;
  assert.equal(bobCli.npm(['whoami']).stdout.trim(), 'bob');
  const r = publish(aliceCli, { name: 'leaky-lib', version: '1.0.0' },
    { 'config.js': `module.exports = {\n  registry: "x",\n  token: "${bobToken}",\n};\n` });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stderr, /secret-bulwark-token \(config\.js:3\)/, out(r));
  // Revoked: bob's npm is now anonymous.
  const who = bobCli.npm(['whoami']);
  assert.notEqual(who.status, 0, out(who));
  // bob logs in again and sees why.
  bobCli.setToken(await reg.token(bob));
  const events = await api('GET', '/-/bulwark/v1/notices', { token: bobCli.token });
  assert.equal(events.status, 200);
  assert.equal(events.body.notices[0].kind, 'token-leak-tarball');
  assert.match(events.body.notices[0].detail, /found in leaky-lib@1\.0\.0 \(config\.js:3, published by alice\) and has been revoked/);
  // The revocation is in bob's security event log too (and counts in the stats' tokens revoked).
  const log = reg.cli(['events', '--user', 'bob', '--kind', 'token.revoked', '--json']);
  assert.equal(log.status, 0, out(log));
  const revoked = JSON.parse(log.stdout);
  assert.equal(revoked.length, 1, log.stdout);
  assert.match(revoked[0].detail, /leaked in leaky-lib@1\.0\.0 \(config\.js:3, published by alice\)/);
  assert.equal(revoked[0].package, 'leaky-lib');
});

test("the publisher's own token in the tarball refuses the publish, naming file and line", () => {
  const r = publish(aliceCli, { name: 'own-leak', version: '1.0.0' },
    { 'src/settings.js': `// settings\nexport const auth = "${aliceCli.token}";\n` });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /refusing to publish own-leak@1\.0\.0: src\/settings\.js line 2 contains your own access token \(bwk_\w{6}\.\.\.\)/, out(r));
  assert.doesNotMatch(r.stderr, new RegExp(aliceCli.token.slice(10)), 'the secret is not echoed back');
  // Nothing was published, and the token still works (nothing leaked).
  assert.equal(aliceCli.npm(['whoami']).stdout.trim(), 'alice');
});

test('reports: anyone may report (rate limited); removal as malicious serves the placeholder and drafts an advisory', async () => {
  let r = publish(bobCli, { name: 'evil-pkg', version: '1.0.0' });
  assert.equal(r.status, 0, out(r));
  r = publish(bobCli, { name: 'evil-pkg', version: '1.0.1' });
  assert.equal(r.status, 0, out(r));

  let rep = await api('POST', '/-/bulwark/v1/reports', { body: { package: 'evil-pkg', reason: 'steals ~/.npmrc', contact: 'x@example.com' } });
  assert.equal(rep.status, 201, JSON.stringify(rep.body));
  const caseId = rep.body.id;
  rep = await api('POST', '/-/bulwark/v1/reports', { body: { package: 'no-such-pkg', reason: 'x' } });
  assert.equal(rep.status, 404);
  rep = await api('POST', '/-/bulwark/v1/reports', { body: { package: 'evil-pkg', reason: '   ' } });
  assert.equal(rep.status, 400);
  assert.match(rep.body.error, /say why/);

  // A report on one version: removing it stops only that version.
  rep = await api('POST', '/-/bulwark/v1/reports', { body: { package: 'gate-lib', version: '1.1.0', reason: 'miner' } });
  assert.equal(rep.status, 201);
  const one = await api('POST', `/-/bulwark/v1/moderation/${rep.body.id}/remove`, { token: adminCli.token, body: { note: 'mines coins' } });
  assert.equal(one.status, 200, JSON.stringify(one.body));
  assert.deepEqual(one.body.versions, ['1.1.0']);
  assert.equal(one.body.placeholder, false);
  const gate = await api('GET', '/gate-lib');
  assert.deepEqual(Object.keys(gate.body.versions).sort(), ['1.0.0', '1.2.0']);
  assert.equal((await api('GET', '/gate-lib/-/gate-lib-1.1.0.tgz')).status, 404);

  // The whole package: every version withdrawn, 0.0.1-security in its place.
  const listed = await api('GET', '/-/bulwark/v1/moderation', { token: adminCli.token });
  assert.ok(listed.body.cases.some((c) => c.id === caseId && c.kind === 'report' && c.reporter === 'anonymous <x@example.com>'));
  const removed = await api('POST', `/-/bulwark/v1/moderation/${caseId}/remove`, { token: adminCli.token, body: { whole_package: true } });
  assert.equal(removed.status, 200, JSON.stringify(removed.body));
  assert.equal(removed.body.placeholder, true);
  assert.deepEqual(removed.body.versions.sort(), ['1.0.0', '1.0.1']);
  assert.match(removed.body.advisory, /^MAL-BWK-\d{4}-\d+$/);
  const doc = await api('GET', '/evil-pkg');
  assert.deepEqual(Object.keys(doc.body.versions), ['0.0.1-security']);
  assert.equal(doc.body['dist-tags'].latest, '0.0.1-security');
  assert.equal(doc.body.versions['0.0.1-security'].description, 'security holding package');
  const proj = makePackage(join(work, 'consumer2'), { name: 'consumer2', version: '1.0.0', private: true });
  r = aliceCli.npm(['install', 'evil-pkg'], { cwd: proj });
  assert.equal(r.status, 0, out(r));
  assert.match(aliceCli.run('cat', [join(proj, 'node_modules/evil-pkg/package.json')]).stdout, /"version":"0\.0\.1-security"/);
  // The former owner cannot publish over it.
  r = publish(bobCli, { name: 'evil-pkg', version: '2.0.0' });
  assert.notEqual(r.status, 0, out(r));
  // npm audit sees the drafted malware advisory for the removed versions.
  const bulk = await api('POST', '/-/npm/v1/security/advisories/bulk', { body: { 'evil-pkg': ['1.0.0'] } });
  assert.equal(bulk.status, 200);
  assert.equal(bulk.body['evil-pkg'][0].severity, 'critical');
  assert.match(bulk.body['evil-pkg'][0].title, /Malicious code in evil-pkg/);
});

test('the package page has a report form that files a report (Chromium)', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${reg.url}/-/web/package/hook-lib`);
  assert.equal(await page.title(), 'hook-lib · Bulwark');
  assert.equal(await page.locator('#latest').textContent(), '1.0.0');
  await page.selectOption('#version', '1.0.0');
  await page.fill('#reason', 'postinstall downloads a binary');
  await page.click('button[type=submit]');
  await page.waitForSelector('.ok');
  const text = await page.locator('.ok').textContent();
  const m = text.match(/report #(\d+) is in the moderators' queue/);
  assert.ok(m, text);
  assert.deepEqual(errors, [], 'no console errors (no CSP violations)');
  const c = openCases().find((x) => x.id === Number(m[1]));
  assert.equal(c.package, 'hook-lib');
  assert.equal(c.version, '1.0.0');
  assert.equal(c.reason, 'postinstall downloads a binary');
  await page.goto(`${reg.url}/-/web/package/not-here`);
  assert.match(await page.locator('.error').textContent(), /No such package/);
  await page.close();
});

test('reports are rate limited per address: the 4th in an hour gets 429 and Retry-After', async () => {
  const rep = await api('POST', '/-/bulwark/v1/reports', { body: { package: 'gate-lib', reason: 'again' } });
  assert.equal(rep.status, 429, JSON.stringify(rep.body));
  assert.ok(Number(rep.headers.get('retry-after')) > 0);
});

function signed(body, key = partner.privateKey, id = keyId) {
  const sign = createSign('SHA256');
  sign.update(body);
  return { 'github-public-key-identifier': id, 'github-public-key-signature': sign.sign(key).toString('base64'),
    'content-type': 'application/json' };
}

test('token-leak partner endpoint: signed reports revoke within seconds; bad signatures are refused', async () => {
  const victim = new Client(reg, await reg.token(bob));
  assert.equal(victim.npm(['whoami']).stdout.trim(), 'bob');
  const body = JSON.stringify([
    { token: victim.token, type: 'bulwark_token', url: 'https://example.com/leak/1', source: 'content' },
    { token: 'bwk_' + 'x'.repeat(36), type: 'bulwark_token', url: 'https://example.com/leak/2', source: 'content' },
  ]);
  // Tampered body, a key nobody published, a missing signature: refused, nothing revoked.
  let res = await api('POST', '/-/bulwark/v1/token-leaks', { body: body.replace('leak/1', 'leak/9'), headers: signed(body) });
  assert.equal(res.status, 401, JSON.stringify(res.body));
  res = await api('POST', '/-/bulwark/v1/token-leaks', { body, headers: signed(body, stranger.privateKey, 'other-key') });
  assert.equal(res.status, 401);
  assert.match(res.body.error, /unknown signing key/);
  res = await api('POST', '/-/bulwark/v1/token-leaks', { body });
  assert.equal(res.status, 401);
  assert.equal(victim.npm(['whoami']).stdout.trim(), 'bob');

  const started = Date.now();
  res = await api('POST', '/-/bulwark/v1/token-leaks', { body, headers: signed(body) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, [
    { token_raw: victim.token, token_type: 'bulwark_token', label: 'true_positive' },
    { token_raw: 'bwk_' + 'x'.repeat(36), token_type: 'bulwark_token', label: 'false_positive' },
  ]);
  const who = victim.npm(['whoami']);
  const elapsed = Date.now() - started;
  assert.notEqual(who.status, 0, out(who));
  assert.ok(elapsed < 5000, `revoked and refused within ${elapsed} ms`);
  console.log(`partner report to refused token: ${elapsed} ms (including one npm whoami)`);
  const events = await api('GET', '/-/bulwark/v1/notices', { token: bobCli.token });
  assert.equal(events.body.notices[0].kind, 'token-leak-partner');
  assert.match(events.body.notices[0].detail, /found in public \(content\) at https:\/\/example\.com\/leak\/1/);
  assert.ok(keyFetches >= 1 && keyFetches <= 3, `keys fetched ${keyFetches} times`);
  victim.cleanup();
});

test('the worm pattern: one token republishing many packages within minutes is revoked and held', async () => {
  const carol = reg.addUser('carol');
  const carolCli = new Client(reg, await reg.token(carol));
  // Created with another token (new packages do not count), then republished with one token.
  const setup = new Client(reg, await reg.token(carol));
  for (const n of ['w-one', 'w-two', 'w-three']) {
    const r = publish(setup, { name: n, version: '1.0.0' });
    assert.equal(r.status, 0, out(r));
  }
  let r = publish(carolCli, { name: 'w-one', version: '1.0.1' });
  assert.equal(r.status, 0, out(r));
  r = publish(carolCli, { name: 'w-two', version: '1.0.1' });
  assert.equal(r.status, 0, out(r));
  r = publish(carolCli, { name: 'w-three', version: '1.0.1' });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stderr, /w-three@1\.0\.1 is held for review.*worm-burst/, out(r));
  for (const n of ['w-one', 'w-two', 'w-three']) {
    const doc = await api('GET', `/${n}`);
    assert.deepEqual(Object.keys(doc.body.versions), ['1.0.0'], n);
    assert.equal(doc.body['dist-tags'].latest, '1.0.0', n);
  }
  assert.notEqual(carolCli.npm(['whoami']).status, 0, 'the token is revoked');
  const log = reg.cli(['events', '--user', 'carol', '--kind', 'token.revoked', '--json']);
  assert.equal(log.status, 0, out(log));
  assert.match(JSON.parse(log.stdout)[0].detail, /worm pattern \(3 packages within 10m\)/, log.stdout);
  assert.equal(setup.npm(['whoami']).stdout.trim(), 'carol', 'other tokens keep working');
  const held = openCases().filter((c) => c.package.startsWith('w-'));
  assert.equal(held.length, 3);
  // Approving an earlier, withdrawn version serves it again with its tag.
  const one = held.find((c) => c.package === 'w-one');
  const ok = await api('POST', `/-/bulwark/v1/moderation/${one.id}/approve`, { token: adminCli.token, body: { note: 'carol confirmed' } });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal((await api('GET', '/w-one')).body['dist-tags'].latest, '1.0.1');
  setup.cleanup();
  carolCli.cleanup();
});

test('moderation counters: endpoint and CLI', async () => {
  assert.equal((await api('GET', '/-/bulwark/v1/stats/moderation')).status, 401);
  const res = await api('GET', '/-/bulwark/v1/stats/moderation', { token: aliceCli.token });
  assert.equal(res.status, 200);
  const s = res.body;
  console.log('moderation stats:', JSON.stringify(s));
  assert.equal(s.versions_scanned, 17, JSON.stringify(s));
  assert.equal(s.versions_warned, 2);  // the miner (npm, pnpm)
  // campaign domain, hook from a new publisher, w-three, and the tarball carrying another
  // user's token (revoked; the engine's secret-registry-token finding holds the version too)
  assert.equal(s.versions_held, 4);
  assert.equal(s.versions_rejected, 2);  // the wiper; the publisher's own token is refused before
  assert.equal(s.versions_removed_malicious, 3);
  assert.equal(s.tokens_revoked_leaked_in_tarball, 1);
  assert.equal(s.tokens_revoked_partner_reports, 1);
  assert.equal(s.tokens_suspended_worm, 1);
  assert.equal(s.reports_received, 3);
  const cli = JSON.parse(moderation(['stats', '--json']));
  assert.deepEqual(cli, s);
});
