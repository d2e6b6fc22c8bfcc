import { showValue } from '../linearizable/model.ts';
import { deepHash } from '../linearizable/structural.ts';
import { ILLEGAL, type Model } from '../linearizable/types.ts';
import { nilReadsAreUnknown, type RegisterOptions } from './cas-register.ts';
import { describeOpInput, type OpInput, sameValue, unknownFunction } from './op-input.ts';

/** A read/write register: `read` → value, `write(v)`. */
export const register = (options: RegisterOptions = {}): Model<unknown, OpInput, unknown> => {
  const initial = options.initial ?? null;
  const nilUnknown = nilReadsAreUnknown(options, initial);
  return {
    name: 'register',
    spec: { name: 'register', options: { initial, nilRead: nilUnknown ? 'unknown' : 'value' } },
    init: () => initial,
    step: (state, input, output) => {
      switch (input.f) {
        case 'read':
          if (output === undefined || (output === null && nilUnknown)) return state;
          return sameValue(state, output) ? state : ILLEGAL;
        case 'write':
          return input.value;
        default:
          throw unknownFunction('register', input, ['read', 'write']);
      }
    },
    equal: sameValue,
    hash: deepHash,
    describeOperation: (input, output) => describeOpInput(input, output, { showsOutput: input.f === 'read' }),
    describeState: showValue,
  };
};
