{ "targets": [ { "target_name": "fasthash", "sources": [ "src/addon.cc" ] } ] }
