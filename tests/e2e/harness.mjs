// Test harness: starts a real `bulwark serve` on a free loopback port with a temporary data
// directory, and runs the pinned npm / pnpm / yarn clients against it in isolated homes.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
export const testsDir = join(here, '..');
export const bin = process.env.BULWARK_BIN || join(testsDir, '..', 'build', 'bulwark');
export const npmBin = join(testsDir, 'node_modules', '.bin', 'npm');
export const pnpmBin = join(testsDir, 'node_modules', '.bin', 'pnpm');
export const yarnBin = join(testsDir, 'node_modules', '@yarnpkg', 'cli-dist', 'bin', 'yarn.js');

export function tempDir(prefix = 'bulwark-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

export class Registry {
  constructor({ config = '', dataDir, args = [] } = {}) {
    this.args = args;  // Extra `bulwark serve` flags (e.g. --uplink URL).
    this.root = tempDir();
    this.dataDir = dataDir || join(this.root, 'data');
    this.configPath = join(this.root, 'config.yaml');
    writeFileSync(this.configPath, config);
  }

  async start() {
    this.proc = spawn(bin, ['serve', '--config', this.configPath, '--data', this.dataDir,
      '--listen', '127.0.0.1:0', ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.stderr = '';
    this.proc.stderr.on('data', (d) => { this.stderr += d; });
    const port = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('server did not start: ' + this.stderr)), 15000);
      this.proc.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      this.proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${this.stderr}`)); });
    });
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(signal = 'SIGTERM') {
    if (!this.proc || this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill(signal);
    await done;
  }

  cleanup() { rmSync(this.root, { recursive: true, force: true }); }

  // Runs a bulwark subcommand against this registry's data directory.
  cli(args, input) {
    return spawnSync(bin, [...args, '--data', this.dataDir, '--config', this.configPath],
      { input, encoding: 'utf8' });
  }

  addUser(name, password = 'correct horse battery', email = `${name}@example.com`) {
    const r = this.cli(['user', 'add', name, '--email', email, '--password-stdin'], password + '\n');
    if (r.status !== 0) throw new Error(`user add failed: ${r.stderr}`);
    return { name, password, email };
  }

  // Logs in over the legacy CouchDB endpoint, as `npm login --auth-type=legacy` does.
  async token(user) {
    const res = await fetch(`${this.url}/-/user/org.couchdb.user:${user.name}`, {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ _id: `org.couchdb.user:${user.name}`, name: user.name, password: user.password, type: 'user', roles: [] }),
    });
    const body = await res.json();
    if (res.status !== 201) throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
    return body.token;
  }
}

// An isolated client environment: its own HOME, npmrc, cache; nothing leaks from the machine.
export class Client {
  constructor(registry, token) {
    this.registry = registry;
    this.home = tempDir('bulwark-home-');
    this.npmrc = join(this.home, '.npmrc');
    this.globalrc = join(this.home, 'global-npmrc');
    writeFileSync(this.globalrc, '');
    this.setToken(token);
  }

  setToken(token) {
    const host = this.registry.url.replace(/^http:/, '');
    let rc = `registry=${this.registry.url}/\naudit=false\nfund=false\nupdate-notifier=false\n`;
    if (token) rc += `${host}/:_authToken=${token}\n`;
    writeFileSync(this.npmrc, rc);
    this.token = token;
  }

  env(extra = {}) {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.toLowerCase().startsWith('npm_config_')) delete env[k];
    return {
      ...env, HOME: this.home, npm_config_userconfig: this.npmrc,
      npm_config_globalconfig: this.globalrc, npm_config_cache: join(this.home, 'cache'),
      npm_config_registry: this.registry.url + '/', NO_UPDATE_NOTIFIER: '1', CI: '', ...extra,
    };
  }

  // Runs npm; returns {status, stdout, stderr}. Never throws on a non-zero exit.
  npm(args, { cwd = this.home, input, env } = {}) {
    return spawnSync(npmBin, args, { cwd, input, encoding: 'utf8', env: this.env(env), timeout: 120000 });
  }

  // Runs npm on a pseudo-terminal, answering prompts in order: [[regex, answer], ...].
  npmTty(args, answers, { cwd = this.home, timeout = 60 } = {}) {
    const pairs = answers.flatMap(([re, a]) => [re, a]);
    return spawnSync('python3', [join(here, 'pty_run.py'), String(timeout), ...pairs, '--', npmBin, ...args],
      { cwd, encoding: 'utf8', env: this.env(), timeout: (timeout + 10) * 1000 });
  }

  run(cmd, args, { cwd = this.home, input, env } = {}) {
    return spawnSync(cmd, args, { cwd, input, encoding: 'utf8', env: this.env(env), timeout: 180000 });
  }

  cleanup() { rmSync(this.home, { recursive: true, force: true }); }
}

// Writes a package folder with the given package.json fields and files; returns its path.
export function makePackage(dir, manifest, files = {}) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  if (!files['README.md']) files['README.md'] = `# ${manifest.name}\n\nTest package.\n`;
  if (!files['index.js']) files['index.js'] = `module.exports = ${JSON.stringify(manifest.name + '@' + manifest.version)};\n`;
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

export function out(r) { return `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`; }

// A minimal ustar writer, for publish bodies built by hand (API-level tests).
export function tarGz(files) {
  const { gzipSync } = require_zlib();
  const blocks = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
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

import * as zlib from 'node:zlib';
function require_zlib() { return zlib; }

import { createHash } from 'node:crypto';
// The document `npm publish` sends for `manifest` with `tarball` (npm-registry-api.md §3.1).
export function publishBody(manifest, tarball, { tag = 'latest', access = null, claimed } = {}) {
  const integrity = 'sha512-' + createHash('sha512').update(tarball).digest('base64');
  const shasum = createHash('sha1').update(tarball).digest('hex');
  const v = { ...(claimed || manifest), _id: `${manifest.name}@${manifest.version}`,
    dist: { integrity, shasum, tarball: `http://x/${manifest.name}/-/${manifest.name}-${manifest.version}.tgz` } };
  return {
    _id: manifest.name, name: manifest.name, 'dist-tags': { [tag]: manifest.version },
    versions: { [manifest.version]: v }, access,
    _attachments: { [`${manifest.name}-${manifest.version}.tgz`]: {
      content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
  };
}

export async function putJson(url, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'PUT', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  let json = null;
  const text = await res.text();
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, body: json, headers: res.headers };
}

// Starts `npm login` (web flow) as `client`; resolves `url` with the login URL npm prints and
// `exit` with npm's exit code once it has polled the token.
export function startNpmLogin(client) {
  const child = spawn(process.execPath, [join(testsDir, 'node_modules', 'npm', 'bin', 'npm-cli.js'), 'login'],
    { env: client.env(), cwd: client.home, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no login URL: ' + output)), 20000);
    const onData = (d) => {
      output += d;
      const m = output.match(/(http:\/\/127\.0\.0\.1:\d+\/-\/web\/login\/\S+)/);
      if (m) { clearTimeout(t); resolve(m[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  const exit = new Promise((r) => child.on('exit', r));
  return { url, exit, output: () => output };
}

// Debian's Chromium, headless, through playwright-core (the web-page suites).
export function launchChromium() {
  const { chromium } = createRequire(import.meta.url)('../node_modules/playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
