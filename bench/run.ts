/**
 * Benchmarks: `npm run bench`, or `node --import tsx bench/run.ts [--source] [NAME…]` to run only the
 * benchmarks whose names contain one of the words given. The language core is measured bundled with esbuild,
 * as it ships; `--source` measures the TypeScript sources under tsx instead (about a third slower).
 *
 * Every figure is one line `bench: NAME VALUE UNIT`; targets and context are `#` comment lines. A missed
 * target is reported, not a failure: the exit status is non-zero only when a benchmark cannot run at all.
 *
 * To add a benchmark, write a function that prints its figures with `figure` (and its targets with `target`)
 * and add it to BENCHMARKS.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ANALYSIS_NODE_FLAGS } from '../runtime/node-flags.js';
import { bench, consume, figure, loadLanguage, note, target, type Language, type Stats } from './lib.js';
import { editorBenchmarks } from './editor.js';
import { lspBenchmarks } from './lsp.js';
import { runtimeBenchmarks } from './runtime.js';
import { ortMemoryBenchmarks } from './ort-memory.js';
import { webviewBenchmarks } from './webview.js';
import { deepNetwork } from './networks.js';

interface Benchmark {
  name: string;
  run: (language: Language) => void | Promise<void>;
  /** Node flags the benchmark runs under, in a child process: those of the process it stands for. */
  nodeFlags?: readonly string[];
  /** Child runs to take the median of (default 1). */
  rounds?: number;
}

/** Checks the generated text analyses cleanly and has enough layers; returns the layer count. */
function checkNetwork({ analyze }: Language, text: string, target: number): number {
  const a = analyze(text);
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`the generated ${target}-layer network has errors:\n${errors.slice(0, 5).map((d) => `  ${d.code} at ${d.span.start}: ${d.message}`).join('\n')}`);
  }
  const layers = a.networks[0]?.layers.length ?? 0;
  if (layers < target) throw new Error(`the generated network analyses to ${layers} layers, fewer than ${target}`);
  return layers;
}

// ---------------------------------------------------------------------------------------------- benchmarks

function printStats(name: string, s: Stats): void {
  figure(`${name}-median`, s.median, 'ms');
  figure(`${name}-p95`, s.p95, 'ms');
}

/**
 * Parse and analysis of a whole file: the cost of one keystroke in the editor. Each size runs in a fresh
 * process, so neither measures the heap the other left behind.
 */
function analyseNetwork(size: number): (language: Language) => void {
  const tag = `${size / 1000}k`;
  return (language) => {
    const { analyze, parse } = language;
    const text = deepNetwork(size);
    const layers = checkNetwork(language, text, size);
    note(`${tag} network: ${layers} layers, ${text.split('\n').length} lines`);
    const big = size >= 10_000;
    if (size === 1_000) printStats(`parse-${tag}-layers`, bench(`parse-${tag}-layers`, () => parse(text), { iterations: 200, warmup: 20, maxMs: 2_000 }));
    const s = bench(`analyse-${tag}-layers`, () => analyze(text), big ? { iterations: 100, warmup: 30, maxMs: 6_000 } : { iterations: 500, warmup: 50, maxMs: 6_000 });
    note(`iterations: ${s.iterations}`);
    printStats(`analyse-${tag}-layers`, s);
    figure(`analyse-${tag}-layers-mean`, s.mean, 'ms');
    if (size === 1_000) target(`analyse-${tag}-layers-median`, s.median, '<', 10, 'ms');
  };
}

/**
 * The 10k-layer analysis under the V8 flags the `stride` command runs with (the first line of bin/stride.js),
 * to be set against the same analysis under the language server's flags (`analyse-10k`): the CLI once ran
 * it without them, 1.8× slower.
 */
