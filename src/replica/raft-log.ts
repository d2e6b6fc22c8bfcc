/**
 * The replicated log and the pure rules of the Raft-like protocol: log
 * matching, the up-to-date rule for votes, and commit advancement. No I/O
 * here, so each rule is unit-tested on plain arrays.
 *
 * Indexes start at 1; `log[i - 1]` holds index i. Index 0 is a sentinel with
 * term 0 that every log contains.
 */
import type { WriteOp } from './state-machine.ts';

export interface Entry {
  term: number;
  index: number;
  op: WriteOp;
}

/** (term, index) of a log's last entry. */
export interface LogPosition {
  term: number;
  index: number;
}

export const lastPosition = (log: readonly Entry[]): LogPosition => {
  const last = log[log.length - 1];
  return last ? { term: last.term, index: last.index } : { term: 0, index: 0 };
};

/** Term of the entry at `index`; 0 for the sentinel; undefined past the end. */
export const termAt = (log: readonly Entry[], index: number): number | undefined =>
  index === 0 ? 0 : log[index - 1]?.term;

/**
 * The vote rule: grant only to a candidate whose log is at least as
 * up-to-date as the voter's — a later last term wins, then a longer log.
 * This is what keeps a majority-replicated entry in every future leader.
 */
export const isUpToDate = (candidate: LogPosition, voter: LogPosition): boolean =>
  candidate.term > voter.term || (candidate.term === voter.term && candidate.index >= voter.index);

export type AppendPlan =
  /** The log has no entry at prevIndex with prevTerm; the leader should back up to `conflictIndex`. */
  | { kind: 'reject'; conflictIndex: number }
  /**
   * Accept: drop everything from `truncateFrom` (when set), then append `append`.
   * `lastNewIndex` is the last index the request vouches for (prevIndex + entries).
   */
  | { kind: 'accept'; truncateFrom: number | undefined; append: Entry[]; lastNewIndex: number };

/**
 * What a follower must do with AppendEntries(prevIndex, prevTerm, entries).
 * Entries already present with the same term are kept (a retried or
 * reordered request must not truncate newer entries); the first entry whose
 * term differs truncates the suffix from there.
 */
export const planAppend = (
  log: readonly Entry[],
  prevIndex: number,
  prevTerm: number,
  entries: readonly Entry[],
): AppendPlan => {
  const localPrevTerm = termAt(log, prevIndex);
  if (localPrevTerm === undefined) return { kind: 'reject', conflictIndex: log.length + 1 };
  if (localPrevTerm !== prevTerm) {
    // Skip the whole conflicting term in one round trip instead of one entry at a time.
    let first = prevIndex;
    while (first > 1 && termAt(log, first - 1) === localPrevTerm) first--;
    return { kind: 'reject', conflictIndex: first };
  }
  let i = 0;
  while (i < entries.length) {
    const e = entries[i]!;
    const mine = termAt(log, e.index);
    if (mine === undefined) break;
    if (mine !== e.term)
      return {
        kind: 'accept',
        truncateFrom: e.index,
        append: entries.slice(i),
        lastNewIndex: prevIndex + entries.length,
      };
    i++;
  }
  return {
    kind: 'accept',
    truncateFrom: undefined,
    append: entries.slice(i),
    lastNewIndex: prevIndex + entries.length,
  };
};

/** The largest index that at least `quorum` of `matchIndexes` have reached (0 if none). */
export const quorumIndex = (matchIndexes: readonly number[], quorum: number): number => {
  if (quorum <= 0) throw new Error(`quorum must be positive, got ${quorum}`);
  const sorted = [...matchIndexes].sort((a, b) => b - a);
  return sorted[quorum - 1] ?? 0;
};

/**
 * The leader's new commit index. Only an entry of the leader's own term is
 * committed by counting replicas; earlier entries commit with it (Raft §5.4.2:
 * counting replicas of an old-term entry is unsafe).
 */
export const nextCommitIndex = (
  log: readonly Entry[],
  matchIndexes: readonly number[],
  quorum: number,
  currentTerm: number,
  commitIndex: number,
): number => {
  const n = quorumIndex(matchIndexes, quorum);
  return n > commitIndex && termAt(log, n) === currentTerm ? n : commitIndex;
};

/** Votes needed to win an election among `clusterSize` nodes. */
export const majority = (clusterSize: number): number => Math.floor(clusterSize / 2) + 1;
