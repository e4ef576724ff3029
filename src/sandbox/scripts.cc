// The two programs the sandbox runs as the package's victim (docs/sandbox.md §Phases): the
// driver installs the tarball with npm (lifecycle scripts on), then the loader requires or
// imports each entry point and runs each bin with --help. The loader marks its phase in
// npm_lifecycle_event ("load") exactly as npm marks the scripts', so the recorder has one rule.

namespace bulwark::sandbox {

extern const char kDriverScript[] = R"SH(#!/bin/sh
cd /home/user/project || exit 90
npm install --no-audit --no-fund --no-package-lock --foreground-scripts /.bulwark/in/package.tgz
rc=$?
echo "bulwark-sandbox: npm install exited $rc"
npm_lifecycle_event=load node /.bulwark/in/load.js /home/user/project
exit $rc
)SH";

extern const char kLoaderScript[] = R"JS('use strict';
const fs = require('fs');
const path = require('path');
const cp = require('child_process');
const url = require('url');
const project = process.argv[2];
let deps = {};
try { deps = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8')).dependencies || {}; } catch (e) {}
const name = Object.keys(deps)[0];
if (!name) { console.log('bulwark-sandbox: nothing installed'); process.exit(0); }
const dir = path.join(project, 'node_modules', name);
let pkg = {};
try { pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')); } catch (e) {}
const entries = new Set();
if (typeof pkg.main === 'string') entries.add(pkg.main); else entries.add('index.js');
(function walk(e, depth) {
  if (depth > 6 || e === null || e === undefined) return;
  if (typeof e === 'string') { if (!e.includes('*') && /\.(c|m)?js$|\/$|^[^.]*$/.test(e)) entries.add(e); return; }
  if (Array.isArray(e)) { e.forEach((x) => walk(x, depth + 1)); return; }
  if (typeof e === 'object') for (const k of Object.keys(e).slice(0, 64)) walk(e[k], depth + 1);
})(pkg.exports, 0);
const bins = typeof pkg.bin === 'string' ? { [pkg.name || name]: pkg.bin } : (pkg.bin || {});
(async () => {
  for (const rel of [...entries].slice(0, 32)) {
    const file = path.resolve(dir, rel);
    if (!file.startsWith(dir)) continue;
    try { require(file); console.log('bulwark-sandbox: loaded ' + rel); }
    catch (e) {
      try { await import(url.pathToFileURL(file).href); console.log('bulwark-sandbox: imported ' + rel); }
      catch (e2) { console.log('bulwark-sandbox: cannot load ' + rel + ': ' + String(e2 && e2.code || e2).slice(0, 200)); }
    }
  }
  for (const [bin, rel] of Object.entries(bins).slice(0, 16)) {
    const file = path.resolve(dir, String(rel));
    if (!file.startsWith(dir)) continue;
    const r = cp.spawnSync(process.execPath, [file, '--help'], { timeout: 5000, stdio: 'ignore' });
    console.log('bulwark-sandbox: bin ' + bin + ' --help exited ' + r.status);
  }
  setTimeout(() => process.exit(0), 300).unref();
})();
)JS";

}  // namespace bulwark::sandbox
