import { Codes, MAX_DIAGNOSTICS, type Diagnostic, type Severity } from '../base/diagnostics.js';
import { formatCount } from '../base/format.js';
import { Elaborator } from './elaborate.js';
import { DEFAULT_NCHWC_BLOCK, inferenceMemory, RUN_ITERATIONS } from './inference.js';
import type { ElaboratedNetwork } from './layer.js';
import { KEPT_PROBLEMS } from '../syntax/lexer.js';
import { budgetDiagnostic, DEFAULT_MEMORY, memory, type Memory, type MemoryOptions } from './memory.js';
import { findOp } from '../ops/index.js';
import { parse } from '../syntax/parser.js';
import { KEYWORDS, type BlockDecl, type SourceFile } from '../syntax/syntax.js';

export interface NetworkAnalysis extends ElaboratedNetwork {
  memory: Memory;
}

export interface Analysis {
  text: string;
  file: SourceFile;
  blocks: Map<string, BlockDecl>;
  networks: NetworkAnalysis[];
  /** Syntax and analysis diagnostics, in source order. */
  diagnostics: Diagnostic[];
  options: MemoryOptions;
}

/** Distinct problems the analysis remembers for deduplication at most, once it keeps no more of them. */
const MAX_SEEN = 100_000;

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** Parses and analyses a whole file. Never throws: every problem is a diagnostic. */
export function analyze(text: string, options: Partial<MemoryOptions> = {}): Analysis {
  const opts: MemoryOptions = { ...DEFAULT_MEMORY, ...options };
  const parsed = parse(text);
  const diagnostics = [...parsed.diagnostics];
  // Problems counted but not kept, and the worst of them: a file of junk must not cost memory per problem.
  let omitted = parsed.omitted;
  let omittedSeverity: Severity = omitted > 0 ? 'error' : 'info';
  let kept = 0;
  const seen = new Set<string>();
  // A block called many times would repeat its diagnostics; one per place and message is enough.
  const report = (d: Diagnostic) => {
    const key = `${d.code}:${d.span.start}:${d.span.end}:${d.message}`;
    if (seen.has(key)) return;
    if (kept < KEPT_PROBLEMS) {
      seen.add(key);
      kept++;
      diagnostics.push(d);
      return;
    }
    if (seen.size < MAX_SEEN) seen.add(key);
    omitted++;
    if (RANK[d.severity] > RANK[omittedSeverity]) omittedSeverity = d.severity;
  };
  const blocks = collectBlocks(parsed.file, report);
  const elaborator = new Elaborator(text, blocks, report, parsed.file.statements);
  const networks: NetworkAnalysis[] = [];
  const names = new Map<string, { start: number; end: number }>();
  for (const decl of parsed.file.decls) {
    if (decl.kind !== 'network') continue;
    if (decl.name) {
      const first = names.get(decl.name.name);
      if (first) report({ code: Codes.duplicateName, severity: 'error', message: `a network named ${decl.name.name} is already defined`, span: decl.name, related: [{ span: first, message: 'first defined here' }] });
      else names.set(decl.name.name, decl.name);
    }
    const { net, timeline } = elaborator.network(decl);
    const t = net.totals;
    // A statement the parser could not read is missing from the totals.
    if (parsed.diagnostics.some((d) => d.severity === 'error' && d.span.start >= decl.start && d.span.start < decl.end)) t.complete = false;
    const m = memory(t, timeline, opts, () => inferenceMemory(net.layers, net.output, { batch: opts.batch, block: opts.nchwcBlock ?? DEFAULT_NCHWC_BLOCK, iterations: RUN_ITERATIONS }));
    const inexact = inexactCount(net, m, opts);
    if (inexact) report(inexact);
    const over = t.complete ? budgetDiagnostic({ name: net.name, span: net.decl.name }, m, opts) : undefined;
    if (over) report(over);
    networks.push({ ...net, memory: m });
  }
  diagnostics.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  if (diagnostics.length > MAX_DIAGNOSTICS || omitted > 0) {
    const left = diagnostics.splice(MAX_DIAGNOSTICS);
    for (const d of left) if (RANK[d.severity] > RANK[omittedSeverity]) omittedSeverity = d.severity;
    const more = left.length + omitted;
    const at = left[0]?.span ?? diagnostics[diagnostics.length - 1]?.span ?? { start: 0, end: 0 };
    diagnostics.push({
      code: Codes.tooManyProblems,
      severity: omittedSeverity,
      message: `… and ${formatCount(more)} more problem${more === 1 ? '' : 's'} (Stride shows the first ${MAX_DIAGNOSTICS})`,
      span: { start: at.start, end: at.end },
    });
  }
  return { text, file: parsed.file, blocks, networks, diagnostics, options: opts };
}

/**
 * Past 2^53 a double no longer holds every whole number: a total there would be silently rounded, so it
 * is refused. Below it every partial sum and product is exact, since all terms are whole and positive.
 */
function inexactCount(net: ElaboratedNetwork, m: Memory, o: MemoryOptions): Diagnostic | undefined {
  const t = net.totals;
  const counts: [string, number][] = [['parameters', t.params], ['MACs', t.macs], ['activations', t.activationElements]];
  const past = counts.find(([, v]) => v > Number.MAX_SAFE_INTEGER);
  const span = net.decl.name ?? net.decl.keyword;
  if (past) return { code: Codes.countTooLarge, severity: 'error', message: `network ${net.name} has about ${past[1].toPrecision(4)} ${past[0]}, past 2^53 where Stride can no longer count exactly`, span };
  if (m.training > Number.MAX_SAFE_INTEGER) return { code: Codes.countTooLarge, severity: 'error', message: `at batch ${formatCount(o.batch)} the training memory of ${net.name} is about ${m.training.toPrecision(4)} bytes, past 2^53 (8 PiB) where Stride can no longer count exactly: use a smaller batch`, span };
  return undefined;
}

function collectBlocks(file: SourceFile, report: (d: Diagnostic) => void): Map<string, BlockDecl> {
  const blocks = new Map<string, BlockDecl>();
  for (const decl of file.decls) {
    if (decl.kind !== 'block' || !decl.name) continue;
    const name = decl.name.name;
    const first = blocks.get(name);
    if (first) {
      report({ code: Codes.duplicateName, severity: 'error', message: `a block named ${name} is already defined`, span: decl.name, related: [{ span: first.name!, message: 'first defined here' }] });
      continue;
    }
    if (findOp(name) || (KEYWORDS as readonly string[]).includes(name)) {
      report({ code: Codes.duplicateName, severity: 'error', message: `\`${name}\` is ${findOp(name) ? 'an op' : 'a keyword'}; give the block another name`, span: decl.name });
      continue;
    }
    const params = new Map<string, { start: number; end: number }>();
    for (const p of decl.params) {
      const prev = params.get(p.name.name);
      if (prev) report({ code: Codes.duplicateName, severity: 'error', message: `parameter \`${p.name.name}\` is declared twice`, span: p.name, related: [{ span: prev, message: 'first declared here' }] });
      params.set(p.name.name, p.name);
    }
    blocks.set(name, decl);
  }
  return blocks;
}
