import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSync } from '../../../src/checker/linearizable/check.ts';
import { buildEntryList, CALL, candidates, INFO_CALL, lift } from '../../../src/checker/linearizable/entries.ts';
import { fromHistory } from '../../../src/checker/linearizable/from-history.ts';
import { casRegister, kv } from '../../../src/checker/models/index.ts';
import type { Op } from '../../../src/history/op.ts';
import { execute, INITIAL, withStaleRead } from './simulate.ts';

const schedule = (maxLength: number) =>
  fc.record({
    choices: fc.array(fc.nat({ max: 4095 }), { minLength: 10, maxLength }),
    clients: fc.integer({ min: 1, max: 5 }),
    pick: fc.nat(),
  });

const verdict = (history: readonly Op[], model: Parameters<typeof checkSync>[0]) =>
  checkSync(model, fromHistory(history), { timeoutMs: 20_000 }).result;

describe('property: histories of a real object', () => {
  it('are linearizable (one register, crashes as info)', () => {
    fc.assert(
      fc.property(schedule(160), ({ choices, clients }) => {
        const exec = execute(choices, clients, 1, 9);
        expect(verdict(exec.history, casRegister({ initial: INITIAL }))).toBe('ok');
      }),
      { numRuns: 200 },
    );
  });

  it('are not linearizable once one read returns a stale value', () => {
    let mutated = 0;
    fc.assert(
      fc.property(schedule(160), ({ choices, clients, pick }) => {
        const exec = execute(choices, clients, 1, 9);
        const bad = withStaleRead(exec, pick);
        fc.pre(bad !== undefined);
        mutated++;
        expect(verdict(bad!, casRegister({ initial: INITIAL }))).toBe('illegal');
      }),
      { numRuns: 200 },
    );
    expect(mutated).toBeGreaterThan(50);
  });

  it('partitioned and unpartitioned kv models agree', () => {
    fc.assert(
      fc.property(schedule(120), fc.integer({ min: 1, max: 4 }), ({ choices, clients, pick }, keys) => {
        const exec = execute(choices, clients, keys, 9);
        for (const history of [exec.history, withStaleRead(exec, pick)]) {
          if (!history) continue;
          const parted = verdict(history, kv({ initial: INITIAL }));
          const whole = verdict(history, kv({ initial: INITIAL, partition: false }));
          expect(whole).toBe(parted);
          expect(parted).toBe(history === exec.history ? 'ok' : 'illegal');
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('property: where an illegal partition gets stuck', () => {
  it('is what the entry list says after lifting the longest partial linearization', () => {
    let illegal = 0;
    fc.assert(
      fc.property(schedule(60), ({ choices, clients, pick }) => {
        const exec = execute(choices, clients, 1, 9);
        const bad = withStaleRead(exec, pick);
        fc.pre(bad !== undefined);
        const ops = fromHistory(bad!);
        const r = checkSync(casRegister({ initial: INITIAL }), ops, { timeoutMs: 20_000, keepPartial: true });
        fc.pre(r.result === 'illegal' && r.partitions[0]!.precheck === undefined);
        illegal++;
        const p = r.partitions[0]!;
        // The reference: Wing & Gong's list over the same operations, the prefix lifted.
        const list = buildEntryList(ops as never);
        const callNode = new Int32Array(list.n);
        for (let node = 0; node < 2 * list.n; node++) {
          if (list.kind[node] === CALL || list.kind[node] === INFO_CALL) callNode[list.opOf[node]!] = node;
        }
        const index = new Map(ops.map((o, i) => [o.id, i]));
        for (const step of p.linearizations![0]!.steps) lift(list, callNode[index.get(step.id)!]!);
        const expected = candidates(list).map((i) => ops[i]!.id);
        expect(p.stuck!.map((s) => s.id).sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
      }),
      { numRuns: 200 },
    );
    expect(illegal).toBeGreaterThan(20);
  });
});
