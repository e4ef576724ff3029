// Security keys end to end: Debian's Chromium driven by playwright-core with the DevTools
// virtual authenticator (CDP WebAuthn domain), against a real `bulwark serve` and the stock npm
// CLI. A key is enrolled on the settings page, completes `npm login --auth-type=web`, and
// approves `npm publish` of a key-only maintainer through the authUrl/doneUrl web-2FA flow
// (npm-registry-api.md §1.5). WebAuthn needs a secure context and a domain as RP ID, so the
// pages run on http://localhost:<port> (the server redirects 127.0.0.1 there).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry, Client, makePackage, out, startNpmLogin, tempDir, npmBin, launchChromium } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const b64url = (b64) => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');


let reg, alice, bob, browser, origin, work;
let alicePage, aliceAuth, bobPage, bobAuth;
let aliceToken;

// A page with its own virtual authenticator (CTAP2, user verification available).
async function pageWithKey() {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'usb', hasResidentKey: false,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { page, auth: { cdp, authenticatorId } };
}

async function signInToSettings(page, user) {
  // Through 127.0.0.1 on purpose: the server sends the browser to the RP origin.
  await page.goto(`${reg.url}/-/web/settings`);
  assert.equal(new URL(page.url()).origin, origin);
  assert.equal(await page.locator('h1').textContent(), 'Sign in to Bulwark');
  await page.fill('#username', user.name);
  await page.fill('#password', user.password);
  await page.click('button[type=submit]');
}

async function addKey(page, user, name) {
  await page.fill('#key-name', name);
  await page.fill('#confirm-password', user.password);
  await page.click('#add-key button[type=submit]');
  await page.waitForSelector('#use-key');
  await page.click('#use-key');
  await page.waitForSelector('#notice');
  assert.equal(await page.locator('#notice').textContent(), `Security key "${name}" added.`);
}

// The system URL opener npm runs (`xdg-open URL`, its default `browser`), first on PATH: it
// records the URL it was asked to open. (npm 11.19.1 cannot be given a browser path: its
// `browser` setting is typed [null, Boolean, String] and nopt turns any string into true.)
function recordingOpener(dir) {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const log = join(dir, 'opened-urls');
  const script = join(bin, 'xdg-open');
  writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${log}'\n`);
  chmodSync(script, 0o755);
  return { bin, log };
}

async function waitFor(fn, what, ms = 20000, detail = () => '') {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  reg = await new Registry().start();
  origin = `http://localhost:${reg.port}`;
  alice = reg.addUser('alice');
  bob = reg.addUser('bob');
  aliceToken = await reg.token(alice);
  work = tempDir('bulwark-webauthn-');
  browser = await launchChromium();
  ({ page: alicePage, auth: aliceAuth } = await pageWithKey());
  ({ page: bobPage, auth: bobAuth } = await pageWithKey());
});

