// End-to-end: registry signatures and `npm audit signatures` (docs/signatures.md).
//
// npm first asks the Sigstore TUF repository for a registry's keys and reads /-/npm/v1/keys only
// when that repository has no target for the registry. The test is hermetic: it re-runs itself
// inside new network and mount namespaces (unshare; we are root), where
//  - only loopback exists,
//  - /etc/hosts (bind-mounted) maps the TUF mirror's host name, read from npm's own bundled
//    @sigstore/tuf at run time, to 127.0.0.1,
//  - a TLS server on 127.0.0.1:443 with a certificate from a CA made here (trusted by npm through
//    NODE_EXTRA_CA_CERTS) serves a TUF repository made here: root, timestamp, snapshot and an
//    empty targets role, signed with an ed25519 key made here, built with the @tufjs/models
//    npm bundles,
//  - that root.json is put in each client's TUF cache (<npm cache>/_tuf/<host>/root.json), so
//    npm trusts it instead of its built-in seed.
// npm then finds no target for the Bulwark registry and falls back to /-/npm/v1/keys, as it
// does against any registry other than npmjs.
import { spawn, spawnSync } from 'node:child_process';

if (!process.env.BULWARK_SIGNATURES_NETNS) {
  const r = spawnSync('unshare', ['--net', '--mount', '--', process.execPath, ...process.execArgv,
    ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, BULWARK_SIGNATURES_NETNS: '1' },
  });
  if (r.error) throw r.error;
  process.exit(r.status ?? 1);
}

const { test, before, after } = await import('node:test');
const { default: assert } = await import('node:assert/strict');
const fs = await import('node:fs');
const { join, dirname } = await import('node:path');
const { createRequire } = await import('node:module');
const crypto = await import('node:crypto');
const http = await import('node:http');
const https = await import('node:https');
const { Registry, Client, makePackage, out, tempDir, testsDir, bin } = await import('./harness.mjs');

const npmDir = join(testsDir, 'node_modules', 'npm');

let work, tuf, reg, alice, publisher;
const clients = [];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// --- The TUF side: host name from npm's sources, CA, certificate, repository, TLS server.

function tufMirror() {
  // The copy of @sigstore/tuf that npm itself loads, and the @tufjs/models that copy uses.
  const fromNpm = createRequire(join(npmDir, 'lib', 'utils', 'verify-signatures.js'));
  const sigstoreTuf = fromNpm('@sigstore/tuf');
  const models = createRequire(fromNpm.resolve('@sigstore/tuf'))('@tufjs/models');
  const url = new URL(sigstoreTuf.DEFAULT_MIRROR_URL);
  assert.equal(url.protocol, 'https:');
  assert.equal(url.port, '');
  return { url: sigstoreTuf.DEFAULT_MIRROR_URL, host: url.hostname, models };
}

