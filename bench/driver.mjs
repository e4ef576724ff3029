// Benchmark driver: logs in, seeds the read data set and measures publish latency against
// either registry with the very same requests (bench/README.md).
//
//   node driver.mjs login   URL USER PASSWORD             -> prints the token
//   node driver.mjs seed    URL TOKEN PACKAGE VERSIONS    -> prints JSON about the data set
//   node driver.mjs publish URL TOKEN PACKAGE COUNT       -> prints JSON latency stats
//   node driver.mjs parse-wrk FILE                        -> prints JSON of one wrk run
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';

// The size of the random file inside every tarball: with the package.json and index.js the
// gzip'd tarball comes to ~100 KB, and random bytes keep gzip from shrinking it.
const kPayloadBytes = 100 * 1024;

// Deterministic, incompressible bytes: SHA-512 in counter mode over a seed.
function pseudoRandom(seed, n) {
  const out = Buffer.alloc(n);
  for (let off = 0, i = 0; off < n; i++) {
    const block = createHash('sha512').update(`${seed}:${i}`).digest();
    off += block.copy(out, off);
  }
  return out;
}

// A minimal ustar writer: regular files only, names under 100 bytes.
function tarGz(files) {
  const blocks = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write('0000644\0', 100);  // mode
    h.write('0000000\0', 108);  // uid
    h.write('0000000\0', 116);  // gid
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('14524560000\0', 136);  // mtime: 1985-10-26, as npm pack sets it
    h.write('        ', 148);  // checksum placeholder
    h.write('0', 156);  // typeflag: regular file
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

// The package.json of one version: about 1 KB of the fields real packages carry, so that a
// 30-version packument has a realistic size (a few tens of KB).
function packageJson(name, version) {
  return {
    name,
    version,
    description: `Benchmark package ${name}, version ${version}: a stand-in for a small utility ` +
      'library with a handful of dependencies and the usual metadata.',
    keywords: ['benchmark', 'bulwark', 'registry', 'npm', 'fixture'],
    homepage: `https://example.com/${name}#readme`,
    bugs: { url: `https://example.com/${name}/issues` },
    repository: { type: 'git', url: `git+https://example.com/${name}.git` },
    license: 'MIT',
    author: 'Bench Author <bench@example.com>',
    main: 'index.js',
    bin: { [name]: 'index.js' },
    scripts: { test: 'node index.js', lint: 'eslint .' },
    dependencies: {
      'bench-dep-alpha': '^1.2.3',
      'bench-dep-beta': '~2.0.1',
      'bench-dep-gamma': '>=3.1.0 <4.0.0',
      'bench-dep-delta': '^0.4.2',
    },
    devDependencies: {
      'bench-dev-lint': '^9.0.0',
      'bench-dev-test': '^5.2.0',
      'bench-dev-types': '^20.11.0',
    },
    engines: { node: '>=18' },
  };
}

// The document `npm publish` sends for one new version, and its size.
function publishDocument(registry, name, version) {
  const pkg = packageJson(name, version);
  const tarball = tarGz({
    'package/package.json': JSON.stringify(pkg, null, 2) + '\n',
    'package/index.js': `#!/usr/bin/env node\nmodule.exports = ${JSON.stringify(`${name}@${version}`)};\n`,
    'package/README.md': `# ${name}\n\nA package the Bulwark benchmark publishes.\n`,
    'package/data.bin': pseudoRandom(`${name}@${version}`, kPayloadBytes),
  });
  const integrity = 'sha512-' + createHash('sha512').update(tarball).digest('base64');
  const shasum = createHash('sha1').update(tarball).digest('hex');
  const file = `${name}-${version}.tgz`;
  const manifest = {
    ...pkg,
    _id: `${name}@${version}`,
    readme: `# ${name}\n\nA package the Bulwark benchmark publishes.\n`,
    _nodeVersion: process.versions.node,
    _npmVersion: '11.19.1',
    dist: { integrity, shasum, tarball: `${registry}/${name}/-/${file}` },
  };
  const body = JSON.stringify({
    _id: name,
    name,
    description: pkg.description,
    'dist-tags': { latest: version },
    versions: { [version]: manifest },
    access: null,
    _attachments: {
      [file]: { content_type: 'application/octet-stream', data: tarball.toString('base64'),
        length: tarball.length },
    },
  });
  return { body, tarballBytes: tarball.length };
}

async function publish(registry, token, name, body) {
  const res = await fetch(`${registry}/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`,
      'npm-command': 'publish' },
    body,
  });
  const text = await res.text();
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(`PUT ${registry}/${name} -> ${res.status} ${text.slice(0, 500)}`);
  }
}