after(async () => {
  await browser?.close();
  await reg.stop();
  reg.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('enrol a security key on the settings page; npm profile get then shows 2FA on', async () => {
  const errors = [];
  alicePage.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await signInToSettings(alicePage, alice);
  assert.equal(await alicePage.locator('h1').textContent(), 'Account settings');
  assert.equal(await alicePage.locator('#tfa').textContent(), 'off');
  assert.equal(await alicePage.locator('#no-keys').count(), 1);

  // Adding a key needs the password again.
  await alicePage.fill('#key-name', 'Desk key');
  await alicePage.fill('#confirm-password', 'not the password');
  await alicePage.click('#add-key button[type=submit]');
  assert.equal(await alicePage.locator('#error').textContent(), 'incorrect user name or password');

  await addKey(alicePage, alice, 'Desk key');
  assert.equal(await alicePage.locator('#tfa').textContent(), 'auth-and-writes');
  const row = alicePage.locator('#keys tr[data-key]');
  assert.equal(await row.count(), 1);
  assert.equal(await row.locator('.key-name').textContent(), 'Desk key');
  assert.match(await row.textContent(), /(EdDSA|ES256) \(none\)/);
  const { credentials } = await aliceAuth.cdp.send('WebAuthn.getCredentials', { authenticatorId: aliceAuth.authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].rpId, 'localhost');
  assert.deepEqual(errors.filter((e) => !/status of 401/.test(e)), [],
    'no console errors besides the refused password (CSP allows the one script)');

  const cli = new Client(reg, aliceToken);
  const get = cli.npm(['profile', 'get']);
  assert.equal(get.status, 0, out(get));
  assert.match(get.stdout, /two-factor auth: auth-and-writes/);
  cli.cleanup();

  // The enrolment is in the security event log, and the key-only account counts as 2FA.
  const ev = reg.cli(['events', '--user', 'alice', '--kind', 'security_key.', '--json']);
  assert.equal(ev.status, 0, out(ev));
  const kinds = JSON.parse(ev.stdout).map((e) => e.kind);
  assert.deepEqual(kinds, ['security_key.registered'], ev.stdout);
  const st = reg.cli(['stats', '--json']);
  assert.equal(st.status, 0, out(st));
  assert.ok(JSON.parse(st.stdout).accounts.users_with_2fa >= 1, st.stdout);

  // Bob enrols his own key in his own browser.
  await signInToSettings(bobPage, bob);
  await addKey(bobPage, bob, 'Bob key');
});

test('signing in to the settings page now asks for the key', async () => {
  const page = alicePage;
  await page.goto(`${origin}/-/web/settings`);
  await page.click('form[action="/-/web/signout"] button');
  await signInToSettings(page, alice);
  assert.match(await page.locator('p').first().textContent(), /use your security key/);
  assert.equal(await page.locator('#otp').count(), 0, 'a key-only account has no code field');
  await page.click('#use-key');
  await page.waitForSelector('#keys');
  assert.match(await page.locator('#keys').textContent(), /Desk key/);
});

test('npm login --auth-type=web completed in Chromium with the security key', async () => {
  const client = new Client(reg);
  const login = startNpmLogin(client);
  await alicePage.goto(await login.url);
  assert.equal(new URL(alicePage.url()).origin, origin, 'redirected to the RP origin');
  await alicePage.fill('#username', 'alice');
  await alicePage.fill('#password', alice.password);
  await alicePage.click('button[type=submit]');
  await alicePage.waitForSelector('#use-key');
  await alicePage.click('#use-key');
  await alicePage.waitForSelector('.ok');
  assert.match(await alicePage.locator('.ok').textContent(), /signed in as alice/);
  assert.equal(await login.exit, 0, login.output());
  assert.equal(client.npm(['whoami']).stdout.trim(), 'alice');
  client.cleanup();
});

test("another user's key is refused for alice's login", async () => {
  const client = new Client(reg);
  const login = startNpmLogin(client);
  // Bob's browser, alice's password (say it was phished): his key cannot finish her login.
  await bobPage.goto(await login.url);
  await bobPage.fill('#username', 'alice');
  await bobPage.fill('#password', alice.password);
  await bobPage.click('button[type=submit]');
  await bobPage.waitForSelector('#use-key');
  // The page only allows alice's credentials, which bob's authenticator lacks: the browser
  // itself refuses.
  await bobPage.click('#use-key');
  await bobPage.waitForSelector('#key-error:not([hidden])');
  // Forge the post with bob's own credential over this page's challenge.
  const bobCreds = await bobAuth.cdp.send('WebAuthn.getCredentials', { authenticatorId: bobAuth.authenticatorId });
  const bobKeyId = b64url(bobCreds.credentials[0].credentialId);
  await bobPage.evaluate(async (id) => {
    const req = JSON.parse(document.getElementById('webauthn-request').textContent);
    const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
    const enc = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const cred = await navigator.credentials.get({ publicKey: { rpId: req.rpId, challenge: dec(req.challenge),
      allowCredentials: [{ type: 'public-key', id: dec(id) }] } });
    const set = (n, v) => { document.getElementById('key-' + n).value = v; };
    set('credential_id', enc(cred.rawId));
    set('client_data', enc(cred.response.clientDataJSON));
    set('authenticator_data', enc(cred.response.authenticatorData));
    set('signature', enc(cred.response.signature));
    set('user_handle', '');
    document.getElementById('key-form').submit();
  }, bobKeyId);
  await bobPage.waitForSelector('#error');
  assert.match(await bobPage.locator('#error').textContent(), /not registered to this account/);
  // Nothing was minted: npm is still waiting, and alice can still finish with her own key.
  const loginUrl = await login.url;
  assert.equal((await fetch(loginUrl.replace('/-/web/login/', '/-/v1/done/'))).status, 202);
  await alicePage.goto(loginUrl);
  await alicePage.fill('#username', 'alice');
  await alicePage.fill('#password', alice.password);
  await alicePage.click('button[type=submit]');
  await alicePage.click('#use-key');
  await alicePage.waitForSelector('.ok');
  assert.equal(await login.exit, 0, login.output());
  client.cleanup();
});

test('a key-only maintainer publishes: npm opens authUrl, the key approves, npm retries', async () => {
  const cli = new Client(reg, aliceToken);
  const dir = makePackage(join(work, 'key-demo'), { name: '@alice/key-demo', version: '1.0.0' });

  // Without a terminal npm cannot open a browser: it fails with the URLs in the error.
  const ci = cli.npm(['publish', '--access', 'public', '--json'], { cwd: dir });
  assert.notEqual(ci.status, 0);
  assert.match(ci.stdout + ci.stderr, /EOTP/, out(ci));

  // The challenge's shape (§1.5), seen directly.
  const res = await fetch(`${reg.url}/-/package/@alice%2fkey-demo/dist-tags/next`, {
    method: 'PUT', headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json' },
    body: '"1.0.0"' });
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), 'OTP');
  const body = await res.json();
  assert.match(body.authUrl, new RegExp(`^${origin}/-/web/2fa/[A-Za-z0-9]+$`));
  assert.match(body.doneUrl, new RegExp(`^${reg.url}/-/v1/done/2fa/[A-Za-z0-9]+$`));
  const pending = await fetch(body.doneUrl);
  assert.equal(pending.status, 202);
  assert.equal(pending.headers.get('retry-after'), '1');
  assert.deepEqual(await pending.json(), {});

  // On a terminal: npm prints authUrl, asks to press ENTER, runs the system opener with the
  // URL (here a script that records it; the test's Chromium then opens it).
  const { bin, log } = recordingOpener(work);
  const npm = spawn('python3', [join(here, 'pty_run.py'), '90', 'Press ENTER to open in the browser', '',
    '--', npmBin, 'publish', '--access', 'public'],
  { cwd: dir, env: cli.env({ PATH: `${bin}:${process.env.PATH}` }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout.on('data', (d) => { output += d; });
  npm.stderr.on('data', (d) => { output += d; });
  const exit = new Promise((r) => npm.on('exit', r));
  const authUrl = await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').trim(), 'npm to open the browser', 20000, () => output.slice(-1500));
  assert.match(authUrl, new RegExp(`^${origin}/-/web/2fa/`));

  await alicePage.goto(authUrl);
  assert.equal(await alicePage.locator('h1').textContent(), 'Approve npm publish');
  assert.match(await alicePage.locator('p').first().textContent(), /"publish" as alice/);
  await alicePage.click('#use-key');
  await alicePage.waitForSelector('.ok');
  assert.match(await alicePage.locator('.ok').textContent(), /Approved/);

  assert.equal(await exit, 0, output);
  assert.match(output, /Authenticate your account at:/);
  assert.match(output, /\+ @alice\/key-demo@1\.0\.0/);
  const view = cli.npm(['view', '@alice/key-demo', 'version']);
  assert.equal(view.stdout.trim(), '1.0.0', out(view));

  // The approval link is spent; the token npm used is spent too.
  await alicePage.goto(authUrl);
  assert.match(await alicePage.locator('.error').textContent(), /expired or was already used/);
});

test('web 2FA approvals are per user: bob cannot approve with his key', async () => {
  const res = await fetch(`${reg.url}/-/package/@alice%2fkey-demo/dist-tags/beta`, {
    method: 'PUT', headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json' },
    body: '"1.0.0"' });
  const { authUrl, doneUrl } = await res.json();
  await bobPage.goto(authUrl);
  await bobPage.click('#use-key');
  // Bob's authenticator holds no credential alice's page allows.
  await bobPage.waitForSelector('#key-error:not([hidden])');
  assert.equal((await fetch(doneUrl)).status, 202, 'still pending');
  // A made-up token is a wrong code.
  const forged = await fetch(`${reg.url}/-/package/@alice%2fkey-demo/dist-tags/beta`, {
    method: 'PUT', headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json', 'npm-otp': 'bwkotp_forged' },
    body: '"1.0.0"' });
  assert.equal(forged.status, 401);
  assert.match((await forged.json()).error, /wrong or was already used/);
});

test('a cloned key (signature counter going backwards) is refused', async () => {
  const { cdp, authenticatorId } = aliceAuth;
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  const original = credentials[0];
  assert.ok(original.signCount >= 2, `the key has signed ${original.signCount} times`);
  // Replace it with a copy of the same private key whose counter starts again at 0.
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: original.credentialId });
  await cdp.send('WebAuthn.addCredential', { authenticatorId,
    credential: { ...original, signCount: 0, largeBlob: undefined } });
  const client = new Client(reg);
  const login = startNpmLogin(client);
  await alicePage.goto(await login.url);
  await alicePage.fill('#username', 'alice');
  await alicePage.fill('#password', alice.password);
  await alicePage.click('button[type=submit]');
  await alicePage.click('#use-key');
  await alicePage.waitForSelector('#error');
  assert.match(await alicePage.locator('#error').textContent(), /signature counter went backwards.*may have been cloned/);
  assert.match(reg.stderr, /SECURITY: security key "Desk key" of alice refused/);
  // The genuine key (its counter ahead of the stored one) still works; npm finishes.
  const { credentials: now } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: now[0].credentialId });
  await cdp.send('WebAuthn.addCredential', { authenticatorId,
    credential: { ...original, signCount: original.signCount + 10, largeBlob: undefined } });
  await alicePage.click('#use-key');
  await alicePage.waitForSelector('.ok');
  assert.equal(await login.exit, 0, login.output());
  client.cleanup();
});

