// End-to-end: account changes through `npm profile set`, recovery-code regeneration, mandatory
// 2FA (operator-wide, per scope, high-impact packages by downloads / top N / dependents, and
// `npm access set mfa=...`), and the statistics (GET /-/bulwark/v1/stats, `bulwark stats`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, makePackage, out, tempDir } from './harness.mjs';

let work;
const secrets = new Map();  // user name -> TOTP secret

before(() => { work = tempDir('bulwark-work-'); });
after(() => rmSync(work, { recursive: true, force: true }));

// A TOTP code for `user` from a time step not used before (codes are single use): the current
// step, or the next one (inside the ±1 window), or after waiting for one more.
const lastStep = new Map();
async function code(user) {
  let now = Math.floor(Date.now() / 30000);
  let s = Math.max(now, (lastStep.get(user) ?? -1) + 1);
  while (s > now + 1) {
    await new Promise((r) => setTimeout(r, 30000 - (Date.now() % 30000) + 100));
    now = Math.floor(Date.now() / 30000);
  }
  lastStep.set(user, s);
  const at = new Date(s * 30000 + 1000).toISOString().replace('T', ' ').replace(/\..*/, ' UTC');
  return execFileSync('oathtool', ['--totp', '-b', '--now', at, secrets.get(user)], { encoding: 'utf8' }).trim();
}

async function api(reg, method, path, { token, body, otp } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (otp) headers['npm-otp'] = otp;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${reg.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, body: json, headers: res.headers };
}

// Enables 2FA through the same two requests `npm profile enable-2fa` sends (§5.3); returns the
// recovery codes.
async function enable2fa(reg, user, token, mode = 'auth-and-writes') {
  const start = await api(reg, 'POST', '/-/npm/v1/user', { token, body: { tfa: { mode, password: user.password } } });
  assert.equal(start.status, 200, JSON.stringify(start.body));
  secrets.set(user.name, new URL(start.body.tfa).searchParams.get('secret'));
  lastStep.delete(user.name);
  const done = await api(reg, 'POST', '/-/npm/v1/user', { token, body: { tfa: [await code(user.name)] } });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  return done.body.tfa;
}

function pkgDir(name, version, extra = {}) {
  return makePackage(join(work, `${name.replace('/', '_')}-${version}-${Math.random().toString(36).slice(2)}`), { name, version, ...extra });
}

async function withRegistry(config, fn) {
  const reg = await new Registry({ config }).start();
  try { await fn(reg); } finally { await reg.stop(); reg.cleanup(); }
}

test('npm profile set password: old and new, length and breached rules, sessions revoked', async () => {
  await withRegistry('', async (reg) => {
    const alice = reg.addUser('alice');
    const cli = new Client(reg, await reg.token(alice));
    const otherSession = await reg.token(alice);
    const ci = await api(reg, 'POST', '/-/npm/v1/tokens', { token: cli.token, body: { password: alice.password, name: 'ci' } });
    const set = (current, next) => cli.npmTty(['profile', 'set', 'password'],
      [['Current password: ', current], ['New password: ', next], ['Again: ', next]]);

    let r = set('wrong password!', 'a fine new passphrase');
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /E401[\s\S]*Incorrect or missing password/, out(r));
    r = set(alice.password, 'short');
    assert.match(r.stdout, /at least 10 characters/, out(r));
    r = set(alice.password, 'password123');
    assert.match(r.stdout, /appears in a list of breached passwords/, out(r));

    r = set(alice.password, 'a fine new passphrase');
    assert.equal(r.status, 0, out(r));
    assert.match(r.stdout, /Set password/);
    // The session that changed it and the CI token stay; other login sessions are revoked.
    assert.equal((await api(reg, 'GET', '/-/whoami', { token: cli.token })).status, 200);
    assert.equal((await api(reg, 'GET', '/-/whoami', { token: ci.body.token })).status, 200);
    assert.equal((await api(reg, 'GET', '/-/whoami', { token: otherSession })).status, 401);
    await assert.rejects(reg.token(alice), /401/);
    assert.ok(await reg.token({ ...alice, password: 'a fine new passphrase' }));
    const kinds = (await api(reg, 'GET', '/-/bulwark/v1/events', { token: cli.token })).body.events.map((e) => e.kind);
    assert.ok(kinds.includes('password.changed') && kinds.includes('password.change_refused'), kinds.join());

    r = cli.npm(['profile', 'set', 'email', 'alice@new.example.com']);
    assert.equal(r.status, 0, out(r));
    assert.match(r.stdout, /Set email to alice@new\.example\.com/);
    assert.match(cli.npm(['profile', 'get']).stdout, /alice@new\.example\.com/);
    r = cli.npm(['profile', 'set', 'email', 'not-an-email']);
    assert.match(r.stderr, /400 Bad Request.*email address is not valid/, out(r));
    r = cli.npm(['profile', 'set', 'fullname', 'Alice A']);
    assert.match(r.stderr, /400 Bad Request.*fullname cannot be set on this registry/, out(r));
    cli.cleanup();
  });
});

