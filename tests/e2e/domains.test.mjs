// The expired-domain monitor end to end (docs/email-domains.md): accounts made with
// `bulwark user add`, a dnsmasq on loopback with test zones, an RDAP server on loopback, then
// `bulwark domains check` / `report`, the stats, the owner's notices and events, and the
// maintainers' emails in packuments.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Registry, Client, makePackage, out } from './harness.mjs';
import { startDnsmasq, startRdap, rdapDomain } from './domains/servers.mjs';

let reg, dns, rdap;
const users = {};
const healthy = { registered: '2000-01-01T00:00:00Z', expires: '2099-01-01T00:00:00Z' };

function check(extra = []) {
  const r = reg.cli(['domains', 'check', '--json', '--resolver', `127.0.0.1:${dns.port}`, ...extra]);
  let body = null;
  try { body = JSON.parse(r.stdout); } catch { /* asserted by the caller */ }
  return { r, body };
}
const reasons = (body) => Object.fromEntries(body.flagged.map((a) => [a.user, a.reason]));

before(async () => {
  reg = new Registry({ config: 'email_domains:\n  dns_timeout_ms: 500\n  tries: 1\n  rdap_spacing_ms: 0\n' });
  await reg.start();
  for (const [name, email] of [['alice', 'alice@healthy.test'], ['bob', 'bob@gone.test'],
    ['carol', 'carol@nullmx.test'], ['dan', 'dan@nomx.test'], ['erin', 'erin@expired.test'],
    ['pat', 'pat@pending.test'], ['rita', 'rita@rereg.test'], ['ivan', 'ivan@implicit.test']]) {
    users[name] = reg.addUser(name, 'correct horse battery', email);
  }
  // Registered "now": after every account above was created and its address verified
  // (`bulwark user add` vouches for the address: docs/email.md).
  const justNow = new Date(Date.now() + 60_000).toISOString();
  rdap = await startRdap({
    'healthy.test': rdapDomain('healthy.test', healthy),
    'implicit.test': rdapDomain('implicit.test', healthy),
    'nullmx.test': rdapDomain('nullmx.test', healthy),
    'nomx.test': rdapDomain('nomx.test', healthy),
    'expired.test': rdapDomain('expired.test', { registered: '2000-01-01T00:00:00Z', expires: '2021-03-04T00:00:00Z' }),
    'pending.test': rdapDomain('pending.test', { ...healthy, status: ['pending delete', 'server hold'] }),
    'rereg.test': rdapDomain('rereg.test', { registered: justNow, expires: '2099-01-01T00:00:00Z' }),
    'servfail.test': rdapDomain('servfail.test', healthy),
  });
  dns = await startDnsmasq({ deadUpstream: rdap.servfailPort });
});

after(async () => {
  await reg?.stop();
  reg?.cleanup();
  await dns?.stop();
  await rdap?.stop();
});

test('DNS alone: NXDOMAIN, null MX and no mail exchanger are flagged; implicit MX is not', () => {
  const { r, body } = check();
  assert.equal(r.status, 1, out(r));
  assert.equal(body.domains_checked, 8);
  assert.equal(body.failed, 0, out(r));
  assert.deepEqual(reasons(body), { bob: 'nxdomain', carol: 'null-mx', dan: 'no-mail-exchanger' });
  const byDomain = Object.fromEntries(body.domains.map((d) => [d.domain, d]));
  assert.equal(byDomain['healthy.test'].dns, 'mail');
  assert.deepEqual(byDomain['healthy.test'].mx, ['10 mx.healthy.test']);
  assert.equal(byDomain['implicit.test'].dns, 'mail');  // RFC 5321 §5.1.
  assert.deepEqual(byDomain['nullmx.test'].mx, ['0 .']);
  assert.equal(byDomain['healthy.test'].rdap, 'unknown');  // No RDAP configured yet.
  assert.deepEqual(body.newly_flagged.sort(), ['bob', 'carol', 'dan']);
});

