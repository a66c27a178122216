/**
 * Fuzz test for the language core: `analyze` must never throw, must return quickly, and must return
 * well-formed diagnostics and layer facts for any text, however broken.
 *
 * Cases are mutations of the examples (every `.stride` file in examples/) and of a few built-in seed texts.
 * Every case is generated from (seed, case number) alone, so any failure can be replayed:
 *
 *   STRIDE_FUZZ_SEED=<seed> STRIDE_FUZZ_CASE=<n> node --import tsx --test test/fuzz.test.ts
 *
 * Other knobs: STRIDE_FUZZ_CASES (how many cases, default 4000).
 *
 * The cases run in worker threads so that a hang (an endless loop in the analyser) is caught by a watchdog and
 * reported with its input instead of hanging the test run. If a worker cannot be started, they run here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { analyze, Codes, type Analysis } from '../language/index.js';
import { MAX_DIAGNOSTICS } from '../language/base/diagnostics.js';
import { mulberry32 } from '../runtime/random.js';
import { decoded, deepCalls, deepParentheses, deepRepeats, longExpression, randomBytes, randomText, utf16 } from './lib/hostile.js';

// ---------------------------------------------------------------------------------------------- settings

const DEFAULT_SEED = 0x57121de;
const SEED = envInt('STRIDE_FUZZ_SEED') ?? DEFAULT_SEED;
const TOTAL_CASES = envInt('STRIDE_FUZZ_CASES') ?? 4000;
const ONLY_CASE = envInt('STRIDE_FUZZ_CASE');
/**
 * One `analyze` call may take at most this long: generous, as the suite runs test files side by side on two
 * cores, and a text whose repeats or calls multiply expands to the layer limit (1,100,000 layers: about 5 s
 * of a heavy op mix on the machine this was set on) before it stops. On a slower machine the limit is
 * three times what a plain network of that many layers takes there (see `callLimit`), so that it measures
 * growth, not the machine.
 */
const CALL_LIMIT_MS = 12_000;
/** A worker that has not finished a case for this long (beyond the call limit) is stuck. */
const HANG_MARGIN_MS = 8_000;
/** A worker share stops after this many hangs: each one costs the hang time. */
const MAX_HANGS_PER_WORKER = 8;
/** Failures kept per run; the first few are enough to act on. */
const MAX_FAILURES = 20;

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

// ---------------------------------------------------------------------------------------------- PRNG


class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The seed of one case: independent of every other case, so a case can be regenerated on its own. */
function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

// ---------------------------------------------------------------------------------------------- seeds

interface SeedText {
  name: string;
  text: string;
}

/** Built-in seeds: every construct of the language at least once. Used with the examples, or alone. */
const BUILTIN_SEEDS: SeedText[] = [
  {
    name: 'builtin:plain',
    text: `# a plain network
network Plain {
  input 32x32x3
  conv 16 3x3 pad 1          # keeps 32x32
  batchnorm eps 1e-5 momentum 0.1
  relu
  maxpool 2x2 stride 2
  conv 32 3 stride 1 pad (1, 1, 1, 1) dilation 1 groups 1 nobias
  leakyrelu alpha 0.2
  avgpool 2x2 ceil exclude_pad
  dropout 0.5
  flatten
  dense 128; relu
  fc 10
  softmax
}
`,
  },
  {
    name: 'builtin:blocks',
    text: `block Unit(c, k = 3, s = 1) {
  conv c k stride s pad (k - 1) / 2 nobias
  batchnorm
  relu6
}

block Down(c, stride = 2) {
  residual {
    Unit c s stride
    conv c 3x3 pad 1 nobias
    batchnorm
  } shortcut {
    conv c 1x1 stride stride nobias
    batchnorm
  }
  relu
}

network Blocks {
  input 64x64x8
  Unit 16
  Unit 16 k 5
  repeat 2 { Unit c 16 k 3 }
  Down 32
  repeat 3 {
    repeat 2 { conv 32 3x3 pad 1; gelu }
    residual { conv 32 3x3 pad 1; silu } as r
  }
  Down c 64 stride 2
  globalavgpool
  flatten
  linear 10
}
`,
  },
  {
    name: 'builtin:inception',
    text: `block Mix(a, b, c = a * 2) {
  concat {
    branch { conv a 1x1; relu }
    branch { conv b 1x1; relu; conv c 3x3 pad 1; relu }
    branch { maxpool 3x3 stride 1 pad 1; conv a 1x1 }
    branch {}
  }
}

network Inception {
  input 28x28x32
  Mix 16 8
  Mix a 8 b 4 c 12
  concat {
    branch { conv 8 1x1 }
    branch { avgpool 3x3 stride 1 pad same }
  } as m
  adaptiveavgpool 7x7
  globalmaxpool
  flatten
  dense 10
}
`,
  },
  {
    name: 'builtin:skips',
    text: `network Skips {
  input 64x64x3
  conv 16 3x3 pad 1; relu as e1
  maxpool 2x2
  conv 32 3x3 pad 1; relu as e2
  maxpool 2x2
  conv 64 3x3 pad 1; sigmoid
  convtranspose 32 2x2 stride 2 outpad 0
  concat e2
  conv 32 3x3 pad 1
  add e2
  upsample 2 mode bilinear
  conv 16 1x1 as d1
  from e1
  conv 16 3x3 pad 1 dilation 1
  add d1 as out
  concat e1 out
  lrn 5 alpha 1e-4 beta 0.75 k 2
  tanh
}

network Flat {
  input 784
  dense 256 nobias; relu
  dense 10
}
`,
  },
  {
    name: 'builtin:tricky',
    text: `block A(n) { B n }
block B(n) { conv n 1x1 }
block Loop(n) { Loop n }
network Tricky {
  input 17x17x5
  A 4
  repeat 0 { conv 8 3x3 }
  conv 6 3x3 stride 2 as x
  conv 6 1x1 pad valid groups 2
  upsample 2x3 mode nearest
  Loop 2
}
network Empty {}
network {
  input 8x8x1
}
`,
  },
];

