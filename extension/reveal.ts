import * as vscode from 'vscode';

/** Shows a source line (0-based) in the first editor column, with the cursor on it: a panel's row or bar was clicked. */
export async function showLine(source: vscode.Uri, line: number): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(source);
  const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  const at = new vscode.Position(Math.max(0, line), 0);
  editor.selection = new vscode.Selection(at, at);
  editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
}
