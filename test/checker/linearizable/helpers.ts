import type { Operation } from '../../../src/checker/linearizable/types.ts';
import type { OpInput } from '../../../src/checker/models/index.ts';

let nextId = 0;

/**
 * A hand-made operation: client, [call, return] (return `null` for an
 * indeterminate one), the function and its value, and the output (for a
 * read, the value read).
 */
export const op = (
  clientId: number,
  call: number,
  ret: number | null,
  f: string,
  value: unknown = null,
  output: unknown = value,
): Operation<OpInput, unknown> => ({
  id: nextId++,
  clientId,
  input: { f, value },
  call,
  output: ret === null ? undefined : output,
  return: ret ?? Number.POSITIVE_INFINITY,
});

export const read = (client: number, call: number, ret: number | null, value: unknown) =>
  op(client, call, ret, 'read', null, value);
export const write = (client: number, call: number, ret: number | null, value: unknown) =>
  op(client, call, ret, 'write', value);
export const cas = (client: number, call: number, ret: number | null, from: unknown, to: unknown) =>
  op(client, call, ret, 'cas', [from, to]);

/** With a key (kv models). */
export const keyed = (o: Operation<OpInput, unknown>, key: string): Operation<OpInput, unknown> => ({
  ...o,
  input: { ...o.input, key },
});

/**
 * `n` writes of distinct values, all concurrent, then one more write, then
 * a read of the first value, which that write overwrote: illegal, but only
 * after the search tries every order of the concurrent writes it can (about
 * 2^n × n cache entries): a history that takes long enough to test timeouts
 * and aborts. Every value read was written, so the models' pre-check (a
 * read of a value nobody wrote) does not shortcut it.
 */
export const slowIllegal = (n: number): Operation<OpInput, unknown>[] => {
  const ops = Array.from({ length: n }, (_, i) => write(i, 0, 100, i + 1));
  // Reads that pin the writes' order loosely keep the cache from collapsing the search.
  for (let i = 0; i < n; i++) ops.push(read(n + i, 1, 100, i + 1));
  ops.push(write(2 * n, 150, 160, n + 1));
  ops.push(read(2 * n, 200, 300, 1));
  return ops;
};
