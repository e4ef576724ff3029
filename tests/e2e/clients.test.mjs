// End-to-end with pnpm and yarn berry (both pinned in tests/package.json) against a real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, makePackage, out, tempDir, pnpmBin, yarnBin } from './harness.mjs';

let reg, token, cli, work;

before(async () => {
  reg = await new Registry().start();
  token = await reg.token(reg.addUser('alice'));
  cli = new Client(reg, token);
  work = tempDir('bulwark-clients-');
  const dir = makePackage(join(work, 'lib'), { name: '@acme/lib', version: '1.2.3', main: 'index.js',
    dependencies: { 'plain-dep': '^2.0.0' } });
  const dep = makePackage(join(work, 'dep'), { name: 'plain-dep', version: '2.1.0' });
  for (const d of [dep, dir]) {
    const r = cli.npm(['publish', '--access', 'public'], { cwd: d });
    assert.equal(r.status, 0, out(r));
  }
});

after(async () => { await reg.stop(); cli.cleanup(); reg.cleanup(); });

test('pnpm install resolves scoped and unscoped packages (abbreviated metadata)', () => {
  const app = makePackage(join(work, 'pnpm-app'), { name: 'pnpm-app', version: '0.0.0', private: true,
    dependencies: { '@acme/lib': '^1.0.0' } });
  const r = cli.run(pnpmBin, ['install', '--registry', reg.url + '/', '--store-dir', join(work, 'pnpm-store')], { cwd: app });
  assert.equal(r.status, 0, out(r));
  const lib = JSON.parse(readFileSync(join(app, 'node_modules/@acme/lib/package.json')));
  assert.equal(lib.version, '1.2.3');
  const lock = readFileSync(join(app, 'pnpm-lock.yaml'), 'utf8');
  assert.match(lock, /plain-dep@2\.1\.0/);
  assert.match(lock, /integrity: sha512-/);
});

test('pnpm publish', async () => {
  const dir = makePackage(join(work, 'pnpm-pub'), { name: 'from-pnpm', version: '0.1.0' });
  const r = cli.run(pnpmBin, ['publish', '--no-git-checks', '--registry', reg.url + '/'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  const doc = await (await fetch(`${reg.url}/from-pnpm`)).json();
  assert.equal(doc['dist-tags'].latest, '0.1.0');
  assert.equal(doc.versions['0.1.0']._npmUser.name, 'alice');
});

function yarnrc(dir) {
  const host = reg.url.replace(/^http:/, '');
  writeFileSync(join(dir, '.yarnrc.yml'), [
    `npmRegistryServer: "${reg.url}"`,
    'unsafeHttpWhitelist: ["127.0.0.1"]',
    `npmAuthToken: "${token}"`,
    'npmAlwaysAuth: true',
    'nodeLinker: node-modules',
    'enableTelemetry: false',
    'enableGlobalCache: false',
    // Yarn 4.10+ holds back versions younger than this gate; ours were published seconds ago.
    'npmMinimalAgeGate: 0',
    '',
  ].join('\n'));
}

test('yarn (berry) install', () => {
  const app = makePackage(join(work, 'yarn-app'), { name: 'yarn-app', version: '0.0.0', private: true,
    dependencies: { '@acme/lib': '^1.2.0' } });
  writeFileSync(join(app, 'yarn.lock'), '');
  yarnrc(app);
  const r = cli.run(process.execPath, [yarnBin, 'install'], { cwd: app, env: { YARN_ENABLE_IMMUTABLE_INSTALLS: 'false' } });
  assert.equal(r.status, 0, out(r));
  const lib = JSON.parse(readFileSync(join(app, 'node_modules/@acme/lib/package.json')));
  assert.equal(lib.version, '1.2.3');
  assert.match(readFileSync(join(app, 'yarn.lock'), 'utf8'), /"plain-dep@npm:\^2\.0\.0"/);
});

test('yarn npm publish', async () => {
  const dir = makePackage(join(work, 'yarn-pub'), { name: 'from-yarn', version: '3.0.0' });
  writeFileSync(join(dir, 'yarn.lock'), '');
  yarnrc(dir);
  const env = { YARN_ENABLE_IMMUTABLE_INSTALLS: 'false' };
  const install = cli.run(process.execPath, [yarnBin, 'install'], { cwd: dir, env });
  assert.equal(install.status, 0, out(install));
  const r = cli.run(process.execPath, [yarnBin, 'npm', 'publish'], { cwd: dir, env });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /Package archive published/);
  const doc = await (await fetch(`${reg.url}/from-yarn`)).json();
  assert.equal(doc['dist-tags'].latest, '3.0.0');
});
