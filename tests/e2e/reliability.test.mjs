// Crash safety: SIGKILL the server at random points during a stream of publishes, then check
// with `bulwark fsck` and with npm that every acknowledged publish survived and nothing partial
// is visible; re-sending the in-flight publishes must succeed (npm retries after errors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Client, tarGz, publishBody, putJson, makePackage, out, tempDir } from './harness.mjs';

// Deterministic pseudo-random delays, so a failure can be replayed.
let seed = Number(process.env.CRASH_SEED || 20261123);
function rand() { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; }

const ROUNDS = Number(process.env.CRASH_ROUNDS || 10);

test(`SIGKILL during publishes, ${ROUNDS} rounds: fsck clean, acknowledged versions kept`, async (t) => {
  const reg = new Registry();
  await reg.start();
  const user = reg.addUser('alice');
  const token = await reg.token(user);
  const acknowledged = new Set();
  const bodies = new Map();
  let next = 0;
  let retried = 0;
  try {
    for (let round = 0; round < ROUNDS; ++round) {
      if (round > 0) await reg.start();
      // Re-send what was in flight when the last server died: must now succeed.
      for (const [v, body] of bodies) {
        if (acknowledged.has(v)) continue;
        const r = await putJson(`${reg.url}/crashy`, body, token);
        assert.equal(r.status, 201, `retry of ${v}: ${JSON.stringify(r.body)}`);
        acknowledged.add(v);
        ++retried;
      }
      let stop = false;
      const workers = [0, 1, 2].map(async () => {
        while (!stop) {
          const v = `1.${next++}.0`;
          const manifest = { name: 'crashy', version: v };
          // Some weight in each tarball so that writes take a little while.
          const tarball = tarGz({ 'package/package.json': JSON.stringify(manifest),
            'package/data.bin': Buffer.alloc(64 * 1024, v) });
          const body = publishBody(manifest, tarball);
          bodies.set(v, body);
          try {
            const r = await putJson(`${reg.url}/crashy`, body, token);
            if (r.status === 201) acknowledged.add(v);
          } catch { return; }  // The server died mid-request.
        }
      });
      await new Promise((r) => setTimeout(r, 30 + rand() * 400));
      await reg.stop('SIGKILL');
      stop = true;
      await Promise.all(workers);

      const fsck = reg.cli(['fsck']);
      assert.equal(fsck.status, 0, `round ${round}: fsck\n${fsck.stdout}${fsck.stderr}`);
      assert.match(fsck.stdout, /0 problems/);
    }
    await reg.start();
    const doc = await (await fetch(`${reg.url}/crashy`)).json();
    for (const v of acknowledged) assert.ok(doc.versions[v], `acknowledged ${v} is present`);
    assert.ok(acknowledged.size >= ROUNDS, `made progress: ${acknowledged.size} publishes`);
    t.diagnostic(`${ROUNDS} kills, ${acknowledged.size} publishes acknowledged, ${retried} in-flight publishes re-sent after restart`);

    // The clients agree: npm installs the latest version with its integrity checked.
    const cli = new Client(reg, token);
    const app = makePackage(join(tempDir(), 'app'), { name: 'app', version: '0.0.0', private: true });
    const r = cli.npm(['install', 'crashy'], { cwd: app });
    assert.equal(r.status, 0, out(r));
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json')));
    assert.equal(lock.packages['node_modules/crashy'].integrity, doc.versions[doc['dist-tags'].latest].dist.integrity);
    cli.cleanup();
  } finally {
    await reg.stop();
    reg.cleanup();
  }
});