test('recovery codes: regenerated with password and code; using one is logged and disables nothing', async () => {
  await withRegistry('', async (reg) => {
    const alice = reg.addUser('alice');
    const cli = new Client(reg, await reg.token(alice));
    const first = await enable2fa(reg, alice, cli.token);
    const regen = (otp, password = alice.password) => api(reg, 'POST', '/-/bulwark/v1/recovery-codes', { token: cli.token, otp, body: { password } });
    let r = await regen(undefined);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'OTP');
    r = await regen(first[0]);  // A recovery code is a second factor too.
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const codes = r.body.recovery_codes;
    assert.equal(codes.length, 8);
    assert.ok(codes.every((c) => /^[0-9a-f]{64}$/.test(c)));
    // The old codes stopped working; a new one publishes once.
    const dir = pkgDir('rc-demo', '1.0.0');
    r = cli.npm(['publish', `--otp=${first[1]}`], { cwd: dir });
    assert.match(r.stderr, /code EOTP/, out(r));
    r = cli.npm(['publish', `--otp=${codes[0]}`], { cwd: dir });
    assert.equal(r.status, 0, out(r));
    assert.match(r.stderr, /npm notice a recovery code was used: 7 left\. Two-factor authentication is unchanged/, out(r));
    const events = (await api(reg, 'GET', '/-/bulwark/v1/events?kind=recovery', { token: cli.token })).body.events;
    assert.equal(events[0].kind, 'recovery_code.used');
    assert.match(events[0].detail, /7 recovery code\(s\) left/);
    assert.ok(events.some((e) => e.kind === 'recovery_codes.regenerated'));
    assert.deepEqual((await api(reg, 'GET', '/-/npm/v1/user', { token: cli.token })).body.tfa, { mode: 'auth-and-writes', pending: false });
    // With 2FA on, a password change asks for a code too (npm prompts and resends).
    r = cli.npmTty(['profile', 'set', 'password'], [['Current password: ', alice.password],
      ['New password: ', 'another fine passphrase'], ['Again: ', 'another fine passphrase'],
      ['Enter OTP:', codes[1]]]);
    assert.equal(r.status, 0, out(r));
    assert.match(r.stdout, /This operation requires a one-time password[\s\S]*Set password/);
    cli.cleanup();
  });
});

