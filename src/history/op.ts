/**
 * One history event, as in Jepsen.
 *
 * Time: `time` is nanoseconds since the run started, read from one monotonic
 * clock in the controller (`base/time.ts`), never from a node. Every
 * operation occupies the closed interval [invoke.time, completion.time]: it
 * took effect at some instant inside it, endpoints included. An `info`
 * completion means "may or may not have happened", so for checking it
 * returns at infinity.
 */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** A client worker's number, or the nemesis. A worker that saw `info` continues under a new number. */
export type Process = number | 'nemesis';

export interface Op {
  /** Position in the history, 0-based, dense. */
  index: number;
  /** Nanoseconds since the run started (monotonic controller clock). */
  time: number;
  type: OpType;
  process: Process;
  /** The function: read, write, cas, add, ... or for the nemesis start-kill, stop-partition, ... */
  f: string;
  key?: string;
  /** Untrusted: whatever the system under test returned. */
  value: unknown;
  /** The node the client talked to (on a completion: the node that served it). */
  node?: string;
  /**
   * On an ok completion: the leader term (epoch) under which the serving
   * node acknowledged it, when the system reports one. Split-brain and
   * fencing checks tell leaders apart by (node, term).
   */
  term?: number;
  error?: string;
}

/** Op as a worker hands it to the recorder: index and time are stamped by the recorder. */
export type OpDraft = Omit<Op, 'index' | 'time'>;

export const isClientOp = (op: Op): boolean => op.process !== 'nemesis';
