import { showValue } from '../linearizable/model.ts';
import { deepHash, hashString, mix32 } from '../linearizable/structural.ts';
import { sameValue } from './op-input.ts';

/**
 * An immutable map from key to value for key-value models, with a hash kept
 * up to date on every `set` (so hashing a state is O(1) however many keys it
 * holds). Keys whose value equals the initial value are left out, so the
 * same contents always have the same representation. Keys are kept sorted.
 */
export class KeyedState {
  private constructor(
    readonly keys: readonly string[],
    readonly values: readonly unknown[],
    readonly hash: number,
    readonly initial: unknown,
  ) {}

  static empty(initial: unknown): KeyedState {
    return new KeyedState([], [], 0x4b56, initial);
  }

  get(key: string): unknown {
    const i = this.find(key);
    return i >= 0 ? this.values[i] : this.initial;
  }

  set(key: string, value: unknown): KeyedState {
    const i = this.find(key);
    const isInitial = sameValue(value, this.initial);
    if (i >= 0) {
      const old = this.values[i];
      if (sameValue(old, value)) return this;
      const hash = (this.hash - entryHash(key, old)) | 0;
      if (isInitial) {
        return new KeyedState(without(this.keys, i), without(this.values, i), hash, this.initial);
      }
      const values = this.values.slice();
      values[i] = value;
      return new KeyedState(this.keys, values, (hash + entryHash(key, value)) | 0, this.initial);
    }
    if (isInitial) return this;
    const at = -i - 1;
    return new KeyedState(
      inserted(this.keys, at, key),
      inserted(this.values, at, value),
      (this.hash + entryHash(key, value)) | 0,
      this.initial,
    );
  }

  equals(other: KeyedState): boolean {
    if (this === other) return true;
    if (this.hash !== other.hash || this.keys.length !== other.keys.length) return false;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] !== other.keys[i] || !sameValue(this.values[i], other.values[i])) return false;
    }
    return true;
  }

  describe(): string {
    return `{${this.keys.map((k, i) => `${showValue(k)}: ${showValue(this.values[i])}`).join(', ')}}`;
  }

  /** Index of key, or -(insertion point) - 1. */
  private find(key: string): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.keys[mid]!;
      if (k === key) return mid;
      if (k < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }
}

const entryHash = (key: string, value: unknown): number =>
  mix32(
    hashString(key) ^
      Math.imul(typeof value === 'string' ? hashString(value, 0x3c6ef372) : deepHash(value), 0x9e3779b1),
  );

const without = <T>(a: readonly T[], i: number): T[] => [...a.slice(0, i), ...a.slice(i + 1)];
const inserted = <T>(a: readonly T[], i: number, v: T): T[] => [...a.slice(0, i), v, ...a.slice(i)];
