/**
 * A small benchmark harness. Every figure is printed as one line `bench: NAME VALUE UNIT`, so tools can pick
 * the figures out of the output with a regular expression; everything else printed starts with `#`.
 */

export interface Stats {
  name: string;
  /** Timed runs (after the warm-up). */
  iterations: number;
  /** Milliseconds. */
  min: number;
  median: number;
  mean: number;
  p95: number;
  max: number;
}

export interface BenchOptions {
  /** Timed runs; fewer when `maxMs` runs out first (but never fewer than `minIterations`). */
  iterations: number;
  /** Untimed runs first, so the JIT has compiled the hot paths. Default: a tenth of `iterations`, at least 3. */
  warmup?: number;
  /** Stop timing after this many milliseconds in all. Default: no limit. */
  maxMs?: number;
  /** Default 5. */
  minIterations?: number;
}

/** The q-quantile (0–1) of sorted values, interpolated between neighbours. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** Keeps a value alive so that the engine cannot drop the work that made it. */
let sink: unknown;
export function consume(value: unknown): void {
  sink = value;
}
export function sinkValue(): unknown {
  return sink;
}

/** Times `fn` and returns its statistics in milliseconds. `fn`'s result is consumed (kept until the next run). */
export function bench(name: string, fn: () => unknown, options: BenchOptions | number): Stats {
  const o: BenchOptions = typeof options === 'number' ? { iterations: options } : options;
  const warmup = o.warmup ?? Math.max(3, Math.ceil(o.iterations / 10));
  for (let i = 0; i < warmup; i++) consume(fn());
  const samples: number[] = [];
  const minIterations = Math.min(o.iterations, o.minIterations ?? 5);
  const start = performance.now();
  for (let i = 0; i < o.iterations; i++) {
    // The previous result is dropped before the next run, as the language server drops a document's previous
    // analysis when its text changes: keeping it would double what the garbage collector finds alive.
    consume(undefined);
    const t0 = performance.now();
    consume(fn());
    samples.push(performance.now() - t0);
    if (o.maxMs !== undefined && samples.length >= minIterations && performance.now() - start > o.maxMs) break;
  }
  samples.sort((a, b) => a - b);
  return {
    name,
    iterations: samples.length,
    min: samples[0],
    median: quantile(samples, 0.5),
    mean: samples.reduce((s, v) => s + v, 0) / samples.length,
    p95: quantile(samples, 0.95),
    max: samples[samples.length - 1],
  };
}

/** Rounds to three significant figures (at most three decimals) for printing. */
export function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const digits = Math.max(0, Math.min(3, 2 - Math.floor(Math.log10(Math.abs(value)))));
  return Number(value.toFixed(digits));
}

/** Prints one figure: `bench: NAME VALUE UNIT`. Names are kebab-case and contain no spaces. */
export function figure(name: string, value: number, unit: string): void {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`bench name ${JSON.stringify(name)} is not kebab-case`);
  if (/\s/.test(unit) || unit === '') throw new Error(`bench unit ${JSON.stringify(unit)} must be one word`);
  console.log(`bench: ${name} ${round(value)} ${unit}`);
}

/** Prints a comment line (targets, context); never starts with `bench:`. */
export function note(text: string): void {
  for (const line of text.split('\n')) console.log(`# ${line}`);
}

/** Prints whether a figure meets its target, as a comment: targets are information, not failures. */
export function target(name: string, value: number, op: '<' | '<=', limit: number, unit: string): boolean {
  const ok = op === '<' ? value < limit : value <= limit;
  note(`target: ${name} ${op === '<' ? '<' : '≤'} ${limit} ${unit} — ${ok ? 'met' : 'MISSED'} (${round(value)} ${unit})`);
  return ok;
}

export type Language = typeof import('../language/index.js');

/**
 * The language core to measure. By default it is bundled with esbuild first, as the CLI and the extension
 * ship it: run from source under tsx, every function carries esbuild's `keepNames` wrapper, which makes
 * the analyser about a third slower than what users run. `source` measures the TypeScript under tsx instead.
 */
export async function loadLanguage(mode: 'bundle' | 'source'): Promise<{ language: Language; described: string }> {
  if (mode === 'source') return { language: await import('../language/index.js'), described: 'language/ from source under tsx' };
  const [{ build }, { mkdtempSync, writeFileSync, rmSync }, { tmpdir }, { join }, { fileURLToPath, pathToFileURL }] = await Promise.all([
    import('esbuild'),
    import('node:fs'),
    import('node:os'),
    import('node:path'),
    import('node:url'),
  ]);
  const entry = fileURLToPath(new URL('../language/index.ts', import.meta.url));
  const out = await build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'esm', write: false, logLevel: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'stride-bench-'));
  const file = join(dir, 'language.mjs');
  writeFileSync(file, out.outputFiles[0].text);
  try {
    return { language: (await import(pathToFileURL(file).href)) as Language, described: 'language/ bundled with esbuild (as shipped)' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
