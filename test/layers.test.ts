import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './lib/cli.js';

// The layers of docs/architecture.md, read from the imports of every source file: a file imports only from
// its own layer or the layers below it, and no imports go round in a cycle.

/** Layers from the bottom up; a file's layer is the longest prefix that matches its path. */
const ORDER: string[][] = [
  // The language core, text → tree → network → analysis → what people read → edits, its public entry, and
  // the LSP adapter on top.
  ['language/base/', 'language/syntax/', 'language/ops/', 'language/analysis/', 'language/views/', 'language/edits/', 'language/index.ts', 'language/server/'],
  // The webviews: the messages they exchange with the extension, then the graph editor's page — shared
  // model, layout, drawing, controls, the app that wires them.
  ['webview/protocol.ts', 'webview/graph/model/', 'webview/graph/layout/', 'webview/graph/view/', 'webview/graph/controls/', 'webview/graph/', 'webview/'],
];

/** Which top folders each may import: language/ is the bottom and knows no editor and no Node. */
const TOP: Record<string, string[]> = {
  language: ['language'],
  runtime: ['language', 'runtime'],
  webview: ['language', 'webview'],
  cli: ['language', 'runtime', 'cli'],
  extension: ['language', 'runtime', 'webview', 'extension'],
};

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const p = `${dir}/${f}`;
    if (statSync(join(ROOT, p)).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const FILES = Object.keys(TOP).flatMap(sources);
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Each file's relative imports as repository paths (`.js` specifiers name the `.ts` sources). */
function imports(file: string): { target: string; spec: string }[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: { target: string; spec: string }[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts');
    out.push({ target: relative('.', target), spec });
  }
  return out;
}

function rank(file: string): { order: number; level: number } | undefined {
  for (let order = 0; order < ORDER.length; order++) {
    let best = -1;
    ORDER[order].forEach((prefix, level) => {
      if (file.startsWith(prefix) && (best < 0 || prefix.length > ORDER[order][best].length)) best = level;
    });
    if (best >= 0) return { order, level: best };
  }
  return undefined;
}

/** The import problems of a set of files: upward imports and cycles, one line each. */
export function layerProblems(files: readonly string[], importsOf: (f: string) => { target: string; spec: string }[]): string[] {
  const problems: string[] = [];
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const top = file.split('/')[0];
    const edges: string[] = [];
    for (const { target, spec } of importsOf(file)) {
      edges.push(target);
      const targetTop = target.split('/')[0];
      if (!TOP[top].includes(targetTop)) problems.push(`${file} imports ${spec}: ${top}/ may import only ${TOP[top].join(', ')}`);
      const from = rank(file);
      const to = rank(target);
      if (from && to && from.order === to.order && to.level > from.level) problems.push(`${file} imports ${spec}, a layer above its own (${ORDER[from.order][from.level]} may not import ${ORDER[to.order][to.level]})`);
    }
    graph.set(file, edges);
  }
  // Cycles by depth-first search; each is reported once, from the file where it was found.
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    path.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 'open') problems.push(`import cycle: ${[...path.slice(path.indexOf(t)), t].join(' → ')}`);
      else if (!state.has(t)) visit(t);
    }
    path.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return problems;
}

test('every import goes down the layers of docs/architecture.md, and none goes round a cycle', () => {
  assert.deepEqual(layerProblems(FILES, imports), []);
});

test('the language core imports no editor and no Node module', () => {
  for (const file of FILES.filter((f) => f.startsWith('language/') && !f.startsWith('language/server/'))) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    assert.doesNotMatch(text, /from ['"](node:|vscode)/, file);
  }
});

test('the check itself catches an upward import and a cycle', () => {
  const planted = new Map<string, { target: string; spec: string }[]>([
    ['language/base/format.ts', [{ target: 'language/views/report.ts', spec: '../views/report.js' }]],
    ['language/views/report.ts', [{ target: 'language/base/format.ts', spec: '../base/format.js' }]],
    ['runtime/run.ts', [{ target: 'extension/main.ts', spec: '../extension/main.js' }]],
  ]);
  const problems = layerProblems([...planted.keys()], (f) => planted.get(f) ?? []);
  assert.ok(problems.some((p) => p.startsWith('language/base/format.ts imports ../views/report.js, a layer above its own')), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('import cycle: language/base/format.ts → language/views/report.ts → language/base/format.ts')), problems.join('\n'));
  assert.ok(problems.some((p) => p === 'runtime/run.ts imports ../extension/main.js: runtime/ may import only language, runtime'), problems.join('\n'));
});