function exampleSeeds(): SeedText[] {
  const dir = fileURLToPath(new URL('../examples/', import.meta.url));
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.stride')).sort();
  } catch {
    return [];
  }
  const seeds: SeedText[] = [];
  for (const name of names) {
    try {
      seeds.push({ name: `examples/${name}`, text: readFileSync(dir + name, 'utf8') });
    } catch {
      // unreadable (a directory named *.stride, a file being written): skip it
    }
  }
  return seeds;
}

/** Texts that are not mutations of anything: empty, whitespace, lone punctuation, junk. */
const FIXED_CASES: string[] = [
  '',
  ' ',
  '\n',
  '\r',
  '\r\n\r\n',
  '\t\v\f',
  '\0',
  '{',
  '}',
  '{}',
  '}{',
  '(',
  ')',
  ';',
  '#',
  '# only a comment',
  'network',
  'block',
  'network {',
  'network }',
  'network N',
  'network N {',
  'network N {}',
  'network N { input }',
  'network N { input 0x0x0 }',
  'network N { input -1 }',
  'network N { input 1e308x1e308x1e308 }',
  'network N { input 999999999x999999999x999999999; conv 999999999 999999999 }',
  'network N { input 8x8x1; repeat 999999999 { relu } }',
  'network N { input 8x8x1; repeat 1e308 { repeat 1e308 { relu } } }',
  'network N { input 8x8x1; repeat -1 { relu } }',
  'block B(',
  'block B(a, a = ) {',
  'block B() { B }\nnetwork N { input 4; B }',
  'network N { input 8x8x1; from; as; add; concat }',
  'network N { input 8x8x1 as x; from x; from x; add x x x; concat x x }',
  '\ud800',
  '\udfff',
  '\ud83d\ude00',
  'network \u00e9 { input 1 }',
  'x'.repeat(10_000),
  '{'.repeat(2000),
  '}'.repeat(2000),
  '('.repeat(2000),
  'network N { input 8x8x1; conv 1 ' + '('.repeat(500) + '1' + ')'.repeat(500) + ' }',
  'network N { input 8x8x1; conv 1 ' + '-'.repeat(2000) + '1 }',
  'network N { input 8x8x1; conv 1 1' + ' + 1'.repeat(2000) + ' }',
  'network N {\n' + '  repeat 2 {\n'.repeat(300) + '  relu\n' + '}\n'.repeat(301),
  // a repeat whose body adds no layer (empty, or every statement fails) must not loop its count out
  'network N { input 8x8x1; repeat 1e15 { } }',
  'network N { repeat 999999999 { relu } }',
  'network N { input 8x8x1; repeat 999999999 { from nowhere } }',
  'block E() {}\nnetwork N { input 8x8x1; repeat 999999999 { E } }',
  // receptive fields and sizes that grow without bound
  'network N { input 1x1x1; repeat 1100 { conv 1 3x3 stride 2 pad 1 } }',
  'network N { input 1x1x1; repeat 1100 { maxpool 2x2 ceil } }',
  'network N { input 4x4x1; repeat 600 { convtranspose 1 2x2 stride 2 } }',
  'network N { input 4x4x1; repeat 600 { upsample 2 } }',
  'network N { input 4x4x1; repeat 600 { conv 1 1x1 pad 1 } }',
  'block B0(c) { conv c 1x1 }\n' +
    Array.from({ length: 30 }, (_, i) => `block B${i + 1}(c) { B${i} c; B${i} c }`).join('\n') +
    '\nnetwork N { input 4x4x1; B30 1 }',
  // nesting past every limit, which once overflowed the stack
  deepRepeats(2000),
  deepParentheses(3000),
  deepCalls(3000),
  longExpression(5000),
  'network N { input 8x8x1; conv 1 ' + '-'.repeat(5000) + '1 }',
  'network N { input 8x8x1; conv 1 ' + '(1, '.repeat(3000) + '1' + ')'.repeat(3000) + ' }',
  'block B(c = ' + '('.repeat(3000) + ') {}',
  '{'.repeat(100_000),
  'network N {\n' + '  residual {\n'.repeat(300) + '  relu\n' + '  } shortcut { relu }\n'.repeat(300) + '}\n',
  // files that are not text, or not UTF-8: one diagnostic
  decoded(randomBytes(64 * 1024, 3)),
  decoded(randomBytes(7, 4)),
  decoded(utf16('network N {\n  input 8x8x1\n  relu\n}\n')),
  decoded(utf16('network N {\n  input 8x8x1\n  relu\n}\n', 'BE', false)),
  // more problems than are shown
  randomText(256 * 1024, 5),
  '@\n'.repeat(5000),
  'network N {\n  input 8x8x1\n' + '  branch\n'.repeat(3000) + '}\n',
];

