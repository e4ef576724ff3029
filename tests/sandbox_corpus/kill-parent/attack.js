// Containment test: kills its parent (npm) and then every process it may signal.
try { process.kill(process.ppid, 'SIGKILL'); } catch (e) { console.log('ppid: ' + e.code); }
try { process.kill(-1, 'SIGKILL'); } catch (e) { console.log('-1: ' + e.code); }
