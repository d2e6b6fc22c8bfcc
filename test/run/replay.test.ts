import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { replayCommand, shellQuote } from '../../src/run/analyse.ts';
import { type ResolvedRunConfig, type RunOptions, resolveRunConfig } from '../../src/run/resolve.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-replay-'));
  dirs.push(dir);
  return dir;
};

/** Splits a POSIX shell command line (words, single quotes) as a shell would. */
const shellWords = (line: string): string[] => {
  const words: string[] = [];
  let word = '';
  let quoted = false;
  let inWord = false;
  let escaped = false;
  for (const c of line) {
    if (escaped) {
      word += c;
      escaped = false;
    } else if (quoted) {
      if (c === "'") quoted = false;
      else word += c;
    } else if (c === "'") {
      quoted = true;
      inWord = true;
    } else if (c === '\\') {
      escaped = true;
      inWord = true;
    } else if (c === ' ') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
};

/** The replay command's flags as RunOptions, as commander would hand them to resolveRunConfig. */
const parseReplay = (command: string): RunOptions => {
  const words = shellWords(command);
  expect(words.slice(0, 3)).toEqual(['npx', 'faultline', 'run']);
  const options: Record<string, string> = {};
  for (let i = 3; i < words.length; i += 2) {
    const flag = words[i]!;
    expect(flag.startsWith('--')).toBe(true);
    options[flag.slice(2).replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase())] = words[i + 1]!;
  }
  return options;
};

/** The configuration without where presets were read from (an inlined preset replays from a file). */
const comparable = (c: ResolvedRunConfig) => {
  const strip = <T extends { source: string }>({ source: _s, ...rest }: T) => rest;
  const { reportsDir: _r, ...rest } = c;
  return { ...rest, cluster: strip(c.cluster), workload: strip(c.workload), nemesis: strip(c.nemesis) };
};

const roundTrip = async (options: RunOptions) => {
  const original = await resolveRunConfig(options);
  const runDir = tempDir();
  const command = await replayCommand(original, runDir);
  const replayed = await resolveRunConfig(parseReplay(command));
  return { original, replayed, command, runDir };
};

describe('the replay command', () => {
  it('replays presets by name with every option kept: seed, nodes, limits, op timeout, quiesce', async () => {
    const { original, replayed, command } = await roundTrip({
      cluster: 'single-leader-async',
      workload: 'set',
      nemesis: 'partition-halves',
      seed: 17,
      nodes: 5,
      timeLimit: '1500ms',
      concurrency: 7,
      rate: 0,
      opTimeout: '750ms',
      quiesce: '4s',
      checkTimeout: '90s',
    });
    expect(command).toBe(
      'npx faultline run --cluster single-leader-async --workload set --nemesis partition-halves --nodes 5 --time-limit 1500ms --concurrency 7 --rate 0 --op-timeout 750ms --quiesce 4s --seed 17 --check-timeout 90s',
    );
    expect(comparable(replayed)).toEqual(comparable(original));
  });

  it('replays a preset given by path by its path, and a custom test name', async () => {
    const dir = tempDir();
    const file = join(dir, 'my cluster.yaml');
    writeFileSync(
      file,
      readFileSync(new URL('../../cluster/single-leader-sync.yaml', import.meta.url), 'utf8').replace(
        'name: single-leader-sync',
        'name: mine',
      ),
    );
    const { original, replayed, command } = await roundTrip({ cluster: file, seed: 3, test: 'nightly-1' });
    expect(command).toContain(`--cluster '${file}'`);
    expect(command).toContain('--test nightly-1');
    expect(replayed.cluster.source).toBe(file);
    expect(comparable(replayed)).toEqual(comparable(original));
  });

  it('replays presets inlined in a run file as files written into the run folder', async () => {
    const dir = tempDir();
    const runFile = join(dir, 'run.yaml');
    writeFileSync(
      runFile,
      [
        'cluster:',
        '  name: inline-sync',
        '  system: replica',
        '  nodes: 3',
        '  options: { topology: single-leader, replication: sync }',
        '  claims: { lostWrites: none, staleReads: { maxMs: 100, quantile: 0.99 } }',
        'workload:',
        '  name: inline-set',
        '  client: set',
        '  mix: { add: 1 }',
        'nemesis: none',
        'seed: 9',
        'timeLimit: 2s',
        'backend: local',
      ].join('\n'),
    );
    const { original, replayed, command, runDir } = await roundTrip({ config: runFile });
    expect(command).toContain(`--cluster ${join(runDir, 'presets', 'cluster.yaml')}`);
    expect(command).toContain(`--workload ${join(runDir, 'presets', 'workload.yaml')}`);
    expect(command).toContain('--nemesis none');
    expect(comparable(replayed)).toEqual(comparable(original));
    expect(replayed.cluster.claims.staleReads).toEqual({ maxMs: 100, quantile: 0.99 });
  });

  it('replays backend options (which have no flag) from a run file written into the run folder', async () => {
    const runFile = join(tempDir(), 'run.yaml');
    writeFileSync(runFile, 'backend: docker\nbackendOptions: { subnet: 10.231.0.0/24 }\nnemesis: none\nseed: 5\n');
    let trip: Awaited<ReturnType<typeof roundTrip>>;
    try {
      trip = await roundTrip({ config: runFile });
    } catch (e) {
      // Without a docker engine the backend is refused before anything is replayed: nothing to compare.
      expect(String(e)).toMatch(/docker/i);
      return;
    }
    const { original, replayed, command, runDir } = trip;
    expect(command).toContain(`--config ${join(runDir, 'presets', 'run.yaml')}`);
    expect(command).toContain('--backend docker');
    expect(replayed.backendOptions).toEqual({ subnet: '10.231.0.0/24' });
    expect(comparable(replayed)).toEqual(comparable(original));
  });

  it('quotes words a shell would split or expand', () => {
    expect(shellQuote('/tmp/a b.yaml')).toBe("'/tmp/a b.yaml'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('single-leader-sync')).toBe('single-leader-sync');
    expect(shellWords(`x ${shellQuote("it's $HOME")}`)).toEqual(['x', "it's $HOME"]);
  });
});
