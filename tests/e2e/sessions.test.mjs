// End-to-end: short-lived credentials (docs/tokens.md §Lifetime). `npm login` sessions expire
// after auth.login_token_hours (default 12), `npm token create` without --expires after
// auth.token_lifetime_days (default 7), write tokens at most auth.max_write_token_days, and an
// expired token gets a 401 whose notice, printed by npm, says to log in again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, makePackage, out, tempDir } from './harness.mjs';

let reg, alice, work;
const HOUR = 3600e3, DAY = 24 * HOUR;

before(async () => {
  reg = await new Registry().start();
  alice = reg.addUser('alice');
  work = tempDir('bulwark-sessions-');
});

after(async () => {
  await reg.stop();
  rmSync(work, { recursive: true, force: true });
  reg.cleanup();
});

async function tokens(token) {
  const res = await fetch(`${reg.url}/-/npm/v1/tokens`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  return (await res.json()).objects;
}

const life = (t) => Date.parse(t.expires) - Date.parse(t.created);

test('defaults: login sessions 12 h, npm token create 7 days, write tokens at most 90 days', async () => {
  const session = await reg.token(alice);  // npm login --auth-type=legacy
  const cli = new Client(reg, session);
  let list = await tokens(session);
  const login = list.find((t) => t.name === 'npm login');
  assert.ok(Math.abs(life(login) - 12 * HOUR) < 60e3, `login token lives ${life(login) / HOUR} h`);
  let r = cli.npm(['token', 'create', `--password=${alice.password}`, '--json']);
  assert.equal(r.status, 0, out(r));
  const created = JSON.parse(r.stdout);
  assert.ok(Math.abs(Date.parse(created.expires) - Date.now() - 7 * DAY) < 120e3, created.expires);
  r = cli.npm(['token', 'create', `--password=${alice.password}`, '--expires=91']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /publish \(read-write\) tokens may live at most 90 days/, out(r));
  // npm token list --json shows every token's expiry.
  r = cli.npm(['token', 'list', '--json']);
  assert.equal(r.status, 0, out(r));
  for (const t of JSON.parse(r.stdout)) assert.ok(Date.parse(t.expires) > Date.now(), JSON.stringify(t));
  cli.cleanup();
});

test('configurable: auth.login_token_hours and auth.token_lifetime_days', async () => {
  const other = await new Registry({ config: 'auth:\n  login_token_hours: 2\n  token_lifetime_days: 3\n' }).start();
  try {
    const bob = other.addUser('bob');
    const session = await other.token(bob);
    const res = await fetch(`${other.url}/-/npm/v1/tokens`, { headers: { authorization: `Bearer ${session}` } });
    const [login] = (await res.json()).objects;
    assert.ok(Math.abs(life(login) - 2 * HOUR) < 60e3, `${life(login) / HOUR} h`);
    const mint = await fetch(`${other.url}/-/npm/v1/tokens`, { method: 'POST',
      headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: bob.password }) });
    const t = await mint.json();
    assert.ok(Math.abs(Date.parse(t.expires) - Date.now() - 3 * DAY) < 120e3, t.expires);
  } finally {
    await other.stop();
    other.cleanup();
  }
});

test('an expired session token: npm says to log in again', async () => {
  const session = await reg.token(alice);
  const cli = new Client(reg, session);
  let r = cli.npm(['publish'], { cwd: makePackage(join(work, 'p1'), { name: 'sess-pkg', version: '1.0.0' }) });
  assert.equal(r.status, 0, out(r));
  const [t] = (await tokens(session)).filter((x) => session.startsWith(x.token));
  // Time passing, in one step: the session's expiry moves into the past.
  execFileSync('sqlite3', [join(reg.dataDir, 'bulwark.sqlite3'),
    `UPDATE tokens SET expires=${(Date.now() - 60e3) * 1000} WHERE key='${t.key}'`]);
  r = cli.npm(['publish'], { cwd: makePackage(join(work, 'p2'), { name: 'sess-pkg', version: '1.0.1' }) });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /E401/, out(r));
  assert.match(r.stderr, /npm notice Access token expired or revoked \(it expired .*\)\. Please try logging in again: npm login/, out(r));
  r = cli.npm(['whoami']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /Please try logging in again: npm login/, out(r));
  cli.cleanup();
});
