#!/usr/bin/env node
// The `stride` command: the bundled CLI, built by `npm run build`.
require('../dist/cli.js');
