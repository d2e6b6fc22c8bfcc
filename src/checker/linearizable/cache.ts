import { tableSize } from './states.ts';

/**
 * Lowe's cache: the set of (linearized operations, model state) pairs the
 * search has already reached. Reaching one again can only repeat work, so
 * the search skips it.
 *
 * Stored without per-entry objects: each entry is `[stateId, word0, …]` in
 * one Int32Array arena, and an open-addressing table (linear probing) maps a
 * 32-bit key to entry numbers. The key is the bitset's hash (maintained
 * incrementally by the search: XOR of a random value per linearized
 * operation) combined with the interned state id.
 */
export class VisitedCache {
  private readonly stride: number;
  private arena: Int32Array;
  private slots: Int32Array; // entry number + 1, 0 = empty
  private slotKeys: Int32Array;
  private mask: number;
  count = 0;

  /** `expected`: a guess of the number of entries (the table grows as needed). */
  constructor(
    private readonly words: number,
    expected: number,
  ) {
    this.stride = words + 1;
    const size = tableSize(2 * expected);
    this.arena = new Int32Array(this.stride * (size >> 1));
    this.slots = new Int32Array(size);
    this.slotKeys = new Int32Array(size);
    this.mask = size - 1;
  }

  /** Combines the bitset hash with a state id into the table key. */
  static key(bitsHash: number, stateId: number): number {
    let h = bitsHash ^ Math.imul(stateId + 1, 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h | 0;
  }

  /** Adds (bits, stateId) under `key`; false when it was already there. */
  add(bits: Int32Array, key: number, stateId: number): boolean {
    const words = this.words;
    const stride = this.stride;
    const arena = this.arena;
    const slots = this.slots;
    const slotKeys = this.slotKeys;
    const mask = this.mask;
    let slot = key & mask;
    for (;;) {
      const e = slots[slot]!;
      if (e === 0) break;
      if (slotKeys[slot] === key) {
        let at = (e - 1) * stride;
        if (arena[at] === stateId) {
          let same = true;
          at++;
          for (let w = 0; w < words; w++) {
            if (arena[at + w] !== bits[w]) {
              same = false;
              break;
            }
          }
          if (same) return false;
        }
      }
      slot = (slot + 1) & mask;
    }
    const entry = this.count++;
    let at = entry * stride;
    if (at + stride > arena.length) {
      const grown = new Int32Array(arena.length * 2);
      grown.set(arena);
      this.arena = grown;
    }
    const a = this.arena;
    a[at++] = stateId;
    for (let w = 0; w < words; w++) a[at + w] = bits[w]!;
    slots[slot] = entry + 1;
    slotKeys[slot] = key;
    if (this.count * 2 > mask) this.grow();
    return true;
  }

  private grow(): void {
    const size = this.slots.length * 2;
    const mask = size - 1;
    const slots = new Int32Array(size);
    const slotKeys = new Int32Array(size);
    const old = this.slots;
    const oldKeys = this.slotKeys;
    for (let i = 0; i < old.length; i++) {
      const e = old[i]!;
      if (e === 0) continue;
      const key = oldKeys[i]!;
      let slot = key & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = e;
      slotKeys[slot] = key;
    }
    this.slots = slots;
    this.slotKeys = slotKeys;
    this.mask = mask;
  }

  /** Approximate bytes held. */
  get bytes(): number {
    return this.arena.byteLength + this.slots.byteLength + this.slotKeys.byteLength;
  }
}
