/** mulberry32: a small, fast, seedable generator of uniform numbers in [0, 1); the same on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random input: uniform values in [0, 1), like a scaled image, from a seed (the CLI's and the editor's). */
export function randomInput(count: number, seed: number): Float32Array {
  const next = mulberry32((seed ^ 0x5eed) >>> 0);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = next();
  return out;
}
