// End-to-end: mail over SMTP to a real server on loopback (Debian's python3-aiosmtpd,
// smtp_server.py), verified addresses, enhanced login verification with the stock npm CLI
// (`npm login --auth-type=legacy` prompts for the emailed code as a one-time password), the web
// login's code step and device cookie, password reset by link, recovery requests reviewed with
// `bulwark recovery`, the queue surviving an SMTP outage, STARTTLS/implicit TLS with AUTH, and
// the stats (docs/email.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry, Client, makePackage, out, tempDir } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const PY = '/usr/bin/python3';  // Debian's, which has aiosmtpd.
const CODE_RE = 'finish signing in: ([0-9]+)';

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// A real SMTP server recording what it receives in `dir`.
async function startSmtp(dir, port, extra = []) {
  const proc = spawn(PY, [join(here, 'smtp_server.py'), '--dir', dir, '--port', String(port), ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('smtp server did not start: ' + err)), 15000);
    proc.stdout.on('data', (d) => { if (/listening on/.test(d)) { clearTimeout(t); resolve(); } });
    proc.on('exit', (c) => { clearTimeout(t); reject(new Error(`smtp server exited ${c}: ${err}`)); });
  });
  return { proc, stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }) };
}

function mails(dir) {
  let files = [];
  try { files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort(); } catch {}
  return files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
}