test('the settings page needs a session; rename and remove need the password', async () => {
  const anon = await fetch(`${origin}/-/web/settings`, { redirect: 'manual' });
  assert.equal(anon.status, 303);
  assert.equal(anon.headers.get('location'), '/-/web/signin');
  // A form posted from another site is refused even with the cookie (SameSite aside).
  const csrf = await fetch(`${origin}/-/web/settings/keys/remove`, { method: 'POST',
    headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'id=x&password=y' });
  assert.equal(csrf.status, 403);

  const page = bobPage;
  await page.goto(`${origin}/-/web/settings`);
  const row = page.locator('#keys tr[data-key]');
  await row.locator('input[name=name]').fill('Keyring');
  await row.locator('form[action$="rename"] input[name=password]').fill(bob.password);
  await row.locator('form[action$="rename"] button').click();
  assert.equal(await page.locator('#notice').textContent(), 'Security key renamed.');
  assert.equal(await page.locator('#keys .key-name').textContent(), 'Keyring');

  await page.locator('#keys form[action$="remove"] input[name=password]').fill('wrong password');
  await page.locator('#keys form[action$="remove"] button').click();
  assert.equal(await page.locator('#error').textContent(), 'incorrect user name or password');
  await page.locator('#keys form[action$="remove"] input[name=password]').fill(bob.password);
  await page.locator('#keys form[action$="remove"] button').click();
  assert.equal(await page.locator('#notice').textContent(), 'Security key removed.');
  assert.equal(await page.locator('#tfa').textContent(), 'off');
});

