import type { FaultKind } from '../cluster/backend.ts';
import type { NodeId } from '../systems/system.ts';
import { type FaultSpec, TARGETED_SHAPES } from './spec.ts';

/**
 * Cross-checks of one fault against the cluster, before anything starts:
 * nodes it names exist, a partition shape fits the node count. Problems
 * carry the key path inside the fault so the caller can point at the file
 * and line.
 */
export interface FaultProblem {
  path: readonly PropertyKey[];
  message: string;
  hint?: string;
}

export const faultProblems = (fault: FaultSpec, nodes: readonly NodeId[]): FaultProblem[] => {
  const problems: FaultProblem[] = [];
  const list = `${nodes.length}-node cluster (${nodes.join(', ')})`;
  if ('target' in fault && Array.isArray(fault.target)) {
    fault.target.forEach((n, i) => {
      if (!nodes.includes(n)) problems.push({ path: ['target', i], message: `node ${n} is not in this ${list}` });
    });
  }
  switch (fault.kind) {
    case 'partition': {
      if (nodes.length < 2) problems.push({ path: ['grudge'], message: 'a partition needs at least 2 nodes' });
      const g = fault.grudge;
      if (typeof g === 'object') {
        for (const [node, dropped] of Object.entries(g)) {
          for (const n of [node, ...dropped]) {
            if (!nodes.includes(n))
              problems.push({
                path: ['grudge', node],
                message: `grudge names node ${n}, but the cluster has ${nodes.length} nodes (${nodes.join(', ')})`,
              });
          }
        }
        if (fault.target !== undefined)
          problems.push({ path: ['target'], message: 'an explicit grudge takes no target', hint: 'remove target' });
      } else {
        if (fault.target !== undefined && !TARGETED_SHAPES.includes(g)) {
          problems.push({
            path: ['target'],
            message: `a ${g} partition takes no target`,
            hint: `target applies to ${TARGETED_SHAPES.join(', ')}`,
          });
        }
        if (g === 'bridge' && nodes.length < 3)
          problems.push({ path: ['grudge'], message: 'a bridge needs at least 3 nodes (two sides and the bridge)' });
        if ((g === 'ring' || g === 'majorities-ring') && nodes.length < 4) {
          problems.push({
            path: ['grudge'],
            message: `a majorities ring needs at least 4 nodes; with ${nodes.length} every node neighbours all the others, so it cuts nothing`,
            hint: 'use --nodes 5',
          });
        }
      }
      break;
    }
    case 'shape':
      if (fault.delay === undefined && fault.loss === undefined)
        problems.push({ path: ['kind'], message: 'a shape fault needs a delay, a loss, or both' });
      break;
    default:
      break;
  }
  return problems;
};

/** The backend capabilities a fault needs (registry.ts checks them before a run). */
export const capabilitiesOf = (fault: FaultSpec): FaultKind[] => {
  switch (fault.kind) {
    case 'kill':
    case 'rolling-restart':
      return ['kill'];
    case 'pause':
      return ['pause'];
    case 'partition':
      return ['partition'];
    case 'clock':
    case 'clock-strobe':
    case 'clock-drift':
      return ['clock'];
    case 'shape':
      return [
        ...(fault.delay !== undefined ? (['delay'] as const) : []),
        ...(fault.loss !== undefined ? (['loss'] as const) : []),
      ];
  }
};