function makeCertificates(dir, host) {
  const ca = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=Bulwark test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  const key = join(dir, 'tuf.key');
  const csr = join(dir, 'tuf.csr');
  const cert = join(dir, 'tuf.crt');
  const ext = join(dir, 'tuf.ext');
  fs.writeFileSync(ext, `subjectAltName=DNS:${host}\nbasicConstraints=CA:FALSE\n` +
    'extendedKeyUsage=serverAuth\n');
  run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', csr, '-subj', `/CN=${host}`]);
  run('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial',
    '-out', cert, '-days', '2', '-extfile', ext]);
  return { ca, key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

// A TUF repository with one ed25519 key for all four top-level roles and no targets.
function makeTufRepository(models, dir) {
  const { Metadata, Root, Timestamp, Snapshot, Targets, Key, MetaFile, Signature } = models;
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const keyID = crypto.createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  const key = new Key({ keyID, keyType: 'ed25519', scheme: 'ed25519',
    keyVal: { public: publicKey.export({ type: 'spki', format: 'pem' }) } });
  const expires = new Date(Date.now() + 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
  const root = new Root({ version: 1, expires, consistentSnapshot: true });
  for (const role of ['root', 'timestamp', 'snapshot', 'targets']) root.addKey(key, role);
  const signed = (body) => {
    const m = new Metadata(body);
    m.sign((bytes) => new Signature({ keyID, sig: crypto.sign(null, bytes, privateKey).toString('hex') }));
    return JSON.stringify(m.toJSON());
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(join(dir, '1.root.json'), signed(root));
  fs.writeFileSync(join(dir, '1.targets.json'), signed(new Targets({ version: 1, expires })));
  fs.writeFileSync(join(dir, '1.snapshot.json'), signed(new Snapshot({ version: 1, expires,
    meta: { 'targets.json': new MetaFile({ version: 1 }) } })));
  fs.writeFileSync(join(dir, 'timestamp.json'), signed(new Timestamp({ version: 1, expires,
    snapshotMeta: new MetaFile({ version: 1 }) })));
  return join(dir, '1.root.json');
}

async function startTuf() {
  // Loopback only, and the mirror's name on it.
  run('ip', ['link', 'set', 'lo', 'up']);
  const { host, url, models } = tufMirror();
  const dir = join(work, 'tuf');
  fs.mkdirSync(dir);
  const hosts = join(dir, 'hosts');
  fs.writeFileSync(hosts, `127.0.0.1 localhost\n::1 localhost\n127.0.0.1 ${host}\n`);
  run('mount', ['--bind', hosts, '/etc/hosts']);
  const certs = makeCertificates(dir, host);
  const repo = join(dir, 'repo');
  const root = makeTufRepository(models, repo);
  const requests = [];
  const server = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    requests.push(req.url);
    const file = join(repo, decodeURIComponent(new URL(req.url, 'https://x').pathname).slice(1));
    if (dirname(file) !== repo || !fs.existsSync(file)) {
      res.writeHead(404).end();  // e.g. 2.root.json: the trusted root is the newest.
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(fs.readFileSync(file));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(443, '127.0.0.1', resolve);
  });
  return { host, url, root, ca: certs.ca, requests, server };
}

// --- Clients that trust the test's TUF repository.

class SigClient extends Client {
  constructor(registry, token) {
    super(registry, token);
    clients.push(this);
    // npm's TUF cache: <cache>/_tuf/<encodeURIComponent(host + path)>/root.json (@sigstore/tuf
    // client.js); a root there is used instead of npm's built-in seed.
    const cacheDir = join(this.home, 'cache', '_tuf', encodeURIComponent(tuf.host));
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.copyFileSync(tuf.root, join(cacheDir, 'root.json'));
  }

  env(extra = {}) {
    return super.env({ NODE_EXTRA_CA_CERTS: tuf.ca, ...extra });
  }

  // Like Client.npm, but without blocking this process: the TUF server and the tampering
  // proxies run on its event loop.
  npmAsync(args, { cwd = this.home } = {}) {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(npmDir, 'bin', 'npm-cli.js'), ...args],
        { cwd, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      const timer = setTimeout(() => child.kill('SIGKILL'), 120000);
      child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
    });
  }
}