// Waits for the `n`-th message (1-based) in `dir`.
async function waitMail(dir, n, timeout = 20000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const all = mails(dir);
    if (all.length >= n) return all[n - 1];
    if (Date.now() > deadline) throw new Error(`no mail #${n} in ${dir} (have ${all.length})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Waits for a message to `address` among those after the first `skip`.
async function waitMailTo(dir, address, skip = 0, timeout = 20000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const found = mails(dir).slice(skip).find((m) => m.rcpt_tos.includes(address));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no mail to ${address} in ${dir}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function emailConfig(port, extra = '') {
  return `auth:
  allow_registration: true
email:
  transport: smtp
  from: "Bulwark Registry <noreply@registry.test>"
  require_verified_to_publish: true
  smtp:
    host: 127.0.0.1
    port: ${port}
    security: none
    timeout_seconds: 5
  queue:
    retry_seconds: 1
    max_retry_seconds: 1
    poll_seconds: 1
${extra}`;
}

async function call(reg, method, path, { body, token, form, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (form) { h['content-type'] = 'application/x-www-form-urlencoded'; payload = new URLSearchParams(form).toString(); }
  else if (body !== undefined) { h['content-type'] = 'application/json'; payload = JSON.stringify(body); }
  const res = await fetch(reg.url + path, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await res.text();
  let json; try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, body: json, text, headers: res.headers };
}

let smtpDir, smtp, reg, alice, work;

before(async () => {
  smtpDir = tempDir('bulwark-smtp-');
  const port = await freePort();
  smtp = await startSmtp(smtpDir, port);
  reg = await new Registry({ config: emailConfig(port) }).start();
  alice = reg.addUser('alice', 'correct horse battery', 'alice@example.com');
  work = tempDir('bulwark-work-');
});

after(async () => {
  await reg.stop();
  await smtp.stop();
  reg.cleanup();
  rmSync(smtpDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test('npm login --auth-type=legacy from a new device asks for the code sent by email', async () => {
  const c = new Client(reg);
  const before = mails(smtpDir).length;
  const r = c.npmTty(['login', '--auth-type=legacy'], [
    ['Username:', 'alice'], ['Password:', alice.password],
    ['Enter OTP:', `!node ${join(here, 'mail_code.mjs')} ${smtpDir} ${before + 1} '${CODE_RE}'`],
  ]);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /This operation requires a one-time password/);
  assert.match(r.stdout, /Logged in on/);
  assert.equal(c.npm(['whoami']).stdout.trim(), 'alice');
  const mail = mails(smtpDir)[before];
  assert.deepEqual(mail.rcpt_tos, ['alice@example.com']);
  assert.equal(mail.mail_from, 'noreply@registry.test');
  assert.equal(mail.content_type, 'multipart/alternative');
  assert.match(mail.subject, /login verification code/);
  assert.match(mail.text, /finish signing in: \d{8}\b/);
  assert.match(mail.text, /"alice" with its password through npm login from a device we have not seen before \(address 127\.0\.0\.1\)/);
  assert.match(mail.html, /finish signing in: \d{8}/);
  assert.doesNotMatch(mail.text, /correct horse/);  // No secrets beyond the code.

  // The same machine (it holds the token from that login) is known: no code this time.
  const again = c.npmTty(['login', '--auth-type=legacy'], [['Username:', 'alice'], ['Password:', alice.password]]);
  assert.equal(again.status, 0, out(again));
  assert.doesNotMatch(again.stdout, /one-time password/);
  assert.equal(mails(smtpDir).length, before + 1, 'no second code for a known device');
  c.cleanup();
});

test('a wrong emailed code is refused, and five wrong codes void it', async () => {
  const login = () => fetch(`${reg.url}/-/user/org.couchdb.user:alice`, {
    method: 'PUT', headers: { 'content-type': 'application/json', ...(login.otp ? { 'npm-otp': login.otp } : {}) },
    body: JSON.stringify({ name: 'alice', password: alice.password }),
  });
  const n = mails(smtpDir).length;
  let res = await login();
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate'), /OTP/);
  const code = (await waitMail(smtpDir, n + 1)).text.match(/finish signing in: (\d+)/)[1];
  const wrong = code === '00000000' ? '11111111' : '00000000';
  for (let i = 0; i < 5; i++) {
    login.otp = wrong;
    res = await login();
    assert.equal(res.status, 401);
  }
  login.otp = code;
  res = await login();
  assert.equal(res.status, 401, 'the right code is void after five wrong ones');
  const events = JSON.parse(reg.cli(['events', '--user', 'alice', '--kind', 'login.verification', '--json']).stdout);
  assert.ok(events.filter((e) => e.kind === 'login.verification_failed').length >= 5);
});

test('web login: the emailed code step, then the device cookie skips it', async () => {
  const start = async () => (await call(reg, 'POST', '/-/v1/login', { body: {} })).body;
  let { loginUrl, doneUrl } = await start();
  const path = new URL(loginUrl).pathname;
  const n = mails(smtpDir).length;
  let r = await call(reg, 'POST', path, { form: { username: 'alice', password: alice.password } });
  assert.equal(r.status, 401);
  assert.match(r.text, /Check your email/);
  assert.match(r.text, /name="email_code"/);
  const code = (await waitMail(smtpDir, n + 1)).text.match(/finish signing in: (\d+)/)[1];
  r = await call(reg, 'POST', path, { form: { username: 'alice', email_code: '12345678' } });
  assert.equal(r.status, 401);
  assert.match(r.text, /wrong/);
  r = await call(reg, 'POST', path, { form: { username: 'alice', email_code: code } });
  assert.equal(r.status, 200, r.text);
  const cookie = r.headers.get('set-cookie');
  assert.match(cookie, /^bulwark_device=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}; Path=\/-\/web\/; Max-Age=31536000; HttpOnly/);
  const done = await fetch(doneUrl);
  assert.equal(done.status, 200);
  assert.ok((await done.json()).token);

  ({ loginUrl } = await start());
  const device = cookie.split(';')[0];
  r = await call(reg, 'POST', new URL(loginUrl).pathname,
    { form: { username: 'alice', password: alice.password }, headers: { cookie: device } });
  assert.equal(r.status, 200, 'a known device needs no code');
  // A forged cookie is a new device.
  ({ loginUrl } = await start());
  const forged = device.slice(0, -3) + (device.endsWith('AAA') ? 'BBB' : 'AAA');
  r = await call(reg, 'POST', new URL(loginUrl).pathname,
    { form: { username: 'alice', password: alice.password }, headers: { cookie: forged } });
  assert.equal(r.status, 401);
  // ... and is mailed a new code (waited for here, so it cannot arrive during the next test).
  assert.match((await waitMail(smtpDir, n + 2)).text, /finish signing in: \d{8}/);
});

test('the account settings sign-in needs the emailed code too (else a password could add a security key)', async () => {
  const n = mails(smtpDir).length;
  // A code-only post without a pending code sends nothing: no mailing an account without its password.
  let r = await call(reg, 'POST', '/-/web/signin', { form: { username: 'alice', email_code: '12345678' }, headers: { origin: reg.url } });
  assert.equal(r.status, 401);
  await new Promise((res) => setTimeout(res, 1500));
  assert.ok(!mails(smtpDir).some((m) => /account settings sign-in/.test(m.text)), 'no code was mailed');
  r = await call(reg, 'POST', '/-/web/signin', { form: { username: 'alice', password: alice.password }, headers: { origin: reg.url } });
  assert.equal(r.status, 401);
  assert.match(r.text, /Check your email/);
  assert.equal(r.headers.get('set-cookie'), null, 'not signed in yet');
  const mail = await waitMailTo(smtpDir, alice.email, n);
  assert.match(mail.text, /through the account settings sign-in/);
  const code = mail.text.match(/finish signing in: (\d+)/)[1];
  r = await call(reg, 'POST', '/-/web/signin', { form: { username: 'alice', email_code: code }, headers: { origin: reg.url } });
  assert.equal(r.status, 303, r.text);
  assert.match(r.headers.get('set-cookie'), /^bulwark_session=/);
});

test('npm adduser sends a verification link; unverified accounts cannot publish', async () => {
  const c = new Client(reg);
  const n = mails(smtpDir).length;
  const r = c.npmTty(['adduser', '--auth-type=legacy'],
    [['Username:', 'bob'], ['Password:', 'tall ship sailing home'], ['Email', 'bob@example.org']]);
  assert.equal(r.status, 0, out(r));
  const mail = await waitMailTo(smtpDir, 'bob@example.org', n);
  assert.match(mail.subject, /Verify your email address/);
  const link = mail.text.match(/(http:\/\/\S+\/-\/bulwark\/email\/confirm\/\S+)/)[1];
  assert.match(c.npm(['profile', 'get']).stdout, /email: bob@example\.org\s*\(unverified\)/);

  const dir = makePackage(join(work, 'bob-pkg'), { name: 'bob-pkg', version: '1.0.0' });
  let pub = c.npm(['publish'], { cwd: dir });
  assert.notEqual(pub.status, 0);
  assert.match(pub.stderr, /verified email address/, out(pub));

  // GET shows a button (mail scanners prefetch links); POST follows it.
  const page = await fetch(link);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Confirm/);
  const follow = await fetch(link, { method: 'POST' });
  assert.equal(follow.status, 200);
  assert.match(await follow.text(), /bob@example\.org is verified/);
  assert.equal((await fetch(link, { method: 'POST' })).status, 410, 'single use');
  assert.match(c.npm(['profile', 'get']).stdout, /email: bob@example\.org\s*\(verified\)/);
  pub = c.npm(['publish'], { cwd: dir });
  assert.equal(pub.status, 0, out(pub));
  c.cleanup();
});

test('npm profile set email is confirmed from both addresses, and the old one is notified', async () => {
  const c = new Client(reg, await loginWithCode());
  const n = mails(smtpDir).length;
  const r = c.npm(['profile', 'set', 'email', 'alice@new.example.com']);
  assert.equal(r.status, 0, out(r));
  await waitMail(smtpDir, n + 2);
  const [a, b] = mails(smtpDir).slice(n, n + 2);
  const toNew = a.rcpt_tos[0] === 'alice@new.example.com' ? a : b;
  const toOld = a === toNew ? b : a;
  assert.deepEqual(toOld.rcpt_tos, ['alice@example.com']);
  assert.match(toOld.text, /from alice@example\.com to alice@new\.example\.com/);
  assert.match(c.npm(['profile', 'get']).stdout, /alice@example\.com/, 'nothing changes yet');
  const linkOf = (m) => m.text.match(/(http:\/\/\S+\/confirm\/\S+)/)[1];
  assert.equal((await fetch(linkOf(toNew), { method: 'POST' })).status, 200);
  assert.match(c.npm(['profile', 'get']).stdout, /alice@example\.com/, 'still waiting for the old address');
  assert.equal((await fetch(linkOf(toOld), { method: 'POST' })).status, 200);
  assert.match(c.npm(['profile', 'get']).stdout, /email: alice@new\.example\.com \(verified\)/);
  const notice = await waitMail(smtpDir, n + 3);
  assert.deepEqual(notice.rcpt_tos, ['alice@example.com']);
  assert.match(notice.text, /is now alice@new\.example\.com/);
  alice.email = 'alice@new.example.com';
  c.cleanup();
});

// A token for alice through the legacy login and its emailed code.
async function loginWithCode() {
  const put = (otp) => fetch(`${reg.url}/-/user/org.couchdb.user:alice`, {
    method: 'PUT', headers: { 'content-type': 'application/json', ...(otp ? { 'npm-otp': otp } : {}) },
    body: JSON.stringify({ name: 'alice', password: alice.password }),
  });
  const n = mails(smtpDir).length;
  let res = await put();
  if (res.status === 201) return (await res.json()).token;
  // A code asked for again within a minute is not re-sent: the last one is still valid.
  const fresh = /a verification code was sent/.test((await res.json()).error);
  const mail = fresh ? await waitMail(smtpDir, n + 1)
    : mails(smtpDir).reverse().find((m) => /through npm login/.test(m.text));
  const code = mail.text.match(/finish signing in: (\d+)/)[1];
  res = await put(code);
  assert.equal(res.status, 201);
  return (await res.json()).token;
}

test('password reset: same answer for any input, single-use link, sessions signed out', async () => {
  const token = await loginWithCode();
  const n = mails(smtpDir).length;
  const ask = async (user) => {
    const t0 = performance.now();
    const r = await call(reg, 'POST', '/-/bulwark/v1/password-reset', { body: { user } });
    return { ...r, ms: performance.now() - t0 };
  };
  // erin exists but her address was never verified: she gets nothing either.
  const add = reg.cli(['user', 'add', 'erin', '--email', 'erin@example.org', '--password-stdin', '--unverified'],
    'winter garden lights\n');
  assert.equal(add.status, 0, add.stderr);
  const answers = [];
  for (let i = 0; i < 3; i++) {
    answers.push(await ask('nobody'), await ask('nobody@example.com'), await ask('erin'));
  }
  const real = await ask('alice@new.example.com');
  for (const a of [...answers, real]) {
    assert.equal(a.status, 202);
    assert.deepEqual(a.body, real.body);
    assert.equal(a.headers.get('content-length'), real.headers.get('content-length'));
  }
  // Timing shape: no path is an order of magnitude apart (all a few ms; the mail is queued).
  const slowest = Math.max(...answers.map((a) => a.ms), real.ms);
  assert.ok(slowest < 500, `answers took up to ${slowest} ms`);
  const mail = await waitMail(smtpDir, n + 1);
  assert.deepEqual(mail.rcpt_tos, ['alice@new.example.com']);
  assert.equal(mails(smtpDir).length, n + 1, 'unknown and unverified accounts got nothing');
  const link = mail.text.match(/(http:\/\/\S+\/-\/bulwark\/email\/reset\/\S+)/)[1];
  const page = await fetch(link);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<strong>alice<\/strong>/);
  let r = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'password=short' });
  assert.equal(r.status, 400, 'the password rules apply and the link survives');
  r = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ password: 'a fresh reset passphrase' }).toString() });
  assert.equal(r.status, 200);
  assert.equal((await call(reg, 'GET', '/-/whoami', { token })).status, 401, 'login sessions revoked');
  r = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'password=another+long+passphrase' });
  assert.equal(r.status, 410, 'single use');
  alice.password = 'a fresh reset passphrase';
  assert.ok(await loginWithCode());
});

test('account recovery: filed by the user, approved with bulwark recovery, link sets the password', async () => {
  const n = mails(smtpDir).length;
  const r = await call(reg, 'POST', '/-/bulwark/v1/recovery-requests',
    { body: { user: 'alice', contact: 'signal +1 555 0100', message: 'my mail domain expired' } });
  assert.equal(r.status, 202);
  let list = reg.cli(['recovery', 'list']);
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /#1 .* open\s+user alice .*\n\s+contact: signal \+1 555 0100/);
  const approve = reg.cli(['recovery', 'approve', '1', '--by', 'root', '--url', reg.url]);
  assert.equal(approve.status, 0, approve.stderr);
  const link = approve.stdout.match(/(http:\/\/\S+\/-\/bulwark\/email\/reset\/\S+)/)[1];
  assert.equal(reg.cli(['recovery', 'approve', '1']).status, 2, 'decided once');
  const set = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ password: 'recovered by an admin' }).toString() });
  assert.equal(set.status, 200);
  alice.password = 'recovered by an admin';
  assert.ok(await loginWithCode());
  list = JSON.parse(reg.cli(['recovery', 'list', '--all', '--json']).stdout);
  assert.equal(list[0].state, 'completed');
  assert.equal(mails(smtpDir).length, n + 1, 'only the login code: nothing went to the address');
  // The web form files one too.
  const form = await call(reg, 'POST', '/-/bulwark/email/recovery', { form: { user: 'ghost', contact: 'x', message: 'y' } });
  assert.equal(form.status, 200);
  assert.match(form.text, /Your request was filed/);
});

test('stats count login verifications and resets', async () => {
  const token = await loginWithCode();
  const r = await call(reg, 'GET', '/-/bulwark/v1/stats', { token });
  assert.equal(r.status, 200);
  const e = r.body.email;
  assert.ok(e.login_verifications_sent >= 3, JSON.stringify(e));
  assert.ok(e.login_verifications_passed >= 3, JSON.stringify(e));
  assert.ok(e.login_verifications_failed >= 6, JSON.stringify(e));
  assert.ok(e.password_resets_sent >= 1 && e.password_resets_blocked === 0, JSON.stringify(e));
  assert.ok(e.mail_sent >= 8 && e.mail_failed === 0, JSON.stringify(e));
  const cli = reg.cli(['stats']);
  assert.match(cli.stdout, /email\n(.*\n)*\s+login_verifications_sent\s+\d+/);
});

test('an SMTP outage delays mail and loses none', async () => {
  const dir = tempDir('bulwark-smtp-down-');
  const port = await freePort();  // Nothing listens there yet.
  const r2 = await new Registry({ config: emailConfig(port) }).start();
  r2.addUser('carol', 'quiet river crossing', 'carol@example.net');
  try {
    for (const user of ['carol', 'carol@example.net']) {
      const res = await call(r2, 'POST', '/-/bulwark/v1/password-reset', { body: { user } });
      assert.equal(res.status, 202);
    }
    await new Promise((r) => setTimeout(r, 2500));
    const stats = JSON.parse(r2.cli(['stats', '--json']).stdout).email;
    assert.equal(stats.mail_queued, 2, JSON.stringify(stats));
    assert.equal(stats.mail_sent, 0);
    assert.match(r2.stderr, /not sent \(attempt \d+\), retrying/);
    const server = await startSmtp(dir, port);
    try {
      await waitMail(dir, 2);
      assert.deepEqual(mails(dir).map((m) => m.rcpt_tos[0]), ['carol@example.net', 'carol@example.net']);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(JSON.parse(r2.cli(['stats', '--json']).stdout).email.mail_sent, 2);
    } finally {
      await server.stop();
    }
  } finally {
    await r2.stop();
    r2.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

// A self-signed certificate for 127.0.0.1 (the registry checks it against ca_file).
function makeCert(dir) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return [join(dir, 'cert.pem'), join(dir, 'key.pem')];
}

for (const mode of ['starttls', 'tls']) {
  test(`SMTP with ${mode === 'tls' ? 'implicit TLS' : 'STARTTLS'} and AUTH`, async () => {
    const dir = tempDir('bulwark-smtp-tls-');
    const [cert, key] = makeCert(dir);
    const port = await freePort();
    const server = await startSmtp(join(dir, 'box'), port, [`--${mode}`, cert, key, '--auth', 'relay:s3cret']);
    writeFileSync(join(dir, 'smtp-password'), 's3cret\n');
    const r2 = await new Registry({ config: emailConfig(port).replace('security: none',
      `security: ${mode}\n    ca_file: ${cert}\n    username: relay\n    password_file: ${join(dir, 'smtp-password')}`) }).start();
    r2.addUser('dave', 'green lantern evening', 'dave@example.net');
    try {
      const res = await call(r2, 'POST', '/-/bulwark/v1/password-reset', { body: { user: 'dave' } });
      assert.equal(res.status, 202);
      const mail = await waitMail(join(dir, 'box'), 1);
      assert.equal(mail.tls, true);
      assert.equal(mail.auth_user, 'relay');
      assert.deepEqual(mail.rcpt_tos, ['dave@example.net']);
    } finally {
      await r2.stop();
      r2.cleanup();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