// ---------------------------------------------------------------------------------------------- mutations

/** Token-ish pieces: whitespace runs, words, numbers and dims, comments, single characters. */
const TOKEN_RE = /\s+|#[^\n\r]*|[A-Za-z_][A-Za-z0-9_]*|\d[\d.xeE+-]*|[\s\S]/g;
const NUMBER_RE = /\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:x\d+(?:\.\d+)?)*/gi;

function tokens(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const m of text.matchAll(TOKEN_RE)) out.push({ start: m.index!, end: m.index! + m[0].length });
  return out;
}

/** A random run of 1–maxLen tokens, as a character range. */
function tokenSpan(text: string, rng: Rng, maxLen = 6): { start: number; end: number } {
  const toks = tokens(text);
  if (toks.length === 0) return { start: 0, end: 0 };
  const i = rng.int(0, toks.length - 1);
  const j = Math.min(toks.length - 1, i + rng.int(0, maxLen - 1));
  return { start: toks[i].start, end: toks[j].end };
}

const WORDS = [
  'network', 'block', 'repeat', 'residual', 'shortcut', 'concat', 'branch', 'from', 'as', 'add', 'input',
  'conv', 'convtranspose', 'maxpool', 'avgpool', 'globalavgpool', 'globalmaxpool', 'adaptiveavgpool', 'flatten',
  'dense', 'fc', 'linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'gelu', 'silu', 'leakyrelu', 'softmax',
  'batchnorm', 'dropout', 'lrn', 'upsample', 'stride', 'pad', 'dilation', 'groups', 'nobias', 'ceil',
  'exclude_pad', 'outpad', 'alpha', 'beta', 'k', 'eps', 'momentum', 'mode', 'same', 'valid', 'nearest',
  'bilinear', 'c', 'x', 'n', 'Basic', 'Unit', 'Down', 'Mix', 'e1', 'e2', 'enc1', 'r', 'm', 'constructor',
  '__proto__', 'toString', 'hasOwnProperty', 'prototype', 'NaN', 'Infinity', 'undefined',
];

const NUMBERS = [
  '0', '-1', '1', '2', '3', '999999999', '1e308', '1e309', '-1e308', '1e-308', '5e-324', '0.5', '0.0', '-0',
  '2147483648', '4294967296', '9007199254740993', '1048576', '1048577', '00', '007', '1.', '.5', '1e', '1x',
  '0x0', '1x0', '0x0x0', '999999999x999999999x999999999', '1e308x1e308', '3x3x3x3x3', '1x-1', '2e3x2e3',
  '(0, 0, 0, 0)', '(-1, -1, -1, -1)', '(999999999, 1)', '()', '(1,)', '1/0', '0/0', '7/2', '-(1)', '1--1',
];

const PUNCT = ['{', '}', '{}', '}{', '(', ')', ',', '=', ';', '*', '+', '-', '/', ':', '#', '\\', '"', "'", '`', '.', 'x', '@', '$', '%', '^', '&', '|', '~', '!', '?', '<', '>', '[', ']'];

function junk(rng: Rng): string {
  const kind = rng.int(0, 9);
  const len = rng.int(1, 8);
  let s = '';
  for (let k = 0; k < len; k++) {
    switch (kind) {
      case 0: // binary junk, NUL included
        s += String.fromCharCode(rng.int(0, 31));
        break;
      case 1: // latin-1 and DEL
        s += String.fromCharCode(rng.int(127, 255));
        break;
      case 2: // lone surrogates
        s += String.fromCharCode(rng.chance(0.5) ? rng.int(0xd800, 0xdbff) : rng.int(0xdc00, 0xdfff));
        break;
      case 3: // unicode: BMP letters, combining marks, RTL, BOM, line/paragraph separators, emoji
        s += rng.pick(['é', 'ß', 'λ', '\u0301', '\u200b', '\u200f', '\ufeff', '\u2028', '\u2029', '\u00a0', '×', '😀', '𝟘', '中', '\uffff', '\ufffd']);
        break;
      case 4: // line breaks of every kind
        s += rng.pick(['\r', '\n', '\r\n', '\n\r', '\v', '\f', '\u0085']);
        break;
      case 5:
        s += rng.pick(PUNCT);
        break;
      case 6:
        s += (k > 0 ? ' ' : '') + rng.pick(WORDS);
        break;
      case 7:
        s += (k > 0 ? ' ' : '') + rng.pick(NUMBERS);
        break;
      case 8: // any UTF-16 code unit
        s += String.fromCharCode(rng.int(0, 0xffff));
        break;
      default:
        s += rng.pick(['{', '}', '(', ')', ';', '\n']);
    }
  }
  return s;
}

/**
 * A count for `repeat`. Huge counts expand to the layer limit, which takes the analyser a while even when it
 * behaves: they are rare here (and always in FIXED_CASES) so that the whole run stays within its time.
 */