async function project(name, deps, client) {
  const dir = join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', private: true, dependencies: deps }, null, 2));
  const r = await client.npmAsync(['install'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
  return dir;
}

function auditSignatures(client, dir, json = false) {
  return client.npmAsync(['audit', 'signatures', ...(json ? ['--json'] : [])], { cwd: dir });
}

async function getJson(url, accept = 'application/json') {
  const res = await fetch(url, { headers: { accept } });
  assert.equal(res.status, 200, url);
  return res.json();
}

function verifyNpmSignature(keys, name, version, dist) {
  assert.ok(Array.isArray(dist.signatures) && dist.signatures.length === 1,
    JSON.stringify(dist));
  const { keyid, sig } = dist.signatures[0];
  const key = keys.find((k) => k.keyid === keyid);
  assert.ok(key, `no key ${keyid}`);
  const pem = `-----BEGIN PUBLIC KEY-----\n${key.key}\n-----END PUBLIC KEY-----`;
  return crypto.verify('sha256', Buffer.from(`${name}@${version}:${dist.integrity}`), pem,
    Buffer.from(sig, 'base64'));
}

async function publish(dir) {
  const r = await publisher.npmAsync(['publish'], { cwd: dir });
  assert.equal(r.status, 0, out(r));
}

before(async () => {
  work = tempDir('bulwark-signatures-');
  tuf = await startTuf();
  reg = new Registry();
  await reg.start();
  alice = reg.addUser('alice');
  publisher = new SigClient(reg, await reg.token(alice));
  await publish(makePackage(join(work, 'sig-a'), { name: 'sig-a', version: '1.0.0' }));
  await publish(makePackage(join(work, 'sig-b'), { name: '@sigtest/b', version: '1.0.0' }));
});

after(async () => {
  if (reg) { await reg.stop(); reg.cleanup(); }
  if (tuf) tuf.server.close();
  for (const c of clients) c.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the signing key is created at first start, private, outside the database', () => {
  const dir = join(reg.dataDir, 'keys', 'signing');
  const manifest = JSON.parse(fs.readFileSync(join(dir, 'keys.json'), 'utf8'));
  assert.equal(manifest.keys.length, 1);
  assert.equal(manifest.keys[0].expires, null);
  const pem = fs.readFileSync(join(dir, manifest.keys[0].file), 'utf8');
  assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.equal(fs.statSync(join(dir, manifest.keys[0].file)).mode & 0o777, 0o600);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  const key = crypto.createPrivateKey(pem);
  assert.equal(key.asymmetricKeyDetails.namedCurve, 'prime256v1');
  // The private key is not in the database.
  const db = fs.readFileSync(join(reg.dataDir, 'bulwark.sqlite3'));
  const der = key.export({ type: 'pkcs8', format: 'der' });
  assert.equal(db.indexOf(der.subarray(der.length - 32)), -1);
});

test('/-/npm/v1/keys publishes the key and packuments carry verifiable signatures', async () => {
  const { keys } = await getJson(`${reg.url}/-/npm/v1/keys`);
  assert.equal(keys.length, 1);
  const [k] = keys;
  assert.deepEqual(Object.keys(k).sort(), ['expires', 'key', 'keyid', 'keytype', 'scheme']);
  assert.equal(k.expires, null);
  assert.equal(k.keytype, 'ecdsa-sha2-nistp256');
  assert.equal(k.scheme, 'ecdsa-sha2-nistp256');
  const der = Buffer.from(k.key, 'base64');
  const pub = crypto.createPublicKey({ key: der, format: 'der', type: 'spki' });
  assert.equal(pub.asymmetricKeyDetails.namedCurve, 'prime256v1');
  assert.equal(k.keyid, 'SHA256:' +
    crypto.createHash('sha256').update(der).digest('base64').replace(/=+$/, ''));
  for (const name of ['sig-a', '@sigtest/b']) {
    const path = `${reg.url}/${name.replace('/', '%2f')}`;
    const full = await getJson(path);
    const corgi = await getJson(path, 'application/vnd.npm.install-v1+json');
    for (const doc of [full, corgi]) {
      const dist = doc.versions['1.0.0'].dist;
      assert.ok(verifyNpmSignature(keys, name, '1.0.0', dist), `${name} signature`);
      assert.equal(verifyNpmSignature(keys, name, '1.0.1', dist), false);
    }
    assert.deepEqual(corgi.versions['1.0.0'].dist.signatures, full.versions['1.0.0'].dist.signatures);
  }
});

test('npm audit signatures passes for a project installed from Bulwark', async () => {
  const client = new SigClient(reg);
  const dir = await project('consumer', { 'sig-a': '^1.0.0', '@sigtest/b': '^1.0.0' }, client);
  const r = await auditSignatures(client, dir);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /audited 2 packages/);
  assert.match(r.stdout, /2 packages have verified registry signatures/);
  // npm went through the TUF repository, found no keys there for Bulwark, then asked Bulwark.
  assert.match(r.stderr, /Fetching verification keys using TUF failed\.\s+Fetching directly from http:\/\/127\.0\.0\.1/);
  assert.ok(tuf.requests.includes('/timestamp.json'), JSON.stringify(tuf.requests));
  assert.ok(tuf.requests.includes('/1.targets.json'), JSON.stringify(tuf.requests));
  const j = await auditSignatures(client, dir, true);
  assert.equal(j.status, 0, out(j));
  assert.deepEqual(JSON.parse(j.stdout), { invalid: [], missing: [] });
});

// A proxy between npm and Bulwark that changes what Bulwark sends. `mode`:
//  'tarball': serves other bytes for sig-a@1.0.0 and rewrites the packument's integrity and
//             shasum to match them, so the install itself succeeds (a consistent tamper);
//  'strip':   removes dist.signatures from sig-a's packument (a downgrade).
async function startProxy(mode, tampered) {
  const upstream = new URL(reg.url);
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers };
    delete headers['accept-encoding'];
    delete headers['if-none-match'];
    const up = http.request({ host: upstream.hostname, port: upstream.port, path: req.url,
      method: req.method, headers }, (upRes) => {
      const chunks = [];
      upRes.on('data', (c) => chunks.push(c));
      upRes.on('end', () => {
        let body = Buffer.concat(chunks);
        const h = { ...upRes.headers };
        delete h.etag;
        if (req.url === '/sig-a' && upRes.statusCode === 200) {
          const doc = JSON.parse(body);
          const dist = doc.versions['1.0.0'].dist;
          if (mode === 'tarball') {
            dist.integrity = tampered.integrity;
            dist.shasum = tampered.shasum;
          } else {
            delete dist.signatures;
          }
          body = Buffer.from(JSON.stringify(doc));
        } else if (mode === 'tarball' && req.url === '/sig-a/-/sig-a-1.0.0.tgz') {
          body = tampered.bytes;
        }
        h['content-length'] = String(body.length);
        res.writeHead(upRes.statusCode, h).end(body);
      });
    });
    up.on('error', (e) => res.writeHead(502).end(String(e)));
    req.pipe(up);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { server, url, registry: { url } };
}

