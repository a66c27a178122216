import { initialiseInto } from './runtime/weights.js';
const n = 25_600_000;
const buf = new Uint8Array(4 * n + 8);
for (const off of [0, 1, 0, 1, 0, 1]) {
  const t0 = performance.now();
  for (let k = 0; k < 50; k++) initialiseInto(buf.subarray(off + 4 * (n / 50) * k, off + 4 * (n / 50) * (k + 1)), 'w' + k, n / 50, { he: 100 }, 0);
  console.log(off, (performance.now() - t0).toFixed(0));
}
