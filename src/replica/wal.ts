/**
 * The write-ahead log: one append-only file, `replica.wal`, in the data dir.
 *
 * Each record is one line: 8 hex digits of CRC-32 over the JSON, a space, the
 * JSON, a newline. Kinds of record:
 *   {t:"state", term, votedFor}  — the persisted vote (Raft's currentTerm, votedFor)
 *   {t:"entry", entry}           — a log entry; writing index i implicitly
 *                                   drops every entry >= i, so a truncation
 *                                   is atomic with the append that causes it
 *   {t:"object", key, state}     — multi-leader / leaderless: a delta (or a
 *                                   full state) merged into a key
 * Replay stops at the first record that is cut off or fails its checksum
 * (a torn write from a crash) and the file is truncated there.
 *
 * Fsync policies. `always`: an append resolves once its records are written
 * and fsynced; appends queued meanwhile share the next fsync (group commit).
 * `interval` and `never`: an append resolves at once and its records wait in
 * the node's memory — our stand-in for the OS page cache — until the next
 * flush (every `intervalMs`, with an fsync; or, for `never`, every 30 s, the
 * kernel's default dirty-page expiry, without one). So a SIGKILL loses
 * exactly what a power cut would lose under that policy.
 */

import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ObjectState } from './crdt.ts';
import type { Entry } from './raft-log.ts';

export type WalRecord =
  | { t: 'state'; term: number; votedFor: string | null }
  | { t: 'entry'; entry: Entry }
  | { t: 'object'; key: string; state: ObjectState };

/** When appended records reach the disk: every append, every `intervalMs`, or when the OS decides. */
export type FsyncPolicy = { kind: 'always' } | { kind: 'interval'; intervalMs: number } | { kind: 'never' };

export interface Replayed {
  term: number;
  votedFor: string | null;
  log: Entry[];
  /** Object records in file order (multi-leader, leaderless): merge them in order to rebuild the state. */
  objects: { key: string; state: ObjectState }[];
  /** Bytes of valid records; anything after was discarded. */
  validBytes: number;
  /** Bytes discarded at the tail (torn or corrupt records). */
  discardedBytes: number;
}

export interface Wal {
  /** Resolves once the records are written (and fsynced, under `always`). Records hit the file in call order. */
  append(records: readonly WalRecord[]): Promise<void>;
  /** Resolves once everything appended so far is written (a barrier; no I/O when nothing is pending). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export const WAL_FILE = 'replica.wal';

export const encodeRecord = (record: WalRecord): string => {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
};

const decodeLine = (line: string): WalRecord | undefined => {
  if (line.length < 10 || line[8] !== ' ') return undefined;
  const json = line.slice(9);
  if (Number.parseInt(line.slice(0, 8), 16) !== crc32(json)) return undefined;
  try {
    return JSON.parse(json) as WalRecord;
  } catch {
    return undefined;
  }
};

/** Rebuilds term, vote and log from the WAL's bytes. Pure. */
export const replayWal = (bytes: Buffer): Replayed => {
  const out: Replayed = { term: 0, votedFor: null, log: [], objects: [], validBytes: 0, discardedBytes: 0 };
  let offset = 0;
  while (offset < bytes.length) {
    const nl = bytes.indexOf(0x0a, offset);
    if (nl < 0) break; // torn: no newline
    const record = decodeLine(bytes.toString('utf8', offset, nl));
    if (!record) break;
    if (record.t === 'state') {
      out.term = record.term;
      out.votedFor = record.votedFor;
    } else if (record.t === 'entry') {
      const { index } = record.entry;
      if (index < 1 || index > out.log.length + 1) break; // a gap: the file is not ours or is damaged
      out.log.length = index - 1;
      out.log.push(record.entry);
    } else if (record.t === 'object') {
      out.objects.push({ key: record.key, state: record.state });
    } else {
      break;
    }
    offset = nl + 1;
  }
  out.validBytes = offset;
  out.discardedBytes = bytes.length - offset;
  return out;
};

/** Opens (creating if needed) the data dir's WAL, replays it, and cuts off a torn tail. */
export const openWal = async (dataDir: string, policy: FsyncPolicy): Promise<{ wal: Wal; replayed: Replayed }> => {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, WAL_FILE);
  const fh: FileHandle = await open(path, 'a+');
  const replayed = replayWal(await fh.readFile());
  if (replayed.discardedBytes > 0) {
    await fh.truncate(replayed.validBytes);
    await fh.datasync();
  }
  return { wal: createWal(fh, policy), replayed };
};

/** How long `never` leaves records in memory: Linux's default dirty_expire_centisecs. */
export const NEVER_WRITEBACK_MS = 30_000;

const createWal = (fh: FileHandle, policy: FsyncPolicy): Wal => {
  type Pending = { text: string; resolve: () => void; reject: (e: unknown) => void };
  let queue: Pending[] = [];
  let flushing = false;
  let closed = false;
  let failure: unknown;
  const durable = policy.kind === 'always';

  // Group commit: everything queued while a write is in flight goes out in the next one.
  const flush = async (): Promise<void> => {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        if (failure) throw failure;
        await fh.write(batch.map((p) => p.text).join(''));
        if (policy.kind !== 'never') await fh.datasync();
        for (const p of batch) p.resolve();
      } catch (e) {
        // A failed write leaves the file in an unknown state: refuse every later append.
        failure ??= e;
        for (const p of batch) p.reject(e);
      }
    }
    flushing = false;
  };

  const enqueue = (text: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      queue.push({ text, resolve, reject });
      if (durable && !flushing) void flush();
    });

  const timer = durable
    ? undefined
    : setInterval(
        () => {
          if (!flushing && queue.length > 0) void flush();
        },
        policy.kind === 'interval' ? policy.intervalMs : NEVER_WRITEBACK_MS,
      );
  timer?.unref();

  const append = (records: readonly WalRecord[]): Promise<void> => {
    if (closed) return Promise.reject(new Error('WAL is closed'));
    if (failure) return Promise.reject(failure);
    const written = enqueue(records.map(encodeRecord).join(''));
    if (durable) return written;
    written.catch(() => {}); // reported by the next append
    return Promise.resolve();
  };

  return {
    append,
    sync() {
      if (!durable) return failure ? Promise.reject(failure) : Promise.resolve();
      if (!flushing && queue.length === 0) return failure ? Promise.reject(failure) : Promise.resolve();
      return append([]);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      if (!flushing && queue.length > 0) void flush();
      while (flushing || queue.length > 0) await new Promise((r) => setTimeout(r, 1));
      await fh.close();
    },
  };
};
