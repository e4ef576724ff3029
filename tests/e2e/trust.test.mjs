// End-to-end: trusted publishing (docs/trusted-publishing.md, npm-registry-api.md §9.1-9.2).
// The stock npm CLI links a package to a CI identity (`npm trust gitlab|github|list|revoke`),
// then publishes "from CI": npm sees GITLAB_CI / GITHUB_ACTIONS with the id token in
// NPM_ID_TOKEN, exchanges it at /-/npm/v1/oidc/token/exchange/package/<name> and publishes with
// the short-lived token it gets back. The OIDC issuer is a loopback server with keys made here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry, Client, makePackage, out, tempDir } from './harness.mjs';
import { makeKey, sign, gitlabClaims, githubClaims } from './oidc/jwt.mjs';

const here = dirname(fileURLToPath(import.meta.url));
let reg, issuerProc, issuerUrl, jwksFile, work, alice, aliceToken, owner;
let gitlabKey, githubKey;
const PKG = 'ci-widget';
let version = 0;

function writeJwks(docs) { writeFileSync(jwksFile, JSON.stringify(docs)); }

before(async () => {
  work = tempDir('bulwark-trust-');
  jwksFile = join(work, 'jwks.json');
  gitlabKey = makeKey('RS256');
  githubKey = makeKey('ES256');
  writeJwks({ '/gitlab': { keys: [gitlabKey.jwk] }, '/github': { keys: [githubKey.jwk] } });
  issuerProc = spawn(process.execPath, [join(here, 'oidc', 'issuer_server.mjs'), jwksFile],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => {
    let buf = '';
    issuerProc.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/listening on (\d+)/);
      if (m) resolve(m[1]);
    });
  });
  issuerUrl = `http://127.0.0.1:${port}`;
  reg = await new Registry({ config: [
    'trusted_publishing:',
    '  issuers:',
    `    gitlab: ${issuerUrl}/gitlab`,
    '    github:',
    `      - issuer: ${issuerUrl}/github`,
    `        jwks_url: ${issuerUrl}/github/jwks`,
    '  jwks_min_refetch_seconds: 2',
    '',
  ].join('\n') }).start();
  alice = reg.addUser('alice');
  aliceToken = await reg.token(alice);
  owner = new Client(reg, aliceToken);
  const r = owner.npm(['publish'], { cwd: pkg('1.0.0') });
  assert.equal(r.status, 0, out(r));
});

after(async () => {
  await reg.stop();
  issuerProc.kill();
  owner.cleanup();
  rmSync(work, { recursive: true, force: true });
  reg.cleanup();
});

function pkg(v, name = PKG) {
  return makePackage(join(work, `${name}-${v}-${Math.random().toString(36).slice(2)}`),
    { name, version: v, repository: { type: 'git', url: 'https://gitlab.example.test/grp/proj.git' } });
}

// `npm publish` in a CI job: no stored credentials, only the id token in the environment.
function ciPublish(token, { provider = 'gitlab', name = PKG, v } = {}) {
  const ci = new Client(reg);
  const ver = v || `1.0.${++version}`;
  const env = provider === 'gitlab'
    ? { GITLAB_CI: 'true', NPM_ID_TOKEN: token }
    : { GITHUB_ACTIONS: 'true', NPM_ID_TOKEN: token };
  const r = ci.npm(['publish', '--loglevel', 'verbose'], { cwd: pkg(ver, name), env });
  ci.cleanup();
  return { ...r, ver };
}

