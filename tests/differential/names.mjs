// Differential test: Bulwark's ValidatePackageName (through name_tool) against the npm package
// validate-npm-package-name, on every real name of the popularity list and on generated names.
//
//   node names.mjs <name_tool> [npm-popularity.tsv.gz]
//   node names.mjs --print-tables     prints the Unicode tables of src/base/package_name.cc
//
// Names travel to name_tool as bytes, one hex line each, so newlines, NULs and invalid UTF-8
// survive. The JS side sees what a registry sees after decoding a request body: the bytes
// decoded as UTF-8 with U+FFFD for each maximal invalid subsequence (WHATWG; no BOM stripping).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { mulberry32 } from './prng.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../node_modules/'));
const validate = require('validate-npm-package-name');
const builtins = require('validate-npm-package-name/lib/builtin-modules.json');

const kMaxCodePoint = 0x10ffff;
const isSurrogate = (c) => c >= 0xd800 && c <= 0xdfff;

// The tables package_name.cc hard-codes, computed from this Node's String methods.
function printTables() {
  const changes = [];
  const spaces = [];
  for (let c = 0; c <= kMaxCodePoint; c++) {
    if (isSurrogate(c)) continue;
    const s = String.fromCodePoint(c);
    if (s.toLowerCase() !== s) changes.push(c);
    if (s.trim() === '') spaces.push(c);
  }
  // Runs of code points with stride 1 or 2 (upper/lower pairs alternate in many blocks).
  const runs = [];
  for (let i = 0; i < changes.length;) {
    const stride = i + 1 < changes.length && changes[i + 1] - changes[i] <= 2
      ? changes[i + 1] - changes[i] : 1;
    let j = i;
    while (j + 1 < changes.length && changes[j + 1] - changes[j] === stride) j++;
    runs.push([changes[i], changes[j], j === i ? 1 : stride]);
    i = j + 1;
  }
  const hex = (c) => '0x' + c.toString(16).toUpperCase().padStart(4, '0');
  const wrap = (items) => {
    const lines = [];
    let line = '   ';
    for (const item of items) {
      if ((line + ' ' + item + ',').length > 100) {
        lines.push(line);
        line = '   ';
      }
      line += ' ' + item + ',';
    }
    lines.push(line);
    return lines.join('\n');
  };
  console.log(`// Generated from Node ${process.version}, ICU ${process.versions.icu}, ` +
              `Unicode ${process.versions.unicode}`);
  console.log('constexpr CaseRun kLowerCaseChanges[] = {');
  console.log(wrap(runs.map(([a, b, s]) => `{${hex(a)}, ${hex(b)}, ${s}}`)));
  console.log('};');
  console.log("// String.prototype.trim's set: WhiteSpace and LineTerminator of ECMA-262.");
  console.log('constexpr char32_t kJsWhitespace[] = {');
  console.log(wrap(spaces.map(hex)));
  console.log('};');
  const lowerToAscii = [];
  for (let c = 0x80; c <= kMaxCodePoint; c++) {
    if (isSurrogate(c)) continue;
    const l = String.fromCodePoint(c).toLowerCase();
    if (/^[\x00-\x7f]+$/.test(l)) lowerToAscii.push(`${hex(c)} -> ${JSON.stringify(l)}`);
  }
  // ScanName in package_name.cc assumes this is only the Kelvin sign.
  console.error(`Non-ASCII code points that lower-case to ASCII: ${lowerToAscii.join(', ')}`);
}

// Deterministic PRNG so a disagreement reproduces run after run.
function makeRandom(seed) {
  const next = mulberry32(seed);
  const int = (n) => Math.floor(next() * n);
  const pick = (arr) => arr[int(arr.length)];
  return { next, int, pick };
}

const utf8 = (s) => Buffer.from(s, 'utf8');
const cp = (c) => utf8(String.fromCodePoint(c));

