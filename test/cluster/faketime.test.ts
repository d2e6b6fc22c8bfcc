import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { sleep } from '../../src/base/time.ts';
import {
  clockCapability,
  driftFromNow,
  faketimeEnv,
  faketimeLibrary,
  formatClockSetting,
  offsetAt,
  parseClockSetting,
  settingForProcess,
  writeClockFile,
} from '../../src/cluster/faketime.ts';
import { createToySystem } from '../fixtures/toy-system.ts';
import { binaryMissing, skipWithout } from '../support/environment.ts';

describe('libfaketime settings', () => {
  test('offsets are signed seconds with millisecond precision; the rate always follows as xR, x1 included', () => {
    // libfaketime keeps the last rate it read when a setting has none: a healed drift must say x1.
    expect(formatClockSetting({ offsetMs: 0 })).toBe('+0.000 x1');
    expect(formatClockSetting({ offsetMs: 10_000 })).toBe('+10.000 x1');
    expect(formatClockSetting({ offsetMs: -250 })).toBe('-0.250 x1');
    expect(formatClockSetting({ offsetMs: 1500, rate: 2 })).toBe('+1.500 x2');
    expect(formatClockSetting({ offsetMs: 1500, rate: 1 })).toBe('+1.500 x1');
    expect(parseClockSetting('+0.000')).toEqual({ offsetMs: 0 });
    for (const s of [{ offsetMs: 123 }, { offsetMs: -90_000 }, { offsetMs: 5, rate: 1.001 }]) {
      expect(parseClockSetting(formatClockSetting(s))).toEqual(s);
    }
    expect(() => formatClockSetting({ offsetMs: Number.NaN })).toThrow(/finite/);
    expect(() => formatClockSetting({ offsetMs: 0, rate: 0 })).toThrow(/positive/);
    expect(() => parseClockSetting('tomorrow')).toThrow(/not a faultline clock setting/);
  });

  test('a drift from now compensates for libfaketime counting its rate from the process start', () => {
    // Started 10 s ago, 1 s ahead now, from now on 1 % fast: at this instant still 1 s ahead.
    const s = driftFromNow(1000, 1.01, 0, 10_000);
    const fakeAt = (t: number) => 0 + (t - 0) * s.rate! + s.offsetMs;
    expect(fakeAt(10_000) - 10_000).toBeCloseTo(1000, 6);
    expect(fakeAt(20_000) - 20_000).toBeCloseTo(1100, 6);
  });

  test("a node's drifted offset, and the setting for a process that started at another time, follow the same clock", () => {
    const clock = { setting: { offsetMs: 1000, rate: 1.5 }, atMs: 100_000 };
    expect(offsetAt(clock, 100_000)).toBe(1000);
    expect(offsetAt(clock, 104_000)).toBe(3000);
    // A process started at 90 000 s reads s + (t - s) * rate + O; at 104 000 that must be 3000 ahead.
    const s = settingForProcess(clock, 90_000, 104_000);
    expect(90_000 + (104_000 - 90_000) * s.rate! + s.offsetMs - 104_000).toBeCloseTo(3000, 6);
    expect(settingForProcess({ setting: { offsetMs: -250 }, atMs: 0 }, 5, 10)).toEqual({ offsetMs: -250 });
  });

  test('the environment preloads the library and keeps monotonic clocks real', () => {
    expect(faketimeEnv('/lib/libfaketime.so.1', '/run/n1/faketime')).toEqual({
      LD_PRELOAD: '/lib/libfaketime.so.1',
      FAKETIME_TIMESTAMP_FILE: '/run/n1/faketime',
      FAKETIME_NO_CACHE: '1',
      DONT_FAKE_MONOTONIC: '1',
    });
  });

  test('clock capability: a system with setClock always; one whose processes bypass libc never; else libfaketime', () => {
    expect(clockCapability(createToySystem())).toBe(true);
    const goLike = {
      ...createToySystem({ clock: false }),
      name: 'go-db',
      abilities: { libfaketime: { unsupported: 'it reads the clock without libc' } },
    };
    expect(clockCapability(goLike)).toBe(
      'system go-db has no clock control of its own, and libfaketime cannot shift its clock: it reads the clock without libc',
    );
    expect(clockCapability(createToySystem({ clock: false }))).toBe(faketimeLibrary() ? true : expect.any(String));
  });
});

describe.skipIf(skipWithout('faketime', binaryMissing('faketime', 'faketime')))('libfaketime on a real process', () => {
  test('rewriting the setting file moves the clock the running process reads, at once, and a rate makes it run fast', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-test-faketime-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'faketime');
    await writeClockFile(file, { offsetMs: 3_600_000 });
    // A process that prints its clock's offset from ours every 50 ms.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => console.log(Date.now()), 50)'], {
      env: { ...process.env, ...faketimeEnv(faketimeLibrary()!, file) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    let last = Number.NaN;
    child.stdout.on('data', (c: Buffer) => {
      const lines = c.toString().trim().split('\n');
      last = Number(lines.at(-1)) - Date.now();
    });
    const offsetSoon = async (want: number, within: number) => {
      for (let i = 0; i < 100 && !(Math.abs(last - want) < within); i++) await sleep(50);
      return last;
    };
    expect(Math.abs((await offsetSoon(3_600_000, 500)) - 3_600_000)).toBeLessThan(500);
    await writeClockFile(file, { offsetMs: -90_000 });
    expect(Math.abs((await offsetSoon(-90_000, 500)) + 90_000)).toBeLessThan(500);
    await writeClockFile(file, { offsetMs: 0, rate: 3 });
    await sleep(600);
    // Three times as fast since the process started (counting from its start, as libfaketime does).
    expect(last).toBeGreaterThan(1000);
    expect(readFileSync(file, 'utf8')).toBe('+0.000 x3\n');
  });
});