function cliFlags(): string[] {
  const first = readFileSync(new URL('../bin/stride.js', import.meta.url), 'utf8').split('\n')[0];
  return first.replace(/^#!.*?\bnode\b/, '').split(/\s+/).filter(Boolean);
}

function analyseUnderCliFlags(language: Language): void {
  const text = deepNetwork(10_000);
  checkNetwork(language, text, 10_000);
  note(`the stride command's V8 flags: ${cliFlags().join(' ') || '(none)'}`);
  const s = bench('analyse-10k-layers-cli', () => language.analyze(text), { iterations: 100, warmup: 30, maxMs: 6_000 });
  figure('analyse-10k-layers-cli-mean', s.mean, 'ms');
}

/** The CLI's 10k analysis over the language server's, from the medians of their rounds. */
function cliOverServer(rounds: Map<string, number>[]): void {
  const of = (name: string) => median(rounds.map((r) => r.get(name)).filter((v): v is number => v !== undefined));
  const cli = of('analyse-10k-layers-cli-mean');
  const server = of('analyse-10k-layers-mean');
  if (cli === undefined || server === undefined) return;
  figure('analyse-10k-cli-over-server-ratio', cli / server, 'x');
  target('analyse-10k-cli-over-server-ratio', cli / server, '<=', 1.15, 'x');
}

/**
 * Growth with size, measured in one process: analyses of two sizes interleaved (ten 1k and one 10k per
 * cycle, then two 10k and one 20k), so that both run on the same compiled code and share the same garbage
 * collector. Separate processes compile the analyser differently from run to run (their absolute times
 * differ by up to half), which says nothing about growth. Means, not medians: a large analysis pays for
 * garbage collection in most runs, a small one in few.
 */
function growthRound(language: Language): void {
  const texts = new Map([1_000, 10_000, 20_000].map((size) => [size, deepNetwork(size)]));
  for (const [size, text] of texts) checkNetwork(language, text, size);
  const pair = (small: number, large: number) => {
    const ratio = interleaved(language, texts.get(small)!, texts.get(large)!, large / small);
    note(`${small / 1000}k and ${large / 1000}k interleaved, ${ratio.cycles} cycles: means ${ratio.small.toFixed(3)} and ${ratio.large.toFixed(2)} ms`);
    figure(`analyse-growth-${large / 1000}k-over-${small / 1000}k`, ratio.large / ratio.small, 'x');
  };
  pair(1_000, 10_000);
  pair(10_000, 20_000);
}

/**
 * Growth to a million layers, in one process: 10k and 100k interleaved (ten to one), then 100k and 1M, the
 * same way; and what an analysis keeps per layer while its result is held (heap and memory outside it, after
 * a full collection), at 100k and 1M.
 */
function millionRound(language: Language): void {
  const texts = new Map([10_000, 100_000, 1_000_000].map((size) => [size, deepNetwork(size)]));
  for (const [size, text] of texts) checkNetwork(language, text, size);
  const ratios = [
    [10_000, 100_000, 10_000],
    [100_000, 1_000_000, 20_000],
  ] as const;
  for (const [small, large, ms] of ratios) {
    const r = interleaved(language, texts.get(small)!, texts.get(large)!, 10, ms, large === 1_000_000 ? 1 : 10);
    const tag = (n: number) => (n === 1_000_000 ? '1m' : `${n / 1000}k`);
    note(`${tag(small)} and ${tag(large)} interleaved, ${r.cycles} cycles: means ${r.small.toFixed(2)} and ${r.large.toFixed(1)} ms`);
    figure(`analyse-${tag(large)}-layers-mean`, r.large, 'ms');
    figure(`analyse-${tag(large)}-over-${tag(small)}-ratio`, r.large / r.small, 'x');
    target(`analyse-${tag(large)}-over-${tag(small)}-ratio`, r.large / r.small, '<=', 11, 'x');
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  // With nothing kept from the runs before, and collected twice: what this analysis alone keeps.
  const used = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  for (const size of [100_000, 1_000_000]) {
    consume(undefined);
    const before = used();
    const a = language.analyze(texts.get(size)!);
    const layers = a.networks[0].layers.length;
    const bytes = used() - before;
    consume(a);
    figure(`analyse-${size === 1_000_000 ? '1m' : '100k'}-retained-per-layer`, bytes / layers, 'bytes');
  }
}

/** Mean times of a small and a large analysis, `times` small ones per large one, for `ms` (after `warmup` cycles). */
function interleaved({ analyze }: Language, small: string, large: string, times: number, ms = 4_000, warmup = 10): { small: number; large: number; cycles: number } {
  const sums = { small: 0, large: 0 };
  let cycles = 0;
  const run = (text: string, key: 'small' | 'large', timed: boolean) => {
    consume(undefined);
    const t0 = performance.now();
    consume(analyze(text));
    if (timed) sums[key] += performance.now() - t0;
  };
  const cycle = (timed: boolean) => {
    for (let i = 0; i < times; i++) run(small, 'small', timed);
    run(large, 'large', timed);
  };
  for (let i = 0; i < warmup; i++) cycle(false);
  const end = performance.now() + ms;
  while (performance.now() < end) {
    cycle(true);
    cycles++;
  }
  return { small: sums.small / (cycles * times), large: sums.large / cycles, cycles };
}

/** The median round's growth ratios, so a burst of load on the machine during one round does not decide them. */
function growth(rounds: Map<string, number>[]): void {
  const of = (name: string) => median(rounds.map((r) => r.get(name)).filter((v): v is number => v !== undefined));
  const tenfold = of('analyse-growth-10k-over-1k');
  if (tenfold !== undefined) {
    figure('analyse-10k-over-1k-ratio', tenfold, 'x');
    target('analyse-10k-over-1k-ratio', tenfold, '<=', 12, 'x');
  }
  const twofold = of('analyse-growth-20k-over-10k');
  if (twofold !== undefined) figure('analyse-20k-over-10k-ratio', twofold, 'x');
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const BENCHMARKS: Benchmark[] = [
  { name: 'analyse-1k', run: analyseNetwork(1_000), nodeFlags: ANALYSIS_NODE_FLAGS, rounds: 3 },
  { name: 'analyse-10k', run: analyseNetwork(10_000), nodeFlags: ANALYSIS_NODE_FLAGS, rounds: 3 },
  { name: 'analyse-10k-cli', run: analyseUnderCliFlags, nodeFlags: cliFlags(), rounds: 3 },
  { name: 'analyse-20k', run: analyseNetwork(20_000), nodeFlags: ANALYSIS_NODE_FLAGS },
  { name: 'analyse-growth', run: growthRound, nodeFlags: ANALYSIS_NODE_FLAGS, rounds: 3 },
  { name: 'analyse-million', run: millionRound, nodeFlags: [...ANALYSIS_NODE_FLAGS, '--expose-gc'], rounds: 3 },
  ...lspBenchmarks,
  ...editorBenchmarks,
  ...runtimeBenchmarks,
  ...ortMemoryBenchmarks,
  ...webviewBenchmarks,
];

/** Figures derived from several benchmarks' figures, one map per round, printed once all have run. */
const DERIVED: ((rounds: Map<string, number>[]) => void)[] = [growth, cliOverServer];

/** Runs one benchmark in a child node with its flags; returns its output, or undefined to run it here. */
function runInChild(b: Benchmark, source: boolean): string | undefined {
  const flags = b.nodeFlags ?? [];
  if (flags.every((f) => process.execArgv.includes(f))) return undefined;
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...flags, ...process.execArgv, script, `=${b.name}`, ...(source ? ['--source'] : [])], { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
  return r.stdout;
}

function figuresOf(output: string): Map<string, number> {
  const figures = new Map<string, number>();
  for (const m of output.matchAll(/^bench: (\S+) (\S+) \S+$/gm)) figures.set(m[1], Number(m[2]));
  return figures;
}

/**
 * Benchmarks that run in child processes, round-robin for as many rounds as they ask: their notes are
 * printed from the first round, their figures as the median over rounds.
 */
function runChildren(children: Benchmark[], source: boolean, rounds: Map<string, number>[]): void {
  const count = Math.max(...children.map((b) => b.rounds ?? 1));
  const outputs = new Map<string, string[]>();
  for (let r = 0; r < count; r++) {
    const round = new Map<string, number>();
    for (const b of children) {
      if (r >= (b.rounds ?? 1)) continue;
      const out = runInChild(b, source) ?? '';
      outputs.set(b.name, [...(outputs.get(b.name) ?? []), out]);
      for (const [k, v] of figuresOf(out)) round.set(k, v);
    }
    rounds.push(round);
  }
  for (const b of children) {
    const runs = outputs.get(b.name) ?? [];
    note(`${b.name}: node ${(b.nodeFlags ?? []).join(' ')} (as the language server runs)${runs.length > 1 ? `, median of ${runs.length} runs` : ''}`);
    for (const line of runs[0]?.split('\n') ?? []) if (line.startsWith('#') && !line.includes('target:') && !line.startsWith('# node v')) console.log(line);
    const names = [...figuresOf(runs[0] ?? '').keys()];
    for (const name of names) {
      const values = runs.map((o) => figuresOf(o).get(name)).filter((v): v is number => v !== undefined);
      const unit = /^bench: \S+ \S+ (\S+)$/m.exec((runs[0] ?? '').split('\n').find((l) => l.startsWith(`bench: ${name} `)) ?? '')?.[1] ?? 'ms';
      figure(name, median(values)!, unit);
    }
    for (const line of runs[0]?.split('\n') ?? []) if (line.includes('target:')) reTarget(line, runs);
  }
}

/** A child's target line, re-judged on the median figure. */
function reTarget(line: string, runs: string[]): void {
  const m = /target: (\S+) (<|≤) (\S+) (\S+)/.exec(line);
  if (!m) return;
  const values = runs.map((o) => figuresOf(o).get(m[1])).filter((v): v is number => v !== undefined);
  target(m[1], median(values)!, m[2] === '<' ? '<' : '<=', Number(m[3]), m[4]);
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const source = args.includes('--source');
  // `=NAME` picks one benchmark exactly: how a child process is told which one to run.
  const only = args.filter((a) => !a.startsWith('--'));
  const chosen = only.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => only.some((w) => (w.startsWith('=') ? b.name === w.slice(1) : b.name.includes(w))));
  if (chosen.length === 0) {
    console.error(`no benchmark matches ${only.join(' ')}; there are: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const { language, described } = await loadLanguage(source ? 'source' : 'bundle');
  note(`node ${process.version}, ${process.platform}/${process.arch}; measuring ${described}`);
  const inChild = (b: Benchmark) => !(b.nodeFlags ?? []).every((f) => process.execArgv.includes(f));
  const rounds: Map<string, number>[] = [];
  const children = chosen.filter(inChild);
  if (children.length > 0) runChildren(children, source, rounds);
  for (const b of chosen.filter((b) => !inChild(b))) {
    note(b.name);
    try {
      await b.run(language);
    } catch (e) {
      console.error(`benchmark ${b.name} failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    }
  }
  for (const derive of DERIVED) derive(rounds);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
