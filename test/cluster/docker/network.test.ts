import { describe, expect, test } from 'vitest';
import { FaultlineError } from '../../../src/base/errors.ts';
import {
  candidateSubnets,
  formatCidr,
  hostRoutes,
  overlaps,
  parseCidr,
  validateSubnet,
} from '../../../src/cluster/docker/network.ts';

describe('run network subnets', () => {
  test('parses and normalises IPv4 CIDRs; rejects anything else', () => {
    expect(formatCidr(parseCidr('10.213.7.9/24')!)).toBe('10.213.7.0/24');
    expect(parseCidr('10.213.7.0')).toBeUndefined();
    expect(parseCidr('300.1.1.1/24')).toBeUndefined();
    expect(parseCidr('fd00::/64')).toBeUndefined();
  });

  test('overlap is decided on the shorter prefix', () => {
    const c = (s: string) => parseCidr(s)!;
    expect(overlaps(c('10.213.7.0/24'), c('10.0.0.0/8'))).toBe(true);
    expect(overlaps(c('10.213.7.0/24'), c('10.213.8.0/24'))).toBe(false);
    expect(overlaps(c('172.17.0.0/16'), c('172.17.5.0/24'))).toBe(true);
  });

  test('the subnet option: a FL_ERR_CONFIG naming backendOptions.subnet when it is not a usable network', () => {
    expect(formatCidr(validateSubnet('10.50.0.0/24'))).toBe('10.50.0.0/24');
    for (const bad of ['nope', '10.0.0.0/30', 42, '10.0.0.0/4']) {
      const e = (() => {
        try {
          validateSubnet(bad);
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(FaultlineError);
      expect((e as FaultlineError).path).toBe('backendOptions.subnet');
    }
  });

  test('runs try every /24 of the pool, from a start drawn from the run id', () => {
    const a = candidateSubnets('run-a').map(formatCidr);
    expect(a).toHaveLength(256);
    expect(new Set(a).size).toBe(256);
    expect(a.every((s) => /^10\.213\.\d+\.0\/24$/.test(s))).toBe(true);
    expect(candidateSubnets('run-a').map(formatCidr)).toEqual(a);
    expect(candidateSubnets('run-b')[0]).not.toEqual(candidateSubnets('run-a')[0]);
  });

  test('host routes come from /proc/net/route (little-endian hex), skipping the default route', () => {
    const table = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
    ].join('\n');
    expect(hostRoutes(table).map(formatCidr)).toEqual(['192.168.1.0/24', '172.17.0.0/16']);
  });
});
