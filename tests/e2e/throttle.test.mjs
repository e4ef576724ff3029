// End-to-end: login throttling (docs/security.md). Failed password and one-time-password
// checks are counted per account and per client address; past a small allowance each attempt
// waits exponentially longer, and attempts made during the wait get 429 with Retry-After
// without the credential being checked. Small thresholds from the config keep this fast; each
// test gets its own registry, since every request here comes from 127.0.0.1 and shares that
// address's budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry, Client, out } from './harness.mjs';

const config = 'auth:\n  throttle:\n    free_failures: 3\n    base_delay_seconds: 3\n    max_delay_seconds: 6\n';

async function withRegistry(fn) {
  const reg = await new Registry({ config }).start();
  try {
    await fn(reg);
  } finally {
    await reg.stop();
    reg.cleanup();
  }
}

// A legacy login (`npm login --auth-type=legacy`): PUT /-/user/org.couchdb.user:NAME.
async function login(reg, name, password, headers = {}) {
  const res = await fetch(`${reg.url}/-/user/org.couchdb.user:${name}`, {
    method: 'PUT', headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ _id: `org.couchdb.user:${name}`, name, password, type: 'user', roles: [] }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}

function assertThrottled(r) {
  assert.equal(r.status, 429, JSON.stringify(r));
  assert.match(r.retryAfter, /^[1-9]\d*$/);
  assert.ok(Number(r.retryAfter) <= 3, r.retryAfter);
  assert.equal(r.body.error, `too many failed attempts; try again in ${r.retryAfter} seconds`);
}

test('a burst of wrong passwords is throttled; during the lockout even the right one is refused', async () => {
  await withRegistry(async (reg) => {
    const alice = reg.addUser('alice');
    // Three free failures, then the fourth locks the account (and the address) for 3 s.
    for (let i = 0; i < 4; i++) assert.equal((await login(reg, 'alice', 'wrong password')).status, 401);
    assertThrottled(await login(reg, 'alice', 'wrong password'));
    const right = await login(reg, 'alice', alice.password);
    assertThrottled(right);
    await sleep(Number(right.retryAfter) * 1000);
    const after = await login(reg, 'alice', alice.password);
    assert.equal(after.status, 201, JSON.stringify(after));
    assert.ok(after.body.token);
  });
});

test('npm login --auth-type=legacy shows the throttling error', async () => {
  await withRegistry(async (reg) => {
    const bob = reg.addUser('bob');
    for (let i = 0; i < 4; i++) await login(reg, 'bob', 'wrong password');
    const c = new Client(reg);
    try {
      // npm retries a 429 after 10 s by default: no retries here, to see the refusal itself.
      const r = c.npmTty(['login', '--auth-type=legacy', '--fetch-retries=0'],
        [['Username:', 'bob'], ['Password:', bob.password]]);
      assert.notEqual(r.status, 0, out(r));
      assert.match(r.stdout + r.stderr, /too many failed attempts; try again in \d+ seconds/, out(r));
    } finally {
      c.cleanup();
    }
  });
});

test('guesses spread over accounts are throttled by the client address', async () => {
  await withRegistry(async (reg) => {
    const carol = reg.addUser('carol');
    // One wrong guess each at several names: no account reaches its allowance, the address does.
    for (const name of ['dave', 'erin', 'frank', 'grace']) {
      assert.equal((await login(reg, name, 'wrong password')).status, 401);
    }
    assertThrottled(await login(reg, 'carol', carol.password));
    // Basic authentication shares the password budget.
    const basic = Buffer.from(`carol:${carol.password}`).toString('base64');
    const res = await fetch(`${reg.url}/-/whoami`, { headers: { authorization: `Basic ${basic}` } });
    assert.equal(res.status, 429);
    assert.ok(res.headers.get('retry-after'));
  });
});

test('the web login page shows the lockout with 429', async () => {
  await withRegistry(async (reg) => {
    const heidi = reg.addUser('heidi');
    for (let i = 0; i < 4; i++) await login(reg, 'heidi', 'wrong password');
    const start = await (await fetch(`${reg.url}/-/v1/login`, { method: 'POST' })).json();
    const res = await fetch(start.loginUrl, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'heidi', password: heidi.password }).toString(),
    });
    assert.equal(res.status, 429);
    assert.match(res.headers.get('retry-after'), /^\d+$/);
    assert.match(res.headers.get('content-type'), /text\/html/);
    assert.match(await res.text(), /too many failed attempts; try again in \d+ seconds/);
  });
});

test('wrong one-time passwords on a 2FA account are throttled too', async () => {
  await withRegistry(async (reg) => {
    const ivan = reg.addUser('ivan');
    const token = (await login(reg, 'ivan', ivan.password)).body.token;
    const post = (body, headers = {}) => fetch(`${reg.url}/-/npm/v1/user`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify(body),
    });
    // Enable 2FA through the API as npm profile enable-2fa does.
    const started = await post({ tfa: { mode: 'auth-only', password: ivan.password } });
    assert.equal(started.status, 200);
    const url = (await started.json()).tfa;
    const secret = new URL(url).searchParams.get('secret');
    const code = (offset = 0) => {
      const now = new Date(Date.now() + offset * 1000).toISOString().replace('T', ' ').replace(/\..*/, ' UTC');
      return execFileSync('oathtool', ['--totp', '-b', '--now', now, secret], { encoding: 'utf8' }).trim();
    };
    const confirmed = await post({ tfa: [code()] });
    assert.equal(confirmed.status, 200, await confirmed.text());

    // A login with the right password and wrong codes: OTP challenges, then the lockout.
    const wrong = (code() === '000000') ? '111111' : '000000';
    for (let i = 0; i < 4; i++) {
      const r = await login(reg, 'ivan', ivan.password, { 'npm-otp': wrong });
      assert.equal(r.status, 401, JSON.stringify(r));
    }
    const locked = await login(reg, 'ivan', ivan.password, { 'npm-otp': code(30) });
    assertThrottled(locked);
    await sleep(Number(locked.retryAfter) * 1000);
    const ok = await login(reg, 'ivan', ivan.password, { 'npm-otp': code(30) });
    assert.equal(ok.status, 201, JSON.stringify(ok));
  });
});
