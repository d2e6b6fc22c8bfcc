/**
 * The longest partial linearizations seen by the search (porcupine's
 * verbose mode), with bounded memory.
 *
 * As porcupine does, each operation remembers the longest dead-end prefix
 * that contained it; prefixes are shared between operations and freed when
 * no operation refers to them any more. Unlike porcupine, the live total is
 * capped: past `budget` steps, per-operation recording stops (`truncated`)
 * and only the overall longest prefix keeps being tracked, in one buffer.
 */
export class PartialTracker {
  /** Per op: length of the longest prefix recorded for it (0 = none). */
  private readonly best: Int32Array;
  /** Per op: pool slot of that prefix, -1 = none. */
  private readonly ref: Int32Array;
  /** Per stack position k: min of `best` over the ops at positions 0..k (lets the search skip recording in O(1)). */
  private readonly minBest: Int32Array;
  private readonly pool: (Int32Array | undefined)[] = [];
  private readonly refCount: number[] = [];
  private readonly free: number[] = [];
  private live = 0;
  private recording = true;
  /** The overall longest dead-end prefix. */
  readonly longest: Int32Array;
  longestLength = 0;
  truncated = false;

  constructor(
    n: number,
    private readonly budget: number,
  ) {
    this.best = new Int32Array(n);
    this.ref = new Int32Array(n).fill(-1);
    this.minBest = new Int32Array(n + 1);
    this.longest = new Int32Array(n);
  }

  /** The search pushed `op` at stack position `depth`. */
  pushed(depth: number, op: number): void {
    const b = this.best[op]!;
    this.minBest[depth] = depth === 0 ? b : Math.min(this.minBest[depth - 1]!, b);
  }

  /** The search reached a dead end with `stackOps[0..depth)` linearized. */
  deadEnd(stackOps: Int32Array, depth: number): void {
    if (depth === 0) return;
    if (depth > this.longestLength) {
      this.longest.set(stackOps.subarray(0, depth));
      this.longestLength = depth;
    }
    if (!this.recording || this.minBest[depth - 1]! >= depth) return;
    const seq = stackOps.slice(0, depth);
    const slot = this.free.length > 0 ? this.free.pop()! : this.pool.length;
    this.pool[slot] = seq;
    this.refCount[slot] = 0;
    this.live += depth;
    for (let k = 0; k < depth; k++) {
      const op = seq[k]!;
      if (this.best[op]! < depth) {
        const old = this.ref[op]!;
        if (old >= 0 && --this.refCount[old]! === 0) this.release(old);
        this.ref[op] = slot;
        this.refCount[slot]!++;
        this.best[op] = depth;
      }
      const b = this.best[op]!;
      this.minBest[k] = k === 0 ? b : Math.min(this.minBest[k - 1]!, b);
    }
    if (this.live > this.budget) {
      this.recording = false;
      this.truncated = true;
    }
  }

  private release(slot: number): void {
    this.live -= this.pool[slot]!.length;
    this.pool[slot] = undefined;
    this.free.push(slot);
  }

  /** Distinct recorded prefixes plus the overall longest, longest first. */
  prefixes(): Int32Array[] {
    const out: Int32Array[] = [];
    if (this.longestLength > 0) out.push(this.longest.slice(0, this.longestLength));
    for (const seq of this.pool) if (seq) out.push(seq);
    out.sort((a, b) => b.length - a.length);
    const seen = new Set<string>();
    return out.filter((seq) => {
      const k = seq.join(',');
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
}
