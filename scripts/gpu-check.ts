/**
 * `npm run gpu-check`: on a machine with an NVIDIA GPU and the CUDA provider libraries (`stride setup-gpu`), runs every
 * example on CUDA and on the CPU with the same weights and input, and compares the outputs. Not part of CI.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../language/index.js';
import { exportNetwork } from '../runtime/export.js';
import { runModel } from '../runtime/run.js';
import { cliGpuHome, installedCuda } from '../runtime/gpu-install.js';

const root = join(__dirname, '..');
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.stride')).sort();

async function main(): Promise<number> {
  let failures = 0;
  for (const file of examples) {
    const a = analyze(readFileSync(join(root, 'examples', file), 'utf8'));
    for (const net of a.networks) {
      const model = exportNetwork(a, net, { seed: 7 });
      const count = model.input.shape.reduce((x, d) => x * d, 2);
      const input = { dims: [2, ...model.input.shape], data: Float32Array.from({ length: count }, (_, i) => ((i * 7919) % 1000) / 1000) };
      let gpu;
      try {
        gpu = await runModel(model, input, { provider: 'cuda', iterations: 5, cuda: installedCuda(cliGpuHome()) });
      } catch (e) {
        console.error(`${file} ${net.name}: ${(e as Error).message}`);
        return 2;
      }
      const cpu = await runModel(model, input, { provider: 'cpu', iterations: 1 });
      const g = gpu.outputs[0].data;
      const c = cpu.outputs[0].data;
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < c.length; i++) {
        worst = Math.max(worst, Math.abs(g[i] - c[i]));
        scale = Math.max(scale, Math.abs(c[i]));
      }
      // TF32 and different convolution algorithms on the GPU: agreement to 1e-2 of the output's scale.
      const ok = g.length === c.length && worst <= 1e-2 * Math.max(1, scale);
      if (!ok) failures++;
      const p50 = [...gpu.timings.runsMs].sort((x, y) => x - y)[Math.floor(gpu.timings.runsMs.length / 2)];
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${file} ${net.name}: max |cuda − cpu| ${worst.toExponential(2)} (output scale ${scale.toExponential(2)}), cuda p50 ${p50.toFixed(2)} ms at batch 2 [${gpu.reason}]`);
    }
  }
  console.log(failures === 0 ? 'gpu-check: all outputs agree' : `gpu-check: ${failures} network(s) disagree`);
  return failures === 0 ? 0 : 1;
}

void main().then((code) => (process.exitCode = code));