function generateNames(real, rnd) {
  const out = [];
  const add = (x) => out.push(Buffer.isBuffer(x) ? x : utf8(x));

  // 1. Every code point of planes 0 and 1 (all case mappings and spaces live there) alone, and
  //    a sample of the higher planes.
  for (let c = 0; c <= 0x1ffff; c++) if (!isSurrogate(c)) add(cp(c));
  for (let c = 0x20000; c <= kMaxCodePoint; c += 97) add(cp(c));

  // 2. Hand-picked edges.
  const edges = [
    '', '.', '_', '-', '@', '/', '@/', '//', '@a', '@a/', '@/a', '@a/b', '@a/b/c', 'a/b', 'a/',
    '/a', '@@a/b', '@a/@b', '@a/.b', '@.a/b', '@a/_b', '@a/-b', '@_a/b', '.a b', '. a', '_a b',
    '@a/.b c', '@a b/c', '@a/b c', ' a', 'a ', '\ta', 'a\n', '\u00a0a', 'a\ufeff', '\ufeffa',
    '\u3000', '\u2028a', 'node_modules', 'NODE_MODULES', 'Node_Modules', 'favicon.ico',
    'FAVICON.ICO', ' node_modules', 'node_modules ', '@x/node_modules', 'fs', 'FS', 'Fs',
    'fs/promises', 'FS/promises', 'node:test', 'node:sea', 'node:fs', 'wor\u212Aer_threads',
    'perf_hoo\u212As', 'ASYNC_HOO\u212AS', '\u0130', 'http\u0130', 'a'.repeat(214),
    'a'.repeat(215), '@a/' + 'b'.repeat(211), '@a/' + 'b'.repeat(212), '\u{1F600}'.repeat(107),
    '\u{1F600}'.repeat(108), 'a'.repeat(213) + '\u{1F600}', 'é'.repeat(215), 'a~', "a'", 'a!',
    'a(', 'a)', 'a*', '~a/b', '@a~/b', '@a/b~', 'a~/b', '%20', 'a%2fb', '@a%2fb', 'a?b', 'a#b',
    'a\0b', '\u{10FFFF}', '\uFFFD', 'ΣΑΣ', 'ς', '\u1E9E', 'ǅ', 'Ⅻ', 'Ⓐ', '𞤀', '𐐀',
  ];
  for (const b of builtins) {
    edges.push(b, b.toUpperCase(), ' ' + b, '@' + b, b + '/x', b.replace(/k/g, '\u212A'));
  }
  for (const e of edges) add(e);
  const rawBytes = [
    [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xc2], [0xc2, 0x41], [0xe0, 0x80, 0x80],
    [0xe0, 0xa0], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xef, 0xbb, 0xbf], [0xf0, 0x8f],
    [0xf0, 0x90, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80], [0xfe], [0xff], [0xe2, 0x80],
    [0xe2, 0x80, 0xa8], [0xe2, 0x84, 0xaa], [0xc4, 0xb0],
  ];
  for (const r of rawBytes) {
    add(Buffer.from(r));
    add(Buffer.concat([utf8('a'), Buffer.from(r)]));
    add(Buffer.concat([Buffer.from(r), utf8('a')]));
    add(Buffer.concat([utf8('@s/'), Buffer.from(r)]));
  }

  // 3. Mutations of real names.
  const specials = ['~', "'", '!', '(', ')', '*'];
  const unreserved = /[A-Za-z0-9\-_.!~*'()]/;
  const unsafeAscii = [];
  for (let c = 0; c < 0x80; c++) {
    if (!unreserved.test(String.fromCharCode(c))) unsafeAscii.push(String.fromCharCode(c));
  }
  const unicodePool = [
    0xa0, 0xc0, 0xc9, 0xdf, 0xe9, 0xff, 0x130, 0x131, 0x178, 0x1c5, 0x391, 0x3a3, 0x3c3, 0x3c2,
    0x410, 0x430, 0x1680, 0x1e9e, 0x2000, 0x200a, 0x200b, 0x2028, 0x2029, 0x202f, 0x205f,
    0x212a, 0x212b, 0x2160, 0x24b6, 0x3000, 0xfeff, 0xff21, 0xfffd, 0x10400, 0x1e900, 0x1f600,
    0x10ffff,
  ];
  const rawPool = rawBytes.map((r) => Buffer.from(r));
  const scopes = ['@a/', '@scope/', '@Scope/', '@.x/', '@_x/', '@x y/', '@', '@/', '/', '@x/y/',
                  '@~/', '@x!/'];

  const insertAt = (buf, at, piece) =>
    Buffer.concat([buf.subarray(0, at), piece, buf.subarray(at)]);
  const randomPos = (buf) => rnd.int(buf.length + 1);
  const randomCodePoint = () => {
    for (;;) {
      const c = rnd.int(0x30000);
      if (!isSurrogate(c)) return c;
    }
  };
  const mutations = [
    (b) => utf8(b.toString('latin1').toUpperCase()),
    (b) => {
      if (!b.length) return b;
      const i = rnd.int(b.length);
      const c = Buffer.from(b);
      c[i] = String.fromCharCode(c[i]).toUpperCase().charCodeAt(0) & 0x7f;
      return c;
    },
    (b) => insertAt(b, randomPos(b), utf8(' ')),
    (b) => Buffer.concat([utf8(rnd.pick([' ', '\t', '\n', '\r', '\v', '\f'])), b]),
    (b) => Buffer.concat([b, utf8(rnd.pick([' ', '\t', '\n', '\u00a0', '\u3000', '\ufeff']))]),
    (b) => Buffer.concat([utf8(rnd.pick(['.', '_', '-', '..', '._'])), b]),
    (b) => insertAt(b, randomPos(b), utf8(rnd.pick(specials))),
    (b) => Buffer.concat([utf8(rnd.pick(scopes)), b]),
    (b) => insertAt(b, randomPos(b), utf8('/')),
    (b) => insertAt(b, randomPos(b), utf8('@')),
    (b) => {
      const target = 200 + rnd.int(30);
      const parts = [b];
      let len = b.length;
      while (len < target && b.length) {
        parts.push(b);
        len += b.length;
      }
      return Buffer.concat(parts).subarray(0, target);
    },
    (b) => Buffer.concat([b, utf8(rnd.pick(['x', 'é', '\u{1F600}']).repeat(100 + rnd.int(20)))]),
    (b) => insertAt(b, randomPos(b), cp(rnd.pick(unicodePool))),
    (b) => insertAt(b, randomPos(b), cp(randomCodePoint())),
    (b) => insertAt(b, randomPos(b), utf8(rnd.pick(unsafeAscii))),
    (b) => insertAt(b, randomPos(b), rnd.pick(rawPool)),
    (b) => {
      let name = rnd.pick(builtins);
      if (rnd.int(2)) name = name.toUpperCase();
      if (rnd.int(3) === 0) name = name.replace(/k/gi, '\u212A');
      return utf8(name);
    },
    (b) => utf8(rnd.pick(['node_modules', 'favicon.ico']).split('')
        .map((ch) => (rnd.int(2) ? ch.toUpperCase() : ch)).join('')),
    () => Buffer.alloc(0),
    (b) => {
      const i = rnd.int(b.length + 1);
      return b.subarray(i, i + rnd.int(b.length + 1));
    },
  ];
  const kMutated = 120000;
  for (let n = 0; n < kMutated; n++) {
    let b = utf8(rnd.pick(real));
    const count = 1 + rnd.int(3);
    for (let k = 0; k < count; k++) b = rnd.pick(mutations)(b);
    add(b);
  }
  return out;
}

