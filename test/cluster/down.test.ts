import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { FaultlineError } from '../../src/base/errors.ts';
import { copyLogs, createBackendDown, type DownState, type DownStep } from '../../src/cluster/down.ts';

const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fl-test-down-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
};

/** A backend's state with a run dir of data/ and logs/, made by the caller (ownsRunDir false) unless said. */
const upState = async (ownsRunDir = false): Promise<DownState> => {
  const runDir = path.join(await tempDir(), 'run');
  await mkdir(path.join(runDir, 'data', 'n1'), { recursive: true });
  await mkdir(path.join(runDir, 'logs'), { recursive: true });
  return { closing: false, runDir, ownsRunDir };
};

/** A down whose release and exit handler are observable. */
const toyDown = (errorText?: (e: unknown) => string) => {
  const seen = { released: 0 };
  const onExit = () => {};
  onTestFinished(() => {
    process.off('exit', onExit);
  });
  const shutdown = createBackendDown<DownState>({
    backend: 'toy',
    onExit,
    release: () => {
      seen.released++;
    },
    nodeFiles: 'data',
    ...(errorText ? { errorText } : {}),
  });
  const armed = () => process.listeners('exit').includes(onExit);
  return { shutdown, seen, armed };
};

describe('backend down: step sequence', () => {
  test('runs the steps in order, data dirs last; a failing step does not stop the later ones, and every failure is reported', async () => {
    const { shutdown, seen } = toyDown();
    const st = await upState();
    const ran: string[] = [];
    const error = await shutdown
      .run(st, async (s, step) => {
        expect(s).toBe(st);
        expect(s.closing).toBe(true);
        await step('heal', () => {
          ran.push('heal');
          throw new Error('no engine');
        });
        await step('stop', async () => {
          ran.push('stop');
        });
        await step('remove', async () => {
          ran.push('remove');
          throw 'disk gone';
        });
        await step('close', () => ran.push(`close (data there: ${existsSync(path.join(st.runDir, 'data'))})`));
      })
      .catch((e: unknown) => e);
    expect(ran).toEqual(['heal', 'stop', 'remove', 'close (data there: true)']);
    expect(error).toBeInstanceOf(FaultlineError);
    expect((error as FaultlineError).code).toBe('FL_ERR_BACKEND');
    expect((error as FaultlineError).message).toBe(
      'toy backend down did not finish cleanly: heal: no engine; remove: disk gone',
    );
    // Failed or not, the data dirs went and the state was released.
    expect(existsSync(path.join(st.runDir, 'data'))).toBe(false);
    expect(seen.released).toBe(1);
  });

  test('resolves when every step succeeds; failures read through the backend errorText', async () => {
    const { shutdown } = toyDown((e) => `<${String(e)}>`);
    await expect(shutdown.run(await upState(), async (_, step) => step('ok', () => undefined))).resolves.toBe(
      undefined,
    );
    await expect(
      shutdown.run(await upState(), async (_, step) => step('bad', () => Promise.reject('x'))),
    ).rejects.toThrow('toy backend down did not finish cleanly: bad: <x>');
  });

  test('a backend that is not up has nothing to do', async () => {
    const { shutdown, seen } = toyDown();
    let ran = false;
    await shutdown.run(undefined, async () => {
      ran = true;
    });
    expect(ran).toBe(false);
    expect(seen.released).toBe(0);
  });

  test('a down while one runs waits for that one; once it has finished, the next runs anew', async () => {
    const { shutdown, seen } = toyDown();
    let runs = 0;
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const steps = async (_: DownState, step: DownStep) => {
      runs++;
      await step('wait', () => gate);
    };
    const first = shutdown.run(await upState(), steps);
    const second = shutdown.run(await upState(), steps);
    expect(second).toBe(first);
    release();
    await Promise.all([first, second]);
    expect(runs).toBe(1);
    await shutdown.run(await upState(), steps);
    expect(runs).toBe(2);
    expect(seen.released).toBe(2);
  });

  test('the exit handler is in place from arm until the steps have run, failed or not', async () => {
    const { shutdown, armed } = toyDown();
    shutdown.arm();
    expect(armed()).toBe(true);
    let duringSteps: boolean | undefined;
    await shutdown
      .run(await upState(), async (_, step) => {
        duringSteps = armed();
        await step('fails', () => {
          throw new Error('boom');
        });
      })
      .catch(() => {});
    expect(duringSteps).toBe(true);
    expect(armed()).toBe(false);
  });

  test('data dirs: a run dir the backend made goes whole, else only its node files (the caller keeps the logs)', async () => {
    const { shutdown } = toyDown();
    for (const owns of [true, false]) {
      const st = await upState(owns);
      await shutdown.run(st, async () => {});
      expect(existsSync(st.runDir)).toBe(!owns);
      expect(existsSync(path.join(st.runDir, 'logs'))).toBe(!owns);
      expect(existsSync(path.join(st.runDir, 'data'))).toBe(false);
    }
  });
});

describe('backend down: copyLogs', () => {
  test('copies each node log, skipping a node that never logged and a log already in place', async () => {
    const dir = await tempDir();
    const logs = path.join(dir, 'logs');
    await mkdir(logs);
    await writeFile(path.join(logs, 'n1.log'), 'n1 says hi\n');
    const dest = path.join(dir, 'kept', 'deep');
    await copyLogs(dest, [
      { id: 'n1', logPath: path.join(logs, 'n1.log') },
      { id: 'n2', logPath: path.join(logs, 'n2.log') },
    ]);
    expect(await readFile(path.join(dest, 'n1.log'), 'utf8')).toBe('n1 says hi\n');
    expect(existsSync(path.join(dest, 'n2.log'))).toBe(false);
    // Keeping the logs where they already are is a no-op, not a copy onto itself.
    await copyLogs(logs, [{ id: 'n1', logPath: path.join(logs, 'n1.log') }]);
    expect(await readFile(path.join(logs, 'n1.log'), 'utf8')).toBe('n1 says hi\n');
  });
});
