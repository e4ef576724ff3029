#!/usr/bin/env node
// Differential test: src/base/semver (through tests/differential/semver_tool.cc) against the npm
// `semver` package, on seeded random versions and ranges biased toward the edge cases
// (prereleases, build metadata, x-ranges, hyphen ranges, whitespace, huge numbers, loose-mode
// junk, invalid text). Exits non-zero on any disagreement.
//
// Usage: node semver.mjs path/to/semver_tool [seed] [scale]
//   seed  PRNG seed (default 20240601); scale multiplies the number of cases (default 1).

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { mulberry32 } from './prng.mjs';

const require = createRequire(import.meta.url);
const semver = require('../node_modules/semver');

const tool = process.argv[2];
if (!tool) {
  console.error('usage: node semver.mjs path/to/semver_tool [seed] [scale]');
  process.exit(2);
}
const seed = Number(process.argv[3] ?? 20240601);
const scale = Number(process.argv[4] ?? 1);

// ---- Deterministic randomness (mulberry32).
const rand = mulberry32(seed);
const int = (n) => Math.floor(rand() * n);
const chance = (p) => rand() < p;
const pick = (xs) => xs[int(xs.length)];
// Picks by weight from [[weight, () => value], ...].
function weighted(table) {
  let total = 0;
  for (const [w] of table) total += w;
  let r = rand() * total;
  for (const [w, f] of table) {
    if ((r -= w) < 0) return f();
  }
  return table[table.length - 1][1]();
}
const digits = (n) => {
  let s = String(1 + int(9));
  while (s.length < n) s += String(int(10));
  return s;
};

