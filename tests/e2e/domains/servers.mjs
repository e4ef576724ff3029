// Loopback servers for the expired-domain monitor's tests (docs/email-domains.md): Debian's
// dnsmasq with test zones, and an RDAP server (RFC 9083 JSON) whose answers a test can change.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSocket } from 'node:dgram';

const here = dirname(fileURLToPath(import.meta.url));

// A UDP port free right now on 127.0.0.1 (dnsmasq binds UDP and TCP on it).
export async function freeUdpPort() {
  const s = createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// Zones under .test (RFC 6761): every name not listed is NXDOMAIN (--local=/test/).
//  healthy.test   MX 10 mx.healthy.test (an A record)
//  implicit.test  no MX, an A record: its own implicit MX (RFC 5321 §5.1)
//  nullmx.test    MX 0 "." (RFC 7505), written as raw RDATA: preference 0, root name
//  nomx.test      exists (TXT only): no MX, no A/AAAA
//  expired.test, pending.test, rereg.test: healthy in DNS; RDAP decides
//  servfail.test  forwarded to `deadUpstream`, a server answering SERVFAIL (rdap_server.mjs)
export async function startDnsmasq({ deadUpstream } = {}) {
  const args = ['--keep-in-foreground', '--no-resolv', '--no-hosts', '--no-poll',
    '--conf-file=/dev/null', '--pid-file=', '--listen-address=127.0.0.1', '--bind-interfaces',
    '--local=/test/', '--log-facility=-',
    '--mx-host=healthy.test,mx.healthy.test,10', '--host-record=mx.healthy.test,127.0.0.10',
    '--host-record=implicit.test,127.0.0.11',
    '--dns-rr=nullmx.test,15,000000',
    '--txt-record=nomx.test,no mail here'];
  for (const d of ['expired.test', 'pending.test', 'rereg.test']) {
    args.push(`--mx-host=${d},mx.healthy.test,10`);
  }
  if (deadUpstream) args.push(`--server=/servfail.test/127.0.0.1#${deadUpstream}`);
  if (process.getuid && process.getuid() === 0) args.push('--user=root');
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort();
    const proc = spawn('dnsmasq', [...args, `--port=${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    proc.stderr.on('data', (d) => { log += d; });
    proc.stdout.on('data', (d) => { log += d; });
    const ok = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(true), 500);  // Still running: listening.
      proc.once('exit', () => { clearTimeout(timer); resolve(false); });
    });
    if (ok) {
      return {
        port, proc, log: () => log,
        async stop() {
          if (proc.exitCode !== null) return;
          const done = new Promise((r) => proc.once('exit', r));
          proc.kill('SIGTERM');
          await done;
        },
      };
    }
    if (!/Address already in use/.test(log)) throw new Error(`dnsmasq did not start: ${log}`);
  }
  throw new Error('dnsmasq: no free port');
}

export function rdapDomain(name, { registered, expires, status = ['active'] }) {
  return {
    objectClassName: 'domain', ldhName: name.toUpperCase(), handle: `${name}-TEST`,
    rdapConformance: ['rdap_level_0'], status,
    events: [
      { eventAction: 'registration', eventDate: registered },
      { eventAction: 'expiration', eventDate: expires },
      { eventAction: 'last changed', eventDate: registered },
      { eventAction: 'last update of RDAP database', eventDate: new Date().toISOString() },
    ],
    entities: [{ objectClassName: 'entity', roles: ['registrar'], vcardArray: ['vcard', [['fn', {}, 'text', 'Test Registrar']]] }],
  };
}

// Starts rdap_server.mjs in a child process (the test blocks in spawnSync while bulwark asks it).
// `domains`: name -> RDAP object; unknown names are 404. Set `failing` / `domains` with update().
export async function startRdap(domains) {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-rdap-'));
  const stateFile = join(dir, 'state.json');
  const logFile = join(dir, 'requests.txt');
  const state = { domains, failing: false };
  const save = () => writeFileSync(stateFile, JSON.stringify(state));
  save();
  writeFileSync(logFile, '');
  const proc = spawn(process.execPath, [join(here, 'rdap_server.mjs'), stateFile, logFile],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const [port, servfailPort] = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/rdap listening on (\d+)/);
      const f = out.match(/servfail listening on (\d+)/);
      if (m && f) resolve([Number(m[1]), Number(f[1])]);
    });
    proc.once('exit', (code) => reject(new Error(`rdap server exited ${code}`)));
  });
  return {
    port,
    servfailPort,
    url: `http://127.0.0.1:${port}/`,
    set failing(v) { state.failing = v; save(); },
    requests: () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean),
    clearRequests: () => writeFileSync(logFile, ''),
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
