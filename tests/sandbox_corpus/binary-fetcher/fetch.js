// Benign: downloads a prebuilt binary and falls back gracefully when offline (like esbuild's or
// sharp's installers). Defanged: a reserved host name.
const https = require('https');
const req = https.get('https://downloads.example.test/tool-linux-x64.tar.gz', { timeout: 2000 }, (res) => { res.resume(); });
req.on('error', (e) => { console.log('prebuilt binary unavailable (' + e.code + '): using the fallback'); process.exit(0); });
req.on('timeout', () => { req.destroy(); });