test('operator-wide and per-scope 2FA requirements', async () => {
  await withRegistry('auth:\n  require_2fa_scopes: ["@corp"]\n', async (reg) => {
    const bob = reg.addUser('bob');
    const cli = new Client(reg, await reg.token(bob));
    let r = cli.npm(['publish', '--access', 'public'], { cwd: pkgDir('@corp/tool', '1.0.0') });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /E403/);
    assert.match(r.stderr, /changing @corp\/tool requires two-factor authentication in auth-and-writes mode: the scope @corp requires it of its members\. Enable it with: npm profile enable-2fa auth-and-writes/, out(r));
    r = cli.npm(['publish'], { cwd: pkgDir('free-tool', '1.0.0') });
    assert.equal(r.status, 0, out(r));
    await enable2fa(reg, bob, cli.token, 'auth-only');
    r = cli.npm(['publish', '--access', 'public'], { cwd: pkgDir('@corp/tool', '1.0.0') });
    assert.match(r.stderr, /Your account uses auth-only; switch with: npm profile enable-2fa auth-and-writes/, out(r));
    cli.cleanup();
  });
  await withRegistry('auth:\n  require_2fa_for_publish: true\n', async (reg) => {
    const carol = reg.addUser('carol');
    const cli = new Client(reg, await reg.token(carol));
    let r = cli.npm(['publish'], { cwd: pkgDir('carol-lib', '1.0.0') });
    assert.match(r.stderr, /this registry requires it of every publisher\. Enable it with: npm profile enable-2fa auth-and-writes/, out(r));
    await enable2fa(reg, carol, cli.token);
    r = cli.npm(['publish', `--otp=${await code('carol')}`], { cwd: pkgDir('carol-lib', '1.0.0') });
    assert.equal(r.status, 0, out(r));
    cli.cleanup();
  });
});

