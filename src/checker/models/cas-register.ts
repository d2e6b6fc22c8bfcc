import { showValue } from '../linearizable/model.ts';
import { deepHash } from '../linearizable/structural.ts';
import { ILLEGAL, type Model } from '../linearizable/types.ts';
import { casArgs, describeOpInput, type OpInput, sameValue, unknownFunction } from './op-input.ts';

export interface RegisterOptions {
  /** The register's value before any write. Default null (Jepsen's nil). */
  initial?: unknown;
  /**
   * What a read that returned nil (null) means. `value`: the register held
   * nil. `unknown`: the read's value is not known, so it matches any state
   * (Knossos's convention for Jepsen histories). `auto` (default): `value`
   * when the initial value is nil (nil is then a real state, e.g. a missing
   * etcd key), `unknown` otherwise (the register never holds nil unless nil
   * is written, so a nil read can only mean "nothing observed").
   */
  nilRead?: 'value' | 'unknown' | 'auto';
}

/** Whether nil reads are unknown, from `nilRead` and the initial value. */
export const nilReadsAreUnknown = (options: { nilRead?: 'value' | 'unknown' | 'auto' }, initial: unknown): boolean =>
  options.nilRead === 'unknown' ||
  ((options.nilRead ?? 'auto') === 'auto' && initial !== null && initial !== undefined);

const CAS_FUNCTIONS = ['read', 'write', 'cas'] as const;

/**
 * A compare-and-set register: `read` → value, `write(v)`, `cas([old, new])`.
 * A cas that completed `ok` swapped; a `fail`ed one never reaches the model
 * (it did not happen). An indeterminate cas swaps only if `old` matches.
 */
export const casRegister = (options: RegisterOptions = {}): Model<unknown, OpInput, unknown> => {
  const initial = options.initial ?? null;
  const nilUnknown = nilReadsAreUnknown(options, initial);
  return {
    name: 'cas-register',
    spec: { name: 'cas-register', options: { initial, nilRead: nilUnknown ? 'unknown' : 'value' } },
    init: () => initial,
    step: (state, input, output) => {
      switch (input.f) {
        case 'read':
          if (output === undefined || (output === null && nilUnknown)) return state;
          return sameValue(state, output) ? state : ILLEGAL;
        case 'write':
          return input.value;
        case 'cas': {
          const [from, to] = casArgs('cas-register', input);
          if (sameValue(state, from)) return to;
          return output === undefined ? state : ILLEGAL;
        }
        default:
          throw unknownFunction('cas-register', input, CAS_FUNCTIONS);
      }
    },
    equal: sameValue,
    hash: deepHash,
    describeOperation: (input, output) => describeOpInput(input, output, { showsOutput: input.f === 'read' }),
    describeState: showValue,
  };
};
