import { join } from 'node:path';
import { startEarlyRun } from './early-run.js';
import type * as Main from './main.js';

const argv = process.argv.slice(2);
const early = startEarlyRun(argv);

// `stride summary … | head`: a reader that stops early is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

// The rest of the CLI, beside this bundle, is loaded only once the run process is on its way; by a path
// esbuild leaves as it is.
const { main } = require(join(__dirname, 'cli-main.js')) as typeof Main;
void main(argv, early).then((code) => {
  process.exitCode = code;
});
