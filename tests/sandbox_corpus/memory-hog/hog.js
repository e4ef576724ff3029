// Containment test: allocates until refused (RLIMIT_AS).
const keep = [];
try { for (let i = 0; i < 4096; i++) keep.push(Buffer.alloc(16 << 20, 1)); } catch (e) { console.log('refused after ' + keep.length * 16 + ' MB'); }
process.exit(0);
