import type { LayerJson, NetworkJson, SummaryJson } from './cli.js';

/**
 * Inline expectations for `.stride` fixtures. A line's trailing `#: …` states what the layers it makes
 * compute; `#! severity code` states the diagnostics that start on it. `UPDATE_EXPECT=1` rewrites them from
 * what Stride computes, so an intended change is one command and a reviewed diff.
 */

const MARK = /(^|\s+)#[:!] .*$/;

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function shape(s: number[] | null): string {
  return s ? s.join('x') : '?';
}

function rf(l: LayerJson): string {
  const hw = l.receptiveFieldHW;
  if (!hw) return '?';
  return hw[0] === hw[1] ? `${hw[0]}` : `${hw[0]}x${hw[1]}`;
}

export function renderLayers(layers: LayerJson[]): string {
  if (layers.length === 1) {
    const l = layers[0];
    const unshared = l.unsharedParams !== null && l.unsharedParams !== l.params ? ` (${count(l.unsharedParams)} unshared)` : '';
    return `${l.op} ${shape(l.shape)} · ${l.params === null ? '?' : count(l.params)} params${unshared} · ${l.macs === null ? '?' : count(l.macs)} MACs · rf ${rf(l)}`;
  }
  const last = layers[layers.length - 1];
  const sum = (k: 'params' | 'macs') => (layers.some((l) => l[k] === null) ? '?' : count(layers.reduce((a, l) => a + (l[k] ?? 0), 0)));
  return `${layers.length} layers → ${shape(last.shape)} · ${sum('params')} params · ${sum('macs')} MACs · rf ${rf(last)}`;
}

export function renderNetwork(n: NetworkJson): string {
  return `${count(n.params)} params (${count(n.trainableParams)} trainable) · ${count(n.macs)} MACs → ${shape(n.output)}`;
}

/** The expectation text for each 1-based line that has one. */
export function expectations(json: SummaryJson): Map<number, string> {
  const byLine = new Map<number, LayerJson[]>();
  for (const n of json.networks) {
    for (const l of n.layers) {
      const line = l.callLine ?? l.line;
      byLine.set(line, [...(byLine.get(line) ?? []), l]);
    }
  }
  const out = new Map<number, string[]>();
  const add = (line: number, text: string) => out.set(line, [...(out.get(line) ?? []), text]);
  for (const n of json.networks) add(n.line, `#: ${renderNetwork(n)}`);
  for (const [line, layers] of byLine) add(line, `#: ${renderLayers(layers)}`);
  for (const d of json.diagnostics) add(d.line, `#! ${d.severity} ${d.code}`);
  return new Map([...out].map(([line, parts]) => [line, mergeParts(parts)]));
}

/** One `#:` part, then the diagnostics in order; repeated diagnostics on a line are listed once. */
function mergeParts(parts: string[]): string {
  const facts = parts.filter((p) => p.startsWith('#:'));
  const diags = [...new Set(parts.filter((p) => p.startsWith('#!')).map((p) => p.slice(3)))];
  return [...facts, ...(diags.length ? [`#! ${diags.join('; ')}`] : [])].join(' ');
}

export function stripExpectations(line: string): string {
  return line.replace(MARK, '');
}

/** The fixture text with every line's expectation replaced by what was computed. */
export function rewrite(text: string, exp: Map<number, string>): string {
  return text
    .split('\n')
    .map((line, i) => {
      const base = stripExpectations(line);
      const e = exp.get(i + 1);
      return e ? `${base}  ${e}` : base;
    })
    .join('\n');
}
