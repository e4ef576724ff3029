// End-to-end: TOTP two-factor authentication through the stock npm CLI (npm-registry-api.md
// §1.5, §5), with codes computed by Debian's `oathtool` (a reference implementation of RFC
// 6238). Prompts appear only on a terminal, so those flows run on a pseudo-terminal.
//
// A code is accepted once, so the suite spends TOTP steps carefully instead of waiting 30 s for
// each: enrolment uses the current step, `--otp` the next one (inside the ±1 step window), and
// the remaining prompts are answered with single-use recovery codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, makePackage, out, tempDir } from './harness.mjs';

let reg, alice, cli, work, secret;
let recovery = [];

before(async () => {
  reg = await new Registry().start();
  alice = reg.addUser('alice');
  cli = new Client(reg, await reg.token(alice));
  work = tempDir('bulwark-work-');
});

after(async () => {
  await reg.stop();
  cli.cleanup();
  rmSync(work, { recursive: true, force: true });
  reg.cleanup();
});

// oathtool's code for now + `offset` seconds.
function oathtool(offset = 0) {
  const now = new Date(Date.now() + offset * 1000).toISOString().replace('T', ' ').replace(/\..*/, ' UTC');
  return execFileSync('oathtool', ['--totp', '-b', '--now', now, secret], { encoding: 'utf8' }).trim();
}

function pkg(version) {
  return makePackage(join(work, `tfa-demo-${version}`), { name: '@alice/tfa-demo', version });
}

async function profile() {
  const res = await fetch(`${reg.url}/-/npm/v1/user`, { headers: { authorization: `Bearer ${cli.token}` } });
  assert.equal(res.status, 200);
  return res.json();
}

test('the key that seals TOTP secrets is created with mode 0600', () => {
  const mode = execFileSync('stat', ['-c', '%a', join(reg.dataDir, 'keys', 'totp.key')], { encoding: 'utf8' });
  assert.equal(mode.trim(), '600');
});

test('the server refuses to start when the key file is readable by others', async () => {
  const other = new Registry();
  mkdirSync(join(other.dataDir, 'keys'), { recursive: true, mode: 0o700 });
  writeFileSync(join(other.dataDir, 'keys', 'totp.key'), Buffer.alloc(32, 7), { mode: 0o644 });
  await assert.rejects(other.start(), /totp\.key is accessible by group or others \(mode 0644\); run: chmod 600/);
  other.cleanup();
});

test('npm profile enable-2fa auth-and-writes: password, secret, oathtool code, recovery codes', async () => {
  assert.equal((await profile()).tfa, false);
  // The OTP prompt is answered with oathtool's code for the secret npm has just printed.
  const r = cli.npmTty(['profile', 'enable-2fa', 'auth-and-writes'], [
    ['password: ', alice.password],
    ['authenticator: ', "!grep -o 'Or enter code: *[A-Z2-7]*' | tail -1 | awk '{print $NF}' | xargs oathtool --totp -b"],
  ]);
  assert.equal(r.status, 0, out(r));
  secret = r.stdout.match(/Or enter code: *([A-Z2-7]+)/)[1];
  assert.equal(secret.length, 32, 'a 160-bit secret in base32');
  assert.match(r.stdout, /2FA successfully enabled/);
  recovery = [...r.stdout.matchAll(/\t([0-9a-f]{64})\s/g)].map((m) => m[1]);
  assert.equal(recovery.length, 8, out(r));
  assert.deepEqual((await profile()).tfa, { mode: 'auth-and-writes', pending: false });
  const get = cli.npm(['profile', 'get']);
  assert.equal(get.status, 0, out(get));
  assert.match(get.stdout, /two-factor auth: auth-and-writes/);
});

test('a write without a code gets 401 with WWW-Authenticate: OTP', async () => {
  const res = await fetch(`${reg.url}/-/package/@alice%2ftfa-demo/access`, {
    method: 'POST', body: '{"access":"public"}',
    headers: { authorization: `Bearer ${cli.token}`, 'content-type': 'application/json' },
  });
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), 'OTP');
  assert.match((await res.json()).error, /one-time pass/);
});

test('npm publish without --otp outside a terminal fails with EOTP', () => {
  const r = cli.npm(['publish', '--access', 'public'], { cwd: pkg('1.0.0') });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /code EOTP/, out(r));
  assert.match(r.stderr, /This operation requires a one-time password/);
});

