// Containment test: leaves a detached process behind (it must be reported and killed).
const cp = require('child_process');
const child = cp.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'bulwark-test-daemon'], { detached: true, stdio: 'ignore' });
child.unref();
console.log('daemon ' + child.pid);
