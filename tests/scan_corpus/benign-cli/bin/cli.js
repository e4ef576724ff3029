#!/usr/bin/env node
'use strict';
const { spawnSync } = require('child_process');
const https = require('https');
const fs = require('fs');
const path = require('path');
const os = require('os');

const configFile = path.join(os.homedir(), '.release-notes.json');
const config = fs.existsSync(configFile) ? JSON.parse(fs.readFileSync(configFile, 'utf8')) : {};
const token = process.env.GITHUB_TOKEN || config.token;

function tags() {
  const r = spawnSync('git', ['tag', '--sort=-creatordate'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return r.stdout.split('\n').filter(Boolean);
}

function fetchJson(url, cb) {
  https.get(url, { headers: { 'User-Agent': 'release-notes', Authorization: token ? `token ${token}` : undefined } }, (res) => {
    let body = '';
    res.on('data', (c) => (body += c));
    res.on('end', () => cb(JSON.parse(body)));
  });
}

const [latest] = tags();
fetchJson(`https://api.github.com/repos/${process.argv[2]}/releases/tags/${latest}`, (r) => {
  fs.writeFileSync(path.join(process.cwd(), 'RELEASE_NOTES.md'), r.body || '');
  console.log(Buffer.from(r.body || '', 'utf8').toString('base64').length, 'bytes written');
});
