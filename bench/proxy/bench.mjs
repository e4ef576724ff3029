// See run.sh. Two `bulwark serve` processes on loopback: the upstream (the public registry's
// stand-in) and the proxy, which also holds local packages of the same shape. Requests are
// sequential over one keep-alive connection, so the numbers are latencies, not throughput.
import { Registry, publishBody, putJson, tarGz } from '../../tests/e2e/harness.mjs';

const N = Number(process.argv[2] || 40);
const READS = Number(process.argv[3] || 3000);

function manifest(name) {
  return { name, version: '1.0.0', description: `bench package ${name}`,
    dependencies: { 'dep-x': '^1.0.0', 'dep-y': '~2.1.0' }, license: 'MIT' };
}

async function publishAll(reg, token, names) {
  for (const name of names) {
    const m = manifest(name);
    const tgz = tarGz({ 'package/package.json': JSON.stringify(m), 'package/index.js': 'module.exports = 1;\n'.repeat(50) });
    const r = await putJson(`${reg.url}/${name}`, publishBody(m, tgz), token);
    if (r.status !== 201) throw new Error(`publish ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
}

async function time(url, headers = {}) {
  const t0 = process.hrtime.bigint();
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const pick = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: pick(0.5), p99: pick(0.99) };
}

const fmt = (x) => `${x.mean.toFixed(3)} ms mean, p50 ${x.p50.toFixed(3)}, p99 ${x.p99.toFixed(3)}`;

const upstream = await new Registry({ config: 'scanning:\n  enabled: false\ntyposquat:\n  enabled: false\nlog_level: warning\n' }).start();
upstream.addUser('bench');
const upToken = await upstream.token({ name: 'bench', password: 'correct horse battery' });
const upNames = Array.from({ length: 2 * N }, (_, i) => `up-pkg-${i}`);
await publishAll(upstream, upToken, upNames);

const proxy = await new Registry({ config: `uplinks:\n  up:\n    url: ${upstream.url}\n    max_age_seconds: 600\npackages:\n  '**':\n    proxy: up\nscanning:\n  enabled: false\nlog_level: warning\n` }).start();
proxy.addUser('bench');
const pxToken = await proxy.token({ name: 'bench', password: 'correct horse battery' });
const localNames = Array.from({ length: N }, (_, i) => `local-pkg-${i}`);
await publishAll(proxy, pxToken, localNames);

try {
  // 1. First fetch through the proxy vs the upstream's own answer to the same request.
  const cold = upNames.slice(N);
  const upOwn = [], first = [], upTgz = [], firstTgz = [];
  for (const name of cold) {
    await time(`${upstream.url}/${name}`);  // The upstream renders once; then measure it warm.
    upOwn.push(await time(`${upstream.url}/${name}`, { accept: 'application/json' }));
    first.push(await time(`${proxy.url}/${name}`, { accept: 'application/json' }));
    upTgz.push(await time(`${upstream.url}/${name}/-/${name}-1.0.0.tgz`));
    firstTgz.push(await time(`${proxy.url}/${name}/-/${name}-1.0.0.tgz`));
  }
  // 2. Cached proxied reads vs local reads, interleaved so both see the same machine load.
  const warm = upNames.slice(0, N);
  for (const name of warm) await time(`${proxy.url}/${name}`);
  const corgi = { accept: 'application/vnd.npm.install-v1+json', 'accept-encoding': 'gzip' };
  const proxied = [], local = [];
  for (let i = 0; i < READS; ++i) {
    local.push(await time(`${proxy.url}/${localNames[i % N]}`, corgi));
    proxied.push(await time(`${proxy.url}/${warm[i % N]}`, corgi));
  }
  const L = stats(local), P = stats(proxied);
  const U = stats(upOwn), F = stats(first), UT = stats(upTgz), FT = stats(firstTgz);
  console.log(`proxy benchmark: ${N} packages per set, ${READS} reads each, loopback`);
  console.log(`  local packument reads          ${fmt(L)}`);
  console.log(`  cached proxied packument reads ${fmt(P)}`);
  console.log(`  ratio proxied/local (p50)      ${(P.p50 / L.p50).toFixed(2)}  (target ~1.0)`);
  console.log(`  upstream's own packument       ${fmt(U)}`);
  console.log(`  first fetch through the proxy  ${fmt(F)}`);
  console.log(`  added by the proxy (p50)       ${(F.p50 - U.p50).toFixed(3)} ms  (target <= 5 ms)`);
  console.log(`  upstream's own tarball         ${fmt(UT)}`);
  console.log(`  first tarball via the proxy    ${fmt(FT)}  (fetch + sha512 verify + store)`);
  console.log(`  added by the proxy (p50)       ${(FT.p50 - UT.p50).toFixed(3)} ms`);
} finally {
  await proxy.stop();
  await upstream.stop();
  proxy.cleanup();
  upstream.cleanup();
}
