// One build for every entry point. `vscode` and `onnxruntime-node` stay external: the editor provides the
// first, and the second ships native binaries that cannot be bundled. Type-checking is `tsc --noEmit`.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode', 'onnxruntime-node'],
  logLevel: 'warning',
};

const browser = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

const builds = [
  { ...node, entryPoints: { cli: 'cli/stride.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { 'cli-main': 'cli/main.ts', server: 'language/server/main.ts', extension: 'extension/main.ts', 'run-worker': 'runtime/run-worker.ts', 'run-source': 'runtime/run-source.ts' }, outdir: 'dist' },
  { ...browser, entryPoints: { webview: 'webview/graph/main.ts' }, outdir: 'dist/webview' },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
