// One build for every entry point. `vscode` and `onnxruntime-node` stay external: the editor provides the
// first, and the second ships native binaries that cannot be bundled. Type-checking is `tsc --noEmit`.
import { readFile } from 'node:fs/promises';
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

/**
 * The graph editor's layout runs elkjs in a Web Worker. A webview may not start a worker from a resource URL
 * (another origin), so the worker script travels inside the bundle as text and starts from a Blob URL.
 */
const workerScriptAsText = {
  name: 'worker-script-as-text',
  setup(build) {
    build.onLoad({ filter: /elkjs[\\/]lib[\\/]elk-worker\.min\.js$/ }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'text' }));
  },
};

const browser = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  plugins: [workerScriptAsText],
};

const builds = [
  { ...node, entryPoints: { cli: 'cli/stride.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { server: 'language/server/main.ts', extension: 'extension/main.ts', 'run-worker': 'runtime/run-worker.ts' }, outdir: 'dist' },
  { ...browser, entryPoints: { webview: 'webview/graph/main.ts' }, outdir: 'dist/webview' },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
