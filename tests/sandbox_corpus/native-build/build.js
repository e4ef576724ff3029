// Benign: a node-gyp-like build that compiles a tiny C file when a compiler exists.
const cp = require('child_process');
const fs = require('fs');
const path = require('path');
fs.mkdirSync(path.join(__dirname, 'build'), { recursive: true });
const cc = cp.spawnSync('cc', ['-O2', '-o', path.join(__dirname, 'build', 'hello'), path.join(__dirname, 'hello.c')], { stdio: 'inherit' });
if (cc.error || cc.status !== 0) { console.log('no compiler: using the JavaScript fallback'); process.exit(0); }
console.log(cp.execFileSync(path.join(__dirname, 'build', 'hello'), { encoding: 'utf8' }));
