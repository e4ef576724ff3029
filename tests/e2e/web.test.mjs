// The web login page in a real browser (Debian's Chromium driven by playwright-core): the
// `npm login` web flow end to end, as a person completes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Registry, Client, startNpmLogin, launchChromium } from './harness.mjs';


let reg, user, browser;

before(async () => {
  reg = await new Registry().start();
  user = reg.addUser('alice');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await reg.stop();
  reg.cleanup();
});

test('npm login completed in Chromium: wrong password shows an error, right one signs in', async () => {
  const client = new Client(reg);
  const login = startNpmLogin(client);
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(await login.url);
  assert.equal(await page.title(), 'Sign in · Bulwark');
  assert.equal(await page.locator('h1').textContent(), 'Sign in to Bulwark');

  await page.fill('#username', 'alice');
  await page.fill('#password', 'not the password');
  await page.click('button[type=submit]');
  assert.equal(await page.locator('.error').textContent(), 'incorrect user name or password');

  await page.fill('#username', 'alice');
  await page.fill('#password', user.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('.ok');
  assert.match(await page.locator('.ok').textContent(), /signed in as alice/);
  if (process.env.BULWARK_SCREENSHOTS) await page.screenshot({ path: join(process.env.BULWARK_SCREENSHOTS, 'login-done.png') });
  assert.deepEqual(errors.filter((e) => !/status of 401/.test(e)), [], 'no console errors besides the refused password (e.g. no CSP violations)');

  assert.equal(await login.exit, 0, login.output());
  assert.equal(client.npm(['whoami']).stdout.trim(), 'alice');

  // The link is single use: opening it again does not sign anyone in.
  await page.goto(await login.url);
  await page.fill('#username', 'alice');
  await page.fill('#password', user.password);
  await page.click('button[type=submit]');
  assert.match(await page.locator('.error').textContent(), /expired or was already used/);
  await page.close();
  client.cleanup();
});

test('the login page escapes what it echoes and cannot be framed', async () => {
  const res = await fetch(`${reg.url}/-/web/login/%3Cscript%3Ealert(1)%3C%2Fscript%3E`);
  const html = await res.text();
  assert.doesNotMatch(html, /<script>alert/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.match(res.headers.get('content-security-policy'), /default-src 'none'/);
});
