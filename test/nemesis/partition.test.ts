import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/base/random.ts';
import { grudgeOf, halves, isolate, ringGrudge } from '../../src/nemesis/grudges.ts';

const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];

describe('grudges', () => {
  it('cuts every link between components, both ways', () => {
    expect(grudgeOf([['n1'], ['n2', 'n3']])).toEqual({ n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] });
  });

  it('splits into a minority and a majority covering every node', () => {
    const [a, b] = halves(nodes, createRandom(3));
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(3);
    expect([...a!, ...b!].sort()).toEqual(nodes);
  });

  it('isolates one node', () => {
    expect(isolate('n2', ['n1', 'n2', 'n3'])).toEqual([['n2'], ['n1', 'n3']]);
  });

  it('builds a majorities ring where each node sees exactly two neighbours', () => {
    const g = ringGrudge(nodes, createRandom(11));
    for (const n of nodes) {
      expect(g[n]).toHaveLength(2);
      expect(g[n]).not.toContain(n);
    }
    // symmetric: if a drops b then b drops a
    for (const [a, dropped] of Object.entries(g)) for (const b of dropped) expect(g[b]).toContain(a);
  });
});
