import { sleep } from '../base/time.ts';
import type { NodeId } from '../systems/system.ts';
import { type FaultInjector, healOnce, type InjectorContext } from './nemesis.ts';
import type { FaultSpec } from './spec.ts';
import type { ClockShare } from './state.ts';
import { resolveTarget } from './targets.ts';

/**
 * Clock faults, all through the backend's `clock(node, offset)` (the
 * system's own clock control, or libfaketime): a bump holds one offset; a
 * strobe flips between the true time and the offset every `period`; a
 * drift moves the offset by `rate` seconds per second, in steps. Offsets
 * of overlapping clock faults on one node add up (state.ts); healing
 * removes this fault's share.
 */

/** Bump: the targets' clocks `offset` ms off for the duration. */
export const clock: FaultInjector<Extract<FaultSpec, { kind: 'clock' }>> = async (ctx, fault) => {
  const { targets, note } = await resolveTarget(ctx, fault.target);
  const shares = await skewAll(ctx, targets, fault.offset);
  return {
    kind: 'clock',
    value: { targets, offsetMs: fault.offset, ...(note ? { note } : {}) },
    heal: healOnce(async () => {
      await releaseAll(shares);
      return { targets, offsetMs: 0 };
    }),
  };
};

/** Strobe: flip between 0 and `offset` every `period` until healed. */
export const clockStrobe: FaultInjector<Extract<FaultSpec, { kind: 'clock-strobe' }>> = async (ctx, fault) => {
  const { targets, note } = await resolveTarget(ctx, fault.target);
  const shares = await skewAll(ctx, targets, fault.offset);
  let flips = 1;
  const ticker = tick(ctx, fault.period, async () => {
    const on = flips % 2 === 0;
    flips += 1;
    await Promise.all(shares.map((s) => s.set(on ? fault.offset : 0)));
  });
  return {
    kind: 'clock-strobe',
    value: { targets, offsetMs: fault.offset, periodMs: fault.period, ...(note ? { note } : {}) },
    heal: healOnce(async () => {
      await ticker.stop();
      await releaseAll(shares);
      return { targets, flips, offsetMs: 0 };
    }),
  };
};

/** Drift: the offset grows by `rate` ms per ms of real time, stepped `every` so often; healing steps it back to 0. */
export const clockDrift: FaultInjector<Extract<FaultSpec, { kind: 'clock-drift' }>> = async (ctx, fault) => {
  const { targets, note } = await resolveTarget(ctx, fault.target);
  const shares = await skewAll(ctx, targets, 0);
  const began = performance.now();
  let offsetMs = 0;
  let steps = 0;
  const ticker = tick(ctx, fault.every, async () => {
    offsetMs = Math.round((performance.now() - began) * fault.rate);
    steps += 1;
    await Promise.all(shares.map((s) => s.set(offsetMs)));
  });
  return {
    kind: 'clock-drift',
    value: { targets, rate: fault.rate, everyMs: fault.every, ...(note ? { note } : {}) },
    heal: healOnce(async () => {
      await ticker.stop();
      await releaseAll(shares);
      return { targets, steps, finalOffsetMs: offsetMs, offsetMs: 0 };
    }),
  };
};

const skewAll = (ctx: InjectorContext, targets: readonly NodeId[], offsetMs: number): Promise<ClockShare[]> =>
  Promise.all(targets.map((n) => ctx.state.skew(n, offsetMs)));

const releaseAll = async (shares: readonly ClockShare[]): Promise<void> => {
  await Promise.all(shares.map((s) => s.release()));
};

/**
 * Runs `step` every `everyMs` until stopped (or the run is interrupted).
 * A failed step stops the ticker: its error is raised by `stop`, so the
 * heal records it.
 */
export const tick = (ctx: InjectorContext, everyMs: number, step: () => Promise<void>): { stop(): Promise<void> } => {
  const halt = new AbortController();
  const onAbort = () => halt.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const loop = (async () => {
    while (!halt.signal.aborted) {
      await sleep(everyMs, halt.signal);
      if (halt.signal.aborted) return;
      await step();
    }
  })();
  return {
    async stop() {
      halt.abort();
      ctx.signal.removeEventListener('abort', onAbort);
      await loop;
    },
  };
};
