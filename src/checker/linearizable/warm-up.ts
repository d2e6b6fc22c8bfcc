import { resolveModel } from './model.ts';
import { PartitionSearch } from './search.ts';
import { StateSpace } from './states.ts';
import { ILLEGAL, type Operation } from './types.ts';

/**
 * V8 compiles the search's hot functions with the type feedback they have
 * gathered so far; a branch not yet taken (the first backtrack, the first
 * indeterminate operation, the hashed memo) is compiled as a deoptimisation
 * and costs a recompilation of the whole loop when a history takes it. On a
 * one-off check of a few hundred operations those recompilations cost more
 * than the search itself. So before the first large check in a process, a
 * few hundred iterations of a tiny synthetic search take every branch once
 * (a millisecond, interpreted). Model-specific code is not involved: the
 * model is called out of line (StateSpace.miss).
 */
let warmed = false;

/** Operations at least this many: smaller checks end before V8 optimises anything. */
export const WARM_UP_FROM_OPS = 300;

interface In {
  write: boolean;
  value: number;
}

const model = resolveModel<number, In, number>({
  name: 'warm-up register',
  init: () => 0,
  step: (state, input, output) =>
    input.write ? input.value : output === undefined || output === state ? state : ILLEGAL,
  equal: (a, b) => a === b,
  hash: (s) => s,
});

const op = (id: number, call: number, ret: number, write: boolean, value: number): Operation<In, number> => ({
  id,
  clientId: id,
  input: { write, value },
  call,
  output: write ? 0 : value,
  return: ret,
});

/**
 * Forty sequential writes (so that whole words of the linearized set fill
 * up), then four concurrent writes, two of them crashed, reads that pin
 * their order, and last a read that no order allows.
 */
const history = (): Operation<In, number>[] => {
  const ops = Array.from({ length: 40 }, (_, i) => op(i, 2 * i, 2 * i + 1, true, 10 + i));
  const t = 100;
  ops.push(
    op(40, t, t + 10, true, 1),
    op(41, t, t + 10, true, 2),
    op(42, t, Number.POSITIVE_INFINITY, true, 3),
    op(43, t, Number.POSITIVE_INFINITY, true, 4),
    op(44, t + 1, t + 12, false, 2),
    op(45, t + 11, t + 13, false, 1),
    op(46, t + 14, t + 15, false, 4),
    op(47, t + 16, t + 17, false, 2),
  );
  return ops;
};

export const warmUp = (): void => {
  if (warmed) return;
  warmed = true;
  const ops = history();
  for (const infoLate of [false, true]) {
    // A tiny dense memo, so that the hashed one is used too.
    const space = new StateSpace(model, ops, ops.length);
    for (const upTo of [ops.length - 1, ops.length]) {
      const search = new PartitionSearch(model, ops.slice(0, upTo), undefined, { infoLate, space });
      while (search.run(64) === 'running') {
        // slices, as a real check runs them
      }
    }
  }
};
