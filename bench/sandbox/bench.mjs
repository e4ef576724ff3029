// Driven by run.sh: picks N cached tarballs without dependencies, runs each in the sandbox and
// with a plain npm install, and prints the comparison.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [bin, cache, nText] = process.argv.slice(2);
const n = Number(nText);
const index = readFileSync(join(cache, 'index.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));

function manifest(tgz) {
  const r = spawnSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' });
  try { return JSON.parse(r.stdout); } catch { return null; }
}

// N packages without dependencies, plus every cached package with an install script (their
// dependencies fail to resolve offline unless optional, as esbuild's platform binaries are:
// those are the real "binary fetcher failing offline" cases).
const picked = [];
let plainCount = 0;
for (const [name, file] of index) {
  const tgz = join(cache, 'tarballs', file);
  const m = manifest(tgz);
  if (!m) continue;
  const scripts = Object.keys(m.scripts || {}).filter((s) => /^(pre|post)?install$/.test(s));
  const deps = Object.keys(m.dependencies || {}).length + Object.keys(m.optionalDependencies || {}).length +
      Object.keys(m.peerDependencies || {}).length;
  if (scripts.length) picked.push({ name, tgz, scripts });
  else if (!deps && plainCount < n) { picked.push({ name, tgz, scripts }); plainCount++; }
}

const home = mkdtempSync(join(tmpdir(), 'bulwark-sandbox-bench-'));
writeFileSync(join(home, '.npmrc'), '');
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_config_'))),
  HOME: home, npm_config_cache: join(home, 'npm-cache'), npm_config_userconfig: join(home, '.npmrc'),
  npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false',
  npm_config_registry: 'http://127.0.0.1:9/',
};

function plain(tgz) {
  const dir = mkdtempSync(join(home, 'p-'));
  writeFileSync(join(dir, 'package.json'), '{"name":"p","version":"1.0.0","private":true}');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('npm', ['install', '--ignore-scripts', '--no-package-lock', tgz], { cwd: dir, env, encoding: 'utf8', timeout: 120000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  rmSync(dir, { recursive: true, force: true });
  return { ms, ok: r.status === 0 };
}

const rows = [];
const wall0 = Date.now();
let sandboxTotal = 0;
for (const p of picked) {
  const base = plain(p.tgz);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(bin, ['sandbox', 'run', '--json', '--timeout', '60', p.tgz], { encoding: 'utf8', timeout: 180000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  sandboxTotal += ms;
  let report = null;
  try { report = JSON.parse(r.stdout); } catch { /* error */ }
  rows.push({ name: p.name, scripts: p.scripts, plain: base.ms, sandbox: ms, verdict: report ? report.verdict : 'error',
              findings: report ? report.findings.map((f) => `${f.rule}(${f.severity}): ${f.summary}`) : [String(r.stderr).slice(0, 200)] });
}
const wall = (Date.now() - wall0) / 1000;
rmSync(home, { recursive: true, force: true });

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : 0; };
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
// Overhead over the dependency-free packages (packages whose dependencies fail to resolve
// offline spend their time in npm's retries, in both runs).
const simple = rows.filter((r) => !r.scripts.length);
const over = simple.map((r) => r.sandbox - r.plain);
const flagged = rows.filter((r) => r.verdict === 'malicious');
const suspicious = rows.filter((r) => r.verdict === 'suspicious');
const errors = rows.filter((r) => r.verdict === 'error');
console.log(`sandbox benchmark: ${rows.length} packages: ${plainCount} without dependencies, ${rows.filter((r) => r.scripts.length).length} with install scripts`);
console.log(`  ${simple.length} packages without dependencies:`);
console.log(`    plain npm install --ignore-scripts: median ${median(simple.map((r) => r.plain)).toFixed(0)} ms, mean ${mean(simple.map((r) => r.plain)).toFixed(0)} ms`);
console.log(`    bulwark sandbox run (install + load): median ${median(simple.map((r) => r.sandbox)).toFixed(0)} ms, mean ${mean(simple.map((r) => r.sandbox)).toFixed(0)} ms`);
console.log(`    overhead per package: median ${median(over).toFixed(0)} ms, mean ${mean(over).toFixed(0)} ms, max ${Math.max(...over).toFixed(0)} ms (target < 1000 ms)`);
for (const r of rows.filter((x) => x.scripts.length)) {
  console.log(`  ${r.name} (${r.scripts.join(', ')}): plain ${r.plain.toFixed(0)} ms, sandbox ${r.sandbox.toFixed(0)} ms, ${r.verdict}`);
}
console.log(`  throughput (one run at a time on this machine): ${(3600000 / mean(rows.map((r) => r.sandbox))).toFixed(0)} packages/hour`);
console.log(`  flagged malicious: ${flagged.length} (${(100 * flagged.length / Math.max(1, rows.length)).toFixed(1)} %, target < 1 %); suspicious: ${suspicious.length}; errors: ${errors.length}`);
for (const r of [...flagged, ...suspicious, ...errors]) console.log(`    ${r.verdict} ${r.name}: ${r.findings.join('; ')}`);
console.log(`  wall time ${wall.toFixed(0)} s`);
