/**
 * A growing list of numbers in chunks: one value per layer, for any number of layers. A JavaScript array
 * grown by `push` copies itself to a new store half as large again each time, so a million-layer analysis
 * left hundreds of megabytes of such stores behind, each large enough to make the garbage collector mark the
 * whole heap again; a chunk, once made, stays where it is. Chunks are arrays on the heap, not typed arrays:
 * memory outside the heap makes V8 mark the whole heap each time it grows by a few tens of megabytes, which
 * at a million layers is most of the analysis. A chunk that would hold only the column's usual value (most
 * layers keep no extras, need no scratch, sit in no checkpoint) is not made.
 *
 * The first 32,768 layers are kept in chunks of 2,048; the layers after them in chunks of 32,768, which V8
 * puts in its large-object space (over 128 KiB). A large object that survives a young-generation collection
 * is promoted with its page instead of copied: a small network's columns cost little, and a large one's are
 * not copied by each collection it lives through (measured at 100k layers: 10 MB of columns).
 */

const BITS = 11;
const BIG_BITS = 15;
/** The first layer kept in a large chunk; large chunk k (k ≥ 1) holds layers k·2^15 … (k+1)·2^15 − 1. */
const SPLIT = 1 << BIG_BITS;
/** Where large chunk k sits in `chunks`: after the SPLIT >> BITS small ones. */
const BIG_BASE = (SPLIT >> BITS) - 1;

/**
 * The chunk holding layer i. Every chunk's size is a power of two and it starts at a multiple of it, so the
 * layer's place in its chunk is `i & (chunk.length - 1)`.
 */
function chunkOf(i: number): number {
  return i < SPLIT ? i >> BITS : (i >> BIG_BITS) + BIG_BASE;
}

/** The first layer of chunk c. */
function startOf(c: number): number {
  return c <= BIG_BASE ? c << BITS : (c - BIG_BASE) << BIG_BITS;
}

function sizeOf(c: number): number {
  return c <= BIG_BASE ? 1 << BITS : 1 << BIG_BITS;
}

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
    const chunk = this.chunks[chunkOf(i)];
    return chunk === undefined ? this.usual : chunk[i & (chunk.length - 1)];
  }

  set(i: number, v: number): void {
    const c = chunkOf(i);
    let chunk = this.chunks[c];
    if (chunk === undefined) {
      if (v === this.usual) return;
      while (this.chunks.length < c) this.chunks.push(undefined);
      chunk = this.chunks[c] = new Array<number>(sizeOf(c)).fill(this.usual);
    }
    chunk[i & (chunk.length - 1)] = v;
  }

  add(i: number, v: number): void {
    if (v !== 0) this.set(i, this.get(i) + v);
  }

  /** The values as one array of `type`. */
  to<T extends Float64Array | Int32Array | Uint8Array>(type: { new (n: number): T }): T {
    const out = new type(this.size);
    if (this.usual !== 0) out.fill(this.usual);
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      const from = startOf(c);
      if (chunk === undefined || from >= this.size) continue;
      out.set(from + chunk.length <= this.size ? chunk : chunk.slice(0, this.size - from), from);
    }
    return out;
  }
}
