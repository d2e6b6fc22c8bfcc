import { showValue } from '../linearizable/model.ts';
import { deepHash, hashString, mix32 } from '../linearizable/structural.ts';
import { sameValue } from './op-input.ts';

const STRING_SEED = 0x3c6ef372;

/** Hash of a value; for strings, FNV-1a so that an append can extend it (`hashString(b, hash(a))` = hash(a + b)). */
const valueHash = (v: unknown): number => (typeof v === 'string' ? hashString(v, STRING_SEED) : deepHash(v));

/**
 * An immutable map from key to value for key-value models, with its hash
 * kept up to date on every change (so hashing a state is O(1) however many
 * keys it holds, and an append hashes only the appended text). Keys whose
 * value equals the initial value are left out, so the same contents always
 * have the same representation. Keys are kept sorted.
 */
export class KeyedState {
  private constructor(
    readonly keys: readonly string[],
    readonly values: readonly unknown[],
    /** `valueHash` of each value. */
    private readonly valueHashes: readonly number[],
    readonly hash: number,
    readonly initial: unknown,
    private readonly initialHash: number,
  ) {}

  static empty(initial: unknown): KeyedState {
    return new KeyedState([], [], [], 0x4b56, initial, valueHash(initial));
  }

  get(key: string): unknown {
    const i = this.find(key);
    return i >= 0 ? this.values[i] : this.initial;
  }

  set(key: string, value: unknown): KeyedState {
    return this.put(key, value, valueHash(value));
  }

  /** The value of `key` (a string) with `suffix` appended. */
  append(key: string, suffix: string): KeyedState {
    if (suffix === '') return this;
    const i = this.find(key);
    const current = i >= 0 ? this.values[i] : this.initial;
    const h = i >= 0 ? this.valueHashes[i]! : this.initialHash;
    return this.put(key, String(current) + suffix, hashString(suffix, h));
  }

  private put(key: string, value: unknown, vh: number): KeyedState {
    const i = this.find(key);
    const isInitial = vh === this.initialHash && sameValue(value, this.initial);
    const n = this.keys.length;
    if (i >= 0) {
      if (vh === this.valueHashes[i] && sameValue(this.values[i], value)) return this;
      const hash = (this.hash - entryHash(key, this.valueHashes[i]!)) | 0;
      if (isInitial) {
        return new KeyedState(
          without(this.keys, i),
          without(this.values, i),
          without(this.valueHashes, i),
          hash,
          this.initial,
          this.initialHash,
        );
      }
      const values = this.values.slice();
      const hashes = this.valueHashes.slice();
      values[i] = value;
      hashes[i] = vh;
      return new KeyedState(this.keys, values, hashes, (hash + entryHash(key, vh)) | 0, this.initial, this.initialHash);
    }
    if (isInitial) return this;
    const at = -i - 1;
    const keys = new Array<string>(n + 1);
    const values = new Array<unknown>(n + 1);
    const hashes = new Array<number>(n + 1);
    for (let k = 0, j = 0; k <= n; k++) {
      if (k === at) {
        keys[k] = key;
        values[k] = value;
        hashes[k] = vh;
      } else {
        keys[k] = this.keys[j]!;
        values[k] = this.values[j];
        hashes[k] = this.valueHashes[j]!;
        j++;
      }
    }
    return new KeyedState(keys, values, hashes, (this.hash + entryHash(key, vh)) | 0, this.initial, this.initialHash);
  }

  equals(other: KeyedState): boolean {
    if (this === other) return true;
    const n = this.keys.length;
    if (this.hash !== other.hash || n !== other.keys.length) return false;
    for (let i = 0; i < n; i++) {
      if (this.keys[i] !== other.keys[i] || this.valueHashes[i] !== other.valueHashes[i]) return false;
    }
    for (let i = 0; i < n; i++) if (!sameValue(this.values[i], other.values[i])) return false;
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

const entryHash = (key: string, vh: number): number => mix32(hashString(key) ^ Math.imul(vh, 0x9e3779b1));

const without = <T>(a: readonly T[], i: number): T[] => {
  const out = new Array<T>(a.length - 1);
  for (let k = 0, j = 0; k < a.length; k++) if (k !== i) out[j++] = a[k]!;
  return out;
};
