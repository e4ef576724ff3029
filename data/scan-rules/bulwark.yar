// Bulwark's built-in signature pack (docs/scanning.md). Compiled into the binary; admins add
// their own *.yar files in the folder that `scan.rules_dir` (or `bulwark scan --rules`) names,
// without a rebuild. Meta keys: rule_id, severity (info..critical), verdict (warn|hold|reject),
// explanation. Strings come from public write-ups of each incident (docs/scanning.md cites them).

rule shai_hulud_worm
{
  meta:
    rule_id = "sig-shai-hulud"
    severity = "critical"
    verdict = "reject"
    explanation = "Carries strings of the Shai-Hulud npm worm (token theft with TruffleHog, a planted GitHub workflow, republishing every package the stolen token can publish)."
  strings:
    $name = "shai-hulud"
    $name1 = "Shai-Hulud"
    $name2 = "Sha1-Hulud"
    $migrate = "Shai-Hulud Migration"
    $proc = "/tmp/processor.sh"
    $mig = "/tmp/migrate-repos.sh"
    $truffle = "trufflehog"
    $bun1 = "setup_bun.js"
    $bun2 = "bun_environment.js"
  condition:
    ($name or $name1 or $name2 or $migrate) and 1 of ($proc, $mig, $truffle, $bun1, $bun2)
    or ($proc and $truffle)
    or ($bun1 and $bun2)
}

rule ua_parser_coa_rc_2021
{
  meta:
    rule_id = "sig-ua-parser-coa-2021"
    severity = "critical"
    verdict = "reject"
    explanation = "Carries the installer of the 2021 ua-parser-js / coa / rc hijacks (the jsextension miner and the sdd.dll password stealer)."
  strings:
    $miner = "jsextension"
    $dll = "sdd.dll"
    $bat = "compile.bat"
    $cert = "certutil"
  condition:
    ($miner and ($dll or $cert)) or ($dll and ($bat or $cert))
}

rule flatmap_stream_payload
{
  meta:
    rule_id = "sig-flatmap-stream"
    severity = "critical"
    verdict = "reject"
    explanation = "Decrypts a payload keyed on the host application's package description, as flatmap-stream 0.1.1 did to steal Copay wallet keys."
  strings:
    $key = "npm_package_description"
    $dec = "createDecipher"
    $copay = "copayapi"
  condition:
    ($key and $dec) or $copay
}

rule node_ipc_peacenotwar
{
  meta:
    rule_id = "sig-node-ipc-protestware"
    severity = "critical"
    verdict = "reject"
    explanation = "Matches the node-ipc / peacenotwar protestware of 2022 (geo-targeted overwrite of files, a dropped WITH-LOVE-FROM-AMERICA.txt)."
  strings:
    $drop = "WITH-LOVE-FROM-AMERICA"
    $dep = "peacenotwar"
    $heart = { E2 9D A4 EF B8 8F }
    $geo = "ipgeolocation"
  condition:
    $drop or ($heart and $geo) or ($dep and $geo)
}

rule coin_miner
{
  meta:
    rule_id = "sig-coin-miner"
    severity = "high"
    verdict = "hold"
    explanation = "Names a cryptocurrency mining pool or miner configuration."
  strings:
    $stratum1 = "stratum+tcp://"
    $stratum2 = "stratum+ssl://"
    $xmrig = "xmrig"
    $donate = "--donate-level"
    $pool1 = "minexmr.com"
    $pool2 = "nanopool.org"
    $pool3 = "supportxmr.com"
    $pool4 = "moneroocean.stream"
    $pool5 = "hashvault.pro"
    $pool6 = "c3pool.com"
  condition:
    any of ($stratum*) or ($xmrig and $donate) or (any of ($pool*) and $donate)
}

rule reverse_shell
{
  meta:
    rule_id = "sig-reverse-shell"
    severity = "critical"
    verdict = "hold"
    explanation = "Opens a reverse shell (a shell whose input and output go to a remote socket)."
  strings:
    $bash = /bash -i >& ?\/dev\/tcp\//
    $nc1 = "-e /bin/sh"
    $nc2 = "-e /bin/bash"
    $nc3 = "-c /bin/sh"
  condition:
    $bash or (1 of ($nc*) and #nc1 + #nc2 + #nc3 < 5)
}