function repeatCount(rng: Rng): string {
  if (rng.chance(0.01)) return rng.pick(['999999999', '1e308', '9007199254740993', '1e15']);
  return rng.pick(['0', '1', '2', '3', '7', '100', '-1', '1.5', '1e2', 'c', 'n', '2x2', '(2)', '0x0', '']);
}

type Mutator = (text: string, rng: Rng) => string;

const MUTATORS: Record<string, Mutator> = {
  truncate: (t, r) => t.slice(0, r.int(0, t.length)),
  truncateStart: (t, r) => t.slice(r.int(0, t.length)),
  deleteTokens: (t, r) => {
    const s = tokenSpan(t, r);
    return t.slice(0, s.start) + t.slice(s.end);
  },
  duplicateTokens: (t, r) => {
    const s = tokenSpan(t, r);
    const at = r.chance(0.5) ? s.end : r.int(0, t.length);
    return t.slice(0, at) + t.slice(s.start, s.end) + t.slice(at);
  },
  swapTokens: (t, r) => {
    let a = tokenSpan(t, r, 4);
    let b = tokenSpan(t, r, 4);
    if (a.start > b.start) [a, b] = [b, a];
    if (a.end > b.start) return t;
    return t.slice(0, a.start) + t.slice(b.start, b.end) + t.slice(a.end, b.start) + t.slice(a.start, a.end) + t.slice(b.end);
  },
  insertJunk: (t, r) => {
    const at = r.int(0, t.length);
    return t.slice(0, at) + junk(r) + t.slice(at);
  },
  replaceWithJunk: (t, r) => {
    const s = tokenSpan(t, r, 3);
    return t.slice(0, s.start) + junk(r) + t.slice(s.end);
  },
  replaceWord: (t, r) => {
    const words = [...t.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)];
    if (words.length === 0) return t;
    const w = r.pick(words);
    // Another word of the same text (a block's own name makes recursion, a tensor name a forward use)
    // or any word of the language.
    const by = r.chance(0.5) ? r.pick(words)[0] : r.pick(WORDS);
    return t.slice(0, w.index!) + by + t.slice(w.index! + w[0].length);
  },
  braces: (t, r) => {
    const n = r.int(1, 3);
    for (let k = 0; k < n; k++) {
      const braces = [...t.matchAll(/[{}()]/g)];
      if (braces.length > 0 && r.chance(0.5)) {
        const b = r.pick(braces);
        t = t.slice(0, b.index!) + t.slice(b.index! + 1);
      } else {
        const at = r.int(0, t.length);
        t = t.slice(0, at) + r.pick(['{', '}', '(', ')', '{{', '}}']) + t.slice(at);
      }
    }
    return t;
  },
  numbers: (t, r) => {
    const nums = [...t.matchAll(NUMBER_RE)];
    if (nums.length === 0) return t;
    const by = r.pick(NUMBERS);
    const replacement = (at: number, value: string) => (/repeat\s*$/.test(t.slice(Math.max(0, at - 12), at)) ? repeatCount(r) : value);
    if (r.chance(0.15)) return t.replace(NUMBER_RE, (_m, at: number) => replacement(at, r.chance(0.5) ? by : r.pick(NUMBERS)));
    const m = r.pick(nums);
    return t.slice(0, m.index!) + replacement(m.index!, by) + t.slice(m.index! + m[0].length);
  },
  lines: (t, r) => {
    const lines = t.split('\n');
    const i = r.int(0, lines.length - 1);
    switch (r.int(0, 3)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, ...Array<string>(r.int(1, 20)).fill(lines[i]));
        break;
      case 2: {
        const j = r.int(0, lines.length - 1);
        [lines[i], lines[j]] = [lines[j], lines[i]];
        break;
      }
      default:
        lines.splice(r.int(0, lines.length), 0, lines.splice(i, 1)[0]);
    }
    return lines.join('\n');
  },
  lineEndings: (t, r) => t.replace(/\n/g, r.pick(['\r\n', '\r', '\n\n', ';', ' ; ', '\u2028'])),
  wrapRepeat: (t, r) => {
    // Wrap a line range in a (possibly huge) repeat: exercises expansion limits.
    const lines = t.split('\n');
    const i = r.int(0, lines.length - 1);
    const j = Math.min(lines.length, i + r.int(1, 6));
    const n = repeatCount(r);
    lines.splice(j, 0, '}');
    lines.splice(i, 0, `repeat ${n} {`);
    return lines.join('\n');
  },
  deepNesting: (t, r) => {
    // Past MAX_NESTING (256) and the block call limit (32), or just below them.
    const n = r.pick([31, 32, 33, 100, 255, 256, 257, 300, 1000, 3000]);
    const at = r.int(0, t.length);
    switch (r.int(0, 4)) {
      case 0: {
        const lines = t.split('\n');
        const i = r.int(0, lines.length - 1);
        const j = Math.min(lines.length, i + r.int(1, 6));
        lines.splice(j, 0, '}'.repeat(r.chance(0.8) ? n : r.int(0, n)));
        lines.splice(i, 0, `${r.pick(['repeat 2', 'repeat 1', 'residual', 'concat', 'branch'])} {`.repeat(n));
        return lines.join('\n');
      }
      case 1:
        return t.slice(0, at) + '('.repeat(n) + r.pick(['1', 'c', '3x3', '']) + ')'.repeat(r.chance(0.8) ? n : r.int(0, n)) + t.slice(at);
      case 2:
        return t.slice(0, at) + r.pick(['-', '- ', '1 + ', 'c * ', '2 / ']).repeat(n) + '1' + t.slice(at);
      case 3: {
        const chain = Array.from({ length: n }, (_, i) => `block D${i + 1}(c = 1) { D${i} c }`).join('\n');
        return `block D0(c = 1) { conv c 1x1 }\n${chain}\n${t.slice(0, at)}D${n}\n${t.slice(at)}`;
      }
      default:
        return t.slice(0, at) + '{'.repeat(n) + t.slice(at);
    }
  },
  binary: (t, r) => {
    // Bytes that are not UTF-8 text, read as an editor reads them: the whole file, its start, or a part.
    const bytes = decoded(randomBytes(r.pick([1, 16, 300, 4096, 20_000]), r.int(0, 2 ** 30)));
    switch (r.int(0, 2)) {
      case 0:
        return bytes;
      case 1:
        return bytes + t;
      default: {
        const s = tokenSpan(t, r, 8);
        return t.slice(0, s.start) + bytes + t.slice(s.end);
      }
    }
  },
  utf16: (t, r) => {
    // Saved as UTF-16 and read as UTF-8: all of it, or a part pasted into a UTF-8 file.
    const order = r.pick(['LE', 'BE'] as const);
    const bom = r.chance(0.5);
    if (r.chance(0.7)) return decoded(utf16(t, order, bom));
    const s = tokenSpan(t, r, 12);
    return t.slice(0, s.start) + decoded(utf16(t.slice(s.start, s.end), order, bom)) + t.slice(s.end);
  },
  crossover: (t, r) => {
    // Splice in part of another seed text (set by the caller): mixes networks and blocks.
    const other = crossoverSource;
    if (!other) return t;
    const a = r.int(0, other.length);
    const b = Math.min(other.length, a + r.int(0, 400));
    const at = r.int(0, t.length);
    return t.slice(0, at) + other.slice(a, b) + t.slice(at);
  },
};

