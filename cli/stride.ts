// First: its body starts `stride run`'s run process before the rest is evaluated.
import './early-run.js';
import { main } from './main.js';

// `stride summary … | head`: a reader that stops early is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
