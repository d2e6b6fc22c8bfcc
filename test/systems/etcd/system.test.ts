import { describe, expect, test } from 'vitest';
import { b64, prefixEnd } from '../../../src/systems/etcd/gateway.ts';
import { clientReadMode, etcdOptions } from '../../../src/systems/etcd/options.ts';
import { etcdArgs, etcdSystem } from '../../../src/systems/etcd/system.ts';
import type { LaunchContext } from '../../../src/systems/system.ts';

const ctx = (id: string, options: Record<string, unknown> = {}): LaunchContext => {
  const ports: Record<string, { client: number; peer: number }> = {
    n1: { client: 2001, peer: 3001 },
    n2: { client: 2002, peer: 3002 },
    n3: { client: 2003, peer: 3003 },
  };
  return {
    id,
    index: Number(id.slice(1)) - 1,
    nodes: ['n1', 'n2', 'n3'],
    host: `127.0.0.${id.slice(1)}`,
    ports: ports[id]!,
    port: ports[id]!.client,
    dataDir: `/tmp/run/data/${id}`,
    peers: Object.fromEntries(
      Object.entries(ports)
        .filter(([n]) => n !== id)
        .map(([n, p]) => [n, { client: `127.0.0.${n.slice(1)}:${p.client}`, peer: `127.0.0.${n.slice(1)}:${p.peer}` }]),
    ),
    options,
    runId: 'r1',
  };
};

const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];

describe('etcd launch', () => {
  test('one member per node: its own URLs, --initial-cluster from every peer URL, a data dir inside the node', () => {
    const args = etcdArgs(ctx('n2'));
    expect(flag(args, '--name')).toBe('n2');
    expect(flag(args, '--data-dir')).toBe('/tmp/run/data/n2/etcd');
    expect(flag(args, '--listen-client-urls')).toBe('http://127.0.0.2:2002');
    expect(flag(args, '--listen-peer-urls')).toBe('http://127.0.0.2:3002');
    expect(flag(args, '--initial-advertise-peer-urls')).toBe('http://127.0.0.2:3002');
    expect(flag(args, '--initial-cluster')).toBe(
      'n1=http://127.0.0.1:3001,n2=http://127.0.0.2:3002,n3=http://127.0.0.3:3003',
    );
    expect(flag(args, '--initial-cluster-token')).toBe('faultline-r1');
    expect(flag(args, '--election-timeout')).toBe('1000');
    expect(etcdSystem.launch(ctx('n1'))).toEqual([{ name: 'etcd', command: 'etcd', args: etcdArgs(ctx('n1')) }]);
  });

  test('timing options become flags', () => {
    const args = etcdArgs(ctx('n1', { heartbeatMs: '50ms', electionTimeoutMs: 500 }));
    expect(flag(args, '--heartbeat-interval')).toBe('50');
    expect(flag(args, '--election-timeout')).toBe('500');
  });

  test('declares its ports, direct peer addressing and the Debian package it needs', () => {
    expect(etcdSystem.ports).toEqual(['client', 'peer']);
    expect(etcdSystem.abilities).toMatchObject({
      peerAddressing: 'direct',
      libfaketime: { unsupported: expect.stringContaining('Go program') },
    });
    expect(etcdSystem.requires).toEqual([{ command: 'etcd', package: 'etcd-server' }]);
  });
});

describe('etcd options', () => {
  test('bad options name the key and the fix', () => {
    expect(() => etcdOptions({ reads: 'sometimes' })).toThrow(
      'options.reads: expected one of linearizable, serializable; got "sometimes"',
    );
    expect(() => etcdOptions({ heartbeatMs: 200, electionTimeoutMs: 500 })).toThrow(
      'options.electionTimeoutMs: 500 ms is less than 5 heartbeats (1000 ms)',
    );
    expect(() => etcdOptions({ 'election-timeout-ms': 500 })).toThrow(
      expect.objectContaining({ code: 'FL_ERR_CONFIG', hint: 'options are camelCase: write electionTimeoutMs' }),
    );
    expect(() => etcdOptions({ reads: 'serializable', heartbeatMs: '100ms' })).not.toThrow();
  });

  test('the read mode: the workload overrides the preset; final reads (readFrom: local) are serializable', () => {
    expect(clientReadMode({}, {})).toEqual({ serializable: false });
    expect(clientReadMode({ reads: 'serializable' }, {})).toEqual({ serializable: true });
    expect(clientReadMode({ reads: 'serializable' }, { reads: 'linearizable' })).toEqual({ serializable: false });
    expect(clientReadMode({}, { readFrom: 'local' })).toEqual({ serializable: true });
    // Workload options meant for other systems are left alone; a bad value of ours is not.
    expect(clientReadMode({}, { somethingElse: 1 })).toEqual({ serializable: false });
    expect(() => clientReadMode({}, { reads: 'stale' })).toThrow('options.reads');
  });
});

describe('etcd keys', () => {
  test('a prefix range ends just past the prefix', () => {
    expect(Buffer.from(prefixEnd('s/'), 'base64').toString()).toBe('s0');
    expect(Buffer.from(prefixEnd('faultline/set/s/'), 'base64').toString()).toBe('faultline/set/s0');
    expect(b64('k0')).toBe('azA=');
  });
});