const MUTATOR_NAMES = Object.keys(MUTATORS);
let crossoverSource = '';

/** Fixed texts are cases 0, FIXED_STRIDE, 2·FIXED_STRIDE, …: spread out, so that slow ones share the work. */
const FIXED_STRIDE = 61;
/** The least number of cases that runs every fixed text. */
const CASES_FOR_FIXED = (FIXED_CASES.length - 1) * FIXED_STRIDE + 1;

function fixedCase(index: number): string | undefined {
  return index % FIXED_STRIDE === 0 ? FIXED_CASES[index / FIXED_STRIDE] : undefined;
}

interface Case {
  index: number;
  description: string;
  text: string;
}

/** Case `index` of the run with `seed`: the same inputs always give the same text. */
function makeCase(seed: number, index: number, seeds: readonly SeedText[]): Case {
  const fixed = fixedCase(index);
  if (fixed !== undefined) return { index, description: `fixed text #${index / FIXED_STRIDE}`, text: fixed };
  const rng = new Rng(caseSeed(seed, index));
  const base = seeds[index % seeds.length];
  crossoverSource = rng.pick(seeds).text;
  let text = base.text;
  const applied: string[] = [];
  const count = rng.chance(0.6) ? 1 : rng.int(2, 5);
  for (let k = 0; k < count; k++) {
    const name = rng.pick(MUTATOR_NAMES);
    text = MUTATORS[name](text, rng);
    applied.push(name);
  }
  return { index, description: `${base.name} with ${applied.join(', ')}`, text };
}

// ---------------------------------------------------------------------------------------------- checks

