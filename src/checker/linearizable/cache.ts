import { tableSize } from './states.ts';

/** Past this many bytes a cache stops growing (see `full`). */
export const DEFAULT_CACHE_LIMIT_BYTES = 256 * 1024 * 1024;

/**
 * Lowe's cache: the configurations (linearized operations, model state) the
 * search has already reached. Reaching one again can only repeat work, so
 * the search skips it.
 *
 * With indeterminate operations it also skips configurations that are
 * dominated: (B, s) when some (A, s) was reached with A ⊆ B and A, B
 * differing only by indeterminate operations. Those may never take effect
 * and never force the search back (they return at infinity), so whatever
 * completes from (B, s) also completes from (A, s). This keeps crashed
 * operations from multiplying the search by every subset of them that can
 * be slotted in somewhere. The bitset therefore has the determinate
 * operations in its first `exactWords` words (compared for equality) and the
 * indeterminate ones after (compared for inclusion); the key only hashes the
 * determinate part, so dominating entries share a probe chain.
 *
 * Stored without per-entry objects: each entry is `[stateId, word0, …]` in
 * one Int32Array arena, and an open-addressing table (linear probing) maps a
 * 32-bit key to entry numbers.
 */
export class VisitedCache {
  private readonly stride: number;
  private arena: Int32Array;
  /** Pairs [key, entry number + 1] (0 = empty), interleaved so that a probe touches one cache line. */
  private slots: Int32Array;
  private mask: number;
  count = 0;
  /** True once the byte limit was reached: nothing more is stored (the search stays correct, only slower). */
  full = false;

  /**
   * `words`: bitset length; the first `exactWords` hold determinate
   * operations. `expected`: a guess of the number of entries.
   */
  constructor(
    private readonly words: number,
    private readonly exactWords: number,
    expected: number,
    private readonly limitBytes = DEFAULT_CACHE_LIMIT_BYTES,
  ) {
    this.stride = words + 1;
    const size = tableSize(2 * expected);
    // One allocation to start (see StateSpace); each part is replaced by a larger array when it grows.
    const slab = new Int32Array(2 * size + this.stride * (size >> 1));
    this.slots = slab.subarray(0, 2 * size);
    this.arena = slab.subarray(2 * size);
    this.mask = size - 1;
  }

  /** Combines the hash of the determinate operations' bits with a state id into the table key. */
  static key(bitsHash: number, stateId: number): number {
    let h = bitsHash ^ Math.imul(stateId + 1, 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h | 0;
  }

  /** Adds (bits, stateId) under `key`; false when it, or a configuration dominating it, was already there. */
  add(bits: Int32Array, key: number, stateId: number): boolean {
    const words = this.words;
    const exact = this.exactWords;
    const stride = this.stride;
    const arena = this.arena;
    const slots = this.slots;
    const mask = this.mask;
    let slot = key & mask;
    for (;;) {
      const e = slots[2 * slot + 1]!;
      if (e === 0) break;
      if (slots[2 * slot] === key) {
        const at = (e - 1) * stride;
        if (arena[at] === stateId) {
          let w = 0;
          while (w < exact && arena[at + 1 + w] === bits[w]) w++;
          if (w === exact) {
            // Stored indeterminate ops ⊆ current ones: dominated.
            while (w < words && (arena[at + 1 + w]! & ~bits[w]!) === 0) w++;
            if (w === words) return false;
          }
        }
      }
      slot = (slot + 1) & mask;
    }
    if (this.full) return true;
    let at = this.count * stride;
    const growArena = at + stride > arena.length;
    const growSlots = (this.count + 1) * 2 > mask;
    if (growArena || growSlots) {
      const projected = this.bytes + (growArena ? arena.byteLength : 0) + (growSlots ? slots.byteLength : 0);
      if (projected > this.limitBytes) {
        this.full = true;
        return true;
      }
    }
    if (growArena) {
      const grown = new Int32Array(arena.length * 2);
      grown.set(arena);
      this.arena = grown;
    }
    const entry = this.count++;
    const a = this.arena;
    a[at++] = stateId;
    for (let w = 0; w < words; w++) a[at + w] = bits[w]!;
    slots[2 * slot] = key;
    slots[2 * slot + 1] = entry + 1;
    if (this.count * 2 > mask) this.grow();
    return true;
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
