import { showValue } from '../linearizable/model.ts';
import { deepHash } from '../linearizable/structural.ts';
import { ILLEGAL, type Model } from '../linearizable/types.ts';
import { describeOpInput, type OpInput, sameValue, unknownFunction } from './op-input.ts';

/**
 * A FIFO queue: `enqueue(v)`, `dequeue` → the oldest element, or null when
 * the queue is empty. An indeterminate dequeue removes the head if any.
 */
export const queue = (): Model<readonly unknown[], OpInput, unknown> => ({
  name: 'queue',
  spec: { name: 'queue' },
  init: () => [],
  step: (state, input, output) => {
    switch (input.f) {
      case 'enqueue':
        return [...state, input.value];
      case 'dequeue': {
        if (output === undefined) return state.length === 0 ? state : state.slice(1);
        if (state.length === 0) return output === null ? state : ILLEGAL;
        return sameValue(state[0], output) ? state.slice(1) : ILLEGAL;
      }
      default:
        throw unknownFunction('queue', input, ['enqueue', 'dequeue']);
    }
  },
  equal: (a, b) => a.length === b.length && a.every((v, i) => sameValue(v, b[i])),
  hash: deepHash,
  describeOperation: (input, output) => describeOpInput(input, output, { showsOutput: input.f === 'dequeue' }),
  describeState: (s) => `[${s.map(showValue).join(', ')}]`,
});
