import { readFileSync } from 'node:fs';
import { DEFAULT_NCHWC_BLOCK } from '../language/index.js';

let cached: number | undefined;

/**
 * Channels per block of ONNX Runtime's NCHWc layout on this machine: MLAS picks 16 where the CPU has
 * AVX-512, 8 otherwise (AVX2, and where /proc/cpuinfo cannot be read).
 */
export function nchwcBlock(): number {
  if (cached !== undefined) return cached;
  try {
    cached = /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8')) ? 16 : DEFAULT_NCHWC_BLOCK;
  } catch {
    cached = DEFAULT_NCHWC_BLOCK;
  }
  return cached;
}
