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
    $name = "shai-hulud" nocase
    $name2 = "Sha1-Hulud" nocase
    $migrate = "Shai-Hulud Migration"
    $proc = "/tmp/processor.sh"
    $mig = "/tmp/migrate-repos.sh"
    $truffle = "trufflehog" nocase
    $bun1 = "setup_bun.js"
    $bun2 = "bun_environment.js"
  condition:
    ($name or $name2 or $migrate) and 1 of ($proc, $mig, $truffle, $bun1, $bun2)
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
    $cert = "certutil" nocase
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
    $copay = "copayapi" nocase
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
    $drop = "WITH-LOVE-FROM-AMERICA" nocase
    $dep = "peacenotwar"
    $heart = { E2 9D A4 EF B8 8F }
    $geo = "ipgeolocation" nocase
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
    $stratum = /stratum\+(tcp|ssl):\/\/[a-z0-9.-]+/
    $xmrig = "xmrig" nocase
    $donate = "--donate-level"
    $pool = /\b(minexmr|nanopool|supportxmr|moneroocean|hashvault|xmrpool|c3pool)\.(com|org|net|pro|stream)/ nocase
  condition:
    $stratum or ($xmrig and $donate) or ($pool and $donate)
}

rule reverse_shell
{
  meta:
    rule_id = "sig-reverse-shell"
    severity = "critical"
    verdict = "hold"
    explanation = "Opens a reverse shell (a shell whose input and output go to a remote socket)."
  strings:
    $bash = /bash\s+-i\s*>&\s*\/dev\/tcp\//
    $nc = /\bnc(at)?\s+(-e|-c)\s+\/bin\/(ba)?sh/
    $node = /\.pipe\(\s*\w+\.stdin\s*\)[^\n]{0,200}\.stdout\.pipe\(\s*\w+\s*\)/
    $sh = "child_process" 
    $sock = "new net.Socket"
  condition:
    $bash or $nc or ($node and $sh and $sock)
}