const KNOWN_CODES = new Set<string>(Object.values(Codes));
const KEBAB = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** Problems with an analysis result; empty when it is well formed. */
function checkAnalysis(text: string, a: Analysis): string[] {
  const problems: string[] = [];
  const n = text.length;
  const spanOk = (s: unknown): boolean => {
    if (!s || typeof s !== 'object') return false;
    const { start, end } = s as { start: unknown; end: unknown };
    return Number.isInteger(start) && Number.isInteger(end) && (start as number) >= 0 && (start as number) <= (end as number) && (end as number) <= n;
  };
  if (!a || typeof a !== 'object') return ['analyze returned no object'];
  if (!Array.isArray(a.diagnostics)) problems.push('diagnostics is not an array');
  else {
    // However many problems a text has, it shows the first MAX_DIAGNOSTICS and one that counts the rest.
    const capped = a.diagnostics.findIndex((d) => d.code === Codes.tooManyProblems);
    if (a.diagnostics.length > MAX_DIAGNOSTICS + 1) problems.push(`${a.diagnostics.length} diagnostics, more than ${MAX_DIAGNOSTICS} and the one that counts the rest`);
    if (capped >= 0 && capped !== MAX_DIAGNOSTICS) problems.push(`the diagnostic that counts the rest is number ${capped}, not ${MAX_DIAGNOSTICS}`);
    if (a.diagnostics.length === MAX_DIAGNOSTICS + 1 && capped < 0) problems.push(`${a.diagnostics.length} diagnostics, the last not counting the rest`);
  }
  if (!Array.isArray(a.networks)) problems.push('networks is not an array');
  for (const d of a.diagnostics ?? []) {
    const where = `diagnostic ${JSON.stringify({ code: d.code, message: d.message, span: d.span })}`;
    if (!spanOk(d.span)) problems.push(`${where}: span is not integer offsets within [0, ${n}] with start <= end`);
    if (typeof d.code !== 'string' || !KEBAB.test(d.code)) problems.push(`${where}: code is not kebab-case`);
    else if (!KNOWN_CODES.has(d.code)) problems.push(`${where}: code is not one of Codes`);
    if (typeof d.message !== 'string' || d.message.trim() === '') problems.push(`${where}: empty message`);
    if (d.severity !== 'error' && d.severity !== 'warning' && d.severity !== 'info') problems.push(`${where}: bad severity ${String(d.severity)}`);
    for (const r of d.related ?? []) {
      if (!spanOk(r.span)) problems.push(`${where}: related span ${JSON.stringify(r.span)} out of range`);
      if (typeof r.message !== 'string' || r.message.trim() === '') problems.push(`${where}: related information with an empty message`);
    }
    for (const f of d.fixes ?? []) {
      if (typeof f.title !== 'string' || f.title.trim() === '') problems.push(`${where}: fix with an empty title`);
      for (const e of f.edits ?? []) {
        if (!spanOk(e.span)) problems.push(`${where}: fix "${f.title}" edits span ${JSON.stringify(e.span)} out of range`);
        if (typeof e.newText !== 'string') problems.push(`${where}: fix "${f.title}" has a non-string newText`);
      }
    }
  }
  for (const net of a.networks ?? []) {
    for (const layer of net.layers) {
      const f = layer.facts;
      if (!f) continue;
      const where = `network ${JSON.stringify(net.name)} layer ${layer.index} (${layer.name})`;
      const num = (label: string, v: unknown, integer = false) => {
        if (v === undefined) return;
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
          problems.push(`${where}: ${label} is ${String(v)}, not a finite non-negative ${integer ? 'integer' : 'number'}`);
        }
      };
      if (!Array.isArray(f.shape) || f.shape.length === 0) problems.push(`${where}: shape ${JSON.stringify(f.shape)} is empty`);
      else {
        f.shape.forEach((d, i) => num(`shape[${i}]`, d, true));
        if (f.shape.some((d) => typeof d === 'number' && Number.isFinite(d) && !Number.isSafeInteger(d))) {
          problems.push(`${where}: shape ${JSON.stringify(f.shape)} has a size past Number.MAX_SAFE_INTEGER`);
        }
      }
      num('params', f.params);
      num('buffers', f.buffers);
      num('unsharedParams', f.unsharedParams);
      num('macs', f.macs);
      for (const k of ['h', 'w', 'jh', 'jw', 'fh', 'fw'] as const) num(`rf.${k}`, f.rf[k]);
      if (problems.length > MAX_FAILURES) return problems;
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------- running

interface Failure {
  index: number;
  description: string;
  text: string;
  problems: string[];
  /** For a throw: a smaller input that throws the same way. */
  minimal?: string;
}

interface RunResult {
  cases: number;
  failures: Failure[];
  slowest: { index: number; ms: number; description: string };
  /** Calls that took over 100 ms. */
  slow: number;
  totalMs: number;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}`;
  return `non-Error thrown: ${String(e)}`;
}

function throws(text: string): string | undefined {
  try {
    analyze(text);
    return undefined;
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
}

/**
 * Shrinks a throwing input while it still throws the same error: removes chunks of half the text, then a
 * quarter, … down to single characters. Bounded by `budget` calls and `maxMs`; `beat` tells the watchdog.
 */
function minimize(text: string, error: string, beat: () => void, budget = 3000, maxMs = 1500): string {
  let best = text;
  let calls = 0;
  const deadline = performance.now() + maxMs;
  const more = () => calls < budget && performance.now() < deadline;
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && more(); chunk >>= 1) {
    let progress = true;
    while (progress && more()) {
      progress = false;
      for (let at = 0; at < best.length && more(); at += chunk) {
        const candidate = best.slice(0, at) + best.slice(at + chunk);
        calls++;
        beat();
        if (throws(candidate) === error) {
          best = candidate;
          progress = true;
          at -= chunk;
        }
      }
    }
  }
  return best;
}

/** Runs cases [from, to) of the run; `progress[0]` holds the case being run and `progress[1]` a heartbeat, for the watchdog. */
function runCases(seed: number, from: number, to: number, seeds: readonly SeedText[], limitMs: number, progress?: Int32Array): RunResult {
  const failures: Failure[] = [];
  let slowest = { index: -1, ms: 0, description: '' };
  let slow = 0;
  const t0 = performance.now();
  for (let i = from; i < to; i++) {
    if (progress) Atomics.store(progress, 0, i);
    const c = makeCase(seed, i, seeds);
    const start = performance.now();
    let result: Analysis | undefined;
    let thrown: unknown;
    let didThrow = false;
    try {
      result = analyze(c.text);
    } catch (e) {
      didThrow = true;
      thrown = e;
    }
    const ms = performance.now() - start;
    if (ms > slowest.ms) slowest = { index: i, ms, description: c.description };
    if (ms > 100) slow++;
    const problems: string[] = [];
    if (didThrow) problems.push(`analyze threw ${errorText(thrown)}`);
    else problems.push(...checkAnalysis(c.text, result!));
    if (ms > limitMs) {
      // Over the limit measured when the run began: measured again now, in case other work on the machine
      // slowed this case (the suite runs test files side by side) and not the analyser.
      if (progress) Atomics.add(progress, 1, 1);
      const now = Math.max(limitMs, callLimit());
      if (ms > now) problems.push(`analyze took ${ms.toFixed(0)} ms (limit ${limitMs.toFixed(0)} ms when the run began, ${now.toFixed(0)} ms measured again after this case)`);
    }
    if (problems.length > 0) {
      const f: Failure = { index: i, description: c.description, text: c.text, problems };
      if (didThrow && failures.filter((x) => x.minimal !== undefined).length < 3) {
        const err = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
        f.minimal = minimize(c.text, err, () => progress && Atomics.add(progress, 1, 1));
      }
      failures.push(f);
      // Enough to act on: stop rather than spend minutes on a badly broken analyser.
      if (failures.length >= MAX_FAILURES) return { cases: i - from + 1, failures, slowest, slow, totalMs: performance.now() - t0 };
    }
  }
  if (progress) Atomics.store(progress, 0, to);
  return { cases: to - from, failures, slowest, slow, totalMs: performance.now() - t0 };
}

function allSeeds(): SeedText[] {
  const examples = exampleSeeds();
  // The built-in seeds always take part: they cover constructs the examples may not (yet).
  return [...examples, ...BUILTIN_SEEDS];
}

function preview(text: string, max = 1500): string {
  const shown = JSON.stringify(text.length > max ? text.slice(0, max) : text);
  return text.length > max ? `${shown} … (${text.length} characters in all)` : shown;
}

function report(seed: number, failures: readonly Failure[]): string {
  const lines = [`${failures.length}${failures.length >= MAX_FAILURES ? '+' : ''} fuzz case(s) failed (seed ${seed}):`];
  for (const f of failures) {
    lines.push('', `case ${f.index} — ${f.description}`, `  replay: STRIDE_FUZZ_SEED=${seed} STRIDE_FUZZ_CASE=${f.index} node --import tsx --test test/fuzz.test.ts`);
    for (const p of f.problems.slice(0, 5)) lines.push(`  ${p.replace(/\n/g, '\n    ')}`);
    if (f.problems.length > 5) lines.push(`  … and ${f.problems.length - 5} more`);
    if (f.minimal !== undefined) lines.push(`  minimal input: ${preview(f.minimal)}`);
    if (f.text !== '' || f.index < CASES_FOR_FIXED) lines.push(`  input: ${preview(f.text)}`);
  }
  return lines.join('\n');
}

/**
 * The call limit here: CALL_LIMIT_MS, or three times what this machine takes to analyse a plain network of
 * the layer limit, had it been linear (a 50,000-layer network timed, best of three, scaled up), when that is
 * more. A text that stops at the limit costs about what such a network does; one that cost more per layer
 * as it grows would go past the limit.
 */
function callLimit(): number {
  const layers = 50_000;
  const text = `network Plain {\n  input 32x32x16\n${'  conv 16 3x3 pad 1 nobias\n  batchnorm\n  relu\n'.repeat(layers / 3)}}\n`;
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    analyze(text);
    best = Math.min(best, performance.now() - t0);
  }
  return Math.max(CALL_LIMIT_MS, 3 * best * (1_100_000 / layers));
}

// ---------------------------------------------------------------------------------------------- workers

interface WorkerJob {
  fuzzWorker: true;
  seed: number;
  from: number;
  to: number;
  seeds: SeedText[];
  /** The call limit on this machine (`callLimit`). */
  limitMs: number;
  progress: SharedArrayBuffer;
}

if (!isMainThread && (workerData as WorkerJob | undefined)?.fuzzWorker) {
  const job = workerData as WorkerJob;
  const result = runCases(job.seed, job.from, job.to, job.seeds, job.limitMs, new Int32Array(job.progress));
  parentPort!.postMessage(result);
}

/**
 * Starts this file in a worker. The worker needs tsx to load TypeScript; under `--import tsx` the worker
 * does not inherit the loader (Node 20), so it registers tsx's require hook itself.
 */
function startWorker(job: WorkerJob): Worker {
  const require = createRequire(import.meta.url);
  const api = require.resolve('tsx/cjs/api');
  const self = fileURLToPath(import.meta.url);
  const code = `require(${JSON.stringify(api)}).register(); require(${JSON.stringify(self)});`;
  return new Worker(code, { eval: true, workerData: job });
}

type Outcome = { kind: 'done'; result: RunResult } | { kind: 'hang'; index: number } | { kind: 'error'; error: unknown; started: boolean };

function runInWorker(job: WorkerJob, hangMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const progress = new Int32Array(job.progress);
    Atomics.store(progress, 0, -1);
    let worker: Worker;
    try {
      worker = startWorker(job);
    } catch (error) {
      resolve({ kind: 'error', error, started: false });
      return;
    }
    let last = -1;
    let lastBeat = 0;
    let lastChange = performance.now();
    let settled = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      resolve(o);
    };
    const timer = setInterval(() => {
      const now = Atomics.load(progress, 0);
      const beat = Atomics.load(progress, 1);
      if (now !== last || beat !== lastBeat) {
        last = now;
        lastBeat = beat;
        lastChange = performance.now();
        return;
      }
      // Startup (now === -1) gets the same allowance as a case.
      if (performance.now() - lastChange > hangMs) {
        void worker.terminate();
        finish(now >= 0 ? { kind: 'hang', index: now } : { kind: 'error', error: new Error('worker did not start'), started: false });
      }
    }, 200);
    worker.on('message', (result: RunResult) => {
      finish({ kind: 'done', result });
      void worker.terminate();
    });
    worker.on('error', (error) => finish({ kind: 'error', error, started: Atomics.load(progress, 0) >= 0 }));
    worker.on('exit', (code) => finish({ kind: 'error', error: new Error(`worker exited with code ${code}`), started: Atomics.load(progress, 0) >= 0 }));
  });
}

// ---------------------------------------------------------------------------------------------- tests

if (isMainThread) {
  const seeds = allSeeds();

  const from = ONLY_CASE ?? 0;
  const to = ONLY_CASE !== undefined ? ONLY_CASE + 1 : Math.max(TOTAL_CASES, CASES_FOR_FIXED);
  test(`fuzz: analyze survives ${ONLY_CASE !== undefined ? `case ${ONLY_CASE}` : `${to} broken texts`} (seed ${SEED})`, async (t) => {
    assert.ok(seeds.length > 0);
    if (ONLY_CASE !== undefined) {
      const c = makeCase(SEED, ONLY_CASE, seeds);
      t.diagnostic(`case ${ONLY_CASE}: ${c.description}: ${preview(c.text, 400)}`);
    }
    // Split the cases over the cores (two at most: the test runner runs other files alongside).
    const parts = to - from >= 200 ? Math.max(1, Math.min(2, availableParallelism())) : 1;
    const limitMs = callLimit();
    const hangMs = limitMs + HANG_MARGIN_MS;
    const jobs: WorkerJob[] = [];
    for (let p = 0; p < parts; p++) {
      const a = from + Math.floor(((to - from) * p) / parts);
      const b = from + Math.floor(((to - from) * (p + 1)) / parts);
      jobs.push({ fuzzWorker: true, seed: SEED, from: a, to: b, seeds, limitMs, progress: new SharedArrayBuffer(8) });
    }
    const t0 = performance.now();
    const failures: Failure[] = [];
    const results: RunResult[] = [];
    let inProcess = false;
    /** Runs a job's range; after a hang or a crash, goes on in a fresh worker from the next case. */
    const runJob = async (job: WorkerJob) => {
      let next = job.from;
      let stuck = 0;
      while (next < job.to) {
        const part: WorkerJob = { ...job, from: next, progress: new SharedArrayBuffer(8) };
        const o = await runInWorker(part, hangMs);
        if (o.kind === 'done') {
          results.push(o.result);
          return;
        }
        if (o.kind === 'error' && !o.started) {
          // No worker (an unusual loader setup): run here, without the hang watchdog.
          inProcess = true;
          results.push(runCases(SEED, next, job.to, seeds, limitMs));
          return;
        }
        const at = o.kind === 'hang' ? o.index : Atomics.load(new Int32Array(part.progress), 0);
        const c = makeCase(SEED, at, seeds);
        const problem = o.kind === 'hang' ? `analyze did not return within ${(hangMs / 1000).toFixed(0)} s (a hang)` : `the worker died: ${errorText(o.error)}`;
        failures.push({ index: at, description: c.description, text: c.text, problems: [problem] });
        results.push({ cases: at - next + 1, failures: [], slowest: { index: at, ms: hangMs, description: c.description }, slow: 1, totalMs: 0 });
        if (++stuck >= MAX_HANGS_PER_WORKER) {
          failures.push({ index: at, description: 'the rest of this share of the cases', text: '', problems: [`stopped after ${stuck} hangs; cases ${at + 1}–${job.to - 1} did not run`] });
          return;
        }
        next = at + 1;
      }
    };
    await Promise.all(jobs.map(runJob));
    for (const r of results) failures.push(...r.failures);
    const cases = results.reduce((n, r) => n + r.cases, 0);
    const slowest = results.reduce((s, r) => (r.slowest.ms > s.ms ? r.slowest : s), { index: -1, ms: 0, description: '' });
    t.diagnostic(
      `${cases} cases from ${seeds.length} seed texts in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
        `${inProcess ? ' (in process)' : ` on ${jobs.length} worker(s)`}; ${results.reduce((n, r) => n + r.slow, 0)} calls over 100 ms; slowest call ${slowest.ms.toFixed(1)} ms (case ${slowest.index}: ${slowest.description}); limit ${(limitMs / 1000).toFixed(1)} s a call`,
    );
    failures.sort((a, b) => a.index - b.index);
    assert.equal(failures.length, 0, report(SEED, failures.slice(0, MAX_FAILURES)));
  });

  test('fuzz: the case generator is deterministic', () => {
    for (const i of [1, 2, 1234, 3999]) {
      assert.deepEqual(makeCase(SEED, i, seeds), makeCase(SEED, i, seeds));
    }
    const differs = [1000, 1001, 1002, 1003].some((i) => makeCase(SEED, i, seeds).text !== makeCase(SEED + 1, i, seeds).text);
    assert.ok(differs, 'another seed gives other cases');
  });
}
