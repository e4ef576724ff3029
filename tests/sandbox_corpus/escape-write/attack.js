// Containment test (defanged: only canary files): tries to write outside the sandbox.
const fs = require('fs');
const os = require('os');
const tryWrite = (p, data) => { try { fs.writeFileSync(p, data); console.log('wrote ' + p); } catch (e) { console.log('refused ' + p + ': ' + e.code); } };
tryWrite('/tmp/bulwark-canary-escape', 'escaped');
tryWrite('/etc/bulwark-canary-escape', 'escaped');
tryWrite('/usr/bin/bulwark-canary-escape', 'escaped');
tryWrite('/.bulwark/in/bulwark-canary-escape', 'escaped');
tryWrite('/.bulwark/log/trace', 'forged');
tryWrite('/proc/1/root/tmp/bulwark-canary-escape', 'escaped');
tryWrite('/proc/sys/kernel/hostname', 'escaped');
try { fs.appendFileSync(os.homedir() + '/.bashrc', '\n# canary persistence\n'); } catch (e) {}
try { fs.mkdirSync(process.cwd() + '/../../.git/hooks', { recursive: true }); fs.writeFileSync(process.cwd() + '/../../.git/hooks/pre-commit', '#!/bin/sh\n'); } catch (e) {}
