// Containment test: fills the disk (tmpfs sizes and RLIMIT_FSIZE stop it; at most ~2 GB tried).
const fs = require('fs');
const chunk = Buffer.alloc(8 << 20, 120);
for (const dir of ['/tmp', require('os').homedir()]) {
  let written = 0;
  try {
    for (let i = 0; i < 128; i++) { fs.writeFileSync(dir + '/fill-' + i, chunk); fs.appendFileSync(dir + '/fill-' + i, chunk); written += 16; }
  } catch (e) { console.log(dir + ': stopped after ' + written + ' MB: ' + e.code); }
}
process.exit(0);
