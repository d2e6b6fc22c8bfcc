import { resolveModel } from '../../../src/checker/linearizable/model.ts';
import { type AnyModel, ILLEGAL } from '../../../src/checker/linearizable/types.ts';
import type { OpInput } from '../../../src/checker/models/index.ts';

/**
 * Runs a sequence of steps on a model: each `[f, value, output, key?]`;
 * returns the states described after each step, or "ILLEGAL" where the
 * model rejects it (and stops there).
 */
export const run = (
  model: AnyModel<unknown, OpInput, unknown> | AnyModel<never, OpInput, unknown>,
  steps: [string, unknown, unknown, string?][],
): string[] => {
  const m = resolveModel(model as AnyModel<unknown, OpInput, unknown>);
  let state = m.init();
  const out: string[] = [];
  for (const [f, value, output, key] of steps) {
    const input: OpInput = key === undefined ? { f, value } : { f, key, value };
    const next = m.step(state, input, output);
    if (next === ILLEGAL) {
      out.push('ILLEGAL');
      break;
    }
    state = next;
    out.push(m.describeState(state));
  }
  return out;
};

/** Whether the whole sequence is legal. */
export const legal = (
  model: AnyModel<unknown, OpInput, unknown> | AnyModel<never, OpInput, unknown>,
  steps: [string, unknown, unknown, string?][],
): boolean => !run(model, steps).includes('ILLEGAL');
