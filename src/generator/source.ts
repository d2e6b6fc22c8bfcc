import type { ClientOp } from '../systems/system.ts';

/** What a worker asks next: each workload provides one per worker (src/workload). */
export interface OpSource {
  next(): ClientOp;
  /** Feed back what a completed op observed (cas needs a plausible expected value). */
  observe(op: ClientOp, value: unknown): void;
}
