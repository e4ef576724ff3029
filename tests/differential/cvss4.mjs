#!/usr/bin/env node
// Differential test: CVSS v4.0 scores from src/security/advisories/cvss.cc (through
// tests/differential/cvss_tool.cc) against the ae-cvss-calculator npm package (pinned in
// tests/package.json). Every base vector (104,976) plus seeded random vectors with threat,
// environmental and supplemental metrics (including explicit X values), all in the
// specification's order. Also checks that malformed vectors are refused by cvss.cc.
// Exits non-zero on any disagreement.
//
// Usage: node cvss4.mjs path/to/cvss_tool [seed] [random_count]

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mulberry32 } from './prng.mjs';

const require = createRequire(import.meta.url);
const { Cvss4P0 } = require('../node_modules/ae-cvss-calculator');

const tool = process.argv[2];
if (!tool) {
  console.error('usage: node cvss4.mjs path/to/cvss_tool [seed] [random_count]');
  process.exit(2);
}
const seed = Number(process.argv[3] ?? 20251123);
const randomCount = Number(process.argv[4] ?? 30000);

const rand = mulberry32(seed);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

// Table 23 of the specification, in order.
const BASE = [
  ['AV', ['N', 'A', 'L', 'P']], ['AC', ['L', 'H']], ['AT', ['N', 'P']], ['PR', ['N', 'L', 'H']],
  ['UI', ['N', 'P', 'A']], ['VC', ['H', 'L', 'N']], ['VI', ['H', 'L', 'N']], ['VA', ['H', 'L', 'N']],
  ['SC', ['H', 'L', 'N']], ['SI', ['H', 'L', 'N']], ['SA', ['H', 'L', 'N']],
];
const OPTIONAL = [
  ['E', ['X', 'A', 'P', 'U']], ['CR', ['X', 'H', 'M', 'L']], ['IR', ['X', 'H', 'M', 'L']],
  ['AR', ['X', 'H', 'M', 'L']], ['MAV', ['X', 'N', 'A', 'L', 'P']], ['MAC', ['X', 'L', 'H']],
  ['MAT', ['X', 'N', 'P']], ['MPR', ['X', 'N', 'L', 'H']], ['MUI', ['X', 'N', 'P', 'A']],
  ['MVC', ['X', 'H', 'L', 'N']], ['MVI', ['X', 'H', 'L', 'N']], ['MVA', ['X', 'H', 'L', 'N']],
  ['MSC', ['X', 'H', 'L', 'N']], ['MSI', ['X', 'S', 'H', 'L', 'N']],
  ['MSA', ['X', 'S', 'H', 'L', 'N']], ['S', ['X', 'N', 'P']], ['AU', ['X', 'N', 'Y']],
  ['R', ['X', 'A', 'U', 'I']], ['V', ['X', 'D', 'C']], ['RE', ['X', 'L', 'M', 'H']],
  ['U', ['X', 'Clear', 'Green', 'Amber', 'Red']],
];

const valid = [];
// Every base vector.
(function all(i, parts) {
  if (i === BASE.length) {
    valid.push('CVSS:4.0/' + parts.join('/'));
    return;
  }
  for (const v of BASE[i][1]) all(i + 1, [...parts, `${BASE[i][0]}:${v}`]);
})(0, []);
const baseCount = valid.length;
// Random vectors with optional metrics; each optional metric present with probability p.
for (let n = 0; n < randomCount; ++n) {
  const p = pick([0.1, 0.3, 0.6, 0.9]);
  const parts = BASE.map(([m, vs]) => `${m}:${pick(vs)}`);
  for (const [m, vs] of OPTIONAL) if (rand() < p) parts.push(`${m}:${pick(vs)}`);
  valid.push('CVSS:4.0/' + parts.join('/'));
}

// Malformed vectors cvss.cc must refuse.
const invalid = [];
for (let n = 0; n < 2000; ++n) {
  const parts = BASE.map(([m, vs]) => `${m}:${pick(vs)}`);
  for (const [m, vs] of OPTIONAL) if (rand() < 0.3) parts.push(`${m}:${pick(vs)}`);
  const k = Math.floor(rand() * parts.length);
  switch (n % 7) {
    case 0: parts.splice(Math.min(k, BASE.length - 1), 1); break;  // A base metric missing.
    case 1: parts.splice(k, 0, parts[k]); break;  // Repeated.
    case 2: parts.push('ZZ:X'); break;  // Unknown metric.
    case 3: parts[k] = parts[k].split(':')[0] + ':Q'; break;  // Unknown value.
    case 4: { const j = (k + 1) % parts.length; [parts[k], parts[j]] = [parts[j], parts[k]]; break; }  // Out of order.
    case 5: parts[Math.min(k, BASE.length - 1)] = parts[Math.min(k, BASE.length - 1)].split(':')[0] + ':X'; break;  // Base X.
    case 6: parts[k] = parts[k].replace(':', ''); break;  // No colon.
  }
  invalid.push('CVSS:4.0/' + parts.join('/'));
}
invalid.push('CVSS:3.1/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'CVSS:4.0/', '',
  'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/', 'cvss:4.0/AV:N');

const input = [...valid, ...invalid].join('\n') + '\n';
const out = spawnSync(tool, [], { input, maxBuffer: 1 << 28, encoding: 'utf8' });
if (out.status !== 0) {
  console.error('cvss_tool failed', out.status, out.stderr);
  process.exit(1);
}
const answers = out.stdout.split('\n');
let disagreements = 0;
for (let i = 0; i < valid.length; ++i) {
  const expected = new Cvss4P0(valid[i]).calculateScores().overall;
  const want = '=' + Number(expected).toFixed(1);
  if (answers[i] !== want) {
    if (++disagreements <= 20) console.error(`DISAGREE ${valid[i]}: ours ${answers[i]}, ae-cvss-calculator ${want}`);
  }
}
let accepted = 0;
for (let i = 0; i < invalid.length; ++i) {
  const a = answers[valid.length + i];
  if (!a.startsWith('!') || a.length < 2) {
    if (++accepted <= 20) console.error(`ACCEPTED malformed ${JSON.stringify(invalid[i])}: ${a}`);
  }
}
console.log(`cvss4 differential: ${valid.length} vectors compared (${baseCount} base, ` +
  `${valid.length - baseCount} random with threat/environmental/supplemental metrics), ` +
  `${disagreements} disagreements; ${invalid.length} malformed vectors, ${accepted} accepted`);
process.exit(disagreements || accepted ? 1 : 0);
