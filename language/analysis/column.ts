/**
 * A growing list of numbers in chunks of fixed size: one value per layer, for any number of layers. A
 * JavaScript array grown by `push` copies itself to a new store half as large again each time, so a
 * million-layer analysis left hundreds of megabytes of such stores behind, each large enough to make the
 * garbage collector mark the whole heap again; a chunk, once made, stays where it is. Chunks are arrays on
 * the heap, not typed arrays: memory outside the heap makes V8 mark the whole heap each time it grows by a
 * few tens of megabytes, which at a million layers is most of the analysis. A chunk that would hold only the
 * column's usual value (most layers keep no extras, need no scratch, sit in no checkpoint) is not made.
 */

const BITS = 11;
const CHUNK = 1 << BITS;
const MASK = CHUNK - 1;

export class Column {
  private readonly chunks: (number[] | undefined)[] = [];
  private size = 0;

  /** `usual`: the value of a layer nothing was set for. */
  constructor(private readonly usual = 0) {}

  get length(): number {
    return this.size;
  }

  push(v: number): void {
    this.size++;
    if (v !== this.usual) this.set(this.size - 1, v);
  }

  get(i: number): number {
    const chunk = this.chunks[i >> BITS];
    return chunk === undefined ? this.usual : chunk[i & MASK];
  }

  set(i: number, v: number): void {
    const c = i >> BITS;
    let chunk = this.chunks[c];
    if (chunk === undefined) {
      if (v === this.usual) return;
      while (this.chunks.length < c) this.chunks.push(undefined);
      chunk = this.chunks[c] = new Array<number>(CHUNK).fill(this.usual);
    }
    chunk[i & MASK] = v;
  }

  add(i: number, v: number): void {
    if (v !== 0) this.set(i, this.get(i) + v);
  }

  /** The values as one array of `type`. */
  to<T extends Float64Array | Int32Array | Uint8Array>(type: { new (n: number): T }): T {
    const out = new type(this.size);
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      const from = c << BITS;
      if (chunk === undefined) {
        if (this.usual !== 0) out.fill(this.usual, from, Math.min(from + CHUNK, this.size));
        continue;
      }
      out.set(from + CHUNK <= this.size ? chunk : chunk.slice(0, this.size - from), from);
    }
    if (this.usual !== 0) out.fill(this.usual, this.chunks.length << BITS, this.size);
    return out;
  }
}
