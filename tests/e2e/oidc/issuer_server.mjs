// A loopback OIDC issuer for the trusted-publishing suite, run as a child process so it keeps
// answering while the test blocks in spawnSync(npm). It serves, for every issuer path P in the
// JSON file named by argv[2] ({"/gitlab": {"keys": [...]}, ...}):
//   P/.well-known/openid-configuration  ->  {issuer: <origin>P, jwks_uri: <origin>P/jwks}
//   P/jwks                              ->  the JWKS, re-read from the file on every request
// (so the test rotates keys by rewriting the file), and counts fetches at /stats.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const file = process.argv[2];
const fetches = {};
const server = createServer((req, res) => {
  const docs = JSON.parse(readFileSync(file, 'utf8'));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const url = new URL(req.url, origin);
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/stats') return send(200, fetches);
  for (const [path, jwks] of Object.entries(docs)) {
    if (url.pathname === `${path}/.well-known/openid-configuration`) {
      return send(200, { issuer: origin + path, jwks_uri: `${origin}${path}/jwks` });
    }
    if (url.pathname === `${path}/jwks`) {
      fetches[path] = (fetches[path] || 0) + 1;
      return send(200, jwks);
    }
  }
  send(404, { error: 'not found' });
});
server.listen(0, '127.0.0.1', () => console.log(`issuer listening on ${server.address().port}`));
