import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import type { Entry } from '../../src/replica/raft-log.ts';
import { encodeRecord, openWal, replayWal, WAL_FILE } from '../../src/replica/wal.ts';

const entry = (index: number, term: number, value = index): Entry => ({
  term,
  index,
  op: { type: 'put', key: 'k', value },
});

const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'replica-wal-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
};

describe('replayWal', () => {
  test('rebuilds the last persisted term and vote and the log', () => {
    const text = [
      encodeRecord({ t: 'state', term: 1, votedFor: 'n2' }),
      encodeRecord({ t: 'entry', entry: entry(1, 1) }),
      encodeRecord({ t: 'entry', entry: entry(2, 1) }),
      encodeRecord({ t: 'state', term: 3, votedFor: null }),
    ].join('');
    const r = replayWal(Buffer.from(text));
    expect(r).toMatchObject({ term: 3, votedFor: null, discardedBytes: 0, validBytes: Buffer.byteLength(text) });
    expect(r.log.map((e) => e.index)).toEqual([1, 2]);
  });

  test('an entry written at index i replaces the old suffix from i on (truncation is implicit)', () => {
    const text =
      [1, 2, 3].map((i) => encodeRecord({ t: 'entry', entry: entry(i, 1) })).join('') +
      encodeRecord({ t: 'entry', entry: entry(2, 2, 99) });
    const r = replayWal(Buffer.from(text));
    expect(r.log.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  test('a torn last record (no newline) is discarded', () => {
    const good = encodeRecord({ t: 'entry', entry: entry(1, 1) });
    const torn = encodeRecord({ t: 'entry', entry: entry(2, 1) }).slice(0, 20);
    const r = replayWal(Buffer.from(good + torn));
    expect(r.log).toHaveLength(1);
    expect(r.validBytes).toBe(Buffer.byteLength(good));
    expect(r.discardedBytes).toBe(20);
  });

  test('a record whose checksum does not match ends the replay', () => {
    const good = encodeRecord({ t: 'entry', entry: entry(1, 1) });
    const bad = encodeRecord({ t: 'entry', entry: entry(2, 1) }).replace('"value":2', '"value":3');
    const after = encodeRecord({ t: 'entry', entry: entry(3, 1) });
    const r = replayWal(Buffer.from(good + bad + after));
    expect(r.log.map((e) => e.index)).toEqual([1]);
    expect(r.discardedBytes).toBe(Buffer.byteLength(bad + after));
  });
});

describe('openWal', () => {
  test('what is appended is replayed by the next open, and a torn tail is cut off the file', async () => {
    const dir = await tempDir();
    const first = await openWal(dir, { kind: 'always' });
    expect(first.replayed.log).toEqual([]);
    await Promise.all([
      first.wal.append([{ t: 'state', term: 2, votedFor: 'n1' }]),
      first.wal.append([{ t: 'entry', entry: entry(1, 2) }]),
      first.wal.append([{ t: 'entry', entry: entry(2, 2) }]),
    ]);
    await first.wal.close();
    const path = join(dir, WAL_FILE);
    const sizeBefore = (await stat(path)).size;
    await appendFile(path, '1234abcd {"t":"entry","ent'); // a crash mid-write

    const second = await openWal(dir, { kind: 'never' });
    expect(second.replayed).toMatchObject({ term: 2, votedFor: 'n1', discardedBytes: 26 });
    expect(second.replayed.log.map((e) => e.index)).toEqual([1, 2]);
    expect((await stat(path)).size).toBe(sizeBefore);
    await second.wal.append([{ t: 'entry', entry: entry(3, 2) }]);
    await second.wal.close();
    const third = replayWal(await readFile(path));
    expect(third.log.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(third.discardedBytes).toBe(0);
  });

  test('sync resolves once earlier appends are written', async () => {
    const dir = await tempDir();
    const { wal } = await openWal(dir, { kind: 'always' });
    onTestFinished(() => wal.close());
    void wal.append([{ t: 'entry', entry: entry(1, 1) }]);
    await wal.sync();
    expect(replayWal(await readFile(join(dir, WAL_FILE))).log).toHaveLength(1);
  });
});
