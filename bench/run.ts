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
import { fileURLToPath } from 'node:url';
import { ANALYSIS_NODE_FLAGS } from '../runtime/node-flags.js';
import { bench, figure, loadLanguage, note, target, type Language, type Stats } from './lib.js';
import { editorBenchmarks } from './editor.js';
import { lspBenchmarks } from './lsp.js';
import { runtimeBenchmarks } from './runtime.js';
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
 * Growth from 1k to 10k layers, judged on means: garbage collection runs in a few of the small analyses
 * (a median skips them) but in most of the large ones, so a ratio of medians would compare unlike things.
 * Each round pairs a 1k and a 10k process run back to back; the median round's ratio is reported, so a
 * burst of load on the machine during one run does not decide it.
 */
function growth(rounds: Map<string, number>[]): void {
  const ratio = (r: Map<string, number>, a: string, b: string) => (r.has(a) && r.has(b) ? r.get(a)! / r.get(b)! : undefined);
  const of = (a: string, b: string) => median(rounds.map((r) => ratio(r, a, b)).filter((v): v is number => v !== undefined));
  const tenfold = of('analyse-10k-layers-mean', 'analyse-1k-layers-mean');
  if (tenfold !== undefined) {
    figure('analyse-10k-over-1k-ratio', tenfold, 'x');
    target('analyse-10k-over-1k-ratio', tenfold, '<=', 12, 'x');
  }
  // Past the size whose analysis fits in a core's cache, growth shows without the cache's help.
  const twofold = of('analyse-20k-layers-mean', 'analyse-10k-layers-mean');
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
  { name: 'analyse-20k', run: analyseNetwork(20_000), nodeFlags: ANALYSIS_NODE_FLAGS },
  ...lspBenchmarks,
  ...editorBenchmarks,
  ...runtimeBenchmarks,
  ...webviewBenchmarks,
];

/** Figures derived from several benchmarks' figures, one map per round, printed once all have run. */
const DERIVED: ((rounds: Map<string, number>[]) => void)[] = [growth];

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