test('npm audit signatures fails for a tampered tarball', async () => {
  // The attacker's sig-a@1.0.0: same name and version, other code.
  const evil = makePackage(join(work, 'sig-a-evil'), { name: 'sig-a', version: '1.0.0' },
    { 'index.js': 'module.exports = "tampered";\n' });
  const packed = await publisher.npmAsync(['pack', '--json', '--pack-destination', work], { cwd: evil });
  assert.equal(packed.status, 0, out(packed));
  const bytes = fs.readFileSync(join(work, JSON.parse(packed.stdout)[0].filename));
  const tampered = {
    bytes,
    integrity: 'sha512-' + crypto.createHash('sha512').update(bytes).digest('base64'),
    shasum: crypto.createHash('sha1').update(bytes).digest('hex'),
  };
  const proxy = await startProxy('tarball', tampered);
  try {
    const client = new SigClient(proxy.registry);
    const dir = await project('victim', { 'sig-a': '1.0.0', '@sigtest/b': '1.0.0' }, client);
    // The install accepted the tampered tarball: only the signature can tell.
    assert.equal(fs.readFileSync(join(dir, 'node_modules', 'sig-a', 'index.js'), 'utf8'),
      'module.exports = "tampered";\n');
    const r = await auditSignatures(client, dir);
    assert.equal(r.status, 1, out(r));
    assert.match(r.stdout, /1 package has a verified registry signature/);
    assert.match(r.stdout, /1 package has an invalid registry signature/);
    assert.match(r.stdout, /sig-a@1\.0\.0/);
    assert.match(r.stdout, /Someone might have tampered with this package/);
    const j = await auditSignatures(client, dir, true);
    assert.equal(j.status, 1, out(j));
    const report = JSON.parse(j.stdout);
    assert.equal(report.invalid.length, 1);
    assert.equal(report.invalid[0].name, 'sig-a');
    assert.equal(report.invalid[0].code, 'EINTEGRITYSIGNATURE');
    assert.equal(report.invalid[0].integrity, tampered.integrity);
  } finally {
    proxy.server.close();
  }
});

test('npm audit signatures fails for a packument whose signature was removed', async () => {
  const proxy = await startProxy('strip');
  try {
    const client = new SigClient(proxy.registry);
    const dir = await project('stripped', { 'sig-a': '1.0.0', '@sigtest/b': '1.0.0' }, client);
    const r = await auditSignatures(client, dir, true);
    assert.equal(r.status, 1, out(r));
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.invalid, []);
    assert.deepEqual(report.missing.map((m) => `${m.name}@${m.version}`), ['sig-a@1.0.0']);
  } finally {
    proxy.server.close();
  }
});

