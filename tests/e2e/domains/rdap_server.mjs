// A loopback RDAP server (RFC 9083 JSON) in a process of its own, so that it answers while the
// test blocks in spawnSync(bulwark ...). Usage: node rdap_server.mjs STATE.json LOG.txt
// STATE.json: {"failing": bool, "domains": {name: RDAP object}}, re-read on every request;
// LOG.txt gets one requested path a line. Prints "rdap listening on PORT".
// Also a broken DNS server on UDP that answers every query SERVFAIL (RCODE 2): prints
// "servfail listening on PORT" (dnsmasq forwards servfail.test there).
import { createServer } from 'node:http';
import { readFileSync, appendFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';

const [stateFile, logFile] = process.argv.slice(2);
const server = createServer((req, res) => {
  appendFileSync(logFile, req.url + '\n');
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/rdap+json' });
    res.end(JSON.stringify(body));
  };
  if (state.failing) return send(503, { errorCode: 503, title: 'Service Unavailable' });
  const m = req.url.match(/^\/domain\/([^/?]+)$/);
  const obj = m && state.domains[decodeURIComponent(m[1]).toLowerCase()];
  if (!obj) return send(404, { errorCode: 404, title: 'Not Found', rdapConformance: ['rdap_level_0'] });
  return send(200, obj);
});
const dns = createSocket('udp4');
dns.on('message', (msg, from) => {
  if (msg.length < 12) return;
  const reply = Buffer.from(msg);
  reply[2] = 0x80 | (msg[2] & 0x79);  // QR, keep opcode and RD
  reply[3] = 0x80 | 2;                // RA, RCODE 2 SERVFAIL
  reply.writeUInt16BE(0, 6);          // no answers,
  reply.writeUInt16BE(0, 8);          // no authority,
  reply.writeUInt16BE(0, 10);         // no additional records (an EDNS OPT is dropped)
  const question = questionEnd(msg);
  dns.send(question > 0 ? reply.subarray(0, question) : reply.subarray(0, 12), from.port, from.address);
});
// End offset of the first question (name, type, class), or -1.
function questionEnd(msg) {
  let i = 12;
  while (i < msg.length && msg[i] !== 0) i += msg[i] + 1;
  return i + 5 <= msg.length ? i + 5 : -1;
}
dns.bind(0, '127.0.0.1', () => {
  console.log(`servfail listening on ${dns.address().port}`);
  server.listen(0, '127.0.0.1', () => console.log(`rdap listening on ${server.address().port}`));
});
process.on('SIGTERM', () => { dns.close(); server.close(() => process.exit(0)); });
