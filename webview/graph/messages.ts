import type { HostToWebview } from '../protocol.js';

type GraphMessage = Extract<HostToWebview, { type: 'graph' }>;
type Comparison = NonNullable<Extract<HostToWebview, { type: 'compare' }>['comparison']>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * The host's message if it is one this webview understands, else undefined: anything else posted to the
 * window (an unknown type, a malformed model, another frame's chatter) is ignored rather than trusted.
 */
export function parseHostMessage(data: unknown): HostToWebview | undefined {
  if (!isObject(data) || typeof data.type !== 'string') return undefined;
  switch (data.type) {
    case 'graph':
      return isGraphMessage(data) ? data : undefined;
    case 'cursor':
      return isInt(data.line) ? { type: 'cursor', line: data.line } : undefined;
    case 'compare':
      // A comparison ended arrives without it where the message went through JSON.
      if (data.comparison === undefined || data.comparison === null) return { type: 'compare', comparison: undefined };
      return isComparison(data.comparison) ? { type: 'compare', comparison: data.comparison } : undefined;
    case 'editResult':
      if (!isInt(data.requestId)) return undefined;
      return typeof data.error === 'string' ? { type: 'editResult', requestId: data.requestId, error: data.error } : { type: 'editResult', requestId: data.requestId };
    default:
      return undefined;
  }
}

/** Checks the parts the webview indexes into; the rest of each node is read defensively where it is shown. */
function isGraphMessage(d: Record<string, unknown>): d is GraphMessage {
  if (!isInt(d.version) || !Array.isArray(d.palette)) return false;
  if (d.select !== undefined && !isInt(d.select)) return false;
  const m = d.model;
  if (!isObject(m) || !Array.isArray(m.networks) || !isObject(m.statements) || !Array.isArray(m.diagnostics)) return false;
  return m.networks.every(
    (n) => isObject(n) && typeof n.name === 'string' && Array.isArray(n.nodes) && Array.isArray(n.edges) && Array.isArray(n.groups) && n.nodes.every((x) => isObject(x) && typeof x.id === 'string' && typeof x.op === 'string'),
  );
}

/** The parts of a comparison the page indexes into: its nodes by name, its removed layers, totals and counts. */
function isComparison(c: unknown): c is Comparison {
  if (!isObject(c) || typeof c.against !== 'string' || typeof c.network !== 'string' || !isObject(c.nodes) || !Array.isArray(c.removed) || !Array.isArray(c.totals) || !isObject(c.counts)) return false;
  const statusOk = Object.values(c.nodes).every((n) => isObject(n) && (n.status === 'added' || n.status === 'changed') && Array.isArray(n.changes));
  const removedOk = c.removed.every((r) => isObject(r) && isObject(r.side) && typeof r.side.name === 'string' && (r.after === undefined || typeof r.after === 'string'));
  const totalsOk = c.totals.every((t) => isObject(t) && typeof t.field === 'string' && typeof t.delta === 'number');
  return statusOk && removedOk && totalsOk && ['added', 'removed', 'changed'].every((k) => typeof (c.counts as Record<string, unknown>)[k] === 'number');
}
