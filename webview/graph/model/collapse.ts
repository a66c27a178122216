import type { GraphGroup, GraphNetwork } from '../../../language/views/graph.js';

/** Above this many layers a network opens with its outermost groups collapsed, so the first view stays quick and legible. */
const EXPAND_ALL_UP_TO = 300;

/** Where a choice is kept: group ids (`repeat_1`) repeat across the networks of a file. */
export function choiceKey(network: string, groupId: string): string {
  return `${network}/${groupId}`;
}

/**
 * Whether a group is collapsed: the user's choice when they made one (kept by group id across updates and
 * reloads), else the default for the network's size.
 */
export function collapsedBy(net: GraphNetwork, choices: Record<string, boolean>): (g: GraphGroup) => boolean {
  const big = net.nodes.length > EXPAND_ALL_UP_TO;
  return (g) => choices[choiceKey(net.name, g.id)] ?? (big && g.parent === undefined);
}
