import { configError } from '../base/errors.ts';
import type { NodeId } from '../base/ids.ts';

/** Each node maps to the set of nodes whose traffic it drops (as Jepsen's grudge). */
export type Grudge = Readonly<Record<NodeId, readonly NodeId[]>>;

/** A directed link between two nodes. */
export interface Link {
  from: NodeId;
  to: NodeId;
}

export interface LinkShape {
  delayMs?: number;
  jitterMs?: number;
  /** Probability in [0, 1] that a chunk / packet is dropped. */
  loss?: number;
}

/**
 * Checks that a grudge only names nodes of the cluster, before a nemesis
 * starts (a typo would otherwise silently partition nothing). A node listing
 * itself is harmless and ignored by the backends.
 */
export const validateGrudge = (grudge: Grudge, nodes: readonly NodeId[], where = 'grudge'): void => {
  const known = new Set(nodes);
  const list = nodes.join(', ');
  for (const [receiver, senders] of Object.entries(grudge)) {
    if (!known.has(receiver)) {
      throw configError(`unknown node "${receiver}" in ${where}; the cluster's nodes are ${list}`, {
        path: `${where}.${receiver}`,
      });
    }
    if (!Array.isArray(senders)) {
      throw configError(`${where}.${receiver} must be a list of nodes, got ${typeof senders}`, {
        path: `${where}.${receiver}`,
      });
    }
    senders.forEach((sender, i) => {
      if (!known.has(sender)) {
        throw configError(`unknown node "${sender}" in ${where}.${receiver}; the cluster's nodes are ${list}`, {
          path: `${where}.${receiver}[${i}]`,
        });
      }
    });
  }
};