async function login(registry, user, password) {
  const res = await fetch(`${registry}/-/user/org.couchdb.user:${encodeURIComponent(user)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ _id: `org.couchdb.user:${user}`, name: user, password, type: 'user',
      roles: [], date: new Date().toISOString() }),
  });
  const text = await res.text();
  let json = {};
  try { json = JSON.parse(text); } catch { /* reported below */ }
  if (res.status !== 201 || !json.token) {
    throw new Error(`login ${user} -> ${res.status} ${text.slice(0, 500)}`);
  }
  return json.token;
}

function version(i) { return `1.0.${i}`; }

// Publishes VERSIONS versions of PACKAGE, then reads both packument forms and the latest
// tarball once, to check them and to tell run.sh what URL to load.
async function seed(registry, token, name, versions) {
  let tarballBytes = 0;
  for (let i = 0; i < versions; i++) {
    const doc = publishDocument(registry, name, version(i));
    tarballBytes = doc.tarballBytes;
    await publish(registry, token, name, doc.body);
  }
  const url = `${registry}/${encodeURIComponent(name)}`;
  const full = await fetch(url, { headers: { accept: 'application/json' } });
  const fullText = await full.text();
  if (full.status !== 200) throw new Error(`GET ${url} -> ${full.status} ${fullText.slice(0, 500)}`);
  const packument = JSON.parse(fullText);
  const count = Object.keys(packument.versions || {}).length;
  if (count !== versions) throw new Error(`GET ${url}: ${count} versions, expected ${versions}`);
  const latest = packument['dist-tags']?.latest;
  const tarballUrl = packument.versions?.[latest]?.dist?.tarball;
  if (!tarballUrl) throw new Error(`GET ${url}: no dist.tarball for latest ${latest}`);

  const abbr = await fetch(url, { headers: {
    accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' } });
  const abbrText = await abbr.text();
  if (abbr.status !== 200) throw new Error(`GET ${url} (abbreviated) -> ${abbr.status}`);

  const tgz = await fetch(tarballUrl, { headers: { accept: '*/*' } });
  const tgzBytes = Buffer.from(await tgz.arrayBuffer());
  if (tgz.status !== 200) throw new Error(`GET ${tarballUrl} -> ${tgz.status}`);
  if (tgzBytes.length !== tarballBytes) {
    throw new Error(`GET ${tarballUrl}: ${tgzBytes.length} bytes, published ${tarballBytes}`);
  }
  return {
    package: name,
    versions,
    packument_url: url,
    tarball_url: tarballUrl,
    full_bytes: Buffer.byteLength(fullText),
    full_content_type: full.headers.get('content-type'),
    abbreviated_bytes: Buffer.byteLength(abbrText),
    abbreviated_content_type: abbr.headers.get('content-type'),
    abbreviated_is_abbreviated: !('readme' in JSON.parse(abbrText)) &&
      (abbr.headers.get('content-type') || '').includes('vnd.npm.install-v1'),
    tarball_bytes: tgzBytes.length,
  };
}

function quantile(sorted, q) {
  // Nearest-rank: the smallest value with at least q of the samples at or below it.
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

// COUNT sequential publishes of new versions of PACKAGE; each document is built before its
// clock starts, so only the request (upload, server work, response) is timed.
async function publishLatency(registry, token, name, count) {
  const docs = [];
  for (let i = 0; i < count; i++) docs.push(publishDocument(registry, name, version(i)).body);
  const ms = [];
  for (const body of docs) {
    const t0 = performance.now();
    await publish(registry, token, name, body);
    ms.push(performance.now() - t0);
  }
  const sorted = [...ms].sort((a, b) => a - b);
  const round = (x) => Math.round(x * 1000) / 1000;
  return {
    package: name,
    count,
    body_bytes: Buffer.byteLength(docs[0]),
    median_ms: round(quantile(sorted, 0.5)),
    p99_ms: round(quantile(sorted, 0.99)),
    mean_ms: round(ms.reduce((a, b) => a + b, 0) / ms.length),
    min_ms: round(sorted[0]),
    max_ms: round(sorted[sorted.length - 1]),
    samples_ms: ms.map(round),
  };
}

// wrk's human units, to seconds / bytes.
function seconds(v) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(v);
  if (!m) return null;
  return Number(m[1]) * { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[m[2]];
}
function bytes(v) {
  const m = /^([\d.]+)(B|KB|MB|GB|TB)?$/.exec(v);
  if (!m) return null;
  return Number(m[1]) * 1024 ** ['B', 'KB', 'MB', 'GB', 'TB'].indexOf(m[2] || 'B');
}

function parseWrk(file) {
  const text = readFileSync(file, 'utf8');
  const num = (re) => { const m = re.exec(text); return m ? Number(m[1]) : 0; };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const tps = /Transfer\/sec:\s+(\S+)/.exec(text);
  const p50 = /^\s+50%\s+(\S+)/m.exec(text);
  const p99 = /^\s+99%\s+(\S+)/m.exec(text);
  const total = /(\d+) requests in ([\d.]+\w+), (\S+) read/.exec(text);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  if (!rps || !tps || !p99 || !total) throw new Error(`cannot parse wrk output ${file}:\n${text}`);
  return {
    requests: Number(total[1]),
    duration_s: seconds(total[2]),
    requests_per_s: Number(rps[1]),
    bytes_per_s: bytes(tps[1]),
    p50_ms: p50 ? seconds(p50[1]) * 1000 : null,
    p99_ms: seconds(p99[1]) * 1000,
    non_2xx_3xx: num(/Non-2xx or 3xx responses: (\d+)/),
    socket_errors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'login') {
    console.log(await login(args[0], args[1], args[2]));
  } else if (cmd === 'seed') {
    console.log(JSON.stringify(await seed(args[0], args[1], args[2], Number(args[3]))));
  } else if (cmd === 'publish') {
    console.log(JSON.stringify(await publishLatency(args[0], args[1], args[2], Number(args[3]))));
  } else if (cmd === 'parse-wrk') {
    console.log(JSON.stringify(parseWrk(args[0])));
  } else {
    throw new Error(`unknown command ${cmd}`);
  }
} catch (e) {
  console.error(`driver ${cmd}: ${e.message}`);
  process.exit(1);
}
