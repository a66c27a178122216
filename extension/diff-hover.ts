import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { formatCount } from '../language/base/format.js';
import { formatShape } from '../language/base/shape.js';
import { fieldChangeText, type LayerDiff } from '../language/views/diff.js';
import { DiffRequest, type DiffResult } from '../language/server/protocol.js';

/**
 * In VS Code's own diff editor of a `.stride` file (a change in Source Control, Compare Selected, a
 * timeline entry), a hover on a layer that changed gives its figures before and after, on either side.
 * The language server compares the two texts (stride/diff); the answer is kept for the pair of versions.
 */

/** The diff editor a document is shown in, as its two sides. */
function diffSides(doc: vscode.TextDocument): { original: vscode.Uri; modified: vscode.Uri } | undefined {
  const key = doc.uri.toString();
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      const input = tab.input;
      if (input instanceof vscode.TabInputTextDiff && (input.original.toString() === key || input.modified.toString() === key)) return { original: input.original, modified: input.modified };
    }
  }
  return undefined;
}

function sideText(l: LayerDiff, side: 'a' | 'b'): string {
  const s = l[side]!;
  return `${s.shape ? formatShape(s.shape) : '?'} · ${formatCount(s.params ?? 0)} params · ${formatCount(s.macs ?? 0)} MACs`;
}

function hoverText(layers: LayerDiff[], modified: boolean): string | undefined {
  const changed = layers.filter((l) => l.status !== 'same');
  if (changed.length === 0) return undefined;
  const out = [`**Compared with the ${modified ? 'version before' : 'version after'}**`, ''];
  for (const l of changed.slice(0, 6)) {
    const name = (l.b ?? l.a)!.name;
    if (l.status === 'added') out.push(`- \`${name}\` added: ${sideText(l, 'b')}`);
    else if (l.status === 'removed') out.push(`- \`${name}\` removed: it was ${sideText(l, 'a')}`);
    else out.push(`- \`${name}\`: ${l.changes.map(fieldChangeText).join('; ')}`);
  }
  if (changed.length > 6) out.push(`- … and ${changed.length - 6} more layers of this line`);
  return out.join('\n');
}

export function registerDiffHover(client: LanguageClient): vscode.Disposable {
  let cached: { key: string; result: DiffResult | null } | undefined;
  return vscode.languages.registerHoverProvider(
    { language: 'stride' },
    {
      async provideHover(doc, position) {
        const sides = diffSides(doc);
        if (!sides) return undefined;
        const [original, modified] = await Promise.all([vscode.workspace.openTextDocument(sides.original), vscode.workspace.openTextDocument(sides.modified)]);
        const key = `${original.uri}@${original.version}|${modified.uri}@${modified.version}`;
        if (cached?.key !== key) {
          const result = await client.sendRequest<DiffResult | null>(DiffRequest, { uri: modified.uri.toString(), against: original.getText(), againstLabel: 'before' });
          cached = { key, result };
        }
        const result = cached.result;
        if (!result) return undefined;
        const isModified = doc.uri.toString() === modified.uri.toString();
        const line = position.line + 1;
        const layers = result.diff.layers.filter((l) => (isModified ? l.b?.line === line : l.a?.line === line));
        const text = hoverText(layers, isModified);
        return text ? new vscode.Hover(new vscode.MarkdownString(text)) : undefined;
      },
    },
  );
}