// ---- Generators.
const WHITESPACE = [' ', ' ', ' ', '  ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u1680',
  '\u2000', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
const JUNK = ['!', '#', '$', '%', '&', '(', ')', ',', '/', ':', ';', '?', '@', '[', ']', '_',
  '{', '}', '"', "'", '`', '\0', '\u00e9', '\u2603', '\u{1f600}', '\u0085', '\u180e', 'a', 'Z'];
// Characters that mean something in versions and ranges, for mutations.
const SIGNIFICANT = '0123456789..--++xX**vV==<>~^|| \t'.split('').concat(['||', ' - ', '\u00a0']);

const ws = () => (chance(0.8) ? ' ' : pick(WHITESPACE));

function number() {
  return weighted([
    [50, () => String(int(4))],
    [15, () => String(int(20))],
    [5, () => String(int(1000))],
    [6, () => '0' + String(int(10))],
    [2, () => '00'],
    [4, () => pick(['9007199254740990', '9007199254740991', '9007199254740992',
      '9007199254740993', '9999999999999999', '18446744073709551615', '18446744073709551616'])],
    [3, () => digits(16 + int(6))],
    [2, () => digits(21 + int(8))],
    [1, () => digits(250 + int(12))],
  ]);
}

function identifier() {
  return weighted([
    [20, () => pick(['alpha', 'beta', 'rc', 'pre', 'dev', 'a', 'b', 'x', 'X'])],
    [20, () => String(int(4))],
    [5, () => String(int(100))],
    [5, () => pick(['01', '00', '007', '0a', '1a', 'a1', '-', '--', 'a-b', '-1', '1-', 'beta-2'])],
    [4, () => pick(['9007199254740990', '9007199254740991', '9007199254740992',
      '9007199254740993', '0009007199254740993', '12345678901234567890'])],
    [2, () => digits(20 + int(10))],
    [1, () => 'a'.repeat(240 + int(15))],
    [1, () => '1'.repeat(250 + int(10)) + pick(['', 'a'])],
    [2, () => ''],
    [2, () => pick(JUNK)],
  ]);
}

function dotted(n) {
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(identifier());
  return ids.join('.');
}

function prerelease() {
  const body = dotted(1 + int(3));
  return weighted([[10, () => '-' + body], [2, () => body], [1, () => '--' + body],
    [1, () => '-']]);
}

function build() {
  return '+' + weighted([[10, () => dotted(1 + int(3))], [1, () => ''],
    [1, () => dotted(1) + '+' + dotted(1)]]);
}

function prefix() {
  return weighted([[40, () => ''], [8, () => 'v'], [6, () => '='], [2, () => 'V'],
    [2, () => 'v='], [2, () => '=v'], [2, () => 'vv'], [2, () => '= '], [2, () => 'v ' + ws()],
    [3, () => ws()]]);
}

function core(parts) {
  const nums = [];
  for (let i = 0; i < parts; i++) nums.push(number());
  return nums.join('.');
}

function version() {
  if (chance(0.1)) return soup();
  let s = prefix();
  const parts = weighted([[30, () => 3], [2, () => 2], [1, () => 1], [2, () => 4]]);
  s += core(parts);
  if (chance(0.35)) s += prerelease();
  if (chance(0.2)) s += build();
  if (chance(0.08)) s = ws() + s;
  if (chance(0.08)) s += ws();
  return maybeMutate(s, 0.12);
}

// Short strings over the grammar's own characters: dense coverage of odd combinations.
function soup() {
  const alphabet = pick(['0129.-+xX*v=<>~^| ', '01.-+ a', '0123456789.-', '1.2.3-+ab', '01x.*<>=~^ |-']);
  let s = '';
  const n = 1 + int(14);
  for (let i = 0; i < n; i++) s += alphabet[int(alphabet.length)];
  return s;
}

function mutate(s) {
  const i = int(s.length + 1);
  switch (int(4)) {
    case 0: return s.slice(0, i) + pick(SIGNIFICANT) + s.slice(i);
    case 1: return s.slice(0, i) + s.slice(i + 1);
    case 2: return s.slice(0, i) + pick(JUNK) + s.slice(i + 1);
    default: return s.slice(0, i) + s.slice(i, i + 1 + int(4)) + s.slice(i);
  }
}

function maybeMutate(s, p) {
  while (chance(p)) s = mutate(s);
  return s;
}

// A partial version: "1", "1.2", "1.x", "*", "1.2.3-pre+build", ...
function partial() {
  const x = () => pick(['x', 'X', '*']);
  const part = () => (chance(0.15) ? x() : number());
  const n = weighted([[10, () => 3], [4, () => 2], [3, () => 1]]);
  const parts = [];
  for (let i = 0; i < n; i++) parts.push(part());
  let s = prefix() + parts.join('.');
  if (n === 3 && chance(0.25)) s += prerelease();
  if (chance(0.1)) s += build();
  return s;
}

const OPS = ['', '', '', '=', '<', '>', '<=', '>=', '>=', '~', '~>', '^', '^', '<>', '==', '>==',
  '~=', '^=', '=>', '!', '~^'];

function comparator() {
  return weighted([
    [30, () => pick(OPS) + (chance(0.15) ? ws() : '') + partial()],
    [3, () => pick(['*', 'x', 'X', '', '>=0.0.0', '>=0.0.0-0', '<0.0.0-0', '<0.0.0', '>*', '<*',
      '<=*', '>=*', '~*', '^*', 'latest', 'next', '>', '<', '~', '^', '='])],
    [2, () => pick(OPS) + pick(JUNK)],
  ]);
}

function comparatorSet() {
  return weighted([
    [20, () => {
      const comps = [];
      const n = 1 + int(3);
      for (let i = 0; i < n; i++) comps.push(comparator());
      return comps.join(chance(0.8) ? ' ' : ws());
    }],
    [6, () => partial() + pick([' - ', ' - ', '  -  ', ' -', '- ', '-']) + partial()],
  ]);
}

function range() {
  return weighted([
    [40, () => {
      const sets = [];
      const n = weighted([[10, () => 1], [5, () => 2], [2, () => 3]]);
      for (let i = 0; i < n; i++) sets.push(comparatorSet());
      let s = sets.join(pick(['||', ' || ', '|| ', ' ||', '|||', ' | ']));
      if (chance(0.1)) s = ws() + s;
      if (chance(0.1)) s += ws();
      return maybeMutate(s, 0.1);
    }],
    [2, () => pick(['', ' ', '*', '||', '* || 1', '1 ||', '|| 1', 'x || <0.0.0-0',
      '<0.0.0-0 || <0.0.0-0', '>=0.0.0 || 1.2.3', '1.2.3 - 2.3.4', '1.2 - 2', '* - 2', '1 - *'])],
    // Long ranges hit the safe regexes' caps.
    [1, () => pick(['>=', '~', '^', '']) + '1.2.' + digits(250 + int(20)) +
      pick(['', '-a', '.1', 'a'])],
    [1, () => '1 - ' + pick(['1.', '', '1.1.']) + digits(20 + int(10))],
    [6, () => soup()],
    [2, () => soup() + ' ' + soup()],
  ]);
}

// Ranges over small numbers, so that versions near them often satisfy them.
function smallRange() {
  const n = () => String(weighted([[10, () => int(3)], [1, () => int(10)]]));
  const pre = () => (chance(0.2) ? '-' + pick(['0', '1', 'alpha', 'beta.1', 'rc.0']) : '');
  const ver = () => weighted([[6, () => `${n()}.${n()}.${n()}${pre()}`], [2, () => `${n()}.${n()}`],
    [1, () => n()], [1, () => `${n()}.x`], [1, () => `${n()}.${n()}.*`]]);
  const comp = () => pick(['', '^', '~', '>=', '<', '>', '<=', '=', '^', '~>']) + ver();
  const set = () => weighted([[5, () => comp()], [3, () => `${comp()} ${comp()}`],
    [2, () => `${ver()} - ${ver()}`]]);
  return chance(0.7) ? set() : `${set()} || ${set()}`;
}

// Fixed cases that the random generator is unlikely to hit exactly.
const EDGE_RANGES = ['~ 1', '^ 1', '~> 1', '~>1', '>= 1', '< = 1', '> =1', '1.2.3 -2', '1.2.3- 2',
  '  1  -  2  ', '1 - 2 - 3', 'v1 - v2', '=1 - =2', '= 1.2.3 - 2', '1.2.3-pre - 2.3.4-pre',
  '1.x - 2.x', '* - *', '^1.2.3-beta.1', '~0.0.1', '^0.0.x', '^0.x', '^0.0', '~1.2.3-beta',
  '1.2.3 || ~ 2', 'x.x.x', '1.x.x', '>1.x', '<=1.2.x', '<1.x', '>=1.x', '=1.x', '>01', '1.02',
  '^01.2.3', '^00.1.2', '~v1', '^v1.2', '^=1.2', '<=1.2.3+build', '1.2.3+build.1 - 2', '1 - 2+b',
  '>=1.2.3-0', '1.2.3-x.x', '>1.2.3-alpha <1.2.3-beta', '~>=1', '^~1', '1.2.3abc', '1.2.3.4',
  '>=1.2.3abc', '<1.2.34.5', '~1.2.34.5', '1.2.xyz', '~1.2.xyz', '1.2.x5', '<=1.2.3 >=1.2.3',
  '>=0.0.0 <1', '|| 1', '1 ||', '1 | 2', '1.2.x-beta', '^1.2.x-beta', '1.2.*-a', '>==1.2.3',
  '1 - 1234567890123456789012345', '1 - 1.1234567890123456789012345', '^0.0.1234567890123456789012',
  '1 - 1.1.1234567890123456789012', '<=9007199254740991.x', '>9007199254740990', '>9007199254740991.x',
  '1.2.3 - 1.2.3', '1.2.3-a - 1.2.3-a', '1.2.3-.1', '~1.2.3-.1', '^1.2.3--', '1.2.3--',
  '+a 1 - 2', '1 - +a 2', '1 +a - 2', '1 - 2 +a', '1 - 2 +a +b', '+a +b 1.2.3 - 2', '>+1',
  '>=1.2.3+' + 'a'.repeat(260), '>=1.2.3-' + 'a'.repeat(251), '>=1.2.3-' + 'a'.repeat(252),
  '~1.2.' + '1'.repeat(257), '^1.2.' + '1'.repeat(256) + 'a', '>=1.2.3 <2 || >=3 <4', 'x || 1',
  '<0.0.0-0 || 1', '<0.0.0 || 1', '1.2.3 1.2.3', '* *', '* 1', '>=*', '<*', '~*', '^*', 'v', '=',
  '1.2.3\u00a0- 2', '1.2.3\t-\n2', '\ufeff1.2.3', '1.2.3 - 2.\u3000'];
const EDGE_VERSIONS = ['1.2.3', ' 1.2.3 ', 'v1.2.3', '=1.2.3', 'v=1.2.3', '=v1.2.3', 'vv1.2.3',
  '= v 1.2.3', '1.2.3-', '1.2.3--', '1.2.3-.1', '1.2.34.1', '1.2.3abc', '1.2.3-01', '1.2.3-0a',
  '01.2.3', '1.2.3+', '1.2.3+a+b', '1.2.3-a+b.c', '9007199254740991.0.0', '9007199254740992.0.0',
  '1.2.3-9007199254740991', '1.2.3-9007199254740990', '1.2.3-0009007199254740993',
  '\u00a01.2.3\ufeff', 'v\u00a01.2.3', '1.2.3\u0085', ' '.repeat(252) + '1.2.3',
  '1.2.3-' + 'a'.repeat(250), '1.2.3-' + 'a'.repeat(251), '1.2.3' + 'a'.repeat(251),
  '1.2.3+' + 'a'.repeat(250), '1.2.3+' + 'a'.repeat(251), '\u{1f600}'.repeat(100) + '1.2.3'];

// Versions near a range's numbers so that satisfies() is often true.
function versionNear() {
  const n = () => String(weighted([[10, () => int(4)], [1, () => int(12)]]));
  let s = `${n()}.${n()}.${n()}`;
  if (chance(0.3)) s += '-' + pick(['0', '1', 'alpha', 'beta.1', 'rc.0', 'pre', 'x']);
  if (chance(0.1)) s += '+b';
  if (chance(0.1)) s = pick(['v', '=', ' ']) + s;
  if (chance(0.1)) s = version();
  return s;
}

// A version at or next to one named in range `r`, to test the bounds.
function versionFrom(r) {
  const found = r.match(/\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?/g);
  if (!found || chance(0.1)) return versionNear();
  const m = pick(found).match(/^([\d.]+)(-.*)?$/);
  const nums = m[1].split('.').filter((x) => x !== '').map((x) => (x.length > 15 ? x : Number(x)));
  while (nums.length < 3) nums.push(chance(0.7) ? 0 : int(3));
  const k = int(3);
  if (typeof nums[k] === 'number') {
    nums[k] = Math.max(0, nums[k] + weighted([[6, () => 0], [2, () => 1], [2, () => -1]]));
  }
  let pre = m[2] ?? '';
  pre = weighted([[5, () => pre], [2, () => ''], [2, () => '-' + pick(['0', 'alpha', 'beta.2', 'rc'])]]);
  return nums.join('.') + pre + (chance(0.05) ? '+b' : '');
}

function options() {
  return weighted([[3, () => '-'], [2, () => 'l'], [2, () => 'p'], [1, () => 'lp']]);
}
const jsOptions = (flags) => ({ loose: flags.includes('l'), includePrerelease: flags.includes('p') });

// ---- Queries and expected answers.
const escape = (s) => s.replace(/[\\\t\n\r]/g,
  (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]);
const optional = (s) => (s === null ? '!' : '=' + escape(s));

const queries = [];
const expected = [];
const counts = {};
function add(fields, answer) {
  queries.push(fields.map(escape).join('\t'));
  expected.push(answer);
  counts[fields[0]] = (counts[fields[0]] ?? 0) + 1;
}

const started = performance.now();
const N = Math.round(scale * 1000);

// The canonical form is one character longer than a loose prerelease without its hyphen; at
// exactly 256 characters node-semver then throws from Range.test (see semver.h).
for (let n = 245; n <= 252; n++) {
  for (const flags of ['-', 'l', 'p', 'lp']) {
    const v = '1.2.3' + 'a'.repeat(n);
    add(['S', flags, '1.2.3-a', '>=' + v], String(Number(safe(() => semver.satisfies('1.2.3-a',
      '>=' + v, jsOptions(flags)), false))));
    add(['M', flags, '>=' + v, '1.2.3-b', '1.2.4'],
      optional(safe(() => semver.maxSatisfying(['1.2.3-b', '1.2.4'], '>=' + v, jsOptions(flags)),
        null)));
  }
}

function safe(f, fallback) {
  try {
    return f();
  } catch {
    return fallback;  // node-semver throws; ours answers false / null.
  }
}

const edgeRanges = EDGE_RANGES;
const edgeVersions = EDGE_VERSIONS;
const edgePool = ['0.0.0', '0.0.1', '1.0.0', '1.2.3', '1.2.3-a', '1.2.3-0', '1.3.0-0', '2.0.0-0',
  '1.2.4', '2.0.0', '3.0.0', '1.1.2345678901234568-e', '1.2.3-4.5', '0.1.2'];
for (const flags of ['-', 'l', 'p', 'lp']) {
  const o = jsOptions(flags);
  for (const r of edgeRanges) {
    add(['R', flags, r], optional(semver.validRange(r, o)));
    for (const v of edgePool) {
      add(['S', flags, v, r], safe(() => semver.satisfies(v, r, o), false) ? '1' : '0');
    }
    add(['M', flags, r, ...edgePool], optional(safe(() => semver.maxSatisfying(edgePool, r, o),
      null)));
  }
  for (const v of edgeVersions) {
    add(['V', flags, v], optional(semver.valid(v, o)));
    add(['R', flags, v], optional(semver.validRange(v, o)));
  }
}

let validCount = 0;
for (let i = 0; i < 40 * N; i++) {
  const flags = chance(0.5) ? 'l' : '-';
  const v = chance(0.8) ? version() : versionNear();
  const answer = semver.valid(v, jsOptions(flags));
  if (answer !== null) validCount++;
  add(['V', flags, v], optional(answer));
}

const validPool = [];
while (validPool.length < 4000) {
  const flags = chance(0.5) ? 'l' : '-';
  const v = chance(0.5) ? version() : versionNear();
  if (semver.valid(v, jsOptions(flags))) validPool.push([flags, v]);
}
for (let i = 0; i < 20 * N; i++) {
  const [flags, a] = pick(validPool);
  let b;
  if (chance(0.2)) {
    b = a;
  } else {
    do {
      b = pick(validPool)[1];
    } while (!semver.valid(b, jsOptions(flags)));
  }
  add(['C', flags, a, b], String(semver.compare(a, b, jsOptions(flags))));
}

const ranges = [];
let validRanges = 0;
for (let i = 0; i < 50 * N; i++) {
  const flags = options();
  const r = chance(0.8) ? range() : smallRange();
  ranges.push(r);
  const answer = semver.validRange(r, jsOptions(flags));
  if (answer !== null) validRanges++;
  add(['R', flags, r], optional(answer));
}

let satisfied = 0;
let unsatisfied = 0;  // With a valid range and version.
for (let i = 0; i < 50 * N; i++) {
  const flags = options();
  const r = weighted([[6, () => smallRange()], [3, () => pick(ranges)], [1, () => range()]]);
  const v = weighted([[6, () => versionFrom(r)], [3, () => versionNear()], [1, () => version()]]);
  const ok = safe(() => semver.satisfies(v, r, jsOptions(flags)), false);
  if (ok) {
    satisfied++;
  } else if (semver.validRange(r, jsOptions(flags)) && semver.valid(v, jsOptions(flags))) {
    unsatisfied++;
  }
  add(['S', flags, v, r], ok ? '1' : '0');
}

let maxFound = 0;
for (let i = 0; i < 10 * N; i++) {
  const flags = options();
  const r = weighted([[6, () => smallRange()], [3, () => pick(ranges)], [1, () => range()]]);
  const vs = [];
  const n = 1 + int(8);
  for (let k = 0; k < n; k++) {
    vs.push(weighted([[6, () => versionFrom(r)], [3, () => versionNear()], [1, () => version()]]));
  }
  const max = safe(() => semver.maxSatisfying(vs, r, jsOptions(flags)), null);
  if (max !== null) maxFound++;
  add(['M', flags, r, ...vs], optional(max));
}
const generated = performance.now();

// ---- Ask the tool and compare.
const run = spawnSync(tool, [], {
  input: queries.join('\n') + '\n',
  maxBuffer: 1 << 30,
  encoding: 'utf8',
});
if (run.status !== 0 || run.error) {
  console.error(`semver_tool failed: status ${run.status} ${run.error ?? ''}\n${run.stderr}`);
  process.exit(2);
}
const answers = run.stdout.split('\n');
answers.pop();
if (answers.length !== queries.length) {
  console.error(`semver_tool gave ${answers.length} answers to ${queries.length} queries`);
  process.exit(2);
}

let disagreements = 0;
for (let i = 0; i < queries.length; i++) {
  if (answers[i] === expected[i]) continue;
  if (++disagreements <= 20) {
    console.log(`DISAGREE query:    ${JSON.stringify(queries[i])}`);
    console.log(`         semver:   ${JSON.stringify(expected[i])}`);
    console.log(`         bulwark:  ${JSON.stringify(answers[i])}`);
  }
}
const done = performance.now();
const seconds = (ms) => (ms / 1000).toFixed(1) + 's';
console.log(`seed ${seed}: ${queries.length} cases (${Object.entries(counts)
  .map(([k, v]) => `${k}=${v}`).join(' ')}), ${validCount} valid versions, ` +
  `${validRanges} valid ranges, ${satisfied} satisfied, ${unsatisfied} not (both valid), ` +
  `${maxFound} with a max`);
console.log(`generation + npm semver ${seconds(generated - started)}, ` +
  `semver_tool + comparison ${seconds(done - generated)}`);
console.log(`${disagreements} disagreements`);
process.exit(disagreements === 0 ? 0 : 1);
