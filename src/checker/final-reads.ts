import { sortedRecord } from './records.ts';

/**
 * The final reads of a run — after every fault healed, each node's own
 * state read once per key — as every checker that judges them (set,
 * conflicts, counter, bank) reports them in results.json, and as the
 * `convergence` claim reads them. One type, one builder.
 *
 * A *final read* is an ok read invoked after every write-like operation
 * ended: nothing can still be in flight, so what it returns is the node's
 * settled state.
 */
export interface FinalReadsSummary {
  /** ok reads invoked after every write ended. */
  count: number;
  /** Per answering node: its final reads, and (set) the size of its latest one. */
  byNode: Record<string, FinalReadsOfNode>;
  /** Nodes of the run that answered no final read. */
  missingNodes: string[];
}

export interface FinalReadsOfNode {
  reads: number;
  /** Set checker: distinct elements in the node's latest final read. */
  elements?: number;
}

/** What the `convergence` claim measures, from whichever checker read every node after healing. */
export interface Convergence {
  finalReads: FinalReadsSummary;
  /** Final reads exist and every node's latest one agrees. */
  converged: boolean;
  /** How many things differ between nodes, and what they are ("elements", "keys", "values"). */
  divergent: number;
  divergentWhat: string;
}

/** Builds the summary from the final reads' serving nodes. `sizes` (set) gives each node's latest size. */
export const summarizeFinalReads = (
  servedBy: Iterable<string>,
  nodes: readonly string[],
  sizes?: ReadonlyMap<string, number>,
): FinalReadsSummary => {
  const byNode = new Map<string, FinalReadsOfNode>();
  let count = 0;
  for (const node of servedBy) {
    count++;
    const entry = byNode.get(node) ?? { reads: 0 };
    entry.reads++;
    byNode.set(node, entry);
  }
  if (sizes) for (const [node, elements] of sizes) byNode.set(node, { reads: byNode.get(node)?.reads ?? 0, elements });
  return { count, byNode: sortedRecord(byNode), missingNodes: nodes.filter((n) => !byNode.has(n)) };
};
