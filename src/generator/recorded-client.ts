import { deadlineSignal } from '../base/time.ts';
import type { Op, Process } from '../history/op.ts';
import type { Recorder } from '../history/recorder.ts';
import type { Client, ClientOp, Completion } from '../systems/system.ts';

/**
 * Recording as a wrapper around any client: the invoke is recorded before
 * the call, the completion after, and whatever goes wrong in between — a
 * throw, a timeout, the run being aborted — becomes `info`, because the
 * operation may have taken effect. Only the client can say `fail`.
 */
export const invokeRecorded = async (
  recorder: Recorder,
  client: Client,
  call: { process: Process; op: ClientOp; node: string; timeoutMs: number },
  runSignal: AbortSignal,
): Promise<{ invoke: Op; completion: Op }> => {
  const { process, op, node } = call;
  const invoke = recorder.record({
    type: 'invoke',
    process,
    f: op.f,
    ...(op.key !== undefined ? { key: op.key } : {}),
    value: op.value,
    node,
  });
  const { signal, clear } = deadlineSignal(runSignal, call.timeoutMs);
  let completion: Completion;
  try {
    completion = await withDeadline(client.invoke(op, signal), call.timeoutMs);
  } catch (e) {
    completion = { type: 'info', error: describeError(e, signal, runSignal) };
  } finally {
    clear();
  }
  const type = completion.type === 'ok' || completion.type === 'fail' ? completion.type : 'info';
  const done = recorder.record({
    type,
    process,
    f: op.f,
    ...(op.key !== undefined ? { key: op.key } : {}),
    // A completion without a value keeps the invoked one (a write's value), as Jepsen does.
    value: completion.value !== undefined ? completion.value : op.value,
    node: typeof completion.node === 'string' ? completion.node : node,
    ...(completion.error !== undefined ? { error: String(completion.error) } : {}),
    ...(type === 'ok' && typeof completion.term === 'number' ? { term: completion.term } : {}),
  });
  return { invoke, completion: done };
};

/** A client that ignores its signal must not stall the worker: give up a little after the deadline. */
const withDeadline = <T>(p: Promise<T>, timeoutMs: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const grace = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs + 250);
    p.then(resolve, reject).finally(() => clearTimeout(grace));
  });

const describeError = (e: unknown, signal: AbortSignal, runSignal: AbortSignal): string => {
  if (runSignal.aborted) return 'interrupted';
  if (signal.aborted) return 'timeout';
  return e instanceof Error ? e.message : String(e);
};
