// Reads the per-registry results run.sh gathered, prints the comparison table and writes the
// raw numbers as JSON.   node report.mjs RESULTS_DIR OUT_JSON PARAMS_JSON
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

const [dir, outFile, paramsJson] = process.argv.slice(2);
const sides = ['bulwark', 'verdaccio'];

function load(side) {
  const d = join(dir, side);
  if (!existsSync(d)) return null;
  const read = (f) => JSON.parse(readFileSync(join(d, `${f}.json`), 'utf8'));
  return {
    data_set: read('seed'),
    packument_full: read('packument_full'),
    packument_abbreviated: read('packument_abbreviated'),
    tarball: read('tarball'),
    publish: read('publish'),
    memory: { ...read('start'), ...read('memory') },
  };
}

const results = Object.fromEntries(sides.map((s) => [s, load(s)]));

// [label, getter, target ratio (bulwark / verdaccio), whether higher is better, decimals]
const rows = [
  ['packument full req/s', (r) => r.packument_full.requests_per_s, 20, true, 0],
  ['packument full p99 (ms)', (r) => r.packument_full.p99_ms, null, false, 2],
  ['packument abbrev req/s', (r) => r.packument_abbreviated.requests_per_s, 20, true, 0],
  ['packument abbrev p99 (ms)', (r) => r.packument_abbreviated.p99_ms, null, false, 2],
  ['tarball req/s', (r) => r.tarball.requests_per_s, 5, true, 0],
  ['tarball MB/s', (r) => r.tarball.bytes_per_s / 1e6, 5, true, 1],
  ['tarball p99 (ms)', (r) => r.tarball.p99_ms, null, false, 2],
  ['publish median (ms)', (r) => r.publish.median_ms, null, false, 2],
  ['publish p99 (ms)', (r) => r.publish.p99_ms, null, false, 2],
  ['peak RSS (MB)', (r) => r.memory.peak_rss_kb / 1024, 0.25, false, 1],
];

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const fmt = (v, d) => (v == null ? '-' : v.toLocaleString('en-US', {
  minimumFractionDigits: d, maximumFractionDigits: d }).replace(/,/g, ''));

const b = results.bulwark;
const v = results.verdaccio;
const ratios = {};
const lines = [];
lines.push(`${pad('metric', 28)}${lpad('bulwark', 12)}${lpad('verdaccio', 12)}` +
  `${lpad('ratio', 10)}   ${pad('target', 8)} result`);
lines.push('-'.repeat(80));
for (const [label, get, target, higherBetter, d] of rows) {
  const bv = b ? get(b) : null;
  const vv = v ? get(v) : null;
  const ratio = bv != null && vv ? bv / vv : null;
  ratios[label] = ratio;
  let targetText = '';
  let verdict = '';
  if (target != null) {
    targetText = higherBetter ? `>=${target}x` : `<${target}x`;
    if (ratio != null) verdict = (higherBetter ? ratio >= target : ratio < target) ? 'met' : 'MISSED';
  }
  const ratioText = ratio == null ? '-' : `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`;
  lines.push(`${pad(label, 28)}${lpad(fmt(bv, d), 12)}${lpad(fmt(vv, d), 12)}` +
    `${lpad(ratioText, 10)}   ${pad(targetText, 8)} ${verdict}`.trimEnd());
}
lines.push('ratio = bulwark / verdaccio (for latency and memory, lower is better)');

// What was served, and anything that makes a number suspect.
const notes = [];
for (const side of sides) {
  const r = results[side];
  if (!r) continue;
  const ds = r.data_set;
  notes.push(`${side}: packument full ${ds.full_bytes} B (${ds.full_content_type}), ` +
    `abbreviated ${ds.abbreviated_bytes} B (${ds.abbreviated_content_type}), ` +
    `tarball ${ds.tarball_bytes} B; publish body ${r.publish.body_bytes} B; ` +
    `RSS after start ${fmt(r.memory.rss_start_kb / 1024, 1)} MB, at end ` +
    `${fmt(r.memory.rss_end_kb / 1024, 1)} MB`);
  if (!ds.abbreviated_is_abbreviated) {
    notes.push(`WARNING ${side}: the abbreviated request got a full packument`);
  }
  for (const test of ['packument_full', 'packument_abbreviated', 'tarball']) {
    const t = r[test];
    if (t.non_2xx_3xx || t.socket_errors) {
      notes.push(`WARNING ${side} ${test}: ${t.non_2xx_3xx} non-2xx/3xx responses, ` +
        `${t.socket_errors} socket errors out of ${t.requests} requests`);
    }
  }
}

let wrkVersion = '';
try {
  wrkVersion = execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .split('\n')[0];
} catch (e) {
  wrkVersion = String(e.stdout || '').split('\n')[0];
}
let verdaccioVersion = null;
try {
  verdaccioVersion = JSON.parse(readFileSync(new URL('./node_modules/verdaccio/package.json',
    import.meta.url), 'utf8')).version;
} catch { /* not installed: bulwark-only run */ }

const params = JSON.parse(paramsJson || '{}');
const machine = { cpus: cpus().length, cpu_model: cpus()[0]?.model, mem_mb: Math.round(totalmem() / 2 ** 20),
  node: process.version, wrk: wrkVersion.trim(), verdaccio: verdaccioVersion };
console.log('');
console.log(`Bulwark vs Verdaccio ${verdaccioVersion || ''}: wrk -t${params.threads} ` +
  `-c${params.connections} -d${params.duration} (after ${params.warmup} warm-up), ` +
  `${params.versions}-version packument, ${params.publishes} sequential publishes; ` +
  `${machine.cpus} CPUs shared by server and wrk`);
console.log('');
for (const l of lines) console.log(l);
console.log('');
for (const n of notes) console.log(n);

writeFileSync(outFile, JSON.stringify({
  date: new Date().toISOString(), machine, params, results,
  ratios: Object.fromEntries(Object.entries(ratios).map(([k, x]) => [k, x == null ? null :
    Math.round(x * 1000) / 1000])),
}, null, 2) + '\n');
console.log(`\nraw numbers: ${outFile}`);