test('versions stored before signing are signed at start-up; an altered record fails', async () => {
  const client = new SigClient(reg);
  const dir = await project('migrated', { 'sig-a': '1.0.0', '@sigtest/b': '1.0.0' }, client);
  await reg.stop();
  const db = join(reg.dataDir, 'bulwark.sqlite3');
  // As a database from before registry signatures: no signatures on sig-a.
  run('sqlite3', [db, "UPDATE versions SET signatures='{}' WHERE package='sig-a'"]);
  let v = reg.cli(['keys', 'verify']);
  assert.equal(v.status, 1, out(v));
  assert.match(v.stdout, /sig-a@1\.0\.0: missing/);

  // A copy of the data directory whose stored integrity was altered (the signature kept).
  const altered = join(work, 'altered-data');
  run('cp', ['-a', reg.dataDir, altered]);
  const other = crypto.createHash('sha512').update('other bytes').digest('base64');
  run('sqlite3', [join(altered, 'bulwark.sqlite3'),
    `UPDATE versions SET integrity='sha512-${other}' WHERE package='@sigtest/b'`]);

  await reg.start();
  publisher.setToken(publisher.token);  // The restarted server has another port.
  for (let i = 0; i < 50 && !/signed 1 versions/.test(reg.stderr); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(reg.stderr, /signed 1 versions published before signing/);
  v = reg.cli(['keys', 'verify']);
  assert.equal(v.status, 0, out(v));
  assert.match(v.stdout, /checked 2 versions of 2 packages: 0 problems/);
  const r = await auditSignatures(client, dir);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /2 packages have verified registry signatures/);

  const bad = new Registry({ dataDir: altered });
  await bad.start();
  try {
    const badClient = new SigClient(bad);
    const j = await auditSignatures(badClient, dir, true);
    assert.equal(j.status, 1, out(j));
    const report = JSON.parse(j.stdout);
    assert.deepEqual(report.invalid.map((i) => [i.name, i.code]),
      [['@sigtest/b', 'EINTEGRITYSIGNATURE']]);
    assert.equal(report.invalid[0].integrity, `sha512-${other}`);
  } finally {
    await bad.stop();
    bad.cleanup();
  }
});

test('key rotation: new versions use the new key, old signatures stay valid', async () => {
  const before = (await getJson(`${reg.url}/-/npm/v1/keys`)).keys;
  assert.equal(before.length, 1);
  const rot = reg.cli(['keys', 'rotate']);
  assert.equal(rot.status, 0, out(rot));
  assert.match(rot.stdout, /new active key SHA256:/);
  // The running server picks the new key up without a restart.
  await publish(makePackage(join(work, 'sig-a-1.1'), { name: 'sig-a', version: '1.1.0' }));
  const { keys } = await getJson(`${reg.url}/-/npm/v1/keys`);
  assert.equal(keys.length, 2);
  assert.equal(keys[0].keyid, before[0].keyid);
  assert.ok(keys[0].expires && Date.parse(keys[0].expires) > Date.now() - 60e3, keys[0].expires);
  assert.equal(keys[1].expires, null);
  const a = await getJson(`${reg.url}/sig-a`);
  assert.equal(a.versions['1.1.0'].dist.signatures[0].keyid, keys[1].keyid);
  assert.equal(a.versions['1.0.0'].dist.signatures[0].keyid, keys[0].keyid);
  assert.ok(Date.parse(a.time['1.0.0']) < Date.parse(keys[0].expires));
  const list = reg.cli(['keys', 'list']);
  assert.equal(list.status, 0, out(list));
  assert.match(list.stdout, new RegExp(`${keys[0].keyid.replace(/[+/]/g, '\\$&')}.*expires`));
  assert.match(list.stdout, new RegExp(`${keys[1].keyid.replace(/[+/]/g, '\\$&')}.*active`));

  // One project with a version signed by each key.
  const client = new SigClient(reg);
  const dir = await project('rotated', { 'sig-a': '1.1.0', '@sigtest/b': '1.0.0' }, client);
  const r = await auditSignatures(client, dir);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /2 packages have verified registry signatures/);
});

test('the server refuses to start with a signing key others can read', async () => {
  const dir = join(reg.dataDir, 'keys', 'signing');
  const { keys } = JSON.parse(fs.readFileSync(join(dir, 'keys.json'), 'utf8'));
  const file = join(dir, keys[0].file);
  await reg.stop();
  fs.chmodSync(file, 0o644);
  const serve = () => spawnSync(bin, ['serve', '--config', reg.configPath, '--data', reg.dataDir,
    '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 20000 });
  const r = serve();
  assert.equal(r.status, 2, out(r));
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim(), `bulwark: signing key ${file} is accessible by group or ` +
    `others (mode 0644); run: chmod 600 ${file}`);
  fs.chmodSync(file, 0o600);
  await reg.start();
  const res = await fetch(`${reg.url}/-/npm/v1/keys`);
  assert.equal(res.status, 200);
});
