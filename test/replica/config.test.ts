import { describe, expect, test } from 'vitest';
import { parseReplicaArgs } from '../../src/replica/config.ts';

const base = ['--id', 'n1', '--port', '7001'];

describe('parseReplicaArgs', () => {
  test('fills defaults and parses peers', () => {
    const c = parseReplicaArgs([...base, '--peers', 'n2=127.0.0.1:7102,n3=127.0.0.1:7103']);
    expect(c).toMatchObject({
      id: 'n1',
      host: '127.0.0.1',
      port: 7001,
      peers: { n2: '127.0.0.1:7102', n3: '127.0.0.1:7103' },
      topology: 'single-leader',
      replication: 'sync',
      fsync: { kind: 'always' },
    });
  });

  test('errors name the flag', () => {
    expect(() => parseReplicaArgs([...base, '--replication', 'syncc'])).toThrow(
      '--replication: expected one of sync, semi-sync, async; got "syncc"',
    );
    expect(() => parseReplicaArgs([...base, '--peers', 'n2:7102'])).toThrow('--peers: expected id=host:port');
    expect(() => parseReplicaArgs([...base, '--peers', 'n1=127.0.0.1:1'])).toThrow("lists this node's own id");
    expect(() => parseReplicaArgs(['--port', '1'])).toThrow('--id is required');
    expect(() => parseReplicaArgs([...base, '--bogus', '1'])).toThrow(/bogus/);
    expect(() =>
      parseReplicaArgs([...base, '--peers', 'n2=127.0.0.1:2', '--replication', 'semi-sync', '--sync-acks', '2']),
    ).toThrow('only 1 followers exist');
  });

  test('fsync interval takes its period', () => {
    expect(parseReplicaArgs([...base, '--fsync', 'interval', '--fsync-interval-ms', '50']).fsync).toEqual({
      kind: 'interval',
      intervalMs: 50,
    });
  });
});
