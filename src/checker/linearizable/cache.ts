import { tableSize } from './states.ts';

/** Past this many bytes a cache stops growing (see `full`). */
export const DEFAULT_CACHE_LIMIT_BYTES = 256 * 1024 * 1024;

/**
 * Lowe's cache: the configurations (linearized operations, model state) the
 * search has already reached. Reaching one again can only repeat work, so
 * the search skips it.
 *
 * The set of linearized operations is a bitset with the determinate
 * operations first, in call order, then the indeterminate ones. Because an
 * operation can only be linearized once every operation that returned
 * before its call has been, the determinate part is almost a prefix: all
 * ones up to a low word, a window of mixed words, zeros after. Only the
 * window is stored (with where it starts), so an entry costs the history's
 * concurrency, not its length: a 10,000-operation partition whose clients
 * overlap a little stores two or three words per entry, not 313.
 *
 * With indeterminate operations it also skips configurations that are
 * dominated (when `dominance` is set): (B, s) when some (A, s) was reached
 * with A ⊆ B and A, B differing only by indeterminate operations. Those may
 * never take effect and never force the search back (they return at
 * infinity), so whatever completes from (B, s) also completes from (A, s).
 * This keeps crashed operations from multiplying the search by every subset
 * of them that can be slotted in somewhere. The key then only hashes the
 * determinate part, so dominating entries share a probe chain.
 *
 * Stored without per-entry objects: each entry is
 * `[stateId, low, length, window…, indeterminate words…]` in one Int32Array
 * arena, and an open-addressing table (linear probing) maps a 32-bit key to
 * entry offsets.
 */
export class VisitedCache {
  private arena: Int32Array;
  private used = 0;
  /** Pairs [key, entry offset + 1] (0 = empty), interleaved so that a probe touches one cache line. */
  private slots: Int32Array;
  private mask: number;
  count = 0;
  /** True once the byte limit was reached: nothing more is stored (the search stays correct, only slower). */
  full = false;

  /**
   * `exactWords`: words of determinate operations; `infoWords`: words of
   * indeterminate ones after them, compared for equality, or for inclusion
   * with `dominance`. `expected`: a guess of the number of entries.
   */
  constructor(
    private readonly exactWords: number,
    private readonly infoWords: number,
    private readonly dominance: boolean,
    expected: number,
    private readonly limitBytes = DEFAULT_CACHE_LIMIT_BYTES,
  ) {
    const size = tableSize(2 * expected);
    // One allocation to start (a history has a partition per key); each part gets its own when it grows.
    const arena = Math.max(64, expected * (4 + infoWords));
    const slab = new Int32Array(2 * size + arena);
    this.slots = slab.subarray(0, 2 * size);
    this.mask = size - 1;
    this.arena = slab.subarray(2 * size);
  }

  /** Combines the hash of the linearized operations with a state id into the table key. */
  static key(bitsHash: number, stateId: number): number {
    let h = bitsHash ^ Math.imul(stateId + 1, 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h | 0;
  }

  /**
   * Adds (bits, stateId) under `key`; false when it, or a configuration
   * dominating it, was already there. `low`: the first determinate word not
   * all ones (`exactWords` if none); `high`: the last non-zero determinate
   * word (-1 if none). `add` trusts them (the search keeps them up to date);
   * `addBits` works them out.
   */
  add(bits: Int32Array, key: number, stateId: number, low: number, high: number): boolean {
    const len = high >= low ? high - low + 1 : 0;
    const exact = this.exactWords;
    const infoWords = this.infoWords;
    const arena = this.arena;
    const slots = this.slots;
    const mask = this.mask;
    let slot = key & mask;
    for (;;) {
      const e = slots[2 * slot + 1]!;
      if (e === 0) break;
      if (slots[2 * slot] === key) {
        const at = e - 1;
        if (arena[at] === stateId && arena[at + 1] === low && arena[at + 2] === len) {
          let w = 0;
          while (w < len && arena[at + 3 + w] === bits[low + w]) w++;
          if (w === len) {
            const info = at + 3 + len - exact;
            let i = exact;
            const end = exact + infoWords;
            if (this.dominance) {
              // Stored indeterminate ops ⊆ current ones: dominated.
              while (i < end && (arena[info + i]! & ~bits[i]!) === 0) i++;
            } else {
              while (i < end && arena[info + i] === bits[i]) i++;
            }
            if (i === end) return false;
          }
        }
      }
      slot = (slot + 1) & mask;
    }
    if (this.full) return true;
    const need = 3 + len + infoWords;
    const growArena = this.used + need > arena.length;
    const growSlots = (this.count + 1) * 2 > mask;
    if (growArena || growSlots) {
      const projected = this.bytes + (growArena ? arena.byteLength + 4 * need : 0) + (growSlots ? slots.byteLength : 0);
      if (projected > this.limitBytes) {
        this.full = true;
        return true;
      }
    }
    if (growArena) {
      const grown = new Int32Array(Math.max(arena.length * 2, this.used + need));
      grown.set(arena.subarray(0, this.used));
      this.arena = grown;
    }
    const a = this.arena;
    let at = this.used;
    slots[2 * slot] = key;
    slots[2 * slot + 1] = at + 1;
    a[at++] = stateId;
    a[at++] = low;
    a[at++] = len;
    for (let w = 0; w < len; w++) a[at++] = bits[low + w]!;
    for (let i = 0; i < infoWords; i++) a[at++] = bits[exact + i]!;
    this.used = at;
    this.count++;
    if (this.count * 2 > mask) this.grow();
    return true;
  }

  /** `add`, working out the window from the bits (for tests and one-off callers). */
  addBits(bits: Int32Array, key: number, stateId: number): boolean {
    let low = 0;
    while (low < this.exactWords && bits[low] === -1) low++;
    let high = this.exactWords - 1;
    while (high >= 0 && bits[high] === 0) high--;
    return this.add(bits, key, stateId, low, high);
  }

  private grow(): void {
    const size = 2 * (this.mask + 1);
    const mask = size - 1;
    const slots = new Int32Array(2 * size);
    const old = this.slots;
    for (let i = 0; i < old.length; i += 2) {
      const e = old[i + 1]!;
      if (e === 0) continue;
      const key = old[i]!;
      let slot = key & mask;
      while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = key;
      slots[2 * slot + 1] = e;
    }
    this.slots = slots;
    this.mask = mask;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.arena.byteLength + this.slots.byteLength;
  }
}
