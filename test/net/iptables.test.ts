import { describe, expect, test } from 'vitest';
import { chainNameFor, loopbackRules, receiverRules, restoreText, snatRules } from '../../src/net/iptables.ts';
import { netemCommands } from '../../src/net/netem.ts';

const ip: Record<string, string> = { n1: '10.0.0.2', n2: '10.0.0.3', n3: '10.0.0.4' };
const addressOf = (n: string) => ip[n]!;

describe('iptables rules', () => {
  test('a receiver drops exactly the senders its grudge names (itself ignored), plus loss on links toward it', () => {
    const faults = {
      grudge: { n1: ['n2', 'n1'], n2: ['n1'] },
      shaped: [
        { link: { from: 'n3', to: 'n1' }, shape: { loss: 0.25 } },
        { link: { from: 'n1', to: 'n3' }, shape: { loss: 0.5 } },
        { link: { from: 'n2', to: 'n1' }, shape: { delayMs: 50 } },
      ],
    };
    expect(receiverRules('n1', faults, addressOf)).toEqual([
      '-s 10.0.0.3/32 -j DROP',
      '-s 10.0.0.4/32 -m statistic --mode random --probability 0.250000 -j DROP',
    ]);
    expect(receiverRules('n3', faults, addressOf)).toEqual([
      '-s 10.0.0.2/32 -m statistic --mode random --probability 0.500000 -j DROP',
    ]);
    expect(receiverRules('n2', { grudge: {}, shaped: [] }, addressOf)).toEqual([]);
  });

  test('on loopback a cut flow is matched both as packets the sender opened and as replies on connections the receiver opened', () => {
    expect(loopbackRules({ grudge: { n2: ['n1'] }, shaped: [] }, addressOf)).toEqual([
      '-s 10.0.0.2/32 -d 10.0.0.3/32 -j DROP',
      '-s 10.0.0.2/32 -m conntrack --ctdir REPLY --ctrepldst 10.0.0.3/32 -j DROP',
    ]);
  });

  test('source NAT by supplementary group gives each node its own address on loopback', () => {
    expect(snatRules([{ group: 2100000016, address: '127.9.9.1' }])).toEqual([
      '-o lo -m owner --gid-owner 2100000016 --suppl-groups -j SNAT --to-source 127.9.9.1',
    ]);
  });

  test('iptables-restore text declares (so flushes) each chain before refilling it, and nothing else', () => {
    expect(restoreText('filter', { FAULTLINE: ['-s 1.2.3.4/32 -j DROP'] })).toBe(
      '*filter\n:FAULTLINE - [0:0]\n-A FAULTLINE -s 1.2.3.4/32 -j DROP\nCOMMIT\n',
    );
    expect(restoreText('filter', { FAULTLINE: [] })).toBe('*filter\n:FAULTLINE - [0:0]\nCOMMIT\n');
  });

  test('chain names fit iptables (28 characters) and differ per run', () => {
    const a = chainNameFor('r-20260101-000000-abcd');
    expect(a.length).toBeLessThanOrEqual(28);
    expect(a).toMatch(/^FAULTLINE-[0-9a-f]{12}$/);
    expect(chainNameFor('another')).not.toBe(a);
  });

  test('netem: a band of our own for the shaped destinations only', () => {
    const cmds = netemCommands('eth0', ['10.0.0.3'], { delayMs: 50, jitterMs: 10 }).map((c) => c.join(' '));
    expect(cmds[0]).toMatch(/^qdisc replace dev eth0 root handle 1: prio bands 4 priomap/);
    expect(cmds[1]).toBe('qdisc replace dev eth0 parent 1:4 handle 40: netem delay 50ms 10ms');
    expect(cmds[2]).toBe('filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 10.0.0.3/32 flowid 1:4');
  });
});
