/**
 * A growing list of numbers in chunks of fixed size: one value per layer, for any number of layers. A
 * JavaScript array grown by `push` copies itself to a new store half as large again each time, so a
 * million-layer analysis left hundreds of megabytes of such stores behind, each large enough to make the
 * garbage collector mark the whole heap again; a chunk, once made, stays where it is. Chunks are arrays on
 * the heap, not typed arrays: memory outside the heap makes V8 mark the whole heap each time it grows by a
 * few tens of megabytes, which at a million layers is most of the analysis.
 */

const BITS = 11;
const CHUNK = 1 << BITS;
const MASK = CHUNK - 1;

export class Column {
  private readonly chunks: number[][] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(v: number): void {
    const c = this.size >> BITS;
    if (c === this.chunks.length) this.chunks.push(new Array<number>(CHUNK).fill(0));
    this.chunks[c][this.size & MASK] = v;
    this.size++;
  }

  get(i: number): number {
    return this.chunks[i >> BITS][i & MASK];
  }

  set(i: number, v: number): void {
    this.chunks[i >> BITS][i & MASK] = v;
  }

  add(i: number, v: number): void {
    this.chunks[i >> BITS][i & MASK] += v;
  }

  /** The values as one array of `type`. */
  to<T extends Float64Array | Int32Array | Uint8Array>(type: { new (n: number): T }): T {
    const out = new type(this.size);
    for (let c = 0; c < this.chunks.length; c++) {
      const from = c << BITS;
      const chunk = this.chunks[c];
      out.set(from + CHUNK <= this.size ? chunk : chunk.slice(0, this.size - from), from);
    }
    return out;
  }
}
