#!/usr/bin/env node
console.log("plain --help");
