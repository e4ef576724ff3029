// `bulwark sandbox run` (docs/sandbox.md) on the defanged test packages of tests/sandbox_corpus,
// packed by the real `npm pack`: containment packages must leave the host unchanged and no
// process behind, and their reports must say what they attempted; incident re-creations are
// flagged malicious; benign packages with real install scripts are not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bin, npmBin, out, tempDir, testsDir, Registry, Client, makePackage } from './harness.mjs';

const corpus = join(testsDir, 'sandbox_corpus');
const home = tempDir('bulwark-sandbox-test-');
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_config_'))),
  HOME: home, npm_config_cache: join(home, 'npm-cache'), npm_config_userconfig: join(home, '.npmrc'),
  npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false',
};
writeFileSync(join(home, '.npmrc'), '');
// Files an escape would create on the host (the packages only ever target these).
const canaries = ['/tmp/bulwark-canary-escape', '/etc/bulwark-canary-escape', '/usr/bin/bulwark-canary-escape'];
// The host ids the namespace maps to (sandbox/contain.h: host_id_base 200000, user 1000).
const sandboxUids = new Set(['200000', '201000']);
// The sandbox needs user namespaces (root, or unprivileged user namespaces enabled): a machine
// without them fails here rather than skipping the containment tests.
const canRun = spawnSync('unshare', ['-Urnpf', '--mount-proc', 'true']).status === 0 || process.getuid() === 0;
test('this machine can create the namespaces the sandbox needs', () => {
  assert.ok(canRun, 'unshare -Urnpf failed: enable user namespaces (kernel.unprivileged_userns_clone=1) or run as root');
});

let listener;
let hostConnections = 0;
before(async () => {
  listener = createServer((s) => { hostConnections++; s.destroy(); });
  await new Promise((resolve) => listener.listen(47123, '127.0.0.1', resolve).on('error', resolve));
});
after(() => { listener.close(); rmSync(home, { recursive: true, force: true }); });

function pack(folder) {
  const dest = join(home, 'tarballs');
  mkdirSync(dest, { recursive: true });
  const src = join(home, 'src', folder);
  cpSync(join(corpus, folder), src, { recursive: true });
  const r = spawnSync(npmBin, ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: src, env, encoding: 'utf8' });
  assert.equal(r.status, 0, out(r));
  return join(dest, JSON.parse(r.stdout)[0].filename);
}

function sandboxProcesses() {
  const left = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const uid = /Uid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1];
      if (sandboxUids.has(uid)) left.push(pid);
    } catch { /* gone */ }
  }
  return left;
}

function sandboxTemps() {
  return readdirSync('/tmp').filter((d) => d.startsWith('bulwark-sandbox-') && !d.startsWith('bulwark-sandbox-test-'));
}

function run(folder) {
  const tgz = pack(folder);
  const tempsBefore = sandboxTemps();
  const t0 = Date.now();
  const r = spawnSync(bin, ['sandbox', 'run', '--json', '--timeout', '40', '--memory', '2048', tgz], { env, encoding: 'utf8', timeout: 120000 });
  const ms = Date.now() - t0;
  assert.ok(r.status === 0 || r.status === 1, out(r));
  const report = JSON.parse(r.stdout);
  // The host is unchanged and nothing of the sandbox survives.
  for (const c of canaries) {
    const escaped = existsSync(c);
    if (escaped) rmSync(c, { force: true });
    assert.equal(escaped, false, `${folder}: ${c} was written on the host`);
  }
  assert.deepEqual(sandboxProcesses(), [], `${folder}: sandbox processes survived`);
  assert.deepEqual(sandboxTemps().filter((d) => !tempsBefore.includes(d)), [], `${folder}: temp folder left`);
  assert.equal(hostConnections, 0, `${folder}: reached the host's loopback`);
  report.rules = report.findings.map((f) => f.rule);
  report.ms = ms;
  return report;
}

const text = (report) => JSON.stringify(report);

test('containment: writes outside the sandbox stay inside it', () => {
  const r = run('escape-write');
  assert.ok(r.rules.includes('write-outside-package'), text(r.findings));
  assert.match(r.output, /refused \/etc\/bulwark-canary-escape: E(ROFS|ACCES)/);
  assert.match(r.output, /refused \/\.bulwark\/log\/trace/);
  assert.ok(r.events.some((e) => e.kind === 'write' && e.path === '/tmp/bulwark-canary-escape'), 'attempt recorded');
});

