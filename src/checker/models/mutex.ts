import { ILLEGAL, type Model } from '../linearizable/types.ts';
import { describeOpInput, type OpInput, unknownFunction } from './op-input.ts';

/** A lock: `acquire` succeeds only when free, `release` only when held. */
export const mutex = (): Model<boolean, OpInput, unknown> => ({
  name: 'mutex',
  spec: { name: 'mutex' },
  init: () => false,
  step: (held, input) => {
    switch (input.f) {
      case 'acquire':
        return held ? ILLEGAL : true;
      case 'release':
        return held ? false : ILLEGAL;
      default:
        throw unknownFunction('mutex', input, ['acquire', 'release']);
    }
  },
  equal: (a, b) => a === b,
  hash: (held) => (held ? 1 : 0),
  describeOperation: (input, output) => describeOpInput(input, output, { showsOutput: false }),
  describeState: (held) => (held ? 'held' : 'free'),
});
