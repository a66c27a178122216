import * as vscode from 'vscode';
import { detectGpu, systemRoots } from '../runtime/gpu-detect.js';
import { proxyFromEnv } from '../runtime/gpu-download.js';
import { installedCuda, type CudaInstall } from '../runtime/gpu-install.js';
import { gpuDetails, NUGET_INDEX, setupGpu } from '../runtime/gpu-setup.js';

/**
 * Stride: Set Up GPU (CUDA) in the editor, and the choices offered where CUDA did not load: Set Up GPU,
 * Use CPU, Copy details. The libraries go to the extension's global storage, so they outlive the
 * workspace and are shared by all of them.
 */

export const SET_UP_GPU = 'Set Up GPU';
export const USE_CPU = 'Use CPU';
export const COPY_DETAILS = 'Copy details';

export class Gpu {
  constructor(private readonly context: vscode.ExtensionContext) {}

  get home(): string {
    return this.context.globalStorageUri.fsPath;
  }

  /** The set-up made here, for a run that may use CUDA. */
  install(): CudaInstall | undefined {
    return installedCuda(this.home);
  }

  /** VS Code's proxy settings (`http.proxy`, `http.proxyStrictSSL`), else the environment's. */
  private net(url: string): { proxy?: string; strictSSL: boolean } {
    const http = vscode.workspace.getConfiguration('http');
    const proxy = http.get<string>('proxy')?.trim() || proxyFromEnv(url);
    return { proxy: proxy || undefined, strictSSL: http.get<boolean>('proxyStrictSSL', true) };
  }

  /** The whole set-up with its progress as a notification; true when CUDA is ready. */
  async setUp(log: vscode.LogOutputChannel): Promise<boolean> {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Stride: setting up the GPU (CUDA)', cancellable: true }, (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let shown = 0;
      return setupGpu({
        home: this.home,
        net: { ...this.net(NUGET_INDEX), signal: abort.signal },
        onStep: (message, fraction) => {
          log.info(`Set Up GPU: ${message}`);
          const at = fraction === undefined ? shown : 100 * fraction;
          progress.report({ message, increment: at - shown });
          shown = at;
        },
      });
    });
    log.info(`Set Up GPU: ${result.ok ? 'done' : result.kind}: ${result.message}`);
    if (result.ok) {
      void vscode.window.showInformationMessage(`Stride: ${result.message}`);
      return true;
    }
    const choice = await vscode.window.showErrorMessage(`Stride: Set Up GPU: ${result.message}`, USE_CPU, COPY_DETAILS);
    if (choice === USE_CPU) await useCpu();
    if (choice === COPY_DETAILS) await this.copyDetails(`Set Up GPU (CUDA) stopped (${result.kind}): ${result.message}`);
    return false;
  }

  /** The machine's facts and what went wrong, on the clipboard. */
  async copyDetails(what: string): Promise<void> {
    const text = `${what}\n\n${gpuDetails(detectGpu(systemRoots()), this.install())}\n`;
    await vscode.env.clipboard.writeText(text);
    void vscode.window.showInformationMessage('Stride: the details are on the clipboard.');
  }
}

/** Runs on the CPU from now on: `stride.runtime.executionProvider` set to cpu where it is set. */
export async function useCpu(): Promise<void> {
  const config = vscode.workspace.getConfiguration('stride');
  const inspected = config.inspect<string>('runtime.executionProvider');
  const target = inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update('runtime.executionProvider', 'cpu', target);
}
