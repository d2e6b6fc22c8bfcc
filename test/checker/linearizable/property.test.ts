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

describe('property: crashed operations nobody observed (ModelHooks.prune)', () => {
  // The same model without the hook: every operation searched.
  const unpruned = (): ReturnType<typeof casRegister> => ({ ...casRegister({ initial: INITIAL }), prune: undefined });

  it('leaving them out keeps the verdict, on real histories and with any read changed to any value written', () => {
    let leftOut = 0;
    let illegal = 0;
    fc.assert(
      fc.property(schedule(120), fc.nat(), fc.nat(), ({ choices, clients }, readPick, valuePick) => {
        const ops = fromHistory(execute(choices, clients, 1, 5).history);
        const reads = ops.filter((o) => o.input.f === 'read' && o.output !== undefined);
        const values = ops.filter((o) => o.input.f !== 'read').map((o) => casArgsOf(o.input));
        const variants = [ops];
        if (reads.length > 0 && values.length > 0) {
          // A read that returns some written value (a crashed write's too): sometimes legal, often not.
          const target = reads[readPick % reads.length]!;
          const value = values[valuePick % values.length];
          variants.push(ops.map((o) => (o === target ? { ...o, output: value } : o)));
        }
        for (const v of variants) {
          const pruned = checkSync(casRegister({ initial: INITIAL }), v, { timeoutMs: 20_000 });
          const whole = checkSync(unpruned(), v, { timeoutMs: 20_000 });
          expect(pruned.result).toBe(whole.result);
          leftOut += pruned.leftOut ?? 0;
          if (whole.result === 'illegal') illegal++;
        }
      }),
      { numRuns: 300 },
    );
    // The property is not vacuous: operations were left out, and both verdicts came up.
    expect(leftOut).toBeGreaterThan(100);
    expect(illegal).toBeGreaterThan(30);
  });
});

/** The value a write or cas leaves in the register. */
const casArgsOf = (input: { f: string; value: unknown }): unknown =>
  input.f === 'cas' ? (input.value as unknown[])[1] : input.value;

describe('property: where an illegal partition gets stuck', () => {
  it('is what the entry list says after lifting the longest partial linearization', () => {
    let illegal = 0;
    fc.assert(
      fc.property(schedule(60), ({ choices, clients, pick }) => {
        const exec = execute(choices, clients, 1, 9);
        const bad = withStaleRead(exec, pick);
        fc.pre(bad !== undefined);
        const model = casRegister({ initial: INITIAL });
        const r = checkSync(model, fromHistory(bad!), { timeoutMs: 20_000, keepPartial: true });
        fc.pre(r.result === 'illegal' && r.partitions[0]!.precheck === undefined);
        illegal++;
        const p = r.partitions[0]!;
        // The reference: Wing & Gong's list over the operations searched (crashed ones nobody
        // observed left out, as the check does), the prefix lifted.
        const ops = model.prune!(fromHistory(bad!));
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
