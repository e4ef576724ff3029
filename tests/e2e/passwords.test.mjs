// Breached passwords are refused at sign-up (docs/security.md §Breached passwords): by
// `bulwark user add`, by `npm adduser`, and after `bulwark passwords import` of HIBP lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, out } from './harness.mjs';

const sha1 = (s) => createHash('sha1').update(s).digest('hex').toUpperCase();
let reg;

before(async () => {
  reg = new Registry({ config: 'auth:\n  allow_registration: true\n' });
  await reg.start();
});
after(async () => { await reg.stop(); reg.cleanup(); });

test('user add refuses common passwords from the default list', () => {
  for (const pw of ['password123', 'qwertyuiop', '1234567890']) {
    const r = reg.cli(['user', 'add', 'dave', '--email', 'dave@example.com', '--password-stdin'],
      pw + '\n');
    assert.equal(r.status, 2, out(r));
    assert.match(r.stderr, /appears in a list of breached passwords; choose another/);
  }
  reg.addUser('dave', 'correct horse battery');  // Not in the list.
});

test('passwords check tells an admin whether a password is listed', () => {
  assert.equal(reg.cli(['passwords', 'check'], 'password123\n').status, 1);
  assert.equal(reg.cli(['passwords', 'check'], 'correct horse battery\n').status, 0);
});

test('npm adduser with a breached password is refused', () => {
  const c = new Client(reg);
  const r = c.npmTty(['adduser', '--auth-type=legacy'],
    [['Username:', 'erin'], ['Password:', 'password123'], ['Email[^:]*:', 'erin@example.com']]);
  assert.notEqual(r.status, 0, out(r));
  assert.match(r.stdout + r.stderr, /breached passwords/, out(r));
  c.cleanup();
});

test('an imported HIBP file refuses its passwords', () => {
  const file = join(reg.root, 'pwned.txt');
  const range = join(reg.root, sha1('range file passphrase').slice(0, 5) + '.txt');
  writeFileSync(file,
    `${sha1('my very own leaked secret')}:17\r\n${sha1('another leak 42')}:3\r\n`);
  writeFileSync(range, `${sha1('range file passphrase').slice(5)}:9\n`);
  const bad = join(reg.root, 'bad.txt');
  writeFileSync(bad, `${sha1('x')}:1\nnot a hash\n`);
  let r = reg.cli(['passwords', 'import', bad]);
  assert.equal(r.status, 2, out(r));
  assert.match(r.stderr, /bad\.txt: line 2:/);

  r = reg.cli(['passwords', 'import', file, range]);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /3 hashes/);
  for (const pw of ['my very own leaked secret', 'range file passphrase']) {
    const add = reg.cli(['user', 'add', 'frank', '--email', 'f@example.com', '--password-stdin'],
      pw + '\n');
    assert.equal(add.status, 2, out(add));
    assert.match(add.stderr, /breached passwords/);
  }
  reg.addUser('frank', 'a perfectly fine passphrase');
});