async function api(method, path, token) {
  const res = await fetch(`${reg.url}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const glIssuer = () => `${issuerUrl}/gitlab`;
const ghIssuer = () => `${issuerUrl}/github`;
const exchangeFailure = (r) => (r.stderr.match(/Failed token exchange request with body message: (.*)/) || [])[1];

let gitlabTrustId;

test('npm trust gitlab / github / list: owners link the package to CI identities', () => {
  let r = owner.npm(['trust', 'gitlab', PKG, '--project', 'grp/proj', '--file', '.gitlab-ci.yml',
    '--allow-publish', '--yes'], { cwd: work });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /Trust configuration created successfully/, out(r));
  gitlabTrustId = r.stdout.match(/id: ([0-9a-f-]{36})/)[1];
  r = owner.npm(['trust', 'github', PKG, '--repo', 'octo/widget', '--file', 'release.yml',
    '--env', 'production', '--allow-publish', '--yes'], { cwd: work });
  assert.equal(r.status, 0, out(r));
  r = owner.npm(['trust', 'list', PKG], { cwd: work });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /type: gitlab/);
  assert.match(r.stdout, /project: grp\/proj/);
  assert.match(r.stdout, /file: \.gitlab-ci\.yml/);
  assert.match(r.stdout, /type: github/);
  assert.match(r.stdout, /repository: octo\/widget/);
  assert.match(r.stdout, /environment: production/);
  assert.match(r.stdout, /permissions: publish/);
});

test('only owners may list or change trusted publishers; granular tokens may not', async () => {
  const bob = reg.addUser('bob');
  const bobCli = new Client(reg, await reg.token(bob));
  let r = bobCli.npm(['trust', 'list', PKG], { cwd: work });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /only owners of ci-widget may see or change its trusted publishers/, out(r));
  r = bobCli.npm(['trust', 'gitlab', PKG, '--project', 'evil/proj', '--file', '.gitlab-ci.yml', '--allow-publish', '--yes'], { cwd: work });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /403/, out(r));
  bobCli.cleanup();
});

test('GitLab CI: npm publish exchanges the id token and publishes with no stored secret', async () => {
  const token = sign(gitlabKey, gitlabClaims(glIssuer()));
  const r = ciPublish(token);
  assert.equal(r.status, 0, out(r));
  assert.match(r.stderr, /oidc Successfully retrieved and set token/, out(r));
  const doc = await api('GET', `/${PKG}`);
  assert.ok(doc.body.versions[r.ver], 'the CI version is served');
  // The exchanged token: limited to the package, at most 15 minutes, issued to the owner.
  const tokens = await api('GET', '/-/npm/v1/tokens', aliceToken);
  const tp = tokens.body.objects.filter((t) => /trusted publishing/.test(t.name || ''));
  assert.equal(tp.length, 1, JSON.stringify(tokens.body));
  const life = Date.parse(tp[0].expires) - Date.parse(tp[0].created);
  assert.ok(life > 0 && life <= 15 * 60 * 1000, `lifetime ${life} ms`);
  // The event log says which CI identity published.
  const events = await api('GET', '/-/bulwark/v1/events', aliceToken);
  assert.match(JSON.stringify(events.body), /oidc\.exchanged.*project_path:grp\/proj/);
});

test('the exchanged token publishes only the linked package', async () => {
  const res = await fetch(`${reg.url}/-/npm/v1/oidc/token/exchange/package/${PKG}`, {
    method: 'POST', headers: { authorization: `Bearer ${sign(gitlabKey, gitlabClaims(glIssuer()))}`, 'npm-command': 'publish' } });
  assert.equal(res.status, 201);
  const { token } = await res.json();
  const ci = new Client(reg, token);
  const r = ci.npm(['publish'], { cwd: pkg('1.0.0', 'other-package') });
  ci.cleanup();
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /403|not allowed|only/i, out(r));
});

test('GitHub Actions (ES256 key): workflow file and environment must match', () => {
  let r = ciPublish(sign(githubKey, githubClaims(ghIssuer(), { environment: 'production' })), { provider: 'github' });
  assert.equal(r.status, 0, out(r));
  r = ciPublish(sign(githubKey, githubClaims(ghIssuer(), { environment: 'staging' })), { provider: 'github' });
  assert.notEqual(r.status, 0);
  assert.match(exchangeFailure(r), /environment "staging" is not "production"/, out(r));
  r = ciPublish(sign(githubKey, githubClaims(ghIssuer(), { environment: 'production', file: 'other.yml' })), { provider: 'github' });
  assert.notEqual(r.status, 0);
  assert.match(exchangeFailure(r), /workflow "octo\/widget\/.github\/workflows\/other.yml" is not/, out(r));
});

test('bad tokens fail with a reason npm shows at --loglevel verbose', () => {
  const now = Math.floor(Date.now() / 1000);
  const forgedKey = makeKey('RS256', gitlabKey.kid);  // Same kid, attacker's key.
  const cases = [
    ['forged signature', sign(forgedKey, gitlabClaims(glIssuer())), /signature does not verify/],
    ['expired', sign(gitlabKey, gitlabClaims(glIssuer(), { now: now - 3600 })), /has expired/],
    ['wrong audience', sign(gitlabKey, gitlabClaims(glIssuer(), { aud: 'npm:registry.example.test' })), /audience is not "npm:127\.0\.0\.1"/],
    ['wrong repository', sign(gitlabKey, gitlabClaims(glIssuer(), { project: 'evil/proj' })), /project "evil\/proj" is not "grp\/proj"/],
    ['wrong pipeline file', sign(gitlabKey, gitlabClaims(glIssuer(), { file: 'other.yml' })), /pipeline .* is not grp\/proj\/\/\.gitlab-ci\.yml/],
    ['alg none', sign(gitlabKey, gitlabClaims(glIssuer()), { alg: 'none' }), /algorithm "none" is not accepted/],
    ['HS256 keyed with the public key', sign(gitlabKey, gitlabClaims(glIssuer()), { alg: 'HS256' }), /algorithm "HS256" is not accepted/],
    ['unknown issuer', sign(gitlabKey, gitlabClaims('http://127.0.0.1:1/evil')), /issuer "http:\/\/127\.0\.0\.1:1\/evil" is not trusted/],
    ['not yet valid', sign(gitlabKey, gitlabClaims(glIssuer(), { nbf: now + 3600 })), /not valid yet/],
    ['no jti', sign(gitlabKey, gitlabClaims(glIssuer(), { jti: undefined })), /has no jti/],
    ['garbage', 'not.a.jwt', /not base64url|not a JSON object/],
  ];
  for (const [what, token, why] of cases) {
    const r = ciPublish(token);
    assert.notEqual(r.status, 0, `${what} must not publish: ${out(r)}`);
    assert.match(exchangeFailure(r) || '', why, `${what}: ${out(r)}`);
    // npm falls back to "no credentials" after a failed exchange.
    assert.match(r.stderr, /ENEEDAUTH|need auth/, `${what}: ${out(r)}`);
  }
});

test('a replayed id token is refused (jti guard)', () => {
  const token = sign(gitlabKey, gitlabClaims(glIssuer()));
  let r = ciPublish(token);
  assert.equal(r.status, 0, out(r));
  r = ciPublish(token);
  assert.notEqual(r.status, 0);
  assert.match(exchangeFailure(r), /already exchanged \(jti replay\)/, out(r));
});

test('key rotation: an unknown kid makes the registry refetch the JWKS once', async () => {
  const before = (await (await fetch(`${issuerUrl}/stats`)).json())['/gitlab'] || 0;
  const rotated = makeKey('ES256');
  await new Promise((r) => setTimeout(r, 2100));  // Past jwks_min_refetch_seconds.
  writeJwks({ '/gitlab': { keys: [gitlabKey.jwk, rotated.jwk] }, '/github': { keys: [githubKey.jwk] } });
  const r = ciPublish(sign(rotated, gitlabClaims(glIssuer())));
  assert.equal(r.status, 0, out(r));
  const afterRotation = (await (await fetch(`${issuerUrl}/stats`)).json())['/gitlab'];
  assert.equal(afterRotation, before + 1, 'one refetch for the new kid');
  // Made-up kids right after do not make the registry hammer the issuer (rate limit).
  for (let i = 0; i < 3; i++) {
    const bogus = makeKey('RS256');
    const res = await fetch(`${reg.url}/-/npm/v1/oidc/token/exchange/package/${PKG}`, {
      method: 'POST', headers: { authorization: `Bearer ${sign(bogus, gitlabClaims(glIssuer()))}` } });
    assert.equal(res.status, 401);
    assert.match((await res.json()).message, /no key .* in the issuer's JWKS/);
  }
  const afterBogus = (await (await fetch(`${issuerUrl}/stats`)).json())['/gitlab'];
  assert.equal(afterBogus, afterRotation, 'no refetch within the rate limit');
});

test('npm trust revoke: the link stops working at once', () => {
  let r = owner.npm(['trust', 'revoke', PKG, '--id', gitlabTrustId], { cwd: work });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /Revoked trusted configuration/, out(r));
  r = ciPublish(sign(gitlabKey, gitlabClaims(glIssuer())));
  assert.notEqual(r.status, 0);
  assert.match(exchangeFailure(r), /no trusted publisher of ci-widget matches this token/, out(r));
  r = owner.npm(['trust', 'list', PKG], { cwd: work });
  assert.doesNotMatch(r.stdout, /type: gitlab/, out(r));
});

test('with 2FA on the account, npm trust needs a one-time password', async () => {
  const api2 = async (body) => {
    const res = await fetch(`${reg.url}/-/npm/v1/user`, { method: 'POST',
      headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const code = (offset = 0) => execFileSync('oathtool', ['--totp', '-b', '--now',
    new Date(Date.now() + offset * 1000).toISOString().replace('T', ' ').replace(/\..*/, ' UTC'), secret], { encoding: 'utf8' }).trim();
  const start = await api2({ tfa: { mode: 'auth-only', password: alice.password } });
  assert.equal(start.status, 200, JSON.stringify(start.body));
  const secret = new URL(start.body.tfa).searchParams.get('secret');
  assert.equal((await api2({ tfa: [code(-30)] })).status, 200);
  const args = ['trust', 'gitlab', PKG, '--project', 'grp/proj', '--file', '.gitlab-ci.yml', '--allow-publish', '--yes'];
  let r = owner.npm(args, { cwd: work });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /EOTP|one-time password/, out(r));
  r = owner.npm([...args, `--otp=${code()}`], { cwd: work });
  assert.equal(r.status, 0, out(r));
  assert.match(r.stdout, /Trust configuration created successfully/, out(r));
});
