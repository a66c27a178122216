import type { HostToWebview } from '../protocol.js';

type GraphMessage = Extract<HostToWebview, { type: 'graph' }>;

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
