import type { Backend, Grudge, Link, LinkShape } from '../cluster/backend.ts';
import type { NodeId } from '../systems/system.ts';
import { isEmptyGrudge, unionGrudge } from './grudges.ts';

/**
 * The faults in place, composed. Several faults overlap (a partition while
 * a node is down; two kills of different nodes; a kill and a rolling
 * restart of the same node), but the backend's primitives are not
 * composable: `partition(grudge)` *replaces* the current grudge, `heal()`
 * removes every cut and every link shape at once, `start` brings back a
 * node whatever else wanted it down. So each fault *contributes* to one
 * desired state and gets a release; this module applies the difference:
 *
 * - down / paused: reference counts per node. Kill at 0 → 1, restart at
 *   1 → 0; a restarted node gets back what other faults still hold (its
 *   pause, its clock offset), since a new process starts clean.
 * - cuts: the union of every active grudge, applied with `partition`
 *   (which blocks new cuts before it lifts old ones, so moving from one
 *   union to the next never opens a healed window). `heal()` only when no
 *   cut and no shape is left, since it would lift shapes too.
 * - shapes: per link, the active shapes combined (delays and jitters add,
 *   losses compound); a link whose last shape goes is reset with an empty
 *   shape.
 * - clocks: per node, the sum of active offsets.
 *
 * Every change runs under one lock, so concurrent faults (a strobe ticking
 * while a partition starts) never interleave half-applied states.
 */
export type Release = () => Promise<void>;

export interface ClockShare {
  /** Change this fault's offset on its node (strobe, drift). */
  set(offsetMs: number): Promise<void>;
  release: Release;
}

export interface FaultStateSnapshot {
  down: NodeId[];
  paused: NodeId[];
  grudge: Record<NodeId, NodeId[]>;
  clocks: Record<NodeId, number>;
  shapedLinks: number;
}

export interface FaultState {
  /** Hold the nodes down: SIGKILL those not already down. */
  down(nodes: readonly NodeId[]): Promise<Release>;
  /** Hold the nodes paused (SIGSTOP). */
  pause(nodes: readonly NodeId[]): Promise<Release>;
  /** Add a grudge to the cuts in place. */
  cut(grudge: Grudge): Promise<Release>;
  /** Shape these links (added to other shapes on the same links). */
  shape(links: readonly Link[], shape: LinkShape): Promise<Release>;
  /** Add an offset to a node's clock. */
  skew(node: NodeId, offsetMs: number): Promise<ClockShare>;
  /**
   * Lift everything (links, pauses, clocks, down nodes), whatever holds it;
   * earlier releases become no-ops. Tries every step; throws the first
   * failure after all were tried.
   */
  healAll(): Promise<void>;
  snapshot(): FaultStateSnapshot;
}

interface ShapeShare {
  links: readonly Link[];
  shape: LinkShape;
}

interface ClockEntry {
  node: NodeId;
  offsetMs: number;
}

const linkKey = (l: Link): string => `${l.from}->${l.to}`;

/** Shapes on one link, combined: delays and jitters add, losses compound. */
export const combineShapes = (shapes: readonly LinkShape[]): LinkShape => {
  let delayMs = 0;
  let jitterMs = 0;
  let keep = 1;
  let hasDelay = false;
  let hasJitter = false;
  let hasLoss = false;
  for (const s of shapes) {
    if (s.delayMs !== undefined) {
      delayMs += s.delayMs;
      hasDelay = true;
    }
    if (s.jitterMs !== undefined) {
      jitterMs += s.jitterMs;
      hasJitter = true;
    }
    if (s.loss !== undefined) {
      keep *= 1 - s.loss;
      hasLoss = true;
    }
  }
  return {
    ...(hasDelay ? { delayMs } : {}),
    ...(hasJitter ? { jitterMs } : {}),
    ...(hasLoss ? { loss: 1 - keep } : {}),
  };
};

