import * as vscode from 'vscode';
import { formatCount } from '../language/base/format.js';
import { SetBatchSizeCommand } from '../language/server/protocol.js';

/**
 * The command behind the "Set the batch size to N" quick fix. The batch is a setting, so the fix writes
 * `stride.batchSize`: in the workspace's settings when a folder is open (the batch belongs to the project),
 * else in the user's. Settings have no Undo of their own; the notification offers one. The language server
 * re-analyses when the setting changes, like after any settings change.
 */
export function registerSetBatchSize(): vscode.Disposable {
  return vscode.commands.registerCommand(SetBatchSizeCommand, async (batch: unknown) => {
    if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 1) {
      void vscode.window.showErrorMessage(`Stride: a batch size is a whole number ≥ 1, not ${String(batch)}.`);
      return;
    }
    const workspace = (vscode.workspace.workspaceFolders?.length ?? 0) > 0;
    const target = workspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    const config = vscode.workspace.getConfiguration('stride');
    const was = config.get<number>('batchSize', 1);
    const inspected = config.inspect<number>('batchSize');
    // What Undo puts back: the value written at that level before, or none at all.
    const before = workspace ? inspected?.workspaceValue : inspected?.globalValue;
    await config.update('batchSize', batch, target);
    const where = workspace ? 'the workspace settings' : 'your user settings';
    void vscode.window.showInformationMessage(`Stride: batch size set to ${formatCount(batch)} in ${where} (was ${formatCount(was)}).`, 'Undo').then(async (choice) => {
      if (choice === 'Undo') await vscode.workspace.getConfiguration('stride').update('batchSize', before, target);
    });
  });
}