let usedCode;
test('npm publish --otp=<oathtool code> succeeds; the same code again is a replay', () => {
  usedCode = oathtool(30);  // The next step: the current one was spent on enrolment.
  const r = cli.npm(['publish', '--access', 'public', `--otp=${usedCode}`], { cwd: pkg('1.0.0') });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /\+ @alice\/tfa-demo@1\.0\.0/);

  const again = cli.npm(['publish', '--access', 'public', `--otp=${usedCode}`], { cwd: pkg('1.0.1') });
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /code EOTP/, out(again));
  assert.match(again.stderr, /npm notice the one-time password is wrong or was already used/);
});

test('a wrong code is refused with the same challenge', () => {
  const wrong = usedCode === '000000' ? '000001' : '000000';
  const r = cli.npm(['publish', '--access', 'public', `--otp=${wrong}`], { cwd: pkg('1.0.1') });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /code EOTP/, out(r));
  assert.match(r.stderr, /npm notice the one-time password is wrong or was already used/);
});

test('npm publish on a terminal prompts for the OTP; a recovery code works once', () => {
  const code = recovery.shift();
  const r = cli.npmTty(['publish', '--access', 'public'], [['Enter OTP:', code]], { cwd: pkg('1.0.1') });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /one-time password/);
  assert.match(r.stdout, /\+ @alice\/tfa-demo@1\.0\.1/);
  const again = cli.npm(['dist-tag', 'add', '@alice/tfa-demo@1.0.0', 'stable', `--otp=${code}`]);
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /code EOTP/, out(again));
});

test('star needs no code (npm sends it without otplease)', () => {
  const r = cli.npm(['star', '@alice/tfa-demo']);
  assert.equal(r.status, 0, out(r));
});

test('npm login --auth-type=legacy asks for the OTP', () => {
  const c = new Client(reg);
  const r = c.npmTty(['login', '--auth-type=legacy'],
    [['Username:', 'alice'], ['Password:', alice.password], ['Enter OTP:', recovery.shift()]]);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /This operation requires a one-time password/);
  assert.match(r.stdout, /Logged in on/);
  assert.equal(c.npm(['whoami']).stdout.trim(), 'alice');
  c.cleanup();
});

test('switching to auth-only needs a code; then writes need none', () => {
  const r = cli.npmTty(['profile', 'enable-2fa', 'auth-only'],
    [['password: ', alice.password], ['Enter OTP:', recovery.shift()]]);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /Two factor authentication mode changed to: auth-only/);
  assert.match(cli.npm(['profile', 'get']).stdout, /two-factor auth: auth-only/);
  const pub = cli.npm(['publish', '--access', 'public'], { cwd: pkg('1.0.2') });
  assert.equal(pub.status, 0, out(pub));
  // Token creation is an account change: still needs the code.
  const tok = cli.npm(['token', 'create', `--password=${alice.password}`]);
  assert.notEqual(tok.status, 0);
  assert.match(tok.stderr, /code EOTP/, out(tok));
});

test('the web login page asks for the code of a 2FA account', async () => {
  const { loginUrl, doneUrl } = await (await fetch(`${reg.url}/-/v1/login`, { method: 'POST' })).json();
  const submit = (otp) => fetch(loginUrl, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'alice', password: alice.password, otp }).toString(),
  });
  const page = await fetch(loginUrl);
  assert.match(await page.text(), /<input id="otp" name="otp"/);
  const without = await submit('');
  assert.equal(without.status, 401);
  assert.match(await without.text(), /enter the code from your authenticator app/);
  const wrong = await submit('000000');
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /The code is wrong or was already used/);
  const right = await submit(recovery.shift());
  assert.equal(right.status, 200);
  assert.match(await right.text(), /signed in as <b>alice<\/b>/);
  const done = await fetch(doneUrl);
  assert.equal(done.status, 200);
  assert.match((await done.json()).token, /^bwk_/);
});

test('npm profile disable-2fa needs the password and a code', async () => {
  const r = cli.npmTty(['profile', 'disable-2fa'],
    [['password: ', alice.password], ['Enter OTP:', recovery.shift()]]);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /Two factor authentication disabled/);
  assert.equal((await profile()).tfa, false);
  assert.match(cli.npm(['profile', 'get']).stdout, /two-factor auth: disabled/);
  const pub = cli.npm(['publish', '--access', 'public'], { cwd: pkg('1.0.3') });
  assert.equal(pub.status, 0, out(pub));
  assert.ok(!readFileSync(join(reg.dataDir, 'bulwark.sqlite3')).includes(secret), 'secret never stored in clear');
});