test('with RDAP: expired, pending delete, re-registered and unregistered domains', () => {
  const { r, body } = check(['--rdap-base', rdap.url]);
  assert.equal(r.status, 1, out(r));
  assert.equal(body.failed, 0, out(r));
  assert.deepEqual(reasons(body), {
    bob: 'not-registered', carol: 'null-mx', dan: 'no-mail-exchanger', erin: 'expired',
    pat: 'pending-delete', rita: 're-registered',
  });
  const rita = body.flagged.find((a) => a.user === 'rita');
  assert.match(rita.detail, /rereg\.test was registered .* after the address was verified/);
  const erin = body.flagged.find((a) => a.user === 'erin');
  assert.match(erin.detail, /expired 2021-03-04/);
  // One request per registrable domain.
  assert.equal(rdap.requests().length, 8);
  assert.ok(rdap.requests().includes('/domain/healthy.test'));
  const healthyDomain = body.domains.find((d) => d.domain === 'healthy.test');
  assert.equal(healthyDomain.rdap, 'found');
  assert.equal(healthyDomain.expires, '2099-01-01T00:00:00.000Z');
});

test('an RFC 9224 bootstrap file picks the RDAP server by TLD', () => {
  const file = join(reg.root, 'dns.json');
  writeFileSync(file, JSON.stringify({ version: '1.0', publication: '2026-01-01T00:00:00Z',
    services: [[['example'], ['https://unused.invalid/']], [['test'], [rdap.url.replace(/\/$/, '')]]] }));
  rdap.clearRequests();
  const { r, body } = check(['--rdap-bootstrap', file]);
  assert.equal(r.status, 1, out(r));
  assert.equal(body.failed, 0, out(r));
  assert.equal(reasons(body).erin, 'expired');
  assert.equal(reasons(body).rita, 're-registered');
  assert.equal(rdap.requests().length, 8);
  writeFileSync(file, '{"services": 7}');
  const bad = reg.cli(['domains', 'check', '--rdap-bootstrap', file]);
  assert.equal(bad.status, 2, out(bad));
  assert.match(bad.stderr, /dns\.json: RDAP bootstrap has no "services" array/);
});

test('a failing resolver and RDAP server keep the previous verdicts (exit 1, errors listed)', async () => {
  const before = JSON.parse(reg.cli(['domains', 'report', '--json']).stdout).flagged;
  rdap.failing = true;
  const dead = await startDnsmasq();
  await dead.stop();  // A port nobody answers on.
  const r = reg.cli(['domains', 'check', '--json', '--resolver', `127.0.0.1:${dead.port}`,
    '--rdap-base', rdap.url]);
  rdap.failing = false;
  assert.equal(r.status, 1, out(r));
  const body = JSON.parse(r.stdout);
  assert.equal(body.failed, 8, out(r));
  assert.ok(body.errors.some((e) => /DNS: /.test(e) && /RDAP: .*503/.test(e)), body.errors.join('\n'));
  assert.deepEqual(body.flagged, before);  // Same reasons, same since.
  assert.deepEqual(body.newly_flagged, []);
  assert.deepEqual(body.cleared, []);
  const alice = body.domains.find((d) => d.domain === 'healthy.test');
  assert.equal(alice.failures, 1);
  assert.equal(alice.dns, 'mail');
});

test('report lists flagged accounts with reason and since; text and JSON', () => {
  let r = reg.cli(['domains', 'report', '--json']);
  assert.equal(r.status, 1, out(r));
  const flagged = JSON.parse(r.stdout).flagged;
  assert.deepEqual(flagged.map((a) => a.user), ['bob', 'carol', 'dan', 'erin', 'pat', 'rita']);
  for (const a of flagged) assert.match(a.since, /^\d{4}-\d\d-\d\dT/);
  assert.equal(flagged.find((a) => a.user === 'bob').email, 'bob@gone.test');
  r = reg.cli(['domains', 'report']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /6 accounts with flagged email domains/);
  assert.match(r.stdout, /pat\s+pat@pending\.test\s+pending-delete\s+since /);
});

test('bad flags and a broken resolver list exit 2', () => {
  const r = reg.cli(['domains', 'check', '--resolver', 'not a server']);
  assert.equal(r.status, 2, out(r));
  assert.match(r.stderr, /not HOST:PORT/);
});

