import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient/node';
import { writeFileAtomic } from '../runtime/write-file.js';

/**
 * The Get Started walkthrough (`contributes.walkthroughs`): each step is completed by doing it. Opening an
 * example is a command; reading a hover and fixing a diagnostic set a context key when they happen; opening
 * the graph and running are their own commands.
 */

const HOVERED = 'stride.walkthrough.hovered';
const FIXED = 'stride.walkthrough.fixed';

/** The language client's middleware: the first hover with content marks its step done. */
export function walkthroughMiddleware(): Middleware {
  let hovered = false;
  return {
    provideHover: async (document, position, token, next) => {
      const hover = await next(document, position, token);
      if (hover && !hovered) {
        hovered = true;
        void vscode.commands.executeCommand('setContext', HOVERED, true);
      }
      return hover;
    },
  };
}

export function registerWalkthrough(context: vscode.ExtensionContext): vscode.Disposable {
  // A .stride file with fewer problems than a moment ago, after having some: a diagnostic was fixed.
  const problems = new Map<string, number>();
  const watch = vscode.languages.onDidChangeDiagnostics((e) => {
    for (const uri of e.uris) {
      if (!uri.path.endsWith('.stride')) continue;
      const now = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'stride').length;
      const before = problems.get(uri.toString());
      problems.set(uri.toString(), now);
      if (before !== undefined && before > 0 && now < before) void vscode.commands.executeCommand('setContext', FIXED, true);
    }
  });
  const open = vscode.commands.registerCommand('stride.openExample', () => openExample(context));
  return vscode.Disposable.from(watch, open);
}

/**
 * Stride: Open an Example: one of the extension's examples, copied into the workspace folder (or, with
 * none open, the extension's storage) so that it can be edited, run and exported; a file of that name
 * already there is opened as it is, never replaced.
 */
async function openExample(context: vscode.ExtensionContext): Promise<void> {
  const folder = vscode.Uri.joinPath(context.extensionUri, 'examples');
  const files = (await vscode.workspace.fs.readDirectory(folder)).filter(([n, t]) => t === vscode.FileType.File && n.endsWith('.stride')).map(([n]) => n).sort();
  const items = await Promise.all(
    files.map(async (name) => {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, name)));
      // The first comment line says what the example is.
      const about = /^#\s*(.+)$/m.exec(text)?.[1] ?? '';
      return { label: name, description: about, text };
    }),
  );
  items.sort((a, b) => (a.label === 'alexnet-notes.stride' ? -1 : b.label === 'alexnet-notes.stride' ? 1 : 0));
  // Kept open when focus moves: the walkthrough page that runs this command takes the focus back a moment
  // after its link is clicked, which would otherwise close the list before it can be read.
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Open a Stride example',
    placeHolder: 'AlexNet as the notes describe it is a good first one',
    matchOnDescription: true,
    ignoreFocusOut: true,
  });
  if (!picked) return;
  const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? context.globalStorageUri;
  const target = vscode.Uri.joinPath(base, picked.label);
  let exists = true;
  try {
    await vscode.workspace.fs.stat(target);
  } catch {
    exists = false;
  }
  if (!exists) {
    if (target.scheme === 'file') {
      await vscode.workspace.fs.createDirectory(vscode.Uri.file(path.dirname(target.fsPath)));
      writeFileAtomic(target.fsPath, new TextEncoder().encode(picked.text));
    } else await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(picked.text));
  }
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
}