test('high-impact packages by weekly downloads, top N and dependents need auth-and-writes', async () => {
  const config = 'auth:\n  high_impact:\n    weekly_downloads: 5\n    top_n: 2\n    dependents: 2\n    refresh_seconds: 1\n';
  await withRegistry(config, async (reg) => {
    const dan = reg.addUser('dan');
    const cli = new Client(reg, await reg.token(dan));
    for (const name of ['hot-pkg', 'warm-pkg', 'cold-pkg', 'base-lib']) {
      const r = cli.npm(['publish'], { cwd: pkgDir(name, '1.0.0') });
      assert.equal(r.status, 0, out(r));
    }
    const downloads = { 'hot-pkg': 5, 'warm-pkg': 2, 'cold-pkg': 1 };
    for (const [name, n] of Object.entries(downloads)) {
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${reg.url}/${name}/-/${name}-1.0.0.tgz`);
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
    }
    for (const dependent of ['dep-a', 'dep-b']) {
      const r = cli.npm(['publish'], { cwd: pkgDir(dependent, '1.0.0', { dependencies: { 'base-lib': '^1.0.0' } }) });
      assert.equal(r.status, 0, out(r));
    }
    await new Promise((r) => setTimeout(r, 2500));  // The job flushes counts and recomputes.

    const refused = {
      'hot-pkg': /hot-pkg is a high-impact package \(5 downloads this week, threshold 5, #1 by downloads this week\)/,
      'warm-pkg': /warm-pkg is a high-impact package \(#2 by downloads this week\)/,
      'base-lib': /base-lib is a high-impact package \(2 dependents, threshold 2\)/,
    };
    for (const [name, why] of Object.entries(refused)) {
      const r = cli.npm(['publish'], { cwd: pkgDir(name, '1.0.1') });
      assert.notEqual(r.status, 0, name);
      assert.match(r.stderr, why, out(r));
      assert.match(r.stderr, /Enable it with: npm profile enable-2fa auth-and-writes/);
    }
    let r = cli.npm(['publish'], { cwd: pkgDir('cold-pkg', '1.0.1') });
    assert.equal(r.status, 0, out(r));
    r = cli.npm(['dist-tag', 'add', 'hot-pkg@1.0.0', 'stable']);
    assert.match(r.stderr, /hot-pkg is a high-impact package/, 'every write, not only publish');

    await enable2fa(reg, dan, cli.token);
    r = cli.npm(['publish', `--otp=${await code('dan')}`], { cwd: pkgDir('hot-pkg', '1.0.1') });
    assert.equal(r.status, 0, out(r));

    // The stats count the high-impact maintainers and their 2FA.
    const stats = (await api(reg, 'GET', '/-/bulwark/v1/stats', { token: cli.token })).body;
    assert.equal(stats.accounts.high_impact_packages, 3);
    assert.equal(stats.accounts.high_impact_maintainers, 1);
    assert.equal(stats.accounts.high_impact_maintainers_auth_and_writes_share, 1);
    cli.cleanup();
  });
});

test('npm access set mfa=publish|automation|none', async () => {
  await withRegistry('', async (reg) => {
    const erin = reg.addUser('erin');
    const frank = reg.addUser('frank');
    const cli = new Client(reg, await reg.token(erin));
    const fcli = new Client(reg, await reg.token(frank));
    assert.equal(cli.npm(['publish'], { cwd: pkgDir('guarded', '1.0.0') }).status, 0);
    assert.equal(cli.npm(['owner', 'add', 'frank', 'guarded']).status, 0);

    let r = cli.npm(['access', 'set', 'mfa=publish', 'guarded']);
    assert.match(r.stderr, /enable two-factor authentication on your account first/, out(r));
    await enable2fa(reg, erin, cli.token, 'auth-only');
    r = cli.npm(['access', 'set', 'mfa=publish', 'guarded']);
    assert.equal(r.status, 0, out(r));

    // A co-owner without 2FA is refused; an auth-only owner needs a code for this package.
    r = fcli.npm(['publish'], { cwd: pkgDir('guarded', '1.0.1') });
    assert.match(r.stderr, /the owners of guarded require two-factor authentication for changes to it \(npm access set mfa=publish\)/, out(r));
    r = cli.npm(['publish'], { cwd: pkgDir('guarded', '1.0.1') });
    assert.match(r.stderr, /code EOTP/, out(r));
    r = cli.npm(['publish', `--otp=${await code('erin')}`], { cwd: pkgDir('guarded', '1.0.1') });
    assert.equal(r.status, 0, out(r));

    // Automation (bypass_2fa) tokens: refused under mfa=publish, allowed under mfa=automation.
    const auto = await api(reg, 'POST', '/-/npm/v1/tokens', { token: cli.token, otp: await code('erin'), body: { password: erin.password, bypass_2fa: true, name: 'ci' } });
    assert.equal(auto.status, 201, JSON.stringify(auto.body));
    const ci = new Client(reg, auto.body.token);
    r = ci.npm(['publish'], { cwd: pkgDir('guarded', '1.0.2') });
    assert.match(r.stderr, /code EOTP/, out(r));
    r = cli.npm(['access', 'set', 'mfa=automation', 'guarded', `--otp=${await code('erin')}`]);
    assert.equal(r.status, 0, out(r));
    r = ci.npm(['publish'], { cwd: pkgDir('guarded', '1.0.2') });
    assert.equal(r.status, 0, out(r));

    // Turning it off needs what it demands.
    r = cli.npm(['access', 'set', 'mfa=none', 'guarded']);
    assert.match(r.stderr, /code EOTP/, out(r));
    r = cli.npm(['access', 'set', 'mfa=none', 'guarded', `--otp=${await code('erin')}`]);
    assert.equal(r.status, 0, out(r));
    r = fcli.npm(['publish'], { cwd: pkgDir('guarded', '1.0.3') });
    assert.equal(r.status, 0, out(r));
    const ev = (await api(reg, 'GET', '/-/bulwark/v1/events?kind=package.', { token: cli.token })).body.events;
    assert.deepEqual(ev.map((e) => e.detail), ['mfa=none', 'mfa=automation', 'mfa=publish']);
    for (const c of [cli, fcli, ci]) c.cleanup();
  });
});

test('stats: 2FA shares, breached sign-ups, revoked tokens, throttled logins, advisories', async () => {
  await withRegistry('', async (reg) => {
    const admin = reg.addUser('admin');
    const u2 = reg.addUser('user2');
    const cli = new Client(reg, await reg.token(admin));
    await enable2fa(reg, admin, cli.token);
    assert.equal(cli.npm(['publish', `--otp=${await code('admin')}`], { cwd: pkgDir('stat-pkg', '1.0.0') }).status, 0);
    const u2cli = new Client(reg, await reg.token(u2));
    assert.equal(u2cli.npm(['publish'], { cwd: pkgDir('stat-pkg-2', '1.0.0') }).status, 0);
    // Two sign-ups refused as breached, one accepted (three accounts so far).
    for (const pw of ['password123', 'qwertyuiop']) {
      const r = reg.cli(['user', 'add', 'nope', '--email', 'n@example.com', '--password-stdin'], pw + '\n');
      assert.match(r.stderr, /breached/, r.stderr);
    }
    // One revoked token.
    const t = await api(reg, 'POST', '/-/npm/v1/tokens', { token: u2cli.token, body: { password: u2.password } });
    assert.equal((await api(reg, 'DELETE', `/-/npm/v1/tokens/token/${t.body.key}`, { token: u2cli.token })).status, 204);
    // Throttled logins: 5 free failures, then refusals.
    let throttled = 0;
    for (let i = 0; i < 7; i++) {
      const res = await api(reg, 'PUT', '/-/user/org.couchdb.user:user2', { body: { name: 'user2', password: 'wrong password ' + i } });
      if (res.status === 429) throttled++;
    }
    assert.ok(throttled >= 1);
    const osv = join(work, 'osv');
    execFileSync('mkdir', ['-p', osv]);
    const year = new Date().getUTCFullYear();
    const adv = (id, published, severity) => ({
      id, modified: `${year}-01-02T00:00:00Z`, published, summary: id,
      affected: [{ package: { ecosystem: 'npm', name: 'stat-pkg' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }],
      database_specific: { severity },
    });
    writeFileSync(join(osv, 'a.json'), JSON.stringify(adv('MAL-2026-1', `${year}-01-01T00:00:00Z`, 'CRITICAL')));
    writeFileSync(join(osv, 'b.json'), JSON.stringify(adv('GHSA-aaaa-bbbb-cccc', '2019-05-01T00:00:00Z', 'HIGH')));
    const imp = reg.cli(['advisories', 'import', osv]);
    assert.equal(imp.status, 0, imp.stdout + imp.stderr);

    const http = await api(reg, 'GET', '/-/bulwark/v1/stats', { token: cli.token });
    assert.equal(http.status, 200);
    assert.equal((await api(reg, 'GET', '/-/bulwark/v1/stats')).status, 401);
    const r = reg.cli(['stats', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(s), ['accounts', 'security_events', 'advisories', 'moderation', 'email_domains', 'email', 'sandbox']);
    // docs/email.md: present without mail too (event figures only, no queue figures).
    assert.equal(s.email.login_verifications_sent, 0);
    assert.equal(s.email.mail_queued, undefined);
    // Issue 4's section: the two publishes above were scanned and published.
    assert.ok(s.moderation.versions_scanned >= 1, JSON.stringify(s.moderation));
    assert.equal(s.moderation.versions_held, 0);
    assert.equal(s.accounts.users, 2);
    assert.equal(s.accounts.users_with_2fa_share, 0.5);
    assert.equal(s.accounts.maintainers, 2);
    assert.equal(s.accounts.maintainers_with_2fa_share, 0.5);
    assert.equal(s.security_events.new_accounts, 2);
    assert.equal(s.security_events.new_account_passwords_refused_as_breached, 2);
    assert.equal(s.security_events.new_account_passwords_refused_as_breached_share, 0.5);
    assert.ok(s.security_events.tokens_revoked >= 1);
    assert.equal(s.security_events.logins_blocked_by_throttling, throttled);
    assert.equal(s.advisories.total, 2);
    assert.equal(s.advisories.created_this_year, 1);
    assert.equal(s.advisories.malware, 1);
    assert.deepEqual(s.advisories.by_severity, { critical: 1, high: 1 });
    assert.deepEqual(http.body.advisories, s.advisories);
    const text = reg.cli(['stats']);
    assert.match(text.stdout, /^accounts\n/);
    assert.match(text.stdout, /maintainers_with_2fa_share\s+0\.5\n/);
    for (const c of [cli, u2cli]) c.cleanup();
  });
});
