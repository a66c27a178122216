import type { GraphGroup, GraphNetwork } from '../../../language/views/graph.js';

/**
 * How much a network opens folded, from none to most: `open` expands every group, `blocks` folds each block
 * call (a `repeat` of them stays a frame of call boxes), `outer` folds the outermost groups.
 */
export type Fold = 'open' | 'blocks' | 'outer';

export const FOLDS: readonly Fold[] = ['open', 'blocks', 'outer'];

/** A network taller than this many screens at the first view's scale opens folded (layout/fold.ts). */
export const FOLD_SCREENS = 4;

/** Above this many layers a network is not even laid out all open: the first view stays quick. */
export const OPEN_UP_TO = 300;

/** Where a choice is kept: group ids (`repeat_1`) repeat across the networks of a file. */
export function choiceKey(network: string, groupId: string): string {
  return `${network}/${groupId}`;
}

/**
 * Whether a group is collapsed: the user's choice when they made one (kept by group id across updates and
 * reloads), else the network's default fold.
 */
export function collapsedBy(net: GraphNetwork, choices: Record<string, boolean>, fold: Fold): (g: GraphGroup) => boolean {
  return (g) => choices[choiceKey(net.name, g.id)] ?? foldedBy(fold, g);
}

function foldedBy(fold: Fold, g: GraphGroup): boolean {
  return fold === 'outer' ? g.parent === undefined : fold === 'blocks' ? g.kind === 'block' : false;
}

/** Every group's choice for Collapse all (the outermost folded, the rest open inside them) or Expand all. */
export function choicesForAll(net: GraphNetwork, collapse: boolean): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const g of net.groups) out[choiceKey(net.name, g.id)] = collapse && g.parent === undefined;
  return out;
}
