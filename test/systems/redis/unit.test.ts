import { describe, expect, test } from 'vitest';
import { failureCompletion } from '../../../src/systems/redis/client.ts';
import { redisConf, sentinelConf, sentinelId } from '../../../src/systems/redis/config.ts';
import { clientMode, redisOptions } from '../../../src/systems/redis/options.ts';
import { redisSystem } from '../../../src/systems/redis/system.ts';
import type { LaunchContext } from '../../../src/systems/system.ts';

const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

describe('redis outcomes', () => {
  test('an error reply is fail: Redis executed nothing', () => {
    for (const msg of ["READONLY You can't write against a read only replica.", 'EXECABORT Transaction discarded']) {
      expect(failureCompletion(replyError(msg), false, { state: 'sent' }).type).toBe('fail');
    }
  });

  test('a command never sent (no connection) is fail; a sent write that lost its answer is info', () => {
    const notSent = new Error("Stream isn't writeable and enableOfflineQueue options is false");
    expect(failureCompletion(notSent, false, { state: 'sent' }).type).toBe('fail');
    expect(failureCompletion('timeout', false, { state: 'none' }).type).toBe('fail'); // stuck in WATCH/GET
    expect(failureCompletion('timeout', false, { state: 'sent' })).toEqual({ type: 'info', error: 'timeout' });
    expect(failureCompletion('connection closed', false, { state: 'sent' }).type).toBe('info');
    expect(failureCompletion(new Error('Connection is closed.'), false, { state: 'sent' }).type).toBe('info');
  });

  test('once the primary applied a write, anything after it (WAIT) leaves it indeterminate', () => {
    expect(failureCompletion(replyError('ERR WAIT cannot be used'), false, { state: 'applied' }).type).toBe('info');
    expect(failureCompletion('timeout', false, { state: 'applied' }).type).toBe('info');
  });

  test('a read that does not succeed is fail', () => {
    expect(failureCompletion('timeout', true, { state: 'none' }).type).toBe('fail');
    expect(failureCompletion('connection closed', true, { state: 'none' }).type).toBe('fail');
  });
});

const ctx = (id: string, options: Record<string, unknown> = {}): LaunchContext => {
  const n = Number(id.slice(1));
  const peers = Object.fromEntries(
    ['n1', 'n2', 'n3']
      .filter((p) => p !== id)
      .map((p) => {
        const m = Number(p.slice(1));
        return [p, { redis: `127.0.0.${m}:${6000 + m}`, sentinel: `127.0.0.${m}:${7000 + m}` }];
      }),
  );
  return {
    id,
    index: n - 1,
    nodes: ['n1', 'n2', 'n3'],
    host: `127.0.0.${n}`,
    ports: { redis: 6000 + n, sentinel: 7000 + n },
    port: 6000 + n,
    dataDir: `/tmp/run/data/${id}`,
    peers,
    options,
    runId: 'r1',
  };
};

describe('redis configuration', () => {
  test('the first node is the primary, the others its replicas; persistence as the options say', () => {
    const o = redisOptions({ appendfsync: 'always' }, 3);
    const primary = redisConf(ctx('n1'), o);
    expect(primary).toContain('bind 127.0.0.1\nport 6001\nset-proc-title no\n');
    expect(primary).toContain('dir /tmp/run/data/n1\n');
    expect(primary).toContain('appendonly yes\nappendfsync always\n');
    expect(primary).not.toContain('replicaof');
    expect(redisConf(ctx('n3'), o)).toContain('replicaof 127.0.0.1 6001\n');
    expect(redisConf(ctx('n2'), redisOptions({ appendonly: false }, 3))).toContain('appendonly no\n');
  });

  test('each sentinel watches the first node with the quorum and timings, and knows the replicas and the other sentinels', () => {
    const conf = sentinelConf(ctx('n2'), redisOptions({ downAfterMs: '500ms', failoverTimeoutMs: 2000 }, 3));
    expect(conf).toContain('sentinel monitor faultline 127.0.0.1 6001 2\n');
    expect(conf).toContain('sentinel down-after-milliseconds faultline 500\n');
    expect(conf).toContain('sentinel failover-timeout faultline 2000\n');
    expect(conf).toContain('sentinel announce-ip 127.0.0.2\n');
    expect(conf).toContain(`sentinel myid ${sentinelId('r1', 'n2')}\n`);
    expect(conf).toContain('sentinel known-replica faultline 127.0.0.2 6002\n');
    expect(conf).toContain('sentinel known-replica faultline 127.0.0.3 6003\n');
    expect(conf).toContain(`sentinel known-sentinel faultline 127.0.0.1 7001 ${sentinelId('r1', 'n1')}\n`);
    expect(conf).not.toContain(`known-sentinel faultline 127.0.0.2`);
    expect(sentinelId('r1', 'n1')).toMatch(/^[0-9a-f]{40}$/);
  });

  test('declares its ports, direct peer addressing, no libfaketime (jemalloc hangs under it) and its packages', () => {
    expect(redisSystem.ports).toEqual(['redis', 'sentinel']);
    expect(redisSystem.abilities).toMatchObject({
      peerAddressing: 'direct',
      libfaketime: { unsupported: expect.stringContaining('jemalloc') },
    });
    expect(redisSystem.requires?.map((r) => r.package)).toEqual(['redis-server', 'redis-sentinel']);
  });

  test('a setup step writes both files into the data dir; launch runs redis beside its sentinel', () => {
    const [step] = redisSystem.setup!(ctx('n1'));
    expect(step!.command).toBe('/bin/sh');
    expect(step!.args).toContain('/tmp/run/data/n1/redis.conf');
    expect(step!.args).toContain('/tmp/run/data/n1/sentinel.conf');
    expect(redisSystem.launch(ctx('n1')).map((l) => [l.name, l.command, l.args[0]])).toEqual([
      ['redis', 'redis-server', '/tmp/run/data/n1/redis.conf'],
      ['sentinel', 'redis-sentinel', '/tmp/run/data/n1/sentinel.conf'],
    ]);
  });

  test('bad options and impossible counts name the key', () => {
    expect(() => redisOptions({}, 2)).toThrow('Redis with Sentinel needs at least 3 nodes');
    expect(() => redisOptions({ quorum: 4 }, 3)).toThrow('options.quorum: 4 is more than the 3 sentinels');
    expect(() => redisOptions({ wait: 3 }, 3)).toThrow('options.wait: 3 replicas asked');
    expect(() => redisOptions({ appendfsync: 'sometimes' }, 3)).toThrow('options.appendfsync: expected one of');
    expect(redisOptions({}, 5).quorum).toBe(3);
  });

  test('WAIT comes from the preset unless the workload says otherwise', () => {
    expect(clientMode({}, {}).wait).toEqual({ replicas: 0, timeoutMs: 1000 });
    expect(clientMode({ wait: 1, waitTimeoutMs: 500 }, {}).wait).toEqual({ replicas: 1, timeoutMs: 500 });
    expect(clientMode({ wait: 1 }, { wait: 0 }).wait.replicas).toBe(0);
    expect(clientMode({}, { readFrom: 'local' }).local).toBe(true);
  });
});
