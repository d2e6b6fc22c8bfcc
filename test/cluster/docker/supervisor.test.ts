import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { SETUP_MARKER, shQuote, supervisorScript } from '../../../src/cluster/docker/supervisor.ts';

const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'faultline-test-supervisor-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

/** Runs a generated script with /bin/sh here (the same script a container runs); returns exit code and output. */
const runScript = (script: string, dir: string): { code: number; output: string } => {
  const file = path.join(dir, 'run.sh');
  writeFileSync(file, script);
  try {
    return { code: 0, output: execFileSync('/bin/sh', [file], { encoding: 'utf8', stdio: 'pipe', timeout: 20_000 }) };
  } catch (e) {
    const err = e as { status: number; stdout: string };
    return { code: err.status, output: err.stdout };
  }
};

const plan = (dir: string, over: Partial<Parameters<typeof supervisorScript>[0]> = {}) => ({
  node: 'n1',
  nodeDir: dir,
  dataDir: path.join(dir, 'data'),
  setup: [],
  launch: [{ name: 'main', command: '/bin/sh', args: ['-c', 'echo "main $FAULTLINE_X"; exit 4'] }],
  env: { FAULTLINE_X: "it's quoted" },
  switchUsers: false,
  forwardTerm: false,
  ...over,
});

describe('node supervisor script', () => {
  test('shQuote survives quotes and spaces', () => {
    expect(execFileSync('/bin/sh', ['-c', `printf %s ${shQuote("a 'b' $c")}`], { encoding: 'utf8' })).toBe("a 'b' $c");
  });

  test('one process: exec’d with its environment, so its exit code is the node’s', () => {
    const dir = tempDir();
    const r = runScript(supervisorScript(plan(dir)), dir);
    expect(r.code).toBe(4);
    expect(r.output).toContain("main it's quoted");
  });

  test('setup steps run once (a marker records it); a failing step stops the node, naming it', () => {
    const dir = tempDir();
    const counter = path.join(dir, 'count');
    const setup = [{ name: 'init', command: '/bin/sh', args: ['-c', `echo x >> ${counter}`] }];
    const launch = [{ name: 'main', command: '/bin/true', args: [] }];
    const script = supervisorScript(plan(dir, { setup, launch }));
    expect(runScript(script, dir).code).toBe(0);
    expect(runScript(script, dir).code).toBe(0);
    expect(readFileSync(counter, 'utf8')).toBe('x\n');
    expect(readFileSync(path.join(dir, SETUP_MARKER), 'utf8')).toBe('');

    const dir2 = tempDir();
    const failing = [{ name: 'initdb', command: '/bin/sh', args: ['-c', 'echo nope >&2; exit 9'] }];
    const r = runScript(supervisorScript(plan(dir2, { setup: failing, launch })), dir2);
    expect(r.code).toBe(9);
    expect(r.output).toContain('--- faultline: setup step initdb exited with code 9');
  });

  test('several processes: when the first ends the others are killed and the node stops, naming it', () => {
    const dir = tempDir();
    const launch = [
      { name: 'server', command: '/bin/sleep', args: ['30'] },
      { name: 'sentinel', command: '/bin/sh', args: ['-c', 'sleep 0.3; exit 5'] },
    ];
    const started = Date.now();
    const r = runScript(supervisorScript(plan(dir, { launch })), dir);
    expect(Date.now() - started).toBeLessThan(10_000); // did not wait for the sleep 30
    expect(r.code).toBe(5);
    expect(r.output).toContain('--- faultline: n1/sentinel exited with code 5; stopping the node');
  });
});

describe('node supervisor script: rejoin steps and users', () => {
  test('rejoin steps run on this start, after setup and before launch; a failing one stops the node, named', () => {
    const dir = tempDir();
    const step = (name: string, code: number) => ({
      name,
      command: '/bin/sh',
      args: ['-c', `echo ${name}; exit ${code}`],
    });
    const ok = runScript(supervisorScript(plan(dir, { setup: [step('init', 0)], rejoin: [step('reclone', 0)] })), dir);
    expect(ok.output.split('\n').filter((l) => !l.startsWith('---'))).toEqual([
      'init',
      'reclone',
      "main it's quoted",
      '',
    ]);
    const failed = runScript(supervisorScript(plan(dir, { rejoin: [step('reclone', 3)] })), dir);
    expect(failed.code).toBe(3);
    expect(failed.output).toContain('setup step reclone exited with code 3');
    expect(failed.output).not.toContain('main');
  });

  test("as root, a user's environment is set after the switch (libfaketime in a root setpriv would break the user's process)", () => {
    const script = supervisorScript(
      plan(tempDir(), {
        switchUsers: true,
        env: { LD_PRELOAD: '/usr/lib/faketime/libfaketime.so.1' },
        launch: [{ name: 'pg', command: '/usr/bin/postgres', args: ['-D', 'x'], user: 'postgres' }],
      }),
    );
    expect(script).toContain(
      `exec setpriv --reuid='postgres' --regid="$(id -g 'postgres')" --init-groups -- env 'LD_PRELOAD=/usr/lib/faketime/libfaketime.so.1' '/usr/bin/postgres' '-D' 'x'`,
    );
    expect(script).not.toContain('export');
  });
});