test('stats count accounts with flagged domains (CLI and API)', async () => {
  const r = reg.cli(['stats', '--json']);
  assert.equal(r.status, 0, out(r));
  const section = JSON.parse(r.stdout).email_domains;
  assert.equal(section.accounts_with_flagged_domains, 6);
  assert.equal(section.flagged_by_reason['re-registered'], 1);
  assert.equal(section.domains_checked, 8);
  const token = await reg.token(users.alice);
  const res = await fetch(`${reg.url}/-/bulwark/v1/stats`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const api = await res.json();
  assert.equal(api.email_domains.accounts_with_flagged_domains, 6);
});

test('the owner is told: npm-notice on authenticated requests, a notice, a security event', async () => {
  const token = await reg.token(users.erin);
  let res = await fetch(`${reg.url}/-/whoami`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('npm-notice') || '', /email address can no longer be trusted \(expired/);
  // A healthy account hears nothing.
  const aliceToken = await reg.token(users.alice);
  res = await fetch(`${reg.url}/-/whoami`, { headers: { authorization: `Bearer ${aliceToken}` } });
  assert.equal(res.headers.get('npm-notice'), null);
  // npm prints it.
  const c = new Client(reg, token);
  const who = c.npm(['whoami']);
  assert.equal(who.status, 0, out(who));
  assert.match(who.stderr, /npm notice .*can no longer be trusted/, out(who));
  c.cleanup();
  res = await fetch(`${reg.url}/-/bulwark/v1/notices`, { headers: { authorization: `Bearer ${token}` } });
  const notices = (await res.json()).notices;
  assert.ok(JSON.stringify(notices).includes('email-domain-flagged'), JSON.stringify(notices));
  const ev = reg.cli(['events', '--user', 'erin', '--kind', 'email.', '--json']);
  assert.equal(ev.status, 0, out(ev));
  assert.match(ev.stdout, /email\.domain_flagged/);
  assert.match(ev.stdout, /erin@expired\.test: expired/);
});

test('changing the address clears the flag at once and at the next check', async () => {
  const token = await reg.token(users.dan);
  let res = await fetch(`${reg.url}/-/npm/v1/user`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'dan@healthy.test' }),
  });
  assert.equal(res.status, 200, await res.text());
  // The server re-reads flags every 5 s; the flag is about the old address, so it is gone now.
  res = await fetch(`${reg.url}/-/whoami`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.headers.get('npm-notice'), null);
  const { r, body } = check(['--rdap-base', rdap.url]);
  assert.equal(r.status, 1, out(r));
  assert.deepEqual(body.cleared, ['dan']);
  assert.equal(reasons(body).dan, undefined);
  const ev = reg.cli(['events', '--user', 'dan', '--kind', 'email.', '--json']);
  assert.match(ev.stdout, /email\.domain_cleared/);
});

test('SERVFAIL is a failure, not a verdict, unlike NXDOMAIN', () => {
  // c-ares discards a SERVFAIL answer and tries the other servers; with none left it reports
  // "Could not contact DNS servers" (ECONNREFUSED): either way a failure, never a verdict.
  reg.addUser('sam', 'correct horse battery', 'sam@servfail.test');
  const { r, body } = check(['--rdap-base', rdap.url]);
  assert.equal(r.status, 1, out(r));  // Others are flagged; sam is not.
  assert.equal(body.failed, 1, out(r));
  assert.match(body.errors[0], /^servfail\.test: DNS: MX servfail\.test: (Server failed|Could not contact DNS servers)/);
  assert.equal(reasons(body).sam, undefined);
  assert.equal(reasons(body).bob, 'not-registered');
  const d = body.domains.find((x) => x.domain === 'servfail.test');
  assert.equal(d.dns, 'unknown');
  assert.equal(d.rdap, 'found');
  assert.equal(d.failures, 1);
  // Nothing flagged but a lookup failed: exit 2, the answer is incomplete.
  const lone = new Registry({ config: 'email_domains:\n  dns_timeout_ms: 500\n  tries: 1\n' });
  try {
    lone.addUser('sam', 'correct horse battery', 'sam@servfail.test');
    const only = lone.cli(['domains', 'check', '--resolver', `127.0.0.1:${dns.port}`]);
    assert.equal(only.status, 2, out(only));
    assert.match(only.stdout, /lookup failed \(previous verdict kept\): servfail\.test: DNS: /);
    assert.match(only.stdout, /no accounts with flagged email domains/);
  } finally {
    lone.cleanup();
  }
});

