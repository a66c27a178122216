import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { analyze } from './language/index.js';
import { exportNetwork } from './runtime/export.js';
const a = analyze(readFileSync('examples/resnet50.stride', 'utf8'));
const net = a.networks[0];
exportNetwork(a, net);
const s = new Session(); s.connect();
s.post('Profiler.enable', () => s.post('Profiler.start', () => {
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) exportNetwork(a, net, { seed: i });
  console.log('mean', ((performance.now() - t0) / 5).toFixed(1));
  s.post('Profiler.stop', (e, r) => writeFileSync('/tmp/rb/exp.cpuprofile', JSON.stringify(r.profile)));
}));
