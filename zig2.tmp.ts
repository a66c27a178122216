import { initialise } from './runtime/weights.js';
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  for (let j = 0; j < 50; j++) initialise('w' + j, 512000, { he: 100 }, 0);
  console.log(((performance.now() - t0) / 25.6e6 * 1e6).toFixed(2), 'ns/value (initialise)');
}
