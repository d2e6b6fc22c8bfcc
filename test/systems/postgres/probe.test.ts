import { describe, expect, test } from 'vitest';
import { clusterOf, lsnValue, type NodeProbe, primaryOf, walPosition } from '../../../src/systems/postgres/probe.ts';

const probe = (p: Partial<NodeProbe> & Pick<NodeProbe, 'id'>): NodeProbe => ({
  systemId: '7400000000000000001',
  standby: true,
  timeline: 1,
  flushLsn: null,
  receiveLsn: null,
  replayLsn: null,
  syncStandbyNames: '',
  upstream: null,
  replicas: [],
  ...p,
});

describe('postgres probes', () => {
  test('LSNs order like the WAL, across the 32-bit boundary; none is lowest', () => {
    expect(lsnValue('0/16B3748')).toBe(0x16b3748n);
    expect(lsnValue('1/0') > lsnValue('0/FFFFFFFF')).toBe(true);
    expect(lsnValue('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(lsnValue(null)).toBe(-1n);
    expect(lsnValue('garbage')).toBe(-1n);
  });

  test('a standby goes as far as it received or replayed, whichever is further', () => {
    expect(walPosition(probe({ id: 'n2', receiveLsn: '0/3000200', replayLsn: '0/3000100' }))).toBe(0x3000200n);
    expect(walPosition(probe({ id: 'n2', receiveLsn: null, replayLsn: '0/3000100' }))).toBe(0x3000100n);
  });

  test('the primary is the node out of recovery on the highest timeline', () => {
    const n1 = probe({ id: 'n1', standby: false, timeline: 1 });
    const n2 = probe({ id: 'n2', standby: false, timeline: 2 });
    const n3 = probe({ id: 'n3', standby: true, timeline: 2 });
    expect(primaryOf([n1, n2, n3])?.id).toBe('n2');
    expect(primaryOf([n1, n3])?.id).toBe('n1');
    expect(primaryOf([n3])).toBeUndefined();
  });

  test('the cluster is the system identifier most nodes share; a tie names none', () => {
    const ours = (id: string) => probe({ id, systemId: 'A' });
    const stranger = (id: string) => probe({ id, systemId: 'B' });
    expect(clusterOf([ours('n1'), stranger('n2'), ours('n3')])).toBe('A');
    expect(clusterOf([ours('n1'), stranger('n2')])).toBeUndefined();
    expect(clusterOf([stranger('n2')])).toBe('B');
    expect(clusterOf([])).toBeUndefined();
  });
});
