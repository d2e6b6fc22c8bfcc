import { showValue } from '../linearizable/model.ts';
import { deepHash } from '../linearizable/structural.ts';
import { ILLEGAL, type Model } from '../linearizable/types.ts';
import { casArgs, describeOpInput, type OpInput, sameValue, unknownFunction } from './op-input.ts';
import { neverWritten, unobservedLeftOut } from './precheck.ts';

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

/**
 * The register models: `read` → value, `write(v)`, and for `cas-register`
 * also `cas([old, new])`. A cas that completed `ok` swapped; a `fail`ed one
 * never reaches the model (it did not happen). An indeterminate cas swaps
 * only if `old` matches.
 */
const registerModel = (
  name: 'register' | 'cas-register',
  options: RegisterOptions,
): Model<unknown, OpInput, unknown> => {
  const initial = options.initial ?? null;
  const nilUnknown = nilReadsAreUnknown(options, initial);
  const functions = name === 'cas-register' ? ['read', 'write', 'cas'] : ['read', 'write'];
  return {
    name,
    spec: { name, options: { initial, nilRead: nilUnknown ? 'unknown' : 'value' } },
    init: () => initial,
    step: (state, input, output) => {
      switch (input.f) {
        case 'read':
          if (output === undefined || (output === null && nilUnknown)) return state;
          return sameValue(state, output) ? state : ILLEGAL;
        case 'write':
          return input.value;
        case 'cas': {
          if (name !== 'cas-register') break;
          const [from, to] = casArgs(name, input);
          if (sameValue(state, from)) return to;
          return output === undefined ? state : ILLEGAL;
        }
      }
      throw unknownFunction(name, input, functions);
    },
    impossible: (ops) => neverWritten(ops, { model: name, functions, initial, nilUnknown }),
    prune: (ops) => unobservedLeftOut(ops, { model: name, functions, initial, nilUnknown }),
    equal: sameValue,
    hash: deepHash,
    describeOperation: (input, output) => describeOpInput(input, output, { showsOutput: input.f === 'read' }),
    describeState: showValue,
  };
};

/** A read/write register. */
export const register = (options: RegisterOptions = {}): Model<unknown, OpInput, unknown> =>
  registerModel('register', options);

/** A compare-and-set register. */
export const casRegister = (options: RegisterOptions = {}): Model<unknown, OpInput, unknown> =>
  registerModel('cas-register', options);
