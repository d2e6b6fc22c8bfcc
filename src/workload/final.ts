import { sleep } from '../base/time.ts';
import { invokeRecorded } from '../generator/recorded-client.ts';
import type { Recorder } from '../history/recorder.ts';
import type { ClientOp } from '../systems/system.ts';
import type { FinalPhaseContext } from './workload.ts';

/**
 * Building blocks of final phases, shared by the workload modules. They run
 * after every fault is healed, under fresh process numbers above every
 * worker's, so checkers can tell final ops from the run's.
 */

/** A process number above every one used so far. */
export const nextProcess = (recorder: Recorder): number =>
  recorder.ops.reduce((m, o) => (typeof o.process === 'number' ? Math.max(m, o.process) : m), -1) + 1;

/**
 * Final reads: every node's own state (node-local reads), once all faults
 * are healed — each of `reads` on every node. Each read is retried until it
 * succeeds or the phase's budget runs out: a node still catching up may
 * refuse at first. A node can also answer from behind (a follower restarted
 * late has its log back but has not yet heard how much of it is committed),
 * so while the nodes' answers differ, every node is read again, until they
 * agree or the budget runs out. Checkers judge each node's latest final read.
 */
export const readEachNode = async (ctx: FinalPhaseContext, reads: readonly ClientOp[]): Promise<void> => {
  let process = nextProcess(ctx.recorder);
  const deadline = performance.now() + Math.max(10_000, ctx.opTimeoutMs * 5);
  for (;;) {
    const answers: string[] = [];
    for (const node of ctx.addresses) {
      const client = await ctx.open(node, { localReads: true });
      const values: string[] = [];
      try {
        for (const op of reads) {
          while (!ctx.signal.aborted) {
            const call = { process, op, node: node.id, timeoutMs: ctx.opTimeoutMs };
            const { completion } = await invokeRecorded(ctx.recorder, client, call, ctx.signal);
            if (completion.type === 'info') process += 1;
            if (completion.type === 'ok') values.push(canonical(completion.value));
            if (completion.type === 'ok' || performance.now() > deadline) break;
            await sleep(250, ctx.signal);
          }
        }
      } finally {
        await client.close().catch(() => {});
      }
      answers.push(values.join('\n'));
      process += 1;
    }
    if (ctx.signal.aborted || performance.now() > deadline || answers.every((a) => a === answers[0])) return;
    await sleep(500, ctx.signal);
  }
};

/** A read's value in a form equal for equal states: sets and sibling lists in any order compare equal. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (Array.isArray(v) ? v.map((x) => JSON.stringify(x)).sort() : v));

/**
 * Final writes (registers): every key written once through each node in
 * turn, each acknowledged before the next begins, so their real-time order
 * is known. Values are negative, unique, and never collide with the
 * workers' (which are positive).
 */
export const writeThroughEachNode = async (ctx: FinalPhaseContext, keys: readonly string[]): Promise<void> => {
  let process = nextProcess(ctx.recorder);
  let value = 0;
  for (const node of ctx.addresses) {
    const client = await ctx.open(node);
    try {
      for (const key of keys) {
        if (ctx.signal.aborted) return;
        value -= 1;
        const call = { process, op: { f: 'write', key, value }, node: node.id, timeoutMs: ctx.opTimeoutMs };
        const { completion } = await invokeRecorded(ctx.recorder, client, call, ctx.signal);
        if (completion.type === 'info') process += 1;
      }
    } finally {
      await client.close().catch(() => {});
    }
    process += 1;
  }
};

/** Picks an operation by the preset's mix weights. */
export const mixPicker = (mix: Readonly<Record<string, number>>, next: () => number): (() => string) => {
  const entries = Object.entries(mix).filter(([, w]) => w > 0);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  return () => {
    let r = next() * total;
    for (const [f, w] of entries) {
      r -= w;
      if (r < 0) return f;
    }
    return entries[entries.length - 1]![0];
  };
};

/** Values unique across the run without coordination: worker w of c writes w + c, w + 2c, ... */
export const uniqueValues = (worker: number, concurrency: number): (() => number) => {
  let seq = 0;
  return () => {
    seq += 1;
    return seq * concurrency + worker;
  };
};

export const registerKeys = (count: number): string[] => Array.from({ length: count }, (_, i) => `k${i}`);
