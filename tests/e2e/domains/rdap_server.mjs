// A loopback RDAP server (RFC 9083 JSON) in a process of its own, so that it answers while the
// test blocks in spawnSync(bulwark ...). Usage: node rdap_server.mjs STATE.json LOG.txt
// STATE.json: {"failing": bool, "domains": {name: RDAP object}}, re-read on every request;
// LOG.txt gets one requested path a line. Prints "rdap listening on PORT".
import { createServer } from 'node:http';
import { readFileSync, appendFileSync } from 'node:fs';

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
server.listen(0, '127.0.0.1', () => console.log(`rdap listening on ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