function normalize(r) {
  return {
    validForNewPackages: r.validForNewPackages,
    validForOldPackages: r.validForOldPackages,
    errors: r.errors ?? [],
    warnings: r.warnings ?? [],
  };
}

function main() {
  if (process.argv[2] === '--print-tables') {
    printTables();
    return 0;
  }
  const tool = process.argv[2];
  if (!tool) {
    console.error('usage: node names.mjs <name_tool> [npm-popularity.tsv.gz]');
    return 2;
  }
  const dataPath = process.argv[3] ??
      path.resolve(here, '../../../shared/data/npm-popularity.tsv.gz');
  const start = process.hrtime.bigint();

  const rows = gunzipSync(readFileSync(dataPath)).toString('utf8').split('\n');
  const real = [];
  for (const [i, row] of rows.entries()) {
    if (!row) continue;
    const tab = row.lastIndexOf('\t');
    const count = row.slice(tab + 1);
    if (i === 0 && !/^\d+$/.test(count)) continue;  // The header line.
    real.push(row.slice(0, tab));
  }
  const generated = generateNames(real, makeRandom(20240611));
  const names = [...real.map(utf8), ...generated];

  const input = names.map((b) => b.toString('hex')).join('\n') + '\n';
  const run = spawnSync(tool, [], { input, maxBuffer: 1 << 30, encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(`${tool} exited with ${run.status} ${run.signal ?? ''}\n${run.stderr}`);
    return 1;
  }
  const lines = run.stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== names.length) {
    console.error(`name_tool printed ${lines.length} lines for ${names.length} names`);
    return 1;
  }

  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  let disagreements = 0;
  for (let i = 0; i < names.length; i++) {
    const expected = JSON.stringify(normalize(validate(decoder.decode(names[i]))));
    const actual = JSON.stringify(normalize(JSON.parse(lines[i])));
    if (expected === actual) continue;
    if (++disagreements <= 20) {
      console.log(`DISAGREE ${i < real.length ? 'real' : 'generated'} name hex=` +
                  `${names[i].toString('hex')} ${JSON.stringify(decoder.decode(names[i]))}\n` +
                  `  npm:     ${expected}\n  bulwark: ${actual}`);
    }
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`names compared: ${real.length} real, ${generated.length} generated; ` +
              `disagreements: ${disagreements}; ${ms.toFixed(0)} ms`);
  return disagreements === 0 ? 0 : 1;
}

process.exitCode = main();