export const createFaultState = (backend: Backend, signal: AbortSignal): FaultState => {
  const down = new Map<NodeId, number>();
  const paused = new Map<NodeId, number>();
  const cuts = new Set<Grudge>();
  const shapes = new Set<ShapeShare>();
  const clocks = new Set<ClockEntry>();
  let linksTouched = false;

  // One change at a time, in call order.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => {});
    return p;
  };

  const count = (m: Map<NodeId, number>, n: NodeId) => m.get(n) ?? 0;
  const bump = (m: Map<NodeId, number>, n: NodeId, by: number) => {
    const v = count(m, n) + by;
    if (v <= 0) m.delete(n);
    else m.set(n, v);
    return v;
  };
  const clockOf = (n: NodeId): number => {
    let sum = 0;
    for (const c of clocks) if (c.node === n) sum += c.offsetMs;
    return sum;
  };
  /**
   * The offset last set on each node (what it believes now); NaN when not
   * known — after a restart, a backend may keep the offset (libfaketime's
   * file) or the new process may start with the true time (a system's own
   * clock control), so it is set again.
   */
  const appliedClock = new Map<NodeId, number>();
  const applyClock = async (n: NodeId) => {
    const want = clockOf(n);
    // A down node has no process to tell, a paused one cannot answer (an
    // admin call would hang): its restart or resume applies the offset.
    if (count(down, n) > 0 || count(paused, n) > 0 || !backend.isRunning(n)) return;
    if ((appliedClock.get(n) ?? 0) === want) return;
    await backend.clock(n, want);
    appliedClock.set(n, want);
  };

  const applyCuts = async () => {
    const union = unionGrudge([...cuts]);
    if (isEmptyGrudge(union) && shapes.size === 0) {
      if (linksTouched) await backend.heal();
      linksTouched = false;
      return;
    }
    linksTouched = true;
    await backend.partition(union);
  };

  const applyShapes = async (affected: readonly Link[]) => {
    if (shapes.size === 0 && cuts.size === 0) {
      if (linksTouched) await backend.heal();
      linksTouched = false;
      return;
    }
    linksTouched = true;
    // Group affected links by their combined shape: one backend call per distinct shape.
    const groups = new Map<string, { shape: LinkShape; links: Link[] }>();
    const seen = new Set<string>();
    for (const link of affected) {
      const key = linkKey(link);
      if (seen.has(key)) continue;
      seen.add(key);
      const on = [...shapes].filter((s) => s.links.some((l) => linkKey(l) === key)).map((s) => s.shape);
      const shape = combineShapes(on);
      const id = JSON.stringify(shape);
      const g = groups.get(id) ?? { shape, links: [] };
      g.links.push(link);
      groups.set(id, g);
    }
    for (const g of groups.values()) await backend.shape(g.links, g.shape);
  };

  /** Restart a node nothing holds down any more, and give it back what other faults still hold. */
  const bringUp = async (n: NodeId) => {
    const last = appliedClock.get(n) ?? 0;
    await backend.start(n, signal);
    if (last !== 0 || clockOf(n) !== 0) appliedClock.set(n, Number.NaN);
    else appliedClock.delete(n);
    if (count(paused, n) > 0) await backend.pause(n);
    await applyClock(n);
  };

  const once = (fn: () => Promise<void>): Release => {
    let done: Promise<void> | undefined;
    return () => {
      done ??= serial(fn);
      return done;
    };
  };

  return {
    down: (nodes) =>
      serial(async () => {
        const mine = [...nodes];
        for (const n of mine) {
          if (bump(down, n, 1) === 1 && backend.isRunning(n)) await backend.kill(n);
        }
        return once(async () => {
          for (const n of mine) {
            if (!down.has(n)) continue; // healAll lifted it already
            if (bump(down, n, -1) === 0) await bringUp(n);
          }
        });
      }),

    pause: (nodes) =>
      serial(async () => {
        const mine = [...nodes];
        for (const n of mine) {
          if (bump(paused, n, 1) === 1 && count(down, n) === 0) await backend.pause(n);
        }
        return once(async () => {
          for (const n of mine) {
            if (!paused.has(n)) continue;
            if (bump(paused, n, -1) === 0 && count(down, n) === 0) {
              await backend.resume(n);
              await applyClock(n);
            }
          }
        });
      }),

    cut: (grudge) =>
      serial(async () => {
        cuts.add(grudge);
        await applyCuts();
        return once(async () => {
          if (!cuts.delete(grudge)) return;
          await applyCuts();
        });
      }),

    shape: (links, shape) =>
      serial(async () => {
        const share: ShapeShare = { links: [...links], shape };
        shapes.add(share);
        await applyShapes(share.links);
        return once(async () => {
          if (!shapes.delete(share)) return;
          if (shapes.size === 0) {
            // Nothing shaped any more: clear the links (heal() if no cut remains).
            if (cuts.size === 0) {
              if (linksTouched) await backend.heal();
              linksTouched = false;
              return;
            }
          }
          await applyShapes(share.links);
        });
      }),

    skew: (node, offsetMs) =>
      serial(async () => {
        const entry: ClockEntry = { node, offsetMs };
        clocks.add(entry);
        await applyClock(node);
        return {
          set: (ms: number) =>
            serial(async () => {
              if (!clocks.has(entry)) return;
              entry.offsetMs = ms;
              await applyClock(node);
            }),
          release: once(async () => {
            if (!clocks.delete(entry)) return;
            await applyClock(node);
          }),
        };
      }),

    healAll: () =>
      serial(async () => {
        const failures: unknown[] = [];
        const attempt = async (fn: () => Promise<void>) => {
          try {
            await fn();
          } catch (e) {
            failures.push(e);
          }
        };
        const wasDown = [...down.keys()];
        const wasPaused = [...paused.keys()];
        const skewed = [...appliedClock.entries()].filter(([, v]) => v !== 0).map(([n]) => n);
        down.clear();
        paused.clear();
        cuts.clear();
        shapes.clear();
        clocks.clear();
        // Links first, so that nodes coming back can talk at once.
        if (linksTouched) await attempt(() => backend.heal());
        linksTouched = false;
        for (const n of wasPaused) if (!wasDown.includes(n)) await attempt(() => backend.resume(n));
        for (const n of wasDown) await attempt(() => backend.start(n, signal));
        // Every clock back to the true time, restarted nodes too (a backend may have kept their offset).
        for (const n of skewed) {
          await attempt(async () => {
            if (backend.isRunning(n)) await backend.clock(n, 0);
            appliedClock.delete(n);
          });
        }
        if (failures.length > 0) throw failures[0];
      }),

    snapshot: () => {
      const shaped = new Set<string>();
      for (const s of shapes) for (const l of s.links) shaped.add(linkKey(l));
      const skew: Record<NodeId, number> = {};
      for (const c of clocks) skew[c.node] = (skew[c.node] ?? 0) + c.offsetMs;
      return {
        down: [...down.keys()].sort(),
        paused: [...paused.keys()].sort(),
        grudge: unionGrudge([...cuts]),
        clocks: skew,
        shapedLinks: shaped.size,
      };
    },
  };
};