test('a TOTP account gets a code field on the second step of the web login page', async () => {
  const carol = reg.addUser('carol');
  const token = await reg.token(carol);
  const api = (body) => fetch(`${reg.url}/-/npm/v1/user`, { method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const url = (await (await api({ tfa: { mode: 'auth-and-writes', password: carol.password } })).json()).tfa;
  const secret = new URL(url).searchParams.get('secret');
  const code = (offset) => {
    const now = new Date(Date.now() + offset * 1000).toISOString().replace('T', ' ').replace(/\..*/, ' UTC');
    return execFileSync('oathtool', ['--totp', '-b', '--now', now, secret], { encoding: 'utf8' }).trim();
  };
  assert.equal((await api({ tfa: [code(0)] })).status, 200);

  const { loginUrl, doneUrl } = await (await fetch(`${reg.url}/-/v1/login`, { method: 'POST' })).json();
  const post = (fields) => fetch(loginUrl, { method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  const handleOf = (html) => html.match(/name="handle" value="([^"]+)"/)[1];
  const first = await post({ username: 'carol', password: carol.password, otp: '' });
  assert.equal(first.status, 401);
  const page1 = await first.text();
  assert.match(page1, /enter the code from your authenticator app/);
  assert.match(page1, /<input id="otp" name="otp"/);
  assert.doesNotMatch(page1, /use-key/, 'no key button without keys');
  const wrong = await post({ handle: handleOf(page1), method: 'code', otp: '000000' });
  assert.equal(wrong.status, 401);
  const page2 = await wrong.text();
  assert.match(page2, /The code is wrong or was already used/);
  // The spent handle is refused; the fresh one with the next step's code signs in.
  const replay = await post({ handle: handleOf(page1), method: 'code', otp: code(30) });
  assert.equal(replay.status, 410);
  const right = await post({ handle: handleOf(page2), method: 'code', otp: code(30) });
  assert.equal(right.status, 200);
  assert.match(await right.text(), /signed in as <b>carol<\/b>/);
  const done = await fetch(doneUrl);
  assert.equal(done.status, 200);
  assert.match((await done.json()).token, /^bwk_/);
});
