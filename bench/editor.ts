import { join } from 'node:path';
import { isInstalled } from '../test/e2e/setup.js';
import { startVSCode, waitFor } from '../test/e2e/vscode.js';
import { ROOT } from '../test/lib/cli.js';
import { figure, note, target } from './lib.js';

/** Costs only a real VS Code shows: measured in code-server, as the end-to-end tests run it. */

/** From the extension's module loading to its language server answering, as the extension logs it. */
async function activation(): Promise<void> {
  if (!isInstalled()) {
    note('extension-activation: skipped: code-server is not installed yet (the end-to-end tests install it)');
    return;
  }
  const vscode = await startVSCode({ name: 'bench-activation', workspaceFiles: { 'alexnet.stride': { from: join(ROOT, 'examples/alexnet-notes.stride') } } });
  try {
    await vscode.openFile('alexnet.stride');
    const line = await waitFor(async () => /Stride activated in ([\d.]+) ms/.exec(vscode.logs()) ?? undefined, 'the activation log line', 60_000);
    figure('extension-activation', Number(line[1]), 'ms');
    target('extension-activation', Number(line[1]), '<', 500, 'ms');
  } finally {
    await vscode.close();
  }
}

export const editorBenchmarks = [{ name: 'extension-activation', run: activation }];
