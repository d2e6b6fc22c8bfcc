/** Binary searches over sorted arrays of times, shared by the checkers. */

/** Number of entries < x in a sorted array. */
export const lowerBound = (sorted: ArrayLike<number>, x: number): number => {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

/** Number of entries <= x in a sorted array. */
export const upperBound = (sorted: ArrayLike<number>, x: number): number => {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

/**
 * lowerBound(sorted, x), searched outward from `hint` (an earlier answer):
 * O(log d) for an answer d places away. Checkers that walk reads in
 * roughly time order find each answer next to the previous one.
 */
export const lowerBoundFrom = (sorted: ArrayLike<number>, x: number, hint: number): number => {
  const n = sorted.length;
  const h = Math.min(Math.max(hint, 0), n);
  // The answer lies in [lo, hi].
  let lo: number;
  let hi: number;
  let step = 1;
  if (h === 0 || sorted[h - 1]! < x) {
    lo = h;
    hi = h;
    while (hi < n && sorted[hi]! < x) {
      lo = hi + 1;
      hi += step;
      step *= 2;
    }
    if (hi > n) hi = n;
  } else {
    hi = h - 1;
    lo = hi;
    while (lo > 0 && sorted[lo - 1]! >= x) {
      hi = lo - 1;
      lo -= step;
      step *= 2;
    }
    if (lo < 0) lo = 0;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

/**
 * The first `k` of `items` in `compare` order, sorted: what
 * `[...items].sort(compare).slice(0, k)` gives for a total order, in
 * O(n log k) with a heap of the best k seen (its root the worst of them).
 */
export const topK = <T>(items: readonly T[], k: number, compare: (a: T, b: T) => number): T[] => {
  const heap: T[] = [];
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < heap.length && compare(heap[l]!, heap[worst]!) > 0) worst = l;
      if (r < heap.length && compare(heap[r]!, heap[worst]!) > 0) worst = r;
      if (worst === i) return;
      [heap[i], heap[worst]] = [heap[worst]!, heap[i]!];
      i = worst;
    }
  };
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (compare(heap[i]!, heap[parent]!) <= 0) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
    } else if (k > 0 && compare(item, heap[0]!) < 0) {
      heap[0] = item;
      siftDown(0);
    }
  }
  return heap.sort(compare);
};
