// Prints the first capture of REGEX in the newest mail (JSON written by smtp_server.py) once DIR
// holds at least MIN messages; waits up to 20 s. For pty_run.py's "!command" answers.
// usage: node mail_code.mjs DIR MIN REGEX
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, min, re] = process.argv.slice(2);
const deadline = Date.now() + 20000;
for (;;) {
  let files = [];
  try { files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort(); } catch {}
  if (files.length >= Number(min)) {
    for (const f of files.reverse()) {
      const m = JSON.parse(readFileSync(join(dir, f), 'utf8')).text.match(new RegExp(re));
      if (m) { console.log(m[1]); process.exit(0); }
    }
  }
  if (Date.now() > deadline) { console.log('NO-MAIL'); process.exit(1); }
  await new Promise((r) => setTimeout(r, 100));
}