test('packuments show the current address of maintainers and publishers', async () => {
  const token = await reg.token(users.alice);
  const c = new Client(reg, token);
  const dir = join(c.home, 'pkg');
  makePackage(dir, { name: 'domain-mail-demo', version: '1.0.0' });
  const pub = c.npm(['publish'], { cwd: dir });
  assert.equal(pub.status, 0, out(pub));
  const get = async () => (await fetch(`${reg.url}/domain-mail-demo`)).json();
  let doc = await get();
  assert.deepEqual(doc.maintainers, [{ name: 'alice', email: 'alice@healthy.test' }]);
  assert.equal(doc.versions['1.0.0']._npmUser.email, 'alice@healthy.test');
  const etag = (await fetch(`${reg.url}/domain-mail-demo`)).headers.get('etag');
  const res = await fetch(`${reg.url}/-/npm/v1/user`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'alice@implicit.test' }),
  });
  assert.equal(res.status, 200, await res.text());
  // Within the cache's 5 s revalidation, the new address is served and the ETag changes.
  let fresh;
  for (let i = 0; i < 40; i++) {
    fresh = await fetch(`${reg.url}/domain-mail-demo`);
    if (fresh.headers.get('etag') !== etag) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.notEqual(fresh.headers.get('etag'), etag);
  doc = await fresh.json();
  assert.deepEqual(doc.maintainers, [{ name: 'alice', email: 'alice@implicit.test' }]);
  assert.equal(doc.versions['1.0.0']._npmUser.email, 'alice@implicit.test');
  assert.equal(doc.versions['1.0.0'].maintainers[0].email, 'alice@implicit.test');
  const v = await (await fetch(`${reg.url}/domain-mail-demo/1.0.0`)).json();
  assert.equal(v._npmUser.email, 'alice@implicit.test');
  const old = await fetch(`${reg.url}/domain-mail-demo`, { headers: { 'if-none-match': etag } });
  assert.equal(old.status, 200);
  c.cleanup();
});

test('packuments.hide_emails leaves every maintainer address out', async () => {
  const hidden = new Registry({ config: 'packuments:\n  hide_emails: true\n' });
  await hidden.start();
  try {
    const u = hidden.addUser('hana', 'correct horse battery', 'hana@healthy.test');
    const c = new Client(hidden, await hidden.token(u));
    const dir = join(c.home, 'pkg');
    makePackage(dir, { name: 'hidden-mail-demo', version: '1.0.0' });
    const pub = c.npm(['publish'], { cwd: dir });
    assert.equal(pub.status, 0, out(pub));
    const doc = await (await fetch(`${hidden.url}/hidden-mail-demo`)).json();
    assert.deepEqual(doc.maintainers, [{ name: 'hana' }]);
    assert.deepEqual(doc.versions['1.0.0']._npmUser, { name: 'hana' });
    assert.ok(!JSON.stringify(doc).includes('hana@'), JSON.stringify(doc));
    const view = c.npm(['view', 'hidden-mail-demo', 'maintainers', '--json']);
    assert.equal(view.status, 0, out(view));
    c.cleanup();
  } finally {
    await hidden.stop();
    hidden.cleanup();
  }
});

test('the periodic job in `bulwark serve` flags accounts on its own', async () => {
  const served = new Registry({ config: [
    'email_domains:', '  interval_minutes: 1', `  resolver: 127.0.0.1:${dns.port}`,
    `  rdap_base: ${rdap.url}`, '  rdap_spacing_ms: 0', '  dns_timeout_ms: 500', ''].join('\n') });
  try {
    const tess = served.addUser('tess', 'correct horse battery', 'tess@pending.test');
    served.addUser('uma', 'correct horse battery', 'uma@healthy.test');
    await served.start();
    const started = Date.now();
    let flagged = [];
    while (Date.now() - started < 150_000) {
      await new Promise((r) => setTimeout(r, 2000));
      const r = served.cli(['domains', 'report', '--json']);
      flagged = JSON.parse(r.stdout).flagged;
      if (flagged.length > 0) break;
    }
    assert.deepEqual(flagged.map((a) => [a.user, a.reason]), [['tess', 'pending-delete']]);
    assert.ok(Date.now() - started >= 50_000, 'the first run comes one interval after start');
    const token = await served.token(tess);
    const res = await fetch(`${served.url}/-/whoami`, { headers: { authorization: `Bearer ${token}` } });
    assert.match(res.headers.get('npm-notice') || '', /pending-delete/);
    assert.match(served.stderr, /email domains: 2 checked, 2 looked up, 0 failed, 1 accounts flagged/);
  } finally {
    await served.stop();
    served.cleanup();
  }
});
