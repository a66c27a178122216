import assert from 'node:assert/strict';
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SourceRunRequest, WorkerMessage } from '../runtime/run-protocol.js';
import { ROOT } from './lib/cli.js';

// The VSIX as `npm run package` makes it (from the bundles already built), unpacked and used.
test('the VSIX targets linux-x64, holds the bundles and only this platform\'s ONNX Runtime, and its run process works', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stride-vsix-'));
  const out = join(dir, 'stride.vsix');
  execFileSync(join(ROOT, 'node_modules/.bin/vsce'), ['package', '--target', 'linux-x64', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', out], { cwd: ROOT, stdio: 'ignore' });
  const listing = execFileSync('unzip', ['-Z1', out], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const f of ['extension/dist/extension.js', 'extension/dist/server.js', 'extension/dist/run-worker.js', 'extension/dist/run-source.js', 'extension/dist/webview/webview.js', 'extension/dist/webview/webview.css', 'extension/package.json', 'extension/syntaxes/stride.tmLanguage.json', 'extension/language-configuration.json', 'extension/snippets/stride.json', 'extension/icons/stride.svg', 'extension/walkthrough/open-example.md', 'extension/examples/alexnet-notes.stride', 'extension/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node']) {
    assert.ok(listing.includes(f), `${f} is packaged`);
  }
  const modules = new Set(listing.filter((f) => f.startsWith('extension/node_modules/')).map((f) => f.split('/')[2]));
  assert.deepEqual([...modules].sort(), ['onnxruntime-common', 'onnxruntime-node']);
  assert.deepEqual(listing.filter((f) => /napi-v6\/(darwin|win32|linux\/arm64)/.test(f)), [], 'no other platform\'s binaries');
  assert.match(execFileSync('unzip', ['-p', out, 'extension.vsixmanifest'], { encoding: 'utf8' }), /TargetPlatform="linux-x64"/);
  assert.ok(statSync(out).size < 25 * 1024 * 1024, 'under 25 MiB');

  // Unpacked, the run process finds ONNX Runtime inside the extension and runs a network.
  execFileSync('unzip', ['-q', out, '-d', join(dir, 'x')]);
  const worker = join(dir, 'x', 'extension', 'dist', 'run-worker.js');
  const request: SourceRunRequest = { type: 'run-source', text: readFileSync(join(ROOT, 'examples/lenet5.stride'), 'utf8'), seed: 0, provider: 'cpu', iterations: 1, profile: false, captureOps: [], maxChannels: 0, timeoutMs: 60_000 };
  const answer = await new Promise<WorkerMessage>((resolve, reject) => {
    const child = fork(worker, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('message', (m: WorkerMessage) => m.type !== 'progress' && resolve(m));
    child.on('error', reject);
    child.send(request);
  });
  assert.equal(answer.type, 'source-result');
  if (answer.type === 'source-result') assert.deepEqual(answer.report.output.shape, [1, 10]);
});