test('containment: the host loopback is unreachable', () => {
  const r = run('host-port');
  assert.ok(r.events.some((e) => e.kind === 'connect' && e.port === 47123), 'attempt recorded');
  assert.ok(r.rules.includes('network-during-install'), text(r.findings));
});

test('containment: a fork bomb is stopped and killed', () => {
  const r = run('fork-bomb');
  assert.ok(r.rules.includes('resource-abuse') || r.rules.includes('left-running'), text(r.findings));
});

test('containment: filling the disk stops at the limits', () => {
  const r = run('fill-disk');
  assert.match(r.output, /\/tmp: stopped after \d+ MB: E(NOSPC|FBIG)/);
});

test('containment: memory exhaustion is refused', () => {
  const r = run('memory-hog');
  assert.match(r.output, /refused after \d+ MB|memory|Allocation failed/i);
});

test('containment: the tracer cannot be traced or killed', () => {
  const r = run('ptrace-tracer');
  assert.ok(r.rules.includes('tracer-tamper'), text(r.findings));
  assert.match(r.output, /kill \d+: EPERM/);
  assert.ok(r.events.some((e) => e.kind === 'ptrace'), 'ptrace attempt recorded');
});

test('containment: killing the parent ends only the sandbox', () => {
  const r = run('kill-parent');
  assert.ok(r.rules.includes('tracer-tamper'), text(r.findings));
});

test('containment: a daemon left behind is reported and killed', () => {
  const r = run('daemon');
  assert.ok(r.rules.includes('left-running'), text(r.findings));
  assert.match(text(r.left_running), /bulwark-test-daemon/);
});

test('incident: credential theft from an install script', () => {
  const r = run('cred-stealer');
  assert.equal(r.verdict, 'malicious');
  assert.ok(r.rules.includes('decoy-secret-read'), text(r.findings));
  assert.ok(r.rules.includes('credential-sent'), text(r.findings));
});

test('incident: DNS exfiltration', () => {
  const r = run('dns-exfil');
  assert.equal(r.verdict, 'malicious');
  assert.ok(r.rules.includes('dns-exfiltration') || r.rules.includes('credential-sent'), text(r.findings));
  assert.ok(r.sinks.some((s) => s.kind === 'dns' && s.name.endsWith('.x.exfil.test')), text(r.sinks));
});

test('incident: a downloader run by postinstall', () => {
  const r = run('downloader');
  assert.equal(r.verdict, 'malicious');
  assert.ok(r.rules.includes('downloader-spawned'), text(r.findings));
  assert.ok(r.rules.includes('dropped-executable'), text(r.findings));
});

test('incident: a worm publishing with a found token', () => {
  const r = run('worm');
  assert.equal(r.verdict, 'malicious');
  assert.ok(r.rules.includes('credential-sent'), text(r.findings));
  assert.ok(r.sinks.some((s) => s.kind === 'http' && s.method === 'PUT'), text(r.sinks));
});

test('benign: a native build is not flagged', () => {
  const r = run('native-build');
  assert.notEqual(r.verdict, 'malicious', text(r.findings));
  assert.ok(r.events.some((e) => e.kind === 'exec' && /\/(cc|gcc|cc1)$/.test(e.path)), 'compiler ran');
});

test('benign: a binary fetcher failing offline is not blocked', () => {
  const r = run('binary-fetcher');
  assert.notEqual(r.verdict, 'malicious', text(r.findings));
  assert.match(r.output, /prebuilt binary unavailable/);
});

test('benign: a plain library loads with its exports and bin', () => {
  const r = run('plain-lib');
  assert.equal(r.verdict, 'clean', text(r.findings));
  assert.match(r.output, /loaded lib\/index\.js/);
  assert.match(r.output, /loaded \.\/lib\/util\.js/);
  assert.match(r.output, /bin plain --help exited 0/);
});


