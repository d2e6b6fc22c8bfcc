import { configError } from '../../base/errors.ts';
import type { AnyModel } from '../linearizable/types.ts';
import { kv } from './kv.ts';
import { kvAppend } from './kv-append.ts';
import { mutex } from './mutex.ts';
import type { OpInput } from './op-input.ts';
import { queue } from './queue.ts';
import { casRegister, register } from './register.ts';
import { set } from './set.ts';

export { KeyedState } from './keyed-state.ts';
export type { OpInput } from './op-input.ts';
export { casRegister, kv, kvAppend, mutex, queue, register, set };

/** Options every built-in model accepts (each uses what applies to it). */
export interface ModelOptions {
  /** Initial value of the register, or of every key. */
  initial?: unknown;
  /** kv and kv-append: check each key on its own (default true). */
  partition?: boolean;
  /** register, cas-register, kv: what a nil read means (see RegisterOptions). */
  nilRead?: 'value' | 'unknown' | 'auto';
}

// Built-in models work on operations from faultline histories (OpInput); states differ per model.
type BuiltinModel = AnyModel<never, OpInput, unknown>;

const MODELS: Readonly<Record<string, (options: ModelOptions) => BuiltinModel>> = {
  register: (o) => register(o) as BuiltinModel,
  'cas-register': (o) => casRegister(o) as BuiltinModel,
  kv: (o) => kv(o) as BuiltinModel,
  'kv-append': (o) => kvAppend(o) as BuiltinModel,
  set: () => set() as BuiltinModel,
  queue: () => queue() as BuiltinModel,
  mutex: () => mutex() as BuiltinModel,
};

/** Names of the built-in models. */
export const modelNames = (): string[] => Object.keys(MODELS);

/** A built-in model by name; FL_ERR_CONFIG naming the known ones otherwise. */
export const getModel = (name: string, options: ModelOptions = {}): AnyModel<unknown, OpInput, unknown> => {
  const make = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (!make) {
    throw configError(`unknown model ${JSON.stringify(name)}; known models: ${modelNames().join(', ')}`, {
      hint: 'pass one of the known model names, or write your own Model in TypeScript',
    });
  }
  return make(options) as AnyModel<unknown, OpInput, unknown>;
};

/**
 * Checks each key on its own with a single-register model (Jepsen's
 * `independent`): operations are partitioned by their `key`, and each
 * partition starts from the model's initial state.
 */
export const independent = <S>(model: AnyModel<S, OpInput, unknown>): AnyModel<S, OpInput, unknown> =>
  // Inherit rather than spread, so models written as classes keep their methods.
  Object.assign(Object.create(model) as AnyModel<S, OpInput, unknown>, {
    partition: undefined,
    partitionKey: (input: OpInput) => input.key ?? '',
  });
