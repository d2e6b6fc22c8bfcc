/**
 * Structural equality and hashing of plain data: the defaults for a model's
 * `equal` and `hash`, and what built-in models use to compare values read
 * from a system (numbers, strings, null, arrays, objects). Maps and Sets
 * compare as unordered collections. Equal values have equal hashes.
 */

const MAX_DEPTH = 64;

/** Deep equality of plain data (primitives by `Object.is`, except that `0 === -0`). */
export const deepEqual = (a: unknown, b: unknown): boolean => equalAt(a, b, 0);

const equalAt = (a: unknown, b: unknown, depth: number): boolean => {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return Number.isNaN(a) && Number.isNaN(b);
  }
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equalAt(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (!b.has(k) || !equalAt(v, b.get(k), depth + 1)) return false;
    }
    return true;
  }
  if (a instanceof Set) {
    if (!(b instanceof Set) || a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  if (b instanceof Map || b instanceof Set) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!equalAt((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
};

/** A 32-bit hash consistent with `deepEqual`. */
export const deepHash = (v: unknown): number => hashAt(v, 0) | 0;

/** FNV-1a over a string's UTF-16 units, seeded. */
export const hashString = (s: string, seed = 0x811c9dc5): number => {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
};

/** Finaliser that spreads bits (murmur3 fmix32). */
export const mix32 = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
};

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

const hashNumber = (n: number): number => {
  if (Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff) return mix32(n ^ 0x2545f491);
  f64[0] = n === 0 ? 0 : n; // -0 hashes as 0, as deepEqual says they are equal
  return mix32(u32[0]! ^ Math.imul(u32[1]!, 0x9e3779b1));
};

const hashAt = (v: unknown, depth: number): number => {
  switch (typeof v) {
    case 'number':
      return Number.isNaN(v) ? 0x7ff80000 : hashNumber(v);
    case 'string':
      return mix32(hashString(v));
    case 'boolean':
      return v ? 0x1231 : 0x4d5;
    case 'undefined':
      return 0x55aa;
    case 'bigint':
      return mix32(hashString(v.toString(), 0x1b873593));
    case 'symbol':
      return mix32(hashString(String(v), 0x2f));
    case 'function':
      return 0x3f;
    default:
      break;
  }
  if (v === null) return 0x7a11;
  if (depth > MAX_DEPTH) return 0x1ee7;
  if (Array.isArray(v)) {
    let h = 0x41 + v.length;
    for (let i = 0; i < v.length; i++) h = Math.imul(h ^ hashAt(v[i], depth + 1), 0x01000193);
    return mix32(h);
  }
  if (v instanceof Map) {
    // Unordered: combine entry hashes commutatively.
    let h = 0x4d61 + v.size;
    for (const [k, x] of v) h = (h + mix32(hashAt(k, depth + 1) ^ Math.imul(hashAt(x, depth + 1), 0x9e3779b1))) | 0;
    return mix32(h);
  }
  if (v instanceof Set) {
    let h = 0x5365 + v.size;
    for (const x of v) h = (h + hashAt(x, depth + 1)) | 0;
    return mix32(h);
  }
  let h = 0x6f62;
  for (const k of Object.keys(v as object)) {
    h = (h + mix32(hashString(k) ^ Math.imul(hashAt((v as Record<string, unknown>)[k], depth + 1), 0x9e3779b1))) | 0;
  }
  return mix32(h);
};