// The sandbox in the registry: each accepted publish is queued and run; a version found
// malicious is withdrawn, a moderation case opened and its owner told; the report is shown to
// maintainers and admins only; the stats count it. The static gate is off so that only the
// sandbox judges.
async function poll(fn, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('registry: a publish is run, a malicious version quarantined and reported', async () => {
  const reg = await new Registry({ config: 'scanning:\n  enabled: false\nsandbox:\n  enabled: true\n  timeout_seconds: 30\n  poll_ms: 200\n' }).start();
  try {
    const alice = reg.addUser('alice');
    reg.addUser('bob');
    const made = reg.cli(['user', 'add', 'root', '--email', 'root@example.com', '--password-stdin', '--admin'], 'correct horse battery\n');
    assert.equal(made.status, 0, out(made));
    const aliceCli = new Client(reg, await reg.token(alice));
    const bobToken = await reg.token({ name: 'bob', password: 'correct horse battery' });
    const adminToken = await reg.token({ name: 'root', password: 'correct horse battery' });
    const get = (path, token) => fetch(reg.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const dir = join(home, 'reg-pkg');
    makePackage(dir, { name: 'sbx-victim', version: '1.0.0' });
    let r = aliceCli.npm(['publish'], { cwd: dir });
    assert.equal(r.status, 0, out(r));
    const first = await poll(async () => { const res = await get('/-/bulwark/v1/reports/sbx-victim/1.0.0', aliceCli.token); return res.status === 200 && res.json(); });
    assert.equal(first.verdict, 'clean', JSON.stringify(first.findings));

    makePackage(dir, { name: 'sbx-victim', version: '1.0.1', scripts: { postinstall: 'node steal.js' } },
      { 'steal.js': readFileSync(join(corpus, 'cred-stealer', 'steal.js'), 'utf8') });
    r = aliceCli.npm(['publish'], { cwd: dir });
    assert.equal(r.status, 0, out(r));
    const second = await poll(async () => { const res = await get('/-/bulwark/v1/reports/sbx-victim/1.0.1', aliceCli.token); return res.status === 200 && res.json(); });
    assert.equal(second.verdict, 'malicious');
    assert.equal(second.previous_version, '1.0.0');
    assert.ok(second.new_behaviour.some((b) => b.includes('credential-sent')), JSON.stringify(second.new_behaviour));
    // Quarantined: no longer served.
    const doc = await (await get('/sbx-victim')).json();
    assert.deepEqual(Object.keys(doc.versions), ['1.0.0']);
    // Reports are for maintainers and admins.
    assert.equal((await get('/-/bulwark/v1/reports/sbx-victim/1.0.1', bobToken)).status, 404);
    assert.equal((await get('/-/bulwark/v1/reports/sbx-victim/1.0.1')).status, 401);
    assert.equal((await get('/-/bulwark/v1/reports/sbx-victim/1.0.1', adminToken)).status, 200);
    // A moderation case and the owner's notice.
    const list = reg.cli(['moderation', 'list']);
    assert.match(list.stdout, /sbx-victim/, out(list));
    const caseId = /#(\d+) .*sbx-victim/.exec(list.stdout)[1];
    const shown = reg.cli(['moderation', 'show', caseId]);
    assert.match(shown.stdout, /sandbox report: .*"verdict":"malicious"/, out(shown));
    const notices = await (await get('/-/bulwark/v1/notices', aliceCli.token)).json();
    assert.match(JSON.stringify(notices), /sandbox-quarantine/);
    // The malware advisory is drafted for moderation at once, on file but not matching yet.
    const all = reg.cli(['advisories', 'list', '--json']);
    assert.equal(all.status, 0, out(all));
    const draft = JSON.parse(all.stdout).find((a) => a.id === `MAL-BWK-${new Date().getUTCFullYear()}-${caseId}`);
    assert.ok(draft && draft.withdrawn, all.stdout);
    const matching = reg.cli(['advisories', 'list', '--package', 'sbx-victim', '--json']);
    assert.deepEqual(JSON.parse(matching.stdout), [], out(matching));
    // Stats, the CLI view and the admin queue.
    const stats = await (await get('/-/bulwark/v1/stats', adminToken)).json();
    assert.equal(stats.sandbox.reports, 2, JSON.stringify(stats.sandbox));
    assert.equal(stats.sandbox.flagged, 1);
    assert.equal(stats.sandbox.quarantined, 1);
    const show = reg.cli(['sandbox', 'show', 'sbx-victim@1.0.1']);
    assert.match(show.stdout, /sbx-victim@1\.0\.1: malicious/, out(show));
    assert.match(show.stdout, /new since the previous version/);
    const queue = (token) => fetch(reg.url + '/-/bulwark/v1/sandbox/queue', { method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sbx-victim', version: '1.0.0' }) });
    assert.equal((await queue(bobToken)).status, 403);
    assert.equal((await queue(adminToken)).status, 202);
    // An admin re-runs a version here, now: the stored report is replaced, still clean.
    const now = reg.cli(['sandbox', 'queue', 'sbx-victim@1.0.0', '--now']);
    assert.equal(now.status, 0, out(now));
    assert.match(now.stdout, /sbx-victim@1\.0\.0: clean/);
    assert.equal(reg.cli(['sandbox', 'show', 'sbx-victim@9.9.9']).status, 2);
  } finally {
    await reg.stop();
    reg.cleanup();
  }
});

// Dependencies resolve from Bulwark itself: npm's registry inside the sandbox is forwarded,
// read-only and without credentials, to the registry (the server's own address when it runs the
// job; `--registry` on the command line). A dependency's install script runs and is recorded;
// the registry reads are listed, not findings; a write through the same address is refused and
// recorded as a sink records it.
function packDir(dir) {
  const dest = join(home, 'tarballs');
  mkdirSync(dest, { recursive: true });
  const r = spawnSync(npmBin, ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(r.status, 0, out(r));
  return join(dest, JSON.parse(r.stdout)[0].filename);
}

test('dependencies: resolved from the registry, read-only', async () => {
  const reg = await new Registry({ config: 'scanning:\n  enabled: false\nsandbox:\n  enabled: true\n  timeout_seconds: 60\n  poll_ms: 200\n' }).start();
  try {
    const alice = reg.addUser('alice');
    const cli = new Client(reg, await reg.token(alice));
    const depDir = join(home, 'dep-pkg');
    makePackage(depDir, { name: 'sbx-dep', version: '1.0.0', scripts: { postinstall: 'node hello.js' } },
      { 'hello.js': "console.log('sbx-dep postinstall ran');\n" });
    let r = cli.npm(['publish'], { cwd: depDir });
    assert.equal(r.status, 0, out(r));
    const appDir = join(home, 'app-pkg');
    makePackage(appDir, { name: 'sbx-app', version: '1.0.0', dependencies: { 'sbx-dep': '^1.0.0' } });
    r = cli.npm(['publish'], { cwd: appDir });
    assert.equal(r.status, 0, out(r));
    // The server's run of sbx-app: the dependency came from this registry.
    const report = await poll(async () => {
      const res = await fetch(`${reg.url}/-/bulwark/v1/reports/sbx-app/1.0.0`, { headers: { authorization: `Bearer ${cli.token}` } });
      return res.status === 200 && res.json();
    }, 90000);
    const shown = JSON.stringify(report);
    assert.match(report.output, /sbx-dep postinstall ran/, shown);
    assert.ok(report.events.some((e) => e.phase === 'postinstall' && /node$/.test(e.path || '')), shown);
    assert.ok(report.registry.some((f) => f.method === 'GET' && f.target === '/sbx-dep' && f.status === 200), shown);
    assert.ok(report.registry.some((f) => f.target === '/sbx-dep/-/sbx-dep-1.0.0.tgz' && f.status === 200), shown);
    assert.deepEqual(report.findings, [], shown);
    assert.equal(report.verdict, 'clean');

    // A script that tries to publish through the same address, with the decoy token.
    const pushDir = join(home, 'push-pkg');
    makePackage(pushDir, { name: 'sbx-pusher', version: '1.0.0', scripts: { postinstall: 'node push.js' } }, { 'push.js': `
const http = require('http');
const body = JSON.stringify({ name: 'sbx-dep', versions: { '6.6.6': { name: 'sbx-dep', version: '6.6.6' } } });
const req = http.request({ host: '127.0.0.1', port: 4873, path: '/sbx-dep', method: 'PUT', timeout: 5000,
  headers: { authorization: 'Bearer ' + process.env.NPM_TOKEN, 'content-type': 'application/json' } },
  (res) => { console.log('sbx-pusher: PUT answered ' + res.statusCode); res.resume(); });
req.on('error', (e) => console.log('sbx-pusher: ' + e.message));
req.end(body);
` });
    r = spawnSync(bin, ['sandbox', 'run', '--json', '--timeout', '60', '--memory', '2048', '--registry', `${reg.url}/`, packDir(pushDir)],
      { env, encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 1, out(r));
    const pushed = JSON.parse(r.stdout);
    const text = JSON.stringify(pushed);
    assert.match(pushed.output, /sbx-pusher: PUT answered 403/, text);
    assert.ok(pushed.sinks.some((s) => s.kind === 'http' && s.method === 'PUT' && s.port === 4873 && s.refused && s.phase === 'postinstall'), text);
    assert.ok(pushed.findings.some((f) => f.rule === 'credential-sent'), text);
    assert.ok(!pushed.registry.some((f) => f.method === 'PUT'), text);
    assert.equal(pushed.verdict, 'malicious');
    const doc = await (await fetch(`${reg.url}/sbx-dep`)).json();
    assert.deepEqual(Object.keys(doc.versions), ['1.0.0']);
  } finally {
    await reg.stop();
    reg.cleanup();
  }
});
