// Containment test: tries to reach a listener the test opened on the host's loopback (port
// 47123) and the host's usual gateway addresses.
const net = require('net');
const targets = [['127.0.0.1', 47123], ['10.0.2.2', 47123], ['172.17.0.1', 47123], ['::1', 47123]];
let left = targets.length;
for (const [host, port] of targets) {
  const s = net.connect({ host, port, timeout: 1500 });
  const done = (what) => { console.log(host + ':' + port + ' ' + what); s.destroy(); if (--left === 0) process.exit(0); };
  s.on('connect', () => { s.write('escaped\n'); done('connected'); });
  s.on('error', (e) => done(e.code));
  s.on('timeout', () => done('timeout'));
}
