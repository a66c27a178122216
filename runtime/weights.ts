import type { WeightInit } from '../language/ops/types.js';
import { mulberry32 } from './random.js';

/**
 * Seeded weight initialisation: the same seed and name give the same values on every machine, so a run
 * can be repeated and compared (CPU against CUDA).
 */

/** A generator seeded from the seed and the weight's name, so each tensor has its own stream. */
function generator(seed: number, name: string): () => number {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x9e3779b1) >>> 0;
  return mulberry32(h);
}

/** Standard normal values by Box–Muller. */
function normals(count: number, std: number, next: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = Math.max(next(), 1e-12);
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

export function initialise(name: string, count: number, init: WeightInit, seed: number): Float32Array {
  if (init === 'zeros') return new Float32Array(count);
  if (init === 'ones') return new Float32Array(count).fill(1);
  if ('fill' in init) return new Float32Array(count).fill(init.fill);
  if ('values' in init) return Float32Array.from(init.values);
  if ('int64' in init) throw new Error('an int64 constant has no float32 values');
  const next = generator(seed, name);
  // He: std √(2 / fan_in), for ReLU networks; Xavier: std √(2 / (fan_in + fan_out)).
  const std = 'he' in init ? Math.sqrt(2 / init.he) : Math.sqrt(2 / (init.xavier[0] + init.xavier[1]));
  return normals(count, std, next);
}
