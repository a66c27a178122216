#!/usr/bin/env -S node --max-semi-space-size=64 --no-incremental-marking
// The `stride` command: the bundled CLI, built by `npm run build`. It runs with the language server's V8
// settings (runtime/node-flags.ts ANALYSIS_NODE_FLAGS; test/cli.test.ts checks they agree): a 64 MiB young
// generation and full collections in one pause keep a large network's analysis linear in its size.
require('../dist/cli.js');
