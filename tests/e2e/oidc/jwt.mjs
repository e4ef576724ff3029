// Minting JWTs for the trusted-publishing tests: RS256 / ES256 with keys made in the test, and
// the malformed variants an attacker would try (alg none, HS256 keyed with the public key).
import { generateKeyPairSync, createSign, createHmac, randomUUID } from 'node:crypto';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export function makeKey(alg = 'RS256', kid = randomUUID()) {
  const { publicKey, privateKey } = alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { alg, kid, publicKey, privateKey, jwk };
}

export function sign(key, payload, { header = {}, alg = key.alg } = {}) {
  const h = b64url(JSON.stringify({ alg, typ: 'JWT', kid: key.kid, ...header }));
  const p = b64url(JSON.stringify(payload));
  const input = `${h}.${p}`;
  if (alg === 'none') return `${input}.`;
  if (alg === 'HS256') {
    // The confusion attack: the "secret" is the issuer's public key, which anyone can fetch.
    const secret = key.publicKey.export({ type: 'spki', format: 'pem' });
    return `${input}.${b64url(createHmac('sha256', secret).update(input).digest())}`;
  }
  const s = createSign('SHA256').update(input);
  const sig = alg === 'ES256'
    ? s.sign({ key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    : s.sign(key.privateKey);
  return `${input}.${b64url(sig)}`;
}

// Claims a GitLab CI job's id token carries (docs.gitlab.com ci/secrets/id_token_authentication).
export function gitlabClaims(issuer, { project = 'grp/proj', file = '.gitlab-ci.yml', aud = 'npm:127.0.0.1',
  now = Math.floor(Date.now() / 1000), ...extra } = {}) {
  return {
    iss: issuer, aud, sub: `project_path:${project}:ref_type:branch:ref:main`, jti: randomUUID(),
    iat: now, nbf: now - 5, exp: now + 300, project_path: project, namespace_path: project.split('/')[0],
    ref: 'main', ref_type: 'branch', pipeline_source: 'push',
    ci_config_ref_uri: `gitlab.example.test/${project}//${file}@refs/heads/main`, ...extra,
  };
}

// Claims a GitHub Actions id token carries.
export function githubClaims(issuer, { repo = 'octo/widget', file = 'release.yml', aud = 'npm:127.0.0.1',
  now = Math.floor(Date.now() / 1000), ...extra } = {}) {
  return {
    iss: issuer, aud, sub: `repo:${repo}:ref:refs/heads/main`, jti: randomUUID(), iat: now, nbf: now,
    exp: now + 300, repository: repo, repository_owner: repo.split('/')[0], ref: 'refs/heads/main',
    workflow_ref: `${repo}/.github/workflows/${file}@refs/heads/main`, repository_visibility: 'private',
    ...extra,
  };
}
